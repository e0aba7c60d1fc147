//! The access token's claims, for showing (the app's QA view), judged by the token core's access-token profile
//! ([`orgpass_jose::AccessProfile`]), the very one the company's API guard decides with: RS256 with the issuer's
//! key from the JWKS cache, `typ`, `iss`, `aud`, `exp`, `nbf`, `iat`, `sub`, `org_id`. So what QA sees is what the
//! API accepts, or why it would not. The client never decides anything from these claims: for it the access token
//! stays opaque.

use orgpass_jose::{AccessError, AccessProfile, Presented};
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
    /// The JWKS could not be fetched.
    #[error("the issuer's keys could not be fetched: {0}")]
    Jwks(String),
    /// The company's API would refuse the token, for this reason (the guard's own words and check).
    #[error("the API would refuse it: {0}")]
    Refused(AccessError),
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
        // A bound session's token is judged as the API judges it with its proof: bound to the session's key.
        let presented = match &session.meta.dpop_jkt {
            Some(jkt) => Presented::Dpop { jkt },
            None => Presented::Bearer,
        };
        access_token_claims(
            session.access_token.secret(),
            &AccessProfile::new(meta.issuer.as_str(), audience, config.leeway),
            presented,
            &jwks,
            now,
        )
        .await
    }
}

/// Judges `token` with `profile` at `now`, the key from `jwks`, and returns its claims as sent.
pub async fn access_token_claims(
    token: &str,
    profile: &AccessProfile,
    presented: Presented<'_>,
    jwks: &JwksCache,
    now: i64,
) -> Result<Map<String, Value>, AccessClaimsError> {
    let jws = profile.parse(token).map_err(AccessClaimsError::Refused)?;
    let key = jwks
        .key(jws.kid(), AccessProfile::ALG)
        .await
        .map_err(|e| match e.token_fault() {
            Ok(missing) => AccessClaimsError::Refused(missing.into()),
            Err(unavailable) => AccessClaimsError::Jwks(unavailable.to_string()),
        })?;
    profile
        .check_presented(jws, &key, now, presented)
        .map(|claims| claims.all)
        .map_err(AccessClaimsError::Refused)
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

    /// One row per way the API would refuse the token (named by the guard's own check); the good token's claims
    /// come back whole.
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
        let rows: Vec<(&str, String, Option<&str>)> = vec![
            ("good", token(&a, rs, "at+jwt", &good()), None),
            ("typ JWT", token(&a, rs, "JWT", &good()), None),
            ("HS256 with the public key", token(&a, Algorithm::HS256, "JWT", &good()), Some("alg")),
            ("an ID token's typ", token(&a, rs, "id+jwt", &good()), Some("typ")),
            ("unknown kid", forged, Some("kid")),
            ("another key under our kid", b_as_a, Some("signature")),
            ("wrong iss", token(&a, rs, "JWT", &with(|c| c["iss"] = json!("https://evil.example/"))), Some("iss")),
            ("for another API", token(&a, rs, "JWT", &with(|c| c["aud"] = json!("https://other.example/"))), Some("aud")),
            ("expired beyond the leeway", token(&a, rs, "JWT", &with(|c| c["exp"] = json!(NOW - 61))), Some("exp")),
            ("expired within the leeway", token(&a, rs, "JWT", &with(|c| c["exp"] = json!(NOW - 59))), None),
            // What the QA view used to skip, and the API never did.
            ("not valid yet", token(&a, rs, "JWT", &with(|c| c["nbf"] = json!(NOW + 61))), Some("nbf")),
            ("issued in the future", token(&a, rs, "JWT", &with(|c| c["iat"] = json!(NOW + 61))), Some("iat")),
            ("no organization", token(&a, rs, "JWT", &with(|c| drop(c.as_object_mut().unwrap().remove("org_id")))), Some("org_id")),
            ("opaque", "opaque-token".into(), Some("malformed")),
        ];
        let profile = AccessProfile::new(ISS, API, std::time::Duration::from_secs(60));
        for (name, t, want) in rows {
            let got = access_token_claims(&t, &profile, Presented::Bearer, &jwks, NOW).await;
            match want {
                None => assert_eq!(got.expect(name)["org_id"], "org_A", "{name}"),
                Some(check) => match got.expect_err(name) {
                    AccessClaimsError::Refused(e) => assert_eq!(e.check(), check, "{name}: {e}"),
                    other => panic!("{name}: {other}"),
                },
            }
        }
    }
}
