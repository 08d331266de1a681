//! The mempool estimator (Core's `MemPoolFeeRateEstimator`): it reads the fee rates of
//! the next block template built from the mempool, but only while recent blocks show
//! that the mempool held most of what miners included.

use std::cmp::Ordering;
use std::time::Duration;

use bitcoin::hashes::Hash;
use bitcoin::BlockHash;

use crate::estimation::{
    EstimateResult, FeeRateEstimation, FeeRateEstimationError, FeeRateEstimatorType,
};
use crate::feerate::FeePerVSize;

/// Targets above this are not answered: the mempool will have changed by then.
pub const MEMPOOL_FEE_ESTIMATOR_MAX_TARGET: u32 = 2;
/// How long a computed estimate is reused while the tip stays the same.
pub const CACHE_LIFE: Duration = Duration::from_secs(7);
/// Recent blocks checked for mempool coverage.
pub const MEMPOOL_HEALTH_WINDOW_BLOCKS: usize = 6;
/// Share of the window's block weight that must have come from our mempool.
pub const MEMPOOL_REPRESENTATION_THRESHOLD: f64 = 0.75;
/// Core's `DEFAULT_BLOCK_MAX_WEIGHT` (the consensus maximum): the block the percentiles
/// are taken of, and the least window weight for the coverage ratio to mean something.
pub const DEFAULT_BLOCK_MAX_WEIGHT: u64 = 4_000_000;
/// Witness scale factor: weight units per virtual byte.
const WITNESS_SCALE_FACTOR: i64 = 4;

/// What one recent block showed about the mempool (Core's `MinedBlockStats`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct MinedBlockStats {
    /// The block's height.
    pub height: u64,
    /// Weight of its transactions that came out of our mempool.
    pub removed_block_txs_weight: u64,
    /// Weight of all its transactions but the coinbase.
    pub block_weight: u64,
}

/// Whether recent blocks make the mempool a fair picture of what miners include.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MempoolHealth {
    /// Good enough to estimate from.
    Healthy,
    /// Fewer than [`MEMPOOL_HEALTH_WINDOW_BLOCKS`] consecutive blocks seen.
    InsufficientData,
    /// Too little of the blocks' weight came from the mempool.
    LowCoverage,
}

impl MempoolHealth {
    /// The estimate error for an unhealthy state.
    fn error(self) -> Option<&'static str> {
        match self {
            MempoolHealth::Healthy => None,
            MempoolHealth::InsufficientData => {
                Some("Not enough recent block data for fee rate estimation")
            }
            MempoolHealth::LowCoverage => Some("Mempool is unreliable for fee rate estimation"),
        }
    }
}

/// The 50th and 75th weight percentiles of a block template's chunk fee rates; empty
/// when the template does not reach that far into a block.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Percentiles {
    /// Rate at half a block: the conservative estimate.
    pub p50: FeePerVSize,
    /// Rate at three quarters of a block: the economical estimate.
    pub p75: FeePerVSize,
}

/// Core's `CalculateMaxWeightPercentiles`: walking `chunk_feerates` (highest first) and
/// adding up their weight, the rates at which half and three quarters of a maximal
/// block are reached.
pub fn max_weight_percentiles(chunk_feerates: &[FeePerVSize]) -> Percentiles {
    let total = DEFAULT_BLOCK_MAX_WEIGHT as i64;
    let (p50_weight, p75_weight) = (total / 2, total * 3 / 4);
    let mut out = Percentiles::default();
    let mut weight: i64 = 0;
    for rate in chunk_feerates {
        weight += i64::from(rate.size) * WITNESS_SCALE_FACTOR;
        if weight >= p50_weight && out.p50.is_empty() {
            out.p50 = *rate;
        }
        if weight >= p75_weight && out.p75.is_empty() {
            out.p75 = *rate;
            break;
        }
    }
    out
}

/// A recently computed pair of estimates (Core's `MemPoolFeeRateEstimatorCache`).
#[derive(Debug, Clone, Default)]
pub struct EstimateCache {
    entry: Option<CachedEstimate>,
}

/// The cached estimates and what they were computed on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CachedEstimate {
    /// The conservative (p50) rate.
    pub conservative: FeePerVSize,
    /// The economical (p75) rate.
    pub economical: FeePerVSize,
    tip: BlockHash,
    updated: Duration,
}

impl EstimateCache {
    /// Whether there is nothing usable: empty, or older than [`CACHE_LIFE`] at `now`.
    pub fn is_stale(&self, now: Duration) -> bool {
        match &self.entry {
            None => true,
            Some(e) => e.updated + CACHE_LIFE < now,
        }
    }

    /// The cached estimates, when fresh at `now` and computed on `tip`.
    pub fn get(&self, tip: &BlockHash, now: Duration) -> Option<CachedEstimate> {
        if self.is_stale(now) {
            return None;
        }
        self.entry.filter(|e| e.tip == *tip)
    }

    /// Stores estimates computed on `tip` at `now`.
    pub fn update(
        &mut self,
        conservative: FeePerVSize,
        economical: FeePerVSize,
        tip: BlockHash,
        now: Duration,
    ) {
        self.entry = Some(CachedEstimate {
            conservative,
            economical,
            tip,
            updated: now,
        });
    }

    /// Forgets the cached estimates.
    pub fn clear(&mut self) {
        self.entry = None;
    }
}

/// What the mempool estimator needs to know about the node when asked.
#[derive(Debug, Clone, Copy)]
pub struct MempoolState<'a> {
    /// Whether the startup load of the saved mempool was attempted (`GetLoadTried`).
    pub loaded: bool,
    /// The active tip now.
    pub tip: BlockHash,
    /// The rate used where the template is too thin: the higher of the minimum relay
    /// fee rate and the mempool's minimum fee rate.
    pub floor: FeePerVSize,
    /// The fee rates of the chunks a block template built now would hold, in the order
    /// selected; `None` when no template was built (or building it failed).
    pub block_template: Option<&'a [FeePerVSize]>,
}

/// The mempool estimator's state.
#[derive(Debug, Clone)]
pub struct MempoolPolicyEstimator {
    pub(crate) prev_mined_blocks: Vec<MinedBlockStats>,
    pub(crate) mined_blocks_tip: BlockHash,
    cache: EstimateCache,
}

impl Default for MempoolPolicyEstimator {
    fn default() -> Self {
        MempoolPolicyEstimator::new()
    }
}

/// Prefix of the estimator's errors and log lines.
fn name() -> &'static str {
    FeeRateEstimatorType::MempoolPolicy.as_str()
}

fn estimation_error(reason: impl std::fmt::Display) -> FeeRateEstimationError {
    FeeRateEstimationError::new(
        FeeRateEstimatorType::MempoolPolicy,
        MEMPOOL_FEE_ESTIMATOR_MAX_TARGET,
        format!("{}: {reason}", name()),
    )
}

impl MempoolPolicyEstimator {
    /// An estimator with no block history.
    pub fn new() -> MempoolPolicyEstimator {
        MempoolPolicyEstimator {
            prev_mined_blocks: Vec::new(),
            mined_blocks_tip: BlockHash::all_zeros(),
            cache: EstimateCache::default(),
        }
    }

    /// The highest target answered.
    pub fn maximum_target(&self) -> u32 {
        MEMPOOL_FEE_ESTIMATOR_MAX_TARGET
    }

    /// The recent blocks' statistics, oldest first.
    pub fn prev_block_data(&self) -> &[MinedBlockStats] {
        &self.prev_mined_blocks
    }

    /// Notes a connected block: its height and hash, the weight of its transactions
    /// without the coinbase, and the weight of those that came from our mempool. Blocks
    /// at or above this height already noted are dropped (a reorg), and a gap in heights
    /// starts the window afresh.
    pub fn block_connected(
        &mut self,
        height: u32,
        hash: BlockHash,
        block_weight: u64,
        removed_weight: u64,
    ) {
        let stats = MinedBlockStats {
            height: u64::from(height),
            removed_block_txs_weight: removed_weight,
            block_weight,
        };
        let blocks = &mut self.prev_mined_blocks;
        let keep = blocks
            .iter()
            .position(|b| b.height >= stats.height)
            .unwrap_or(blocks.len());
        blocks.truncate(keep);
        if blocks.last().is_some_and(|b| b.height + 1 != stats.height) {
            blocks.clear();
        }
        if blocks.len() == MEMPOOL_HEALTH_WINDOW_BLOCKS {
            blocks.remove(0);
        }
        blocks.push(stats);
        self.mined_blocks_tip = hash;
        self.cache.clear();
    }

    /// Whether the window of recent blocks shows a representative mempool.
    pub fn health(&self) -> MempoolHealth {
        if self.prev_mined_blocks.len() < MEMPOOL_HEALTH_WINDOW_BLOCKS {
            return MempoolHealth::InsufficientData;
        }
        let total_block: u64 = self.prev_mined_blocks.iter().map(|b| b.block_weight).sum();
        let total_removed: u64 = self
            .prev_mined_blocks
            .iter()
            .map(|b| b.removed_block_txs_weight)
            .sum();
        // Below one block's worth of activity the ratio is noise.
        if total_block < DEFAULT_BLOCK_MAX_WEIGHT {
            return MempoolHealth::Healthy;
        }
        let ratio = total_removed as f64 / total_block as f64;
        if ratio >= MEMPOOL_REPRESENTATION_THRESHOLD {
            MempoolHealth::Healthy
        } else {
            MempoolHealth::LowCoverage
        }
    }

    /// Whether [`Self::estimate`] would need a freshly built block template: the mempool
    /// is loaded and healthy, and no cached estimate is fresh for `tip`.
    pub fn needs_block_template(&self, loaded: bool, tip: &BlockHash, now: Duration) -> bool {
        loaded && self.health() == MempoolHealth::Healthy && self.cache.get(tip, now).is_none()
    }

    /// Estimates the rate for the next blocks: the template's 50th (conservative) or 75th
    /// (economical) weight percentile, the floor where the template is too thin. A fresh
    /// cached pair for the same tip is reused; otherwise `mempool.block_template` is read.
    pub fn estimate(
        &mut self,
        conservative: bool,
        mempool: &MempoolState<'_>,
        now: Duration,
    ) -> EstimateResult {
        if !mempool.loaded {
            return Err(estimation_error(
                "Mempool not loaded yet, no fee rate estimate available",
            ));
        }
        if let Some(reason) = self.health().error() {
            return Err(estimation_error(reason));
        }
        let pick = |c: &CachedEstimate| {
            if conservative {
                c.conservative
            } else {
                c.economical
            }
        };
        if let Some(cached) = self.cache.get(&mempool.tip, now) {
            return Ok(success(pick(&cached)));
        }
        let Some(chunks) = mempool.block_template else {
            return Err(estimation_error(
                "Failed to create block template for fee rate estimation",
            ));
        };
        // Rounding weights to virtual sizes can leave the template slightly out of order.
        let mut sorted = chunks.to_vec();
        sorted.sort_by(|a, b| b.cmp_ratio(a));
        let p = max_weight_percentiles(&sorted);
        let p50 = if p.p50.is_empty() {
            mempool.floor
        } else {
            p.p50
        };
        let p75 = if p.p75.is_empty() {
            mempool.floor
        } else {
            p.p75
        };
        self.cache.update(p50, p75, mempool.tip, now);
        Ok(success(if conservative { p50 } else { p75 }))
    }

    /// Drops the cached estimates.
    pub(crate) fn clear_cache(&mut self) {
        self.cache.clear();
    }
}

fn success(feerate: FeePerVSize) -> FeeRateEstimation {
    FeeRateEstimation {
        estimator: FeeRateEstimatorType::MempoolPolicy,
        feerate,
        returned_target: MEMPOOL_FEE_ESTIMATOR_MAX_TARGET,
    }
}

/// Orders estimates so the lower rate comes first; equal rates keep their order.
pub(crate) fn lower_of(a: FeeRateEstimation, b: FeeRateEstimation) -> FeeRateEstimation {
    if b.cmp_feerate(&a) == Ordering::Less {
        b
    } else {
        a
    }
}

#[cfg(test)]
#[path = "mempool_policy_tests.rs"]
mod tests;
