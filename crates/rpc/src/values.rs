//! Numbers as Core prints and parses them: amounts in BTC with eight decimals,
//! doubles with 16 significant digits, fixed-point amount parsing.

use serde_json::{Number, Value};

use crate::codes::RPC_TYPE_ERROR;
use crate::error::RpcError;

/// Satoshis per bitcoin.
pub const COIN: i64 = 100_000_000;
/// Largest valid amount in satoshis (21 million BTC).
pub const MAX_MONEY: i64 = 21_000_000 * COIN;

/// Largest magnitude a fixed-point parse may produce (10^18 - 1).
const UPPER_BOUND: i64 = 1_000_000_000_000_000_000 - 1;

fn number(text: String) -> Value {
    Value::Number(Number::from_string_unchecked(text))
}

/// An amount in satoshis as the JSON number Core writes, e.g. `50.00000000`.
pub fn amount_value(sats: i64) -> Value {
    let sign = if sats < 0 { "-" } else { "" };
    let abs = sats.unsigned_abs();
    let coin = COIN as u64;
    number(format!("{sign}{}.{:08}", abs / coin, abs % coin))
}

/// A double as Core's UniValue prints it (16 significant digits, `%g` style:
/// `1` for 1.0, `4.656542373906925e-10`). Non-finite values become null.
pub fn double_value(x: f64) -> Value {
    if !x.is_finite() {
        return Value::Null;
    }
    number(format_g16(x))
}

/// `printf("%.16g", x)` for a finite `x`.
fn format_g16(x: f64) -> String {
    const PRECISION: i32 = 16;
    let sci = format!("{:.*e}", (PRECISION - 1) as usize, x);
    let (mantissa, exp) = match sci.split_once('e') {
        Some((m, e)) => (m.to_string(), e.parse::<i32>().unwrap_or(0)),
        None => (sci.clone(), 0),
    };
    if !(-4..PRECISION).contains(&exp) {
        let mantissa = strip_zeros(&mantissa);
        let sign = if exp < 0 { '-' } else { '+' };
        format!("{mantissa}e{sign}{:02}", exp.unsigned_abs())
    } else {
        let decimals = (PRECISION - 1 - exp).max(0) as usize;
        strip_zeros(&format!("{x:.decimals$}"))
    }
}

fn strip_zeros(s: &str) -> String {
    if !s.contains('.') {
        return s.to_string();
    }
    let trimmed = s.trim_end_matches('0');
    trimmed.trim_end_matches('.').to_string()
}

/// Core's `ParseFixedPoint`: parses a decimal number text (optionally with an
/// exponent) into an integer scaled by 10^`decimals`; `None` if malformed,
/// too precise or out of range.
pub fn parse_fixed_point(text: &str, decimals: i32) -> Option<i64> {
    let b = text.as_bytes();
    let mut ptr = 0usize;
    let mut mantissa: i64 = 0;
    let mut tzeros: i64 = 0;
    let mut point_ofs: i64 = 0;
    let mut exponent: i64 = 0;
    let negative = b.first() == Some(&b'-');
    if negative {
        ptr += 1;
    }
    let digit = |ch: u8, mantissa: &mut i64, tzeros: &mut i64| -> bool {
        if ch == b'0' {
            *tzeros += 1;
            return true;
        }
        for _ in 0..=*tzeros {
            if *mantissa > UPPER_BOUND / 10 {
                return false;
            }
            *mantissa *= 10;
        }
        *mantissa += i64::from(ch - b'0');
        *tzeros = 0;
        true
    };
    match b.get(ptr) {
        Some(b'0') => ptr += 1,
        Some(b'1'..=b'9') => {
            while let Some(&c) = b.get(ptr).filter(|c| c.is_ascii_digit()) {
                if !digit(c, &mut mantissa, &mut tzeros) {
                    return None;
                }
                ptr += 1;
            }
        }
        _ => return None,
    }
    if b.get(ptr) == Some(&b'.') {
        ptr += 1;
        if !b.get(ptr).is_some_and(|c| c.is_ascii_digit()) {
            return None;
        }
        while let Some(&c) = b.get(ptr).filter(|c| c.is_ascii_digit()) {
            if !digit(c, &mut mantissa, &mut tzeros) {
                return None;
            }
            ptr += 1;
            point_ofs += 1;
        }
    }
    if matches!(b.get(ptr), Some(b'e' | b'E')) {
        ptr += 1;
        let mut exp_negative = false;
        match b.get(ptr) {
            Some(b'+') => ptr += 1,
            Some(b'-') => {
                exp_negative = true;
                ptr += 1;
            }
            _ => {}
        }
        if !b.get(ptr).is_some_and(|c| c.is_ascii_digit()) {
            return None;
        }
        while let Some(&c) = b.get(ptr).filter(|c| c.is_ascii_digit()) {
            if exponent > UPPER_BOUND / 10 {
                return None;
            }
            exponent = exponent * 10 + i64::from(c - b'0');
            ptr += 1;
        }
        if exp_negative {
            exponent = -exponent;
        }
    }
    if ptr != b.len() {
        return None;
    }
    let mut exponent = exponent - point_ofs + tzeros + i64::from(decimals);
    if negative {
        mantissa = -mantissa;
    }
    if !(0..18).contains(&exponent) {
        return None;
    }
    while exponent > 0 {
        if !(-(UPPER_BOUND / 10)..=UPPER_BOUND / 10).contains(&mantissa) {
            return None;
        }
        mantissa *= 10;
        exponent -= 1;
    }
    if !(-UPPER_BOUND..=UPPER_BOUND).contains(&mantissa) {
        return None;
    }
    Some(mantissa)
}

/// Core's `MoneyRange`.
pub fn money_range(sats: i64) -> bool {
    (0..=MAX_MONEY).contains(&sats)
}

/// Core's `AmountFromValue`: a JSON number or string in units of 10^-`decimals`
/// (8 for BTC amounts), checked against the money range. Errors are Core's
/// (`-3` "Amount is not a number or string" / "Invalid amount" / "Amount out of range").
pub fn amount_from_value(v: &Value, decimals: i32) -> Result<i64, RpcError> {
    let text = match v {
        Value::Number(n) => n.to_string(),
        Value::String(s) => s.clone(),
        _ => {
            return Err(RpcError::new(
                RPC_TYPE_ERROR,
                "Amount is not a number or string",
            ))
        }
    };
    let amount = parse_fixed_point(&text, decimals)
        .ok_or_else(|| RpcError::new(RPC_TYPE_ERROR, "Invalid amount"))?;
    if !money_range(amount) {
        return Err(RpcError::new(RPC_TYPE_ERROR, "Amount out of range"));
    }
    Ok(amount)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use crate::json::write;

    #[test]
    fn amounts_print_like_core() {
        assert_eq!(write(&amount_value(50 * COIN)), "50.00000000");
        assert_eq!(write(&amount_value(0)), "0.00000000");
        assert_eq!(write(&amount_value(-1)), "-0.00000001");
        assert_eq!(write(&amount_value(MAX_MONEY)), "21000000.00000000");
        assert_eq!(write(&amount_value(i64::MIN)), "-92233720368.54775808");
    }

    #[test]
    fn doubles_print_like_core() {
        // regtest getdifficulty and friends.
        // Core's GetDifficulty for regtest's nBits 0x207fffff.
        let mut diff = f64::from(0xffffu32) / f64::from(0x7fffffu32);
        for _ in 29..0x20 {
            diff /= 256.0;
        }
        assert_eq!(write(&double_value(diff)), "4.656542373906925e-10");
        assert_eq!(
            write(&double_value(4.656542373906925e-10)),
            "4.656542373906925e-10"
        );
        assert_eq!(write(&double_value(1.0)), "1");
        assert_eq!(write(&double_value(0.0)), "0");
        assert_eq!(write(&double_value(-0.0)), "-0");
        assert_eq!(write(&double_value(0.5)), "0.5");
        assert_eq!(write(&double_value(1e16)), "1e+16");
        assert_eq!(write(&double_value(123456789012345.6)), "123456789012345.6");
        assert_eq!(write(&double_value(0.0001)), "0.0001");
        assert_eq!(write(&double_value(0.00001)), "1e-05");
        assert_eq!(write(&double_value(1.0 / 3.0)), "0.3333333333333333");
        assert_eq!(
            write(&double_value(2.0f64.powi(64))),
            "1.844674407370955e+19"
        );
        assert_eq!(write(&double_value(f64::NAN)), "null");
    }

    #[test]
    fn fixed_point_like_core() {
        // Cases from Core's util_ParseFixedPoint test.
        let cases: &[(&str, Option<i64>)] = &[
            ("0", Some(0)),
            ("1", Some(100000000)),
            ("0.0", Some(0)),
            ("-0.1", Some(-10000000)),
            ("1.1", Some(110000000)),
            ("1.10000000000000000", Some(110000000)),
            ("1.1e1", Some(1100000000)),
            ("1.1e-1", Some(11000000)),
            ("1000", Some(100000000000)),
            ("-1000", Some(-100000000000)),
            ("0.00000001", Some(1)),
            ("0.0000000100000000", Some(1)),
            ("-0.00000001", Some(-1)),
            ("1000000000.00000001", Some(100000000000000001)),
            ("9999999999.99999999", Some(999999999999999999)),
            ("-9999999999.99999999", Some(-999999999999999999)),
            ("", None),
            ("-", None),
            ("a-1000", None),
            ("-a1000", None),
            ("-1000a", None),
            ("-01000", None),
            ("00.1", None),
            (".1", None),
            ("--0.1", None),
            ("0.000000001", None),
            ("-0.000000001", None),
            ("0.00000001000000001", None),
            ("-10000000000.00000000", None),
            ("10000000000.00000000", None),
            ("-10000000000.00000001", None),
            ("10000000000.00000001", None),
            ("-10000000000.00000009", None),
            ("10000000000.00000009", None),
            ("-99999999999.99999999", None),
            ("99999909999.09999999", None),
            ("92233720368.54775807", None),
            ("92233720368.54775808", None),
            ("-92233720368.54775808", None),
            ("-92233720368.54775809", None),
            ("1.1e", None),
            ("1.1e-", None),
            ("1.", None),
            ("0.00000001e+1", Some(10)),
            ("1e-8", Some(1)),
            ("1e-9", None),
        ];
        for (text, want) in cases {
            assert_eq!(parse_fixed_point(text, 8), *want, "{text}");
        }
    }

    #[test]
    fn amount_errors_like_core() {
        let n = |s: &str| Value::Number(Number::from_string_unchecked(s.into()));
        assert_eq!(amount_from_value(&n("0.00000001"), 8), Ok(1));
        assert_eq!(amount_from_value(&Value::String("1".into()), 8), Ok(COIN));
        assert_eq!(amount_from_value(&n("21000000"), 8), Ok(MAX_MONEY));
        let e = |m: &str| Err(RpcError::new(RPC_TYPE_ERROR, m));
        assert_eq!(
            amount_from_value(&n("21000000.00000001"), 8),
            e("Amount out of range")
        );
        assert_eq!(amount_from_value(&n("-1"), 8), e("Amount out of range"));
        assert_eq!(amount_from_value(&n("0.000000001"), 8), e("Invalid amount"));
        assert_eq!(
            amount_from_value(&Value::Bool(true), 8),
            e("Amount is not a number or string")
        );
        assert_eq!(
            amount_from_value(&Value::Null, 8),
            e("Amount is not a number or string")
        );
    }
}
