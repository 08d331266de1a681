//! `bitcoin-wallet`'s offline commands (Core's `bitcoin-wallet.cpp`,
//! `wallet/wallettool.cpp` and `wallet/dump.cpp`): `create`, `info`, `dump` and
//! `createfromdump` on wallet files, with no node running.
//!
//! [`run`] takes the command line and returns what Core's tool prints and its exit
//! status, so every answer can be checked without spawning the binary.

mod args;
mod commands;
mod database;

pub use args::setup_args;
pub use commands::show_info;
pub use database::{get_wallet_path, make_database, DatabaseOptions};

use common::ArgsManager;

/// What one run of the tool printed and how it ended.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Outcome {
    /// Text for standard output.
    pub stdout: String,
    /// Text for standard error.
    pub stderr: String,
    /// The exit status.
    pub code: u8,
}

impl Outcome {
    fn fail(stderr: impl Into<String>) -> Outcome {
        Outcome {
            stdout: String::new(),
            stderr: stderr.into(),
            code: 1,
        }
    }
}

/// Core's `PrintExceptionContinue` for a `std::runtime_error` thrown while the tool
/// starts (an unknown chain, conflicting chain options, a bad signet challenge).
fn exception_text(message: &str) -> String {
    format!(
        "\n\n************************\nEXCEPTION: St13runtime_error       \n{message}       \nbitcoin in WalletAppInit()       \n\n"
    )
}

/// The header line of `-help` and `-version`.
fn version_line() -> String {
    format!(
        "{} bitcoin-wallet utility version {}\n",
        common::version::CLIENT_NAME,
        common::version::CLIENT_BUILD
    )
}

const HELP_INTRO: &str = "\n\
bitcoin-wallet reads and writes Bitcoin Core wallet files while no node is running.\n\
\n\
Without options it works in the mainnet wallet directory of the default data directory.\n\
\n\
Another data directory, wallet or chain is chosen with -datadir, -wallet and the chain options.\n\
\n\
Usage: bitcoin-wallet [options] <command>\n\
\n";

/// Core's `WalletAppInit`: parses the options and answers `-help` and `-version`.
/// `Err` holds the outcome when the tool stops there.
fn app_init(argv: &[String]) -> Result<(ArgsManager, common::ChainType), Outcome> {
    let mut args = ArgsManager::empty();
    setup_args(&args);
    if let Err(e) = args.parse_parameters(argv.iter().cloned()) {
        return Err(Outcome::fail(format!(
            "Error parsing command line arguments: {e}\n"
        )));
    }
    let missing_args = argv.is_empty();
    let version = args.get_bool_arg("-version", false);
    if missing_args || args.help_requested() || version {
        let mut usage = version_line();
        if version {
            usage.push_str(&common::strutil::format_paragraph(
                &common::version::license_info(),
                79,
                0,
            ));
        } else {
            usage.push_str(HELP_INTRO);
            usage.push('\n');
            usage.push_str(&args.get_help_message());
        }
        let mut out = Outcome {
            stdout: usage,
            ..Outcome::default()
        };
        if missing_args {
            out.stderr = "Error: too few parameters\n".into();
            out.code = 1;
        }
        return Err(out);
    }
    // -printtoconsole and -debug are accepted, but as in Core the tool never starts its
    // log, so nothing is printed either way.
    if !args.check_data_dir_option() {
        return Err(Outcome::fail(format!(
            "Error: Specified data directory \"{}\" does not exist.\n",
            args.get_arg_or("-datadir", "")
        )));
    }
    let chain = args
        .get_chain_type()
        .map_err(|e| Outcome::fail(exception_text(&e.to_string())))?;
    if chain == common::ChainType::Signet {
        args::check_signet_challenge(&args).map_err(|e| Outcome::fail(exception_text(&e)))?;
    }
    args.select_config_network(chain);
    Ok((args, chain))
}

/// Runs `bitcoin-wallet` with `argv` (without the program name), as Core's `main`.
pub fn run(argv: &[String]) -> Outcome {
    let (args, chain) = match app_init(argv) {
        Ok(v) => v,
        Err(out) => return out,
    };
    let Some(command) = args.get_command() else {
        return Outcome::fail(
            "No method provided. Run `bitcoin-wallet -help` for valid methods.\n",
        );
    };
    if !command.args.is_empty() {
        return Outcome::fail(format!(
            "Error: Additional arguments provided ({}). Methods do not take arguments. Please refer to `-help`.\n",
            command.args.join(", ")
        ));
    }
    commands::execute(&args, chain, &command.command)
}

#[cfg(test)]
mod tests;
