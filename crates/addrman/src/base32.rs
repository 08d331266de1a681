//! Base32 as Core writes onion, I2P and internal addresses: RFC 4648 alphabet in lower
//! case, decoding either case.

const ALPHABET: &[u8; 32] = b"abcdefghijklmnopqrstuvwxyz234567";

/// Encodes `data`, padding with `=` to a multiple of eight characters when `pad`.
pub(crate) fn encode(data: &[u8], pad: bool) -> String {
    let mut out = String::with_capacity(data.len().div_ceil(5) * 8);
    let mut acc: u32 = 0;
    let mut bits = 0;
    for &b in data {
        acc = (acc << 8) | u32::from(b);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(ALPHABET[((acc >> bits) & 31) as usize] as char);
        }
    }
    if bits > 0 {
        out.push(ALPHABET[((acc << (5 - bits)) & 31) as usize] as char);
    }
    if pad {
        while out.len() & 7 != 0 {
            out.push('=');
        }
    }
    out
}

/// Decodes as Core's `DecodeBase32`: the length must be a multiple of eight, only 1, 3, 4
/// or 6 padding characters are allowed, and leftover bits must be zero.
pub(crate) fn decode(s: &str) -> Option<Vec<u8>> {
    let mut s = s.as_bytes();
    if s.len() & 7 != 0 {
        return None;
    }
    // Strip padding in the same steps Core does, which permits exactly 1, 3, 4 or 6.
    if s.last() == Some(&b'=') {
        s = &s[..s.len() - 1];
    }
    if s.ends_with(b"==") {
        s = &s[..s.len() - 2];
    }
    if s.last() == Some(&b'=') {
        s = &s[..s.len() - 1];
    }
    if s.ends_with(b"==") {
        s = &s[..s.len() - 2];
    }
    let mut out = Vec::with_capacity(s.len() * 5 / 8);
    let mut acc: u32 = 0;
    let mut bits = 0;
    for &c in s {
        let v = match c {
            b'a'..=b'z' => c - b'a',
            b'A'..=b'Z' => c - b'A',
            b'2'..=b'7' => c - b'2' + 26,
            _ => return None,
        };
        acc = ((acc << 5) | u32::from(v)) & 0xfff;
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
        }
    }
    if bits >= 5 || (acc << (8 - bits)) & 0xff != 0 {
        return None;
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc4648_vectors() {
        // Core's util_tests base32 vectors.
        let cases = [
            ("", ""),
            ("f", "my======"),
            ("fo", "mzxq===="),
            ("foo", "mzxw6==="),
            ("foob", "mzxw6yq="),
            ("fooba", "mzxw6ytb"),
            ("foobar", "mzxw6ytboi======"),
        ];
        for (plain, enc) in cases {
            assert_eq!(encode(plain.as_bytes(), true), enc);
            assert_eq!(encode(plain.as_bytes(), false), enc.trim_end_matches('='));
            assert_eq!(decode(enc).as_deref(), Some(plain.as_bytes()));
            assert_eq!(
                decode(&enc.to_uppercase()).as_deref(),
                Some(plain.as_bytes())
            );
        }
        for bad in [
            "a",
            "ab======",
            "my=====",
            "mzxw6yq",
            "mzxw6yq\0",
            "my=======",
        ] {
            assert_eq!(decode(bad), None, "{bad:?}");
        }
    }
}
