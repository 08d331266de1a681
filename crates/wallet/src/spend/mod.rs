//! Spending (Core's `wallet/spend.cpp` and `CWallet::CommitTransaction`): which coins may
//! be spent, how big a signed spend will be, building and funding transactions, and
//! committing them to the wallet and the node.

pub mod available;
pub mod commit;
pub mod create;
pub mod node;
pub mod satisfy;
pub mod size;
#[cfg(test)]
pub(crate) mod testnode;
#[cfg(test)]
mod tests;

use bitcoin::{Amount, ScriptBuf, Transaction, TxOut};
use coinselection::{SeededRng, SelectionRng};

use crate::fees::FeeReason;

pub use available::{available_coins, Available, CoinFilterParams, Output};
pub use commit::commit_transaction;
pub use create::{create_transaction, discourage_fee_sniping, fund_transaction};
pub use node::NodeView;
pub use size::{max_signed_tx_size, TxSize};

/// One payment (Core's `CRecipient`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recipient {
    /// The output script.
    pub script: ScriptBuf,
    /// The amount in satoshis.
    pub amount: i64,
    /// Whether the fee is taken from this amount.
    pub subtract_fee: bool,
}

impl Recipient {
    /// The output paying it.
    pub fn txout(&self) -> TxOut {
        TxOut {
            value: Amount::from_sat(self.amount.max(0) as u64),
            script_pubkey: self.script.clone(),
        }
    }
}

/// A built transaction (Core's `CreatedTransactionResult`).
#[derive(Debug, Clone)]
pub struct CreatedTransaction {
    /// The transaction.
    pub tx: Transaction,
    /// The fee it pays.
    pub fee: i64,
    /// Where the change output is, if there is one.
    pub change_pos: Option<usize>,
    /// Why the fee rate was chosen.
    pub fee_reason: FeeReason,
}

/// Why a transaction could not be built; the text is Core's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpendError(pub String);

impl std::fmt::Display for SpendError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for SpendError {}

/// Randomness for building transactions, seeded from the operating system (the change
/// position, input order, change target and knapsack draws are for privacy).
pub fn os_rng() -> Box<dyn SelectionRng> {
    let seed = common::random::random_bytes::<8>()
        .map(u64::from_le_bytes)
        .unwrap_or_else(|_| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos() as u64)
                .unwrap_or(0)
        });
    Box::new(SeededRng::new(seed))
}
