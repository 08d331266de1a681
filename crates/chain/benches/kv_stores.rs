//! Chooses the key-value store (docs/adr/0005-kv-store.md): replays the UTXO-set changes of
//! `../shared/bench-chains/regtest-mixed-1` (695,582 coins created, 581,655 spent, keys and
//! values as Core's chainstate stores them) into each engine, then reads coins back.
//!
//! `cargo bench -p chain --bench kv_stores`. Modes: a durable (fsynced) batch per block, as
//! "no acknowledged block lost" would need if the UTXO set were flushed every block; and one
//! unsynced batch per 50 blocks with a final sync, as a write-back cache flushes.

mod common;

use std::collections::HashMap;
use std::time::Instant;

use bitcoin::OutPoint;
use kvstore::{FjallStore, KvStore, RedbStore, WriteBatch};

fn coin_key(o: &OutPoint) -> Vec<u8> {
    let mut k = vec![b'C'];
    k.extend_from_slice(bitcoin::hashes::Hash::as_byte_array(&o.txid));
    chain::varint::write(&mut k, o.vout as u64);
    k
}

/// Per block: the keys it deletes and the entries it writes.
type Changes = Vec<(Vec<Vec<u8>>, Vec<(Vec<u8>, Vec<u8>)>)>;

fn changes(blocks: &[bitcoin::Block]) -> Changes {
    let mut out = Vec::with_capacity(blocks.len());
    let mut live: HashMap<OutPoint, ()> = HashMap::new();
    for (height, block) in blocks.iter().enumerate().skip(1) {
        let mut dels = Vec::new();
        let mut puts = Vec::new();
        for (i, tx) in block.txdata.iter().enumerate() {
            if i > 0 {
                for input in &tx.input {
                    live.remove(&input.previous_output);
                    dels.push(coin_key(&input.previous_output));
                }
            }
            let txid = tx.compute_txid();
            for (vout, o) in tx.output.iter().enumerate() {
                if o.script_pubkey.as_bytes().first() == Some(&0x6a) {
                    continue;
                }
                let op = OutPoint {
                    txid,
                    vout: vout as u32,
                };
                live.insert(op, ());
                let mut v = Vec::new();
                chain::varint::write(&mut v, ((height as u64) << 1) | u64::from(i == 0));
                chain::coin::write_txout(&mut v, o);
                puts.push((coin_key(&op), v));
            }
        }
        out.push((dels, puts));
    }
    out
}

fn replay(store: &dyn KvStore, changes: &Changes, blocks_per_batch: usize, sync_each: bool) -> f64 {
    let t = Instant::now();
    for (n, group) in changes.chunks(blocks_per_batch).enumerate() {
        let mut b = WriteBatch::new();
        for (dels, puts) in group {
            // Within a block, spends of coins created in the same block cancel out in Core's
            // cache; here every change is written, the harder case.
            for (k, v) in puts {
                b.put(k, v);
            }
            for k in dels {
                b.delete(k);
            }
        }
        b.put(b"B", &(n as u64).to_le_bytes());
        store.write(b, sync_each).expect("write");
    }
    store.write(WriteBatch::new(), true).expect("final sync");
    t.elapsed().as_secs_f64()
}

/// The floor for the same workload: the batch bytes appended to one file (fsynced as the
/// engines are) and the live set kept in a `HashMap`. No engine can beat the disk's fsync.
fn baseline(
    dir: &std::path::Path,
    changes: &Changes,
    blocks_per_batch: usize,
    sync_each: bool,
) -> f64 {
    use std::io::Write;
    std::fs::create_dir_all(dir).expect("dir");
    let mut log = std::fs::File::create(dir.join("log")).expect("log");
    let mut map: HashMap<Vec<u8>, Vec<u8>> = HashMap::new();
    let t = Instant::now();
    for group in changes.chunks(blocks_per_batch) {
        let mut bytes = Vec::new();
        for (dels, puts) in group {
            for (k, v) in puts {
                bytes.extend_from_slice(k);
                bytes.extend_from_slice(v);
                map.insert(k.clone(), v.clone());
            }
            for k in dels {
                bytes.extend_from_slice(k);
                map.remove(k);
            }
        }
        log.write_all(&bytes).expect("append");
        if sync_each {
            log.sync_data().expect("sync");
        }
    }
    log.sync_data().expect("final sync");
    t.elapsed().as_secs_f64()
}

fn main() {
    let Some(raw) = common::raw_block_file() else {
        println!(
            "kv_stores: {} not found; skipped",
            common::chain_dir().display()
        );
        return;
    };
    let blocks = common::parse_blocks(&raw);
    let changes = changes(&blocks);
    let puts: usize = changes.iter().map(|c| c.1.len()).sum();
    let dels: usize = changes.iter().map(|c| c.0.len()).sum();
    println!(
        "workload: {} blocks, {puts} coins written, {dels} coins deleted",
        changes.len()
    );
    let probe: Vec<Vec<u8>> = changes
        .iter()
        .rev()
        .take(40)
        .flat_map(|c| c.1.iter().map(|(k, _)| k.clone()))
        .take(100_000)
        .collect();
    let base = std::env::temp_dir().join(format!("kv-stores-{}", std::process::id()));
    println!("| engine | durable batch per block (s) | batch per 50 blocks (s) | size on disk (MiB) | random reads (µs/get) |");
    println!("|---|---|---|---|---|");
    {
        let each = baseline(&base.join("log-each"), &changes, 1, true);
        let grouped = baseline(&base.join("log-grouped"), &changes, 50, false);
        println!("| baseline: append-only file + HashMap | {each:.2} | {grouped:.2} | - | - |");
    }
    for engine in ["redb", "fjall"] {
        let open = |dir: &std::path::Path| -> Box<dyn KvStore> {
            match engine {
                "redb" => Box::new(RedbStore::open(dir).expect("open")),
                _ => Box::new(FjallStore::open(dir).expect("open")),
            }
        };
        let d1 = base.join(format!("{engine}-each"));
        let s1 = open(&d1);
        let each = replay(s1.as_ref(), &changes, 1, true);
        drop(s1);
        let d2 = base.join(format!("{engine}-grouped"));
        let s2 = open(&d2);
        let grouped = replay(s2.as_ref(), &changes, 50, false);
        let size = s2.disk_size().expect("size") as f64 / (1 << 20) as f64;
        let t = Instant::now();
        let mut found = 0;
        for k in &probe {
            found += usize::from(s2.get(k).expect("get").is_some());
        }
        let read_us = t.elapsed().as_secs_f64() * 1e6 / probe.len() as f64;
        println!("| {engine} | {each:.2} | {grouped:.2} | {size:.1} | {read_us:.2} ({found} of {} found) |", probe.len());
        drop(s2);
    }
    let _ = std::fs::remove_dir_all(&base);
}
