//! The JWKS cache, once for the workspace: the engine's ID tokens and the guard's access tokens take their keys
//! from it.
//!
//! - Keys are used for the response's `max-age` (bounded, [`CachePolicy::max_age_bounds`]; a default when it says
//!   nothing). Past it they are still used while they are renewed in the background, so an expiring cache never
//!   makes a caller wait; and while renewing fails, for [`CachePolicy::grace`] more. After that, or with no keys
//!   yet, a caller waits for a fetch.
//! - One fetch at a time: everyone who needs fresh keys shares the one in flight; a caller holding usable keys
//!   never waits for it.
//! - A failed fetch backs fetching off (1 s, doubling to 60 s), whatever the cache holds, so an issuer outage
//!   costs it a handful of fetches rather than one per caller.
//! - A `kid` the keys do not have causes at most one refetch per [`CachePolicy::refetch_interval`] (a rotation),
//!   however many callers ask at once.
//! - Every key the [key policy](crate::keys) refuses is logged when the set is read, and named when a token asks
//!   for it.
//!
//! Times come from a [`Clock`] (UNIX seconds), so tests move it by hand.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use jsonwebtoken::DecodingKey;

use crate::fetch::Document;
use crate::jws::JwsError;
use crate::keys::{Alg, KeySet, KeySetError};

/// After a failed fetch, the next one waits this long, doubling with each failure in a row up to
/// [`BACKOFF_MAX`].
pub const BACKOFF_FIRST: Duration = Duration::from_secs(1);

/// The longest wait between two fetches while the issuer keeps failing.
pub const BACKOFF_MAX: Duration = Duration::from_secs(60);

/// The current time in UNIX seconds (injected so tests move it).
pub type Clock = Arc<dyn Fn() -> i64 + Send + Sync>;

/// The system clock.
pub fn system_clock() -> Clock {
    Arc::new(|| {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs() as i64)
    })
}

/// How long keys are kept and how often they may be fetched.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CachePolicy {
    /// Used when the JWKS response says nothing about its lifetime.
    pub default_max_age: Duration,
    /// The bounds put on the response's `max-age`: never fetched more often than the low one, and a key the
    /// tenant removed (after a compromise, say) is dropped within the high one whatever the response said.
    pub max_age_bounds: (Duration, Duration),
    /// The least time between two fetches caused by unknown `kid`s.
    pub refetch_interval: Duration,
    /// How long past their max age the last good keys are still used while the issuer cannot be reached (so an
    /// outage of up to this long is invisible); after it, keys the tenant may have revoked are not trusted.
    pub grace: Duration,
}

impl CachePolicy {
    /// Ten minutes when the issuer does not say, between one minute and one hour; 30 s between refetches for
    /// unknown `kid`s; one hour of grace.
    pub const DEFAULT: Self = Self {
        default_max_age: Duration::from_secs(600),
        max_age_bounds: (Duration::from_secs(60), Duration::from_secs(3600)),
        refetch_interval: Duration::from_secs(30),
        grace: Duration::from_secs(3600),
    };
}

impl Default for CachePolicy {
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// A boxed future returning the raw JWKS document or the source's own error.
pub type JwksFuture<'a, E> = Pin<Box<dyn Future<Output = Result<Document, E>> + Send + 'a>>;

/// Where the JWKS document comes from: HTTP in production (each caller's, with its own trust and proxy
/// settings, through [`crate::fetch::get_document`]), a closure in tests. `E` is the caller's error, kept whole
/// so it can give its own advice (an untrusted certificate, a proxy).
pub trait JwksSource<E>: Send + Sync + 'static {
    /// Fetch the JWKS document.
    fn fetch(&self) -> JwksFuture<'_, E>;
}

impl<E, F> JwksSource<E> for F
where
    F: Fn() -> JwksFuture<'static, E> + Send + Sync + 'static,
{
    fn fetch(&self) -> JwksFuture<'_, E> {
        self()
    }
}

/// Why no key could be had for a token.
#[derive(Debug, thiserror::Error)]
pub enum KeyError<E> {
    /// The source failed (and no keys within the grace were at hand).
    #[error(transparent)]
    Fetch(E),
    /// The issuer's document is not a key set.
    #[error("the issuer's JWKS could not be read: {0}")]
    Unreadable(KeySetError),
    /// The issuer failed a moment ago and is not asked again before this has passed.
    #[error(
        "the issuer's keys could not be fetched a moment ago; asking again in {} s",
        .0.as_secs().max(1)
    )]
    Backoff(Duration),
    /// No usable key for the token's `kid`, even after fetching the keys again: the token's fault, said as every
    /// profile says it.
    #[error(transparent)]
    Missing(JwsError),
}

impl<E> KeyError<E> {
    /// The token's fault (its `kid` names no usable key) as a JWS error, or else why the keys are unavailable.
    pub fn token_fault(self) -> Result<JwsError, Self> {
        match self {
            Self::Missing(e) => Ok(e),
            other => Err(other),
        }
    }
}

#[derive(Clone)]
struct Cached {
    set: Arc<KeySet>,
    /// When the keys were fetched (UNIX seconds).
    fetched: i64,
    max_age: Duration,
    /// Which fetch this was (1 for the first): tells a caller whether the keys came after it asked.
    generation: u64,
}

impl Cached {
    fn age(&self, now: i64) -> Duration {
        Duration::from_secs(now.saturating_sub(self.fetched).max(0).unsigned_abs())
    }

    fn fresh(&self, now: i64) -> bool {
        self.age(now) < self.max_age
    }

    fn within_grace(&self, now: i64, grace: Duration) -> bool {
        self.age(now) < self.max_age + grace
    }
}

/// Consecutive failed fetches and when fetching is allowed again.
#[derive(Default, Clone, Copy)]
struct Failures {
    count: u32,
    /// The last second of the backoff (the clock counts whole seconds: fetching resumes once it has passed, so
    /// at least the whole backoff has elapsed).
    until: i64,
}

impl Failures {
    /// How long fetching stays backed off after the `count`-th failure in a row: 1 s, doubling, at most 60 s.
    fn backoff(count: u32) -> Duration {
        let doubled = BACKOFF_FIRST.saturating_mul(1 << count.saturating_sub(1).min(16));
        doubled.min(BACKOFF_MAX)
    }

    /// The time left before the next fetch may start, if fetching is backed off at `now` (never more than
    /// [`BACKOFF_MAX`]: a clock set back does not hold fetching off for longer).
    fn remaining(&self, now: i64) -> Option<Duration> {
        let left = self.until.saturating_sub(now).saturating_add(1);
        (self.count > 0 && left > 0 && left <= BACKOFF_MAX.as_secs() as i64 + 1)
            .then(|| Duration::from_secs(left.unsigned_abs()).min(BACKOFF_MAX))
    }
}

/// The JWKS cache (see the module). Cheap to clone: clones share the keys.
pub struct JwksCache<E> {
    inner: Arc<Inner<E>>,
}

impl<E> Clone for JwksCache<E> {
    fn clone(&self) -> Self {
        Self {
            inner: self.inner.clone(),
        }
    }
}

struct Inner<E> {
    source: Box<dyn JwksSource<E>>,
    clock: Clock,
    policy: CachePolicy,
    state: RwLock<Option<Cached>>,
    fetch_lock: tokio::sync::Mutex<()>,
    failures: Mutex<Failures>,
    last_kid_refetch: Mutex<Option<i64>>,
    renewing: AtomicBool,
    fetches: AtomicUsize,
}

impl<E: std::fmt::Display + Send + 'static> JwksCache<E> {
    /// An empty cache reading from `source` under the default policy and the system clock.
    pub fn new(source: impl JwksSource<E>) -> Self {
        Self::with_policy(source, CachePolicy::default(), system_clock())
    }

    /// An empty cache reading from `source`, keeping keys as `policy` says, timed by `clock`.
    pub fn with_policy(source: impl JwksSource<E>, policy: CachePolicy, clock: Clock) -> Self {
        Self {
            inner: Arc::new(Inner {
                source: Box::new(source),
                clock,
                policy,
                state: RwLock::new(None),
                fetch_lock: tokio::sync::Mutex::new(()),
                failures: Mutex::new(Failures::default()),
                last_kid_refetch: Mutex::new(None),
                renewing: AtomicBool::new(false),
                fetches: AtomicUsize::new(0),
            }),
        }
    }

    /// How many times the JWKS has been fetched (diagnostics and tests).
    pub fn fetch_count(&self) -> usize {
        self.inner.fetches.load(Ordering::SeqCst)
    }

    /// The key set last fetched, if any (whatever its age).
    pub fn cached(&self) -> Option<Arc<KeySet>> {
        self.inner.cached().map(|c| c.set)
    }

    /// The cached keys' max age (tests and diagnostics).
    pub fn max_age(&self) -> Option<Duration> {
        self.inner.cached().map(|c| c.max_age)
    }

    /// The key for `kid` to verify `alg` with: from usable cached keys at once (renewing them in the background
    /// when past their max age); otherwise after (at most) one fetch, shared with every caller asking meanwhile.
    pub async fn key(&self, kid: Option<&str>, alg: Alg) -> Result<Arc<DecodingKey>, KeyError<E>> {
        let inner = &self.inner;
        let now = inner.now();
        let seen = inner.cached();
        if let Some(c) = &seen
            && c.within_grace(now, inner.policy.grace)
            && let Some(key) = c.set.get(kid, alg)
        {
            if !c.fresh(now) {
                self.renew_in_background();
            }
            return Ok(key);
        }
        let seen_generation = seen.as_ref().map_or(0, |c| c.generation);
        let cached = self.usable_keys(seen_generation).await?;
        if let Some(key) = cached.set.get(kid, alg) {
            return Ok(key);
        }
        // Fetched since this caller asked (by it, or by another one it waited for): as fresh as can be.
        if cached.generation > seen_generation {
            return Err(missing(&cached.set, kid, alg));
        }
        let may_refetch = inner.may_refetch_for_unknown_kid();
        // Either way, a fetch in flight (another caller's, for this very kid after a rotation) is waited for.
        let _one_at_a_time = inner.fetch_lock.lock().await;
        if let Some(c) = inner.cached()
            && c.generation > seen_generation
        {
            return c.set.get(kid, alg).ok_or_else(|| missing(&c.set, kid, alg));
        }
        if !may_refetch {
            tracing::debug!(kid, "unknown kid; JWKS refetch rate-limited");
            return Err(missing(&cached.set, kid, alg));
        }
        tracing::debug!(kid, "unknown kid; fetching the JWKS again");
        if let Some(wait) = inner.backed_off() {
            return Err(KeyError::Backoff(wait));
        }
        let fetched = inner.fetch().await?;
        fetched
            .set
            .get(kid, alg)
            .ok_or_else(|| missing(&fetched.set, kid, alg))
    }

    /// Fresh keys, or keys within the grace after a fetch that failed or is backed off; otherwise the fetch's
    /// error. One fetch at a time: a caller that finds one under way waits for it and uses its result.
    async fn usable_keys(&self, seen_generation: u64) -> Result<Cached, KeyError<E>> {
        let inner = &self.inner;
        let grace = inner.policy.grace;
        let stale = |c: Option<Cached>| c.filter(|c| c.within_grace(inner.now(), grace));
        let _one_at_a_time = inner.fetch_lock.lock().await;
        // While this caller waited, another one may have fetched, or failed to.
        let old = inner.cached();
        if let Some(c) = &old
            && (c.fresh(inner.now()) || c.generation > seen_generation)
        {
            return Ok(c.clone());
        }
        if let Some(wait) = inner.backed_off() {
            return stale(old).ok_or(KeyError::Backoff(wait));
        }
        match inner.fetch().await {
            Ok(c) => Ok(c),
            Err(e) => match stale(old) {
                Some(c) => {
                    tracing::warn!(
                        error = %e,
                        expired_for_s = c.age(inner.now()).saturating_sub(c.max_age).as_secs(),
                        "could not renew the issuer's keys; using the ones fetched before"
                    );
                    Ok(c)
                }
                None => Err(e),
            },
        }
    }

    /// Fetch the keys again on a task of their own, unless that is under way, fetching is backed off, or there
    /// is no runtime to run it on (the next caller past the grace then fetches).
    fn renew_in_background(&self) {
        let inner = &self.inner;
        if inner.backed_off().is_some() || inner.renewing.swap(true, Ordering::SeqCst) {
            return;
        }
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            inner.renewing.store(false, Ordering::SeqCst);
            return;
        };
        let inner = self.inner.clone();
        runtime.spawn(async move {
            {
                let _one_at_a_time = inner.fetch_lock.lock().await;
                let fresh = inner.cached().is_some_and(|c| c.fresh(inner.now()));
                if !fresh && inner.backed_off().is_none() {
                    // A failure is logged and backs fetching off inside `fetch`; the old keys stay in use.
                    let _ = inner.fetch().await;
                }
            }
            inner.renewing.store(false, Ordering::SeqCst);
        });
    }

    /// Wait until no background renewal is under way (tests).
    pub async fn settled(&self) {
        while self.inner.renewing.load(Ordering::SeqCst) {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
    }
}

/// Why `set` has no key for `kid`: the policy refused the one it has, or it has none.
fn missing<E>(set: &KeySet, kid: Option<&str>, alg: Alg) -> KeyError<E> {
    match set.key_for(kid, alg) {
        Ok(_) => unreachable!("asked only after the set had no key"),
        Err(e) => KeyError::Missing(e),
    }
}

impl<E: std::fmt::Display + Send + 'static> Inner<E> {
    fn now(&self) -> i64 {
        (self.clock)()
    }

    fn cached(&self) -> Option<Cached> {
        self.state.read().expect("jwks cache lock").clone()
    }

    fn backed_off(&self) -> Option<Duration> {
        self.failures
            .lock()
            .expect("jwks failure lock")
            .remaining(self.now())
    }

    /// True at most once per refetch interval.
    fn may_refetch_for_unknown_kid(&self) -> bool {
        let now = self.now();
        let mut last = self.last_kid_refetch.lock().expect("jwks refetch lock");
        let interval = self.policy.refetch_interval.as_secs() as i64;
        let allowed = last.is_none_or(|t| now.saturating_sub(t) >= interval);
        if allowed {
            *last = Some(now);
        }
        allowed
    }

    /// One fetch (the caller holds `fetch_lock`). A failure backs fetching off; a success ends the backoff.
    async fn fetch(&self) -> Result<Cached, KeyError<E>> {
        self.fetches.fetch_add(1, Ordering::SeqCst);
        let result = self.fetch_and_parse().await;
        let mut failures = self.failures.lock().expect("jwks failure lock");
        match &result {
            Ok(_) => *failures = Failures::default(),
            Err(e) => {
                failures.count = failures.count.saturating_add(1);
                let wait = Failures::backoff(failures.count);
                failures.until = self.now().saturating_add(wait.as_secs() as i64);
                tracing::warn!(
                    error = %e,
                    failures = failures.count,
                    next_attempt_in_s = wait.as_secs(),
                    "could not fetch the issuer's keys"
                );
            }
        }
        result
    }

    async fn fetch_and_parse(&self) -> Result<Cached, KeyError<E>> {
        let doc = self.source.fetch().await.map_err(KeyError::Fetch)?;
        let set = KeySet::parse(&doc.body).map_err(KeyError::Unreadable)?;
        for refused in set.refused() {
            tracing::warn!("the issuer's JWKS: {refused}");
        }
        if set.is_empty() {
            tracing::warn!("the issuer's JWKS has no key this client can use");
        }
        let (low, high) = self.policy.max_age_bounds;
        let mut state = self.state.write().expect("jwks cache lock");
        let cached = Cached {
            set: Arc::new(set),
            fetched: self.now(),
            max_age: doc
                .max_age
                .unwrap_or(self.policy.default_max_age)
                .clamp(low, high),
            generation: state.as_ref().map_or(0, |c| c.generation) + 1,
        };
        *state = Some(cached.clone());
        Ok(cached)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::AtomicI64;

    use base64::Engine;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use serde_json::json;

    use super::*;

    /// What the test source fails with.
    #[derive(Debug, PartialEq, Eq)]
    struct Down;

    impl std::fmt::Display for Down {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("HTTP 503")
        }
    }

    type Cache = JwksCache<Down>;

    /// A syntactically valid 2048-bit modulus (not a real key: these tests never verify a signature).
    fn modulus() -> String {
        let mut n = vec![0xC1; 256];
        n[255] |= 1;
        URL_SAFE_NO_PAD.encode(n)
    }

    fn doc(kids: &[&str], max_age: Option<u64>) -> Document {
        let keys: Vec<_> = kids
            .iter()
            .map(|k| json!({"kty": "RSA", "use": "sig", "alg": "RS256", "kid": k, "n": modulus(), "e": "AQAB"}))
            .collect();
        Document {
            body: json!({ "keys": keys }).to_string().into_bytes(),
            max_age: max_age.map(Duration::from_secs),
        }
    }

    /// A clock the test moves by hand (UNIX seconds).
    #[derive(Clone)]
    struct Hands(Arc<AtomicI64>);

    impl Hands {
        fn new() -> Self {
            Self(Arc::new(AtomicI64::new(1_700_000_000)))
        }
        fn clock(&self) -> Clock {
            let t = self.0.clone();
            Arc::new(move || t.load(Ordering::SeqCst))
        }
        fn advance(&self, secs: u64) {
            self.0.fetch_add(secs as i64, Ordering::SeqCst);
        }
    }

    /// A cache over a source serving `docs` in turn (the last one again and again), failing for `None`, each
    /// fetch taking `delay`.
    fn cache(docs: Vec<Option<Document>>, delay: Duration, hands: &Hands) -> Arc<Cache> {
        let calls = Arc::new(AtomicUsize::new(0));
        let source = move || -> JwksFuture<'static, Down> {
            let n = calls.fetch_add(1, Ordering::SeqCst);
            let d = docs[n.min(docs.len() - 1)].clone();
            Box::pin(async move {
                tokio::time::sleep(delay).await;
                d.ok_or(Down)
            })
        };
        Arc::new(JwksCache::with_policy(
            source,
            CachePolicy::default(),
            hands.clock(),
        ))
    }

    async fn key(cache: &Cache, kid: &str) -> Result<(), KeyError<Down>> {
        cache.key(Some(kid), Alg::Rs256).await.map(|_| ())
    }

    #[tokio::test]
    async fn a_token_without_kid_uses_the_only_key_and_a_refused_key_is_named() {
        let hands = Hands::new();
        let mut body: serde_json::Value =
            serde_json::from_slice(&doc(&["only"], None).body).unwrap();
        body["keys"]
            .as_array_mut()
            .unwrap()
            .push(json!({"kty": "RSA", "kid": "short", "n": URL_SAFE_NO_PAD.encode([0xC1u8; 128]), "e": "AQAB"}));
        let c = cache(
            vec![Some(body.to_string().into_bytes().into())],
            Duration::ZERO,
            &hands,
        );
        assert!(c.key(None, Alg::Rs256).await.is_ok());
        match c.key(Some("short"), Alg::Rs256).await {
            Err(KeyError::Missing(JwsError::RefusedKey { kid, reason })) => {
                assert_eq!(kid, "short");
                assert!(reason.contains("1024"), "{reason}");
            }
            other => panic!("{:?}", other.map(|_| ())),
        }
        assert!(matches!(
            c.key(Some("other"), Alg::Rs256).await,
            Err(KeyError::Missing(JwsError::UnknownKey { kid })) if kid == "other"
        ));
        assert!(
            matches!(
                c.key(Some("only"), Alg::Es256).await,
                Err(KeyError::Missing(JwsError::UnknownKey { .. }))
            ),
            "an RSA key is never an ES256 key"
        );
    }

    #[tokio::test]
    async fn concurrent_unknown_kids_cause_one_refetch_then_the_rate_limit_holds() {
        let c = cache(
            vec![Some(doc(&["a"], None)), Some(doc(&["a", "b"], None))],
            Duration::from_millis(50),
            &Hands::new(),
        );
        key(&c, "a").await.unwrap();
        assert_eq!(c.fetch_count(), 1);
        let tasks: Vec<_> = (0..8)
            .map(|_| {
                let c = c.clone();
                tokio::spawn(async move { key(&c, "zzz").await })
            })
            .collect();
        for t in tasks {
            assert!(
                matches!(t.await.unwrap(), Err(KeyError::Missing(JwsError::UnknownKey { kid })) if kid == "zzz")
            );
        }
        assert_eq!(c.fetch_count(), 2, "eight callers, one refetch");
        // Key b arrived with that refetch; another unknown kid within the window fetches nothing.
        key(&c, "b").await.unwrap();
        assert!(key(&c, "yyy").await.is_err());
        assert_eq!(c.fetch_count(), 2);
    }

    #[tokio::test]
    async fn concurrent_first_callers_fetch_once() {
        let c = cache(
            vec![Some(doc(&["a"], None))],
            Duration::from_millis(50),
            &Hands::new(),
        );
        let tasks: Vec<_> = (0..8)
            .map(|_| {
                let c = c.clone();
                tokio::spawn(async move { key(&c, "a").await })
            })
            .collect();
        for t in tasks {
            t.await.unwrap().unwrap();
        }
        assert_eq!(c.fetch_count(), 1);
    }

    #[tokio::test]
    async fn max_age_is_honoured_within_bounds_and_renewal_happens_in_the_background() {
        for (max_age, fresh_for) in [
            (Some(120), 120),
            (None, 600),
            (Some(0), 60),
            (Some(86_400), 3600),
        ] {
            let hands = Hands::new();
            let c = cache(
                vec![Some(doc(&["a"], max_age)), Some(doc(&["b"], max_age))],
                Duration::from_millis(20),
                &hands,
            );
            key(&c, "a").await.unwrap();
            assert_eq!(
                c.max_age(),
                Some(Duration::from_secs(fresh_for)),
                "{max_age:?}"
            );
            hands.advance(fresh_for - 1);
            key(&c, "a").await.unwrap();
            c.settled().await;
            assert_eq!(c.fetch_count(), 1, "max-age {max_age:?}: still fresh");
            hands.advance(2);
            // Past the max age: the old key at once, the renewal behind it (which drops key a).
            key(&c, "a").await.expect("the old keys while renewing");
            c.settled().await;
            assert_eq!(
                c.fetch_count(),
                2,
                "max-age {max_age:?}: fetched again once past it"
            );
            key(&c, "b").await.expect("the renewed keys");
            assert!(
                matches!(
                    key(&c, "a").await,
                    Err(KeyError::Missing(JwsError::UnknownKey { .. }))
                ),
                "a removed key is dropped"
            );
        }
    }

    #[tokio::test]
    async fn a_failing_issuer_is_asked_again_after_1_2_4_s_up_to_60_s_while_the_old_keys_last_an_hour()
     {
        let hands = Hands::new();
        let c = cache(
            vec![Some(doc(&["a"], Some(600))), None],
            Duration::ZERO,
            &hands,
        );
        key(&c, "a").await.unwrap();
        hands.advance(601);
        // (seconds to move the clock, fetches made in all so far)
        let steps = [
            (0, 2), // the renewal fails: backed off 1 s
            (1, 2), // within that second
            (1, 3), // 2 s after: the second attempt, backed off 2 s
            (2, 3),
            (1, 4), // 3 s after it: backed off 4 s
            (4, 4),
            (1, 5), // backed off 8 s
        ];
        for (i, (advance, fetches)) in steps.into_iter().enumerate() {
            hands.advance(advance);
            for _ in 0..10 {
                key(&c, "a").await.expect("the old keys within the grace");
                c.settled().await;
            }
            assert_eq!(c.fetch_count(), fetches, "step {i}");
        }
        assert_eq!(
            (1..=10)
                .map(|n| Failures::backoff(n).as_secs())
                .collect::<Vec<_>>(),
            [1, 2, 4, 8, 16, 32, 60, 60, 60, 60]
        );
        assert_eq!(Failures::backoff(u32::MAX), BACKOFF_MAX);
        // The old keys last the grace past their max age; then the fetch's error, or the backoff.
        let grace = CachePolicy::default().grace.as_secs();
        hands.advance(600 + grace - 1 - 611);
        key(&c, "a").await.expect("the last second of grace");
        c.settled().await;
        hands.advance(1);
        let err = key(&c, "a").await.unwrap_err();
        assert!(
            matches!(err, KeyError::Fetch(Down) | KeyError::Backoff(_)),
            "{err:?}"
        );
    }

    #[tokio::test]
    async fn keys_come_back_when_the_issuer_does() {
        let hands = Hands::new();
        let c = cache(
            vec![
                Some(doc(&["a"], Some(600))),
                None,
                Some(doc(&["b"], Some(600))),
            ],
            Duration::ZERO,
            &hands,
        );
        key(&c, "a").await.unwrap();
        hands.advance(601);
        key(&c, "a").await.expect("old keys while renewing");
        c.settled().await;
        assert_eq!(c.fetch_count(), 2, "the renewal failed");
        hands.advance(2);
        key(&c, "a").await.expect("old keys, renewing again");
        c.settled().await;
        key(&c, "b").await.expect("renewed");
        assert_eq!(c.fetch_count(), 3);
        assert!(c.inner.backed_off().is_none(), "a success ends the backoff");
    }

    #[tokio::test]
    async fn a_failing_first_fetch_backs_off() {
        let hands = Hands::new();
        let c = cache(vec![None], Duration::ZERO, &hands);
        assert!(matches!(key(&c, "a").await, Err(KeyError::Fetch(Down))));
        assert!(matches!(key(&c, "a").await, Err(KeyError::Backoff(_))));
        assert_eq!(c.fetch_count(), 1);
        hands.advance(2);
        assert!(matches!(key(&c, "a").await, Err(KeyError::Fetch(Down))));
        assert_eq!(c.fetch_count(), 2);
    }

    #[tokio::test]
    async fn while_a_renewal_is_in_flight_callers_with_old_keys_do_not_wait_and_first_callers_share_one_fetch()
     {
        let hands = Hands::new();
        let c = cache(
            vec![Some(doc(&["a"], Some(600))), None],
            Duration::from_secs(3),
            &hands,
        );
        key(&c, "a").await.unwrap();
        hands.advance(601);
        let started = std::time::Instant::now();
        for _ in 0..100 {
            key(&c, "a").await.expect("the old keys");
        }
        // Waiting for the fetch would take its 3 s; the margin is for a busy machine (a debug build, other tests).
        assert!(
            started.elapsed() < Duration::from_secs(2),
            "did not wait for the fetch in flight: {:?}",
            started.elapsed()
        );
        c.settled().await;
        assert_eq!(c.fetch_count(), 2, "one renewal for 100 callers");

        // Nothing cached: concurrent first callers share one failing fetch.
        let c = cache(vec![None], Duration::from_millis(100), &hands);
        let tasks: Vec<_> = (0..50)
            .map(|_| {
                let c = c.clone();
                tokio::spawn(async move { key(&c, "a").await })
            })
            .collect();
        for t in tasks {
            assert!(matches!(
                t.await.unwrap(),
                Err(KeyError::Fetch(Down) | KeyError::Backoff(_))
            ));
        }
        assert_eq!(c.fetch_count(), 1);
    }
}
