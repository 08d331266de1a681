//! Reading JSON parameters with UniValue's semantics, and Core's parameter parsers
//! (`ParseHashV`, `ParseHexV`, `ParseVerbosity`), with Core's errors.

use bitcoin::hashes::Hash;
use bitcoin::BlockHash;
use rpc::codes::{RPC_INVALID_PARAMETER, RPC_TYPE_ERROR};
use rpc::{RpcError, Value};

pub use rpc::request::{
    value_array as get_array, value_bool as get_bool, value_int as get_int, value_str as get_str,
};

/// `ParseHashV`: 64 hex digits, in display (reversed) order.
pub fn parse_hash(v: &Value, name: &str) -> Result<[u8; 32], RpcError> {
    let s = get_str(v)?;
    if s.len() != 64 {
        return Err(RpcError::new(
            RPC_INVALID_PARAMETER,
            format!("{name} must be of length 64 (not {}, for '{s}')", s.len()),
        ));
    }
    let mut out = [0u8; 32];
    match decode_hex(s) {
        Some(bytes) => {
            for (i, b) in bytes.iter().rev().enumerate() {
                out[i] = *b;
            }
            Ok(out)
        }
        None => Err(RpcError::new(
            RPC_INVALID_PARAMETER,
            format!("{name} must be hexadecimal string (not '{s}')"),
        )),
    }
}

/// [`parse_hash`] as a block hash.
pub fn parse_block_hash(v: &Value, name: &str) -> Result<BlockHash, RpcError> {
    parse_hash(v, name).map(BlockHash::from_byte_array)
}

pub use chain_json::{from_hex as decode_hex, to_hex as hex};

/// `ParseVerbosity`: a number, or (where allowed) a bool meaning 0 or 1.
pub fn parse_verbosity(v: Option<&Value>, default: i32, allow_bool: bool) -> Result<i32, RpcError> {
    match v {
        None | Some(Value::Null) => Ok(default),
        Some(Value::Bool(b)) => {
            if allow_bool {
                Ok(i32::from(*b))
            } else {
                Err(RpcError::new(
                    RPC_TYPE_ERROR,
                    "Verbosity was boolean but only integer allowed",
                ))
            }
        }
        Some(other) => get_int(other),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use serde_json::json;

    fn number_text(text: &str) -> Value {
        serde_json::from_str::<Value>(text).unwrap()
    }

    #[test]
    fn ints_as_univalue() {
        assert_eq!(get_int::<i32>(&json!(5)).unwrap(), 5);
        assert_eq!(
            get_int::<i32>(&number_text("1.5")).unwrap_err().message,
            "JSON integer out of range"
        );
        assert_eq!(
            get_int::<i32>(&json!(5_000_000_000u64))
                .unwrap_err()
                .message,
            "JSON integer out of range"
        );
        assert_eq!(
            get_int::<i32>(&json!("5")).unwrap_err().message,
            "JSON value of type string is not of expected type number"
        );
    }

    #[test]
    fn hashes() {
        let e = parse_hash(&json!("ab"), "blockhash").unwrap_err();
        assert_eq!(e.code, RPC_INVALID_PARAMETER);
        assert_eq!(
            e.message,
            "blockhash must be of length 64 (not 2, for 'ab')"
        );
        let z = "z".repeat(64);
        assert_eq!(
            parse_hash(&json!(z), "blockhash").unwrap_err().message,
            format!("blockhash must be hexadecimal string (not '{z}')")
        );
        let h = parse_hash(&json!(format!("{}01", "0".repeat(62))), "h").unwrap();
        assert_eq!(h[0], 1);
    }
}
