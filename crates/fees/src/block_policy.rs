//! The block policy estimator (Core's `CBlockPolicyEstimator`): it watches how many
//! blocks mempool transactions of each fee rate take to confirm, over three horizons with
//! different decays, and answers with the lowest rate that confirmed often enough.

use std::collections::HashMap;
use std::fmt;

use bitcoin::Txid;

use crate::feerate::FeePerVSize;
use crate::stats::{Buckets, ConfirmStats, EstimationResult};

/// Confirmation times tracked by the short horizon: 12 periods of 1 block.
const SHORT_BLOCK_PERIODS: usize = 12;
const SHORT_SCALE: u32 = 1;
/// Medium horizon: 24 periods of 2 blocks (48 blocks).
const MED_BLOCK_PERIODS: usize = 24;
const MED_SCALE: u32 = 2;
/// Long horizon: 42 periods of 24 blocks (1008 blocks).
const LONG_BLOCK_PERIODS: usize = 42;
const LONG_SCALE: u32 = 24;
/// History saved in a file stops counting once the chain is this far past it.
const OLDEST_ESTIMATE_HISTORY: u32 = 6 * 1008;

/// Per-block decay of the short horizon (half-life 18 blocks, about 3 hours).
pub const SHORT_DECAY: f64 = 0.962;
/// Per-block decay of the medium horizon (half-life 144 blocks, about a day).
pub const MED_DECAY: f64 = 0.9952;
/// Per-block decay of the long horizon (half-life 1008 blocks, about a week).
pub const LONG_DECAY: f64 = 0.99931;

/// Share of transactions that must confirm within half the target.
pub const HALF_SUCCESS_PCT: f64 = 0.6;
/// Share that must confirm within the target.
pub const SUCCESS_PCT: f64 = 0.85;
/// Share that must confirm within twice the target.
pub const DOUBLE_SUCCESS_PCT: f64 = 0.95;

/// Average transactions per block a bucket group needs in the medium and long horizons.
const SUFFICIENT_FEETXS: f64 = 0.1;
/// The same for the short horizon, which spans fewer blocks.
const SUFFICIENT_TXS_SHORT: f64 = 0.5;

/// Lowest bucket bound (sat/kvB). Fixed because changing it would invalidate saved files.
pub const MIN_BUCKET_FEERATE: f64 = 100.0;
/// Highest finite bucket bound (sat/kvB).
pub const MAX_BUCKET_FEERATE: f64 = 1e7;
/// Ratio between consecutive bucket bounds: exponential spacing keeps precision across
/// a wide range of rates.
pub const FEE_SPACING: f64 = 1.05;
/// Bound of the last bucket, catching every higher rate.
pub const INF_FEERATE: f64 = 1e99;

/// One of the three histories.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FeeEstimateHorizon {
    /// Up to 12 blocks, fast decay.
    Short,
    /// Up to 48 blocks.
    Medium,
    /// Up to 1008 blocks, slow decay.
    Long,
}

/// The horizons in the order RPC reports them.
pub const ALL_FEE_ESTIMATE_HORIZONS: [FeeEstimateHorizon; 3] = [
    FeeEstimateHorizon::Short,
    FeeEstimateHorizon::Medium,
    FeeEstimateHorizon::Long,
];

impl FeeEstimateHorizon {
    /// The name `estimaterawfee` uses as the key.
    pub fn as_str(self) -> &'static str {
        match self {
            FeeEstimateHorizon::Short => "short",
            FeeEstimateHorizon::Medium => "medium",
            FeeEstimateHorizon::Long => "long",
        }
    }
}

/// Which of the smart estimate's sub-estimates decided the answer (Core's
/// `FeeReason`-like `BlockPolicyEstimateReason`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum BlockPolicyEstimateReason {
    /// No estimate.
    #[default]
    None,
    /// 60% within half the target.
    HalfEstimate,
    /// 85% within the target.
    FullEstimate,
    /// 95% within twice the target.
    DoubleEstimate,
    /// 95% within twice the target over the longer horizons too.
    Conservative,
}

impl fmt::Display for BlockPolicyEstimateReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            BlockPolicyEstimateReason::None => "None",
            BlockPolicyEstimateReason::HalfEstimate => "Half Target 60% Threshold",
            BlockPolicyEstimateReason::FullEstimate => "Target 85% Threshold",
            BlockPolicyEstimateReason::DoubleEstimate => "Double Target 95% Threshold",
            BlockPolicyEstimateReason::Conservative => "Conservative Double Target longer horizon",
        })
    }
}

/// How a smart estimate was reached (Core's `FeeCalculation`).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct FeeCalculation {
    /// Buckets of the deciding sub-estimate.
    pub est: EstimationResult,
    /// Which sub-estimate decided.
    pub reason: BlockPolicyEstimateReason,
    /// The target asked for.
    pub desired_target: i32,
    /// The target answered for.
    pub returned_target: i32,
    /// The estimator's best height when asked.
    pub best_height: u32,
}

/// A transaction entering the mempool, as the estimator needs it (Core's
/// `NewMempoolTransactionInfo`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NewMempoolTx {
    /// Its id.
    pub txid: Txid,
    /// Fee in satoshis (without prioritisation).
    pub fee: i64,
    /// Virtual size (BIP 141, sigop-adjusted as the mempool counts it).
    pub vsize: i64,
    /// Chain height when it entered.
    pub height: u32,
    /// Whether its confirmation time says anything about fee rates; see
    /// [`valid_fee_estimate`].
    pub valid_for_estimation: bool,
}

/// Core's `validFeeEstimate`: a transaction counts for fee estimation only when it was
/// not re-added by a reorg (bypassing the mempool limits), not submitted in a package,
/// accepted while the node was synced, and has no mempool parents (whose fees would also
/// decide when it confirms).
pub fn valid_fee_estimate(
    mempool_limit_bypassed: bool,
    submitted_in_package: bool,
    chainstate_is_current: bool,
    has_no_mempool_parents: bool,
) -> bool {
    !mempool_limit_bypassed
        && !submitted_in_package
        && chainstate_is_current
        && has_no_mempool_parents
}

/// A mempool transaction confirmed by a block (Core's `RemovedMempoolTransactionInfo`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RemovedForBlock {
    /// Its id.
    pub txid: Txid,
    /// Fee in satoshis.
    pub fee: i64,
    /// Virtual size.
    pub vsize: i64,
    /// Chain height when it entered the mempool.
    pub entry_height: u32,
    /// Weight (for the mempool estimator's coverage check).
    pub weight: u64,
}

/// Where a tracked mempool transaction is counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct TrackedTx {
    height: u32,
    bucket: usize,
}

/// The block policy estimator's state.
#[derive(Debug, Clone)]
pub struct BlockPolicyEstimator {
    pub(crate) best_seen_height: u32,
    pub(crate) first_recorded_height: u32,
    pub(crate) historical_first: u32,
    pub(crate) historical_best: u32,
    mempool_txs: HashMap<Txid, TrackedTx>,
    pub(crate) buckets: Buckets,
    /// Medium horizon (Core's `feeStats`).
    pub(crate) med_stats: ConfirmStats,
    pub(crate) short_stats: ConfirmStats,
    pub(crate) long_stats: ConfirmStats,
    tracked_txs: u32,
    untracked_txs: u32,
}

impl Default for BlockPolicyEstimator {
    fn default() -> Self {
        BlockPolicyEstimator::new()
    }
}

/// Counts of the last processed block, for the estimator's debug log line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BlockProcessed {
    /// Tracked transactions the block confirmed.
    pub counted_txs: usize,
    /// Transactions the block removed from the mempool.
    pub block_txs: usize,
    /// Transactions tracked since the previous block.
    pub tracked_txs: u32,
    /// Transactions seen (tracked or not) since the previous block.
    pub seen_txs: u32,
    /// Transactions tracked now.
    pub mempool_txs: usize,
    /// [`BlockPolicyEstimator::max_usable_estimate`] after the block.
    pub max_usable_estimate: u32,
    /// Whether that comes from a loaded file's history rather than this run's.
    pub from_history: bool,
}

impl fmt::Display for BlockProcessed {
    /// Core's `-debug=estimatefee` line for a processed block.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Blockpolicy estimates updated by {} of {} block txs, since last block {} of {} tracked, mempool map size {}, max target {} from {}",
            self.counted_txs,
            self.block_txs,
            self.tracked_txs,
            self.seen_txs,
            self.mempool_txs,
            self.max_usable_estimate,
            if self.from_history { "historical" } else { "current" }
        )
    }
}

impl BlockPolicyEstimator {
    /// An estimator with the standard buckets and no history.
    pub fn new() -> BlockPolicyEstimator {
        let mut bounds = Vec::new();
        let mut b = MIN_BUCKET_FEERATE;
        while b <= MAX_BUCKET_FEERATE {
            bounds.push(b);
            b *= FEE_SPACING;
        }
        bounds.push(INF_FEERATE);
        let n = bounds.len();
        BlockPolicyEstimator {
            best_seen_height: 0,
            first_recorded_height: 0,
            historical_first: 0,
            historical_best: 0,
            mempool_txs: HashMap::new(),
            buckets: Buckets::new(bounds),
            med_stats: ConfirmStats::new(n, MED_BLOCK_PERIODS, MED_DECAY, MED_SCALE),
            short_stats: ConfirmStats::new(n, SHORT_BLOCK_PERIODS, SHORT_DECAY, SHORT_SCALE),
            long_stats: ConfirmStats::new(n, LONG_BLOCK_PERIODS, LONG_DECAY, LONG_SCALE),
            tracked_txs: 0,
            untracked_txs: 0,
        }
    }

    /// The bucket upper bounds (sat/kvB), lowest first.
    #[cfg(test)]
    pub(crate) fn bucket_bounds(&self) -> &[f64] {
        self.buckets.bounds()
    }

    /// The highest block seen.
    pub fn best_seen_height(&self) -> u32 {
        self.best_seen_height
    }

    /// Number of mempool transactions being tracked.
    pub fn tracked_count(&self) -> usize {
        self.mempool_txs.len()
    }

    fn stats(&self, horizon: FeeEstimateHorizon) -> &ConfirmStats {
        match horizon {
            FeeEstimateHorizon::Short => &self.short_stats,
            FeeEstimateHorizon::Medium => &self.med_stats,
            FeeEstimateHorizon::Long => &self.long_stats,
        }
    }

    fn all_stats_mut(&mut self) -> [&mut ConfirmStats; 3] {
        [
            &mut self.med_stats,
            &mut self.short_stats,
            &mut self.long_stats,
        ]
    }

    /// Starts tracking a transaction that entered the mempool. Ignored when already
    /// tracked, or when it entered at another height than the best block seen (the
    /// estimator is behind or it comes from a reorg); not counted when not
    /// [`NewMempoolTx::valid_for_estimation`].
    pub fn process_transaction(&mut self, tx: &NewMempoolTx) {
        if self.mempool_txs.contains_key(&tx.txid) || tx.height != self.best_seen_height {
            return;
        }
        if !tx.valid_for_estimation {
            self.untracked_txs += 1;
            return;
        }
        self.tracked_txs += 1;
        let feerate = FeePerVSize::new(tx.fee, tx.vsize).sat_per_kvb() as f64;
        let bucket = self.buckets.index_of(feerate);
        for stats in self.all_stats_mut() {
            stats.new_tx(tx.height, bucket);
        }
        self.mempool_txs.insert(
            tx.txid,
            TrackedTx {
                height: tx.height,
                bucket,
            },
        );
    }

    /// Stops tracking a transaction that left the mempool without being mined (evicted,
    /// replaced, expired, conflicted). Returns whether it was tracked.
    pub fn remove_tx(&mut self, txid: &Txid) -> bool {
        self.remove_tracked(txid, false)
    }

    fn remove_tracked(&mut self, txid: &Txid, in_block: bool) -> bool {
        let Some(t) = self.mempool_txs.remove(txid) else {
            return false;
        };
        let best = self.best_seen_height;
        for stats in self.all_stats_mut() {
            stats.remove_tx(t.height, best, t.bucket, in_block);
        }
        true
    }

    /// Learns from a block connected at `height` that confirmed `txs`. Blocks not above
    /// the best seen height (reorgs, side chains) are ignored: random reorgs do not skew
    /// the estimates, and an attacker able to reorg at will has better targets.
    pub fn process_block(
        &mut self,
        txs: &[RemovedForBlock],
        height: u32,
    ) -> Option<BlockProcessed> {
        if height <= self.best_seen_height {
            return None;
        }
        // The best height moves together with the buffer rotation, so removals below
        // compute ages against the new block.
        self.best_seen_height = height;
        for stats in self.all_stats_mut() {
            stats.clear_current(height);
            stats.update_moving_averages();
        }
        let counted = txs
            .iter()
            .filter(|tx| self.process_block_tx(height, tx))
            .count();
        if self.first_recorded_height == 0 && counted > 0 {
            self.first_recorded_height = self.best_seen_height;
        }
        let summary = BlockProcessed {
            counted_txs: counted,
            block_txs: txs.len(),
            tracked_txs: self.tracked_txs,
            seen_txs: self.tracked_txs + self.untracked_txs,
            mempool_txs: self.mempool_txs.len(),
            max_usable_estimate: self.max_usable_estimate(),
            from_history: self.historical_block_span() > self.block_span(),
        };
        self.tracked_txs = 0;
        self.untracked_txs = 0;
        Some(summary)
    }

    fn process_block_tx(&mut self, height: u32, tx: &RemovedForBlock) -> bool {
        if !self.remove_tracked(&tx.txid, true) {
            return false;
        }
        // 1 means confirmed in the first block after entering.
        let blocks_to_confirm = i64::from(height) - i64::from(tx.entry_height);
        if blocks_to_confirm <= 0 {
            return false;
        }
        let blocks = u32::try_from(blocks_to_confirm).unwrap_or(u32::MAX);
        let feerate = FeePerVSize::new(tx.fee, tx.vsize).sat_per_kvb() as f64;
        let bucket = self.buckets.index_of(feerate);
        for stats in self.all_stats_mut() {
            stats.record(blocks, feerate, bucket);
        }
        true
    }

    /// Records every still-tracked transaction as having left the mempool unconfirmed
    /// (at shutdown, so their waiting time counts).
    pub fn flush_unconfirmed(&mut self) -> usize {
        let txids: Vec<Txid> = self.mempool_txs.keys().copied().collect();
        for txid in &txids {
            self.remove_tracked(txid, false);
        }
        txids.len()
    }

    /// Blocks recorded during this run.
    pub(crate) fn block_span(&self) -> u32 {
        if self.first_recorded_height == 0 {
            return 0;
        }
        self.best_seen_height
            .saturating_sub(self.first_recorded_height)
    }

    /// Blocks of history loaded from a file, unless it is too old to count.
    pub(crate) fn historical_block_span(&self) -> u32 {
        if self.historical_first == 0 {
            return 0;
        }
        if self.best_seen_height.saturating_sub(self.historical_best) > OLDEST_ESTIMATE_HISTORY {
            return 0;
        }
        self.historical_best.saturating_sub(self.historical_first)
    }

    /// The highest target with enough history behind it: half the recorded span, so
    /// that failures had time to show.
    pub fn max_usable_estimate(&self) -> u32 {
        self.long_stats
            .max_confirms()
            .min(self.block_span().max(self.historical_block_span()) / 2)
    }

    /// The highest target a horizon tracks.
    pub fn highest_target_tracked(&self, horizon: FeeEstimateHorizon) -> u32 {
        self.stats(horizon).max_confirms()
    }

    /// The highest target any estimate can be asked for.
    pub fn maximum_target(&self) -> u32 {
        self.highest_target_tracked(FeeEstimateHorizon::Long)
    }

    /// Core's `estimateFee`: the medium horizon at 95%, nothing below target 2.
    /// Returns sat/kvB, 0 for none.
    #[cfg(test)]
    pub(crate) fn estimate_fee(&self, conf_target: i32) -> i64 {
        if conf_target <= 1 {
            return 0;
        }
        self.estimate_raw_fee(
            conf_target,
            DOUBLE_SUCCESS_PCT,
            FeeEstimateHorizon::Medium,
            None,
        )
    }

    /// The estimate of one horizon at a given success threshold, in sat/kvB; 0 when the
    /// horizon does not track the target, the threshold is above 1, or nothing passes.
    pub fn estimate_raw_fee(
        &self,
        conf_target: i32,
        success_threshold: f64,
        horizon: FeeEstimateHorizon,
        result: Option<&mut EstimationResult>,
    ) -> i64 {
        let (stats, sufficient) = match horizon {
            FeeEstimateHorizon::Short => (&self.short_stats, SUFFICIENT_TXS_SHORT),
            FeeEstimateHorizon::Medium => (&self.med_stats, SUFFICIENT_FEETXS),
            FeeEstimateHorizon::Long => (&self.long_stats, SUFFICIENT_FEETXS),
        };
        let Ok(target) = u32::try_from(conf_target) else {
            return 0;
        };
        if target == 0 || target > stats.max_confirms() || success_threshold > 1.0 {
            return 0;
        }
        let median = stats.estimate_median(
            &self.buckets,
            target,
            sufficient,
            success_threshold,
            self.best_seen_height,
            result,
        );
        if median < 0.0 {
            return 0;
        }
        median.round() as i64
    }

    /// The estimate at `threshold` from the shortest horizon tracking `conf_target`;
    /// with `check_shorter`, the shorter horizons' longest targets may lower it.
    fn estimate_combined(
        &self,
        conf_target: u32,
        threshold: f64,
        check_shorter: bool,
        mut result: Option<&mut EstimationResult>,
    ) -> f64 {
        let mut estimate = -1.0;
        if conf_target < 1 || conf_target > self.long_stats.max_confirms() {
            return estimate;
        }
        let best = self.best_seen_height;
        let b = &self.buckets;
        let (short_max, med_max) = (
            self.short_stats.max_confirms(),
            self.med_stats.max_confirms(),
        );
        estimate = if conf_target <= short_max {
            self.short_stats.estimate_median(
                b,
                conf_target,
                SUFFICIENT_TXS_SHORT,
                threshold,
                best,
                result.as_deref_mut(),
            )
        } else if conf_target <= med_max {
            self.med_stats.estimate_median(
                b,
                conf_target,
                SUFFICIENT_FEETXS,
                threshold,
                best,
                result.as_deref_mut(),
            )
        } else {
            self.long_stats.estimate_median(
                b,
                conf_target,
                SUFFICIENT_FEETXS,
                threshold,
                best,
                result.as_deref_mut(),
            )
        };
        if check_shorter {
            let mut temp = EstimationResult::default();
            if conf_target > med_max {
                let m = self.med_stats.estimate_median(
                    b,
                    med_max,
                    SUFFICIENT_FEETXS,
                    threshold,
                    best,
                    Some(&mut temp),
                );
                if m > 0.0 && (estimate == -1.0 || m < estimate) {
                    estimate = m;
                    if let Some(r) = result.as_deref_mut() {
                        *r = temp;
                    }
                }
            }
            if conf_target > short_max {
                let s = self.short_stats.estimate_median(
                    b,
                    short_max,
                    SUFFICIENT_TXS_SHORT,
                    threshold,
                    best,
                    Some(&mut temp),
                );
                if s > 0.0 && (estimate == -1.0 || s < estimate) {
                    estimate = s;
                    if let Some(r) = result {
                        *r = temp;
                    }
                }
            }
        }
        estimate
    }

    /// For conservative estimates: 95% within `double_target` must also hold over the
    /// longer horizons.
    fn estimate_conservative(&self, double_target: u32, result: &mut EstimationResult) -> f64 {
        let mut estimate = -1.0;
        let best = self.best_seen_height;
        let b = &self.buckets;
        if double_target <= self.short_stats.max_confirms() {
            estimate = self.med_stats.estimate_median(
                b,
                double_target,
                SUFFICIENT_FEETXS,
                DOUBLE_SUCCESS_PCT,
                best,
                Some(result),
            );
        }
        if double_target <= self.med_stats.max_confirms() {
            let mut temp = EstimationResult::default();
            let long = self.long_stats.estimate_median(
                b,
                double_target,
                SUFFICIENT_FEETXS,
                DOUBLE_SUCCESS_PCT,
                best,
                Some(&mut temp),
            );
            if long > estimate {
                estimate = long;
                *result = temp;
            }
        }
        estimate
    }

    /// Core's `estimateSmartFee`: the highest of 60% within half the target, 85% within
    /// the target and 95% within twice the target, each from the shortest horizon
    /// tracking it; conservative estimates also require the 95% over longer horizons.
    /// A target of 1 is answered as 2, and targets beyond the usable history are lowered
    /// to it. Returns sat/kvB (0 for no estimate) and how it was reached.
    pub fn estimate_smart_fee(
        &self,
        conf_target: i32,
        conservative: bool,
    ) -> (i64, FeeCalculation) {
        let mut calc = FeeCalculation {
            desired_target: conf_target,
            returned_target: conf_target,
            best_height: self.best_seen_height,
            ..FeeCalculation::default()
        };
        if conf_target <= 0 || conf_target as u32 > self.long_stats.max_confirms() {
            return (0, calc);
        }
        let mut target = conf_target.max(2) as u32;
        target = target.min(self.max_usable_estimate());
        calc.returned_target = target as i32;
        if target <= 1 {
            return (0, calc);
        }

        // The shorter horizons are checked for the half and full targets so that
        // estimates keep rising as targets fall. For conservative estimates they are
        // skipped at twice the target: the longer horizons are consulted anyway and short
        // dips are exactly what conservative estimates should not follow.
        let mut temp = EstimationResult::default();
        let half = self.estimate_combined(target / 2, HALF_SUCCESS_PCT, true, Some(&mut temp));
        calc.est = temp;
        calc.reason = BlockPolicyEstimateReason::HalfEstimate;
        let mut median = half;
        let full = self.estimate_combined(target, SUCCESS_PCT, true, Some(&mut temp));
        if full > median {
            median = full;
            calc.est = temp;
            calc.reason = BlockPolicyEstimateReason::FullEstimate;
        }
        let double = self.estimate_combined(
            2 * target,
            DOUBLE_SUCCESS_PCT,
            !conservative,
            Some(&mut temp),
        );
        if double > median {
            median = double;
            calc.est = temp;
            calc.reason = BlockPolicyEstimateReason::DoubleEstimate;
        }
        if conservative || median == -1.0 {
            let cons = self.estimate_conservative(2 * target, &mut temp);
            if cons > median {
                median = cons;
                calc.est = temp;
                calc.reason = BlockPolicyEstimateReason::Conservative;
            }
        }
        if median < 0.0 {
            return (0, calc);
        }
        (median.round() as i64, calc)
    }
}

#[cfg(test)]
#[path = "block_policy_tests.rs"]
pub(crate) mod tests;
