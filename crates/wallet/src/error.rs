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
    /// The wallet file did not load (Core's `DBErrors`).
    Db(DbError),
}

/// Why a wallet file did not load (Core's `DBErrors`); the detail is in the log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DbError {
    /// A record did not read.
    Corrupt,
    /// Flags this release does not know.
    TooNew,
    /// A descriptor this release cannot parse.
    UnknownDescriptor,
    /// Legacy records in a descriptor wallet.
    UnexpectedLegacyEntry,
    /// A legacy (non-descriptor) wallet.
    LegacyWallet,
}

impl DbError {
    /// Core's message for a failure to load `file` (`PopulateWalletFromDB`).
    pub fn message(&self, file: &std::path::Path) -> String {
        let file = file.display();
        match self {
            DbError::Corrupt => format!("Error loading {file}: Wallet corrupted"),
            DbError::TooNew => format!(
                "Error loading {file}: Wallet requires newer version of {}",
                common::version::CLIENT_NAME
            ),
            DbError::UnknownDescriptor => format!(
                "Unrecognized descriptor found. Loading wallet {file}\n\nThe wallet might have been created on a newer version.\nPlease try running the latest software version.\n"
            ),
            DbError::UnexpectedLegacyEntry => format!(
                "Unexpected legacy entry in descriptor wallet found. Loading wallet {file}\n\nThe wallet might have been tampered with or created with malicious intent.\n"
            ),
            DbError::LegacyWallet => format!(
                "Error loading {file}: Wallet is a legacy wallet. Please migrate to a descriptor wallet using the migration tool (migratewallet RPC)."
            ),
        }
    }
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
            WalletError::Db(e) => write!(f, "{e:?}"),
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
