//! Tests of the mempool estimator: percentiles, the cache, the health window (the
//! sequence of Core's `mempool_fee_estimator_tests`) and its file.

use super::*;
use crate::mempool_policy_file::MempoolFileError;
use crate::ser::DecodeError;

fn hash(n: u64) -> BlockHash {
    let mut b = [0u8; 32];
    b[..8].copy_from_slice(&n.to_le_bytes());
    BlockHash::from_byte_array(b)
}

#[test]
fn weight_percentiles() {
    let empty = max_weight_percentiles(&[]);
    assert!(empty.p50.is_empty() && empty.p75.is_empty());
    // Ten chunks of a tenth of a block each.
    let vsize = (DEFAULT_BLOCK_MAX_WEIGHT / 4 / 10) as i64;
    let rate = |per_vb: i64| FeePerVSize::new(per_vb * vsize, vsize);
    let (super_high, high, medium, low) = (rate(500), rate(100), rate(50), rate(10));
    let mut chunks = Vec::new();
    for i in 0..10 {
        chunks.push(match i {
            0..=2 => super_high,
            3..=4 => high,
            5..=7 => medium,
            _ => low,
        });
        if i == 5 || i == 6 {
            // Half a block reached, three quarters not yet.
            let partial = max_weight_percentiles(&chunks);
            assert_eq!(partial.p50, high);
            assert!(partial.p75.is_empty());
        }
    }
    let p = max_weight_percentiles(&chunks);
    assert_eq!(p.p50, high);
    assert_eq!(p.p75, medium);
}

#[test]
fn cache_life_and_tip() {
    let mut cache = EstimateCache::default();
    let t = Duration::from_secs(1000);
    assert!(cache.is_stale(t));
    assert!(cache.get(&hash(1), t).is_none());
    cache.update(FeePerVSize::new(2, 1), FeePerVSize::new(1, 1), hash(1), t);
    assert!(!cache.is_stale(t));
    let c = cache.get(&hash(1), t + CACHE_LIFE);
    assert_eq!(
        c.map(|c| (c.conservative, c.economical)),
        Some((FeePerVSize::new(2, 1), FeePerVSize::new(1, 1)))
    );
    assert!(cache.get(&hash(2), t).is_none());
    assert!(cache.is_stale(t + CACHE_LIFE + Duration::from_secs(1)));
    assert!(cache
        .get(&hash(1), t + CACHE_LIFE + Duration::from_secs(1))
        .is_none());
    cache.clear();
    assert!(cache.is_stale(t));
}

struct Chain {
    est: MempoolPolicyEstimator,
    height: u32,
}

impl Chain {
    fn add(&mut self, removed: u64, block: u64) {
        self.est
            .block_connected(self.height, hash(u64::from(self.height)), block, removed);
        self.height += 1;
    }

    fn healthy(&self) -> bool {
        self.est.health() == MempoolHealth::Healthy
    }
}

#[test]
fn health_window() {
    let est = MempoolPolicyEstimator::new();
    assert_eq!(est.maximum_target(), MEMPOOL_FEE_ESTIMATOR_MAX_TARGET);
    assert_eq!(est.health(), MempoolHealth::InsufficientData);

    // Below a block's worth of activity over the window, poor coverage is not judged.
    let mut quiet = Chain {
        est: MempoolPolicyEstimator::new(),
        height: 100,
    };
    for _ in 1..MEMPOOL_HEALTH_WINDOW_BLOCKS {
        quiet.add(0, 0);
        assert!(!quiet.healthy());
    }
    quiet.add(500, 1000);
    assert!(quiet.healthy());

    let w = DEFAULT_BLOCK_MAX_WEIGHT / 2;
    let mut c = Chain {
        est: MempoolPolicyEstimator::new(),
        height: 100,
    };
    for i in 1..=MEMPOOL_HEALTH_WINDOW_BLOCKS {
        c.add(w, w);
        assert_eq!(c.healthy(), i == MEMPOOL_HEALTH_WINDOW_BLOCKS);
    }
    c.add(w / 2, w); // 92% coverage
    assert!(c.healthy());
    c.add(0, 0); // 90%
    assert!(c.healthy());
    c.add(w / 2, w); // 80%
    assert!(c.healthy());
    c.add(w / 2, w); // 70%
    assert_eq!(c.est.health(), MempoolHealth::LowCoverage);
    for i in 1..=3 {
        c.add(w, w);
        assert_eq!(c.healthy(), i == 3, "block {i}");
    }

    // The tip replaced by a well-covered block: still a full, healthy window.
    c.height -= 1;
    c.add(w, w);
    assert!(c.healthy());
    // Two blocks reorged out: the window is short until the new chain catches up.
    c.height -= 2;
    c.add(w, w);
    assert_eq!(c.est.health(), MempoolHealth::InsufficientData);
    c.add(w, w);
    assert!(c.healthy());
    // A gap in heights starts the window over.
    c.height += 3;
    c.add(w, w);
    assert!(!c.healthy());
    for i in 1..MEMPOOL_HEALTH_WINDOW_BLOCKS {
        c.add(w, w);
        assert_eq!(c.healthy(), i == MEMPOOL_HEALTH_WINDOW_BLOCKS - 1);
    }
    let heights: Vec<u64> = c.est.prev_block_data().iter().map(|b| b.height).collect();
    let last = u64::from(c.height) - 1;
    assert_eq!(heights, (last - 5..=last).collect::<Vec<_>>());
}

#[test]
fn estimates_from_templates() {
    let mut c = Chain {
        est: MempoolPolicyEstimator::new(),
        height: 1,
    };
    for _ in 0..MEMPOOL_HEALTH_WINDOW_BLOCKS {
        c.add(1000, 1000);
    }
    let tip = hash(6);
    let floor = FeePerVSize::from_sat_per_kvb(1000);
    let now = Duration::from_secs(50);
    let state = |template| MempoolState {
        loaded: true,
        tip,
        floor,
        block_template: template,
    };
    // An empty mempool: the floor for both modes, cached.
    let r = c.est.estimate(true, &state(Some(&[])), now);
    assert_eq!(r.as_ref().map(|e| e.feerate), Ok(floor));
    assert_eq!(
        r.map(|e| (e.estimator, e.returned_target)),
        Ok((FeeRateEstimatorType::MempoolPolicy, 2))
    );
    assert_eq!(
        c.est.estimate(false, &state(None), now).map(|e| e.feerate),
        Ok(floor)
    );

    // Unordered chunks filling 60% of a block: p50 set, p75 at the floor.
    let vsize = (DEFAULT_BLOCK_MAX_WEIGHT / 4 / 10) as i64;
    let med = FeePerVSize::new(10 * vsize, vsize);
    let high = FeePerVSize::new(100 * vsize, vsize);
    let chunks = [med, high, med, high, med, high];
    let later = now + CACHE_LIFE + Duration::from_secs(1);
    assert!(c.est.needs_block_template(true, &tip, later));
    assert_eq!(
        c.est
            .estimate(true, &state(Some(&chunks)), later)
            .map(|e| e.feerate),
        Ok(med)
    );
    assert_eq!(
        c.est
            .estimate(false, &state(None), later)
            .map(|e| e.feerate),
        Ok(floor)
    );
    assert!(!c.est.needs_block_template(true, &tip, later));
    // A new block clears the cache.
    c.add(1000, 1000);
    assert!(c.est.needs_block_template(true, &tip, later));
    assert!(!c.est.needs_block_template(false, &tip, later));
}

#[test]
fn file_round_trip() {
    let mut c = Chain {
        est: MempoolPolicyEstimator::new(),
        height: 10,
    };
    for i in 0..8 {
        c.add(i * 1000, i * 2000);
    }
    let bytes = c.est.to_bytes();
    // Version, 6 entries of 24 bytes, the tip hash.
    assert_eq!(bytes.len(), 4 + 1 + 6 * 24 + 32);
    assert_eq!(&bytes[..5], &[1, 0, 0, 0, 6]);
    let mut copy = MempoolPolicyEstimator::new();
    assert_eq!(copy.load(&bytes, Some((17, hash(17)))), Ok(()));
    assert_eq!(copy.prev_block_data(), c.est.prev_block_data());
    assert_eq!(copy.to_bytes(), bytes);
    // An empty window loads without a tip to check.
    let empty = MempoolPolicyEstimator::new().to_bytes();
    assert_eq!(copy.load(&empty, None), Ok(()));
    assert!(copy.prev_block_data().is_empty());
}

fn file(version: i32, heights: &[u64], tip: BlockHash) -> Vec<u8> {
    let mut w = crate::ser::Writer::new();
    w.i32(version);
    w.compact_size(heights.len() as u64);
    for h in heights {
        w.u64(*h);
        w.u64(1);
        w.u64(2);
    }
    w.bytes(tip.as_byte_array());
    w.into_bytes()
}

#[test]
fn rejects_bad_files_and_keeps_state() {
    let tip = Some((12, hash(12)));
    let check = |bytes: &[u8], active: Option<(u32, BlockHash)>, expected: MempoolFileError| {
        let mut est = MempoolPolicyEstimator::new();
        est.block_connected(5, hash(5), 10, 10);
        let before = est.to_bytes();
        assert_eq!(est.load(bytes, active), Err(expected));
        assert_eq!(est.to_bytes(), before);
    };
    check(
        &file(2, &[12], hash(12)),
        tip,
        MempoolFileError::UnsupportedVersion(2),
    );
    check(
        &file(1, &[5, 6, 7, 8, 9, 10, 11], hash(11)),
        tip,
        MempoolFileError::TooManyBlocks,
    );
    check(
        &file(1, &[9, 10, 12], hash(12)),
        tip,
        MempoolFileError::NonConsecutive {
            expected: 11,
            found: 12,
        },
    );
    check(
        &file(1, &[11, 12], hash(12)),
        None,
        MempoolFileError::NoActiveTip {
            height: 12,
            hash: hash(12),
        },
    );
    // Same height, another block: a reorg replaced the tip.
    let e = MempoolFileError::TipMismatch {
        height: 12,
        hash: hash(99),
        tip_height: 12,
        tip_hash: hash(12),
    };
    check(&file(1, &[11, 12], hash(99)), tip, e);
    assert_eq!(
        e.to_string(),
        format!("Mined-block stats read end at height 12 block {}, but the active chain tip is height 12 block {}; ignoring file", hash(99), hash(12))
    );
    check(
        &file(1, &[10, 11], hash(12)),
        tip,
        MempoolFileError::TipMismatch {
            height: 11,
            hash: hash(12),
            tip_height: 12,
            tip_hash: hash(12),
        },
    );
    let good = file(1, &[11, 12], hash(12));
    for len in 0..good.len() {
        check(
            &good[..len],
            tip,
            MempoolFileError::Decode(DecodeError::EndOfData),
        );
    }
    let mut est = MempoolPolicyEstimator::new();
    assert_eq!(est.load(&good, tip), Ok(()));
    assert_eq!(
        MempoolFileError::Decode(DecodeError::EndOfData).to_string(),
        "Unable to read mined-block stats from stream (non-fatal)"
    );
}

#[test]
fn random_bytes_never_panic() {
    let mut rng = crate::block_policy::tests::XorShift(0x1234_5678_9abc_def1);
    let good = file(1, &[7, 8, 9, 10, 11, 12], hash(12));
    for round in 0..5000 {
        let bytes: Vec<u8> = if round % 2 == 0 {
            let len = (rng.next() % 200) as usize;
            (0..len).map(|_| rng.next() as u8).collect()
        } else {
            let mut b = good.clone();
            let at = (rng.next() as usize) % b.len();
            b[at] = rng.next() as u8;
            b
        };
        let mut est = MempoolPolicyEstimator::new();
        if est.load(&bytes, Some((12, hash(12)))).is_ok() {
            est.health();
            est.block_connected(
                13,
                hash(13),
                rng.next() % 10_000_000,
                rng.next() % 10_000_000,
            );
            est.health();
            assert_eq!(
                MempoolPolicyEstimator::new().load(&est.to_bytes(), Some((13, hash(13)))),
                Ok(())
            );
        }
    }
}
