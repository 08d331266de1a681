//! `CheckTransaction`: the checks that need neither the chain nor the UTXO set.

use std::collections::HashSet;

use bitcoin::Transaction;

use super::{MAX_BLOCK_WEIGHT, MAX_MONEY, WITNESS_SCALE_FACTOR};

/// Why a transaction is invalid regardless of context; [`TxCheckError::reason`] is Core's string.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum TxCheckError {
    /// No inputs.
    VinEmpty,
    /// No outputs.
    VoutEmpty,
    /// Stripped size times the scale factor exceeds the block weight limit.
    Oversize,
    /// An output value below zero.
    VoutNegative,
    /// An output value above MAX_MONEY.
    VoutTooLarge,
    /// Output values sum above MAX_MONEY.
    TxoutTotalTooLarge,
    /// The same outpoint spent twice.
    InputsDuplicate,
    /// A coinbase scriptSig outside 2..=100 bytes.
    CoinbaseLength,
    /// A non-coinbase input spending the null outpoint.
    PrevoutNull,
}

impl TxCheckError {
    /// Core's reject reason (`bad-txns-vin-empty`, ...).
    pub fn reason(self) -> &'static str {
        match self {
            TxCheckError::VinEmpty => "bad-txns-vin-empty",
            TxCheckError::VoutEmpty => "bad-txns-vout-empty",
            TxCheckError::Oversize => "bad-txns-oversize",
            TxCheckError::VoutNegative => "bad-txns-vout-negative",
            TxCheckError::VoutTooLarge => "bad-txns-vout-toolarge",
            TxCheckError::TxoutTotalTooLarge => "bad-txns-txouttotal-toolarge",
            TxCheckError::InputsDuplicate => "bad-txns-inputs-duplicate",
            TxCheckError::CoinbaseLength => "bad-cb-length",
            TxCheckError::PrevoutNull => "bad-txns-prevout-null",
        }
    }
}

impl std::fmt::Display for TxCheckError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.reason())
    }
}

impl std::error::Error for TxCheckError {}

/// `CheckTransaction`: the checks that need neither the chain nor the UTXO set.
pub fn check_transaction(tx: &Transaction) -> Result<(), TxCheckError> {
    if tx.input.is_empty() {
        return Err(TxCheckError::VinEmpty);
    }
    if tx.output.is_empty() {
        return Err(TxCheckError::VoutEmpty);
    }
    let stripped = bitcoin::consensus::serialize(&Transaction {
        version: tx.version,
        lock_time: tx.lock_time,
        input: tx
            .input
            .iter()
            .map(|i| bitcoin::TxIn {
                witness: bitcoin::Witness::new(),
                ..i.clone()
            })
            .collect(),
        output: tx.output.clone(),
    })
    .len() as u64;
    if stripped * WITNESS_SCALE_FACTOR > MAX_BLOCK_WEIGHT {
        return Err(TxCheckError::Oversize);
    }
    let mut total: i64 = 0;
    for out in &tx.output {
        // Amounts are signed 64-bit on the wire; rust-bitcoin stores them unsigned.
        let value = out.value.to_sat() as i64;
        if value < 0 {
            return Err(TxCheckError::VoutNegative);
        }
        if value > MAX_MONEY {
            return Err(TxCheckError::VoutTooLarge);
        }
        total += value;
        if !(0..=MAX_MONEY).contains(&total) {
            return Err(TxCheckError::TxoutTotalTooLarge);
        }
    }
    let mut seen = HashSet::with_capacity(tx.input.len());
    for input in &tx.input {
        if !seen.insert(input.previous_output) {
            return Err(TxCheckError::InputsDuplicate);
        }
    }
    if tx.is_coinbase() {
        let n = tx.input[0].script_sig.len();
        if !(2..=100).contains(&n) {
            return Err(TxCheckError::CoinbaseLength);
        }
    } else if tx.input.iter().any(|i| i.previous_output.is_null()) {
        return Err(TxCheckError::PrevoutNull);
    }
    Ok(())
}
