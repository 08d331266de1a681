//! Branch and bound: the changeless input set with the least waste.

use crate::error::SelectionError;
use crate::group::{descending, OutputGroup};
use crate::result::{SelectionAlgorithm, SelectionResult};
use crate::MAX_MONEY;

/// How many input sets BnB and CoinGrinder evaluate before settling for the best so far.
pub const TOTAL_TRIES: usize = 100_000;

/// Searches for an input set worth between `selection_target` and `selection_target +
/// cost_of_change`, so no change output is needed, with the least waste (Core's
/// `SelectCoinsBnB`).
///
/// `utxo_pool` must hold positive groups only; it is sorted in place, largest amount first.
/// The search walks the include/omit tree depth first, cutting subtrees that cannot reach the
/// target, that overshoot the window, that exceed `max_selection_weight`, or (at fee rates
/// above the long-term rate, where every input adds waste) that already waste more than the
/// best set. Equal-amount groups are sorted by waste, so after omitting one the equal ones
/// after it are skipped: they can only give the same or worse sets. After [`TOTAL_TRIES`]
/// evaluations the best set so far is returned, marked as not completed.
pub fn select_coins_bnb(
    utxo_pool: &mut [OutputGroup],
    selection_target: i64,
    cost_of_change: i64,
    max_selection_weight: i64,
) -> Result<SelectionResult, SelectionError> {
    utxo_pool.sort_by(descending);
    let amounts: Vec<i64> = utxo_pool
        .iter()
        .map(OutputGroup::selection_amount)
        .collect();
    let n = amounts.len();

    // lookahead[i]: what the groups after i could still add.
    let mut lookahead = vec![0i64; n];
    let mut total_available = 0i64;
    for index in (0..n).rev() {
        lookahead[index] = total_available;
        total_available += amounts[index];
    }
    if total_available < selection_target || n == 0 {
        // An empty pool only gets here with a target of zero or less, which Core never asks.
        return Err(SelectionError::InsufficientFunds);
    }

    let mut curr_selection: Vec<usize> = Vec::new();
    let mut best_selection: Vec<usize> = Vec::new();
    let mut curr_amount = 0i64;
    let mut curr_selection_waste = 0i64;
    let mut best_waste = MAX_MONEY;
    let mut curr_weight = 0i64;
    let mut max_tx_weight_exceeded = false;
    let mut next_utxo = 0usize;
    let mut curr_try = 0usize;
    let mut result = SelectionResult::new(selection_target, SelectionAlgorithm::Bnb);

    // The fee/long-term-fee ratio of any group tells whether the rate is above the long term.
    let is_feerate_high = utxo_pool[0].fee > utxo_pool[0].long_term_fee;
    let input_waste = |g: &OutputGroup| g.fee - g.long_term_fee;

    loop {
        let mut should_shift = false;
        let mut should_cut = false;

        let utxo = &utxo_pool[next_utxo];
        curr_amount += amounts[next_utxo];
        curr_weight += utxo.weight;
        curr_selection_waste += input_waste(utxo);
        curr_selection.push(next_utxo);
        let tail = next_utxo;
        next_utxo += 1;
        curr_try += 1;

        if curr_amount + lookahead[tail] < selection_target {
            // Even everything left cannot reach the target.
            should_cut = true;
        } else if curr_weight > max_selection_weight {
            max_tx_weight_exceeded = true;
            should_shift = true;
        } else if curr_amount > selection_target + cost_of_change {
            should_shift = true;
        } else if is_feerate_high && curr_selection_waste > best_waste {
            // Each further input only adds waste at this rate. At low rates inputs lower the
            // waste, so this shortcut would miss sets with more, smaller inputs.
            should_shift = true;
        } else if curr_amount >= selection_target {
            // In the window; more inputs would only cost more.
            should_shift = true;
            let curr_waste = curr_selection_waste + (curr_amount - selection_target);
            if curr_waste <= best_waste {
                best_selection.clone_from(&curr_selection);
                best_waste = curr_waste;
            }
        }

        if curr_try >= TOTAL_TRIES {
            result.set_algo_completed(false);
            break;
        }

        if next_utxo == n {
            should_cut = true;
        }

        if should_cut {
            // Neither including more nor omitting the last one can help: go back to the
            // omission branch of the one before it.
            if let Some(last) = curr_selection.pop() {
                curr_amount -= amounts[last];
                curr_weight -= utxo_pool[last].weight;
                curr_selection_waste -= input_waste(&utxo_pool[last]);
            }
            should_shift = true;
        }

        let mut is_done = false;
        while should_shift {
            let Some(last) = curr_selection.pop() else {
                is_done = true;
                result.set_algo_completed(true);
                break;
            };
            next_utxo = last + 1;
            curr_amount -= amounts[last];
            curr_weight -= utxo_pool[last].weight;
            curr_selection_waste -= input_waste(&utxo_pool[last]);
            should_shift = false;

            // A following group of the same amount wastes at least as much as the one just
            // omitted, so every set it could start was already seen: skip it.
            while next_utxo < n && amounts[next_utxo - 1] == amounts[next_utxo] {
                if next_utxo >= n - 1 {
                    should_shift = true;
                    break;
                }
                next_utxo += 1;
            }
        }
        if is_done {
            break;
        }
    }

    result.set_selections_evaluated(curr_try);

    if best_selection.is_empty() {
        return Err(if max_tx_weight_exceeded {
            SelectionError::MaxWeightExceeded
        } else {
            SelectionError::InsufficientFunds
        });
    }
    for i in best_selection {
        result.add_input(&utxo_pool[i])?;
    }
    Ok(result)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::coin::Coin;
    use crate::feerate::FeeRate;
    use crate::params::CoinSelectionParams;
    use crate::testutil::{
        cs_params, group_coins, input_values, make_group, wallet_coin, CENT, P2WPKH_INPUT_VSIZE,
    };
    use crate::MAX_STANDARD_TX_WEIGHT;

    const FEERATES: [i64; 10] = [0, 1, 99, 100, 315, 1_000, 2_345, 10_292, 59_764, 1_500_000];

    fn add_coins(pool: &mut Vec<OutputGroup>, amounts: &[i64], p: &CoinSelectionParams) {
        for &a in amounts {
            pool.push(make_group(a, true, p, P2WPKH_INPUT_VSIZE));
        }
    }

    fn expected_values(amounts: &[i64], p: &CoinSelectionParams, vsize: i32) -> Vec<i64> {
        let fee = p.effective_feerate.get_fee(vsize);
        let mut v: Vec<i64> = amounts.iter().map(|a| a + fee).collect();
        v.sort_unstable();
        v
    }

    /// The parameters, the expected coins' input size and the weight limit of a case.
    struct Setup<'a> {
        p: &'a CoinSelectionParams,
        vsize: i32,
        max_weight: i64,
    }

    fn success(
        title: &str,
        pool: &mut [OutputGroup],
        target: i64,
        expected: &[i64],
        attempts: usize,
        setup: &Setup<'_>,
    ) {
        let Setup {
            p,
            vsize,
            max_weight,
        } = *setup;
        let result = select_coins_bnb(pool, target, p.cost_of_change, max_weight)
            .unwrap_or_else(|e| panic!("{title}: {e:?}"));
        let want = expected_values(expected, p, vsize);
        assert_eq!(input_values(&result), want, "{title}");
        assert_eq!(result.selected_value(), want.iter().sum::<i64>(), "{title}");
        assert!(result.weight() <= max_weight, "{title}");
        assert_eq!(result.selections_evaluated(), attempts, "{title}");
    }

    fn setup(p: &CoinSelectionParams, vsize: i32, max_weight: i64) -> Setup<'_> {
        Setup {
            p,
            vsize,
            max_weight,
        }
    }

    fn ok(title: &str, pool: &mut [OutputGroup], target: i64, expected: &[i64], attempts: usize) {
        let p = cs_params(5000);
        let st = setup(&p, P2WPKH_INPUT_VSIZE, MAX_STANDARD_TX_WEIGHT);
        success(title, pool, target, expected, attempts, &st);
    }

    fn fail(
        title: &str,
        pool: &mut [OutputGroup],
        target: i64,
        p: &CoinSelectionParams,
        max_weight: i64,
        expect_max_weight: bool,
    ) {
        let err = select_coins_bnb(pool, target, p.cost_of_change, max_weight)
            .err()
            .unwrap_or_else(|| panic!("{title}: unexpected success"));
        assert_eq!(
            err == SelectionError::MaxWeightExceeded,
            expect_max_weight,
            "{title}"
        );
    }

    #[test]
    fn bnb_cases_at_every_feerate() {
        let max = MAX_STANDARD_TX_WEIGHT;
        let v = P2WPKH_INPUT_VSIZE;
        for feerate in FEERATES {
            let p = cs_params(feerate);
            let s =
                |title: &str, pool: &mut Vec<OutputGroup>, target, expected: &[i64], attempts| {
                    success(title, pool, target, expected, attempts, &setup(&p, v, max))
                };
            let mut pool = Vec::new();
            fail("empty pool", &mut pool, CENT, &p, max, false);

            add_coins(&mut pool, &[CENT, 3 * CENT, 5 * CENT], &p);
            s("smallest", &mut pool, CENT, &[CENT], 3);
            s("middle", &mut pool, 3 * CENT, &[3 * CENT], 3);
            s("biggest", &mut pool, 5 * CENT, &[5 * CENT], 2);
            s("two", &mut pool, 4 * CENT, &[CENT, 3 * CENT], 4);
            s("all", &mut pool, 9 * CENT, &[CENT, 3 * CENT, 5 * CENT], 5);

            // The window reaches cost_of_change above the target, and not one sat further.
            let upper = 4 * CENT - p.cost_of_change;
            s("upper bound", &mut pool, upper, &[CENT, 3 * CENT], 4);
            fail(
                "overshoot upper bound",
                &mut pool,
                upper - 1,
                &p,
                max,
                false,
            );

            let two_inputs = 4 * 2 * i64::from(P2WPKH_INPUT_VSIZE);
            success(
                "max weight",
                &mut pool,
                4 * CENT,
                &[CENT, 3 * CENT],
                4,
                &setup(&p, v, two_inputs),
            );
            fail(
                "exceed max weight",
                &mut pool,
                4 * CENT,
                &p,
                two_inputs - 1,
                true,
            );

            fail("smallest too big", &mut pool, CENT / 2, &p, max, false);
            fail(
                "no combination in window",
                &mut pool,
                7 * CENT,
                &p,
                max,
                false,
            );
            fail("more than available", &mut pool, 10 * CENT, &p, max, false);

            // 50,000 equal coins are skipped after the first is omitted.
            let mut clones = Vec::new();
            add_coins(&mut clones, &[2 * CENT, 7 * CENT, 7 * CENT], &p);
            for _ in 0..50_000 {
                clones.push(make_group(5 * CENT, true, &p, v));
            }
            s(
                "skip clones",
                &mut clones,
                16 * CENT,
                &[2 * CENT, 7 * CENT, 7 * CENT],
                16,
            );

            // Every combination of eight is visited before the only one in the window, the
            // eight smallest, is found; with 19 coins the attempt limit comes first.
            let mut doppelgangers = Vec::new();
            let mut expected = Vec::new();
            let mut amounts = Vec::new();
            for i in 0..17 {
                if i < 8 {
                    amounts.push(CENT + i);
                    expected.push(CENT + i);
                } else {
                    amounts.push(CENT + p.cost_of_change + i);
                }
            }
            add_coins(&mut doppelgangers, &amounts, &p);
            s("8 of 17", &mut doppelgangers, 8 * CENT, &expected, 51_765);
            add_coins(&mut doppelgangers, &[CENT + p.cost_of_change + 17], &p);
            s("8 of 18", &mut doppelgangers, 8 * CENT, &expected, 87_957);
            add_coins(&mut doppelgangers, &[CENT + p.cost_of_change + 18], &p);
            fail(
                "8 of 19 exhausts tries",
                &mut doppelgangers,
                8 * CENT,
                &p,
                max,
                false,
            );
        }
    }

    #[test]
    fn exhaustion_keeps_early_solution() {
        let p = cs_params(5000);
        let mut pool: Vec<OutputGroup> = (0..19)
            .map(|i| make_group(100_000 + i, true, &p, P2WPKH_INPUT_VSIZE))
            .collect();
        let target = 800_000;
        let result = select_coins_bnb(&mut pool, target, p.cost_of_change, MAX_STANDARD_TX_WEIGHT)
            .expect("a solution within the window");
        assert!(result.selected_effective_value() > target + 28);
        assert_eq!(result.input_count(), 8);
        assert_eq!(result.selections_evaluated(), TOTAL_TRIES);
        assert!(!result.algo_completed());
    }

    #[test]
    fn feerate_sensitivity() {
        // Below the long-term rate more inputs lower the waste, above it fewer do.
        let low = cs_params(5000);
        let mut low_pool = Vec::new();
        add_coins(
            &mut low_pool,
            &[2 * CENT, 3 * CENT, 5 * CENT, 10 * CENT],
            &low,
        );
        ok(
            "many inputs at low rate",
            &mut low_pool,
            10 * CENT,
            &[2 * CENT, 3 * CENT, 5 * CENT],
            6,
        );

        let high = cs_params(25_000);
        let mut high_pool = Vec::new();
        add_coins(
            &mut high_pool,
            &[2 * CENT, 3 * CENT, 5 * CENT, 10 * CENT],
            &high,
        );
        let v = P2WPKH_INPUT_VSIZE;
        let max = MAX_STANDARD_TX_WEIGHT;
        success(
            "one input at high rate",
            &mut high_pool,
            10 * CENT,
            &[10 * CENT],
            5,
            &setup(&high, v, max),
        );

        // Heavy inputs are preferred at low rates and avoided at high ones.
        low_pool.push(make_group(6 * CENT, true, &low, 500));
        low_pool.push(make_group(7 * CENT, true, &low, 500));
        success(
            "heavy at low rate",
            &mut low_pool,
            13 * CENT,
            &[6 * CENT, 7 * CENT],
            18,
            &setup(&low, 500, max),
        );

        high_pool.push(make_group(6 * CENT, true, &high, 500));
        high_pool.push(make_group(7 * CENT, true, &high, 500));
        success(
            "light at high rate",
            &mut high_pool,
            13 * CENT,
            &[3 * CENT, 10 * CENT],
            9,
            &setup(&high, v, max),
        );
    }

    #[test]
    fn unknown_size_coin_is_free_and_found_at_once() {
        let rate = FeeRate::from_sat_per_kvb(3000);
        let cost_of_change = rate.get_fee(68) + rate.get_fee(31);
        // Too small for the target.
        let mut pool = group_coins(&[wallet_coin(1, rate, 144, false, false, 0)], false);
        assert_eq!(
            select_coins_bnb(&mut pool, CENT, cost_of_change, MAX_STANDARD_TX_WEIGHT).err(),
            Some(SelectionError::InsufficientFunds)
        );
        let mut pool = group_coins(&[wallet_coin(CENT, rate, 144, false, false, 0)], false);
        let result = select_coins_bnb(&mut pool, CENT, cost_of_change, MAX_STANDARD_TX_WEIGHT)
            .expect("exact match");
        assert_eq!(result.selected_value(), CENT);
        assert_eq!(result.selections_evaluated(), 1);
    }

    #[test]
    fn too_heavy_coin_is_passed_over() {
        let rate = FeeRate::from_sat_per_kvb(5000);
        let coin = |value: i64, size: i32| wallet_coin(value, rate, 144, false, true, size);
        let mut coins: Vec<Coin> = vec![
            coin(10 * CENT, 0),
            coin(9 * CENT, 0),
            coin(8 * CENT, 0),
            coin(5 * CENT, MAX_STANDARD_TX_WEIGHT as i32),
            coin(3 * CENT, 0),
            coin(CENT, 0),
        ];
        let target = 16 * CENT;
        let mut pool = group_coins(&coins, true);
        assert_eq!(
            select_coins_bnb(&mut pool, target, 0, MAX_STANDARD_TX_WEIGHT).err(),
            Some(SelectionError::MaxWeightExceeded)
        );

        // The same amount at a normal size is found.
        coins.push(coin(5 * CENT, 0));
        let mut pool = group_coins(&coins, true);
        let result =
            select_coins_bnb(&mut pool, target, 0, MAX_STANDARD_TX_WEIGHT).expect("8 + 5 + 3");
        assert_eq!(input_values(&result), vec![3 * CENT, 5 * CENT, 8 * CENT]);
        assert_eq!(result.selections_evaluated(), 22);
    }

    #[test]
    fn sorting_breaks_amount_ties_by_waste() {
        // Above the long-term rate the light coin wastes less; below it the heavy one does.
        for (rate, weight) in [(25_000, 68 * 4), (5000, 500 * 4)] {
            let p = cs_params(rate);
            let heavy = make_group(CENT, true, &p, 500);
            let light = make_group(CENT, true, &p, 68);
            let mut pool = vec![heavy, light];
            let result =
                select_coins_bnb(&mut pool, CENT, p.cost_of_change, MAX_STANDARD_TX_WEIGHT)
                    .expect("one of the two");
            assert_eq!(result.weight(), weight);
            // The equal coin after the omitted first one is never tried.
            assert_eq!(result.selections_evaluated(), 1);
        }
    }
}
