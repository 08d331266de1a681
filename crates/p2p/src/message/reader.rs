//! A cursor over a message payload with Core's deserialization rules, and the errors it
//! reports.

use std::fmt;

use bitcoin::consensus::encode;
use bitcoin::consensus::Decodable;

#[cfg(doc)]
use crate::constants::MAX_SIZE;

/// Why a payload could not be decoded. Core throws an exception for these and drops the
/// message (logging it from `ProcessMessages`) without disconnecting, except where the
/// variant says otherwise.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DecodeError {
    /// The payload ended inside a field.
    EndOfData,
    /// A CompactSize not in its shortest form.
    NonCanonicalCompactSize,
    /// A CompactSize length above [`MAX_SIZE`].
    CompactSizeTooLarge,
    /// A length-limited string above its limit (the `version` user agent).
    StringTooLong {
        /// The announced length.
        len: u64,
        /// The limit.
        max: usize,
    },
    /// An `addrv2` address longer than [`crate::constants::MAX_ADDRV2_SIZE`].
    AddressTooLong {
        /// The announced length.
        len: u64,
    },
    /// An `addrv2` address of a known network with the wrong length.
    AddressLength {
        /// Core's name of the network ("IPv4", "TORv3", ...).
        network: &'static str,
        /// The announced length.
        len: u64,
        /// The length the network requires.
        expected: usize,
    },
    /// A `headers` message announcing more than
    /// [`crate::constants::MAX_HEADERS_RESULTS`] headers. Core does not read further but
    /// punishes the peer ("headers message size = N"); the caller does that.
    TooManyHeaders {
        /// The announced count.
        count: u64,
    },
    /// A `version` message whose fixed part parsed but whose optional tail did not. Core
    /// checks the version and services before reading the tail, so the caller needs them
    /// to decide as Core does.
    VersionTail {
        /// The peer's protocol version (Core reads it as a signed int).
        version: i32,
        /// The peer's service bits.
        services: u64,
        /// What went wrong in the tail.
        error: Box<DecodeError>,
    },
    /// A message type longer than 12 bytes handed to [`super::decode`].
    CommandTooLong,
    /// Any other malformation, as the `bitcoin` crate describes it.
    Invalid(String),
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            // What Core's `DataStream::read` throws, as `what()` gives it.
            DecodeError::EndOfData => write!(f, "DataStream::read(): end of data: iostream error"),
            DecodeError::NonCanonicalCompactSize => write!(f, "non-canonical ReadCompactSize()"),
            DecodeError::CompactSizeTooLarge => write!(f, "ReadCompactSize(): size too large"),
            DecodeError::StringTooLong { .. } => write!(f, "String length limit exceeded"),
            DecodeError::AddressTooLong { len } => write!(
                f,
                "Address too long: {len} > {}",
                crate::constants::MAX_ADDRV2_SIZE
            ),
            DecodeError::AddressLength {
                network,
                len,
                expected,
            } => write!(
                f,
                "BIP155 {network} address with length {len} (should be {expected})"
            ),
            DecodeError::TooManyHeaders { count } => write!(f, "headers message size = {count}"),
            DecodeError::VersionTail { error, .. } => error.fmt(f),
            DecodeError::CommandTooLong => write!(f, "message type longer than 12 bytes"),
            DecodeError::Invalid(s) => f.write_str(s),
        }
    }
}

impl std::error::Error for DecodeError {}

impl From<encode::Error> for DecodeError {
    fn from(e: encode::Error) -> Self {
        match e {
            encode::Error::Io(io) if io.kind() == bitcoin::io::ErrorKind::UnexpectedEof => {
                DecodeError::EndOfData
            }
            encode::Error::NonMinimalVarInt => DecodeError::NonCanonicalCompactSize,
            other => DecodeError::Invalid(other.to_string()),
        }
    }
}

/// Reads fields off the front of a payload. Every allocation it makes for a claimed count
/// is bounded by the bytes that remain, so a short payload cannot claim a large buffer.
pub(crate) struct Reader<'a> {
    buf: &'a [u8],
}

impl<'a> Reader<'a> {
    pub(crate) fn new(buf: &'a [u8]) -> Self {
        Reader { buf }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.buf.is_empty()
    }

    pub(crate) fn remaining(&self) -> usize {
        self.buf.len()
    }

    pub(crate) fn bytes(&mut self, n: usize) -> Result<&'a [u8], DecodeError> {
        if n > self.buf.len() {
            return Err(DecodeError::EndOfData);
        }
        let (head, tail) = self.buf.split_at(n);
        self.buf = tail;
        Ok(head)
    }

    pub(crate) fn array<const N: usize>(&mut self) -> Result<[u8; N], DecodeError> {
        let mut a = [0u8; N];
        a.copy_from_slice(self.bytes(N)?);
        Ok(a)
    }

    pub(crate) fn u8(&mut self) -> Result<u8, DecodeError> {
        Ok(self.array::<1>()?[0])
    }

    pub(crate) fn u16_be(&mut self) -> Result<u16, DecodeError> {
        Ok(u16::from_be_bytes(self.array()?))
    }

    pub(crate) fn u32(&mut self) -> Result<u32, DecodeError> {
        Ok(u32::from_le_bytes(self.array()?))
    }

    pub(crate) fn i32(&mut self) -> Result<i32, DecodeError> {
        Ok(i32::from_le_bytes(self.array()?))
    }

    pub(crate) fn u64(&mut self) -> Result<u64, DecodeError> {
        Ok(u64::from_le_bytes(self.array()?))
    }

    pub(crate) fn i64(&mut self) -> Result<i64, DecodeError> {
        Ok(i64::from_le_bytes(self.array()?))
    }

    /// Core's `bool`: one byte, anything but zero is true.
    pub(crate) fn bool(&mut self) -> Result<bool, DecodeError> {
        Ok(self.u8()? != 0)
    }

    /// Core's `ReadCompactSize`: canonical encodings only, and with `range_check` no value
    /// above [`MAX_SIZE`].
    pub(crate) fn compact_size(&mut self, range_check: bool) -> Result<u64, DecodeError> {
        let (value, used) =
            common::ser::read_compact_size(self.buf, range_check).map_err(|e| match e {
                common::ser::CompactSizeError::EndOfData => DecodeError::EndOfData,
                common::ser::CompactSizeError::NonCanonical => DecodeError::NonCanonicalCompactSize,
                common::ser::CompactSizeError::TooLarge => DecodeError::CompactSizeTooLarge,
            })?;
        self.buf = &self.buf[used..];
        Ok(value)
    }

    /// A length-prefixed byte vector.
    pub(crate) fn var_bytes(&mut self) -> Result<Vec<u8>, DecodeError> {
        let len = self.compact_size(true)?;
        let len = usize::try_from(len).map_err(|_| DecodeError::EndOfData)?;
        Ok(self.bytes(len)?.to_vec())
    }

    /// Decodes a value with the `bitcoin` crate's decoder.
    pub(crate) fn decode<T: Decodable>(&mut self) -> Result<T, DecodeError> {
        Ok(T::consensus_decode(&mut self.buf)?)
    }

    /// A CompactSize-counted vector whose items take at least `min_item` bytes each. Core
    /// would read item after item until the data ran out; rejecting a count the remaining
    /// bytes cannot hold gives the same outcome without reserving for it.
    pub(crate) fn vec<T>(
        &mut self,
        min_item: usize,
        mut item: impl FnMut(&mut Self) -> Result<T, DecodeError>,
    ) -> Result<Vec<T>, DecodeError> {
        let count = self.compact_size(true)?;
        self.counted(count, min_item, &mut item)
    }

    /// `count` items of at least `min_item` bytes each.
    pub(crate) fn counted<T>(
        &mut self,
        count: u64,
        min_item: usize,
        item: &mut impl FnMut(&mut Self) -> Result<T, DecodeError>,
    ) -> Result<Vec<T>, DecodeError> {
        let fits = (self.remaining() / min_item.max(1)) as u64;
        if count > fits {
            return Err(DecodeError::EndOfData);
        }
        // `count` is at most the remaining byte count here, so this fits in memory.
        let mut out = Vec::with_capacity(count as usize);
        for _ in 0..count {
            out.push(item(self)?);
        }
        Ok(out)
    }
}
