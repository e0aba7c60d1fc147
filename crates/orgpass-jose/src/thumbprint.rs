//! RFC 7638 JWK thumbprints: the SHA-256 of a public key's required members in lexicographic order, without
//! whitespace, base64url-encoded. DPoP binds tokens to a key by this value (`cnf.jkt`, `dpop_jkt`).

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};

/// Why a JWK has no thumbprint.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ThumbprintError {
    #[error("the key has no `{0}`, which its thumbprint needs")]
    Missing(&'static str),
    #[error("the key type `{0}` has no thumbprint here (RSA and EC only)")]
    KeyType(String),
}

/// The RFC 7638 §3 thumbprint (SHA-256, base64url) of an RSA or EC public JWK.
pub fn thumbprint(jwk: &serde_json::Value) -> Result<String, ThumbprintError> {
    let member = |name: &'static str| {
        jwk.get(name)
            .and_then(|v| v.as_str())
            .ok_or(ThumbprintError::Missing(name))
    };
    // §3.2: the required members only, in lexicographic order, as JSON strings without whitespace.
    let canonical = match member("kty")? {
        "RSA" => format!(
            r#"{{"e":{},"kty":"RSA","n":{}}}"#,
            quoted(member("e")?),
            quoted(member("n")?)
        ),
        "EC" => format!(
            r#"{{"crv":{},"kty":"EC","x":{},"y":{}}}"#,
            quoted(member("crv")?),
            quoted(member("x")?),
            quoted(member("y")?)
        ),
        other => return Err(ThumbprintError::KeyType(other.to_owned())),
    };
    Ok(URL_SAFE_NO_PAD.encode(Sha256::digest(canonical.as_bytes())))
}

fn quoted(s: &str) -> String {
    serde_json::Value::String(s.to_owned()).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// RFC 7638 §3.1's example key and thumbprint.
    #[test]
    fn rfc_7638_example() {
        let jwk = json!({
            "kty": "RSA",
            "n": "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw",
            "e": "AQAB",
            "alg": "RS256",
            "kid": "2011-04-29"
        });
        assert_eq!(
            thumbprint(&jwk).unwrap(),
            "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"
        );
    }

    #[test]
    fn keys_without_a_thumbprint() {
        assert_eq!(
            thumbprint(&json!({"kty": "oct", "k": "x"})),
            Err(ThumbprintError::KeyType("oct".into()))
        );
        assert_eq!(
            thumbprint(&json!({"kty": "EC", "crv": "P-256", "x": "x"})),
            Err(ThumbprintError::Missing("y"))
        );
    }
}
