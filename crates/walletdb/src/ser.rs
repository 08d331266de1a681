//! Core's stream serialization (serialize.h) for the types wallet records use:
//! little-endian integers, compact sizes, length-prefixed byte vectors and strings,
//! and 32-byte hashes in their stored (internal) byte order.

use std::fmt;

pub use common::ser::MAX_SIZE;

/// Why bytes did not read as the expected serialized value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SerError {
    /// The input ended before the value did.
    UnexpectedEnd,
    /// A compact size used more bytes than its value needs.
    NonCanonicalCompactSize,
    /// A compact size above `MAX_SIZE`.
    SizeTooLarge,
    /// A string that is not UTF-8.
    InvalidUtf8,
    /// Bytes left over after the value.
    TrailingBytes(usize),
}

impl fmt::Display for SerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            // These three read as Core's std::ios_base::failure texts.
            SerError::UnexpectedEnd => f.write_str("DataStream::read(): end of data"),
            SerError::NonCanonicalCompactSize => f.write_str("non-canonical ReadCompactSize()"),
            SerError::SizeTooLarge => f.write_str("ReadCompactSize(): size too large"),
            SerError::InvalidUtf8 => f.write_str("string is not valid UTF-8"),
            SerError::TrailingBytes(n) => write!(f, "{n} unexpected trailing bytes"),
        }
    }
}

impl std::error::Error for SerError {}

/// A cursor over serialized bytes.
#[derive(Debug, Clone)]
pub struct Reader<'a> {
    data: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    /// Starts reading at the first byte of `data`.
    pub fn new(data: &'a [u8]) -> Self {
        Reader { data, pos: 0 }
    }

    /// Bytes not read yet.
    pub fn remaining(&self) -> usize {
        self.data.len() - self.pos
    }

    /// The unread part of the input.
    pub fn rest(&self) -> &'a [u8] {
        &self.data[self.pos..]
    }

    /// Fails unless everything was read: records are written without padding, so
    /// leftovers mean the bytes are not what the record type says.
    pub fn finish(&self) -> Result<(), SerError> {
        match self.remaining() {
            0 => Ok(()),
            n => Err(SerError::TrailingBytes(n)),
        }
    }

    /// Takes the next `n` bytes.
    pub fn bytes(&mut self, n: usize) -> Result<&'a [u8], SerError> {
        if n > self.remaining() {
            return Err(SerError::UnexpectedEnd);
        }
        let out = &self.data[self.pos..self.pos + n];
        self.pos += n;
        Ok(out)
    }

    /// Takes the next `N` bytes as an array.
    pub fn array<const N: usize>(&mut self) -> Result<[u8; N], SerError> {
        let mut out = [0u8; N];
        out.copy_from_slice(self.bytes(N)?);
        Ok(out)
    }

    /// One byte.
    pub fn u8(&mut self) -> Result<u8, SerError> {
        Ok(self.array::<1>()?[0])
    }

    /// Core's `bool`: any non-zero byte is true.
    pub fn bool(&mut self) -> Result<bool, SerError> {
        Ok(self.u8()? != 0)
    }

    /// A little-endian `uint32_t`.
    pub fn u32(&mut self) -> Result<u32, SerError> {
        Ok(u32::from_le_bytes(self.array()?))
    }

    /// A little-endian `int32_t`.
    pub fn i32(&mut self) -> Result<i32, SerError> {
        Ok(i32::from_le_bytes(self.array()?))
    }

    /// A little-endian `uint64_t`.
    pub fn u64(&mut self) -> Result<u64, SerError> {
        Ok(u64::from_le_bytes(self.array()?))
    }

    /// A little-endian `int64_t`.
    pub fn i64(&mut self) -> Result<i64, SerError> {
        Ok(i64::from_le_bytes(self.array()?))
    }

    /// A `uint256`, kept in its stored byte order.
    pub fn hash(&mut self) -> Result<[u8; 32], SerError> {
        self.array()
    }

    /// Core's `ReadCompactSize` with its range check.
    pub fn compact_size(&mut self) -> Result<u64, SerError> {
        let (n, used) = common::ser::read_compact_size(self.rest(), true).map_err(|e| match e {
            common::ser::CompactSizeError::EndOfData => SerError::UnexpectedEnd,
            common::ser::CompactSizeError::NonCanonical => SerError::NonCanonicalCompactSize,
            common::ser::CompactSizeError::TooLarge => SerError::SizeTooLarge,
        })?;
        self.pos += used;
        Ok(n)
    }

    /// A length, checked against what is left so callers can allocate for it safely.
    pub fn len_prefix(&mut self) -> Result<usize, SerError> {
        let n = self.compact_size()?;
        let n = usize::try_from(n).map_err(|_| SerError::SizeTooLarge)?;
        Ok(n)
    }

    /// A `std::vector<unsigned char>`: compact-size length, then the bytes.
    pub fn var_bytes(&mut self) -> Result<Vec<u8>, SerError> {
        let n = self.len_prefix()?;
        Ok(self.bytes(n)?.to_vec())
    }

    /// A `std::string`, which must be UTF-8 here.
    pub fn string(&mut self) -> Result<String, SerError> {
        let raw = self.var_bytes()?;
        String::from_utf8(raw).map_err(|_| SerError::InvalidUtf8)
    }

    /// A `std::vector<uint256>`.
    pub fn hash_vec(&mut self) -> Result<Vec<[u8; 32]>, SerError> {
        let n = self.len_prefix()?;
        // Each element is 32 bytes: refuse counts the input cannot hold before allocating.
        if n > self.remaining() / 32 {
            return Err(SerError::UnexpectedEnd);
        }
        (0..n).map(|_| self.hash()).collect()
    }
}

/// Appends Core's compact-size encoding of `n`.
pub fn put_compact_size(out: &mut Vec<u8>, n: u64) {
    common::ser::write_compact_size(out, n);
}

/// Appends a length-prefixed byte vector.
pub fn put_var_bytes(out: &mut Vec<u8>, bytes: &[u8]) {
    put_compact_size(out, bytes.len() as u64);
    out.extend_from_slice(bytes);
}

/// Appends a length-prefixed string.
pub fn put_string(out: &mut Vec<u8>, s: &str) {
    put_var_bytes(out, s.as_bytes());
}

/// Appends a vector of hashes.
pub fn put_hash_vec(out: &mut Vec<u8>, hashes: &[[u8; 32]]) {
    put_compact_size(out, hashes.len() as u64);
    for h in hashes {
        out.extend_from_slice(h);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compact_size_round_trip_and_canonical() {
        for n in [0u64, 1, 0xfc, 0xfd, 0xffff, 0x1_0000, 0x0200_0000] {
            let mut buf = Vec::new();
            put_compact_size(&mut buf, n);
            let mut r = Reader::new(&buf);
            assert_eq!(r.compact_size(), Ok(n));
            assert!(r.finish().is_ok());
        }
        assert_eq!(
            Reader::new(&[0xfd, 0x10, 0x00]).compact_size(),
            Err(SerError::NonCanonicalCompactSize)
        );
        assert_eq!(
            Reader::new(&[0xfe, 0x01, 0x00, 0x00, 0x02]).compact_size(),
            Err(SerError::SizeTooLarge)
        );
        assert_eq!(
            Reader::new(&[0xfd, 0x10]).compact_size(),
            Err(SerError::UnexpectedEnd)
        );
    }

    #[test]
    fn huge_vector_count_is_refused_without_allocating() {
        let mut buf = Vec::new();
        put_compact_size(&mut buf, 0x0100_0000);
        assert_eq!(Reader::new(&buf).hash_vec(), Err(SerError::UnexpectedEnd));
    }
}
