//! The `bitcoin-node` process. For now it serves `Init` over IPC, on an inherited
//! socket (`-ipcfd`) or on unix sockets (`-ipcbind`), and runs the chainstate (blocks in
//! the data directory, `-reindex`); it grows into the full node.

pub mod chainstate;

use std::path::PathBuf;
use std::sync::Arc;

use common::logging::Logger;
use common::{ArgsManager, ChainType};
use interfaces::{Echo, EchoImpl, Init, InitServer};

/// Name of this executable, used for socket names and log thread tags.
pub const EXE_NAME: &str = "bitcoin-node";

/// Options `bitcoin-node` accepts so far.
pub const OPTIONS: &[&str] = &[
    "datadir",
    "regtest",
    "testnet",
    "testnet4",
    "signet",
    "chain",
    "ipcbind",
    "debug",
    "loglevel",
    "printtoconsole",
    "assumevalid",
    "blocksxor",
    "dbcache",
    "par",
    "reindex",
    "reindex-chainstate",
    "signetchallenge",
    "stopafterblockimport",
    "testactivationheight",
];

/// The node's `Init`: the first object another process gets from it.
#[derive(Debug, Default)]
pub struct NodeInit;

impl Init for NodeInit {
    fn make_echo(&self) -> interfaces::Result<Box<dyn Echo>> {
        Ok(Box::new(EchoImpl))
    }
}

/// `Init` as an object that can be served over IPC.
pub fn init_server() -> Arc<dyn ipc::ServerObject> {
    Arc::new(InitServer::new(Arc::new(NodeInit)))
}

/// A startup failure, reported as Core does (`Error: ...`) with exit status 1.
#[derive(Debug)]
pub struct StartupError(pub String);

impl std::fmt::Display for StartupError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// The IPC log level requested by `-debug` and `-loglevel`.
pub fn ipc_log_level(args: &ArgsManager) -> ipc::log::Level {
    let debug = args.get_all("debug");
    let enabled = debug
        .iter()
        .any(|c| c == "ipc" || c == "1" || c == "all" || c.is_empty());
    let trace = args
        .get_all("loglevel")
        .iter()
        .any(|l| l == "trace" || l == "ipc:trace");
    match (enabled, trace) {
        (true, true) => ipc::log::Level::Trace,
        (true, false) => ipc::log::Level::Debug,
        _ => ipc::log::Level::Info,
    }
}

/// Routes IPC log messages to `logger` with Core's prefixes.
pub fn install_ipc_logging(logger: Arc<Logger>, level: ipc::log::Level) {
    ipc::log::init(EXE_NAME, level, move |lvl, msg| match lvl {
        ipc::log::Level::Trace => logger.log("[ipc:trace] ", msg),
        ipc::log::Level::Debug => logger.log("[ipc] ", msg),
        ipc::log::Level::Info => logger.log("", &format!("ipc: {msg}")),
        ipc::log::Level::Warning => logger.log("[warning] ", &format!("ipc: {msg}")),
        ipc::log::Level::Error => logger.log("[error] ", &format!("ipc: {msg}")),
    });
}

/// Runs `bitcoin-node` with `argv` (without the program name); returns the exit status.
pub fn run(argv: Vec<String>) -> Result<(), StartupError> {
    // Spawned by another process as exactly `[exe, "-ipcfd", N]`, as Core spawns it:
    // serve Init on the inherited socket and exit when the parent disconnects.
    if let [flag, fd] = argv.as_slice() {
        if flag == "-ipcfd" {
            let fd: i32 = fd
                .parse()
                .map_err(|_| StartupError(format!("Error: Invalid -ipcfd value '{fd}'")))?;
            return ipc::serve_fd(fd, init_server())
                .map_err(|e| StartupError(format!("Error: {e}")));
        }
    }
    let mut args = ArgsManager::new(OPTIONS);
    args.parse(argv)
        .map_err(|e| StartupError(format!("Error parsing command line arguments: {e}")))?;

    // Blocked before any thread starts, so every thread leaves them to sigwait below.
    let signals = block_shutdown_signals();
    let chain = ChainType::from_args(&args).map_err(|e| StartupError(format!("Error: {e}")))?;
    let datadir = match args.get("datadir") {
        Some(d) if !d.is_empty() => PathBuf::from(d),
        _ => common::chain::default_datadir(),
    };
    if args.is_set("datadir") && !datadir.is_dir() {
        return Err(StartupError(format!(
            "Error: Specified data directory \"{}\" does not exist.",
            datadir.display()
        )));
    }
    let net_dir = chain.net_dir(&datadir);
    std::fs::create_dir_all(&net_dir).map_err(io_err)?;
    let logger = Arc::new(
        // As in Core: on by default, since there is no -daemon yet.
        Logger::new(&net_dir, true, args.get_bool("printtoconsole", true)).map_err(io_err)?,
    );
    install_ipc_logging(logger.clone(), ipc_log_level(&args));
    logger.log("", &format!("Using data directory {}", net_dir.display()));

    let params = chainstate::chain_params(chain, &args)?;
    let options = chainstate::options(&params, &args)?;
    let log = logger.clone();
    let mut chainstate = chainstate::open(
        &net_dir,
        params,
        options,
        &args,
        Box::new(move |line| log.log("", line)),
    )?;
    if args.get_bool("stopafterblockimport", false) {
        logger.log("", "Stopping after block import");
        return shut_down(&logger, &mut chainstate, Vec::new());
    }

    let mut listeners = Vec::new();
    for address in args.get_all("ipcbind") {
        let addr = ipc::SocketAddress::parse(&address, &net_dir, EXE_NAME)
            .map_err(|e| StartupError(format!("Error: {}", e.message())))?;
        let l = ipc::listen(&addr, init_server)
            .map_err(|e| StartupError(format!("Error: {}", e.message())))?;
        logger.log(
            "",
            &format!(
                "Listening for IPC requests on address unix:{}",
                addr.path.display()
            ),
        );
        listeners.push(l);
    }

    wait_for_signal(&signals);
    shut_down(&logger, &mut chainstate, listeners)
}

/// Stops serving and writes the chainstate out, with Core's log lines.
fn shut_down(
    logger: &Logger,
    chainstate: &mut chain::ChainState,
    listeners: Vec<ipc::process::Listener>,
) -> Result<(), StartupError> {
    logger.log("", "Shutdown: In progress...");
    drop(listeners);
    chainstate
        .flush()
        .map_err(|e| StartupError(format!("Error: {e}")))?;
    logger.log("", "Shutdown: done");
    Ok(())
}

fn io_err(e: std::io::Error) -> StartupError {
    StartupError(format!("Error: {e}"))
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

/// Waits until one of the blocked signals arrives.
fn wait_for_signal(set: &libc::sigset_t) {
    let mut sig = 0;
    // SAFETY: set is an initialised signal set and sig a valid out-pointer.
    unsafe { libc::sigwait(set, &mut sig) };
}
