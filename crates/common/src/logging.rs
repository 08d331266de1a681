//! Log lines in Core's format: `2026-11-25T12:00:00Z [category] message`, to debug.log
//! in the network datadir and, with `-printtoconsole`, to stdout.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::Path;
use std::sync::Mutex;
use std::time::{SystemTime, UNIX_EPOCH};

/// Where log lines go.
pub struct Logger {
    file: Option<Mutex<File>>,
    console: bool,
}

impl Logger {
    /// Opens `debug.log` in `net_dir` (if `to_file`) and optionally writes to stdout.
    pub fn new(net_dir: &Path, to_file: bool, console: bool) -> std::io::Result<Logger> {
        let file = if to_file {
            std::fs::create_dir_all(net_dir)?;
            Some(Mutex::new(
                OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(net_dir.join("debug.log"))?,
            ))
        } else {
            None
        };
        Ok(Logger { file, console })
    }

    /// Writes one line, with timestamp and the already formatted `[category]` prefix.
    pub fn log(&self, prefix: &str, message: &str) {
        let line = format!("{} {prefix}{message}\n", timestamp(SystemTime::now()));
        if self.console {
            let mut out = std::io::stdout().lock();
            let _ = out.write_all(line.as_bytes());
            let _ = out.flush();
        }
        if let Some(f) = &self.file {
            let mut f = f.lock().unwrap_or_else(|e| e.into_inner());
            let _ = f.write_all(line.as_bytes());
        }
    }
}

/// ISO 8601 UTC with seconds, as Core's log timestamps.
pub fn timestamp(t: SystemTime) -> String {
    let secs = t
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0) as i64;
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn timestamps() {
        assert_eq!(timestamp(UNIX_EPOCH), "1970-01-01T00:00:00Z");
        assert_eq!(
            timestamp(UNIX_EPOCH + Duration::from_secs(1_735_689_600)),
            "2025-01-01T00:00:00Z"
        );
        assert_eq!(
            timestamp(UNIX_EPOCH + Duration::from_secs(951_825_600 + 3_723)),
            "2000-02-29T13:02:03Z"
        );
    }
}
