//! Test signing keys (RSA-2048 made with the `rsa` crate, once per test binary) and token minting with any
//! header: the real RS256 signature, HS256 keyed with the public key, or none at all.

use std::sync::OnceLock;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use jsonwebtoken::{Algorithm, EncodingKey};
use rsa::RsaPrivateKey;
use rsa::pkcs1::EncodeRsaPrivateKey;
use rsa::pkcs8::{EncodePublicKey, LineEnding};
use rsa::traits::PublicKeyParts;
use serde_json::{Value, json};

/// One RSA key pair and the `kid` it is published under.
pub struct TestKey {
    pub kid: String,
    encoding: EncodingKey,
    public_pem: String,
    n: String,
    e: String,
}

impl TestKey {
    fn generate(kid: &str) -> Self {
        let private = RsaPrivateKey::new(&mut rand::rngs::OsRng, 2048).expect("RSA key generation");
        let pem = private.to_pkcs1_pem(LineEnding::LF).expect("PKCS#1 PEM");
        let public = private.to_public_key();
        Self {
            kid: kid.to_owned(),
            encoding: EncodingKey::from_rsa_pem(pem.as_bytes()).expect("encoding key"),
            public_pem: public
                .to_public_key_pem(LineEnding::LF)
                .expect("public PEM"),
            n: B64.encode(public.n().to_bytes_be()),
            e: B64.encode(public.e().to_bytes_be()),
        }
    }

    /// This key as a JWK.
    pub fn jwk(&self) -> Value {
        json!({"kty": "RSA", "use": "sig", "alg": "RS256", "kid": self.kid, "n": self.n, "e": self.e})
    }

    /// An RS256 access token with the usual header (`typ` `at+jwt`, this key's `kid`).
    pub fn sign(&self, claims: &Value) -> String {
        self.sign_with_header(
            &json!({"alg": "RS256", "typ": "at+jwt", "kid": self.kid}),
            claims,
        )
    }

    /// `header` and `claims` signed RS256 with this key, whatever the header says.
    pub fn sign_with_header(&self, header: &Value, claims: &Value) -> String {
        let input = signing_input(header, claims);
        let signature =
            jsonwebtoken::crypto::sign(input.as_bytes(), &self.encoding, Algorithm::RS256)
                .expect("RS256 signature");
        format!("{input}.{signature}")
    }

    /// The classic confusion attack: HS256 "signed" with this key's public PEM as the HMAC secret.
    pub fn hs256_with_public_key(&self, claims: &Value) -> String {
        let header = json!({"alg": "HS256", "typ": "JWT", "kid": self.kid});
        let input = signing_input(&header, claims);
        let secret = EncodingKey::from_secret(self.public_pem.as_bytes());
        let signature =
            jsonwebtoken::crypto::sign(input.as_bytes(), &secret, Algorithm::HS256).expect("HMAC");
        format!("{input}.{signature}")
    }
}

/// `alg: none` with an empty signature.
pub fn unsigned(kid: &str, claims: &Value) -> String {
    let header = json!({"alg": "none", "typ": "JWT", "kid": kid});
    format!("{}.", signing_input(&header, claims))
}

fn signing_input(header: &Value, claims: &Value) -> String {
    format!(
        "{}.{}",
        B64.encode(header.to_string()),
        B64.encode(claims.to_string())
    )
}

/// The keys of this test binary: the tenant's, an attacker's, and the tenant's next one (after rotation).
pub struct Keys {
    pub tenant: TestKey,
    pub attacker: TestKey,
    pub rotated: TestKey,
}

pub fn keys() -> &'static Keys {
    static KEYS: OnceLock<Keys> = OnceLock::new();
    KEYS.get_or_init(|| Keys {
        tenant: TestKey::generate("tenant-key-1"),
        // Signs under the tenant's kid: only the signature check can tell.
        attacker: TestKey::generate("tenant-key-1"),
        rotated: TestKey::generate("tenant-key-2"),
    })
}
