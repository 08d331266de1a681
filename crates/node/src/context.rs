//! What the node's RPC commands and other components share (Core's `NodeContext`).

use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, OnceLock};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use bitcoin::BlockHash;
use chain::chainstate::ChainEvents;
use chain::ChainState;
use common::ChainType;

/// The active chain's tip as last announced, for the `waitfor*` commands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TipInfo {
    /// Tip hash.
    pub hash: BlockHash,
    /// Tip height.
    pub height: u32,
}

/// A tip that can be waited on: updated by the chainstate's notifications.
#[derive(Debug)]
pub struct TipWatch {
    tip: Mutex<TipInfo>,
    changed: Condvar,
}

impl TipWatch {
    /// Starts at `tip`.
    pub fn new(tip: TipInfo) -> Arc<TipWatch> {
        Arc::new(TipWatch {
            tip: Mutex::new(tip),
            changed: Condvar::new(),
        })
    }

    /// The last announced tip.
    pub fn get(&self) -> TipInfo {
        *lock(&self.tip)
    }

    fn set(&self, tip: TipInfo) {
        *lock(&self.tip) = tip;
        self.changed.notify_all();
    }

    /// Wakes every waiter (shutdown).
    pub fn wake_all(&self) {
        let _guard = lock(&self.tip);
        self.changed.notify_all();
    }

    /// Waits until `done(tip)` holds, `interrupted()` holds, or `timeout` passes (`None`
    /// waits without limit); returns the tip then.
    pub fn wait_until(
        &self,
        timeout: Option<Duration>,
        interrupted: impl Fn() -> bool,
        done: impl Fn(&TipInfo) -> bool,
    ) -> TipInfo {
        let deadline = timeout.map(|t| Instant::now() + t);
        let mut guard = lock(&self.tip);
        loop {
            if done(&guard) || interrupted() {
                return *guard;
            }
            let wait = match deadline {
                None => Duration::from_millis(500),
                Some(d) => {
                    let now = Instant::now();
                    if now >= d {
                        return *guard;
                    }
                    (d - now).min(Duration::from_millis(500))
                }
            };
            guard = match self.changed.wait_timeout(guard, wait) {
                Ok((g, _)) => g,
                Err(poisoned) => poisoned.into_inner().0,
            };
        }
    }
}

/// Feeds tip updates from the chainstate into a [`TipWatch`].
pub struct TipNotifier(pub Arc<TipWatch>);

impl ChainEvents for TipNotifier {
    fn updated_block_tip(
        &mut self,
        tip: &BlockHash,
        height: u32,
        _fork_height: u32,
        _initial_download: bool,
    ) {
        self.0.set(TipInfo { hash: *tip, height });
    }
}

/// The mock time if set (non-zero), else the system time.
fn clock(mock: i64) -> i64 {
    match mock {
        0 => SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs() as i64)
            .unwrap_or(0),
        t => t,
    }
}

/// Locks a mutex, taking over a poisoned one: the data behind our mutexes stays
/// consistent because nothing panics half-way through changing it.
pub fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// The node's shared state.
pub struct NodeContext {
    /// The network.
    pub chain_type: ChainType,
    /// The chainstate, behind Core's `cs_main`.
    pub chainstate: Mutex<ChainState>,
    /// The transaction pool (locked after the chainstate when both are needed).
    pub mempool: Arc<Mutex<mempool::Mempool>>,
    /// Transactions of disconnected blocks waiting to return to the pool.
    pub disconnected: crate::mempool_chain::DisconnectedTxs,
    /// Block-building options.
    pub assembler: mempool::mining::AssemblerOptions,
    /// Weight and transaction count of the last block assembled (Core's
    /// `BlockAssembler::m_last_block_weight` and `m_last_block_num_txs`).
    pub last_block: Mutex<Option<(i64, usize)>>,
    /// Where the pool is saved (`mempool.dat`).
    pub persistence: crate::mempool_persist::Persistence,
    /// Fee estimation, fed by the pool's events; locked after the chainstate and the
    /// pool, never before them.
    pub fee_estimator: Mutex<fees::FeeEstimator>,
    /// The estimator files, under the network's data directory.
    pub fee_paths: Option<crate::fee_estimation::FeePaths>,
    /// Periodic tasks (the hourly fee-estimate flush).
    pub scheduler: Arc<crate::scheduler::Scheduler>,
    /// Subscribers to the pool's events, beside fee estimation.
    pub pool_listeners: Mutex<Vec<Arc<dyn crate::mempool_chain::PoolListener>>>,
    /// The tip, for waiting on it.
    pub tip: Arc<TipWatch>,
    /// When the node started (`uptime`).
    pub started: Instant,
    /// `setmocktime`: 0 means the real clock.
    pub mock_time: Arc<AtomicI64>,
    /// `-deprecatedrpc` values: deprecated behaviours kept on request.
    pub deprecated_rpc: Vec<String>,
    /// The executable `echoipc` spawns: this one in the multiprocess node, none in
    /// `bitcoind`, which echoes in-process as Core's does.
    pub spawn_exe: Option<std::path::PathBuf>,
    /// Notifications to chain clients (wallets), delivered in order on their own thread.
    pub notifications: Arc<crate::notifications::NotificationQueue>,
    /// The transaction index, with `-txindex` (Core's `g_txindex`): set once at start-up,
    /// before any RPC command runs; `txindex.get()` is `None` without `-txindex`.
    pub txindex: OnceLock<Arc<index::TxIndex>>,
    /// The connection manager, peer logic and ban list while the network runs.
    pub peers: Mutex<Option<crate::peers::Peers>>,
    shutdown: AtomicBool,
    shutdown_requested: Mutex<bool>,
    shutdown_cv: Condvar,
}

impl NodeContext {
    /// A context over an open chainstate; subscribes the tip watch to it.
    pub fn new(
        chain_type: ChainType,
        mut chainstate: ChainState,
        mempool: mempool::Mempool,
        assembler: mempool::mining::AssemblerOptions,
        persistence: crate::mempool_persist::Persistence,
        deprecated_rpc: Vec<String>,
        spawn_exe: Option<std::path::PathBuf>,
    ) -> Arc<NodeContext> {
        let tip = TipWatch::new(TipInfo {
            hash: chainstate.tip(),
            height: chainstate.height(),
        });
        chainstate.subscribe(Box::new(TipNotifier(tip.clone())));
        let mempool = Arc::new(Mutex::new(mempool));
        let disconnected: crate::mempool_chain::DisconnectedTxs = Arc::default();
        let mock_time = Arc::new(AtomicI64::new(0));
        let clock_time = mock_time.clone();
        chainstate.subscribe(Box::new(crate::mempool_chain::MempoolSync {
            pool: mempool.clone(),
            disconnected: disconnected.clone(),
            clock: Arc::new(move || clock(clock_time.load(Ordering::Relaxed))),
        }));
        Arc::new(NodeContext {
            chain_type,
            chainstate: Mutex::new(chainstate),
            mempool,
            disconnected,
            assembler,
            last_block: Mutex::new(None),
            fee_estimator: Mutex::new(fees::FeeEstimator::new()),
            fee_paths: persistence
                .path
                .parent()
                .map(crate::fee_estimation::FeePaths::new),
            scheduler: crate::scheduler::Scheduler::new(),
            pool_listeners: Mutex::new(Vec::new()),
            persistence,
            tip,
            started: Instant::now(),
            mock_time,
            deprecated_rpc,
            spawn_exe,
            notifications: crate::notifications::NotificationQueue::new(),
            txindex: OnceLock::new(),
            peers: Mutex::new(None),
            shutdown: AtomicBool::new(false),
            shutdown_requested: Mutex::new(false),
            shutdown_cv: Condvar::new(),
        })
    }

    /// Whether `-deprecatedrpc=<name>` asked to keep a deprecated behaviour
    /// (`IsDeprecatedRPCEnabled`).
    pub fn deprecated_rpc_enabled(&self, name: &str) -> bool {
        self.deprecated_rpc.iter().any(|d| d == name)
    }

    /// The `warnings` field of `getblockchaininfo` and friends: a list, or with
    /// `-deprecatedrpc=warnings` the latest warning as one string (`GetWarningsForRpc`).
    pub fn warnings_for_rpc(&self) -> serde_json::Value {
        if self.deprecated_rpc_enabled("warnings") {
            serde_json::Value::String(String::new())
        } else {
            serde_json::Value::Array(Vec::new())
        }
    }

    /// The peer logic, while the network runs.
    pub fn peerman(&self) -> Option<std::sync::Arc<net_processing::PeerManager>> {
        lock(&self.peers).as_ref().map(|p| p.peerman.clone())
    }

    /// Locks the chainstate.
    pub fn chainstate(&self) -> MutexGuard<'_, ChainState> {
        lock(&self.chainstate)
    }

    /// The node's clock: the mock time if set, else the system time (`GetTime`).
    pub fn now(&self) -> i64 {
        clock(self.mock_time.load(Ordering::Relaxed))
    }

    /// Asks the node to shut down (`stop`, a signal).
    pub fn request_shutdown(&self) {
        self.shutdown.store(true, Ordering::SeqCst);
        *lock(&self.shutdown_requested) = true;
        self.shutdown_cv.notify_all();
        self.tip.wake_all();
    }

    /// Whether shutdown was requested.
    pub fn shutdown_requested(&self) -> bool {
        self.shutdown.load(Ordering::SeqCst)
    }

    /// Blocks until shutdown is requested.
    pub fn wait_for_shutdown(&self) {
        let mut requested = lock(&self.shutdown_requested);
        while !*requested {
            requested = match self.shutdown_cv.wait(requested) {
                Ok(g) => g,
                Err(poisoned) => poisoned.into_inner(),
            };
        }
    }
}

/// How the indexes' sync threads reach the chainstate, and stop the node on an error
/// they cannot recover from (Core's `AbortNode`).
impl index::ChainAccess for NodeContext {
    fn with_chainstate(&self, f: &mut dyn FnMut(&ChainState)) {
        f(&self.chainstate());
    }

    fn fatal_error(&self, message: &str) {
        let log = common::logging::instance().file_path();
        let file = log.file_name().unwrap_or_default().to_string_lossy();
        common::logging::log_error(&format!(
            "A fatal internal error occurred, see {file} for details: {message}"
        ));
        self.request_shutdown();
    }
}
