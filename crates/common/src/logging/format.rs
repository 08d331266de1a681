//! Pieces of a log line in Core's format:
//! `<time> [thread] [file:line] [function] [category:level] message`.

use std::time::{SystemTime, UNIX_EPOCH};

use super::category::{Category, Level};

/// ISO 8601 UTC with seconds (`2026-11-26T02:31:12Z`), as Core's `FormatISO8601DateTime`.
pub fn format_iso8601(secs: i64) -> String {
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// Days since 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's algorithm).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// Seconds and microseconds since the epoch (negative times clamp to the epoch).
pub(crate) fn split_time(t: SystemTime) -> (i64, u32) {
    match t.duration_since(UNIX_EPOCH) {
        Ok(d) => (
            i64::try_from(d.as_secs()).unwrap_or(i64::MAX),
            d.subsec_micros(),
        ),
        Err(_) => (0, 0),
    }
}

/// The timestamp part of a line including its trailing space, or "" when timestamps
/// are off (Core's `LogTimestampStr`).
pub(crate) fn timestamp_str(t: SystemTime, micros: bool, mocktime: i64) -> String {
    let (secs, us) = split_time(t);
    let mut s = format_iso8601(secs);
    if micros {
        s.pop();
        s.push_str(&format!(".{us:06}Z"));
    }
    if mocktime > 0 {
        s.push_str(&format!(" (mocktime: {})", format_iso8601(mocktime)));
    }
    s.push(' ');
    s
}

/// `[category]`, `[category:level]`, `[level]` or nothing, as Core's `GetLogPrefix`.
/// `category` is `None` for unconditional lines.
pub(crate) fn log_prefix(category: Option<Category>, level: Level, always: bool) -> String {
    let has_category = always || category.is_some();
    if !has_category && level == Level::Info {
        return String::new();
    }
    let mut s = String::from("[");
    if has_category {
        s.push_str(category.map_or("all", Category::name));
    }
    if always || !has_category || level != Level::Debug {
        if has_category {
            s.push(':');
        }
        s.push_str(level.name());
    }
    s.push_str("] ");
    s
}

/// Control characters other than newline (and DEL) as `\xNN`, as Core's
/// `LogEscapeMessage`.
pub(crate) fn escape_message(msg: &str) -> String {
    let mut out = String::with_capacity(msg.len());
    for c in msg.chars() {
        if (c < ' ' && c != '\n') || c == '\x7f' {
            out.push_str(&format!("\\x{:02x}", c as u32));
        } else {
            out.push(c);
        }
    }
    out
}

/// The bare function name from a `type_name` path such as
/// `node::init::start::{{closure}}::f`, as Core's `__func__` would give (`start`).
pub fn short_function_name(path: &str) -> &str {
    let path = path.strip_suffix("::f").unwrap_or(path);
    path.rsplit("::")
        .find(|seg| !seg.starts_with("{{") && !seg.is_empty())
        .unwrap_or(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iso_times() {
        assert_eq!(format_iso8601(0), "1970-01-01T00:00:00Z");
        assert_eq!(format_iso8601(1_735_689_600), "2025-01-01T00:00:00Z");
        assert_eq!(format_iso8601(951_825_600 + 3_723), "2000-02-29T13:02:03Z");
    }

    #[test]
    fn prefixes() {
        assert_eq!(log_prefix(None, Level::Info, false), "");
        assert_eq!(log_prefix(None, Level::Warning, false), "[warning] ");
        assert_eq!(log_prefix(None, Level::Error, false), "[error] ");
        assert_eq!(
            log_prefix(Some(Category::Net), Level::Debug, false),
            "[net] "
        );
        assert_eq!(
            log_prefix(Some(Category::Ipc), Level::Trace, false),
            "[ipc:trace] "
        );
        assert_eq!(
            log_prefix(Some(Category::Net), Level::Info, false),
            "[net:info] "
        );
        assert_eq!(log_prefix(None, Level::Info, true), "[all:info] ");
        assert_eq!(
            log_prefix(Some(Category::Net), Level::Debug, true),
            "[net:debug] "
        );
    }

    #[test]
    fn escapes() {
        assert_eq!(escape_message("a\tb\nc\x7f\x01é"), "a\\x09b\nc\\x7f\\x01é");
    }

    #[test]
    fn function_names() {
        assert_eq!(short_function_name("node::init::start::f"), "start");
        assert_eq!(
            short_function_name("node::init::start::{{closure}}::f"),
            "start"
        );
        assert_eq!(short_function_name("main::f"), "main");
    }
}
