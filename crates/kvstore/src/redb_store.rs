//! [`KvStore`] on redb: one table, one write transaction per batch.

use std::path::{Path, PathBuf};

use redb::{Database, Durability, ReadableDatabase, TableDefinition};

use crate::{KvError, KvStore, WriteBatch};

const TABLE: TableDefinition<&[u8], &[u8]> = TableDefinition::new("kv");

/// A redb database in one file under a directory.
pub struct RedbStore {
    db: Database,
    path: PathBuf,
}

impl RedbStore {
    /// Opens or creates the store in `dir`.
    pub fn open(dir: &Path) -> Result<RedbStore, KvError> {
        std::fs::create_dir_all(dir).map_err(KvError::open)?;
        let path = dir.join("data.redb");
        let db = Database::create(&path).map_err(KvError::open)?;
        // Create the table so reads of a fresh store find it.
        let tx = db.begin_write().map_err(KvError::open)?;
        tx.open_table(TABLE).map_err(KvError::open)?;
        tx.commit().map_err(KvError::open)?;
        Ok(RedbStore { db, path })
    }
}

impl KvStore for RedbStore {
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, KvError> {
        let tx = self.db.begin_read().map_err(KvError::read)?;
        let table = tx.open_table(TABLE).map_err(KvError::read)?;
        Ok(table
            .get(key)
            .map_err(KvError::read)?
            .map(|v| v.value().to_vec()))
    }

    fn write(&self, batch: WriteBatch, sync: bool) -> Result<(), KvError> {
        let mut tx = self.db.begin_write().map_err(KvError::write)?;
        if !sync {
            tx.set_durability(Durability::None)
                .map_err(KvError::write)?;
        }
        {
            let mut table = tx.open_table(TABLE).map_err(KvError::write)?;
            for (k, v) in &batch.ops {
                match v {
                    Some(v) => {
                        table
                            .insert(k.as_slice(), v.as_slice())
                            .map_err(KvError::write)?;
                    }
                    None => {
                        table.remove(k.as_slice()).map_err(KvError::write)?;
                    }
                }
            }
        }
        tx.commit().map_err(KvError::write)
    }

    fn scan_prefix(
        &self,
        prefix: &[u8],
        f: &mut dyn FnMut(&[u8], &[u8]) -> bool,
    ) -> Result<(), KvError> {
        let tx = self.db.begin_read().map_err(KvError::read)?;
        let table = tx.open_table(TABLE).map_err(KvError::read)?;
        for item in table.range(prefix..).map_err(KvError::read)? {
            let (k, v) = item.map_err(KvError::read)?;
            if !k.value().starts_with(prefix) || !f(k.value(), v.value()) {
                break;
            }
        }
        Ok(())
    }

    fn disk_size(&self) -> Result<u64, KvError> {
        Ok(std::fs::metadata(&self.path).map_err(KvError::read)?.len())
    }
}
