//! Transaction download (Core's `TxDownloadManager`, node/txdownloadman_impl.cpp): the
//! request tracker, the orphanage, and the filters of recently rejected and confirmed
//! transactions, with the decisions that tie them together: what an announcement or
//! an arriving transaction means, which orphans to keep and whose parents to fetch,
//! and when a low-fee parent and its child are tried as a package.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

use bitcoin::hashes::{sha256, Hash, HashEngine};
use bitcoin::{OutPoint, Transaction, Txid, Wtxid};
use common::log_debug;
use common::logging::Category;
use mempool::accept::TxResultKind;
use mempool::Mempool;
use net::NodeId;

use crate::orphanage::{OrphanInfo, TxOrphanage};
use crate::rng::Rng;
use crate::txrelay::RecentSet;
use crate::txrequest::{GenTxid, TxRequestTracker};

/// Requests in flight per peer before it counts as overloaded (`MAX_PEER_TX_REQUEST_IN_FLIGHT`).
pub(crate) const MAX_PEER_TX_REQUEST_IN_FLIGHT: usize = 100;
/// Announcements tracked per peer (`MAX_PEER_TX_ANNOUNCEMENTS`).
pub(crate) const MAX_PEER_TX_ANNOUNCEMENTS: usize = 5000;
/// Extra delay for txid announcements while wtxid peers exist (`TXID_RELAY_DELAY`).
const TXID_RELAY_DELAY: i64 = 2_000_000;
/// Delay before asking a non-preferred peer, microseconds (`NONPREF_PEER_TX_DELAY`).
const NONPREF_PEER_TX_DELAY: i64 = 2_000_000;
/// Extra delay for a peer with many requests in flight (`OVERLOADED_PEER_TX_DELAY`).
const OVERLOADED_PEER_TX_DELAY: i64 = 2_000_000;
/// How long we wait for a requested transaction (`GETDATA_TX_INTERVAL`).
pub(crate) const GETDATA_TX_INTERVAL: i64 = 60_000_000;
/// Entries of the recent-rejects filters.
const RECENT_REJECTS_SIZE: usize = 120_000;
/// Entries of the recently-confirmed filter.
const RECENT_CONFIRMED_SIZE: usize = 48_000;

/// Per-peer facts the download logic needs (`TxDownloadConnectionInfo`).
#[derive(Clone, Copy, Debug)]
pub(crate) struct ConnectionInfo {
    /// Preferred for download (outbound or noban).
    pub preferred: bool,
    /// Has the relay permission: exempt from announcement limits.
    pub relay_permission: bool,
    /// Relays by wtxid.
    pub wtxid_relay: bool,
}

/// A parent and child to try together (`PackageToValidate`), with who sent each.
#[derive(Clone, Debug)]
pub(crate) struct PackageToValidate {
    pub txns: [Arc<Transaction>; 2],
    pub senders: [NodeId; 2],
}

impl fmt::Display for PackageToValidate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let [p, c] = &self.txns;
        write!(
            f,
            "parent {} (wtxid={}, sender={}) + child {} (wtxid={}, sender={})",
            p.compute_txid(),
            p.compute_wtxid(),
            self.senders[0],
            c.compute_txid(),
            c.compute_wtxid(),
            self.senders[1]
        )
    }
}

/// What the caller does after a rejection (`RejectedTxTodo`).
#[derive(Default)]
pub(crate) struct RejectedTxTodo {
    /// The parents of a new orphan: the sender has them.
    pub unique_parents: Vec<Txid>,
    /// A package to try.
    pub package_to_validate: Option<PackageToValidate>,
}

/// What a connected block means to transaction download: its transactions (txid,
/// wtxid, whether it has witnesses, number of outputs) and the outpoints it spends.
#[derive(Clone, Debug, Default)]
pub(crate) struct ConnectedBlock {
    pub txs: Vec<(Txid, Wtxid, bool, u32)>,
    pub spent: Vec<OutPoint>,
}

impl ConnectedBlock {
    pub(crate) fn of(block: &bitcoin::Block) -> ConnectedBlock {
        let mut c = ConnectedBlock::default();
        for tx in &block.txdata {
            let has_witness = tx.input.iter().any(|i| !i.witness.is_empty());
            c.txs.push((
                tx.compute_txid(),
                tx.compute_wtxid(),
                has_witness,
                tx.output.len() as u32,
            ));
            if !tx.is_coinbase() {
                c.spent.extend(tx.input.iter().map(|i| i.previous_output));
            }
        }
        c
    }
}

/// Core's `GetPackageHash`: SHA256 of the wtxids in ascending (numeric) order.
pub(crate) fn package_hash(txs: &[Arc<Transaction>]) -> [u8; 32] {
    let mut wtxids: Vec<[u8; 32]> = txs
        .iter()
        .map(|t| t.compute_wtxid().to_byte_array())
        .collect();
    // Numeric order of the little-endian hashes: compare from the last byte.
    wtxids.sort_by(|a, b| a.iter().rev().cmp(b.iter().rev()));
    let mut e = sha256::Hash::engine();
    for w in &wtxids {
        e.input(w);
    }
    sha256::Hash::from_engine(e).to_byte_array()
}

fn has_witness(tx: &Transaction) -> bool {
    tx.input.iter().any(|i| !i.witness.is_empty())
}

/// The distinct txids `tx` spends from, sorted.
fn unique_parents(tx: &Transaction) -> Vec<Txid> {
    let mut v: Vec<Txid> = tx.input.iter().map(|i| i.previous_output.txid).collect();
    v.sort();
    v.dedup();
    v
}

fn pool_has(pool: &Mempool, g: &GenTxid) -> bool {
    if g.wtxid {
        pool.contains_wtxid(&Wtxid::from_byte_array(g.hash))
    } else {
        pool.contains(&Txid::from_byte_array(g.hash))
    }
}

/// The transaction download manager.
pub(crate) struct TxDownloadManager {
    txrequest: TxRequestTracker,
    orphanage: TxOrphanage,
    /// Transactions rejected for good since the tip last changed (wtxids, and txids
    /// when the witness cannot matter).
    recent_rejects: RecentSet,
    /// Transactions (and packages) rejected for reasons a package might overcome.
    recent_rejects_reconsiderable: RecentSet,
    /// Recently confirmed transactions.
    recent_confirmed: RecentSet,
    peers: BTreeMap<NodeId, ConnectionInfo>,
    wtxid_peers: usize,
    rng: Rng,
}

impl TxDownloadManager {
    pub(crate) fn new() -> TxDownloadManager {
        TxDownloadManager {
            txrequest: TxRequestTracker::new(false),
            orphanage: TxOrphanage::default(),
            recent_rejects: RecentSet::new(RECENT_REJECTS_SIZE),
            recent_rejects_reconsiderable: RecentSet::new(RECENT_REJECTS_SIZE),
            recent_confirmed: RecentSet::new(RECENT_CONFIRMED_SIZE),
            peers: BTreeMap::new(),
            wtxid_peers: 0,
            rng: Rng::from_os(),
        }
    }

    /// The tip changed (out of initial download): rejections may no longer hold
    /// (`ActiveTipChange`).
    pub(crate) fn active_tip_change(&mut self) {
        self.recent_rejects.clear();
        self.recent_rejects_reconsiderable.clear();
    }

    /// A block was connected (`BlockConnected`): orphans it confirms or conflicts go,
    /// orphans spending its transactions are reconsidered, and its transactions are
    /// no longer requested.
    pub(crate) fn block_connected(&mut self, block: &ConnectedBlock) {
        self.orphanage.erase_for_block(&block.spent);
        for (txid, wtxid, witness, outputs) in &block.txs {
            self.orphanage
                .add_children_to_work_set(*txid, *outputs, &mut self.rng);
            self.recent_confirmed.insert(txid.to_byte_array());
            if *witness {
                self.recent_confirmed.insert(wtxid.to_byte_array());
            }
            self.txrequest.forget_tx_hash(&txid.to_byte_array());
            self.txrequest.forget_tx_hash(&wtxid.to_byte_array());
        }
    }

    /// A block was disconnected: what it confirmed may come back (`BlockDisconnected`).
    pub(crate) fn block_disconnected(&mut self) {
        self.recent_confirmed.clear();
    }

    /// Whether we have, or do not want, this transaction (`AlreadyHaveTx`). The
    /// orphanage is asked by wtxid only (a txid is taken as the wtxid of a transaction
    /// without witnesses).
    pub(crate) fn already_have(
        &self,
        pool: &Mempool,
        g: &GenTxid,
        include_reconsiderable: bool,
    ) -> bool {
        if self.orphanage.have_tx(&Wtxid::from_byte_array(g.hash)) {
            return true;
        }
        if include_reconsiderable && self.recent_rejects_reconsiderable.contains(&g.hash) {
            return true;
        }
        if self.recent_confirmed.contains(&g.hash) {
            return true;
        }
        self.recent_rejects.contains(&g.hash) || pool_has(pool, g)
    }

    /// `ConnectedPeer`.
    pub(crate) fn connected_peer(&mut self, id: NodeId, info: ConnectionInfo) {
        if self.peers.contains_key(&id) {
            return;
        }
        self.peers.insert(id, info);
        if info.wtxid_relay {
            self.wtxid_peers += 1;
        }
    }

    /// `DisconnectedPeer`: its orphans and announcements go.
    pub(crate) fn disconnected_peer(&mut self, id: NodeId) {
        self.orphanage.erase_for_peer(id);
        self.txrequest.disconnected_peer(id);
        if let Some(info) = self.peers.remove(&id) {
            if info.wtxid_relay {
                self.wtxid_peers -= 1;
            }
        }
    }

    /// A peer announced a transaction (`AddTxAnnouncement`). Returns whether we already
    /// have it. An announcement of an orphan's wtxid makes the peer a candidate for
    /// resolving it instead.
    pub(crate) fn add_tx_announcement(
        &mut self,
        pool: &Mempool,
        peer: NodeId,
        g: GenTxid,
        now: i64,
    ) -> bool {
        if g.wtxid {
            let wtxid = Wtxid::from_byte_array(g.hash);
            if let Some(orphan) = self.orphanage.get_tx(&wtxid) {
                let mut parents = unique_parents(&orphan);
                parents
                    .retain(|t| !self.already_have(pool, &GenTxid::txid(t.to_byte_array()), false));
                // The parents may have come or been rejected since; the orphan may be
                // queued for reconsideration, so it stays.
                if parents.is_empty() {
                    return true;
                }
                if self.maybe_add_orphan_resolution_candidate(&parents, &wtxid, peer, now) {
                    self.orphanage.add_announcer(&wtxid, peer);
                }
                return true;
            }
        }
        if self.already_have(pool, &g, true) {
            return true;
        }
        let Some(info) = self.peers.get(&peer).copied() else {
            return false;
        };
        if !info.relay_permission && self.txrequest.count(peer) >= MAX_PEER_TX_ANNOUNCEMENTS {
            return false;
        }
        let mut delay = 0;
        if !info.preferred {
            delay += NONPREF_PEER_TX_DELAY;
        }
        if !g.wtxid && self.wtxid_peers > 0 {
            delay += TXID_RELAY_DELAY;
        }
        if !info.relay_permission
            && self.txrequest.count_in_flight(peer) >= MAX_PEER_TX_REQUEST_IN_FLIGHT
        {
            delay += OVERLOADED_PEER_TX_DELAY;
        }
        self.txrequest
            .received_inv(peer, g, info.preferred, now + delay);
        false
    }

    /// Makes `peer` a candidate for resolving an orphan: as if it had announced the
    /// missing parents (`MaybeAddOrphanResolutionCandidate`).
    fn maybe_add_orphan_resolution_candidate(
        &mut self,
        parents: &[Txid],
        wtxid: &Wtxid,
        peer: NodeId,
        now: i64,
    ) -> bool {
        let Some(info) = self.peers.get(&peer).copied() else {
            return false;
        };
        if self.orphanage.have_tx_from_peer(wtxid, peer) {
            return false;
        }
        if !info.relay_permission
            && self.txrequest.count(peer) + parents.len() > MAX_PEER_TX_ANNOUNCEMENTS
        {
            return false;
        }
        let mut delay = 0;
        if !info.preferred {
            delay += NONPREF_PEER_TX_DELAY;
        }
        // Parents are asked for by txid; the parent may be on its way already.
        if self.wtxid_peers > 0 {
            delay += TXID_RELAY_DELAY;
        }
        if !info.relay_permission
            && self.txrequest.count_in_flight(peer) >= MAX_PEER_TX_REQUEST_IN_FLIGHT
        {
            delay += OVERLOADED_PEER_TX_DELAY;
        }
        for p in parents {
            self.txrequest.received_inv(
                peer,
                GenTxid::txid(p.to_byte_array()),
                info.preferred,
                now + delay,
            );
        }
        log_debug!(
            Category::TxPackages,
            "added peer={} as a candidate for resolving orphan {}",
            peer,
            wtxid
        );
        true
    }

    /// The transactions to request from `peer` now (`GetRequestsToSend`).
    pub(crate) fn get_requests_to_send(
        &mut self,
        pool: &Mempool,
        peer: NodeId,
        now: i64,
    ) -> Vec<GenTxid> {
        let mut expired = Vec::new();
        let requestable = self.txrequest.get_requestable(peer, now, &mut expired);
        for (p, g) in &expired {
            log_debug!(
                Category::Net,
                "timeout of inflight {} {} from peer={}",
                if g.wtxid { "wtx" } else { "tx" },
                hash_hex(&g.hash),
                p
            );
        }
        let mut out = Vec::new();
        for g in requestable {
            if !self.already_have(pool, &g, false) {
                log_debug!(
                    Category::Net,
                    "Requesting {} {} peer={}",
                    if g.wtxid { "wtx" } else { "tx" },
                    hash_hex(&g.hash),
                    peer
                );
                out.push(g);
                self.txrequest
                    .requested_tx(peer, &g.hash, now + GETDATA_TX_INTERVAL);
            } else {
                self.txrequest.forget_tx_hash(&g.hash);
            }
        }
        out
    }

    /// `ReceivedNotFound`.
    pub(crate) fn received_not_found(&mut self, peer: NodeId, hashes: &[GenTxid]) {
        for g in hashes {
            self.txrequest.received_response(peer, &g.hash);
        }
    }

    /// A child from `peer` in the orphanage that might carry a low-fee parent
    /// (`Find1P1CPackage`), newest first, skipping pairs and children already rejected.
    fn find_1p1c_package(
        &self,
        parent: &Arc<Transaction>,
        peer: NodeId,
    ) -> Option<PackageToValidate> {
        for child in self.orphanage.children_from_same_peer(parent, peer) {
            let pair = [parent.clone(), child.clone()];
            if !self
                .recent_rejects_reconsiderable
                .contains(&package_hash(&pair))
                && !self
                    .recent_rejects
                    .contains(&child.compute_txid().to_byte_array())
            {
                return Some(PackageToValidate {
                    txns: pair,
                    senders: [peer, peer],
                });
            }
        }
        None
    }

    /// A transaction entered the pool (`MempoolAcceptedTx`): no more requests for it,
    /// its orphaned children are queued, and it leaves the orphanage.
    pub(crate) fn mempool_accepted_tx(&mut self, tx: &Transaction) {
        let txid = tx.compute_txid();
        let wtxid = tx.compute_wtxid();
        self.txrequest.forget_tx_hash(&txid.to_byte_array());
        self.txrequest.forget_tx_hash(&wtxid.to_byte_array());
        self.orphanage
            .add_children_to_work_set(txid, tx.output.len() as u32, &mut self.rng);
        self.orphanage.erase_tx(&wtxid);
    }

    /// A transaction was rejected (`MempoolRejectedTx`). `kind` is `None` when the
    /// result carried no rejection class (a different witness in a package); `now`
    /// stamps the parent requests of a new orphan.
    pub(crate) fn mempool_rejected_tx(
        &mut self,
        pool: &Mempool,
        tx: &Arc<Transaction>,
        kind: Option<TxResultKind>,
        peer: NodeId,
        first_time_failure: bool,
        now: i64,
    ) -> RejectedTxTodo {
        let txid = tx.compute_txid();
        let wtxid = tx.compute_wtxid();
        let mut todo = RejectedTxTodo::default();
        if kind == Some(TxResultKind::MissingInputs) {
            // A repeated failure is an orphan kept already, or from a package.
            if first_time_failure && !self.recent_rejects.contains(&wtxid.to_byte_array()) {
                let mut parents = unique_parents(tx);
                // One parent rejected for a reconsiderable reason is fine (the pair
                // may go in as a package); two are not, nor any rejected for good.
                let mut rejected_parents = false;
                let mut reconsiderable_parent: Option<Txid> = None;
                for p in &parents {
                    let h = p.to_byte_array();
                    if self.recent_rejects.contains(&h) {
                        rejected_parents = true;
                        break;
                    } else if self.recent_rejects_reconsiderable.contains(&h) && !pool.contains(p) {
                        if reconsiderable_parent.is_some() {
                            rejected_parents = true;
                            break;
                        }
                        reconsiderable_parent = Some(*p);
                    }
                }
                if !rejected_parents {
                    parents.retain(|t| {
                        !self.already_have(pool, &GenTxid::txid(t.to_byte_array()), false)
                    });
                    // The sender first, then every peer that announced it.
                    let mut candidates = vec![peer];
                    self.txrequest
                        .get_candidate_peers(&txid.to_byte_array(), &mut candidates);
                    if has_witness(tx) {
                        self.txrequest
                            .get_candidate_peers(&wtxid.to_byte_array(), &mut candidates);
                    }
                    for c in candidates {
                        if self.maybe_add_orphan_resolution_candidate(&parents, &wtxid, c, now) {
                            self.orphanage.add_tx(tx, c);
                        }
                    }
                    // Kept as an orphan (or not at all): no more requests for it.
                    self.txrequest.forget_tx_hash(&txid.to_byte_array());
                    self.txrequest.forget_tx_hash(&wtxid.to_byte_array());
                    todo.unique_parents = parents;
                } else {
                    log_debug!(
                        Category::Mempool,
                        "not keeping orphan with rejected parents {} (wtxid={})",
                        txid,
                        wtxid
                    );
                    // Whatever its witness, it will not be accepted.
                    self.recent_rejects.insert(txid.to_byte_array());
                    self.recent_rejects.insert(wtxid.to_byte_array());
                    self.txrequest.forget_tx_hash(&txid.to_byte_array());
                    self.txrequest.forget_tx_hash(&wtxid.to_byte_array());
                }
            }
        } else if kind == Some(TxResultKind::WitnessStripped) {
            // Nothing remembered: another witness may be fine.
        } else {
            if kind == Some(TxResultKind::Reconsiderable) {
                // Not again alone, but maybe with a child.
                self.recent_rejects_reconsiderable
                    .insert(wtxid.to_byte_array());
                if first_time_failure {
                    log_debug!(
                        Category::TxPackages,
                        "tx {} (wtxid={}) failed but reconsiderable, looking for child in orphanage",
                        txid,
                        wtxid
                    );
                    todo.package_to_validate = self.find_1p1c_package(tx, peer);
                }
            } else {
                self.recent_rejects.insert(wtxid.to_byte_array());
            }
            self.txrequest.forget_tx_hash(&wtxid.to_byte_array());
            // Non-standard inputs do not depend on the witness: the txid is rejected
            // too, so children do not make us fetch it again by txid.
            if kind == Some(TxResultKind::InputsNotStandard) && has_witness(tx) {
                self.recent_rejects.insert(txid.to_byte_array());
                self.txrequest.forget_tx_hash(&txid.to_byte_array());
            }
        }
        // An orphan that failed for another reason than missing inputs is done with.
        if kind != Some(TxResultKind::MissingInputs) && self.orphanage.erase_tx(&wtxid) {
            log_debug!(
                Category::TxPackages,
                "   removed orphan tx {} (wtxid={})",
                txid,
                wtxid
            );
        }
        todo
    }

    /// A package was rejected (`MempoolRejectedPackage`): not tried again as such.
    pub(crate) fn mempool_rejected_package(&mut self, txs: &[Arc<Transaction>]) {
        self.recent_rejects_reconsiderable.insert(package_hash(txs));
    }

    /// A transaction arrived from `peer` (`ReceivedTx`): whether to validate it alone,
    /// and a package to try instead when it was rejected as reconsiderable before.
    pub(crate) fn received_tx(
        &mut self,
        pool: &Mempool,
        peer: NodeId,
        tx: &Arc<Transaction>,
    ) -> (bool, Option<PackageToValidate>) {
        let txid = tx.compute_txid();
        let wtxid = tx.compute_wtxid();
        self.txrequest
            .received_response(peer, &txid.to_byte_array());
        if has_witness(tx) {
            self.txrequest
                .received_response(peer, &wtxid.to_byte_array());
        }
        if self.already_have(pool, &GenTxid::wtxid(wtxid.to_byte_array()), false) {
            return (false, None);
        }
        if self
            .recent_rejects_reconsiderable
            .contains(&wtxid.to_byte_array())
        {
            log_debug!(
                Category::TxPackages,
                "found tx {} (wtxid={}) in reconsiderable rejects, looking for child in orphanage",
                txid,
                wtxid
            );
            return (false, self.find_1p1c_package(tx, peer));
        }
        (true, None)
    }

    /// Whether `peer` has an orphan to reconsider (`HaveMoreWork`).
    pub(crate) fn have_more_work(&self, peer: NodeId) -> bool {
        self.orphanage.have_tx_to_reconsider(peer)
    }

    /// The next orphan of `peer`'s to reconsider (`GetTxToReconsider`).
    pub(crate) fn get_tx_to_reconsider(&mut self, peer: NodeId) -> Option<Arc<Transaction>> {
        self.orphanage.get_tx_to_reconsider(peer)
    }

    /// Every orphan with its announcers.
    pub(crate) fn orphan_transactions(&self) -> Vec<OrphanInfo> {
        self.orphanage.orphan_transactions()
    }

    #[cfg(test)]
    pub(crate) fn orphanage(&self) -> &TxOrphanage {
        &self.orphanage
    }

    #[cfg(test)]
    pub(crate) fn txrequest(&self) -> &TxRequestTracker {
        &self.txrequest
    }
}

/// A hash as Core prints a uint256 (byte-reversed hex).
pub(crate) fn hash_hex(h: &[u8; 32]) -> String {
    h.iter().rev().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use bitcoin::absolute::LockTime;
    use bitcoin::transaction::Version;
    use bitcoin::{Amount, ScriptBuf, Sequence, TxIn, TxOut, Witness};
    use mempool::MempoolOptions;

    fn tx(inputs: &[OutPoint], tag: u8) -> Arc<Transaction> {
        Arc::new(Transaction {
            version: Version::TWO,
            lock_time: LockTime::ZERO,
            input: inputs
                .iter()
                .map(|op| TxIn {
                    previous_output: *op,
                    script_sig: ScriptBuf::new(),
                    sequence: Sequence::MAX,
                    witness: Witness::from_slice(&[vec![tag]]),
                })
                .collect(),
            output: vec![TxOut {
                value: Amount::from_sat(1000),
                script_pubkey: ScriptBuf::from_bytes(vec![0x51]),
            }],
        })
    }

    fn op(t: &Transaction) -> OutPoint {
        OutPoint {
            txid: t.compute_txid(),
            vout: 0,
        }
    }

    fn coin(n: u8) -> OutPoint {
        OutPoint {
            txid: Txid::from_byte_array([n; 32]),
            vout: 0,
        }
    }

    fn manager(peers: &[(NodeId, bool)]) -> TxDownloadManager {
        let mut m = TxDownloadManager::new();
        for &(id, preferred) in peers {
            m.connected_peer(
                id,
                ConnectionInfo {
                    preferred,
                    relay_permission: false,
                    wtxid_relay: true,
                },
            );
        }
        m
    }

    fn pool() -> Mempool {
        Mempool::new(MempoolOptions::default())
    }

    #[test]
    fn an_orphan_is_kept_and_its_parent_asked_of_the_sender_by_txid() {
        let pool = pool();
        let mut m = manager(&[(1, true)]);
        let parent = tx(&[coin(1)], 1);
        let child = tx(&[op(&parent)], 2);
        let todo =
            m.mempool_rejected_tx(&pool, &child, Some(TxResultKind::MissingInputs), 1, true, 0);
        assert_eq!(todo.unique_parents, vec![parent.compute_txid()]);
        assert!(m.orphanage().have_tx(&child.compute_wtxid()));
        // Parents are asked for after the txid-relay delay (wtxid peers exist).
        assert!(m.get_requests_to_send(&pool, 1, 0).is_empty());
        let due = m.get_requests_to_send(&pool, 1, TXID_RELAY_DELAY);
        assert_eq!(
            due,
            vec![GenTxid::txid(parent.compute_txid().to_byte_array())]
        );
        // The orphan counts as had: its announcement is not tracked.
        let g = GenTxid::wtxid(child.compute_wtxid().to_byte_array());
        assert!(m.already_have(&pool, &g, false));
        // The parent arrives and is accepted: the child is queued for the sender.
        m.mempool_accepted_tx(&parent);
        assert!(m.have_more_work(1));
        let again = m.get_tx_to_reconsider(1).expect("queued child");
        assert_eq!(again.compute_wtxid(), child.compute_wtxid());
        m.mempool_accepted_tx(&again);
        assert!(!m.orphanage().have_tx(&child.compute_wtxid()));
    }

    #[test]
    fn an_orphan_of_a_rejected_parent_is_rejected_too() {
        let pool = pool();
        let mut m = manager(&[(1, true)]);
        let parent = tx(&[coin(1)], 1);
        let child = tx(&[op(&parent)], 2);
        // The parent has no witness variance here: its txid is rejected for good.
        m.recent_rejects
            .insert(parent.compute_txid().to_byte_array());
        let todo =
            m.mempool_rejected_tx(&pool, &child, Some(TxResultKind::MissingInputs), 1, true, 0);
        assert!(todo.unique_parents.is_empty());
        assert!(!m.orphanage().have_tx(&child.compute_wtxid()));
        assert!(m
            .recent_rejects
            .contains(&child.compute_txid().to_byte_array()));
        assert!(m
            .recent_rejects
            .contains(&child.compute_wtxid().to_byte_array()));
    }

    #[test]
    fn a_low_fee_parent_is_paired_with_its_orphan_child() {
        let pool = pool();
        let mut m = manager(&[(1, true), (2, true)]);
        let parent = tx(&[coin(1)], 1);
        let child = tx(&[op(&parent)], 2);
        m.mempool_rejected_tx(&pool, &child, Some(TxResultKind::MissingInputs), 1, true, 0);
        // From another peer the parent finds no child of that peer's.
        let todo = m.mempool_rejected_tx(
            &pool,
            &parent,
            Some(TxResultKind::Reconsiderable),
            2,
            true,
            0,
        );
        assert!(todo.package_to_validate.is_none());
        // Sent again by the child's sender, it is not validated alone but paired.
        let (validate, pkg) = m.received_tx(&pool, 1, &parent);
        assert!(!validate);
        let pkg = pkg.expect("1p1c package");
        assert_eq!(pkg.senders, [1, 1]);
        assert_eq!(pkg.txns[1].compute_wtxid(), child.compute_wtxid());
        assert_eq!(
            pkg.to_string(),
            format!(
                "parent {} (wtxid={}, sender=1) + child {} (wtxid={}, sender=1)",
                parent.compute_txid(),
                parent.compute_wtxid(),
                child.compute_txid(),
                child.compute_wtxid()
            )
        );
        // Once the pair failed, it is not tried again.
        m.mempool_rejected_package(&pkg.txns);
        assert!(m.received_tx(&pool, 1, &parent).1.is_none());
        // A new tip forgets the rejections.
        m.active_tip_change();
        let (validate, pkg) = m.received_tx(&pool, 1, &parent);
        assert!(validate && pkg.is_none());
    }

    #[test]
    fn an_announced_orphan_makes_the_announcer_a_resolution_candidate() {
        let pool = pool();
        let mut m = manager(&[(1, true), (2, true)]);
        let parent = tx(&[coin(1)], 1);
        let child = tx(&[op(&parent)], 2);
        m.mempool_rejected_tx(&pool, &child, Some(TxResultKind::MissingInputs), 1, true, 0);
        let g = GenTxid::wtxid(child.compute_wtxid().to_byte_array());
        assert!(m.add_tx_announcement(&pool, 2, g, 0));
        assert!(m.orphanage().have_tx_from_peer(&child.compute_wtxid(), 2));
        // Peer 2 is now a candidate for the parent as well.
        assert_eq!(m.txrequest().count(2), 1);
        // Disconnecting the first announcer keeps the orphan.
        m.disconnected_peer(1);
        assert!(m.orphanage().have_tx(&child.compute_wtxid()));
        m.disconnected_peer(2);
        assert!(!m.orphanage().have_tx(&child.compute_wtxid()));
    }

    #[test]
    fn a_connected_block_removes_conflicting_orphans_and_confirms() {
        let pool = pool();
        let mut m = manager(&[(1, true)]);
        let parent = tx(&[coin(1)], 1);
        let child = tx(&[op(&parent), coin(7)], 2);
        m.mempool_rejected_tx(&pool, &child, Some(TxResultKind::MissingInputs), 1, true, 0);
        let rival = tx(&[coin(7)], 3);
        let block = bitcoin::Block {
            header: bitcoin::blockdata::constants::genesis_block(bitcoin::Network::Regtest).header,
            txdata: vec![rival.as_ref().clone()],
        };
        m.block_connected(&ConnectedBlock::of(&block));
        assert!(!m.orphanage().have_tx(&child.compute_wtxid()));
        let g = GenTxid::txid(rival.compute_txid().to_byte_array());
        assert!(m.already_have(&pool, &g, false));
        m.block_disconnected();
        assert!(!m.already_have(&pool, &g, false));
    }

    #[test]
    fn the_package_hash_ignores_order() {
        let a = tx(&[coin(1)], 1);
        let b = tx(&[coin(2)], 2);
        assert_eq!(package_hash(&[a.clone(), b.clone()]), package_hash(&[b, a]));
    }
}
