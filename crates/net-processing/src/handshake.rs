//! The version handshake and the messages negotiated around it (`version`, `verack`,
//! `wtxidrelay`, `sendaddrv2`, `sendcmpct`), pings, and `sendheaders`.

use bitcoin::p2p::address::Address;
use bitcoin::p2p::message::NetworkMessage;
use bitcoin::p2p::message_compact_blocks::SendCmpct;
use bitcoin::p2p::message_network::VersionMessage;
use bitcoin::p2p::ServiceFlags;
use chain::ChainState;
use common::logging::Category;
use common::{log_debug, log_info};
use net::{ConnectionType, NetPermissions, NodeId};
use p2p::constants as pc;

use crate::compact::CMPCTBLOCKS_VERSION;
use crate::process::sanitize;
use crate::txrelay::TxRelay;
use crate::{lock, Inner, PeerManager};

/// Time between automatic pings, microseconds (`PING_INTERVAL`, 2 minutes).
const PING_INTERVAL: i64 = 2 * 60 * 1_000_000;
/// Time without an answer after which a peer is dropped, microseconds
/// (`TIMEOUT_INTERVAL`, 20 minutes).
const TIMEOUT_INTERVAL: i64 = 20 * 60 * 1_000_000;
/// Blocks behind the tip within which pruned peers are still worth connecting to
/// (`NODE_NETWORK_LIMITED_ALLOW_CONN_BLOCKS`).
const NODE_NETWORK_LIMITED_ALLOW_CONN_BLOCKS: i64 = 144;
/// Longest user agent read (`MAX_SUBVERSION_LENGTH`).
const MAX_SUBVERSION_LENGTH: usize = 256;

/// What [`has_all_desirable_service_flags`] depends on: how many block intervals our
/// tip is behind the clock.
#[derive(Clone, Copy)]
pub(crate) struct DesirableContext {
    pub best_block_depth: i64,
}

/// `GetDesirableServiceFlags`.
pub(crate) fn desirable_service_flags(services: u64, cx: DesirableContext) -> u64 {
    if services & pc::NODE_NETWORK_LIMITED != 0
        && cx.best_block_depth < NODE_NETWORK_LIMITED_ALLOW_CONN_BLOCKS
    {
        return pc::NODE_NETWORK_LIMITED | pc::NODE_WITNESS;
    }
    pc::NODE_NETWORK | pc::NODE_WITNESS
}

/// `HasAllDesirableServiceFlags`.
pub(crate) fn has_all_desirable_service_flags(services: u64, cx: DesirableContext) -> bool {
    desirable_service_flags(services, cx) & !services == 0
}

impl PeerManager {
    pub(crate) fn desirable_flags_context(&self) -> DesirableContext {
        let inner = lock(&self.inner);
        let spacing = inner.pow_target_spacing.max(1);
        DesirableContext {
            best_block_depth: (self.now() / 1_000_000 - inner.best_block_time) / spacing,
        }
    }

    /// Whether we refuse transactions from this peer (`RejectIncomingTxs`).
    pub(crate) fn reject_incoming_txs(
        &self,
        conn_type: ConnectionType,
        perms: NetPermissions,
    ) -> bool {
        matches!(
            conn_type,
            ConnectionType::BlockRelay | ConnectionType::Feeler
        ) || (self.opts.ignore_incoming_txs && !perms.has(NetPermissions::RELAY))
    }

    /// `PushNodeVersion`.
    pub(crate) fn push_node_version(&self, inner: &mut Inner, id: NodeId) {
        let best_height = inner.best_height;
        let Some(peer) = inner.peers.get_mut(&id) else {
            return;
        };
        let tx_relay = !self.reject_incoming_txs(peer.conn.conn_type, peer.conn.permissions);
        // Their address goes in only if it is a routable public one.
        let their_addr = if is_routable(&peer.conn.addr) {
            peer.conn.addr
        } else {
            std::net::SocketAddr::from(([0u8; 16], 0))
        };
        let msg = VersionMessage {
            version: pc::PROTOCOL_VERSION as u32,
            services: ServiceFlags::from(peer.our_services),
            timestamp: self.now() / 1_000_000,
            receiver: Address::new(&their_addr, ServiceFlags::NONE),
            sender: Address::new(
                &std::net::SocketAddr::from(([0u8; 16], 0)),
                ServiceFlags::from(peer.our_services),
            ),
            nonce: peer.conn.local_nonce,
            user_agent: self.opts.user_agent.clone(),
            start_height: best_height as i32,
            relay: tx_relay,
        };
        peer.version_sent = true;
        self.send(id, &NetworkMessage::Version(msg));
        let them = if common::logging::log_ips() {
            format!(", them={}", format_addr(&their_addr))
        } else {
            String::new()
        };
        log_debug!(
            Category::Net,
            "send version message: version={}, blocks={}{}, txrelay={}, peer={}",
            pc::PROTOCOL_VERSION,
            best_height,
            them,
            i32::from(tx_relay),
            id
        );
    }

    /// A `version` message.
    pub(crate) fn process_version(
        &self,
        cs: &ChainState,
        inner: &mut Inner,
        id: NodeId,
        v: VersionMessage,
    ) {
        let Some(peer) = inner.peers.get(&id) else {
            return;
        };
        if peer.version != 0 {
            log_debug!(Category::Net, "redundant version message from peer={}", id);
            return;
        }
        let conn = peer.conn.clone();
        let services = v.services.to_u64();
        let expects_services = matches!(
            conn.conn_type,
            ConnectionType::OutboundFullRelay
                | ConnectionType::BlockRelay
                | ConnectionType::AddrFetch
        );
        let cx = DesirableContext {
            best_block_depth: (self.now() / 1_000_000 - inner.best_block_time)
                / inner.pow_target_spacing.max(1),
        };
        if expects_services && !has_all_desirable_service_flags(services, cx) {
            log_debug!(
                Category::Net,
                "peer does not offer the expected services ({:08x} offered, {:08x} expected), {}",
                services,
                desirable_service_flags(services, cx),
                Self::disconnect_msg(&conn)
            );
            self.conns.disconnect(id);
            return;
        }
        let version = v.version as i32;
        if version < pc::MIN_PEER_PROTO_VERSION {
            log_debug!(
                Category::Net,
                "peer using obsolete version {}, {}",
                version,
                Self::disconnect_msg(&conn)
            );
            self.conns.disconnect(id);
            return;
        }
        if conn.conn_type.is_inbound() && !self.conns.check_incoming_nonce(v.nonce) {
            log_info!(
                "connected to self at {}, disconnecting",
                format_addr(&conn.addr)
            );
            self.conns.disconnect(id);
            return;
        }
        if conn.conn_type.is_inbound() {
            self.push_node_version(inner, id);
        }
        let common_version = version.min(pc::PROTOCOL_VERSION);
        let subver: String = sanitize(&truncate(&v.user_agent, MAX_SUBVERSION_LENGTH));
        let reject_txs = self.reject_incoming_txs(conn.conn_type, conn.permissions);
        let Some(peer) = inner.peers.get_mut(&id) else {
            return;
        };
        peer.version = version;
        peer.common_version = common_version;
        peer.their_services = services;
        peer.subver = subver.clone();
        peer.starting_height = v.start_height;
        let mut relays_txs = false;
        if !matches!(
            conn.conn_type,
            ConnectionType::BlockRelay | ConnectionType::Feeler
        ) && (v.relay || peer.our_services & pc::NODE_BLOOM != 0)
        {
            peer.tx_relay = Some(TxRelay::new(v.relay));
            relays_txs = v.relay;
        }
        self.conns.set_peer_services(id, services);
        self.conns.set_relay_facts(
            id,
            relays_txs,
            false,
            has_all_desirable_service_flags(services, cx),
        );
        log_debug!(
            Category::Net,
            "receive version message: {}: version {}, blocks={}, us={}, txrelay={}, {}",
            if subver.is_empty() {
                "<no user agent>"
            } else {
                &subver
            },
            version,
            v.start_height,
            address_text(&v.receiver),
            i32::from(v.relay),
            Self::log_peer(&conn)
        );
        let _ = reject_txs;
        if common_version >= pc::WTXID_RELAY_VERSION {
            self.send(id, &NetworkMessage::WtxidRelay);
        }
        if common_version >= 70016 {
            self.send(id, &NetworkMessage::SendAddrV2);
        }
        // Too many inbound peers relaying transactions: one of the others goes, or this
        // one does.
        if conn.conn_type.is_inbound() && relays_txs && !self.conns.evict_tx_peer_if_full(Some(id))
        {
            log_debug!(
                Category::Net,
                "failed to find a tx-relaying eviction candidate - connection dropped after version message, peer={}",
                id
            );
            self.conns.disconnect(id);
            return;
        }
        self.send(id, &NetworkMessage::Verack);

        let Some(peer) = inner.peers.get_mut(&id) else {
            return;
        };
        peer.preferred_download = (!conn.conn_type.is_inbound()
            || conn.permissions.has(NetPermissions::NOBAN))
            && conn.conn_type != ConnectionType::AddrFetch
            && peer.can_serve_blocks();
        if peer.preferred_download {
            inner.preferred_download_peers += 1;
        }
        if !conn.conn_type.is_inbound() {
            self.outbound_version_done(inner, id, services);
        }
        let Some(peer) = inner.peers.get_mut(&id) else {
            return;
        };
        peer.time_offset = v.timestamp.max(0) - self.now() / 1_000_000;
        self.conns.set_time_offset(id, peer.time_offset);
        if !conn.conn_type.is_inbound() {
            // Only outbound peers feed the clock check, so inbound ones cannot skew it.
            let offset = peer.time_offset;
            inner.outbound_time_offsets.add(offset);
        }
        if let Ok(a) = v.receiver.socket_addr() {
            self.conns.set_addr_local(id, a);
        }
        if conn.conn_type == ConnectionType::Feeler {
            log_debug!(
                Category::Net,
                "feeler connection completed, {}",
                Self::disconnect_msg(&conn)
            );
            self.conns.disconnect(id);
        }
        let _ = cs;
    }

    /// A `verack` message.
    pub(crate) fn process_verack(&self, inner: &mut Inner, id: NodeId) {
        let Some(peer) = inner.peers.get_mut(&id) else {
            return;
        };
        if peer.successfully_connected {
            log_debug!(
                Category::Net,
                "ignoring redundant verack message from peer={}",
                id
            );
            return;
        }
        let protocol = if peer.conn.v2 { "v2" } else { "v1" };
        let line = format!(
            "New {} peer connected: transport: {}, version: {}, {}",
            peer.conn.conn_type.as_str(),
            protocol,
            peer.version,
            Self::log_peer(&peer.conn)
        );
        if peer.is_inbound() {
            log_debug!(Category::Net, "{}", line);
        } else {
            log_info!("{}", line);
        }
        if peer.common_version >= pc::SHORT_IDS_BLOCKS_VERSION {
            // We serve version-2 compact blocks but do not ask for high-bandwidth mode.
            self.send(
                id,
                &NetworkMessage::SendCmpct(SendCmpct {
                    send_compact: false,
                    version: CMPCTBLOCKS_VERSION,
                }),
            );
        }
        let preferred = peer.preferred_download;
        let relay_perm = peer.has_permission(NetPermissions::RELAY);
        let wtxid = peer.wtxid_relay;
        peer.successfully_connected = true;
        // `fSuccessfullyConnected` on the connection: the inactivity check and
        // getpeerinfo go by it.
        self.conns
            .set_handshake_done(id, peer.version, &peer.subver);
        inner.tx.connected_peer(
            id,
            crate::txdownload::ConnectionInfo {
                preferred,
                relay_permission: relay_perm,
                wtxid_relay: wtxid,
            },
        );
    }

    /// A `sendcmpct` message; `announce` is its first byte as sent.
    pub(crate) fn process_sendcmpct(
        &self,
        inner: &mut Inner,
        id: NodeId,
        s: SendCmpct,
        announce: u8,
    ) {
        // BIP152: the announce field is a boolean, 0 or 1, and anything else misbehaves.
        if announce > 1 {
            self.misbehaving(inner, id, "invalid sendcmpct announce field");
            return;
        }
        if s.version != CMPCTBLOCKS_VERSION {
            return;
        }
        if let Some(p) = inner.peers.get_mut(&id) {
            p.provides_cmpctblocks = true;
            p.requested_hb_cmpctblocks = s.send_compact;
            self.conns
                .set_bip152_high_bandwidth(id, p.hb_to, s.send_compact);
        }
    }

    /// A `wtxidrelay` message (BIP339): only between `version` and `verack`.
    pub(crate) fn process_wtxidrelay(&self, inner: &mut Inner, id: NodeId) {
        let Some(p) = inner.peers.get_mut(&id) else {
            return;
        };
        if p.successfully_connected {
            log_debug!(
                Category::Net,
                "wtxidrelay received after verack, {}",
                Self::disconnect_msg(&p.conn)
            );
            self.conns.disconnect(id);
            return;
        }
        if p.common_version >= pc::WTXID_RELAY_VERSION {
            if !p.wtxid_relay {
                p.wtxid_relay = true;
            } else {
                log_debug!(
                    Category::Net,
                    "ignoring duplicate wtxidrelay from peer={}",
                    id
                );
            }
        } else {
            log_debug!(
                Category::Net,
                "ignoring wtxidrelay due to old common version={} from peer={}",
                p.common_version,
                id
            );
        }
    }

    /// A `sendaddrv2` message (BIP155): only between `version` and `verack`.
    pub(crate) fn process_sendaddrv2(&self, inner: &mut Inner, id: NodeId) {
        let Some(p) = inner.peers.get_mut(&id) else {
            return;
        };
        if p.successfully_connected {
            log_debug!(
                Category::Net,
                "sendaddrv2 received after verack, {}",
                Self::disconnect_msg(&p.conn)
            );
            self.conns.disconnect(id);
            return;
        }
        p.wants_addrv2 = true;
    }

    /// A `pong` message (`ProcessPong`); `nonce` is `None` for a payload shorter than
    /// eight bytes.
    pub(crate) fn process_pong(
        &self,
        inner: &mut Inner,
        id: NodeId,
        nonce: Option<u64>,
        len: usize,
    ) {
        let now = self.now();
        let Some(p) = inner.peers.get_mut(&id) else {
            return;
        };
        let mut finished = false;
        let mut problem = "";
        match nonce {
            Some(n) => {
                if p.ping_nonce_sent != 0 {
                    if n == p.ping_nonce_sent {
                        finished = true;
                        let rtt = now - p.ping_start;
                        if rtt >= 0 {
                            p.last_ping = Some(rtt);
                            p.min_ping = Some(p.min_ping.map_or(rtt, |m| m.min(rtt)));
                            self.conns.set_ping_time(id, rtt);
                        } else {
                            problem = "Timing mishap";
                        }
                    } else {
                        problem = "Nonce mismatch";
                        if n == 0 {
                            finished = true;
                            problem = "Nonce zero";
                        }
                    }
                } else {
                    problem = "Unsolicited pong without ping";
                }
            }
            None => {
                finished = true;
                problem = "Short payload";
            }
        }
        if !problem.is_empty() {
            log_debug!(
                Category::Net,
                "pong peer={}: {}, {:x} expected, {:x} received, {} bytes",
                id,
                problem,
                p.ping_nonce_sent,
                nonce.unwrap_or(0),
                len
            );
        }
        if finished {
            p.ping_nonce_sent = 0;
        }
    }

    /// `MaybeSendPing`. True if the peer timed out and is being disconnected.
    pub(crate) fn maybe_send_ping(&self, inner: &mut Inner, id: NodeId) -> bool {
        let now = self.now();
        let nonce = loop {
            let n = self.next_random();
            if n != 0 {
                break n;
            }
        };
        let Some(p) = inner.peers.get_mut(&id) else {
            return false;
        };
        let inactivity_checks =
            p.conn.connected * 1_000_000 + self.opts.peer_timeout * 1_000_000 < now;
        if inactivity_checks && p.ping_nonce_sent != 0 && now > p.ping_start + TIMEOUT_INTERVAL {
            log_debug!(
                Category::Net,
                "ping timeout: {:.6}s, {}",
                (now - p.ping_start) as f64 / 1e6,
                Self::disconnect_msg(&p.conn)
            );
            self.conns.disconnect(id);
            return true;
        }
        let send = p.ping_queued || (p.ping_nonce_sent == 0 && now > p.ping_start + PING_INTERVAL);
        if send {
            p.ping_queued = false;
            p.ping_start = now;
            p.ping_nonce_sent = nonce;
            self.send(id, &NetworkMessage::Ping(nonce));
        }
        false
    }

    /// `MaybeSendSendHeaders`: once the peer has shown a chain with enough work.
    pub(crate) fn maybe_send_sendheaders(&self, cs: &ChainState, inner: &mut Inner, id: NodeId) {
        let Some(p) = inner.peers.get_mut(&id) else {
            return;
        };
        if p.sent_sendheaders || p.common_version < pc::SENDHEADERS_VERSION {
            return;
        }
        let Some(best) = p.best_known else {
            return;
        };
        let work = cs.index().entry(best).chain_work.to_be_bytes();
        if work > self.minimum_chain_work(cs) {
            self.send(id, &NetworkMessage::SendHeaders);
            p.sent_sendheaders = true;
        }
    }

    /// Asks for a ping to every peer at the next send (the `ping` command).
    pub fn send_pings(&self) {
        let mut inner = lock(&self.inner);
        for p in inner.peers.values_mut() {
            p.ping_queued = true;
        }
        drop(inner);
        self.conns.wake_message_handler();
    }

    pub(crate) fn next_random(&self) -> u64 {
        lock(&self.rng).next_u64()
    }

    /// The minimum chain work, big-endian (`MinimumChainWork`).
    pub(crate) fn minimum_chain_work(&self, cs: &ChainState) -> [u8; 32] {
        cs.params().minimum_chain_work
    }
}

/// Whether an address is publicly routable (`IsRoutable` for IP addresses).
fn is_routable(addr: &std::net::SocketAddr) -> bool {
    match addr.ip() {
        std::net::IpAddr::V4(a) => {
            !(a.is_private()
                || a.is_loopback()
                || a.is_link_local()
                || a.is_unspecified()
                || a.is_broadcast()
                || a.is_documentation()
                || a.octets()[0] == 0
                || (a.octets()[0] == 100 && (a.octets()[1] & 0xc0) == 64)
                || (a.octets()[0] == 198 && (a.octets()[1] & 0xfe) == 18))
        }
        std::net::IpAddr::V6(a) => {
            let s = a.segments();
            !(a.is_loopback()
                || a.is_unspecified()
                || (s[0] & 0xfe00) == 0xfc00
                || (s[0] & 0xffc0) == 0xfe80
                || (s[0] == 0x2001 && s[1] == 0x0db8))
        }
    }
}

/// Core's `ToStringAddrPort` for IP addresses.
pub(crate) fn format_addr(addr: &std::net::SocketAddr) -> String {
    match addr {
        std::net::SocketAddr::V4(a) => format!("{}:{}", a.ip(), a.port()),
        std::net::SocketAddr::V6(a) => match a.ip().to_ipv4_mapped() {
            Some(v4) => format!("{}:{}", v4, a.port()),
            None => format!("[{}]:{}", a.ip(), a.port()),
        },
    }
}

/// The text of a `version` message's address field.
fn address_text(a: &Address) -> String {
    match a.socket_addr() {
        Ok(s) => format_addr(&s),
        Err(_) => "[::]:0".into(),
    }
}

fn truncate(s: &str, max: usize) -> String {
    s.chars().take(max).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn desirable_flags_follow_the_tip_depth() {
        let near = DesirableContext {
            best_block_depth: 10,
        };
        let far = DesirableContext {
            best_block_depth: 1000,
        };
        let limited = pc::NODE_NETWORK_LIMITED | pc::NODE_WITNESS;
        assert!(has_all_desirable_service_flags(limited, near));
        assert!(!has_all_desirable_service_flags(limited, far));
        assert!(has_all_desirable_service_flags(
            pc::NODE_NETWORK | pc::NODE_WITNESS,
            far
        ));
        assert!(!has_all_desirable_service_flags(pc::NODE_NETWORK, far));
    }

    #[test]
    fn addresses_print_as_core_prints_them() {
        assert_eq!(
            format_addr(&"127.0.0.1:18444".parse().unwrap()),
            "127.0.0.1:18444"
        );
        assert_eq!(format_addr(&"[::1]:8333".parse().unwrap()), "[::1]:8333");
        assert_eq!(
            format_addr(&"[::ffff:1.2.3.4]:1".parse().unwrap()),
            "1.2.3.4:1"
        );
        assert!(!is_routable(&"127.0.0.1:1".parse().unwrap()));
        assert!(is_routable(&"8.8.8.8:1".parse().unwrap()));
    }
}
