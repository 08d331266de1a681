//! Single random draw: random groups until the target and some change are covered.

use std::cmp::Ordering;
use std::collections::BinaryHeap;

use crate::error::SelectionError;
use crate::group::OutputGroup;
use crate::result::{SelectionAlgorithm, SelectionResult};
use crate::rng::{shuffle, SelectionRng};
use crate::CHANGE_LOWER;

/// A drawn group in the heap, ordered so the top is the least valuable (the lowest amount,
/// then the heaviest): the one to drop first when over the weight limit.
#[derive(Debug, PartialEq, Eq)]
struct Drawn {
    amount: i64,
    weight: i64,
    index: usize,
}

impl Ord for Drawn {
    fn cmp(&self, other: &Drawn) -> Ordering {
        other
            .amount
            .cmp(&self.amount)
            .then_with(|| self.weight.cmp(&other.weight))
    }
}

impl PartialOrd for Drawn {
    fn partial_cmp(&self, other: &Drawn) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// Draws groups from `utxo_pool` in random order until they cover `target_value` plus
/// `change_fee` plus [`CHANGE_LOWER`] (Core's `SelectCoinsSRD`).
///
/// Aiming at some change (the fixed lower bound is enough; the change is random anyway)
/// avoids a tiny change output when the draw barely reaches the target. While the drawn set
/// is heavier than `max_selection_weight`, its least valuable groups are dropped. This greedy
/// draw can miss solutions in contrived pools. `utxo_pool` must hold positive groups only.
pub fn select_coins_srd(
    utxo_pool: &[OutputGroup],
    target_value: i64,
    change_fee: i64,
    rng: &mut dyn SelectionRng,
    max_selection_weight: i64,
) -> Result<SelectionResult, SelectionError> {
    let mut result = SelectionResult::new(target_value, SelectionAlgorithm::Srd);
    let target = target_value + CHANGE_LOWER + change_fee;

    let mut indexes: Vec<usize> = (0..utxo_pool.len()).collect();
    shuffle(rng, &mut indexes);

    let mut heap = BinaryHeap::new();
    let mut selected_eff_value = 0i64;
    let mut weight = 0i64;
    let mut max_tx_weight_exceeded = false;
    for index in indexes {
        let group = &utxo_pool[index];
        let amount = group.selection_amount();
        heap.push(Drawn {
            amount,
            weight: group.weight,
            index,
        });
        selected_eff_value += amount;
        weight += group.weight;

        if weight > max_selection_weight {
            // Remembered in case nothing fits at all.
            max_tx_weight_exceeded = true;
            while let Some(dropped) = heap.pop() {
                selected_eff_value -= dropped.amount;
                weight -= dropped.weight;
                if weight <= max_selection_weight {
                    break;
                }
            }
        }

        if selected_eff_value >= target {
            for drawn in heap {
                result.add_input(&utxo_pool[drawn.index])?;
            }
            return Ok(result);
        }
    }
    Err(if max_tx_weight_exceeded {
        SelectionError::MaxWeightExceeded
    } else {
        SelectionError::InsufficientFunds
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::params::CoinSelectionParams;
    use crate::rng::SeededRng;
    use crate::testutil::{cs_params, make_group, CENT, P2WPKH_INPUT_VSIZE};
    use crate::MAX_STANDARD_TX_WEIGHT;

    const FEERATES: [i64; 10] = [0, 1, 99, 100, 315, 1_000, 2_345, 10_292, 59_764, 1_500_000];

    fn add_coins(
        pool: &mut Vec<OutputGroup>,
        amounts: &[i64],
        count: usize,
        p: &CoinSelectionParams,
    ) {
        for &a in amounts {
            for _ in 0..count {
                pool.push(make_group(a, true, p, P2WPKH_INPUT_VSIZE));
            }
        }
    }

    fn success(
        rng: &mut SeededRng,
        pool: &[OutputGroup],
        target: i64,
        p: &CoinSelectionParams,
        max_weight: i64,
    ) {
        let result = select_coins_srd(pool, target, p.change_fee, rng, max_weight)
            .unwrap_or_else(|e| panic!("target {target}: {e:?}"));
        assert!(result.selected_effective_value() >= target + p.change_fee + CHANGE_LOWER);
        assert!(result.weight() <= max_weight);
        assert_eq!(result.target(), target);
    }

    fn fail(
        rng: &mut SeededRng,
        pool: &[OutputGroup],
        target: i64,
        p: &CoinSelectionParams,
        max_weight: i64,
        expect_max_weight: bool,
    ) {
        let err = select_coins_srd(pool, target, p.change_fee, rng, max_weight)
            .err()
            .unwrap_or_else(|| panic!("target {target}: unexpected success"));
        assert_eq!(err == SelectionError::MaxWeightExceeded, expect_max_weight);
    }

    #[test]
    fn srd_cases_at_every_feerate() {
        let mut rng = SeededRng::new(21);
        let rng = &mut rng;
        let max = MAX_STANDARD_TX_WEIGHT;
        let v = i64::from(P2WPKH_INPUT_VSIZE);
        for feerate in FEERATES {
            let p = cs_params(feerate);
            let mut pool = Vec::new();
            fail(rng, &pool, CENT, &p, max, false);

            add_coins(&mut pool, &[CENT, 3 * CENT, 5 * CENT], 1, &p);
            for target in [21_000, CENT, 3_125_000, 4 * CENT, 7 * CENT] {
                success(rng, &pool, target, &p, max);
            }
            // The draw must leave change_fee plus CHANGE_LOWER.
            let edge = 9 * CENT - p.change_fee - CHANGE_LOWER;
            success(rng, &pool, edge, &p, max);
            fail(rng, &pool, edge + 1, &p, max, false);
            fail(rng, &pool, 9 * CENT + 1, &p, max, false);
            fail(rng, &pool, 9 * CENT, &p, max, false);

            add_coins(&mut pool, &[5 * CENT], 100, &p);
            add_coins(&mut pool, &[7 * CENT], 3, &p);
            // Four inputs fit: the most valuable ones are kept.
            success(rng, &pool, 20 * CENT, &p, 4 * 4 * (v - 1));
            fail(rng, &pool, 25 * CENT, &p, 4 * 3 * v, true);

            // Same amounts, different weights: the lighter coin is kept.
            let mut mixed = Vec::new();
            add_coins(&mut mixed, &[5 * CENT], 100, &p);
            mixed.push(make_group(5 * CENT, true, &p, P2WPKH_INPUT_VSIZE - 1));
            success(rng, &pool, 9 * CENT, &p, 4 * 3 * (v - 1));
        }
    }

    #[test]
    fn least_valuable_then_heaviest_is_dropped_first() {
        let mut heap = BinaryHeap::new();
        for (amount, weight, index) in [(5, 272, 0), (5, 268, 1), (9, 100, 2), (1, 400, 3)] {
            heap.push(Drawn {
                amount,
                weight,
                index,
            });
        }
        let order: Vec<usize> = std::iter::from_fn(|| heap.pop().map(|d| d.index)).collect();
        assert_eq!(order, vec![3, 0, 1, 2]);
    }
}
