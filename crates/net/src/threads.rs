//! The `msghand`, `opencon` (with `-connect`) and `addcon` threads and outbound
//! connection opening (Core's `ThreadMessageHandler`, `ThreadOpenConnections`,
//! `ThreadOpenAddedConnections`, `OpenNetworkConnection`, `ConnectNode`).

use std::collections::{HashMap, HashSet};
use std::net::{SocketAddr, TcpStream};
use std::sync::atomic::Ordering;
use std::sync::{Arc, PoisonError};
use std::time::Duration;

use common::logging::Category;
use common::{log_debug, log_info};

use crate::connman::{AddedNodeInfo, Shared};
use crate::netaddr;
use crate::node::{Node, NodeInit};
use crate::options::ConnmanOptions;
use crate::permissions;
use crate::sync::{lock, Grant};
use crate::transport::{Transport, V1Transport, V2Transport};
use crate::types::{ConnectionType, NetPermissions, PeerConn};

/// Makes the transport for a new connection: v2 (BIP324) when `use_v2`, as initiator
/// for outbound and as responder for inbound (the responder notices a v1 peer and falls
/// back by itself); v1 otherwise.
pub(crate) fn new_transport(
    o: &ConnmanOptions,
    id: i64,
    use_v2: bool,
    initiator: bool,
) -> Box<dyn Transport> {
    if use_v2 {
        match V2Transport::new(o.params.magic, initiator) {
            Ok(t) => return Box::new(t),
            // Without randomness for a key the only way to talk at all is v1.
            Err(e) => log_info!("v2 transport unavailable for peer={id} ({e}), using v1"),
        }
    }
    Box::new(V1Transport::new(o.params.magic))
}

/// Puts a new connection in the list, lets the peer logic set it up, then lets the
/// message handler see it. It is listed first so that the peer logic's `version`
/// push (by id) finds it.
pub(crate) fn add_and_initialize(s: &Shared, node: &Arc<Node>) {
    lock(&s.nodes).push(node.clone());
    if let Some(ev) = s.events() {
        ev.initialize_node(&node.conn);
    }
    node.ready.store(true, Ordering::SeqCst);
}

/// A small xorshift generator for shuffling peers and spacing timers; fairness, not
/// secrecy, is needed.
pub(crate) struct Shuffler(u64);

impl Shuffler {
    pub(crate) fn new() -> Shuffler {
        let salt = common::random::salt();
        let mut b = [0u8; 8];
        b.copy_from_slice(&salt[..8]);
        Shuffler(u64::from_le_bytes(b) | 1)
    }

    pub(crate) fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }

    pub(crate) fn shuffle<T>(&mut self, v: &mut [T]) {
        for i in (1..v.len()).rev() {
            let j = (self.next() % (i as u64 + 1)) as usize;
            v.swap(i, j);
        }
    }
}

/// The `msghand` loop: each round gives every peer one `process_messages` and one
/// `send_messages`, in a random order so that consecutive connections from one
/// attacker gain nothing; sleeps up to 100 ms when no peer has more work.
pub(crate) fn thread_message_handler(s: Arc<Shared>) {
    let mut rng = Shuffler::new();
    while !s.interrupt_msgproc.load(Ordering::SeqCst) {
        let Some(events) = s.events() else {
            return;
        };
        let mut more_work = false;
        let mut snapshot: Vec<Arc<Node>> = lock(&s.nodes)
            .iter()
            .filter(|n| n.ready.load(Ordering::SeqCst))
            .cloned()
            .collect();
        rng.shuffle(&mut snapshot);
        for node in &snapshot {
            if node.is_disconnecting() {
                continue;
            }
            let more = events.process_messages(node.id());
            more_work |= more && !node.pause_send.load(Ordering::SeqCst);
            if s.interrupt_msgproc.load(Ordering::SeqCst) {
                return;
            }
            events.send_messages(node.id());
            if s.interrupt_msgproc.load(Ordering::SeqCst) {
                return;
            }
        }
        drop(snapshot);
        let mut wake = lock(&s.msgproc_wake);
        if !more_work && !*wake {
            wake = s
                .msgproc_cv
                .wait_timeout(wake, Duration::from_millis(100))
                .unwrap_or_else(PoisonError::into_inner)
                .0;
        }
        *wake = false;
    }
}

/// Where an outbound connection goes.
pub(crate) enum Target {
    /// A name or `host[:port]` text, resolved when connecting (`pszDest`).
    Dest(String),
    /// A known address.
    Addr(SocketAddr),
    /// An address from the address manager, last seen at `time`; the attempt is
    /// recorded there, as a failure only when `count_failure`.
    Auto {
        addr: SocketAddr,
        time: i64,
        count_failure: bool,
    },
}

fn log_connect_failure(manual: bool, msg: String) {
    if manual {
        log_info!("{msg}");
    } else {
        log_debug!(Category::Net, "{msg}");
    }
}

/// `connect()` with a timeout (`ConnectDirectly`).
fn connect_directly(addr: SocketAddr, timeout: Duration, manual: bool) -> Option<TcpStream> {
    match TcpStream::connect_timeout(&addr, timeout) {
        Ok(s) => Some(s),
        Err(e) if e.kind() == std::io::ErrorKind::TimedOut => {
            log_debug!(Category::Net, "connection attempt to {} timed out", addr);
            None
        }
        Err(e) => {
            log_connect_failure(
                manual,
                format!(
                    "connect() to {} failed after wait: {}",
                    addr,
                    crate::listen::network_error_string(&e)
                ),
            );
            None
        }
    }
}

/// How one candidate of a connection is reached.
enum Route {
    /// A plain TCP connection to the address.
    Direct(SocketAddr),
    /// Through a SOCKS5 proxy, which resolves `host` itself; `addr` is the peer's
    /// address when known, unspecified for names.
    Proxy {
        proxy: crate::proxy::Proxy,
        host: String,
        port: u16,
        addr: SocketAddr,
    },
}

impl Route {
    fn addr(&self) -> SocketAddr {
        match self {
            Route::Direct(a) | Route::Proxy { addr: a, .. } => *a,
        }
    }
}

/// Whether `route` goes to a Tor onion service by name.
fn route_is_onion(route: &Route) -> bool {
    matches!(route, Route::Proxy { host, .. } if host.to_ascii_lowercase().ends_with(".onion"))
}

/// The route to `addr`: through the proxy of its network when there is one
/// (`GetProxy`), else direct.
fn route_to(o: &ConnmanOptions, addr: SocketAddr) -> Route {
    let net = crate::outbound::service_of(&addr).addr.get_network();
    match o.proxies.proxy_for(net) {
        Some(p) => Route::Proxy {
            proxy: p.clone(),
            host: addr.ip().to_string(),
            port: addr.port(),
            addr,
        },
        None => Route::Direct(addr),
    }
}

/// Connects over `route`; the flag says whether the attempt reached the peer's side
/// (false when the proxy itself failed, which says nothing about the peer).
fn connect_route(o: &ConnmanOptions, route: &Route, manual: bool) -> (Option<TcpStream>, bool) {
    match route {
        Route::Direct(a) => (connect_directly(*a, o.connect_timeout, manual), true),
        Route::Proxy {
            proxy, host, port, ..
        } => {
            let creds = proxy.credentials();
            match crate::socks5::connect_through_proxy(
                proxy,
                host,
                *port,
                o.connect_timeout,
                creds.as_ref(),
            ) {
                Ok(sock) => (Some(sock), true),
                Err(e) => {
                    e.log();
                    (None, !e.is_proxy_connection_failure())
                }
            }
        }
    }
}

/// The routes for a `host[:port]` destination, as Core's `ConnectNode` finds them: a
/// numeric address (through its network's proxy, if any); an onion name through the
/// Tor proxy; any other name through the name proxy, or resolved here without one.
fn routes_for_dest(o: &ConnmanOptions, dest: &str) -> Vec<Route> {
    let port = o.params.default_port;
    if let Some(a) = netaddr::lookup_numeric(dest, port) {
        return vec![route_to(o, a)];
    }
    let (host, given_port, _) = netaddr::split_host_port(dest);
    let port = given_port.unwrap_or(port);
    let unspecified = SocketAddr::from(([0, 0, 0, 0], 0));
    let via = |proxy: &crate::proxy::Proxy| Route::Proxy {
        proxy: proxy.clone(),
        host: host.clone(),
        port,
        addr: unspecified,
    };
    if host.to_ascii_lowercase().ends_with(".onion") {
        return o
            .proxies
            .proxy_for(addrman::Network::Onion)
            .map(via)
            .into_iter()
            .collect();
    }
    if let Some(p) = o.proxies.name_proxy() {
        return vec![via(p)];
    }
    let mut resolved = netaddr::lookup(dest, port);
    Shuffler::new().shuffle(&mut resolved);
    resolved.into_iter().map(|a| route_to(o, a)).collect()
}

/// Opens an outbound connection and hands it to the peer logic
/// (`OpenNetworkConnection` + `ConnectNode`). Blocks while resolving and connecting.
pub(crate) fn open_network_connection(
    s: &Shared,
    target: Target,
    grant: Option<Grant>,
    conn_type: ConnectionType,
    use_v2: bool,
) -> bool {
    if s.interrupt_net.is_set() || !s.network_active.load(Ordering::SeqCst) {
        return false;
    }
    let o = s.opts();
    let (auto_attempt, last_seen) = match &target {
        Target::Auto {
            time,
            count_failure,
            ..
        } => (Some(*count_failure), Some(*time)),
        _ => (None, None),
    };
    let (dest, candidates) = match &target {
        Target::Addr(a) | Target::Auto { addr: a, .. } => {
            let banned = o
                .ban_check
                .as_ref()
                .is_some_and(|b| b.is_banned(a) || b.is_discouraged(a));
            if banned || lock(&s.nodes).iter().any(|n| n.conn.addr.ip() == a.ip()) {
                return false;
            }
            (String::new(), vec![*a])
        }
        Target::Dest(d) => {
            if s.already_connected_to_host(d) {
                return false;
            }
            (d.clone(), Vec::new())
        }
    };
    let shown = if dest.is_empty() {
        candidates
            .first()
            .map(|a| a.to_string())
            .unwrap_or_default()
    } else {
        dest.clone()
    };
    log_debug!(
        Category::Net,
        "trying {} connection ({}) to {}, lastseen={:.1}hrs",
        if use_v2 { "v2" } else { "v1" },
        conn_type.as_str(),
        shown,
        last_seen.map_or(0.0, |t| (s.now() - t) as f64 / 3600.0)
    );
    let candidates: Vec<Route> = if dest.is_empty() {
        candidates.into_iter().map(|a| route_to(&o, a)).collect()
    } else {
        let resolved = routes_for_dest(&o, &dest);
        for r in resolved.iter().map(Route::addr) {
            // One of the names' addresses is enough.
            if !r.ip().is_unspecified() && s.already_connected_to_addr_port(r) {
                log_info!(
                    "Not opening a connection to {}, already connected to {}",
                    dest,
                    r
                );
                return false;
            }
        }
        resolved
    };
    let manual = conn_type == ConnectionType::Manual;
    for route in candidates {
        let addr = route.addr();
        let (sock, reached) = connect_route(&o, &route, manual);
        if let (Some(count_failure), Some(am), true) = (auto_attempt, &o.addrman, reached) {
            lock(am).attempt(&crate::outbound::service_of(&addr), count_failure, s.now());
        }
        let Some(sock) = sock else {
            continue;
        };
        if sock.set_nonblocking(true).is_err() {
            log_info!("Error setting socket to non-blocking: {}", addr);
            continue;
        }
        if sock.set_nodelay(true).is_err() {
            log_debug!(
                Category::Net,
                "Unable to set TCP_NODELAY on a newly created socket, continuing anyway"
            );
        }
        let mut permissions = NetPermissions::default();
        if manual {
            permissions::apply_whitelist(
                &mut permissions,
                Some(addr.ip()),
                &o.whitelist_outgoing,
                o.whitelist_relay,
                o.whitelist_forcerelay,
            );
        }
        let id = s.new_node_id();
        let addr_bind = sock.local_addr().ok().map(netaddr::canonical);
        let conn = PeerConn {
            id,
            addr,
            addr_bind,
            addr_name: if dest.is_empty() {
                addr.to_string()
            } else {
                dest.clone()
            },
            conn_type,
            permissions,
            local_nonce: s.local_nonce(id),
            connected: s.now(),
            v2: use_v2,
        };
        let node = Arc::new(Node::new(NodeInit {
            conn,
            dest: dest.clone(),
            network: if route_is_onion(&route) {
                netaddr::Network::Onion
            } else {
                netaddr::net_class(addr.ip())
            },
            keyed_netgroup: s.keyed_netgroup(addr.ip()),
            prefer_evict: false,
            sock,
            transport: new_transport(&o, id, use_v2, true),
            grant,
        }));
        add_and_initialize(s, &node);
        return true;
    }
    false
}

/// Reopens, with v1, connections whose v2 attempt failed (`PerformReconnections`).
pub(crate) fn perform_reconnections(s: &Shared) {
    loop {
        let item = {
            let mut r = lock(&s.reconnections);
            if r.is_empty() {
                return;
            }
            r.remove(0)
        };
        let target = if item.dest.is_empty() {
            Target::Addr(item.addr)
        } else {
            Target::Dest(item.dest)
        };
        open_network_connection(s, target, item.grant, item.conn_type, false);
    }
}

/// The `opencon` thread. With `-connect`, only those targets, retried forever (the
/// pause between rounds grows to 5 s); otherwise automatic connections from the
/// address manager.
pub(crate) fn thread_open_connections(s: Arc<Shared>) {
    let o = s.opts();
    if o.connect.is_empty() {
        crate::outbound::thread_open_connections_auto(&s);
        return;
    }
    let use_v2 = s.use_v2();
    let mut round: u64 = 0;
    loop {
        for dest in &o.connect {
            open_network_connection(
                &s,
                Target::Dest(dest.clone()),
                None,
                ConnectionType::Manual,
                use_v2,
            );
            for _ in 0..round.min(10) {
                if !s.interrupt_net.sleep_for(Duration::from_millis(500)) {
                    return;
                }
            }
        }
        if !s.interrupt_net.sleep_for(Duration::from_millis(500)) {
            return;
        }
        perform_reconnections(&s);
        round += 1;
    }
}

/// The added nodes with their connection state (`GetAddedNodeInfo`).
pub(crate) fn get_added_node_info(s: &Shared, include_connected: bool) -> Vec<AddedNodeInfo> {
    let added = lock(&s.added_nodes).clone();
    let port = s.opts().params.default_port;
    let mut by_addr: HashMap<SocketAddr, bool> = HashMap::new();
    let mut by_name: HashMap<String, (bool, SocketAddr)> = HashMap::new();
    for n in lock(&s.nodes).iter() {
        by_addr.insert(n.conn.addr, n.conn.conn_type.is_inbound());
        if !n.conn.addr_name.is_empty() {
            by_name.insert(
                n.conn.addr_name.clone(),
                (n.conn.conn_type.is_inbound(), n.conn.addr),
            );
        }
    }
    let mut out = Vec::new();
    for p in added {
        let mut info = AddedNodeInfo {
            params: p.clone(),
            resolved_address: None,
            connected: false,
            inbound: false,
        };
        let hit = match netaddr::lookup_numeric(&p.added_node, port) {
            Some(a) => by_addr.get(&a).map(|inb| (*inb, a)),
            None => by_name.get(&p.added_node).copied(),
        };
        if let Some((inbound, a)) = hit {
            if !include_connected {
                continue;
            }
            info.resolved_address = Some(a);
            info.connected = true;
            info.inbound = inbound;
        }
        out.push(info);
    }
    out
}

/// The `addcon` thread: connects each unconnected added node (at most
/// `MAX_ADDNODE_CONNECTIONS` at once), then waits 60 s when it tried one, 2 s otherwise.
pub(crate) fn thread_open_added_connections(s: Arc<Shared>) {
    loop {
        let Some(mut grant) = s.sem_addnode.acquire(&s.interrupt_net) else {
            return;
        };
        let todo = get_added_node_info(&s, false);
        let mut tried = false;
        let mut seen = HashSet::new();
        for info in todo {
            if !seen.insert(info.params.added_node.clone()) {
                continue;
            }
            tried = true;
            open_network_connection(
                &s,
                Target::Dest(info.params.added_node.clone()),
                Some(grant),
                ConnectionType::Manual,
                info.params.use_v2transport,
            );
            if !s.interrupt_net.sleep_for(Duration::from_millis(500)) {
                return;
            }
            match s.sem_addnode.try_acquire() {
                Some(g) => grant = g,
                None => {
                    grant = Grant::default();
                    break;
                }
            }
        }
        drop(grant);
        perform_reconnections(&s);
        if !s.interrupt_net.sleep_for(if tried {
            Duration::from_secs(60)
        } else {
            Duration::from_secs(2)
        }) {
            return;
        }
    }
}
