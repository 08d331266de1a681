//! JSON text as Bitcoin Core's UniValue reads and writes it.
//!
//! Reading: a strict RFC 8259 reader with a nesting limit of 512, any value
//! allowed at top level, number text kept verbatim and duplicate object keys
//! kept (so that "specified multiple times" can be detected); see [`Raw`].
//!
//! Writing: [`write()`] is compact output with keys in insertion order and
//! numbers printed from their stored text; [`write_pretty`] is the indented
//! form Core uses inside some error messages.

use serde_json::{Map, Number, Value};

/// Deepest nesting of arrays and objects the reader accepts.
const MAX_DEPTH: usize = 512;

/// A parsed JSON document that keeps duplicate object keys in order.
#[derive(Debug, Clone, PartialEq)]
pub enum Raw {
    /// `null`
    Null,
    /// `true` / `false`
    Bool(bool),
    /// A number, as its source text.
    Num(String),
    /// A string.
    Str(String),
    /// An array.
    Arr(Vec<Raw>),
    /// An object; keys may repeat.
    Obj(Vec<(String, Raw)>),
}

impl Raw {
    /// The first value stored under `key` if this is an object.
    pub fn find(&self, key: &str) -> Option<&Raw> {
        match self {
            Raw::Obj(entries) => entries.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    /// Converts to a `serde_json::Value`; a repeated key keeps its first value.
    pub fn to_value(&self) -> Value {
        match self {
            Raw::Null => Value::Null,
            Raw::Bool(b) => Value::Bool(*b),
            Raw::Num(text) => number_from_text(text),
            Raw::Str(s) => Value::String(s.clone()),
            Raw::Arr(items) => Value::Array(items.iter().map(Raw::to_value).collect()),
            Raw::Obj(entries) => {
                let mut map = Map::new();
                for (k, v) in entries {
                    if !map.contains_key(k) {
                        map.insert(k.clone(), v.to_value());
                    }
                }
                Value::Object(map)
            }
        }
    }

    /// UniValue's type name of this value.
    pub fn type_name(&self) -> &'static str {
        match self {
            Raw::Null => "null",
            Raw::Bool(_) => "bool",
            Raw::Num(_) => "number",
            Raw::Str(_) => "string",
            Raw::Arr(_) => "array",
            Raw::Obj(_) => "object",
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
    let mut reader = Reader { s: text, pos: 0 };
    let value = reader.value(0)?;
    reader.skip_ws();
    if reader.pos != reader.s.len() {
        return None;
    }
    Some(value)
}

/// Parses a JSON document into a `serde_json::Value` (first value wins for repeated keys).
pub fn parse_value(text: &str) -> Option<Value> {
    parse(text.as_bytes()).map(|raw| raw.to_value())
}

struct Reader<'a> {
    s: &'a [u8],
    pos: usize,
}

fn is_ws(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r')
}

impl Reader<'_> {
    fn skip_ws(&mut self) {
        while self.pos < self.s.len() && is_ws(self.s[self.pos]) {
            self.pos += 1;
        }
    }

    fn peek(&self) -> Option<u8> {
        self.s.get(self.pos).copied()
    }

    fn value(&mut self, depth: usize) -> Option<Raw> {
        self.skip_ws();
        match self.peek()? {
            b'{' => {
                if depth + 1 > MAX_DEPTH {
                    return None;
                }
                self.pos += 1;
                let mut entries = Vec::new();
                self.skip_ws();
                if self.peek()? == b'}' {
                    self.pos += 1;
                    return Some(Raw::Obj(entries));
                }
                loop {
                    self.skip_ws();
                    if self.peek()? != b'"' {
                        return None;
                    }
                    let key = self.string()?;
                    self.skip_ws();
                    if self.peek()? != b':' {
                        return None;
                    }
                    self.pos += 1;
                    let v = self.value(depth + 1)?;
                    entries.push((key, v));
                    self.skip_ws();
                    match self.peek()? {
                        b',' => self.pos += 1,
                        b'}' => {
                            self.pos += 1;
                            return Some(Raw::Obj(entries));
                        }
                        _ => return None,
                    }
                }
            }
            b'[' => {
                if depth + 1 > MAX_DEPTH {
                    return None;
                }
                self.pos += 1;
                let mut items = Vec::new();
                self.skip_ws();
                if self.peek()? == b']' {
                    self.pos += 1;
                    return Some(Raw::Arr(items));
                }
                loop {
                    items.push(self.value(depth + 1)?);
                    self.skip_ws();
                    match self.peek()? {
                        b',' => self.pos += 1,
                        b']' => {
                            self.pos += 1;
                            return Some(Raw::Arr(items));
                        }
                        _ => return None,
                    }
                }
            }
            b'"' => self.string().map(Raw::Str),
            b'n' => self.keyword(b"null", Raw::Null),
            b't' => self.keyword(b"true", Raw::Bool(true)),
            b'f' => self.keyword(b"false", Raw::Bool(false)),
            b'-' | b'0'..=b'9' => self.number(depth),
            _ => None,
        }
    }

    fn keyword(&mut self, word: &[u8], v: Raw) -> Option<Raw> {
        if self.s[self.pos..].starts_with(word) {
            self.pos += word.len();
            Some(v)
        } else {
            None
        }
    }

    fn digits(&mut self) -> usize {
        let start = self.pos;
        while self.pos < self.s.len() && self.s[self.pos].is_ascii_digit() {
            self.pos += 1;
        }
        self.pos - start
    }

    fn number(&mut self, depth: usize) -> Option<Raw> {
        let start = self.pos;
        if self.s[self.pos] == b'-' {
            self.pos += 1;
            if self.pos == self.s.len() {
                // UniValue accepts a lone '-' at the very end of the input as a
                // number; it can only ever be a top-level value.
                return if depth == 0 {
                    Some(Raw::Num("-".into()))
                } else {
                    None
                };
            }
        }
        let int_start = self.pos;
        if self.digits() == 0 {
            return None;
        }
        if self.s[int_start] == b'0' && self.pos - int_start > 1 {
            return None;
        }
        if self.peek() == Some(b'.') {
            self.pos += 1;
            if self.digits() == 0 {
                return None;
            }
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            self.pos += 1;
            if matches!(self.peek(), Some(b'+' | b'-')) {
                self.pos += 1;
            }
            if self.digits() == 0 {
                return None;
            }
        }
        let text = std::str::from_utf8(&self.s[start..self.pos]).ok()?;
        Some(Raw::Num(text.to_string()))
    }

    fn hex4(&mut self) -> Option<u32> {
        let chunk = self.s.get(self.pos..self.pos + 4)?;
        let mut out = 0u32;
        for &b in chunk {
            out = out * 16 + (b as char).to_digit(16)?;
        }
        self.pos += 4;
        Some(out)
    }

    /// Reads a string starting at the opening quote.
    fn string(&mut self) -> Option<String> {
        self.pos += 1;
        let mut out: Vec<u8> = Vec::new();
        loop {
            // Copy the run of ordinary bytes in one go.
            let run = self.s[self.pos..]
                .iter()
                .position(|&c| c == b'"' || c == b'\\' || c < 0x20)
                .unwrap_or(self.s.len() - self.pos);
            out.extend_from_slice(&self.s[self.pos..self.pos + run]);
            self.pos += run;
            let b = self.peek()?;
            if b < 0x20 {
                return None;
            }
            self.pos += 1;
            match b {
                b'"' => break,
                b'\\' => {
                    let esc = self.peek()?;
                    self.pos += 1;
                    let ch = match esc {
                        b'"' => '"',
                        b'\\' => '\\',
                        b'/' => '/',
                        b'b' => '\u{8}',
                        b'f' => '\u{c}',
                        b'n' => '\n',
                        b'r' => '\r',
                        b't' => '\t',
                        b'u' => {
                            let first = self.hex4()?;
                            let cp = if (0xD800..0xDC00).contains(&first) {
                                // A high surrogate must be followed by an escaped low one.
                                if self.s.get(self.pos..self.pos + 2) != Some(b"\\u") {
                                    return None;
                                }
                                self.pos += 2;
                                let second = self.hex4()?;
                                if !(0xDC00..0xE000).contains(&second) {
                                    return None;
                                }
                                0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00)
                            } else if (0xDC00..0xE000).contains(&first) {
                                return None;
                            } else {
                                first
                            };
                            char::from_u32(cp)?
                        }
                        _ => return None,
                    };
                    let mut buf = [0u8; 4];
                    out.extend_from_slice(ch.encode_utf8(&mut buf).as_bytes());
                }
                _ => out.push(b),
            }
        }
        String::from_utf8(out).ok()
    }
}

/// Writes `v` compactly, byte for byte as UniValue's `write()`.
pub fn write(v: &Value) -> String {
    let mut out = String::new();
    write_into(v, 0, 0, &mut out);
    out
}

/// Writes `v` indented by `indent` spaces per level, as UniValue's `write(indent)`.
pub fn write_pretty(v: &Value, indent: usize) -> String {
    let mut out = String::new();
    write_into(v, indent, 0, &mut out);
    out
}

fn escape_into(s: &str, out: &mut String) {
    out.push('"');
    for ch in s.chars() {
        match ch {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{8}' => out.push_str("\\b"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\u{c}' => out.push_str("\\f"),
            '\r' => out.push_str("\\r"),
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                out.push_str(&format!("\\u{:04x}", c as u32));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

fn write_into(v: &Value, indent: usize, level: usize, out: &mut String) {
    let level = level.max(1);
    match v {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => out.push_str(&n.to_string()),
        Value::String(s) => escape_into(s, out),
        Value::Array(items) => {
            out.push('[');
            if indent > 0 {
                out.push('\n');
            }
            for (i, item) in items.iter().enumerate() {
                push_indent(indent, level, out);
                write_into(item, indent, level + 1, out);
                if i + 1 != items.len() {
                    out.push(',');
                }
                if indent > 0 {
                    out.push('\n');
                }
            }
            push_indent(indent, level - 1, out);
            out.push(']');
        }
        Value::Object(map) => {
            out.push('{');
            if indent > 0 {
                out.push('\n');
            }
            let len = map.len();
            for (i, (k, item)) in map.iter().enumerate() {
                push_indent(indent, level, out);
                escape_into(k, out);
                out.push(':');
                if indent > 0 {
                    out.push(' ');
                }
                write_into(item, indent, level + 1, out);
                if i + 1 != len {
                    out.push(',');
                }
                if indent > 0 {
                    out.push('\n');
                }
            }
            push_indent(indent, level - 1, out);
            out.push('}');
        }
    }
}

fn push_indent(indent: usize, level: usize, out: &mut String) {
    for _ in 0..indent * level {
        out.push(' ');
    }
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
            Raw::Obj(e) => assert_eq!(e.len(), 3),
            _ => panic!(),
        }
        assert_eq!(write(&raw.to_value()), "{\"a\":1.50,\"b\":1E5}");
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
