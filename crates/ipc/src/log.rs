//! `-debug=ipc` logging: levels, the sink the binary installs, and Core's thread tags.
//!
//! Messages are only formatted when their level is enabled; values in particular
//! are formatted lazily, because eager formatting dominated libmultiprocess's client CPU.

use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::OnceLock;

/// Severity of an IPC log message, as libmultiprocess's `mp::Log`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    /// Values of requests and responses.
    Trace = 0,
    /// One line per request and response.
    Debug = 1,
    /// Connections opening and closing.
    Info = 2,
    /// Something unexpected that the runtime recovered from.
    Warning = 3,
    /// A failed request.
    Error = 4,
}

type Sink = Box<dyn Fn(Level, &str) + Send + Sync>;

static LEVEL: AtomicU8 = AtomicU8::new(Level::Info as u8);
static SINK: OnceLock<Sink> = OnceLock::new();
static EXE_NAME: OnceLock<String> = OnceLock::new();

/// Installs where log lines go and the lowest level written. Only the first call installs a sink.
pub fn init(exe_name: &str, level: Level, sink: impl Fn(Level, &str) + Send + Sync + 'static) {
    let _ = EXE_NAME.set(exe_name.to_string());
    LEVEL.store(level as u8, Ordering::Relaxed);
    let _ = SINK.set(Box::new(sink));
}

/// Sets the executable name used in thread tags and `makeThread` names, without a log sink.
pub fn set_exe_name(exe_name: &str) {
    let _ = EXE_NAME.set(exe_name.to_string());
}

/// Changes the lowest level written.
pub fn set_level(level: Level) {
    LEVEL.store(level as u8, Ordering::Relaxed);
}

/// Whether a message at `level` would be written; check before formatting.
pub fn enabled(level: Level) -> bool {
    SINK.get().is_some() && level as u8 >= LEVEL.load(Ordering::Relaxed)
}

/// Writes one message if its level is enabled.
pub fn write(level: Level, message: &str) {
    if enabled(level) {
        if let Some(sink) = SINK.get() {
            sink(level, message);
        }
    }
}

/// Name of the executable used in thread tags (`bitcoin-node`).
pub fn exe_name() -> &'static str {
    EXE_NAME.get().map(String::as_str).unwrap_or("")
}

/// Core's long thread name: `<exe>-<pid>/<thread name>-<tid>`, or `<exe>-<pid>/<tid>` for an unnamed thread.
pub fn long_thread_name() -> String {
    let pid = std::process::id();
    // SAFETY: gettid has no preconditions.
    let tid = unsafe { libc::syscall(libc::SYS_gettid) };
    let mut buf = [0u8; 16];
    // SAFETY: buf is 16 bytes, the limit pthread_getname_np documents for Linux.
    let rc = unsafe {
        libc::pthread_getname_np(libc::pthread_self(), buf.as_mut_ptr().cast(), buf.len())
    };
    let len = buf.iter().position(|&b| b == 0).unwrap_or(buf.len());
    let name = if rc == 0 {
        String::from_utf8_lossy(&buf[..len]).into_owned()
    } else {
        String::new()
    };
    if name.is_empty() {
        format!("{}-{pid}/{tid}", exe_name())
    } else {
        format!("{}-{pid}/{name}-{tid}", exe_name())
    }
}

/// Writes a message built by `f` only if `level` is enabled.
#[macro_export]
macro_rules! ipc_log {
    ($level:expr, $($arg:tt)*) => {
        if $crate::log::enabled($level) {
            $crate::log::write($level, &format!($($arg)*));
        }
    };
}
