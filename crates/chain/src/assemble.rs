//! Block assembly (`BlockAssembler::CreateNewBlock`): a block from chosen transactions
//! with a coinbase paying subsidy plus fees, the BIP34 height and a witness commitment;
//! and proof-of-work grinding for regtest. generatetoaddress, generateblock and
//! getblocktemplate build on it.

use bitcoin::absolute::LockTime;
use bitcoin::block::{Header, Version};
use bitcoin::hashes::Hash;
use bitcoin::transaction::Version as TxVersion;
use bitcoin::{
    Amount, Block, BlockHash, CompactTarget, OutPoint, ScriptBuf, Sequence, Transaction, TxIn,
    TxOut, Witness,
};

use crate::pow::check_proof_of_work;
use crate::validation::checks::bip34_prefix;
use crate::validation::merkle::{block_merkle_root, witness_commitment, witness_merkle_root};
use crate::validation::WITNESS_COMMITMENT_HEADER;
use crate::ChainParams;

/// What a new block is built from.
#[derive(Debug, Clone)]
pub struct BlockRequest {
    /// The parent.
    pub prev_hash: BlockHash,
    /// The new block's height.
    pub height: u32,
    /// Header version.
    pub version: i32,
    /// Header time.
    pub time: u32,
    /// Header bits, as the chain requires for this block.
    pub bits: CompactTarget,
    /// Where the coinbase pays.
    pub coinbase_script: ScriptBuf,
    /// The transactions after the coinbase, parents before children.
    pub transactions: Vec<Transaction>,
    /// Their fees, in satoshis.
    pub fees: i64,
}

/// The coinbase for `height`: the height as BIP34 wants it (with `OP_0` after it below
/// height 17, since a coinbase script needs two bytes), a non-final sequence and lock time
/// `height - 1` so the lock time is enforced, and one output of `value`.
pub fn coinbase_transaction(height: u32, script: ScriptBuf, value: i64) -> Transaction {
    let mut script_sig = bip34_prefix(height);
    if height <= 16 {
        script_sig.push(0x00);
    }
    Transaction {
        version: TxVersion::TWO,
        lock_time: LockTime::from_consensus(height.saturating_sub(1)),
        input: vec![TxIn {
            previous_output: OutPoint::null(),
            script_sig: ScriptBuf::from_bytes(script_sig),
            sequence: Sequence::ENABLE_LOCKTIME_NO_RBF,
            witness: Witness::new(),
        }],
        output: vec![TxOut {
            value: Amount::from_sat(value.max(0) as u64),
            script_pubkey: script,
        }],
    }
}

/// Adds the witness commitment output to the coinbase and, where segwit is active, the
/// all-zero reserved value as its witness (`GenerateCoinbaseCommitment`). Call it with
/// the final transaction list; it does not update the merkle root.
pub fn add_witness_commitment(block: &mut Block, segwit_active: bool) {
    let root = witness_merkle_root(block);
    let reserved = [0u8; 32];
    let commitment = witness_commitment(&root, &reserved);
    let mut script = WITNESS_COMMITMENT_HEADER.to_vec();
    script.extend_from_slice(&commitment);
    if let Some(cb) = block.txdata.first_mut() {
        cb.output.push(TxOut {
            value: Amount::ZERO,
            script_pubkey: ScriptBuf::from_bytes(script),
        });
        if segwit_active {
            if let Some(input) = cb.input.first_mut() {
                input.witness = Witness::from_slice(&[reserved]);
            }
        }
    }
}

/// Builds the block of `req` with nonce 0; [`grind`] then finds a valid nonce.
pub fn assemble_block(params: &ChainParams, req: BlockRequest) -> Block {
    let reward = req.fees + params.block_subsidy(req.height) as i64;
    let mut txdata = Vec::with_capacity(req.transactions.len() + 1);
    txdata.push(coinbase_transaction(
        req.height,
        req.coinbase_script,
        reward,
    ));
    txdata.extend(req.transactions);
    let mut block = Block {
        header: Header {
            version: Version::from_consensus(req.version),
            prev_blockhash: req.prev_hash,
            merkle_root: bitcoin::TxMerkleNode::all_zeros(),
            time: req.time,
            bits: req.bits,
            nonce: 0,
        },
        txdata,
    };
    add_witness_commitment(&mut block, req.height >= params.segwit_height);
    block.header.merkle_root = block_merkle_root(&block).0;
    block
}

/// Searches nonces from the current one until the header meets its target, as regtest's
/// `generate*` calls do. Returns false if every nonce was tried without success.
pub fn grind(block: &mut Block, params: &ChainParams) -> bool {
    loop {
        if check_proof_of_work(block.block_hash(), block.header.bits, params) {
            return true;
        }
        if block.header.nonce == u32::MAX {
            return false;
        }
        block.header.nonce += 1;
    }
}
