//! What an estimate is and which estimator gave it (Core's `util/fees.h`), and the
//! estimate modes callers choose between (Core's `FeeEstimateMode` and its names).

use std::cmp::Ordering;
use std::fmt;

use crate::feerate::FeePerVSize;

/// Which estimator produced (or is asked for) an estimate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FeeRateEstimatorType {
    /// No particular one: the manager combines them.
    None,
    /// The estimator that learns from how long transactions took to confirm.
    BlockPolicy,
    /// The estimator that reads the next block template built from the mempool.
    MempoolPolicy,
}

impl FeeRateEstimatorType {
    /// The name RPC results and log lines use.
    pub fn as_str(self) -> &'static str {
        match self {
            FeeRateEstimatorType::None => "none",
            FeeRateEstimatorType::BlockPolicy => "block_policy",
            FeeRateEstimatorType::MempoolPolicy => "mempool_policy",
        }
    }

    /// Parses a name case-insensitively; anything unknown means [`Self::None`], as in
    /// Core.
    pub fn from_name(name: &str) -> FeeRateEstimatorType {
        match name.to_ascii_lowercase().as_str() {
            "block_policy" => FeeRateEstimatorType::BlockPolicy,
            "mempool_policy" => FeeRateEstimatorType::MempoolPolicy,
            _ => FeeRateEstimatorType::None,
        }
    }
}

impl fmt::Display for FeeRateEstimatorType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A successful estimate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FeeRateEstimation {
    /// The estimator that produced it.
    pub estimator: FeeRateEstimatorType,
    /// The rate expected to confirm within `returned_target` blocks.
    pub feerate: FeePerVSize,
    /// The target the estimate is actually for (it may differ from the one asked).
    pub returned_target: u32,
}

impl FeeRateEstimation {
    /// Orders estimates by their rate alone.
    pub fn cmp_feerate(&self, other: &FeeRateEstimation) -> Ordering {
        self.feerate.cmp_ratio(&other.feerate)
    }
}

/// A failed estimate: the estimator and target it concerned, and why it failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeeRateEstimationError {
    /// The estimator that failed.
    pub estimator: FeeRateEstimatorType,
    /// The target it would have answered for (RPC reports it as `blocks`).
    pub returned_target: u32,
    /// The reason, as RPC shows it in `errors`.
    pub reason: String,
}

impl FeeRateEstimationError {
    /// An error from `estimator` for `returned_target`.
    pub fn new(
        estimator: FeeRateEstimatorType,
        returned_target: u32,
        reason: impl Into<String>,
    ) -> FeeRateEstimationError {
        FeeRateEstimationError {
            estimator,
            returned_target,
            reason: reason.into(),
        }
    }
}

impl fmt::Display for FeeRateEstimationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.reason)
    }
}

impl std::error::Error for FeeRateEstimationError {}

/// The result of asking an estimator.
pub type EstimateResult = Result<FeeRateEstimation, FeeRateEstimationError>;

/// The target an estimate result answers for, success or not (what RPC's `blocks` shows).
pub fn returned_target(result: &EstimateResult) -> u32 {
    match result {
        Ok(e) => e.returned_target,
        Err(e) => e.returned_target,
    }
}

/// How cautious an estimate should be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FeeEstimateMode {
    /// Left to the caller's defaults.
    Unset,
    /// Willing to return lower rates.
    Economical,
    /// Also consults longer histories, so may return higher rates.
    Conservative,
}

/// The modes in the order Core lists them, with their names.
pub const FEE_MODES: [(&str, FeeEstimateMode); 3] = [
    ("unset", FeeEstimateMode::Unset),
    ("economical", FeeEstimateMode::Economical),
    ("conservative", FeeEstimateMode::Conservative),
];

impl FeeEstimateMode {
    /// Parses a mode name, ignoring ASCII case.
    pub fn from_name(name: &str) -> Option<FeeEstimateMode> {
        FEE_MODES
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, m)| *m)
    }

    /// Whether an estimate in this mode is conservative.
    pub fn is_conservative(self) -> bool {
        self == FeeEstimateMode::Conservative
    }
}

/// The mode names joined by `delimiter` (Core's `FeeModes`).
pub fn fee_modes(delimiter: &str) -> String {
    FEE_MODES
        .iter()
        .map(|(n, _)| *n)
        .collect::<Vec<_>>()
        .join(delimiter)
}

/// The RPC error for an unknown mode (Core's `InvalidEstimateModeErrorMessage`).
pub fn invalid_estimate_mode_message() -> String {
    format!(
        "Invalid estimate_mode parameter, must be one of: \"{}\"",
        fee_modes("\", \"")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn estimator_names() {
        for t in [
            FeeRateEstimatorType::None,
            FeeRateEstimatorType::BlockPolicy,
            FeeRateEstimatorType::MempoolPolicy,
        ] {
            assert_eq!(FeeRateEstimatorType::from_name(t.as_str()), t);
        }
        assert_eq!(
            FeeRateEstimatorType::from_name("Block_Policy"),
            FeeRateEstimatorType::BlockPolicy
        );
        assert_eq!(
            FeeRateEstimatorType::from_name("unknown"),
            FeeRateEstimatorType::None
        );
    }

    #[test]
    fn modes() {
        assert_eq!(
            FeeEstimateMode::from_name("CONSERVATIVE"),
            Some(FeeEstimateMode::Conservative)
        );
        assert_eq!(
            FeeEstimateMode::from_name("unset"),
            Some(FeeEstimateMode::Unset)
        );
        assert_eq!(FeeEstimateMode::from_name("foo"), None);
        assert_eq!(
            invalid_estimate_mode_message(),
            "Invalid estimate_mode parameter, must be one of: \"unset\", \"economical\", \"conservative\""
        );
    }
}
