//! Parameters of one selection and the filters deciding which coins may take part.

use crate::feerate::FeeRate;
use crate::result::generate_change_target;
use crate::rng::SelectionRng;

/// Parameters for one coin selection (Core's `CoinSelectionParams`, without the random
/// generator, which the selection functions take separately).
///
/// Sizes are virtual bytes. The wallet fills the sizes and rates, then derives the change
/// costs with [`CoinSelectionParams::set_change_parameters`].
#[derive(Debug, Clone)]
pub struct CoinSelectionParams {
    /// Size of the change output.
    pub change_output_size: i32,
    /// Size of an input spending the change output.
    pub change_spend_size: i32,
    /// Change that knapsack and CoinGrinder aim to leave on top of the target.
    pub min_change_target: i64,
    /// Smallest change worth an output; less goes to the fee.
    pub min_viable_change: i64,
    /// Fee for adding the change output now.
    pub change_fee: i64,
    /// Fee for the change output now plus spending it later.
    pub cost_of_change: i64,
    /// Fee rate of the transaction being built.
    pub effective_feerate: FeeRate,
    /// Rate expected for spending coins later (the consolidation rate).
    pub long_term_feerate: FeeRate,
    /// Rate below which change is not worth keeping.
    pub discard_feerate: FeeRate,
    /// Transaction size without inputs and change: header plus recipient outputs.
    pub tx_noinputs_size: i32,
    /// Whether recipients pay the fee; selection then counts plain values.
    pub subtract_fee_outputs: bool,
    /// Whether coins sharing a script are spent all together or not at all.
    pub avoid_partial_spends: bool,
    /// Whether unconfirmed coins from others (and replacements) may be used.
    pub include_unsafe_inputs: bool,
    /// Version of the transaction being built; version 3 (TRUC) caps the weight of
    /// selections using unconfirmed coins.
    pub version: u32,
    /// Cap on the transaction's weight; [`crate::MAX_STANDARD_TX_WEIGHT`] when unset.
    pub max_tx_weight: Option<i64>,
}

impl Default for CoinSelectionParams {
    fn default() -> CoinSelectionParams {
        CoinSelectionParams {
            change_output_size: 0,
            change_spend_size: 0,
            min_change_target: 0,
            min_viable_change: 0,
            change_fee: 0,
            cost_of_change: 0,
            effective_feerate: FeeRate::default(),
            long_term_feerate: FeeRate::default(),
            discard_feerate: FeeRate::default(),
            tx_noinputs_size: 0,
            subtract_fee_outputs: false,
            avoid_partial_spends: false,
            include_unsafe_inputs: false,
            version: crate::CURRENT_TX_VERSION,
            max_tx_weight: None,
        }
    }
}

impl CoinSelectionParams {
    /// Derives the change costs the way Core's transaction creation does: `change_fee`,
    /// `cost_of_change`, a random `min_change_target` and `min_viable_change`.
    ///
    /// `recipients_sum` and `recipient_count` give the average payment that scales the
    /// random change target; `change_dust_threshold` is the dust threshold of the change
    /// output at the discard rate. Sizes and rates must be set before.
    pub fn set_change_parameters(
        &mut self,
        recipients_sum: i64,
        recipient_count: usize,
        change_dust_threshold: i64,
        rng: &mut dyn SelectionRng,
    ) {
        self.change_fee = self.effective_feerate.get_fee(self.change_output_size);
        let change_spend_fee = self.discard_feerate.get_fee(self.change_spend_size);
        self.cost_of_change = change_spend_fee + self.change_fee;
        let count = i64::try_from(recipient_count.max(1)).unwrap_or(i64::MAX);
        self.min_change_target =
            generate_change_target(recipients_sum / count, self.change_fee, rng);
        // Change must be above dust and worth more than it costs to spend.
        self.min_viable_change = (change_spend_fee + 1).max(change_dust_threshold);
    }

    /// The amount the inputs must cover: the payments plus the fee for everything but the
    /// inputs and change, which recipients pay instead when the fee is subtracted.
    pub fn selection_target(&self, recipients_sum: i64) -> i64 {
        let size = if self.subtract_fee_outputs {
            0
        } else {
            self.tx_noinputs_size
        };
        recipients_sum + self.effective_feerate.get_fee(size)
    }
}

/// Which output groups may be spent in one selection attempt (Core's
/// `CoinEligibilityFilter`). Attempts start strict and loosen when they fail.
///
/// The field order is the derived ordering, which is Core's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CoinEligibilityFilter {
    /// Confirmations needed on coins the wallet sent itself.
    pub conf_mine: i32,
    /// Confirmations needed on coins received from others.
    pub conf_theirs: i32,
    /// Most unconfirmed ancestors a group may have, summed over its coins.
    pub max_ancestors: u64,
    /// Largest cluster any coin of the group may sit in.
    pub max_cluster_count: u64,
    /// Whether a partial group may be used when full groups for its script exist.
    pub include_partial_groups: bool,
}

impl CoinEligibilityFilter {
    /// A filter whose cluster limit equals its ancestor limit, without partial groups.
    pub fn new(conf_mine: i32, conf_theirs: i32, max_ancestors: u64) -> CoinEligibilityFilter {
        CoinEligibilityFilter::with_cluster_limit(
            conf_mine,
            conf_theirs,
            max_ancestors,
            max_ancestors,
        )
    }

    /// A filter with separate ancestor and cluster limits, without partial groups.
    pub fn with_cluster_limit(
        conf_mine: i32,
        conf_theirs: i32,
        max_ancestors: u64,
        max_cluster_count: u64,
    ) -> CoinEligibilityFilter {
        CoinEligibilityFilter {
            conf_mine,
            conf_theirs,
            max_ancestors,
            max_cluster_count,
            include_partial_groups: false,
        }
    }

    /// The same filter, accepting partial groups.
    pub fn including_partial_groups(mut self) -> CoinEligibilityFilter {
        self.include_partial_groups = true;
        self
    }
}

/// An eligibility filter and whether its attempt may mix output types.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SelectionFilter {
    /// Which groups qualify.
    pub filter: CoinEligibilityFilter,
    /// Whether, failing every single output type, all types together may be tried.
    pub allow_mixed_output_types: bool,
}

impl SelectionFilter {
    /// `filter`, allowing mixed output types.
    pub fn new(filter: CoinEligibilityFilter) -> SelectionFilter {
        SelectionFilter {
            filter,
            allow_mixed_output_types: true,
        }
    }
}

/// The wallet and node settings that shape the eligibility ladder.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WalletSelectionOptions {
    /// Whether unconfirmed change may be spent (`-spendzeroconfchange`).
    pub spend_zero_conf_change: bool,
    /// Whether to refuse building chains beyond the mempool limits
    /// (`-walletrejectlongchains`).
    pub reject_long_chains: bool,
    /// The mempool's ancestor count limit.
    pub limit_ancestor_count: u32,
    /// The mempool's descendant count limit (used as the cluster limit).
    pub limit_descendant_count: u32,
}

impl Default for WalletSelectionOptions {
    fn default() -> WalletSelectionOptions {
        WalletSelectionOptions {
            spend_zero_conf_change: crate::DEFAULT_SPEND_ZEROCONF_CHANGE,
            reject_long_chains: crate::DEFAULT_WALLET_REJECT_LONG_CHAINS,
            limit_ancestor_count: crate::DEFAULT_ANCESTOR_LIMIT,
            limit_descendant_count: crate::DEFAULT_DESCENDANT_LIMIT,
        }
    }
}

impl WalletSelectionOptions {
    /// The ancestor limit used for filtering, at least 1.
    pub fn max_ancestors(&self) -> u64 {
        u64::from(self.limit_ancestor_count.max(1))
    }

    /// The cluster limit used for filtering, at least 1.
    pub fn max_cluster_count(&self) -> u64 {
        u64::from(self.limit_descendant_count.max(1))
    }

    /// The eligibility filters to try, strictest first (the ladder of Core's
    /// `AutomaticCoinSelection`).
    pub fn ordered_filters(&self, include_unsafe_inputs: bool) -> Vec<SelectionFilter> {
        let max_ancestors = self.max_ancestors();
        let max_cluster = self.max_cluster_count();
        let mut filters = vec![
            // Confirmed coins only: six confirmations from others, one on our own change,
            // and one output type per transaction.
            SelectionFilter {
                filter: CoinEligibilityFilter::new(1, 6, 0),
                allow_mixed_output_types: false,
            },
            SelectionFilter::new(CoinEligibilityFilter::new(1, 1, 0)),
        ];
        if self.spend_zero_conf_change {
            // Unconfirmed change, with ever longer mempool chains behind it.
            filters.push(SelectionFilter::new(CoinEligibilityFilter::new(0, 1, 2)));
            filters.push(SelectionFilter::new(
                CoinEligibilityFilter::with_cluster_limit(
                    0,
                    1,
                    4.min(max_ancestors / 3),
                    4.min(max_cluster / 3),
                ),
            ));
            filters.push(SelectionFilter::new(
                CoinEligibilityFilter::with_cluster_limit(0, 1, max_ancestors / 2, max_cluster / 2),
            ));
            filters.push(SelectionFilter::new(
                CoinEligibilityFilter::with_cluster_limit(0, 1, max_ancestors - 1, max_cluster - 1)
                    .including_partial_groups(),
            ));
            if include_unsafe_inputs {
                filters.push(SelectionFilter::new(
                    CoinEligibilityFilter::with_cluster_limit(
                        0,
                        0,
                        max_ancestors - 1,
                        max_cluster - 1,
                    )
                    .including_partial_groups(),
                ));
            }
            if !self.reject_long_chains {
                // Group ancestor counts overestimate, so give the mempool the last word.
                filters.push(SelectionFilter::new(
                    CoinEligibilityFilter::with_cluster_limit(0, 1, u64::MAX, u64::MAX)
                        .including_partial_groups(),
                ));
            }
        }
        filters
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::SeededRng;

    fn filters_of(options: WalletSelectionOptions, unsafe_inputs: bool) -> Vec<SelectionFilter> {
        options.ordered_filters(unsafe_inputs)
    }

    #[test]
    fn ladder_with_default_limits() {
        let f = filters_of(WalletSelectionOptions::default(), false);
        let expected = vec![
            (CoinEligibilityFilter::new(1, 6, 0), false),
            (CoinEligibilityFilter::new(1, 1, 0), true),
            (CoinEligibilityFilter::new(0, 1, 2), true),
            (CoinEligibilityFilter::new(0, 1, 4), true),
            (CoinEligibilityFilter::new(0, 1, 12), true),
            (
                CoinEligibilityFilter::new(0, 1, 24).including_partial_groups(),
                true,
            ),
        ];
        let got: Vec<(CoinEligibilityFilter, bool)> = f
            .iter()
            .map(|s| (s.filter, s.allow_mixed_output_types))
            .collect();
        assert_eq!(got, expected);
    }

    #[test]
    fn ladder_grows_with_unsafe_and_long_chains() {
        let options = WalletSelectionOptions {
            reject_long_chains: false,
            limit_ancestor_count: 9,
            limit_descendant_count: 30,
            ..WalletSelectionOptions::default()
        };
        let f = filters_of(options, true);
        assert_eq!(f.len(), 8);
        assert_eq!(
            f[3].filter,
            CoinEligibilityFilter::with_cluster_limit(0, 1, 3, 4)
        );
        assert_eq!(
            f[4].filter,
            CoinEligibilityFilter::with_cluster_limit(0, 1, 4, 15)
        );
        assert_eq!(
            f[6].filter,
            CoinEligibilityFilter::with_cluster_limit(0, 0, 8, 29).including_partial_groups()
        );
        assert_eq!(
            f[7].filter,
            CoinEligibilityFilter::with_cluster_limit(0, 1, u64::MAX, u64::MAX)
                .including_partial_groups()
        );
    }

    #[test]
    fn no_zero_conf_change_means_confirmed_only() {
        let options = WalletSelectionOptions {
            spend_zero_conf_change: false,
            reject_long_chains: false,
            ..WalletSelectionOptions::default()
        };
        assert_eq!(filters_of(options, true).len(), 2);
    }

    #[test]
    fn zero_limits_are_raised_to_one() {
        let options = WalletSelectionOptions {
            limit_ancestor_count: 0,
            limit_descendant_count: 0,
            ..WalletSelectionOptions::default()
        };
        let f = filters_of(options, false);
        assert_eq!(
            f[5].filter,
            CoinEligibilityFilter::new(0, 1, 0).including_partial_groups()
        );
    }

    #[test]
    fn filters_order_like_core() {
        let a = CoinEligibilityFilter::new(0, 1, 2);
        let b = CoinEligibilityFilter::new(0, 1, 2).including_partial_groups();
        let c = CoinEligibilityFilter::new(1, 0, 0);
        assert!(a < b && b < c);
    }

    #[test]
    fn change_parameters_follow_transaction_creation() {
        let mut params = CoinSelectionParams {
            change_output_size: 31,
            change_spend_size: 68,
            effective_feerate: FeeRate::from_sat_per_kvb(5000),
            discard_feerate: FeeRate::from_sat_per_kvb(3000),
            tx_noinputs_size: 42,
            ..CoinSelectionParams::default()
        };
        let mut rng = SeededRng::new(1);
        params.set_change_parameters(20_000, 1, 294, &mut rng);
        assert_eq!(params.change_fee, 155);
        assert_eq!(params.cost_of_change, 204 + 155);
        // A small payment gets the fixed lower change target.
        assert_eq!(params.min_change_target, 155 + crate::CHANGE_LOWER);
        assert_eq!(params.min_viable_change, 294);
        params.set_change_parameters(20_000, 1, 100, &mut rng);
        assert_eq!(params.min_viable_change, 205);

        assert_eq!(params.selection_target(10_000), 10_000 + 210);
        params.subtract_fee_outputs = true;
        assert_eq!(params.selection_target(10_000), 10_000);
    }
}
