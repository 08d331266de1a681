//! The queue that tells chain clients (wallets) what happened, in order, on a thread of
//! its own (Core's validation-interface queue, `CMainSignals`).
//!
//! Events are queued under the chainstate lock by the chainstate's subscriber and the
//! pool's listener, so their order is the order things happened. A single thread
//! delivers each event to every subscriber before taking the next one, so a slow
//! subscriber (a wallet in another process) holds the queue back but never the node's
//! locks; [`NotificationQueue::limit`] lets block processing wait for it outside them.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, Weak};

use bitcoin::{Block, BlockHash, Transaction};
use chain::chainstate::ChainEvents;
use chain::BlockIndex;
use common::log_debug;
use common::logging::Category;
use interfaces::{BlockInfo, ChainNotifications};
use mempool::{PoolEvent, RemovalReason};

use crate::context::{lock, NodeContext};

/// One queued notification.
#[derive(Clone)]
enum Event {
    TxAdded(Arc<Transaction>),
    TxRemoved(Arc<Transaction>, u8),
    Connected(BlockInfo),
    Disconnected(BlockInfo),
    UpdatedTip,
    Flushed(Vec<BlockHash>),
}

struct Queue {
    events: VecDeque<(u64, Event)>,
    /// Sequence number of the last event queued.
    queued: u64,
    /// Sequence number of the last event delivered to every subscriber.
    delivered: u64,
    stopping: bool,
}

type Subscribers = Vec<(u64, Arc<dyn ChainNotifications>)>;

/// The queue and its delivery thread.
pub struct NotificationQueue {
    queue: Mutex<Queue>,
    changed: Condvar,
    subscribers: Mutex<Subscribers>,
    next_id: AtomicU64,
    /// Highest header time up to each block index entry (`nTimeMax`), filled on demand.
    time_max: Mutex<Vec<u32>>,
}

impl NotificationQueue {
    /// An empty queue; call [`NotificationQueue::start`] to deliver.
    pub fn new() -> Arc<NotificationQueue> {
        Arc::new(NotificationQueue {
            queue: Mutex::new(Queue {
                events: VecDeque::new(),
                queued: 0,
                delivered: 0,
                stopping: false,
            }),
            changed: Condvar::new(),
            subscribers: Mutex::new(Vec::new()),
            next_id: AtomicU64::new(1),
            time_max: Mutex::new(Vec::new()),
        })
    }

    /// Starts the delivery thread (`b-scheduler` in Core; ours is named for its job).
    pub fn start(self: &Arc<Self>) -> std::io::Result<std::thread::JoinHandle<()>> {
        let me = self.clone();
        std::thread::Builder::new()
            .name("b-notify".into())
            .spawn(move || me.deliver_loop())
    }

    /// Stops the delivery thread after the events already queued.
    pub fn stop(&self) {
        lock(&self.queue).stopping = true;
        self.changed.notify_all();
    }

    fn has_subscribers(&self) -> bool {
        !lock(&self.subscribers).is_empty()
    }

    fn push(&self, event: Event) {
        if !self.has_subscribers() {
            return;
        }
        let mut q = lock(&self.queue);
        q.queued += 1;
        let seq = q.queued;
        q.events.push_back((seq, event));
        self.changed.notify_all();
    }

    /// Adds a subscriber; the returned id removes it.
    pub fn subscribe(&self, notifications: Arc<dyn ChainNotifications>) -> u64 {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        lock(&self.subscribers).push((id, notifications));
        id
    }

    /// Removes a subscriber.
    pub fn unsubscribe(&self, id: u64) {
        lock(&self.subscribers).retain(|(i, _)| *i != id);
    }

    /// Waits until every event queued before the call was delivered
    /// (`SyncWithValidationInterfaceQueue`).
    pub fn wait_for_queued(&self) {
        let mut q = lock(&self.queue);
        let target = q.queued;
        while q.delivered < target && !q.stopping {
            q = match self.changed.wait(q) {
                Ok(g) => g,
                Err(p) => p.into_inner(),
            };
        }
    }

    /// Waits while more than `max` events are queued (`LimitValidationInterfaceQueue`);
    /// call without holding the chainstate lock.
    pub fn limit(&self, max: usize) {
        let mut q = lock(&self.queue);
        while q.events.len() > max && !q.stopping {
            q = match self.changed.wait(q) {
                Ok(g) => g,
                Err(p) => p.into_inner(),
            };
        }
    }

    fn deliver_loop(&self) {
        loop {
            let (seq, event) = {
                let mut q = lock(&self.queue);
                loop {
                    if let Some(e) = q.events.pop_front() {
                        break e;
                    }
                    if q.stopping {
                        return;
                    }
                    q = match self.changed.wait(q) {
                        Ok(g) => g,
                        Err(p) => p.into_inner(),
                    };
                }
            };
            let subscribers = lock(&self.subscribers).clone();
            for (id, s) in subscribers {
                let r = match &event {
                    Event::TxAdded(tx) => s.transaction_added_to_mempool(tx.clone()),
                    Event::TxRemoved(tx, reason) => {
                        s.transaction_removed_from_mempool(tx.clone(), *reason)
                    }
                    Event::Connected(b) => s.block_connected(b.clone()),
                    Event::Disconnected(b) => s.block_disconnected(b.clone()),
                    Event::UpdatedTip => s.updated_block_tip(),
                    Event::Flushed(locator) => s.chain_state_flushed(locator.clone()),
                };
                if let Err(e) = r {
                    // A client whose process went away: it catches up from its own best
                    // block when it comes back, so it is dropped rather than retried.
                    common::logging::log_info(&format!(
                        "Chain client notification failed, unsubscribing it: {e}"
                    ));
                    self.unsubscribe(id);
                }
            }
            let mut q = lock(&self.queue);
            q.delivered = seq;
            drop(q);
            self.changed.notify_all();
        }
    }

    /// The highest header time from genesis up to entry `i` of `index` (`GetBlockTimeMax`).
    pub fn time_max(&self, index: &BlockIndex, i: usize) -> i64 {
        let mut memo = lock(&self.time_max);
        if memo.len() < index.len() {
            memo.resize(index.len(), 0);
        }
        // Walk back to the first entry already known, then fill forward.
        let mut path = Vec::new();
        let mut cur = Some(i);
        while let Some(c) = cur {
            if memo[c] != 0 {
                break;
            }
            path.push(c);
            cur = index.entry(c).prev;
        }
        let mut max = cur.map(|c| memo[c]).unwrap_or(0);
        for c in path.into_iter().rev() {
            max = max.max(index.entry(c).header.time);
            memo[c] = max;
        }
        i64::from(memo[i])
    }
}

fn reason_code(reason: RemovalReason) -> u8 {
    use interfaces::chain::removal_reason as r;
    match reason {
        RemovalReason::Expiry => r::EXPIRY,
        RemovalReason::SizeLimit => r::SIZE_LIMIT,
        RemovalReason::Reorg => r::REORG,
        RemovalReason::Block => r::BLOCK,
        RemovalReason::Conflict => r::CONFLICT,
        RemovalReason::Replaced => r::REPLACED,
    }
}

/// Queues the pool's additions and removals.
pub struct PoolToQueue(pub Arc<NotificationQueue>);

impl crate::mempool_chain::PoolListener for PoolToQueue {
    fn pool_events(&self, events: &[PoolEvent]) {
        for e in events {
            match e {
                PoolEvent::Added { tx, .. } => self.0.push(Event::TxAdded(tx.clone())),
                // Core does not announce removals for a block: the block says it.
                PoolEvent::Removed { reason, .. } if *reason == RemovalReason::Block => {}
                PoolEvent::Removed { tx, reason, .. } => self
                    .0
                    .push(Event::TxRemoved(tx.clone(), reason_code(*reason))),
                _ => {}
            }
        }
    }
}

/// Queues the chainstate's block events.
pub struct ChainToQueue {
    /// The queue.
    pub queue: Arc<NotificationQueue>,
    /// The node, to hand over the pool's pending events before each block's.
    pub node: Weak<NodeContext>,
}

impl ChainToQueue {
    fn info(&self, block: &Block, index: &BlockIndex, entry: usize) -> BlockInfo {
        let e = index.entry(entry);
        BlockInfo {
            hash: e.hash,
            prev_hash: block.header.prev_blockhash,
            height: e.height as i32,
            chain_time_max: self.queue.time_max(index, entry),
            data: Arc::new(block.clone()),
        }
    }

    /// Pool removals caused by this block (conflicts) come before the block itself, as
    /// in Core, where the pool is updated before `BlockConnected` is queued.
    fn flush_pool_events(&self) {
        if let Some(node) = self.node.upgrade() {
            crate::mempool_chain::notify(&node);
        }
    }
}

impl ChainEvents for ChainToQueue {
    fn block_connected_in(&mut self, block: &Block, index: &BlockIndex, entry: usize) {
        if !self.queue.has_subscribers() {
            return;
        }
        self.flush_pool_events();
        let info = self.info(block, index, entry);
        log_debug!(
            Category::Validation,
            "Enqueuing BlockConnected: block hash={} block height={}",
            info.hash,
            info.height
        );
        self.queue.push(Event::Connected(info));
    }

    fn block_disconnected_in(&mut self, block: &Block, index: &BlockIndex, entry: usize) {
        if !self.queue.has_subscribers() {
            return;
        }
        let info = self.info(block, index, entry);
        log_debug!(
            Category::Validation,
            "Enqueuing BlockDisconnected: block hash={} block height={}",
            info.hash,
            info.height
        );
        self.queue.push(Event::Disconnected(info));
    }

    fn updated_block_tip(
        &mut self,
        _tip: &BlockHash,
        _height: u32,
        _fork_height: u32,
        _initial_download: bool,
    ) {
        self.flush_pool_events();
        self.queue.push(Event::UpdatedTip);
    }

    fn chain_state_flushed(&mut self, locator: &[BlockHash]) {
        self.queue.push(Event::Flushed(locator.to_vec()));
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use std::sync::atomic::AtomicUsize;

    use bitcoin::hashes::Hash;

    use super::*;

    /// Records what it hears; fails on demand.
    #[derive(Default)]
    struct Recorder {
        seen: Mutex<Vec<String>>,
        fail: bool,
        calls: AtomicUsize,
    }

    impl Recorder {
        fn note(&self, what: String) -> ipc::Result<()> {
            self.calls.fetch_add(1, Ordering::SeqCst);
            if self.fail {
                return Err(ipc::Error::Remote("gone".into()));
            }
            lock(&self.seen).push(what);
            Ok(())
        }
    }

    impl ChainNotifications for Recorder {
        fn transaction_added_to_mempool(&self, tx: Arc<Transaction>) -> ipc::Result<()> {
            self.note(format!("added {}", tx.lock_time.to_consensus_u32()))
        }
        fn transaction_removed_from_mempool(
            &self,
            tx: Arc<Transaction>,
            reason: u8,
        ) -> ipc::Result<()> {
            self.note(format!(
                "removed {} {reason}",
                tx.lock_time.to_consensus_u32()
            ))
        }
        fn block_connected(&self, block: BlockInfo) -> ipc::Result<()> {
            self.note(format!("connected {}", block.height))
        }
        fn block_disconnected(&self, block: BlockInfo) -> ipc::Result<()> {
            self.note(format!("disconnected {}", block.height))
        }
        fn updated_block_tip(&self) -> ipc::Result<()> {
            self.note("tip".into())
        }
        fn chain_state_flushed(&self, locator: Vec<BlockHash>) -> ipc::Result<()> {
            self.note(format!("flushed {}", locator.len()))
        }
    }

    fn tx(n: u32) -> Arc<Transaction> {
        Arc::new(Transaction {
            version: bitcoin::transaction::Version::TWO,
            lock_time: bitcoin::absolute::LockTime::from_consensus(n),
            input: Vec::new(),
            output: Vec::new(),
        })
    }

    fn block(height: i32) -> BlockInfo {
        let genesis = bitcoin::constants::genesis_block(bitcoin::Network::Regtest);
        BlockInfo {
            hash: BlockHash::all_zeros(),
            prev_hash: BlockHash::all_zeros(),
            height,
            chain_time_max: 0,
            data: Arc::new(genesis),
        }
    }

    #[test]
    fn events_arrive_in_order_and_a_failing_client_is_dropped() {
        let q = NotificationQueue::new();
        let good = Arc::new(Recorder::default());
        let bad = Arc::new(Recorder {
            fail: true,
            ..Recorder::default()
        });
        q.subscribe(good.clone());
        let bad_id = q.subscribe(bad.clone());
        // Queued before the thread runs: nothing is lost, and order is kept.
        q.push(Event::TxAdded(tx(1)));
        q.push(Event::TxRemoved(tx(1), 4));
        q.push(Event::Connected(block(7)));
        q.push(Event::UpdatedTip);
        q.push(Event::Disconnected(block(7)));
        q.push(Event::Flushed(vec![BlockHash::from_byte_array([1; 32])]));
        let thread = q.start().unwrap();
        q.wait_for_queued();
        assert_eq!(
            *lock(&good.seen),
            vec![
                "added 1",
                "removed 1 4",
                "connected 7",
                "tip",
                "disconnected 7",
                "flushed 1"
            ]
        );
        // The failing client heard the first event, failed, and was unsubscribed.
        assert_eq!(bad.calls.load(Ordering::SeqCst), 1);
        assert_eq!(lock(&q.subscribers).len(), 1);
        q.unsubscribe(bad_id);
        // With nobody listening, nothing is queued.
        let only = lock(&q.subscribers)[0].0;
        q.unsubscribe(only);
        q.push(Event::UpdatedTip);
        assert_eq!(lock(&q.queue).queued, 6);
        q.limit(0);
        q.stop();
        thread.join().unwrap();
    }
}
