//! `mempool.dat`: saving the pool at shutdown and with `savemempool`, loading it at start
//! and with `importmempool` (Core's `node/mempool_persist.cpp`).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use common::log_info;
use mempool::accept::{AcceptArgs, Acceptor, TxResult};
use mempool::persist::{self, MempoolFile};

use crate::context::{lock, NodeContext};
use crate::mempool_chain::ChainStateView;

/// Where and how the pool is saved.
#[derive(Debug, Clone)]
pub struct Persistence {
    /// `<datadir>/<chain>/mempool.dat`.
    pub path: PathBuf,
    /// `-persistmempool`.
    pub enabled: bool,
    /// `-persistmempoolv1`: write the unobfuscated version 1.
    pub v1: bool,
}

/// What to take from a file besides the transactions (`ImportMempoolOptions`).
#[derive(Debug, Clone, Copy)]
pub struct ImportOptions {
    /// Enter transactions at the current time, not their saved time.
    pub use_current_time: bool,
    /// Apply the saved fee deltas.
    pub apply_fee_delta_priority: bool,
    /// Restore the unbroadcast set.
    pub apply_unbroadcast_set: bool,
}

impl Default for ImportOptions {
    fn default() -> Self {
        ImportOptions {
            use_current_time: false,
            apply_fee_delta_priority: true,
            apply_unbroadcast_set: true,
        }
    }
}

/// Loads `path` into the pool (`LoadMempool`); false when it cannot be read.
pub fn load(node: &NodeContext, path: &Path, opts: ImportOptions) -> bool {
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(_) => {
            log_info!("Failed to open mempool file. Continuing anyway.");
            return false;
        }
    };
    let deserialize_failed = |e: persist::PersistError| {
        log_info!(
            "Failed to deserialize mempool data on file: {}. Continuing anyway.",
            e
        );
        crate::mempool_chain::notify(node);
        false
    };
    let mut file = match persist::FileReader::open(&bytes) {
        Ok(f) => f,
        Err(persist::PersistError::UnknownVersion(_)) => return false,
        Err(e) => return deserialize_failed(e),
    };
    let now = node.now();
    let total = file.count();
    log_info!("Loading {} mempool transactions from file...", total);
    let (mut count, mut failed, mut expired, mut already) = (0, 0, 0, 0);
    let mut next_tenth = 0;
    let mut tried = 0u64;
    // One at a time, as Core reads: what came before a damaged part is kept.
    loop {
        let (tx, time, delta) = match file.next_tx() {
            Ok(Some(t)) => t,
            Ok(None) => break,
            Err(e) => return deserialize_failed(e),
        };
        let done = (100.0 * tried as f64 / total as f64) as i64;
        if next_tenth < done / 10 {
            log_info!(
                "Progress loading mempool transactions from file: {}% (tried {}, {} remaining)",
                done,
                tried,
                total - tried
            );
            next_tenth = done / 10;
        }
        tried += 1;
        let time = if opts.use_current_time { now } else { time };
        let txid = tx.compute_txid();
        let cs = node.chainstate();
        let mut pool = lock(&node.mempool);
        if delta != 0 && opts.apply_fee_delta_priority {
            let line = pool.prioritise(txid, delta);
            log_info!("{}", line);
        }
        if time > now - pool.options().expiry_seconds {
            let view = ChainStateView::new(&cs, now);
            let tx = Arc::new(tx);
            let r = Acceptor::new(&mut pool, &view)
                .accept_single(&tx, &AcceptArgs::single(time, false, false));
            if matches!(r, TxResult::Valid { .. }) {
                count += 1;
            } else if pool.contains(&txid) {
                already += 1;
            } else {
                failed += 1;
            }
        } else {
            expired += 1;
        }
        if node.shutdown_requested() {
            return false;
        }
    }
    let persist::Trailer {
        deltas,
        unbroadcast: unbroadcast_set,
    } = match file.finish() {
        Ok(rest) => rest,
        Err(e) => return deserialize_failed(e),
    };
    let mut pool = lock(&node.mempool);
    if opts.apply_fee_delta_priority {
        for (txid, d) in &deltas {
            let line = pool.prioritise(*txid, *d);
            log_info!("{}", line);
        }
    }
    let mut unbroadcast = 0;
    if opts.apply_unbroadcast_set {
        unbroadcast = unbroadcast_set.len();
        for txid in &unbroadcast_set {
            pool.add_unbroadcast(*txid);
        }
    }
    drop(pool);
    crate::mempool_chain::notify(node);
    log_info!(
        "Imported mempool transactions from file: {} succeeded, {} failed, {} expired, {} already there, {} waiting for initial broadcast",
        count,
        failed,
        expired,
        already,
        unbroadcast
    );
    true
}

/// Writes the pool to `path` through `path.new` and a rename (`DumpMempool`).
pub fn dump(node: &NodeContext, path: &Path, v1: bool) -> bool {
    let start = Instant::now();
    let file = {
        let pool = lock(&node.mempool);
        let mut deltas: Vec<(bitcoin::Txid, i64)> = pool
            .prioritised()
            .into_iter()
            .filter(|(_, _, in_pool)| in_pool.is_none())
            .map(|(t, d, _)| (t, d))
            .collect();
        deltas.sort_by_key(|(t, _)| *t);
        MempoolFile {
            txs: pool
                .mining_order()
                .iter()
                .filter_map(|t| pool.entry(t))
                .map(|e| (e.tx.clone(), e.time, e.modified_fee - e.fee))
                .collect(),
            deltas,
            unbroadcast: pool.unbroadcast(),
        }
    };
    let mid = Instant::now();
    let key = if v1 {
        None
    } else {
        match common::random::random_bytes::<8>() {
            Ok(k) => Some(k),
            Err(e) => {
                log_info!("Failed to dump mempool: {}. Continuing anyway.", e);
                return false;
            }
        }
    };
    log_info!("Writing {} mempool transactions to file...", file.txs.len());
    log_info!(
        "Writing {} unbroadcast transactions to file.",
        file.unbroadcast.len()
    );
    let bytes = persist::write(&file, key);
    let tmp = PathBuf::from(format!("{}.new", path.display()));
    let result = (|| -> std::io::Result<()> {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(&bytes)?;
        f.sync_all()?;
        drop(f);
        std::fs::rename(&tmp, path)
    })();
    match result {
        Ok(()) => {
            let last = Instant::now();
            log_info!(
                "Dumped mempool: {:.3}s to copy, {:.3}s to dump, {} bytes dumped to file",
                (mid - start).as_secs_f64(),
                (last - mid).as_secs_f64(),
                bytes.len()
            );
            true
        }
        Err(e) => {
            log_info!("Failed to dump mempool: {}. Continuing anyway.", e);
            false
        }
    }
}
