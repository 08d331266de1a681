//! Block and undo files as Core lays them out: `blk?????.dat` and `rev?????.dat` records of
//! network magic, little-endian length and data (undo data followed by a checksum), files
//! of at most 128 MiB grown in 16 MiB (blocks) and 1 MiB (undo) zero-filled chunks, and
//! every byte XORed with the 8-byte key in `xor.dat`.
//!
//! How full each file is belongs to the block index; the caller passes it in and keeps it.

use std::fs::{File, OpenOptions};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

use bitcoin::{Block, BlockHash};

use crate::coin::CoinError;
use crate::undo::BlockUndo;

/// Largest block file (`MAX_BLOCKFILE_SIZE`).
pub const MAX_BLOCKFILE_SIZE: u64 = 128 << 20;
/// Growth step of block files (`BLOCKFILE_CHUNK_SIZE`).
pub const BLOCKFILE_CHUNK_SIZE: u64 = 16 << 20;
/// Growth step of undo files (`UNDOFILE_CHUNK_SIZE`).
pub const UNDOFILE_CHUNK_SIZE: u64 = 1 << 20;
/// Magic and length before each record (`STORAGE_HEADER_BYTES`).
pub const STORAGE_HEADER_BYTES: u64 = 8;

/// Where a record's data starts (after its 8-byte header), as Core's `FlatFilePos`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FilePos {
    /// File number (`blk00012.dat` is 12).
    pub file: u32,
    /// Offset of the data in the file.
    pub pos: u32,
}

/// A block record found by [`BlockFiles::recover_tail`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecoveredBlock {
    /// Where its data starts.
    pub pos: FilePos,
    /// Its header.
    pub header: bitcoin::block::Header,
    /// How many transactions it has.
    pub tx_count: u32,
}

/// Bytes used in each file pair, as the block index records them (`CBlockFileInfo`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FileUsage {
    /// Bytes of block records in `blk?????.dat`.
    pub blocks: u64,
    /// Bytes of undo records in `rev?????.dat`.
    pub undo: u64,
}

/// What went wrong with the block files.
#[derive(Debug)]
#[non_exhaustive]
pub enum BlockFilesError {
    /// Reading or writing failed.
    Io(std::io::Error),
    /// A record does not start with this network's magic.
    BadMagic(FilePos),
    /// A record is not a valid block.
    BadBlock(FilePos, String),
    /// Undo data does not parse.
    BadUndo(FilePos, CoinError),
    /// Undo data does not match its checksum.
    UndoChecksum(FilePos),
}

impl std::fmt::Display for BlockFilesError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            BlockFilesError::Io(e) => write!(f, "block file i/o: {e}"),
            BlockFilesError::BadMagic(p) => {
                write!(f, "no block magic at file {} offset {}", p.file, p.pos)
            }
            BlockFilesError::BadBlock(p, e) => {
                write!(f, "invalid block at file {} offset {}: {e}", p.file, p.pos)
            }
            BlockFilesError::BadUndo(p, e) => write!(
                f,
                "invalid undo data at file {} offset {}: {e}",
                p.file, p.pos
            ),
            BlockFilesError::UndoChecksum(p) => write!(
                f,
                "undo data checksum mismatch at file {} offset {}",
                p.file, p.pos
            ),
        }
    }
}

impl std::error::Error for BlockFilesError {}

impl From<std::io::Error> for BlockFilesError {
    fn from(e: std::io::Error) -> Self {
        BlockFilesError::Io(e)
    }
}

type Result<T> = std::result::Result<T, BlockFilesError>;

/// The `blocks/` directory of one network.
pub struct BlockFiles {
    /// Where the files are, their magic and XOR key (shared with readers).
    reader: BlockReader,
    usage: Vec<FileUsage>,
    max_file_size: u64,
}

impl BlockFiles {
    /// Opens `dir` with `usage` as recorded in the block index (empty for a new directory).
    /// The XOR key comes from `xor.dat`; when it is missing, a new directory gets a random
    /// key (or zeros if `use_xor` is false) and one that already holds files gets zeros,
    /// and the key is written to `xor.dat`, as Core does.
    pub fn open(
        dir: &Path,
        magic: [u8; 4],
        use_xor: bool,
        usage: Vec<FileUsage>,
    ) -> Result<BlockFiles> {
        std::fs::create_dir_all(dir)?;
        let key_path = dir.join("xor.dat");
        let key = match std::fs::read(&key_path) {
            Ok(bytes) => {
                let key: [u8; 8] = bytes.as_slice().try_into().map_err(|_| {
                    std::io::Error::new(
                        std::io::ErrorKind::InvalidData,
                        format!("{} is not 8 bytes", key_path.display()),
                    )
                })?;
                key
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let first_run = !std::fs::read_dir(dir)?.flatten().any(|e| {
                    let name = e.file_name();
                    let name = name.to_string_lossy();
                    (name.starts_with("blk") || name.starts_with("rev")) && name.ends_with(".dat")
                });
                let mut key = [0u8; 8];
                if use_xor && first_run {
                    key = random_key()?;
                }
                std::fs::write(&key_path, key)?;
                key
            }
            Err(e) => return Err(e.into()),
        };
        if !use_xor && key != [0; 8] {
            return Err(BlockFilesError::Io(std::io::Error::other(format!(
                "The blocksdir XOR-key can not be disabled when a random key was already stored! Stored key: '{}', stored path: '{}'.",
                key.iter().map(|b| format!("{b:02x}")).collect::<String>(),
                key_path.display()
            ))));
        }
        Ok(BlockFiles {
            reader: BlockReader {
                dir: dir.to_path_buf(),
                magic,
                key,
            },
            usage,
            max_file_size: MAX_BLOCKFILE_SIZE,
        })
    }

    /// The XOR key in use.
    pub fn xor_key(&self) -> [u8; 8] {
        self.reader.key
    }

    /// Usage of every file, to be recorded in the block index.
    pub fn usage(&self) -> &[FileUsage] {
        &self.usage
    }

    fn path(&self, kind: &str, file: u32) -> PathBuf {
        self.reader.path(kind, file)
    }

    fn xor(&self, data: &mut [u8], offset: u64) {
        xor_with(&self.reader.key, data, offset);
    }

    /// A read-only handle on the block files, for readers that do not hold the chainstate.
    pub fn reader(&self) -> BlockReader {
        self.reader.clone()
    }

    /// Writes `data` at `offset`, growing the file to whole chunks of `chunk` bytes first.
    fn write_at(&self, kind: &str, file: u32, offset: u64, data: &[u8], chunk: u64) -> Result<()> {
        let f = OpenOptions::new()
            .create(true)
            .truncate(false)
            .read(true)
            .write(true)
            .open(self.path(kind, file))?;
        let end = offset + data.len() as u64;
        let len = f.metadata()?.len();
        let wanted = end.div_ceil(chunk) * chunk;
        if wanted > len {
            f.set_len(wanted)?;
        }
        let mut buf = data.to_vec();
        self.xor(&mut buf, offset);
        f.write_all_at(&buf, offset)?;
        Ok(())
    }

    fn framed(&self, payload_len: usize) -> [u8; 8] {
        let mut h = [0u8; 8];
        h[..4].copy_from_slice(&self.reader.magic);
        h[4..].copy_from_slice(&(payload_len as u32).to_le_bytes());
        h
    }

    /// Appends a block, moving to the next file when this one would reach 128 MiB.
    pub fn append_block(&mut self, block: &Block) -> Result<FilePos> {
        let data = bitcoin::consensus::serialize(block);
        let add = data.len() as u64 + STORAGE_HEADER_BYTES;
        if self.usage.is_empty() {
            self.usage.push(FileUsage::default());
        }
        let mut file = self.usage.len() - 1;
        while self.usage[file].blocks + add >= self.max_file_size {
            file += 1;
            if file == self.usage.len() {
                self.usage.push(FileUsage::default());
            }
        }
        let offset = self.usage[file].blocks;
        let record = [&self.framed(data.len())[..], &data].concat();
        self.write_at("blk", file as u32, offset, &record, BLOCKFILE_CHUNK_SIZE)?;
        self.usage[file].blocks += add;
        Ok(FilePos {
            file: file as u32,
            pos: (offset + STORAGE_HEADER_BYTES) as u32,
        })
    }

    /// Appends undo data for a block stored in file `file`, with its checksum.
    pub fn append_undo(
        &mut self,
        file: u32,
        undo: &BlockUndo,
        prev: &BlockHash,
    ) -> Result<FilePos> {
        let data = undo.serialize();
        let sum = BlockUndo::checksum(&data, prev);
        while self.usage.len() <= file as usize {
            self.usage.push(FileUsage::default());
        }
        let offset = self.usage[file as usize].undo;
        let record = [&self.framed(data.len())[..], &data, &sum].concat();
        self.write_at("rev", file, offset, &record, UNDOFILE_CHUNK_SIZE)?;
        self.usage[file as usize].undo += record.len() as u64;
        Ok(FilePos {
            file,
            pos: (offset + STORAGE_HEADER_BYTES) as u32,
        })
    }

    fn read_record(&self, kind: &str, pos: FilePos, trailer: usize) -> Result<Vec<u8>> {
        self.reader.read_record(kind, pos, trailer)
    }

    /// Reads the block whose data starts at `pos`.
    pub fn read_block(&self, pos: FilePos) -> Result<Block> {
        self.reader.read_block(pos)
    }

    /// Reads undo data at `pos` and checks it against its checksum and the previous block.
    pub fn read_undo(&self, pos: FilePos, prev: &BlockHash) -> Result<BlockUndo> {
        let data = self.read_record("rev", pos, 32)?;
        let (body, sum) = data.split_at(data.len() - 32);
        if BlockUndo::checksum(body, prev)[..] != sum[..] {
            return Err(BlockFilesError::UndoChecksum(pos));
        }
        BlockUndo::deserialize(body).map_err(|e| BlockFilesError::BadUndo(pos, e))
    }

    /// Every block record of file `file`, in order, for `-reindex`; stops at the zero padding.
    pub fn scan_blocks(&self, file: u32) -> Result<Vec<(FilePos, Block)>> {
        let mut bytes = std::fs::read(self.path("blk", file))?;
        self.xor(&mut bytes, 0);
        let mut out = Vec::new();
        let mut at = 0usize;
        while at + 8 <= bytes.len() && bytes[at..at + 4] == self.reader.magic {
            let len =
                u32::from_le_bytes([bytes[at + 4], bytes[at + 5], bytes[at + 6], bytes[at + 7]])
                    as usize;
            let pos = FilePos {
                file,
                pos: (at + 8) as u32,
            };
            let Some(data) = bytes.get(at + 8..at + 8 + len) else {
                break;
            };
            let block = bitcoin::consensus::deserialize(data)
                .map_err(|e| BlockFilesError::BadBlock(pos, e.to_string()))?;
            out.push((pos, block));
            at += 8 + len;
        }
        Ok(out)
    }

    /// After a crash: finds the block records written after the usage this store was opened
    /// with (blocks stored but not yet recorded in the index), extends the usage over them
    /// and returns where they are, with their headers. Records are read one at a time;
    /// a torn record at the end is left to be overwritten.
    pub fn recover_tail(&mut self) -> Result<Vec<RecoveredBlock>> {
        let mut found = Vec::new();
        let mut file = self.usage.len().saturating_sub(1);
        loop {
            let Ok(f) = File::open(self.path("blk", file as u32)) else {
                break;
            };
            let len = f.metadata()?.len();
            if self.usage.len() <= file {
                self.usage.push(FileUsage::default());
            }
            let mut at = self.usage[file].blocks;
            while at + STORAGE_HEADER_BYTES <= len {
                let mut head = [0u8; 8];
                f.read_exact_at(&mut head, at)?;
                self.xor(&mut head, at);
                if head[..4] != self.reader.magic {
                    break;
                }
                let size = u64::from(u32::from_le_bytes([head[4], head[5], head[6], head[7]]));
                let start = at + STORAGE_HEADER_BYTES;
                if start + size > len {
                    break;
                }
                let mut data = vec![0u8; size as usize];
                f.read_exact_at(&mut data, start)?;
                self.xor(&mut data, start);
                let Ok(block) = bitcoin::consensus::deserialize::<Block>(&data) else {
                    break;
                };
                found.push(RecoveredBlock {
                    pos: FilePos {
                        file: file as u32,
                        pos: start as u32,
                    },
                    header: block.header,
                    tx_count: block.txdata.len() as u32,
                });
                at = start + size;
            }
            self.usage[file].blocks = at;
            file += 1;
        }
        Ok(found)
    }

    /// Flushes written data of file `file` to disk.
    pub fn sync(&self, file: u32) -> Result<()> {
        for kind in ["blk", "rev"] {
            if let Ok(f) = File::open(self.path(kind, file)) {
                f.sync_data()?;
            }
        }
        Ok(())
    }
}

/// XORs `data`, which sits at `offset` in its file, with the 8-byte `key`.
fn xor_with(key: &[u8; 8], data: &mut [u8], offset: u64) {
    if *key == [0; 8] {
        return;
    }
    for (i, b) in data.iter_mut().enumerate() {
        *b ^= key[((offset + i as u64) % 8) as usize];
    }
}

/// Reads block records without the write side of [`BlockFiles`]: records are appended and
/// never changed once written, so a reader may run beside the chainstate without its lock.
#[derive(Debug, Clone)]
pub struct BlockReader {
    dir: PathBuf,
    magic: [u8; 4],
    key: [u8; 8],
}

impl BlockReader {
    fn path(&self, kind: &str, file: u32) -> PathBuf {
        self.dir.join(format!("{kind}{file:05}.dat"))
    }

    /// The length of the record whose data starts at `pos`, after checking its magic and
    /// that it fits in the file with `trailer` more bytes.
    fn record_len(&self, f: &File, pos: FilePos, trailer: usize) -> Result<u64> {
        let start = u64::from(pos.pos)
            .checked_sub(STORAGE_HEADER_BYTES)
            .ok_or(BlockFilesError::BadMagic(pos))?;
        let mut header = [0u8; 8];
        f.read_exact_at(&mut header, start)?;
        xor_with(&self.key, &mut header, start);
        if header[..4] != self.magic {
            return Err(BlockFilesError::BadMagic(pos));
        }
        let len = u32::from_le_bytes([header[4], header[5], header[6], header[7]]) as u64;
        // A length beyond the file is corruption, not a reason to allocate it.
        if pos.pos as u64 + len + trailer as u64 > f.metadata()?.len() {
            return Err(BlockFilesError::BadMagic(pos));
        }
        Ok(len)
    }

    fn read_record(&self, kind: &str, pos: FilePos, trailer: usize) -> Result<Vec<u8>> {
        let f = File::open(self.path(kind, pos.file))?;
        let len = self.record_len(&f, pos, trailer)?;
        let mut buf = vec![0u8; len as usize + trailer];
        f.read_exact_at(&mut buf, pos.pos as u64)?;
        xor_with(&self.key, &mut buf, pos.pos as u64);
        Ok(buf)
    }

    /// Reads the block whose data starts at `pos`.
    pub fn read_block(&self, pos: FilePos) -> Result<Block> {
        let data = self.read_record("blk", pos, 0)?;
        bitcoin::consensus::deserialize(&data)
            .map_err(|e| BlockFilesError::BadBlock(pos, e.to_string()))
    }

    /// Reads the header of the block whose data starts at `pos` and the transaction
    /// `tx_offset` bytes after that header (Core's `CDiskTxPos`), without reading the rest
    /// of the block.
    pub fn read_tx(
        &self,
        pos: FilePos,
        tx_offset: u32,
    ) -> Result<(bitcoin::block::Header, bitcoin::Transaction)> {
        use bitcoin::consensus::Decodable;
        const HEADER_BYTES: u64 = 80;
        let f = File::open(self.path("blk", pos.file))?;
        let len = self.record_len(&f, pos, 0)?;
        let tx_start = HEADER_BYTES + u64::from(tx_offset);
        if tx_start >= len {
            return Err(BlockFilesError::BadBlock(
                pos,
                format!("transaction offset {tx_offset} beyond the block"),
            ));
        }
        let bad =
            |e: bitcoin::consensus::encode::Error| BlockFilesError::BadBlock(pos, e.to_string());
        let mut header = [0u8; HEADER_BYTES as usize];
        f.read_exact_at(&mut header, pos.pos as u64)?;
        xor_with(&self.key, &mut header, pos.pos as u64);
        let header: bitcoin::block::Header =
            bitcoin::consensus::deserialize(&header).map_err(bad)?;
        let region = RecordRegion {
            file: &f,
            at: pos.pos as u64 + tx_start,
            end: pos.pos as u64 + len,
            key: self.key,
        };
        let mut stream = bitcoin::io::FromStd::new(std::io::BufReader::new(region));
        let tx = bitcoin::Transaction::consensus_decode(&mut stream).map_err(bad)?;
        Ok((header, tx))
    }
}

/// The unread rest of one record, de-obfuscated as it is read.
struct RecordRegion<'a> {
    file: &'a File,
    at: u64,
    end: u64,
    key: [u8; 8],
}

impl std::io::Read for RecordRegion<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = buf
            .len()
            .min(usize::try_from(self.end - self.at).unwrap_or(usize::MAX));
        if n == 0 {
            return Ok(0);
        }
        let got = self.file.read_at(&mut buf[..n], self.at)?;
        xor_with(&self.key, &mut buf[..got], self.at);
        self.at += got as u64;
        Ok(got)
    }
}

fn random_key() -> std::io::Result<[u8; 8]> {
    common::random::random_bytes::<8>()
}

#[cfg(test)]
mod tests {
    use super::*;
    use bitcoin::hashes::Hash;

    fn temp(name: &str) -> PathBuf {
        let p = std::env::temp_dir().join(format!("blockfiles-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&p);
        p
    }

    #[test]
    fn blocks_and_undo_round_trip_with_xor() {
        let dir = temp("roundtrip");
        let magic = [0xfa, 0xbf, 0xb5, 0xda];
        let mut files = BlockFiles::open(&dir, magic, true, Vec::new()).unwrap();
        assert_ne!(files.xor_key(), [0; 8], "a new directory gets a random key");
        let genesis = bitcoin::constants::genesis_block(bitcoin::Network::Regtest);
        let p1 = files.append_block(&genesis).unwrap();
        let p2 = files.append_block(&genesis).unwrap();
        assert_eq!(p1, FilePos { file: 0, pos: 8 });
        assert_eq!(
            p2.pos as usize,
            8 + bitcoin::consensus::serialize(&genesis).len() + 8
        );
        assert_eq!(files.read_block(p2).unwrap(), genesis);
        let (header, tx) = files.reader().read_tx(p2, 1).unwrap();
        assert_eq!(header, genesis.header);
        assert_eq!(tx, genesis.txdata[0]);
        assert!(matches!(
            files.reader().read_tx(p2, 10_000),
            Err(BlockFilesError::BadBlock(..))
        ));
        // An offset inside the coinbase decodes garbage or runs off the record: an error.
        assert!(files.reader().read_tx(p2, 7).is_err());
        let undo = BlockUndo {
            txs: vec![crate::undo::TxUndo {
                prevouts: vec![crate::Coin {
                    output: genesis.txdata[0].output[0].clone(),
                    height: 7,
                    is_coinbase: true,
                }],
            }],
        };
        let prev = genesis.block_hash();
        let u = files.append_undo(0, &undo, &prev).unwrap();
        assert_eq!(files.read_undo(u, &prev).unwrap(), undo);
        assert!(matches!(
            files.read_undo(u, &BlockHash::from_byte_array([1; 32])),
            Err(BlockFilesError::UndoChecksum(_))
        ));
        assert_eq!(
            std::fs::metadata(dir.join("blk00000.dat")).unwrap().len(),
            BLOCKFILE_CHUNK_SIZE
        );
        assert_eq!(
            std::fs::metadata(dir.join("rev00000.dat")).unwrap().len(),
            UNDOFILE_CHUNK_SIZE
        );
        let scanned = files.scan_blocks(0).unwrap();
        assert_eq!(scanned.len(), 2);
        assert!(matches!(
            files.read_block(FilePos { file: 0, pos: 9 }),
            Err(BlockFilesError::BadMagic(_))
        ));
        // Reopening keeps the key; disabling XOR with a random key stored is refused.
        let usage = files.usage().to_vec();
        let again = BlockFiles::open(&dir, magic, true, usage.clone()).unwrap();
        assert_eq!(again.read_block(p1).unwrap(), genesis);
        assert!(BlockFiles::open(&dir, magic, false, usage).is_err());
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn files_roll_over_before_128_mib() {
        let dir = temp("rollover");
        let mut files = BlockFiles::open(&dir, [1, 2, 3, 4], false, Vec::new()).unwrap();
        files.max_file_size = 1000;
        let genesis = bitcoin::constants::genesis_block(bitcoin::Network::Regtest);
        let positions: Vec<FilePos> = (0..5)
            .map(|_| files.append_block(&genesis).unwrap())
            .collect();
        // 293 bytes each with its header: three fit below 1000, the fourth moves on.
        assert_eq!(
            positions.iter().map(|p| p.file).collect::<Vec<_>>(),
            vec![0, 0, 0, 1, 1]
        );
        assert_eq!(files.read_block(positions[4]).unwrap(), genesis);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
