//! The error type every command handler returns.

use std::fmt;

/// A JSON-RPC error: the `code` and `message` of the reply's `error` object.
#[derive(Debug, Clone, PartialEq)]
pub struct RpcError {
    /// One of the codes in [`crate::codes`].
    pub code: i32,
    /// Human-readable message, sent verbatim to the client.
    pub message: String,
}

impl RpcError {
    /// Builds an error from a code and a message.
    pub fn new(code: i32, message: impl Into<String>) -> RpcError {
        RpcError {
            code,
            message: message.into(),
        }
    }

    /// The error as the JSON object a reply carries: `{"code":..,"message":..}`.
    pub fn to_json(&self) -> serde_json::Value {
        let mut obj = serde_json::Map::new();
        obj.insert("code".into(), serde_json::Value::from(self.code));
        obj.insert(
            "message".into(),
            serde_json::Value::String(self.message.clone()),
        );
        serde_json::Value::Object(obj)
    }
}

impl fmt::Display for RpcError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (code {})", self.message, self.code)
    }
}

impl std::error::Error for RpcError {}

/// What a command handler returns: the `result` value or an error.
pub type RpcResult = Result<serde_json::Value, RpcError>;
