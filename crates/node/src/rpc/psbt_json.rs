//! `decodepsbt`'s JSON view of a PSBT, field by field as Core prints it.

use std::collections::{BTreeMap, BTreeSet};

use bitcoin::Network;
use serde_json::{json, Map, Value};
use signing::psbt::{ProprietarySet, Psbt, PsbtInput, PsbtOutput, UnknownMap};
use signing::KeyOrigin;

use super::values::hex;

/// Core's `ScriptToUniv` without address: `asm`, `hex`, `type`.
fn script_json(script: &[u8], network: Network) -> Value {
    chain_json::script_to_json(bitcoin::Script::from_bytes(script), true, false, network)
}

fn fingerprint(origin: &KeyOrigin) -> String {
    hex(&origin.fingerprint)
}

fn keypaths_json(paths: &BTreeMap<Vec<u8>, KeyOrigin>) -> Value {
    Value::Array(
        paths
            .iter()
            .map(|(pubkey, origin)| {
                json!({
                    "pubkey": hex(pubkey),
                    "master_fingerprint": fingerprint(origin),
                    "path": origin.path_string(),
                })
            })
            .collect(),
    )
}

fn tap_keypaths_json(paths: &BTreeMap<[u8; 32], (BTreeSet<[u8; 32]>, KeyOrigin)>) -> Value {
    Value::Array(
        paths
            .iter()
            .map(|(xonly, (leaves, origin))| {
                let leaves: Vec<Value> = leaves.iter().map(|l| json!(hex(l))).collect();
                json!({
                    "pubkey": hex(xonly),
                    "master_fingerprint": fingerprint(origin),
                    "path": origin.path_string(),
                    "leaf_hashes": leaves,
                })
            })
            .collect(),
    )
}

fn musig_participants_json(p: &BTreeMap<Vec<u8>, Vec<Vec<u8>>>) -> Value {
    Value::Array(
        p.iter()
            .map(|(agg, parts)| {
                let parts: Vec<Value> = parts.iter().map(|k| json!(hex(k))).collect();
                json!({"aggregate_pubkey": hex(agg), "participant_pubkeys": parts})
            })
            .collect(),
    )
}

fn proprietary_json(p: &ProprietarySet) -> Value {
    Value::Array(
        p.values()
            .map(|e| {
                json!({
                    "identifier": hex(&e.identifier),
                    "subtype": e.subtype,
                    "key": hex(&e.key),
                    "value": hex(&e.value),
                })
            })
            .collect(),
    )
}

fn unknown_json(u: &UnknownMap) -> Value {
    let mut m = Map::new();
    for (k, v) in u {
        m.insert(hex(k), json!(hex(v)));
    }
    Value::Object(m)
}

fn preimages<const N: usize>(
    out: &mut Map<String, Value>,
    name: &str,
    p: &BTreeMap<[u8; N], Vec<u8>>,
) {
    if !p.is_empty() {
        let mut m = Map::new();
        for (h, v) in p {
            m.insert(hex(h), json!(hex(v)));
        }
        out.insert(name.into(), Value::Object(m));
    }
}

fn tx_json(tx: &bitcoin::Transaction, network: Network) -> Value {
    chain_json::tx_to_json(
        tx,
        None,
        false,
        None,
        chain_json::TxVerbosity::ShowDetails,
        network,
    )
}

fn input_json(version: u32, input: &PsbtInput, network: Network) -> Value {
    let mut o = Map::new();
    if let Some(utxo) = &input.witness_utxo {
        let spk = chain_json::script_to_json(&utxo.script_pubkey, true, true, network);
        o.insert(
            "witness_utxo".into(),
            json!({"amount": rpc::amount_value(utxo.value.to_sat() as i64), "scriptPubKey": spk}),
        );
    }
    if let Some(prev) = &input.non_witness_utxo {
        o.insert("non_witness_utxo".into(), tx_json(prev, network));
    }
    if !input.partial_sigs.is_empty() {
        let mut m = Map::new();
        for (pubkey, sig) in input.partial_sigs.values() {
            m.insert(hex(pubkey), json!(hex(sig)));
        }
        o.insert("partial_signatures".into(), Value::Object(m));
    }
    if let Some(sighash) = input.sighash_type {
        let name = chain_json::sighash_name(sighash as u8).unwrap_or("");
        o.insert("sighash".into(), json!(name));
    }
    if !input.redeem_script.is_empty() {
        o.insert(
            "redeem_script".into(),
            script_json(&input.redeem_script, network),
        );
    }
    if !input.witness_script.is_empty() {
        o.insert(
            "witness_script".into(),
            script_json(&input.witness_script, network),
        );
    }
    if !input.hd_keypaths.is_empty() {
        o.insert("bip32_derivs".into(), keypaths_json(&input.hd_keypaths));
    }
    if !input.final_script_sig.is_empty() {
        o.insert(
            "final_scriptSig".into(),
            json!({
                "asm": chain_json::bytes_to_asm(&input.final_script_sig, true),
                "hex": hex(&input.final_script_sig),
            }),
        );
    }
    if !input.final_script_witness.is_empty() {
        let items: Vec<Value> = input
            .final_script_witness
            .iter()
            .map(|w| json!(hex(w)))
            .collect();
        o.insert("final_scriptwitness".into(), Value::Array(items));
    }
    preimages(&mut o, "ripemd160_preimages", &input.ripemd160_preimages);
    preimages(&mut o, "sha256_preimages", &input.sha256_preimages);
    preimages(&mut o, "hash160_preimages", &input.hash160_preimages);
    preimages(&mut o, "hash256_preimages", &input.hash256_preimages);
    if version >= 2 {
        o.insert("previous_txid".into(), json!(input.prev_txid.to_string()));
        o.insert("previous_vout".into(), json!(input.prev_out));
        if let Some(s) = input.sequence {
            o.insert("sequence".into(), json!(s));
        }
        if let Some(t) = input.time_locktime {
            o.insert("time_locktime".into(), json!(t));
        }
        if let Some(h) = input.height_locktime {
            o.insert("height_locktime".into(), json!(h));
        }
    }
    if !input.tap_key_sig.is_empty() {
        o.insert(
            "taproot_key_path_sig".into(),
            json!(hex(&input.tap_key_sig)),
        );
    }
    if !input.tap_script_sigs.is_empty() {
        let sigs: Vec<Value> = input
            .tap_script_sigs
            .iter()
            .map(|((xonly, leaf), sig)| {
                json!({"pubkey": hex(xonly), "leaf_hash": hex(leaf), "sig": hex(sig)})
            })
            .collect();
        o.insert("taproot_script_path_sigs".into(), Value::Array(sigs));
    }
    if !input.tap_scripts.is_empty() {
        let scripts: Vec<Value> = input
            .tap_scripts
            .iter()
            .map(|((script, leaf_ver), blocks)| {
                let blocks: Vec<Value> = blocks.iter().map(|b| json!(hex(&b.0))).collect();
                json!({"script": hex(script), "leaf_ver": leaf_ver, "control_blocks": blocks})
            })
            .collect();
        o.insert("taproot_scripts".into(), Value::Array(scripts));
    }
    if !input.tap_bip32_paths.is_empty() {
        o.insert(
            "taproot_bip32_derivs".into(),
            tap_keypaths_json(&input.tap_bip32_paths),
        );
    }
    if input.tap_internal_key != [0; 32] {
        o.insert(
            "taproot_internal_key".into(),
            json!(hex(&input.tap_internal_key)),
        );
    }
    if input.tap_merkle_root != [0; 32] {
        o.insert(
            "taproot_merkle_root".into(),
            json!(hex(&input.tap_merkle_root)),
        );
    }
    if !input.musig2_participants.is_empty() {
        o.insert(
            "musig2_participant_pubkeys".into(),
            musig_participants_json(&input.musig2_participants),
        );
    }
    if !input.musig2_pubnonces.is_empty() {
        let mut list = Vec::new();
        for ((agg, leaf), nonces) in &input.musig2_pubnonces {
            for (part, nonce) in nonces {
                let mut e = Map::new();
                e.insert("participant_pubkey".into(), json!(hex(part)));
                e.insert("aggregate_pubkey".into(), json!(hex(agg)));
                if *leaf != [0; 32] {
                    e.insert("leaf_hash".into(), json!(hex(leaf)));
                }
                e.insert("pubnonce".into(), json!(hex(nonce)));
                list.push(Value::Object(e));
            }
        }
        o.insert("musig2_pubnonces".into(), Value::Array(list));
    }
    if !input.musig2_partial_sigs.is_empty() {
        let mut list = Vec::new();
        for ((agg, leaf), sigs) in &input.musig2_partial_sigs {
            for (part, psig) in sigs {
                let mut e = Map::new();
                e.insert("participant_pubkey".into(), json!(hex(part)));
                e.insert("aggregate_pubkey".into(), json!(hex(agg)));
                if *leaf != [0; 32] {
                    e.insert("leaf_hash".into(), json!(hex(leaf)));
                }
                e.insert("partial_sig".into(), json!(hex(psig)));
                list.push(Value::Object(e));
            }
        }
        o.insert("musig2_partial_sigs".into(), Value::Array(list));
    }
    if !input.proprietary.is_empty() {
        o.insert("proprietary".into(), proprietary_json(&input.proprietary));
    }
    if !input.unknown.is_empty() {
        o.insert("unknown".into(), unknown_json(&input.unknown));
    }
    Value::Object(o)
}

fn output_json(version: u32, output: &PsbtOutput, network: Network) -> Value {
    let mut o = Map::new();
    if !output.redeem_script.is_empty() {
        o.insert(
            "redeem_script".into(),
            script_json(&output.redeem_script, network),
        );
    }
    if !output.witness_script.is_empty() {
        o.insert(
            "witness_script".into(),
            script_json(&output.witness_script, network),
        );
    }
    if !output.hd_keypaths.is_empty() {
        o.insert("bip32_derivs".into(), keypaths_json(&output.hd_keypaths));
    }
    if version >= 2 {
        o.insert("amount".into(), rpc::amount_value(output.amount));
        o.insert(
            "script".into(),
            chain_json::script_to_json(
                bitcoin::Script::from_bytes(&output.script),
                true,
                true,
                network,
            ),
        );
    }
    if output.tap_internal_key != [0; 32] {
        o.insert(
            "taproot_internal_key".into(),
            json!(hex(&output.tap_internal_key)),
        );
    }
    if !output.tap_tree.is_empty() {
        let tree: Vec<Value> = output
            .tap_tree
            .iter()
            .map(|(depth, leaf_ver, script)| {
                json!({"depth": depth, "leaf_ver": leaf_ver, "script": hex(script)})
            })
            .collect();
        o.insert("taproot_tree".into(), Value::Array(tree));
    }
    if !output.tap_bip32_paths.is_empty() {
        o.insert(
            "taproot_bip32_derivs".into(),
            tap_keypaths_json(&output.tap_bip32_paths),
        );
    }
    if !output.musig2_participants.is_empty() {
        o.insert(
            "musig2_participant_pubkeys".into(),
            musig_participants_json(&output.musig2_participants),
        );
    }
    if !output.proprietary.is_empty() {
        o.insert("proprietary".into(), proprietary_json(&output.proprietary));
    }
    if !output.unknown.is_empty() {
        o.insert("unknown".into(), unknown_json(&output.unknown));
    }
    Value::Object(o)
}

/// `decodepsbt`'s result.
pub fn decode_psbt_json(psbt: &Psbt, network: Network) -> Value {
    let version = psbt.psbt_version();
    let mut result = Map::new();
    if version < 2 {
        if let Some(tx) = psbt.unsigned_tx() {
            result.insert("tx".into(), tx_json(&tx, network));
        }
    }
    let mut xpubs = Vec::new();
    for (origin, set) in &psbt.xpubs {
        for xpub in set {
            xpubs.push(json!({
                "xpub": bitcoin::base58::encode_check(&xpub.0),
                "master_fingerprint": fingerprint(origin),
                "path": origin.path_string(),
            }));
        }
    }
    result.insert("global_xpubs".into(), Value::Array(xpubs));
    if version >= 2 {
        result.insert("tx_version".into(), json!(psbt.tx_version));
        if let Some(lock) = psbt.fallback_locktime {
            result.insert("fallback_locktime".into(), json!(lock));
        }
        result.insert("input_count".into(), json!(psbt.inputs.len()));
        result.insert("output_count".into(), json!(psbt.outputs.len()));
        if let Some(m) = psbt.tx_modifiable {
            result.insert("inputs_modifiable".into(), json!(m & 1 != 0));
            result.insert("outputs_modifiable".into(), json!(m & 2 != 0));
            result.insert("has_sighash_single".into(), json!(m & 4 != 0));
        }
    }
    result.insert("psbt_version".into(), json!(version));
    result.insert("proprietary".into(), proprietary_json(&psbt.proprietary));
    result.insert("unknown".into(), unknown_json(&psbt.unknown));

    let money = signing::money_range;
    let mut total_in: i64 = 0;
    let mut have_all = true;
    let mut inputs = Vec::with_capacity(psbt.inputs.len());
    for input in &psbt.inputs {
        // The previous transaction's output wins over the witness UTXO for the fee.
        let spent = match (&input.non_witness_utxo, &input.witness_utxo) {
            (Some(prev), _) => prev.output.get(input.prev_out as usize).cloned(),
            (None, Some(w)) => Some(w.clone()),
            (None, None) => None,
        };
        match spent {
            Some(out) => {
                let v = out.value.to_sat() as i64;
                if money(v) && money(total_in + v) {
                    total_in += v;
                } else {
                    have_all = false;
                }
            }
            None => have_all = false,
        }
        inputs.push(input_json(version, input, network));
    }
    result.insert("inputs".into(), Value::Array(inputs));
    let mut total_out: i64 = 0;
    let mut outputs = Vec::with_capacity(psbt.outputs.len());
    for output in &psbt.outputs {
        outputs.push(output_json(version, output, network));
        if money(output.amount) && money(total_out + output.amount) {
            total_out += output.amount;
        } else {
            have_all = false;
        }
    }
    result.insert("outputs".into(), Value::Array(outputs));
    if have_all {
        result.insert("fee".into(), rpc::amount_value(total_in - total_out));
    }
    Value::Object(result)
}
