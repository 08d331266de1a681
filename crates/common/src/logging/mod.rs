//! Core's logging (`logging.cpp`): one process-wide logger writing lines in Core's
//! format to `debug.log` and/or stdout, with debug categories, levels, buffering of
//! lines logged before the log file is opened, and rate limiting.
//!
//! Log with the macros (format arguments as `format!`):
//! - [`log_info!`](crate::log_info), [`log_warning!`](crate::log_warning),
//!   [`log_error!`](crate::log_error): always logged (Core's `LogInfo`, `LogWarning`,
//!   `LogError`), rate limited per source line.
//! - [`log_debug!`](crate::log_debug)`(Category::Rpc, ...)` and
//!   [`log_trace!`](crate::log_trace)`(Category::Ipc, ...)`: only when the category
//!   is enabled (`-debug=rpc`) at that level; the arguments are not evaluated otherwise.
//!
//! or with the functions [`log_info`], [`log_warning`], [`log_error`], [`log_debug`],
//! [`log_trace`] when the message is already a string.
//!
//! Start logging from options with [`init::set_logging_options`],
//! [`init::set_logging_categories`], [`init::set_logging_level`] and
//! [`init::start_logging`] (Core's `init/common.cpp` steps).

pub mod category;
mod format;
pub mod init;
mod ratelimit;
#[cfg(test)]
mod tests;

use std::cell::RefCell;
use std::collections::{HashMap, VecDeque};
use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, AtomicU8, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use std::time::{Duration, Instant, SystemTime};

pub use category::{log_categories_string, log_levels_string, Category, Level};
pub use format::{format_iso8601, short_function_name};
pub use init::LoggingError;
pub use ratelimit::{RATELIMIT_MAX_BYTES, RATELIMIT_WINDOW};

use category::CategorySelection;
use ratelimit::{RateLimiter, Status};

/// Default `-debuglogfile`.
pub const DEFAULT_DEBUGLOGFILE: &str = "debug.log";
/// Default `-logtimestamps`.
pub const DEFAULT_LOGTIMESTAMPS: bool = true;
/// Default `-logtimemicros`.
pub const DEFAULT_LOGTIMEMICROS: bool = false;
/// Default `-logthreadnames`.
pub const DEFAULT_LOGTHREADNAMES: bool = false;
/// Default `-logsourcelocations`.
pub const DEFAULT_LOGSOURCELOCATIONS: bool = false;
/// Default `-loglevelalways`.
pub const DEFAULT_LOGLEVELALWAYS: bool = false;
/// Default `-logips`.
pub const DEFAULT_LOGIPS: bool = false;
/// Default `-logratelimit`.
pub const DEFAULT_LOGRATELIMIT: bool = true;
/// Default level for enabled categories.
pub const DEFAULT_LOG_LEVEL: Level = Level::Debug;
/// Bytes of early log lines kept before logging starts (Core: 1 MB).
pub const DEFAULT_MAX_LOG_BUFFER: usize = 1_000_000;
/// Bytes of `debug.log` kept by `-shrinkdebugfile` (Core: 10 MB).
pub const RECENT_DEBUG_HISTORY_SIZE: u64 = 10_000_000;

/// One log line before formatting (Core's `util::log::Entry`).
#[derive(Debug, Clone)]
pub struct LogEntry {
    /// `None` for unconditional lines (Core's `ALL`).
    pub category: Option<Category>,
    /// Severity.
    pub level: Level,
    /// Whether the rate limiter applies (unconditional lines).
    pub should_ratelimit: bool,
    /// When it was logged.
    pub time: SystemTime,
    /// Mock time in effect (0: none).
    pub mocktime: i64,
    /// Logging thread's name ("" when unknown).
    pub thread_name: String,
    /// Source file.
    pub file: &'static str,
    /// Source line.
    pub line: u32,
    /// Function name.
    pub function: String,
    /// The message.
    pub message: String,
}

/// Output settings (Core's public `Logger` fields, set by `SetLoggingOptions`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogOptions {
    /// Write to stdout.
    pub print_to_console: bool,
    /// Write to [`LogOptions::file_path`].
    pub print_to_file: bool,
    /// The log file.
    pub file_path: PathBuf,
    /// `-logtimestamps`.
    pub timestamps: bool,
    /// `-logtimemicros`.
    pub time_micros: bool,
    /// `-logthreadnames`.
    pub thread_names: bool,
    /// `-logsourcelocations`.
    pub source_locations: bool,
    /// `-loglevelalways`.
    pub always_print_category_level: bool,
}

impl Default for LogOptions {
    fn default() -> Self {
        LogOptions {
            print_to_console: false,
            print_to_file: false,
            file_path: PathBuf::new(),
            timestamps: DEFAULT_LOGTIMESTAMPS,
            time_micros: DEFAULT_LOGTIMEMICROS,
            thread_names: DEFAULT_LOGTHREADNAMES,
            source_locations: DEFAULT_LOGSOURCELOCATIONS,
            always_print_category_level: DEFAULT_LOGLEVELALWAYS,
        }
    }
}

type Callback = Arc<dyn Fn(&str) + Send + Sync>;

struct State {
    options: LogOptions,
    file: Option<File>,
    buffering: bool,
    buffer: VecDeque<LogEntry>,
    buffer_usage: usize,
    max_buffer: usize,
    discarded: usize,
    category_levels: HashMap<Category, Level>,
    limiter: Option<RateLimiter>,
    reopen: bool,
    callbacks: Vec<(u64, Callback)>,
    next_callback: u64,
}

/// The logger (Core's `BCLog::Logger`). Use [`instance`] for the process-wide one.
pub struct LogManager {
    state: Mutex<State>,
    categories: AtomicU64,
    level: AtomicU8,
    mocktime: AtomicI64,
}

impl Default for LogManager {
    fn default() -> Self {
        LogManager::new()
    }
}

impl std::fmt::Debug for LogManager {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LogManager")
            .field("categories", &self.category_mask())
            .field("level", &self.log_level())
            .finish_non_exhaustive()
    }
}

/// The process-wide logger used by the macros and functions of this module.
pub fn instance() -> &'static LogManager {
    static INSTANCE: OnceLock<LogManager> = OnceLock::new();
    INSTANCE.get_or_init(LogManager::new)
}

static LOG_IPS: AtomicBool = AtomicBool::new(DEFAULT_LOGIPS);

/// Whether IP addresses may appear in log lines (`-logips`, Core's `fLogIPs`).
pub fn log_ips() -> bool {
    LOG_IPS.load(Ordering::Relaxed)
}

/// Sets [`log_ips`].
pub fn set_log_ips(on: bool) {
    LOG_IPS.store(on, Ordering::Relaxed);
}

thread_local! {
    static THREAD_NAME: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// Names the calling thread for `-logthreadnames` (Core's `ThreadSetInternalName`;
/// Core's names: `init`, `http`, `httpworker.N`, `scheduler`, ...). Without it the
/// Rust thread name is used, and `unknown` when there is none.
pub fn set_thread_name(name: &str) {
    THREAD_NAME.with(|n| *n.borrow_mut() = Some(name.to_string()));
}

/// The calling thread's log name ("" when it has none).
pub fn thread_name() -> String {
    THREAD_NAME
        .with(|n| n.borrow().clone())
        .or_else(|| std::thread::current().name().map(str::to_string))
        .unwrap_or_default()
}

fn entry_usage(e: &LogEntry) -> usize {
    e.message.len() + e.thread_name.len() + e.function.len() + std::mem::size_of::<LogEntry>() + 16
}

impl LogManager {
    /// A logger that buffers until [`LogManager::start_logging`].
    pub fn new() -> LogManager {
        LogManager {
            state: Mutex::new(State {
                options: LogOptions::default(),
                file: None,
                buffering: true,
                buffer: VecDeque::new(),
                buffer_usage: 0,
                max_buffer: DEFAULT_MAX_LOG_BUFFER,
                discarded: 0,
                category_levels: HashMap::new(),
                limiter: None,
                reopen: false,
                callbacks: Vec::new(),
                next_callback: 0,
            }),
            categories: AtomicU64::new(0),
            level: AtomicU8::new(DEFAULT_LOG_LEVEL as u8),
            mocktime: AtomicI64::new(0),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Current output settings.
    pub fn options(&self) -> LogOptions {
        self.lock().options.clone()
    }

    /// Replaces the output settings (before [`LogManager::start_logging`] for the file).
    pub fn set_options(&self, options: LogOptions) {
        self.lock().options = options;
    }

    /// Changes the output settings in place.
    pub fn update_options(&self, f: impl FnOnce(&mut LogOptions)) {
        f(&mut self.lock().options);
    }

    /// The log file path (for `getrpcinfo`'s `logpath`).
    pub fn file_path(&self) -> PathBuf {
        self.lock().options.file_path.clone()
    }

    /// Whether logging has started (no longer buffering).
    pub fn is_started(&self) -> bool {
        !self.lock().buffering
    }

    /// Opens the log file (if printing to file), writes Core's five-newline separator,
    /// then writes out the lines buffered so far (Core's `StartLogging`). Starting
    /// again is a no-op.
    pub fn start_logging(&self) -> Result<(), LoggingError> {
        let mut st = self.lock();
        if !st.buffering {
            return Ok(());
        }
        if st.options.print_to_file {
            let path = st.options.file_path.clone();
            let mut f = OpenOptions::new()
                .create(true)
                .append(true)
                .open(&path)
                .map_err(|_| LoggingError::OpenFile(path.display().to_string()))?;
            let _ = f.write_all(b"\n\n\n\n\n");
            st.file = Some(f);
        }
        st.buffering = false;
        if st.discarded > 0 {
            let msg = format!(
                "Early logging buffer overflowed, {} log lines discarded.",
                st.discarded
            );
            let entry = self.make_entry(
                None,
                Level::Info,
                false,
                file!(),
                line!(),
                "StartLogging",
                msg,
            );
            self.print_locked(&mut st, entry);
        }
        let buffered = std::mem::take(&mut st.buffer);
        let mut console = Vec::new();
        for entry in buffered {
            let line = self.format_entry_with(&st.options, &entry);
            if st.options.print_to_file {
                if let Some(f) = st.file.as_mut() {
                    let _ = f.write_all(line.as_bytes());
                }
            }
            if st.options.print_to_console {
                console.extend_from_slice(line.as_bytes());
            }
            for (_, cb) in &st.callbacks {
                cb(&line);
            }
        }
        st.buffer_usage = 0;
        if !console.is_empty() {
            let mut out = std::io::stdout().lock();
            let _ = out.write_all(&console);
            let _ = out.flush();
        }
        Ok(())
    }

    /// Keeps only the last [`RECENT_DEBUG_HISTORY_SIZE`] bytes of the log file when it
    /// is more than 10% larger (Core's `ShrinkDebugFile`; run before starting).
    pub fn shrink_debug_file(&self) {
        let path = self.file_path();
        let Ok(mut file) = File::open(&path) else {
            return;
        };
        let size = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
        if size <= 11 * (RECENT_DEBUG_HISTORY_SIZE / 10) {
            return;
        }
        let keep = RECENT_DEBUG_HISTORY_SIZE;
        if file.seek(SeekFrom::End(-(keep as i64))).is_err() {
            self.log_message(
                None,
                Level::Warning,
                true,
                file!(),
                line!(),
                "ShrinkDebugFile",
                "Failed to shrink debug log file: fseek(...) failed".to_string(),
            );
            return;
        }
        let mut tail = Vec::with_capacity(keep as usize);
        if file.take(keep).read_to_end(&mut tail).is_err() {
            return;
        }
        let _ = std::fs::write(&path, &tail);
    }

    /// Whether `-shrinkdebugfile` defaults on: no debug category enabled.
    pub fn default_shrink_debug_file(&self) -> bool {
        self.category_mask() == 0
    }

    /// Turns on rate limiting of unconditional lines (`max_bytes` per source line per
    /// `window`), or off with `None`.
    pub fn set_rate_limiting(&self, limit: Option<(u64, Duration)>) {
        self.lock().limiter = limit.map(|(b, w)| RateLimiter::new(b, w));
    }

    /// Sets the mock time shown after timestamps (`(mocktime: ...)`); 0 turns it off.
    pub fn set_mocktime(&self, secs: i64) {
        self.mocktime.store(secs, Ordering::Relaxed);
    }

    /// Limits the memory used by lines buffered before logging starts (Core: 1 MB).
    pub fn set_max_buffer_memusage(&self, bytes: usize) {
        self.lock().max_buffer = bytes;
    }

    /// Registers a function called with every formatted line; returns its id.
    pub fn push_callback(&self, f: impl Fn(&str) + Send + Sync + 'static) -> u64 {
        let mut st = self.lock();
        let id = st.next_callback;
        st.next_callback += 1;
        st.callbacks.push((id, Arc::new(f)));
        id
    }

    // ----- categories and levels -----

    /// Bit mask of enabled categories.
    pub fn category_mask(&self) -> u64 {
        self.categories.load(Ordering::Relaxed)
    }

    /// Enables a category.
    pub fn enable_category(&self, c: Category) {
        self.categories.fetch_or(c.mask(), Ordering::Relaxed);
    }

    fn select(&self, name: &str) -> Option<u64> {
        let sel = CategorySelection::parse(name)?;
        if sel == CategorySelection::Deprecated {
            self.log_message(
                None,
                Level::Warning,
                true,
                file!(),
                line!(),
                "GetLogCategory",
                format!("The logging category `{name}` is deprecated, does nothing, and will be removed in a future version"),
            );
        }
        Some(sel.mask())
    }

    /// Enables a category by name; "", "1" and "all" enable all. Returns false for an
    /// unknown name (the `logging` RPC's and `-debug`'s check).
    pub fn enable_category_str(&self, name: &str) -> bool {
        match self.select(name) {
            Some(mask) => {
                self.categories.fetch_or(mask, Ordering::Relaxed);
                true
            }
            None => false,
        }
    }

    /// Disables a category by name; "", "1" and "all" disable all.
    pub fn disable_category_str(&self, name: &str) -> bool {
        match self.select(name) {
            Some(mask) => {
                self.categories.fetch_and(!mask, Ordering::Relaxed);
                true
            }
            None => false,
        }
    }

    /// Whether a category is enabled.
    pub fn will_log_category(&self, c: Category) -> bool {
        self.category_mask() & c.mask() != 0
    }

    /// Whether a line of this category and level is logged (info and above always).
    pub fn will_log_category_level(&self, c: Category, level: Level) -> bool {
        if level >= Level::Info {
            return true;
        }
        if !self.will_log_category(c) {
            return false;
        }
        let threshold = self
            .lock()
            .category_levels
            .get(&c)
            .copied()
            .unwrap_or_else(|| self.log_level());
        level >= threshold
    }

    /// Every category with whether it is enabled, sorted by name (the `logging` RPC
    /// result, Core's `LogCategoriesList`).
    pub fn log_categories_list(&self) -> Vec<(&'static str, bool)> {
        Category::ALL
            .iter()
            .map(|c| (c.name(), self.will_log_category(*c)))
            .collect()
    }

    /// The global level for enabled categories.
    pub fn log_level(&self) -> Level {
        Level::from_u8(self.level.load(Ordering::Relaxed))
    }

    /// Sets the global level.
    pub fn set_log_level(&self, level: Level) {
        self.level.store(level as u8, Ordering::Relaxed);
    }

    /// Sets the global level by name; only `trace`, `debug` and `info` are accepted.
    pub fn set_log_level_str(&self, name: &str) -> bool {
        match Level::from_name(name) {
            Some(l) if l <= Level::Info => {
                self.set_log_level(l);
                true
            }
            _ => false,
        }
    }

    /// Sets one category's level by names (Core's `SetCategoryLogLevel`).
    pub fn set_category_log_level_str(&self, category: &str, level: &str) -> bool {
        let Some(sel) = CategorySelection::parse(category) else {
            return false;
        };
        let Some(level) = Level::from_name(level).filter(|l| *l <= Level::Info) else {
            return false;
        };
        let mut st = self.lock();
        match sel {
            CategorySelection::Deprecated => {}
            CategorySelection::One(c) => {
                st.category_levels.insert(c, level);
            }
            CategorySelection::All => {
                // Core keys the map by the ALL flag, which no line carries: no effect
                // on individual categories.
            }
        }
        true
    }

    /// Per-category levels set so far.
    pub fn category_levels(&self) -> HashMap<Category, Level> {
        self.lock().category_levels.clone()
    }

    // ----- writing -----

    #[allow(clippy::too_many_arguments)]
    fn make_entry(
        &self,
        category: Option<Category>,
        level: Level,
        should_ratelimit: bool,
        file: &'static str,
        line: u32,
        function: &str,
        message: String,
    ) -> LogEntry {
        LogEntry {
            category,
            level,
            should_ratelimit,
            time: SystemTime::now(),
            mocktime: self.mocktime.load(Ordering::Relaxed),
            thread_name: thread_name(),
            file,
            line,
            function: function.to_string(),
            message,
        }
    }

    /// Logs one message (no category/level filtering: callers check
    /// [`LogManager::will_log_category_level`] first).
    #[allow(clippy::too_many_arguments)]
    pub fn log_message(
        &self,
        category: Option<Category>,
        level: Level,
        should_ratelimit: bool,
        file: &'static str,
        line: u32,
        function: &str,
        message: String,
    ) {
        let entry = self.make_entry(
            category,
            level,
            should_ratelimit,
            file,
            line,
            function,
            message,
        );
        self.log_entry(entry);
    }

    /// Logs a prepared entry (Core's `LogPrint`).
    pub fn log_entry(&self, entry: LogEntry) {
        let mut st = self.lock();
        let enabled = st.buffering
            || st.options.print_to_console
            || st.options.print_to_file
            || !st.callbacks.is_empty();
        if enabled {
            self.print_locked(&mut st, entry);
        }
    }

    /// A line as it would be written with the current options.
    pub fn format_entry(&self, entry: &LogEntry) -> String {
        let options = self.options();
        self.format_entry_with(&options, entry)
    }

    fn format_entry_with(&self, o: &LogOptions, e: &LogEntry) -> String {
        let mut s = if o.timestamps {
            format::timestamp_str(e.time, o.time_micros, e.mocktime)
        } else {
            String::new()
        };
        if o.thread_names {
            let name = if e.thread_name.is_empty() {
                "unknown"
            } else {
                &e.thread_name
            };
            s.push_str(&format!("[{name}] "));
        }
        if o.source_locations {
            let file = e.file.strip_prefix("./").unwrap_or(e.file);
            s.push_str(&format!("[{file}:{}] [{}] ", e.line, e.function));
        }
        s.push_str(&format::log_prefix(
            e.category,
            e.level,
            o.always_print_category_level,
        ));
        s.push_str(&format::escape_message(&e.message));
        if !s.ends_with('\n') {
            s.push('\n');
        }
        s
    }

    fn print_locked(&self, st: &mut State, entry: LogEntry) {
        if st.buffering {
            st.buffer_usage += entry_usage(&entry);
            st.buffer.push_back(entry);
            while st.buffer_usage > st.max_buffer {
                match st.buffer.pop_front() {
                    Some(old) => {
                        st.buffer_usage = st.buffer_usage.saturating_sub(entry_usage(&old));
                        st.discarded += 1;
                    }
                    None => {
                        st.buffer_usage = 0;
                        break;
                    }
                }
            }
            return;
        }
        let mut line = self.format_entry_with(&st.options, &entry);
        let mut drop_from_file = false;
        if let Some(lim) = st.limiter.as_mut() {
            let restarted = lim.maybe_reset(Instant::now());
            let window = lim.window.as_secs();
            for ((file, l), stats) in restarted {
                let msg = format!(
                    "Restarting logging from {file}:{l} ({}): {} bytes were dropped during the last {window}s.",
                    stats.function, stats.dropped
                );
                let e =
                    self.make_entry(None, Level::Warning, false, file!(), line!(), "Reset", msg);
                self.print_locked(st, e);
            }
        }
        if entry.should_ratelimit {
            let status = st.limiter.as_mut().map(|lim| {
                (
                    lim.consume((entry.file, entry.line), &entry.function, line.len() as u64),
                    lim.max_bytes,
                    lim.window.as_secs(),
                )
            });
            match status {
                Some((Status::NewlySuppressed, max, window)) => {
                    let msg = format!(
                        "Excessive logging detected from {}:{} ({}): >{max} bytes logged during the last time window of {window}s. Suppressing logging to disk from this source location until time window resets. Console logging unaffected. Last log entry.",
                        entry.file, entry.line, entry.function
                    );
                    let e = self.make_entry(
                        None,
                        Level::Warning,
                        false,
                        file!(),
                        line!(),
                        "LogPrint_",
                        msg,
                    );
                    self.print_locked(st, e);
                }
                Some((Status::StillSuppressed, _, _)) => drop_from_file = true,
                _ => {}
            }
        }
        if st.limiter.as_ref().is_some_and(|l| l.suppression_active) {
            line.insert_str(0, "[*] ");
        }
        if st.options.print_to_console {
            let mut out = std::io::stdout().lock();
            let _ = out.write_all(line.as_bytes());
            let _ = out.flush();
        }
        for (_, cb) in &st.callbacks {
            cb(&line);
        }
        if st.options.print_to_file && !drop_from_file {
            if st.reopen {
                st.reopen = false;
                if let Ok(f) = OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(&st.options.file_path)
                {
                    st.file = Some(f);
                }
            }
            if let Some(f) = st.file.as_mut() {
                let _ = f.write_all(line.as_bytes());
            }
        }
    }
}

// ----- function forms -----

fn caller_log(category: Option<Category>, level: Level, ratelimit: bool, msg: &str) {
    let loc = std::panic::Location::caller();
    instance().log_message(
        category,
        level,
        ratelimit,
        loc.file(),
        loc.line(),
        "unknown",
        msg.to_string(),
    );
}

/// Logs an info line (Core's `LogInfo`) with the caller's file and line.
#[track_caller]
pub fn log_info(msg: &str) {
    caller_log(None, Level::Info, true, msg);
}

/// Logs a `[warning]` line (Core's `LogWarning`).
#[track_caller]
pub fn log_warning(msg: &str) {
    caller_log(None, Level::Warning, true, msg);
}

/// Logs an `[error]` line (Core's `LogError`).
#[track_caller]
pub fn log_error(msg: &str) {
    caller_log(None, Level::Error, true, msg);
}

/// Logs a `[category]` line if the category is enabled (Core's `LogDebug`).
#[track_caller]
pub fn log_debug(category: Category, msg: &str) {
    if instance().will_log_category_level(category, Level::Debug) {
        caller_log(Some(category), Level::Debug, false, msg);
    }
}

/// Logs a `[category:trace]` line if the category is enabled at trace level.
#[track_caller]
pub fn log_trace(category: Category, msg: &str) {
    if instance().will_log_category_level(category, Level::Trace) {
        caller_log(Some(category), Level::Trace, false, msg);
    }
}

/// Whether [`log_debug!`](crate::log_debug) for `category` would log.
pub fn should_debug_log(category: Category) -> bool {
    instance().will_log_category_level(category, Level::Debug)
}

/// Whether [`log_trace!`](crate::log_trace) for `category` would log.
pub fn should_trace_log(category: Category) -> bool {
    instance().will_log_category_level(category, Level::Trace)
}

// ----- macros -----

/// The enclosing function's name, for `-logsourcelocations`.
#[doc(hidden)]
#[macro_export]
macro_rules! __log_function_name {
    () => {{
        fn f() {}
        fn type_name_of<T>(_: T) -> &'static str {
            ::std::any::type_name::<T>()
        }
        $crate::logging::short_function_name(type_name_of(f))
    }};
}

#[doc(hidden)]
#[macro_export]
macro_rules! __log_at {
    ($category:expr, $level:expr, $ratelimit:expr, $($arg:tt)+) => {
        $crate::logging::instance().log_message(
            $category,
            $level,
            $ratelimit,
            ::std::file!(),
            ::std::line!(),
            $crate::__log_function_name!(),
            ::std::format!($($arg)+),
        )
    };
}

/// Logs an info line, always (Core's `LogInfo`): `log_info!("Loaded {n} blocks")`.
#[macro_export]
macro_rules! log_info {
    ($($arg:tt)+) => {
        $crate::__log_at!(None, $crate::logging::Level::Info, true, $($arg)+)
    };
}

/// Logs a `[warning]` line, always (Core's `LogWarning`).
#[macro_export]
macro_rules! log_warning {
    ($($arg:tt)+) => {
        $crate::__log_at!(None, $crate::logging::Level::Warning, true, $($arg)+)
    };
}

/// Logs an `[error]` line, always (Core's `LogError`).
#[macro_export]
macro_rules! log_error {
    ($($arg:tt)+) => {
        $crate::__log_at!(None, $crate::logging::Level::Error, true, $($arg)+)
    };
}

/// Logs a `[category]` line when the category is enabled (Core's `LogDebug`):
/// `log_debug!(Category::Rpc, "Received {method}")`. Arguments are not evaluated
/// otherwise.
#[macro_export]
macro_rules! log_debug {
    ($category:expr, $($arg:tt)+) => {{
        let category: $crate::logging::Category = $category;
        if $crate::logging::should_debug_log(category) {
            $crate::__log_at!(Some(category), $crate::logging::Level::Debug, false, $($arg)+)
        }
    }};
}

/// Logs a `[category:trace]` line when the category is enabled at trace level (Core's
/// `LogTrace`).
#[macro_export]
macro_rules! log_trace {
    ($category:expr, $($arg:tt)+) => {{
        let category: $crate::logging::Category = $category;
        if $crate::logging::should_trace_log(category) {
            $crate::__log_at!(Some(category), $crate::logging::Level::Trace, false, $($arg)+)
        }
    }};
}
