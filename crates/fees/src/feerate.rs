//! A fee rate kept as an exact fraction of satoshis over virtual bytes (Core's
//! `FeePerVSize` inside `CFeeRate`).

use std::cmp::Ordering;

/// A fee in satoshis paid for `size` virtual bytes. Two values with the same ratio are
/// equal as rates ([`FeePerVSize::cmp_ratio`]) even when their parts differ; a size of
/// zero means "no rate" (Core's empty `FeeFrac`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct FeePerVSize {
    /// Fee in satoshis.
    pub fee: i64,
    /// Size in virtual bytes.
    pub size: i32,
}

impl FeePerVSize {
    /// `fee` satoshis for `size` virtual bytes. A size of zero or less gives the empty
    /// rate, as Core's `CFeeRate(fee, vsize)` does.
    pub fn new(fee: i64, size: i64) -> FeePerVSize {
        match i32::try_from(size) {
            Ok(size) if size > 0 => FeePerVSize { fee, size },
            // Sizes beyond i32 do not occur for transactions; keep the rate, scaled down.
            Err(_) if size > 0 => FeePerVSize {
                fee: scale_fee(fee, size),
                size: 1000,
            },
            _ => FeePerVSize::default(),
        }
    }

    /// A rate of `sats` satoshis per 1000 virtual bytes.
    pub fn from_sat_per_kvb(sats: i64) -> FeePerVSize {
        FeePerVSize {
            fee: sats,
            size: 1000,
        }
    }

    /// Whether this is the empty rate (size zero).
    pub fn is_empty(&self) -> bool {
        self.size == 0
    }

    /// Satoshis for 1000 virtual bytes, rounded towards negative infinity (Core's
    /// `CFeeRate::GetFeePerK`); zero for the empty rate.
    pub fn sat_per_kvb(&self) -> i64 {
        if self.size <= 0 {
            return 0;
        }
        let num = i128::from(self.fee) * 1000;
        let q = num.div_euclid(i128::from(self.size));
        i64::try_from(q).unwrap_or(if q < 0 { i64::MIN } else { i64::MAX })
    }

    /// Compares the two rates as ratios (Core's `ByRatio`): `fee/size` against
    /// `other.fee/other.size`, by cross-multiplication so nothing is rounded.
    pub fn cmp_ratio(&self, other: &FeePerVSize) -> Ordering {
        let a = i128::from(self.fee) * i128::from(other.size);
        let b = i128::from(other.fee) * i128::from(self.size);
        a.cmp(&b)
    }

    /// The higher of two rates by ratio; `self` when they are equal.
    pub fn max_ratio(self, other: FeePerVSize) -> FeePerVSize {
        if other.cmp_ratio(&self) == Ordering::Greater {
            other
        } else {
            self
        }
    }
}

/// `fee * 1000 / size`, saturating, for sizes too large for the fraction's `i32`.
fn scale_fee(fee: i64, size: i64) -> i64 {
    let q = (i128::from(fee) * 1000).div_euclid(i128::from(size));
    i64::try_from(q).unwrap_or(if q < 0 { i64::MIN } else { i64::MAX })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn per_kvb_rounds_down() {
        assert_eq!(FeePerVSize::new(1, 3).sat_per_kvb(), 333);
        assert_eq!(FeePerVSize::new(2000, 192).sat_per_kvb(), 10416);
        assert_eq!(FeePerVSize::new(-1, 3).sat_per_kvb(), -334);
        assert_eq!(FeePerVSize::new(5, 0).sat_per_kvb(), 0);
        assert!(FeePerVSize::new(5, -2).is_empty());
        assert_eq!(FeePerVSize::from_sat_per_kvb(1234).sat_per_kvb(), 1234);
    }

    #[test]
    fn ratio_order() {
        let a = FeePerVSize::new(1, 2);
        let b = FeePerVSize::new(2, 4);
        assert_eq!(a.cmp_ratio(&b), Ordering::Equal);
        assert_ne!(a, b);
        let c = FeePerVSize::new(3, 4);
        assert_eq!(a.cmp_ratio(&c), Ordering::Less);
        assert_eq!(a.max_ratio(c), c);
        assert_eq!(a.max_ratio(b), a);
    }
}
