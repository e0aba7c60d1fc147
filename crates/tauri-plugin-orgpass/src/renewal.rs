//! Renewing many sessions without a herd: after a restart with 50 signed-in organizations the app asks the tenant
//! about each, but never 50 at once. At most [`PACE`]`.concurrency` renewals are in flight, and each one waits a
//! random moment first, so that restored sessions (or two apps started together) do not hit the tenant in
//! lockstep. Each result is handed over as soon as it arrives, so the window turns sessions active one by one.

use std::future::Future;
use std::time::Duration;

use futures_util::stream::{self, StreamExt};
use rand::Rng;

/// How many renewals run at once, and the longest random wait before each.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pace {
    pub concurrency: usize,
    pub jitter: Duration,
}

/// The app's pace: 4 at a time, each after 0–250 ms (the wait holds its slot, so 50 sessions take about 1.6 s of
/// waiting plus 13 rounds of refresh requests: a few seconds, never more than 4 requests at once at the tenant).
pub const PACE: Pace = Pace {
    concurrency: 4,
    jitter: Duration::from_millis(250),
};

/// Restored sessions are first renewed once the window has asked for its first state (its start competes with
/// renewals for the CPU and the keychain, and the signed-in view needs none of them), or after this at the latest
/// (an app whose window never asks).
pub const FIRST_RENEWAL_AT_MOST: Duration = Duration::from_secs(3);

/// Run `work` for every item, at most `pace.concurrency` at once, each after a random wait below `pace.jitter`
/// (none when there is a single item: one session renews at once). `done` gets each result as it completes.
pub async fn paced<T, R, Fut>(
    items: Vec<T>,
    pace: Pace,
    work: impl Fn(T) -> Fut,
    mut done: impl FnMut(R),
) where
    Fut: Future<Output = R>,
{
    let jitter_ms = u64::try_from(pace.jitter.as_millis()).unwrap_or(u64::MAX);
    let spread = items.len() > 1 && jitter_ms > 0;
    let runs = items.into_iter().map(|item| {
        let wait = if spread {
            Duration::from_millis(rand::thread_rng().gen_range(0..jitter_ms))
        } else {
            Duration::ZERO
        };
        let run = work(item);
        async move {
            if !wait.is_zero() {
                tokio::time::sleep(wait).await;
            }
            run.await
        }
    });
    let mut results = stream::iter(runs).buffer_unordered(pace.concurrency.max(1));
    while let Some(r) = results.next().await {
        done(r);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// 50 renewals that each take 20 ms: never more than 4 in flight, every one done once, and the random waits
    /// (0–30 ms each, about 190 ms along a slot's 12–13 renewals) come on top of the 13 rounds that 4 slots need.
    #[tokio::test]
    async fn fifty_renewals_run_four_at_a_time_each_once() {
        let (now, most) = (AtomicUsize::new(0), AtomicUsize::new(0));
        let mut seen = Vec::new();
        let started = tokio::time::Instant::now();
        paced(
            (0..50).collect(),
            Pace {
                concurrency: 4,
                jitter: Duration::from_millis(30),
            },
            |i: usize| {
                let (now, most) = (&now, &most);
                async move {
                    let in_flight = now.fetch_add(1, Ordering::SeqCst) + 1;
                    most.fetch_max(in_flight, Ordering::SeqCst);
                    tokio::time::sleep(Duration::from_millis(20)).await;
                    now.fetch_sub(1, Ordering::SeqCst);
                    i
                }
            },
            |i| seen.push(i),
        )
        .await;
        seen.sort_unstable();
        assert_eq!(seen, (0..50).collect::<Vec<_>>());
        assert!((1..=4).contains(&most.load(Ordering::SeqCst)));
        // 4 slots need 13 rounds of 20 ms for 50 renewals: exactly 260 ms without the waits.
        assert!(
            started.elapsed() > Duration::from_millis(260),
            "{:?}",
            started.elapsed()
        );
    }

    #[tokio::test]
    async fn a_single_renewal_does_not_wait() {
        let started = std::time::Instant::now();
        let mut got = None;
        paced(
            vec!["acme"],
            Pace {
                concurrency: 4,
                jitter: Duration::from_secs(5),
            },
            |org| async move { org },
            |org| got = Some(org),
        )
        .await;
        assert_eq!(got, Some("acme"));
        // The jitter is 5 s: a single renewal that waited for it would take that long.
        assert!(started.elapsed() < Duration::from_secs(3));
    }
}
