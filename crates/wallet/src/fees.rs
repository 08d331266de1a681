//! The fee rates the wallet pays (Core's `wallet/fees.cpp`): the required minimum, the
//! rate for a transaction from the caller's choices, estimates and the fallback fee, and
//! the rate below which change is thrown away.

use coinselection::FeeRate;

use crate::coincontrol::{CoinControl, FeeEstimateMode};
use crate::error::WalletError;
use crate::spend::node::NodeView;
use crate::state::WalletOptions;

/// Core's `WALLET_INCREMENTAL_RELAY_FEE`.
pub const WALLET_INCREMENTAL_RELAY_FEE: i64 = 5000;

/// Why a fee rate was chosen (Core's `FeeReason`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FeeReason {
    /// From the node's estimator.
    FeeRateEstimator,
    /// The pool's minimum.
    MempoolMin,
    /// Given by the caller.
    UserSpecified,
    /// `-fallbackfee`.
    Fallback,
    /// The wallet's required minimum.
    Required,
}

impl FeeReason {
    /// Core's `StringForFeeReason`.
    pub fn as_str(&self) -> &'static str {
        match self {
            FeeReason::FeeRateEstimator => "Fee Rate Estimator",
            FeeReason::MempoolMin => "Mempool Min Fee",
            FeeReason::UserSpecified => "User Specified Fee",
            FeeReason::Fallback => "Fallback fee",
            FeeReason::Required => "Minimum Required Fee",
        }
    }
}

/// A chosen fee rate with its reason (Core's `MinimumFeeRateResult`).
#[derive(Debug, Clone, Copy)]
pub struct MinimumFeeRate {
    /// The rate.
    pub fee_rate: FeeRate,
    /// Why.
    pub reason: FeeReason,
    /// The estimator's target, when the estimator chose it.
    pub returned_target: Option<i32>,
}

/// Core's `CFeeRate::ToString(FeeRateFormat::SAT_VB)`: "1.000 sat/vB".
pub fn sat_vb_string(rate: FeeRate) -> String {
    let k = rate.sat_per_kvb();
    format!("{}.{:03} sat/vB", k / 1000, k % 1000)
}

/// `CFeeRate::operator+=`: the sum of both rates per kvB.
pub fn add_rates(a: FeeRate, b: FeeRate) -> FeeRate {
    FeeRate::from_sat_per_kvb(a.sat_per_kvb().saturating_add(b.sat_per_kvb()))
}

fn max_rate(a: FeeRate, b: FeeRate) -> FeeRate {
    if b > a {
        b
    } else {
        a
    }
}

/// `GetRequiredFeeRate`: the larger of `-mintxfee` and the relay minimum.
pub fn required_fee_rate(
    options: &WalletOptions,
    node: &dyn NodeView,
) -> Result<FeeRate, WalletError> {
    Ok(max_rate(
        FeeRate::from_sat_per_kvb(options.min_fee),
        node.relay_min_fee()?,
    ))
}

/// `GetRequiredFee`.
pub fn required_fee(
    options: &WalletOptions,
    node: &dyn NodeView,
    vsize: i32,
) -> Result<i64, WalletError> {
    Ok(required_fee_rate(options, node)?.get_fee(vsize))
}

/// `GetMinimumFeeRate`: the caller's rate (raised to the required one unless overridden),
/// else an estimate for the target, else `-fallbackfee`; then at least the pool's and the
/// required minimum.
pub fn minimum_fee_rate(
    options: &WalletOptions,
    node: &dyn NodeView,
    cc: &CoinControl,
) -> Result<MinimumFeeRate, WalletError> {
    if let Some(rate) = cc.fee_rate {
        if cc.override_fee_rate {
            return Ok(MinimumFeeRate {
                fee_rate: rate,
                reason: FeeReason::UserSpecified,
                returned_target: None,
            });
        }
        let required = required_fee_rate(options, node)?;
        if required > rate {
            return Ok(MinimumFeeRate {
                fee_rate: required,
                reason: FeeReason::Required,
                returned_target: None,
            });
        }
        return Ok(MinimumFeeRate {
            fee_rate: rate,
            reason: FeeReason::UserSpecified,
            returned_target: None,
        });
    }
    let target = cc.confirm_target.unwrap_or(options.confirm_target);
    // Estimates are economical exactly when the transaction signals replaceability.
    let mut conservative = !cc.signal_bip125_rbf.unwrap_or(options.signal_rbf);
    match cc.fee_mode {
        FeeEstimateMode::Conservative => conservative = true,
        FeeEstimateMode::Economical => conservative = false,
        FeeEstimateMode::Unset => {}
    }
    let estimate = node.fee_estimate(target, conservative)?;
    let mut rate = estimate.fee_rate;
    let mut reason = FeeReason::FeeRateEstimator;
    let mut returned_target = Some(estimate.returned_target);
    if rate == FeeRate::from_sat_per_kvb(0) {
        rate = FeeRate::from_sat_per_kvb(options.fallback_fee);
        reason = FeeReason::Fallback;
        returned_target = None;
        if options.fallback_fee == 0 {
            return Ok(MinimumFeeRate {
                fee_rate: rate,
                reason,
                returned_target: None,
            });
        }
    }
    let pool_min = node.mempool_min_fee()?;
    if rate < pool_min {
        rate = pool_min;
        reason = FeeReason::MempoolMin;
        returned_target = None;
    }
    let required = required_fee_rate(options, node)?;
    if required > rate {
        return Ok(MinimumFeeRate {
            fee_rate: required,
            reason: FeeReason::Required,
            returned_target: None,
        });
    }
    Ok(MinimumFeeRate {
        fee_rate: rate,
        reason,
        returned_target,
    })
}

/// `GetDiscardRate`: `-discardfee`, lowered to the longest-target estimate when there is
/// one, and never below the dust relay rate.
pub fn discard_rate(options: &WalletOptions, node: &dyn NodeView) -> Result<FeeRate, WalletError> {
    let highest = node.max_estimate_target()?;
    let estimate = node.fee_estimate(highest, false)?.fee_rate;
    let wallet_rate = FeeRate::from_sat_per_kvb(options.discard_rate);
    // No estimate, or one above the wallet's rate: the wallet's rate.
    let rate = if estimate == FeeRate::from_sat_per_kvb(0) || wallet_rate < estimate {
        wallet_rate
    } else {
        estimate
    };
    Ok(max_rate(rate, node.relay_dust_fee()?))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::spend::testnode::FakeNode;

    fn opts() -> WalletOptions {
        WalletOptions::default()
    }

    #[test]
    fn user_rate_is_raised_to_the_required_minimum() {
        let node = FakeNode::default();
        let mut cc = CoinControl::default();
        cc.fee_rate = Some(FeeRate::from_sat_per_kvb(500));
        let r = minimum_fee_rate(&opts(), &node, &cc).unwrap();
        assert_eq!(r.fee_rate, FeeRate::from_sat_per_kvb(1000));
        assert_eq!(r.reason, FeeReason::Required);
        cc.override_fee_rate = true;
        let r = minimum_fee_rate(&opts(), &node, &cc).unwrap();
        assert_eq!(r.fee_rate, FeeRate::from_sat_per_kvb(500));
        assert_eq!(r.reason, FeeReason::UserSpecified);
    }

    #[test]
    fn fallback_applies_without_estimates() {
        let node = FakeNode::default();
        let cc = CoinControl::default();
        let r = minimum_fee_rate(&opts(), &node, &cc).unwrap();
        assert_eq!(r.reason, FeeReason::Fallback);
        assert_eq!(r.fee_rate.sat_per_kvb(), 0);
        let mut o = opts();
        o.fallback_fee = 20_000;
        let r = minimum_fee_rate(&o, &node, &cc).unwrap();
        assert_eq!(r.reason, FeeReason::Fallback);
        assert_eq!(r.fee_rate.sat_per_kvb(), 20_000);
        let mut node = FakeNode {
            mempool_min: 30_000,
            ..FakeNode::default()
        };
        let r = minimum_fee_rate(&o, &node, &cc).unwrap();
        assert_eq!(r.reason, FeeReason::MempoolMin);
        node.estimate = 40_000;
        let r = minimum_fee_rate(&o, &node, &cc).unwrap();
        assert_eq!(r.reason, FeeReason::FeeRateEstimator);
        assert_eq!(r.returned_target, Some(6));
    }

    #[test]
    fn discard_rate_is_bounded_by_estimate_and_dust_rate() {
        let mut node = FakeNode::default();
        assert_eq!(discard_rate(&opts(), &node).unwrap().sat_per_kvb(), 10_000);
        node.estimate = 4000;
        assert_eq!(discard_rate(&opts(), &node).unwrap().sat_per_kvb(), 4000);
        node.estimate = 2000;
        assert_eq!(discard_rate(&opts(), &node).unwrap().sat_per_kvb(), 3000);
    }

    #[test]
    fn rate_text_is_cores() {
        assert_eq!(
            sat_vb_string(FeeRate::from_sat_per_kvb(1234)),
            "1.234 sat/vB"
        );
        assert_eq!(sat_vb_string(FeeRate::from_sat_per_kvb(10)), "0.010 sat/vB");
    }
}
