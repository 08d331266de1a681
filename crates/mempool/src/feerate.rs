//! Fee rates as exact fractions (Core's `FeeFrac`, `FeePerVSize`, `CFeeRate`).

use std::cmp::Ordering;
use std::fmt;

/// A fee over a size (virtual bytes or weight units), compared by ratio without rounding.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FeeFrac {
    /// Fee in satoshis.
    pub fee: i64,
    /// Size in the unit of the context.
    pub size: i64,
}

impl FeeFrac {
    /// `fee` over `size`.
    pub fn new(fee: i64, size: i64) -> FeeFrac {
        FeeFrac { fee, size }
    }

    /// The same fee over virtual bytes, for a size in weight units (`ToFeePerVSize`:
    /// the size divided by four, rounded up).
    pub fn per_vsize(&self) -> FeeFrac {
        FeeFrac::new(self.fee, (self.size + 3) / 4)
    }

    /// Whether the fraction has no size (an empty set).
    pub fn is_empty(&self) -> bool {
        self.size == 0
    }

    /// Compares the ratios `fee/size` (an empty fraction counts as the lowest rate).
    pub fn cmp_rate(&self, other: &FeeFrac) -> Ordering {
        let a = i128::from(self.fee) * i128::from(other.size);
        let b = i128::from(other.fee) * i128::from(self.size);
        a.cmp(&b)
    }

    /// The fee at `size`, rounded down (`EvaluateFeeDown`).
    pub fn fee_at_down(&self, size: i64) -> i64 {
        if self.size <= 0 {
            return 0;
        }
        let v = i128::from(self.fee) * i128::from(size);
        v.div_euclid(i128::from(self.size)) as i64
    }

    /// The fee at `size`, rounded up (`EvaluateFeeUp`).
    pub fn fee_at_up(&self, size: i64) -> i64 {
        if self.size <= 0 {
            return 0;
        }
        let v = i128::from(self.fee) * i128::from(size);
        let d = i128::from(self.size);
        (-((-v).div_euclid(d))) as i64
    }
}

impl std::ops::Add for FeeFrac {
    type Output = FeeFrac;
    fn add(self, o: FeeFrac) -> FeeFrac {
        FeeFrac::new(self.fee + o.fee, self.size + o.size)
    }
}

impl std::ops::AddAssign for FeeFrac {
    fn add_assign(&mut self, o: FeeFrac) {
        self.fee += o.fee;
        self.size += o.size;
    }
}

impl std::ops::Sub for FeeFrac {
    type Output = FeeFrac;
    fn sub(self, o: FeeFrac) -> FeeFrac {
        FeeFrac::new(self.fee - o.fee, self.size - o.size)
    }
}

/// A fee rate per virtual byte kept exact (Core's `CFeeRate`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FeeRate(FeeFrac);

impl FeeRate {
    /// A rate of `sat_per_kvb` satoshis per 1,000 virtual bytes.
    pub fn per_kvb(sat_per_kvb: i64) -> FeeRate {
        FeeRate(FeeFrac::new(sat_per_kvb, 1000))
    }

    /// The rate of paying `fee` for `vsize` virtual bytes (zero for no size).
    pub fn from_fee(fee: i64, vsize: i64) -> FeeRate {
        if vsize > 0 {
            FeeRate(FeeFrac::new(fee, vsize))
        } else {
            FeeRate::default()
        }
    }

    /// The fee for `vsize` virtual bytes, rounded up (`CFeeRate::GetFee`).
    pub fn fee(&self, vsize: i64) -> i64 {
        if self.0.size == 0 {
            return 0;
        }
        let fee = self.0.fee_at_up(vsize);
        if fee == 0 && vsize != 0 && self.0.fee < 0 {
            return -1;
        }
        fee
    }

    /// Satoshis per 1,000 virtual bytes, rounded down (`GetFeePerK`).
    pub fn sat_per_kvb(&self) -> i64 {
        self.0.fee_at_down(1000)
    }

    /// The exact fraction.
    pub fn frac(&self) -> FeeFrac {
        self.0
    }
}

impl PartialOrd for FeeRate {
    fn partial_cmp(&self, other: &FeeRate) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for FeeRate {
    fn cmp(&self, other: &FeeRate) -> Ordering {
        self.0.cmp_rate(&other.0)
    }
}

impl fmt::Display for FeeRate {
    /// Core's `CFeeRate::ToString()`: `0.00001000 BTC/kvB`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let k = self.sat_per_kvb();
        let sign = if k < 0 { "-" } else { "" };
        let a = k.unsigned_abs();
        write!(
            f,
            "{sign}{}.{:08} BTC/kvB",
            a / 100_000_000,
            a % 100_000_000
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fees_round_up_and_rates_per_k_round_down() {
        let r = FeeRate::per_kvb(1000);
        assert_eq!(r.fee(141), 141);
        let r = FeeRate::from_fee(1, 3);
        assert_eq!(r.fee(1), 1);
        assert_eq!(r.sat_per_kvb(), 333);
        assert_eq!(FeeRate::per_kvb(-5).fee(1), -1);
        assert_eq!(FeeRate::default().fee(100), 0);
        assert_eq!(FeeRate::per_kvb(1234).to_string(), "0.00001234 BTC/kvB");
    }

    #[test]
    fn rates_compare_exactly() {
        assert!(FeeRate::from_fee(1, 3) > FeeRate::from_fee(333, 1000));
        assert_eq!(
            FeeFrac::new(2, 4).cmp_rate(&FeeFrac::new(1, 2)),
            Ordering::Equal
        );
    }
}
