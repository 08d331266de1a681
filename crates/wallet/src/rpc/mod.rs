//! The wallet's RPC commands. They run in the process that holds the wallets: each is
//! registered with the node's server through `Chain::handle_rpc`, which forwards the
//! requests for them (with their `/wallet/<name>` path) back here.

pub mod addresses;
pub mod addressinfo;
pub mod backup;
pub mod bumpfee;
pub mod coins;
pub mod descimport;
pub mod encrypt;
pub mod fund;
pub mod hdkeys;
pub mod misc;
pub mod rawtx;
pub mod sendall;
pub mod signmessage;
pub mod spend;
pub mod transactions;
pub mod unspent;
pub mod util;
pub mod wallet;

use std::sync::Arc;

use interfaces::RpcActor;
use rpc::{Arg, Command, Request, RpcResult, Table};

use crate::context::WalletContext;

/// Builds the table of wallet commands.
pub fn make_table(cx: &Arc<WalletContext>) -> Arc<Table> {
    let table = Arc::new(Table::new());
    wallet::register(&table, cx);
    addresses::register(&table, cx);
    coins::register(&table, cx);
    transactions::register(&table, cx);
    spend::register(&table, cx);
    unspent::register(&table, cx);
    backup::register(&table, cx);
    encrypt::register(&table, cx);
    signmessage::register(&table, cx);
    hdkeys::register(&table, cx);
    misc::register(&table, cx);
    table.set_warmup(None);
    table
}

/// Runs requests the node forwards on the wallet's table.
struct Actor(Arc<Table>);

impl RpcActor for Actor {
    fn call(&self, request: String) -> ipc::Result<String> {
        let reply = match rpc::remote::decode_request(&request) {
            Ok(req) => self.0.execute(req),
            Err(e) => Err(rpc::RpcError::new(
                rpc::codes::RPC_MISC_ERROR,
                e.to_string(),
            )),
        };
        Ok(rpc::remote::encode_reply(&reply))
    }
}

/// Registers every wallet command with the node (`registerRpcs`); the handlers are kept
/// in the context, so the commands stay until it is dropped.
pub fn register_with_node(
    cx: &Arc<WalletContext>,
    table: &Arc<Table>,
) -> Result<(), crate::WalletError> {
    let actor: Arc<dyn RpcActor> = Arc::new(Actor(table.clone()));
    let mut handlers = Vec::new();
    for name in table.command_names() {
        let Some(desc) = rpc::remote::describe(table, name) else {
            continue;
        };
        handlers.push(cx.chain.handle_rpc(desc, actor.clone())?);
    }
    cx.rpc_handlers
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .extend(handlers);
    Ok(())
}

/// A wallet command with Core's usual examples.
pub(crate) fn command(
    name: &'static str,
    description: &'static str,
    args: Vec<Arg>,
    result: &'static str,
    handler: impl Fn(&Request) -> RpcResult + Send + Sync + 'static,
) -> Command {
    let required: Vec<String> = args
        .iter()
        .filter(|a| !a.is_optional() && !a.hidden)
        .map(|a| match a.ty {
            rpc::ArgType::Str | rpc::ArgType::StrHex => format!("\"{}\"", a.first_name()),
            _ => a.first_name().to_string(),
        })
        .collect();
    let examples = format!(
        "{}{}",
        rpc::help_example_cli(name, &required.join(" ")),
        rpc::help_example_rpc(name, &required.join(", "))
    );
    Command {
        category: "wallet",
        name,
        description,
        args,
        result,
        examples: examples.into(),
        handler: Arc::new(handler),
    }
}
