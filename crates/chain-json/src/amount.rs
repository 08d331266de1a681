//! Amounts in BTC as JSON numbers with exactly eight decimals.

use serde_json::{Number, Value};

/// Satoshis per bitcoin.
const COIN: i64 = 100_000_000;

/// Formats an amount in satoshis as Core's `ValueFromAmount` does: a JSON
/// number with a leading `-` for negative amounts, the whole coins and
/// exactly eight decimals (`50.00000000`, `-0.00000001`, `0.00000000`).
pub fn value_from_amount(sats: i64) -> Value {
    Value::Number(amount_number(sats))
}

/// The text of [`value_from_amount`] as a [`Number`].
pub fn amount_number(sats: i64) -> Number {
    let text = amount_text(sats);
    // The text is always a valid JSON number; the fallback is never taken.
    text.parse::<Number>().unwrap_or_else(|_| Number::from(0))
}

/// The decimal text of an amount (`-0.00000001`), without JSON wrapping.
pub fn amount_text(sats: i64) -> String {
    // Work on the magnitude as u64 so that i64::MIN does not overflow.
    let magnitude = sats.unsigned_abs();
    let coin = COIN.unsigned_abs();
    let sign = if sats < 0 { "-" } else { "" };
    format!("{sign}{}.{:08}", magnitude / coin, magnitude % coin)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(sats: i64) -> String {
        serde_json::to_string(&value_from_amount(sats)).unwrap_or_default()
    }

    #[test]
    fn formats_like_core() {
        assert_eq!(text(0), "0.00000000");
        assert_eq!(text(1), "0.00000001");
        assert_eq!(text(-1), "-0.00000001");
        assert_eq!(text(5_000_000_000), "50.00000000");
        assert_eq!(text(-123_456_789), "-1.23456789");
        assert_eq!(text(2_100_000_000_000_000), "21000000.00000000");
        assert_eq!(text(i64::MAX), "92233720368.54775807");
        assert_eq!(text(i64::MIN), "-92233720368.54775808");
    }
}
