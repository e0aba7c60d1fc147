//! The access token's claims, for showing (the app's QA view), verified as the company's API verifies them: RS256
//! with the issuer's key from our JWKS cache, `iss` exactly the issuer, `aud` containing the configured API, not
//! expired. So what QA sees is what the API accepts, or why it would not. The client never decides anything from
//! these claims: for it the access token stays opaque.

use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Map, Value};

use crate::discovery::JwksCache;
use crate::{Client, Session};

/// Why the access token's claims cannot be shown as verified.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AccessClaimsError {
    /// No API audience is configured, so the tenant issued a token only for `/userinfo` (opaque at Auth0).
    #[error(
        "no API audience is configured, so the access token is only for the tenant's /userinfo (opaque); set \
         `audience` to your API's identifier to get one for it"
    )]
    NoAudience,
    /// Not three base64url parts with a JSON header and payload.
    #[error("the access token is not a JWT ({0}); Auth0 issues JWTs for APIs with an identifier")]
    NotJwt(&'static str),
    /// A header `alg` other than RS256.
    #[error("the access token is signed with {0}, not RS256; the API would refuse it")]
    Algorithm(String),
    /// A header `typ` that is not an access token's.
    #[error("the token's typ is {0}, not at+jwt or JWT")]
    Type(String),
    /// No key of the issuer's has the token's `kid`.
    #[error("none of the issuer's keys has the token's kid ({0}); the API would refuse it")]
    UnknownKid(String),
    /// The JWKS could not be fetched.
    #[error("the issuer's keys could not be fetched: {0}")]
    Jwks(String),
    /// The signature does not verify.
    #[error("the access token's signature does not verify with the issuer's key")]
    Signature,
    /// `iss` is not the issuer.
    #[error("the access token's iss is {got}, not {want}")]
    Issuer { got: String, want: String },
    /// `aud` does not contain the configured API.
    #[error("the access token's aud ({got}) does not contain the configured API {want}")]
    Audience { got: String, want: String },
    /// Expired beyond the leeway.
    #[error("the access token expired (exp {exp}, now {now}); it is renewed when next used")]
    Expired { exp: i64, now: i64 },
}

impl Client {
    /// The claims of `session`'s access token, verified for its API audience now (the client's clock).
    pub async fn access_claims(
        &self,
        session: &Session,
    ) -> Result<Map<String, Value>, AccessClaimsError> {
        let now = self.now();
        let config = self.config();
        let audience = session
            .meta
            .audience
            .as_deref()
            .or(config.audience.as_deref())
            .ok_or(AccessClaimsError::NoAudience)?;
        let meta = self
            .metadata()
            .await
            .map_err(|e| AccessClaimsError::Jwks(e.to_string()))?;
        let jwks = self
            .jwks()
            .await
            .map_err(|e| AccessClaimsError::Jwks(e.to_string()))?;
        access_token_claims(
            session.access_token.secret(),
            &meta.issuer,
            audience,
            &jwks,
            config.leeway,
            now,
        )
        .await
    }
}

/// Verifies `token` for `audience` at `now` and returns its claims.
pub async fn access_token_claims(
    token: &str,
    issuer: &str,
    audience: &str,
    jwks: &JwksCache,
    leeway: Duration,
    now: i64,
) -> Result<Map<String, Value>, AccessClaimsError> {
    let kid = header_kid(token)?;
    let key = jwks
        .key(kid.as_deref())
        .await
        .map_err(|e| AccessClaimsError::Jwks(e.to_string()))?
        .ok_or_else(|| AccessClaimsError::UnknownKid(kid.unwrap_or_else(|| "none".into())))?;
    // The signature only; the claims are checked below, each with its own message.
    let claims = match crate::verify::rs256_payload(token, &key) {
        Ok(data) => match data.claims {
            Value::Object(map) => map,
            _ => return Err(AccessClaimsError::NotJwt("claims are not a JSON object")),
        },
        Err(e) if *e.kind() == jsonwebtoken::errors::ErrorKind::InvalidSignature => {
            return Err(AccessClaimsError::Signature);
        }
        Err(_) => return Err(AccessClaimsError::NotJwt("undecodable")),
    };
    let iss = claims.get("iss").and_then(Value::as_str).unwrap_or("");
    if iss != issuer {
        return Err(AccessClaimsError::Issuer {
            got: iss.to_owned(),
            want: issuer.to_owned(),
        });
    }
    let auds: Vec<&str> = match claims.get("aud") {
        Some(Value::String(s)) => vec![s.as_str()],
        Some(Value::Array(a)) => a.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    };
    if !auds.contains(&audience) {
        return Err(AccessClaimsError::Audience {
            got: auds.join(","),
            want: audience.to_owned(),
        });
    }
    let exp = claims.get("exp").and_then(Value::as_i64).unwrap_or(0);
    let leeway = leeway.min(crate::config::MAX_LEEWAY).as_secs() as i64;
    if exp.saturating_add(leeway) <= now {
        return Err(AccessClaimsError::Expired { exp, now });
    }
    Ok(claims)
}

/// The header's `kid`, after checking `alg` is RS256 and `typ` (when present) an access token's.
fn header_kid(token: &str) -> Result<Option<String>, AccessClaimsError> {
    let mut parts = token.split('.');
    let (Some(header), Some(_), Some(_), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(AccessClaimsError::NotJwt("not three parts"));
    };
    let header: Value = URL_SAFE_NO_PAD
        .decode(header)
        .ok()
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .ok_or(AccessClaimsError::NotJwt(
            "the header is not base64url JSON",
        ))?;
    match header.get("alg").and_then(Value::as_str) {
        Some("RS256") => {}
        other => {
            return Err(AccessClaimsError::Algorithm(
                other.unwrap_or("none").to_owned(),
            ));
        }
    }
    match header.get("typ").and_then(Value::as_str) {
        None => {}
        Some(t) if t.eq_ignore_ascii_case("at+jwt") || t.eq_ignore_ascii_case("JWT") => {}
        Some(t) => return Err(AccessClaimsError::Type(t.to_owned())),
    }
    Ok(header.get("kid").and_then(Value::as_str).map(str::to_owned))
}

#[cfg(test)]
mod tests {
    use jsonwebtoken::Algorithm;
    use serde_json::json;

    use super::*;
    use crate::discovery::JwksFuture;
    use crate::test_support::{self as support, TestKey};

    const ISS: &str = "https://acme.example/";
    const API: &str = "https://api.acme.example/";
    const NOW: i64 = 1_800_000_000;

    fn token(key: &TestKey, alg: Algorithm, typ: &str, claims: &Value) -> String {
        let mut h = jsonwebtoken::Header::new(alg);
        h.kid = Some(key.kid.to_owned());
        h.typ = Some(typ.to_owned());
        if alg == Algorithm::RS256 {
            key.sign_with(h, claims)
        } else {
            support::hs256_with_public_key(key, claims)
        }
    }

    fn good() -> Value {
        json!({"iss": ISS, "sub": "auth0|a", "aud": [API, format!("{ISS}userinfo")], "exp": NOW + 600,
               "iat": NOW, "org_id": "org_A", "scope": "openid read:projects"})
    }

    fn with(f: impl FnOnce(&mut Value)) -> Value {
        let mut c = good();
        f(&mut c);
        c
    }

    /// One row per way the API would refuse the token; the good token's claims come back whole.
    #[tokio::test]
    async fn verified_like_the_api_does() {
        let (a, b) = (TestKey::a(), TestKey::b());
        let doc = support::jwks(&[&a]).into_bytes();
        let jwks = JwksCache::new(move || -> JwksFuture {
            let body = doc.clone();
            Box::pin(async move { Ok(body.into()) })
        });
        let rs = Algorithm::RS256;
        let forged = token(&b, rs, "at+jwt", &good());
        let b_as_a = {
            let mut h = jsonwebtoken::Header::new(rs);
            h.kid = Some("key-a".into());
            b.sign_with(h, &good())
        };
        #[rustfmt::skip]
        let rows: Vec<(&str, String, Result<(), AccessClaimsError>)> = vec![
            ("good", token(&a, rs, "at+jwt", &good()), Ok(())),
            ("typ JWT", token(&a, rs, "JWT", &good()), Ok(())),
            ("HS256 with the public key", token(&a, Algorithm::HS256, "JWT", &good()), Err(AccessClaimsError::Algorithm("HS256".into()))),
            ("an ID token's typ", token(&a, rs, "id+jwt", &good()), Err(AccessClaimsError::Type("id+jwt".into()))),
            ("unknown kid", forged, Err(AccessClaimsError::UnknownKid("key-b".into()))),
            ("another key under our kid", b_as_a, Err(AccessClaimsError::Signature)),
            ("wrong iss", token(&a, rs, "JWT", &with(|c| c["iss"] = json!("https://evil.example/"))),
             Err(AccessClaimsError::Issuer { got: "https://evil.example/".into(), want: ISS.into() })),
            ("for another API", token(&a, rs, "JWT", &with(|c| c["aud"] = json!("https://other.example/"))),
             Err(AccessClaimsError::Audience { got: "https://other.example/".into(), want: API.into() })),
            ("expired beyond the leeway", token(&a, rs, "JWT", &with(|c| c["exp"] = json!(NOW - 61))),
             Err(AccessClaimsError::Expired { exp: NOW - 61, now: NOW })),
            ("expired within the leeway", token(&a, rs, "JWT", &with(|c| c["exp"] = json!(NOW - 59))), Ok(())),
            ("opaque", "opaque-token".into(), Err(AccessClaimsError::NotJwt("not three parts"))),
        ];
        for (name, t, want) in rows {
            let got = access_token_claims(&t, ISS, API, &jwks, Duration::from_secs(60), NOW).await;
            match want {
                Ok(()) => assert_eq!(got.expect(name)["org_id"], "org_A", "{name}"),
                Err(e) => assert_eq!(got.expect_err(name), e, "{name}"),
            }
        }
    }
}
