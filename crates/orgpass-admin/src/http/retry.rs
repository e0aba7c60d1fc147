//! Retries: how hard to try ([`RetryPolicy`]), which requests may be repeated when their outcome is unknown
//! ([`Safety`]), and exponential backoff with full jitter between attempts.

use std::sync::atomic::Ordering;
use std::time::Duration;

use rand::Rng as _;

use super::{ManagementClient, Req};
use crate::AdminError;

/// How hard to try.
#[derive(Debug, Clone)]
pub struct RetryPolicy {
    /// Attempts for a request that failed with 5xx, a timeout or a reset (idempotent requests only).
    pub max_attempts: u32,
    /// Attempts for a request answered 429 (always safe: the tenant did not run it).
    pub max_rate_limited_attempts: u32,
    /// First backoff step; doubles each attempt, with full jitter.
    pub base_delay: Duration,
    /// Longest backoff step.
    pub max_delay: Duration,
    /// Per-request timeout.
    pub timeout: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 5,
            max_rate_limited_attempts: 60,
            base_delay: Duration::from_millis(200),
            max_delay: Duration::from_secs(10),
            timeout: Duration::from_secs(30),
        }
    }
}

/// Whether a request may be sent again when its outcome is unknown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Safety {
    /// GET, PATCH, DELETE, set-like POSTs: repeating does no harm.
    Idempotent,
    /// A create: repeating could create twice. Unknown outcomes come back as [`AdminError::Ambiguous`].
    NotIdempotent,
}

/// Exponential backoff with full jitter: a random delay in `[base·2^(n-1) / 2, base·2^(n-1)]`, capped.
pub(crate) fn backoff(attempt: u32, base: Duration, max: Duration) -> Duration {
    let exp = base
        .saturating_mul(1u32 << attempt.saturating_sub(1).min(16))
        .min(max);
    let half = exp / 2;
    half + Duration::from_micros(rand::thread_rng().gen_range(0..=half.as_micros().max(1) as u64))
}

impl ManagementClient {
    /// After the `failures`-th failure with an unknown outcome (`cause`: transport error or 5xx): a create comes
    /// back as [`AdminError::Ambiguous`], the last allowed attempt as `exhausted(what, cause)`; otherwise the
    /// repeat is counted and one backoff step waited, and the caller sends again.
    pub(super) async fn retry_unknown_outcome(
        &self,
        req: &Req,
        failures: u32,
        cause: String,
        exhausted: impl FnOnce(String, String) -> AdminError,
    ) -> Result<(), AdminError> {
        let what = req.what.clone();
        if req.safety == Safety::NotIdempotent {
            return Err(AdminError::Ambiguous { what, cause });
        }
        if failures >= self.inner.retry.max_attempts {
            return Err(exhausted(what, cause));
        }
        self.inner.stats.retried.fetch_add(1, Ordering::Relaxed);
        tracing::debug!(%what, %cause, failures, "request failed; retrying");
        self.backoff_sleep(failures).await;
        Ok(())
    }

    /// Waits one backoff step (see [`backoff`]) after the `attempt`-th attempt.
    pub(crate) async fn backoff_sleep(&self, attempt: u32) {
        let retry = &self.inner.retry;
        tokio::time::sleep(backoff(attempt, retry.base_delay, retry.max_delay)).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_and_is_capped() {
        let base = Duration::from_millis(100);
        let max = Duration::from_secs(1);
        for _ in 0..50 {
            let one = backoff(1, base, max);
            assert!(
                one >= Duration::from_millis(50) && one <= Duration::from_millis(100),
                "{one:?}"
            );
            let four = backoff(4, base, max);
            assert!(
                four >= Duration::from_millis(400) && four <= Duration::from_millis(800),
                "{four:?}"
            );
            let many = backoff(30, base, max);
            assert!(
                many >= Duration::from_millis(500) && many <= max,
                "{many:?}"
            );
        }
    }
}
