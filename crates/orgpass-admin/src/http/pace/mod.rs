//! Rate limits: Auth0's rate-limit buckets ([`Bucket`]) and the client-side pacing of each, learned from the
//! tenant's `x-ratelimit-*` headers.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use reqwest::StatusCode;
use reqwest::header::HeaderMap;

use super::{ManagementClient, backoff};

/// Auth0's rate-limit buckets (paid B2B plans publish one per group); each gets its own gate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Bucket {
    ReadOrganizations,
    ReadOrganizationById,
    ReadOrganizationByName,
    WriteOrganizations,
    ReadOrganizationConnections,
    WriteOrganizationConnections,
    ReadOrganizationMembers,
    WriteOrganizationMembers,
    ReadConnections,
    Other,
}

/// Client-side pacing of one rate-limit bucket, learned from the tenant's `x-ratelimit-*` headers.
///
/// Auth0's buckets are token buckets: `x-ratelimit-limit` is the burst, `x-ratelimit-remaining` the tokens left,
/// `x-ratelimit-reset` the (whole) UNIX second at which the bucket is full again. While tokens remain, requests go
/// out freely. Once the tenant reports the bucket empty (or answers 429), requests are released one refill interval
/// apart instead of all waiting for the full reset: waiting for a full bucket leaves it idle for burst/rate
/// seconds each time (6–12 s on Auth0's plans) plus the reset's rounding to whole seconds. The refill rate starts
/// from the headers (missing tokens over the time to reset, counted with one extra second so the rounding cannot
/// make it too fast) and then adapts: a little faster while the tenant still reports spare tokens, slower after
/// a 429. Pacing ends when the tenant reports a good part of the burst free again, or the bucket was idle long
/// enough to refill.
#[derive(Debug, Default, Clone, Copy)]
struct Pace {
    /// Estimated refill rate in requests per second; `None` while the tenant sent no usable headers.
    rate: Option<f64>,
    /// The burst (`x-ratelimit-limit`), once seen.
    limit: Option<u64>,
    /// While paced: the earliest instant the next request of this bucket may go out.
    next: Option<Instant>,
}

/// Slowest rate the pacer assumes (one request per minute).
const MIN_RATE: f64 = 1.0 / 60.0;

impl Pace {
    fn interval(&self) -> Duration {
        self.rate
            .map(|r| Duration::from_secs_f64(1.0 / r.max(MIN_RATE)))
            .unwrap_or_default()
    }

    /// Takes the next slot; `None` when unpaced.
    fn take_slot(&mut self, now: Instant) -> Option<Instant> {
        let next = self.next?;
        // Idle for longer than a full refill: the bucket is full again, so the burst is available.
        if let (Some(rate), Some(limit)) = (self.rate, self.limit)
            && now > next + Duration::from_secs_f64(limit as f64 / rate.max(MIN_RATE))
        {
            self.next = None;
            return None;
        }
        let slot = next.max(now);
        self.next = Some(slot + self.interval());
        Some(slot)
    }

    /// Learns from one answer. `sent_paced`: the request went out in a paced slot (a 429 for a request sent
    /// before pacing began says nothing about the pace). `reset_in` is the time until `x-ratelimit-reset`.
    #[allow(clippy::too_many_arguments)]
    fn observe(
        &mut self,
        now: Instant,
        sent_paced: bool,
        limited: bool,
        limit: Option<u64>,
        remaining: Option<u64>,
        reset_in: Option<Duration>,
        fallback: Duration,
    ) {
        if limit.is_some() {
            self.limit = limit;
        }
        // Only from an answer with at least half the burst used: near a full bucket the reset is under a second
        // away and its rounding to whole seconds makes the estimate meaningless.
        if self.rate.is_none()
            && let (Some(l), Some(r), Some(w)) = (limit, remaining, reset_in)
            && l > r
            && (l - r) * 2 >= l
        {
            self.rate = Some(((l - r) as f64 / (w.as_secs_f64() + 1.0)).max(MIN_RATE));
        }
        let paced = self.next.is_some();
        match (limited, remaining) {
            (true, _) => {
                if sent_paced && let Some(r) = self.rate.as_mut() {
                    *r = (*r * 0.95).max(MIN_RATE);
                }
                // One interval from now (or, knowing nothing, a backoff step) before this bucket is used again.
                let wait = if self.rate.is_some() {
                    self.interval()
                } else {
                    fallback
                };
                let until = now + wait;
                self.next = Some(self.next.map_or(until, |n| n.max(until)));
            }
            (false, Some(0)) if !paced => self.next = Some(now + self.interval()),
            (false, Some(spare)) if paced && spare > 0 => {
                let plenty = self.limit.map_or(2, |l| (l / 2).max(2));
                if spare >= plenty {
                    self.next = None;
                } else if let Some(r) = self.rate.as_mut() {
                    *r *= 1.01;
                }
            }
            _ => {}
        }
    }
}

/// The pacing state of every bucket.
#[derive(Debug, Default)]
pub(super) struct Pacer {
    buckets: Mutex<HashMap<Bucket, Pace>>,
}

impl Pacer {
    /// Waits for this request's turn in `bucket`; true when it was paced.
    pub(super) async fn wait(&self, bucket: Bucket) -> bool {
        let slot = self
            .buckets
            .lock()
            .expect("poisoned")
            .entry(bucket)
            .or_default()
            .take_slot(Instant::now());
        if let Some(slot) = slot {
            tokio::time::sleep_until(slot.into()).await;
        }
        slot.is_some()
    }

    #[allow(clippy::too_many_arguments)]
    fn observe(
        &self,
        bucket: Bucket,
        sent_paced: bool,
        limited: bool,
        limit: Option<u64>,
        remaining: Option<u64>,
        reset_in: Option<Duration>,
        fallback: Duration,
    ) {
        self.buckets
            .lock()
            .expect("poisoned")
            .entry(bucket)
            .or_default()
            .observe(
                Instant::now(),
                sent_paced,
                limited,
                limit,
                remaining,
                reset_in,
                fallback,
            );
    }
}

/// The time until `x-ratelimit-reset` (UNIX seconds), if the header is there and in the future.
pub(crate) fn reset_wait(headers: &HeaderMap) -> Option<Duration> {
    let reset: f64 = headers
        .get("x-ratelimit-reset")?
        .to_str()
        .ok()?
        .trim()
        .parse()
        .ok()?;
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .ok()?
        .as_secs_f64();
    (reset > now).then(|| Duration::from_secs_f64(reset - now))
}

fn header_u64(headers: &HeaderMap, name: &str) -> Option<u64> {
    headers.get(name)?.to_str().ok()?.trim().parse().ok()
}

impl ManagementClient {
    /// Reads `x-ratelimit-*` into the bucket's pacing (see [`Pace`]).
    pub(super) fn observe(
        &self,
        bucket: Bucket,
        sent_paced: bool,
        status: StatusCode,
        headers: &HeaderMap,
        limited_before: u32,
    ) {
        let limited = status == StatusCode::TOO_MANY_REQUESTS;
        let fallback = backoff(
            limited_before + 1,
            Duration::from_millis(100),
            self.inner.retry.max_delay,
        );
        self.inner.pacer.observe(
            bucket,
            sent_paced,
            limited,
            header_u64(headers, "x-ratelimit-limit"),
            header_u64(headers, "x-ratelimit-remaining"),
            reset_wait(headers),
            fallback,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `p.observe` with a burst of 250, `remaining` tokens, the reset `reset_ms` away and a 100 ms fallback.
    fn see(
        p: &mut Pace,
        now: Instant,
        sent_paced: bool,
        limited: bool,
        remaining: u64,
        reset_ms: u64,
    ) {
        let ms = Duration::from_millis;
        p.observe(
            now,
            sent_paced,
            limited,
            Some(250),
            Some(remaining),
            Some(ms(reset_ms)),
            ms(100),
        );
    }

    #[test]
    fn pacing_releases_one_refill_interval_apart_instead_of_waiting_for_a_full_bucket() {
        let t0 = Instant::now();
        let ms = Duration::from_millis;
        let mut p = Pace::default();
        // Spare tokens: unpaced.
        see(&mut p, t0, false, false, 10, 9_000);
        assert_eq!(p.take_slot(t0), None);
        // Rate from the first headers: 240 missing tokens over 9 s (+1 s for the rounding) = 24/s.
        assert!((p.rate.unwrap() - 24.0).abs() < 1e-9, "{:?}", p.rate);
        // Empty bucket: paced 1/24 s apart, not 10 s until the reset.
        see(&mut p, t0, false, false, 0, 10_000);
        let interval = Duration::from_secs_f64(1.0 / 24.0);
        assert_eq!(p.take_slot(t0), Some(t0 + interval));
        assert_eq!(p.take_slot(t0), Some(t0 + interval * 2));
        // Spare tokens while paced: a little faster.
        see(&mut p, t0, false, false, 1, 10_000);
        assert!((p.rate.unwrap() - 24.24).abs() < 1e-9, "{:?}", p.rate);
        // A 429 for a request sent before pacing began: no slower.
        see(&mut p, t0, false, true, 0, 10_000);
        assert!((p.rate.unwrap() - 24.24).abs() < 1e-9, "{:?}", p.rate);
        // A 429 for a paced request: slower, and nothing before one interval from now.
        let later = t0 + ms(1);
        see(&mut p, later, true, true, 0, 10_000);
        assert!(
            (p.rate.unwrap() - 24.24 * 0.95).abs() < 1e-9,
            "{:?}",
            p.rate
        );
        // Half the burst free again: unpaced.
        see(&mut p, later, false, false, 125, 5_000);
        assert_eq!(p.take_slot(later), None);
        // Paced again, then idle longer than a full refill: unpaced.
        see(&mut p, later, false, false, 0, 10_000);
        assert!(p.take_slot(later).is_some());
        assert_eq!(p.take_slot(later + ms(12_000)), None);
    }

    #[test]
    fn a_429_without_headers_waits_a_backoff_step() {
        let t0 = Instant::now();
        let mut p = Pace::default();
        p.observe(
            t0,
            false,
            true,
            None,
            None,
            None,
            Duration::from_millis(300),
        );
        assert_eq!(p.take_slot(t0), Some(t0 + Duration::from_millis(300)));
        assert_eq!(p.take_slot(t0), Some(t0 + Duration::from_millis(300)));
    }

    #[test]
    fn reset_header_is_read_as_unix_seconds() {
        let mut h = HeaderMap::new();
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_secs();
        h.insert("x-ratelimit-reset", (now + 3).to_string().parse().unwrap());
        let w = reset_wait(&h).unwrap();
        assert!(
            w > Duration::from_secs(1) && w <= Duration::from_secs(3),
            "{w:?}"
        );
        h.insert("x-ratelimit-reset", (now - 3).to_string().parse().unwrap());
        assert_eq!(reset_wait(&h), None);
        assert_eq!(reset_wait(&HeaderMap::new()), None);
    }
}
