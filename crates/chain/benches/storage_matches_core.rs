//! Writes the blocks of `../shared/bench-chains/regtest-mixed-1` and their undo data with
//! [`chain::BlockFiles`] and checks that `blk00000.dat` and `rev00000.dat` come out byte for
//! byte as Bitcoin Core wrote them (same framing, compression, checksums, zero-filled chunks).
//!
//! `cargo bench -p chain --bench storage_matches_core` (`-- --check` exits non-zero on a
//! difference; .ci/run runs it). `BENCH_CHAIN_DIR` overrides where the files are.

// Benchmark code may panic on broken input files.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::HashMap;
use std::process::ExitCode;
use std::time::Instant;

use bitcoin::OutPoint;
use chain::{BlockFiles, BlockIndex, BlockUndo, ChainParams, Coin, TxUndo};
use common::REGTEST_MAGIC;

fn main() -> ExitCode {
    let check = std::env::args().any(|a| a == "--check");
    let dir = common::chain_dir();
    let Some(core_blk) = common::raw_block_file() else {
        println!("storage_matches_core: {} not found; skipped", dir.display());
        return if check {
            ExitCode::FAILURE
        } else {
            ExitCode::SUCCESS
        };
    };
    let core_rev = std::fs::read(dir.join("rev00000.dat")).unwrap();
    let out = std::env::temp_dir().join(format!("storage-matches-core-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&out);
    // Core made these files with -blocksxor=0, so ours are written with the all-zero key.

    let t = Instant::now();
    let mut files = BlockFiles::open(&out, REGTEST_MAGIC, false, Vec::new()).unwrap();
    let blocks = common::parse_blocks(&core_blk);
    let mut utxos: HashMap<OutPoint, Coin> = HashMap::new();
    let mut undo_positions = Vec::new();
    for (height, block) in blocks.iter().enumerate() {
        let pos = files.append_block(block).unwrap();
        let mut undo = BlockUndo::default();
        for (i, tx) in block.txdata.iter().enumerate() {
            if i > 0 {
                let prevouts = tx
                    .input
                    .iter()
                    .map(|input| utxos.remove(&input.previous_output).unwrap())
                    .collect();
                undo.txs.push(TxUndo { prevouts });
            }
            if height == 0 {
                continue;
            }
            let txid = tx.compute_txid();
            for (vout, o) in tx.output.iter().enumerate() {
                if o.script_pubkey.as_bytes().first() != Some(&0x6a) {
                    utxos.insert(
                        OutPoint {
                            txid,
                            vout: vout as u32,
                        },
                        Coin {
                            output: o.clone(),
                            height: height as u32,
                            is_coinbase: i == 0,
                        },
                    );
                }
            }
        }
        if height > 0 {
            let prev = block.header.prev_blockhash;
            undo_positions.push((
                files.append_undo(pos.file, &undo, &prev).unwrap(),
                prev,
                undo,
            ));
        }
    }
    let write_s = t.elapsed().as_secs_f64();
    // Every header passes Core's header checks and the best header is Core's tip.
    let mut index = BlockIndex::new(ChainParams::regtest());
    let now = blocks.last().map(|b| b.header.time as i64).unwrap_or(0) + 3600;
    let mut ok = true;
    for b in &blocks[1..] {
        if let Err(e) = index.accept_header(&b.header, now) {
            eprintln!("header {} rejected: {e}", b.block_hash());
            ok = false;
        }
    }
    let best = index.best_header();
    println!(
        "block index: {} headers, best {} at height {}",
        index.len(),
        best.hash,
        best.height
    );
    if best.hash != blocks[blocks.len() - 1].block_hash()
        || best.height as usize != blocks.len() - 1
    {
        ok = false;
    }
    let ours_blk = std::fs::read(out.join("blk00000.dat")).unwrap();
    let ours_rev = std::fs::read(out.join("rev00000.dat")).unwrap();
    for (name, ours, core) in [
        ("blk00000.dat", &ours_blk, &core_blk),
        ("rev00000.dat", &ours_rev, &core_rev),
    ] {
        if ours == core {
            println!("{name}: {} bytes, identical to Bitcoin Core's", ours.len());
        } else {
            let first = ours.iter().zip(core.iter()).position(|(a, b)| a != b);
            eprintln!(
                "{name}: differs (ours {} bytes, Core's {}), first difference at {first:?}",
                ours.len(),
                core.len()
            );
            ok = false;
        }
    }
    let t = Instant::now();
    for (pos, prev, undo) in &undo_positions {
        if &files.read_undo(*pos, prev).unwrap() != undo {
            eprintln!("undo at {pos:?} does not read back");
            ok = false;
        }
    }
    println!(
        "{} blocks written with undo data in {write_s:.2} s; {} undo records read back and checked in {:.2} s",
        blocks.len(),
        undo_positions.len(),
        t.elapsed().as_secs_f64()
    );
    let _ = std::fs::remove_dir_all(&out);
    if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
