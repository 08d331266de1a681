//! Peer addresses and what the node remembers about them, as Bitcoin Core keeps them:
//!
//! * [`netaddress`]: network addresses of every kind Core knows (IPv4, IPv6, Tor v3,
//!   I2P, CJDNS and the internal name placeholders), their classification, string forms
//!   and wire encodings (Core's `CNetAddr`, `CService`, `CSubNet`);
//! * [`netbase`]: parsing of numeric host names, `host:port` strings and subnets
//!   (Core's `LookupHost`, `Lookup`, `LookupSubNet`), with DNS left to a caller-supplied
//!   resolver;
//! * [`addrman`]: the address manager with its new and tried tables (Core's `AddrMan`);
//! * [`peers`]: `peers.dat`, the address manager on disk;
//! * [`anchors`]: `anchors.dat`, the block-relay-only peers kept over a restart;
//! * [`banman`]: bans by subnet, the discouragement filter and `banlist.json`.
//!
//! Nothing here opens sockets; the only I/O is reading and writing the two files through
//! functions that take their paths.

pub mod addrman;
pub mod anchors;
pub mod banman;
mod base32;
pub mod netaddress;
pub mod netbase;
pub mod netgroup;
pub mod peers;
mod rng;
mod sha3;
pub mod stream;

pub use addrman::{AddrInfo, AddrMan, AddressPosition};
pub use banman::{BanEntry, BanMan};
pub use netaddress::{Address, NetAddr, Network, Service, SubNet};

/// Replaces `path` with `data` the way Core does: write a temporary file beside it, flush
/// it to disk, then rename it over the target, so a crash never leaves a half-written file.
pub(crate) fn write_atomically(
    path: &std::path::Path,
    prefix: &str,
    data: &[u8],
) -> std::io::Result<()> {
    use std::io::Write;
    let tag = u16::from_le_bytes(common::random::random_bytes::<2>().unwrap_or([0, 0]));
    let dir = path.parent().unwrap_or_else(|| std::path::Path::new("."));
    let tmp = dir.join(format!("{prefix}.{tag:04x}"));
    let result = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(data)?;
        f.sync_all()?;
        drop(f);
        std::fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}
