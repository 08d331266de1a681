//! What a peer is due at each turn of the message handler (`SendMessages`).

use bitcoin::p2p::message::NetworkMessage;
use bitcoin::p2p::message_blockdata::Inventory;
use chain::ChainState;
use common::logging::Category;
use common::{log_debug, log_info};
use net::{ConnectionType, NetPermissions, NodeId};

use crate::blocks::{MAX_BLOCKS_IN_TRANSIT_PER_PEER, MAX_INV_SZ};
use crate::events::MAX_BLOCKS_TO_ANNOUNCE;
use crate::headers::{best_header_index, in_active_chain, is_ancestor};
use crate::{lock, Inner, PeerManager};

/// Headers sync timeout: a base, plus a little per header we expect
/// (`HEADERS_DOWNLOAD_TIMEOUT_BASE`, `_PER_HEADER`), microseconds.
const HEADERS_DOWNLOAD_TIMEOUT_BASE: i64 = 15 * 60 * 1_000_000;
const HEADERS_DOWNLOAD_TIMEOUT_PER_HEADER: i64 = 1_000;
/// Mean time between our address broadcasts (`AVG_ADDRESS_BROADCAST_INTERVAL`), seconds;
/// an addr-fetch peer gets ten of them to answer.
const AVG_ADDRESS_BROADCAST_INTERVAL: i64 = 30;

impl PeerManager {
    /// `SendMessages`.
    pub(crate) fn send_messages_to(&self, id: NodeId) {
        let cs = self.node.chainstate();
        let mut pool = self.node.mempool();
        let mut inner = lock(&self.inner);
        if !inner.peers.contains_key(&id) {
            return;
        }
        if self.maybe_discourage_and_disconnect(&mut inner, id) {
            return;
        }
        let Some(p) = inner.peers.get(&id) else {
            return;
        };
        if !p.is_inbound() && !p.version_sent {
            self.push_node_version(&mut inner, id);
        }
        let Some(p) = inner.peers.get(&id) else {
            return;
        };
        if !p.successfully_connected || self.conns.is_disconnecting(id) {
            return;
        }
        // An addr-fetch peer that has not answered with addresses in five minutes goes.
        if p.conn.conn_type == ConnectionType::AddrFetch
            && self.now() / 1_000_000 - p.conn.connected > 10 * AVG_ADDRESS_BROADCAST_INTERVAL
        {
            log_debug!(
                Category::Net,
                "addrfetch connection timeout, {}",
                Self::disconnect_msg(&p.conn)
            );
            self.conns.disconnect(id);
            return;
        }
        if self.maybe_send_ping(&mut inner, id) {
            return;
        }
        self.maybe_send_addr(&mut inner, id, cs.is_initial_block_download());
        self.maybe_send_sendheaders(&cs, &mut inner, id);
        self.maybe_start_sync(&cs, &mut inner, id);
        self.announce_blocks(&cs, &mut inner, id);
        let mut invs = Vec::new();
        if let Some(p) = inner.peers.get_mut(&id) {
            for hash in p.blocks_for_inv_relay.drain(..) {
                invs.push(Inventory::Block(hash));
                if invs.len() == MAX_INV_SZ {
                    self.send(id, &NetworkMessage::Inv(std::mem::take(&mut invs)));
                }
            }
        }
        self.send_tx_messages(&pool, &mut inner, id, &mut invs);
        if !invs.is_empty() {
            self.send(id, &NetworkMessage::Inv(invs));
        }
        if self.check_block_download_timeouts(&cs, &mut inner, id) {
            return;
        }
        if self.check_headers_sync_timeout(&cs, &mut inner, id) {
            return;
        }
        let now = self.now() / 1_000_000;
        self.consider_eviction(&cs, &mut inner, id, now);
        let mut getdata = Vec::new();
        self.request_blocks(&cs, &mut inner, id, &mut getdata);
        self.tx_requests_due(&pool, &mut inner, id, &mut getdata);
        if !getdata.is_empty() {
            self.send(id, &NetworkMessage::GetData(getdata));
        }
        self.maybe_send_feefilter(&cs, &mut pool, &mut inner, id);
    }

    /// Whether we may sync headers and blocks from this peer during initial download.
    fn sync_from_peer(&self, inner: &Inner, id: NodeId) -> bool {
        let Some(p) = inner.peers.get(&id) else {
            return false;
        };
        if p.preferred_download {
            return true;
        }
        // Typically an inbound peer: used only if no outbound peer gives us blocks.
        p.can_serve_blocks()
            && p.conn.conn_type != ConnectionType::AddrFetch
            && (inner.preferred_download_peers == 0 || inner.blocks_in_flight.is_empty())
    }

    /// Starts headers sync with the peer (the "initial getheaders").
    fn maybe_start_sync(&self, cs: &ChainState, inner: &mut Inner, id: NodeId) {
        let sync_from = self.sync_from_peer(inner, id);
        let Some(p) = inner.peers.get(&id) else {
            return;
        };
        if p.sync_started || !p.can_serve_blocks() {
            return;
        }
        let best = best_header_index(cs);
        let best_time = i64::from(cs.index().entry(best).header.time);
        let now = self.now();
        let recent = best_time > now / 1_000_000 - 24 * 60 * 60;
        if !((inner.sync_started == 0 && sync_from) || recent) {
            return;
        }
        // Start from the parent of our best header, so even an up-to-date peer answers
        // with at least one header and we learn where it is.
        let start = cs.index().entry(best).prev.unwrap_or(best);
        let locator = cs.locator_from(start);
        if self.maybe_send_getheaders(inner, id, locator) {
            log_debug!(
                Category::Net,
                "initial getheaders ({}) to peer={}",
                cs.index().entry(start).height,
                id
            );
            let spacing = cs.params().pow.pow_target_spacing as i64;
            let behind = (now / 1_000_000 - best_time).max(0);
            if let Some(p) = inner.peers.get_mut(&id) {
                p.sync_started = true;
                p.headers_sync_timeout = now
                    + HEADERS_DOWNLOAD_TIMEOUT_BASE
                    + HEADERS_DOWNLOAD_TIMEOUT_PER_HEADER * behind / spacing.max(1);
            }
            inner.sync_started += 1;
        }
    }

    /// Whether the peer has `i` or a descendant of it, as far as we know (`PeerHasHeader`).
    pub(crate) fn peer_has_header(
        cs: &ChainState,
        best_known: Option<usize>,
        sent: Option<usize>,
        i: usize,
    ) -> bool {
        best_known.is_some_and(|b| is_ancestor(cs, i, b))
            || sent.is_some_and(|s| is_ancestor(cs, i, s))
    }

    /// Block announcements: headers when the peer asked for them and they connect,
    /// otherwise an `inv` of the newest block.
    fn announce_blocks(&self, cs: &ChainState, inner: &mut Inner, id: NodeId) {
        self.process_block_availability(cs, inner, id);
        let Some(p) = inner.peers.get_mut(&id) else {
            return;
        };
        if p.blocks_for_headers_relay.is_empty() {
            return;
        }
        let index = cs.index();
        let relay_len = p.blocks_for_headers_relay.len();
        let mut revert_to_inv = (!p.prefers_headers
            && (!p.requested_hb_cmpctblocks || relay_len > 1))
            || relay_len > MAX_BLOCKS_TO_ANNOUNCE;
        let mut headers = Vec::new();
        let mut best_index = None;
        if !revert_to_inv {
            let mut found_start = false;
            for hash in &p.blocks_for_headers_relay {
                let Some(i) = index.find(hash) else {
                    revert_to_inv = true;
                    break;
                };
                if !in_active_chain(cs, i) {
                    revert_to_inv = true;
                    break;
                }
                if best_index.is_some() && index.entry(i).prev != best_index {
                    revert_to_inv = true;
                    break;
                }
                best_index = Some(i);
                if found_start {
                    headers.push(index.entry(i).header);
                } else if Self::peer_has_header(cs, p.best_known, p.best_header_sent, i) {
                    continue;
                } else if index.entry(i).prev.is_none_or(|pr| {
                    Self::peer_has_header(cs, p.best_known, p.best_header_sent, pr)
                }) {
                    found_start = true;
                    headers.push(index.entry(i).header);
                } else {
                    revert_to_inv = true;
                    break;
                }
            }
        }
        if !revert_to_inv && headers.len() == 1 && p.requested_hb_cmpctblocks {
            // One new block to a high-bandwidth peer: send it as a compact block.
            log_debug!(
                Category::Net,
                "SendMessages sending header-and-ids {} to peer={}",
                headers[0].block_hash(),
                id
            );
            let best = best_index.unwrap_or(0);
            match self.compact_block_for(cs, inner, best) {
                Some(c) => self.send(
                    id,
                    &NetworkMessage::CmpctBlock(bitcoin::p2p::message_compact_blocks::CmpctBlock {
                        compact_block: c,
                    }),
                ),
                None => {
                    common::log_error!("Cannot load block {} from disk", headers[0].block_hash())
                }
            }
            if let Some(p) = inner.peers.get_mut(&id) {
                p.best_header_sent = best_index;
                p.blocks_for_headers_relay.clear();
            }
            return;
        }
        if !revert_to_inv && !headers.is_empty() && !p.prefers_headers {
            revert_to_inv = true;
        }
        if !revert_to_inv && !headers.is_empty() {
            if headers.len() > 1 {
                log_debug!(
                    Category::Net,
                    "SendMessages: {} headers, range ({}, {}), to peer={}",
                    headers.len(),
                    headers[0].block_hash(),
                    headers[headers.len() - 1].block_hash(),
                    id
                );
            } else {
                log_debug!(
                    Category::Net,
                    "SendMessages: sending header {} to peer={}",
                    headers[0].block_hash(),
                    id
                );
            }
            self.send(id, &NetworkMessage::Headers(headers));
            p.best_header_sent = best_index;
        }
        if revert_to_inv {
            if let Some(&last) = p.blocks_for_headers_relay.last() {
                if let Some(i) = index.find(&last) {
                    if !in_active_chain(cs, i) {
                        log_debug!(
                            Category::Net,
                            "Announcing block {} not on main chain (tip={})",
                            last,
                            cs.tip()
                        );
                    }
                    if !Self::peer_has_header(cs, p.best_known, p.best_header_sent, i) {
                        p.blocks_for_inv_relay.push(last);
                        log_debug!(
                            Category::Net,
                            "SendMessages: sending inv peer={} hash={}",
                            id,
                            last
                        );
                    }
                }
            }
        }
        p.blocks_for_headers_relay.clear();
    }

    /// Headers sync timeout with the only sync peer while far behind.
    fn check_headers_sync_timeout(&self, cs: &ChainState, inner: &mut Inner, id: NodeId) -> bool {
        let now = self.now();
        let best_time = i64::from(cs.index().entry(best_header_index(cs)).header.time);
        let sync_started = inner.sync_started;
        let preferred_peers = inner.preferred_download_peers;
        let Some(p) = inner.peers.get_mut(&id) else {
            return false;
        };
        if !p.sync_started || p.headers_sync_timeout == i64::MAX {
            return false;
        }
        if best_time <= now / 1_000_000 - 24 * 60 * 60 {
            if now > p.headers_sync_timeout
                && sync_started == 1
                && preferred_peers - i32::from(p.preferred_download) >= 1
            {
                if !p.has_permission(NetPermissions::NOBAN) {
                    log_info!(
                        "Timeout downloading headers, {}",
                        Self::disconnect_msg(&p.conn)
                    );
                    self.conns.disconnect(id);
                    return true;
                }
                log_info!(
                    "Timeout downloading headers from noban peer, not {}",
                    Self::disconnect_msg(&p.conn)
                );
                p.sync_started = false;
                p.headers_sync_timeout = 0;
                inner.sync_started -= 1;
            }
        } else {
            // Caught up once: no more headers timeout.
            p.headers_sync_timeout = i64::MAX;
        }
        false
    }

    /// Block `getdata` for this peer (in `SendMessages`).
    fn request_blocks(
        &self,
        cs: &ChainState,
        inner: &mut Inner,
        id: NodeId,
        getdata: &mut Vec<Inventory>,
    ) {
        let sync_from = self.sync_from_peer(inner, id);
        let Some(p) = inner.peers.get(&id) else {
            return;
        };
        if !p.can_serve_blocks()
            || !((sync_from && !p.is_limited()) || !cs.is_initial_block_download())
            || p.blocks_in_flight.len() >= MAX_BLOCKS_IN_TRANSIT_PER_PEER
        {
            return;
        }
        let budget = MAX_BLOCKS_IN_TRANSIT_PER_PEER - p.blocks_in_flight.len();
        let witnesses = p.can_serve_witnesses();
        let (blocks, staller) = self.find_next_blocks_to_download(cs, inner, id, budget);
        for i in blocks {
            let e = cs.index().entry(i);
            getdata.push(if witnesses {
                Inventory::WitnessBlock(e.hash)
            } else {
                Inventory::Block(e.hash)
            });
            self.block_requested(inner, id, e.hash);
            log_debug!(
                Category::Net,
                "Requesting block {} ({}) peer={}",
                e.hash,
                e.height,
                id
            );
        }
        let empty = inner
            .peers
            .get(&id)
            .is_some_and(|p| p.blocks_in_flight.is_empty());
        if let (true, Some(s)) = (empty, staller) {
            let now = self.now();
            if let Some(sp) = inner.peers.get_mut(&s) {
                if sp.stalling_since == 0 {
                    sp.stalling_since = now;
                    log_debug!(Category::Net, "Stall started peer={}", s);
                }
            }
        }
    }
}
