//! The chainstate (Core's `ChainstateManager` and `Chainstate`): stores blocks, follows the
//! most-work valid chain through reorganisations, keeps the UTXO set in a write-back cache
//! over the key-value store, and recovers after a crash.
//!
//! Durability: a block is appended to its block file and synced before
//! [`ChainState::process_block`] returns, so an acknowledged block survives a kill. The
//! coins, the block index and the file usage are flushed together in one atomic, synced
//! batch (when the cache outgrows `-dbcache`, and by [`ChainState::flush`]). After a crash
//! the store holds the last flush; [`ChainState::open`] then finds the blocks stored since
//! in the block files and connects them again.

mod events;
mod store;
mod verify;

pub use events::{iso8601, update_tip_line, verification_progress, ChainEvents};
pub use verify::{VerifyOutcome, DEFAULT_CHECKBLOCKS, DEFAULT_CHECKLEVEL};

#[cfg(test)]
mod tests;

use std::collections::{BTreeSet, HashMap};
use std::path::Path;

use bitcoin::{Block, BlockHash, OutPoint};
use kvstore::{KvError, KvStore, WriteBatch};

use crate::blockfiles::{BlockFiles, BlockFilesError, FileUsage};
use crate::index::{BlockIndex, BlockStatus, HeaderError};
use crate::validation::{
    check_block, connect_block, contextual_check_block, disconnect_block, BlockError, CoinsView,
    ConnectContext, DisconnectError, PrevBlock,
};
use crate::{ChainParams, Coin};

/// A failure of the node's own storage, as opposed to an invalid block.
#[derive(Debug)]
#[non_exhaustive]
pub enum ChainStateError {
    /// The key-value store failed.
    Store(KvError),
    /// The block files failed.
    Files(BlockFilesError),
    /// Undo data that cannot undo its block.
    Disconnect(DisconnectError),
    /// Stored data that does not parse or does not fit together.
    Corrupt(String),
    /// No block with this hash is known.
    BlockNotFound(BlockHash),
}

impl std::fmt::Display for ChainStateError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ChainStateError::Store(e) => write!(f, "{e}"),
            ChainStateError::Files(e) => write!(f, "{e}"),
            ChainStateError::Disconnect(e) => write!(f, "cannot disconnect block: {e}"),
            ChainStateError::Corrupt(m) => write!(f, "corrupted chainstate: {m}"),
            ChainStateError::BlockNotFound(_) => f.write_str("Block not found"),
        }
    }
}

impl std::error::Error for ChainStateError {}

impl From<KvError> for ChainStateError {
    fn from(e: KvError) -> Self {
        ChainStateError::Store(e)
    }
}

impl From<BlockFilesError> for ChainStateError {
    fn from(e: BlockFilesError) -> Self {
        ChainStateError::Files(e)
    }
}

/// Why [`ChainState::process_block`] did not accept a block.
#[derive(Debug)]
#[non_exhaustive]
pub enum ProcessError {
    /// The header is invalid.
    Header(HeaderError),
    /// The block is invalid.
    Block(BlockError),
    /// Our storage failed.
    Internal(ChainStateError),
    /// [`ChainState::test_block_validity`] was given a block that does not build on the tip.
    NotOnTip,
}

impl std::fmt::Display for ProcessError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ProcessError::Header(e) => write!(f, "{e}"),
            ProcessError::Block(e) => write!(f, "{e}"),
            ProcessError::Internal(e) => write!(f, "{e}"),
            ProcessError::NotOnTip => f.write_str("inconclusive-not-best-prevblk"),
        }
    }
}

impl std::error::Error for ProcessError {}

impl From<ChainStateError> for ProcessError {
    fn from(e: ChainStateError) -> Self {
        ProcessError::Internal(e)
    }
}

/// The category a [`LogSink`] is given for an error line (Core's `LogError`).
pub const LOG_ERROR: &str = "error";

/// Blocks kept even when pruning (`MIN_BLOCKS_TO_KEEP`); an unrequested block further
/// ahead of the tip than this is not stored.
pub const MIN_BLOCKS_TO_KEEP: u32 = 288;

/// What [`ChainState::process_block`] did with a valid block.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BlockOutcome {
    /// The block was not stored before.
    pub new_block: bool,
    /// The block is on the active chain now (so it was fully validated).
    pub active: bool,
    /// An earlier stored block that failed to connect while the best chain was
    /// activated (Core's `BlockChecked` for it): whoever sent it may be punished.
    pub other_invalid: Option<BlockHash>,
}

/// Settings of a chainstate.
#[derive(Debug, Clone)]
pub struct ChainStateOptions {
    /// Cache size in bytes before the coins are flushed (`-dbcache`, MiB in Core).
    pub cache_bytes: usize,
    /// Threads for script checks (`-par`).
    pub script_threads: usize,
    /// Obfuscate new block files with a random key (`-blocksxor`).
    pub blocks_xor: bool,
    /// `-assumevalid`: scripts of this block's ancestors on the best header chain are not
    /// checked, under Core's conditions. `None` checks every script (`-assumevalid=0`);
    /// the node passes the network's default unless told otherwise.
    pub assume_valid: Option<BlockHash>,
}

impl Default for ChainStateOptions {
    fn default() -> Self {
        ChainStateOptions {
            cache_bytes: 450 << 20,
            script_threads: 2,
            blocks_xor: true,
            assume_valid: None,
        }
    }
}

/// A coin in the cache: `None` is spent or known absent; `dirty` differs from the store.
#[derive(Debug, Clone)]
struct CacheEntry {
    coin: Option<Coin>,
    dirty: bool,
}

struct CacheView<'a>(&'a HashMap<OutPoint, CacheEntry>);

impl CoinsView for CacheView<'_> {
    fn coin(&self, outpoint: &OutPoint) -> Option<Coin> {
        self.0.get(outpoint).and_then(|e| e.coin.clone())
    }
}

/// Rough heap cost of a cached coin, for the `-dbcache` limit.
fn entry_bytes(e: &CacheEntry) -> usize {
    coin_bytes(&e.coin)
}

/// Rough heap cost of one cached coin slot.
fn coin_bytes(coin: &Option<Coin>) -> usize {
    96 + coin.as_ref().map_or(0, |c| c.output.script_pubkey.len())
}

/// The chainstate of one network.
/// Entries of the script-execution cache (Core gives it 16 MiB of 32-byte entries).
const SCRIPT_CACHE_ENTRIES: usize = 1 << 19;

pub struct ChainState {
    params: ChainParams,
    options: ChainStateOptions,
    index: BlockIndex,
    files: BlockFiles,
    /// The block index and block file usage (Core's `blocks/index`).
    index_db: Box<dyn KvStore>,
    /// The coins and their best block (Core's `chainstate`).
    coins_db: Box<dyn KvStore>,
    /// `active[h]` is the index entry of the active chain at height `h`.
    active: Vec<usize>,
    cache: HashMap<OutPoint, CacheEntry>,
    cache_bytes: usize,
    dirty_entries: BTreeSet<usize>,
    touched_files: BTreeSet<u32>,
    /// Time spent syncing each new block before acknowledging it.
    ack_sync: std::time::Duration,
    subscribers: Vec<Box<dyn ChainEvents>>,
    log: Option<LogSink>,
    /// Latched to false once the tip is recent and has the minimum work.
    initial_download: bool,
    /// The node's time at the last call in, for log lines and progress.
    now: i64,
    /// The last script-check decision logged (Core logs each change).
    last_script_check: Option<Option<&'static str>>,
    /// `preciousblock` bookkeeping: the next sequence number to hand out and the tip's
    /// work when it was last used.
    next_precious: i64,
    last_precious_work: Option<bitcoin::pow::Work>,
    /// `linked[i]`: entry `i`'s block and every ancestor's block are stored (Core's
    /// `nChainTx != 0`), so its chain could be connected.
    linked: Vec<bool>,
    /// Entries with a stored block whose parent is not linked yet, by parent.
    unlinked: HashMap<usize, Vec<usize>>,
    /// Linked, valid entries at least as good as the tip, best first (Core's
    /// `setBlockIndexCandidates`): activation takes the first.
    candidates: BTreeSet<CandidateKey>,
    /// BIP9 deployment states per period.
    versionbits: crate::versionbits::VersionBitsCache,
    /// Transactions whose scripts passed under given flags, filled by the mempool's
    /// consensus recheck so a block holding them skips their scripts (Core's script
    /// execution cache).
    script_cache: consensus::block::ScriptCache,
}

/// Orders candidates best first: most work, then the earliest sequence (first seen or
/// most recently made precious), then the index position.
type CandidateKey = (std::cmp::Reverse<bitcoin::pow::Work>, i64, usize);

/// Where the chainstate's log lines go.
/// Lines come with their debug category (`Some("reindex")`, logged only when that
/// category is enabled) or `None` for lines that are always logged.
/// The category is a debug category's name, [`LOG_ERROR`] for an error line, or `None`
/// for an informational line.
pub type LogSink = Box<dyn FnMut(Option<&'static str>, &str) + Send>;

/// Default `-maxtipage`: a tip older than this keeps the node in initial block download.
pub const DEFAULT_MAX_TIP_AGE: i64 = 24 * 60 * 60;

impl ChainState {
    /// Opens the chainstate: block files in `blocks_dir`, the block index in `index_db`,
    /// the coins in `coins_db`. Blocks in the files that the index does not know (stored
    /// after the last flush, or all of them when `index_db` is empty, as for `-reindex`)
    /// are indexed again; then the coins are brought to the most-work valid chain (from
    /// genesis when `coins_db` is empty, as for `-reindex-chainstate`). `now` is the node's
    /// time, for the checks of re-read headers.
    pub fn open(
        params: ChainParams,
        options: ChainStateOptions,
        blocks_dir: &Path,
        index_db: Box<dyn KvStore>,
        coins_db: Box<dyn KvStore>,
        now: i64,
    ) -> Result<ChainState, ChainStateError> {
        Self::open_inner(params, options, blocks_dir, index_db, coins_db, now, None)
    }

    /// [`ChainState::open`], with log lines (those of the start-up's connections too)
    /// going to `log`.
    pub fn open_with_log(
        params: ChainParams,
        options: ChainStateOptions,
        blocks_dir: &Path,
        index_db: Box<dyn KvStore>,
        coins_db: Box<dyn KvStore>,
        now: i64,
        log: LogSink,
    ) -> Result<ChainState, ChainStateError> {
        Self::open_inner(
            params,
            options,
            blocks_dir,
            index_db,
            coins_db,
            now,
            Some(log),
        )
    }

    fn open_inner(
        params: ChainParams,
        options: ChainStateOptions,
        blocks_dir: &Path,
        index_db: Box<dyn KvStore>,
        coins_db: Box<dyn KvStore>,
        now: i64,
        log: Option<LogSink>,
    ) -> Result<ChainState, ChainStateError> {
        let mut usage: Vec<(u32, FileUsage)> = Vec::new();
        let mut bad = None;
        index_db.scan_prefix(&[store::FILE], &mut |k, v| {
            let file = k
                .get(1..5)
                .and_then(|b| b.try_into().ok())
                .map(u32::from_be_bytes);
            match (file, store::parse_usage(v)) {
                (Some(f), Some(u)) => usage.push((f, u)),
                _ => bad = Some("block file usage"),
            }
            bad.is_none()
        })?;
        let mut entries = Vec::new();
        index_db.scan_prefix(&[store::INDEX], &mut |_, v| {
            match store::parse_entry(v) {
                Some(e) => entries.push(e),
                None => bad = Some("block index entry"),
            }
            bad.is_none()
        })?;
        if let Some(what) = bad {
            return Err(ChainStateError::Corrupt(format!("unreadable {what}")));
        }
        let mut usage_vec = Vec::new();
        for (f, u) in usage {
            while usage_vec.len() <= f as usize {
                usage_vec.push(FileUsage::default());
            }
            usage_vec[f as usize] = u;
        }
        let files = BlockFiles::open(blocks_dir, params.magic, options.blocks_xor, usage_vec)?;
        let mut index = BlockIndex::new(params.clone());
        entries.sort_by_key(|e| e.height);
        for e in &entries {
            if index.load(&e.header, e.stored()).is_none() {
                return Err(ChainStateError::Corrupt(format!(
                    "block index entry {} without its parent",
                    e.header.block_hash()
                )));
            }
        }
        let mut cs = ChainState {
            params,
            options,
            index,
            files,
            index_db,
            coins_db,
            active: vec![0],
            cache: HashMap::new(),
            cache_bytes: 0,
            dirty_entries: BTreeSet::new(),
            touched_files: BTreeSet::new(),
            ack_sync: std::time::Duration::ZERO,
            subscribers: Vec::new(),
            log,
            initial_download: true,
            now,
            next_precious: -1,
            last_precious_work: None,
            linked: Vec::new(),
            unlinked: HashMap::new(),
            candidates: BTreeSet::new(),
            last_script_check: None,
            versionbits: crate::versionbits::VersionBitsCache::new(),
            script_cache: consensus::block::ScriptCache::new(
                SCRIPT_CACHE_ENTRIES,
                common::random::salt(),
            ),
        };
        cs.index_stored_blocks(now)?;
        if cs.index.entry(0).data.is_none() {
            // A new data directory: the genesis block goes first into the block files.
            let genesis = cs.params.genesis.clone();
            let pos = cs.files.append_block(&genesis)?;
            cs.touched_files.insert(pos.file);
            cs.index.set_data(0, pos, genesis.txdata.len() as u32);
            cs.dirty_entries.insert(0);
        }
        cs.index.set_connected(0, None);
        let best = cs.coins_db.get(store::BEST_BLOCK)?;
        if best.is_none() {
            // The genesis block is connected first, as Core logs it.
            cs.log_update_tip();
        }
        if let Some(bytes) = best {
            let hash = <BlockHash as bitcoin::hashes::Hash>::from_slice(&bytes)
                .map_err(|_| ChainStateError::Corrupt("best block hash".into()))?;
            let tip = cs.index.find(&hash).ok_or_else(|| {
                ChainStateError::Corrupt(format!("best block {hash} not in the index"))
            })?;
            cs.active = cs.branch_to(tip);
            // A recent tip ends initial download at once, as Core's LoadChainTip.
            cs.update_ibd_status();
            // The tip read from disk wins ties against the other entries read from disk.
            cs.index.make_precious(tip, 0);
        }
        cs.link_all();
        cs.activate_best_chain(None)?;
        cs.flush()?;
        Ok(cs)
    }

    /// Indexes the blocks of the block files past the recorded usage, parents first
    /// (files may hold a child before its parent).
    fn index_stored_blocks(&mut self, now: i64) -> Result<(), ChainStateError> {
        let genesis = self.params.genesis.block_hash();
        let mut waiting: HashMap<BlockHash, Vec<crate::blockfiles::RecoveredBlock>> =
            HashMap::new();
        for found in self.files.recover_tail()? {
            let mut ready = vec![found];
            while let Some(r) = ready.pop() {
                let hash = r.header.block_hash();
                let i = if hash == genesis {
                    0
                } else {
                    match self.index.accept_header(&r.header, now) {
                        Ok(i) => i,
                        Err(HeaderError::PrevBlockNotFound) => {
                            self.log_debug(
                                "reindex",
                                &format!(
                                    "LoadExternalBlockFile: Out of order block {hash}, parent {} not known",
                                    r.header.prev_blockhash
                                ),
                            );
                            waiting.entry(r.header.prev_blockhash).or_default().push(r);
                            continue;
                        }
                        // An invalid header in our own files is skipped, as Core's
                        // reindex skips it.
                        Err(_) => continue,
                    }
                };
                if self.index.entry(i).data.is_none() {
                    self.index.set_data(i, r.pos, r.tx_count);
                    self.dirty_entries.insert(i);
                }
                if let Some(children) = waiting.remove(&hash) {
                    for c in &children {
                        self.log_debug(
                            "reindex",
                            &format!(
                                "LoadExternalBlockFile: Processing out of order child {} of {hash}",
                                c.header.block_hash()
                            ),
                        );
                    }
                    ready.extend(children);
                }
            }
        }
        Ok(())
    }

    /// Adds a subscriber to connections, disconnections and tip updates.
    pub fn subscribe(&mut self, subscriber: Box<dyn ChainEvents>) {
        self.subscribers.push(subscriber);
    }

    /// Where log lines (`UpdateTip: ...`) go.
    pub fn set_log(&mut self, log: LogSink) {
        self.log = Some(log);
    }

    fn log_line(&mut self, line: &str) {
        if let Some(log) = self.log.as_mut() {
            log(None, line);
        }
    }

    /// Core's `InvalidChainFound` lines for the newly invalid entry `i`.
    fn log_invalid_chain_found(&mut self, i: usize) {
        let tip = self.tip_index();
        let mut lines = Vec::with_capacity(2);
        for (what, j) in [("invalid block", i), ("current best", tip)] {
            let e = self.index.entry(j);
            lines.push(format!(
                "InvalidChainFound: {what}={} height={} log2_work={:.6} date={}",
                e.hash,
                e.height,
                e.chain_work.log2(),
                iso8601(i64::from(e.header.time))
            ));
        }
        for l in lines {
            self.log_line(&l);
        }
    }

    /// A line of a debug category (Core's `LogDebug`).
    fn log_debug(&mut self, category: &'static str, line: &str) {
        if let Some(log) = self.log.as_mut() {
            log(Some(category), line);
        }
    }

    /// The script-execution cache the mempool fills and block connection reads.
    pub fn script_cache(&self) -> &consensus::block::ScriptCache {
        &self.script_cache
    }

    /// Whether the node is still catching up (`IsInitialBlockDownload`).
    pub fn is_initial_block_download(&self) -> bool {
        self.initial_download
    }

    /// `GuessVerificationProgress` of the tip at the node's last known time.
    pub fn verification_progress(&self) -> f64 {
        verification_progress(
            &self.index,
            &self.params,
            self.index.entry(self.tip_index()),
            self.now,
        )
    }

    fn update_ibd_status(&mut self) {
        if !self.initial_download {
            return;
        }
        let tip = self.index.entry(self.tip_index());
        // Both big-endian, so byte order is numeric order.
        let enough_work = tip.chain_work.to_be_bytes() >= self.params.minimum_chain_work;
        if enough_work && tip.header.time as i64 >= self.now - DEFAULT_MAX_TIP_AGE {
            self.initial_download = false;
            self.log_line("Leaving InitialBlockDownload (latching to false)");
        }
    }

    fn log_update_tip(&mut self) {
        let line = update_tip_line(
            &self.index,
            &self.params,
            self.index.entry(self.tip_index()),
            self.now,
            self.cache_bytes,
            self.cache.len(),
        );
        self.log_line(&line);
    }

    /// The chain parameters.
    pub fn params(&self) -> &ChainParams {
        &self.params
    }

    /// The block index.
    pub fn index(&self) -> &BlockIndex {
        &self.index
    }

    /// The BIP9 deployment state cache, to be used with [`Self::index`] and the
    /// deployments of [`Self::params`].
    pub fn versionbits(&self) -> &crate::versionbits::VersionBitsCache {
        &self.versionbits
    }

    /// The version of a new block on the tip (`ComputeBlockVersion`): BIP9's top bits and
    /// the bits of the started and locked-in deployments.
    pub fn compute_block_version(&self) -> i32 {
        self.versionbits.compute_block_version(
            &self.index,
            &self.params.deployments,
            Some(self.tip_index()),
        )
    }

    /// Version bits that deployments unknown to us locked in (`false`) or activated
    /// (`true`) as of the tip (`CheckUnknownActivations`), for the warnings Core raises when
    /// the tip changes outside initial block download.
    pub fn unknown_activations(&self) -> Vec<(u8, bool)> {
        self.versionbits.unknown_activations(
            &self.index,
            &self.params.deployments,
            self.params.warning_params(),
            self.tip_index(),
        )
    }

    /// Index entry of the active chain's block at `height`.
    pub fn active_entry(&self, height: u32) -> Option<usize> {
        self.active.get(height as usize).copied()
    }

    /// Height of the active chain's tip.
    pub fn height(&self) -> u32 {
        self.active.len() as u32 - 1
    }

    /// Hash of the active chain's tip.
    pub fn tip(&self) -> BlockHash {
        self.index.entry(self.tip_index()).hash
    }

    fn tip_index(&self) -> usize {
        self.active[self.active.len() - 1]
    }

    /// The active chain's block hash at `height`.
    pub fn hash_at(&self, height: u32) -> Option<BlockHash> {
        self.active
            .get(height as usize)
            .map(|&i| self.index.entry(i).hash)
    }

    /// Reads a stored block.
    pub fn read_block(&self, hash: &BlockHash) -> Result<Option<Block>, ChainStateError> {
        let Some(pos) = self.index.find(hash).and_then(|i| self.index.entry(i).data) else {
            return Ok(None);
        };
        Ok(Some(self.files.read_block(pos)?))
    }

    /// A read-only handle on the block files, usable without holding the chainstate.
    pub fn block_reader(&self) -> crate::BlockReader {
        self.files.reader()
    }

    /// Reads a stored block's undo data (the coins it spent), if it was connected once.
    pub fn read_undo(&self, hash: &BlockHash) -> Result<Option<crate::BlockUndo>, ChainStateError> {
        let Some(i) = self.index.find(hash) else {
            return Ok(None);
        };
        let e = self.index.entry(i);
        let (Some(pos), Some(prev)) = (e.undo, e.prev) else {
            return Ok(None);
        };
        Ok(Some(
            self.files.read_undo(pos, &self.index.entry(prev).hash)?,
        ))
    }

    /// Whether the cache holds `outpoint` unspent, without reading the store (Core's
    /// `HaveCoinInCache`): a cheap, optimistic check.
    pub fn coin_in_cache(&self, outpoint: &OutPoint) -> bool {
        self.cache.get(outpoint).is_some_and(|e| e.coin.is_some())
    }

    /// The unspent coin at `outpoint` in the active chain's UTXO set.
    pub fn coin(&self, outpoint: &OutPoint) -> Result<Option<Coin>, ChainStateError> {
        if let Some(e) = self.cache.get(outpoint) {
            return Ok(e.coin.clone());
        }
        self.read_coin(outpoint)
    }

    fn read_coin(&self, outpoint: &OutPoint) -> Result<Option<Coin>, ChainStateError> {
        match self.coins_db.get(&store::coin_key(outpoint))? {
            None => Ok(None),
            Some(v) => store::parse_coin(&v)
                .map(Some)
                .ok_or_else(|| ChainStateError::Corrupt(format!("coin {outpoint}"))),
        }
    }

    /// Every coin of the UTXO set, after a flush (for `gettxoutsetinfo`).
    pub fn all_coins(&mut self) -> Result<Vec<(OutPoint, Coin)>, ChainStateError> {
        self.flush()?;
        let mut out = Vec::new();
        let mut bad = false;
        self.coins_db.scan_prefix(&[store::COIN], &mut |k, v| {
            match (store::parse_coin_key(k), store::parse_coin(v)) {
                (Some(o), Some(c)) => out.push((o, c)),
                _ => bad = true,
            }
            !bad
        })?;
        if bad {
            return Err(ChainStateError::Corrupt("unreadable coin".into()));
        }
        Ok(out)
    }

    /// Entries from genesis to `tip`.
    fn branch_to(&self, tip: usize) -> Vec<usize> {
        let mut v = Vec::with_capacity(self.index.entry(tip).height as usize + 1);
        let mut i = Some(tip);
        while let Some(j) = i {
            v.push(j);
            i = self.index.entry(j).prev;
        }
        v.reverse();
        v
    }

    /// Checks and stores a block, then moves the active chain to the most-work valid
    /// chain (`ProcessNewBlock`). Once it returns, the block is on disk.
    pub fn process_block(&mut self, block: &Block, now: i64) -> Result<BlockOutcome, ProcessError> {
        self.process_new_block(block, now, true, true)
    }

    /// [`Self::process_block`] with Core's flags for blocks from peers:
    /// `force_processing` when the block was requested (otherwise it is stored only if it
    /// could soon be part of the best chain, as `AcceptBlock` decides), and
    /// `min_pow_checked` when the caller found the block's chain to have enough work
    /// for its header to be added (`GetAntiDoSWorkThreshold`).
    pub fn process_new_block(
        &mut self,
        block: &Block,
        now: i64,
        force_processing: bool,
        min_pow_checked: bool,
    ) -> Result<BlockOutcome, ProcessError> {
        self.now = now;
        // Context-free failures never mark the header invalid, as some of them are
        // malleations of a valid block.
        check_block(block, &self.params, true, true).map_err(ProcessError::Block)?;
        let known = self.index.find(&block.block_hash()).is_some();
        let i = match self
            .index
            .accept_header_pow_checked(&block.header, now, min_pow_checked)
        {
            Ok(i) => i,
            Err(HeaderError::TooLittleChainwork) => {
                let line = format!(
                    "AcceptBlockHeader: not adding new block header {}, missing anti-dos proof-of-work validation",
                    block.block_hash()
                );
                self.log_debug("validation", &line);
                return Err(ProcessError::Header(HeaderError::TooLittleChainwork));
            }
            Err(e) => return Err(ProcessError::Header(e)),
        };
        if !known {
            self.dirty_entries.insert(i);
        }
        let new_block = self.index.entry(i).data.is_none()
            && (force_processing || self.worth_storing_unrequested(i));
        if new_block {
            let prev = self.index.entry(i).prev.map(|p| PrevBlock {
                height: self.index.entry(p).height,
                median_time_past: self.index.median_time_past(p),
            });
            let checked = contextual_check_block(block, &self.params, prev);
            if let Err(e) = checked {
                if !e.is_mutation() {
                    let changed = self.index.invalidate(i);
                    self.dirty_entries.extend(changed);
                    self.log_invalid_chain_found(i);
                }
                self.log_debug(LOG_ERROR, &format!("AcceptBlock: {e}"));
                return Err(ProcessError::Block(e));
            }
            let on_tip = self.index.entry(i).prev == Some(self.tip_index());
            if on_tip && !self.initial_download {
                for s in &mut self.subscribers {
                    s.new_pow_valid_block(block, &self.index, i);
                }
            }
            let pos = self
                .files
                .append_block(block)
                .map_err(ChainStateError::from)?;
            let t = std::time::Instant::now();
            self.files.sync(pos.file).map_err(ChainStateError::from)?;
            self.ack_sync += t.elapsed();
            self.touched_files.insert(pos.file);
            self.index.set_data(i, pos, block.txdata.len() as u32);
            self.dirty_entries.insert(i);
            self.block_stored(i);
        }
        let failure = self.activate_best_chain(Some(block))?;
        match failure {
            Some((j, e)) if j == i => Err(ProcessError::Block(e)),
            other => {
                let e = self.index.entry(i);
                Ok(BlockOutcome {
                    new_block,
                    active: self.hash_at(e.height) == Some(e.hash),
                    other_invalid: other.map(|(j, _)| self.index.entry(j).hash),
                })
            }
        }
    }

    /// `AcceptBlock`'s rule for a block nobody asked for: store it only when it is not a
    /// pruned one, has at least the tip's work, is not too far ahead of the tip to be
    /// pruned later, and its chain has the minimum chain work.
    fn worth_storing_unrequested(&self, i: usize) -> bool {
        let e = self.index.entry(i);
        let tip = self.index.entry(self.tip_index());
        e.tx_count == 0
            && e.chain_work >= tip.chain_work
            && e.height <= tip.height + MIN_BLOCKS_TO_KEEP
            && e.chain_work.to_be_bytes() >= self.params.minimum_chain_work
    }

    /// A new block on the tip paying `coinbase_script`, with `transactions` (parents first)
    /// and their `fees` (`BlockAssembler::CreateNewBlock`): the version of
    /// [`Self::compute_block_version`], time the later of `now` and the median time past
    /// plus one (and, at a retarget, not more than `MAX_TIMEWARP` before the parent, on
    /// every network as Core's miner does), the required bits, nonce 0. Grind it with
    /// [`crate::assemble::grind`] on regtest.
    pub fn create_new_block(
        &self,
        coinbase_script: bitcoin::ScriptBuf,
        transactions: Vec<bitcoin::Transaction>,
        fees: i64,
        now: i64,
    ) -> Block {
        let prev = self.tip_index();
        let p = self.index.entry(prev);
        let height = p.height + 1;
        let time = now.max(self.minimum_block_time());
        let time = u32::try_from(time).unwrap_or(u32::MAX);
        crate::assemble::assemble_block(
            &self.params,
            crate::assemble::BlockRequest {
                prev_hash: p.hash,
                height,
                version: self.compute_block_version(),
                time,
                bits: self.index.next_bits(prev, time),
                coinbase_script,
                transactions,
                fees,
            },
        )
    }

    /// The earliest time a new block on the tip may have (`GetMinimumTime`): one second
    /// past the median time past, and at a retarget not more than `MAX_TIMEWARP` before
    /// the parent (BIP94, applied by the miner on every network).
    pub fn minimum_block_time(&self) -> i64 {
        let prev = self.tip_index();
        let p = self.index.entry(prev);
        let mut time = self.index.median_time_past(prev) + 1;
        let interval = self.params.difficulty_adjustment_interval().max(1);
        if (p.height + 1).is_multiple_of(interval) {
            time = time.max(p.header.time as i64 - crate::params::MAX_TIMEWARP);
        }
        time
    }

    /// Checks a block on the tip without storing or connecting it (`TestBlockValidity`):
    /// the block checks, the contextual header and block checks, then a connection whose
    /// changes are dropped.
    pub fn test_block_validity(
        &mut self,
        block: &Block,
        check_pow: bool,
        check_merkle_root: bool,
        now: i64,
    ) -> Result<(), ProcessError> {
        let prev = self.tip_index();
        let p = self.index.entry(prev).clone();
        if block.header.prev_blockhash != p.hash {
            return Err(ProcessError::NotOnTip);
        }
        check_block(block, &self.params, check_pow, check_merkle_root)
            .map_err(ProcessError::Block)?;
        self.index
            .check_header_on(&block.header, prev, now)
            .map_err(ProcessError::Header)?;
        let prev_block = PrevBlock {
            height: p.height,
            median_time_past: self.index.median_time_past(prev),
        };
        contextual_check_block(block, &self.params, Some(prev_block))
            .map_err(ProcessError::Block)?;
        let height = p.height + 1;
        let hash = block.block_hash();
        let bip34_ancestor = self
            .index
            .ancestor(prev, self.params.bip34_height)
            .map(|a| self.index.entry(a).hash);
        let bip30 = crate::validation::bip30_checked(&self.params, height, &hash, bip34_ancestor);
        self.fetch(Self::touched_outpoints(block, bip30))?;
        self.check_connect(block, prev, hash, true, &CacheView(&self.cache))
            .map(|_| ())
            .map_err(ProcessError::Block)
    }

    /// Checks and adds headers ahead of their blocks (`ProcessNewBlockHeaders`), as
    /// headers-first sync does; stops at the first invalid one.
    pub fn process_headers(
        &mut self,
        headers: &[bitcoin::block::Header],
        now: i64,
    ) -> Result<(), HeaderError> {
        self.now = now;
        for h in headers {
            let i = self.index.accept_header(h, now)?;
            self.dirty_entries.insert(i);
        }
        Ok(())
    }

    /// Orders entries as candidates: most work first, then the earliest sequence.
    fn candidate_key(&self, i: usize) -> CandidateKey {
        let e = self.index.entry(i);
        (std::cmp::Reverse(e.chain_work), e.sequence, i)
    }

    fn is_linked(&self, i: usize) -> bool {
        self.linked.get(i).copied().unwrap_or(false)
    }

    /// Whether entry `i`'s block and all its ancestors' blocks are stored, so it could be
    /// connected (Core's `HaveNumChainTxs`).
    pub fn have_num_chain_txs(&self, i: usize) -> bool {
        self.is_linked(i)
    }

    /// Records that entry `i`'s block is stored: links it (and the stored descendants
    /// that waited for it) once its parent is linked, making them candidates
    /// (`ReceivedBlockTransactions`).
    fn block_stored(&mut self, i: usize) {
        if let Some(p) = self.index.entry(i).prev {
            if !self.is_linked(p) {
                self.unlinked.entry(p).or_default().push(i);
                return;
            }
        }
        let mut ready = vec![i];
        while let Some(j) = ready.pop() {
            if self.linked.len() <= j {
                self.linked.resize(self.index.len().max(j + 1), false);
            }
            self.linked[j] = true;
            if !self.index.entry(j).status.failed() {
                let key = self.candidate_key(j);
                self.candidates.insert(key);
            }
            if let Some(children) = self.unlinked.remove(&j) {
                ready.extend(children);
            }
        }
    }

    /// Links every stored entry (parents come before children in the index), then
    /// gathers the candidates.
    fn link_all(&mut self) {
        self.linked = vec![false; self.index.len()];
        self.unlinked.clear();
        for i in 0..self.index.len() {
            let e = self.index.entry(i);
            if e.data.is_none() {
                continue;
            }
            match e.prev {
                Some(p) if !self.linked[p] => self.unlinked.entry(p).or_default().push(i),
                _ => self.linked[i] = true,
            }
        }
        self.rebuild_candidates();
    }

    /// Every linked, valid entry at least as good as the tip becomes a candidate again
    /// (after a change of validity or of tie-break order).
    fn rebuild_candidates(&mut self) {
        self.candidates.clear();
        let tip_key = self.candidate_key(self.tip_index());
        for i in 0..self.index.len() {
            if self.is_linked(i) && !self.index.entry(i).status.failed() {
                let key = self.candidate_key(i);
                if key <= tip_key {
                    self.candidates.insert(key);
                }
            }
        }
    }

    /// The best valid candidate, dropping invalid ones on the way; the tip if none.
    fn best_candidate(&mut self) -> usize {
        while let Some(&key) = self.candidates.first() {
            if self.index.entry(key.2).status.failed() {
                self.candidates.remove(&key);
                continue;
            }
            return key.2;
        }
        self.tip_index()
    }

    /// Drops the candidates worse than the tip (`PruneBlockIndexCandidates`).
    fn prune_candidates(&mut self) {
        let mut key = self.candidate_key(self.tip_index());
        key.2 = key.2.saturating_add(1);
        drop(self.candidates.split_off(&key));
    }

    /// Connects and disconnects until the tip is the best candidate
    /// (`ActivateBestChain`). Returns the block that failed to connect, if one did.
    fn activate_best_chain(
        &mut self,
        received: Option<&Block>,
    ) -> Result<Option<(usize, BlockError)>, ChainStateError> {
        let (start, fork_height) = (self.tip_index(), self.height());
        self.activate_from(start, fork_height, received)
    }

    /// [`Self::activate_best_chain`] for a tip change that began at `start_tip` with
    /// `fork_height` (invalidation disconnects first); notifies the change once. A block
    /// just `received` is connected from memory instead of read back from its file.
    fn activate_from(
        &mut self,
        start_tip: usize,
        mut fork_height: u32,
        received: Option<&Block>,
    ) -> Result<Option<(usize, BlockError)>, ChainStateError> {
        let mut failure = None;
        loop {
            let cand = self.best_candidate();
            let tip = self.tip_index();
            let (c, t) = (self.index.entry(cand), self.index.entry(tip));
            // Ties go to the entry seen first (or made precious), as Core orders candidates.
            let better = c.chain_work > t.chain_work
                || (c.chain_work == t.chain_work && c.sequence < t.sequence);
            if cand == tip || !better || c.status.failed() {
                self.prune_candidates();
                self.notify_tip_change(start_tip, fork_height);
                return Ok(failure);
            }
            // The candidate's entries back to the active chain, oldest first.
            let mut path = Vec::new();
            let mut j = cand;
            while self.active.get(self.index.entry(j).height as usize) != Some(&j) {
                path.push(j);
                match self.index.entry(j).prev {
                    Some(p) => j = p,
                    None => break,
                }
            }
            path.reverse();
            let fork = self.index.entry(j).height;
            while self.height() > fork {
                self.disconnect_tip()?;
            }
            fork_height = fork_height.min(fork);
            for i in path {
                let known = received.filter(|b| b.block_hash() == self.index.entry(i).hash);
                if let Err(e) = self.connect(i, known)? {
                    let changed = self.index.invalidate(i);
                    self.dirty_entries.extend(changed);
                    self.log_invalid_chain_found(i);
                    let line = format!(
                        "ConnectTip: ConnectBlock {} failed, {}",
                        self.index.entry(i).hash,
                        e
                    );
                    self.log_debug(LOG_ERROR, &line);
                    failure = Some((i, e));
                    break;
                }
                self.maybe_flush()?;
            }
        }
    }

    /// Loads the coins a block touches into the cache.
    fn fetch(
        &mut self,
        outpoints: impl IntoIterator<Item = OutPoint>,
    ) -> Result<(), ChainStateError> {
        for o in outpoints {
            if self.cache.contains_key(&o) {
                continue;
            }
            let e = CacheEntry {
                coin: self.read_coin(&o)?,
                dirty: false,
            };
            self.cache_bytes += entry_bytes(&e);
            self.cache.insert(o, e);
        }
        Ok(())
    }

    fn set_coin(&mut self, o: OutPoint, coin: Option<Coin>) {
        let e = CacheEntry { coin, dirty: true };
        self.cache_bytes += entry_bytes(&e);
        if let Some(old) = self.cache.insert(o, e) {
            self.cache_bytes = self.cache_bytes.saturating_sub(entry_bytes(&old));
        }
    }

    /// The coins a block spends and, with `outputs`, those it creates (looked up for the
    /// BIP30 check and when disconnecting).
    fn touched_outpoints(block: &Block, outputs: bool) -> Vec<OutPoint> {
        let mut v = Vec::new();
        for tx in &block.txdata {
            if outputs {
                let txid = tx.compute_txid();
                v.extend((0..tx.output.len() as u32).map(|vout| OutPoint { txid, vout }));
            }
            if !tx.is_coinbase() {
                v.extend(tx.input.iter().map(|i| i.previous_output));
            }
        }
        v
    }

    /// Why the scripts of entry `i` must be checked, or `None` when `-assumevalid` lets
    /// them be skipped: an ancestor of the assumed-valid block on the best header chain,
    /// with enough work behind the best header and at least two weeks of work on top.
    fn script_check_reason(&self, i: usize) -> Option<&'static str> {
        const TWO_WEEKS: f64 = 60.0 * 60.0 * 24.0 * 7.0 * 2.0;
        let Some(av_hash) = self.options.assume_valid else {
            return Some("assumevalid=0 (always verify)");
        };
        let Some(av) = self.index.find(&av_hash) else {
            return Some("assumevalid hash not in headers");
        };
        let e = self.index.entry(i);
        if self.index.ancestor(av, e.height) != Some(i) {
            return Some(if e.height > self.index.entry(av).height {
                "block height above assumevalid height"
            } else {
                "block not in assumevalid chain"
            });
        }
        let best = self.index.best_header();
        let Some(best_i) = self.index.find(&best.hash) else {
            return Some("block not in best header chain");
        };
        if self.index.ancestor(best_i, e.height) != Some(i) {
            return Some("block not in best header chain");
        }
        if best.chain_work.to_be_bytes() < self.params.minimum_chain_work {
            return Some("best header chainwork below minimumchainwork");
        }
        // GetBlockProofEquivalentTime(best, block, best): seconds of work on top of it.
        let to_f64 = |w: bitcoin::pow::Work| {
            w.to_be_bytes()
                .iter()
                .fold(0f64, |acc, b| acc * 256.0 + f64::from(*b))
        };
        let on_top = (to_f64(best.chain_work) - to_f64(e.chain_work))
            * self.params.pow.pow_target_spacing as f64
            / to_f64(crate::pow::block_proof(best.header.bits));
        if on_top <= TWO_WEEKS {
            return Some("block too recent relative to best header");
        }
        None
    }

    /// Connects entry `i` on the tip; `Ok(Err(_))` if the block is invalid.
    fn connect(
        &mut self,
        i: usize,
        known: Option<&Block>,
    ) -> Result<Result<(), BlockError>, ChainStateError> {
        let entry = self.index.entry(i).clone();
        let Some(pos) = entry.data else {
            return Err(ChainStateError::Corrupt(format!(
                "no data for {}",
                entry.hash
            )));
        };
        let Some(prev) = entry.prev else {
            return Err(ChainStateError::Corrupt("connecting genesis twice".into()));
        };
        let read;
        let block = match known {
            Some(b) => b,
            None => {
                read = self.files.read_block(pos)?;
                &read
            }
        };
        let bip34_ancestor = self
            .index
            .ancestor(prev, self.params.bip34_height)
            .map(|a| self.index.entry(a).hash);
        let bip30 = crate::validation::bip30_checked(
            &self.params,
            entry.height,
            &entry.hash,
            bip34_ancestor,
        );
        self.fetch(Self::touched_outpoints(block, bip30))?;
        let reason = self.script_check_reason(i);
        if self.last_script_check != Some(reason) {
            let line = match reason {
                Some(r) => format!(
                    "Enabling script verification at block #{} ({}): {r}.",
                    entry.height, entry.hash
                ),
                None => format!(
                    "Disabling script verification at block #{} ({}).",
                    entry.height, entry.hash
                ),
            };
            self.log_line(&line);
            self.last_script_check = Some(reason);
        }
        let check_scripts = reason.is_some();
        let connected = self.check_connect(
            block,
            prev,
            entry.hash,
            check_scripts,
            &CacheView(&self.cache),
        );
        let changes = match connected {
            Ok(c) => c,
            Err(e) => return Ok(Err(e)),
        };
        let undo_pos =
            self.files
                .append_undo(pos.file, &changes.undo, &block.header.prev_blockhash)?;
        self.touched_files.insert(pos.file);
        for o in &changes.spent {
            self.set_coin(*o, None);
        }
        for (o, c) in &changes.created {
            self.set_coin(*o, Some(c.clone()));
        }
        self.index.set_connected(i, Some(undo_pos));
        self.dirty_entries.insert(i);
        self.active.push(i);
        self.log_update_tip();
        for s in &mut self.subscribers {
            s.block_connected_in(block, &self.index, i);
        }
        Ok(Ok(()))
    }

    /// Runs `ConnectBlock` for `block` (hash `hash`) as the child of entry `prev` against
    /// `view`, changing nothing: the caller applies what it returns.
    fn check_connect(
        &self,
        block: &Block,
        prev: usize,
        hash: BlockHash,
        check_scripts: bool,
        view: &dyn CoinsView,
    ) -> Result<crate::validation::ConnectedBlock, BlockError> {
        let index = &self.index;
        let mtp_at = |h: u32| {
            index
                .ancestor(prev, h)
                .map_or(0, |a| index.median_time_past(a))
        };
        let ctx = ConnectContext {
            height: index.entry(prev).height + 1,
            hash,
            prev_median_time_past: index.median_time_past(prev),
            median_time_past_at: &mtp_at,
            bip34_ancestor: index
                .ancestor(prev, self.params.bip34_height)
                .map(|a| index.entry(a).hash),
            check_scripts,
            script_threads: self.options.script_threads,
            script_cache: Some(&self.script_cache),
        };
        connect_block(block, &self.params, &ctx, view)
    }

    /// Undoes the tip block (`DisconnectTip`).
    fn disconnect_tip(&mut self) -> Result<(), ChainStateError> {
        let i = self.tip_index();
        let entry = self.index.entry(i).clone();
        let (Some(pos), Some(undo_pos)) = (entry.data, entry.undo) else {
            return Err(ChainStateError::Corrupt(format!(
                "no block or undo data to disconnect {}",
                entry.hash
            )));
        };
        let block = self.files.read_block(pos)?;
        let undo = self
            .files
            .read_undo(undo_pos, &block.header.prev_blockhash)?;
        self.fetch(Self::touched_outpoints(&block, true))?;
        let d = disconnect_block(&block, entry.height, &undo, &CacheView(&self.cache))
            .map_err(ChainStateError::Disconnect)?;
        for o in &d.removed {
            self.set_coin(*o, None);
        }
        for (o, c) in &d.restored {
            self.set_coin(*o, Some(c.clone()));
        }
        self.active.pop();
        self.log_update_tip();
        for s in &mut self.subscribers {
            s.block_disconnected_in(&block, &self.index, i);
        }
        Ok(())
    }

    fn maybe_flush(&mut self) -> Result<(), ChainStateError> {
        if self.cache_bytes > self.options.cache_bytes {
            self.flush()?;
            self.cache.clear();
            self.cache_bytes = 0;
        }
        Ok(())
    }

    /// Makes the state durable (`FlushStateToDisk`): block and undo files synced, then the
    /// index and file usage in one atomic synced batch, then the coins and their best
    /// block in another. The index is never behind the coins, so a crash between the two
    /// leaves coins at a block the index knows.
    pub fn flush(&mut self) -> Result<(), ChainStateError> {
        for f in std::mem::take(&mut self.touched_files) {
            self.files.sync(f)?;
        }
        let mut index_batch = WriteBatch::new();
        for &i in &self.dirty_entries {
            let e = self.index.entry(i);
            let stored = store::StoredEntry {
                height: e.height,
                status: e.status,
                data: e.data,
                undo: e.undo,
                tx_count: e.tx_count,
                chain_tx_count: e.chain_tx_count,
                header: e.header,
            };
            index_batch.put(&store::index_key(&e.hash), &store::entry_value(&stored));
        }
        for (f, u) in self.files.usage().iter().enumerate() {
            index_batch.put(&store::file_key(f as u32), &store::usage_value(u));
        }
        self.index_db.write(index_batch, true)?;
        self.dirty_entries.clear();
        let mut coins_batch = WriteBatch::new();
        for (o, e) in self.cache.iter_mut().filter(|(_, e)| e.dirty) {
            match &e.coin {
                Some(c) => coins_batch.put(&store::coin_key(o), &store::coin_value(c)),
                None => coins_batch.delete(&store::coin_key(o)),
            }
            e.dirty = false;
        }
        coins_batch.put(
            store::BEST_BLOCK,
            bitcoin::hashes::Hash::as_byte_array(&self.tip()),
        );
        self.coins_db.write(coins_batch, true)?;
        if !self.subscribers.is_empty() {
            let locator = self.locator();
            for s in &mut self.subscribers {
                s.chain_state_flushed(&locator);
            }
        }
        Ok(())
    }

    /// Core's `GetLocator` for the active tip: the last 10 blocks, then exponentially
    /// sparser ones back to genesis.
    pub fn locator(&self) -> Vec<BlockHash> {
        match self.active_entry(self.height()) {
            Some(i) => self.locator_from(i),
            None => Vec::new(),
        }
    }

    /// Core's `LocatorEntries` from index entry `i`.
    pub fn locator_from(&self, i: usize) -> Vec<BlockHash> {
        let mut out = Vec::new();
        let mut step = 1u32;
        let mut cur = Some(i);
        while let Some(c) = cur {
            let e = self.index.entry(c);
            out.push(e.hash);
            if e.height == 0 {
                break;
            }
            let height = e.height.saturating_sub(step);
            cur = self.index.ancestor(c, height);
            if out.len() > 10 {
                step = step.saturating_mul(2);
            }
        }
        out
    }

    /// Time spent so far syncing new blocks to disk before acknowledging them: the cost of
    /// keeping every acknowledged block across a crash.
    pub fn acknowledgement_sync_time(&self) -> std::time::Duration {
        self.ack_sync
    }

    fn find_block(&self, hash: &BlockHash) -> Result<usize, ChainStateError> {
        self.index
            .find(hash)
            .ok_or(ChainStateError::BlockNotFound(*hash))
    }

    fn notify_tip_change(&mut self, before: usize, fork_height: u32) {
        if self.tip_index() == before {
            return;
        }
        self.update_ibd_status();
        let (hash, height, ibd) = (self.tip(), self.height(), self.initial_download);
        for s in &mut self.subscribers {
            s.updated_block_tip(&hash, height, fork_height, ibd);
        }
    }

    /// Marks a block invalid, with its descendants, and moves the tip off it to the best
    /// remaining chain (`InvalidateBlock`, the `invalidateblock` RPC).
    pub fn invalidate_block(&mut self, hash: &BlockHash) -> Result<(), ChainStateError> {
        let i = self.find_block(hash)?;
        if i == 0 {
            // Core ignores the request: the genesis block stays.
            return Ok(());
        }
        let before = self.tip_index();
        let height = self.index.entry(i).height;
        let mut fork_height = self.height();
        while self.active.get(height as usize) == Some(&i) {
            self.disconnect_tip()?;
            fork_height = self.height();
        }
        let changed = self.index.invalidate(i);
        self.dirty_entries.extend(changed);
        self.rebuild_candidates();
        self.activate_from(before, fork_height, None)?;
        Ok(())
    }

    /// Clears the failure marks of a block, its ancestors and descendants, and moves to the
    /// best chain again (`ReconsiderBlock`, the `reconsiderblock` RPC).
    pub fn reconsider_block(&mut self, hash: &BlockHash) -> Result<(), ChainStateError> {
        let i = self.find_block(hash)?;
        let changed = self.index.reconsider(i);
        self.dirty_entries.extend(changed);
        self.rebuild_candidates();
        self.activate_best_chain(None)?;
        Ok(())
    }

    /// Treats a block as if it had arrived before any other of the same work, so that its
    /// chain wins a tie (`PreciousBlock`, the `preciousblock` RPC).
    pub fn precious_block(&mut self, hash: &BlockHash) -> Result<(), ChainStateError> {
        let i = self.find_block(hash)?;
        let tip_work = self.index.entry(self.tip_index()).chain_work;
        if self.index.entry(i).chain_work < tip_work {
            return Ok(());
        }
        // A longer chain since the last call starts the count again.
        if self.last_precious_work.is_none_or(|w| tip_work > w) {
            self.next_precious = -1;
        }
        self.last_precious_work = Some(tip_work);
        self.index.make_precious(i, self.next_precious);
        self.next_precious = (self.next_precious - 1).max(i64::from(i32::MIN));
        self.rebuild_candidates();
        self.activate_best_chain(None)?;
        Ok(())
    }

    /// Bytes of block and undo files on disk (`CalculateCurrentUsage`).
    pub fn blocks_disk_usage(&self) -> u64 {
        self.files.usage().iter().map(|u| u.blocks + u.undo).sum()
    }

    /// Bytes the coins database takes on disk, as its store estimates.
    pub fn coins_disk_size(&self) -> u64 {
        self.coins_db.disk_size().unwrap_or(0)
    }

    /// Status bits of a block, if known.
    pub fn status(&self, hash: &BlockHash) -> Option<BlockStatus> {
        self.index.find(hash).map(|i| self.index.entry(i).status)
    }
}
