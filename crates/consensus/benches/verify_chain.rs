//! Verifies every script of `../shared/bench-chains/regtest-mixed-1`, blocks made by Bitcoin
//! Core's wallets (411 blocks, 581,655 inputs of P2WPKH, P2TR, P2PKH and P2SH-P2WPKH), and
//! checks that the UTXO set it leaves has Core's `hash_serialized_3`.
//!
//! `cargo bench -p consensus --bench verify_chain`: timings, ours on 1 and all threads and
//! libbitcoinconsensus on 1 thread. With `-- --check` (run by .ci/run): all threads only,
//! and a non-zero exit on any failure. `BENCH_CHAIN_DIR` overrides where the files are.
//! The files never enter the repository.

// Benchmark code may panic on broken input files.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashMap;
use std::io::Read;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use bitcoin::hashes::{sha256d, Hash, HashEngine};
use bitcoin::{Block, OutPoint, TxOut};
use consensus::block::{verify_scripts, TxToVerify};
use consensus::script::{op, VerifyFlags};

const REGTEST_MAGIC: [u8; 4] = [0xfa, 0xbf, 0xb5, 0xda];
const EXPECTED_TIP: &str = "45d46c5910b50b3666a54fc37816be053185a79558d6b9ca85e8531f7f4b4158";
const EXPECTED_HASH_SERIALIZED_3: &str =
    "dbe9740162ef7a4136d20e7f92d5b489a578074a6a4fd2718bc84e35e5b71899";
const EXPECTED_TXOUTS: usize = 113_927;

struct Coin {
    out: TxOut,
    height: u32,
    coinbase: bool,
}

fn chain_dir() -> PathBuf {
    std::env::var_os("BENCH_CHAIN_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR"))
                .join("../../../shared/bench-chains/regtest-mixed-1")
        })
}

/// The blocks of blk00000.dat (stored as parts), in file order.
fn read_blocks(dir: &std::path::Path) -> std::io::Result<Vec<Block>> {
    let mut bytes = Vec::new();
    for part in ["blk00000.dat.part-00", "blk00000.dat.part-01"] {
        std::fs::File::open(dir.join(part))?.read_to_end(&mut bytes)?;
    }
    let mut blocks = Vec::new();
    let mut pos = 0;
    while pos + 8 <= bytes.len() && bytes[pos..pos + 4] == REGTEST_MAGIC {
        let len = u32::from_le_bytes(bytes[pos + 4..pos + 8].try_into().unwrap()) as usize;
        let block: Block = bitcoin::consensus::deserialize(&bytes[pos + 8..pos + 8 + len])
            .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e.to_string()))?;
        blocks.push(block);
        pos += 8 + len;
    }
    Ok(blocks)
}

/// Core's `IsUnspendable`: never added to the UTXO set.
fn unspendable(out: &TxOut) -> bool {
    let s = out.script_pubkey.as_bytes();
    s.first() == Some(&op::OP_RETURN) || s.len() > 10_000
}

struct Chain {
    /// Per block: transactions and the outputs their inputs spend.
    spends: Vec<Vec<(usize, Vec<TxOut>)>>,
    utxos: HashMap<OutPoint, Coin>,
}

/// Connects the blocks' coins: every input must spend an existing coin.
fn connect(blocks: &[Block]) -> Result<Chain, String> {
    let mut utxos: HashMap<OutPoint, Coin> = HashMap::new();
    let mut spends = Vec::with_capacity(blocks.len());
    for (height, block) in blocks.iter().enumerate() {
        let mut per_block = Vec::with_capacity(block.txdata.len());
        for (i, tx) in block.txdata.iter().enumerate() {
            if i > 0 {
                let mut spent = Vec::with_capacity(tx.input.len());
                for input in &tx.input {
                    let coin = utxos.remove(&input.previous_output).ok_or_else(|| {
                        format!("block {height}: missing coin {}", input.previous_output)
                    })?;
                    spent.push(coin.out);
                }
                per_block.push((i, spent));
            }
            // The genesis coinbase is not spendable and not in the UTXO set.
            if height == 0 {
                continue;
            }
            let txid = tx.compute_txid();
            for (vout, out) in tx.output.iter().enumerate() {
                if !unspendable(out) {
                    utxos.insert(
                        OutPoint {
                            txid,
                            vout: vout as u32,
                        },
                        Coin {
                            out: out.clone(),
                            height: height as u32,
                            coinbase: i == 0,
                        },
                    );
                }
            }
        }
        spends.push(per_block);
    }
    Ok(Chain { spends, utxos })
}

/// Core's `hash_serialized_3`: coins by txid, then output index, each as outpoint,
/// height*2+coinbase and the output, double-SHA256ed; shown byte-reversed.
fn hash_serialized_3(utxos: &HashMap<OutPoint, Coin>) -> String {
    let mut keys: Vec<&OutPoint> = utxos.keys().collect();
    keys.sort_by(|a, b| {
        a.txid
            .as_byte_array()
            .cmp(b.txid.as_byte_array())
            .then(a.vout.cmp(&b.vout))
    });
    let mut e = sha256d::Hash::engine();
    for k in keys {
        let c = &utxos[k];
        e.input(&bitcoin::consensus::serialize(k));
        e.input(&((c.height << 1) | u32::from(c.coinbase)).to_le_bytes());
        e.input(&bitcoin::consensus::serialize(&c.out));
    }
    let mut h = sha256d::Hash::from_engine(e).to_byte_array();
    h.reverse();
    h.iter().map(|b| format!("{b:02x}")).collect()
}

fn verify_all(
    blocks: &[Block],
    chain: &Chain,
    flags: VerifyFlags,
    threads: usize,
) -> Result<(), String> {
    for (height, (block, spends)) in blocks.iter().zip(&chain.spends).enumerate() {
        let txs: Vec<TxToVerify<'_>> = spends
            .iter()
            .map(|(i, spent)| TxToVerify {
                tx: &block.txdata[*i],
                spent,
            })
            .collect();
        verify_scripts(&txs, flags, threads, None).map_err(|e| format!("block {height}: {e:?}"))?;
    }
    Ok(())
}

fn core_verify_all(blocks: &[Block], chain: &Chain, flags: VerifyFlags) -> Result<(), String> {
    for (block, spends) in blocks.iter().zip(&chain.spends) {
        for (i, spent) in spends {
            let tx = &block.txdata[*i];
            let bytes = bitcoin::consensus::serialize(tx);
            let utxos: Vec<bitcoinconsensus::Utxo> = spent
                .iter()
                .map(|o| bitcoinconsensus::Utxo {
                    script_pubkey: o.script_pubkey.as_bytes().as_ptr(),
                    script_pubkey_len: o.script_pubkey.len() as u32,
                    value: o.value.to_sat() as i64,
                })
                .collect();
            for (n, out) in spent.iter().enumerate() {
                bitcoinconsensus::verify_with_flags(
                    out.script_pubkey.as_bytes(),
                    out.value.to_sat(),
                    &bytes,
                    Some(&utxos),
                    n,
                    flags.0,
                )
                .map_err(|e| format!("libbitcoinconsensus: {e:?}"))?;
            }
        }
    }
    Ok(())
}

fn main() -> ExitCode {
    let check = std::env::args().any(|a| a == "--check");
    let dir = chain_dir();
    if !dir.join("blk00000.dat.part-00").exists() {
        println!("verify_chain: {} not found; skipped", dir.display());
        return if check {
            ExitCode::FAILURE
        } else {
            ExitCode::SUCCESS
        };
    }
    let t = Instant::now();
    let blocks = match read_blocks(&dir) {
        Ok(b) => b,
        Err(e) => {
            eprintln!("verify_chain: cannot read blocks: {e}");
            return ExitCode::FAILURE;
        }
    };
    let read_s = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let chain = match connect(&blocks) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("verify_chain: {e}");
            return ExitCode::FAILURE;
        }
    };
    let connect_s = t.elapsed().as_secs_f64();
    let inputs: usize = chain.spends.iter().flatten().map(|(_, s)| s.len()).sum();
    let txs: usize = blocks.iter().map(|b| b.txdata.len()).sum();
    // Regtest: every deployment active from height 1.
    let flags = VerifyFlags::P2SH
        | VerifyFlags::DERSIG
        | VerifyFlags::NULLDUMMY
        | VerifyFlags::CHECKLOCKTIMEVERIFY
        | VerifyFlags::CHECKSEQUENCEVERIFY
        | VerifyFlags::WITNESS
        | VerifyFlags::TAPROOT;
    let threads = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1);
    let tip = blocks
        .last()
        .map(|b| b.block_hash().to_string())
        .unwrap_or_default();
    let hash = hash_serialized_3(&chain.utxos);
    println!(
        "regtest-mixed-1: {} blocks, {txs} transactions, {inputs} inputs; read {read_s:.2} s, coins {connect_s:.2} s",
        blocks.len()
    );
    println!(
        "tip {tip} (height {}), txouts {}, hash_serialized_3 {hash}",
        blocks.len() - 1,
        chain.utxos.len()
    );
    let mut ok = tip == EXPECTED_TIP
        && hash == EXPECTED_HASH_SERIALIZED_3
        && chain.utxos.len() == EXPECTED_TXOUTS;
    if !ok {
        eprintln!("verify_chain: expected tip {EXPECTED_TIP}, hash_serialized_3 {EXPECTED_HASH_SERIALIZED_3}, txouts {EXPECTED_TXOUTS}");
    }
    let mut run = |label: &str, f: &dyn Fn() -> Result<(), String>| {
        let t = Instant::now();
        let r = f();
        let s = t.elapsed().as_secs_f64();
        match r {
            Ok(()) => println!(
                "{label}: {s:.2} s, {:.0} inputs/s, {:.1} us/input",
                inputs as f64 / s,
                s * 1e6 / inputs as f64
            ),
            Err(e) => {
                eprintln!("{label}: FAILED: {e}");
                ok = false;
            }
        }
    };
    run(&format!("scripts, ours, {threads} threads"), &|| {
        verify_all(&blocks, &chain, flags, threads)
    });
    if !check {
        run("scripts, ours, 1 thread", &|| {
            verify_all(&blocks, &chain, flags, 1)
        });
        run("scripts, libbitcoinconsensus v26, 1 thread", &|| {
            core_verify_all(&blocks, &chain, flags)
        });
    }
    if ok {
        println!("verify_chain: every script verified; UTXO set matches Bitcoin Core's");
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
