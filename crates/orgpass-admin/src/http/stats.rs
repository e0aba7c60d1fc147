//! Request counters ([`Stats`]) for reports and benchmarks, and their snapshot.

use std::sync::atomic::{AtomicU64, Ordering};

/// Counters for reports and benchmarks.
#[derive(Debug, Default)]
pub struct Stats {
    /// HTTP requests sent to the Management API (every attempt).
    pub requests: AtomicU64,
    /// Requests that succeeded (2xx).
    pub succeeded: AtomicU64,
    /// Answers with 429.
    pub rate_limited: AtomicU64,
    /// Attempts repeated after 5xx, timeouts or resets.
    pub retried: AtomicU64,
    /// Tokens replaced after a 401.
    pub token_refreshes: AtomicU64,
}

/// A snapshot of [`Stats`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct StatsSnapshot {
    pub requests: u64,
    pub succeeded: u64,
    pub rate_limited: u64,
    pub retried: u64,
    pub token_refreshes: u64,
}

impl Stats {
    /// Current values.
    pub fn snapshot(&self) -> StatsSnapshot {
        let g = |a: &AtomicU64| a.load(Ordering::Relaxed);
        StatsSnapshot {
            requests: g(&self.requests),
            succeeded: g(&self.succeeded),
            rate_limited: g(&self.rate_limited),
            retried: g(&self.retried),
            token_refreshes: g(&self.token_refreshes),
        }
    }
}
