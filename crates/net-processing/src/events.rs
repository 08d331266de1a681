//! Chain events the peer logic acts on. The chainstate calls its subscribers under its
//! own lock, so the sink only queues; the message-handler thread applies the queue
//! before it next processes or sends (Core runs `UpdatedBlockTip` from its validation
//! queue in the same way, after the fact).

use std::sync::{Arc, Mutex};

use bitcoin::{Block, BlockHash};
use chain::chainstate::ChainEvents;
use chain::BlockIndex;

use crate::txdownload::ConnectedBlock;
use crate::{lock, Inner, PeerManager};

/// Most blocks announced by headers at once (`MAX_BLOCKS_TO_ANNOUNCE`).
pub(crate) const MAX_BLOCKS_TO_ANNOUNCE: usize = 8;

/// A queued chain event.
pub(crate) enum ChainEvent {
    /// The tip moved; `new_blocks` are the blocks now on the chain that were not
    /// before, oldest first, at most [`MAX_BLOCKS_TO_ANNOUNCE`].
    UpdatedTip {
        height: u32,
        time: i64,
        new_blocks: Vec<BlockHash>,
        initial_download: bool,
    },
    /// A block was connected out of initial download: its transactions leave the
    /// request tracker and the orphanage, their orphaned children are reconsidered.
    BlockConnected(ConnectedBlock),
    /// `n` blocks were connected, in or out of initial download: the tip is not stale,
    /// and a raised stalling timeout shrinks once per block.
    BlocksConnected(usize),
    /// A block was disconnected: the recently-confirmed filter is reset.
    BlockDisconnected,
    /// The tip changed out of initial download: the reject filters are reset.
    ActiveTipChange,
    /// A block on the tip passed its checks (`NewPoWValidBlock`): cache it and push it
    /// to high-bandwidth compact block peers.
    NewPoWValidBlock { block: Arc<Block>, height: u32 },
}

/// The queue between the chainstate's thread and the message handler.
#[derive(Default)]
pub(crate) struct EventQueue {
    events: Mutex<Queued>,
}

/// Queued events, each with its sequence number.
#[derive(Default)]
struct Queued {
    list: Vec<(u64, ChainEvent)>,
    next: u64,
}

impl Queued {
    fn push(&mut self, e: ChainEvent) {
        self.list.push((self.next, e));
        self.next += 1;
    }
}

impl EventQueue {
    /// The sequence number the next queued event gets. A peer added now must not see
    /// the events queued before it: Core delivers them before the peer exists (what
    /// `syncwithvalidationinterfacequeue` waits for), while ours wait for the message
    /// handler, which idles without peers.
    pub(crate) fn next_sequence(&self) -> u64 {
        lock(&self.events).next
    }
}

/// The chainstate subscriber of a [`PeerManager`].
pub struct ChainEventSink {
    queue: Arc<EventQueue>,
    connected: Vec<BlockHash>,
    /// Connected blocks' transactions, held until the tip update says whether we are
    /// out of initial download (Core skips them during it).
    connected_txs: Vec<ConnectedBlock>,
    tip_time: i64,
}

impl ChainEventSink {
    pub(crate) fn new(queue: Arc<EventQueue>) -> ChainEventSink {
        ChainEventSink {
            queue,
            connected: Vec::new(),
            connected_txs: Vec::new(),
            tip_time: 0,
        }
    }
}

impl ChainEvents for ChainEventSink {
    fn block_connected_in(&mut self, block: &Block, index: &BlockIndex, entry: usize) {
        self.connected.push(index.entry(entry).hash);
        self.tip_time = i64::from(index.entry(entry).header.time);
        self.connected_txs.push(ConnectedBlock::of(block));
    }

    fn new_pow_valid_block(&mut self, block: &Block, index: &BlockIndex, entry: usize) {
        lock(&self.queue.events).push(ChainEvent::NewPoWValidBlock {
            block: Arc::new(block.clone()),
            height: index.entry(entry).height,
        });
    }

    fn block_disconnected_in(&mut self, _block: &Block, index: &BlockIndex, entry: usize) {
        let hash = index.entry(entry).hash;
        if let Some(prev) = index.entry(entry).prev {
            self.tip_time = i64::from(index.entry(prev).header.time);
        }
        self.connected.retain(|h| *h != hash);
        lock(&self.queue.events).push(ChainEvent::BlockDisconnected);
    }

    fn updated_block_tip(
        &mut self,
        _tip: &BlockHash,
        height: u32,
        _fork_height: u32,
        initial_download: bool,
    ) {
        let count = self.connected.len();
        let start = count.saturating_sub(MAX_BLOCKS_TO_ANNOUNCE);
        let new_blocks = self.connected.split_off(start);
        self.connected.clear();
        let connected = std::mem::take(&mut self.connected_txs);
        let mut q = lock(&self.queue.events);
        if count > 0 {
            q.push(ChainEvent::BlocksConnected(count));
        }
        if !initial_download {
            q.push(ChainEvent::ActiveTipChange);
            for c in connected {
                q.push(ChainEvent::BlockConnected(c));
            }
        }
        q.push(ChainEvent::UpdatedTip {
            height,
            time: self.tip_time,
            new_blocks,
            initial_download,
        });
    }
}

impl PeerManager {
    /// Applies the queued chain events.
    pub(crate) fn apply_chain_events(&self) {
        let events = std::mem::take(&mut lock(&self.events.events).list);
        if events.is_empty() {
            return;
        }
        // Announcing a new block looks up what each peer has: that needs the index.
        let cs = events
            .iter()
            .any(|(_, e)| matches!(e, ChainEvent::NewPoWValidBlock { .. }))
            .then(|| self.node.chainstate());
        let mut inner = lock(&self.inner);
        for (seq, e) in events {
            match e {
                ChainEvent::NewPoWValidBlock { block, height } => {
                    if let Some(cs) = &cs {
                        self.new_pow_valid_block(cs, &mut inner, block, height);
                    }
                }
                ChainEvent::UpdatedTip {
                    height,
                    time,
                    new_blocks,
                    initial_download,
                } => {
                    inner.best_block_time = time;
                    self.updated_block_tip(&mut inner, seq, height, new_blocks, initial_download)
                }
                ChainEvent::BlockConnected(block) => inner.tx.block_connected(&block),
                ChainEvent::BlocksConnected(n) => {
                    self.note_tip_update();
                    for _ in 0..n {
                        relax_stalling_timeout(&mut inner);
                    }
                }
                ChainEvent::BlockDisconnected => inner.tx.block_disconnected(),
                ChainEvent::ActiveTipChange => inner.tx.active_tip_change(),
            }
        }
    }

    /// `UpdatedBlockTip`: remember the height for `version`, and once out of initial
    /// download queue the new blocks for announcement to every peer.
    fn updated_block_tip(
        &self,
        inner: &mut Inner,
        seq: u64,
        height: u32,
        new_blocks: Vec<BlockHash>,
        initial_download: bool,
    ) {
        inner.best_height = height;
        if initial_download {
            return;
        }
        for peer in inner.peers.values_mut().filter(|p| p.first_event <= seq) {
            peer.blocks_for_headers_relay
                .extend(new_blocks.iter().copied());
        }
    }
}

/// After a block connects, a stalling timeout raised by earlier stalls shrinks by 15%
/// (whole seconds) toward its default (`BlockConnected`).
fn relax_stalling_timeout(inner: &mut Inner) {
    if let Some(t) = relaxed_stalling_timeout(inner.stalling_timeout) {
        inner.stalling_timeout = t;
        common::log_debug!(
            common::logging::Category::Net,
            "Decreased stalling timeout to {} seconds",
            t / 1_000_000
        );
    }
}

/// The stalling timeout (microseconds) after one more connected block, if it changes.
fn relaxed_stalling_timeout(current: i64) -> Option<i64> {
    use crate::blocks::BLOCK_STALLING_TIMEOUT_DEFAULT as DEFAULT;
    if current == DEFAULT {
        return None;
    }
    let secs = (current as f64 * 0.85 / 1_000_000.0) as i64;
    Some((secs * 1_000_000).max(DEFAULT))
}

#[cfg(test)]
mod tests {
    use super::relaxed_stalling_timeout;

    #[test]
    fn the_stalling_timeout_relaxes_back_to_two_seconds() {
        let mut t = 16_000_000;
        let mut seen = Vec::new();
        while let Some(next) = relaxed_stalling_timeout(t) {
            t = next;
            seen.push(t / 1_000_000);
        }
        // Core's sequence: 16 * 0.85 = 13.6 -> 13, 11, 9, 7, 5, 4, 3, 2.
        assert_eq!(seen, [13, 11, 9, 7, 5, 4, 3, 2]);
    }
}
