//! The estimator manager (Core's `FeeRateEstimatorManager`): it feeds mempool and block
//! events to both estimators, answers with the lower of their estimates, and hands out
//! the bytes of their files for the node to write.

use std::time::Duration;

use bitcoin::{BlockHash, Txid};

use crate::block_policy::{
    BlockPolicyEstimator, BlockProcessed, FeeCalculation, FeeEstimateHorizon, NewMempoolTx,
    RemovedForBlock,
};
use crate::block_policy_file::BlockPolicyFileError;
use crate::estimation::{
    EstimateResult, FeeRateEstimation, FeeRateEstimationError, FeeRateEstimatorType,
};
use crate::feerate::FeePerVSize;
use crate::mempool_policy::{lower_of, MempoolPolicyEstimator, MempoolState, MinedBlockStats};
use crate::mempool_policy_file::MempoolFileError;
use crate::stats::EstimationResult;

/// How often the node writes both files while running.
pub const FEE_FLUSH_INTERVAL: Duration = Duration::from_secs(60 * 60);
/// A block policy file older than this (60 hours) is not loaded unless
/// `-acceptstalefeeestimates` is set: fee history that old may mislead.
pub const MAX_FILE_AGE: Duration = Duration::from_secs(60 * 60 * 60);
/// Default of `-acceptstalefeeestimates` (allowed on regtest only).
pub const DEFAULT_ACCEPT_STALE_FEE_ESTIMATES: bool = false;
/// Directory under the network's data directory holding the estimator files.
pub const FEES_BASE_DIR: &str = "fees";
/// File name of the block policy estimates, inside [`FEES_BASE_DIR`].
pub const BLOCK_POLICY_ESTIMATES_FILENAME: &str = "block_policy_estimates.dat";
/// File name the block policy estimates had before, directly in the network's data
/// directory; migrated to the new place at startup.
pub const LEGACY_FEE_ESTIMATES_FILENAME: &str = "fee_estimates.dat";
/// File name of the mempool estimator's block window, inside [`FEES_BASE_DIR`].
pub const MEMPOOL_POLICY_ESTIMATOR_FILENAME: &str = "mempool_policy_estimator.dat";
/// The error of a block policy estimate that found nothing.
pub const INSUFFICIENT_DATA: &str = "Insufficient data or no feerate found";

/// Whether a block policy file of this age (now minus its modification time) must be
/// skipped. Age is counted in whole hours, as Core counts it.
pub fn is_stale_file(age: Duration, accept_stale: bool) -> bool {
    let hours = age.as_secs() / 3600;
    hours > MAX_FILE_AGE.as_secs() / 3600 && !accept_stale
}

/// A block connected to the active chain, as the estimators need it (Core's
/// `MempoolTransactionsRemovedForBlock` notification).
#[derive(Debug, Clone, Copy)]
pub struct ConnectedBlock<'a> {
    /// The block's height.
    pub height: u32,
    /// The block's hash.
    pub hash: BlockHash,
    /// Weight of its transactions without the coinbase.
    pub weight_without_coinbase: u64,
    /// The mempool transactions it confirmed (removed for the block).
    pub removed: &'a [RemovedForBlock],
}

/// The bytes of both estimator files, for the node to write to
/// `fees/block_policy_estimates.dat` and `fees/mempool_policy_estimator.dat`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlushData {
    /// The block policy estimates.
    pub block_policy: Vec<u8>,
    /// The mempool estimator's recent-block window.
    pub mempool_policy: Vec<u8>,
}

/// Both estimators behind one interface. A disabled manager (the node does not relay
/// transactions, `-blocksonly`) ignores events; RPC then reports estimation disabled.
#[derive(Debug, Clone)]
pub struct FeeEstimator {
    enabled: bool,
    block_policy: BlockPolicyEstimator,
    mempool_policy: MempoolPolicyEstimator,
}

impl Default for FeeEstimator {
    fn default() -> Self {
        FeeEstimator::new()
    }
}

impl FeeEstimator {
    /// Enabled estimators with no history.
    pub fn new() -> FeeEstimator {
        FeeEstimator {
            enabled: true,
            block_policy: BlockPolicyEstimator::new(),
            mempool_policy: MempoolPolicyEstimator::new(),
        }
    }

    /// A manager standing for "no fee estimation" (Core leaves it unset).
    pub fn disabled() -> FeeEstimator {
        FeeEstimator {
            enabled: false,
            ..FeeEstimator::new()
        }
    }

    /// Whether estimation runs.
    pub fn is_enabled(&self) -> bool {
        self.enabled
    }

    /// The block policy estimator.
    pub fn block_policy(&self) -> &BlockPolicyEstimator {
        &self.block_policy
    }

    /// The mempool estimator.
    pub fn mempool_policy(&self) -> &MempoolPolicyEstimator {
        &self.mempool_policy
    }

    /// Loads the block policy file's bytes (after the node checked its age with
    /// [`is_stale_file`]). On error the estimator keeps its state.
    pub fn load_block_policy(&mut self, bytes: &[u8]) -> Result<(), BlockPolicyFileError> {
        self.block_policy.load(bytes)
    }

    /// Loads the mempool estimator file's bytes; `active_tip` is the chain's tip (height,
    /// hash), which the file must end at.
    pub fn load_mempool_policy(
        &mut self,
        bytes: &[u8],
        active_tip: Option<(u32, BlockHash)>,
    ) -> Result<(), MempoolFileError> {
        self.mempool_policy.load(bytes, active_tip)
    }

    /// A transaction entered the mempool.
    pub fn transaction_added(&mut self, tx: &NewMempoolTx) {
        if self.enabled {
            self.block_policy.process_transaction(tx);
        }
    }

    /// A transaction left the mempool for any reason but a block.
    pub fn transaction_removed(&mut self, txid: &Txid) {
        if self.enabled {
            self.block_policy.remove_tx(txid);
        }
    }

    /// A block was connected and its transactions removed from the mempool. Returns the
    /// block policy estimator's summary when it used the block.
    pub fn block_connected(&mut self, block: &ConnectedBlock<'_>) -> Option<BlockProcessed> {
        if !self.enabled {
            return None;
        }
        let summary = self.block_policy.process_block(block.removed, block.height);
        let removed_weight = block.removed.iter().map(|t| t.weight).sum();
        self.mempool_policy.block_connected(
            block.height,
            block.hash,
            block.weight_without_coinbase,
            removed_weight,
        );
        summary
    }

    /// The block policy estimate as an estimation result.
    pub fn block_policy_estimate(
        &self,
        target: u32,
        conservative: bool,
    ) -> (EstimateResult, FeeCalculation) {
        let target = i32::try_from(target).unwrap_or(i32::MAX);
        let (rate, calc) = self.block_policy.estimate_smart_fee(target, conservative);
        let returned = u32::try_from(calc.returned_target).unwrap_or(0);
        let result = if rate == 0 {
            Err(FeeRateEstimationError::new(
                FeeRateEstimatorType::BlockPolicy,
                returned,
                INSUFFICIENT_DATA,
            ))
        } else {
            Ok(FeeRateEstimation {
                estimator: FeeRateEstimatorType::BlockPolicy,
                feerate: FeePerVSize::from_sat_per_kvb(rate),
                returned_target: returned,
            })
        };
        (result, calc)
    }

    /// Whether [`Self::estimate`] for `estimator` would read
    /// [`MempoolState::block_template`]: the caller builds the template only then, and
    /// without holding this estimator's lock.
    pub fn needs_block_template(
        &self,
        estimator: FeeRateEstimatorType,
        target: u32,
        conservative: bool,
        loaded: bool,
        tip: &BlockHash,
        now: Duration,
    ) -> bool {
        match estimator {
            FeeRateEstimatorType::BlockPolicy => false,
            FeeRateEstimatorType::MempoolPolicy => {
                self.mempool_policy.needs_block_template(loaded, tip, now)
            }
            FeeRateEstimatorType::None => {
                self.block_policy_estimate(target, conservative).0.is_ok()
                    && self.mempool_policy.needs_block_template(loaded, tip, now)
            }
        }
    }

    /// Estimates the rate to confirm within `target` blocks. `None` asks both estimators
    /// and answers with the lower rate; a failure of either is returned as is (a failed
    /// mempool estimate is not replaced by the block policy one, which callers can ask
    /// for explicitly). `now` is the node's clock, for the mempool estimator's cache.
    pub fn estimate(
        &mut self,
        estimator: FeeRateEstimatorType,
        target: u32,
        conservative: bool,
        mempool: &MempoolState<'_>,
        now: Duration,
    ) -> EstimateResult {
        match estimator {
            FeeRateEstimatorType::BlockPolicy => self.block_policy_estimate(target, conservative).0,
            FeeRateEstimatorType::MempoolPolicy => {
                self.mempool_policy.estimate(conservative, mempool, now)
            }
            FeeRateEstimatorType::None => {
                let block = self.block_policy_estimate(target, conservative).0?;
                let mempool = self.mempool_policy.estimate(conservative, mempool, now)?;
                Ok(lower_of(block, mempool))
            }
        }
    }

    /// One horizon's raw estimate (for `estimaterawfee`), in sat/kvB (0 for none), with
    /// the buckets it looked at.
    pub fn block_policy_raw_estimate(
        &self,
        target: u32,
        threshold: f64,
        horizon: FeeEstimateHorizon,
    ) -> (i64, EstimationResult) {
        let mut result = EstimationResult::default();
        let target = i32::try_from(target).unwrap_or(i32::MAX);
        let rate =
            self.block_policy
                .estimate_raw_fee(target, threshold, horizon, Some(&mut result));
        (rate, result)
    }

    /// The highest target a block policy horizon tracks.
    pub fn block_policy_highest_target(&self, horizon: FeeEstimateHorizon) -> u32 {
        self.block_policy.highest_target_tracked(horizon)
    }

    /// The highest target any estimator answers (the bound of `conf_target`).
    pub fn maximum_target(&self) -> u32 {
        self.block_policy
            .maximum_target()
            .max(self.mempool_policy.maximum_target())
    }

    /// The mempool estimator's recent blocks, oldest first.
    pub fn mempool_blocks_stats(&self) -> &[MinedBlockStats] {
        self.mempool_policy.prev_block_data()
    }

    /// The periodic flush: both files as they stand.
    pub fn interval_flush(&self) -> FlushData {
        FlushData {
            block_policy: self.block_policy.to_bytes(),
            mempool_policy: self.mempool_policy.to_bytes(),
        }
    }

    /// The flush at shutdown: transactions still tracked count as having left the
    /// mempool unconfirmed, then both files.
    pub fn shutdown_flush(&mut self) -> FlushData {
        self.block_policy.flush_unconfirmed();
        self.interval_flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bitcoin::hashes::Hash;

    fn txid(n: u32) -> Txid {
        let mut b = [0u8; 32];
        b[..4].copy_from_slice(&n.to_le_bytes());
        Txid::from_byte_array(b)
    }

    fn hash(n: u32) -> BlockHash {
        let mut b = [0u8; 32];
        b[..4].copy_from_slice(&n.to_le_bytes());
        BlockHash::from_byte_array(b)
    }

    /// Feeds `blocks` blocks, each confirming 20 transactions at `rate` sat/kvB that
    /// entered one block earlier, with full mempool coverage.
    fn feed(est: &mut FeeEstimator, from_height: u32, blocks: u32, rate: i64) -> u32 {
        let mut h = from_height;
        for _ in 0..blocks {
            let txs: Vec<NewMempoolTx> = (0..20)
                .map(|i| NewMempoolTx {
                    txid: txid(h * 100 + i),
                    fee: rate,
                    vsize: 1000,
                    height: h,
                    valid_for_estimation: true,
                })
                .collect();
            for tx in &txs {
                est.transaction_added(tx);
            }
            let removed: Vec<RemovedForBlock> = txs
                .iter()
                .map(|t| RemovedForBlock {
                    txid: t.txid,
                    fee: t.fee,
                    vsize: t.vsize,
                    entry_height: t.height,
                    weight: 4000,
                })
                .collect();
            h += 1;
            est.block_connected(&ConnectedBlock {
                height: h,
                hash: hash(h),
                weight_without_coinbase: 80_000,
                removed: &removed,
            });
        }
        h
    }

    fn state(tip: BlockHash, template: Option<&[FeePerVSize]>) -> MempoolState<'_> {
        MempoolState {
            loaded: true,
            tip,
            floor: FeePerVSize::from_sat_per_kvb(1000),
            block_template: template,
        }
    }

    #[test]
    fn combined_estimate_takes_the_lower_rate() {
        let mut est = FeeEstimator::new();
        let h = feed(&mut est, 1, 30, 20_000);
        let now = Duration::from_secs(1_000_000);
        let block = est.estimate(
            FeeRateEstimatorType::BlockPolicy,
            2,
            false,
            &state(hash(h), None),
            now,
        );
        let block = block.unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(block.feerate.sat_per_kvb(), 20_000);
        assert_eq!(block.returned_target, 2);

        // The template's rates are higher: the block policy estimate wins.
        let high = vec![FeePerVSize::new(50_000, 1000); 1000];
        assert!(est.needs_block_template(
            FeeRateEstimatorType::None,
            2,
            false,
            true,
            &hash(h),
            now
        ));
        let r = est.estimate(
            FeeRateEstimatorType::None,
            2,
            false,
            &state(hash(h), Some(&high)),
            now,
        );
        assert_eq!(
            r.map(|e| e.estimator),
            Ok(FeeRateEstimatorType::BlockPolicy)
        );

        // Cached for the same tip: no template needed, the cached pair is used.
        assert!(!est.needs_block_template(
            FeeRateEstimatorType::None,
            2,
            false,
            true,
            &hash(h),
            now
        ));
        let mem = est.estimate(
            FeeRateEstimatorType::MempoolPolicy,
            2,
            false,
            &state(hash(h), None),
            now,
        );
        assert_eq!(mem.map(|e| e.feerate.sat_per_kvb()), Ok(50_000));

        // After the cache life a lower template wins.
        let later = now + Duration::from_secs(8);
        let low = vec![FeePerVSize::new(3_000, 1000); 1000];
        let r = est.estimate(
            FeeRateEstimatorType::None,
            2,
            false,
            &state(hash(h), Some(&low)),
            later,
        );
        let r = r.unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(r.estimator, FeeRateEstimatorType::MempoolPolicy);
        assert_eq!(r.feerate.sat_per_kvb(), 3_000);

        // An empty template gives the floor.
        let r = est.estimate(
            FeeRateEstimatorType::MempoolPolicy,
            2,
            true,
            &state(hash(h + 7), Some(&[])),
            later,
        );
        assert_eq!(r.map(|e| e.feerate.sat_per_kvb()), Ok(1000));
    }

    #[test]
    fn errors_carry_estimator_and_target() {
        let mut est = FeeEstimator::new();
        let now = Duration::from_secs(5);
        let r = est.estimate(
            FeeRateEstimatorType::None,
            6,
            false,
            &state(hash(0), None),
            now,
        );
        assert_eq!(
            r,
            Err(FeeRateEstimationError::new(
                FeeRateEstimatorType::BlockPolicy,
                0,
                INSUFFICIENT_DATA
            ))
        );
        let h = feed(&mut est, 1, 3, 20_000);
        let r = est.estimate(
            FeeRateEstimatorType::MempoolPolicy,
            6,
            false,
            &state(hash(h), None),
            now,
        );
        assert_eq!(
            r.map_err(|e| (e.returned_target, e.reason)),
            Err((
                2,
                "mempool_policy: Not enough recent block data for fee rate estimation".to_string()
            ))
        );
        let mut unloaded = state(hash(h), None);
        unloaded.loaded = false;
        let r = est.estimate(
            FeeRateEstimatorType::MempoolPolicy,
            6,
            false,
            &unloaded,
            now,
        );
        assert_eq!(
            r.map_err(|e| e.reason),
            Err(
                "mempool_policy: Mempool not loaded yet, no fee rate estimate available"
                    .to_string()
            )
        );
        let h = feed(&mut est, h, 6, 20_000);
        let r = est.estimate(
            FeeRateEstimatorType::MempoolPolicy,
            6,
            false,
            &state(hash(h), None),
            now,
        );
        assert_eq!(
            r.map_err(|e| e.reason),
            Err(
                "mempool_policy: Failed to create block template for fee rate estimation"
                    .to_string()
            )
        );
        assert_eq!(est.maximum_target(), 1008);
    }

    #[test]
    fn flushes_round_trip_and_shutdown_counts_unconfirmed() {
        let mut est = FeeEstimator::new();
        let h = feed(&mut est, 1, 12, 20_000);
        est.transaction_added(&NewMempoolTx {
            txid: txid(999_999),
            fee: 500,
            vsize: 250,
            height: h,
            valid_for_estimation: true,
        });
        assert_eq!(est.block_policy().tracked_count(), 1);
        let data = est.interval_flush();
        let mut other = FeeEstimator::new();
        assert_eq!(other.load_block_policy(&data.block_policy), Ok(()));
        assert_eq!(
            other.load_mempool_policy(&data.mempool_policy, Some((h, hash(h)))),
            Ok(())
        );
        assert_eq!(other.interval_flush(), data);
        let at_shutdown = est.shutdown_flush();
        assert_eq!(est.block_policy().tracked_count(), 0);
        assert_eq!(at_shutdown.mempool_policy, data.mempool_policy);
    }

    #[test]
    fn disabled_manager_ignores_events() {
        let mut est = FeeEstimator::disabled();
        assert!(!est.is_enabled());
        feed(&mut est, 1, 5, 20_000);
        assert_eq!(est.block_policy().best_seen_height(), 0);
        assert!(est.mempool_blocks_stats().is_empty());
    }

    #[test]
    fn stale_files() {
        let hour = Duration::from_secs(3600);
        assert!(!is_stale_file(hour * 60, false));
        assert!(!is_stale_file(hour * 61 - Duration::from_secs(1), false));
        assert!(is_stale_file(hour * 61, false));
        assert!(!is_stale_file(hour * 61, true));
    }
}
