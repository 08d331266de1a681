//! The transaction index over a real chainstate in a temporary directory: catching up,
//! following connections, reorganisations, restarts, `-reindex`, and corrupt databases.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bitcoin::absolute::LockTime;
use bitcoin::hashes::Hash;
use bitcoin::transaction::Version;
use bitcoin::{
    Amount, Block, OutPoint, ScriptBuf, Sequence, Transaction, TxIn, TxOut, Txid, Witness,
};
use chain::assemble::{assemble_block, grind, BlockRequest};
use chain::{ChainParams, ChainState, ChainStateOptions};
use kvstore::{KvStore, RedbStore, WriteBatch};

use crate::base::DB_BEST_BLOCK;
use crate::{ChainAccess, IndexError, TxIndex};

const NOW: i64 = 2_000_000_000;

struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> TempDir {
        let d = std::env::temp_dir().join(format!("txindex-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        TempDir(d)
    }

    fn index_dir(&self) -> PathBuf {
        self.0.join("indexes").join("txindex")
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn open_chain(dir: &TempDir) -> ChainState {
    let options = ChainStateOptions {
        cache_bytes: 1 << 30,
        script_threads: 1,
        blocks_xor: true,
        assume_valid: None,
    };
    let index = RedbStore::open(&dir.0.join("blocks").join("index")).unwrap();
    let coins = RedbStore::open(&dir.0.join("chainstate")).unwrap();
    ChainState::open(
        ChainParams::regtest(),
        options,
        &dir.0.join("blocks"),
        Box::new(index),
        Box::new(coins),
        NOW,
    )
    .unwrap()
}

/// A chain of blocks each spending the coinbase 100 blocks back (once there is one).
#[derive(Clone)]
struct Miner {
    blocks: Vec<Block>,
}

impl Miner {
    fn new() -> Miner {
        Miner {
            blocks: vec![ChainParams::regtest().genesis],
        }
    }

    /// The next block; `tag` makes sibling blocks differ.
    fn next(&mut self, tag: u8) -> Block {
        let params = ChainParams::regtest();
        let height = self.blocks.len() as u32;
        let prev = &self.blocks[self.blocks.len() - 1];
        let mut txs = Vec::new();
        let mut fees = 0;
        if height > 100 {
            fees = 1000 + i64::from(tag);
            let cb = &self.blocks[(height - 100) as usize].txdata[0];
            txs.push(spend(
                OutPoint {
                    txid: cb.compute_txid(),
                    vout: 0,
                },
                cb.output[0].value.to_sat() - 1000 - u64::from(tag),
            ));
        }
        let mut b = assemble_block(
            &params,
            BlockRequest {
                prev_hash: prev.block_hash(),
                height,
                version: 0x2000_0000,
                time: prev.header.time + 1 + u32::from(tag),
                bits: params.genesis.header.bits,
                // Pushes `tag`, drops it, leaves true: sibling coinbases differ.
                coinbase_script: ScriptBuf::from_bytes(vec![0x01, tag, 0x75, 0x51]),
                transactions: txs,
                fees,
            },
        );
        assert!(grind(&mut b, &params));
        self.blocks.push(b.clone());
        b
    }
}

fn spend(prevout: OutPoint, value: u64) -> Transaction {
    Transaction {
        version: Version::TWO,
        lock_time: LockTime::ZERO,
        input: vec![TxIn {
            previous_output: prevout,
            script_sig: ScriptBuf::new(),
            sequence: Sequence::MAX,
            witness: Witness::new(),
        }],
        output: vec![TxOut {
            value: Amount::from_sat(value),
            script_pubkey: ScriptBuf::from_bytes(vec![0x51]),
        }],
    }
}

/// A chainstate shared as the node shares it, remembering fatal errors.
struct Host {
    chain: Mutex<ChainState>,
    fatal: Mutex<Vec<String>>,
}

impl ChainAccess for Host {
    fn with_chainstate(&self, f: &mut dyn FnMut(&ChainState)) {
        f(&self.chain.lock().unwrap());
    }

    fn fatal_error(&self, message: &str) {
        self.fatal.lock().unwrap().push(message.to_string());
    }
}

fn host(chain: ChainState) -> Arc<Host> {
    Arc::new(Host {
        chain: Mutex::new(chain),
        fatal: Mutex::new(Vec::new()),
    })
}

fn wait_synced(ix: &TxIndex) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while !ix.block_until_synced_to_current_chain() {
        assert!(Instant::now() < deadline, "the index did not catch up");
        std::thread::sleep(Duration::from_millis(10));
    }
}

fn assert_finds(ix: &TxIndex, block: &Block) {
    for tx in &block.txdata {
        let (found, hash) = ix.find_tx(&tx.compute_txid()).expect("indexed transaction");
        assert_eq!(&found, tx);
        assert_eq!(hash, block.block_hash());
    }
}

#[test]
fn catches_up_then_follows_connections_and_resumes_after_a_restart() {
    let dir = TempDir::new("catch-up");
    let mut miner = Miner::new();
    let mut chain = open_chain(&dir);
    for _ in 0..105 {
        chain.process_block(&miner.next(0), NOW).unwrap();
    }
    let ix = Arc::new(TxIndex::open(&dir.index_dir(), false, &mut chain).unwrap());
    assert!(!ix.block_until_synced_to_current_chain());
    assert_eq!(ix.summary().best_block_height, 0);
    assert_eq!(ix.summary().best_block_hash, miner.blocks[0].block_hash());
    let h = host(chain);
    ix.start_background_sync(h.clone()).unwrap();
    wait_synced(&ix);
    let s = ix.summary();
    assert_eq!(
        (s.name, s.synced, s.best_block_height),
        ("txindex", true, 105)
    );
    for b in &miner.blocks[1..] {
        assert_finds(&ix, b);
    }
    // The genesis coinbase is left out, as Core leaves it.
    let genesis_tx = miner.blocks[0].txdata[0].compute_txid();
    assert!(ix.find_tx(&genesis_tx).is_none());
    assert!(ix.find_tx(&Txid::from_byte_array([7; 32])).is_none());

    // Synced: new blocks are indexed inside the connection.
    for _ in 0..3 {
        let b = miner.next(0);
        h.chain.lock().unwrap().process_block(&b, NOW).unwrap();
        assert_finds(&ix, &b);
    }
    assert_eq!(ix.summary().best_block_height, 108);
    ix.stop();
    assert!(h.fatal.lock().unwrap().is_empty());
    drop(ix);
    let chain = Arc::try_unwrap(h).ok().unwrap().chain.into_inner().unwrap();
    drop(chain);

    // Restarted at the tip: synced at once, and the thread only reports it.
    let mut chain = open_chain(&dir);
    let ix = TxIndex::open(&dir.index_dir(), false, &mut chain).unwrap();
    assert!(ix.block_until_synced_to_current_chain());
    assert_eq!(ix.summary().best_block_height, 108);
    assert_finds(&ix, &miner.blocks[50]);
    ix.stop();
    drop(ix);

    // Blocks connected while the index was off are caught up from its locator.
    for _ in 0..4 {
        chain.process_block(&miner.next(0), NOW).unwrap();
    }
    let ix = TxIndex::open(&dir.index_dir(), false, &mut chain).unwrap();
    assert_eq!(ix.summary().best_block_height, 108);
    assert!(!ix.block_until_synced_to_current_chain());
    let h = host(chain);
    ix.start_background_sync(h.clone()).unwrap();
    wait_synced(&ix);
    assert_eq!(ix.summary().best_block_height, 112);
    assert_finds(&ix, &miner.blocks[112]);
    ix.stop();
}

#[test]
fn a_reorganisation_rewinds_the_index_and_indexes_the_new_branch() {
    let dir = TempDir::new("reorg");
    let mut base = Miner::new();
    let mut chain = open_chain(&dir);
    for _ in 0..102 {
        chain.process_block(&base.next(0), NOW).unwrap();
    }
    let ix = TxIndex::open(&dir.index_dir(), false, &mut chain).unwrap();
    let h = host(chain);
    ix.start_background_sync(h.clone()).unwrap();
    wait_synced(&ix);
    let mut a = base.clone();
    let mut b = base.clone();
    let a1 = a.next(1);
    h.chain.lock().unwrap().process_block(&a1, NOW).unwrap();
    assert_eq!(ix.best_block().unwrap().hash, a1.block_hash());
    // A longer branch: the index follows the disconnection, then the new blocks.
    let b1 = b.next(2);
    let b2 = b.next(2);
    {
        let mut cs = h.chain.lock().unwrap();
        cs.process_block(&b1, NOW).unwrap();
        cs.process_block(&b2, NOW).unwrap();
        assert_eq!(cs.tip(), b2.block_hash());
    }
    let best = ix.best_block().unwrap();
    assert_eq!((best.hash, best.height), (b2.block_hash(), 104));
    assert_finds(&ix, &b1);
    assert_finds(&ix, &b2);
    // The stale block's own coinbase is still found, in the stale block, as in Core.
    let (_, hash) = ix.find_tx(&a1.txdata[0].compute_txid()).unwrap();
    assert_eq!(hash, a1.block_hash());

    // Invalidating the tip moves the index back with the chain.
    h.chain
        .lock()
        .unwrap()
        .invalidate_block(&b2.block_hash())
        .unwrap();
    let tip = h.chain.lock().unwrap().tip();
    assert_eq!(ix.best_block().unwrap().hash, tip);
    ix.stop();
    assert!(h.fatal.lock().unwrap().is_empty());
}

#[test]
fn a_locator_on_a_stale_branch_is_rewound_to_the_fork_at_the_next_start() {
    let dir = TempDir::new("stale-locator");
    let mut base = Miner::new();
    let mut chain = open_chain(&dir);
    for _ in 0..101 {
        chain.process_block(&base.next(0), NOW).unwrap();
    }
    let mut a = base.clone();
    let mut b = base.clone();
    let a1 = a.next(1);
    chain.process_block(&a1, NOW).unwrap();
    let ix = TxIndex::open(&dir.index_dir(), false, &mut chain).unwrap();
    let h = host(chain);
    ix.start_background_sync(h.clone()).unwrap();
    wait_synced(&ix);
    ix.stop();
    drop(ix);
    let mut chain = Arc::try_unwrap(h).ok().unwrap().chain.into_inner().unwrap();
    // While the index is off, another branch wins.
    let b1 = b.next(2);
    let b2 = b.next(2);
    chain.process_block(&b1, NOW).unwrap();
    chain.process_block(&b2, NOW).unwrap();
    let ix = TxIndex::open(&dir.index_dir(), false, &mut chain).unwrap();
    assert_eq!(ix.best_block().unwrap().hash, a1.block_hash());
    let h = host(chain);
    ix.start_background_sync(h.clone()).unwrap();
    wait_synced(&ix);
    assert_eq!(ix.best_block().unwrap().hash, b2.block_hash());
    assert_finds(&ix, &b1);
    assert_finds(&ix, &b2);
    ix.stop();
}

#[test]
fn reindex_wipes_the_index_and_a_stop_interrupts_the_sync() {
    let dir = TempDir::new("wipe");
    let mut miner = Miner::new();
    let mut chain = open_chain(&dir);
    for _ in 0..20 {
        chain.process_block(&miner.next(0), NOW).unwrap();
    }
    let ix = TxIndex::open(&dir.index_dir(), false, &mut chain).unwrap();
    let h = host(chain);
    ix.start_background_sync(h.clone()).unwrap();
    wait_synced(&ix);
    assert!(matches!(
        ix.start_background_sync(h.clone()),
        Err(IndexError::AlreadyStarted)
    ));
    ix.stop();
    drop(ix);
    let mut chain = Arc::try_unwrap(h).ok().unwrap().chain.into_inner().unwrap();
    let ix = TxIndex::open(&dir.index_dir(), true, &mut chain).unwrap();
    assert_eq!(ix.best_block(), None);
    assert!(ix
        .find_tx(&miner.blocks[5].txdata[0].compute_txid())
        .is_none());
    // Stopped before it ran: the index stays where it was and nothing is lost.
    ix.interrupt();
    let h = host(chain);
    ix.start_background_sync(h.clone()).unwrap();
    ix.stop();
    assert!(!ix.summary().synced);
    assert!(h.fatal.lock().unwrap().is_empty());
}

#[test]
fn garbage_in_the_database_is_an_error_not_a_panic() {
    let dir = TempDir::new("garbage");
    let mut miner = Miner::new();
    let mut chain = open_chain(&dir);
    let b1 = miner.next(0);
    chain.process_block(&b1, NOW).unwrap();
    let txid = b1.txdata[0].compute_txid();
    {
        let db = RedbStore::open(&dir.index_dir()).unwrap();
        let mut batch = WriteBatch::new();
        let mut key = vec![b't'];
        key.extend_from_slice(txid.as_byte_array());
        batch.put(&key, &[0xff, 0xff, 0xff]);
        db.write(batch, true).unwrap();
    }
    let ix = TxIndex::open(&dir.index_dir(), false, &mut chain).unwrap();
    assert!(matches!(
        ix.try_find_tx(&txid),
        Err(IndexError::Corrupt("transaction position"))
    ));
    assert!(ix.find_tx(&txid).is_none());
    // A position that points into the middle of the block is not trusted.
    let at = crate::DiskTxPos {
        block: chain
            .index()
            .entry(chain.active_entry(1).unwrap())
            .data
            .unwrap(),
        tx_offset: 2,
    };
    ix.stop();
    drop(ix);
    {
        let db = RedbStore::open(&dir.index_dir()).unwrap();
        let mut batch = WriteBatch::new();
        let mut key = vec![b't'];
        key.extend_from_slice(txid.as_byte_array());
        batch.put(&key, &at.encode());
        db.write(batch, true).unwrap();
    }
    let ix = TxIndex::open(&dir.index_dir(), false, &mut chain).unwrap();
    assert!(matches!(ix.try_find_tx(&txid), Err(_) | Ok(None)));
    ix.stop();
    drop(ix);

    // A locator that does not parse, or names an unknown block, stops the start.
    for (value, expected) in [
        (
            vec![1u8, 2, 3],
            "corrupted index database: unreadable best block locator",
        ),
        (
            crate::locator::encode(&[bitcoin::BlockHash::from_byte_array([9; 32])]),
            "best block of txindex not found. Please rebuild the index.",
        ),
    ] {
        {
            let db = RedbStore::open(&dir.index_dir()).unwrap();
            let mut batch = WriteBatch::new();
            batch.put(DB_BEST_BLOCK, &value);
            db.write(batch, true).unwrap();
        }
        let e = TxIndex::open(&dir.index_dir(), false, &mut chain)
            .err()
            .expect("refused");
        assert_eq!(e.to_string(), expected);
    }
    // A garbage database file is refused too.
    std::fs::write(dir.index_dir().join("data.redb"), vec![0x5a; 8192]).unwrap();
    assert!(matches!(
        TxIndex::open(&dir.index_dir(), false, &mut chain),
        Err(IndexError::Store(_))
    ));
}

#[test]
fn positions_round_trip_as_core_serializes_them() {
    let at = crate::DiskTxPos {
        block: chain::FilePos { file: 3, pos: 300 },
        tx_offset: 1,
    };
    // VARINT(3), VARINT(300) = 0x81 0x2c, VARINT(1).
    assert_eq!(at.encode(), vec![0x03, 0x81, 0x2c, 0x01]);
    assert_eq!(crate::DiskTxPos::decode(&at.encode()), Some(at));
    assert_eq!(crate::DiskTxPos::decode(&[0x03, 0x81]), None);
    assert_eq!(crate::DiskTxPos::decode(&[1, 2, 3, 4]), None);
}

#[test]
fn an_unreadable_block_stops_the_sync_with_a_fatal_error() {
    let dir = TempDir::new("fatal");
    let mut miner = Miner::new();
    let mut chain = open_chain(&dir);
    for _ in 0..5 {
        chain.process_block(&miner.next(0), NOW).unwrap();
    }
    let ix = TxIndex::open(&dir.index_dir(), false, &mut chain).unwrap();
    // The block files lose their contents under the running chainstate.
    let blk = dir.0.join("blocks").join("blk00000.dat");
    let len = std::fs::metadata(&blk).unwrap().len();
    std::fs::write(&blk, vec![0u8; len as usize]).unwrap();
    let h = host(chain);
    ix.start_background_sync(h.clone()).unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    while h.fatal.lock().unwrap().is_empty() {
        assert!(Instant::now() < deadline, "no fatal error");
        std::thread::sleep(Duration::from_millis(10));
    }
    assert_eq!(
        *h.fatal.lock().unwrap(),
        vec![format!(
            "Failed to read block {} from disk",
            miner.blocks[0].block_hash()
        )]
    );
    ix.stop();
    let s = ix.summary();
    assert!(!s.synced);
    assert_eq!(s.best_block_height, 0);
}
