//! The platform keychain through `keyring` v4, and the single place its errors are classified.

use crate::{KeychainError, SecretBackend};

/// The platform keychain (Secret Service on Linux, Keychain on macOS, Credential Manager on Windows), every entry
/// under one service name.
#[derive(Debug, Clone)]
pub struct OsKeychain {
    service: String,
}

impl OsKeychain {
    /// Use the platform store under `service`; fails with [`KeychainError::Unavailable`] when there is none
    /// (never a plaintext fallback).
    pub fn new(service: &str) -> Result<Self, KeychainError> {
        if let Err(e) = keyring::Entry::store_status() {
            return Err(KeychainError::Unavailable(e.to_string()));
        }
        Ok(Self {
            service: service.to_owned(),
        })
    }

    /// The service name entries are stored under.
    pub fn service(&self) -> &str {
        &self.service
    }

    fn entry(&self, account: &str) -> Result<keyring::Entry, KeychainError> {
        keyring::Entry::new(&self.service, account).map_err(classify)
    }
}

/// Maps `keyring`'s error to ours by its variant, never by its text: the store refusing access (a locked
/// collection whose unlock prompt was dismissed or could not be shown) is `Locked`; the platform failing to answer
/// at all (no D-Bus, no Secret Service) is `Unavailable`.
fn classify(e: keyring::Error) -> KeychainError {
    match e {
        keyring::Error::NoStorageAccess(inner) => KeychainError::Locked(inner.to_string()),
        keyring::Error::PlatformFailure(inner) => KeychainError::Unavailable(inner.to_string()),
        keyring::Error::NoDefaultStore => {
            KeychainError::Unavailable("no default credential store".into())
        }
        other => KeychainError::Failed(other.to_string()),
    }
}

impl SecretBackend for OsKeychain {
    fn get(&self, account: &str) -> Result<Option<String>, KeychainError> {
        match self.entry(account)?.get_password() {
            Ok(v) => Ok(Some(v)),
            Err(keyring::Error::NoEntry) => Ok(None),
            Err(e) => Err(classify(e)),
        }
    }

    fn set(&self, account: &str, value: &str) -> Result<(), KeychainError> {
        self.entry(account)?.set_password(value).map_err(classify)
    }

    fn delete(&self, account: &str) -> Result<bool, KeychainError> {
        match self.entry(account)?.delete_credential() {
            Ok(()) => Ok(true),
            Err(keyring::Error::NoEntry) => Ok(false),
            Err(e) => Err(classify(e)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One row per `keyring` error: what it becomes. A change of classification fails here.
    #[test]
    fn classification_table() {
        let io =
            || Box::new(std::io::Error::other("x")) as Box<dyn std::error::Error + Send + Sync>;
        let rows: Vec<(keyring::Error, &str)> = vec![
            (keyring::Error::NoStorageAccess(io()), "locked"),
            (keyring::Error::PlatformFailure(io()), "unavailable"),
            (keyring::Error::NoDefaultStore, "unavailable"),
            (keyring::Error::TooLong("user".into(), 10), "failed"),
            (keyring::Error::BadEncoding(vec![0xff]), "failed"),
        ];
        for (error, want) in rows {
            let text = error.to_string();
            let got = match classify(error) {
                KeychainError::Locked(_) => "locked",
                KeychainError::Unavailable(_) => "unavailable",
                KeychainError::Corrupt(_) => "corrupt",
                KeychainError::Failed(_) => "failed",
            };
            assert_eq!(got, want, "{text}");
        }
    }
}
