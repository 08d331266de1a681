//! The accounting behind the wallet's history commands (Core's `wallet/receive.cpp`):
//! what a wallet transaction sent and received, its fee, which outputs are change, and
//! tallies of what addresses received. Core caches these figures in each `CWalletTx`
//! and drops the caches whenever something they depend on changes; here they are
//! computed from the state each time, which gives the same figures.

use std::collections::{BTreeSet, HashMap, HashSet};

use bitcoin::{Script, ScriptBuf, Transaction, TxOut, Txid};
use descriptors::Destination;

use crate::state::WalletState;
use crate::tx::WalletTx;

/// One output of a transaction as the history lists it (Core's `COutputEntry`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutputEntry {
    /// The output's address, when its script has one.
    pub address: Option<String>,
    /// Its value in satoshis.
    pub amount: i64,
    /// Its position in the transaction.
    pub vout: u32,
}

/// What a wallet transaction moved, as `CachedTxGetAmounts` reports it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Amounts {
    /// Outputs paying the wallet.
    pub received: Vec<OutputEntry>,
    /// Outputs of a transaction spending the wallet's coins (change left out unless asked
    /// for).
    pub sent: Vec<OutputEntry>,
    /// The fee when the wallet paid it (its inputs less all outputs), else 0.
    pub fee: i64,
}

/// `ScriptIsChange`: ours, and either without an address or with an address that has no
/// labelled address book entry.
pub fn script_is_change(st: &WalletState, script: &Script) -> bool {
    st.is_change(&script.to_owned())
}

/// `OutputIsChange`.
pub fn output_is_change(st: &WalletState, txout: &TxOut) -> bool {
    script_is_change(st, &txout.script_pubkey)
}

/// `TxGetChange`: the value of the transaction's change outputs.
pub fn tx_get_change(st: &WalletState, tx: &Transaction) -> i64 {
    tx.output
        .iter()
        .filter(|o| output_is_change(st, o))
        .map(|o| o.value.to_sat() as i64)
        .sum()
}

/// `CachedTxGetCredit`: the value of our outputs, 0 while a coinbase is immature.
pub fn cached_tx_get_credit(st: &WalletState, wtx: &WalletTx) -> i64 {
    if st.is_immature_coinbase(wtx) {
        return 0;
    }
    st.credit(&wtx.tx)
}

/// `CachedTxGetDebit`: the value of our coins the transaction spends.
pub fn cached_tx_get_debit(st: &WalletState, wtx: &WalletTx) -> i64 {
    if wtx.tx.input.is_empty() {
        return 0;
    }
    st.debit(&wtx.tx)
}

/// `CachedTxGetChange`.
pub fn cached_tx_get_change(st: &WalletState, wtx: &WalletTx) -> i64 {
    tx_get_change(st, &wtx.tx)
}

/// `CachedTxGetAmounts`: the transaction's received and sent outputs and the fee we paid.
/// Change outputs of our own transactions are left out of both lists unless
/// `include_change`.
pub fn cached_tx_get_amounts(st: &WalletState, wtx: &WalletTx, include_change: bool) -> Amounts {
    let mut out = Amounts::default();
    let debit = cached_tx_get_debit(st, wtx);
    if debit > 0 {
        let value_out: i64 = wtx.tx.output.iter().map(|o| o.value.to_sat() as i64).sum();
        out.fee = debit - value_out;
    }
    for (i, txout) in wtx.tx.output.iter().enumerate() {
        let mine = st.is_mine_script(&txout.script_pubkey);
        if debit > 0 {
            if !include_change && output_is_change(st, txout) {
                continue;
            }
        } else if !mine {
            continue;
        }
        let address = crate::address::encode(&txout.script_pubkey, st.network);
        if address.is_none() && !is_unspendable(&txout.script_pubkey) {
            st.log(&format!(
                "CWalletTx::GetAmounts: Unknown transaction type found, txid {}",
                wtx.txid
            ));
        }
        let entry = OutputEntry {
            address,
            amount: txout.value.to_sat() as i64,
            vout: i as u32,
        };
        if debit > 0 {
            out.sent.push(entry.clone());
        }
        if mine {
            out.received.push(entry);
        }
    }
    out
}

/// `CScript::IsUnspendable`: starts with `OP_RETURN` or is longer than scripts may be.
fn is_unspendable(script: &Script) -> bool {
    const MAX_SCRIPT_SIZE: usize = 10_000;
    script.is_op_return() || script.len() > MAX_SCRIPT_SIZE
}

/// `GetTxConflicts`: the other wallet transactions spending an input of `wtx`.
pub fn tx_conflicts(st: &WalletState, wtx: &WalletTx) -> BTreeSet<Txid> {
    let mut out = BTreeSet::new();
    for input in &wtx.tx.input {
        let spenders = st.spenders(&input.previous_output);
        if spenders.len() <= 1 {
            continue;
        }
        out.extend(spenders);
    }
    out.remove(&wtx.txid);
    out
}

/// The normalized descriptors that produce `script` (`PushParentDescriptors`).
pub fn parent_descriptors(st: &WalletState, script: &ScriptBuf) -> Vec<String> {
    st.spkms_for(script)
        .iter()
        .filter_map(|id| st.spkms.get(id))
        .map(|s| s.public_string())
        .collect()
}

/// The wallet's transactions in order of their order position (`wtxOrdered`). Core walks
/// `mapWallet` in hash order where the order is not part of the result; this order keeps
/// results reproducible.
pub fn ordered_txs(st: &WalletState) -> impl DoubleEndedIterator<Item = &WalletTx> {
    st.ordered.iter().filter_map(|(_, t)| st.txs.get(t))
}

/// Where Core's `std::map<CTxDestination, ...>` puts a destination: by variant (in
/// `CTxDestination`'s order), then by the bytes of the hash or program.
pub fn destination_order(d: &Destination) -> (u8, Vec<u8>) {
    match d {
        Destination::PubKeyHash(h) => (2, h.to_vec()),
        Destination::ScriptHash(h) => (3, h.to_vec()),
        Destination::WitnessV0ScriptHash(h) => (4, h.to_vec()),
        Destination::WitnessV0KeyHash(h) => (5, h.to_vec()),
        Destination::WitnessV1Taproot(h) => (6, h.to_vec()),
        Destination::Anchor => (7, Vec::new()),
        Destination::WitnessUnknown { version, program } => {
            let mut v = vec![*version];
            v.extend_from_slice(program);
            (8, v)
        }
    }
}

/// One address book entry as `ForEachAddrBookEntry` passes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BookEntry {
    /// The address.
    pub address: String,
    /// Its script.
    pub script: ScriptBuf,
    /// The label ("" when none).
    pub label: String,
    /// Whether the entry marks change (no label).
    pub is_change: bool,
}

/// The address book in Core's order (`ForEachAddrBookEntry` over `m_address_book`).
/// Entries whose address does not decode on the wallet's network are left out.
pub fn address_book_in_order(st: &WalletState) -> Vec<BookEntry> {
    let mut entries: Vec<((u8, Vec<u8>), BookEntry)> = st
        .address_book
        .iter()
        .filter_map(|(address, e)| {
            let dest = descriptors::decode_destination(address, st.network).ok()?;
            Some((
                destination_order(&dest),
                BookEntry {
                    address: address.clone(),
                    script: dest.script_pubkey(),
                    label: e.label.clone().unwrap_or_default(),
                    is_change: e.label.is_none(),
                },
            ))
        })
        .collect();
    entries.sort_by(|a, b| a.0.cmp(&b.0));
    entries.into_iter().map(|(_, e)| e).collect()
}

/// What an address received (Core's `tallyitem`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tally {
    /// Total received in satoshis.
    pub amount: i64,
    /// Confirmations of the least confirmed transaction counted (`i32::MAX` when none).
    pub conf: i32,
    /// The transactions counted, once per output paying the address.
    pub txids: Vec<Txid>,
}

impl Default for Tally {
    fn default() -> Tally {
        Tally {
            amount: 0,
            conf: i32::MAX,
            txids: Vec::new(),
        }
    }
}

/// Whether `ListReceived` and `GetReceived` skip `wtx`: too few confirmations, a coinbase
/// no longer in the chain, or an immature coinbase unless those are included.
fn skip_received(
    st: &WalletState,
    wtx: &WalletTx,
    min_depth: i32,
    include_immature_coinbase: bool,
) -> bool {
    let depth = st.depth(wtx);
    depth < min_depth
        || (wtx.is_coinbase() && depth < 1)
        || (st.is_immature_coinbase(wtx) && !include_immature_coinbase)
}

/// `ListReceived`'s tally: what each of our addresses received in transactions with at
/// least `min_depth` confirmations, optionally for one address only.
pub fn tally_received(
    st: &WalletState,
    min_depth: i32,
    include_immature_coinbase: bool,
    filter: Option<&str>,
) -> HashMap<String, Tally> {
    let mut tally: HashMap<String, Tally> = HashMap::new();
    for wtx in ordered_txs(st) {
        if skip_received(st, wtx, min_depth, include_immature_coinbase) {
            continue;
        }
        let depth = st.depth(wtx);
        for txout in &wtx.tx.output {
            let Some(address) = crate::address::encode(&txout.script_pubkey, st.network) else {
                continue;
            };
            if filter.is_some_and(|f| f != address) {
                continue;
            }
            if !st.is_mine_script(&txout.script_pubkey) {
                continue;
            }
            let item = tally.entry(address).or_default();
            item.amount += txout.value.to_sat() as i64;
            item.conf = item.conf.min(depth);
            item.txids.push(wtx.txid);
        }
    }
    tally
}

/// `GetReceived`'s tally: the value paid to `scripts` in transactions with at least
/// `min_depth` confirmations.
pub fn received_by_scripts(
    st: &WalletState,
    scripts: &HashSet<ScriptBuf>,
    min_depth: i32,
    include_immature_coinbase: bool,
) -> i64 {
    let mut amount = 0;
    for wtx in ordered_txs(st) {
        if skip_received(st, wtx, min_depth, include_immature_coinbase) {
            continue;
        }
        amount += wtx
            .tx
            .output
            .iter()
            .filter(|o| scripts.contains(&o.script_pubkey))
            .map(|o| o.value.to_sat() as i64)
            .sum::<i64>();
    }
    amount
}

/// `GetAddressBalances`: the unspent value on each of our addresses, counting trusted,
/// mature outputs (confirmed, or unconfirmed ones we sent ourselves).
pub fn address_balances(st: &WalletState) -> HashMap<String, i64> {
    let mut balances = HashMap::new();
    let mut trusted = HashSet::new();
    for (outpoint, txout) in &st.txos {
        let Some(wtx) = st.txs.get(&outpoint.txid) else {
            continue;
        };
        if !st.is_trusted(wtx, &mut trusted) || st.is_immature_coinbase(wtx) {
            continue;
        }
        let min = if st.tx_is_from_me(wtx) { 0 } else { 1 };
        if st.depth(wtx) < min {
            continue;
        }
        let Some(address) = crate::address::encode(&txout.script_pubkey, st.network) else {
            continue;
        };
        let value = if st.is_spent(outpoint) {
            0
        } else {
            txout.value.to_sat() as i64
        };
        *balances.entry(address).or_insert(0) += value;
    }
    balances
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use std::sync::Arc;

    use bitcoin::bip32::Xpriv;
    use bitcoin::hashes::Hash;
    use bitcoin::{
        absolute, transaction, Amount, BlockHash, Network, NetworkKind, OutPoint, Sequence, TxIn,
        Witness,
    };
    use walletdb::records::OutputType;

    use super::*;
    use crate::state::{BlockLookup, WalletOptions};
    use crate::tx::TxState;

    struct Chain {
        height: i32,
    }

    impl BlockLookup for Chain {
        fn block(&self, _hash: &BlockHash) -> Option<(i64, i64, i32, bool)> {
            Some((1_700_000_000, 1_700_000_000, self.height, true))
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

    fn wallet() -> WalletState {
        let mut st = WalletState::new("t", Network::Regtest, WalletOptions::default());
        st.options.keypool_size = 5;
        let master = Xpriv::new_master(NetworkKind::Test, &[3u8; 32]).unwrap();
        crate::load::setup_descriptors_from(&mut st, &master, 1).unwrap();
        st.last_block = Some((BlockHash::all_zeros(), 200));
        st
    }

    fn foreign() -> ScriptBuf {
        ScriptBuf::new_p2wpkh(&bitcoin::WPubkeyHash::from_byte_array([9u8; 20]))
    }

    fn tx(inputs: Vec<OutPoint>, outputs: Vec<(ScriptBuf, u64)>) -> Arc<Transaction> {
        Arc::new(Transaction {
            version: transaction::Version::TWO,
            lock_time: absolute::LockTime::ZERO,
            input: inputs
                .into_iter()
                .map(|o| TxIn {
                    previous_output: o,
                    script_sig: ScriptBuf::new(),
                    sequence: Sequence::MAX,
                    witness: Witness::new(),
                })
                .collect(),
            output: outputs
                .into_iter()
                .map(|(s, v)| TxOut {
                    value: Amount::from_sat(v),
                    script_pubkey: s,
                })
                .collect(),
        })
    }

    fn confirmed(height: i32) -> TxState {
        TxState::Confirmed {
            block_hash: BlockHash::all_zeros(),
            height,
            index: 1,
        }
    }

    #[test]
    fn receive_then_send_with_change() {
        let mut st = wallet();
        let chain = Chain { height: 150 };
        let recv = st.new_destination(OutputType::Bech32, "pay").unwrap();
        let change = st.new_change_destination(OutputType::Bech32).unwrap();
        let funding = tx(
            vec![OutPoint::new(Txid::from_byte_array([1; 32]), 0)],
            vec![(foreign(), 5_000), (recv.clone(), 100_000)],
        );
        let fid = st.add_to_wallet(funding.clone(), confirmed(150), None, false, &chain);
        let w = st.txs.get(&fid).unwrap();
        let a = cached_tx_get_amounts(&st, w, false);
        assert_eq!(a.fee, 0);
        assert!(a.sent.is_empty());
        assert_eq!(a.received.len(), 1);
        assert_eq!(a.received[0].vout, 1);
        assert_eq!(a.received[0].amount, 100_000);
        assert_eq!(cached_tx_get_credit(&st, w), 100_000);
        assert_eq!(cached_tx_get_debit(&st, w), 0);
        // A labelled receive address is not change.
        assert!(!output_is_change(&st, &w.tx.output[1]));

        let spend = tx(
            vec![OutPoint::new(fid, 1)],
            vec![(foreign(), 60_000), (change.clone(), 39_000)],
        );
        let sid = st.add_to_wallet(spend, confirmed(151), None, false, &chain);
        let w = st.txs.get(&sid).unwrap();
        assert_eq!(cached_tx_get_debit(&st, w), 100_000);
        assert_eq!(cached_tx_get_change(&st, w), 39_000);
        let a = cached_tx_get_amounts(&st, w, false);
        assert_eq!(a.fee, 1_000);
        assert_eq!(a.sent.len(), 1);
        assert_eq!(a.sent[0].amount, 60_000);
        assert!(a.received.is_empty(), "change is left out of both lists");
        let a = cached_tx_get_amounts(&st, w, true);
        assert_eq!(a.sent.len(), 2);
        assert_eq!(a.sent[1].vout, 1);
        assert_eq!(a.received.len(), 1);
        assert_eq!(a.received[0].amount, 39_000);

        let balances = address_balances(&st);
        let addr = |s: &ScriptBuf| crate::address::encode(s, st.network).unwrap();
        assert_eq!(balances.get(&addr(&recv)), Some(&0), "spent");
        assert_eq!(balances.get(&addr(&change)), Some(&39_000));
        assert_eq!(balances.len(), 2);
    }

    #[test]
    fn immature_coinbase_has_no_credit_and_conflicts_are_listed() {
        let mut st = wallet();
        let chain = Chain { height: 150 };
        let recv = st.new_destination(OutputType::Bech32, "").unwrap();
        let coinbase = Arc::new(Transaction {
            input: vec![TxIn {
                previous_output: OutPoint::null(),
                ..tx(vec![OutPoint::null()], vec![]).input[0].clone()
            }],
            ..(*tx(vec![], vec![(recv.clone(), 50_000)])).clone()
        });
        let cid = st.add_to_wallet(coinbase, confirmed(150), None, false, &chain);
        let w = st.txs.get(&cid).unwrap();
        assert!(st.is_immature_coinbase(w));
        assert_eq!(cached_tx_get_credit(&st, w), 0);
        // Immature coinbases count only when asked for.
        let t = tally_received(&st, 1, false, None);
        assert!(t.is_empty());
        let t = tally_received(&st, 1, true, None);
        let item = t.values().next().unwrap();
        assert_eq!(item.amount, 50_000);
        assert_eq!(item.conf, 51);
        assert_eq!(item.txids, vec![cid]);

        let prev = OutPoint::new(Txid::from_byte_array([5; 32]), 0);
        let a = st.add_to_wallet(
            tx(vec![prev], vec![(recv.clone(), 1_000)]),
            TxState::InMempool,
            None,
            false,
            &chain,
        );
        let b = st.add_to_wallet(
            tx(vec![prev], vec![(recv.clone(), 900)]),
            TxState::Inactive { abandoned: false },
            None,
            false,
            &chain,
        );
        assert_eq!(
            tx_conflicts(&st, st.txs.get(&a).unwrap()),
            BTreeSet::from([b])
        );
        assert_eq!(
            tx_conflicts(&st, st.txs.get(&b).unwrap()),
            BTreeSet::from([a])
        );
        let scripts = HashSet::from([recv]);
        assert_eq!(received_by_scripts(&st, &scripts, 0, false), 1_900);
        assert_eq!(received_by_scripts(&st, &scripts, 0, true), 51_900);
        assert_eq!(received_by_scripts(&st, &scripts, 1, true), 50_000);
    }

    #[test]
    fn abandoning_marks_descendants_and_spares_pool_and_conflicted() {
        let mut st = wallet();
        let chain = Chain { height: 150 };
        let recv = st.new_destination(OutputType::Bech32, "").unwrap();
        let prev = OutPoint::new(Txid::from_byte_array([4; 32]), 0);
        let parent = st.add_to_wallet(
            tx(vec![prev], vec![(recv.clone(), 10_000)]),
            TxState::Inactive { abandoned: false },
            None,
            false,
            &chain,
        );
        let child = st.add_to_wallet(
            tx(vec![OutPoint::new(parent, 0)], vec![(recv.clone(), 9_000)]),
            TxState::Inactive { abandoned: false },
            None,
            false,
            &chain,
        );
        let pooled = st.add_to_wallet(
            tx(
                vec![OutPoint::new(Txid::from_byte_array([7; 32]), 0)],
                vec![(recv.clone(), 8_000)],
            ),
            TxState::InMempool,
            None,
            false,
            &chain,
        );
        assert!(!st.abandon_transaction(&pooled), "in the pool");
        assert!(!st.abandon_transaction(&Txid::from_byte_array([8; 32])));
        let _ = st.take_changes();
        assert!(st.abandon_transaction(&parent));
        assert!(st.txs[&parent].is_abandoned());
        assert!(st.txs[&child].is_abandoned());
        // The changed transactions are written.
        assert_eq!(st.take_changes().len(), 2);
        assert!(!st.txs[&pooled].is_abandoned());
        // Again: nothing changes.
        assert!(st.abandon_transaction(&parent));
        assert!(st.take_changes().is_empty());

        let confirmed = st.add_to_wallet(
            tx(
                vec![OutPoint::new(Txid::from_byte_array([6; 32]), 0)],
                vec![(recv, 1)],
            ),
            confirmed(140),
            None,
            false,
            &chain,
        );
        assert!(!st.abandon_transaction(&confirmed));
    }

    #[test]
    fn destinations_sort_as_core_variants() {
        let pkh = Destination::PubKeyHash([0xff; 20]);
        let sh = Destination::ScriptHash([0; 20]);
        let wsh = Destination::WitnessV0ScriptHash([0; 32]);
        let wpkh = Destination::WitnessV0KeyHash([0; 20]);
        let tr = Destination::WitnessV1Taproot([0; 32]);
        let mut v = vec![&tr, &wpkh, &wsh, &sh, &pkh];
        v.sort_by_key(|d| destination_order(d));
        assert_eq!(v, vec![&pkh, &sh, &wsh, &wpkh, &tr]);
    }

    #[test]
    fn change_needs_a_label_not_just_an_entry() {
        let mut st = wallet();
        let change = st.new_change_destination(OutputType::Bech32).unwrap();
        assert!(script_is_change(&st, &change));
        assert!(!script_is_change(&st, &foreign()));
        let addr = crate::address::encode(&change, st.network).unwrap();
        st.address_book.entry(addr.clone()).or_default().purpose =
            Some(walletdb::records::AddressPurpose::Receive);
        assert!(script_is_change(&st, &change), "no label: still change");
        st.set_address_book(&addr, "", None);
        assert!(!script_is_change(&st, &change));
        let book = address_book_in_order(&st);
        assert_eq!(book.len(), 1);
        assert_eq!(book[0].address, addr);
        assert!(!book[0].is_change);
    }
}
