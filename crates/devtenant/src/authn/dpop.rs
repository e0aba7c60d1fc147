//! DPoP at the token endpoint, as Auth0 does it (RFC 9449; `FRONTIER_FACTS.md`): a `DPoP` proof on a token request
//! binds the access token to the proof's key (`cnf.jkt`, `token_type: DPoP`) and, for a public client, the refresh
//! token too; a public client must put the server's nonce in its proof (the first request gets
//! `use_dpop_nonce` and a `DPoP-Nonce`). Written here, apart from the guard's and the engine's token core: a bug
//! shared by both sides would pass every test.
//!
//! Readings chosen where Auth0 leaves it open: the nonce rotates every 5 minutes and the previous one is still
//! taken; a proof's `iat` may be 60 s off either way; a `jti` is refused a second time within 5 minutes.

use std::collections::HashMap;

use axum::http::{HeaderMap, StatusCode};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::error::OAuthError;
use crate::store::Client;

/// How far a proof's `iat` may be from the server's clock.
const IAT_WINDOW: i64 = 60;
/// How long a nonce is handed out (the previous one is still taken).
const NONCE_LIFETIME: i64 = 300;
/// How long a `jti` is remembered.
const JTI_MEMORY: i64 = 300;

/// The server nonces and the proofs seen.
#[derive(Debug, Default)]
pub struct DpopState {
    nonce: String,
    previous: String,
    issued_at: i64,
    seen: HashMap<String, i64>,
}

impl DpopState {
    /// The nonce to hand out now (a new one every [`NONCE_LIFETIME`]).
    fn current_nonce(&mut self, now: i64) -> String {
        if self.nonce.is_empty() || now - self.issued_at >= NONCE_LIFETIME {
            self.previous = std::mem::take(&mut self.nonce);
            self.nonce = crate::store::random_token(16);
            self.issued_at = now;
        }
        self.nonce.clone()
    }
}

fn invalid(description: impl Into<String>) -> OAuthError {
    OAuthError::new(StatusCode::BAD_REQUEST, "invalid_dpop_proof", description)
}

/// The proof of a request to `endpoint_url` (the token or the revocation endpoint), checked: `None` without a `DPoP`
/// header, else the key's RFC 7638 thumbprint.
pub fn check(
    state: &mut DpopState,
    headers: &HeaderMap,
    endpoint_url: &str,
    client: &Client,
    now: i64,
) -> Result<Option<String>, OAuthError> {
    let mut values = headers.get_all("dpop").iter();
    let proof = match (values.next(), values.next()) {
        (None, _) => return Ok(None),
        (Some(v), None) => v
            .to_str()
            .map_err(|_| invalid("The DPoP header is not ASCII"))?,
        (Some(_), Some(_)) => return Err(invalid("Multiple DPoP headers")),
    };
    let mut parts = proof.split('.');
    let header: Value = parts
        .next()
        .and_then(|h| B64.decode(h).ok())
        .and_then(|h| serde_json::from_slice(&h).ok())
        .ok_or_else(|| invalid("Invalid DPoP proof header"))?;
    if header["typ"] != "dpop+jwt" {
        return Err(invalid("Invalid DPoP proof: typ must be dpop+jwt"));
    }
    if header["alg"] != "ES256" {
        return Err(invalid("Invalid DPoP proof: unsupported alg"));
    }
    let jwk = &header["jwk"];
    if jwk["kty"] != "EC" || jwk["crv"] != "P-256" || jwk.get("d").is_some() {
        return Err(invalid(
            "Invalid DPoP proof: jwk must be a public P-256 key",
        ));
    }
    let key: jsonwebtoken::jwk::Jwk = serde_json::from_value(jwk.clone())
        .map_err(|_| invalid("Invalid DPoP proof: unreadable jwk"))?;
    let key = jsonwebtoken::DecodingKey::from_jwk(&key)
        .map_err(|_| invalid("Invalid DPoP proof: unreadable jwk"))?;
    let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::ES256);
    validation.validate_exp = false;
    validation.validate_aud = false;
    validation.required_spec_claims.clear();
    let claims = jsonwebtoken::decode::<Value>(proof, &key, &validation)
        .map_err(|_| invalid("Invalid DPoP proof: signature"))?
        .claims;
    let jti = claims["jti"]
        .as_str()
        .filter(|j| !j.is_empty())
        .ok_or_else(|| invalid("Invalid DPoP proof: jti"))?;
    if claims["htm"] != "POST" {
        return Err(invalid("Invalid DPoP proof: htm"));
    }
    if claims["htu"].as_str() != Some(endpoint_url) {
        return Err(invalid("Invalid DPoP proof: htu"));
    }
    let iat = claims["iat"]
        .as_i64()
        .ok_or_else(|| invalid("Invalid DPoP proof: iat"))?;
    if (iat - now).abs() > IAT_WINDOW {
        return Err(invalid(
            "Invalid DPoP proof: iat is too far from the server's time",
        ));
    }
    if client.is_public() {
        let current = state.current_nonce(now);
        let sent = claims["nonce"].as_str();
        if sent != Some(current.as_str())
            && (state.previous.is_empty() || sent != Some(state.previous.as_str()))
        {
            return Err(OAuthError::use_dpop_nonce(current));
        }
    }
    let jkt = thumbprint(jwk);
    state.seen.retain(|_, until| *until > now);
    let seen_key = format!("{jkt}.{jti}");
    if state.seen.contains_key(&seen_key) {
        return Err(invalid("Invalid DPoP proof: jti was used before"));
    }
    state.seen.insert(seen_key, now + JTI_MEMORY);
    Ok(Some(jkt))
}

/// RFC 7638 thumbprint of a P-256 JWK: SHA-256 of `{"crv","kty","x","y"}` in that order, base64url.
pub fn thumbprint(jwk: &Value) -> String {
    let canonical = format!(
        r#"{{"crv":{},"kty":"EC","x":{},"y":{}}}"#,
        jwk["crv"], jwk["x"], jwk["y"]
    );
    B64.encode(Sha256::digest(canonical.as_bytes()))
}
