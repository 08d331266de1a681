//! Tests of the block policy estimator: bucket layout, a simulated chain the estimates
//! must follow (the scenario of Core's `blockpolicyestimator_tests`), and its file.

use super::*;
use crate::block_policy_file::{BlockPolicyFileError, CURRENT_FEES_FILE_VERSION};
use crate::ser::DecodeError;
use bitcoin::hashes::Hash;

/// Virtual size of the test transactions (one input with a 128-byte script, one empty
/// output), as in Core's test.
const VSIZE: i64 = 188;
const BASE_FEE: i64 = 2000;
const DELTA_FEE: i64 = 100;

fn txid(n: u64) -> Txid {
    let mut b = [0u8; 32];
    b[..8].copy_from_slice(&n.to_le_bytes());
    Txid::from_byte_array(b)
}

fn new_tx(id: u64, fee: i64, height: u32) -> NewMempoolTx {
    NewMempoolTx {
        txid: txid(id),
        fee,
        vsize: VSIZE,
        height,
        valid_for_estimation: true,
    }
}

fn removed(tx: &NewMempoolTx) -> RemovedForBlock {
    RemovedForBlock {
        txid: tx.txid,
        fee: tx.fee,
        vsize: tx.vsize,
        entry_height: tx.height,
        weight: (tx.vsize * 4) as u64,
    }
}

#[test]
fn bucket_layout() {
    let est = BlockPolicyEstimator::new();
    let b = est.bucket_bounds();
    // 100 * 1.05^n up to 1e7 is n = 0..=235, then the catch-all bucket.
    assert_eq!(b.len(), 237);
    assert_eq!(b[0], 100.0);
    assert_eq!(b[1], 105.0);
    assert!(b[235] <= MAX_BUCKET_FEERATE && b[235] * FEE_SPACING > MAX_BUCKET_FEERATE);
    assert_eq!(b[236], INF_FEERATE);
    assert!(b.windows(2).all(|w| w[0] < w[1]));
    let buckets = &est.buckets;
    assert_eq!(buckets.index_of(0.0), 0);
    assert_eq!(buckets.index_of(100.0), 0);
    assert_eq!(buckets.index_of(100.5), 1);
    assert_eq!(buckets.index_of(105.0), 1);
    assert_eq!(buckets.index_of(2e7), 236);
    assert_eq!(buckets.index_of(1e300), 236);
    assert_eq!(est.highest_target_tracked(FeeEstimateHorizon::Short), 12);
    assert_eq!(est.highest_target_tracked(FeeEstimateHorizon::Medium), 48);
    assert_eq!(est.highest_target_tracked(FeeEstimateHorizon::Long), 1008);
}

/// Core's scenario: ten fee levels, four transactions each per block; higher fees get
/// into more blocks. Estimates must match the levels, hold steady without new data, rise
/// when nothing confirms, and fall once everything confirms at once.
#[test]
fn estimates_follow_a_simulated_chain() {
    let mut est = BlockPolicyEstimator::new();
    let fees: Vec<i64> = (1..=10).map(|j| BASE_FEE * j).collect();
    let base_rate = FeePerVSize::new(BASE_FEE, VSIZE).sat_per_kvb();
    let mut pool: Vec<Vec<NewMempoolTx>> = vec![Vec::new(); 10];
    let mut next_id = 0u64;
    let mut add_round =
        |est: &mut BlockPolicyEstimator, pool: &mut Vec<Vec<NewMempoolTx>>, height: u32| {
            for (j, fee) in fees.iter().enumerate() {
                for _ in 0..4 {
                    next_id += 1;
                    let tx = new_tx(next_id, *fee, height);
                    est.process_transaction(&tx);
                    pool[j].push(tx);
                }
            }
        };

    let mut blocknum = 0u32;
    while blocknum < 200 {
        add_round(&mut est, &mut pool, blocknum);
        // The highest fee level gets into every block, the next into 9 in 10, and so on.
        let mut block = Vec::new();
        for h in 0..=(blocknum % 10) as usize {
            while let Some(tx) = pool[9 - h].pop() {
                block.push(removed(&tx));
            }
        }
        blocknum += 1;
        est.process_block(&block, blocknum);
        if blocknum == 3 {
            // Three buckets must be combined for enough data: 100%, 100%, 90%.
            assert_eq!(est.estimate_fee(1), 0);
            let e = est.estimate_fee(2);
            assert!(
                e < 9 * base_rate + DELTA_FEE && e > 9 * base_rate - DELTA_FEE,
                "{e}"
            );
        }
    }

    let mut orig = Vec::new();
    for i in 1..10 {
        orig.push(est.estimate_fee(i));
        if i > 2 {
            assert!(orig[i as usize - 1] <= orig[i as usize - 2]);
        }
        let mult = 11 - i64::from(i);
        // With two blocks per period only even targets line up with the levels.
        if i % 2 == 0 {
            let e = orig[i as usize - 1];
            assert!(
                e < mult * base_rate + DELTA_FEE && e > mult * base_rate - DELTA_FEE,
                "{i}: {e}"
            );
        }
    }
    for i in 10..=48 {
        orig.push(est.estimate_fee(i));
    }

    // Fifty blocks without transactions: still enough data, estimates unchanged.
    while blocknum < 250 {
        blocknum += 1;
        est.process_block(&[], blocknum);
    }
    assert_eq!(est.estimate_fee(1), 0);
    for i in 2..10 {
        let e = est.estimate_fee(i);
        let o = orig[i as usize - 1];
        assert!(e < o + DELTA_FEE && e > o - DELTA_FEE, "{i}: {e} vs {o}");
    }

    // Fifteen blocks where nothing confirms: estimates go up (or fail).
    while blocknum < 265 {
        add_round(&mut est, &mut pool, blocknum);
        blocknum += 1;
        est.process_block(&[], blocknum);
    }
    for i in 1..10 {
        let e = est.estimate_fee(i);
        assert!(e == 0 || e > orig[i as usize - 1] - DELTA_FEE, "{i}: {e}");
    }

    // Everything confirms at once: still not below the original estimates.
    let block: Vec<RemovedForBlock> = pool
        .iter_mut()
        .flat_map(|p| p.drain(..).rev())
        .map(|t| removed(&t))
        .collect();
    blocknum += 1;
    est.process_block(&block, blocknum);
    assert_eq!(est.estimate_fee(1), 0);
    for i in 2..10 {
        let e = est.estimate_fee(i);
        assert!(e == 0 || e > orig[i as usize - 1] - DELTA_FEE, "{i}: {e}");
    }

    // Four hundred blocks where every transaction confirms in the next block: estimates
    // drop below the original ones.
    while blocknum < 665 {
        let mut block = Vec::new();
        for fee in &fees {
            for _ in 0..4 {
                next_id += 1;
                let tx = new_tx(next_id, *fee, blocknum);
                est.process_transaction(&tx);
                block.push(removed(&tx));
            }
        }
        blocknum += 1;
        est.process_block(&block, blocknum);
    }
    assert_eq!(est.estimate_fee(1), 0);
    // At 9 the original estimate was already the lowest level (two blocks per period).
    for i in 2..9 {
        let e = est.estimate_fee(i);
        assert!(e < orig[i as usize - 1] - DELTA_FEE, "{i}: {e}");
    }

    // The smart estimate: target 1 is answered as 2, and estimates do not rise with the
    // target.
    let (rate1, calc1) = est.estimate_smart_fee(1, false);
    assert!(rate1 > 0);
    assert_eq!(calc1.desired_target, 1);
    assert_eq!(calc1.returned_target, 2);
    assert_eq!(calc1.best_height, 665);
    assert_ne!(calc1.reason, BlockPolicyEstimateReason::None);
    let mut last = rate1;
    for t in 2..=48 {
        let (r, c) = est.estimate_smart_fee(t, false);
        assert_eq!(c.returned_target, t);
        assert!(r <= last, "target {t}: {r} > {last}");
        last = r;
        let (cons, _) = est.estimate_smart_fee(t, true);
        assert!(cons >= r, "conservative below economical at {t}");
    }
    assert_eq!(est.estimate_smart_fee(0, false).0, 0);
    assert_eq!(est.estimate_smart_fee(1009, false).0, 0);
    // Only 664 blocks recorded: targets above half of that come back lowered.
    let (_, c) = est.estimate_smart_fee(1000, false);
    assert_eq!(c.returned_target, 332);

    round_trip(&est);
}

/// Writing and reading back gives the same bytes and the same answers.
fn round_trip(est: &BlockPolicyEstimator) {
    let bytes = est.to_bytes();
    let mut copy = BlockPolicyEstimator::new();
    assert_eq!(copy.load(&bytes), Ok(()));
    assert_eq!(copy.to_bytes(), bytes);
    // A spread of targets across the three horizons' ranges (all of them would be slow
    // unoptimised).
    let targets = [1, 2, 3, 5, 11, 12, 13, 24, 47, 48, 49, 100, 333, 1007, 1008];
    for t in targets {
        for cons in [false, true] {
            assert_eq!(
                copy.estimate_smart_fee(t, cons),
                est.estimate_smart_fee(t, cons)
            );
        }
        for h in ALL_FEE_ESTIMATE_HORIZONS {
            let mut a = EstimationResult::default();
            let mut b = EstimationResult::default();
            assert_eq!(
                copy.estimate_raw_fee(t, 0.95, h, Some(&mut a)),
                est.estimate_raw_fee(t, 0.95, h, Some(&mut b))
            );
            assert_eq!(a, b);
        }
    }
}

#[test]
fn decay_applies_per_block() {
    let mut est = BlockPolicyEstimator::new();
    let tx = new_tx(1, 10_000, 0);
    est.process_transaction(&tx);
    est.process_block(&[removed(&tx)], 1);
    for h in 2..=11 {
        est.process_block(&[], h);
    }
    // One confirmation recorded, then ten blocks of decay.
    let expected: Vec<f64> = [MED_DECAY, SHORT_DECAY, LONG_DECAY]
        .iter()
        .map(|d| d.powi(10))
        .collect();
    let bucket = est
        .buckets
        .index_of(FeePerVSize::new(10_000, VSIZE).sat_per_kvb() as f64);
    let counts: Vec<f64> = [&est.med_stats, &est.short_stats, &est.long_stats]
        .iter()
        .map(|s| s.tx_count(bucket))
        .collect();
    for (c, e) in counts.iter().zip(&expected) {
        assert!((c - e).abs() < 1e-12, "{c} vs {e}");
    }
}

#[test]
fn ignores_untracked_and_stale_transactions() {
    let mut est = BlockPolicyEstimator::new();
    est.process_block(&[], 10);
    let mut tx = new_tx(1, 5000, 9);
    est.process_transaction(&tx);
    assert_eq!(est.tracked_count(), 0, "entered below the best height");
    tx.height = 10;
    tx.valid_for_estimation = valid_fee_estimate(false, false, true, false);
    est.process_transaction(&tx);
    assert_eq!(est.tracked_count(), 0, "has a mempool parent");
    tx.valid_for_estimation = valid_fee_estimate(false, false, true, true);
    est.process_transaction(&tx);
    est.process_transaction(&tx);
    assert_eq!(est.tracked_count(), 1);
    assert!(est.remove_tx(&tx.txid));
    assert!(!est.remove_tx(&tx.txid));
    let summary = est.process_block(&[removed(&tx)], 11);
    assert_eq!(
        summary.map(|s| s.to_string()).unwrap_or_default(),
        "Blockpolicy estimates updated by 0 of 1 block txs, since last block 1 of 2 tracked, mempool map size 0, max target 0 from current"
    );
    // A block at or below the best height is ignored.
    assert!(est.process_block(&[], 11).is_none());
    assert_eq!(est.best_seen_height(), 11);
}

/// A file laid out by hand after Core's format (not by our writer) loads, and answers.
#[test]
fn loads_a_core_layout_file() {
    let mut f: Vec<u8> = Vec::new();
    f.extend_from_slice(&[0x8c, 0xba, 0x04, 0x00]); // 309900
    assert_eq!(
        i32::from_le_bytes([0x8c, 0xba, 0x04, 0x00]),
        CURRENT_FEES_FILE_VERSION
    );
    f.extend_from_slice(&1000u32.to_le_bytes()); // best seen
    f.extend_from_slice(&900u32.to_le_bytes()); // historical first
    f.extend_from_slice(&1000u32.to_le_bytes()); // historical best
    let dbl = |f: &mut Vec<u8>, v: f64| f.extend_from_slice(&v.to_bits().to_le_bytes());
    f.push(2);
    dbl(&mut f, 1000.0);
    dbl(&mut f, 1e99);
    // Medium, short, long: periods, scale, decay. Every bucket-1 transaction confirmed
    // in the first block, 20 per block of history.
    for (periods, scale, decay) in [(24u8, 2u32, 0.9952), (12, 1, 0.962), (42, 24, 0.99931)] {
        dbl(&mut f, decay);
        f.extend_from_slice(&scale.to_le_bytes());
        let count = 20.0 / (1.0 - decay);
        f.push(2);
        dbl(&mut f, 0.0);
        dbl(&mut f, count * 900.0);
        f.push(2);
        dbl(&mut f, 0.0);
        dbl(&mut f, count);
        f.push(periods);
        for _ in 0..periods {
            f.push(2);
            dbl(&mut f, 0.0);
            dbl(&mut f, count);
        }
        f.push(periods);
        for _ in 0..periods {
            f.push(2);
            dbl(&mut f, 0.0);
            dbl(&mut f, 0.0);
        }
    }
    f.extend_from_slice(b"trailing bytes are ignored");
    let mut est = BlockPolicyEstimator::new();
    assert_eq!(est.load(&f), Ok(()));
    assert_eq!(est.best_seen_height(), 1000);
    assert_eq!(est.bucket_bounds(), &[1000.0, 1e99]);
    assert_eq!(est.max_usable_estimate(), 50);
    let (rate, calc) = est.estimate_smart_fee(6, false);
    assert_eq!(rate, 900);
    assert_eq!(calc.returned_target, 6);
    let mut result = EstimationResult::default();
    assert_eq!(
        est.estimate_raw_fee(6, 0.95, FeeEstimateHorizon::Short, Some(&mut result)),
        900
    );
    assert_eq!(result.pass.start, 1000.0);
    assert_eq!(result.pass.end, 1e99);
    // The lowest bucket lacked data: reported as the failing range.
    assert_eq!(result.fail.start, 0.0);
    assert_eq!(result.fail.end, 1000.0);
    assert_eq!(result.decay, 0.962);
    assert_eq!(result.scale, 1);
    // Written back: our own layout, byte for byte, up to the trailing bytes; the range
    // written is the loaded history since nothing was recorded in this run.
    let written = est.to_bytes();
    assert_eq!(&f[..written.len()], &written[..]);
}

fn valid_file() -> Vec<u8> {
    let mut est = BlockPolicyEstimator::new();
    let mut id = 0;
    for h in 0..40u32 {
        let mut block = Vec::new();
        for fee in [1000, 5000, 20_000, 60_000] {
            id += 1;
            let tx = new_tx(id, fee, h);
            est.process_transaction(&tx);
            if fee >= 5000 || h % 3 == 0 {
                block.push(removed(&tx));
            }
        }
        est.process_block(&block, h + 1);
    }
    est.to_bytes()
}

/// A file's contents, to be corrupted one field at a time.
#[derive(Clone)]
struct Parts {
    version: i32,
    best: u32,
    first: u32,
    last: u32,
    bounds: Vec<f64>,
    horizons: Vec<Horizon>,
}

#[derive(Clone)]
struct Horizon {
    decay: f64,
    scale: u32,
    feerates: Vec<f64>,
    counts: Vec<f64>,
    conf: Vec<Vec<f64>>,
    fail: Vec<Vec<f64>>,
}

impl Parts {
    fn valid() -> Parts {
        let bounds = BlockPolicyEstimator::new().bucket_bounds().to_vec();
        let n = bounds.len();
        let horizon = |periods: usize, scale: u32, decay: f64| Horizon {
            decay,
            scale,
            feerates: vec![1500.0; n],
            counts: vec![1.0; n],
            conf: vec![vec![0.5; n]; periods],
            fail: vec![vec![0.1; n]; periods],
        };
        Parts {
            version: CURRENT_FEES_FILE_VERSION,
            best: 500,
            first: 100,
            last: 400,
            bounds,
            horizons: vec![
                horizon(24, 2, MED_DECAY),
                horizon(12, 1, SHORT_DECAY),
                horizon(42, 24, LONG_DECAY),
            ],
        }
    }

    fn bytes(&self) -> Vec<u8> {
        let mut w = crate::ser::Writer::new();
        w.i32(self.version);
        w.u32(self.best);
        w.u32(self.first);
        w.u32(self.last);
        w.doubles(&self.bounds);
        for h in &self.horizons {
            w.double(h.decay);
            w.u32(h.scale);
            w.doubles(&h.feerates);
            w.doubles(&h.counts);
            w.double_rows(&h.conf);
            w.double_rows(&h.fail);
        }
        w.into_bytes()
    }
}

#[test]
fn rejects_corrupt_files_and_keeps_state() {
    let fresh = BlockPolicyEstimator::new().to_bytes();
    let check = |parts: &dyn Fn(&mut Parts), expected: BlockPolicyFileError| {
        let mut p = Parts::valid();
        parts(&mut p);
        let mut est = BlockPolicyEstimator::new();
        assert_eq!(est.load(&p.bytes()), Err(expected));
        assert_eq!(est.to_bytes(), fresh, "state changed by a rejected file");
    };
    assert_eq!(
        BlockPolicyEstimator::new().load(&Parts::valid().bytes()),
        Ok(())
    );
    check(
        &|p| p.version = 309_901,
        BlockPolicyFileError::VersionTooHigh(309_901),
    );
    check(
        &|p| p.version = 149_900,
        BlockPolicyFileError::VersionTooOld(149_900),
    );
    check(&|p| p.first = 401, BlockPolicyFileError::HistoricalRange);
    check(&|p| p.last = 501, BlockPolicyFileError::HistoricalRange);
    check(&|p| p.bounds.truncate(1), BlockPolicyFileError::BucketCount);
    check(
        &|p| p.bounds = vec![1.0; 1001],
        BlockPolicyFileError::BucketCount,
    );
    for i in 0..3 {
        check(&|p| p.horizons[i].decay = 1.0, BlockPolicyFileError::Decay);
        check(&|p| p.horizons[i].decay = 0.0, BlockPolicyFileError::Decay);
        check(&|p| p.horizons[i].scale = 0, BlockPolicyFileError::Scale);
        check(
            &|p| p.horizons[i].feerates.truncate(236),
            BlockPolicyFileError::FeerateAverageCount,
        );
        check(
            &|p| p.horizons[i].counts.push(0.0),
            BlockPolicyFileError::TxCountCount,
        );
        check(
            &|p| p.horizons[i].scale = 1009,
            BlockPolicyFileError::MaxConfirms,
        );
        check(
            &|p| {
                p.horizons[i].conf.clear();
                p.horizons[i].fail.clear();
            },
            BlockPolicyFileError::MaxConfirms,
        );
        check(
            &|p| p.horizons[i].conf[3].push(0.0),
            BlockPolicyFileError::ConfAverageCount,
        );
        check(
            &|p| p.horizons[i].fail.truncate(2),
            BlockPolicyFileError::FailurePeriods,
        );
        check(
            &|p| p.horizons[i].fail[1].clear(),
            BlockPolicyFileError::FailureAverageCount,
        );
    }

    // Malformed sizes, and every truncation of a good file, fail cleanly.
    let good = Parts::valid().bytes();
    let patch = |at: usize, with: &[u8]| {
        let mut b = good[..at].to_vec();
        b.extend_from_slice(with);
        b.extend_from_slice(&good[at + 1..]);
        b
    };
    let mut est = BlockPolicyEstimator::new();
    assert_eq!(
        est.load(&patch(16, &[0xfd, 0x01, 0x00])),
        Err(BlockPolicyFileError::Decode(DecodeError::NonCanonicalSize))
    );
    assert_eq!(
        est.load(&patch(16, &[0xfe, 0xff, 0xff, 0xff, 0xff])),
        Err(BlockPolicyFileError::Decode(DecodeError::SizeTooLarge))
    );
    assert_eq!(
        est.load(&[]),
        Err(BlockPolicyFileError::Decode(DecodeError::EndOfData))
    );
    // The header and first values byte by byte, then a spread of cuts through the rest
    // (every cut would be quadratic in the file's 300 kB).
    let cuts = (0..64)
        .chain((64..good.len()).step_by(4099))
        .chain([good.len() - 1]);
    for len in cuts {
        assert!(
            est.load(&good[..len]).is_err(),
            "prefix of {len} bytes accepted"
        );
    }
    assert_eq!(est.to_bytes(), fresh);
    // Core's messages, for the log.
    assert_eq!(
        BlockPolicyFileError::MaxConfirms.to_string(),
        "Corrupt estimates file.  Must maintain estimates for between 1 and 1008 (one week) confirms"
    );
    assert_eq!(
        BlockPolicyFileError::VersionTooOld(149_900).to_string(),
        "File version (149900) incompatible: Too old to be read"
    );
    assert_eq!(
        BlockPolicyFileError::Decode(DecodeError::EndOfData).to_string(),
        "AutoFile::read: end of file"
    );
}

/// Deterministic pseudo-random numbers for the fuzz-style tests.
pub(crate) struct XorShift(pub(crate) u64);

impl XorShift {
    pub(crate) fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }
}

/// Uses an estimator in every way after a load, to shake out panics on odd state.
fn exercise(est: &mut BlockPolicyEstimator, rng: &mut XorShift) {
    for t in [-1, 1, 13, 1009] {
        est.estimate_smart_fee(t, false);
        est.estimate_smart_fee(t, true);
        for h in ALL_FEE_ESTIMATE_HORIZONS {
            let mut r = EstimationResult::default();
            est.estimate_raw_fee(t, 0.95, h, Some(&mut r));
        }
    }
    let base = est.best_seen_height();
    for i in 0..3u32 {
        let tx = new_tx(
            rng.next(),
            (rng.next() % 1_000_000) as i64,
            base.wrapping_add(i),
        );
        est.process_transaction(&tx);
        est.process_block(&[removed(&tx)], base.wrapping_add(i + 1));
    }
    est.flush_unconfirmed();
    let bytes = est.to_bytes();
    let mut again = BlockPolicyEstimator::new();
    assert_eq!(again.load(&bytes), Ok(()));
}

#[test]
fn random_bytes_never_panic() {
    let mut rng = XorShift(0x9e37_79b9_7f4a_7c15);
    let good = valid_file();
    let mut loaded = 0;
    for round in 0..200 {
        let bytes: Vec<u8> = if round % 3 == 0 {
            let len = (rng.next() % 600) as usize;
            (0..len).map(|_| rng.next() as u8).collect()
        } else {
            // Mutations of a good file reach past the header checks.
            let mut b = good.clone();
            for _ in 0..1 + rng.next() % 4 {
                let at = (rng.next() as usize) % b.len();
                b[at] = rng.next() as u8;
            }
            if rng.next().is_multiple_of(4) {
                b.truncate((rng.next() as usize) % b.len());
            }
            b
        };
        let mut est = BlockPolicyEstimator::new();
        if est.load(&bytes).is_ok() {
            loaded += 1;
            exercise(&mut est, &mut rng);
        }
    }
    assert!(loaded > 0, "no mutation loaded");
}

#[test]
fn odd_but_accepted_files_do_not_panic() {
    // Unordered, repeated and NaN bounds; a short horizon tracking more than the medium
    // one; a NaN decay: Core accepts these, and so do we, without misbehaving.
    let mut f: Vec<u8> = Vec::new();
    f.extend_from_slice(&CURRENT_FEES_FILE_VERSION.to_le_bytes());
    f.extend_from_slice(&5u32.to_le_bytes());
    f.extend_from_slice(&1u32.to_le_bytes());
    f.extend_from_slice(&5u32.to_le_bytes());
    let bounds = [5.0, f64::NAN, 5.0, 1.0];
    let dbl =
        |f: &mut Vec<u8>, v: f64| f.extend_from_slice(&crate::ser::encode_double(v).to_le_bytes());
    f.push(bounds.len() as u8);
    for b in bounds {
        dbl(&mut f, b);
    }
    let mut w = crate::ser::Writer::new();
    for (periods, scale, decay) in [(2usize, 1u32, f64::NAN), (100, 10, 0.5), (1, 1, 0.5)] {
        w.double(decay);
        w.u32(scale);
        w.doubles(&[1.0, 2.0, 3.0, 4.0]);
        w.doubles(&[1.0, 2.0, 3.0, 4.0]);
        w.double_rows(&vec![vec![1.0, 0.5, 0.0, 4.0]; periods]);
        w.double_rows(&vec![vec![1.0, 0.5, 0.0, 4.0]; periods]);
    }
    f.extend_from_slice(&w.into_bytes());
    let mut est = BlockPolicyEstimator::new();
    assert_eq!(est.load(&f), Ok(()));
    exercise(&mut est, &mut XorShift(7));
}
