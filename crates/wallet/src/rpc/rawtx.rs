//! The raw-transaction argument helpers the node's commands use too (`rawtx` crate).

pub use ::rawtx::*;
