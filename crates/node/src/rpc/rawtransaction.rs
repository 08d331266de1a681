//! Raw-transaction commands (Core's `rpc/rawtransaction.cpp`): createrawtransaction,
//! decoderawtransaction, decodescript, combinerawtransaction and
//! signrawtransactionwithkey.

use std::sync::Arc;

use bitcoin::{Network, ScriptBuf, Transaction, Witness};
use rpc::codes::{
    RPC_DESERIALIZATION_ERROR, RPC_INVALID_ADDRESS_OR_KEY, RPC_INVALID_PARAMETER, RPC_VERIFY_ERROR,
};
use rpc::{Arg, ArgType, Request, RpcError, RpcResult, Table, Value};
use serde_json::json;
use signing::{
    data_from_transaction, key_id, produce_signature, secret_pubkey, sign_transaction,
    update_input, EmptyProvider, FlatSigningProvider, SignatureData, TxSignatureCreator,
};

use super::blockchain::param;
use super::coinview::find_coins;
use super::rawtx_util::{
    construct_transaction, parse_hex_v, parse_prevouts, parse_sighash, sign_result_json,
};
use super::values::{get_array, get_bool, get_int, get_str, hex};
use super::{command, rawtx_docs};
use crate::context::NodeContext;

/// The network of the node's chain.
pub(crate) fn network(n: &NodeContext) -> Network {
    n.chainstate().params().network
}

/// Core's `DecodeHexTx` of a string parameter; `None` when it does not decode.
pub(crate) fn decode_tx(
    v: &Value,
    try_no_witness: bool,
    try_witness: bool,
) -> Result<Option<Transaction>, RpcError> {
    Ok(chain_json::parse_hex_tx(
        get_str(v)?,
        try_no_witness,
        try_witness,
    ))
}

/// The arguments createrawtransaction and createpsbt share (Core's `CreateTxDoc`).
pub(crate) fn create_tx_args() -> Vec<Arg> {
    vec![
        Arg::required("inputs", ArgType::Arr, "The inputs to spend").with_inner(vec![
            Arg::omitted("", ArgType::Obj, "").with_inner(vec![
                Arg::required("txid", ArgType::StrHex, "The id of the transaction holding the output"),
                Arg::required("vout", ArgType::Num, "The index of the output"),
                Arg::hint("sequence", ArgType::Num, "depends on the value of the 'replaceable' and 'locktime' arguments", "The input's sequence number"),
            ]),
        ]),
        Arg::required("outputs", ArgType::Arr, "The outputs, as key-value pairs.\nA key may appear only once: at most one 'data' output, and no address twice.\nAt least one output of either kind must be given.\nAn object holding the pairs directly is also accepted as this argument, for compatibility.")
            .with_inner(vec![
                Arg::omitted("", ArgType::ObjUserKeys, "").with_inner(vec![Arg::required(
                    "address",
                    ArgType::Amount,
                    "A key-value pair: the key (string) is the bitcoin address, the value (number or string) the amount in BTC",
                )]),
                Arg::omitted("", ArgType::Obj, "").with_inner(vec![Arg::required(
                    "data",
                    ArgType::StrHex,
                    "A key-value pair: the key must be \"data\", the value is hex data carried by an OP_RETURN output",
                )]),
            ])
            .skip_type_check(),
        Arg::optional("locktime", ArgType::Num, json!(0), "The raw lock time. A non-zero value also makes the inputs lock-time active"),
        Arg::optional("replaceable", ArgType::Bool, json!(true), "Whether the transaction signals BIP125 replaceability.\nIt lets a transaction with higher fees replace it. When given, explicit sequence numbers that contradict it are an error."),
        Arg::optional("version", ArgType::Num, json!(2), "The transaction version"),
    ]
}

/// `ConstructTransaction` from a request laid out as [`create_tx_args`].
pub(crate) fn construct_from_request(
    req: &Request,
    network: Network,
) -> Result<Transaction, RpcError> {
    let rbf = req.param(3).map(get_bool).transpose()?;
    let version: u32 = match req.param(4) {
        Some(v) => get_int(v)?,
        None => 2,
    };
    construct_transaction(
        param(req, 0)?,
        req.param(1).unwrap_or(&Value::Null),
        req.object_keys(1),
        req.param(2).unwrap_or(&Value::Null),
        rbf,
        version,
        network,
    )
}

fn iswitness_arg() -> Arg {
    Arg::hint(
        "iswitness",
        ArgType::Bool,
        "depends on heuristic tests",
        "Whether the hex is a transaction in the witness serialization.\nLeft out, heuristics decide.\nIf true, only the witness serialization is tried.\nIf false, only the serialization without witness is tried.\nIt should say whether the transaction has inputs (fully valid and on-chain transactions do), if the caller knows.",
    )
}

/// Registers the raw-transaction commands.
pub fn register(table: &Table, node: &Arc<NodeContext>) {
    let n = node.clone();
    table.register(command(
        "rawtransactions",
        "createrawtransaction",
        "Builds a transaction that spends the given inputs and creates the given outputs.\nOutputs pay addresses or carry data.\nReturns the transaction, hex-encoded.\nThe inputs are not signed, and the transaction is neither stored in a wallet nor sent to the network.\n",
        create_tx_args(),
        "",
        move |req| {
            let tx = construct_from_request(req, network(&n))?;
            Ok(json!(hex(&chain_json::serialize_tx(&tx, true))))
        },
    ));
    let n = node.clone();
    table.register(command(
        "rawtransactions",
        "decoderawtransaction",
        "Shows a serialized, hex-encoded transaction as a JSON object.",
        vec![
            Arg::required("hexstring", ArgType::StrHex, "The transaction, hex-encoded"),
            iswitness_arg(),
        ],
        "",
        move |req| {
            let iswitness = req.param(1).map(get_bool).transpose()?;
            let try_witness = iswitness.unwrap_or(true);
            let try_no_witness = iswitness.map(|w| !w).unwrap_or(true);
            let tx = decode_tx(param(req, 0)?, try_no_witness, try_witness)?
                .ok_or_else(|| RpcError::new(RPC_DESERIALIZATION_ERROR, "TX decode failed"))?;
            Ok(chain_json::tx_to_json(
                &tx,
                None,
                false,
                None,
                chain_json::TxVerbosity::ShowDetails,
                network(&n),
            ))
        },
    ));
    let n = node.clone();
    table.register(command(
        "rawtransactions",
        "decodescript",
        "Shows a hex-encoded script.\n",
        vec![Arg::required(
            "hexstring",
            ArgType::StrHex,
            "The script, hex-encoded",
        )],
        "",
        move |req| decode_script(param(req, 0)?, network(&n)),
    ));
    let n = node.clone();
    table.register(command(
        "rawtransactions",
        "combinerawtransaction",
        "Merges the signatures of several partially signed copies of one transaction.\nThe result may still be partially signed, or fully signed.",
        vec![Arg::required("txs", ArgType::Arr, "The partially signed transactions, hex-encoded")
            .with_inner(vec![Arg::omitted("hexstring", ArgType::StrHex, "A transaction, hex-encoded")])],
        "",
        move |req| combine_raw(&n, req),
    ));
    let n = node.clone();
    table.register(command(
        "rawtransactions",
        "signrawtransactionwithkey",
        "Signs the inputs of a serialized, hex-encoded transaction.\nThe second argument lists the base58 private keys to sign with; no other key is used.\nThe optional third argument (may be null) lists the outputs spent that may not be in the block chain yet.\n",
        vec![
            Arg::required("hexstring", ArgType::Str, "The transaction, hex-encoded"),
            Arg::required("privkeys", ArgType::Arr, "The private keys to sign with, base58-encoded")
                .with_inner(vec![Arg::omitted("privatekey", ArgType::StrHex, "a private key, base58-encoded")]),
            Arg::omitted("prevtxs", ArgType::Arr, "The outputs spent, as far as they are needed").with_inner(vec![
                Arg::omitted("", ArgType::Obj, "").with_inner(vec![
                    Arg::required("txid", ArgType::StrHex, "The id of the transaction holding the output"),
                    Arg::required("vout", ArgType::Num, "The index of the output"),
                    Arg::required("scriptPubKey", ArgType::StrHex, "The output script"),
                    Arg::omitted("redeemScript", ArgType::StrHex, "(needed for P2SH) the redeem script"),
                    Arg::omitted("witnessScript", ArgType::StrHex, "(needed for P2WSH or P2SH-P2WSH) the witness script"),
                    Arg::omitted("amount", ArgType::Amount, "(needed for segwit inputs) the amount spent"),
                ]),
            ]),
            Arg::optional("sighashtype", ArgType::Str, json!("DEFAULT for Taproot, ALL otherwise"), "The signature hash type, one of:\n       \"DEFAULT\"\n       \"ALL\"\n       \"NONE\"\n       \"SINGLE\"\n       \"ALL|ANYONECANPAY\"\n       \"NONE|ANYONECANPAY\"\n       \"SINGLE|ANYONECANPAY\"\n"),
        ],
        "",
        move |req| sign_with_key(&n, req),
    ));
    rawtx_docs::register(table);
}

fn decode_script(v: &Value, network: Network) -> RpcResult {
    let text = get_str(v)?;
    let script = if text.is_empty() {
        Vec::new()
    } else {
        parse_hex_v(v, "argument")?
    };
    let mut out =
        chain_json::decode_script_json(ScriptBuf::from_bytes(script.clone()).as_script(), network);
    // A P2WSH wrapping of a sane miniscript is described as wsh(miniscript), as Core's
    // InferDescriptor does with the script known.
    let nonstandard = matches!(
        chain_json::classify(&script),
        chain_json::ScriptKind::NonStandard
    );
    if nonstandard {
        if let (Some(segwit), Some(desc)) = (
            out.get_mut("segwit").and_then(Value::as_object_mut),
            signing::infer_wsh_miniscript(&script),
        ) {
            segwit.insert("desc".into(), json!(chain_json::add_checksum(&desc)));
        }
    }
    Ok(out)
}

fn combine_raw(n: &NodeContext, req: &Request) -> RpcResult {
    let txs = get_array(param(req, 0)?)?;
    if txs.len() < 2 {
        return Err(RpcError::new(
            RPC_DESERIALIZATION_ERROR,
            "Missing transactions. At least two transactions required.",
        ));
    }
    let mut variants = Vec::with_capacity(txs.len());
    for (idx, t) in txs.iter().enumerate() {
        let tx = decode_tx(t, true, true)?.ok_or_else(|| {
            RpcError::new(
                RPC_DESERIALIZATION_ERROR,
                format!("TX decode failed for tx {idx}. Make sure the tx has at least one input."),
            )
        })?;
        variants.push(tx);
    }
    // Only the signatures may differ: compare the txids without scriptSigs and witnesses.
    let stripped_txid = |tx: &Transaction| {
        let mut t = tx.clone();
        for i in &mut t.input {
            i.script_sig = ScriptBuf::new();
            i.witness = Witness::new();
        }
        t.compute_txid()
    };
    let first = stripped_txid(&variants[0]);
    for (k, tx) in variants.iter().enumerate().skip(1) {
        if stripped_txid(tx) != first {
            return Err(RpcError::new(
                RPC_INVALID_PARAMETER,
                format!(
                    "Transaction number {} not compatible with first transaction",
                    k + 1
                ),
            ));
        }
    }
    let mut merged = variants[0].clone();
    let coins = find_coins(n, merged.input.iter().map(|i| i.previous_output))?;
    let tx_const = merged.clone();
    for i in 0..tx_const.input.len() {
        let Some(coin) = coins.get(&tx_const.input[i].previous_output) else {
            return Err(RpcError::new(
                RPC_VERIFY_ERROR,
                "Input not found or already spent",
            ));
        };
        let mut sigdata = SignatureData::default();
        for v in &variants {
            if v.input.len() > i {
                sigdata.merge(data_from_transaction(v, i, coin));
            }
        }
        let creator = TxSignatureCreator::new(&tx_const, i, signing::amount_of(coin), None, 1);
        produce_signature(
            &EmptyProvider,
            &creator,
            coin.script_pubkey.as_bytes(),
            &mut sigdata,
        );
        update_input(&mut merged, i, &sigdata);
    }
    Ok(json!(hex(&chain_json::serialize_tx(&merged, true))))
}

fn sign_with_key(n: &NodeContext, req: &Request) -> RpcResult {
    let net = network(n);
    let mut tx = decode_tx(param(req, 0)?, true, true)?.ok_or_else(|| {
        RpcError::new(
            RPC_DESERIALIZATION_ERROR,
            "TX decode failed. Make sure the tx has at least one input.",
        )
    })?;
    let mut keystore = FlatSigningProvider::new();
    for k in get_array(param(req, 1)?)? {
        let secret = descriptors::decode_secret(get_str(k)?, net)
            .ok_or_else(|| RpcError::new(RPC_INVALID_ADDRESS_OR_KEY, "Invalid private key"))?;
        let pubkey = secret_pubkey(&secret);
        let id = key_id(&pubkey);
        keystore.pubkeys.entry(id).or_insert(pubkey);
        keystore.keys.entry(id).or_insert(secret);
    }
    let mut coins = find_coins(n, tx.input.iter().map(|i| i.previous_output))?;
    parse_prevouts(req.param(2), Some(&mut keystore), &mut coins)?;
    let sighash = parse_sighash(req.param(3))?.unwrap_or(0);
    let errors = sign_transaction(&mut tx, &keystore, &coins, sighash);
    sign_result_json(&tx, errors.is_empty(), &coins, &errors)
}
