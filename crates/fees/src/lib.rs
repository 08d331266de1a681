//! Fee rate estimation as Bitcoin Core does it (`policy/fees/`), without I/O.
//!
//! Two estimators sit behind [`FeeEstimator`] (Core's `FeeRateEstimatorManager`):
//!
//! * the block policy estimator ([`BlockPolicyEstimator`]) learns from how many blocks
//!   mempool transactions of each fee rate took to confirm, over a short, a medium and a
//!   long horizon, and keeps that history in `fees/block_policy_estimates.dat`;
//! * the mempool estimator ([`MempoolPolicyEstimator`]) reads the fee rates of the next
//!   block template, while the last six blocks show the mempool held most of what they
//!   included; it keeps that window in `fees/mempool_policy_estimator.dat`.
//!
//! The node feeds events in ([`FeeEstimator::transaction_added`],
//! [`FeeEstimator::transaction_removed`], [`FeeEstimator::block_connected`]), asks for
//! estimates ([`FeeEstimator::estimate`], [`FeeEstimator::block_policy_raw_estimate`]),
//! and reads and writes the files' bytes itself ([`FeeEstimator::load_block_policy`],
//! [`FeeEstimator::load_mempool_policy`], [`FeeEstimator::interval_flush`],
//! [`FeeEstimator::shutdown_flush`]). Nothing here touches the disk or the clock; file
//! age and the current time are passed in.

mod block_policy;
mod block_policy_file;
mod estimation;
mod feerate;
mod manager;
mod mempool_policy;
mod mempool_policy_file;
mod rounder;
mod ser;
mod stats;

pub use block_policy::{
    valid_fee_estimate, BlockPolicyEstimateReason, BlockPolicyEstimator, BlockProcessed,
    FeeCalculation, FeeEstimateHorizon, NewMempoolTx, RemovedForBlock, ALL_FEE_ESTIMATE_HORIZONS,
    DOUBLE_SUCCESS_PCT, FEE_SPACING, HALF_SUCCESS_PCT, INF_FEERATE, LONG_DECAY, MAX_BUCKET_FEERATE,
    MED_DECAY, MIN_BUCKET_FEERATE, SHORT_DECAY, SUCCESS_PCT,
};
pub use block_policy_file::{BlockPolicyFileError, CURRENT_FEES_FILE_VERSION};
pub use estimation::{
    fee_modes, invalid_estimate_mode_message, returned_target, EstimateResult, FeeEstimateMode,
    FeeRateEstimation, FeeRateEstimationError, FeeRateEstimatorType, FEE_MODES,
};
pub use feerate::FeePerVSize;
pub use manager::{
    is_stale_file, ConnectedBlock, FeeEstimator, FlushData, BLOCK_POLICY_ESTIMATES_FILENAME,
    DEFAULT_ACCEPT_STALE_FEE_ESTIMATES, FEES_BASE_DIR, FEE_FLUSH_INTERVAL, INSUFFICIENT_DATA,
    LEGACY_FEE_ESTIMATES_FILENAME, MAX_FILE_AGE, MEMPOOL_POLICY_ESTIMATOR_FILENAME,
};
pub use mempool_policy::{
    max_weight_percentiles, CachedEstimate, EstimateCache, MempoolHealth, MempoolPolicyEstimator,
    MempoolState, MinedBlockStats, Percentiles, CACHE_LIFE, DEFAULT_BLOCK_MAX_WEIGHT,
    MEMPOOL_FEE_ESTIMATOR_MAX_TARGET, MEMPOOL_HEALTH_WINDOW_BLOCKS,
    MEMPOOL_REPRESENTATION_THRESHOLD,
};
pub use mempool_policy_file::{MempoolFileError, CURRENT_MEMPOOL_ESTIMATOR_VERSION};
pub use rounder::FeeFilterRounder;
pub use ser::DecodeError;
pub use stats::{EstimationResult, EstimatorBucket};
