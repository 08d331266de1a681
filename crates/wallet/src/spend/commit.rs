//! Adding a made transaction to the wallet and handing it to the node (Core's
//! `CWallet::CommitTransaction`, `SubmitTxMemoryPoolAndRelay` and `MarkReplaced`).

use std::sync::Arc;

use bitcoin::{Transaction, Txid};
use walletdb::records::Record;

use super::node::NodeView;
use crate::state::{BlockLookup, WalletState};
use crate::tx::TxState;

fn hex(b: &[u8]) -> String {
    chain_json::to_hex(b)
}

fn short(s: &str, n: usize) -> &str {
    &s[..n.min(s.len())]
}

/// Core's `CTransaction::ToString`.
pub fn tx_string(tx: &Transaction) -> String {
    let txid = tx.compute_txid().to_string();
    let mut s = format!(
        "CTransaction(hash={}, ver={}, vin.size={}, vout.size={}, nLockTime={})\n",
        short(&txid, 10),
        tx.version.0 as u32,
        tx.input.len(),
        tx.output.len(),
        tx.lock_time.to_consensus_u32()
    );
    for i in &tx.input {
        let prev = i.previous_output.txid.to_string();
        s += &format!(
            "    CTxIn(COutPoint({}, {})",
            short(&prev, 10),
            i.previous_output.vout
        );
        let sig = hex(i.script_sig.as_bytes());
        if i.previous_output.is_null() {
            s += &format!(", coinbase {sig}");
        } else {
            s += &format!(", scriptSig={}", short(&sig, 24));
        }
        if i.sequence.0 != u32::MAX {
            s += &format!(", nSequence={}", i.sequence.0);
        }
        s += ")\n";
    }
    for i in &tx.input {
        let items: Vec<String> = i.witness.iter().map(hex).collect();
        s += &format!("    CScriptWitness({})\n", items.join(", "));
    }
    for o in &tx.output {
        let v = o.value.to_sat() as i64;
        let spk = hex(o.script_pubkey.as_bytes());
        s += &format!(
            "    CTxOut(nValue={}.{:08}, scriptPubKey={})\n",
            v / 100_000_000,
            v % 100_000_000,
            short(&spk, 30)
        );
    }
    s
}

/// Stores the wallet transaction `txid` as it is now.
pub fn write_tx(st: &mut WalletState, txid: &Txid) {
    if let Some(w) = st.txs.get(txid) {
        let r = Record::Tx {
            txid: *txid,
            wtx: Box::new(w.to_record()),
        };
        st.write(r);
    }
}

/// What the caller attaches to a committed transaction.
#[derive(Debug, Clone, Default)]
pub struct CommitInfo {
    /// The transaction this one replaces (fee bumping).
    pub replaces: Option<Txid>,
    /// `comment`.
    pub comment: Option<String>,
    /// `comment_to`.
    pub comment_to: Option<String>,
    /// BIP21 messages.
    pub messages: Vec<String>,
    /// Payment requests.
    pub payment_requests: Vec<String>,
}

/// `SubmitTxMemoryPoolAndRelay`: hands a wallet transaction to the node; whether the node
/// took it, with the node's reason when it did not.
pub fn submit_to_mempool(
    st: &mut WalletState,
    node: &dyn NodeView,
    txid: &Txid,
) -> Result<(), String> {
    let Some(w) = st.txs.get(txid) else {
        return Err(String::new());
    };
    if !st.broadcast || w.is_abandoned() || w.is_coinbase() || st.depth(w) != 0 {
        return Err(String::new());
    }
    let tx = w.tx.clone();
    st.log(&format!(
        "Submitting wtx {txid} to mempool and for broadcast to peers"
    ));
    match node.broadcast(&tx, st.options.max_tx_fee) {
        Ok(None) => {
            // Set now rather than when the node's notification comes, so a quick next
            // spend already sees the change as in the pool.
            if let Some(w) = st.txs.get_mut(txid) {
                w.state = TxState::InMempool;
            }
            Ok(())
        }
        Ok(Some(e)) => Err(e),
        Err(e) => Err(e.to_string()),
    }
}

/// `ResubmitWalletTransactions` as a loaded wallet runs it (`postInitProcess`: forced,
/// without relay): every unconfirmed transaction that is not abandoned or conflicted goes
/// back to the node's pool, oldest first. Transactions made under `-walletbroadcast=0`
/// reach the pool this way once broadcasting is on. Returns how many were taken.
pub fn resubmit_wallet_transactions(st: &mut WalletState, node: &dyn NodeView) -> usize {
    if !st.broadcast {
        return 0;
    }
    let mut to_submit: Vec<(i64, Txid)> = st
        .txs
        .values()
        .filter(|w| !w.is_abandoned() && !w.is_coinbase() && st.depth(w) == 0)
        .map(|w| (w.order_pos, w.txid))
        .collect();
    to_submit.sort();
    let mut submitted = 0;
    for (_, txid) in to_submit {
        let Some(tx) = st.txs.get(&txid).map(|w| w.tx.clone()) else {
            continue;
        };
        st.log(&format!(
            "Submitting wtx {txid} to mempool without broadcast"
        ));
        if let Ok(None) = node.submit_without_relay(&tx, st.options.max_tx_fee) {
            if let Some(w) = st.txs.get_mut(&txid) {
                w.state = TxState::InMempool;
            }
            submitted += 1;
        }
    }
    if submitted > 0 {
        st.log(&format!(
            "ResubmitWalletTransactions: resubmit {submitted} unconfirmed transactions"
        ));
    }
    submitted
}

/// `CWallet::CommitTransaction`: adds `tx` to the wallet with the caller's notes and, when
/// the wallet broadcasts, submits it to the node (a refusal is only logged, as in Core).
pub fn commit_transaction(
    st: &mut WalletState,
    node: &dyn NodeView,
    lookup: &dyn BlockLookup,
    tx: Transaction,
    info: CommitInfo,
) -> Txid {
    let text = tx_string(&tx);
    st.log(&format!(
        "CommitTransaction:\n{}",
        text.strip_suffix('\n').unwrap_or(&text)
    ));
    let tx = Arc::new(tx);
    let update = move |w: &mut crate::tx::WalletTx, _new: bool| -> bool {
        if info.replaces.is_some() {
            w.replaces_txid = info.replaces;
        }
        if info.comment.is_some() {
            w.comment = info.comment.clone();
        }
        if info.comment_to.is_some() {
            w.comment_to = info.comment_to.clone();
        }
        if !info.messages.is_empty() {
            w.messages = info.messages.clone();
        }
        if !info.payment_requests.is_empty() {
            w.payment_requests = info.payment_requests.clone();
        }
        true
    };
    let txid = st.add_to_wallet(
        tx,
        TxState::Inactive { abandoned: false },
        Some(&update),
        false,
        lookup,
    );
    if !st.broadcast {
        return txid;
    }
    if let Err(e) = submit_to_mempool(st, node, &txid) {
        st.log(&format!(
            "CommitTransaction(): Transaction cannot be broadcast immediately, {e}"
        ));
    }
    txid
}

/// `CWallet::MarkReplaced`: records that `original` was replaced by `replacement` and
/// refreshes its pool state. False if `original` is not in the wallet.
pub fn mark_replaced(
    st: &mut WalletState,
    lookup: &dyn BlockLookup,
    original: &Txid,
    replacement: Txid,
) -> bool {
    let in_pool = lookup.in_mempool(original);
    let Some(w) = st.txs.get_mut(original) else {
        return false;
    };
    w.replaced_by_txid = Some(replacement);
    if in_pool {
        w.state = TxState::InMempool;
    } else if w.in_mempool() {
        w.state = TxState::Inactive { abandoned: false };
    }
    write_tx(st, original);
    true
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use bitcoin::hashes::Hash;

    #[test]
    fn transaction_text_is_cores() {
        let tx = Transaction {
            version: bitcoin::transaction::Version(2),
            lock_time: bitcoin::absolute::LockTime::from_consensus(101),
            input: vec![bitcoin::TxIn {
                previous_output: bitcoin::OutPoint::new(Txid::from_byte_array([1; 32]), 3),
                script_sig: bitcoin::ScriptBuf::new(),
                sequence: bitcoin::Sequence(0xfffffffd),
                witness: bitcoin::Witness::from_slice(&[vec![0xab], vec![0xcd, 0xef]]),
            }],
            output: vec![bitcoin::TxOut {
                value: bitcoin::Amount::from_sat(150_000_000),
                script_pubkey: bitcoin::ScriptBuf::from_bytes(vec![0x00, 0x14, 0x11]),
            }],
        };
        let s = tx_string(&tx);
        let lines: Vec<&str> = s.lines().collect();
        assert!(lines[0].starts_with("CTransaction(hash="));
        assert!(lines[0].ends_with(", ver=2, vin.size=1, vout.size=1, nLockTime=101)"));
        assert_eq!(
            lines[1],
            "    CTxIn(COutPoint(0101010101, 3), scriptSig=, nSequence=4294967293)"
        );
        assert_eq!(lines[2], "    CScriptWitness(ab, cdef)");
        assert_eq!(
            lines[3],
            "    CTxOut(nValue=1.50000000, scriptPubKey=001411)"
        );
    }
}
