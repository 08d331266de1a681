//! `bitcoin.conf`: Core's line syntax, sections, `includeconf`, and the startup steps of
//! Core's `ReadConfigFiles` and `common::InitConfig`.

use std::path::Path;

use super::settings::{SettingValue, Span};
use super::{interpret_key, interpret_value, ArgsError, ArgsManager};
use crate::chain::ChainType;

/// Default config file name, relative to the datadir.
pub const BITCOIN_CONF_FILENAME: &str = "bitcoin.conf";

/// Where a `[section]` (or `section.key=`) appeared in a config file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SectionInfo {
    /// Section name.
    pub name: String,
    /// The file as named (config path, or the `includeconf=` value).
    pub file: String,
    /// 1-based line number.
    pub line: usize,
}

/// A message produced while reading options, to be emitted once logging is set up,
/// in order. Core logs these straight into its (buffering) logger, except `Stderr`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConfigMessage {
    /// Core logs it with `LogInfo` (e.g. `Included configuration file x.conf`).
    Info(String),
    /// Core logs it with `LogWarning` (e.g. `Ignoring unknown configuration value x`).
    Warning(String),
    /// Core prints it to stderr followed by a newline (includeconf in included files).
    Stderr(String),
}

impl ConfigMessage {
    /// Sends the message where Core sends it: the global logger or stderr.
    pub fn emit(&self) {
        match self {
            ConfigMessage::Info(m) => crate::logging::log_info(m),
            ConfigMessage::Warning(m) => crate::logging::log_warning(m),
            ConfigMessage::Stderr(m) => eprintln!("{m}"),
        }
    }
}

/// Characters trimmed from config lines, keys and values.
const CONF_WHITESPACE: &[char] = &[' ', '\t', '\r', '\n'];

/// Splits config text into `(key, value)` pairs, `section.` prefixed inside sections,
/// recording sections seen (Core's `GetConfigOptions`).
fn config_options(
    text: &str,
    filepath: &str,
    sections: &mut Vec<SectionInfo>,
) -> Result<Vec<(String, String)>, ArgsError> {
    let mut options = Vec::new();
    let mut prefix = String::new();
    for (index, raw) in text.split('\n').enumerate() {
        let line = index + 1;
        let (content, used_hash) = match raw.find('#') {
            Some(p) => (&raw[..p], true),
            None => (raw, false),
        };
        let s = content.trim_matches(CONF_WHITESPACE);
        if s.is_empty() {
            continue;
        }
        if s.starts_with('[') && s.ends_with(']') && s.len() >= 2 {
            let section = &s[1..s.len() - 1];
            sections.push(SectionInfo {
                name: section.to_string(),
                file: filepath.to_string(),
                line,
            });
            prefix = format!("{section}.");
        } else if s.starts_with('-') {
            return Err(ArgsError::ConfigLeadingDash {
                line,
                text: s.to_string(),
            });
        } else if let Some(eq) = s.find('=') {
            let name = format!("{prefix}{}", s[..eq].trim_matches(CONF_WHITESPACE));
            let value = s[eq + 1..].trim_matches(CONF_WHITESPACE);
            if used_hash && name.contains("rpcpassword") {
                return Err(ArgsError::ConfigHashInPassword { line });
            }
            if let Some(dot) = name.rfind('.') {
                if prefix.len() <= dot {
                    sections.push(SectionInfo {
                        name: name[..dot].to_string(),
                        file: filepath.to_string(),
                        line,
                    });
                }
            }
            options.push((name, value.to_string()));
        } else {
            return Err(ArgsError::ConfigParse {
                line,
                text: s.to_string(),
            });
        }
    }
    Ok(options)
}

/// `"path"` with `"` and `\` escaped, as C++'s `std::quoted`.
pub(crate) fn quoted(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        if c == '"' || c == '\\' {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
    out
}

fn path_string(p: &Path) -> String {
    p.display().to_string()
}

/// An I/O error as C++'s `filesystem_error::what()` reads.
fn fs_error(what: &str, path: &Path, e: &std::io::Error) -> ArgsError {
    let text = e.to_string();
    let text = match text.find(" (os error") {
        Some(p) => text[..p].to_string(),
        None => text,
    };
    ArgsError::Io(format!(
        "filesystem error: {what}: {text} [{}]",
        path_string(path)
    ))
}

impl ArgsManager {
    /// Adds the options in config `text` as if read from `filepath` (Core's
    /// `ReadConfigStream`). Unknown keys are errors unless `ignore_invalid_keys`, when
    /// they become warnings.
    pub fn read_config_stream(
        &self,
        text: &str,
        filepath: &str,
        ignore_invalid_keys: bool,
    ) -> Result<(), ArgsError> {
        let mut inner = self.lock();
        let mut sections = std::mem::take(&mut inner.config_sections);
        let options = config_options(text, filepath, &mut sections);
        inner.config_sections = sections;
        for (key_text, value) in options? {
            let key = interpret_key(&key_text);
            let flags = inner.arg_flags(&key.name);
            if key.name == "conf" {
                return Err(ArgsError::ConfInConfigFile);
            }
            if key.name == "reindex" {
                inner.messages.push(ConfigMessage::Warning(
                    "reindex=1 is set in the configuration file, which will significantly slow down startup. Consider removing or commenting out this option for better performance, unless there is currently a condition which makes rebuilding the indexes necessary".to_string(),
                ));
            }
            match flags {
                Some(flags) => {
                    let mut messages = Vec::new();
                    let v = interpret_value(&key, Some(&value), flags, &mut messages)?;
                    inner.messages.append(&mut messages);
                    inner
                        .settings
                        .ro_config
                        .entry(key.section)
                        .or_default()
                        .entry(key.name)
                        .or_default()
                        .push(v);
                }
                None if ignore_invalid_keys => inner.messages.push(ConfigMessage::Warning(
                    format!("Ignoring unknown configuration value {key_text}"),
                )),
                None => return Err(ArgsError::InvalidConfigValue(key_text)),
            }
        }
        Ok(())
    }

    /// Replaces all config values with those in `text` (Core's `ReadConfigString`, for
    /// tests); unknown keys are errors.
    pub fn read_config_string(&self, text: &str) -> Result<(), ArgsError> {
        {
            let mut inner = self.lock();
            inner.settings.ro_config.clear();
            inner.config_sections.clear();
        }
        self.read_config_stream(text, "", false)
    }

    /// Reads the config file (`-conf`, default `bitcoin.conf` in the datadir) and the
    /// files it includes, as Core's `ReadConfigFiles(error, true)`: unknown keys are
    /// warnings. `-datadir` must already be parsed. Returns the messages Core would log
    /// (also double-negative warnings from the command line), for
    /// [`ConfigMessage::emit`] once logging is set up. The error text is Core's without
    /// the `Error reading configuration file: ` prefix its callers add.
    pub fn read_config_files(&mut self) -> Result<Vec<ConfigMessage>, ArgsError> {
        self.read_config_files_with(true)
    }

    /// [`ArgsManager::read_config_files`] choosing whether unknown keys are errors.
    pub fn read_config_files_with(
        &mut self,
        ignore_invalid_keys: bool,
    ) -> Result<Vec<ConfigMessage>, ArgsError> {
        let conf_val = self.get_path_arg("-conf", Path::new(BITCOIN_CONF_FILENAME));
        let conf_path = if conf_val.is_absolute() || conf_val.as_os_str().is_empty() {
            conf_val
        } else {
            self.get_data_dir_base().join(conf_val)
        };
        {
            let mut inner = self.lock();
            inner.settings.ro_config.clear();
            inner.config_sections.clear();
            inner.config_path = Some(conf_path.clone());
        }
        let mut content = None;
        if !conf_path.as_os_str().is_empty() {
            if conf_path.is_dir() {
                return Err(ArgsError::ConfigIsDirectory(path_string(&conf_path)));
            }
            content = std::fs::read(&conf_path).ok();
            if content.is_none() && self.is_arg_set("-conf") {
                return Err(ArgsError::ConfigNotOpened(path_string(&conf_path)));
            }
        }
        if let Some(bytes) = content {
            let text = String::from_utf8_lossy(&bytes);
            self.read_config_stream(&text, &path_string(&conf_path), ignore_invalid_keys)?;
            // Only `-noincludeconf` can be on the command line (parsing rejects the rest).
            let no_include = self
                .lock()
                .settings
                .command_line
                .contains_key("includeconf");
            if !no_include {
                self.read_included_files(ignore_invalid_keys)?;
            }
        }
        if !self.check_data_dir_option() {
            return Err(ArgsError::ConfigDataDirNotFound(
                self.get_arg_or("-datadir", ""),
            ));
        }
        Ok(self.take_messages())
    }

    /// `includeconf=` values of a config section from index `skip` on (after any
    /// negation); returns them and how many values the section has.
    fn includes(&self, section: &str, skip: usize) -> (Vec<String>, usize) {
        let inner = self.lock();
        let Some(values) = inner
            .settings
            .ro_config
            .get(section)
            .and_then(|m| m.get("includeconf"))
        else {
            return (Vec::new(), 0);
        };
        let start = skip.max(Span(values).negated());
        let names = values
            .iter()
            .skip(start)
            .map(SettingValue::to_arg_string)
            .collect();
        (names, values.len())
    }

    fn read_included_files(&self, ignore_invalid_keys: bool) -> Result<(), ArgsError> {
        let chain_id = self.get_chain_type_string()?;
        let (mut names, chain_count) = self.includes(&chain_id, 0);
        let (default_names, default_count) = self.includes("", 0);
        names.extend(default_names);
        for name in &names {
            let path = self.abs_path_for_config_val(Path::new(name), false);
            if path.is_dir() {
                return Err(ArgsError::IncludedConfigIsDirectory(path_string(&path)));
            }
            let Ok(bytes) = std::fs::read(&path) else {
                return Err(ArgsError::IncludeFailed(name.clone()));
            };
            self.read_config_stream(&String::from_utf8_lossy(&bytes), name, ignore_invalid_keys)?;
            self.lock().messages.push(ConfigMessage::Info(format!(
                "Included configuration file {name}"
            )));
        }
        // Included files cannot include more files: warn about what they tried.
        let mut ignored = self.includes(&chain_id, chain_count).0;
        ignored.extend(self.includes("", default_count).0);
        let chain_id_final = self.get_chain_type_string()?;
        if chain_id_final != chain_id {
            ignored.extend(self.includes(&chain_id_final, 0).0);
        }
        let mut inner = self.lock();
        for name in ignored {
            inner.messages.push(ConfigMessage::Stderr(format!(
                "warning: -includeconf cannot be used from included files; ignoring -includeconf={name}"
            )));
        }
        Ok(())
    }

    /// Core's `common::InitConfig` minus `settings.json`: checks `-datadir`, reads the
    /// config files, selects the network, creates `<datadir>/wallets` and
    /// `<datadir>/<net>/wallets` when those datadirs do not exist yet, and checks for a
    /// datadir `bitcoin.conf` shadowed by another config file. Errors carry Core's full
    /// text (e.g. `Error reading configuration file: ...`).
    pub fn init_config(&mut self) -> Result<Vec<ConfigMessage>, ArgsError> {
        if !self.check_data_dir_option() {
            return Err(ArgsError::DataDirNotFound(self.get_arg_or("-datadir", "")));
        }
        let orig_datadir = self.get_data_dir_base();
        let orig_config = self.abs_path_for_config_val(
            &self.get_path_arg("-conf", Path::new(BITCOIN_CONF_FILENAME)),
            false,
        );
        let mut messages = self
            .read_config_files()
            .map_err(|e| ArgsError::ReadConfig(Box::new(e)))?;
        let chain: ChainType = self.get_chain_type()?;
        self.select_config_network(chain);

        let base = self.get_data_dir_base();
        for dir in [base.clone(), self.get_data_dir_net()] {
            if !dir.exists() {
                let wallets = dir.join("wallets");
                std::fs::create_dir_all(&wallets)
                    .map_err(|e| fs_error("cannot create directories", &wallets, &e))?;
            }
        }

        let base_config = base.join(BITCOIN_CONF_FILENAME);
        if base_config.exists() {
            if orig_config.as_os_str().is_empty() {
                messages.push(ConfigMessage::Info(format!(
                    "Data directory {} contains a {} file which is explicitly ignored using -noconf.",
                    quoted(&path_string(&base)),
                    quoted(BITCOIN_CONF_FILENAME)
                )));
            } else if !same_file(&orig_config, &base_config) {
                let cli_conf = self.get_arg_or("-conf", "");
                let source = if cli_conf.is_empty() {
                    format!("data directory {}", quoted(&path_string(&orig_datadir)))
                } else {
                    format!(
                        "command line argument {}",
                        quoted(&format!("-conf={cli_conf}"))
                    )
                };
                let base_q = quoted(&path_string(&base));
                let conf_q = quoted(BITCOIN_CONF_FILENAME);
                let mut msg = format!(
                    "Data directory {base_q} contains a {conf_q} file which is ignored, because a different configuration file {} from {source} is being used instead. Possible ways to address this would be to:\n- Delete or rename the {conf_q} file in data directory {base_q}.\n- Change datadir= or conf= options to specify one configuration file, not two, and use includeconf= to include any other configuration files.",
                    quoted(&path_string(&orig_config)),
                );
                if self.get_bool_arg("-allowignoredconf", false) {
                    messages.push(ConfigMessage::Warning(msg));
                } else {
                    msg.push_str(
                        "\n- Set allowignoredconf=1 option to treat this condition as a warning, not an error.",
                    );
                    return Err(ArgsError::IgnoredConfig(msg));
                }
            }
        }
        Ok(messages)
    }
}

/// Whether both paths name the same existing file.
fn same_file(a: &Path, b: &Path) -> bool {
    match (std::fs::canonicalize(a), std::fs::canonicalize(b)) {
        (Ok(x), Ok(y)) => x == y,
        _ => false,
    }
}
