//! Fee rates as exact fractions, with Core's rounding when turned into fees.

use std::cmp::Ordering;

/// A fee rate: `fee` satoshis per `size` virtual bytes, kept as an exact fraction the way
/// Core's `CFeeRate` keeps a `FeePerVSize`.
///
/// A size of zero is the "empty" rate of a default-constructed `CFeeRate`: it charges
/// nothing and, because rates compare by cross-multiplication, it compares equal to every
/// other rate. [`FeeRate::from_sat_per_kvb`] is the usual constructor.
#[derive(Debug, Clone, Copy, Default)]
pub struct FeeRate {
    fee: i64,
    size: i32,
}

impl FeeRate {
    /// A rate of `sats` satoshis per 1000 virtual bytes (Core's `CFeeRate(CAmount)`).
    pub const fn from_sat_per_kvb(sats: i64) -> FeeRate {
        FeeRate {
            fee: sats,
            size: 1000,
        }
    }

    /// `fee` satoshis paid for `vbytes` virtual bytes; a size of zero or less gives the empty
    /// rate, as Core's `CFeeRate(fee, virtual_bytes)` does.
    pub fn new(fee: i64, vbytes: i32) -> FeeRate {
        if vbytes > 0 {
            FeeRate { fee, size: vbytes }
        } else {
            FeeRate::default()
        }
    }

    /// The fraction's numerator (satoshis).
    pub fn fee(&self) -> i64 {
        self.fee
    }

    /// The fraction's denominator (virtual bytes); zero for the empty rate.
    pub fn size(&self) -> i32 {
        self.size
    }

    /// Whether this is the empty rate (denominator zero).
    pub fn is_empty(&self) -> bool {
        self.size == 0
    }

    /// The fee in satoshis for `vbytes` virtual bytes, rounded up to a whole satoshi
    /// (Core's `CFeeRate::GetFee`).
    ///
    /// A negative rate that would round to zero gives -1 instead, as Core does, so a negative
    /// rate never looks free.
    pub fn get_fee(&self, vbytes: i32) -> i64 {
        if self.size <= 0 {
            return 0;
        }
        let numerator = i128::from(self.fee) * i128::from(vbytes);
        let size = i128::from(self.size);
        let mut fee = numerator.div_euclid(size);
        if numerator.rem_euclid(size) != 0 {
            fee += 1;
        }
        let fee = clamp_to_i64(fee);
        if fee == 0 && vbytes != 0 && self.fee < 0 {
            return -1;
        }
        fee
    }

    /// Satoshis per 1000 virtual bytes, rounded down (Core's `GetFeePerK`).
    pub fn sat_per_kvb(&self) -> i64 {
        if self.size <= 0 {
            return 0;
        }
        let numerator = i128::from(self.fee) * 1000;
        clamp_to_i64(numerator.div_euclid(i128::from(self.size)))
    }

    /// This rate multiplied by `factor` (Core's `int * CFeeRate`): the numerator is scaled,
    /// the denominator kept.
    pub fn scaled(&self, factor: i64) -> FeeRate {
        FeeRate::new(self.fee.saturating_mul(factor), self.size)
    }

    fn cmp_ratio(&self, other: &FeeRate) -> Ordering {
        let a = i128::from(self.fee) * i128::from(other.size);
        let b = i128::from(other.fee) * i128::from(self.size);
        a.cmp(&b)
    }
}

fn clamp_to_i64(v: i128) -> i64 {
    i64::try_from(v).unwrap_or(if v < 0 { i64::MIN } else { i64::MAX })
}

// Rates compare as ratios, like Core's `ByRatio`: 1/2 equals 2/4. That is why these are
// hand-written and why there is no `Eq`/`Ord` (the empty rate equals everything).
impl PartialEq for FeeRate {
    fn eq(&self, other: &FeeRate) -> bool {
        self.cmp_ratio(other) == Ordering::Equal
    }
}

impl PartialOrd for FeeRate {
    fn partial_cmp(&self, other: &FeeRate) -> Option<Ordering> {
        Some(self.cmp_ratio(other))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn get_fee_rounds_up_to_whole_satoshis() {
        assert_eq!(FeeRate::from_sat_per_kvb(1000).get_fee(148), 148);
        assert_eq!(FeeRate::from_sat_per_kvb(99).get_fee(68), 7); // 6.732
        assert_eq!(FeeRate::from_sat_per_kvb(1).get_fee(1), 1); // 0.001
        assert_eq!(FeeRate::from_sat_per_kvb(5000).get_fee(31), 155);
        assert_eq!(FeeRate::from_sat_per_kvb(3000).get_fee(68), 204);
        assert_eq!(FeeRate::from_sat_per_kvb(100_000).get_fee(148), 14_800);
        assert_eq!(FeeRate::from_sat_per_kvb(3000).get_fee(37), 111);
        assert_eq!(FeeRate::from_sat_per_kvb(1234).get_fee(0), 0);
        assert_eq!(FeeRate::new(1, 3).get_fee(1), 1);
        assert_eq!(FeeRate::new(10, 3).get_fee(3), 10);
    }

    #[test]
    fn negative_rates_round_towards_positive_but_never_to_zero() {
        assert_eq!(FeeRate::from_sat_per_kvb(-1).get_fee(1), -1);
        assert_eq!(FeeRate::from_sat_per_kvb(-1500).get_fee(1), -1);
        assert_eq!(FeeRate::from_sat_per_kvb(-1500).get_fee(2), -3);
        assert_eq!(FeeRate::from_sat_per_kvb(-1000).get_fee(0), 0);
    }

    #[test]
    fn empty_rate_charges_nothing() {
        let empty = FeeRate::default();
        assert!(empty.is_empty());
        assert_eq!(empty.get_fee(1000), 0);
        assert_eq!(FeeRate::new(500, 0).get_fee(10), 0);
        assert_eq!(FeeRate::new(500, -3).size(), 0);
        assert!(!FeeRate::from_sat_per_kvb(0).is_empty());
    }

    #[test]
    fn rates_compare_as_ratios() {
        assert_eq!(FeeRate::new(1, 2), FeeRate::new(2, 4));
        assert!(FeeRate::from_sat_per_kvb(30_001) > FeeRate::from_sat_per_kvb(10_000).scaled(3));
        assert!(FeeRate::from_sat_per_kvb(30_000) <= FeeRate::from_sat_per_kvb(10_000).scaled(3));
        assert!(FeeRate::new(2, 1) > FeeRate::from_sat_per_kvb(1999));
        assert_eq!(FeeRate::new(2, 1).sat_per_kvb(), 2000);
        assert_eq!(FeeRate::new(1, 3).sat_per_kvb(), 333);
    }
}
