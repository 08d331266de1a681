//! Core's `VARINT`: a big-endian base-128 encoding where each continuation byte also
//! subtracts one, so every number has exactly one encoding (not the CompactSize of messages).

/// Why a VARINT could not be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VarIntError {
    /// The input ended inside the number.
    Truncated,
    /// The number does not fit in 64 bits.
    Overflow,
}

/// Appends `n` as a VARINT.
pub fn write(out: &mut Vec<u8>, mut n: u64) {
    let mut tmp = [0u8; 10];
    let mut len = 0;
    loop {
        tmp[len] = (n & 0x7f) as u8 | if len > 0 { 0x80 } else { 0 };
        if n <= 0x7f {
            break;
        }
        n = (n >> 7) - 1;
        len += 1;
    }
    out.extend(tmp[..=len].iter().rev());
}

/// Reads a VARINT from the front of `data`, advancing it.
pub fn read(data: &mut &[u8]) -> Result<u64, VarIntError> {
    let mut n: u64 = 0;
    loop {
        let (&b, rest) = data.split_first().ok_or(VarIntError::Truncated)?;
        *data = rest;
        if n > (u64::MAX >> 7) {
            return Err(VarIntError::Overflow);
        }
        n = (n << 7) | (b & 0x7f) as u64;
        if b & 0x80 == 0 {
            return Ok(n);
        }
        n = n.checked_add(1).ok_or(VarIntError::Overflow)?;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_cores_encoding() {
        // From Core's serialize_tests varints_bitpatterns.
        for (n, hex) in [
            (0u64, "00"),
            (0x7f, "7f"),
            (0x80, "8000"),
            (0x1234, "a334"),
            (0xffff, "82fe7f"),
            (0x123456, "c7e756"),
            (0x80123456, "86ffc7e756"),
            (0xffffffff, "8efefefe7f"),
            (u64::MAX, "80fefefefefefefefe7f"),
        ] {
            let mut v = Vec::new();
            write(&mut v, n);
            let got: String = v.iter().map(|b| format!("{b:02x}")).collect();
            assert_eq!(got, hex, "{n:#x}");
            let mut s = &v[..];
            assert_eq!(read(&mut s), Ok(n));
            assert!(s.is_empty());
        }
        assert_eq!(read(&mut &[0x80][..]), Err(VarIntError::Truncated));
        assert_eq!(read(&mut &[0xff; 11][..]), Err(VarIntError::Overflow));
    }
}
