//! Connections to peers, Core's `CConnman`: listening sockets, outbound connections,
//! per-connection transports and byte counters, and the message-handler thread that
//! calls the peer logic ([`NetEvents`], implemented by `net-processing`).
//!
//! The peer logic sees connections only through [`Connections`], so it can be driven in
//! tests without sockets.

mod connman;
pub mod eviction;
mod listen;
pub mod local;
pub mod netaddr;
mod node;
pub mod options;
pub mod outbound;
pub mod permissions;
pub mod proxy;
mod socket;
pub mod socks5;
mod sync;
mod threads;
pub mod transport;
pub mod types;

use std::net::SocketAddr;

pub use connman::{wait_until, AddedNodeInfo, AddedNodeParams, Connman, StartError};
pub use node::{NodeStats, ALL_NET_MESSAGE_TYPES, MSG_TYPE_OTHER};
pub use options::{BanCheck, ConnmanOptions, NetParams};
pub use types::{
    ConnectionDirection, ConnectionType, NetPermissions, NodeId, PeerConn, ReceivedMessage,
};

/// What the connection manager offers the peer logic (the parts of Core's `CConnman`
/// that `PeerManagerImpl` calls).
pub trait Connections: Send + Sync {
    /// Queues `payload` as message `command` to `peer` (`PushMessage`); a no-op for a
    /// peer that is gone or disconnecting.
    fn push_message(&self, peer: NodeId, command: &str, payload: Vec<u8>);
    /// Takes the next complete message received from `peer`, and whether more wait
    /// (`CNode::PollMessage`).
    fn poll_message(&self, peer: NodeId) -> Option<(ReceivedMessage, bool)>;
    /// Marks `peer` for disconnection (`fDisconnect`); the socket side closes it.
    fn disconnect(&self, peer: NodeId);
    /// Whether `peer` is marked for disconnection or gone.
    fn is_disconnecting(&self, peer: NodeId) -> bool;
    /// Whether `peer`'s send buffer is over its limit (`fPauseSend`): the peer logic
    /// stops answering its requests until it drains.
    fn send_paused(&self, peer: NodeId) -> bool;
    /// The fixed facts of `peer`'s connection, while it is connected.
    fn conn(&self, peer: NodeId) -> Option<PeerConn>;
    /// The connected peers, in connection order.
    fn peer_ids(&self) -> Vec<NodeId>;
    /// Whether `nonce` is not one of our own outbound `version` nonces: false means we
    /// connected to ourselves (`CheckIncomingNonce`).
    fn check_incoming_nonce(&self, nonce: u64) -> bool;
    /// Sets the services `peer` offers, once its `version` is read.
    fn set_peer_services(&self, peer: NodeId, services: u64);
    /// Records that `peer` completed the handshake (`fSuccessfullyConnected`), with its
    /// version, user agent and whether we relay transactions to it.
    fn set_handshake_done(&self, peer: NodeId, version: i32, subver: &str);
    /// Whether an extra full-relay outbound peer is being sought because the tip looks
    /// stale (`GetTryNewOutboundPeer`).
    fn try_new_outbound_peer(&self) -> bool;
    /// Asks for (or stops asking for) one full-relay outbound peer beyond the limit
    /// (`SetTryNewOutboundPeer`).
    fn set_try_new_outbound_peer(&self, _flag: bool) {}
    /// Starts the periodic extra block-relay-only peers, once the chain is synced
    /// (`StartExtraBlockRelayPeers`).
    fn start_extra_block_relay_peers(&self) {}
    /// Makes room for one more transaction-relaying inbound peer if they are over their
    /// share (`-inboundrelaypercent`) by evicting one other than `protect`; false when
    /// none could go (`EvictTxPeerIfFull`).
    fn evict_tx_peer_if_full(&self, _protect: Option<NodeId>) -> bool {
        true
    }
    /// The address of ours to advertise to `peer`, if any is routable
    /// (`GetLocalAddrForPeer`).
    fn local_addr_for_peer(&self, _peer: NodeId) -> Option<addrman::Service> {
        None
    }
    /// Whether peers on `net` can be reached (`g_reachable_nets.Contains`): addresses
    /// elsewhere are relayed but not stored.
    fn is_reachable(&self, _net: addrman::Network) -> bool {
        true
    }
    /// Whether automatic outbound connections are made (no `-connect`;
    /// `GetUseAddrmanOutgoing`).
    fn use_addrman_outgoing(&self) -> bool {
        false
    }
    /// Full-relay outbound peers beyond the limit (`GetExtraFullOutboundCount`).
    fn extra_full_outbound_count(&self) -> usize {
        0
    }
    /// Block-relay-only peers beyond the limit (`GetExtraBlockRelayCount`).
    fn extra_block_relay_count(&self) -> usize {
        0
    }
    /// The services we offer (`GetLocalServices`).
    fn local_services(&self) -> u64;
    /// Whether networking is active (`setnetworkactive`).
    fn network_active(&self) -> bool;
    /// Discourages `addr` and disconnects every connection from it
    /// (`BanMan::Discourage` then `DisconnectNode(addr)`).
    fn discourage(&self, addr: &SocketAddr);
    /// Wakes the message handler: there is new work (chain events, a ping request).
    fn wake_message_handler(&self);
    /// Whether `addr`'s IP is banned or discouraged (address relay does not store it).
    fn is_banned_or_discouraged(&self, _addr: &SocketAddr) -> bool {
        false
    }

    // The setters below feed `getpeerinfo` and inbound eviction; the defaults ignore
    // them so test doubles need not implement them.

    /// `peer` gave us a new transaction at `time` (seconds; `m_last_tx_time`).
    fn set_last_tx_time(&self, _peer: NodeId, _time: i64) {}
    /// `peer` gave us a new block at `time` (seconds; `m_last_block_time`).
    fn set_last_block_time(&self, _peer: NodeId, _time: i64) {}
    /// `peer`'s clock minus ours, from its `version` (seconds; `m_timeOffset`).
    fn set_time_offset(&self, _peer: NodeId, _offset: i64) {}
    /// A ping round trip to `peer` took `micros` (`m_last_ping_time`, `m_min_ping_time`).
    fn set_ping_time(&self, _peer: NodeId, _micros: i64) {}
    /// Our address as `peer` sees it, from its `version` (`SetAddrLocal`, set once).
    fn set_addr_local(&self, _peer: NodeId, _addr: SocketAddr) {}
    /// Relay facts eviction weighs: whether we relay transactions with `peer`, whether it
    /// loaded a bloom filter, whether it offers all the services we want.
    fn set_relay_facts(
        &self,
        _peer: NodeId,
        _relays_txs: bool,
        _bloom_filter_loaded: bool,
        _has_all_wanted_services: bool,
    ) {
    }
    /// BIP152 high-bandwidth mode to and from `peer` (`getpeerinfo` `bip152_hb_to/from`).
    fn set_bip152_high_bandwidth(&self, _peer: NodeId, _to: bool, _from: bool) {}
}

/// What the message-handler thread calls on the peer logic (Core's
/// `NetEventsInterface`).
pub trait NetEvents: Send + Sync {
    /// A connection was opened (or accepted): set up its state; for an outbound
    /// connection, send our `version` (`InitializeNode`).
    fn initialize_node(&self, conn: &PeerConn);
    /// The connection closed: drop its state (`FinalizeNode`).
    fn finalize_node(&self, peer: NodeId);
    /// Whether a peer offering `services` is worth an outbound connection
    /// (`HasAllDesirableServiceFlags`).
    fn has_all_desirable_service_flags(&self, services: u64) -> bool;
    /// Processes at most one message from `peer`; true if more work waits
    /// (`ProcessMessages`).
    fn process_messages(&self, peer: NodeId) -> bool;
    /// Sends what `peer` is due: pings, headers and inventory announcements, block
    /// requests, timeouts (`SendMessages`).
    fn send_messages(&self, peer: NodeId);
}
