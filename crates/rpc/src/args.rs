//! Argument descriptions of a command (Core's `RPCArg`): their types, whether
//! they are optional, the type check Core runs before a handler and the text
//! they contribute to the help.

use serde_json::Value;

use crate::json;

/// The JSON shape an argument takes (Core's `RPCArg::Type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArgType {
    /// A string.
    Str,
    /// A number.
    Num,
    /// A boolean.
    Bool,
    /// An object with the keys listed in `inner`.
    Obj,
    /// An options object whose keys (in `inner`) may also be passed as top-level named parameters.
    ObjNamedParams,
    /// An array of the elements described in `inner`.
    Arr,
    /// A hex string.
    StrHex,
    /// An object with user-chosen keys.
    ObjUserKeys,
    /// An amount: number or string, checked by [`crate::amount_from_value`].
    Amount,
    /// A number or a `[begin,end]` pair.
    Range,
}

/// What happens when an argument is not given (Core's `RPCArg::Fallback`).
#[derive(Debug, Clone, PartialEq)]
pub enum Fallback {
    /// The argument must be given.
    Required,
    /// Optional with no default; the handler sees it as absent.
    Omitted,
    /// Optional; this value is used when absent (shown as `default=<json>` in help).
    Default(Value),
    /// Optional; the default is computed by the handler, described by this text in help.
    Hint(&'static str),
}

/// One argument (or nested field) of a command.
#[derive(Debug, Clone)]
pub struct Arg {
    /// Name, with aliases separated by `|` (`"blockhash|hash"`); the first is shown in help.
    pub names: &'static str,
    /// Expected JSON shape.
    pub ty: ArgType,
    /// Whether it is required and what it defaults to.
    pub fallback: Fallback,
    /// Help text.
    pub description: &'static str,
    /// Fields of objects / elements of arrays.
    pub inner: Vec<Arg>,
    /// Do not type-check this argument before calling the handler.
    pub skip_type_check: bool,
    /// Hidden from the help (and so is every argument after it).
    pub hidden: bool,
    /// For a field of an `ObjNamedParams` options object: may share its name with a top-level argument.
    pub also_positional: bool,
    /// Overrides the type strings in help: (type shown in an object's key line, type shown in the description).
    pub type_str: Option<(&'static str, &'static str)>,
    /// Overrides the argument's text in the one-line signature.
    pub oneline_description: Option<&'static str>,
    /// Kept only for compatibility and usually omitted (shown in `getopenrpcinfo`).
    pub placeholder: bool,
}

impl Arg {
    fn make(
        names: &'static str,
        ty: ArgType,
        fallback: Fallback,
        description: &'static str,
    ) -> Arg {
        Arg {
            names,
            ty,
            fallback,
            description,
            inner: Vec::new(),
            skip_type_check: false,
            hidden: false,
            also_positional: false,
            type_str: None,
            oneline_description: None,
            placeholder: false,
        }
    }

    /// A required argument.
    pub fn required(names: &'static str, ty: ArgType, description: &'static str) -> Arg {
        Arg::make(names, ty, Fallback::Required, description)
    }

    /// An optional argument with a default value.
    pub fn optional(
        names: &'static str,
        ty: ArgType,
        default: Value,
        description: &'static str,
    ) -> Arg {
        Arg::make(names, ty, Fallback::Default(default), description)
    }

    /// An optional argument without a default.
    pub fn omitted(names: &'static str, ty: ArgType, description: &'static str) -> Arg {
        Arg::make(names, ty, Fallback::Omitted, description)
    }

    /// An optional argument whose default is described by `hint`.
    pub fn hint(
        names: &'static str,
        ty: ArgType,
        hint: &'static str,
        description: &'static str,
    ) -> Arg {
        Arg::make(names, ty, Fallback::Hint(hint), description)
    }

    /// Sets the nested fields or elements.
    pub fn with_inner(mut self, inner: Vec<Arg>) -> Arg {
        self.inner = inner;
        self
    }

    /// Disables the type check.
    pub fn skip_type_check(mut self) -> Arg {
        self.skip_type_check = true;
        self
    }

    /// Hides the argument (and all following ones) from help.
    pub fn hidden(mut self) -> Arg {
        self.hidden = true;
        self
    }

    /// Marks an options-object field as also passable positionally.
    pub fn also_positional(mut self) -> Arg {
        self.also_positional = true;
        self
    }

    /// Overrides the type strings shown in help.
    pub fn type_str(mut self, key_type: &'static str, description_type: &'static str) -> Arg {
        self.type_str = Some((key_type, description_type));
        self
    }

    /// Marks the argument as kept only for compatibility.
    pub fn placeholder(mut self) -> Arg {
        self.placeholder = true;
        self
    }

    /// Overrides the text in the one-line signature.
    pub fn oneline(mut self, text: &'static str) -> Arg {
        self.oneline_description = Some(text);
        self
    }

    /// Whether the argument may be left out.
    pub fn is_optional(&self) -> bool {
        !matches!(self.fallback, Fallback::Required)
    }

    /// The first of the `|`-separated names.
    pub fn first_name(&self) -> &'static str {
        self.names.split('|').next().unwrap_or(self.names)
    }

    /// The default value, when the fallback is [`Fallback::Default`].
    pub fn default_value(&self) -> Option<&Value> {
        match &self.fallback {
            Fallback::Default(v) => Some(v),
            _ => None,
        }
    }

    /// The JSON type UniValue checks for, if any.
    fn expected_type(&self) -> Option<&'static str> {
        match self.ty {
            ArgType::Str | ArgType::StrHex => Some("string"),
            ArgType::Num => Some("number"),
            ArgType::Bool => Some("bool"),
            ArgType::Obj | ArgType::ObjNamedParams | ArgType::ObjUserKeys => Some("object"),
            ArgType::Arr => Some("array"),
            ArgType::Amount | ArgType::Range => None,
        }
    }

    /// Core's `RPCArg::MatchesType`: `None` if `v` is acceptable, else the mismatch message.
    pub fn type_mismatch(&self, v: &Value) -> Option<String> {
        if self.skip_type_check || (self.is_optional() && v.is_null()) {
            return None;
        }
        let expected = self.expected_type()?;
        let got = json::type_name(v);
        if got == expected {
            None
        } else {
            Some(format!(
                "JSON value of type {got} is not of expected type {expected}"
            ))
        }
    }

    /// The argument as written in a signature line (`oneline`) or in an array's element list.
    pub(crate) fn to_signature(&self, oneline: bool) -> String {
        if oneline {
            if let Some(text) = self.oneline_description {
                return text.to_string();
            }
        }
        match self.ty {
            ArgType::Str | ArgType::StrHex => format!("\"{}\"", self.first_name()),
            ArgType::Num | ArgType::Range | ArgType::Amount | ArgType::Bool => {
                self.first_name().to_string()
            }
            ArgType::Obj | ArgType::ObjNamedParams | ArgType::ObjUserKeys => {
                let fields: Vec<String> = self
                    .inner
                    .iter()
                    .map(|i| i.to_key_signature(oneline))
                    .collect();
                if self.ty == ArgType::Obj {
                    format!("{{{}}}", fields.join(","))
                } else {
                    format!("{{{},...}}", fields.join(","))
                }
            }
            ArgType::Arr => {
                let mut s = String::from("[");
                for i in &self.inner {
                    s += &i.to_signature(oneline);
                    s.push(',');
                }
                s + "...]"
            }
        }
    }

    /// The argument as an object key with a placeholder value (`"name":"str"`).
    fn to_key_signature(&self, oneline: bool) -> String {
        let mut s = format!("\"{}\":", self.first_name());
        if !oneline {
            s.push(' ');
        }
        match self.ty {
            ArgType::Str => s + "\"str\"",
            ArgType::StrHex => s + "\"hex\"",
            ArgType::Num => s + "n",
            ArgType::Range => s + "n or [n,n]",
            ArgType::Amount => s + "amount",
            ArgType::Bool => s + "bool",
            ArgType::Arr => {
                s.push('[');
                for i in &self.inner {
                    s += &i.to_signature(oneline);
                    s.push(',');
                }
                s + "...]"
            }
            // Core never nests objects here; show them the way they read at top level.
            ArgType::Obj | ArgType::ObjNamedParams | ArgType::ObjUserKeys => {
                s + &self.to_signature(oneline)
            }
        }
    }

    /// The parenthesised type and optionality followed by the description
    /// (`(string, required) The block hash`).
    pub(crate) fn description_line(&self, is_named: bool) -> String {
        let mut s = String::from("(");
        match self.type_str {
            Some((_, t)) => s += t,
            None => {
                s += match self.ty {
                    ArgType::Str | ArgType::StrHex => "string",
                    ArgType::Num => "numeric",
                    ArgType::Amount => "numeric or string",
                    ArgType::Range => "numeric or array",
                    ArgType::Bool => "boolean",
                    ArgType::Obj | ArgType::ObjNamedParams | ArgType::ObjUserKeys => "json object",
                    ArgType::Arr => "json array",
                }
            }
        }
        match &self.fallback {
            Fallback::Hint(h) => {
                s += ", optional, default=";
                s += h;
            }
            Fallback::Default(v) => {
                s += ", optional, default=";
                s += &json::write(v);
            }
            Fallback::Omitted => {
                if is_named {
                    s += ", optional";
                }
            }
            Fallback::Required => s += ", required",
        }
        s.push(')');
        if self.ty == ArgType::ObjNamedParams {
            s += " Options object that can be used to pass named arguments, listed below.";
        }
        if !self.description.is_empty() {
            s.push(' ');
            s += self.description;
        }
        s
    }
}

/// Where an argument sits while its nested help lines are produced.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Outer {
    None,
    Arr,
    Obj,
}

/// Left/right columns of the "Arguments:" section, padded to a common width.
#[derive(Default)]
pub(crate) struct Sections {
    rows: Vec<(String, String)>,
    max_left: usize,
}

impl Sections {
    pub(crate) fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    pub(crate) fn push_row(&mut self, left: String, right: String) {
        self.max_left = self.max_left.max(left.len());
        self.rows.push((left, right));
    }

    /// Drops the last character of the last row's left column (a trailing comma).
    pub(crate) fn pop_last_comma(&mut self) {
        if let Some((left, _)) = self.rows.last_mut() {
            left.pop();
        }
    }

    /// Adds the nested lines of `arg` (nothing for scalars at top level).
    pub(crate) fn push_arg(&mut self, arg: &Arg) {
        self.push_nested(arg, 5, Outer::None);
    }

    fn push_nested(&mut self, arg: &Arg, indent: usize, outer: Outer) {
        let pad = " ".repeat(indent);
        let pad_next = " ".repeat(indent + 2);
        let named = outer == Outer::Obj;
        let top = outer == Outer::None;
        match arg.ty {
            ArgType::Str
            | ArgType::StrHex
            | ArgType::Num
            | ArgType::Amount
            | ArgType::Range
            | ArgType::Bool
            | ArgType::ObjNamedParams => {
                if top {
                    return;
                }
                let mut left = pad;
                match (arg.type_str, named) {
                    (Some((key_type, _)), true) => {
                        left += &format!("\"{}\": {}", arg.names, key_type);
                    }
                    _ if named => left += &arg.to_key_signature(false),
                    _ => left += &arg.to_signature(false),
                }
                left.push(',');
                self.push_row(left, arg.description_line(named));
            }
            ArgType::Obj | ArgType::ObjUserKeys => {
                let right = if top {
                    String::new()
                } else {
                    arg.description_line(named)
                };
                let key = if named {
                    format!("\"{}\": ", arg.names)
                } else {
                    String::new()
                };
                self.push_row(format!("{pad}{key}{{"), right);
                for inner in &arg.inner {
                    self.push_nested(inner, indent + 2, Outer::Obj);
                }
                if arg.ty != ArgType::Obj {
                    self.push_row(format!("{pad_next}..."), String::new());
                }
                let close = if top { "}" } else { "}," };
                self.push_row(format!("{pad}{close}"), String::new());
            }
            ArgType::Arr => {
                let key = if named {
                    format!("\"{}\": ", arg.names)
                } else {
                    String::new()
                };
                let right = if top {
                    String::new()
                } else {
                    arg.description_line(named)
                };
                self.push_row(format!("{pad}{key}["), right);
                for inner in &arg.inner {
                    self.push_nested(inner, indent + 2, Outer::Arr);
                }
                self.push_row(format!("{pad_next}..."), String::new());
                let close = if top { "]" } else { "]," };
                self.push_row(format!("{pad}{close}"), String::new());
            }
        }
    }

    /// Joins the rows, right column aligned four spaces past the widest left one;
    /// continuation lines of a multi-line description are indented to match.
    pub(crate) fn render(&self) -> String {
        let width = self.max_left + 4;
        let mut out = String::new();
        for (left, right) in &self.rows {
            if right.is_empty() {
                out += left;
                out.push('\n');
                continue;
            }
            out += left;
            for _ in left.len()..width {
                out.push(' ');
            }
            out += &pad_continuations(right, width);
            out.push('\n');
        }
        out
    }
}

/// Indents the lines after the first of `text` by `width` spaces, dropping
/// their leading spaces, with Core's treatment of blank lines (the line after
/// a blank one is carried along unindented).
fn pad_continuations(text: &str, width: usize) -> String {
    let b = text.as_bytes();
    let find_nl = |from: usize| {
        b.iter()
            .skip(from)
            .position(|&c| c == b'\n')
            .map(|p| p + from)
    };
    let mut out = String::new();
    let mut begin = 0usize;
    let mut nl = find_nl(0);
    loop {
        let end = nl.unwrap_or(b.len());
        out += text.get(begin..end).unwrap_or("");
        let Some(pos) = nl else { break };
        out.push('\n');
        out += &" ".repeat(width);
        match b.iter().skip(pos + 1).position(|&c| c != b' ') {
            Some(p) => begin = pos + 1 + p,
            None => break,
        }
        nl = find_nl(begin + 1);
    }
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use serde_json::json;

    #[test]
    fn type_mismatch_messages() {
        let a = Arg::required("x", ArgType::Num, "");
        assert_eq!(
            a.type_mismatch(&json!("1")).as_deref(),
            Some("JSON value of type string is not of expected type number")
        );
        assert_eq!(
            a.type_mismatch(&Value::Null).as_deref(),
            Some("JSON value of type null is not of expected type number")
        );
        let o = Arg::optional("x", ArgType::Bool, json!(false), "");
        assert_eq!(o.type_mismatch(&Value::Null), None);
        assert_eq!(
            o.type_mismatch(&json!(1)).as_deref(),
            Some("JSON value of type number is not of expected type bool")
        );
        assert_eq!(
            Arg::required("a", ArgType::Amount, "").type_mismatch(&json!([])),
            None
        );
        assert_eq!(
            Arg::required("a", ArgType::Str, "")
                .skip_type_check()
                .type_mismatch(&json!([])),
            None
        );
    }

    #[test]
    fn description_lines() {
        let a = Arg::required("blockhash", ArgType::StrHex, "The block hash");
        assert_eq!(
            a.description_line(true),
            "(string, required) The block hash"
        );
        let b = Arg::optional("verbosity|verbose", ArgType::Num, json!(1), "0 for hex");
        assert_eq!(
            b.description_line(true),
            "(numeric, optional, default=1) 0 for hex"
        );
        let c = Arg::omitted("x", ArgType::Amount, "d");
        assert_eq!(c.description_line(true), "(numeric or string, optional) d");
        assert_eq!(c.description_line(false), "(numeric or string) d");
        let d = Arg::hint("command", ArgType::Str, "all commands", "The command");
        assert_eq!(
            d.description_line(true),
            "(string, optional, default=all commands) The command"
        );
    }

    #[test]
    fn continuation_lines_as_core() {
        assert_eq!(pad_continuations("a\nb", 3), "a\n   b");
        assert_eq!(pad_continuations("a\n   b", 3), "a\n   b");
        // A blank line: Core carries the next line along without indent.
        assert_eq!(pad_continuations("a\n\nb", 3), "a\n   \nb");
        assert_eq!(pad_continuations("a\n", 3), "a\n   ");
        assert_eq!(pad_continuations("a\n  ", 3), "a\n   ");
    }
}
