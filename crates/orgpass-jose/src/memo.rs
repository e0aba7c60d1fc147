//! Tokens already verified ([`Verified`]): an API sees the same access token on every request of a client for as
//! long as it lives, so the signature over it (an RSA verify, most of a bearer request's cost) and the decoding of
//! its claims are done once. What a token's bytes and its key decide is remembered; what the request and the clock
//! decide is checked every time: every claim check of the profile runs again on the remembered claims (`exp`,
//! `nbf` and `iat` against the clock, the binding against the way the token is presented).
//!
//! An entry holds only for the very key object it was verified with: when the issuer's key set is fetched again
//! (a rotation, a key withdrawn), the key under that `kid` is a new object and the token is verified again, or
//! refused if its key is gone. Only tokens that passed every check are remembered, each until its `exp`, at most
//! [`Verified::capacity`] at once.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use jsonwebtoken::DecodingKey;
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

/// How many verified tokens a guard remembers by default (a few MiB at Auth0's token sizes).
pub const DEFAULT_CAPACITY: usize = 10_000;

/// The verified tokens, by the SHA-256 of the whole token.
pub struct Verified {
    capacity: usize,
    seen: Mutex<HashMap<[u8; 32], Entry>>,
}

struct Entry {
    key: Arc<DecodingKey>,
    claims: Map<String, Value>,
    exp: i64,
}

impl Default for Verified {
    fn default() -> Self {
        Self::new(DEFAULT_CAPACITY)
    }
}

impl std::fmt::Debug for Verified {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Verified")
            .field("capacity", &self.capacity)
            .field("len", &self.len())
            .finish()
    }
}

impl Verified {
    /// Remembers at most `capacity` tokens (0: none, every token verified every time).
    pub fn new(capacity: usize) -> Self {
        Self {
            capacity,
            seen: Mutex::new(HashMap::new()),
        }
    }

    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// How many tokens are remembered now.
    pub fn len(&self) -> usize {
        self.seen.lock().expect("verified tokens").len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The digest tokens are remembered by.
    pub fn digest(token: &str) -> [u8; 32] {
        Sha256::digest(token.as_bytes()).into()
    }

    /// The claims of the token with `digest`, if it was verified with this very `key`.
    pub fn get(&self, digest: &[u8; 32], key: &Arc<DecodingKey>) -> Option<Map<String, Value>> {
        let seen = self.seen.lock().expect("verified tokens");
        seen.get(digest)
            .filter(|e| Arc::ptr_eq(&e.key, key))
            .map(|e| e.claims.clone())
    }

    /// Remembers a token that passed every check with `key`, until `exp`. When full, the expired entries go; if
    /// none has expired, all go (a flood of valid tokens costs their verification again, nothing else).
    pub fn put(
        &self,
        digest: [u8; 32],
        key: &Arc<DecodingKey>,
        claims: &Map<String, Value>,
        exp: i64,
        now: i64,
    ) {
        if self.capacity == 0 {
            return;
        }
        let mut seen = self.seen.lock().expect("verified tokens");
        if seen.len() >= self.capacity {
            seen.retain(|_, e| e.exp > now);
            if seen.len() >= self.capacity {
                seen.clear();
            }
        }
        seen.insert(
            digest,
            Entry {
                key: key.clone(),
                claims: claims.clone(),
                exp,
            },
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn key() -> Arc<DecodingKey> {
        Arc::new(DecodingKey::from_secret(b"not used to verify here"))
    }

    fn claims(exp: i64) -> Map<String, Value> {
        json!({"sub": "auth0|alice", "exp": exp})
            .as_object()
            .unwrap()
            .clone()
    }

    #[test]
    fn a_token_is_remembered_only_for_the_key_object_it_was_verified_with() {
        let memo = Verified::new(10);
        let (k, same_material) = (key(), key());
        let d = Verified::digest("token-a");
        assert_eq!(memo.get(&d, &k), None);
        memo.put(d, &k, &claims(200), 200, 100);
        assert_eq!(memo.get(&d, &k), Some(claims(200)));
        assert_eq!(
            memo.get(&d, &same_material),
            None,
            "the key set was fetched again: verify again"
        );
        assert_eq!(memo.get(&Verified::digest("token-b"), &k), None);
        assert_eq!(memo.len(), 1);
    }

    #[test]
    fn when_full_the_expired_go_first_then_all() {
        let memo = Verified::new(2);
        let k = key();
        memo.put(Verified::digest("old"), &k, &claims(150), 150, 100);
        memo.put(Verified::digest("live"), &k, &claims(900), 900, 100);
        // Full at 200: "old" has expired and goes; "live" stays.
        memo.put(Verified::digest("new"), &k, &claims(900), 900, 200);
        assert_eq!(memo.len(), 2);
        assert!(memo.get(&Verified::digest("old"), &k).is_none());
        assert!(memo.get(&Verified::digest("live"), &k).is_some());
        // Full again, nothing expired: all go, the newest stays.
        memo.put(Verified::digest("newer"), &k, &claims(900), 900, 200);
        assert_eq!(memo.len(), 1);
        assert!(memo.get(&Verified::digest("newer"), &k).is_some());
    }

    #[test]
    fn capacity_zero_remembers_nothing() {
        let memo = Verified::new(0);
        let k = key();
        memo.put(Verified::digest("t"), &k, &claims(900), 900, 100);
        assert!(memo.is_empty());
    }
}
