//! The mempool beside the chainstate: acceptance against the active chain, following
//! blocks (confirmed and conflicting transactions leave, a reorganisation's transactions
//! return), and choosing transactions for new blocks (Core's `BlockAssembler`).

use std::sync::{Arc, Mutex};

use bitcoin::{Block, OutPoint, Transaction};
use chain::chainstate::ChainEvents;
use chain::ChainState;
use common::log_debug;
use common::logging::Category;
use consensus::script::VerifyFlags;
use consensus::tx::SpentCoin;
use mempool::accept::{AcceptArgs, Acceptor, ChainView, PackageResult, TxResult};
use mempool::{FeeRate, Mempool, PoolEvent};

use crate::context::{lock, NodeContext};

/// The active chain as acceptance sees it.
pub struct ChainStateView<'a> {
    cs: &'a ChainState,
    now: i64,
}

impl<'a> ChainStateView<'a> {
    /// A view of `cs` at time `now`.
    pub fn new(cs: &'a ChainState, now: i64) -> ChainStateView<'a> {
        ChainStateView { cs, now }
    }

    fn tip_index(&self) -> Option<usize> {
        self.cs.active_entry(self.cs.height())
    }
}

impl ChainView for ChainStateView<'_> {
    fn height(&self) -> u32 {
        self.cs.height()
    }

    fn median_time_past(&self) -> i64 {
        self.tip_index()
            .map(|i| self.cs.index().median_time_past(i))
            .unwrap_or(0)
    }

    fn median_time_past_at(&self, height: u32) -> i64 {
        self.cs
            .active_entry(height)
            .map(|i| self.cs.index().median_time_past(i))
            .unwrap_or(0)
    }

    fn coin(&self, outpoint: &OutPoint) -> Option<SpentCoin> {
        match self.cs.coin(outpoint) {
            Ok(c) => c.map(|c| SpentCoin {
                output: c.output,
                height: c.height,
                is_coinbase: c.is_coinbase,
            }),
            Err(e) => {
                common::log_error!("Reading coin {}: {}", outpoint, e);
                None
            }
        }
    }

    fn script_flags(&self) -> VerifyFlags {
        self.cs
            .params()
            .block_script_flags(&self.cs.tip(), self.cs.height())
    }

    fn now(&self) -> i64 {
        self.now
    }

    fn coin_in_cache(&self, outpoint: &OutPoint) -> bool {
        self.cs.coin_in_cache(outpoint)
    }

    fn script_cache(&self) -> Option<&consensus::block::ScriptCache> {
        Some(self.cs.script_cache())
    }

    fn is_current_for_fee_estimation(&self) -> bool {
        // Tips older than this say little about today's fees (`MAX_FEE_ESTIMATION_TIP_AGE`).
        const MAX_TIP_AGE: i64 = 3 * 3600;
        if self.cs.is_initial_block_download() {
            return false;
        }
        let Some(tip) = self.tip_index() else {
            return false;
        };
        if i64::from(self.cs.index().entry(tip).header.time) < self.now - MAX_TIP_AGE {
            return false;
        }
        i64::from(self.cs.height()) >= i64::from(self.cs.index().best_header().height) - 1
    }
}

/// Most memory the transactions of disconnected blocks may take while a reorganisation
/// runs (`MAX_DISCONNECTED_TX_POOL_BYTES`).
const MAX_DISCONNECTED_TX_POOL_BYTES: usize = 20_000_000;

/// Transactions of blocks disconnected by a reorganisation, waiting to return to the pool
/// once the new chain is in place (`DisconnectedBlockTransactions`): each block's
/// transactions are queued in reverse, newest block first, and the front is evicted when
/// the queue outgrows its memory limit.
#[derive(Debug, Default)]
pub struct DisconnectPool {
    /// Transactions with their ids, computed once when queued.
    queue: std::collections::VecDeque<(bitcoin::Txid, Arc<Transaction>)>,
    inner_usage: usize,
}

impl DisconnectPool {
    fn usage(&self) -> usize {
        self.inner_usage + mempool::usage::disconnect_pool_overhead(self.queue.len())
    }

    /// Queues `block`'s transactions; returns those evicted to stay within the limit.
    fn add_block(&mut self, block: &Block) -> Vec<Arc<Transaction>> {
        for tx in block.txdata.iter().rev() {
            self.inner_usage += mempool::usage::tx_usage(tx);
            self.queue
                .push_back((tx.compute_txid(), Arc::new(tx.clone())));
        }
        let mut evicted = Vec::new();
        while self.usage() > MAX_DISCONNECTED_TX_POOL_BYTES {
            let Some((_, tx)) = self.queue.pop_front() else {
                break;
            };
            self.inner_usage -= mempool::usage::tx_usage(&tx);
            evicted.push(tx);
        }
        evicted
    }

    /// Drops transactions a connected block holds.
    fn remove_for_block(&mut self, block: &Block) {
        if self.queue.is_empty() {
            return;
        }
        let ids: std::collections::HashSet<bitcoin::Txid> =
            block.txdata.iter().map(|t| t.compute_txid()).collect();
        let mut usage = self.inner_usage;
        self.queue.retain(|(txid, t)| {
            let keep = !ids.contains(txid);
            if !keep {
                usage -= mempool::usage::tx_usage(t);
            }
            keep
        });
        self.inner_usage = usage;
    }

    /// Takes everything, oldest block first and in block order.
    fn take(&mut self) -> Vec<Arc<Transaction>> {
        self.inner_usage = 0;
        std::mem::take(&mut self.queue)
            .into_iter()
            .rev()
            .map(|(_, tx)| tx)
            .collect()
    }
}

/// The disconnect pool shared by the chain's subscriber and the node.
pub type DisconnectedTxs = Arc<Mutex<DisconnectPool>>;

/// Keeps the pool in step with the chain's blocks.
pub struct MempoolSync {
    /// The pool.
    pub pool: Arc<Mutex<Mempool>>,
    /// Where disconnected blocks' transactions wait.
    pub disconnected: DisconnectedTxs,
    /// The node's clock.
    pub clock: Arc<dyn Fn() -> i64 + Send + Sync>,
}

impl ChainEvents for MempoolSync {
    fn block_connected(&mut self, block: &Block, height: u32) {
        let now = (self.clock)();
        lock(&self.pool).remove_for_block(block, height, now);
        lock(&self.disconnected).remove_for_block(block);
    }

    fn block_disconnected(&mut self, block: &Block, _height: u32) {
        let evicted = lock(&self.disconnected).add_block(block);
        let mut pool = lock(&self.pool);
        for tx in evicted {
            pool.remove_recursive(&tx, mempool::RemovalReason::Reorg);
        }
    }
}

/// A subscriber to the pool's events (Core's `TransactionAddedToMempool` and
/// `TransactionRemovedFromMempool` validation-interface callbacks; the wallet's chain
/// notifications will be one). Events arrive in the order the pool recorded them, while
/// the pool is locked: a listener queues or records, and never locks the pool itself.
pub trait PoolListener: Send + Sync {
    /// One batch of events, oldest first.
    fn pool_events(&self, events: &[PoolEvent]);
}

/// Hands the pool's recorded events to fee estimation and to every listener, as Core's
/// validation interface does; call after anything that changes the pool.
pub fn notify(node: &NodeContext) {
    let mut pool = lock(&node.mempool);
    let events = pool.take_events();
    if events.is_empty() {
        return;
    }
    // Delivered before the pool is released, so batches taken by different threads
    // reach subscribers in the order the pool recorded them.
    crate::fee_estimation::feed(&mut lock(&node.fee_estimator), &events);
    let listeners = lock(&node.pool_listeners).clone();
    for l in &listeners {
        l.pool_events(&events);
    }
    drop(pool);
}

/// Runs the pool's consistency check on about one in `-checkmempool` calls, as Core does
/// after activating blocks. A failure is logged, not fatal: the node keeps serving.
pub fn maybe_check(node: &NodeContext) {
    use std::sync::atomic::{AtomicU64, Ordering};
    static STATE: AtomicU64 = AtomicU64::new(0x9e37_79b9_7f4a_7c15);
    let pool = lock(&node.mempool);
    let ratio = pool.options().check_ratio;
    if ratio <= 0 {
        return;
    }
    // xorshift: only the sampling needs to look random.
    let mut x = STATE.load(Ordering::Relaxed);
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    STATE.store(x, Ordering::Relaxed);
    if !x.is_multiple_of(ratio as u64) {
        return;
    }
    log_debug!(
        Category::Mempool,
        "Checking mempool with {} transactions",
        pool.size()
    );
    if let Err(e) = pool.check() {
        common::log_error!("Mempool consistency check failed: {}", e);
    }
}

/// Returns disconnected transactions to the pool and drops those the new chain makes
/// unminable (`MaybeUpdateMempoolForReorg`). Call after anything that may reorganise.
pub fn update_for_reorg(node: &NodeContext, cs: &ChainState) {
    let txs = lock(&node.disconnected).take();
    if txs.is_empty() {
        notify(node);
        maybe_check(node);
        return;
    }
    let now = node.now();
    let view = ChainStateView::new(cs, now);
    let mut pool = lock(&node.mempool);
    {
        let mut acceptor = Acceptor::new(&mut pool, &view);
        // Oldest block first, so parents return before their children.
        for tx in &txs {
            // A coinbase never returns; whatever spends it goes, as whatever spends a
            // transaction that cannot return.
            let back = !tx.is_coinbase()
                && matches!(
                    acceptor.accept_single(tx, &AcceptArgs::single(now, true, false)),
                    TxResult::Valid { .. }
                );
            if !back {
                acceptor.remove_spenders_of(tx);
            }
        }
    }
    let height = cs.height();
    let mtp = view.median_time_past();
    pool.remove_for_reorg(|pool, e| {
        if !consensus::tx::is_final_tx(&e.tx, height as i32 + 1, mtp) {
            return true;
        }
        let mut prev_heights = Vec::with_capacity(e.tx.input.len());
        for input in &e.tx.input {
            match view.coin(&input.previous_output) {
                Some(c) => {
                    if c.is_coinbase && height + 1 - c.height.min(height + 1) < 100 {
                        return true;
                    }
                    prev_heights.push(c.height as i32);
                }
                // An output of another pool transaction: the next block's height.
                None if pool.output(&input.previous_output).is_some() => {
                    prev_heights.push(height as i32 + 1)
                }
                // The coin is gone with the blocks that created it.
                None => return true,
            }
        }
        let locks = consensus::tx::calculate_sequence_locks(&e.tx, true, &mut prev_heights, |h| {
            view.median_time_past_at(h.max(0) as u32)
        });
        !consensus::tx::evaluate_sequence_locks(height as i32 + 1, mtp, locks)
    });
    Acceptor::new(&mut pool, &view).limit_size();
    drop(pool);
    notify(node);
    maybe_check(node);
}

/// Accepts `tx` (`AcceptToMemoryPool`) under the chainstate lock the caller holds.
pub fn accept(
    node: &NodeContext,
    cs: &ChainState,
    tx: &Arc<Transaction>,
    test_accept: bool,
) -> TxResult {
    let now = node.now();
    let view = ChainStateView::new(cs, now);
    let mut pool = lock(&node.mempool);
    let r = Acceptor::new(&mut pool, &view)
        .accept_single(tx, &AcceptArgs::single(now, false, test_accept));
    drop(pool);
    notify(node);
    if let TxResult::Invalid { state, .. } = &r {
        log_debug!(
            Category::MempoolRej,
            "{} (wtxid={}) was not accepted: {}",
            tx.compute_txid(),
            tx.compute_wtxid(),
            state
        );
    }
    r
}

/// Judges or submits a package (`ProcessNewPackage`).
pub fn process_package(
    node: &NodeContext,
    cs: &ChainState,
    txs: &[Arc<Transaction>],
    test_accept: bool,
    client_maxfeerate: Option<FeeRate>,
) -> PackageResult {
    let now = node.now();
    let view = ChainStateView::new(cs, now);
    let mut pool = lock(&node.mempool);
    let mut acceptor = Acceptor::new(&mut pool, &view);
    let result = if test_accept {
        acceptor.accept_multiple(txs, &AcceptArgs::package_test(now))
    } else {
        acceptor.accept_package(txs, &AcceptArgs::package_submit(now, client_maxfeerate))
    };
    drop(pool);
    notify(node);
    result
}

/// The transactions for a block on `cs`'s tip, by the node's assembler options.
pub fn select_for_next_block(node: &NodeContext, cs: &ChainState) -> mempool::mining::Selection {
    let view = ChainStateView::new(cs, node.now());
    let mtp = view.median_time_past();
    let sel = {
        let pool = lock(&node.mempool);
        mempool::mining::select_transactions(&pool, cs.height() + 1, mtp, &node.assembler)
    };
    *lock(&node.last_block) = Some((sel.weight, sel.txs.len()));
    sel
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;
    use bitcoin::absolute::LockTime;
    use bitcoin::hashes::Hash;
    use bitcoin::transaction::Version;
    use bitcoin::{Amount, ScriptBuf, Sequence, TxIn, TxOut, WScriptHash, Witness};
    use chain::{ChainParams, ChainStateOptions};
    use kvstore::RedbStore;
    use mempool::{MempoolOptions, RemovalReason};

    /// Records what it is told.
    #[derive(Default)]
    struct Recorder(Mutex<Vec<String>>);

    impl PoolListener for Recorder {
        fn pool_events(&self, events: &[PoolEvent]) {
            let mut log = lock(&self.0);
            for e in events {
                log.push(match e {
                    PoolEvent::Added { tx, .. } => format!("added {}", tx.compute_txid()),
                    PoolEvent::Removed { tx, reason, .. } => {
                        format!("removed {} {}", tx.compute_txid(), reason.name())
                    }
                    PoolEvent::Confirmed {
                        height, removed, ..
                    } => {
                        format!("confirmed {} at {height}", removed.len())
                    }
                });
            }
        }
    }

    fn op_true() -> ScriptBuf {
        ScriptBuf::new_p2wsh(&WScriptHash::hash(&[0x51]))
    }

    fn mine(node: &NodeContext, txs: Vec<Transaction>, fees: i64) -> bitcoin::Block {
        let now = node.now();
        let mut cs = node.chainstate();
        let mut block = cs.create_new_block(op_true(), txs, fees, now);
        assert!(chain::assemble::grind(&mut block, cs.params()));
        cs.process_block(&block, now).unwrap();
        update_for_reorg(node, &cs);
        block
    }

    fn spend(prev: OutPoint, value: u64) -> Arc<Transaction> {
        Arc::new(Transaction {
            version: Version::TWO,
            lock_time: LockTime::ZERO,
            input: vec![TxIn {
                previous_output: prev,
                script_sig: ScriptBuf::new(),
                sequence: Sequence::ENABLE_RBF_NO_LOCKTIME,
                witness: Witness::from_slice(&[vec![0x51u8]]),
            }],
            output: vec![TxOut {
                value: Amount::from_sat(value),
                script_pubkey: op_true(),
            }],
        })
    }

    #[test]
    fn listeners_hear_additions_replacements_and_confirmations_in_order() {
        let dir = std::env::temp_dir().join(format!("mempool-chain-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("blocks")).unwrap();
        let cs = chain::ChainState::open(
            ChainParams::regtest(),
            ChainStateOptions {
                cache_bytes: 1 << 20,
                script_threads: 1,
                blocks_xor: false,
                assume_valid: None,
            },
            &dir.join("blocks"),
            Box::new(RedbStore::open(&dir.join("blocks").join("index")).unwrap()),
            Box::new(RedbStore::open(&dir.join("chainstate")).unwrap()),
            1_700_000_000,
        )
        .unwrap();
        let node = NodeContext::new(
            common::ChainType::Regtest,
            cs,
            Mempool::new(MempoolOptions {
                check_ratio: 1,
                ..MempoolOptions::default()
            }),
            mempool::mining::AssemblerOptions::default(),
            crate::mempool_persist::Persistence {
                path: dir.join("mempool.dat"),
                enabled: false,
                v1: false,
            },
            Vec::new(),
            None,
        );
        node.mock_time
            .store(1_700_000_000, std::sync::atomic::Ordering::Relaxed);
        let recorder = Arc::new(Recorder::default());
        lock(&node.pool_listeners).push(recorder.clone());
        let first = mine(&node, Vec::new(), 0);
        for _ in 0..100 {
            mine(&node, Vec::new(), 0);
        }
        let coin = OutPoint {
            txid: first.txdata[0].compute_txid(),
            vout: 0,
        };
        let value = first.txdata[0].output[0].value.to_sat();
        let a = spend(coin, value - 1_000);
        let b = spend(coin, value - 5_000);
        for tx in [&a, &b] {
            let cs = node.chainstate();
            assert!(matches!(
                accept(&node, &cs, tx, false),
                TxResult::Valid { .. }
            ));
        }
        mine(&node, vec![(*b).clone()], 5_000);
        let log = lock(&recorder.0).clone();
        // Every block is announced, as Core's MempoolTransactionsRemovedForBlock.
        assert_eq!(log.len(), 101 + 4);
        assert!(log[..101].iter().all(|l| l.starts_with("confirmed 0 at ")));
        assert_eq!(
            log[101..],
            [
                format!("added {}", a.compute_txid()),
                format!(
                    "removed {} {}",
                    a.compute_txid(),
                    RemovalReason::Replaced.name()
                ),
                format!("added {}", b.compute_txid()),
                "confirmed 1 at 102".to_string(),
            ]
        );
        assert_eq!(lock(&node.mempool).check(), Ok(()));
        let _ = std::fs::remove_dir_all(&dir);
    }
}
