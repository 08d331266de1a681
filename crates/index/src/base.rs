//! What every index shares (Core's `BaseIndex`): its database with the best-block
//! locator, start-up against the block index, a background thread that walks the active
//! chain from where the index stopped to the tip, and, once synced, the chainstate's
//! connections and disconnections.
//!
//! Crash safety: each block's entries and the locator of that block go into one atomic
//! batch, so whatever state the database is left in after a kill names exactly the
//! blocks whose entries it holds. Batches are written without syncing and made durable
//! every 30 seconds and on stop; a kill loses at most the blocks since, which the next
//! start indexes again.

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, Weak};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use bitcoin::{Block, BlockHash};
use chain::chainstate::ChainEvents;
use chain::{BlockIndex, BlockReader, ChainState, FilePos};
use common::{log_error, log_info, log_warning};
use kvstore::{KvStore, RedbStore, WriteBatch};

use crate::{locator, ChainAccess, IndexError, IndexSummary};

/// Key of the best-block locator (Core's `DB_BEST_BLOCK`).
pub(crate) const DB_BEST_BLOCK: &[u8] = b"B";
/// How often the sync thread logs its progress (`SYNC_LOG_INTERVAL`).
const SYNC_LOG_INTERVAL: Duration = Duration::from_secs(30);
/// How often written batches are made durable (`SYNC_LOCATOR_WRITE_INTERVAL`).
const SYNC_LOCATOR_WRITE_INTERVAL: Duration = Duration::from_secs(30);

/// What an index adds to the shared machinery: its names and the entries of a block.
pub(crate) trait Indexer: Send + Sync + 'static {
    /// The index's name in logs and `getindexinfo` (`txindex`).
    const NAME: &'static str;
    /// The sync thread's name (Core's short names: `txidx`).
    const THREAD_NAME: &'static str;
    /// Adds the entries of `block`, stored at `pos`, connected at `height`, to `batch`.
    fn append(&self, block: &Block, height: u32, pos: FilePos, batch: &mut WriteBatch);
}

/// The block an index has processed last on its chain.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BestBlock {
    /// Its hash.
    pub hash: BlockHash,
    /// Its height.
    pub height: u32,
}

/// Where the index stands; changed only with the lock held.
struct State {
    best: Option<BestBlock>,
    /// The best block as the database's locator names it.
    on_disk: Option<BlockHash>,
    last_durable: Instant,
}

/// The part shared by the index, its sync thread and its chainstate subscriber.
pub(crate) struct Shared<I: Indexer> {
    pub(crate) indexer: I,
    pub(crate) db: Box<dyn KvStore>,
    pub(crate) reader: BlockReader,
    genesis: BlockHash,
    state: Mutex<State>,
    synced: AtomicBool,
    interrupt: AtomicBool,
    /// Set by stop and after a fatal error: nothing more is written.
    stopped: AtomicBool,
    host: Mutex<Option<Arc<dyn ChainAccess>>>,
}

/// An index over the active chain: its database, its subscriber and its sync thread.
pub(crate) struct BaseIndex<I: Indexer> {
    pub(crate) shared: Arc<Shared<I>>,
    thread: Mutex<Option<JoinHandle<()>>>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // The state stays consistent: nothing panics half-way through changing it.
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// The next thing the sync thread does, decided with the chainstate locked.
enum Step {
    /// The index reached the tip and follows chainstate events from now on.
    Synced(Option<BestBlock>),
    /// Index this block of the active chain next.
    Block {
        best: BestBlock,
        pos: FilePos,
        locator: Vec<BlockHash>,
    },
}

impl<I: Indexer> BaseIndex<I> {
    /// Opens the index's database in `dir` (emptied first with `wipe`, as for `-reindex`),
    /// finds the block its locator names in `chain`'s block index and subscribes to
    /// `chain`'s events (Core's constructor and `Init`). The index counts as synced at once
    /// when that block is the tip.
    pub(crate) fn open(
        dir: &Path,
        wipe: bool,
        chain: &mut ChainState,
        indexer: I,
    ) -> Result<BaseIndex<I>, IndexError> {
        if wipe {
            match std::fs::remove_dir_all(dir) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e.into()),
                _ => {}
            }
        }
        let db = RedbStore::open(dir)?;
        let have = match db.get(DB_BEST_BLOCK)? {
            None => Vec::new(),
            Some(v) => locator::decode(&v).ok_or(IndexError::Corrupt("best block locator"))?,
        };
        // Core resumes from the locator's first block only; the rest is for peers.
        let best = match have.first() {
            None => None,
            Some(hash) => {
                let i = chain
                    .index()
                    .find(hash)
                    .ok_or(IndexError::BestBlockNotFound { name: I::NAME })?;
                Some(BestBlock {
                    hash: *hash,
                    height: chain.index().entry(i).height,
                })
            }
        };
        let genesis = chain
            .hash_at(0)
            .unwrap_or(chain.params().genesis.block_hash());
        let shared = Arc::new(Shared {
            indexer,
            db: Box::new(db),
            reader: chain.block_reader(),
            genesis,
            state: Mutex::new(State {
                best,
                on_disk: best.map(|b| b.hash),
                last_durable: Instant::now(),
            }),
            synced: AtomicBool::new(best.map(|b| b.hash) == Some(chain.tip())),
            interrupt: AtomicBool::new(false),
            stopped: AtomicBool::new(false),
            host: Mutex::new(None),
        });
        chain.subscribe(Box::new(Follower(Arc::downgrade(&shared))));
        Ok(BaseIndex {
            shared,
            thread: Mutex::new(None),
        })
    }

    /// Starts the thread that catches the index up with the active chain
    /// (`StartBackgroundSync`); it reaches the chainstate through `host`.
    pub(crate) fn start_background_sync(
        &self,
        host: Arc<dyn ChainAccess>,
    ) -> Result<(), IndexError> {
        let mut thread = lock(&self.thread);
        if thread.is_some() {
            return Err(IndexError::AlreadyStarted);
        }
        *lock(&self.shared.host) = Some(host.clone());
        let shared = self.shared.clone();
        let handle = std::thread::Builder::new()
            .name(format!("b-{}", I::THREAD_NAME))
            .spawn(move || {
                common::logging::set_thread_name(I::THREAD_NAME);
                log_info!("{} thread start", I::THREAD_NAME);
                shared.sync(host.as_ref());
                log_info!("{} thread exit", I::THREAD_NAME);
            })?;
        *thread = Some(handle);
        Ok(())
    }

    /// Asks the sync thread to stop at the next block (`Interrupt`).
    pub(crate) fn interrupt(&self) {
        self.shared.interrupt.store(true, Ordering::SeqCst);
    }

    /// Stops the sync thread and the following of chainstate events, and makes what was
    /// written durable (`Stop`). The data stays on disk for the next start.
    pub(crate) fn stop(&self) {
        self.interrupt();
        let handle = lock(&self.thread).take();
        if let Some(h) = handle {
            if h.join().is_err() {
                log_error!("{} sync thread panicked", I::NAME);
            }
        }
        {
            // Under the state lock, so no connection is half-way through writing.
            let _state = lock(&self.shared.state);
            self.shared.stopped.store(true, Ordering::SeqCst);
        }
        self.shared.commit();
        // The host may own this index: dropping it here breaks that cycle.
        lock(&self.shared.host).take();
    }

    /// The index's state as `getindexinfo` reports it (`GetSummary`).
    pub(crate) fn summary(&self) -> IndexSummary {
        let best = lock(&self.shared.state).best;
        IndexSummary {
            name: I::NAME,
            synced: self.shared.synced.load(Ordering::SeqCst),
            best_block_height: best.map_or(0, |b| b.height),
            best_block_hash: best.map_or(self.shared.genesis, |b| b.hash),
        }
    }

    /// The block the index has processed last, if any.
    pub(crate) fn best_block(&self) -> Option<BestBlock> {
        lock(&self.shared.state).best
    }

    /// Whether the index is synced (Core's `BlockUntilSyncedToCurrentChain`). Once synced,
    /// the index processes each connection inside the chainstate's own call, before the
    /// chainstate lock is released, so there is no queue of notifications to wait for:
    /// a synced index already holds every block of the chain its caller can see.
    pub(crate) fn block_until_synced_to_current_chain(&self) -> bool {
        self.shared.synced.load(Ordering::SeqCst)
    }
}

impl<I: Indexer> Drop for BaseIndex<I> {
    fn drop(&mut self) {
        if lock(&self.thread).is_some() || !self.shared.stopped.load(Ordering::SeqCst) {
            self.stop();
        }
    }
}

impl<I: Indexer> Shared<I> {
    /// The sync thread's work (Core's `Sync`): index the active chain's blocks one by one
    /// until the tip, then hand over to the chainstate's events.
    fn sync(&self, host: &dyn ChainAccess) {
        let mut best = lock(&self.state).best;
        if !self.synced.load(Ordering::SeqCst) {
            let mut last_log = Instant::now();
            let mut last_locator_write = last_log;
            loop {
                if self.interrupt.load(Ordering::SeqCst) {
                    log_info!("{}: m_interrupt set; exiting ThreadSync", I::NAME);
                    self.commit();
                    return;
                }
                let mut step = None;
                host.with_chainstate(&mut |cs| step = Some(self.next_step(cs, best)));
                let step = match step {
                    Some(Ok(s)) => s,
                    Some(Err(e)) => return self.fatal(host, &e.to_string()),
                    // The chainstate is gone: the node is shutting down.
                    None => return self.commit(),
                };
                let (next, pos, have) = match step {
                    Step::Synced(b) => {
                        best = b;
                        break;
                    }
                    Step::Block { best, pos, locator } => (best, pos, locator),
                };
                let block = match self.reader.read_block(pos) {
                    Ok(b) => b,
                    Err(e) => {
                        log_error!("{e}");
                        let msg = format!("Failed to read block {} from disk", next.hash);
                        return self.fatal(host, &msg);
                    }
                };
                if let Err(e) = self.write_block(&mut lock(&self.state), &block, next, pos, &have) {
                    log_error!("{e}");
                    let msg = format!("Failed to write block {} to index database", next.hash);
                    return self.fatal(host, &msg);
                }
                best = Some(next);
                let now = Instant::now();
                if now - last_log >= SYNC_LOG_INTERVAL {
                    log_info!(
                        "Syncing {} with block chain from height {}",
                        I::NAME,
                        next.height
                    );
                    last_log = now;
                }
                if now - last_locator_write >= SYNC_LOCATOR_WRITE_INTERVAL {
                    self.commit();
                    last_locator_write = now;
                }
            }
            // Durable after leaving the chainstate lock: the batches already on disk are
            // consistent, this only keeps them across a crash.
            self.commit();
        }
        match best {
            Some(b) => log_info!("{} is enabled at height {}", I::NAME, b.height),
            None => log_info!("{} is enabled", I::NAME),
        }
    }

    /// With the chainstate locked: the next block to index after `best`, or the end of the
    /// sync (Core's `NextSyncBlock`). A best block that left the active chain is rewound
    /// to the fork; the entries of the blocks rewound over stay, as in Core's txindex,
    /// and are overwritten when their transactions are indexed again.
    fn next_step(&self, cs: &ChainState, best: Option<BestBlock>) -> Result<Step, IndexError> {
        let index = cs.index();
        let from = match best {
            None => None,
            Some(b) if cs.hash_at(b.height) == Some(b.hash) => Some(b.height),
            Some(b) => {
                let i = index
                    .find(&b.hash)
                    .ok_or(IndexError::UnknownBlock(b.hash))?;
                Some(fork_height(cs, i))
            }
        };
        let next_height = from.map_or(0, |h| h + 1);
        if next_height > cs.height() {
            let best = from.and_then(|h| cs.hash_at(h).map(|hash| BestBlock { hash, height: h }));
            // Set while the chainstate is locked: no connection can fall between the end
            // of the walk and the first event the index follows.
            lock(&self.state).best = best;
            self.synced.store(true, Ordering::SeqCst);
            return Ok(Step::Synced(best));
        }
        let i = cs
            .active_entry(next_height)
            .ok_or(IndexError::Corrupt("active chain"))?;
        let e = index.entry(i);
        let pos = e.data.ok_or(IndexError::NoBlockData(e.hash))?;
        Ok(Step::Block {
            best: BestBlock {
                hash: e.hash,
                height: e.height,
            },
            pos,
            locator: locator::entries(index, i),
        })
    }

    /// Writes `block`'s entries and the locator `have` of `best` in one batch, durable
    /// when the last durable write is `SYNC_LOCATOR_WRITE_INTERVAL` old.
    fn write_block(
        &self,
        state: &mut State,
        block: &Block,
        best: BestBlock,
        pos: FilePos,
        have: &[BlockHash],
    ) -> Result<(), IndexError> {
        let mut batch = WriteBatch::new();
        self.indexer.append(block, best.height, pos, &mut batch);
        batch.put(DB_BEST_BLOCK, &locator::encode(have));
        let durable = state.last_durable.elapsed() >= SYNC_LOCATOR_WRITE_INTERVAL;
        self.db.write(batch, durable)?;
        if durable {
            state.last_durable = Instant::now();
        }
        state.best = Some(best);
        state.on_disk = Some(best.hash);
        Ok(())
    }

    /// Makes everything written durable, recording the best block first when only a rewind
    /// moved it (Core's `Commit`). A failure is logged: a later commit can still succeed,
    /// and an index behind on disk is caught up at the next start.
    fn commit(&self) {
        let mut state = lock(&self.state);
        let mut batch = WriteBatch::new();
        if let Some(b) = state.best {
            if state.on_disk != Some(b.hash) {
                batch.put(DB_BEST_BLOCK, &locator::encode(&[b.hash]));
            }
        }
        match self.db.write(batch, true) {
            Ok(()) => {
                state.on_disk = state.best.map(|b| b.hash).or(state.on_disk);
                state.last_durable = Instant::now();
            }
            Err(e) => log_error!("Failed to commit latest {} state: {e}", I::NAME),
        }
    }

    /// Stops the index for good and asks the node to shut down (Core's `FatalErrorf`).
    fn fatal(&self, host: &dyn ChainAccess, message: &str) {
        self.stopped.store(true, Ordering::SeqCst);
        host.fatal_error(message);
    }

    /// Stops the index after a fatal error found in a chainstate event.
    fn fatal_in_event(&self, message: &str) {
        let host = lock(&self.host).clone();
        match host {
            Some(h) => self.fatal(h.as_ref(), message),
            None => {
                self.stopped.store(true, Ordering::SeqCst);
                log_error!("{message}");
            }
        }
    }

    /// A block was connected (Core's `BlockConnected`): once synced, index it.
    fn connected(&self, block: &Block, index: &BlockIndex, i: usize) {
        if !self.synced.load(Ordering::SeqCst) {
            return;
        }
        let mut state = lock(&self.state);
        if self.stopped.load(Ordering::SeqCst) {
            return;
        }
        let e = index.entry(i);
        match state.best {
            None if e.height != 0 => {
                drop(state);
                return self.fatal_in_event(&format!(
                    "First block connected is not the genesis block (height={})",
                    e.height
                ));
            }
            Some(b) if e.prev.map(|p| index.entry(p).hash) != Some(b.hash) => {
                // A best block ahead of the parent is rewound to it; one beside it means
                // events the index cannot place.
                let ancestor = index
                    .find(&b.hash)
                    .and_then(|bi| index.ancestor(bi, e.height.saturating_sub(1)));
                if e.prev.is_none() || ancestor != e.prev {
                    log_warning!(
                        "Block {} does not connect to an ancestor of known best chain (tip={}); not updating index",
                        e.hash,
                        b.hash
                    );
                    return;
                }
            }
            _ => {}
        }
        let Some(pos) = e.data else {
            drop(state);
            return self.fatal_in_event(&format!(
                "Failed to write block {} to index database",
                e.hash
            ));
        };
        let best = BestBlock {
            hash: e.hash,
            height: e.height,
        };
        let have = locator::entries(index, i);
        if let Err(err) = self.write_block(&mut state, block, best, pos, &have) {
            drop(state);
            log_error!("{err}");
            self.fatal_in_event(&format!(
                "Failed to write block {} to index database",
                e.hash
            ));
        }
    }

    /// A block was disconnected: the index's best block moves back to its parent. Its
    /// entries stay, as Core's txindex keeps them.
    fn disconnected(&self, block: &Block, height: u32) {
        if !self.synced.load(Ordering::SeqCst) {
            return;
        }
        let mut state = lock(&self.state);
        if self.stopped.load(Ordering::SeqCst) || height == 0 {
            return;
        }
        if state.best.map(|b| b.hash) == Some(block.block_hash()) {
            state.best = Some(BestBlock {
                hash: block.header.prev_blockhash,
                height: height - 1,
            });
        }
    }
}

/// The height of the last block entry `i`'s branch shares with the active chain.
fn fork_height(cs: &ChainState, i: usize) -> u32 {
    let index = cs.index();
    let top = index.entry(i).height.min(cs.height());
    (0..=top)
        .rev()
        .find(|&h| {
            index
                .ancestor(i, h)
                .is_some_and(|a| cs.active_entry(h) == Some(a))
        })
        .unwrap_or(0)
}

/// The index's subscription to the chainstate. It does not keep the index alive: the
/// chainstate cannot unsubscribe, and a dropped index must close its database.
struct Follower<I: Indexer>(Weak<Shared<I>>);

impl<I: Indexer> ChainEvents for Follower<I> {
    fn block_connected_in(&mut self, block: &Block, index: &BlockIndex, entry: usize) {
        if let Some(shared) = self.0.upgrade() {
            shared.connected(block, index, entry);
        }
    }

    fn block_disconnected(&mut self, block: &Block, height: u32) {
        if let Some(shared) = self.0.upgrade() {
            shared.disconnected(block, height);
        }
    }
}
