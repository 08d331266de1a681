//! Fee estimation beside the mempool (Core's `FeeRateEstimatorManager` as the node sets it
//! up): the estimator files under `fees/`, the pool's events fed in, and the hourly and
//! shutdown flushes.

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use common::logging::Category;
use common::{log_debug, log_info, log_warning};
use fees::{ConnectedBlock, FeeEstimator, NewMempoolTx, RemovedForBlock};
use mempool::PoolEvent;

use crate::context::{lock, NodeContext};

/// Where the estimator files live.
#[derive(Debug, Clone)]
pub struct FeePaths {
    /// `<datadir>/<chain>/fees/block_policy_estimates.dat`.
    pub block_policy: PathBuf,
    /// `<datadir>/<chain>/fees/mempool_policy_estimator.dat`.
    pub mempool_policy: PathBuf,
    /// `<datadir>/<chain>/fee_estimates.dat` of older versions.
    pub legacy: PathBuf,
}

impl FeePaths {
    /// The paths under the network's data directory.
    pub fn new(net_dir: &Path) -> FeePaths {
        let dir = net_dir.join(fees::FEES_BASE_DIR);
        FeePaths {
            block_policy: dir.join(fees::BLOCK_POLICY_ESTIMATES_FILENAME),
            mempool_policy: dir.join(fees::MEMPOOL_POLICY_ESTIMATOR_FILENAME),
            legacy: net_dir.join(fees::LEGACY_FEE_ESTIMATES_FILENAME),
        }
    }
}

/// Moves an older version's `fee_estimates.dat` into `fees/` (`MaybeMigrateLegacyFeeEstimates`).
pub fn migrate_legacy(paths: &FeePaths) {
    if !paths.legacy.exists() {
        return;
    }
    let legacy = paths.legacy.display();
    if paths.block_policy.exists() {
        match std::fs::remove_file(&paths.legacy) {
            Ok(()) => log_info!("Removed legacy fee estimates file {}.", legacy),
            Err(e) => log_warning!(
                "Failed to remove legacy fee estimates file {}: {}. Continuing anyway.",
                legacy,
                e
            ),
        }
        return;
    }
    if let Some(dir) = paths.block_policy.parent() {
        if let Err(e) = std::fs::create_dir_all(dir) {
            log_warning!(
                "Failed to create block policy fee estimates directory {}: {}. Continuing without migration.",
                dir.display(),
                e
            );
            return;
        }
    }
    match std::fs::rename(&paths.legacy, &paths.block_policy) {
        Ok(()) => log_info!(
            "Migrated fee estimates from {} to {}.",
            legacy,
            paths.block_policy.display()
        ),
        Err(e) => log_warning!(
            "Failed to migrate fee estimates from {} to {}: {}. Continuing with fresh estimates.",
            legacy,
            paths.block_policy.display(),
            e
        ),
    }
}

/// Reads both files into `est` as Core's estimators do at construction.
pub fn load(
    est: &mut FeeEstimator,
    paths: &FeePaths,
    accept_stale: bool,
    tip: Option<(u32, bitcoin::BlockHash)>,
) {
    let path = paths.block_policy.display();
    match std::fs::read(&paths.block_policy) {
        Err(_) => log_info!("{} is not found. Continue anyway.", path),
        Ok(bytes) => {
            let age = std::fs::metadata(&paths.block_policy)
                .and_then(|m| m.modified())
                .ok()
                .and_then(|t| SystemTime::now().duration_since(t).ok())
                .unwrap_or(Duration::ZERO);
            if fees::is_stale_file(age, accept_stale) {
                log_warning!(
                    "Fee estimation file {} too old (age={} > {} hours) and will not be used to avoid serving stale estimates.",
                    path,
                    age.as_secs() / 3600,
                    fees::MAX_FILE_AGE.as_secs() / 3600
                );
            } else if let Err(e) = est.load_block_policy(&bytes) {
                log_warning!("Unable to read policy estimator data (non-fatal): {}", e);
                log_warning!(
                    "Failed to read fee estimates from {}. Continue anyway.",
                    path
                );
            }
        }
    }
    let mpath = paths.mempool_policy.display();
    match std::fs::read(&paths.mempool_policy) {
        Err(_) => log_debug!(
            Category::EstimateFee,
            "mempool_policy: {} does not exist. Continuing anyway",
            mpath
        ),
        Ok(bytes) => match est.load_mempool_policy(&bytes, tip) {
            Ok(()) => log_debug!(
                Category::EstimateFee,
                "mempool_policy: mined-block stats successfully read from {}.",
                mpath
            ),
            Err(e) => log_warning!("mempool_policy: {}", e),
        },
    }
}

fn write(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    std::fs::write(path, bytes)
}

/// Writes both files (`IntervalFlush`, or `ShutdownFlush` when `shutdown`).
pub fn flush(node: &NodeContext, shutdown: bool) {
    let Some(paths) = node.fee_paths.as_ref() else {
        return;
    };
    let data = {
        let mut est = lock(&node.fee_estimator);
        if !est.is_enabled() {
            return;
        }
        if shutdown {
            est.shutdown_flush()
        } else {
            est.interval_flush()
        }
    };
    match write(&paths.block_policy, &data.block_policy) {
        Ok(()) => log_debug!(
            Category::EstimateFee,
            "Flushed fee estimates to {}.",
            paths.block_policy.display()
        ),
        Err(_) => log_warning!(
            "Failed to write fee estimates to {}. Continue anyway.",
            paths.block_policy.display()
        ),
    }
    match write(&paths.mempool_policy, &data.mempool_policy) {
        Ok(()) => log_debug!(
            Category::EstimateFee,
            "mempool_policy: mined-block stats flushed to {}.",
            paths.mempool_policy.display()
        ),
        Err(_) => log_warning!(
            "mempool_policy: Unable to write mined-block stats to {} (non-fatal)",
            paths.mempool_policy.display()
        ),
    }
}

/// Feeds the pool's events to the estimator (Core's validation-interface callbacks).
pub fn feed(est: &mut FeeEstimator, events: &[PoolEvent]) {
    for ev in events {
        match ev {
            PoolEvent::Added {
                tx,
                fee,
                vsize,
                height,
                info,
                has_no_mempool_parents,
                ..
            } => est.transaction_added(&NewMempoolTx {
                txid: tx.compute_txid(),
                fee: *fee,
                vsize: *vsize,
                height: *height,
                valid_for_estimation: fees::valid_fee_estimate(
                    info.mempool_limit_bypassed,
                    info.submitted_in_package,
                    info.chainstate_is_current,
                    *has_no_mempool_parents,
                ),
            }),
            PoolEvent::Removed { tx, .. } => est.transaction_removed(&tx.compute_txid()),
            PoolEvent::Confirmed {
                height,
                hash,
                weight_without_coinbase,
                removed,
            } => {
                let removed: Vec<RemovedForBlock> = removed
                    .iter()
                    .map(|c| RemovedForBlock {
                        txid: c.txid,
                        fee: c.fee,
                        vsize: c.vsize,
                        entry_height: c.entry_height,
                        weight: c.weight.max(0) as u64,
                    })
                    .collect();
                let summary = est.block_connected(&ConnectedBlock {
                    height: *height,
                    hash: *hash,
                    weight_without_coinbase: *weight_without_coinbase,
                    removed: &removed,
                });
                if let Some(s) = summary {
                    log_debug!(Category::EstimateFee, "{}", s);
                }
            }
        }
    }
}
