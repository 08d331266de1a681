//! Context-free transaction checks (`CheckTransaction`) with Core's reject reasons.

use std::collections::HashSet;

use bitcoin::Transaction;

/// Largest amount of money (`MAX_MONEY`), in satoshis.
pub const MAX_MONEY: i64 = 21_000_000 * 100_000_000;
/// Largest block weight (`MAX_BLOCK_WEIGHT`).
pub const MAX_BLOCK_WEIGHT: u64 = 4_000_000;
/// Witness scale factor (`WITNESS_SCALE_FACTOR`).
pub const WITNESS_SCALE_FACTOR: u64 = 4;

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

/// `COINBASE_MATURITY`: blocks before a coinbase output can be spent.
pub const COINBASE_MATURITY: u32 = 100;
/// `SEQUENCE_LOCKTIME_GRANULARITY`: time-based relative locks count units of 512 seconds.
pub const SEQUENCE_LOCKTIME_GRANULARITY: u32 = 9;

use crate::script::{
    get_op, is_p2sh, is_push_only, op, witness_program, VerifyFlags, LOCKTIME_THRESHOLD,
};

/// Whether `v` is a valid amount (`MoneyRange`).
pub fn money_range(v: i64) -> bool {
    (0..=MAX_MONEY).contains(&v)
}

/// `IsFinalTx`: whether `tx` may be in a block at `height` with time `block_time`
/// (median time past, for blocks after BIP113).
pub fn is_final_tx(tx: &Transaction, height: i32, block_time: i64) -> bool {
    let lock = tx.lock_time.to_consensus_u32() as i64;
    if lock == 0 {
        return true;
    }
    let limit = if lock < LOCKTIME_THRESHOLD {
        height as i64
    } else {
        block_time
    };
    if lock < limit {
        return true;
    }
    // A lock in the future is ignored when every input is final.
    tx.input.iter().all(|i| i.sequence.0 == 0xffff_ffff)
}

/// `CalculateSequenceLocks` (BIP68): the minimum height and time (both exclusive; -1 for
/// none) at which `tx` may be mined. `prev_heights` holds each input's coin height and is
/// zeroed for inputs without a relative lock; `mtp_at(h)` is the median time past of the
/// block at height `h` on the chain being validated.
pub fn calculate_sequence_locks(
    tx: &Transaction,
    enforce_bip68: bool,
    prev_heights: &mut [i32],
    mtp_at: impl Fn(i32) -> i64,
) -> (i32, i64) {
    let (mut min_height, mut min_time) = (-1i32, -1i64);
    // The version is unsigned in Core (CTransaction::version is uint32_t).
    if !enforce_bip68 || (tx.version.0 as u32) < 2 {
        return (min_height, min_time);
    }
    for (i, input) in tx.input.iter().enumerate() {
        let seq = input.sequence.0;
        let Some(height) = prev_heights.get_mut(i) else {
            break;
        };
        if seq & (1 << 31) != 0 {
            *height = 0;
            continue;
        }
        let coin_height = *height;
        let value = (seq & 0xffff) as i64;
        if seq & (1 << 22) != 0 {
            let coin_time = mtp_at((coin_height - 1).max(0));
            min_time = min_time.max(coin_time + (value << SEQUENCE_LOCKTIME_GRANULARITY) - 1);
        } else {
            min_height = min_height.max(coin_height + value as i32 - 1);
        }
    }
    (min_height, min_time)
}

/// `EvaluateSequenceLocks`: whether locks computed by [`calculate_sequence_locks`] allow a
/// block at `height` whose parent has median time past `prev_mtp`.
pub fn evaluate_sequence_locks(height: i32, prev_mtp: i64, locks: (i32, i64)) -> bool {
    !(locks.0 >= height || locks.1 >= prev_mtp)
}

/// `CScript::GetSigOpCount`: CHECKSIGs count one; CHECKMULTISIGs count their key count when
/// `accurate` and preceded by OP_1..OP_16, otherwise 20.
pub fn script_sig_op_count(script: &[u8], accurate: bool) -> u32 {
    let mut n = 0u32;
    let mut last = op::OP_INVALIDOPCODE;
    let mut pc = 0;
    while pc < script.len() {
        let Some(ins) = get_op(script, &mut pc) else {
            break;
        };
        match ins.opcode {
            op::OP_CHECKSIG | op::OP_CHECKSIGVERIFY => n += 1,
            op::OP_CHECKMULTISIG | op::OP_CHECKMULTISIGVERIFY => {
                n += if accurate && (op::OP_1..=op::OP_16).contains(&last) {
                    (last - op::OP_1 + 1) as u32
                } else {
                    20
                };
            }
            _ => {}
        }
        last = ins.opcode;
    }
    n
}

/// The last push of a push-only scriptSig, or `None` if it is not push-only.
fn last_push(script_sig: &[u8]) -> Option<Vec<u8>> {
    let mut pc = 0;
    let mut data = Vec::new();
    while pc < script_sig.len() {
        let ins = get_op(script_sig, &mut pc)?;
        if ins.opcode > op::OP_16 {
            return None;
        }
        data = ins.data.to_vec();
    }
    Some(data)
}

/// `GetLegacySigOpCount`: inaccurate counts over every scriptSig and scriptPubKey.
pub fn legacy_sig_op_count(tx: &Transaction) -> u32 {
    tx.input
        .iter()
        .map(|i| script_sig_op_count(i.script_sig.as_bytes(), false))
        .sum::<u32>()
        + tx.output
            .iter()
            .map(|o| script_sig_op_count(o.script_pubkey.as_bytes(), false))
            .sum::<u32>()
}

/// `GetP2SHSigOpCount`: accurate counts of the redeem scripts of P2SH inputs.
pub fn p2sh_sig_op_count(tx: &Transaction, spent: &[TxOut]) -> u32 {
    if tx.is_coinbase() {
        return 0;
    }
    tx.input
        .iter()
        .zip(spent)
        .filter(|(_, out)| is_p2sh(out.script_pubkey.as_bytes()))
        .map(|(i, _)| match last_push(i.script_sig.as_bytes()) {
            Some(redeem) => script_sig_op_count(&redeem, true),
            None => 0,
        })
        .sum()
}

fn witness_sig_ops(version: u8, program: &[u8], witness: &bitcoin::Witness) -> u32 {
    if version != 0 {
        return 0;
    }
    match program.len() {
        20 => 1,
        32 => witness
            .last()
            .map(|s| script_sig_op_count(s, true))
            .unwrap_or(0),
        _ => 0,
    }
}

/// `CountWitnessSigOps` for one input.
pub fn witness_sig_op_count(
    script_sig: &[u8],
    script_pubkey: &[u8],
    witness: &bitcoin::Witness,
    flags: VerifyFlags,
) -> u32 {
    if !flags.contains(VerifyFlags::WITNESS) {
        return 0;
    }
    if let Some((v, p)) = witness_program(script_pubkey) {
        return witness_sig_ops(v, p, witness);
    }
    if is_p2sh(script_pubkey) && is_push_only(script_sig) {
        if let Some(redeem) = last_push(script_sig) {
            if let Some((v, p)) = witness_program(&redeem) {
                return witness_sig_ops(v, p, witness);
            }
        }
    }
    0
}

/// `GetTransactionSigOpCost`: legacy and P2SH sigops weighted by 4, witness sigops by 1.
/// `spent` holds the outputs the inputs spend, in input order.
pub fn transaction_sig_op_cost(tx: &Transaction, spent: &[TxOut], flags: VerifyFlags) -> i64 {
    let mut cost = legacy_sig_op_count(tx) as i64 * WITNESS_SCALE_FACTOR as i64;
    if tx.is_coinbase() {
        return cost;
    }
    if flags.contains(VerifyFlags::P2SH) {
        cost += p2sh_sig_op_count(tx, spent) as i64 * WITNESS_SCALE_FACTOR as i64;
    }
    for (input, out) in tx.input.iter().zip(spent) {
        cost += witness_sig_op_count(
            input.script_sig.as_bytes(),
            out.script_pubkey.as_bytes(),
            &input.witness,
            flags,
        ) as i64;
    }
    cost
}

/// A coin an input spends, as the UTXO set stores it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpentCoin {
    /// The output.
    pub output: TxOut,
    /// Height of the block that created it.
    pub height: u32,
    /// Whether a coinbase created it.
    pub is_coinbase: bool,
}

use bitcoin::TxOut;

/// Why `CheckTxInputs` rejected a transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum TxInputsError {
    /// An input's coin is not in the UTXO set.
    MissingOrSpent,
    /// A coinbase output spent before maturity, at the given depth.
    PrematureSpendOfCoinbase {
        /// Blocks between the coin and the spend.
        depth: i64,
    },
    /// An input value, or their sum, outside the money range.
    InputValuesOutOfRange,
    /// Inputs worth less than outputs.
    InBelowOut {
        /// Sum of input values.
        value_in: i64,
        /// Sum of output values.
        value_out: i64,
    },
    /// The fee outside the money range.
    FeeOutOfRange,
}

impl TxInputsError {
    /// Core's reject reason.
    pub fn reason(&self) -> &'static str {
        match self {
            TxInputsError::MissingOrSpent => "bad-txns-inputs-missingorspent",
            TxInputsError::PrematureSpendOfCoinbase { .. } => {
                "bad-txns-premature-spend-of-coinbase"
            }
            TxInputsError::InputValuesOutOfRange => "bad-txns-inputvalues-outofrange",
            TxInputsError::InBelowOut { .. } => "bad-txns-in-belowout",
            TxInputsError::FeeOutOfRange => "bad-txns-fee-outofrange",
        }
    }

    /// Core's debug message, where it gives one.
    pub fn debug_message(&self) -> Option<String> {
        match self {
            TxInputsError::MissingOrSpent => Some("CheckTxInputs: inputs missing/spent".into()),
            TxInputsError::PrematureSpendOfCoinbase { depth } => {
                Some(format!("tried to spend coinbase at depth {depth}"))
            }
            TxInputsError::InBelowOut {
                value_in,
                value_out,
            } => Some(format!(
                "value in ({}) < value out ({})",
                format_money(*value_in),
                format_money(*value_out)
            )),
            _ => None,
        }
    }
}

impl std::fmt::Display for TxInputsError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.debug_message() {
            Some(m) => write!(f, "{}, {m}", self.reason()),
            None => f.write_str(self.reason()),
        }
    }
}

impl std::error::Error for TxInputsError {}

/// Core's `FormatMoney`: at least two decimals, trailing zeros beyond them removed.
pub fn format_money(n: i64) -> String {
    let abs = n.unsigned_abs();
    let mut s = format!(
        "{}{}.{:08}",
        if n < 0 { "-" } else { "" },
        abs / 100_000_000,
        abs % 100_000_000
    );
    while s.ends_with('0') && s.len() - s.find('.').map(|p| p + 1).unwrap_or(0) > 2 {
        s.pop();
    }
    s
}

/// `Consensus::CheckTxInputs`: coins exist and are mature, and values add up. Returns the fee.
/// `coins[i]` is the coin input `i` spends, `None` if missing; `spend_height` is the height
/// of the block the transaction would be in.
pub fn check_tx_inputs(
    tx: &Transaction,
    coins: &[Option<SpentCoin>],
    spend_height: u32,
) -> Result<i64, TxInputsError> {
    if coins.len() != tx.input.len() || coins.iter().any(Option::is_none) {
        return Err(TxInputsError::MissingOrSpent);
    }
    let mut value_in: i64 = 0;
    for coin in coins.iter().flatten() {
        if coin.is_coinbase && (spend_height as i64 - coin.height as i64) < COINBASE_MATURITY as i64
        {
            return Err(TxInputsError::PrematureSpendOfCoinbase {
                depth: spend_height as i64 - coin.height as i64,
            });
        }
        let v = coin.output.value.to_sat() as i64;
        value_in = value_in.saturating_add(v);
        if !money_range(v) || !money_range(value_in) {
            return Err(TxInputsError::InputValuesOutOfRange);
        }
    }
    let value_out: i64 = tx
        .output
        .iter()
        .map(|o| o.value.to_sat() as i64)
        .fold(0i64, i64::saturating_add);
    if value_in < value_out {
        return Err(TxInputsError::InBelowOut {
            value_in,
            value_out,
        });
    }
    let fee = value_in - value_out;
    if !money_range(fee) {
        return Err(TxInputsError::FeeOutOfRange);
    }
    Ok(fee)
}

#[cfg(test)]
mod tests {
    use super::*;
    use bitcoin::absolute::LockTime;
    use bitcoin::hashes::Hash;
    use bitcoin::{Amount, OutPoint, ScriptBuf, Sequence, TxIn, Txid, Witness};

    fn tx(version: i32, lock: u32, seqs: &[u32]) -> Transaction {
        Transaction {
            version: bitcoin::transaction::Version(version),
            lock_time: LockTime::from_consensus(lock),
            input: seqs
                .iter()
                .enumerate()
                .map(|(i, &s)| TxIn {
                    previous_output: OutPoint {
                        txid: Txid::from_byte_array([i as u8 + 1; 32]),
                        vout: 0,
                    },
                    script_sig: ScriptBuf::new(),
                    sequence: Sequence(s),
                    witness: Witness::new(),
                })
                .collect(),
            output: vec![TxOut {
                value: Amount::from_sat(50),
                script_pubkey: ScriptBuf::new(),
            }],
        }
    }

    #[test]
    fn check_transaction_reasons() {
        assert_eq!(
            check_transaction(&tx(2, 0, &[])).unwrap_err().reason(),
            "bad-txns-vin-empty"
        );
        let mut t = tx(2, 0, &[0, 0]);
        t.input[1].previous_output = t.input[0].previous_output;
        assert_eq!(
            check_transaction(&t).unwrap_err().reason(),
            "bad-txns-inputs-duplicate"
        );
        let mut t = tx(2, 0, &[0]);
        t.output[0].value = Amount::from_sat(MAX_MONEY as u64 + 1);
        assert_eq!(
            check_transaction(&t).unwrap_err().reason(),
            "bad-txns-vout-toolarge"
        );
        let mut t = tx(2, 0, &[0]);
        t.input[0].previous_output = OutPoint::null();
        assert_eq!(check_transaction(&t).unwrap_err().reason(), "bad-cb-length");
        let mut t = tx(2, 0, &[0, 0]);
        t.input[1].previous_output = OutPoint::null();
        assert_eq!(
            check_transaction(&t).unwrap_err().reason(),
            "bad-txns-prevout-null"
        );
        assert!(check_transaction(&tx(2, 0, &[0])).is_ok());
    }

    #[test]
    fn finality() {
        assert!(is_final_tx(&tx(2, 0, &[0]), 1, 0));
        assert!(is_final_tx(&tx(2, 100, &[0]), 101, 0));
        assert!(!is_final_tx(&tx(2, 100, &[0]), 100, 0));
        assert!(is_final_tx(&tx(2, 100, &[0xffff_ffff]), 100, 0));
        assert!(!is_final_tx(
            &tx(2, 600_000_000, &[0]),
            1_000_000,
            600_000_000
        ));
        assert!(is_final_tx(&tx(2, 600_000_000, &[0]), 1, 600_000_001));
    }

    #[test]
    fn bip68_sequence_locks() {
        let mtp = |h: i32| 1_000_000 + h as i64 * 600;
        // Height lock of 10 on a coin at height 100: minable from height 110.
        let t = tx(2, 0, &[10]);
        let mut heights = vec![100];
        let locks = calculate_sequence_locks(&t, true, &mut heights, mtp);
        assert_eq!(locks, (109, -1));
        assert!(!evaluate_sequence_locks(109, i64::MAX, locks));
        assert!(evaluate_sequence_locks(110, i64::MAX, locks));
        // Version 1 or disabled flag: no lock; the disable flag zeroes the height.
        assert_eq!(
            calculate_sequence_locks(&tx(1, 0, &[10]), true, &mut [100], mtp),
            (-1, -1)
        );
        let mut heights = vec![100];
        assert_eq!(
            calculate_sequence_locks(&tx(2, 0, &[1 << 31 | 10]), true, &mut heights, mtp),
            (-1, -1)
        );
        assert_eq!(heights, vec![0]);
        // Unsigned version: 0xffffffff counts as >= 2.
        assert_eq!(
            calculate_sequence_locks(&tx(-1, 0, &[10]), true, &mut [100], mtp),
            (109, -1)
        );
        // Time lock of 2 units (1024 s) from the MTP of the block before the coin's.
        let locks = calculate_sequence_locks(&tx(2, 0, &[1 << 22 | 2]), true, &mut [100], mtp);
        assert_eq!(locks, (-1, mtp(99) + 1024 - 1));
    }

    #[test]
    fn sig_op_counts() {
        use crate::script::op::*;
        assert_eq!(
            script_sig_op_count(&[OP_CHECKSIG, OP_CHECKSIGVERIFY], false),
            2
        );
        assert_eq!(script_sig_op_count(&[OP_3, OP_CHECKMULTISIG], true), 3);
        assert_eq!(script_sig_op_count(&[OP_3, OP_CHECKMULTISIG], false), 20);
        assert_eq!(script_sig_op_count(&[OP_CHECKMULTISIG], true), 20);
        // A truncated push stops counting.
        assert_eq!(
            script_sig_op_count(&[OP_CHECKSIG, OP_PUSHDATA1, 5, OP_CHECKSIG], false),
            1
        );
    }

    #[test]
    fn inputs_checks_and_fees() {
        let t = tx(2, 0, &[0]);
        let coin = |v: u64, h: u32, cb: bool| {
            Some(SpentCoin {
                output: TxOut {
                    value: Amount::from_sat(v),
                    script_pubkey: ScriptBuf::new(),
                },
                height: h,
                is_coinbase: cb,
            })
        };
        assert_eq!(check_tx_inputs(&t, &[coin(80, 1, false)], 10), Ok(30));
        assert_eq!(
            check_tx_inputs(&t, &[None], 10).unwrap_err().reason(),
            "bad-txns-inputs-missingorspent"
        );
        let e = check_tx_inputs(&t, &[coin(80, 1, true)], 100).unwrap_err();
        assert_eq!(
            e.to_string(),
            "bad-txns-premature-spend-of-coinbase, tried to spend coinbase at depth 99"
        );
        assert!(check_tx_inputs(&t, &[coin(80, 1, true)], 101).is_ok());
        let e = check_tx_inputs(&t, &[coin(20, 1, false)], 10).unwrap_err();
        assert_eq!(
            e.to_string(),
            "bad-txns-in-belowout, value in (0.0000002) < value out (0.0000005)"
        );
        assert_eq!(format_money(123_450_000), "1.2345");
        assert_eq!(format_money(100_000_000), "1.00");
        assert_eq!(format_money(0), "0.00");
    }
}
