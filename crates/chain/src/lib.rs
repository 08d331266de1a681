//! The chainstate. So far: chain parameters, proof of work, the block index of headers with
//! their work and Core's header checks, coins and their compressed serialization, undo
//! data, and block and undo files laid out byte for byte as Bitcoin Core writes them
//! (`<datadir>/<chain>/blocks/blk?????.dat`, `rev?????.dat`, `xor.dat`).

pub mod assemble;
pub mod blockfiles;
pub mod coin;
pub mod coinstats;
pub mod index;
pub mod muhash;
pub mod params;
pub mod pow;
pub mod undo;
pub mod validation;
pub mod varint;

pub use blockfiles::{BlockFiles, BlockFilesError, FilePos};
pub use coin::Coin;
pub use index::{BlockIndex, BlockStatus, HeaderError};
pub use params::ChainParams;
pub use undo::{BlockUndo, TxUndo};
pub use validation::BlockError;
