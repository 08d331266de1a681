//! Output scripts as JSON objects (Core's `ScriptToUniv` and `decodescript`).

use bitcoin::hashes::{hash160, sha256, Hash};
use bitcoin::{Network, Script};
use serde_json::{Map, Value};

use crate::address::{kind_address, p2sh_address};
use crate::asm::bytes_to_asm;
use crate::descriptor::{add_checksum, infer_bare, multi};
use crate::hex::to_hex;
use crate::ops::{has_valid_ops, is_op_success, is_unspendable, Ops, OP_CHECKSIGADD};
use crate::solver::{classify, ScriptKind};

/// A script as Core's `ScriptToUniv`: `asm`, then `desc` (with
/// `include_address`), `hex` (with `include_hex`), `address` (with
/// `include_address`, when the script has one) and `type`.
pub fn script_to_json(
    script: &Script,
    include_hex: bool,
    include_address: bool,
    network: Network,
) -> Value {
    Value::Object(script_fields(
        script.as_bytes(),
        include_hex,
        include_address,
        network,
    ))
}

fn script_fields(
    script: &[u8],
    include_hex: bool,
    include_address: bool,
    network: Network,
) -> Map<String, Value> {
    let mut out = Map::new();
    out.insert("asm".into(), bytes_to_asm(script, false).into());
    if include_address {
        out.insert(
            "desc".into(),
            add_checksum(&infer_bare(script, network)).into(),
        );
    }
    if include_hex {
        out.insert("hex".into(), to_hex(script).into());
    }
    let kind = classify(script);
    if include_address {
        if let Some(address) = kind_address(&kind, network) {
            out.insert("address".into(), address.into());
        }
    }
    out.insert("type".into(), kind.name().into());
    out
}

/// Core's `decodescript` result for a script: `asm`, `desc`, `address`
/// (when there is one), `type`, then `p2sh` and `segwit` (the P2WPKH or
/// P2WSH wrapping: `asm`, `desc`, `hex`, `address`, `type`, `p2sh-segwit`)
/// for scripts that may be wrapped.
///
/// The `segwit.desc` of a P2WSH wrapping is `wsh(multi(...))` for bare
/// multisig scripts and `addr(...)` otherwise: Core would give
/// `wsh(MINISCRIPT)` for scripts that parse as sane miniscript, which is not
/// implemented here.
pub fn decode_script_json(script: &Script, network: Network) -> Value {
    let bytes = script.as_bytes();
    let mut out = script_fields(bytes, false, true, network);
    let kind = classify(bytes);
    if !can_wrap(bytes, &kind) {
        return Value::Object(out);
    }
    out.insert("p2sh".into(), p2sh_address(bytes, network).into());
    let compressed_only = |keys: &[&[u8]]| keys.iter().all(|k| k.len() == 33);
    let segwit = match &kind {
        ScriptKind::PubKey(key) if compressed_only(&[key]) => {
            Some((p2wpkh(&hash160::Hash::hash(key).to_byte_array()), None))
        }
        ScriptKind::PubKeyHash(hash) => Some((p2wpkh(hash), None)),
        ScriptKind::Multisig { required, keys } if compressed_only(keys) => Some((
            p2wsh(bytes),
            Some(format!("wsh({})", multi(*required, keys))),
        )),
        ScriptKind::NonStandard => Some((p2wsh(bytes), None)),
        _ => None,
    };
    if let Some((program, desc)) = segwit {
        let mut sr = script_fields(&program, true, true, network);
        if let Some(desc) = desc {
            sr.insert("desc".into(), add_checksum(&desc).into());
        }
        sr.insert("p2sh-segwit".into(), p2sh_address(&program, network).into());
        out.insert("segwit".into(), Value::Object(sr));
    }
    Value::Object(out)
}

fn p2wpkh(hash: &[u8]) -> Vec<u8> {
    let mut s = vec![0x00, 0x14];
    s.extend_from_slice(hash);
    s
}

fn p2wsh(script: &[u8]) -> Vec<u8> {
    let mut s = vec![0x00, 0x20];
    s.extend_from_slice(&sha256::Hash::hash(script).to_byte_array());
    s
}

/// Whether `decodescript` offers P2SH (and maybe segwit) wrappings.
fn can_wrap(script: &[u8], kind: &ScriptKind<'_>) -> bool {
    let wrappable = matches!(
        kind,
        ScriptKind::Multisig { .. }
            | ScriptKind::NonStandard
            | ScriptKind::PubKey(_)
            | ScriptKind::PubKeyHash(_)
            | ScriptKind::WitnessV0KeyHash(_)
            | ScriptKind::WitnessV0ScriptHash(_)
    );
    wrappable
        && has_valid_ops(script)
        && !is_unspendable(script)
        && Ops::new(script)
            .all(|op| matches!(op, Ok(op) if op.code != OP_CHECKSIGADD && !is_op_success(op.code)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use bitcoin::ScriptBuf;

    #[test]
    fn field_order() {
        let script = ScriptBuf::from_bytes(vec![0x6a, 0x00]);
        let v = script_to_json(&script, true, true, Network::Bitcoin);
        assert_eq!(
            serde_json::to_string(&v).unwrap(),
            r#"{"asm":"OP_RETURN 0","desc":"raw(6a00)#ncfmkl43","hex":"6a00","type":"nulldata"}"#
        );
        let v = script_to_json(&script, true, false, Network::Bitcoin);
        assert_eq!(
            serde_json::to_string(&v).unwrap(),
            r#"{"asm":"OP_RETURN 0","hex":"6a00","type":"nulldata"}"#
        );
    }
}
