//! Redacting newtypes for the client secret and the Management API access token.

use std::fmt;

use zeroize::Zeroizing;

/// The M2M application's client secret. `Debug` prints `[redacted]`; read it only through [`ClientSecret::secret`].
pub struct ClientSecret(Zeroizing<String>);

impl ClientSecret {
    /// Wraps a secret; surrounding whitespace (a trailing newline from a pipe) is trimmed.
    pub fn new(value: impl Into<String>) -> Self {
        let value: String = value.into();
        let trimmed = value.trim();
        if trimmed.len() == value.len() {
            Self(Zeroizing::new(value))
        } else {
            let t = trimmed.to_owned();
            drop(Zeroizing::new(value));
            Self(Zeroizing::new(t))
        }
    }

    /// The secret itself: every use of it is greppable.
    pub fn secret(&self) -> &str {
        &self.0
    }

    /// True when nothing was given.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for ClientSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ClientSecret([redacted])")
    }
}

/// A Management API bearer token. Cheap to clone (shared), zeroized when the last clone drops.
#[derive(Clone)]
pub struct AccessToken(std::sync::Arc<Zeroizing<String>>);

impl AccessToken {
    /// Wraps a token.
    pub fn new(value: String) -> Self {
        Self(std::sync::Arc::new(Zeroizing::new(value)))
    }

    /// The token itself: every use of it is greppable.
    pub fn secret(&self) -> &str {
        &self.0
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
        let s = ClientSecret::new("hunter2-very-secret\n");
        assert_eq!(format!("{s:?}"), "ClientSecret([redacted])");
        assert_eq!(s.secret(), "hunter2-very-secret");
        let t = AccessToken::new("eyJ.token".into());
        assert_eq!(format!("{t:?}"), "AccessToken([redacted])");
        assert!(t.same_as(&t.clone()));
        assert!(!t.same_as(&AccessToken::new("other".into())));
    }
}
