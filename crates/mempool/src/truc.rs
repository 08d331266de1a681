//! Topologically restricted until confirmation (TRUC, version 3) rules (Core's
//! `policy/truc_policy.cpp`).

use std::sync::Arc;

use bitcoin::{Transaction, Txid};

use crate::pool::Mempool;

/// The TRUC version.
pub const TRUC_VERSION: i32 = 3;
/// Largest TRUC transaction, virtual bytes.
pub const TRUC_MAX_VSIZE: i64 = 10_000;
/// Largest TRUC transaction with an unconfirmed parent.
pub const TRUC_CHILD_MAX_VSIZE: i64 = 1_000;

fn ids(tx: &Transaction) -> (Txid, String) {
    (tx.compute_txid(), tx.compute_wtxid().to_string())
}

/// The single-transaction checks (`SingleTRUCChecks`) against the pool parents
/// `parents`: `Err((message, sibling))` where `sibling` is a transaction whose eviction
/// would resolve the violation.
pub fn single_checks(
    pool: &Mempool,
    tx: &Transaction,
    parents: &[Txid],
    direct_conflicts: &[Txid],
    vsize: i64,
) -> Result<(), (String, Option<Txid>)> {
    let (txid, wtxid) = ids(tx);
    let v = tx.version.0;
    for p in parents {
        let Some(e) = pool.entry(p) else { continue };
        let pv = e.tx.version.0;
        if v != TRUC_VERSION && pv == TRUC_VERSION {
            return Err((
                format!(
                    "non-version=3 tx {txid} (wtxid={wtxid}) cannot spend from version=3 tx {} (wtxid={})",
                    e.txid, e.wtxid
                ),
                None,
            ));
        } else if v == TRUC_VERSION && pv != TRUC_VERSION {
            return Err((
                format!(
                    "version=3 tx {txid} (wtxid={wtxid}) cannot spend from non-version=3 tx {} (wtxid={})",
                    e.txid, e.wtxid
                ),
                None,
            ));
        }
    }
    if v != TRUC_VERSION {
        return Ok(());
    }
    if vsize > TRUC_MAX_VSIZE {
        return Err((
            format!("version=3 tx {txid} (wtxid={wtxid}) is too big: {vsize} > {TRUC_MAX_VSIZE} virtual bytes"),
            None,
        ));
    }
    if parents.len() + 1 > 2 {
        return Err((
            format!("tx {txid} (wtxid={wtxid}) would have too many ancestors"),
            None,
        ));
    }
    if let Some(parent) = parents.first() {
        if pool.ancestors(parent).len() + 1 > 2 {
            return Err((
                format!("tx {txid} (wtxid={wtxid}) would have too many ancestors"),
                None,
            ));
        }
        if vsize > TRUC_CHILD_MAX_VSIZE {
            return Err((
                format!(
                    "version=3 child tx {txid} (wtxid={wtxid}) is too big: {vsize} > {TRUC_CHILD_MAX_VSIZE} virtual bytes"
                ),
                None,
            ));
        }
        let descendants: Vec<Txid> = pool
            .descendants(parent)
            .into_iter()
            .filter(|d| d != parent)
            .collect();
        let child_replaced = descendants.iter().any(|d| direct_conflicts.contains(d));
        let count = descendants.len() + 1;
        if count + 1 > 2 && !child_replaced {
            let sibling =
                (count == 2 && pool.ancestors(&descendants[0]).len() == 2).then(|| descendants[0]);
            let e = pool.entry(parent);
            let pw = e.map(|e| e.wtxid.to_string()).unwrap_or_default();
            return Err((
                format!("tx {parent} (wtxid={pw}) would exceed descendant count limit"),
                sibling,
            ));
        }
    }
    Ok(())
}

/// The package checks (`PackageTRUCChecks`) for `tx` in `package` (parents first), with
/// its pool parents `parents`.
pub fn package_checks(
    pool: &Mempool,
    tx: &Arc<Transaction>,
    vsize: i64,
    package: &[Arc<Transaction>],
    parents: &[Txid],
) -> Result<(), String> {
    let (txid, wtxid) = ids(tx);
    let inputs: Vec<Txid> = tx.input.iter().map(|i| i.previous_output.txid).collect();
    let mut in_package: Vec<usize> = Vec::new();
    for (k, p) in package.iter().enumerate() {
        if Arc::ptr_eq(p, tx) {
            break;
        }
        if inputs.contains(&p.compute_txid()) {
            in_package.push(k);
        }
    }
    if tx.version.0 == TRUC_VERSION {
        if vsize > TRUC_MAX_VSIZE {
            return Err(format!(
                "version=3 tx {txid} (wtxid={wtxid}) is too big: {vsize} > {TRUC_MAX_VSIZE} virtual bytes"
            ));
        }
        let too_many = || format!("tx {txid} (wtxid={wtxid}) would have too many ancestors");
        if parents.len() + in_package.len() + 1 > 2 {
            return Err(too_many());
        }
        if let Some(p) = parents.first() {
            if pool.ancestors(p).len() + in_package.len() + 1 > 2 {
                return Err(too_many());
            }
        }
        if parents.len() + in_package.len() > 0 {
            if vsize > TRUC_CHILD_MAX_VSIZE {
                return Err(format!(
                    "version=3 child tx {txid} (wtxid={wtxid}) is too big: {vsize} > {TRUC_CHILD_MAX_VSIZE} virtual bytes"
                ));
            }
            let (ptxid, pwtxid, pversion, has_desc) =
                match parents.first().and_then(|p| pool.entry(p)) {
                    Some(e) => (
                        e.txid,
                        e.wtxid.to_string(),
                        e.tx.version.0,
                        pool.descendants(&e.txid).len() > 1,
                    ),
                    None => {
                        let Some(p) = in_package.first().map(|&k| &package[k]) else {
                            return Ok(());
                        };
                        (
                            p.compute_txid(),
                            p.compute_wtxid().to_string(),
                            p.version.0,
                            false,
                        )
                    }
                };
            if pversion != TRUC_VERSION {
                return Err(format!(
                    "version=3 tx {txid} (wtxid={wtxid}) cannot spend from non-version=3 tx {ptxid} (wtxid={pwtxid})"
                ));
            }
            for other in package {
                if Arc::ptr_eq(other, tx) {
                    continue;
                }
                for input in &other.input {
                    if input.previous_output.txid == ptxid {
                        return Err(format!(
                            "tx {ptxid} (wtxid={pwtxid}) would exceed descendant count limit"
                        ));
                    }
                    if input.previous_output.txid == txid {
                        return Err(format!(
                            "tx {} (wtxid={}) would have too many ancestors",
                            other.compute_txid(),
                            other.compute_wtxid()
                        ));
                    }
                }
            }
            if has_desc {
                return Err(format!(
                    "tx {ptxid} (wtxid={pwtxid}) would exceed descendant count limit"
                ));
            }
        }
    } else {
        for p in parents {
            if let Some(e) = pool.entry(p) {
                if e.tx.version.0 == TRUC_VERSION {
                    return Err(format!(
                        "non-version=3 tx {txid} (wtxid={wtxid}) cannot spend from version=3 tx {} (wtxid={})",
                        e.txid, e.wtxid
                    ));
                }
            }
        }
        for &k in &in_package {
            let p = &package[k];
            if p.version.0 == TRUC_VERSION {
                return Err(format!(
                    "non-version=3 tx {txid} (wtxid={wtxid}) cannot spend from version=3 tx {} (wtxid={})",
                    p.compute_txid(),
                    p.compute_wtxid()
                ));
            }
        }
    }
    Ok(())
}
