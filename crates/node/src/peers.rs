//! The P2P side of the node: the connection manager (`crates/net`), the peer logic
//! (`crates/net-processing`) and the ban list, started after the chainstate and
//! stopped before it is flushed. The peer logic reaches the chainstate and pool through
//! [`PeerNode`], so blocks and transactions from peers take the same path as from RPC.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};

use bitcoin::{Block, Transaction};
use chain::{BlockOutcome, ChainState, ProcessError};
use common::args::ArgsManager;
use common::log_info;
use mempool::accept::{PackageResult, TxResult};
use mempool::Mempool;
use net::{BanCheck, Connman, ConnmanOptions};
use net_processing::{NodeAccess, Options, PeerManager};

use crate::context::{lock, NodeContext};
use crate::StartupError;

/// The services a full node offers (`nLocalServices` without pruning): full blocks,
/// witnesses, and recent blocks.
const LOCAL_SERVICES: u64 = p2p::constants::NODE_NETWORK
    | p2p::constants::NODE_WITNESS
    | p2p::constants::NODE_NETWORK_LIMITED;

/// The running P2P components (cheap to clone: handles to shared state).
#[derive(Clone)]
pub struct Peers {
    /// The connection manager.
    pub connman: Connman,
    /// The peer logic.
    pub peerman: Arc<PeerManager>,
    /// The ban list (`banlist.json`).
    pub banman: Arc<Mutex<addrman::banman::BanMan>>,
    /// The address manager (`peers.dat`).
    pub addrman: Arc<Mutex<addrman::addrman::AddrMan>>,
    /// Where the address manager is saved, and the network's magic.
    peers_dat: (std::path::PathBuf, bitcoin::p2p::Magic),
    /// What the network commands report of the start-up settings.
    pub settings: NetSettings,
}

/// Start-up settings of the P2P side that the network commands report.
#[derive(Clone, Debug)]
pub struct NetSettings {
    /// Our user agent (`strSubVersion`).
    pub user_agent: String,
    /// The networks automatic connections may use (`g_reachable_nets`): those
    /// `-onlynet` allows, less Tor without a proxy, I2P without a SAM bridge and CJDNS
    /// without `-cjdnsreachable`.
    pub reachable: Vec<addrman::netaddress::Network>,
    /// The proxies per network (`-proxy`, `-onion`).
    pub proxies: net::proxy::ProxySettings,
}

/// The node as the peer logic sees it.
pub struct PeerNode(pub Arc<NodeContext>);

impl NodeAccess for PeerNode {
    fn chainstate(&self) -> MutexGuard<'_, ChainState> {
        self.0.chainstate()
    }

    fn mempool(&self) -> MutexGuard<'_, Mempool> {
        lock(&self.0.mempool)
    }

    fn process_block(
        &self,
        block: &Block,
        force_processing: bool,
        min_pow_checked: bool,
    ) -> Result<BlockOutcome, ProcessError> {
        let n = &self.0;
        // Back-pressure on slow chain clients, outside the chainstate lock.
        n.notifications.limit(10);
        let now = n.now();
        let mut cs = n.chainstate();
        let r = cs.process_new_block(block, now, force_processing, min_pow_checked);
        crate::mempool_chain::update_for_reorg(n, &cs);
        match &r {
            Err(ProcessError::Header(e)) => {
                common::log_error!("ProcessNewBlock: AcceptBlock FAILED ({e})")
            }
            Err(ProcessError::Block(e)) => {
                common::log_error!("ProcessNewBlock: AcceptBlock FAILED ({e})")
            }
            _ => {}
        }
        r
    }

    fn accept_transaction(&self, tx: Arc<Transaction>) -> TxResult {
        let n = &self.0;
        let cs = n.chainstate();
        crate::mempool_chain::accept(n, &cs, &tx, false)
    }

    fn accept_package(&self, txs: Vec<Arc<Transaction>>) -> PackageResult {
        let n = &self.0;
        let cs = n.chainstate();
        crate::mempool_chain::process_package(n, &cs, &txs, false, None)
    }

    fn now_micros(&self) -> i64 {
        match self.0.mock_time.load(std::sync::atomic::Ordering::Relaxed) {
            0 => std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_micros() as i64)
                .unwrap_or(0),
            t => t * 1_000_000,
        }
    }

    fn shutdown_requested(&self) -> bool {
        self.0.shutdown_requested()
    }
}

/// The ban list as the connection manager asks it.
struct Bans(Arc<Mutex<addrman::banman::BanMan>>);

/// A peer's socket address as the address manager's type (IPv4-mapped IPv6 as IPv4).
pub(crate) fn net_addr(addr: &SocketAddr) -> addrman::netaddress::NetAddr {
    net::outbound::service_of(addr).addr
}

impl BanCheck for Bans {
    fn is_banned(&self, addr: &SocketAddr) -> bool {
        lock(&self.0).is_banned(&net_addr(addr))
    }

    fn is_discouraged(&self, addr: &SocketAddr) -> bool {
        lock(&self.0).is_discouraged(&net_addr(addr))
    }

    fn discourage(&self, addr: &SocketAddr) {
        lock(&self.0).discourage(&net_addr(addr));
    }
}

/// Core's `FormatSubVersion`: `/Satoshi:<version>(<comments>)/`.
pub fn user_agent(args: &ArgsManager) -> String {
    let v = common::version::CLIENT_VERSION;
    let version = format!("{}.{}.{}", v / 10000, (v / 100) % 100, v % 100);
    let comments = args.get_args("-uacomment");
    if comments.is_empty() {
        format!("/Satoshi:{version}/")
    } else {
        format!("/Satoshi:{version}({})/", comments.join("; "))
    }
}

/// Starts the connection manager and the peer logic (Core's `AppInitMain` step 12).
pub fn start(
    node: &Arc<NodeContext>,
    args: &ArgsManager,
    chain: common::ChainType,
    net_dir: &std::path::Path,
) -> Result<Peers, StartupError> {
    let mut opts =
        ConnmanOptions::from_args(args, chain).map_err(|e| StartupError(format!("Error: {e}")))?;
    opts.local_services |= LOCAL_SERVICES;
    if args.get_bool_arg("-peerbloomfilters", false) {
        opts.local_services |= p2p::constants::NODE_BLOOM;
    }
    opts.mock_time = Some(node.mock_time.clone());
    let banman = Arc::new(Mutex::new(addrman::banman::BanMan::new(
        Some(&net_dir.join("banlist")),
        args.get_int_arg("-bantime", addrman::banman::DEFAULT_MISBEHAVING_BANTIME),
    )));
    opts.ban_check = Some(Arc::new(Bans(banman.clone())));
    let ua = user_agent(args);
    if ua.len() > p2p::constants::MAX_SUBVERSION_LENGTH {
        return Err(StartupError(format!(
            "Error: Total length of network version string ({}) exceeds maximum length ({}). Reduce the number or size of uacomments.",
            ua.len(),
            p2p::constants::MAX_SUBVERSION_LENGTH
        )));
    }
    let peers_dat = net_dir.join("peers.dat");
    let magic = bitcoin::p2p::Magic::from_bytes(opts.params.magic);
    let check_ratio = args.get_int_arg("-checkaddrman", 0).clamp(0, 1_000_000) as i32;
    let deterministic = args.get_args("-test").iter().any(|t| t == "addrman");
    let started = std::time::Instant::now();
    let (addrman, outcome) =
        addrman::peers::load_addrman(&peers_dat, magic, deterministic, check_ratio)
            .map_err(|e| StartupError(format!("Error: {e}")))?;
    let addrman = Arc::new(Mutex::new(addrman));
    match outcome {
        addrman::peers::LoadOutcome::Loaded => log_info!(
            "Loaded {} addresses from peers.dat {}ms",
            lock(&addrman).size(None, None),
            started.elapsed().as_millis()
        ),
        addrman::peers::LoadOutcome::Created => log_info!(
            "Creating peers.dat because the file was not found (\"{}\")",
            peers_dat.display()
        ),
        addrman::peers::LoadOutcome::Recreated => common::log_warning!(
            "Creating new peers.dat because the file version was not compatible (\"{}\"). Original backed up to peers.dat.bak",
            peers_dat.display()
        ),
    }
    opts.addrman = Some(addrman.clone());
    opts.anchors_path = Some(net_dir.join(addrman::anchors::ANCHORS_DATABASE_FILENAME));
    let reachable = opts.reachable.clone();
    let proxies = opts.proxies.clone();
    let connman = Connman::new();
    let peerman = PeerManager::new(
        Arc::new(connman.clone()),
        Arc::new(PeerNode(node.clone())),
        Options {
            user_agent: ua,
            ignore_incoming_txs: args.get_bool_arg("-blocksonly", false),
            max_headers_result: 2000,
            local_services: opts.local_services,
            peer_timeout: opts.peer_connect_timeout,
        },
    );
    peerman.set_addrman(addrman.clone());
    node.chainstate()
        .subscribe(Box::new(peerman.chain_event_sink()));
    // Core saves the address manager every 15 minutes and at shutdown.
    let (am, path) = (Arc::downgrade(&addrman), peers_dat.clone());
    node.scheduler
        .schedule_every(std::time::Duration::from_secs(15 * 60), move || {
            if let Some(am) = am.upgrade() {
                dump_addresses(&am, &path, magic);
            }
        });
    // Core checks for a stale tip and extra outbound peers every 45 seconds.
    let weak = Arc::downgrade(&peerman);
    node.scheduler.schedule_every(
        std::time::Duration::from_secs(net_processing::EXTRA_PEER_CHECK_INTERVAL),
        move || {
            if let Some(pm) = weak.upgrade() {
                pm.check_for_stale_tip_and_evict_peers();
            }
        },
    );
    // Core retries its unbroadcast transactions every 10 to 15 minutes.
    let weak = Arc::downgrade(&peerman);
    node.scheduler
        .schedule_every(std::time::Duration::from_secs(12 * 60), move || {
            if let Some(pm) = weak.upgrade() {
                pm.reattempt_initial_broadcast();
            }
        });
    connman.start(opts, peerman.clone()).map_err(|e| {
        common::logging::log_error(&e.to_string());
        StartupError(format!("Error: {e}"))
    })?;
    let peers = Peers {
        connman,
        peerman,
        banman,
        addrman,
        peers_dat: (peers_dat, magic),
        settings: NetSettings {
            user_agent: user_agent(args),
            reachable,
            proxies,
        },
    };
    *lock(&node.peers) = Some(peers.clone());
    log_info!("init message: Starting network threads…");
    Ok(peers)
}

impl Peers {
    /// Stops the network threads and closes every connection.
    pub fn stop(&self, node: &NodeContext) {
        // Dropping the node's handle breaks the cycle through the peer logic's node.
        *lock(&node.peers) = None;
        self.connman.stop();
        if let Err(e) = lock(&self.banman).dump_banlist() {
            common::logging::log_error(&format!("Failed to write the ban list: {e}"));
        }
        dump_addresses(&self.addrman, &self.peers_dat.0, self.peers_dat.1);
    }
}

/// `DumpAddresses`: writes `peers.dat` (atomically: a temporary file, then a rename).
fn dump_addresses(
    am: &Mutex<addrman::addrman::AddrMan>,
    path: &std::path::Path,
    magic: bitcoin::p2p::Magic,
) {
    let started = std::time::Instant::now();
    let mut am = lock(am);
    match addrman::peers::write_peers_file(path, magic, &am) {
        Ok(()) => common::log_debug!(
            common::logging::Category::Net,
            "Flushed {} addresses to peers.dat {}ms",
            am.size(None, None),
            started.elapsed().as_millis()
        ),
        Err(e) => common::logging::log_error(&format!("DumpPeerAddresses: {e}")),
    }
}
