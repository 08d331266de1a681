//! What we keep per peer (Core's `Peer` and `CNodeState` in one).

use std::collections::{HashMap, VecDeque};

use bitcoin::p2p::message_blockdata::Inventory;
use bitcoin::BlockHash;
use net::PeerConn;

use crate::compact::PartiallyDownloadedBlock;
use crate::headerssync::HeadersSyncState;
use crate::txrelay::TxRelay;

/// Per-peer state.
pub(crate) struct Peer {
    /// The connection's facts.
    pub conn: PeerConn,
    /// The services we offer this peer.
    pub our_services: u64,
    /// The services it offers (from its `version`).
    pub their_services: u64,
    /// Its protocol version, 0 until its `version` arrives (`nVersion`).
    pub version: i32,
    /// The lower of its version and ours (`GetCommonVersion`).
    pub common_version: i32,
    /// Its sanitized user agent.
    pub subver: String,
    /// The height it claimed in `version`.
    pub starting_height: i32,
    /// Whether we sent our `version` (outbound connections send first).
    pub version_sent: bool,
    /// Whether its `verack` arrived (`fSuccessfullyConnected`).
    pub successfully_connected: bool,
    /// Whether it misbehaved since we last checked.
    pub should_discourage: bool,
    /// Its clock minus ours at the handshake, seconds.
    pub time_offset: i64,

    /// BIP339: it announces transactions by wtxid.
    pub wtxid_relay: bool,
    /// BIP155: it wants `addrv2`.
    pub wants_addrv2: bool,
    /// BIP130: it wants new blocks announced by `headers`.
    pub prefers_headers: bool,
    /// Whether we sent it `sendheaders`.
    pub sent_sendheaders: bool,
    /// BIP152: it sent `sendcmpct` version 2.
    pub provides_cmpctblocks: bool,
    /// BIP152: it asked us for high-bandwidth compact blocks.
    pub requested_hb_cmpctblocks: bool,
    /// BIP152: we asked it for high-bandwidth compact blocks
    /// (`m_bip152_highbandwidth_to`).
    pub hb_to: bool,
    /// Blocks in flight from it as compact blocks, being rebuilt (Core keeps them on
    /// the in-flight entry, `partialBlock`).
    pub partial_blocks: HashMap<BlockHash, PartiallyDownloadedBlock>,

    /// The best block we know it has, an index entry (`pindexBestKnownBlock`).
    pub best_known: Option<usize>,
    /// A block it announced that we had no header for (`hashLastUnknownBlock`).
    pub last_unknown_block: Option<BlockHash>,
    /// The last block we and it both have on its chain (`pindexLastCommonBlock`).
    pub last_common: Option<usize>,
    /// The best header we sent it (`pindexBestHeaderSent`).
    pub best_header_sent: Option<usize>,
    /// Whether we started headers sync with it (`fSyncStarted`).
    pub sync_started: bool,
    /// When headers sync with it times out, microseconds (`m_headers_sync_timeout`).
    pub headers_sync_timeout: i64,
    /// When we last sent it `getheaders` without an answer, microseconds.
    pub last_getheaders: Option<i64>,
    /// Whether an announcement made us ask it for headers before sync started.
    pub inv_triggered_getheaders_before_sync: bool,
    /// The low-work headers sync with it, while one runs (`m_headers_sync`).
    pub headers_sync: Option<HeadersSyncState>,
    /// Blocks requested from it, in request order.
    pub blocks_in_flight: VecDeque<BlockHash>,
    /// Since when it has been downloading its first block in flight, microseconds.
    pub downloading_since: i64,
    /// Since when it stalls the download window, microseconds; 0 if not.
    pub stalling_since: i64,
    /// Whether we prefer downloading from it (`fPreferredDownload`).
    pub preferred_download: bool,
    /// When it last announced a block with more work than our tip, seconds.
    pub last_block_announcement: i64,

    /// Blocks to announce by headers (`m_blocks_for_headers_relay`).
    pub blocks_for_headers_relay: Vec<BlockHash>,
    /// The lagging-chain check of an outbound peer (`m_chain_sync`).
    pub chain_sync: ChainSyncTimeout,
    /// The first queued chain event that concerns it: tip updates queued before it
    /// connected are not announced to it.
    pub first_event: u64,
    /// Blocks to announce by inventory (`m_blocks_for_inv_relay`).
    pub blocks_for_inv_relay: Vec<BlockHash>,
    /// A block it asked for last (`hashContinue` for `getblocks`).
    pub continue_hash: Option<BlockHash>,
    /// Its `getdata` items not yet answered.
    pub getdata_requests: VecDeque<Inventory>,

    /// Transaction relay with it, if it relays transactions.
    pub tx_relay: Option<TxRelay>,
    /// Address relay with it, once set up (`m_addr_relay_enabled`).
    pub addr_relay: Option<crate::addr::AddrRelay>,

    /// Nonce of the ping in flight, 0 if none.
    pub ping_nonce_sent: u64,
    /// When that ping was sent, microseconds.
    pub ping_start: i64,
    /// A ping was asked for (`ping` RPC).
    pub ping_queued: bool,
    /// Last and lowest ping round trips, microseconds.
    pub last_ping: Option<i64>,
    /// The lowest round trip seen.
    pub min_ping: Option<i64>,
    /// Its fee filter, sat/kvB (`m_fee_filter_received`).
    pub fee_filter_received: i64,
    /// The fee filter we last sent, sat/kvB.
    pub fee_filter_sent: i64,
    /// When we next consider sending a fee filter, microseconds.
    pub next_send_feefilter: i64,
    /// When we last received a block from it (`m_last_block_time`), seconds.
    pub last_block_time: i64,
    /// When we last accepted a transaction from it, seconds.
    pub last_tx_time: i64,
}

impl Peer {
    /// A new peer's state.
    pub(crate) fn new(conn: PeerConn, our_services: u64) -> Peer {
        Peer {
            conn,
            our_services,
            their_services: 0,
            version: 0,
            common_version: p2p::constants::INIT_PROTO_VERSION,
            subver: String::new(),
            starting_height: -1,
            version_sent: false,
            successfully_connected: false,
            should_discourage: false,
            time_offset: 0,
            wtxid_relay: false,
            wants_addrv2: false,
            prefers_headers: false,
            sent_sendheaders: false,
            provides_cmpctblocks: false,
            requested_hb_cmpctblocks: false,
            hb_to: false,
            partial_blocks: HashMap::new(),
            best_known: None,
            last_unknown_block: None,
            last_common: None,
            best_header_sent: None,
            sync_started: false,
            headers_sync_timeout: 0,
            last_getheaders: None,
            inv_triggered_getheaders_before_sync: false,
            headers_sync: None,
            blocks_in_flight: VecDeque::new(),
            downloading_since: 0,
            stalling_since: 0,
            preferred_download: false,
            last_block_announcement: 0,
            blocks_for_headers_relay: Vec::new(),
            first_event: 0,
            chain_sync: ChainSyncTimeout::default(),
            blocks_for_inv_relay: Vec::new(),
            continue_hash: None,
            getdata_requests: VecDeque::new(),
            tx_relay: None,
            addr_relay: None,
            ping_nonce_sent: 0,
            ping_start: 0,
            ping_queued: false,
            last_ping: None,
            min_ping: None,
            fee_filter_received: 0,
            fee_filter_sent: 0,
            next_send_feefilter: 0,
            last_block_time: 0,
            last_tx_time: 0,
        }
    }

    /// Whether it serves blocks (`CanServeBlocks`: NODE_NETWORK or NODE_NETWORK_LIMITED).
    pub(crate) fn can_serve_blocks(&self) -> bool {
        self.their_services & (p2p::constants::NODE_NETWORK | p2p::constants::NODE_NETWORK_LIMITED)
            != 0
    }

    /// Whether it serves only recent blocks (`IsLimitedPeer`).
    pub(crate) fn is_limited(&self) -> bool {
        self.their_services & p2p::constants::NODE_NETWORK == 0
            && self.their_services & p2p::constants::NODE_NETWORK_LIMITED != 0
    }

    /// Whether it serves witnesses (`CanServeWitnesses`).
    pub(crate) fn can_serve_witnesses(&self) -> bool {
        self.their_services & p2p::constants::NODE_WITNESS != 0
    }

    /// Whether it is an inbound connection.
    pub(crate) fn is_inbound(&self) -> bool {
        self.conn.conn_type.is_inbound()
    }

    /// Whether a permission is set.
    pub(crate) fn has_permission(&self, flags: u32) -> bool {
        self.conn.permissions.has(flags)
    }
}

/// Core's `ChainSyncTimeoutState`: an outbound peer whose best block has less work than
/// our tip gets [`crate::eviction::CHAIN_SYNC_TIMEOUT`] to catch up with the tip as it
/// was then, then one `getheaders` and [`crate::eviction::HEADERS_RESPONSE_TIME`] more.
#[derive(Debug, Clone, Copy, Default)]
pub struct ChainSyncTimeout {
    /// When the peer runs out of time, seconds; 0 when no check runs.
    pub timeout: i64,
    /// Our tip when the check started: the work the peer must reach.
    pub work_header: Option<usize>,
    /// Whether the last-chance `getheaders` went out.
    pub sent_getheaders: bool,
    /// Exempt from the check: one of the first outbound peers to show our tip's work.
    pub protect: bool,
}
