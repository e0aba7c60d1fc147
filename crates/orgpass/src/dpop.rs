//! The engine's side of DPoP (RFC 9449): a session's key made at sign-in and kept in the keychain with its tokens,
//! the proof put on each request to the tenant and the company's API, and the servers' nonces (the latest one per
//! server, sent again until the server hands out another; one retry when a server asks for a fresh one).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use orgpass_jose::DpopKey;
use url::Url;

use crate::Secret;

/// The latest nonce each server gave (by origin).
#[derive(Debug, Default)]
pub(crate) struct Nonces(Mutex<HashMap<String, String>>);

impl Nonces {
    pub fn get(&self, url: &Url) -> Option<String> {
        self.0
            .lock()
            .expect("nonces")
            .get(&url.origin().ascii_serialization())
            .cloned()
    }

    pub fn set(&self, url: &Url, nonce: &str) {
        self.0
            .lock()
            .expect("nonces")
            .insert(url.origin().ascii_serialization(), nonce.to_owned());
    }
}

/// A session's key and the client's nonces: what a request needs to carry a proof.
#[derive(Clone)]
pub(crate) struct Binding {
    pub key: Arc<DpopKey>,
    pub nonces: Arc<Nonces>,
}

impl std::fmt::Debug for Binding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Binding").field("key", &self.key).finish()
    }
}

impl Binding {
    /// The `DPoP` header value for `method` `url` (with `access_token`'s hash on a call to an API), with the latest
    /// nonce of that server. `None` only if the OS random source failed (the request then goes without, and the
    /// server refuses it).
    pub fn proof(&self, method: &str, url: &Url, access_token: Option<&str>) -> Option<String> {
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        let nonce = self.nonces.get(url);
        self.key
            .proof(method, url, now, nonce.as_deref(), access_token)
            .map_err(|e| tracing::warn!(error = %e, "could not make a DPoP proof"))
            .ok()
    }
}

/// A new key for a sign-in.
pub(crate) fn generate() -> Result<DpopKey, orgpass_jose::dpop::DpopKeyError> {
    DpopKey::generate()
}

/// The key as the keychain keeps it.
pub(crate) fn stored(key: &DpopKey) -> Secret {
    Secret::new(URL_SAFE_NO_PAD.encode(key.pkcs8()))
}

/// The key of a stored session, `None` for a bearer session.
pub(crate) fn load(stored: Option<&Secret>) -> Result<Option<DpopKey>, String> {
    let Some(s) = stored else { return Ok(None) };
    let der = URL_SAFE_NO_PAD
        .decode(s.secret())
        .map_err(|_| "the stored DPoP key is not base64url".to_owned())?;
    DpopKey::from_pkcs8(&der)
        .map(Some)
        .map_err(|e| e.to_string())
}
