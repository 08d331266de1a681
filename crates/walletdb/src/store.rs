//! The key-value store under a wallet: the [`WalletStore`] trait (Core's
//! `DatabaseBatch`/`DatabaseCursor` operations), its error type, and [`MemoryStore`].

use std::collections::BTreeMap;
use std::fmt;
use std::ops::Bound;
use std::path::Path;

use crate::records::{self, Record, RecordError};

/// Why a store operation failed. Texts follow Core's where Core has one.
#[derive(Debug)]
pub enum StoreError {
    /// The SQLite library reported an error.
    Sqlite(rusqlite::Error),
    /// A file-system error.
    Io(std::io::Error),
    /// `open` on a path with no file.
    NotFound(String),
    /// `open` on a file that is not a SQLite wallet for this network.
    NotRecognized(String),
    /// `create` on a path that already holds a file.
    AlreadyExists(String),
    /// The directory cannot be written.
    DirNotWritable(String),
    /// The file could only be opened read-only.
    ReadOnly,
    /// Another connection holds the wallet's exclusive lock.
    Locked,
    /// `PRAGMA application_id` is not the network's magic.
    UnexpectedApplicationId {
        /// The network's id.
        expected: u32,
        /// The file's id.
        got: u32,
    },
    /// `PRAGMA user_version` is not the wallet schema version.
    UnknownSchemaVersion(i32),
    /// `PRAGMA integrity_check` reported problems (its lines).
    VerifyFailed(Vec<String>),
    /// A SQLite setup step failed (Core's text for the step, then SQLite's).
    Setup(String),
    /// `txn_begin` while a transaction is open.
    TxnAlreadyActive,
    /// `txn_commit`/`txn_abort` without an open transaction.
    NoActiveTxn,
    /// The online backup failed.
    Backup(String),
    /// The store cannot do this (e.g. backing up a [`MemoryStore`]).
    Unsupported(&'static str),
    /// A stored record did not decode.
    Record(RecordError),
}

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StoreError::Sqlite(e) => write!(f, "SQLiteDatabase: {e}"),
            StoreError::Io(e) => e.fmt(f),
            StoreError::NotFound(p) => {
                write!(f, "Failed to load database path '{p}'. Path does not exist.")
            }
            StoreError::NotRecognized(p) => {
                write!(f, "Failed to load database path '{p}'. Data is not in recognized format.")
            }
            StoreError::AlreadyExists(p) => {
                write!(f, "Failed to create database path '{p}'. Database already exists.")
            }
            StoreError::DirNotWritable(d) => write!(
                f,
                "SQLiteDatabase: Failed to open database in directory '{d}': directory is not writable"
            ),
            StoreError::ReadOnly => f.write_str(
                "SQLiteDatabase: Database opened in readonly mode but read-write permissions are needed",
            ),
            StoreError::Locked => f.write_str(
                "SQLiteDatabase: Unable to obtain an exclusive lock on the database, is it being used by another instance of Bitcoin Core?",
            ),
            StoreError::UnexpectedApplicationId { expected, got } => write!(
                f,
                "SQLiteDatabase: Unexpected application id. Expected {expected}, got {got}"
            ),
            StoreError::UnknownSchemaVersion(v) => write!(
                f,
                "SQLiteDatabase: Unknown sqlite wallet schema version {v}. Only version {} is supported",
                crate::sqlite::WALLET_SCHEMA_VERSION
            ),
            StoreError::VerifyFailed(lines) => {
                f.write_str("Failed to verify database\n")?;
                for l in lines {
                    writeln!(f, "{l}")?;
                }
                Ok(())
            }
            StoreError::Setup(msg) => f.write_str(msg),
            StoreError::TxnAlreadyActive => f.write_str("SQLiteBatch: Failed to begin the transaction"),
            StoreError::NoActiveTxn => f.write_str("no database transaction is open"),
            StoreError::Backup(msg) => f.write_str(msg),
            StoreError::Unsupported(what) => write!(f, "not supported by this store: {what}"),
            StoreError::Record(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for StoreError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            StoreError::Sqlite(e) => Some(e),
            StoreError::Io(e) => Some(e),
            StoreError::Record(e) => Some(e),
            _ => None,
        }
    }
}

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> Self {
        StoreError::Sqlite(e)
    }
}

impl From<std::io::Error> for StoreError {
    fn from(e: std::io::Error) -> Self {
        StoreError::Io(e)
    }
}

impl From<RecordError> for StoreError {
    fn from(e: RecordError) -> Self {
        StoreError::Record(e)
    }
}

/// A raw key-value pair.
pub type RawRecord = (Vec<u8>, Vec<u8>);

/// The operations a wallet database backend offers (Core's `DatabaseBatch` with its
/// cursors). Writes outside [`WalletStore::txn_begin`]/[`WalletStore::txn_commit`]
/// take effect one by one; inside, all or none of them do.
pub trait WalletStore {
    /// The format name a dump records (Core's `WalletDatabase::Format`).
    fn format(&self) -> &'static str;

    /// The value stored under `key`.
    fn read(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError>;

    /// Whether `key` is present.
    fn exists(&self, key: &[u8]) -> Result<bool, StoreError>;

    /// Stores `value` under `key`. Without `overwrite` an existing key is left alone and
    /// `Ok(false)` returned, as Core's write with `fOverwrite = false` fails.
    fn write(&mut self, key: &[u8], value: &[u8], overwrite: bool) -> Result<bool, StoreError>;

    /// Removes `key` (absent keys are not an error).
    fn erase(&mut self, key: &[u8]) -> Result<(), StoreError>;

    /// Removes every key starting with `prefix`.
    fn erase_prefix(&mut self, prefix: &[u8]) -> Result<(), StoreError>;

    /// Visits every record in storage order (Core's plain cursor, which its dump
    /// uses) until `f` returns false.
    fn for_each(&self, f: &mut dyn FnMut(&[u8], &[u8]) -> bool) -> Result<(), StoreError>;

    /// Visits the records whose key starts with `prefix`, in key order.
    fn for_each_prefix(
        &self,
        prefix: &[u8],
        f: &mut dyn FnMut(&[u8], &[u8]) -> bool,
    ) -> Result<(), StoreError>;

    /// Opens a transaction.
    fn txn_begin(&mut self) -> Result<(), StoreError>;

    /// Makes the transaction's writes permanent.
    fn txn_commit(&mut self) -> Result<(), StoreError>;

    /// Drops the transaction's writes.
    fn txn_abort(&mut self) -> Result<(), StoreError>;

    /// Whether a transaction is open.
    fn has_active_txn(&self) -> bool;

    /// Writes a consistent copy of the whole store to `dest` (Core's `Backup`).
    fn backup(&self, dest: &Path) -> Result<(), StoreError>;

    /// Rewrites the file so that freed space keeps nothing of deleted records (Core's
    /// `Rewrite`, after encrypting keys); nothing to do for stores without a file.
    fn rewrite(&mut self) -> Result<(), StoreError> {
        Ok(())
    }

    /// Every record, in storage order.
    fn records(&self) -> Result<Vec<RawRecord>, StoreError> {
        let mut out = Vec::new();
        self.for_each(&mut |k, v| {
            out.push((k.to_vec(), v.to_vec()));
            true
        })?;
        Ok(out)
    }

    /// The records whose key starts with `prefix`, in key order.
    fn records_with_prefix(&self, prefix: &[u8]) -> Result<Vec<RawRecord>, StoreError> {
        let mut out = Vec::new();
        self.for_each_prefix(prefix, &mut |k, v| {
            out.push((k.to_vec(), v.to_vec()));
            true
        })?;
        Ok(out)
    }

    /// Encodes and stores `record`, replacing any value under its key.
    fn write_record(&mut self, record: &Record) -> Result<(), StoreError> {
        let (k, v) = records::encode(record);
        self.write(&k, &v, true).map(|_| ())
    }

    /// Decodes every record of type `kind` (e.g. [`records::keys::TX`]).
    fn read_records_of(&self, kind: &str) -> Result<Vec<Record>, StoreError> {
        self.records_with_prefix(&records::type_prefix(kind))?
            .into_iter()
            .map(|(k, v)| records::decode(&k, &v).map_err(StoreError::Record))
            .collect()
    }
}

/// Runs `f` inside a transaction: committed if `f` succeeds, aborted if it fails
/// (Core's `RunWithinTxn`).
pub fn within_txn<S, T, F>(store: &mut S, f: F) -> Result<T, StoreError>
where
    S: WalletStore + ?Sized,
    F: FnOnce(&mut S) -> Result<T, StoreError>,
{
    store.txn_begin()?;
    match f(store) {
        Ok(v) => {
            store.txn_commit()?;
            Ok(v)
        }
        Err(e) => {
            // The caller's error matters more than a failure to roll back.
            let _ = store.txn_abort();
            Err(e)
        }
    }
}

/// Copies every record of `from` into `to` in one transaction.
pub fn copy_records(from: &dyn WalletStore, to: &mut dyn WalletStore) -> Result<usize, StoreError> {
    let all = from.records()?;
    within_txn(to, |s| {
        for (k, v) in &all {
            s.write(k, v, true)?;
        }
        Ok(all.len())
    })
}

/// An in-memory store for tests and tools. Iteration is in key order; it reports the
/// format `sqlite`, standing in for Core's in-memory SQLite database, so its dumps load
/// into a SQLite wallet.
#[derive(Debug, Default, Clone)]
pub struct MemoryStore {
    map: BTreeMap<Vec<u8>, Vec<u8>>,
    /// The map as it was when the open transaction began.
    snapshot: Option<BTreeMap<Vec<u8>, Vec<u8>>>,
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// Number of records.
    pub fn len(&self) -> usize {
        self.map.len()
    }

    /// Whether the store is empty.
    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }
}

impl WalletStore for MemoryStore {
    fn format(&self) -> &'static str {
        "sqlite"
    }

    fn read(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(self.map.get(key).cloned())
    }

    fn exists(&self, key: &[u8]) -> Result<bool, StoreError> {
        Ok(self.map.contains_key(key))
    }

    fn write(&mut self, key: &[u8], value: &[u8], overwrite: bool) -> Result<bool, StoreError> {
        if !overwrite && self.map.contains_key(key) {
            return Ok(false);
        }
        self.map.insert(key.to_vec(), value.to_vec());
        Ok(true)
    }

    fn erase(&mut self, key: &[u8]) -> Result<(), StoreError> {
        self.map.remove(key);
        Ok(())
    }

    fn erase_prefix(&mut self, prefix: &[u8]) -> Result<(), StoreError> {
        self.map.retain(|k, _| !k.starts_with(prefix));
        Ok(())
    }

    fn for_each(&self, f: &mut dyn FnMut(&[u8], &[u8]) -> bool) -> Result<(), StoreError> {
        for (k, v) in &self.map {
            if !f(k, v) {
                break;
            }
        }
        Ok(())
    }

    fn for_each_prefix(
        &self,
        prefix: &[u8],
        f: &mut dyn FnMut(&[u8], &[u8]) -> bool,
    ) -> Result<(), StoreError> {
        let range = self
            .map
            .range::<[u8], _>((Bound::Included(prefix), Bound::Unbounded));
        for (k, v) in range {
            if !k.starts_with(prefix) || !f(k, v) {
                break;
            }
        }
        Ok(())
    }

    fn txn_begin(&mut self) -> Result<(), StoreError> {
        if self.snapshot.is_some() {
            return Err(StoreError::TxnAlreadyActive);
        }
        self.snapshot = Some(self.map.clone());
        Ok(())
    }

    fn txn_commit(&mut self) -> Result<(), StoreError> {
        self.snapshot
            .take()
            .map(|_| ())
            .ok_or(StoreError::NoActiveTxn)
    }

    fn txn_abort(&mut self) -> Result<(), StoreError> {
        self.map = self.snapshot.take().ok_or(StoreError::NoActiveTxn)?;
        Ok(())
    }

    fn has_active_txn(&self) -> bool {
        self.snapshot.is_some()
    }

    fn backup(&self, _dest: &Path) -> Result<(), StoreError> {
        Err(StoreError::Unsupported("backup of an in-memory store"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memory_store_basics() {
        let mut s = MemoryStore::new();
        assert!(s.write(b"a1", b"x", false).unwrap());
        assert!(!s.write(b"a1", b"y", false).unwrap());
        assert_eq!(s.read(b"a1").unwrap(), Some(b"x".to_vec()));
        assert!(s.write(b"a1", b"y", true).unwrap());
        s.write(b"a2", b"z", true).unwrap();
        s.write(b"b", b"w", true).unwrap();
        assert_eq!(s.records_with_prefix(b"a").unwrap().len(), 2);
        s.erase_prefix(b"a").unwrap();
        assert_eq!(s.records().unwrap(), vec![(b"b".to_vec(), b"w".to_vec())]);
        s.erase(b"b").unwrap();
        assert!(s.is_empty());
    }

    #[test]
    fn memory_store_transactions() {
        let mut s = MemoryStore::new();
        s.write(b"k", b"1", true).unwrap();
        s.txn_begin().unwrap();
        assert!(matches!(s.txn_begin(), Err(StoreError::TxnAlreadyActive)));
        s.write(b"k", b"2", true).unwrap();
        s.write(b"j", b"3", true).unwrap();
        s.txn_abort().unwrap();
        assert_eq!(s.records().unwrap(), vec![(b"k".to_vec(), b"1".to_vec())]);
        let r: Result<(), StoreError> = within_txn(&mut s, |s| {
            s.write(b"x", b"1", true)?;
            Err(StoreError::Unsupported("test"))
        });
        assert!(r.is_err());
        assert!(!s.exists(b"x").unwrap());
        within_txn(&mut s, |s| s.write(b"x", b"1", true)).unwrap();
        assert!(s.exists(b"x").unwrap());
        assert!(matches!(s.txn_commit(), Err(StoreError::NoActiveTxn)));
    }
}
