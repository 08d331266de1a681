//! `getaddressinfo` (Core's `getaddressinfo`, `DescribeWalletAddress` and
//! `DescriptorScriptPubKeyMan::GetMetadata`).

use bitcoin::hashes::{ripemd160, Hash};
use bitcoin::{Network, ScriptBuf};
use descriptors::Destination;
use rpc::codes::RPC_INVALID_ADDRESS_OR_KEY;
use rpc::{Request, RpcError, RpcResult};
use serde_json::{json, Map, Value};
use signing::{FlatSigningProvider, SigningProvider};

use super::util::wallet_for;
use crate::context::WalletContext;
use crate::spkm::DescriptorSpkm;
use crate::state::WalletState;

/// Core's `hd_seed_id` of descriptor wallet keys: never set.
const NULL_SEED_ID: &str = "0000000000000000000000000000000000000000";

/// The first descriptor (in id order) that knows `script`, with what it can tell about
/// it without private keys (`GetSolvingProvider`).
pub fn solving_provider<'a>(
    st: &'a WalletState,
    script: &ScriptBuf,
) -> Option<(&'a DescriptorSpkm, FlatSigningProvider)> {
    st.spkms.values().find_map(|s| {
        let index = s.index_of(script)?;
        let mut p = FlatSigningProvider::new();
        s.signing_provider(index, false, &mut p);
        Some((s, p))
    })
}

/// Core's `DescribeAddress`.
pub fn describe_address(dest: &Destination, out: &mut Map<String, Value>) {
    if let Some(is_script) = dest.is_script() {
        out.insert("isscript".into(), json!(is_script));
    }
    out.insert("iswitness".into(), json!(dest.is_witness()));
    if let Some((version, program)) = dest.witness() {
        out.insert("witness_version".into(), json!(version));
        out.insert(
            "witness_program".into(),
            json!(chain_json::to_hex(&program)),
        );
    }
}

/// `DescribeWalletAddressVisitor`: keys and scripts the provider knows for `dest`.
fn describe_known(
    dest: &Destination,
    provider: Option<&FlatSigningProvider>,
    network: Network,
    out: &mut Map<String, Value>,
) {
    let Some(p) = provider else { return };
    match dest {
        Destination::PubKeyHash(id) => {
            if let Some(pk) = p.pubkey(id) {
                out.insert("pubkey".into(), json!(chain_json::to_hex(&pk)));
                out.insert("iscompressed".into(), json!(pk.len() == 33));
            }
        }
        Destination::WitnessV0KeyHash(id) => {
            if let Some(pk) = p.pubkey(id) {
                out.insert("pubkey".into(), json!(chain_json::to_hex(&pk)));
            }
        }
        Destination::ScriptHash(id) => {
            if let Some(s) = p.script(id) {
                describe_subscript(&s, p, network, out);
            }
        }
        Destination::WitnessV0ScriptHash(program) => {
            let id = ripemd160::Hash::hash(program).to_byte_array();
            if let Some(s) = p.script(&id) {
                describe_subscript(&s, p, network, out);
            }
        }
        _ => {}
    }
}

/// `ProcessSubScript`: a redeem or witness script and what it pays to.
fn describe_subscript(
    script: &[u8],
    p: &FlatSigningProvider,
    network: Network,
    out: &mut Map<String, Value>,
) {
    let kind = chain_json::classify(script);
    out.insert("script".into(), json!(kind.name()));
    out.insert("hex".into(), json!(chain_json::to_hex(script)));
    let sub = ScriptBuf::from_bytes(script.to_vec());
    if let Some(embedded) = Destination::from_script(&sub) {
        let mut obj = Map::new();
        describe_address(&embedded, &mut obj);
        describe_known(&embedded, Some(p), network, &mut obj);
        obj.insert("address".into(), json!(embedded.encode(network)));
        obj.insert("scriptPubKey".into(), json!(chain_json::to_hex(script)));
        if let Some(pk) = obj.get("pubkey").cloned() {
            out.insert("pubkey".into(), pk);
        }
        out.insert("embedded".into(), Value::Object(obj));
    } else if let chain_json::ScriptKind::Multisig { required, keys } = kind {
        out.insert("sigsrequired".into(), json!(required));
        let keys: Vec<Value> = keys.iter().map(|k| json!(chain_json::to_hex(k))).collect();
        out.insert("pubkeys".into(), Value::Array(keys));
    }
}

/// `GetKeyForDestination`: the key a single-key destination pays to.
fn key_for_destination(p: &FlatSigningProvider, dest: &Destination) -> Option<[u8; 20]> {
    match dest {
        Destination::PubKeyHash(id) | Destination::WitnessV0KeyHash(id) => Some(*id),
        Destination::ScriptHash(id) => {
            let s = p.script(id)?;
            match Destination::from_script(&ScriptBuf::from_bytes(s))? {
                Destination::WitnessV0KeyHash(inner) => Some(inner),
                _ => None,
            }
        }
        Destination::WitnessV1Taproot(output) => {
            let spend = p.taproot_spend_data(output)?;
            if spend.internal_key == [0; 32] || spend.merkle_root != [0; 32] {
                return None;
            }
            signing::xonly_key_ids(&spend.internal_key)
                .into_iter()
                .find(|id| p.pubkey(id).is_some())
        }
        _ => None,
    }
}

/// `getaddressinfo`.
pub fn get_address_info(cx: &WalletContext, req: &Request) -> RpcResult {
    let wallet = wallet_for(cx, req)?;
    let network = cx.network();
    let st = wallet.state();
    let dest = descriptors::decode_destination(req.arg_str(0)?, network).map_err(|e| {
        let msg = if e.message.is_empty() {
            "Invalid address".to_string()
        } else {
            e.message
        };
        RpcError::new(RPC_INVALID_ADDRESS_OR_KEY, msg)
    })?;
    let address = dest.encode(network);
    let script = dest.script_pubkey();
    let mut ret = Map::new();
    ret.insert("address".into(), json!(address));
    ret.insert(
        "scriptPubKey".into(),
        json!(chain_json::to_hex(script.as_bytes())),
    );
    let known = solving_provider(&st, &script);
    ret.insert("ismine".into(), json!(st.is_mine_script(&script)));
    match &known {
        Some((_, p)) => {
            let inferred = crate::infer::infer_descriptor(&script, p, network);
            ret.insert("solvable".into(), json!(inferred.solvable));
            if inferred.solvable {
                ret.insert("desc".into(), json!(inferred.descriptor));
            }
        }
        None => {
            ret.insert("solvable".into(), json!(false));
        }
    }
    if let Some((spkm, _)) = &known {
        ret.insert("parent_desc".into(), json!(spkm.public_string()));
    }
    ret.insert("iswatchonly".into(), json!(false));
    describe_address(&dest, &mut ret);
    describe_known(&dest, known.as_ref().map(|(_, p)| p), network, &mut ret);
    ret.insert("ischange".into(), json!(st.is_change(&script)));
    if let Some((spkm, p)) = &known {
        let origin = key_for_destination(p, &dest).and_then(|id| p.key_origin(&id));
        if let Some(origin) = origin {
            ret.insert("timestamp".into(), json!(spkm.wd.creation_time));
            ret.insert("hdkeypath".into(), json!(origin.path_string()));
            ret.insert("hdseedid".into(), json!(NULL_SEED_ID));
            ret.insert(
                "hdmasterfingerprint".into(),
                json!(chain_json::to_hex(&origin.fingerprint)),
            );
        }
    }
    let labels: Vec<Value> = st
        .find_address_book_entry(&address, false)
        .map(|e| vec![json!(e.label.clone().unwrap_or_default())])
        .unwrap_or_default();
    ret.insert("labels".into(), Value::Array(labels));
    Ok(Value::Object(ret))
}
