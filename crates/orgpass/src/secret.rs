//! Redacting wrapper for token-bearing strings: never printed, zeroized on drop.

use zeroize::Zeroize;

/// A secret string (access, refresh or ID token, authorization code).
///
/// `Debug` prints `[redacted]`; there is no `Display`, `Serialize` or `PartialEq`.
/// Read it only through the greppable [`Secret::secret`]. The memory is zeroized on drop.
pub struct Secret(String);

impl Secret {
    /// Wrap a secret value.
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The secret value. Every use of this is a place where a secret leaves its wrapper.
    pub fn secret(&self) -> &str {
        &self.0
    }
}

impl Clone for Secret {
    fn clone(&self) -> Self {
        Self(self.0.clone())
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

#[cfg(test)]
mod tests {
    use super::Secret;

    #[test]
    fn debug_is_redacted() {
        let s = Secret::new("eyJhbGciOi.very.secret");
        assert_eq!(format!("{s:?}"), "[redacted]");
        assert_eq!(s.secret(), "eyJhbGciOi.very.secret");
    }
}
