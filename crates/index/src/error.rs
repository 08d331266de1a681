//! What can go wrong in an index, by failure domain.

use bitcoin::BlockHash;
use chain::BlockFilesError;
use kvstore::KvError;

/// Why an index could not open, sync or answer.
#[derive(Debug)]
#[non_exhaustive]
pub enum IndexError {
    /// The index's own database failed.
    Store(KvError),
    /// Reading a block or a transaction from the block files failed.
    Files(BlockFilesError),
    /// The index directory could not be wiped, or its thread not started.
    Io(std::io::Error),
    /// A value in the index database does not parse; `what` names it.
    Corrupt(&'static str),
    /// The block the database says the index is synced to is not in the block index
    /// (Core's start-up error); `name` is the index's.
    BestBlockNotFound {
        /// The index's name (`txindex`).
        name: &'static str,
    },
    /// A block the index must read has no stored data.
    NoBlockData(BlockHash),
    /// A block the index knew is no longer in the block index.
    UnknownBlock(BlockHash),
    /// [`crate::TxIndex::start_background_sync`] was called twice.
    AlreadyStarted,
}

impl std::fmt::Display for IndexError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            IndexError::Store(e) => write!(f, "{e}"),
            IndexError::Files(e) => write!(f, "{e}"),
            IndexError::Io(e) => write!(f, "index i/o: {e}"),
            IndexError::Corrupt(what) => write!(f, "corrupted index database: unreadable {what}"),
            IndexError::BestBlockNotFound { name } => {
                write!(
                    f,
                    "best block of {name} not found. Please rebuild the index."
                )
            }
            IndexError::NoBlockData(h) => write!(f, "no stored data for block {h}"),
            IndexError::UnknownBlock(h) => write!(f, "block {h} is not in the block index"),
            IndexError::AlreadyStarted => f.write_str("the index's sync thread is already running"),
        }
    }
}

impl std::error::Error for IndexError {}

impl From<KvError> for IndexError {
    fn from(e: KvError) -> Self {
        IndexError::Store(e)
    }
}

impl From<BlockFilesError> for IndexError {
    fn from(e: BlockFilesError) -> Self {
        IndexError::Files(e)
    }
}

impl From<std::io::Error> for IndexError {
    fn from(e: std::io::Error) -> Self {
        IndexError::Io(e)
    }
}
