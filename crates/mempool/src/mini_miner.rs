//! Core's `MiniMiner`: mines the clusters of some pool outputs by ancestor-set feerate down
//! to a target rate, to tell a wallet how much fee spending an unconfirmed output must add
//! so that its unmined ancestors reach that rate ("bump fee").

use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use bitcoin::{OutPoint, Transaction, Txid};

use crate::feerate::{FeeFrac, FeeRate};
use crate::pool::Mempool;

/// Most transactions Core gathers before giving up (`GatherClusters`' limit).
const MAX_CLUSTER_TXS: usize = 500;

struct Entry {
    tx: Arc<Transaction>,
    vsize: i64,
    fee: i64,
    anc_vsize: i64,
    anc_fee: i64,
}

/// The ancestor and own feerates of an entry, the lower one by Core's
/// `ByRatioNegSize` (higher ratio first; at equal ratio, smaller size first).
fn score(e: &Entry) -> FeeFrac {
    let own = FeeFrac::new(e.fee, e.vsize);
    let anc = FeeFrac::new(e.anc_fee, e.anc_vsize);
    if by_ratio_neg_size(&anc, &own) == Ordering::Less {
        anc
    } else {
        own
    }
}

fn by_ratio_neg_size(a: &FeeFrac, b: &FeeFrac) -> Ordering {
    a.cmp_rate(b).then(b.size.cmp(&a.size))
}

/// A bump-fee calculation over the clusters of some outpoints.
pub struct MiniMiner {
    entries: BTreeMap<Txid, Entry>,
    descendants: BTreeMap<Txid, Vec<Txid>>,
    requested: BTreeMap<Txid, Vec<OutPoint>>,
    bump: BTreeMap<OutPoint, i64>,
    in_block: BTreeSet<Txid>,
    ready: bool,
}

impl MiniMiner {
    /// Prepares the calculation for `outpoints` over `pool` (Core's constructor): outputs
    /// not created by pool transactions need nothing; pool transactions spending one of the
    /// outpoints, and their descendants, count as replaced.
    pub fn new(pool: &Mempool, outpoints: &[OutPoint]) -> MiniMiner {
        let mut m = MiniMiner {
            entries: BTreeMap::new(),
            descendants: BTreeMap::new(),
            requested: BTreeMap::new(),
            bump: BTreeMap::new(),
            in_block: BTreeSet::new(),
            ready: true,
        };
        let mut replaced = BTreeSet::new();
        for o in outpoints {
            if !pool.contains(&o.txid) {
                m.bump.insert(*o, 0);
                continue;
            }
            m.requested.entry(o.txid).or_default().push(*o);
            if let Some(spender) = pool.spender(o) {
                replaced.extend(pool.descendants(&spender));
            }
        }
        if m.requested.is_empty() {
            return m;
        }
        let mut cluster = BTreeSet::new();
        for t in m.requested.keys() {
            cluster.extend(pool.cluster_of(t));
        }
        if cluster.len() > MAX_CLUSTER_TXS {
            m.ready = false;
            return m;
        }
        for t in &cluster {
            if replaced.contains(t) {
                if let Some(outs) = m.requested.remove(t) {
                    // Its outputs vanish with the replacement: nothing to bump.
                    for o in outs {
                        m.bump.insert(o, 0);
                    }
                }
                continue;
            }
            let Some(e) = pool.entry(t) else { continue };
            let (_, anc_vsize, anc_fee) = pool.ancestor_data(t);
            m.entries.insert(
                *t,
                Entry {
                    tx: e.tx.clone(),
                    vsize: e.vsize,
                    fee: e.modified_fee,
                    anc_vsize,
                    anc_fee,
                },
            );
        }
        for t in m.entries.keys() {
            let desc: Vec<Txid> = pool
                .descendants(t)
                .into_iter()
                .filter(|d| m.entries.contains_key(d))
                .collect();
            m.descendants.insert(*t, desc);
        }
        m
    }

    /// `txid` and its ancestors still among the entries.
    fn remaining_ancestors(&self, txid: &Txid) -> BTreeSet<Txid> {
        let mut out = BTreeSet::new();
        let mut todo = vec![*txid];
        while let Some(t) = todo.pop() {
            if !out.insert(t) {
                continue;
            }
            if let Some(e) = self.entries.get(&t) {
                for input in &e.tx.input {
                    let p = input.previous_output.txid;
                    if self.entries.contains_key(&p) && !out.contains(&p) {
                        todo.push(p);
                    }
                }
            }
        }
        out
    }

    /// Mines ancestor packages best-first while they pay at least `target`.
    fn build_template(&mut self, target: FeeRate) {
        while !self.entries.is_empty() {
            let best = self
                .entries
                .iter()
                .max_by(|a, b| by_ratio_neg_size(&score(a.1), &score(b.1)).then(b.0.cmp(a.0)))
                .map(|(t, e)| (*t, e.anc_vsize, e.anc_fee));
            let Some((best, size, fee)) = best else { break };
            if fee < target.fee(size) {
                break;
            }
            let package = self.remaining_ancestors(&best);
            for t in &package {
                let (vsize, fee) = match self.entries.get(t) {
                    Some(e) => (e.vsize, e.fee),
                    None => continue,
                };
                for d in self.descendants.get(t).cloned().unwrap_or_default() {
                    if let Some(de) = self.entries.get_mut(&d) {
                        de.anc_vsize -= vsize;
                        de.anc_fee -= fee;
                    }
                }
            }
            for t in package {
                self.entries.remove(&t);
                self.descendants.remove(&t);
                self.in_block.insert(t);
            }
        }
        self.ready = false;
    }

    /// The bump fee of each outpoint, in the order given to [`MiniMiner::new`]
    /// (`CalculateBumpFees`); `None` when the clusters were too large.
    pub fn bump_fees(mut self, outpoints: &[OutPoint], target: FeeRate) -> Option<Vec<i64>> {
        if !self.ready {
            return None;
        }
        self.build_template(target);
        let mined: Vec<Txid> = self.in_block.iter().copied().collect();
        for t in mined {
            if let Some(outs) = self.requested.remove(&t) {
                for o in outs {
                    self.bump.insert(o, 0);
                }
            }
        }
        for (t, outs) in &self.requested {
            if let Some(e) = self.entries.get(t) {
                let with_ancestors = target.fee(e.anc_vsize) - e.anc_fee;
                let alone = target.fee(e.vsize) - e.fee;
                let bump = with_ancestors.max(alone).max(0);
                for o in outs {
                    self.bump.insert(*o, bump);
                }
            }
        }
        Some(
            outpoints
                .iter()
                .map(|o| self.bump.get(o).copied().unwrap_or(0))
                .collect(),
        )
    }

    /// The one fee that brings every outpoint's unmined ancestry to `target`, counting
    /// shared ancestors once (`CalculateTotalBumpFees`).
    pub fn total_bump_fee(mut self, target: FeeRate) -> Option<i64> {
        if !self.ready {
            return None;
        }
        self.build_template(target);
        let mut ancestors = BTreeSet::new();
        for t in self.requested.keys() {
            if self.in_block.contains(t) || !self.entries.contains_key(t) {
                continue;
            }
            ancestors.extend(self.remaining_ancestors(t));
        }
        let (size, fee) = ancestors
            .iter()
            .filter_map(|t| self.entries.get(t))
            .fold((0i64, 0i64), |(s, f), e| (s + e.vsize, f + e.fee));
        Some(target.fee(size) - fee)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use bitcoin::absolute::LockTime;
    use bitcoin::hashes::Hash;
    use bitcoin::transaction::Version;
    use bitcoin::{Amount, ScriptBuf, Sequence, TxIn, TxOut, Witness};

    use super::*;
    use crate::pool::{AddedInfo, NewEntry};
    use crate::MempoolOptions;

    fn tx(inputs: &[OutPoint], outputs: usize, tag: u8) -> Arc<Transaction> {
        Arc::new(Transaction {
            version: Version::TWO,
            lock_time: LockTime::from_consensus(u32::from(tag)),
            input: inputs
                .iter()
                .map(|o| TxIn {
                    previous_output: *o,
                    script_sig: ScriptBuf::new(),
                    sequence: Sequence::MAX,
                    witness: Witness::new(),
                })
                .collect(),
            output: (0..outputs)
                .map(|_| TxOut {
                    value: Amount::from_sat(1_000),
                    script_pubkey: ScriptBuf::from_bytes(vec![0x51]),
                })
                .collect(),
        })
    }

    fn add(pool: &mut Mempool, t: &Arc<Transaction>, fee: i64) -> i64 {
        pool.add(
            NewEntry {
                tx: t.clone(),
                txid: t.compute_txid(),
                wtxid: t.compute_wtxid(),
                fee,
                sigop_cost: 0,
                time: 100,
                height: 1,
                spends_coinbase: false,
                entry_sequence: pool.sequence(),
            },
            AddedInfo::default(),
        );
        pool.entry(&t.compute_txid()).unwrap().vsize
    }

    fn out(t: &Arc<Transaction>, vout: u32) -> OutPoint {
        OutPoint::new(t.compute_txid(), vout)
    }

    #[test]
    fn bump_fees_cover_only_ancestors_below_the_target() {
        let mut pool = Mempool::new(MempoolOptions::default());
        let ext = OutPoint::new(Txid::from_byte_array([1; 32]), 0);
        // A low-fee parent with a high-fee child that pays for it, and a lone low-fee tx.
        let parent = tx(&[ext], 2, 1);
        let child = tx(&[out(&parent, 0)], 1, 2);
        let lone = tx(&[OutPoint::new(Txid::from_byte_array([2; 32]), 0)], 1, 3);
        let sp = add(&mut pool, &parent, 0);
        let sc = add(&mut pool, &child, 100_000);
        let sl = add(&mut pool, &lone, 10);
        let rate = FeeRate::per_kvb(10_000);
        let confirmed = OutPoint::new(Txid::from_byte_array([9; 32]), 0);
        let asked = [out(&parent, 1), out(&child, 0), out(&lone, 0), confirmed];
        let bumps = MiniMiner::new(&pool, &asked)
            .bump_fees(&asked, rate)
            .unwrap();
        // The child's package clears the target: the parent is mined with it.
        assert_eq!(bumps[0], 0);
        assert_eq!(bumps[1], 0);
        assert_eq!(bumps[2], rate.fee(sl) - 10);
        assert_eq!(bumps[3], 0, "confirmed outputs need nothing");
        assert!(sp > 0 && sc > 0);

        // Without the child, the parent alone must be brought to the rate.
        let mut pool = Mempool::new(MempoolOptions::default());
        add(&mut pool, &parent, 0);
        let asked = [out(&parent, 0), out(&parent, 1)];
        let bumps = MiniMiner::new(&pool, &asked)
            .bump_fees(&asked, rate)
            .unwrap();
        assert_eq!(bumps, vec![rate.fee(sp), rate.fee(sp)]);
        // Counted once when combined.
        let total = MiniMiner::new(&pool, &asked).total_bump_fee(rate).unwrap();
        assert_eq!(total, rate.fee(sp));
    }

    #[test]
    fn outputs_of_transactions_being_replaced_need_no_bump() {
        let mut pool = Mempool::new(MempoolOptions::default());
        let parent = tx(&[OutPoint::new(Txid::from_byte_array([1; 32]), 0)], 1, 1);
        let spender = tx(&[out(&parent, 0)], 1, 2);
        add(&mut pool, &parent, 0);
        add(&mut pool, &spender, 0);
        // Asking for the parent's output means replacing its spender.
        let asked = [out(&parent, 0), out(&spender, 0)];
        let rate = FeeRate::per_kvb(10_000);
        let bumps = MiniMiner::new(&pool, &asked)
            .bump_fees(&asked, rate)
            .unwrap();
        assert!(bumps[0] > 0, "the parent itself still needs bumping");
        assert_eq!(bumps[1], 0, "the spender's output goes away with it");
    }
}
