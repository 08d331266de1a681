//! Transaction relay: what each peer knows and is owed (`TxRelay`), who we ask for an
//! announced transaction and when (a request tracker after Core's `TxRequestTracker`),
//! taking a transaction from a peer, answering `getdata` and `mempool`, and the fee
//! filter we send.

use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::sync::Arc;

use bitcoin::hashes::Hash;
use bitcoin::p2p::message::NetworkMessage;
use bitcoin::p2p::message_blockdata::Inventory;
use bitcoin::{Transaction, Txid, Wtxid};
use chain::ChainState;
use common::log_debug;
use common::logging::Category;
use mempool::accept::TxResult;
use mempool::Mempool;
use net::{NetPermissions, NodeId};

use crate::blocks::{inv_text, MAX_INV_SZ};
use crate::{lock, Inner, PeerManager};

/// Delay before asking a non-preferred (inbound) peer, microseconds (`NONPREF_PEER_TX_DELAY`).
const NONPREF_PEER_TX_DELAY: i64 = 2_000_000;
/// Extra delay for txid announcements while wtxid peers exist (`TXID_RELAY_DELAY`).
const TXID_RELAY_DELAY: i64 = 2_000_000;
/// Extra delay for a peer with many requests in flight (`OVERLOADED_PEER_TX_DELAY`).
const OVERLOADED_PEER_TX_DELAY: i64 = 2_000_000;
/// How long we wait for a requested transaction (`GETDATA_TX_INTERVAL`).
const GETDATA_TX_INTERVAL: i64 = 60_000_000;
/// Requests in flight per peer before it counts as overloaded (`MAX_PEER_TX_REQUEST_IN_FLIGHT`).
const MAX_PEER_TX_REQUEST_IN_FLIGHT: usize = 100;
/// Announcements kept per peer (`MAX_PEER_TX_ANNOUNCEMENTS`).
const MAX_PEER_TX_ANNOUNCEMENTS: usize = 5000;
/// Average time between inventory sends to inbound peers (`INBOUND_INVENTORY_BROADCAST_INTERVAL`).
const INBOUND_INVENTORY_BROADCAST_INTERVAL: i64 = 5_000_000;
/// Average time between inventory sends to outbound peers.
const OUTBOUND_INVENTORY_BROADCAST_INTERVAL: i64 = 2_000_000;
/// Most `getdata` items per message we send (`MAX_GETDATA_SZ`).
pub(crate) const MAX_GETDATA_SZ: usize = 1000;
/// Hashes a peer is known to have, kept per peer (the size of Core's filter).
const KNOWN_INVENTORY_LIMIT: usize = 50_000;
/// Recently rejected or confirmed transactions remembered.
const RECENT_LIMIT: usize = 120_000;
/// Average time between fee filter sends (`AVG_FEEFILTER_BROADCAST_INTERVAL`).
const AVG_FEEFILTER_BROADCAST_INTERVAL: i64 = 10 * 60 * 1_000_000;
/// A big fee filter change goes out within this (`MAX_FEEFILTER_CHANGE_DELAY`).
const MAX_FEEFILTER_CHANGE_DELAY: i64 = 5 * 60 * 1_000_000;

/// A bounded set that forgets its oldest members (what Core's rolling bloom filters
/// do, without false positives).
#[derive(Default)]
pub(crate) struct RecentSet {
    set: HashSet<[u8; 32]>,
    order: VecDeque<[u8; 32]>,
    limit: usize,
}

impl RecentSet {
    pub(crate) fn new(limit: usize) -> RecentSet {
        RecentSet {
            set: HashSet::new(),
            order: VecDeque::new(),
            limit,
        }
    }

    pub(crate) fn insert(&mut self, h: [u8; 32]) {
        if self.set.insert(h) {
            self.order.push_back(h);
            if self.order.len() > self.limit {
                if let Some(old) = self.order.pop_front() {
                    self.set.remove(&old);
                }
            }
        }
    }

    pub(crate) fn contains(&self, h: &[u8; 32]) -> bool {
        self.set.contains(h)
    }

    pub(crate) fn clear(&mut self) {
        self.set.clear();
        self.order.clear();
    }
}

/// Per-peer transaction relay state (Core's `Peer::TxRelay`).
pub(crate) struct TxRelay {
    /// Whether it wants transaction announcements (its `version` relay flag).
    pub relay_txs: bool,
    /// Hashes (txid or wtxid, as it relays) it has or was sent.
    pub known: RecentSet,
    /// Transactions to announce at its next trickle, by wtxid.
    pub to_send: Vec<Wtxid>,
    /// When its next trickle is due, microseconds; 0 until the handshake completes.
    pub next_inv_send: i64,
    /// It sent `mempool` and awaits the whole pool's inventory.
    pub send_mempool: bool,
    /// The pool sequence at our last announcement to it: it may ask for anything older.
    pub last_inv_sequence: u64,
}

impl TxRelay {
    pub(crate) fn new(relay_txs: bool) -> TxRelay {
        TxRelay {
            relay_txs,
            known: RecentSet::new(KNOWN_INVENTORY_LIMIT),
            to_send: Vec::new(),
            next_inv_send: 0,
            send_mempool: false,
            last_inv_sequence: 0,
        }
    }
}

/// One announcement of a transaction by a peer.
#[derive(Clone, Copy)]
struct Announcement {
    peer: NodeId,
    wtxid: bool,
    preferred: bool,
    /// When it may be requested, microseconds.
    reqtime: i64,
    /// When a request to it expires; `None` while not requested.
    expiry: Option<i64>,
    /// Announcement order, for ties.
    seq: u64,
}

/// Per-peer facts the tracker needs (`TxDownloadConnectionInfo`).
#[derive(Clone, Copy)]
struct PeerInfo {
    preferred: bool,
    relay_permission: bool,
    wtxid_relay: bool,
}

/// The request tracker and the memory of recent transactions (Core's
/// `TxDownloadManager` without the orphanage).
pub(crate) struct TxState {
    announcements: HashMap<[u8; 32], Vec<Announcement>>,
    peers: BTreeMap<NodeId, PeerInfo>,
    wtxid_peers: usize,
    seq: u64,
    recent_rejects: RecentSet,
    recent_confirmed: RecentSet,
    /// When inbound peers next get a trickle (one shared clock, so timing cannot tell
    /// inbound peers apart).
    pub(crate) next_inv_to_inbounds: i64,
}

impl TxState {
    pub(crate) fn new() -> TxState {
        TxState {
            announcements: HashMap::new(),
            peers: BTreeMap::new(),
            wtxid_peers: 0,
            seq: 0,
            recent_rejects: RecentSet::new(RECENT_LIMIT),
            recent_confirmed: RecentSet::new(RECENT_LIMIT / 2),
            next_inv_to_inbounds: 0,
        }
    }

    /// `ConnectedPeer`.
    pub(crate) fn connected_peer(
        &mut self,
        id: NodeId,
        preferred: bool,
        relay_permission: bool,
        wtxid_relay: bool,
    ) {
        if wtxid_relay {
            self.wtxid_peers += 1;
        }
        self.peers.insert(
            id,
            PeerInfo {
                preferred,
                relay_permission,
                wtxid_relay,
            },
        );
    }

    /// `DisconnectedPeer`: its announcements go; requests to it are free to go elsewhere.
    pub(crate) fn disconnected_peer(&mut self, id: NodeId) {
        if let Some(info) = self.peers.remove(&id) {
            if info.wtxid_relay {
                self.wtxid_peers -= 1;
            }
        }
        self.announcements.retain(|_, v| {
            v.retain(|a| a.peer != id);
            !v.is_empty()
        });
    }

    /// A block was connected: its transactions are done with.
    pub(crate) fn block_connected(&mut self, txids: &[Txid], wtxids: &[Wtxid]) {
        // Core resets its reject filter on every new tip: a rejection may not hold there.
        self.recent_rejects.clear();
        for t in txids {
            let h = t.to_byte_array();
            self.recent_confirmed.insert(h);
            self.announcements.remove(&h);
        }
        for w in wtxids {
            let h = w.to_byte_array();
            self.recent_confirmed.insert(h);
            self.announcements.remove(&h);
        }
    }

    fn count_for(&self, id: NodeId) -> (usize, usize) {
        let mut total = 0;
        let mut in_flight = 0;
        for v in self.announcements.values() {
            for a in v.iter().filter(|a| a.peer == id) {
                total += 1;
                if a.expiry.is_some() {
                    in_flight += 1;
                }
            }
        }
        (total, in_flight)
    }

    /// `AddTxAnnouncement`.
    fn add_announcement(&mut self, id: NodeId, hash: [u8; 32], wtxid: bool, now: i64) {
        let Some(info) = self.peers.get(&id).copied() else {
            return;
        };
        if self
            .announcements
            .get(&hash)
            .is_some_and(|v| v.iter().any(|a| a.peer == id))
        {
            return;
        }
        let (total, in_flight) = self.count_for(id);
        if !info.relay_permission && total >= MAX_PEER_TX_ANNOUNCEMENTS {
            return;
        }
        let mut delay = 0;
        if !info.preferred {
            delay += NONPREF_PEER_TX_DELAY;
        }
        if !wtxid && self.wtxid_peers > 0 {
            delay += TXID_RELAY_DELAY;
        }
        if !info.relay_permission && in_flight >= MAX_PEER_TX_REQUEST_IN_FLIGHT {
            delay += OVERLOADED_PEER_TX_DELAY;
        }
        self.seq += 1;
        self.announcements
            .entry(hash)
            .or_default()
            .push(Announcement {
                peer: id,
                wtxid,
                preferred: info.preferred,
                reqtime: now + delay,
                expiry: None,
                seq: self.seq,
            });
    }

    /// `GetRequestsToSend`: the hashes to ask `id` for now, with whether each is a wtxid.
    fn requests_to_send(&mut self, id: NodeId, now: i64) -> Vec<([u8; 32], bool)> {
        let mut out = Vec::new();
        for (hash, anns) in self.announcements.iter_mut() {
            // Expired requests count as answered by that peer.
            let mut expired = false;
            for a in anns.iter_mut() {
                if a.expiry.is_some_and(|e| e <= now) {
                    a.expiry = None;
                    a.reqtime = i64::MAX;
                    expired = true;
                }
            }
            let _ = expired;
            if anns.iter().any(|a| a.expiry.is_some()) {
                continue;
            }
            let best = anns
                .iter()
                .filter(|a| a.reqtime <= now)
                .min_by_key(|a| (!a.preferred, a.seq))
                .map(|a| a.peer);
            if best != Some(id) {
                continue;
            }
            if let Some(a) = anns.iter_mut().find(|a| a.peer == id) {
                a.expiry = Some(now + GETDATA_TX_INTERVAL);
                out.push((*hash, a.wtxid));
            }
        }
        // Announcements no peer can still answer are done with.
        self.announcements.retain(|_, v| {
            v.iter()
                .any(|a| a.reqtime != i64::MAX || a.expiry.is_some())
        });
        out
    }

    /// `ReceivedResponse`: `id` answered (with the transaction or `notfound`).
    fn received_response(&mut self, id: NodeId, hash: &[u8; 32]) {
        if let Some(v) = self.announcements.get_mut(hash) {
            for a in v.iter_mut().filter(|a| a.peer == id) {
                a.expiry = None;
                a.reqtime = i64::MAX;
            }
            if v.iter()
                .all(|a| a.reqtime == i64::MAX && a.expiry.is_none())
            {
                self.announcements.remove(hash);
            }
        }
    }

    /// `ForgetTxHash`.
    fn forget(&mut self, hash: &[u8; 32]) {
        self.announcements.remove(hash);
    }

    /// `AlreadyHaveTx`.
    fn already_have(&self, pool: &Mempool, hash: &[u8; 32], wtxid: bool) -> bool {
        if self.recent_rejects.contains(hash) || self.recent_confirmed.contains(hash) {
            return true;
        }
        if wtxid {
            pool.contains_wtxid(&Wtxid::from_byte_array(*hash))
        } else {
            pool.contains(&Txid::from_byte_array(*hash))
        }
    }
}

/// The transaction a `getdata` item asks for, if we announced it or it is older than our
/// last announcement (`FindTxForGetData`).
pub(crate) fn find_tx_for_getdata(
    pool: &Mempool,
    relay: &TxRelay,
    inv: &Inventory,
) -> Option<Arc<Transaction>> {
    let entry = match inv {
        Inventory::WTx(w) => pool.entry_by_wtxid(w),
        Inventory::Transaction(t) | Inventory::WitnessTransaction(t) => pool.entry(t),
        _ => None,
    }?;
    (entry.entry_sequence < relay.last_inv_sequence).then(|| entry.tx.clone())
}

/// A copy of `tx` without witnesses.
pub(crate) fn strip_witness(tx: &Transaction) -> Transaction {
    let mut t = tx.clone();
    for input in &mut t.input {
        input.witness.clear();
    }
    t
}

/// Core's `FeeFilterRounder`: rounds our fee filter down to one of a fixed set of
/// values (geometric, 10% apart), sometimes one lower, so the filter says little about
/// our exact pool.
pub(crate) fn round_fee_filter(min_incremental: i64, fee: i64, r: u64) -> i64 {
    let mut set = vec![0f64];
    let mut b = (min_incremental / 2).max(1) as f64;
    while b <= 1e7 {
        set.push(b);
        b *= 1.1;
    }
    let f = fee as f64;
    let mut idx = set.partition_point(|&x| x < f);
    if idx == set.len() || (idx != 0 && !r.is_multiple_of(3)) {
        idx -= 1;
    }
    set[idx] as i64
}

impl PeerManager {
    /// The transaction part of an `inv` message.
    pub(crate) fn process_tx_inv(
        &self,
        cs: &ChainState,
        inner: &mut Inner,
        id: NodeId,
        inv: &Inventory,
    ) -> bool {
        let (hash, wtxid) = match inv {
            Inventory::WTx(w) => (w.to_byte_array(), true),
            Inventory::Transaction(t) | Inventory::WitnessTransaction(t) => {
                (t.to_byte_array(), false)
            }
            _ => return true,
        };
        if let Some(relay) = inner.peers.get_mut(&id).and_then(|p| p.tx_relay.as_mut()) {
            relay.known.insert(hash);
        }
        if !cs.is_initial_block_download() {
            let pool = self.node.mempool();
            let have = inner.tx.already_have(&pool, &hash, wtxid);
            drop(pool);
            if !have {
                let now = self.now();
                inner.tx.add_announcement(id, hash, wtxid, now);
            }
            log_debug!(
                Category::Net,
                "got inv: {} {} peer={}",
                inv_text(inv),
                if have { "have" } else { "new" },
                id
            );
        }
        true
    }

    /// An `inv` message.
    pub(crate) fn process_inv(
        &self,
        cs: &ChainState,
        inner: &mut Inner,
        id: NodeId,
        invs: Vec<Inventory>,
    ) {
        if invs.len() > MAX_INV_SZ {
            self.misbehaving(inner, id, &format!("inv message size = {}", invs.len()));
            return;
        }
        let Some(p) = inner.peers.get(&id) else {
            return;
        };
        let reject_txs = self.reject_incoming_txs(p.conn.conn_type, p.conn.permissions);
        let wtxid_relay = p.wtxid_relay;
        let mut best_block = None;
        let mut seen = HashSet::new();
        for inv in &invs {
            // Announcements of the other kind are ignored (BIP339).
            match inv {
                Inventory::Transaction(_) if wtxid_relay => continue,
                Inventory::WTx(_) if !wtxid_relay => continue,
                _ => {}
            }
            match inv {
                Inventory::Block(h) | Inventory::WitnessBlock(h) => {
                    if self.process_block_inv(cs, inner, id, *h) {
                        best_block = Some(*h);
                    }
                }
                Inventory::Transaction(_)
                | Inventory::WitnessTransaction(_)
                | Inventory::WTx(_) => {
                    if reject_txs {
                        if let Some(p) = inner.peers.get(&id) {
                            log_debug!(
                                Category::Net,
                                "transaction ({}) inv sent in violation of protocol, {}",
                                inv_text(inv).split(' ').nth(1).unwrap_or_default(),
                                Self::disconnect_msg(&p.conn)
                            );
                        }
                        self.conns.disconnect(id);
                        return;
                    }
                    if !seen.insert(inv_text(inv)) {
                        continue;
                    }
                    self.process_tx_inv(cs, inner, id, inv);
                }
                other => {
                    log_debug!(
                        Category::Net,
                        "Unknown inv type \"{}\" received from peer={}",
                        inv_text(other),
                        id
                    );
                }
            }
        }
        if let Some(best) = best_block {
            self.getheaders_for_inv(cs, inner, id, best);
        }
    }

    /// A `tx` message.
    pub(crate) fn process_tx_message(&self, id: NodeId, tx: Transaction) {
        let txid = tx.compute_txid();
        let wtxid = tx.compute_wtxid();
        {
            let cs = self.node.chainstate();
            let pool = self.node.mempool();
            let mut inner = lock(&self.inner);
            let Some(p) = inner.peers.get_mut(&id) else {
                return;
            };
            if !p.successfully_connected {
                return;
            }
            if self.reject_incoming_txs(p.conn.conn_type, p.conn.permissions) {
                log_debug!(
                    Category::Net,
                    "transaction sent in violation of protocol, {}",
                    Self::disconnect_msg(&p.conn)
                );
                self.conns.disconnect(id);
                return;
            }
            if cs.is_initial_block_download() {
                return;
            }
            let hash = if p.wtxid_relay {
                wtxid.to_byte_array()
            } else {
                txid.to_byte_array()
            };
            if let Some(r) = p.tx_relay.as_mut() {
                r.known.insert(hash);
            }
            let force = p.has_permission(NetPermissions::FORCERELAY);
            // `ReceivedTx`: the peer answered; have we seen this one already?
            inner.tx.received_response(id, &txid.to_byte_array());
            inner.tx.received_response(id, &wtxid.to_byte_array());
            let have = inner.tx.already_have(&pool, &wtxid.to_byte_array(), true)
                || inner.tx.already_have(&pool, &txid.to_byte_array(), false);
            if have {
                if force {
                    if !pool.contains(&txid) {
                        common::log_info!(
                            "Not relaying non-mempool transaction {} (wtxid={}) from forcerelay peer={}",
                            txid,
                            wtxid,
                            id
                        );
                    } else {
                        common::log_info!(
                            "Force relaying tx {} (wtxid={}) from peer={}",
                            txid,
                            wtxid,
                            id
                        );
                        self.queue_tx_for_all(&mut inner, wtxid);
                    }
                }
                return;
            }
        }
        let tx = Arc::new(tx);
        let result = self.node.accept_transaction(tx.clone());
        let pool = self.node.mempool();
        let mut inner = lock(&self.inner);
        match result {
            TxResult::Valid { replaced, .. } => {
                // What it replaced may still turn up in a block.
                for r in replaced {
                    self.add_extra_transaction(&mut inner, r);
                }
                inner.tx.forget(&txid.to_byte_array());
                inner.tx.forget(&wtxid.to_byte_array());
                log_debug!(
                    Category::Mempool,
                    "AcceptToMemoryPool: peer={}: accepted {} (wtxid={}) (poolsz {} txn, {} kB)",
                    id,
                    txid,
                    wtxid,
                    pool.size(),
                    pool.dynamic_usage() / 1000
                );
                drop(pool);
                let now = self.now() / 1_000_000;
                if let Some(p) = inner.peers.get_mut(&id) {
                    p.last_tx_time = now;
                }
                self.conns.set_last_tx_time(id, now);
                self.queue_tx_for_all(&mut inner, wtxid);
            }
            TxResult::Invalid { state, .. } => {
                log_debug!(
                    Category::MempoolRej,
                    "{} (wtxid={}) from peer={} was not accepted: {}",
                    txid,
                    wtxid,
                    id,
                    state
                );
                // Missing inputs may arrive later; anything else is remembered as
                // rejected (by wtxid, and by txid unless the witness may be at fault).
                if state.kind != mempool::accept::TxResultKind::MissingInputs {
                    inner.tx.recent_rejects.insert(wtxid.to_byte_array());
                    if !matches!(
                        state.kind,
                        mempool::accept::TxResultKind::WitnessMutated
                            | mempool::accept::TxResultKind::WitnessStripped
                            | mempool::accept::TxResultKind::Reconsiderable
                    ) {
                        inner.tx.recent_rejects.insert(txid.to_byte_array());
                    }
                }
                // Kept for compact blocks, unless its witness was stripped: a block
                // would carry it with the witness.
                if state.kind != mempool::accept::TxResultKind::WitnessStripped {
                    self.maybe_add_rejected_extra(&mut inner, &tx);
                }
                // Core no longer punishes peers for invalid transactions.
                inner.tx.forget(&wtxid.to_byte_array());
            }
            TxResult::InMempool { .. } | TxResult::DifferentWitness { .. } => {}
        }
    }

    /// `InitiateTxBroadcastToAll` (without Core's rate-limit buckets): every peer that
    /// completed its handshake gets the transaction at its next trickle.
    fn queue_tx_for_all(&self, inner: &mut Inner, wtxid: Wtxid) {
        for p in inner.peers.values_mut() {
            if let Some(r) = p.tx_relay.as_mut() {
                if r.next_inv_send != 0 {
                    r.to_send.push(wtxid);
                }
            }
        }
    }

    /// Announces a transaction that entered our pool from elsewhere (RPC, the wallet,
    /// a rebroadcast) to every peer (`RelayTransaction`).
    pub fn relay_transaction(&self, wtxid: Wtxid) {
        let mut inner = lock(&self.inner);
        self.queue_tx_for_all(&mut inner, wtxid);
    }

    /// A `mempool` message (BIP35): only for peers we offer bloom filters or that have
    /// the `mempool` permission.
    pub(crate) fn process_mempool_request(&self, inner: &mut Inner, id: NodeId) {
        let Some(p) = inner.peers.get_mut(&id) else {
            return;
        };
        if p.our_services & p2p::constants::NODE_BLOOM == 0
            && !p.has_permission(NetPermissions::MEMPOOL)
        {
            if !p.has_permission(NetPermissions::NOBAN) {
                log_debug!(
                    Category::Net,
                    "mempool request with bloom filters disabled, {}",
                    Self::disconnect_msg(&p.conn)
                );
                self.conns.disconnect(id);
            }
            return;
        }
        if let Some(r) = p.tx_relay.as_mut() {
            r.send_mempool = true;
        }
    }

    /// A `notfound` message: the peer has not got what we asked for.
    pub(crate) fn process_notfound(&self, inner: &mut Inner, id: NodeId, invs: Vec<Inventory>) {
        if invs.len() > MAX_INV_SZ {
            return;
        }
        for inv in &invs {
            match inv {
                Inventory::WTx(w) => inner.tx.received_response(id, &w.to_byte_array()),
                Inventory::Transaction(t) | Inventory::WitnessTransaction(t) => {
                    inner.tx.received_response(id, &t.to_byte_array())
                }
                _ => {}
            }
        }
    }

    /// The transaction part of `SendMessages`: the trickled inventory, answering
    /// `mempool`, and the transaction `getdata` requests that are due.
    pub(crate) fn send_tx_messages(
        &self,
        pool: &Mempool,
        inner: &mut Inner,
        id: NodeId,
        invs: &mut Vec<Inventory>,
    ) {
        let now = self.now();
        let next_inbound = inner.tx.next_inv_to_inbounds;
        let Some(p) = inner.peers.get_mut(&id) else {
            return;
        };
        let inbound = p.is_inbound();
        let wtxid_relay = p.wtxid_relay;
        let filter = p.fee_filter_received;
        let noban = p.has_permission(NetPermissions::NOBAN);
        let mut new_inbound_time = None;
        if let Some(r) = p.tx_relay.as_mut() {
            let mut trickle = noban;
            if r.next_inv_send < now {
                trickle = true;
                r.next_inv_send = if inbound {
                    if next_inbound < now {
                        let t = now
                            + lock(&self.rng).exp_duration(INBOUND_INVENTORY_BROADCAST_INTERVAL);
                        new_inbound_time = Some(t);
                        t
                    } else {
                        next_inbound
                    }
                } else {
                    now + lock(&self.rng).exp_duration(OUTBOUND_INVENTORY_BROADCAST_INTERVAL)
                };
            }
            if trickle && !r.relay_txs {
                r.to_send.clear();
            }
            if trickle && r.send_mempool {
                r.send_mempool = false;
                r.last_inv_sequence = pool.sequence();
                r.to_send.clear();
                for e in pool.entries() {
                    if e.fee < fee_for(filter, e.vsize) {
                        continue;
                    }
                    let inv = if wtxid_relay {
                        Inventory::WTx(e.wtxid)
                    } else {
                        Inventory::Transaction(e.txid)
                    };
                    r.known.insert(inv_hash(&inv));
                    push_inv(self, id, invs, inv);
                }
            }
            if trickle && !r.to_send.is_empty() {
                let wanted: HashSet<Wtxid> = r.to_send.drain(..).collect();
                for txid in pool.mining_order() {
                    let Some(e) = pool.entry(&txid) else {
                        continue;
                    };
                    if !wanted.contains(&e.wtxid) || e.fee < fee_for(filter, e.vsize) {
                        continue;
                    }
                    let inv = if wtxid_relay {
                        Inventory::WTx(e.wtxid)
                    } else {
                        Inventory::Transaction(e.txid)
                    };
                    let h = inv_hash(&inv);
                    if r.known.contains(&h) {
                        continue;
                    }
                    push_inv(self, id, invs, inv);
                    r.known.insert(h);
                }
                r.last_inv_sequence = pool.sequence();
            }
        }
        if let Some(t) = new_inbound_time {
            inner.tx.next_inv_to_inbounds = t;
        }
    }

    /// The transaction `getdata` requests due to `id`.
    pub(crate) fn tx_requests_due(
        &self,
        inner: &mut Inner,
        id: NodeId,
        getdata: &mut Vec<Inventory>,
    ) {
        let now = self.now();
        let witnesses = inner
            .peers
            .get(&id)
            .is_some_and(|p| p.can_serve_witnesses());
        for (hash, wtxid) in inner.tx.requests_to_send(id, now) {
            let inv = if wtxid {
                Inventory::WTx(Wtxid::from_byte_array(hash))
            } else if witnesses {
                Inventory::WitnessTransaction(Txid::from_byte_array(hash))
            } else {
                Inventory::Transaction(Txid::from_byte_array(hash))
            };
            getdata.push(inv);
            if getdata.len() >= MAX_GETDATA_SZ {
                self.send(id, &NetworkMessage::GetData(std::mem::take(getdata)));
            }
        }
    }

    /// `MaybeSendFeefilter`.
    pub(crate) fn maybe_send_feefilter(
        &self,
        cs: &ChainState,
        pool: &mut Mempool,
        inner: &mut Inner,
        id: NodeId,
    ) {
        if self.opts.ignore_incoming_txs {
            return;
        }
        let now = self.now();
        let r = self.next_random();
        let Some(p) = inner.peers.get_mut(&id) else {
            return;
        };
        if p.common_version < p2p::constants::FEEFILTER_VERSION
            || p.has_permission(NetPermissions::FORCERELAY)
            || p.conn.conn_type == net::ConnectionType::BlockRelay
        {
            return;
        }
        let min_relay = pool.options().min_relay_feerate;
        let incremental = pool.options().incremental_relay_feerate;
        let max_money = bitcoin::Amount::MAX_MONEY.to_sat() as i64;
        let mut current = pool.min_fee(now / 1_000_000).sat_per_kvb();
        let max_filter = round_fee_filter(incremental, max_money, 1);
        if cs.is_initial_block_download() {
            current = max_money;
        } else if p.fee_filter_sent == max_filter {
            p.next_send_feefilter = 0;
        }
        if now > p.next_send_feefilter {
            let to_send = round_fee_filter(incremental, current, r).max(min_relay);
            if to_send != p.fee_filter_sent {
                self.send(id, &NetworkMessage::FeeFilter(to_send));
                p.fee_filter_sent = to_send;
            }
            p.next_send_feefilter =
                now + lock(&self.rng).exp_duration(AVG_FEEFILTER_BROADCAST_INTERVAL);
        } else if now + MAX_FEEFILTER_CHANGE_DELAY < p.next_send_feefilter
            && (current < 3 * p.fee_filter_sent / 4 || current > 4 * p.fee_filter_sent / 3)
        {
            p.next_send_feefilter = now + (r % MAX_FEEFILTER_CHANGE_DELAY as u64) as i64;
        }
    }
}

/// The fee a `vsize`-byte transaction pays at `rate` sat/kvB (`CFeeRate::GetFee`).
fn fee_for(rate: i64, vsize: i64) -> i64 {
    let fee = rate.saturating_mul(vsize) / 1000;
    if fee == 0 && vsize != 0 && rate > 0 {
        1
    } else {
        fee
    }
}

fn inv_hash(inv: &Inventory) -> [u8; 32] {
    inv.network_hash().unwrap_or([0; 32])
}

fn push_inv(pm: &PeerManager, id: NodeId, invs: &mut Vec<Inventory>, inv: Inventory) {
    invs.push(inv);
    if invs.len() == MAX_INV_SZ {
        pm.send(id, &NetworkMessage::Inv(std::mem::take(invs)));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state_with(peers: &[(NodeId, bool)]) -> TxState {
        let mut s = TxState::new();
        for &(id, preferred) in peers {
            s.connected_peer(id, preferred, false, true);
        }
        s
    }

    #[test]
    fn preferred_peers_are_asked_first_and_inbound_after_a_delay() {
        let mut s = state_with(&[(1, false), (2, true)]);
        let h = [7u8; 32];
        s.add_announcement(1, h, true, 0);
        s.add_announcement(2, h, true, 0);
        assert_eq!(s.requests_to_send(1, 0), vec![]);
        assert_eq!(s.requests_to_send(2, 0), vec![(h, true)]);
        // In flight from 2: nobody else is asked until it answers or times out.
        assert!(s.requests_to_send(1, 3_000_000).is_empty());
        assert_eq!(
            s.requests_to_send(1, GETDATA_TX_INTERVAL + 1),
            vec![(h, true)]
        );
    }

    #[test]
    fn a_notfound_moves_the_request_on() {
        let mut s = state_with(&[(1, true), (2, true)]);
        let h = [9u8; 32];
        s.add_announcement(1, h, true, 0);
        s.add_announcement(2, h, true, 0);
        assert_eq!(s.requests_to_send(1, 0), vec![(h, true)]);
        s.received_response(1, &h);
        assert_eq!(s.requests_to_send(2, 1), vec![(h, true)]);
        s.received_response(2, &h);
        assert!(s.announcements.is_empty());
    }

    #[test]
    fn fee_filter_rounds_down_to_its_buckets() {
        // Two times in three the bucket below, else the one at or above.
        let down = round_fee_filter(1000, 1234, 1);
        assert!(down < 1234 && down > 1000, "{down}");
        let up = round_fee_filter(1000, 1234, 0);
        assert!((1234..1400).contains(&up), "{up}");
        assert_eq!(round_fee_filter(1000, 0, 0), 0);
        // Past the largest bucket: the largest.
        let max = round_fee_filter(1000, i64::MAX / 2, 0);
        assert!(max <= 10_000_000 && max > 9_000_000, "{max}");
    }
}
