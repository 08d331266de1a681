//! Structured result descriptions (Core's `RPCResult`), optional for a
//! command: they produce the help's `Result:` sections exactly as Core lays
//! them out and the result schema of `getopenrpcinfo`. Attach them with
//! [`crate::Table::set_results`]; a command's free-text `result` still wins
//! for the help when it is not empty.

use serde_json::{Map, Value};

use crate::args::Sections;

/// The JSON shape of a result (Core's `RPCResult::Type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResultType {
    /// An object with the keys in `inner`.
    Obj,
    /// An array of elements like `inner`.
    Arr,
    /// A string.
    Str,
    /// A number.
    Num,
    /// A boolean.
    Bool,
    /// `null`.
    None,
    /// Anything (not documented further).
    Any,
    /// An amount in BTC.
    StrAmount,
    /// A hex string.
    StrHex,
    /// An object whose keys are not fixed; `inner[0]` describes the values.
    ObjDyn,
    /// An array with exactly the elements in `inner`.
    ArrFixed,
    /// A UNIX timestamp.
    NumTime,
}

/// How a result prints in the help.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Elision {
    /// Printed normally.
    None,
    /// Printed as `...` with this text.
    Text(&'static str),
    /// Not printed at all.
    Skip,
}

/// One result (or nested field) of a command.
#[derive(Debug, Clone)]
pub struct ResultDoc {
    /// Condition under which this result applies (`Result (cond):`), empty for always.
    pub cond: &'static str,
    /// Shape.
    pub ty: ResultType,
    /// Key inside an object, empty otherwise.
    pub key: &'static str,
    /// Whether the key may be missing.
    pub optional: bool,
    /// Help text.
    pub description: &'static str,
    /// Fields or elements.
    pub inner: Vec<ResultDoc>,
    /// Not checked against the actual result (schema is relaxed).
    pub skip_type_check: bool,
    /// Help printing.
    pub elision: Elision,
}

impl ResultDoc {
    /// A result of type `ty` under `key` (empty outside objects).
    pub fn new(ty: ResultType, key: &'static str, description: &'static str) -> ResultDoc {
        ResultDoc {
            cond: "",
            ty,
            key,
            optional: false,
            description,
            inner: Vec::new(),
            skip_type_check: false,
            elision: Elision::None,
        }
    }
    /// Sets the nested fields or elements.
    pub fn with_inner(mut self, inner: Vec<ResultDoc>) -> ResultDoc {
        self.inner = inner;
        self
    }
    /// Marks the key optional.
    pub fn optional(mut self) -> ResultDoc {
        self.optional = true;
        self
    }
    /// Sets the condition text.
    pub fn cond(mut self, cond: &'static str) -> ResultDoc {
        self.cond = cond;
        self
    }
    /// Relaxes the type check / schema.
    pub fn skip_type_check(mut self) -> ResultDoc {
        self.skip_type_check = true;
        self
    }
    /// Leaves it out of the help.
    pub fn elide_skip(mut self) -> ResultDoc {
        self.elision = Elision::Skip;
        self
    }

    fn push_sections(&self, sections: &mut Sections, outer: Outer, indent: usize) {
        let pad = " ".repeat(indent);
        let pad_next = " ".repeat(indent + 2);
        let sep = if outer == Outer::None { "" } else { "," };
        let key = if outer == Outer::Obj {
            format!("\"{}\" : ", self.key)
        } else {
            String::new()
        };
        let describe = |ty: &str| {
            let mut s = format!("({ty}{})", if self.optional { ", optional" } else { "" });
            if !self.description.is_empty() {
                s.push(' ');
                s += self.description;
            }
            s
        };
        match self.elision {
            Elision::Text(text) => {
                sections.push_row(format!("{pad}...{sep}"), text.to_string());
                return;
            }
            Elision::Skip => return,
            Elision::None => {}
        }
        let leaf = |sections: &mut Sections, shown: &str, ty: &str| {
            sections.push_row(format!("{pad}{key}{shown}{sep}"), describe(ty));
        };
        match self.ty {
            ResultType::Any => leaf(sections, "xxx", "any"),
            ResultType::None => {
                sections.push_row(format!("{pad}null{sep}"), describe("json null"));
            }
            ResultType::Str => leaf(sections, "\"str\"", "string"),
            ResultType::StrAmount | ResultType::Num => leaf(sections, "n", "numeric"),
            ResultType::StrHex => leaf(sections, "\"hex\"", "string"),
            ResultType::NumTime => leaf(sections, "xxx", "numeric"),
            ResultType::Bool => leaf(sections, "true|false", "boolean"),
            ResultType::Arr | ResultType::ArrFixed => {
                sections.push_row(format!("{pad}{key}["), describe("json array"));
                for i in &self.inner {
                    i.push_sections(sections, Outer::Arr, indent + 2);
                }
                let last_elided = matches!(
                    self.inner.last().map(|l| &l.elision),
                    Some(Elision::Text(_))
                );
                if self.ty == ResultType::Arr && !last_elided {
                    sections.push_row(format!("{pad_next}..."), String::new());
                } else {
                    sections.pop_last_comma();
                }
                sections.push_row(format!("{pad}]{sep}"), String::new());
            }
            ResultType::Obj | ResultType::ObjDyn => {
                if self.inner.is_empty() {
                    sections.push_row(format!("{pad}{key}{{}}"), describe("empty JSON object"));
                    return;
                }
                sections.push_row(format!("{pad}{key}{{"), describe("json object"));
                for i in &self.inner {
                    i.push_sections(sections, Outer::Obj, indent + 2);
                }
                if self.ty == ResultType::ObjDyn {
                    sections.push_row(format!("{pad_next}..."), String::new());
                } else {
                    sections.pop_last_comma();
                }
                sections.push_row(format!("{pad}}}{sep}"), String::new());
            }
        }
    }

    /// The JSON schema `getopenrpcinfo` shows for this result.
    pub fn schema(&self) -> Value {
        if self.skip_type_check {
            let mut strict = self.clone();
            strict.skip_type_check = false;
            return match self.ty {
                ResultType::Obj => {
                    let obj = strict.schema();
                    if self.key.is_empty() {
                        obj
                    } else {
                        obj_of(vec![(
                            "oneOf",
                            Value::Array(vec![obj, obj_of(vec![("const", Value::Bool(false))])]),
                        )])
                    }
                }
                ResultType::Arr => strict.schema(),
                _ => Value::Object(Map::new()),
            };
        }
        let simple = |t: &str| obj_of(vec![("type", Value::String(t.into()))]);
        match self.ty {
            ResultType::Str => simple("string"),
            ResultType::StrAmount => obj_of(vec![
                ("type", "number".into()),
                ("x-bitcoin-unit", "amount".into()),
            ]),
            ResultType::StrHex => hex_schema(),
            ResultType::Num => simple("number"),
            ResultType::NumTime => obj_of(vec![
                ("type", "number".into()),
                ("x-bitcoin-unit", "unix-time".into()),
            ]),
            ResultType::Bool => simple("boolean"),
            ResultType::None => simple("null"),
            ResultType::Arr => obj_of(vec![
                ("type", "array".into()),
                ("items", dedup_results(&self.inner)),
            ]),
            ResultType::ArrFixed => obj_of(vec![
                ("type", "array".into()),
                (
                    "items",
                    Value::Array(self.inner.iter().map(ResultDoc::schema).collect()),
                ),
                ("additionalItems", Value::Bool(false)),
                ("minItems", Value::from(self.inner.len())),
                ("maxItems", Value::from(self.inner.len())),
            ]),
            ResultType::Obj => {
                let mut props = Map::new();
                let mut required = Vec::new();
                for i in &self.inner {
                    if i.key.is_empty() {
                        continue;
                    }
                    let mut p = i.schema();
                    if !i.description.is_empty() {
                        push_kv(&mut p, "description", Value::String(i.description.into()));
                    }
                    props.insert(i.key.to_string(), p);
                    if !i.optional {
                        required.push(Value::String(i.key.into()));
                    }
                }
                let mut s = obj_of(vec![
                    ("type", "object".into()),
                    ("properties", Value::Object(props)),
                    ("additionalProperties", Value::Bool(false)),
                ]);
                if !required.is_empty() {
                    push_kv(&mut s, "required", Value::Array(required));
                }
                s
            }
            ResultType::ObjDyn => obj_of(vec![
                ("type", "object".into()),
                (
                    "additionalProperties",
                    self.inner
                        .first()
                        .map_or_else(|| Value::Object(Map::new()), ResultDoc::schema),
                ),
            ]),
            ResultType::Any => Value::Object(Map::new()),
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Outer {
    None,
    Arr,
    Obj,
}

/// An object from key/value pairs in order.
pub(crate) fn obj_of(pairs: Vec<(&str, Value)>) -> Value {
    let mut m = Map::new();
    for (k, v) in pairs {
        m.insert(k.to_string(), v);
    }
    Value::Object(m)
}

/// UniValue's `pushKV`: replaces an existing key in place, else appends.
pub(crate) fn push_kv(obj: &mut Value, key: &str, v: Value) {
    if let Value::Object(m) = obj {
        m.insert(key.to_string(), v);
    }
}

pub(crate) fn hex_schema() -> Value {
    obj_of(vec![
        ("type", "string".into()),
        ("pattern", "^[0-9a-fA-F]+$".into()),
    ])
}

/// Several schemas as one: the single one, or `{"<keyword>": [distinct schemas]}`.
pub(crate) fn dedup(schemas: Vec<Value>, keyword: &str) -> Value {
    match schemas.len() {
        0 => return Value::Object(Map::new()),
        1 => return schemas.into_iter().next().unwrap_or(Value::Null),
        _ => {}
    }
    let mut seen = std::collections::HashSet::new();
    let mut distinct = Vec::new();
    for s in schemas {
        if seen.insert(crate::json::write(&s)) {
            distinct.push(s);
        }
    }
    if distinct.len() == 1 {
        return distinct.into_iter().next().unwrap_or(Value::Null);
    }
    obj_of(vec![(keyword, Value::Array(distinct))])
}

fn dedup_results(inner: &[ResultDoc]) -> Value {
    dedup(inner.iter().map(ResultDoc::schema).collect(), "oneOf")
}

/// Core's `RPCResults::ToDescriptionString`: the `Result:` sections of a help text.
pub fn results_help(results: &[ResultDoc]) -> String {
    let mut out = String::new();
    for r in results {
        let mut sections = Sections::default();
        r.push_sections(&mut sections, Outer::None, 0);
        if sections.is_empty() {
            continue;
        }
        if r.cond.is_empty() {
            out += "\nResult:\n";
        } else {
            out += &format!("\nResult ({}):\n", r.cond);
        }
        out += &sections.render();
    }
    out
}

/// The method-level result schema of `getopenrpcinfo`.
pub fn results_schema(results: &[ResultDoc]) -> Value {
    if results.len() == 1 && results[0].ty != ResultType::Any {
        return results[0].schema();
    }
    let mut one_of = Vec::new();
    for r in results {
        if r.ty == ResultType::Any {
            continue;
        }
        let mut s = r.schema();
        if !r.cond.is_empty() {
            push_kv(&mut s, "description", Value::String(r.cond.into()));
        }
        one_of.push(s);
    }
    match one_of.len() {
        0 => Value::Object(Map::new()),
        1 => one_of.into_iter().next().unwrap_or(Value::Null),
        _ => obj_of(vec![("oneOf", Value::Array(one_of))]),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use crate::json::write;

    #[test]
    fn help_sections_as_core() {
        // The shape of Core's getblockchaininfo-like results.
        let r = ResultDoc::new(ResultType::Obj, "", "").with_inner(vec![
            ResultDoc::new(ResultType::Str, "chain", "current network name"),
            ResultDoc::new(ResultType::Num, "blocks", "the height"),
            ResultDoc::new(
                ResultType::Bool,
                "pruned",
                "if the blocks are subject to pruning",
            ),
            ResultDoc::new(
                ResultType::Num,
                "pruneheight",
                "height of the last block pruned",
            )
            .optional(),
            ResultDoc::new(
                ResultType::Arr,
                "warnings",
                "any network and blockchain warnings",
            )
            .with_inner(vec![ResultDoc::new(ResultType::Str, "", "warning")]),
        ]);
        // Right column four spaces past the widest left one (here the "pruned" row).
        let expected = [
            "",
            "Result:",
            "{                           (json object)",
            "  \"chain\" : \"str\",          (string) current network name",
            "  \"blocks\" : n,             (numeric) the height",
            "  \"pruned\" : true|false,    (boolean) if the blocks are subject to pruning",
            "  \"pruneheight\" : n,        (numeric, optional) height of the last block pruned",
            "  \"warnings\" : [            (json array) any network and blockchain warnings",
            "    \"str\",                  (string) warning",
            "    ...",
            "  ]",
            "}",
            "",
        ]
        .join("\n");
        assert_eq!(results_help(std::slice::from_ref(&r)), expected);
        assert_eq!(
            write(&results_schema(&[r])),
            r#"{"type":"object","properties":{"chain":{"type":"string","description":"current network name"},"blocks":{"type":"number","description":"the height"},"pruned":{"type":"boolean","description":"if the blocks are subject to pruning"},"pruneheight":{"type":"number","description":"height of the last block pruned"},"warnings":{"type":"array","items":{"type":"string"},"description":"any network and blockchain warnings"}},"additionalProperties":false,"required":["chain","blocks","pruned","warnings"]}"#
        );
    }

    #[test]
    fn conditional_results() {
        let rs = [
            ResultDoc::new(ResultType::StrHex, "", "A string").cond("for verbosity = 0"),
            ResultDoc::new(ResultType::Obj, "", "")
                .cond("for verbosity = 1")
                .with_inner(vec![ResultDoc::new(
                    ResultType::StrHex,
                    "hash",
                    "the block hash",
                )]),
            ResultDoc::new(ResultType::Any, "", "").elide_skip(),
        ];
        assert_eq!(
            results_help(&rs),
            // The padding counts the comma that is dropped after the last field, as Core.
            "\nResult (for verbosity = 0):\n\"hex\"    (string) A string\n\nResult (for verbosity = 1):\n{                    (json object)\n  \"hash\" : \"hex\"     (string) the block hash\n}\n"
        );
        assert_eq!(
            write(&results_schema(&rs)),
            r#"{"oneOf":[{"type":"string","pattern":"^[0-9a-fA-F]+$","description":"for verbosity = 0"},{"type":"object","properties":{"hash":{"type":"string","pattern":"^[0-9a-fA-F]+$","description":"the block hash"}},"additionalProperties":false,"required":["hash"],"description":"for verbosity = 1"}]}"#
        );
    }
}
