//! Orgpass engine: sign a person into their company's Auth0 Organization from a desktop machine.
//!
//! Authorization code + PKCE (S256) through the system browser and a loopback redirect
//! (`http://127.0.0.1:PORT/callback`), with the `organization` parameter; the ID token is verified step by
//! step (OIDC Core 3.1.3.7) including its organization claim; the session lives only in the OS keychain.
//!
//! # API for front ends
//!
//! The CLI (`orgpass-cli`) and the desktop app use the same few types:
//!
//! 1. Build a [`Config`]: [`Config::resolve`] combines a [`ConfigFile`] (TOML), [`Env`] (`ORGPASS_*`) and
//!    overrides (flags), or use [`Config::new`] with an [`Issuer`] and a client id.
//! 2. Open the store: [`KeychainStore::system`] (OS keychain + secret-free index file; fails clearly when no
//!    keychain is available, never falls back to a file) wrapped in an `Arc<dyn SessionStore>`.
//! 3. [`Client::new`]`(config, store)`. Keep one client per issuer/client id: it caches discovery and JWKS.
//! 4. Parse user input with [`OrgInput::parse`] (an `org_…` ID, a name, or an invitation link). Show the
//!    [`OrgInputError`] text as is; it says what is wrong.
//! 5. `let pending = client.begin_login(LoginRequest { org, prompt, login_hint, .. }).await?;`
//!    open [`PendingLogin::authorize_url`] with an [`Opener`] ([`opener_for`]); keep
//!    [`PendingLogin::cancel_handle`] for a Cancel button; then `let session = pending.wait().await?;`
//!    The session is stored before `wait` returns. Errors carry [`LoginError::kind`] for the UI.
//! 6. List sessions without touching tokens: [`SessionStore::list`] → [`SessionMeta`] (issuer, client id,
//!    org, user, expiry).
//! 7. [`Client::token`]`(&meta.key)` returns a valid access token, refreshing once (single-flight) when needed.
//!    The single flight spans processes: a lock file per session (no secret in it, see [`lock`]) is held around
//!    "read the session → refresh if still needed → save the rotated tokens", so the CLI, scripts and the app
//!    never redeem the same rotating refresh token twice (Auth0 would revoke the whole family).
//!    A [`TokenError`] of kind [`ErrorKind::Refused`] means "sign in again" (the session was removed).
//! 8. [`Client::logout`]`(&key)` removes the session and revokes its refresh token;
//!    [`Client::end_session_url`] gives the URL that also ends the browser's SSO session.
//!
//! Tokens are [`Secret`]s: `Debug` prints `[redacted]`; read them only through `.secret()`, and never send
//! them to a webview, a log or a file.

pub mod access;
pub mod api;
mod client;
pub mod clock;
pub mod config;
pub mod discovery;
mod dpop;
pub mod env;
pub mod handoff;
pub mod listener;
pub mod lock;
pub mod managed;
pub mod opener;
pub mod org;
mod peer;
pub mod private;
pub mod refusal;
pub mod resources;
pub mod session;
mod token_http;
pub mod verify;

#[cfg(test)]
#[path = "../tests/support/mod.rs"]
mod test_support;

pub use access::AccessClaimsError;
pub use api::{ApiBase, ApiError, ApiRequest, ApiResponse, Method};
pub use client::{
    AccessToken, CancelHandle, Client, ClientOptions, ErrorKind, LoginError, LoginRequest,
    LogoutOutcome, PendingLogin, REFRESH_MARGIN_SECS, Revocation, SESSION_TRANSFER_TOKEN_TYPE,
    SessionTransfer, TokenError, default_http,
};
pub use clock::{Clock, FixedClock, SystemClock};
pub use config::{Config, ConfigError, ConfigFile, Env, Issuer, PortPolicy};
pub use discovery::{DiscoveryError, JwksCache, KeySet, ProviderMetadata};
pub use handoff::{Handoff, HandoffError};
pub use listener::{PasteError, PasteHandle, Refusal};
pub use lock::{DEFAULT_REFRESH_LOCK_WAIT, LockError};
pub use opener::{CommandOpener, OpenError, Opener, PrintOpener, SystemOpener, opener_for};
pub use org::{OrgInput, OrgInputError, WorkEmail, WorkEmailError};
pub use orgpass_keychain::{KeychainError, MemoryBackend, OsKeychain, Secret, SecretBackend};
pub use orgpass_net::{CaBundle, CaFileError, NetError, QUIET_LOG_FILTER};
pub use refusal::IdpRefusal;
pub use resources::{Api, Portal};
pub use session::{
    ApiToken, Index, KeychainStore, Session, SessionKey, SessionMeta, SessionStore, StoreError,
};
pub use verify::{Expected, IdClaims, IdTokenError, IdTokenVerifier, OrgCheck};
