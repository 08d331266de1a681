//! Address commands (Core's `wallet/rpc/addresses.cpp`).

use std::sync::Arc;

use descriptors::Destination;
use rpc::codes::{
    RPC_INVALID_ADDRESS_OR_KEY, RPC_INVALID_PARAMETER, RPC_WALLET_ERROR,
    RPC_WALLET_INVALID_LABEL_NAME,
};
use rpc::{Arg, ArgType, Request, RpcError, RpcResult, Table};
use serde_json::{json, Map, Value};
use walletdb::records::AddressPurpose;

use super::command;
use super::util::{ensure_unlocked, label_from_value, wallet_error, wallet_for};
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
    let c = cx.clone();
    table.register(command(
        "setlabel",
        "Gives an address a label.\n",
        vec![
            Arg::required("address", ArgType::Str, "The address to label."),
            Arg::required("label", ArgType::Str, "The label; it must not be \"*\"."),
        ],
        "null    (json null)",
        move |req| set_label(&c, req),
    ));
    let c = cx.clone();
    table.register(command(
        "getaddressesbylabel",
        "Lists the addresses that have a label.\n",
        vec![Arg::required("label", ArgType::Str, "The label.")],
        "{                       (json object) the addresses as keys\n  \"address\" : {         (json object) one address\n    \"purpose\" : \"str\"   (string) \"send\" for sending addresses, \"receive\" for receiving ones\n  },\n  ...\n}",
        move |req| get_addresses_by_label(&c, req),
    ));
    let c = cx.clone();
    table.register(command(
        "listlabels",
        "Lists every label, or those of addresses with one purpose.\n",
        vec![Arg::omitted(
            "purpose",
            ArgType::Str,
            "Only labels of addresses with this purpose (\"send\" or \"receive\"); empty means all.",
        )],
        "[           (json array)\n  \"str\",     (string) a label\n  ...\n]",
        move |req| list_labels(&c, req),
    ));
    let c = cx.clone();
    table.register(command(
        "keypoolrefill",
        "Derives addresses ahead in every active descriptor, up to the given count past the next one to hand out.\nNeeds the wallet passphrase for an encrypted wallet.\n",
        vec![Arg::hint(
            "newsize",
            ArgType::Num,
            "1000, or as set by -keypool",
            "How many addresses each active descriptor keeps ready.",
        )],
        "null    (json null)",
        move |req| keypool_refill(&c, req),
    ));
    let c = cx.clone();
    table.register(command(
        "getaddressinfo",
        "Describes an address; what the wallet knows of it is included when it belongs to the wallet.\n",
        vec![Arg::required("address", ArgType::Str, "The address to describe.")],
        "",
        move |req| super::addressinfo::get_address_info(&c, req),
    ));
}

/// Core's order of `CTxDestination`s (variant, then contents), which orders its
/// address book.
pub fn destination_order(d: &Destination) -> (u8, Vec<u8>) {
    match d {
        Destination::PubKeyHash(h) => (2, h.to_vec()),
        Destination::ScriptHash(h) => (3, h.to_vec()),
        Destination::WitnessV0ScriptHash(h) => (4, h.to_vec()),
        Destination::WitnessV0KeyHash(h) => (5, h.to_vec()),
        Destination::WitnessV1Taproot(h) => (6, h.to_vec()),
        Destination::Anchor => (7, Vec::new()),
        Destination::WitnessUnknown { version, program } => {
            let mut v = vec![*version];
            v.extend_from_slice(program);
            (8, v)
        }
    }
}

fn set_label(cx: &WalletContext, req: &Request) -> RpcResult {
    let wallet = wallet_for(cx, req)?;
    let network = cx.network();
    let dest = descriptors::decode_destination(req.arg_str(0)?, network)
        .map_err(|_| RpcError::new(RPC_INVALID_ADDRESS_OR_KEY, "Invalid Bitcoin address"))?;
    let label = label_from_value(req.arg_value(1)?)?;
    wallet
        .with(|st, _| {
            let purpose = if st.is_mine_script(&dest.script_pubkey()) {
                AddressPurpose::Receive
            } else {
                AddressPurpose::Send
            };
            st.set_address_book(&dest.encode(network), &label, Some(purpose));
            Ok(())
        })
        .map_err(wallet_error)?;
    Ok(Value::Null)
}

fn get_addresses_by_label(cx: &WalletContext, req: &Request) -> RpcResult {
    let wallet = wallet_for(cx, req)?;
    let network = cx.network();
    let label = label_from_value(req.arg_value(0)?)?;
    let st = wallet.state();
    let mut found: Vec<((u8, Vec<u8>), String, Value)> = Vec::new();
    for (address, entry) in &st.address_book {
        if entry.label.as_deref() != Some(label.as_str()) {
            continue;
        }
        let Ok(dest) = descriptors::decode_destination(address, network) else {
            continue;
        };
        let purpose = entry.purpose.map(|p| p.as_str()).unwrap_or("unknown");
        found.push((
            destination_order(&dest),
            address.clone(),
            json!({ "purpose": purpose }),
        ));
    }
    if found.is_empty() {
        return Err(RpcError::new(
            RPC_WALLET_INVALID_LABEL_NAME,
            format!("No addresses with label {label}"),
        ));
    }
    found.sort_by(|a, b| a.0.cmp(&b.0));
    let mut out = Map::new();
    for (_, address, v) in found {
        out.insert(address, v);
    }
    Ok(Value::Object(out))
}

fn list_labels(cx: &WalletContext, req: &Request) -> RpcResult {
    let wallet = wallet_for(cx, req)?;
    let purpose = match req.maybe_str(0)? {
        Some(p) if !p.is_empty() => Some(AddressPurpose::parse(p).ok_or_else(|| {
            RpcError::new(
                RPC_INVALID_PARAMETER,
                "Invalid 'purpose' argument, must be a known purpose string, typically 'send', or 'receive'.",
            )
        })?),
        _ => None,
    };
    let st = wallet.state();
    let labels: std::collections::BTreeSet<&str> = st
        .address_book
        .values()
        .filter(|e| purpose.is_none() || e.purpose == purpose)
        .filter_map(|e| e.label.as_deref())
        .collect();
    Ok(Value::Array(labels.into_iter().map(|l| json!(l)).collect()))
}

fn keypool_refill(cx: &WalletContext, req: &Request) -> RpcResult {
    let wallet = wallet_for(cx, req)?;
    let size = match req.param(0) {
        Some(v) => {
            let n = rpc::request::value_i32(v)?;
            if n < 0 {
                return Err(RpcError::new(
                    RPC_INVALID_PARAMETER,
                    "Invalid parameter, expected valid size.",
                ));
            }
            n as u32
        }
        None => 0,
    };
    wallet
        .with(|st, _| {
            if let Err(e) = ensure_unlocked(st) {
                return Ok(Err(e));
            }
            st.top_up_keypool(size)?;
            if st.keypool_size() < i64::from(size) {
                return Ok(Err(RpcError::new(
                    RPC_WALLET_ERROR,
                    "Error refreshing keypool.",
                )));
            }
            st.refresh_all_txos();
            Ok(Ok(Value::Null))
        })
        .map_err(wallet_error)?
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
