//! Test helper for the kill -9 tests (tests/crash.rs), not a user tool. `chain-crash-child
//! run <datadir> <blocks>` extends a deterministic regtest chain in `<datadir>` up to
//! `<blocks>` blocks and prints `ack <height>` after each block is accepted, until killed.
//! `chain-crash-child expect <height>` prints the `hash_serialized_3` a clean node reaches
//! at that height of the same chain.

use std::collections::HashMap;
use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

use bitcoin::absolute::LockTime;
use bitcoin::transaction::Version;
use bitcoin::{
    Amount, Block, BlockHash, OutPoint, ScriptBuf, Sequence, Transaction, TxIn, TxOut, Witness,
};
use chain::assemble::{assemble_block, grind, BlockRequest};
use chain::coinstats::hash_serialized_3;
use chain::{ChainParams, ChainState, ChainStateOptions, Coin};
use kvstore::RedbStore;

const NOW: i64 = 2_000_000_000;
const GENESIS_TIME: u32 = 1_296_688_602;

/// Block `height` of the chain, given its parent and the coinbase txid of `height - 100`.
fn block(
    params: &ChainParams,
    height: u32,
    prev: BlockHash,
    old_coinbase: Option<OutPoint>,
) -> Block {
    let mut txs = Vec::new();
    // Once halvings leave too little to split, blocks carry only their coinbase.
    let value = params.block_subsidy(height.saturating_sub(100));
    if let Some(cb) = old_coinbase.filter(|_| value >= 4000) {
        txs.push(Transaction {
            version: Version::TWO,
            lock_time: LockTime::ZERO,
            input: vec![TxIn {
                previous_output: cb,
                script_sig: ScriptBuf::new(),
                sequence: Sequence::MAX,
                witness: Witness::new(),
            }],
            output: vec![
                TxOut {
                    value: Amount::from_sat(value / 2),
                    script_pubkey: ScriptBuf::from_bytes(vec![0x51]),
                },
                TxOut {
                    value: Amount::from_sat(value / 2 - 1000),
                    script_pubkey: ScriptBuf::from_bytes(vec![0x51]),
                },
            ],
        });
    }
    let mut b = assemble_block(
        params,
        BlockRequest {
            prev_hash: prev,
            height,
            version: 0x2000_0000,
            time: GENESIS_TIME + height,
            bits: params.genesis.header.bits,
            coinbase_script: ScriptBuf::from_bytes(vec![0x51]),
            transactions: txs,
            fees: 0,
        },
    );
    grind(&mut b, params);
    b
}

fn coinbase_of(b: &Block) -> OutPoint {
    OutPoint {
        txid: b.txdata[0].compute_txid(),
        vout: 0,
    }
}

fn run(dir: &Path, target: u32) -> Result<(), Box<dyn std::error::Error>> {
    let params = ChainParams::regtest();
    let index = RedbStore::open(&dir.join("blocks").join("index"))?;
    let coins = RedbStore::open(&dir.join("chainstate"))?;
    let options = ChainStateOptions {
        cache_bytes: 64 << 10,
        script_threads: 1,
        blocks_xor: true,
        assume_valid: None,
    };
    let mut cs = ChainState::open(
        params.clone(),
        options,
        &dir.join("blocks"),
        Box::new(index),
        Box::new(coins),
        NOW,
    )?;
    let mut out = std::io::stdout();
    while cs.height() < target {
        let height = cs.height() + 1;
        let old = match height.checked_sub(100).filter(|h| *h > 0) {
            Some(h) => {
                let hash = cs.hash_at(h).ok_or("missing ancestor")?;
                let b = cs.read_block(&hash)?.ok_or("missing block")?;
                Some(coinbase_of(&b))
            }
            None => None,
        };
        let b = block(&params, height, cs.tip(), old);
        cs.process_block(&b, NOW)?;
        writeln!(out, "ack {height}")?;
        out.flush()?;
    }
    cs.flush()?;
    Ok(())
}

fn expect(target: u32) -> String {
    let params = ChainParams::regtest();
    let mut blocks = vec![params.genesis.clone()];
    let mut coins: HashMap<OutPoint, Coin> = HashMap::new();
    for height in 1..=target {
        let old = height
            .checked_sub(100)
            .filter(|h| *h > 0)
            .map(|h| coinbase_of(&blocks[h as usize]));
        let b = block(&params, height, blocks[blocks.len() - 1].block_hash(), old);
        chain::validation::apply_block_unchecked(&mut coins, &b, height);
        blocks.push(b);
    }
    hash_serialized_3(&coins).to_string()
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    let result = match (args.get(1).map(String::as_str), args.get(2), args.get(3)) {
        (Some("run"), Some(dir), Some(n)) => n
            .parse()
            .map_err(|e: std::num::ParseIntError| e.into())
            .and_then(|n| run(Path::new(dir), n)),
        (Some("expect"), Some(h), None) => h
            .parse()
            .map(|h| println!("{}", expect(h)))
            .map_err(|e| e.into()),
        _ => Err("usage: chain-crash-child run <datadir> <blocks> | expect <height>".into()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("chain-crash-child: {e}");
            ExitCode::FAILURE
        }
    }
}
