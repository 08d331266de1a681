//! Initial block download over loopback (issue 8): a generated 2,000-block regtest chain
//! with transactions is served by one `bitcoind` and downloaded by a fresh one
//! (headers-first, blocks in parallel windows), beside the baseline of the same chain
//! reconnected locally with `-reindex-chainstate`. Blocks/s and MB/s, medians of runs.
//!
//! `cargo bench -p node --bench ibd` (`IBD_BLOCKS`, `IBD_TXS_PER_BLOCK`, `IBD_RUNS` to
//! change the shape).

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../tests/support/mod.rs"]
mod support;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use bitcoin::hashes::Hash;
use bitcoin::secp256k1::{Message, Secp256k1};
use bitcoin::sighash::{EcdsaSighashType, SighashCache};
use bitcoin::{
    absolute, transaction, Amount, OutPoint, PrivateKey, ScriptBuf, Sequence, Transaction, TxIn,
    TxOut, Txid, Witness,
};
use serde_json::json;
use support::{free_port, TempDir, TestNode, BITCOIND};

const WIF: &str = "cMahea7zqjxrtgAbB7LSGbcQUr1uX1ojuat9jZodMN87JcbXMTcA";

fn env_or(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

/// Spends `(outpoint, value)` to two outputs back to the key, signed P2WPKH.
fn split(key: &PrivateKey, script: &ScriptBuf, prev: (OutPoint, u64), fee: u64) -> Transaction {
    let secp = Secp256k1::new();
    let half = (prev.1 - fee) / 2;
    let mut tx = Transaction {
        version: transaction::Version::TWO,
        lock_time: absolute::LockTime::ZERO,
        input: vec![TxIn {
            previous_output: prev.0,
            script_sig: ScriptBuf::new(),
            sequence: Sequence::MAX,
            witness: Witness::new(),
        }],
        output: vec![
            TxOut {
                value: Amount::from_sat(half),
                script_pubkey: script.clone(),
            },
            TxOut {
                value: Amount::from_sat(prev.1 - fee - half),
                script_pubkey: script.clone(),
            },
        ],
    };
    let sighash = SighashCache::new(&tx)
        .p2wpkh_signature_hash(0, script, Amount::from_sat(prev.1), EcdsaSighashType::All)
        .expect("sighash");
    let msg = Message::from_digest(sighash.to_byte_array());
    let sig = bitcoin::ecdsa::Signature::sighash_all(secp.sign_ecdsa(&msg, &key.inner));
    tx.input[0].witness = Witness::p2wpkh(&sig, &key.public_key(&secp).inner);
    tx
}

/// Builds the chain on `node`: 200 blocks to the key, then blocks each carrying
/// `per_block` splits of earlier outputs.
fn build_chain(node: &TestNode, blocks: u64, per_block: u64) {
    let key = PrivateKey::from_wif(WIF).expect("wif");
    let secp = Secp256k1::new();
    let pk = bitcoin::CompressedPublicKey(key.public_key(&secp).inner);
    let address = bitcoin::Address::p2wpkh(&pk, bitcoin::Network::Regtest);
    let script = address.script_pubkey();
    let addr = address.to_string();
    // 200 blocks first, so the first 100 coinbases are mature for the next block.
    node.call("generatetoaddress", json!([200, addr]));
    let mut coins: std::collections::VecDeque<(OutPoint, u64)> = Default::default();
    for h in 1..=100u64 {
        let hash = node.call("getblockhash", json!([h]));
        let b = node.call("getblock", json!([hash, 1]));
        let txid: Txid = b["tx"][0].as_str().unwrap().parse().unwrap();
        coins.push_back((OutPoint { txid, vout: 0 }, 50 * 100_000_000));
    }
    let mut height = 200;
    while height < blocks {
        let mut sent = 0;
        while sent < per_block {
            let Some(prev) = coins.pop_front() else { break };
            let tx = split(&key, &script, prev, 1_000);
            let hex = bitcoin::consensus::encode::serialize_hex(&tx);
            node.call("sendrawtransaction", json!([hex]));
            let txid = tx.compute_txid();
            coins.push_back((OutPoint { txid, vout: 0 }, tx.output[0].value.to_sat()));
            coins.push_back((OutPoint { txid, vout: 1 }, tx.output[1].value.to_sat()));
            sent += 1;
        }
        node.call("generatetoaddress", json!([1, addr]));
        height += 1;
    }
}

/// Bytes of the serialized blocks 1..=tip.
fn chain_bytes(node: &TestNode, tip: u64) -> u64 {
    (1..=tip)
        .map(|h| {
            let hash = node.call("getblockhash", json!([h]));
            node.call("getblock", json!([hash, 1]))["size"]
                .as_u64()
                .unwrap_or(0)
        })
        .sum()
}

fn wait_for_height(node: &TestNode, height: u64) {
    let deadline = Instant::now() + Duration::from_secs(1800);
    loop {
        if node.call("getblockcount", json!([])).as_u64() == Some(height) {
            return;
        }
        assert!(Instant::now() < deadline, "sync did not finish");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Copies a datadir's block files (not the chainstate) for a reindex.
fn copy_dir(from: &std::path::Path, to: &std::path::Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let p = e.path();
        let t = to.join(e.file_name());
        if p.is_dir() {
            copy_dir(&p, &t);
        } else {
            std::fs::copy(&p, &t).unwrap();
        }
    }
}

fn main() {
    let blocks = env_or("IBD_BLOCKS", 2000);
    let per_block = env_or("IBD_TXS_PER_BLOCK", 20);
    let runs = env_or("IBD_RUNS", 3);
    let src_dir = TempDir::new("bench-ibd-src");
    let port = free_port();
    let mut src = TestNode::start(
        BITCOIND,
        &src_dir.0,
        &[&format!("-port={port}"), &format!("-bind=127.0.0.1:{port}")],
    );
    let t = Instant::now();
    build_chain(&src, blocks, per_block);
    let tip = src.call("getblockcount", json!([])).as_u64().unwrap();
    let bytes = chain_bytes(&src, tip);
    let txs = src.call("getchaintxstats", json!([]))["txcount"].clone();
    println!(
        "chain: {tip} blocks, {txs} transactions, {:.1} MB of blocks (built in {:.0} s)",
        bytes as f64 / 1e6,
        t.elapsed().as_secs_f64()
    );

    let mut ibd = Vec::new();
    for _ in 0..runs {
        let dir = TempDir::new("bench-ibd-dst");
        let t = Instant::now();
        let dst = TestNode::start(BITCOIND, &dir.0, &[&format!("-connect=127.0.0.1:{port}")]);
        wait_for_height(&dst, tip);
        ibd.push(t.elapsed().as_secs_f64());
        assert_eq!(
            dst.call("getbestblockhash", json!([])),
            src.call("getbestblockhash", json!([]))
        );
    }
    // The baseline: the same blocks reconnected from local files.
    src.stop();
    let mut reindex = Vec::new();
    for _ in 0..runs {
        let dir = TempDir::new("bench-ibd-reindex");
        copy_dir(
            &src_dir.0.join("regtest").join("blocks"),
            &dir.0.join("regtest").join("blocks"),
        );
        let t = Instant::now();
        let status = Command::new(BITCOIND)
            .args([
                "-regtest",
                &format!("-datadir={}", dir.0.display()),
                "-reindex-chainstate",
                "-stopafterblockimport",
                "-listen=0",
                "-server=0",
                "-printtoconsole=0",
            ])
            .stdout(Stdio::null())
            .status()
            .expect("reindex");
        assert!(status.success());
        reindex.push(t.elapsed().as_secs_f64());
    }
    let (i, r) = (median(ibd), median(reindex));
    let mb = bytes as f64 / 1e6;
    println!("runs: {runs} each; medians");
    println!(
        "IBD over loopback:        {i:8.2} s  {:8.1} blocks/s  {:6.2} MB/s",
        tip as f64 / i,
        mb / i
    );
    println!(
        "-reindex-chainstate:      {r:8.2} s  {:8.1} blocks/s  {:6.2} MB/s",
        tip as f64 / r,
        mb / r
    );
    println!("IBD / reindex-chainstate time ratio: {:.2}", i / r);
}
