//! Core's serialization primitives for the formats in this crate: little-endian integers,
//! CompactSize lengths, and a reader whose errors carry Core's messages.

use std::fmt;

pub use common::ser::MAX_SIZE;

/// A decoding failure, with the message Core's stream exception would carry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DecodeError(pub String);

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for DecodeError {}

/// Reads Core-serialized values from a byte slice.
#[derive(Clone, Debug)]
pub struct Reader<'a> {
    data: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    /// Starts reading at the beginning of `data`.
    pub fn new(data: &'a [u8]) -> Self {
        Self { data, pos: 0 }
    }

    /// Bytes consumed so far.
    pub fn position(&self) -> usize {
        self.pos
    }

    /// Bytes not yet consumed.
    pub fn remaining(&self) -> usize {
        self.data.len() - self.pos
    }

    /// The next `n` bytes.
    pub fn bytes(&mut self, n: usize) -> Result<&'a [u8], DecodeError> {
        if self.remaining() < n {
            return Err(DecodeError("end of data".into()));
        }
        let out = &self.data[self.pos..self.pos + n];
        self.pos += n;
        Ok(out)
    }

    /// The next `N` bytes as an array.
    pub fn array<const N: usize>(&mut self) -> Result<[u8; N], DecodeError> {
        let mut out = [0u8; N];
        out.copy_from_slice(self.bytes(N)?);
        Ok(out)
    }

    /// One byte.
    pub fn u8(&mut self) -> Result<u8, DecodeError> {
        Ok(self.array::<1>()?[0])
    }

    /// A little-endian `u32`.
    pub fn u32(&mut self) -> Result<u32, DecodeError> {
        Ok(u32::from_le_bytes(self.array()?))
    }

    /// A little-endian `i32`.
    pub fn i32(&mut self) -> Result<i32, DecodeError> {
        Ok(i32::from_le_bytes(self.array()?))
    }

    /// A little-endian `u64`.
    pub fn u64(&mut self) -> Result<u64, DecodeError> {
        Ok(u64::from_le_bytes(self.array()?))
    }

    /// A little-endian `i64`.
    pub fn i64(&mut self) -> Result<i64, DecodeError> {
        Ok(i64::from_le_bytes(self.array()?))
    }

    /// A CompactSize, rejecting non-canonical encodings and, when `range_check`, values
    /// above [`MAX_SIZE`] (Core's `ReadCompactSize`).
    pub fn compact_size(&mut self, range_check: bool) -> Result<u64, DecodeError> {
        let (v, used) = common::ser::read_compact_size(&self.data[self.pos..], range_check)
            .map_err(|e| DecodeError(e.to_string()))?;
        self.pos += used;
        Ok(v)
    }
}

pub use common::ser::write_compact_size;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compact_size_round_trip_and_canonical() {
        for n in [
            0u64,
            1,
            0xfc,
            0xfd,
            0xffff,
            0x1_0000,
            0xffff_ffff,
            0x1_0000_0000,
        ] {
            let mut v = Vec::new();
            write_compact_size(&mut v, n);
            assert_eq!(Reader::new(&v).compact_size(false), Ok(n));
        }
        assert!(Reader::new(&[0xfd, 0xfc, 0x00])
            .compact_size(false)
            .is_err());
        assert!(Reader::new(&[0xfe, 0xff, 0xff, 0, 0])
            .compact_size(false)
            .is_err());
        let mut v = Vec::new();
        write_compact_size(&mut v, MAX_SIZE + 1);
        assert_eq!(
            Reader::new(&v).compact_size(true),
            Err(DecodeError("ReadCompactSize(): size too large".into()))
        );
        assert_eq!(
            Reader::new(&[]).u8(),
            Err(DecodeError("end of data".into()))
        );
    }
}
