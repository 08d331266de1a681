#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use serde_json::json;

use super::*;
use crate::args::{Arg, ArgType};
use crate::codes::RPC_INVALID_PARAMETER;
use crate::table::Command;

const GENESIS: &str = "0f9188f13cb7b2c71f2a335e3a4fc328bf5beb436012afca590b1a11466e2206";

fn table(counter: Arc<AtomicUsize>) -> Table {
    let t = Table::new();
    t.set_warmup(None);
    t.register(Command {
        category: "blockchain",
        name: "getblockcount",
        description: "Count.",
        args: vec![],
        result: "",
        examples: "".into(),
        handler: Arc::new(|_r: &Request| Ok(json!(0))),
    });
    t.register(Command {
        category: "blockchain",
        name: "getblockhash",
        description: "Hash.",
        args: vec![Arg::required("height", ArgType::Num, "")],
        result: "",
        examples: "".into(),
        handler: Arc::new(|r: &Request| {
            if r.arg_i64(0)? == 0 {
                Ok(json!(GENESIS))
            } else {
                Err(RpcError::new(
                    RPC_INVALID_PARAMETER,
                    "Block height out of range",
                ))
            }
        }),
    });
    t.register(Command {
        category: "generating",
        name: "bump",
        description: "Counts calls.",
        args: vec![],
        result: "",
        examples: "".into(),
        handler: Arc::new(move |_r: &Request| {
            counter.fetch_add(1, Ordering::SeqCst);
            Ok(Value::Null)
        }),
    });
    t
}

fn run(body: &str) -> (u16, String) {
    let t = table(Arc::new(AtomicUsize::new(0)));
    let r = handle_json_rpc(&t, body, "/", "u", "127.0.0.1:1");
    (r.status, r.body)
}

#[test]
fn legacy_replies() {
    assert_eq!(
        run(r#"{"method":"getblockhash","params":[0],"id":1}"#),
        (
            200,
            format!("{{\"result\":\"{GENESIS}\",\"error\":null,\"id\":1}}\n")
        )
    );
    assert_eq!(
        run(r#"{"method":"invalidmethod","params":[],"id":0}"#),
        (404, "{\"result\":null,\"error\":{\"code\":-32601,\"message\":\"Method not found\"},\"id\":0}\n".into())
    );
    assert_eq!(
        run(r#"{"method":"getblockhash","params":[42],"id":0}"#),
        (500, "{\"result\":null,\"error\":{\"code\":-8,\"message\":\"Block height out of range\"},\"id\":0}\n".into())
    );
    // No id: the reply has none either.
    assert_eq!(
        run(r#"{"method":"getblockcount"}"#),
        (200, "{\"result\":0,\"error\":null}\n".into())
    );
    assert_eq!(
        run(r#"{"jsonrpc":"1.0","method":"getblockcount","id":"x"}"#),
        (200, "{\"result\":0,\"error\":null,\"id\":\"x\"}\n".into())
    );
}

#[test]
fn parse_errors() {
    let parse_error =
        "{\"result\":null,\"error\":{\"code\":-32700,\"message\":\"Parse error\"},\"id\":null}\n";
    assert_eq!(run(""), (500, parse_error.into()));
    assert_eq!(run("this is bad"), (500, parse_error.into()));
    assert_eq!(
        run("5"),
        (500, "{\"result\":null,\"error\":{\"code\":-32700,\"message\":\"Top-level object parse error\"},\"id\":null}\n".into())
    );
}

#[test]
fn invalid_requests() {
    assert_eq!(
        run(r#"{"jsonrpc": 2, "method": "getblockcount"}"#),
        (400, "{\"result\":null,\"error\":{\"code\":-32600,\"message\":\"jsonrpc field must be a string\"}}\n".into())
    );
    assert_eq!(
        run(r#"{"jsonrpc": "3.0", "method": "getblockcount"}"#),
        (400, "{\"result\":null,\"error\":{\"code\":-32600,\"message\":\"JSON-RPC version not supported\"}}\n".into())
    );
    assert_eq!(
        run(r#"{"id": 1}"#),
        (400, "{\"result\":null,\"error\":{\"code\":-32600,\"message\":\"Missing method\"},\"id\":1}\n".into())
    );
    assert_eq!(
        run(r#"{"id": 1, "method": 5}"#),
        (400, "{\"result\":null,\"error\":{\"code\":-32600,\"message\":\"Method must be a string\"},\"id\":1}\n".into())
    );
    assert_eq!(
        run(r#"{"id": 1, "method": "getblockcount", "params": 5}"#),
        (400, "{\"result\":null,\"error\":{\"code\":-32600,\"message\":\"Params must be an array or object\"},\"id\":1}\n".into())
    );
    // A 2.0 request failing to parse still gets an HTTP error, in 2.0 shape.
    assert_eq!(
        run(r#"{"jsonrpc": "2.0", "id": 1}"#),
        (400, "{\"jsonrpc\":\"2.0\",\"error\":{\"code\":-32600,\"message\":\"Missing method\"},\"id\":1}\n".into())
    );
}

#[test]
fn v2_replies_and_notifications() {
    assert_eq!(
        run(r#"{"jsonrpc":"2.0","method":"invalidmethod","params":[],"id":0}"#),
        (200, "{\"jsonrpc\":\"2.0\",\"error\":{\"code\":-32601,\"message\":\"Method not found\"},\"id\":0}\n".into())
    );
    assert_eq!(
        run(r#"{"jsonrpc":"2.0","id":null,"method":"getblockcount"}"#),
        (
            200,
            "{\"jsonrpc\":\"2.0\",\"result\":0,\"id\":null}\n".into()
        )
    );
    let counter = Arc::new(AtomicUsize::new(0));
    let t = table(counter.clone());
    let r = handle_json_rpc(
        &t,
        r#"{"jsonrpc":"2.0","method":"bump","params":[]}"#,
        "/",
        "u",
        "p",
    );
    assert_eq!((r.status, r.body.as_str()), (204, ""));
    assert_eq!(counter.load(Ordering::SeqCst), 1);
    let r = handle_json_rpc(
        &t,
        r#"{"jsonrpc":"2.0","method":"getblockhash","params":[1]}"#,
        "/",
        "u",
        "p",
    );
    assert_eq!((r.status, r.body.as_str()), (204, ""));
}

#[test]
fn batches() {
    assert_eq!(run("[]"), (200, "[]\n".into()));
    let body = r#"[{"method":"getblockcount","id":1},{"method":"invalidmethod","id":2},{"method":"getblockhash","params":[0],"id":3},{"pizza":"sausage","id":4}]"#;
    assert_eq!(
        run(body),
        (200, format!("[{{\"result\":0,\"error\":null,\"id\":1}},{{\"result\":null,\"error\":{{\"code\":-32601,\"message\":\"Method not found\"}},\"id\":2}},{{\"result\":\"{GENESIS}\",\"error\":null,\"id\":3}},{{\"result\":null,\"error\":{{\"code\":-32600,\"message\":\"Missing method\"}},\"id\":4}}]\n"))
    );
    let body = r#"[{"jsonrpc":"2.0","method":"getblockcount"},{"jsonrpc":"2.0","method":"invalidmethod","id":2}]"#;
    assert_eq!(
        run(body),
        (200, "[{\"jsonrpc\":\"2.0\",\"error\":{\"code\":-32601,\"message\":\"Method not found\"},\"id\":2}]\n".into())
    );
    let body = r#"[{"jsonrpc":"2.0","method":"getblockcount"},{"jsonrpc":"2.0","method":"x"}]"#;
    assert_eq!(run(body), (204, String::new()));
    // Non-object members reuse the previous member's id and version, as Core does.
    let body = r#"[{"method":"getblockcount","id":7},5]"#;
    assert_eq!(
        run(body),
        (200, "[{\"result\":0,\"error\":null,\"id\":7},{\"result\":null,\"error\":{\"code\":-32600,\"message\":\"Invalid Request object\"},\"id\":7}]\n".into())
    );
    assert_eq!(
        run("[1]"),
        (200, "[{\"result\":null,\"error\":{\"code\":-32600,\"message\":\"Invalid Request object\"},\"id\":null}]\n".into())
    );
}

#[test]
fn whitelists() {
    let t = table(Arc::new(AtomicUsize::new(0)));
    let lines = Arc::new(Mutex::new(Vec::<String>::new()));
    let sink = lines.clone();
    let log = move |_c: Option<&'static str>, m: &str| sink.lock().unwrap().push(m.to_string());
    let wl = Whitelist::from_args(
        &[
            "alice:getblockcount,getblockhash".into(),
            "alice:getblockcount".into(),
        ],
        None,
    );
    assert!(wl.default_deny);
    let caller = |user: &'static str| Caller {
        uri: "/",
        user,
        peer_addr: "127.0.0.1:5",
        log_ips: false,
    };
    let go = |user: &'static str, body: &str| {
        handle_json_rpc_full(&t, body.as_bytes(), caller(user), Some(&wl), &log)
    };
    assert_eq!(
        go("alice", r#"{"method":"getblockcount","id":1}"#).status,
        200
    );
    let r = go("alice", r#"{"method":"getblockhash","params":[0],"id":1}"#);
    assert_eq!((r.status, r.body.as_str()), (403, ""));
    let r = go("bob", r#"{"method":"getblockcount","id":1}"#);
    assert_eq!((r.status, r.body.as_str()), (403, ""));
    let r = go(
        "alice",
        r#"[{"method":"getblockcount","id":1},{"method":"getblockhash","id":2}]"#,
    );
    assert_eq!(r.status, 403);
    let r = go("alice", r#"[{"id":2}]"#);
    assert_eq!(
        (r.status, r.body.as_str()),
        (500, "{\"result\":null,\"error\":{\"code\":-32700,\"message\":\"JSON value of type null is not of expected type string\"},\"id\":null}\n")
    );
    let got = lines.lock().unwrap().clone();
    assert!(got
        .contains(&"[warning] RPC User alice not allowed to call method getblockhash".to_string()));
    assert!(got.contains(&"[warning] RPC User bob not allowed to call any methods".to_string()));
    assert!(got.contains(&"ThreadRPCServer method=getblockcount user=alice id=1".to_string()));
    // rpcwhitelistdefault=0 lets users without a list call anything.
    let open = Whitelist::from_args(&["alice:getblockcount".into()], Some(false));
    let r = handle_json_rpc_full(
        &t,
        br#"{"method":"getblockhash","params":[0]}"#,
        caller("bob"),
        Some(&open),
        &log,
    );
    assert_eq!(r.status, 200);
    // A user listed with no methods may call nothing.
    let empty = Whitelist::from_args(&["carol".into()], Some(false));
    let r = handle_json_rpc_full(
        &t,
        br#"{"method":"getblockcount"}"#,
        caller("carol"),
        Some(&empty),
        &log,
    );
    assert_eq!(r.status, 403);
}

#[test]
fn request_context_reaches_handlers() {
    let t = Table::new();
    t.set_warmup(None);
    t.register(Command {
        category: "wallet",
        name: "whoami",
        description: "Echo.",
        args: vec![],
        result: "",
        examples: "".into(),
        handler: Arc::new(|r: &Request| {
            Ok(json!([r.user, r.peer_addr, r.uri, r.wallet_name(), r.id]))
        }),
    });
    let r = handle_json_rpc(
        &t,
        r#"{"method":"whoami","id":"q"}"#,
        "/wallet/w%201",
        "bob",
        "[::1]:4",
    );
    assert_eq!(r.body, "{\"result\":[\"bob\",\"[::1]:4\",\"/wallet/w%201\",\"w 1\",\"q\"],\"error\":null,\"id\":\"q\"}\n");
}

#[test]
fn whitelist_parsing_as_rpc_whitelist_py() {
    let entries: Vec<String> = [
        "user1:getbestblockhash,getblockcount,",
        "strangedude:",
        "strangedude3:getblockcount,",
        "strangedude4:getblockcount, getbestblockhash",
        "strangedude4:getblockcount",
        "strangedude5:getblockcount,getblockcount",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let wl = Whitelist::from_args(&entries, Some(false));
    let set = |u: &str| {
        wl.users
            .get(u)
            .unwrap()
            .iter()
            .filter(|m| !m.is_empty())
            .cloned()
            .collect::<Vec<_>>()
    };
    assert_eq!(set("user1"), vec!["getbestblockhash", "getblockcount"]);
    assert!(set("strangedude").is_empty());
    assert_eq!(set("strangedude3"), vec!["getblockcount"]);
    assert_eq!(set("strangedude4"), vec!["getblockcount"]);
    assert_eq!(set("strangedude5"), vec!["getblockcount"]);
    assert!(!wl.default_deny);
    assert!(Whitelist::from_args(&entries, None).default_deny);
    assert!(Whitelist::from_args(&[], Some(true)).default_deny);
}
