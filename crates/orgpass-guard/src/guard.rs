//! [`Guard`]: one API's verifier, shared by every request (the configuration, the JWKS cache and the clock),
//! and its [`Guard::verify`], the whole check of one token.

use std::sync::Arc;

use crate::claims::Claims;
use crate::config::{ConfigError, GuardConfig};
use crate::error::GuardError;
use crate::http::default_client;
use crate::jwks::{HttpJwks, JwksCache, JwksSource};
use crate::layer::GuardLayer;
use crate::verify::{Jws, check_claims};

/// The current time in UNIX seconds (injected so tests pin it).
pub type Clock = Arc<dyn Fn() -> i64 + Send + Sync>;

/// The system clock.
pub fn system_clock() -> Clock {
    Arc::new(|| {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs() as i64)
    })
}

/// Verifies access tokens for one API. Cheap to clone; make one per API at start-up and put
/// [`Guard::layer`] on its router.
#[derive(Clone)]
pub struct Guard(Arc<Inner>);

struct Inner {
    config: GuardConfig,
    jwks: JwksCache,
    clock: Clock,
}

impl std::fmt::Debug for Guard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Guard")
            .field("issuer", &self.0.config.issuer())
            .field("audience", &self.0.config.audience())
            .finish_non_exhaustive()
    }
}

impl Guard {
    /// A guard fetching the issuer's keys over HTTP with the [default client](crate::http::default_client).
    pub fn new(config: GuardConfig) -> Result<Self, ConfigError> {
        let http = default_client(&config)?;
        Ok(Self::with_http(config, http))
    }

    /// A guard fetching the issuer's keys with `http` (set its proxy, roots and timeouts; do not let it follow
    /// redirects to other hosts: see [`crate::http::same_origin_redirects`]).
    pub fn with_http(config: GuardConfig, http: reqwest::Client) -> Self {
        let source = Arc::new(HttpJwks::new(http, config.clone()));
        Self::with_source(config, source, system_clock())
    }

    /// A guard reading the JWKS from `source` and the time from `clock` (tests, or keys from elsewhere).
    pub fn with_source(config: GuardConfig, source: Arc<dyn JwksSource>, clock: Clock) -> Self {
        let jwks = JwksCache::new(source, &config, clock.clone());
        Self(Arc::new(Inner {
            config,
            jwks,
            clock,
        }))
    }

    pub fn config(&self) -> &GuardConfig {
        &self.0.config
    }

    /// The tower layer that verifies the bearer token of every request before the inner service sees it.
    pub fn layer(&self) -> GuardLayer {
        GuardLayer::new(self.clone())
    }

    /// How many times the JWKS has been fetched (diagnostics).
    pub fn jwks_fetches(&self) -> usize {
        self.0.jwks.fetch_count()
    }

    /// Verifies one access token: header (RS256, `typ`), the key by `kid` from our JWKS cache, the signature,
    /// then `iss`, `aud`, `exp`, `nbf`, `iat`, `sub`, `org_id` and the types of `scope`, `permissions`, `azp`.
    pub async fn verify(&self, token: &str) -> Result<Claims, GuardError> {
        let jws = Jws::parse(token)?;
        let key = self.0.jwks.key(jws.kid()).await?;
        let all = jws.verify_signature(&key)?;
        check_claims(&self.0.config, all, (self.0.clock)())
    }
}
