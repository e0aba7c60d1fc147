//! Where the guard's keys come from: [`HttpJwks`] reads one issuer's JWKS from the configured URL or from its
//! discovery's `jwks_uri`; each issuer the guard lists has its own source and its own cache. The key policy and the cache (bounded `max-age`, renewal in the background, one fetch at a time,
//! back-off and [`STALE_GRACE`] while the issuer fails, a throttled refetch for an unknown `kid`) are the token
//! core's ([`orgpass_jose::JwksCache`]), the same the engine verifies ID tokens with.

use std::sync::{Arc, Mutex};

use url::Url;

use crate::config::{GuardConfig, Issuer, MAX_AGE_BOUNDS};
use crate::error::JwksError;
use crate::guard::Clock;
use crate::http::{Document, discover_issuer_jwks_uri, get_document};

/// How long past their max age the last good keys are still used while the issuer cannot be reached (so an
/// outage of up to an hour is invisible to callers). After that requests are refused with 503: keys the tenant
/// may have revoked are not trusted forever.
pub const STALE_GRACE: std::time::Duration = orgpass_jose::CachePolicy::DEFAULT.grace;

/// The issuer's keys under the one key policy of the token core (see [`orgpass_jose::keys`]): the engine reads its
/// ID tokens' keys with the same rules.
pub use orgpass_jose::KeySet;

/// Where the JWKS document comes from: [`HttpJwks`] in production, a closure in tests.
pub use orgpass_jose::JwksSource;

/// A boxed future returning the raw JWKS document.
pub type JwksFuture<'a> = orgpass_jose::JwksFuture<'a, JwksError>;

/// The token core's JWKS cache, with the guard's errors.
pub type JwksCache = orgpass_jose::JwksCache<JwksError>;

/// The cache for `config`'s timings on `source`, timed by `clock`.
pub(crate) fn cache(
    source: impl JwksSource<JwksError>,
    config: &GuardConfig,
    clock: Clock,
) -> JwksCache {
    let policy = orgpass_jose::CachePolicy {
        default_max_age: config.default_max_age(),
        max_age_bounds: MAX_AGE_BOUNDS,
        refetch_interval: config.refetch_interval(),
        grace: STALE_GRACE,
    };
    JwksCache::with_policy(source, policy, clock)
}

/// One issuer's JWKS over HTTP: from the configured JWKS URL, else from the `jwks_uri` of the issuer's discovery
/// document (read once, and again after a failed JWKS fetch).
pub struct HttpJwks {
    http: reqwest::Client,
    issuer: Issuer,
    jwks_url: Option<Url>,
    discovered: Mutex<Option<Url>>,
}

impl HttpJwks {
    /// The main issuer's keys, from `config`'s JWKS URL if it names one.
    pub fn new(http: reqwest::Client, config: GuardConfig) -> Self {
        Self {
            jwks_url: config.jwks_url().cloned(),
            ..Self::of_issuer(http, config.main_issuer().clone())
        }
    }

    /// `issuer`'s keys, from its discovery document.
    pub fn of_issuer(http: reqwest::Client, issuer: Issuer) -> Self {
        Self {
            http,
            issuer,
            jwks_url: None,
            discovered: Mutex::new(None),
        }
    }

    async fn fetch_document(&self) -> Result<Document, JwksError> {
        if let Some(url) = &self.jwks_url {
            return get_document(&self.http, url, "the JWKS").await;
        }
        let known = self.discovered.lock().expect("jwks uri lock").clone();
        let url = match known {
            Some(url) => url,
            None => {
                let url = discover_issuer_jwks_uri(&self.http, &self.issuer).await?;
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

impl JwksSource<JwksError> for HttpJwks {
    fn fetch(&self) -> JwksFuture<'_> {
        Box::pin(self.fetch_document())
    }
}

impl JwksSource<JwksError> for Arc<HttpJwks> {
    fn fetch(&self) -> JwksFuture<'_> {
        Box::pin(self.fetch_document())
    }
}
