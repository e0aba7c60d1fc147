//! [`Guard`]: one API's verifier, shared by every request (the configuration, the JWKS cache and the clock),
//! and its [`Guard::verify`], the whole check of one token.

use std::sync::Arc;

use crate::claims::Claims;
use crate::config::{ConfigError, GuardConfig};
use crate::error::GuardError;
use axum::http::{HeaderMap, Method, Uri};
use orgpass_jose::Presented;
use orgpass_jose::dpop::{ProofTarget, check_proof};

use crate::bearer::{Scheme, credentials, dpop_proof};
use crate::config::DpopMode;
use crate::dpop::{MemoryReplay, PROOF_WINDOW, ReplayStore};
use crate::error::JwksError;
use crate::http::default_client;
use crate::jwks::{HttpJwks, JwksCache, JwksSource};
use crate::layer::GuardLayer;
use orgpass_jose::AccessProfile;
use orgpass_jose::memo::Verified;

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
    replay: Arc<dyn ReplayStore>,
    /// Tokens that passed, so one presented again skips its signature (every claim is checked again).
    verified: Verified,
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
        let replay = Arc::new(MemoryReplay::new(clock.clone()));
        let verified = Verified::new(config.remembered_tokens());
        Self(Arc::new(Inner {
            config,
            profile,
            replay,
            jwks,
            verified,
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

    /// How many verified tokens the guard remembers now (diagnostics).
    pub fn remembered_tokens(&self) -> usize {
        self.0.verified.len()
    }

    /// How many times the JWKS has been fetched (diagnostics).
    pub fn jwks_fetches(&self) -> usize {
        self.0.jwks.fetch_count()
    }

    /// Keep the `jti`s of DPoP proofs in `store` (shared by the API's instances) instead of this process's memory.
    /// Call before cloning the guard.
    pub fn with_replay_store(self, store: Arc<dyn ReplayStore>) -> Self {
        let inner = Arc::try_unwrap(self.0).unwrap_or_else(|shared| Inner {
            config: shared.config.clone(),
            profile: shared.profile.clone(),
            jwks: shared.jwks.clone(),
            replay: shared.replay.clone(),
            verified: Verified::new(shared.verified.capacity()),
            clock: shared.clock.clone(),
        });
        Self(Arc::new(Inner {
            replay: store,
            ..inner
        }))
    }

    /// The access-token profile this guard decides with (the token core's; the app's QA view uses the same).
    pub fn profile(&self) -> &AccessProfile {
        &self.0.profile
    }

    /// Verifies one access token with the token core's access-token profile: header (RS256, `typ`), the key by
    /// `kid` from the JWKS cache, the signature, then `iss`, `aud`, `exp`, `nbf`, `iat`, `sub`, `org_id` and the
    /// types of `scope`, `permissions`, `azp`.
    pub async fn verify(&self, token: &str) -> Result<Claims, GuardError> {
        self.verify_presented(token, Presented::Bearer).await
    }

    async fn verify_presented(
        &self,
        token: &str,
        presented: Presented<'_>,
    ) -> Result<Claims, GuardError> {
        let profile = &self.0.profile;
        let jws = profile.parse(token)?;
        let key = self.0.jwks.key(jws.kid(), AccessProfile::ALG).await?;
        let now = (self.0.clock)();
        Ok(Claims::new(profile.check_presented_memo(
            token,
            jws,
            &key,
            now,
            presented,
            &self.0.verified,
        )?))
    }

    /// Verifies a request's credentials: a bearer token (unless the API requires DPoP), or, where the API takes
    /// DPoP, a DPoP-bound token with its proof for this very request (method, external URL and path, the token's
    /// hash), bound to the proof's key, the proof never seen before. Returns the claims and whether the DPoP scheme
    /// was used (a refusal answers in that scheme).
    pub async fn verify_request(
        &self,
        method: &Method,
        uri: &Uri,
        headers: &HeaderMap,
    ) -> (Result<Claims, GuardError>, bool) {
        let mode = self.0.config.dpop();
        let (scheme, token) = match credentials(headers, uri, mode != DpopMode::Off) {
            Ok(c) => c,
            Err(e) => return (Err(e), mode == DpopMode::Required),
        };
        match scheme {
            Scheme::Bearer if mode == DpopMode::Required => (Err(GuardError::DpopRequired), true),
            // A proof with the Bearer scheme is a client that binds its tokens but sends them unbound: refused
            // (as Auth0's own validator does) rather than the proof silently ignored.
            Scheme::Bearer if mode == DpopMode::Allowed && headers.contains_key("dpop") => (
                Err(GuardError::ProofHeader(
                    "it came with the Bearer scheme; send the token with `Authorization: DPoP`",
                )),
                true,
            ),
            Scheme::Bearer => (self.verify(token.secret()).await, false),
            Scheme::Dpop => (
                self.verify_dpop(method, uri, headers, token.secret()).await,
                true,
            ),
        }
    }

    async fn verify_dpop(
        &self,
        method: &Method,
        uri: &Uri,
        headers: &HeaderMap,
        token: &str,
    ) -> Result<Claims, GuardError> {
        let proof = dpop_proof(headers)?;
        let url = self
            .0
            .config
            .request_url(uri.path())
            .ok_or(GuardError::NotGuarded)?;
        let now = (self.0.clock)();
        let target = ProofTarget {
            method: method.as_str(),
            url: &url,
            access_token: Some(token),
            nonce: None,
            now,
            window: PROOF_WINDOW,
        };
        let proof = check_proof(proof, &target)?;
        let claims = self
            .verify_presented(token, Presented::Dpop { jkt: &proof.jkt })
            .await?;
        // Last, so that only proofs that passed everything take room in the store.
        let key = format!("{}.{}", proof.jkt, proof.jti);
        let expires = proof.iat.max(now) + PROOF_WINDOW.as_secs() as i64;
        match self.0.replay.first_use(&key, expires).await {
            Ok(true) => Ok(claims),
            Ok(false) => Err(GuardError::ProofReplayed),
            Err(e) => Err(GuardError::ReplayStore(e)),
        }
    }
}
