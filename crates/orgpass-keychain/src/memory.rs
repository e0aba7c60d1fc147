//! An in-memory [`SecretBackend`] for tests and benchmarks.

use std::collections::BTreeMap;
use std::sync::Mutex;

use crate::{KeychainError, SecretBackend};

/// An in-memory secret backend. Records what it holds so tests can assert on it.
#[derive(Debug, Default)]
pub struct MemoryBackend {
    entries: Mutex<BTreeMap<String, String>>,
}

impl MemoryBackend {
    /// Account names currently stored.
    pub fn accounts(&self) -> Vec<String> {
        self.entries().keys().cloned().collect()
    }

    /// Length of the longest stored value.
    pub fn longest_value(&self) -> usize {
        self.entries().values().map(String::len).max().unwrap_or(0)
    }

    fn entries(&self) -> std::sync::MutexGuard<'_, BTreeMap<String, String>> {
        self.entries.lock().expect("memory backend")
    }
}

impl SecretBackend for MemoryBackend {
    fn get(&self, account: &str) -> Result<Option<String>, KeychainError> {
        Ok(self.entries().get(account).cloned())
    }
    fn set(&self, account: &str, value: &str) -> Result<(), KeychainError> {
        self.entries().insert(account.to_owned(), value.to_owned());
        Ok(())
    }
    fn delete(&self, account: &str) -> Result<bool, KeychainError> {
        Ok(self.entries().remove(account).is_some())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        let s = MemoryBackend::default();
        assert_eq!(s.get("k").unwrap(), None);
        s.set("k", "v").unwrap();
        assert_eq!(s.get("k").unwrap().as_deref(), Some("v"));
        assert_eq!(s.accounts(), ["k"]);
        assert!(s.delete("k").unwrap());
        assert!(!s.delete("k").unwrap());
        assert_eq!(s.get("k").unwrap(), None);
    }
}
