//! DPoP at the API (RFC 9449 §7): a request with the `DPoP` scheme carries one proof, checked by the token core
//! ([`orgpass_jose::dpop::check_proof`]) against the request's method and URL (the configured external origin and
//! the request's path) and the access token's hash; the token must be bound to the proof's key; and the proof's
//! `jti` must not have been seen within the window, in a [`ReplayStore`] that the API's instances share.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Mutex;
use std::time::Duration;

use crate::guard::Clock;

/// How far a proof's `iat` may be from the API's clock, either way; a `jti` is remembered this long after its
/// `iat` (and the window again, for a proof from the future).
pub const PROOF_WINDOW: Duration = orgpass_jose::dpop::DEFAULT_WINDOW;

/// The most proofs the in-memory store remembers at once (at the window's length, 10,000 requests a second).
pub const MEMORY_CAPACITY: usize = 1_200_000;

/// A boxed future of a [`ReplayStore`] answer.
pub type ReplayFuture<'a> = Pin<Box<dyn Future<Output = Result<bool, String>> + Send + 'a>>;

/// Where the `jti`s of proofs seen are kept: [`MemoryReplay`] for one instance; a shared store (Redis) when the
/// API runs on several, so a proof replayed to another instance is refused too.
pub trait ReplayStore: Send + Sync + 'static {
    /// Records `key` until `expires` (UNIX seconds). `Ok(true)` the first time, `Ok(false)` when it was already
    /// there; `Err` with why the store could not be asked (the request is then refused with 503).
    fn first_use<'a>(&'a self, key: &'a str, expires: i64) -> ReplayFuture<'a>;
}

/// The proofs seen by this instance, forgotten once expired; at [`MEMORY_CAPACITY`] new proofs are refused
/// (answered as the store failing) rather than old ones forgotten early.
pub struct MemoryReplay {
    seen: Mutex<HashMap<String, i64>>,
    clock: Clock,
}

impl MemoryReplay {
    pub fn new(clock: Clock) -> Self {
        Self {
            seen: Mutex::new(HashMap::new()),
            clock,
        }
    }
}

impl ReplayStore for MemoryReplay {
    fn first_use<'a>(&'a self, key: &'a str, expires: i64) -> ReplayFuture<'a> {
        let now = (self.clock)();
        let mut seen = self.seen.lock().expect("replay store lock");
        let answer = if seen.get(key).is_some_and(|&until| until >= now) {
            Ok(false)
        } else {
            if seen.len() >= MEMORY_CAPACITY {
                seen.retain(|_, until| *until >= now);
            }
            if seen.len() >= MEMORY_CAPACITY {
                Err(format!("{MEMORY_CAPACITY} proofs within the window"))
            } else {
                seen.insert(key.to_owned(), expires);
                Ok(true)
            }
        };
        Box::pin(async move { answer })
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicI64, Ordering};

    use super::*;

    #[tokio::test]
    async fn a_jti_is_refused_the_second_time_until_it_expires() {
        let t = Arc::new(AtomicI64::new(1_000));
        let clock: Clock = {
            let t = t.clone();
            Arc::new(move || t.load(Ordering::SeqCst))
        };
        let store = MemoryReplay::new(clock);
        assert_eq!(store.first_use("k.j1", 1_120).await, Ok(true));
        assert_eq!(store.first_use("k.j1", 1_120).await, Ok(false));
        assert_eq!(store.first_use("k.j2", 1_120).await, Ok(true));
        t.store(1_121, Ordering::SeqCst);
        assert_eq!(
            store.first_use("k.j1", 1_240).await,
            Ok(true),
            "forgotten once past its window"
        );
    }
}
