//! Where option values come from and which one wins, as Core's `common/settings.cpp`:
//! forced settings, then the command line, then the read-write settings file
//! (`settings.json`), then the config file's network section, then its top section.

use std::collections::BTreeMap;
use std::fmt;

/// One stored value. A negated option (`-nofoo`) is stored as `Bool(false)`; a double
/// negative (`-nofoo=0`) as `Bool(true)`; everything else as the string given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SettingValue {
    /// `true` or `false`.
    Bool(bool),
    /// A string value (possibly empty).
    Str(String),
    /// A number (only from `settings.json`).
    Num(i64),
    /// A list (only from `settings.json`); flattened by list getters.
    List(Vec<SettingValue>),
}

impl SettingValue {
    /// Whether this is the negation marker (`false`).
    pub fn is_false(&self) -> bool {
        matches!(self, SettingValue::Bool(false))
    }

    /// The value as Core's `SettingToString`: `false` is "0", `true` is "1".
    pub fn to_arg_string(&self) -> String {
        match self {
            SettingValue::Bool(false) => "0".to_string(),
            SettingValue::Bool(true) => "1".to_string(),
            SettingValue::Str(s) => s.clone(),
            SettingValue::Num(n) => n.to_string(),
            SettingValue::List(_) => self.to_string(),
        }
    }
}

/// JSON text, as Core's `UniValue::write` (used in log lines and error messages).
impl fmt::Display for SettingValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SettingValue::Bool(b) => write!(f, "{b}"),
            SettingValue::Num(n) => write!(f, "{n}"),
            SettingValue::Str(s) => write_json_string(f, s),
            SettingValue::List(items) => {
                f.write_str("[")?;
                for (i, v) in items.iter().enumerate() {
                    if i > 0 {
                        f.write_str(",")?;
                    }
                    write!(f, "{v}")?;
                }
                f.write_str("]")
            }
        }
    }
}

fn write_json_string(f: &mut fmt::Formatter<'_>, s: &str) -> fmt::Result {
    f.write_str("\"")?;
    for c in s.chars() {
        match c {
            '"' => f.write_str("\\\"")?,
            '\\' => f.write_str("\\\\")?,
            '\n' => f.write_str("\\n")?,
            '\r' => f.write_str("\\r")?,
            '\t' => f.write_str("\\t")?,
            '\x08' => f.write_str("\\b")?,
            '\x0c' => f.write_str("\\f")?,
            c if (c as u32) < 0x20 || c == '\x7f' => write!(f, "\\u{:04x}", c as u32)?,
            c => write!(f, "{c}")?,
        }
    }
    f.write_str("\"")
}

/// All stored settings, by source.
#[derive(Debug, Clone, Default)]
pub struct Settings {
    /// Set by the program itself (`force_set_arg`, `soft_set_arg`).
    pub forced: BTreeMap<String, SettingValue>,
    /// Command-line values in order.
    pub command_line: BTreeMap<String, Vec<SettingValue>>,
    /// Values from `settings.json`.
    pub rw_settings: BTreeMap<String, SettingValue>,
    /// Config file values by section (`""` is the top section), in file order.
    pub ro_config: BTreeMap<String, BTreeMap<String, Vec<SettingValue>>>,
}

/// Which source a span of values came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Source {
    Forced,
    CommandLine,
    RwSettings,
    ConfigNetworkSection,
    ConfigDefaultSection,
}

impl Source {
    fn is_config(self) -> bool {
        matches!(
            self,
            Source::ConfigNetworkSection | Source::ConfigDefaultSection
        )
    }
}

/// A list of values where the last `false` and everything before it count as negated.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Span<'a>(pub(crate) &'a [SettingValue]);

impl<'a> Span<'a> {
    /// Number of leading values cancelled by the last negation.
    pub(crate) fn negated(&self) -> usize {
        self.0
            .iter()
            .rposition(|v| v.is_false())
            .map_or(0, |p| p + 1)
    }
    /// The values after the last negation.
    pub(crate) fn values(&self) -> &'a [SettingValue] {
        &self.0[self.negated()..]
    }
    /// Whether the last value is a negation.
    pub(crate) fn last_negated(&self) -> bool {
        self.0.last().is_some_and(|v| v.is_false())
    }
    /// Whether no non-negated value is left.
    pub(crate) fn is_empty(&self) -> bool {
        self.0.is_empty() || self.last_negated()
    }
}

fn merge<'a>(
    settings: &'a Settings,
    section: &str,
    name: &str,
    mut f: impl FnMut(Span<'a>, Source),
) {
    if let Some(v) = settings.forced.get(name) {
        f(Span(std::slice::from_ref(v)), Source::Forced);
    }
    if let Some(v) = settings.command_line.get(name) {
        f(Span(v), Source::CommandLine);
    }
    if let Some(v) = settings.rw_settings.get(name) {
        // A list spans its elements, so an empty list counts as unset (Core's SettingsSpan).
        match v {
            SettingValue::List(items) => f(Span(items), Source::RwSettings),
            _ => f(Span(std::slice::from_ref(v)), Source::RwSettings),
        }
    }
    if !section.is_empty() {
        if let Some(v) = settings.ro_config.get(section).and_then(|m| m.get(name)) {
            f(Span(v), Source::ConfigNetworkSection);
        }
    }
    if let Some(v) = settings.ro_config.get("").and_then(|m| m.get(name)) {
        f(Span(v), Source::ConfigDefaultSection);
    }
}

/// Options of [`get_setting`].
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct GetOptions {
    /// Skip the config file's top section (network-only options off mainnet).
    pub ignore_default_section: bool,
    /// Skip forced and command-line values.
    pub ignore_nonpersistent: bool,
    /// Core's special rules for the chain-selection flags.
    pub chain_type: bool,
}

/// The single effective value of `name`, or `None` when unset (Core's `GetSetting`).
pub(crate) fn get_setting(
    settings: &Settings,
    section: &str,
    name: &str,
    opts: GetOptions,
) -> Option<SettingValue> {
    let mut result = None;
    let mut done = false;
    merge(settings, section, name, |span, source| {
        if done {
            return;
        }
        // A negation in the top section applies even where other values there are ignored.
        let never_ignore_negated = span.last_negated();
        // Config files keep their historical "first value wins" rule, except for the
        // chain-selection flags.
        let reverse = source.is_config() && !opts.chain_type;
        if opts.ignore_default_section
            && source == Source::ConfigDefaultSection
            && !never_ignore_negated
        {
            return;
        }
        if opts.ignore_nonpersistent && matches!(source, Source::CommandLine | Source::Forced) {
            return;
        }
        // Negated chain flags on the command line are silently ignored, as in Core.
        if opts.chain_type && span.last_negated() {
            return;
        }
        if !span.is_empty() {
            let values = span.values();
            result = if reverse {
                values.first().cloned()
            } else {
                values.last().cloned()
            };
            done = true;
        } else if span.last_negated() {
            result = Some(SettingValue::Bool(false));
            done = true;
        }
    });
    result
}

/// Every effective value of `name`, in order (Core's `GetSettingsList`).
pub(crate) fn get_settings_list(
    settings: &Settings,
    section: &str,
    name: &str,
    ignore_default_section: bool,
) -> Vec<SettingValue> {
    let mut result = Vec::new();
    let mut done = false;
    let mut prev_negated_empty = false;
    merge(settings, section, name, |span, source| {
        // Config values come back after a command-line negation that was followed by
        // new values ("zombie" values), as in Core.
        let add_zombie = source.is_config() && !prev_negated_empty;
        if ignore_default_section && source == Source::ConfigDefaultSection {
            return;
        }
        if !done || add_zombie {
            for v in span.values() {
                match v {
                    SettingValue::List(items) => result.extend(items.iter().cloned()),
                    other => result.push(other.clone()),
                }
            }
        }
        done |= span.negated() > 0 || source == Source::Forced;
        prev_negated_empty |= span.last_negated() && result.is_empty();
    });
    result
}

/// Whether `name` is set only in the config file's top section (Core's
/// `OnlyHasDefaultSectionSetting`).
pub(crate) fn only_has_default_section_setting(
    settings: &Settings,
    section: &str,
    name: &str,
) -> bool {
    let mut has_default = false;
    let mut has_other = false;
    merge(settings, section, name, |span, source| {
        if span.is_empty() {
            return;
        }
        if source == Source::ConfigDefaultSection {
            has_default = true;
        } else {
            has_other = true;
        }
    });
    has_default && !has_other
}
