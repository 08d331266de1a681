//! Amounts in option values (Core's `ParseMoney`; `consensus::format_money` prints them).

/// Satoshis per bitcoin.
const COIN: i64 = 100_000_000;
/// The most bitcoin there can be, in satoshis.
const MAX_MONEY: i64 = 21_000_000 * COIN;

/// Parses `12.345` style amounts in BTC: digits, an optional point and up to eight
/// decimals, surrounded by optional spaces; at most 10^10 whole coins, within the money
/// range. `None` for anything else.
pub fn parse_money(s: &str) -> Option<i64> {
    let t = s.trim_matches(|c: char| " \t\n\x0b\x0c\r".contains(c));
    if t.is_empty() {
        return None;
    }
    let (whole, frac) = match t.split_once('.') {
        Some((w, f)) => (w, Some(f)),
        None => (t, None),
    };
    if !whole.bytes().all(|b| b.is_ascii_digit()) || whole.len() > 10 {
        return None;
    }
    let mut units: i64 = 0;
    if let Some(f) = frac {
        if f.len() > 8 || !f.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let mut mult = COIN / 10;
        for b in f.bytes() {
            units += mult * i64::from(b - b'0');
            mult /= 10;
        }
    }
    let coins: i64 = if whole.is_empty() {
        0
    } else {
        whole.parse().ok()?
    };
    let value = coins.checked_mul(COIN)?.checked_add(units)?;
    (0..=MAX_MONEY).contains(&value).then_some(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_as_core() {
        assert_eq!(parse_money("0.00001"), Some(1000));
        assert_eq!(parse_money("1"), Some(COIN));
        assert_eq!(parse_money(" 1.5 "), Some(150_000_000));
        assert_eq!(parse_money(".5"), Some(50_000_000));
        assert_eq!(parse_money("1."), Some(COIN));
        assert_eq!(parse_money("0.000000001"), None);
        assert_eq!(parse_money("-1"), None);
        assert_eq!(parse_money("1e3"), None);
        assert_eq!(parse_money(""), None);
        // As Core's: a lone point is zero.
        assert_eq!(parse_money("."), Some(0));
        assert_eq!(parse_money("21000001"), None);
    }
}
