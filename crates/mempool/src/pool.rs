//! The pool's entries, their dependency links and clusters (Core's `CTxMemPool` over its
//! `TxGraph`): adding and removing, the mining order, and what-if staging for replacements.

use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::sync::Arc;

use bitcoin::hashes::Hash;
use bitcoin::{OutPoint, Transaction, Txid, Wtxid};

use crate::feerate::{FeeFrac, FeeRate};
use crate::linearize::{linearize, Chunk, DepGraph};
use crate::usage;
use crate::MempoolOptions;

/// Why a transaction left the pool (`MemPoolRemovalReason`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RemovalReason {
    /// Older than `-mempoolexpiry`.
    Expiry,
    /// Evicted to keep the pool under `-maxmempool`, or its cluster over the limits.
    SizeLimit,
    /// No longer valid after a reorganisation.
    Reorg,
    /// Included in a block.
    Block,
    /// Spends an output a block spent.
    Conflict,
    /// Replaced by a better-paying transaction.
    Replaced,
}

impl RemovalReason {
    /// Core's name (`RemovalReasonToString`).
    pub fn name(self) -> &'static str {
        match self {
            RemovalReason::Expiry => "expiry",
            RemovalReason::SizeLimit => "sizelimit",
            RemovalReason::Reorg => "reorg",
            RemovalReason::Block => "block",
            RemovalReason::Conflict => "conflict",
            RemovalReason::Replaced => "replaced",
        }
    }
}

/// What happened to the pool, in order, for subscribers (fee estimation, notifications).
#[derive(Debug, Clone)]
pub enum PoolEvent {
    /// A transaction entered the pool.
    Added {
        /// The transaction.
        tx: Arc<Transaction>,
        /// Its fee.
        fee: i64,
        /// Its virtual size.
        vsize: i64,
        /// Chain height at entry.
        height: u32,
        /// How it came in, for fee estimation (Core's `NewMempoolTransactionInfo`).
        info: AddedInfo,
        /// None of its inputs spent a pool transaction when it entered.
        has_no_mempool_parents: bool,
        /// The pool's sequence number of the addition.
        sequence: u64,
    },
    /// A transaction left the pool for a reason other than a block.
    Removed {
        /// The transaction.
        tx: Arc<Transaction>,
        /// Why.
        reason: RemovalReason,
        /// The pool's sequence number of the removal.
        sequence: u64,
    },
    /// A block connected: the pool transactions it confirmed (`MempoolTransactionsRemovedForBlock`).
    Confirmed {
        /// The block height.
        height: u32,
        /// The block hash.
        hash: bitcoin::BlockHash,
        /// Weight of the block's transactions besides the coinbase.
        weight_without_coinbase: u64,
        /// The confirmed pool transactions.
        removed: Vec<ConfirmedTx>,
    },
}

/// How a transaction entered the pool, as fee estimation needs to know.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AddedInfo {
    /// Returned by a reorganisation, past the usual limits.
    pub mempool_limit_bypassed: bool,
    /// Part of a package submission.
    pub submitted_in_package: bool,
    /// The node was synced when it entered (`IsCurrentForFeeEstimation`).
    pub chainstate_is_current: bool,
}

/// A pool transaction a block confirmed (`RemovedMempoolTransactionInfo`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfirmedTx {
    /// Its id.
    pub txid: Txid,
    /// Fee paid.
    pub fee: i64,
    /// Virtual size as the pool counted it.
    pub vsize: i64,
    /// Chain height when it entered the pool.
    pub entry_height: u32,
    /// BIP141 weight.
    pub weight: i64,
}

/// One pool transaction (`CTxMemPoolEntry`).
#[derive(Debug, Clone)]
pub struct Entry {
    /// The transaction.
    pub tx: Arc<Transaction>,
    /// Its id.
    pub txid: Txid,
    /// Its witness id.
    pub wtxid: Wtxid,
    /// Fee paid.
    pub fee: i64,
    /// Fee plus any `prioritisetransaction` delta.
    pub modified_fee: i64,
    /// BIP141 weight.
    pub weight: i64,
    /// Weight raised for sigops (`GetAdjustedWeight`).
    pub adjusted_weight: i64,
    /// Virtual size with the sigop adjustment (`GetTxSize`).
    pub vsize: i64,
    /// Sigop cost.
    pub sigop_cost: i64,
    /// Time it entered, seconds.
    pub time: i64,
    /// Chain height when it entered.
    pub height: u32,
    /// Order of entry (0 for transactions returned by a reorganisation).
    pub entry_sequence: u64,
    /// Whether it spends a coinbase output.
    pub spends_coinbase: bool,
    usage: usize,
    parents: Vec<usize>,
    children: Vec<usize>,
    cluster: usize,
    lin_pos: usize,
    chunk: usize,
}

/// A transaction about to enter the pool (Core's staged `CTxMemPoolEntry`).
#[derive(Debug, Clone)]
pub struct NewEntry {
    /// The transaction.
    pub tx: Arc<Transaction>,
    /// `tx`'s txid, which acceptance has already computed.
    pub txid: Txid,
    /// `tx`'s wtxid, which acceptance has already computed.
    pub wtxid: Wtxid,
    /// Fee paid.
    pub fee: i64,
    /// Sigop cost.
    pub sigop_cost: i64,
    /// Entry time.
    pub time: i64,
    /// Chain height at entry.
    pub height: u32,
    /// Whether it spends a coinbase output.
    pub spends_coinbase: bool,
    /// 0 for transactions returned by a reorganisation, otherwise the pool's sequence.
    pub entry_sequence: u64,
}

#[derive(Debug, Clone)]
struct Cluster {
    /// Entry ids in linearization order.
    order: Vec<usize>,
    chunks: Vec<Chunk>,
}

/// The transaction pool.
#[derive(Debug)]
pub struct Mempool {
    options: MempoolOptions,
    loaded: bool,
    entries: Vec<Option<Entry>>,
    free: Vec<usize>,
    by_txid: HashMap<Txid, usize>,
    by_wtxid: HashMap<Wtxid, usize>,
    next_tx: HashMap<OutPoint, usize>,
    /// Entries by entry time, for expiry (Core's `entry_time` index).
    by_time: BTreeSet<(i64, usize)>,
    clusters: Vec<Option<Cluster>>,
    free_clusters: Vec<usize>,
    deltas: BTreeMap<[u8; 32], (Txid, i64)>,
    unbroadcast: BTreeSet<Txid>,
    sequence: u64,
    total_vsize: i64,
    total_fee: i64,
    inner_usage: usize,
    rolling_min_fee: f64,
    last_rolling_update: i64,
    block_since_bump: bool,
    transactions_updated: u64,
    events: Vec<PoolEvent>,
}

/// Half-life of the rolling minimum fee, seconds (`ROLLING_FEE_HALFLIFE`).
const ROLLING_FEE_HALFLIFE: f64 = 60.0 * 60.0 * 12.0;

fn key(txid: &Txid) -> [u8; 32] {
    txid.to_byte_array()
}

impl Mempool {
    /// An empty pool with `options`.
    pub fn new(options: MempoolOptions) -> Mempool {
        Mempool {
            options,
            loaded: false,
            entries: Vec::new(),
            free: Vec::new(),
            by_txid: HashMap::new(),
            by_wtxid: HashMap::new(),
            next_tx: HashMap::new(),
            by_time: BTreeSet::new(),
            clusters: Vec::new(),
            free_clusters: Vec::new(),
            deltas: BTreeMap::new(),
            unbroadcast: BTreeSet::new(),
            sequence: 1,
            total_vsize: 0,
            total_fee: 0,
            inner_usage: 0,
            rolling_min_fee: 0.0,
            last_rolling_update: 0,
            block_since_bump: false,
            transactions_updated: 0,
            events: Vec::new(),
        }
    }

    /// The pool's options.
    pub fn options(&self) -> &MempoolOptions {
        &self.options
    }

    /// Whether the startup load was attempted.
    pub fn loaded(&self) -> bool {
        self.loaded
    }

    /// Marks the startup load as attempted.
    pub fn set_loaded(&mut self) {
        self.loaded = true;
    }

    /// Number of transactions.
    pub fn size(&self) -> usize {
        self.by_txid.len()
    }

    /// Sum of virtual sizes.
    pub fn total_vsize(&self) -> i64 {
        self.total_vsize
    }

    /// Sum of base fees.
    pub fn total_fee(&self) -> i64 {
        self.total_fee
    }

    /// The mempool sequence number (`GetSequence`).
    pub fn sequence(&self) -> u64 {
        self.sequence
    }

    fn next_sequence(&mut self) -> u64 {
        let s = self.sequence;
        self.sequence += 1;
        s
    }

    /// Counter of changes, for templates to notice (`GetTransactionsUpdated`).
    pub fn transactions_updated(&self) -> u64 {
        self.transactions_updated
    }

    /// Takes the events recorded since the last call.
    pub fn take_events(&mut self) -> Vec<PoolEvent> {
        std::mem::take(&mut self.events)
    }

    /// Memory the pool uses, estimated as Core does (`DynamicMemoryUsage`).
    pub fn dynamic_usage(&self) -> usize {
        usage::pool_usage(self.size(), self.next_tx.len(), self.deltas.len()) + self.inner_usage
    }

    /// The entry for `txid`.
    pub fn entry(&self, txid: &Txid) -> Option<&Entry> {
        self.by_txid
            .get(txid)
            .and_then(|&i| self.entries[i].as_ref())
    }

    /// The entry for `wtxid`.
    pub fn entry_by_wtxid(&self, wtxid: &Wtxid) -> Option<&Entry> {
        self.by_wtxid
            .get(wtxid)
            .and_then(|&i| self.entries[i].as_ref())
    }

    fn at(&self, i: usize) -> &Entry {
        match self.entries.get(i).and_then(|e| e.as_ref()) {
            Some(e) => e,
            None => unreachable!("entry ids come from the pool's own maps"),
        }
    }

    fn at_mut(&mut self, i: usize) -> &mut Entry {
        match self.entries.get_mut(i).and_then(|e| e.as_mut()) {
            Some(e) => e,
            None => unreachable!("entry ids come from the pool's own maps"),
        }
    }

    fn id(&self, txid: &Txid) -> Option<usize> {
        self.by_txid.get(txid).copied()
    }

    /// The transaction `txid`, if it is in the pool.
    pub fn get(&self, txid: &Txid) -> Option<Arc<Transaction>> {
        self.entry(txid).map(|e| e.tx.clone())
    }

    /// Whether `txid` is in the pool.
    pub fn contains(&self, txid: &Txid) -> bool {
        self.by_txid.contains_key(txid)
    }

    /// Whether `wtxid` is in the pool.
    pub fn contains_wtxid(&self, wtxid: &Wtxid) -> bool {
        self.by_wtxid.contains_key(wtxid)
    }

    /// The output `outpoint` names, when a pool transaction creates it (the pool's side of
    /// Core's `CCoinsViewMemPool`).
    pub fn output(&self, outpoint: &OutPoint) -> Option<bitcoin::TxOut> {
        let e = self.entry(&outpoint.txid)?;
        e.tx.output.get(outpoint.vout as usize).cloned()
    }

    /// The pool transaction spending `outpoint`, if any (`GetConflictTx`).
    pub fn spender(&self, outpoint: &OutPoint) -> Option<Txid> {
        self.next_tx.get(outpoint).map(|&i| self.at(i).txid)
    }

    /// Ids of the pool transactions `tx` spends from (`GetParents`), sorted.
    pub fn parents_of_tx(&self, tx: &Transaction) -> Vec<Txid> {
        let set: BTreeSet<[u8; 32]> = tx
            .input
            .iter()
            .filter(|i| self.contains(&i.previous_output.txid))
            .map(|i| key(&i.previous_output.txid))
            .collect();
        set.into_iter().map(Txid::from_byte_array).collect()
    }

    /// Direct parents of `txid` in the pool.
    pub fn parents(&self, txid: &Txid) -> Vec<Txid> {
        match self.id(txid) {
            Some(i) => self
                .at(i)
                .parents
                .iter()
                .map(|&p| self.at(p).txid)
                .collect(),
            None => Vec::new(),
        }
    }

    /// Direct children of `txid` in the pool, sorted by id.
    pub fn children(&self, txid: &Txid) -> Vec<Txid> {
        match self.id(txid) {
            Some(i) => {
                let mut c: Vec<Txid> = self
                    .at(i)
                    .children
                    .iter()
                    .map(|&p| self.at(p).txid)
                    .collect();
                c.sort_by_key(key);
                c
            }
            None => Vec::new(),
        }
    }

    fn closure(&self, start: &[usize], up: bool) -> Vec<usize> {
        let mut seen: HashSet<usize> = start.iter().copied().collect();
        let mut stack: Vec<usize> = start.to_vec();
        let mut out = start.to_vec();
        while let Some(i) = stack.pop() {
            let next = if up {
                &self.at(i).parents
            } else {
                &self.at(i).children
            };
            for &n in next {
                if seen.insert(n) {
                    out.push(n);
                    stack.push(n);
                }
            }
        }
        out
    }

    /// `txid` and its in-pool ancestors (`up`) or descendants.
    fn relatives(&self, txid: &Txid, up: bool) -> Vec<Txid> {
        match self.id(txid) {
            Some(i) => self
                .closure(&[i], up)
                .into_iter()
                .map(|j| self.at(j).txid)
                .collect(),
            None => Vec::new(),
        }
    }

    /// `txid` and its in-pool ancestors.
    pub fn ancestors(&self, txid: &Txid) -> Vec<Txid> {
        self.relatives(txid, true)
    }

    /// `txid` and its in-pool descendants.
    pub fn descendants(&self, txid: &Txid) -> Vec<Txid> {
        self.relatives(txid, false)
    }

    /// Count, vsize and modified fees of `txid` with its ancestors (`CalculateAncestorData`).
    pub fn ancestor_data(&self, txid: &Txid) -> (usize, i64, i64) {
        self.sum_over(self.ancestors(txid))
    }

    /// Count, vsize and modified fees of `txid` with its descendants.
    pub fn descendant_data(&self, txid: &Txid) -> (usize, i64, i64) {
        self.sum_over(self.descendants(txid))
    }

    fn sum_over(&self, txids: Vec<Txid>) -> (usize, i64, i64) {
        let mut size = 0;
        let mut fee = 0;
        for t in &txids {
            if let Some(e) = self.entry(t) {
                size += e.vsize;
                fee += e.modified_fee;
            }
        }
        (txids.len(), size, fee)
    }

    /// The transactions in `txid`'s cluster, in linearization order.
    pub fn cluster_of(&self, txid: &Txid) -> Vec<Txid> {
        match self.id(txid) {
            Some(i) => self
                .cluster(self.at(i).cluster)
                .order
                .iter()
                .map(|&j| self.at(j).txid)
                .collect(),
            None => Vec::new(),
        }
    }

    /// The chunk `txid` is mined with: modified fee and adjusted weight
    /// (`GetMainChunkFeerate`).
    pub fn chunk_feerate(&self, txid: &Txid) -> Option<FeeFrac> {
        let i = self.id(txid)?;
        let e = self.at(i);
        Some(self.cluster(e.cluster).chunks[e.chunk].feerate)
    }

    /// Number of distinct clusters holding `txids` (`GetUniqueClusterCount`).
    pub fn unique_cluster_count(&self, txids: &[Txid]) -> usize {
        txids
            .iter()
            .filter_map(|t| self.id(t))
            .map(|i| self.at(i).cluster)
            .collect::<HashSet<_>>()
            .len()
    }

    fn cluster(&self, c: usize) -> &Cluster {
        match self.clusters.get(c).and_then(|c| c.as_ref()) {
            Some(c) => c,
            None => unreachable!("cluster ids come from live entries"),
        }
    }

    /// Every transaction, best to mine first (`entryAll`, by `CompareMainOrder`).
    pub fn mining_order(&self) -> Vec<Txid> {
        self.ordered_chunks()
            .into_iter()
            .flat_map(|(c, k)| {
                let cl = self.cluster(c);
                let ch = cl.chunks[k];
                cl.order[ch.start..ch.start + ch.len].to_vec()
            })
            .map(|i| self.at(i).txid)
            .collect()
    }

    /// Every chunk as (cluster, chunk index), in mining order.
    fn ordered_chunks(&self) -> Vec<(usize, usize)> {
        let mut all: Vec<ChunkKey> = Vec::new();
        for (c, cl) in self.clusters.iter().enumerate() {
            let Some(cl) = cl else { continue };
            let mut prefix = 0i64;
            for (k, ch) in cl.chunks.iter().enumerate() {
                if k > 0 && ch.feerate.cmp_rate(&cl.chunks[k - 1].feerate) == Ordering::Equal {
                    prefix += cl.chunks[k - 1].feerate.size;
                } else {
                    prefix = 0;
                }
                let max_key = cl.order[ch.start..ch.start + ch.len]
                    .iter()
                    .map(|&i| key(&self.at(i).txid))
                    .max()
                    .unwrap_or_default();
                all.push(ChunkKey {
                    feerate: ch.feerate,
                    prefix,
                    max_key,
                    cluster: c,
                    index: k,
                });
            }
        }
        all.sort_by(|a, b| {
            b.feerate
                .cmp_rate(&a.feerate)
                .then(a.prefix.cmp(&b.prefix))
                .then(a.max_key.cmp(&b.max_key))
                .then(a.index.cmp(&b.index))
        });
        all.into_iter().map(|k| (k.cluster, k.index)).collect()
    }

    /// The chunks in mining order, each as its transactions and feerate (modified fee over
    /// adjusted weight), for block building.
    pub fn chunks_for_mining(&self) -> impl Iterator<Item = MiningChunk<'_>> + '_ {
        self.ordered_chunks().into_iter().map(move |(c, k)| {
            let cl = self.cluster(c);
            let ch = cl.chunks[k];
            MiningChunk {
                cluster: c,
                txs: cl.order[ch.start..ch.start + ch.len]
                    .iter()
                    .map(|&i| self.at(i))
                    .collect(),
                feerate: ch.feerate,
            }
        })
    }

    /// The cumulative feerate diagram of the whole pool (`GetFeerateDiagram`).
    pub fn feerate_diagram(&self) -> Vec<FeeFrac> {
        let mut out = vec![FeeFrac::default()];
        for (c, k) in self.ordered_chunks() {
            let f = self.cluster(c).chunks[k].feerate;
            let last = out[out.len() - 1];
            out.push(last + f);
        }
        out
    }

    // ----- prioritisation -----

    /// Adds `delta` to `txid`'s fee for mining and acceptance (`PrioritiseTransaction`);
    /// returns the line Core logs.
    pub fn prioritise(&mut self, txid: Txid, delta: i64) -> String {
        let k = key(&txid);
        let total = {
            let slot = self.deltas.entry(k).or_insert((txid, 0));
            slot.1 = slot.1.saturating_add(delta);
            slot.1
        };
        let in_pool = self.id(&txid);
        if let Some(i) = in_pool {
            let e = self.at_mut(i);
            e.modified_fee = e.modified_fee.saturating_add(delta);
            let c = e.cluster;
            self.relinearize(c);
            self.transactions_updated += 1;
        }
        let not = if in_pool.is_some() { "" } else { "not " };
        if total == 0 {
            self.deltas.remove(&k);
            format!("PrioritiseTransaction: {txid} ({not}in mempool) delta cleared")
        } else {
            format!(
                "PrioritiseTransaction: {txid} ({not}in mempool) fee += {}, new delta={}",
                consensus::tx::format_money(delta),
                consensus::tx::format_money(total)
            )
        }
    }

    /// The fee delta set for `txid`.
    pub fn delta(&self, txid: &Txid) -> i64 {
        self.deltas.get(&key(txid)).map(|d| d.1).unwrap_or(0)
    }

    /// Every prioritisation: txid, delta, and the modified fee when in the pool.
    pub fn prioritised(&self) -> Vec<(Txid, i64, Option<i64>)> {
        self.deltas
            .values()
            .map(|(t, d)| (*t, *d, self.entry(t).map(|e| e.modified_fee)))
            .collect()
    }

    fn clear_prioritisation(&mut self, txid: &Txid) {
        self.deltas.remove(&key(txid));
    }

    // ----- unbroadcast -----

    /// Marks `txid` as not yet announced to a peer.
    pub fn add_unbroadcast(&mut self, txid: Txid) {
        if self.contains(&txid) {
            self.unbroadcast.insert(txid);
        }
    }

    /// Forgets `txid` as unbroadcast.
    pub fn remove_unbroadcast(&mut self, txid: &Txid) {
        if self.unbroadcast.remove(txid) {
            common::log_debug!(
                common::logging::Category::Mempool,
                "Removed {} from set of unbroadcast txns",
                txid
            );
        }
    }

    /// Whether `txid` was never announced.
    pub fn is_unbroadcast(&self, txid: &Txid) -> bool {
        self.unbroadcast.contains(txid)
    }

    /// The unbroadcast set.
    pub fn unbroadcast(&self) -> Vec<Txid> {
        self.unbroadcast.iter().copied().collect()
    }

    // ----- adding -----

    /// The sigop-adjusted weight and virtual size of a new entry.
    pub fn sizes(&self, tx: &Transaction, sigop_cost: i64) -> (i64, i64) {
        let w = tx.weight().to_wu() as i64;
        let adjusted =
            crate::policy::sigops_adjusted_weight(w, sigop_cost, self.options.bytes_per_sigop);
        (
            adjusted,
            crate::policy::virtual_size(w, sigop_cost, self.options.bytes_per_sigop),
        )
    }

    /// Adds `new` (whose inputs are in the pool or the UTXO set) and records the event.
    /// Transactions already in the pool that spend its outputs (after a reorganisation)
    /// become its children. Returns the ids removed to keep its cluster within limits.
    pub fn add(&mut self, new: NewEntry, info: AddedInfo) -> Vec<Txid> {
        let (txid, wtxid) = (new.txid, new.wtxid);
        debug_assert_eq!(txid, new.tx.compute_txid());
        let weight = new.tx.weight().to_wu() as i64;
        let (adjusted_weight, vsize) = self.sizes(&new.tx, new.sigop_cost);
        let delta = self.delta(&txid);
        let entry = Entry {
            txid,
            wtxid,
            fee: new.fee,
            modified_fee: new.fee.saturating_add(delta),
            weight,
            adjusted_weight,
            vsize,
            sigop_cost: new.sigop_cost,
            time: new.time,
            height: new.height,
            entry_sequence: new.entry_sequence,
            spends_coinbase: new.spends_coinbase,
            usage: usage::entry_usage(&new.tx),
            parents: Vec::new(),
            children: Vec::new(),
            cluster: usize::MAX,
            lin_pos: 0,
            chunk: 0,
            tx: new.tx,
        };
        let id = match self.free.pop() {
            Some(i) => i,
            None => {
                self.entries.push(None);
                self.entries.len() - 1
            }
        };
        let mut parents: Vec<usize> = entry
            .tx
            .input
            .iter()
            .filter_map(|i| self.id(&i.previous_output.txid))
            .collect();
        parents.sort_unstable();
        parents.dedup();
        let mut children: Vec<usize> = (0..entry.tx.output.len() as u32)
            .filter_map(|vout| self.next_tx.get(&OutPoint { txid, vout }).copied())
            .collect();
        children.sort_unstable();
        children.dedup();
        for input in &entry.tx.input {
            self.next_tx.insert(input.previous_output, id);
        }
        self.total_vsize += entry.vsize;
        self.total_fee += entry.fee;
        self.inner_usage += entry.usage;
        self.by_txid.insert(txid, id);
        self.by_wtxid.insert(wtxid, id);
        self.by_time.insert((entry.time, id));
        let (tx, fee, height) = (entry.tx.clone(), entry.fee, entry.height);
        self.entries[id] = Some(entry);
        for &p in &parents {
            self.at_mut(p).children.push(id);
        }
        for &c in &children {
            self.at_mut(c).parents.push(id);
        }
        self.at_mut(id).parents = parents.clone();
        self.at_mut(id).children = children.clone();
        // One cluster for the new transaction and everything it links.
        let mut merged: Vec<usize> = vec![id];
        let mut old: BTreeSet<usize> = BTreeSet::new();
        for &n in parents.iter().chain(children.iter()) {
            old.insert(self.at(n).cluster);
        }
        for c in &old {
            if let Some(cl) = self.clusters[*c].take() {
                merged.extend(cl.order);
                self.free_clusters.push(*c);
            }
        }
        let c = self.new_cluster(merged);
        let weight: i64 = self
            .cluster(c)
            .order
            .iter()
            .map(|&i| self.at(i).adjusted_weight)
            .sum();
        let oversized = self.cluster(c).order.len() as i64 > self.options.cluster_count
            || weight > self.options.cluster_size_vbytes * 4;
        // An oversized cluster (only after a reorganisation) is trimmed before it is
        // linearized; trimming relinearizes what remains.
        if !oversized {
            self.relinearize(c);
        }
        self.transactions_updated += 1;
        let sequence = self.next_sequence();
        self.events.push(PoolEvent::Added {
            tx,
            fee,
            vsize,
            height,
            info,
            has_no_mempool_parents: parents.is_empty(),
            sequence,
        });
        self.enforce_cluster_limits(c)
    }

    fn new_cluster(&mut self, members: Vec<usize>) -> usize {
        let cl = Cluster {
            order: members,
            chunks: Vec::new(),
        };
        let c = match self.free_clusters.pop() {
            Some(c) => {
                self.clusters[c] = Some(cl);
                c
            }
            None => {
                self.clusters.push(Some(cl));
                self.clusters.len() - 1
            }
        };
        let members = self.cluster(c).order.clone();
        for i in members {
            self.at_mut(i).cluster = c;
        }
        c
    }

    /// Linearizes cluster `c` afresh and records each member's place.
    fn relinearize(&mut self, c: usize) {
        let members = self.cluster(c).order.clone();
        let (graph, _) = self.dep_graph(&members);
        let lin = linearize(&graph);
        let order: Vec<usize> = lin.order.iter().map(|&k| members[k]).collect();
        for (k, ch) in lin.chunks.iter().enumerate() {
            for (pos, &i) in order.iter().enumerate().skip(ch.start).take(ch.len) {
                let e = self.at_mut(i);
                e.lin_pos = pos;
                e.chunk = k;
            }
        }
        if let Some(cl) = self.clusters[c].as_mut() {
            cl.order = order;
            cl.chunks = lin.chunks;
        }
    }

    fn dep_graph(&self, members: &[usize]) -> (DepGraph, HashMap<usize, usize>) {
        let pos: HashMap<usize, usize> = members.iter().enumerate().map(|(k, &i)| (i, k)).collect();
        let mut g = DepGraph::default();
        for &i in members {
            let e = self.at(i);
            g.feerate
                .push(FeeFrac::new(e.modified_fee, e.adjusted_weight));
            g.parents.push(
                e.parents
                    .iter()
                    .filter_map(|p| pos.get(p).copied())
                    .collect(),
            );
            g.key.push(key(&e.txid));
        }
        (g, pos)
    }

    /// Trims cluster `c` to the count and size limits by evicting its worst chunks (Core's
    /// `TxGraph::Trim`, reached after a reorganisation returns transactions).
    fn enforce_cluster_limits(&mut self, c: usize) -> Vec<Txid> {
        let Some(cl) = self.clusters.get(c).and_then(|x| x.as_ref()) else {
            return Vec::new();
        };
        let max_weight = self.options.cluster_size_vbytes * 4;
        let weight: i64 = cl.order.iter().map(|&i| self.at(i).adjusted_weight).sum();
        if cl.order.len() as i64 <= self.options.cluster_count && weight <= max_weight {
            return Vec::new();
        }
        // Keep the longest prefix of a topological order that fits, older entries first
        // (transactions returned by a reorganisation count as oldest); the rest is a
        // descendant-closed suffix and leaves. This is cheap, unlike linearizing a cluster
        // of unbounded size.
        let members = cl.order.clone();
        let inside: HashSet<usize> = members.iter().copied().collect();
        let mut waiting: HashMap<usize, usize> = members
            .iter()
            .map(|&i| {
                let n = self
                    .at(i)
                    .parents
                    .iter()
                    .filter(|p| inside.contains(p))
                    .count();
                (i, n)
            })
            .collect();
        let mut ready: BTreeSet<(u64, [u8; 32], usize)> = members
            .iter()
            .filter(|i| waiting.get(i) == Some(&0))
            .map(|&i| (self.at(i).entry_sequence, key(&self.at(i).txid), i))
            .collect();
        let (mut count, mut kept_weight) = (0i64, 0i64);
        let mut keep: HashSet<usize> = HashSet::new();
        while let Some(first) = ready.iter().next().copied() {
            ready.remove(&first);
            let i = first.2;
            let w = self.at(i).adjusted_weight;
            if count + 1 > self.options.cluster_count || kept_weight + w > max_weight {
                continue;
            }
            count += 1;
            kept_weight += w;
            keep.insert(i);
            for &ch in &self.at(i).children {
                if let Some(n) = waiting.get_mut(&ch) {
                    *n -= 1;
                    if *n == 0 {
                        ready.insert((self.at(ch).entry_sequence, key(&self.at(ch).txid), ch));
                    }
                }
            }
        }
        let victims: Vec<usize> = members.into_iter().filter(|i| !keep.contains(i)).collect();
        if victims.is_empty() {
            self.relinearize(c);
            return Vec::new();
        }
        let removed = victims.iter().map(|&v| self.at(v).txid).collect();
        self.remove_ids(&victims, RemovalReason::SizeLimit);
        removed
    }

    // ----- removing -----

    fn remove_ids(&mut self, ids: &[usize], reason: RemovalReason) {
        let set: HashSet<usize> = ids.iter().copied().collect();
        let mut touched: BTreeSet<usize> = BTreeSet::new();
        for &i in ids {
            let Some(e) = self.entries.get_mut(i).and_then(|e| e.take()) else {
                continue;
            };
            let sequence = self.next_sequence();
            if reason != RemovalReason::Block {
                self.events.push(PoolEvent::Removed {
                    tx: e.tx.clone(),
                    reason,
                    sequence,
                });
            }
            for input in &e.tx.input {
                self.next_tx.remove(&input.previous_output);
            }
            if self.unbroadcast.remove(&e.txid) {
                common::log_debug!(
                    common::logging::Category::Mempool,
                    "Removed {} from set of unbroadcast txns before confirmation that txn was sent out",
                    e.txid
                );
            }
            self.by_txid.remove(&e.txid);
            self.by_wtxid.remove(&e.wtxid);
            self.by_time.remove(&(e.time, i));
            self.total_vsize -= e.vsize;
            self.total_fee -= e.fee;
            self.inner_usage -= e.usage;
            self.transactions_updated += 1;
            for &p in &e.parents {
                if let Some(pe) = self.entries[p].as_mut() {
                    pe.children.retain(|&x| x != i);
                }
            }
            for &ch in &e.children {
                if let Some(ce) = self.entries[ch].as_mut() {
                    ce.parents.retain(|&x| x != i);
                }
            }
            touched.insert(e.cluster);
            self.free.push(i);
        }
        for c in touched {
            let Some(cl) = self.clusters[c].take() else {
                continue;
            };
            self.free_clusters.push(c);
            let left: Vec<usize> = cl.order.into_iter().filter(|i| !set.contains(i)).collect();
            for comp in self.components(&left) {
                let nc = self.new_cluster(comp);
                self.relinearize(nc);
            }
        }
    }

    /// Splits `members` into connected groups.
    fn components(&self, members: &[usize]) -> Vec<Vec<usize>> {
        let inside: HashSet<usize> = members.iter().copied().collect();
        let mut seen: HashSet<usize> = HashSet::new();
        let mut out = Vec::new();
        for &m in members {
            if !seen.insert(m) {
                continue;
            }
            let mut comp = vec![m];
            let mut stack = vec![m];
            while let Some(i) = stack.pop() {
                let e = self.at(i);
                for &n in e.parents.iter().chain(e.children.iter()) {
                    if inside.contains(&n) && seen.insert(n) {
                        comp.push(n);
                        stack.push(n);
                    }
                }
            }
            out.push(comp);
        }
        out
    }

    /// Removes `txids` and their descendants (`removeRecursive` over a set).
    pub fn remove_with_descendants(&mut self, txids: &[Txid], reason: RemovalReason) -> Vec<Txid> {
        let start: Vec<usize> = txids.iter().filter_map(|t| self.id(t)).collect();
        let all = self.closure(&start, false);
        let out = all.iter().map(|&i| self.at(i).txid).collect();
        self.remove_ids(&all, reason);
        out
    }

    /// Removes `tx` with its descendants if it is in the pool, else the pool transactions
    /// spending its outputs with theirs (`removeRecursive`).
    pub fn remove_recursive(&mut self, tx: &Transaction, reason: RemovalReason) {
        let txid = tx.compute_txid();
        let start: Vec<usize> = match self.id(&txid) {
            Some(i) => vec![i],
            None => (0..tx.output.len() as u32)
                .filter_map(|vout| self.next_tx.get(&OutPoint { txid, vout }).copied())
                .collect(),
        };
        let all = self.closure(&start, false);
        self.remove_ids(&all, reason);
    }

    /// Removes a replaced set (the replacements' conflicts with their descendants).
    pub fn remove_replaced(&mut self, txids: &[Txid]) {
        let ids: Vec<usize> = txids.iter().filter_map(|t| self.id(t)).collect();
        self.remove_ids(&ids, RemovalReason::Replaced);
    }

    /// Takes a connected block's transactions out (`removeForBlock`): those in the pool
    /// leave as confirmed, those spending the same outputs as conflicts, with their
    /// descendants. Returns the confirmed transactions (also in the `Confirmed` event).
    pub fn remove_for_block(
        &mut self,
        block: &bitcoin::Block,
        height: u32,
        now: i64,
    ) -> Vec<ConfirmedTx> {
        let mut confirmed = Vec::new();
        if !self.by_txid.is_empty() || !self.deltas.is_empty() {
            for tx in &block.txdata {
                let txid = tx.compute_txid();
                if let Some(i) = self.id(&txid) {
                    let e = self.at(i);
                    confirmed.push(ConfirmedTx {
                        txid: e.txid,
                        fee: e.fee,
                        vsize: e.vsize,
                        entry_height: e.height,
                        weight: e.weight,
                    });
                    self.remove_ids(&[i], RemovalReason::Block);
                }
                for input in &tx.input {
                    if let Some(&c) = self.next_tx.get(&input.previous_output) {
                        let ctxid = self.at(c).txid;
                        if ctxid != txid {
                            self.clear_prioritisation(&ctxid);
                            let all = self.closure(&[c], false);
                            self.remove_ids(&all, RemovalReason::Conflict);
                        }
                    }
                }
                self.clear_prioritisation(&txid);
            }
        }
        let weight_without_coinbase = block
            .txdata
            .iter()
            .skip(1)
            .map(|t| t.weight().to_wu())
            .sum();
        self.events.push(PoolEvent::Confirmed {
            height,
            hash: block.block_hash(),
            weight_without_coinbase,
            removed: confirmed.clone(),
        });
        self.last_rolling_update = now;
        self.block_since_bump = true;
        confirmed
    }

    /// Removes transactions older than `cutoff` with their descendants (`Expire`);
    /// returns how many left.
    pub fn expire(&mut self, cutoff: i64) -> usize {
        let old: Vec<usize> = self.by_time.range(..(cutoff, 0)).map(|&(_, i)| i).collect();
        let all = self.closure(&old, false);
        let n = all.len();
        self.remove_ids(&all, RemovalReason::Expiry);
        n
    }

    /// The lowest feerate the pool accepts now (`GetMinFee`), decaying since the last
    /// eviction once a block has arrived.
    pub fn min_fee(&mut self, now: i64) -> FeeRate {
        let limit = self.options.max_size_bytes.max(0) as usize;
        if !self.block_since_bump || self.rolling_min_fee == 0.0 {
            return FeeRate::per_kvb(self.rolling_min_fee.round() as i64);
        }
        if now > self.last_rolling_update + 10 {
            let mut halflife = ROLLING_FEE_HALFLIFE;
            let usage = self.dynamic_usage();
            if usage < limit / 4 {
                halflife /= 4.0;
            } else if usage < limit / 2 {
                halflife /= 2.0;
            }
            self.rolling_min_fee /= 2f64.powf((now - self.last_rolling_update) as f64 / halflife);
            self.last_rolling_update = now;
            if self.rolling_min_fee < self.options.incremental_relay_feerate as f64 / 2.0 {
                self.rolling_min_fee = 0.0;
                return FeeRate::per_kvb(0);
            }
        }
        FeeRate::per_kvb(self.rolling_min_fee.round() as i64)
            .max(FeeRate::per_kvb(self.options.incremental_relay_feerate))
    }

    /// Evicts the worst chunks until the pool fits `limit` bytes (`TrimToSize`); returns
    /// the highest removed feerate, if any, for the log.
    pub fn trim_to_size(&mut self, limit: usize) -> Option<(usize, FeeRate)> {
        let mut removed_count = 0;
        let mut max_removed: Option<FeeRate> = None;
        if self.by_txid.is_empty() || self.dynamic_usage() <= limit {
            return None;
        }
        // The order is taken once: the worst chunk is always the last of its cluster, so
        // removing it leaves the chunks before it, and their order, as they were; later
        // chunks of a cluster go before earlier ones, so descendants leave first.
        let worst_first: Vec<(Vec<Txid>, FeeFrac)> = self
            .ordered_chunks()
            .into_iter()
            .rev()
            .map(|(c, k)| {
                let cl = self.cluster(c);
                let ch = cl.chunks[k];
                let ids = cl.order[ch.start..ch.start + ch.len]
                    .iter()
                    .map(|&i| self.at(i).txid)
                    .collect();
                (ids, ch.feerate)
            })
            .collect();
        for (txids, feerate) in worst_first {
            if self.by_txid.is_empty() || self.dynamic_usage() <= limit {
                break;
            }
            let ids: Vec<usize> = txids.iter().filter_map(|t| self.id(t)).collect();
            if ids.is_empty() {
                continue;
            }
            let per_vsize = feerate.per_vsize();
            let vsize_rate = FeeRate::from_fee(per_vsize.fee, per_vsize.size);
            let removed =
                FeeRate::per_kvb(vsize_rate.sat_per_kvb() + self.options.incremental_relay_feerate);
            if removed.sat_per_kvb() as f64 > self.rolling_min_fee {
                self.rolling_min_fee = removed.sat_per_kvb() as f64;
                self.block_since_bump = false;
            }
            max_removed = Some(max_removed.map_or(removed, |m| m.max(removed)));
            removed_count += ids.len();
            let all = self.closure(&ids, false);
            self.remove_ids(&all, RemovalReason::SizeLimit);
        }
        max_removed
            .filter(|r| r.sat_per_kvb() > 0)
            .map(|r| (removed_count, r))
    }

    /// Removes transactions `invalid` says can no longer be mined after a reorganisation,
    /// with their descendants (`removeForReorg`).
    pub fn remove_for_reorg(&mut self, invalid: impl Fn(&Mempool, &Entry) -> bool) -> Vec<Txid> {
        let bad: Vec<usize> = self
            .by_txid
            .values()
            .copied()
            .filter(|&i| invalid(self, self.at(i)))
            .collect();
        let all = self.closure(&bad, false);
        let out = all.iter().map(|&i| self.at(i).txid).collect();
        self.remove_ids(&all, RemovalReason::Reorg);
        out
    }

    /// Every entry, in no particular order.
    pub fn entries(&self) -> impl Iterator<Item = &Entry> {
        self.entries.iter().flatten()
    }

    /// Checks the pool's internal consistency (the structural part of Core's
    /// `CTxMemPool::check`): indexes, links, spent outputs, clusters and their chunks, and
    /// the running totals. `Err` names the first broken invariant.
    pub fn check(&self) -> Result<(), String> {
        let live: Vec<usize> = (0..self.entries.len())
            .filter(|&i| self.entries[i].is_some())
            .collect();
        if live.len() != self.by_txid.len() || live.len() != self.by_wtxid.len() {
            return Err("index sizes differ from the entries".into());
        }
        let (mut vsize, mut fee, mut usage, mut inputs) = (0i64, 0i64, 0usize, 0usize);
        for &i in &live {
            let e = self.at(i);
            if self.by_txid.get(&e.txid) != Some(&i) || self.by_wtxid.get(&e.wtxid) != Some(&i) {
                return Err(format!("{} is not indexed under its ids", e.txid));
            }
            if !self.by_time.contains(&(e.time, i)) {
                return Err(format!("{} is missing from the time index", e.txid));
            }
            vsize += e.vsize;
            fee += e.fee;
            usage += e.usage;
            inputs += e.tx.input.len();
            let mut parents: Vec<usize> = Vec::new();
            for input in &e.tx.input {
                if self.next_tx.get(&input.previous_output) != Some(&i) {
                    return Err(format!("{} does not own its spent output", e.txid));
                }
                if let Some(p) = self.id(&input.previous_output.txid) {
                    if self.at(p).tx.output.len() <= input.previous_output.vout as usize {
                        return Err(format!("{} spends a missing pool output", e.txid));
                    }
                    parents.push(p);
                }
            }
            parents.sort_unstable();
            parents.dedup();
            let mut stored = e.parents.clone();
            stored.sort_unstable();
            if stored != parents {
                return Err(format!("{} has wrong parent links", e.txid));
            }
            for &p in &parents {
                if !self.at(p).children.contains(&i) {
                    return Err(format!("{} is not its parent's child", e.txid));
                }
            }
            for &c in &e.children {
                if !self
                    .entries
                    .get(c)
                    .is_some_and(|x| x.as_ref().is_some_and(|x| x.parents.contains(&i)))
                {
                    return Err(format!("{} has a child that does not name it", e.txid));
                }
            }
        }
        if inputs != self.next_tx.len() || self.by_time.len() != live.len() {
            return Err("spent-output or time index size differs".into());
        }
        if vsize != self.total_vsize || fee != self.total_fee || usage != self.inner_usage {
            return Err("running totals differ from the entries".into());
        }
        let mut seen: HashSet<usize> = HashSet::new();
        for (c, cl) in self.clusters.iter().enumerate() {
            let Some(cl) = cl else { continue };
            if cl.order.is_empty() {
                return Err(format!("cluster {c} is empty"));
            }
            let members: HashSet<usize> = cl.order.iter().copied().collect();
            if self.components(&cl.order).len() != 1 {
                return Err(format!("cluster {c} is not connected"));
            }
            let mut placed: HashSet<usize> = HashSet::new();
            for (pos, &i) in cl.order.iter().enumerate() {
                let e = self.at(i);
                if e.cluster != c || e.lin_pos != pos {
                    return Err(format!("{} has a wrong cluster position", e.txid));
                }
                if e.parents
                    .iter()
                    .chain(e.children.iter())
                    .any(|n| !members.contains(n))
                {
                    return Err(format!("{} links outside its cluster", e.txid));
                }
                if e.parents.iter().any(|p| !placed.contains(p)) {
                    return Err(format!("{} comes before a parent", e.txid));
                }
                placed.insert(i);
                if !seen.insert(i) {
                    return Err(format!("{} is in two clusters", e.txid));
                }
            }
            let mut next = 0;
            for (k, ch) in cl.chunks.iter().enumerate() {
                if ch.start != next || ch.len == 0 {
                    return Err(format!("cluster {c} has chunks that do not tile it"));
                }
                next += ch.len;
                let mut sum = FeeFrac::default();
                for &i in &cl.order[ch.start..ch.start + ch.len] {
                    let e = self.at(i);
                    if e.chunk != k {
                        return Err(format!("{} has a wrong chunk", e.txid));
                    }
                    sum += FeeFrac::new(e.modified_fee, e.adjusted_weight);
                }
                if sum != ch.feerate {
                    return Err(format!("cluster {c} chunk {k} has a wrong feerate"));
                }
                if k > 0 && ch.feerate.cmp_rate(&cl.chunks[k - 1].feerate) == Ordering::Greater {
                    return Err(format!(
                        "cluster {c} chunk {k} pays more than the one before"
                    ));
                }
            }
            if next != cl.order.len() {
                return Err(format!("cluster {c} has chunks that do not tile it"));
            }
        }
        if seen.len() != live.len() {
            return Err("an entry is in no cluster".into());
        }
        Ok(())
    }

    // ----- staging (what-if for acceptance and replacement) -----

    /// The clusters the pool would have if `new` transactions were added and `removals`
    /// (with nothing depending on them left behind) taken out: every resulting cluster
    /// that changes, and the chunks of the clusters it replaces.
    pub fn stage(&self, new: &[StagedTx], removals: &[Txid]) -> Staging {
        let removed: HashSet<usize> = removals.iter().filter_map(|t| self.id(t)).collect();
        let mut affected: BTreeSet<usize> = BTreeSet::new();
        for &r in &removed {
            affected.insert(self.at(r).cluster);
        }
        let new_ids: HashMap<Txid, usize> =
            new.iter().enumerate().map(|(k, s)| (s.txid, k)).collect();
        for s in new {
            for p in &s.parents {
                if let Some(i) = self.id(p) {
                    if !removed.contains(&i) {
                        affected.insert(self.at(i).cluster);
                    }
                }
            }
        }
        let mut old_chunks = Vec::new();
        // Nodes: kept members of affected clusters, then the new transactions.
        let mut nodes: Vec<Node> = Vec::new();
        for &c in &affected {
            let cl = self.cluster(c);
            old_chunks.extend(cl.chunks.iter().map(|ch| ch.feerate));
            for &i in &cl.order {
                if !removed.contains(&i) {
                    nodes.push(Node::Pool(i));
                }
            }
        }
        for k in 0..new.len() {
            nodes.push(Node::New(k));
        }
        let index: HashMap<Node, usize> = nodes.iter().enumerate().map(|(k, n)| (*n, k)).collect();
        let mut g = DepGraph::default();
        for n in &nodes {
            match *n {
                Node::Pool(i) => {
                    let e = self.at(i);
                    g.feerate
                        .push(FeeFrac::new(e.modified_fee, e.adjusted_weight));
                    g.parents.push(
                        e.parents
                            .iter()
                            .filter_map(|p| index.get(&Node::Pool(*p)).copied())
                            .collect(),
                    );
                    g.key.push(key(&e.txid));
                }
                Node::New(k) => {
                    let s = &new[k];
                    g.feerate
                        .push(FeeFrac::new(s.modified_fee, s.adjusted_weight));
                    g.parents.push(
                        s.parents
                            .iter()
                            .filter_map(|p| {
                                new_ids
                                    .get(p)
                                    .map(|&j| Node::New(j))
                                    .or_else(|| self.id(p).map(Node::Pool))
                            })
                            .filter_map(|n| index.get(&n).copied())
                            .collect(),
                    );
                    g.key.push(key(&s.txid));
                }
            }
        }
        // Connected components of the staged graph.
        let n = nodes.len();
        let mut adj = vec![Vec::new(); n];
        for (i, ps) in g.parents.iter().enumerate() {
            for &p in ps {
                adj[i].push(p);
                adj[p].push(i);
            }
        }
        let mut comp = vec![usize::MAX; n];
        let mut groups: Vec<Vec<usize>> = Vec::new();
        for s in 0..n {
            if comp[s] != usize::MAX {
                continue;
            }
            let g_id = groups.len();
            let mut members = vec![s];
            comp[s] = g_id;
            let mut stack = vec![s];
            while let Some(v) = stack.pop() {
                for &w in &adj[v] {
                    if comp[w] == usize::MAX {
                        comp[w] = g_id;
                        members.push(w);
                        stack.push(w);
                    }
                }
            }
            groups.push(members);
        }
        let mut clusters = Vec::new();
        for members in groups {
            let pos: HashMap<usize, usize> =
                members.iter().enumerate().map(|(k, &v)| (v, k)).collect();
            let sub = DepGraph {
                feerate: members.iter().map(|&v| g.feerate[v]).collect(),
                parents: members
                    .iter()
                    .map(|&v| {
                        g.parents[v]
                            .iter()
                            .filter_map(|p| pos.get(p).copied())
                            .collect()
                    })
                    .collect(),
                key: members.iter().map(|&v| g.key[v]).collect(),
            };
            let count = members.len() as i64;
            let weight: i64 = sub.feerate.iter().map(|f| f.size).sum();
            clusters.push(StagedCluster {
                count,
                weight,
                graph: sub,
            });
        }
        Staging {
            old_chunks,
            clusters,
            max_count: self.options.cluster_count,
            max_weight: self.options.cluster_size_vbytes * 4,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Node {
    Pool(usize),
    New(usize),
}

struct ChunkKey {
    feerate: FeeFrac,
    prefix: i64,
    max_key: [u8; 32],
    cluster: usize,
    index: usize,
}

/// A chunk offered to the block builder.
#[derive(Debug, Clone)]
pub struct MiningChunk<'a> {
    /// The cluster it belongs to (skipping a chunk skips the rest of its cluster).
    pub cluster: usize,
    /// Its transactions, parents first.
    pub txs: Vec<&'a Entry>,
    /// Modified fee over adjusted weight.
    pub feerate: FeeFrac,
}

/// A transaction considered for the pool, for staging.
#[derive(Debug, Clone)]
pub struct StagedTx {
    /// Its id.
    pub txid: Txid,
    /// Modified fee.
    pub modified_fee: i64,
    /// Sigop-adjusted weight.
    pub adjusted_weight: i64,
    /// Ids of the transactions it spends from (in the pool or staged).
    pub parents: Vec<Txid>,
}

/// One cluster of a staged change.
#[derive(Debug, Clone)]
pub struct StagedCluster {
    /// Transactions.
    pub count: i64,
    /// Summed adjusted weight.
    pub weight: i64,
    graph: DepGraph,
}

/// The outcome of staging a change.
#[derive(Debug, Clone)]
pub struct Staging {
    old_chunks: Vec<FeeFrac>,
    clusters: Vec<StagedCluster>,
    max_count: i64,
    max_weight: i64,
}

impl Staging {
    /// Whether every changed cluster stays within the limits (`CheckMemPoolPolicyLimits`).
    pub fn within_limits(&self) -> bool {
        self.clusters
            .iter()
            .all(|c| c.count <= self.max_count && c.weight <= self.max_weight)
    }

    /// Whether the change strictly improves the feerate diagram of the clusters it touches
    /// (`ImprovesFeerateDiagram`).
    pub fn improves_diagram(&self) -> bool {
        let mut new_chunks: Vec<FeeFrac> = Vec::new();
        for c in &self.clusters {
            new_chunks.extend(linearize(&c.graph).chunks.iter().map(|ch| ch.feerate));
        }
        compare_diagrams(&new_chunks, &self.old_chunks) == Some(Ordering::Greater)
    }
}

/// Compares two chunk sets' cumulative feerate diagrams (`CompareChunks`): `Greater` if
/// `a` is nowhere below `b` and somewhere above, `Equal` if they coincide, `None` if
/// they cross.
pub fn compare_diagrams(a: &[FeeFrac], b: &[FeeFrac]) -> Option<Ordering> {
    let sort = |v: &[FeeFrac]| {
        let mut v: Vec<FeeFrac> = v.iter().copied().filter(|f| f.size > 0).collect();
        v.sort_by(|x, y| y.cmp_rate(x));
        v
    };
    let (a, b) = (sort(a), sort(b));
    let points = |v: &[FeeFrac]| {
        let mut acc = FeeFrac::default();
        let mut out = vec![acc];
        for f in v {
            acc += *f;
            out.push(acc);
        }
        out
    };
    let (pa, pb) = (points(&a), points(&b));
    // Value of diagram `p` at size `x`, as a fraction (numerator, denominator).
    let at = |p: &[FeeFrac], x: i64| -> (i128, i128) {
        for w in p.windows(2) {
            if x <= w[1].size {
                let seg = w[1] - w[0];
                let num = i128::from(w[0].fee) * i128::from(seg.size)
                    + i128::from(seg.fee) * i128::from(x - w[0].size);
                return (num, i128::from(seg.size));
            }
        }
        (i128::from(p[p.len() - 1].fee), 1)
    };
    let mut better = false;
    let mut worse = false;
    for x in pa.iter().chain(pb.iter()).map(|f| f.size) {
        let (an, ad) = at(&pa, x);
        let (bn, bd) = at(&pb, x);
        match (an * bd).cmp(&(bn * ad)) {
            Ordering::Greater => better = true,
            Ordering::Less => worse = true,
            Ordering::Equal => {}
        }
    }
    match (better, worse) {
        (true, true) => None,
        (true, false) => Some(Ordering::Greater),
        (false, true) => Some(Ordering::Less),
        (false, false) => Some(Ordering::Equal),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bitcoin::absolute::LockTime;
    use bitcoin::transaction::Version;
    use bitcoin::{Amount, ScriptBuf, Sequence, TxIn, TxOut, Witness};

    fn tx(inputs: &[(Txid, u32)], outputs: usize, tag: u8) -> Arc<Transaction> {
        Arc::new(Transaction {
            version: Version::TWO,
            lock_time: LockTime::from_consensus(u32::from(tag)),
            input: inputs
                .iter()
                .map(|&(txid, vout)| TxIn {
                    previous_output: OutPoint { txid, vout },
                    script_sig: ScriptBuf::new(),
                    sequence: Sequence::MAX,
                    witness: Witness::new(),
                })
                .collect(),
            output: (0..outputs)
                .map(|_| TxOut {
                    value: Amount::from_sat(1_000),
                    script_pubkey: ScriptBuf::from_bytes(vec![0x51]),
                })
                .collect(),
        })
    }

    fn external(n: u8) -> (Txid, u32) {
        (Txid::from_byte_array([n; 32]), 0)
    }

    fn add(pool: &mut Mempool, t: &Arc<Transaction>, fee: i64) {
        pool.add(
            NewEntry {
                tx: t.clone(),
                txid: t.compute_txid(),
                wtxid: t.compute_wtxid(),
                fee,
                sigop_cost: 0,
                time: 100,
                height: 1,
                spends_coinbase: false,
                entry_sequence: pool.sequence(),
            },
            AddedInfo::default(),
        );
        assert_eq!(pool.check(), Ok(()));
    }

    #[test]
    fn links_clusters_and_totals_stay_consistent() {
        let mut pool = Mempool::new(MempoolOptions::default());
        let a = tx(&[external(1)], 2, 1);
        let b = tx(&[(a.compute_txid(), 0)], 1, 2);
        let c = tx(&[(a.compute_txid(), 1)], 1, 3);
        let d = tx(&[external(2)], 1, 4);
        for (t, fee) in [(&a, 100), (&b, 5_000), (&c, 50), (&d, 700)] {
            add(&mut pool, t, fee);
        }
        assert_eq!(pool.cluster_of(&a.compute_txid()).len(), 3);
        // A child of two clusters merges them.
        let e = tx(&[(b.compute_txid(), 0), (d.compute_txid(), 0)], 1, 5);
        add(&mut pool, &e, 10);
        assert_eq!(pool.cluster_of(&d.compute_txid()).len(), 5);
        // The pool's best chunk is the high-paying child with its parent.
        assert_eq!(
            &pool.mining_order()[..2],
            &[a.compute_txid(), b.compute_txid()]
        );
        // Removing B (and E) splits the cluster again.
        pool.remove_with_descendants(&[b.compute_txid()], RemovalReason::Replaced);
        assert_eq!(pool.check(), Ok(()));
        assert_eq!(pool.cluster_of(&a.compute_txid()).len(), 2);
        assert_eq!(pool.cluster_of(&d.compute_txid()).len(), 1);
        pool.prioritise(c.compute_txid(), 10_000);
        assert_eq!(pool.check(), Ok(()));
        assert_eq!(pool.mining_order()[0], a.compute_txid());
        // A block confirming A leaves C alone in its own cluster.
        let block = bitcoin::Block {
            header: bitcoin::block::Header {
                version: bitcoin::block::Version::from_consensus(4),
                prev_blockhash: bitcoin::BlockHash::all_zeros(),
                merkle_root: bitcoin::TxMerkleNode::all_zeros(),
                time: 0,
                bits: bitcoin::CompactTarget::from_consensus(0),
                nonce: 0,
            },
            txdata: vec![(*tx(&[], 1, 9)).clone(), (*a).clone()],
        };
        let confirmed = pool.remove_for_block(&block, 2, 200);
        assert_eq!(confirmed.len(), 1);
        assert_eq!(pool.check(), Ok(()));
        assert_eq!(pool.size(), 2);
        pool.trim_to_size(0);
        assert_eq!(pool.check(), Ok(()));
        assert_eq!(pool.size(), 0);
    }

    #[test]
    fn a_returning_parent_adopts_children_and_trims_an_oversized_cluster() {
        let options = MempoolOptions {
            cluster_count: 4,
            ..MempoolOptions::default()
        };
        let mut pool = Mempool::new(options);
        let parent = tx(&[external(7)], 6, 1);
        // Children already in the pool (a reorganisation returns their parent later).
        let children: Vec<Arc<Transaction>> = (0..6)
            .map(|k| tx(&[(parent.compute_txid(), k)], 1, 10 + k as u8))
            .collect();
        for c in &children {
            add(&mut pool, c, 500);
        }
        assert_eq!(pool.size(), 6);
        pool.add(
            NewEntry {
                tx: parent.clone(),
                txid: parent.compute_txid(),
                wtxid: parent.compute_wtxid(),
                fee: 0,
                sigop_cost: 0,
                time: 100,
                height: 1,
                spends_coinbase: false,
                entry_sequence: 0,
            },
            AddedInfo {
                mempool_limit_bypassed: true,
                ..AddedInfo::default()
            },
        );
        assert_eq!(pool.check(), Ok(()));
        // Seven would form one cluster; four stay, the parent among them.
        assert_eq!(pool.size(), 4);
        assert!(pool.contains(&parent.compute_txid()));
        assert_eq!(pool.cluster_of(&parent.compute_txid()).len(), 4);
    }
}
