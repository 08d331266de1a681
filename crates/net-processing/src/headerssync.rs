//! The low-work headers anti-DoS sync ("headers presync", Core's `HeadersSyncState`).
//!
//! A peer's headers chain is only stored once it shows enough work. Until we know that,
//! we download it twice:
//!
//! 1. PRESYNC: each header is checked for continuity, proof of work (by the caller) and a
//!    difficulty change the retarget rules could allow, its work is summed, and for one
//!    height in every `commitment_period` (at a secret offset) one bit of a salted hash of
//!    the header is kept. Memory stays at a bit per period, however long the chain.
//! 2. REDOWNLOAD: once the summed work reaches the threshold, the same headers are asked
//!    for again from the start. Each is checked against the kept bits and buffered; a
//!    header leaves the buffer for full processing only when `redownload_buffer_size`
//!    later headers have been checked, so a peer that swaps in another chain is caught
//!    (with high probability) before much of it is stored. Once the redownloaded chain
//!    itself reaches the threshold, everything buffered is released.
//! 3. FINAL: done, successfully or not; the state is dropped.

use std::collections::VecDeque;

use bitcoin::block::{Header, Version};
use bitcoin::hashes::{siphash24, Hash};
use bitcoin::pow::{CompactTarget, Work};
use bitcoin::{BlockHash, TxMerkleNode};
use chain::params::{HeadersSyncParams, MAX_FUTURE_BLOCK_TIME};
use chain::ChainParams;
use common::log_debug;
use common::logging::Category;
use net::NodeId;

/// Where the peer's chain leaves ours: the last block of our index it builds on.
#[derive(Clone, Debug)]
pub(crate) struct ChainStart {
    /// Its header.
    pub header: Header,
    /// Its hash.
    pub hash: BlockHash,
    /// Its height.
    pub height: u32,
    /// The work of the chain up to and including it.
    pub chain_work: Work,
    /// Its median time past, seconds.
    pub median_time_past: i64,
    /// The block locator from it (`LocatorEntries`), for our `getheaders`.
    pub locator: Vec<BlockHash>,
}

/// The phase of a sync.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum SyncPhase {
    /// Summing the work of the peer's chain and keeping commitments to it.
    Presync,
    /// Downloading it again, checking the commitments, releasing checked headers.
    Redownload,
    /// Finished; nothing more to do with this state.
    Final,
}

/// What one batch of headers did to the sync (`ProcessingResult`).
#[derive(Debug, Default)]
pub(crate) struct ProcessingResult {
    /// Headers now ready for full processing: their chain has shown enough work.
    pub pow_validated_headers: Vec<Header>,
    /// False if the sync was given up because of these headers.
    pub success: bool,
    /// Whether the caller should send a `getheaders` with [`HeadersSyncState::next_locator`].
    pub request_more: bool,
}

/// A header without its parent's hash, as the redownload buffer keeps it (48 bytes).
#[derive(Clone, Copy, Debug)]
struct CompressedHeader {
    version: Version,
    merkle_root: TxMerkleNode,
    time: u32,
    bits: CompactTarget,
    nonce: u32,
}

impl CompressedHeader {
    fn new(h: &Header) -> CompressedHeader {
        CompressedHeader {
            version: h.version,
            merkle_root: h.merkle_root,
            time: h.time,
            bits: h.bits,
            nonce: h.nonce,
        }
    }

    fn full(&self, prev_blockhash: BlockHash) -> Header {
        Header {
            version: self.version,
            prev_blockhash,
            merkle_root: self.merkle_root,
            time: self.time,
            bits: self.bits,
            nonce: self.nonce,
        }
    }
}

/// A queue of bits packed 64 to a word (Core's `bitdeque`).
#[derive(Debug, Default)]
struct BitQueue {
    words: VecDeque<u64>,
    /// Position of the first bit in the first word.
    head: usize,
    len: usize,
}

impl BitQueue {
    fn len(&self) -> usize {
        self.len
    }

    fn push_back(&mut self, bit: bool) {
        let pos = self.head + self.len;
        if pos / 64 >= self.words.len() {
            self.words.push_back(0);
        }
        if bit {
            self.words[pos / 64] |= 1 << (pos % 64);
        }
        self.len += 1;
    }

    fn pop_front(&mut self) -> Option<bool> {
        if self.len == 0 {
            return None;
        }
        let bit = self.words.front().is_some_and(|w| w >> self.head & 1 == 1);
        self.head += 1;
        self.len -= 1;
        if self.head == 64 || self.len == 0 {
            self.words.pop_front();
            self.head = 0;
            if self.len == 0 {
                self.words.clear();
            }
        }
        Some(bit)
    }

    fn clear(&mut self) {
        *self = BitQueue::default();
    }
}

/// Work as Core prints an `arith_uint256`: 64 hex digits, most significant first.
pub(crate) fn work_hex(w: Work) -> String {
    w.to_be_bytes().iter().map(|b| format!("{b:02x}")).collect()
}

/// A headers sync with one peer over a chain we do not yet know has enough work.
pub(crate) struct HeadersSyncState {
    /// Commitments are kept at heights `h` with `h % commitment_period == commit_offset`.
    commit_offset: usize,
    /// The peer, for log lines.
    id: NodeId,
    /// The chain's rules, for difficulty transitions.
    params: ChainParams,
    /// Commitment period and redownload buffer size.
    sync_params: HeadersSyncParams,
    /// The last block of ours the peer's headers build on.
    chain_start: ChainStart,
    /// The work the peer's chain must reach.
    minimum_required_work: Work,
    /// Work of the peer's chain so far (PRESYNC).
    current_chain_work: Work,
    /// Salt of the commitment hash.
    hash_keys: (u64, u64),
    /// The commitment bits, kept in PRESYNC and checked in REDOWNLOAD.
    header_commitments: BitQueue,
    /// The most commitments an honest chain could need now (from the fastest block rate
    /// the median-time rule allows); more and we give up.
    max_commitments: u64,
    /// The last header received in PRESYNC (initially the chain start's).
    last_header_received: Header,
    /// Its height.
    current_height: i64,
    /// REDOWNLOAD's buffer of checked headers not yet released.
    redownloaded_headers: VecDeque<CompressedHeader>,
    /// Height of the buffer's last header.
    redownload_buffer_last_height: i64,
    /// Hash of the buffer's last header.
    redownload_buffer_last_hash: BlockHash,
    /// The parent hash of the buffer's first header.
    redownload_buffer_first_prev_hash: BlockHash,
    /// Work of the redownloaded chain so far.
    redownload_chain_work: Work,
    /// Set once the redownloaded chain has reached the work threshold: all that remains
    /// may be released, and commitments are no longer checked.
    process_all_remaining_headers: bool,
    phase: SyncPhase,
}

impl HeadersSyncState {
    /// Starts a sync with peer `id` of the chain leaving ours at `chain_start`, which must
    /// reach `minimum_required_work`. `now` is the node's time in seconds; `random` gives
    /// the secret commitment offset and hash salt.
    pub(crate) fn new(
        id: NodeId,
        params: &ChainParams,
        chain_start: ChainStart,
        minimum_required_work: Work,
        now: i64,
        random: &mut crate::rng::Rng,
    ) -> HeadersSyncState {
        let sync_params = params.headers_sync;
        let offset = random.randrange(sync_params.commitment_period as u64) as usize;
        let keys = (random.next_u64(), random.next_u64());
        Self::with_offset(
            id,
            params,
            sync_params,
            chain_start,
            minimum_required_work,
            now,
            offset,
            keys,
        )
    }

    /// [`HeadersSyncState::new`] with the tuning, offset and salt given.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn with_offset(
        id: NodeId,
        params: &ChainParams,
        sync_params: HeadersSyncParams,
        chain_start: ChainStart,
        minimum_required_work: Work,
        now: i64,
        commit_offset: usize,
        hash_keys: (u64, u64),
    ) -> HeadersSyncState {
        assert!(sync_params.commitment_period > 0);
        // No valid chain can be longer than six blocks a second (the most the median-time
        // rule lets through) from the start's median time to the latest time a block may
        // carry now, so that bounds the commitments an honest peer needs.
        let max_seconds = (now - chain_start.median_time_past + MAX_FUTURE_BLOCK_TIME).max(0);
        let max_commitments = 6 * max_seconds as u64 / sync_params.commitment_period as u64;
        let state = HeadersSyncState {
            commit_offset,
            id,
            params: params.clone(),
            sync_params,
            current_chain_work: chain_start.chain_work,
            last_header_received: chain_start.header,
            current_height: i64::from(chain_start.height),
            redownload_buffer_last_hash: chain_start.hash,
            redownload_buffer_first_prev_hash: chain_start.hash,
            redownload_buffer_last_height: i64::from(chain_start.height),
            redownload_chain_work: chain_start.chain_work,
            chain_start,
            minimum_required_work,
            hash_keys,
            header_commitments: BitQueue::default(),
            max_commitments,
            redownloaded_headers: VecDeque::new(),
            process_all_remaining_headers: false,
            phase: SyncPhase::Presync,
        };
        log_debug!(
            Category::Net,
            "Initial headers sync started with peer={}: height={}, max_commitments={}, min_work={}",
            state.id,
            state.current_height,
            state.max_commitments,
            work_hex(state.minimum_required_work)
        );
        state
    }

    /// The phase the sync is in.
    pub(crate) fn phase(&self) -> SyncPhase {
        self.phase
    }

    /// Height reached in PRESYNC (`GetPresyncHeight`).
    pub(crate) fn presync_height(&self) -> i64 {
        self.current_height
    }

    /// Time of the last header received in PRESYNC (`GetPresyncTime`).
    pub(crate) fn presync_time(&self) -> u32 {
        self.last_header_received.time
    }

    /// Work of the chain received in PRESYNC (`GetPresyncWork`).
    pub(crate) fn presync_work(&self) -> Work {
        self.current_chain_work
    }

    /// Frees what the sync holds and marks it finished.
    fn finalize(&mut self) {
        debug_assert!(self.phase != SyncPhase::Final);
        self.header_commitments.clear();
        self.redownloaded_headers = VecDeque::new();
        self.last_header_received = null_header();
        self.redownload_buffer_last_hash = BlockHash::all_zeros();
        self.redownload_buffer_first_prev_hash = BlockHash::all_zeros();
        self.process_all_remaining_headers = false;
        self.current_height = 0;
        self.phase = SyncPhase::Final;
    }

    /// The commitment bit of a header.
    fn commitment(&self, h: &Header) -> bool {
        let hash = h.block_hash();
        siphash24::Hash::hash_to_u64_with_keys(
            self.hash_keys.0,
            self.hash_keys.1,
            hash.as_byte_array(),
        ) & 1
            == 1
    }

    /// Takes the next batch of headers from the peer (`ProcessNextHeaders`). The caller
    /// has checked that they are continuous and meet the targets they claim;
    /// `full_headers_message` says whether the message was full, so the peer may have
    /// more.
    pub(crate) fn process_next_headers(
        &mut self,
        received: &[Header],
        full_headers_message: bool,
    ) -> ProcessingResult {
        let mut ret = ProcessingResult::default();
        if received.is_empty() || self.phase == SyncPhase::Final {
            return ret;
        }
        match self.phase {
            SyncPhase::Presync => {
                ret.success = self.validate_and_store_commitments(received);
                if ret.success {
                    if full_headers_message || self.phase == SyncPhase::Redownload {
                        // More to come, or start over from the beginning to redownload.
                        ret.request_more = true;
                    } else {
                        // The peer's chain ended short of the work we need.
                        log_debug!(
                            Category::Net,
                            "Initial headers sync aborted with peer={}: incomplete headers message at height={} (presync phase)",
                            self.id,
                            self.current_height
                        );
                    }
                }
            }
            SyncPhase::Redownload => {
                ret.success = received
                    .iter()
                    .all(|h| self.validate_and_store_redownloaded(h));
                if ret.success {
                    ret.pow_validated_headers = self.pop_headers_ready();
                    if self.redownloaded_headers.is_empty() && self.process_all_remaining_headers {
                        log_debug!(
                            Category::Net,
                            "Initial headers sync complete with peer={}: releasing all at height={} (redownload phase)",
                            self.id,
                            self.redownload_buffer_last_height
                        );
                    } else if full_headers_message {
                        ret.request_more = true;
                    } else {
                        // It showed us a chain with enough work but will not serve it
                        // again; what was released stays released.
                        log_debug!(
                            Category::Net,
                            "Initial headers sync aborted with peer={}: incomplete headers message at height={} (redownload phase)",
                            self.id,
                            self.redownload_buffer_last_height
                        );
                    }
                }
            }
            SyncPhase::Final => {}
        }
        if !(ret.success && ret.request_more) {
            self.finalize();
        }
        ret
    }

    /// PRESYNC: checks a batch, sums its work and keeps its commitments; moves to
    /// REDOWNLOAD once the work suffices. False (and the sync is to end) on a failure.
    fn validate_and_store_commitments(&mut self, headers: &[Header]) -> bool {
        if headers[0].prev_blockhash != self.last_header_received.block_hash() {
            // Perhaps the peer reorganised; a new sync may start from a new fork point.
            log_debug!(
                Category::Net,
                "Initial headers sync aborted with peer={}: non-continuous headers at height={} (presync phase)",
                self.id,
                self.current_height
            );
            return false;
        }
        for h in headers {
            if !self.validate_and_process_single(h) {
                return false;
            }
        }
        if self.current_chain_work >= self.minimum_required_work {
            self.redownloaded_headers.clear();
            self.redownload_buffer_last_height = i64::from(self.chain_start.height);
            self.redownload_buffer_first_prev_hash = self.chain_start.hash;
            self.redownload_buffer_last_hash = self.chain_start.hash;
            self.redownload_chain_work = self.chain_start.chain_work;
            self.phase = SyncPhase::Redownload;
            log_debug!(
                Category::Net,
                "Initial headers sync transition with peer={}: reached sufficient work at height={}, redownloading from height={}",
                self.id,
                self.current_height,
                self.redownload_buffer_last_height
            );
        }
        true
    }

    /// PRESYNC: one header.
    fn validate_and_process_single(&mut self, h: &Header) -> bool {
        let next_height = self.current_height + 1;
        // Packing the work into few headers by raising the difficulty faster than the
        // retarget allows would help a weak attacker; refuse it.
        if !chain::pow::permitted_difficulty_transition(
            &self.params,
            next_height,
            self.last_header_received.bits,
            h.bits,
        ) {
            log_debug!(
                Category::Net,
                "Initial headers sync aborted with peer={}: invalid difficulty transition at height={} (presync phase)",
                self.id,
                next_height
            );
            return false;
        }
        if self.is_commitment_height(next_height) {
            let bit = self.commitment(h);
            self.header_commitments.push_back(bit);
            if self.header_commitments.len() as u64 > self.max_commitments {
                // Longer than any valid chain could be by now.
                log_debug!(
                    Category::Net,
                    "Initial headers sync aborted with peer={}: exceeded max commitments at height={} (presync phase)",
                    self.id,
                    next_height
                );
                return false;
            }
        }
        self.current_chain_work = self.current_chain_work + chain::pow::block_proof(h.bits);
        self.last_header_received = *h;
        self.current_height = next_height;
        true
    }

    fn is_commitment_height(&self, height: i64) -> bool {
        height.rem_euclid(self.sync_params.commitment_period as i64) as usize == self.commit_offset
    }

    /// REDOWNLOAD: checks one header against the chain so far and the commitments, and
    /// buffers it.
    fn validate_and_store_redownloaded(&mut self, h: &Header) -> bool {
        let next_height = self.redownload_buffer_last_height + 1;
        if h.prev_blockhash != self.redownload_buffer_last_hash {
            log_debug!(
                Category::Net,
                "Initial headers sync aborted with peer={}: non-continuous headers at height={} (redownload phase)",
                self.id,
                next_height
            );
            return false;
        }
        let previous_bits = self
            .redownloaded_headers
            .back()
            .map_or(self.chain_start.header.bits, |c| c.bits);
        if !chain::pow::permitted_difficulty_transition(
            &self.params,
            next_height,
            previous_bits,
            h.bits,
        ) {
            log_debug!(
                Category::Net,
                "Initial headers sync aborted with peer={}: invalid difficulty transition at height={} (redownload phase)",
                self.id,
                next_height
            );
            return false;
        }
        self.redownload_chain_work = self.redownload_chain_work + chain::pow::block_proof(h.bits);
        if self.redownload_chain_work >= self.minimum_required_work {
            self.process_all_remaining_headers = true;
        }
        // Past the target work the peer's chain may have grown since presync: no more
        // commitments to check then.
        if !self.process_all_remaining_headers && self.is_commitment_height(next_height) {
            let Some(expected) = self.header_commitments.pop_front() else {
                log_debug!(
                    Category::Net,
                    "Initial headers sync aborted with peer={}: commitment overrun at height={} (redownload phase)",
                    self.id,
                    next_height
                );
                return false;
            };
            if self.commitment(h) != expected {
                log_debug!(
                    Category::Net,
                    "Initial headers sync aborted with peer={}: commitment mismatch at height={} (redownload phase)",
                    self.id,
                    next_height
                );
                return false;
            }
        }
        self.redownloaded_headers
            .push_back(CompressedHeader::new(h));
        self.redownload_buffer_last_height = next_height;
        self.redownload_buffer_last_hash = h.block_hash();
        true
    }

    /// REDOWNLOAD: the buffered headers that have enough checked headers on top, or all
    /// of them once the redownloaded chain has the work.
    fn pop_headers_ready(&mut self) -> Vec<Header> {
        let mut out = Vec::new();
        while self.redownloaded_headers.len() > self.sync_params.redownload_buffer_size
            || (!self.redownloaded_headers.is_empty() && self.process_all_remaining_headers)
        {
            let Some(c) = self.redownloaded_headers.pop_front() else {
                break;
            };
            let h = c.full(self.redownload_buffer_first_prev_hash);
            self.redownload_buffer_first_prev_hash = h.block_hash();
            out.push(h);
        }
        out
    }

    /// The locator for our next `getheaders` to the peer (`NextHeadersRequestLocator`):
    /// from the last header we have of its chain in this phase, then our chain from the
    /// start point. Empty once finished.
    pub(crate) fn next_locator(&self) -> Vec<BlockHash> {
        let first = match self.phase {
            SyncPhase::Presync => self.last_header_received.block_hash(),
            SyncPhase::Redownload => self.redownload_buffer_last_hash,
            SyncPhase::Final => return Vec::new(),
        };
        let mut locator = Vec::with_capacity(self.chain_start.locator.len() + 1);
        locator.push(first);
        locator.extend_from_slice(&self.chain_start.locator);
        locator
    }
}

/// An all-zero header (`CBlockHeader::SetNull`).
fn null_header() -> Header {
    Header {
        version: Version::from_consensus(0),
        prev_blockhash: BlockHash::all_zeros(),
        merkle_root: TxMerkleNode::all_zeros(),
        time: 0,
        bits: CompactTarget::from_consensus(0),
        nonce: 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use chain::pow::check_proof_of_work;

    /// Regtest's easiest bits.
    const EASY_BITS: u32 = 0x207fffff;

    fn regtest() -> ChainParams {
        ChainParams::regtest()
    }

    /// Genesis as a chain start.
    fn genesis_start(params: &ChainParams) -> ChainStart {
        let g = params.genesis.header;
        ChainStart {
            header: g,
            hash: g.block_hash(),
            height: 0,
            chain_work: chain::pow::block_proof(g.bits),
            median_time_past: i64::from(g.time),
            locator: vec![g.block_hash()],
        }
    }

    /// `count` headers on `prev` (with time `prev_time`), each meeting its easy target;
    /// `salt` varies the merkle root so that chains on the same parent differ.
    fn build_chain(
        params: &ChainParams,
        prev: BlockHash,
        prev_time: u32,
        count: usize,
        salt: u8,
    ) -> Vec<Header> {
        let mut out = Vec::with_capacity(count);
        let (mut prev, mut time) = (prev, prev_time);
        for i in 0..count {
            time += 1;
            let mut root = [salt; 32];
            root[..8].copy_from_slice(&(i as u64).to_le_bytes());
            let mut h = Header {
                version: Version::from_consensus(4),
                prev_blockhash: prev,
                merkle_root: TxMerkleNode::from_byte_array(root),
                time,
                bits: CompactTarget::from_consensus(EASY_BITS),
                nonce: 0,
            };
            while !check_proof_of_work(h.block_hash(), h.bits, params) {
                h.nonce += 1;
            }
            prev = h.block_hash();
            out.push(h);
        }
        out
    }

    fn work_of(n: usize) -> Work {
        let mut w = Work::from_be_bytes([0; 32]);
        for _ in 0..n {
            w = w + chain::pow::block_proof(CompactTarget::from_consensus(EASY_BITS));
        }
        w
    }

    const NOW: i64 = 2_000_000_000;

    fn state(
        params: &ChainParams,
        sync_params: HeadersSyncParams,
        target_blocks: usize,
        offset: usize,
    ) -> HeadersSyncState {
        let start = genesis_start(params);
        let min_work = start.chain_work + work_of(target_blocks);
        HeadersSyncState::with_offset(
            0,
            params,
            sync_params,
            start,
            min_work,
            NOW,
            offset,
            (0x0706050403020100, 0x0f0e0d0c0b0a0908),
        )
    }

    /// Core's headers_sync_chainwork_tests in miniature: a chain of `TARGET` headers
    /// reaches the work; a different chain of the same length fails the commitments on
    /// redownload; the right one is released in full, at the buffer's pace.
    const TARGET: usize = 1500;
    const PERIOD: usize = 20;
    const BUFFER: usize = 300;

    fn small_params() -> HeadersSyncParams {
        HeadersSyncParams {
            commitment_period: PERIOD,
            redownload_buffer_size: BUFFER,
        }
    }

    fn chains() -> (Vec<Header>, Vec<Header>) {
        let p = regtest();
        let g = p.genesis.header;
        let first = build_chain(&p, g.block_hash(), g.time, TARGET + 500, 1);
        let second = build_chain(&p, g.block_hash(), g.time, TARGET + 500, 2);
        (first, second)
    }

    #[test]
    fn presync_then_redownload_then_release() {
        let p = regtest();
        let (chain, _) = chains();
        let mut s = state(&p, small_params(), TARGET, 3);
        assert_eq!(s.phase(), SyncPhase::Presync);
        let g = p.genesis.header.block_hash();
        assert_eq!(s.next_locator(), vec![g, g]);

        // Short of the work: keep asking, nothing released.
        let r = s.process_next_headers(&chain[..1000], true);
        assert!(r.success && r.request_more && r.pow_validated_headers.is_empty());
        assert_eq!(s.phase(), SyncPhase::Presync);
        assert_eq!(s.presync_height(), 1000);
        assert_eq!(s.presync_time(), chain[999].time);
        assert_eq!(s.next_locator()[0], chain[999].block_hash());

        // Reaching it (the message was full) moves to redownload, from the start.
        let r = s.process_next_headers(&chain[1000..2000], true);
        assert!(r.success && r.request_more && r.pow_validated_headers.is_empty());
        assert_eq!(s.phase(), SyncPhase::Redownload);
        assert_eq!(s.presync_height(), 2000);
        assert_eq!(s.next_locator(), vec![g, g]);

        // Redownload: only what has BUFFER checked headers on top leaves.
        let r = s.process_next_headers(&chain[..1000], true);
        assert!(r.success && r.request_more);
        assert_eq!(r.pow_validated_headers, chain[..1000 - BUFFER].to_vec());
        assert_eq!(s.next_locator()[0], chain[999].block_hash());

        // The headers reaching the target work release everything.
        let r = s.process_next_headers(&chain[1000..2000], true);
        assert!(r.success && !r.request_more);
        assert_eq!(r.pow_validated_headers, chain[1000 - BUFFER..2000].to_vec());
        assert_eq!(s.phase(), SyncPhase::Final);
        assert!(s.next_locator().is_empty());
    }

    #[test]
    fn a_different_chain_on_redownload_fails_the_commitments() {
        let p = regtest();
        let (first, second) = chains();
        // With a commitment every 20 headers over 1000 headers, a swapped chain passes
        // all 50 one-bit checks with chance 2^-50.
        let mut s = state(&p, small_params(), TARGET, 7);
        let r = s.process_next_headers(&first[..2000], true);
        assert!(r.success && r.request_more);
        assert_eq!(s.phase(), SyncPhase::Redownload);
        let r = s.process_next_headers(&second[..1000], true);
        assert!(!r.success && !r.request_more);
        assert!(r.pow_validated_headers.is_empty());
        assert_eq!(s.phase(), SyncPhase::Final);
    }

    #[test]
    fn an_incomplete_message_in_presync_ends_the_sync() {
        let p = regtest();
        let (chain, _) = chains();
        let mut s = state(&p, small_params(), TARGET, 0);
        let r = s.process_next_headers(&chain[..500], false);
        assert!(r.success && !r.request_more && r.pow_validated_headers.is_empty());
        assert_eq!(s.phase(), SyncPhase::Final);
    }

    #[test]
    fn an_incomplete_message_in_redownload_releases_what_is_ready_and_ends() {
        let p = regtest();
        let (chain, _) = chains();
        let mut s = state(&p, small_params(), TARGET, 0);
        assert!(s.process_next_headers(&chain[..2000], true).success);
        let r = s.process_next_headers(&chain[..1000], false);
        assert!(r.success && !r.request_more);
        assert_eq!(r.pow_validated_headers, chain[..1000 - BUFFER].to_vec());
        assert_eq!(s.phase(), SyncPhase::Final);
    }

    #[test]
    fn headers_that_do_not_connect_abort() {
        let p = regtest();
        let (chain, _) = chains();
        // In presync.
        let mut s = state(&p, small_params(), TARGET, 0);
        let r = s.process_next_headers(&chain[1..100], true);
        assert!(!r.success && !r.request_more);
        assert_eq!(s.phase(), SyncPhase::Final);
        // In redownload.
        let mut s = state(&p, small_params(), TARGET, 0);
        assert!(s.process_next_headers(&chain[..2000], true).success);
        let r = s.process_next_headers(&chain[1..100], true);
        assert!(!r.success);
        assert_eq!(s.phase(), SyncPhase::Final);
    }

    #[test]
    fn a_chain_longer_than_time_allows_exceeds_the_commitments() {
        let p = regtest();
        let (chain, _) = chains();
        let start = genesis_start(&p);
        // Six blocks a second over (now - start MTP + 2 hours): with `now` set far
        // before the start, only a handful of commitments are allowed.
        let now = start.median_time_past - MAX_FUTURE_BLOCK_TIME + 100;
        let min_work = start.chain_work + work_of(TARGET);
        let mut s =
            HeadersSyncState::with_offset(0, &p, small_params(), start, min_work, now, 0, (1, 2));
        assert_eq!(s.max_commitments, 600 / PERIOD as u64);
        let r = s.process_next_headers(&chain[..1000], true);
        assert!(!r.success);
        assert_eq!(s.phase(), SyncPhase::Final);
    }

    #[test]
    fn too_steep_a_difficulty_change_aborts_where_retargets_are_checked() {
        // Mainnet checks transitions; a header changing bits off a retarget boundary
        // ends the sync before any proof of work would matter.
        let p = ChainParams::main();
        let start = genesis_start(&p);
        let min_work = start.chain_work + start.chain_work;
        let mut s = HeadersSyncState::with_offset(
            0,
            &p,
            p.headers_sync,
            start.clone(),
            min_work,
            NOW,
            0,
            (1, 2),
        );
        let mut h = start.header;
        h.prev_blockhash = start.hash;
        h.bits = CompactTarget::from_consensus(0x1c00ffff);
        let r = s.process_next_headers(&[h], true);
        assert!(!r.success);
        assert_eq!(s.phase(), SyncPhase::Final);
    }

    #[test]
    fn bit_queue_keeps_order_across_words() {
        let mut q = BitQueue::default();
        let bits: Vec<bool> = (0..300).map(|i| (i * 7 + i / 3) % 5 < 2).collect();
        for &b in &bits[..150] {
            q.push_back(b);
        }
        let mut out = Vec::new();
        for _ in 0..100 {
            out.push(q.pop_front().unwrap());
        }
        for &b in &bits[150..] {
            q.push_back(b);
        }
        while let Some(b) = q.pop_front() {
            out.push(b);
        }
        assert_eq!(out, bits);
        assert_eq!(q.len(), 0);
        assert!(q.words.is_empty());
    }

    #[test]
    fn work_prints_as_core_does() {
        assert_eq!(work_hex(work_of(1)), format!("{:064x}", 2));
    }
}
