//! `-reindex` and `-reindex-chainstate` of `../shared/bench-chains/regtest-mixed-1` with
//! [`chain::ChainState`] at `-dbcache` 100 and 1000 MiB, each in a fresh process so that
//! peak RSS is its own; and the same blocks submitted one by one, each synced before it is
//! acknowledged, to show what that durability costs. Checks Core's UTXO-set hashes.
//!
//! `cargo bench -p chain --bench reindex` (`-- --check`: only `-reindex` at 100 MiB, and a
//! non-zero exit on a wrong UTXO set; .ci/run runs it).

// Benchmark code may panic on broken input files.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::time::Instant;

use chain::coinstats::{display_uint256, hash_serialized_3, muhash};
use chain::{ChainParams, ChainState, ChainStateOptions};
use kvstore::RedbStore;

const EXPECTED_TIP: &str = "45d46c5910b50b3666a54fc37816be053185a79558d6b9ca85e8531f7f4b4158";
const EXPECTED_HASH_SERIALIZED_3: &str =
    "dbe9740162ef7a4136d20e7f92d5b489a578074a6a4fd2718bc84e35e5b71899";
const EXPECTED_MUHASH: &str = "5dae0116a7d5c2a49950066e236b6dd912ab4207d26821294dd4f2cd3adaf4ff";
const NOW: i64 = 2_000_000_000;

fn peak_rss_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}

fn open(dir: &Path, dbcache_mib: usize) -> ChainState {
    let index = RedbStore::open(&dir.join("blocks").join("index")).unwrap();
    let coins = RedbStore::open(&dir.join("chainstate")).unwrap();
    ChainState::open(
        ChainParams::regtest(),
        ChainStateOptions {
            cache_bytes: dbcache_mib << 20,
            script_threads: 2,
            blocks_xor: false,
            assume_valid: None,
        },
        &dir.join("blocks"),
        Box::new(index),
        Box::new(coins),
        NOW,
    )
    .unwrap()
}

/// Checks the UTXO set against Core's; prints and returns whether it matches.
fn check(cs: &mut ChainState) -> bool {
    let coins = cs.all_coins().unwrap();
    let hash = hash_serialized_3(coins.iter().map(|(o, c)| (o, c))).to_string();
    let mu = display_uint256(&muhash(coins.iter().map(|(o, c)| (o, c))));
    let tip = cs.tip().to_string();
    let ok = tip == EXPECTED_TIP && hash == EXPECTED_HASH_SERIALIZED_3 && mu == EXPECTED_MUHASH;
    if !ok {
        eprintln!(
            "height {} tip {tip}, hash_serialized_3 {hash}, muhash {mu}: not Core's",
            cs.height()
        );
    }
    ok
}

/// Transactions and non-coinbase inputs of blocks 1.., as the parent counted them.
fn counts(dir: &Path) -> (f64, f64) {
    let text = std::fs::read_to_string(dir.join("counts")).unwrap();
    let mut it = text.split_whitespace().map(|n| n.parse::<f64>().unwrap());
    (it.next().unwrap(), it.next().unwrap())
}

/// One measurement, in this process: `mode` is reindex, reindex-chainstate or submit.
fn child(mode: &str, dbcache: usize, dir: &Path) -> ExitCode {
    let blocks = dir.join("blocks");
    let t = Instant::now();
    let mut cs = match mode {
        "reindex" => {
            let _ = std::fs::remove_dir_all(blocks.join("index"));
            let _ = std::fs::remove_dir_all(dir.join("chainstate"));
            open(dir, dbcache)
        }
        "reindex-chainstate" => {
            let _ = std::fs::remove_dir_all(dir.join("chainstate"));
            open(dir, dbcache)
        }
        _ => {
            let raw = common::raw_block_file().unwrap();
            let list = common::parse_blocks(&raw);
            let fresh = dir.join("submit");
            let _ = std::fs::remove_dir_all(&fresh);
            let mut cs = open(&fresh, dbcache);
            let t = Instant::now();
            for b in &list[1..] {
                cs.process_block(b, NOW).unwrap();
            }
            cs.flush().unwrap();
            let secs = t.elapsed().as_secs_f64();
            let ok = check(&mut cs);
            println!(
                "| submit 411 blocks, each synced before acknowledged | {dbcache} | {secs:.2} | {:.2} s syncing ({:.1}%) | {:.0} |",
                cs.acknowledgement_sync_time().as_secs_f64(),
                100.0 * cs.acknowledgement_sync_time().as_secs_f64() / secs,
                peak_rss_mib()
            );
            let _ = std::fs::remove_dir_all(&fresh);
            return if ok {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            };
        }
    };
    let secs = t.elapsed().as_secs_f64();
    let ok = check(&mut cs) && cs.height() == 411;
    let (txs, inputs) = counts(dir);
    println!(
        "| -{mode} | {dbcache} | {secs:.2} | {:.1} blocks/s, {:.0} tx/s, {:.0} inputs/s | {:.0} |",
        411.0 / secs,
        txs / secs,
        inputs / secs,
        peak_rss_mib()
    );
    if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    if let Some(i) = args.iter().position(|a| a == "--child") {
        let mode = args[i + 1].clone();
        let dbcache: usize = args[i + 2].parse().unwrap();
        return child(&mode, dbcache, &PathBuf::from(&args[i + 3]));
    }
    let check_only = args.iter().any(|a| a == "--check");
    let Some(raw) = common::raw_block_file() else {
        println!(
            "reindex: {} not found; skipped",
            common::chain_dir().display()
        );
        return if check_only {
            ExitCode::FAILURE
        } else {
            ExitCode::SUCCESS
        };
    };
    let dir = std::env::temp_dir().join(format!("reindex-bench-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("blocks")).unwrap();
    // Core's file as it is: no xor.dat, so the all-zero key.
    std::fs::write(dir.join("blocks").join("blk00000.dat"), &raw).unwrap();
    let blocks = common::parse_blocks(&raw);
    let txs: usize = blocks[1..].iter().map(|b| b.txdata.len()).sum();
    let inputs: usize = blocks[1..]
        .iter()
        .flat_map(|b| b.txdata[1..].iter())
        .map(|t| t.input.len())
        .sum();
    std::fs::write(dir.join("counts"), format!("{txs} {inputs}")).unwrap();
    drop((raw, blocks));
    let runs: Vec<(&str, usize)> = if check_only {
        vec![("reindex", 100)]
    } else {
        vec![
            ("reindex", 100),
            ("reindex-chainstate", 100),
            ("reindex", 1000),
            ("reindex-chainstate", 1000),
            ("submit", 100),
        ]
    };
    println!("| run | -dbcache (MiB) | seconds | rate | peak RSS (MiB) |");
    println!("|---|---|---|---|---|");
    let exe = std::env::current_exe().unwrap();
    let mut ok = true;
    for (mode, dbcache) in runs {
        let status = Command::new(&exe)
            .args(["--child", mode, &dbcache.to_string()])
            .arg(&dir)
            .status()
            .unwrap();
        ok &= status.success();
    }
    let _ = std::fs::remove_dir_all(&dir);
    if ok {
        ExitCode::SUCCESS
    } else {
        eprintln!("reindex: the UTXO set differs from Core's");
        ExitCode::FAILURE
    }
}
