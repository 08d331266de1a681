//! IPC log lines in the process's Core-format log: `-debug=ipc` shows every call.

use common::logging::{self, Category};

/// The IPC log level that `-debug` and `-loglevel` ask for.
pub fn ipc_log_level() -> ipc::log::Level {
    let log = logging::instance();
    if log.will_log_category_level(Category::Ipc, logging::Level::Trace) {
        ipc::log::Level::Trace
    } else if log.will_log_category_level(Category::Ipc, logging::Level::Debug) {
        ipc::log::Level::Debug
    } else {
        ipc::log::Level::Info
    }
}

/// Routes IPC log messages into the process's log with Core's prefixes; `exe` names the
/// process in them.
pub fn install_ipc_logging(exe: &str) {
    ipc::log::init(exe, ipc_log_level(), move |lvl, msg| match lvl {
        ipc::log::Level::Trace => logging::log_trace(Category::Ipc, msg),
        ipc::log::Level::Debug => logging::log_debug(Category::Ipc, msg),
        ipc::log::Level::Info => logging::log_info(&format!("ipc: {msg}")),
        ipc::log::Level::Warning => logging::log_warning(&format!("ipc: {msg}")),
        ipc::log::Level::Error => logging::log_error(&format!("ipc: {msg}")),
    });
}
