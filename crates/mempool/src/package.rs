//! Package rules (Core's `policy/packages.cpp` and `policy/ephemeral_policy.cpp`).

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use bitcoin::hashes::{sha256, Hash, HashEngine};
use bitcoin::{OutPoint, Transaction, Txid, Wtxid};

use crate::feerate::FeeRate;
use crate::policy::is_dust;
use crate::pool::Mempool;

/// Most transactions in a package.
pub const MAX_PACKAGE_COUNT: usize = 25;
/// Heaviest package, weight units.
pub const MAX_PACKAGE_WEIGHT: i64 = 404_000;

/// `IsWellFormedPackage`: `Err(reason)` for a malformed package.
pub fn check_well_formed(txs: &[Arc<Transaction>]) -> Result<(), &'static str> {
    if txs.len() > MAX_PACKAGE_COUNT {
        return Err("package-too-many-transactions");
    }
    let weight: i64 = txs.iter().map(|t| t.weight().to_wu() as i64).sum();
    if txs.len() > 1 && weight > MAX_PACKAGE_WEIGHT {
        return Err("package-too-large");
    }
    let mut later: HashSet<Txid> = txs.iter().map(|t| t.compute_txid()).collect();
    if later.len() != txs.len() {
        return Err("package-contains-duplicates");
    }
    for tx in txs {
        if tx
            .input
            .iter()
            .any(|i| later.contains(&i.previous_output.txid))
        {
            return Err("package-not-sorted");
        }
        later.remove(&tx.compute_txid());
    }
    let mut seen: HashSet<OutPoint> = HashSet::new();
    for tx in txs {
        if tx.input.is_empty() {
            return Err("conflict-in-package");
        }
        if tx.input.iter().any(|i| seen.contains(&i.previous_output)) {
            return Err("conflict-in-package");
        }
        seen.extend(tx.input.iter().map(|i| i.previous_output));
    }
    Ok(())
}

/// `IsChildWithParents`: the last transaction spends from every other one.
pub fn is_child_with_parents(txs: &[Arc<Transaction>]) -> bool {
    let Some((child, parents)) = txs.split_last() else {
        return false;
    };
    if parents.is_empty() {
        return false;
    }
    let inputs: HashSet<Txid> = child.input.iter().map(|i| i.previous_output.txid).collect();
    parents.iter().all(|p| inputs.contains(&p.compute_txid()))
}

/// `GetPackageHash`: SHA256 over the wtxids sorted as numbers.
pub fn package_hash(txs: &[Arc<Transaction>]) -> sha256::Hash {
    let mut w: Vec<Wtxid> = txs.iter().map(|t| t.compute_wtxid()).collect();
    w.sort_by(|a, b| {
        let (mut x, mut y) = (a.to_byte_array(), b.to_byte_array());
        x.reverse();
        y.reverse();
        x.cmp(&y)
    });
    let mut e = sha256::Hash::engine();
    for id in &w {
        e.input(&id.to_byte_array());
    }
    sha256::Hash::from_engine(e)
}

/// `PreCheckEphemeralTx`: a transaction with a dust output must pay no fee.
pub fn pre_check_ephemeral(
    tx: &Transaction,
    dust_rate: FeeRate,
    base_fee: i64,
    modified_fee: i64,
) -> bool {
    !((base_fee != 0 || modified_fee != 0)
        && !crate::policy::dust_outputs(tx, dust_rate).is_empty())
}

/// `CheckEphemeralSpends`: every transaction spends all dust of its (package or pool)
/// parents. `Err((txid, wtxid))` names the child that does not.
pub fn check_ephemeral_spends(
    txs: &[Arc<Transaction>],
    dust_rate: FeeRate,
    pool: &Mempool,
) -> Result<(), (Txid, Wtxid)> {
    let by_id: HashMap<Txid, &Arc<Transaction>> =
        txs.iter().map(|t| (t.compute_txid(), t)).collect();
    for tx in txs {
        let mut processed: HashSet<Txid> = HashSet::new();
        let mut dust: HashSet<OutPoint> = HashSet::new();
        for input in &tx.input {
            let p = input.previous_output.txid;
            if !processed.insert(p) {
                continue;
            }
            let parent = by_id.get(&p).map(|t| (*t).clone()).or_else(|| pool.get(&p));
            if let Some(parent) = parent {
                for (i, o) in parent.output.iter().enumerate() {
                    if is_dust(o, dust_rate) {
                        dust.insert(OutPoint {
                            txid: p,
                            vout: i as u32,
                        });
                    }
                }
            }
        }
        for input in &tx.input {
            dust.remove(&input.previous_output);
        }
        if !dust.is_empty() {
            return Err((tx.compute_txid(), tx.compute_wtxid()));
        }
    }
    Ok(())
}
