//! What the peer logic needs from the node it runs in.

use std::sync::{Arc, MutexGuard};

use bitcoin::{Block, Transaction};
use chain::{BlockOutcome, ChainState, ProcessError};
use mempool::accept::{PackageResult, TxResult};
use mempool::Mempool;

/// The node's chainstate, pool and clock, as the peer logic uses them. The node
/// implements it over its own locks, so that blocks and transactions from peers take the
/// same path (pool updates, chain notifications) as those from RPC.
///
/// Lock order: the chainstate before the pool; the peer logic never holds its own
/// state while asking for either.
pub trait NodeAccess: Send + Sync {
    /// Locks the chainstate (Core's `cs_main`).
    fn chainstate(&self) -> MutexGuard<'_, ChainState>;
    /// Locks the pool (`mempool.cs`).
    fn mempool(&self) -> MutexGuard<'_, Mempool>;
    /// Checks and stores a block and activates the best chain (`ProcessNewBlock`),
    /// keeping the pool in step. Takes the chainstate lock itself. `force_processing`:
    /// the block was requested; `min_pow_checked`: its chain has the anti-DoS work (see
    /// [`ChainState::process_new_block`]).
    fn process_block(
        &self,
        block: &Block,
        force_processing: bool,
        min_pow_checked: bool,
    ) -> Result<BlockOutcome, ProcessError>;
    /// Submits a transaction to the pool (`ProcessTransaction`). Takes the chainstate
    /// and pool locks itself.
    fn accept_transaction(&self, tx: Arc<Transaction>) -> TxResult;
    /// Submits a package, parents first (`ProcessNewPackage`): the peer logic's
    /// 1-parent-1-child packages. Takes the chainstate and pool locks itself.
    fn accept_package(&self, txs: Vec<Arc<Transaction>>) -> PackageResult;
    /// The node's clock in microseconds: the mock time if one is set (`GetTime`).
    fn now_micros(&self) -> i64;
    /// Whether shutdown was requested.
    fn shutdown_requested(&self) -> bool;
}
