//! Address commands (Core's `wallet/rpc/addresses.cpp`).

use std::sync::Arc;

use rpc::codes::{RPC_INVALID_ADDRESS_OR_KEY, RPC_WALLET_ERROR};
use rpc::{Arg, ArgType, Request, RpcError, RpcResult, Table};
use serde_json::{json, Value};

use super::command;
use super::util::{label_from_value, wallet_error, wallet_for};
use crate::address::{encode, parse_output_type};
use crate::context::WalletContext;
use crate::state::WalletState;

/// Registers the commands.
pub fn register(table: &Arc<Table>, cx: &Arc<WalletContext>) {
    let c = cx.clone();
    table.register(command(
        "getnewaddress",
        "Returns a new address for receiving payments.\nWith a label, the address is added to the address book under it.\n",
        vec![
            Arg::optional("label", ArgType::Str, json!(""), "The label of the address; it must not be \"*\"."),
            Arg::hint("address_type", ArgType::Str, "set by -addresstype", "The address type: \"legacy\", \"p2sh-segwit\", \"bech32\" or \"bech32m\"."),
        ],
        "\"str\"    (string) The new address",
        move |req| get_new_address(&c, req),
    ));
    let c = cx.clone();
    table.register(command(
        "getrawchangeaddress",
        "Returns a new address for change, for raw transactions.\nNot for receiving payments.\n",
        vec![Arg::hint(
            "address_type",
            ArgType::Str,
            "set by -changetype",
            "The address type: \"legacy\", \"p2sh-segwit\", \"bech32\" or \"bech32m\".",
        )],
        "\"str\"    (string) The address",
        move |req| get_raw_change_address(&c, req),
    ));
}

/// `CanGetAddresses`.
fn can_get_addresses(st: &WalletState, internal: bool) -> bool {
    let active = if internal {
        &st.active_internal
    } else {
        &st.active_external
    };
    active
        .values()
        .filter_map(|id| st.spkms.get(id))
        .any(|s| s.can_get_addresses())
}

fn output_type_arg(v: Option<&str>) -> Result<Option<walletdb::records::OutputType>, RpcError> {
    match v {
        None => Ok(None),
        Some(s) => parse_output_type(s).map(Some).ok_or_else(|| {
            RpcError::new(
                RPC_INVALID_ADDRESS_OR_KEY,
                format!("Unknown address type '{s}'"),
            )
        }),
    }
}

fn get_new_address(cx: &WalletContext, req: &Request) -> RpcResult {
    let wallet = wallet_for(cx, req)?;
    let network = cx.network();
    wallet
        .with(|st, _| {
            if !can_get_addresses(st, false) {
                return Ok(Err(RpcError::new(
                    RPC_WALLET_ERROR,
                    "Error: This wallet has no available keys",
                )));
            }
            let label = match label_from_value(req.param(0).unwrap_or(&Value::Null)) {
                Ok(l) => l,
                Err(e) => return Ok(Err(e)),
            };
            let t = match output_type_arg(req.maybe_str(1).ok().flatten()) {
                Ok(t) => t.unwrap_or(st.options.default_address_type),
                Err(e) => return Ok(Err(e)),
            };
            let script = st.new_destination(t, &label)?;
            Ok(Ok(encode(&script, network).unwrap_or_default()))
        })
        .map_err(wallet_error)?
        .map(Value::String)
}

fn get_raw_change_address(cx: &WalletContext, req: &Request) -> RpcResult {
    let wallet = wallet_for(cx, req)?;
    let network = cx.network();
    wallet
        .with(|st, _| {
            if !can_get_addresses(st, true) {
                return Ok(Err(RpcError::new(
                    RPC_WALLET_ERROR,
                    "Error: This wallet has no available keys",
                )));
            }
            let t = match output_type_arg(req.maybe_str(0).ok().flatten()) {
                Ok(t) => t
                    .or(st.options.default_change_type)
                    .unwrap_or(st.options.default_address_type),
                Err(e) => return Ok(Err(e)),
            };
            let script = st.new_change_destination(t)?;
            Ok(Ok(encode(&script, network).unwrap_or_default()))
        })
        .map_err(wallet_error)?
        .map(Value::String)
}
