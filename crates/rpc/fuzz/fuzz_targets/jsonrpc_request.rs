//! Any request body a client may send, through the whole JSON-RPC layer:
//! parsing, batches, whitelists, named arguments, type checks and help. It
//! must never panic, and every reply must be valid JSON text ending in a
//! newline (or empty for 204/403) with one of Core's status codes.
#![no_main]

use std::sync::Arc;

use libfuzzer_sys::fuzz_target;
use rpc::{
    handle_json_rpc_full, json, Arg, ArgType, Caller, Command, Request, Table, Value, Whitelist,
};

fn table() -> Table {
    let t = Table::new();
    t.set_warmup(None);
    t.register(Command {
        category: "util",
        name: "echo",
        description: "Echo typed arguments.",
        args: vec![
            Arg::required("s", ArgType::Str, ""),
            Arg::optional("n", ArgType::Num, Value::from(1), ""),
            Arg::omitted("amount", ArgType::Amount, ""),
            Arg::omitted("options", ArgType::ObjNamedParams, "").with_inner(vec![Arg::omitted(
                "flag",
                ArgType::Bool,
                "",
            )]),
        ],
        result: "",
        examples: "",
        handler: Arc::new(|r: &Request| {
            let s = r.arg_str(0)?.to_string();
            let n = r.arg_i64(1)?;
            let amount = r
                .param(2)
                .map(|v| rpc::amount_from_value(v, 8))
                .transpose()?;
            Ok(Value::Array(vec![
                Value::String(s),
                Value::from(n),
                amount.map_or(Value::Null, rpc::amount_value),
            ]))
        }),
    });
    t.register(Command {
        category: "util",
        name: "double",
        description: "A double.",
        args: vec![Arg::required("x", ArgType::Num, "")],
        result: "",
        examples: "",
        handler: Arc::new(|r: &Request| Ok(rpc::double_value(r.arg_f64(0)? * 2.0))),
    });
    t
}

fuzz_target!(|data: &[u8]| {
    let t = table();
    let whitelist =
        Whitelist::from_args(&["u:echo,help".to_string()], Some(data.first() == Some(&0)));
    let user = if data.len() % 2 == 0 { "u" } else { "v" };
    let caller = Caller {
        uri: "/",
        user,
        peer_addr: "127.0.0.1:1",
        log_ips: true,
    };
    for wl in [None, Some(&whitelist)] {
        let reply = handle_json_rpc_full(&t, data, caller, wl, &|_, _| {});
        assert!(matches!(reply.status, 200 | 204 | 400 | 403 | 404 | 500));
        if reply.body.is_empty() {
            assert!(matches!(reply.status, 204 | 403));
        } else {
            assert!(reply.body.ends_with('\n'));
            assert!(json::parse(reply.body.as_bytes()).is_some());
        }
    }
});
