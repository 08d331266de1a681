//! kill -9 while connecting blocks: after each kill the chainstate reopens at or past the
//! last acknowledged block, with the UTXO set a clean node has at that height.

// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chain::coinstats::hash_serialized_3;
use chain::{ChainParams, ChainState, ChainStateOptions};
use kvstore::RedbStore;

const CHILD: &str = env!("CARGO_BIN_EXE_chain-crash-child");
const TRIALS: u64 = 20;

fn open(dir: &std::path::Path) -> ChainState {
    let index = RedbStore::open(&dir.join("blocks").join("index")).unwrap();
    let coins = RedbStore::open(&dir.join("chainstate")).unwrap();
    ChainState::open(
        ChainParams::regtest(),
        ChainStateOptions {
            cache_bytes: 64 << 10,
            script_threads: 1,
            blocks_xor: true,
            assume_valid: None,
        },
        &dir.join("blocks"),
        Box::new(index),
        Box::new(coins),
        2_000_000_000,
    )
    .unwrap()
}

fn expected_hash(height: u32) -> String {
    let out = Command::new(CHILD)
        .args(["expect", &height.to_string()])
        .output()
        .unwrap();
    assert!(out.status.success());
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

#[test]
fn kill_9_at_twenty_points_keeps_every_acknowledged_block() {
    let dir: PathBuf = std::env::temp_dir().join(format!("chain-crash-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    // A fixed sequence of kill delays (ms), spread over start-up, connecting and flushing.
    let mut seed: u64 = 0x2545_f491_4f6c_dd1d;
    let mut last_ack = 0u32;
    for trial in 0..TRIALS {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let delay = 20 + seed % 400;
        let mut child = Command::new(CHILD)
            .args(["run", dir.to_str().unwrap(), "100000"])
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let acked = Arc::new(Mutex::new(None::<u32>));
        let reader = {
            let acked = acked.clone();
            let stdout = child.stdout.take().unwrap();
            std::thread::spawn(move || {
                for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                    if let Some(h) = line.strip_prefix("ack ").and_then(|h| h.parse().ok()) {
                        *acked.lock().unwrap() = Some(h);
                    }
                }
            })
        };
        std::thread::sleep(Duration::from_millis(delay));
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        reader.join().unwrap();
        if let Some(h) = *acked.lock().unwrap() {
            last_ack = h;
        }
        let mut cs = open(&dir);
        assert!(
            cs.height() >= last_ack,
            "trial {trial} (killed after {delay} ms): restarted at {} below acknowledged {last_ack}",
            cs.height()
        );
        let coins = cs.all_coins().unwrap();
        let got = hash_serialized_3(coins.iter().map(|(o, c)| (o, c))).to_string();
        assert_eq!(
            got,
            expected_hash(cs.height()),
            "trial {trial}: UTXO set differs"
        );
        eprintln!(
            "trial {trial}: killed after {delay} ms, last acknowledged {last_ack}, restarted at {}",
            cs.height()
        );
        last_ack = cs.height();
    }
    assert!(
        last_ack > 100,
        "the chain should have grown past coinbase maturity"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
