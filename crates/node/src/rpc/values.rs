//! Reading JSON parameters with UniValue's semantics, and Core's parameter parsers
//! (`ParseHashV`, `ParseHexV`, `ParseVerbosity`), with Core's errors.

use bitcoin::hashes::Hash;
use bitcoin::BlockHash;
use rpc::codes::{RPC_INVALID_PARAMETER, RPC_MISC_ERROR, RPC_TYPE_ERROR};
use rpc::{RpcError, Value};

pub use rpc::json::type_name;

fn wrong_type(v: &Value, expected: &str) -> RpcError {
    // UniValue's type_error, which the server reports as a type error.
    RpcError::new(
        RPC_TYPE_ERROR,
        format!(
            "JSON value of type {} is not of expected type {expected}",
            type_name(v)
        ),
    )
}

/// `UniValue::getInt<T>`: the number's text must be a whole number that fits.
pub fn get_int<T: std::str::FromStr>(v: &Value) -> Result<T, RpcError> {
    match v {
        Value::Number(n) => n
            .to_string()
            .parse::<T>()
            .map_err(|_| RpcError::new(RPC_MISC_ERROR, "JSON integer out of range")),
        other => Err(wrong_type(other, "number")),
    }
}

/// `UniValue::get_str`.
pub fn get_str(v: &Value) -> Result<&str, RpcError> {
    match v {
        Value::String(s) => Ok(s),
        other => Err(wrong_type(other, "string")),
    }
}

/// `UniValue::get_bool`.
pub fn get_bool(v: &Value) -> Result<bool, RpcError> {
    match v {
        Value::Bool(b) => Ok(*b),
        other => Err(wrong_type(other, "bool")),
    }
}

/// `UniValue::get_array`.
pub fn get_array(v: &Value) -> Result<&Vec<Value>, RpcError> {
    match v {
        Value::Array(a) => Ok(a),
        other => Err(wrong_type(other, "array")),
    }
}

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

/// `ParseHexV`: an even number of hex digits.
pub fn parse_hex(v: &Value, name: &str) -> Result<Vec<u8>, RpcError> {
    let s = match v {
        Value::String(s) => s.as_str(),
        _ => "",
    };
    decode_hex(s).ok_or_else(|| {
        RpcError::new(
            RPC_INVALID_PARAMETER,
            format!("{name} must be hexadecimal string (not '{s}')"),
        )
    })
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

/// A JSON number with exactly this text (a double as Core's UniValue prints it, say).
pub fn number_text(text: &str) -> Value {
    serde_json::from_str::<Value>(text).unwrap_or(Value::Null)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use serde_json::json;

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
