//! One request of `importdescriptors` (Core's `ProcessDescriptorImport` and
//! `GetImportTimestamp`).

use bitcoin::Network;
use rpc::codes::{
    RPC_INVALID_ADDRESS_OR_KEY, RPC_INVALID_PARAMETER, RPC_TYPE_ERROR, RPC_WALLET_ERROR,
    RPC_WALLET_INVALID_LABEL_NAME,
};
use rpc::request::{value_bool, value_i64, value_str};
use rpc::{RpcError, Value};
use serde_json::Map;

use super::util::push_warnings;
use crate::address::parse_output_type;
use crate::import::{lacks_private_keys, private_keys_of, NewDescriptor};
use crate::state::{flags, WalletState};
use crate::WalletError;

/// How a request failed: reported in its result, or failing the whole command as Core's
/// exceptions other than `JSONRPCError` do.
enum Failure {
    Reported(RpcError),
    Escaped(RpcError),
}

fn reported(code: i32, msg: impl Into<String>) -> Failure {
    Failure::Reported(RpcError::new(code, msg))
}

/// `GetImportTimestamp`: the request's timestamp, `now` for "now".
pub fn import_timestamp(request: &Value, now: i64) -> Result<i64, RpcError> {
    match request.get("timestamp") {
        Some(t @ Value::Number(_)) => value_i64(t),
        Some(Value::String(s)) if s == "now" => Ok(now),
        Some(other) => Err(RpcError::new(
            RPC_TYPE_ERROR,
            format!(
                "Expected number or \"now\" timestamp value for key. got type {}",
                rpc::json::type_name(other)
            ),
        )),
        None => Err(RpcError::new(
            RPC_TYPE_ERROR,
            "Missing required timestamp field for key",
        )),
    }
}

/// Core's `ParseDescriptorRange`: `end` or `[begin,end]`, inclusive.
pub fn parse_descriptor_range(v: &Value) -> Result<(i64, i64), RpcError> {
    let bad = |m: &str| RpcError::new(RPC_INVALID_PARAMETER, m);
    let (low, high) = match v {
        Value::Number(_) => (0, value_i64(v)?),
        Value::Array(a) if a.len() == 2 && a[0].is_number() && a[1].is_number() => {
            let (low, high) = (value_i64(&a[0])?, value_i64(&a[1])?);
            if low > high {
                return Err(bad(
                    "Range specified as [begin,end] must not have begin after end",
                ));
            }
            (low, high)
        }
        _ => return Err(bad("Range must be specified as end or as [begin,end]")),
    };
    if low < 0 {
        return Err(bad("Range should be greater or equal than 0"));
    }
    if (high >> 31) != 0 {
        return Err(bad("End of range is too high"));
    }
    if high >= low + 1_000_000 {
        return Err(bad("Range is too large"));
    }
    Ok((low, high))
}

/// `ProcessDescriptorImport`: imports one request into `st` and returns its result
/// object; an `Err` fails the whole command.
pub fn process_descriptor_import(
    st: &mut WalletState,
    data: &Value,
    timestamp: i64,
    network: Network,
) -> Result<Value, RpcError> {
    let mut warnings = Vec::new();
    let mut result = Map::new();
    match import(st, data, timestamp, network, &mut warnings) {
        Ok(()) => {
            result.insert("success".into(), Value::Bool(true));
        }
        Err(Failure::Reported(e)) => {
            result.insert("success".into(), Value::Bool(false));
            result.insert("error".into(), e.to_json());
        }
        Err(Failure::Escaped(e)) => return Err(e),
    }
    push_warnings(warnings, &mut result);
    Ok(Value::Object(result))
}

fn import(
    st: &mut WalletState,
    data: &Value,
    timestamp: i64,
    network: Network,
    warnings: &mut Vec<String>,
) -> Result<(), Failure> {
    let exists = |k: &str| data.get(k).is_some();
    let field = |k: &str| data.get(k).unwrap_or(&Value::Null);
    let Some(desc_value) = data.get("desc") else {
        return Err(reported(RPC_INVALID_PARAMETER, "Descriptor not found."));
    };
    let descriptor = value_str(desc_value).map_err(Failure::Escaped)?;
    let active = match data.get("active") {
        Some(v) => value_bool(v).map_err(Failure::Escaped)?,
        None => false,
    };
    let label = match field("label") {
        Value::Null => String::new(),
        v => {
            let l = value_str(v).map_err(Failure::Escaped)?;
            if l == "*" {
                return Err(reported(
                    RPC_WALLET_INVALID_LABEL_NAME,
                    "Invalid label name",
                ));
            }
            l.to_string()
        }
    };
    let parsed = descriptors::parse(descriptor, true, network)
        .map_err(|e| reported(RPC_INVALID_ADDRESS_OR_KEY, e.0))?;
    let Some(first) = parsed.first() else {
        return Err(reported(RPC_INVALID_ADDRESS_OR_KEY, ""));
    };
    let mut internal = None;
    if let Some(v) = data.get("internal") {
        if parsed.len() > 1 {
            return Err(reported(
                RPC_INVALID_ADDRESS_OR_KEY,
                "Cannot have multipath descriptor while also specifying 'internal'",
            ));
        }
        internal = Some(value_bool(v).map_err(Failure::Escaped)?);
    }
    let (mut range_start, mut range_end, mut next_index) = (0i64, 1i64, 0i64);
    let mut is_ranged = false;
    if !first.is_range() && exists("range") {
        return Err(reported(
            RPC_INVALID_PARAMETER,
            "Range should not be specified for an un-ranged descriptor",
        ));
    } else if first.is_range() {
        if exists("range") {
            let (low, high) = parse_descriptor_range(field("range")).map_err(Failure::Reported)?;
            range_start = low;
            range_end = high + 1;
        } else {
            warnings.push("Range not given, using default keypool range".into());
            range_start = 0;
            range_end = i64::from(st.options.keypool_size);
        }
        next_index = range_start;
        is_ranged = true;
        if let Some(v) = data.get("next_index") {
            next_index = value_i64(v).map_err(Failure::Escaped)?;
            if next_index < range_start || next_index >= range_end {
                return Err(reported(
                    RPC_INVALID_PARAMETER,
                    "next_index is out of range",
                ));
            }
        }
    }
    if active && !first.is_range() {
        return Err(reported(
            RPC_INVALID_PARAMETER,
            "Active descriptors must be ranged",
        ));
    }
    if parsed.len() > 1 && exists("label") {
        return Err(reported(
            RPC_INVALID_PARAMETER,
            "Multipath descriptors should not have a label",
        ));
    }
    if is_ranged && exists("label") {
        return Err(reported(
            RPC_INVALID_PARAMETER,
            "Ranged descriptors should not have a label",
        ));
    }
    let mut desc_internal = internal == Some(true);
    if desc_internal && exists("label") {
        return Err(reported(
            RPC_INVALID_PARAMETER,
            "Internal addresses should not have a label",
        ));
    }
    let single_type = !first.to_string_checksummed().starts_with("combo(");
    if active && !single_type {
        return Err(reported(
            RPC_WALLET_ERROR,
            "Combo descriptors cannot be set to active",
        ));
    }
    let secrets = private_keys_of(descriptor, network);
    let private_keys_disabled = st.has_flag(flags::DISABLE_PRIVATE_KEYS);
    if private_keys_disabled && !secrets.is_empty() {
        return Err(reported(
            RPC_WALLET_ERROR,
            "Cannot import private keys to a wallet with private keys disabled",
        ));
    }
    let alternatives = parsed.len();
    for (j, desc) in parsed.iter().enumerate() {
        if alternatives == 2 {
            desc_internal = j == 1;
        }
        if desc.expand(0).is_err() {
            return Err(reported(
                RPC_WALLET_ERROR,
                "Cannot expand descriptor. Probably because of hardened derivations without private keys provided",
            ));
        }
        if !private_keys_disabled {
            if secrets.is_empty() {
                return Err(reported(
                    RPC_WALLET_ERROR,
                    "Cannot import descriptor without private keys to a wallet with private keys enabled",
                ));
            }
            if lacks_private_keys(descriptor, network) {
                warnings.push(
                    "Not all private keys provided. Some wallet functionality may return unexpected errors"
                        .into(),
                );
            }
        }
        let text = desc.to_string_checksummed();
        if text.starts_with("unused(") {
            if private_keys_disabled {
                return Err(reported(
                    RPC_WALLET_ERROR,
                    "Cannot import unused() to wallet without private keys enabled",
                ));
            }
            let held = secrets.iter().any(|s| {
                let pk = signing::secret_pubkey(s);
                st.spkms
                    .values()
                    .any(|m| m.plain_keys().contains_key(&pk) || m.crypted_keys().contains_key(&pk))
            });
            if held {
                return Err(reported(
                    RPC_WALLET_ERROR,
                    "Cannot import an unused() descriptor when its private key is already in the wallet",
                ));
            }
        }
        let new = NewDescriptor {
            descriptor: desc,
            secrets: secrets.clone(),
            creation_time: timestamp,
            range_start: range_start as i32,
            range_end: range_end as i32,
            next_index: next_index as i32,
        };
        let id = st
            .add_wallet_descriptor(&new, &label, desc_internal)
            .map_err(|e| match e {
                WalletError::Invalid(m) => reported(
                    RPC_WALLET_ERROR,
                    format!("Could not add descriptor '{descriptor}': {m}"),
                ),
                other => Failure::Escaped(super::util::wallet_error(other)),
            })?;
        let output_type = desc.output_type().and_then(parse_output_type);
        match (active, output_type) {
            (true, None) => {
                warnings.push("Unknown output type, cannot set descriptor to active.".into())
            }
            (true, Some(t)) => st.activate_spkm(id, t, desc_internal),
            (false, Some(t)) => st.deactivate_spkm(id, t, desc_internal),
            (false, None) => {}
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use crate::state::WalletOptions;
    use bitcoin::bip32::Xpriv;
    use bitcoin::NetworkKind;
    use serde_json::json;

    fn state() -> WalletState {
        let options = WalletOptions {
            keypool_size: 4,
            ..WalletOptions::default()
        };
        let mut st = WalletState::new("w", Network::Regtest, options);
        st.flags = flags::DESCRIPTORS;
        st
    }

    fn tprv() -> String {
        let x = Xpriv::new_master(NetworkKind::Test, &[4u8; 32]).unwrap();
        descriptors::encode_xpriv(&x, Network::Regtest)
    }

    fn checksummed(body: &str) -> String {
        chain_json::add_checksum(body)
    }

    fn run(st: &mut WalletState, request: Value) -> Value {
        process_descriptor_import(st, &request, 10, Network::Regtest).unwrap()
    }

    #[test]
    fn timestamps_are_numbers_or_now() {
        assert_eq!(import_timestamp(&json!({"timestamp": 5}), 9), Ok(5));
        assert_eq!(import_timestamp(&json!({"timestamp": "now"}), 9), Ok(9));
        assert_eq!(
            import_timestamp(&json!({"timestamp": true}), 9)
                .unwrap_err()
                .message,
            "Expected number or \"now\" timestamp value for key. got type bool"
        );
        assert_eq!(
            import_timestamp(&json!({}), 9).unwrap_err().message,
            "Missing required timestamp field for key"
        );
    }

    #[test]
    fn ranged_import_succeeds_with_a_warning_and_activates() {
        let mut st = state();
        let desc = checksummed(&format!("wpkh({}/0/*)", tprv()));
        let r = run(
            &mut st,
            json!({"desc": desc, "timestamp": 1, "active": true}),
        );
        assert_eq!(
            r,
            json!({"success": true, "warnings": ["Range not given, using default keypool range"]})
        );
        assert_eq!(st.active_external.len(), 1);
        let spkm = st.spkms.values().next().unwrap();
        assert_eq!((spkm.wd.range_start, spkm.wd.range_end), (0, 4));

        // Re-importing with a narrower range fails; as inactive it is deactivated.
        let r = run(
            &mut st,
            json!({"desc": desc, "timestamp": 1, "range": [1, 2]}),
        );
        assert_eq!(r["success"], json!(false));
        assert_eq!(r["error"]["code"], json!(-4));
        assert!(r["error"]["message"]
            .as_str()
            .unwrap()
            .ends_with("new range must include current range = [0,3]"));
        let r = run(
            &mut st,
            json!({"desc": desc, "timestamp": 1, "range": [0, 9]}),
        );
        assert_eq!(r, json!({"success": true}));
        assert!(st.active_external.is_empty());
    }

    #[test]
    fn core_validation_errors() {
        let mut st = state();
        let ranged = checksummed(&format!("wpkh({}/0/*)", tprv()));
        let single = checksummed(&format!("wpkh({})", tprv()));
        let cases = [
            (json!({"timestamp": 1}), -8, "Descriptor not found."),
            (
                json!({"desc": single, "timestamp": 1, "range": 3}),
                -8,
                "Range should not be specified for an un-ranged descriptor",
            ),
            (
                json!({"desc": single, "timestamp": 1, "active": true}),
                -8,
                "Active descriptors must be ranged",
            ),
            (
                json!({"desc": ranged, "timestamp": 1, "label": "x"}),
                -8,
                "Ranged descriptors should not have a label",
            ),
            (
                json!({"desc": single, "timestamp": 1, "internal": true, "label": "x"}),
                -8,
                "Internal addresses should not have a label",
            ),
            (
                json!({"desc": ranged, "timestamp": 1, "range": [2, 5], "next_index": 1}),
                -8,
                "next_index is out of range",
            ),
            (
                json!({"desc": single, "timestamp": 1, "label": "*"}),
                -11,
                "Invalid label name",
            ),
            (
                json!({"desc": format!("wpkh({})", tprv()), "timestamp": 1}),
                -5,
                "Missing checksum",
            ),
        ];
        for (request, code, msg) in cases {
            let r = run(&mut st, request.clone());
            assert_eq!(r["success"], json!(false), "{request}");
            assert_eq!(r["error"]["code"], json!(code), "{request}");
            assert_eq!(r["error"]["message"], json!(msg), "{request}");
        }
        // A descriptor of the wrong type fails the whole command.
        let err = process_descriptor_import(
            &mut st,
            &json!({"desc": 5, "timestamp": 1}),
            1,
            Network::Regtest,
        )
        .unwrap_err();
        assert_eq!(err.code, -3);
    }

    #[test]
    fn watch_only_rules() {
        let mut st = state();
        let secp = bitcoin::secp256k1::Secp256k1::new();
        let x = Xpriv::new_master(NetworkKind::Test, &[4u8; 32]).unwrap();
        let xpub = descriptors::encode_xpub(
            &bitcoin::bip32::Xpub::from_priv(&secp, &x),
            Network::Regtest,
        );
        let public = checksummed(&format!("wpkh({xpub}/0/*)"));
        let r = run(&mut st, json!({"desc": public, "timestamp": 1}));
        assert_eq!(
            r["error"]["message"],
            json!("Cannot import descriptor without private keys to a wallet with private keys enabled")
        );
        st.flags |= flags::DISABLE_PRIVATE_KEYS;
        let r = run(&mut st, json!({"desc": public, "timestamp": 1, "range": 2}));
        assert_eq!(r, json!({"success": true}));
        let private = checksummed(&format!("wpkh({}/0/*)", tprv()));
        let r = run(&mut st, json!({"desc": private, "timestamp": 1}));
        assert_eq!(
            r["error"]["message"],
            json!("Cannot import private keys to a wallet with private keys disabled")
        );
    }
}
