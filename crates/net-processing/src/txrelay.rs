//! Transaction relay: what each peer knows and is owed (`TxRelay`), announcements and
//! requests (through the download manager, [`crate::txdownload`]), taking a transaction
//! from a peer (alone, as an orphan, or with its parent as a package), answering
//! `getdata` and `mempool`, and the fee filter we send.

use std::collections::{HashSet, VecDeque};
use std::sync::Arc;

use bitcoin::hashes::Hash;
use bitcoin::p2p::message::NetworkMessage;
use bitcoin::p2p::message_blockdata::Inventory;
use bitcoin::{Transaction, Txid, Wtxid};
use chain::ChainState;
use common::log_debug;
use common::logging::Category;
use mempool::accept::{PackageResult, TxResult, TxResultKind};
use mempool::Mempool;
use net::{NetPermissions, NodeId};

use crate::blocks::{inv_text, MAX_INV_SZ};
use crate::txdownload::{PackageToValidate, MAX_PEER_TX_ANNOUNCEMENTS};
use crate::txrequest::GenTxid;
use crate::{lock, Inner, PeerManager};

/// Average time between inventory sends to inbound peers (`INBOUND_INVENTORY_BROADCAST_INTERVAL`).
const INBOUND_INVENTORY_BROADCAST_INTERVAL: i64 = 5_000_000;
/// Average time between inventory sends to outbound peers.
const OUTBOUND_INVENTORY_BROADCAST_INTERVAL: i64 = 2_000_000;
/// Most `getdata` items per message we send (`MAX_GETDATA_SZ`).
pub(crate) const MAX_GETDATA_SZ: usize = 1000;
/// Hashes a peer is known to have, kept per peer (the size of Core's filter).
const KNOWN_INVENTORY_LIMIT: usize = 50_000;
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
            // Core starts it at 1, as the pool starts its sequence.
            last_inv_sequence: 1,
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

/// The transaction of `block` a `getdata` item asks for (Core's
/// `m_most_recent_block_txs`).
pub(crate) fn tx_in_block(block: &bitcoin::Block, inv: &Inventory) -> Option<Arc<Transaction>> {
    block
        .txdata
        .iter()
        .find(|tx| match inv {
            Inventory::WTx(w) => tx.compute_wtxid() == *w,
            Inventory::Transaction(t) | Inventory::WitnessTransaction(t) => tx.compute_txid() == *t,
            _ => false,
        })
        .map(|tx| Arc::new(tx.clone()))
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
            let g = if wtxid {
                GenTxid::wtxid(hash)
            } else {
                GenTxid::txid(hash)
            };
            let now = self.now();
            let pool = self.node.mempool();
            let have = inner.tx.add_tx_announcement(&pool, id, g, now);
            drop(pool);
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
                    if !seen.insert(tx_inv_key(inv)) {
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
        let tx = Arc::new(tx);
        let txid = tx.compute_txid();
        let wtxid = tx.compute_wtxid();
        let package = {
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
            let (should_validate, package) = inner.tx.received_tx(&pool, id, &tx);
            if !should_validate {
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
                match package {
                    Some(p) => p,
                    None => return,
                }
            } else {
                drop(inner);
                drop(pool);
                drop(cs);
                let result = self.node.accept_transaction(tx.clone());
                let pool = self.node.mempool();
                let mut inner = lock(&self.inner);
                match &result {
                    TxResult::Valid { replaced, .. } => {
                        // What it replaced may still turn up in a block.
                        for r in replaced {
                            self.add_extra_transaction(&mut inner, r.clone());
                        }
                        self.process_valid_tx(&pool, &mut inner, id, &tx);
                        let now = self.now() / 1_000_000;
                        if let Some(p) = inner.peers.get_mut(&id) {
                            p.last_tx_time = now;
                        }
                        self.conns.set_last_tx_time(id, now);
                        return;
                    }
                    TxResult::Invalid { state, .. } => {
                        match self.process_invalid_tx(&pool, &mut inner, id, &tx, Some(state), true)
                        {
                            Some(p) => p,
                            None => return,
                        }
                    }
                    TxResult::InMempool { .. } | TxResult::DifferentWitness { .. } => return,
                }
            }
        };
        self.validate_package(package);
    }

    /// Submits a 1-parent-1-child package and acts on the result.
    fn validate_package(&self, package: PackageToValidate) {
        let result = self.node.accept_package(package.txns.to_vec());
        log_debug!(
            Category::TxPackages,
            "package evaluation for {}: {}",
            package,
            if result.state.is_none() {
                "package accepted"
            } else {
                "package rejected"
            }
        );
        let pool = self.node.mempool();
        let mut inner = lock(&self.inner);
        self.process_package_result(&pool, &mut inner, &package, &result);
    }

    /// `ProcessValidTx`: the transaction entered the pool.
    fn process_valid_tx(&self, pool: &Mempool, inner: &mut Inner, id: NodeId, tx: &Transaction) {
        inner.tx.mempool_accepted_tx(tx);
        let wtxid = tx.compute_wtxid();
        log_debug!(
            Category::Mempool,
            "AcceptToMemoryPool: peer={}: accepted {} (wtxid={}) (poolsz {} txn, {} kB)",
            id,
            tx.compute_txid(),
            wtxid,
            pool.size(),
            pool.dynamic_usage() / 1000
        );
        self.queue_tx_for_all(inner, wtxid);
    }

    /// `ProcessInvalidTx`: the transaction was rejected. Returns a package to try when
    /// a low-fee parent may go in with a child we hold.
    fn process_invalid_tx(
        &self,
        pool: &Mempool,
        inner: &mut Inner,
        id: NodeId,
        tx: &Arc<Transaction>,
        state: Option<&mempool::accept::TxState>,
        first_time_failure: bool,
    ) -> Option<PackageToValidate> {
        log_debug!(
            Category::MempoolRej,
            "{} (wtxid={}) from peer={} was not accepted: {}",
            tx.compute_txid(),
            tx.compute_wtxid(),
            id,
            state.map(|s| s.to_string()).unwrap_or_default()
        );
        let now = self.now();
        let todo = inner.tx.mempool_rejected_tx(
            pool,
            tx,
            state.map(|s| s.kind),
            id,
            first_time_failure,
            now,
        );
        // The sender has the parents: do not announce them to it.
        if let Some(r) = inner.peers.get_mut(&id).and_then(|p| p.tx_relay.as_mut()) {
            for parent in &todo.unique_parents {
                r.known.insert(parent.to_byte_array());
            }
        }
        // Kept for rebuilding compact blocks, unless its witness was stripped (a block
        // would carry it with the witness) or it is waiting as an orphan.
        let stripped = state.is_some_and(|s| s.kind == TxResultKind::WitnessStripped);
        let orphan = state.is_some_and(|s| s.kind == TxResultKind::MissingInputs);
        if !stripped && !orphan {
            self.maybe_add_rejected_extra(inner, tx);
        }
        todo.package_to_validate
    }

    /// `ProcessPackageResult`: each transaction of a tried package, child first (so an
    /// accepted parent does not queue a child that is already settled).
    fn process_package_result(
        &self,
        pool: &Mempool,
        inner: &mut Inner,
        package: &PackageToValidate,
        result: &PackageResult,
    ) {
        if result.state.is_some() {
            inner.tx.mempool_rejected_package(&package.txns);
        }
        for (tx, sender) in package.txns.iter().zip(package.senders).rev() {
            match result.results.get(&tx.compute_wtxid()) {
                Some(TxResult::Valid { .. }) => self.process_valid_tx(pool, inner, sender, tx),
                Some(TxResult::Invalid { state, .. }) => {
                    self.process_invalid_tx(pool, inner, sender, tx, Some(state), false);
                }
                Some(TxResult::DifferentWitness { .. }) => {
                    self.process_invalid_tx(pool, inner, sender, tx, None, false);
                }
                Some(TxResult::InMempool { .. }) | None => {}
            }
        }
    }

    /// `ProcessOrphanTx`: reconsiders `id`'s queued orphans until one is settled
    /// (accepted, or rejected for another reason than missing inputs). Returns whether
    /// one was.
    pub(crate) fn process_orphan_tx(&self, id: NodeId) -> bool {
        loop {
            let Some(tx) = lock(&self.inner).tx.get_tx_to_reconsider(id) else {
                return false;
            };
            let result = self.node.accept_transaction(tx.clone());
            let txid = tx.compute_txid();
            let wtxid = tx.compute_wtxid();
            let pool = self.node.mempool();
            let mut inner = lock(&self.inner);
            match &result {
                TxResult::Valid { .. } => {
                    log_debug!(
                        Category::TxPackages,
                        "   accepted orphan tx {} (wtxid={})",
                        txid,
                        wtxid
                    );
                    self.process_valid_tx(&pool, &mut inner, id, &tx);
                    return true;
                }
                TxResult::Invalid { state, .. } if state.kind == TxResultKind::MissingInputs => {}
                TxResult::Invalid { state, .. } => {
                    log_debug!(
                        Category::TxPackages,
                        "   invalid orphan tx {} (wtxid={}) from peer={}. {}",
                        txid,
                        wtxid,
                        id,
                        state
                    );
                    self.process_invalid_tx(&pool, &mut inner, id, &tx, Some(state), false);
                    return true;
                }
                TxResult::InMempool { .. } | TxResult::DifferentWitness { .. } => {
                    log_debug!(
                        Category::TxPackages,
                        "   invalid orphan tx {} (wtxid={}) from peer={}. ",
                        txid,
                        wtxid,
                        id
                    );
                    return true;
                }
            }
        }
    }

    /// Whether `id` has an orphan to reconsider (`HaveMoreWork`).
    pub(crate) fn have_more_tx_work(&self, id: NodeId) -> bool {
        lock(&self.inner).tx.have_more_work(id)
    }

    /// The orphanage's transactions with their announcers (for `getorphantxs`).
    pub fn orphan_transactions(&self) -> Vec<crate::OrphanInfo> {
        lock(&self.inner).tx.orphan_transactions()
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

    /// `ReattemptInitialBroadcast`: announces again every transaction of ours that no
    /// peer has asked for yet, and forgets those that left the pool.
    pub fn reattempt_initial_broadcast(&self) {
        let wtxids: Vec<Wtxid> = {
            let mut pool = self.node.mempool();
            let mut out = Vec::new();
            for txid in pool.unbroadcast() {
                match pool.entry(&txid).map(|e| e.wtxid) {
                    Some(w) => out.push(w),
                    None => pool.remove_unbroadcast(&txid),
                }
            }
            out
        };
        let mut inner = lock(&self.inner);
        for w in wtxids {
            self.queue_tx_for_all(&mut inner, w);
        }
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
        let mut hashes = Vec::new();
        if invs.len() <= MAX_PEER_TX_ANNOUNCEMENTS + crate::blocks::MAX_BLOCKS_IN_TRANSIT_PER_PEER {
            for inv in &invs {
                match inv {
                    Inventory::WTx(w) => hashes.push(GenTxid::wtxid(w.to_byte_array())),
                    Inventory::Transaction(t) | Inventory::WitnessTransaction(t) => {
                        hashes.push(GenTxid::txid(t.to_byte_array()))
                    }
                    _ => {}
                }
            }
        }
        inner.tx.received_not_found(id, &hashes);
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
        let next_inbound = inner.next_inv_to_inbounds;
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
            inner.next_inv_to_inbounds = t;
        }
    }

    /// The transaction `getdata` requests due to `id`.
    pub(crate) fn tx_requests_due(
        &self,
        pool: &Mempool,
        inner: &mut Inner,
        id: NodeId,
        getdata: &mut Vec<Inventory>,
    ) {
        let now = self.now();
        let witnesses = inner
            .peers
            .get(&id)
            .is_some_and(|p| p.can_serve_witnesses());
        for g in inner.tx.get_requests_to_send(pool, id, now) {
            let inv = if g.wtxid {
                Inventory::WTx(Wtxid::from_byte_array(g.hash))
            } else if witnesses {
                Inventory::WitnessTransaction(Txid::from_byte_array(g.hash))
            } else {
                Inventory::Transaction(Txid::from_byte_array(g.hash))
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

/// What an `inv` message's duplicate filter compares: `MSG_WITNESS_TX` counts as a txid,
/// as `MSG_TX` does, so one of them repeating the other is a duplicate; a wtxid is
/// compared only with wtxids.
fn tx_inv_key(inv: &Inventory) -> (bool, [u8; 32]) {
    match inv {
        Inventory::WTx(w) => (true, w.to_byte_array()),
        Inventory::Transaction(t) | Inventory::WitnessTransaction(t) => (false, t.to_byte_array()),
        _ => (false, [0; 32]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fee_filter_rounds_down_to_its_buckets() {
        // Two times in three the bucket below, else the one at or above.
        let down = round_fee_filter(1000, 1234, 1);
        assert!((1001..1234).contains(&down), "{down}");
        let up = round_fee_filter(1000, 1234, 0);
        assert!((1234..1400).contains(&up), "{up}");
        assert_eq!(round_fee_filter(1000, 0, 0), 0);
        // Past the largest bucket: the largest.
        let max = round_fee_filter(1000, i64::MAX / 2, 0);
        assert!(max <= 10_000_000 && max > 9_000_000, "{max}");
    }

    #[test]
    fn witness_tx_invs_are_deduplicated_as_txids() {
        let h = Txid::from_byte_array([7; 32]);
        let w = Wtxid::from_byte_array([7; 32]);
        let tx = tx_inv_key(&Inventory::Transaction(h));
        assert_eq!(tx, tx_inv_key(&Inventory::WitnessTransaction(h)));
        assert_ne!(tx, tx_inv_key(&Inventory::WTx(w)));
    }
}
