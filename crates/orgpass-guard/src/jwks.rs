//! The issuer's signing keys: the key set parsed once per fetch (a prepared `DecodingKey` per `kid`, RSA
//! signature keys for RS256 only), where the JWKS comes from ([`JwksSource`]: discovery or a configured URL
//! over HTTP, a closure in tests), and the cache (kept for the response's bounded `max-age`; fetched again at
//! most once per refetch interval when a token names an unknown `kid`, however many requests ask at once).

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::DecodingKey;
use serde::Deserialize;
use url::Url;

use crate::config::{GuardConfig, MAX_AGE_BOUNDS};
use crate::error::{GuardError, JwksError, shown};
use crate::http::{Document, discover_jwks_uri, get_document};

/// RSA keys shorter than this (in bytes of modulus) are not used: 2048 bits is the floor for RS256.
const MIN_MODULUS_BYTES: usize = 256;

/// After a failed fetch with nothing cached, requests are refused for this long before the next attempt, so
/// a tenant that is down is not hammered by every request.
const FAILURE_BACKOFF: Duration = Duration::from_secs(5);

/// RS256 verification keys from a JWKS document, by `kid`, each prepared once.
#[derive(Default)]
pub struct KeySet {
    keys: HashMap<String, Arc<DecodingKey>>,
    unnamed: Vec<Arc<DecodingKey>>,
}

impl std::fmt::Debug for KeySet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeySet")
            .field("kids", &self.keys.keys().collect::<Vec<_>>())
            .field("unnamed", &self.unnamed.len())
            .finish()
    }
}

impl KeySet {
    /// Parse a JWKS document, keeping only RSA keys for signatures (`use` `sig` or absent) usable with RS256
    /// (`alg` RS256 or absent) of at least 2048 bits. Other keys are skipped, not errors.
    pub fn parse(body: &[u8]) -> Result<Self, String> {
        #[derive(Deserialize)]
        struct Jwks {
            keys: Vec<serde_json::Value>,
        }
        let jwks: Jwks = serde_json::from_slice(body).map_err(|e| e.to_string())?;
        let mut set = Self::default();
        for k in jwks.keys {
            let s = |name: &str| k.get(name).and_then(|v| v.as_str());
            if s("kty") != Some("RSA")
                || k.get("use").is_some_and(|u| u != "sig")
                || k.get("alg").is_some_and(|a| a != "RS256")
            {
                continue;
            }
            let (Some(n), Some(e)) = (s("n"), s("e")) else {
                continue;
            };
            let long_enough = URL_SAFE_NO_PAD
                .decode(n)
                .is_ok_and(|n| n.iter().skip_while(|b| **b == 0).count() >= MIN_MODULUS_BYTES);
            if !long_enough {
                continue;
            }
            let Ok(key) = DecodingKey::from_rsa_components(n, e) else {
                continue;
            };
            match s("kid") {
                Some(kid) => {
                    set.keys.insert(kid.to_owned(), Arc::new(key));
                }
                None => set.unnamed.push(Arc::new(key)),
            }
        }
        Ok(set)
    }

    /// The key for `kid`; for a token without `kid`, the only key if there is exactly one.
    pub fn get(&self, kid: Option<&str>) -> Option<Arc<DecodingKey>> {
        match kid {
            Some(kid) => self.keys.get(kid).cloned(),
            None if self.keys.len() + self.unnamed.len() == 1 => {
                self.keys.values().chain(&self.unnamed).next().cloned()
            }
            None => None,
        }
    }

    /// How many usable keys the set has.
    pub fn len(&self) -> usize {
        self.keys.len() + self.unnamed.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

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
    fetched: Instant,
    max_age: Duration,
    /// When a failed renewal may be tried again (the old keys are used until then).
    retry_at: Option<Instant>,
    /// Added to the time since `fetched` (zero but in tests, which age the keys without waiting).
    aged: Duration,
}

impl Cached {
    fn age(&self) -> Duration {
        self.fetched.elapsed() + self.aged
    }

    fn fresh(&self) -> bool {
        self.age() < self.max_age
    }

    /// Past its max age but within twice of it: usable while a renewal keeps failing.
    fn within_grace(&self) -> bool {
        self.age() < self.max_age * 2
    }
}

/// The JWKS cache. Keys are used for the document's `max-age` (default and bounds from the config); an
/// unknown `kid` causes one refetch at most per refetch interval, and concurrent requests for the same
/// unknown `kid` share it.
pub struct JwksCache {
    source: Arc<dyn JwksSource>,
    refetch_interval: Duration,
    default_max_age: Duration,
    state: RwLock<Option<Cached>>,
    fetch_lock: tokio::sync::Mutex<()>,
    last_kid_refetch: Mutex<Option<Instant>>,
    last_failure: Mutex<Option<Instant>>,
    fetches: AtomicUsize,
}

impl JwksCache {
    pub fn new(source: Arc<dyn JwksSource>, config: &GuardConfig) -> Self {
        Self {
            source,
            refetch_interval: config.refetch_interval(),
            default_max_age: config.default_max_age(),
            state: RwLock::new(None),
            fetch_lock: tokio::sync::Mutex::new(()),
            last_kid_refetch: Mutex::new(None),
            last_failure: Mutex::new(None),
            fetches: AtomicUsize::new(0),
        }
    }

    /// How many times the JWKS has been fetched (diagnostics and tests).
    pub fn fetch_count(&self) -> usize {
        self.fetches.load(Ordering::SeqCst)
    }

    fn cached(&self) -> Option<Cached> {
        self.state.read().expect("jwks cache lock").clone()
    }

    /// The key for `kid`: from fresh cached keys at once; otherwise after (at most) one fetch.
    pub async fn key(&self, kid: Option<&str>) -> Result<Arc<DecodingKey>, GuardError> {
        let asked = Instant::now();
        if let Some(c) = self.cached()
            && c.fresh()
            && let Some(key) = c.set.get(kid)
        {
            return Ok(key);
        }
        let _one_at_a_time = self.fetch_lock.lock().await;
        let cached = self.usable_keys().await?;
        if let Some(key) = cached.set.get(kid) {
            return Ok(key);
        }
        let unknown = || match kid {
            Some(kid) => GuardError::UnknownKid(shown(kid)),
            None => GuardError::NoKid,
        };
        // Fetched since this request arrived (by it, or by another one it waited for): as fresh as can be.
        if cached.fetched >= asked {
            return Err(unknown());
        }
        if !self.may_refetch_for_unknown_kid() {
            tracing::debug!(
                kid = kid.map(shown),
                "unknown kid; JWKS refetch rate-limited"
            );
            return Err(unknown());
        }
        tracing::debug!(kid = kid.map(shown), "unknown kid; fetching the JWKS again");
        self.fetch().await?.set.get(kid).ok_or_else(unknown)
    }

    /// Cached keys that may be used now: fresh ones, else newly fetched ones, else (when the renewal fails)
    /// the old ones within twice their max age.
    async fn usable_keys(&self) -> Result<Cached, GuardError> {
        let old = self.cached();
        if let Some(c) = &old
            && (c.fresh() || c.within_grace() && c.retry_at.is_some_and(|t| Instant::now() < t))
        {
            return Ok(c.clone());
        }
        if old.is_none()
            && let Some(at) = *self.last_failure.lock().expect("jwks failure lock")
        {
            let since = at.elapsed();
            if since < FAILURE_BACKOFF {
                return Err(JwksError::Backoff(FAILURE_BACKOFF - since).into());
            }
        }
        match self.fetch().await {
            Ok(c) => Ok(c),
            Err(e) => match old {
                Some(mut c) if c.within_grace() => {
                    tracing::warn!(error = %e, "could not renew the issuer's keys; using the ones fetched before");
                    c.retry_at = Some(Instant::now() + self.refetch_interval);
                    *self.state.write().expect("jwks cache lock") = Some(c.clone());
                    Ok(c)
                }
                _ => {
                    *self.last_failure.lock().expect("jwks failure lock") = Some(Instant::now());
                    Err(e.into())
                }
            },
        }
    }

    /// True at most once per refetch interval.
    fn may_refetch_for_unknown_kid(&self) -> bool {
        let mut last = self.last_kid_refetch.lock().expect("jwks refetch lock");
        let allowed = last.is_none_or(|t| t.elapsed() >= self.refetch_interval);
        if allowed {
            *last = Some(Instant::now());
        }
        allowed
    }

    async fn fetch(&self) -> Result<Cached, JwksError> {
        self.fetches.fetch_add(1, Ordering::SeqCst);
        let doc = self.source.fetch().await?;
        let set = KeySet::parse(&doc.body).map_err(|reason| JwksError::Parse {
            url: "the jwks_uri".into(),
            what: "the JWKS",
            reason,
        })?;
        if set.is_empty() {
            tracing::warn!("the issuer's JWKS has no RSA signing key usable with RS256");
        }
        let (low, high) = MAX_AGE_BOUNDS;
        let cached = Cached {
            set: Arc::new(set),
            fetched: Instant::now(),
            max_age: doc.max_age.unwrap_or(self.default_max_age).clamp(low, high),
            retry_at: None,
            aged: Duration::ZERO,
        };
        *self.state.write().expect("jwks cache lock") = Some(cached.clone());
        *self.last_failure.lock().expect("jwks failure lock") = None;
        Ok(cached)
    }

    /// The cached keys' max age (tests).
    #[cfg(test)]
    fn max_age(&self) -> Option<Duration> {
        self.cached().map(|c| c.max_age)
    }

    /// Makes the cached keys look `by` older (tests of the max age).
    #[cfg(test)]
    fn age_by(&self, by: Duration) {
        if let Some(c) = self.state.write().expect("jwks cache lock").as_mut() {
            c.aged += by;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
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
        let mut kept: Vec<_> = set.keys.keys().cloned().collect();
        kept.sort();
        assert_eq!(kept, ["good", "no-use-no-alg"]);
        assert!(set.get(None).is_none(), "two keys: a token must name one");
        assert!(KeySet::parse(b"{\"keys\": 3}").is_err());
    }

    #[test]
    fn a_token_without_kid_uses_the_only_key() {
        let set = KeySet::parse(doc(&["only"], None).body.as_slice()).unwrap();
        assert!(set.get(None).is_some());
        assert!(set.get(Some("other")).is_none());
    }

    #[tokio::test]
    async fn concurrent_unknown_kids_cause_one_refetch_then_the_rate_limit_holds() {
        let cache = Arc::new(JwksCache::new(
            source(
                vec![Some(doc(&["a"], None)), Some(doc(&["a", "b"], None))],
                Duration::from_millis(50),
            ),
            &config(),
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
        let cache = Arc::new(JwksCache::new(
            source(vec![Some(doc(&["a"], None))], Duration::from_millis(50)),
            &config(),
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
            let cache = JwksCache::new(
                source(vec![Some(doc(&["a"], max_age))], Duration::ZERO),
                &config(),
            );
            cache.key(Some("a")).await.unwrap();
            assert_eq!(
                cache.max_age(),
                Some(Duration::from_secs(fresh_for)),
                "{max_age:?}"
            );
            cache.age_by(Duration::from_secs(fresh_for - 1));
            cache.key(Some("a")).await.unwrap();
            assert_eq!(cache.fetch_count(), 1, "max-age {max_age:?}: still fresh");
            cache.age_by(Duration::from_secs(2));
            cache.key(Some("a")).await.unwrap();
            assert_eq!(
                cache.fetch_count(),
                2,
                "max-age {max_age:?}: fetched again once past it"
            );
        }
    }

    #[tokio::test]
    async fn a_failed_renewal_keeps_the_old_keys_for_a_while_then_refuses() {
        let cache = JwksCache::new(
            source(vec![Some(doc(&["a"], Some(600))), None], Duration::ZERO),
            &config(),
        );
        cache.key(Some("a")).await.unwrap();
        cache.age_by(Duration::from_secs(601));
        cache
            .key(Some("a"))
            .await
            .expect("old keys within the grace period");
        assert_eq!(cache.fetch_count(), 2);
        cache
            .key(Some("a"))
            .await
            .expect("no new attempt before the retry time");
        assert_eq!(cache.fetch_count(), 2);
        cache.age_by(Duration::from_secs(600));
        let err = cache.key(Some("a")).await.unwrap_err();
        assert!(
            matches!(err, GuardError::Jwks(JwksError::Status { status: 503, .. })),
            "{err:?}"
        );
    }

    #[tokio::test]
    async fn a_failing_first_fetch_backs_off() {
        let cache = JwksCache::new(source(vec![None], Duration::ZERO), &config());
        assert!(matches!(
            cache.key(Some("a")).await,
            Err(GuardError::Jwks(JwksError::Status { .. }))
        ));
        assert!(matches!(
            cache.key(Some("a")).await,
            Err(GuardError::Jwks(JwksError::Backoff(_)))
        ));
        assert_eq!(cache.fetch_count(), 1);
    }
}
