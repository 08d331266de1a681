//! A node for unit tests: fixed fee figures, an empty pool, a clock.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::sync::Arc;

use bitcoin::{BlockHash, OutPoint, Transaction, TxOut, Txid};
use coinselection::FeeRate;
use interfaces::chain::Ancestry;

use super::node::{Estimate, NodeView};
use crate::error::WalletError;

/// Fee figures in sat/kvB, coins and blocks the test sets.
pub struct FakeNode {
    pub relay_min: i64,
    pub dust: i64,
    pub incremental: i64,
    pub mempool_min: i64,
    pub estimate: i64,
    pub max_target: u32,
    pub ibd: bool,
    pub now: i64,
    pub block_times: BTreeMap<BlockHash, i64>,
    pub coins: BTreeMap<OutPoint, TxOut>,
    pub broadcasts: RefCell<Vec<Transaction>>,
    pub reject: Option<String>,
}

impl Default for FakeNode {
    fn default() -> FakeNode {
        FakeNode {
            relay_min: 1000,
            dust: 3000,
            incremental: 1000,
            mempool_min: 0,
            estimate: 0,
            max_target: 1008,
            ibd: false,
            now: 1_700_000_000,
            block_times: BTreeMap::new(),
            coins: BTreeMap::new(),
            broadcasts: RefCell::new(Vec::new()),
            reject: None,
        }
    }
}

impl NodeView for FakeNode {
    fn relay_min_fee(&self) -> Result<FeeRate, WalletError> {
        Ok(FeeRate::from_sat_per_kvb(self.relay_min))
    }
    fn relay_dust_fee(&self) -> Result<FeeRate, WalletError> {
        Ok(FeeRate::from_sat_per_kvb(self.dust))
    }
    fn relay_incremental_fee(&self) -> Result<FeeRate, WalletError> {
        Ok(FeeRate::from_sat_per_kvb(self.incremental))
    }
    fn mempool_min_fee(&self) -> Result<FeeRate, WalletError> {
        Ok(FeeRate::from_sat_per_kvb(self.mempool_min))
    }
    fn fee_estimate(&self, target: u32, _conservative: bool) -> Result<Estimate, WalletError> {
        Ok(Estimate {
            fee_rate: FeeRate::from_sat_per_kvb(self.estimate),
            returned_target: target as i32,
        })
    }
    fn max_estimate_target(&self) -> Result<u32, WalletError> {
        Ok(self.max_target)
    }
    fn ancestry(&self, _txid: &Txid) -> Result<Ancestry, WalletError> {
        Ok(Ancestry::default())
    }
    fn individual_bump_fees(
        &self,
        outpoints: &[OutPoint],
        _rate: FeeRate,
    ) -> Result<Vec<i64>, WalletError> {
        Ok(vec![0; outpoints.len()])
    }
    fn combined_bump_fee(
        &self,
        _outpoints: &[OutPoint],
        _rate: FeeRate,
    ) -> Result<Option<i64>, WalletError> {
        Ok(Some(0))
    }
    fn package_limits(&self) -> Result<(u32, u32), WalletError> {
        Ok((64, 64))
    }
    fn check_chain_limits(&self, _tx: &Transaction) -> Result<Option<String>, WalletError> {
        Ok(None)
    }
    fn is_initial_block_download(&self) -> Result<bool, WalletError> {
        Ok(self.ibd)
    }
    fn block_time(&self, hash: &BlockHash) -> Result<Option<i64>, WalletError> {
        Ok(self.block_times.get(hash).copied())
    }
    fn now(&self) -> i64 {
        self.now
    }
    fn has_descendants_in_mempool(&self, _txid: &Txid) -> Result<bool, WalletError> {
        Ok(false)
    }
    fn find_coins(&self, outpoints: &[OutPoint]) -> Result<Vec<Option<TxOut>>, WalletError> {
        Ok(outpoints
            .iter()
            .map(|o| self.coins.get(o).cloned())
            .collect())
    }
    fn broadcast(
        &self,
        tx: &Arc<Transaction>,
        _max_tx_fee: i64,
    ) -> Result<Option<String>, WalletError> {
        if let Some(r) = &self.reject {
            return Ok(Some(r.clone()));
        }
        self.broadcasts.borrow_mut().push((**tx).clone());
        Ok(None)
    }
}
