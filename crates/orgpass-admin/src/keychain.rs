//! Where orgpass-admin keeps its entries in the OS keychain (Secret Service, Keychain, Credential Manager), and
//! under which names. The keychain layer itself (classification of failures, chunking, the test double) is the
//! shared `orgpass-keychain` crate's.
//!
//! There is no plaintext fallback: if the keychain is missing or locked, the caller gets a [`KeychainError`]
//! saying so.

pub use orgpass_keychain::{KeychainError, MemoryBackend, OsKeychain, SecretBackend};

/// The keychain service name under which orgpass-admin keeps its entries.
pub const SERVICE: &str = "orgpass-admin";

/// The OS keychain under orgpass-admin's service name.
pub fn os() -> Result<OsKeychain, KeychainError> {
    OsKeychain::new(SERVICE)
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
