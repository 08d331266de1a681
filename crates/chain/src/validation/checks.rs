//! `CheckBlock` and `ContextualCheckBlock`.

use bitcoin::consensus::encode::VarInt;
use bitcoin::Block;
use consensus::script::ScriptNum;
use consensus::tx::{
    check_transaction, is_final_tx, legacy_sig_op_count, MAX_BLOCK_WEIGHT, WITNESS_SCALE_FACTOR,
};

use super::merkle::{
    block_merkle_root, witness_commitment, witness_commitment_index, witness_merkle_root,
};
use super::{BlockError, MAX_BLOCK_SIGOPS_COST};
use crate::pow::check_proof_of_work;
use crate::ChainParams;

/// What contextual checks need to know of a block's parent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PrevBlock {
    /// The parent's height.
    pub height: u32,
    /// The parent's median time past.
    pub median_time_past: i64,
}

/// Size of the block without witness data, in bytes.
fn stripped_size(block: &Block) -> usize {
    bitcoin::block::Header::SIZE
        + VarInt::from(block.txdata.len()).size()
        + block.txdata.iter().map(|tx| tx.base_size()).sum::<usize>()
}

/// Checks that need nothing but the block (`CheckBlock`). `check_pow` and `check_merkle` are
/// off only for templates the node builds itself.
pub fn check_block(
    block: &Block,
    params: &ChainParams,
    check_pow: bool,
    check_merkle: bool,
) -> Result<(), BlockError> {
    if check_pow && !check_proof_of_work(block.block_hash(), block.header.bits, params) {
        return Err(BlockError::HighHash);
    }
    if let Some(challenge) = &params.signet_challenge {
        let genesis = block.block_hash() == params.genesis.block_hash();
        if check_pow && !genesis && !super::check_signet_solution(block, challenge) {
            return Err(BlockError::SignetSolution);
        }
    }
    if check_merkle {
        let (root, mutated) = block_merkle_root(block);
        if root != block.header.merkle_root {
            return Err(BlockError::BadMerkleRoot);
        }
        if mutated {
            return Err(BlockError::DuplicateTx);
        }
    }
    let limit = MAX_BLOCK_WEIGHT as usize / WITNESS_SCALE_FACTOR as usize;
    if block.txdata.is_empty() || block.txdata.len() > limit || stripped_size(block) > limit {
        return Err(BlockError::BadLength);
    }
    if !block.txdata[0].is_coinbase() {
        return Err(BlockError::CoinbaseMissing);
    }
    if block.txdata[1..].iter().any(|tx| tx.is_coinbase()) {
        return Err(BlockError::CoinbaseMultiple);
    }
    for tx in &block.txdata {
        check_transaction(tx).map_err(|error| BlockError::Transaction {
            txid: tx.compute_txid(),
            error,
        })?;
    }
    let sigops: i64 = block
        .txdata
        .iter()
        .map(|tx| legacy_sig_op_count(tx) as i64)
        .sum();
    if sigops * WITNESS_SCALE_FACTOR as i64 > MAX_BLOCK_SIGOPS_COST {
        return Err(BlockError::LegacySigops);
    }
    Ok(())
}

/// The script a coinbase must start with at `height` (BIP34): the height pushed as
/// `CScript() << height` does, small numbers as their opcodes.
pub fn bip34_prefix(height: u32) -> Vec<u8> {
    match height {
        0 => vec![0x00],
        1..=16 => vec![0x50 + height as u8],
        _ => {
            let n = ScriptNum::serialize(height as i64);
            let mut s = vec![n.len() as u8];
            s.extend_from_slice(&n);
            s
        }
    }
}

/// Checks against the parent (`ContextualCheckBlock`): lock times, the BIP34 height, the
/// witness commitment and the weight. `prev` is `None` for a genesis block.
pub fn contextual_check_block(
    block: &Block,
    params: &ChainParams,
    prev: Option<PrevBlock>,
) -> Result<(), BlockError> {
    let height = prev.map_or(0, |p| p.height + 1);
    let cutoff = match prev {
        Some(p) if height >= params.csv_height => p.median_time_past,
        _ => block.header.time as i64,
    };
    if !block
        .txdata
        .iter()
        .all(|tx| is_final_tx(tx, height as i32, cutoff))
    {
        return Err(BlockError::NonFinal);
    }
    if height >= params.bip34_height {
        let expect = bip34_prefix(height);
        let starts = block
            .txdata
            .first()
            .and_then(|cb| cb.input.first())
            .is_some_and(|i| i.script_sig.as_bytes().starts_with(&expect));
        if !starts {
            return Err(BlockError::BadCoinbaseHeight);
        }
    }
    check_witness_malleation(block, height >= params.segwit_height)?;
    if block.weight().to_wu() > MAX_BLOCK_WEIGHT {
        return Err(BlockError::Weight);
    }
    Ok(())
}

/// Whether a block's transactions may have been altered in transit (`IsBlockMutated`):
/// a merkle root that does not match, a 64-byte transaction in a block without a
/// coinbase first, or witnesses that do not match the commitment. Checked before a
/// peer's block is stored, so a mutated copy is dropped without marking the header.
/// `Some(Some(e))` names the failed check, `Some(None)` is the 64-byte case.
pub fn block_mutation(block: &Block, check_witness_root: bool) -> Option<Option<BlockError>> {
    let (root, mutated) = block_merkle_root(block);
    if root != block.header.merkle_root {
        return Some(Some(BlockError::BadMerkleRoot));
    }
    if mutated {
        return Some(Some(BlockError::DuplicateTx));
    }
    if block.txdata.first().is_none_or(|cb| !cb.is_coinbase()) {
        return block
            .txdata
            .iter()
            .any(|tx| tx.base_size() == 64)
            .then_some(None);
    }
    check_witness_malleation(block, check_witness_root)
        .err()
        .map(Some)
}

/// [`block_mutation`] as a yes or no.
pub fn is_block_mutated(block: &Block, check_witness_root: bool) -> bool {
    block_mutation(block, check_witness_root).is_some()
}

/// `CheckWitnessMalleation`: a committed block's witnesses match the commitment; an
/// uncommitted block carries no witnesses.
fn check_witness_malleation(block: &Block, expect_commitment: bool) -> Result<(), BlockError> {
    if expect_commitment {
        if let Some(pos) = witness_commitment_index(block) {
            let witness = block
                .txdata
                .first()
                .and_then(|cb| cb.input.first())
                .map(|i| &i.witness);
            let reserved = match witness {
                Some(w) if w.len() == 1 && w.nth(0).is_some_and(|e| e.len() == 32) => w.nth(0),
                _ => None,
            };
            let Some(reserved) = reserved else {
                return Err(BlockError::WitnessNonceSize);
            };
            let commitment = witness_commitment(&witness_merkle_root(block), reserved);
            let script = block.txdata[0].output[pos].script_pubkey.as_bytes();
            if script[6..38] != commitment {
                return Err(BlockError::WitnessMerkleMatch);
            }
            return Ok(());
        }
    }
    if block
        .txdata
        .iter()
        .any(|tx| tx.input.iter().any(|i| !i.witness.is_empty()))
    {
        return Err(BlockError::UnexpectedWitness);
    }
    Ok(())
}
