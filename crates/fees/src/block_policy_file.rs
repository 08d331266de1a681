//! The block policy estimator's file (`fees/block_policy_estimates.dat`, formerly
//! `fee_estimates.dat`) in Core's exact layout:
//!
//! ```text
//! i32  version required to read (309900)
//! u32  best seen height
//! u32  u32  first and last height of the recorded history
//! vec<f64>  bucket bounds
//! stats × 3 (medium, short, long horizon), each:
//!   f64 decay, u32 scale, vec<f64> fee-rate sums, vec<f64> tx counts,
//!   vec<vec<f64>> confirmed-within counts, vec<vec<f64>> failure counts
//! ```
//!
//! Doubles are their IEEE-754 bits (little-endian u64), vectors a compact size then the
//! elements. Bytes after the last horizon are ignored, as Core ignores them.

use std::fmt;

use crate::block_policy::BlockPolicyEstimator;
use crate::ser::{DecodeError, Reader, Writer};
use crate::stats::{Buckets, ConfirmStats};

/// The format version written, and the lowest one read.
pub const CURRENT_FEES_FILE_VERSION: i32 = 309_900;

/// Why a block policy estimates file was not loaded. The messages are Core's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BlockPolicyFileError {
    /// The bytes ended early or held a malformed size.
    Decode(DecodeError),
    /// Written by a newer format.
    VersionTooHigh(i32),
    /// Written by an older format.
    VersionTooOld(i32),
    /// The recorded history's heights are out of order.
    HistoricalRange,
    /// Fewer than 2 or more than 1000 buckets.
    BucketCount,
    /// A horizon's decay is not strictly between 0 and 1.
    Decay,
    /// A horizon's scale is zero.
    Scale,
    /// A horizon's fee-rate sums do not match the bucket count.
    FeerateAverageCount,
    /// A horizon's transaction counts do not match the bucket count.
    TxCountCount,
    /// A horizon tracks no confirmations, or more than 1008.
    MaxConfirms,
    /// A confirmation row does not match the bucket count.
    ConfAverageCount,
    /// The failure rows do not match the confirmation rows.
    FailurePeriods,
    /// A failure row does not match the bucket count.
    FailureAverageCount,
}

impl fmt::Display for BlockPolicyFileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use BlockPolicyFileError::*;
        match self {
            Decode(e) => write!(f, "{e}"),
            VersionTooHigh(v) => write!(f, "File version ({v}) too high to be read."),
            VersionTooOld(v) => write!(f, "File version ({v}) incompatible: Too old to be read"),
            HistoricalRange => f.write_str("Corrupt estimates file. Historical block range for estimates is invalid"),
            BucketCount => f.write_str("Corrupt estimates file. Must have between 2 and 1000 feerate buckets"),
            Decay => f.write_str("Corrupt estimates file. Decay must be between 0 and 1 (non-inclusive)"),
            Scale => f.write_str("Corrupt estimates file. Scale must be non-zero"),
            FeerateAverageCount => f.write_str("Corrupt estimates file. Mismatch in feerate average bucket count"),
            TxCountCount => f.write_str("Corrupt estimates file. Mismatch in tx count bucket count"),
            MaxConfirms => f.write_str("Corrupt estimates file.  Must maintain estimates for between 1 and 1008 (one week) confirms"),
            ConfAverageCount => f.write_str("Corrupt estimates file. Mismatch in feerate conf average bucket count"),
            FailurePeriods => f.write_str("Corrupt estimates file. Mismatch in confirms tracked for failures"),
            FailureAverageCount => f.write_str("Corrupt estimates file. Mismatch in one of failure average bucket counts"),
        }
    }
}

impl std::error::Error for BlockPolicyFileError {}

impl From<DecodeError> for BlockPolicyFileError {
    fn from(e: DecodeError) -> Self {
        BlockPolicyFileError::Decode(e)
    }
}

impl BlockPolicyEstimator {
    /// The estimator's history as file bytes. The recorded range written is this run's
    /// when it covers more than half the loaded history's span, else the loaded one.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut w = Writer::new();
        w.i32(CURRENT_FEES_FILE_VERSION);
        w.u32(self.best_seen_height);
        if self.block_span() > self.historical_block_span() / 2 {
            w.u32(self.first_recorded_height);
            w.u32(self.best_seen_height);
        } else {
            w.u32(self.historical_first);
            w.u32(self.historical_best);
        }
        w.doubles(self.buckets.bounds());
        self.med_stats.write(&mut w);
        self.short_stats.write(&mut w);
        self.long_stats.write(&mut w);
        w.into_bytes()
    }

    /// Replaces the history with a file's. Nothing changes unless the whole file is valid.
    /// Transactions being tracked stay tracked, as in Core (loading happens at startup,
    /// before any are).
    pub fn load(&mut self, bytes: &[u8]) -> Result<(), BlockPolicyFileError> {
        let mut r = Reader::new(bytes);
        let version = r.i32()?;
        if version > CURRENT_FEES_FILE_VERSION {
            return Err(BlockPolicyFileError::VersionTooHigh(version));
        }
        if version < CURRENT_FEES_FILE_VERSION {
            return Err(BlockPolicyFileError::VersionTooOld(version));
        }
        let best_seen = r.u32()?;
        let hist_first = r.u32()?;
        let hist_best = r.u32()?;
        if hist_first > hist_best || hist_best > best_seen {
            return Err(BlockPolicyFileError::HistoricalRange);
        }
        let bounds = r.doubles()?;
        let n = bounds.len();
        if n <= 1 || n > 1000 {
            return Err(BlockPolicyFileError::BucketCount);
        }
        let med = ConfirmStats::read(&mut r, n)?;
        let short = ConfirmStats::read(&mut r, n)?;
        let long = ConfirmStats::read(&mut r, n)?;

        self.buckets = Buckets::new(bounds);
        self.med_stats = med;
        self.short_stats = short;
        self.long_stats = long;
        self.best_seen_height = best_seen;
        self.historical_first = hist_first;
        self.historical_best = hist_best;
        Ok(())
    }
}
