//! The `net` thread (Core's `ThreadSocketHandler`): accepts inbound connections, reads
//! and writes every connection, drops dead ones.
//!
//! One thread drives all sockets with non-blocking I/O and poll(2), as Core does,
//! rather than a thread (or task) per connection: flow control (`fPauseRecv` /
//! `fPauseSend`), the send-before-receive rule and disconnect handling then live in one
//! loop with no cross-thread hand-offs, and the thread count stays fixed however many
//! peers connect.

use std::io::{self, Read};
use std::net::{SocketAddr, TcpStream};
use std::os::fd::AsRawFd;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use common::logging::Category;
use common::{log_debug, log_info, log_warning};

use crate::connman::{Reconnection, Shared};
use crate::eviction::{self, EvictionCandidate};
use crate::netaddr::{self, Network};
use crate::node::{Node, NodeInit, NodeIo, MSG_TYPE_OTHER};
use crate::options::TIMEOUT_INTERVAL;
use crate::permissions;
use crate::sync::lock;
use crate::transport::TransportProtocol;
use crate::types::{ConnectionType, NetPermissions, PeerConn};

/// How long one poll waits (`SELECT_TIMEOUT_MILLISECONDS`).
const SELECT_TIMEOUT: Duration = Duration::from_millis(50);

fn would_block(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::WouldBlock | io::ErrorKind::Interrupted
    ) || e.raw_os_error() == Some(libc::EINPROGRESS)
        || e.raw_os_error() == Some(libc::EMSGSIZE)
}

/// Whether the transport would take a new message now: nothing pending and ready for
/// the next one. The trait takes the payload by value, so asking blindly would lose it.
fn transport_ready(io: &NodeIo) -> bool {
    let b = io.transport.bytes_to_send(true);
    b.bytes.is_empty() && b.more
}

/// Sends what `node` has queued until the socket would block (`SocketSendData`):
/// returns the bytes sent and whether some are left.
pub(crate) fn send_data(s: &Shared, node: &Node, io: &mut NodeIo) -> (usize, bool) {
    let mut sent_total = 0usize;
    let mut data_left;
    let Some(sock) = node.sock() else {
        return (0, !io.send_queue.is_empty());
    };
    loop {
        if !io.send_queue.is_empty() && transport_ready(io) {
            if let Some((cmd, payload)) = io.send_queue.pop_front() {
                io.send_memusage = io
                    .send_memusage
                    .saturating_sub(crate::node::message_memory(&cmd, payload.capacity()));
                if !io.transport.set_message_to_send(&cmd, payload) {
                    log_debug!(
                        Category::Net,
                        "transport refused message {} for {}",
                        cmd,
                        node.log_peer()
                    );
                }
            }
        }
        let have_next = !io.send_queue.is_empty();
        let b = io.transport.bytes_to_send(have_next);
        data_left = !b.bytes.is_empty();
        if b.bytes.is_empty() {
            break;
        }
        let mut flags = libc::MSG_NOSIGNAL | libc::MSG_DONTWAIT;
        if b.more {
            flags |= libc::MSG_MORE;
        }
        let len = b.bytes.len();
        // SAFETY: sending from a live slice on a socket we hold an Arc to.
        let n = unsafe {
            libc::send(
                sock.as_raw_fd(),
                b.bytes.as_ptr() as *const libc::c_void,
                len,
                flags,
            )
        };
        if n > 0 {
            let n = n as usize;
            let command = b.command.to_string();
            node.last_send.store(s.now(), Ordering::Relaxed);
            io.bytes_sent += n as u64;
            if io.transport.v2_handshake_not_started() {
                common::log_debug!(
                    common::logging::Category::Net,
                    "start sending v2 handshake to peer={}",
                    node.id()
                );
            }
            io.transport.mark_bytes_sent(n);
            // Handshake bytes carry no command and are not counted per message, as Core.
            if !command.is_empty() {
                *io.sent_per_msg.entry(command).or_insert(0) += n as u64;
            }
            sent_total += n;
            if n != len {
                break;
            }
        } else {
            if n < 0 {
                let e = io::Error::last_os_error();
                if !would_block(&e) {
                    log_debug!(
                        Category::Net,
                        "socket send error, {}: {}",
                        node.disconnect_msg(),
                        crate::listen::network_error_string(&e)
                    );
                    node.close_socket();
                }
            }
            break;
        }
    }
    let max_send = s.opts().max_send_buffer;
    node.pause_send.store(
        io.send_memusage + io.transport.send_memory_usage() > max_send,
        Ordering::SeqCst,
    );
    (sent_total, data_left)
}

/// Feeds received bytes to the transport, counting them per message type
/// (`ReceiveMsgBytes`). False means the transport wants the peer gone.
fn receive_msg_bytes(
    s: &Shared,
    node: &Node,
    mut bytes: &[u8],
) -> (bool, Vec<crate::transport::ReceivedMessage>) {
    let mut io = lock(&node.io);
    node.last_recv.store(s.now(), Ordering::Relaxed);
    io.bytes_recv += bytes.len() as u64;
    let mut complete = Vec::new();
    while !bytes.is_empty() {
        if let Err(e) = io.transport.received_bytes(&mut bytes) {
            // The transport's text is Core's transport log line, which names the peer.
            log_debug!(Category::Net, "{}, peer={}", e, node.id());
            return (false, complete);
        }
        if io.transport.received_message_complete() {
            match io.transport.get_received_message() {
                Ok(msg) => {
                    let key = if io.recv_per_msg.contains_key(&msg.command) {
                        msg.command.clone()
                    } else {
                        MSG_TYPE_OTHER.to_string()
                    };
                    *io.recv_per_msg.entry(key).or_insert(0) += msg.raw_size as u64;
                    complete.push(msg);
                }
                Err(rejected) => {
                    log_debug!(Category::Net, "{}, peer={}", rejected, node.id());
                    *io.recv_per_msg
                        .entry(MSG_TYPE_OTHER.to_string())
                        .or_insert(0) += rejected.raw_size as u64;
                }
            }
        }
    }
    (true, complete)
}

/// Whether `node` should be dropped for silence (`InactivityCheck`).
fn inactivity_check(s: &Shared, node: &Node, now: i64) -> bool {
    let timeout = s.opts().peer_connect_timeout;
    if node.conn.connected + timeout >= now {
        return false;
    }
    let last_send = node.last_send.load(Ordering::Relaxed);
    let last_recv = node.last_recv.load(Ordering::Relaxed);
    if last_recv == 0 || last_send == 0 {
        let mut never = String::new();
        if last_recv == 0 {
            never.push_str(", never received from peer");
        }
        if last_send == 0 {
            never.push_str(", never sent to peer");
        }
        log_debug!(
            Category::Net,
            "socket no message in first {} seconds{}, {}",
            timeout,
            never,
            node.disconnect_msg()
        );
        return true;
    }
    if now > last_send + TIMEOUT_INTERVAL {
        log_debug!(
            Category::Net,
            "socket sending timeout: {}s, {}",
            now - last_send,
            node.disconnect_msg()
        );
        return true;
    }
    if now > last_recv + TIMEOUT_INTERVAL {
        log_debug!(
            Category::Net,
            "socket receive timeout: {}s, {}",
            now - last_recv,
            node.disconnect_msg()
        );
        return true;
    }
    if !lock(&node.facts).successfully_connected {
        if lock(&node.io).transport.info().protocol == TransportProtocol::Detecting {
            log_debug!(
                Category::Net,
                "V2 handshake timeout, {}",
                node.disconnect_msg()
            );
        } else {
            log_debug!(
                Category::Net,
                "version handshake timeout, {}",
                node.disconnect_msg()
            );
        }
        return true;
    }
    false
}

/// Removes connections marked for disconnection, queueing a v1 retry for failed v2
/// attempts, and tells the peer logic about connections no thread still uses
/// (`DisconnectNodes`).
fn disconnect_nodes(s: &Shared) {
    let mut reconnect = Vec::new();
    {
        let mut nodes = lock(&s.nodes);
        let active = s.network_active.load(Ordering::SeqCst);
        if !active {
            for n in nodes.iter().filter(|n| !n.is_disconnecting()) {
                log_debug!(Category::Net, "Network not active, {}", n.disconnect_msg());
                n.mark_disconnect();
            }
        }
        let (gone, kept): (Vec<_>, Vec<_>) = nodes.drain(..).partition(|n| n.is_disconnecting());
        *nodes = kept;
        drop(nodes);
        for n in gone {
            if active && lock(&n.io).transport.should_reconnect_v1() {
                reconnect.push(Reconnection {
                    addr: n.conn.addr,
                    dest: n.dest.clone(),
                    conn_type: n.conn.conn_type,
                    grant: lock(&n.grant).take(),
                });
                log_debug!(
                    Category::Net,
                    "retrying with v1 transport protocol for peer={}",
                    n.id()
                );
            }
            lock(&n.grant).take();
            n.close_socket();
            lock(&s.disconnected).push(n);
        }
    }
    let finished: Vec<Arc<Node>> = {
        let mut d = lock(&s.disconnected);
        let (done, wait): (Vec<_>, Vec<_>) = d.drain(..).partition(|n| Arc::strong_count(n) == 1);
        *d = wait;
        done
    };
    if !finished.is_empty() {
        if let Some(ev) = s.events() {
            for n in finished {
                ev.finalize_node(n.id());
            }
        }
    }
    if !reconnect.is_empty() {
        lock(&s.reconnections).extend(reconnect);
    }
}

/// Picks an inbound connection to drop for a newcomer and marks it; with
/// `tx_relay_only`, only among peers that relay transactions
/// (`AttemptToEvictConnection`).
pub(crate) fn attempt_to_evict_connection(
    s: &Shared,
    protect: Option<i64>,
    tx_relay_only: bool,
) -> bool {
    let candidates: Vec<EvictionCandidate> = lock(&s.nodes)
        .iter()
        .filter(|n| !n.is_disconnecting() && Some(n.id()) != protect)
        .filter(|n| !tx_relay_only || lock(&n.facts).relays_txs)
        .map(|n| {
            let f = lock(&n.facts);
            EvictionCandidate {
                id: n.id(),
                connected: n.conn.connected,
                min_ping_us: f.min_ping_us.unwrap_or(i64::MAX),
                last_block_time: f.last_block_time,
                last_tx_time: f.last_tx_time,
                relevant_services: f.has_all_wanted_services,
                relay_txs: f.relays_txs,
                bloom_filter: f.bloom_filter_loaded,
                keyed_netgroup: n.keyed_netgroup,
                prefer_evict: n.prefer_evict,
                is_local: netaddr::is_local(n.conn.addr.ip()),
                network: n.network,
                noban: n.conn.permissions.has(NetPermissions::NOBAN),
                conn_type: n.conn.conn_type,
            }
        })
        .collect();
    let Some(victim) = eviction::select_node_to_evict(candidates) else {
        return false;
    };
    match s.find(victim) {
        Some(n) => {
            log_debug!(
                Category::Net,
                "selected {} connection for eviction, {}",
                n.conn.conn_type.as_str(),
                n.disconnect_msg()
            );
            n.mark_disconnect();
            true
        }
        None => false,
    }
}

/// Takes an accepted socket on (`CreateNodeFromAcceptedSocket`).
fn create_node_from_accepted(
    s: &Shared,
    sock: TcpStream,
    mut permissions: NetPermissions,
    addr_bind: SocketAddr,
    addr: SocketAddr,
    onion: bool,
) {
    let o = s.opts();
    permissions::apply_whitelist(
        &mut permissions,
        if onion { None } else { Some(addr.ip()) },
        &o.whitelist_incoming,
        o.whitelist_relay,
        o.whitelist_forcerelay,
    );
    let inbound = s.get_node_count(crate::types::ConnectionDirection::In);
    if !s.network_active.load(Ordering::SeqCst) {
        log_debug!(
            Category::Net,
            "connection from {} dropped: not accepting new connections",
            addr
        );
        return;
    }
    if sock.set_nodelay(true).is_err() {
        log_debug!(
            Category::Net,
            "connection from {}: unable to set TCP_NODELAY, continuing anyway",
            addr
        );
    }
    let noban = permissions.has(NetPermissions::NOBAN);
    let banned = o.ban_check.as_ref().is_some_and(|b| b.is_banned(&addr));
    if !noban && banned {
        log_debug!(Category::Net, "connection from {} dropped (banned)", addr);
        return;
    }
    let max_inbound = s.max_inbound();
    let discouraged = o
        .ban_check
        .as_ref()
        .is_some_and(|b| b.is_discouraged(&addr));
    if !noban && inbound + 1 >= max_inbound && discouraged {
        log_debug!(
            Category::Net,
            "connection from {} dropped (discouraged)",
            addr
        );
        return;
    }
    if inbound >= max_inbound && !attempt_to_evict_connection(s, None, false) {
        log_debug!(
            Category::Net,
            "failed to find an eviction candidate - connection dropped (full)"
        );
        return;
    }
    if sock.set_nonblocking(true).is_err() {
        log_info!("connection from {} dropped: non-selectable socket", addr);
        return;
    }
    let id = s.new_node_id();
    // The v2 responder falls back to v1 by itself, so use it whenever we offer v2.
    let use_v2 = s.use_v2();
    let conn = PeerConn {
        id,
        addr,
        addr_bind: Some(addr_bind),
        addr_name: addr.to_string(),
        conn_type: ConnectionType::Inbound,
        permissions,
        local_nonce: s.local_nonce(id),
        connected: s.now(),
        v2: use_v2,
    };
    let node = Arc::new(Node::new(NodeInit {
        conn,
        dest: String::new(),
        network: if onion {
            Network::Onion
        } else {
            netaddr::net_class(addr.ip())
        },
        keyed_netgroup: s.keyed_netgroup(addr.ip()),
        prefer_evict: discouraged,
        sock,
        transport: crate::threads::new_transport(&o, id, use_v2, false),
        grant: None,
    }));
    crate::threads::add_and_initialize(s, &node);
    log_debug!(Category::Net, "connection from {} accepted", addr);
}

fn accept_connections(s: &Shared, ready: &[usize]) {
    let listeners: Vec<_> = {
        let l = lock(&s.listeners);
        ready
            .iter()
            .filter_map(|i| l.get(*i))
            .map(|l| (l.sock.clone(), l.permissions, l.onion))
            .collect()
    };
    for (sock, perms, onion) in listeners {
        if s.interrupt_net.is_set() {
            return;
        }
        match sock.accept() {
            Ok((stream, addr)) => {
                let addr = netaddr::canonical(addr);
                let bind = match stream.local_addr() {
                    Ok(b) => netaddr::canonical(b),
                    Err(_) => {
                        log_warning!("Unknown socket family");
                        continue;
                    }
                };
                create_node_from_accepted(s, stream, perms, bind, addr, onion);
            }
            Err(e) if would_block(&e) => {}
            Err(e) => log_info!(
                "socket error accept failed: {}",
                crate::listen::network_error_string(&e)
            ),
        }
    }
}

/// One round: poll every socket, service the ready ones, accept newcomers
/// (`SocketHandler`).
fn socket_handler(s: &Shared) {
    let nodes: Vec<Arc<Node>> = lock(&s.nodes).clone();
    let n_listen = lock(&s.listeners).len();
    let mut fds: Vec<libc::pollfd> = Vec::with_capacity(n_listen + nodes.len());
    {
        let l = lock(&s.listeners);
        for listener in l.iter() {
            fds.push(libc::pollfd {
                fd: listener.sock.as_raw_fd(),
                events: libc::POLLIN,
                revents: 0,
            });
        }
    }
    // The sockets polled, kept alive until the poll's answers have been used.
    let mut polled: Vec<(Arc<Node>, Arc<TcpStream>)> = Vec::new();
    for n in &nodes {
        let want_recv = !n.pause_recv.load(Ordering::SeqCst);
        let want_send = {
            let io = lock(&n.io);
            let b = io.transport.bytes_to_send(!io.send_queue.is_empty());
            !b.bytes.is_empty() || b.more
        };
        if !want_recv && !want_send {
            continue;
        }
        if let Some(sock) = n.sock() {
            let mut events = 0;
            if want_recv {
                events |= libc::POLLIN;
            }
            if want_send {
                events |= libc::POLLOUT;
            }
            fds.push(libc::pollfd {
                fd: sock.as_raw_fd(),
                events,
                revents: 0,
            });
            polled.push((n.clone(), sock));
        }
    }
    let ready = if fds.is_empty() {
        false
    } else {
        // SAFETY: `fds` is a live array of pollfd for sockets kept open by `polled` and
        // the listener list.
        let r = unsafe {
            libc::poll(
                fds.as_mut_ptr(),
                fds.len() as libc::nfds_t,
                SELECT_TIMEOUT.as_millis() as libc::c_int,
            )
        };
        r >= 0
    };
    if !ready {
        if !s.interrupt_net.sleep_for(SELECT_TIMEOUT) {
            return;
        }
        for f in fds.iter_mut() {
            f.revents = 0;
        }
    }
    let now = s.now();
    for (i, (node, _sock)) in polled.iter().enumerate() {
        if s.interrupt_net.is_set() {
            return;
        }
        let rev = fds[n_listen + i].revents;
        let mut recv_set = rev & libc::POLLIN != 0;
        let send_set = rev & libc::POLLOUT != 0;
        let error_set = rev & (libc::POLLERR | libc::POLLHUP) != 0;
        service_node(s, node, &mut recv_set, send_set, error_set);
    }
    // Every connection, polled or not, is checked for silence.
    for node in &nodes {
        if inactivity_check(s, node, now) {
            node.mark_disconnect();
        }
    }
    let ready_listeners: Vec<usize> = (0..n_listen)
        .filter(|i| fds[*i].revents & libc::POLLIN != 0)
        .collect();
    if !ready_listeners.is_empty() {
        accept_connections(s, &ready_listeners);
    }
}

/// Sends then receives on one connection (`SocketHandlerConnected`).
fn service_node(
    s: &Shared,
    node: &Arc<Node>,
    recv_set: &mut bool,
    send_set: bool,
    error_set: bool,
) {
    if send_set {
        let (sent, data_left) = {
            let mut io = lock(&node.io);
            send_data(s, node, &mut io)
        };
        if sent > 0 {
            s.record_bytes_sent(sent as u64);
            // A slow reader gets no more of our buffer until it drains what we sent
            // (TCP flow control), but only after progress so both sides cannot stall.
            if data_left {
                *recv_set = false;
            }
        }
    }
    if !(*recv_set || error_set) {
        return;
    }
    let Some(sock) = node.sock() else {
        return;
    };
    let mut buf = [0u8; 0x10000];
    match (&*sock).read(&mut buf) {
        Ok(0) => {
            if !node.is_disconnecting() {
                log_debug!(Category::Net, "socket closed, {}", node.disconnect_msg());
            }
            node.close_socket();
        }
        Ok(n) => {
            let (ok, msgs) = receive_msg_bytes(s, node, &buf[..n]);
            if !ok {
                log_debug!(
                    Category::Net,
                    "receiving message bytes failed, {}",
                    node.disconnect_msg()
                );
                node.close_socket();
            }
            s.record_bytes_recv(n as u64);
            if !msgs.is_empty() {
                node.mark_received_for_processing(msgs, s.opts().max_receive_buffer);
                s.wake_message_handler();
            }
        }
        Err(e) if would_block(&e) => {}
        Err(e) => {
            if !node.is_disconnecting() {
                log_debug!(
                    Category::Net,
                    "socket recv error, {}: {}",
                    node.disconnect_msg(),
                    crate::listen::network_error_string(&e)
                );
            }
            node.close_socket();
        }
    }
}

/// The `net` thread's loop.
pub(crate) fn thread_socket_handler(s: Arc<Shared>) {
    while !s.interrupt_net.is_set() {
        disconnect_nodes(&s);
        socket_handler(&s);
    }
}
