//! Building, funding, signing, committing and bumping against a fake node.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;

use bitcoin::bip32::Xpriv;
use bitcoin::hashes::Hash;
use bitcoin::{
    Amount, BlockHash, Network, NetworkKind, OutPoint, ScriptBuf, Sequence, Transaction, TxIn,
    TxOut, Txid,
};
use coinselection::{FeeRate, SeededRng};
use walletdb::records::OutputType;

use super::available::{available_coins, CoinFilterParams};
use super::commit::{commit_transaction, CommitInfo};
use super::create::{create_transaction, fund_transaction};
use super::testnode::FakeNode;
use super::{Recipient, SpendError};
use crate::coincontrol::CoinControl;
use crate::state::{BlockLookup, WalletOptions, WalletState};
use crate::tx::TxState;

const COIN: i64 = 100_000_000;

struct Blocks;

impl BlockLookup for Blocks {
    fn block(&self, _hash: &BlockHash) -> Option<(i64, i64, i32, bool)> {
        Some((1_700_000_000, 1_700_000_000, 1, true))
    }
    fn in_mempool(&self, _txid: &Txid) -> bool {
        false
    }
    fn locator(&self, hash: &BlockHash) -> Vec<BlockHash> {
        vec![*hash]
    }
    fn now(&self) -> i64 {
        1_700_000_000
    }
}

fn tip() -> BlockHash {
    BlockHash::from_byte_array([7; 32])
}

/// A wallet with the eight default descriptors from a fixed seed.
fn wallet() -> WalletState {
    let options = WalletOptions {
        keypool_size: 5,
        fallback_fee: 20_000,
        ..WalletOptions::default()
    };
    let mut st = WalletState::new("t", Network::Regtest, options);
    let master = Xpriv::new_master(NetworkKind::Test, &[1u8; 32]).unwrap();
    crate::load::setup_descriptors_from(&mut st, &master, 1_600_000_000).unwrap();
    st.last_block = Some((tip(), 200));
    st.take_changes();
    st
}

/// Pays `amount` to a new address of the wallet in a confirmed transaction.
fn fund(st: &mut WalletState, amount: i64, n: u8) -> OutPoint {
    let script = st.new_destination(OutputType::Bech32, "").unwrap();
    let tx = Transaction {
        version: bitcoin::transaction::Version(2),
        lock_time: bitcoin::absolute::LockTime::ZERO,
        input: vec![TxIn {
            previous_output: OutPoint::new(Txid::from_byte_array([n; 32]), 0),
            script_sig: ScriptBuf::new(),
            sequence: Sequence::MAX,
            witness: Default::default(),
        }],
        output: vec![TxOut {
            value: Amount::from_sat(amount as u64),
            script_pubkey: script,
        }],
    };
    let state = TxState::Confirmed {
        block_hash: tip(),
        height: 150,
        index: 1,
    };
    let txid = st.add_to_wallet(Arc::new(tx), state, None, false, &Blocks);
    OutPoint::new(txid, 0)
}

fn payee(amount: i64) -> Recipient {
    Recipient {
        script: ScriptBuf::from_bytes([vec![0x00, 0x14], vec![0x42; 20]].concat()),
        amount,
        subtract_fee: false,
    }
}

fn fee_rate_cc(sat_per_kvb: i64) -> CoinControl {
    let mut cc = CoinControl::default();
    cc.fee_rate = Some(FeeRate::from_sat_per_kvb(sat_per_kvb));
    cc
}

#[test]
fn sends_with_change_at_the_fee_rate_asked() {
    let mut st = wallet();
    fund(&mut st, COIN, 1);
    let node = FakeNode::default();
    let mut rng = SeededRng::new(3);
    let cc = fee_rate_cc(2000);
    let r = create_transaction(
        &mut st,
        &node,
        &[payee(COIN / 4)],
        None,
        &cc,
        true,
        &mut rng,
    )
    .unwrap();
    assert_eq!(r.tx.input.len(), 1);
    assert_eq!(r.tx.output.len(), 2);
    let pos = r.change_pos.unwrap();
    let change = &r.tx.output[pos];
    assert!(st.is_change(&change.script_pubkey));
    assert_eq!(r.tx.output[1 - pos].value.to_sat() as i64, COIN / 4);
    // 1 P2WPKH input and 2 P2WPKH outputs: 141 vbytes; the signature may be a byte short.
    assert_eq!(r.fee, 282);
    let vsize = r.tx.weight().to_vbytes_ceil() as i64;
    assert!((140..=141).contains(&vsize));
    assert_eq!(
        r.tx.input[0].sequence.0,
        super::create::MAX_BIP125_RBF_SEQUENCE
    );
    assert_eq!(r.tx.input[0].witness.len(), 2);
    // The chain is current, so the lock time is at (or just below) the tip.
    let lt = r.tx.lock_time.to_consensus_u32();
    assert!(lt <= 200);
}

#[test]
fn anti_fee_sniping_needs_a_current_tip() {
    let mut st = wallet();
    fund(&mut st, COIN, 1);
    let mut node = FakeNode::default();
    node.block_times.insert(tip(), node.now - 60);
    let cc = fee_rate_cc(1000);
    let mut saw_tip = false;
    for seed in 0..20 {
        let mut rng = SeededRng::new(seed);
        let r = create_transaction(
            &mut st,
            &node,
            &[payee(COIN / 4)],
            None,
            &cc,
            false,
            &mut rng,
        )
        .unwrap();
        let lt = r.tx.lock_time.to_consensus_u32();
        assert!((101..=200).contains(&lt));
        saw_tip |= lt == 200;
    }
    assert!(saw_tip);
    node.ibd = true;
    let mut rng = SeededRng::new(1);
    let r = create_transaction(
        &mut st,
        &node,
        &[payee(COIN / 4)],
        None,
        &cc,
        false,
        &mut rng,
    )
    .unwrap();
    assert_eq!(r.tx.lock_time.to_consensus_u32(), 0);
}

#[test]
fn errors_are_cores() {
    let mut st = wallet();
    fund(&mut st, COIN, 1);
    let node = FakeNode::default();
    let mut rng = SeededRng::new(3);
    let cc = fee_rate_cc(1000);
    let e = |r: Result<super::CreatedTransaction, SpendError>| r.unwrap_err().0;
    assert_eq!(
        e(create_transaction(
            &mut st,
            &node,
            &[payee(2 * COIN)],
            None,
            &cc,
            true,
            &mut rng
        )),
        "Insufficient funds"
    );
    assert_eq!(
        e(create_transaction(
            &mut st,
            &node,
            &[payee(COIN)],
            None,
            &cc,
            true,
            &mut rng
        )),
        "The total exceeds your balance when the 0.00000042 transaction fee is included."
    );
    assert_eq!(
        e(create_transaction(
            &mut st,
            &node,
            &[payee(100)],
            None,
            &cc,
            true,
            &mut rng
        )),
        "Transaction amount too small"
    );
    assert_eq!(
        e(create_transaction(
            &mut st,
            &node,
            &[],
            None,
            &cc,
            true,
            &mut rng
        )),
        "Transaction must have at least one recipient"
    );
    assert_eq!(
        e(create_transaction(
            &mut st,
            &node,
            &[payee(-1)],
            None,
            &cc,
            true,
            &mut rng
        )),
        "Transaction amounts must not be negative"
    );
    let low = fee_rate_cc(500);
    assert_eq!(
        e(create_transaction(&mut st, &node, &[payee(COIN / 2)], None, &low, true, &mut rng)),
        "Fee rate (0.500 sat/vB) is lower than the minimum fee rate setting (1.000 sat/vB).\nConsider modifying -mintxfee (1.000 sat/vB) or -minrelaytxfee (1.000 sat/vB)."
    );
    let mut no_fallback = st.options.clone();
    no_fallback.fallback_fee = 0;
    st.options = no_fallback;
    assert_eq!(
        e(create_transaction(
            &mut st,
            &node,
            &[payee(COIN / 2)],
            None,
            &CoinControl::default(),
            true,
            &mut rng
        )),
        "Fee estimation failed. Fallbackfee is disabled. Wait a few blocks or enable -fallbackfee."
    );
    st.options.max_tx_fee = 100;
    assert_eq!(
        e(create_transaction(
            &mut st,
            &node,
            &[payee(COIN / 2)],
            None,
            &cc,
            true,
            &mut rng
        )),
        "Fee exceeds maximum configured by user (e.g. -maxtxfee, maxfeerate)"
    );
}

#[test]
fn failed_attempts_give_the_change_address_back() {
    let mut st = wallet();
    fund(&mut st, COIN, 1);
    let node = FakeNode::default();
    let mut rng = SeededRng::new(3);
    let cc = fee_rate_cc(1000);
    let next = |st: &WalletState| {
        let id = st.active_internal[&OutputType::Bech32];
        st.spkms[&id].wd.next_index
    };
    let before = next(&st);
    assert!(create_transaction(
        &mut st,
        &node,
        &[payee(2 * COIN)],
        None,
        &cc,
        true,
        &mut rng
    )
    .is_err());
    assert_eq!(next(&st), before);
    create_transaction(
        &mut st,
        &node,
        &[payee(COIN / 3)],
        None,
        &cc,
        true,
        &mut rng,
    )
    .unwrap();
    assert_eq!(next(&st), before + 1);
}

#[test]
fn fee_is_subtracted_from_chosen_outputs() {
    let mut st = wallet();
    fund(&mut st, COIN, 1);
    let node = FakeNode::default();
    let mut rng = SeededRng::new(5);
    let cc = fee_rate_cc(3000);
    let mut a = payee(COIN / 2);
    a.subtract_fee = true;
    let mut b = payee(COIN / 4);
    b.script = ScriptBuf::from_bytes([vec![0x00, 0x14], vec![0x43; 20]].concat());
    b.subtract_fee = true;
    let r = create_transaction(
        &mut st,
        &node,
        &[a.clone(), b.clone()],
        None,
        &cc,
        true,
        &mut rng,
    )
    .unwrap();
    let paid: i64 =
        r.tx.output
            .iter()
            .filter(|o| o.script_pubkey == a.script || o.script_pubkey == b.script)
            .map(|o| o.value.to_sat() as i64)
            .sum();
    assert_eq!(paid, COIN / 2 + COIN / 4 - r.fee);
    let first =
        r.tx.output
            .iter()
            .find(|o| o.script_pubkey == a.script)
            .unwrap();
    let second =
        r.tx.output
            .iter()
            .find(|o| o.script_pubkey == b.script)
            .unwrap();
    // The first pays the odd satoshi.
    assert_eq!(
        COIN / 2 - first.value.to_sat() as i64,
        r.fee / 2 + r.fee % 2
    );
    assert_eq!(COIN / 4 - second.value.to_sat() as i64, r.fee / 2);

    // Sending everything with the fee subtracted leaves no change.
    let mut all = payee(COIN);
    all.subtract_fee = true;
    let r = create_transaction(&mut st, &node, &[all], None, &cc, true, &mut rng).unwrap();
    assert_eq!(r.tx.output.len(), 1);
    assert_eq!(r.change_pos, None);
    assert_eq!(r.tx.output[0].value.to_sat() as i64, COIN - r.fee);
}

#[test]
fn committing_spends_the_coins_and_broadcasts() {
    let mut st = wallet();
    let op = fund(&mut st, COIN, 1);
    let node = FakeNode::default();
    let mut rng = SeededRng::new(3);
    let cc = fee_rate_cc(1000);
    let r = create_transaction(
        &mut st,
        &node,
        &[payee(COIN / 4)],
        None,
        &cc,
        true,
        &mut rng,
    )
    .unwrap();
    let info = CommitInfo {
        comment: Some("c".into()),
        ..CommitInfo::default()
    };
    let txid = commit_transaction(&mut st, &node, &Blocks, r.tx.clone(), info);
    assert_eq!(node.broadcasts.borrow().len(), 1);
    assert!(st.is_spent(&op));
    let w = &st.txs[&txid];
    assert!(w.in_mempool());
    assert_eq!(w.comment.as_deref(), Some("c"));
    // Only the change remains, trusted as our own unconfirmed change.
    let bal = st.balance(0, false, false);
    assert_eq!(bal.trusted, COIN - COIN / 4 - r.fee);
    let avail = available_coins(&st, &node, None, None, &CoinFilterParams::default()).unwrap();
    assert_eq!(avail.size(), 1);
    assert_eq!(avail.all().next().unwrap().depth, 0);
    assert!(avail.all().next().unwrap().safe);
}

#[test]
fn available_coins_filters() {
    let mut st = wallet();
    let a = fund(&mut st, COIN, 1);
    let b = fund(&mut st, 2 * COIN, 2);
    let node = FakeNode::default();
    let all = |st: &WalletState, cc: Option<&CoinControl>, p: &CoinFilterParams| {
        available_coins(st, &node, cc, None, p)
            .unwrap()
            .all()
            .map(|o| o.outpoint)
            .collect::<Vec<_>>()
    };
    let p = CoinFilterParams::default();
    assert_eq!(all(&st, None, &p).len(), 2);
    st.lock_coin(a, false);
    assert_eq!(all(&st, None, &p), vec![b]);
    let unlocked = CoinFilterParams {
        skip_locked: false,
        ..p
    };
    assert_eq!(all(&st, None, &unlocked).len(), 2);
    st.unlock_coin(&a);
    let mut cc = CoinControl::default();
    cc.min_depth = 52;
    assert!(all(&st, Some(&cc), &p).is_empty());
    cc.min_depth = 51;
    assert_eq!(all(&st, Some(&cc), &p).len(), 2);
    let big = CoinFilterParams {
        min_amount: COIN + 1,
        ..p
    };
    assert_eq!(all(&st, None, &big), vec![b]);
    let avail = available_coins(&st, &node, None, None, &p).unwrap();
    let o = avail.all().next().unwrap();
    assert!(o.solvable);
    assert_eq!(o.input_bytes, 68);
    assert_eq!(o.depth, 51);
}

#[test]
fn funding_keeps_inputs_and_psbt_signs() {
    let mut st = wallet();
    let op = fund(&mut st, COIN, 1);
    fund(&mut st, COIN, 2);
    let node = FakeNode::default();
    let mut rng = SeededRng::new(9);
    let raw = Transaction {
        version: bitcoin::transaction::Version(2),
        lock_time: bitcoin::absolute::LockTime::ZERO,
        input: vec![TxIn {
            previous_output: op,
            script_sig: ScriptBuf::new(),
            sequence: Sequence(0xffff_fffd),
            witness: Default::default(),
        }],
        output: vec![],
    };
    let cc = fee_rate_cc(1000);
    let r = fund_transaction(
        &mut st,
        &node,
        &raw,
        &[payee(COIN + COIN / 2)],
        None,
        true,
        cc,
        &mut rng,
    )
    .unwrap();
    assert_eq!(r.tx.input.len(), 2);
    // The preselected input comes first, with its sequence.
    assert_eq!(r.tx.input[0].previous_output, op);
    assert_eq!(r.tx.lock_time.to_consensus_u32(), 0);
    assert!(r
        .tx
        .input
        .iter()
        .all(|i| st.is_locked_coin(&i.previous_output)));
    assert!(r.tx.input.iter().all(|i| i.witness.is_empty()));

    let mut psbt = signing::psbt::Psbt::from_tx(&r.tx, 2);
    let opts = crate::sign::FillOptions {
        sign: false,
        ..Default::default()
    };
    assert!(!crate::sign::fill_psbt(&st, &mut psbt, opts).unwrap());
    assert!(!psbt.inputs[0].hd_keypaths.is_empty());
    assert!(crate::sign::fill_psbt(&st, &mut psbt, Default::default()).unwrap());
    let signed = signing::psbt::finalize_and_extract(&mut psbt).unwrap();
    assert!(signed.input.iter().all(|i| i.witness.len() == 2));
}

#[test]
fn bumping_raises_the_fee_and_marks_the_original() {
    let mut st = wallet();
    let mut node = FakeNode::default();
    for n in 1..=2 {
        let op = fund(&mut st, COIN, n);
        node.coins.insert(op, st.txos[&op].clone());
    }
    let mut rng = SeededRng::new(11);
    let cc = fee_rate_cc(1000);
    let r = create_transaction(
        &mut st,
        &node,
        &[payee(COIN / 2)],
        None,
        &cc,
        true,
        &mut rng,
    )
    .unwrap();
    let old = commit_transaction(&mut st, &node, &Blocks, r.tx.clone(), CommitInfo::default());
    let mut bump_cc = CoinControl::default();
    bump_cc.signal_bip125_rbf = Some(true);
    let bump = crate::feebumper::create_rate_bump(
        &mut st,
        &node,
        &old,
        &bump_cc,
        true,
        &[],
        None,
        &mut rng,
    )
    .unwrap();
    assert_eq!(bump.old_fee, r.fee);
    assert!(bump.new_fee > bump.old_fee);
    assert!(r.tx.input.iter().all(|i| bump
        .tx
        .input
        .iter()
        .any(|j| j.previous_output == i.previous_output)));
    let mut tx = bump.tx.clone();
    assert!(crate::sign::sign_wallet_tx(&st, &mut tx));
    let (new, errors) = crate::feebumper::commit_bump(&mut st, &node, &Blocks, &old, tx).unwrap();
    assert!(errors.is_empty());
    assert_eq!(st.txs[&old].replaced_by_txid, Some(new));
    assert_eq!(st.txs[&new].replaces_txid, Some(old));
    let e = crate::feebumper::create_rate_bump(
        &mut st,
        &node,
        &old,
        &bump_cc,
        true,
        &[],
        None,
        &mut rng,
    )
    .unwrap_err();
    assert_eq!(
        e.message,
        format!("Cannot bump transaction {old} which was already bumped by transaction {new}")
    );
    // A rate too low for the replacement rules is refused with Core's numbers.
    let mut low = CoinControl::default();
    low.fee_rate = Some(FeeRate::from_sat_per_kvb(1000));
    let e =
        crate::feebumper::create_rate_bump(&mut st, &node, &new, &low, true, &[], None, &mut rng)
            .unwrap_err();
    assert!(
        e.message.starts_with("Insufficient total fee"),
        "{}",
        e.message
    );
}

#[test]
fn a_transaction_made_without_broadcast_is_resubmitted_once_broadcast_is_on() {
    let mut st = wallet();
    fund(&mut st, COIN, 1);
    let node = FakeNode::default();
    let mut rng = SeededRng::new(4);
    let cc = fee_rate_cc(1000);
    let r = create_transaction(
        &mut st,
        &node,
        &[payee(COIN / 4)],
        None,
        &cc,
        true,
        &mut rng,
    )
    .unwrap();
    st.broadcast = false;
    let txid = commit_transaction(&mut st, &node, &Blocks, r.tx.clone(), CommitInfo::default());
    assert!(node.broadcasts.borrow().is_empty());
    assert_eq!(
        crate::spend::commit::resubmit_wallet_transactions(&mut st, &node),
        0
    );
    // As after a restart with -walletbroadcast=1.
    st.broadcast = true;
    assert_eq!(
        crate::spend::commit::resubmit_wallet_transactions(&mut st, &node),
        1
    );
    assert_eq!(node.broadcasts.borrow().len(), 1);
    assert!(st.txs[&txid].in_mempool());
}
