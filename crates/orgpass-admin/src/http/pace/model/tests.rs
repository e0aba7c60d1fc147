//! Tests of one bucket's pacing: exact decisions on a pinned clock, and whole runs against a simulated tenant
//! bucket that answers as devtenant's (and Auth0's) does.

use super::*;

/// A UNIX time not on a whole second, as a real start would be.
const UNIX0: f64 = 1_700_000_000.37;

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

/// The moment `n` ms after `t0` on both clocks.
fn at(t0: Instant, n: u64) -> Stamp {
    Stamp {
        mono: t0 + ms(n),
        unix: UNIX0 + n as f64 / 1000.0,
    }
}

fn go(p: &mut Pace, now: Stamp) -> Sent {
    match p.admit(now) {
        Admit::Go(s) => s,
        other => panic!("expected to go at {now:?}, got {other:?}"),
    }
}

fn headers(limit: u64, remaining: u64, reset: Option<f64>) -> Headers {
    Headers {
        limit: Some(limit),
        remaining: Some(remaining),
        reset,
    }
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-9
}

#[test]
fn the_first_request_goes_alone_and_the_others_wait_for_its_answer() {
    let t0 = Instant::now();
    let mut p = Pace::default();
    let first = go(&mut p, at(t0, 0));
    assert_eq!(p.admit(at(t0, 1)), Admit::Wait(None));
    p.answered(
        first,
        at(t0, 2),
        false,
        headers(250, 249, Some(UNIX0.floor() + 1.0)),
        0.0,
        ms(100),
    );
    for _ in 0..16 {
        go(&mut p, at(t0, 2));
    }
}

#[test]
fn a_bucket_whose_first_answer_has_no_headers_is_not_paced() {
    let t0 = Instant::now();
    let mut p = Pace::default();
    let first = go(&mut p, at(t0, 0));
    p.answered(first, at(t0, 2), false, Headers::default(), 0.0, ms(100));
    for _ in 0..100 {
        go(&mut p, at(t0, 2));
    }
    assert_eq!(p.rate(), None);
}

#[test]
fn requests_in_flight_count_against_remaining() {
    let t0 = Instant::now();
    let mut p = Pace::default();
    let probe = go(&mut p, at(t0, 0));
    // 3 left of 10; the reset (second 2 of the tenant's clock) bounds the rate: 6 tokens in at most 2 s.
    let reset = UNIX0.floor() + 1.0;
    p.answered(
        probe,
        at(t0, 2),
        false,
        headers(10, 3, Some(reset)),
        0.0,
        ms(100),
    );
    let span = reset + 1.0 - UNIX0;
    assert!(close(p.rate().unwrap(), 6.0 / span), "{:?}", p.rate());
    let a = go(&mut p, at(t0, 3));
    let _b = go(&mut p, at(t0, 3));
    let _c = go(&mut p, at(t0, 3));
    // Three in flight against three left: the next waits for one token's refill, or the full bucket.
    let refill = t0 + ms(2) + Duration::from_secs_f64(1.0 / p.rate().unwrap());
    let full = t0 + ms(2) + Duration::from_secs_f64(reset + 1.0 - (UNIX0 + 0.002));
    assert_eq!(p.admit(at(t0, 3)), Admit::Wait(Some(refill.min(full))));
    // `a` says 2 left, but `b` and `c` went after it and may not be counted in that yet: still nothing.
    p.answered(
        a,
        at(t0, 5),
        false,
        headers(10, 2, Some(reset)),
        0.0,
        ms(100),
    );
    assert!(matches!(p.admit(at(t0, 5)), Admit::Wait(Some(_))));
}

#[test]
fn knowing_no_rate_and_no_reset_one_request_goes_a_second_after_the_last_answer() {
    let t0 = Instant::now();
    let mut p = Pace::default();
    let probe = go(&mut p, at(t0, 0));
    p.answered(probe, at(t0, 1), false, headers(5, 4, None), 0.0, ms(100));
    // Four go at once; each went with the others in flight, so none of their answers alone says much.
    let sent: Vec<Sent> = (0..4).map(|_| go(&mut p, at(t0, 2))).collect();
    assert_eq!(p.admit(at(t0, 2)), Admit::Wait(None));
    for (i, s) in sent.into_iter().enumerate() {
        let remaining = [3, 2, 1, 0][i];
        p.answered(
            s,
            at(t0, 3),
            false,
            headers(5, remaining, None),
            0.0,
            ms(100),
        );
    }
    // No rate and no reset known, and no answer coming: one request a second after the last answer.
    assert_eq!(p.admit(at(t0, 4)), Admit::Wait(Some(t0 + ms(1003))));
    let next = go(&mut p, at(t0, 1003));
    assert_eq!(p.admit(at(t0, 1003)), Admit::Wait(None));
    // It finds 2 left: the newest answer counts, and both go. And it measures the rate: 3 gained (2 left + 5
    // handled - 4 left at the first answer), less one for rounding, since the first request went.
    p.answered(next, at(t0, 1005), false, headers(5, 2, None), 0.0, ms(100));
    let rate = 2.0 / 1.005;
    assert!(close(p.rate().unwrap(), rate), "{:?}", p.rate());
    go(&mut p, at(t0, 1005));
    go(&mut p, at(t0, 1005));
    let refill = t0 + ms(1005) + Duration::from_secs_f64(1.0 / rate);
    assert_eq!(p.admit(at(t0, 1005)), Admit::Wait(Some(refill)));
}

#[test]
fn the_reset_bounds_the_rate_from_below_whatever_its_rounding() {
    // devtenant's (and Auth0's) bucket: burst 250, 25/s; reset = the whole second now plus the whole seconds to
    // full. Answers at every phase of the second and with 0 to 9 tokens left.
    let (limit, rate) = (250u64, 25.0);
    let mut best = 0.0f64;
    for tenths in 0..100 {
        for left in 0..10u64 {
            let tokens = left as f64 + (tenths % 10) as f64 / 10.0;
            let sent = UNIX0 + tenths as f64 / 100.0;
            let handled = sent + 0.001;
            let reset = handled.floor() + ((limit as f64 - tokens) / rate).ceil();
            let mut p = Pace::default();
            let t0 = Instant::now();
            let s = go(
                &mut p,
                Stamp {
                    mono: t0,
                    unix: sent,
                },
            );
            let answer = Stamp {
                mono: t0 + ms(2),
                unix: sent + 0.002,
            };
            p.answered(
                s,
                answer,
                false,
                headers(limit, left, Some(reset)),
                0.0,
                ms(100),
            );
            let r = p.rate().unwrap();
            assert!(r < rate, "{r} from {left} left at {tenths}");
            best = best.max(r);
        }
    }
    assert!(best > 24.0, "{best}");
}

#[test]
fn a_clock_ahead_of_the_tenants_reads_the_reset_later() {
    let t0 = Instant::now();
    let mut p = Pace::default();
    let s = go(&mut p, at(t0, 0));
    // Our clock up to 3 s ahead: a reset 10 s away on the tenant's clock is 13 s away on ours.
    let reset = UNIX0 - 3.0 + 10.0;
    p.answered(
        s,
        at(t0, 2),
        false,
        headers(250, 0, Some(reset)),
        3.0,
        ms(100),
    );
    assert!(close(p.rate().unwrap(), 249.0 / 11.0), "{:?}", p.rate());
    // Nothing left: one token's refill, not the reset read on our clock (which would be 8.998 s away).
    let refill = t0 + ms(2) + Duration::from_secs_f64(11.0 / 249.0);
    assert_eq!(p.admit(at(t0, 2)), Admit::Wait(Some(refill)));
}

#[test]
fn the_rate_is_measured_from_the_first_answer() {
    let t0 = Instant::now();
    let mut p = Pace::default();
    let anchor = go(&mut p, at(t0, 0));
    p.answered(anchor, at(t0, 1), false, headers(10, 5, None), 0.0, ms(100));
    assert_eq!(p.rate(), None);
    // One second later 7 are left after one more request: 2 gained, less one for the rounding of `remaining`.
    let b = go(&mut p, at(t0, 1000));
    p.answered(b, at(t0, 1001), false, headers(10, 7, None), 0.0, ms(100));
    assert!(close(p.rate().unwrap(), 2.0 / 1.001), "{:?}", p.rate());
    // Then 8 left two seconds in, after two requests: 8 + 2 - 5 - 1 = 4 gained in 2.001 s.
    let c = go(&mut p, at(t0, 2000));
    p.answered(c, at(t0, 2001), false, headers(10, 8, None), 0.0, ms(100));
    assert!(close(p.rate().unwrap(), 4.0 / 2.001), "{:?}", p.rate());
}

#[test]
fn a_later_window_measures_the_rate_when_the_first_began_before_the_bucket_sat_full() {
    let t0 = Instant::now();
    let mut p = Pace::default();
    let first = go(&mut p, at(t0, 0));
    p.answered(first, at(t0, 1), false, headers(10, 9, None), 0.0, ms(100));
    // Ten seconds idle (the bucket full, its refill lost), then eight requests one after the other.
    for k in 1..=8u64 {
        let s = go(&mut p, at(t0, 10_000 + 2 * (k - 1)));
        let answer = at(t0, 10_001 + 2 * (k - 1));
        p.answered(s, answer, false, headers(10, 9 - k, None), 0.0, ms(100));
    }
    assert_eq!(p.rate(), None);
    // Two seconds later, 3 left after one more: 2 gained in the 2.001 s since the eighth went (1 left then),
    // where from the first answer it is 2 in 12.015 s.
    let s = go(&mut p, at(t0, 12_014));
    p.answered(s, at(t0, 12_015), false, headers(10, 3, None), 0.0, ms(100));
    assert!(close(p.rate().unwrap(), 2.0 / 2.001), "{:?}", p.rate());
}

#[test]
fn a_429_for_a_counted_request_slows_the_rate_and_one_for_the_first_does_not() {
    let t0 = Instant::now();
    let mut p = Pace::default();
    let reset = UNIX0.floor() + 10.0;
    let probe = go(&mut p, at(t0, 0));
    p.answered(
        probe,
        at(t0, 2),
        true,
        headers(250, 0, Some(reset)),
        0.0,
        ms(100),
    );
    let rate = 249.0 / (reset + 1.0 - UNIX0);
    assert!(close(p.rate().unwrap(), rate), "{:?}", p.rate());
    // Nothing left: the next one waits one token's refill.
    let wait = t0 + ms(2) + Duration::from_secs_f64(1.0 / rate);
    assert_eq!(p.admit(at(t0, 2)), Admit::Wait(Some(wait)));
    let late = (wait - t0).as_millis() as u64 + 1;
    let counted = go(&mut p, at(t0, late));
    p.answered(
        counted,
        at(t0, late + 2),
        true,
        headers(250, 0, Some(reset)),
        0.0,
        ms(100),
    );
    // The later answer bounds the rate a little higher; the 429 takes 5% off.
    let bound = 249.0 / (reset + 1.0 - (UNIX0 + late as f64 / 1000.0));
    assert!(close(p.rate().unwrap(), bound * 0.95), "{:?}", p.rate());
}

#[test]
fn a_429_without_headers_holds_the_bucket_for_the_backoff_step() {
    let t0 = Instant::now();
    let mut p = Pace::default();
    let first = go(&mut p, at(t0, 0));
    p.answered(first, at(t0, 5), true, Headers::default(), 0.0, ms(300));
    assert_eq!(p.admit(at(t0, 5)), Admit::Wait(Some(t0 + ms(305))));
    assert_eq!(p.admit(at(t0, 304)), Admit::Wait(Some(t0 + ms(305))));
    go(&mut p, at(t0, 305));
}

/// A tenant's token bucket as devtenant's (and Auth0's) answers it: `remaining` rounded down, `reset` the whole
/// second now plus the whole seconds to full, on the tenant's clock.
struct Tenant {
    limit: u64,
    rate: f64,
    tokens: f64,
    last: f64,
}

impl Tenant {
    fn new(limit: u64, rate: f64) -> Self {
        Self {
            limit,
            rate,
            tokens: limit as f64,
            last: 0.0,
        }
    }

    /// Handles a request at `t` seconds, when the tenant's clock reads `unix`: (allowed, headers).
    fn handle(&mut self, t: f64, unix: f64) -> (bool, Headers) {
        let cap = self.limit as f64;
        self.tokens = (self.tokens + (t - self.last) * self.rate).min(cap);
        self.last = t;
        let allowed = self.tokens >= 1.0;
        if allowed {
            self.tokens -= 1.0;
        }
        let to_full = ((cap - self.tokens) / self.rate).ceil();
        let reset = unix.floor() + if allowed { to_full } else { to_full.max(1.0) };
        (
            allowed,
            headers(self.limit, self.tokens.floor() as u64, Some(reset)),
        )
    }
}

/// A bulk run: `jobs` requests by `clients` concurrent workers, each request handled 1 ms after it went and
/// answered 1 ms later, the pacer asked every millisecond. Our clock runs `skew` s ahead of the tenant's and the
/// pacer is told it may be `lead` s ahead.
struct Run {
    tenant: Tenant,
    jobs: usize,
    clients: usize,
    skew: f64,
    lead: f64,
}

/// A request of a [`Run`] on its way: when it went, and once handled, the tenant's verdict.
struct InFlight {
    sent_ms: u64,
    sent: Sent,
    verdict: Option<(bool, Headers)>,
}

#[derive(Debug)]
struct Outcome {
    seconds: f64,
    done: usize,
    limited: usize,
}

impl Run {
    fn go(mut self) -> Outcome {
        let t0 = Instant::now();
        let mut p = Pace::default();
        let mut waiting = self.clients.min(self.jobs);
        let mut started = waiting;
        let mut flight: Vec<InFlight> = Vec::new();
        let (mut done, mut limited) = (0, 0);
        for now_ms in 0u64..3_600_000 {
            let now = at(t0, now_ms);
            let t = now_ms as f64 / 1000.0;
            for f in flight.iter_mut() {
                if f.sent_ms + 1 == now_ms {
                    f.verdict = Some(self.tenant.handle(t, now.unix - self.skew));
                }
            }
            let (answered, rest): (Vec<_>, Vec<_>) =
                flight.into_iter().partition(|f| f.sent_ms + 2 == now_ms);
            flight = rest;
            for f in answered {
                let (allowed, h) = f.verdict.expect("handled before answered");
                p.answered(f.sent, now, !allowed, h, self.lead, ms(100));
                if !allowed {
                    limited += 1;
                    waiting += 1;
                    continue;
                }
                done += 1;
                if started < self.jobs {
                    started += 1;
                    waiting += 1;
                }
            }
            if done == self.jobs {
                return Outcome {
                    seconds: t,
                    done,
                    limited,
                };
            }
            while waiting > 0 {
                match p.admit(now) {
                    Admit::Go(sent) => {
                        flight.push(InFlight {
                            sent_ms: now_ms,
                            sent,
                            verdict: None,
                        });
                        waiting -= 1;
                    }
                    Admit::Wait(_) => break,
                }
            }
        }
        panic!("not done in an hour: {done} done, {limited} limited");
    }
}

#[test]
fn a_bulk_run_keeps_the_allowed_rate_without_a_429() {
    // The apply bench's tenant: burst 250, 25/s; 1,000 requests, 16 at a time. The burst goes at once, the other
    // 750 need 30 s at 25/s.
    let o = Run {
        tenant: Tenant::new(250, 25.0),
        jobs: 1000,
        clients: 16,
        skew: 0.0,
        lead: 0.0,
    }
    .go();
    assert_eq!((o.done, o.limited), (1000, 0), "{o:?}");
    assert!(o.seconds < 30.3, "{o:?}");
}

#[test]
fn a_clock_ahead_of_the_tenants_is_no_cause_for_429s_once_dates_tell_by_how_much() {
    let o = Run {
        tenant: Tenant::new(250, 25.0),
        jobs: 1000,
        clients: 16,
        skew: 3.0,
        lead: 3.001,
    }
    .go();
    assert_eq!((o.done, o.limited), (1000, 0), "{o:?}");
    assert!(o.seconds < 30.3, "{o:?}");
}

#[test]
fn small_buckets_are_paced_without_a_429() {
    // Auth0's free plan (burst 2, 2/s) and a paid plan's write bucket (burst 5, 25/min).
    let free = Run {
        tenant: Tenant::new(2, 2.0),
        jobs: 40,
        clients: 8,
        skew: 0.0,
        lead: 0.0,
    }
    .go();
    assert_eq!((free.done, free.limited), (40, 0), "{free:?}");
    // 38 beyond the burst at 2/s: 19 s. The reset bounds the rate of so small a bucket poorly (0.6/s from the
    // first answers), and a burst of 2 leaves no room to bank what a low estimate leaves unused, until the
    // measured rate takes over (1.85/s after 10 s): 20.7 s.
    assert!(free.seconds < 21.0, "{free:?}");
    let paid = Run {
        tenant: Tenant::new(5, 25.0 / 60.0),
        jobs: 30,
        clients: 4,
        skew: 0.0,
        lead: 0.0,
    }
    .go();
    assert_eq!((paid.done, paid.limited), (30, 0), "{paid:?}");
    // 25 beyond the burst at 25/min: 60 s; a token still banked at the end is 2.4 s of it: 61.6 s.
    assert!(paid.seconds < 62.5, "{paid:?}");
}
