//! PSBT commands (Core's `rpc/rawtransaction.cpp`): createpsbt, converttopsbt,
//! decodepsbt, combinepsbt, finalizepsbt, utxoupdatepsbt, descriptorprocesspsbt,
//! joinpsbts and analyzepsbt.

use std::collections::BTreeMap;
use std::sync::Arc;

use bitcoin::absolute::LockTime;
use bitcoin::transaction::Version;
use bitcoin::{Network, OutPoint, Transaction};
use rpc::codes::{RPC_DESERIALIZATION_ERROR, RPC_INVALID_PARAMETER, RPC_TRANSACTION_ERROR};
use rpc::{Arg, ArgType, Request, RpcError, RpcResult, Table, Value};
use serde_json::{json, Map};
use signing::psbt::{
    analyze_psbt, combine_psbts, finalize_and_extract, precompute_psbt_data, psbt_input_signed,
    psbt_input_signed_and_verified, remove_unnecessary_transactions, sign_psbt_input,
    update_psbt_output, Psbt, PsbtError,
};
use signing::{is_segwit_output, FlatSigningProvider, HidingSigningProvider, SigningProvider};

use super::blockchain::param;
use super::coinview::{find_coins, mempool_tx};
use super::rawtransaction::{construct_from_request, create_tx_args, decode_tx, network};
use super::rawtx_util::parse_sighash;
use super::scan::eval_descriptor;
use super::values::{get_array, get_bool, get_int, get_str, hex};
use super::{command, psbt_docs};
use crate::context::NodeContext;

/// A base64 PSBT parameter, or Core's `TX decode failed` error.
fn decode_psbt(v: &Value) -> Result<Psbt, RpcError> {
    Psbt::from_base64(get_str(v)?)
        .map_err(|e| RpcError::new(RPC_DESERIALIZATION_ERROR, format!("TX decode failed {e}")))
}

/// Core's `JSONRPCPSBTError`.
fn psbt_error(e: PsbtError) -> RpcError {
    let code = match e {
        PsbtError::SighashMismatch => RPC_DESERIALIZATION_ERROR,
        _ => RPC_TRANSACTION_ERROR,
    };
    RpcError::new(code, e.to_string())
}

/// The `psbt_version` argument: 2 unless given; only 0 and 2 exist.
fn psbt_version_arg(v: Option<&Value>) -> Result<u32, RpcError> {
    let version = match v {
        Some(v) => get_int::<u32>(v)?,
        None => 2,
    };
    if version != 2 && version != 0 {
        return Err(RpcError::new(
            RPC_INVALID_PARAMETER,
            "The PSBT version can only be 2 or 0",
        ));
    }
    Ok(version)
}

fn psbt_arg() -> Arg {
    Arg::required("psbt", ArgType::Str, "The PSBT, base64-encoded")
}

fn descriptors_arg(required: bool) -> Arg {
    let inner = vec![
        Arg::omitted("", ArgType::Str, "An output descriptor"),
        Arg::omitted(
            "",
            ArgType::Obj,
            "An output descriptor with extra information",
        )
        .with_inner(vec![
            Arg::required("desc", ArgType::Str, "An output descriptor"),
            Arg::optional(
                "range",
                ArgType::Range,
                json!(1000),
                "The HD chain indices to look at (either end or [begin,end])",
            ),
        ]),
    ];
    let description = "Descriptors, as strings or objects";
    if required {
        Arg::required("descriptors", ArgType::Arr, description).with_inner(inner)
    } else {
        Arg::omitted("descriptors", ArgType::Arr, description).with_inner(inner)
    }
}

const SIGHASH_HELP: &str = "The signature hash type to sign with when the PSBT does not say. One of\n       \"DEFAULT\"\n       \"ALL\"\n       \"NONE\"\n       \"SINGLE\"\n       \"ALL|ANYONECANPAY\"\n       \"NONE|ANYONECANPAY\"\n       \"SINGLE|ANYONECANPAY\"";

/// Registers the PSBT commands.
pub fn register(table: &Table, node: &Arc<NodeContext>) {
    let n = node.clone();
    let mut args = create_tx_args();
    args.push(Arg::optional(
        "psbt_version",
        ArgType::Num,
        json!(2),
        "The PSBT version to write.",
    ));
    table.register(command(
        "rawtransactions",
        "createpsbt",
        "Builds a transaction in the Partially Signed Transaction format (the Creator role).\nThe inputs are not signed, and the transaction is neither stored in a wallet nor sent to the network.\n",
        args,
        "",
        move |req| {
            let tx = construct_from_request(req, network(&n))?;
            let version = psbt_version_arg(req.param(5))?;
            Ok(json!(Psbt::from_tx(&tx, version).to_base64()))
        },
    ));
    table.register(command(
        "rawtransactions",
        "converttopsbt",
        "Turns a network-serialized transaction into a PSBT. Meant only for transactions from createrawtransaction and fundrawtransaction;\nnew applications should use createpsbt and walletcreatefundedpsbt.\n",
        vec![
            Arg::required("hexstring", ArgType::StrHex, "The transaction, hex-encoded"),
            Arg::optional("permitsigdata", ArgType::Bool, json!(false), "If true, signatures in the inputs are dropped and the conversion goes on.\n                              If false, inputs with signatures are an error."),
            Arg::hint("iswitness", ArgType::Bool, "depends on heuristic tests", "Whether the hex is a transaction in the witness serialization.\nLeft out, heuristics decide.\nIf true, only the witness serialization is tried.\nIf false, only the serialization without witness is tried.\nIt should say whether the transaction has inputs (fully valid and on-chain transactions do), if the caller knows."),
            Arg::optional("psbt_version", ArgType::Num, json!(2), "The PSBT version to write."),
        ],
        "",
        convert_to_psbt,
    ));
    let n = node.clone();
    table.register(command(
        "rawtransactions",
        "decodepsbt",
        "Shows a serialized, base64-encoded partially signed Bitcoin transaction as a JSON object.",
        vec![psbt_arg()],
        "",
        move |req| Ok(decode_psbt_json(&decode_psbt(param(req, 0)?)?, network(&n))),
    ));
    table.register(command(
        "rawtransactions",
        "combinepsbt",
        "Merges several partially signed copies of one transaction into one PSBT (the Combiner role).\n",
        vec![Arg::required("txs", ArgType::Arr, "The PSBTs, base64-encoded")
            .with_inner(vec![Arg::omitted("psbt", ArgType::Str, "A PSBT, base64-encoded")])],
        "",
        |req| {
            let txs = get_array(param(req, 0)?)?;
            if txs.is_empty() {
                return Err(RpcError::new(RPC_INVALID_PARAMETER, "Parameter 'txs' cannot be empty"));
            }
            let psbts = txs.iter().map(decode_psbt).collect::<Result<Vec<_>, _>>()?;
            let merged = combine_psbts(&psbts).ok_or_else(|| {
                RpcError::new(RPC_INVALID_PARAMETER, "PSBTs not compatible (different transactions)")
            })?;
            Ok(json!(merged.to_base64()))
        },
    ));
    table.register(command(
        "rawtransactions",
        "finalizepsbt",
        "Finalizes the inputs of a PSBT. When the transaction is fully signed, gives the\nnetwork-serialized transaction, ready for sendrawtransaction. Otherwise gives a PSBT\nwith final_scriptSig and final_scriptwitness filled in for the inputs that are complete.\nThe Finalizer and Extractor roles.\n",
        vec![
            psbt_arg(),
            Arg::optional("extract", ArgType::Bool, json!(true), "If true and the transaction is complete,\n                             give the network-serialized transaction instead of the PSBT."),
        ],
        "",
        |req| {
            let mut psbt = decode_psbt(param(req, 0)?)?;
            let extract = match req.param(1) {
                Some(v) => get_bool(v)?,
                None => true,
            };
            let tx = finalize_and_extract(&mut psbt);
            let mut out = Map::new();
            match (&tx, extract) {
                (Some(tx), true) => {
                    out.insert("hex".into(), json!(hex(&chain_json::serialize_tx(tx, true))));
                }
                _ => {
                    out.insert("psbt".into(), json!(psbt.to_base64()));
                }
            }
            out.insert("complete".into(), json!(tx.is_some()));
            Ok(Value::Object(out))
        },
    ));
    let n = node.clone();
    table.register(command(
        "rawtransactions",
        "utxoupdatepsbt",
        "Fills the segwit inputs and the outputs of a PSBT with data from output descriptors, the UTXO set or the mempool.\n",
        vec![psbt_arg(), descriptors_arg(false)],
        "",
        move |req| {
            let provider = provider_from(req.param(1), network(&n), false)?;
            let hiding = HidingSigningProvider::new(&provider, true, false);
            let psbt = process_psbt(&n, param(req, 0)?, &hiding, None, false)?;
            Ok(json!(psbt.to_base64()))
        },
    ));
    let n = node.clone();
    table.register(command(
        "rawtransactions",
        "descriptorprocesspsbt",
        "Fills the segwit inputs of a PSBT with data from output descriptors, the UTXO set or the mempool,\nthen signs the inputs the descriptors have keys for.",
        vec![
            Arg::required("psbt", ArgType::Str, "The PSBT, base64-encoded"),
            descriptors_arg(true),
            Arg::optional("sighashtype", ArgType::Str, json!("DEFAULT for Taproot, ALL otherwise"), SIGHASH_HELP),
            Arg::optional("bip32derivs", ArgType::Bool, json!(true), "Whether to add the BIP 32 derivation paths of keys that are known"),
            Arg::optional("finalize", ArgType::Bool, json!(true), "Whether to finalize inputs where possible"),
        ],
        "",
        move |req| descriptor_process_psbt(&n, req),
    ));
    table.register(command(
        "rawtransactions",
        "joinpsbts",
        "Joins several version 0 PSBTs with distinct inputs into one version 0 PSBT holding all their inputs and outputs.\nNo input may be in more than one of the PSBTs.\n",
        vec![Arg::required("txs", ArgType::Arr, "The PSBTs, base64-encoded")
            .with_inner(vec![Arg::required("psbt", ArgType::Str, "A PSBT, base64-encoded")])],
        "",
        join_psbts,
    ));
    let n = node.clone();
    table.register(command(
        "rawtransactions",
        "analyzepsbt",
        "Reports the state of a PSBT and of each of its inputs\n",
        vec![psbt_arg()],
        "",
        move |req| {
            let psbt = decode_psbt(param(req, 0)?)?;
            let bytes_per_sigop = crate::context::lock(&n.mempool).options().bytes_per_sigop;
            Ok(analysis_json(psbt, bytes_per_sigop))
        },
    ));
    psbt_docs::register(table);
}

fn convert_to_psbt(req: &Request) -> RpcResult {
    let permit = match req.param(1) {
        Some(v) => get_bool(v)?,
        None => false,
    };
    let iswitness = req.param(2).map(get_bool).transpose()?;
    let try_witness = iswitness.unwrap_or(true);
    let try_no_witness = iswitness.map(|w| !w).unwrap_or(true);
    let mut tx = decode_tx(param(req, 0)?, try_no_witness, try_witness)?
        .ok_or_else(|| RpcError::new(RPC_DESERIALIZATION_ERROR, "TX decode failed"))?;
    for input in &mut tx.input {
        if (!input.script_sig.is_empty() || !input.witness.is_empty()) && !permit {
            return Err(RpcError::new(
                RPC_DESERIALIZATION_ERROR,
                "Inputs must not have scriptSigs and scriptWitnesses",
            ));
        }
        input.script_sig = bitcoin::ScriptBuf::new();
        input.witness = bitcoin::Witness::new();
    }
    let version = psbt_version_arg(req.param(3))?;
    Ok(json!(Psbt::from_tx(&tx, version).to_base64()))
}

/// The descriptors argument as a signing provider (Core's `EvalDescriptorStringOrObject`
/// for each entry), with private keys when `expand_priv`.
fn provider_from(
    descs: Option<&Value>,
    network: Network,
    expand_priv: bool,
) -> Result<FlatSigningProvider, RpcError> {
    let mut provider = FlatSigningProvider::new();
    let Some(descs) = descs else {
        return Ok(provider);
    };
    for d in get_array(descs)? {
        // Checks the entry and its derivations with Core's errors.
        eval_descriptor(d, network)?;
        let (text, mut range) = match d {
            Value::String(s) => (s.clone(), (0, 1000)),
            other => {
                let o = other.as_object().cloned().unwrap_or_default();
                let text = o
                    .get("desc")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_string();
                let range = match o.get("range").filter(|r| !r.is_null()) {
                    Some(r) => super::scan::parse_descriptor_range(r)?,
                    None => (0, 1000),
                };
                (text, range)
            }
        };
        let ranged = descriptors::parse(&text, false, network)
            .ok()
            .and_then(|d| d.first().map(|d| d.is_range()))
            .unwrap_or(false);
        if !ranged {
            range = (0, 0);
        }
        let (lo, hi) = (range.0.max(0) as u32, range.1.max(0) as u32);
        signing::expand_descriptor_into(&text, lo..=hi, expand_priv, &mut provider);
    }
    Ok(provider)
}

/// Core's `ProcessPSBT`: previous transactions from the mempool, witness UTXOs from the
/// coin view, then script, key and signature data from `provider`.
fn process_psbt(
    n: &NodeContext,
    text: &Value,
    provider: &dyn SigningProvider,
    sighash: Option<i32>,
    finalize: bool,
) -> Result<Psbt, RpcError> {
    let mut psbt = decode_psbt(text)?;
    let mut missing: Vec<usize> = Vec::new();
    for (i, input) in psbt.inputs.iter_mut().enumerate() {
        if input.non_witness_utxo.is_some() {
            continue;
        }
        // The transaction index first, then the mempool, as Core looks.
        let indexed = n
            .txindex
            .get()
            .and_then(|index| index.find_tx(&input.prev_txid))
            .map(|(tx, _)| tx);
        match indexed.or_else(|| mempool_tx(n, &input.prev_txid)) {
            Some(tx) => input.non_witness_utxo = Some(tx),
            None => missing.push(i),
        }
    }
    if !missing.is_empty() {
        let outpoints: Vec<OutPoint> = missing
            .iter()
            .map(|&i| OutPoint::new(psbt.inputs[i].prev_txid, psbt.inputs[i].prev_out))
            .collect();
        let coins: BTreeMap<OutPoint, bitcoin::TxOut> = find_coins(n, outpoints)?;
        for input in psbt.inputs.iter_mut() {
            if input.non_witness_utxo.is_some() {
                continue;
            }
            let outpoint = OutPoint::new(input.prev_txid, input.prev_out);
            if let Some(coin) = coins.get(&outpoint) {
                if is_segwit_output(provider, coin.script_pubkey.as_bytes()) {
                    input.witness_utxo = Some(coin.clone());
                }
            }
        }
    }
    let txdata = precompute_psbt_data(&psbt).ok_or_else(|| psbt_error(PsbtError::InvalidTx))?;
    for i in 0..psbt.inputs.len() {
        if psbt_input_signed(&psbt, i) {
            continue;
        }
        // Only a sighash mismatch is an error: what to sign with must match the PSBT.
        if let Err(PsbtError::SighashMismatch) = sign_psbt_input(
            provider,
            &mut psbt,
            i,
            Some(&txdata),
            sighash,
            finalize,
            None,
        ) {
            return Err(psbt_error(PsbtError::SighashMismatch));
        }
    }
    for i in 0..psbt.outputs.len() {
        update_psbt_output(provider, &mut psbt, i);
    }
    remove_unnecessary_transactions(&mut psbt);
    Ok(psbt)
}

fn descriptor_process_psbt(n: &NodeContext, req: &Request) -> RpcResult {
    let provider = provider_from(Some(param(req, 1)?), network(n), true)?;
    let sighash = parse_sighash(req.param(2))?;
    let bip32derivs = match req.param(3) {
        Some(v) => get_bool(v)?,
        None => true,
    };
    let finalize = match req.param(4) {
        Some(v) => get_bool(v)?,
        None => true,
    };
    let hiding = HidingSigningProvider::new(&provider, false, !bip32derivs);
    let psbt = process_psbt(n, param(req, 0)?, &hiding, sighash, finalize)?;
    let txdata = precompute_psbt_data(&psbt);
    let complete =
        (0..psbt.inputs.len()).all(|i| psbt_input_signed_and_verified(&psbt, i, txdata.as_ref()));
    let mut out = Map::new();
    out.insert("psbt".into(), json!(psbt.to_base64()));
    out.insert("complete".into(), json!(complete));
    if complete {
        let mut copy = psbt.clone();
        if let Some(tx) = finalize_and_extract(&mut copy) {
            out.insert(
                "hex".into(),
                json!(hex(&chain_json::serialize_tx(&tx, true))),
            );
        }
    }
    Ok(Value::Object(out))
}

/// A shuffle of `0..n` (Core shuffles joined inputs and outputs for privacy).
fn shuffled(n: usize) -> Vec<usize> {
    use std::hash::{BuildHasher, Hasher};
    let mut v: Vec<usize> = (0..n).collect();
    let mut state = std::collections::hash_map::RandomState::new().build_hasher();
    for i in (1..n).rev() {
        state.write_usize(i);
        let j = (state.finish() % (i as u64 + 1)) as usize;
        v.swap(i, j);
    }
    v
}

fn join_psbts(req: &Request) -> RpcResult {
    let txs = get_array(param(req, 0)?)?;
    if txs.len() <= 1 {
        return Err(RpcError::new(
            RPC_INVALID_PARAMETER,
            "At least two PSBTs are required to join PSBTs.",
        ));
    }
    let mut best_version: u32 = 1;
    let mut best_locktime: u32 = u32::MAX;
    let mut psbts = Vec::with_capacity(txs.len());
    for t in txs {
        let psbt = decode_psbt(t)?;
        if psbt.psbt_version() != 0 {
            return Err(RpcError::new(
                RPC_INVALID_PARAMETER,
                "joinpsbts only operates on version 0 PSBTs",
            ));
        }
        best_version = best_version.max(psbt.tx_version);
        best_locktime = best_locktime.min(psbt.fallback_locktime.unwrap_or(0));
        psbts.push(psbt);
    }
    let tx = Transaction {
        version: Version(best_version as i32),
        lock_time: LockTime::from_consensus(best_locktime),
        input: Vec::new(),
        output: Vec::new(),
    };
    let mut merged = Psbt::from_tx(&tx, 0);
    for psbt in &psbts {
        for input in &psbt.inputs {
            if !merged.add_input(input) {
                return Err(RpcError::new(
                    RPC_INVALID_PARAMETER,
                    format!(
                        "Input {}:{} exists in multiple PSBTs",
                        input.prev_txid, input.prev_out
                    ),
                ));
            }
        }
        for output in &psbt.outputs {
            merged.add_output(output);
        }
        merged.merge_global_xpubs(psbt);
        for (k, v) in &psbt.unknown {
            merged.unknown.entry(k.clone()).or_insert_with(|| v.clone());
        }
    }
    // As in Core, the shuffled PSBT keeps the unknown global entries but not the xpubs.
    let mut out = Psbt::from_tx(&tx, 0);
    for i in shuffled(merged.inputs.len()) {
        out.add_input(&merged.inputs[i]);
    }
    for i in shuffled(merged.outputs.len()) {
        out.add_output(&merged.outputs[i]);
    }
    out.unknown = merged.unknown.clone();
    Ok(json!(out.to_base64()))
}

fn analysis_json(psbt: Psbt, bytes_per_sigop: i64) -> Value {
    let a = analyze_psbt(psbt, bytes_per_sigop);
    let mut result = Map::new();
    let inputs: Vec<Value> = a
        .inputs
        .iter()
        .map(|input| {
            let mut o = Map::new();
            o.insert("has_utxo".into(), json!(input.has_utxo));
            o.insert("is_final".into(), json!(input.is_final));
            o.insert("next".into(), json!(input.next.name()));
            let mut missing = Map::new();
            if !input.missing_pubkeys.is_empty() {
                let ids: Vec<Value> = input
                    .missing_pubkeys
                    .iter()
                    .map(|k| json!(hex(k)))
                    .collect();
                missing.insert("pubkeys".into(), Value::Array(ids));
            }
            if let Some(h) = &input.missing_redeem_script {
                missing.insert("redeemscript".into(), json!(hex(h)));
            }
            if let Some(h) = &input.missing_witness_script {
                missing.insert("witnessscript".into(), json!(hex(h)));
            }
            if !input.missing_sigs.is_empty() {
                let ids: Vec<Value> = input.missing_sigs.iter().map(|k| json!(hex(k))).collect();
                missing.insert("signatures".into(), Value::Array(ids));
            }
            if !missing.is_empty() {
                o.insert("missing".into(), Value::Object(missing));
            }
            Value::Object(o)
        })
        .collect();
    if !inputs.is_empty() {
        result.insert("inputs".into(), Value::Array(inputs));
    }
    if let Some(v) = a.estimated_vsize {
        result.insert("estimated_vsize".into(), json!(v));
    }
    if let Some(f) = a.estimated_feerate {
        result.insert("estimated_feerate".into(), rpc::amount_value(f));
    }
    if let Some(f) = a.fee {
        result.insert("fee".into(), rpc::amount_value(f));
    }
    result.insert("next".into(), json!(a.next.name()));
    if !a.error.is_empty() {
        result.insert("error".into(), json!(a.error));
    }
    Value::Object(result)
}

pub(crate) use super::psbt_json::decode_psbt_json;
