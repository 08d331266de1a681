//! Shared by every binary: command-line arguments, chain selection, datadir layout, logging.

pub mod args;
pub mod chain;
pub mod logging;

pub use args::{ArgsError, ArgsManager};
pub use chain::ChainType;
