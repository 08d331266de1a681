//! BIP152 compact blocks (Core's blockencodings): rebuilding a block announced as a
//! header with short transaction ids from our pool and the extra transactions we keep,
//! then from the transactions the peer sends us on request.

use std::collections::HashMap;
use std::sync::Arc;

use bitcoin::bip152::{HeaderAndShortIds, ShortId};
use bitcoin::block::Header;
use bitcoin::{Block, Transaction, Wtxid};
use common::log_debug;
use common::logging::Category;

/// Most transactions a block can hold (`MAX_BLOCK_WEIGHT` over the weight of the
/// smallest transaction that can be serialized, 4,000,000 / 40).
const MAX_BLOCK_TXS: usize = 100_000;
/// Most short ids sharing one bucket of the lookup table before we give up on the
/// announcement: honest ids are uniform, so a crowded bucket means a crafted one.
const MAX_BUCKET_LOAD: usize = 12;
/// Version 2 compact blocks: short ids over wtxids, witnesses included.
pub(crate) const CMPCTBLOCKS_VERSION: u64 = 2;

/// The outcome of reading a compact block or its missing transactions (`ReadStatus`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ReadStatus {
    /// Read fine.
    Ok,
    /// Malformed: the peer sent nonsense.
    Invalid,
    /// Could not be used (short-id collision, perhaps): fetch the full block.
    Failed,
}

/// A short id as a number, for the lookup table (its six bytes, little-endian).
fn short_id_key(id: &ShortId) -> u64 {
    let b: &[u8] = id.as_ref();
    let mut v = [0u8; 8];
    v[..6].copy_from_slice(&b[..6]);
    u64::from_le_bytes(v)
}

/// The SipHash keys of a compact block and the short id of a wtxid under them.
pub(crate) struct ShortIdHasher {
    keys: (u64, u64),
}

impl ShortIdHasher {
    pub(crate) fn new(header: &Header, nonce: u64) -> ShortIdHasher {
        ShortIdHasher {
            keys: ShortId::calculate_siphash_keys(header, nonce),
        }
    }

    pub(crate) fn short_id(&self, wtxid: &Wtxid) -> u64 {
        short_id_key(&ShortId::with_siphash_keys(&wtxid.to_raw_hash(), self.keys))
    }
}

/// A compact block of `block` under `nonce`: the coinbase prefilled, every other
/// transaction by short id.
pub(crate) fn compact_block(block: &Block, nonce: u64) -> HeaderAndShortIds {
    match HeaderAndShortIds::from_block(block, nonce, CMPCTBLOCKS_VERSION as u32, &[]) {
        Ok(c) => c,
        // Version 2 and no prefill list: the builder has nothing to refuse.
        Err(_) => unreachable!("version 2 without a prefill list is always accepted"),
    }
}

/// The serialized size of a compact block, for the log.
pub(crate) fn compact_size(c: &HeaderAndShortIds) -> usize {
    bitcoin::consensus::encode::serialize(c).len()
}

/// Where a reconstructed transaction came from.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Source {
    None,
    Pool,
    Extra,
    /// Two candidates matched the short id: ask the peer instead.
    Collided,
}

/// A block being rebuilt from a compact block (`PartiallyDownloadedBlock`).
pub(crate) struct PartiallyDownloadedBlock {
    /// The header, until the block has been filled (or a fill was tried).
    header: Option<Header>,
    txn_available: Vec<Option<Arc<Transaction>>>,
    prefilled_count: usize,
    mempool_count: usize,
    extra_count: usize,
}

impl PartiallyDownloadedBlock {
    pub(crate) fn new() -> PartiallyDownloadedBlock {
        PartiallyDownloadedBlock {
            header: None,
            txn_available: Vec::new(),
            prefilled_count: 0,
            mempool_count: 0,
            extra_count: 0,
        }
    }

    /// The header, `None` once a fill was attempted.
    pub(crate) fn header(&self) -> Option<&Header> {
        self.header.as_ref()
    }

    /// `InitData`: places the prefilled transactions, then finds the others by short id
    /// among `pool` (wtxid and transaction of each pool entry) and `extra`.
    pub(crate) fn init_data<'a>(
        &mut self,
        cmpct: &HeaderAndShortIds,
        pool: impl IntoIterator<Item = (&'a Wtxid, &'a Arc<Transaction>)>,
        extra: &[(Wtxid, Arc<Transaction>)],
    ) -> ReadStatus {
        let hash = cmpct.header.block_hash();
        log_debug!(
            Category::CmpctBlock,
            "Initializing PartiallyDownloadedBlock for block {} using a cmpctblock of {} bytes",
            hash,
            compact_size(cmpct)
        );
        let short_count = cmpct.short_ids.len();
        let total = short_count + cmpct.prefilled_txs.len();
        // A null header has zero bits.
        if cmpct.header.bits.to_consensus() == 0 || total == 0 {
            return ReadStatus::Invalid;
        }
        if total > MAX_BLOCK_TXS {
            return ReadStatus::Invalid;
        }
        if self.header.is_some() || !self.txn_available.is_empty() {
            return ReadStatus::Invalid;
        }
        self.header = Some(cmpct.header);
        self.txn_available = vec![None; total];

        // Prefilled indexes are differential: each is the gap after the previous one.
        let mut last: i64 = -1;
        for (i, p) in cmpct.prefilled_txs.iter().enumerate() {
            if p.tx.input.is_empty() && p.tx.output.is_empty() {
                return ReadStatus::Invalid;
            }
            last += i64::from(p.idx) + 1;
            if last > i64::from(u16::MAX) {
                return ReadStatus::Invalid;
            }
            // An index past every short id and prefilled transaction so far leaves a
            // slot that nothing fills.
            if last as usize > short_count + i {
                return ReadStatus::Invalid;
            }
            self.txn_available[last as usize] = Some(Arc::new(p.tx.clone()));
        }
        self.prefilled_count = cmpct.prefilled_txs.len();

        // Short id -> block position, skipping the prefilled slots.
        let buckets = short_count.max(1) as u64;
        let mut bucket_load: HashMap<u64, usize> = HashMap::new();
        let mut positions: HashMap<u64, usize> = HashMap::with_capacity(short_count);
        let mut offset = 0usize;
        for (i, id) in cmpct.short_ids.iter().enumerate() {
            while self.txn_available[i + offset].is_some() {
                offset += 1;
            }
            let key = short_id_key(id);
            positions.insert(key, i + offset);
            let load = bucket_load.entry(key % buckets).or_insert(0);
            *load += 1;
            if *load > MAX_BUCKET_LOAD {
                return ReadStatus::Failed;
            }
        }
        if positions.len() != short_count {
            // Two transactions of the block share a short id.
            return ReadStatus::Failed;
        }

        let hasher = ShortIdHasher::new(&cmpct.header, cmpct.nonce);
        let mut source = vec![Source::None; total];
        for (wtxid, tx) in pool {
            if let Some(&pos) = positions.get(&hasher.short_id(wtxid)) {
                match source[pos] {
                    Source::None => {
                        self.txn_available[pos] = Some(tx.clone());
                        source[pos] = Source::Pool;
                        self.mempool_count += 1;
                    }
                    Source::Collided => {}
                    _ => {
                        // Two pool transactions match: the peer will send the right one.
                        self.txn_available[pos] = None;
                        self.mempool_count -= 1;
                        source[pos] = Source::Collided;
                    }
                }
            }
            // Stop once every short id has found a transaction.
            if self.mempool_count == short_count {
                break;
            }
        }
        for (wtxid, tx) in extra {
            if self.mempool_count == short_count {
                break;
            }
            let Some(&pos) = positions.get(&hasher.short_id(wtxid)) else {
                continue;
            };
            match source[pos] {
                Source::None => {
                    self.txn_available[pos] = Some(tx.clone());
                    source[pos] = Source::Extra;
                    self.mempool_count += 1;
                    self.extra_count += 1;
                }
                Source::Collided => {}
                s => {
                    // The same transaction in the pool and the extra list is no collision.
                    let same = self.txn_available[pos]
                        .as_ref()
                        .is_some_and(|t| t.compute_wtxid() == *wtxid);
                    if !same {
                        self.txn_available[pos] = None;
                        self.mempool_count -= 1;
                        if s == Source::Extra {
                            self.extra_count -= 1;
                        }
                        source[pos] = Source::Collided;
                    }
                }
            }
        }
        log_debug!(
            Category::CmpctBlock,
            "Initialized PartiallyDownloadedBlock for block {} using a cmpctblock of {} bytes",
            hash,
            compact_size(cmpct)
        );
        ReadStatus::Ok
    }

    /// `IsTxAvailable`.
    pub(crate) fn is_tx_available(&self, index: usize) -> bool {
        self.header.is_some() && self.txn_available.get(index).is_some_and(|t| t.is_some())
    }

    /// The block positions we still need (for `getblocktxn`).
    pub(crate) fn missing_indexes(&self) -> Vec<u64> {
        (0..self.txn_available.len())
            .filter(|&i| !self.is_tx_available(i))
            .map(|i| i as u64)
            .collect()
    }

    /// `FillBlock`: the block from what we found plus `missing`, in order. Callable
    /// once: the header is gone afterwards whatever the outcome.
    pub(crate) fn fill_block(
        &mut self,
        missing: &[Transaction],
        segwit_active: bool,
    ) -> (ReadStatus, Option<Block>) {
        let Some(header) = self.header.take() else {
            return (ReadStatus::Invalid, None);
        };
        let available = std::mem::take(&mut self.txn_available);
        let mut txdata = Vec::with_capacity(available.len());
        let mut next_missing = missing.iter();
        for slot in available {
            match slot {
                Some(tx) => txdata.push(Arc::unwrap_or_clone(tx)),
                None => match next_missing.next() {
                    Some(tx) => txdata.push(tx.clone()),
                    None => return (ReadStatus::Invalid, None),
                },
            }
        }
        if next_missing.next().is_some() {
            // More transactions than gaps.
            return (ReadStatus::Invalid, None);
        }
        let block = Block { header, txdata };
        if chain::validation::is_block_mutated(&block, segwit_active) {
            // Most likely a short-id collision put a wrong transaction in.
            return (ReadStatus::Failed, None);
        }
        let hash = block.block_hash();
        log_debug!(
            Category::CmpctBlock,
            "Successfully reconstructed block {} with {} txn prefilled, {} txn from mempool (incl at least {} from extra pool) and {} txn ({} bytes) requested",
            hash,
            self.prefilled_count,
            self.mempool_count,
            self.extra_count,
            missing.len(),
            missing.iter().map(|t| t.total_size()).sum::<usize>()
        );
        if missing.len() < 5 {
            for tx in missing {
                log_debug!(
                    Category::CmpctBlock,
                    "Reconstructed block {} required tx {}",
                    hash,
                    tx.compute_txid()
                );
            }
        }
        (ReadStatus::Ok, Some(block))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bitcoin::bip152::PrefilledTransaction;
    use bitcoin::block::Version;
    use bitcoin::hashes::Hash;
    use bitcoin::{
        absolute, transaction, Amount, CompactTarget, OutPoint, ScriptBuf, Sequence, TxIn,
        TxMerkleNode, TxOut, Txid, Witness,
    };

    fn tx(n: u32, witness: bool) -> Transaction {
        Transaction {
            version: transaction::Version::TWO,
            lock_time: absolute::LockTime::ZERO,
            input: vec![TxIn {
                previous_output: OutPoint {
                    txid: Txid::from_byte_array([n as u8; 32]),
                    vout: n,
                },
                script_sig: ScriptBuf::new(),
                sequence: Sequence::MAX,
                witness: if witness {
                    Witness::from_slice(&[vec![n as u8; 20]])
                } else {
                    Witness::new()
                },
            }],
            output: vec![TxOut {
                value: Amount::from_sat(1000 + u64::from(n)),
                script_pubkey: ScriptBuf::new_op_return([n as u8]),
            }],
        }
    }

    fn coinbase() -> Transaction {
        Transaction {
            version: transaction::Version::ONE,
            lock_time: absolute::LockTime::ZERO,
            input: vec![TxIn {
                previous_output: OutPoint::null(),
                script_sig: ScriptBuf::from_bytes(vec![0x51, 0x01, 0x01]),
                sequence: Sequence::MAX,
                witness: Witness::new(),
            }],
            output: vec![TxOut {
                value: Amount::from_sat(50),
                script_pubkey: ScriptBuf::new_op_return([]),
            }],
        }
    }

    /// A block of a coinbase and `n` transactions (no witnesses, so the merkle root
    /// alone fixes its contents).
    fn block(n: u32) -> Block {
        let mut txdata = vec![coinbase()];
        txdata.extend((1..=n).map(|i| tx(i, false)));
        let mut b = Block {
            header: Header {
                version: Version::from_consensus(0x2000_0000),
                prev_blockhash: bitcoin::BlockHash::all_zeros(),
                merkle_root: TxMerkleNode::all_zeros(),
                time: 1_700_000_000,
                bits: CompactTarget::from_consensus(0x207f_ffff),
                nonce: 0,
            },
            txdata,
        };
        b.header.merkle_root = b.compute_merkle_root().expect("root");
        b
    }

    fn entries(txs: &[Transaction]) -> Vec<(Wtxid, Arc<Transaction>)> {
        txs.iter()
            .map(|t| (t.compute_wtxid(), Arc::new(t.clone())))
            .collect()
    }

    fn pool_iter(
        v: &[(Wtxid, Arc<Transaction>)],
    ) -> impl Iterator<Item = (&Wtxid, &Arc<Transaction>)> {
        v.iter().map(|(w, t)| (w, t))
    }

    #[test]
    fn a_block_round_trips_through_pool_and_blocktxn() {
        let b = block(6);
        let cmpct = compact_block(&b, 42);
        assert_eq!(cmpct.prefilled_txs.len(), 1);
        assert_eq!(cmpct.short_ids.len(), 6);
        // The pool holds four of the six, plus an unrelated one; the extra list one more.
        let pool = entries(&[
            b.txdata[1].clone(),
            b.txdata[2].clone(),
            tx(99, false),
            b.txdata[4].clone(),
            b.txdata[6].clone(),
        ]);
        let extra = entries(&[b.txdata[5].clone()]);
        let mut partial = PartiallyDownloadedBlock::new();
        assert_eq!(
            partial.init_data(&cmpct, pool_iter(&pool), &extra),
            ReadStatus::Ok
        );
        assert_eq!(partial.missing_indexes(), vec![3]);
        assert_eq!(partial.extra_count, 1);
        // The peer answers getblocktxn from the block it has.
        let req = bitcoin::bip152::BlockTransactionsRequest {
            block_hash: b.block_hash(),
            indexes: partial.missing_indexes(),
        };
        let resp = bitcoin::bip152::BlockTransactions::from_request(&req, &b).expect("in range");
        let (status, filled) = partial.fill_block(&resp.transactions, true);
        assert_eq!(status, ReadStatus::Ok);
        assert_eq!(filled.expect("block"), b);
        // A second fill is refused.
        assert_eq!(partial.fill_block(&[], true).0, ReadStatus::Invalid);
    }

    #[test]
    fn a_block_found_whole_in_the_pool_needs_no_round_trip() {
        let b = block(3);
        let cmpct = compact_block(&b, 7);
        let pool = entries(&b.txdata[1..]);
        let mut partial = PartiallyDownloadedBlock::new();
        assert_eq!(
            partial.init_data(&cmpct, pool_iter(&pool), &[]),
            ReadStatus::Ok
        );
        assert!(partial.missing_indexes().is_empty());
        let (status, filled) = partial.fill_block(&[], false);
        assert_eq!(status, ReadStatus::Ok);
        assert_eq!(filled.expect("block"), b);
    }

    #[test]
    fn missing_transactions_must_match_the_gaps() {
        let b = block(3);
        let cmpct = compact_block(&b, 7);
        let mut partial = PartiallyDownloadedBlock::new();
        assert_eq!(
            partial.init_data(&cmpct, pool_iter(&[]), &[]),
            ReadStatus::Ok
        );
        assert_eq!(partial.missing_indexes(), vec![1, 2, 3]);
        // Too few.
        assert_eq!(
            partial.fill_block(&b.txdata[1..3], true).0,
            ReadStatus::Invalid
        );
        // Too many.
        let mut partial = PartiallyDownloadedBlock::new();
        partial.init_data(&cmpct, pool_iter(&[]), &[]);
        let mut more = b.txdata[1..].to_vec();
        more.push(tx(50, false));
        assert_eq!(partial.fill_block(&more, true).0, ReadStatus::Invalid);
        // Right count, wrong transactions: the merkle root tells, and we fall back.
        let mut partial = PartiallyDownloadedBlock::new();
        partial.init_data(&cmpct, pool_iter(&[]), &[]);
        let wrong = vec![tx(60, false), tx(61, false), tx(62, false)];
        assert_eq!(partial.fill_block(&wrong, true).0, ReadStatus::Failed);
    }

    #[test]
    fn two_pool_transactions_on_one_short_id_are_requested_instead() {
        let b = block(2);
        let cmpct = compact_block(&b, 1);
        // The same short id twice from different transactions: fake it by giving a
        // second transaction the wtxid of a block transaction.
        let target = b.txdata[1].compute_wtxid();
        let imposter = Arc::new(tx(77, false));
        let pool = vec![
            (target, Arc::new(b.txdata[1].clone())),
            (target, imposter),
            (b.txdata[2].compute_wtxid(), Arc::new(b.txdata[2].clone())),
        ];
        let mut partial = PartiallyDownloadedBlock::new();
        assert_eq!(
            partial.init_data(&cmpct, pool_iter(&pool), &[]),
            ReadStatus::Ok
        );
        assert_eq!(partial.missing_indexes(), vec![1]);
        // A pool transaction repeated in the extra list is no collision.
        let mut partial = PartiallyDownloadedBlock::new();
        let pool = entries(&b.txdata[1..2]);
        let extra = entries(&b.txdata[1..]);
        assert_eq!(
            partial.init_data(&cmpct, pool_iter(&pool), &extra),
            ReadStatus::Ok
        );
        assert!(partial.missing_indexes().is_empty());
    }

    #[test]
    fn colliding_short_ids_in_the_block_fail_the_announcement() {
        let b = block(3);
        let mut cmpct = compact_block(&b, 3);
        cmpct.short_ids[2] = cmpct.short_ids[0];
        let mut partial = PartiallyDownloadedBlock::new();
        assert_eq!(
            partial.init_data(&cmpct, pool_iter(&[]), &[]),
            ReadStatus::Failed
        );
    }

    #[test]
    fn malformed_compact_blocks_are_invalid() {
        let b = block(2);
        let good = compact_block(&b, 5);
        // Nothing at all.
        let mut c = good.clone();
        c.short_ids.clear();
        c.prefilled_txs.clear();
        assert_eq!(
            PartiallyDownloadedBlock::new().init_data(&c, pool_iter(&[]), &[]),
            ReadStatus::Invalid
        );
        // A null header.
        let mut c = good.clone();
        c.header.bits = CompactTarget::from_consensus(0);
        assert_eq!(
            PartiallyDownloadedBlock::new().init_data(&c, pool_iter(&[]), &[]),
            ReadStatus::Invalid
        );
        // A prefilled index past the end.
        let mut c = good.clone();
        c.prefilled_txs[0].idx = 3;
        assert_eq!(
            PartiallyDownloadedBlock::new().init_data(&c, pool_iter(&[]), &[]),
            ReadStatus::Invalid
        );
        // An empty prefilled transaction.
        let mut c = good.clone();
        c.prefilled_txs.push(PrefilledTransaction {
            idx: 0,
            tx: Transaction {
                version: transaction::Version::ONE,
                lock_time: absolute::LockTime::ZERO,
                input: vec![],
                output: vec![],
            },
        });
        c.short_ids.pop();
        assert_eq!(
            PartiallyDownloadedBlock::new().init_data(&c, pool_iter(&[]), &[]),
            ReadStatus::Invalid
        );
        // Initialised twice.
        let mut p = PartiallyDownloadedBlock::new();
        assert_eq!(p.init_data(&good, pool_iter(&[]), &[]), ReadStatus::Ok);
        assert_eq!(p.init_data(&good, pool_iter(&[]), &[]), ReadStatus::Invalid);
    }

    #[test]
    fn a_prefilled_transaction_in_the_middle_shifts_the_short_ids() {
        let b = block(4);
        let cmpct = HeaderAndShortIds::from_block(&b, 9, 2, &[2]).expect("prefill of position 2");
        let pool = entries(&[
            b.txdata[1].clone(),
            b.txdata[3].clone(),
            b.txdata[4].clone(),
        ]);
        let mut partial = PartiallyDownloadedBlock::new();
        assert_eq!(
            partial.init_data(&cmpct, pool_iter(&pool), &[]),
            ReadStatus::Ok
        );
        assert!(partial.missing_indexes().is_empty());
        let (status, filled) = partial.fill_block(&[], true);
        assert_eq!(status, ReadStatus::Ok);
        assert_eq!(filled.expect("block"), b);
    }

    #[test]
    fn short_ids_match_the_bitcoin_crate_and_witness_matters() {
        let mut b = block(1);
        b.txdata[1] = tx(1, true);
        b.header.merkle_root = b.compute_merkle_root().expect("root");
        let cmpct = compact_block(&b, 11);
        let h = ShortIdHasher::new(&cmpct.header, cmpct.nonce);
        assert_eq!(
            h.short_id(&b.txdata[1].compute_wtxid()),
            short_id_key(&cmpct.short_ids[0])
        );
        // The same transaction without its witness has another wtxid, so another id.
        assert_ne!(
            h.short_id(&tx(1, false).compute_wtxid()),
            short_id_key(&cmpct.short_ids[0])
        );
        assert!(h.short_id(&b.txdata[1].compute_wtxid()) < (1 << 48));
    }
}
