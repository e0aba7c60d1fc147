//! [`Guard`]: one API's verifier, shared by every request (the configuration, the JWKS cache and the clock),
//! and its [`Guard::verify`], the whole check of one token.

use std::sync::Arc;

use crate::claims::Claims;
use crate::config::{ConfigError, GuardConfig};
use crate::error::GuardError;
use crate::error::JwksError;
use crate::http::default_client;
use crate::jwks::{HttpJwks, JwksCache, JwksSource};
use crate::layer::GuardLayer;
use orgpass_jose::AccessProfile;

/// The current time in UNIX seconds (injected so tests pin it), and the system clock: the token core's.
pub use orgpass_jose::{Clock, system_clock};

/// Verifies access tokens for one API. Cheap to clone; make one per API at start-up and put
/// [`Guard::layer`] on its router.
#[derive(Clone)]
pub struct Guard(Arc<Inner>);

struct Inner {
    config: GuardConfig,
    profile: AccessProfile,
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
    pub fn with_source(
        config: GuardConfig,
        source: impl JwksSource<JwksError>,
        clock: Clock,
    ) -> Self {
        let jwks = crate::jwks::cache(source, &config, clock.clone());
        let profile = AccessProfile::new(config.issuer(), config.audience(), config.leeway());
        Self(Arc::new(Inner {
            config,
            profile,
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

    /// The access-token profile this guard decides with (the token core's; the app's QA view uses the same).
    pub fn profile(&self) -> &AccessProfile {
        &self.0.profile
    }

    /// Verifies one access token with the token core's access-token profile: header (RS256, `typ`), the key by
    /// `kid` from the JWKS cache, the signature, then `iss`, `aud`, `exp`, `nbf`, `iat`, `sub`, `org_id` and the
    /// types of `scope`, `permissions`, `azp`.
    pub async fn verify(&self, token: &str) -> Result<Claims, GuardError> {
        let profile = &self.0.profile;
        let jws = profile.parse(token)?;
        let key = self.0.jwks.key(jws.kid(), AccessProfile::ALG).await?;
        Ok(Claims::new(profile.check(jws, &key, (self.0.clock)())?))
    }
}
