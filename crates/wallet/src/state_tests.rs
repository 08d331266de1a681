//! Core's transaction-state rules on a wallet without a node: confirmations, maturity,
//! trust, conflicts through blocks and the pool, reorganisations and persistence records.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use bitcoin::absolute::LockTime;
use bitcoin::bip32::Xpriv;
use bitcoin::hashes::Hash;
use bitcoin::transaction::Version;
use bitcoin::{
    Amount, Block, BlockHash, CompactTarget, Network, NetworkKind, OutPoint, ScriptBuf, Sequence,
    Transaction, TxIn, TxMerkleNode, TxOut, Txid, Witness,
};
use walletdb::records::OutputType;

use super::*;
use crate::spkm::DescriptorSpkm;

#[derive(Default)]
struct FakeChain {
    blocks: HashMap<BlockHash, (i64, i64, i32, bool)>,
    pool: HashSet<Txid>,
}

impl BlockLookup for FakeChain {
    fn block(&self, hash: &BlockHash) -> Option<(i64, i64, i32, bool)> {
        self.blocks.get(hash).copied()
    }
    fn in_mempool(&self, txid: &Txid) -> bool {
        self.pool.contains(txid)
    }
    fn locator(&self, hash: &BlockHash) -> Vec<BlockHash> {
        vec![*hash]
    }
    fn now(&self) -> i64 {
        1_700_000_000
    }
}

fn wallet() -> (WalletState, ScriptBuf, ScriptBuf) {
    let mut st = WalletState::new(
        "w",
        Network::Regtest,
        WalletOptions {
            keypool_size: 20,
            ..WalletOptions::default()
        },
    );
    let master = Xpriv::new_master(NetworkKind::Test, &[3u8; 32]).unwrap();
    let (spkm, _) =
        DescriptorSpkm::generate(&master, OutputType::Bech32, false, Network::Regtest, 0, 20)
            .unwrap();
    let id = spkm.id;
    // Keys made at time 0: every block may hold the wallet's transactions.
    st.birth_time = 0;
    st.add_spkm(spkm);
    st.set_active(id, OutputType::Bech32, false);
    let mine = st.new_destination(OutputType::Bech32, "").unwrap();
    let mine2 = st.new_destination(OutputType::Bech32, "").unwrap();
    (st, mine, mine2)
}

fn tx(inputs: &[OutPoint], outputs: &[(ScriptBuf, u64)]) -> Arc<Transaction> {
    Arc::new(Transaction {
        version: Version::TWO,
        lock_time: LockTime::ZERO,
        input: if inputs.is_empty() {
            vec![TxIn {
                previous_output: OutPoint::null(),
                script_sig: ScriptBuf::from_bytes(vec![1, 1]),
                sequence: Sequence::MAX,
                witness: Witness::new(),
            }]
        } else {
            inputs
                .iter()
                .map(|o| TxIn {
                    previous_output: *o,
                    script_sig: ScriptBuf::new(),
                    sequence: Sequence::ENABLE_RBF_NO_LOCKTIME,
                    witness: Witness::new(),
                })
                .collect()
        },
        output: outputs
            .iter()
            .map(|(s, v)| TxOut {
                value: Amount::from_sat(*v),
                script_pubkey: s.clone(),
            })
            .collect(),
    })
}

fn other() -> ScriptBuf {
    ScriptBuf::new_p2wsh(&bitcoin::WScriptHash::all_zeros())
}

/// Connects a block at `height` holding `txs` (after a coinbase to nobody).
fn connect(
    st: &mut WalletState,
    chain: &mut FakeChain,
    height: i32,
    txs: &[Arc<Transaction>],
) -> BlockHash {
    let mut txdata = vec![(*tx(&[], &[(other(), 50)])).clone()];
    txdata[0].lock_time = LockTime::from_consensus(height as u32);
    txdata.extend(txs.iter().map(|t| (**t).clone()));
    let block = Block {
        header: bitcoin::block::Header {
            version: bitcoin::block::Version::TWO,
            prev_blockhash: st.last_block.map(|b| b.0).unwrap_or(BlockHash::all_zeros()),
            merkle_root: TxMerkleNode::all_zeros(),
            time: 1_700_000_000 + height as u32,
            bits: CompactTarget::from_consensus(0x207fffff),
            nonce: height as u32,
        },
        txdata,
    };
    let hash = block.block_hash();
    chain.blocks.insert(
        hash,
        (
            i64::from(block.header.time),
            i64::from(block.header.time),
            height,
            true,
        ),
    );
    for t in txs {
        chain.pool.remove(&t.compute_txid());
    }
    let info = interfaces::BlockInfo {
        hash,
        prev_hash: block.header.prev_blockhash,
        height,
        chain_time_max: i64::from(block.header.time),
        data: Arc::new(block),
    };
    st.block_connected(&info, chain).unwrap();
    hash
}

fn disconnect(
    st: &mut WalletState,
    chain: &mut FakeChain,
    hash: BlockHash,
    txs: &[Arc<Transaction>],
) {
    let (_, _, height, _) = chain.blocks[&hash];
    let mut txdata = vec![(*tx(&[], &[(other(), 50)])).clone()];
    txdata[0].lock_time = LockTime::from_consensus(height as u32);
    txdata.extend(txs.iter().map(|t| (**t).clone()));
    let block = Block {
        header: bitcoin::block::Header {
            version: bitcoin::block::Version::TWO,
            prev_blockhash: BlockHash::all_zeros(),
            merkle_root: TxMerkleNode::all_zeros(),
            time: 0,
            bits: CompactTarget::from_consensus(0x207fffff),
            nonce: 0,
        },
        txdata,
    };
    chain.blocks.get_mut(&hash).unwrap().3 = false;
    let info = interfaces::BlockInfo {
        hash,
        prev_hash: BlockHash::all_zeros(),
        height,
        chain_time_max: 0,
        data: Arc::new(block),
    };
    st.block_disconnected(&info, chain).unwrap();
}

#[test]
fn a_received_coinbase_matures_after_100_confirmations() {
    let (mut st, mine, _) = wallet();
    let mut chain = FakeChain::default();
    let cb = tx(&[], &[(mine.clone(), 5_000_000_000)]);
    // The coinbase itself is the block's first transaction.
    let hash = {
        let block = Block {
            header: bitcoin::block::Header {
                version: bitcoin::block::Version::TWO,
                prev_blockhash: BlockHash::all_zeros(),
                merkle_root: TxMerkleNode::all_zeros(),
                time: 1_700_000_001,
                bits: CompactTarget::from_consensus(0x207fffff),
                nonce: 1,
            },
            txdata: vec![(*cb).clone()],
        };
        let hash = block.block_hash();
        chain
            .blocks
            .insert(hash, (1_700_000_001, 1_700_000_001, 1, true));
        st.block_connected(
            &interfaces::BlockInfo {
                hash,
                prev_hash: BlockHash::all_zeros(),
                height: 1,
                chain_time_max: 1_700_000_001,
                data: Arc::new(block),
            },
            &chain,
        )
        .unwrap();
        hash
    };
    let wtx = &st.txs[&cb.compute_txid()];
    assert!(
        matches!(wtx.state, TxState::Confirmed { block_hash, height: 1, index: 0 } if block_hash == hash)
    );
    assert_eq!(st.depth(wtx), 1);
    assert_eq!(st.blocks_to_maturity(wtx), 100);
    assert_eq!(st.balance(0, false, false).immature, 5_000_000_000);
    assert_eq!(st.balance(0, false, false).trusted, 0);
    for h in 2..=100 {
        connect(&mut st, &mut chain, h, &[]);
    }
    assert_eq!(st.balance(0, false, false).immature, 5_000_000_000);
    connect(&mut st, &mut chain, 101, &[]);
    let b = st.balance(0, false, false);
    assert_eq!((b.immature, b.trusted), (0, 5_000_000_000));
    assert!(st
        .take_changes()
        .iter()
        .any(|c| matches!(c, Change::Write(Record::Tx { .. }))));
}

#[test]
fn pool_transactions_from_others_are_untrusted_until_confirmed() {
    let (mut st, mine, _) = wallet();
    let mut chain = FakeChain::default();
    connect(&mut st, &mut chain, 1, &[]);
    let incoming = tx(&[OutPoint::new(Txid::all_zeros(), 7)], &[(mine, 100_000)]);
    chain.pool.insert(incoming.compute_txid());
    st.transaction_added_to_mempool(&incoming, &chain).unwrap();
    let b = st.balance(0, false, false);
    assert_eq!((b.trusted, b.untrusted_pending), (0, 100_000));
    connect(&mut st, &mut chain, 2, std::slice::from_ref(&incoming));
    let b = st.balance(0, false, false);
    assert_eq!((b.trusted, b.untrusted_pending), (100_000, 0));
    assert_eq!(
        st.balance(2, false, false).trusted,
        0,
        "minconf counts confirmations"
    );
}

#[test]
fn a_block_spending_our_coin_elsewhere_conflicts_our_spend_until_it_is_disconnected() {
    let (mut st, mine, mine2) = wallet();
    let mut chain = FakeChain::default();
    let funding = tx(
        &[OutPoint::new(Txid::all_zeros(), 9)],
        &[(mine.clone(), 200_000)],
    );
    connect(&mut st, &mut chain, 1, std::slice::from_ref(&funding));
    let coin = OutPoint::new(funding.compute_txid(), 0);
    // Our spend, in the pool, and a child of it.
    let ours = tx(&[coin], &[(mine2.clone(), 150_000)]);
    chain.pool.insert(ours.compute_txid());
    st.transaction_added_to_mempool(&ours, &chain).unwrap();
    let child = tx(
        &[OutPoint::new(ours.compute_txid(), 0)],
        &[(other(), 100_000)],
    );
    chain.pool.insert(child.compute_txid());
    st.transaction_added_to_mempool(&child, &chain).unwrap();
    assert!(st.is_spent(&coin));
    // A block confirms a different spend of the same coin.
    let theirs = tx(&[coin], &[(other(), 190_000)]);
    chain.pool.remove(&ours.compute_txid());
    chain.pool.remove(&child.compute_txid());
    let block = connect(&mut st, &mut chain, 2, std::slice::from_ref(&theirs));
    let w = &st.txs[&ours.compute_txid()];
    assert!(w.is_block_conflicted(), "{:?}", w.state);
    assert_eq!(st.depth(w), -1);
    assert!(
        st.txs[&child.compute_txid()].is_block_conflicted(),
        "descendants too"
    );
    connect(&mut st, &mut chain, 3, &[]);
    assert_eq!(st.depth(&st.txs[&ours.compute_txid()]), -2);
    assert!(st.is_spent(&coin), "the confirmed spend is ours to know of");
    assert_eq!(st.how_spent(&coin), SpendType::Confirmed);

    // Reorganising the block out makes our spend inactive again.
    let b3 = st.last_block.unwrap().0;
    disconnect(&mut st, &mut chain, b3, &[]);
    disconnect(&mut st, &mut chain, block, std::slice::from_ref(&theirs));
    assert!(matches!(
        st.txs[&ours.compute_txid()].state,
        TxState::Inactive { abandoned: false }
    ));
    assert!(matches!(
        st.txs[&child.compute_txid()].state,
        TxState::Inactive { abandoned: false }
    ));
    assert_eq!(st.last_block_height(), 1);
    // Not in the pool and not abandoned: it still spends the coin (Core's rule).
    assert_eq!(st.how_spent(&coin), SpendType::NonMempool);
    // Counted as available, and again, negatively, as spent outside the pool.
    let b = st.balance(0, false, true);
    assert_eq!((b.trusted, b.nonmempool), (200_000, -200_000));
    assert_eq!(st.balance(0, false, false).trusted, 0);
}

#[test]
fn a_replacement_in_the_pool_marks_the_original_mempool_conflicted() {
    let (mut st, mine, mine2) = wallet();
    let mut chain = FakeChain::default();
    let funding = tx(
        &[OutPoint::new(Txid::all_zeros(), 9)],
        &[(mine.clone(), 200_000)],
    );
    connect(&mut st, &mut chain, 1, std::slice::from_ref(&funding));
    let coin = OutPoint::new(funding.compute_txid(), 0);
    let first = tx(&[coin], &[(mine2.clone(), 150_000)]);
    chain.pool.insert(first.compute_txid());
    st.transaction_added_to_mempool(&first, &chain).unwrap();
    let second = tx(&[coin], &[(mine2, 140_000)]);
    chain.pool.remove(&first.compute_txid());
    chain.pool.insert(second.compute_txid());
    st.transaction_removed_from_mempool(&first, false, &chain)
        .unwrap();
    st.transaction_added_to_mempool(&second, &chain).unwrap();
    let f = &st.txs[&first.compute_txid()];
    assert!(f.mempool_conflicts.contains(&second.compute_txid()));
    assert!(matches!(f.state, TxState::Inactive { abandoned: false }));
    assert_eq!(st.how_spent(&coin), SpendType::Mempool);
    // The replacement is ours and in the pool: its change is trusted.
    assert_eq!(st.balance(0, false, false).trusted, 140_000);
}
