//! Rate limits: Auth0's rate-limit buckets ([`Bucket`]) and the client-side pacing of each ([`Pacer`]), which lets
//! a request go only when the tenant's `x-ratelimit-*` answers say a token is left for it (see `model::Pace`).

mod clock;
mod model;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use reqwest::StatusCode;
use reqwest::header::HeaderMap;
use tokio::sync::Notify;

use super::{ManagementClient, backoff};
use clock::{ServerClock, date_header};
use model::{Admit, Headers, Pace, Sent, Stamp};

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

/// One bucket's gate: its count, a turn so waiting requests go first come first served, and a signal that an
/// answer arrived (it may leave tokens sooner than the count expected).
#[derive(Debug, Default)]
struct Gate {
    pace: Mutex<Pace>,
    turn: tokio::sync::Mutex<()>,
    answered: Notify,
}

/// The pacing of every bucket, shared by all requests of a client (and so by every bulk command).
#[derive(Debug, Default)]
pub(super) struct Pacer {
    gates: Mutex<HashMap<Bucket, Arc<Gate>>>,
    clock: Mutex<ServerClock>,
}

/// A request let through by its bucket's gate. Hand it back with the answer ([`ManagementClient::answered`]);
/// dropped without an answer, it only leaves the in-flight count.
pub(super) struct Ticket {
    gate: Arc<Gate>,
    sent: Option<Sent>,
}

impl Drop for Ticket {
    fn drop(&mut self) {
        if let Some(sent) = self.sent.take() {
            self.gate.pace.lock().expect("poisoned").forget(sent);
            self.gate.answered.notify_waiters();
        }
    }
}

fn now() -> Stamp {
    Stamp {
        mono: Instant::now(),
        unix: unix_now(),
    }
}

fn unix_now() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}

impl Pacer {
    fn gate(&self, bucket: Bucket) -> Arc<Gate> {
        self.gates
            .lock()
            .expect("poisoned")
            .entry(bucket)
            .or_default()
            .clone()
    }

    /// Waits until `bucket` has a token for one more request.
    pub(super) async fn admit(&self, bucket: Bucket) -> Ticket {
        let gate = self.gate(bucket);
        let _turn = gate.turn.lock().await;
        loop {
            // Listening before asking, so an answer arriving in between is not missed.
            let answered = gate.answered.notified();
            tokio::pin!(answered);
            answered.as_mut().enable();
            let decision = gate.pace.lock().expect("poisoned").admit(now());
            match decision {
                Admit::Go(sent) => {
                    return Ticket {
                        gate: gate.clone(),
                        sent: Some(sent),
                    };
                }
                Admit::Wait(Some(until)) => {
                    // Never a busy loop, whatever the rounding.
                    let until = until.max(Instant::now() + Duration::from_millis(1));
                    tokio::select! {
                        () = tokio::time::sleep_until(until.into()) => {}
                        () = &mut answered => {}
                    }
                }
                Admit::Wait(None) => answered.await,
            }
        }
    }

    fn answered(&self, mut ticket: Ticket, limited: bool, headers: &HeaderMap, fallback: Duration) {
        let Some(sent) = ticket.sent.take() else {
            return;
        };
        let at = now();
        let lead = {
            let mut clock = self.clock.lock().expect("poisoned");
            if let Some(date) = date_header(headers) {
                clock.saw(at.unix, date);
            }
            clock.lead()
        };
        let rate = Headers {
            limit: header_u64(headers, "x-ratelimit-limit"),
            remaining: header_u64(headers, "x-ratelimit-remaining"),
            reset: header_f64(headers, "x-ratelimit-reset"),
        };
        ticket
            .gate
            .pace
            .lock()
            .expect("poisoned")
            .answered(sent, at, limited, rate, lead, fallback);
        ticket.gate.answered.notify_waiters();
    }
}

/// The time until `x-ratelimit-reset` (UNIX seconds), if the header is there and in the future.
pub(crate) fn reset_wait(headers: &HeaderMap) -> Option<Duration> {
    let reset = header_f64(headers, "x-ratelimit-reset")?;
    let now = unix_now();
    (reset > now).then(|| Duration::from_secs_f64(reset - now))
}

fn header_u64(headers: &HeaderMap, name: &str) -> Option<u64> {
    headers.get(name)?.to_str().ok()?.trim().parse().ok()
}

fn header_f64(headers: &HeaderMap, name: &str) -> Option<f64> {
    let v: f64 = headers.get(name)?.to_str().ok()?.trim().parse().ok()?;
    v.is_finite().then_some(v)
}

impl ManagementClient {
    /// Hands the answer to `ticket`'s request to its bucket's pacing; `limited_before`: 429s so far for this request
    /// (the hold after a 429 without headers grows with them).
    pub(super) fn answered(
        &self,
        ticket: Ticket,
        status: StatusCode,
        headers: &HeaderMap,
        limited_before: u32,
    ) {
        let fallback = backoff(
            limited_before + 1,
            Duration::from_millis(100),
            self.inner.retry.max_delay,
        );
        self.inner.pacer.answered(
            ticket,
            status == StatusCode::TOO_MANY_REQUESTS,
            headers,
            fallback,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
