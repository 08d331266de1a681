//! A loaded wallet: its state behind a lock (Core's `cs_wallet`), its file, and its link to
//! the node. Every operation runs on the state, then writes the changes it recorded in one
//! database transaction before the lock is released, so the file never holds half an
//! operation.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, Weak};

use bitcoin::{BlockHash, Transaction, Txid};
use interfaces::{BlockInfo, Chain, ChainNotifications, Handler};
use walletdb::WalletStore;

use crate::error::WalletError;
use crate::state::{BlockLookup, Change, WalletState};

/// The wallet file, as the wallet writes it.
pub type Store = Box<dyn WalletStore + Send>;

/// Answers the state's questions about the chain through the `Chain` interface.
pub struct ChainLookup<'a>(pub &'a dyn Chain);

impl BlockLookup for ChainLookup<'_> {
    fn block(&self, hash: &BlockHash) -> Option<(i64, i64, i32, bool)> {
        match self.0.find_block(*hash, false) {
            Ok(Some(b)) => Some((b.time, b.max_time, b.height, b.in_active_chain)),
            _ => None,
        }
    }

    fn in_mempool(&self, txid: &Txid) -> bool {
        self.0.is_in_mempool(*txid).unwrap_or(false)
    }

    fn locator(&self, hash: &BlockHash) -> Vec<BlockHash> {
        match self.0.find_block(*hash, false) {
            Ok(Some(b)) => b.locator,
            _ => Vec::new(),
        }
    }

    fn now(&self) -> i64 {
        self.0.get_adjusted_time().unwrap_or_else(|_| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_secs() as i64)
                .unwrap_or(0)
        })
    }
}

/// Rescan bookkeeping (Core's `fScanningWallet`, `fAbortRescan`, progress).
#[derive(Default)]
pub struct ScanState {
    /// A rescan runs.
    pub scanning: AtomicBool,
    /// `abortrescan` asked it to stop.
    pub abort: AtomicBool,
    /// Progress in millionths.
    pub progress_ppm: AtomicU64,
    /// When the rescan started (Unix milliseconds).
    pub started_ms: AtomicU64,
    /// The rescan holds the wallet unlocked (`m_scanning_with_passphrase`).
    pub with_passphrase: AtomicBool,
}

/// A loaded wallet.
pub struct Wallet {
    /// The wallet's name ("" for the default wallet).
    pub name: String,
    /// The wallet's directory or file path.
    pub path: PathBuf,
    state: Mutex<WalletState>,
    store: Mutex<Store>,
    /// The node.
    pub chain: Arc<dyn Chain>,
    handler: Mutex<Option<Box<dyn Handler>>>,
    /// Rescans.
    pub scan: ScanState,
    /// Increments on every unlock, so a timer relocks only its own unlock.
    pub unlock_generation: AtomicU64,
    /// When the wallet relocks (`nRelockTime`), 0 when locked or never.
    pub relock_time: AtomicU64,
    /// Held while the wallet must not be relocked (`m_relock_mutex`).
    pub relock_mutex: Mutex<()>,
}

impl Wallet {
    /// A wallet over `state` and `store`, not yet subscribed to the node.
    pub fn new(
        name: String,
        path: PathBuf,
        state: WalletState,
        store: Store,
        chain: Arc<dyn Chain>,
    ) -> Arc<Wallet> {
        Arc::new(Wallet {
            name,
            path,
            state: Mutex::new(state),
            store: Mutex::new(store),
            chain,
            handler: Mutex::new(None),
            scan: ScanState::default(),
            unlock_generation: AtomicU64::new(0),
            relock_time: AtomicU64::new(0),
            relock_mutex: Mutex::new(()),
        })
    }

    /// Locks the state (`cs_wallet`).
    pub fn state(&self) -> MutexGuard<'_, WalletState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Runs `f` on the locked state, then writes what it changed. A failed write leaves
    /// the file as it was and returns the error.
    pub fn with<R>(
        &self,
        f: impl FnOnce(&mut WalletState, &dyn BlockLookup) -> Result<R, WalletError>,
    ) -> Result<R, WalletError> {
        let mut st = self.state();
        let lookup = ChainLookup(self.chain.as_ref());
        let r = f(&mut st, &lookup);
        let changes = st.take_changes();
        self.write_changes(changes)?;
        r
    }

    /// Writes recorded changes in one database transaction.
    pub fn write_changes(&self, changes: Vec<Change>) -> Result<(), WalletError> {
        if changes.is_empty() {
            return Ok(());
        }
        let mut store = self.store.lock().unwrap_or_else(|e| e.into_inner());
        write_changes(store.as_mut(), changes)
    }

    /// Runs `f` on the wallet file.
    pub fn with_store<R>(&self, f: impl FnOnce(&mut dyn WalletStore) -> R) -> R {
        let mut store = self.store.lock().unwrap_or_else(|e| e.into_inner());
        f(store.as_mut())
    }

    /// Subscribes to the node's notifications.
    pub fn attach(self: &Arc<Self>) -> Result<(), WalletError> {
        let notifications: Arc<dyn ChainNotifications> =
            Arc::new(Notifications(Arc::downgrade(self)));
        let h = self.chain.handle_notifications(notifications)?;
        *self.handler.lock().unwrap_or_else(|e| e.into_inner()) = Some(h);
        Ok(())
    }

    /// Unsubscribes from the node (unloading).
    pub fn detach(&self) {
        let h = self
            .handler
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take();
        drop(h);
    }

    /// Waits until the wallet has seen every block the node has (`BlockUntilSyncedToCurrentChain`).
    pub fn block_until_synced(&self) {
        let last = self.state().last_block.map(|(h, _)| h);
        if let Some(hash) = last {
            let _ = self.chain.wait_for_notifications_if_tip_changed(hash);
        } else {
            let _ = self.chain.wait_for_notifications();
        }
    }

    /// Core's `DisplayName`.
    pub fn display_name(&self) -> String {
        if self.name.is_empty() {
            "default wallet".into()
        } else {
            self.name.clone()
        }
    }

    fn log_error(&self, what: &str, e: &WalletError) {
        common::logging::log_error(&format!("[{}] {what}: {e}", self.display_name()));
    }
}

/// Writes `changes` to `store` in one transaction.
pub fn write_changes(store: &mut dyn WalletStore, changes: Vec<Change>) -> Result<(), WalletError> {
    let err = |e: walletdb::StoreError| WalletError::Store(e.to_string());
    store.txn_begin().map_err(err)?;
    for c in &changes {
        let r = match c {
            Change::Write(r) => store.write_record(r),
            Change::Erase(k) => store.erase(k),
        };
        if let Err(e) = r {
            let _ = store.txn_abort();
            return Err(err(e));
        }
    }
    store.txn_commit().map_err(err)
}

/// The wallet's side of the node's notifications.
struct Notifications(Weak<Wallet>);

impl Notifications {
    fn run(
        &self,
        what: &str,
        f: impl FnOnce(&mut WalletState, &dyn BlockLookup) -> Result<(), WalletError>,
    ) {
        if let Some(w) = self.0.upgrade() {
            if let Err(e) = w.with(f) {
                w.log_error(what, &e);
            }
        }
    }
}

impl ChainNotifications for Notifications {
    fn transaction_added_to_mempool(&self, tx: Arc<Transaction>) -> ipc::Result<()> {
        self.run("transactionAddedToMempool", |st, c| {
            st.transaction_added_to_mempool(&tx, c)
        });
        Ok(())
    }

    fn transaction_removed_from_mempool(
        &self,
        tx: Arc<Transaction>,
        reason: u8,
    ) -> ipc::Result<()> {
        let conflict = reason == interfaces::chain::removal_reason::CONFLICT;
        self.run("transactionRemovedFromMempool", |st, c| {
            st.transaction_removed_from_mempool(&tx, conflict, c)
        });
        Ok(())
    }

    fn block_connected(&self, block: BlockInfo) -> ipc::Result<()> {
        self.run("blockConnected", |st, c| st.block_connected(&block, c));
        Ok(())
    }

    fn block_disconnected(&self, block: BlockInfo) -> ipc::Result<()> {
        self.run("blockDisconnected", |st, c| {
            st.block_disconnected(&block, c)
        });
        Ok(())
    }

    fn updated_block_tip(&self) -> ipc::Result<()> {
        self.run("updatedBlockTip", |st, c| {
            st.best_block_time = c.now();
            Ok(())
        });
        Ok(())
    }

    fn chain_state_flushed(&self, _locator: Vec<BlockHash>) -> ipc::Result<()> {
        Ok(())
    }
}

/// A notification receiver for `requestMempoolTransactions` during a rescan.
pub fn mempool_scanner(wallet: &Arc<Wallet>) -> Arc<dyn ChainNotifications> {
    Arc::new(Notifications(Arc::downgrade(wallet)))
}

/// Relaxed load of an atomic, for readers that only report.
pub fn load(a: &AtomicU64) -> u64 {
    a.load(Ordering::Relaxed)
}
