//! bitcoin-cli's options as Core's `SetupCliArgs` registers them, on
//! [`common::ArgsManager`], plus the client's defaults.

use common::args::{ArgFlags, OptionsCategory};
use common::{ArgsManager, ChainType};

/// Default of `-rpcconnect`.
pub const DEFAULT_RPCCONNECT: &str = "127.0.0.1";
/// Default of `-rpcclienttimeout`, seconds.
pub const DEFAULT_HTTP_CLIENT_TIMEOUT: i64 = 900;
/// Default of `-rpcid`.
pub const DEFAULT_RPC_REQ_ID: &str = "1";
/// Default number of blocks for `-generate`.
pub const DEFAULT_NBLOCKS: &str = "1";
/// Default maximum tries for `-generate`.
pub const DEFAULT_MAX_TRIES: u64 = 1_000_000;
/// Highest `-netinfo` level.
pub const NETINFO_MAX_LEVEL: u8 = 4;

/// The RPC port of each network.
pub fn default_rpc_port(chain: ChainType) -> u16 {
    match chain {
        ChainType::Main => 8332,
        ChainType::Testnet => 18332,
        ChainType::Testnet4 => 48332,
        ChainType::Signet => 38332,
        ChainType::Regtest => 18443,
    }
}

/// One option: Core's name with its help parameter, help text, flags, category.
type Spec = (&'static str, String, ArgFlags, OptionsCategory);

/// The options after `-help`, in Core's registration order.
fn options() -> Vec<Spec> {
    use OptionsCategory::*;
    const ANY: ArgFlags = ArgFlags::ALLOW_ANY;
    let o =
        |name: &'static str, help: String, flags: ArgFlags, category| (name, help, flags, category);
    let s = |t: &str| t.to_string();
    vec![
        o("-version", s("Print version and exit"), ANY, Options),
        o("-conf=<file>", s("Specify configuration file. Relative paths will be prefixed by datadir location. (default: bitcoin.conf)"), ANY, Options),
        o("-datadir=<dir>", s("Specify data directory"), ANY | ArgFlags::DISALLOW_NEGATION, Options),
        o("-generate", format!("Generate blocks, equivalent to RPC getnewaddress followed by RPC generatetoaddress. Optional positional integer arguments are number of blocks to generate (default: {DEFAULT_NBLOCKS}) and maximum iterations to try (default: {DEFAULT_MAX_TRIES}), equivalent to RPC generatetoaddress nblocks and maxtries arguments. Example: bitcoin-cli -generate 4 1000"), ANY, CliCommands),
        o("-addrinfo", s("Get the number of addresses known to the node, per network and total."), ANY, CliCommands),
        o("-getinfo", s("Get general information from the remote server. Note that unlike server-side RPC calls, the output of -getinfo is the result of multiple non-atomic requests. Some entries in the output may represent results from different states (e.g. wallet balance may be as of a different block from the chain state reported)"), ANY, CliCommands),
        o("-netinfo", format!("Get network peer connection information from the remote server. An optional argument from 0 to {NETINFO_MAX_LEVEL} can be passed for different peers listings (default: 0). If a non-zero value is passed, an additional \"outonly\" (or \"o\") argument can be passed to see outbound peers only. Pass \"help\" (or \"h\") for detailed help documentation."), ANY, CliCommands),
        o("-chain=<chain>", s("Use the chain <chain> (default: main). Allowed values: main, test, testnet4, signet, regtest"), ANY, ChainParams),
        o("-regtest", s("Enter regression test mode, which uses a special chain in which blocks can be solved instantly. This is intended for regression testing tools and app development. Equivalent to -chain=regtest."), ANY | ArgFlags::DEBUG_ONLY, ChainParams),
        o("-testactivationheight=name@height.", s("Set the activation height of 'name' (segwit, bip34, dersig, cltv, csv). (test-only)"), ANY | ArgFlags::DEBUG_ONLY, DebugTest),
        o("-testnet", s("Use the testnet3 chain. Equivalent to -chain=test. Support for testnet3 is deprecated and will be removed in an upcoming release. Consider moving to testnet4 now by using -testnet4."), ANY, ChainParams),
        o("-testnet4", s("Use the testnet4 chain. Equivalent to -chain=testnet4."), ANY, ChainParams),
        o("-vbparams=deployment:start:end[:min_activation_height]", s("Use given start/end times and min_activation_height for specified version bits deployment (test-only)"), ANY | ArgFlags::DEBUG_ONLY, ChainParams),
        o("-signet", s("Use the signet chain. Equivalent to -chain=signet. Note that the network is defined by the -signetchallenge parameter"), ANY, ChainParams),
        o("-signetchallenge", s("Blocks must satisfy the given script to be considered valid (only for signet networks; defaults to the global default signet test network challenge)"), ANY | ArgFlags::DISALLOW_NEGATION, ChainParams),
        o("-signetseednode", s("Specify a seed node for the signet network, in the hostname[:port] format, e.g. sig.net:1234 (may be used multiple times to specify multiple seed nodes; defaults to the global default signet test network seed node(s))"), ANY | ArgFlags::DISALLOW_NEGATION, ChainParams),
        o("-color=<when>", s("Color setting for CLI output (default: auto). Valid values: always, auto (add color codes when standard output is connected to a terminal and OS is not WIN32), never. Only applies to the output of -getinfo."), ANY | ArgFlags::DISALLOW_NEGATION, Options),
        o("-named", s("Pass named instead of positional arguments (default: false)"), ANY, Options),
        o("-rpcid=<id>", format!("Set a custom JSON-RPC request ID string (default: {DEFAULT_RPC_REQ_ID})"), ANY | ArgFlags::DISALLOW_NEGATION | ArgFlags::DISALLOW_ELISION, Options),
        o("-rpcclienttimeout=<n>", format!("Timeout in seconds during HTTP requests, or 0 for no timeout. Not implemented for IPC connections (see -ipcconnect). (default: {DEFAULT_HTTP_CLIENT_TIMEOUT})"), ANY, Options),
        o("-rpcconnect=<ip>", format!("Send commands to node running on <ip> (default: {DEFAULT_RPCCONNECT})"), ANY, Options),
        o("-rpccookiefile=<loc>", s("Location of the auth cookie. Relative paths will be prefixed by a net-specific datadir location. (default: data dir)"), ANY, Options),
        o("-rpcpassword=<pw>", s("Password for JSON-RPC connections"), ANY, Options),
        o("-rpcport=<port>", s("Connect to JSON-RPC on <port> (default: 8332, testnet: 18332, testnet4: 48332, signet: 38332, regtest: 18443)"), ANY | ArgFlags::NETWORK_ONLY, Options),
        o("-rpcuser=<user>", s("Username for JSON-RPC connections"), ANY, Options),
        o("-rpcwait", s("Wait for RPC server to start"), ANY, Options),
        o("-rpcwaittimeout=<n>", s("Timeout in seconds to wait for the RPC server to start, or 0 for no timeout. (default: 0)"), ANY | ArgFlags::DISALLOW_NEGATION, Options),
        o("-rpcwallet=<walletname>", s("Send RPC for non-default wallet on RPC server (needs to exactly match corresponding -wallet option passed to bitcoind). This changes the RPC endpoint used, e.g. http://127.0.0.1:8332/wallet/<walletname>"), ANY, Options),
        o("-stdin", s("Read extra arguments from standard input, one per line until EOF/Ctrl-D (recommended for sensitive information such as passphrases). When combined with -stdinrpcpass, the first line from standard input is used for the RPC password."), ANY, Options),
        o("-stdinrpcpass", s("Read RPC password from standard input as a single line. When combined with -stdin, the first line from standard input is used for the RPC password. When combined with -stdinwalletpassphrase, -stdinrpcpass consumes the first line, and -stdinwalletpassphrase consumes the second."), ANY, Options),
        o("-stdinwalletpassphrase", s("Read wallet passphrase from standard input as a single line. When combined with -stdin, the first line from standard input is used for the wallet passphrase."), ANY, Options),
        o("-ipcconnect=<address>", s("Connect to bitcoin-node through IPC socket instead of TCP socket to execute requests. Valid <address> values are 'auto' to try to connect to default socket path at <datadir>/node.sock but fall back to TCP if it is not available, 'unix' to connect to the default socket and fail if it isn't available, or 'unix:<socket path>' to connect to a socket at a nonstandard path. -noipcconnect can be specified to avoid attempting to use IPC at all. Default value: auto"), ANY, Ipc),
    ]
}

/// Registers bitcoin-cli's options (Core's `SetupCliArgs`, with the chain
/// selection options of `SetupChainParamsBaseOptions`).
pub fn setup_cli_args(args: &ArgsManager) {
    args.setup_help_options();
    for (name, help, flags, category) in options() {
        args.add_arg(name, &help, flags, category);
    }
}

/// A manager with bitcoin-cli's options registered.
pub fn cli_args_manager() -> ArgsManager {
    let args = ArgsManager::empty();
    setup_cli_args(&args);
    args
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn parse(argv: &[&str]) -> Result<ArgsManager, common::ArgsError> {
        let mut a = cli_args_manager();
        a.parse_parameters(argv.iter().map(|s| s.to_string()))?;
        Ok(a)
    }

    #[test]
    fn options_stop_at_command() {
        let a = parse(&["-regtest", "--named", "echo", "-1", "-x"]).unwrap();
        assert!(a.get_bool_arg("-named", false));
        assert_eq!(a.get_command().unwrap().args, vec!["echo", "-1", "-x"]);
        assert_eq!(a.get_chain_type().unwrap(), ChainType::Regtest);
        assert!(parse(&["-", "echo"]).unwrap().get_command().is_none());
    }

    #[test]
    fn errors_quote_the_argument() {
        let e = |argv: &[&str]| parse(argv).err().unwrap().to_string();
        assert_eq!(e(&["-foo=bar"]), "Invalid parameter -foo=bar");
        assert_eq!(
            e(&["-regtest.rpcport=1"]),
            "Invalid parameter -regtest.rpcport=1"
        );
        assert_eq!(
            e(&["-nodatadir"]),
            "Negating of -datadir is meaningless and therefore forbidden"
        );
        assert_eq!(
            e(&["-rpcid"]),
            "Can not set -rpcid with no value. Please specify value with -rpcid=value."
        );
        assert_eq!(e(&["-help-debug"]), "Invalid parameter -help-debug");
    }

    #[test]
    fn negation_and_cli_commands() {
        let a = parse(&[
            "-norpcwallet",
            "-rpcclienttimeout=12abc",
            "-getinfo",
            "-nonetinfo",
        ])
        .unwrap();
        assert!(a.is_arg_negated("-rpcwallet"));
        assert_eq!(a.get_int_arg("-rpcclienttimeout", 900), 12);
        assert_eq!(
            a.check_multiple_cli_args().unwrap_err().to_string(),
            "Only one of -getinfo, -netinfo may be specified."
        );
    }

    #[test]
    fn help_layout() {
        let h = cli_args_manager().get_help_message();
        assert!(h.starts_with("Options:\n\n  -color=<when>\n"));
        assert!(h.contains(
            "Debugging/Testing options:\n\nChain selection options:\n\n  -chain=<chain>\n"
        ));
        assert!(h.contains("  -rpcport=<port>\n       Connect to JSON-RPC on <port> (default: 8332, testnet: 18332, testnet4:\n       48332, signet: 38332, regtest: 18443)\n\n"));
        assert!(!h.contains("-regtest\n"));
        assert!(!h.contains("  -h\n"));
        assert!(h.ends_with("Default value: auto\n\n"));
    }
}
