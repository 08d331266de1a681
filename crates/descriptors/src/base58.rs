//! Base58 as Core decodes it: surrounding whitespace tolerated, a bound on the decoded
//! length, and an optional four-byte double-SHA256 checksum.

use bitcoin::hashes::{sha256d, Hash};

const ALPHABET: &[u8; 58] = b"123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";

fn is_space(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\n' | b'\x0b' | b'\x0c' | b'\r')
}

fn digit(c: u8) -> Option<u32> {
    ALPHABET.iter().position(|&a| a == c).map(|p| p as u32)
}

/// Decodes `s`, failing when it holds a non-alphabet character (other than leading or
/// trailing whitespace) or decodes to more than `max_len` bytes.
pub(crate) fn decode(s: &str, max_len: usize) -> Option<Vec<u8>> {
    let b = s.as_bytes();
    if b.contains(&0) {
        return None;
    }
    let mut i = 0;
    while i < b.len() && is_space(b[i]) {
        i += 1;
    }
    let mut zeroes = 0usize;
    while i < b.len() && b[i] == b'1' {
        zeroes += 1;
        if zeroes > max_len {
            return None;
        }
        i += 1;
    }
    // Little-endian base-256 digits of the number.
    let mut num: Vec<u8> = Vec::new();
    while i < b.len() && !is_space(b[i]) {
        let mut carry = digit(b[i])?;
        for byte in num.iter_mut() {
            carry += u32::from(*byte) * 58;
            *byte = (carry & 0xff) as u8;
            carry >>= 8;
        }
        while carry > 0 {
            num.push((carry & 0xff) as u8);
            carry >>= 8;
        }
        if num.len() + zeroes > max_len {
            return None;
        }
        i += 1;
    }
    while i < b.len() && is_space(b[i]) {
        i += 1;
    }
    if i != b.len() {
        return None;
    }
    let mut out = vec![0u8; zeroes];
    out.extend(num.iter().rev());
    Some(out)
}

/// Decodes a checksummed string whose payload is at most `max_len` bytes.
pub(crate) fn decode_check(s: &str, max_len: usize) -> Option<Vec<u8>> {
    let mut data = decode(s, max_len.checked_add(4)?)?;
    if data.len() < 4 {
        return None;
    }
    let split = data.len() - 4;
    let hash = sha256d::Hash::hash(&data[..split]);
    if hash.as_byte_array()[..4] != data[split..] {
        return None;
    }
    data.truncate(split);
    Some(data)
}

/// Encodes `data` with its checksum.
pub(crate) fn encode_check(data: &[u8]) -> String {
    bitcoin::base58::encode_check(data)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        let s = encode_check(&[0x6f, 1, 2, 3]);
        assert_eq!(decode_check(&s, 4), Some(vec![0x6f, 1, 2, 3]));
        assert_eq!(decode_check(&s, 3), None);
        assert_eq!(
            decode_check(&format!("  {s} "), 4),
            Some(vec![0x6f, 1, 2, 3])
        );
        assert_eq!(decode("0", 10), None);
        assert_eq!(decode("11", 10), Some(vec![0, 0]));
    }
}
