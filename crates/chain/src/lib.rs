//! The chainstate: chain parameters and proof of work, the block index with Core's header
//! checks, block validation with Core's reject reasons (`validation`), block assembly,
//! block and undo files laid out byte for byte as Bitcoin Core writes them
//! (`<datadir>/<chain>/blocks/blk?????.dat`, `rev?????.dat`, `xor.dat`), UTXO-set digests,
//! and [`ChainState`]: the active chain and its coins over a key-value store, with
//! reorganisations and recovery after a crash.

pub mod assemble;
pub mod blockfiles;
pub mod chainstate;
pub mod coin;
pub mod coinstats;
pub mod index;
pub mod muhash;
pub mod params;
pub mod pow;
pub mod undo;
pub mod validation;
pub mod varint;
pub mod versionbits;

pub use blockfiles::{BlockFiles, BlockFilesError, BlockReader, FilePos};
pub use chainstate::{BlockOutcome, ChainState, ChainStateError, ChainStateOptions, ProcessError};
pub use coin::Coin;
pub use index::{BlockIndex, BlockStatus, HeaderError};
pub use params::ChainParams;
pub use undo::{BlockUndo, TxUndo};
pub use validation::BlockError;
