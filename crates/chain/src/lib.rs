//! The chainstate. So far: coins and their compressed serialization, undo data, and block
//! and undo files laid out byte for byte as Bitcoin Core writes them
//! (`<datadir>/<chain>/blocks/blk?????.dat`, `rev?????.dat`, `xor.dat`).

pub mod blockfiles;
pub mod coin;
pub mod undo;
pub mod varint;

pub use blockfiles::{BlockFiles, BlockFilesError, FilePos};
pub use coin::Coin;
pub use undo::{BlockUndo, TxUndo};
