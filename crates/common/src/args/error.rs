//! Errors from parsing options and reading config files; `Display` gives Core's text.

use std::fmt;

/// Why options or config files were rejected. The text (from `Display`) is Core's
/// message without the `Error: ` prefix the caller prints.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ArgsError {
    /// An option this binary does not know, or a `section.name` option on the command
    /// line; holds the argument exactly as given (`-foo=1`).
    InvalidParameter(String),
    /// A positional argument where none is accepted (Core's bitcoind check after
    /// parsing).
    UnexpectedArgument(String),
    /// A first positional argument that is not a registered command.
    InvalidCommand(String),
    /// `-nofoo` for an option with `DISALLOW_NEGATION` (name without dash).
    NegationForbidden(String),
    /// `-foo` without a value for an option with `DISALLOW_ELISION` (name without dash).
    MissingValue(String),
    /// `-includeconf` on the command line; holds the first value as JSON.
    IncludeConfOnCommandLine(String),
    /// `-chain=` names no known network.
    UnknownChain(String),
    /// More than one of -regtest, -signet, -testnet, -testnet4 and -chain.
    ConflictingChains,
    /// A value that cannot be used for its option.
    InvalidValue {
        /// The option, without its dash.
        name: String,
        /// The value given.
        value: String,
    },
    /// `-datadir` names no directory (checked before reading the config file).
    DataDirNotFound(String),
    /// `datadir=` from a config file names no directory.
    ConfigDataDirNotFound(String),
    /// A config file error, reported by `init_config` with Core's prefix.
    ReadConfig(Box<ArgsError>),
    /// A config line that is neither a section, a comment nor `key=value`.
    ConfigParse {
        /// 1-based line number.
        line: usize,
        /// The trimmed line.
        text: String,
    },
    /// A config line starting with `-`.
    ConfigLeadingDash {
        /// 1-based line number.
        line: usize,
        /// The trimmed line.
        text: String,
    },
    /// A `#` on an `rpcpassword` line.
    ConfigHashInPassword {
        /// 1-based line number.
        line: usize,
    },
    /// `conf=` inside a config file.
    ConfInConfigFile,
    /// An unknown key where unknown keys are errors.
    InvalidConfigValue(String),
    /// The config file path is a directory.
    ConfigIsDirectory(String),
    /// `-conf` was given explicitly and the file cannot be read.
    ConfigNotOpened(String),
    /// An included config file path is a directory.
    IncludedConfigIsDirectory(String),
    /// An included config file cannot be read.
    IncludeFailed(String),
    /// Network-only options set only in the top section of the config file.
    SectionOnly {
        /// The options, with their dash.
        args: Vec<String>,
        /// The selected network's name.
        chain: String,
    },
    /// More than one `CLI_COMMANDS` option given.
    MultipleCliCommands(Vec<String>),
    /// A command-specific option used with another command.
    CommandOption {
        /// The option, with its dash.
        option: String,
        /// The command given.
        command: String,
    },
    /// The datadir holds a `bitcoin.conf` that another config file shadows.
    IgnoredConfig(String),
    /// A filesystem failure (message from the OS).
    Io(String),
}

impl fmt::Display for ArgsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ArgsError::InvalidParameter(p) => write!(f, "Invalid parameter {p}"),
            ArgsError::UnexpectedArgument(a) => write!(
                f,
                "Command line contains unexpected token '{a}', see bitcoind -h for a list of options."
            ),
            ArgsError::InvalidCommand(c) => write!(f, "Invalid command '{c}'"),
            ArgsError::NegationForbidden(n) => {
                write!(f, "Negating of -{n} is meaningless and therefore forbidden")
            }
            ArgsError::MissingValue(n) => write!(
                f,
                "Can not set -{n} with no value. Please specify value with -{n}=value."
            ),
            ArgsError::IncludeConfOnCommandLine(v) => write!(
                f,
                "-includeconf cannot be used from commandline; -includeconf={v}"
            ),
            ArgsError::UnknownChain(c) => write!(f, "Unknown chain {c}."),
            ArgsError::ConflictingChains => f.write_str(
                "Invalid combination of -regtest, -signet, -testnet, -testnet4 and -chain. Can use at most one.",
            ),
            ArgsError::InvalidValue { name, value } => {
                write!(f, "Invalid value for -{name}: '{value}'")
            }
            ArgsError::DataDirNotFound(d) => {
                write!(f, "Specified data directory \"{d}\" does not exist.")
            }
            ArgsError::ConfigDataDirNotFound(d) => {
                write!(f, "specified data directory \"{d}\" does not exist.")
            }
            ArgsError::ReadConfig(e) => write!(f, "Error reading configuration file: {e}"),
            ArgsError::ConfigParse { line, text } => {
                write!(f, "parse error on line {line}: {text}")?;
                if text.len() >= 2 && text.starts_with("no") {
                    write!(
                        f,
                        ", if you intended to specify a negated option, use {text}=1 instead"
                    )?;
                }
                Ok(())
            }
            ArgsError::ConfigLeadingDash { line, text } => write!(
                f,
                "parse error on line {line}: {text}, options in configuration file must be specified without leading -"
            ),
            ArgsError::ConfigHashInPassword { line } => write!(
                f,
                "parse error on line {line}, using # in rpcpassword can be ambiguous and should be avoided"
            ),
            ArgsError::ConfInConfigFile => f.write_str(
                "conf cannot be set in the configuration file; use includeconf= if you want to include additional config files",
            ),
            ArgsError::InvalidConfigValue(k) => write!(f, "Invalid configuration value {k}"),
            ArgsError::ConfigIsDirectory(p) => write!(f, "Config file \"{p}\" is a directory."),
            ArgsError::ConfigNotOpened(p) => {
                write!(f, "specified config file \"{p}\" could not be opened.")
            }
            ArgsError::IncludedConfigIsDirectory(p) => {
                write!(f, "Included config file \"{p}\" is a directory.")
            }
            ArgsError::IncludeFailed(n) => write!(f, "Failed to include configuration file {n}"),
            ArgsError::SectionOnly { args, chain } => {
                for a in args {
                    writeln!(
                        f,
                        "Config setting for {a} only applied on {chain} network when in [{chain}] section."
                    )?;
                }
                Ok(())
            }
            ArgsError::MultipleCliCommands(found) => {
                write!(f, "Only one of {} may be specified.", found.join(", "))
            }
            ArgsError::CommandOption { option, command } => write!(
                f,
                "The {option} option cannot be used with the '{command}' command."
            ),
            ArgsError::IgnoredConfig(msg) | ArgsError::Io(msg) => f.write_str(msg),
        }
    }
}

impl std::error::Error for ArgsError {}
