//! Block validation with Core's reject reasons: checks that need no context
//! ([`check_block`], `CheckBlock`), checks against the parent ([`contextual_check_block`],
//! `ContextualCheckBlock`), connecting a block to the coins it spends ([`connect_block`],
//! `ConnectBlock`) and undoing that ([`disconnect_block`], `DisconnectBlock`). No I/O: the
//! caller supplies the coins and the chain's times, and applies the returned change sets.

pub(crate) mod checks;
mod connect;
mod disconnect;
pub(crate) mod merkle;
mod signet;

#[cfg(test)]
mod tests;

pub use checks::{
    block_mutation, check_block, contextual_check_block, is_block_mutated, PrevBlock,
};
pub use connect::{
    apply_block_unchecked, bip30_checked, connect_block, CoinsView, ConnectContext, ConnectedBlock,
};
pub use disconnect::{disconnect_block, DisconnectError, DisconnectedBlock};
pub use merkle::{block_merkle_root, witness_commitment_index, WITNESS_COMMITMENT_HEADER};
pub use signet::check_signet_solution;

use bitcoin::{OutPoint, Txid, Wtxid};
use consensus::script::ScriptError;
use consensus::tx::{TxCheckError, TxInputsError};

/// Largest sigop cost a block may carry (`MAX_BLOCK_SIGOPS_COST`).
pub const MAX_BLOCK_SIGOPS_COST: i64 = 80_000;

/// Why a block is invalid. [`BlockError::reason`] is Core's reject reason and
/// [`BlockError::debug_message`] its debug text.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum BlockError {
    /// The hash does not meet the target of its bits.
    HighHash,
    /// A signet block without a valid solution to the network's challenge.
    SignetSolution,
    /// The header's merkle root is not the transactions'.
    BadMerkleRoot,
    /// The transaction list repeats a subtree (CVE-2012-2459).
    DuplicateTx,
    /// No transactions, or too many bytes without witnesses.
    BadLength,
    /// The first transaction is not a coinbase.
    CoinbaseMissing,
    /// A coinbase after the first transaction.
    CoinbaseMultiple,
    /// A transaction fails the context-free checks.
    Transaction {
        /// The transaction.
        txid: Txid,
        /// What is wrong with it.
        error: TxCheckError,
    },
    /// Too many legacy sigops (counted without context).
    LegacySigops,
    /// A transaction whose lock time has not passed.
    NonFinal,
    /// The coinbase does not start with the block height (BIP34).
    BadCoinbaseHeight,
    /// The coinbase witness is not one 32-byte reserved value.
    WitnessNonceSize,
    /// The witness commitment does not match the witnesses.
    WitnessMerkleMatch,
    /// Witness data in a block without a witness commitment.
    UnexpectedWitness,
    /// Heavier than the weight limit.
    Weight,
    /// A transaction would overwrite unspent outputs of an earlier one (BIP30).
    Bip30,
    /// A transaction's inputs are missing, immature or do not add up.
    Inputs {
        /// The transaction.
        txid: Txid,
        /// What is wrong.
        error: TxInputsError,
    },
    /// The sum of fees is out of the money range.
    AccumulatedFeeOutOfRange,
    /// A transaction whose relative lock times (BIP68) have not passed.
    SequenceLocks {
        /// The transaction.
        txid: Txid,
    },
    /// Too many sigops, counted with the spent outputs.
    Sigops,
    /// An input's script failed.
    Script {
        /// The transaction.
        txid: Txid,
        /// Its witness hash.
        wtxid: Wtxid,
        /// The input.
        input: usize,
        /// The output it spends.
        prevout: OutPoint,
        /// Why.
        error: ScriptError,
    },
    /// The coinbase claims more than subsidy plus fees.
    CoinbaseAmount {
        /// What it pays.
        actual: i64,
        /// What it may pay.
        limit: i64,
    },
}

impl BlockError {
    /// Core's reject reason.
    pub fn reason(&self) -> String {
        match self {
            BlockError::HighHash => "high-hash".into(),
            BlockError::SignetSolution => "bad-signet-blksig".into(),
            BlockError::BadMerkleRoot => "bad-txnmrklroot".into(),
            BlockError::DuplicateTx => "bad-txns-duplicate".into(),
            BlockError::BadLength => "bad-blk-length".into(),
            BlockError::CoinbaseMissing => "bad-cb-missing".into(),
            BlockError::CoinbaseMultiple => "bad-cb-multiple".into(),
            BlockError::Transaction { error, .. } => error.reason().into(),
            BlockError::LegacySigops | BlockError::Sigops => "bad-blk-sigops".into(),
            BlockError::NonFinal | BlockError::SequenceLocks { .. } => "bad-txns-nonfinal".into(),
            BlockError::BadCoinbaseHeight => "bad-cb-height".into(),
            BlockError::WitnessNonceSize => "bad-witness-nonce-size".into(),
            BlockError::WitnessMerkleMatch => "bad-witness-merkle-match".into(),
            BlockError::UnexpectedWitness => "unexpected-witness".into(),
            BlockError::Weight => "bad-blk-weight".into(),
            BlockError::Bip30 => "bad-txns-BIP30".into(),
            BlockError::Inputs { error, .. } => error.reason().into(),
            BlockError::AccumulatedFeeOutOfRange => "bad-txns-accumulated-fee-outofrange".into(),
            BlockError::Script { error, .. } => {
                format!("block-script-verify-flag-failed ({})", error.message())
            }
            BlockError::CoinbaseAmount { .. } => "bad-cb-amount".into(),
        }
    }

    /// Core's debug message.
    pub fn debug_message(&self) -> String {
        match self {
            BlockError::HighHash => "proof of work failed".into(),
            BlockError::SignetSolution => "signet block signature validation failure".into(),
            BlockError::BadMerkleRoot => "hashMerkleRoot mismatch".into(),
            BlockError::DuplicateTx => "duplicate transaction".into(),
            BlockError::BadLength => "size limits failed".into(),
            BlockError::CoinbaseMissing => "first tx is not coinbase".into(),
            BlockError::CoinbaseMultiple => "more than one coinbase".into(),
            BlockError::Transaction { txid, .. } => {
                format!("Transaction check failed (tx hash {txid}) ")
            }
            BlockError::LegacySigops => "out-of-bounds SigOpCount".into(),
            BlockError::NonFinal => "non-final transaction".into(),
            BlockError::BadCoinbaseHeight => "block height mismatch in coinbase".into(),
            BlockError::WitnessNonceSize => {
                "CheckWitnessMalleation : invalid witness reserved value size".into()
            }
            BlockError::WitnessMerkleMatch => {
                "CheckWitnessMalleation : witness merkle commitment mismatch".into()
            }
            BlockError::UnexpectedWitness => {
                "CheckWitnessMalleation : unexpected witness data found".into()
            }
            BlockError::Weight => "ContextualCheckBlock : weight limit failed".into(),
            BlockError::Bip30 => "tried to overwrite transaction".into(),
            BlockError::Inputs { txid, error } => format!(
                "{} in transaction {txid}",
                error.debug_message().unwrap_or_default()
            ),
            BlockError::AccumulatedFeeOutOfRange => {
                "accumulated fee in the block out of range".into()
            }
            BlockError::SequenceLocks { txid } => {
                format!("contains a non-BIP68-final transaction {txid}")
            }
            BlockError::Sigops => "too many sigops".into(),
            BlockError::Script {
                txid,
                wtxid,
                input,
                prevout,
                ..
            } => format!(
                "input {input} of {txid} (wtxid {wtxid}), spending {}:{}",
                prevout.txid, prevout.vout
            ),
            BlockError::CoinbaseAmount { actual, limit } => {
                format!("coinbase pays too much (actual={actual} vs limit={limit})")
            }
        }
    }

    /// Whether the block's data may have been altered in transit (Core's `BLOCK_MUTATED`):
    /// such a failure says nothing about the header, which must not be marked invalid.
    pub fn is_mutation(&self) -> bool {
        matches!(
            self,
            BlockError::BadMerkleRoot
                | BlockError::DuplicateTx
                | BlockError::WitnessNonceSize
                | BlockError::WitnessMerkleMatch
                | BlockError::UnexpectedWitness
        )
    }
}

impl std::fmt::Display for BlockError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Core's `ValidationState::ToString` leaves out an empty debug message.
        let debug = self.debug_message();
        if debug.is_empty() {
            f.write_str(&self.reason())
        } else {
            write!(f, "{}, {}", self.reason(), debug)
        }
    }
}

impl std::error::Error for BlockError {}
