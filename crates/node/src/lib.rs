//! The node: `bitcoind` (everything in one process) and `bitcoin-node` (the same node,
//! serving IPC and spawning other processes). Both run [`run`]: options and config as
//! Core's, logging, the JSON-RPC server, the chainstate, and a graceful shutdown.

pub mod chain_interface;
pub mod chainstate;
pub mod context;
pub mod daemon;
pub mod fee_estimation;
pub mod mempool_chain;
pub mod mempool_options;
pub mod mempool_persist;
pub mod notifications;
pub mod options;
pub mod peers;
pub mod rpc;
pub mod scheduler;
pub mod settings_file;

use std::path::PathBuf;
use std::sync::Arc;

use common::logging::{self, Category};
use common::{log_info, ArgsManager};
use interfaces::{Echo, EchoImpl, Init, InitServer, Rpc};

use crate::context::NodeContext;
use crate::options::Binary;

/// The node's `Init`: the first object another process gets from it.
#[derive(Default)]
pub struct NodeInit {
    /// The command table, for `makeRpc`; none in a process spawned only to echo.
    pub table: Option<Arc<::rpc::Table>>,
}

impl Init for NodeInit {
    fn make_echo(&self) -> interfaces::Result<Box<dyn Echo>> {
        Ok(Box::new(EchoImpl))
    }

    fn make_rpc(&self) -> interfaces::Result<Box<dyn Rpc>> {
        match &self.table {
            Some(t) => Ok(Box::new(RpcImpl(t.clone()))),
            None => Err(ipc::Error::Remote("This process does not serve RPC".into())),
        }
    }
}

/// Runs requests through the same dispatcher as HTTP (Core's `RpcImpl`).
struct RpcImpl(Arc<::rpc::Table>);

impl Rpc for RpcImpl {
    fn execute_rpc(
        &self,
        request: String,
        uri: String,
        user: String,
    ) -> interfaces::Result<String> {
        let reply = ::rpc::handle_json_rpc(&self.0, &request, &uri, &user, "");
        Ok(reply.body.trim_end_matches('\n').to_string())
    }
}

/// `Init` as an object that can be served over IPC.
pub fn init_server(table: Option<Arc<::rpc::Table>>) -> Arc<dyn ipc::ServerObject> {
    Arc::new(InitServer::new(Arc::new(NodeInit { table })))
}

/// A startup failure, reported as Core does (`Error: ...`) with exit status 1.
#[derive(Debug)]
pub struct StartupError(pub String);

impl std::fmt::Display for StartupError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

fn err(e: impl std::fmt::Display) -> StartupError {
    StartupError(format!("Error: {e}"))
}

pub use interfaces::logging::{install_ipc_logging, ipc_log_level};

/// Version text of `-version` and `-help`.
fn version_line(binary: Binary) -> String {
    let mut s = format!(
        "{} daemon version {}",
        common::version::CLIENT_NAME,
        common::version::CLIENT_BUILD
    );
    if binary == Binary::BitcoinNode {
        s.push_str(" bitcoin-node");
    }
    s
}

const HELP_INTRO: &str =
    "\nThis program is a Bitcoin full node without a user interface: it checks every block \
and transaction against the consensus rules, keeps the chain and the set of unspent outputs, \
and answers JSON-RPC requests about them.\n\nUsage: bitcoind [options]\n\n";

/// Runs the node as `binary` with `argv` (without the program name). `Ok(())` exits 0.
pub fn run(binary: Binary, argv: Vec<String>) -> Result<(), StartupError> {
    let exe_name = match binary {
        Binary::Bitcoind => "bitcoind",
        Binary::BitcoinNode => "bitcoin-node",
    };
    // Spawned by another process as exactly `[exe, "-ipcfd", N]`, as Core spawns it:
    // serve Init on the inherited socket and exit when the parent disconnects.
    if binary == Binary::BitcoinNode {
        if let [flag, fd] = argv.as_slice() {
            if flag == "-ipcfd" {
                let fd: i32 = fd
                    .parse()
                    .map_err(|_| StartupError(format!("Error: Invalid -ipcfd value '{fd}'")))?;
                return ipc::serve_fd(fd, init_server(None)).map_err(err);
            }
        }
    }
    logging::set_thread_name("init");
    let mut args = ArgsManager::empty();
    options::register(&args, binary);
    args.parse_parameters(argv.clone())
        .map_err(|e| StartupError(format!("Error: Error parsing command line arguments: {e}")))?;
    let messages = args.init_config().map_err(err)?;
    if let Some(e) = common::args::unexpected_token(&argv) {
        return Err(err(e));
    }
    if args.help_requested() || args.get_bool_arg("-version", false) {
        let mut out = version_line(binary);
        out.push('\n');
        if args.get_bool_arg("-version", false) {
            out.push_str(&common::strutil::format_paragraph(
                &common::version::license_info(),
                79,
                0,
            ));
        } else {
            out.push_str(HELP_INTRO);
            out.push_str(&args.get_help_message());
        }
        print!("{out}");
        return Ok(());
    }
    args.soft_set_bool_arg("-server", true);
    logging::init::set_logging_options(&args);
    logging::init::set_logging_categories(&args).map_err(err)?;
    logging::init::set_logging_level(&args).map_err(err)?;
    logging::init::set_rate_limiting_from_args(&args);
    for m in messages {
        m.emit();
    }
    args.check_section_only_args().map_err(err)?;
    let daemon_wait = args.get_bool_arg("-daemonwait", false);
    if daemon_wait || args.get_bool_arg("-daemon", false) {
        println!("Bitcoin Core starting");
        match daemon::daemonize(daemon_wait) {
            Ok(daemon::Forked::Child) => {}
            Ok(daemon::Forked::Parent(0)) => return Ok(()),
            Ok(daemon::Forked::Parent(_)) => {
                return Err(StartupError(
                    "Error during initialization - check debug.log for details".into(),
                ))
            }
            Err(e) => return Err(StartupError(format!("Error: fork_daemon() failed: {e}"))),
        }
    }
    // Blocked before any thread starts, so every thread leaves them to the signal thread.
    let signals = block_shutdown_signals();
    let chain = args.get_chain_type().map_err(err)?;
    let net_dir = args.get_data_dir_net();
    // A new network directory gets a "wallets" directory, so wallets never mix with the
    // node's files; an existing one is left as it is (Core's InitConfig).
    if !net_dir.exists() {
        std::fs::create_dir_all(net_dir.join("wallets")).map_err(err)?;
    }
    std::fs::create_dir_all(&net_dir).map_err(err)?;
    let rw_path = settings_file::path(&args, &net_dir);
    if let Some(p) = &rw_path {
        settings_file::read(&args, p)
            .map_err(|e| StartupError(format!("Error: Settings file could not be read:\n- {e}")))?;
    }
    let settings = Arc::new(chain_interface::Settings {
        args,
        rw_path,
        write_lock: std::sync::Mutex::new(()),
    });
    let args = &settings.args;
    let blocks_dir = args.get_blocks_dir_path().map_err(err)?;
    if !blocks_dir.is_dir() {
        return Err(StartupError(format!(
            "Error: Specified blocks directory \"{}\" does not exist.",
            args.get_arg_or("-blocksdir", "")
        )));
    }
    // Held until the process exits, so a second node cannot use the same directories.
    let _locks = [lock_directory(&net_dir)?, lock_directory(&blocks_dir)?];
    let pid_file = PidFile::create(args, &net_dir)?;
    logging::init::start_logging(args).map_err(err)?;
    log_info!("{}", version_line(binary));
    if let Some(w) = args.unrecognized_sections_warning() {
        logging::log_warning(&w);
    }
    install_ipc_logging(exe_name);
    let mock = args.get_int_arg("-mocktime", 0);

    // Parameter checks come before any server starts, as Core's
    // AppInitParameterInteraction.
    let mempool_options = mempool_options::mempool_options(args, chain)?;
    let assembler = mempool_options::assembler_options(args)?;
    let accept_stale_fees = args.get_bool_arg("-acceptstalefeeestimates", false);
    if accept_stale_fees && chain != common::ChainType::Regtest {
        return Err(StartupError(format!(
            "Error: acceptstalefeeestimates is not supported on {} chain.",
            chain.name()
        )));
    }
    let test_options = args.get_args("-test");
    if !test_options.is_empty() {
        if chain != common::ChainType::Regtest {
            return Err(StartupError(
                "Error: -test=<option> can only be used with regtest".into(),
            ));
        }
        for option in test_options.iter().filter(|o| *o != "addrman") {
            logging::log_warning(&format!(
                "Unrecognised option \"{option}\" provided in -test=<option>."
            ));
        }
    }
    let params = chainstate::chain_params(chain, args)?;
    let options = chainstate::options(&params, args)?;
    options::check_txindex(args).map_err(StartupError)?;

    // The RPC server answers "warming up" until the chainstate is loaded.
    let table = Arc::new(::rpc::Table::new());
    table.set_warmup(Some("Loading block index…".into()));
    let http = if args.get_bool_arg("-server", false) {
        let config = ::rpc::HttpConfig::from_args(args, chain, &net_dir).map_err(err)?;
        let log: ::rpc::http::LogSink = Arc::new(log_line);
        Some(
            ::rpc::HttpServer::start(config, table.clone(), log).map_err(|e| {
                logging::log_error(&e.to_string());
                StartupError(
                    "Error: Unable to start HTTP server. See debug log for details.".into(),
                )
            })?,
        )
    } else {
        None
    };

    let chainstate = chainstate::open(
        &net_dir,
        &blocks_dir,
        params,
        options,
        args,
        Box::new(log_line),
    )?;
    let mut chainstate = verify_loaded_chainstate(chainstate, args, &table)?;
    let txindex = open_txindex(args, &net_dir, &mut chainstate)?;
    let spawn_exe = match binary {
        Binary::BitcoinNode => std::env::current_exe().ok(),
        Binary::Bitcoind => None,
    };
    let node = NodeContext::new(
        chain,
        chainstate,
        mempool::Mempool::new(mempool_options),
        assembler,
        mempool_persist::Persistence {
            path: net_dir.join("mempool.dat"),
            enabled: args.get_bool_arg("-persistmempool", true),
            v1: args.get_bool_arg("-persistmempoolv1", false),
        },
        args.get_args("-deprecatedrpc"),
        spawn_exe,
    );
    if let Some(ix) = txindex {
        // Set before any command can run, so it is never seen unset with -txindex.
        let _ = node.txindex.set(ix);
    }
    if mock != 0 {
        node.mock_time
            .store(mock, std::sync::atomic::Ordering::Relaxed);
        logging::instance().set_mocktime(mock);
    }
    if let Some(paths) = node.fee_paths.clone() {
        fee_estimation::migrate_legacy(&paths);
        let tip = {
            let cs = node.chainstate();
            Some((cs.height(), cs.tip()))
        };
        fee_estimation::load(
            &mut context::lock(&node.fee_estimator),
            &paths,
            accept_stale_fees,
            tip,
        );
        let n = node.clone();
        node.scheduler
            .schedule_every(fees::FEE_FLUSH_INTERVAL, move || {
                fee_estimation::flush(&n, false)
            });
    }
    node.scheduler.spawn();
    let log_path = logging::instance().file_path().display().to_string();
    rpc::register_all(&table, &node, log_path);

    // Chain clients (wallets) hear about blocks and pool changes through one ordered queue.
    let queue = node.notifications.clone();
    let queue_thread = queue.start().map_err(err)?;
    node.chainstate()
        .subscribe(Box::new(notifications::ChainToQueue {
            queue: queue.clone(),
            node: Arc::downgrade(&node),
        }));
    context::lock(&node.pool_listeners).push(Arc::new(notifications::PoolToQueue(queue.clone())));
    let wallets = if args.get_bool_arg("-disablewallet", false) {
        log_info!("Wallet disabled!");
        None
    } else {
        let chain = chain_interface::NodeChain::new(
            node.clone(),
            queue.clone(),
            table.clone(),
            settings.clone(),
        );
        Some(start_wallets(
            binary,
            chain,
            &argv,
            chain_type_of(args)?,
            &node,
        )?)
    };
    let peers = peers::start(&node, args, chain, &net_dir)?;
    if args.get_bool_arg("-stopafterblockimport", false) {
        log_info!("Stopping after block import");
        node.request_shutdown();
    }

    let mut listeners = Vec::new();
    if binary == Binary::BitcoinNode {
        for address in args.get_args("-ipcbind") {
            let addr = ipc::SocketAddress::parse(&address, &net_dir, exe_name)
                .map_err(|e| StartupError(format!("Error: {}", e.message())))?;
            let t = table.clone();
            let l = ipc::listen(&addr, move || init_server(Some(t.clone())))
                .map_err(|e| StartupError(format!("Error: {}", e.message())))?;
            log_info!(
                "Listening for IPC requests on address unix:{}",
                addr.path.display()
            );
            listeners.push(l);
        }
    }
    table.set_warmup(None);
    log_info!("init message: Done loading");
    daemon::notify_started();
    // Core starts the indexes' sync after the block import, before loading the pool.
    if let Some(ix) = node.txindex.get() {
        ix.start_background_sync(node.clone()).map_err(err)?;
    }
    // Core loads the saved pool in the background after "Done loading".
    if node.persistence.enabled && !node.shutdown_requested() {
        let path = node.persistence.path.clone();
        mempool_persist::load(&node, &path, mempool_persist::ImportOptions::default());
    }
    if !node.shutdown_requested() {
        context::lock(&node.mempool).set_loaded();
    }

    spawn_signal_thread(signals, node.clone());
    node.wait_for_shutdown();
    let result = shut_down(&node, http, listeners, peers, wallets);
    queue.stop();
    let _ = queue_thread.join();
    drop(pid_file);
    result
}

fn chain_type_of(args: &ArgsManager) -> Result<common::ChainType, StartupError> {
    args.get_chain_type().map_err(err)
}

/// The wallets of the node: in this process (`bitcoind`) or in a `bitcoin-wallet` child
/// (`bitcoin-node`), behind the same `WalletLoader` interface.
struct Wallets {
    loader: Box<dyn interfaces::WalletLoader>,
    /// The wallet process, when the wallets run in one.
    child: Option<ipc::process::Child>,
}

impl Wallets {
    fn stop(self) {
        if let Err(e) = self.loader.stop() {
            logging::log_warning(&format!("Stopping the wallets failed: {e}"));
        }
        drop(self.loader);
        if let Some(child) = self.child {
            child.wait();
        }
    }
}

fn start_wallets(
    binary: Binary,
    chain: chain_interface::NodeChain,
    argv: &[String],
    chain_type: common::ChainType,
    node: &Arc<NodeContext>,
) -> Result<Wallets, StartupError> {
    let (loader, child): (Box<dyn interfaces::WalletLoader>, _) = match binary {
        Binary::Bitcoind => {
            let args = wallet::process::wallet_args(argv).map_err(StartupError)?;
            let loader = wallet::loader::Loader::new(Arc::new(chain), args, chain_type)
                .map_err(|e| StartupError(format!("Error: {e}")))?;
            (Box::new(loader), None)
        }
        Binary::BitcoinNode => {
            let exe = std::env::current_exe()
                .map_err(err)?
                .with_file_name("bitcoin-wallet");
            let child = ipc::spawn(&exe).map_err(err)?;
            let (watch, pid, n) = (child.watch(), child.pid(), Arc::downgrade(node));
            std::thread::Builder::new()
                .name("b-walletwatch".into())
                .spawn(move || {
                    let status = watch.wait();
                    if n.upgrade().is_some_and(|n| !n.shutdown_requested()) {
                        logging::log_warning(&format!(
                            "Wallet process bitcoin-wallet (pid {pid}) exited unexpectedly ({status}); wallet RPC commands fail until the node restarts"
                        ));
                    }
                })
                .map_err(err)?;
            let init: interfaces::InitClient =
                ipc::process::bootstrap(child.connection()).map_err(err)?;
            let loader = init
                .make_wallet_loader(Box::new(chain), argv.to_vec())
                .map_err(err)?;
            (loader, Some(child))
        }
    };
    loader.load().map_err(|e| match e {
        ipc::Error::Remote(m) => StartupError(format!("Error: {m}")),
        other => err(other),
    })?;
    Ok(Wallets { loader, child })
}

/// Takes `<dir>/.lock` for this process (Core's `LockDirectory`).
fn lock_directory(dir: &std::path::Path) -> Result<std::fs::File, StartupError> {
    use std::os::fd::AsRawFd;
    let path = dir.join(".lock");
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(|_| {
            StartupError(format!(
                "Error: Cannot write to directory '{}'; check permissions.",
                dir.display()
            ))
        })?;
    // SAFETY: flock on a descriptor we own; the lock lives as long as the file.
    let rc = unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) };
    if rc != 0 {
        return Err(StartupError(format!(
            "Error: Cannot obtain a lock on directory {}. Bitcoin Core is probably already running.",
            dir.display()
        )));
    }
    Ok(file)
}

/// The `-pid` file, removed again at exit (Core's `CreatePidFile`).
struct PidFile(Option<PathBuf>);

impl PidFile {
    fn create(args: &ArgsManager, net_dir: &std::path::Path) -> Result<PidFile, StartupError> {
        if args.is_arg_negated("-pid") {
            return Ok(PidFile(None));
        }
        let name = args.get_arg_or("-pid", "bitcoind.pid");
        let path = args.abs_path_for_config_val(std::path::Path::new(&name), true);
        let path = if path.is_absolute() {
            path
        } else {
            net_dir.join(path)
        };
        std::fs::write(&path, format!("{}\n", std::process::id())).map_err(|e| {
            StartupError(format!(
                "Error: Unable to create the PID file '{}': {e}",
                path.display()
            ))
        })?;
        Ok(PidFile(Some(path)))
    }
}

impl Drop for PidFile {
    fn drop(&mut self) {
        if let Some(p) = &self.0 {
            if let Err(e) = std::fs::remove_file(p) {
                logging::log_warning(&format!("Unable to remove PID file ({}): {e}", p.display()));
            }
        }
    }
}

/// Checks the last blocks of a chainstate that was loaded rather than rebuilt
/// (`-checkblocks`, `-checklevel`), as Core's `VerifyLoadedChainstate`.
fn verify_loaded_chainstate(
    mut chainstate: chain::ChainState,
    args: &ArgsManager,
    table: &::rpc::Table,
) -> Result<chain::ChainState, StartupError> {
    use chain::chainstate::{VerifyOutcome, DEFAULT_CHECKBLOCKS, DEFAULT_CHECKLEVEL};
    if args.get_bool_arg("-reindex", false) || args.get_bool_arg("-reindex-chainstate", false) {
        return Ok(chainstate);
    }
    table.set_warmup(Some("Verifying blocks…".into()));
    log_info!("init message: Verifying blocks…");
    let level = args.get_int_arg("-checklevel", i64::from(DEFAULT_CHECKLEVEL));
    let depth = args.get_int_arg("-checkblocks", i64::from(DEFAULT_CHECKBLOCKS));
    let clamp = |v: i64| v.clamp(i64::from(i32::MIN), i64::from(i32::MAX)) as i32;
    let outcome = chainstate
        .verify_db(clamp(level), clamp(depth))
        .map_err(err)?;
    let full_required = args.is_arg_set("-checkblocks") || args.is_arg_set("-checklevel");
    match outcome {
        VerifyOutcome::Corrupted => Err(StartupError(
            "Error: Corrupted block database detected.\nPlease restart with -reindex or -reindex-chainstate to recover.".into(),
        )),
        VerifyOutcome::SkippedL3Checks if full_required => Err(StartupError(
            "Error: Insufficient dbcache for block verification".into(),
        )),
        _ => Ok(chainstate),
    }
}

/// Opens the transaction index with `-txindex` (wiped with `-reindex`, as Core rebuilds
/// the enabled indexes); without it the index's data stays on disk untouched.
fn open_txindex(
    args: &ArgsManager,
    net_dir: &std::path::Path,
    chainstate: &mut chain::ChainState,
) -> Result<Option<Arc<index::TxIndex>>, StartupError> {
    if !args.get_bool_arg("-txindex", index::DEFAULT_TXINDEX) {
        return Ok(None);
    }
    let dir = net_dir.join("indexes").join("txindex");
    let wipe = args.get_bool_arg("-reindex", false);
    let ix = index::TxIndex::open(&dir, wipe, chainstate)
        .map_err(|e| StartupError(format!("Error: {e}")))?;
    Ok(Some(Arc::new(ix)))
}

/// Logs a line from a component: with a debug category (`Some("rpc")`) only when that
/// category is enabled, without one always.
fn log_line(category: Option<&'static str>, line: &str) {
    if category == Some(chain::chainstate::LOG_ERROR) {
        return logging::log_error(line);
    }
    match category.and_then(Category::from_name) {
        Some(c) => logging::log_debug(c, line),
        None => logging::log_info(line),
    }
}

/// Stops serving and writes the chainstate out, with Core's log lines.
fn shut_down(
    node: &NodeContext,
    http: Option<::rpc::HttpServer>,
    listeners: Vec<ipc::process::Listener>,
    peers: peers::Peers,
    wallets: Option<Wallets>,
) -> Result<(), StartupError> {
    log_info!("Shutdown: In progress...");
    if let Some(h) = &http {
        h.interrupt();
    }
    if let Some(h) = http {
        h.stop();
    }
    drop(listeners);
    peers.stop(node);
    // Wallets unload after the RPC server stopped taking calls, as in Core.
    if let Some(w) = wallets {
        w.stop();
    }
    if node.persistence.enabled && lock_loaded(node) {
        mempool_persist::dump(node, &node.persistence.path, node.persistence.v1);
    }
    fee_estimation::flush(node, true);
    node.scheduler.stop();
    node.chainstate().flush().map_err(err)?;
    if let Some(ix) = node.txindex.get() {
        ix.stop();
    }
    log_info!("Shutdown: done");
    Ok(())
}

fn lock_loaded(node: &NodeContext) -> bool {
    context::lock(&node.mempool).loaded()
}

/// Blocks SIGINT and SIGTERM in the calling thread and the threads it starts later.
fn block_shutdown_signals() -> libc::sigset_t {
    // SAFETY: plain libc signal-mask calls on a local, initialised set.
    unsafe {
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut set);
        libc::sigaddset(&mut set, libc::SIGINT);
        libc::sigaddset(&mut set, libc::SIGTERM);
        libc::pthread_sigmask(libc::SIG_BLOCK, &set, std::ptr::null_mut());
        set
    }
}

/// Waits for SIGINT or SIGTERM on a thread of its own, then asks the node to shut down.
fn spawn_signal_thread(set: libc::sigset_t, node: Arc<NodeContext>) {
    let _ = std::thread::Builder::new()
        .name("signals".into())
        .spawn(move || {
            let mut sig = 0;
            // SAFETY: set is an initialised signal set and sig a valid out-pointer.
            unsafe { libc::sigwait(&set, &mut sig) };
            node.request_shutdown();
        });
}
