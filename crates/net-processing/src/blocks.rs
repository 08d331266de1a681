//! Blocks: which to ask which peer for (`FindNextBlocksToDownload`), what is in flight,
//! taking a block from a peer, serving blocks (`getdata`), and block inventory.

use std::collections::VecDeque;

use bitcoin::p2p::message::NetworkMessage;
use bitcoin::p2p::message_blockdata::Inventory;
use bitcoin::{Block, BlockHash};
use chain::ChainState;
use common::log_debug;
use common::logging::Category;
use net::NodeId;

use crate::headers::{best_header_index, in_active_chain, last_common_ancestor, tip_index};
use crate::{lock, Inner, PeerManager};

/// Blocks in flight from one peer at most (`MAX_BLOCKS_IN_TRANSIT_PER_PEER`).
pub(crate) const MAX_BLOCKS_IN_TRANSIT_PER_PEER: usize = 16;
/// How long a peer may hold up the download window, microseconds
/// (`BLOCK_STALLING_TIMEOUT_DEFAULT`).
pub(crate) const BLOCK_STALLING_TIMEOUT_DEFAULT: i64 = 2_000_000;
/// The inventory type of a BIP37 filtered block (`MSG_FILTERED_BLOCK`).
const MSG_FILTERED_BLOCK: u32 = 3;
/// The flag asking for witness data (`MSG_WITNESS_FLAG`).
const MSG_WITNESS_FLAG: u32 = 1 << 30;
/// The stalling timeout never grows past this (`BLOCK_STALLING_TIMEOUT_MAX`).
pub(crate) const BLOCK_STALLING_TIMEOUT_MAX: i64 = 64_000_000;
/// How far past the last common block we download (`BLOCK_DOWNLOAD_WINDOW`).
const BLOCK_DOWNLOAD_WINDOW: u32 = 1024;
/// Block download timeout: block intervals, plus half an interval per other peer
/// we download from (`BLOCK_DOWNLOAD_TIMEOUT_BASE`, `_PER_PEER`).
const BLOCK_DOWNLOAD_TIMEOUT_BASE: f64 = 1.0;
const BLOCK_DOWNLOAD_TIMEOUT_PER_PEER: f64 = 0.5;
/// Blocks a pruned (limited) peer still serves (`NODE_NETWORK_LIMITED_MIN_BLOCKS`).
const NODE_NETWORK_LIMITED_MIN_BLOCKS: u32 = 288;
/// Most items in an `inv` or `getdata` (`MAX_INV_SZ`).
pub(crate) const MAX_INV_SZ: usize = 50_000;

impl PeerManager {
    /// `BlockRequested`: marks `hash` in flight from `id`. False if it already was.
    /// Other peers the block is in flight from keep their requests (parallel compact
    /// block download).
    pub(crate) fn block_requested(&self, inner: &mut Inner, id: NodeId, hash: BlockHash) -> bool {
        if in_flight_from(inner, &hash).contains(&id) {
            return false;
        }
        let now = self.now();
        let Some(p) = inner.peers.get_mut(&id) else {
            return false;
        };
        p.blocks_in_flight.push_back(hash);
        let first = p.blocks_in_flight.len() == 1;
        if first {
            p.downloading_since = now;
            inner.peers_downloading_from += 1;
        }
        inner.blocks_in_flight.entry(hash).or_default().push(id);
        true
    }

    /// `RemoveBlockRequest`: `hash` is no longer in flight (from `from`, or anyone).
    pub(crate) fn remove_block_request(
        &self,
        inner: &mut Inner,
        hash: BlockHash,
        from: Option<NodeId>,
    ) {
        let Some(owners) = inner.blocks_in_flight.remove(&hash) else {
            return;
        };
        let (removed, kept): (Vec<NodeId>, Vec<NodeId>) = owners
            .into_iter()
            .partition(|o| from.is_none_or(|f| f == *o));
        if !kept.is_empty() {
            inner.blocks_in_flight.insert(hash, kept);
        }
        let now = self.now();
        for owner in removed {
            let Some(p) = inner.peers.get_mut(&owner) else {
                continue;
            };
            if p.blocks_in_flight.front() == Some(&hash) {
                // The first block arrived: the next one's clock starts now.
                p.downloading_since = p.downloading_since.max(now);
            }
            p.blocks_in_flight.retain(|h| *h != hash);
            p.partial_blocks.remove(&hash);
            if p.blocks_in_flight.is_empty() {
                inner.peers_downloading_from -= 1;
            }
            p.stalling_since = 0;
        }
    }

    /// `FindNextBlocksToDownload`: up to `count` blocks to ask `id` for, and the peer
    /// stalling the window if nothing can be asked.
    pub(crate) fn find_next_blocks_to_download(
        &self,
        cs: &ChainState,
        inner: &mut Inner,
        id: NodeId,
        count: usize,
    ) -> (Vec<usize>, Option<NodeId>) {
        let mut blocks = Vec::new();
        if count == 0 {
            return (blocks, None);
        }
        self.process_block_availability(cs, inner, id);
        let index = cs.index();
        let tip = tip_index(cs);
        let min_work = bitcoin::pow::Work::from_be_bytes(self.minimum_chain_work(cs));
        let Some(p) = inner.peers.get(&id) else {
            return (blocks, None);
        };
        let Some(best) = p.best_known else {
            return (blocks, None);
        };
        let best_work = index.entry(best).chain_work;
        if best_work < index.entry(tip).chain_work || best_work < min_work {
            return (blocks, None);
        }
        let fork = last_common_ancestor(cs, best, tip);
        let mut last_common = match p.last_common {
            Some(lc)
                if index.entry(fork).chain_work <= index.entry(lc).chain_work
                    && index.ancestor(best, index.entry(lc).height) == Some(lc) =>
            {
                lc
            }
            _ => fork,
        };
        if last_common == best {
            if let Some(p) = inner.peers.get_mut(&id) {
                p.last_common = Some(last_common);
            }
            return (blocks, None);
        }
        let limited = p.is_limited();
        let witnesses = p.can_serve_witnesses();
        let window_end = index.entry(last_common).height + BLOCK_DOWNLOAD_WINDOW;
        let max_height = index.entry(best).height.min(window_end + 1);
        let best_height = index.entry(best).height;
        let mut walk = last_common;
        let mut waiting_for: Option<NodeId> = None;
        let mut staller = None;
        'outer: while index.entry(walk).height < max_height {
            let walk_height = index.entry(walk).height;
            let to_fetch = (max_height - walk_height)
                .min((count.saturating_sub(blocks.len())).max(128) as u32);
            let Some(end) = index.ancestor(best, walk_height + to_fetch) else {
                break;
            };
            let mut chunk = VecDeque::with_capacity(to_fetch as usize);
            let mut cur = Some(end);
            while let Some(c) = cur {
                if c == walk {
                    break;
                }
                chunk.push_front(c);
                cur = index.entry(c).prev;
            }
            walk = end;
            for i in chunk {
                let e = index.entry(i);
                if e.status.failed() {
                    break 'outer;
                }
                if !witnesses && e.height >= cs.params().segwit_height {
                    break 'outer;
                }
                if e.data.is_some() || in_active_chain(cs, i) {
                    // Stored with all its ancestors counts as common too, so the window
                    // moves along a stored side chain that is not connected (yet).
                    if in_active_chain(cs, i) || cs.have_num_chain_txs(i) {
                        last_common = i;
                    }
                    continue;
                }
                if let Some(&owner) = in_flight_from(inner, &e.hash).first() {
                    if waiting_for.is_none() {
                        waiting_for = Some(owner);
                    }
                    continue;
                }
                if e.height > window_end {
                    if blocks.is_empty() && waiting_for != Some(id) {
                        staller = waiting_for;
                    }
                    break 'outer;
                }
                if limited && best_height - e.height >= NODE_NETWORK_LIMITED_MIN_BLOCKS - 2 {
                    continue;
                }
                blocks.push(i);
                if blocks.len() == count {
                    break 'outer;
                }
            }
        }
        if let Some(p) = inner.peers.get_mut(&id) {
            p.last_common = Some(last_common);
        }
        (blocks, staller)
    }

    /// `FetchBlock`, for `getblockfrompeer`: asks peer `id` for block `hash`, whose
    /// header we have; the error text is Core's.
    pub fn fetch_block(&self, id: NodeId, hash: BlockHash) -> Result<(), String> {
        let cs = self.node.chainstate();
        let mut inner = lock(&self.inner);
        let Some(p) = inner.peers.get(&id) else {
            return Err("Peer does not exist".into());
        };
        if !p.can_serve_witnesses() {
            return Err("Pre-SegWit peer".into());
        }
        let height = cs
            .index()
            .find(&hash)
            .map(|i| cs.index().entry(i).height)
            .unwrap_or(0);
        self.remove_block_request(&mut inner, hash, None);
        if !self.block_requested(&mut inner, id, hash) {
            return Err("Already requested from this peer".into());
        }
        if !inner
            .peers
            .get(&id)
            .is_some_and(|p| p.successfully_connected)
        {
            return Err("Peer not fully connected".into());
        }
        self.send(
            id,
            &NetworkMessage::GetData(vec![Inventory::WitnessBlock(hash)]),
        );
        log_debug!(
            Category::Net,
            "Requesting block {} ({}) peer={}",
            hash,
            height,
            id
        );
        Ok(())
    }

    /// A `block` message.
    pub(crate) fn process_block_message(&self, id: NodeId, block: Block) {
        let hash = block.block_hash();
        log_debug!(Category::Net, "received block {} peer={}", hash, id);
        let (force_processing, min_pow_checked);
        {
            let cs = self.node.chainstate();
            let mut inner = lock(&self.inner);
            let prev = cs.index().find(&block.header.prev_blockhash);
            if let Some(prev) = prev {
                let segwit = cs.index().entry(prev).height + 1 >= cs.params().segwit_height;
                if let Some(why) = chain::validation::block_mutation(&block, segwit) {
                    if let Some(e) = why {
                        log_debug!(Category::Validation, "Block mutated: {}", e);
                    }
                    log_debug!(Category::Net, "Received mutated block from peer={}", id);
                    self.misbehaving(&mut inner, id, "mutated block");
                    self.remove_block_request(&mut inner, hash, Some(id));
                    return;
                }
            }
            force_processing = inner.blocks_in_flight.contains_key(&hash);
            self.remove_block_request(&mut inner, hash, Some(id));
            // The header may join the index only if its chain has the anti-DoS work.
            min_pow_checked = prev.is_some_and(|p| {
                cs.index().entry(p).chain_work + chain::pow::block_proof(block.header.bits)
                    >= self.anti_dos_work_threshold(&cs)
            });
        }
        self.process_new_block(id, &block, false, force_processing, min_pow_checked);
    }

    /// A `getdata` message: queued, then answered in order.
    pub(crate) fn process_getdata_message(
        &self,
        inner: &mut Inner,
        id: NodeId,
        invs: Vec<Inventory>,
    ) {
        if invs.len() > MAX_INV_SZ {
            self.misbehaving(inner, id, &format!("getdata message size = {}", invs.len()));
            return;
        }
        log_debug!(
            Category::Net,
            "received getdata ({} invsz) peer={}",
            invs.len(),
            id
        );
        if let Some(first) = invs.first() {
            log_debug!(
                Category::Net,
                "received getdata for: {} peer={}",
                inv_text(first),
                id
            );
        }
        if let Some(p) = inner.peers.get_mut(&id) {
            p.getdata_requests.extend(invs);
        }
    }

    /// `ProcessGetData`: transactions from the front of the queue, then one block.
    pub(crate) fn process_getdata(&self, id: NodeId) {
        let cs = self.node.chainstate();
        let mut pool = self.node.mempool();
        let mut inner = lock(&self.inner);
        // The latest block's transactions may be asked for too (compact block peers).
        let recent = inner.most_recent.as_ref().map(|r| r.block.clone());
        let Some(p) = inner.peers.get_mut(&id) else {
            return;
        };
        let mut not_found = Vec::new();
        let mut pending: VecDeque<Inventory> = std::mem::take(&mut p.getdata_requests);
        while let Some(inv) = pending.front() {
            if !is_tx_inv(inv) || self.conns.send_paused(id) {
                break;
            }
            let Some(inv) = pending.pop_front() else {
                break;
            };
            let Some(relay) = &p.tx_relay else {
                continue;
            };
            let found = crate::txrelay::find_tx_for_getdata(&pool, relay, &inv).or_else(|| {
                recent
                    .as_deref()
                    .and_then(|b| crate::txrelay::tx_in_block(b, &inv))
            });
            match found {
                Some(tx) => {
                    let with_witness = !matches!(inv, Inventory::Transaction(_));
                    let msg = if with_witness {
                        NetworkMessage::Tx((*tx).clone())
                    } else {
                        NetworkMessage::Tx(crate::txrelay::strip_witness(&tx))
                    };
                    self.send(id, &msg);
                    // A peer asked for it: it reached the network.
                    pool.remove_unbroadcast(&tx.compute_txid());
                }
                None => not_found.push(inv),
            }
        }
        let block_item = if !self.conns.send_paused(id) {
            pending.pop_front()
        } else {
            None
        };
        p.getdata_requests = pending;
        drop(pool);
        if let Some(inv) = block_item {
            match inv {
                Inventory::Block(h) | Inventory::WitnessBlock(h) | Inventory::CompactBlock(h) => {
                    self.serve_block(&cs, &mut inner, id, &inv, h);
                }
                // A filtered block (BIP37) needs NODE_BLOOM; without it the request is
                // a protocol violation.
                Inventory::Unknown { inv_type, .. }
                    if inv_type & !MSG_WITNESS_FLAG == MSG_FILTERED_BLOCK =>
                {
                    if let Some(p) = inner.peers.get(&id) {
                        if p.our_services & p2p::constants::NODE_BLOOM == 0 {
                            log_debug!(
                                Category::Net,
                                "filtered block request received when NODE_BLOOM service disabled, {}",
                                Self::disconnect_msg(&p.conn)
                            );
                            self.conns.disconnect(id);
                        }
                    }
                }
                _ => {}
            }
        }
        if !not_found.is_empty() {
            self.send(id, &NetworkMessage::NotFound(not_found));
        }
    }

    /// `ProcessGetBlockData`.
    fn serve_block(
        &self,
        cs: &ChainState,
        inner: &mut Inner,
        id: NodeId,
        inv: &Inventory,
        hash: BlockHash,
    ) {
        let Some(i) = cs.index().find(&hash) else {
            return;
        };
        if !self.block_request_allowed(cs, i) {
            log_debug!(
                Category::Net,
                "ProcessGetBlockData: ignoring request from peer={} for old block that isn't in the main chain",
                id
            );
            return;
        }
        if cs.index().entry(i).data.is_none() {
            return;
        }
        let block = match cs.read_block(&hash) {
            Ok(Some(b)) => b,
            _ => {
                if let Some(p) = inner.peers.get(&id) {
                    common::log_error!(
                        "Cannot load block from disk, {}",
                        Self::disconnect_msg(&p.conn)
                    );
                }
                self.conns.disconnect(id);
                return;
            }
        };
        match inv {
            Inventory::Block(_) => {
                self.send(id, &NetworkMessage::Block(strip_block_witness(&block)));
            }
            Inventory::CompactBlock(_) => {
                // Old blocks go whole: the asker's pool would not help it.
                let height = cs.index().entry(i).height;
                if self.can_direct_fetch(cs)
                    && height + crate::compact_relay::MAX_CMPCTBLOCK_DEPTH >= cs.height()
                {
                    let compact = match inner.most_recent.as_ref().filter(|r| r.hash == hash) {
                        Some(r) => (*r.compact).clone(),
                        None => crate::compact::compact_block(&block, self.next_random()),
                    };
                    self.send(
                        id,
                        &NetworkMessage::CmpctBlock(
                            bitcoin::p2p::message_compact_blocks::CmpctBlock {
                                compact_block: compact,
                            },
                        ),
                    );
                } else {
                    self.send(id, &NetworkMessage::Block(block));
                }
            }
            _ => self.send(id, &NetworkMessage::Block(block)),
        }
        let tip_hash = cs.tip();
        if let Some(p) = inner.peers.get_mut(&id) {
            if p.continue_hash == Some(hash) {
                // The last block of a getblocks answer: point the peer at our tip so it
                // asks for the next batch.
                self.send(id, &NetworkMessage::Inv(vec![Inventory::Block(tip_hash)]));
                p.continue_hash = None;
            }
        }
    }

    /// The block part of an `inv` message.
    pub(crate) fn process_block_inv(
        &self,
        cs: &ChainState,
        inner: &mut Inner,
        id: NodeId,
        hash: BlockHash,
    ) -> bool {
        let have = cs
            .index()
            .find(&hash)
            .is_some_and(|i| cs.index().entry(i).data.is_some());
        log_debug!(
            Category::Net,
            "got inv: block {} {} peer={}",
            hash,
            if have { "have" } else { "new" },
            id
        );
        self.update_block_availability(cs, inner, id, hash);
        !have && !inner.blocks_in_flight.contains_key(&hash)
    }

    /// After an `inv` whose last new block is `best`: maybe ask the peer for headers.
    pub(crate) fn getheaders_for_inv(
        &self,
        cs: &ChainState,
        inner: &mut Inner,
        id: NodeId,
        best: BlockHash,
    ) {
        let Some(p) = inner.peers.get(&id) else {
            return;
        };
        let sync_started = p.sync_started;
        if sync_started
            || (!p.inv_triggered_getheaders_before_sync
                && inner.last_block_inv_triggering_headers_sync != Some(best))
        {
            let bh = best_header_index(cs);
            let locator = cs.locator_from(bh);
            if self.maybe_send_getheaders(inner, id, locator) {
                log_debug!(
                    Category::Net,
                    "getheaders ({}) {} to peer={}",
                    cs.index().entry(bh).height,
                    best,
                    id
                );
            }
            if !sync_started {
                if let Some(p) = inner.peers.get_mut(&id) {
                    p.inv_triggered_getheaders_before_sync = true;
                }
                inner.last_block_inv_triggering_headers_sync = Some(best);
            }
        }
    }

    /// Block stalling and download timeouts (in `SendMessages`). True if the peer is
    /// being disconnected.
    pub(crate) fn check_block_download_timeouts(
        &self,
        cs: &ChainState,
        inner: &mut Inner,
        id: NodeId,
    ) -> bool {
        let now = self.now();
        let timeout = inner.stalling_timeout;
        let others = inner.peers_downloading_from - 1;
        let Some(p) = inner.peers.get(&id) else {
            return false;
        };
        if p.stalling_since != 0 && p.stalling_since < now - timeout {
            common::log_info!(
                "Peer is stalling block download, {}",
                Self::disconnect_msg(&p.conn)
            );
            self.conns.disconnect(id);
            let grown = (2 * timeout).min(BLOCK_STALLING_TIMEOUT_MAX);
            if grown != timeout {
                inner.stalling_timeout = grown;
                log_debug!(
                    Category::Net,
                    "Increased stalling timeout temporarily to {} seconds",
                    grown / 1_000_000
                );
            }
            return true;
        }
        if let Some(first) = p.blocks_in_flight.front() {
            let spacing = cs.params().pow.pow_target_spacing as f64 * 1e6;
            let allowed = spacing
                * (BLOCK_DOWNLOAD_TIMEOUT_BASE
                    + BLOCK_DOWNLOAD_TIMEOUT_PER_PEER * f64::from(others));
            if (now as f64) > p.downloading_since as f64 + allowed {
                common::log_info!(
                    "Timeout downloading block {}, {}",
                    first,
                    Self::disconnect_msg(&p.conn)
                );
                self.conns.disconnect(id);
                return true;
            }
        }
        false
    }
}

/// Whether an inventory item names a transaction.
pub(crate) fn is_tx_inv(inv: &Inventory) -> bool {
    matches!(
        inv,
        Inventory::Transaction(_) | Inventory::WitnessTransaction(_) | Inventory::WTx(_)
    )
}

/// Core's `CInv::ToString`: `<type> <hash>`.
pub(crate) fn inv_text(inv: &Inventory) -> String {
    match inv {
        Inventory::Error => {
            "ERROR 0000000000000000000000000000000000000000000000000000000000000000".into()
        }
        Inventory::Transaction(h) => format!("tx {h}"),
        Inventory::Block(h) => format!("block {h}"),
        Inventory::CompactBlock(h) => format!("cmpctblock {h}"),
        Inventory::WTx(h) => format!("wtx {h}"),
        Inventory::WitnessTransaction(h) => format!("witness-tx {h}"),
        Inventory::WitnessBlock(h) => format!("witness-block {h}"),
        Inventory::Unknown { inv_type, hash } => {
            let mut rev = *hash;
            rev.reverse();
            let hex: String = rev.iter().map(|b| format!("{b:02x}")).collect();
            format!("0x{inv_type:08x} {hex}")
        }
    }
}

/// A copy of `block` without witnesses, for peers that asked for `MSG_BLOCK`.
fn strip_block_witness(block: &Block) -> Block {
    let mut b = block.clone();
    for tx in &mut b.txdata {
        for input in &mut tx.input {
            input.witness.clear();
        }
    }
    b
}

/// The peers `hash` is in flight from, first requester first; empty if none.
pub(crate) fn in_flight_from<'a>(inner: &'a Inner, hash: &BlockHash) -> &'a [NodeId] {
    inner.blocks_in_flight.get(hash).map_or(&[], Vec::as_slice)
}
