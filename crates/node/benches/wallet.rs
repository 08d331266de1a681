//! Wallet RPC latency and rescan time with the wallet in the node's process (`bitcoind`)
//! and in a `bitcoin-wallet` child over IPC (`bitcoin-node`), side by side in one run
//! (issue 7). The baseline is `getblockcount`, which never leaves the node.
//!
//! `cargo build --release -p wallet --bins && cargo bench -p node --bench wallet`
//! (bitcoin-node spawns the release `bitcoin-wallet` beside it).

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../tests/support/mod.rs"]
mod support;

use std::time::Instant;

use serde_json::json;
use support::{TempDir, TestNode, BITCOIND, BITCOIN_NODE};

fn time_ms(f: impl FnOnce()) -> f64 {
    let t = Instant::now();
    f();
    t.elapsed().as_secs_f64() * 1000.0
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

struct Figures {
    getblockcount: f64,
    getbalance: f64,
    getnewaddress: f64,
    sendtoaddress: f64,
    rescan_ms: f64,
    rescan_blocks: u64,
}

fn measure(exe: &'static str, blocks: u64) -> Figures {
    let dir = TempDir::new("bench-wallet");
    let node = TestNode::start(exe, &dir.0, &["-fallbackfee=0.0002"]);
    node.call("createwallet", json!(["w"]));
    let addr = node.call("getnewaddress", json!([]));
    // Every block pays the wallet, so the rescan finds a transaction in each.
    let mut left = blocks;
    while left > 0 {
        let n = left.min(500);
        node.call("generatetoaddress", json!([n, addr]));
        left -= n;
    }
    let runs = 200;
    let getblockcount = median(
        (0..runs)
            .map(|_| time_ms(|| drop(node.call("getblockcount", json!([])))))
            .collect(),
    );
    let getbalance = median(
        (0..runs)
            .map(|_| time_ms(|| drop(node.call("getbalance", json!([])))))
            .collect(),
    );
    let getnewaddress = median(
        (0..runs)
            .map(|_| time_ms(|| drop(node.call("getnewaddress", json!([])))))
            .collect(),
    );
    let mut sends = Vec::new();
    for i in 0..100 {
        let to = node.call("getnewaddress", json!([]));
        sends.push(time_ms(|| {
            drop(node.call("sendtoaddress", json!([to, 0.01])))
        }));
        if i % 20 == 19 {
            node.call("generatetoaddress", json!([1, addr]));
        }
    }
    let sendtoaddress = median(sends);
    let height = node.call("getblockcount", json!([])).as_u64().unwrap();
    let rescan_ms = time_ms(|| drop(node.call("rescanblockchain", json!([0]))));
    Figures {
        getblockcount,
        getbalance,
        getnewaddress,
        sendtoaddress,
        rescan_ms,
        rescan_blocks: height + 1,
    }
}

fn main() {
    let blocks = std::env::var("BENCH_BLOCKS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2000u64);
    let one = measure(BITCOIND, blocks);
    let two = measure(BITCOIN_NODE, blocks);
    println!("wallet over RPC, medians in ms (bitcoind | bitcoin-node | ratio)");
    let row =
        |name: &str, a: f64, b: f64| println!("{name:<16} {a:>9.3} | {b:>9.3} | {:>5.2}", b / a);
    row("getblockcount", one.getblockcount, two.getblockcount);
    row("getbalance", one.getbalance, two.getbalance);
    row("getnewaddress", one.getnewaddress, two.getnewaddress);
    row("sendtoaddress", one.sendtoaddress, two.sendtoaddress);
    row("rescan", one.rescan_ms, two.rescan_ms);
    println!(
        "rescan covered {} and {} blocks",
        one.rescan_blocks, two.rescan_blocks
    );
}
