//! Helpers shared by the unit tests.

use std::sync::atomic::{AtomicU64, Ordering};

use crate::coin::{Coin, OutPoint};
use crate::feerate::FeeRate;
use crate::group::OutputGroup;
use crate::params::CoinSelectionParams;
use crate::result::SelectionResult;

pub const CENT: i64 = 1_000_000;
pub const COIN: i64 = 100_000_000;
/// Size of a P2WPKH input, which Core's tests use for spendable coins.
pub const P2WPKH_INPUT_VSIZE: i32 = 68;
pub const P2WPKH_OUTPUT_VSIZE: i32 = 31;

static NEXT_TXID: AtomicU64 = AtomicU64::new(1);

/// A fresh outpoint, unique across the whole test run.
pub fn next_outpoint() -> OutPoint {
    let n = NEXT_TXID.fetch_add(1, Ordering::Relaxed);
    let mut txid = [0u8; 32];
    txid[..8].copy_from_slice(&n.to_le_bytes());
    txid[31] = 0xab;
    OutPoint::new(txid, 0)
}

/// One group holding one coin of `input_bytes`, priced at the params' effective rate; its
/// effective value is `amount` when `is_eff_value`, else its value is.
pub fn make_group(
    amount: i64,
    is_eff_value: bool,
    params: &CoinSelectionParams,
    input_bytes: i32,
) -> OutputGroup {
    let fee = params.effective_feerate.get_fee(input_bytes);
    let value = if is_eff_value { amount + fee } else { amount };
    let coin = Coin::with_fee(next_outpoint(), value, input_bytes, fee).with_depth(1);
    let mut group = OutputGroup::new(params);
    group.insert(coin);
    group
}

/// A wallet coin as Core's wallet tests make them: `spendable` coins have a P2WPKH input
/// size, others an unknown one; `custom_size` overrides the size when non-zero.
pub fn wallet_coin(
    value: i64,
    feerate: FeeRate,
    depth: i32,
    from_me: bool,
    spendable: bool,
    custom_size: i32,
) -> Coin {
    let input_bytes = if custom_size != 0 {
        custom_size
    } else if spendable {
        P2WPKH_INPUT_VSIZE
    } else {
        -1
    };
    Coin::new(next_outpoint(), value, input_bytes, feerate)
        .with_depth(depth)
        .with_from_me(from_me)
}

/// The input values of a result, sorted.
pub fn input_values(result: &SelectionResult) -> Vec<i64> {
    let mut values: Vec<i64> = result.inputs().map(|c| c.value).collect();
    values.sort_unstable();
    values
}

/// One group per coin, without ancestry, as Core's `GroupCoins` test helper builds them.
pub fn group_coins(coins: &[Coin], subtract_fee_outputs: bool) -> Vec<OutputGroup> {
    coins
        .iter()
        .map(|coin| {
            let mut group = OutputGroup::default();
            group.insert(coin.clone());
            group.subtract_fee_outputs = subtract_fee_outputs;
            group
        })
        .collect()
}

/// Core's default parameters for these tests: P2WPKH change, long-term rate 10 s/vB,
/// discard rate 3 s/vB.
pub fn cs_params(eff_feerate: i64) -> CoinSelectionParams {
    let mut p = CoinSelectionParams {
        change_output_size: P2WPKH_OUTPUT_VSIZE,
        change_spend_size: P2WPKH_INPUT_VSIZE,
        min_change_target: 50_000,
        effective_feerate: FeeRate::from_sat_per_kvb(eff_feerate),
        long_term_feerate: FeeRate::from_sat_per_kvb(10_000),
        discard_feerate: FeeRate::from_sat_per_kvb(3000),
        tx_noinputs_size: 11 + P2WPKH_OUTPUT_VSIZE,
        ..CoinSelectionParams::default()
    };
    p.change_fee = p.effective_feerate.get_fee(p.change_output_size);
    p.min_viable_change = p.discard_feerate.get_fee(p.change_spend_size);
    p.cost_of_change = p.min_viable_change + p.change_fee;
    p
}
