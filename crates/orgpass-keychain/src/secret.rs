//! The redacting, zeroizing string every token and client secret is kept in.

use zeroize::Zeroize;

/// A secret string (access, refresh or ID token, authorization code, client secret).
///
/// `Debug` prints `[redacted]`; there is no `Display`, `Serialize` or `PartialEq`. Read it only through the
/// greppable [`Secret::secret`]. The memory is zeroized on drop.
pub struct Secret(String);

impl Secret {
    /// Wrap a secret value as it is.
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// Wrap a typed or piped secret without its surrounding whitespace (a trailing newline from `echo` or a
    /// file); the untrimmed copy is zeroized too.
    pub fn trimmed(value: impl Into<String>) -> Self {
        let value = Self(value.into());
        let trimmed = value.0.trim();
        if trimmed.len() == value.0.len() {
            value
        } else {
            Self(trimmed.to_owned())
        }
    }

    /// The secret value. Every use of this is a place where a secret leaves its wrapper.
    pub fn secret(&self) -> &str {
        &self.0
    }

    /// True when the value is empty.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
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
        assert_eq!(format!("{:?}", Some(s.clone())), "Some([redacted])");
        assert_eq!(s.secret(), "eyJhbGciOi.very.secret");
    }

    #[test]
    fn trimmed_drops_surrounding_whitespace_only() {
        assert_eq!(Secret::trimmed("  hunter2 x\n").secret(), "hunter2 x");
        assert_eq!(Secret::trimmed("hunter2").secret(), "hunter2");
        assert!(Secret::trimmed(" \n").is_empty());
        assert_eq!(Secret::new("kept\n").secret(), "kept\n");
    }
}
