//! The selection driver: run the algorithms, keep the least wasteful result, and loosen
//! eligibility until something works (the selection half of Core's `spend.cpp`).

use crate::bnb::select_coins_bnb;
use crate::coin::{CoinsResult, OutPoint};
use crate::error::SelectionError;
use crate::feerate::FeeRate;
use crate::grinder::coin_grinder;
use crate::group::{group_outputs, Groups, OutputGroupTypeMap};
use crate::knapsack::knapsack_solver;
use crate::params::{CoinSelectionParams, WalletSelectionOptions};
use crate::result::{best_by_waste, SelectionAlgorithm, SelectionResult};
use crate::rng::SelectionRng;
use crate::srd::select_coins_srd;
use crate::{
    MAX_STANDARD_TX_WEIGHT, OUTPUT_GROUP_MAX_ENTRIES, TRUC_CHILD_MAX_WEIGHT, TRUC_VERSION,
    WITNESS_SCALE_FACTOR,
};

/// The node's answer to "what does it cost to bump the unconfirmed ancestors of these
/// outpoints to this rate, counting shared ancestors once?" (Core's
/// `Chain::calculateCombinedBumpFee`). `None` when the mempool cluster is too large to tell.
///
/// Closures `Fn(&[OutPoint], FeeRate) -> Option<i64>` implement it.
pub trait BumpFeeCalculator {
    /// Combined bump fee for `outpoints` at `target_feerate`.
    fn combined_bump_fee(&self, outpoints: &[OutPoint], target_feerate: FeeRate) -> Option<i64>;
}

impl<F: Fn(&[OutPoint], FeeRate) -> Option<i64>> BumpFeeCalculator for F {
    fn combined_bump_fee(&self, outpoints: &[OutPoint], target_feerate: FeeRate) -> Option<i64> {
        self(outpoints, target_feerate)
    }
}

/// The answer without a mempool: nothing to bump (as Core's node answers without one).
#[derive(Debug, Clone, Copy, Default)]
pub struct NoMempool;

impl BumpFeeCalculator for NoMempool {
    fn combined_bump_fee(&self, _outpoints: &[OutPoint], _target_feerate: FeeRate) -> Option<i64> {
        Some(0)
    }
}

/// What a selection draws on besides coins and parameters: randomness, and the node for
/// bump fees.
pub struct SelectionContext<'a> {
    /// Randomness; the wallet passes an OS-seeded generator.
    pub rng: &'a mut dyn SelectionRng,
    /// The node's combined bump fee calculation.
    pub bump_fees: &'a dyn BumpFeeCalculator,
}

impl<'a> SelectionContext<'a> {
    /// A context from its parts.
    pub fn new(
        rng: &'a mut dyn SelectionRng,
        bump_fees: &'a dyn BumpFeeCalculator,
    ) -> SelectionContext<'a> {
        SelectionContext { rng, bump_fees }
    }
}

/// Records a failed algorithm's error if it says more than "insufficient funds"; an internal
/// error ends the selection, as Core's exception would.
fn keep_error(errors: &mut Vec<SelectionError>, err: SelectionError) -> Result<(), SelectionError> {
    if err == SelectionError::SharedInputs {
        return Err(err);
    }
    if err.has_message() {
        errors.push(err);
    }
    Ok(())
}

/// Runs every algorithm on `groups` and returns the result with the least waste, more inputs
/// winning ties (Core's `ChooseSelectionResult`).
///
/// BnB runs unless recipients pay the fee (its changeless sets suit fee subtraction badly);
/// knapsack runs on all groups, the others on positive groups only; CoinGrinder runs when the
/// fee rate is above three times the long-term rate. Every algorithm but BnB must leave
/// room for a change output within the weight limit. Results with unconfirmed inputs get a
/// discount for ancestors they share, from `ctx.bump_fees`. When every algorithm fails, the
/// first failure with a message is returned, else plain insufficient funds.
pub fn choose_selection_result(
    target: i64,
    groups: &mut Groups,
    params: &CoinSelectionParams,
    ctx: &mut SelectionContext<'_>,
) -> Result<SelectionResult, SelectionError> {
    let mut results = Vec::new();
    let mut errors = Vec::new();

    let max_transaction_weight = params.max_tx_weight.unwrap_or(MAX_STANDARD_TX_WEIGHT);
    let tx_weight_no_input = i64::from(params.tx_noinputs_size) * WITNESS_SCALE_FACTOR;
    let mut max_selection_weight = max_transaction_weight - tx_weight_no_input;
    if max_selection_weight <= 0 {
        return Err(SelectionError::MaxWeightBelowNoInputsWeight);
    }

    if !params.subtract_fee_outputs {
        match select_coins_bnb(
            &mut groups.positive_group,
            target,
            params.cost_of_change,
            max_selection_weight,
        ) {
            Ok(result) => results.push(result),
            Err(err) => keep_error(&mut errors, err)?,
        }
    }

    max_selection_weight -= i64::from(params.change_output_size) * WITNESS_SCALE_FACTOR;
    if max_selection_weight < 0 && results.is_empty() {
        return Err(SelectionError::MaxWeightNoRoomForChange);
    }

    // Knapsack has always been allowed to spend dust, so it gets the negative groups too.
    match knapsack_solver(
        &mut groups.mixed_group,
        target,
        params.min_change_target,
        ctx.rng,
        max_selection_weight,
    ) {
        Ok(result) => results.push(result),
        Err(err) => keep_error(&mut errors, err)?,
    }

    // At high rates the lightest input set matters most.
    if params.effective_feerate > params.long_term_feerate.scaled(3) {
        match coin_grinder(
            &mut groups.positive_group,
            target,
            params.min_change_target,
            max_selection_weight,
        ) {
            Ok(mut result) => {
                result.recalculate_waste(
                    params.min_viable_change,
                    params.cost_of_change,
                    params.change_fee,
                );
                results.push(result);
            }
            Err(err) => keep_error(&mut errors, err)?,
        }
    }

    match select_coins_srd(
        &groups.positive_group,
        target,
        params.change_fee,
        ctx.rng,
        max_selection_weight,
    ) {
        Ok(result) => results.push(result),
        Err(err) => keep_error(&mut errors, err)?,
    }

    if results.is_empty() {
        return Err(errors
            .first()
            .copied()
            .unwrap_or(SelectionError::InsufficientFunds));
    }

    for result in &mut results {
        // Unconfirmed inputs each pay to bump their ancestors; ancestors they share are paid
        // more than once, which the node's combined figure corrects.
        let mut outpoints = Vec::new();
        let mut summed_bump_fees = 0i64;
        for coin in result.inputs() {
            if coin.depth > 0 {
                continue;
            }
            outpoints.push(coin.outpoint);
            summed_bump_fees += coin.ancestor_bump_fees;
        }
        let combined = ctx
            .bump_fees
            .combined_bump_fee(&outpoints, params.effective_feerate)
            .ok_or(SelectionError::BumpFeeCalculationFailed)?;
        let overestimate = summed_bump_fees - combined;
        // The mempool may have changed since the coins' bump fees were taken; never charge
        // more than they said.
        if overestimate > 0 {
            result.set_bump_fee_discount(overestimate);
        }
        result.recalculate_waste(
            params.min_viable_change,
            params.cost_of_change,
            params.change_fee,
        );
    }

    best_by_waste(results).ok_or(SelectionError::InsufficientFunds)
}

/// Tries each output type on its own and returns the least wasteful result, so inputs of
/// different types (which link addresses) are not mixed; only if no single type works, and
/// `allow_mixed_output_types`, tries all groups together (Core's `AttemptSelection`).
///
/// A failure with a message for any type ends the attempt with that failure.
pub fn attempt_selection(
    target: i64,
    groups: &mut OutputGroupTypeMap,
    params: &CoinSelectionParams,
    allow_mixed_output_types: bool,
    ctx: &mut SelectionContext<'_>,
) -> Result<SelectionResult, SelectionError> {
    let mut results = Vec::new();
    for type_groups in groups.groups_by_type.values_mut() {
        match choose_selection_result(target, type_groups, params, ctx) {
            Ok(result) => results.push(result),
            Err(err) if err.has_message() => return Err(err),
            Err(_) => {}
        }
    }
    if let Some(best) = best_by_waste(results) {
        return Ok(best);
    }
    if allow_mixed_output_types && groups.types_count() > 1 {
        return choose_selection_result(target, &mut groups.all_groups, params, ctx);
    }
    Err(SelectionError::InsufficientFunds)
}

/// Selects coins from `available` for `value_to_select`, trying the eligibility filters of
/// [`WalletSelectionOptions::ordered_filters`] from strictest to loosest (Core's
/// `AutomaticCoinSelection`).
///
/// Fails early when the coins no filter admits leave too little, naming long mempool chains
/// when those coins would have been enough. For TRUC (version 3) transactions, attempts that
/// may use unconfirmed coins are capped at the TRUC child weight, but only when a weight cap
/// is set at all, as in Core. When every filter fails, the first failure with a message is
/// returned, else insufficient funds. `available` may be shuffled in place.
pub fn automatic_coin_selection(
    available: &mut CoinsResult,
    value_to_select: i64,
    params: &CoinSelectionParams,
    options: &WalletSelectionOptions,
    ctx: &mut SelectionContext<'_>,
) -> Result<SelectionResult, SelectionError> {
    let max_ancestors = options.max_ancestors();
    let max_cluster_count = options.max_cluster_count();

    // Over a hundred coins to one script would otherwise be grouped in a predictable order.
    if params.avoid_partial_spends && available.size() > OUTPUT_GROUP_MAX_ENTRIES {
        available.shuffle(ctx.rng);
    }

    let filters = options.ordered_filters(params.include_unsafe_inputs);
    let (mut filtered, discarded) = group_outputs(available, params, &filters);

    let mut total_discarded = 0i64;
    let mut total_unconf_long_chain = 0i64;
    for group in &discarded {
        total_discarded += group.selection_amount();
        if group.ancestors as u64 >= max_ancestors
            || group.max_cluster_count as u64 >= max_cluster_count
        {
            total_unconf_long_chain += group.selection_amount();
        }
    }
    let total_amount = available.total_amount() - total_discarded;
    if total_amount < value_to_select {
        if total_amount + total_unconf_long_chain > value_to_select {
            return Err(SelectionError::TooLongMempoolChain);
        }
        return Err(SelectionError::InsufficientFunds);
    }

    let mut detailed_errors = Vec::new();
    let mut updated_params = params.clone();
    for sel in &filters {
        let Some(groups) = filtered.get_mut(&sel.filter) else {
            continue;
        };
        if updated_params.version == TRUC_VERSION
            && (sel.filter.conf_mine == 0 || sel.filter.conf_theirs == 0)
            && updated_params.max_tx_weight > Some(TRUC_CHILD_MAX_WEIGHT)
        {
            updated_params.max_tx_weight = Some(TRUC_CHILD_MAX_WEIGHT);
        }
        match attempt_selection(
            value_to_select,
            groups,
            &updated_params,
            sel.allow_mixed_output_types,
            ctx,
        ) {
            Ok(result) => return Ok(result),
            Err(err) => keep_error(&mut detailed_errors, err)?,
        }
    }
    Err(detailed_errors
        .first()
        .copied()
        .unwrap_or(SelectionError::InsufficientFunds))
}

/// Selects the inputs for a transaction needing `target` (payments plus non-input fees):
/// every preselected coin in `preset`, plus coins from `available` if `allow_other_inputs`
/// (Core's `SelectCoins`).
///
/// Preselected coins count first (effective values, or plain values when recipients pay the
/// fee); automatic selection covers the rest and the two are merged, failing if together
/// they exceed the weight limit. When the preselected coins suffice, the result is theirs
/// alone, with algorithm [`SelectionAlgorithm::Manual`]. `available` must not contain the
/// preselected coins.
pub fn select_coins(
    available: &mut CoinsResult,
    preset: &CoinsResult,
    target: i64,
    allow_other_inputs: bool,
    params: &CoinSelectionParams,
    options: &WalletSelectionOptions,
    ctx: &mut SelectionContext<'_>,
) -> Result<SelectionResult, SelectionError> {
    let sffo = params.subtract_fee_outputs;
    let selection_target = target - preset.appropriate_total(sffo).unwrap_or(0);

    if !allow_other_inputs && selection_target > 0 {
        return Err(SelectionError::PresetInputsInsufficient);
    }

    let preset_coins = preset.all();
    if selection_target <= 0 {
        let mut result = SelectionResult::new(target, SelectionAlgorithm::Manual);
        result.add_inputs(&preset_coins, sffo)?;
        result.recalculate_waste(
            params.min_viable_change,
            params.cost_of_change,
            params.change_fee,
        );
        return Ok(result);
    }

    if selection_target > available.appropriate_total(sffo).unwrap_or(0) {
        return Err(SelectionError::InsufficientFunds);
    }

    let mut result = automatic_coin_selection(available, selection_target, params, options, ctx)?;

    if !preset.is_empty() {
        let preset_total = preset.appropriate_total(sffo).unwrap_or(0);
        let mut preselected = SelectionResult::new(preset_total, SelectionAlgorithm::Manual);
        preselected.add_inputs(&preset_coins, sffo)?;
        result.merge(&preselected)?;
        result.recalculate_waste(
            params.min_viable_change,
            params.cost_of_change,
            params.change_fee,
        );

        let max_inputs_weight = params.max_tx_weight.unwrap_or(MAX_STANDARD_TX_WEIGHT)
            - i64::from(params.tx_noinputs_size) * WITNESS_SCALE_FACTOR;
        if result.weight() > max_inputs_weight {
            return Err(SelectionError::PresetAndAutomaticExceedMaxWeight);
        }
    }
    Ok(result)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::coin::{Coin, OutputType};
    use crate::group::OutputGroup;
    use crate::rng::SeededRng;
    use crate::testutil::{
        cs_params, input_values, make_group, next_outpoint, wallet_coin, CENT, COIN,
        P2WPKH_INPUT_VSIZE,
    };
    use std::cell::RefCell;

    fn rate(sat_per_kvb: i64) -> FeeRate {
        FeeRate::from_sat_per_kvb(sat_per_kvb)
    }

    /// Parameters of Core's BnB driver tests: change costs priced at 3 s/vB.
    fn bnb_params() -> CoinSelectionParams {
        let mut p = CoinSelectionParams {
            change_output_size: 31,
            change_spend_size: 68,
            effective_feerate: rate(3000),
            long_term_feerate: rate(1000),
            discard_feerate: rate(1000),
            ..CoinSelectionParams::default()
        };
        p.change_fee = p.effective_feerate.get_fee(p.change_output_size);
        p.cost_of_change = p.effective_feerate.get_fee(p.change_spend_size) + p.change_fee;
        p.min_viable_change = p.effective_feerate.get_fee(p.change_spend_size);
        p
    }

    fn run_select(
        available: &mut CoinsResult,
        preset: &CoinsResult,
        target: i64,
        allow_other_inputs: bool,
        params: &CoinSelectionParams,
        seed: u64,
    ) -> Result<SelectionResult, SelectionError> {
        let mut rng = SeededRng::new(seed);
        let mut ctx = SelectionContext::new(&mut rng, &NoMempool);
        let options = WalletSelectionOptions::default();
        select_coins(
            available,
            preset,
            target,
            allow_other_inputs,
            params,
            &options,
            &mut ctx,
        )
    }

    fn pool_of(coins: impl IntoIterator<Item = Coin>) -> CoinsResult {
        let mut pool = CoinsResult::new();
        for coin in coins {
            pool.add(OutputType::Bech32, coin);
        }
        pool
    }

    #[test]
    fn preset_counts_first_then_bnb_completes() {
        let mut p = bnb_params();
        p.effective_feerate = rate(0);
        let spendable = |v| wallet_coin(v, rate(0), 144, false, true, 0);
        let preset = pool_of([spendable(5 * CENT)]);
        let mut available = pool_of([spendable(3 * CENT), spendable(2 * CENT)]);
        let result = run_select(&mut available, &preset, 10 * CENT, true, &p, 1).expect("funded");
        assert_eq!(result.algo(), SelectionAlgorithm::Bnb);
        assert_eq!(result.selections_evaluated(), 3);
        assert_eq!(input_values(&result), vec![2 * CENT, 3 * CENT, 5 * CENT]);
        assert_eq!(result.target(), 10 * CENT);
    }

    #[test]
    fn preselected_coin_is_used_even_if_disadvantageous() {
        let mut p = bnb_params();
        p.effective_feerate = rate(5000);
        p.long_term_feerate = rate(3000);
        let input_fee = p.effective_feerate.get_fee(68);
        let spendable = |v| wallet_coin(v, rate(5000), 144, false, true, 0);
        let preset = pool_of([spendable(9 * CENT + input_fee)]);
        let mut available = pool_of([
            spendable(10 * CENT + input_fee),
            spendable(CENT + input_fee),
        ]);
        let result = run_select(&mut available, &preset, 10 * CENT, true, &p, 2).expect("funded");
        assert_eq!(
            input_values(&result),
            vec![CENT + input_fee, 9 * CENT + input_fee]
        );
        assert_eq!(result.selections_evaluated(), 2);
    }

    #[test]
    fn no_bnb_when_fees_are_subtracted() {
        let mut p = bnb_params();
        p.subtract_fee_outputs = true;
        p.cost_of_change = p.discard_feerate.get_fee(p.change_spend_size) + p.change_fee;
        p.min_change_target = p.cost_of_change + 1;
        p.min_viable_change = 0;
        let coc = p.cost_of_change;
        let mine = |v| wallet_coin(v, rate(3000), 6, true, true, 0);
        for seed in 0..10 {
            let mut available = pool_of([mine(COIN + coc), mine(COIN / 2 + coc), mine(COIN / 2)]);
            let result = run_select(&mut available, &CoinsResult::new(), COIN, true, &p, seed)
                .expect("funded");
            assert!(matches!(
                result.algo(),
                SelectionAlgorithm::Srd | SelectionAlgorithm::Knapsack
            ));
            assert_eq!(result.input_count(), 2);
        }
    }

    /// Coins with exponentially distributed values, the mean a tenth of a cent.
    fn exponential_value(rng: &mut SeededRng) -> i64 {
        let u = (rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64;
        (-(1.0 - u).ln() / 100.0 * 10_000_000.0) as i64
    }

    #[test]
    fn ideal_conditions_always_fund() {
        let mut values = SeededRng::new(31);
        for run in 0..5 {
            let mut available = CoinsResult::new();
            let mut balance = 0;
            for _ in 0..1000 {
                let v = exponential_value(&mut values);
                available.add(
                    OutputType::Bech32,
                    wallet_coin(v, rate(0), 144, false, false, 0),
                );
                balance += v;
            }
            let target = values.rand_range((balance - 1000) as u64) as i64 + 1000;
            let p = CoinSelectionParams {
                change_output_size: 34,
                change_spend_size: 148,
                min_change_target: CENT,
                effective_feerate: rate(0),
                long_term_feerate: rate(0),
                discard_feerate: rate(0),
                cost_of_change: 1,
                min_viable_change: 1,
                ..CoinSelectionParams::default()
            };
            let result = run_select(&mut available, &CoinsResult::new(), target, true, &p, run)
                .expect("funded");
            assert!(result.selected_value() >= target);
        }
    }

    fn weight_params() -> CoinSelectionParams {
        CoinSelectionParams {
            change_output_size: 34,
            change_spend_size: 68,
            min_change_target: CENT,
            effective_feerate: rate(0),
            long_term_feerate: rate(0),
            discard_feerate: rate(0),
            tx_noinputs_size: 10 + 34,
            ..CoinSelectionParams::default()
        }
    }

    fn has_coin(result: &SelectionResult, amount: i64) -> bool {
        result.inputs().any(|c| c.effective_value() == amount)
    }

    #[test]
    fn max_selection_weight_is_respected() {
        let p = weight_params();
        let target = 49 * COIN + COIN / 2;
        let max_weight = MAX_STANDARD_TX_WEIGHT
            - WITNESS_SCALE_FACTOR * i64::from(p.tx_noinputs_size + p.change_output_size);
        let coin = |v| wallet_coin(v, rate(0), 144, false, true, 0);
        let check_size = |result: &SelectionResult| {
            let signed_size = 10 + 34 + 68 * result.input_count() as i64;
            assert!(signed_size * WITNESS_SCALE_FACTOR <= MAX_STANDARD_TX_WEIGHT);
            assert!(result.selected_value() >= target);
            assert!(result.weight() <= max_weight);
        };

        // Many small coins would be too heavy: the single large one is taken.
        let mut available = pool_of((0..1515).map(|_| coin(COIN * 33 / 1000)));
        available.add(OutputType::Bech32, coin(50 * COIN));
        let result =
            run_select(&mut available, &CoinsResult::new(), target, true, &p, 41).expect("funded");
        check_size(&result);
        assert!(has_coin(&result, 50 * COIN));

        // A mix of two sizes fits.
        let mut available = pool_of(
            (0..400)
                .map(|_| coin(COIN * 625 / 10_000))
                .chain((0..2000).map(|_| coin(COIN * 25 / 1000))),
        );
        let result =
            run_select(&mut available, &CoinsResult::new(), target, true, &p, 42).expect("funded");
        check_size(&result);
        assert!(has_coin(&result, COIN * 625 / 10_000));
        assert!(has_coin(&result, COIN * 25 / 1000));

        // 1500 inputs of 68 vB each are over the limit: no selection.
        let mut available = pool_of((0..1515).map(|_| coin(COIN * 33 / 1000)));
        let err = run_select(&mut available, &CoinsResult::new(), target, true, &p, 43)
            .expect_err("too heavy");
        assert_eq!(err, SelectionError::MaxWeightExceeded);
    }

    #[test]
    fn preset_effective_value_must_cover_target_alone() {
        let p = CoinSelectionParams {
            change_output_size: 34,
            change_spend_size: 148,
            min_change_target: 1000,
            effective_feerate: rate(3000),
            long_term_feerate: rate(1000),
            discard_feerate: rate(1000),
            ..CoinSelectionParams::default()
        };
        // Input weight 148 is 37 vB: fee 111, effective value 99,889 < 99,900.
        let preset = pool_of([Coin::new(next_outpoint(), 100_000, 37, rate(3000)).with_depth(6)]);
        let err =
            run_select(&mut CoinsResult::new(), &preset, 99_900, false, &p, 5).expect_err("short");
        assert_eq!(err, SelectionError::PresetInputsInsufficient);
        // Enough on their own: a manual result with its waste.
        let result = run_select(&mut CoinsResult::new(), &preset, 99_000, false, &p, 5)
            .expect("preset suffices");
        assert_eq!(result.algo(), SelectionAlgorithm::Manual);
        assert_eq!(result.input_count(), 1);
        assert_eq!(result.weight(), 148);
        // Preselected coins never went through a group, so their long-term fee is zero: the
        // waste is the whole fee (the change, 889, exists, at a cost of change of zero).
        assert_eq!(result.change(p.min_viable_change, p.change_fee), 889);
        assert_eq!(result.waste(), Some(111));
    }

    #[test]
    fn preset_plus_automatic_over_weight() {
        let p = CoinSelectionParams {
            max_tx_weight: Some(2000),
            effective_feerate: rate(0),
            long_term_feerate: rate(0),
            discard_feerate: rate(0),
            ..CoinSelectionParams::default()
        };
        let preset = pool_of([wallet_coin(COIN, rate(0), 6, false, true, 450)]);
        let mut available = pool_of([wallet_coin(COIN, rate(0), 6, false, true, 0)]);
        let err = run_select(&mut available, &preset, COIN + COIN / 2, true, &p, 6)
            .expect_err("too heavy together");
        assert_eq!(err, SelectionError::PresetAndAutomaticExceedMaxWeight);
        let preset = pool_of([wallet_coin(COIN, rate(0), 6, false, true, 400)]);
        let mut available = pool_of([wallet_coin(COIN, rate(0), 6, false, true, 0)]);
        let result =
            run_select(&mut available, &preset, COIN + COIN / 2, true, &p, 6).expect("fits");
        assert_eq!(result.weight(), 1600 + 272);
        assert_eq!(result.target(), COIN + COIN / 2);
    }

    #[test]
    fn not_enough_available() {
        let p = weight_params();
        let mut available = pool_of([wallet_coin(COIN, rate(0), 6, false, true, 0)]);
        let err = run_select(&mut available, &CoinsResult::new(), COIN + 1, true, &p, 7)
            .expect_err("short");
        assert_eq!(err, SelectionError::InsufficientFunds);
    }

    #[test]
    fn long_mempool_chains() {
        let p = weight_params();
        let coins = || {
            pool_of([
                wallet_coin(COIN, rate(0), 6, false, true, 0),
                wallet_coin(2 * COIN, rate(0), 0, true, true, 0).with_ancestry(25, 1),
            ])
        };
        let err = run_select(&mut coins(), &CoinsResult::new(), 2 * COIN, true, &p, 8)
            .expect_err("chain too long");
        assert_eq!(err, SelectionError::TooLongMempoolChain);

        let options = WalletSelectionOptions {
            reject_long_chains: false,
            ..WalletSelectionOptions::default()
        };
        let mut rng = SeededRng::new(8);
        let mut ctx = SelectionContext::new(&mut rng, &NoMempool);
        let result = select_coins(
            &mut coins(),
            &CoinsResult::new(),
            2 * COIN,
            true,
            &p,
            &options,
            &mut ctx,
        )
        .expect("allowed when long chains are");
        assert!(result.inputs().any(|c| c.depth == 0));
    }

    fn choose(
        groups: &mut Groups,
        target: i64,
        p: &CoinSelectionParams,
        bump: &dyn BumpFeeCalculator,
    ) -> Result<SelectionResult, SelectionError> {
        let mut rng = SeededRng::new(9);
        let mut ctx = SelectionContext::new(&mut rng, bump);
        choose_selection_result(target, groups, p, &mut ctx)
    }

    fn groups_of(list: Vec<OutputGroup>) -> Groups {
        Groups {
            positive_group: list
                .iter()
                .filter(|g| g.selection_amount() > 0)
                .cloned()
                .collect(),
            mixed_group: list,
        }
    }

    #[test]
    fn weight_limit_errors() {
        let free = |v| {
            let mut g = OutputGroup::default();
            g.insert(Coin::with_fee(next_outpoint(), v, -1, 0).with_depth(6));
            g
        };
        let mut p = weight_params();
        p.tx_noinputs_size = 25;
        p.change_output_size = 31;
        p.max_tx_weight = Some(100);
        let mut groups = groups_of(vec![free(COIN)]);
        assert_eq!(
            choose(&mut groups, CENT, &p, &NoMempool).err(),
            Some(SelectionError::MaxWeightBelowNoInputsWeight)
        );
        p.max_tx_weight = Some(200);
        assert_eq!(
            choose(&mut groups, CENT, &p, &NoMempool).err(),
            Some(SelectionError::MaxWeightNoRoomForChange)
        );
        // A changeless BnB result needs no room for change.
        let result = choose(&mut groups, COIN, &p, &NoMempool).expect("exact match");
        assert_eq!(result.algo(), SelectionAlgorithm::Bnb);
    }

    #[test]
    fn least_waste_wins() {
        // Below the long-term rate, spending more inputs now is cheaper: BnB's {3, 2} beats
        // knapsack's exact {5} and any SRD draw (which also pays for change).
        let p = cs_params(5000);
        for seed in 0..10 {
            let list = vec![
                make_group(3 * CENT, true, &p, P2WPKH_INPUT_VSIZE),
                make_group(2 * CENT, true, &p, P2WPKH_INPUT_VSIZE),
                make_group(5 * CENT, true, &p, P2WPKH_INPUT_VSIZE),
            ];
            let mut groups = groups_of(list);
            let mut rng = SeededRng::new(seed);
            let mut ctx = SelectionContext::new(&mut rng, &NoMempool);
            let result =
                choose_selection_result(5 * CENT, &mut groups, &p, &mut ctx).expect("funded");
            assert_eq!(result.algo(), SelectionAlgorithm::Bnb);
            assert_eq!(result.waste(), Some(2 * (340 - 680)));
            assert_eq!(result.input_count(), 2);
        }
    }

    #[test]
    fn coin_grinder_runs_above_three_times_long_term_rate() {
        // One heavy coin or two light ones. Knapsack prefers the single larger coin and SRD
        // may draw it; only CoinGrinder reliably finds the light pair, which wastes less at
        // high rates.
        let pool = |p: &CoinSelectionParams| {
            groups_of(vec![
                make_group(10 * CENT, true, p, 500),
                make_group(CENT * 55 / 10, true, p, 68),
                make_group(CENT * 55 / 10, true, p, 68),
            ])
        };
        let p = cs_params(31_000);
        assert!(p.effective_feerate > p.long_term_feerate.scaled(3));
        for seed in 0..10 {
            let mut rng = SeededRng::new(seed);
            let mut ctx = SelectionContext::new(&mut rng, &NoMempool);
            let result =
                choose_selection_result(9 * CENT, &mut pool(&p), &p, &mut ctx).expect("funded");
            assert_eq!(result.algo(), SelectionAlgorithm::Cg);
            assert_eq!(result.weight(), 2 * 68 * 4);
        }

        // At exactly three times the long-term rate CoinGrinder stays out, and some draws
        // end with the heavy coin.
        let p = cs_params(30_000);
        let mut heavy_seen = false;
        for seed in 0..10 {
            let mut rng = SeededRng::new(seed);
            let mut ctx = SelectionContext::new(&mut rng, &NoMempool);
            let result =
                choose_selection_result(9 * CENT, &mut pool(&p), &p, &mut ctx).expect("funded");
            assert_ne!(result.algo(), SelectionAlgorithm::Cg);
            heavy_seen |= result.weight() == 500 * 4;
        }
        assert!(heavy_seen);
    }

    #[test]
    fn shared_ancestry_discount() {
        let p = cs_params(1000);
        let mut coin = Coin::new(next_outpoint(), COIN, 68, p.effective_feerate);
        coin.apply_bump_fee(40);
        let mut group = OutputGroup::new(&p);
        group.insert(coin.clone());
        let asked = RefCell::new(Vec::new());
        let oracle = |outpoints: &[OutPoint], feerate: FeeRate| {
            asked.borrow_mut().push((outpoints.to_vec(), feerate));
            Some(10)
        };
        let mut groups = groups_of(vec![group.clone()]);
        let result = choose(&mut groups, COIN / 2, &p, &oracle).expect("funded");
        // fee 68 + 40 against a long-term fee of 680, discount 30, plus the cost of change.
        assert_eq!(result.waste(), Some(108 - 680 - 30 + p.cost_of_change));
        assert_eq!(result.total_bump_fees(), 10);
        assert!(asked
            .borrow()
            .iter()
            .all(|(ops, rate)| ops == &vec![coin.outpoint] && *rate == p.effective_feerate));

        let fails = |_: &[OutPoint], _: FeeRate| None;
        let mut groups = groups_of(vec![group]);
        assert_eq!(
            choose(&mut groups, COIN / 2, &p, &fails).err(),
            Some(SelectionError::BumpFeeCalculationFailed)
        );
    }

    #[test]
    fn output_types_are_not_mixed_unless_needed() {
        let p = weight_params();
        let mut map = OutputGroupTypeMap::default();
        for (output_type, value) in [(OutputType::Bech32, COIN), (OutputType::Bech32m, COIN)] {
            let mut g = OutputGroup::new(&p);
            g.insert(wallet_coin(value, rate(0), 6, false, true, 0));
            map.push(&g, output_type, true, true);
        }
        let mut rng = SeededRng::new(10);
        let mut ctx = SelectionContext::new(&mut rng, &NoMempool);
        let target = COIN + COIN / 2;
        assert_eq!(
            attempt_selection(target, &mut map.clone(), &p, false, &mut ctx).err(),
            Some(SelectionError::InsufficientFunds)
        );
        let mixed = attempt_selection(target, &mut map.clone(), &p, true, &mut ctx)
            .expect("both types together");
        assert_eq!(mixed.input_count(), 2);
        let single = attempt_selection(COIN / 2, &mut map, &p, true, &mut ctx).expect("one type");
        assert_eq!(single.input_count(), 1);
    }

    #[test]
    fn truc_caps_weight_for_unconfirmed_coins() {
        let coins = || {
            pool_of(
                (0..20).map(|_| wallet_coin(COIN, rate(0), 0, true, true, 0).with_ancestry(1, 1)),
            )
        };
        let target = 14 * COIN + COIN / 2;
        let mut p = weight_params();
        p.tx_noinputs_size = 0;
        p.max_tx_weight = Some(MAX_STANDARD_TX_WEIGHT);
        p.version = TRUC_VERSION;
        let err = run_select(&mut coins(), &CoinsResult::new(), target, true, &p, 11)
            .expect_err("15 inputs exceed the TRUC child limit");
        assert_eq!(err, SelectionError::MaxWeightExceeded);

        p.version = 2;
        let result = run_select(&mut coins(), &CoinsResult::new(), target, true, &p, 11)
            .expect("no cap for version 2");
        assert!(result.input_count() >= 15);

        // Core only lowers a cap that is set.
        p.version = TRUC_VERSION;
        p.max_tx_weight = None;
        assert!(run_select(&mut coins(), &CoinsResult::new(), target, true, &p, 11).is_ok());
    }

    #[test]
    fn avoid_partial_spends_spends_whole_groups() {
        let mut p = weight_params();
        p.avoid_partial_spends = true;
        let mut available = CoinsResult::new();
        for i in 0..3 {
            let coin = wallet_coin(COIN, rate(0), 6, false, true, 0).with_script(vec![0x51]);
            available.add(OutputType::Bech32, coin);
            let other =
                wallet_coin(COIN + i, rate(0), 6, false, true, 0).with_script(vec![0x52 + i as u8]);
            available.add(OutputType::Bech32, other);
        }
        for seed in 0..5 {
            let result = run_select(
                &mut available.clone(),
                &CoinsResult::new(),
                COIN / 2,
                true,
                &p,
                seed,
            )
            .expect("funded");
            let reused = result
                .inputs()
                .filter(|c| c.script_pubkey == vec![0x51])
                .count();
            assert!(reused == 0 || reused == 3);
        }
    }
}
