//! CoinGrinder: the lightest input set that pays the target and leaves change.

use crate::bnb::TOTAL_TRIES;
use crate::error::SelectionError;
use crate::group::{descending_effval_weight, OutputGroup};
use crate::result::{SelectionAlgorithm, SelectionResult};
use crate::MAX_MONEY;

/// Searches for the input set of least weight worth at least `selection_target +
/// change_target`, preferring the smaller amount among equally light sets (Core's
/// `CoinGrinder`). Used at high fee rates, where every weight unit is expensive.
///
/// `utxo_pool` must hold positive groups only; it is sorted in place, largest amount first
/// and lighter first among equal amounts. Like BnB it walks the include/omit tree depth
/// first. A set that reaches the target is never extended. A set is abandoned when it
/// cannot reach the target, when it is heavier than the best set (or than
/// `max_selection_weight`), or when even the lightest remaining groups, each worth no more
/// than the last one added, would make it heavier than the best. If the last group added was
/// also the lightest of those remaining, the whole subtree below its parent is dropped.
/// Equal-amount groups after an omitted one are skipped. The search stops after
/// [`TOTAL_TRIES`] evaluations.
pub fn coin_grinder(
    utxo_pool: &mut [OutputGroup],
    selection_target: i64,
    change_target: i64,
    max_selection_weight: i64,
) -> Result<SelectionResult, SelectionError> {
    utxo_pool.sort_by(descending_effval_weight);
    let amounts: Vec<i64> = utxo_pool
        .iter()
        .map(OutputGroup::selection_amount)
        .collect();
    let weights: Vec<i64> = utxo_pool.iter().map(|g| g.weight).collect();
    let n = amounts.len();

    // lookahead[i]: amount still available after i; min_tail_weight[i]: the lightest group
    // after i.
    let mut lookahead = vec![0i64; n];
    let mut min_tail_weight = vec![0i64; n];
    let mut total_available = 0i64;
    let mut min_group_weight = i64::from(i32::MAX);
    for index in (0..n).rev() {
        lookahead[index] = total_available;
        min_tail_weight[index] = min_group_weight;
        total_available += amounts[index];
        min_group_weight = min_group_weight.min(weights[index]);
    }

    let total_target = selection_target + change_target;
    if total_available < total_target || n == 0 {
        // An empty pool only gets here with a target of zero or less, which Core never asks.
        return Err(SelectionError::InsufficientFunds);
    }

    let mut curr_selection: Vec<usize> = Vec::new();
    let mut best_selection: Vec<usize> = Vec::new();
    let mut curr_amount = 0i64;
    let mut best_selection_amount = MAX_MONEY;
    let mut curr_weight = 0i64;
    // Starting at the limit lets a set of exactly the limit weight win; ties go to the
    // smaller amount anyway.
    let mut best_selection_weight = max_selection_weight;
    let mut max_tx_weight_exceeded = false;
    let mut next_utxo = 0usize;
    let mut curr_try = 0usize;
    let mut result = SelectionResult::new(selection_target, SelectionAlgorithm::Cg);

    loop {
        let mut should_shift = false;
        let mut should_cut = false;

        curr_amount += amounts[next_utxo];
        curr_weight += weights[next_utxo];
        curr_selection.push(next_utxo);
        let tail = next_utxo;
        next_utxo += 1;
        curr_try += 1;

        // Dropping the parent's whole subtree is only sound when nothing after the tail is
        // lighter than the tail; otherwise a lighter sibling may still do better.
        let tail_is_lightest = weights[tail] <= min_tail_weight[tail];

        if curr_amount + lookahead[tail] < total_target {
            should_cut = true;
        } else if curr_weight > best_selection_weight {
            if curr_weight > max_selection_weight {
                max_tx_weight_exceeded = true;
            }
            if tail_is_lightest {
                should_cut = true;
            } else {
                should_shift = true;
            }
        } else if curr_amount >= total_target {
            should_shift = true;
            if curr_weight < best_selection_weight
                || (curr_weight == best_selection_weight && curr_amount < best_selection_amount)
            {
                best_selection.clone_from(&curr_selection);
                best_selection_weight = curr_weight;
                best_selection_amount = curr_amount;
            }
        } else if !best_selection.is_empty() {
            // The missing amount needs at least this many more groups (none after the tail is
            // worth more than it), each at least the lightest remaining weight.
            let missing = i128::from(total_target - curr_amount);
            let per_group = i128::from(amounts[tail]);
            let groups_needed = (missing + per_group - 1) / per_group;
            let lightest_finish =
                i128::from(curr_weight) + i128::from(min_tail_weight[tail]) * groups_needed;
            if lightest_finish > i128::from(best_selection_weight) {
                if tail_is_lightest {
                    should_cut = true;
                } else {
                    should_shift = true;
                }
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
            if let Some(last) = curr_selection.pop() {
                curr_amount -= amounts[last];
                curr_weight -= weights[last];
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
            curr_weight -= weights[last];
            should_shift = false;

            // An equal-amount group after the omitted one is at least as heavy: skip it.
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
    use crate::coin::{Coin, CoinsResult, OutputType};
    use crate::feerate::FeeRate;
    use crate::group::group_outputs;
    use crate::params::{CoinEligibilityFilter, CoinSelectionParams, SelectionFilter};
    use crate::testutil::{input_values, wallet_coin, CENT, COIN};

    fn params() -> CoinSelectionParams {
        CoinSelectionParams {
            change_output_size: 34,
            change_spend_size: 68,
            min_change_target: CENT,
            effective_feerate: FeeRate::from_sat_per_kvb(5000),
            long_term_feerate: FeeRate::from_sat_per_kvb(2000),
            discard_feerate: FeeRate::from_sat_per_kvb(1000),
            tx_noinputs_size: 10 + 34,
            ..CoinSelectionParams::default()
        }
    }

    /// Groups the coins as the wallet would (every coin eligible) and runs CoinGrinder on the
    /// positive groups.
    fn grind(
        target: i64,
        p: &CoinSelectionParams,
        max_weight: i64,
        coins: Vec<Coin>,
    ) -> Result<SelectionResult, SelectionError> {
        let mut pool = CoinsResult::new();
        for coin in coins {
            pool.add(OutputType::Bech32, coin);
        }
        let filter = CoinEligibilityFilter::new(0, 0, 0);
        let (mut filtered, _) = group_outputs(&pool, p, &[SelectionFilter::new(filter)]);
        let mut groups = filtered.remove(&filter).unwrap_or_default().all_groups;
        coin_grinder(
            &mut groups.positive_group,
            target,
            p.min_change_target,
            max_weight,
        )
    }

    fn rate() -> FeeRate {
        FeeRate::from_sat_per_kvb(5000)
    }

    fn spendable(value: i64, size: i32) -> Coin {
        wallet_coin(value, rate(), 144, false, true, size)
    }

    fn sorted(amounts: &[i64]) -> Vec<i64> {
        let mut v = amounts.to_vec();
        v.sort_unstable();
        v
    }

    #[test]
    fn insufficient_funds() {
        let mut coins = Vec::new();
        for _ in 0..10 {
            coins.push(wallet_coin(
                COIN,
                FeeRate::from_sat_per_kvb(0),
                144,
                false,
                false,
                0,
            ));
            coins.push(wallet_coin(
                2 * COIN,
                FeeRate::from_sat_per_kvb(0),
                144,
                false,
                false,
                0,
            ));
        }
        let res = grind(49 * COIN + COIN / 2, &params(), 10_000, coins);
        assert_eq!(res.err(), Some(SelectionError::InsufficientFunds));
    }

    #[test]
    fn max_weight_exceeded() {
        let mut coins = Vec::new();
        for _ in 0..10 {
            coins.push(spendable(COIN, 0));
            coins.push(spendable(2 * COIN, 0));
        }
        let res = grind(29 * COIN + COIN / 2, &params(), 3000, coins);
        assert_eq!(res.err(), Some(SelectionError::MaxWeightExceeded));
    }

    #[test]
    fn lightest_set_within_weight_limit() {
        let mut coins = Vec::new();
        for _ in 0..60 {
            coins.push(spendable(33 * CENT, 0));
        }
        for _ in 0..10 {
            coins.push(spendable(2 * COIN, 0));
        }
        let res = grind(25 * COIN + 33 * CENT, &params(), 10_000, coins).expect("a solution");
        let mut expected = vec![2 * COIN; 10];
        expected.extend(std::iter::repeat_n(33 * CENT, 17));
        assert_eq!(input_values(&res), sorted(&expected));
        assert_eq!(res.selections_evaluated(), 37);
    }

    #[test]
    fn two_light_beat_one_heavy() {
        let coins = vec![
            spendable(2 * COIN, 148),
            spendable(COIN, 68),
            spendable(COIN, 68),
        ];
        let res = grind(COIN * 19 / 10, &params(), 400_000, coins).expect("a solution");
        assert_eq!(input_values(&res), vec![COIN, COIN]);
        assert_eq!(res.selections_evaluated(), 3);
    }

    #[test]
    fn mixed_weights() {
        let mut coins = Vec::new();
        for j in 0..5 {
            coins.push(spendable((3 + 3 * j) * COIN, 350));
            coins.push(spendable((2 + 3 * j) * COIN, 250));
            coins.push(spendable((1 + 3 * j) * COIN, 150));
        }
        let res = grind(30 * COIN, &params(), 400_000, coins).expect("a solution");
        assert_eq!(input_values(&res), vec![4 * COIN, 13 * COIN, 14 * COIN]);
        assert_eq!(res.selections_evaluated(), 92);
    }

    #[test]
    fn lightest_among_many_clones() {
        let mut coins = vec![
            spendable(4 * COIN, 100),
            spendable(3 * COIN, 100),
            spendable(2 * COIN, 100),
            spendable(COIN, 100),
        ];
        for (value, size) in [(8, 1000), (7, 800), (6, 600), (5, 400)] {
            for _ in 0..100 {
                coins.push(spendable(value * COIN, size));
            }
        }
        let res = grind(COIN * 99 / 10, &params(), 400_000, coins).expect("a solution");
        assert_eq!(input_values(&res), vec![COIN, 2 * COIN, 3 * COIN, 4 * COIN]);
        assert_eq!(res.selections_evaluated(), 38);
    }

    #[test]
    fn heavy_tiny_coins_skipped_with_lookahead() {
        let mut coins = vec![
            spendable(COIN * 18 / 10, 2500),
            spendable(COIN, 1000),
            spendable(COIN, 1000),
        ];
        for j in 0..100 {
            coins.push(spendable(CENT + j, 110));
        }
        let res = grind(COIN * 19 / 10, &params(), 40_000, coins).expect("a solution");
        assert_eq!(input_values(&res), vec![COIN, COIN]);
        assert_eq!(res.selections_evaluated(), 7);
    }

    #[test]
    fn attempt_limit() {
        let mut p = params();
        p.min_change_target = 0;
        let doppelgangers = |count: i64| -> Vec<Coin> {
            (0..count)
                .map(|i| {
                    wallet_coin(
                        COIN + i,
                        FeeRate::from_sat_per_kvb(0),
                        144,
                        false,
                        true,
                        96 + i as i32,
                    )
                })
                .collect()
        };
        let res = grind(8 * COIN, &p, 3200, doppelgangers(18)).expect("found before the limit");
        let expected: Vec<i64> = (0..8).map(|i| COIN + i).collect();
        assert_eq!(input_values(&res), expected);
        assert_eq!(res.selections_evaluated(), 87_525);
        assert!(res.algo_completed());

        assert!(grind(8 * COIN, &p, 3200, doppelgangers(19)).is_err());
    }
}
