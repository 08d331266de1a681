//! Merkle roots with Core's mutation detection, and the witness commitment's place.

use bitcoin::hashes::{sha256d, Hash};
use bitcoin::{Block, TxMerkleNode};

/// The first bytes of a witness commitment output: `OP_RETURN`, a 36-byte push, `aa21a9ed`.
pub const WITNESS_COMMITMENT_HEADER: [u8; 6] = [0x6a, 0x24, 0xaa, 0x21, 0xa9, 0xed];

/// The merkle root of `leaves`, and whether some level repeats a pair of equal adjacent
/// hashes (`ComputeMerkleRoot`'s `mutated`): a transaction list that does so has the same
/// root as a shorter one (CVE-2012-2459).
pub fn merkle_root(mut level: Vec<[u8; 32]>) -> ([u8; 32], bool) {
    let mut mutated = false;
    while level.len() > 1 {
        mutated |= level.chunks_exact(2).any(|pair| pair[0] == pair[1]);
        if level.len() % 2 == 1 {
            if let Some(&last) = level.last() {
                level.push(last);
            }
        }
        level = level
            .chunks_exact(2)
            .map(|pair| {
                let mut engine = sha256d::Hash::engine();
                bitcoin::hashes::HashEngine::input(&mut engine, &pair[0]);
                bitcoin::hashes::HashEngine::input(&mut engine, &pair[1]);
                sha256d::Hash::from_engine(engine).to_byte_array()
            })
            .collect();
    }
    (level.first().copied().unwrap_or([0; 32]), mutated)
}

/// The merkle root of the block's transactions and whether the list is mutated.
pub fn block_merkle_root(block: &Block) -> (TxMerkleNode, bool) {
    let leaves = block
        .txdata
        .iter()
        .map(|tx| tx.compute_txid().to_byte_array())
        .collect();
    let (root, mutated) = merkle_root(leaves);
    (TxMerkleNode::from_byte_array(root), mutated)
}

/// The root over witness hashes, the coinbase's taken as zero (`BlockWitnessMerkleRoot`).
pub fn witness_merkle_root(block: &Block) -> [u8; 32] {
    let leaves = block
        .txdata
        .iter()
        .enumerate()
        .map(|(i, tx)| {
            if i == 0 {
                [0; 32]
            } else {
                tx.compute_wtxid().to_byte_array()
            }
        })
        .collect();
    merkle_root(leaves).0
}

/// The index of the coinbase output holding the witness commitment: the last one that
/// looks like one (`GetWitnessCommitmentIndex`).
pub fn witness_commitment_index(block: &Block) -> Option<usize> {
    let coinbase = block.txdata.first()?;
    coinbase.output.iter().rposition(|o| {
        let s = o.script_pubkey.as_bytes();
        s.len() >= 38 && s[..6] == WITNESS_COMMITMENT_HEADER
    })
}

/// The commitment value for a witness root and reserved value.
pub fn witness_commitment(witness_root: &[u8; 32], reserved: &[u8]) -> [u8; 32] {
    let mut engine = sha256d::Hash::engine();
    bitcoin::hashes::HashEngine::input(&mut engine, witness_root);
    bitcoin::hashes::HashEngine::input(&mut engine, reserved);
    sha256d::Hash::from_engine(engine).to_byte_array()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeated_tail_is_a_mutation_with_the_same_root() {
        let a = [1u8; 32];
        let b = [2u8; 32];
        let c = [3u8; 32];
        let (r3, m3) = merkle_root(vec![a, b, c]);
        let (r4, m4) = merkle_root(vec![a, b, c, c]);
        assert_eq!(r3, r4);
        assert!(!m3);
        assert!(m4);
        assert_eq!(merkle_root(vec![a]).0, a);
        assert_eq!(merkle_root(Vec::new()).0, [0; 32]);
    }

    #[test]
    fn matches_rust_bitcoin_for_genesis() {
        let g = bitcoin::constants::genesis_block(bitcoin::Network::Regtest);
        assert_eq!(block_merkle_root(&g).0, g.header.merkle_root);
    }
}
