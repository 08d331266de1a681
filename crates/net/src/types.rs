//! The facts of a connection that both sides of the connection manager share.

use std::net::SocketAddr;

/// A connection's id, unique for the life of the process (Core's `NodeId`).
pub type NodeId = i64;

/// Why a connection exists (Core's `ConnectionType`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ConnectionType {
    /// Opened by the peer.
    Inbound,
    /// An automatic outbound connection relaying blocks, transactions and addresses.
    OutboundFullRelay,
    /// Opened by `-connect`, `-addnode` or the `addnode` command.
    Manual,
    /// A short-lived connection to test that an address is reachable.
    Feeler,
    /// An automatic outbound connection relaying blocks only.
    BlockRelay,
    /// A short-lived connection to learn addresses.
    AddrFetch,
}

impl ConnectionType {
    /// The name `getpeerinfo` shows (`ConnectionTypeAsString`).
    pub fn as_str(self) -> &'static str {
        match self {
            ConnectionType::Inbound => "inbound",
            ConnectionType::OutboundFullRelay => "outbound-full-relay",
            ConnectionType::Manual => "manual",
            ConnectionType::Feeler => "feeler",
            ConnectionType::BlockRelay => "block-relay-only",
            ConnectionType::AddrFetch => "addr-fetch",
        }
    }

    /// Whether this is a connection the peer opened.
    pub fn is_inbound(self) -> bool {
        self == ConnectionType::Inbound
    }

    /// Whether this connection relays addresses (`IsAddrFetchConn` / full relay).
    pub fn relays_addresses(self) -> bool {
        !matches!(self, ConnectionType::BlockRelay)
    }

    /// Whether transactions are relayed on this connection by its type
    /// (`IsBlockOnlyConn` is the exception).
    pub fn relays_transactions(self) -> bool {
        !matches!(self, ConnectionType::BlockRelay | ConnectionType::Feeler)
    }
}

/// Permission flags of a connection (`NetPermissionFlags`), from `-whitelist` /
/// `-whitebind`, as bits.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct NetPermissions(pub u32);

impl NetPermissions {
    /// `bloomfilter`: may use BIP37.
    pub const BLOOMFILTER: u32 = 1 << 1;
    /// `relay`: transactions are relayed even in `-blocksonly`.
    pub const RELAY: u32 = 1 << 3;
    /// `forcerelay`: transactions are relayed even if already in the pool.
    pub const FORCERELAY: u32 = (1 << 2) | Self::RELAY;
    /// `download`: may download even past `-maxuploadtarget`.
    pub const DOWNLOAD: u32 = 1 << 6;
    /// `noban`: never banned or discouraged.
    pub const NOBAN: u32 = (1 << 4) | Self::DOWNLOAD;
    /// `mempool`: may ask for the pool with `mempool`.
    pub const MEMPOOL: u32 = 1 << 5;
    /// `addr`: our addresses are not held back from it.
    pub const ADDR: u32 = 1 << 7;
    /// Set on a connection we made ourselves by `-addnode` etc (`Implicit`).
    pub const IMPLICIT: u32 = 1 << 31;
    /// `all`: every permission above (but not `Implicit`).
    pub const ALL: u32 = Self::BLOOMFILTER
        | Self::FORCERELAY
        | Self::RELAY
        | Self::NOBAN
        | Self::MEMPOOL
        | Self::DOWNLOAD
        | Self::ADDR;

    /// Adds `flags`.
    pub fn add(&mut self, flags: u32) {
        self.0 |= flags;
    }

    /// Clears `flags`.
    pub fn clear(&mut self, flags: u32) {
        self.0 &= !flags;
    }

    /// Whether all of `flags` are set.
    pub fn has(self, flags: u32) -> bool {
        self.0 & flags == flags
    }

    /// The names `getpeerinfo` lists (`NetPermissions::ToStrings`), in Core's order.
    pub fn names(self) -> Vec<&'static str> {
        let mut v = Vec::new();
        if self.has(Self::BLOOMFILTER) {
            v.push("bloomfilter");
        }
        if self.has(Self::NOBAN) {
            v.push("noban");
        }
        if self.has(Self::FORCERELAY) {
            v.push("forcerelay");
        }
        if self.has(Self::RELAY) {
            v.push("relay");
        }
        if self.has(Self::MEMPOOL) {
            v.push("mempool");
        }
        if self.has(Self::DOWNLOAD) {
            v.push("download");
        }
        if self.has(Self::ADDR) {
            v.push("addr");
        }
        v
    }
}

/// The fixed facts of a connection, known when it opens.
#[derive(Clone, Debug)]
pub struct PeerConn {
    /// The connection's id.
    pub id: NodeId,
    /// The peer's address.
    pub addr: SocketAddr,
    /// Our end of the connection.
    pub addr_bind: Option<SocketAddr>,
    /// The name it was opened by (`-addnode` name, or the address text).
    pub addr_name: String,
    /// Why the connection exists.
    pub conn_type: ConnectionType,
    /// Its permissions.
    pub permissions: NetPermissions,
    /// The nonce our `version` carries, for detecting connections to ourselves.
    pub local_nonce: u64,
    /// When it connected, in seconds since the epoch.
    pub connected: i64,
    /// Whether it speaks the v2 (BIP324) transport.
    pub v2: bool,
}

/// Which connections a count or a `-whitelist` entry covers (`ConnectionDirection`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ConnectionDirection {
    /// Connections the peer opened.
    In,
    /// Connections we opened.
    Out,
    /// All connections.
    Both,
}

impl ConnectionDirection {
    /// Whether a connection of this inbound-ness is covered.
    pub fn covers(self, inbound: bool) -> bool {
        match self {
            ConnectionDirection::In => inbound,
            ConnectionDirection::Out => !inbound,
            ConnectionDirection::Both => true,
        }
    }
}

pub use crate::transport::ReceivedMessage;
