//! The peer logic, Core's `PeerManager` (net_processing.cpp): what we say to each peer and
//! what we do with what it says. The version handshake, pings, headers-first sync with
//! parallel block download and stalling detection, block announcements by headers or
//! inventory, serving headers and blocks, transaction relay with trickled inventory,
//! transaction download with orphan resolution and 1-parent-1-child packages, fee
//! filters, and discouragement of misbehaving peers.
//!
//! It touches no socket: the connection manager calls it through
//! [`net::NetEvents`] on its message-handler thread, and it answers through
//! [`net::Connections`]. The node lends it the chainstate and pool through
//! [`NodeAccess`]. Tests drive it with in-memory fakes of both.

mod access;
mod addr;
mod blocks;
mod compact;
mod compact_relay;
mod events;
mod eviction;
mod handshake;
mod headers;
mod headerssync;
mod orphanage;
mod peer;
#[cfg(test)]
mod presync_tests;
mod process;
mod rng;
mod send;
mod stale;
mod stats;
mod txdownload;
mod txrelay;
mod txrequest;

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, MutexGuard};

use bitcoin::p2p::message::NetworkMessage;
use bitcoin::BlockHash;
use net::{Connections, NodeId, PeerConn};

pub use access::NodeAccess;
pub use events::ChainEventSink;
pub use orphanage::OrphanInfo;
pub use stats::PeerStats;

use peer::Peer;
pub use stale::EXTRA_PEER_CHECK_INTERVAL;

/// Settings of the peer logic (Core's `PeerManager::Options`).
#[derive(Clone, Debug)]
pub struct Options {
    /// Our user agent (`strSubVersion`), e.g. `/Satoshi:30.0.0/`.
    pub user_agent: String,
    /// `-blocksonly`: ask peers not to relay transactions and drop those they send.
    pub ignore_incoming_txs: bool,
    /// Headers per `headers` message (2000; lower only in tests).
    pub max_headers_result: usize,
    /// The services we offer (`GetLocalServices`).
    pub local_services: u64,
    /// `-peertimeout`, seconds: how long a new connection may stay silent.
    pub peer_timeout: i64,
}

/// Blocks in flight: the peers each was asked from, first requester first (Core's
/// `mapBlocksInFlight` multimap). A block may be in flight from up to
/// `MAX_CMPCTBLOCKS_INFLIGHT_PER_BLOCK` peers while compact blocks are reconstructed in
/// parallel; a listed block always has at least one peer.
type InFlight = HashMap<BlockHash, Vec<NodeId>>;

/// State shared by all peers, guarded by one lock (Core guards most of it with
/// `cs_main`). Never held while the chainstate or pool lock is taken.
struct Inner {
    peers: BTreeMap<NodeId, Peer>,
    blocks_in_flight: InFlight,
    /// Peers with at least one block in flight (`m_peers_downloading_from`).
    peers_downloading_from: i32,
    /// Peers preferred for download (`m_num_preferred_download_peers`).
    preferred_download_peers: i32,
    /// Outbound peers exempt from the lagging-chain check
    /// (`m_outbound_peers_with_protect_from_disconnect`).
    protected_outbound_peers: i32,
    /// Peers we started headers sync with (`nSyncStarted`).
    sync_started: i32,
    /// The height of our tip, for `version` (`m_best_height`).
    best_height: u32,
    /// The time of our tip's block, seconds (`m_best_block_time`).
    best_block_time: i64,
    /// Seconds between blocks on this chain.
    pow_target_spacing: i64,
    /// The block whose announcement last started headers sync with a new peer.
    last_block_inv_triggering_headers_sync: Option<BlockHash>,
    /// Current stalling timeout, microseconds (`m_block_stalling_timeout`).
    stalling_timeout: i64,
    /// A secret that picks which peers relay an address (Core's deterministic randomizer).
    addr_relay_salt: [u8; 32],
    /// `getaddr` answers by local address, reused for a day (`m_addr_response_caches`).
    addr_caches: HashMap<String, addr::AddrCache>,
    /// Progress of each peer's headers presync (`m_headers_presync_stats`).
    headers_presync_stats: BTreeMap<NodeId, headers::PresyncStats>,
    /// The peer with the best entry there, -1 if none (`m_headers_presync_bestpeer`).
    headers_presync_bestpeer: NodeId,
    /// The best presync progress changed and is to be reported
    /// (`m_headers_presync_should_signal`).
    headers_presync_should_signal: bool,
    /// When presync progress was last reported (`m_last_presync_update`).
    last_presync_update: Option<std::time::Instant>,
    /// Clock offsets of recent outbound peers (`m_outbound_time_offsets`).
    outbound_time_offsets: stats::TimeOffsets,
    /// Transaction download: requests, orphans, recent rejections and confirmations.
    tx: txdownload::TxDownloadManager,
    /// When inbound peers next get a trickle (one shared clock, so timing cannot tell
    /// inbound peers apart).
    next_inv_to_inbounds: i64,
    /// Peers we asked for high-bandwidth compact blocks, oldest first
    /// (`lNodesAnnouncingHeaderAndIDs`).
    hb_peers: std::collections::VecDeque<NodeId>,
    /// Transactions outside the pool kept for rebuilding compact blocks (rejected and
    /// replaced ones, `vExtraTxnForCompact`), a ring of [`compact_relay::MAX_EXTRA_TXS`].
    extra_txns: Vec<(bitcoin::Wtxid, Arc<bitcoin::Transaction>)>,
    /// Where the next extra transaction goes once the ring is full.
    extra_txns_next: usize,
    /// The height of the last block pushed early to high-bandwidth peers
    /// (`m_highest_fast_announce`).
    highest_fast_announce: u32,
    /// The latest block that passed its checks on the tip, with its compact form
    /// (`m_most_recent_block`, `m_most_recent_compact_block`).
    most_recent: Option<compact_relay::RecentBlock>,
    /// Who gave us blocks being processed, and whether as a full block
    /// (`mapBlockSource`).
    block_source: HashMap<BlockHash, (NodeId, bool)>,
    /// The height from which blocks carry witnesses (segwit's deployment height).
    segwit_height: u32,
}

/// The peer logic.
pub struct PeerManager {
    conns: Arc<dyn Connections>,
    node: Arc<dyn NodeAccess>,
    opts: Options,
    inner: Mutex<Inner>,
    events: Arc<events::EventQueue>,
    rng: Mutex<rng::Rng>,
    addrman: std::sync::OnceLock<Arc<Mutex<addrman::addrman::AddrMan>>>,
    stale: stale::StaleTip,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic elsewhere must not take the peer logic down with it.
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl PeerManager {
    /// A peer manager answering through `conns`, over the node's chainstate and pool.
    pub fn new(
        conns: Arc<dyn Connections>,
        node: Arc<dyn NodeAccess>,
        opts: Options,
    ) -> Arc<PeerManager> {
        let (best_height, best_block_time, pow_target_spacing, segwit_height) = {
            let cs = node.chainstate();
            let tip = cs.index().entry(headers::tip_index(&cs));
            (
                cs.height(),
                i64::from(tip.header.time),
                cs.params().pow.pow_target_spacing as i64,
                cs.params().segwit_height,
            )
        };
        Arc::new(PeerManager {
            conns,
            node,
            opts,
            inner: Mutex::new(Inner {
                peers: BTreeMap::new(),
                blocks_in_flight: HashMap::new(),
                peers_downloading_from: 0,
                preferred_download_peers: 0,
                protected_outbound_peers: 0,
                sync_started: 0,
                best_height,
                best_block_time,
                pow_target_spacing,
                last_block_inv_triggering_headers_sync: None,
                stalling_timeout: blocks::BLOCK_STALLING_TIMEOUT_DEFAULT,
                addr_relay_salt: common::random::salt(),
                addr_caches: HashMap::new(),
                headers_presync_stats: BTreeMap::new(),
                headers_presync_bestpeer: -1,
                headers_presync_should_signal: false,
                last_presync_update: None,
                outbound_time_offsets: stats::TimeOffsets::default(),
                tx: txdownload::TxDownloadManager::new(),
                next_inv_to_inbounds: 0,
                hb_peers: std::collections::VecDeque::new(),
                extra_txns: Vec::new(),
                extra_txns_next: 0,
                highest_fast_announce: 0,
                most_recent: None,
                block_source: HashMap::new(),
                segwit_height,
            }),
            events: Arc::new(events::EventQueue::default()),
            rng: Mutex::new(rng::Rng::from_os()),
            addrman: std::sync::OnceLock::new(),
            stale: stale::StaleTip::default(),
        })
    }

    /// A subscriber for the chainstate's events: the tip updates that make us announce
    /// blocks. It only queues them; the message-handler thread acts on them.
    pub fn chain_event_sink(&self) -> ChainEventSink {
        ChainEventSink::new(self.events.clone())
    }

    /// Encodes and queues a message to a peer.
    fn send(&self, peer: NodeId, msg: &NetworkMessage) {
        let (command, payload) = p2p::message::encode(msg);
        self.conns.push_message(peer, &command, payload);
    }

    fn now(&self) -> i64 {
        self.node.now_micros()
    }

    /// Whether the peer's address is logged with its id (`-logips`).
    fn log_peer(conn: &PeerConn) -> String {
        if common::logging::log_ips() {
            format!("peer={}, peeraddr={}", conn.id, conn.addr)
        } else {
            format!("peer={}", conn.id)
        }
    }

    fn disconnect_msg(conn: &PeerConn) -> String {
        format!("disconnecting {}", Self::log_peer(conn))
    }
}

impl net::NetEvents for PeerManager {
    fn initialize_node(&self, conn: &PeerConn) {
        let mut our_services = self.opts.local_services;
        if conn.permissions.has(net::NetPermissions::BLOOMFILTER) {
            our_services |= p2p::constants::NODE_BLOOM;
        }
        let mut peer = Peer::new(conn.clone(), our_services);
        peer.first_event = self.events.next_sequence();
        let mut inner = lock(&self.inner);
        inner.peers.insert(conn.id, peer);
    }

    fn finalize_node(&self, id: NodeId) {
        let mut inner = lock(&self.inner);
        self.finalize(&mut inner, id);
    }

    fn has_all_desirable_service_flags(&self, services: u64) -> bool {
        handshake::has_all_desirable_service_flags(services, self.desirable_flags_context())
    }

    fn process_messages(&self, id: NodeId) -> bool {
        self.apply_chain_events();
        self.process_messages_of(id)
    }

    fn send_messages(&self, id: NodeId) {
        self.apply_chain_events();
        self.send_messages_to(id);
    }
}
