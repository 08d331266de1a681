//! Why a selection failed.

use std::fmt;

/// A failed coin selection. The messages are Core's user-facing strings.
///
/// Core returns an *empty* error for plain "not enough funds" and a message for everything
/// else; the selection driver keeps going after the former and remembers the latter. That
/// distinction is [`SelectionError::has_message`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SelectionError {
    /// No input set reaches the target (Core's empty error).
    InsufficientFunds,
    /// Every input set that reaches the target is heavier than the weight allowed.
    MaxWeightExceeded,
    /// The maximum transaction weight leaves no room for any input.
    MaxWeightBelowNoInputsWeight,
    /// After BnB, the maximum transaction weight leaves no room for a change output.
    MaxWeightNoRoomForChange,
    /// The node could not compute the combined bump fee for the unconfirmed inputs.
    BumpFeeCalculationFailed,
    /// Only preselected inputs may be used, and they do not reach the target.
    PresetInputsInsufficient,
    /// Preselected plus automatically selected inputs are heavier than the weight allowed.
    PresetAndAutomaticExceedMaxWeight,
    /// Enough funds exist only counting unconfirmed coins whose chains are too long.
    TooLongMempoolChain,
    /// Two results that were to be combined share an input; Core treats this as a bug.
    SharedInputs,
}

impl SelectionError {
    /// Whether Core would give this failure a message; `false` only for the plain
    /// [`SelectionError::InsufficientFunds`].
    pub fn has_message(&self) -> bool {
        !matches!(self, SelectionError::InsufficientFunds)
    }
}

impl fmt::Display for SelectionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let msg = match self {
            SelectionError::InsufficientFunds => "Insufficient funds",
            SelectionError::MaxWeightExceeded => {
                "The inputs size exceeds the maximum weight. Please try sending a smaller amount \
                 or manually consolidating your wallet's UTXOs"
            }
            SelectionError::MaxWeightBelowNoInputsWeight => {
                "Maximum transaction weight is less than transaction weight without inputs"
            }
            SelectionError::MaxWeightNoRoomForChange => {
                "Maximum transaction weight is too low, can not accommodate change output"
            }
            SelectionError::BumpFeeCalculationFailed => {
                "Failed to calculate bump fees, because unconfirmed UTXOs depend on an enormous \
                 cluster of unconfirmed transactions."
            }
            SelectionError::PresetInputsInsufficient => {
                "The preselected coins total amount does not cover the transaction target. \
                 Please allow other inputs to be automatically selected or include more coins \
                 manually"
            }
            SelectionError::PresetAndAutomaticExceedMaxWeight => {
                "The combination of the pre-selected inputs and the wallet automatic inputs \
                 selection exceeds the transaction maximum weight. Please try sending a smaller \
                 amount or manually consolidating your wallet's UTXOs"
            }
            SelectionError::TooLongMempoolChain => {
                "Unconfirmed UTXOs are available, but spending them creates a chain of \
                 transactions that will be rejected by the mempool"
            }
            SelectionError::SharedInputs => {
                "Internal bug detected: Shared UTXOs among selection results"
            }
        };
        f.write_str(msg)
    }
}

impl std::error::Error for SelectionError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_are_cores() {
        assert_eq!(
            SelectionError::MaxWeightExceeded.to_string(),
            "The inputs size exceeds the maximum weight. Please try sending a smaller amount or \
             manually consolidating your wallet's UTXOs"
        );
        assert_eq!(
            SelectionError::PresetInputsInsufficient.to_string(),
            "The preselected coins total amount does not cover the transaction target. Please \
             allow other inputs to be automatically selected or include more coins manually"
        );
        assert_eq!(
            SelectionError::PresetAndAutomaticExceedMaxWeight.to_string(),
            "The combination of the pre-selected inputs and the wallet automatic inputs selection \
             exceeds the transaction maximum weight. Please try sending a smaller amount or \
             manually consolidating your wallet's UTXOs"
        );
        assert_eq!(
            SelectionError::BumpFeeCalculationFailed.to_string(),
            "Failed to calculate bump fees, because unconfirmed UTXOs depend on an enormous \
             cluster of unconfirmed transactions."
        );
        assert_eq!(
            SelectionError::TooLongMempoolChain.to_string(),
            "Unconfirmed UTXOs are available, but spending them creates a chain of transactions \
             that will be rejected by the mempool"
        );
        assert_eq!(
            SelectionError::MaxWeightNoRoomForChange.to_string(),
            "Maximum transaction weight is too low, can not accommodate change output"
        );
        assert_eq!(
            SelectionError::MaxWeightBelowNoInputsWeight.to_string(),
            "Maximum transaction weight is less than transaction weight without inputs"
        );
        assert!(!SelectionError::InsufficientFunds.has_message());
        assert!(SelectionError::MaxWeightExceeded.has_message());
    }
}
