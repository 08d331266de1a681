//! bitcoin-cli's options as Core's `SetupCliArgs` registers them, on
//! [`common::ArgsManager`], plus the client's defaults.

use common::args::{ArgFlags, OptionsCategory};
use common::ArgsManager;

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
        o("-version", s("Show the version and quit"), ANY, Options),
        o("-conf=<file>", s("Configuration file to read. A relative path is taken from the data directory. (default: bitcoin.conf)"), ANY, Options),
        o("-datadir=<dir>", s("Data directory to use"), ANY | ArgFlags::DISALLOW_NEGATION, Options),
        o("-generate", format!("Mine blocks to a fresh wallet address: the same as calling getnewaddress and then generatetoaddress. Two integers may follow, in order: how many blocks to mine (default: {DEFAULT_NBLOCKS}) and the most attempts to make (default: {DEFAULT_MAX_TRIES}); they are passed on as the nblocks and maxtries arguments of generatetoaddress. Example: bitcoin-cli -generate 4 1000"), ANY, CliCommands),
        o("-addrinfo", s("Show how many addresses the node knows, for each network and in total."), ANY, CliCommands),
        o("-getinfo", s("Show an overview of the remote server. Unlike a single RPC call, -getinfo is put together from several separate requests that are not atomic, so some of its entries may describe different moments (e.g. the wallet balance may belong to another block than the chain state shown)"), ANY, CliCommands),
        o("-netinfo", format!("Show the peer connections of the remote server. An optional level from 0 to {NETINFO_MAX_LEVEL} selects how peers are listed (default: 0). With a level above 0, a further \"outonly\" (or \"o\") argument limits the list to outbound peers. Give \"help\" (or \"h\") for the full explanation."), ANY, CliCommands),
        o("-chain=<chain>", s("Which chain to use (default: main). Accepted values: main, test, testnet4, signet, regtest"), ANY, ChainParams),
        o("-regtest", s("Run on the regression test chain, a private chain where blocks can be mined at once. Meant for test tools and application development. Same as -chain=regtest."), ANY | ArgFlags::DEBUG_ONLY, ChainParams),
        o("-testactivationheight=name@height.", s("Make the fork 'name' (segwit, bip34, dersig, cltv, csv) activate at the given height. (test-only)"), ANY | ArgFlags::DEBUG_ONLY, DebugTest),
        o("-testnet", s("Run on the testnet3 chain. Same as -chain=test. testnet3 is deprecated and a coming release will drop it; switching to testnet4 (-testnet4) now is advised."), ANY, ChainParams),
        o("-testnet4", s("Run on the testnet4 chain. Same as -chain=testnet4."), ANY, ChainParams),
        o("-vbparams=deployment:start:end[:min_activation_height]", s("Override the start and end times and min_activation_height of a version bits deployment (test-only)"), ANY | ArgFlags::DEBUG_ONLY, ChainParams),
        o("-signet", s("Run on a signet chain. Same as -chain=signet. Which signet is used depends on -signetchallenge"), ANY, ChainParams),
        o("-signetchallenge", s("Script that a block has to satisfy to be valid (signet only; without it, the challenge of the default public signet is used)"), ANY | ArgFlags::DISALLOW_NEGATION, ChainParams),
        o("-signetseednode", s("Seed node for the signet network, written as hostname[:port], e.g. sig.net:1234 (repeat the option for more than one; without it, the seed nodes of the default public signet are used)"), ANY | ArgFlags::DISALLOW_NEGATION, ChainParams),
        o("-color=<when>", s("When to color the output (default: auto). Accepted values: always, auto (color only if standard output is a terminal and the OS is not WIN32), never. Affects only the -getinfo output."), ANY | ArgFlags::DISALLOW_NEGATION, Options),
        o("-named", s("Give arguments as name=value pairs rather than by position (default: false)"), ANY, Options),
        o("-rpcid=<id>", format!("ID string to put in JSON-RPC requests (default: {DEFAULT_RPC_REQ_ID})"), ANY | ArgFlags::DISALLOW_NEGATION | ArgFlags::DISALLOW_ELISION, Options),
        o("-rpcclienttimeout=<n>", format!("How many seconds an HTTP request may take, 0 meaning no limit. Has no effect on IPC connections (see -ipcconnect). (default: {DEFAULT_HTTP_CLIENT_TIMEOUT})"), ANY, Options),
        o("-rpcconnect=<ip>", format!("Address <ip> of the node that receives the commands (default: {DEFAULT_RPCCONNECT})"), ANY, Options),
        o("-rpccookiefile=<loc>", s("Where the authentication cookie is. A relative path is taken from the data directory of the selected network. (default: data dir)"), ANY, Options),
        o("-rpcpassword=<pw>", s("Password to log in to the JSON-RPC server"), ANY, Options),
        o("-rpcport=<port>", s("Port <port> of the JSON-RPC server (default: 8332, testnet: 18332, testnet4: 48332, signet: 38332, regtest: 18443)"), ANY | ArgFlags::NETWORK_ONLY, Options),
        o("-rpcuser=<user>", s("User name to log in to the JSON-RPC server"), ANY, Options),
        o("-rpcwait", s("Keep trying until the RPC server is up"), ANY, Options),
        o("-rpcwaittimeout=<n>", s("How many seconds to keep waiting for the RPC server, 0 meaning no limit. (default: 0)"), ANY | ArgFlags::DISALLOW_NEGATION, Options),
        o("-rpcwallet=<walletname>", s("Send the call to a wallet other than the default one (the name must be exactly as given to bitcoind with -wallet). The request then goes to that wallet's endpoint, e.g. http://127.0.0.1:8332/wallet/<walletname>"), ANY, Options),
        o("-stdin", s("Take more arguments from standard input, one a line, up to EOF/Ctrl-D (the safer way to pass secrets such as passphrases). With -stdinrpcpass as well, the first input line is the RPC password."), ANY, Options),
        o("-stdinrpcpass", s("Take the RPC password from one line of standard input. With -stdin as well, the first input line is the RPC password. With -stdinwalletpassphrase as well, the first line is the RPC password and the second the wallet passphrase."), ANY, Options),
        o("-stdinwalletpassphrase", s("Take the wallet passphrase from one line of standard input. With -stdin as well, the first input line is the wallet passphrase."), ANY, Options),
        o("-ipcconnect=<address>", s("Send requests to bitcoin-node over an IPC socket rather than TCP. <address> is one of: 'auto', which tries the default socket <datadir>/node.sock and uses TCP if that is missing; 'unix', which uses the default socket and fails if it is missing; 'unix:<socket path>', which uses the socket at the given path. Use -noipcconnect to never try IPC. Default value: auto"), ANY, Ipc),
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
        assert_eq!(a.get_chain_type().unwrap(), common::ChainType::Regtest);
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
        assert!(h.contains("  -rpcport=<port>\n       Port <port> of the JSON-RPC server (default: 8332, testnet: 18332,\n       testnet4: 48332, signet: 38332, regtest: 18443)\n\n"));
        assert!(!h.contains("-regtest\n"));
        assert!(!h.contains("  -h\n"));
        assert!(h.ends_with("Default value: auto\n\n"));
    }
}
