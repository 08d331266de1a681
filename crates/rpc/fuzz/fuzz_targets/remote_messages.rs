//! Messages from another process (a wallet's command description, requests, replies)
//! must never panic the node or the wallet, whatever their bytes.

#![no_main]

use std::sync::Arc;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let handler: rpc::Handler = Arc::new(|_r: &rpc::Request| Ok(rpc::Value::Null));
    if let Ok((cmd, results)) = rpc::remote::command_from_description(text, handler) {
        let table = rpc::Table::new();
        let name = cmd.name;
        table.register(cmd);
        if let Some(r) = results {
            table.set_results(name, r);
        }
        table.set_warmup(None);
        let _ = table.help(name);
        let _ = table.help("");
        let _ = rpc::remote::describe(&table, name);
    }
    if let Ok(req) = rpc::remote::decode_request(text) {
        let _ = rpc::remote::encode_request(&req);
    }
    let _ = rpc::remote::decode_reply(text);
});
