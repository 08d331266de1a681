//! One command invocation as a handler sees it, with typed argument access.
//!
//! Arguments are positional (named arguments have already been converted,
//! with nulls in skipped positions). Two families of accessors mirror Core's
//! `RPCHelpMan::Arg` and `MaybeArg`:
//!
//! * `arg_*` (`arg_str`, `arg_i64`, …): the argument, or its declared
//!   [`crate::Fallback::Default`] when absent or null. Use them for required
//!   arguments and for optional arguments with a default. If neither is there
//!   the accessor fails with Core's internal-bug error.
//! * `maybe_*`: `Ok(None)` when absent or null, without looking at defaults.
//!
//! Both fail with Core's messages when the value has the wrong JSON type
//! (`-3` "JSON value of type string is not of expected type number") or an
//! integer does not fit (`-1` "JSON integer out of range").

use std::sync::Arc;

use serde_json::Value;

use crate::codes::{RPC_MISC_ERROR, RPC_TYPE_ERROR};
use crate::error::RpcError;
use crate::json;

/// A command invocation.
#[derive(Debug, Clone, Default)]
pub struct Request {
    /// The JSON-RPC id (null when absent).
    pub id: Value,
    /// Method name.
    pub method: String,
    /// Positional parameters (after named-to-positional conversion; null where skipped).
    pub params: Vec<Value>,
    /// Request path (`/` or `/wallet/<name>`).
    pub uri: String,
    /// Authenticated user name.
    pub user: String,
    /// Peer address as `ip:port`.
    pub peer_addr: String,
    /// Declared defaults of the command's arguments, by position; filled by
    /// [`crate::Table::execute`] before the handler runs.
    pub defaults: Arc<Vec<Option<Value>>>,
    /// Keys of the parameters given as JSON objects, in request order with repeats, by
    /// position (filled before the handler runs). `params` keeps the first value of a
    /// repeated key, as UniValue's lookup does; commands that walk an object's keys, as
    /// Core's do with `getKeys()`, see the repeats here.
    pub object_keys: Vec<Option<Vec<String>>>,
    /// The same keys as the request gave them, before named parameters are placed.
    pub raw_keys: RawKeys,
}

/// Object keys of the request's parameters as received (see [`Request::object_keys`]).
#[derive(Debug, Clone, Default)]
pub struct RawKeys {
    /// For positional parameters, by position.
    pub positional: Vec<Option<Vec<String>>>,
    /// For named parameters, by name.
    pub named: Vec<(String, Vec<String>)>,
}

impl RawKeys {
    /// The keys of every object among the request's `params` (array or object).
    pub fn of(params: &json::Raw) -> RawKeys {
        let keys = |v: &json::Raw| match v {
            json::Raw::Object(entries) => Some(entries.iter().map(|(k, _)| k.clone()).collect()),
            _ => None,
        };
        match params {
            json::Raw::Array(items) => RawKeys {
                positional: items.iter().map(keys).collect(),
                named: Vec::new(),
            },
            json::Raw::Object(entries) => RawKeys {
                positional: Vec::new(),
                named: entries
                    .iter()
                    .filter_map(|(k, v)| keys(v).map(|ks| (k.clone(), ks)))
                    .collect(),
            },
            _ => RawKeys::default(),
        }
    }
}

fn type_error(v: &Value, expected: &str) -> RpcError {
    RpcError::new(
        RPC_TYPE_ERROR,
        format!(
            "JSON value of type {} is not of expected type {expected}",
            json::type_name(v)
        ),
    )
}

fn out_of_range() -> RpcError {
    RpcError::new(RPC_MISC_ERROR, "JSON integer out of range")
}

/// Parses an integer number's text strictly (no fraction, no exponent, in range),
/// as UniValue's `getInt<T>` does.
pub fn value_int<T: std::str::FromStr>(v: &Value) -> Result<T, RpcError> {
    match v {
        Value::Number(n) => {
            let text = n.as_str();
            // from_chars accepts an optional '-' and digits only.
            let digits = text.strip_prefix('-').unwrap_or(text);
            if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
                return Err(out_of_range());
            }
            text.parse::<T>().map_err(|_| out_of_range())
        }
        other => Err(type_error(other, "number")),
    }
}

/// A JSON value as `i64`, with UniValue's `getInt<int64_t>` errors.
pub fn value_i64(v: &Value) -> Result<i64, RpcError> {
    value_int(v)
}

/// A JSON value as `i32`, with UniValue's `getInt<int>` errors.
pub fn value_i32(v: &Value) -> Result<i32, RpcError> {
    value_int(v)
}

/// A JSON value as `u64`, with UniValue's `getInt<uint64_t>` errors.
pub fn value_u64(v: &Value) -> Result<u64, RpcError> {
    if let Value::Number(n) = v {
        if n.as_str().starts_with('-') {
            return Err(out_of_range());
        }
    }
    value_int(v)
}

/// A JSON value as `u32`, with UniValue's `getInt<uint32_t>` errors.
pub fn value_u32(v: &Value) -> Result<u32, RpcError> {
    if let Value::Number(n) = v {
        if n.as_str().starts_with('-') {
            return Err(out_of_range());
        }
    }
    value_int(v)
}

/// A JSON value as `f64`, with UniValue's `get_real` errors.
pub fn value_f64(v: &Value) -> Result<f64, RpcError> {
    match v {
        Value::Number(n) => match n.as_str().parse::<f64>() {
            Ok(x) if x.is_finite() => Ok(x),
            _ => Err(RpcError::new(RPC_MISC_ERROR, "JSON double out of range")),
        },
        other => Err(type_error(other, "number")),
    }
}

/// A JSON value as a string, with UniValue's `get_str` error.
pub fn value_str(v: &Value) -> Result<&str, RpcError> {
    match v {
        Value::String(s) => Ok(s),
        other => Err(type_error(other, "string")),
    }
}

/// A JSON value as an array, with UniValue's `get_array` error.
pub fn value_array(v: &Value) -> Result<&Vec<Value>, RpcError> {
    match v {
        Value::Array(a) => Ok(a),
        other => Err(type_error(other, "array")),
    }
}

/// A JSON value as a bool, with UniValue's `get_bool` error.
pub fn value_bool(v: &Value) -> Result<bool, RpcError> {
    match v {
        Value::Bool(b) => Ok(*b),
        other => Err(type_error(other, "bool")),
    }
}

/// Decodes `%XX` escapes as Core's `UrlDecode` (invalid escapes are kept literally).
pub fn url_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            let (hi, lo) = (b[i + 1], b[i + 2]);
            if hi.is_ascii_hexdigit() && lo.is_ascii_hexdigit() {
                let digit = |c: u8| (c as char).to_digit(16).unwrap_or(0) as u8;
                out.push(digit(hi) * 16 + digit(lo));
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

impl Request {
    /// A request for `method` with positional `params` and everything else empty.
    pub fn new(method: impl Into<String>, params: Vec<Value>) -> Request {
        Request {
            method: method.into(),
            params,
            ..Request::default()
        }
    }

    /// The keys, in request order with repeats, of the `i`th parameter when the request
    /// gave it as a JSON object.
    pub fn object_keys(&self, i: usize) -> Option<&[String]> {
        self.object_keys.get(i).and_then(|k| k.as_deref())
    }

    /// The `i`th parameter; `None` when absent or null.
    pub fn param(&self, i: usize) -> Option<&Value> {
        self.params.get(i).filter(|v| !v.is_null())
    }

    /// The `i`th parameter, or its declared default when absent or null.
    pub fn arg(&self, i: usize) -> Option<&Value> {
        self.param(i)
            .or_else(|| self.defaults.get(i).and_then(|d| d.as_ref()))
    }

    fn need(&self, i: usize) -> Result<&Value, RpcError> {
        self.arg(i).ok_or_else(|| {
            RpcError::new(
                RPC_MISC_ERROR,
                format!(
                    "Internal bug detected: argument {} of {} is neither given nor defaulted",
                    i + 1,
                    self.method
                ),
            )
        })
    }

    /// The wallet name from a `/wallet/<name>` URI (URL-decoded), as Core's
    /// `GetWalletNameFromJSONRPCRequest`.
    pub fn wallet_name(&self) -> Option<String> {
        self.uri.strip_prefix("/wallet/").map(url_decode)
    }

    /// Argument or default as a string.
    pub fn arg_str(&self, i: usize) -> Result<&str, RpcError> {
        value_str(self.need(i)?)
    }
    /// Argument or default as `i64`.
    pub fn arg_i64(&self, i: usize) -> Result<i64, RpcError> {
        value_i64(self.need(i)?)
    }
    /// Argument or default as `f64`.
    pub fn arg_f64(&self, i: usize) -> Result<f64, RpcError> {
        value_f64(self.need(i)?)
    }
    /// Argument or default as a bool.
    pub fn arg_bool(&self, i: usize) -> Result<bool, RpcError> {
        value_bool(self.need(i)?)
    }
    /// Argument or default as a raw JSON value.
    pub fn arg_value(&self, i: usize) -> Result<&Value, RpcError> {
        self.need(i)
    }

    /// Optional argument as a string (defaults ignored).
    pub fn maybe_str(&self, i: usize) -> Result<Option<&str>, RpcError> {
        self.param(i).map(value_str).transpose()
    }
    /// Optional argument as a bool (defaults ignored).
    pub fn maybe_bool(&self, i: usize) -> Result<Option<bool>, RpcError> {
        self.param(i).map(value_bool).transpose()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use serde_json::json;

    #[test]
    fn typed_access_and_defaults() {
        let mut r = Request::new("x", vec![json!(5), Value::Null, json!("s"), json!(1.5)]);
        r.defaults = Arc::new(vec![None, Some(json!(true)), None, None]);
        assert_eq!(r.arg_i64(0), Ok(5));
        assert_eq!(r.arg_bool(1), Ok(true));
        assert_eq!(r.maybe_bool(1), Ok(None));
        assert_eq!(r.arg_str(2), Ok("s"));
        assert_eq!(
            r.arg_i64(2),
            Err(RpcError::new(
                -3,
                "JSON value of type string is not of expected type number"
            ))
        );
        assert_eq!(
            r.arg_i64(3),
            Err(RpcError::new(-1, "JSON integer out of range"))
        );
        assert_eq!(r.arg_f64(3), Ok(1.5));
        assert!(r.arg_i64(7).is_err());
        assert_eq!(
            value_u64(&json!(-1)),
            Err(RpcError::new(-1, "JSON integer out of range"))
        );
        assert_eq!(value_i32(&json!(2147483648u64)), Err(out_of_range()));
        assert_eq!(
            value_i64(&crate::json::parse_value("1e3").unwrap()),
            Err(out_of_range())
        );
    }

    #[test]
    fn wallet_names() {
        let mut r = Request::new("x", vec![]);
        r.uri = "/wallet/my%20wallet%2f%zz".into();
        assert_eq!(r.wallet_name().as_deref(), Some("my wallet/%zz"));
        r.uri = "/wallet/".into();
        assert_eq!(r.wallet_name().as_deref(), Some(""));
        r.uri = "/".into();
        assert_eq!(r.wallet_name(), None);
    }
}
