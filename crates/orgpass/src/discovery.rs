//! OpenID Provider discovery and the JWKS cache (keys by `kid`, one rate-limited refetch on an unknown `kid`,
//! a maximum age after which the keys are fetched again in the background).

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use jsonwebtoken::DecodingKey;
use serde::Deserialize;
use url::Url;

use crate::config::Issuer;

/// Minimum time between two refetches of the JWKS triggered by unknown `kid`s.
pub const JWKS_REFETCH_INTERVAL: Duration = Duration::from_secs(30);

/// How long fetched keys are used when the JWKS response says nothing (`Cache-Control: max-age`) about it.
pub const JWKS_DEFAULT_MAX_AGE: Duration = Duration::from_secs(600);

/// The bounds put on a JWKS response's `max-age`: never refetched more often than once a minute, and a key
/// the tenant removed (after a compromise, say) is dropped within the hour whatever the response said.
pub const JWKS_MAX_AGE_BOUNDS: (Duration, Duration) =
    (Duration::from_secs(60), Duration::from_secs(3600));

/// The largest discovery document or JWKS accepted (real ones are a few KiB).
pub const MAX_DOCUMENT_BYTES: usize = 1024 * 1024;

/// The parts of `/.well-known/openid-configuration` the engine uses.
#[derive(Debug, Clone, Deserialize)]
pub struct ProviderMetadata {
    /// The issuer exactly as the provider writes it (and as `iss` must read).
    pub issuer: String,
    pub authorization_endpoint: Url,
    pub token_endpoint: Url,
    pub jwks_uri: Url,
    #[serde(default)]
    pub revocation_endpoint: Option<Url>,
    #[serde(default)]
    pub end_session_endpoint: Option<Url>,
    /// RFC 9207: when true, `iss` is required in the authorization response.
    #[serde(default)]
    pub authorization_response_iss_parameter_supported: bool,
    #[serde(default)]
    pub code_challenge_methods_supported: Option<Vec<String>>,
}

/// Why discovery or the JWKS could not be used.
#[derive(Debug, thiserror::Error)]
pub enum DiscoveryError {
    /// The request did not get an answer: the network, a proxy or the server's certificate (see
    /// [`orgpass_net::NetError`], whose sentence is the message).
    #[error("{source}")]
    Transport {
        url: String,
        source: orgpass_net::NetError,
    },
    #[error("{url} answered HTTP {status}; check the issuer domain (is it the tenant's domain?)")]
    Status { url: String, status: u16 },
    #[error("{url} did not return valid JSON for {what}: {reason}")]
    Parse {
        url: String,
        what: &'static str,
        reason: String,
    },
    #[error(
        "discovery says the issuer is `{got}`, but we are configured for `{want}`; fix the issuer setting"
    )]
    IssuerMismatch { got: String, want: String },
    #[error(
        "discovery endpoint {0} is not https; plain http is allowed only when the issuer itself is a loopback \
         http:// issuer (a local test tenant), never for an https issuer"
    )]
    InsecureEndpoint(String),
    #[error(
        "{url} sent more than {} KiB for {what}, more than any real one; check the issuer setting",
        .limit / 1024
    )]
    TooLarge {
        url: String,
        what: &'static str,
        limit: usize,
    },
    #[error("the provider does not support PKCE S256 (code_challenge_methods_supported: {0:?})")]
    NoS256(Vec<String>),
}

impl ProviderMetadata {
    /// Fetch and check the discovery document for `issuer`.
    pub async fn discover(
        http: &orgpass_net::Http,
        issuer: &Issuer,
    ) -> Result<Self, DiscoveryError> {
        let url = issuer.discovery_url();
        let body = get_bytes(http, &url, "the discovery document").await?.body;
        let meta: Self = serde_json::from_slice(&body).map_err(|e| DiscoveryError::Parse {
            url: url.to_string(),
            what: "the discovery document",
            reason: e.to_string(),
        })?;
        meta.check(issuer)?;
        Ok(meta)
    }

    /// Check issuer identity and endpoint schemes: every endpoint is https, except that a loopback `http://`
    /// issuer (which [`Issuer::parse`] allows only on a loopback address) may name loopback `http://` endpoints.
    pub fn check(&self, issuer: &Issuer) -> Result<(), DiscoveryError> {
        if !issuer.matches(&self.issuer) {
            return Err(DiscoveryError::IssuerMismatch {
                got: self.issuer.clone(),
                want: issuer.as_str().to_owned(),
            });
        }
        let endpoints = [
            Some(&self.authorization_endpoint),
            Some(&self.token_endpoint),
            Some(&self.jwks_uri),
            self.revocation_endpoint.as_ref(),
            self.end_session_endpoint.as_ref(),
        ];
        let issuer_is_loopback_http = issuer.url().scheme() == "http";
        for e in endpoints.into_iter().flatten() {
            let loopback_http = issuer_is_loopback_http
                && e.scheme() == "http"
                && e.host_str().is_some_and(crate::config::is_loopback_host);
            if e.scheme() != "https" && !loopback_http {
                return Err(DiscoveryError::InsecureEndpoint(e.to_string()));
            }
        }
        if let Some(methods) = &self.code_challenge_methods_supported
            && !methods.iter().any(|m| m == "S256")
        {
            return Err(DiscoveryError::NoS256(methods.clone()));
        }
        Ok(())
    }

    /// The revocation endpoint, or Auth0's `/oauth/revoke` when discovery names none.
    pub fn revocation_url(&self) -> Url {
        self.revocation_endpoint.clone().unwrap_or_else(|| {
            let base = self.issuer.trim_end_matches('/');
            Url::parse(&format!("{base}/oauth/revoke")).expect("issuer was validated")
        })
    }
}

/// A fetched document and how long its sender says it may be cached.
#[derive(Debug, Clone, Default)]
pub struct Document {
    pub body: Vec<u8>,
    /// `Cache-Control: max-age` of the response (`Some(ZERO)` for `no-cache` / `no-store`), if it said.
    pub max_age: Option<Duration>,
}

impl From<Vec<u8>> for Document {
    fn from(body: Vec<u8>) -> Self {
        Self {
            body,
            max_age: None,
        }
    }
}

/// GET `url`, refusing a non-2xx answer and a body over [`MAX_DOCUMENT_BYTES`] (read chunk by chunk, so an
/// endless body is cut off rather than buffered).
pub(crate) async fn get_bytes(
    http: &orgpass_net::Http,
    url: &Url,
    what: &'static str,
) -> Result<Document, DiscoveryError> {
    let transport = |e: reqwest::Error| DiscoveryError::Transport {
        url: url.to_string(),
        source: http.explain(&e),
    };
    let too_large = || DiscoveryError::TooLarge {
        url: url.to_string(),
        what,
        limit: MAX_DOCUMENT_BYTES,
    };
    let mut resp = http.get(url.clone()).send().await.map_err(transport)?;
    let status = resp.status();
    if !status.is_success() {
        return Err(DiscoveryError::Status {
            url: url.to_string(),
            status: status.as_u16(),
        });
    }
    if resp
        .content_length()
        .is_some_and(|n| n > MAX_DOCUMENT_BYTES as u64)
    {
        return Err(too_large());
    }
    let max_age = resp
        .headers()
        .get(reqwest::header::CACHE_CONTROL)
        .and_then(|v| v.to_str().ok())
        .and_then(cache_max_age);
    let mut body = Vec::new();
    while let Some(chunk) = resp.chunk().await.map_err(transport)? {
        if body.len() + chunk.len() > MAX_DOCUMENT_BYTES {
            return Err(too_large());
        }
        body.extend_from_slice(&chunk);
    }
    Ok(Document { body, max_age })
}

/// The lifetime a `Cache-Control` value grants: `max-age=N`, or zero for `no-cache` / `no-store`.
fn cache_max_age(value: &str) -> Option<Duration> {
    let mut max_age = None;
    for directive in value.split(',').map(str::trim) {
        let (name, arg) = directive.split_once('=').unwrap_or((directive, ""));
        match name.trim().to_ascii_lowercase().as_str() {
            "no-store" | "no-cache" => return Some(Duration::ZERO),
            "max-age" => {
                max_age = arg
                    .trim()
                    .trim_matches('"')
                    .parse::<u64>()
                    .ok()
                    .map(Duration::from_secs)
            }
            _ => {}
        }
    }
    max_age
}

/// A boxed future returning the raw JWKS document.
pub type JwksFuture = Pin<Box<dyn Future<Output = Result<Document, DiscoveryError>> + Send>>;

/// Where the JWKS comes from (HTTP in production, a closure in tests).
pub trait JwksSource: Send + Sync {
    /// Fetch the JWKS document.
    fn fetch(&self) -> JwksFuture;
}

/// Fetch the JWKS over HTTP.
pub struct HttpJwks {
    http: orgpass_net::Http,
    uri: Url,
}

impl HttpJwks {
    /// A source reading `uri` with `http`.
    pub fn new(http: orgpass_net::Http, uri: Url) -> Self {
        Self { http, uri }
    }
}

impl JwksSource for HttpJwks {
    fn fetch(&self) -> JwksFuture {
        let (http, uri) = (self.http.clone(), self.uri.clone());
        Box::pin(async move { get_bytes(&http, &uri, "the JWKS").await })
    }
}

impl<F> JwksSource for F
where
    F: Fn() -> JwksFuture + Send + Sync,
{
    fn fetch(&self) -> JwksFuture {
        self()
    }
}

use orgpass_jose::Alg;
/// The issuer's keys under the one key policy of the token core (see [`orgpass_jose::keys`]).
pub use orgpass_jose::KeySet;

/// The JWKS cache: filled on first use and kept for the document's max age (bounded, see
/// [`JWKS_MAX_AGE_BOUNDS`]); refetched at most once per [`JWKS_REFETCH_INTERVAL`] when a token names an unknown
/// `kid`.
///
/// Keys older than their max age are still used for the verification at hand while a fresh copy is fetched in
/// the background, so an expired cache never blocks a sign-in; keys older than twice their max age (the app
/// slept, or the background fetch keeps failing) are fetched again before use.
pub struct JwksCache {
    inner: Arc<CacheInner>,
}

struct CacheInner {
    source: Box<dyn JwksSource>,
    keys: RwLock<Option<Cached>>,
    last_refetch: Mutex<Option<Instant>>,
    fetch_lock: tokio::sync::Mutex<()>,
    refreshing: AtomicBool,
    fetches: AtomicUsize,
}

#[derive(Clone)]
struct Cached {
    set: Arc<KeySet>,
    fetched: Instant,
    max_age: Duration,
    /// Added to the time since `fetched` (zero but in the max-age tests, which age the keys without waiting).
    aged: Duration,
}

/// How fresh the cached keys are.
enum Age {
    Fresh,
    /// Past the max age: use, and fetch again in the background.
    Stale,
    /// Past twice the max age: fetch again before use.
    Expired,
}

impl Cached {
    fn age(&self) -> Age {
        let age = self.fetched.elapsed() + self.aged;
        if age < self.max_age {
            Age::Fresh
        } else if age < self.max_age * 2 {
            Age::Stale
        } else {
            Age::Expired
        }
    }
}

impl JwksCache {
    /// An empty cache reading from `source`.
    pub fn new(source: impl JwksSource + 'static) -> Self {
        Self {
            inner: Arc::new(CacheInner {
                source: Box::new(source),
                keys: RwLock::new(None),
                last_refetch: Mutex::new(None),
                fetch_lock: tokio::sync::Mutex::new(()),
                refreshing: AtomicBool::new(false),
                fetches: AtomicUsize::new(0),
            }),
        }
    }

    /// The cached key set, if it has been fetched.
    pub fn cached(&self) -> Option<Arc<KeySet>> {
        self.inner.cached().map(|c| c.set)
    }

    /// How many times the JWKS has been fetched (for tests and diagnostics).
    pub fn fetch_count(&self) -> usize {
        self.inner.fetches.load(Ordering::SeqCst)
    }

    /// Why the cached key set refused the key named `kid`, if it did (so "not in the JWKS" is not said of it).
    pub fn refusal(&self, kid: &str) -> Option<String> {
        let cached = self.inner.cached()?;
        cached.set.refusal(kid).map(|r| r.reason.clone())
    }

    /// The key for `kid`: from the cache, else after the first fetch, else after one rate-limited refetch.
    pub async fn key(&self, kid: Option<&str>) -> Result<Option<Arc<DecodingKey>>, DiscoveryError> {
        if let Some(cached) = self.inner.cached() {
            let usable = match cached.age() {
                Age::Fresh => true,
                Age::Stale => {
                    self.refresh_in_background();
                    true
                }
                Age::Expired => false,
            };
            if usable && let Some(k) = cached.set.get(kid, Alg::Rs256) {
                return Ok(Some(k));
            }
        }
        let inner = &self.inner;
        let _guard = inner.fetch_lock.lock().await;
        // Someone else may have fetched while we waited.
        let set = match inner.cached() {
            Some(c) if !matches!(c.age(), Age::Expired) => c.set,
            _ => inner.fetch().await?,
        };
        if let Some(k) = set.get(kid, Alg::Rs256) {
            return Ok(Some(k));
        }
        let allowed = {
            let mut last = inner.last_refetch.lock().expect("jwks lock");
            let ok = last.is_none_or(|t| t.elapsed() >= JWKS_REFETCH_INTERVAL);
            if ok {
                *last = Some(Instant::now());
            }
            ok
        };
        if !allowed {
            tracing::debug!(?kid, "unknown kid; JWKS refetch rate-limited");
            return Ok(None);
        }
        tracing::debug!(?kid, "unknown kid; refetching JWKS once");
        Ok(inner.fetch().await?.get(kid, Alg::Rs256))
    }

    /// Fetch the keys again on a task of their own, unless that is already under way.
    fn refresh_in_background(&self) {
        if self.inner.refreshing.swap(true, Ordering::SeqCst) {
            return;
        }
        let inner = self.inner.clone();
        tokio::spawn(async move {
            let result = {
                let _guard = inner.fetch_lock.lock().await;
                match inner.cached() {
                    Some(c) if matches!(c.age(), Age::Fresh) => Ok(c.set),
                    _ => inner.fetch().await,
                }
            };
            if let Err(e) = result {
                tracing::warn!(error = %e, "could not renew the issuer's keys; using the ones fetched before");
            }
            inner.refreshing.store(false, Ordering::SeqCst);
        });
    }

    /// Make the cached keys look `by` older (tests of the max age).
    #[cfg(test)]
    fn age_by(&self, by: Duration) {
        if let Some(c) = self.inner.keys.write().expect("jwks lock").as_mut() {
            c.aged += by;
        }
    }
}

impl CacheInner {
    fn cached(&self) -> Option<Cached> {
        self.keys.read().expect("jwks lock").clone()
    }

    async fn fetch(&self) -> Result<Arc<KeySet>, DiscoveryError> {
        self.fetches.fetch_add(1, Ordering::SeqCst);
        let doc = self.source.fetch().await?;
        let set = Arc::new(KeySet::parse(&doc.body).map_err(|e| DiscoveryError::Parse {
            url: "jwks_uri".into(),
            what: "the JWKS",
            reason: e.to_string(),
        })?);
        for refused in set.refused() {
            tracing::warn!("the issuer's JWKS: {refused}");
        }
        let (low, high) = JWKS_MAX_AGE_BOUNDS;
        let max_age = doc.max_age.unwrap_or(JWKS_DEFAULT_MAX_AGE).clamp(low, high);
        *self.keys.write().expect("jwks lock") = Some(Cached {
            set: set.clone(),
            fetched: Instant::now(),
            max_age,
            aged: Duration::ZERO,
        });
        Ok(set)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{TestKey, jwks};

    fn metadata(issuer: &str, endpoint_base: &str) -> ProviderMetadata {
        serde_json::from_value(serde_json::json!({
            "issuer": issuer,
            "authorization_endpoint": format!("{endpoint_base}authorize"),
            "token_endpoint": format!("{endpoint_base}oauth/token"),
            "jwks_uri": format!("{endpoint_base}.well-known/jwks.json"),
        }))
        .expect("metadata")
    }

    #[test]
    fn endpoint_schemes() {
        // (issuer, where its endpoints live, accepted)
        let rows = [
            (
                "https://acme.eu.auth0.com/",
                "https://acme.eu.auth0.com/",
                true,
            ),
            ("http://127.0.0.1:4000/", "http://127.0.0.1:4000/", true),
            ("http://[::1]:4000/", "http://[::1]:4000/", true),
            ("http://127.0.0.1:4000/", "https://127.0.0.1:4443/", true),
            // An https issuer sending the code, verifier and refresh token in cleartext to a local port.
            (
                "https://acme.eu.auth0.com/",
                "http://127.0.0.1:8080/",
                false,
            ),
            ("https://acme.eu.auth0.com/", "http://[::1]:8080/", false),
            (
                "https://acme.eu.auth0.com/",
                "http://acme.eu.auth0.com/",
                false,
            ),
            ("http://127.0.0.1:4000/", "http://evil.example/", false),
            ("http://127.0.0.1:4000/", "http://localhost:4000/", false),
        ];
        for (issuer, base, ok) in rows {
            let got = metadata(issuer, base).check(&Issuer::parse(issuer).unwrap());
            match (ok, got) {
                (true, Ok(())) => {}
                (false, Err(DiscoveryError::InsecureEndpoint(e))) => {
                    assert_eq!(e, format!("{base}authorize"), "{issuer} with {base}")
                }
                (_, got) => panic!("{issuer} with endpoints at {base}: {got:?}"),
            }
        }
    }

    /// Answers every connection on 127.0.0.1 with `body`, with a Content-Length or chunked.
    async fn serve(body: Vec<u8>, chunked: bool) -> Url {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = Url::parse(&format!("http://{}/doc", listener.local_addr().unwrap())).unwrap();
        tokio::spawn(async move {
            while let Ok((mut stream, _)) = listener.accept().await {
                let mut request = [0u8; 4096];
                let _ = stream.read(&mut request).await;
                let mut out = Vec::new();
                if chunked {
                    out.extend_from_slice(b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n");
                    for chunk in body.chunks(64 * 1024) {
                        out.extend_from_slice(format!("{:x}\r\n", chunk.len()).as_bytes());
                        out.extend_from_slice(chunk);
                        out.extend_from_slice(b"\r\n");
                    }
                    out.extend_from_slice(b"0\r\n\r\n");
                } else {
                    out.extend_from_slice(
                        format!("HTTP/1.1 200 OK\r\ncontent-length: {}\r\n\r\n", body.len())
                            .as_bytes(),
                    );
                    out.extend_from_slice(&body);
                }
                let _ = stream.write_all(&out).await;
                let _ = stream.shutdown().await;
            }
        });
        url
    }

    #[tokio::test]
    async fn documents_are_capped_at_one_mib() {
        let http = orgpass_net::Http::from_client(reqwest::Client::new());
        for chunked in [false, true] {
            let url = serve(vec![b' '; MAX_DOCUMENT_BYTES], chunked).await;
            let doc = get_bytes(&http, &url, "the JWKS").await.unwrap();
            assert_eq!(
                doc.body.len(),
                MAX_DOCUMENT_BYTES,
                "exactly the limit is fine"
            );
            let url = serve(vec![b' '; MAX_DOCUMENT_BYTES + 1], chunked).await;
            let err = get_bytes(&http, &url, "the JWKS").await.unwrap_err();
            assert!(matches!(err, DiscoveryError::TooLarge { .. }), "{err:?}");
            assert_eq!(
                err.to_string(),
                format!(
                    "{url} sent more than 1024 KiB for the JWKS, more than any real one; check the issuer setting"
                )
            );
        }
    }

    #[test]
    fn cache_control_max_age() {
        let rows = [
            ("public, max-age=15, stale-while-revalidate=15", Some(15)),
            ("max-age=600", Some(600)),
            ("Max-Age=\"120\"", Some(120)),
            ("no-store", Some(0)),
            ("public, no-cache", Some(0)),
            ("public", None),
            ("max-age=soon", None),
        ];
        for (value, want) in rows {
            assert_eq!(
                cache_max_age(value),
                want.map(Duration::from_secs),
                "{value}"
            );
        }
    }

    /// A source that serves `docs` in turn (the last one again and again) and counts its calls; a call whose
    /// document is `None` waits until `release` is notified, then serves the next document.
    fn source(
        docs: Vec<Option<Document>>,
        release: Arc<tokio::sync::Notify>,
    ) -> impl JwksSource + 'static {
        let calls = Arc::new(AtomicUsize::new(0));
        move || -> JwksFuture {
            let n = calls.fetch_add(1, Ordering::SeqCst);
            let (docs, release) = (docs.clone(), release.clone());
            Box::pin(async move {
                let pick = |i: usize| docs[i.min(docs.len() - 1)].clone();
                match pick(n) {
                    Some(d) => Ok(d),
                    None => {
                        release.notified().await;
                        Ok(pick(n + 1).expect("a document after the wait"))
                    }
                }
            })
        }
    }

    fn doc(keys: &[&TestKey], max_age: Option<u64>) -> Document {
        Document {
            body: jwks(keys).into_bytes(),
            max_age: max_age.map(Duration::from_secs),
        }
    }

    #[tokio::test]
    async fn max_age_is_honoured_within_bounds() {
        let a = TestKey::a();
        for (max_age, fresh_for) in [
            (Some(120), 120),
            (None, 600),
            (Some(5), 60),
            (Some(86_400), 3600),
        ] {
            let cache = JwksCache::new(source(vec![Some(doc(&[&a], max_age))], Default::default()));
            cache.key(Some("key-a")).await.unwrap().expect("key a");
            cache.age_by(Duration::from_secs(fresh_for - 1));
            cache.key(Some("key-a")).await.unwrap().expect("key a");
            tokio::task::yield_now().await;
            assert_eq!(cache.fetch_count(), 1, "max-age {max_age:?}: still fresh");
            cache.age_by(Duration::from_secs(2));
            cache.key(Some("key-a")).await.unwrap().expect("key a");
            for _ in 0..100 {
                if cache.fetch_count() == 2 {
                    break;
                }
                tokio::task::yield_now().await;
            }
            assert_eq!(
                cache.fetch_count(),
                2,
                "max-age {max_age:?}: refetched once stale"
            );
        }
    }

    #[tokio::test]
    async fn a_removed_key_is_dropped_after_the_max_age_without_blocking_a_verification() {
        let (a, b) = (TestKey::a(), TestKey::b());
        let release = Arc::new(tokio::sync::Notify::new());
        // First the tenant publishes keys a and b; then (after a compromise) only b, and that answer is slow.
        let cache = JwksCache::new(source(
            vec![
                Some(doc(&[&a, &b], Some(600))),
                None,
                Some(doc(&[&b], Some(600))),
            ],
            release.clone(),
        ));
        cache.key(Some("key-a")).await.unwrap().expect("key a");
        cache.age_by(Duration::from_secs(601));
        // Stale: the verification at hand uses the cached keys at once, although the refetch has not answered.
        let started = Instant::now();
        assert!(cache.key(Some("key-a")).await.unwrap().is_some());
        assert!(started.elapsed() < Duration::from_secs(1));
        tokio::task::yield_now().await;
        assert_eq!(cache.fetch_count(), 2, "the background refetch started");
        release.notify_one();
        for _ in 0..100 {
            if cache
                .cached()
                .is_some_and(|s| s.get(Some("key-a"), Alg::Rs256).is_none())
            {
                break;
            }
            tokio::task::yield_now().await;
        }
        // The removed key is gone (one rate-limited unknown-kid refetch confirms it), the kept one stays.
        assert!(cache.key(Some("key-a")).await.unwrap().is_none());
        assert!(cache.key(Some("key-b")).await.unwrap().is_some());
    }

    #[tokio::test]
    async fn keys_past_twice_their_max_age_are_fetched_before_use() {
        let (a, b) = (TestKey::a(), TestKey::b());
        let cache = JwksCache::new(source(
            vec![Some(doc(&[&a, &b], Some(600))), Some(doc(&[&b], Some(600)))],
            Default::default(),
        ));
        cache.key(Some("key-a")).await.unwrap().expect("key a");
        cache.age_by(Duration::from_secs(1201));
        assert!(cache.key(Some("key-a")).await.unwrap().is_none());
        assert_eq!(
            cache.fetch_count(),
            3,
            "refetched before use, then once for the unknown kid"
        );
    }
}
