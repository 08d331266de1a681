//! Shared by every binary: command-line and `bitcoin.conf` options (Core's
//! `ArgsManager`), chain selection, datadir layout, and Core's logging.

pub mod args;
pub mod chain;
pub mod logging;
pub mod strutil;

pub use args::{
    ArgFlags, ArgsError, ArgsManager, Command, ConfigMessage, OptionsCategory, SettingValue,
};
pub use chain::ChainType;
