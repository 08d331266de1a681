//! JSON with the semantics of Core's UniValue, shared by the RPC server (reading
//! requests) and `bitcoin-cli` (reading replies and printing them).
//!
//! Core's client reads and writes JSON through UniValue, which differs from
//! general-purpose JSON libraries in ways that show in the output: numbers keep
//! the exact text they were read with, objects keep duplicate keys in order,
//! a lone `-` is accepted as a number, and the pretty printer puts the closing
//! bracket of an empty array or object on its own line. This module follows
//! those rules so that what `bitcoin-cli` prints matches Core byte for byte.

use std::fmt::Write as _;

/// Deepest nesting of arrays and objects the reader accepts.
const MAX_DEPTH: usize = 512;

/// A JSON value.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Value {
    /// `null`.
    #[default]
    Null,
    /// `true` or `false`.
    Bool(bool),
    /// A number, kept as its exact text.
    Number(String),
    /// A string.
    String(String),
    /// An array.
    Array(Vec<Value>),
    /// An object; keys keep their order and may repeat.
    Object(Vec<(String, Value)>),
}

/// The shared `null` returned by lookups that find nothing.
static NULL: Value = Value::Null;

impl Value {
    /// A number value from an integer.
    pub fn from_i64(n: i64) -> Value {
        Value::Number(n.to_string())
    }

    /// A string value.
    pub fn str(s: impl Into<String>) -> Value {
        Value::String(s.into())
    }

    /// Whether this is `null`.
    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }

    /// The first member named `key`, or `null` (also for non-objects).
    pub fn get(&self, key: &str) -> &Value {
        match self {
            Value::Object(members) => members
                .iter()
                .find(|(k, _)| k == key)
                .map(|(_, v)| v)
                .unwrap_or(&NULL),
            _ => &NULL,
        }
    }

    /// Element `i` of an array, or `null`.
    pub fn at(&self, i: usize) -> &Value {
        match self {
            Value::Array(items) => items.get(i).unwrap_or(&NULL),
            _ => &NULL,
        }
    }

    /// The elements of an array or the values of an object; empty otherwise.
    pub fn values(&self) -> Vec<&Value> {
        match self {
            Value::Array(items) => items.iter().collect(),
            Value::Object(members) => members.iter().map(|(_, v)| v).collect(),
            _ => Vec::new(),
        }
    }

    /// Number of elements or members (0 for scalars).
    pub fn len(&self) -> usize {
        match self {
            Value::Array(items) => items.len(),
            Value::Object(members) => members.len(),
            _ => 0,
        }
    }

    /// Whether [`Value::len`] is zero.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The string, if this is one.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    /// The boolean, if this is one.
    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Value::Bool(b) => Some(*b),
            _ => None,
        }
    }

    /// The number as an `i64`, if it is a number that fits.
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Value::Number(n) => n.parse().ok(),
            _ => None,
        }
    }

    /// The number as an `f64`, if it is a number.
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Value::Number(n) => n.parse().ok(),
            _ => None,
        }
    }

    /// The text of a scalar as UniValue's `getValStr` gives it: the string
    /// itself, the number's text, `1`/empty for booleans, empty otherwise.
    pub fn val_str(&self) -> String {
        match self {
            Value::String(s) | Value::Number(s) => s.clone(),
            Value::Bool(true) => "1".to_string(),
            _ => String::new(),
        }
    }

    /// The first member named `key` if this is an object and has one (`null` members
    /// included, unlike [`Value::get`]'s answer for a missing key, which looks the same).
    pub fn find(&self, key: &str) -> Option<&Value> {
        match self {
            Value::Object(members) => members.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    /// UniValue's name of the value's type (`uvTypeName`).
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Null => "null",
            Value::Bool(_) => "bool",
            Value::Object(_) => "object",
            Value::Array(_) => "array",
            Value::String(_) => "string",
            Value::Number(_) => "number",
        }
    }

    fn type_error(&self, expected: &str) -> String {
        format!(
            "JSON value of type {} is not of expected type {expected}",
            self.type_name()
        )
    }

    /// The string, or UniValue's type error.
    pub fn get_str(&self) -> Result<&str, String> {
        self.as_str().ok_or_else(|| self.type_error("string"))
    }

    /// The boolean, or UniValue's type error.
    pub fn get_bool(&self) -> Result<bool, String> {
        self.as_bool().ok_or_else(|| self.type_error("bool"))
    }

    /// The number as an integer (whole text must be one, as `getInt`), or UniValue's error.
    pub fn get_int(&self) -> Result<i64, String> {
        let Value::Number(n) = self else {
            return Err(self.type_error("number"));
        };
        let digits = n.strip_prefix('-').unwrap_or(n);
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err("JSON integer out of range".to_string());
        }
        n.parse()
            .map_err(|_| "JSON integer out of range".to_string())
    }

    /// The number as a 32-bit integer, as `getInt<int>`.
    pub fn get_i32(&self) -> Result<i32, String> {
        i32::try_from(self.get_int()?).map_err(|_| "JSON integer out of range".to_string())
    }

    /// The number as a double, or UniValue's error.
    pub fn get_real(&self) -> Result<f64, String> {
        let Value::Number(n) = self else {
            return Err(self.type_error("number"));
        };
        n.parse()
            .map_err(|_| "JSON double out of range".to_string())
    }

    /// The elements or member values, or UniValue's error for scalars.
    pub fn get_values(&self) -> Result<Vec<&Value>, String> {
        match self {
            Value::Array(_) | Value::Object(_) => Ok(self.values()),
            _ => Err("JSON value is not an object or array as expected".to_string()),
        }
    }

    /// The member keys of an object, or UniValue's type error.
    pub fn get_keys(&self) -> Result<Vec<&str>, String> {
        match self {
            Value::Object(m) => Ok(m.iter().map(|(k, _)| k.as_str()).collect()),
            _ => Err(self.type_error("object")),
        }
    }

    /// Checks that this is an object, as `get_obj`.
    pub fn get_obj(&self) -> Result<&Value, String> {
        match self {
            Value::Object(_) => Ok(self),
            _ => Err(self.type_error("object")),
        }
    }

    /// Sets `key`: replaces the first member with that key in place, or appends.
    pub fn push_kv(&mut self, key: &str, value: Value) {
        if let Value::Object(members) = self {
            if let Some(slot) = members.iter_mut().find(|(k, _)| k == key) {
                slot.1 = value;
            } else {
                members.push((key.to_string(), value));
            }
        }
    }

    /// Appends a member without looking for an existing one with the same key.
    pub fn push_kv_end(&mut self, key: &str, value: Value) {
        if let Value::Object(members) = self {
            members.push((key.to_string(), value));
        }
    }

    /// Compact text, as UniValue's `write()`.
    pub fn write(&self) -> String {
        write_json(self, 0)
    }

    /// Pretty text with `indent` spaces per level, as UniValue's `write(indent)`.
    pub fn write_pretty(&self, indent: usize) -> String {
        write_json(self, indent)
    }

    /// [`Value::parse`] of bytes that must be UTF-8 (as JSON outside strings is ASCII,
    /// and UniValue keeps strings' bytes, only UTF-8 text can round-trip).
    pub fn parse_bytes(text: &[u8]) -> Option<Value> {
        std::str::from_utf8(text).ok().and_then(Value::parse)
    }

    /// Parses `text` with UniValue's rules; `None` where UniValue's `read` fails.
    pub fn parse(text: &str) -> Option<Value> {
        Parser {
            bytes: text.as_bytes(),
            pos: 0,
        }
        .document()
    }
}

/// One node of a JSON tree, as the writer sees it.
pub enum View<'a, T> {
    /// `null`.
    Null,
    /// `true` or `false`.
    Bool(bool),
    /// A number's exact text.
    Number(&'a str),
    /// A string.
    String(&'a str),
    /// An array's items.
    Array(Vec<&'a T>),
    /// An object's members, in order.
    Object(Vec<(&'a str, &'a T)>),
}

/// A JSON tree UniValue's writer can print: this crate's [`Value`], or a
/// `serde_json::Value` (with `arbitrary_precision`, so numbers keep their text).
pub trait JsonTree: Sized {
    /// The node at the root of `self`.
    fn view(&self) -> View<'_, Self>;
}

impl JsonTree for Value {
    fn view(&self) -> View<'_, Self> {
        match self {
            Value::Null => View::Null,
            Value::Bool(b) => View::Bool(*b),
            Value::Number(n) => View::Number(n),
            Value::String(s) => View::String(s),
            Value::Array(items) => View::Array(items.iter().collect()),
            Value::Object(members) => {
                View::Object(members.iter().map(|(k, v)| (k.as_str(), v)).collect())
            }
        }
    }
}

impl JsonTree for serde_json::Value {
    fn view(&self) -> View<'_, Self> {
        match self {
            serde_json::Value::Null => View::Null,
            serde_json::Value::Bool(b) => View::Bool(*b),
            serde_json::Value::Number(n) => View::Number(n.as_str()),
            serde_json::Value::String(s) => View::String(s),
            serde_json::Value::Array(items) => View::Array(items.iter().collect()),
            serde_json::Value::Object(map) => {
                View::Object(map.iter().map(|(k, v)| (k.as_str(), v)).collect())
            }
        }
    }
}

/// Writes `v` as UniValue does: compact for `indent` 0 (`write()`), else with `indent`
/// spaces per level (`write(indent)`), empty containers' closing bracket on its own line.
pub fn write_json<T: JsonTree>(v: &T, indent: usize) -> String {
    let mut out = String::new();
    write_into(v, &mut out, indent, 0);
    out
}

fn write_into<T: JsonTree>(v: &T, out: &mut String, indent: usize, level: usize) {
    match v.view() {
        View::Null => out.push_str("null"),
        View::Bool(b) => out.push_str(if b { "true" } else { "false" }),
        View::Number(n) => out.push_str(n),
        View::String(s) => write_string(out, s),
        View::Array(items) => write_container(
            out,
            ('[', ']'),
            items.into_iter().map(|i| (None, i)),
            indent,
            level,
        ),
        View::Object(members) => write_container(
            out,
            ('{', '}'),
            members.into_iter().map(|(k, v)| (Some(k), v)),
            indent,
            level,
        ),
    }
}

fn write_container<'a, T: JsonTree + 'a>(
    out: &mut String,
    (open, close): (char, char),
    items: impl ExactSizeIterator<Item = (Option<&'a str>, &'a T)>,
    indent: usize,
    level: usize,
) {
    // UniValue treats level 0 as level 1 for the members of the outermost container.
    let level = level.max(1);
    out.push(open);
    if indent > 0 {
        out.push('\n');
    }
    let len = items.len();
    for (i, (key, item)) in items.enumerate() {
        pad(out, indent * level);
        if let Some(key) = key {
            write_string(out, key);
            out.push(':');
            if indent > 0 {
                out.push(' ');
            }
        }
        write_into(item, out, indent, level + 1);
        if i + 1 != len {
            out.push(',');
        }
        if indent > 0 {
            out.push('\n');
        }
    }
    pad(out, indent * (level - 1));
    out.push(close);
}

/// Appends `n` spaces (indentation of the pretty printer).
fn pad(out: &mut String, n: usize) {
    out.extend(std::iter::repeat_n(' ', n));
}

/// Appends `s` as a JSON string with UniValue's escapes (control characters and DEL as
/// `\u00XX`, the usual short forms, everything else as is).
fn write_string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{8}' => out.push_str("\\b"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\u{c}' => out.push_str("\\f"),
            '\r' => out.push_str("\\r"),
            c if (c as u32) < 0x20 || c == '\u{7f}' => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// One token of the input.
enum Token {
    ObjOpen,
    ObjClose,
    ArrOpen,
    ArrClose,
    Colon,
    Comma,
    Scalar(Value),
}

struct Parser<'a> {
    bytes: &'a [u8],
    pos: usize,
}

/// What may come next inside a container.
#[derive(PartialEq, Eq)]
enum Expect {
    /// A value or a closing bracket (just after `[`).
    FirstItem,
    /// A key or a closing brace (just after `{`).
    FirstKey,
    /// A value (after `,` in an array or `:` in an object).
    Value,
    /// A key (after `,` in an object).
    Key,
    /// `:` after a key.
    Colon,
    /// `,` or a closing bracket after a value.
    Separator,
}

/// A container being filled.
enum Frame {
    Array(Vec<Value>),
    Object(Vec<(String, Value)>, Option<String>),
}

impl Parser<'_> {
    fn skip_space(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.bytes.get(self.pos) {
            self.pos += 1;
        }
    }

    /// The next token; `Ok(None)` at end of input, `Err(())` on bad input.
    fn token(&mut self) -> Result<Option<Token>, ()> {
        self.skip_space();
        let Some(&b) = self.bytes.get(self.pos) else {
            return Ok(None);
        };
        let simple = match b {
            b'{' => Some(Token::ObjOpen),
            b'}' => Some(Token::ObjClose),
            b'[' => Some(Token::ArrOpen),
            b']' => Some(Token::ArrClose),
            b':' => Some(Token::Colon),
            b',' => Some(Token::Comma),
            _ => None,
        };
        if let Some(t) = simple {
            self.pos += 1;
            return Ok(Some(t));
        }
        let rest = &self.bytes[self.pos..];
        for (word, value) in [
            (&b"null"[..], Value::Null),
            (&b"true"[..], Value::Bool(true)),
            (&b"false"[..], Value::Bool(false)),
        ] {
            if rest.starts_with(word) {
                self.pos += word.len();
                return Ok(Some(Token::Scalar(value)));
            }
        }
        match b {
            b'-' | b'0'..=b'9' => self.number().map(|n| Some(Token::Scalar(n))),
            b'"' => self.string().map(|s| Some(Token::Scalar(Value::String(s)))),
            _ => Err(()),
        }
    }

    fn digits(&mut self) -> usize {
        let start = self.pos;
        while self.bytes.get(self.pos).is_some_and(u8::is_ascii_digit) {
            self.pos += 1;
        }
        self.pos - start
    }

    fn number(&mut self) -> Result<Value, ()> {
        let start = self.pos;
        let first_digit = if self.bytes[start] == b'-' {
            start + 1
        } else {
            start
        };
        if self.bytes.get(first_digit) == Some(&b'0')
            && self
                .bytes
                .get(first_digit + 1)
                .is_some_and(u8::is_ascii_digit)
        {
            return Err(());
        }
        self.pos += 1;
        // A '-' followed by a non-digit is an error, but a '-' at the very end
        // of the input is taken as a number, as UniValue does.
        if self.bytes[start] == b'-'
            && self
                .bytes
                .get(self.pos)
                .is_some_and(|c| !c.is_ascii_digit())
        {
            return Err(());
        }
        self.digits();
        if self.bytes.get(self.pos) == Some(&b'.') {
            self.pos += 1;
            if self.digits() == 0 {
                return Err(());
            }
        }
        if let Some(b'e' | b'E') = self.bytes.get(self.pos) {
            self.pos += 1;
            if let Some(b'+' | b'-') = self.bytes.get(self.pos) {
                self.pos += 1;
            }
            if self.digits() == 0 {
                return Err(());
            }
        }
        let text = std::str::from_utf8(&self.bytes[start..self.pos]).map_err(|_| ())?;
        Ok(Value::Number(text.to_string()))
    }

    fn hex4(&mut self) -> Result<u32, ()> {
        // UniValue requires the four digits and at least one more byte after them.
        if self.pos + 4 >= self.bytes.len() {
            return Err(());
        }
        let mut cp = 0u32;
        for &b in &self.bytes[self.pos..self.pos + 4] {
            let d = (b as char).to_digit(16).ok_or(())?;
            cp = cp * 16 + d;
        }
        self.pos += 4;
        Ok(cp)
    }

    fn string(&mut self) -> Result<String, ()> {
        self.pos += 1; // opening quote
        let mut out = String::new();
        // First half of a UTF-16 surrogate pair waiting for its second half.
        let mut pending_high: Option<u32> = None;
        let mut valid = true;
        let mut push_cp = |out: &mut String, cp: u32, pending: &mut Option<u32>| {
            if (0xD800..0xDC00).contains(&cp) {
                if pending.is_some() {
                    valid = false;
                } else {
                    *pending = Some(cp);
                }
            } else if (0xDC00..0xE000).contains(&cp) {
                match pending.take() {
                    Some(high) => {
                        let full = 0x10000 | ((high - 0xD800) << 10) | (cp - 0xDC00);
                        match char::from_u32(full) {
                            Some(c) => out.push(c),
                            None => valid = false,
                        }
                    }
                    None => valid = false,
                }
            } else if pending.is_some() {
                valid = false;
            } else {
                match char::from_u32(cp) {
                    Some(c) => out.push(c),
                    None => valid = false,
                }
            }
        };
        loop {
            let Some(&b) = self.bytes.get(self.pos) else {
                return Err(());
            };
            if b < 0x20 {
                return Err(());
            }
            if b == b'"' {
                self.pos += 1;
                break;
            }
            if b == b'\\' {
                self.pos += 1;
                let Some(&e) = self.bytes.get(self.pos) else {
                    return Err(());
                };
                let plain = match e {
                    b'"' => Some('"'),
                    b'\\' => Some('\\'),
                    b'/' => Some('/'),
                    b'b' => Some('\u{8}'),
                    b'f' => Some('\u{c}'),
                    b'n' => Some('\n'),
                    b'r' => Some('\r'),
                    b't' => Some('\t'),
                    b'u' => None,
                    _ => return Err(()),
                };
                match plain {
                    // Plain ASCII goes straight through, even inside an open surrogate pair.
                    Some(c) => out.push(c),
                    None => {
                        self.pos += 1;
                        let cp = self.hex4()?;
                        self.pos -= 1;
                        push_cp(&mut out, cp, &mut pending_high);
                    }
                }
                self.pos += 1;
                continue;
            }
            // The input is valid UTF-8 (it came from a &str): the lead byte gives the
            // character's length, so only that character is decoded (decoding the whole
            // rest each time made long strings quadratic).
            let len = match b {
                0x00..=0x7f => 1,
                0xc0..=0xdf => 2,
                0xe0..=0xef => 3,
                _ => 4,
            };
            let chunk = self.bytes.get(self.pos..self.pos + len).ok_or(())?;
            let Some(c) = std::str::from_utf8(chunk)
                .ok()
                .and_then(|t| t.chars().next())
            else {
                return Err(());
            };
            if c.is_ascii() {
                out.push(c);
            } else {
                push_cp(&mut out, c as u32, &mut pending_high);
            }
            self.pos += c.len_utf8();
        }
        if pending_high.is_some() || !valid {
            return Err(());
        }
        Ok(out)
    }

    fn document(&mut self) -> Option<Value> {
        let mut stack: Vec<Frame> = Vec::new();
        let mut expect = Expect::Value;
        let result = loop {
            let token = self.token().ok()??;
            let completed: Value = match token {
                Token::ObjOpen | Token::ArrOpen => {
                    if !matches!(expect, Expect::Value | Expect::FirstItem | Expect::FirstKey)
                        || expect == Expect::FirstKey
                    {
                        return None;
                    }
                    if stack.len() >= MAX_DEPTH {
                        return None;
                    }
                    if matches!(token, Token::ObjOpen) {
                        stack.push(Frame::Object(Vec::new(), None));
                        expect = Expect::FirstKey;
                    } else {
                        stack.push(Frame::Array(Vec::new()));
                        expect = Expect::FirstItem;
                    }
                    continue;
                }
                Token::ObjClose => {
                    if !matches!(expect, Expect::FirstKey | Expect::Separator) {
                        return None;
                    }
                    match stack.pop() {
                        Some(Frame::Object(members, None)) => Value::Object(members),
                        _ => return None,
                    }
                }
                Token::ArrClose => {
                    if !matches!(expect, Expect::FirstItem | Expect::Separator) {
                        return None;
                    }
                    match stack.pop() {
                        Some(Frame::Array(items)) => Value::Array(items),
                        _ => return None,
                    }
                }
                Token::Colon => {
                    if expect != Expect::Colon {
                        return None;
                    }
                    expect = Expect::Value;
                    continue;
                }
                Token::Comma => {
                    if expect != Expect::Separator {
                        return None;
                    }
                    expect = match stack.last() {
                        Some(Frame::Object(..)) => Expect::Key,
                        Some(Frame::Array(_)) => Expect::Value,
                        None => return None,
                    };
                    continue;
                }
                Token::Scalar(v) => match expect {
                    Expect::FirstKey | Expect::Key => {
                        let (Value::String(key), Some(Frame::Object(_, slot))) =
                            (v, stack.last_mut())
                        else {
                            return None;
                        };
                        *slot = Some(key);
                        expect = Expect::Colon;
                        continue;
                    }
                    Expect::Value | Expect::FirstItem => v,
                    Expect::Colon | Expect::Separator => return None,
                },
            };
            // A complete value: attach it to its container, or finish.
            match stack.last_mut() {
                None => break completed,
                Some(Frame::Array(items)) => items.push(completed),
                Some(Frame::Object(members, slot)) => {
                    let key = slot.take()?;
                    members.push((key, completed));
                }
            }
            expect = Expect::Separator;
        };
        // Nothing but whitespace may follow.
        match self.token() {
            Ok(None) => Some(result),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {

    #![allow(clippy::unwrap_used)]
    use super::*;

    fn round(text: &str) -> String {
        Value::parse(text).unwrap().write()
    }

    #[test]
    fn parses_scalars_and_keeps_number_text() {
        assert_eq!(round("1.10"), "1.10");
        assert_eq!(round("-0.0e+5"), "-0.0e+5");
        assert_eq!(round(" true "), "true");
        assert_eq!(round("null"), "null");
        assert_eq!(round("\"a\\/b\""), "\"a/b\"");
        assert_eq!(round("-"), "-");
        assert_eq!(round("12345678901234567890123"), "12345678901234567890123");
    }

    #[test]
    fn rejects_what_univalue_rejects() {
        for bad in [
            "",
            "01",
            "-01",
            "1.",
            ".5",
            "1e",
            "[1,]",
            "{\"a\":1,}",
            "[1 2]",
            "{\"a\" 1}",
            "{1:2}",
            "nul",
            "truex",
            "[",
            "]",
            "1 2",
            "\"\\x\"",
            "\"\\ud800\"",
            "\"\\udc00\"",
            "\"a\nb\"",
            "\"\\u12\"",
            "-a",
            "[,1]",
            "{,}",
            "foo",
        ] {
            assert!(Value::parse(bad).is_none(), "{bad:?} should fail");
        }
    }

    #[test]
    fn surrogate_pairs_and_duplicates() {
        assert_eq!(
            Value::parse("\"\\ud834\\udd1e\"").unwrap(),
            Value::str("\u{1d11e}")
        );
        assert_eq!(round("{\"a\":1,\"a\":2}"), "{\"a\":1,\"a\":2}");
    }

    #[test]
    fn escapes_like_univalue() {
        let v = Value::str("q\"\\\u{1}\u{7f}\n\t/é");
        assert_eq!(v.write(), "\"q\\\"\\\\\\u0001\\u007f\\n\\t/é\"");
    }

    #[test]
    fn pretty_layout() {
        let v = Value::parse(r#"{"a":[],"b":{},"c":[1,{"d":null}],"e":"x"}"#).unwrap();
        assert_eq!(
            v.write_pretty(2),
            "{\n  \"a\": [\n  ],\n  \"b\": {\n  },\n  \"c\": [\n    1,\n    {\n      \"d\": null\n    }\n  ],\n  \"e\": \"x\"\n}"
        );
        assert_eq!(Value::Array(vec![]).write_pretty(2), "[\n]");
        assert_eq!(Value::Object(vec![]).write_pretty(2), "{\n}");
        assert_eq!(Value::from_i64(5).write_pretty(2), "5");
    }

    #[test]
    fn push_kv_replaces_in_place() {
        let mut o = Value::Object(vec![]);
        o.push_kv("a", Value::from_i64(1));
        o.push_kv("b", Value::from_i64(2));
        o.push_kv("a", Value::from_i64(3));
        o.push_kv_end("b", Value::from_i64(4));
        assert_eq!(o.write(), "{\"a\":3,\"b\":2,\"b\":4}");
    }
}

#[cfg(test)]
mod linear_time_tests {
    #[test]
    fn long_strings_parse_in_linear_time() {
        // 8 MB of hex in one string, as a large submitblock request carries.
        let text = format!("[\"{}\", \"é\"]", "0123456789abcdef".repeat(1 << 19));
        let start = std::time::Instant::now();
        let v = super::Value::parse(&text).expect("parses");
        assert_eq!(v.at(0).as_str().map(str::len), Some(8 << 20));
        assert_eq!(v.at(1).as_str(), Some("é"));
        // Quadratic decoding took hours on this input; linear takes milliseconds.
        assert!(start.elapsed() < std::time::Duration::from_secs(20));
    }
}
