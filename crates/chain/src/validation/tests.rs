//! Blocks built on regtest and run through all three stages; one invalid block per
//! reject reason, each leaving the chain as it was.

use std::collections::HashMap;

use bitcoin::absolute::LockTime;
use bitcoin::hashes::Hash;
use bitcoin::transaction::Version as TxVersion;
use bitcoin::{
    Amount, Block, BlockHash, OutPoint, ScriptBuf, Sequence, Transaction, TxIn, TxOut, Witness,
};

use super::*;
use crate::assemble::{assemble_block, grind, BlockRequest};
use crate::validation::merkle::block_merkle_root;
use crate::{ChainParams, Coin};

const OP_TRUE: u8 = 0x51;

fn op_true() -> ScriptBuf {
    ScriptBuf::from_bytes(vec![OP_TRUE])
}

/// A chain in memory: blocks, median times and the coin set.
struct TestChain {
    params: ChainParams,
    blocks: Vec<Block>,
    undo: Vec<crate::BlockUndo>,
    coins: HashMap<OutPoint, Coin>,
}

impl TestChain {
    fn new(params: ChainParams) -> TestChain {
        let genesis = params.genesis.clone();
        TestChain {
            params,
            blocks: vec![genesis],
            undo: vec![crate::BlockUndo::default()],
            coins: HashMap::new(),
        }
    }

    fn height(&self) -> u32 {
        self.blocks.len() as u32 - 1
    }

    fn tip(&self) -> BlockHash {
        self.blocks[self.blocks.len() - 1].block_hash()
    }

    fn mtp(&self, height: u32) -> i64 {
        let lo = (height as usize + 1).saturating_sub(11);
        let mut times: Vec<i64> = self.blocks[lo..=height as usize]
            .iter()
            .map(|b| b.header.time as i64)
            .collect();
        times.sort_unstable();
        times[times.len() / 2]
    }

    /// A block on the tip with `txs` (fees counted from the coin set), not yet ground.
    fn build(&self, txs: Vec<Transaction>) -> Block {
        let mut fees = 0;
        let mut made: HashMap<OutPoint, i64> = HashMap::new();
        for tx in &txs {
            let txid = tx.compute_txid();
            for (vout, o) in tx.output.iter().enumerate() {
                made.insert(
                    OutPoint {
                        txid,
                        vout: vout as u32,
                    },
                    o.value.to_sat() as i64,
                );
            }
            let value_in: i64 = tx
                .input
                .iter()
                .map(|i| {
                    self.coins
                        .get(&i.previous_output)
                        .map(|c| c.output.value.to_sat() as i64)
                        .or_else(|| made.get(&i.previous_output).copied())
                        .unwrap_or(0)
                })
                .sum();
            let value_out: i64 = tx.output.iter().map(|o| o.value.to_sat() as i64).sum();
            fees += (value_in - value_out).max(0);
        }
        let height = self.height() + 1;
        assemble_block(
            &self.params,
            BlockRequest {
                prev_hash: self.tip(),
                height,
                version: 0x2000_0000,
                time: self.blocks[self.blocks.len() - 1].header.time + 1,
                bits: self.params.genesis.header.bits,
                coinbase_script: op_true(),
                transactions: txs,
                fees,
            },
        )
    }

    /// Every check Core makes of a block at the tip, without changing anything.
    fn validate(&self, block: &Block) -> Result<ConnectedBlock, BlockError> {
        check_block(block, &self.params, true, true)?;
        let prev = PrevBlock {
            height: self.height(),
            median_time_past: self.mtp(self.height()),
        };
        contextual_check_block(block, &self.params, Some(prev))?;
        let mtp_at = |h: u32| self.mtp(h);
        let ctx = ConnectContext {
            height: self.height() + 1,
            hash: block.block_hash(),
            prev_median_time_past: prev.median_time_past,
            median_time_past_at: &mtp_at,
            bip34_ancestor: self
                .blocks
                .get(self.params.bip34_height as usize)
                .map(|b| b.block_hash()),
            check_scripts: true,
            script_threads: 2,
            script_cache: None,
        };
        connect_block(block, &self.params, &ctx, &self.coins)
    }

    fn connect(&mut self, block: Block) -> Result<ConnectedBlock, BlockError> {
        let changes = self.validate(&block)?;
        changes.apply_to(&mut self.coins);
        self.blocks.push(block);
        self.undo.push(changes.undo.clone());
        Ok(changes)
    }

    /// Undoes the tip; the view must have held exactly what it made.
    fn disconnect_tip(&mut self) -> Block {
        let height = self.height();
        let block = self.blocks.pop().expect("a tip");
        let undo = self.undo.pop().expect("its undo");
        let d = disconnect_block(&block, height, &undo, &self.coins).expect("disconnects");
        assert!(d.clean, "unclean disconnect at {height}");
        d.apply_to(&mut self.coins);
        block
    }

    fn mine(&mut self, txs: Vec<Transaction>) -> Block {
        let mut b = self.build(txs);
        assert!(grind(&mut b, &self.params));
        self.connect(b.clone()).expect("valid block");
        b
    }

    fn coinbase_outpoint(&self, height: u32) -> OutPoint {
        OutPoint {
            txid: self.blocks[height as usize].txdata[0].compute_txid(),
            vout: 0,
        }
    }
}

fn spend(prevouts: &[OutPoint], outputs: Vec<TxOut>) -> Transaction {
    Transaction {
        version: TxVersion::TWO,
        lock_time: LockTime::ZERO,
        input: prevouts
            .iter()
            .map(|o| TxIn {
                previous_output: *o,
                script_sig: ScriptBuf::new(),
                sequence: Sequence::MAX,
                witness: Witness::new(),
            })
            .collect(),
        output: outputs,
    }
}

fn out(sats: u64, script: ScriptBuf) -> TxOut {
    TxOut {
        value: Amount::from_sat(sats),
        script_pubkey: script,
    }
}

/// A chain of 110 blocks whose first ten coinbases are mature.
fn mature_chain() -> TestChain {
    let mut c = TestChain::new(ChainParams::regtest());
    for _ in 0..110 {
        c.mine(Vec::new());
    }
    c
}

fn ground(mut b: Block, c: &TestChain) -> Block {
    assert!(grind(&mut b, &c.params));
    b
}

/// Rebuilds the merkle root (and, if present, the witness commitment) after an edit.
fn refresh(block: &mut Block) {
    let commit = super::witness_commitment_index(block);
    if let Some(pos) = commit {
        block.txdata[0].output.remove(pos);
        let segwit = !block.txdata[0].input[0].witness.is_empty();
        crate::assemble::add_witness_commitment(block, segwit);
    }
    block.header.merkle_root = block_merkle_root(block).0;
}

#[test]
fn valid_blocks_with_transactions_connect_and_undo_matches() {
    let mut c = mature_chain();
    let coin = c.coinbase_outpoint(1);
    let a = spend(
        &[coin],
        vec![out(4_000_000_000, op_true()), out(999_990_000, op_true())],
    );
    let a_out = OutPoint {
        txid: a.compute_txid(),
        vout: 0,
    };
    // A child in the same block: its parent's coin never reaches the coin set.
    let b = spend(&[a_out], vec![out(3_999_980_000, op_true())]);
    let before = c.coins.len();
    let mut block = c.build(vec![a.clone(), b.clone()]);
    assert!(grind(&mut block, &c.params));
    let changes = c.connect(block).expect("valid");
    assert_eq!(changes.fees, 30_000);
    assert_eq!(changes.spent, vec![coin]);
    assert_eq!(changes.undo.txs.len(), 2);
    assert_eq!(changes.undo.txs[0].prevouts[0].height, 1);
    assert!(changes.undo.txs[0].prevouts[0].is_coinbase);
    assert_eq!(changes.undo.txs[1].prevouts[0].height, 111);
    assert!(!c.coins.contains_key(&a_out));
    // The coinbase, a's second output and b's output are new; the witness commitment is not a coin.
    assert_eq!(c.coins.len(), before - 1 + 3);
    let cb = &c.blocks[111].txdata[0];
    assert_eq!(cb.output[0].value.to_sat(), 5_000_000_000 + 30_000);
}

/// The invalid blocks: each a mutation of a valid block on the same tip.
#[test]
fn invalid_blocks_are_rejected_with_cores_reasons_and_change_nothing() {
    let mut c = mature_chain();
    let mature = c.coinbase_outpoint(2);
    let fresh = c.coinbase_outpoint(100);
    let spend_ok = || spend(&[mature], vec![out(4_999_000_000, op_true())]);
    let false_script = {
        // An output nobody can spend: its script leaves false on the stack.
        let t = spend(
            &[c.coinbase_outpoint(3)],
            vec![out(4_999_000_000, ScriptBuf::from_bytes(vec![0x00]))],
        );
        c.mine(vec![t.clone()]);
        OutPoint {
            txid: t.compute_txid(),
            vout: 0,
        }
    };
    let tip = c.tip();
    let coins_before = c.coins.clone();

    type Edit<'a> = Box<dyn Fn(&TestChain) -> Block + 'a>;
    let cases: Vec<(&str, Edit<'_>)> = vec![
        (
            "high-hash",
            Box::new(|c: &TestChain| {
                let mut b = c.build(vec![]);
                while check_block(&b, &c.params, true, true).is_ok() {
                    b.header.nonce += 1;
                }
                b
            }),
        ),
        (
            "bad-txnmrklroot",
            Box::new(move |c: &TestChain| {
                let mut b = c.build(vec![spend_ok()]);
                b.header.merkle_root = bitcoin::TxMerkleNode::from_byte_array([7; 32]);
                ground(b, c)
            }),
        ),
        (
            "bad-txns-duplicate",
            Box::new(move |c: &TestChain| {
                let t1 = spend_ok();
                let t2 = spend(&[c.coinbase_outpoint(4)], vec![out(1_000, op_true())]);
                let mut b = c.build(vec![t1, t2.clone()]);
                b.txdata.push(t2);
                // Same root as without the repeat: only the mutation check can tell.
                ground(b, c)
            }),
        ),
        (
            "bad-blk-length",
            Box::new(|c: &TestChain| {
                let mut b = c.build(vec![]);
                b.txdata.clear();
                b.header.merkle_root = bitcoin::TxMerkleNode::from_byte_array([0; 32]);
                ground(b, c)
            }),
        ),
        (
            "bad-cb-missing",
            Box::new(move |c: &TestChain| {
                let mut b = c.build(vec![spend_ok()]);
                b.txdata.remove(0);
                refresh(&mut b);
                ground(b, c)
            }),
        ),
        (
            "bad-cb-multiple",
            Box::new(|c: &TestChain| {
                let mut b = c.build(vec![]);
                let mut second = b.txdata[0].clone();
                second.lock_time = LockTime::from_consensus(1);
                b.txdata.push(second);
                refresh(&mut b);
                ground(b, c)
            }),
        ),
        (
            "bad-txns-vout-empty",
            Box::new(|c: &TestChain| {
                let mut t = spend(&[c.coinbase_outpoint(5)], vec![]);
                t.output.clear();
                ground(c.build(vec![t]), c)
            }),
        ),
        (
            "bad-blk-sigops",
            Box::new(|c: &TestChain| {
                // 20,001 legacy sigops, one over the limit (80,000 / 4).
                let script = ScriptBuf::from_bytes(vec![0xac; 20_001]);
                let t = spend(&[c.coinbase_outpoint(6)], vec![out(1_000, script)]);
                ground(c.build(vec![t]), c)
            }),
        ),
        (
            "bad-txns-nonfinal",
            Box::new(|c: &TestChain| {
                let mut t = spend(&[c.coinbase_outpoint(7)], vec![out(1_000, op_true())]);
                t.lock_time = LockTime::from_consensus(c.height() + 5);
                t.input[0].sequence = Sequence::ENABLE_LOCKTIME_NO_RBF;
                ground(c.build(vec![t]), c)
            }),
        ),
        (
            "bad-cb-height",
            Box::new(|c: &TestChain| {
                let mut b = c.build(vec![]);
                b.txdata[0].input[0].script_sig = ScriptBuf::from_bytes(vec![0x01, 0x05, 0x00]);
                refresh(&mut b);
                ground(b, c)
            }),
        ),
        (
            "bad-witness-nonce-size",
            Box::new(|c: &TestChain| {
                let mut b = c.build(vec![]);
                b.txdata[0].input[0].witness = Witness::from_slice(&[[0u8; 31]]);
                b.header.merkle_root = block_merkle_root(&b).0;
                ground(b, c)
            }),
        ),
        (
            "bad-witness-merkle-match",
            Box::new(|c: &TestChain| {
                let mut b = c.build(vec![]);
                let last = b.txdata[0].output.len() - 1;
                let mut s = b.txdata[0].output[last].script_pubkey.to_bytes();
                s[10] ^= 1;
                b.txdata[0].output[last].script_pubkey = ScriptBuf::from_bytes(s);
                b.header.merkle_root = block_merkle_root(&b).0;
                ground(b, c)
            }),
        ),
        (
            "unexpected-witness",
            Box::new(|c: &TestChain| {
                let mut t = spend(&[c.coinbase_outpoint(8)], vec![out(1_000, op_true())]);
                t.input[0].witness = Witness::from_slice(&[[1u8; 3]]);
                let mut b = c.build(vec![t]);
                let last = b.txdata[0].output.len() - 1;
                b.txdata[0].output.remove(last);
                b.txdata[0].input[0].witness = Witness::new();
                b.header.merkle_root = block_merkle_root(&b).0;
                ground(b, c)
            }),
        ),
        (
            "bad-blk-weight",
            Box::new(|c: &TestChain| {
                // Witness bytes count once, base bytes four times: 4 MB of witness
                // passes the size check but not the weight check.
                let mut t = spend(&[c.coinbase_outpoint(9)], vec![out(1_000, op_true())]);
                t.input[0].witness = Witness::from_slice(&[vec![0u8; 4_000_000]]);
                ground(c.build(vec![t]), c)
            }),
        ),
        (
            "bad-txns-inputs-missingorspent",
            Box::new(|c: &TestChain| {
                let missing = OutPoint {
                    txid: bitcoin::Txid::from_byte_array([9; 32]),
                    vout: 0,
                };
                ground(c.build(vec![spend(&[missing], vec![out(1, op_true())])]), c)
            }),
        ),
        (
            "bad-txns-premature-spend-of-coinbase",
            Box::new(move |c: &TestChain| {
                ground(c.build(vec![spend(&[fresh], vec![out(1, op_true())])]), c)
            }),
        ),
        (
            "bad-cb-amount",
            Box::new(|c: &TestChain| {
                let mut b = c.build(vec![]);
                b.txdata[0].output[0].value += Amount::from_sat(1);
                refresh(&mut b);
                ground(b, c)
            }),
        ),
        (
            "block-script-verify-flag-failed (Script evaluated without error but finished with a false/empty top stack element)",
            Box::new(move |c: &TestChain| {
                ground(c.build(vec![spend(&[false_script], vec![out(1, op_true())])]), c)
            }),
        ),
        (
            "bad-txns-nonfinal",
            Box::new(|c: &TestChain| {
                // BIP68: a relative lock of 200 blocks on a coin about 100 blocks deep.
                let mut t = spend(&[c.coinbase_outpoint(10)], vec![out(1, op_true())]);
                t.input[0].sequence = Sequence::from_height(200);
                ground(c.build(vec![t]), c)
            }),
        ),
    ];
    for (reason, make) in cases {
        let block = make(&c);
        let err = c.connect(block).expect_err(reason);
        assert_eq!(err.reason(), reason, "{err}");
        assert_eq!(c.tip(), tip, "{reason} moved the tip");
        assert_eq!(c.coins, coins_before, "{reason} changed the coins");
    }
}

#[test]
fn bip30_rejects_a_repeated_coinbase_before_bip34() {
    // As with -testactivationheight=bip34@1000: coinbases need not carry the height yet.
    let mut params = ChainParams::regtest();
    params.bip34_height = 1000;
    let mut c = TestChain::new(params);
    c.mine(Vec::new());
    let mut b = c.build(Vec::new());
    b.txdata[0] = c.blocks[1].txdata[0].clone();
    refresh(&mut b);
    assert!(grind(&mut b, &c.params));
    assert_eq!(c.connect(b).expect_err("BIP30").reason(), "bad-txns-BIP30");
}

/// `depth` blocks of spends (with in-block chains) on the tip, from mature coinbase `first`.
fn branch(c: &mut TestChain, depth: u32, first: u32, fee: u64) {
    for k in 0..depth {
        let coin = c.coinbase_outpoint(first + k);
        let a = spend(
            &[coin],
            vec![
                out(2_000_000_000, op_true()),
                out(2_999_000_000 - fee, op_true()),
            ],
        );
        let child = spend(
            &[OutPoint {
                txid: a.compute_txid(),
                vout: 1,
            }],
            vec![out(2_999_000_000 - 2 * fee, op_true())],
        );
        c.mine(vec![a, child]);
    }
}

fn reorg(depth: u32) {
    let mut c = mature_chain();
    let fork_height = c.height();
    let fork_coins = c.coins.clone();
    let fork_hash = crate::coinstats::hash_serialized_3(&c.coins);
    branch(&mut c, depth, 1, 1_000);
    // Disconnect the old branch: back to the fork's exact coin set.
    let mut old = Vec::new();
    while c.height() > fork_height {
        old.push(c.disconnect_tip());
    }
    assert_eq!(c.coins, fork_coins);
    assert_eq!(crate::coinstats::hash_serialized_3(&c.coins), fork_hash);
    // The new branch is longer and spends some of the same coins differently.
    branch(&mut c, depth + 1, 1, 2_000);
    assert_ne!(
        c.blocks[fork_height as usize + 1].block_hash(),
        old[old.len() - 1].block_hash()
    );
    // The same coins as a node that only ever saw the new branch.
    let mut fresh = TestChain::new(ChainParams::regtest());
    for b in &c.blocks[1..] {
        fresh.connect(b.clone()).expect("valid on a clean run");
    }
    assert_eq!(fresh.coins, c.coins);
    // And back again: undoing everything empties the set.
    while c.height() > 0 {
        c.disconnect_tip();
    }
    assert!(c.coins.is_empty());
}

#[test]
fn reorg_of_one_block() {
    reorg(1);
}

#[test]
fn reorg_of_twenty_blocks() {
    reorg(20);
}

#[test]
fn disconnect_rejects_undo_data_of_another_shape_and_notes_unclean_views() {
    let mut c = mature_chain();
    branch(&mut c, 1, 1, 1_000);
    let tip = c.blocks[c.blocks.len() - 1].clone();
    let undo = c.undo[c.undo.len() - 1].clone();
    let h = c.height();
    let mut short = undo.clone();
    short.txs.pop();
    assert_eq!(
        disconnect_block(&tip, h, &short, &c.coins),
        Err(DisconnectError::BlockUndoMismatch)
    );
    let mut fewer = undo.clone();
    fewer.txs[0].prevouts.clear();
    assert_eq!(
        disconnect_block(&tip, h, &fewer, &c.coins),
        Err(DisconnectError::TxUndoMismatch)
    );
    // A view missing one of the block's outputs (as after an interrupted flush) still
    // disconnects, flagged unclean.
    let mut partial = c.coins.clone();
    partial.remove(&OutPoint {
        txid: tip.txdata[0].compute_txid(),
        vout: 0,
    });
    let d = disconnect_block(&tip, h, &undo, &partial).expect("disconnects");
    assert!(!d.clean);
}
