//! The issuer's signing keys: the key set parsed once per fetch (a prepared `DecodingKey` per `kid`, RSA
//! signature keys for RS256 only), where the JWKS comes from ([`JwksSource`]: discovery or a configured URL
//! over HTTP, a closure in tests), and the cache (kept for the response's bounded `max-age`, then for
//! [`STALE_GRACE`] more while the issuer fails; one fetch at a time, backed off after failures; fetched again at
//! most once per refetch interval when a token names an unknown `kid`, however many requests ask at once).

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use jsonwebtoken::DecodingKey;
use url::Url;

use crate::config::{GuardConfig, MAX_AGE_BOUNDS};
use crate::error::{GuardError, JwksError, shown};
use crate::guard::Clock;
use crate::http::{Document, discover_jwks_uri, get_document};

/// After a failed fetch, the next one waits this long, doubling with each failure in a row up to
/// [`BACKOFF_MAX`], whatever the cache holds: an issuer that is down is not asked on every request.
pub const BACKOFF_FIRST: Duration = Duration::from_secs(1);

/// The longest wait between two fetches while the issuer keeps failing.
pub const BACKOFF_MAX: Duration = Duration::from_secs(60);

/// How long past their max age the last good keys are still used while the issuer cannot be reached (so an
/// outage of up to an hour is invisible to callers). After that requests are refused with 503: keys the tenant
/// may have revoked are not trusted forever.
pub const STALE_GRACE: Duration = Duration::from_secs(3600);

use orgpass_jose::Alg;
/// The issuer's keys under the one key policy of the token core (see [`orgpass_jose::keys`]): the engine reads its
/// ID tokens' keys with the same rules.
pub use orgpass_jose::KeySet;

/// A boxed future returning the raw JWKS document.
pub type JwksFuture<'a> = Pin<Box<dyn Future<Output = Result<Document, JwksError>> + Send + 'a>>;

/// Where the JWKS document comes from: [`HttpJwks`] in production, a closure in tests.
pub trait JwksSource: Send + Sync + 'static {
    /// Fetch the JWKS document.
    fn fetch(&self) -> JwksFuture<'_>;
}

impl<F> JwksSource for F
where
    F: Fn() -> JwksFuture<'static> + Send + Sync + 'static,
{
    fn fetch(&self) -> JwksFuture<'_> {
        self()
    }
}

/// The JWKS over HTTP: from the configured JWKS URL, else from the `jwks_uri` of the issuer's discovery
/// document (read once, and again after a failed JWKS fetch).
pub struct HttpJwks {
    http: reqwest::Client,
    config: GuardConfig,
    discovered: Mutex<Option<Url>>,
}

impl HttpJwks {
    pub fn new(http: reqwest::Client, config: GuardConfig) -> Self {
        Self {
            http,
            config,
            discovered: Mutex::new(None),
        }
    }

    async fn fetch_document(&self) -> Result<Document, JwksError> {
        if let Some(url) = self.config.jwks_url() {
            return get_document(&self.http, url, "the JWKS").await;
        }
        let known = self.discovered.lock().expect("jwks uri lock").clone();
        let url = match known {
            Some(url) => url,
            None => {
                let url = discover_jwks_uri(&self.http, &self.config).await?;
                *self.discovered.lock().expect("jwks uri lock") = Some(url.clone());
                url
            }
        };
        let result = get_document(&self.http, &url, "the JWKS").await;
        if result.is_err() {
            // The tenant may have moved its keys: read discovery again next time.
            *self.discovered.lock().expect("jwks uri lock") = None;
        }
        result
    }
}

impl JwksSource for HttpJwks {
    fn fetch(&self) -> JwksFuture<'_> {
        Box::pin(self.fetch_document())
    }
}

#[derive(Clone)]
struct Cached {
    set: Arc<KeySet>,
    /// When the keys were fetched (the guard's clock, UNIX seconds).
    fetched: i64,
    max_age: Duration,
    /// Which fetch this was (1 for the first): tells a request whether the keys came after it arrived.
    generation: u64,
}

impl Cached {
    fn age(&self, now: i64) -> Duration {
        Duration::from_secs(now.saturating_sub(self.fetched).max(0).unsigned_abs())
    }

    fn fresh(&self, now: i64) -> bool {
        self.age(now) < self.max_age
    }

    /// Past its max age by less than [`STALE_GRACE`]: still used while renewing it fails.
    fn within_grace(&self, now: i64) -> bool {
        self.age(now) < self.max_age + STALE_GRACE
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

/// The JWKS cache. Keys are used for the document's `max-age` (default and bounds from the config), then
/// renewed; while renewing fails they are still used for [`STALE_GRACE`] past that. Fetching is single-flight
/// (one fetch at a time; a request that has usable keys never waits for someone else's fetch) and backs off
/// after a failure (1 s doubling to 60 s), whatever the cache holds, so an issuer outage costs it a handful of
/// fetches rather than one per request. An unknown `kid` causes one refetch at most per refetch interval.
/// Times come from the guard's clock.
pub struct JwksCache {
    source: Arc<dyn JwksSource>,
    clock: Clock,
    refetch_interval: Duration,
    default_max_age: Duration,
    state: RwLock<Option<Cached>>,
    fetch_lock: tokio::sync::Mutex<()>,
    failures: Mutex<Failures>,
    last_kid_refetch: Mutex<Option<i64>>,
    fetches: AtomicUsize,
}

impl JwksCache {
    pub fn new(source: Arc<dyn JwksSource>, config: &GuardConfig, clock: Clock) -> Self {
        Self {
            source,
            clock,
            refetch_interval: config.refetch_interval(),
            default_max_age: config.default_max_age(),
            state: RwLock::new(None),
            fetch_lock: tokio::sync::Mutex::new(()),
            failures: Mutex::new(Failures::default()),
            last_kid_refetch: Mutex::new(None),
            fetches: AtomicUsize::new(0),
        }
    }

    /// How many times the JWKS has been fetched (diagnostics and tests).
    pub fn fetch_count(&self) -> usize {
        self.fetches.load(Ordering::SeqCst)
    }

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

    /// The key for `kid`: from fresh cached keys at once; otherwise after (at most) one fetch, shared with
    /// every request asking meanwhile.
    pub async fn key(&self, kid: Option<&str>) -> Result<Arc<DecodingKey>, GuardError> {
        let seen = self.cached();
        if let Some(c) = &seen
            && c.fresh(self.now())
            && let Some(key) = c.set.get(kid, Alg::Rs256)
        {
            return Ok(key);
        }
        let seen_generation = seen.map_or(0, |c| c.generation);
        let cached = self.usable_keys(seen_generation).await?;
        if let Some(key) = cached.set.get(kid, Alg::Rs256) {
            return Ok(key);
        }
        let unknown = || match kid {
            Some(kid) => GuardError::UnknownKid(shown(kid)),
            None => GuardError::NoKid,
        };
        // Fetched since this request arrived (by it, or by another one it waited for): as fresh as can be.
        if cached.generation > seen_generation {
            return Err(unknown());
        }
        let may_refetch = self.may_refetch_for_unknown_kid();
        // Either way, a fetch in flight (another request's, for this very kid after a rotation) is waited for.
        let _one_at_a_time = self.fetch_lock.lock().await;
        if let Some(c) = self.cached()
            && c.generation > seen_generation
        {
            return c.set.get(kid, Alg::Rs256).ok_or_else(unknown);
        }
        if !may_refetch {
            tracing::debug!(
                kid = kid.map(shown),
                "unknown kid; JWKS refetch rate-limited"
            );
            return Err(unknown());
        }
        tracing::debug!(kid = kid.map(shown), "unknown kid; fetching the JWKS again");
        if let Some(wait) = self.backed_off() {
            return Err(JwksError::Backoff(wait).into());
        }
        self.fetch()
            .await?
            .set
            .get(kid, Alg::Rs256)
            .ok_or_else(unknown)
    }

    /// Cached keys that may be used now: fresh ones; else, unless fetching is backed off, newly fetched ones
    /// (one fetch at a time: a request holding keys within the grace uses them rather than wait for another
    /// request's fetch); else (the fetch failed, or fetching is backed off) the old ones within the grace.
    async fn usable_keys(&self, seen_generation: u64) -> Result<Cached, GuardError> {
        let stale = |c: &Option<Cached>| c.clone().filter(|c| c.within_grace(self.now()));
        let old = self.cached();
        if let Some(c) = &old
            && c.fresh(self.now())
        {
            return Ok(c.clone());
        }
        if let Some(wait) = self.backed_off() {
            return stale(&old).ok_or_else(|| JwksError::Backoff(wait).into());
        }
        let _one_at_a_time = match self.fetch_lock.try_lock() {
            Ok(held) => held,
            Err(_) => match stale(&old) {
                Some(c) => return Ok(c),
                None => self.fetch_lock.lock().await,
            },
        };
        // While this request waited, another one may have fetched, or failed to.
        let old = self.cached();
        if let Some(c) = &old
            && (c.fresh(self.now()) || c.generation > seen_generation)
        {
            return Ok(c.clone());
        }
        if let Some(wait) = self.backed_off() {
            return stale(&old).ok_or_else(|| JwksError::Backoff(wait).into());
        }
        match self.fetch().await {
            Ok(c) => Ok(c),
            Err(e) => match stale(&old) {
                Some(c) => {
                    tracing::warn!(
                        error = %e,
                        expired_for_s = c.age(self.now()).saturating_sub(c.max_age).as_secs(),
                        "could not renew the issuer's keys; using the ones fetched before"
                    );
                    Ok(c)
                }
                None => Err(e.into()),
            },
        }
    }

    /// True at most once per refetch interval.
    fn may_refetch_for_unknown_kid(&self) -> bool {
        let now = self.now();
        let mut last = self.last_kid_refetch.lock().expect("jwks refetch lock");
        let interval = self.refetch_interval.as_secs() as i64;
        let allowed = last.is_none_or(|t| now.saturating_sub(t) >= interval);
        if allowed {
            *last = Some(now);
        }
        allowed
    }

    /// One fetch (the caller holds `fetch_lock`). A failure backs fetching off; a success ends the backoff.
    async fn fetch(&self) -> Result<Cached, JwksError> {
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

    async fn fetch_and_parse(&self) -> Result<Cached, JwksError> {
        let doc = self.source.fetch().await?;
        let set = KeySet::parse(&doc.body).map_err(|e| JwksError::Parse {
            url: "the jwks_uri".into(),
            what: "the JWKS",
            reason: e.to_string(),
        })?;
        for refused in set.refused() {
            tracing::warn!("the issuer's JWKS: {refused}");
        }
        if set.is_empty() {
            tracing::warn!("the issuer's JWKS has no RSA signing key usable with RS256");
        }
        let (low, high) = MAX_AGE_BOUNDS;
        let mut state = self.state.write().expect("jwks cache lock");
        let cached = Cached {
            set: Arc::new(set),
            fetched: self.now(),
            max_age: doc.max_age.unwrap_or(self.default_max_age).clamp(low, high),
            generation: state.as_ref().map_or(0, |c| c.generation) + 1,
        };
        *state = Some(cached.clone());
        Ok(cached)
    }

    /// The cached keys' max age (tests).
    #[cfg(test)]
    fn max_age(&self) -> Option<Duration> {
        self.cached().map(|c| c.max_age)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use serde_json::json;

    /// A syntactically valid 2048-bit modulus (not a real key: these tests never verify a signature).
    fn modulus(seed: u8) -> String {
        let mut n = vec![0xC0 | seed; 256];
        n[255] |= 1;
        URL_SAFE_NO_PAD.encode(n)
    }

    fn jwk(kid: &str) -> serde_json::Value {
        json!({"kty": "RSA", "use": "sig", "alg": "RS256", "kid": kid, "n": modulus(1), "e": "AQAB"})
    }

    fn doc(kids: &[&str], max_age: Option<u64>) -> Document {
        let keys: Vec<_> = kids.iter().map(|k| jwk(k)).collect();
        Document {
            body: json!({ "keys": keys }).to_string().into_bytes(),
            max_age: max_age.map(Duration::from_secs),
        }
    }

    /// A source serving `docs` in turn (the last one again and again), `Err` for `None`, counting its calls,
    /// each call taking `delay`.
    fn source(docs: Vec<Option<Document>>, delay: Duration) -> Arc<dyn JwksSource> {
        let calls = Arc::new(AtomicUsize::new(0));
        Arc::new(move || -> JwksFuture<'static> {
            let n = calls.fetch_add(1, Ordering::SeqCst);
            let d = docs[n.min(docs.len() - 1)].clone();
            Box::pin(async move {
                tokio::time::sleep(delay).await;
                d.ok_or(JwksError::Status {
                    url: "http://127.0.0.1/jwks".into(),
                    status: 503,
                })
            })
        })
    }

    fn config() -> GuardConfig {
        GuardConfig::new("https://acme.eu.auth0.com/", "https://api.example/").unwrap()
    }

    /// A clock the test moves by hand (UNIX seconds).
    #[derive(Clone)]
    struct Hands(Arc<std::sync::atomic::AtomicI64>);

    impl Hands {
        fn new() -> Self {
            Self(Arc::new(std::sync::atomic::AtomicI64::new(1_700_000_000)))
        }
        fn clock(&self) -> Clock {
            let t = self.0.clone();
            Arc::new(move || t.load(Ordering::SeqCst))
        }
        fn advance(&self, by: Duration) {
            self.0.fetch_add(by.as_secs() as i64, Ordering::SeqCst);
        }
    }

    fn cache(source: Arc<dyn JwksSource>, hands: &Hands) -> JwksCache {
        JwksCache::new(source, &config(), hands.clock())
    }

    /// The guard keeps exactly the keys the token core's policy allows for RS256 (its table is in orgpass-jose).
    #[test]
    fn only_rsa_signature_keys_for_rs256_of_2048_bits_are_kept() {
        let short = URL_SAFE_NO_PAD.encode([0xC1u8; 128]);
        let padded = URL_SAFE_NO_PAD.encode([&[0u8][..], &[0xC1u8; 255][..]].concat());
        let body = json!({"keys": [
            jwk("good"),
            {"kty": "RSA", "kid": "no-use-no-alg", "n": modulus(2), "e": "AQAB"},
            {"kty": "RSA", "use": "enc", "kid": "enc", "n": modulus(3), "e": "AQAB"},
            {"kty": "RSA", "alg": "RS512", "kid": "rs512", "n": modulus(4), "e": "AQAB"},
            {"kty": "RSA", "alg": "PS256", "kid": "ps256", "n": modulus(4), "e": "AQAB"},
            {"kty": "EC", "kid": "ec", "crv": "P-256", "x": "AA", "y": "AA"},
            {"kty": "oct", "kid": "hmac", "k": "c2VjcmV0"},
            {"kty": "RSA", "kid": "1024-bit", "n": short, "e": "AQAB"},
            {"kty": "RSA", "kid": "zero-padded-2040-bit", "n": padded, "e": "AQAB"},
            {"kty": "RSA", "kid": "no-n", "e": "AQAB"},
        ]});
        let set = KeySet::parse(body.to_string().as_bytes()).unwrap();
        let kids = [
            "good",
            "no-use-no-alg",
            "enc",
            "rs512",
            "ps256",
            "ec",
            "hmac",
            "1024-bit",
            "zero-padded-2040-bit",
            "no-n",
        ];
        let kept: Vec<_> = kids
            .iter()
            .filter(|k| set.get(Some(k), Alg::Rs256).is_some())
            .collect();
        assert_eq!(kept, [&"good", &"no-use-no-alg"]);
        assert_eq!(set.refused().len(), 8, "{set:?}");
        assert!(
            set.get(None, Alg::Rs256).is_none(),
            "two keys: a token must name one"
        );
        assert!(KeySet::parse(b"{\"keys\": 3}").is_err());
    }

    #[test]
    fn a_token_without_kid_uses_the_only_key() {
        let set = KeySet::parse(doc(&["only"], None).body.as_slice()).unwrap();
        assert!(set.get(None, Alg::Rs256).is_some());
        assert!(set.get(Some("other"), Alg::Rs256).is_none());
    }

    #[tokio::test]
    async fn concurrent_unknown_kids_cause_one_refetch_then_the_rate_limit_holds() {
        let cache = Arc::new(cache(
            source(
                vec![Some(doc(&["a"], None)), Some(doc(&["a", "b"], None))],
                Duration::from_millis(50),
            ),
            &Hands::new(),
        ));
        cache.key(Some("a")).await.unwrap();
        assert_eq!(cache.fetch_count(), 1);
        let tasks: Vec<_> = (0..8)
            .map(|_| {
                let cache = cache.clone();
                tokio::spawn(async move { cache.key(Some("zzz")).await.map(|_| ()) })
            })
            .collect();
        for t in tasks {
            assert!(matches!(t.await.unwrap(), Err(GuardError::UnknownKid(k)) if k == "zzz"));
        }
        assert_eq!(cache.fetch_count(), 2, "eight requests, one refetch");
        // Key b arrived with that refetch; another unknown kid within the window fetches nothing.
        cache.key(Some("b")).await.unwrap();
        assert!(cache.key(Some("yyy")).await.is_err());
        assert_eq!(cache.fetch_count(), 2);
    }

    #[tokio::test]
    async fn concurrent_first_requests_fetch_once() {
        let cache = Arc::new(cache(
            source(vec![Some(doc(&["a"], None))], Duration::from_millis(50)),
            &Hands::new(),
        ));
        let tasks: Vec<_> = (0..8)
            .map(|_| {
                let cache = cache.clone();
                tokio::spawn(async move { cache.key(Some("a")).await.map(|_| ()) })
            })
            .collect();
        for t in tasks {
            t.await.unwrap().unwrap();
        }
        assert_eq!(cache.fetch_count(), 1);
    }

    #[tokio::test]
    async fn max_age_is_honoured_within_bounds() {
        for (max_age, fresh_for) in [
            (Some(120), 120),
            (None, 600),
            (Some(0), 60),
            (Some(86_400), 3600),
        ] {
            let hands = Hands::new();
            let cache = cache(
                source(vec![Some(doc(&["a"], max_age))], Duration::ZERO),
                &hands,
            );
            cache.key(Some("a")).await.unwrap();
            assert_eq!(
                cache.max_age(),
                Some(Duration::from_secs(fresh_for)),
                "{max_age:?}"
            );
            hands.advance(Duration::from_secs(fresh_for - 1));
            cache.key(Some("a")).await.unwrap();
            assert_eq!(cache.fetch_count(), 1, "max-age {max_age:?}: still fresh");
            hands.advance(Duration::from_secs(2));
            cache.key(Some("a")).await.unwrap();
            assert_eq!(
                cache.fetch_count(),
                2,
                "max-age {max_age:?}: fetched again once past it"
            );
        }
    }

    #[tokio::test]
    async fn a_failing_issuer_is_asked_again_after_1_2_4_s_up_to_60_s_while_the_old_keys_last_an_hour()
     {
        let hands = Hands::new();
        let cache = cache(
            source(vec![Some(doc(&["a"], Some(600))), None], Duration::ZERO),
            &hands,
        );
        cache.key(Some("a")).await.unwrap();
        hands.advance(Duration::from_secs(601));
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
            hands.advance(Duration::from_secs(advance));
            for _ in 0..10 {
                cache
                    .key(Some("a"))
                    .await
                    .expect("the old keys within the grace");
            }
            assert_eq!(cache.fetch_count(), fetches, "step {i}");
        }
        // The wait doubles up to a minute, never more.
        assert_eq!(
            (1..=10)
                .map(|n| Failures::backoff(n).as_secs())
                .collect::<Vec<_>>(),
            [1, 2, 4, 8, 16, 32, 60, 60, 60, 60]
        );
        assert_eq!(Failures::backoff(u32::MAX), BACKOFF_MAX);
        // The old keys last STALE_GRACE past their max age; then 503 (backed off, or the fetch's own error).
        let (now, grace_ends) = (611, 600 + STALE_GRACE.as_secs());
        hands.advance(Duration::from_secs(grace_ends - 1 - now));
        cache
            .key(Some("a"))
            .await
            .expect("the last second of grace");
        hands.advance(Duration::from_secs(1));
        let err = cache.key(Some("a")).await.unwrap_err();
        assert!(matches!(err, GuardError::Jwks(_)), "{err:?}");
    }

    #[tokio::test]
    async fn keys_come_back_when_the_issuer_does() {
        let hands = Hands::new();
        let cache = cache(
            source(
                vec![
                    Some(doc(&["a"], Some(600))),
                    None,
                    Some(doc(&["b"], Some(600))),
                ],
                Duration::ZERO,
            ),
            &hands,
        );
        cache.key(Some("a")).await.unwrap();
        hands.advance(Duration::from_secs(601));
        cache
            .key(Some("a"))
            .await
            .expect("old keys, renewal failed");
        hands.advance(Duration::from_secs(2));
        cache.key(Some("b")).await.expect("renewed");
        assert_eq!(cache.fetch_count(), 3);
        assert!(cache.backed_off().is_none(), "a success ends the backoff");
    }

    #[tokio::test]
    async fn a_failing_first_fetch_backs_off() {
        let hands = Hands::new();
        let cache = cache(source(vec![None], Duration::ZERO), &hands);
        assert!(matches!(
            cache.key(Some("a")).await,
            Err(GuardError::Jwks(JwksError::Status { .. }))
        ));
        assert!(matches!(
            cache.key(Some("a")).await,
            Err(GuardError::Jwks(JwksError::Backoff(_)))
        ));
        assert_eq!(cache.fetch_count(), 1);
        hands.advance(Duration::from_secs(2));
        assert!(matches!(
            cache.key(Some("a")).await,
            Err(GuardError::Jwks(JwksError::Status { .. }))
        ));
        assert_eq!(cache.fetch_count(), 2);
    }

    #[tokio::test]
    async fn while_one_fetch_is_in_flight_requests_with_old_keys_do_not_wait_and_others_share_it() {
        let hands = Hands::new();
        let cache = Arc::new(cache(
            source(
                vec![Some(doc(&["a"], Some(600))), None],
                Duration::from_millis(300),
            ),
            &hands,
        ));
        cache.key(Some("a")).await.unwrap();
        hands.advance(Duration::from_secs(601));
        let renewing = {
            let cache = cache.clone();
            tokio::spawn(async move { cache.key(Some("a")).await.map(|_| ()) })
        };
        tokio::time::sleep(Duration::from_millis(50)).await;
        let started = std::time::Instant::now();
        for _ in 0..100 {
            cache.key(Some("a")).await.expect("the old keys");
        }
        assert!(
            started.elapsed() < Duration::from_millis(200),
            "did not wait for the fetch in flight: {:?}",
            started.elapsed()
        );
        renewing
            .await
            .unwrap()
            .expect("old keys after the failed renewal");
        assert_eq!(cache.fetch_count(), 2, "one renewal for 101 requests");

        // Nothing cached: concurrent first requests share one failing fetch.
        let cache = Arc::new(self::cache(
            source(vec![None], Duration::from_millis(100)),
            &hands,
        ));
        let tasks: Vec<_> = (0..50)
            .map(|_| {
                let cache = cache.clone();
                tokio::spawn(async move { cache.key(Some("a")).await.map(|_| ()) })
            })
            .collect();
        for t in tasks {
            assert!(matches!(t.await.unwrap(), Err(GuardError::Jwks(_))));
        }
        assert_eq!(cache.fetch_count(), 1);
    }
}
