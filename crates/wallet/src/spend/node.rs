//! The node as spending sees it: the few `Chain` queries that building, funding and
//! bumping transactions make, behind a narrow trait so the logic can run against a fake
//! node in tests.

use std::sync::Arc;

use bitcoin::{BlockHash, OutPoint, Transaction, TxOut, Txid};
use coinselection::FeeRate;
use interfaces::chain::Ancestry;
use interfaces::Chain;

use crate::error::WalletError;

/// A fee estimate: the rate (empty or zero when there is none) and the target it is for.
#[derive(Debug, Clone, Copy, Default)]
pub struct Estimate {
    /// The rate; zero when the estimator has none.
    pub fee_rate: FeeRate,
    /// The target the estimator answered for.
    pub returned_target: i32,
}

/// What spending asks the node.
pub trait NodeView {
    /// `-minrelaytxfee`.
    fn relay_min_fee(&self) -> Result<FeeRate, WalletError>;
    /// `-dustrelayfee`.
    fn relay_dust_fee(&self) -> Result<FeeRate, WalletError>;
    /// `-incrementalrelayfee`.
    fn relay_incremental_fee(&self) -> Result<FeeRate, WalletError>;
    /// The pool's minimum fee rate.
    fn mempool_min_fee(&self) -> Result<FeeRate, WalletError>;
    /// `getFeeRateEstimate`.
    fn fee_estimate(&self, target: u32, conservative: bool) -> Result<Estimate, WalletError>;
    /// `maximumFeeEstimationTargetBlocks`.
    fn max_estimate_target(&self) -> Result<u32, WalletError>;
    /// The pool's ancestry figures of `txid` (zero when not in the pool).
    fn ancestry(&self, txid: &Txid) -> Result<Ancestry, WalletError>;
    /// Per outpoint, the fee to bring its unconfirmed ancestry to `rate`.
    fn individual_bump_fees(
        &self,
        outpoints: &[OutPoint],
        rate: FeeRate,
    ) -> Result<Vec<i64>, WalletError>;
    /// The fee to bring the outpoints' shared unconfirmed ancestry to `rate`.
    fn combined_bump_fee(
        &self,
        outpoints: &[OutPoint],
        rate: FeeRate,
    ) -> Result<Option<i64>, WalletError>;
    /// The pool's ancestor and descendant (cluster) count limits.
    fn package_limits(&self) -> Result<(u32, u32), WalletError>;
    /// Why `tx` would break the pool's chain limits, if it would.
    fn check_chain_limits(&self, tx: &Transaction) -> Result<Option<String>, WalletError>;
    /// Whether the node is still catching up.
    fn is_initial_block_download(&self) -> Result<bool, WalletError>;
    /// The header time of block `hash`, when known.
    fn block_time(&self, hash: &BlockHash) -> Result<Option<i64>, WalletError>;
    /// The node's clock (follows `setmocktime`).
    fn now(&self) -> i64;
    /// Whether `txid` has descendants in the pool.
    fn has_descendants_in_mempool(&self, txid: &Txid) -> Result<bool, WalletError>;
    /// Unspent outputs in the pool or the chain, one entry per outpoint.
    fn find_coins(&self, outpoints: &[OutPoint]) -> Result<Vec<Option<TxOut>>, WalletError>;
    /// Submits `tx` to the pool and relays it; Core's error text on failure.
    fn broadcast(
        &self,
        tx: &Arc<Transaction>,
        max_tx_fee: i64,
    ) -> Result<Option<String>, WalletError>;
    /// Submits `tx` to the pool without relaying it (`MEMPOOL_NO_BROADCAST`). By
    /// default the same as [`Self::broadcast`], for views without relay.
    fn submit_without_relay(
        &self,
        tx: &Arc<Transaction>,
        max_tx_fee: i64,
    ) -> Result<Option<String>, WalletError> {
        self.broadcast(tx, max_tx_fee)
    }
}

fn kvb(rate: FeeRate) -> i64 {
    rate.sat_per_kvb()
}

/// The node behind the `Chain` interface.
pub struct ChainView<'a>(pub &'a dyn Chain);

impl NodeView for ChainView<'_> {
    fn relay_min_fee(&self) -> Result<FeeRate, WalletError> {
        Ok(FeeRate::from_sat_per_kvb(self.0.relay_min_fee()?))
    }

    fn relay_dust_fee(&self) -> Result<FeeRate, WalletError> {
        Ok(FeeRate::from_sat_per_kvb(self.0.relay_dust_fee()?))
    }

    fn relay_incremental_fee(&self) -> Result<FeeRate, WalletError> {
        Ok(FeeRate::from_sat_per_kvb(self.0.relay_incremental_fee()?))
    }

    fn mempool_min_fee(&self) -> Result<FeeRate, WalletError> {
        Ok(FeeRate::from_sat_per_kvb(self.0.mempool_min_fee()?))
    }

    fn fee_estimate(&self, target: u32, conservative: bool) -> Result<Estimate, WalletError> {
        let target = i32::try_from(target).unwrap_or(i32::MAX);
        let e = self.0.estimate_smart_fee(target, conservative)?;
        Ok(Estimate {
            fee_rate: FeeRate::from_sat_per_kvb(e.fee_rate),
            returned_target: e.returned_target,
        })
    }

    fn max_estimate_target(&self) -> Result<u32, WalletError> {
        Ok(self.0.estimate_max_blocks()?)
    }

    fn ancestry(&self, txid: &Txid) -> Result<Ancestry, WalletError> {
        Ok(self.0.get_transaction_ancestry(*txid)?)
    }

    fn individual_bump_fees(
        &self,
        outpoints: &[OutPoint],
        rate: FeeRate,
    ) -> Result<Vec<i64>, WalletError> {
        if outpoints.is_empty() {
            return Ok(Vec::new());
        }
        Ok(self
            .0
            .calculate_individual_bump_fees(outpoints.to_vec(), kvb(rate))?)
    }

    fn combined_bump_fee(
        &self,
        outpoints: &[OutPoint],
        rate: FeeRate,
    ) -> Result<Option<i64>, WalletError> {
        if outpoints.is_empty() {
            return Ok(Some(0));
        }
        Ok(self
            .0
            .calculate_combined_bump_fee(outpoints.to_vec(), kvb(rate))?)
    }

    fn package_limits(&self) -> Result<(u32, u32), WalletError> {
        Ok(self.0.get_package_limits()?)
    }

    fn check_chain_limits(&self, tx: &Transaction) -> Result<Option<String>, WalletError> {
        Ok(self.0.check_chain_limits(tx.clone())?)
    }

    fn is_initial_block_download(&self) -> Result<bool, WalletError> {
        Ok(self.0.is_initial_block_download()?)
    }

    fn block_time(&self, hash: &BlockHash) -> Result<Option<i64>, WalletError> {
        Ok(self.0.find_block(*hash, false)?.map(|b| b.time))
    }

    fn now(&self) -> i64 {
        self.0.get_adjusted_time().unwrap_or_else(|_| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_secs() as i64)
                .unwrap_or(0)
        })
    }

    fn has_descendants_in_mempool(&self, txid: &Txid) -> Result<bool, WalletError> {
        Ok(self.0.has_descendants_in_mempool(*txid)?)
    }

    fn find_coins(&self, outpoints: &[OutPoint]) -> Result<Vec<Option<TxOut>>, WalletError> {
        let coins = self.0.find_coins(outpoints.to_vec())?;
        let mut out: Vec<Option<TxOut>> = coins.into_iter().map(|c| c.output).collect();
        out.resize(outpoints.len(), None);
        Ok(out)
    }

    fn broadcast(
        &self,
        tx: &Arc<Transaction>,
        max_tx_fee: i64,
    ) -> Result<Option<String>, WalletError> {
        Ok(self.0.broadcast_transaction(tx.clone(), max_tx_fee, true)?)
    }

    fn submit_without_relay(
        &self,
        tx: &Arc<Transaction>,
        max_tx_fee: i64,
    ) -> Result<Option<String>, WalletError> {
        Ok(self
            .0
            .broadcast_transaction(tx.clone(), max_tx_fee, false)?)
    }
}
