//! Core's stream encoding as PSBT maps use it: compact sizes, byte vectors and
//! transactions, read with the messages Core's streams throw.

use bitcoin::absolute::LockTime;
use bitcoin::hashes::Hash;
use bitcoin::transaction::Version;
use bitcoin::{Amount, OutPoint, ScriptBuf, Sequence, Transaction, TxIn, TxOut, Txid, Witness};

/// A stream error: Core's `std::ios_base::failure` text.
pub type ReadResult<T> = Result<T, String>;

/// Reads from a byte slice as Core's `SpanReader`.
pub struct Reader<'a> {
    data: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    /// A reader at the start of `data`.
    pub fn new(data: &'a [u8]) -> Reader<'a> {
        Reader { data, pos: 0 }
    }

    /// Bytes left.
    pub fn remaining(&self) -> usize {
        self.data.len() - self.pos
    }

    /// Whether everything was read.
    pub fn is_empty(&self) -> bool {
        self.remaining() == 0
    }

    /// `n` bytes.
    pub fn read(&mut self, n: usize) -> ReadResult<&'a [u8]> {
        if n > self.remaining() {
            return Err("SpanReader::read(): end of data".into());
        }
        let out = &self.data[self.pos..self.pos + n];
        self.pos += n;
        Ok(out)
    }

    /// A fixed-size array.
    pub fn array<const N: usize>(&mut self) -> ReadResult<[u8; N]> {
        let mut out = [0u8; N];
        out.copy_from_slice(self.read(N)?);
        Ok(out)
    }

    /// A byte.
    pub fn u8(&mut self) -> ReadResult<u8> {
        Ok(self.read(1)?[0])
    }

    /// A little-endian `uint32_t`.
    pub fn u32(&mut self) -> ReadResult<u32> {
        Ok(u32::from_le_bytes(self.array()?))
    }

    /// A little-endian `int32_t`.
    pub fn i32(&mut self) -> ReadResult<i32> {
        Ok(i32::from_le_bytes(self.array()?))
    }

    /// A little-endian `int64_t`.
    pub fn i64(&mut self) -> ReadResult<i64> {
        Ok(i64::from_le_bytes(self.array()?))
    }

    /// `ReadCompactSize`, canonical, and at most `MAX_SIZE` when `range_check`.
    pub fn compact_size(&mut self, range_check: bool) -> ReadResult<u64> {
        let (n, used) = common::ser::read_compact_size(&self.data[self.pos..], range_check)
            .map_err(|e| match e {
                common::ser::CompactSizeError::EndOfData => {
                    "SpanReader::read(): end of data".to_string()
                }
                other => other.to_string(),
            })?;
        self.pos += used;
        Ok(n)
    }

    /// A length-prefixed byte vector (`std::vector<unsigned char>`, `CScript`).
    pub fn bytes(&mut self) -> ReadResult<Vec<u8>> {
        let n = self.compact_size(true)?;
        Ok(self.read(n as usize)?.to_vec())
    }

    /// Core's `UnserializeFromVector`: a length, then `f`, which must use exactly that many
    /// bytes.
    pub fn sized_value<T>(&mut self, f: impl FnOnce(&mut Self) -> ReadResult<T>) -> ReadResult<T> {
        let expected = self.compact_size(true)?;
        let before = self.remaining();
        let v = f(self)?;
        if (before - self.remaining()) as u64 != expected {
            return Err("Size of value was not the stated size".into());
        }
        Ok(v)
    }

    fn tx_in(&mut self) -> ReadResult<TxIn> {
        let txid = Txid::from_byte_array(self.array()?);
        let vout = self.u32()?;
        let script_sig = ScriptBuf::from_bytes(self.bytes()?);
        let sequence = Sequence(self.u32()?);
        Ok(TxIn {
            previous_output: OutPoint::new(txid, vout),
            script_sig,
            sequence,
            witness: Witness::new(),
        })
    }

    /// A `CTxOut`.
    pub fn tx_out(&mut self) -> ReadResult<TxOut> {
        let value = self.i64()?;
        let script = self.bytes()?;
        Ok(TxOut {
            value: Amount::from_sat(value as u64),
            script_pubkey: ScriptBuf::from_bytes(script),
        })
    }

    fn vec_of<T>(&mut self, f: impl Fn(&mut Self) -> ReadResult<T>) -> ReadResult<Vec<T>> {
        let n = self.compact_size(true)?;
        let mut out = Vec::new();
        for _ in 0..n {
            out.push(f(self)?);
        }
        Ok(out)
    }

    /// A transaction (`UnserializeTransaction`), with witnesses when `allow_witness`.
    pub fn transaction(&mut self, allow_witness: bool) -> ReadResult<Transaction> {
        let version = self.i32()?;
        let mut flags = 0u8;
        let mut input = self.vec_of(Self::tx_in)?;
        let mut output = Vec::new();
        if input.is_empty() && allow_witness {
            // An empty input list is the segwit marker; the flag byte follows.
            flags = self.u8()?;
            if flags != 0 {
                input = self.vec_of(Self::tx_in)?;
                output = self.vec_of(Self::tx_out)?;
            }
        } else {
            output = self.vec_of(Self::tx_out)?;
        }
        if flags & 1 != 0 && allow_witness {
            flags ^= 1;
            for i in &mut input {
                let stack = self.vec_of(Self::bytes)?;
                i.witness = Witness::from_slice(&stack);
            }
            if input.iter().all(|i| i.witness.is_empty()) {
                return Err("Superfluous witness record".into());
            }
        }
        if flags != 0 {
            return Err("Unknown transaction optional data".into());
        }
        let lock_time = LockTime::from_consensus(self.u32()?);
        Ok(Transaction {
            version: Version(version),
            lock_time,
            input,
            output,
        })
    }
}

pub use common::ser::{compact_size_len, write_compact_size};

/// Appends a length-prefixed byte vector.
pub fn write_bytes(out: &mut Vec<u8>, data: &[u8]) {
    write_compact_size(out, data.len() as u64);
    out.extend_from_slice(data);
}

/// Appends a `CTxOut`.
pub fn write_tx_out(out: &mut Vec<u8>, o: &TxOut) {
    out.extend_from_slice(&o.value.to_sat().to_le_bytes());
    write_bytes(out, o.script_pubkey.as_bytes());
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn compact_sizes_are_canonical() {
        assert_eq!(
            Reader::new(&[0xfd, 0xfd, 0x00]).compact_size(true),
            Ok(0xfd)
        );
        assert_eq!(
            Reader::new(&[0xfd, 0xfc, 0x00]).compact_size(true),
            Err("non-canonical ReadCompactSize()".to_string())
        );
        assert_eq!(
            Reader::new(&[0xfe, 0x00, 0x00, 0x00, 0x03]).compact_size(true),
            Err("ReadCompactSize(): size too large".to_string())
        );
        assert_eq!(
            Reader::new(&[0xfd, 0x00]).compact_size(true),
            Err("SpanReader::read(): end of data".to_string())
        );
        for n in [0u64, 0xfc, 0xfd, 0xffff, 0x1_0000, 0x1_0000_0000] {
            let mut out = Vec::new();
            write_compact_size(&mut out, n);
            assert_eq!(out.len(), compact_size_len(n));
            assert_eq!(Reader::new(&out).compact_size(false).unwrap(), n);
        }
    }
}
