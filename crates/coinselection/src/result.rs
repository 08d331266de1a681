//! A selection's outcome: its inputs, waste score and change.

use std::collections::BTreeMap;

use crate::coin::{Coin, OutPoint};
use crate::error::SelectionError;
use crate::group::OutputGroup;
use crate::rng::{shuffle, SelectionRng};
use crate::{CHANGE_LOWER, CHANGE_UPPER, WITNESS_SCALE_FACTOR};

/// Which algorithm produced a selection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SelectionAlgorithm {
    /// Branch and bound: changeless input sets.
    Bnb,
    /// The legacy knapsack solver.
    Knapsack,
    /// Single random draw.
    Srd,
    /// CoinGrinder: the lightest input set with change.
    Cg,
    /// Inputs chosen by the user.
    Manual,
}

impl SelectionAlgorithm {
    /// Core's name for the algorithm, as logged and traced.
    pub fn name(&self) -> &'static str {
        match self {
            SelectionAlgorithm::Bnb => "bnb",
            SelectionAlgorithm::Knapsack => "knapsack",
            SelectionAlgorithm::Srd => "srd",
            SelectionAlgorithm::Cg => "cg",
            SelectionAlgorithm::Manual => "manual",
        }
    }
}

/// Picks a random change target so change amounts do not fingerprint the wallet (Core's
/// `GenerateChangeTarget`).
///
/// The target is `change_fee` plus [`CHANGE_LOWER`] for payments up to half of that; for
/// larger payments it is `change_fee` plus a random amount from [`CHANGE_LOWER`] up to (not
/// including) twice the payment, capped at [`CHANGE_UPPER`]. Change resembling the payment
/// makes it harder to tell which output is which.
pub fn generate_change_target(
    payment_value: i64,
    change_fee: i64,
    rng: &mut dyn SelectionRng,
) -> i64 {
    if payment_value <= CHANGE_LOWER / 2 {
        change_fee + CHANGE_LOWER
    } else {
        let upper_bound = payment_value.saturating_mul(2).min(CHANGE_UPPER);
        let span = u64::try_from(upper_bound - CHANGE_LOWER).unwrap_or(0);
        let random = i64::try_from(rng.rand_range(span)).unwrap_or(0);
        change_fee + random + CHANGE_LOWER
    }
}

/// The inputs a selection chose, with what is needed to score it (Core's
/// `SelectionResult`). Inputs are kept ordered by outpoint.
#[derive(Debug, Clone)]
pub struct SelectionResult {
    selected: BTreeMap<OutPoint, Coin>,
    target: i64,
    algo: SelectionAlgorithm,
    use_effective: bool,
    waste: Option<i64>,
    algo_completed: bool,
    selections_evaluated: usize,
    weight: i64,
    bump_fee_group_discount: i64,
}

impl SelectionResult {
    /// An empty result aiming at `target` (payments plus non-input fees).
    pub fn new(target: i64, algo: SelectionAlgorithm) -> SelectionResult {
        SelectionResult {
            selected: BTreeMap::new(),
            target,
            algo,
            use_effective: false,
            waste: None,
            algo_completed: true,
            selections_evaluated: 0,
            weight: 0,
            bump_fee_group_discount: 0,
        }
    }

    fn insert_inputs<'a>(
        &mut self,
        coins: impl IntoIterator<Item = &'a Coin>,
    ) -> Result<(), SelectionError> {
        let coins: Vec<&Coin> = coins.into_iter().collect();
        let mut seen = std::collections::BTreeSet::new();
        for coin in &coins {
            if self.selected.contains_key(&coin.outpoint) || !seen.insert(coin.outpoint) {
                return Err(SelectionError::SharedInputs);
            }
        }
        for coin in coins {
            self.selected.insert(coin.outpoint, coin.clone());
        }
        Ok(())
    }

    /// Sum of the inputs' values.
    pub fn selected_value(&self) -> i64 {
        self.selected.values().map(|c| c.value).sum()
    }

    /// Sum of the inputs' effective values, plus the bump fee the inputs overpaid for shared
    /// ancestry.
    pub fn selected_effective_value(&self) -> i64 {
        self.selected
            .values()
            .map(Coin::effective_value)
            .sum::<i64>()
            + self.bump_fee_group_discount
    }

    /// Bump fees the inputs pay, less the overpayment for shared ancestry.
    pub fn total_bump_fees(&self) -> i64 {
        self.selected
            .values()
            .map(|c| c.ancestor_bump_fees)
            .sum::<i64>()
            - self.bump_fee_group_discount
    }

    /// Drops every input, the waste and the weight.
    pub fn clear(&mut self) {
        self.selected.clear();
        self.waste = None;
        self.weight = 0;
    }

    /// Adds every coin of `group`. Fails, adding nothing, if one is already an input.
    pub fn add_input(&mut self, group: &OutputGroup) -> Result<(), SelectionError> {
        self.insert_inputs(&group.outputs)?;
        self.use_effective = !group.subtract_fee_outputs;
        self.weight += group.weight;
        Ok(())
    }

    /// Adds preselected coins; duplicates among `coins` count once. Fails, adding nothing,
    /// if one is already an input.
    pub fn add_inputs(
        &mut self,
        coins: &[Coin],
        subtract_fee_outputs: bool,
    ) -> Result<(), SelectionError> {
        let unique: BTreeMap<OutPoint, &Coin> = coins.iter().map(|c| (c.outpoint, c)).collect();
        self.insert_inputs(unique.values().copied())?;
        self.use_effective = !subtract_fee_outputs;
        self.weight += unique
            .values()
            .map(|c| i64::from(c.input_bytes.max(0)) * WITNESS_SCALE_FACTOR)
            .sum::<i64>();
        Ok(())
    }

    /// Records how much the inputs' individual bump fees overestimate the bump fee of their
    /// shared ancestry. Must not be negative.
    pub fn set_bump_fee_discount(&mut self, discount: i64) {
        debug_assert!(discount >= 0);
        self.bump_fee_group_discount = discount;
    }

    /// Computes the waste score: what the inputs cost now beyond what they would cost at the
    /// long-term rate, less the shared-ancestry discount, plus either `change_cost` (with
    /// change) or the excess given up to fees (without).
    pub fn recalculate_waste(&mut self, min_viable_change: i64, change_cost: i64, change_fee: i64) {
        let mut waste: i64 = self
            .selected
            .values()
            .map(|c| c.fee() - c.long_term_fee)
            .sum();
        waste -= self.bump_fee_group_discount;
        if self.change(min_viable_change, change_fee) != 0 {
            waste += change_cost;
        } else {
            let selected = if self.use_effective {
                self.selected_effective_value()
            } else {
                self.selected_value()
            };
            waste += selected - self.target;
        }
        self.waste = Some(waste);
    }

    /// The waste score, once computed.
    pub fn waste(&self) -> Option<i64> {
        self.waste
    }

    /// Records whether the algorithm searched everything or stopped at its attempt limit.
    pub fn set_algo_completed(&mut self, completed: bool) {
        self.algo_completed = completed;
    }

    /// Whether the algorithm searched everything (so the result is its best).
    pub fn algo_completed(&self) -> bool {
        self.algo_completed
    }

    /// Records how many input sets the algorithm evaluated.
    pub fn set_selections_evaluated(&mut self, attempts: usize) {
        self.selections_evaluated = attempts;
    }

    /// How many input sets the algorithm evaluated (0 where it does not count them).
    pub fn selections_evaluated(&self) -> usize {
        self.selections_evaluated
    }

    /// Combines `other` into this result: inputs, targets and weights add up, and a manual
    /// result takes the other's algorithm. Fails, changing nothing, if they share an input.
    pub fn merge(&mut self, other: &SelectionResult) -> Result<(), SelectionError> {
        self.insert_inputs(other.selected.values())?;
        self.target += other.target;
        self.use_effective |= other.use_effective;
        if self.algo == SelectionAlgorithm::Manual {
            self.algo = other.algo;
        }
        self.weight += other.weight;
        Ok(())
    }

    /// The inputs, ordered by outpoint.
    pub fn inputs(&self) -> impl Iterator<Item = &Coin> {
        self.selected.values()
    }

    /// How many inputs there are.
    pub fn input_count(&self) -> usize {
        self.selected.len()
    }

    /// The inputs in random order, as the transaction lists them.
    pub fn shuffled_inputs(&self, rng: &mut dyn SelectionRng) -> Vec<Coin> {
        let mut coins: Vec<Coin> = self.selected.values().cloned().collect();
        shuffle(rng, &mut coins);
        coins
    }

    /// Whether this result beats `other`: less waste, or equal waste and more inputs (Core's
    /// `operator<`). A result without a computed waste loses.
    pub fn is_better_than(&self, other: &SelectionResult) -> bool {
        let a = self.waste.unwrap_or(i64::MAX);
        let b = other.waste.unwrap_or(i64::MAX);
        a < b || (a == b && self.selected.len() > other.selected.len())
    }

    /// The change output's amount, or 0 when the change would be below
    /// `min_viable_change`.
    ///
    /// Without fee subtraction the inputs' effective values already paid their own fees and
    /// the target holds the other fees, so only `change_fee` is taken here. The amount is an
    /// estimate; the wallet fixes it once the real fee is known.
    pub fn change(&self, min_viable_change: i64, change_fee: i64) -> i64 {
        let change = if self.use_effective {
            self.selected_effective_value() - self.target - change_fee
        } else {
            self.selected_value() - self.target
        };
        if change < min_viable_change {
            0
        } else {
            change
        }
    }

    /// The target the inputs were selected for.
    pub fn target(&self) -> i64 {
        self.target
    }

    /// The algorithm that produced the result.
    pub fn algo(&self) -> SelectionAlgorithm {
        self.algo
    }

    /// Total weight of the inputs.
    pub fn weight(&self) -> i64 {
        self.weight
    }
}

/// The first result that no later one beats (Core's `std::min_element` with `operator<`).
pub(crate) fn best_by_waste(results: Vec<SelectionResult>) -> Option<SelectionResult> {
    let mut best: Option<SelectionResult> = None;
    for result in results {
        let replace = match &best {
            Some(current) => result.is_better_than(current),
            None => true,
        };
        if replace {
            best = Some(result);
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::SeededRng;
    use crate::testutil::{next_outpoint, COIN};

    /// Adds a coin of 148 bytes with the given fees, as Core's waste tests do.
    fn add_coin(value: i64, result: &mut SelectionResult, fee: i64, long_term_fee: i64) {
        add_coin_bumped(value, result, fee, long_term_fee, 0);
    }

    fn add_coin_bumped(
        value: i64,
        result: &mut SelectionResult,
        fee: i64,
        long_term_fee: i64,
        bump: i64,
    ) {
        let mut coin = Coin::with_fee(next_outpoint(), value, 148, fee).with_depth(1);
        coin.apply_bump_fee(bump);
        let mut group = OutputGroup::default();
        group.insert(coin);
        // Insert derives the long-term fee; the test dictates it instead.
        group.outputs[0].long_term_fee = long_term_fee;
        result.add_input(&group).unwrap();
    }

    fn waste_of(
        target: i64,
        coins: &[(i64, i64, i64)],
        min_viable_change: i64,
        change_cost: i64,
        change_fee: i64,
    ) -> i64 {
        let mut selection = SelectionResult::new(target, SelectionAlgorithm::Manual);
        for &(value, fee, ltf) in coins {
            add_coin(value, &mut selection, fee, ltf);
        }
        selection.recalculate_waste(min_viable_change, change_cost, change_fee);
        selection.waste().unwrap()
    }

    #[test]
    fn waste_figures() {
        let fee = 100;
        let min_viable_change = 300;
        let change_cost = 125;
        let change_fee = 30;
        let fee_diff = 40;
        let in_amt = 3 * COIN;
        let target = 2 * COIN;
        let excess = 80;
        let exact_target = in_amt - fee * 2;
        let w = |target: i64, fee: i64, ltf: i64, change_cost: i64| {
            waste_of(
                target,
                &[(COIN, fee, ltf), (2 * COIN, fee, ltf)],
                min_viable_change,
                change_cost,
                change_fee,
            )
        };

        // With change: cost of change plus what the inputs cost beyond the long term.
        let with_change = w(target, fee, fee - fee_diff, change_cost);
        assert_eq!(with_change, fee_diff * 2 + change_cost);
        assert!(w(target, fee * 2, fee - fee_diff, change_cost) > with_change);
        let cheaper_now = w(target, fee, fee + fee_diff, change_cost);
        assert_eq!(cheaper_now, -fee_diff * 2 + change_cost);
        assert!(cheaper_now < with_change);

        // Without change: the excess instead of the cost of change.
        let no_change = w(exact_target - excess, fee, fee - fee_diff, change_cost);
        assert_eq!(no_change, fee_diff * 2 + excess);
        let no_change_cheaper = w(exact_target - excess, fee, fee + fee_diff, change_cost);
        assert_eq!(no_change_cheaper, -fee_diff * 2 + excess);
        assert!(no_change_cheaper < no_change);

        // Equal fees: just the cost of change, or just the excess, or nothing.
        assert_eq!(w(target, fee, fee, change_cost), change_cost);
        assert_eq!(w(exact_target - excess, fee, fee, change_cost), excess);
        assert_eq!(w(exact_target, fee, fee, change_cost), 0);

        // Savings on inputs cancel the cost of change, or the excess.
        assert_eq!(w(target, fee, fee + fee_diff, fee_diff * 2), 0);
        assert_eq!(
            w(
                exact_target - fee_diff * 2,
                fee,
                fee + fee_diff,
                change_cost
            ),
            0
        );

        // Negative waste.
        assert_eq!(
            w(exact_target, fee, fee + fee_diff, change_cost),
            -2 * fee_diff
        );
        let large_fee_diff = 90;
        assert_eq!(w(target, fee, fee + large_fee_diff, change_cost), -55);
    }

    #[test]
    fn bump_fees_in_waste() {
        let fee = 100;
        let min_viable_change = 200;
        let change_cost = 125;
        let change_fee = 35;
        let fee_diff = 40;

        let mut selection = SelectionResult::new(2 * COIN, SelectionAlgorithm::Manual);
        add_coin_bumped(COIN, &mut selection, fee, fee + fee_diff, 20);
        add_coin_bumped(2 * COIN, &mut selection, fee, fee + fee_diff, 40);
        selection.recalculate_waste(min_viable_change, change_cost, change_fee);
        assert_eq!(selection.waste(), Some(-fee_diff * 2 + change_cost + 60));
        assert_eq!(selection.total_bump_fees(), 60);
        selection.set_bump_fee_discount(30);
        selection.recalculate_waste(min_viable_change, change_cost, change_fee);
        assert_eq!(
            selection.waste(),
            Some(-fee_diff * 2 + change_cost + 60 - 30)
        );
        assert_eq!(selection.total_bump_fees(), 30);

        // Without change, bump fees and excess count alike, so the discount moves value from
        // one to the other and the waste stays.
        let changeless_target = 3 * COIN - 2 * fee - 100;
        let mut selection = SelectionResult::new(changeless_target, SelectionAlgorithm::Manual);
        add_coin_bumped(COIN, &mut selection, fee, fee + fee_diff, 20);
        add_coin_bumped(2 * COIN, &mut selection, fee, fee + fee_diff, 40);
        selection.recalculate_waste(min_viable_change, change_cost, change_fee);
        assert_eq!(selection.waste(), Some(-fee_diff * 2 + 60 + 40));
        selection.set_bump_fee_discount(30);
        selection.recalculate_waste(min_viable_change, change_cost, change_fee);
        assert_eq!(selection.waste(), Some(-fee_diff * 2 + 60 - 30 + 70));
    }

    #[test]
    fn change_respects_min_viable_change_and_fee_mode() {
        let mut result = SelectionResult::new(10_000, SelectionAlgorithm::Srd);
        add_coin(12_100, &mut result, 100, 50);
        // Effective 12_000: change 2000 - change_fee 30.
        assert_eq!(result.change(1000, 30), 1970);
        assert_eq!(result.change(1971, 30), 0);

        let mut sffo = SelectionResult::new(10_000, SelectionAlgorithm::Srd);
        let mut group = OutputGroup {
            subtract_fee_outputs: true,
            ..OutputGroup::default()
        };
        group.insert(Coin::with_fee(next_outpoint(), 12_100, 148, 100));
        sffo.add_input(&group).unwrap();
        // Recipients pay the fees: change is the raw surplus.
        assert_eq!(sffo.change(1000, 30), 2100);
    }

    #[test]
    fn shared_inputs_are_refused() {
        let coin = Coin::with_fee(next_outpoint(), 1000, 68, 10);
        let mut group = OutputGroup::default();
        group.insert(coin.clone());
        let mut result = SelectionResult::new(500, SelectionAlgorithm::Knapsack);
        result.add_input(&group).unwrap();
        assert_eq!(result.add_input(&group), Err(SelectionError::SharedInputs));
        assert_eq!(result.input_count(), 1);
        assert_eq!(result.weight(), 272);

        let mut other = SelectionResult::new(100, SelectionAlgorithm::Manual);
        other.add_inputs(&[coin.clone(), coin], false).unwrap();
        assert_eq!(other.input_count(), 1);
        assert_eq!(other.merge(&result), Err(SelectionError::SharedInputs));
    }

    #[test]
    fn merge_adds_targets_and_takes_algorithm() {
        let mut manual = SelectionResult::new(100, SelectionAlgorithm::Manual);
        manual
            .add_inputs(&[Coin::with_fee(next_outpoint(), 1000, -1, 0)], true)
            .unwrap();
        assert_eq!(manual.weight(), 0);
        let mut auto = SelectionResult::new(200, SelectionAlgorithm::Bnb);
        let mut group = OutputGroup::default();
        group.insert(Coin::with_fee(next_outpoint(), 2000, 68, 10));
        auto.add_input(&group).unwrap();
        auto.set_selections_evaluated(7);

        let mut merged = manual.clone();
        merged.merge(&auto).unwrap();
        assert_eq!(merged.algo(), SelectionAlgorithm::Bnb);
        assert_eq!(merged.target(), 300);
        assert_eq!(merged.weight(), 272);
        assert_eq!(merged.selected_value(), 3000);
        // One side counts effective values, so the merge does.
        assert_eq!(merged.change(0, 0), 1000 + 1990 - 300);

        auto.merge(&manual).unwrap();
        assert_eq!(auto.algo(), SelectionAlgorithm::Bnb);
        assert_eq!(auto.selections_evaluated(), 7);
    }

    #[test]
    fn lower_waste_wins_then_more_inputs_then_first() {
        let make = |waste_fee: i64, inputs: usize, algo| {
            let mut r = SelectionResult::new(0, algo);
            for _ in 0..inputs {
                add_coin(1000, &mut r, waste_fee, 0);
            }
            // No change (below min viable), excess = value - fee per input.
            r.recalculate_waste(i64::MAX, 0, 0);
            r
        };
        let a = make(10, 1, SelectionAlgorithm::Bnb); // 10 + 990
        let b = make(5, 1, SelectionAlgorithm::Knapsack); // 5 + 995
        assert_eq!(a.waste(), b.waste());
        assert!(!a.is_better_than(&b) && !b.is_better_than(&a));
        let best = best_by_waste(vec![a.clone(), b.clone()]).unwrap();
        assert_eq!(best.algo(), SelectionAlgorithm::Bnb);

        let mut low = SelectionResult::new(1000, SelectionAlgorithm::Srd);
        add_coin(1000, &mut low, 0, 10);
        low.recalculate_waste(i64::MAX, 0, 0);
        assert_eq!(low.waste(), Some(-10));
        let best = best_by_waste(vec![a.clone(), low, b.clone()]).unwrap();
        assert_eq!(best.algo(), SelectionAlgorithm::Srd);

        let mut more = SelectionResult::new(1000, SelectionAlgorithm::Cg);
        add_coin(600, &mut more, 0, 0);
        add_coin(1400, &mut more, 0, 0);
        more.recalculate_waste(i64::MAX, 0, 0);
        assert_eq!(more.waste(), a.waste());
        let best = best_by_waste(vec![a, more, b]).unwrap();
        assert_eq!(best.algo(), SelectionAlgorithm::Cg);
        assert!(best_by_waste(Vec::new()).is_none());
    }

    #[test]
    fn change_target_bounds() {
        let mut rng = SeededRng::new(5);
        assert_eq!(
            generate_change_target(25_000, 100, &mut rng),
            100 + CHANGE_LOWER
        );
        assert_eq!(generate_change_target(0, 7, &mut rng), 7 + CHANGE_LOWER);
        let mut seen_high = false;
        for _ in 0..2000 {
            let t = generate_change_target(40_000, 100, &mut rng);
            assert!((100 + CHANGE_LOWER..100 + 80_000).contains(&t));
            let t = generate_change_target(10 * COIN, 0, &mut rng);
            assert!((CHANGE_LOWER..CHANGE_UPPER).contains(&t));
            seen_high |= t > 900_000;
        }
        assert!(seen_high);
    }

    #[test]
    fn algorithm_names() {
        assert_eq!(SelectionAlgorithm::Bnb.name(), "bnb");
        assert_eq!(SelectionAlgorithm::Knapsack.name(), "knapsack");
        assert_eq!(SelectionAlgorithm::Srd.name(), "srd");
        assert_eq!(SelectionAlgorithm::Cg.name(), "cg");
        assert_eq!(SelectionAlgorithm::Manual.name(), "manual");
    }

    #[test]
    fn shuffled_inputs_keep_the_set() {
        let mut result = SelectionResult::new(0, SelectionAlgorithm::Manual);
        for i in 0..20 {
            add_coin(1000 + i, &mut result, 0, 0);
        }
        let mut rng = SeededRng::new(9);
        let shuffled = result.shuffled_inputs(&mut rng);
        let ordered: Vec<OutPoint> = result.inputs().map(|c| c.outpoint).collect();
        let mut got: Vec<OutPoint> = shuffled.iter().map(|c| c.outpoint).collect();
        assert_ne!(got, ordered);
        got.sort();
        assert_eq!(got, ordered);
    }
}
