//! The first logging API, kept for existing callers: a `Logger` handle that now writes
//! through the process-wide logger, so old and new callers share one `debug.log`.

use std::path::Path;
use std::time::SystemTime;

use super::{format, instance, Level, LogOptions, DEFAULT_DEBUGLOGFILE};

/// Handle on the process-wide logger (see [`super::instance`]).
#[derive(Debug)]
pub struct Logger {
    _private: (),
}

impl Logger {
    /// Points the process-wide logger at `debug.log` in `net_dir` (if `to_file`) and
    /// stdout (if `console`) and starts it, unless it was already started.
    pub fn new(net_dir: &Path, to_file: bool, console: bool) -> std::io::Result<Logger> {
        let log = instance();
        if !log.is_started() {
            if to_file {
                std::fs::create_dir_all(net_dir)?;
            }
            let current = log.options();
            log.set_options(LogOptions {
                print_to_console: console,
                print_to_file: to_file,
                file_path: net_dir.join(DEFAULT_DEBUGLOGFILE),
                ..current
            });
            log.start_logging()
                .map_err(|e| std::io::Error::other(e.to_string()))?;
        }
        Ok(Logger { _private: () })
    }

    /// Writes one info line whose category/level prefix (`"[ipc] "`, `"[warning] "`)
    /// is already formatted.
    pub fn log(&self, prefix: &str, message: &str) {
        let level = match prefix {
            "[warning] " => Level::Warning,
            "[error] " => Level::Error,
            _ => Level::Info,
        };
        let message = match level {
            Level::Info => format!("{prefix}{message}"),
            _ => message.to_string(),
        };
        instance().log_message(None, level, false, file!(), line!(), "log", message);
    }
}

/// ISO 8601 UTC with seconds, as Core's log timestamps.
pub fn timestamp(t: SystemTime) -> String {
    format::format_iso8601(format::split_time(t).0)
}
