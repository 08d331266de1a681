//! The mempool estimator's file (`fees/mempool_policy_estimator.dat`) in Core's layout:
//!
//! ```text
//! i32  version (1)
//! vec<(u64 height, u64 weight from the mempool, u64 block weight)>  recent blocks
//! [u8; 32]  hash of the last of those blocks
//! ```

use std::fmt;

use bitcoin::hashes::Hash;
use bitcoin::BlockHash;

use crate::mempool_policy::{
    MempoolPolicyEstimator, MinedBlockStats, MEMPOOL_HEALTH_WINDOW_BLOCKS,
};
use crate::ser::{DecodeError, Reader, Writer};

/// The format version written and read.
pub const CURRENT_MEMPOOL_ESTIMATOR_VERSION: i32 = 1;

/// Why a mempool estimator file was not loaded. The messages are Core's warnings
/// without their `mempool_policy: ` prefix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MempoolFileError {
    /// The bytes ended early or held a malformed size.
    Decode(DecodeError),
    /// Another format version.
    UnsupportedVersion(i32),
    /// More blocks than the window holds.
    TooManyBlocks,
    /// Heights with a gap.
    NonConsecutive {
        /// The height that should have come next.
        expected: u64,
        /// The height found.
        found: u64,
    },
    /// The node has no active tip to compare with.
    NoActiveTip {
        /// Height of the file's last block.
        height: u64,
        /// The file's tip hash.
        hash: BlockHash,
    },
    /// The file ends at another block than the active tip.
    TipMismatch {
        /// Height of the file's last block.
        height: u64,
        /// The file's tip hash.
        hash: BlockHash,
        /// The active tip's height.
        tip_height: u32,
        /// The active tip's hash.
        tip_hash: BlockHash,
    },
}

impl fmt::Display for MempoolFileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use MempoolFileError::*;
        match self {
            Decode(_) => f.write_str("Unable to read mined-block stats from stream (non-fatal)"),
            UnsupportedVersion(_) => f.write_str("file version not supported; continuing anyway"),
            TooManyBlocks => write!(
                f,
                "Number of previously mined blocks read exceeds the maximum of {MEMPOOL_HEALTH_WINDOW_BLOCKS}; ignoring file"
            ),
            NonConsecutive { expected, found } => write!(
                f,
                "Non-consecutive block heights read, expected height {expected} but found {found}; ignoring file"
            ),
            NoActiveTip { height, hash } => write!(
                f,
                "Mined-block stats read end at height {height} block {hash}, but there is no active chain tip; ignoring file"
            ),
            TipMismatch {
                height,
                hash,
                tip_height,
                tip_hash,
            } => write!(
                f,
                "Mined-block stats read end at height {height} block {hash}, but the active chain tip is height {tip_height} block {tip_hash}; ignoring file"
            ),
        }
    }
}

impl std::error::Error for MempoolFileError {}

impl From<DecodeError> for MempoolFileError {
    fn from(e: DecodeError) -> Self {
        MempoolFileError::Decode(e)
    }
}

impl MempoolPolicyEstimator {
    /// The recent-block window as file bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut w = Writer::new();
        w.i32(CURRENT_MEMPOOL_ESTIMATOR_VERSION);
        w.compact_size(self.prev_mined_blocks.len() as u64);
        for b in &self.prev_mined_blocks {
            w.u64(b.height);
            w.u64(b.removed_block_txs_weight);
            w.u64(b.block_weight);
        }
        w.bytes(self.mined_blocks_tip.as_byte_array());
        w.into_bytes()
    }

    /// Replaces the window with a file's, which must end at the active tip
    /// (`active_tip`: height and hash, `None` without a chain). Nothing changes unless
    /// the file is accepted.
    pub fn load(
        &mut self,
        bytes: &[u8],
        active_tip: Option<(u32, BlockHash)>,
    ) -> Result<(), MempoolFileError> {
        let mut r = Reader::new(bytes);
        let version = r.i32()?;
        if version != CURRENT_MEMPOOL_ESTIMATOR_VERSION {
            return Err(MempoolFileError::UnsupportedVersion(version));
        }
        let n = r.count(24)?;
        let mut blocks = Vec::with_capacity(n);
        for _ in 0..n {
            blocks.push(MinedBlockStats {
                height: r.u64()?,
                removed_block_txs_weight: r.u64()?,
                block_weight: r.u64()?,
            });
        }
        let tip = BlockHash::from_byte_array(r.bytes32()?);
        if blocks.len() > MEMPOOL_HEALTH_WINDOW_BLOCKS {
            return Err(MempoolFileError::TooManyBlocks);
        }
        for pair in blocks.windows(2) {
            let expected = pair[0].height.wrapping_add(1);
            if pair[1].height != expected {
                return Err(MempoolFileError::NonConsecutive {
                    expected,
                    found: pair[1].height,
                });
            }
        }
        if let Some(last) = blocks.last() {
            let Some((tip_height, tip_hash)) = active_tip else {
                return Err(MempoolFileError::NoActiveTip {
                    height: last.height,
                    hash: tip,
                });
            };
            if last.height != u64::from(tip_height) || tip != tip_hash {
                return Err(MempoolFileError::TipMismatch {
                    height: last.height,
                    hash: tip,
                    tip_height,
                    tip_hash,
                });
            }
        }
        self.prev_mined_blocks = blocks;
        self.mined_blocks_tip = tip;
        self.clear_cache();
        Ok(())
    }
}
