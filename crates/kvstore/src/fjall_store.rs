//! [`KvStore`] on fjall: one keyspace, one atomic batch per write.

use std::path::{Path, PathBuf};

use fjall::{Database, Keyspace, KeyspaceCreateOptions, PersistMode};

use crate::{KvError, KvStore, WriteBatch};

/// A fjall database in a directory.
pub struct FjallStore {
    db: Database,
    kv: Keyspace,
    dir: PathBuf,
}

impl FjallStore {
    /// Opens or creates the store in `dir`.
    pub fn open(dir: &Path) -> Result<FjallStore, KvError> {
        let db = Database::builder(dir).open().map_err(KvError::open)?;
        let kv = db
            .keyspace("kv", KeyspaceCreateOptions::default)
            .map_err(KvError::open)?;
        Ok(FjallStore {
            db,
            kv,
            dir: dir.to_path_buf(),
        })
    }
}

impl KvStore for FjallStore {
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, KvError> {
        Ok(self.kv.get(key).map_err(KvError::read)?.map(|v| v.to_vec()))
    }

    fn write(&self, batch: WriteBatch, sync: bool) -> Result<(), KvError> {
        let mut b = self.db.batch();
        if sync {
            b = b.durability(Some(PersistMode::SyncAll));
        }
        for (k, v) in batch.ops {
            match v {
                Some(v) => b.insert(&self.kv, k, v),
                None => b.remove(&self.kv, k),
            }
        }
        b.commit().map_err(KvError::write)
    }

    fn scan_prefix(
        &self,
        prefix: &[u8],
        f: &mut dyn FnMut(&[u8], &[u8]) -> bool,
    ) -> Result<(), KvError> {
        for guard in self.kv.prefix(prefix) {
            let (k, v) = guard.into_inner().map_err(KvError::read)?;
            if !f(&k, &v) {
                break;
            }
        }
        Ok(())
    }

    fn disk_size(&self) -> Result<u64, KvError> {
        fn walk(p: &Path) -> std::io::Result<u64> {
            let mut total = 0;
            for e in std::fs::read_dir(p)? {
                let e = e?;
                let m = e.metadata()?;
                total += if m.is_dir() {
                    walk(&e.path())?
                } else {
                    m.len()
                };
            }
            Ok(total)
        }
        walk(&self.dir).map_err(KvError::read)
    }
}
