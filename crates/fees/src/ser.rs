//! The few pieces of Core's serialization the estimator files use: little-endian
//! integers, compact sizes, doubles as their IEEE-754 bit patterns, vectors of those.

use std::fmt;

/// Why bytes could not be decoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DecodeError {
    /// The data ended before the value did.
    EndOfData,
    /// A compact size used more bytes than its value needs.
    NonCanonicalSize,
    /// A compact size above Core's `MAX_SIZE`.
    SizeTooLarge,
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            DecodeError::EndOfData => "AutoFile::read: end of file",
            DecodeError::NonCanonicalSize => "non-canonical ReadCompactSize()",
            DecodeError::SizeTooLarge => "ReadCompactSize(): size too large",
        })
    }
}

impl std::error::Error for DecodeError {}

/// Core's `EncodeDouble`: the bit pattern, except that every NaN becomes the one
/// canonical quiet NaN.
pub fn encode_double(v: f64) -> u64 {
    if v.is_nan() {
        0x7ff8_0000_0000_0000
    } else {
        v.to_bits()
    }
}

/// Core's `DecodeDouble`: the inverse of [`encode_double`]; any NaN pattern reads as a
/// positive quiet NaN.
pub fn decode_double(bits: u64) -> f64 {
    let v = f64::from_bits(bits);
    if v.is_nan() {
        f64::NAN
    } else {
        v
    }
}

/// Appends values to a byte vector.
#[derive(Debug, Default)]
pub struct Writer {
    out: Vec<u8>,
}

impl Writer {
    /// An empty writer.
    pub fn new() -> Writer {
        Writer::default()
    }

    /// The bytes written.
    pub fn into_bytes(self) -> Vec<u8> {
        self.out
    }

    /// A 32-bit signed integer.
    pub fn i32(&mut self, v: i32) {
        self.out.extend_from_slice(&v.to_le_bytes());
    }

    /// A 32-bit unsigned integer.
    pub fn u32(&mut self, v: u32) {
        self.out.extend_from_slice(&v.to_le_bytes());
    }

    /// A 64-bit unsigned integer.
    pub fn u64(&mut self, v: u64) {
        self.out.extend_from_slice(&v.to_le_bytes());
    }

    /// Raw bytes (a `uint256` is written as its 32 bytes).
    pub fn bytes(&mut self, v: &[u8]) {
        self.out.extend_from_slice(v);
    }

    /// A compact size.
    pub fn compact_size(&mut self, n: u64) {
        common::ser::write_compact_size(&mut self.out, n);
    }

    /// A double as [`encode_double`] bits.
    pub fn double(&mut self, v: f64) {
        self.u64(encode_double(v));
    }

    /// A vector of doubles.
    pub fn doubles(&mut self, v: &[f64]) {
        self.compact_size(v.len() as u64);
        for x in v {
            self.double(*x);
        }
    }

    /// A vector of vectors of doubles.
    pub fn double_rows(&mut self, rows: &[Vec<f64>]) {
        self.compact_size(rows.len() as u64);
        for row in rows {
            self.doubles(row);
        }
    }
}

/// Reads values from a byte slice; trailing bytes are left unread, as Core leaves them.
#[derive(Debug)]
pub struct Reader<'a> {
    data: &'a [u8],
}

impl<'a> Reader<'a> {
    /// A reader at the start of `data`.
    pub fn new(data: &'a [u8]) -> Reader<'a> {
        Reader { data }
    }

    /// Bytes not read yet.
    pub fn remaining(&self) -> usize {
        self.data.len()
    }

    fn take<const N: usize>(&mut self) -> Result<[u8; N], DecodeError> {
        let (head, rest) = self
            .data
            .split_first_chunk::<N>()
            .ok_or(DecodeError::EndOfData)?;
        self.data = rest;
        Ok(*head)
    }

    /// A 32-bit signed integer.
    pub fn i32(&mut self) -> Result<i32, DecodeError> {
        self.take::<4>().map(i32::from_le_bytes)
    }

    /// A 32-bit unsigned integer.
    pub fn u32(&mut self) -> Result<u32, DecodeError> {
        self.take::<4>().map(u32::from_le_bytes)
    }

    /// A 64-bit unsigned integer.
    pub fn u64(&mut self) -> Result<u64, DecodeError> {
        self.take::<8>().map(u64::from_le_bytes)
    }

    /// 32 raw bytes.
    pub fn bytes32(&mut self) -> Result<[u8; 32], DecodeError> {
        self.take::<32>()
    }

    /// A compact size, canonical and at most `MAX_SIZE` (Core's range-checked read).
    pub fn compact_size(&mut self) -> Result<u64, DecodeError> {
        let (n, used) = common::ser::read_compact_size(self.data, true).map_err(|e| match e {
            common::ser::CompactSizeError::EndOfData => DecodeError::EndOfData,
            common::ser::CompactSizeError::NonCanonical => DecodeError::NonCanonicalSize,
            common::ser::CompactSizeError::TooLarge => DecodeError::SizeTooLarge,
        })?;
        self.data = &self.data[used..];
        Ok(n)
    }

    /// A count of elements at least `min_element_bytes` long each. A count that the
    /// remaining bytes cannot hold fails now, so no large allocation is attempted for it.
    pub fn count(&mut self, min_element_bytes: usize) -> Result<usize, DecodeError> {
        let n = usize::try_from(self.compact_size()?).map_err(|_| DecodeError::SizeTooLarge)?;
        if n.saturating_mul(min_element_bytes.max(1)) > self.remaining() {
            return Err(DecodeError::EndOfData);
        }
        Ok(n)
    }

    /// A double from its [`encode_double`] bits.
    pub fn double(&mut self) -> Result<f64, DecodeError> {
        self.u64().map(decode_double)
    }

    /// A vector of doubles.
    pub fn doubles(&mut self) -> Result<Vec<f64>, DecodeError> {
        let n = self.count(8)?;
        (0..n).map(|_| self.double()).collect()
    }

    /// A vector of vectors of doubles.
    pub fn double_rows(&mut self) -> Result<Vec<Vec<f64>>, DecodeError> {
        let n = self.count(1)?;
        (0..n).map(|_| self.doubles()).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use common::ser::MAX_SIZE;

    #[test]
    fn compact_sizes_round_trip_and_reject_bad_forms() {
        for n in [0u64, 1, 252, 253, 0xffff, 0x1_0000, MAX_SIZE] {
            let mut w = Writer::new();
            w.compact_size(n);
            let bytes = w.into_bytes();
            assert_eq!(Reader::new(&bytes).compact_size(), Ok(n));
        }
        assert_eq!(
            Reader::new(&[253, 10, 0]).compact_size(),
            Err(DecodeError::NonCanonicalSize)
        );
        assert_eq!(
            Reader::new(&[254, 0, 0, 0, 0x10]).compact_size(),
            Err(DecodeError::SizeTooLarge)
        );
        assert_eq!(
            Reader::new(&[255, 1, 0, 0, 0, 0, 0, 0, 0]).compact_size(),
            Err(DecodeError::NonCanonicalSize)
        );
        assert_eq!(
            Reader::new(&[253, 1]).compact_size(),
            Err(DecodeError::EndOfData)
        );
    }

    #[test]
    fn doubles_keep_bits_and_canonicalise_nan() {
        for v in [0.0, -0.0, 1.5, 1e99, f64::INFINITY, 5e-324] {
            assert_eq!(decode_double(encode_double(v)).to_bits(), v.to_bits());
        }
        assert_eq!(encode_double(-f64::NAN), 0x7ff8_0000_0000_0000);
        assert!(decode_double(0xfff0_0000_0000_0001).is_nan());
    }

    #[test]
    fn counts_beyond_the_data_fail_without_allocating() {
        let mut w = Writer::new();
        w.compact_size(MAX_SIZE);
        let bytes = w.into_bytes();
        assert_eq!(Reader::new(&bytes).doubles(), Err(DecodeError::EndOfData));
    }
}
