//! `Init`: the bootstrap object every process serves on an IPC connection.

use crate::{Chain, Echo, Result, Rpc, WalletLoader};

/// Creates the other interfaces of a process. Method @0 (`construct`) belongs to the runtime.
#[ipc::interface(module = crate::generated::init_ipc::init)]
pub trait Init: Send + Sync {
    /// A new `Echo` object.
    fn make_echo(&self) -> Result<Box<dyn Echo>>;
    /// Retired ordinal @2; always an error, as in Core.
    fn make_mining_old2(&self) -> Result<()> {
        Err(ipc::Error::Remote(
            "Old mining interface (@2) not supported. Please update your client!".into(),
        ))
    }
    /// A new `Rpc` object; only the node has one.
    fn make_rpc(&self) -> Result<Box<dyn Rpc>> {
        Err(ipc::Error::Remote("This process does not serve RPC".into()))
    }
    /// A wallet loader over the node's `chain`, configured by the node's command-line
    /// `args`; only the wallet process has one.
    fn make_wallet_loader(
        &self,
        chain: Box<dyn Chain>,
        args: Vec<String>,
    ) -> Result<Box<dyn WalletLoader>> {
        let _ = (chain, args);
        Err(ipc::Error::Remote(
            "This process does not run wallets".into(),
        ))
    }
}
