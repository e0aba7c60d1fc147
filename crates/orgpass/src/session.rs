//! Sessions in the OS keychain: one per (issuer, client id, organization), split over numbered entries when large,
//! plus a secret-free index file for listing sessions without unlocking the keychain.

use std::path::PathBuf;
use std::sync::Mutex;

use serde::{Deserialize, Serialize};

use crate::Secret;
use orgpass_keychain::{
    KeychainError, MemoryBackend, OsKeychain, SecretBackend, delete_chunked, read_chunked,
    write_chunked,
};

/// The keychain service name every entry is stored under.
pub const KEYRING_SERVICE: &str = "orgpass";
/// How long an index update waits for another process's (a read and a write of a small file).
const INDEX_LOCK_WAIT: std::time::Duration = std::time::Duration::from_secs(10);

/// Identifies a session: one per issuer, client id and organization.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct SessionKey {
    /// Issuer exactly as in the ID token's `iss`.
    pub issuer: String,
    /// The native app's client id.
    pub client_id: String,
    /// The organization's ID (`org_…`), or `None` for a login without organization.
    pub org_id: Option<String>,
}

impl SessionKey {
    /// The keychain account name: `issuer|client_id|org_id` (`-` when no organization).
    pub fn account(&self) -> String {
        format!(
            "{}|{}|{}",
            self.issuer,
            self.client_id,
            self.org_id.as_deref().unwrap_or("-")
        )
    }
}

/// What can be shown about a session without reading any token: no secrets here.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionMeta {
    pub key: SessionKey,
    pub org_name: Option<String>,
    pub sub: String,
    pub email: Option<String>,
    pub name: Option<String>,
    pub picture: Option<String>,
    /// When the access token expires (UNIX seconds).
    pub expires_at: i64,
    /// Whether a refresh token is held (so `token` can renew without a browser).
    pub refreshable: bool,
    /// When the refresh token was last redeemed, i.e. the held one was issued (UNIX seconds); `None` until the
    /// first refresh after sign-in. Absent from index files written before it existed, hence the default.
    #[serde(default)]
    pub refreshed_at: Option<i64>,
    /// The API the access token is for (the `audience` sent at sign-in); `None` when none was asked for. Absent
    /// from index files written before it existed.
    #[serde(default)]
    pub audience: Option<String>,
    /// The RFC 7638 thumbprint of the key the tokens are bound to (DPoP), `None` for bearer tokens. Absent from
    /// index files written before it existed.
    #[serde(default)]
    pub dpop_jkt: Option<String>,
    /// Whether the tenant chose the organization from the person's work email (a sign-in without `organization`,
    /// Auth0's Organization Domain Discovery) rather than the person naming it. Absent from index files written
    /// before it existed.
    #[serde(default)]
    pub found_by_email: bool,
}

/// A signed-in session: metadata plus the tokens (redacted in `Debug`).
#[derive(Debug, Clone)]
pub struct Session {
    pub meta: SessionMeta,
    pub access_token: Secret,
    pub refresh_token: Option<Secret>,
    pub id_token: Secret,
    /// Scopes granted, as the token endpoint reported them.
    pub scope: Option<String>,
    /// `Bearer`, or `DPoP` for a session bound to this device's key.
    pub token_type: String,
    /// The private key of a DPoP-bound session (PKCS#8, base64url): kept only in the keychain with the tokens,
    /// deleted with them.
    pub dpop_key: Option<Secret>,
    /// Access tokens for the company's other APIs, by audience, each got from the refresh token (Auth0's
    /// Multi-Resource Refresh Tokens) and checked for the session's organization; kept with the session, deleted
    /// with it.
    pub apis: std::collections::BTreeMap<String, ApiToken>,
}

/// An access token for another of the company's APIs than the one signed in for.
#[derive(Debug, Clone)]
pub struct ApiToken {
    pub token: Secret,
    /// Expiry, UNIX seconds.
    pub expires_at: i64,
    /// Scopes granted, as the token endpoint reported them.
    pub scope: Option<String>,
    /// `Bearer`, or `DPoP`.
    pub token_type: String,
}

impl Session {
    /// The ID token's claims, which the verifier checked before this session was stored (signature, `iss`, `aud`,
    /// `exp`, `nonce`, the organization): for showing who is signed in (the app's QA view), never for deciding
    /// anything. `None` when the stored token is not a JWT (a store written by hand).
    pub fn claims(&self) -> Option<serde_json::Map<String, serde_json::Value>> {
        use base64::Engine as _;
        let payload = self.id_token.secret().split('.').nth(1)?;
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(payload.trim_end_matches('='))
            .ok()?;
        match serde_json::from_slice(&bytes).ok()? {
            serde_json::Value::Object(map) => Some(map),
            _ => None,
        }
    }
}

/// Keychain serialisation. Lives only in memory and in the keychain.
#[derive(Serialize, Deserialize)]
struct Stored {
    v: u8,
    meta: SessionMeta,
    access_token: String,
    refresh_token: Option<String>,
    id_token: String,
    scope: Option<String>,
    token_type: String,
    #[serde(default)]
    dpop_key: Option<String>,
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    apis: std::collections::BTreeMap<String, StoredApiToken>,
}

#[derive(Serialize, Deserialize)]
struct StoredApiToken {
    access_token: String,
    expires_at: i64,
    scope: Option<String>,
    token_type: String,
}

impl Drop for StoredApiToken {
    fn drop(&mut self) {
        use zeroize::Zeroize;
        self.access_token.zeroize();
    }
}

impl Drop for Stored {
    fn drop(&mut self) {
        use zeroize::Zeroize;
        self.access_token.zeroize();
        self.id_token.zeroize();
        if let Some(k) = &mut self.dpop_key {
            k.zeroize();
        }
        if let Some(r) = &mut self.refresh_token {
            r.zeroize();
        }
    }
}

/// What to do about a missing or locked keychain, in this platform's words.
mod platform {
    #[cfg(windows)]
    pub const UNAVAILABLE: &str = "on Windows it is Credential Manager. Check that its service (VaultSvc) is \
         running in services.msc and run orgpass from your own signed-in Windows session, then try again";
    #[cfg(target_os = "macos")]
    pub const UNAVAILABLE: &str = "on macOS it is the login keychain. Open Keychain Access, check that the \
         login keychain exists, then try again";
    #[cfg(not(any(windows, target_os = "macos")))]
    pub const UNAVAILABLE: &str = "on Linux it needs a Secret Service on the D-Bus session bus. Install and start \
         GNOME Keyring (`gnome-keyring-daemon --start --components=secrets`) or KWallet in your desktop session, \
         then try again";

    #[cfg(windows)]
    pub const LOCKED: &str = "Windows Credential Manager has no logon session here (a service, a scheduled task \
         or `runas /netonly` without your profile loaded): run orgpass from your own signed-in Windows session, \
         then try again";
    #[cfg(target_os = "macos")]
    pub const LOCKED: &str = "Unlock the login keychain in Keychain Access, then try again";
    #[cfg(not(any(windows, target_os = "macos")))]
    pub const LOCKED: &str = "Unlock it, then try again: log in to your desktop session or unlock the Login \
         keyring in Passwords and Keys; without a desktop (SSH), run `gnome-keyring-daemon --replace --unlock`, \
         type the keyring password and press Ctrl-D";
}

/// Why the session store failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// No keychain to talk to (on Linux: no Secret Service on the D-Bus session bus, or no session bus at all).
    #[error(
        "no OS keychain is available ({0}). Orgpass keeps sessions only in the keychain, never in a plain file: {hint}",
        hint = platform::UNAVAILABLE
    )]
    Unavailable(String),
    /// The keychain is there but locked, and unlocking it was refused or impossible (no prompt could be shown).
    #[error(
        "the OS keychain is locked ({0}), so orgpass cannot read or store sessions; nothing was removed. {hint}",
        hint = platform::LOCKED
    )]
    Locked(String),
    #[error("keychain error: {0}")]
    Backend(String),
    #[error("the stored session is damaged ({0}); run `orgpass logout` and sign in again")]
    Corrupt(String),
    #[error("could not update the session index {path}: {source}")]
    Index {
        path: PathBuf,
        source: std::io::Error,
    },
}

impl From<KeychainError> for StoreError {
    /// The keychain's one classification, with orgpass's own sentences (see the variants above).
    fn from(e: KeychainError) -> Self {
        match e {
            KeychainError::Unavailable(m) => StoreError::Unavailable(m),
            KeychainError::Locked(m) => StoreError::Locked(m),
            KeychainError::Corrupt(m) => StoreError::Corrupt(m),
            KeychainError::Failed(m) => StoreError::Backend(m),
        }
    }
}

/// Where sessions live. Implementations never write tokens outside the keychain.
pub trait SessionStore: Send + Sync {
    /// Save (create or replace) a session.
    fn save(&self, session: &Session) -> Result<(), StoreError>;
    /// Load a session with its tokens.
    fn load(&self, key: &SessionKey) -> Result<Option<Session>, StoreError>;
    /// Delete a session; `Ok(false)` if there was none.
    fn delete(&self, key: &SessionKey) -> Result<bool, StoreError>;
    /// List sessions from the secret-free index (no keychain unlock needed).
    fn list(&self) -> Result<Vec<SessionMeta>, StoreError>;
    /// The directory of the lock files through which processes sharing this store take turns refreshing a
    /// session (see [`crate::lock`]), or `None` when the store is private to this process (in memory), where the
    /// in-process single flight is enough.
    fn lock_dir(&self) -> Option<PathBuf> {
        None
    }
}

/// Where the secret-free session index lives.
#[derive(Debug)]
pub enum Index {
    /// A JSON file (no secrets in it).
    File(PathBuf),
    /// In memory only (tests).
    Memory(Mutex<Vec<SessionMeta>>),
}

impl Index {
    /// `$XDG_CONFIG_HOME/orgpass/sessions.json` (or the platform's config dir).
    pub fn default_file() -> Option<PathBuf> {
        dirs::config_dir().map(|d| d.join("orgpass").join("sessions.json"))
    }

    /// The sessions listed in the index (no keychain access).
    pub fn list(&self) -> Result<Vec<SessionMeta>, StoreError> {
        self.read()
    }

    fn read(&self) -> Result<Vec<SessionMeta>, StoreError> {
        match self {
            Self::Memory(m) => Ok(m.lock().expect("index").clone()),
            Self::File(path) => match std::fs::read(path) {
                Ok(bytes) => Ok(serde_json::from_slice(&bytes).unwrap_or_else(|e| {
                    tracing::warn!(path = %path.display(), error = %e, "session index unreadable; treating it as empty");
                    Vec::new()
                })),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Vec::new()),
                Err(source) => Err(StoreError::Index { path: path.clone(), source }),
            },
        }
    }

    /// Read, change and write the index while holding its lock file (`sessions.json.lock`), so two processes
    /// saving different sessions at once do not lose each other's entry.
    fn update(&self, change: impl FnOnce(&mut Vec<SessionMeta>) -> bool) -> Result<(), StoreError> {
        let _lock = match self {
            Self::Memory(_) => None,
            Self::File(path) => {
                let err = |source| StoreError::Index {
                    path: path.clone(),
                    source,
                };
                let file =
                    crate::lock::open_private(&path.with_extension("json.lock")).map_err(err)?;
                // Held for one read and one write of a small file; released when `file` is dropped.
                crate::lock::lock_blocking(&file, INDEX_LOCK_WAIT).map_err(err)?;
                Some(file)
            }
        };
        let mut metas = self.read()?;
        if change(&mut metas) {
            self.write(metas)?;
        }
        Ok(())
    }

    fn write(&self, metas: Vec<SessionMeta>) -> Result<(), StoreError> {
        match self {
            Self::Memory(m) => {
                *m.lock().expect("index") = metas;
                Ok(())
            }
            Self::File(path) => {
                let err = |source| StoreError::Index {
                    path: path.clone(),
                    source,
                };
                // 0600 in a 0700 folder, via a temp file of this process's own: other local users read nothing,
                // and a concurrent writer never renames a half-written file.
                let body = serde_json::to_vec_pretty(&metas).expect("metadata serialises");
                crate::private::write_atomic(path, &body).map_err(err)
            }
        }
    }
}

/// Sessions in a [`SecretBackend`] (the keychain) with a secret-free [`Index`].
pub struct KeychainStore {
    backend: Box<dyn SecretBackend>,
    index: Index,
    lock: Mutex<()>,
}

impl KeychainStore {
    /// The OS keychain and the default index file.
    pub fn system() -> Result<Self, StoreError> {
        let index = Index::default_file().ok_or_else(|| {
            StoreError::Unavailable("no config directory for the session index".into())
        })?;
        Ok(Self::new(
            OsKeychain::new(KEYRING_SERVICE)?,
            Index::File(index),
        ))
    }

    /// Any backend and index.
    pub fn new(backend: impl SecretBackend + 'static, index: Index) -> Self {
        Self {
            backend: Box::new(backend),
            index,
            lock: Mutex::new(()),
        }
    }

    /// In-memory backend and index (unit tests, benchmarks).
    pub fn in_memory() -> Self {
        Self::new(
            MemoryBackend::default(),
            Index::Memory(Mutex::new(Vec::new())),
        )
    }

    /// Write and delete a probe entry, so a locked or missing keychain is reported before a browser opens.
    ///
    /// The probe entry's name is unique to this process and call: two `orgpass` processes probing at once must
    /// not delete each other's entry (the Secret Service then answers "No such interface … Secret.Item").
    pub fn probe(&self) -> Result<(), StoreError> {
        static PROBES: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let n = PROBES.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let account = format!("orgpass-probe-{}-{n}", std::process::id());
        self.backend.set(&account, "probe")?;
        self.backend.delete(&account)?;
        Ok(())
    }

    /// The backend (tests inspect entries through it).
    pub fn backend(&self) -> &dyn SecretBackend {
        self.backend.as_ref()
    }
}

impl SessionStore for KeychainStore {
    fn save(&self, session: &Session) -> Result<(), StoreError> {
        let _g = self.lock.lock().expect("store lock");
        let stored = Stored {
            v: 1,
            meta: session.meta.clone(),
            access_token: session.access_token.secret().to_owned(),
            refresh_token: session
                .refresh_token
                .as_ref()
                .map(|r| r.secret().to_owned()),
            id_token: session.id_token.secret().to_owned(),
            scope: session.scope.clone(),
            token_type: session.token_type.clone(),
            dpop_key: session.dpop_key.as_ref().map(|k| k.secret().to_owned()),
            apis: session
                .apis
                .iter()
                .map(|(audience, t)| {
                    let stored = StoredApiToken {
                        access_token: t.token.secret().to_owned(),
                        expires_at: t.expires_at,
                        scope: t.scope.clone(),
                        token_type: t.token_type.clone(),
                    };
                    (audience.clone(), stored)
                })
                .collect(),
        };
        let value = Secret::new(serde_json::to_string(&stored).expect("session serialises"));
        write_chunked(
            self.backend.as_ref(),
            &session.meta.key.account(),
            value.secret(),
        )?;
        self.index.update(|metas| {
            metas.retain(|m| m.key != session.meta.key);
            metas.push(session.meta.clone());
            metas.sort_by(|a, b| a.key.cmp(&b.key));
            true
        })
    }

    fn load(&self, key: &SessionKey) -> Result<Option<Session>, StoreError> {
        let _g = self.lock.lock().expect("store lock");
        let Some(value) = read_chunked(self.backend.as_ref(), &key.account())? else {
            return Ok(None);
        };
        let value = Secret::new(value);
        let mut s: Stored = serde_json::from_str(value.secret()).map_err(|e| {
            StoreError::Corrupt(format!(
                "{} at line {} column {}",
                e.classify_kind(),
                e.line(),
                e.column()
            ))
        })?;
        Ok(Some(Session {
            meta: s.meta.clone(),
            access_token: Secret::new(std::mem::take(&mut s.access_token)),
            refresh_token: s.refresh_token.take().map(Secret::new),
            id_token: Secret::new(std::mem::take(&mut s.id_token)),
            scope: s.scope.clone(),
            token_type: s.token_type.clone(),
            dpop_key: s.dpop_key.take().map(Secret::new),
            apis: std::mem::take(&mut s.apis)
                .into_iter()
                .map(|(audience, mut t)| {
                    let token = ApiToken {
                        token: Secret::new(std::mem::take(&mut t.access_token)),
                        expires_at: t.expires_at,
                        scope: t.scope.take(),
                        token_type: std::mem::take(&mut t.token_type),
                    };
                    (audience, token)
                })
                .collect(),
        }))
    }

    fn delete(&self, key: &SessionKey) -> Result<bool, StoreError> {
        let _g = self.lock.lock().expect("store lock");
        let existed = delete_chunked(self.backend.as_ref(), &key.account())?;
        let mut indexed = false;
        self.index.update(|metas| {
            let before = metas.len();
            metas.retain(|m| &m.key != key);
            indexed = metas.len() != before;
            indexed
        })?;
        Ok(existed || indexed)
    }

    fn list(&self) -> Result<Vec<SessionMeta>, StoreError> {
        self.index.read()
    }

    /// `locks/` next to the index file (the config dir, e.g. `~/.config/orgpass/locks`): every process of this
    /// user (CLI, app) finds the same lock files there. None for an in-memory index.
    fn lock_dir(&self) -> Option<PathBuf> {
        match &self.index {
            Index::File(path) => path.parent().map(|dir| dir.join("locks")),
            Index::Memory(_) => None,
        }
    }
}

trait ClassifyKind {
    fn classify_kind(&self) -> &'static str;
}

impl ClassifyKind for serde_json::Error {
    // Never include the error's Display: it could quote part of a token.
    fn classify_kind(&self) -> &'static str {
        match self.classify() {
            serde_json::error::Category::Io => "I/O error",
            serde_json::error::Category::Syntax => "syntax error",
            serde_json::error::Category::Data => "unexpected data",
            serde_json::error::Category::Eof => "truncated value",
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub(crate) fn session(org: &str, token_len: usize) -> Session {
        Session {
            meta: SessionMeta {
                key: SessionKey {
                    issuer: "https://acme.eu.auth0.com/".into(),
                    client_id: "cid".into(),
                    org_id: Some(org.into()),
                },
                org_name: Some("acme".into()),
                sub: "auth0|1".into(),
                email: Some("ada@acme.example".into()),
                name: None,
                picture: None,
                expires_at: 1_800_000_000,
                refreshable: true,
                refreshed_at: None,
                audience: None,
                dpop_jkt: None,
                found_by_email: false,
            },
            access_token: Secret::new("a".repeat(token_len)),
            refresh_token: Some(Secret::new("refresh-1")),
            id_token: Secret::new("id.token.sig"),
            scope: Some("openid".into()),
            token_type: "Bearer".into(),
            dpop_key: None,
            apis: Default::default(),
        }
    }

    #[test]
    fn claims_are_the_stored_id_tokens_payload() {
        use base64::Engine as _;
        let payload = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .encode(br#"{"sub":"auth0|1","org_id":"org_A","exp":1800000000}"#);
        let mut s = session("org_A", 8);
        s.id_token = Secret::new(format!("eyJhbGciOiJSUzI1NiJ9.{payload}.sig"));
        let claims = s.claims().expect("a JWT payload");
        assert_eq!(claims["org_id"], "org_A");
        assert_eq!(claims["exp"], 1_800_000_000);
        assert_eq!(claims.len(), 3);
        s.id_token = Secret::new("id.token.sig");
        assert_eq!(s.claims(), None, "not base64url JSON");
    }

    #[test]
    fn store_round_trip_and_index() {
        let store = KeychainStore::in_memory();
        let mut s = session("org_A", 4000);
        s.apis.insert(
            "https://billing/".into(),
            ApiToken {
                token: Secret::new("billing-token"),
                expires_at: 42,
                scope: Some("read:invoices".into()),
                token_type: "DPoP".into(),
            },
        );
        store.save(&s).unwrap();
        store.save(&session("org_B", 10)).unwrap();
        let loaded = store.load(&s.meta.key).unwrap().unwrap();
        let billing = &loaded.apis["https://billing/"];
        assert_eq!(
            (
                billing.token.secret(),
                billing.expires_at,
                billing.scope.as_deref(),
                billing.token_type.as_str()
            ),
            ("billing-token", 42, Some("read:invoices"), "DPoP")
        );
        assert_eq!(loaded.apis.len(), 1);
        assert_eq!(loaded.access_token.secret(), s.access_token.secret());
        assert_eq!(loaded.refresh_token.unwrap().secret(), "refresh-1");
        assert_eq!(loaded.meta, s.meta);
        let listed: Vec<_> = store
            .list()
            .unwrap()
            .into_iter()
            .map(|m| m.key.org_id.unwrap())
            .collect();
        assert_eq!(listed, vec!["org_A", "org_B"]);
        assert!(store.delete(&s.meta.key).unwrap());
        assert!(store.load(&s.meta.key).unwrap().is_none());
        assert_eq!(store.list().unwrap().len(), 1);
        assert!(!store.delete(&s.meta.key).unwrap());
    }

    #[test]
    fn index_file_has_no_secrets() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("orgpass/sessions.json");
        // A folder an older orgpass created world-readable is made private again.
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            let wide = std::fs::Permissions::from_mode(0o755);
            std::fs::set_permissions(path.parent().unwrap(), wide).unwrap();
        }
        let store = KeychainStore::new(MemoryBackend::default(), Index::File(path.clone()));
        store.save(&session("org_A", 50)).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode =
                |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
            assert_eq!(
                mode(&path),
                0o600,
                "the index is readable by its owner only"
            );
            assert_eq!(mode(path.parent().unwrap()), 0o700, "and so is its folder");
        }
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.contains("org_A") && text.contains("ada@acme.example"));
        assert!(
            !text.contains("refresh-1") && !text.contains("aaaa") && !text.contains("id.token.sig"),
            "{text}"
        );
        assert_eq!(
            store.list().unwrap()[0].key.org_id.as_deref(),
            Some("org_A")
        );
    }

    #[test]
    fn concurrent_writers_of_one_index_file_lose_no_entry() {
        // Two stores on one index file stand for two processes (each has its own file descriptors).
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("orgpass/sessions.json");
        let writers: Vec<_> = ["a", "b", "c"]
            .into_iter()
            .map(|w| {
                let path = path.clone();
                std::thread::spawn(move || {
                    let store = KeychainStore::new(MemoryBackend::default(), Index::File(path));
                    for i in 0..40 {
                        store.save(&session(&format!("org_{w}{i}"), 10)).unwrap();
                    }
                    for i in 0..20 {
                        assert!(
                            store
                                .delete(&session(&format!("org_{w}{i}"), 10).meta.key)
                                .unwrap()
                        );
                    }
                })
            })
            .collect();
        for w in writers {
            w.join().unwrap();
        }
        let reader = KeychainStore::new(MemoryBackend::default(), Index::File(path.clone()));
        let mut orgs: Vec<_> = reader
            .list()
            .unwrap()
            .into_iter()
            .map(|m| m.key.org_id.unwrap())
            .collect();
        orgs.sort();
        let mut want: Vec<_> = ["a", "b", "c"]
            .iter()
            .flat_map(|w| (20..40).map(move |i| format!("org_{w}{i}")))
            .collect();
        want.sort();
        assert_eq!(orgs, want);
        let leftovers: Vec<_> = std::fs::read_dir(path.parent().unwrap())
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .filter(|n| n.ends_with(".tmp"))
            .collect();
        assert!(leftovers.is_empty(), "{leftovers:?}");
    }

    #[test]
    fn index_entries_from_before_refreshed_at_still_parse() {
        // An index line as written before `refreshed_at` existed: `status` must still list it.
        let old = r#"[{"key":{"issuer":"https://acme.eu.auth0.com/","client_id":"cid","org_id":"org_1"},
            "org_name":"acme","sub":"auth0|1","email":null,"name":null,"picture":null,
            "expires_at":1800000000,"refreshable":true}]"#;
        let metas: Vec<SessionMeta> = serde_json::from_str(old).expect("old index parses");
        assert_eq!(metas.len(), 1);
        assert_eq!(metas[0].refreshed_at, None);
        assert!(metas[0].refreshable);

        let mut meta = metas[0].clone();
        meta.refreshed_at = Some(1_800_000_123);
        let line = serde_json::to_string(&meta).expect("serialises");
        assert!(line.contains(r#""refreshed_at":1800000123"#), "{line}");
        let back: SessionMeta = serde_json::from_str(&line).expect("parses");
        assert_eq!(back, meta);
    }

    #[test]
    fn debug_redacts_tokens() {
        let text = format!("{:?}", session("org_A", 20));
        assert!(
            !text.contains("aaaa") && !text.contains("refresh-1"),
            "{text}"
        );
    }
}
