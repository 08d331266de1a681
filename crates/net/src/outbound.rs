//! Automatic outbound connections drawn from the address manager (Core's
//! `ThreadOpenConnections` without `-connect`), the `dnsseed` thread
//! (`ThreadDNSAddressSeed`), addr-fetch connections (`-seednode`, DNS seeds without a
//! service-bit subdomain; `ProcessAddrFetch`) and the block-relay-only anchors kept in
//! `anchors.dat`.

use std::collections::{HashSet, VecDeque};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use addrman::netaddress::{Address, NetAddr, Network, Service};
use addrman::AddrMan;
use bitcoin::p2p::ServiceFlags;
use common::logging::Category;
use common::{log_debug, log_info};

use crate::connman::Shared;
use crate::options::{MAX_BLOCK_RELAY_ONLY_CONNECTIONS, MAX_OUTBOUND_FULL_RELAY_CONNECTIONS};
use crate::sync::lock;
use crate::threads::{open_network_connection, perform_reconnections, Shuffler, Target};
use crate::types::ConnectionType;

/// Anchors tried at start (`MAX_BLOCK_RELAY_ONLY_ANCHORS`).
pub const MAX_BLOCK_RELAY_ONLY_ANCHORS: usize = 2;
/// Mean time between feeler connections (`FEELER_INTERVAL`).
const FEELER_INTERVAL: Duration = Duration::from_secs(2 * 60);
/// Mean time between extra block-relay-only peers (`EXTRA_BLOCK_RELAY_ONLY_PEER_INTERVAL`).
const EXTRA_BLOCK_RELAY_ONLY_PEER_INTERVAL: Duration = Duration::from_secs(5 * 60);
/// Mean time between extra peers on an unused network (`EXTRA_NETWORK_PEER_INTERVAL`).
const EXTRA_NETWORK_PEER_INTERVAL: Duration = Duration::from_secs(5 * 60);
/// Random wait before a feeler connection, so nodes do not synchronize.
const FEELER_SLEEP_WINDOW: Duration = Duration::from_secs(1);
/// Full outbound peers at which seeding stops (`SEED_OUTBOUND_CONNECTION_THRESHOLD`).
const SEED_OUTBOUND_CONNECTION_THRESHOLD: usize = 2;
/// DNS seeds asked in one round (`DNSSEEDS_TO_QUERY_AT_ONCE`).
const DNSSEEDS_TO_QUERY_AT_ONCE: usize = 3;
/// Wait before asking DNS seeds with few known addresses (`DNSSEEDS_DELAY_FEW_PEERS`).
const DNSSEEDS_DELAY_FEW_PEERS: Duration = Duration::from_secs(11);
/// Wait before asking DNS seeds with many known addresses (`DNSSEEDS_DELAY_MANY_PEERS`).
const DNSSEEDS_DELAY_MANY_PEERS: Duration = Duration::from_secs(5 * 60);
/// Known addresses that count as "many" (`DNSSEEDS_DELAY_PEER_THRESHOLD`).
const DNSSEEDS_DELAY_PEER_THRESHOLD: usize = 1000;
/// How long `-seednode` gets before the DNS seeds are asked.
const SEEDNODE_TIMEOUT: Duration = Duration::from_secs(30);
/// Pause before the next `-seednode` while outbound peers are still too few.
const ADD_NEXT_SEEDNODE: Duration = Duration::from_secs(10);
/// Addresses taken from one DNS seed at most.
const MAX_IPS_PER_SEED: usize = 32;
/// Ports of other well-known services, avoided for automatic connections (`IsBadPort`).
const BAD_PORTS: &[u16] = &[
    1, 7, 9, 11, 13, 15, 17, 19, 20, 21, 22, 23, 25, 37, 42, 43, 53, 69, 77, 79, 87, 95, 101, 102,
    103, 104, 109, 110, 111, 113, 115, 117, 119, 123, 135, 137, 139, 143, 161, 179, 389, 427, 465,
    512, 513, 514, 515, 526, 530, 531, 532, 540, 548, 554, 556, 563, 587, 601, 636, 989, 990, 993,
    995, 1719, 1720, 1723, 2049, 3306, 3389, 3659, 4045, 5060, 5061, 5432, 5900, 6000, 6566, 6665,
    6666, 6667, 6668, 6669, 6697, 10080, 27017,
];

/// The state of automatic connections that the other threads and the peer logic touch.
#[derive(Default)]
pub(crate) struct Outbound {
    /// Block-relay-only peers from the last clean shutdown, tried first.
    pub anchors: Mutex<Vec<Address>>,
    /// Names to connect to once for addresses (`m_addr_fetches`).
    pub addr_fetches: Mutex<VecDeque<String>>,
    /// Set when the tip looks stale: open one full-relay peer beyond the limit.
    pub try_another_outbound_peer: AtomicBool,
    /// Set once the chain is synced: start rotating extra block-relay-only peers.
    pub start_extra_block_relay_peers: AtomicBool,
}

/// Whether `port` belongs to another well-known service (`IsBadPort`).
pub fn is_bad_port(port: u16) -> bool {
    BAD_PORTS.contains(&port)
}

/// The socket address of an address manager entry, for the networks reached directly
/// (IPv4, IPv6 and CJDNS, whose addresses are IPv6).
pub fn socket_addr(service: &Service) -> Option<SocketAddr> {
    let raw = service.addr.raw();
    let ip = match service.addr.net() {
        Network::Ipv4 => {
            let b: [u8; 4] = raw.try_into().ok()?;
            IpAddr::V4(Ipv4Addr::from(b))
        }
        Network::Ipv6 | Network::Cjdns => {
            let b: [u8; 16] = raw.try_into().ok()?;
            IpAddr::V6(Ipv6Addr::from(b))
        }
        _ => return None,
    };
    Some(SocketAddr::new(ip, service.port))
}

/// The address manager's form of a socket address (IPv4-mapped IPv6 becomes IPv4).
pub fn service_of(addr: &SocketAddr) -> Service {
    let net = match addr.ip() {
        IpAddr::V4(a) => NetAddr::from_ipv4(a),
        IpAddr::V6(a) => match a.to_ipv4_mapped() {
            Some(v4) => NetAddr::from_ipv4(v4),
            None => NetAddr::from_ipv6(a, 0),
        },
    };
    Service::new(net, addr.port())
}

/// How an address manager entry is dialled: `Some` socket address for IPv4, IPv6 and
/// CJDNS; `None` for a Tor onion service, reached by name through the Tor proxy;
/// nothing for networks this node cannot reach (I2P, or Tor without a proxy).
fn dial_target(o: &crate::ConnmanOptions, service: &Service) -> Option<Option<SocketAddr>> {
    if service.addr.is_tor() {
        return o
            .proxies
            .proxy_for(Network::Onion)
            .is_some()
            .then_some(None);
    }
    socket_addr(service).map(Some)
}

/// Whether a peer offering `services` may know many addresses (`MayHaveUsefulAddressDB`).
fn may_have_useful_address_db(services: ServiceFlags) -> bool {
    services.has(ServiceFlags::NETWORK) || services.has(ServiceFlags::NETWORK_LIMITED)
}

/// An exponentially distributed wait with mean `mean` (`rand_exp_duration`).
fn rand_exp(rng: &mut Shuffler, mean: Duration) -> Duration {
    // 53 random bits give a uniform value in (0, 1].
    let u = ((rng.next() >> 11) as f64 + 1.0) / (1u64 << 53) as f64;
    mean.mul_f64(-u.ln())
}

fn addrman_of(s: &Shared) -> Option<Arc<Mutex<AddrMan>>> {
    s.opts().addrman.clone()
}

impl Shared {
    /// Full-relay outbound peers that finished the handshake (`GetFullOutboundConnCount`).
    pub(crate) fn full_outbound_conn_count(&self) -> usize {
        lock(&self.nodes)
            .iter()
            .filter(|n| {
                n.conn.conn_type == ConnectionType::OutboundFullRelay
                    && lock(&n.facts).successfully_connected
            })
            .count()
    }

    /// Connected outbound peers of `conn_type` beyond `max`, not counting those on their
    /// way out or still in the handshake (`GetExtraFullOutboundCount`,
    /// `GetExtraBlockRelayCount`).
    pub(crate) fn extra_count(&self, conn_type: ConnectionType, max: usize) -> usize {
        let n = lock(&self.nodes)
            .iter()
            .filter(|n| {
                n.conn.conn_type == conn_type
                    && !n.is_disconnecting()
                    && lock(&n.facts).successfully_connected
            })
            .count();
        n.saturating_sub(max)
    }

    /// The full-relay and block-relay-only limits (`m_max_outbound_full_relay`,
    /// `m_max_outbound_block_relay`).
    pub(crate) fn outbound_limits(&self) -> (usize, usize) {
        let max_conn = self.opts().max_connections;
        let full = MAX_OUTBOUND_FULL_RELAY_CONNECTIONS.min(max_conn);
        let block = MAX_BLOCK_RELAY_ONLY_CONNECTIONS.min(max_conn - full);
        (full, block)
    }

    /// Queues `dest` for a one-off connection that asks for addresses (`AddAddrFetch`).
    pub(crate) fn add_addr_fetch(&self, dest: &str) {
        lock(&self.outbound.addr_fetches).push_back(dest.to_string());
    }

    /// Whether `service` is one of the `addnode` entries (`AddedNodesContain`).
    fn added_nodes_contain(&self, service: &Service) -> bool {
        let (host, host_port) = (service.addr.to_string_addr(), service.to_string_addr_port());
        lock(&self.added_nodes)
            .iter()
            .any(|a| a.added_node == host || a.added_node == host_port)
    }

    /// Reachable networks with no known address (`GetReachableEmptyNetworks`).
    fn reachable_empty_networks(&self, am: &Mutex<AddrMan>) -> Vec<Network> {
        let reachable = self.opts().reachable.clone();
        let mut am = lock(am);
        reachable
            .into_iter()
            .filter(|n| !matches!(n, Network::Unroutable | Network::Internal))
            .filter(|n| am.size(Some(*n), None) == 0)
            .collect()
    }

    /// A reachable network none of our full-relay or manual peers is on, with known
    /// addresses (`MaybePickPreferredNetwork`).
    fn pick_preferred_network(&self, am: &Mutex<AddrMan>, rng: &mut Shuffler) -> Option<Network> {
        let mut nets = [
            Network::Ipv4,
            Network::Ipv6,
            Network::Onion,
            Network::I2p,
            Network::Cjdns,
        ];
        rng.shuffle(&mut nets);
        let reachable = self.opts().reachable.clone();
        let used: HashSet<Network> = lock(&self.nodes)
            .iter()
            .filter(|n| {
                matches!(
                    n.conn.conn_type,
                    ConnectionType::OutboundFullRelay | ConnectionType::Manual
                )
            })
            .map(|n| service_of(&n.conn.addr).addr.get_network())
            .collect();
        let mut am = lock(am);
        nets.into_iter()
            .find(|n| reachable.contains(n) && !used.contains(n) && am.size(Some(*n), None) != 0)
    }
}

/// Takes the next queued addr-fetch target and connects to it if an outbound slot is
/// free (`ProcessAddrFetch`).
fn process_addr_fetch(s: &Shared) {
    let Some(dest) = lock(&s.outbound.addr_fetches).pop_front() else {
        return;
    };
    let sem = s
        .sem_outbound
        .read()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .clone();
    if let Some(grant) = sem.try_acquire() {
        open_network_connection(
            s,
            Target::Dest(dest),
            Some(grant),
            ConnectionType::AddrFetch,
            s.use_v2(),
        );
    }
}

/// Which kind of automatic connection to open next, if any is due.
struct Plan {
    conn_type: ConnectionType,
    anchor: bool,
    feeler: bool,
    preferred_net: Option<Network>,
}

/// The timers of the automatic-connection loop.
struct Timers {
    next_feeler: Instant,
    next_extra_block_relay: Instant,
    next_extra_network_peer: Instant,
}

/// Counts of our outbound peers and the address groups they use.
#[derive(Default)]
struct OutboundView {
    full_relay: usize,
    block_relay: usize,
    privacy_net_peers: usize,
    netgroups: HashSet<Vec<u8>>,
}

fn outbound_view(s: &Shared) -> OutboundView {
    let mut v = OutboundView::default();
    for n in lock(&s.nodes).iter() {
        match n.conn.conn_type {
            ConnectionType::OutboundFullRelay => v.full_relay += 1,
            ConnectionType::BlockRelay => v.block_relay += 1,
            _ => {}
        }
        // Inbound peers are free to make and short-lived ones say nothing about
        // diversity, so only long-lived outbound peers take up a group.
        if matches!(
            n.conn.conn_type,
            ConnectionType::Manual | ConnectionType::OutboundFullRelay | ConnectionType::BlockRelay
        ) {
            let service = service_of(&n.conn.addr);
            if service.addr.is_privacy_net() || service.addr.is_cjdns() {
                v.privacy_net_peers += 1;
            } else {
                v.netgroups
                    .insert(addrman::netgroup::get_group(&service.addr));
            }
        }
    }
    v
}

fn plan_next(
    s: &Shared,
    am: &Mutex<AddrMan>,
    view: &OutboundView,
    timers: &mut Timers,
    rng: &mut Shuffler,
) -> Option<Plan> {
    let (max_full, max_block) = s.outbound_limits();
    let now = Instant::now();
    let plan = |conn_type| Plan {
        conn_type,
        anchor: false,
        feeler: false,
        preferred_net: None,
    };
    if !lock(&s.outbound.anchors).is_empty() && view.block_relay < max_block {
        return Some(Plan {
            anchor: true,
            ..plan(ConnectionType::BlockRelay)
        });
    }
    if view.full_relay < max_full {
        return Some(plan(ConnectionType::OutboundFullRelay));
    }
    if view.block_relay < max_block {
        return Some(plan(ConnectionType::BlockRelay));
    }
    if s.outbound.try_another_outbound_peer.load(Ordering::SeqCst) {
        return Some(plan(ConnectionType::OutboundFullRelay));
    }
    if now > timers.next_extra_block_relay
        && s.outbound
            .start_extra_block_relay_peers
            .load(Ordering::SeqCst)
    {
        // A short-lived extra block-relay-only peer makes eclipsing us harder: it is
        // kept only if it tells us of a block sooner than our other ones.
        timers.next_extra_block_relay = now + rand_exp(rng, EXTRA_BLOCK_RELAY_ONLY_PEER_INTERVAL);
        return Some(plan(ConnectionType::BlockRelay));
    }
    if now > timers.next_feeler {
        timers.next_feeler = now + rand_exp(rng, FEELER_INTERVAL);
        return Some(Plan {
            feeler: true,
            ..plan(ConnectionType::Feeler)
        });
    }
    if view.full_relay == max_full
        && max_full == MAX_OUTBOUND_FULL_RELAY_CONNECTIONS
        && now > timers.next_extra_network_peer
    {
        if let Some(net) = s.pick_preferred_network(am, rng) {
            timers.next_extra_network_peer = now + rand_exp(rng, EXTRA_NETWORK_PEER_INTERVAL);
            return Some(Plan {
                preferred_net: Some(net),
                ..plan(ConnectionType::OutboundFullRelay)
            });
        }
    }
    None
}

/// Picks the address for `plan` (an anchor, a tried-table collision for a feeler, or an
/// address manager draw), skipping addresses Core skips; none after 100 draws.
fn select_address(
    s: &Shared,
    am: &Mutex<AddrMan>,
    plan: &Plan,
    view: &OutboundView,
) -> Option<(Option<SocketAddr>, Address)> {
    let o = s.opts();
    let events = s.events()?;
    let reachable = o.reachable.clone();
    let now = s.now();
    let mut tries = 0;
    while !s.interrupt_net.is_set() {
        if plan.anchor {
            let next = lock(&s.outbound.anchors).pop();
            if let Some(a) = next {
                let group = addrman::netgroup::get_group(&a.service.addr);
                let Some(sock) = dial_target(&o, &a.service) else {
                    continue;
                };
                if !a.service.addr.is_valid()
                    || s.local.contains(&a.service.addr)
                    || !reachable.contains(&a.service.addr.get_network())
                    || !events.has_all_desirable_service_flags(a.services.to_u64())
                    || view.netgroups.contains(&group)
                {
                    continue;
                }
                log_debug!(
                    Category::Net,
                    "Trying to make an anchor connection to {}",
                    a.service.to_string_addr_port()
                );
                return Some((sock, a));
            }
        }
        tries += 1;
        if tries > 100 {
            return None;
        }
        let picked = {
            let mut m = lock(am);
            if plan.feeler {
                match m.select_tried_collision() {
                    Some((a, t)) => {
                        let connected = socket_addr(&a.service).is_some_and(|sa| {
                            lock(&s.nodes).iter().any(|n| n.conn.addr.ip() == sa.ip())
                        });
                        if connected {
                            // Test-before-evict would target a peer we already have:
                            // it is evidently good, and the feeler goes elsewhere.
                            m.good(&a.service, now);
                            m.select(true, &reachable)
                        } else {
                            Some((a, t))
                        }
                    }
                    None => m.select(true, &reachable),
                }
            } else if let Some(net) = plan.preferred_net {
                m.select(false, &[net])
            } else {
                m.select(false, &reachable)
            }
        };
        let (addr, last_try) = picked?;
        let net_addr = &addr.service.addr;
        if !plan.feeler
            && (net_addr.is_ipv4() || net_addr.is_ipv6())
            && view
                .netgroups
                .contains(&addrman::netgroup::get_group(net_addr))
        {
            continue;
        }
        if !net_addr.is_valid() || s.local.contains(net_addr) {
            return None;
        }
        if !reachable.contains(&net_addr.get_network()) {
            continue;
        }
        if now - last_try < 600 && tries < 30 {
            continue;
        }
        let services = addr.services;
        if !plan.feeler && !events.has_all_desirable_service_flags(services.to_u64()) {
            continue;
        }
        if plan.feeler && !may_have_useful_address_db(services) {
            continue;
        }
        if tries < 50
            && (net_addr.is_ipv4() || net_addr.is_ipv6())
            && is_bad_port(addr.service.port)
        {
            continue;
        }
        let Some(sock) = dial_target(&o, &addr.service) else {
            continue;
        };
        if s.added_nodes_contain(&addr.service) {
            log_debug!(
                Category::Net,
                "Not making automatic {}{} connection to {} peer selected for manual (addnode) connection",
                if plan.preferred_net.is_some() { "network-specific " } else { "" },
                plan.conn_type.as_str(),
                net_addr.get_network().name()
            );
            continue;
        }
        return Some((sock, addr));
    }
    None
}

/// Adds the chain's fixed seeds for reachable networks without addresses once a minute
/// has passed, or at once when no other source of addresses is configured.
fn maybe_add_fixed_seeds(s: &Shared, am: &Mutex<AddrMan>, start: Instant, add: &mut bool) {
    let o = s.opts();
    let empty = s.reachable_empty_networks(am);
    if !*add || empty.is_empty() {
        return;
    }
    let now_ok = if start.elapsed() > Duration::from_secs(60) {
        log_info!("Adding fixed seeds as 60 seconds have passed and addrman is empty for at least one reachable network");
        true
    } else if !o.dnsseed && o.seed_nodes.is_empty() && lock(&s.added_nodes).is_empty() {
        log_info!("Adding fixed seeds as -dnsseed=0 (or IPv4/IPv6 connections are disabled via -onlynet) and neither -addnode nor -seednode are provided");
        true
    } else {
        false
    };
    if !now_ok {
        return;
    }
    let seeds: Vec<Address> = o
        .fixed_seed_addrs
        .iter()
        .filter(|a| empty.contains(&a.service.addr.get_network()))
        .cloned()
        .collect();
    if let Some(local) = NetAddr::internal("fixedseeds") {
        lock(am).add(&seeds, &local, 0);
    }
    *add = false;
    log_info!("Added {} fixed seeds from reachable networks.", seeds.len());
}

/// The `opencon` loop without `-connect`: keeps 8 full-relay and 2 block-relay-only
/// peers from the address manager, with anchors first, feelers every 2 minutes on
/// average, extra peers when the tip is stale or a network is unused, and seed nodes
/// when the address manager has too little.
pub(crate) fn thread_open_connections_auto(s: &Arc<Shared>) {
    let Some(am) = addrman_of(s) else {
        return;
    };
    let o = s.opts();
    let mut rng = Shuffler::new();
    let start = Instant::now();
    let mut timers = Timers {
        next_feeler: start + rand_exp(&mut rng, FEELER_INTERVAL),
        next_extra_block_relay: start + rand_exp(&mut rng, EXTRA_BLOCK_RELAY_ONLY_PEER_INTERVAL),
        next_extra_network_peer: start + rand_exp(&mut rng, EXTRA_NETWORK_PEER_INTERVAL),
    };
    let mut add_fixed_seeds = o.fixed_seeds;
    let mut seed_nodes = o.seed_nodes.clone();
    rng.shuffle(&mut seed_nodes);
    let mut seed_node_timer = Instant::now();
    let mut add_addr_fetch = lock(&am).size(None, None) == 0 && !seed_nodes.is_empty();
    if !add_fixed_seeds {
        log_info!("Fixed seeds are disabled");
    }
    while !s.interrupt_net.is_set() {
        if add_addr_fetch {
            add_addr_fetch = false;
            if let Some(seed) = seed_nodes.pop() {
                s.add_addr_fetch(&seed);
                if lock(&am).size(None, None) == 0 {
                    log_info!("Empty addrman, adding seednode ({seed}) to addrfetch");
                } else {
                    log_info!(
                        "Couldn't connect to peers from addrman after {} seconds. Adding seednode ({seed}) to addrfetch",
                        ADD_NEXT_SEEDNODE.as_secs()
                    );
                }
            }
        }
        process_addr_fetch(s);
        if !s.interrupt_net.sleep_for(Duration::from_millis(500)) {
            return;
        }
        perform_reconnections(s);
        let sem = s
            .sem_outbound
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone();
        let Some(grant) = sem.acquire(&s.interrupt_net) else {
            return;
        };
        maybe_add_fixed_seeds(s, &am, start, &mut add_fixed_seeds);
        let view = outbound_view(s);
        if !seed_nodes.is_empty()
            && view.full_relay < SEED_OUTBOUND_CONNECTION_THRESHOLD
            && seed_node_timer.elapsed() > ADD_NEXT_SEEDNODE
        {
            seed_node_timer = Instant::now();
            add_addr_fetch = true;
        }
        let Some(plan) = plan_next(s, &am, &view, &mut timers, &mut rng) else {
            continue;
        };
        lock(&am).resolve_collisions();
        let Some((sock, addr)) = select_address(s, &am, &plan, &view) else {
            continue;
        };
        if plan.feeler {
            let jitter = FEELER_SLEEP_WINDOW.mul_f64((rng.next() % 1000) as f64 / 1000.0);
            if !s.interrupt_net.sleep_for(jitter) {
                return;
            }
            log_debug!(
                Category::Net,
                "Making feeler connection to {}",
                addr.service.to_string_addr_port()
            );
        }
        if let Some(net) = plan.preferred_net {
            log_debug!(
                Category::Net,
                "Making network specific connection to {} on {}.",
                addr.service.to_string_addr_port(),
                net.name()
            );
        }
        // Failures count against an address only while we are evidently online: with
        // peers in at least two groups (or on privacy networks).
        let max_auto = s.opts().max_connections;
        let count_failures =
            view.netgroups.len() + view.privacy_net_peers >= max_auto.saturating_sub(1).min(2);
        let use_v2 =
            addr.services.to_u64() & s.opts().local_services & crate::options::NODE_P2P_V2 != 0;
        let target = match sock {
            Some(sock) => Target::Auto {
                addr: sock,
                time: addr.time,
                count_failure: count_failures,
            },
            None => Target::Dest(addr.service.to_string_addr_port()),
        };
        open_network_connection(s, target, Some(grant), plan.conn_type, use_v2);
    }
}

/// The `dnsseed` thread: gives `-seednode` 30 s, then asks DNS seeds for addresses
/// when the address manager has few, a few seeds at a time (`ThreadDNSAddressSeed`).
pub(crate) fn thread_dns_address_seed(s: Arc<Shared>) {
    let Some(am) = addrman_of(&s) else {
        return;
    };
    let o = s.opts();
    let mut outbound = 0;
    if !o.seed_nodes.is_empty() {
        let start = Instant::now();
        log_info!(
            "-seednode enabled. Trying the provided seeds for {} seconds before defaulting to the dnsseeds.",
            SEEDNODE_TIMEOUT.as_secs()
        );
        while !s.interrupt_net.is_set() {
            if !s.interrupt_net.sleep_for(Duration::from_millis(500)) {
                return;
            }
            if start.elapsed() > SEEDNODE_TIMEOUT {
                log_info!("Couldn't connect to enough peers via seed nodes. Handing fetch logic to the DNS seeds.");
                break;
            }
            outbound = s.full_outbound_conn_count();
            if outbound >= SEED_OUTBOUND_CONNECTION_THRESHOLD {
                log_info!("P2P peers available. Finished fetching data from seed nodes.");
                break;
            }
        }
    }
    let mut rng = Shuffler::new();
    let mut seeds = o.dns_seeds.clone();
    rng.shuffle(&mut seeds);
    let known = lock(&am).size(None, None);
    let mut seeds_right_now = if o.force_dns_seed || known == 0 {
        seeds.len()
    } else {
        0
    };
    if outbound >= SEED_OUTBOUND_CONNECTION_THRESHOLD && seeds_right_now == 0 {
        log_info!("Skipping DNS seeds. Enough peers have been found");
        return;
    }
    let mut found = 0;
    let wait = if known >= DNSSEEDS_DELAY_PEER_THRESHOLD {
        DNSSEEDS_DELAY_MANY_PEERS
    } else {
        DNSSEEDS_DELAY_FEW_PEERS
    };
    for seed in &seeds {
        if seeds_right_now == 0 {
            seeds_right_now += DNSSEEDS_TO_QUERY_AT_ONCE;
            if lock(&am).size(None, None) > 0 {
                log_info!(
                    "Waiting {} seconds before querying DNS seeds.",
                    wait.as_secs()
                );
                let mut left = wait;
                while !left.is_zero() {
                    let w = left.min(DNSSEEDS_DELAY_FEW_PEERS);
                    if !s.interrupt_net.sleep_for(w) {
                        return;
                    }
                    left -= w;
                    if s.full_outbound_conn_count() >= SEED_OUTBOUND_CONNECTION_THRESHOLD {
                        if found > 0 {
                            log_info!("{found} addresses found from DNS seeds");
                            log_info!("P2P peers available. Finished DNS seeding.");
                        } else {
                            log_info!("P2P peers available. Skipped DNS seeding.");
                        }
                        return;
                    }
                }
            }
        }
        if s.interrupt_net.is_set() {
            return;
        }
        if !s.network_active.load(Ordering::SeqCst) {
            log_info!("Waiting for network to be reactivated before querying DNS seeds.");
            while !s.network_active.load(Ordering::SeqCst) {
                if !s.interrupt_net.sleep_for(Duration::from_secs(1)) {
                    return;
                }
            }
        }
        log_info!("Loading addresses from DNS seed {seed}");
        found += query_dns_seed(&s, &am, seed, &mut rng);
        seeds_right_now = seeds_right_now.saturating_sub(1);
    }
    log_info!("{found} addresses found from DNS seeds");
}

/// Asks one DNS seed for peers offering the services we want (the `x9.` subdomain);
/// a seed without that subdomain is connected to once for addresses instead.
fn query_dns_seed(s: &Shared, am: &Mutex<AddrMan>, seed: &str, rng: &mut Shuffler) -> usize {
    let wanted = ServiceFlags::NETWORK | ServiceFlags::WITNESS;
    let host = format!("x{:x}.{seed}", wanted.to_u64());
    let Some(source) = NetAddr::internal(&host) else {
        return 0;
    };
    let port = s.opts().params.default_port;
    let ips: Vec<IpAddr> = crate::netaddr::lookup(&host, port)
        .into_iter()
        .map(|a| a.ip())
        .take(MAX_IPS_PER_SEED)
        .collect();
    if ips.is_empty() {
        s.add_addr_fetch(seed);
        return 0;
    }
    let now = s.now();
    let assumed = wanted | ServiceFlags::from(crate::options::NODE_P2P_V2);
    let addrs: Vec<Address> = ips
        .iter()
        .map(|ip| {
            // Seeds' answers get a random age of three to seven days.
            let age = 3 * 86_400 + (rng.next() % (4 * 86_400)) as i64;
            Address::new(service_of(&SocketAddr::new(*ip, port)), assumed, now - age)
        })
        .collect();
    lock(am).add(&addrs, &source, 0);
    addrs.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_ports() {
        assert!(is_bad_port(22));
        assert!(is_bad_port(6667));
        assert!(!is_bad_port(8333));
        assert!(!is_bad_port(18444));
    }

    #[test]
    fn socket_addresses_of_entries() {
        let v4 = Service::new(NetAddr::from_ipv4(Ipv4Addr::new(1, 2, 3, 4)), 8333);
        assert_eq!(socket_addr(&v4), Some("1.2.3.4:8333".parse().unwrap()));
        assert_eq!(service_of(&"1.2.3.4:8333".parse().unwrap()), v4);
        let mapped: SocketAddr = "[::ffff:1.2.3.4]:8333".parse().unwrap();
        assert_eq!(service_of(&mapped), v4);
        let v6: SocketAddr = "[2001:db8::1]:18444".parse().unwrap();
        assert_eq!(socket_addr(&service_of(&v6)), Some(v6));
        let onion = Service::new(NetAddr::onion([1; 32]), 8333);
        assert_eq!(socket_addr(&onion), None);
    }

    struct AllWanted(bool);

    impl crate::NetEvents for AllWanted {
        fn initialize_node(&self, _conn: &crate::PeerConn) {}
        fn finalize_node(&self, _peer: crate::NodeId) {}
        fn has_all_desirable_service_flags(&self, _services: u64) -> bool {
            self.0
        }
        fn process_messages(&self, _peer: crate::NodeId) -> bool {
            false
        }
        fn send_messages(&self, _peer: crate::NodeId) {}
    }

    /// A stopped manager with `addrs` known, the given reachable networks and peer logic.
    fn manager(addrs: &[&str], reachable: &[Network], wanted: bool) -> crate::Connman {
        let mut am = AddrMan::new_deterministic(0);
        let now = 1_700_000_000;
        am.set_mock_time(Some(now));
        let entries: Vec<Address> = addrs
            .iter()
            .map(|a| {
                let sa: SocketAddr = a.parse().unwrap();
                Address::new(
                    service_of(&sa),
                    ServiceFlags::NETWORK | ServiceFlags::WITNESS,
                    now - 3600,
                )
            })
            .collect();
        let source = NetAddr::from_ipv4(Ipv4Addr::new(5, 6, 7, 8));
        assert!(am.add(&entries, &source, 0));
        let c = crate::Connman::new();
        let opts = crate::ConnmanOptions {
            addrman: Some(Arc::new(Mutex::new(am))),
            reachable: reachable.to_vec(),
            ..crate::ConnmanOptions::default()
        };
        *c.shared.opts.write().unwrap() = Arc::new(opts);
        *c.shared.events.write().unwrap() = Some(Arc::new(AllWanted(wanted)));
        c
    }

    fn plan(conn_type: ConnectionType) -> Plan {
        Plan {
            conn_type,
            anchor: false,
            feeler: false,
            preferred_net: None,
        }
    }

    fn select(c: &crate::Connman, p: &Plan, view: &OutboundView) -> Option<SocketAddr> {
        let am = c.shared.opts().addrman.clone().unwrap();
        select_address(&c.shared, &am, p, view).and_then(|(sa, _)| sa)
    }

    #[test]
    fn selection_follows_core_rules() {
        let all = Network::ALL.to_vec();
        let full = plan(ConnectionType::OutboundFullRelay);
        let view = OutboundView::default();
        let c = manager(&["1.2.3.4:8333"], &all, true);
        assert_eq!(
            select(&c, &full, &view),
            Some("1.2.3.4:8333".parse().unwrap())
        );
        // -onlynet=ipv6 leaves nothing to pick.
        let c6 = manager(&["1.2.3.4:8333"], &[Network::Ipv6], true);
        assert_eq!(select(&c6, &full, &view), None);
        // Peers lacking the services we want are skipped, except by feelers.
        let lacking = manager(&["1.2.3.4:8333"], &all, false);
        assert_eq!(select(&lacking, &full, &view), None);
        // A second peer in an occupied /16 is refused.
        let mut busy = OutboundView::default();
        let group = addrman::netgroup::get_group(&NetAddr::from_ipv4(Ipv4Addr::new(1, 2, 9, 9)));
        busy.netgroups.insert(group);
        assert_eq!(select(&c, &full, &busy), None);
        // Addresses on other services' ports are avoided while other choices remain,
        // and taken only after 50 draws found nothing better.
        let mixed = manager(&["1.2.3.4:22", "5.6.7.8:8333"], &all, true);
        for _ in 0..20 {
            assert_eq!(
                select(&mixed, &full, &view),
                Some("5.6.7.8:8333".parse().unwrap())
            );
        }
        let bad = manager(&["1.2.3.4:22"], &all, true);
        assert_eq!(
            select(&bad, &full, &view),
            Some("1.2.3.4:22".parse().unwrap())
        );
        // An addnode peer is left to the addnode thread.
        c.add_node("1.2.3.4:8333", false);
        assert_eq!(select(&c, &full, &view), None);
    }

    #[test]
    fn anchors_come_first_and_are_checked() {
        let all = Network::ALL.to_vec();
        let c = manager(&["1.2.3.4:8333"], &all, true);
        let anchor = Address::new(
            service_of(&"127.0.0.1:18444".parse().unwrap()),
            ServiceFlags::NETWORK | ServiceFlags::WITNESS,
            0,
        );
        *lock(&c.shared.outbound.anchors) = vec![anchor];
        let am = c.shared.opts().addrman.clone().unwrap();
        let mut rng = Shuffler::new();
        let now = Instant::now();
        let mut timers = Timers {
            next_feeler: now + Duration::from_secs(600),
            next_extra_block_relay: now + Duration::from_secs(600),
            next_extra_network_peer: now + Duration::from_secs(600),
        };
        let view = OutboundView::default();
        let p = plan_next(&c.shared, &am, &view, &mut timers, &mut rng).unwrap();
        assert!(p.anchor);
        assert_eq!(p.conn_type, ConnectionType::BlockRelay);
        assert_eq!(
            select(&c, &p, &view),
            Some("127.0.0.1:18444".parse().unwrap())
        );
        // With the anchors used and every slot full, nothing is due until a timer fires.
        let full_view = OutboundView {
            full_relay: 8,
            block_relay: 2,
            ..OutboundView::default()
        };
        assert!(plan_next(&c.shared, &am, &full_view, &mut timers, &mut rng).is_none());
        timers.next_feeler = now;
        let p = plan_next(&c.shared, &am, &full_view, &mut timers, &mut rng).unwrap();
        assert!(p.feeler);
        c.shared
            .outbound
            .try_another_outbound_peer
            .store(true, Ordering::SeqCst);
        let p = plan_next(&c.shared, &am, &full_view, &mut timers, &mut rng).unwrap();
        assert_eq!(p.conn_type, ConnectionType::OutboundFullRelay);
        // Fewer than 8 full-relay peers: a full-relay one comes before block-relay-only.
        let few = OutboundView {
            full_relay: 3,
            ..OutboundView::default()
        };
        let p = plan_next(&c.shared, &am, &few, &mut timers, &mut rng).unwrap();
        assert_eq!(p.conn_type, ConnectionType::OutboundFullRelay);
    }

    #[test]
    fn fixed_seeds_fill_empty_reachable_networks_once() {
        let c = manager(&["1.2.3.4:8333"], &[Network::Ipv4, Network::Ipv6], true);
        let seed = |s: &str| {
            Address::new(
                service_of(&s.parse().unwrap()),
                ServiceFlags::NETWORK,
                1_700_000_000,
            )
        };
        let opts = crate::ConnmanOptions {
            dnsseed: false,
            fixed_seed_addrs: vec![seed("5.6.7.8:8333"), seed("[2001:470::1]:8333")],
            ..(*c.shared.opts()).clone()
        };
        *c.shared.opts.write().unwrap() = Arc::new(opts);
        let am = c.shared.opts().addrman.clone().unwrap();
        let mut add = true;
        maybe_add_fixed_seeds(&c.shared, &am, Instant::now(), &mut add);
        assert!(!add);
        // IPv4 had an address already, so only the IPv6 seed is added.
        let mut m = lock(&am);
        assert_eq!(m.size(Some(Network::Ipv6), None), 1);
        assert_eq!(m.size(Some(Network::Ipv4), None), 1);
    }

    #[test]
    fn exponential_waits_have_the_mean() {
        let mut rng = Shuffler::new();
        let n = 20_000;
        let total: f64 = (0..n)
            .map(|_| rand_exp(&mut rng, Duration::from_secs(120)).as_secs_f64())
            .sum();
        let mean = total / n as f64;
        assert!((110.0..130.0).contains(&mean), "mean {mean}");
    }
}
