//! The node's RPC commands, registered in a [`rpc::Table`] that the HTTP server and
//! RPC-over-IPC both dispatch to.

pub mod blockchain;
pub mod blockstats;
pub mod coinview;
pub mod control;
pub mod deployments;
pub mod fees;
pub mod mempool;
pub mod mining;
pub mod mining_docs;
pub mod net;
pub mod psbt;
pub mod psbt_docs;
pub mod psbt_json;
pub mod rawtransaction;
pub mod rawtx_docs;
pub mod rawtx_util;
pub mod scan;
pub mod template;
pub mod txlookup;
pub mod util;
pub mod values;

use std::sync::Arc;

use rpc::{Arg, Command, Request, RpcError, RpcResult, Table};

use crate::context::NodeContext;

/// Registers the node's commands in `table` (which the servers may already be using in
/// warm-up); `getrpcinfo` reports on that same table.
pub fn register_all(table: &Arc<Table>, node: &Arc<NodeContext>, log_path: String) {
    control::register(table, node, Arc::downgrade(table), log_path);
    blockchain::register(table, node);
    mining::register(table, node);
    mempool::register(table, node);
    deployments::register(table, node);
    template::register(table, node);
    blockstats::register(table, node);
    scan::register(table, node);
    mining_docs::register(table);
    util::register(table, node);
    txlookup::register(table, node);
    fees::register(table, node);
    rawtransaction::register(table, node);
    psbt::register(table, node);
    net::register(table, node);
}

/// A command with no examples beyond Core's usual `bitcoin-cli` and JSON-RPC forms.
pub(crate) fn command(
    category: &'static str,
    name: &'static str,
    description: &'static str,
    args: Vec<Arg>,
    result: &'static str,
    handler: impl Fn(&Request) -> RpcResult + Send + Sync + 'static,
) -> Command {
    let examples = examples_for(name, &args);
    Command {
        category,
        name,
        description,
        args,
        result,
        examples: examples.into(),
        handler: Arc::new(handler),
    }
}

/// Examples in Core's form for calling `name` from bitcoin-cli and over JSON-RPC, with the
/// required arguments as placeholders.
fn examples_for(name: &str, args: &[Arg]) -> String {
    let required: Vec<String> = args
        .iter()
        .filter(|a| !a.is_optional() && !a.hidden)
        .map(|a| {
            let n = a.first_name();
            match a.ty {
                rpc::ArgType::Str | rpc::ArgType::StrHex => format!("\"{n}\""),
                _ => n.to_string(),
            }
        })
        .collect();
    format!(
        "{}{}",
        rpc::help_example_cli(name, &required.join(" ")),
        rpc::help_example_rpc(name, &required.join(", "))
    )
}

/// A double as Core's UniValue prints it.
pub(crate) use rpc::double_value as format_double;

/// Maps a failure of our own storage to an RPC error with `code`.
pub(crate) trait ToRpcError<T> {
    /// The error as `code` with its message.
    fn to_rpc(self, code: i32) -> Result<T, RpcError>;
}

impl<T, E: std::fmt::Display> ToRpcError<T> for Result<T, E> {
    fn to_rpc(self, code: i32) -> Result<T, RpcError> {
        self.map_err(|e| RpcError::new(code, e.to_string()))
    }
}
