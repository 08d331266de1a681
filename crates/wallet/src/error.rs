//! Why a wallet operation failed.

/// A wallet failure; the message is what Core's RPC or log shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WalletError {
    /// The wallet file holds something we cannot use.
    Corrupt(String),
    /// An argument or state that the operation does not accept.
    Invalid(String),
    /// No address could be handed out.
    Keypool(String),
    /// The private keys are encrypted and locked.
    Locked,
    /// Reading or writing the wallet file failed.
    Store(String),
    /// The node could not be reached.
    Chain(String),
}

impl std::fmt::Display for WalletError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            WalletError::Corrupt(m) | WalletError::Invalid(m) | WalletError::Keypool(m) => {
                f.write_str(m)
            }
            WalletError::Locked => f.write_str(
                "Error: Please enter the wallet passphrase with walletpassphrase first.",
            ),
            WalletError::Store(m) => write!(f, "wallet database error: {m}"),
            WalletError::Chain(m) => write!(f, "node unavailable: {m}"),
        }
    }
}

impl std::error::Error for WalletError {}

impl From<ipc::Error> for WalletError {
    fn from(e: ipc::Error) -> WalletError {
        WalletError::Chain(e.to_string())
    }
}
