//! Command-line options with Core's syntax: `-name`, `-name=value`, `-noname`, `--name`.
//!
//! Options are registered per binary; an unknown option is an error, as in Core.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

/// Why the command line was rejected.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ArgsError {
    /// An option this binary does not know.
    InvalidParameter(String),
    /// A positional argument where none is accepted.
    UnexpectedArgument(String),
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
}

impl fmt::Display for ArgsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ArgsError::InvalidParameter(p) => write!(f, "Invalid parameter {p}"),
            ArgsError::UnexpectedArgument(a) => {
                write!(f, "Command line contains unexpected token '{a}', see bitcoind -h for a list of options.")
            }
            ArgsError::UnknownChain(c) => write!(f, "Unknown chain {c}."),
            ArgsError::ConflictingChains => f.write_str(
                "Invalid combination of -regtest, -signet, -testnet, -testnet4 and -chain. Can use at most one.",
            ),
            ArgsError::InvalidValue { name, value } => write!(f, "Invalid value for -{name}: '{value}'"),
        }
    }
}

impl std::error::Error for ArgsError {}

/// Parsed options: each name maps to its values in order; `-noX` records a negation.
#[derive(Debug, Default, Clone)]
pub struct ArgsManager {
    known: BTreeSet<&'static str>,
    values: BTreeMap<String, Vec<Option<String>>>,
}

impl ArgsManager {
    /// `-chain=<name>`.
    pub const CHAIN: &'static str = "chain";

    /// A manager that accepts the given option names (without dashes).
    pub fn new(known: &[&'static str]) -> Self {
        ArgsManager {
            known: known.iter().copied().collect(),
            values: BTreeMap::new(),
        }
    }

    /// Parses `argv` without the program name.
    pub fn parse<I: IntoIterator<Item = String>>(&mut self, argv: I) -> Result<(), ArgsError> {
        for arg in argv {
            let Some(stripped) = arg.strip_prefix('-') else {
                return Err(ArgsError::UnexpectedArgument(arg));
            };
            let stripped = stripped.strip_prefix('-').unwrap_or(stripped);
            let (name, value) = match stripped.split_once('=') {
                Some((n, v)) => (n, Some(v.to_string())),
                None => (stripped, None),
            };
            let (name, negated) = match name.strip_prefix("no") {
                Some(rest) if self.known.contains(rest) && !self.known.contains(name) => {
                    (rest, true)
                }
                _ => (name, false),
            };
            if !self.known.contains(name) {
                return Err(ArgsError::InvalidParameter(format!("-{name}")));
            }
            let entry = self.values.entry(name.to_string()).or_default();
            if negated {
                // `-noX` is `-X=0`; `-noX=0` is `-X=1`.
                let v = match value.as_deref() {
                    Some("0") => "1",
                    _ => "0",
                };
                entry.push(Some(v.to_string()));
            } else {
                entry.push(Some(value.unwrap_or_default()));
            }
        }
        Ok(())
    }

    /// Whether the option was given at all.
    pub fn is_set(&self, name: &str) -> bool {
        self.values.contains_key(name)
    }

    /// The last value given.
    pub fn get(&self, name: &str) -> Option<String> {
        self.values
            .get(name)
            .and_then(|v| v.last().cloned().flatten())
    }

    /// Every value given, in order.
    pub fn get_all(&self, name: &str) -> Vec<String> {
        self.values
            .get(name)
            .map(|v| v.iter().flatten().cloned().collect())
            .unwrap_or_default()
    }

    /// A boolean option: `-x`, `-x=1` are true; `-x=0`, `-nox` are false.
    pub fn get_bool(&self, name: &str, default: bool) -> bool {
        match self.get(name) {
            None => default,
            Some(v) => v.is_empty() || v.parse::<i64>().map(|n| n != 0).unwrap_or(true),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ChainType;

    fn parse(args: &[&str]) -> Result<ArgsManager, ArgsError> {
        let mut a = ArgsManager::new(&[
            "regtest",
            "testnet",
            "testnet4",
            "signet",
            "chain",
            "debug",
            "printtoconsole",
        ]);
        a.parse(args.iter().map(|s| s.to_string()))?;
        Ok(a)
    }

    #[test]
    fn forms_and_negation() {
        let a = parse(&["-regtest", "--debug=ipc", "-debug=net", "-noprinttoconsole"]).unwrap();
        assert!(a.get_bool("regtest", false));
        assert_eq!(a.get_all("debug"), vec!["ipc", "net"]);
        assert!(!a.get_bool("printtoconsole", true));
        let a = parse(&["-printtoconsole=0"]).unwrap();
        assert!(!a.get_bool("printtoconsole", true));
    }

    #[test]
    fn unknown_and_positional_rejected() {
        assert_eq!(
            parse(&["-bogus"]).unwrap_err().to_string(),
            "Invalid parameter -bogus"
        );
        assert!(matches!(
            parse(&["stray"]),
            Err(ArgsError::UnexpectedArgument(_))
        ));
    }

    #[test]
    fn chain_selection() {
        assert_eq!(
            ChainType::from_args(&parse(&[]).unwrap()).unwrap(),
            ChainType::Main
        );
        assert_eq!(
            ChainType::from_args(&parse(&["-chain=regtest"]).unwrap()).unwrap(),
            ChainType::Regtest
        );
        assert_eq!(
            ChainType::from_args(&parse(&["-regtest=0"]).unwrap()).unwrap(),
            ChainType::Main
        );
        assert_eq!(
            ChainType::from_args(&parse(&["-regtest", "-testnet"]).unwrap()).unwrap_err(),
            ArgsError::ConflictingChains
        );
        assert!(matches!(
            ChainType::from_args(&parse(&["-chain=foo"]).unwrap()),
            Err(ArgsError::UnknownChain(_))
        ));
    }
}
