//! The OS keychain (Secret Service, Keychain, Credential Manager) behind a small trait, so tests can inject one.
//!
//! There is no plaintext fallback: if the keychain is missing or locked, the caller gets a [`KeychainError`]
//! saying so.

use std::collections::HashMap;
use std::sync::Mutex;

/// The keychain service name under which orgpass-admin keeps its entries.
pub const SERVICE: &str = "orgpass-admin";

/// Keychain failures, with what to do.
#[derive(Debug, thiserror::Error)]
pub enum KeychainError {
    #[error(
        "the OS keychain is locked ({0}); unlock it (log in to the desktop session, or \
         `gnome-keyring-daemon --unlock`) and retry. orgpass-admin never falls back to a plaintext file; in CI set \
         ORGPASS_ADMIN_CLIENT_SECRET instead"
    )]
    Locked(String),
    #[error(
        "no OS keychain is available ({0}); on Linux start a Secret Service (gnome-keyring or KeePassXC in a D-Bus \
         session). orgpass-admin never falls back to a plaintext file; in CI set ORGPASS_ADMIN_CLIENT_SECRET instead"
    )]
    Unavailable(String),
    #[error("the OS keychain failed: {0}")]
    Failed(String),
}

/// Get/set/delete of string secrets by key. Implementations block; call them off the async runtime.
pub trait SecretStore: Send + Sync {
    /// The value, or `None` when there is no entry.
    fn get(&self, key: &str) -> Result<Option<String>, KeychainError>;
    /// Creates or replaces the value.
    fn set(&self, key: &str, value: &str) -> Result<(), KeychainError>;
    /// Removes the entry; absent is fine.
    fn delete(&self, key: &str) -> Result<(), KeychainError>;
}

/// The real OS keychain via the `keyring` crate.
#[derive(Debug, Default, Clone, Copy)]
pub struct OsKeychain;

fn map_err(e: keyring::Error) -> KeychainError {
    match e {
        keyring::Error::NoStorageAccess(p) => KeychainError::Locked(p.to_string()),
        keyring::Error::NoDefaultStore => KeychainError::Unavailable(unavailable_reason()),
        keyring::Error::PlatformFailure(p) => {
            let text = p.to_string();
            let lower = text.to_lowercase();
            if lower.contains("locked") || lower.contains("prompt") || lower.contains("dismissed") {
                KeychainError::Locked(text)
            } else if lower.contains("dbus")
                || lower.contains("d-bus")
                || lower.contains("secret service")
                || lower.contains("not provided")
                || lower.contains("address")
                || lower.contains("connect")
            {
                KeychainError::Unavailable(text)
            } else {
                KeychainError::Failed(text)
            }
        }
        other => KeychainError::Failed(other.to_string()),
    }
}

fn unavailable_reason() -> String {
    match keyring::Entry::store_status() {
        Err(e) => e.to_string(),
        Ok(()) => "no credential store".into(),
    }
}

impl SecretStore for OsKeychain {
    fn get(&self, key: &str) -> Result<Option<String>, KeychainError> {
        let entry = keyring::Entry::new(SERVICE, key).map_err(map_err)?;
        match entry.get_password() {
            Ok(v) => Ok(Some(v)),
            Err(keyring::Error::NoEntry) => Ok(None),
            Err(e) => Err(map_err(e)),
        }
    }

    fn set(&self, key: &str, value: &str) -> Result<(), KeychainError> {
        keyring::Entry::new(SERVICE, key)
            .map_err(map_err)?
            .set_password(value)
            .map_err(map_err)
    }

    fn delete(&self, key: &str) -> Result<(), KeychainError> {
        match keyring::Entry::new(SERVICE, key)
            .map_err(map_err)?
            .delete_credential()
        {
            Ok(()) | Err(keyring::Error::NoEntry) => Ok(()),
            Err(e) => Err(map_err(e)),
        }
    }
}

/// An in-memory store for tests and for callers that want no persistence.
#[derive(Debug, Default)]
pub struct MemoryStore(Mutex<HashMap<String, String>>);

impl SecretStore for MemoryStore {
    fn get(&self, key: &str) -> Result<Option<String>, KeychainError> {
        Ok(self.0.lock().expect("poisoned").get(key).cloned())
    }
    fn set(&self, key: &str, value: &str) -> Result<(), KeychainError> {
        self.0
            .lock()
            .expect("poisoned")
            .insert(key.to_owned(), value.to_owned());
        Ok(())
    }
    fn delete(&self, key: &str) -> Result<(), KeychainError> {
        self.0.lock().expect("poisoned").remove(key);
        Ok(())
    }
}

/// Key of the client secret entry.
pub fn secret_key(tenant: &crate::Tenant, client_id: &str) -> String {
    format!("client-secret:{client_id}@{}", tenant.key())
}

/// Key of the cached access token entry. It names the audience too: `--audience` can change it, and a token issued
/// for one audience is never used for another.
pub fn token_key(tenant: &crate::Tenant, client_id: &str) -> String {
    format!(
        "token:{client_id}@{} audience={}",
        tenant.key(),
        tenant.audience()
    )
}

/// Key under which versions before the audience was part of [`token_key`] cached the token; nothing reads it any
/// more, `auth logout` still removes it.
pub fn legacy_token_key(tenant: &crate::Tenant, client_id: &str) -> String {
    format!("token:{client_id}@{}", tenant.key())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memory_store_round_trip() {
        let s = MemoryStore::default();
        assert_eq!(s.get("k").unwrap(), None);
        s.set("k", "v").unwrap();
        assert_eq!(s.get("k").unwrap().as_deref(), Some("v"));
        s.delete("k").unwrap();
        s.delete("k").unwrap();
        assert_eq!(s.get("k").unwrap(), None);
    }

    #[test]
    fn keys_name_client_and_tenant() {
        let t = crate::Tenant::parse("acme.auth0.com").unwrap();
        assert_eq!(
            secret_key(&t, "abc"),
            "client-secret:abc@https://acme.auth0.com"
        );
        assert_eq!(
            token_key(&t, "abc"),
            "token:abc@https://acme.auth0.com audience=https://acme.auth0.com/api/v2/"
        );
        assert_eq!(
            legacy_token_key(&t, "abc"),
            "token:abc@https://acme.auth0.com"
        );
    }

    /// `--audience` changes the token entry (a token for one audience is never read for another), not the secret's.
    #[test]
    fn token_key_differs_by_audience() {
        let t = crate::Tenant::parse("acme.auth0.com").unwrap();
        let other = t.clone().with_audience("https://api.acme.example/");
        assert_eq!(
            token_key(&other, "abc"),
            "token:abc@https://acme.auth0.com audience=https://api.acme.example/"
        );
        assert_ne!(token_key(&t, "abc"), token_key(&other, "abc"));
        assert_eq!(secret_key(&t, "abc"), secret_key(&other, "abc"));
    }
}
