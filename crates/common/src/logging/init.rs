//! Logging set up from options, as Core's `init/common.cpp`: the logging options,
//! `-debug`/`-debugexclude`, `-loglevel`, and starting the log.

use std::fmt;
use std::path::Path;

use super::category::{log_categories_string, log_levels_string};
use super::{instance, LogManager, LogOptions, DEFAULT_DEBUGLOGFILE, DEFAULT_LOG_LEVEL};
use super::{RATELIMIT_MAX_BYTES, RATELIMIT_WINDOW};
use crate::args::{ArgFlags, ArgsManager, OptionsCategory};

/// Why logging could not be set up; `Display` gives Core's text (without `Error: `).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum LoggingError {
    /// Unknown `-debug=` / `-debugexclude=` value.
    UnsupportedCategory {
        /// `-debug` or `-debugexclude`.
        option: String,
        /// The value given.
        value: String,
    },
    /// Bad `-loglevel=<level>`.
    UnsupportedGlobalLevel(String),
    /// Bad `-loglevel=<category>:<level>`.
    UnsupportedCategoryLevel(String),
    /// The log file could not be opened.
    OpenFile(String),
}

impl fmt::Display for LoggingError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LoggingError::UnsupportedCategory { option, value } => {
                write!(f, "Unsupported logging category {option}={value}.")
            }
            LoggingError::UnsupportedGlobalLevel(v) => write!(
                f,
                "Unsupported global logging level -loglevel={v}. Valid values: {}.",
                log_levels_string()
            ),
            LoggingError::UnsupportedCategoryLevel(v) => write!(
                f,
                "Unsupported category-specific logging level -loglevel={v}. Expected -loglevel=<category>:<loglevel>. Valid categories: {}. Valid loglevels: {}.",
                log_categories_string(),
                log_levels_string()
            ),
            LoggingError::OpenFile(p) => write!(f, "Could not open debug log file {p}"),
        }
    }
}

impl std::error::Error for LoggingError {}

fn b(v: bool) -> u8 {
    u8::from(v)
}

/// Registers Core's logging options, with our own help texts (Core's `AddLoggingArgs`).
pub fn add_logging_args(args: &ArgsManager) {
    use ArgFlags as F;
    use OptionsCategory::{DebugTest, Options};
    let cats = log_categories_string();
    args.add_arg(
        "-debuglogfile=<file>",
        &format!("Where to write the debug log (default: {DEFAULT_DEBUGLOGFILE}). A relative path is taken from the data directory of the selected network. Use -nodebuglogfile to keep the log out of any file."),
        F::ALLOW_ANY,
        Options,
    );
    args.add_arg(
        "-debug=<category>",
        &format!("Turn on debug and trace messages (default: -nodebug; <category> may be left out). Leaving <category> out, or giving 1 or \"all\", turns on every category. Giving 0 or \"none\" ignores any other categories given. The remaining accepted values for <category> are: {cats}. Repeat the option to turn on several categories."),
        F::ALLOW_ANY,
        DebugTest,
    );
    args.add_arg(
        "-debugexclude=<category>",
        "Leave out debug and trace messages of one category. Together with -debug=1 this logs every category except the excluded one. Repeat the option to leave out several categories. Wins over anything \"-debug\" turns on",
        F::ALLOW_ANY,
        DebugTest,
    );
    args.add_arg(
        "-logips",
        &format!(
            "Show IP addresses in log lines (default: {})",
            b(super::DEFAULT_LOGIPS)
        ),
        F::ALLOW_ANY,
        DebugTest,
    );
    args.add_arg(
        "-loglevel=<level>|<category>:<level>",
        &format!("Choose the lowest severity that gets logged, for all categories or one category, among those turned on by the -debug option or the logging RPC. Accepted levels are {} (default={}). Messages at error, warning and info are logged in any case. A <category>:<level> value replaces the global level for that category; repeat it to set levels for several categories. <category> is one of: {cats}.", log_levels_string(), DEFAULT_LOG_LEVEL.name()),
        F::DISALLOW_NEGATION | F::DISALLOW_ELISION | F::DEBUG_ONLY,
        DebugTest,
    );
    args.add_arg(
        "-logtimestamps",
        &format!(
            "Start each log line with a timestamp (default: {})",
            b(super::DEFAULT_LOGTIMESTAMPS)
        ),
        F::ALLOW_ANY,
        DebugTest,
    );
    args.add_arg(
        "-logthreadnames",
        &format!(
            "Start each log line with the name of the thread that wrote it (default: {})",
            b(super::DEFAULT_LOGTHREADNAMES)
        ),
        F::ALLOW_ANY,
        DebugTest,
    );
    args.add_arg(
        "-logsourcelocations",
        &format!("Start each log line with where in the code it was written (source file, line number and function name) (default: {})", b(super::DEFAULT_LOGSOURCELOCATIONS)),
        F::ALLOW_ANY,
        DebugTest,
    );
    args.add_arg(
        "-logtimemicros",
        &format!(
            "Give log timestamps to the microsecond (default: {})",
            b(super::DEFAULT_LOGTIMEMICROS)
        ),
        F::ALLOW_ANY | F::DEBUG_ONLY,
        DebugTest,
    );
    args.add_arg(
        "-loglevelalways",
        &format!(
            "Put the category and level on every log line (default: {})",
            b(super::DEFAULT_LOGLEVELALWAYS)
        ),
        F::ALLOW_ANY,
        DebugTest,
    );
    args.add_arg(
        "-logratelimit",
        &format!("Limit how fast unconditional log messages may be written, so an attacker cannot fill the disk (default: {})", b(super::DEFAULT_LOGRATELIMIT)),
        F::ALLOW_ANY,
        DebugTest,
    );
    args.add_arg(
        "-printtoconsole",
        "Write trace/debug messages to the console (default: 1 unless -daemon. Use -nodebuglogfile to stop writing the log file)",
        F::ALLOW_ANY,
        DebugTest,
    );
    args.add_arg(
        "-shrinkdebugfile",
        "Cut the debug log file down in size when the program starts (default: 1 unless -debug)",
        F::ALLOW_ANY,
        DebugTest,
    );
}

/// The output settings the options ask for (Core's `SetLoggingOptions`); the log file
/// is `-debuglogfile` relative to the network datadir.
pub fn logging_options(args: &ArgsManager) -> LogOptions {
    let file = args.get_path_arg("-debuglogfile", Path::new(DEFAULT_DEBUGLOGFILE));
    LogOptions {
        print_to_file: !args.is_arg_negated("-debuglogfile"),
        file_path: args.abs_path_for_config_val(&file, true),
        print_to_console: args
            .get_bool_arg("-printtoconsole", !args.get_bool_arg("-daemon", false)),
        timestamps: args.get_bool_arg("-logtimestamps", super::DEFAULT_LOGTIMESTAMPS),
        time_micros: args.get_bool_arg("-logtimemicros", super::DEFAULT_LOGTIMEMICROS),
        thread_names: args.get_bool_arg("-logthreadnames", super::DEFAULT_LOGTHREADNAMES),
        source_locations: args
            .get_bool_arg("-logsourcelocations", super::DEFAULT_LOGSOURCELOCATIONS),
        always_print_category_level: args
            .get_bool_arg("-loglevelalways", super::DEFAULT_LOGLEVELALWAYS),
    }
}

/// Applies [`logging_options`] to the process-wide logger and `-logips` to
/// [`super::log_ips`] (Core's `SetLoggingOptions`). Returns the `-logips` value.
pub fn set_logging_options(args: &ArgsManager) -> bool {
    instance().set_options(logging_options(args));
    let ips = args.get_bool_arg("-logips", super::DEFAULT_LOGIPS);
    super::set_log_ips(ips);
    ips
}

/// Enables `-debug` categories and disables `-debugexclude` ones (Core's
/// `SetLoggingCategories`): values before the last `-debug=0`/`-debug=none` are ignored.
pub fn set_logging_categories(args: &ArgsManager) -> Result<(), LoggingError> {
    set_logging_categories_on(instance(), args)
}

/// [`set_logging_categories`] on a given logger.
pub fn set_logging_categories_on(log: &LogManager, args: &ArgsManager) -> Result<(), LoggingError> {
    let categories = args.get_args("-debug");
    let start = categories
        .iter()
        .rposition(|c| c == "0" || c == "none")
        .map_or(0, |p| p + 1);
    for cat in &categories[start..] {
        if !log.enable_category_str(cat) {
            return Err(LoggingError::UnsupportedCategory {
                option: "-debug".to_string(),
                value: cat.clone(),
            });
        }
    }
    for cat in args.get_args("-debugexclude") {
        if !log.disable_category_str(&cat) {
            return Err(LoggingError::UnsupportedCategory {
                option: "-debugexclude".to_string(),
                value: cat,
            });
        }
    }
    log.log_message(
        None,
        super::Level::Info,
        true,
        file!(),
        line!(),
        "SetLoggingCategories",
        "Log output may contain privacy-sensitive information. Be cautious when sharing logs."
            .to_string(),
    );
    Ok(())
}

/// Applies `-loglevel=<level>` and `-loglevel=<category>:<level>` (Core's
/// `SetLoggingLevel`).
pub fn set_logging_level(args: &ArgsManager) -> Result<(), LoggingError> {
    set_logging_level_on(instance(), args)
}

/// [`set_logging_level`] on a given logger.
pub fn set_logging_level_on(log: &LogManager, args: &ArgsManager) -> Result<(), LoggingError> {
    for value in args.get_args("-loglevel") {
        // Core looks for ':' from the fourth character on.
        let has_colon = value.char_indices().any(|(i, c)| i >= 3 && c == ':');
        if !has_colon {
            if !log.set_log_level_str(&value) {
                return Err(LoggingError::UnsupportedGlobalLevel(value));
            }
        } else {
            let parts: Vec<&str> = value.split(':').collect();
            let ok = parts.len() == 2 && log.set_category_log_level_str(parts[0], parts[1]);
            if !ok {
                return Err(LoggingError::UnsupportedCategoryLevel(value));
            }
        }
    }
    Ok(())
}

/// Shrinks the log file if asked (`-shrinkdebugfile`, default on without `-debug`),
/// opens it and writes out buffered lines, then logs Core's startup lines about the
/// datadir and config file and every option given (Core's `init::StartLogging`).
/// Core's "The specified config file %s does not exist" warning also goes to stderr.
pub fn start_logging(args: &ArgsManager) -> Result<(), LoggingError> {
    let log = instance();
    if log.options().print_to_file
        && args.get_bool_arg("-shrinkdebugfile", log.default_shrink_debug_file())
    {
        log.shrink_debug_file();
    }
    log.start_logging()?;
    let at = |level: super::Level, m: String| {
        log.log_message(None, level, true, file!(), line!(), "StartLogging", m)
    };
    let info = |m: String| at(super::Level::Info, m);
    if !log.options().timestamps {
        let now = super::format::split_time(std::time::SystemTime::now()).0;
        info(format!("Startup time: {}", super::format_iso8601(now)));
    }
    info(format!(
        "Default data directory {}",
        crate::chain::default_datadir().display()
    ));
    info(format!(
        "Using data directory {}",
        args.get_data_dir_net().display()
    ));
    let config = args.get_config_file_path().unwrap_or_default();
    if args.is_arg_negated("-conf") {
        info("Config file: <disabled>".to_string());
    } else if config.is_dir() {
        at(
            super::Level::Warning,
            format!("Config file: {} (is directory, not file)", config.display()),
        );
    } else if config.exists() {
        info(format!("Config file: {}", config.display()));
    } else if args.is_arg_set("-conf") {
        let msg = format!(
            "The specified config file {} does not exist",
            config.display()
        );
        at(super::Level::Warning, msg.clone());
        eprintln!("Warning: {msg}");
    } else {
        info(format!(
            "Config file: {} (not found, skipping)",
            config.display()
        ));
    }
    for line in args.log_args_lines() {
        info(line);
    }
    Ok(())
}

/// Turns on Core's rate limiting of unconditional lines unless `-nologratelimit`
/// (then logs "Log rate limiting disabled"), as Core's `AppInitMain` does.
pub fn set_rate_limiting_from_args(args: &ArgsManager) {
    let log = instance();
    if args.get_bool_arg("-logratelimit", super::DEFAULT_LOGRATELIMIT) {
        log.set_rate_limiting(Some((RATELIMIT_MAX_BYTES, RATELIMIT_WINDOW)));
    } else {
        log.set_rate_limiting(None);
        log.log_message(
            None,
            super::Level::Info,
            true,
            file!(),
            line!(),
            "AppInitMain",
            "Log rate limiting disabled".to_string(),
        );
    }
}
