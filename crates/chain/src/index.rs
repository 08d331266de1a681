//! The block index: every header with its height and cumulative work, the best header by
//! most work (the first seen wins ties), status bits, and Core's header checks with their
//! reject reasons (`CheckBlockHeader`, `ContextualCheckBlockHeader`, `AcceptBlockHeader`).

use std::collections::HashMap;

use bitcoin::block::Header;
use bitcoin::pow::Work;
use bitcoin::BlockHash;

use crate::blockfiles::FilePos;
use crate::params::{ChainParams, MAX_FUTURE_BLOCK_TIME, MAX_TIMEWARP};
use crate::pow::{block_proof, check_proof_of_work, next_work_required, HeaderChain};

/// Status bits of an index entry (`BlockStatus`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct BlockStatus(pub u32);

impl BlockStatus {
    /// The header passed every check.
    pub const VALID_HEADER: u32 = 1;
    /// Transactions and scripts checked (the block was connected once).
    pub const VALID_SCRIPTS: u32 = 5;
    /// Mask of the validity level.
    pub const VALID_MASK: u32 = 7;
    /// The block data is in a block file.
    pub const HAVE_DATA: u32 = 8;
    /// Undo data is in an undo file.
    pub const HAVE_UNDO: u32 = 16;
    /// The block itself is invalid.
    pub const FAILED_VALID: u32 = 32;
    /// An ancestor is invalid.
    pub const FAILED_CHILD: u32 = 64;

    /// Whether the block or an ancestor is invalid.
    pub fn failed(self) -> bool {
        self.0 & (Self::FAILED_VALID | Self::FAILED_CHILD) != 0
    }
}

/// What the database keeps of an entry besides its header.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Stored {
    /// Status bits.
    pub status: BlockStatus,
    /// Block data position.
    pub data: Option<FilePos>,
    /// Undo data position.
    pub undo: Option<FilePos>,
    /// Transactions in the block.
    pub tx_count: u32,
    /// Transactions in the chain up to it.
    pub chain_tx_count: u64,
}

/// One header in the index (`CBlockIndex`).
#[derive(Debug, Clone)]
pub struct Entry {
    /// Block hash.
    pub hash: BlockHash,
    /// The header.
    pub header: Header,
    /// Height in its branch.
    pub height: u32,
    /// Work of the branch up to and including this block (`nChainWork`).
    pub chain_work: Work,
    /// Index of the parent, `None` for genesis.
    pub prev: Option<usize>,
    /// Status bits.
    pub status: BlockStatus,
    /// Order of arrival, which breaks ties between equal work (`nSequenceId`).
    pub sequence: i64,
    /// Where the block data is, once stored.
    pub data: Option<FilePos>,
    /// Where its undo data is, once connected.
    pub undo: Option<FilePos>,
    /// Transactions in the block, once its data is known (`nTx`).
    pub tx_count: u32,
    /// Transactions in the chain up to and including this block, once connected
    /// (`m_chain_tx_count`); 0 when not known.
    pub chain_tx_count: u64,
}

/// Why a header was rejected; [`HeaderError::reason`] is Core's reject reason.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum HeaderError {
    /// Known already and invalid.
    Duplicate(BlockHash),
    /// The hash does not meet the target its bits encode, or the bits are invalid.
    HighHash,
    /// The parent is unknown.
    PrevBlockNotFound,
    /// The parent is invalid.
    BadPrevBlock,
    /// The bits are not the ones the chain requires.
    BadDiffBits,
    /// The time is not after the median time past.
    TimeTooOld,
    /// BIP94: a difficulty-adjustment block too far before its parent.
    TimewarpAttack,
    /// The time is more than two hours ahead.
    TimeTooNew,
    /// A version that an active soft fork rules out.
    BadVersion(i32),
    /// A new header whose chain's work the caller did not check against the anti-DoS
    /// threshold (`BLOCK_HEADER_LOW_WORK`): valid, but not added.
    TooLittleChainwork,
}

impl HeaderError {
    /// Core's reject reason.
    pub fn reason(&self) -> String {
        match self {
            HeaderError::Duplicate(_) => "duplicate-invalid".into(),
            HeaderError::HighHash => "high-hash".into(),
            HeaderError::PrevBlockNotFound => "prev-blk-not-found".into(),
            HeaderError::BadPrevBlock => "bad-prevblk".into(),
            HeaderError::BadDiffBits => "bad-diffbits".into(),
            HeaderError::TimeTooOld => "time-too-old".into(),
            HeaderError::TimewarpAttack => "time-timewarp-attack".into(),
            HeaderError::TimeTooNew => "time-too-new".into(),
            HeaderError::BadVersion(v) => format!("bad-version(0x{:08x})", *v as u32),
            HeaderError::TooLittleChainwork => "too-little-chainwork".into(),
        }
    }

    /// Core's debug message.
    pub fn debug_message(&self) -> String {
        match self {
            HeaderError::Duplicate(h) => format!("block {h} was previously marked invalid"),
            HeaderError::HighHash => "proof of work failed".into(),
            HeaderError::PrevBlockNotFound => String::new(),
            HeaderError::BadPrevBlock => "previous block invalid".into(),
            HeaderError::BadDiffBits => "incorrect proof of work".into(),
            HeaderError::TimeTooOld => "block's timestamp is too early".into(),
            HeaderError::TimewarpAttack => {
                "block's timestamp is too early on diff adjustment block".into()
            }
            HeaderError::TimeTooNew => "block timestamp too far in the future".into(),
            HeaderError::BadVersion(v) => format!("rejected nVersion=0x{:08x} block", *v as u32),
            HeaderError::TooLittleChainwork => String::new(),
        }
    }
}

impl std::fmt::Display for HeaderError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Core's `ValidationState::ToString` leaves out an empty debug message.
        let debug = self.debug_message();
        if debug.is_empty() {
            f.write_str(&self.reason())
        } else {
            write!(f, "{}, {}", self.reason(), debug)
        }
    }
}

impl std::error::Error for HeaderError {}

/// All known headers.
pub struct BlockIndex {
    params: ChainParams,
    entries: Vec<Entry>,
    by_hash: HashMap<BlockHash, usize>,
    children: Vec<u32>,
    best_header: usize,
    next_sequence: i64,
    /// Per entry, an ancestor further back (`pskip`), so that [`BlockIndex::ancestor`]
    /// takes logarithmic steps, as Core's skip list does.
    skip: Vec<usize>,
}

/// Turns the lowest set bit off (`InvertLowestOne`).
fn invert_lowest_one(n: u32) -> u32 {
    n & n.wrapping_sub(1)
}

/// The height an entry at `height` skips to (`GetSkipHeight`).
fn skip_height(height: u32) -> u32 {
    if height < 2 {
        return 0;
    }
    // Odd heights skip further back so that walks need few steps.
    if height & 1 == 1 {
        invert_lowest_one(invert_lowest_one(height - 1)) + 1
    } else {
        invert_lowest_one(height)
    }
}

struct Branch<'a> {
    index: &'a BlockIndex,
    tip: usize,
    /// The last ancestor returned: walks to lower heights continue from it, so the
    /// testnet rule's block-by-block walk back is linear, not quadratic.
    cursor: std::cell::Cell<usize>,
}

impl HeaderChain for Branch<'_> {
    fn ancestor(&self, height: u32) -> Option<Header> {
        let cursor = self.cursor.get();
        let from = if self.index.entries[cursor].height >= height {
            cursor
        } else {
            self.tip
        };
        let i = self.index.ancestor(from, height)?;
        self.cursor.set(i);
        Some(self.index.entries[i].header)
    }
}

impl BlockIndex {
    /// An index holding the genesis block of `params`.
    pub fn new(params: ChainParams) -> BlockIndex {
        let header = params.genesis.header;
        let genesis = Entry {
            hash: header.block_hash(),
            header,
            height: 0,
            chain_work: block_proof(header.bits),
            prev: None,
            status: BlockStatus(BlockStatus::VALID_HEADER),
            sequence: 0,
            data: None,
            undo: None,
            tx_count: 0,
            chain_tx_count: 0,
        };
        let mut by_hash = HashMap::new();
        by_hash.insert(genesis.hash, 0);
        BlockIndex {
            params,
            entries: vec![genesis],
            skip: vec![0],
            by_hash,
            children: vec![0],
            best_header: 0,
            next_sequence: 2,
        }
    }

    /// The chain parameters.
    pub fn params(&self) -> &ChainParams {
        &self.params
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Always false: the genesis block is there from the start.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The entry at `i`.
    pub fn entry(&self, i: usize) -> &Entry {
        &self.entries[i]
    }

    /// The index of a known block.
    pub fn find(&self, hash: &BlockHash) -> Option<usize> {
        self.by_hash.get(hash).copied()
    }

    /// The valid header with the most work; the first seen among equals.
    pub fn best_header(&self) -> &Entry {
        &self.entries[self.best_header]
    }

    /// The ancestor of `i` at `height` (`GetAncestor`).
    pub fn ancestor(&self, mut i: usize, height: u32) -> Option<usize> {
        if height > self.entries[i].height {
            return None;
        }
        // Core's GetAncestor: take the skip pointer unless it overshoots (or, for the
        // predecessor's, lands no nearer than following prev would).
        while self.entries[i].height > height {
            let h = self.entries[i].height;
            let skip_h = skip_height(h);
            let prev_skip_h = skip_height(h - 1);
            if self.skip[i] != i
                && (skip_h == height
                    || (skip_h > height && !(prev_skip_h + 2 < skip_h && prev_skip_h >= height)))
            {
                i = self.skip[i];
            } else {
                i = self.entries[i].prev?;
            }
        }
        Some(i)
    }

    /// Median of the last 11 block times up to `i` (`GetMedianTimePast`).
    pub fn median_time_past(&self, mut i: usize) -> i64 {
        let mut times = Vec::with_capacity(11);
        loop {
            times.push(self.entries[i].header.time as i64);
            match self.entries[i].prev {
                Some(p) if times.len() < 11 => i = p,
                _ => break,
            }
        }
        times.sort_unstable();
        times[times.len() / 2]
    }

    /// Entries without children (`getchaintips`' candidates).
    pub fn tips(&self) -> Vec<usize> {
        (0..self.entries.len())
            .filter(|&i| self.children[i] == 0)
            .collect()
    }

    /// Checks and adds a header (`AcceptBlockHeader`); `now` is the node's adjusted time.
    /// A known valid header returns its index again.
    pub fn accept_header(&mut self, header: &Header, now: i64) -> Result<usize, HeaderError> {
        self.accept_header_pow_checked(header, now, true)
    }

    /// [`Self::accept_header`] with Core's `min_pow_checked`: when the caller has not
    /// checked the header's chain against the anti-DoS work threshold, a new header that
    /// passes every check is still refused ([`HeaderError::TooLittleChainwork`]), so a
    /// low-work chain cannot fill the index. Known headers are unaffected.
    pub fn accept_header_pow_checked(
        &mut self,
        header: &Header,
        now: i64,
        min_pow_checked: bool,
    ) -> Result<usize, HeaderError> {
        let hash = header.block_hash();
        if let Some(&i) = self.by_hash.get(&hash) {
            return if self.entries[i].status.failed() {
                Err(HeaderError::Duplicate(hash))
            } else {
                Ok(i)
            };
        }
        if !check_proof_of_work(hash, header.bits, &self.params) {
            return Err(HeaderError::HighHash);
        }
        let prev = self
            .find(&header.prev_blockhash)
            .ok_or(HeaderError::PrevBlockNotFound)?;
        if self.entries[prev].status.failed() {
            return Err(HeaderError::BadPrevBlock);
        }
        self.contextual_check(header, prev, now)?;
        if !min_pow_checked {
            return Err(HeaderError::TooLittleChainwork);
        }
        let height = self.entries[prev].height + 1;
        let entry = Entry {
            hash,
            header: *header,
            height,
            chain_work: self.entries[prev].chain_work + block_proof(header.bits),
            prev: Some(prev),
            status: BlockStatus(BlockStatus::VALID_HEADER),
            // Numbered when its block arrives (`ReceivedBlockTransactions`), not its
            // header: a header seen early does not win ties for a block received late.
            sequence: 1,
            data: None,
            undo: None,
            tx_count: 0,
            chain_tx_count: 0,
        };
        let i = self.entries.len();
        self.by_hash.insert(hash, i);
        self.children[prev] += 1;
        self.children.push(0);
        let skip = self.ancestor(prev, skip_height(entry.height)).unwrap_or(0);
        self.skip.push(skip);
        if entry.chain_work > self.entries[self.best_header].chain_work {
            self.best_header = i;
        }
        self.entries.push(entry);
        Ok(i)
    }

    /// Adds an entry read back from the database, without header checks (they passed when
    /// it was first accepted). The parent must be loaded first; `None` if it is not.
    pub fn load(&mut self, header: &Header, stored: Stored) -> Option<usize> {
        let hash = header.block_hash();
        if let Some(&i) = self.by_hash.get(&hash) {
            let e = &mut self.entries[i];
            e.status = stored.status;
            e.data = stored.data;
            e.undo = stored.undo;
            e.tx_count = stored.tx_count;
            e.chain_tx_count = stored.chain_tx_count;
            return Some(i);
        }
        let Stored {
            status,
            data,
            undo,
            tx_count,
            chain_tx_count,
        } = stored;
        let prev = self.find(&header.prev_blockhash)?;
        let entry = Entry {
            hash,
            header: *header,
            height: self.entries[prev].height + 1,
            chain_work: self.entries[prev].chain_work + block_proof(header.bits),
            prev: Some(prev),
            status,
            // As Core does for entries read from disk: all alike, after the tip's 0, so
            // only arrival order in this run breaks ties among new blocks.
            sequence: 1,
            data,
            undo,
            tx_count,
            chain_tx_count,
        };
        self.next_sequence = self.next_sequence.max(2);
        let i = self.entries.len();
        self.by_hash.insert(hash, i);
        self.children[prev] += 1;
        self.children.push(0);
        let skip = self.ancestor(prev, skip_height(entry.height)).unwrap_or(0);
        self.skip.push(skip);
        if !status.failed() && entry.chain_work > self.entries[self.best_header].chain_work {
            self.best_header = i;
        }
        self.entries.push(entry);
        Some(i)
    }

    /// Records where entry `i`'s block data is and how many transactions it has.
    pub fn set_data(&mut self, i: usize, pos: FilePos, tx_count: u32) {
        self.entries[i].sequence = self.next_sequence;
        self.next_sequence += 1;
        self.entries[i].data = Some(pos);
        self.entries[i].tx_count = tx_count;
        self.entries[i].status.0 |= BlockStatus::HAVE_DATA;
    }

    /// Records where entry `i`'s undo data is, and that it was connected (scripts valid).
    pub fn set_connected(&mut self, i: usize, undo: Option<FilePos>) {
        let before = self.entries[i]
            .prev
            .map_or(0, |p| self.entries[p].chain_tx_count);
        let e = &mut self.entries[i];
        e.chain_tx_count = before + u64::from(e.tx_count);
        if let Some(pos) = undo {
            e.undo = Some(pos);
            e.status.0 |= BlockStatus::HAVE_UNDO;
        }
        if e.status.0 & BlockStatus::VALID_MASK < BlockStatus::VALID_SCRIPTS {
            e.status.0 = (e.status.0 & !BlockStatus::VALID_MASK) | BlockStatus::VALID_SCRIPTS;
        }
    }

    /// `ContextualCheckBlockHeader` of a header on top of entry `prev`, without adding it.
    pub fn check_header_on(
        &self,
        header: &Header,
        prev: usize,
        now: i64,
    ) -> Result<(), HeaderError> {
        self.contextual_check(header, prev, now)
    }

    /// `ContextualCheckBlockHeader` against the parent at `prev`.
    fn contextual_check(&self, header: &Header, prev: usize, now: i64) -> Result<(), HeaderError> {
        let p = &self.entries[prev];
        let height = p.height + 1;
        let branch = Branch {
            index: self,
            tip: prev,
            cursor: std::cell::Cell::new(prev),
        };
        if header.bits
            != next_work_required(&p.header, p.height, header.time, &branch, &self.params)
        {
            return Err(HeaderError::BadDiffBits);
        }
        if header.time as i64 <= self.median_time_past(prev) {
            return Err(HeaderError::TimeTooOld);
        }
        if self.params.enforce_bip94
            && height.is_multiple_of(self.params.difficulty_adjustment_interval())
            && (header.time as i64) < p.header.time as i64 - MAX_TIMEWARP
        {
            return Err(HeaderError::TimewarpAttack);
        }
        if header.time as i64 > now + MAX_FUTURE_BLOCK_TIME {
            return Err(HeaderError::TimeTooNew);
        }
        let v = header.version.to_consensus();
        if (v < 2 && height >= self.params.bip34_height)
            || (v < 3 && height >= self.params.bip66_height)
            || (v < 4 && height >= self.params.bip65_height)
        {
            return Err(HeaderError::BadVersion(v));
        }
        Ok(())
    }

    /// Marks `i` invalid and every descendant as having an invalid ancestor
    /// (`InvalidateBlock`'s index part), then recomputes the best header.
    /// Returns the entries whose status changed.
    pub fn invalidate(&mut self, i: usize) -> Vec<usize> {
        let mut changed = Vec::new();
        if self.entries[i].status.0 & BlockStatus::FAILED_VALID == 0 {
            self.entries[i].status.0 |= BlockStatus::FAILED_VALID;
            changed.push(i);
        }
        // Entries come after their parents, so one forward pass reaches every descendant.
        for j in i + 1..self.entries.len() {
            if let Some(p) = self.entries[j].prev {
                if self.entries[p].status.failed() && !self.entries[j].status.failed() {
                    self.entries[j].status.0 |= BlockStatus::FAILED_CHILD;
                    changed.push(j);
                }
            }
        }
        self.recompute_best_header();
        changed
    }

    /// Clears the failure marks of `i`, its ancestors and descendants (`ReconsiderBlock`'s index part).
    /// Returns the entries whose status changed.
    pub fn reconsider(&mut self, i: usize) -> Vec<usize> {
        const FAILED: u32 = BlockStatus::FAILED_VALID | BlockStatus::FAILED_CHILD;
        let mut changed = Vec::new();
        let mut clear = |e: &mut Entry, k: usize| {
            if e.status.0 & FAILED != 0 {
                e.status.0 &= !FAILED;
                changed.push(k);
            }
        };
        let mut a = Some(i);
        while let Some(k) = a {
            clear(&mut self.entries[k], k);
            a = self.entries[k].prev;
        }
        let height = self.entries[i].height;
        for j in i + 1..self.entries.len() {
            if self.ancestor(j, height) == Some(i) {
                clear(&mut self.entries[j], j);
            }
        }
        self.recompute_best_header();
        changed
    }

    /// The bits a block after entry `prev` with time `time` must have
    /// (`GetNextWorkRequired`).
    pub fn next_bits(&self, prev: usize, time: u32) -> bitcoin::CompactTarget {
        let p = &self.entries[prev];
        let branch = Branch {
            index: self,
            tip: prev,
            cursor: std::cell::Cell::new(prev),
        };
        next_work_required(&p.header, p.height, time, &branch, &self.params)
    }

    /// Makes entry `i` win ties of equal work against every other entry
    /// (`PreciousBlock`'s index part): it gets sequence number `sequence`, which the
    /// caller counts down from -1.
    pub fn make_precious(&mut self, i: usize, sequence: i64) {
        self.entries[i].sequence = sequence;
        self.recompute_best_header();
    }

    fn recompute_best_header(&mut self) {
        let mut best = 0;
        for (i, e) in self.entries.iter().enumerate() {
            let b = &self.entries[best];
            if !e.status.failed()
                && (e.chain_work > b.chain_work
                    || (e.chain_work == b.chain_work && e.sequence < b.sequence))
            {
                best = i;
            }
        }
        self.best_header = best;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bitcoin::block::Version;
    use bitcoin::hashes::Hash;
    use bitcoin::pow::CompactTarget;
    use bitcoin::TxMerkleNode;

    /// A regtest header on `prev` that meets its target (about half of all nonces do).
    fn mine(prev: &Header, time: u32, version: i32, salt: u8) -> Header {
        let mut h = Header {
            version: Version::from_consensus(version),
            prev_blockhash: prev.block_hash(),
            merkle_root: TxMerkleNode::from_byte_array([salt; 32]),
            time,
            bits: CompactTarget::from_consensus(0x207fffff),
            nonce: 0,
        };
        let p = ChainParams::regtest();
        while !check_proof_of_work(h.block_hash(), h.bits, &p) {
            h.nonce += 1;
        }
        h
    }

    #[test]
    fn best_header_follows_most_work_first_seen_wins_ties() {
        let mut index = BlockIndex::new(ChainParams::regtest());
        let g = index.best_header().header;
        let now = g.time as i64 + 1_000_000;
        let a1 = mine(&g, g.time + 1, 4, 1);
        let b1 = mine(&g, g.time + 1, 4, 2);
        let ia = index.accept_header(&a1, now).unwrap();
        let ib = index.accept_header(&b1, now).unwrap();
        assert_eq!(
            index.best_header().hash,
            a1.block_hash(),
            "first seen wins a tie"
        );
        let b2 = mine(&b1, g.time + 2, 4, 3);
        index.accept_header(&b2, now).unwrap();
        assert_eq!(index.best_header().hash, b2.block_hash());
        assert_eq!(index.entry(index.find(&b2.block_hash()).unwrap()).height, 2);
        assert_eq!(index.tips().len(), 2);
        assert_eq!(index.accept_header(&a1, now), Ok(ia));
        // Invalidating b1 moves the best header back to a1; reconsidering restores b2.
        index.invalidate(ib);
        assert_eq!(index.best_header().hash, a1.block_hash());
        assert_eq!(
            index.accept_header(&b1, now),
            Err(HeaderError::Duplicate(b1.block_hash()))
        );
        let b3 = mine(&b2, g.time + 3, 4, 4);
        assert_eq!(
            index.accept_header(&b3, now),
            Err(HeaderError::BadPrevBlock)
        );
        index.reconsider(ib);
        assert_eq!(index.best_header().hash, b2.block_hash());
    }

    #[test]
    fn header_reject_reasons() {
        let mut index = BlockIndex::new(ChainParams::regtest());
        let g = index.best_header().header;
        let now = g.time as i64 + 1_000_000;
        // high-hash: a nonce whose hash misses the target.
        let mut bad = mine(&g, g.time + 1, 4, 9);
        while check_proof_of_work(bad.block_hash(), bad.bits, index.params()) {
            bad.nonce += 1;
        }
        assert_eq!(
            index.accept_header(&bad, now).unwrap_err().reason(),
            "high-hash"
        );
        // prev-blk-not-found.
        let orphan = mine(&bad, g.time + 2, 4, 9);
        assert_eq!(
            index.accept_header(&orphan, now).unwrap_err().reason(),
            "prev-blk-not-found"
        );
        // time-too-old: not after the median time past (here the genesis time).
        let old = mine(&g, g.time, 4, 9);
        assert_eq!(
            index.accept_header(&old, now).unwrap_err().reason(),
            "time-too-old"
        );
        // time-too-new: more than two hours ahead.
        let new = mine(&g, (now + MAX_FUTURE_BLOCK_TIME + 1) as u32, 4, 9);
        let e = index.accept_header(&new, now).unwrap_err();
        assert_eq!(
            e.to_string(),
            "time-too-new, block timestamp too far in the future"
        );
        // bad-version: version 3 once BIP65 (height 1 on regtest) is active.
        let v3 = mine(&g, g.time + 1, 3, 9);
        let e = index.accept_header(&v3, now).unwrap_err();
        assert_eq!(e.reason(), "bad-version(0x00000003)");
        assert_eq!(e.debug_message(), "rejected nVersion=0x00000003 block");
        // bad-diffbits: regtest requires its limit bits.
        let mut diff = mine(&g, g.time + 1, 4, 9);
        diff.bits = CompactTarget::from_consensus(0x207ffffe);
        while !check_proof_of_work(diff.block_hash(), diff.bits, index.params()) {
            diff.nonce += 1;
        }
        assert_eq!(
            index.accept_header(&diff, now).unwrap_err().reason(),
            "bad-diffbits"
        );
        // Nothing was added.
        assert_eq!(index.len(), 1);
    }

    #[test]
    fn median_time_past_of_eleven() {
        let mut index = BlockIndex::new(ChainParams::regtest());
        let mut prev = index.best_header().header;
        let base = prev.time;
        let now = base as i64 + 1_000_000;
        let mut last = 0;
        for k in 1..=15u32 {
            // Times go up by 10 but out of order within each pair.
            let t = base + 10 * k + if k % 2 == 0 { 7 } else { 0 };
            let h = mine(&prev, t, 4, k as u8);
            last = index.accept_header(&h, now).unwrap();
            prev = h;
        }
        let mut times: Vec<i64> = (5..=15u32)
            .map(|k| (base + 10 * k + if k % 2 == 0 { 7 } else { 0 }) as i64)
            .collect();
        times.sort_unstable();
        assert_eq!(index.median_time_past(last), times[5]);
    }

    #[test]
    fn skip_list_ancestors_match_walking_back() {
        let params = ChainParams::regtest();
        let mut index = BlockIndex::new(params.clone());
        let mut tips = vec![0usize];
        let mut nonce = 0;
        // A main branch of 1,500 entries and side branches forking off it.
        for n in 0..2000usize {
            let parent = if n % 7 == 6 {
                tips[n / 2]
            } else {
                tips[tips.len() - 1]
            };
            let mut header = params.genesis.header;
            header.prev_blockhash = index.entry(parent).hash;
            nonce += 1;
            header.nonce = nonce;
            let i = index.load(&header, Stored::default()).unwrap();
            if n % 7 != 6 {
                tips.push(i);
            }
        }
        let naive = |mut i: usize, height: u32| {
            while index.entry(i).height > height {
                i = index.entry(i).prev.unwrap();
            }
            i
        };
        for i in (0..index.len()).step_by(13) {
            let h = index.entry(i).height;
            for target in [0, h / 3, h / 2, h.saturating_sub(1), h] {
                assert_eq!(index.ancestor(i, target), Some(naive(i, target)));
            }
            assert_eq!(index.ancestor(i, h + 1), None);
        }
    }
}
