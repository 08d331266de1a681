//! Output groups: the units the algorithms pick, and how coins are grouped into them.

use std::cmp::Ordering;
use std::collections::BTreeMap;

use crate::coin::{Coin, CoinsResult, OutputType};
use crate::feerate::FeeRate;
use crate::params::{CoinEligibilityFilter, CoinSelectionParams, SelectionFilter};
use crate::{OUTPUT_GROUP_MAX_ENTRIES, WITNESS_SCALE_FACTOR};

/// Coins that are selected together: one coin, or up to
/// [`OUTPUT_GROUP_MAX_ENTRIES`] coins paying the same script when partial spends are avoided
/// (Core's `OutputGroup`). The totals are kept by [`OutputGroup::insert`].
#[derive(Debug, Clone)]
pub struct OutputGroup {
    /// The coins.
    pub outputs: Vec<Coin>,
    /// Whether every coin came from this wallet.
    pub from_me: bool,
    /// Sum of the coins' values.
    pub value: i64,
    /// Fewest confirmations among the coins (999 while empty).
    pub depth: i32,
    /// Unconfirmed ancestors summed over the coins; shared ancestors are counted again, so
    /// this may overestimate.
    pub ancestors: usize,
    /// Largest cluster among the coins.
    pub max_cluster_count: usize,
    /// Sum of the coins' effective values.
    pub effective_value: i64,
    /// Fee to spend the coins at the target rate.
    pub fee: i64,
    /// Fee to spend the coins at the long-term rate.
    pub long_term_fee: i64,
    /// The long-term rate used for `long_term_fee`.
    pub long_term_feerate: FeeRate,
    /// Whether selection counts plain values (recipients pay the fee).
    pub subtract_fee_outputs: bool,
    /// Weight of the coins as inputs; coins of unknown size weigh nothing.
    pub weight: i64,
}

impl Default for OutputGroup {
    fn default() -> OutputGroup {
        OutputGroup {
            outputs: Vec::new(),
            from_me: true,
            value: 0,
            depth: 999,
            ancestors: 0,
            max_cluster_count: 0,
            effective_value: 0,
            fee: 0,
            long_term_fee: 0,
            long_term_feerate: FeeRate::from_sat_per_kvb(0),
            subtract_fee_outputs: false,
            weight: 0,
        }
    }
}

impl OutputGroup {
    /// An empty group taking its long-term rate and fee mode from `params`.
    pub fn new(params: &CoinSelectionParams) -> OutputGroup {
        OutputGroup {
            long_term_feerate: params.long_term_feerate,
            subtract_fee_outputs: params.subtract_fee_outputs,
            ..OutputGroup::default()
        }
    }

    /// Adds `coin`, setting its long-term fee from this group's rate and updating the totals.
    pub fn insert(&mut self, mut coin: Coin) {
        self.fee += coin.fee();
        coin.long_term_fee = if coin.input_bytes < 0 {
            0
        } else {
            self.long_term_feerate.get_fee(coin.input_bytes)
        };
        self.long_term_fee += coin.long_term_fee;
        self.effective_value += coin.effective_value();
        self.from_me &= coin.from_me;
        self.value += coin.value;
        self.depth = self.depth.min(coin.depth);
        // Spending these coins together merges their ancestries and clusters: ancestors add
        // up, and the largest cluster bounds what is merged.
        self.ancestors += coin.ancestors;
        self.max_cluster_count = self.max_cluster_count.max(coin.cluster_count);
        if coin.input_bytes > 0 {
            self.weight += i64::from(coin.input_bytes) * WITNESS_SCALE_FACTOR;
        }
        self.outputs.push(coin);
    }

    /// Whether `filter` lets this group be spent.
    pub fn eligible_for_spending(&self, filter: &CoinEligibilityFilter) -> bool {
        let conf_needed = if self.from_me {
            filter.conf_mine
        } else {
            filter.conf_theirs
        };
        self.depth >= conf_needed
            && self.ancestors as u64 <= filter.max_ancestors
            && self.max_cluster_count as u64 <= filter.max_cluster_count
    }

    /// What the group contributes to the target: its value when recipients pay the fee,
    /// its effective value otherwise.
    pub fn selection_amount(&self) -> i64 {
        if self.subtract_fee_outputs {
            self.value
        } else {
            self.effective_value
        }
    }
}

/// Largest selection amount first; equal amounts put the group that wastes less at this
/// rate first, so BnB can skip the later equal ones.
pub(crate) fn descending(a: &OutputGroup, b: &OutputGroup) -> Ordering {
    let (amount_a, amount_b) = (a.selection_amount(), b.selection_amount());
    if amount_a == amount_b {
        (a.fee - a.long_term_fee).cmp(&(b.fee - b.long_term_fee))
    } else {
        amount_b.cmp(&amount_a)
    }
}

/// Largest selection amount first; equal amounts put the lighter group first, so
/// CoinGrinder can skip the later equal ones.
pub(crate) fn descending_effval_weight(a: &OutputGroup, b: &OutputGroup) -> Ordering {
    let (amount_a, amount_b) = (a.selection_amount(), b.selection_amount());
    if amount_a == amount_b {
        a.weight.cmp(&b.weight)
    } else {
        amount_b.cmp(&amount_a)
    }
}

/// Groups offered to the algorithms: positive ones for those that cannot use a negative
/// group, and every group for knapsack.
#[derive(Debug, Clone, Default)]
pub struct Groups {
    /// Groups whose selection amount is positive.
    pub positive_group: Vec<OutputGroup>,
    /// Groups of any amount.
    pub mixed_group: Vec<OutputGroup>,
}

/// Groups by output type, and all of them together (Core's `OutputGroupTypeMap`).
#[derive(Debug, Clone, Default)]
pub struct OutputGroupTypeMap {
    /// Groups of each output type.
    pub groups_by_type: BTreeMap<OutputType, Groups>,
    /// Every group, whatever its type.
    pub all_groups: Groups,
}

impl OutputGroupTypeMap {
    /// Records `group` under `output_type` and in the overall lists: among the mixed groups
    /// if `insert_mixed`, among the positive ones if `insert_positive` and its amount is
    /// positive. An empty group is ignored; otherwise the type gets an entry even if
    /// nothing is recorded, as in Core.
    pub fn push(
        &mut self,
        group: &OutputGroup,
        output_type: OutputType,
        insert_positive: bool,
        insert_mixed: bool,
    ) {
        if group.outputs.is_empty() {
            return;
        }
        let groups = self.groups_by_type.entry(output_type).or_default();
        if insert_positive && group.selection_amount() > 0 {
            groups.positive_group.push(group.clone());
            self.all_groups.positive_group.push(group.clone());
        }
        if insert_mixed {
            groups.mixed_group.push(group.clone());
            self.all_groups.mixed_group.push(group.clone());
        }
    }

    /// How many output types have groups.
    pub fn types_count(&self) -> usize {
        self.groups_by_type.len()
    }
}

/// The groups each eligibility filter admits.
pub type FilteredOutputGroups = BTreeMap<CoinEligibilityFilter, OutputGroupTypeMap>;

/// A script as a map key, ordered like Core's `CScript`: shorter scripts first, then bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
struct ScriptKey(Vec<u8>);

impl Ord for ScriptKey {
    fn cmp(&self, other: &ScriptKey) -> Ordering {
        self.0
            .len()
            .cmp(&other.0.len())
            .then_with(|| self.0.cmp(&other.0))
    }
}

impl PartialOrd for ScriptKey {
    fn partial_cmp(&self, other: &ScriptKey) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

type ScriptGroups = BTreeMap<(ScriptKey, OutputType), Vec<OutputGroup>>;

/// Groups `coins` and sorts the groups under every filter in `filters` that admits them
/// (Core's `GroupOutputs`). Returns the filtered groups and the groups no filter admitted.
///
/// Without `avoid_partial_spends` each coin is its own group. With it, coins paying the same
/// script (and of the same type) share groups of at most [`OUTPUT_GROUP_MAX_ENTRIES`]; the
/// last, partly filled group of a script is used only by filters that include partial groups
/// when full groups exist. Positive groups are built apart, from coins of positive effective
/// value only, so a dust coin cannot spoil its script's positive group.
pub fn group_outputs(
    coins: &CoinsResult,
    params: &CoinSelectionParams,
    filters: &[SelectionFilter],
) -> (FilteredOutputGroups, Vec<OutputGroup>) {
    let mut filtered = FilteredOutputGroups::new();
    let mut discarded = Vec::new();

    if !params.avoid_partial_spends {
        for (output_type, outputs) in coins.by_type() {
            for output in outputs {
                let mut group = OutputGroup::new(params);
                group.insert(output.clone());
                let mut accepted = false;
                for sel in filters {
                    if !group.eligible_for_spending(&sel.filter) {
                        continue;
                    }
                    filtered
                        .entry(sel.filter)
                        .or_default()
                        .push(&group, *output_type, true, true);
                    accepted = true;
                }
                if !accepted {
                    discarded.push(group);
                }
            }
        }
        return (filtered, discarded);
    }

    let mut all_map = ScriptGroups::new();
    let mut positive_map = ScriptGroups::new();
    for (output_type, outputs) in coins.by_type() {
        for output in outputs {
            if output.effective_value() > 0 {
                insert_by_script(&mut positive_map, output, *output_type, params);
            }
            insert_by_script(&mut all_map, output, *output_type, params);
        }
    }

    push_script_groups(&all_map, false, filters, &mut filtered, &mut discarded);
    push_script_groups(&positive_map, true, filters, &mut filtered, &mut discarded);
    (filtered, discarded)
}

fn insert_by_script(
    map: &mut ScriptGroups,
    output: &Coin,
    output_type: OutputType,
    params: &CoinSelectionParams,
) {
    let groups = map
        .entry((ScriptKey(output.script_pubkey.clone()), output_type))
        .or_default();
    // A full group starts a new one, so very reused scripts do not force huge inputs sets.
    let needs_new = groups
        .last()
        .is_none_or(|g| g.outputs.len() >= OUTPUT_GROUP_MAX_ENTRIES);
    if needs_new {
        groups.push(OutputGroup::new(params));
    }
    if let Some(group) = groups.last_mut() {
        group.insert(output.clone());
    }
}

fn push_script_groups(
    map: &ScriptGroups,
    positive_only: bool,
    filters: &[SelectionFilter],
    filtered: &mut FilteredOutputGroups,
    discarded: &mut Vec<OutputGroup>,
) {
    for ((_, output_type), groups) in map {
        // Newest first, so the partial group (always the last) comes first.
        for (index, group) in groups.iter().enumerate().rev() {
            let is_partial = index + 1 == groups.len() && groups.len() > 1;
            let mut accepted = false;
            for sel in filters {
                if !group.eligible_for_spending(&sel.filter) {
                    continue;
                }
                if is_partial && !sel.filter.include_partial_groups {
                    continue;
                }
                filtered.entry(sel.filter).or_default().push(
                    group,
                    *output_type,
                    positive_only,
                    !positive_only,
                );
                accepted = true;
            }
            if !accepted {
                discarded.push(group.clone());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::{next_outpoint, COIN, P2WPKH_INPUT_VSIZE};

    fn params(avoid_partial: bool) -> CoinSelectionParams {
        CoinSelectionParams {
            min_change_target: crate::testutil::CENT,
            effective_feerate: FeeRate::from_sat_per_kvb(0),
            long_term_feerate: FeeRate::from_sat_per_kvb(0),
            discard_feerate: FeeRate::from_sat_per_kvb(0),
            avoid_partial_spends: avoid_partial,
            ..CoinSelectionParams::default()
        }
    }

    fn add(
        pool: &mut CoinsResult,
        script: u8,
        value: i64,
        from_me: bool,
        feerate: FeeRate,
        depth: i32,
    ) {
        let coin = Coin::new(next_outpoint(), value, P2WPKH_INPUT_VSIZE, feerate)
            .with_script(vec![0x00, 0x14, script])
            .with_from_me(from_me)
            .with_depth(depth);
        pool.add(OutputType::Bech32, coin);
    }

    fn count(
        pool: &CoinsResult,
        filter: CoinEligibilityFilter,
        avoid_partial: bool,
        positive_only: bool,
    ) -> usize {
        let (mut filtered, _) = group_outputs(
            pool,
            &params(avoid_partial),
            &[SelectionFilter::new(filter)],
        );
        let map = filtered.remove(&filter).unwrap_or_default();
        let groups = map
            .groups_by_type
            .get(&OutputType::Bech32)
            .cloned()
            .unwrap_or_default();
        if positive_only {
            groups.positive_group.len()
        } else {
            groups.mixed_group.len()
        }
    }

    fn check(
        pool: &CoinsResult,
        filter: CoinEligibilityFilter,
        with_partial: usize,
        without_partial: usize,
        positive_only: bool,
    ) {
        assert_eq!(count(pool, filter, false, positive_only), with_partial);
        assert_eq!(count(pool, filter, true, positive_only), without_partial);
    }

    #[test]
    fn outputs_grouping() {
        let basic = CoinEligibilityFilter::new(1, 6, 0);
        let zero = FeeRate::from_sat_per_kvb(0);
        let mut pool = CoinsResult::new();

        // Ten coins to one script: ten groups, or one when avoiding partial spends.
        for _ in 0..10 {
            add(&mut pool, 1, 10 * COIN, true, zero, 6);
        }
        check(&pool, basic, 10, 1, true);

        // Ten more to another script.
        for _ in 0..10 {
            add(&mut pool, 2, 5 * COIN, true, zero, 6);
        }
        check(&pool, basic, 20, 2, true);

        // A coin worth less than its fee stays out of the positive groups only.
        add(&mut pool, 3, 1, true, FeeRate::from_sat_per_kvb(100), 6);
        assert!(pool.all().last().is_some_and(|c| c.effective_value() <= 0));
        check(&pool, basic, 20, 2, true);
        check(&pool, basic, 21, 3, false);

        // Too few confirmations for a coin from others, then for our own unconfirmed coin.
        add(&mut pool, 4, 6 * COIN, false, zero, 5);
        check(&pool, basic, 21, 3, false);
        add(&mut pool, 5, 6 * COIN, true, zero, 0);
        check(&pool, basic, 21, 3, false);

        // 101 coins to one script: a full group plus a partial one.
        for _ in 0..101 {
            add(&mut pool, 7, 9 * COIN, true, zero, 6);
        }
        check(&pool, basic, 21 + 101, 4, false);
        let with_partial = CoinEligibilityFilter::new(1, 6, 0).including_partial_groups();
        check(&pool, with_partial, 21 + 101, 5, false);
    }

    #[test]
    fn discarded_groups_are_reported() {
        let mut pool = CoinsResult::new();
        let zero = FeeRate::from_sat_per_kvb(0);
        add(&mut pool, 1, COIN, false, zero, 1);
        add(&mut pool, 2, COIN, false, zero, 6);
        let filter = CoinEligibilityFilter::new(1, 6, 0);
        let (_, discarded) = group_outputs(&pool, &params(false), &[SelectionFilter::new(filter)]);
        assert_eq!(discarded.len(), 1);
        assert_eq!(discarded[0].depth, 1);
        // Avoiding partial spends, a rejected group is reported from both the mixed and the
        // positive pass, as in Core.
        let (_, discarded) = group_outputs(&pool, &params(true), &[SelectionFilter::new(filter)]);
        assert_eq!(discarded.len(), 2);
    }

    #[test]
    fn insert_aggregates() {
        let p = CoinSelectionParams {
            long_term_feerate: FeeRate::from_sat_per_kvb(2000),
            ..CoinSelectionParams::default()
        };
        let mut group = OutputGroup::new(&p);
        let a = Coin::with_fee(next_outpoint(), 1000, 68, 100)
            .with_depth(3)
            .with_from_me(true)
            .with_ancestry(2, 5);
        let b = Coin::with_fee(next_outpoint(), 2000, -1, 0)
            .with_depth(1)
            .with_from_me(false)
            .with_ancestry(3, 4);
        group.insert(a);
        group.insert(b);
        assert_eq!(group.value, 3000);
        assert_eq!(group.fee, 100);
        assert_eq!(group.long_term_fee, 136);
        assert_eq!(group.outputs[0].long_term_fee, 136);
        assert_eq!(group.outputs[1].long_term_fee, 0);
        assert_eq!(group.effective_value, 2900);
        assert_eq!(group.weight, 272);
        assert_eq!(group.depth, 1);
        assert!(!group.from_me);
        assert_eq!(group.ancestors, 5);
        assert_eq!(group.max_cluster_count, 5);

        assert!(group.eligible_for_spending(&CoinEligibilityFilter::new(0, 1, 5)));
        assert!(!group.eligible_for_spending(&CoinEligibilityFilter::new(0, 1, 4)));
        assert!(
            !group.eligible_for_spending(&CoinEligibilityFilter::with_cluster_limit(0, 1, 5, 4))
        );
        assert!(!group.eligible_for_spending(&CoinEligibilityFilter::new(0, 2, 5)));

        assert_eq!(group.selection_amount(), 2900);
        group.subtract_fee_outputs = true;
        assert_eq!(group.selection_amount(), 3000);
    }

    #[test]
    fn push_sorts_positive_and_mixed() {
        let mut map = OutputGroupTypeMap::default();
        map.push(&OutputGroup::default(), OutputType::Legacy, true, true);
        assert_eq!(map.types_count(), 0);

        let mut negative = OutputGroup::default();
        negative.insert(Coin::with_fee(next_outpoint(), 10, 68, 20));
        map.push(&negative, OutputType::Bech32, true, false);
        // The type is recorded even though nothing was added.
        assert_eq!(map.types_count(), 1);
        assert!(map.all_groups.positive_group.is_empty());
        map.push(&negative, OutputType::Bech32, false, true);
        assert_eq!(map.all_groups.mixed_group.len(), 1);

        let mut positive = OutputGroup::default();
        positive.insert(Coin::with_fee(next_outpoint(), 100, 68, 20));
        map.push(&positive, OutputType::Bech32m, true, true);
        assert_eq!(map.types_count(), 2);
        assert_eq!(map.all_groups.positive_group.len(), 1);
        assert_eq!(map.all_groups.mixed_group.len(), 2);
    }

    #[test]
    fn scripts_order_shorter_first() {
        assert!(ScriptKey(vec![0xff]) < ScriptKey(vec![0x00, 0x00]));
        assert!(ScriptKey(vec![0x01, 0x02]) < ScriptKey(vec![0x01, 0x03]));
    }
}
