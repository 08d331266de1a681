//! Verifies every input of a generated block of 2,001 mixed P2PKH, P2WPKH and P2TR spends:
//! libbitcoinconsensus single-threaded (baseline), ours single-threaded, ours on all cores,
//! and ours with a warm script cache. Prints medians of 5 runs.
//!
//! Run: `cargo bench -p consensus --bench verify_block`.

// Benchmark code panics on failure by design.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../tests/common/blockgen.rs"]
mod blockgen;

use std::time::Instant;

use consensus::block::{verify_scripts, ScriptCache, TxToVerify};
use consensus::script::VerifyFlags;

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

fn time(runs: usize, mut f: impl FnMut()) -> f64 {
    f();
    median(
        (0..runs)
            .map(|_| {
                let t = Instant::now();
                f();
                t.elapsed().as_secs_f64() * 1e3
            })
            .collect(),
    )
}

fn main() {
    let runs = 5;
    let block = blockgen::generate(2001);
    let inputs: usize = block.txs.iter().map(|t| t.input.len()).sum();
    let flags = VerifyFlags::P2SH
        | VerifyFlags::DERSIG
        | VerifyFlags::NULLDUMMY
        | VerifyFlags::CHECKLOCKTIMEVERIFY
        | VerifyFlags::CHECKSEQUENCEVERIFY
        | VerifyFlags::WITNESS
        | VerifyFlags::TAPROOT;
    let txs: Vec<TxToVerify<'_>> = block
        .txs
        .iter()
        .zip(&block.spent)
        .map(|(tx, spent)| TxToVerify { tx, spent })
        .collect();
    let serialized: Vec<Vec<u8>> = block
        .txs
        .iter()
        .map(bitcoin::consensus::serialize)
        .collect();

    let core_ms = time(runs, || {
        for ((tx, spent), bytes) in block.txs.iter().zip(&block.spent).zip(&serialized) {
            let utxos: Vec<bitcoinconsensus::Utxo> = spent
                .iter()
                .map(|o| bitcoinconsensus::Utxo {
                    script_pubkey: o.script_pubkey.as_bytes().as_ptr(),
                    script_pubkey_len: o.script_pubkey.len() as u32,
                    value: o.value.to_sat() as i64,
                })
                .collect();
            for (i, out) in spent.iter().enumerate().take(tx.input.len()) {
                bitcoinconsensus::verify_with_flags(
                    out.script_pubkey.as_bytes(),
                    out.value.to_sat(),
                    bytes,
                    Some(&utxos),
                    i,
                    flags.0,
                )
                .unwrap();
            }
        }
    });
    let ours_1 = time(runs, || verify_scripts(&txs, flags, 1, None).unwrap());
    let cores = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1);
    let ours_n = time(runs, || verify_scripts(&txs, flags, cores, None).unwrap());
    let cache = ScriptCache::new(10_000, [1; 32]);
    verify_scripts(&txs, flags, cores, Some(&cache)).unwrap();
    let ours_cached = time(runs, || {
        verify_scripts(&txs, flags, cores, Some(&cache)).unwrap()
    });

    let per = |ms: f64| ms * 1e3 / inputs as f64;
    println!(
        "block: {} transactions, {inputs} inputs (P2PKH, P2WPKH, P2TR in turn)",
        block.txs.len()
    );
    println!(
        "libbitcoinconsensus v26, 1 thread: {core_ms:.1} ms ({:.1} us/input)",
        per(core_ms)
    );
    println!("ours, 1 thread:                    {ours_1:.1} ms ({:.1} us/input), {:.2}x libbitcoinconsensus time", per(ours_1), ours_1 / core_ms);
    println!("ours, {cores} threads:                   {ours_n:.1} ms ({:.1} us/input), {:.2}x speed-up over 1 thread", per(ours_n), ours_1 / ours_n);
    println!(
        "ours, warm script cache:           {ours_cached:.2} ms ({:.2} us/input)",
        per(ours_cached)
    );
}
