//! The orphanage (Core's `TxOrphanage`, node/txorphanage.cpp): transactions that failed
//! for missing inputs, kept while their parents are fetched.
//!
//! Each (orphan, announcer) pair is one announcement. An orphan stays while it has at
//! least one announcer. Resources are bounded globally, and the bound grows with the
//! number of peers that store orphans: every such peer has a reserved weight
//! ([`DEFAULT_RESERVED_ORPHAN_WEIGHT_PER_PEER`]) and an equal share of a fixed latency
//! budget ([`DEFAULT_MAX_ORPHANAGE_LATENCY_SCORE`]). A peer may go past its share; only
//! when the global bounds are exceeded are announcements evicted, oldest first
//! (orphans not queued for reconsideration before queued ones), from the peer that
//! uses the most of its share, so no peer can evict another peer's orphans while that
//! peer stays within its share.

use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet, BinaryHeap, HashMap, HashSet};
use std::sync::Arc;

use bitcoin::{OutPoint, Transaction, Txid, Wtxid};
use common::log_debug;
use common::logging::Category;
use net::NodeId;

use crate::rng::Rng;

/// Weight reserved for each peer storing orphans (`DEFAULT_RESERVED_ORPHAN_WEIGHT_PER_PEER`).
pub(crate) const DEFAULT_RESERVED_ORPHAN_WEIGHT_PER_PEER: i64 = 404_000;
/// The latency budget shared by all peers (`DEFAULT_MAX_ORPHANAGE_LATENCY_SCORE`).
pub(crate) const DEFAULT_MAX_ORPHANAGE_LATENCY_SCORE: u32 = 3000;
/// Orphans heavier than a standard transaction are not kept.
const MAX_STANDARD_TX_WEIGHT: i64 = mempool::policy::MAX_STANDARD_TX_WEIGHT;

/// An orphan and the peers that announced it (`OrphanInfo`), for `getorphantxs`.
#[derive(Clone, Debug)]
pub struct OrphanInfo {
    /// The transaction.
    pub tx: Arc<Transaction>,
    /// Its announcers.
    pub announcers: BTreeSet<NodeId>,
}

/// One (orphan, announcer) pair.
struct Announcement {
    tx: Arc<Transaction>,
    /// Order of entry into the orphanage.
    seq: u64,
    /// Queued for reconsideration (in the announcer's work set).
    reconsider: bool,
}

/// The weight an orphan counts for (its memory proxy).
fn usage_of(tx: &Transaction) -> i64 {
    tx.weight().to_wu() as i64
}

/// An orphan's latency score: one, plus one per ten inputs.
fn latency_of(tx: &Transaction) -> u32 {
    1 + (tx.input.len() / 10) as u32
}

/// A fraction compared by ratio, the smaller denominator winning ties (Core's
/// `FeeFrac` under `ByRatioNegSize`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Frac {
    num: i64,
    den: i64,
}

impl Frac {
    fn cmp_ratio_neg_size(&self, other: &Frac) -> Ordering {
        let a = i128::from(self.num) * i128::from(other.den);
        let b = i128::from(other.num) * i128::from(self.den);
        a.cmp(&b).then(other.den.cmp(&self.den))
    }

    /// Strictly more than one.
    fn above_one(&self) -> bool {
        self.num > self.den
    }
}

/// A peer's resource use.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct PeerUse {
    usage: i64,
    announcements: u32,
    latency: u32,
}

impl PeerUse {
    fn add(&mut self, tx: &Transaction) {
        self.usage += usage_of(tx);
        self.latency += latency_of(tx);
        self.announcements += 1;
    }

    /// True once nothing is left.
    fn subtract(&mut self, tx: &Transaction) -> bool {
        self.usage -= usage_of(tx);
        self.latency -= latency_of(tx);
        self.announcements -= 1;
        self.announcements == 0
    }

    /// The larger of its latency and weight over their allowances.
    fn dos_score(&self, max_latency: u32, max_usage: i64) -> Frac {
        let lat = Frac {
            num: i64::from(self.latency),
            den: i64::from(max_latency.max(1)),
        };
        let mem = Frac {
            num: self.usage,
            den: max_usage.max(1),
        };
        if lat.cmp_ratio_neg_size(&mem) == Ordering::Less {
            mem
        } else {
            lat
        }
    }
}

/// A peer in the eviction heap: the worst score first, the newer peer on ties.
#[derive(PartialEq, Eq)]
struct HeapPeer {
    score: Frac,
    peer: NodeId,
}

impl Ord for HeapPeer {
    fn cmp(&self, other: &Self) -> Ordering {
        self.score
            .cmp_ratio_neg_size(&other.score)
            .then(self.peer.cmp(&other.peer))
    }
}

impl PartialOrd for HeapPeer {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// The orphanage. Not synchronized: the peer logic's lock guards it.
pub(crate) struct TxOrphanage {
    seq: u64,
    /// Announcements by (wtxid, announcer).
    by_wtxid: BTreeMap<(Wtxid, NodeId), Announcement>,
    /// The same by (announcer, queued, entry order).
    by_peer: BTreeMap<(NodeId, bool, u64), Wtxid>,
    max_global_latency: u32,
    reserved_usage_per_peer: i64,
    unique_orphans: u32,
    unique_usage: i64,
    /// The sum over unique orphans of their latency score minus one.
    unique_input_scores: u32,
    /// Which orphans spend each outpoint.
    by_prevout: HashMap<OutPoint, BTreeSet<Wtxid>>,
    /// Orphans with one announcement queued for reconsideration.
    reconsiderable: HashSet<Wtxid>,
    peers: HashMap<NodeId, PeerUse>,
}

impl Default for TxOrphanage {
    fn default() -> Self {
        TxOrphanage::with_limits(
            DEFAULT_MAX_ORPHANAGE_LATENCY_SCORE,
            DEFAULT_RESERVED_ORPHAN_WEIGHT_PER_PEER,
        )
    }
}

impl TxOrphanage {
    /// An orphanage with a given latency budget and per-peer reserved weight.
    pub(crate) fn with_limits(max_global_latency: u32, reserved_usage_per_peer: i64) -> Self {
        TxOrphanage {
            seq: 0,
            by_wtxid: BTreeMap::new(),
            by_peer: BTreeMap::new(),
            max_global_latency,
            reserved_usage_per_peer,
            unique_orphans: 0,
            unique_usage: 0,
            unique_input_scores: 0,
            by_prevout: HashMap::new(),
            reconsiderable: HashSet::new(),
            peers: HashMap::new(),
        }
    }

    fn wtxid_range(wtxid: Wtxid) -> std::ops::RangeInclusive<(Wtxid, NodeId)> {
        (wtxid, NodeId::MIN)..=(wtxid, NodeId::MAX)
    }

    fn first_of(&self, wtxid: &Wtxid) -> Option<(&(Wtxid, NodeId), &Announcement)> {
        self.by_wtxid.range(Self::wtxid_range(*wtxid)).next()
    }

    /// Announcements, orphans counted once per announcer.
    #[cfg(test)]
    pub(crate) fn count_announcements(&self) -> usize {
        self.by_wtxid.len()
    }

    /// Distinct orphans.
    pub(crate) fn count_unique_orphans(&self) -> u32 {
        self.unique_orphans
    }

    /// Announcements by `peer`.
    pub(crate) fn announcements_from_peer(&self, peer: NodeId) -> u32 {
        self.peers.get(&peer).map_or(0, |p| p.announcements)
    }

    /// The latency score of `peer`'s announcements.
    #[cfg(test)]
    pub(crate) fn latency_score_from_peer(&self, peer: NodeId) -> u32 {
        self.peers.get(&peer).map_or(0, |p| p.latency)
    }

    /// The weight of the orphans `peer` announced (each counted in full for every
    /// announcer).
    #[cfg(test)]
    pub(crate) fn usage_by_peer(&self, peer: NodeId) -> i64 {
        self.peers.get(&peer).map_or(0, |p| p.usage)
    }

    /// The weight of all orphans, each counted once.
    pub(crate) fn total_usage(&self) -> i64 {
        self.unique_usage
    }

    /// The latency score of the whole orphanage: one per announcement, plus one per
    /// ten inputs of each distinct orphan.
    pub(crate) fn total_latency_score(&self) -> u32 {
        self.unique_input_scores + self.by_wtxid.len() as u32
    }

    /// Each storing peer's share of the latency budget.
    pub(crate) fn max_peer_latency_score(&self) -> u32 {
        self.max_global_latency / (self.peers.len().max(1) as u32)
    }

    /// The global weight bound: the reserve times the storing peers.
    pub(crate) fn max_global_usage(&self) -> i64 {
        self.reserved_usage_per_peer * (self.peers.len().max(1) as i64)
    }

    fn needs_trim(&self) -> bool {
        self.total_latency_score() > self.max_global_latency
            || self.total_usage() > self.max_global_usage()
    }

    /// Whether an orphan with this wtxid is kept.
    pub(crate) fn have_tx(&self, wtxid: &Wtxid) -> bool {
        self.first_of(wtxid).is_some()
    }

    /// The orphan with this wtxid.
    pub(crate) fn get_tx(&self, wtxid: &Wtxid) -> Option<Arc<Transaction>> {
        self.first_of(wtxid).map(|(_, a)| a.tx.clone())
    }

    /// Whether `peer` announced this orphan.
    pub(crate) fn have_tx_from_peer(&self, wtxid: &Wtxid, peer: NodeId) -> bool {
        self.by_wtxid.contains_key(&(*wtxid, peer))
    }

    /// Stores an orphan from `peer` (`AddTx`). True if the orphan is new; false if it
    /// was too heavy, already known (then `peer` is added as an announcer) or already
    /// announced by `peer`.
    pub(crate) fn add_tx(&mut self, tx: &Arc<Transaction>, peer: NodeId) -> bool {
        let wtxid = tx.compute_wtxid();
        let txid = tx.compute_txid();
        let weight = usage_of(tx);
        if weight > MAX_STANDARD_TX_WEIGHT {
            log_debug!(
                Category::TxPackages,
                "ignoring large orphan tx (size: {}, txid: {}, wtxid: {})",
                weight,
                txid,
                wtxid
            );
            return false;
        }
        let brand_new = !self.have_tx(&wtxid);
        if self.by_wtxid.contains_key(&(wtxid, peer)) {
            return false;
        }
        self.insert_announcement(tx.clone(), wtxid, peer);
        if brand_new {
            for input in &tx.input {
                self.by_prevout
                    .entry(input.previous_output)
                    .or_default()
                    .insert(wtxid);
            }
            self.unique_orphans += 1;
            self.unique_usage += weight;
            self.unique_input_scores += latency_of(tx) - 1;
            log_debug!(
                Category::TxPackages,
                "stored orphan tx {} (wtxid={}), weight: {} (mapsz {} outsz {})",
                txid,
                wtxid,
                weight,
                self.by_wtxid.len(),
                self.by_prevout.len()
            );
        } else {
            log_debug!(
                Category::TxPackages,
                "added peer={} as announcer of orphan tx {} (wtxid={})",
                peer,
                txid,
                wtxid
            );
        }
        self.limit_orphans();
        brand_new
    }

    /// Adds `peer` as an announcer of a kept orphan (`AddAnnouncer`). False if the
    /// orphan is unknown or `peer` already announced it.
    pub(crate) fn add_announcer(&mut self, wtxid: &Wtxid, peer: NodeId) -> bool {
        let Some(tx) = self.get_tx(wtxid) else {
            return false;
        };
        if self.by_wtxid.contains_key(&(*wtxid, peer)) {
            return false;
        }
        let txid = tx.compute_txid();
        self.insert_announcement(tx, *wtxid, peer);
        log_debug!(
            Category::TxPackages,
            "added peer={} as announcer of orphan tx {} (wtxid={})",
            peer,
            txid,
            wtxid
        );
        self.limit_orphans();
        true
    }

    fn insert_announcement(&mut self, tx: Arc<Transaction>, wtxid: Wtxid, peer: NodeId) {
        let seq = self.seq;
        self.seq += 1;
        self.peers.entry(peer).or_default().add(&tx);
        self.by_peer.insert((peer, false, seq), wtxid);
        self.by_wtxid.insert(
            (wtxid, peer),
            Announcement {
                tx,
                seq,
                reconsider: false,
            },
        );
    }

    /// Removes one announcement, and the orphan's links once it was the last.
    fn erase(&mut self, wtxid: Wtxid, peer: NodeId) {
        let Some(ann) = self.by_wtxid.remove(&(wtxid, peer)) else {
            return;
        };
        self.by_peer.remove(&(peer, ann.reconsider, ann.seq));
        if let Some(p) = self.peers.get_mut(&peer) {
            if p.subtract(&ann.tx) {
                self.peers.remove(&peer);
            }
        }
        if !self.have_tx(&wtxid) {
            self.unique_orphans -= 1;
            self.unique_input_scores -= latency_of(&ann.tx) - 1;
            self.unique_usage -= usage_of(&ann.tx);
            for input in &ann.tx.input {
                if let Some(set) = self.by_prevout.get_mut(&input.previous_output) {
                    set.remove(&wtxid);
                    if set.is_empty() {
                        self.by_prevout.remove(&input.previous_output);
                    }
                }
            }
        }
        if ann.reconsider {
            self.reconsiderable.remove(&wtxid);
        }
    }

    /// Removes every announcement of an orphan, without trimming.
    fn erase_tx_internal(&mut self, wtxid: &Wtxid) -> bool {
        let peers: Vec<NodeId> = self
            .by_wtxid
            .range(Self::wtxid_range(*wtxid))
            .map(|((_, p), _)| *p)
            .collect();
        let Some(txid) = self.get_tx(wtxid).map(|t| t.compute_txid()) else {
            return false;
        };
        for p in &peers {
            self.erase(*wtxid, *p);
        }
        log_debug!(
            Category::TxPackages,
            "removed orphan tx {} (wtxid={}) ({} announcements)",
            txid,
            wtxid,
            peers.len()
        );
        true
    }

    /// Removes an orphan with all its announcements (`EraseTx`).
    pub(crate) fn erase_tx(&mut self, wtxid: &Wtxid) -> bool {
        let r = self.erase_tx_internal(wtxid);
        self.limit_orphans();
        r
    }

    /// Drops `peer`'s announcements (`EraseForPeer`): orphans others announced stay.
    pub(crate) fn erase_for_peer(&mut self, peer: NodeId) {
        let keys: Vec<(NodeId, bool, u64)> = self
            .by_peer
            .range((peer, false, 0)..=(peer, true, u64::MAX))
            .map(|(k, _)| *k)
            .collect();
        for k in &keys {
            if let Some(w) = self.by_peer.get(k).copied() {
                self.erase(w, peer);
            }
        }
        if !keys.is_empty() {
            log_debug!(
                Category::TxPackages,
                "Erased {} orphan transaction(s) from peer={}",
                keys.len(),
                peer
            );
        }
        self.limit_orphans();
    }

    /// Drops orphans a block confirmed or conflicted (`EraseForBlock`): every orphan
    /// spending an outpoint the block spends.
    pub(crate) fn erase_for_block(&mut self, spent: &[OutPoint]) {
        if self.by_wtxid.is_empty() {
            return;
        }
        let mut doomed = BTreeSet::new();
        for op in spent {
            if let Some(set) = self.by_prevout.get(op) {
                doomed.extend(set.iter().copied());
            }
        }
        let mut erased = 0;
        for w in &doomed {
            if self.erase_tx_internal(w) {
                erased += 1;
            }
        }
        if erased != 0 {
            log_debug!(
                Category::TxPackages,
                "Erased {} orphan transaction(s) included or conflicted by block",
                erased
            );
        }
        self.limit_orphans();
    }

    /// Trims to the global bounds (`LimitOrphans`): takes the peer with the highest
    /// share of its allowance and evicts its oldest announcements until it is no
    /// longer the worst, repeating until within bounds.
    fn limit_orphans(&mut self) {
        if !self.needs_trim() {
            return;
        }
        let original_unique = self.count_unique_orphans();
        // The allowances stay fixed for the whole call.
        let max_lat = self.max_peer_latency_score();
        let max_mem = self.reserved_usage_per_peer;
        let mut heap: BinaryHeap<HeapPeer> = self
            .peers
            .iter()
            .map(|(id, u)| HeapPeer {
                score: u.dos_score(max_lat, max_mem),
                peer: *id,
            })
            .filter(|h| h.score.above_one())
            .collect();
        let mut erased_total = 0u32;
        while let Some(worst) = heap.pop() {
            let threshold = heap.peek().map_or(Frac { num: 1, den: 1 }, |h| h.score);
            let starting = self.announcements_from_peer(worst.peer);
            let mut erased_now = 0u32;
            while self.needs_trim() {
                // Oldest first, not-yet-queued ones before queued ones.
                let Some((&(_, _, _), &w)) = self
                    .by_peer
                    .range((worst.peer, false, 0)..=(worst.peer, true, u64::MAX))
                    .next()
                else {
                    break;
                };
                self.erase(w, worst.peer);
                erased_now += 1;
                erased_total += 1;
                match self.peers.get(&worst.peer) {
                    None => break,
                    Some(u) => {
                        if u.dos_score(max_lat, max_mem).cmp_ratio_neg_size(&threshold)
                            != Ordering::Greater
                        {
                            break;
                        }
                    }
                }
            }
            log_debug!(
                Category::TxPackages,
                "peer={} orphanage overflow, removed {} of {} announcements",
                worst.peer,
                erased_now,
                starting
            );
            if !self.needs_trim() {
                break;
            }
            if let Some(u) = self.peers.get(&worst.peer) {
                if u.announcements > 0 {
                    heap.push(HeapPeer {
                        score: u.dos_score(max_lat, max_mem),
                        peer: worst.peer,
                    });
                }
            }
        }
        log_debug!(
            Category::TxPackages,
            "orphanage overflow, removed {} tx ({} announcements)",
            original_unique - self.count_unique_orphans(),
            erased_total
        );
    }

    /// Queues the orphans spending the `outputs` outputs of `txid` for reconsideration
    /// (`AddChildrenToWorkSet`), each with one of its announcers picked at random.
    /// Returns the (orphan, peer) pairs queued.
    pub(crate) fn add_children_to_work_set(
        &mut self,
        txid: Txid,
        outputs: u32,
        rng: &mut Rng,
    ) -> Vec<(Wtxid, NodeId)> {
        if self.by_wtxid.is_empty() {
            return Vec::new();
        }
        let mut out = Vec::new();
        for vout in 0..outputs {
            let Some(children) = self.by_prevout.get(&OutPoint { txid, vout }) else {
                continue;
            };
            let children: Vec<Wtxid> = children.iter().copied().collect();
            for w in children {
                if self.reconsiderable.contains(&w) {
                    continue;
                }
                let announcers: Vec<NodeId> = self
                    .by_wtxid
                    .range(Self::wtxid_range(w))
                    .map(|((_, p), _)| *p)
                    .collect();
                if announcers.is_empty() {
                    continue;
                }
                let peer = announcers[(rng.next_u64() % announcers.len() as u64) as usize];
                let Some(ann) = self.by_wtxid.get_mut(&(w, peer)) else {
                    continue;
                };
                ann.reconsider = true;
                let seq = ann.seq;
                let child_txid = ann.tx.compute_txid();
                self.by_peer.remove(&(peer, false, seq));
                self.by_peer.insert((peer, true, seq), w);
                self.reconsiderable.insert(w);
                out.push((w, peer));
                log_debug!(
                    Category::TxPackages,
                    "added {} (wtxid={}) to peer {} workset",
                    child_txid,
                    w,
                    peer
                );
            }
        }
        out
    }

    /// Whether `peer` has an orphan queued for reconsideration.
    pub(crate) fn have_tx_to_reconsider(&self, peer: NodeId) -> bool {
        self.by_peer
            .range((peer, true, 0)..=(peer, true, u64::MAX))
            .next()
            .is_some()
    }

    /// Takes one of `peer`'s queued orphans (the oldest) off its work set.
    pub(crate) fn get_tx_to_reconsider(&mut self, peer: NodeId) -> Option<Arc<Transaction>> {
        let (&key, &w) = self
            .by_peer
            .range((peer, true, 0)..=(peer, true, u64::MAX))
            .next()?;
        self.by_peer.remove(&key);
        self.by_peer.insert((peer, false, key.2), w);
        self.reconsiderable.remove(&w);
        let ann = self.by_wtxid.get_mut(&(w, peer))?;
        ann.reconsider = false;
        Some(ann.tx.clone())
    }

    /// The orphans from `peer` spending `parent`, newest first (queued ones before the
    /// others) (`GetChildrenFromSamePeer`).
    pub(crate) fn children_from_same_peer(
        &self,
        parent: &Transaction,
        peer: NodeId,
    ) -> Vec<Arc<Transaction>> {
        let parent_txid: Txid = parent.compute_txid();
        self.by_peer
            .range((peer, false, 0)..=(peer, true, u64::MAX))
            .rev()
            .filter_map(|(_, w)| self.by_wtxid.get(&(*w, peer)))
            .filter(|a| {
                a.tx.input
                    .iter()
                    .any(|i| i.previous_output.txid == parent_txid)
            })
            .map(|a| a.tx.clone())
            .collect()
    }

    /// Every orphan with its announcers, by wtxid.
    pub(crate) fn orphan_transactions(&self) -> Vec<OrphanInfo> {
        let mut out: Vec<OrphanInfo> = Vec::with_capacity(self.unique_orphans as usize);
        for ((w, peer), a) in &self.by_wtxid {
            match out.last_mut() {
                Some(last) if last.tx.compute_wtxid() == *w => {
                    last.announcers.insert(*peer);
                }
                _ => out.push(OrphanInfo {
                    tx: a.tx.clone(),
                    announcers: BTreeSet::from([*peer]),
                }),
            }
        }
        out
    }

    /// Checks the cached counters against the announcements (`SanityCheck`).
    #[cfg(test)]
    pub(crate) fn sanity_check(&self) {
        let mut peers: HashMap<NodeId, PeerUse> = HashMap::new();
        let mut unique: BTreeMap<Wtxid, (i64, u32)> = BTreeMap::new();
        let mut outpoints = BTreeSet::new();
        let mut queued = HashSet::new();
        for ((w, p), a) in &self.by_wtxid {
            for i in &a.tx.input {
                outpoints.insert(i.previous_output);
            }
            unique.insert(*w, (usage_of(&a.tx), latency_of(&a.tx) - 1));
            peers.entry(*p).or_default().add(&a.tx);
            assert_eq!(self.by_peer.get(&(*p, a.reconsider, a.seq)), Some(w));
            if a.reconsider {
                assert!(queued.insert(*w), "two queued announcements of one orphan");
            }
        }
        assert_eq!(self.by_peer.len(), self.by_wtxid.len());
        assert_eq!(peers, self.peers);
        assert_eq!(queued, self.reconsiderable);
        assert_eq!(outpoints.len(), self.by_prevout.len());
        for (op, set) in &self.by_prevout {
            assert!(outpoints.contains(op));
            for w in set {
                assert!(unique.contains_key(w));
            }
        }
        assert_eq!(unique.len() as u32, self.unique_orphans);
        assert_eq!(unique.values().map(|v| v.0).sum::<i64>(), self.unique_usage);
        assert_eq!(
            unique.values().map(|v| v.1).sum::<u32>(),
            self.unique_input_scores
        );
        assert!(!self.needs_trim());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bitcoin::absolute::LockTime;
    use bitcoin::hashes::Hash;
    use bitcoin::transaction::Version;
    use bitcoin::{Amount, ScriptBuf, Sequence, TxIn, TxOut, Witness};

    /// A transaction spending `inputs`, with `outputs` outputs and `pad` bytes of
    /// witness on its first input (to control its weight).
    fn tx(inputs: &[OutPoint], outputs: usize, pad: usize) -> Arc<Transaction> {
        let mut input: Vec<TxIn> = inputs
            .iter()
            .map(|op| TxIn {
                previous_output: *op,
                script_sig: ScriptBuf::new(),
                sequence: Sequence::MAX,
                witness: Witness::new(),
            })
            .collect();
        if pad > 0 {
            input[0].witness = Witness::from_slice(&[vec![0u8; pad]]);
        }
        Arc::new(Transaction {
            version: Version::TWO,
            lock_time: LockTime::ZERO,
            input,
            output: (0..outputs)
                .map(|_| TxOut {
                    value: Amount::from_sat(1000),
                    script_pubkey: ScriptBuf::from_bytes(vec![0x51]),
                })
                .collect(),
        })
    }

    fn op(n: u8, vout: u32) -> OutPoint {
        OutPoint {
            txid: Txid::from_byte_array([n; 32]),
            vout,
        }
    }

    #[test]
    fn announcers_share_one_orphan_until_the_last_leaves() {
        let mut o = TxOrphanage::default();
        let t = tx(&[op(1, 0)], 1, 0);
        let w = t.compute_wtxid();
        assert!(o.add_tx(&t, 1));
        assert!(!o.add_tx(&t, 1), "same announcer twice");
        assert!(!o.add_tx(&t, 2), "a second announcer is not a new orphan");
        assert!(o.have_tx_from_peer(&w, 2));
        assert!(o.add_announcer(&w, 3));
        assert!(!o.add_announcer(&w, 3));
        assert!(!o.add_announcer(&Wtxid::from_byte_array([9; 32]), 3));
        assert_eq!(o.count_announcements(), 3);
        assert_eq!(o.count_unique_orphans(), 1);
        assert_eq!(o.total_usage(), usage_of(&t));
        assert_eq!(o.usage_by_peer(2), usage_of(&t));
        o.sanity_check();
        o.erase_for_peer(1);
        o.erase_for_peer(2);
        assert!(o.have_tx(&w));
        let info = o.orphan_transactions();
        assert_eq!(info.len(), 1);
        assert_eq!(info[0].announcers, BTreeSet::from([3]));
        o.erase_for_peer(3);
        assert!(!o.have_tx(&w));
        assert_eq!(o.total_usage(), 0);
        o.sanity_check();
    }

    #[test]
    fn heavy_orphans_are_not_kept() {
        let mut o = TxOrphanage::default();
        let t = tx(&[op(1, 0)], 1, 400_001);
        assert!(!o.add_tx(&t, 1));
        assert_eq!(o.count_announcements(), 0);
    }

    #[test]
    fn a_parent_queues_its_children_and_each_is_taken_once() {
        let mut o = TxOrphanage::default();
        let parent = tx(&[op(1, 0)], 2, 0);
        let ptxid = parent.compute_txid();
        let c1 = tx(
            &[OutPoint {
                txid: ptxid,
                vout: 0,
            }],
            1,
            0,
        );
        let c2 = tx(
            &[
                OutPoint {
                    txid: ptxid,
                    vout: 1,
                },
                op(2, 0),
            ],
            1,
            0,
        );
        let other = tx(&[op(3, 0)], 1, 0);
        o.add_tx(&c1, 5);
        o.add_tx(&c2, 5);
        o.add_tx(&other, 5);
        let mut rng = Rng::from_os();
        assert!(!o.have_tx_to_reconsider(5));
        let queued =
            o.add_children_to_work_set(parent.compute_txid(), parent.output.len() as u32, &mut rng);
        assert_eq!(queued.len(), 2);
        // Already queued orphans are not queued twice.
        assert!(o
            .add_children_to_work_set(parent.compute_txid(), parent.output.len() as u32, &mut rng)
            .is_empty());
        o.sanity_check();
        assert!(o.have_tx_to_reconsider(5));
        let a = o.get_tx_to_reconsider(5).expect("first");
        let b = o.get_tx_to_reconsider(5).expect("second");
        assert!(o.get_tx_to_reconsider(5).is_none());
        let mut got = [a.compute_wtxid(), b.compute_wtxid()];
        got.sort();
        let mut want = [c1.compute_wtxid(), c2.compute_wtxid()];
        want.sort();
        assert_eq!(got, want);
        // Still kept: reconsidering does not remove.
        assert_eq!(o.count_unique_orphans(), 3);
        o.sanity_check();
    }

    #[test]
    fn children_from_the_same_peer_come_newest_first() {
        let mut o = TxOrphanage::default();
        let parent = tx(&[op(1, 0)], 3, 0);
        let ptxid = parent.compute_txid();
        let c: Vec<_> = (0..3)
            .map(|v| {
                tx(
                    &[OutPoint {
                        txid: ptxid,
                        vout: v,
                    }],
                    1,
                    0,
                )
            })
            .collect();
        o.add_tx(&c[0], 1);
        o.add_tx(&c[1], 2);
        o.add_tx(&c[2], 1);
        let from1 = o.children_from_same_peer(&parent, 1);
        assert_eq!(from1.len(), 2);
        assert_eq!(from1[0].compute_wtxid(), c[2].compute_wtxid());
        assert_eq!(from1[1].compute_wtxid(), c[0].compute_wtxid());
        assert_eq!(o.children_from_same_peer(&parent, 2).len(), 1);
        assert!(o.children_from_same_peer(&parent, 3).is_empty());
    }

    #[test]
    fn a_block_removes_orphans_spending_what_it_spends() {
        let mut o = TxOrphanage::default();
        let a = tx(&[op(1, 0)], 1, 0);
        let b = tx(&[op(2, 0), op(3, 0)], 1, 0);
        o.add_tx(&a, 1);
        o.add_tx(&b, 2);
        o.erase_for_block(&[op(3, 0), op(9, 9)]);
        assert!(o.have_tx(&a.compute_wtxid()));
        assert!(!o.have_tx(&b.compute_wtxid()));
        o.sanity_check();
        assert!(o.erase_tx(&a.compute_wtxid()));
        assert!(!o.erase_tx(&a.compute_wtxid()));
        o.sanity_check();
    }

    #[test]
    fn the_latency_budget_evicts_the_spamming_peers_oldest_first() {
        // A budget of 10 announcements; reserved weight large enough not to matter.
        let mut o = TxOrphanage::with_limits(10, 10_000_000);
        let honest = tx(&[op(200, 0)], 1, 0);
        o.add_tx(&honest, 1);
        let spam: Vec<_> = (0..20u8).map(|i| tx(&[op(i, 0)], 1, 0)).collect();
        for t in &spam {
            o.add_tx(t, 2);
            o.sanity_check();
        }
        // The honest peer is within its share (10 / 2 = 5) and keeps its orphan.
        assert!(o.have_tx(&honest.compute_wtxid()));
        assert!(o.total_latency_score() <= 10);
        // The spammer keeps its newest ones.
        assert!(o.have_tx(&spam[19].compute_wtxid()));
        assert!(!o.have_tx(&spam[0].compute_wtxid()));
        assert_eq!(o.announcements_from_peer(2), 9);
    }

    #[test]
    fn many_inputs_raise_the_latency_score() {
        let mut o = TxOrphanage::default();
        let inputs: Vec<OutPoint> = (0..25u32).map(|i| op(1, i)).collect();
        let t = tx(&inputs, 1, 0);
        o.add_tx(&t, 1);
        o.add_tx(&t, 2);
        // 1 + 25/10 = 3 per announcement; the input part counted once.
        assert_eq!(o.latency_score_from_peer(1), 3);
        assert_eq!(o.total_latency_score(), 2 + 2);
        o.sanity_check();
    }

    #[test]
    fn the_weight_reserve_grows_with_the_peers() {
        // 10 units of latency would never bind; weight does.
        let mut o = TxOrphanage::with_limits(1000, 3_000);
        let heavy: Vec<_> = (0..4u8).map(|i| tx(&[op(i, 0)], 1, 1000)).collect();
        let w = usage_of(&heavy[0]);
        assert!(w * 2 < 3_000 && w * 3 > 3_000, "{w}");
        o.add_tx(&heavy[0], 1);
        o.add_tx(&heavy[1], 1);
        assert_eq!(o.count_unique_orphans(), 2);
        // A third from the same peer goes over 3,000: its oldest is evicted.
        o.add_tx(&heavy[2], 1);
        assert_eq!(o.count_unique_orphans(), 2);
        assert!(!o.have_tx(&heavy[0].compute_wtxid()));
        // A second peer doubles the bound.
        o.add_tx(&heavy[3], 2);
        assert_eq!(o.max_global_usage(), 6_000);
        assert_eq!(o.count_unique_orphans(), 3);
        o.sanity_check();
    }

    #[test]
    fn queued_orphans_are_evicted_after_unqueued_ones() {
        let mut o = TxOrphanage::with_limits(3, 10_000_000);
        let parent = tx(&[op(100, 0)], 1, 0);
        let child = tx(
            &[OutPoint {
                txid: parent.compute_txid(),
                vout: 0,
            }],
            1,
            0,
        );
        o.add_tx(&child, 1);
        let mut rng = Rng::from_os();
        o.add_children_to_work_set(parent.compute_txid(), parent.output.len() as u32, &mut rng);
        let a = tx(&[op(1, 0)], 1, 0);
        let b = tx(&[op(2, 0)], 1, 0);
        let c = tx(&[op(3, 0)], 1, 0);
        o.add_tx(&a, 1);
        o.add_tx(&b, 1);
        o.add_tx(&c, 1);
        // Over by one: the oldest unqueued goes, not the older queued child.
        assert!(o.have_tx(&child.compute_wtxid()));
        assert!(!o.have_tx(&a.compute_wtxid()));
        o.sanity_check();
    }
}
