//! The `bitcoin-wallet` process spawned by `bitcoin-node`: it serves `Init` on the
//! inherited socket, and `makeWalletLoader` gives the node a loader running here, over
//! the node's `Chain`. It exits when the node's connection closes.

use std::sync::Arc;

use common::args::ArgFlags;
use common::ArgsManager;
use interfaces::{Chain, Echo, EchoImpl, Init, InitServer, WalletLoader};

/// The wallet process's `Init`.
#[derive(Default)]
pub struct WalletInit;

/// The node's options as the wallet reads them: the node's command line, then the same
/// configuration file. Options the wallet does not know are accepted, as the node
/// already checked them.
pub fn wallet_args(argv: &[String]) -> Result<ArgsManager, String> {
    let mut args = ArgsManager::empty();
    common::logging::init::add_logging_args(&args);
    crate::init::add_options(&args);
    args.set_default_flags(Some(ArgFlags::ALLOW_ANY));
    args.parse_parameters(argv.iter().cloned())
        .map_err(|e| format!("Error parsing command line arguments: {e}"))?;
    args.init_config().map_err(|e| e.to_string())?;
    Ok(args)
}

fn start_logging(args: &ArgsManager) {
    use common::logging::init;
    init::set_logging_options(args);
    let _ = init::set_logging_categories(args);
    let _ = init::set_logging_level(args);
    let _ = common::logging::instance().start_logging();
    interfaces::logging::install_ipc_logging("bitcoin-wallet");
}

impl Init for WalletInit {
    fn make_echo(&self) -> interfaces::Result<Box<dyn Echo>> {
        Ok(Box::new(EchoImpl))
    }

    fn make_wallet_loader(
        &self,
        chain: Box<dyn Chain>,
        args: Vec<String>,
    ) -> interfaces::Result<Box<dyn WalletLoader>> {
        let wargs = wallet_args(&args).map_err(ipc::Error::Remote)?;
        let chain_type = wargs
            .get_chain_type()
            .map_err(|e| ipc::Error::Remote(e.to_string()))?;
        start_logging(&wargs);
        let chain: Arc<dyn Chain> = Arc::from(chain);
        let loader =
            crate::loader::Loader::new(chain, wargs, chain_type).map_err(ipc::Error::Remote)?;
        Ok(Box::new(loader))
    }
}

/// Serves the wallet process on the inherited socket `fd` until the node disconnects.
pub fn serve(fd: i32) -> Result<(), String> {
    common::logging::set_thread_name("wallet");
    let init: Arc<dyn ipc::ServerObject> = Arc::new(InitServer::new(Arc::new(WalletInit)));
    ipc::serve_fd(fd, init).map_err(|e| e.to_string())
}
