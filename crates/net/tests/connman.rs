//! The connection manager over real loopback sockets: two managers talking, limits,
//! disconnects and misbehaving clients.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use net::{
    wait_until, ConnectionDirection, ConnectionType, Connections, Connman, ConnmanOptions,
    NetEvents, NetParams, NodeId, PeerConn,
};

const WAIT: Duration = Duration::from_secs(10);

/// Peer logic for tests: records what arrives, answers `ping` with `pong`, and can hold
/// messages unprocessed.
struct Echo {
    connman: Connman,
    received: Mutex<Vec<(NodeId, String, Vec<u8>)>>,
    initialized: Mutex<Vec<NodeId>>,
    finalized: Mutex<Vec<NodeId>>,
    hold: AtomicBool,
}

impl Echo {
    fn new(connman: &Connman) -> Arc<Echo> {
        Arc::new(Echo {
            connman: connman.clone(),
            received: Mutex::new(Vec::new()),
            initialized: Mutex::new(Vec::new()),
            finalized: Mutex::new(Vec::new()),
            hold: AtomicBool::new(false),
        })
    }

    fn count(&self, command: &str) -> usize {
        self.received
            .lock()
            .expect("lock")
            .iter()
            .filter(|(_, c, _)| c == command)
            .count()
    }
}

impl NetEvents for Echo {
    fn initialize_node(&self, conn: &PeerConn) {
        self.initialized.lock().expect("lock").push(conn.id);
    }

    fn finalize_node(&self, peer: NodeId) {
        self.finalized.lock().expect("lock").push(peer);
    }

    fn has_all_desirable_service_flags(&self, _services: u64) -> bool {
        true
    }

    fn process_messages(&self, peer: NodeId) -> bool {
        if self.hold.load(Ordering::SeqCst) {
            return false;
        }
        let Some((msg, more)) = self.connman.poll_message(peer) else {
            return false;
        };
        if msg.command == "ping" {
            self.connman.push_message(peer, "pong", msg.payload.clone());
        }
        self.received
            .lock()
            .expect("lock")
            .push((peer, msg.command, msg.payload));
        more
    }

    fn send_messages(&self, _peer: NodeId) {}
}

fn regtest() -> NetParams {
    NetParams::for_chain(common::ChainType::Regtest)
}

/// Options listening on one free loopback port, no default binds.
fn listening(v2: bool) -> ConnmanOptions {
    ConnmanOptions {
        params: regtest(),
        local_services: if v2 { net::options::NODE_P2P_V2 } else { 0 },
        listen: true,
        binds: vec!["127.0.0.1:0".parse().expect("addr")],
        bind_on_any: false,
        ..ConnmanOptions::default()
    }
}

fn not_listening(v2: bool) -> ConnmanOptions {
    ConnmanOptions {
        listen: false,
        ..listening(v2)
    }
}

struct Running {
    connman: Connman,
    events: Arc<Echo>,
}

impl Running {
    fn start(options: ConnmanOptions) -> Running {
        let connman = Connman::new();
        let events = Echo::new(&connman);
        connman.start(options, events.clone()).expect("starts");
        Running { connman, events }
    }

    fn addr(&self) -> SocketAddr {
        self.connman.listen_addrs()[0]
    }

    fn only_peer(&self) -> NodeId {
        assert!(
            wait_until(WAIT, || self.connman.peer_ids().len() == 1),
            "one peer expected"
        );
        self.connman.peer_ids()[0]
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        self.connman.stop();
    }
}

fn v1_frame(magic: [u8; 4], command: &str, payload: &[u8]) -> Vec<u8> {
    use bitcoin::hashes::{sha256d, Hash};
    let mut v = magic.to_vec();
    let mut cmd = [0u8; 12];
    cmd[..command.len()].copy_from_slice(command.as_bytes());
    v.extend_from_slice(&cmd);
    v.extend_from_slice(&(payload.len() as u32).to_le_bytes());
    v.extend_from_slice(&sha256d::Hash::hash(payload).as_byte_array()[..4]);
    v.extend_from_slice(payload);
    v
}

/// Whether the server closed `s` (EOF or reset) within the wait.
fn closed_by_peer(s: &mut TcpStream) -> bool {
    s.set_read_timeout(Some(WAIT)).expect("timeout");
    let mut buf = [0u8; 256];
    loop {
        match s.read(&mut buf) {
            Ok(0) => return true,
            Ok(_) => continue,
            Err(e) => {
                return e.kind() != std::io::ErrorKind::WouldBlock
                    && e.kind() != std::io::ErrorKind::TimedOut
            }
        }
    }
}

#[test]
fn two_managers_exchange_messages_over_v1_and_count_bytes() {
    let a = Running::start(listening(false));
    let b = Running::start(not_listening(false));
    assert!(b.connman.connect_onetry(&a.addr().to_string(), false));
    let to_a = b.only_peer();
    let from_b = a.only_peer();

    b.connman
        .push_message(to_a, "ping", 7u64.to_le_bytes().to_vec());
    assert!(wait_until(WAIT, || b.events.count("pong") == 1));
    assert_eq!(a.events.count("ping"), 1);

    let sb = &b.connman.node_stats()[0];
    assert_eq!(sb.connection_type, "manual");
    assert!(!sb.inbound);
    assert_eq!(sb.transport_protocol_type, "v1");
    assert_eq!(sb.bytes_sent_per_msg.get("ping"), Some(&32));
    assert!(wait_until(WAIT, || b.connman.node_stats()[0]
        .bytes_recv_per_msg
        .get("pong")
        == Some(&32)));
    assert_eq!(sb.network, "not_publicly_routable");
    assert_eq!(sb.addr, a.addr());

    let sa = &a.connman.node_stats()[0];
    assert_eq!(sa.id, from_b);
    assert!(sa.inbound);
    assert_eq!(sa.connection_type, "inbound");
    assert_eq!(sa.bytes_recv_per_msg.get("ping"), Some(&32));
    assert_eq!(sa.bytes_sent_per_msg.get("pong"), Some(&32));
    assert!(sa.last_recv > 0 && sa.last_send > 0);
    assert_eq!(a.connman.get_total_bytes_recv(), 32);
    assert_eq!(a.connman.get_total_bytes_sent(), 32);
    assert_eq!(a.connman.get_node_count(ConnectionDirection::In), 1);
    assert_eq!(a.connman.get_node_count(ConnectionDirection::Out), 0);
    assert_eq!(b.connman.get_node_count(ConnectionDirection::Both), 1);

    // A second onetry to the same name is refused: already connected.
    assert!(!b.connman.connect_onetry(&a.addr().to_string(), false));
}

#[test]
fn unknown_message_types_count_as_other() {
    let a = Running::start(listening(false));
    let mut raw = TcpStream::connect(a.addr()).expect("connects");
    let peer = a.only_peer();
    raw.write_all(&v1_frame(regtest().magic, "madeup", &[1, 2, 3]))
        .expect("writes");
    raw.write_all(&v1_frame(regtest().magic, "ping", &[0; 8]))
        .expect("writes");
    assert!(wait_until(WAIT, || a.events.count("ping") == 1));
    let s = a
        .connman
        .node_stats()
        .into_iter()
        .find(|s| s.id == peer)
        .expect("stats");
    assert_eq!(s.bytes_recv_per_msg.get("*other*"), Some(&27));
    assert_eq!(s.bytes_recv_per_msg.get("ping"), Some(&32));
    assert!(!s.bytes_recv_per_msg.contains_key("madeup"));
    // The peer logic still sees the message under its own name.
    assert_eq!(a.events.count("madeup"), 1);
}

#[test]
fn disconnect_closes_both_ends_and_finalizes() {
    let a = Running::start(listening(false));
    let b = Running::start(not_listening(false));
    assert!(b.connman.connect_onetry(&a.addr().to_string(), false));
    let to_a = b.only_peer();
    let from_b = a.only_peer();
    assert!(b.connman.disconnect_node_by_id(to_a));
    assert!(wait_until(WAIT, || b.connman.peer_ids().is_empty()));
    assert!(wait_until(WAIT, || a.connman.peer_ids().is_empty()));
    assert!(wait_until(WAIT, || b
        .events
        .finalized
        .lock()
        .expect("lock")
        .contains(&to_a)));
    assert!(wait_until(WAIT, || a
        .events
        .finalized
        .lock()
        .expect("lock")
        .contains(&from_b)));
    assert!(!b.connman.disconnect_node_by_id(to_a));
}

#[test]
fn disconnect_by_name_and_network_inactive() {
    let a = Running::start(listening(false));
    let b = Running::start(not_listening(false));
    let name = a.addr().to_string();
    assert!(b.connman.connect_onetry(&name, false));
    b.only_peer();
    assert!(b.connman.disconnect_node_by_name(&name));
    assert!(wait_until(WAIT, || b.connman.peer_ids().is_empty()));

    assert!(b.connman.connect_onetry(&name, false));
    a.only_peer();
    a.connman.set_network_active(false);
    assert!(wait_until(WAIT, || a.connman.peer_ids().is_empty()));
    assert!(wait_until(WAIT, || b.connman.peer_ids().is_empty()));
    // Inactive: new connections are refused.
    let mut raw = TcpStream::connect(a.addr()).expect("tcp accepts");
    assert!(closed_by_peer(&mut raw));
    a.connman.set_network_active(true);
    assert!(a.connman.get_network_active());
}

#[test]
fn full_inbound_slots_refuse_without_a_candidate() {
    // 12 connections leave 1 inbound slot after the 11 automatic outbound ones.
    let a = Running::start(ConnmanOptions {
        max_connections: 12,
        ..listening(false)
    });
    assert_eq!(a.connman.max_inbound(), 1);
    let _first = TcpStream::connect(a.addr()).expect("connects");
    a.only_peer();
    let mut second = TcpStream::connect(a.addr()).expect("tcp accepts");
    assert!(closed_by_peer(&mut second));
    assert_eq!(a.connman.get_node_count(ConnectionDirection::In), 1);
}

#[test]
fn full_inbound_slots_evict_one_peer() {
    let slots = 30;
    let a = Running::start(ConnmanOptions {
        max_connections: 11 + slots,
        ..listening(false)
    });
    let mut clients: Vec<TcpStream> = (0..slots)
        .map(|_| TcpStream::connect(a.addr()).expect("connects"))
        .collect();
    assert!(wait_until(WAIT, || a.connman.peer_ids().len() == slots));
    let before: Vec<NodeId> = a.connman.peer_ids();
    let _newcomer = TcpStream::connect(a.addr()).expect("connects");
    assert!(wait_until(WAIT, || {
        let now = a.connman.peer_ids();
        now.len() == slots && now.iter().any(|id| !before.contains(id))
    }));
    // Exactly one of the old clients was dropped.
    let mut dropped = 0;
    for c in clients.iter_mut() {
        c.set_nonblocking(true).expect("nonblocking");
        let mut buf = [0u8; 1];
        let gone = wait_until(Duration::from_millis(200), || match c.read(&mut buf) {
            Ok(0) => true,
            Ok(_) => false,
            Err(e) => e.kind() != std::io::ErrorKind::WouldBlock,
        });
        if gone {
            dropped += 1;
        }
    }
    assert_eq!(dropped, 1);
}

#[test]
fn receive_buffer_limit_pauses_reading() {
    let a = Running::start(ConnmanOptions {
        max_receive_buffer: 10_000,
        ..listening(false)
    });
    a.events.hold.store(true, Ordering::SeqCst);
    let b = Running::start(not_listening(false));
    assert!(b.connman.connect_onetry(&a.addr().to_string(), false));
    let to_a = b.only_peer();
    let from_b = a.only_peer();
    for _ in 0..20 {
        b.connman.push_message(to_a, "tx", vec![0u8; 2000]);
    }
    assert!(wait_until(WAIT, || a.connman.receive_paused(from_b)));
    a.events.hold.store(false, Ordering::SeqCst);
    assert!(wait_until(WAIT, || a.events.count("tx") == 20));
    assert!(!a.connman.receive_paused(from_b));
}

#[test]
fn garbage_sender_is_dropped_while_others_keep_working() {
    let a = Running::start(listening(false));
    let b = Running::start(not_listening(false));
    assert!(b.connman.connect_onetry(&a.addr().to_string(), false));
    let to_a = b.only_peer();

    let mut junk = TcpStream::connect(a.addr()).expect("connects");
    assert!(wait_until(WAIT, || a.connman.peer_ids().len() == 2));
    junk.write_all(&[0x55u8; 100]).expect("writes");
    assert!(closed_by_peer(&mut junk));
    assert!(wait_until(WAIT, || a.connman.peer_ids().len() == 1));

    b.connman.push_message(to_a, "ping", vec![1; 8]);
    assert!(wait_until(WAIT, || b.events.count("pong") == 1));
}

#[test]
fn addnode_connects_and_onetry_opens_once() {
    let a = Running::start(listening(false));
    let b = Running::start(not_listening(false));
    let name = a.addr().to_string();
    assert!(b.connman.add_node(&name, false));
    assert!(!b.connman.add_node(&name, false), "duplicates are refused");
    // The addcon thread retries every 2 s while it has nothing to try.
    assert!(wait_until(WAIT, || b.connman.peer_ids().len() == 1));
    let info = b.connman.get_added_node_info(true);
    assert_eq!(info.len(), 1);
    assert!(info[0].connected && !info[0].inbound);
    assert_eq!(info[0].resolved_address, Some(a.addr()));
    assert!(b.connman.get_added_node_info(false).is_empty());
    assert!(b.connman.remove_added_node(&name));
    assert!(!b.connman.remove_added_node(&name));

    // A onetry connection is made once and not reopened after a disconnect.
    let c = Running::start(not_listening(false));
    assert!(c.connman.connect_onetry(&name, false));
    let id = c.only_peer();
    c.connman.disconnect_node_by_id(id);
    assert!(wait_until(WAIT, || c.connman.peer_ids().is_empty()));
    std::thread::sleep(Duration::from_millis(700));
    assert!(c.connman.peer_ids().is_empty());
}

#[test]
fn connect_option_keeps_reconnecting() {
    let a = Running::start(listening(false));
    let b = Running::start(ConnmanOptions {
        connect: vec![a.addr().to_string()],
        ..not_listening(false)
    });
    let first = a.only_peer();
    assert!(a.connman.disconnect_node_by_id(first));
    assert!(wait_until(WAIT, || a
        .connman
        .peer_ids()
        .iter()
        .any(|id| *id != first)));
    assert_eq!(b.connman.node_stats()[0].connection_type, "manual");
}

#[test]
fn own_version_nonce_is_recognized() {
    let a = Running::start(listening(false));
    let b = Running::start(not_listening(false));
    assert!(b.connman.connect_onetry(&a.addr().to_string(), false));
    let id = b.only_peer();
    let nonce = b.connman.conn(id).expect("conn").local_nonce;
    assert!(!b.connman.check_incoming_nonce(nonce));
    assert!(b.connman.check_incoming_nonce(nonce.wrapping_add(1)));
    b.connman.set_handshake_done(id, 70016, "/test/");
    assert!(b.connman.check_incoming_nonce(nonce));
    let s = &b.connman.node_stats()[0];
    assert_eq!((s.version, s.subver.as_str()), (70016, "/test/"));
}

#[test]
fn setters_show_in_stats() {
    let a = Running::start(listening(false));
    let b = Running::start(not_listening(false));
    assert!(b.connman.connect_onetry(&a.addr().to_string(), false));
    let id = b.only_peer();
    b.connman.set_ping_time(id, 500);
    b.connman.set_ping_time(id, 300);
    b.connman.set_ping_time(id, 400);
    b.connman.set_last_block_time(id, 11);
    b.connman.set_last_tx_time(id, 12);
    b.connman.set_time_offset(id, -3);
    b.connman.set_peer_services(id, 9);
    let s = &b.connman.node_stats()[0];
    assert_eq!((s.last_ping_us, s.min_ping_us), (Some(400), Some(300)));
    assert_eq!(
        (s.last_block_time, s.last_tx_time, s.time_offset, s.services),
        (11, 12, -3, 9)
    );
    assert!(s.permissions.is_empty());
    assert_eq!(s.session_id, "");
}

#[test]
fn whitebind_gives_inbound_permissions() {
    let wb = net::permissions::parse_whitebind("noban,relay@127.0.0.1:0");
    // Port 0 is refused for -whitebind, as Core.
    assert!(wb.is_err());
    let a = Running::start(listening(false));
    let port = a.addr().port();
    drop(a);
    let wb =
        net::permissions::parse_whitebind(&format!("noban,relay@127.0.0.1:{port}")).expect("valid");
    let a = Running::start(ConnmanOptions {
        binds: vec![],
        white_binds: vec![wb],
        ..listening(false)
    });
    let _raw = TcpStream::connect(a.addr()).expect("connects");
    a.only_peer();
    let s = &a.connman.node_stats()[0];
    assert_eq!(s.permissions, vec!["noban", "relay", "download"]);
}

#[test]
fn start_fails_on_a_taken_port() {
    let a = Running::start(listening(false));
    let c = Connman::new();
    let err = c
        .start(
            ConnmanOptions {
                binds: vec![a.addr()],
                ..listening(false)
            },
            Echo::new(&c),
        )
        .expect_err("port taken");
    assert_eq!(
        err.to_string(),
        format!(
            "Unable to bind to {} on this computer. Bitcoin Core is probably already running.",
            a.addr()
        )
    );
    c.stop();
}

#[test]
fn addconnection_respects_type_limits() {
    let a = Running::start(listening(false));
    let b = Running::start(not_listening(false));
    let name = a.addr().to_string();
    assert!(!b
        .connman
        .open_connection(&name, ConnectionType::Manual, false));
    assert!(b
        .connman
        .open_connection(&name, ConnectionType::OutboundFullRelay, false));
    b.only_peer();
    assert_eq!(
        b.connman.node_stats()[0].connection_type,
        "outbound-full-relay"
    );
}

#[test]
fn two_managers_exchange_messages_over_v2() {
    let a = Running::start(listening(true));
    let b = Running::start(not_listening(true));
    assert!(b.connman.connect_onetry(&a.addr().to_string(), true));
    let to_a = b.only_peer();
    a.only_peer();
    b.connman.push_message(to_a, "ping", vec![3; 8]);
    assert!(wait_until(WAIT, || b.events.count("pong") == 1));
    let sa = &a.connman.node_stats()[0];
    let sb = &b.connman.node_stats()[0];
    assert_eq!(
        (sa.transport_protocol_type, sb.transport_protocol_type),
        ("v2", "v2")
    );
    assert_eq!(sa.session_id.len(), 64);
    assert_eq!(sa.session_id, sb.session_id);
    let sent = sb
        .bytes_sent_per_msg
        .get("ping")
        .copied()
        .expect("ping counted");
    assert_eq!(sa.bytes_recv_per_msg.get("ping"), Some(&sent));
    // v2 framing of an 8-byte ping: 3 length + 1 header + 1 short id + 8 + 16 tag.
    assert_eq!(sent, 29);
}

#[test]
fn v2_responder_accepts_a_v1_initiator() {
    let a = Running::start(listening(true));
    let b = Running::start(not_listening(false));
    assert!(b.connman.connect_onetry(&a.addr().to_string(), false));
    let to_a = b.only_peer();
    a.only_peer();
    assert_eq!(
        a.connman.node_stats()[0].transport_protocol_type,
        "detecting"
    );
    // The responder recognises v1 by a `version` header, the first message of any v1 peer.
    b.connman.push_message(to_a, "version", vec![0; 4]);
    b.connman.push_message(to_a, "ping", vec![4; 8]);
    assert!(wait_until(WAIT, || b.events.count("pong") == 1));
    assert_eq!(a.connman.node_stats()[0].transport_protocol_type, "v1");
    assert_eq!(
        a.connman.node_stats()[0].bytes_recv_per_msg.get("ping"),
        Some(&32)
    );
}

#[test]
fn failed_v2_attempt_is_retried_with_v1() {
    // A speaks only v1, so B's v2 key looks like garbage and A hangs up.
    let a = Running::start(listening(false));
    let b = Running::start(not_listening(true));
    assert!(b.connman.connect_onetry(&a.addr().to_string(), true));
    assert!(wait_until(WAIT, || {
        b.connman
            .node_stats()
            .iter()
            .any(|s| s.transport_protocol_type == "v1")
    }));
    let to_a = b.only_peer();
    b.connman.push_message(to_a, "ping", vec![5; 8]);
    assert!(wait_until(WAIT, || b.events.count("pong") == 1));
}
