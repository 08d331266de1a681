//! peers.dat, the address manager on disk (Core's `DumpPeerAddresses`, `LoadAddrman`,
//! `ReadFromStream`): the network magic, the serialized manager, then the SHA256d of both.

use std::fmt;
use std::path::Path;

use bitcoin::hashes::{sha256d, Hash};
use bitcoin::p2p::Magic;

use crate::addrman::{AddrMan, AddrManReadError};
use crate::stream::Reader;

/// Where Core sends bug reports, quoted in its corrupt-file message.
pub const CLIENT_BUGREPORT: &str = "https://github.com/bitcoin/bitcoin/issues";

/// Why peers.dat could not be read.
#[derive(Debug)]
pub enum PeersDatError {
    /// The file does not exist.
    NotFound,
    /// The file could not be read.
    Io(std::io::Error),
    /// The file belongs to another network.
    InvalidMagic,
    /// The trailing checksum does not match.
    ChecksumMismatch,
    /// The manager inside is from a newer version or malformed.
    AddrMan(AddrManReadError),
}

impl fmt::Display for PeersDatError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PeersDatError::NotFound => f.write_str("file not found"),
            PeersDatError::Io(e) => write!(f, "{e}"),
            PeersDatError::InvalidMagic => f.write_str("Invalid network magic number"),
            PeersDatError::ChecksumMismatch => f.write_str("Checksum mismatch, data corrupted"),
            PeersDatError::AddrMan(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for PeersDatError {}

impl From<AddrManReadError> for PeersDatError {
    fn from(e: AddrManReadError) -> Self {
        PeersDatError::AddrMan(e)
    }
}

/// The bytes of peers.dat for `addrman` on the network with `magic`.
pub fn serialize_peers(addrman: &AddrMan, magic: Magic) -> Vec<u8> {
    let mut out = magic.to_bytes().to_vec();
    addrman.serialize(&mut out);
    let hash = sha256d::Hash::hash(&out).to_byte_array();
    out.extend_from_slice(&hash);
    out
}

/// Reads peers.dat bytes into the empty `addrman`. The magic is checked first, the
/// checksum (when `check_sum`) only after the body parsed, in Core's order.
pub fn deserialize_peers(
    data: &[u8],
    magic: Magic,
    addrman: &mut AddrMan,
    check_sum: bool,
) -> Result<(), PeersDatError> {
    let mut r = Reader::new(data);
    let file_magic: [u8; 4] = r.array().map_err(AddrManReadError::from)?;
    if file_magic != magic.to_bytes() {
        return Err(PeersDatError::InvalidMagic);
    }
    addrman.unserialize(&mut r)?;
    if check_sum {
        let end = r.position();
        let stored: [u8; 32] = r.array().map_err(AddrManReadError::from)?;
        if sha256d::Hash::hash(&data[..end]).to_byte_array() != stored {
            return Err(PeersDatError::ChecksumMismatch);
        }
    }
    Ok(())
}

/// Reads a peers.dat image without verifying its checksum (Core's `ReadFromStream`).
pub fn read_from_stream(
    data: &[u8],
    magic: Magic,
    addrman: &mut AddrMan,
) -> Result<(), PeersDatError> {
    deserialize_peers(data, magic, addrman, false)
}

/// Reads the peers.dat at `path` into the empty `addrman`.
pub fn read_peers_file(
    path: &Path,
    magic: Magic,
    addrman: &mut AddrMan,
) -> Result<(), PeersDatError> {
    let data = match std::fs::read(path) {
        Ok(d) => d,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Err(PeersDatError::NotFound),
        Err(e) => return Err(PeersDatError::Io(e)),
    };
    deserialize_peers(&data, magic, addrman, true)
}

/// Writes `addrman` to `path` atomically (temporary `peers.XXXX` beside it, then rename).
pub fn write_peers_file(path: &Path, magic: Magic, addrman: &AddrMan) -> std::io::Result<()> {
    crate::write_atomically(path, "peers", &serialize_peers(addrman, magic))
}

/// What [`load_addrman`] did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LoadOutcome {
    /// peers.dat was read.
    Loaded,
    /// There was no peers.dat; an empty one was written.
    Created,
    /// peers.dat had an unsupported format; it was moved to peers.dat.bak and an empty
    /// one written.
    Recreated,
}

/// Why [`load_addrman`] failed; `Display` gives Core's init error text.
#[derive(Debug)]
pub enum LoadError {
    /// A file with an unsupported format could not be moved aside.
    RenameFailed,
    /// The file is unreadable or corrupt.
    Corrupt {
        /// The underlying failure.
        error: PeersDatError,
        /// The peers.dat path.
        path: std::path::PathBuf,
    },
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LoadError::RenameFailed => {
                f.write_str("Failed to rename invalid peers.dat file. Please move or delete it and try again.")
            }
            LoadError::Corrupt { error, path } => write!(
                f,
                "Invalid or corrupt peers.dat ({error}). If you believe this is a bug, please report it to {CLIENT_BUGREPORT}. As a workaround, you can move the file ({:?}) out of the way (rename, move, or delete) to have a new one created on the next start.",
                path.display().to_string()
            ),
        }
    }
}

impl std::error::Error for LoadError {}

/// Core's `LoadAddrman`: reads `path`, creating it when missing and moving an
/// unsupported-format file to `<path>.bak`. `check_ratio` is `-checkaddrman`;
/// `deterministic` is `-test=addrman`. A failure to write the fresh file is not an error
/// (Core only logs it).
pub fn load_addrman(
    path: &Path,
    magic: Magic,
    deterministic: bool,
    check_ratio: i32,
) -> Result<(AddrMan, LoadOutcome), LoadError> {
    let fresh = || {
        if deterministic {
            AddrMan::new_deterministic(check_ratio)
        } else {
            AddrMan::new(check_ratio)
        }
    };
    let mut addrman = fresh();
    match read_peers_file(path, magic, &mut addrman) {
        Ok(()) => Ok((addrman, LoadOutcome::Loaded)),
        Err(PeersDatError::NotFound) => {
            let addrman = fresh();
            let _ = write_peers_file(path, magic, &addrman);
            Ok((addrman, LoadOutcome::Created))
        }
        Err(PeersDatError::AddrMan(AddrManReadError::UnsupportedFormat { .. })) => {
            let mut bak = path.as_os_str().to_owned();
            bak.push(".bak");
            std::fs::rename(path, &bak).map_err(|_| LoadError::RenameFailed)?;
            let addrman = fresh();
            let _ = write_peers_file(path, magic, &addrman);
            Ok((addrman, LoadOutcome::Recreated))
        }
        Err(error) => Err(LoadError::Corrupt {
            error,
            path: path.to_path_buf(),
        }),
    }
}

#[cfg(test)]
mod tests;
