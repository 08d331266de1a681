//! `mempool.dat` as Core writes and reads it (`node/mempool_persist.cpp`), as bytes: the
//! file I/O stays with the node.
//!
//! Layout: version (u64, 1 or 2); for version 2 an 8-byte key (with its length prefix)
//! that every later byte is XORed with by file position; then the transaction count, each
//! transaction with witness, its entry time and fee delta (i64), the remaining fee deltas
//! (a map txid → i64) and the unbroadcast txids (a set).

use bitcoin::consensus::encode::{self, Decodable, Encodable, VarInt};
use bitcoin::hashes::Hash;
use std::sync::Arc;

use bitcoin::{Transaction, Txid};

/// Version without obfuscation.
pub const VERSION_NO_XOR_KEY: u64 = 1;
/// Version with an obfuscation key.
pub const VERSION: u64 = 2;

/// The contents of a mempool file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MempoolFile {
    /// Transactions in mining order, with entry time and fee delta. Shared with the
    /// pool, so taking a snapshot under its lock copies no transaction.
    pub txs: Vec<(Arc<Transaction>, i64, i64)>,
    /// Fee deltas of transactions not in the pool.
    pub deltas: Vec<(Txid, i64)>,
    /// Transactions never announced to a peer.
    pub unbroadcast: Vec<Txid>,
}

/// Why a mempool file could not be read.
#[derive(Debug)]
pub enum PersistError {
    /// A version other than 1 or 2.
    UnknownVersion(u64),
    /// The data ended early or is malformed.
    Decode(encode::Error),
}

impl std::fmt::Display for PersistError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PersistError::UnknownVersion(v) => write!(f, "unknown mempool file version {v}"),
            PersistError::Decode(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for PersistError {}

impl From<encode::Error> for PersistError {
    fn from(e: encode::Error) -> Self {
        PersistError::Decode(e)
    }
}

fn xor(data: &mut [u8], key: &[u8; 8], start: usize) {
    if key == &[0; 8] {
        return;
    }
    for (i, b) in data.iter_mut().enumerate() {
        *b ^= key[(start + i) % 8];
    }
}

/// Serializes `file`: version 2 with `key`, or version 1 when `key` is `None`.
pub fn write(file: &MempoolFile, key: Option<[u8; 8]>) -> Vec<u8> {
    let mut head: Vec<u8> = Vec::new();
    let mut body: Vec<u8> = Vec::new();
    // Writing to a Vec cannot fail.
    let _ = match key {
        Some(k) => VERSION
            .consensus_encode(&mut head)
            .and_then(|_| k.to_vec().consensus_encode(&mut head)),
        None => VERSION_NO_XOR_KEY.consensus_encode(&mut head),
    };
    let _ = (file.txs.len() as u64).consensus_encode(&mut body);
    for (tx, time, delta) in &file.txs {
        let _ = tx.consensus_encode(&mut body);
        let _ = time.consensus_encode(&mut body);
        let _ = delta.consensus_encode(&mut body);
    }
    let mut deltas = file.deltas.clone();
    deltas.sort_by_key(|(t, _)| t.to_byte_array());
    let _ = VarInt(deltas.len() as u64).consensus_encode(&mut body);
    for (txid, d) in &deltas {
        let _ = txid.consensus_encode(&mut body);
        let _ = d.consensus_encode(&mut body);
    }
    let mut unbroadcast = file.unbroadcast.clone();
    unbroadcast.sort_by_key(|t| t.to_byte_array());
    unbroadcast.dedup();
    let _ = VarInt(unbroadcast.len() as u64).consensus_encode(&mut body);
    for txid in &unbroadcast {
        let _ = txid.consensus_encode(&mut body);
    }
    if let Some(k) = key {
        xor(&mut body, &k, head.len());
    }
    head.extend(body);
    head
}

/// A mempool file read one transaction at a time, as Core's loader does: what was read
/// before a damaged part stays usable.
pub struct FileReader {
    body: Vec<u8>,
    pos: usize,
    left: u64,
}

impl FileReader {
    /// Reads the version, removes the obfuscation and reads the transaction count.
    pub fn open(bytes: &[u8]) -> Result<FileReader, PersistError> {
        let mut r = bytes;
        let version = u64::consensus_decode(&mut r)?;
        let key: [u8; 8] = match version {
            VERSION_NO_XOR_KEY => [0; 8],
            VERSION => {
                let k = Vec::<u8>::consensus_decode(&mut r)?;
                k.as_slice().try_into().map_err(|_| {
                    PersistError::Decode(encode::Error::ParseFailed("obfuscation key size"))
                })?
            }
            v => return Err(PersistError::UnknownVersion(v)),
        };
        let start = bytes.len() - r.len();
        let mut body = r.to_vec();
        xor(&mut body, &key, start);
        let mut reader = FileReader {
            body,
            pos: 0,
            left: 0,
        };
        reader.left = reader.decode::<u64>()?;
        Ok(reader)
    }

    fn decode<T: Decodable>(&mut self) -> Result<T, PersistError> {
        let mut r = &self.body[self.pos..];
        let before = r.len();
        let v = T::consensus_decode(&mut r)?;
        self.pos += before - r.len();
        Ok(v)
    }

    /// How many transactions the file says it holds.
    pub fn count(&self) -> u64 {
        self.left
    }

    /// The next transaction with its entry time and fee delta, or `None` after the last.
    pub fn next_tx(&mut self) -> Result<Option<(Transaction, i64, i64)>, PersistError> {
        if self.left == 0 {
            return Ok(None);
        }
        self.left -= 1;
        let tx = self.decode::<Transaction>()?;
        let time = self.decode::<i64>()?;
        let delta = self.decode::<i64>()?;
        Ok(Some((tx, time, delta)))
    }

    /// After the transactions: the other fee deltas and the unbroadcast set.
    pub fn finish(mut self) -> Result<Trailer, PersistError> {
        while self.next_tx()?.is_some() {}
        let mut deltas = Vec::new();
        for _ in 0..self.decode::<VarInt>()?.0 {
            let txid = self.decode::<Txid>()?;
            let d = self.decode::<i64>()?;
            deltas.push((txid, d));
        }
        let mut unbroadcast = Vec::new();
        for _ in 0..self.decode::<VarInt>()?.0 {
            unbroadcast.push(self.decode::<Txid>()?);
        }
        Ok(Trailer {
            deltas,
            unbroadcast,
        })
    }
}

/// What follows the transactions in a mempool file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Trailer {
    /// Fee deltas of transactions not in the pool.
    pub deltas: Vec<(Txid, i64)>,
    /// Transactions never announced to a peer.
    pub unbroadcast: Vec<Txid>,
}

/// Reads a whole mempool file; the transactions are checked by acceptance afterwards.
pub fn read(bytes: &[u8]) -> Result<MempoolFile, PersistError> {
    let mut reader = FileReader::open(bytes)?;
    let mut out = MempoolFile::default();
    while let Some(t) = reader.next_tx()? {
        out.txs.push((Arc::new(t.0), t.1, t.2));
    }
    let trailer = reader.finish()?;
    out.deltas = trailer.deltas;
    out.unbroadcast = trailer.unbroadcast;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use bitcoin::absolute::LockTime;
    use bitcoin::transaction::Version;
    use bitcoin::{Amount, OutPoint, ScriptBuf, Sequence, TxIn, TxOut, Witness};

    fn tx(n: u8) -> Transaction {
        Transaction {
            version: Version::TWO,
            lock_time: LockTime::ZERO,
            input: vec![TxIn {
                previous_output: OutPoint {
                    txid: Txid::from_byte_array([n; 32]),
                    vout: 1,
                },
                script_sig: ScriptBuf::new(),
                sequence: Sequence::MAX,
                witness: Witness::from_slice(&[vec![0x51u8]]),
            }],
            output: vec![TxOut {
                value: Amount::from_sat(1000),
                script_pubkey: ScriptBuf::from_bytes(vec![0x51]),
            }],
        }
    }

    #[test]
    fn both_versions_round_trip() {
        let f = MempoolFile {
            txs: vec![
                (Arc::new(tx(1)), 1_700_000_000, 0),
                (Arc::new(tx(2)), 1_700_000_001, -5),
            ],
            deltas: vec![(Txid::from_byte_array([7; 32]), 100)],
            unbroadcast: vec![tx(1).compute_txid()],
        };
        for key in [None, Some([1, 2, 3, 4, 5, 6, 7, 8])] {
            let bytes = write(&f, key);
            assert_eq!(read(&bytes).unwrap(), f);
        }
        let v2 = write(&f, Some([0xff; 8]));
        assert_eq!(&v2[..9], &[2, 0, 0, 0, 0, 0, 0, 0, 8]);
        // The body is obfuscated: the count (2) does not appear in the clear.
        assert_ne!(&v2[17..25], &2u64.to_le_bytes());
    }

    #[test]
    fn bad_files_are_errors_not_panics() {
        assert!(matches!(
            read(&3u64.to_le_bytes()),
            Err(PersistError::UnknownVersion(3))
        ));
        let bytes = write(
            &MempoolFile {
                txs: vec![(Arc::new(tx(1)), 1, 0)],
                ..Default::default()
            },
            Some([9; 8]),
        );
        for cut in 0..bytes.len() {
            assert!(read(&bytes[..cut]).is_err());
        }
        let mut seed = 0x1234_5678u32;
        for _ in 0..2000 {
            let len = (seed % 64) as usize;
            let junk: Vec<u8> = (0..len)
                .map(|_| {
                    seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12_345);
                    (seed >> 16) as u8
                })
                .collect();
            let _ = read(&junk);
        }
    }
}
