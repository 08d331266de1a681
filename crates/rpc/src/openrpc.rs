//! The OpenRPC document of `getopenrpcinfo` / `rpc.discover`, built from the
//! registered commands as Core builds it from its `RPCArg`s and `RPCResult`s.

use std::sync::Arc;

use serde_json::{Map, Value};

use crate::args::{Arg, ArgType, Fallback};
use crate::results::{dedup, hex_schema, obj_of, push_kv, results_schema, ResultDoc, ResultType};
use crate::table::Command;

fn simple(t: &str) -> Value {
    obj_of(vec![("type", Value::String(t.into()))])
}

fn apply_type_str(schema: &mut Value, arg: &Arg) {
    let Some((_, label)) = arg.type_str else {
        return;
    };
    if label.is_empty() {
        return;
    }
    if label == "integer / string" || label == "string or numeric" {
        *schema = obj_of(vec![(
            "oneOf",
            Value::Array(vec![simple("integer"), simple("string")]),
        )]);
    } else {
        push_kv(
            schema,
            "x-bitcoin-type-override",
            Value::String(label.into()),
        );
    }
}

fn apply_fallback(schema: &mut Value, arg: &Arg) {
    match &arg.fallback {
        Fallback::Default(v) => push_kv(schema, "default", v.clone()),
        Fallback::Hint(h) => push_kv(schema, "x-bitcoin-default-hint", Value::String((*h).into())),
        Fallback::Required | Fallback::Omitted => {}
    }
}

fn dedup_args(inner: &[Arg], include_hidden: bool, in_skip: bool) -> Value {
    let keyword = if in_skip { "anyOf" } else { "oneOf" };
    dedup(
        inner
            .iter()
            .map(|a| arg_schema(a, include_hidden, in_skip))
            .collect(),
        keyword,
    )
}

/// Core's `OpenRPCArgSchema`.
pub(crate) fn arg_schema(arg: &Arg, include_hidden: bool, in_skip: bool) -> Value {
    let mut schema = Value::Object(Map::new());
    if arg.skip_type_check {
        apply_type_str(&mut schema, arg);
        let empty = schema.as_object().is_some_and(Map::is_empty);
        if empty && arg.ty == ArgType::Arr {
            let items = obj_of(vec![
                ("type", "array".into()),
                ("items", dedup_args(&arg.inner, include_hidden, true)),
            ]);
            push_kv(
                &mut schema,
                "oneOf",
                Value::Array(vec![items, simple("object")]),
            );
        }
        apply_fallback(&mut schema, arg);
        return schema;
    }
    schema = match arg.ty {
        ArgType::Str => simple("string"),
        ArgType::StrHex => hex_schema(),
        ArgType::Num => simple("number"),
        ArgType::Bool => simple("boolean"),
        ArgType::Amount => obj_of(vec![(
            "oneOf",
            Value::Array(vec![simple("number"), simple("string")]),
        )]),
        ArgType::Range => {
            let pair = obj_of(vec![
                ("type", "array".into()),
                (
                    "items",
                    Value::Array(vec![simple("number"), simple("number")]),
                ),
                ("additionalItems", Value::Bool(false)),
                ("minItems", Value::from(2)),
                ("maxItems", Value::from(2)),
            ]);
            obj_of(vec![("oneOf", Value::Array(vec![simple("number"), pair]))])
        }
        ArgType::Arr => obj_of(vec![
            ("type", "array".into()),
            ("items", dedup_args(&arg.inner, include_hidden, in_skip)),
        ]),
        ArgType::Obj | ArgType::ObjNamedParams => {
            let mut props = Map::new();
            let mut required = Vec::new();
            for inner in &arg.inner {
                if !include_hidden && inner.hidden {
                    continue;
                }
                let mut p = arg_schema(inner, include_hidden, in_skip);
                if !inner.description.is_empty() {
                    push_kv(
                        &mut p,
                        "description",
                        Value::String(inner.description.into()),
                    );
                }
                if inner.placeholder {
                    push_kv(&mut p, "x-bitcoin-placeholder", Value::Bool(true));
                }
                if inner.also_positional {
                    push_kv(&mut p, "x-bitcoin-also-positional", Value::Bool(true));
                }
                props.insert(inner.first_name().to_string(), p);
                if !inner.is_optional() {
                    required.push(Value::String(inner.first_name().into()));
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
        ArgType::ObjUserKeys => {
            let mut s = simple("object");
            match arg.inner.first() {
                Some(first) => {
                    push_kv(
                        &mut s,
                        "additionalProperties",
                        arg_schema(first, include_hidden, in_skip),
                    );
                    if !first.description.is_empty() {
                        push_kv(
                            &mut s,
                            "description",
                            Value::String(first.description.into()),
                        );
                    }
                }
                None => push_kv(&mut s, "additionalProperties", Value::Bool(true)),
            }
            s
        }
    };
    apply_type_str(&mut schema, arg);
    apply_fallback(&mut schema, arg);
    schema
}

/// A command with its structured results, if any.
pub(crate) type DocEntry = (Arc<Command>, Option<Arc<Vec<ResultDoc>>>);

/// Core's `CRPCTable::buildOpenRPCDoc` over `commands` (sorted by name).
pub(crate) fn build_doc(commands: &[DocEntry], include_hidden: bool, version: &str) -> Value {
    let mut methods = Vec::new();
    for (cmd, results) in commands {
        if !include_hidden && cmd.category == "hidden" {
            continue;
        }
        let mut params = Vec::new();
        for arg in &cmd.args {
            if !include_hidden && arg.hidden {
                continue;
            }
            let mut p = obj_of(vec![
                ("name", Value::String(arg.first_name().into())),
                ("required", Value::Bool(!arg.is_optional())),
                ("schema", arg_schema(arg, include_hidden, false)),
            ]);
            let names: Vec<&str> = arg.names.split('|').collect();
            if names.len() > 1 {
                let aliases = names[1..]
                    .iter()
                    .map(|n| Value::String((*n).into()))
                    .collect();
                push_kv(&mut p, "x-bitcoin-aliases", Value::Array(aliases));
            }
            if arg.placeholder {
                push_kv(&mut p, "x-bitcoin-placeholder", Value::Bool(true));
            }
            if arg.also_positional {
                push_kv(&mut p, "x-bitcoin-also-positional", Value::Bool(true));
            }
            if !arg.description.is_empty() {
                push_kv(&mut p, "description", Value::String(arg.description.into()));
            }
            params.push(p);
        }
        let result_schema = results
            .as_ref()
            .map_or_else(|| Value::Object(Map::new()), |r| results_schema(r));
        let description = cmd
            .description
            .trim_matches(|c| matches!(c, ' ' | '\t' | '\n' | '\r' | '\x0b' | '\x0c'));
        methods.push(obj_of(vec![
            ("name", Value::String(cmd.name.into())),
            ("description", Value::String(description.into())),
            ("params", Value::Array(params)),
            (
                "result",
                obj_of(vec![("name", "result".into()), ("schema", result_schema)]),
            ),
            ("x-bitcoin-category", Value::String(cmd.category.into())),
        ]));
    }
    obj_of(vec![
        ("openrpc", "1.4.1".into()),
        (
            "info",
            obj_of(vec![
                ("title", "Bitcoin Core JSON-RPC".into()),
                ("version", Value::String(version.into())),
                (
                    "description",
                    "Autogenerated from Bitcoin Core RPC metadata.".into(),
                ),
            ]),
        ),
        ("methods", Value::Array(methods)),
    ])
}

/// The result description of `getopenrpcinfo` and `rpc.discover`.
pub(crate) fn doc_result() -> ResultDoc {
    use ResultType::{Any, Arr, Bool, Obj, Str};
    let param = ResultDoc::new(Obj, "", "A parameter.").with_inner(vec![
        ResultDoc::new(Str, "name", "Parameter name."),
        ResultDoc::new(Bool, "required", "Whether the parameter is required."),
        ResultDoc::new(Any, "schema", "JSON Schema for the parameter."),
        ResultDoc::new(Str, "description", "Parameter description.").optional(),
        ResultDoc::new(Arr, "x-bitcoin-aliases", "Alternative parameter names.")
            .optional()
            .with_inner(vec![ResultDoc::new(Str, "", "An alias.")]),
        ResultDoc::new(
            Bool,
            "x-bitcoin-placeholder",
            "Whether the parameter is retained only for compatibility.",
        )
        .optional(),
        ResultDoc::new(
            Bool,
            "x-bitcoin-also-positional",
            "Whether the parameter can also be passed positionally.",
        )
        .optional(),
    ]);
    let method = ResultDoc::new(Obj, "", "An RPC method description object.").with_inner(vec![
        ResultDoc::new(Str, "name", "Method name."),
        ResultDoc::new(Str, "description", "Method description."),
        ResultDoc::new(Arr, "params", "Method parameters.").with_inner(vec![param]),
        ResultDoc::new(Obj, "result", "Method result.").with_inner(vec![
            ResultDoc::new(Str, "name", "Result name."),
            ResultDoc::new(Any, "schema", "JSON Schema for the result."),
        ]),
        ResultDoc::new(Str, "x-bitcoin-category", "RPC category."),
    ]);
    ResultDoc::new(Obj, "", "")
        .with_inner(vec![
            ResultDoc::new(Str, "openrpc", "OpenRPC specification version."),
            ResultDoc::new(Obj, "info", "Metadata about this JSON-RPC interface.").with_inner(
                vec![
                    ResultDoc::new(Str, "title", "API title."),
                    ResultDoc::new(Str, "version", "Bitcoin Core version string."),
                    ResultDoc::new(Str, "description", "API description."),
                ],
            ),
            ResultDoc::new(Arr, "methods", "Documented RPC methods.").with_inner(vec![method]),
        ])
        .skip_type_check()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use crate::json::write;
    use serde_json::json;

    #[test]
    fn arg_schemas_as_core() {
        let range = Arg::omitted("range", ArgType::Range, "");
        assert_eq!(
            write(&arg_schema(&range, false, false)),
            r#"{"oneOf":[{"type":"number"},{"type":"array","items":[{"type":"number"},{"type":"number"}],"additionalItems":false,"minItems":2,"maxItems":2}]}"#
        );
        let hash_or_height = Arg::required("hash_or_height", ArgType::Num, "")
            .skip_type_check()
            .type_str("", "string or numeric");
        assert_eq!(
            write(&arg_schema(&hash_or_height, false, false)),
            r#"{"oneOf":[{"type":"integer"},{"type":"string"}]}"#
        );
        let verbosity = Arg::optional("verbosity|verbose", ArgType::Num, json!(1), "");
        assert_eq!(
            write(&arg_schema(&verbosity, false, false)),
            r#"{"type":"number","default":1}"#
        );
        let stats = Arg::hint("stats", ArgType::Arr, "all values", "")
            .with_inner(vec![Arg::omitted("height", ArgType::Str, "")]);
        assert_eq!(
            write(&arg_schema(&stats, false, false)),
            r#"{"type":"array","items":{"type":"string"},"x-bitcoin-default-hint":"all values"}"#
        );
        // createrawtransaction's outputs, from rpc_openrpc.py.
        let outputs = Arg::required("outputs", ArgType::Arr, "")
            .skip_type_check()
            .with_inner(vec![
                Arg::omitted("", ArgType::ObjUserKeys, "").with_inner(vec![Arg::required(
                    "address",
                    ArgType::Amount,
                    "A key-value pair. The key (string) is the bitcoin address, the value (float or string) is the amount in BTC",
                )]),
                Arg::omitted("", ArgType::Obj, "").with_inner(vec![Arg::required(
                    "data",
                    ArgType::StrHex,
                    "A key-value pair. The key must be \"data\", the value is hex-encoded data that becomes a part of an OP_RETURN output",
                )]),
            ]);
        let got = arg_schema(&outputs, false, false);
        let address_obj = json!({"type": "object", "additionalProperties": {"oneOf": [{"type": "number"},{"type": "string"}]}, "description": "A key-value pair. The key (string) is the bitcoin address, the value (float or string) is the amount in BTC"});
        let data_obj = json!({"type": "object", "properties": { "data": {"type": "string", "pattern": "^[0-9a-fA-F]+$", "description": "A key-value pair. The key must be \"data\", the value is hex-encoded data that becomes a part of an OP_RETURN output"}}, "additionalProperties": false, "required": ["data"]});
        assert_eq!(
            got,
            json!({"oneOf": [{"type": "array", "items": {"anyOf": [address_obj, data_obj]}}, {"type": "object"}]})
        );
    }
}
