//! The legacy knapsack solver: a random search for the subset closest above the target.

use crate::error::SelectionError;
use crate::group::{descending, OutputGroup};
use crate::result::{SelectionAlgorithm, SelectionResult};
use crate::rng::{shuffle, SelectionRng};

/// How many random subsets each subset-sum approximation tries.
const APPROXIMATION_ITERATIONS: usize = 1000;

/// Approximates the subset of `groups` (sorted largest first) worth at least `target` and as
/// little above it as possible, within `max_selection_weight` (Core's
/// `ApproximateBestSubset`). Returns which groups are in it and its total; all groups (worth
/// `total_lower`) when nothing better turns up.
///
/// Each try includes every group with probability one half, then, if short, adds the left-out
/// groups in order. Whenever the total reaches the target, the group just added is taken out
/// again, so the try keeps looking for a closer total.
fn approximate_best_subset(
    rng: &mut dyn SelectionRng,
    groups: &[&OutputGroup],
    total_lower: i64,
    target: i64,
    max_selection_weight: i64,
) -> (Vec<bool>, i64) {
    let mut best = vec![true; groups.len()];
    let mut best_total = total_lower;
    let mut included = vec![false; groups.len()];

    let mut rep = 0;
    while rep < APPROXIMATION_ITERATIONS && best_total != target {
        included.fill(false);
        let mut total = 0i64;
        let mut weight = 0i64;
        let mut reached_target = false;
        for pass in 0..2 {
            if reached_target {
                break;
            }
            for (i, group) in groups.iter().enumerate() {
                let take = if pass == 0 {
                    rng.rand_bool()
                } else {
                    !included[i]
                };
                if !take {
                    continue;
                }
                total += group.selection_amount();
                weight += group.weight;
                included[i] = true;
                if total >= target && weight <= max_selection_weight {
                    reached_target = true;
                    if total < best_total {
                        best_total = total;
                        best.copy_from_slice(&included);
                    }
                    total -= group.selection_amount();
                    weight -= group.weight;
                    included[i] = false;
                }
            }
        }
        rep += 1;
    }
    (best, best_total)
}

/// Core's original selection algorithm, kept as one of the candidates (Core's
/// `KnapsackSolver`).
///
/// `groups` (which may include groups of negative amount) is shuffled in place. A group worth
/// exactly `target` wins at once; groups smaller than `target + change_target` are combined
/// if together they match the target exactly; otherwise the smallest group above that bound
/// competes with a random subset-sum search, first for the target itself and then for the
/// target plus `change_target`. The single larger group wins when the search ends short of
/// target plus change (without an exact match) or is not smaller. Groups heavier than
/// `max_selection_weight` are never used.
pub fn knapsack_solver(
    groups: &mut [OutputGroup],
    target: i64,
    change_target: i64,
    rng: &mut dyn SelectionRng,
    max_selection_weight: i64,
) -> Result<SelectionResult, SelectionError> {
    let mut result = SelectionResult::new(target, SelectionAlgorithm::Knapsack);
    let mut max_weight_exceeded = false;
    let mut lowest_larger: Option<usize> = None;
    // Groups below target plus change; larger ones would only overshoot.
    let mut applicable: Vec<usize> = Vec::new();
    let mut total_lower = 0i64;

    shuffle(rng, groups);

    for (i, group) in groups.iter().enumerate() {
        if group.weight > max_selection_weight {
            max_weight_exceeded = true;
            continue;
        }
        let amount = group.selection_amount();
        if amount == target {
            result.add_input(group)?;
            return Ok(result);
        } else if amount < target + change_target {
            applicable.push(i);
            total_lower += amount;
        } else if lowest_larger.is_none_or(|l| amount < groups[l].selection_amount()) {
            lowest_larger = Some(i);
        }
    }

    if total_lower == target {
        for &i in &applicable {
            result.add_input(&groups[i])?;
        }
        if result.weight() <= max_selection_weight {
            return Ok(result);
        }
        max_weight_exceeded = true;
        result.clear();
    }

    if total_lower < target {
        return match lowest_larger {
            Some(l) => {
                result.add_input(&groups[l])?;
                Ok(result)
            }
            None if max_weight_exceeded => Err(SelectionError::MaxWeightExceeded),
            None => Err(SelectionError::InsufficientFunds),
        };
    }

    applicable.sort_by(|&a, &b| descending(&groups[a], &groups[b]));
    let candidates: Vec<&OutputGroup> = applicable.iter().map(|&i| &groups[i]).collect();

    let (mut best, mut best_total) =
        approximate_best_subset(rng, &candidates, total_lower, target, max_selection_weight);
    if best_total != target && total_lower >= target + change_target {
        (best, best_total) = approximate_best_subset(
            rng,
            &candidates,
            total_lower,
            target + change_target,
            max_selection_weight,
        );
    }

    let larger_wins = lowest_larger.filter(|&l| {
        (best_total != target && best_total < target + change_target)
            || groups[l].selection_amount() <= best_total
    });
    if let Some(l) = larger_wins {
        result.add_input(&groups[l])?;
    } else {
        for (group, _) in candidates
            .iter()
            .zip(&best)
            .filter(|(_, in_best)| **in_best)
        {
            result.add_input(group)?;
        }
        if result.weight() > max_selection_weight {
            let Some(l) = lowest_larger else {
                return Err(SelectionError::MaxWeightExceeded);
            };
            result.clear();
            result.add_input(&groups[l])?;
        }
    }
    Ok(result)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::coin::{CoinsResult, OutPoint, OutputType};
    use crate::feerate::FeeRate;
    use crate::group::group_outputs;
    use crate::params::{CoinEligibilityFilter, CoinSelectionParams, SelectionFilter};
    use crate::rng::SeededRng;
    use crate::testutil::{group_coins, wallet_coin, CENT, COIN};
    use crate::MAX_STANDARD_TX_WEIGHT;

    fn standard() -> CoinEligibilityFilter {
        CoinEligibilityFilter::new(1, 6, 0)
    }
    fn confirmed() -> CoinEligibilityFilter {
        CoinEligibilityFilter::new(1, 1, 0)
    }
    fn standard_extra() -> CoinEligibilityFilter {
        CoinEligibilityFilter::new(6, 6, 0)
    }

    /// A coin of unknown size at a zero rate, six blocks deep by default.
    fn add(pool: &mut CoinsResult, value: i64) {
        add_aged(pool, value, 6 * 24, false);
    }

    fn add_aged(pool: &mut CoinsResult, value: i64, depth: i32, from_me: bool) {
        let coin = wallet_coin(
            value,
            FeeRate::from_sat_per_kvb(0),
            depth,
            from_me,
            false,
            0,
        );
        pool.add(OutputType::Bech32, coin);
    }

    /// The groups a filter admits, one per coin, as the wallet would build them.
    fn groups_for(pool: &CoinsResult, filter: CoinEligibilityFilter) -> Vec<OutputGroup> {
        let params = CoinSelectionParams {
            min_change_target: CENT,
            effective_feerate: FeeRate::from_sat_per_kvb(0),
            long_term_feerate: FeeRate::from_sat_per_kvb(0),
            discard_feerate: FeeRate::from_sat_per_kvb(0),
            ..CoinSelectionParams::default()
        };
        let (mut filtered, _) = group_outputs(pool, &params, &[SelectionFilter::new(filter)]);
        filtered
            .remove(&filter)
            .unwrap_or_default()
            .all_groups
            .mixed_group
    }

    fn solve(
        rng: &mut SeededRng,
        pool: &CoinsResult,
        filter: CoinEligibilityFilter,
        target: i64,
    ) -> Option<SelectionResult> {
        let mut groups = groups_for(pool, filter);
        knapsack_solver(&mut groups, target, CENT, rng, MAX_STANDARD_TX_WEIGHT).ok()
    }

    fn expect(result: Option<SelectionResult>, value: i64, count: usize) {
        let result = result.expect("a selection");
        assert_eq!(result.selected_value(), value);
        assert_eq!(result.input_count(), count);
    }

    fn outpoints(result: &SelectionResult) -> Vec<OutPoint> {
        result.inputs().map(|c| c.outpoint).collect()
    }

    #[test]
    fn knapsack_behaviour() {
        let mut rng = SeededRng::new(11);
        let rng = &mut rng;
        for _ in 0..20 {
            let mut pool = CoinsResult::new();
            assert!(solve(rng, &pool, standard(), CENT).is_none());

            // A young coin is not "standard" but is confirmed.
            add_aged(&mut pool, CENT, 4, false);
            assert!(solve(rng, &pool, standard(), CENT).is_none());
            expect(solve(rng, &pool, confirmed(), CENT), CENT, 1);

            add(&mut pool, 2 * CENT);
            assert!(solve(rng, &pool, standard(), 3 * CENT).is_none());
            expect(solve(rng, &pool, confirmed(), 3 * CENT), 3 * CENT, 2);

            add(&mut pool, 5 * CENT);
            add_aged(&mut pool, 10 * CENT, 3, true);
            add(&mut pool, 20 * CENT);
            // Young: 1 + 10 (ours); mature: 2 + 5 + 20.
            assert!(solve(rng, &pool, standard(), 38 * CENT).is_none());
            assert!(solve(rng, &pool, standard_extra(), 38 * CENT).is_none());
            expect(solve(rng, &pool, standard(), 37 * CENT), 37 * CENT, 4);
            expect(solve(rng, &pool, confirmed(), 38 * CENT), 38 * CENT, 5);

            // 34 cannot be made exactly; 20 + 10 + 5 is closest.
            expect(solve(rng, &pool, confirmed(), 34 * CENT), 35 * CENT, 3);
            expect(solve(rng, &pool, confirmed(), 7 * CENT), 7 * CENT, 2);
            expect(solve(rng, &pool, confirmed(), 8 * CENT), 8 * CENT, 3);
            // No subset of the small coins makes 9: the next larger coin does.
            expect(solve(rng, &pool, confirmed(), 9 * CENT), 10 * CENT, 1);

            let mut pool = CoinsResult::new();
            for v in [6, 7, 8, 20, 30] {
                add(&mut pool, v * CENT);
            }
            assert!(solve(rng, &pool, confirmed(), 71 * CENT).is_some());
            assert!(solve(rng, &pool, confirmed(), 72 * CENT).is_none());
            // 6 + 7 + 8 = 21 loses to the single 20.
            expect(solve(rng, &pool, confirmed(), 16 * CENT), 20 * CENT, 1);
            add(&mut pool, 5 * CENT);
            // 5 + 6 + 7 = 18 beats 20.
            expect(solve(rng, &pool, confirmed(), 16 * CENT), 18 * CENT, 3);
            add(&mut pool, 18 * CENT);
            // A tie goes to the single coin.
            expect(solve(rng, &pool, confirmed(), 16 * CENT), 18 * CENT, 1);
            expect(solve(rng, &pool, confirmed(), 11 * CENT), 11 * CENT, 2);

            for v in [1, 2, 3, 4] {
                add(&mut pool, v * COIN);
            }
            expect(solve(rng, &pool, confirmed(), 95 * CENT), COIN, 1);
            expect(solve(rng, &pool, confirmed(), 195 * CENT), 2 * COIN, 1);

            // Fractions of a cent: small change is avoided where possible.
            let mut pool = CoinsResult::new();
            for tenth in 1..=5 {
                add(&mut pool, CENT * tenth / 10);
            }
            expect_value(solve(rng, &pool, confirmed(), CENT), CENT);
            add(&mut pool, 1111 * CENT);
            expect_value(solve(rng, &pool, confirmed(), CENT), CENT);
            add(&mut pool, CENT * 6 / 10);
            add(&mut pool, CENT * 7 / 10);
            expect_value(solve(rng, &pool, confirmed(), CENT), CENT);

            // Twenty 50k-BTC coins make 500k exactly from ten.
            let mut pool = CoinsResult::new();
            for _ in 0..20 {
                add(&mut pool, 50_000 * COIN);
            }
            expect(
                solve(rng, &pool, confirmed(), 500_000 * COIN),
                500_000 * COIN,
                10,
            );

            // Small coins cannot leave a cent of change, and no exact subset exists.
            let mut pool = CoinsResult::new();
            for v in [CENT * 5 / 10, CENT * 6 / 10, CENT * 7 / 10, 1111 * CENT] {
                add(&mut pool, v);
            }
            expect(solve(rng, &pool, confirmed(), CENT), 1111 * CENT, 1);

            // But an exact subset wins when there is one.
            let mut pool = CoinsResult::new();
            for v in [CENT * 4 / 10, CENT * 6 / 10, CENT * 8 / 10, 1111 * CENT] {
                add(&mut pool, v);
            }
            expect(solve(rng, &pool, confirmed(), CENT), CENT, 2);

            let mut pool = CoinsResult::new();
            for v in [CENT * 5 / 100, CENT, CENT * 100] {
                add(&mut pool, v);
            }
            expect(
                solve(rng, &pool, confirmed(), CENT * 10001 / 100),
                CENT * 10105 / 100,
                3,
            );
            expect(
                solve(rng, &pool, confirmed(), CENT * 9990 / 100),
                101 * CENT,
                2,
            );
        }
    }

    fn expect_value(result: Option<SelectionResult>, value: i64) {
        assert_eq!(result.expect("a selection").selected_value(), value);
    }

    #[test]
    fn many_equal_inputs() {
        let mut rng = SeededRng::new(12);
        let mut amt = 1500;
        while amt < COIN {
            let mut pool = CoinsResult::new();
            for _ in 0..676 {
                add(&mut pool, amt);
            }
            for _ in 0..3 {
                let result = solve(&mut rng, &pool, confirmed(), 2000).expect("a selection");
                if amt - 2000 < CENT {
                    let count = (2000 + CENT + amt - 1) / amt;
                    assert_eq!(result.selected_value(), amt * count);
                    assert_eq!(result.input_count() as i64, count);
                } else {
                    assert_eq!(result.selected_value(), amt);
                    assert_eq!(result.input_count(), 1);
                }
            }
            amt *= 10;
        }
    }

    #[test]
    fn randomness() {
        let mut rng = SeededRng::new(13);
        let mut pool = CoinsResult::new();
        for _ in 0..100 {
            add(&mut pool, COIN);
        }
        for _ in 0..10 {
            // Half of 100 equal coins: the choice depends on the random subset search.
            let mut g = group_coins(&pool.all(), false);
            let a = knapsack_solver(&mut g, 50 * COIN, CENT, &mut rng, MAX_STANDARD_TX_WEIGHT)
                .expect("a selection");
            let mut g = group_coins(&pool.all(), false);
            let b = knapsack_solver(&mut g, 50 * COIN, CENT, &mut rng, MAX_STANDARD_TX_WEIGHT)
                .expect("a selection");
            assert_ne!(outpoints(&a), outpoints(&b));

            // One of 100 equal coins: picked by the shuffle; the same coin twice in a row
            // happens one time in a hundred, so allow a few repeats.
            let mut same = 0;
            for _ in 0..5 {
                let mut g = group_coins(&pool.all(), false);
                let a = knapsack_solver(&mut g, COIN, CENT, &mut rng, MAX_STANDARD_TX_WEIGHT)
                    .expect("a selection");
                let mut g = group_coins(&pool.all(), false);
                let b = knapsack_solver(&mut g, COIN, CENT, &mut rng, MAX_STANDARD_TX_WEIGHT)
                    .expect("a selection");
                if outpoints(&a) == outpoints(&b) {
                    same += 1;
                }
            }
            assert_ne!(same, 5);
        }

        // 75 cents of small coins cannot make 90: one of the competing larger coins is taken
        // at random.
        for v in [5, 10, 15, 20, 25] {
            add(&mut pool, v * CENT);
        }
        for _ in 0..10 {
            let mut same = 0;
            for _ in 0..5 {
                let mut g = group_coins(&pool.all(), false);
                let a = knapsack_solver(&mut g, 90 * CENT, CENT, &mut rng, MAX_STANDARD_TX_WEIGHT)
                    .expect("a selection");
                let mut g = group_coins(&pool.all(), false);
                let b = knapsack_solver(&mut g, 90 * CENT, CENT, &mut rng, MAX_STANDARD_TX_WEIGHT)
                    .expect("a selection");
                if outpoints(&a) == outpoints(&b) {
                    same += 1;
                }
            }
            assert_ne!(same, 5);
        }
    }

    #[test]
    fn approximate_best_subset_sorts_largest_first() {
        let mut rng = SeededRng::new(14);
        let mut pool = CoinsResult::new();
        for _ in 0..1000 {
            add(&mut pool, 1000 * COIN);
        }
        add(&mut pool, 3 * COIN);
        expect(
            solve(&mut rng, &pool, standard(), 1003 * COIN),
            1003 * COIN,
            2,
        );
    }

    #[test]
    fn weight_limits() {
        let mut rng = SeededRng::new(15);
        let rate = FeeRate::from_sat_per_kvb(0);
        let heavy = wallet_coin(5 * CENT, rate, 6, false, true, 1000);
        let light = wallet_coin(CENT, rate, 6, false, true, 0);
        // Only the heavy coin could pay: it is over the weight limit.
        let mut g = group_coins(std::slice::from_ref(&heavy), false);
        assert_eq!(
            knapsack_solver(&mut g, 2 * CENT, CENT, &mut rng, 3999).err(),
            Some(SelectionError::MaxWeightExceeded)
        );
        // The small coins match exactly but weigh too much together; the larger coin is
        // light enough and wins.
        let big = wallet_coin(30 * CENT, rate, 6, false, true, 0);
        let light2 = wallet_coin(CENT, rate, 6, false, true, 0);
        let mut g = group_coins(&[light.clone(), light2, big], false);
        let result = knapsack_solver(&mut g, 2 * CENT, CENT, &mut rng, 300).expect("a selection");
        assert_eq!(result.selected_value(), 30 * CENT);
        // Nothing else: insufficient funds, not a weight error, when nothing was too heavy.
        let mut g = group_coins(&[light], false);
        assert_eq!(
            knapsack_solver(&mut g, 2 * CENT, CENT, &mut rng, 3999).err(),
            Some(SelectionError::InsufficientFunds)
        );
    }
}
