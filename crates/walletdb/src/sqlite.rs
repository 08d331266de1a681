//! The wallet file as Core lays it out (wallet/sqlite.cpp): one table
//! `main(key BLOB PRIMARY KEY NOT NULL, value BLOB NOT NULL)`, `PRAGMA application_id`
//! set to the network's message start read as a big-endian u32, `PRAGMA user_version`
//! set to the schema version, and an exclusive lock held while open.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::backup::{Backup, StepResult};
use rusqlite::types::ValueRef;
use rusqlite::{Connection, DatabaseName, ErrorCode, OpenFlags};

use crate::store::{StoreError, WalletStore};

/// Core's `WALLET_SCHEMA_VERSION`, stored in `PRAGMA user_version`.
pub const WALLET_SCHEMA_VERSION: i32 = 0;

/// The file name of a wallet inside its directory (Core's `SQLiteDataFile`).
pub const WALLET_FILE_NAME: &str = "wallet.dat";

/// Path of the data file of the wallet in directory `wallet_dir`.
pub fn wallet_data_file(wallet_dir: &Path) -> PathBuf {
    wallet_dir.join(WALLET_FILE_NAME)
}

/// The application id for a network's 4 message-start bytes.
pub fn application_id(magic: [u8; 4]) -> u32 {
    u32::from_be_bytes(magic)
}

/// Core's `IsSQLiteFile`: at least 512 bytes, SQLite's header magic, and the
/// application id field (offset 68) equal to `magic`.
pub fn is_sqlite_wallet_file(path: &Path, magic: [u8; 4]) -> bool {
    let Ok(meta) = std::fs::metadata(path) else {
        return false;
    };
    if !meta.is_file() || meta.len() < 512 {
        return false;
    }
    let Ok(mut file) = std::fs::File::open(path) else {
        return false;
    };
    let mut head = [0u8; 72];
    if file.read_exact(&mut head).is_err() {
        return false;
    }
    &head[..16] == b"SQLite format 3\0" && head[68..72] == magic
}

/// The SQLite library version (Core logs it at startup).
pub fn sqlite_version() -> &'static str {
    rusqlite::version()
}

/// How to open a wallet file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SqliteOptions {
    /// The network's message-start bytes; they become the application id.
    pub magic: [u8; 4],
    /// Run Core's checks after opening: application id, schema version, integrity.
    pub verify: bool,
    /// `-unsafesqlitesync`: `PRAGMA synchronous = OFF`.
    pub unsafe_sync: bool,
}

impl SqliteOptions {
    /// Options for a network, with verification on and safe syncing.
    pub fn new(magic: [u8; 4]) -> Self {
        SqliteOptions {
            magic,
            verify: true,
            unsafe_sync: false,
        }
    }
}

/// A Core-compatible SQLite wallet file.
#[derive(Debug)]
pub struct SqliteStore {
    conn: Connection,
    path: Option<PathBuf>,
    in_txn: bool,
}

fn setup_err(what: &str, e: rusqlite::Error) -> StoreError {
    StoreError::Setup(format!("SQLiteDatabase: {what}: {e}"))
}

/// Core's `IsDirWritable`: try to create a file there.
fn dir_is_writable(dir: &Path) -> bool {
    let nonce = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    let probe = dir.join(format!(".walletdb-{}-{nonce}.tmp", std::process::id()));
    match std::fs::OpenOptions::new()
        .append(true)
        .create(true)
        .open(&probe)
    {
        Ok(_) => {
            let _ = std::fs::remove_file(&probe);
            true
        }
        Err(_) => false,
    }
}

fn blob(v: ValueRef<'_>) -> Result<&[u8], StoreError> {
    match v {
        ValueRef::Blob(b) | ValueRef::Text(b) => Ok(b),
        ValueRef::Null => Ok(&[]),
        other => Err(StoreError::Setup(format!(
            "SQLiteDatabase: unexpected {:?} column in main table",
            other.data_type()
        ))),
    }
}

/// Core's `GetNewPrefixCursor` upper bound: the prefix plus one as a big number, or
/// none when the prefix is all 0xff.
fn prefix_end(prefix: &[u8]) -> Option<Vec<u8>> {
    let mut end = prefix.to_vec();
    while let Some(last) = end.pop() {
        if last != 0xff {
            end.push(last + 1);
            return Some(end);
        }
    }
    None
}

impl SqliteStore {
    /// Creates a new wallet file at `path` (Core's `createwallet`). Fails if anything
    /// already exists there.
    pub fn create(path: &Path, magic: [u8; 4]) -> Result<Self, StoreError> {
        if path.exists() {
            return Err(StoreError::AlreadyExists(path.display().to_string()));
        }
        Self::open_unchecked(path, SqliteOptions::new(magic))
    }

    /// Opens an existing wallet file (Core's `loadwallet`): the file must exist and
    /// look like a SQLite wallet of this network before it is opened and verified.
    pub fn open(path: &Path, magic: [u8; 4]) -> Result<Self, StoreError> {
        if !path.exists() {
            return Err(StoreError::NotFound(path.display().to_string()));
        }
        if !is_sqlite_wallet_file(path, magic) {
            return Err(StoreError::NotRecognized(path.display().to_string()));
        }
        Self::open_unchecked(path, SqliteOptions::new(magic))
    }

    /// Core's `SQLiteDatabase` constructor followed by `Verify` (when asked): opens or
    /// creates the file, takes the exclusive lock, creates the table and sets the
    /// pragmas on a new file.
    pub fn open_unchecked(path: &Path, options: SqliteOptions) -> Result<Self, StoreError> {
        let dir = match path.parent() {
            Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
            _ => PathBuf::from("."),
        };
        std::fs::create_dir_all(&dir)?;
        if !dir_is_writable(&dir) {
            return Err(StoreError::DirNotWritable(dir.display().to_string()));
        }
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_FULL_MUTEX;
        let conn = Connection::open_with_flags(path, flags)
            .map_err(|e| setup_err("Failed to open database", e))?;
        Self::setup(conn, Some(path.to_path_buf()), options)
    }

    /// A wallet database that lives in memory only (Core's `InMemoryWalletDatabase`).
    pub fn open_in_memory(magic: [u8; 4]) -> Result<Self, StoreError> {
        let conn =
            Connection::open_in_memory().map_err(|e| setup_err("Failed to open database", e))?;
        Self::setup(conn, None, SqliteOptions::new(magic))
    }

    fn setup(
        conn: Connection,
        path: Option<PathBuf>,
        options: SqliteOptions,
    ) -> Result<Self, StoreError> {
        // Core never waits for a lock: another holder means another instance.
        conn.busy_timeout(Duration::ZERO)?;
        if conn.is_readonly(DatabaseName::Main)? {
            return Err(StoreError::ReadOnly);
        }
        conn.execute_batch("PRAGMA locking_mode = exclusive")
            .map_err(|e| setup_err("Unable to change database locking mode to exclusive", e))?;
        // In exclusive locking mode the lock taken by this transaction is kept until
        // the connection closes.
        conn.execute_batch("BEGIN EXCLUSIVE TRANSACTION")
            .map_err(|_| StoreError::Locked)?;
        conn.execute_batch("COMMIT")
            .map_err(|e| setup_err("Unable to end exclusive lock transaction", e))?;
        conn.execute_batch("PRAGMA fullfsync = true")
            .map_err(|e| setup_err("Failed to enable fullfsync", e))?;
        if options.unsafe_sync {
            conn.execute_batch("PRAGMA synchronous = OFF")
                .map_err(|e| setup_err("Failed to set synchronous mode to OFF", e))?;
        }
        let table_exists: bool = conn
            .query_row(
                "SELECT EXISTS(SELECT name FROM sqlite_master WHERE type='table' AND name='main')",
                [],
                |r| r.get(0),
            )
            .map_err(|e| setup_err("Failed to execute statement to check table existence", e))?;
        if !table_exists {
            conn.execute_batch(
                "CREATE TABLE main(key BLOB PRIMARY KEY NOT NULL, value BLOB NOT NULL)",
            )
            .map_err(|e| setup_err("Failed to create new database", e))?;
            // Core writes the id as a signed 32-bit number.
            let app_id = application_id(options.magic) as i32;
            conn.execute_batch(&format!("PRAGMA application_id = {app_id}"))
                .map_err(|e| setup_err("Failed to set the application id", e))?;
            conn.execute_batch(&format!("PRAGMA user_version = {WALLET_SCHEMA_VERSION}"))
                .map_err(|e| setup_err("Failed to set the wallet schema version", e))?;
        }
        let store = SqliteStore {
            conn,
            path,
            in_txn: false,
        };
        if options.verify {
            store.verify(options.magic)?;
        }
        Ok(store)
    }

    /// Core's `SQLiteDatabase::Verify`: application id, schema version, then
    /// `PRAGMA integrity_check`.
    pub fn verify(&self, magic: [u8; 4]) -> Result<(), StoreError> {
        let got: i64 = self
            .conn
            .query_row("PRAGMA application_id", [], |r| r.get(0))
            .map_err(|e| setup_err("Failed to fetch the application id", e))?;
        let got = got as i32 as u32;
        let expected = application_id(magic);
        if got != expected {
            return Err(StoreError::UnexpectedApplicationId { expected, got });
        }
        let ver: i64 = self
            .conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .map_err(|e| setup_err("Failed to fetch sqlite wallet schema version", e))?;
        let ver = ver as i32;
        if ver != WALLET_SCHEMA_VERSION {
            return Err(StoreError::UnknownSchemaVersion(ver));
        }
        let mut stmt = self
            .conn
            .prepare("PRAGMA integrity_check")
            .map_err(|e| setup_err("Failed to prepare statement to verify database", e))?;
        let mut rows = stmt.query([])?;
        let mut problems = Vec::new();
        while let Some(row) = rows
            .next()
            .map_err(|e| setup_err("Failed to execute statement to verify database", e))?
        {
            let msg: String = row.get(0)?;
            if msg != "ok" {
                problems.push(msg);
            }
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(StoreError::VerifyFailed(problems))
        }
    }

    /// The file path (`None` for an in-memory database).
    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// Core's `Rewrite`: `VACUUM`.
    pub fn rewrite(&mut self) -> Result<(), StoreError> {
        self.conn.execute_batch("VACUUM")?;
        Ok(())
    }

    /// The underlying connection, for callers that need SQLite itself.
    pub fn connection(&self) -> &Connection {
        &self.conn
    }

    fn query_each(
        &self,
        sql: &str,
        params: &[&dyn rusqlite::ToSql],
        f: &mut dyn FnMut(&[u8], &[u8]) -> bool,
    ) -> Result<(), StoreError> {
        let mut stmt = self.conn.prepare_cached(sql)?;
        let mut rows = stmt.query(params)?;
        while let Some(row) = rows.next()? {
            let k = blob(row.get_ref(0)?)?;
            let v = blob(row.get_ref(1)?)?;
            if !f(k, v) {
                break;
            }
        }
        Ok(())
    }
}

impl WalletStore for SqliteStore {
    fn format(&self) -> &'static str {
        "sqlite"
    }

    fn read(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT value FROM main WHERE key = ?")?;
        let mut rows = stmt.query([key])?;
        match rows.next()? {
            Some(row) => Ok(Some(blob(row.get_ref(0)?)?.to_vec())),
            None => Ok(None),
        }
    }

    fn exists(&self, key: &[u8]) -> Result<bool, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT value FROM main WHERE key = ?")?;
        Ok(stmt.exists([key])?)
    }

    fn write(&mut self, key: &[u8], value: &[u8], overwrite: bool) -> Result<bool, StoreError> {
        let sql = if overwrite {
            "INSERT or REPLACE into main values(?, ?)"
        } else {
            "INSERT INTO main VALUES(?, ?)"
        };
        let mut stmt = self.conn.prepare_cached(sql)?;
        match stmt.execute([key, value]) {
            Ok(_) => Ok(true),
            Err(rusqlite::Error::SqliteFailure(e, _))
                if !overwrite && e.code == ErrorCode::ConstraintViolation =>
            {
                Ok(false)
            }
            Err(e) => Err(e.into()),
        }
    }

    fn erase(&mut self, key: &[u8]) -> Result<(), StoreError> {
        self.conn
            .prepare_cached("DELETE FROM main WHERE key = ?")?
            .execute([key])?;
        Ok(())
    }

    fn erase_prefix(&mut self, prefix: &[u8]) -> Result<(), StoreError> {
        self.conn
            .prepare_cached("DELETE FROM main WHERE instr(key, ?) = 1")?
            .execute([prefix])?;
        Ok(())
    }

    fn for_each(&self, f: &mut dyn FnMut(&[u8], &[u8]) -> bool) -> Result<(), StoreError> {
        // No ORDER BY, exactly as Core's plain cursor, so dumps list records in the
        // order Core would.
        self.query_each("SELECT key, value FROM main", &[], f)
    }

    fn for_each_prefix(
        &self,
        prefix: &[u8],
        f: &mut dyn FnMut(&[u8], &[u8]) -> bool,
    ) -> Result<(), StoreError> {
        match prefix_end(prefix) {
            Some(end) => self.query_each(
                "SELECT key, value FROM main WHERE key >= ? AND key < ? ORDER BY key",
                &[&prefix, &end],
                f,
            ),
            None => self.query_each(
                "SELECT key, value FROM main WHERE key >= ? ORDER BY key",
                &[&prefix],
                f,
            ),
        }
    }

    fn txn_begin(&mut self) -> Result<(), StoreError> {
        if self.in_txn || !self.conn.is_autocommit() {
            return Err(StoreError::TxnAlreadyActive);
        }
        self.conn.execute_batch("BEGIN TRANSACTION")?;
        self.in_txn = true;
        Ok(())
    }

    fn txn_commit(&mut self) -> Result<(), StoreError> {
        if !self.in_txn {
            return Err(StoreError::NoActiveTxn);
        }
        self.conn.execute_batch("COMMIT TRANSACTION")?;
        self.in_txn = false;
        Ok(())
    }

    fn txn_abort(&mut self) -> Result<(), StoreError> {
        if !self.in_txn {
            return Err(StoreError::NoActiveTxn);
        }
        self.conn.execute_batch("ROLLBACK TRANSACTION")?;
        self.in_txn = false;
        Ok(())
    }

    fn has_active_txn(&self) -> bool {
        !self.conn.is_autocommit()
    }

    fn rewrite(&mut self) -> Result<(), StoreError> {
        SqliteStore::rewrite(self)
    }

    fn backup(&self, dest: &Path) -> Result<(), StoreError> {
        if self.has_active_txn() {
            // A copy taken now would contain writes that may still be rolled back.
            return Err(StoreError::TxnAlreadyActive);
        }
        let mut dst = Connection::open(dest)
            .map_err(|e| StoreError::Backup(format!("Unable to open backup destination: {e}")))?;
        let backup = Backup::new(&self.conn, &mut dst)
            .map_err(|e| StoreError::Backup(format!("Unable to begin sqlite backup: {e}")))?;
        match backup.step(-1) {
            Ok(StepResult::Done) => Ok(()),
            Ok(other) => Err(StoreError::Backup(format!(
                "Unable to continue sqlite backup: {other:?}"
            ))),
            Err(e) => Err(StoreError::Backup(format!(
                "Unable to continue sqlite backup: {e}"
            ))),
        }
    }
}

impl Drop for SqliteStore {
    fn drop(&mut self) {
        // Like Core's batch close: an unfinished transaction is rolled back.
        if self.in_txn {
            let _ = self.conn.execute_batch("ROLLBACK TRANSACTION");
        }
    }
}

#[cfg(test)]
mod tests;
