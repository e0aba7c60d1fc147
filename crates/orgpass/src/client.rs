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

use crate::clock::{Clock, SystemClock};
use crate::config::Config;
use crate::discovery::{DiscoveryError, HttpJwks, JwksCache, ProviderMetadata};
use crate::listener::{self, Callback, CallbackParams, ListenError, Page};
use crate::lock::{DEFAULT_REFRESH_LOCK_WAIT, LockError, RefreshLock};
use crate::org::OrgInput;
use crate::secret::Secret;
use crate::session::{Session, SessionKey, SessionMeta, SessionStore, StoreError};
use crate::token_http::{self, TokenHttpError};
use crate::verify::{Expected, IdClaims, IdTokenError, IdTokenVerifier, OrgCheck};

/// An access token is refreshed when it expires within this margin.
pub const REFRESH_MARGIN_SECS: i64 = 60;

/// The token endpoint's extra field we need: `id_token`.
#[derive(Clone, Default, Deserialize, Serialize)]
pub struct IdTokenField {
    #[serde(default)]
    id_token: Option<String>,
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

/// How an error should be reported (the CLI maps these to exit codes 2, 3, 4, 4, 1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// Bad usage or bad input; nothing was opened.
    Usage,
    /// The IdP refused, or a check of its response failed; nothing was stored.
    Refused,
    /// The flow timed out.
    TimedOut,
    /// The flow was cancelled.
    Cancelled,
    /// Anything else (network, keychain, …).
    Other,
}

/// Why a sign-in failed.
#[derive(Debug, thiserror::Error)]
pub enum LoginError {
    #[error(transparent)]
    Discovery(#[from] DiscoveryError),
    #[error(transparent)]
    Listen(#[from] ListenError),
    #[error("sign-in refused by the identity provider: {error}{}", describe_opt(.description))]
    Idp {
        error: String,
        description: Option<String>,
    },
    #[error(
        "authorization response rejected: iss is {got}, expected {want} (RFC 9207 mix-up protection)"
    )]
    IssMismatch { got: String, want: String },
    #[error(
        "authorization response rejected: iss is missing, but the provider says it always sends it (RFC 9207)"
    )]
    IssMissing,
    #[error("authorization response rejected: it has neither a code nor an error")]
    MissingCode,
    #[error("token request refused: {error}{}", describe_opt(.description))]
    TokenEndpoint {
        error: String,
        description: Option<String>,
    },
    #[error("token response rejected: it contains no id_token (is `openid` in the scope?)")]
    NoIdToken,
    #[error("token response rejected: {0}")]
    BadResponse(String),
    #[error(transparent)]
    IdToken(#[from] IdTokenError),
    #[error("could not reach the token endpoint: {0}; check your network")]
    Transport(String),
    /// The token endpoint answered an error that is not an OAuth error (a 5xx page).
    #[error(
        "the token endpoint could not complete the sign-in: {0}; the tenant (or a proxy in front of it) \
             is failing, try again in a few minutes"
    )]
    ServerFailed(String),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("sign-in timed out after {} s without a response from the browser; run the command again", .0.as_secs())]
    TimedOut(Duration),
    #[error("sign-in cancelled")]
    Cancelled,
}

fn describe_opt(d: &Option<String>) -> String {
    d.as_deref().map(|d| format!(" ({d})")).unwrap_or_default()
}

impl LoginError {
    /// Classify for exit codes and UI.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Self::IdToken(IdTokenError::Jwks(_)) => ErrorKind::Other,
            Self::Idp { .. }
            | Self::IssMismatch { .. }
            | Self::IssMissing
            | Self::MissingCode
            | Self::TokenEndpoint { .. }
            | Self::NoIdToken
            | Self::BadResponse(_)
            | Self::IdToken(_) => ErrorKind::Refused,
            Self::TimedOut(_) => ErrorKind::TimedOut,
            Self::Cancelled => ErrorKind::Cancelled,
            Self::Discovery(_)
            | Self::Listen(_)
            | Self::Transport(_)
            | Self::ServerFailed(_)
            | Self::Store(_) => ErrorKind::Other,
        }
    }

    /// Why the identity provider refused, for an error in the authorization response (see [`IdpRefusal`]).
    pub fn idp_refusal(&self) -> Option<crate::IdpRefusal> {
        match self {
            Self::Idp { error, description } => Some(crate::IdpRefusal::classify(
                error,
                description.as_deref().unwrap_or(""),
            )),
            _ => None,
        }
    }
}

/// Why `token()` could not return an access token.
#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    #[error("no session for {0}; run `orgpass login` first")]
    NoSession(String),
    #[error("the session has expired and has no refresh token; sign in again")]
    NotRefreshable,
    #[error("the session has ended ({reason}); it was removed, sign in again")]
    SignInAgain { reason: String },
    #[error("refresh refused: {error}{}", describe_opt(.description))]
    TokenEndpoint {
        error: String,
        description: Option<String>,
    },
    #[error("refresh response rejected: {0}")]
    BadResponse(String),
    /// The refreshed ID token could not be accepted. A failed check ends the session (removed); only when the
    /// issuer's keys could not be fetched ([`IdTokenError::Jwks`]) is the session kept, with its rotated refresh
    /// token, for a later try.
    #[error("refreshed {}; {}", .0, refused_refresh_outcome(.0))]
    IdToken(IdTokenError),
    #[error("could not reach the token endpoint: {0}; check your network")]
    Transport(String),
    /// The token endpoint answered an error that is not an OAuth error (a 5xx page); the session is kept.
    #[error(
        "the token endpoint could not renew the session: {0}; the tenant (or a proxy in front of it) \
             is failing, try again in a few minutes"
    )]
    ServerFailed(String),
    #[error("session {0} belongs to another issuer or client than this configuration")]
    WrongClient(String),
    #[error(transparent)]
    Discovery(#[from] DiscoveryError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Lock(#[from] LockError),
}

impl TokenError {
    /// Classify for exit codes and UI.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Self::IdToken(IdTokenError::Jwks(_)) => ErrorKind::Other,
            Self::SignInAgain { .. }
            | Self::NotRefreshable
            | Self::TokenEndpoint { .. }
            | Self::BadResponse(_)
            | Self::IdToken(_) => ErrorKind::Refused,
            Self::WrongClient(_) => ErrorKind::Usage,
            Self::NoSession(_)
            | Self::Transport(_)
            | Self::ServerFailed(_)
            | Self::Discovery(_)
            | Self::Store(_)
            | Self::Lock(_) => ErrorKind::Other,
        }
    }
}

/// What to sign in to, and how.
#[derive(Debug, Clone, Default)]
pub struct LoginRequest {
    /// Organization (ID, name or invitation); `None` signs in without `organization`.
    pub org: Option<OrgInput>,
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
    /// `Bearer` normally.
    pub token_type: String,
    /// Expiry, UNIX seconds.
    pub expires_at: i64,
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
    /// HTTP client (default: rustls, no redirects, 30 s timeout).
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
    http: reqwest::Client,
    store: Arc<dyn SessionStore>,
    clock: Arc<dyn Clock>,
    metadata: OnceCell<Arc<ProviderMetadata>>,
    jwks: OnceCell<Arc<JwksCache>>,
    refresh_locks: std::sync::Mutex<HashMap<SessionKey, Arc<tokio::sync::Mutex<()>>>>,
    refresh_lock_wait: Duration,
}

/// See [`Client::guard`]; released when dropped.
struct SessionGuard {
    // Dropped in declaration order: the file lock first, so a task of this process that takes the in-process
    // lock next finds the file lock free too.
    _across_processes: Option<RefreshLock>,
    _in_process: tokio::sync::OwnedMutexGuard<()>,
}

/// The default HTTP client: rustls, no redirects followed, bounded time.
pub fn default_http() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .connect_timeout(Duration::from_secs(10))
        .timeout(Duration::from_secs(30))
        .user_agent(concat!("orgpass/", env!("CARGO_PKG_VERSION")))
        .build()
        .expect("the TLS backend initialises")
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
        Self {
            inner: Arc::new(Inner {
                config,
                http: options.http.unwrap_or_else(default_http),
                store,
                clock: options.clock.unwrap_or_else(|| Arc::new(SystemClock)),
                metadata: OnceCell::new(),
                jwks: OnceCell::new(),
                refresh_locks: Default::default(),
                refresh_lock_wait: options
                    .refresh_lock_wait
                    .unwrap_or(DEFAULT_REFRESH_LOCK_WAIT),
            }),
        }
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
        let meta = self.metadata().await?;
        let bound = listener::bind(&self.inner.config.ports).await?;
        let redirect_uri = bound.redirect_uri();
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let nonce = Secret::new(random_token());
        let config = &self.inner.config;
        let oauth = self.oauth(&meta, Some(&redirect_uri));
        let mut auth = oauth
            .authorize_url(CsrfToken::new_random)
            .add_scopes(config.scopes.iter().cloned().map(Scope::new))
            .set_pkce_challenge(challenge)
            .add_extra_param("nonce", nonce.secret().to_owned());
        if let Some(aud) = &config.audience {
            auth = auth.add_extra_param("audience", aud.clone());
        }
        if let Some(org) = &request.org {
            auth = auth.add_extra_param("organization", org.organization_param().to_owned());
            if let Some(inv) = org.invitation() {
                auth = auth.add_extra_param("invitation", inv.to_owned());
            }
        }
        for (name, value) in [
            ("prompt", &request.prompt),
            ("login_hint", &request.login_hint),
            ("screen_hint", &request.screen_hint),
            ("connection", &request.connection),
        ] {
            if let Some(v) = value {
                auth = auth.add_extra_param(name, v.clone());
            }
        }
        let (authorize_url, state) = auth.url();
        let org_check = match request.org.as_ref().map(OrgInput::org) {
            Some(OrgInput::Id(id)) => OrgCheck::Id(id.clone()),
            Some(OrgInput::Name(name)) => OrgCheck::Name(name.clone()),
            Some(OrgInput::Invitation { .. }) => {
                unreachable!("OrgInput::org never returns an invitation")
            }
            None => OrgCheck::Any {
                required: config.require_organization,
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
            redirect_uri,
            cancel: CancellationToken::new(),
            close_on_drop: Some(stop.clone().drop_guard()),
            stop,
            paste,
            rx,
            verifier,
            nonce,
            org_check,
            deadline: tokio::time::Instant::now() + config.timeout,
            timeout: config.timeout,
        })
    }

    /// A valid access token for the session, refreshing it when it expires within a minute.
    pub async fn token(&self, key: &SessionKey) -> Result<AccessToken, TokenError> {
        self.token_with(key, false).await
    }

    /// Like [`Client::token`]; `force_refresh` refreshes even if the access token is still valid.
    /// Only one refresh per session runs at a time, in this process and across processes sharing the store's
    /// lock directory; callers that waited get the refreshed token from the keychain.
    pub async fn token_with(
        &self,
        key: &SessionKey,
        force_refresh: bool,
    ) -> Result<AccessToken, TokenError> {
        if !self.inner.config.issuer.matches(&key.issuer)
            || key.client_id != self.inner.config.client_id
        {
            return Err(TokenError::WrongClient(key.account()));
        }
        let session = self.load(key).await?;
        if !force_refresh && self.is_fresh(&session) {
            return Ok(access(session, false));
        }
        // Held until the rotated tokens are saved.
        let _guard = self.guard(key).await?;
        // Another caller or process may have refreshed while we waited: use its result instead of spending the
        // (rotated, single-use) refresh token again.
        let current = self.load(key).await?;
        let rotated_meanwhile = current.refresh_token.as_ref().map(Secret::secret)
            != session.refresh_token.as_ref().map(Secret::secret);
        if self.is_fresh(&current) && (!force_refresh || rotated_meanwhile) {
            return Ok(access(current, false));
        }
        self.refresh(current).await
    }

    /// Exclusive use of a session's keychain entries: this process's single flight, then the lock shared with
    /// other processes (the CLI run by git and by a script, the app). Refresh, sign-in and sign-out all take it,
    /// so a refresh can neither bring back a session signed out meanwhile nor overwrite a newer sign-in.
    async fn guard(&self, key: &SessionKey) -> Result<SessionGuard, LockError> {
        let lock = {
            let mut locks = self.inner.refresh_locks.lock().expect("refresh locks");
            locks.entry(key.clone()).or_default().clone()
        };
        let in_process = lock.lock_owned().await;
        let across_processes = match self.inner.store.lock_dir() {
            Some(dir) => Some(
                RefreshLock::acquire(
                    &crate::lock::lock_path(&dir, key),
                    self.inner.refresh_lock_wait,
                )
                .await?,
            ),
            None => None,
        };
        Ok(SessionGuard {
            _in_process: in_process,
            _across_processes: across_processes,
        })
    }

    /// [`Client::guard`] for changes that must happen anyway (sign-in, sign-out): if another process holds the
    /// lock past the wait, go ahead without it rather than fail.
    async fn guard_or_proceed(&self, key: &SessionKey) -> Option<SessionGuard> {
        match self.guard(key).await {
            Ok(g) => Some(g),
            Err(e) => {
                tracing::warn!(error = %e, "going ahead without the session lock");
                None
            }
        }
    }

    fn is_fresh(&self, s: &Session) -> bool {
        s.meta.expires_at - self.inner.clock.now() > REFRESH_MARGIN_SECS
    }

    async fn load(&self, key: &SessionKey) -> Result<Session, TokenError> {
        let store = self.inner.store.clone();
        let k = key.clone();
        let loaded = tokio::task::spawn_blocking(move || store.load(&k))
            .await
            .expect("store task")?;
        loaded.ok_or_else(|| TokenError::NoSession(describe_key(key)))
    }

    async fn refresh(&self, session: Session) -> Result<AccessToken, TokenError> {
        let Some(refresh_token) = session.refresh_token.clone() else {
            return Err(TokenError::NotRefreshable);
        };
        let meta = self.metadata().await?;
        let rt = RefreshToken::new(refresh_token.secret().to_owned());
        let result = self
            .oauth(&meta, None)
            .exchange_refresh_token(&rt)
            .request_async(&token_http::client(&self.inner.http))
            .await;
        let resp = match result {
            Ok(r) => r,
            Err(RequestTokenError::ServerResponse(e))
                if *e.error() == BasicErrorResponseType::InvalidGrant =>
            {
                tracing::info!("refresh token rejected (invalid_grant); removing the session");
                self.delete_session(&session.meta.key).await?;
                let reason = e
                    .error_description()
                    .cloned()
                    .unwrap_or_else(|| "the refresh token is no longer valid".into());
                return Err(TokenError::SignInAgain { reason });
            }
            Err(RequestTokenError::ServerResponse(e)) => {
                return Err(TokenError::TokenEndpoint {
                    error: e.error().to_string(),
                    description: e.error_description().cloned(),
                });
            }
            Err(RequestTokenError::Request(e @ TokenHttpError::ServerFailed { .. })) => {
                return Err(TokenError::ServerFailed(e.to_string()));
            }
            Err(RequestTokenError::Request(e)) => {
                return Err(TokenError::Transport(transport_reason(&e)));
            }
            Err(RequestTokenError::Parse(e, _body)) => {
                return Err(TokenError::BadResponse(format!(
                    "unparseable response at {}",
                    e.path()
                )));
            }
            Err(RequestTokenError::Other(m)) => return Err(TokenError::BadResponse(m)),
        };
        let now = self.inner.clock.now();
        let mut new_meta = session.meta.clone();
        let id_token = match &resp.extra_fields().id_token {
            Some(id) => {
                let expected = Expected {
                    nonce: None,
                    org: OrgCheck::Same(session.meta.key.org_id.clone()),
                    sub: Some(&session.meta.sub),
                };
                let verified = match self.jwks().await {
                    Ok(jwks) => self.verifier(&meta).verify(id, &expected, &jwks, now).await,
                    Err(e) => Err(IdTokenError::Jwks(e.to_string())),
                };
                let claims = match verified {
                    Ok(claims) => claims,
                    Err(e @ IdTokenError::Jwks(_)) => {
                        return Err(self.unverified_refresh(session, &resp, e).await);
                    }
                    Err(e) => return Err(self.refused_refresh(&session, &resp, e).await),
                };
                update_meta(&mut new_meta, &claims);
                Secret::new(id.clone())
            }
            None => session.id_token.clone(),
        };
        let refresh_token = resp
            .refresh_token()
            .map(|r| Secret::new(r.secret().clone()))
            .or(Some(refresh_token));
        new_meta.expires_at = expiry(&resp, now, new_meta.expires_at);
        new_meta.refreshable = refresh_token.is_some();
        new_meta.refreshed_at = Some(now);
        let refreshed = Session {
            meta: new_meta,
            access_token: Secret::new(resp.access_token().secret().clone()),
            refresh_token,
            id_token,
            scope: resp
                .scopes()
                .map(|s| s.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(" "))
                .or(session.scope.clone()),
            token_type: token_type(&resp),
        };
        // The rotated refresh token is saved before the new access token is handed out.
        let store = self.inner.store.clone();
        let to_save = refreshed.clone();
        tokio::task::spawn_blocking(move || store.save(&to_save))
            .await
            .expect("store task")?;
        Ok(access(refreshed, true))
    }

    /// The refreshed ID token failed a check (another `sub` or `org_id`, a bad signature, …). The stored refresh
    /// token has been spent (rotation), and the new tokens are not trusted: the session is removed, and the new
    /// refresh token is revoked at the provider so no usable credential is left behind.
    async fn refused_refresh(
        &self,
        session: &Session,
        resp: &TokenResp,
        error: IdTokenError,
    ) -> TokenError {
        tracing::warn!(error = %error, "refreshed ID token rejected; removing the session");
        if let Err(e) = self.delete_session(&session.meta.key).await {
            tracing::warn!(error = %e, "could not remove the session after a rejected refresh");
        }
        if let Some(rt) = resp.refresh_token()
            && let Err(reason) = self.revoke(Secret::new(rt.secret().clone())).await
        {
            tracing::warn!(%reason, "could not revoke the refresh token of the rejected refresh");
        }
        TokenError::IdToken(error)
    }

    /// The refreshed ID token could not be checked because the issuer's keys could not be fetched. The new tokens
    /// are not used, but the rotated refresh token is kept in place of the spent one (the old session otherwise),
    /// so a later try can refresh again instead of presenting a rotated token (which would end the session).
    async fn unverified_refresh(
        &self,
        mut session: Session,
        resp: &TokenResp,
        error: IdTokenError,
    ) -> TokenError {
        tracing::warn!(error = %error, "could not check the refreshed ID token; keeping the session for a later try");
        if let Some(rt) = resp.refresh_token() {
            session.refresh_token = Some(Secret::new(rt.secret().clone()));
            session.meta.refreshed_at = Some(self.inner.clock.now());
            let store = self.inner.store.clone();
            let saved = tokio::task::spawn_blocking(move || store.save(&session))
                .await
                .expect("store task");
            if let Err(e) = saved {
                tracing::warn!(error = %e, "could not save the rotated refresh token");
            }
        }
        TokenError::IdToken(error)
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
        let revocation = match session.and_then(|s| s.refresh_token.clone()) {
            None => Revocation::NothingToRevoke,
            Some(rt) => match self.revoke(rt).await {
                Ok(()) => Revocation::Revoked,
                Err(reason) => Revocation::Failed(reason),
            },
        };
        Ok(LogoutOutcome {
            removed,
            revocation,
        })
    }

    /// RFC 7009 revocation of the refresh token (a plain form POST: the `oauth2` crate refuses
    /// `http://` revocation URLs, which loopback test providers use).
    async fn revoke(&self, refresh_token: Secret) -> Result<(), String> {
        let meta = self.metadata().await.map_err(|e| e.to_string())?;
        let url = meta.revocation_url();
        let form = [
            ("token", refresh_token.secret()),
            ("token_type_hint", "refresh_token"),
            ("client_id", self.inner.config.client_id.as_str()),
        ];
        let resp = self
            .inner
            .http
            .post(url.clone())
            .form(&form)
            .send()
            .await
            .map_err(|e| {
                format!(
                    "could not reach the revocation endpoint {url}: {}",
                    transport_reason(&e)
                )
            })?;
        let status = resp.status();
        if status.is_success() {
            return Ok(());
        }
        let body: serde_json::Value = resp.json().await.unwrap_or_default();
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
        expires_at: s.meta.expires_at,
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

fn transport_reason<E: std::error::Error>(e: &E) -> String {
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

/// A sign-in waiting for the browser. Consumed by [`PendingLogin::wait`].
pub struct PendingLogin {
    client: Client,
    meta: Arc<ProviderMetadata>,
    authorize_url: Url,
    redirect_uri: Url,
    cancel: CancellationToken,
    stop: CancellationToken,
    /// Stops the loopback listener when this sign-in is dropped without [`PendingLogin::wait`] (or when the
    /// `wait` future is dropped): the port is never held after the sign-in is gone. `wait` takes it out first.
    close_on_drop: Option<tokio_util::sync::DropGuard>,
    paste: listener::PasteHandle,
    rx: mpsc::Receiver<Callback>,
    verifier: PkceCodeVerifier,
    nonce: Secret,
    org_check: OrgCheck,
    deadline: tokio::time::Instant,
    timeout: Duration,
}

/// Cancels a pending sign-in from elsewhere (a UI button, Ctrl-C).
#[derive(Debug, Clone)]
pub struct CancelHandle(CancellationToken);

impl CancelHandle {
    /// Cancel; `wait` returns [`LoginError::Cancelled`].
    pub fn cancel(&self) {
        self.0.cancel();
    }
}

impl std::fmt::Debug for PendingLogin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PendingLogin")
            .field("redirect_uri", &self.redirect_uri.as_str())
            .finish_non_exhaustive()
    }
}

/// The callback arrived with our state and a code: next is the token exchange. Consumed by `exchange`.
struct CallbackReceived {
    client: Client,
    meta: Arc<ProviderMetadata>,
    redirect_uri: Url,
    code: Secret,
    verifier: PkceCodeVerifier,
    nonce: Secret,
    org_check: OrgCheck,
}

impl PendingLogin {
    /// The URL to open in the system browser.
    pub fn authorize_url(&self) -> &Url {
        &self.authorize_url
    }

    /// `http://127.0.0.1:PORT/callback`.
    pub fn redirect_uri(&self) -> &Url {
        &self.redirect_uri
    }

    /// A handle that cancels this sign-in.
    pub fn cancel_handle(&self) -> CancelHandle {
        CancelHandle(self.cancel.clone())
    }

    /// A handle that completes this sign-in with the address the browser ended on, pasted by a person whose
    /// browser could not reach this machine's loopback listener (SSH, a container). It is checked exactly as a
    /// request to the listener is; the first good one counts, whichever way it came.
    pub fn paste_handle(&self) -> listener::PasteHandle {
        self.paste.clone()
    }

    /// Wait for the browser to come back, then exchange the code, verify the ID token and store the session.
    pub async fn wait(mut self) -> Result<Session, LoginError> {
        // Held until the browser has its page (below); also closes the listener if this future is dropped.
        let _close = self.close_on_drop.take();
        let callback = tokio::select! {
            () = self.cancel.cancelled() => Err(LoginError::Cancelled),
            () = tokio::time::sleep_until(self.deadline) => Err(LoginError::TimedOut(self.timeout)),
            cb = self.rx.recv() => cb.ok_or(LoginError::Cancelled),
        };
        let callback = match callback {
            Ok(cb) => cb,
            Err(e) => {
                self.stop.cancel();
                return Err(e);
            }
        };
        let Callback { params, reply } = callback;
        let stop = self.stop.clone();
        let cancel = self.cancel.clone();
        let result = tokio::select! {
            r = self.receive(params) => r,
            () = cancel.cancelled() => Err(LoginError::Cancelled),
        };
        let page = match &result {
            Ok(s) => Page {
                ok: true,
                title: "Signed in".into(),
                detail: format!(
                    "Signed in as {} to {}.",
                    s.meta
                        .email
                        .as_deref()
                        .or(s.meta.name.as_deref())
                        .unwrap_or(&s.meta.sub),
                    s.meta
                        .org_name
                        .as_deref()
                        .or(s.meta.key.org_id.as_deref())
                        .map(|o| format!("organization {o}"))
                        .unwrap_or_else(|| "your account".into())
                ),
            },
            Err(e) => Page {
                ok: false,
                title: "Sign-in failed".into(),
                detail: e.to_string(),
            },
        };
        listener::respond_to(reply, page).await;
        stop.cancel();
        result
    }

    async fn receive(self, params: CallbackParams) -> Result<Session, LoginError> {
        // RFC 9207: `iss` must match when present, and is required when the provider advertises it.
        match (
            &params.iss,
            self.meta.authorization_response_iss_parameter_supported,
        ) {
            (Some(iss), _) if *iss != self.meta.issuer => {
                return Err(LoginError::IssMismatch {
                    got: iss.clone(),
                    want: self.meta.issuer.clone(),
                });
            }
            (None, true) => return Err(LoginError::IssMissing),
            _ => {}
        }
        if let Some(error) = params.error {
            return Err(LoginError::Idp {
                error,
                description: params.error_description,
            });
        }
        let Some(code) = params.code else {
            return Err(LoginError::MissingCode);
        };
        CallbackReceived {
            client: self.client,
            meta: self.meta,
            redirect_uri: self.redirect_uri,
            code,
            verifier: self.verifier,
            nonce: self.nonce,
            org_check: self.org_check,
        }
        .exchange()
        .await
    }
}

impl CallbackReceived {
    async fn exchange(self) -> Result<Session, LoginError> {
        let client = &self.client;
        let result = client
            .oauth(&self.meta, Some(&self.redirect_uri))
            .exchange_code(AuthorizationCode::new(self.code.secret().to_owned()))
            .set_pkce_verifier(self.verifier)
            .request_async(&token_http::client(&client.inner.http))
            .await;
        let resp = match result {
            Ok(r) => r,
            Err(RequestTokenError::ServerResponse(e)) => {
                return Err(LoginError::TokenEndpoint {
                    error: e.error().to_string(),
                    description: e.error_description().cloned(),
                });
            }
            Err(RequestTokenError::Request(e @ TokenHttpError::ServerFailed { .. })) => {
                return Err(LoginError::ServerFailed(e.to_string()));
            }
            Err(RequestTokenError::Request(e)) => {
                return Err(LoginError::Transport(transport_reason(&e)));
            }
            Err(RequestTokenError::Parse(e, _body)) => {
                return Err(LoginError::BadResponse(format!(
                    "unparseable JSON at {}",
                    e.path()
                )));
            }
            Err(RequestTokenError::Other(m)) => return Err(LoginError::BadResponse(m)),
        };
        let id_token = resp
            .extra_fields()
            .id_token
            .clone()
            .ok_or(LoginError::NoIdToken)?;
        let now = client.inner.clock.now();
        let jwks = client.jwks().await?;
        let expected = Expected {
            nonce: Some(self.nonce.secret()),
            org: self.org_check.clone(),
            sub: None,
        };
        let claims = client
            .verifier(&self.meta)
            .verify(&id_token, &expected, &jwks, now)
            .await?;
        let refresh_token = resp
            .refresh_token()
            .map(|r| Secret::new(r.secret().clone()));
        let session = Session {
            meta: SessionMeta {
                key: SessionKey {
                    issuer: self.meta.issuer.clone(),
                    client_id: client.inner.config.client_id.clone(),
                    org_id: claims.org_id.clone(),
                },
                org_name: claims.org_name.clone(),
                sub: claims.sub.clone(),
                email: claims.email.clone(),
                name: claims.name.clone(),
                picture: claims.picture.clone(),
                expires_at: expiry(&resp, now, claims.exp),
                refreshable: refresh_token.is_some(),
                refreshed_at: None,
            },
            access_token: Secret::new(resp.access_token().secret().clone()),
            refresh_token,
            id_token: Secret::new(id_token),
            scope: resp
                .scopes()
                .map(|s| s.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(" ")),
            token_type: token_type(&resp),
        };
        let _guard = client.guard_or_proceed(&session.meta.key).await;
        let store = client.inner.store.clone();
        let to_save = session.clone();
        tokio::task::spawn_blocking(move || store.save(&to_save))
            .await
            .expect("store task")?;
        tracing::info!(org_id = ?session.meta.key.org_id, "signed in; session stored in the keychain");
        Ok(session)
    }
}
