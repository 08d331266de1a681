//! `Chain`: what a wallet (or another chain client) may ask of the node, and
//! `ChainNotifications`: what the node tells it (Core's `interfaces::Chain` and
//! `Chain::Notifications`). Fee rates are satoshis per 1000 virtual bytes, as Core's
//! `CFeeRate` stores them.

use std::sync::Arc;

use bitcoin::{Block, BlockHash, OutPoint, Transaction, TxOut, Txid};

use crate::{Handler, Result};

/// Core's `RBFTransactionState`, as [`Chain::is_rbf_opt_in`] returns it.
pub mod rbf_state {
    /// Unconfirmed and not in the pool: cannot tell.
    pub const UNKNOWN: u8 = 0;
    /// Signals replaceability or has a signalling ancestor in the pool.
    pub const REPLACEABLE_BIP125: u8 = 1;
    /// Neither.
    pub const FINAL: u8 = 2;
}

/// Core's `MemPoolRemovalReason`, as [`ChainNotifications::transaction_removed_from_mempool`]
/// passes it.
pub mod removal_reason {
    /// Expired from the pool.
    pub const EXPIRY: u8 = 0;
    /// Evicted by the size limit.
    pub const SIZE_LIMIT: u8 = 1;
    /// Removed in a reorganisation.
    pub const REORG: u8 = 2;
    /// Included in a block.
    pub const BLOCK: u8 = 3;
    /// Conflicts with a transaction in a block.
    pub const CONFLICT: u8 = 4;
    /// Replaced by a transaction paying more.
    pub const REPLACED: u8 = 5;
}

/// What Core's `FoundBlock` can ask about a block; the cheap fields are always filled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FoundBlock {
    /// The block's hash.
    pub hash: BlockHash,
    /// Its height.
    pub height: i32,
    /// Its header time.
    pub time: i64,
    /// The highest header time up to it (`GetBlockTimeMax`).
    pub max_time: i64,
    /// Its median time past.
    pub mtp: i64,
    /// Whether it is in the active chain.
    pub in_active_chain: bool,
    /// The next block of the active chain, when this one is in it and is not the tip.
    pub next_hash: Option<BlockHash>,
    /// The block itself, when asked for and stored.
    pub data: Option<Arc<Block>>,
    /// A locator from this block.
    pub locator: Vec<BlockHash>,
}

ipc::impl_struct!(
    FoundBlock,
    crate::generated::chain_capnp::found_block::Owned,
    crate::generated::chain_ipc::found_block_fields {
        hash,
        height,
        time,
        max_time,
        mtp,
        in_active_chain,
        next_hash,
        data,
        locator
    }
);

/// A connected or disconnected block (Core's `interfaces::BlockInfo`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlockInfo {
    /// The block's hash.
    pub hash: BlockHash,
    /// Its parent's hash.
    pub prev_hash: BlockHash,
    /// Its height.
    pub height: i32,
    /// The highest header time up to it.
    pub chain_time_max: i64,
    /// The block.
    pub data: Arc<Block>,
}

ipc::impl_struct!(
    BlockInfo,
    crate::generated::chain_capnp::block_info::Owned,
    crate::generated::chain_ipc::block_info_fields {
        hash,
        prev_hash,
        height,
        chain_time_max,
        data
    }
);

/// An unspent output as `findCoins` reports it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Coin {
    /// The output; `None` when it is unspent neither in the chain nor in the pool.
    pub output: Option<TxOut>,
    /// Height of the block that created it (the pool's height + 1 for pool outputs).
    pub height: i32,
    /// Whether a coinbase created it.
    pub coinbase: bool,
}

ipc::impl_struct!(
    Coin,
    crate::generated::chain_capnp::coin::Owned,
    crate::generated::chain_ipc::coin_fields {
        output,
        height,
        coinbase
    }
);

/// A transaction's place in the pool (`getTransactionAncestry`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Ancestry {
    /// In-pool ancestors, the transaction included; 0 when it is not in the pool.
    pub ancestors: u64,
    /// Transactions in its cluster.
    pub cluster_count: u64,
    /// Virtual size of it and its ancestors.
    pub ancestor_size: u64,
    /// Modified fees of it and its ancestors.
    pub ancestor_fees: i64,
}

ipc::impl_struct!(
    Ancestry,
    crate::generated::chain_capnp::ancestry::Owned,
    crate::generated::chain_ipc::ancestry_fields {
        ancestors,
        cluster_count,
        ancestor_size,
        ancestor_fees
    }
);

/// A fee estimate (`estimateSmartFee` with its `FeeCalculation`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FeeEstimate {
    /// Satoshis per 1000 virtual bytes; 0 when there is no estimate.
    pub fee_rate: i64,
    /// The target the estimate is for.
    pub returned_target: i32,
    /// Core's `StringForFeeReason` of the estimate.
    pub reason: String,
}

ipc::impl_struct!(
    FeeEstimate,
    crate::generated::chain_capnp::fee_estimate::Owned,
    crate::generated::chain_ipc::fee_estimate_fields {
        fee_rate,
        returned_target,
        reason
    }
);

/// The node's chain, as a chain client sees it.
#[ipc::interface(module = crate::generated::chain_ipc::chain)]
pub trait Chain: Send + Sync {
    /// Height of the tip (0 for genesis only), `None` before any block.
    fn get_height(&self) -> Result<Option<i32>>;
    /// Hash of the active chain's block at `height`.
    fn get_block_hash(&self, height: i32) -> Result<BlockHash>;
    /// Whether the active block at `height` is stored with its transactions.
    fn have_block_on_disk(&self, height: i32) -> Result<bool>;
    /// Height of the last active block in `locator`.
    fn find_locator_fork(&self, locator: Vec<BlockHash>) -> Result<Option<i32>>;
    /// The block `hash`, with its data when `want_data`.
    fn find_block(&self, hash: BlockHash, want_data: bool) -> Result<Option<FoundBlock>>;
    /// The first active block with time ≥ `min_time` and height ≥ `min_height`.
    fn find_first_block_with_time_and_height(
        &self,
        min_time: i64,
        min_height: i32,
        want_data: bool,
    ) -> Result<Option<FoundBlock>>;
    /// The ancestor of `block_hash` at `ancestor_height`.
    fn find_ancestor_by_height(
        &self,
        block_hash: BlockHash,
        ancestor_height: i32,
    ) -> Result<Option<FoundBlock>>;
    /// `ancestor_hash` if it is an ancestor of (or is) `block_hash`.
    fn find_ancestor_by_hash(
        &self,
        block_hash: BlockHash,
        ancestor_hash: BlockHash,
    ) -> Result<Option<FoundBlock>>;
    /// The last common ancestor of two blocks.
    fn find_common_ancestor(
        &self,
        block_hash1: BlockHash,
        block_hash2: BlockHash,
    ) -> Result<Option<FoundBlock>>;
    /// Unspent outputs in the pool and the chain, one entry per outpoint.
    fn find_coins(&self, outpoints: Vec<OutPoint>) -> Result<Vec<Coin>>;
    /// Share of the network's transactions verified up to `block_hash`.
    fn guess_verification_progress(&self, block_hash: BlockHash) -> Result<f64>;
    /// Whether every block from `block_hash` back to `min_height` (from `max_height` when
    /// given) is stored.
    fn has_blocks(
        &self,
        block_hash: BlockHash,
        min_height: i32,
        max_height: Option<i32>,
    ) -> Result<bool>;
    /// Replaceability of `tx` by BIP125 signalling ([`rbf_state`]).
    fn is_rbf_opt_in(&self, tx: Transaction) -> Result<u8>;
    /// Whether `txid` is in the pool.
    fn is_in_mempool(&self, txid: Txid) -> Result<bool>;
    /// Whether `txid` has descendants in the pool.
    fn has_descendants_in_mempool(&self, txid: Txid) -> Result<bool>;
    /// Submits `tx` to the pool (refusing fees above `max_tx_fee` when non-zero) and relays
    /// it when `relay`. Returns Core's error string on failure.
    fn broadcast_transaction(
        &self,
        tx: Arc<Transaction>,
        max_tx_fee: i64,
        relay: bool,
    ) -> Result<Option<String>>;
    /// The pool's ancestry figures of `txid`.
    fn get_transaction_ancestry(&self, txid: Txid) -> Result<Ancestry>;
    /// Per outpoint, the fee needed to bring its unconfirmed ancestry to `fee_rate`.
    fn calculate_individual_bump_fees(
        &self,
        outpoints: Vec<OutPoint>,
        fee_rate: i64,
    ) -> Result<Vec<i64>>;
    /// The fee to bring the outpoints' combined unconfirmed ancestry to `fee_rate`.
    fn calculate_combined_bump_fee(
        &self,
        outpoints: Vec<OutPoint>,
        fee_rate: i64,
    ) -> Result<Option<i64>>;
    /// The pool's ancestor and descendant count limits.
    fn get_package_limits(&self) -> Result<(u32, u32)>;
    /// Why `tx` would exceed the pool's chain limits, if it would.
    fn check_chain_limits(&self, tx: Transaction) -> Result<Option<String>>;
    /// A smart fee estimate for confirmation within `num_blocks`.
    fn estimate_smart_fee(&self, num_blocks: i32, conservative: bool) -> Result<FeeEstimate>;
    /// The largest target the estimator answers.
    fn estimate_max_blocks(&self) -> Result<u32>;
    /// The pool's minimum fee rate.
    fn mempool_min_fee(&self) -> Result<i64>;
    /// `-minrelaytxfee`.
    fn relay_min_fee(&self) -> Result<i64>;
    /// `-incrementalrelayfee`.
    fn relay_incremental_fee(&self) -> Result<i64>;
    /// `-dustrelayfee`.
    fn relay_dust_fee(&self) -> Result<i64>;
    /// Whether any block was pruned.
    fn have_pruned(&self) -> Result<bool>;
    /// The lowest height with stored block data, when pruned.
    fn get_prune_height(&self) -> Result<Option<i32>>;
    /// Whether the node can broadcast (not importing or reindexing).
    fn is_ready_to_broadcast(&self) -> Result<bool>;
    /// Whether the node is in initial block download.
    fn is_initial_block_download(&self) -> Result<bool>;
    /// Whether the node is shutting down.
    fn shutdown_requested(&self) -> Result<bool>;
    /// Shows a start-up message.
    fn init_message(&self, message: String) -> Result<()>;
    /// Logs and shows a start-up warning.
    fn init_warning(&self, message: String) -> Result<()>;
    /// Logs and shows a start-up error.
    fn init_error(&self, message: String) -> Result<()>;
    /// Reports progress of a long task (rescans).
    fn show_progress(&self, title: String, progress: i32, resume_possible: bool) -> Result<()>;
    /// Subscribes to the node's notifications; dropping the handler unsubscribes.
    fn handle_notifications(
        &self,
        notifications: Arc<dyn ChainNotifications>,
    ) -> Result<Box<dyn Handler>>;
    /// Waits until every notification queued so far was delivered, unless `old_tip` is
    /// still the tip.
    fn wait_for_notifications_if_tip_changed(&self, old_tip: BlockHash) -> Result<()>;
    /// Waits until every notification queued so far was delivered.
    fn wait_for_notifications(&self) -> Result<()>;
    /// Adds an RPC command to the node's server (`command` describes it as JSON, see
    /// `rpc::remote`); dropping the handler removes it.
    fn handle_rpc(&self, command: String, actor: Arc<dyn RpcActor>) -> Result<Box<dyn Handler>>;
    /// Whether `-deprecatedrpc=<method>` is set.
    fn rpc_enable_deprecated(&self, method: String) -> Result<bool>;
    /// The setting `name` as JSON (`null` when unset).
    fn get_setting(&self, name: String) -> Result<String>;
    /// Every value of `name` as JSON.
    fn get_settings_list(&self, name: String) -> Result<Vec<String>>;
    /// The `settings.json` value `name` as JSON (`null` when unset).
    fn get_rw_setting(&self, name: String) -> Result<String>;
    /// Sets (or with `null` removes) a `settings.json` value, writing the file when
    /// `write`; false when the file could not be written.
    fn overwrite_rw_setting(&self, name: String, value: String, write: bool) -> Result<bool>;
    /// Sends `transaction_added_to_mempool` for every pool transaction, then returns.
    fn request_mempool_transactions(
        &self,
        notifications: Arc<dyn ChainNotifications>,
    ) -> Result<()>;
    /// Whether the chain uses an assumeutxo snapshot not yet validated.
    fn has_assumed_valid_chain(&self) -> Result<bool>;
    /// The node's clock in seconds (the mock time under `setmocktime`).
    fn get_adjusted_time(&self) -> Result<i64>;
    /// The tip, with a locator.
    fn get_tip(&self) -> Result<Option<FoundBlock>>;
}

/// What the node tells a chain client, in the order things happened.
#[ipc::interface(module = crate::generated::chain_ipc::chain_notifications)]
pub trait ChainNotifications: Send + Sync {
    /// `tx` entered the pool.
    fn transaction_added_to_mempool(&self, tx: Arc<Transaction>) -> Result<()>;
    /// `tx` left the pool for `reason` ([`removal_reason`]; never for `BLOCK`).
    fn transaction_removed_from_mempool(&self, tx: Arc<Transaction>, reason: u8) -> Result<()>;
    /// A block joined the active chain.
    fn block_connected(&self, block: BlockInfo) -> Result<()>;
    /// A block left the active chain.
    fn block_disconnected(&self, block: BlockInfo) -> Result<()>;
    /// The tip changed (after the block events).
    fn updated_block_tip(&self) -> Result<()>;
    /// The chainstate was written to disk up to `locator`.
    fn chain_state_flushed(&self, locator: Vec<BlockHash>) -> Result<()>;
}

/// An RPC command a chain client serves through the node's server.
#[ipc::interface(module = crate::generated::chain_ipc::rpc_actor)]
pub trait RpcActor: Send + Sync {
    /// Runs one request (JSON, see `rpc::remote`) and returns the reply JSON.
    fn call(&self, request: String) -> Result<String>;
}
