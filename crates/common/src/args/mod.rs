//! Options from the command line and `bitcoin.conf`, with Core's `ArgsManager` rules:
//! registration with help text, flags and categories; `-name`, `-name=value`,
//! `--name`, `-noname`; config sections and `includeconf`; Core's precedence between
//! sources; Core's getters (`InterpretBool`, `atoi`); `-help` text.
//!
//! Option names may be passed to every method with or without their leading dash.

mod config;
mod error;
mod flags;
mod help;
mod paths;
mod settings;
#[cfg(test)]
mod tests;

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::sync::{Mutex, MutexGuard};

pub use config::{ConfigMessage, SectionInfo, BITCOIN_CONF_FILENAME};
pub use error::ArgsError;
pub use flags::{ArgFlags, OptionsCategory};
pub use help::{help_message_group, help_message_opt};
pub use settings::{SettingValue, Settings};

use crate::chain::ChainType;
use crate::strutil::{interpret_bool, locale_independent_atoi, AtoiInt};
use settings::GetOptions;

/// A registered option: its help parameter (`=<n>`), help text and flags.
#[derive(Debug, Clone)]
struct Arg {
    help_param: String,
    help_text: String,
    flags: ArgFlags,
}

/// The positional command and its arguments (Core's `ArgsManager::Command`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Command {
    /// The registered command, or empty when the binary registers none.
    pub command: String,
    /// The arguments after the command (or, without registered commands, the whole
    /// positional part of the command line).
    pub args: Vec<String>,
}

#[derive(Debug, Clone)]
struct Inner {
    settings: Settings,
    command: Vec<String>,
    network: String,
    chain: Option<ChainType>,
    network_only_args: BTreeSet<String>,
    available: BTreeMap<OptionsCategory, BTreeMap<String, Arg>>,
    default_flags: Option<ArgFlags>,
    command_args: BTreeMap<String, BTreeSet<String>>,
    accept_any_command: bool,
    config_sections: Vec<SectionInfo>,
    config_path: Option<PathBuf>,
    messages: Vec<ConfigMessage>,
}

impl Default for Inner {
    fn default() -> Self {
        Inner {
            settings: Settings::default(),
            command: Vec::new(),
            network: String::new(),
            chain: None,
            network_only_args: BTreeSet::new(),
            available: BTreeMap::new(),
            default_flags: None,
            command_args: BTreeMap::new(),
            accept_any_command: true,
            config_sections: Vec::new(),
            config_path: None,
            messages: Vec::new(),
        }
    }
}

/// `-name` for `name` or `-name`.
fn dashed(name: &str) -> String {
    if name.starts_with('-') {
        name.to_string()
    } else {
        format!("-{name}")
    }
}

/// `name` for `-name` or `name` (Core's `SettingName`).
fn setting_name(name: &str) -> &str {
    name.strip_prefix('-').unwrap_or(name)
}

/// A key split into section, name and negation (Core's `InterpretKey`).
#[derive(Debug, Clone, PartialEq, Eq)]
struct KeyInfo {
    name: String,
    section: String,
    negated: bool,
}

fn interpret_key(key: &str) -> KeyInfo {
    let (section, rest) = match key.split_once('.') {
        Some((s, r)) => (s.to_string(), r),
        None => (String::new(), key),
    };
    let (name, negated) = match rest.strip_prefix("no") {
        Some(n) => (n, true),
        None => (rest, false),
    };
    KeyInfo {
        name: name.to_string(),
        section,
        negated,
    }
}

/// The stored value for a key and its raw value, checked against the option's flags
/// (Core's `InterpretValue`). A double negative adds a warning to `messages`.
fn interpret_value(
    key: &KeyInfo,
    value: Option<&str>,
    flags: ArgFlags,
    messages: &mut Vec<ConfigMessage>,
) -> Result<SettingValue, ArgsError> {
    if key.negated {
        if flags.contains(ArgFlags::DISALLOW_NEGATION) {
            return Err(ArgsError::NegationForbidden(key.name.clone()));
        }
        if let Some(v) = value {
            if !interpret_bool(v) {
                messages.push(ConfigMessage::Warning(format!(
                    "Parsed potentially confusing double-negative -{}={v}",
                    key.name
                )));
                return Ok(SettingValue::Bool(true));
            }
        }
        return Ok(SettingValue::Bool(false));
    }
    match value {
        None if flags.contains(ArgFlags::DISALLOW_ELISION) => {
            Err(ArgsError::MissingValue(key.name.clone()))
        }
        v => Ok(SettingValue::Str(v.unwrap_or_default().to_string())),
    }
}

/// Registered options and the values given for them, from every source.
///
/// Thread-safe: every method takes `&self` except the ones that parse input, so one
/// manager can be shared (e.g. in an `Arc`) once startup parsing is done.
#[derive(Debug, Default)]
pub struct ArgsManager {
    inner: Mutex<Inner>,
}

impl Clone for ArgsManager {
    fn clone(&self) -> Self {
        ArgsManager {
            inner: Mutex::new(self.lock().clone()),
        }
    }
}

impl ArgsManager {
    /// `-chain=<name>` (without its dash).
    pub const CHAIN: &'static str = "chain";

    /// A manager accepting the given option names (with or without dash), each
    /// registered with `ALLOW_ANY` and no help text. Kept for older callers; new code
    /// should use [`ArgsManager::empty`] and [`ArgsManager::add_arg`].
    pub fn new(known: &[&'static str]) -> Self {
        let args = ArgsManager::empty();
        for name in known {
            args.add_arg(name, "", ArgFlags::ALLOW_ANY, OptionsCategory::Options);
        }
        args
    }

    /// A manager with no options registered.
    pub fn empty() -> Self {
        ArgsManager::default()
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    // ----- registration -----

    /// Registers an option as Core's `AddArg`: `name` is `-name` optionally followed by
    /// its help parameter (`-dbcache=<n>`). Registering a name again in the same
    /// category replaces the earlier entry.
    pub fn add_arg(&self, name: &str, help: &str, flags: ArgFlags, category: OptionsCategory) {
        let (arg_name, param) = match name.find('=') {
            Some(i) => (&name[..i], &name[i..]),
            None => (name, ""),
        };
        let arg_name = dashed(arg_name);
        let mut inner = self.lock();
        if flags.contains(ArgFlags::NETWORK_ONLY) {
            inner.network_only_args.insert(arg_name.clone());
        }
        inner.available.entry(category).or_default().insert(
            arg_name,
            Arg {
                help_param: param.to_string(),
                help_text: help.to_string(),
                flags,
            },
        );
    }

    /// Registers options accepted but never listed (Core's `AddHiddenArgs`).
    pub fn add_hidden_args(&self, names: &[&str]) {
        for name in names {
            self.add_arg(name, "", ArgFlags::ALLOW_ANY, OptionsCategory::Hidden);
        }
    }

    /// Registers a positional command (Core's `AddCommand`); from then on the first
    /// positional argument must be a registered command. `options` are registered
    /// `CommandOptions` arguments valid with this command.
    pub fn add_command(&self, cmd: &str, help: &str, options: &[&str]) {
        let mut inner = self.lock();
        inner.accept_any_command = false;
        inner
            .available
            .entry(OptionsCategory::Commands)
            .or_default()
            .insert(
                cmd.to_string(),
                Arg {
                    help_param: String::new(),
                    help_text: help.to_string(),
                    flags: ArgFlags::COMMAND,
                },
            );
        if !options.is_empty() {
            inner
                .command_args
                .insert(cmd.to_string(), options.iter().map(|o| dashed(o)).collect());
        }
    }

    /// Registers `-help` (and hidden `-h`, `-?`) as Core's `SetupHelpOptions`.
    pub fn setup_help_options(&self) {
        self.add_arg(
            "-help",
            "Show this help text and quit (-h and -? do the same)",
            ArgFlags::ALLOW_ANY,
            OptionsCategory::Options,
        );
        self.add_hidden_args(&["-h", "-?"]);
    }

    /// Forgets every registration and value (Core's `ClearArgs`).
    pub fn clear_args(&self) {
        let mut inner = self.lock();
        inner.settings = Settings::default();
        inner.available.clear();
        inner.command_args.clear();
        inner.network_only_args.clear();
        inner.config_sections.clear();
    }

    /// The flags of a registered option (`-name`) or command (`name`), or the default
    /// flags set with [`ArgsManager::set_default_flags`] for an unknown one.
    pub fn get_arg_flags(&self, name: &str) -> Option<ArgFlags> {
        self.lock().flags_exact(name)
    }

    /// Flags to assume for unregistered options (`None`: unknown options are errors).
    pub fn set_default_flags(&self, flags: Option<ArgFlags>) {
        self.lock().default_flags = flags;
    }

    // ----- command line -----

    /// Parses the command line without the program name, as Core's `ParseParameters`.
    ///
    /// Options start with `-` or `--`; the first argument that does not starts the
    /// positional part (see [`ArgsManager::get_command`]); a lone `-` ends parsing.
    pub fn parse_parameters<I: IntoIterator<Item = String>>(
        &mut self,
        argv: I,
    ) -> Result<(), ArgsError> {
        let mut inner = self.lock();
        inner.settings.command_line.clear();
        inner.command.clear();
        let mut argv = argv.into_iter();
        while let Some(arg) = argv.next() {
            if arg == "-" {
                break;
            }
            let (key, val) = match arg.find('=') {
                Some(i) => (&arg[..i], Some(&arg[i + 1..])),
                None => (arg.as_str(), None),
            };
            if !key.starts_with('-') {
                if !inner.accept_any_command && inner.command.is_empty() {
                    let is_command = inner
                        .flags_exact(key)
                        .is_some_and(|f| f.contains(ArgFlags::COMMAND));
                    if !is_command {
                        return Err(ArgsError::InvalidCommand(arg.clone()));
                    }
                }
                inner.command.push(key.to_string());
                inner.command.extend(argv.by_ref());
                break;
            }
            let key = key.strip_prefix("--").unwrap_or(&key[1..]);
            let keyinfo = interpret_key(key);
            let flags = match inner.arg_flags(&keyinfo.name) {
                Some(f) if keyinfo.section.is_empty() => f,
                _ => return Err(ArgsError::InvalidParameter(arg.clone())),
            };
            let mut messages = Vec::new();
            let value = interpret_value(&keyinfo, val, flags, &mut messages)?;
            inner.messages.append(&mut messages);
            inner
                .settings
                .command_line
                .entry(keyinfo.name)
                .or_default()
                .push(value);
        }
        if let Some(values) = inner.settings.command_line.get("includeconf") {
            if let Some(first) = settings::Span(values).values().first() {
                return Err(ArgsError::IncludeConfOnCommandLine(first.to_string()));
            }
        }
        Ok(())
    }

    /// Parses the command line (without the program name) and rejects positional
    /// arguments unless commands are registered. Kept for older callers: Core's
    /// bitcoind checks for positional tokens only after reading the config file (see
    /// [`unexpected_token`]).
    pub fn parse<I: IntoIterator<Item = String>>(&mut self, argv: I) -> Result<(), ArgsError> {
        self.parse_parameters(argv)?;
        let inner = self.lock();
        if inner.accept_any_command {
            if let Some(first) = inner.command.first() {
                return Err(ArgsError::UnexpectedArgument(first.clone()));
            }
        }
        Ok(())
    }

    /// The positional command and its arguments, if any (Core's `GetCommand`).
    pub fn get_command(&self) -> Option<Command> {
        let inner = self.lock();
        let mut it = inner.command.iter();
        let first = it.next()?;
        if inner.accept_any_command {
            Some(Command {
                command: String::new(),
                args: inner.command.clone(),
            })
        } else {
            Some(Command {
                command: first.clone(),
                args: it.cloned().collect(),
            })
        }
    }

    /// One error per command-specific option given that `command` does not accept
    /// (Core's `CheckCommandOptions`); empty when all is well.
    pub fn check_command_options(&self, command: &str) -> Vec<ArgsError> {
        let inner = self.lock();
        let Some(options) = inner.available.get(&OptionsCategory::CommandOptions) else {
            return Vec::new();
        };
        let allowed = inner.command_args.get(command);
        options
            .keys()
            .filter(|opt| inner.get_setting(opt).is_some())
            .filter(|opt| !allowed.is_some_and(|a| a.contains(*opt)))
            .map(|opt| ArgsError::CommandOption {
                option: opt.clone(),
                command: command.to_string(),
            })
            .collect()
    }

    /// Fails when more than one `CliCommands` option is given (Core's
    /// `CheckMultipleCLIArgs`).
    pub fn check_multiple_cli_args(&self) -> Result<(), ArgsError> {
        let inner = self.lock();
        let found: Vec<String> = inner
            .available
            .get(&OptionsCategory::CliCommands)
            .map(|cmds| {
                cmds.keys()
                    .filter(|c| inner.get_setting(c).is_some())
                    .cloned()
                    .collect()
            })
            .unwrap_or_default();
        if found.len() > 1 {
            return Err(ArgsError::MultipleCliCommands(found));
        }
        Ok(())
    }

    /// Whether `-?`, `-h`, `-help` or `-help-debug` was given (Core's `HelpRequested`).
    pub fn help_requested(&self) -> bool {
        ["-?", "-h", "-help", "-help-debug"]
            .iter()
            .any(|a| self.is_arg_set(a))
    }

    /// Warnings collected while parsing (double negatives) and not yet returned by
    /// [`ArgsManager::read_config_files`].
    pub fn take_messages(&self) -> Vec<ConfigMessage> {
        std::mem::take(&mut self.lock().messages)
    }

    // ----- getters -----

    /// The effective value (Core's `GetSetting`): `None` when unset.
    pub fn get_setting(&self, name: &str) -> Option<SettingValue> {
        self.lock().get_setting(name)
    }

    /// Every effective value, in order (Core's `GetSettingsList`).
    pub fn get_settings_list(&self, name: &str) -> Vec<SettingValue> {
        self.lock().get_settings_list(name)
    }

    /// Every value as strings (Core's `GetArgs`): `-nofoo` clears earlier values.
    pub fn get_args(&self, name: &str) -> Vec<String> {
        self.get_settings_list(name)
            .iter()
            .map(SettingValue::to_arg_string)
            .collect()
    }

    /// Whether the option has a value from any source, negated or not.
    pub fn is_arg_set(&self, name: &str) -> bool {
        self.get_setting(name).is_some()
    }

    /// Whether the effective value is a negation (`-nofoo`).
    pub fn is_arg_negated(&self, name: &str) -> bool {
        self.get_setting(name).is_some_and(|v| v.is_false())
    }

    /// The effective value as a string (`-nofoo` gives "0", `-foo` gives "").
    pub fn get_arg(&self, name: &str) -> Option<String> {
        self.get_setting(name).map(|v| v.to_arg_string())
    }

    /// [`ArgsManager::get_arg`] or `default`.
    pub fn get_arg_or(&self, name: &str, default: &str) -> String {
        self.get_arg(name).unwrap_or_else(|| default.to_string())
    }

    /// The effective value as an integer of any width, as Core's `GetArg<Int>`
    /// (`atoi` rules: garbage is 0, out of range saturates).
    pub fn get_int<T: AtoiInt + TryFrom<i64>>(&self, name: &str) -> Option<T> {
        Some(match self.get_setting(name)? {
            SettingValue::Bool(false) => T::ZERO,
            SettingValue::Bool(true) => T::try_from(1).unwrap_or(T::MAX),
            SettingValue::Num(n) => T::try_from(n).unwrap_or(if n < 0 { T::MIN } else { T::MAX }),
            SettingValue::Str(s) => locale_independent_atoi::<T>(&s),
            SettingValue::List(_) => T::ZERO,
        })
    }

    /// The effective value as an `i64`, or `None` when unset.
    pub fn get_int_arg_opt(&self, name: &str) -> Option<i64> {
        self.get_int::<i64>(name)
    }

    /// The effective value as an `i64` (Core's `GetIntArg`), or `default` when unset.
    pub fn get_int_arg(&self, name: &str, default: i64) -> i64 {
        self.get_int_arg_opt(name).unwrap_or(default)
    }

    /// The effective value as a boolean (Core's `InterpretBool`), or `None` when unset.
    pub fn get_bool_arg_opt(&self, name: &str) -> Option<bool> {
        Some(match self.get_setting(name)? {
            SettingValue::Bool(b) => b,
            SettingValue::Num(n) => n != 0,
            SettingValue::Str(s) => interpret_bool(&s),
            SettingValue::List(_) => false,
        })
    }

    /// The effective value as a boolean (Core's `GetBoolArg`): `-foo` and `-foo=1` are
    /// true; `-nofoo`, `-foo=0` and also `-foo=true` are false.
    pub fn get_bool_arg(&self, name: &str, default: bool) -> bool {
        self.get_bool_arg_opt(name).unwrap_or(default)
    }

    /// Sets a value unless one is already set (Core's `SoftSetArg`); returns whether it
    /// was set.
    pub fn soft_set_arg(&self, name: &str, value: &str) -> bool {
        let mut inner = self.lock();
        if inner.get_setting(name).is_some() {
            return false;
        }
        inner.settings.forced.insert(
            setting_name(name).to_string(),
            SettingValue::Str(value.to_string()),
        );
        true
    }

    /// [`ArgsManager::soft_set_arg`] with "1" or "0".
    pub fn soft_set_bool_arg(&self, name: &str, value: bool) -> bool {
        self.soft_set_arg(name, if value { "1" } else { "0" })
    }

    /// Sets a value overriding every other source (Core's `ForceSetArg`).
    pub fn force_set_arg(&self, name: &str, value: &str) {
        self.lock().settings.forced.insert(
            setting_name(name).to_string(),
            SettingValue::Str(value.to_string()),
        );
    }

    /// Whether `-test=<option>` was given (Core's `HasTestOption`).
    pub fn has_test_option(&self, option: &str) -> bool {
        self.get_args("-test").iter().any(|o| o == option)
    }

    // ----- networks -----

    /// Selects the network whose config section applies (Core's `SelectConfigNetwork`,
    /// done by `SelectParams`). Also fixes the network datadir.
    pub fn select_config_network(&self, chain: ChainType) {
        let mut inner = self.lock();
        inner.network = chain.name().to_string();
        inner.chain = Some(chain);
    }

    /// The network selected with [`ArgsManager::select_config_network`], if any.
    pub fn selected_chain(&self) -> Option<ChainType> {
        self.lock().chain
    }

    /// The network chosen by -regtest, -testnet, -testnet4, -signet and -chain (Core's
    /// `GetChainType`).
    pub fn get_chain_type(&self) -> Result<ChainType, ArgsError> {
        let name = self.get_chain_type_string()?;
        ChainType::from_name(&name).ok_or(ArgsError::UnknownChain(name))
    }

    /// Like [`ArgsManager::get_chain_type`] but an unknown `-chain=` value is returned
    /// as given (Core's `GetChainTypeString`).
    pub fn get_chain_type_string(&self) -> Result<String, ArgsError> {
        let inner = self.lock();
        let flag = |name: &str| {
            let opts = GetOptions {
                chain_type: true,
                ..GetOptions::default()
            };
            match settings::get_setting(&inner.settings, "", name, opts) {
                None => false,
                Some(SettingValue::Bool(b)) => b,
                Some(v) => interpret_bool(&v.to_arg_string()),
            }
        };
        let regtest = flag("regtest");
        let signet = flag("signet");
        let testnet = flag("testnet");
        let testnet4 = flag("testnet4");
        let chain = inner.get_setting("-chain").map(|v| v.to_arg_string());
        let count = [chain.is_some(), regtest, signet, testnet, testnet4]
            .iter()
            .filter(|b| **b)
            .count();
        if count > 1 {
            return Err(ArgsError::ConflictingChains);
        }
        Ok(match chain {
            Some(c) => c,
            None if regtest => ChainType::Regtest.name().to_string(),
            None if signet => ChainType::Signet.name().to_string(),
            None if testnet => ChainType::Testnet.name().to_string(),
            None if testnet4 => ChainType::Testnet4.name().to_string(),
            None => ChainType::Main.name().to_string(),
        })
    }

    /// Network-only options set only in the config file's top section while another
    /// network is selected (Core's `GetUnsuitableSectionOnlyArgs`); names with dash.
    pub fn unsuitable_section_only_args(&self) -> BTreeSet<String> {
        let inner = self.lock();
        if inner.network.is_empty() || inner.network == ChainType::Main.name() {
            return BTreeSet::new();
        }
        inner
            .network_only_args
            .iter()
            .filter(|a| {
                settings::only_has_default_section_setting(
                    &inner.settings,
                    &inner.network,
                    setting_name(a),
                )
            })
            .cloned()
            .collect()
    }

    /// [`ArgsManager::unsuitable_section_only_args`] as Core's startup error ("Config
    /// setting for -x only applied on regtest network when in [regtest] section.").
    pub fn check_section_only_args(&self) -> Result<(), ArgsError> {
        let args: Vec<String> = self.unsuitable_section_only_args().into_iter().collect();
        if args.is_empty() {
            return Ok(());
        }
        let chain = self.lock().network.clone();
        Err(ArgsError::SectionOnly { args, chain })
    }

    /// Config sections that name no network (Core's `GetUnrecognizedSections`).
    pub fn unrecognized_sections(&self) -> Vec<SectionInfo> {
        const KNOWN: [&str; 5] = ["regtest", "signet", "test", "testnet4", "main"];
        self.lock()
            .config_sections
            .iter()
            .filter(|s| !KNOWN.contains(&s.name.as_str()))
            .cloned()
            .collect()
    }

    /// Core's startup warning for [`ArgsManager::unrecognized_sections`]
    /// (`<file>:<line> Section [x] is not recognized.` lines), or `None`.
    pub fn unrecognized_sections_warning(&self) -> Option<String> {
        let sections = self.unrecognized_sections();
        if sections.is_empty() {
            return None;
        }
        Some(
            sections
                .iter()
                .map(|s| {
                    format!(
                        "{}:{} Section [{}] is not recognized.\n",
                        s.file, s.line, s.name
                    )
                })
                .collect(),
        )
    }

    // ----- logging of options -----

    /// The lines Core's `LogArgs` logs at startup: every config-file value
    /// (`Config file arg: [section] name="value"`), settings-file value and
    /// command-line value, with sensitive values as `****`.
    pub fn log_args_lines(&self) -> Vec<String> {
        let inner = self.lock();
        let mut lines = Vec::new();
        for (section, args) in &inner.settings.ro_config {
            lines.extend(inner.prefixed_arg_lines("Config file arg:", section, args));
        }
        for (name, value) in &inner.settings.rw_settings {
            lines.push(format!("Setting file arg: {name} = {value}"));
        }
        lines.extend(inner.prefixed_arg_lines(
            "Command-line arg:",
            "",
            &inner.settings.command_line,
        ));
        lines
    }

    /// Logs [`ArgsManager::log_args_lines`] at info level (Core's `LogArgs`).
    pub fn log_args(&self) {
        for line in self.log_args_lines() {
            crate::logging::log_info(&line);
        }
    }

    /// Direct access to the stored settings (Core's `LockSettings`), e.g. to load or
    /// save `settings.json`.
    pub fn with_settings<R>(&self, f: impl FnOnce(&mut Settings) -> R) -> R {
        f(&mut self.lock().settings)
    }
}

impl Inner {
    /// Flags of the option `name` (looked up with its dash), or the default flags.
    fn arg_flags(&self, name: &str) -> Option<ArgFlags> {
        self.flags_exact(&dashed(name))
    }

    /// Flags of the entry registered exactly as `key` (options with their dash,
    /// commands without), or the default flags.
    fn flags_exact(&self, key: &str) -> Option<ArgFlags> {
        self.available
            .values()
            .find_map(|args| args.get(key))
            .map(|a| a.flags)
            .or(self.default_flags)
    }

    fn prefixed_arg_lines(
        &self,
        prefix: &str,
        section: &str,
        args: &BTreeMap<String, Vec<SettingValue>>,
    ) -> Vec<String> {
        let section_str = if section.is_empty() {
            String::new()
        } else {
            format!("[{section}] ")
        };
        let mut lines = Vec::new();
        for (name, values) in args {
            let Some(flags) = self.arg_flags(name) else {
                continue;
            };
            for value in values {
                let shown = if flags.contains(ArgFlags::SENSITIVE) {
                    "****".to_string()
                } else {
                    value.to_string()
                };
                lines.push(format!("{prefix} {section_str}{name}={shown}"));
            }
        }
        lines
    }

    fn use_default_section(&self, name: &str) -> bool {
        self.network == ChainType::Main.name() || !self.network_only_args.contains(&dashed(name))
    }

    fn get_setting(&self, name: &str) -> Option<SettingValue> {
        let opts = GetOptions {
            ignore_default_section: !self.use_default_section(name),
            ..GetOptions::default()
        };
        settings::get_setting(&self.settings, &self.network, setting_name(name), opts)
    }

    fn get_settings_list(&self, name: &str) -> Vec<SettingValue> {
        settings::get_settings_list(
            &self.settings,
            &self.network,
            setting_name(name),
            !self.use_default_section(name),
        )
    }
}

/// The first argument that is not an option, as Core's bitcoind reports after reading
/// the config file ("Command line contains unexpected token ..."). `argv` excludes the
/// program name.
pub fn unexpected_token(argv: &[String]) -> Option<ArgsError> {
    argv.iter()
        .find(|a| !a.starts_with('-'))
        .map(|a| ArgsError::UnexpectedArgument(a.clone()))
}
