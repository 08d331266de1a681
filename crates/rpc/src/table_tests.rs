#![allow(clippy::unwrap_used, clippy::expect_used)]

use super::*;
use crate::json::{parse, write};
use serde_json::json;

fn named(text: &str) -> Vec<(String, Value)> {
    match parse(text.as_bytes()).unwrap() {
        Raw::Object(entries) => entries
            .into_iter()
            .map(|(k, v)| (k, crate::json::to_value(&v)))
            .collect(),
        _ => panic!("not an object"),
    }
}

fn transform(args: &[Arg], text: &str) -> Result<String, RpcError> {
    transform_named(args, named(text)).map(|v| write(&Value::Array(v)))
}

fn five_args() -> Vec<Arg> {
    ["arg1", "arg2", "arg3", "arg4", "arg5"]
        .iter()
        .map(|n| Arg::omitted(n, ArgType::Num, ""))
        .collect()
}

fn param_err(msg: &str) -> Result<String, RpcError> {
    Err(RpcError::new(RPC_INVALID_PARAMETER, msg))
}

#[test]
fn named_params_as_core() {
    let a = five_args();
    assert_eq!(
        transform(&a, r#"{"arg2": 2, "arg4": 4}"#).unwrap(),
        "[null,2,null,4]"
    );
    assert_eq!(
        transform(&a, r#"{"arg2": 2, "arg2": 4}"#),
        param_err("Parameter arg2 specified multiple times")
    );
    assert_eq!(
        transform(&a, r#"{"arg5": 5, "args": [1, 2], "arg4": 4}"#).unwrap(),
        "[1,2,null,4,5]"
    );
    assert_eq!(
        transform(&a, r#"{"arg2": 2, "unknown": 6}"#),
        param_err("Unknown named parameter unknown")
    );
    assert_eq!(
        transform(&a, r#"{"args": [1,2,3], "arg4": 4, "arg2": 2}"#),
        param_err("Parameter arg2 specified twice both as positional and named argument")
    );
    assert_eq!(
        transform(&a, r#"{"args": [1,2,3,4,5,6,7,8,9,10]}"#).unwrap(),
        "[1,2,3,4,5,6,7,8,9,10]"
    );
    // A non-array "args" is dropped silently, as Core does.
    assert_eq!(transform(&a, r#"{"args": 5, "arg1": 1}"#).unwrap(), "[1]");
}

fn options_args() -> Vec<Arg> {
    vec![
        Arg::omitted("arg1", ArgType::Num, ""),
        Arg::omitted("arg2", ArgType::Num, ""),
        Arg::omitted("options", ArgType::ObjNamedParams, "").with_inner(vec![
            Arg::omitted("opt1", ArgType::Num, ""),
            Arg::omitted("opt2", ArgType::Num, ""),
        ]),
    ]
}

#[test]
fn named_only_params_as_core() {
    let a = options_args();
    assert_eq!(transform(&a, r#"{"arg1": 1, "arg2": 2}"#).unwrap(), "[1,2]");
    assert_eq!(
        transform(&a, r#"{"arg1": 1, "arg2": 2, "opt1": 10, "opt2": 20}"#).unwrap(),
        r#"[1,2,{"opt1":10,"opt2":20}]"#
    );
    assert_eq!(
        transform(
            &a,
            r#"{"arg1": 1, "arg2": 2, "options":{"opt1": 10, "opt2": 20}}"#
        )
        .unwrap(),
        r#"[1,2,{"opt1":10,"opt2":20}]"#
    );
    assert_eq!(
        transform(
            &a,
            r#"{"arg1": 1, "arg2": 2, "opt1": 10, "options":{"opt1": 10}}"#
        ),
        param_err("Parameter options conflicts with parameter opt1")
    );
    assert_eq!(
        transform(&a, r#"{"args": [1, 2, {"opt1": 10}], "opt2": 20}"#),
        param_err("Parameter options specified twice both as positional and named argument")
    );
    assert_eq!(
        transform(&a, r#"{"opt2": 20}"#).unwrap(),
        r#"[null,null,{"opt2":20}]"#
    );
}

fn echo_table() -> Table {
    let t = Table::new();
    t.set_warmup(None);
    t.register(Command {
        category: "blockchain",
        name: "getblock",
        description: "If verbosity is 0, returns a string.\nOtherwise an object.\n",
        args: vec![
            Arg::required("blockhash", ArgType::StrHex, "The block hash"),
            Arg::optional(
                "verbosity|verbose",
                ArgType::Num,
                json!(1),
                "0 for hex-encoded data",
            )
            .skip_type_check(),
        ],
        result: "\"hex\"    (string) A string that is serialized",
        examples: "> bitcoin-cli getblock \"00\"\n".into(),
        handler: Arc::new(|r: &Request| {
            Ok(json!([
                r.arg_str(0)?,
                r.arg_value(1)?.clone(),
                r.params.len()
            ]))
        }),
    });
    t.register(Command {
        category: "util",
        name: "typed",
        description: "Types.",
        args: vec![
            Arg::required("s", ArgType::Str, ""),
            Arg::required("n", ArgType::Num, ""),
            Arg::omitted("b", ArgType::Bool, ""),
            Arg::omitted("o", ArgType::Obj, ""),
            Arg::omitted("a", ArgType::Arr, ""),
            Arg::omitted("amount", ArgType::Amount, ""),
        ],
        result: "",
        examples: "".into(),
        handler: Arc::new(|_r: &Request| Ok(Value::Null)),
    });
    t.register(Command {
        category: "hidden",
        name: "secret",
        description: "Hidden command.",
        args: vec![],
        result: "",
        examples: "".into(),
        handler: Arc::new(|_r: &Request| panic!("boom")),
    });
    t.register(Command {
        category: "control",
        name: "stop",
        description: "Request a graceful shutdown of Bitcoin Core.",
        args: vec![Arg::omitted("wait", ArgType::Num, "how long to wait in ms").hidden()],
        result: "\"str\"    (string) A string with the content 'Bitcoin Core stopping'",
        examples: "".into(),
        handler: Arc::new(|_r: &Request| Ok(json!("Bitcoin Core stopping"))),
    });
    t
}

fn call(t: &Table, method: &str, params: Value) -> RpcResult {
    let p = match params {
        Value::Array(a) => Params::Positional(a),
        Value::Object(o) => Params::Named(o.into_iter().collect()),
        _ => Params::Positional(vec![]),
    };
    t.execute_params(Request::new(method, vec![]), p)
}

#[test]
fn warmup_and_lookup() {
    let t = echo_table();
    t.set_warmup(Some("Loading block index…".into()));
    assert_eq!(
        call(&t, "nosuch", json!([])),
        Err(RpcError::new(RPC_IN_WARMUP, "Loading block index…"))
    );
    assert_eq!(
        call(&t, "help", json!([])),
        Err(RpcError::new(RPC_IN_WARMUP, "Loading block index…"))
    );
    t.set_warmup(None);
    assert_eq!(
        call(&t, "nosuch", json!([])),
        Err(RpcError::new(RPC_METHOD_NOT_FOUND, "Method not found"))
    );
    let fresh = Table::new();
    assert_eq!(
        fresh.execute(Request::new("help", vec![])),
        Err(RpcError::new(RPC_IN_WARMUP, "RPC server started"))
    );
}

#[test]
fn defaults_and_named_calls() {
    let t = echo_table();
    assert_eq!(
        call(&t, "getblock", json!(["00"])).unwrap(),
        json!(["00", 1, 1])
    );
    assert_eq!(
        call(&t, "getblock", json!({"blockhash": "ab", "verbose": 2})).unwrap(),
        json!(["ab", 2, 2])
    );
    assert_eq!(
        call(&t, "getblock", json!(["00", "x"])).unwrap(),
        json!(["00", "x", 2])
    );
}

#[test]
fn argument_count_gives_help() {
    let t = echo_table();
    let err = call(&t, "getblock", json!([])).unwrap_err();
    assert_eq!(err.code, RPC_MISC_ERROR);
    assert_eq!(Some(err.message), t.help_text("getblock"));
    let err = call(&t, "getblock", json!(["a", 1, 2])).unwrap_err();
    assert_eq!(err.code, RPC_MISC_ERROR);
    assert!(err
        .message
        .starts_with("getblock \"blockhash\" ( verbosity )\n"));
}

#[test]
fn type_errors_as_core() {
    let t = echo_table();
    let err = call(&t, "typed", json!([1, "x", 5, [], {}, {}])).unwrap_err();
    assert_eq!(err.code, RPC_TYPE_ERROR);
    assert_eq!(
        err.message,
        "Wrong type passed:\n{\n    \"Position 1 (s)\": \"JSON value of type number is not of expected type string\",\n    \"Position 2 (n)\": \"JSON value of type string is not of expected type number\",\n    \"Position 3 (b)\": \"JSON value of type number is not of expected type bool\",\n    \"Position 4 (o)\": \"JSON value of type array is not of expected type object\",\n    \"Position 5 (a)\": \"JSON value of type object is not of expected type array\"\n}"
    );
    // Missing required args in named form become nulls and fail the type check.
    let err = call(&t, "typed", json!({"n": 1, "b": true})).unwrap_err();
    assert_eq!(
        err.message,
        "Wrong type passed:\n{\n    \"Position 1 (s)\": \"JSON value of type null is not of expected type string\"\n}"
    );
    assert_eq!(
        call(&t, "typed", json!(["s", 1, null, null])),
        Ok(Value::Null)
    );
}

#[test]
fn panics_become_errors() {
    let t = echo_table();
    let err = call(&t, "secret", json!([])).unwrap_err();
    assert_eq!(
        err,
        RpcError::new(RPC_MISC_ERROR, "Internal bug detected: boom")
    );
    assert!(t.active_commands().is_empty());
}

#[test]
fn help_listing_as_core() {
    let t = echo_table();
    let listing = call(&t, "help", json!([])).unwrap();
    assert_eq!(
        listing,
        json!("== Blockchain ==\ngetblock \"blockhash\" ( verbosity )\n\n== Control ==\ngetopenrpcinfo ( show_hidden )\nhelp ( \"command\" )\nrpc.discover\nstop\n\n== Util ==\ntyped \"s\" n ( b {} [...] amount )")
    );
    assert_eq!(
        call(&t, "help", json!(["nosuch"])).unwrap(),
        json!("help: unknown command: nosuch")
    );
    assert_eq!(
        call(&t, "help", json!(["secret"])).unwrap(),
        json!("secret\n\nHidden command.\n")
    );
}

#[test]
fn full_help_as_core() {
    let t = echo_table();
    assert_eq!(
        t.help("getblock"),
        "getblock \"blockhash\" ( verbosity )\n\nIf verbosity is 0, returns a string.\nOtherwise an object.\n\nArguments:\n1. blockhash    (string, required) The block hash\n2. verbosity    (numeric, optional, default=1) 0 for hex-encoded data\n\nResult:\n\"hex\"    (string) A string that is serialized\n\nExamples:\n> bitcoin-cli getblock \"00\"\n"
    );
    assert_eq!(
        t.help("help"),
        "help ( \"command\" )\n\nList all commands, or get help for a specified command.\n\nArguments:\n1. command    (string, optional, default=all commands) The command to get help on\n\nResult:\n\"str\"    (string) The help text\n"
    );
    assert_eq!(
        t.help("stop"),
        "stop\n\nRequest a graceful shutdown of Bitcoin Core.\n\nResult:\n\"str\"    (string) A string with the content 'Bitcoin Core stopping'\n"
    );
}

#[test]
fn nested_help_sections() {
    let t = Table::new();
    t.register(Command {
        category: "rawtransactions",
        name: "createrawtransaction",
        description: "Create a transaction.",
        args: vec![
            Arg::required("inputs", ArgType::Arr, "The inputs").with_inner(vec![Arg::omitted(
                "",
                ArgType::Obj,
                "",
            )
            .with_inner(vec![
                Arg::required("txid", ArgType::StrHex, "The transaction id"),
                Arg::required("vout", ArgType::Num, "The output number"),
                Arg::hint("sequence", ArgType::Num, "depends", "The sequence number"),
            ])]),
            Arg::optional(
                "locktime",
                ArgType::Num,
                json!(0),
                "Raw locktime.\nNon-0 value also locktime-activates inputs",
            ),
        ],
        result: "",
        examples: "".into(),
        handler: Arc::new(|_r: &Request| Ok(Value::Null)),
    });
    let help = t.help("createrawtransaction");
    let expected: Vec<&str> = vec![
        "createrawtransaction [{\"txid\":\"hex\",\"vout\":n,\"sequence\":n},...] ( locktime )",
        "",
        "Create a transaction.",
        "",
        "Arguments:",
        "1. inputs                  (json array, required) The inputs",
        "     [",
        "       {                   (json object)",
        "         \"txid\": \"hex\",    (string, required) The transaction id",
        "         \"vout\": n,        (numeric, required) The output number",
        "         \"sequence\": n,    (numeric, optional, default=depends) The sequence number",
        "       },",
        "       ...",
        "     ]",
        "2. locktime                (numeric, optional, default=0) Raw locktime.",
        "                           Non-0 value also locktime-activates inputs",
        "",
    ];
    assert_eq!(help, expected.join("\n"));
}

#[test]
fn dump_conversions() {
    let t = echo_table();
    let v = call(&t, "help", json!(["dump_all_command_conversions"])).unwrap();
    let text = write(&v);
    assert!(text.starts_with("[[\"getblock\",0,\"blockhash\",true],[\"getblock\",1,\"verbosity\",false],[\"getblock\",1,\"verbose\",false],[\"getopenrpcinfo\",0,\"show_hidden\",false],[\"help\",0,\"command\",true]"));
}

#[test]
fn openrpc_documents() {
    let t = echo_table();
    let doc = call(&t, "getopenrpcinfo", json!([])).unwrap();
    assert_eq!(doc["openrpc"], json!("1.4.1"));
    assert_eq!(
        doc["info"],
        json!({"title": "Bitcoin Core JSON-RPC", "version": common::version::CLIENT_BUILD, "description": "Autogenerated from Bitcoin Core RPC metadata."})
    );
    assert_eq!(call(&t, "rpc.discover", json!([])).unwrap(), doc);
    let method = |d: &Value, name: &str| {
        d["methods"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["name"] == json!(name))
            .cloned()
    };
    assert!(method(&doc, "secret").is_none());
    assert_eq!(method(&doc, "stop").unwrap()["params"], json!([]));
    assert_eq!(method(&doc, "rpc.discover").unwrap()["params"], json!([]));
    let getblock = method(&doc, "getblock").unwrap();
    assert_eq!(
        write(&getblock),
        r#"{"name":"getblock","description":"If verbosity is 0, returns a string.\nOtherwise an object.","params":[{"name":"blockhash","required":true,"schema":{"type":"string","pattern":"^[0-9a-fA-F]+$"},"description":"The block hash"},{"name":"verbosity","required":false,"schema":{"default":1},"x-bitcoin-aliases":["verbose"],"description":"0 for hex-encoded data"}],"result":{"name":"result","schema":{}},"x-bitcoin-category":"blockchain"}"#
    );
    assert_eq!(
        method(&doc, "help").unwrap()["result"],
        json!({"name": "result", "schema": {"type": "string"}})
    );
    let hidden = call(&t, "getopenrpcinfo", json!([true])).unwrap();
    assert!(method(&hidden, "secret").is_some());
    assert_eq!(
        method(&hidden, "stop").unwrap()["params"][0]["schema"],
        json!({"type": "number"})
    );
    let help = t.help("getopenrpcinfo");
    assert!(help.starts_with("getopenrpcinfo ( show_hidden )\n\nReturns an OpenRPC document for currently available RPC commands.\n\nArguments:\n1. show_hidden    (boolean, optional, default=false) Also include hidden RPC commands and arguments.\n\nResult:\n{    "));
    assert!(help.contains("\n  \"openrpc\" : \"str\",  "));
    assert!(help.ends_with("\nExamples:\n> bitcoin-cli getopenrpcinfo \n> curl --user myusername --data-binary '{\"jsonrpc\": \"2.0\", \"id\": \"curltest\", \"method\": \"getopenrpcinfo\", \"params\": []}' -H 'content-type: application/json' http://127.0.0.1:8332/\n"));
}

#[test]
fn interruption() {
    let t = echo_table();
    assert!(t.is_running());
    assert_eq!(t.interruption_point(), Ok(()));
    t.interrupt();
    assert_eq!(
        t.interruption_point(),
        Err(RpcError::new(RPC_CLIENT_NOT_CONNECTED, "Shutting down"))
    );
}
