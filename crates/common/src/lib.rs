//! Shared by every binary: command-line and `bitcoin.conf` options (Core's
//! `ArgsManager`), chain selection, datadir layout, and Core's logging.
//!
//! A daemon's start-up, in Core's order:
//!
//! ```no_run
//! use common::{ArgFlags, ArgsManager, OptionsCategory};
//! use common::logging::init as log_init;
//!
//! fn start(argv: Vec<String>) -> Result<(), String> {
//!     let mut args = ArgsManager::empty();
//!     args.setup_help_options();
//!     args.add_arg("-datadir=<dir>", "Specify data directory", ArgFlags::ALLOW_ANY, OptionsCategory::Options);
//!     args.add_arg("-conf=<file>", "Specify configuration file", ArgFlags::ALLOW_ANY, OptionsCategory::Options);
//!     args.add_arg("-includeconf=<file>", "Specify additional configuration file", ArgFlags::ALLOW_ANY, OptionsCategory::Options);
//!     log_init::add_logging_args(&args);
//!     args.parse_parameters(argv.clone())
//!         .map_err(|e| format!("Error parsing command line arguments: {e}"))?;
//!     let messages = args.init_config().map_err(|e| e.to_string())?;
//!     if let Some(e) = common::args::unexpected_token(&argv) {
//!         return Err(e.to_string());
//!     }
//!     log_init::set_logging_options(&args);
//!     for m in &messages {
//!         m.emit(); // buffered until logging starts
//!     }
//!     log_init::set_logging_categories(&args).map_err(|e| e.to_string())?;
//!     log_init::set_logging_level(&args).map_err(|e| e.to_string())?;
//!     log_init::start_logging(&args).map_err(|e| e.to_string())?;
//!     common::log_info!("Using data directory {}", args.get_data_dir_net().display());
//!     Ok(())
//! }
//! ```
//! (each error is printed as `Error: <text>`.)

pub mod args;
pub mod bloom;
pub mod chain;
pub mod logging;
pub mod money;
pub mod random;
pub mod ser;
pub mod strutil;
pub mod version;

pub use args::{
    ArgFlags, ArgsError, ArgsManager, Command, ConfigMessage, OptionsCategory, SettingValue,
};
pub use chain::ChainType;
