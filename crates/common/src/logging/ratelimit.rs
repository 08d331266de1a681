//! Core's rate limiter for unconditional log lines: each source location may write
//! `max_bytes` per time window to the log file; beyond that its lines are dropped from
//! the file (not the console) until the window resets.

use std::collections::HashMap;
use std::time::{Duration, Instant};

/// Bytes one source location may log per window (Core's `RATELIMIT_MAX_BYTES`, 1 MiB).
pub const RATELIMIT_MAX_BYTES: u64 = 1024 * 1024;
/// Length of a window (Core's `RATELIMIT_WINDOW`, one hour).
pub const RATELIMIT_WINDOW: Duration = Duration::from_secs(3600);

/// A source location: file and line.
pub(crate) type SourceKey = (&'static str, u32);

/// Usage of one source location in the current window.
#[derive(Debug, Clone)]
pub(crate) struct Stats {
    available: u64,
    pub(crate) dropped: u64,
    pub(crate) function: String,
}

/// Result of accounting one line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Status {
    /// Within the limit.
    Unsuppressed,
    /// This line starts suppression.
    NewlySuppressed,
    /// Suppression was already on.
    StillSuppressed,
}

/// Fixed-window limiter keyed by source location. The window is reset lazily on the
/// first line after it expires, instead of by Core's scheduler task.
#[derive(Debug)]
pub(crate) struct RateLimiter {
    pub(crate) max_bytes: u64,
    pub(crate) window: Duration,
    window_start: Instant,
    locations: HashMap<SourceKey, Stats>,
    pub(crate) suppression_active: bool,
}

impl RateLimiter {
    pub(crate) fn new(max_bytes: u64, window: Duration) -> RateLimiter {
        RateLimiter {
            max_bytes,
            window,
            window_start: Instant::now(),
            locations: HashMap::new(),
            suppression_active: false,
        }
    }

    /// Starts a new window if the current one expired; returns the locations that
    /// dropped bytes in the old window.
    pub(crate) fn maybe_reset(&mut self, now: Instant) -> Vec<(SourceKey, Stats)> {
        if now.duration_since(self.window_start) < self.window {
            return Vec::new();
        }
        self.reset(now)
    }

    /// Starts a new window now (Core's `Reset`).
    pub(crate) fn reset(&mut self, now: Instant) -> Vec<(SourceKey, Stats)> {
        self.window_start = now;
        self.suppression_active = false;
        let mut dropped: Vec<_> = self
            .locations
            .drain()
            .filter(|(_, s)| s.dropped > 0)
            .collect();
        dropped.sort_by(|a, b| a.0.cmp(&b.0));
        dropped
    }

    /// Accounts `bytes` for a location (Core's `Consume`).
    pub(crate) fn consume(&mut self, key: SourceKey, function: &str, bytes: u64) -> Status {
        let max = self.max_bytes;
        let stats = self.locations.entry(key).or_insert_with(|| Stats {
            available: max,
            dropped: 0,
            function: function.to_string(),
        });
        let mut status = if stats.dropped > 0 {
            Status::StillSuppressed
        } else {
            Status::Unsuppressed
        };
        let fits = if bytes > stats.available {
            stats.dropped += bytes;
            stats.available = 0;
            false
        } else {
            stats.available -= bytes;
            true
        };
        if !fits && status == Status::Unsuppressed {
            status = Status::NewlySuppressed;
            self.suppression_active = true;
        }
        status
    }
}
