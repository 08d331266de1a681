//! One connection's state (Core's `CNode`), shared by the socket thread, the message
//! handler and the peer logic.

use std::collections::{BTreeMap, VecDeque};
use std::net::{SocketAddr, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::sync::{Arc, Mutex};

use crate::netaddr::Network;
use crate::sync::{lock, Grant};
use crate::transport::{ReceivedMessage, Transport};
use crate::types::PeerConn;

/// The bucket for message types outside the protocol (`NET_MESSAGE_TYPE_OTHER`).
pub const MSG_TYPE_OTHER: &str = "*other*";

/// The protocol's message types (`ALL_NET_MESSAGE_TYPES`): only these get their own
/// received-bytes counter, so a peer cannot grow the map with made-up names.
pub const ALL_NET_MESSAGE_TYPES: &[&str] = p2p::constants::msg_type::ALL;

/// Rough heap cost of a queued message, as Core's `GetMemoryUsage` counts the object,
/// its type string and its payload.
pub(crate) fn message_memory(command: &str, payload_capacity: usize) -> usize {
    std::mem::size_of::<ReceivedMessage>() + command.len() + payload_capacity + 32
}

/// The send and receive side of a connection: the transport, the send queue and the
/// byte counters, under one lock because the transport is one object.
pub(crate) struct NodeIo {
    pub transport: Box<dyn Transport>,
    /// Messages not yet handed to the transport (`vSendMsg`).
    pub send_queue: VecDeque<(String, Vec<u8>)>,
    /// Memory held by `send_queue` (`m_send_memusage`).
    pub send_memusage: usize,
    pub bytes_sent: u64,
    pub bytes_recv: u64,
    pub sent_per_msg: BTreeMap<String, u64>,
    pub recv_per_msg: BTreeMap<String, u64>,
}

/// Messages waiting for the message handler (`m_msg_process_queue`).
#[derive(Default)]
pub(crate) struct ProcessQueue {
    pub msgs: VecDeque<ReceivedMessage>,
    pub size: usize,
}

/// What the peer logic tells us about a peer, for `getpeerinfo` and eviction.
#[derive(Clone, Debug, Default)]
pub(crate) struct PeerFacts {
    pub services: u64,
    pub version: i32,
    pub subver: String,
    pub successfully_connected: bool,
    pub addr_local: Option<SocketAddr>,
    pub time_offset: i64,
    pub last_ping_us: Option<i64>,
    pub min_ping_us: Option<i64>,
    pub last_tx_time: i64,
    pub last_block_time: i64,
    pub relays_txs: bool,
    pub bloom_filter_loaded: bool,
    pub has_all_wanted_services: bool,
    pub bip152_hb_to: bool,
    pub bip152_hb_from: bool,
}

/// A connection.
pub(crate) struct Node {
    pub conn: PeerConn,
    /// The name it was opened by, for reconnecting (`m_dest`; empty for inbound).
    pub dest: String,
    pub network: Network,
    pub keyed_netgroup: u64,
    /// Discouraged when accepted: first in line for eviction.
    pub prefer_evict: bool,
    sock: Mutex<Option<Arc<TcpStream>>>,
    pub disconnect: AtomicBool,
    /// Set once `initialize_node` returned: before that the message handler skips it.
    pub ready: AtomicBool,
    pub io: Mutex<NodeIo>,
    pub queue: Mutex<ProcessQueue>,
    pub pause_recv: AtomicBool,
    pub pause_send: AtomicBool,
    /// Seconds since the epoch; 0 = never.
    pub last_send: AtomicI64,
    pub last_recv: AtomicI64,
    pub facts: Mutex<PeerFacts>,
    /// The connection slot it holds (addnode / outbound), freed when it is dropped.
    pub grant: Mutex<Option<Grant>>,
}

/// Everything that describes a new connection, before it has a transport.
pub(crate) struct NodeInit {
    pub conn: PeerConn,
    pub dest: String,
    pub network: Network,
    pub keyed_netgroup: u64,
    pub prefer_evict: bool,
    pub sock: TcpStream,
    pub transport: Box<dyn Transport>,
    pub grant: Option<Grant>,
}

impl Node {
    pub(crate) fn new(init: NodeInit) -> Node {
        // Every connection, in or out, is announced as it is set up.
        if common::logging::log_ips() {
            common::log_debug!(
                common::logging::Category::Net,
                "Added connection to {} peer={}",
                init.conn.addr_name,
                init.conn.id
            );
        } else {
            common::log_debug!(
                common::logging::Category::Net,
                "Added connection peer={}",
                init.conn.id
            );
        }
        let mut recv_per_msg = BTreeMap::new();
        for t in ALL_NET_MESSAGE_TYPES
            .iter()
            .chain(std::iter::once(&MSG_TYPE_OTHER))
        {
            recv_per_msg.insert((*t).to_string(), 0);
        }
        Node {
            conn: init.conn,
            dest: init.dest,
            network: init.network,
            keyed_netgroup: init.keyed_netgroup,
            prefer_evict: init.prefer_evict,
            sock: Mutex::new(Some(Arc::new(init.sock))),
            disconnect: AtomicBool::new(false),
            ready: AtomicBool::new(false),
            io: Mutex::new(NodeIo {
                transport: init.transport,
                send_queue: VecDeque::new(),
                send_memusage: 0,
                bytes_sent: 0,
                bytes_recv: 0,
                sent_per_msg: BTreeMap::new(),
                recv_per_msg,
            }),
            queue: Mutex::new(ProcessQueue::default()),
            pause_recv: AtomicBool::new(false),
            pause_send: AtomicBool::new(false),
            last_send: AtomicI64::new(0),
            last_recv: AtomicI64::new(0),
            facts: Mutex::new(PeerFacts {
                min_ping_us: None,
                ..PeerFacts::default()
            }),
            grant: Mutex::new(init.grant),
        }
    }

    pub(crate) fn id(&self) -> i64 {
        self.conn.id
    }

    pub(crate) fn is_disconnecting(&self) -> bool {
        self.disconnect.load(Ordering::SeqCst)
    }

    pub(crate) fn mark_disconnect(&self) {
        self.disconnect.store(true, Ordering::SeqCst);
    }

    /// The socket, while open.
    pub(crate) fn sock(&self) -> Option<Arc<TcpStream>> {
        lock(&self.sock).clone()
    }

    /// Closes the socket and marks the connection for removal (`CloseSocketDisconnect`).
    pub(crate) fn close_socket(&self) {
        self.mark_disconnect();
        if let Some(s) = lock(&self.sock).take() {
            common::log_debug!(
                common::logging::Category::Net,
                "Resetting socket for {}",
                self.log_peer()
            );
            // Other holders (a poll in progress) may keep the Arc: shut the stream down so
            // the peer sees the close now, not when the last clone drops.
            let _ = s.shutdown(std::net::Shutdown::Both);
        }
    }

    /// `peer=N` plus the address with `-logips` (`LogPeer`).
    pub(crate) fn log_peer(&self) -> String {
        if common::logging::log_ips() {
            format!("peer={}, peeraddr={}", self.id(), self.conn.addr)
        } else {
            format!("peer={}", self.id())
        }
    }

    /// `disconnecting peer=N` (`DisconnectMsg`).
    pub(crate) fn disconnect_msg(&self) -> String {
        format!("disconnecting {}", self.log_peer())
    }

    /// Moves complete messages to the message handler's queue and pauses receiving
    /// when that queue is over `flood` bytes (`MarkReceivedMsgsForProcessing`).
    pub(crate) fn mark_received_for_processing(&self, msgs: Vec<ReceivedMessage>, flood: usize) {
        let mut q = lock(&self.queue);
        for m in msgs {
            q.size += message_memory(&m.command, m.payload.capacity());
            q.msgs.push_back(m);
        }
        self.pause_recv.store(q.size > flood, Ordering::SeqCst);
    }

    /// Takes one message (`PollMessage`).
    pub(crate) fn poll_message(&self, flood: usize) -> Option<(ReceivedMessage, bool)> {
        let mut q = lock(&self.queue);
        let m = q.msgs.pop_front()?;
        q.size = q
            .size
            .saturating_sub(message_memory(&m.command, m.payload.capacity()));
        self.pause_recv.store(q.size > flood, Ordering::SeqCst);
        Some((m, !q.msgs.is_empty()))
    }
}

/// One connection as `getpeerinfo` shows it (Core's `CNodeStats`).
#[derive(Clone, Debug)]
pub struct NodeStats {
    /// The connection id.
    pub id: i64,
    /// The peer's address.
    pub addr: SocketAddr,
    /// Our end of the connection.
    pub addr_bind: Option<SocketAddr>,
    /// Our address as the peer sees it (from its `version`), if told.
    pub addr_local: Option<SocketAddr>,
    /// The name it was opened by (or its address).
    pub addr_name: String,
    /// The network it connects through (`network`).
    pub network: &'static str,
    /// The AS number of its address (`mapped_as`): none without an asmap.
    pub mapped_as: Option<u32>,
    /// The services it offers.
    pub services: u64,
    /// Last send, seconds since the epoch (0 = never).
    pub last_send: i64,
    /// Last receive, seconds since the epoch (0 = never).
    pub last_recv: i64,
    /// When it last gave us a new transaction.
    pub last_tx_time: i64,
    /// When it last gave us a new block.
    pub last_block_time: i64,
    /// Bytes sent, all messages.
    pub bytes_sent: u64,
    /// Bytes received, all messages.
    pub bytes_recv: u64,
    /// Bytes sent per message type (only types with traffic).
    pub bytes_sent_per_msg: BTreeMap<String, u64>,
    /// Bytes received per message type (only types with traffic; unknown ones as `*other*`).
    pub bytes_recv_per_msg: BTreeMap<String, u64>,
    /// When it connected, seconds since the epoch.
    pub conn_time: i64,
    /// Its clock minus ours, seconds.
    pub time_offset: i64,
    /// Last ping round trip, microseconds.
    pub last_ping_us: Option<i64>,
    /// Best ping round trip, microseconds.
    pub min_ping_us: Option<i64>,
    /// Its protocol version (0 before `version`).
    pub version: i32,
    /// Its sanitized user agent.
    pub subver: String,
    /// Whether it connected to us.
    pub inbound: bool,
    /// Whether we asked it for high-bandwidth compact blocks.
    pub bip152_hb_to: bool,
    /// Whether it asked us for high-bandwidth compact blocks.
    pub bip152_hb_from: bool,
    /// Its permission names.
    pub permissions: Vec<&'static str>,
    /// The connection type name.
    pub connection_type: &'static str,
    /// `detecting`, `v1` or `v2`.
    pub transport_protocol_type: &'static str,
    /// The v2 session id in hex, empty otherwise.
    pub session_id: String,
}

impl Node {
    pub(crate) fn stats(&self) -> NodeStats {
        let f = lock(&self.facts).clone();
        let io = lock(&self.io);
        let info = io.transport.info();
        let nonzero = |m: &BTreeMap<String, u64>| -> BTreeMap<String, u64> {
            m.iter()
                .filter(|(_, v)| **v > 0)
                .map(|(k, v)| (k.clone(), *v))
                .collect()
        };
        NodeStats {
            id: self.id(),
            addr: self.conn.addr,
            addr_bind: self.conn.addr_bind,
            addr_local: f.addr_local,
            addr_name: self.conn.addr_name.clone(),
            network: self.network.as_str(),
            mapped_as: None,
            services: f.services,
            last_send: self.last_send.load(Ordering::Relaxed),
            last_recv: self.last_recv.load(Ordering::Relaxed),
            last_tx_time: f.last_tx_time,
            last_block_time: f.last_block_time,
            bytes_sent: io.bytes_sent,
            bytes_recv: io.bytes_recv,
            bytes_sent_per_msg: nonzero(&io.sent_per_msg),
            bytes_recv_per_msg: nonzero(&io.recv_per_msg),
            conn_time: self.conn.connected,
            time_offset: f.time_offset,
            last_ping_us: f.last_ping_us,
            min_ping_us: f.min_ping_us,
            version: f.version,
            subver: f.subver,
            inbound: self.conn.conn_type.is_inbound(),
            bip152_hb_to: f.bip152_hb_to,
            bip152_hb_from: f.bip152_hb_from,
            permissions: self.conn.permissions.names(),
            connection_type: self.conn.conn_type.as_str(),
            transport_protocol_type: info.protocol.as_str(),
            session_id: info
                .session_id
                .map(|s| s.iter().map(|b| format!("{b:02x}")).collect())
                .unwrap_or_default(),
        }
    }
}
