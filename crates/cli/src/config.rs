//! Reading `bitcoin.conf` for bitcoin-cli.
//!
//! The format is Core's: `name=value` lines, `#` comments, `[section]`
//! headers or `section.name=value` for network-specific values. Names
//! bitcoin-cli does not know are ignored, as Core's client ignores them.

use std::path::PathBuf;

use crate::args::{interpret_bool, CliArgs, Setting, DISALLOW_NEGATION};

/// The config file to read: `-conf` (relative to the datadir), default
/// `bitcoin.conf`; `None` with `-noconf`.
pub fn config_file(args: &CliArgs) -> Option<PathBuf> {
    if args.is_negated("conf") {
        return None;
    }
    Some(crate::run::config_path(args))
}

const SPACE: &[char] = &[' ', '\t', '\r', '\n'];

/// Parses config text into (section, name, value) triples.
pub fn parse_config(text: &str) -> Result<Vec<(String, String, String)>, String> {
    let mut out = Vec::new();
    let mut prefix = String::new();
    for (i, raw) in text.split('\n').enumerate() {
        let line_nr = i + 1;
        let (line, used_hash) = match raw.find('#') {
            Some(p) => (&raw[..p], true),
            None => (raw, false),
        };
        let line = line.trim_matches(SPACE);
        if line.is_empty() {
            continue;
        }
        if line.starts_with('[') && line.ends_with(']') && line.len() >= 2 {
            prefix = format!("{}.", &line[1..line.len() - 1]);
        } else if line.starts_with('-') {
            return Err(format!("parse error on line {line_nr}: {line}, options in configuration file must be specified without leading -"));
        } else if let Some((name, value)) = line.split_once('=') {
            let name = format!("{prefix}{}", name.trim_matches(SPACE));
            if used_hash && name.contains("rpcpassword") {
                return Err(format!("parse error on line {line_nr}, using # in rpcpassword can be ambiguous and should be avoided"));
            }
            let (section, key) = match name.split_once('.') {
                Some((s, k)) => (s.to_string(), k.to_string()),
                None => (String::new(), name.clone()),
            };
            out.push((section, key, value.trim_matches(SPACE).to_string()));
        } else {
            let mut e = format!("parse error on line {line_nr}: {line}");
            if line.len() >= 2 && line.starts_with("no") {
                e +=
                    &format!(", if you intended to specify a negated option, use {line}=1 instead");
            }
            return Err(e);
        }
    }
    Ok(out)
}

/// Reads the config file into `args`. A missing file is fine unless `-conf` was given.
pub fn read_config_files(args: &mut CliArgs) -> Result<(), String> {
    let Some(path) = config_file(args) else {
        return Ok(());
    };
    if path.is_dir() {
        return Err(format!(
            "Config file \"{}\" is a directory.",
            path.display()
        ));
    }
    let text = match std::fs::read(&path) {
        Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
        Err(_) if args.is_set("conf") => {
            return Err(format!(
                "specified config file \"{}\" could not be opened.",
                path.display()
            ))
        }
        Err(_) => return Ok(()),
    };
    for (section, key, value) in parse_config(&text)? {
        let (negated, name) = match key.strip_prefix("no") {
            Some(rest) => (true, rest.to_string()),
            None => (false, key.clone()),
        };
        if name == "conf" {
            return Err("conf cannot be set in the configuration file; use includeconf= if you want to include additional config files".to_string());
        }
        let Some(flags) = CliArgs::is_known(&name) else {
            continue;
        };
        let setting = if negated {
            if flags & DISALLOW_NEGATION != 0 {
                return Err(format!(
                    "Negating of -{name} is meaningless and therefore forbidden"
                ));
            }
            Setting::Flag(!interpret_bool(&value))
        } else {
            Setting::Text(value)
        };
        args.add_config_value(&section, &name, setting);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn parses_sections_and_comments() {
        let c =
            parse_config("rpcuser=a # c\n[regtest]\nrpcport = 1234\nmain.rpcport=5\n\n").unwrap();
        let t = |a: &str, b: &str, c: &str| (a.to_string(), b.to_string(), c.to_string());
        assert_eq!(
            c,
            vec![
                t("", "rpcuser", "a"),
                t("regtest", "rpcport", "1234"),
                t("regtest", "main.rpcport", "5"),
            ]
        );
        assert!(parse_config("-x=1")
            .unwrap_err()
            .contains("without leading -"));
        assert_eq!(
            parse_config("nofoo").unwrap_err(),
            "parse error on line 1: nofoo, if you intended to specify a negated option, use nofoo=1 instead"
        );
        assert!(parse_config("rpcpassword=a#b").is_err());
    }
}
