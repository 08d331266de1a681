//! Balance commands (Core's `wallet/rpc/coins.cpp`).

use std::sync::Arc;

use rpc::codes::{RPC_METHOD_DEPRECATED, RPC_WALLET_ERROR};
use rpc::{Arg, ArgType, Request, RpcError, RpcResult, Table};
use serde_json::{json, Map, Value};

use super::command;
use super::util::{amount, wallet_for};
use super::wallet::last_processed_block;
use crate::context::WalletContext;
use crate::state::{flags, WalletState};

/// Registers the commands.
pub fn register(table: &Arc<Table>, cx: &Arc<WalletContext>) {
    let c = cx.clone();
    let mut dummy = Arg::omitted(
        "dummy",
        ArgType::Str,
        "Kept for compatibility; leave it out or pass \"*\".",
    );
    dummy.placeholder = true;
    table.register(command(
        "getbalance",
        "Returns the balance the wallet can spend now.\nOptions that limit what may be spent, such as -spendzeroconfchange, affect it.\n",
        vec![
            dummy,
            Arg::optional("minconf", ArgType::Num, json!(0), "Count only transactions with at least this many confirmations."),
            Arg::optional("include_watchonly", ArgType::Bool, json!(false), "No longer used"),
            Arg::optional("avoid_reuse", ArgType::Bool, json!(true), "(only with the avoid_reuse wallet flag) Leave out outputs on addresses already spent from."),
        ],
        "amount    (numeric) The total amount in BTC received for this wallet.",
        move |req| get_balance(&c, req),
    ));
    let c = cx.clone();
    table.register(command(
        "getbalances",
        "Returns every balance of the wallet in BTC.\n",
        vec![],
        "",
        move |req| get_balances(&c, req),
    ));
}

/// `GetAvoidReuseFlag`.
pub fn avoid_reuse_flag(st: &WalletState, v: Option<bool>) -> Result<bool, RpcError> {
    let can = st.has_flag(flags::AVOID_REUSE);
    let avoid = v.unwrap_or(can);
    if avoid && !can {
        return Err(RpcError::new(
            RPC_WALLET_ERROR,
            "wallet does not have the \"avoid reuse\" feature enabled",
        ));
    }
    Ok(avoid)
}

fn get_balance(cx: &WalletContext, req: &Request) -> RpcResult {
    let wallet = wallet_for(cx, req)?;
    wallet.block_until_synced();
    let st = wallet.state();
    if let Some(d) = req.maybe_str(0)? {
        if d != "*" {
            return Err(RpcError::new(
                RPC_METHOD_DEPRECATED,
                "dummy first argument must be excluded or set to \"*\".",
            ));
        }
    }
    let min_depth = req.arg_i64(1)?.clamp(i32::MIN as i64, i32::MAX as i64) as i32;
    let avoid_reuse = avoid_reuse_flag(&st, req.maybe_bool(3)?)?;
    Ok(amount(st.balance(min_depth, avoid_reuse, false).trusted))
}

fn get_balances(cx: &WalletContext, req: &Request) -> RpcResult {
    let wallet = wallet_for(cx, req)?;
    wallet.block_until_synced();
    let mut out = Map::new();
    {
        let st = wallet.state();
        let bal = st.balance(0, true, true);
        let mut mine = Map::new();
        mine.insert("trusted".into(), amount(bal.trusted));
        mine.insert("untrusted_pending".into(), amount(bal.untrusted_pending));
        mine.insert("immature".into(), amount(bal.immature));
        mine.insert("nonmempool".into(), amount(bal.nonmempool));
        if st.has_flag(flags::AVOID_REUSE) {
            mine.insert("used".into(), amount(bal.used));
        }
        out.insert("mine".into(), Value::Object(mine));
    }
    out.insert("lastprocessedblock".into(), last_processed_block(&wallet));
    Ok(Value::Object(out))
}
