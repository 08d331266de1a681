//! Optional indexes kept beside the chainstate, as Core's `index/`: the machinery every
//! index shares (`base`, Core's `BaseIndex`) and the transaction index of `-txindex`
//! ([`TxIndex`]), each in its own database under `<datadir>/<chain>/indexes/`.
//!
//! Start-up, as the node does it: [`TxIndex::open`] with the loaded chainstate (reads the
//! locator, subscribes to the chainstate's events), then
//! [`TxIndex::start_background_sync`] once the node's shared state exists, and
//! [`TxIndex::stop`] at shutdown.

mod base;
mod error;
mod locator;
mod txindex;

#[cfg(test)]
mod tests;

use bitcoin::BlockHash;
use chain::ChainState;

pub use base::BestBlock;
pub use error::IndexError;
pub use txindex::{DiskTxPos, TxIndex, DEFAULT_TXINDEX};

/// How an index's sync thread reaches the node's chainstate and reports a failure it
/// cannot recover from.
pub trait ChainAccess: Send + Sync {
    /// Runs `f` with the chainstate locked (Core's `cs_main`).
    fn with_chainstate(&self, f: &mut dyn FnMut(&ChainState));

    /// An index stopped on an error it cannot recover from (Core's `AbortNode`): the
    /// node should report `message` and shut down.
    fn fatal_error(&self, message: &str);
}

/// What `getindexinfo` reports of an index (Core's `IndexSummary`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexSummary {
    /// The index's name (`txindex`).
    pub name: &'static str,
    /// Whether the index has caught up with the chain and follows it.
    pub synced: bool,
    /// Height of the last block indexed (0 before any).
    pub best_block_height: u32,
    /// Hash of the last block indexed (the genesis block's before any).
    pub best_block_hash: BlockHash,
}
