//! The tenant's state: the persisted domain (clients, connections, users, organizations, invitations, refresh
//! tokens, sessions, keys) and the transient parts (login transactions, codes, rate limits, faults).

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use rand::Rng;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use zeroize::Zeroize;

pub use crate::client_grants::{ClientGrant, OrgUsage};
pub use crate::domains::{DiscoveryDomain, valid_domain};
use crate::keys::{KeyError, KeySet, SavedKey};
use crate::ratelimit::{RateLimitConfig, RateLimiter};
use crate::seed::{LoopbackRedirects, Seed};

/// A secret string: `Debug` prints `[redacted]`, read it with `.secret()`, zeroized on drop.
#[derive(Clone, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }
    pub fn secret(&self) -> &str {
        &self.0
    }
    /// Constant-time-ish comparison (length leaks, content does not).
    pub fn matches(&self, candidate: &str) -> bool {
        let (a, b) = (self.0.as_bytes(), candidate.as_bytes());
        a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("[redacted]")
    }
}

impl Drop for Secret {
    fn drop(&mut self) {
        self.0.zeroize();
    }
}

/// Random URL-safe string of `bytes` random bytes.
pub fn random_token(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    rand::thread_rng().fill(&mut buf[..]);
    B64.encode(buf)
}

/// Random alphanumeric id of `len` characters (Auth0's `org_`/`con_` ids use 16).
pub fn random_alnum(len: usize) -> String {
    const CHARS: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let mut rng = rand::thread_rng();
    (0..len)
        .map(|_| CHARS[rng.gen_range(0..CHARS.len())] as char)
        .collect()
}

/// Hex SHA-256, used to store bearer values (refresh tokens, session cookies) without keeping them.
pub fn digest(value: &str) -> String {
    Sha256::digest(value.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn hash_password(salt: &str, password: &str) -> String {
    digest(&format!("{salt}:{password}"))
}

/// Tenant settings (`GET /api/v2/tenants/settings` shows the Auth0-named ones).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Settings {
    pub friendly_name: String,
    pub allow_organization_name_in_authentication_api: bool,
    pub loopback_redirects: LoopbackRedirects,
    pub id_token_lifetime_secs: i64,
    pub access_token_lifetime_secs: i64,
    pub authorization_code_lifetime_secs: i64,
    pub refresh_token_absolute_lifetime_secs: i64,
    pub refresh_token_idle_lifetime_secs: i64,
    pub session_lifetime_secs: i64,
    pub rate_limits: RateLimitConfig,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Api {
    pub identifier: String,
    pub name: String,
    pub allow_offline_access: bool,
    /// The scopes (permissions) the API defines; empty grants whatever is asked (stores saved before this).
    #[serde(default)]
    pub scopes: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Client {
    pub client_id: String,
    pub name: String,
    pub app_type: String,
    pub client_secret: Option<Secret>,
    pub callbacks: Vec<String>,
    pub allowed_logout_urls: Vec<String>,
    pub initiate_login_uri: Option<String>,
    pub organization_usage: String,
    pub organization_require_behavior: String,
    /// How `pre_login_prompt` finds the organization (`email`, `organization_name`). States saved before it existed
    /// get `["organization_name"]`, what their prompt did.
    #[serde(default = "name_discovery")]
    pub organization_discovery_methods: Vec<String>,
    pub grant_types: Vec<String>,
    /// Scopes granted on the Management API (its client grant, kept here: not listed by `/client-grants`).
    pub management_api_scopes: Vec<String>,
    /// Refresh-token rotation overlap in seconds (`refresh_token.leeway`), kept and shown by the Management API.
    #[serde(default)]
    pub refresh_token_leeway: u64,
    /// The other APIs a refresh token may get access tokens for (`refresh_token.policies`, Multi-Resource
    /// Refresh Tokens).
    #[serde(default)]
    pub refresh_token_policies: Vec<RefreshPolicy>,
    /// Native to Web SSO (`session_transfer`).
    #[serde(default)]
    pub session_transfer: SessionTransferSettings,
}

pub use crate::sso::{RefreshPolicy, SessionTransferSettings, Transfer};

impl Client {
    pub fn is_public(&self) -> bool {
        self.client_secret.is_none()
    }
    /// Whether `pre_login_prompt` may find the organization by `method` (`email`, `organization_name`).
    pub fn discovers_by(&self, method: &str) -> bool {
        self.organization_discovery_methods
            .iter()
            .any(|m| m == method)
    }
}

fn name_discovery() -> Vec<String> {
    vec!["organization_name".into()]
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Connection {
    pub id: String,
    pub name: String,
    pub strategy: String,
    pub display_name: Option<String>,
}

impl Connection {
    pub fn is_database(&self) -> bool {
        self.strategy == "auth0"
    }
    pub fn is_social(&self) -> bool {
        matches!(
            self.strategy.as_str(),
            "google-oauth2"
                | "github"
                | "facebook"
                | "twitter"
                | "linkedin"
                | "windowslive"
                | "apple"
        )
    }
    pub fn is_enterprise(&self) -> bool {
        !self.is_database() && !self.is_social()
    }
    pub fn label(&self) -> &str {
        self.display_name.as_deref().unwrap_or(&self.name)
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct User {
    pub user_id: String,
    pub connection: String,
    pub email: String,
    pub name: String,
    pub email_verified: bool,
    pub password_salt: Option<String>,
    pub password_hash: Option<String>,
    pub created_at: String,
}

impl User {
    pub fn password_matches(&self, password: &str) -> bool {
        match (&self.password_salt, &self.password_hash) {
            (Some(salt), Some(hash)) => {
                Secret::new(hash.clone()).matches(&hash_password(salt, password))
            }
            _ => false,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Colors {
    pub primary: String,
    pub page_background: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
pub struct Branding {
    pub logo_url: Option<String>,
    pub colors: Option<Colors>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct EnabledConnection {
    pub connection_id: String,
    pub assign_membership_on_login: bool,
    pub show_as_button: bool,
    pub is_signup_enabled: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Organization {
    pub id: String,
    pub name: String,
    pub display_name: String,
    pub branding: Option<Branding>,
    pub metadata: BTreeMap<String, String>,
    pub enabled_connections: Vec<EnabledConnection>,
    pub members: Vec<String>,
    /// Absent from states saved before it existed.
    #[serde(default)]
    pub discovery_domains: Vec<DiscoveryDomain>,
    /// The ids of the client grants associated with it (M2M access for organizations).
    #[serde(default)]
    pub client_grants: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Invitation {
    pub id: String,
    pub organization_id: String,
    pub inviter_name: String,
    pub invitee_email: String,
    pub client_id: String,
    pub connection_id: Option<String>,
    pub ticket_id: String,
    pub created_at: i64,
    pub expires_at: i64,
    pub roles: Vec<String>,
}

/// A refresh token, stored under the SHA-256 of its value.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RefreshRecord {
    pub family: String,
    pub client_id: String,
    pub user_id: String,
    pub org_id: Option<String>,
    pub scope: String,
    pub audience: Option<String>,
    pub sid: String,
    pub used: bool,
    pub family_expires_at: i64,
    pub idle_expires_at: i64,
    /// A public client's refresh token issued with a DPoP proof is bound to that key: refreshing takes a proof by
    /// it.
    #[serde(default)]
    pub jkt: Option<String>,
    /// When it was first exchanged (the token clock): the start of its rotation overlap (`refresh_token.leeway`).
    #[serde(default)]
    pub used_at: Option<i64>,
    /// The key of the refresh token it was issued for, in a refresh: inside the overlap only the token whose
    /// successors are all unused (the previous one) may be exchanged again.
    #[serde(default)]
    pub parent: Option<String>,
}

/// An SSO session, stored under the SHA-256 of its cookie value.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Session {
    pub sid: String,
    pub user_id: String,
    pub auth_time: i64,
    pub expires_at: i64,
}

/// Everything that `--data` persists.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Store {
    pub settings: Settings,
    pub apis: Vec<Api>,
    pub clients: Vec<Client>,
    pub connections: Vec<Connection>,
    pub users: Vec<User>,
    pub organizations: Vec<Organization>,
    pub invitations: Vec<Invitation>,
    /// Client grants on the tenant's APIs (absent from states saved before they existed).
    #[serde(default)]
    pub client_grants: Vec<ClientGrant>,
    pub refresh_tokens: HashMap<String, RefreshRecord>,
    pub sessions: HashMap<String, Session>,
}

/// A login in progress between `/authorize` and the redirect back (Universal Login's `state`).
#[derive(Debug, Clone)]
pub struct Transaction {
    pub client_id: String,
    pub redirect_uri: String,
    pub state: Option<String>,
    pub nonce: Option<String>,
    pub scope: String,
    pub audience: Option<String>,
    pub code_challenge: Option<String>,
    /// `dpop_jkt` at `/authorize`: the code is bound to that DPoP key.
    pub dpop_jkt: Option<String>,
    pub org_id: Option<String>,
    pub invitation: Option<String>,
    pub login_hint: Option<String>,
    pub connection: Option<String>,
    pub response_mode_query: bool,
    /// Set after authentication when the post-login organization picker is shown.
    pub authenticated: Option<(String, String)>,
    /// The organizations the email step found for the work email when it found several: the chooser offers
    /// these and only these.
    pub discovered: Vec<String>,
    pub created_at: i64,
}

/// An issued authorization code.
#[derive(Debug, Clone)]
pub struct Code {
    pub client_id: String,
    pub redirect_uri: String,
    pub code_challenge: Option<String>,
    pub user_id: String,
    pub org_id: Option<String>,
    pub nonce: Option<String>,
    pub scope: String,
    pub audience: Option<String>,
    pub sid: String,
    pub auth_time: i64,
    pub expires_at: i64,
    /// The DPoP key the code is bound to (`dpop_jkt` at `/authorize`).
    pub dpop_jkt: Option<String>,
}

/// What the next N requests to an endpoint do (see [`crate::faults`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FaultMode {
    /// Answer after `delay_ms`.
    Slow,
    /// Answer 503 with an Auth0-shaped error.
    Fail,
    /// Answer 200 with a body that is not JSON.
    Garbage,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fault {
    pub mode: FaultMode,
    pub remaining: u32,
    pub delay_ms: u64,
}

/// Why the state could not be loaded or saved.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error(transparent)]
    Key(#[from] KeyError),
    #[error(
        "could not read or write the state in {path}: {source}; check the --data directory permissions"
    )]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "the saved state in {path} is unreadable ({source}); delete it to start from the seed again"
    )]
    Corrupt {
        path: PathBuf,
        source: serde_json::Error,
    },
}

#[derive(Serialize, Deserialize)]
struct StateFile {
    version: u32,
    store: Store,
    keys: Vec<SavedKey>,
}

/// The whole tenant behind one lock.
#[derive(Debug)]
pub struct Tenant {
    pub store: Store,
    pub keys: KeySet,
    pub transactions: HashMap<String, Transaction>,
    pub codes: HashMap<String, Code>,
    /// Session transfer tokens not yet used, by digest.
    pub transfers: HashMap<String, Transfer>,
    pub limiter: RateLimiter,
    pub token_fault: Option<Fault>,
    pub jwks_fault: Option<Fault>,
    /// Seconds added to `iat`/`exp` of issued tokens.
    pub clock_skew_secs: i64,
    /// Where `--data` saves the state (none: memory only).
    pub data_dir: Option<PathBuf>,
    /// DPoP nonces handed out and proofs seen.
    pub dpop: crate::authn::dpop::DpopState,
}

pub const STATE_FILE: &str = "devtenant-state.json";

impl Store {
    /// Builds the domain from a seed.
    pub fn from_seed(seed: &Seed) -> Self {
        let t = &seed.tenant;
        let created_at = crate::now_rfc3339();
        let conn_id = |name: &str| {
            seed.connections
                .iter()
                .find(|c| c.name == name || c.id == name)
                .map(|c| c.id.clone())
                .unwrap_or_default()
        };
        let org_id = |name: &str| {
            seed.organizations
                .iter()
                .find(|o| o.name == name || o.id == name)
                .map(|o| o.id.clone())
                .unwrap_or_default()
        };
        let now = crate::now_unix();
        let mut store = Store {
            settings: Settings {
                friendly_name: t.friendly_name.clone(),
                allow_organization_name_in_authentication_api: t
                    .allow_organization_name_in_authentication_api,
                loopback_redirects: t.loopback_redirects,
                id_token_lifetime_secs: t.id_token_lifetime_secs,
                access_token_lifetime_secs: t.access_token_lifetime_secs,
                authorization_code_lifetime_secs: t.authorization_code_lifetime_secs,
                refresh_token_absolute_lifetime_secs: t.refresh_token_absolute_lifetime_secs,
                refresh_token_idle_lifetime_secs: t.refresh_token_idle_lifetime_secs,
                session_lifetime_secs: t.session_lifetime_secs,
                rate_limits: t.rate_limits.clone(),
            },
            apis: seed
                .apis
                .iter()
                .map(|a| Api {
                    identifier: a.identifier.clone(),
                    name: a.name.clone(),
                    allow_offline_access: a.allow_offline_access,
                    scopes: a.scopes.clone(),
                })
                .collect(),
            clients: seed
                .clients
                .iter()
                .map(|c| Client {
                    client_id: c.client_id.clone(),
                    name: c.name.clone(),
                    app_type: c.app_type.clone(),
                    client_secret: c.client_secret.clone().map(Secret::new),
                    callbacks: c.callbacks.clone(),
                    allowed_logout_urls: c.allowed_logout_urls.clone(),
                    initiate_login_uri: c.initiate_login_uri.clone(),
                    organization_usage: c
                        .organization_usage
                        .clone()
                        .unwrap_or_else(|| "deny".into()),
                    organization_require_behavior: c
                        .organization_require_behavior
                        .clone()
                        .unwrap_or_else(|| "no_prompt".into()),
                    organization_discovery_methods: c
                        .organization_discovery_methods
                        .clone()
                        .unwrap_or_else(name_discovery),
                    grant_types: c.grant_types.clone(),
                    management_api_scopes: c.management_api_scopes.clone(),
                    refresh_token_leeway: 0,
                    refresh_token_policies: c.refresh_token_policies.clone(),
                    session_transfer: c.session_transfer.clone().unwrap_or_default(),
                })
                .collect(),
            connections: seed
                .connections
                .iter()
                .map(|c| Connection {
                    id: c.id.clone(),
                    name: c.name.clone(),
                    strategy: c.strategy.clone(),
                    display_name: c.display_name.clone(),
                })
                .collect(),
            users: seed
                .users
                .iter()
                .map(|u| {
                    let salt = u.password.as_ref().map(|_| random_token(12));
                    User {
                        user_id: u.user_id.clone(),
                        connection: u.connection.clone(),
                        email: u.email.to_lowercase(),
                        name: u.name.clone(),
                        email_verified: u.email_verified,
                        password_hash: u
                            .password
                            .as_ref()
                            .map(|p| hash_password(salt.as_deref().unwrap_or(""), p)),
                        password_salt: salt,
                        created_at: created_at.clone(),
                    }
                })
                .collect(),
            organizations: seed
                .organizations
                .iter()
                .map(|o| Organization {
                    id: o.id.clone(),
                    name: o.name.clone(),
                    display_name: o.display_name.clone(),
                    branding: o.branding.as_ref().map(|b| Branding {
                        logo_url: b.logo_url.clone(),
                        colors: b.colors.as_ref().map(|c| Colors {
                            primary: c.primary.clone(),
                            page_background: c.page_background.clone(),
                        }),
                    }),
                    metadata: o.metadata.clone(),
                    enabled_connections: o
                        .enabled_connections
                        .iter()
                        .map(|e| EnabledConnection {
                            connection_id: conn_id(&e.connection),
                            assign_membership_on_login: e.assign_membership_on_login,
                            show_as_button: e.show_as_button,
                            is_signup_enabled: e.is_signup_enabled,
                        })
                        .collect(),
                    members: o.members.clone(),
                    discovery_domains: o
                        .discovery_domains
                        .iter()
                        .map(|d| {
                            DiscoveryDomain::new(
                                &d.domain,
                                &d.status,
                                d.use_for_organization_discovery,
                            )
                        })
                        .collect(),
                    client_grants: Vec::new(),
                })
                .collect(),
            invitations: seed
                .invitations
                .iter()
                .map(|i| Invitation {
                    id: format!("uinv_{}", random_alnum(16)),
                    organization_id: org_id(&i.organization),
                    inviter_name: i.inviter.clone(),
                    invitee_email: i.email.to_lowercase(),
                    client_id: i.client_id.clone(),
                    connection_id: i.connection.as_deref().map(conn_id),
                    ticket_id: i.ticket_id.clone().unwrap_or_else(|| random_alnum(32)),
                    created_at: now,
                    expires_at: now + i.ttl_sec,
                    roles: Vec::new(),
                })
                .collect(),
            client_grants: Vec::new(),
            refresh_tokens: HashMap::new(),
            sessions: HashMap::new(),
        };
        crate::client_grants::seed_into(&mut store, &seed.client_grants);
        store
    }

    pub fn client(&self, client_id: &str) -> Option<&Client> {
        self.clients.iter().find(|c| c.client_id == client_id)
    }
    pub fn connection(&self, id_or_name: &str) -> Option<&Connection> {
        self.connections
            .iter()
            .find(|c| c.id == id_or_name || c.name == id_or_name)
    }
    pub fn user(&self, user_id: &str) -> Option<&User> {
        self.users.iter().find(|u| u.user_id == user_id)
    }
    pub fn org(&self, id: &str) -> Option<&Organization> {
        self.organizations.iter().find(|o| o.id == id)
    }
    pub fn org_mut(&mut self, id: &str) -> Option<&mut Organization> {
        self.organizations.iter_mut().find(|o| o.id == id)
    }
    pub fn org_by_name(&self, name: &str) -> Option<&Organization> {
        self.organizations.iter().find(|o| o.name == name)
    }
    /// The organizations the email step finds for `domain` (lower case): those with it as a verified discovery
    /// domain used for discovery, exactly (a subdomain does not match), in the tenant's order.
    pub fn orgs_for_domain(&self, domain: &str) -> Vec<&Organization> {
        self.organizations
            .iter()
            .filter(|o| {
                o.discovery_domains
                    .iter()
                    .any(|d| d.domain == domain && d.discovers())
            })
            .collect()
    }
}

impl Tenant {
    /// Loads the state from `data_dir` if it has one, else builds it from the seed (and saves it there).
    pub fn open(seed: &Seed, data_dir: Option<PathBuf>) -> Result<Self, StoreError> {
        let now = crate::now_unix();
        if let Some(dir) = &data_dir {
            let path = dir.join(STATE_FILE);
            let io = |source| StoreError::Io {
                path: path.clone(),
                source,
            };
            crate::private::check_owner(dir).map_err(io)?;
            if path.exists() {
                let text = crate::private::read_own(&path).map_err(io)?;
                crate::private::restrict(&path).map_err(io)?;
                let corrupt = |source| StoreError::Corrupt {
                    path: path.clone(),
                    source,
                };
                let saved: serde_json::Value = serde_json::from_slice(&text).map_err(corrupt)?;
                let mut file: StateFile = serde_json::from_value(saved.clone()).map_err(corrupt)?;
                crate::client_grants::migrate_api_grants(&mut file.store, &saved);
                let keys = KeySet::load(&file.keys)?;
                return Ok(Self::assemble(file.store, keys, data_dir));
            }
        }
        let tenant = Self::assemble(Store::from_seed(seed), KeySet::generate(now)?, data_dir);
        tenant.save()?;
        Ok(tenant)
    }

    /// A tenant with the given keys (lets tests reuse one generated key).
    pub fn with_keys(seed: &Seed, keys: KeySet) -> Self {
        Self::assemble(Store::from_seed(seed), keys, None)
    }

    fn assemble(store: Store, keys: KeySet, data_dir: Option<PathBuf>) -> Self {
        Self {
            store,
            keys,
            transactions: HashMap::new(),
            codes: HashMap::new(),
            transfers: HashMap::new(),
            limiter: RateLimiter::default(),
            token_fault: None,
            jwks_fault: None,
            clock_skew_secs: 0,
            data_dir,
            dpop: Default::default(),
        }
    }

    /// Writes the state atomically (temp file + rename) when a data dir is configured: 0600 (it holds the
    /// signing keys), in a folder of this user's (made 0700 when missing).
    pub fn save(&self) -> Result<(), StoreError> {
        let Some(dir) = &self.data_dir else {
            return Ok(());
        };
        let file = StateFile {
            version: 1,
            store: self.store.clone(),
            keys: self.keys.save()?,
        };
        let bytes = serde_json::to_vec_pretty(&file).expect("state serializes");
        write_atomically(dir, STATE_FILE, &bytes)
    }

    /// Current time for issued tokens (with the injected skew).
    pub fn token_now(&self) -> i64 {
        crate::now_unix() + self.clock_skew_secs
    }
}

fn write_atomically(dir: &Path, name: &str, bytes: &[u8]) -> Result<(), StoreError> {
    let io = |source| StoreError::Io {
        path: dir.join(name),
        source,
    };
    crate::private::own_dir(dir).map_err(io)?;
    let tmp = dir.join(format!(".{name}.{}.tmp", random_alnum(8)));
    crate::private::write_new(&tmp, bytes)
        .and_then(|f| f.sync_all())
        .map_err(io)?;
    std::fs::rename(&tmp, dir.join(name)).map_err(io)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seed_passwords_are_hashed_and_checked() {
        let store = Store::from_seed(&Seed::demo());
        let alice = store
            .users
            .iter()
            .find(|u| u.email == "alice@example.com")
            .unwrap();
        assert!(alice.password_matches("Alice-pass-1"));
        assert!(!alice.password_matches("alice-pass-1"));
        assert!(
            !serde_json::to_string(&store)
                .unwrap()
                .contains("Alice-pass-1")
        );
    }

    #[test]
    fn state_survives_a_reopen_of_the_data_dir() {
        let dir = tempfile::tempdir().unwrap();
        let seed = Seed::demo();
        let mut t = Tenant::open(&seed, Some(dir.path().to_owned())).unwrap();
        let kid = t.keys.current.kid.clone();
        t.store.organizations.retain(|o| o.name != "acme");
        t.save().unwrap();
        let again = Tenant::open(&seed, Some(dir.path().to_owned())).unwrap();
        assert_eq!(again.keys.current.kid, kid);
        assert!(again.store.org_by_name("acme").is_none());
        assert!(again.store.org_by_name("globex").is_some());
        let leftovers: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(leftovers, vec![std::ffi::OsString::from(STATE_FILE)]);
    }

    #[cfg(unix)]
    #[test]
    fn the_state_file_and_a_new_data_dir_are_the_users_alone() {
        use crate::private::tests::mode;
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("data");
        let t = Tenant::open(&Seed::demo(), Some(dir.clone())).unwrap();
        assert_eq!(mode(&dir), 0o700);
        assert_eq!(mode(&dir.join(STATE_FILE)), 0o600);
        t.save().unwrap();
        assert_eq!(mode(&dir.join(STATE_FILE)), 0o600, "after a save too");
        // A state file an older devtenant left readable by all is made private when opened.
        std::fs::set_permissions(
            dir.join(STATE_FILE),
            std::os::unix::fs::PermissionsExt::from_mode(0o644),
        )
        .unwrap();
        Tenant::open(&Seed::demo(), Some(dir.clone())).unwrap();
        assert_eq!(mode(&dir.join(STATE_FILE)), 0o600);
    }

    #[cfg(unix)]
    #[test]
    fn a_data_dir_of_another_user_is_refused() {
        let tmp = tempfile::tempdir().unwrap();
        let Some(foreign) = crate::private::tests::foreign_dir(tmp.path()) else {
            eprintln!("skipped: not root, cannot make a folder of another user");
            return;
        };
        let err = Tenant::open(&Seed::demo(), Some(foreign.clone()))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains(&format!(
                "{} belongs to another user (uid 65534",
                foreign.display()
            )),
            "{err}"
        );
        assert!(!foreign.join(STATE_FILE).exists(), "nothing written there");
    }

    #[test]
    fn secrets_do_not_print() {
        assert_eq!(format!("{:?}", Secret::new("hunter2")), "[redacted]");
        assert!(Secret::new("abc").matches("abc") && !Secret::new("abc").matches("abd"));
    }
}
