//! Test-only RSA keys and an Auth0-shaped ID token minter, shared by unit tests, the engine tests and the bench.
#![allow(dead_code)]

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use rsa::pkcs8::DecodePrivateKey;
use rsa::traits::PublicKeyParts;
use serde_json::{Value, json};

/// A throwaway RSA key (generated for these tests only; it protects nothing).
pub struct TestKey {
    pub kid: &'static str,
    pub pem: &'static str,
    pub n: String,
    pub e: String,
}

impl TestKey {
    fn load(kid: &'static str, pem: &'static str) -> Self {
        let key = rsa::RsaPrivateKey::from_pkcs8_pem(pem).expect("test key parses");
        let b64 = |b: Vec<u8>| URL_SAFE_NO_PAD.encode(b);
        Self {
            kid,
            pem,
            n: b64(key.n().to_bytes_be()),
            e: b64(key.e().to_bytes_be()),
        }
    }

    /// Key A (the issuer's key in most tests).
    pub fn a() -> Self {
        Self::load("key-a", include_str!("rsa_a.pem"))
    }

    /// Key B (an attacker's or a rotated key).
    pub fn b() -> Self {
        Self::load("key-b", include_str!("rsa_b.pem"))
    }

    /// This key as a JWK.
    pub fn jwk(&self) -> Value {
        json!({"kty": "RSA", "use": "sig", "alg": "RS256", "kid": self.kid, "n": self.n, "e": self.e})
    }

    /// Sign `claims` with RS256 and this key's kid.
    pub fn sign(&self, claims: &Value) -> String {
        let mut header = Header::new(Algorithm::RS256);
        header.kid = Some(self.kid.to_owned());
        self.sign_with(header, claims)
    }

    /// Sign with an explicit header.
    pub fn sign_with(&self, header: Header, claims: &Value) -> String {
        let key = EncodingKey::from_rsa_pem(self.pem.as_bytes()).expect("test key");
        jsonwebtoken::encode(&header, claims, &key).expect("sign")
    }
}

/// A JWKS document with these keys.
pub fn jwks(keys: &[&TestKey]) -> String {
    json!({"keys": keys.iter().map(|k| k.jwk()).collect::<Vec<_>>()}).to_string()
}

/// The claims of an Auth0 ID token for an organization member.
pub fn auth0_claims(issuer: &str, client_id: &str, nonce: &str, org_id: &str, now: i64) -> Value {
    json!({
        "iss": issuer,
        "sub": "auth0|6543a1b2c3d4e5f6a7b8c9d0",
        "aud": client_id,
        "iat": now,
        "exp": now + 36000,
        "sid": "hY5Pq3g8sP0aZkVf1nQxW7mU2cR9tL4e",
        "nonce": nonce,
        "org_id": org_id,
        "org_name": "acme",
        "email": "ada@acme.example",
        "email_verified": true,
        "name": "Ada Lovelace",
        "nickname": "ada",
        "picture": "https://s.gravatar.com/avatar/0f1e2d3c4b5a69788796a5b4c3d2e1f0?s=480&r=pg&d=https%3A%2F%2Fcdn.auth0.com%2Favatars%2Fad.png",
        "updated_at": "2026-11-27T09:12:33.000Z"
    })
}

/// Unsigned token with `alg: none`.
pub fn alg_none(claims: &Value) -> String {
    let h = URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT"}"#);
    let c = URL_SAFE_NO_PAD.encode(claims.to_string());
    format!("{h}.{c}.")
}

/// HS256 token whose HMAC secret is the RSA public key's PEM (the classic key-confusion attack).
pub fn hs256_with_public_key(key: &TestKey, claims: &Value) -> String {
    let mut header = Header::new(Algorithm::HS256);
    header.kid = Some(key.kid.to_owned());
    jsonwebtoken::encode(&header, claims, &EncodingKey::from_secret(key.n.as_bytes()))
        .expect("sign")
}
