//! Commands served by another process (Core's `Chain::handleRpc`): a command's description
//! travels as JSON so the node's table shows the same help and runs the same argument
//! checks, and each request and reply travels as JSON to the process that runs it.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};

use serde_json::{json, Map, Value};

use crate::args::{Arg, ArgType, Fallback};
use crate::codes::RPC_MISC_ERROR;
use crate::error::{RpcError, RpcResult};
use crate::request::{RawKeys, Request};
use crate::results::{Elision, ResultDoc, ResultType};
use crate::table::{Command, Handler, Table};

/// Why a description or message from another process was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoteError(pub String);

impl std::fmt::Display for RemoteError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "bad remote RPC message: {}", self.0)
    }
}

impl std::error::Error for RemoteError {}

fn bad(what: &str) -> RemoteError {
    RemoteError(what.to_string())
}

/// Commands, argument and result texts are `&'static str` in the table. Texts from
/// another process are leaked once each and reused, so a wallet process that restarts
/// and registers again adds nothing.
fn intern(s: &str) -> &'static str {
    static TEXTS: Mutex<Option<HashSet<&'static str>>> = Mutex::new(None);
    let mut guard = TEXTS.lock().unwrap_or_else(|e| e.into_inner());
    let set = guard.get_or_insert_with(HashSet::new);
    if let Some(s) = set.get(s) {
        return s;
    }
    let leaked: &'static str = Box::leak(s.to_string().into_boxed_str());
    set.insert(leaked);
    leaked
}

const ARG_TYPES: [(ArgType, &str); 10] = [
    (ArgType::Str, "str"),
    (ArgType::Num, "num"),
    (ArgType::Bool, "bool"),
    (ArgType::Obj, "obj"),
    (ArgType::ObjNamedParams, "obj_named_params"),
    (ArgType::Arr, "arr"),
    (ArgType::StrHex, "str_hex"),
    (ArgType::ObjUserKeys, "obj_user_keys"),
    (ArgType::Amount, "amount"),
    (ArgType::Range, "range"),
];

const RESULT_TYPES: [(ResultType, &str); 12] = [
    (ResultType::Obj, "obj"),
    (ResultType::Arr, "arr"),
    (ResultType::Str, "str"),
    (ResultType::Num, "num"),
    (ResultType::Bool, "bool"),
    (ResultType::None, "none"),
    (ResultType::Any, "any"),
    (ResultType::StrAmount, "str_amount"),
    (ResultType::StrHex, "str_hex"),
    (ResultType::ObjDyn, "obj_dyn"),
    (ResultType::ArrFixed, "arr_fixed"),
    (ResultType::NumTime, "num_time"),
];

fn str_field(v: &Value, key: &str) -> Result<&'static str, RemoteError> {
    v.get(key)
        .and_then(Value::as_str)
        .map(intern)
        .ok_or_else(|| bad(key))
}

fn bool_field(v: &Value, key: &str) -> bool {
    v.get(key).and_then(Value::as_bool).unwrap_or(false)
}

fn arg_to_json(a: &Arg) -> Value {
    let ty = ARG_TYPES
        .iter()
        .find(|(t, _)| *t == a.ty)
        .map(|(_, n)| *n)
        .unwrap_or("str");
    let fallback = match &a.fallback {
        Fallback::Required => json!({"kind": "required"}),
        Fallback::Omitted => json!({"kind": "omitted"}),
        Fallback::Default(v) => json!({"kind": "default", "value": v}),
        Fallback::Hint(h) => json!({"kind": "hint", "text": h}),
    };
    json!({
        "names": a.names,
        "type": ty,
        "fallback": fallback,
        "description": a.description,
        "inner": a.inner.iter().map(arg_to_json).collect::<Vec<_>>(),
        "skip_type_check": a.skip_type_check,
        "hidden": a.hidden,
        "also_positional": a.also_positional,
        "type_str": a.type_str.map(|(k, d)| json!([k, d])),
        "oneline": a.oneline_description,
        "placeholder": a.placeholder,
    })
}

fn arg_from_json(v: &Value, depth: usize) -> Result<Arg, RemoteError> {
    if depth > 16 {
        return Err(bad("arguments nested too deeply"));
    }
    let ty_name = v.get("type").and_then(Value::as_str).unwrap_or_default();
    let ty = ARG_TYPES
        .iter()
        .find(|(_, n)| *n == ty_name)
        .map(|(t, _)| *t)
        .ok_or_else(|| bad("argument type"))?;
    let fb = v.get("fallback").ok_or_else(|| bad("fallback"))?;
    let fallback = match fb.get("kind").and_then(Value::as_str) {
        Some("required") => Fallback::Required,
        Some("omitted") => Fallback::Omitted,
        Some("default") => Fallback::Default(fb.get("value").cloned().unwrap_or(Value::Null)),
        Some("hint") => Fallback::Hint(str_field(fb, "text")?),
        _ => return Err(bad("fallback kind")),
    };
    let inner = match v.get("inner") {
        Some(Value::Array(items)) => items
            .iter()
            .map(|i| arg_from_json(i, depth + 1))
            .collect::<Result<Vec<_>, _>>()?,
        _ => Vec::new(),
    };
    let type_str = match v.get("type_str") {
        Some(Value::Array(pair)) if pair.len() == 2 => Some((
            intern(pair[0].as_str().unwrap_or_default()),
            intern(pair[1].as_str().unwrap_or_default()),
        )),
        _ => None,
    };
    Ok(Arg {
        names: str_field(v, "names")?,
        ty,
        fallback,
        description: str_field(v, "description")?,
        inner,
        skip_type_check: bool_field(v, "skip_type_check"),
        hidden: bool_field(v, "hidden"),
        also_positional: bool_field(v, "also_positional"),
        type_str,
        oneline_description: v.get("oneline").and_then(Value::as_str).map(intern),
        placeholder: bool_field(v, "placeholder"),
    })
}

fn result_to_json(r: &ResultDoc) -> Value {
    let ty = RESULT_TYPES
        .iter()
        .find(|(t, _)| *t == r.ty)
        .map(|(_, n)| *n)
        .unwrap_or("any");
    let elision = match &r.elision {
        Elision::None => Value::Null,
        Elision::Text(t) => json!({"text": t}),
        Elision::Skip => json!("skip"),
    };
    json!({
        "cond": r.cond,
        "type": ty,
        "key": r.key,
        "optional": r.optional,
        "description": r.description,
        "inner": r.inner.iter().map(result_to_json).collect::<Vec<_>>(),
        "skip_type_check": r.skip_type_check,
        "elision": elision,
    })
}

fn result_from_json(v: &Value, depth: usize) -> Result<ResultDoc, RemoteError> {
    if depth > 32 {
        return Err(bad("results nested too deeply"));
    }
    let ty_name = v.get("type").and_then(Value::as_str).unwrap_or_default();
    let ty = RESULT_TYPES
        .iter()
        .find(|(_, n)| *n == ty_name)
        .map(|(t, _)| *t)
        .ok_or_else(|| bad("result type"))?;
    let inner = match v.get("inner") {
        Some(Value::Array(items)) => items
            .iter()
            .map(|i| result_from_json(i, depth + 1))
            .collect::<Result<Vec<_>, _>>()?,
        _ => Vec::new(),
    };
    let elision = match v.get("elision") {
        Some(Value::String(s)) if s == "skip" => Elision::Skip,
        Some(Value::Object(o)) => Elision::Text(intern(
            o.get("text").and_then(Value::as_str).unwrap_or_default(),
        )),
        _ => Elision::None,
    };
    Ok(ResultDoc {
        cond: str_field(v, "cond")?,
        ty,
        key: str_field(v, "key")?,
        optional: bool_field(v, "optional"),
        description: str_field(v, "description")?,
        inner,
        skip_type_check: bool_field(v, "skip_type_check"),
        elision,
    })
}

/// The JSON description of the registered command `name` (with its structured results),
/// for [`command_from_description`] in another process.
pub fn describe(table: &Table, name: &str) -> Option<String> {
    let cmd = table.command(name)?;
    let results = table
        .results(name)
        .map(|r| r.iter().map(result_to_json).collect::<Vec<_>>());
    Some(
        json!({
            "category": cmd.category,
            "name": cmd.name,
            "description": cmd.description,
            "args": cmd.args.iter().map(arg_to_json).collect::<Vec<_>>(),
            "result": cmd.result,
            "examples": cmd.examples,
            "results": results,
        })
        .to_string(),
    )
}

/// A command built from a [`describe`] text, answered by `handler`, with its structured
/// results if it had any.
pub fn command_from_description(
    text: &str,
    handler: Handler,
) -> Result<(Command, Option<Vec<ResultDoc>>), RemoteError> {
    let v: Value = serde_json::from_str(text).map_err(|_| bad("not JSON"))?;
    let args = match v.get("args") {
        Some(Value::Array(items)) => items
            .iter()
            .map(|i| arg_from_json(i, 0))
            .collect::<Result<Vec<_>, _>>()?,
        _ => return Err(bad("args")),
    };
    let results = match v.get("results") {
        Some(Value::Array(items)) => Some(
            items
                .iter()
                .map(|i| result_from_json(i, 0))
                .collect::<Result<Vec<_>, _>>()?,
        ),
        _ => None,
    };
    let cmd = Command {
        category: str_field(&v, "category")?,
        name: str_field(&v, "name")?,
        description: str_field(&v, "description")?,
        args,
        result: str_field(&v, "result")?,
        examples: std::borrow::Cow::Owned(
            v.get("examples")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string(),
        ),
        handler,
    };
    Ok((cmd, results))
}

/// A request, already checked by the node's table, as JSON for the serving process.
pub fn encode_request(req: &Request) -> String {
    json!({
        "id": req.id,
        "method": req.method,
        "params": req.params,
        "uri": req.uri,
        "user": req.user,
        "peer": req.peer_addr,
        "object_keys": req.object_keys,
    })
    .to_string()
}

/// The request [`encode_request`] wrote.
pub fn decode_request(text: &str) -> Result<Request, RemoteError> {
    let v: Value = serde_json::from_str(text).map_err(|_| bad("request is not JSON"))?;
    let s = |k: &str| {
        v.get(k)
            .and_then(Value::as_str)
            .map(str::to_string)
            .ok_or_else(|| bad(k))
    };
    let params = match v.get("params") {
        Some(Value::Array(p)) => p.clone(),
        _ => return Err(bad("params")),
    };
    let object_keys: Vec<Option<Vec<String>>> = match v.get("object_keys") {
        Some(Value::Array(items)) => items
            .iter()
            .map(|k| {
                k.as_array().map(|keys| {
                    keys.iter()
                        .filter_map(|k| k.as_str().map(str::to_string))
                        .collect()
                })
            })
            .collect(),
        _ => Vec::new(),
    };
    Ok(Request {
        id: v.get("id").cloned().unwrap_or(Value::Null),
        method: s("method")?,
        params,
        uri: s("uri")?,
        user: s("user")?,
        peer_addr: s("peer")?,
        defaults: Arc::default(),
        object_keys: object_keys.clone(),
        raw_keys: RawKeys {
            positional: object_keys,
            named: Vec::new(),
        },
    })
}

/// A handler's outcome as JSON for the node.
pub fn encode_reply(result: &RpcResult) -> String {
    let mut obj = Map::new();
    match result {
        Ok(v) => {
            obj.insert("result".into(), v.clone());
        }
        Err(e) => {
            obj.insert("error".into(), e.to_json());
        }
    }
    Value::Object(obj).to_string()
}

/// The outcome [`encode_reply`] wrote; a malformed reply is a `-1` error.
pub fn decode_reply(text: &str) -> RpcResult {
    let v: Value = serde_json::from_str(text)
        .map_err(|_| RpcError::new(RPC_MISC_ERROR, "Malformed reply from the wallet process"))?;
    if let Some(e) = v.get("error") {
        let code = e
            .get("code")
            .and_then(Value::as_i64)
            .and_then(|c| i32::try_from(c).ok())
            .unwrap_or(RPC_MISC_ERROR);
        let message = e.get("message").and_then(Value::as_str).unwrap_or_default();
        return Err(RpcError::new(code, message));
    }
    v.get("result")
        .cloned()
        .ok_or_else(|| RpcError::new(RPC_MISC_ERROR, "Malformed reply from the wallet process"))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn sample() -> Command {
        Command {
            category: "wallet",
            name: "getbalance",
            description: "Returns the total available balance.\n",
            args: vec![
                Arg::hint(
                    "dummy",
                    ArgType::Str,
                    "",
                    "Remains for backward compatibility.",
                )
                .oneline("\"*\""),
                Arg::optional("minconf", ArgType::Num, Value::from(0), "Only include...")
                    .with_inner(vec![Arg::required("x", ArgType::Amount, "inner")]),
                Arg::omitted("avoid_reuse", ArgType::Bool, "Do not include...")
                    .type_str("bool", "boolean")
                    .hidden(),
            ],
            result: "",
            examples: "> bitcoin-cli getbalance\n".into(),
            handler: Arc::new(|_r: &Request| Ok(Value::from(1))),
        }
    }

    #[test]
    fn a_described_command_has_the_same_help_and_checks() {
        let table = Table::new();
        table.register(sample());
        table.set_results(
            "getbalance",
            vec![ResultDoc::new(ResultType::StrAmount, "", "The balance").elide_skip()],
        );
        let text = describe(&table, "getbalance").unwrap();
        let (cmd, results) =
            command_from_description(&text, Arc::new(|_r: &Request| Ok(Value::from(2)))).unwrap();
        let other = Table::new();
        other.register(cmd);
        other.set_results("getbalance", results.unwrap());
        other.set_warmup(None);
        table.set_warmup(None);
        assert_eq!(other.help("getbalance"), table.help("getbalance"));
        assert_eq!(other.help(""), table.help(""));
        let req = Request {
            method: "getbalance".into(),
            params: vec![Value::from("*"), Value::from("x")],
            ..Default::default()
        };
        assert_eq!(
            other.execute(req.clone()).unwrap_err(),
            table.execute(req).unwrap_err()
        );
        assert!(command_from_description("{}", Arc::new(|_r: &Request| Ok(Value::Null))).is_err());
        assert!(command_from_description("[", Arc::new(|_r: &Request| Ok(Value::Null))).is_err());
    }

    #[test]
    fn requests_and_replies_round_trip() {
        let req = Request {
            id: Value::from(7),
            method: "sendmany".into(),
            params: vec![
                Value::from(""),
                serde_json::from_str("{\"a\":1.10000000,\"a\":2}").unwrap(),
            ],
            uri: "/wallet/w1".into(),
            user: "u".into(),
            peer_addr: "127.0.0.1:1".into(),
            object_keys: vec![None, Some(vec!["a".into(), "a".into()])],
            ..Default::default()
        };
        let back = decode_request(&encode_request(&req)).unwrap();
        assert_eq!(back.params, req.params);
        assert_eq!(back.params[1].to_string(), req.params[1].to_string());
        assert_eq!(back.object_keys, req.object_keys);
        assert_eq!(back.uri, "/wallet/w1");
        let ok: RpcResult = Ok(Value::from(3));
        assert_eq!(decode_reply(&encode_reply(&ok)).unwrap(), Value::from(3));
        let e = RpcError::new(-18, "Requested wallet does not exist");
        assert_eq!(decode_reply(&encode_reply(&Err(e.clone()))).unwrap_err(), e);
        assert!(decode_reply("nonsense").is_err());
        assert!(decode_request("{}").is_err());
    }
}
