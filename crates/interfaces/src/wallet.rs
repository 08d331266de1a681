//! `WalletLoader`: the wallet process's entry point (Core's `interfaces::WalletLoader`,
//! the `ChainClient` part).

use crate::Result;

/// Loads and runs the wallets of one process.
#[ipc::interface(module = crate::generated::wallet_ipc::wallet_loader)]
pub trait WalletLoader: Send + Sync {
    /// Verifies the `-wallet` files, registers the RPC commands with the node and loads
    /// the wallets to load at start-up. An error stops the node's start-up, as in Core.
    fn load(&self) -> Result<()>;
    /// Starts periodic tasks.
    fn start(&self) -> Result<()>;
    /// Writes pending state.
    fn flush(&self) -> Result<()>;
    /// Unloads every wallet.
    fn stop(&self) -> Result<()>;
    /// Names of the loaded wallets.
    fn list_wallet_names(&self) -> Result<Vec<String>>;
}
