//! Headers: asking (`getheaders`), answering (`getheaders`, `getblocks`) and taking them
//! (`headers`, `ProcessHeadersMessage`), and what a peer's headers tell us about the
//! blocks it has (`UpdateBlockAvailability`).

use bitcoin::block::Header;
use bitcoin::hashes::Hash;
use bitcoin::p2p::message::NetworkMessage;
use bitcoin::p2p::message_blockdata::{GetBlocksMessage, GetHeadersMessage, Inventory};
use bitcoin::pow::Work;
use bitcoin::BlockHash;
use chain::{ChainState, HeaderError};
use common::logging::Category;
use common::{log_debug, log_info, log_warning};
use net::{NetPermissions, NodeId};

use crate::headerssync::{ChainStart, HeadersSyncState, SyncPhase};
use crate::{Inner, PeerManager};

/// A peer's presync progress: the work of its chain so far, and (in the first phase
/// only) its height and last header time (`HeadersPresyncStats`). Ordered by work first.
pub(crate) type PresyncStats = (Work, Option<(i64, u32)>);

/// Most hashes in a locator (`MAX_LOCATOR_SZ`).
const MAX_LOCATOR_SZ: usize = 101;
/// How long a `getheaders` may go unanswered before we send another, microseconds
/// (`HEADERS_RESPONSE_TIME`, 2 minutes).
const HEADERS_RESPONSE_TIME: i64 = 2 * 60 * 1_000_000;
/// Most block hashes answered to one `getblocks`.
const GETBLOCKS_LIMIT: usize = 500;

/// Whether entry `i` is on the active chain.
pub(crate) fn in_active_chain(cs: &ChainState, i: usize) -> bool {
    let e = cs.index().entry(i);
    cs.hash_at(e.height) == Some(e.hash)
}

/// The index entry of the tip.
pub(crate) fn tip_index(cs: &ChainState) -> usize {
    cs.active_entry(cs.height()).unwrap_or(0)
}

/// The index entry of the best header (`m_best_header`).
pub(crate) fn best_header_index(cs: &ChainState) -> usize {
    let best = cs.index().best_header().hash;
    cs.index().find(&best).unwrap_or_else(|| tip_index(cs))
}

/// `LastCommonAncestor`.
pub(crate) fn last_common_ancestor(cs: &ChainState, a: usize, b: usize) -> usize {
    let index = cs.index();
    let (mut a, mut b) = (a, b);
    let (ha, hb) = (index.entry(a).height, index.entry(b).height);
    if ha > hb {
        a = index.ancestor(a, hb).unwrap_or(a);
    } else if hb > ha {
        b = index.ancestor(b, ha).unwrap_or(b);
    }
    while a != b {
        match (index.entry(a).prev, index.entry(b).prev) {
            (Some(pa), Some(pb)) => {
                a = pa;
                b = pb;
            }
            _ => break,
        }
    }
    a
}

/// Whether `ancestor` is `descendant` or one of its ancestors.
pub(crate) fn is_ancestor(cs: &ChainState, ancestor: usize, descendant: usize) -> bool {
    let h = cs.index().entry(ancestor).height;
    cs.index().ancestor(descendant, h) == Some(ancestor)
}

/// `FindForkInGlobalIndex`: the last locator block on our active chain (or our tip if a
/// locator block descends from it), else genesis.
fn find_fork(cs: &ChainState, locator: &[BlockHash]) -> usize {
    let tip = tip_index(cs);
    for hash in locator {
        if let Some(i) = cs.index().find(hash) {
            if in_active_chain(cs, i) {
                return i;
            }
            if cs.index().ancestor(i, cs.height()) == Some(tip) {
                return tip;
            }
        }
    }
    cs.active_entry(0).unwrap_or(0)
}

/// The work `headers` claim (`CalculateClaimedHeadersWork`).
fn claimed_work(headers: &[Header]) -> Work {
    let mut w = Work::from_be_bytes([0; 32]);
    for h in headers {
        w = w + chain::pow::block_proof(h.bits);
    }
    w
}

impl PeerManager {
    /// `MaybeSendGetHeaders`: at most one unanswered `getheaders` per peer at a time.
    pub(crate) fn maybe_send_getheaders(
        &self,
        inner: &mut Inner,
        id: NodeId,
        locator: Vec<BlockHash>,
    ) -> bool {
        let now = self.now();
        let Some(p) = inner.peers.get_mut(&id) else {
            return false;
        };
        if p.last_getheaders
            .is_some_and(|t| now - t <= HEADERS_RESPONSE_TIME)
        {
            return false;
        }
        p.last_getheaders = Some(now);
        self.send(
            id,
            &NetworkMessage::GetHeaders(GetHeadersMessage {
                version: p2p::constants::PROTOCOL_VERSION as u32,
                locator_hashes: locator,
                stop_hash: BlockHash::from_byte_array([0; 32]),
            }),
        );
        true
    }

    /// `ProcessBlockAvailability`: resolves an announced block we had no header for.
    pub(crate) fn process_block_availability(
        &self,
        cs: &ChainState,
        inner: &mut Inner,
        id: NodeId,
    ) {
        let Some(p) = inner.peers.get_mut(&id) else {
            return;
        };
        let Some(hash) = p.last_unknown_block else {
            return;
        };
        if let Some(i) = cs.index().find(&hash) {
            let work = cs.index().entry(i).chain_work;
            if p.best_known
                .is_none_or(|b| work >= cs.index().entry(b).chain_work)
            {
                p.best_known = Some(i);
            }
            p.last_unknown_block = None;
        }
    }

    /// `UpdateBlockAvailability`: the peer has `hash`.
    pub(crate) fn update_block_availability(
        &self,
        cs: &ChainState,
        inner: &mut Inner,
        id: NodeId,
        hash: BlockHash,
    ) {
        self.process_block_availability(cs, inner, id);
        let Some(p) = inner.peers.get_mut(&id) else {
            return;
        };
        match cs.index().find(&hash) {
            Some(i) => {
                let work = cs.index().entry(i).chain_work;
                if p.best_known
                    .is_none_or(|b| work >= cs.index().entry(b).chain_work)
                {
                    p.best_known = Some(i);
                }
            }
            None => p.last_unknown_block = Some(hash),
        }
    }

    /// A `getheaders` message.
    pub(crate) fn process_getheaders(
        &self,
        cs: &ChainState,
        inner: &mut Inner,
        id: NodeId,
        m: GetHeadersMessage,
    ) {
        let Some(p) = inner.peers.get(&id) else {
            return;
        };
        if m.locator_hashes.len() > MAX_LOCATOR_SZ {
            log_debug!(
                Category::Net,
                "getheaders locator size {} > {}, {}",
                m.locator_hashes.len(),
                MAX_LOCATOR_SZ,
                Self::disconnect_msg(&p.conn)
            );
            self.conns.disconnect(id);
            return;
        }
        let tip = tip_index(cs);
        if cs.index().entry(tip).chain_work.to_be_bytes() < self.minimum_chain_work(cs)
            && !p.has_permission(NetPermissions::DOWNLOAD)
        {
            log_debug!(
                Category::Net,
                "Ignoring getheaders from peer={} because active chain has too little work; sending empty response",
                id
            );
            self.send(id, &NetworkMessage::Headers(Vec::new()));
            return;
        }
        let zero = BlockHash::from_byte_array([0; 32]);
        let start = if m.locator_hashes.is_empty() {
            // A null locator asks for the header of `stop_hash` alone.
            let Some(i) = cs.index().find(&m.stop_hash) else {
                return;
            };
            if !self.block_request_allowed(cs, i) {
                log_debug!(
                    Category::Net,
                    "ProcessMessage: ignoring request from peer={} for old block header that isn't in the main chain",
                    id
                );
                return;
            }
            Some(i)
        } else {
            let fork = find_fork(cs, &m.locator_hashes);
            let h = cs.index().entry(fork).height + 1;
            cs.active_entry(h)
        };
        let mut headers = Vec::new();
        let mut last = None;
        log_debug!(
            Category::Net,
            "getheaders {} to {} from peer={}",
            start.map_or(-1, |i| i64::from(cs.index().entry(i).height)),
            if m.stop_hash == zero {
                "end".to_string()
            } else {
                m.stop_hash.to_string()
            },
            id
        );
        let mut cur = start;
        while let Some(i) = cur {
            let e = cs.index().entry(i);
            headers.push(e.header);
            last = Some(i);
            if headers.len() >= self.opts.max_headers_result || e.hash == m.stop_hash {
                break;
            }
            // Only the active chain is walked forward; a null-locator answer is one header.
            if !in_active_chain(cs, i) {
                break;
            }
            cur = cs.active_entry(e.height + 1);
        }
        if let Some(p) = inner.peers.get_mut(&id) {
            p.best_header_sent = Some(last.unwrap_or(tip));
        }
        self.send(id, &NetworkMessage::Headers(headers));
    }

    /// A `getblocks` message: up to 500 block hashes after the fork point, announced
    /// by `inv` at the next send.
    pub(crate) fn process_getblocks(
        &self,
        cs: &ChainState,
        inner: &mut Inner,
        id: NodeId,
        m: GetBlocksMessage,
    ) {
        let Some(p) = inner.peers.get_mut(&id) else {
            return;
        };
        if m.locator_hashes.len() > MAX_LOCATOR_SZ {
            log_debug!(
                Category::Net,
                "getblocks locator size {} > {}, {}",
                m.locator_hashes.len(),
                MAX_LOCATOR_SZ,
                Self::disconnect_msg(&p.conn)
            );
            self.conns.disconnect(id);
            return;
        }
        let fork = find_fork(cs, &m.locator_hashes);
        let mut cur = cs.active_entry(cs.index().entry(fork).height + 1);
        let zero = BlockHash::from_byte_array([0; 32]);
        log_debug!(
            Category::Net,
            "getblocks {} to {} limit {} from peer={}",
            cur.map_or(-1, |i| i64::from(cs.index().entry(i).height)),
            if m.stop_hash == zero {
                "end".to_string()
            } else {
                m.stop_hash.to_string()
            },
            GETBLOCKS_LIMIT,
            id
        );
        let mut count = 0;
        while let Some(i) = cur {
            let e = cs.index().entry(i);
            if e.hash == m.stop_hash {
                log_debug!(
                    Category::Net,
                    " getblocks stopping at {} {}",
                    e.height,
                    e.hash
                );
                break;
            }
            p.blocks_for_inv_relay.push(e.hash);
            count += 1;
            if count >= GETBLOCKS_LIMIT {
                log_debug!(
                    Category::Net,
                    " getblocks stopping at limit {} {}",
                    e.height,
                    e.hash
                );
                p.continue_hash = Some(e.hash);
                break;
            }
            cur = cs.active_entry(e.height + 1);
        }
    }

    /// `BlockRequestAllowed`: blocks on the active chain, or recent valid ones off it.
    pub(crate) fn block_request_allowed(&self, cs: &ChainState, i: usize) -> bool {
        if in_active_chain(cs, i) {
            return true;
        }
        // A month, in seconds (`STALE_RELAY_AGE_LIMIT`).
        const STALE_RELAY_AGE_LIMIT: i64 = 30 * 24 * 60 * 60;
        let e = cs.index().entry(i);
        let best = cs.index().best_header();
        e.data.is_some()
            && !e.status.failed()
            && i64::from(best.header.time) - i64::from(e.header.time) < STALE_RELAY_AGE_LIMIT
    }

    /// A `headers` message.
    pub(crate) fn process_headers(
        &self,
        cs: &mut ChainState,
        inner: &mut Inner,
        id: NodeId,
        headers: Vec<Header>,
    ) {
        if headers.len() > self.opts.max_headers_result {
            self.misbehaving(
                inner,
                id,
                &format!("headers message size = {}", headers.len()),
            );
            return;
        }
        self.process_headers_message(cs, inner, id, headers);
        self.maybe_report_headers_presync(cs, inner);
    }

    /// `ProcessHeadersMessage`.
    pub(crate) fn process_headers_message(
        &self,
        cs: &mut ChainState,
        inner: &mut Inner,
        id: NodeId,
        mut headers: Vec<Header>,
    ) {
        let Some(p) = inner.peers.get_mut(&id) else {
            return;
        };
        let count = headers.len();
        if count == 0 {
            // An empty answer: the peer has nothing more for our last request, and a
            // headers sync with it (if any) is over.
            p.last_getheaders = None;
            if p.headers_sync.take().is_some() {
                inner.headers_presync_stats.remove(&id);
            }
            return;
        }
        // Proof of work and continuity first: both are cheap and punishable, and the
        // headers sync relies on them.
        let params = cs.params().clone();
        if !headers
            .iter()
            .all(|h| chain::pow::check_proof_of_work(h.block_hash(), h.bits, &params))
        {
            self.misbehaving(inner, id, "header with invalid proof of work");
            return;
        }
        if headers
            .windows(2)
            .any(|w| w[1].prev_blockhash != w[0].block_hash())
        {
            self.misbehaving(inner, id, "non-continuous headers sequence");
            return;
        }
        // A low-work sync in progress takes the headers: it keeps them (presync), or
        // hands back those now known to be on a chain with enough work (redownload).
        let mut already_validated_work =
            self.continue_low_work_headers_sync(inner, id, &mut headers);
        if headers.is_empty() {
            return;
        }
        let have_headers_sync = inner
            .peers
            .get(&id)
            .is_some_and(|p| p.headers_sync.is_some());
        let Some(chain_start) = cs.index().find(&headers[0].prev_blockhash) else {
            // Maybe a BIP130 announcement ahead of headers we lack: ask to fill the gap.
            let best = best_header_index(cs);
            let locator = cs.locator_from(best);
            if self.maybe_send_getheaders(inner, id, locator) {
                log_debug!(
                    Category::Net,
                    "received header {}: missing prev block {}, sending getheaders ({}) to end (peer={})",
                    headers[0].block_hash(),
                    headers[0].prev_blockhash,
                    cs.index().entry(best).height,
                    id
                );
            }
            if let Some(last) = headers.last() {
                self.update_block_availability(cs, inner, id, last.block_hash());
            }
            return;
        };
        if let Some(p) = inner.peers.get_mut(&id) {
            p.last_getheaders = None;
        }
        let last_hash = headers[headers.len() - 1].block_hash();
        let last_known = cs.index().find(&last_hash);
        let noban = inner
            .peers
            .get(&id)
            .is_some_and(|p| p.has_permission(NetPermissions::NOBAN));
        already_validated_work = already_validated_work
            || noban
            || last_known.is_some_and(|i| {
                is_ancestor(cs, i, best_header_index(cs)) || in_active_chain(cs, i)
            });
        if !already_validated_work
            && self.try_low_work_headers_sync(cs, inner, id, chain_start, &mut headers)
        {
            return;
        }
        let received_new_header = last_known.is_none();
        let now = self.now() / 1_000_000;
        if let Err(e) = cs.process_headers(&headers, now) {
            let inbound = inner.peers.get(&id).is_none_or(|p| p.is_inbound());
            if let HeaderError::Duplicate(_) = &e {
                if !inbound {
                    log_warning!(
                        "{} (received from peer={}). If this happens with all peers, consider database corruption (that -reindex may fix) or a potential consensus incompatibility.",
                        e.debug_message(),
                        id
                    );
                }
            }
            self.punish_for_header(inner, id, &e, "invalid header received");
            return;
        }
        let Some(last) = cs.index().find(&last_hash) else {
            return;
        };
        if received_new_header {
            let line = format!(
                "Saw new header hash={} height={} {}",
                last_hash,
                cs.index().entry(last).height,
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
        if count == self.opts.max_headers_result && !have_headers_sync {
            let locator = cs.locator_from(last);
            if self.maybe_send_getheaders(inner, id, locator) {
                log_debug!(
                    Category::Net,
                    "more getheaders ({}) to end to peer={}",
                    cs.index().entry(last).height,
                    id
                );
            }
        }
        self.update_peer_state_for_received_headers(
            cs,
            inner,
            id,
            last,
            received_new_header,
            count == self.opts.max_headers_result,
        );
        self.headers_direct_fetch_blocks(cs, inner, id, last);
    }

    /// `GetAntiDoSWorkThreshold`: the work a new headers chain must show before we
    /// store it: our tip's less 144 blocks' worth, or the minimum chain work.
    pub(crate) fn anti_dos_work_threshold(&self, cs: &ChainState) -> Work {
        let tip = cs.index().entry(tip_index(cs));
        let proof = chain::pow::block_proof(tip.header.bits);
        let mut buffer = Work::from_be_bytes([0; 32]);
        for _ in 0..144 {
            buffer = buffer + proof;
        }
        let near_tip = if tip.chain_work > buffer {
            tip.chain_work - buffer
        } else {
            Work::from_be_bytes([0; 32])
        };
        near_tip.max(Work::from_be_bytes(self.minimum_chain_work(cs)))
    }

    /// `IsContinuationOfLowWorkHeadersSync`: feeds `headers` to the peer's low-work sync,
    /// if one runs. Asks for the next batch when the sync wants it, keeps the presync
    /// progress statistics, and replaces `headers` with those released for processing.
    /// True if the sync accepted the headers (their work then needs no further check).
    fn continue_low_work_headers_sync(
        &self,
        inner: &mut Inner,
        id: NodeId,
        headers: &mut Vec<Header>,
    ) -> bool {
        let full = headers.len() == self.opts.max_headers_result;
        let Some(mut sync) = inner.peers.get_mut(&id).and_then(|p| p.headers_sync.take()) else {
            return false;
        };
        let result = sync.process_next_headers(headers, full);
        if result.success {
            // A valid continuation answers our last getheaders.
            if let Some(p) = inner.peers.get_mut(&id) {
                p.last_getheaders = None;
            }
        }
        if result.request_more {
            let locator = sync.next_locator();
            debug_assert!(result.success && !locator.is_empty());
            if let Some(&first) = locator.first() {
                // Cannot be refused: the last request was just cleared.
                let sent = self.maybe_send_getheaders(inner, id, locator);
                debug_assert!(sent);
                log_debug!(
                    Category::Net,
                    "more getheaders (from {}) to peer={}",
                    first,
                    id
                );
            }
        }
        if sync.phase() == SyncPhase::Final {
            // If it was the best presync peer, the next update of another picks a new one.
            inner.headers_presync_stats.remove(&id);
        } else {
            let stats: PresyncStats = (
                sync.presync_work(),
                (sync.phase() == SyncPhase::Presync)
                    .then(|| (sync.presync_height(), sync.presync_time())),
            );
            inner.headers_presync_stats.insert(id, stats);
            let best_updated = match inner
                .headers_presync_stats
                .get(&inner.headers_presync_bestpeer)
            {
                None => {
                    // The best peer is gone: find the new best (the first of equals).
                    let mut best: Option<(NodeId, &PresyncStats)> = None;
                    for (peer, stat) in &inner.headers_presync_stats {
                        if best.is_none_or(|(_, b)| stat > b) {
                            best = Some((*peer, stat));
                        }
                    }
                    let best_peer = best.map_or(-1, |(peer, _)| peer);
                    inner.headers_presync_bestpeer = best_peer;
                    best_peer == id
                }
                Some(best) => {
                    if inner.headers_presync_bestpeer == id || stats > *best {
                        inner.headers_presync_bestpeer = id;
                        true
                    } else {
                        false
                    }
                }
            };
            // Only progress in the first phase is reported.
            if best_updated && stats.1.is_some() {
                inner.headers_presync_should_signal = true;
            }
            if let Some(p) = inner.peers.get_mut(&id) {
                p.headers_sync = Some(sync);
            }
        }
        if result.success {
            *headers = result.pow_validated_headers;
        }
        result.success
    }

    /// `TryLowWorkHeadersSync`: if the chain `headers` build (on `chain_start`) claims
    /// less work than the anti-DoS threshold, starts a low-work sync with the peer when
    /// the message was full (the peer may have more), or else ignores them. True (with
    /// `headers` emptied) when the headers are not to be processed further.
    fn try_low_work_headers_sync(
        &self,
        cs: &ChainState,
        inner: &mut Inner,
        id: NodeId,
        chain_start: usize,
        headers: &mut Vec<Header>,
    ) -> bool {
        let start = cs.index().entry(chain_start);
        let total = start.chain_work + claimed_work(headers);
        let threshold = self.anti_dos_work_threshold(cs);
        if total >= threshold {
            return false;
        }
        if headers.len() == self.opts.max_headers_result {
            // Starting at the fork point even if the first headers are known costs
            // little: the all-known case never gets here.
            let start = ChainStart {
                header: start.header,
                hash: start.hash,
                height: start.height,
                chain_work: start.chain_work,
                median_time_past: cs.index().median_time_past(chain_start),
                locator: cs.locator_from(chain_start),
            };
            let sync = HeadersSyncState::new(
                id,
                cs.params(),
                start,
                threshold,
                self.now() / 1_000_000,
                &mut crate::lock(&self.rng),
            );
            if let Some(p) = inner.peers.get_mut(&id) {
                p.headers_sync = Some(sync);
            }
            // Failures end the sync inside; nothing to act on here.
            let _ = self.continue_low_work_headers_sync(inner, id, headers);
        } else {
            log_debug!(
                Category::Net,
                "Ignoring low-work chain (height={}) from peer={}",
                start.height as usize + headers.len(),
                id
            );
        }
        headers.clear();
        true
    }

    /// After a `headers` message: reports the best presync peer's progress if it moved.
    pub(crate) fn maybe_report_headers_presync(&self, cs: &ChainState, inner: &mut Inner) {
        if !std::mem::take(&mut inner.headers_presync_should_signal) {
            return;
        }
        let best = inner
            .headers_presync_stats
            .get(&inner.headers_presync_bestpeer)
            .and_then(|s| s.1);
        if let Some((height, time)) = best {
            self.report_headers_presync(cs, inner, height, time);
        }
    }

    /// `ChainstateManager::ReportHeadersPresync`: logs presync progress during initial
    /// block download, at most four times a second, and only while no header chain with
    /// the minimum chain work is known (so spam cannot fill the log).
    fn report_headers_presync(&self, cs: &ChainState, inner: &mut Inner, height: i64, time: u32) {
        let best_work = cs.index().best_header().chain_work;
        if best_work >= Work::from_be_bytes(self.minimum_chain_work(cs)) {
            return;
        }
        let now = std::time::Instant::now();
        if inner
            .last_presync_update
            .is_some_and(|last| now < last + std::time::Duration::from_millis(250))
        {
            return;
        }
        inner.last_presync_update = Some(now);
        if cs.is_initial_block_download() {
            let spacing = cs.params().pow.pow_target_spacing as i64 * 1_000_000;
            let blocks_left = ((self.now() - i64::from(time) * 1_000_000) / spacing).max(0);
            let progress = 100.0 * height as f64 / (height + blocks_left) as f64;
            log_info!(
                "Pre-synchronizing blockheaders, height: {} (~{:.2}%)",
                height,
                progress
            );
        }
    }

    /// `MaybePunishNodeForBlock` for a header error.
    pub(crate) fn punish_for_header(
        &self,
        inner: &mut Inner,
        id: NodeId,
        e: &HeaderError,
        message: &str,
    ) {
        match e {
            HeaderError::TimeTooNew => {
                log_debug!(Category::Net, "peer={}: {}", id, message);
            }
            HeaderError::Duplicate(_) => {
                // Only outbound peers on an invalid chain are discouraged.
                if inner.peers.get(&id).is_some_and(|p| !p.is_inbound()) {
                    self.misbehaving(inner, id, message);
                } else {
                    log_debug!(Category::Net, "peer={}: {}", id, message);
                }
            }
            _ => self.misbehaving(inner, id, message),
        }
    }

    /// `UpdatePeerStateForReceivedHeaders`.
    fn update_peer_state_for_received_headers(
        &self,
        cs: &ChainState,
        inner: &mut Inner,
        id: NodeId,
        last: usize,
        received_new_header: bool,
        may_have_more: bool,
    ) {
        let hash = cs.index().entry(last).hash;
        self.update_block_availability(cs, inner, id, hash);
        let tip_work = cs.index().entry(tip_index(cs)).chain_work;
        let now = self.now() / 1_000_000;
        let min_work = Work::from_be_bytes(self.minimum_chain_work(cs));
        let Some(p) = inner.peers.get_mut(&id) else {
            return;
        };
        if received_new_header && cs.index().entry(last).chain_work > tip_work {
            p.last_block_announcement = now;
        }
        if cs.is_initial_block_download() && !may_have_more {
            if let Some(b) = p.best_known {
                if cs.index().entry(b).chain_work < min_work
                    && !p.is_inbound()
                    && p.conn.conn_type != net::ConnectionType::Manual
                {
                    log_info!(
                        "outbound peer headers chain has insufficient work, {}",
                        Self::disconnect_msg(&p.conn)
                    );
                    self.conns.disconnect(id);
                }
            }
        }
        self.maybe_protect_outbound_peer(cs, inner, id);
    }

    /// `HeadersDirectFetchBlocks`: near the tip, ask at once for the blocks of a better
    /// chain the peer just showed us.
    fn headers_direct_fetch_blocks(
        &self,
        cs: &ChainState,
        inner: &mut Inner,
        id: NodeId,
        last: usize,
    ) {
        let index = cs.index();
        let tip = tip_index(cs);
        let last_entry = index.entry(last);
        if !self.can_direct_fetch(cs)
            || last_entry.status.failed()
            || index.entry(tip).chain_work > last_entry.chain_work
        {
            return;
        }
        let Some(p) = inner.peers.get(&id) else {
            return;
        };
        let witnesses = p.can_serve_witnesses();
        let mut to_fetch = Vec::new();
        let mut walk = Some(last);
        while let Some(w) = walk {
            if in_active_chain(cs, w)
                || to_fetch.len() > crate::blocks::MAX_BLOCKS_IN_TRANSIT_PER_PEER
            {
                break;
            }
            let e = index.entry(w);
            if e.data.is_none()
                && !inner.blocks_in_flight.contains_key(&e.hash)
                && (e.height < cs.params().segwit_height || witnesses)
            {
                to_fetch.push(w);
            }
            walk = e.prev;
        }
        let on_chain = walk.is_some_and(|w| in_active_chain(cs, w));
        if !on_chain {
            log_debug!(
                Category::Net,
                "Large reorg, won't direct fetch to {} ({})",
                last_entry.hash,
                last_entry.height
            );
            return;
        }
        let mut getdata = Vec::new();
        for &i in to_fetch.iter().rev() {
            let in_flight = inner.peers.get(&id).map_or(0, |p| p.blocks_in_flight.len());
            if in_flight >= crate::blocks::MAX_BLOCKS_IN_TRANSIT_PER_PEER {
                break;
            }
            let hash = index.entry(i).hash;
            getdata.push(if witnesses {
                Inventory::WitnessBlock(hash)
            } else {
                Inventory::Block(hash)
            });
            self.block_requested(inner, id, hash);
            log_debug!(Category::Net, "Requesting block {} from peer={}", hash, id);
        }
        if getdata.len() > 1 {
            log_debug!(
                Category::Net,
                "Downloading blocks toward {} ({}) via headers direct fetch",
                last_entry.hash,
                last_entry.height
            );
        }
        if !getdata.is_empty() {
            // A single block right on a valid chain, and the only one in flight: fetch
            // it as a compact block.
            let provides = inner.peers.get(&id).is_some_and(|p| p.provides_cmpctblocks);
            if !self.opts.ignore_incoming_txs
                && provides
                && getdata.len() == 1
                && inner.blocks_in_flight.len() == 1
                && last_entry
                    .prev
                    .is_some_and(|p| crate::compact_relay::valid_chain(cs, p))
            {
                getdata[0] = Inventory::CompactBlock(index.entry(to_fetch[0]).hash);
            }
            self.send(id, &NetworkMessage::GetData(getdata));
        }
    }

    /// `CanDirectFetch`: our tip is within twenty block intervals of now.
    pub(crate) fn can_direct_fetch(&self, cs: &ChainState) -> bool {
        let tip = cs.index().entry(tip_index(cs));
        let spacing = cs.params().pow.pow_target_spacing as i64;
        i64::from(tip.header.time) > self.now() / 1_000_000 - spacing * 20
    }
}
