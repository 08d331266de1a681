//! anchors.dat, the block-relay-only peers kept across a clean restart (Core's
//! `DumpAnchors` / `ReadAnchors`): the network magic, a vector of addresses in the
//! BIP155 disk form, then the SHA256d of both.
//!
//! The file is read once at start and removed, so a crash after start never reconnects
//! to the same anchors twice; it is written again only at a clean shutdown.

use std::path::Path;

use bitcoin::hashes::{sha256d, Hash};
use bitcoin::p2p::Magic;

use crate::netaddress::Address;
use crate::stream::{write_compact_size, DecodeError, Reader};

/// Where the anchors live in the network's data directory.
pub const ANCHORS_DATABASE_FILENAME: &str = "anchors.dat";

/// The bytes of anchors.dat holding `anchors` for the network with `magic`.
pub fn serialize_anchors(anchors: &[Address], magic: Magic) -> Vec<u8> {
    let mut out = magic.to_bytes().to_vec();
    write_compact_size(&mut out, anchors.len() as u64);
    for a in anchors {
        a.serialize_disk(&mut out, true);
    }
    let hash = sha256d::Hash::hash(&out).to_byte_array();
    out.extend_from_slice(&hash);
    out
}

/// Parses anchors.dat bytes; any damage (magic, length, encoding, checksum) is an error.
pub fn deserialize_anchors(data: &[u8], magic: Magic) -> Result<Vec<Address>, DecodeError> {
    let mut r = Reader::new(data);
    let file_magic: [u8; 4] = r.array()?;
    if file_magic != magic.to_bytes() {
        return Err(DecodeError("Invalid network magic number".into()));
    }
    let count = r.compact_size(true)?;
    let mut anchors = Vec::new();
    for _ in 0..count {
        anchors.push(Address::deserialize_disk(&mut r, true)?);
    }
    let end = r.position();
    let stored: [u8; 32] = r.array()?;
    if sha256d::Hash::hash(&data[..end]).to_byte_array() != stored {
        return Err(DecodeError("Checksum mismatch, data corrupted".into()));
    }
    Ok(anchors)
}

/// Writes `anchors` to `path` atomically, logging Core's timing lines.
pub fn dump_anchors(path: &Path, magic: Magic, anchors: &[Address]) -> std::io::Result<()> {
    let title = format!(
        "Flush {} outbound block-relay-only peer addresses to anchors.dat",
        anchors.len()
    );
    common::log_info!("DumpAnchors: {title} started");
    let start = std::time::Instant::now();
    let result = crate::write_atomically(path, "anchors", &serialize_anchors(anchors, magic));
    common::log_info!(
        "DumpAnchors: {title} completed ({:.2}s)",
        start.elapsed().as_secs_f64()
    );
    result
}

/// Reads and removes the anchors at `path`; a missing or damaged file gives none.
pub fn read_anchors(path: &Path, magic: Magic) -> Vec<Address> {
    let anchors = match std::fs::read(path) {
        Ok(data) => match deserialize_anchors(&data, magic) {
            Ok(a) => {
                common::log_info!("Loaded {} addresses from \"anchors.dat\"", a.len());
                a
            }
            Err(_) => Vec::new(),
        },
        Err(_) => Vec::new(),
    };
    // Removed even when damaged: the next clean shutdown writes a fresh one.
    let _ = std::fs::remove_file(path);
    anchors
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::netaddress::{NetAddr, Service};
    use bitcoin::p2p::ServiceFlags;

    fn sample() -> Vec<Address> {
        vec![
            Address::new(
                Service::new(NetAddr::from_ipv4([127, 0, 0, 1].into()), 18444),
                ServiceFlags::NETWORK | ServiceFlags::WITNESS,
                1_700_000_000,
            ),
            Address::new(
                Service::new(NetAddr::onion([7; 32]), 8333),
                ServiceFlags::NONE,
                1_700_000_001,
            ),
        ]
    }

    #[test]
    fn round_trip_and_layout() {
        let magic = Magic::REGTEST;
        let bytes = serialize_anchors(&sample(), magic);
        assert_eq!(&bytes[..4], &magic.to_bytes());
        assert_eq!(bytes[4], 2);
        // The services byte of the first entry sits after magic, count, version, time.
        assert_eq!(bytes[4 + 1 + 4 + 4], 0x09);
        assert_eq!(deserialize_anchors(&bytes, magic).unwrap(), sample());
    }

    #[test]
    fn damage_is_an_error() {
        let magic = Magic::REGTEST;
        let bytes = serialize_anchors(&sample(), magic);
        let mut inserted = bytes.clone();
        inserted.insert(20, b'1');
        assert!(deserialize_anchors(&inserted, magic).is_err());
        let mut flipped = bytes.clone();
        let last = flipped.len() - 1;
        flipped[last] ^= 1;
        assert!(deserialize_anchors(&flipped, magic).is_err());
        assert!(deserialize_anchors(&bytes, Magic::BITCOIN).is_err());
        assert!(deserialize_anchors(&bytes[..10], magic).is_err());
    }

    #[test]
    fn read_removes_the_file() {
        let dir = std::env::temp_dir().join(format!("anchors-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(ANCHORS_DATABASE_FILENAME);
        dump_anchors(&path, Magic::REGTEST, &sample()).unwrap();
        assert_eq!(read_anchors(&path, Magic::REGTEST), sample());
        assert!(!path.exists());
        std::fs::write(&path, b"garbage").unwrap();
        assert!(read_anchors(&path, Magic::REGTEST).is_empty());
        assert!(!path.exists());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
