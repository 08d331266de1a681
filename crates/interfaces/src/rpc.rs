//! `Rpc`: runs JSON-RPC requests in the node for another process, as Core's
//! `interfaces::Rpc` does for `bitcoin-cli -ipcconnect`.

use crate::Result;

/// Executes JSON-RPC requests with the node's dispatcher.
#[ipc::interface(module = crate::generated::rpc_ipc::rpc)]
pub trait Rpc: Send + Sync {
    /// Runs `request` (a JSON-RPC request or batch, as JSON text) as if it had arrived over
    /// HTTP at `uri` from `user`; returns the JSON reply text.
    fn execute_rpc(&self, request: String, uri: String, user: String) -> Result<String>;
}
