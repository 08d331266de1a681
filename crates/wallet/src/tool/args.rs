//! The tool's options and commands (Core's `SetupWalletToolArgs`, with
//! `SetupHelpOptions` and `SetupChainParamsBaseOptions`).

use common::args::{ArgFlags, OptionsCategory as C};
use common::ArgsManager;

/// Registers every option and command `bitcoin-wallet` accepts.
pub fn setup_args(args: &ArgsManager) {
    let any = ArgFlags::ALLOW_ANY;
    args.setup_help_options();
    setup_chain_options(args);

    args.add_arg("-version", "Show the version and quit", any, C::Options);
    args.add_arg(
        "-datadir=<dir>",
        "Data directory to work in",
        any | ArgFlags::DISALLOW_NEGATION,
        C::Options,
    );
    args.add_arg(
        "-wallet=<wallet-name>",
        "Name of the wallet to work on",
        any | ArgFlags::NETWORK_ONLY,
        C::Options,
    );
    args.add_arg(
        "-dumpfile=<file name>",
        "File the records go to with 'dump', or come from with 'createfromdump'",
        any | ArgFlags::DISALLOW_NEGATION,
        C::CommandOptions,
    );
    args.add_arg(
        "-debug=<category>",
        "Log debugging information (default: 0)",
        any,
        C::DebugTest,
    );
    args.add_arg(
        "-printtoconsole",
        "Log to the console (default: 1 when -debug is set, 0 otherwise)",
        any,
        C::DebugTest,
    );

    args.add_command("info", "Show facts about the wallet", &[]);
    args.add_command("create", "Make a new descriptor wallet file", &[]);
    args.add_command(
        "dump",
        "Write every key-value record of the wallet",
        &["-dumpfile"],
    );
    args.add_command(
        "createfromdump",
        "Make a new wallet file from dumped records",
        &["-dumpfile"],
    );
}

/// The chain selection options every Core executable takes.
fn setup_chain_options(args: &ArgsManager) {
    let any = ArgFlags::ALLOW_ANY;
    args.add_arg(
        "-chain=<chain>",
        "Use this chain: main, test, testnet4, signet or regtest (default: main)",
        any,
        C::ChainParams,
    );
    args.add_arg(
        "-regtest",
        "Use the regression test chain (same as -chain=regtest)",
        any | ArgFlags::DEBUG_ONLY,
        C::ChainParams,
    );
    args.add_arg(
        "-testactivationheight=name@height.",
        "Activate a deployment (segwit, bip34, dersig, cltv, csv) at this height (test chains only)",
        any | ArgFlags::DEBUG_ONLY,
        C::DebugTest,
    );
    args.add_arg(
        "-testnet",
        "Use testnet3 (same as -chain=test; deprecated, prefer -testnet4)",
        any,
        C::ChainParams,
    );
    args.add_arg(
        "-testnet4",
        "Use testnet4 (same as -chain=testnet4)",
        any,
        C::ChainParams,
    );
    args.add_arg(
        "-vbparams=deployment:start:end[:min_activation_height]",
        "Start, end and minimum activation height of a version bits deployment (test chains only)",
        any | ArgFlags::DEBUG_ONLY,
        C::ChainParams,
    );
    args.add_arg(
        "-signet",
        "Use signet (same as -chain=signet); -signetchallenge picks which one",
        any,
        C::ChainParams,
    );
    args.add_arg(
        "-signetchallenge",
        "The script blocks must satisfy (signet only; default: the global signet's)",
        any | ArgFlags::DISALLOW_NEGATION,
        C::ChainParams,
    );
    args.add_arg(
        "-signetseednode",
        "A signet seed node as host[:port]; may be given several times",
        any | ArgFlags::DISALLOW_NEGATION,
        C::ChainParams,
    );
}

/// Core's `ReadSigNetArgs` checks of `-signetchallenge`, which `SelectParams` throws.
pub fn check_signet_challenge(args: &ArgsManager) -> Result<(), String> {
    let values = args.get_args("-signetchallenge");
    match values.as_slice() {
        [] => Ok(()),
        [one] => match walletdb::hex::parse_core(one.as_bytes()) {
            Some(_) => Ok(()),
            None => Err(format!("-signetchallenge must be hex, not '{one}'.")),
        },
        _ => Err("-signetchallenge cannot be multiple values.".into()),
    }
}
