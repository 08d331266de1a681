//! Core's wallet dump file (wallet/dump.cpp), as `bitcoin-wallet dump` writes and
//! `createfromdump` reads it:
//!
//! ```text
//! BITCOIN_CORE_WALLET_DUMP,1
//! format,sqlite
//! <hex key>,<hex value>        one line per record
//! checksum,<hex of double SHA-256 over all lines above, newlines included>
//! ```
//!
//! Reading follows Core's `std::getline` loop byte for byte, including its quirks
//! (a line without a comma runs into the next, a record line with an empty key or
//! value is skipped but still hashed, nothing after the checksum line is read), so a
//! file is accepted or refused here exactly when Core accepts or refuses it, with
//! Core's messages.

use std::fmt;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use bitcoin::hashes::{sha256d, Hash, HashEngine};

use crate::hex;
use crate::sqlite::{is_sqlite_wallet_file, wallet_data_file, SqliteStore};
use crate::store::{within_txn, RawRecord, StoreError, WalletStore};

/// First field of a dump's first line.
pub const DUMP_MAGIC: &str = "BITCOIN_CORE_WALLET_DUMP";
/// The dump version Core writes and reads.
pub const DUMP_VERSION: u32 = 1;

/// Why a dump could not be written or read. Texts are Core's.
#[derive(Debug)]
pub enum DumpError {
    /// First field is not [`DUMP_MAGIC`].
    BadMagic(String),
    /// The version is not a plain decimal u32.
    BadVersionNumber(String),
    /// A version other than 1.
    UnsupportedVersion(String),
    /// Second line does not start with `format`.
    BadFormatKey(String),
    /// A format other than `sqlite`.
    UnsupportedFormat(String),
    /// The checksum line's value is not 32 bytes of hex.
    ChecksumSize,
    /// A record key that is not hex.
    KeyNotHex(String),
    /// A record value that is not hex.
    ValueNotHex(String),
    /// No checksum line (or an all-zero checksum).
    MissingChecksum,
    /// The checksum does not match the content.
    ChecksumMismatch {
        /// Hex of the checksum computed over the file.
        computed: String,
        /// Hex of the checksum the file states.
        expected: String,
    },
    /// Storing a record failed.
    WriteFailed(StoreError),
    /// Reading the wallet for a dump failed.
    ReadFailed(StoreError),
    /// Creating or opening the wallet failed.
    Store(StoreError),
    /// The dump file to write already exists.
    FileExists(String),
    /// The dump file could not be created or written.
    CannotWrite(String),
    /// The dump file to read does not exist.
    DumpFileMissing(String),
    /// Another I/O error.
    Io(std::io::Error),
}

impl fmt::Display for DumpError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DumpError::BadMagic(got) => write!(
                f,
                "Error: Dumpfile identifier record is incorrect. Got \"{got}\", expected \"{DUMP_MAGIC}\"."
            ),
            DumpError::BadVersionNumber(v) => {
                write!(f, "Error: Unable to parse version {v} as a uint32_t")
            }
            DumpError::UnsupportedVersion(v) => write!(
                f,
                "Error: Dumpfile version is not supported. This version of bitcoin-wallet only supports version 1 dumpfiles. Got dumpfile with version {v}"
            ),
            DumpError::BadFormatKey(got) => write!(
                f,
                "Error: Dumpfile format record is incorrect. Got \"{got}\", expected \"format\"."
            ),
            DumpError::UnsupportedFormat(got) => write!(
                f,
                "Error: Dumpfile specifies an unsupported database format ({got}). Only sqlite database dumps are supported"
            ),
            DumpError::ChecksumSize => f.write_str("Error: Checksum is not the correct size"),
            DumpError::KeyNotHex(k) => write!(f, "Error: Got key that was not hex: {k}"),
            DumpError::ValueNotHex(v) => write!(f, "Error: Got value that was not hex: {v}"),
            DumpError::MissingChecksum => f.write_str("Error: Missing checksum"),
            DumpError::ChecksumMismatch { computed, expected } => write!(
                f,
                "Error: Dumpfile checksum does not match. Computed {computed}, expected {expected}"
            ),
            DumpError::WriteFailed(_) => f.write_str("Error: Unable to write record to new wallet"),
            DumpError::ReadFailed(_) => f.write_str("Error reading next record from wallet database"),
            DumpError::Store(e) => e.fmt(f),
            DumpError::FileExists(p) => write!(
                f,
                "File {p} already exists. If you are sure this is what you want, move it out of the way first."
            ),
            DumpError::CannotWrite(p) => write!(f, "Unable to open {p} for writing"),
            DumpError::DumpFileMissing(p) => write!(f, "Dump file {p} does not exist."),
            DumpError::Io(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for DumpError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            DumpError::WriteFailed(e) | DumpError::ReadFailed(e) | DumpError::Store(e) => Some(e),
            DumpError::Io(e) => Some(e),
            _ => None,
        }
    }
}

/// Core's `HashWriter`: double SHA-256 over the bytes written.
struct Checksum(bitcoin::hashes::sha256::HashEngine);

impl Checksum {
    fn new() -> Self {
        Checksum(sha256d::Hash::engine())
    }

    fn line(&mut self, key: &[u8], value: &[u8]) {
        self.0.input(key);
        self.0.input(b",");
        self.0.input(value);
        self.0.input(b"\n");
    }

    fn finish(self) -> [u8; 32] {
        sha256d::Hash::from_engine(self.0).to_byte_array()
    }
}

fn format_line(format: &str) -> &str {
    // Core writes BDB files opened read-only as plain "bdb".
    if format == "bdb_ro" {
        "bdb"
    } else {
        format
    }
}

/// Writes a dump of every record in `store`, in the store's own order, to `out`.
pub fn write_dump(store: &dyn WalletStore, out: &mut dyn Write) -> Result<(), DumpError> {
    let mut sum = Checksum::new();
    let version = DUMP_VERSION.to_string();
    let mut emit = |out: &mut dyn Write, k: &[u8], v: &[u8]| -> std::io::Result<()> {
        sum.line(k, v);
        out.write_all(k)?;
        out.write_all(b",")?;
        out.write_all(v)?;
        out.write_all(b"\n")
    };
    emit(out, DUMP_MAGIC.as_bytes(), version.as_bytes()).map_err(DumpError::Io)?;
    emit(out, b"format", format_line(store.format()).as_bytes()).map_err(DumpError::Io)?;
    let mut io_err = None;
    store
        .for_each(
            &mut |k, v| match emit(out, hex::encode(k).as_bytes(), hex::encode(v).as_bytes()) {
                Ok(()) => true,
                Err(e) => {
                    io_err = Some(e);
                    false
                }
            },
        )
        .map_err(DumpError::ReadFailed)?;
    if let Some(e) = io_err {
        return Err(DumpError::Io(e));
    }
    let checksum = hex::encode(&sum.finish());
    out.write_all(format!("checksum,{checksum}\n").as_bytes())
        .map_err(DumpError::Io)?;
    Ok(())
}

/// A dump as bytes.
pub fn dump_to_vec(store: &dyn WalletStore) -> Result<Vec<u8>, DumpError> {
    let mut out = Vec::new();
    write_dump(store, &mut out)?;
    Ok(out)
}

fn absolute(path: &Path) -> PathBuf {
    std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf())
}

/// Core's `DumpWallet` to a file: refuses an existing file, and removes a partial file
/// when something fails.
pub fn dump_to_file(store: &dyn WalletStore, path: &Path) -> Result<(), DumpError> {
    let path = absolute(path);
    let shown = path.display().to_string();
    if path.exists() {
        return Err(DumpError::FileExists(shown));
    }
    let file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&path)
        .map_err(|_| DumpError::CannotWrite(shown))?;
    let mut w = BufWriter::new(file);
    let result = write_dump(store, &mut w).and_then(|()| w.flush().map_err(DumpError::Io));
    if result.is_err() {
        drop(w);
        let _ = std::fs::remove_file(&path);
    }
    result
}

/// Core's use of `std::getline` on an `std::ifstream`: reads up to a delimiter (which
/// is consumed), sets "eof" when the data runs out, and "fail" when a read finds
/// nothing at all; once not good, reads give empty strings.
struct GetLine<'a> {
    data: &'a [u8],
    pos: usize,
    eof: bool,
    fail: bool,
}

impl<'a> GetLine<'a> {
    fn new(data: &'a [u8]) -> Self {
        GetLine {
            data,
            pos: 0,
            eof: false,
            fail: false,
        }
    }

    fn good(&self) -> bool {
        !self.eof && !self.fail
    }

    fn getline(&mut self, delim: u8) -> &'a [u8] {
        if !self.good() {
            self.fail = true;
            return &[];
        }
        let rest = &self.data[self.pos..];
        match rest.iter().position(|&b| b == delim) {
            Some(i) => {
                self.pos += i + 1;
                &rest[..i]
            }
            None => {
                self.pos = self.data.len();
                self.eof = true;
                if rest.is_empty() {
                    self.fail = true;
                }
                rest
            }
        }
    }
}

fn lossy(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// Core's `ToIntegral<uint32_t>`: decimal digits only, no sign or spaces, no overflow.
fn parse_u32_strict(s: &[u8]) -> Option<u32> {
    if s.is_empty() || !s.iter().all(u8::is_ascii_digit) {
        return None;
    }
    std::str::from_utf8(s).ok()?.parse().ok()
}

/// A parsed and verified dump.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedDump {
    /// The `format` line's value (always `sqlite` once verified).
    pub format: String,
    /// The records in file order; a key listed twice keeps both entries, and the later
    /// one wins when loaded, as with Core's overwriting writes.
    pub records: Vec<RawRecord>,
    /// The verified checksum.
    pub checksum: [u8; 32],
}

/// The magic, version and format lines.
struct Header {
    format: String,
}

fn read_header(lines: &mut GetLine<'_>, sum: &mut Checksum) -> Result<Header, DumpError> {
    let magic = lines.getline(b',');
    let version = lines.getline(b'\n');
    if magic != DUMP_MAGIC.as_bytes() {
        return Err(DumpError::BadMagic(lossy(magic)));
    }
    match parse_u32_strict(version) {
        None => return Err(DumpError::BadVersionNumber(lossy(version))),
        Some(v) if v != DUMP_VERSION => return Err(DumpError::UnsupportedVersion(lossy(version))),
        Some(_) => {}
    }
    sum.line(magic, version);
    let format_key = lines.getline(b',');
    let format_value = lines.getline(b'\n');
    if format_key != b"format" {
        return Err(DumpError::BadFormatKey(lossy(format_key)));
    }
    if format_value != b"sqlite" {
        return Err(DumpError::UnsupportedFormat(lossy(format_value)));
    }
    sum.line(format_key, format_value);
    Ok(Header {
        format: lossy(format_value),
    })
}

/// The record lines and the checksum line, verified against everything hashed.
fn read_body(
    lines: &mut GetLine<'_>,
    mut sum: Checksum,
) -> Result<(Vec<RawRecord>, [u8; 32]), DumpError> {
    let mut records = Vec::new();
    let mut checksum = [0u8; 32];
    while lines.good() {
        let key = lines.getline(b',');
        let value = lines.getline(b'\n');
        if key == b"checksum" {
            let parsed = hex::parse_core(value).unwrap_or_default();
            if parsed.len() != 32 {
                return Err(DumpError::ChecksumSize);
            }
            checksum.copy_from_slice(&parsed);
            break;
        }
        sum.line(key, value);
        if key.is_empty() || value.is_empty() {
            continue;
        }
        if !hex::is_hex(key) {
            return Err(DumpError::KeyNotHex(lossy(key)));
        }
        if !hex::is_hex(value) {
            return Err(DumpError::ValueNotHex(lossy(value)));
        }
        // is_hex guarantees both parse.
        let k = hex::parse_core(key).unwrap_or_default();
        let v = hex::parse_core(value).unwrap_or_default();
        records.push((k, v));
    }
    let computed = sum.finish();
    if checksum == [0u8; 32] {
        return Err(DumpError::MissingChecksum);
    }
    if checksum != computed {
        return Err(DumpError::ChecksumMismatch {
            computed: hex::encode(&computed),
            expected: hex::encode(&checksum),
        });
    }
    Ok((records, checksum))
}

/// Reads and verifies a dump. Any input gives a result or a [`DumpError`]; nothing
/// panics.
pub fn read_dump(data: &[u8]) -> Result<ParsedDump, DumpError> {
    let mut lines = GetLine::new(data);
    let mut sum = Checksum::new();
    let header = read_header(&mut lines, &mut sum)?;
    let (records, checksum) = read_body(&mut lines, sum)?;
    Ok(ParsedDump {
        format: header.format,
        records,
        checksum,
    })
}

/// Verifies `data` and writes its records into `store` in one transaction; nothing is
/// written if the dump is bad. Returns the number of record lines stored.
pub fn load_dump(data: &[u8], store: &mut dyn WalletStore) -> Result<usize, DumpError> {
    let dump = read_dump(data)?;
    within_txn(store, |s| {
        for (k, v) in &dump.records {
            s.write(k, v, true)?;
        }
        Ok(dump.records.len())
    })
    .map_err(DumpError::WriteFailed)
}

/// Core's `CreateFromDump`: makes a new SQLite wallet in directory `wallet_dir` from
/// the dump at `dump_path`. Header errors are reported before anything is created; if
/// the records then fail, the new wallet is removed again.
pub fn create_from_dump_file(
    dump_path: &Path,
    wallet_dir: &Path,
    magic: [u8; 4],
) -> Result<SqliteStore, DumpError> {
    let dump_path = absolute(dump_path);
    if !dump_path.exists() {
        return Err(DumpError::DumpFileMissing(dump_path.display().to_string()));
    }
    let data = std::fs::read(&dump_path).map_err(DumpError::Io)?;
    let mut lines = GetLine::new(&data);
    let mut sum = Checksum::new();
    read_header(&mut lines, &mut sum)?;

    let file = wallet_data_file(wallet_dir);
    if is_sqlite_wallet_file(&file, magic) {
        return Err(DumpError::Store(StoreError::AlreadyExists(
            wallet_dir.display().to_string(),
        )));
    }
    let dir_existed = wallet_dir.exists();
    let mut store = SqliteStore::create(&file, magic).map_err(DumpError::Store)?;
    let result = read_body(&mut lines, sum).and_then(|(records, _)| {
        within_txn(&mut store, |s| {
            for (k, v) in &records {
                s.write(k, v, true)?;
            }
            Ok(())
        })
        .map_err(DumpError::WriteFailed)
    });
    match result {
        Ok(()) => Ok(store),
        Err(e) => {
            drop(store);
            let _ = std::fs::remove_file(&file);
            let _ = std::fs::remove_file(
                file.with_file_name(format!("{}-journal", crate::sqlite::WALLET_FILE_NAME)),
            );
            if !dir_existed {
                // Only succeeds when empty, like Core's fs::remove on the wallet path.
                let _ = std::fs::remove_dir(wallet_dir);
            }
            Err(e)
        }
    }
}

#[cfg(test)]
mod tests;
