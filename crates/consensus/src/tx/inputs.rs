//! `Consensus::CheckTxInputs`: spent coins exist and are mature, and values add up.

use bitcoin::{Transaction, TxOut};

use super::{COINBASE_MATURITY, MAX_MONEY};

/// Whether `v` is a valid amount (`MoneyRange`).
pub fn money_range(v: i64) -> bool {
    (0..=MAX_MONEY).contains(&v)
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
