#![allow(clippy::unwrap_used, clippy::expect_used)]

use super::*;
use crate::args::{ArgFlags, ArgsManager, OptionsCategory};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::UNIX_EPOCH;

struct TempDir(PathBuf);

impl TempDir {
    fn new(tag: &str) -> TempDir {
        static N: AtomicUsize = AtomicUsize::new(0);
        let p = std::env::temp_dir().join(format!(
            "common-log-{tag}-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p).unwrap();
        TempDir(p)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn entry(category: Option<Category>, level: Level, msg: &str) -> LogEntry {
    LogEntry {
        category,
        level,
        should_ratelimit: false,
        time: UNIX_EPOCH + Duration::from_micros(1_795_000_272_000_042),
        mocktime: 0,
        thread_name: "init".into(),
        file: "./src/init.rs",
        line: 42,
        function: "start".into(),
        message: msg.into(),
    }
}

fn with_options(f: impl FnOnce(&mut LogOptions)) -> LogManager {
    let log = LogManager::new();
    let mut o = LogOptions::default();
    f(&mut o);
    log.set_options(o);
    log
}

#[test]
fn line_formats() {
    let log = with_options(|_| {});
    let ts = "2026-11-18T11:11:12Z";
    assert_eq!(format_iso8601(1_795_000_272), ts);
    assert_eq!(
        log.format_entry(&entry(None, Level::Info, "hello")),
        format!("{ts} hello\n")
    );
    assert_eq!(
        log.format_entry(&entry(None, Level::Info, "hello\n")),
        format!("{ts} hello\n")
    );
    assert_eq!(
        log.format_entry(&entry(None, Level::Warning, "w")),
        format!("{ts} [warning] w\n")
    );
    assert_eq!(
        log.format_entry(&entry(None, Level::Error, "e")),
        format!("{ts} [error] e\n")
    );
    assert_eq!(
        log.format_entry(&entry(Some(Category::Rpc), Level::Debug, "d")),
        format!("{ts} [rpc] d\n")
    );
    assert_eq!(
        log.format_entry(&entry(Some(Category::Ipc), Level::Trace, "t")),
        format!("{ts} [ipc:trace] t\n")
    );

    let log = with_options(|o| o.time_micros = true);
    assert_eq!(
        log.format_entry(&entry(None, Level::Info, "m")),
        "2026-11-18T11:11:12.000042Z m\n"
    );
    let log = with_options(|o| o.timestamps = false);
    assert_eq!(log.format_entry(&entry(None, Level::Info, "m")), "m\n");
    let log = with_options(|o| o.thread_names = true);
    assert_eq!(
        log.format_entry(&entry(None, Level::Info, "m")),
        format!("{ts} [init] m\n")
    );
    let mut e = entry(None, Level::Info, "m");
    e.thread_name.clear();
    assert_eq!(log.format_entry(&e), format!("{ts} [unknown] m\n"));
    let log = with_options(|o| {
        o.thread_names = true;
        o.source_locations = true;
    });
    assert_eq!(
        log.format_entry(&entry(Some(Category::Net), Level::Debug, "m")),
        format!("{ts} [init] [src/init.rs:42] [start] [net] m\n")
    );
    let log = with_options(|o| o.always_print_category_level = true);
    assert_eq!(
        log.format_entry(&entry(None, Level::Info, "m")),
        format!("{ts} [all:info] m\n")
    );
    let log = with_options(|_| {});
    let mut e = entry(None, Level::Info, "m\x01");
    e.mocktime = 1_735_689_600;
    assert_eq!(
        log.format_entry(&e),
        format!("{ts} (mocktime: 2025-01-01T00:00:00Z) m\\x01\n")
    );
}

#[test]
fn buffering_until_start() {
    let dir = TempDir::new("buffer");
    let path = dir.0.join("debug.log");
    std::fs::write(&path, "old\n").unwrap();
    let log = with_options(|o| {
        o.print_to_file = true;
        o.file_path = path.clone();
        o.timestamps = false;
    });
    log.log_message(
        None,
        Level::Info,
        true,
        file!(),
        line!(),
        "f",
        "early".into(),
    );
    assert!(!log.is_started());
    assert_eq!(std::fs::read_to_string(&path).unwrap(), "old\n");
    log.start_logging().unwrap();
    log.log_message(
        None,
        Level::Warning,
        true,
        file!(),
        line!(),
        "f",
        "late".into(),
    );
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        "old\n\n\n\n\n\nearly\n[warning] late\n"
    );
    // Overflowing the early buffer drops the oldest lines and says so.
    let path2 = dir.0.join("d2.log");
    let log = with_options(|o| {
        o.print_to_file = true;
        o.file_path = path2.clone();
        o.timestamps = false;
    });
    log.set_max_buffer_memusage(600);
    for i in 0..10 {
        log.log_message(
            None,
            Level::Info,
            true,
            file!(),
            line!(),
            "f",
            format!("line {i}"),
        );
    }
    log.start_logging().unwrap();
    let text = std::fs::read_to_string(&path2).unwrap();
    assert!(
        text.starts_with("\n\n\n\n\nEarly logging buffer overflowed, "),
        "{text}"
    );
    assert!(text.ends_with("line 9\n"));
    assert!(!text.contains("line 0\n"));
    // An unopenable file.
    let log = with_options(|o| {
        o.print_to_file = true;
        o.file_path = dir.0.join("missing").join("x.log");
    });
    assert_eq!(
        log.start_logging().unwrap_err().to_string(),
        format!(
            "Could not open debug log file {}",
            dir.0.join("missing").join("x.log").display()
        )
    );
}

#[test]
fn categories() {
    let log = LogManager::new();
    assert!(!log.will_log_category(Category::Net));
    assert!(log.enable_category_str("net"));
    assert!(log.will_log_category(Category::Net));
    assert!(!log.enable_category_str("foo"));
    assert!(log.enable_category_str("libevent"));
    assert!(log.disable_category_str("net"));
    assert_eq!(log.category_mask(), 0);
    for all in ["", "1", "all"] {
        assert!(log.enable_category_str(all));
        assert!(log.log_categories_list().iter().all(|(_, on)| *on));
        assert!(log.disable_category_str(all));
        assert_eq!(log.category_mask(), 0);
    }
    let names: Vec<_> = log.log_categories_list().iter().map(|(n, _)| *n).collect();
    let mut sorted = names.clone();
    sorted.sort_unstable();
    assert_eq!(names, sorted);
    assert_eq!(
        log_categories_string(),
        "addrman, bench, blockstorage, cmpctblock, coindb, estimatefee, http, i2p, ipc, kernel, leveldb, mempool, mempoolrej, net, privatebroadcast, proxy, prune, qt, rand, reindex, rpc, scan, selectcoins, tor, txpackages, txreconciliation, validation, walletdb, zmq"
    );
    assert_eq!(log_levels_string(), "info, debug, trace");
}

#[test]
fn levels() {
    let log = LogManager::new();
    assert!(log.will_log_category_level(Category::Net, Level::Info));
    assert!(!log.will_log_category_level(Category::Net, Level::Debug));
    log.enable_category(Category::Net);
    assert!(log.will_log_category_level(Category::Net, Level::Debug));
    assert!(!log.will_log_category_level(Category::Net, Level::Trace));
    assert!(log.set_log_level_str("trace"));
    assert!(log.will_log_category_level(Category::Net, Level::Trace));
    assert!(!log.set_log_level_str("warning"));
    assert!(!log.set_log_level_str("abc"));
    assert!(log.set_log_level_str("info"));
    assert!(!log.will_log_category_level(Category::Net, Level::Debug));
    assert!(log.set_category_log_level_str("net", "trace"));
    assert!(log.will_log_category_level(Category::Net, Level::Trace));
    assert!(!log.set_category_log_level_str("net", "error"));
    assert!(!log.set_category_log_level_str("abc", "debug"));
}

fn args(argv: &[&str]) -> ArgsManager {
    let mut a = ArgsManager::empty();
    init::add_logging_args(&a);
    a.add_arg("-daemon", "", ArgFlags::ALLOW_ANY, OptionsCategory::Options);
    a.add_arg(
        "-datadir",
        "",
        ArgFlags::ALLOW_ANY,
        OptionsCategory::Options,
    );
    a.parse_parameters(argv.iter().map(|s| s.to_string()))
        .unwrap();
    a
}

#[test]
fn categories_from_args() {
    for off in ["-debug=0", "-debug=none", "-nodebug"] {
        let log = LogManager::new();
        let a = args(&["-debug=http", "-debug=abc", off, "-debug=rpc", "-debug=net"]);
        init::set_logging_categories_on(&log, &a).unwrap();
        let list: std::collections::HashMap<_, _> = log.log_categories_list().into_iter().collect();
        assert!(!list["http"]);
        assert!(list["rpc"]);
        assert!(list["net"]);
    }
    let log = LogManager::new();
    assert_eq!(
        init::set_logging_categories_on(&log, &args(&["-debug=abc"]))
            .unwrap_err()
            .to_string(),
        "Unsupported logging category -debug=abc."
    );
    assert_eq!(
        init::set_logging_categories_on(&log, &args(&["-debugexclude=abc"]))
            .unwrap_err()
            .to_string(),
        "Unsupported logging category -debugexclude=abc."
    );
    let log = LogManager::new();
    init::set_logging_categories_on(&log, &args(&["-debug", "-debugexclude=net"])).unwrap();
    assert!(!log.will_log_category(Category::Net));
    assert!(log.will_log_category(Category::Rpc));
    let log = LogManager::new();
    init::set_logging_categories_on(&log, &args(&["-debug=1"])).unwrap();
    assert!(!log.default_shrink_debug_file());
}

#[test]
fn levels_from_args() {
    let log = LogManager::new();
    init::set_logging_level_on(&log, &args(&["-loglevel=trace", "-loglevel=net:info"])).unwrap();
    assert_eq!(log.log_level(), Level::Trace);
    assert_eq!(
        log.category_levels().get(&Category::Net),
        Some(&Level::Info)
    );
    let err = |v: &str| {
        init::set_logging_level_on(&LogManager::new(), &args(&[v]))
            .unwrap_err()
            .to_string()
    };
    assert_eq!(
        err("-loglevel=abc"),
        "Unsupported global logging level -loglevel=abc. Valid values: info, debug, trace."
    );
    assert!(err("-loglevel=net:abc").starts_with(
        "Unsupported category-specific logging level -loglevel=net:abc. Expected -loglevel=<category>:<loglevel>. Valid categories: addrman, "
    ));
    assert!(err("-loglevel=net:info:abc").ends_with(". Valid loglevels: info, debug, trace."));
}

#[test]
fn options_from_args() {
    let a = args(&[
        "-logtimemicros",
        "-logthreadnames=1",
        "-nologtimestamps",
        "-logsourcelocations",
        "-loglevelalways",
        "-printtoconsole=0",
        "-debuglogfile=/tmp/x.log",
    ]);
    let o = init::logging_options(&a);
    assert!(o.time_micros && o.thread_names && !o.timestamps && o.source_locations);
    assert!(o.always_print_category_level && !o.print_to_console && o.print_to_file);
    assert_eq!(o.file_path, PathBuf::from("/tmp/x.log"));
    let o = init::logging_options(&args(&["-nodebuglogfile", "-daemon"]));
    assert!(!o.print_to_file && !o.print_to_console);
    let o = init::logging_options(&args(&[]));
    assert!(o.print_to_console && o.print_to_file && o.timestamps);
    assert!(o.file_path.ends_with("debug.log") && o.file_path.is_absolute());
}

#[test]
fn rate_limiting() {
    let dir = TempDir::new("rate");
    let path = dir.0.join("debug.log");
    let log = with_options(|o| {
        o.print_to_file = true;
        o.file_path = path.clone();
        o.timestamps = false;
    });
    log.start_logging().unwrap();
    let lines = std::sync::Arc::new(Mutex::new(Vec::new()));
    let seen = lines.clone();
    log.push_callback(move |l| seen.lock().unwrap().push(l.to_string()));
    log.set_rate_limiting(Some((20, Duration::from_secs(3600))));
    for i in 0..5 {
        log.log_message(
            None,
            Level::Info,
            true,
            "src/x.rs",
            7,
            "spam",
            format!("msg {i}"),
        );
    }
    // Debug lines are never limited.
    log.log_message(
        Some(Category::Net),
        Level::Debug,
        false,
        "src/x.rs",
        8,
        "f",
        "dbg".into(),
    );
    let text = std::fs::read_to_string(&path).unwrap();
    assert_eq!(
        text,
        "\n\n\n\n\nmsg 0\nmsg 1\nmsg 2\n[*] [warning] Excessive logging detected from src/x.rs:7 (spam): >20 bytes logged during the last time window of 3600s. Suppressing logging to disk from this source location until time window resets. Console logging unaffected. Last log entry.\n[*] msg 3\n[*] [net] dbg\n"
    );
    // Callbacks (like the console) still get every line.
    assert!(lines.lock().unwrap().contains(&"[*] msg 4\n".to_string()));
}

#[test]
fn shrink() {
    let dir = TempDir::new("shrink");
    let path = dir.0.join("debug.log");
    let mut data = vec![b'a'; 11_000_001];
    data[1_000_001] = b'X';
    std::fs::write(&path, &data).unwrap();
    let log = with_options(|o| o.file_path = path.clone());
    log.shrink_debug_file();
    let kept = std::fs::read(&path).unwrap();
    assert_eq!(kept.len(), 10_000_000);
    assert_eq!(kept[0], b'X');
    // Small files stay.
    std::fs::write(&path, b"small").unwrap();
    log.shrink_debug_file();
    assert_eq!(std::fs::read(&path).unwrap(), b"small");
}

#[test]
fn thread_names() {
    std::thread::Builder::new()
        .name("rusty".into())
        .spawn(|| {
            assert_eq!(thread_name(), "rusty");
            set_thread_name("httpworker.3");
            assert_eq!(thread_name(), "httpworker.3");
        })
        .unwrap()
        .join()
        .unwrap();
}

/// Everything touching the process-wide logger, in one test.
#[test]
fn global_logger_and_macros() {
    let dir = TempDir::new("global");
    let calls = AtomicUsize::new(0);
    let count = || {
        calls.fetch_add(1, Ordering::Relaxed);
        1
    };
    crate::log_debug!(Category::Zmq, "not logged {}", count());
    assert_eq!(calls.load(Ordering::Relaxed), 0);

    crate::log_info!("buffered {}", 1);
    let a = args(&[
        &format!("-datadir={}", dir.0.display()),
        "-printtoconsole=0",
        "-debug=zmq",
        "-logsourcelocations",
        "-nologtimestamps",
    ]);
    init::set_logging_options(&a);
    init::set_logging_categories(&a).unwrap();
    init::start_logging(&a).unwrap();
    crate::log_debug!(Category::Zmq, "now logged {}", count());
    assert_eq!(calls.load(Ordering::Relaxed), 1);
    crate::log_warning!("careful");
    log_error("plain");
    crate::log_trace!(Category::Zmq, "no trace");
    assert_eq!(instance().file_path(), dir.0.join("debug.log"));
    let text = std::fs::read_to_string(dir.0.join("debug.log")).unwrap();
    let this = file!();
    assert!(text.contains(&format!("[{this}:")), "{text}");
    assert!(
        text.contains("] [global_logger_and_macros] buffered 1\n"),
        "{text}"
    );
    assert!(text.contains(
        "Log output may contain privacy-sensitive information. Be cautious when sharing logs.\n"
    ));
    assert!(text.contains("] Startup time: "));
    assert!(text.contains(&format!("] Using data directory {}\n", dir.0.display())));
    assert!(text.contains("(not found, skipping)\n"));
    assert!(text.contains("Command-line arg: debug=\"zmq\"\n"));
    assert!(
        text.contains("] [global_logger_and_macros] [zmq] now logged 1\n"),
        "{text}"
    );
    assert!(text.contains("] [global_logger_and_macros] [warning] careful\n"));
    assert!(text.contains("] [unknown] [error] plain\n"), "{text}");
    assert!(!text.contains("no trace"));
    assert_eq!(format_iso8601(0), "1970-01-01T00:00:00Z");
}
