//! Listing and locking unspent outputs (Core's `listunspent`, `lockunspent` and
//! `listlockunspent` in `wallet/rpc/coins.cpp`).

use std::collections::BTreeSet;
use std::sync::Arc;

use bitcoin::hashes::Hash;
use bitcoin::{OutPoint, ScriptBuf};
use rpc::codes::{RPC_INVALID_ADDRESS_OR_KEY, RPC_INVALID_PARAMETER, RPC_WALLET_ERROR};
use rpc::request::{value_array, value_bool, value_i32, value_i64, value_str};
use rpc::{Arg, ArgType, Request, RpcError, RpcResult, Table, Value};
use serde_json::{json, Map};
use signing::SigningProvider;
use walletdb::records::Record;

use super::command;
use super::fund::with_wallet;
use super::rawtx::{find, get_obj, parse_txid, type_check_obj};
use super::util::{amount, wallet_for};
use crate::coincontrol::CoinControl;
use crate::context::WalletContext;
use crate::spend::available::{available_coins, CoinFilterParams};
use crate::state::{flags, WalletState};

/// Registers the commands.
pub fn register(table: &Arc<Table>, cx: &Arc<WalletContext>) {
    let c = cx.clone();
    table.register(command(
        "listunspent",
        "Lists the unspent outputs with between minconf and maxconf (inclusive) confirmations,\noptionally only those paying the addresses given.\n",
        vec![
            Arg::optional("minconf", ArgType::Num, json!(1), "Fewest confirmations"),
            Arg::optional("maxconf", ArgType::Num, json!(9999999), "Most confirmations"),
            Arg::optional("addresses", ArgType::Arr, json!([]), "Only outputs paying these addresses")
                .with_inner(vec![Arg::omitted("address", ArgType::Str, "an address")]),
            Arg::optional("include_unsafe", ArgType::Bool, json!(true), "Include outputs that are not safe to spend (see \"safe\" below)"),
            Arg::omitted("query_options", ArgType::ObjNamedParams, "").with_inner(vec![
                Arg::optional("minimumAmount", ArgType::Amount, json!("0.00"), "Smallest value in BTC"),
                Arg::hint("maximumAmount", ArgType::Amount, "unlimited", "Largest value in BTC"),
                Arg::hint("maximumCount", ArgType::Num, "unlimited", "Most outputs listed"),
                Arg::hint("minimumSumAmount", ArgType::Amount, "unlimited", "Stop once the values add up to this, in BTC"),
                Arg::optional("include_immature_coinbase", ArgType::Bool, json!(false), "Include coinbase outputs not yet mature"),
            ]).oneline("query_options"),
        ],
        "[                                (json array)\n  {                              (json object)\n    \"txid\" : \"hex\",               (string) the transaction id\n    \"vout\" : n,                  (numeric) the output index\n    \"address\" : \"str\",          (string, optional) the address\n    \"label\" : \"str\",            (string, optional) its label, \"\" for the default\n    \"scriptPubKey\" : \"str\",     (string) the output script\n    \"amount\" : n,                (numeric) the value in BTC\n    \"confirmations\" : n,         (numeric) confirmations\n    \"ancestorcount\" : n,         (numeric, optional) in-pool ancestors with itself (pool only)\n    \"ancestorsize\" : n,          (numeric, optional) their virtual size (pool only)\n    \"ancestorfees\" : n,          (numeric, optional) their fees in sat (pool only)\n    \"redeemScript\" : \"hex\",      (string, optional) the redeem script of a P2SH output\n    \"witnessScript\" : \"str\",     (string, optional) the witness script of a P2WSH or P2SH-P2WSH output\n    \"spendable\" : true|false,    (boolean) (DEPRECATED) Always true\n    \"solvable\" : true|false,     (boolean) whether the wallet knows how to spend it, keys aside\n    \"reused\" : true|false,       (boolean, optional) (avoid_reuse wallets) paid to an address already spent from\n    \"desc\" : \"str\",              (string, optional) (when solvable) a descriptor spending it\n    \"parent_descs\" : [ \"str\" ],  (json array) the wallet's descriptors of its script\n    \"safe\" : true|false          (boolean) whether it is safe to spend: unconfirmed outputs from\n                                 others and unconfirmed replacements are not\n  },\n  ...\n]",
        move |req| list_unspent(&c, req),
    ));
    let c = cx.clone();
    table.register(command(
        "lockunspent",
        "Locks (unlock=false) or unlocks (unlock=true) unspent outputs, so coin selection leaves them alone.\nUnlocking without outputs unlocks all. Manually selected coins are unlocked automatically.\nLocks live in memory unless persistent=true writes them to the wallet file; unlocking clears both.\n",
        vec![
            Arg::required("unlock", ArgType::Bool, "Unlock (true) or lock (false)"),
            Arg::optional("transactions", ArgType::Arr, json!([]), "The outputs").with_inner(vec![
                Arg::omitted("", ArgType::Obj, "").with_inner(vec![
                    Arg::required("txid", ArgType::StrHex, "The transaction id"),
                    Arg::required("vout", ArgType::Num, "The output number"),
                ]),
            ]),
            Arg::optional("persistent", ArgType::Bool, json!(false), "Write (or erase) the lock in the wallet file; ignored when unlocking"),
        ],
        "true|false    (boolean) Whether it worked",
        move |req| lock_unspent(&c, req),
    ));
    let c = cx.clone();
    table.register(command(
        "listlockunspent",
        "Lists the locked outputs (see lockunspent).\n",
        vec![],
        "[                      (json array)\n  {                    (json object)\n    \"txid\" : \"hex\",     (string) The transaction id\n    \"vout\" : n         (numeric) The output index\n  },\n  ...\n]",
        move |req| list_lock_unspent(&c, req),
    ));
}

fn push_script_details(
    entry: &mut Map<String, Value>,
    script: &ScriptBuf,
    provider: &signing::FlatSigningProvider,
) {
    use chain_json::ScriptKind as K;
    let wsh_script = |program: &[u8]| -> Option<Vec<u8>> {
        let id: [u8; 20] = bitcoin::hashes::ripemd160::Hash::hash(program).to_byte_array();
        provider.script(&id)
    };
    match chain_json::classify(script.as_bytes()) {
        K::ScriptHash(hash) => {
            let Ok(id) = <[u8; 20]>::try_from(hash) else {
                return;
            };
            let Some(redeem) = provider.script(&id) else {
                return;
            };
            entry.insert("redeemScript".into(), json!(chain_json::to_hex(&redeem)));
            if let K::WitnessV0ScriptHash(program) = chain_json::classify(&redeem) {
                if let Some(ws) = wsh_script(program) {
                    entry.insert("witnessScript".into(), json!(chain_json::to_hex(&ws)));
                }
            }
        }
        K::WitnessV0ScriptHash(program) => {
            if let Some(ws) = wsh_script(program) {
                entry.insert("witnessScript".into(), json!(chain_json::to_hex(&ws)));
            }
        }
        _ => {}
    }
}

/// `PushParentDescriptors`.
pub fn parent_descriptors(st: &WalletState, script: &ScriptBuf) -> Value {
    Value::Array(
        st.spkms_for(script)
            .iter()
            .filter_map(|id| st.spkms.get(id))
            .map(|s| Value::String(s.public_string()))
            .collect(),
    )
}

fn list_unspent(cx: &WalletContext, req: &Request) -> RpcResult {
    let wallet = wallet_for(cx, req)?;
    let min_depth = match req.param(0) {
        Some(v) => value_i32(v)?,
        None => 1,
    };
    let max_depth = match req.param(1) {
        Some(v) => value_i32(v)?,
        None => 9_999_999,
    };
    let network = wallet.state().network;
    let mut destinations: BTreeSet<ScriptBuf> = BTreeSet::new();
    if let Some(list) = req.param(2) {
        for v in value_array(list)? {
            let text = value_str(v)?;
            let dest = descriptors::decode_destination(text, network).map_err(|_| {
                RpcError::new(
                    RPC_INVALID_ADDRESS_OR_KEY,
                    format!("Invalid Bitcoin address: {text}"),
                )
            })?;
            if !destinations.insert(dest.script_pubkey()) {
                return Err(RpcError::new(
                    RPC_INVALID_PARAMETER,
                    format!("Invalid parameter, duplicated address: {text}"),
                ));
            }
        }
    }
    let include_unsafe = match req.param(3) {
        Some(v) => value_bool(v)?,
        None => true,
    };
    let mut filter = CoinFilterParams {
        min_amount: 0,
        check_version_trucness: false,
        ..CoinFilterParams::default()
    };
    if let Some(options) = req.param(4) {
        let o = get_obj(options)?;
        type_check_obj(
            o,
            &[
                ("minimumAmount", ""),
                ("maximumAmount", ""),
                ("minimumSumAmount", ""),
                ("maximumCount", "number"),
                ("include_immature_coinbase", "bool"),
            ],
            true,
            true,
        )?;
        if let Some(v) = o.get("minimumAmount") {
            filter.min_amount = rpc::amount_from_value(v, 8)?;
        }
        if let Some(v) = o.get("maximumAmount") {
            filter.max_amount = rpc::amount_from_value(v, 8)?;
        }
        if let Some(v) = o.get("minimumSumAmount") {
            filter.min_sum_amount = rpc::amount_from_value(v, 8)?;
        }
        if let Some(v) = o.get("maximumCount") {
            filter.max_count = value_i64(v)?.max(0) as u64;
        }
        if let Some(v) = o.get("include_immature_coinbase") {
            filter.include_immature_coinbase = value_bool(v)?;
        }
    }
    wallet.block_until_synced();
    let mut cc = CoinControl::new(false);
    cc.avoid_address_reuse = false;
    cc.min_depth = min_depth;
    cc.max_depth = max_depth;
    cc.include_unsafe_inputs = include_unsafe;
    with_wallet(&wallet, |st, _, node| {
        let outputs = available_coins(st, node, Some(&cc), None, &filter)
            .map_err(|e| RpcError::new(RPC_WALLET_ERROR, e.to_string()))?;
        let avoid_reuse = st.has_flag(flags::AVOID_REUSE);
        let mut results = Vec::new();
        for out in outputs.all() {
            let script = &out.txout.script_pubkey;
            let address = crate::address::encode(script, st.network);
            if !destinations.is_empty() && (address.is_none() || !destinations.contains(script)) {
                continue;
            }
            let reused = avoid_reuse && st.is_spent_key(script);
            let mut entry = Map::new();
            entry.insert("txid".into(), json!(out.outpoint.txid.to_string()));
            entry.insert("vout".into(), json!(out.outpoint.vout));
            let provider = st.signing_provider(script, false);
            if let Some(addr) = &address {
                entry.insert("address".into(), json!(addr));
                if let Some(e) = st.find_address_book_entry(addr, false) {
                    entry.insert("label".into(), json!(e.label.clone().unwrap_or_default()));
                }
                if let Some(p) = &provider {
                    push_script_details(&mut entry, script, p);
                }
            }
            entry.insert(
                "scriptPubKey".into(),
                json!(chain_json::to_hex(script.as_bytes())),
            );
            entry.insert("amount".into(), amount(out.txout.value.to_sat() as i64));
            entry.insert("confirmations".into(), json!(out.depth));
            if out.depth == 0 {
                let a = node
                    .ancestry(&out.outpoint.txid)
                    .map_err(|e| RpcError::new(RPC_WALLET_ERROR, e.to_string()))?;
                if a.ancestors > 0 {
                    entry.insert("ancestorcount".into(), json!(a.ancestors));
                    entry.insert("ancestorsize".into(), json!(a.ancestor_size));
                    entry.insert("ancestorfees".into(), json!(a.ancestor_fees));
                }
            }
            entry.insert("spendable".into(), json!(true));
            entry.insert("solvable".into(), json!(out.solvable));
            if out.solvable {
                if let Some(p) = &provider {
                    let desc = crate::infer::infer_descriptor(script, p, st.network);
                    entry.insert("desc".into(), json!(desc.descriptor));
                }
            }
            entry.insert("parent_descs".into(), parent_descriptors(st, script));
            if avoid_reuse {
                entry.insert("reused".into(), json!(reused));
            }
            entry.insert("safe".into(), json!(out.safe));
            results.push(Value::Object(entry));
        }
        Ok(Value::Array(results))
    })
}

fn lock_unspent(cx: &WalletContext, req: &Request) -> RpcResult {
    let wallet = wallet_for(cx, req)?;
    wallet.block_until_synced();
    let unlock = req.arg_bool(0)?;
    let persistent = req.maybe_bool(2)?.unwrap_or(false);
    let list = req.param(1).cloned();
    with_wallet(&wallet, |st, _, _| {
        let Some(list) = list else {
            if unlock {
                let all: Vec<OutPoint> = st.locked_coins.keys().copied().collect();
                for o in all {
                    st.unlock_coin(&o);
                }
            }
            return Ok(Value::Bool(true));
        };
        let mut outputs = Vec::new();
        for item in value_array(&list)? {
            let o = get_obj(item)?;
            type_check_obj(o, &[("txid", "string"), ("vout", "number")], false, false)?;
            let txid = parse_txid(find(o, "txid"), "txid")?;
            let vout = value_i32(find(o, "vout"))?;
            if vout < 0 {
                return Err(RpcError::new(
                    RPC_INVALID_PARAMETER,
                    "Invalid parameter, vout cannot be negative",
                ));
            }
            let outpoint = OutPoint::new(txid, vout as u32);
            let Some(w) = st.txs.get(&txid) else {
                return Err(RpcError::new(
                    RPC_INVALID_PARAMETER,
                    "Invalid parameter, unknown transaction",
                ));
            };
            if vout as usize >= w.tx.output.len() {
                return Err(RpcError::new(
                    RPC_INVALID_PARAMETER,
                    "Invalid parameter, vout index out of bounds",
                ));
            }
            if st.is_spent(&outpoint) {
                return Err(RpcError::new(
                    RPC_INVALID_PARAMETER,
                    "Invalid parameter, expected unspent output",
                ));
            }
            let locked = st.is_locked_coin(&outpoint);
            if unlock && !locked {
                return Err(RpcError::new(
                    RPC_INVALID_PARAMETER,
                    "Invalid parameter, expected locked output",
                ));
            }
            if !unlock && locked && !persistent {
                return Err(RpcError::new(
                    RPC_INVALID_PARAMETER,
                    "Invalid parameter, output already locked",
                ));
            }
            outputs.push(outpoint);
        }
        for o in outputs {
            if unlock {
                if !st.unlock_coin(&o) {
                    return Err(RpcError::new(RPC_WALLET_ERROR, "Unlocking coin failed"));
                }
            } else if st.is_locked_coin(&o) {
                // Core's emplace keeps the lock as it was but still writes the record.
                st.write(Record::LockedUtxo { outpoint: o });
            } else {
                st.lock_coin(o, persistent);
            }
        }
        Ok(Value::Bool(true))
    })
}

fn list_lock_unspent(cx: &WalletContext, req: &Request) -> RpcResult {
    let wallet = wallet_for(cx, req)?;
    let st = wallet.state();
    Ok(Value::Array(
        st.locked_coins
            .keys()
            .map(|o| json!({"txid": o.txid.to_string(), "vout": o.vout}))
            .collect(),
    ))
}
