//! The connection manager's shared state and its public face (Core's `CConnman`).

use std::fmt;
use std::net::{IpAddr, SocketAddr, TcpListener};
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, RwLock};
use std::thread::JoinHandle;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bitcoin::hashes::siphash24;
use common::logging::Category;
use common::{log_debug, log_info};

use crate::netaddr;
use crate::node::{Node, NodeStats};
use crate::options::{ConnmanOptions, Slots, MAX_ADDNODE_CONNECTIONS, NODE_P2P_V2};
use crate::sync::{lock, Interrupt, Semaphore};
use crate::types::{
    ConnectionDirection, ConnectionType, NetPermissions, NodeId, PeerConn, ReceivedMessage,
};
use crate::{Connections, NetEvents};

/// A `-addnode` / `addnode` entry (`AddedNodeParams`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AddedNodeParams {
    /// The node as given (`host[:port]`).
    pub added_node: String,
    /// Whether to try v2 first.
    pub use_v2transport: bool,
}

/// An added node and whether it is connected (`AddedNodeInfo`, `getaddednodeinfo`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AddedNodeInfo {
    /// The entry.
    pub params: AddedNodeParams,
    /// The address it is connected at.
    pub resolved_address: Option<SocketAddr>,
    /// Whether a connection to it exists.
    pub connected: bool,
    /// Whether that connection is inbound.
    pub inbound: bool,
}

/// Why [`Connman::start`] failed; the text is the error Core shows.
#[derive(Debug)]
pub enum StartError {
    /// Binding a listening address failed (the first reported error is kept).
    Bind(String),
    /// `start` was called while running.
    AlreadyStarted,
    /// A thread could not be started.
    Thread(std::io::Error),
}

impl fmt::Display for StartError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StartError::Bind(e) => write!(f, "{e}"),
            StartError::AlreadyStarted => f.write_str("the connection manager is already running"),
            StartError::Thread(e) => write!(f, "could not start a network thread: {e}"),
        }
    }
}

impl std::error::Error for StartError {}

/// A listening socket and what its inbound peers get.
pub(crate) struct Listener {
    pub sock: Arc<TcpListener>,
    pub permissions: NetPermissions,
    pub onion: bool,
}

/// A connection to reopen with v1 after a failed v2 attempt (`ReconnectionInfo`).
pub(crate) struct Reconnection {
    pub addr: SocketAddr,
    pub dest: String,
    pub conn_type: ConnectionType,
    pub grant: Option<crate::sync::Grant>,
}

/// State shared by the handle and the threads.
pub(crate) struct Shared {
    pub opts: RwLock<Arc<ConnmanOptions>>,
    pub slots: RwLock<Slots>,
    pub events: RwLock<Option<Arc<dyn NetEvents>>>,
    pub nodes: Mutex<Vec<Arc<Node>>>,
    /// Removed from `nodes`, waiting for the last user to let go (`m_nodes_disconnected`).
    pub disconnected: Mutex<Vec<Arc<Node>>>,
    pub listeners: Mutex<Vec<Listener>>,
    pub next_id: AtomicI64,
    pub network_active: AtomicBool,
    pub interrupt_net: Interrupt,
    pub interrupt_msgproc: AtomicBool,
    pub msgproc_wake: Mutex<bool>,
    pub msgproc_cv: Condvar,
    pub total_recv: AtomicU64,
    pub total_sent: AtomicU64,
    pub added_nodes: Mutex<Vec<AddedNodeParams>>,
    pub reconnections: Mutex<Vec<Reconnection>>,
    pub sem_addnode: Arc<Semaphore>,
    pub sem_outbound: RwLock<Arc<Semaphore>>,
    pub outbound: crate::outbound::Outbound,
    pub local: crate::local::LocalAddresses,
    keys: [u64; 4],
}

impl Shared {
    fn new() -> Shared {
        let salt = common::random::salt();
        let mut keys = [0u64; 4];
        for (i, k) in keys.iter_mut().enumerate() {
            let mut b = [0u8; 8];
            b.copy_from_slice(&salt[i * 8..i * 8 + 8]);
            *k = u64::from_le_bytes(b);
        }
        Shared {
            opts: RwLock::new(Arc::new(ConnmanOptions::default())),
            slots: RwLock::new(Slots::new(0)),
            events: RwLock::new(None),
            nodes: Mutex::new(Vec::new()),
            disconnected: Mutex::new(Vec::new()),
            listeners: Mutex::new(Vec::new()),
            next_id: AtomicI64::new(0),
            network_active: AtomicBool::new(true),
            interrupt_net: Interrupt::default(),
            interrupt_msgproc: AtomicBool::new(false),
            msgproc_wake: Mutex::new(false),
            msgproc_cv: Condvar::new(),
            total_recv: AtomicU64::new(0),
            total_sent: AtomicU64::new(0),
            added_nodes: Mutex::new(Vec::new()),
            reconnections: Mutex::new(Vec::new()),
            sem_addnode: Semaphore::new(MAX_ADDNODE_CONNECTIONS),
            sem_outbound: RwLock::new(Semaphore::new(0)),
            outbound: crate::outbound::Outbound::default(),
            local: crate::local::LocalAddresses::default(),
            keys,
        }
    }

    pub(crate) fn opts(&self) -> Arc<ConnmanOptions> {
        self.opts
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    pub(crate) fn events(&self) -> Option<Arc<dyn NetEvents>> {
        self.events
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    pub(crate) fn max_inbound(&self) -> usize {
        self.slots
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .max_inbound
    }

    /// Seconds since the epoch, or the node's mock time.
    pub(crate) fn now(&self) -> i64 {
        if let Some(m) = &self.opts().mock_time {
            let t = m.load(Ordering::Relaxed);
            if t != 0 {
                return t;
            }
        }
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs() as i64)
            .unwrap_or(0)
    }

    pub(crate) fn new_node_id(&self) -> NodeId {
        self.next_id.fetch_add(1, Ordering::SeqCst)
    }

    /// The `version` nonce of connection `id` (keyed, so peers cannot predict it).
    pub(crate) fn local_nonce(&self, id: NodeId) -> u64 {
        siphash24::Hash::hash_with_keys(self.keys[0], self.keys[1], &id.to_le_bytes()).as_u64()
    }

    /// The keyed netgroup of `ip` (`CalculateKeyedNetGroup`).
    pub(crate) fn keyed_netgroup(&self, ip: IpAddr) -> u64 {
        siphash24::Hash::hash_with_keys(self.keys[2], self.keys[3], &netaddr::netgroup(ip)).as_u64()
    }

    pub(crate) fn find(&self, id: NodeId) -> Option<Arc<Node>> {
        lock(&self.nodes).iter().find(|n| n.id() == id).cloned()
    }

    pub(crate) fn wake_message_handler(&self) {
        *lock(&self.msgproc_wake) = true;
        self.msgproc_cv.notify_one();
    }

    pub(crate) fn record_bytes_sent(&self, n: u64) {
        self.total_sent.fetch_add(n, Ordering::Relaxed);
    }

    pub(crate) fn record_bytes_recv(&self, n: u64) {
        self.total_recv.fetch_add(n, Ordering::Relaxed);
    }

    pub(crate) fn use_v2(&self) -> bool {
        self.opts().local_services & NODE_P2P_V2 != 0
    }

    pub(crate) fn already_connected_to_host(&self, host: &str) -> bool {
        lock(&self.nodes).iter().any(|n| n.conn.addr_name == host)
    }

    pub(crate) fn already_connected_to_addr_port(&self, addr: SocketAddr) -> bool {
        lock(&self.nodes).iter().any(|n| n.conn.addr == addr)
    }

    pub(crate) fn get_node_count(&self, dir: ConnectionDirection) -> usize {
        lock(&self.nodes)
            .iter()
            .filter(|n| dir.covers(n.conn.conn_type.is_inbound()))
            .count()
    }

    /// Pushes `payload` onto `node`'s send queue and, when nothing was waiting, tries to
    /// send right away rather than wait for the socket thread (`PushMessage`).
    pub(crate) fn push_message(&self, node: &Node, command: &str, payload: Vec<u8>) {
        log_debug!(
            Category::Net,
            "sending {} ({} bytes) peer={}",
            command,
            payload.len(),
            node.id()
        );
        let max_send = self.opts().max_send_buffer;
        let sent = {
            let mut io = lock(&node.io);
            let b = io.transport.bytes_to_send(true);
            let queue_was_empty = b.bytes.is_empty() && io.send_queue.is_empty();
            let more = b.more;
            io.send_memusage += crate::node::message_memory(command, payload.capacity());
            if io.send_memusage + io.transport.send_memory_usage() > max_send {
                node.pause_send.store(true, Ordering::SeqCst);
            }
            io.send_queue.push_back((command.to_string(), payload));
            if queue_was_empty && more {
                crate::socket::send_data(self, node, &mut io).0
            } else {
                0
            }
        };
        if sent > 0 {
            self.record_bytes_sent(sent as u64);
        }
    }
}

/// The connection manager (Core's `CConnman`). A cheap handle: clones share one
/// manager. Create it, hand it to the peer logic as [`Connections`], then
/// [`Connman::start`] it with the peer logic as [`NetEvents`].
#[derive(Clone)]
pub struct Connman {
    pub(crate) shared: Arc<Shared>,
    threads: Arc<Mutex<Vec<JoinHandle<()>>>>,
}

impl Default for Connman {
    fn default() -> Self {
        Connman::new()
    }
}

impl fmt::Debug for Connman {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Connman")
            .field("nodes", &lock(&self.shared.nodes).len())
            .finish_non_exhaustive()
    }
}

impl Connman {
    /// A stopped manager.
    pub fn new() -> Connman {
        Connman {
            shared: Arc::new(Shared::new()),
            threads: Arc::new(Mutex::new(Vec::new())),
        }
    }

    /// Binds the listening sockets and starts the threads: `net` (sockets), `msghand`
    /// (peer logic), `addcon` (added nodes) and, with `-connect`, `opencon`
    /// (`CConnman::Start`).
    pub fn start(
        &self,
        options: ConnmanOptions,
        events: Arc<dyn NetEvents>,
    ) -> Result<(), StartError> {
        let mut threads = lock(&self.threads);
        if !threads.is_empty() {
            return Err(StartError::AlreadyStarted);
        }
        let s = &self.shared;
        let options = Arc::new(options);
        *s.opts
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = options.clone();
        let slots =
            Slots::with_relay_percent(options.max_connections, options.full_relay_inbound_percent);
        *s.slots
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = slots;
        *s.sem_outbound
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) =
            Semaphore::new(slots.max_automatic_outbound.min(options.max_connections));
        *s.events
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(events);
        s.network_active
            .store(options.network_active, Ordering::SeqCst);
        {
            let use_v2 = s.use_v2();
            let mut added = lock(&s.added_nodes);
            for a in &options.added_nodes {
                added.push(AddedNodeParams {
                    added_node: a.clone(),
                    use_v2transport: use_v2,
                });
            }
        }
        for ext in &options.external_ips {
            s.local
                .add(ext, crate::local::LOCAL_MANUAL, options.discover, None);
        }
        if options.listen {
            let listeners = crate::listen::init_binds(&options).map_err(StartError::Bind)?;
            for l in &listeners {
                // A routable address we were told to listen on is one peers can use.
                if let (Ok(addr), false, false) = (
                    l.sock.local_addr(),
                    l.onion,
                    l.permissions.has(crate::types::NetPermissions::NOBAN),
                ) {
                    s.local.add(
                        &crate::outbound::service_of(&addr),
                        crate::local::LOCAL_BIND,
                        options.discover,
                        Some(&options.reachable),
                    );
                }
            }
            *lock(&s.listeners) = listeners;
            if options.discover {
                for ip in crate::local::interface_addresses() {
                    let addr = SocketAddr::new(ip, options.listen_port);
                    s.local.add(
                        &crate::outbound::service_of(&addr),
                        crate::local::LOCAL_IF,
                        true,
                        Some(&options.reachable),
                    );
                }
            }
        }
        if options.use_addrman_outgoing {
            let anchors = match (&options.anchors_path, &options.addrman) {
                (Some(path), Some(_)) => {
                    let magic = bitcoin::p2p::Magic::from_bytes(options.params.magic);
                    let mut a = addrman::anchors::read_anchors(path, magic);
                    a.truncate(crate::outbound::MAX_BLOCK_RELAY_ONLY_ANCHORS);
                    a
                }
                _ => Vec::new(),
            };
            log_info!(
                "{} block-relay-only anchors will be tried for connections.",
                anchors.len()
            );
            *lock(&s.outbound.anchors) = anchors;
        }
        s.interrupt_net.reset();
        s.interrupt_msgproc.store(false, Ordering::SeqCst);
        *lock(&s.msgproc_wake) = false;

        let spawn =
            |name: &'static str, f: fn(Arc<Shared>)| -> Result<JoinHandle<()>, StartError> {
                let shared = self.shared.clone();
                std::thread::Builder::new()
                    .name(format!("b-{name}"))
                    .spawn(move || {
                        common::logging::set_thread_name(name);
                        log_info!("{name} thread start");
                        f(shared);
                        log_info!("{name} thread exit");
                    })
                    .map_err(StartError::Thread)
            };
        let mut started = Vec::new();
        let result = (|| {
            started.push(spawn("net", crate::socket::thread_socket_handler)?);
            if !options.dnsseed {
                log_info!("DNS seeding disabled");
            } else if options.addrman.is_some() {
                started.push(spawn("dnsseed", crate::outbound::thread_dns_address_seed)?);
            }
            started.push(spawn(
                "addcon",
                crate::threads::thread_open_added_connections,
            )?);
            if !options.connect.is_empty()
                || (options.use_addrman_outgoing && options.addrman.is_some())
            {
                started.push(spawn("opencon", crate::threads::thread_open_connections)?);
            }
            started.push(spawn("msghand", crate::threads::thread_message_handler)?);
            Ok(())
        })();
        *threads = started;
        drop(threads);
        if let Err(e) = result {
            self.stop();
            return Err(e);
        }
        Ok(())
    }

    /// Stops the threads, closes every connection (telling the peer logic) and the
    /// listening sockets (`Interrupt`, `StopThreads`, `StopNodes`).
    pub fn stop(&self) {
        let s = &self.shared;
        s.interrupt_msgproc.store(true, Ordering::SeqCst);
        s.wake_message_handler();
        s.interrupt_net.interrupt();
        let threads: Vec<_> = lock(&self.threads).drain(..).collect();
        let was_running = !threads.is_empty();
        for t in threads {
            let _ = t.join();
        }
        let o = s.opts();
        if let (true, true, Some(path)) = (was_running, o.use_addrman_outgoing, &o.anchors_path) {
            // Anchors are written only at a clean shutdown; start removed the old file.
            let mut anchors: Vec<addrman::Address> = lock(&s.nodes)
                .iter()
                .filter(|n| n.conn.conn_type == ConnectionType::BlockRelay)
                .filter_map(|n| {
                    // A peer reached by name through a proxy (a Tor onion service) is
                    // kept by that name.
                    let service = if n.conn.addr.ip().is_unspecified() {
                        let named =
                            addrman::netbase::lookup_numeric(&n.dest, o.params.default_port);
                        named.addr.is_valid().then_some(named)?
                    } else {
                        crate::outbound::service_of(&n.conn.addr)
                    };
                    let services = bitcoin::p2p::ServiceFlags::from(lock(&n.facts).services);
                    Some(addrman::Address::new(service, services, s.now()))
                })
                .collect();
            anchors.truncate(crate::outbound::MAX_BLOCK_RELAY_ONLY_ANCHORS);
            let magic = bitcoin::p2p::Magic::from_bytes(o.params.magic);
            if let Err(e) = addrman::anchors::dump_anchors(path, magic, &anchors) {
                common::logging::log_error(&format!("DumpAnchors: {e}"));
            }
        }
        let nodes: Vec<_> = lock(&s.nodes).drain(..).collect();
        let events = s.events();
        for n in nodes {
            log_debug!(Category::Net, "Stopping node, {}", n.disconnect_msg());
            n.close_socket();
            if let Some(ev) = &events {
                ev.finalize_node(n.id());
            }
        }
        for n in lock(&s.disconnected).drain(..) {
            if let Some(ev) = &events {
                ev.finalize_node(n.id());
            }
        }
        lock(&s.listeners).clear();
        lock(&s.reconnections).clear();
        lock(&s.added_nodes).clear();
        *s.events
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = None;
    }

    /// The addresses the listening sockets are bound to (with the real port when `0`
    /// was asked for).
    pub fn listen_addrs(&self) -> Vec<SocketAddr> {
        lock(&self.shared.listeners)
            .iter()
            .filter_map(|l| l.sock.local_addr().ok())
            .collect()
    }

    /// Our addresses with their ports and scores, for `getnetworkinfo`
    /// (`mapLocalHost`).
    pub fn local_addresses(&self) -> Vec<(addrman::NetAddr, crate::local::LocalInfo)> {
        self.shared.local.all()
    }

    /// Per-connection statistics for `getpeerinfo` (`GetNodeStats`).
    pub fn node_stats(&self) -> Vec<NodeStats> {
        let nodes: Vec<_> = lock(&self.shared.nodes).clone();
        nodes.iter().map(|n| n.stats()).collect()
    }

    /// The number of connections in `dir` (`GetNodeCount`).
    pub fn get_node_count(&self, dir: ConnectionDirection) -> usize {
        self.shared.get_node_count(dir)
    }

    /// Adds `node` to the added nodes, unless it (or the same address) is there
    /// already (`AddNode`).
    pub fn add_node(&self, node: &str, use_v2transport: bool) -> bool {
        let port = self.shared.opts().params.default_port;
        let resolved = netaddr::lookup_numeric(node, port);
        let mut added = lock(&self.shared.added_nodes);
        let dup = added.iter().any(|a| {
            a.added_node == node
                || (resolved.is_some() && resolved == netaddr::lookup_numeric(&a.added_node, port))
        });
        if dup {
            return false;
        }
        added.push(AddedNodeParams {
            added_node: node.to_string(),
            use_v2transport,
        });
        true
    }

    /// Removes `node` from the added nodes (`RemoveAddedNode`).
    pub fn remove_added_node(&self, node: &str) -> bool {
        let mut added = lock(&self.shared.added_nodes);
        match added.iter().position(|a| a.added_node == node) {
            Some(i) => {
                added.remove(i);
                true
            }
            None => false,
        }
    }

    /// The added nodes and their connections (`GetAddedNodeInfo`).
    pub fn get_added_node_info(&self, include_connected: bool) -> Vec<AddedNodeInfo> {
        crate::threads::get_added_node_info(&self.shared, include_connected)
    }

    /// Opens one manual connection to `dest` now, as `addnode <node> onetry` does
    /// (`OpenNetworkConnection`); blocks while connecting. False if it was not opened.
    pub fn connect_onetry(&self, dest: &str, use_v2transport: bool) -> bool {
        crate::threads::open_network_connection(
            &self.shared,
            crate::threads::Target::Dest(dest.to_string()),
            None,
            ConnectionType::Manual,
            use_v2transport,
        )
    }

    /// Opens a connection of `conn_type` to `address` for the `addconnection` test
    /// command, within that type's limit (`AddConnection`). False when the limit is
    /// reached or the type is not allowed.
    pub fn open_connection(
        &self,
        address: &str,
        conn_type: ConnectionType,
        use_v2transport: bool,
    ) -> bool {
        let s = &self.shared;
        let max_conns = s.opts().max_connections;
        let max = match conn_type {
            ConnectionType::Inbound | ConnectionType::Manual => return false,
            ConnectionType::OutboundFullRelay => {
                Some(crate::options::MAX_OUTBOUND_FULL_RELAY_CONNECTIONS.min(max_conns))
            }
            ConnectionType::BlockRelay => {
                Some(crate::options::MAX_BLOCK_RELAY_ONLY_CONNECTIONS.min(
                    max_conns - crate::options::MAX_OUTBOUND_FULL_RELAY_CONNECTIONS.min(max_conns),
                ))
            }
            ConnectionType::AddrFetch | ConnectionType::Feeler => None,
        };
        let existing = lock(&s.nodes)
            .iter()
            .filter(|n| n.conn.conn_type == conn_type)
            .count();
        if max.is_some_and(|m| existing >= m) {
            return false;
        }
        let sem = s
            .sem_outbound
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone();
        let Some(grant) = sem.try_acquire() else {
            return false;
        };
        crate::threads::open_network_connection(
            s,
            crate::threads::Target::Dest(address.to_string()),
            Some(grant),
            conn_type,
            use_v2transport,
        );
        true
    }

    /// Marks the connection opened by (or from) `addr_name` for disconnection
    /// (`DisconnectNode(strNode)`).
    pub fn disconnect_node_by_name(&self, addr_name: &str) -> bool {
        let nodes = lock(&self.shared.nodes);
        match nodes.iter().find(|n| n.conn.addr_name == addr_name) {
            Some(n) => {
                let shown = if common::logging::log_ips() {
                    format!("={addr_name}")
                } else {
                    String::new()
                };
                log_debug!(
                    Category::Net,
                    "disconnect by address{} match, {}",
                    shown,
                    n.disconnect_msg()
                );
                n.mark_disconnect();
                true
            }
            None => false,
        }
    }

    /// Marks every connection with peer address IP `ip` for disconnection
    /// (`DisconnectNode(CNetAddr)`).
    pub fn disconnect_node_by_ip(&self, ip: IpAddr) -> bool {
        let ip = netaddr::canonical_ip(ip);
        // Core disconnects an address as the single-address subnet it is.
        self.disconnect_node_by_subnet(&ip.to_string(), |a| a.ip() == ip)
    }

    /// Marks every connection whose peer address `matches` for disconnection
    /// (`DisconnectNode(CSubNet)`); `shown` names the subnet in the log.
    pub fn disconnect_node_by_subnet(
        &self,
        shown: &str,
        matches: impl Fn(&SocketAddr) -> bool,
    ) -> bool {
        let mut any = false;
        for n in lock(&self.shared.nodes)
            .iter()
            .filter(|n| matches(&n.conn.addr))
        {
            let shown = if common::logging::log_ips() {
                format!("={shown}")
            } else {
                String::new()
            };
            log_debug!(
                Category::Net,
                "disconnect by subnet{} match, {}",
                shown,
                n.disconnect_msg()
            );
            n.mark_disconnect();
            any = true;
        }
        any
    }

    /// Marks connection `id` for disconnection (`DisconnectNode(NodeId)`).
    pub fn disconnect_node_by_id(&self, id: NodeId) -> bool {
        match self.shared.find(id) {
            Some(n) => {
                log_debug!(Category::Net, "disconnect by id, {}", n.disconnect_msg());
                n.mark_disconnect();
                true
            }
            None => false,
        }
    }

    /// Turns networking on or off (`setnetworkactive`); off disconnects everyone and
    /// refuses new connections.
    pub fn set_network_active(&self, active: bool) {
        log_info!("SetNetworkActive: {active}");
        self.shared.network_active.store(active, Ordering::SeqCst);
    }

    /// Whether networking is on.
    pub fn get_network_active(&self) -> bool {
        self.shared.network_active.load(Ordering::SeqCst)
    }

    /// Bytes received over all connections (`getnettotals`).
    pub fn get_total_bytes_recv(&self) -> u64 {
        self.shared.total_recv.load(Ordering::Relaxed)
    }

    /// Bytes sent over all connections (`getnettotals`).
    pub fn get_total_bytes_sent(&self) -> u64 {
        self.shared.total_sent.load(Ordering::Relaxed)
    }

    /// Inbound slots (`m_max_inbound`).
    pub fn max_inbound(&self) -> usize {
        self.shared.max_inbound()
    }

    /// Whether receiving from `peer` is paused because its unprocessed messages exceed
    /// `-maxreceivebuffer` (`fPauseRecv`).
    pub fn receive_paused(&self, peer: NodeId) -> bool {
        self.shared
            .find(peer)
            .is_some_and(|n| n.pause_recv.load(Ordering::SeqCst))
    }

    fn with_facts(&self, peer: NodeId, f: impl FnOnce(&mut crate::node::PeerFacts)) {
        if let Some(n) = self.shared.find(peer) {
            f(&mut lock(&n.facts));
        }
    }
}

impl Connections for Connman {
    fn push_message(&self, peer: NodeId, command: &str, payload: Vec<u8>) {
        if let Some(n) = self.shared.find(peer) {
            self.shared.push_message(&n, command, payload);
        }
    }

    fn poll_message(&self, peer: NodeId) -> Option<(ReceivedMessage, bool)> {
        let flood = self.shared.opts().max_receive_buffer;
        self.shared.find(peer)?.poll_message(flood)
    }

    fn disconnect(&self, peer: NodeId) {
        if let Some(n) = self.shared.find(peer) {
            n.mark_disconnect();
        }
    }

    fn is_disconnecting(&self, peer: NodeId) -> bool {
        self.shared.find(peer).is_none_or(|n| n.is_disconnecting())
    }

    fn send_paused(&self, peer: NodeId) -> bool {
        self.shared
            .find(peer)
            .is_some_and(|n| n.pause_send.load(Ordering::SeqCst))
    }

    fn conn(&self, peer: NodeId) -> Option<PeerConn> {
        self.shared.find(peer).map(|n| n.conn.clone())
    }

    fn peer_ids(&self) -> Vec<NodeId> {
        lock(&self.shared.nodes)
            .iter()
            .filter(|n| n.ready.load(Ordering::SeqCst))
            .map(|n| n.id())
            .collect()
    }

    fn check_incoming_nonce(&self, nonce: u64) -> bool {
        !lock(&self.shared.nodes).iter().any(|n| {
            !n.conn.conn_type.is_inbound()
                && n.conn.local_nonce == nonce
                && !lock(&n.facts).successfully_connected
        })
    }

    fn set_peer_services(&self, peer: NodeId, services: u64) {
        self.with_facts(peer, |f| f.services = services);
    }

    fn set_handshake_done(&self, peer: NodeId, version: i32, subver: &str) {
        self.with_facts(peer, |f| {
            f.version = version;
            f.subver = subver.to_string();
            f.successfully_connected = true;
        });
    }

    fn try_new_outbound_peer(&self) -> bool {
        self.shared
            .outbound
            .try_another_outbound_peer
            .load(Ordering::SeqCst)
    }

    fn set_try_new_outbound_peer(&self, flag: bool) {
        self.shared
            .outbound
            .try_another_outbound_peer
            .store(flag, Ordering::SeqCst);
        log_debug!(
            Category::Net,
            "setting try another outbound peer={}",
            if flag { "true" } else { "false" }
        );
    }

    fn start_extra_block_relay_peers(&self) {
        log_debug!(Category::Net, "enabling extra block-relay-only peers");
        self.shared
            .outbound
            .start_extra_block_relay_peers
            .store(true, Ordering::SeqCst);
    }

    fn local_addr_for_peer(&self, peer: NodeId) -> Option<addrman::Service> {
        let s = &self.shared;
        let o = s.opts();
        if !o.listen {
            return None;
        }
        let node = s.find(peer)?;
        let peer_addr = crate::outbound::service_of(&node.conn.addr).addr;
        let peer_net = match node.network {
            netaddr::Network::Onion => addrman::Network::Onion,
            _ => peer_addr.get_network(),
        };
        let mut local = s
            .local
            .best_for(&peer_addr, peer_net)
            .unwrap_or_else(|| addrman::Service::new(addrman::NetAddr::default(), o.listen_port));
        // With discovery on, sometimes trust the address the peer says it sees us at:
        // it may know better than we do.
        let seen = lock(&node.facts)
            .addr_local
            .map(|a| crate::outbound::service_of(&a));
        if let Some(seen) = seen {
            let good = o.discover
                && peer_addr.is_routable()
                && seen.addr.is_routable()
                && o.reachable.contains(&seen.addr.get_network());
            let bits = if s.local.score(&local.addr) > crate::local::LOCAL_MANUAL {
                3
            } else {
                1
            };
            let coin = common::random::salt()[0] & ((1u8 << bits) - 1) == 0;
            if good && (!local.addr.is_routable() || coin) {
                local = if node.conn.conn_type.is_inbound() {
                    seen
                } else {
                    addrman::Service::new(seen.addr, local.port)
                };
            }
        }
        if !local.addr.is_routable() {
            return None;
        }
        log_debug!(
            Category::Net,
            "Advertising address {} to peer={}",
            local.to_string_addr_port(),
            peer
        );
        Some(local)
    }

    fn evict_tx_peer_if_full(&self, protect: Option<NodeId>) -> bool {
        let s = &self.shared;
        let relaying = lock(&s.nodes)
            .iter()
            .filter(|n| {
                !n.is_disconnecting() && n.conn.conn_type.is_inbound() && lock(&n.facts).relays_txs
            })
            .count();
        let max = s
            .slots
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .max_inbound_full_relay;
        if relaying > max {
            return crate::socket::attempt_to_evict_connection(s, protect, true);
        }
        true
    }

    fn is_reachable(&self, net: addrman::Network) -> bool {
        self.shared.opts().reachable.contains(&net)
    }

    fn use_addrman_outgoing(&self) -> bool {
        let o = self.shared.opts();
        o.use_addrman_outgoing && o.addrman.is_some()
    }

    fn extra_full_outbound_count(&self) -> usize {
        let (full, _) = self.shared.outbound_limits();
        self.shared
            .extra_count(ConnectionType::OutboundFullRelay, full)
    }

    fn extra_block_relay_count(&self) -> usize {
        let (_, block) = self.shared.outbound_limits();
        self.shared.extra_count(ConnectionType::BlockRelay, block)
    }

    fn local_services(&self) -> u64 {
        self.shared.opts().local_services
    }

    fn network_active(&self) -> bool {
        self.get_network_active()
    }

    fn discourage(&self, addr: &SocketAddr) {
        if let Some(b) = &self.shared.opts().ban_check {
            b.discourage(addr);
        }
        for n in lock(&self.shared.nodes).iter() {
            if n.conn.addr.ip() == addr.ip() {
                n.mark_disconnect();
            }
        }
    }

    fn wake_message_handler(&self) {
        self.shared.wake_message_handler();
    }

    fn is_banned_or_discouraged(&self, addr: &SocketAddr) -> bool {
        self.shared
            .opts()
            .ban_check
            .as_ref()
            .is_some_and(|b| b.is_banned(addr) || b.is_discouraged(addr))
    }

    fn set_last_tx_time(&self, peer: NodeId, time: i64) {
        self.with_facts(peer, |f| f.last_tx_time = time);
    }

    fn set_last_block_time(&self, peer: NodeId, time: i64) {
        self.with_facts(peer, |f| f.last_block_time = time);
    }

    fn set_time_offset(&self, peer: NodeId, offset: i64) {
        self.with_facts(peer, |f| f.time_offset = offset);
    }

    fn set_ping_time(&self, peer: NodeId, micros: i64) {
        self.with_facts(peer, |f| {
            f.last_ping_us = Some(micros);
            f.min_ping_us = Some(f.min_ping_us.map_or(micros, |m| m.min(micros)));
        });
    }

    fn set_addr_local(&self, peer: NodeId, addr: SocketAddr) {
        self.with_facts(peer, |f| {
            // Set once, from the peer's `version`, as Core does.
            if f.addr_local.is_none() {
                f.addr_local = Some(addr);
            }
        });
    }

    fn set_relay_facts(
        &self,
        peer: NodeId,
        relays_txs: bool,
        bloom_filter_loaded: bool,
        has_all_wanted_services: bool,
    ) {
        self.with_facts(peer, |f| {
            f.relays_txs = relays_txs;
            f.bloom_filter_loaded = bloom_filter_loaded;
            f.has_all_wanted_services = has_all_wanted_services;
        });
    }

    fn set_bip152_high_bandwidth(&self, peer: NodeId, to: bool, from: bool) {
        self.with_facts(peer, |f| {
            f.bip152_hb_to = to;
            f.bip152_hb_from = from;
        });
    }
}

/// Wait helper used by tests: polls `f` every 10 ms for up to `timeout`.
#[doc(hidden)]
pub fn wait_until(timeout: Duration, mut f: impl FnMut() -> bool) -> bool {
    let deadline = std::time::Instant::now() + timeout;
    while std::time::Instant::now() < deadline {
        if f() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    f()
}
