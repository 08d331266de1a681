//! The transaction memory pool (Core's `CTxMemPool` and `MemPoolAccept`), without I/O:
//!
//! - [`policy`]: standardness, dust and virtual sizes;
//! - [`linearize`]: ordering a cluster for mining and cutting it into chunks;
//! - [`pool`]: entries, their links and clusters, eviction, the mining order, staging;
//! - [`accept`]: acceptance of transactions and packages with Core's reject reasons
//!   (full replace-by-fee with the feerate-diagram rule, TRUC, ephemeral dust, cluster
//!   limits), over a [`accept::ChainView`] of the active chain.

pub mod accept;
pub mod feerate;
pub mod linearize;
pub mod mini_miner;
pub mod mining;
pub mod package;
pub mod persist;
pub mod policy;
pub mod pool;
pub mod truc;
pub mod usage;

pub use common::money::parse_money;
pub use feerate::{FeeFrac, FeeRate};
pub use pool::{AddedInfo, ConfirmedTx, Entry, Mempool, PoolEvent, RemovalReason};

/// Default `-maxmempool`, in MB (`DEFAULT_MAX_MEMPOOL_SIZE_MB`).
pub const DEFAULT_MAX_MEMPOOL_SIZE_MB: i64 = 300;
/// Default `-minrelaytxfee`, in satoshis per kvB.
pub const DEFAULT_MIN_RELAY_TX_FEE: i64 = 100;
/// Default `-incrementalrelayfee`, in satoshis per kvB.
pub const DEFAULT_INCREMENTAL_RELAY_FEE: i64 = 100;
/// Default `-limitclustercount`.
pub const DEFAULT_CLUSTER_LIMIT: i64 = 64;
/// Default `-limitclustersize`, in kvB.
pub const DEFAULT_CLUSTER_SIZE_LIMIT_KVB: i64 = 101;
/// Default `-datacarriersize`: a standard transaction's whole virtual size.
pub const MAX_OP_RETURN_RELAY: i64 = 100_000;

/// Policy options of the pool (Core's `MemPoolOptions`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MempoolOptions {
    /// Largest size in bytes.
    pub max_size_bytes: i64,
    /// Lowest fee rate relayed and accepted, satoshis per kvB.
    pub min_relay_feerate: i64,
    /// Fee-rate step for replacement and eviction, satoshis per kvB.
    pub incremental_relay_feerate: i64,
    /// Whether bare multisig outputs are standard.
    pub permit_bare_multisig: bool,
    /// Largest OP_RETURN data, or `None` when data carriers are not relayed.
    pub max_datacarrier_bytes: Option<i64>,
    /// Most transactions in a cluster.
    pub cluster_count: i64,
    /// Weight units charged per sigop (`-bytespersigop`).
    pub bytes_per_sigop: i64,
    /// Largest cluster in virtual bytes.
    pub cluster_size_vbytes: i64,
    /// Reject non-standard transactions (not `-acceptnonstdtxn`).
    pub require_standard: bool,
    /// Dust rate (`-dustrelayfee`), satoshis per kvB.
    pub dust_relay_feerate: i64,
    /// How long a transaction may stay (`-mempoolexpiry`), seconds.
    pub expiry_seconds: i64,
    /// Check the pool's consistency after about one in this many chain updates; 0 never
    /// (`-checkmempool`).
    pub check_ratio: i64,
}

/// Default `-mempoolexpiry`, hours.
pub const DEFAULT_MEMPOOL_EXPIRY_HOURS: i64 = 336;

impl Default for MempoolOptions {
    fn default() -> Self {
        MempoolOptions {
            max_size_bytes: DEFAULT_MAX_MEMPOOL_SIZE_MB * 1_000_000,
            min_relay_feerate: DEFAULT_MIN_RELAY_TX_FEE,
            incremental_relay_feerate: DEFAULT_INCREMENTAL_RELAY_FEE,
            permit_bare_multisig: true,
            max_datacarrier_bytes: Some(MAX_OP_RETURN_RELAY),
            cluster_count: DEFAULT_CLUSTER_LIMIT,
            bytes_per_sigop: policy::DEFAULT_BYTES_PER_SIGOP,
            cluster_size_vbytes: DEFAULT_CLUSTER_SIZE_LIMIT_KVB * 1_000,
            require_standard: true,
            dust_relay_feerate: policy::DUST_RELAY_TX_FEE,
            expiry_seconds: DEFAULT_MEMPOOL_EXPIRY_HOURS * 3600,
            check_ratio: 0,
        }
    }
}
