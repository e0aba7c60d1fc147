//! RS256 signing keys: generation, persistence (PKCS#8 PEM), JWKS publication, JWT signing and verification.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use rsa::pkcs1v15::{Signature, SigningKey, VerifyingKey};
use rsa::pkcs8::{DecodePrivateKey, EncodePrivateKey, LineEnding};
use rsa::signature::{SignatureEncoding, Signer, Verifier};
use rsa::traits::PublicKeyParts;
use rsa::{RsaPrivateKey, RsaPublicKey};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

/// Key problems.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("could not generate an RSA key: {0}")]
    Generate(rsa::Error),
    #[error("a saved signing key is unreadable ({0}); delete the --data directory to start over")]
    Decode(String),
}

/// One RSA key pair with its `kid`.
#[derive(Clone)]
pub struct Key {
    pub kid: String,
    private: RsaPrivateKey,
    pub created_at: i64,
}

impl std::fmt::Debug for Key {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Key")
            .field("kid", &self.kid)
            .field("private", &"[redacted]")
            .finish()
    }
}

impl Key {
    /// Generates a fresh 2048-bit key.
    pub fn generate(now: i64) -> Result<Self, KeyError> {
        let private =
            RsaPrivateKey::new(&mut rand::rngs::OsRng, 2048).map_err(KeyError::Generate)?;
        Ok(Self::from_private(private, now))
    }

    fn from_private(private: RsaPrivateKey, created_at: i64) -> Self {
        let digest = Sha256::digest(private.to_public_key().n().to_bytes_be());
        let kid = B64.encode(&digest[..16]);
        Self {
            kid,
            private,
            created_at,
        }
    }

    fn public(&self) -> RsaPublicKey {
        self.private.to_public_key()
    }

    /// This key as a JWK.
    pub fn jwk(&self) -> Value {
        let public = self.public();
        json!({
            "kty": "RSA",
            "use": "sig",
            "alg": "RS256",
            "kid": self.kid,
            "n": B64.encode(public.n().to_bytes_be()),
            "e": B64.encode(public.e().to_bytes_be()),
        })
    }

    /// Signs `claims` as a compact RS256 JWT.
    pub fn sign(&self, claims: &Value) -> String {
        let header = json!({"alg": "RS256", "typ": "JWT", "kid": self.kid});
        let signing_input = format!(
            "{}.{}",
            B64.encode(header.to_string()),
            B64.encode(claims.to_string())
        );
        let signer = SigningKey::<Sha256>::new(self.private.clone());
        let signature = signer.sign(signing_input.as_bytes());
        format!("{signing_input}.{}", B64.encode(signature.to_vec()))
    }

    fn verify(&self, signing_input: &str, signature: &[u8]) -> bool {
        let Ok(signature) = Signature::try_from(signature) else {
            return false;
        };
        VerifyingKey::<Sha256>::new(self.public())
            .verify(signing_input.as_bytes(), &signature)
            .is_ok()
    }
}

/// The current signing key plus earlier keys that stay published after a rotation.
#[derive(Debug, Clone)]
pub struct KeySet {
    pub current: Key,
    pub previous: Vec<Key>,
}

/// How a key set is saved with `--data` (the private key is PKCS#8 PEM; the data dir is the tenant's secret store).
#[derive(Serialize, Deserialize)]
pub struct SavedKey {
    kid: String,
    pkcs8_pem: String,
    created_at: i64,
}

impl std::fmt::Debug for SavedKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SavedKey([redacted])")
    }
}

impl KeySet {
    /// A key set with one freshly generated key.
    pub fn generate(now: i64) -> Result<Self, KeyError> {
        Ok(Self {
            current: Key::generate(now)?,
            previous: Vec::new(),
        })
    }

    /// Makes a new current key; the old one stays published (only the most recent previous key is kept).
    pub fn rotate(&mut self, now: i64) -> Result<(), KeyError> {
        let fresh = Key::generate(now)?;
        let old = std::mem::replace(&mut self.current, fresh);
        self.previous.insert(0, old);
        self.previous.truncate(1);
        Ok(())
    }

    /// The JWKS document.
    pub fn jwks(&self) -> Value {
        let keys: Vec<Value> = std::iter::once(&self.current)
            .chain(&self.previous)
            .map(Key::jwk)
            .collect();
        json!({ "keys": keys })
    }

    /// Verifies a compact JWT's RS256 signature against any published key and returns its claims.
    pub fn verify(&self, jwt: &str) -> Option<Value> {
        let mut parts = jwt.split('.');
        let (h, p, s) = (parts.next()?, parts.next()?, parts.next()?);
        if parts.next().is_some() {
            return None;
        }
        let header: Value = serde_json::from_slice(&B64.decode(h).ok()?).ok()?;
        if header.get("alg")?.as_str()? != "RS256" {
            return None;
        }
        let kid = header.get("kid")?.as_str()?;
        let key = std::iter::once(&self.current)
            .chain(&self.previous)
            .find(|k| k.kid == kid)?;
        let signature = B64.decode(s).ok()?;
        if !key.verify(&format!("{h}.{p}"), &signature) {
            return None;
        }
        serde_json::from_slice(&B64.decode(p).ok()?).ok()
    }

    /// For persistence.
    pub fn save(&self) -> Result<Vec<SavedKey>, KeyError> {
        std::iter::once(&self.current)
            .chain(&self.previous)
            .map(|k| {
                let pem = k
                    .private
                    .to_pkcs8_pem(LineEnding::LF)
                    .map_err(|e| KeyError::Decode(e.to_string()))?;
                Ok(SavedKey {
                    kid: k.kid.clone(),
                    pkcs8_pem: pem.to_string(),
                    created_at: k.created_at,
                })
            })
            .collect()
    }

    /// From persistence; the first key is the current one.
    pub fn load(saved: &[SavedKey]) -> Result<Self, KeyError> {
        let mut keys = saved.iter().map(|s| {
            let private = RsaPrivateKey::from_pkcs8_pem(&s.pkcs8_pem)
                .map_err(|e| KeyError::Decode(e.to_string()))?;
            let key = Key::from_private(private, s.created_at);
            if key.kid != s.kid {
                return Err(KeyError::Decode(format!(
                    "kid {} does not match its key",
                    s.kid
                )));
            }
            Ok(key)
        });
        let current = keys
            .next()
            .ok_or_else(|| KeyError::Decode("no keys saved".into()))??;
        let previous = keys.collect::<Result<Vec<_>, _>>()?;
        Ok(Self { current, previous })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signs_verifies_rotates_and_round_trips() {
        let mut set = KeySet::generate(1).unwrap();
        let token = set.current.sign(&json!({"sub": "x"}));
        assert_eq!(set.verify(&token).unwrap()["sub"], "x");
        let tampered = format!("{}x", &token[..token.len() - 1]);
        assert!(set.verify(&tampered).is_none() || tampered == token);
        let old_kid = set.current.kid.clone();
        set.rotate(2).unwrap();
        assert_ne!(set.current.kid, old_kid);
        let kids: Vec<_> = set.jwks()["keys"]
            .as_array()
            .unwrap()
            .iter()
            .map(|k| k["kid"].clone())
            .collect();
        assert_eq!(kids, vec![json!(set.current.kid), json!(old_kid)]);
        assert!(
            set.verify(&token).is_some(),
            "tokens of the previous key still verify"
        );
        let loaded = KeySet::load(&set.save().unwrap()).unwrap();
        assert_eq!(loaded.current.kid, set.current.kid);
        assert_eq!(loaded.previous[0].kid, old_kid);
        assert!(format!("{:?}", set.current).contains("redacted"));
    }
}
