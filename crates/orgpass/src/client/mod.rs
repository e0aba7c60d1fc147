//! The engine: discovery, the login state machine (pending → callback → session), refresh and logout.
//!
//! Refresh is single-flight per session, within a process (a tokio mutex per [`SessionKey`]) and across
//! processes (an OS file lock per session key from [`crate::lock`], taken when the store has a lock directory,
//! as the system keychain store does). Under both, the session is read again from the keychain and the refresh is
//! skipped when another caller already refreshed it, so a rotated refresh token is never presented twice (Auth0
//! revokes the whole token family on reuse). The lock wait is bounded ([`DEFAULT_REFRESH_LOCK_WAIT`]).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use oauth2::basic::{
    BasicErrorResponse, BasicErrorResponseType, BasicRevocationErrorResponse,
    BasicTokenIntrospectionResponse, BasicTokenType,
};
use oauth2::{
    AuthType, AuthUrl, AuthorizationCode, ClientId, CsrfToken, EndpointNotSet, EndpointSet,
    ExtraTokenFields, PkceCodeChallenge, PkceCodeVerifier, RedirectUrl, RefreshToken,
    RequestTokenError, Scope, StandardRevocableToken, StandardTokenResponse, TokenResponse,
    TokenUrl,
};
use rand::RngCore;
use serde::{Deserialize, Serialize};
use tokio::sync::{OnceCell, mpsc};
use tokio_util::sync::CancellationToken;
use url::Url;

use crate::Secret;
use crate::clock::{Clock, SystemClock};
use crate::config::Config;
use crate::discovery::{DiscoveryError, HttpJwks, JwksCache, ProviderMetadata};
use crate::listener::{self, Callback, CallbackParams, ListenError, Page};
use crate::lock::{DEFAULT_REFRESH_LOCK_WAIT, LockError, RefreshLock};
use crate::org::OrgInput;
use crate::session::{Session, SessionKey, SessionMeta, SessionStore, StoreError};
use crate::token_http::{self, TokenHttpError};
use crate::verify::{Expected, IdClaims, IdTokenError, IdTokenVerifier, OrgCheck};

mod errors;
mod login;
mod refresh;
mod resources;
use errors::describe_opt;
pub use errors::{ErrorKind, LoginError, TokenError};
pub use login::{CancelHandle, PendingLogin};
pub use resources::{SESSION_TRANSFER_TOKEN_TYPE, SessionTransfer};

/// An access token is refreshed when it expires within this margin.
pub const REFRESH_MARGIN_SECS: i64 = 60;

/// The token endpoint's extra field we need: `id_token`.
#[derive(Clone, Default, Deserialize, Serialize)]
pub struct IdTokenField {
    #[serde(default)]
    id_token: Option<String>,
    /// RFC 8693's `issued_token_type`: a session transfer token says so here (Native to Web SSO).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    issued_token_type: Option<String>,
}

impl std::fmt::Debug for IdTokenField {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("IdTokenField([redacted])")
    }
}

impl ExtraTokenFields for IdTokenField {}

type TokenResp = StandardTokenResponse<IdTokenField, BasicTokenType>;
type OAuthClient = oauth2::Client<
    BasicErrorResponse,
    TokenResp,
    BasicTokenIntrospectionResponse,
    StandardRevocableToken,
    BasicRevocationErrorResponse,
    EndpointSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointSet,
>;

/// What to sign in to, and how.
#[derive(Debug, Clone, Default)]
pub struct LoginRequest {
    /// Organization (ID, name or invitation); `None` signs in without `organization`.
    pub org: Option<OrgInput>,
    /// A work email by which the tenant finds the organization (its verified discovery domain): the sign-in starts
    /// without `organization`, with the address as `login_hint`, and the ID token must name an organization. Not
    /// together with `org` ([`LoginError::OrgAndEmail`]).
    pub email: Option<crate::org::WorkEmail>,
    /// `prompt` (e.g. `login` to force the login page).
    pub prompt: Option<String>,
    /// `login_hint` (pre-fills the e-mail).
    pub login_hint: Option<String>,
    /// `screen_hint` (e.g. `signup`).
    pub screen_hint: Option<String>,
    /// `connection` (route to one connection).
    pub connection: Option<String>,
}

/// A valid access token and what it belongs to.
#[derive(Debug, Clone)]
pub struct AccessToken {
    /// The token (redacted in `Debug`).
    pub token: Secret,
    /// `Bearer`, or `DPoP` for a session bound to this device's key.
    pub token_type: String,
    /// The session's DPoP key (PKCS#8, base64url) when it is bound to this device: the token is useless without a
    /// proof by it, so it goes only where the engine can sign one (`Client::call_api`).
    pub dpop_key: Option<Secret>,
    /// Expiry, UNIX seconds.
    pub expires_at: i64,
    /// The API this token is for (its `aud`); `None` for the sign-in's token without an API audience.
    pub audience: Option<String>,
    /// The session's metadata (after any refresh).
    pub meta: SessionMeta,
    /// Whether a refresh happened for this call.
    pub refreshed: bool,
}

/// Result of a logout.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogoutOutcome {
    /// Whether a session was found and removed from the keychain.
    pub removed: bool,
    /// What happened to the refresh token at the provider.
    pub revocation: Revocation,
}

/// Revocation of the refresh token at logout.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Revocation {
    /// `/oauth/revoke` accepted the refresh token.
    Revoked,
    /// There was no refresh token to revoke.
    NothingToRevoke,
    /// The local session is gone, but the provider could not be told (reason).
    Failed(String),
}

/// Optional injected parts.
#[derive(Default)]
pub struct ClientOptions {
    /// Clock (default: system).
    pub clock: Option<Arc<dyn Clock>>,
    /// HTTP client (default: [`default_http`]); its failures are explained as if no proxy were set.
    pub http: Option<reqwest::Client>,
    /// How long a refresh waits for another process that is refreshing the same session
    /// (default [`DEFAULT_REFRESH_LOCK_WAIT`]).
    pub refresh_lock_wait: Option<Duration>,
}

/// The engine for one issuer and client id. Cheap to clone; caches discovery and JWKS for its lifetime.
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

struct Inner {
    config: Config,
    http: orgpass_net::Http,
    store: Arc<dyn SessionStore>,
    clock: Arc<dyn Clock>,
    metadata: OnceCell<Arc<ProviderMetadata>>,
    jwks: OnceCell<Arc<JwksCache>>,
    refresh_locks: std::sync::Mutex<HashMap<SessionKey, Arc<tokio::sync::Mutex<()>>>>,
    refresh_lock_wait: Duration,
    /// The latest DPoP nonce of each server.
    nonces: Arc<crate::dpop::Nonces>,
}

/// See [`Client::guard`]; released when dropped.
struct SessionGuard {
    // Dropped in declaration order: the file lock first, so a task of this process that takes the in-process
    // lock next finds the file lock free too.
    _across_processes: Option<RefreshLock>,
    _in_process: tokio::sync::OwnedMutexGuard<()>,
}

/// The default HTTP client for `config`: the OS trust store plus `config.ca_file`, the environment's proxies
/// (loopback always direct), no redirects followed, bounded time.
pub fn default_http(config: &Config) -> orgpass_net::Http {
    let advice = match &config.ca_file_locked_by {
        Some(by) => orgpass_net::TrustAdvice::Managed(by.display().to_string()),
        None => orgpass_net::TrustAdvice::User,
    };
    let network = orgpass_net::Network::from_env(config.ca_file.clone()).with_trust_advice(advice);
    let builder = network
        .client_builder()
        .redirect(reqwest::redirect::Policy::none())
        .connect_timeout(Duration::from_secs(10))
        .timeout(Duration::from_secs(30))
        .user_agent(concat!("orgpass/", env!("CARGO_PKG_VERSION")));
    network.http(builder).expect("the TLS backend initialises")
}

impl Client {
    /// A client with the system clock and default HTTP. Discovery happens on first use.
    pub fn new(config: Config, store: Arc<dyn SessionStore>) -> Self {
        Self::with_options(config, store, ClientOptions::default())
    }

    /// A client with injected clock and/or HTTP client.
    pub fn with_options(
        config: Config,
        store: Arc<dyn SessionStore>,
        options: ClientOptions,
    ) -> Self {
        let http = options
            .http
            .map(orgpass_net::Http::from_client)
            .unwrap_or_else(|| default_http(&config));
        Self {
            inner: Arc::new(Inner {
                config,
                http,
                store,
                clock: options.clock.unwrap_or_else(|| Arc::new(SystemClock)),
                metadata: OnceCell::new(),
                jwks: OnceCell::new(),
                refresh_locks: Default::default(),
                refresh_lock_wait: options
                    .refresh_lock_wait
                    .unwrap_or(DEFAULT_REFRESH_LOCK_WAIT),
                nonces: Default::default(),
            }),
        }
    }

    /// The HTTP client every request goes through (no redirects followed).
    pub(crate) fn http(&self) -> &orgpass_net::Http {
        &self.inner.http
    }

    /// The configuration.
    pub fn config(&self) -> &Config {
        &self.inner.config
    }

    /// The session store.
    pub fn store(&self) -> &Arc<dyn SessionStore> {
        &self.inner.store
    }

    /// Discovery metadata (fetched once per client).
    pub async fn metadata(&self) -> Result<Arc<ProviderMetadata>, DiscoveryError> {
        self.inner
            .metadata
            .get_or_try_init(|| async {
                ProviderMetadata::discover(&self.inner.http, &self.inner.config.issuer)
                    .await
                    .map(Arc::new)
            })
            .await
            .cloned()
    }

    /// Now, by the client's clock (UNIX seconds).
    pub(crate) fn now(&self) -> i64 {
        self.inner.clock.now()
    }

    /// The JWKS cache (created after discovery, kept for the client's lifetime).
    pub async fn jwks(&self) -> Result<Arc<JwksCache>, DiscoveryError> {
        let meta = self.metadata().await?;
        Ok(self
            .inner
            .jwks
            .get_or_init(|| async {
                Arc::new(JwksCache::new(HttpJwks::new(
                    self.inner.http.clone(),
                    meta.jwks_uri.clone(),
                )))
            })
            .await
            .clone())
    }

    fn oauth(&self, meta: &ProviderMetadata, redirect: Option<&Url>) -> OAuthClient {
        let c = oauth2::Client::new(ClientId::new(self.inner.config.client_id.clone()))
            .set_auth_type(AuthType::RequestBody)
            .set_auth_uri(AuthUrl::from_url(meta.authorization_endpoint.clone()))
            .set_token_uri(TokenUrl::from_url(meta.token_endpoint.clone()));
        match redirect {
            Some(r) => c.set_redirect_uri(RedirectUrl::from_url(r.clone())),
            None => c,
        }
    }

    /// What a request of a session bound to `key` needs to carry its proofs.
    pub(crate) fn binding(&self, key: Arc<orgpass_jose::DpopKey>) -> crate::dpop::Binding {
        crate::dpop::Binding {
            key,
            nonces: self.inner.nonces.clone(),
        }
    }

    fn verifier(&self, meta: &ProviderMetadata) -> IdTokenVerifier {
        IdTokenVerifier::new(
            meta.issuer.clone(),
            self.inner.config.client_id.clone(),
            self.inner.config.leeway,
        )
    }

    /// Start a sign-in: discover, bind the loopback listener, and build the authorize URL.
    /// Open [`PendingLogin::authorize_url`] in the browser, then [`PendingLogin::wait`].
    pub async fn begin_login(&self, request: LoginRequest) -> Result<PendingLogin, LoginError> {
        check_request(&self.inner.config, &request)?;
        let meta = self.metadata().await?;
        let bound = listener::bind(&self.inner.config.ports).await?;
        let redirect_uri = bound.redirect_uri();
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let nonce = Secret::new(random_token());
        let config = &self.inner.config;
        // A session bound to this device: a key of its own, whose thumbprint binds the code (RFC 9449 §10).
        let dpop = if config.dpop {
            let offered = meta
                .dpop_signing_alg_values_supported
                .as_ref()
                .is_some_and(|algs| algs.iter().any(|a| a == "ES256"));
            if !offered {
                return Err(LoginError::DpopUnsupported);
            }
            Some(Arc::new(
                crate::dpop::generate().map_err(|e| LoginError::Key(e.to_string()))?,
            ))
        } else {
            None
        };
        let oauth = self.oauth(&meta, Some(&redirect_uri));
        let mut auth = oauth
            .authorize_url(CsrfToken::new_random)
            .add_scopes(config.scopes.iter().cloned().map(Scope::new))
            .set_pkce_challenge(challenge)
            .add_extra_param("nonce", nonce.secret().to_owned());
        if let Some(aud) = &config.audience {
            auth = auth.add_extra_param("audience", aud.clone());
        }
        if let Some(key) = &dpop {
            auth = auth.add_extra_param("dpop_jkt", key.thumbprint().to_owned());
        }
        if let Some(org) = &request.org {
            auth = auth.add_extra_param("organization", org.organization_param().to_owned());
            if let Some(inv) = org.invitation() {
                auth = auth.add_extra_param("invitation", inv.to_owned());
            }
        }
        // The work email is the login hint: the tenant's email step starts from it.
        let login_hint = request
            .email
            .as_ref()
            .map(|e| e.as_str().to_owned())
            .or(request.login_hint.clone());
        for (name, value) in [
            ("prompt", &request.prompt),
            ("login_hint", &login_hint),
            ("screen_hint", &request.screen_hint),
            ("connection", &request.connection),
        ] {
            if let Some(v) = value {
                auth = auth.add_extra_param(name, v.clone());
            }
        }
        let (authorize_url, state) = auth.url();
        // What was sent is what the URL carries: its pairs, read once here for whoever shows them.
        let authorize_params = authorize_url
            .query_pairs()
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        let org_check = match request.org.as_ref().map(OrgInput::org) {
            Some(OrgInput::Id(id)) => OrgCheck::Id(id.clone()),
            Some(OrgInput::Name(name)) => OrgCheck::Name(name.clone()),
            Some(OrgInput::Invitation { .. }) => {
                unreachable!("OrgInput::org never returns an invitation")
            }
            // Found by email, or restricted to an allow-list: the token must name its organization.
            None => OrgCheck::Any {
                required: config.require_organization
                    || request.email.is_some()
                    || config.allowed_organizations.is_some(),
            },
        };
        let (tx, rx) = mpsc::channel(1);
        let stop = CancellationToken::new();
        let paste = listener::spawn_server(bound, state.secret().clone(), tx, stop.clone());
        tracing::info!(redirect_uri = %redirect_uri, "waiting for the browser to return to the loopback listener");
        Ok(PendingLogin {
            client: self.clone(),
            meta,
            authorize_url,
            authorize_params,
            dpop,
            redirect_uri,
            cancel: CancellationToken::new(),
            close_on_drop: Some(stop.clone().drop_guard()),
            stop,
            paste,
            rx,
            verifier,
            nonce,
            org_check,
            found_by_email: request.email.is_some(),
            deadline: tokio::time::Instant::now() + config.timeout,
            timeout: config.timeout,
        })
    }

    async fn delete_session(&self, key: &SessionKey) -> Result<bool, StoreError> {
        let store = self.inner.store.clone();
        let key = key.clone();
        tokio::task::spawn_blocking(move || store.delete(&key))
            .await
            .expect("store task")
    }

    /// Sign out: delete the session's keychain entries, then revoke its refresh token at the provider.
    /// The local session is removed even if the provider cannot be reached.
    pub async fn logout(&self, key: &SessionKey) -> Result<LogoutOutcome, StoreError> {
        let guard = self.guard_or_proceed(key).await;
        let store = self.inner.store.clone();
        let k = key.clone();
        let session = tokio::task::spawn_blocking(move || store.load(&k)).await.expect("store task").unwrap_or_else(|e| {
            tracing::warn!(error = %e, "could not read the session before deleting it; its refresh token cannot be revoked");
            None
        });
        let removed = self.delete_session(key).await?;
        drop(guard);
        let revocation =
            match session.and_then(|s| Some((s.refresh_token.clone()?, s.dpop_key.clone()))) {
                None => Revocation::NothingToRevoke,
                Some((rt, key)) => match self.revoke(rt, key.as_ref()).await {
                    Ok(()) => Revocation::Revoked,
                    Err(reason) => Revocation::Failed(reason),
                },
            };
        Ok(LogoutOutcome {
            removed,
            revocation,
        })
    }

    /// RFC 7009 revocation of the refresh token (a plain form POST: the `oauth2` crate refuses `http://`
    /// revocation URLs, which loopback test providers use). A bound session's token goes with a proof by its key
    /// (and the tenant's nonce), through the same exchange as the token requests.
    async fn revoke(&self, refresh_token: Secret, dpop_key: Option<&Secret>) -> Result<(), String> {
        let meta = self.metadata().await.map_err(|e| e.to_string())?;
        let url = meta.revocation_url();
        let binding = crate::dpop::load(dpop_key)?.map(|k| self.binding(Arc::new(k)));
        let form = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("token", refresh_token.secret())
            .append_pair("token_type_hint", "refresh_token")
            .append_pair("client_id", self.inner.config.client_id.as_str())
            .finish();
        let request = oauth2::http::Request::post(url.as_str())
            .header("content-type", "application/x-www-form-urlencoded")
            .header("accept", "application/json")
            .body(form.into_bytes())
            .map_err(|e| e.to_string())?;
        let resp = token_http::client(&self.inner.http, binding)(request)
            .await
            .map_err(|e| format!("the revocation endpoint {url}: {e}"))?;
        let status = resp.status();
        if status.is_success() {
            return Ok(());
        }
        let body: serde_json::Value = serde_json::from_slice(resp.body()).unwrap_or_default();
        let error = body
            .get("error")
            .and_then(|v| v.as_str())
            .unwrap_or("no error code");
        let description = body
            .get("error_description")
            .and_then(|v| v.as_str())
            .map(str::to_owned);
        Err(format!(
            "revocation refused (HTTP {}): {error}{}",
            status.as_u16(),
            describe_opt(&description)
        ))
    }

    /// The URL that ends the browser's SSO session: `end_session_endpoint` (OIDC RP-initiated logout)
    /// when discovery has one, else Auth0's `/v2/logout`. No token is put in the URL.
    pub async fn end_session_url(&self, return_to: Option<&str>) -> Result<Url, DiscoveryError> {
        let meta = self.metadata().await?;
        let client_id = self.inner.config.client_id.as_str();
        Ok(match &meta.end_session_endpoint {
            Some(end) => {
                let mut url = end.clone();
                url.query_pairs_mut().append_pair("client_id", client_id);
                if let Some(r) = return_to {
                    url.query_pairs_mut()
                        .append_pair("post_logout_redirect_uri", r);
                }
                url
            }
            None => {
                let mut url =
                    Url::parse(&format!("{}/v2/logout", meta.issuer.trim_end_matches('/')))
                        .expect("issuer is a URL");
                url.query_pairs_mut().append_pair("client_id", client_id);
                if let Some(r) = return_to {
                    url.query_pairs_mut().append_pair("returnTo", r);
                }
                url
            }
        })
    }
}

/// Refuses, before anything is opened, a request naming the organization twice, or by an ID this device does not
/// allow.
fn check_request(config: &Config, request: &LoginRequest) -> Result<(), LoginError> {
    if request.org.is_some() && request.email.is_some() {
        return Err(LoginError::OrgAndEmail);
    }
    if let Some(id) = request.org.as_ref().and_then(OrgInput::id)
        && !config.allows_organization(id)
    {
        return Err(LoginError::NotAllowed {
            org: id.to_owned(),
            allowed: allowed_list(config),
        });
    }
    Ok(())
}

/// The allow-list for messages.
pub(super) fn allowed_list(config: &Config) -> String {
    config
        .allowed_organizations
        .as_deref()
        .unwrap_or_default()
        .join(", ")
}

fn refused_refresh_outcome(e: &IdTokenError) -> &'static str {
    match e {
        IdTokenError::Jwks(_) => "the session is kept, try again when the issuer can be reached",
        _ => "the session was removed, sign in again",
    }
}

fn describe_key(key: &SessionKey) -> String {
    match &key.org_id {
        Some(org) => format!("organization {org} at {}", key.issuer),
        None => format!("{} (no organization)", key.issuer),
    }
}

fn access(s: Session, refreshed: bool) -> AccessToken {
    AccessToken {
        token: s.access_token.clone(),
        token_type: s.token_type.clone(),
        dpop_key: s.dpop_key.clone(),
        expires_at: s.meta.expires_at,
        audience: s.meta.audience.clone(),
        meta: s.meta.clone(),
        refreshed,
    }
}

fn update_meta(meta: &mut SessionMeta, claims: &IdClaims) {
    meta.org_name = claims.org_name.clone().or(meta.org_name.take());
    meta.email = claims.email.clone().or(meta.email.take());
    meta.name = claims.name.clone().or(meta.name.take());
    meta.picture = claims.picture.clone().or(meta.picture.take());
}

fn expiry(resp: &TokenResp, now: i64, fallback: i64) -> i64 {
    resp.expires_in()
        .map(|d| now + d.as_secs() as i64)
        .unwrap_or(fallback)
}

fn token_type(resp: &TokenResp) -> String {
    match resp.token_type() {
        BasicTokenType::Bearer => "Bearer".into(),
        BasicTokenType::Mac => "MAC".into(),
        BasicTokenType::Extension(e) => e.clone(),
    }
}

/// A transport error with its chain of causes, for messages.
pub(crate) fn transport_reason<E: std::error::Error>(e: &E) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        out.push_str(": ");
        out.push_str(&s.to_string());
        source = s.source();
    }
    out
}

fn random_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 7636 Appendix B's verifier and S256 challenge, through the calls `begin_login` makes its pair with.
    #[test]
    fn pkce_s256_matches_rfc_7636_appendix_b() {
        let verifier =
            PkceCodeVerifier::new("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk".to_owned());
        let challenge = PkceCodeChallenge::from_code_verifier_sha256(&verifier);
        assert_eq!(
            challenge.as_str(),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
        assert_eq!(challenge.method().as_str(), "S256");
        let (random, verifier) = PkceCodeChallenge::new_random_sha256();
        assert_eq!(
            random.as_str(),
            PkceCodeChallenge::from_code_verifier_sha256(&verifier).as_str()
        );
    }
}
