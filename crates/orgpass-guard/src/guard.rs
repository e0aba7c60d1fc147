//! [`Guard`]: one API's verifier, shared by every request (the configuration, each listed issuer's profile and
//! JWKS cache, the tokens already verified, the clock), and its [`Guard::verify`], the whole check of one token.

use std::sync::Arc;

use crate::claims::Claims;
use crate::config::{ConfigError, GuardConfig, Issuer};
use crate::error::GuardError;
use axum::http::{HeaderMap, Method, Uri};
use orgpass_jose::Presented;
use orgpass_jose::dpop::{ProofTarget, check_proof};

use crate::bearer::{Scheme, credentials, dpop_proof};
use crate::config::DpopMode;
use crate::dpop::{MemoryReplay, PROOF_WINDOW, ReplayStore};
use crate::error::{JwksError, shown};
use crate::http::default_client;
use crate::jwks::{HttpJwks, JwksCache, JwksFuture, JwksSource};
use crate::layer::GuardLayer;
use orgpass_jose::AccessProfile;
use orgpass_jose::access::listed_issuer;
use orgpass_jose::memo::Verified;

/// The current time in UNIX seconds (injected so tests pin it), and the system clock: the token core's.
pub use orgpass_jose::{Clock, system_clock};

/// Verifies access tokens for one API. Cheap to clone; make one per API at start-up and put
/// [`Guard::layer`] on its router.
#[derive(Clone)]
pub struct Guard(Arc<Inner>);

struct Inner {
    config: GuardConfig,
    /// Every issuer whose tokens are taken, the main one first, each with its own profile and keys.
    issuers: Vec<Trusted>,
    /// Their `iss` values, in the same order (to choose among them by the token's `iss`).
    names: Vec<String>,
    replay: Arc<dyn ReplayStore>,
    /// Tokens that passed, so one presented again skips its signature (every claim is checked again). One for
    /// every issuer: an entry holds only for the key object it was verified with, and each key object belongs to
    /// one issuer's cache, chosen by the token's own `iss`; the chosen profile checks `iss` again on every use.
    verified: Verified,
    clock: Clock,
}

/// One issuer the API takes tokens of: the profile that checks them (`iss` exactly this issuer) and the cache of
/// this issuer's keys, never another's.
#[derive(Clone)]
struct Trusted {
    profile: AccessProfile,
    jwks: JwksCache,
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

    /// A guard fetching each issuer's keys with `http` (set its proxy, roots and timeouts; do not let it follow
    /// redirects to other hosts: see [`crate::http::same_origin_redirects`]): the main issuer's from the configured
    /// JWKS URL or its discovery, every other listed issuer's from its own discovery.
    pub fn with_http(config: GuardConfig, http: reqwest::Client) -> Self {
        let main = Arc::new(HttpJwks::new(http.clone(), config.clone()));
        let trusted = config
            .issuers()
            .skip(1)
            .map(|issuer| {
                let source = HttpJwks::of_issuer(http.clone(), issuer.clone());
                trust(issuer, source, &config, system_clock())
            })
            .collect();
        Self::build(config, main, trusted, system_clock())
    }

    /// A guard reading the main issuer's JWKS from `source` and the time from `clock` (tests, or keys from
    /// elsewhere). Tokens of the other listed issuers, if any, cannot be checked (503, logged): give every issuer
    /// its source with [`Guard::with_sources`].
    pub fn with_source(
        config: GuardConfig,
        source: impl JwksSource<JwksError>,
        clock: Clock,
    ) -> Self {
        let others = config
            .issuers()
            .skip(1)
            .map(|issuer| trust(issuer, NoSource(issuer.clone()), &config, clock.clone()))
            .collect();
        Self::build(config, source, others, clock)
    }

    /// A guard reading each listed issuer's JWKS (the main one first) from the source `source_for` gives it, and
    /// the time from `clock`.
    pub fn with_sources<S: JwksSource<JwksError>>(
        config: GuardConfig,
        mut source_for: impl FnMut(&Issuer) -> S,
        clock: Clock,
    ) -> Self {
        let main = source_for(config.main_issuer());
        let others = config
            .issuers()
            .skip(1)
            .map(|issuer| trust(issuer, source_for(issuer), &config, clock.clone()))
            .collect();
        Self::build(config, main, others, clock)
    }

    fn build(
        config: GuardConfig,
        main: impl JwksSource<JwksError>,
        others: Vec<Trusted>,
        clock: Clock,
    ) -> Self {
        let mut issuers = vec![trust(config.main_issuer(), main, &config, clock.clone())];
        issuers.extend(others);
        let names = config.issuers().map(|i| i.as_str().to_owned()).collect();
        let replay = Arc::new(MemoryReplay::new(clock.clone()));
        let verified = Verified::new(config.remembered_tokens());
        Self(Arc::new(Inner {
            config,
            issuers,
            names,
            replay,
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

    /// How many times a JWKS has been fetched, every issuer's added up (diagnostics).
    pub fn jwks_fetches(&self) -> usize {
        self.0.issuers.iter().map(|t| t.jwks.fetch_count()).sum()
    }

    /// Waits until no issuer's keys are being renewed in the background: after it, [`Guard::jwks_fetches`] and the
    /// issuer's own count of requests agree (diagnostics).
    pub async fn jwks_settled(&self) {
        for issuer in self.0.issuers.iter() {
            issuer.jwks.settled().await;
        }
    }

    /// Keep the `jti`s of DPoP proofs in `store` (shared by the API's instances) instead of this process's memory.
    /// Call before cloning the guard.
    pub fn with_replay_store(self, store: Arc<dyn ReplayStore>) -> Self {
        let inner = Arc::try_unwrap(self.0).unwrap_or_else(|shared| Inner {
            config: shared.config.clone(),
            issuers: shared.issuers.clone(),
            names: shared.names.clone(),
            replay: shared.replay.clone(),
            verified: Verified::new(shared.verified.capacity()),
            clock: shared.clock.clone(),
        });
        Self(Arc::new(Inner {
            replay: store,
            ..inner
        }))
    }

    /// The access-token profile this guard decides the main issuer's tokens with (the token core's; the app's QA
    /// view uses the same).
    pub fn profile(&self) -> &AccessProfile {
        &self.0.issuers[0].profile
    }

    /// Verifies one access token with the token core's access-token profile: header (RS256, `typ`), the issuer its
    /// `iss` names if the API lists several (an unlisted one refused, nothing fetched), the key by `kid` from that
    /// issuer's JWKS cache, the signature, then `iss`, `aud`, `exp`, `nbf`, `iat`, `sub` and who calls (`gty`, a
    /// machine refused if the API serves people only), `org_id` and the types of `scope`, `permissions`, `azp`.
    pub async fn verify(&self, token: &str) -> Result<Claims, GuardError> {
        self.verify_presented(token, Presented::Bearer).await
    }

    async fn verify_presented(
        &self,
        token: &str,
        presented: Presented<'_>,
    ) -> Result<Claims, GuardError> {
        // The header's checks are the same for every issuer.
        let jws = self.0.issuers[0].profile.parse(token)?;
        let Trusted { profile, jwks } = self.issuer_of(token)?;
        let key = jwks.key(jws.kid(), AccessProfile::ALG).await?;
        let now = (self.0.clock)();
        let claims = Claims::new(profile.check_presented_memo(
            token,
            jws,
            &key,
            now,
            presented,
            &self.0.verified,
        )?);
        // The API's rule on who may call, on claims the token core has checked (as `BoundOrg` and `RequireScope`).
        if self.0.config.people_only()
            && let Some(client) = claims.machine_client_id()
        {
            return Err(GuardError::PeopleOnly(shown(client)));
        }
        Ok(claims)
    }

    /// The issuer to check `token` against: the one issuer, whose profile checks `iss` after the signature; among
    /// several, the one the token's `iss` names, if listed (the token core's [`listed_issuer`]).
    fn issuer_of(&self, token: &str) -> Result<&Trusted, GuardError> {
        match self.0.issuers.as_slice() {
            [only] => Ok(only),
            several => Ok(&several[listed_issuer(token, &self.0.names)?]),
        }
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

/// `issuer`'s profile (this API's audience and leeway) and its own cache of keys from `source`.
fn trust(
    issuer: &Issuer,
    source: impl JwksSource<JwksError>,
    config: &GuardConfig,
    clock: Clock,
) -> Trusted {
    Trusted {
        profile: AccessProfile::new(issuer.as_str(), config.audience(), config.leeway()),
        jwks: crate::jwks::cache(source, config, clock),
    }
}

/// The keys of a listed issuer no source was given for ([`Guard::with_source`]): never had.
struct NoSource(Issuer);

impl JwksSource<JwksError> for NoSource {
    fn fetch(&self) -> JwksFuture<'_> {
        let issuer = self.0.as_str().to_owned();
        Box::pin(async move { Err(JwksError::NoSource(issuer)) })
    }
}
