//! OpenID Provider discovery and the JWKS cache (keys by `kid`, one rate-limited refetch on an unknown `kid`).

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use jsonwebtoken::DecodingKey;
use serde::Deserialize;
use url::Url;

use crate::config::Issuer;

/// Minimum time between two refetches of the JWKS triggered by unknown `kid`s.
pub const JWKS_REFETCH_INTERVAL: Duration = Duration::from_secs(30);

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
    #[error("could not reach {url}: {source}; check the issuer and your network")]
    Transport { url: String, source: reqwest::Error },
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
    #[error("discovery endpoint {0} is not https (http is only allowed on loopback)")]
    InsecureEndpoint(String),
    #[error("the provider does not support PKCE S256 (code_challenge_methods_supported: {0:?})")]
    NoS256(Vec<String>),
}

impl ProviderMetadata {
    /// Fetch and check the discovery document for `issuer`.
    pub async fn discover(http: &reqwest::Client, issuer: &Issuer) -> Result<Self, DiscoveryError> {
        let url = issuer.discovery_url();
        let body = get_bytes(http, &url).await?;
        let meta: Self = serde_json::from_slice(&body).map_err(|e| DiscoveryError::Parse {
            url: url.to_string(),
            what: "the discovery document",
            reason: e.to_string(),
        })?;
        meta.check(issuer)?;
        Ok(meta)
    }

    /// Check issuer identity and endpoint schemes.
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
        for e in endpoints.into_iter().flatten() {
            let loopback_http =
                e.scheme() == "http" && e.host_str().is_some_and(crate::config::is_loopback_host);
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

pub(crate) async fn get_bytes(
    http: &reqwest::Client,
    url: &Url,
) -> Result<Vec<u8>, DiscoveryError> {
    let transport = |source| DiscoveryError::Transport {
        url: url.to_string(),
        source,
    };
    let resp = http.get(url.clone()).send().await.map_err(transport)?;
    let status = resp.status();
    if !status.is_success() {
        return Err(DiscoveryError::Status {
            url: url.to_string(),
            status: status.as_u16(),
        });
    }
    Ok(resp.bytes().await.map_err(transport)?.to_vec())
}

/// A boxed future returning the raw JWKS document.
pub type JwksFuture = Pin<Box<dyn Future<Output = Result<Vec<u8>, DiscoveryError>> + Send>>;

/// Where the JWKS comes from (HTTP in production, a closure in tests).
pub trait JwksSource: Send + Sync {
    /// Fetch the JWKS document.
    fn fetch(&self) -> JwksFuture;
}

/// Fetch the JWKS over HTTP.
pub struct HttpJwks {
    http: reqwest::Client,
    uri: Url,
}

impl HttpJwks {
    /// A source reading `uri` with `http`.
    pub fn new(http: reqwest::Client, uri: Url) -> Self {
        Self { http, uri }
    }
}

impl JwksSource for HttpJwks {
    fn fetch(&self) -> JwksFuture {
        let (http, uri) = (self.http.clone(), self.uri.clone());
        Box::pin(async move { get_bytes(&http, &uri).await })
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

/// RS256 verification keys from the issuer's JWKS, by `kid`.
#[derive(Default)]
pub struct KeySet {
    keys: HashMap<String, Arc<DecodingKey>>,
    unnamed: Vec<Arc<DecodingKey>>,
}

impl KeySet {
    /// Parse a JWKS document, keeping RSA signature keys usable for RS256.
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
                || s("use").is_some_and(|u| u != "sig")
                || s("alg").is_some_and(|a| a != "RS256")
            {
                continue;
            }
            let (Some(n), Some(e)) = (s("n"), s("e")) else {
                continue;
            };
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

    /// The key for `kid`; without a `kid`, the only key if there is exactly one.
    pub fn get(&self, kid: Option<&str>) -> Option<Arc<DecodingKey>> {
        match kid {
            Some(kid) => self.keys.get(kid).cloned(),
            None if self.keys.len() + self.unnamed.len() == 1 => {
                self.keys.values().chain(&self.unnamed).next().cloned()
            }
            None => None,
        }
    }
}

/// The JWKS cache: filled on first use, kept for the life of the [`crate::Client`],
/// refetched at most once per [`JWKS_REFETCH_INTERVAL`] when a token names an unknown `kid`.
pub struct JwksCache {
    source: Box<dyn JwksSource>,
    keys: RwLock<Option<Arc<KeySet>>>,
    last_refetch: Mutex<Option<Instant>>,
    fetch_lock: tokio::sync::Mutex<()>,
    fetches: std::sync::atomic::AtomicUsize,
}

impl JwksCache {
    /// An empty cache reading from `source`.
    pub fn new(source: impl JwksSource + 'static) -> Self {
        Self {
            source: Box::new(source),
            keys: RwLock::new(None),
            last_refetch: Mutex::new(None),
            fetch_lock: tokio::sync::Mutex::new(()),
            fetches: Default::default(),
        }
    }

    /// The cached key set, if it has been fetched.
    pub fn cached(&self) -> Option<Arc<KeySet>> {
        self.keys.read().expect("jwks lock").clone()
    }

    /// How many times the JWKS has been fetched (for tests and diagnostics).
    pub fn fetch_count(&self) -> usize {
        self.fetches.load(std::sync::atomic::Ordering::SeqCst)
    }

    async fn fetch(&self) -> Result<Arc<KeySet>, DiscoveryError> {
        self.fetches
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let body = self.source.fetch().await?;
        let set = Arc::new(
            KeySet::parse(&body).map_err(|reason| DiscoveryError::Parse {
                url: "jwks_uri".into(),
                what: "the JWKS",
                reason,
            })?,
        );
        *self.keys.write().expect("jwks lock") = Some(set.clone());
        Ok(set)
    }

    /// The key for `kid`: from the cache, else after the first fetch, else after one rate-limited refetch.
    pub async fn key(&self, kid: Option<&str>) -> Result<Option<Arc<DecodingKey>>, DiscoveryError> {
        if let Some(set) = self.cached()
            && let Some(k) = set.get(kid)
        {
            return Ok(Some(k));
        }
        let _guard = self.fetch_lock.lock().await;
        // Someone else may have fetched while we waited.
        let set = match self.cached() {
            None => self.fetch().await?,
            Some(set) => set,
        };
        if let Some(k) = set.get(kid) {
            return Ok(Some(k));
        }
        let allowed = {
            let mut last = self.last_refetch.lock().expect("jwks lock");
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
        Ok(self.fetch().await?.get(kid))
    }
}
