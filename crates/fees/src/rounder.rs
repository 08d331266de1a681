//! Quantising the fee filter sent to peers (Core's `FeeFilterRounder`): announcing the
//! exact mempool minimum would help fingerprint a node.

/// Rates above this are not distinguished (sat/kvB).
const MAX_FILTER_FEERATE: f64 = 1e7;
/// Ratio between consecutive announced values.
const FEE_FILTER_SPACING: f64 = 1.1;

/// The set of values a fee filter may take.
#[derive(Debug, Clone, PartialEq)]
pub struct FeeFilterRounder {
    /// Ascending.
    fee_set: Vec<f64>,
}

impl FeeFilterRounder {
    /// Values from half the incremental relay fee (at least 1 sat/kvB) up to 1e7 sat/kvB,
    /// spaced by 10%, plus zero.
    pub fn new(min_incremental_fee_per_kvb: i64) -> FeeFilterRounder {
        let min_limit = (min_incremental_fee_per_kvb / 2).max(1);
        let mut fee_set = vec![0.0];
        let mut b = min_limit as f64;
        while b <= MAX_FILTER_FEERATE {
            fee_set.push(b);
            b *= FEE_FILTER_SPACING;
        }
        FeeFilterRounder { fee_set }
    }

    /// Rounds `current_min_fee` (sat/kvB) to a value of the set: the lowest one not below
    /// it, or, two times in three (decided by `random`) and always past the top, the
    /// one beneath.
    pub fn round(&self, current_min_fee: i64, random: u32) -> i64 {
        let fee = current_min_fee as f64;
        let mut i = self.fee_set.partition_point(|v| *v < fee);
        if i == self.fee_set.len() || (i != 0 && !random.is_multiple_of(3)) {
            i = i.saturating_sub(1);
        }
        self.fee_set.get(i).map_or(0, |v| *v as i64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rounds_into_the_set() {
        let r = FeeFilterRounder::new(1000);
        assert_eq!(r.fee_set[0], 0.0);
        assert_eq!(r.fee_set[1], 500.0);
        // Rounded up when random % 3 == 0, else down.
        assert_eq!(r.round(520, 0), 550);
        assert_eq!(r.round(520, 1), 500);
        assert_eq!(r.round(0, 1), 0);
        // Above the top value: always the top value.
        let top = *r.fee_set.last().unwrap_or(&0.0) as i64;
        assert_eq!(r.round(i64::MAX, 0), top);
        for fee in [1, 99, 1234, 99_999, 10_000_000] {
            let v = r.round(fee, 2);
            assert!(r.fee_set.iter().any(|x| *x as i64 == v));
            assert!(v <= fee);
        }
    }
}
