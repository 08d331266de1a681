//! A wallet transaction and its state (Core's `CWalletTx` and `TxState`).

use std::collections::BTreeSet;
use std::sync::Arc;

use bitcoin::hashes::Hash;
use bitcoin::{BlockHash, Transaction, Txid};
use walletdb::wtx::{SerializedTxState, WalletTxRecord};

/// Where a wallet transaction stands (Core's `TxState`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TxState {
    /// In block `block_hash` at `height`, position `index`.
    Confirmed {
        /// The block.
        block_hash: BlockHash,
        /// Its height (-1 until the chain tells it, after loading).
        height: i32,
        /// Position in the block.
        index: i32,
    },
    /// In the node's pool.
    InMempool,
    /// Conflicts with a transaction in block `block_hash` at `height`.
    BlockConflicted {
        /// The block.
        block_hash: BlockHash,
        /// Its height.
        height: i32,
    },
    /// Neither confirmed, conflicted nor in the pool; `abandoned` by the user or not.
    Inactive {
        /// Abandoned with `abandontransaction`.
        abandoned: bool,
    },
    /// Stored with a block hash and index Core does not interpret.
    Unrecognized {
        /// The stored hash.
        block_hash: [u8; 32],
        /// The stored index.
        index: i32,
    },
}

impl TxState {
    /// Core's `TxStateString`, as `AddToWallet` logs it.
    pub fn log_string(&self) -> String {
        match self {
            TxState::Confirmed {
                block_hash,
                height,
                index,
            } => format!("Confirmed (block={block_hash}, height={height}, index={index})"),
            TxState::InMempool => "InMempool".into(),
            TxState::BlockConflicted { block_hash, height } => {
                format!("BlockConflicted (block={block_hash}, height={height})")
            }
            TxState::Inactive { abandoned } => {
                format!("Inactive (abandoned={})", u8::from(*abandoned))
            }
            TxState::Unrecognized { block_hash, index } => format!(
                "Unrecognized (block={}, index={index})",
                BlockHash::from_byte_array(*block_hash)
            ),
        }
    }

    /// The state as stored.
    pub fn serialized(&self) -> SerializedTxState {
        match self {
            TxState::Confirmed {
                block_hash, index, ..
            } => SerializedTxState::Confirmed {
                block_hash: *block_hash,
                index: *index,
            },
            TxState::InMempool | TxState::Inactive { abandoned: false } => {
                SerializedTxState::Unconfirmed
            }
            TxState::Inactive { abandoned: true } => SerializedTxState::Abandoned,
            TxState::BlockConflicted { block_hash, .. } => SerializedTxState::Conflicted {
                block_hash: *block_hash,
            },
            TxState::Unrecognized { block_hash, index } => SerializedTxState::Unrecognized {
                block_hash: *block_hash,
                index: *index,
            },
        }
    }

    /// The state a stored one stands for before the chain is consulted (heights unknown).
    pub fn from_serialized(s: &SerializedTxState) -> TxState {
        match s {
            SerializedTxState::Confirmed { block_hash, index } => TxState::Confirmed {
                block_hash: *block_hash,
                height: -1,
                index: *index,
            },
            SerializedTxState::Conflicted { block_hash } => TxState::BlockConflicted {
                block_hash: *block_hash,
                height: -1,
            },
            SerializedTxState::Abandoned => TxState::Inactive { abandoned: true },
            SerializedTxState::Unconfirmed => TxState::Inactive { abandoned: false },
            SerializedTxState::Unrecognized { block_hash, index } => TxState::Unrecognized {
                block_hash: *block_hash,
                index: *index,
            },
        }
    }

    /// Same variant (Core compares `index()` of the variant).
    pub fn same_kind(&self, other: &TxState) -> bool {
        std::mem::discriminant(self) == std::mem::discriminant(other)
    }
}

/// A transaction the wallet keeps, with what only its owner knows about it.
#[derive(Debug, Clone)]
pub struct WalletTx {
    /// The transaction.
    pub tx: Arc<Transaction>,
    /// Its txid.
    pub txid: Txid,
    /// Where it stands.
    pub state: TxState,
    /// When this wallet first saw it (`nTimeReceived`).
    pub time_received: u32,
    /// Stable ordering timestamp (`nTimeSmart`).
    pub time_smart: u32,
    /// Position in the wallet's transaction order (`nOrderPos`).
    pub order_pos: i64,
    /// `mapValue["from"]`.
    pub from: Option<String>,
    /// `mapValue["message"]`.
    pub message: Option<String>,
    /// `mapValue["comment"]`.
    pub comment: Option<String>,
    /// `mapValue["to"]`.
    pub comment_to: Option<String>,
    /// The transaction this one replaced (fee bumping).
    pub replaces_txid: Option<Txid>,
    /// The transaction that replaced this one.
    pub replaced_by_txid: Option<Txid>,
    /// BIP21 messages (`vOrderForm` "Message").
    pub messages: Vec<String>,
    /// Payment requests (`vOrderForm` "PaymentRequest").
    pub payment_requests: Vec<String>,
    /// Pool transactions that conflict with this one (not stored).
    pub mempool_conflicts: BTreeSet<Txid>,
    /// For an unconfirmed TRUC transaction, its child in the pool (TRUC allows one).
    pub truc_child_in_mempool: Option<Txid>,
    /// Stored fields Core keeps but we do not interpret, written back unchanged.
    extra: Option<Box<WalletTxRecord>>,
}

impl WalletTx {
    /// A new wallet transaction in `state`.
    pub fn new(tx: Arc<Transaction>, state: TxState) -> WalletTx {
        let txid = tx.compute_txid();
        WalletTx {
            tx,
            txid,
            state,
            time_received: 0,
            time_smart: 0,
            order_pos: -1,
            from: None,
            message: None,
            comment: None,
            comment_to: None,
            replaces_txid: None,
            replaced_by_txid: None,
            messages: Vec::new(),
            payment_requests: Vec::new(),
            mempool_conflicts: BTreeSet::new(),
            truc_child_in_mempool: None,
            extra: None,
        }
    }

    /// Whether it is a coinbase.
    pub fn is_coinbase(&self) -> bool {
        self.tx.is_coinbase()
    }

    /// `isConfirmed`.
    pub fn is_confirmed(&self) -> bool {
        matches!(self.state, TxState::Confirmed { .. })
    }

    /// `InMempool`.
    pub fn in_mempool(&self) -> bool {
        matches!(self.state, TxState::InMempool)
    }

    /// `isAbandoned`.
    pub fn is_abandoned(&self) -> bool {
        matches!(self.state, TxState::Inactive { abandoned: true })
    }

    /// `isInactive`.
    pub fn is_inactive(&self) -> bool {
        matches!(self.state, TxState::Inactive { .. })
    }

    /// `isBlockConflicted`.
    pub fn is_block_conflicted(&self) -> bool {
        matches!(self.state, TxState::BlockConflicted { .. })
    }

    /// `isMempoolConflicted`.
    pub fn is_mempool_conflicted(&self) -> bool {
        !self.mempool_conflicts.is_empty()
    }

    /// `isUnconfirmed`: neither confirmed nor conflicted.
    pub fn is_unconfirmed(&self) -> bool {
        !self.is_confirmed() && !self.is_block_conflicted()
    }

    /// `GetTxTime`: the smart time, or the received time when there is none.
    pub fn tx_time(&self) -> i64 {
        i64::from(if self.time_smart != 0 {
            self.time_smart
        } else {
            self.time_received
        })
    }

    /// The stored record.
    pub fn to_record(&self) -> WalletTxRecord {
        let mut r = match &self.extra {
            Some(e) => {
                let mut r = (**e).clone();
                r.tx = (*self.tx).clone();
                r.state = self.state.serialized();
                r
            }
            None => WalletTxRecord::new((*self.tx).clone(), self.state.serialized()),
        };
        r.map_value.clear();
        let mut put = |k: &str, v: &Option<String>| {
            if let Some(v) = v {
                r.map_value.insert(k.to_string(), v.clone());
            }
        };
        put("from", &self.from);
        put("message", &self.message);
        put("comment", &self.comment);
        put("to", &self.comment_to);
        put("replaces_txid", &self.replaces_txid.map(|t| t.to_string()));
        put(
            "replaced_by_txid",
            &self.replaced_by_txid.map(|t| t.to_string()),
        );
        r.order_pos = self.order_pos;
        r.time_smart = self.time_smart;
        r.time_received = self.time_received;
        r.order_form = self
            .messages
            .iter()
            .map(|m| ("Message".to_string(), m.clone()))
            .chain(
                self.payment_requests
                    .iter()
                    .map(|p| ("PaymentRequest".to_string(), p.clone())),
            )
            .collect();
        r
    }

    /// A wallet transaction from its stored record.
    pub fn from_record(r: WalletTxRecord) -> WalletTx {
        let mut w = WalletTx::new(Arc::new(r.tx.clone()), TxState::from_serialized(&r.state));
        let get = |k: &str| r.map_value.get(k).cloned();
        w.from = get("from");
        w.message = get("message");
        w.comment = get("comment");
        w.comment_to = get("to");
        w.replaces_txid = get("replaces_txid").and_then(|s| s.parse().ok());
        w.replaced_by_txid = get("replaced_by_txid").and_then(|s| s.parse().ok());
        w.order_pos = r.order_pos;
        w.time_smart = r.time_smart;
        w.time_received = r.time_received;
        for (kind, text) in &r.order_form {
            match kind.as_str() {
                "Message" => w.messages.push(text.clone()),
                "PaymentRequest" => w.payment_requests.push(text.clone()),
                _ => {}
            }
        }
        w.extra = Some(Box::new(r));
        w
    }
}
