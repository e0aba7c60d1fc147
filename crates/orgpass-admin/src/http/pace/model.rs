//! One rate-limit bucket's pacing ([`Pace`]): a lower bound on the tokens the tenant has left for our next
//! request, from its `x-ratelimit-*` answers and the requests still in flight, and the rate they come back at.
//! No clock of its own: every call is given the time, so tests pin it.

use std::time::{Duration, Instant};

/// Slack when comparing token counts computed in floating point.
const EPS: f64 = 1e-9;
/// After a 429 for a request the count let through, the rate is taken this much lower from then on.
const SLOWER_AFTER_429: f64 = 0.95;
/// However many 429s, the rate is never taken below this share of its bounds.
const MIN_SLOWDOWN: f64 = 0.01;
/// With no rate and no reset known and nothing in flight, one request goes this long after the last answer.
const PROBE_AFTER: Duration = Duration::from_secs(1);
/// Besides the first answer, the rate is measured from this many recent ones (a window that began while the
/// bucket was full, its refill lost, bounds the rate low for good; a later one does not)...
const ANCHORS: usize = 16;
/// ...one every this many answers.
const ANCHOR_EVERY: u64 = 8;
/// The longest single wait the count asks for; the caller asks again after it.
const MAX_WAIT: Duration = Duration::from_secs(3600);

/// A moment on both clocks: the monotonic one to wait on, our UNIX time to read `x-ratelimit-reset` against.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct Stamp {
    pub mono: Instant,
    pub unix: f64,
}

/// An answer's `x-ratelimit-*` headers; `reset` in UNIX seconds on the tenant's clock.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(super) struct Headers {
    pub limit: Option<u64>,
    pub remaining: Option<u64>,
    pub reset: Option<f64>,
}

/// A request let through, with what the count knew when it went.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct Sent {
    /// Its place among the bucket's requests (0 for the first).
    seq: u64,
    at: Stamp,
    /// Requests of the bucket in flight when it went: each may have been handled after it.
    pending: u64,
    /// Answers (not 429) received when it went.
    accepted: u64,
    /// Let through on the count (not as the first request of a bucket, nor for a bucket without headers).
    by_count: bool,
}

/// What [`Pace::admit`] decided.
#[derive(Debug, PartialEq)]
pub(super) enum Admit {
    /// Send now; hand the [`Sent`] back with the answer.
    Go(Sent),
    /// Ask again at this instant, or sooner if an answer arrives; `None`: when an answer arrives.
    Wait(Option<Instant>),
}

/// What one answer said: at least `remaining` tokens when the tenant handled request `seq`.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Seen {
    seq: u64,
    remaining: u64,
    /// When we had the answer (the tenant handled the request before).
    at: Instant,
    /// Requests in flight when `seq` went.
    pending: u64,
    /// When the bucket is surely full again, from `x-ratelimit-reset`.
    full_at: Option<Instant>,
}

/// An answer from which the refill rate is measured.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Anchor {
    /// When its request went (the tenant handled it after).
    sent: Instant,
    remaining: u64,
    /// The first request sent after its answer: those from here on were handled after it.
    next_seq: u64,
    /// Answers (not 429) received up to its own.
    accepted: u64,
    /// Requests in flight when it was answered: each may have been handled before it.
    in_flight: u64,
}

/// Client-side pacing of one rate-limit bucket.
///
/// Auth0's buckets are token buckets: `x-ratelimit-limit` is the burst, `x-ratelimit-remaining` the whole tokens
/// left after this request, `x-ratelimit-reset` the UNIX second at which the bucket is full again. A request goes
/// only when a *lower bound* on the tokens left for it is at least one, so the tenant answers 429 only if someone
/// else spends the bucket too or the headers mean something else than they say.
///
/// * Tokens. An answer says the tenant had at least `remaining` tokens when it handled the request. Since then the
///   bucket gained at least `rate` per second from the answer on (up to the burst), or is full from one second
///   after the reset on (the reset is rounded to whole seconds). Each request that may have been handled after it
///   may have spent one: those in flight when it was sent and all sent since. This counts in-flight requests
///   against `remaining` with no assumption on the order the tenant handles them in. Two answers are kept: the
///   one giving the most tokens, and the newest request's (which bounds the count when nothing is in flight).
/// * Rate: the larger of two lower bounds. From the reset: the missing tokens `limit - remaining` (less one, as
///   `remaining` is rounded down) refill before one second after the reset, counted from when the request went
///   (and on the tenant's clock, see `ServerClock`). Measured: from the bucket's first answer (and from some recent
///   ones) to each later one, the tokens gained (those left, plus the requests the tenant surely handled in
///   between, less those left at the start and one for rounding) over the time since the first request went. Both converge to the real rate
///   from below; where the rate is underestimated, the tokens it leaves show up in `remaining` and are used.
/// * A 429 for a request the count let through means a bound was wrong (another client on the tenant, or other
///   header semantics): the rate is taken 5% lower from then on. A 429 without headers holds the bucket for
///   the given backoff step.
/// * The first request of a bucket goes alone and the others wait for its answer; a bucket whose first answer
///   has no headers is not paced. Knowing neither a rate nor a reset, one request goes a second after the last
///   answer.
#[derive(Debug)]
pub(super) struct Pace {
    limit: Option<u64>,
    unpaced: bool,
    /// Requests let through so far (the next one's `seq`).
    sent: u64,
    in_flight: u64,
    best: Option<Seen>,
    newest: Option<Seen>,
    /// The bucket's first answer, and some recent ones (see [`ANCHORS`]).
    anchors: Vec<Anchor>,
    /// Answers (not 429) received.
    accepted: u64,
    reset_rate: f64,
    measured_rate: f64,
    slowdown: f64,
    blocked_until: Option<Instant>,
}

impl Default for Pace {
    fn default() -> Self {
        Self {
            limit: None,
            unpaced: false,
            sent: 0,
            in_flight: 0,
            best: None,
            newest: None,
            anchors: Vec::new(),
            accepted: 0,
            reset_rate: 0.0,
            measured_rate: 0.0,
            slowdown: 1.0,
            blocked_until: None,
        }
    }
}

impl Pace {
    /// The refill rate (tokens per second) the count assumes; `None` before anything bounds it.
    pub fn rate(&self) -> Option<f64> {
        let r = self.reset_rate.max(self.measured_rate) * self.slowdown;
        (r > 0.0).then_some(r)
    }

    /// Decides whether a request may go at `now`.
    pub fn admit(&mut self, now: Stamp) -> Admit {
        if let Some(until) = self.blocked_until {
            if now.mono < until {
                return Admit::Wait(Some(until));
            }
            self.blocked_until = None;
        }
        if self.best.is_none() {
            return if self.unpaced || self.in_flight == 0 {
                Admit::Go(self.send(now, false))
            } else {
                Admit::Wait(None)
            };
        }
        let seen = self.seen();
        let tokens = seen
            .iter()
            .map(|s| self.tokens(s, now.mono))
            .fold(f64::MIN, f64::max);
        if tokens >= 1.0 - EPS {
            return Admit::Go(self.send(now, true));
        }
        let ready = seen.iter().filter_map(|s| self.ready_at(s)).min();
        if ready.is_some() || self.in_flight > 0 {
            return Admit::Wait(ready);
        }
        // Neither a rate nor a reset known and no answer coming: one request a while after the last answer.
        let probe_at = seen.iter().map(|s| s.at).max().unwrap_or(now.mono) + PROBE_AFTER;
        if now.mono >= probe_at {
            Admit::Go(self.send(now, false))
        } else {
            Admit::Wait(Some(probe_at))
        }
    }

    /// Learns from the answer to `sent`, received at `now`. `limited`: it was a 429. `lead`: how far our clock may
    /// be ahead of the tenant's. `fallback`: how long to hold the bucket after a 429 without headers.
    pub fn answered(
        &mut self,
        sent: Sent,
        now: Stamp,
        limited: bool,
        headers: Headers,
        lead: f64,
        fallback: Duration,
    ) {
        self.in_flight = self.in_flight.saturating_sub(1);
        let (Some(limit), Some(remaining)) = (headers.limit, headers.remaining) else {
            if limited {
                let until = now.mono + fallback;
                self.blocked_until = Some(self.blocked_until.map_or(until, |b| b.max(until)));
            } else if self.best.is_none() {
                self.unpaced = true;
            }
            return;
        };
        self.unpaced = false;
        self.limit = Some(limit);
        let remaining = remaining.min(limit);
        if let Some(reset) = headers.reset {
            // Full before reset + 1 on the tenant's clock, which read at least `sent.at.unix - lead` when it
            // handled the request.
            let span = reset + 1.0 + lead - sent.at.unix;
            if limit > remaining + 1 && span > 0.0 {
                let bound = (limit - remaining - 1) as f64 / span;
                self.reset_rate = self.reset_rate.max(bound);
            }
        }
        if !limited {
            self.measure(sent, now.mono, remaining);
        } else if sent.by_count {
            self.slowdown = (self.slowdown * SLOWER_AFTER_429).max(MIN_SLOWDOWN);
        }
        // Beyond the longest wait, a reset says nothing usable (and a capped one would say too much).
        let full_at = headers
            .reset
            .map(|reset| reset + 1.0 + lead - now.unix)
            .filter(|&wait| wait <= MAX_WAIT.as_secs_f64())
            .map(|wait| now.mono + secs(wait));
        let seen = Seen {
            seq: sent.seq,
            remaining,
            at: now.mono,
            pending: sent.pending,
            full_at,
        };
        if self.newest.is_none_or(|n| seen.seq > n.seq) {
            self.newest = Some(seen);
        }
        let best = self.best;
        if best.is_none_or(|b| self.tokens(&seen, now.mono) >= self.tokens(&b, now.mono)) {
            self.best = Some(seen);
        }
    }

    /// A request let through that will have no answer (transport error, cancelled): it is no longer in flight,
    /// and still counted as possibly spent.
    pub fn forget(&mut self, _sent: Sent) {
        self.in_flight = self.in_flight.saturating_sub(1);
    }

    fn send(&mut self, now: Stamp, by_count: bool) -> Sent {
        let sent = Sent {
            seq: self.sent,
            at: now,
            pending: self.in_flight,
            accepted: self.accepted,
            by_count,
        };
        self.sent += 1;
        self.in_flight += 1;
        sent
    }

    fn seen(&self) -> Vec<Seen> {
        self.best
            .iter()
            .chain(self.newest.iter())
            .copied()
            .collect()
    }

    /// Requests that may have spent a token since the tenant handled `s`.
    fn spent_since(&self, s: &Seen) -> u64 {
        s.pending + (self.sent - s.seq - 1)
    }

    /// A lower bound, from answer `s`, on the tokens left for a new request at `now` (may be negative).
    fn tokens(&self, s: &Seen, now: Instant) -> f64 {
        let limit = self.limit.unwrap_or(s.remaining) as f64;
        let left = if s.full_at.is_some_and(|f| now >= f) {
            limit
        } else {
            let waited = now.saturating_duration_since(s.at).as_secs_f64();
            let refill = self.rate().map_or(0.0, |r| r * waited);
            (s.remaining as f64 + refill).min(limit)
        };
        left - self.spent_since(s) as f64
    }

    /// When [`Self::tokens`] from `s` reaches one without another answer, if it ever does.
    fn ready_at(&self, s: &Seen) -> Option<Instant> {
        let need = self.spent_since(s) as f64 + 1.0;
        if need > self.limit.unwrap_or(s.remaining) as f64 + EPS {
            return None;
        }
        let by_rate = self
            .rate()
            .map(|r| s.at + secs((need - s.remaining as f64) / r));
        match (by_rate, s.full_at) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// The measured rate: see [`Pace`]. From every anchor to this answer; then this answer may become an anchor.
    fn measure(&mut self, sent: Sent, now: Instant, remaining: u64) {
        for a in &self.anchors {
            if sent.seq < a.next_seq {
                continue;
            }
            // Surely handled between the anchor and this request: those answered after the anchor and before it
            // went, less those that were in flight at the anchor, and itself.
            let handled = (sent.accepted - a.accepted).saturating_sub(a.in_flight) + 1;
            let gained = (remaining + handled) as f64 - a.remaining as f64 - 1.0;
            let span = now.saturating_duration_since(a.sent).as_secs_f64();
            if gained > 0.0 && span > 0.0 {
                self.measured_rate = self.measured_rate.max(gained / span);
            }
        }
        self.accepted += 1;
        let accepted = self.accepted;
        if self
            .anchors
            .last()
            .is_none_or(|a| accepted - a.accepted >= ANCHOR_EVERY)
        {
            if self.anchors.len() > ANCHORS {
                self.anchors.remove(1);
            }
            self.anchors.push(Anchor {
                sent: sent.at.mono,
                remaining,
                next_seq: self.sent,
                accepted: self.accepted,
                in_flight: self.in_flight,
            });
        }
    }
}

/// Seconds as a [`Duration`], negatives as zero, capped at [`MAX_WAIT`].
fn secs(s: f64) -> Duration {
    if s.is_nan() || s <= 0.0 {
        Duration::ZERO
    } else {
        Duration::try_from_secs_f64(s).map_or(MAX_WAIT, |d| d.min(MAX_WAIT))
    }
}

#[cfg(test)]
mod tests;
