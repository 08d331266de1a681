//! Address relay (`addr`, `addrv2`, `getaddr`): rate-limited intake into the address
//! manager, relay of fresh addresses to two peers, answering `getaddr` once per
//! connection from a cached sample, and the periodic `addr` send (`ProcessAddrs`,
//! `RelayAddress`, `MaybeSendAddr`, `SetupAddressRelay`).

use std::sync::{Arc, Mutex};

use addrman::addrman::AddrMan;
use addrman::netaddress::{Address, NetAddr, Service};
use bitcoin::p2p::address::{AddrV2Message, Address as V1Address};
use bitcoin::p2p::message::NetworkMessage;
use bitcoin::p2p::ServiceFlags;
use common::log_debug;
use common::logging::Category;
use net::{ConnectionType, NetPermissions, NodeId};

use crate::{lock, Inner, PeerManager};

/// Most addresses in one message (`MAX_ADDR_TO_SEND`).
const MAX_ADDR_TO_SEND: usize = 1000;
/// Share of the address manager answered to `getaddr` (`MAX_PCT_ADDR_TO_SEND`).
const MAX_PCT_ADDR_TO_SEND: usize = 23;
/// Addresses processed per second on average (`MAX_ADDR_RATE_PER_SECOND`).
const MAX_ADDR_RATE_PER_SECOND: f64 = 0.1;
/// The token bucket's soft limit (`MAX_ADDR_PROCESSING_TOKEN_BUCKET`).
const MAX_ADDR_PROCESSING_TOKEN_BUCKET: f64 = MAX_ADDR_TO_SEND as f64;
/// Average time between `addr` sends, microseconds (`AVG_ADDRESS_BROADCAST_INTERVAL`).
const AVG_ADDRESS_BROADCAST_INTERVAL: i64 = 30_000_000;
/// Average time between advertisements of our own address, microseconds
/// (`AVG_LOCAL_ADDRESS_BROADCAST_INTERVAL`).
const AVG_LOCAL_ADDRESS_BROADCAST_INTERVAL: i64 = 24 * 60 * 60 * 1_000_000;
/// How long a `getaddr` answer is reused, seconds: 21 hours plus up to 6 (Core's
/// `m_addr_response_caches`).
const ADDR_CACHE_LIFETIME: i64 = 21 * 60 * 60;
/// Addresses a peer is known to have, per peer.
const ADDR_KNOWN_LIMIT: usize = 5000;

/// Per-peer address relay state.
pub(crate) struct AddrRelay {
    /// Addresses it has or was sent (`m_addr_known`).
    pub known: crate::txrelay::RecentSet,
    /// Addresses waiting for the next send (`m_addrs_to_send`).
    pub to_send: Vec<Address>,
    /// We sent it `getaddr` and await the answer (`m_getaddr_sent`).
    pub getaddr_sent: bool,
    /// It sent us `getaddr` already (`m_getaddr_recvd`).
    pub getaddr_recvd: bool,
    /// Rate-limit tokens (`m_addr_token_bucket`).
    pub token_bucket: f64,
    /// When tokens were last added, microseconds.
    pub token_timestamp: i64,
    /// Addresses processed and rate-limited, for `getpeerinfo`.
    pub processed: u64,
    /// Addresses dropped by the rate limit.
    pub rate_limited: u64,
    /// When the next `addr` send is due, microseconds.
    pub next_send: i64,
    /// When we next advertise our own address, microseconds; 0 before the first time
    /// (`m_next_local_addr_send`).
    pub next_local_addr_send: i64,
}

impl AddrRelay {
    fn new(now: i64) -> AddrRelay {
        AddrRelay {
            known: crate::txrelay::RecentSet::new(ADDR_KNOWN_LIMIT),
            to_send: Vec::new(),
            getaddr_sent: false,
            getaddr_recvd: false,
            token_bucket: 1.0,
            token_timestamp: now,
            processed: 0,
            next_local_addr_send: 0,
            rate_limited: 0,
            next_send: 0,
        }
    }
}

/// A cached `getaddr` answer.
pub(crate) struct AddrCache {
    addrs: Vec<Address>,
    expires: i64,
}

fn key(a: &Address) -> [u8; 32] {
    use bitcoin::hashes::{sha256, Hash};
    sha256::Hash::hash(&a.service.get_key()).to_byte_array()
}

/// An address from an `addr` message.
fn from_v1(time: u32, a: &V1Address) -> Address {
    let mut b = [0u8; 16];
    for (i, w) in a.address.iter().enumerate() {
        b[2 * i..2 * i + 2].copy_from_slice(&w.to_be_bytes());
    }
    Address {
        service: Service {
            addr: NetAddr::from_legacy_ipv6(&b),
            port: a.port,
        },
        time: i64::from(time),
        services: a.services,
    }
}

/// An address from an `addrv2` message.
fn from_v2(m: &AddrV2Message) -> Address {
    Address {
        service: Service {
            addr: NetAddr::from_addrv2(&m.addr),
            port: m.port,
        },
        time: i64::from(m.time),
        services: m.services,
    }
}

fn to_v1(a: &Address) -> (u32, V1Address) {
    let b = a.service.addr.serialize_v1();
    let mut words = [0u16; 8];
    for (i, w) in words.iter_mut().enumerate() {
        *w = u16::from_be_bytes([b[2 * i], b[2 * i + 1]]);
    }
    (
        a.time.clamp(0, i64::from(u32::MAX)) as u32,
        V1Address {
            services: a.services,
            address: words,
            port: a.service.port,
        },
    )
}

fn to_v2(a: &Address) -> AddrV2Message {
    AddrV2Message {
        time: a.time.clamp(0, i64::from(u32::MAX)) as u32,
        services: a.services,
        addr: a.service.addr.to_addrv2(),
        port: a.service.port,
    }
}

/// The address manager's view of a connected peer.
pub(crate) use net::outbound::service_of;

impl PeerManager {
    /// Gives the peer logic the address manager (after `peers.dat` is loaded).
    pub fn set_addrman(&self, addrman: Arc<Mutex<AddrMan>>) {
        let _ = self.addrman.set(addrman);
    }

    fn with_addrman<R>(&self, f: impl FnOnce(&mut AddrMan) -> R) -> Option<R> {
        self.addrman.get().map(|a| f(&mut lock(a)))
    }

    fn banned_or_discouraged(&self, a: &NetAddr) -> bool {
        if !a.is_addr_v1_compatible() {
            return false;
        }
        let mut b = [0u8; 16];
        b.copy_from_slice(&a.serialize_v1());
        let ip = std::net::Ipv6Addr::from(b).to_canonical();
        self.conns
            .is_banned_or_discouraged(&std::net::SocketAddr::new(ip, 0))
    }

    /// `SetupAddressRelay`: not with block-relay-only or feeler connections.
    pub(crate) fn setup_address_relay(&self, inner: &mut Inner, id: NodeId) -> bool {
        let now = self.now();
        let Some(p) = inner.peers.get_mut(&id) else {
            return false;
        };
        if matches!(
            p.conn.conn_type,
            ConnectionType::BlockRelay | ConnectionType::Feeler
        ) {
            return false;
        }
        if p.addr_relay.is_none() {
            p.addr_relay = Some(AddrRelay::new(now));
        }
        true
    }

    /// After an outbound handshake's `version`: ask for addresses and mark the address
    /// good in the address manager.
    pub(crate) fn outbound_version_done(&self, inner: &mut Inner, id: NodeId, services: u64) {
        let Some(p) = inner.peers.get(&id) else {
            return;
        };
        let addr = service_of(&p.conn.addr);
        let now_s = self.now() / 1_000_000;
        self.with_addrman(|am| am.set_services(&addr, ServiceFlags::from(services)));
        if self.setup_address_relay(inner, id) {
            self.send(id, &NetworkMessage::GetAddr);
            if let Some(r) = inner.peers.get_mut(&id).and_then(|p| p.addr_relay.as_mut()) {
                r.getaddr_sent = true;
                r.token_bucket += MAX_ADDR_TO_SEND as f64;
            }
        }
        self.with_addrman(|am| am.good(&addr, now_s));
    }

    /// At disconnection: a full outbound peer was reachable (`Connected`).
    pub(crate) fn addr_connected(&self, conn: &net::PeerConn, successfully_connected: bool) {
        if successfully_connected
            && !conn.conn_type.is_inbound()
            && conn.conn_type != ConnectionType::BlockRelay
        {
            let now_s = self.now() / 1_000_000;
            self.with_addrman(|am| am.connected(&service_of(&conn.addr), now_s));
        }
    }

    /// An `addr` or `addrv2` message (`ProcessAddrs`).
    pub(crate) fn process_addrs(
        &self,
        inner: &mut Inner,
        id: NodeId,
        command: &str,
        addrs: Vec<Address>,
    ) {
        if !self.setup_address_relay(inner, id) {
            if let Some(p) = inner.peers.get(&id) {
                log_debug!(
                    Category::Net,
                    "ignoring {} message from {} peer={}",
                    command,
                    p.conn.conn_type.as_str(),
                    id
                );
            }
            return;
        }
        if addrs.len() > MAX_ADDR_TO_SEND {
            self.misbehaving(
                inner,
                id,
                &format!("{command} message size = {}", addrs.len()),
            );
            return;
        }
        let now = self.now();
        let now_s = now / 1_000_000;
        let depth = (now_s - inner.best_block_time) / inner.pow_target_spacing.max(1);
        let mut order: Vec<usize> = (0..addrs.len()).collect();
        {
            // Processed in random order, so the rate limit does not favour a position.
            let mut rng = lock(&self.rng);
            for i in (1..order.len()).rev() {
                let j = (rng.next_u64() % (i as u64 + 1)) as usize;
                order.swap(i, j);
            }
        }
        let Some(p) = inner.peers.get_mut(&id) else {
            return;
        };
        let rate_limited = !p.has_permission(NetPermissions::ADDR);
        let conn_type = p.conn.conn_type;
        let source = service_of(&p.conn.addr).addr;
        let Some(r) = p.addr_relay.as_mut() else {
            return;
        };
        if r.token_bucket < MAX_ADDR_PROCESSING_TOKEN_BUCKET {
            let elapsed = (now - r.token_timestamp).max(0) as f64 / 1e6;
            r.token_bucket = (r.token_bucket + elapsed * MAX_ADDR_RATE_PER_SECOND)
                .min(MAX_ADDR_PROCESSING_TOKEN_BUCKET);
        }
        r.token_timestamp = now;
        let getaddr_sent = r.getaddr_sent;
        let mut ok = Vec::new();
        let mut to_relay = Vec::new();
        let (mut processed, mut limited) = (0u64, 0u64);
        for i in order {
            let mut a = addrs[i].clone();
            if r.token_bucket < 1.0 {
                if rate_limited {
                    limited += 1;
                    continue;
                }
            } else {
                r.token_bucket -= 1.0;
            }
            let services = a.services.to_u64();
            let useful = services
                & (p2p::constants::NODE_NETWORK | p2p::constants::NODE_NETWORK_LIMITED)
                != 0;
            if !useful
                && !crate::handshake::has_all_desirable_service_flags(
                    services,
                    crate::handshake::DesirableContext {
                        best_block_depth: depth,
                    },
                )
            {
                continue;
            }
            if a.time <= 100_000_000 || a.time > now_s + 10 * 60 {
                a.time = now_s - 5 * 24 * 60 * 60;
            }
            r.known.insert(key(&a));
            processed += 1;
            // Addresses on networks we cannot reach are relayed but not kept.
            let reachable = self.conns.is_reachable(a.service.addr.get_network());
            if a.time > now_s - 10 * 60
                && !getaddr_sent
                && addrs.len() <= 10
                && a.service.addr.is_routable()
            {
                to_relay.push((a.clone(), reachable));
            }
            if reachable {
                ok.push(a);
            }
        }
        r.processed += processed;
        r.rate_limited += limited;
        if addrs.len() < MAX_ADDR_TO_SEND {
            r.getaddr_sent = false;
        }
        log_debug!(
            Category::Net,
            "Received addr: {} addresses ({} processed, {} rate-limited) from peer={}",
            addrs.len(),
            processed,
            limited,
            id
        );
        // Banned and discouraged addresses are remembered as known but not stored.
        ok.retain(|a| !self.banned_or_discouraged(&a.service.addr));
        self.with_addrman(|am| am.add(&ok, &source, 2 * 60 * 60));
        for (a, reachable) in to_relay {
            self.relay_address(inner, id, &a, reachable);
        }
        if conn_type == ConnectionType::AddrFetch && addrs.len() > 1 {
            if let Some(p) = inner.peers.get(&id) {
                log_debug!(
                    Category::Net,
                    "addrfetch connection completed, {}",
                    Self::disconnect_msg(&p.conn)
                );
            }
            self.conns.disconnect(id);
        }
    }

    /// `RelayAddress`: to two peers (the same ones for a day, per address); an address
    /// on a network we cannot reach goes to one or two, by a coin flip fixed for the day,
    /// and only if it is relayable at all.
    fn relay_address(&self, inner: &mut Inner, from: NodeId, a: &Address, reachable: bool) {
        use bitcoin::hashes::{sha256, Hash};
        if !reachable && !a.service.addr.is_relayable() {
            return;
        }
        let day = (self.now() / 1_000_000) / (24 * 60 * 60);
        let relay_nodes = if reachable {
            2
        } else {
            let mut data = a.service.get_key();
            data.extend_from_slice(&day.to_le_bytes());
            data.extend_from_slice(&inner.addr_relay_salt);
            1 + usize::from(sha256::Hash::hash(&data).to_byte_array()[0] & 1)
        };
        let mut best: Vec<(u64, NodeId)> = Vec::new();
        for (&pid, p) in inner.peers.iter() {
            if pid == from || p.addr_relay.is_none() || !addr_compatible(p, a) {
                continue;
            }
            let mut data = a.service.get_key();
            data.extend_from_slice(&day.to_le_bytes());
            data.extend_from_slice(&pid.to_le_bytes());
            data.extend_from_slice(&inner.addr_relay_salt);
            let h = sha256::Hash::hash(&data).to_byte_array();
            let mut b = [0u8; 8];
            b.copy_from_slice(&h[..8]);
            best.push((u64::from_le_bytes(b), pid));
        }
        best.sort_unstable_by(|x, y| y.cmp(x));
        for (_, pid) in best.into_iter().take(relay_nodes) {
            if let Some(p) = inner.peers.get_mut(&pid) {
                push_address(p, a, &mut lock(&self.rng));
            }
        }
    }

    /// A `getaddr` message: answered once per inbound connection from the cache.
    pub(crate) fn process_getaddr(&self, inner: &mut Inner, id: NodeId) {
        let Some(p) = inner.peers.get(&id) else {
            return;
        };
        if !p.is_inbound() {
            log_debug!(
                Category::Net,
                "Ignoring \"getaddr\" from {} connection. peer={}",
                p.conn.conn_type.as_str(),
                id
            );
            return;
        }
        if !self.setup_address_relay(inner, id) {
            return;
        }
        let Some(p) = inner.peers.get_mut(&id) else {
            return;
        };
        let Some(r) = p.addr_relay.as_mut() else {
            return;
        };
        if r.getaddr_recvd {
            log_debug!(Category::Net, "Ignoring repeated \"getaddr\". peer={}", id);
            return;
        }
        r.getaddr_recvd = true;
        r.to_send.clear();
        let unsafe_all = p.has_permission(NetPermissions::ADDR);
        let bind_key = p.conn.addr_bind.map(|b| b.to_string()).unwrap_or_default();
        let now_s = self.now() / 1_000_000;
        let addrs = if unsafe_all {
            self.with_addrman(|am| am.get_addr(MAX_ADDR_TO_SEND, MAX_PCT_ADDR_TO_SEND, None, true))
                .unwrap_or_default()
        } else {
            let jitter = (self.next_random() % (6 * 60 * 60)) as i64;
            let cache = inner.addr_caches.entry(bind_key).or_insert(AddrCache {
                addrs: Vec::new(),
                expires: 0,
            });
            if cache.expires < now_s {
                cache.addrs = self
                    .addrman
                    .get()
                    .map(|a| lock(a).get_addr(MAX_ADDR_TO_SEND, MAX_PCT_ADDR_TO_SEND, None, true))
                    .unwrap_or_default();
                cache
                    .addrs
                    .retain(|a| !self.banned_or_discouraged(&a.service.addr));
                cache.expires = now_s + ADDR_CACHE_LIFETIME + jitter;
            }
            cache.addrs.clone()
        };
        let Some(p) = inner.peers.get_mut(&id) else {
            return;
        };
        let mut rng = lock(&self.rng);
        for a in &addrs {
            push_address(p, a, &mut rng);
        }
    }

    /// `MaybeSendAddr`: the queued addresses, about every 30 seconds.
    pub(crate) fn maybe_send_addr(&self, inner: &mut Inner, id: NodeId, ibd: bool) {
        let now = self.now();
        let delay = lock(&self.rng).exp_duration(AVG_ADDRESS_BROADCAST_INTERVAL);
        if !ibd {
            self.maybe_advertise_local(inner, id, now);
        }
        let Some(p) = inner.peers.get_mut(&id) else {
            return;
        };
        let wants_v2 = p.wants_addrv2;
        let Some(r) = p.addr_relay.as_mut() else {
            return;
        };
        if now <= r.next_send {
            return;
        }
        r.next_send = now + delay;
        let mut out = std::mem::take(&mut r.to_send);
        out.truncate(MAX_ADDR_TO_SEND);
        out.retain(|a| {
            let k = key(a);
            let known = r.known.contains(&k);
            if !known {
                r.known.insert(k);
            }
            !known
        });
        if out.is_empty() {
            return;
        }
        let msg = if wants_v2 {
            NetworkMessage::AddrV2(out.iter().map(to_v2).collect())
        } else {
            NetworkMessage::Addr(out.iter().map(to_v1).collect())
        };
        self.send(id, &msg);
    }

    /// Advertises our own address to the peer about once a day: the first time alone
    /// in its own message, so the peer's rate limit cannot drop it, later among the
    /// other addresses (`MaybeSendAddr`'s self-announcement).
    fn maybe_advertise_local(&self, inner: &mut Inner, id: NodeId, now: i64) {
        let next = lock(&self.rng).exp_duration(AVG_LOCAL_ADDRESS_BROADCAST_INTERVAL);
        let due = inner
            .peers
            .get(&id)
            .and_then(|p| p.addr_relay.as_ref())
            .is_some_and(|r| r.next_local_addr_send < now);
        if !due {
            return;
        }
        let local = self.conns.local_addr_for_peer(id);
        let Some(p) = inner.peers.get_mut(&id) else {
            return;
        };
        let Some(r) = p.addr_relay.as_mut() else {
            return;
        };
        let first = r.next_local_addr_send == 0;
        if !first {
            // Let the announcement out even if the peer was told before.
            r.known.clear();
        }
        r.next_local_addr_send = now + next;
        let Some(local) = local else {
            return;
        };
        let a = Address::new(local, ServiceFlags::from(p.our_services), now / 1_000_000);
        if !first {
            push_address(p, &a, &mut lock(&self.rng));
        } else if addr_compatible(p, &a) {
            let msg = if p.wants_addrv2 {
                NetworkMessage::AddrV2(vec![to_v2(&a)])
            } else {
                NetworkMessage::Addr(vec![to_v1(&a)])
            };
            self.send(id, &msg);
        }
    }

    /// Addresses in a received message, in the address manager's form.
    pub(crate) fn addresses_of(msg: &NetworkMessage) -> Vec<Address> {
        match msg {
            NetworkMessage::Addr(v) => v.iter().map(|(t, a)| from_v1(*t, a)).collect(),
            NetworkMessage::AddrV2(v) => v.iter().map(from_v2).collect(),
            _ => Vec::new(),
        }
    }
}

/// Whether a peer can take this address (`IsAddrCompatible`): addrv2 peers take all,
/// others only those with a v1 encoding.
fn addr_compatible(p: &crate::peer::Peer, a: &Address) -> bool {
    p.wants_addrv2 || a.service.addr.is_addr_v1_compatible()
}

/// `PushAddress`: queue for the next send, replacing a random one when full.
fn push_address(p: &mut crate::peer::Peer, a: &Address, rng: &mut crate::rng::Rng) {
    let compatible = addr_compatible(p, a);
    let Some(r) = p.addr_relay.as_mut() else {
        return;
    };
    if !a.service.addr.is_valid() || r.known.contains(&key(a)) || !compatible {
        return;
    }
    if r.to_send.len() >= MAX_ADDR_TO_SEND {
        let i = (rng.next_u64() % r.to_send.len() as u64) as usize;
        r.to_send[i] = a.clone();
    } else {
        r.to_send.push(a.clone());
    }
}
