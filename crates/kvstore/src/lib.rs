//! The embedded key-value store the block index and the UTXO set live in, behind a small
//! trait so the engine can change without touching them. Writes are atomic batches; a
//! batch written with `sync` is on disk when `write` returns.
//!
//! Engines: [`RedbStore`] (redb, a copy-on-write B-tree) and [`FjallStore`] (fjall, an LSM
//! tree). docs/adr/0005-kv-store.md records the measurement that chose between them.

mod fjall_store;
mod redb_store;

pub use fjall_store::FjallStore;
pub use redb_store::RedbStore;

/// A failure of the storage engine, by what was being done; each carries the engine's message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KvError {
    /// The store could not be opened or created (locked, corrupt, no space, permissions).
    Open(String),
    /// A read failed.
    Read(String),
    /// A batch could not be applied; none of it took effect.
    Write(String),
}

impl KvError {
    pub(crate) fn open(e: impl std::fmt::Display) -> Self {
        KvError::Open(e.to_string())
    }
    pub(crate) fn read(e: impl std::fmt::Display) -> Self {
        KvError::Read(e.to_string())
    }
    pub(crate) fn write(e: impl std::fmt::Display) -> Self {
        KvError::Write(e.to_string())
    }
}

impl std::fmt::Display for KvError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            KvError::Open(m) => write!(f, "cannot open the key-value store: {m}"),
            KvError::Read(m) => write!(f, "key-value store read failed: {m}"),
            KvError::Write(m) => write!(f, "key-value store write failed: {m}"),
        }
    }
}

impl std::error::Error for KvError {}

/// Puts and deletes applied together or not at all.
#[derive(Debug, Clone, Default)]
pub struct WriteBatch {
    pub(crate) ops: Vec<(Vec<u8>, Option<Vec<u8>>)>,
}

impl WriteBatch {
    /// An empty batch.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets `key` to `value`.
    pub fn put(&mut self, key: &[u8], value: &[u8]) {
        self.ops.push((key.to_vec(), Some(value.to_vec())));
    }

    /// Removes `key`.
    pub fn delete(&mut self, key: &[u8]) {
        self.ops.push((key.to_vec(), None));
    }

    /// Number of operations.
    pub fn len(&self) -> usize {
        self.ops.len()
    }

    /// Whether the batch is empty.
    pub fn is_empty(&self) -> bool {
        self.ops.is_empty()
    }
}

/// An embedded ordered key-value store.
pub trait KvStore: Send + Sync {
    /// The value of `key`.
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, KvError>;
    /// Applies `batch` atomically; with `sync`, durably before returning.
    fn write(&self, batch: WriteBatch, sync: bool) -> Result<(), KvError>;
    /// Calls `f` for each entry whose key starts with `prefix`, in key order, until it returns false.
    fn scan_prefix(
        &self,
        prefix: &[u8],
        f: &mut dyn FnMut(&[u8], &[u8]) -> bool,
    ) -> Result<(), KvError>;
    /// Bytes the store takes on disk.
    fn disk_size(&self) -> Result<u64, KvError>;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn exercise(store: &dyn KvStore) {
        let mut b = WriteBatch::new();
        b.put(b"Ca", b"1");
        b.put(b"Cb", b"2");
        b.put(b"Cc", b"3");
        b.put(b"Z", b"9");
        store.write(b, true).unwrap();
        let mut b = WriteBatch::new();
        b.delete(b"Cb");
        b.put(b"Ca", b"10");
        store.write(b, false).unwrap();
        assert_eq!(store.get(b"Ca").unwrap(), Some(b"10".to_vec()));
        assert_eq!(store.get(b"Cb").unwrap(), None);
        let mut seen = Vec::new();
        store
            .scan_prefix(b"C", &mut |k, v| {
                seen.push((k.to_vec(), v.to_vec()));
                true
            })
            .unwrap();
        assert_eq!(
            seen,
            vec![
                (b"Ca".to_vec(), b"10".to_vec()),
                (b"Cc".to_vec(), b"3".to_vec())
            ]
        );
        let mut first = None;
        store
            .scan_prefix(b"", &mut |k, _| {
                first = Some(k.to_vec());
                false
            })
            .unwrap();
        assert_eq!(first, Some(b"Ca".to_vec()));
    }

    fn dir(name: &str) -> std::path::PathBuf {
        let d = std::env::temp_dir().join(format!("kvstore-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        d
    }

    #[test]
    fn redb_semantics_and_reopen() {
        let d = dir("redb");
        {
            let s = RedbStore::open(&d).unwrap();
            exercise(&s);
        }
        let s = RedbStore::open(&d).unwrap();
        assert_eq!(s.get(b"Cc").unwrap(), Some(b"3".to_vec()));
        let _ = std::fs::remove_dir_all(&d);
    }

    #[test]
    fn fjall_semantics_and_reopen() {
        let d = dir("fjall");
        {
            let s = FjallStore::open(&d).unwrap();
            exercise(&s);
        }
        let s = FjallStore::open(&d).unwrap();
        assert_eq!(s.get(b"Cc").unwrap(), Some(b"3".to_vec()));
        let _ = std::fs::remove_dir_all(&d);
    }

    #[test]
    fn redb_rejects_a_garbage_file_without_panicking() {
        let d = dir("redb-garbage");
        std::fs::create_dir_all(&d).unwrap();
        std::fs::write(d.join("data.redb"), vec![0x5a; 8192]).unwrap();
        assert!(matches!(RedbStore::open(&d), Err(KvError::Open(_))));
        let _ = std::fs::remove_dir_all(&d);
    }
}
