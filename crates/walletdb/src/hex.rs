//! Hex helpers with Core's rules (`HexStr`, `IsHex`, `ParseHex`).

/// Lower-case hex of `bytes`, in order (Core's `HexStr`).
pub fn encode(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(char::from(DIGITS[usize::from(b >> 4)]));
        s.push(char::from(DIGITS[usize::from(b & 0xf)]));
    }
    s
}

fn digit(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

/// Core's `IsHex`: non-empty, even length, hex digits only.
pub fn is_hex(s: &[u8]) -> bool {
    !s.is_empty() && s.len().is_multiple_of(2) && s.iter().all(|&c| digit(c).is_some())
}

/// Strict decoding: an even number of hex digits and nothing else.
pub fn decode(s: &str) -> Option<Vec<u8>> {
    let s = s.as_bytes();
    if !s.len().is_multiple_of(2) {
        return None;
    }
    s.chunks(2)
        .map(|p| Some(digit(p[0])? << 4 | digit(p[1])?))
        .collect()
}

/// Core's `TryParseHex`: whitespace between byte pairs is skipped, anything else that
/// is not a digit pair fails.
pub fn parse_core(s: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(s.len() / 2);
    let mut it = s.iter().copied();
    while let Some(c) = it.next() {
        if is_space(c) {
            continue;
        }
        let hi = digit(c);
        let lo = it.next().and_then(digit);
        out.push(hi? << 4 | lo?);
    }
    Some(out)
}

/// Core's `IsSpace`.
fn is_space(c: u8) -> bool {
    matches!(c, b' ' | b'\x0c' | b'\n' | b'\r' | b'\t' | b'\x0b')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn core_hex_rules() {
        assert_eq!(encode(&[0x00, 0xab, 0xff]), "00abff");
        assert_eq!(decode("00ABff"), Some(vec![0x00, 0xab, 0xff]));
        assert_eq!(decode("0"), None);
        assert!(is_hex(b"00aB"));
        assert!(!is_hex(b""));
        assert!(!is_hex(b"0"));
        assert!(!is_hex(b"0g"));
        assert_eq!(parse_core(b" 00 ab\tff "), Some(vec![0x00, 0xab, 0xff]));
        assert_eq!(parse_core(b"0 0"), None);
        assert_eq!(parse_core(b"zz"), None);
    }
}
