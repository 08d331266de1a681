//! Validates `../shared/bench-chains/regtest-mixed-1` the way a `-reindex` does: every block
//! through `check_block`, `contextual_check_block` and `connect_block` (scripts on two
//! threads, as `-par` defaults on this machine), blocks and undo data written to block
//! files. Checks that the UTXO set has Core's `hash_serialized_3` and `muhash` and that the undo file
//! made from `connect_block`'s change sets is byte for byte Core's `rev00000.dat`.
//!
//! `cargo bench -p chain --bench connect_chain` (`-- --check` exits non-zero on any
//! difference; .ci/run runs it). Then every block is disconnected again with that undo
//! data, which must leave no coins; a second pass skips scripts, as below `-assumevalid`.

// Benchmark code may panic on broken input files.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::HashMap;
use std::process::ExitCode;
use std::time::Instant;

use bitcoin::{Block, OutPoint};
use chain::coinstats::{display_uint256, hash_serialized_3, muhash};
use chain::validation::{
    check_block, connect_block, contextual_check_block, disconnect_block, ConnectContext, PrevBlock,
};
use chain::{BlockError, BlockFiles, ChainParams, Coin};

const EXPECTED_TIP: &str = "45d46c5910b50b3666a54fc37816be053185a79558d6b9ca85e8531f7f4b4158";
const EXPECTED_HASH_SERIALIZED_3: &str =
    "dbe9740162ef7a4136d20e7f92d5b489a578074a6a4fd2718bc84e35e5b71899";
const EXPECTED_TXOUTS: usize = 113_927;
const EXPECTED_MUHASH: &str = "5dae0116a7d5c2a49950066e236b6dd912ab4207d26821294dd4f2cd3adaf4ff";

fn median_time_past(blocks: &[Block], height: u32) -> i64 {
    let lo = (height as usize + 1).saturating_sub(11);
    let mut t: Vec<i64> = blocks[lo..=height as usize]
        .iter()
        .map(|b| b.header.time as i64)
        .collect();
    t.sort_unstable();
    t[t.len() / 2]
}

struct Outcome {
    seconds: f64,
    coins: HashMap<OutPoint, Coin>,
    inputs: usize,
    undo: Vec<chain::BlockUndo>,
}

fn run(
    blocks: &[Block],
    params: &ChainParams,
    check_scripts: bool,
    files: Option<&mut BlockFiles>,
) -> Result<Outcome, (u32, BlockError)> {
    let mut files = files;
    let mut coins: HashMap<OutPoint, Coin> = HashMap::new();
    let mut inputs = 0;
    let mut undo = vec![chain::BlockUndo::default()];
    let t = Instant::now();
    if let Some(f) = files.as_deref_mut() {
        f.append_block(&blocks[0]).unwrap();
    }
    for height in 1..blocks.len() as u32 {
        let block = &blocks[height as usize];
        let fail = |e| (height, e);
        check_block(block, params, true, true).map_err(fail)?;
        let prev = PrevBlock {
            height: height - 1,
            median_time_past: median_time_past(blocks, height - 1),
        };
        contextual_check_block(block, params, Some(prev)).map_err(fail)?;
        let mtp_at = |h: u32| median_time_past(blocks, h);
        let ctx = ConnectContext {
            height,
            hash: block.block_hash(),
            prev_median_time_past: prev.median_time_past,
            median_time_past_at: &mtp_at,
            bip34_ancestor: blocks
                .get(params.bip34_height as usize)
                .map(|b| b.block_hash()),
            check_scripts,
            script_threads: 2,
            script_cache: None,
        };
        let changes = connect_block(block, params, &ctx, &coins).map_err(fail)?;
        changes.apply_to(&mut coins);
        inputs += changes.inputs - 1;
        if let Some(f) = files.as_deref_mut() {
            let pos = f.append_block(block).unwrap();
            f.append_undo(pos.file, &changes.undo, &block.header.prev_blockhash)
                .unwrap();
        }
        undo.push(changes.undo);
    }
    Ok(Outcome {
        seconds: t.elapsed().as_secs_f64(),
        coins,
        inputs,
        undo,
    })
}

fn main() -> ExitCode {
    let check = std::env::args().any(|a| a == "--check");
    let dir = common::chain_dir();
    let Some(raw) = common::raw_block_file() else {
        println!("connect_chain: {} not found; skipped", dir.display());
        return if check {
            ExitCode::FAILURE
        } else {
            ExitCode::SUCCESS
        };
    };
    let blocks = common::parse_blocks(&raw);
    let params = ChainParams::regtest();
    let out = std::env::temp_dir().join(format!("connect-chain-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&out);
    let mut files = BlockFiles::open(&out, common::REGTEST_MAGIC, false, Vec::new()).unwrap();
    let mut ok = true;

    match run(&blocks, &params, true, Some(&mut files)) {
        Err((h, e)) => {
            eprintln!("block {h} rejected: {e}");
            ok = false;
        }
        Ok(mut full) => {
            let txs: usize = blocks[1..].iter().map(|b| b.txdata.len()).sum();
            let n = (blocks.len() - 1) as f64;
            println!(
                "all checks, scripts on 2 threads: {:.2} s, {:.0} blocks/s, {:.0} tx/s, {:.0} inputs/s",
                full.seconds,
                n / full.seconds,
                txs as f64 / full.seconds,
                full.inputs as f64 / full.seconds
            );
            let hash = hash_serialized_3(&full.coins).to_string();
            let mu = display_uint256(&muhash(&full.coins));
            let tip = blocks[blocks.len() - 1].block_hash().to_string();
            println!(
                "tip {tip}, txouts {}, hash_serialized_3 {hash}, muhash {mu}",
                full.coins.len()
            );
            if tip != EXPECTED_TIP
                || hash != EXPECTED_HASH_SERIALIZED_3
                || mu != EXPECTED_MUHASH
                || full.coins.len() != EXPECTED_TXOUTS
            {
                eprintln!("expected tip {EXPECTED_TIP}, txouts {EXPECTED_TXOUTS}, hash_serialized_3 {EXPECTED_HASH_SERIALIZED_3}, muhash {EXPECTED_MUHASH}");
                ok = false;
            }
            // Undo the whole chain again, tip first, as a reorganisation to genesis would.
            let t = Instant::now();
            let mut clean = true;
            for height in (1..blocks.len()).rev() {
                match disconnect_block(
                    &blocks[height],
                    height as u32,
                    &full.undo[height],
                    &full.coins,
                ) {
                    Ok(d) => {
                        clean &= d.clean;
                        d.apply_to(&mut full.coins);
                    }
                    Err(e) => {
                        eprintln!("block {height} does not disconnect: {e}");
                        clean = false;
                        break;
                    }
                }
            }
            println!(
                "disconnected all {} blocks in {:.2} s: {}",
                blocks.len() - 1,
                t.elapsed().as_secs_f64(),
                if clean && full.coins.is_empty() {
                    "clean, no coins left"
                } else {
                    "NOT clean"
                }
            );
            ok &= clean && full.coins.is_empty();
            drop(files);
            let ours = std::fs::read(out.join("rev00000.dat")).unwrap_or_default();
            let core = std::fs::read(dir.join("rev00000.dat")).unwrap_or_default();
            if ours == core && !ours.is_empty() {
                println!(
                    "rev00000.dat from connect_block's undo data: identical to Core's ({} bytes)",
                    ours.len()
                );
            } else {
                eprintln!("rev00000.dat differs from Core's");
                ok = false;
            }
        }
    }
    match run(&blocks, &params, false, None) {
        Err((h, e)) => {
            eprintln!("block {h} rejected without scripts: {e}");
            ok = false;
        }
        Ok(fast) => println!(
            "all checks but scripts (as below -assumevalid): {:.2} s",
            fast.seconds
        ),
    }
    let _ = std::fs::remove_dir_all(&out);
    if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
