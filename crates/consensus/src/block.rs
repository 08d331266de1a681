//! Script verification at block scale: every input of many transactions, across threads,
//! with a cache of transactions already verified under the same flags (Core's
//! `CCheckQueue` and script-execution cache). The result does not depend on scheduling:
//! when several inputs fail, the first in block order is reported.

use std::collections::{HashSet, VecDeque};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, RwLock};

use bitcoin::hashes::{sha256, Hash, HashEngine};
use bitcoin::{Transaction, TxOut};

use crate::script::{verify_script, ScriptError, TransactionSignatureChecker, VerifyFlags};
use crate::sighash::PrecomputedTransactionData;

/// A transaction to verify with the outputs its inputs spend, in input order.
pub struct TxToVerify<'a> {
    /// The transaction.
    pub tx: &'a Transaction,
    /// `spent[i]` is the output input `i` spends.
    pub spent: &'a [TxOut],
}

/// The first input, in block order, whose script failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InputError {
    /// Index of the transaction in the list given.
    pub tx: usize,
    /// Index of the input in the transaction.
    pub input: usize,
    /// Why its script failed.
    pub error: ScriptError,
}

/// Transactions whose scripts passed under some flags (keyed by wtxid, flags and a salt),
/// so that a block repeats no work the mempool already did.
pub struct ScriptCache {
    salt: [u8; 32],
    capacity: usize,
    entries: RwLock<HashSet<[u8; 32]>>,
    order: Mutex<VecDeque<[u8; 32]>>,
}

impl ScriptCache {
    /// A cache of at most `capacity` entries; `salt` keeps keys unpredictable to peers.
    pub fn new(capacity: usize, salt: [u8; 32]) -> Self {
        ScriptCache {
            salt,
            capacity,
            entries: RwLock::new(HashSet::new()),
            order: Mutex::new(VecDeque::new()),
        }
    }

    fn key(&self, tx: &Transaction, flags: VerifyFlags) -> [u8; 32] {
        let mut e = sha256::Hash::engine();
        e.input(&self.salt);
        e.input(tx.compute_wtxid().as_ref());
        e.input(&flags.0.to_le_bytes());
        sha256::Hash::from_engine(e).to_byte_array()
    }

    /// Whether `tx` is known to pass under `flags`.
    pub fn contains(&self, tx: &Transaction, flags: VerifyFlags) -> bool {
        let key = self.key(tx, flags);
        self.entries
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .contains(&key)
    }

    /// Records that `tx` passed under `flags`, evicting the oldest entry when full.
    pub fn insert(&self, tx: &Transaction, flags: VerifyFlags) {
        let key = self.key(tx, flags);
        let mut entries = self.entries.write().unwrap_or_else(|e| e.into_inner());
        if !entries.insert(key) {
            return;
        }
        let mut order = self.order.lock().unwrap_or_else(|e| e.into_inner());
        order.push_back(key);
        while order.len() > self.capacity {
            if let Some(old) = order.pop_front() {
                entries.remove(&old);
            }
        }
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.entries.read().unwrap_or_else(|e| e.into_inner()).len()
    }

    /// Whether the cache is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

fn verify_input(
    item: &TxToVerify<'_>,
    data: &PrecomputedTransactionData,
    input: usize,
    flags: VerifyFlags,
) -> Result<(), ScriptError> {
    verify_input_with(item, data, input, flags, false)
}

/// Verifies every input of one transaction on this thread, recording valid signatures in
/// the signature cache when `store_signatures` (the mempool's policy check, so its later
/// checks and the block's find them). The first failing input is reported.
pub fn verify_tx_scripts(
    item: &TxToVerify<'_>,
    flags: VerifyFlags,
    store_signatures: bool,
) -> Result<(), InputError> {
    let data = PrecomputedTransactionData::new(item.tx, item.spent.to_vec(), false);
    for input in 0..item.tx.input.len() {
        verify_input_with(item, &data, input, flags, store_signatures).map_err(|error| {
            InputError {
                tx: 0,
                input,
                error,
            }
        })?;
    }
    Ok(())
}

fn verify_input_with(
    item: &TxToVerify<'_>,
    data: &PrecomputedTransactionData,
    input: usize,
    flags: VerifyFlags,
    store: bool,
) -> Result<(), ScriptError> {
    let txin = &item.tx.input[input];
    let spent = item.spent.get(input).ok_or(ScriptError::UnknownError)?;
    let witness: Vec<Vec<u8>> = txin.witness.to_vec();
    let mut checker =
        TransactionSignatureChecker::new(item.tx, input, spent.value.to_sat() as i64, Some(data));
    if store {
        checker = checker.storing();
    }
    verify_script(
        txin.script_sig.as_bytes(),
        spent.script_pubkey.as_bytes(),
        &witness,
        flags,
        &checker,
    )
}

/// Verifies every input of `txs` under `flags` on `threads` threads (1 = this thread only).
/// Transactions in `cache` are skipped; those that pass are added to it.
pub fn verify_scripts(
    txs: &[TxToVerify<'_>],
    flags: VerifyFlags,
    threads: usize,
    cache: Option<&ScriptCache>,
) -> Result<(), InputError> {
    let todo: Vec<usize> = (0..txs.len())
        .filter(|&i| !cache.is_some_and(|c| c.contains(txs[i].tx, flags)))
        .collect();
    let jobs: Vec<(usize, usize)> = todo
        .iter()
        .flat_map(|&t| (0..txs[t].tx.input.len()).map(move |i| (t, i)))
        .collect();
    let data: Vec<Option<PrecomputedTransactionData>> = {
        let mut v: Vec<Option<PrecomputedTransactionData>> = (0..txs.len()).map(|_| None).collect();
        for &t in &todo {
            v[t] = Some(PrecomputedTransactionData::new(
                txs[t].tx,
                txs[t].spent.to_vec(),
                false,
            ));
        }
        v
    };
    let next = AtomicUsize::new(0);
    // Index into `jobs` of the first failure found so far; later jobs need not run.
    let first_failure = AtomicUsize::new(usize::MAX);
    let failures: Mutex<Vec<(usize, ScriptError)>> = Mutex::new(Vec::new());
    let work = || loop {
        let j = next.fetch_add(1, Ordering::Relaxed);
        if j >= jobs.len() || j > first_failure.load(Ordering::Relaxed) {
            return;
        }
        let (t, i) = jobs[j];
        let Some(d) = data[t].as_ref() else { continue };
        if let Err(e) = verify_input(&txs[t], d, i, flags) {
            first_failure.fetch_min(j, Ordering::Relaxed);
            failures
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .push((j, e));
        }
    };
    let threads = threads.clamp(1, 64);
    if threads == 1 || jobs.len() < 2 {
        work();
    } else {
        std::thread::scope(|s| {
            for _ in 1..threads {
                s.spawn(work);
            }
            work();
        });
    }
    let failures = failures.into_inner().unwrap_or_else(|e| e.into_inner());
    if let Some(&(j, error)) = failures.iter().min_by_key(|(j, _)| *j) {
        let (tx, input) = jobs[j];
        return Err(InputError { tx, input, error });
    }
    if let Some(c) = cache {
        for &t in &todo {
            c.insert(txs[t].tx, flags);
        }
    }
    Ok(())
}
