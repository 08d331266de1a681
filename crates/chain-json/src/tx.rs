//! Transactions as JSON objects (Core's `TxToUniv`).

use bitcoin::hashes::Hash;
use bitcoin::{BlockHash, Network, Transaction, TxOut};
use serde_json::{Map, Value};

use crate::amount::value_from_amount;
use crate::asm::script_to_asm;
use crate::hex::to_hex;
use crate::script_json::script_to_json;
use crate::wire::Encoded;

/// How much detail [`tx_to_json`] shows (Core's `TxVerbosity`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum TxVerbosity {
    /// Only the txid (for block listings; [`tx_to_json`] treats it as
    /// `ShowDetails`).
    ShowTxid,
    /// Inputs, outputs and the other common fields.
    ShowDetails,
    /// As `ShowDetails`, plus a `prevout` object on each input when the
    /// spent coins are known.
    ShowDetailsAndPrevout,
}

/// A coin spent by a transaction input, as kept in undo data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpentCoin {
    /// The spent output.
    pub output: TxOut,
    /// Height of the block that created it.
    pub height: u32,
    /// Whether it was created by a coinbase transaction.
    pub coinbase: bool,
}

/// An amount as Core's signed 64-bit value. Decoded transactions keep the
/// serialized bits, so negative values read from the wire come back out.
pub(crate) fn sats(output: &TxOut) -> i64 {
    output.value.to_sat() as i64
}

/// A transaction as Core's `TxToUniv`: `txid`, `hash`, `version`, `size`,
/// `vsize`, `weight`, `locktime`, `vin`, `vout`, then `fee` (when `undo`
/// is given), `blockhash` (when given and not all zero) and `hex` (with
/// `include_hex`).
///
/// `undo` holds the coins spent by the inputs, in input order; pass `None`
/// for coinbase transactions and when they are unknown. With
/// [`TxVerbosity::ShowDetailsAndPrevout`] each input also shows its spent
/// coin as `prevout`. If `undo` has fewer entries than there are inputs,
/// it is ignored.
pub fn tx_to_json(
    tx: &Transaction,
    block_hash: Option<BlockHash>,
    include_hex: bool,
    undo: Option<&[SpentCoin]>,
    verbosity: TxVerbosity,
    network: Network,
) -> Value {
    let undo = undo.filter(|coins| coins.len() >= tx.input.len());
    let encoded = Encoded::new(tx);
    let weight = encoded.weight();
    let mut entry = Map::new();
    entry.insert("txid".into(), encoded.txid().to_string().into());
    entry.insert("hash".into(), encoded.wtxid().to_string().into());
    entry.insert("version".into(), (tx.version.0 as u32).into());
    entry.insert("size".into(), encoded.full.len().into());
    entry.insert("vsize".into(), weight.div_ceil(4).into());
    entry.insert("weight".into(), weight.into());
    entry.insert("locktime".into(), tx.lock_time.to_consensus_u32().into());

    let coinbase = tx.is_coinbase();
    let mut total_in: i128 = 0;
    let mut vin = Vec::with_capacity(tx.input.len());
    for (i, txin) in tx.input.iter().enumerate() {
        let mut input = Map::new();
        if coinbase {
            input.insert("coinbase".into(), to_hex(txin.script_sig.as_bytes()).into());
        } else {
            input.insert("txid".into(), txin.previous_output.txid.to_string().into());
            input.insert("vout".into(), txin.previous_output.vout.into());
            let mut sig = Map::new();
            sig.insert("asm".into(), script_to_asm(&txin.script_sig, true).into());
            sig.insert("hex".into(), to_hex(txin.script_sig.as_bytes()).into());
            input.insert("scriptSig".into(), Value::Object(sig));
        }
        if !txin.witness.is_empty() {
            let items = txin.witness.iter().map(|w| Value::from(to_hex(w)));
            input.insert("txinwitness".into(), Value::Array(items.collect()));
        }
        if let Some(coin) = undo.and_then(|coins| coins.get(i)) {
            total_in += i128::from(sats(&coin.output));
            if verbosity == TxVerbosity::ShowDetailsAndPrevout {
                let mut prevout = Map::new();
                prevout.insert("generated".into(), coin.coinbase.into());
                prevout.insert("height".into(), coin.height.into());
                prevout.insert("value".into(), value_from_amount(sats(&coin.output)));
                prevout.insert(
                    "scriptPubKey".into(),
                    script_to_json(&coin.output.script_pubkey, true, true, network),
                );
                input.insert("prevout".into(), Value::Object(prevout));
            }
        }
        input.insert("sequence".into(), txin.sequence.0.into());
        vin.push(Value::Object(input));
    }
    entry.insert("vin".into(), Value::Array(vin));

    let mut total_out: i128 = 0;
    let mut vout = Vec::with_capacity(tx.output.len());
    for (n, txout) in tx.output.iter().enumerate() {
        let mut output = Map::new();
        output.insert("value".into(), value_from_amount(sats(txout)));
        output.insert("n".into(), n.into());
        output.insert(
            "scriptPubKey".into(),
            script_to_json(&txout.script_pubkey, true, true, network),
        );
        vout.push(Value::Object(output));
        total_out += i128::from(sats(txout));
    }
    entry.insert("vout".into(), Value::Array(vout));

    if undo.is_some() {
        // Core asserts the fee is in the money range; out-of-range values
        // are clamped here rather than aborting.
        let fee = i64::try_from(total_in - total_out).unwrap_or(i64::MAX);
        entry.insert("fee".into(), value_from_amount(fee));
    }
    if let Some(hash) = block_hash.filter(|h| h.as_byte_array() != &[0u8; 32]) {
        entry.insert("blockhash".into(), hash.to_string().into());
    }
    if include_hex {
        entry.insert("hex".into(), to_hex(&encoded.full).into());
    }
    Value::Object(entry)
}

/// The coinbase summary of a block (Core's `coinbaseTxToJSON`): `version`,
/// `locktime`, `sequence` and `coinbase` (scriptSig hex) of the first input,
/// and `witness` (its first witness item) when it has a witness. A
/// transaction without inputs gives just `version` and `locktime`.
pub fn coinbase_tx_json(tx: &Transaction) -> Value {
    let mut out = Map::new();
    out.insert("version".into(), (tx.version.0 as u32).into());
    out.insert("locktime".into(), tx.lock_time.to_consensus_u32().into());
    if let Some(first) = tx.input.first() {
        out.insert("sequence".into(), first.sequence.0.into());
        out.insert(
            "coinbase".into(),
            to_hex(first.script_sig.as_bytes()).into(),
        );
        if let Some(item) = first.witness.iter().next() {
            out.insert("witness".into(), to_hex(item).into());
        }
    }
    Value::Object(out)
}
