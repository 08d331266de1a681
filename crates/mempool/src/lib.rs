//! The transaction memory pool (Core's `CTxMemPool`): its policy options, read from the
//! command line as Core reads them, and the pool's state.
//!
//! Transactions enter the pool only through relay and `sendrawtransaction`, which come
//! with the mempool work; until then the pool stays empty, and what it reports about
//! itself (size, fees, limits) is exact for that state.

mod money;

pub use money::parse_money;

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
    /// Largest cluster in virtual bytes.
    pub cluster_size_vbytes: i64,
}

impl Default for MempoolOptions {
    fn default() -> Self {
        MempoolOptions {
            max_size_bytes: DEFAULT_MAX_MEMPOOL_SIZE_MB * 1_000_000,
            min_relay_feerate: DEFAULT_MIN_RELAY_TX_FEE,
            incremental_relay_feerate: DEFAULT_INCREMENTAL_RELAY_FEE,
            permit_bare_multisig: true,
            max_datacarrier_bytes: Some(MAX_OP_RETURN_RELAY),
            cluster_count: DEFAULT_CLUSTER_LIMIT,
            cluster_size_vbytes: DEFAULT_CLUSTER_SIZE_LIMIT_KVB * 1_000,
        }
    }
}

/// A summary of the pool (`getmempoolinfo`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MempoolInfo {
    /// The load of a saved pool was attempted.
    pub loaded: bool,
    /// Transactions.
    pub size: usize,
    /// Sum of virtual sizes.
    pub bytes: u64,
    /// Memory used by the entries.
    pub usage: u64,
    /// Sum of fees, in satoshis.
    pub total_fee: i64,
    /// The lowest fee rate accepted now, satoshis per kvB.
    pub min_fee_rate: i64,
    /// Transactions not yet announced to any peer.
    pub unbroadcast: usize,
}

/// One transaction in the pool.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MempoolEntry {
    /// Transaction id, as RPC prints it.
    pub txid: String,
    /// Virtual size (BIP 141).
    pub vsize: u64,
    /// Fee in satoshis.
    pub fee: i64,
    /// Not yet announced to any peer.
    pub unbroadcast: bool,
}

/// The pool. Entries arrive through acceptance (relay, `sendrawtransaction`), which
/// comes with the mempool work; until then it starts, and stays, empty.
#[derive(Debug, Clone)]
pub struct Mempool {
    options: MempoolOptions,
    loaded: bool,
    entries: Vec<MempoolEntry>,
    txs: std::collections::HashMap<bitcoin::Txid, std::sync::Arc<bitcoin::Transaction>>,
    /// Core's `m_sequence_number`: starts at 1, one more per addition or removal.
    sequence: u64,
}

impl Mempool {
    /// An empty pool with `options`.
    pub fn new(options: MempoolOptions) -> Mempool {
        Mempool {
            options,
            loaded: false,
            entries: Vec::new(),
            txs: std::collections::HashMap::new(),
            sequence: 1,
        }
    }

    /// The pool's options.
    pub fn options(&self) -> &MempoolOptions {
        &self.options
    }

    /// Marks the startup load as done (there is no saved pool to read yet).
    pub fn set_loaded(&mut self) {
        self.loaded = true;
    }

    /// Number of transactions.
    pub fn size(&self) -> usize {
        self.entries.len()
    }

    /// The transactions' ids, in the pool's order.
    pub fn txids(&self) -> Vec<String> {
        self.entries.iter().map(|e| e.txid.clone()).collect()
    }

    /// The transaction `txid`, if it is in the pool.
    pub fn get(&self, txid: &bitcoin::Txid) -> Option<std::sync::Arc<bitcoin::Transaction>> {
        self.txs.get(txid).cloned()
    }

    /// Whether `txid` is in the pool.
    pub fn contains(&self, txid: &bitcoin::Txid) -> bool {
        self.txs.contains_key(txid)
    }

    /// The output `outpoint` names, when a pool transaction creates it (the pool's side of
    /// Core's `CCoinsViewMemPool`). Whether another pool transaction spends it is
    /// [`Self::spender`]'s answer.
    pub fn output(&self, outpoint: &bitcoin::OutPoint) -> Option<bitcoin::TxOut> {
        let tx = self.txs.get(&outpoint.txid)?;
        tx.output.get(outpoint.vout as usize).cloned()
    }

    /// The pool transaction spending `outpoint`, if any (Core's `GetConflictTx`).
    pub fn spender(&self, outpoint: &bitcoin::OutPoint) -> Option<bitcoin::Txid> {
        self.txs.values().find_map(|tx| {
            tx.input
                .iter()
                .any(|i| i.previous_output == *outpoint)
                .then(|| tx.compute_txid())
        })
    }

    /// The mempool sequence number.
    pub fn sequence(&self) -> u64 {
        self.sequence
    }

    /// The summary `getmempoolinfo` reports.
    pub fn info(&self) -> MempoolInfo {
        MempoolInfo {
            loaded: self.loaded,
            size: self.size(),
            bytes: self.entries.iter().map(|e| e.vsize).sum(),
            usage: (self.entries.capacity() * std::mem::size_of::<MempoolEntry>()) as u64,
            total_fee: self.entries.iter().map(|e| e.fee).sum(),
            // With room to spare, the pool's own minimum is zero, so the relay minimum rules.
            min_fee_rate: self.options.min_relay_feerate,
            unbroadcast: self.entries.iter().filter(|e| e.unbroadcast).count(),
        }
    }
}
