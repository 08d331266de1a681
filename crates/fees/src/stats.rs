//! The fee-rate buckets and the per-horizon confirmation statistics of the block policy
//! estimator (Core's `TxConfirmStats`).

use std::cmp::Ordering;

use crate::block_policy_file::BlockPolicyFileError;
use crate::ser::{Reader, Writer};

/// Details of one range of buckets that an estimate looked at (Core's `EstimatorBucket`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EstimatorBucket {
    /// Lower bound of the range's fee rates (sat/kvB); -1 when there is no such range.
    pub start: f64,
    /// Upper bound of the range's fee rates (sat/kvB); -1 when there is no such range.
    pub end: f64,
    /// Decayed count of transactions confirmed within the target.
    pub within_target: f64,
    /// Decayed count of transactions confirmed at all.
    pub total_confirmed: f64,
    /// Transactions still unconfirmed after the target, now in the mempool.
    pub in_mempool: f64,
    /// Decayed count of transactions that left the mempool unconfirmed after the target.
    pub left_mempool: f64,
}

impl Default for EstimatorBucket {
    fn default() -> Self {
        EstimatorBucket {
            start: -1.0,
            end: -1.0,
            within_target: 0.0,
            total_confirmed: 0.0,
            in_mempool: 0.0,
            left_mempool: 0.0,
        }
    }
}

/// What one estimate found (Core's `EstimationResult`).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct EstimationResult {
    /// The lowest range of rates that still met the threshold.
    pub pass: EstimatorBucket,
    /// The highest range of rates that failed it.
    pub fail: EstimatorBucket,
    /// Decay per block of the horizon used.
    pub decay: f64,
    /// Blocks per period of the horizon used.
    pub scale: u32,
}

/// Upper bounds of the fee-rate buckets (inclusive, sat/kvB), and the lookup from a rate
/// to its bucket.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Buckets {
    bounds: Vec<f64>,
    /// `(bound, index)` sorted by bound; with repeated bounds the last index wins, as a
    /// map keyed by bound would keep it.
    lookup: Vec<(f64, usize)>,
}

impl Buckets {
    /// Buckets with these upper bounds.
    pub(crate) fn new(bounds: Vec<f64>) -> Buckets {
        let mut lookup: Vec<(f64, usize)> = Vec::with_capacity(bounds.len());
        for (i, b) in bounds.iter().enumerate() {
            match lookup.binary_search_by(|(k, _)| k.total_cmp(b)) {
                Ok(pos) => lookup[pos].1 = i,
                Err(pos) => lookup.insert(pos, (*b, i)),
            }
        }
        Buckets { bounds, lookup }
    }

    /// The bounds, lowest bucket first.
    pub(crate) fn bounds(&self) -> &[f64] {
        &self.bounds
    }

    /// The bucket holding `feerate`: the one with the lowest bound not below it. Rates
    /// above every bound (possible only with a file's unusual buckets) go in the last one.
    pub(crate) fn index_of(&self, feerate: f64) -> usize {
        let pos = self
            .lookup
            .partition_point(|(k, _)| k.total_cmp(&feerate) == Ordering::Less);
        match self.lookup.get(pos).or_else(|| self.lookup.last()) {
            Some((_, i)) => *i,
            None => 0,
        }
    }
}

/// Confirmation history over one time horizon.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ConfirmStats {
    /// Decay applied per block to the moving averages.
    decay: f64,
    /// Blocks per period: confirmation times are counted in periods of this many blocks.
    scale: u32,
    /// Per bucket: decayed sum of the fee rates of confirmed transactions.
    feerate_avg: Vec<f64>,
    /// Per bucket: decayed count of confirmed transactions.
    tx_ct_avg: Vec<f64>,
    /// `[period][bucket]`: decayed count confirmed within `period + 1` periods.
    conf_avg: Vec<Vec<f64>>,
    /// `[period][bucket]`: decayed count that left the mempool unconfirmed after more
    /// than `period + 1` periods.
    fail_avg: Vec<Vec<f64>>,
    /// `[entry height % max confirms][bucket]`: mempool transactions by entry block.
    unconf_txs: Vec<Vec<i32>>,
    /// Per bucket: mempool transactions older than the circular buffer covers.
    old_unconf_txs: Vec<i32>,
}

impl ConfirmStats {
    /// Empty statistics for `buckets` buckets, tracking `max_periods` periods of `scale`
    /// blocks each.
    pub(crate) fn new(buckets: usize, max_periods: usize, decay: f64, scale: u32) -> ConfirmStats {
        let mut stats = ConfirmStats {
            decay,
            scale,
            feerate_avg: vec![0.0; buckets],
            tx_ct_avg: vec![0.0; buckets],
            conf_avg: vec![vec![0.0; buckets]; max_periods],
            fail_avg: vec![vec![0.0; buckets]; max_periods],
            unconf_txs: Vec::new(),
            old_unconf_txs: Vec::new(),
        };
        stats.reset_unconfirmed(buckets);
        stats
    }

    fn reset_unconfirmed(&mut self, buckets: usize) {
        self.unconf_txs = vec![vec![0; buckets]; self.max_confirms() as usize];
        self.old_unconf_txs = vec![0; buckets];
    }

    /// The longest confirmation time tracked, in blocks.
    pub(crate) fn max_confirms(&self) -> u32 {
        let periods = u32::try_from(self.conf_avg.len()).unwrap_or(u32::MAX);
        self.scale.saturating_mul(periods)
    }

    /// The decayed count of confirmed transactions in `bucket`.
    #[cfg(test)]
    pub(crate) fn tx_count(&self, bucket: usize) -> f64 {
        self.tx_ct_avg.get(bucket).copied().unwrap_or(0.0)
    }

    /// Starts a new block: the buffer slot it reuses moves to the "old" counters.
    pub(crate) fn clear_current(&mut self, height: u32) {
        let Some(slot) = slot_of(height, self.unconf_txs.len()) else {
            return;
        };
        let row = std::mem::take(&mut self.unconf_txs[slot]);
        for (old, n) in self.old_unconf_txs.iter_mut().zip(&row) {
            *old += n;
        }
        self.unconf_txs[slot] = vec![0; row.len()];
    }

    /// Records a transaction confirmed after `blocks_to_confirm` blocks (1 = the first
    /// block after entry) at `feerate`, in `bucket`.
    pub(crate) fn record(&mut self, blocks_to_confirm: u32, feerate: f64, bucket: usize) {
        if blocks_to_confirm < 1 || bucket >= self.tx_ct_avg.len() {
            return;
        }
        let periods = blocks_to_confirm.div_ceil(self.scale.max(1)) as usize;
        for row in self.conf_avg.iter_mut().skip(periods.saturating_sub(1)) {
            row[bucket] += 1.0;
        }
        self.tx_ct_avg[bucket] += 1.0;
        self.feerate_avg[bucket] += feerate;
    }

    /// Decays every moving average by one block.
    pub(crate) fn update_moving_averages(&mut self) {
        let d = self.decay;
        for row in self.conf_avg.iter_mut().chain(self.fail_avg.iter_mut()) {
            row.iter_mut().for_each(|v| *v *= d);
        }
        self.feerate_avg.iter_mut().for_each(|v| *v *= d);
        self.tx_ct_avg.iter_mut().for_each(|v| *v *= d);
    }

    /// Counts a transaction entering the mempool at `height` in `bucket`.
    pub(crate) fn new_tx(&mut self, height: u32, bucket: usize) {
        if let Some(slot) = slot_of(height, self.unconf_txs.len()) {
            if let Some(n) = self.unconf_txs[slot].get_mut(bucket) {
                *n += 1;
            }
        }
    }

    /// Stops counting a mempool transaction that entered at `entry_height`; when it left
    /// without confirming (`in_block` false) after at least a period, counts a failure
    /// for every period it waited.
    pub(crate) fn remove_tx(
        &mut self,
        entry_height: u32,
        best_height: u32,
        bucket: usize,
        in_block: bool,
    ) {
        // The best height has not moved on to the block being processed yet.
        let blocks_ago = if best_height == 0 {
            0
        } else {
            i64::from(best_height) - i64::from(entry_height)
        };
        if blocks_ago < 0 {
            return;
        }
        if blocks_ago >= self.unconf_txs.len() as i64 {
            if let Some(n) = self.old_unconf_txs.get_mut(bucket) {
                if *n > 0 {
                    *n -= 1;
                }
            }
        } else if let Some(slot) = slot_of(entry_height, self.unconf_txs.len()) {
            if let Some(n) = self.unconf_txs[slot].get_mut(bucket) {
                if *n > 0 {
                    *n -= 1;
                }
            }
        }
        let scale = i64::from(self.scale.max(1));
        if !in_block && blocks_ago >= scale {
            let periods = (blocks_ago / scale) as usize;
            for row in self.fail_avg.iter_mut().take(periods) {
                if let Some(v) = row.get_mut(bucket) {
                    *v += 1.0;
                }
            }
        }
    }

    /// Core's `EstimateMedianVal`: walking down from the highest rates, groups buckets
    /// until each group has enough data, and finds the lowest group where at least
    /// `success_threshold` of transactions confirmed within `conf_target` blocks. Returns
    /// the average rate of the median transaction's bucket in that group (sat/kvB), or -1.
    pub(crate) fn estimate_median(
        &self,
        buckets: &Buckets,
        conf_target: u32,
        sufficient_tx_val: f64,
        success_threshold: f64,
        best_height: u32,
        result: Option<&mut EstimationResult>,
    ) -> f64 {
        let bounds = buckets.bounds();
        let n = bounds
            .len()
            .min(self.tx_ct_avg.len())
            .min(self.feerate_avg.len());
        let scale = self.scale.max(1);
        let period_target = conf_target.div_ceil(scale) as usize;
        // Targets outside what this horizon tracks have no data (Core never asks for them).
        let (Some(conf_row), Some(fail_row)) = (
            period_target
                .checked_sub(1)
                .and_then(|p| self.conf_avg.get(p)),
            period_target
                .checked_sub(1)
                .and_then(|p| self.fail_avg.get(p)),
        ) else {
            return -1.0;
        };
        if n == 0 {
            return -1.0;
        }
        let max_confirms = self.max_confirms();
        let bins = self.unconf_txs.len();

        let mut n_conf = 0.0; // confirmed within the target
        let mut total_num = 0.0; // confirmed at all
        let mut extra_num: i64 = 0; // still in the mempool after the target
        let mut fail_num = 0.0; // left the mempool unconfirmed after the target
        let mut partial_num = 0.0;

        let max_bucket = n - 1;
        let mut cur_near = max_bucket;
        let mut best_near = max_bucket;
        let mut cur_far = max_bucket;
        let mut best_far = max_bucket;
        let mut found_answer = false;
        let mut new_bucket_range = true;
        let mut passing = true;
        let mut pass_bucket = EstimatorBucket::default();
        let mut fail_bucket = EstimatorBucket::default();
        let lower_bound = |i: usize| if i == 0 { 0.0 } else { bounds[i - 1] };
        // The bucket range between the two ends, with the counts over it.
        let range_bucket = |near: usize, far: usize, counts: (f64, f64, f64, f64)| {
            let (lo, hi) = (near.min(far), near.max(far));
            EstimatorBucket {
                start: lower_bound(lo),
                end: bounds[hi],
                within_target: counts.0,
                total_confirmed: counts.1,
                in_mempool: counts.2,
                left_mempool: counts.3,
            }
        };

        for bucket in (0..n).rev() {
            if new_bucket_range {
                cur_near = bucket;
                new_bucket_range = false;
            }
            cur_far = bucket;
            n_conf += conf_row.get(bucket).copied().unwrap_or(0.0);
            partial_num += self.tx_ct_avg[bucket];
            total_num += self.tx_ct_avg[bucket];
            fail_num += fail_row.get(bucket).copied().unwrap_or(0.0);
            for confct in conf_target..max_confirms {
                // Heights wrap as Core's unsigned arithmetic does.
                let slot = (best_height.wrapping_sub(confct) as usize) % bins.max(1);
                if let Some(v) = self.unconf_txs.get(slot).and_then(|r| r.get(bucket)) {
                    extra_num += i64::from(*v);
                }
            }
            extra_num += i64::from(self.old_unconf_txs.get(bucket).copied().unwrap_or(0));

            // Only confirmed data points decide when a group is big enough, so every
            // target sees the same groups.
            if partial_num < sufficient_tx_val / (1.0 - self.decay) {
                continue;
            }
            partial_num = 0.0;
            let cur_pct = n_conf / (total_num + fail_num + extra_num as f64);
            if cur_pct < success_threshold {
                if passing {
                    fail_bucket = range_bucket(
                        cur_near,
                        cur_far,
                        (n_conf, total_num, extra_num as f64, fail_num),
                    );
                    passing = false;
                }
                continue;
            }
            fail_bucket = EstimatorBucket::default();
            found_answer = true;
            passing = true;
            pass_bucket.within_target = n_conf;
            pass_bucket.total_confirmed = total_num;
            pass_bucket.in_mempool = extra_num as f64;
            pass_bucket.left_mempool = fail_num;
            n_conf = 0.0;
            total_num = 0.0;
            fail_num = 0.0;
            extra_num = 0;
            best_near = cur_near;
            best_far = cur_far;
            new_bucket_range = true;
        }

        let mut median = -1.0;
        let (min_bucket, max_bucket) = (best_near.min(best_far), best_near.max(best_far));
        let mut tx_sum: f64 = self.tx_ct_avg[min_bucket..=max_bucket].iter().sum();
        if found_answer && tx_sum != 0.0 {
            // The bucket holding the median transaction; its average rate is the answer,
            // a compromise since individual rates are not kept.
            tx_sum /= 2.0;
            for j in min_bucket..=max_bucket {
                if self.tx_ct_avg[j] < tx_sum {
                    tx_sum -= self.tx_ct_avg[j];
                } else {
                    median = self.feerate_avg[j] / self.tx_ct_avg[j];
                    break;
                }
            }
            pass_bucket.start = lower_bound(min_bucket);
            pass_bucket.end = bounds[max_bucket];
        }

        // Passing until the last few buckets, which lacked data: report those as failed.
        if passing && !new_bucket_range {
            fail_bucket = range_bucket(
                cur_near,
                cur_far,
                (n_conf, total_num, extra_num as f64, fail_num),
            );
        }

        if let Some(r) = result {
            *r = EstimationResult {
                pass: pass_bucket,
                fail: fail_bucket,
                decay: self.decay,
                scale: self.scale,
            };
        }
        median
    }

    /// Appends the statistics in Core's file layout.
    pub(crate) fn write(&self, w: &mut Writer) {
        w.double(self.decay);
        w.u32(self.scale);
        w.doubles(&self.feerate_avg);
        w.doubles(&self.tx_ct_avg);
        w.double_rows(&self.conf_avg);
        w.double_rows(&self.fail_avg);
    }

    /// Reads statistics for `buckets` buckets with Core's sanity checks; the mempool
    /// counters start empty, sized to what was read.
    pub(crate) fn read(
        r: &mut Reader<'_>,
        buckets: usize,
    ) -> Result<ConfirmStats, BlockPolicyFileError> {
        let decay = r.double()?;
        // Written as Core tests it, so a NaN decay passes as it does there.
        if decay <= 0.0 || decay >= 1.0 {
            return Err(BlockPolicyFileError::Decay);
        }
        let scale = r.u32()?;
        if scale == 0 {
            return Err(BlockPolicyFileError::Scale);
        }
        let feerate_avg = r.doubles()?;
        if feerate_avg.len() != buckets {
            return Err(BlockPolicyFileError::FeerateAverageCount);
        }
        let tx_ct_avg = r.doubles()?;
        if tx_ct_avg.len() != buckets {
            return Err(BlockPolicyFileError::TxCountCount);
        }
        let conf_avg = r.double_rows()?;
        let max_confirms = u64::from(scale) * conf_avg.len() as u64;
        if max_confirms == 0 || max_confirms > 6 * 24 * 7 {
            return Err(BlockPolicyFileError::MaxConfirms);
        }
        if conf_avg.iter().any(|row| row.len() != buckets) {
            return Err(BlockPolicyFileError::ConfAverageCount);
        }
        let fail_avg = r.double_rows()?;
        if fail_avg.len() != conf_avg.len() {
            return Err(BlockPolicyFileError::FailurePeriods);
        }
        if fail_avg.iter().any(|row| row.len() != buckets) {
            return Err(BlockPolicyFileError::FailureAverageCount);
        }
        let mut stats = ConfirmStats {
            decay,
            scale,
            feerate_avg,
            tx_ct_avg,
            conf_avg,
            fail_avg,
            unconf_txs: Vec::new(),
            old_unconf_txs: Vec::new(),
        };
        stats.reset_unconfirmed(buckets);
        Ok(stats)
    }
}

/// The slot of `height` in a circular buffer of `len` slots.
fn slot_of(height: u32, len: usize) -> Option<usize> {
    if len == 0 {
        None
    } else {
        Some(height as usize % len)
    }
}
