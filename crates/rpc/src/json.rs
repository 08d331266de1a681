//! JSON text as Bitcoin Core's UniValue reads and writes it.
//!
//! Reading: [`univalue`]'s strict RFC 8259 reader (nesting limit 512), any value
//! allowed at top level, number text kept verbatim and duplicate object keys
//! kept (so that "specified multiple times" can be detected); see [`Raw`].
//!
//! Writing: [`write()`] is compact output with keys in insertion order and
//! numbers printed from their stored text; [`write_pretty`] is the indented
//! form Core uses inside some error messages.

use serde_json::{Map, Number, Value};

/// A parsed JSON document that keeps duplicate object keys in order (UniValue's reader,
/// shared with `bitcoin-cli`).
pub use univalue::Value as Raw;

/// Converts to a `serde_json::Value`; a repeated key keeps its first value.
pub fn to_value(raw: &Raw) -> Value {
    match raw {
        Raw::Null => Value::Null,
        Raw::Bool(b) => Value::Bool(*b),
        Raw::Number(text) => number_from_text(text),
        Raw::String(s) => Value::String(s.clone()),
        Raw::Array(items) => Value::Array(items.iter().map(to_value).collect()),
        Raw::Object(entries) => {
            let mut map = Map::new();
            for (k, v) in entries {
                if !map.contains_key(k) {
                    map.insert(k.clone(), to_value(v));
                }
            }
            Value::Object(map)
        }
    }
}

/// A JSON number holding exactly `text` (must be valid JSON number syntax).
fn number_from_text(text: &str) -> Value {
    Value::Number(Number::from_string_unchecked(text.to_string()))
}

/// UniValue's name for the type of `v` ("null", "bool", "object", "array", "string", "number").
pub fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "bool",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// Parses a JSON document as UniValue's reader does; `None` if it is not valid.
pub fn parse(text: &[u8]) -> Option<Raw> {
    Raw::parse_bytes(text)
}

/// Parses a JSON document into a `serde_json::Value` (first value wins for repeated keys).
pub fn parse_value(text: &str) -> Option<Value> {
    parse(text.as_bytes()).map(|raw| to_value(&raw))
}

/// Writes `v` compactly, byte for byte as UniValue's `write()`.
pub fn write(v: &Value) -> String {
    univalue::write_json(v, 0)
}

/// Writes `v` indented by `indent` spaces per level, as UniValue's `write(indent)`.
pub fn write_pretty(v: &Value, indent: usize) -> String {
    univalue::write_json(v, indent)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn reads_like_univalue() {
        for ok in [
            "{}",
            "[]",
            "1",
            "-0.5e+3",
            "\"a\"",
            "null",
            " [1, {\"a\": [true, false]}] \n",
            "\"\\u00e9\\ud83d\\ude00\"",
            "-",
        ] {
            assert!(parse(ok.as_bytes()).is_some(), "{ok}");
        }
        for bad in [
            "",
            "[1,]",
            "{\"a\":1,}",
            "01",
            "-01",
            "1.",
            ".5",
            "1e",
            "[1 2]",
            "{\"a\" 1}",
            "[-]",
            "\"\\ud800\"",
            "\"\\udc00\"",
            "\"a\nb\"",
            "nul",
            "{} x",
            "[1]]",
            "\"\\x\"",
            "{1:2}",
        ] {
            assert!(parse(bad.as_bytes()).is_none(), "{bad}");
        }
        let deep_ok = "[".repeat(512) + &"]".repeat(512);
        assert!(parse(deep_ok.as_bytes()).is_some());
        let deep_bad = "[".repeat(513) + &"]".repeat(513);
        assert!(parse(deep_bad.as_bytes()).is_none());
    }

    #[test]
    fn keeps_number_text_and_duplicates() {
        let raw = parse(b"{\"a\":1.50,\"a\":2,\"b\":1E5}").unwrap();
        match &raw {
            Raw::Object(e) => assert_eq!(e.len(), 3),
            _ => panic!(),
        }
        assert_eq!(write(&to_value(&raw)), "{\"a\":1.50,\"b\":1E5}");
    }

    #[test]
    fn writes_like_univalue() {
        let v = parse_value("{\"k\":[1,\"x\\u007f\\u0001\\n\"],\"e\":{},\"z\":[]}").unwrap();
        assert_eq!(
            write(&v),
            "{\"k\":[1,\"x\\u007f\\u0001\\n\"],\"e\":{},\"z\":[]}"
        );
        assert_eq!(
            write_pretty(&v, 4),
            "{\n    \"k\": [\n        1,\n        \"x\\u007f\\u0001\\n\"\n    ],\n    \"e\": {\n    },\n    \"z\": [\n    ]\n}"
        );
    }
}
