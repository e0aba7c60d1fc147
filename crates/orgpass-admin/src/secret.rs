//! The Management API access token: the shared redacting [`Secret`] behind an `Arc`, so the many concurrent
//! requests of an `apply` share one copy. The client secret is a plain [`Secret`].

use std::fmt;
use std::sync::Arc;

pub use orgpass_keychain::Secret;

/// A Management API bearer token. Cheap to clone (shared), zeroized when the last clone drops.
#[derive(Clone)]
pub struct AccessToken(Arc<Secret>);

impl AccessToken {
    /// Wraps a token.
    pub fn new(value: String) -> Self {
        Self(Arc::new(Secret::new(value)))
    }

    /// The token itself: every use of it is greppable.
    pub fn secret(&self) -> &str {
        self.0.secret()
    }

    /// Whether two handles hold the same token (used to invalidate only the token a 401 was about).
    pub fn same_as(&self, other: &AccessToken) -> bool {
        self.secret() == other.secret()
    }
}

impl fmt::Debug for AccessToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AccessToken([redacted])")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_the_value() {
        let t = AccessToken::new("eyJ.token".into());
        assert_eq!(format!("{t:?}"), "AccessToken([redacted])");
        assert!(t.same_as(&t.clone()));
        assert!(!t.same_as(&AccessToken::new("other".into())));
    }
}
