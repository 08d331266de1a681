//! Compact block relay (BIP152) in the peer logic: taking `cmpctblock`, `getblocktxn`
//! and `blocktxn`, pushing new blocks early to peers that asked for high-bandwidth
//! mode, choosing our own high-bandwidth peers, and the extra transactions kept for
//! rebuilding blocks.

use std::sync::Arc;

use bitcoin::bip152::{BlockTransactions, BlockTransactionsRequest, HeaderAndShortIds};
use bitcoin::block::Header;
use bitcoin::p2p::message::NetworkMessage;
use bitcoin::p2p::message_blockdata::Inventory;
use bitcoin::p2p::message_compact_blocks::{BlockTxn, CmpctBlock, GetBlockTxn, SendCmpct};
use bitcoin::{Block, BlockHash, Transaction};
use chain::index::BlockStatus;
use chain::{BlockOutcome, ChainState, HeaderError, ProcessError};
use common::logging::Category;
use common::{log_debug, log_info};
use net::NodeId;

use crate::compact::{compact_block, PartiallyDownloadedBlock, ReadStatus, CMPCTBLOCKS_VERSION};
use crate::headers::{best_header_index, tip_index};
use crate::{lock, Inner, PeerManager};

/// Blocks deeper than this are answered with a full block when asked for as compact
/// blocks (`MAX_CMPCTBLOCK_DEPTH`).
pub(crate) const MAX_CMPCTBLOCK_DEPTH: u32 = 5;
/// Blocks deeper than this get no `blocktxn` answer, the full block instead
/// (`MAX_BLOCKTXN_DEPTH`).
pub(crate) const MAX_BLOCKTXN_DEPTH: u32 = 10;
/// Extra transactions kept for rebuilding compact blocks
/// (`DEFAULT_BLOCK_RECONSTRUCTION_EXTRA_TXN`).
pub(crate) const MAX_EXTRA_TXS: usize = 100;
/// Extra transactions using more memory than this are not kept.
const MAX_EXTRA_TX_USAGE: usize = 100_000;
/// Peers we ask for high-bandwidth compact blocks at most (BIP152).
const MAX_HB_PEERS: usize = 3;
/// Peers a block may be in flight from at once, to reconstruct it from compact blocks in
/// parallel (`MAX_CMPCTBLOCKS_INFLIGHT_PER_BLOCK`).
const MAX_CMPCTBLOCKS_INFLIGHT_PER_BLOCK: usize = 3;

/// The latest block that passed its checks on our tip, kept ready for relay.
pub(crate) struct RecentBlock {
    pub hash: BlockHash,
    pub block: Arc<Block>,
    pub compact: Arc<HeaderAndShortIds>,
}

/// What a `cmpctblock` leads to once the locks are released.
enum Next {
    Done,
    /// Every transaction was found: fill and process at once.
    Fill(BlockHash),
    /// Too far ahead to rebuild: treat the header as a `headers` announcement.
    Headers(Header),
    /// Rebuilt while another peer is sending the same block.
    Reconstructed(Block),
}

/// The message to send for a compact block.
fn cmpct_message(c: HeaderAndShortIds) -> NetworkMessage {
    NetworkMessage::CmpctBlock(CmpctBlock { compact_block: c })
}

impl PeerManager {
    /// The inventory to fetch a full block with from `id` (`MSG_BLOCK` with
    /// `GetFetchFlags`).
    pub(crate) fn full_block_inv(inner: &Inner, id: NodeId, hash: BlockHash) -> Inventory {
        if inner
            .peers
            .get(&id)
            .is_some_and(|p| p.can_serve_witnesses())
        {
            Inventory::WitnessBlock(hash)
        } else {
            Inventory::Block(hash)
        }
    }

    /// `AddToCompactExtraTransactions`.
    pub(crate) fn add_extra_transaction(&self, inner: &mut Inner, tx: Arc<Transaction>) {
        let entry = (tx.compute_wtxid(), tx);
        if inner.extra_txns.len() < MAX_EXTRA_TXS {
            inner.extra_txns.push(entry);
        } else {
            let at = inner.extra_txns_next;
            inner.extra_txns[at] = entry;
        }
        inner.extra_txns_next = (inner.extra_txns_next + 1) % MAX_EXTRA_TXS;
    }

    /// A rejected transaction is worth keeping for compact blocks unless it is large.
    pub(crate) fn maybe_add_rejected_extra(&self, inner: &mut Inner, tx: &Arc<Transaction>) {
        if mempool::usage::tx_usage(tx) < MAX_EXTRA_TX_USAGE {
            self.add_extra_transaction(inner, tx.clone());
        }
    }

    /// The compact form of index entry `i`: the cached one if it is the latest block,
    /// else built from the stored block with a fresh nonce.
    pub(crate) fn compact_block_for(
        &self,
        cs: &ChainState,
        inner: &Inner,
        i: usize,
    ) -> Option<HeaderAndShortIds> {
        let hash = cs.index().entry(i).hash;
        if let Some(r) = inner.most_recent.as_ref().filter(|r| r.hash == hash) {
            return Some((*r.compact).clone());
        }
        let block = cs.read_block(&hash).ok().flatten()?;
        Some(compact_block(&block, self.next_random()))
    }

    /// `NewPoWValidBlock`: cache the block and push it as a compact block to every
    /// high-bandwidth peer that has its parent but not it.
    pub(crate) fn new_pow_valid_block(
        &self,
        cs: &ChainState,
        inner: &mut Inner,
        block: Arc<Block>,
        height: u32,
    ) {
        let compact = Arc::new(compact_block(&block, self.next_random()));
        if height <= inner.highest_fast_announce {
            return;
        }
        inner.highest_fast_announce = height;
        if height < inner.segwit_height {
            return;
        }
        let hash = block.block_hash();
        inner.most_recent = Some(RecentBlock {
            hash,
            block,
            compact: compact.clone(),
        });
        let Some(i) = cs.index().find(&hash) else {
            return;
        };
        let prev = cs.index().entry(i).prev;
        let ids: Vec<NodeId> = inner.peers.keys().copied().collect();
        for id in ids {
            let ready = inner.peers.get(&id).is_some_and(|p| {
                p.successfully_connected
                    && p.common_version >= p2p::constants::INVALID_CB_NO_BAN_VERSION
            });
            if !ready || self.conns.is_disconnecting(id) {
                continue;
            }
            self.process_block_availability(cs, inner, id);
            let Some(p) = inner.peers.get_mut(&id) else {
                continue;
            };
            if p.requested_hb_cmpctblocks
                && !Self::peer_has_header(cs, p.best_known, p.best_header_sent, i)
                && prev.is_some_and(|pr| {
                    Self::peer_has_header(cs, p.best_known, p.best_header_sent, pr)
                })
            {
                log_debug!(
                    Category::Net,
                    "PeerManager::NewPoWValidBlock sending header-and-ids {} to peer={}",
                    hash,
                    id
                );
                self.send(id, &cmpct_message((*compact).clone()));
                p.best_header_sent = Some(i);
            }
        }
    }

    /// `MaybeSetPeerAsAnnouncingHeaderAndIDs`: `id` gave us a new block first; ask it
    /// for high-bandwidth compact blocks, keeping at most three such peers and, when
    /// one is outbound, not dropping the last outbound one for an inbound one.
    pub(crate) fn maybe_set_peer_as_announcing_header_and_ids(
        &self,
        inner: &mut Inner,
        id: NodeId,
    ) {
        // Without a pool worth the name we could not rebuild compact blocks.
        if self.opts.ignore_incoming_txs {
            return;
        }
        let Some(p) = inner.peers.get(&id) else {
            return;
        };
        if !p.provides_cmpctblocks {
            return;
        }
        let inbound = p.is_inbound();
        let mut outbound_hb = 0;
        for (pos, &other) in inner.hb_peers.iter().enumerate() {
            if other == id {
                inner.hb_peers.remove(pos);
                inner.hb_peers.push_back(id);
                return;
            }
            if inner.peers.get(&other).is_some_and(|o| !o.is_inbound()) {
                outbound_hb += 1;
            }
        }
        if inbound && inner.hb_peers.len() >= MAX_HB_PEERS && outbound_hb == 1 {
            let front_outbound = inner
                .hb_peers
                .front()
                .and_then(|f| inner.peers.get(f))
                .is_some_and(|o| !o.is_inbound());
            if front_outbound {
                // Keep the only outbound one out of the slot about to be freed.
                inner.hb_peers.swap(0, 1);
            }
        }
        let connected = inner
            .peers
            .get(&id)
            .is_some_and(|p| p.successfully_connected)
            && !self.conns.is_disconnecting(id);
        if !connected {
            return;
        }
        self.send(
            id,
            &NetworkMessage::SendCmpct(SendCmpct {
                send_compact: true,
                version: CMPCTBLOCKS_VERSION,
            }),
        );
        if let Some(p) = inner.peers.get_mut(&id) {
            p.hb_to = true;
            self.conns
                .set_bip152_high_bandwidth(id, true, p.requested_hb_cmpctblocks);
        }
        inner.hb_peers.push_back(id);
        if inner.hb_peers.len() > MAX_HB_PEERS {
            if let Some(stop) = inner.hb_peers.pop_front() {
                let live = inner
                    .peers
                    .get(&stop)
                    .is_some_and(|p| p.successfully_connected)
                    && !self.conns.is_disconnecting(stop);
                if live {
                    self.send(
                        stop,
                        &NetworkMessage::SendCmpct(SendCmpct {
                            send_compact: false,
                            version: CMPCTBLOCKS_VERSION,
                        }),
                    );
                    if let Some(p) = inner.peers.get_mut(&stop) {
                        p.hb_to = false;
                        self.conns.set_bip152_high_bandwidth(
                            stop,
                            false,
                            p.requested_hb_cmpctblocks,
                        );
                    }
                }
            }
        }
    }

    /// `ProcessBlock` and what `BlockChecked` does with the outcome: note the delivery,
    /// punish invalid blocks (more leniently for compact blocks, which BIP152 lets
    /// peers relay before full validation), and promote the first deliverer of a new
    /// tip to high-bandwidth.
    pub(crate) fn process_new_block(
        &self,
        id: NodeId,
        block: &Block,
        via_compact: bool,
        force_processing: bool,
        min_pow_checked: bool,
    ) {
        let hash = block.block_hash();
        // The first deliverer stays the source until the block is checked.
        lock(&self.inner)
            .block_source
            .entry(hash)
            .or_insert((id, !via_compact));
        let result = self
            .node
            .process_block(block, force_processing, min_pow_checked);
        let now = self.now();
        let cs = self.node.chainstate();
        let mut inner = lock(&self.inner);
        // A block stored but not connected stays in `block_source` until a later block
        // makes it checked: connected, or found invalid (Core's `BlockChecked`).
        let checked = !matches!(&result, Ok(o) if !o.active);
        let source = if checked {
            inner.block_source.remove(&hash)
        } else {
            inner.block_source.get(&hash).copied()
        };
        if let Ok(BlockOutcome {
            other_invalid: Some(bad),
            ..
        }) = &result
        {
            if let Some((src, full_block)) = inner.block_source.remove(bad) {
                if full_block && inner.peers.contains_key(&src) {
                    self.misbehaving(&mut inner, src, "");
                }
            }
        }
        forget_checked_sources(&cs, &mut inner);
        match result {
            Ok(outcome) => {
                let only_this_in_flight = inner.blocks_in_flight.keys().all(|h| *h == hash);
                if outcome.new_block
                    && outcome.active
                    && !cs.is_initial_block_download()
                    && only_this_in_flight
                {
                    if let Some((src, _)) = source {
                        self.maybe_set_peer_as_announcing_header_and_ids(&mut inner, src);
                    }
                }
                if outcome.new_block {
                    if let Some(p) = inner.peers.get_mut(&id) {
                        p.last_block_time = now / 1_000_000;
                    }
                    self.conns.set_last_block_time(id, now / 1_000_000);
                    // It is stored: whoever else we asked need not send it.
                    self.remove_block_request(&mut inner, hash, None);
                }
            }
            Err(ProcessError::Block(_)) => {
                // Invalid or mutated: a full block is the peer's fault, a compact block
                // may have been relayed on its header alone.
                if !via_compact {
                    self.misbehaving(&mut inner, id, "");
                }
            }
            Err(ProcessError::Header(HeaderError::Duplicate(_))) if via_compact => {}
            // Not processed for lack of proven work: nothing the peer did wrong.
            Err(ProcessError::Header(HeaderError::TooLittleChainwork)) => {}
            Err(ProcessError::Header(e)) => self.punish_for_header(&mut inner, id, &e, ""),
            Err(e) => {
                common::log_error!("ProcessNewBlock: AcceptBlock FAILED ({})", e);
            }
        }
    }

    /// A `getblocktxn` message.
    pub(crate) fn process_getblocktxn(
        &self,
        cs: &ChainState,
        inner: &mut Inner,
        id: NodeId,
        req: BlockTransactionsRequest,
    ) {
        if req.indexes.is_empty() {
            if let Some(p) = inner.peers.get(&id) {
                log_debug!(
                    Category::Net,
                    "getblocktxn received with no transaction indexes, {}",
                    Self::disconnect_msg(&p.conn)
                );
            }
            self.conns.disconnect(id);
            return;
        }
        let recent = inner
            .most_recent
            .as_ref()
            .filter(|r| r.hash == req.block_hash)
            .map(|r| r.block.clone());
        if let Some(block) = recent {
            self.send_block_transactions(inner, id, &block, &req);
            return;
        }
        let index = cs.index();
        let Some(i) = index
            .find(&req.block_hash)
            .filter(|&i| index.entry(i).data.is_some())
        else {
            log_debug!(
                Category::Net,
                "Peer {} sent us a getblocktxn for a block we don't have",
                id
            );
            return;
        };
        if index.entry(i).height + MAX_BLOCKTXN_DEPTH >= cs.height() {
            match cs.read_block(&req.block_hash) {
                Ok(Some(block)) => self.send_block_transactions(inner, id, &block, &req),
                _ => {
                    common::log_error!("Cannot load block {} from disk", req.block_hash);
                }
            }
            return;
        }
        // Deep blocks cost a disk read: answer with the whole block, so the asker pays
        // in bandwidth what it costs us.
        log_debug!(
            Category::Net,
            "Peer {} sent us a getblocktxn for a block > {} deep",
            id,
            MAX_BLOCKTXN_DEPTH
        );
        if let Some(p) = inner.peers.get_mut(&id) {
            p.getdata_requests
                .push_back(Inventory::WitnessBlock(req.block_hash));
        }
    }

    /// `SendBlockTransactions`.
    fn send_block_transactions(
        &self,
        inner: &mut Inner,
        id: NodeId,
        block: &Block,
        req: &BlockTransactionsRequest,
    ) {
        let Ok(resp) = BlockTransactions::from_request(req, block) else {
            self.misbehaving(inner, id, "getblocktxn with out-of-bounds tx indices");
            return;
        };
        if let Some(p) = inner.peers.get(&id) {
            log_debug!(
                Category::CmpctBlock,
                "{} sent us a GETBLOCKTXN for block {}, sending a BLOCKTXN with {} txns. ({} bytes)",
                Self::log_peer(&p.conn),
                block.block_hash(),
                resp.transactions.len(),
                resp.transactions
                    .iter()
                    .map(|t| t.total_size())
                    .sum::<usize>()
            );
        }
        self.send(
            id,
            &NetworkMessage::BlockTxn(BlockTxn { transactions: resp }),
        );
    }

    /// A `cmpctblock` message.
    pub(crate) fn process_cmpctblock_message(&self, id: NodeId, cmpct: HeaderAndShortIds) {
        let next = {
            let mut cs = self.node.chainstate();
            let pool = self.node.mempool();
            let mut inner = lock(&self.inner);
            self.process_cmpctblock(&mut cs, &pool, &mut inner, id, &cmpct)
        };
        match next {
            Next::Done => {}
            Next::Fill(hash) => self.process_compact_block_txns(
                id,
                BlockTransactions {
                    block_hash: hash,
                    transactions: Vec::new(),
                },
            ),
            Next::Headers(header) => {
                let mut cs = self.node.chainstate();
                let mut inner = lock(&self.inner);
                self.process_headers_message(&mut cs, &mut inner, id, vec![header]);
            }
            Next::Reconstructed(block) => {
                let hash = block.block_hash();
                self.process_new_block(id, &block, true, true, true);
                let cs = self.node.chainstate();
                let mut inner = lock(&self.inner);
                let checked = cs.index().find(&hash).is_some_and(|i| {
                    let e = cs.index().entry(i);
                    e.data.is_some() && !e.status.failed()
                });
                if checked {
                    // Only now, so a malleated announcement cannot cancel a download.
                    self.remove_block_request(&mut inner, hash, None);
                }
            }
        }
    }

    /// The part of a `cmpctblock` handled under the locks.
    fn process_cmpctblock(
        &self,
        cs: &mut ChainState,
        pool: &mempool::Mempool,
        inner: &mut Inner,
        id: NodeId,
        cmpct: &HeaderAndShortIds,
    ) -> Next {
        let Some(p) = inner.peers.get(&id) else {
            return Next::Done;
        };
        if self.opts.ignore_incoming_txs {
            log_debug!(
                Category::CmpctBlock,
                "{} sent us a compact block even though we are blocksonly!",
                Self::log_peer(&p.conn)
            );
            return Next::Done;
        }
        if !p.provides_cmpctblocks {
            log_debug!(
                Category::CmpctBlock,
                "{} sent us a compact block despite never having sent us a SENDCMPCT!",
                Self::log_peer(&p.conn)
            );
            return Next::Done;
        }
        let header = cmpct.header;
        let hash = header.block_hash();
        let Some(prev) = cs.index().find(&header.prev_blockhash) else {
            // It does not connect: ask for the headers in between rather than reject.
            if !cs.is_initial_block_download() {
                let locator = cs.locator_from(best_header_index(cs));
                self.maybe_send_getheaders(inner, id, locator);
            }
            return Next::Done;
        };
        let work = cs.index().entry(prev).chain_work + chain::pow::block_proof(header.bits);
        if work < self.anti_dos_work_threshold(cs) {
            log_debug!(
                Category::Net,
                "Ignoring low-work compact block from peer {}",
                id
            );
            return Next::Done;
        }
        let received_new_header = cs.index().find(&hash).is_none();
        let now = self.now();
        if let Err(e) = cs.process_headers(&[header], now / 1_000_000) {
            // A known-invalid header from a compact block goes unpunished: BIP152 lets
            // peers relay on the header alone.
            if let HeaderError::Duplicate(_) = e {
                log_debug!(Category::Net, "peer={}: invalid header via cmpctblock", id);
            } else {
                self.punish_for_header(inner, id, &e, "invalid header via cmpctblock");
            }
            return Next::Done;
        }
        let Some(i) = cs.index().find(&hash) else {
            return Next::Done;
        };
        if received_new_header {
            let line = format!(
                "Saw new cmpctblock header hash={} height={} {}",
                hash,
                cs.index().entry(i).height,
                inner
                    .peers
                    .get(&id)
                    .map(|p| Self::log_peer(&p.conn))
                    .unwrap_or_default()
            );
            if cs.is_initial_block_download() {
                log_debug!(Category::Validation, "{}", line);
            } else {
                log_info!("{}", line);
            }
        }
        self.update_block_availability(cs, inner, id, hash);
        let index = cs.index();
        let entry = index.entry(i);
        let tip = index.entry(tip_index(cs));
        if received_new_header && entry.chain_work > tip.chain_work {
            if let Some(p) = inner.peers.get_mut(&id) {
                p.last_block_announcement = now / 1_000_000;
            }
        }
        if entry.data.is_some() {
            return Next::Done;
        }
        let owners = crate::blocks::in_flight_from(inner, &hash);
        let already_in_flight = owners.len();
        let from_this_peer = owners.contains(&id);
        // Requests are kept in order: this peer may be the first one asked.
        let first_in_flight = owners.first().is_none_or(|o| *o == id);
        let from_outbound = owners
            .iter()
            .any(|o| inner.peers.get(o).is_some_and(|p| !p.is_inbound()));
        let Some(p) = inner.peers.get(&id) else {
            return Next::Done;
        };
        if !from_this_peer && !p.hb_to {
            log_debug!(
                Category::CmpctBlock,
                "{}, not marked as high-bandwidth, sent us an unsolicited compact block!",
                Self::log_peer(&p.conn)
            );
            return Next::Done;
        }
        if entry.chain_work <= tip.chain_work || entry.tx_count != 0 {
            // We know something better, or had this block once: the pool is of no use.
            if from_this_peer {
                let inv = Self::full_block_inv(inner, id, hash);
                self.send(id, &NetworkMessage::GetData(vec![inv]));
            }
            return Next::Done;
        }
        if already_in_flight == 0 && !self.can_direct_fetch(cs) {
            // Far behind: parallel download does better.
            return Next::Done;
        }
        if entry.height > tip.height + 2 {
            if from_this_peer {
                // Asked for, but far ahead: our pool will not help.
                let inv = Self::full_block_inv(inner, id, hash);
                self.send(id, &NetworkMessage::GetData(vec![inv]));
                return Next::Done;
            }
            return Next::Headers(header);
        }
        let segwit = index.entry(prev).height + 1 >= inner.segwit_height;
        let pool_txs = pool.entries().map(|e| (&e.wtxid, &e.tx));
        let room = p.blocks_in_flight.len() < crate::blocks::MAX_BLOCKS_IN_TRANSIT_PER_PEER;
        // A parallel request may still be made from a high-bandwidth peer, below.
        let (hb_to, inbound) = (p.hb_to, p.is_inbound());
        if !(from_this_peer || (already_in_flight < MAX_CMPCTBLOCKS_INFLIGHT_PER_BLOCK && room)) {
            // In flight from someone else, or this peer has too much outstanding: try
            // rebuilding from the pool alone, without a round trip.
            let mut temp = PartiallyDownloadedBlock::new();
            if temp.init_data(cmpct, pool_txs, &inner.extra_txns) != ReadStatus::Ok {
                return Next::Done;
            }
            return match temp.fill_block(&[], segwit) {
                (ReadStatus::Ok, Some(block)) => Next::Reconstructed(block),
                _ => Next::Done,
            };
        }
        if !self.block_requested(inner, id, hash) {
            let already = inner
                .peers
                .get(&id)
                .is_some_and(|p| p.partial_blocks.contains_key(&hash));
            if already {
                log_debug!(
                    Category::Net,
                    "Peer sent us compact block we were already syncing!"
                );
                return Next::Done;
            }
        }
        let mut partial = PartiallyDownloadedBlock::new();
        let status = partial.init_data(cmpct, pool_txs, &inner.extra_txns);
        match status {
            ReadStatus::Invalid => {
                self.remove_block_request(inner, hash, Some(id));
                self.misbehaving(inner, id, "invalid compact block");
                return Next::Done;
            }
            ReadStatus::Failed => {
                // Colliding short ids: the block is in flight from this peer now, so
                // ask for it whole.
                if first_in_flight {
                    let inv = Self::full_block_inv(inner, id, hash);
                    self.send(id, &NetworkMessage::GetData(vec![inv]));
                } else {
                    self.remove_block_request(inner, hash, Some(id));
                }
                return Next::Done;
            }
            ReadStatus::Ok => {}
        }
        let missing = partial.missing_indexes();
        if let Some(p) = inner.peers.get_mut(&id) {
            p.partial_blocks.insert(hash, partial);
        }
        if missing.is_empty() {
            return Next::Fill(hash);
        }
        // The first request always round-trips; a later one only from a high-bandwidth
        // peer that is outbound, or while an outbound peer has one in flight, or when it
        // does not take the last parallel slot (kept for an outbound peer).
        let parallel_ok = hb_to
            && (!inbound
                || from_outbound
                || already_in_flight < MAX_CMPCTBLOCKS_INFLIGHT_PER_BLOCK - 1);
        if !first_in_flight && !parallel_ok {
            // Give up on this peer and wait for the others.
            self.remove_block_request(inner, hash, Some(id));
            return Next::Done;
        }
        self.send(
            id,
            &NetworkMessage::GetBlockTxn(GetBlockTxn {
                txs_request: BlockTransactionsRequest {
                    block_hash: hash,
                    indexes: missing,
                },
            }),
        );
        Next::Done
    }

    /// `ProcessCompactBlockTxns`: a `blocktxn` (or none needed) completes a compact
    /// block in flight from `id`.
    pub(crate) fn process_compact_block_txns(&self, id: NodeId, txns: BlockTransactions) {
        let hash = txns.block_hash;
        let block = {
            let cs = self.node.chainstate();
            let mut inner = lock(&self.inner);
            let segwit_height = inner.segwit_height;
            let owners = crate::blocks::in_flight_from(&inner, &hash);
            let first_in_flight = owners.first().is_none_or(|o| *o == id);
            let expected = owners.contains(&id)
                && inner
                    .peers
                    .get(&id)
                    .is_some_and(|p| p.partial_blocks.contains_key(&hash));
            if !expected {
                log_debug!(
                    Category::Net,
                    "Peer {} sent us block transactions for block we weren't expecting",
                    id
                );
                return;
            }
            let Some(partial) = inner
                .peers
                .get_mut(&id)
                .and_then(|p| p.partial_blocks.get_mut(&hash))
            else {
                return;
            };
            let Some(prev_hash) = partial.header().map(|h| h.prev_blockhash) else {
                // An earlier fill failed and the full block is on its way.
                self.remove_block_request(&mut inner, hash, Some(id));
                self.misbehaving(
                    &mut inner,
                    id,
                    "previous compact block reconstruction attempt failed",
                );
                log_debug!(
                    Category::Net,
                    "Peer {} sent compact block transactions multiple times",
                    id
                );
                return;
            };
            let segwit = cs
                .index()
                .find(&prev_hash)
                .is_some_and(|p| cs.index().entry(p).height + 1 >= segwit_height);
            let (status, block) = partial.fill_block(&txns.transactions, segwit);
            match (status, block) {
                (ReadStatus::Ok, Some(block)) => {
                    self.remove_block_request(&mut inner, hash, Some(id));
                    block
                }
                (ReadStatus::Failed, _) if !first_in_flight => {
                    self.remove_block_request(&mut inner, hash, Some(id));
                    log_debug!(
                        Category::Net,
                        "Peer {} sent us a compact block but it failed to reconstruct, waiting on first download to complete",
                        id
                    );
                    return;
                }
                (ReadStatus::Failed, _) => {
                    // Perhaps a short-id collision: fetch the block whole, keeping the
                    // spent partial block so the peer cannot start over on it.
                    let inv = Self::full_block_inv(&inner, id, hash);
                    self.send(id, &NetworkMessage::GetData(vec![inv]));
                    return;
                }
                _ => {
                    self.remove_block_request(&mut inner, hash, Some(id));
                    self.misbehaving(
                        &mut inner,
                        id,
                        "invalid compact block/non-matching block transactions",
                    );
                    return;
                }
            }
        };
        // Requested, so processed even if it would not be stored unasked.
        self.process_new_block(id, &block, true, true, true);
    }
}

/// Keeps only the block sources of blocks stored and still waiting to be checked: a
/// block stored out of order is checked when a later one connects it, and nothing else
/// would remove its entry then; a block not stored will not be checked at all.
fn forget_checked_sources(cs: &ChainState, inner: &mut Inner) {
    let index = cs.index();
    inner.block_source.retain(|h, _| {
        index.find(h).is_some_and(|i| {
            let e = index.entry(i);
            e.data.is_some() && !e.status.failed() && !crate::headers::in_active_chain(cs, i)
        })
    });
}

/// Whether `prev`'s block was connected once and is not known invalid (Core's
/// `IsValid(BLOCK_VALID_CHAIN)`, approximated by our coarser validity levels).
pub(crate) fn valid_chain(cs: &ChainState, prev: usize) -> bool {
    let s = cs.index().entry(prev).status;
    !s.failed() && s.0 & BlockStatus::VALID_MASK >= BlockStatus::VALID_SCRIPTS
}
