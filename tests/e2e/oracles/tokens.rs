//! Keys and hand-made JWS for the oracle corpora: every header and signature byte under the test's control, so
//! hostile tokens (alg `none`, HS256 keyed with the public key, `crit`, an embedded key, a tampered payload) are
//! exactly what their names say.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rsa::pkcs1v15::SigningKey;
use rsa::pkcs8::EncodePublicKey;
use rsa::signature::{SignatureEncoding, Signer};
use rsa::traits::PublicKeyParts;
use serde_json::{Value, json};

pub fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// An RSA key with its `kid`.
pub struct Key {
    pub kid: &'static str,
    private: rsa::RsaPrivateKey,
}

impl Key {
    pub fn new(kid: &'static str, bits: usize) -> Self {
        let private = rsa::RsaPrivateKey::new(&mut rand::thread_rng(), bits).expect("an RSA key");
        Self { kid, private }
    }

    /// The public JWK, as an issuer publishes it.
    pub fn jwk(&self) -> Value {
        let public = self.private.to_public_key();
        json!({"kty": "RSA", "use": "sig", "alg": "RS256", "kid": self.kid,
               "n": b64(&public.n().to_bytes_be()), "e": b64(&public.e().to_bytes_be())})
    }

    /// The public key's PEM (SPKI): what an HS256 confusion attack keys its MAC with.
    pub fn public_pem(&self) -> String {
        self.private
            .to_public_key()
            .to_public_key_pem(rsa::pkcs8::LineEnding::LF)
            .unwrap()
    }

    /// `header.claims` signed RS256 with this key.
    pub fn sign(&self, header: &Value, claims: &Value) -> String {
        let input = signing_input(header, claims);
        let signer = SigningKey::<sha2::Sha256>::new(self.private.clone());
        format!("{input}.{}", b64(&signer.sign(input.as_bytes()).to_bytes()))
    }
}

/// `b64(header).b64(claims)`.
pub fn signing_input(header: &Value, claims: &Value) -> String {
    format!(
        "{}.{}",
        b64(header.to_string().as_bytes()),
        b64(claims.to_string().as_bytes())
    )
}

/// `claims` MACed HS256 with `secret` under `kid` and `typ` (the algorithm-confusion attack, keyed with the
/// issuer's public key).
pub fn hs256(kid: &str, typ: &str, claims: &Value, secret: &[u8]) -> String {
    let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256);
    header.kid = Some(kid.to_owned());
    header.typ = Some(typ.to_owned());
    jsonwebtoken::encode(
        &header,
        claims,
        &jsonwebtoken::EncodingKey::from_secret(secret),
    )
    .unwrap()
}

/// `header.claims.` with `signature` (an unsigned or garbage-signed token).
pub fn with_signature(header: &Value, claims: &Value, signature: &[u8]) -> String {
    format!("{}.{}", signing_input(header, claims), b64(signature))
}

/// A token whose payload was changed after signing.
pub fn tampered(token: &str, claims: &Value) -> String {
    let mut parts: Vec<String> = token.split('.').map(str::to_owned).collect();
    parts[1] = b64(claims.to_string().as_bytes());
    parts.join(".")
}

/// The current time, UNIX seconds.
pub fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}
