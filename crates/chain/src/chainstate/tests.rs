//! The chainstate on disk: long chains with transactions, restarts, crashes without a
//! flush, torn block files, reorganisations and invalid blocks.

use std::collections::HashMap;
use std::path::PathBuf;

use bitcoin::absolute::LockTime;
use bitcoin::transaction::Version;
use bitcoin::{Amount, OutPoint, ScriptBuf, Sequence, Transaction, TxIn, TxOut, Witness};
use kvstore::RedbStore;

use super::*;
use crate::assemble::{assemble_block, grind, BlockRequest};
use crate::coinstats::hash_serialized_3;

const NOW: i64 = 2_000_000_000;

struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> TempDir {
        let d = std::env::temp_dir().join(format!("chainstate-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        TempDir(d)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn open(dir: &TempDir, cache_bytes: usize) -> ChainState {
    let options = ChainStateOptions {
        cache_bytes,
        script_threads: 1,
        blocks_xor: true,
        assume_valid: None,
    };
    open_with(dir, options)
}

fn open_with(dir: &TempDir, options: ChainStateOptions) -> ChainState {
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

/// Builds a chain block by block, tracking the coins a clean node would have.
#[derive(Clone)]
struct Miner {
    blocks: Vec<Block>,
    coins: HashMap<OutPoint, Coin>,
}

impl Miner {
    fn new() -> Miner {
        Miner {
            blocks: vec![ChainParams::regtest().genesis],
            coins: HashMap::new(),
        }
    }

    /// The next block with exactly `txs` after its coinbase.
    fn custom(&mut self, txs: Vec<Transaction>) -> Block {
        self.build(txs, 1)
    }

    /// The next block, `spacing` seconds after its parent, applied to the coins.
    fn build(&mut self, txs: Vec<Transaction>, spacing: u32) -> Block {
        let params = ChainParams::regtest();
        let height = self.blocks.len() as u32;
        let prev = &self.blocks[self.blocks.len() - 1];
        let mut b = assemble_block(
            &params,
            BlockRequest {
                prev_hash: prev.block_hash(),
                height,
                version: 0x2000_0000,
                time: prev.header.time + spacing,
                bits: params.genesis.header.bits,
                coinbase_script: ScriptBuf::from_bytes(vec![0x51]),
                transactions: txs,
                fees: 0,
            },
        );
        assert!(grind(&mut b, &params));
        self.apply(&b);
        b
    }

    /// The next block: from height 101 on it spends the coinbase of 100 blocks back into
    /// two outputs and spends one of those again in the same block.
    fn next(&mut self, tag: u8) -> Block {
        let height = self.blocks.len() as u32;
        let mut txs = Vec::new();
        if height > 100 {
            let cb = OutPoint {
                txid: self.blocks[(height - 100) as usize].txdata[0].compute_txid(),
                vout: 0,
            };
            let value = self.coins[&cb].output.value.to_sat();
            let a = tx(cb, vec![value / 2, value / 2 - 1000 - tag as u64]);
            let child = tx(
                OutPoint {
                    txid: a.compute_txid(),
                    vout: 1,
                },
                vec![value / 2 - 3000],
            );
            txs = vec![a, child];
        }
        self.build(txs, 1 + tag as u32)
    }

    fn apply(&mut self, b: &Block) {
        let height = self.blocks.len() as u32;
        crate::validation::apply_block_unchecked(&mut self.coins, b, height);
        self.blocks.push(b.clone());
    }

    fn hash(&self) -> String {
        hash_serialized_3(&self.coins).to_string()
    }
}

fn tx(prevout: OutPoint, values: Vec<u64>) -> Transaction {
    Transaction {
        version: Version::TWO,
        lock_time: LockTime::ZERO,
        input: vec![TxIn {
            previous_output: prevout,
            script_sig: ScriptBuf::new(),
            sequence: Sequence::MAX,
            witness: Witness::new(),
        }],
        output: values
            .into_iter()
            .map(|v| TxOut {
                value: Amount::from_sat(v),
                script_pubkey: ScriptBuf::from_bytes(vec![0x51]),
            })
            .collect(),
    }
}

fn utxo_hash(cs: &mut ChainState) -> String {
    let coins = cs.all_coins().unwrap();
    hash_serialized_3(coins.iter().map(|(o, c)| (o, c))).to_string()
}

#[test]
fn thousand_block_chain_with_transactions_survives_a_restart() {
    let dir = TempDir::new("thousand");
    let mut miner = Miner::new();
    {
        // A small cache: the coins are flushed many times on the way.
        let mut cs = open(&dir, 64 << 10);
        for _ in 0..1000 {
            let b = miner.next(0);
            cs.process_block(&b, NOW).unwrap();
        }
        assert_eq!(cs.height(), 1000);
        assert_eq!(utxo_hash(&mut cs), miner.hash());
        cs.flush().unwrap();
    }
    let mut cs = open(&dir, 64 << 10);
    assert_eq!(cs.height(), 1000);
    assert_eq!(cs.tip(), miner.blocks[1000].block_hash());
    assert_eq!(utxo_hash(&mut cs), miner.hash());
}

#[test]
fn blocks_acknowledged_before_a_crash_are_kept() {
    let dir = TempDir::new("crash");
    let mut miner = Miner::new();
    {
        // A large cache and no flush: the store still holds only the genesis block.
        let mut cs = open(&dir, 1 << 30);
        for _ in 0..150 {
            cs.process_block(&miner.next(0), NOW).unwrap();
        }
        // Dropped without a flush, as a kill -9 would leave it.
    }
    let mut cs = open(&dir, 1 << 30);
    assert_eq!(cs.height(), 150);
    assert_eq!(utxo_hash(&mut cs), miner.hash());
    // And again, after this recovery was itself flushed.
    drop(cs);
    let mut cs = open(&dir, 1 << 30);
    assert_eq!(cs.height(), 150);
    assert_eq!(utxo_hash(&mut cs), miner.hash());
}

#[test]
fn a_torn_block_record_is_dropped_and_overwritten() {
    let dir = TempDir::new("torn");
    let mut miner = Miner::new();
    {
        let mut cs = open(&dir, 1 << 30);
        for _ in 0..120 {
            cs.process_block(&miner.next(0), NOW).unwrap();
        }
        cs.flush().unwrap();
        for _ in 0..5 {
            cs.process_block(&miner.next(0), NOW).unwrap();
        }
    }
    // Cut the last block record in half, as a crash inside its write would.
    let blk = dir.0.join("blocks").join("blk00000.dat");
    let bytes = std::fs::read(&blk).unwrap();
    let last = bitcoin::consensus::serialize(&miner.blocks[125]);
    let mut key = [0u8; 8];
    key.copy_from_slice(&std::fs::read(dir.0.join("blocks").join("xor.dat")).unwrap());
    let end = (0..bytes.len() - last.len())
        .rev()
        .find(|&at| (0..16).all(|k| bytes[at + k] ^ key[(at + k) % 8] == last[k]))
        .unwrap();
    let mut torn = bytes.clone();
    for b in &mut torn[end + last.len() / 2..] {
        *b = 0;
    }
    std::fs::write(&blk, &torn).unwrap();
    let mut cs = open(&dir, 1 << 30);
    assert_eq!(cs.height(), 124);
    let mut expected = Miner::new();
    for b in &miner.blocks[1..125] {
        expected.apply(b);
    }
    assert_eq!(utxo_hash(&mut cs), expected.hash());
    // The lost block can be sent again and lands where the torn one was.
    cs.process_block(&miner.blocks[125], NOW).unwrap();
    assert_eq!(cs.height(), 125);
    assert_eq!(utxo_hash(&mut cs), miner.hash());
}

#[test]
fn reorganises_to_the_longer_branch_and_back() {
    let dir = TempDir::new("reorg");
    let mut base = Miner::new();
    let mut cs = open(&dir, 1 << 30);
    for _ in 0..110 {
        cs.process_block(&base.next(0), NOW).unwrap();
    }
    let mut a = base.clone();
    let mut b = base.clone();
    for _ in 0..20 {
        cs.process_block(&a.next(1), NOW).unwrap();
    }
    assert_eq!(cs.tip(), a.blocks[130].block_hash());
    // The other branch overtakes only with its 21st block.
    for k in 0..21 {
        cs.process_block(&b.next(2), NOW).unwrap();
        let expect = if k < 20 { &a } else { &b };
        assert_eq!(
            cs.tip(),
            expect.blocks[expect.blocks.len() - 1].block_hash()
        );
    }
    assert_eq!(cs.height(), 131);
    assert_eq!(utxo_hash(&mut cs), b.hash());
    // One block back: the first branch grows by two and wins again.
    for _ in 0..2 {
        cs.process_block(&a.next(1), NOW).unwrap();
    }
    assert_eq!(cs.tip(), a.blocks[132].block_hash());
    assert_eq!(utxo_hash(&mut cs), a.hash());
    drop(cs);
    let mut cs = open(&dir, 1 << 30);
    assert_eq!(cs.tip(), a.blocks[132].block_hash());
    assert_eq!(utxo_hash(&mut cs), a.hash());
}

#[test]
fn an_invalid_block_is_rejected_and_the_tip_stays() {
    let dir = TempDir::new("invalid");
    let mut miner = Miner::new();
    let mut cs = open(&dir, 1 << 30);
    for _ in 0..5 {
        cs.process_block(&miner.next(0), NOW).unwrap();
    }
    let tip = cs.tip();
    let before = utxo_hash(&mut cs);
    let mut bad = miner.clone().next(0);
    bad.txdata[0].output[0].value += Amount::from_sat(1);
    bad.header.merkle_root = crate::validation::block_merkle_root(&bad).0;
    assert!(grind(&mut bad, cs.params()));
    match cs.process_block(&bad, NOW) {
        Err(ProcessError::Block(e)) => assert_eq!(e.reason(), "bad-cb-amount"),
        other => panic!("expected bad-cb-amount, got {other:?}"),
    }
    assert_eq!(cs.tip(), tip);
    assert_eq!(utxo_hash(&mut cs), before);
    assert!(cs.status(&bad.block_hash()).unwrap().failed());
    // A valid block at the same height still connects.
    cs.process_block(&miner.next(0), NOW).unwrap();
    assert_eq!(cs.height(), 6);
}

#[test]
fn reindex_and_reindex_chainstate_rebuild_the_same_coins() {
    let dir = TempDir::new("reindex");
    let mut miner = Miner::new();
    let mut cs = open(&dir, 1 << 20);
    for _ in 0..130 {
        cs.process_block(&miner.next(0), NOW).unwrap();
    }
    cs.flush().unwrap();
    drop(cs);
    // -reindex-chainstate: the coins are gone, the index stays.
    std::fs::remove_dir_all(dir.0.join("chainstate")).unwrap();
    let mut cs = open(&dir, 1 << 20);
    assert_eq!(cs.height(), 130);
    assert_eq!(utxo_hash(&mut cs), miner.hash());
    drop(cs);
    // -reindex: the index is rebuilt from the block files too.
    std::fs::remove_dir_all(dir.0.join("chainstate")).unwrap();
    std::fs::remove_dir_all(dir.0.join("blocks").join("index")).unwrap();
    let mut cs = open(&dir, 1 << 20);
    assert_eq!(cs.height(), 130);
    assert_eq!(utxo_hash(&mut cs), miner.hash());
}

/// Records events as text, shared with the test through a mutex.
struct Recorder(std::sync::Arc<std::sync::Mutex<Vec<String>>>);

impl ChainEvents for Recorder {
    fn block_connected(&mut self, _b: &Block, height: u32) {
        self.0.lock().unwrap().push(format!("connect {height}"));
    }
    fn block_disconnected(&mut self, _b: &Block, height: u32) {
        self.0.lock().unwrap().push(format!("disconnect {height}"));
    }
    fn updated_block_tip(&mut self, _t: &BlockHash, height: u32, fork: u32, ibd: bool) {
        self.0
            .lock()
            .unwrap()
            .push(format!("tip {height} fork {fork} ibd {ibd}"));
    }
}

#[test]
fn events_arrive_in_order_through_a_reorg_and_tip_lines_are_logged() {
    let dir = TempDir::new("events");
    let mut base = Miner::new();
    let mut cs = open(&dir, 1 << 30);
    let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let lines = std::sync::Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    cs.subscribe(Box::new(Recorder(seen.clone())));
    let sink = lines.clone();
    cs.set_log(Box::new(move |_, l| {
        sink.lock().unwrap().push(l.to_string())
    }));
    cs.process_block(&base.next(0), NOW).unwrap();
    let mut a = base.clone();
    let mut b = base.clone();
    cs.process_block(&a.next(1), NOW).unwrap();
    cs.process_block(&b.next(2), NOW).unwrap();
    cs.process_block(&b.next(2), NOW).unwrap();
    // The blocks' times are in 2011, far behind NOW: still initial download.
    assert_eq!(
        *seen.lock().unwrap(),
        vec![
            "connect 1",
            "tip 1 fork 0 ibd true",
            "connect 2",
            "tip 2 fork 1 ibd true",
            "disconnect 2",
            "connect 2",
            "connect 3",
            "tip 3 fork 1 ibd true",
        ]
    );
    {
        let all = lines.lock().unwrap();
        assert_eq!(
            all[0],
            format!(
                "Enabling script verification at block #1 ({}): assumevalid=0 (always verify).",
                base.blocks[1].block_hash()
            )
        );
        // One UpdateTip line per connection and disconnection.
        let lines: Vec<&String> = all.iter().filter(|l| l.starts_with("UpdateTip")).collect();
        assert_eq!(lines.len(), 5);
        let last = &lines[4];
        assert!(
            last.starts_with(&format!(
                "UpdateTip: new best={} height=3 version=0x20000000 log2_work=3.000000 tx=4 date='",
                b.blocks[3].block_hash()
            )),
            "{last}"
        );
    }
    assert!(cs.is_initial_block_download());
    // A recent tip ends initial download, once and for good.
    let mut recent = b.next(0);
    recent.header.time = (NOW - 60) as u32;
    recent.header.nonce = 0;
    assert!(grind(&mut recent, cs.params()));
    cs.process_block(&recent, NOW).unwrap();
    assert!(!cs.is_initial_block_download());
    assert!(seen.lock().unwrap().last().unwrap().ends_with("ibd false"));
    assert!(lines
        .lock()
        .unwrap()
        .iter()
        .any(|l| l == "Leaving InitialBlockDownload (latching to false)"));
}

#[test]
fn invalidate_reconsider_and_precious_move_the_tip_as_core_does() {
    let dir = TempDir::new("invalidate");
    let mut base = Miner::new();
    let mut cs = open(&dir, 1 << 30);
    for _ in 0..110 {
        cs.process_block(&base.next(0), NOW).unwrap();
    }
    let (mut a, mut b) = (base.clone(), base.clone());
    for _ in 0..3 {
        cs.process_block(&a.next(1), NOW).unwrap();
    }
    for _ in 0..3 {
        cs.process_block(&b.next(2), NOW).unwrap();
    }
    // Equal work: the first seen branch stays.
    assert_eq!(cs.tip(), a.blocks[113].block_hash());
    // preciousblock switches to the other branch of equal work, and back.
    cs.precious_block(&b.blocks[113].block_hash()).unwrap();
    assert_eq!(cs.tip(), b.blocks[113].block_hash());
    assert_eq!(utxo_hash(&mut cs), b.hash());
    cs.precious_block(&a.blocks[113].block_hash()).unwrap();
    assert_eq!(cs.tip(), a.blocks[113].block_hash());
    // invalidateblock on a's second block: b is the best valid chain left.
    cs.invalidate_block(&a.blocks[112].block_hash()).unwrap();
    assert_eq!(cs.tip(), b.blocks[113].block_hash());
    assert!(cs.status(&a.blocks[113].block_hash()).unwrap().failed());
    // Invalidating b's first block leaves a's first block (not invalid) as the tip.
    cs.invalidate_block(&b.blocks[111].block_hash()).unwrap();
    assert_eq!(cs.tip(), a.blocks[111].block_hash());
    let mut expect = base.clone();
    expect.apply(&a.blocks[111]);
    assert_eq!(utxo_hash(&mut cs), expect.hash());
    // reconsiderblock brings a's branch back; the genesis block cannot be invalidated.
    cs.reconsider_block(&a.blocks[113].block_hash()).unwrap();
    assert_eq!(cs.tip(), a.blocks[113].block_hash());
    assert_eq!(utxo_hash(&mut cs), a.hash());
    cs.invalidate_block(&ChainParams::regtest().genesis.block_hash())
        .unwrap();
    assert_eq!(cs.height(), 113);
    // The marks survive a restart, and the tip stays among equal-work branches.
    cs.precious_block(&b.blocks[113].block_hash()).unwrap();
    assert_eq!(cs.tip(), a.blocks[113].block_hash(), "b is invalid");
    cs.reconsider_block(&b.blocks[111].block_hash()).unwrap();
    cs.precious_block(&b.blocks[113].block_hash()).unwrap();
    assert_eq!(cs.tip(), b.blocks[113].block_hash());
    cs.invalidate_block(&b.blocks[113].block_hash()).unwrap();
    cs.flush().unwrap();
    drop(cs);
    let cs = open(&dir, 1 << 30);
    assert!(cs.status(&b.blocks[113].block_hash()).unwrap().failed());
    assert!(!cs.status(&b.blocks[112].block_hash()).unwrap().failed());
    assert_eq!(cs.tip(), a.blocks[113].block_hash());
}

#[test]
fn the_tip_stays_on_its_branch_across_a_restart_when_work_is_equal() {
    let dir = TempDir::new("ties");
    let mut base = Miner::new();
    let mut cs = open(&dir, 1 << 30);
    for _ in 0..3 {
        cs.process_block(&base.next(0), NOW).unwrap();
    }
    let (mut a, mut b) = (base.clone(), base.clone());
    cs.process_block(&a.next(1), NOW).unwrap();
    cs.process_block(&b.next(2), NOW).unwrap();
    cs.precious_block(&b.blocks[4].block_hash()).unwrap();
    assert_eq!(cs.tip(), b.blocks[4].block_hash());
    cs.flush().unwrap();
    drop(cs);
    let cs = open(&dir, 1 << 30);
    assert_eq!(cs.tip(), b.blocks[4].block_hash());
}

/// A chain whose block 102 spends an output no script can satisfy, with 2,100 blocks on
/// top: more than two weeks of regtest work.
fn chain_with_a_bad_script() -> Miner {
    let mut m = Miner::new();
    for _ in 0..100 {
        m.next(0);
    }
    let cb = OutPoint {
        txid: m.blocks[1].txdata[0].compute_txid(),
        vout: 0,
    };
    let mut lock = tx(cb, vec![1_000_000]);
    lock.output[0].script_pubkey = ScriptBuf::from_bytes(vec![0x00]);
    let locked = OutPoint {
        txid: lock.compute_txid(),
        vout: 0,
    };
    m.custom(vec![lock]);
    m.custom(vec![tx(locked, vec![900_000])]);
    for _ in 0..2100 {
        m.next(0);
    }
    m
}

#[test]
fn assumevalid_skips_scripts_only_below_it_with_two_weeks_of_work_on_top() {
    let m = chain_with_a_bad_script();
    let headers: Vec<_> = m.blocks[1..].iter().map(|b| b.header).collect();
    let tip = m.blocks[m.blocks.len() - 1].block_hash();
    let run = |assume_valid: Option<BlockHash>, name: &str, blocks: usize| {
        let dir = TempDir::new(name);
        let mut cs = open_with(
            &dir,
            ChainStateOptions {
                cache_bytes: 1 << 30,
                script_threads: 1,
                blocks_xor: true,
                assume_valid,
            },
        );
        let lines = std::sync::Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
        let sink = lines.clone();
        cs.set_log(Box::new(move |_, l| {
            if l.contains("script verification") {
                sink.lock().unwrap().push(l.to_string());
            }
        }));
        cs.process_headers(&headers, NOW).unwrap();

        let mut first_error = None;
        for b in &m.blocks[1..=blocks] {
            if let Err(e) = cs.process_block(b, NOW) {
                first_error = Some(e.to_string());
                break;
            }
        }
        let lines = lines.lock().unwrap().clone();
        (cs.height(), first_error, lines)
    };
    // Without -assumevalid the bad spend is found.
    let (height, err, lines) = run(None, "av-off", 200);
    assert_eq!(height, 101);
    assert!(err.unwrap().starts_with("block-script-verify-flag-failed (Script evaluated without error but finished with a false/empty top stack element)"));
    assert_eq!(
        lines[0],
        format!(
            "Enabling script verification at block #1 ({}): assumevalid=0 (always verify).",
            m.blocks[1].block_hash()
        )
    );
    // With the tip assumed valid, scripts are skipped up to two weeks of work below the
    // best header, then checked again.
    let (height, err, lines) = run(Some(tip), "av-on", 2202);
    assert_eq!(height, 2202);
    assert_eq!(err, None);
    assert_eq!(
        lines[0],
        format!(
            "Disabling script verification at block #1 ({}).",
            m.blocks[1].block_hash()
        )
    );
    assert_eq!(
        lines[1],
        format!(
            "Enabling script verification at block #186 ({}): block too recent relative to best header.",
            m.blocks[186].block_hash()
        )
    );
    // A block above the assumed-valid one is always checked.
    let (_, _, lines) = run(Some(m.blocks[50].block_hash()), "av-low", 60);
    assert_eq!(
        lines[1],
        format!(
            "Enabling script verification at block #51 ({}): block height above assumevalid height.",
            m.blocks[51].block_hash()
        )
    );
}

#[test]
fn blocks_created_on_the_tip_are_accepted_and_pay_subsidy_plus_fees() {
    let dir = TempDir::new("create");
    let mut cs = open(&dir, 1 << 30);
    let script = ScriptBuf::from_bytes(vec![0x51]);
    for _ in 0..101 {
        let mut b = cs.create_new_block(script.clone(), Vec::new(), 0, NOW);
        assert!(grind(&mut b, cs.params()));
        cs.process_block(&b, NOW).unwrap();
    }
    let first = cs.read_block(&cs.hash_at(1).unwrap()).unwrap().unwrap();
    assert_eq!(first.header.version.to_consensus(), 0x2000_0000);
    assert_eq!(first.header.time as i64, NOW);
    // Times already past `now` move on by one second a block, past the median.
    let tip_time = cs.read_block(&cs.tip()).unwrap().unwrap().header.time as i64;
    assert!(tip_time > NOW);
    let spend = tx(
        OutPoint {
            txid: first.txdata[0].compute_txid(),
            vout: 0,
        },
        vec![4_999_990_000],
    );
    let mut b = cs.create_new_block(script, vec![spend], 10_000, NOW);
    assert!(grind(&mut b, cs.params()));
    assert_eq!(b.txdata[0].output[0].value.to_sat(), 5_000_000_000 + 10_000);
    cs.process_block(&b, NOW).unwrap();
    assert_eq!(cs.height(), 102);
}

#[test]
fn a_best_header_without_its_block_does_not_hold_back_other_blocks() {
    let dir = TempDir::new("headeronly");
    let mut base = Miner::new();
    let mut cs = open(&dir, 1 << 30);
    for _ in 0..5 {
        cs.process_block(&base.next(0), NOW).unwrap();
    }
    // Two headers ahead on one branch, whose blocks never arrive: the best header.
    let mut ahead = base.clone();
    let h1 = ahead.next(1).header;
    let h2 = ahead.next(1).header;
    cs.process_headers(&[h1, h2], NOW).unwrap();
    assert_eq!(cs.index().best_header().hash, h2.block_hash());
    // A competing block with data is connected all the same, as Core's candidate set does.
    let mut other = base.clone();
    let b = other.next(2);
    let outcome = cs.process_block(&b, NOW).unwrap();
    assert!(outcome.new_block && outcome.active);
    assert_eq!(cs.tip(), b.block_hash());
    // A block mutated in transit leaves its header unmarked and without data; the valid
    // block at that height still gets connected.
    let good = other.next(2);
    let mut bad = good.clone();
    bad.txdata.push(bad.txdata[0].clone());
    assert!(cs.process_block(&bad, NOW).is_err());
    cs.process_block(&good, NOW).unwrap();
    assert_eq!(cs.tip(), good.block_hash());
    // The header-only branch's blocks arriving later win once they have more work.
    drop(cs);
    let mut cs = open(&dir, 1 << 30);
    assert_eq!(cs.tip(), good.block_hash());
    for b in &ahead.blocks[6..] {
        cs.process_block(b, NOW).unwrap();
    }
    let third = ahead.next(1);
    cs.process_block(&third, NOW).unwrap();
    assert_eq!(cs.tip(), third.block_hash());
}

/// Records where each connected block is stored, as an index of the chain would.
struct Positions(std::sync::Arc<std::sync::Mutex<Vec<(u32, crate::FilePos)>>>);

impl ChainEvents for Positions {
    fn block_connected_in(&mut self, _b: &Block, index: &BlockIndex, entry: usize) {
        let e = index.entry(entry);
        if let Some(pos) = e.data {
            self.0.lock().unwrap().push((e.height, pos));
        }
    }
}

#[test]
fn connections_carry_the_stored_position_and_a_reader_finds_each_transaction() {
    let dir = TempDir::new("positions");
    let mut miner = Miner::new();
    let mut cs = open(&dir, 1 << 30);
    let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    cs.subscribe(Box::new(Positions(seen.clone())));
    for _ in 0..102 {
        cs.process_block(&miner.next(0), NOW).unwrap();
    }
    let reader = cs.block_reader();
    let seen = seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 102);
    for (height, pos) in seen {
        let block = &miner.blocks[height as usize];
        assert_eq!(&reader.read_block(pos).unwrap(), block);
        // Offsets after the header: the transaction count, then each transaction in turn.
        let mut offset = bitcoin::VarInt(block.txdata.len() as u64).size() as u32;
        for t in &block.txdata {
            let (header, found) = reader.read_tx(pos, offset).unwrap();
            assert_eq!(header, block.header);
            assert_eq!(&found, t);
            offset += t.total_size() as u32;
        }
    }
}

#[test]
fn unrequested_blocks_follow_accept_block() {
    let dir = TempDir::new("unrequested");
    let mut cs = open(&dir, 1 << 30);
    let lines = std::sync::Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let sink = lines.clone();
    cs.set_log(Box::new(move |_, l| {
        sink.lock().unwrap().push(l.to_string())
    }));
    let mut main = Miner::new();
    let mut fork = main.clone();
    cs.process_block(&main.next(0), NOW).unwrap();
    cs.process_block(&main.next(0), NOW).unwrap();

    // Without proven work a new header is refused and not indexed.
    let f1 = fork.next(1);
    let r = cs.process_new_block(&f1, NOW, false, false);
    assert!(matches!(
        r,
        Err(ProcessError::Header(HeaderError::TooLittleChainwork))
    ));
    assert!(cs.index().find(&f1.block_hash()).is_none());
    let want = format!(
        "AcceptBlockHeader: not adding new block header {}, missing anti-dos proof-of-work validation",
        f1.block_hash()
    );
    assert!(lines.lock().unwrap().contains(&want));

    // Less work than the tip: the header is kept, the block is not.
    let out = cs.process_new_block(&f1, NOW, false, true).unwrap();
    assert!(!out.new_block);
    let i = cs.index().find(&f1.block_hash()).unwrap();
    assert!(cs.index().entry(i).data.is_none());

    // Equal work is enough for an unrequested block (its parent is missing, so it
    // waits without becoming the tip).
    let f2 = fork.next(1);
    let out = cs.process_new_block(&f2, NOW, false, true).unwrap();
    assert!(out.new_block && !out.active);
    assert_eq!(cs.tip(), main.blocks[2].block_hash());

    // A requested block is stored whatever its work, and completes the fork.
    let out = cs.process_new_block(&f1, NOW, true, true).unwrap();
    assert!(out.new_block);
    assert_eq!(cs.tip(), main.blocks[2].block_hash());
    let f3 = fork.next(1);
    cs.process_new_block(&f3, NOW, false, true).unwrap();
    assert_eq!(cs.tip(), f3.block_hash());

    // A block more than MIN_BLOCKS_TO_KEEP ahead of the tip is not stored unrequested.
    let mut far = Vec::new();
    for _ in 0..=MIN_BLOCKS_TO_KEEP {
        far.push(fork.next(1));
    }
    let headers: Vec<_> = far.iter().map(|b| b.header).collect();
    cs.process_headers(&headers, NOW).unwrap();
    let last = far.last().unwrap();
    let out = cs.process_new_block(last, NOW, false, true).unwrap();
    assert!(!out.new_block);
    let out = cs.process_new_block(&far[0], NOW, false, true).unwrap();
    assert!(out.new_block && out.active);
}

#[test]
fn context_free_block_failures_leave_no_invalid_header() {
    let dir = TempDir::new("checkblock");
    let mut cs = open(&dir, 1 << 30);
    let mut m = Miner::new();
    let good = m.next(0);
    let mut bad = good.clone();
    bad.txdata.push(bad.txdata[0].clone());
    assert!(matches!(
        cs.process_block(&bad, NOW),
        Err(ProcessError::Block(_))
    ));
    // Core's `CheckBlock` runs before the header is accepted.
    assert!(cs.index().find(&bad.block_hash()).is_none());
    cs.process_block(&good, NOW).unwrap();
    assert_eq!(cs.tip(), good.block_hash());
}

#[test]
fn a_stored_block_failing_on_a_later_reorg_is_reported_and_logged() {
    let dir = TempDir::new("later-invalid");
    let mut cs = open(&dir, 1 << 30);
    let lines = std::sync::Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let sink = lines.clone();
    cs.set_log(Box::new(move |_, l| {
        sink.lock().unwrap().push(l.to_string())
    }));
    let mut main = Miner::new();
    for _ in 0..3 {
        cs.process_block(&main.next(0), NOW).unwrap();
    }
    let mut fork = main.clone();
    for _ in 0..2 {
        cs.process_block(&main.next(0), NOW).unwrap();
    }
    // A side-chain block paying itself too much: stored, not connected, not yet known
    // to be invalid.
    let mut bad = fork.next(1);
    bad.txdata[0].output[0].value += Amount::from_sat(1);
    bad.header.merkle_root = crate::validation::block_merkle_root(&bad).0;
    assert!(grind(&mut bad, cs.params()));
    *fork.blocks.last_mut().unwrap() = bad.clone();
    let out = cs.process_block(&bad, NOW).unwrap();
    assert!(out.new_block && !out.active && out.other_invalid.is_none());
    cs.process_block(&fork.next(1), NOW).unwrap();
    // The fork overtakes: connecting its first block fails, which the block that
    // triggered the attempt reports.
    let out = cs.process_block(&fork.next(1), NOW).unwrap();
    assert_eq!(out.other_invalid, Some(bad.block_hash()));
    assert!(!out.active);
    assert_eq!(cs.tip(), main.blocks[5].block_hash());
    let lines = lines.lock().unwrap();
    let want = format!(
        "ConnectTip: ConnectBlock {} failed, bad-cb-amount",
        bad.block_hash()
    );
    assert!(lines.iter().any(|l| l.starts_with(&want)), "{lines:?}");
    let want = format!(
        "InvalidChainFound: invalid block={} height=4",
        bad.block_hash()
    );
    assert!(lines.iter().any(|l| l.starts_with(&want)), "{lines:?}");
}

#[test]
fn equal_work_ties_go_to_the_block_received_first_not_the_header() {
    let dir = TempDir::new("tie-by-block");
    let mut cs = open(&dir, 1 << 30);
    let mut base = Miner::new();
    cs.process_block(&base.next(0), NOW).unwrap();
    let mut a = base.clone();
    let mut b = base.clone();
    let late = a.next(1);
    let early = b.next(2);
    // The late block's header arrives first, its block only after the other block.
    cs.process_headers(&[late.header], NOW).unwrap();
    cs.process_block(&early, NOW).unwrap();
    cs.process_block(&late, NOW).unwrap();
    assert_eq!(cs.tip(), early.block_hash());
}

#[test]
fn a_stored_side_chain_has_its_chain_transactions_once_its_parents_are_stored() {
    let dir = TempDir::new("num-chain-txs");
    let mut cs = open(&dir, 1 << 30);
    let mut main = Miner::new();
    let mut fork = main.clone();
    for _ in 0..3 {
        cs.process_block(&main.next(0), NOW).unwrap();
    }
    let f1 = fork.next(1);
    let f2 = fork.next(1);
    cs.process_headers(&[f1.header, f2.header], NOW).unwrap();
    cs.process_block(&f2, NOW).unwrap();
    let i2 = cs.index().find(&f2.block_hash()).unwrap();
    assert!(!cs.have_num_chain_txs(i2), "its parent is missing");
    cs.process_block(&f1, NOW).unwrap();
    // Stored but not connected (less work than the tip): linked all the same.
    assert!(cs.have_num_chain_txs(i2));
    assert_ne!(cs.tip(), f2.block_hash());
}
