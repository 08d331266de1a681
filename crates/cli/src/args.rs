//! bitcoin-cli's options: the registered list, command-line parsing and lookups.
//!
//! Parsing follows Core's command-line rules: options come first and the first
//! argument that does not start with `-` begins the command; `--name` equals
//! `-name`; `-noname` negates; a name with a section (`-regtest.x`) or an
//! unknown name is rejected with the whole argument quoted.

use std::collections::BTreeMap;
use std::fmt;

use common::ChainType;

/// Accepts `-noname` only when this flag is absent.
pub const DISALLOW_NEGATION: u32 = 0x20;
/// Requires `-name=value`; a bare `-name` is an error.
pub const DISALLOW_ELISION: u32 = 0x40;
/// Shown in help only with `-help-debug` (which bitcoin-cli does not accept).
pub const DEBUG_ONLY: u32 = 0x100;
/// Read from a config file only from a network section.
pub const NETWORK_ONLY: u32 = 0x200;

/// Help sections, in the order Core prints them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Category {
    /// "Options:".
    Options,
    /// "Debugging/Testing options:".
    DebugTest,
    /// "Chain selection options:".
    ChainParams,
    /// "CLI Commands:".
    CliCommands,
    /// "IPC interprocess connection options:".
    Ipc,
    /// Accepted but never listed.
    Hidden,
}

impl Category {
    fn title(self) -> Option<&'static str> {
        Some(match self {
            Category::Options => "Options:",
            Category::DebugTest => "Debugging/Testing options:",
            Category::ChainParams => "Chain selection options:",
            Category::CliCommands => "CLI Commands:",
            Category::Ipc => "IPC interprocess connection options:",
            Category::Hidden => return None,
        })
    }
}

/// A registered option.
#[derive(Debug, Clone)]
pub struct OptionSpec {
    /// Name with its dash, e.g. `-rpcport`.
    pub name: &'static str,
    /// Text after the name in help, e.g. `=<port>`.
    pub param: &'static str,
    /// Help text.
    pub help: String,
    /// Flag bits.
    pub flags: u32,
    /// Help section.
    pub category: Category,
}

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

/// bitcoin-cli's options, as Core registers them.
pub fn options() -> Vec<OptionSpec> {
    use Category::*;
    let o =
        |name: &'static str, param: &'static str, help: String, flags: u32, category| OptionSpec {
            name,
            param,
            help,
            flags,
            category,
        };
    let s = |t: &str| t.to_string();
    vec![
        o("-help", "", s("Print this help message and exit (also -h or -?)"), 0, Options),
        o("-h", "", String::new(), 0, Hidden),
        o("-?", "", String::new(), 0, Hidden),
        o("-version", "", s("Print version and exit"), 0, Options),
        o("-conf", "=<file>", s("Specify configuration file. Relative paths will be prefixed by datadir location. (default: bitcoin.conf)"), 0, Options),
        o("-datadir", "=<dir>", s("Specify data directory"), DISALLOW_NEGATION, Options),
        o("-generate", "", format!("Generate blocks, equivalent to RPC getnewaddress followed by RPC generatetoaddress. Optional positional integer arguments are number of blocks to generate (default: {DEFAULT_NBLOCKS}) and maximum iterations to try (default: {DEFAULT_MAX_TRIES}), equivalent to RPC generatetoaddress nblocks and maxtries arguments. Example: bitcoin-cli -generate 4 1000"), 0, CliCommands),
        o("-addrinfo", "", s("Get the number of addresses known to the node, per network and total."), 0, CliCommands),
        o("-getinfo", "", s("Get general information from the remote server. Note that unlike server-side RPC calls, the output of -getinfo is the result of multiple non-atomic requests. Some entries in the output may represent results from different states (e.g. wallet balance may be as of a different block from the chain state reported)"), 0, CliCommands),
        o("-netinfo", "", format!("Get network peer connection information from the remote server. An optional argument from 0 to {NETINFO_MAX_LEVEL} can be passed for different peers listings (default: 0). If a non-zero value is passed, an additional \"outonly\" (or \"o\") argument can be passed to see outbound peers only. Pass \"help\" (or \"h\") for detailed help documentation."), 0, CliCommands),
        o("-chain", "=<chain>", s("Use the chain <chain> (default: main). Allowed values: main, test, testnet4, signet, regtest"), 0, ChainParams),
        o("-regtest", "", s("Enter regression test mode, which uses a special chain in which blocks can be solved instantly. This is intended for regression testing tools and app development. Equivalent to -chain=regtest."), DEBUG_ONLY, ChainParams),
        o("-testactivationheight", "=name@height.", s("Set the activation height of 'name' (segwit, bip34, dersig, cltv, csv). (test-only)"), DEBUG_ONLY, DebugTest),
        o("-testnet", "", s("Use the testnet3 chain. Equivalent to -chain=test. Support for testnet3 is deprecated and will be removed in an upcoming release. Consider moving to testnet4 now by using -testnet4."), 0, ChainParams),
        o("-testnet4", "", s("Use the testnet4 chain. Equivalent to -chain=testnet4."), 0, ChainParams),
        o("-vbparams", "=deployment:start:end[:min_activation_height]", s("Use given start/end times and min_activation_height for specified version bits deployment (test-only)"), DEBUG_ONLY, ChainParams),
        o("-signet", "", s("Use the signet chain. Equivalent to -chain=signet. Note that the network is defined by the -signetchallenge parameter"), 0, ChainParams),
        o("-signetchallenge", "", s("Blocks must satisfy the given script to be considered valid (only for signet networks; defaults to the global default signet test network challenge)"), DISALLOW_NEGATION, ChainParams),
        o("-signetseednode", "", s("Specify a seed node for the signet network, in the hostname[:port] format, e.g. sig.net:1234 (may be used multiple times to specify multiple seed nodes; defaults to the global default signet test network seed node(s))"), DISALLOW_NEGATION, ChainParams),
        o("-color", "=<when>", s("Color setting for CLI output (default: auto). Valid values: always, auto (add color codes when standard output is connected to a terminal and OS is not WIN32), never. Only applies to the output of -getinfo."), DISALLOW_NEGATION, Options),
        o("-named", "", s("Pass named instead of positional arguments (default: false)"), 0, Options),
        o("-rpcid", "=<id>", format!("Set a custom JSON-RPC request ID string (default: {DEFAULT_RPC_REQ_ID})"), DISALLOW_NEGATION | DISALLOW_ELISION, Options),
        o("-rpcclienttimeout", "=<n>", format!("Timeout in seconds during HTTP requests, or 0 for no timeout. Not implemented for IPC connections (see -ipcconnect). (default: {DEFAULT_HTTP_CLIENT_TIMEOUT})"), 0, Options),
        o("-rpcconnect", "=<ip>", format!("Send commands to node running on <ip> (default: {DEFAULT_RPCCONNECT})"), 0, Options),
        o("-rpccookiefile", "=<loc>", s("Location of the auth cookie. Relative paths will be prefixed by a net-specific datadir location. (default: data dir)"), 0, Options),
        o("-rpcpassword", "=<pw>", s("Password for JSON-RPC connections"), 0, Options),
        o("-rpcport", "=<port>", s("Connect to JSON-RPC on <port> (default: 8332, testnet: 18332, testnet4: 48332, signet: 38332, regtest: 18443)"), NETWORK_ONLY, Options),
        o("-rpcuser", "=<user>", s("Username for JSON-RPC connections"), 0, Options),
        o("-rpcwait", "", s("Wait for RPC server to start"), 0, Options),
        o("-rpcwaittimeout", "=<n>", s("Timeout in seconds to wait for the RPC server to start, or 0 for no timeout. (default: 0)"), DISALLOW_NEGATION, Options),
        o("-rpcwallet", "=<walletname>", s("Send RPC for non-default wallet on RPC server (needs to exactly match corresponding -wallet option passed to bitcoind). This changes the RPC endpoint used, e.g. http://127.0.0.1:8332/wallet/<walletname>"), 0, Options),
        o("-stdin", "", s("Read extra arguments from standard input, one per line until EOF/Ctrl-D (recommended for sensitive information such as passphrases). When combined with -stdinrpcpass, the first line from standard input is used for the RPC password."), 0, Options),
        o("-stdinrpcpass", "", s("Read RPC password from standard input as a single line. When combined with -stdin, the first line from standard input is used for the RPC password. When combined with -stdinwalletpassphrase, -stdinrpcpass consumes the first line, and -stdinwalletpassphrase consumes the second."), 0, Options),
        o("-stdinwalletpassphrase", "", s("Read wallet passphrase from standard input as a single line. When combined with -stdin, the first line from standard input is used for the wallet passphrase."), 0, Options),
        o("-ipcconnect", "=<address>", s("Connect to bitcoin-node through IPC socket instead of TCP socket to execute requests. Valid <address> values are 'auto' to try to connect to default socket path at <datadir>/node.sock but fall back to TCP if it is not available, 'unix' to connect to the default socket and fail if it isn't available, or 'unix:<socket path>' to connect to a socket at a nonstandard path. -noipcconnect can be specified to avoid attempting to use IPC at all. Default value: auto"), 0, Ipc),
    ]
}

/// One value given for an option.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Setting {
    /// `-name=value` (or `-name`, with an empty value).
    Text(String),
    /// `-noname` (false) or the double negative `-noname=0` (true).
    Flag(bool),
}

impl Setting {
    fn to_text(&self) -> String {
        match self {
            Setting::Text(s) => s.clone(),
            Setting::Flag(true) => "1".to_string(),
            Setting::Flag(false) => "0".to_string(),
        }
    }
}

/// Why the command line was rejected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ArgsError {
    /// Unknown option, or an option with a section prefix; holds the argument as given.
    InvalidParameter(String),
    /// `-noname` for an option that forbids it.
    NegationForbidden(String),
    /// `-name` without a value for an option that needs one.
    ElisionForbidden(String),
}

impl fmt::Display for ArgsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ArgsError::InvalidParameter(a) => write!(f, "Invalid parameter {a}"),
            ArgsError::NegationForbidden(n) => {
                write!(f, "Negating of -{n} is meaningless and therefore forbidden")
            }
            ArgsError::ElisionForbidden(n) => write!(
                f,
                "Can not set -{n} with no value. Please specify value with -{n}=value."
            ),
        }
    }
}

impl std::error::Error for ArgsError {}

/// A chain selection that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChainError {
    /// More than one network chosen.
    Conflicting,
    /// `-chain=` names no known network.
    Unknown(String),
}

impl fmt::Display for ChainError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ChainError::Conflicting => f.write_str(
                "Invalid combination of -regtest, -signet, -testnet, -testnet4 and -chain. Can use at most one.",
            ),
            ChainError::Unknown(c) => write!(f, "Unknown chain {c}."),
        }
    }
}

impl std::error::Error for ChainError {}

/// Parsed command line: option values plus the command and its arguments.
#[derive(Debug, Clone, Default)]
pub struct CliArgs {
    values: BTreeMap<String, Vec<Setting>>,
    /// Config-file values in file order: (section, name, value); the first wins.
    config: Vec<(String, String, Setting)>,
    /// The network section of the config file to consult (`main`, `test`, ...).
    network: Option<String>,
    /// Everything from the first non-option argument on.
    pub command: Vec<String>,
}

/// Core's `LocaleIndependentAtoi`: a leading integer, 0 when there is none,
/// clamped to the `i64` range.
pub fn atoi(s: &str) -> i64 {
    let s = match s.strip_prefix('+') {
        Some(rest) if rest.starts_with('-') => return 0,
        Some(rest) => rest,
        None => s,
    };
    let (neg, digits) = match s.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, s),
    };
    let end = digits
        .bytes()
        .position(|b| !b.is_ascii_digit())
        .unwrap_or(digits.len());
    if end == 0 {
        return 0;
    }
    let mut n: i64 = 0;
    for b in digits[..end].bytes() {
        let d = i64::from(b - b'0');
        n = if neg {
            match n.checked_mul(10).and_then(|v| v.checked_sub(d)) {
                Some(v) => v,
                None => return i64::MIN,
            }
        } else {
            match n.checked_mul(10).and_then(|v| v.checked_add(d)) {
                Some(v) => v,
                None => return i64::MAX,
            }
        };
    }
    n
}

impl CliArgs {
    /// Parses `argv` (without the program name).
    pub fn parse(argv: &[String]) -> Result<CliArgs, ArgsError> {
        let specs = options();
        let mut out = CliArgs::default();
        let mut i = 0;
        while i < argv.len() {
            let arg = &argv[i];
            if arg == "-" {
                break;
            }
            let (key, value) = match arg.split_once('=') {
                Some((k, v)) => (k, Some(v)),
                None => (arg.as_str(), None),
            };
            if !key.starts_with('-') {
                out.command = argv[i..].to_vec();
                break;
            }
            let key = key.strip_prefix("--").unwrap_or(&key[1..]);
            let (section, key) = match key.split_once('.') {
                Some((s, k)) => (Some(s), k),
                None => (None, key),
            };
            let (negated, name) = match key.strip_prefix("no") {
                Some(rest) => (true, rest),
                None => (false, key),
            };
            let spec = specs.iter().find(|s| &s.name[1..] == name);
            let Some(spec) = spec.filter(|_| section.is_none()) else {
                return Err(ArgsError::InvalidParameter(arg.clone()));
            };
            let setting = if negated {
                if spec.flags & DISALLOW_NEGATION != 0 {
                    return Err(ArgsError::NegationForbidden(name.to_string()));
                }
                // `-nox=0` is a double negative and means true.
                Setting::Flag(value.is_some_and(|v| !interpret_bool(v)))
            } else {
                match value {
                    None if spec.flags & DISALLOW_ELISION != 0 => {
                        return Err(ArgsError::ElisionForbidden(name.to_string()))
                    }
                    v => Setting::Text(v.unwrap_or_default().to_string()),
                }
            };
            out.values
                .entry(name.to_string())
                .or_default()
                .push(setting);
            i += 1;
        }
        Ok(out)
    }

    /// Adds a value read from a config file (`section` empty for the top of
    /// the file); the command line still takes precedence.
    pub fn add_config_value(&mut self, section: &str, name: &str, setting: Setting) {
        self.config
            .push((section.to_string(), name.to_string(), setting));
    }

    /// Selects the config-file section consulted for network-specific values.
    pub fn select_network(&mut self, network: &str) {
        self.network = Some(network.to_string());
    }

    /// Replaces the option's value, as Core's `ForceSetArg`.
    pub fn force_set(&mut self, name: &str, value: String) {
        self.values
            .insert(name.to_string(), vec![Setting::Text(value)]);
    }

    /// The effective setting: the last on the command line, else the first in
    /// the selected network's section, else the first at the top of the config
    /// file (not for network-only options on networks other than main).
    fn setting(&self, name: &str) -> Option<&Setting> {
        if let Some(v) = self.values.get(name).and_then(|v| v.last()) {
            return Some(v);
        }
        let first_in = |section: &str| {
            self.config
                .iter()
                .find(|(s, n, _)| s == section && n == name)
                .map(|(_, _, v)| v)
        };
        if let Some(net) = &self.network {
            if let Some(v) = first_in(net) {
                return Some(v);
            }
            let network_only = options()
                .iter()
                .any(|o| &o.name[1..] == name && o.flags & NETWORK_ONLY != 0);
            if network_only && net != "main" {
                return None;
            }
        }
        first_in("")
    }

    /// Whether `name` is a registered option (without its dash).
    pub fn is_known(name: &str) -> Option<u32> {
        options()
            .iter()
            .find(|o| &o.name[1..] == name)
            .map(|o| o.flags)
    }

    /// Whether the option was given (negated or not).
    pub fn is_set(&self, name: &str) -> bool {
        self.setting(name).is_some()
    }

    /// Whether the option's effective value is a negation (`-noname`).
    pub fn is_negated(&self, name: &str) -> bool {
        matches!(self.setting(name), Some(Setting::Flag(false)))
    }

    /// The option's value as text (`-noname` gives `0`).
    pub fn get(&self, name: &str) -> Option<String> {
        self.setting(name).map(Setting::to_text)
    }

    /// The option's value, or `default`.
    pub fn get_or(&self, name: &str, default: &str) -> String {
        self.get(name).unwrap_or_else(|| default.to_string())
    }

    /// A boolean option with Core's rules (empty is true, else a leading integer ≠ 0).
    pub fn get_bool(&self, name: &str, default: bool) -> bool {
        match self.setting(name) {
            None => default,
            Some(Setting::Flag(b)) => *b,
            Some(Setting::Text(t)) => interpret_bool(t),
        }
    }

    /// An integer option with Core's rules (a leading integer, else 0).
    pub fn get_int(&self, name: &str, default: i64) -> i64 {
        match self.setting(name) {
            None => default,
            Some(Setting::Flag(b)) => i64::from(*b),
            Some(Setting::Text(t)) => atoi(t),
        }
    }

    /// Whether help was asked for.
    pub fn help_requested(&self) -> bool {
        ["?", "h", "help"].iter().any(|n| self.is_set(n))
    }

    /// The network chosen by -chain, -regtest, -signet, -testnet and -testnet4.
    pub fn chain(&self) -> Result<ChainType, ChainError> {
        let flags = [
            (self.get_bool("regtest", false), ChainType::Regtest),
            (self.get_bool("signet", false), ChainType::Signet),
            (self.get_bool("testnet", false), ChainType::Testnet),
            (self.get_bool("testnet4", false), ChainType::Testnet4),
        ];
        let chain_arg = self.get("chain");
        let count = flags.iter().filter(|(on, _)| *on).count() + usize::from(chain_arg.is_some());
        if count > 1 {
            return Err(ChainError::Conflicting);
        }
        if let Some(name) = chain_arg {
            return ChainType::from_name(&name).ok_or(ChainError::Unknown(name));
        }
        Ok(flags
            .iter()
            .find(|(on, _)| *on)
            .map(|(_, c)| *c)
            .unwrap_or(ChainType::Main))
    }

    /// The CLI commands given (-generate, -addrinfo, -getinfo, -netinfo), in
    /// name order; more than one is an error.
    pub fn cli_commands_given(&self) -> Vec<&'static str> {
        let mut names: Vec<&'static str> = options()
            .iter()
            .filter(|o| o.category == Category::CliCommands)
            .map(|o| o.name)
            .filter(|n| self.is_set(&n[1..]))
            .collect();
        names.sort_unstable();
        names
    }
}

/// Core's `InterpretBool`: empty is true, otherwise a leading integer other than 0.
pub fn interpret_bool(s: &str) -> bool {
    s.is_empty() || atoi(s) != 0
}

/// Wraps `text` to `width` columns, indenting continuation lines by `indent`,
/// as Core's `FormatParagraph`.
pub fn format_paragraph(text: &str, width: usize, indent: usize) -> String {
    let bytes = text.as_bytes();
    let mut out = String::new();
    let mut ptr = 0;
    let mut indented = 0;
    while ptr < bytes.len() {
        let line_end = text[ptr..].find('\n').map_or(bytes.len(), |p| p + ptr);
        let line_len = line_end - ptr;
        let room = width.saturating_sub(indented);
        if line_len <= room {
            let end = (line_end + 1).min(bytes.len());
            out.push_str(&text[ptr..end]);
            ptr = line_end + 1;
            indented = 0;
        } else {
            let limit = (ptr + room).min(bytes.len() - 1);
            let mut brk = text[..=limit].rfind([' ', '\n']).filter(|&b| b >= ptr);
            if brk.is_none() {
                brk = text[ptr..].find(['\n', ' ']).map(|p| p + ptr);
                if brk.is_none() {
                    out.push_str(&text[ptr..]);
                    break;
                }
            }
            let Some(brk) = brk else { break };
            out.push_str(&text[ptr..brk]);
            out.push('\n');
            if bytes[brk] == b'\n' {
                indented = 0;
            } else if indent > 0 {
                out.extend(std::iter::repeat_n(' ', indent));
                indented = indent;
            }
            ptr = brk + 1;
        }
    }
    out
}

/// The option list of `-help`, as Core's `GetHelpMessage` prints it.
pub fn help_message() -> String {
    let mut specs = options();
    specs.sort_by(|a, b| (a.category, a.name).cmp(&(b.category, b.name)));
    let mut out = String::new();
    let mut current = None;
    for spec in &specs {
        if current != Some(spec.category) {
            current = Some(spec.category);
            match spec.category.title() {
                Some(t) => {
                    out.push_str(t);
                    out.push_str("\n\n");
                }
                None => break,
            }
        }
        if spec.flags & DEBUG_ONLY != 0 {
            continue;
        }
        out.push_str(&format!(
            "  {}{}\n       {}\n\n",
            spec.name,
            spec.param,
            format_paragraph(&spec.help, 79 - 7, 7)
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn parse(args: &[&str]) -> Result<CliArgs, ArgsError> {
        CliArgs::parse(&args.iter().map(|s| s.to_string()).collect::<Vec<_>>())
    }

    #[test]
    fn options_stop_at_command() {
        let a = parse(&["-regtest", "--named", "echo", "-1", "-x"]).unwrap();
        assert!(a.get_bool("named", false));
        assert_eq!(a.command, vec!["echo", "-1", "-x"]);
        assert_eq!(a.chain().unwrap(), ChainType::Regtest);
        let a = parse(&["-", "echo"]).unwrap();
        assert!(a.command.is_empty());
    }

    #[test]
    fn errors_quote_the_argument() {
        assert_eq!(
            parse(&["-foo=bar"]).unwrap_err().to_string(),
            "Invalid parameter -foo=bar"
        );
        assert_eq!(
            parse(&["-regtest.rpcport=1"]).unwrap_err().to_string(),
            "Invalid parameter -regtest.rpcport=1"
        );
        assert_eq!(
            parse(&["-nodatadir"]).unwrap_err().to_string(),
            "Negating of -datadir is meaningless and therefore forbidden"
        );
        assert_eq!(
            parse(&["-rpcid"]).unwrap_err().to_string(),
            "Can not set -rpcid with no value. Please specify value with -rpcid=value."
        );
        assert!(parse(&["-help-debug"]).is_err());
    }

    #[test]
    fn negation_and_values() {
        let a = parse(&[
            "-norpcwallet",
            "-rpcwait=0",
            "-rpcclienttimeout=12abc",
            "-nostdin=0",
        ])
        .unwrap();
        assert!(a.is_negated("rpcwallet"));
        assert_eq!(a.get("rpcwallet").as_deref(), Some("0"));
        assert!(!a.get_bool("rpcwait", true));
        assert_eq!(a.get_int("rpcclienttimeout", 900), 12);
        assert!(a.get_bool("stdin", false));
        let a = parse(&["-rpcwallet=0"]).unwrap();
        assert!(!a.is_negated("rpcwallet"));
    }

    #[test]
    fn chain_selection() {
        assert_eq!(
            parse(&["-regtest", "-chain=main"]).unwrap().chain(),
            Err(ChainError::Conflicting)
        );
        assert_eq!(
            parse(&["-chain=foo"])
                .unwrap()
                .chain()
                .unwrap_err()
                .to_string(),
            "Unknown chain foo."
        );
        assert_eq!(
            parse(&["-testnet4"]).unwrap().chain().unwrap(),
            ChainType::Testnet4
        );
    }

    #[test]
    fn atoi_like_core() {
        assert_eq!(atoi("12"), 12);
        assert_eq!(atoi("+5"), 5);
        assert_eq!(atoi("+-5"), 0);
        assert_eq!(atoi("-7x"), -7);
        assert_eq!(atoi("x"), 0);
        assert_eq!(atoi("99999999999999999999"), i64::MAX);
    }

    #[test]
    fn paragraph_wrapping() {
        assert_eq!(format_paragraph("aaa bbb ccc", 7, 2), "aaa bbb\n  ccc");
        assert_eq!(format_paragraph("short", 79, 7), "short");
        assert_eq!(format_paragraph("a\nb", 79, 7), "a\nb");
    }

    #[test]
    fn help_layout() {
        let h = help_message();
        assert!(
            h.starts_with("Options:\n\n  -?\n") || h.starts_with("Options:\n\n  -color=<when>\n")
        );
        assert!(h.contains(
            "Debugging/Testing options:\n\nChain selection options:\n\n  -chain=<chain>\n"
        ));
        assert!(h.contains("  -rpcport=<port>\n       Connect to JSON-RPC on <port> (default: 8332, testnet: 18332, testnet4:\n       48332, signet: 38332, regtest: 18443)\n\n"));
        assert!(!h.contains("-regtest\n"));
        assert!(h.ends_with("Default value: auto\n\n"));
    }
}
