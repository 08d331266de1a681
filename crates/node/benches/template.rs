//! `getblocktemplate` over RPC with a 50 MB mempool, and the node's memory per mempool
//! transaction (issue 6). Baselines from the same run: `getblockcount` over the same
//! connection, and `getblocktemplate` with an empty mempool.
//!
//! `cargo bench -p node --bench template` starts a release `bitcoind` on regtest.

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../tests/support/mod.rs"]
mod support;

use std::time::Instant;

use bitcoin::absolute::LockTime;
use bitcoin::consensus::encode::{deserialize, serialize};
use bitcoin::hashes::Hash;
use bitcoin::transaction::Version;
use bitcoin::{
    Address, Amount, Network, OutPoint, ScriptBuf, Sequence, Transaction, TxIn, TxOut, WScriptHash,
    Witness,
};
use serde_json::json;
use support::{TempDir, TestNode, BITCOIND};

fn op_true() -> ScriptBuf {
    ScriptBuf::new_p2wsh(&WScriptHash::hash(&[0x51]))
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

fn spend(prev: OutPoint, outputs: Vec<TxOut>) -> Transaction {
    Transaction {
        version: Version::TWO,
        lock_time: LockTime::ZERO,
        input: vec![TxIn {
            previous_output: prev,
            script_sig: ScriptBuf::new(),
            sequence: Sequence::ENABLE_RBF_NO_LOCKTIME,
            witness: Witness::from_slice(&[vec![0x51u8]]),
        }],
        output: outputs,
    }
}

fn rss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1).and_then(|v| v.parse().ok()))
        })
        .unwrap_or(0)
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    v[v.len() / 2]
}

fn time_ms(f: impl FnOnce()) -> f64 {
    let s = Instant::now();
    f();
    s.elapsed().as_secs_f64() * 1000.0
}

fn main() {
    let dir = TempDir::new("bench-gbt");
    let node = TestNode::start(BITCOIND, &dir.0, &[]);
    let pid = node.child.as_ref().unwrap().id();
    let addr = Address::from_script(&op_true(), Network::Regtest)
        .unwrap()
        .to_string();
    let fanouts = 20;
    let per = 2_000;
    node.call("generatetoaddress", json!([fanouts + 100, addr]));
    let gbt = json!([{"rules": ["segwit"]}]);

    // Baselines: a trivial call, and a template from an empty pool.
    let count: Vec<f64> = (0..20)
        .map(|_| time_ms(|| drop(node.call("getblockcount", json!([])))))
        .collect();
    let mut empty = Vec::new();
    let now = 2_000_000_000i64;
    for i in 0..5 {
        node.call("setmocktime", json!([now + 10 * i]));
        // A new tip makes the next call build afresh.
        node.call("generatetoaddress", json!([1, addr]));
        empty.push(time_ms(|| drop(node.call("getblocktemplate", gbt.clone()))));
    }

    // Fan-out transactions, mined, then one spend of each output.
    let mut outs = Vec::new();
    for h in 1..=fanouts {
        let hash = node.call("getblockhash", json!([h]));
        let block = node.call("getblock", json!([hash, 0]));
        let block: bitcoin::Block = deserialize(&unhex(block.as_str().unwrap())).unwrap();
        let cb = &block.txdata[0];
        let value = cb.output[0].value.to_sat();
        let each = (value - 100_000) / per;
        let tx = spend(
            OutPoint {
                txid: cb.compute_txid(),
                vout: 0,
            },
            (0..per)
                .map(|_| TxOut {
                    value: Amount::from_sat(each),
                    script_pubkey: op_true(),
                })
                .collect(),
        );
        node.call("sendrawtransaction", json!([hex(&serialize(&tx))]));
        // One per block: twenty would not fit in one.
        node.call("generatetoaddress", json!([1, addr]));
        for vout in 0..per as u32 {
            outs.push((
                OutPoint {
                    txid: tx.compute_txid(),
                    vout,
                },
                each,
            ));
        }
    }
    let rss_before = rss_kib(pid);
    let mut sent = 0u64;
    let mut next = outs.into_iter();
    loop {
        let info = node.call("getmempoolinfo", json!([]));
        if info["usage"].as_u64().unwrap() >= 50_000_000 {
            break;
        }
        let Some((o, value)) = next.next() else { break };
        // Fees vary so the template has to choose.
        let fee = 200 + (sent % 997) * 3;
        let tx = spend(
            o,
            vec![TxOut {
                value: Amount::from_sat(value - fee),
                script_pubkey: op_true(),
            }],
        );
        node.call("sendrawtransaction", json!([hex(&serialize(&tx))]));
        sent += 1;
    }
    let rss_after = rss_kib(pid);
    let info = node.call("getmempoolinfo", json!([]));

    // Each measured call builds a new template: the pool changed and 5 s passed.
    let mut full = Vec::new();
    let mut picked = 0;
    let mut reply_bytes = 0;
    for i in 0..5 {
        node.call("setmocktime", json!([now + 1_000 + 10 * i]));
        let (o, value) = next.next().unwrap();
        let tx = spend(
            o,
            vec![TxOut {
                value: Amount::from_sat(value - 5_000),
                script_pubkey: op_true(),
            }],
        );
        node.call("sendrawtransaction", json!([hex(&serialize(&tx))]));
        // Timed to the last byte of the reply, without parsing it: a client's JSON
        // parser is not the node's cost (it takes about as long again for this reply).
        let body = json!({"jsonrpc": "1.0", "id": 1, "method": "getblocktemplate", "params": gbt})
            .to_string();
        let cookie = node.cookie().unwrap();
        let mut reply = None;
        full.push(time_ms(|| {
            reply = Some(node.post("/", &body, Some(&cookie)).unwrap())
        }));
        let reply = reply.unwrap();
        reply_bytes = reply.body.len();
        let t: serde_json::Value = serde_json::from_str(&reply.body).unwrap();
        picked = t["result"]["transactions"].as_array().unwrap().len();
    }
    println!(
        "getblocktemplate with a {:.1} MB pool ({} txs, {} chosen, {:.1} MB reply): {:.1} ms; baselines: empty pool {:.2} ms, getblockcount {:.2} ms",
        info["usage"].as_u64().unwrap() as f64 / 1e6,
        info["size"],
        picked,
        reply_bytes as f64 / 1e6,
        median(full),
        median(empty),
        median(count)
    );
    println!(
        "node memory per mempool transaction: {:.0} bytes RSS growth ({} bytes by Core's accounting)",
        (rss_after.saturating_sub(rss_before) * 1024) as f64 / sent as f64,
        info["usage"].as_u64().unwrap() / info["size"].as_u64().unwrap()
    );
}
