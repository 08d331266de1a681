//! Raw-transaction arguments as Core's RPC reads them (`rpc/rawtransaction_util.cpp` and
//! `RPCTypeCheckObj`): inputs and outputs, prevtxs, sighash names and signing results,
//! shared by the node's raw-transaction and PSBT commands and the wallet's spending ones.

use std::collections::{BTreeMap, BTreeSet};

use bitcoin::absolute::LockTime;
use bitcoin::hashes::Hash;
use bitcoin::transaction::Version;
use bitcoin::{Amount, Network, OutPoint, ScriptBuf, Sequence, Transaction, TxIn, TxOut, Txid};
use rpc::codes::{
    RPC_DESERIALIZATION_ERROR, RPC_INVALID_ADDRESS_OR_KEY, RPC_INVALID_PARAMETER, RPC_TYPE_ERROR,
};
use rpc::request::{value_array, value_int, value_str};
use rpc::{RpcError, Value};
use serde_json::{json, Map};
use signing::{script_id, Coins, FlatSigningProvider};

/// `MAX_BIP125_RBF_SEQUENCE`.
pub const MAX_BIP125_RBF_SEQUENCE: u32 = 0xffff_fffd;
/// `CTxIn::MAX_SEQUENCE_NONFINAL`.
pub const MAX_SEQUENCE_NONFINAL: u32 = 0xffff_fffe;

/// `TX_MIN_STANDARD_VERSION` and `TX_MAX_STANDARD_VERSION`.
const TX_STANDARD_VERSIONS: (u32, u32) = (1, 3);
/// `LOCKTIME_MAX`.
const LOCKTIME_MAX: i64 = 0xffff_ffff;

fn hex(b: &[u8]) -> String {
    chain_json::to_hex(b)
}

/// UniValue's `get_obj`.
pub fn get_obj(v: &Value) -> Result<&Map<String, Value>, RpcError> {
    v.as_object().ok_or_else(|| {
        RpcError::new(
            RPC_TYPE_ERROR,
            format!(
                "JSON value of type {} is not of expected type object",
                rpc::json::type_name(v)
            ),
        )
    })
}

/// `find_value`: the key's value, null when absent.
pub fn find<'a>(o: &'a Map<String, Value>, key: &str) -> &'a Value {
    static NULL: Value = Value::Null;
    o.get(key).unwrap_or(&NULL)
}

/// Core's `IsHex` decoding: non-empty, even length, hex digits only.
pub fn decode_hex(s: &str) -> Option<Vec<u8>> {
    if s.is_empty() || !s.len().is_multiple_of(2) {
        return None;
    }
    chain_json::from_hex(s)
}

/// `ParseHexV`.
pub fn parse_hex_v(v: &Value, name: &str) -> Result<Vec<u8>, RpcError> {
    let s = v.as_str().unwrap_or("");
    decode_hex(s).ok_or_else(|| {
        RpcError::new(
            RPC_INVALID_PARAMETER,
            format!("{name} must be hexadecimal string (not '{s}')"),
        )
    })
}

/// `ParseHashV`: 64 hex digits in display order.
pub fn parse_hash(v: &Value, name: &str) -> Result<[u8; 32], RpcError> {
    let s = value_str(v)?;
    if s.len() != 64 {
        return Err(RpcError::new(
            RPC_INVALID_PARAMETER,
            format!("{name} must be of length 64 (not {}, for '{s}')", s.len()),
        ));
    }
    let bytes = decode_hex(s).ok_or_else(|| {
        RpcError::new(
            RPC_INVALID_PARAMETER,
            format!("{name} must be hexadecimal string (not '{s}')"),
        )
    })?;
    let mut out = [0u8; 32];
    for (i, b) in bytes.iter().rev().enumerate() {
        out[i] = *b;
    }
    Ok(out)
}

/// `ParseHashV` as a txid.
pub fn parse_txid(v: &Value, name: &str) -> Result<Txid, RpcError> {
    parse_hash(v, name).map(Txid::from_byte_array)
}

/// `UniValue::getValStr`.
fn val_str(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        Value::Bool(b) => b.to_string(),
        _ => String::new(),
    }
}

/// `RPCTypeCheckObj`: each expected key of the JSON type named (any type for `""`),
/// absent ones allowed when `allow_null`; with `strict`, no other keys.
pub fn type_check_obj(
    o: &Map<String, Value>,
    expected: &[(&str, &str)],
    allow_null: bool,
    strict: bool,
) -> Result<(), RpcError> {
    // Core walks a std::map, so keys are checked in byte order.
    let mut sorted = expected.to_vec();
    sorted.sort();
    for (key, ty) in &sorted {
        let v = find(o, key);
        if !allow_null && v.is_null() {
            return Err(RpcError::new(RPC_TYPE_ERROR, format!("Missing {key}")));
        }
        let actual = rpc::json::type_name(v);
        if !(ty.is_empty() || actual == *ty || (allow_null && v.is_null())) {
            return Err(RpcError::new(
                RPC_TYPE_ERROR,
                format!("JSON value of type {actual} for field {key} is not of expected type {ty}"),
            ));
        }
    }
    if strict {
        for k in o.keys() {
            if !sorted.iter().any(|(key, _)| key == k) {
                return Err(RpcError::new(RPC_TYPE_ERROR, format!("Unexpected key {k}")));
            }
        }
    }
    Ok(())
}

/// `AddInputs`.
fn add_inputs(tx: &mut Transaction, inputs: &Value, rbf: Option<bool>) -> Result<(), RpcError> {
    let inputs = match inputs {
        Value::Null => return Ok(()),
        v => value_array(v)?,
    };
    for input in inputs {
        let o = get_obj(input)?;
        let txid = parse_txid(find(o, "txid"), "txid")?;
        let vout_v = find(o, "vout");
        if !vout_v.is_number() {
            return Err(RpcError::new(
                RPC_INVALID_PARAMETER,
                "Invalid parameter, missing vout key",
            ));
        }
        let vout: i32 = value_int(vout_v)?;
        if vout < 0 {
            return Err(RpcError::new(
                RPC_INVALID_PARAMETER,
                "Invalid parameter, vout cannot be negative",
            ));
        }
        let mut sequence = if rbf.unwrap_or(true) {
            MAX_BIP125_RBF_SEQUENCE
        } else if tx.lock_time.to_consensus_u32() != 0 {
            MAX_SEQUENCE_NONFINAL
        } else {
            u32::MAX
        };
        let seq_v = find(o, "sequence");
        if seq_v.is_number() {
            let n: i64 = value_int(seq_v)?;
            sequence = u32::try_from(n).map_err(|_| {
                RpcError::new(
                    RPC_INVALID_PARAMETER,
                    "Invalid parameter, sequence number is out of range",
                )
            })?;
        }
        tx.input.push(TxIn {
            previous_output: OutPoint::new(txid, vout as u32),
            script_sig: ScriptBuf::new(),
            sequence: Sequence(sequence),
            witness: Default::default(),
        });
    }
    Ok(())
}

/// `NormalizeOutputs`: the key-value pairs of an object, or of an array of one-key
/// objects, in the request's order with repeats (`keys` are the request's own keys of an
/// object argument, when known).
pub fn normalize_outputs(
    outputs: &Value,
    keys: Option<&[String]>,
) -> Result<Vec<(String, Value)>, RpcError> {
    if outputs.is_null() {
        return Err(RpcError::new(
            RPC_INVALID_PARAMETER,
            "Invalid parameter, output argument must be non-null",
        ));
    }
    if let Some(o) = outputs.as_object() {
        if let Some(keys) = keys {
            return Ok(keys
                .iter()
                .filter_map(|k| o.get(k).map(|v| (k.clone(), v.clone())))
                .collect());
        }
        return Ok(o.iter().map(|(k, v)| (k.clone(), v.clone())).collect());
    }
    let mut pairs = Vec::new();
    for output in value_array(outputs)? {
        let Some(o) = output.as_object() else {
            return Err(RpcError::new(
                RPC_INVALID_PARAMETER,
                "Invalid parameter, key-value pair not an object as expected",
            ));
        };
        if o.len() != 1 {
            return Err(RpcError::new(
                RPC_INVALID_PARAMETER,
                "Invalid parameter, key-value pair must contain exactly one key",
            ));
        }
        pairs.extend(o.iter().map(|(k, v)| (k.clone(), v.clone())));
    }
    Ok(pairs)
}

/// `ParseOutputs`: scripts and amounts of normalized outputs (`data` becomes an
/// OP_RETURN output of zero value).
pub fn parse_outputs(
    pairs: &[(String, Value)],
    network: Network,
) -> Result<Vec<(ScriptBuf, i64)>, RpcError> {
    // `outputs[name]` is the first value under a key.
    let first = |name: &str| {
        pairs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .unwrap_or(Value::Null)
    };
    let mut seen = BTreeSet::new();
    let mut has_data = false;
    let mut out = Vec::new();
    for (name, _) in pairs {
        if name == "data" {
            if has_data {
                return Err(RpcError::new(
                    RPC_INVALID_PARAMETER,
                    "Invalid parameter, duplicate key: data",
                ));
            }
            has_data = true;
            let data = parse_hex_v(&Value::String(val_str(&first(name))), "Data")?;
            let mut script = vec![0x6a];
            consensus::script::push_data(&mut script, &data);
            out.push((ScriptBuf::from_bytes(script), 0));
        } else {
            let dest = descriptors::decode_destination(name, network);
            let amount = rpc::amount_from_value(&first(name), 8)?;
            let Ok(dest) = dest else {
                return Err(RpcError::new(
                    RPC_INVALID_ADDRESS_OR_KEY,
                    format!("Invalid Bitcoin address: {name}"),
                ));
            };
            let script = dest.script_pubkey();
            if !seen.insert(script.clone()) {
                return Err(RpcError::new(
                    RPC_INVALID_PARAMETER,
                    format!("Invalid parameter, duplicated address: {name}"),
                ));
            }
            out.push((script, amount));
        }
    }
    Ok(out)
}

/// `AddOutputs`.
pub fn add_outputs(
    tx: &mut Transaction,
    outputs: &Value,
    keys: Option<&[String]>,
    network: Network,
) -> Result<(), RpcError> {
    let pairs = normalize_outputs(outputs, keys)?;
    for (script, amount) in parse_outputs(&pairs, network)? {
        tx.output.push(TxOut {
            value: Amount::from_sat(amount as u64),
            script_pubkey: script,
        });
    }
    Ok(())
}

/// `ConstructTransaction`.
pub fn construct_transaction(
    inputs: &Value,
    outputs: &Value,
    output_keys: Option<&[String]>,
    locktime: &Value,
    rbf: Option<bool>,
    version: u32,
    network: Network,
) -> Result<Transaction, RpcError> {
    let mut tx = Transaction {
        version: Version(2),
        lock_time: LockTime::ZERO,
        input: Vec::new(),
        output: Vec::new(),
    };
    if !locktime.is_null() {
        let n: i64 = value_int(locktime)?;
        if !(0..=LOCKTIME_MAX).contains(&n) {
            return Err(RpcError::new(
                RPC_INVALID_PARAMETER,
                "Invalid parameter, locktime out of range",
            ));
        }
        tx.lock_time = LockTime::from_consensus(n as u32);
    }
    let (min, max) = TX_STANDARD_VERSIONS;
    if !(min..=max).contains(&version) {
        return Err(RpcError::new(
            RPC_INVALID_PARAMETER,
            format!("Invalid parameter, version out of range({min}~{max})"),
        ));
    }
    tx.version = Version(version as i32);
    add_inputs(&mut tx, inputs, rbf)?;
    add_outputs(&mut tx, outputs, output_keys, network)?;
    let signals_rbf = tx
        .input
        .iter()
        .any(|i| i.sequence.0 <= MAX_BIP125_RBF_SEQUENCE);
    if rbf == Some(true) && !tx.input.is_empty() && !signals_rbf {
        return Err(RpcError::new(
            RPC_INVALID_PARAMETER,
            "Invalid parameter combination: Sequence number(s) contradict replaceable option",
        ));
    }
    Ok(tx)
}

/// `ParseSighashString`: `None` for null.
pub fn parse_sighash(v: Option<&Value>) -> Result<Option<i32>, RpcError> {
    let Some(v) = v.filter(|v| !v.is_null()) else {
        return Ok(None);
    };
    let s = value_str(v)?;
    let n = match s {
        "DEFAULT" => 0,
        "ALL" => 1,
        "NONE" => 2,
        "SINGLE" => 3,
        "ALL|ANYONECANPAY" => 0x81,
        "NONE|ANYONECANPAY" => 0x82,
        "SINGLE|ANYONECANPAY" => 0x83,
        _ => {
            return Err(RpcError::new(
                RPC_INVALID_PARAMETER,
                format!("'{s}' is not a valid sighash parameter."),
            ))
        }
    };
    Ok(Some(n))
}

fn p2wsh(script: &[u8]) -> Vec<u8> {
    ScriptBuf::new_p2wsh(&bitcoin::Script::from_bytes(script).wscript_hash()).into_bytes()
}

fn p2sh(script: &[u8]) -> Vec<u8> {
    ScriptBuf::new_p2sh(&bitcoin::Script::from_bytes(script).script_hash()).into_bytes()
}

/// `ParsePrevouts`: adds the `prevtxs` coins (amount `MAX_MONEY` when not given) and, when
/// a keystore is given, their redeem and witness scripts.
pub fn parse_prevouts(
    prevtxs: Option<&Value>,
    mut keystore: Option<&mut FlatSigningProvider>,
    coins: &mut Coins,
) -> Result<(), RpcError> {
    let Some(prevtxs) = prevtxs.filter(|v| !v.is_null()) else {
        return Ok(());
    };
    for p in value_array(prevtxs)? {
        let Some(o) = p.as_object() else {
            return Err(RpcError::new(
                RPC_DESERIALIZATION_ERROR,
                "expected object with {\"txid'\",\"vout\",\"scriptPubKey\"}",
            ));
        };
        type_check_obj(
            o,
            &[
                ("txid", "string"),
                ("vout", "number"),
                ("scriptPubKey", "string"),
            ],
            false,
            false,
        )?;
        let txid = parse_txid(find(o, "txid"), "txid")?;
        let vout: i32 = value_int(find(o, "vout"))?;
        if vout < 0 {
            return Err(RpcError::new(
                RPC_DESERIALIZATION_ERROR,
                "vout cannot be negative",
            ));
        }
        let out = OutPoint::new(txid, vout as u32);
        let spk = parse_hex_v(find(o, "scriptPubKey"), "scriptPubKey")?;
        if let Some(coin) = coins.get(&out) {
            if coin.script_pubkey.as_bytes() != spk.as_slice() {
                return Err(RpcError::new(
                    RPC_DESERIALIZATION_ERROR,
                    format!(
                        "Previous output scriptPubKey mismatch:\n{}\nvs:\n{}",
                        chain_json::bytes_to_asm(coin.script_pubkey.as_bytes(), false),
                        chain_json::bytes_to_asm(&spk, false)
                    ),
                ));
            }
        }
        let amount = match o.get("amount") {
            Some(v) => rpc::amount_from_value(v, 8)?,
            None => signing::MAX_MONEY,
        };
        coins.insert(
            out,
            TxOut {
                value: Amount::from_sat(amount as u64),
                script_pubkey: ScriptBuf::from_bytes(spk.clone()),
            },
        );
        let Some(keystore) = keystore.as_deref_mut() else {
            continue;
        };
        let is_p2sh = consensus::script::is_p2sh(&spk);
        let is_p2wsh = spk.len() == 34 && spk[0] == 0x00 && spk[1] == 0x20;
        if !(is_p2sh || is_p2wsh) {
            continue;
        }
        type_check_obj(
            o,
            &[("redeemScript", "string"), ("witnessScript", "string")],
            true,
            false,
        )?;
        let rs = find(o, "redeemScript");
        let ws = find(o, "witnessScript");
        if rs.is_null() && ws.is_null() {
            return Err(RpcError::new(
                RPC_INVALID_PARAMETER,
                "Missing redeemScript/witnessScript",
            ));
        }
        let script = if !ws.is_null() {
            parse_hex_v(ws, "witnessScript")?
        } else {
            parse_hex_v(rs, "redeemScript")?
        };
        keystore
            .scripts
            .entry(script_id(&script))
            .or_insert_with(|| script.clone());
        let witness_output = p2wsh(&script);
        keystore
            .scripts
            .entry(script_id(&witness_output))
            .or_insert_with(|| witness_output.clone());
        if !ws.is_null() && !rs.is_null() && ws.as_str() != rs.as_str() {
            let redeem = parse_hex_v(rs, "redeemScript")?;
            if redeem != witness_output {
                return Err(RpcError::new(
                    RPC_INVALID_PARAMETER,
                    "redeemScript does not correspond to witnessScript",
                ));
            }
        }
        let matches = if is_p2sh {
            spk == p2sh(&script) || spk == p2sh(&witness_output)
        } else {
            spk == witness_output
        };
        if !matches {
            return Err(RpcError::new(
                RPC_INVALID_PARAMETER,
                "redeemScript/witnessScript does not match scriptPubKey",
            ));
        }
    }
    Ok(())
}

/// `CTxOut::ToString`.
fn txout_string(out: &TxOut) -> String {
    let v = out.value.to_sat() as i64;
    let spk = hex(out.script_pubkey.as_bytes());
    format!(
        "CTxOut(nValue={}.{:08}, scriptPubKey={})",
        v / 100_000_000,
        v % 100_000_000,
        &spk[..spk.len().min(30)]
    )
}

/// `SignTransactionResultToJSON`: `hex`, `complete` and the per-input `errors`.
pub fn sign_result_json(
    tx: &Transaction,
    complete: bool,
    coins: &Coins,
    errors: &BTreeMap<usize, String>,
) -> Result<Value, RpcError> {
    let mut list = Vec::new();
    for (&i, message) in errors {
        let Some(input) = tx.input.get(i) else {
            continue;
        };
        if message == signing::ERR_MISSING_AMOUNT {
            let coin = coins
                .get(&input.previous_output)
                .map(txout_string)
                .unwrap_or_default();
            return Err(RpcError::new(
                RPC_TYPE_ERROR,
                format!("Missing amount for {coin}"),
            ));
        }
        let witness: Vec<Value> = input.witness.iter().map(|w| json!(hex(w))).collect();
        let mut entry = Map::new();
        entry.insert("txid".into(), json!(input.previous_output.txid.to_string()));
        entry.insert("vout".into(), json!(input.previous_output.vout));
        entry.insert("witness".into(), Value::Array(witness));
        entry.insert("scriptSig".into(), json!(hex(input.script_sig.as_bytes())));
        entry.insert("sequence".into(), json!(input.sequence.0));
        entry.insert("error".into(), json!(message));
        list.push(Value::Object(entry));
    }
    let mut result = Map::new();
    result.insert(
        "hex".into(),
        json!(hex(&chain_json::serialize_tx(tx, true))),
    );
    result.insert("complete".into(), json!(complete));
    if !list.is_empty() {
        result.insert("errors".into(), Value::Array(list));
    }
    Ok(Value::Object(result))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn outputs_and_options_are_checked_as_core() {
        let v = json!([{"data": "00ff"}, {"data": "01"}]);
        let e = normalize_outputs(&v, None)
            .and_then(|p| parse_outputs(&p, Network::Regtest))
            .unwrap_err();
        assert_eq!(e.message, "Invalid parameter, duplicate key: data");
        let o = json!({"a": 1, "b": "x"});
        let e = type_check_obj(
            o.as_object().unwrap(),
            &[("a", "number"), ("b", "bool")],
            true,
            true,
        )
        .unwrap_err();
        assert_eq!(
            e.message,
            "JSON value of type string for field b is not of expected type bool"
        );
        let e = type_check_obj(
            o.as_object().unwrap(),
            &[("a", "number"), ("b", "")],
            true,
            true,
        );
        assert!(e.is_ok());
        let e = type_check_obj(o.as_object().unwrap(), &[("a", "number")], true, true).unwrap_err();
        assert_eq!(e.message, "Unexpected key b");
        assert_eq!(
            parse_sighash(Some(&json!("NONE|ANYONECANPAY"))).unwrap(),
            Some(0x82)
        );
    }

    #[test]
    fn txout_text() {
        let out = TxOut {
            value: Amount::from_sat(signing::MAX_MONEY as u64),
            script_pubkey: ScriptBuf::from_bytes(vec![0x00; 40]),
        };
        assert_eq!(
            txout_string(&out),
            format!(
                "CTxOut(nValue=21000000.00000000, scriptPubKey={})",
                "0".repeat(30)
            )
        );
    }
}
