//! Choosing pool transactions for a new block (Core's `BlockAssembler::addChunks`).

use std::sync::Arc;

use bitcoin::Transaction;
use common::log_info;

use crate::feerate::{FeeFrac, FeeRate};
use crate::pool::Mempool;

/// Block-building limits (`BlockAssembler::Options`).
#[derive(Debug, Clone, Copy)]
pub struct AssemblerOptions {
    /// `-blockmaxweight`.
    pub max_weight: i64,
    /// `-blockreservedweight`.
    pub reserved_weight: i64,
    /// `-blockmintxfee`, satoshis per kvB.
    pub min_feerate: i64,
    /// `-printpriority`.
    pub print_modified_fee: bool,
}

impl Default for AssemblerOptions {
    fn default() -> Self {
        AssemblerOptions {
            max_weight: 4_000_000,
            reserved_weight: 8_000,
            min_feerate: 1,
            print_modified_fee: false,
        }
    }
}

/// The transactions a new block takes from the pool.
#[derive(Debug, Clone, Default)]
pub struct Selection {
    /// Transactions, parents first.
    pub txs: Vec<Arc<Transaction>>,
    /// Their fees.
    pub fees: Vec<i64>,
    /// Their sigop costs.
    pub sigops: Vec<i64>,
    /// Sum of fees.
    pub total_fees: i64,
    /// Block weight with the reserved weight.
    pub weight: i64,
    /// Each chunk taken: modified fee over virtual size (the template's
    /// `m_package_feerates`, which fee estimation reads).
    pub chunk_feerates: Vec<FeeFrac>,
}

/// Reserved sigops for the coinbase (`DEFAULT_COINBASE_OUTPUT_MAX_ADDITIONAL_SIGOPS`).
const COINBASE_SIGOPS: i64 = 400;
const MAX_BLOCK_SIGOPS_COST: i64 = 80_000;

/// Chooses transactions for a block at `height` whose parent has median time past `mtp`
/// (`BlockAssembler::addChunks`): chunks best-first, skipping (with the rest of their
/// cluster) those that do not fit, stopping below the minimum feerate.
pub fn select_transactions(
    pool: &Mempool,
    height: u32,
    mtp: i64,
    opts: &AssemblerOptions,
) -> Selection {
    const MAX_CONSECUTIVE_FAILURES: i64 = 1000;
    const BLOCK_FULL_ENOUGH_WEIGHT_DELTA: i64 = 4000;
    let mut sel = Selection {
        weight: opts.reserved_weight,
        ..Selection::default()
    };
    let mut sigops = COINBASE_SIGOPS;
    let mut failures = 0;
    let mut skipped: std::collections::HashSet<usize> = std::collections::HashSet::new();
    let min = FeeRate::per_kvb(opts.min_feerate);
    for chunk in pool.chunks_for_mining() {
        if skipped.contains(&chunk.cluster) {
            continue;
        }
        let vsize_rate = chunk.feerate.per_vsize();
        if vsize_rate.cmp_rate(&min.frac()) == std::cmp::Ordering::Less {
            break;
        }
        let chunk_sigops: i64 = chunk.txs.iter().map(|e| e.sigop_cost).sum();
        let fits = sel.weight + chunk.feerate.size < opts.max_weight
            && sigops + chunk_sigops < MAX_BLOCK_SIGOPS_COST
            && chunk
                .txs
                .iter()
                .all(|e| consensus::tx::is_final_tx(&e.tx, height as i32, mtp));
        if !fits {
            skipped.insert(chunk.cluster);
            failures += 1;
            if failures > MAX_CONSECUTIVE_FAILURES
                && sel.weight + BLOCK_FULL_ENOUGH_WEIGHT_DELTA > opts.max_weight
            {
                break;
            }
            continue;
        }
        failures = 0;
        sel.chunk_feerates.push(vsize_rate);
        for e in &chunk.txs {
            sel.txs.push(e.tx.clone());
            sel.fees.push(e.fee);
            sel.sigops.push(e.sigop_cost);
            sel.weight += e.weight;
            sel.total_fees += e.fee;
            sigops += e.sigop_cost;
            if opts.print_modified_fee {
                log_info!(
                    "fee rate {} txid {}",
                    FeeRate::from_fee(e.modified_fee, e.vsize),
                    e.txid
                );
            }
        }
    }
    sel
}
