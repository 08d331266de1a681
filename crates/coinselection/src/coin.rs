//! The coins the wallet offers for selection.

use std::collections::{BTreeMap, BTreeSet};

use crate::feerate::FeeRate;
use crate::rng::{shuffle, SelectionRng};

/// A transaction output's identity: its transaction id and index.
///
/// `txid` holds the id's 32 bytes in internal (serialization) order, not the reversed hex
/// display order. With that, the derived ordering is Core's `COutPoint` ordering, which is
/// what orders a [`crate::SelectionResult`]'s inputs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct OutPoint {
    /// Transaction id, internal byte order.
    pub txid: [u8; 32],
    /// Output index within the transaction.
    pub vout: u32,
}

impl OutPoint {
    /// The outpoint of output `vout` of transaction `txid`.
    pub fn new(txid: [u8; 32], vout: u32) -> OutPoint {
        OutPoint { txid, vout }
    }
}

/// The wallet's output types, in Core's order (which orders per-type selection attempts).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum OutputType {
    /// P2PKH and P2SH.
    Legacy,
    /// P2WPKH or P2WSH nested in P2SH.
    P2shSegwit,
    /// Native segwit v0.
    Bech32,
    /// Taproot.
    Bech32m,
    /// Anything else.
    Unknown,
}

/// A UTXO offered for selection (Core's `COutput`, reduced to what selection reads).
///
/// The fee to spend it is fixed at construction, from a fee rate ([`Coin::new`]) or given
/// directly ([`Coin::with_fee`]); the effective value is the value minus that fee.
/// `long_term_fee` is filled in by [`crate::OutputGroup::insert`] from the group's long-term
/// rate. Ancestry counts come from the mempool and decide eligibility.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Coin {
    /// Which output this is.
    pub outpoint: OutPoint,
    /// Its value in satoshis.
    pub value: i64,
    /// Its script; coins with equal scripts are grouped when partial spends are avoided.
    pub script_pubkey: Vec<u8>,
    /// Confirmations: positive on chain, 0 in the mempool, negative when conflicted.
    pub depth: i32,
    /// Estimated size in virtual bytes of this output spent as a signed input; -1 if unknown.
    pub input_bytes: i32,
    /// Whether the transaction creating it was sent by this wallet.
    pub from_me: bool,
    /// Unconfirmed ancestors of the creating transaction (its own count included, as the
    /// mempool reports it); 0 when confirmed.
    pub ancestors: usize,
    /// Size of the mempool cluster holding the creating transaction; 0 when confirmed.
    pub cluster_count: usize,
    /// Fee to spend it at the long-term (consolidation) fee rate.
    pub long_term_fee: i64,
    /// Part of `fee` that pays for bumping unconfirmed ancestors to the target rate.
    pub ancestor_bump_fees: i64,
    fee: i64,
    effective_value: i64,
}

impl Coin {
    /// A coin whose spending fee is `feerate` applied to `input_bytes` (zero when the size
    /// is unknown). Depth, origin, script and ancestry start at zero/false/empty.
    pub fn new(outpoint: OutPoint, value: i64, input_bytes: i32, feerate: FeeRate) -> Coin {
        let fee = if input_bytes < 0 {
            0
        } else {
            feerate.get_fee(input_bytes)
        };
        Coin::with_fee(outpoint, value, input_bytes, fee)
    }

    /// A coin with an explicit spending fee. Core expects the fee to be zero when
    /// `input_bytes` is unknown and non-negative otherwise.
    pub fn with_fee(outpoint: OutPoint, value: i64, input_bytes: i32, fee: i64) -> Coin {
        Coin {
            outpoint,
            value,
            script_pubkey: Vec::new(),
            depth: 0,
            input_bytes,
            from_me: false,
            ancestors: 0,
            cluster_count: 0,
            long_term_fee: 0,
            ancestor_bump_fees: 0,
            fee,
            effective_value: value - fee,
        }
    }

    /// Sets the confirmation depth.
    pub fn with_depth(mut self, depth: i32) -> Coin {
        self.depth = depth;
        self
    }

    /// Sets whether the creating transaction came from this wallet.
    pub fn with_from_me(mut self, from_me: bool) -> Coin {
        self.from_me = from_me;
        self
    }

    /// Sets the script (the grouping key for avoiding partial spends).
    pub fn with_script(mut self, script_pubkey: Vec<u8>) -> Coin {
        self.script_pubkey = script_pubkey;
        self
    }

    /// Sets the mempool ancestry of the creating transaction.
    pub fn with_ancestry(mut self, ancestors: usize, cluster_count: usize) -> Coin {
        self.ancestors = ancestors;
        self.cluster_count = cluster_count;
        self
    }

    /// Adds the fee needed to bump unconfirmed ancestors to the target rate (Core's
    /// `ApplyBumpFee`); it replaces any earlier bump fee's record but adds to the fee.
    /// `bump_fee` must not be negative.
    pub fn apply_bump_fee(&mut self, bump_fee: i64) {
        debug_assert!(bump_fee >= 0);
        self.ancestor_bump_fees = bump_fee;
        self.fee += bump_fee;
        self.effective_value = self.value - self.fee;
    }

    /// The fee to spend this coin at the target rate, bump fee included.
    pub fn fee(&self) -> i64 {
        self.fee
    }

    /// Value minus [`Coin::fee`] (Core's `GetEffectiveValue`); may be negative.
    pub fn effective_value(&self) -> i64 {
        self.effective_value
    }
}

/// Coins available for selection, by output type, with running totals (Core's
/// `CoinsResult`).
#[derive(Debug, Clone, Default)]
pub struct CoinsResult {
    coins: BTreeMap<OutputType, Vec<Coin>>,
    total_amount: i64,
    total_effective_amount: Option<i64>,
}

impl CoinsResult {
    /// No coins.
    pub fn new() -> CoinsResult {
        CoinsResult::default()
    }

    /// Adds `coin` under `output_type`.
    pub fn add(&mut self, output_type: OutputType, coin: Coin) {
        self.total_amount += coin.value;
        self.total_effective_amount =
            Some(self.total_effective_amount.unwrap_or(0) + coin.effective_value());
        self.coins.entry(output_type).or_default().push(coin);
    }

    /// The coins by output type.
    pub fn by_type(&self) -> &BTreeMap<OutputType, Vec<Coin>> {
        &self.coins
    }

    /// Every coin, type by type in type order.
    pub fn all(&self) -> Vec<Coin> {
        self.coins.values().flatten().cloned().collect()
    }

    /// How many coins there are.
    pub fn size(&self) -> usize {
        self.coins.values().map(Vec::len).sum()
    }

    /// How many output types have an entry (an entry can be left empty by
    /// [`CoinsResult::erase`]).
    pub fn types_count(&self) -> usize {
        self.coins.len()
    }

    /// Whether no output type has an entry; like Core, a type emptied by
    /// [`CoinsResult::erase`] still counts as an entry.
    pub fn is_empty(&self) -> bool {
        self.coins.is_empty()
    }

    /// Removes the coins at `outpoints`, keeping the totals right.
    pub fn erase(&mut self, outpoints: &BTreeSet<OutPoint>) {
        for coins in self.coins.values_mut() {
            let mut removed_value = 0;
            let mut removed_effective = 0;
            coins.retain(|coin| {
                if outpoints.contains(&coin.outpoint) {
                    removed_value += coin.value;
                    removed_effective += coin.effective_value();
                    false
                } else {
                    true
                }
            });
            self.total_amount -= removed_value;
            if let Some(total) = self.total_effective_amount.as_mut() {
                *total -= removed_effective;
            }
        }
    }

    /// Shuffles the coins within each output type.
    pub fn shuffle(&mut self, rng: &mut dyn SelectionRng) {
        for coins in self.coins.values_mut() {
            shuffle(rng, coins);
        }
    }

    /// Sum of the coins' values.
    pub fn total_amount(&self) -> i64 {
        self.total_amount
    }

    /// Sum of the coins' effective values; `None` until a coin was added.
    pub fn effective_total_amount(&self) -> Option<i64> {
        self.total_effective_amount
    }

    /// The total that counts for a selection: plain values when the fee is subtracted from
    /// the outputs, effective values otherwise.
    pub fn appropriate_total(&self, subtract_fee_outputs: bool) -> Option<i64> {
        if subtract_fee_outputs {
            Some(self.total_amount)
        } else {
            self.total_effective_amount
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::{next_outpoint, COIN};

    #[test]
    fn effective_value_follows_fee_rate_or_fee() {
        let feerate = FeeRate::from_sat_per_kvb(1000);
        let op = next_outpoint();
        // Known size, rate given.
        assert_eq!(Coin::new(op, 10_000, 148, feerate).effective_value(), 9852);
        // Unknown size: nothing to pay, the effective value is the value.
        assert_eq!(Coin::new(op, 10_000, -1, feerate).effective_value(), 10_000);
        // A rate high enough drives it negative.
        let expensive = Coin::new(op, 10_000, 148, FeeRate::from_sat_per_kvb(100_000));
        assert_eq!(expensive.effective_value(), -4800);
        // Fee given directly.
        assert_eq!(Coin::with_fee(op, 10_000, 148, 148).effective_value(), 9852);
        assert_eq!(Coin::with_fee(op, 10_000, -1, 0).effective_value(), 10_000);
    }

    #[test]
    fn bump_fee_lowers_effective_value() {
        let mut coin = Coin::with_fee(next_outpoint(), 10_000, 68, 100);
        coin.apply_bump_fee(30);
        assert_eq!(coin.fee(), 130);
        assert_eq!(coin.ancestor_bump_fees, 30);
        assert_eq!(coin.effective_value(), 9870);
    }

    #[test]
    fn coins_result_keeps_totals_through_erase() {
        let mut coins = CoinsResult::new();
        assert_eq!(coins.appropriate_total(false), None);
        assert_eq!(coins.appropriate_total(true), Some(0));
        for _ in 0..10 {
            coins.add(
                OutputType::Bech32,
                Coin::with_fee(next_outpoint(), COIN, 68, 68),
            );
        }
        assert_eq!(coins.total_amount(), 10 * COIN);
        assert_eq!(coins.effective_total_amount(), Some(10 * COIN - 680));

        let all = coins.all();
        let to_remove: BTreeSet<OutPoint> = all.iter().take(2).map(|c| c.outpoint).collect();
        coins.erase(&to_remove);
        assert_eq!(coins.size(), 8);
        assert!(coins.all().iter().all(|c| !to_remove.contains(&c.outpoint)));
        assert_eq!(coins.total_amount(), 8 * COIN);
        assert_eq!(coins.appropriate_total(false), Some(8 * COIN - 8 * 68));
        assert_eq!(coins.appropriate_total(true), Some(8 * COIN));
    }

    #[test]
    fn all_lists_types_in_core_order() {
        let mut coins = CoinsResult::new();
        coins.add(
            OutputType::Bech32m,
            Coin::with_fee(next_outpoint(), 3, -1, 0),
        );
        coins.add(
            OutputType::Legacy,
            Coin::with_fee(next_outpoint(), 1, -1, 0),
        );
        coins.add(
            OutputType::Bech32,
            Coin::with_fee(next_outpoint(), 2, -1, 0),
        );
        let values: Vec<i64> = coins.all().iter().map(|c| c.value).collect();
        assert_eq!(values, vec![1, 2, 3]);
        assert_eq!(coins.types_count(), 3);
    }
}
