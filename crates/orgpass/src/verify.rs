//! ID token verification: one function per OIDC Core 3.1.3.7 step, plus Auth0's organization rules.
//!
//! The algorithm is fixed by the client (RS256) and the key is chosen by `kid` from our own JWKS cache;
//! the token header is read only to refuse it or to look up the `kid`, never to pick an algorithm or key.

use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde_json::Value;

use crate::discovery::{DiscoveryError, JwksCache, KeySet};

/// Why an ID token was refused. Each message names the check that failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdTokenError {
    #[error("ID token rejected: malformed token ({0})")]
    Malformed(String),
    #[error("ID token rejected: alg is {0}, but this client accepts only RS256")]
    Algorithm(String),
    #[error(
        "ID token rejected: typ is {0}, which marks another kind of token (an ID token has typ JWT or none; \
         at+jwt is an access token, RFC 9068)"
    )]
    Type(String),
    #[error("ID token rejected: kid {0} is not in the issuer's JWKS (even after refetching it)")]
    UnknownKid(String),
    #[error("ID token rejected: the issuer's key {kid} is not used: {reason}")]
    RefusedKey { kid: String, reason: String },
    #[error(
        "ID token rejected: the token has no kid and the issuer's JWKS does not have exactly one key"
    )]
    NoKid,
    #[error("ID token rejected: signature does not verify with the issuer's key")]
    Signature,
    #[error("ID token rejected: {0} claim is missing or not of the right type")]
    MissingClaim(&'static str),
    #[error("ID token rejected: iss is {got}, expected {want}")]
    Issuer { got: String, want: String },
    #[error("ID token rejected: aud is {got}, which does not contain client id {want}")]
    Audience { got: String, want: String },
    #[error("ID token rejected: aud has several audiences ({0}) but no azp")]
    AzpMissing(String),
    #[error("ID token rejected: azp is {got}, expected client id {want}")]
    Azp { got: String, want: String },
    #[error(
        "ID token rejected: expired (exp {exp} is before now {now} minus {leeway}s leeway); check the computer's clock"
    )]
    Expired { exp: i64, now: i64, leeway: u64 },
    #[error(
        "ID token rejected: iat {iat} is in the future (now {now}, leeway {leeway}s); check the computer's clock"
    )]
    IssuedInFuture { iat: i64, now: i64, leeway: u64 },
    #[error("ID token rejected: nonce is missing, expected the one sent in the request")]
    NonceMissing,
    #[error("ID token rejected: nonce does not match the one sent in the request")]
    NonceMismatch,
    #[error("ID token rejected: org_id claim is missing, expected {0}")]
    OrgIdMissing(String),
    #[error("ID token rejected: org_id is {got}, expected {want}")]
    OrgId { got: String, want: String },
    #[error("ID token rejected: org_name claim is missing, expected {0}")]
    OrgNameMissing(String),
    #[error("ID token rejected: org_name is {got}, expected {want}")]
    OrgName { got: String, want: String },
    #[error(
        "ID token rejected: org_id claim is missing; the token must name the organization it was issued for"
    )]
    OrgIdRequired,
    #[error(
        "ID token rejected: sub is {got}, expected {want} (the refreshed token is for another user)"
    )]
    Subject { got: String, want: String },
    #[error("could not fetch the issuer's keys: {0}")]
    Jwks(String),
}

/// What the token's organization claims must say.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OrgCheck {
    /// An ID was requested: `org_id` must equal it.
    Id(String),
    /// A name was requested: `org_name` must equal it (lowercased) and `org_id` must be present.
    Name(String),
    /// Nothing requested: `org_id` recorded if present; required when `required`.
    Any { required: bool },
    /// Refresh of an existing session: `org_id` must equal the session's (or stay absent).
    Same(Option<String>),
}

/// What the client expects of one ID token.
#[derive(Debug, Clone)]
pub struct Expected<'a> {
    /// The nonce sent in the authorization request (`None` on refresh).
    pub nonce: Option<&'a str>,
    /// Organization rule.
    pub org: OrgCheck,
    /// On refresh, the session's `sub`.
    pub sub: Option<&'a str>,
}

/// The claims we use from a verified ID token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdClaims {
    pub sub: String,
    pub exp: i64,
    pub iat: i64,
    pub org_id: Option<String>,
    pub org_name: Option<String>,
    pub email: Option<String>,
    pub name: Option<String>,
    pub picture: Option<String>,
}

/// Verifies ID tokens for one issuer and client.
#[derive(Debug, Clone)]
pub struct IdTokenVerifier {
    issuer: String,
    client_id: String,
    leeway: Duration,
}

impl IdTokenVerifier {
    /// `issuer` exactly as discovery states it; `client_id` of this native app. `leeway` is capped at
    /// [`MAX_LEEWAY`](crate::config::MAX_LEEWAY).
    pub fn new(issuer: impl Into<String>, client_id: impl Into<String>, leeway: Duration) -> Self {
        Self {
            issuer: issuer.into(),
            client_id: client_id.into(),
            leeway: leeway.min(crate::config::MAX_LEEWAY),
        }
    }

    /// Verify `token` at time `now`, fetching keys through `jwks` (one refetch on an unknown kid).
    pub async fn verify(
        &self,
        token: &str,
        expected: &Expected<'_>,
        jwks: &JwksCache,
        now: i64,
    ) -> Result<IdClaims, IdTokenError> {
        let kid = self.step7_algorithm(token)?;
        let key = jwks
            .key(kid.as_deref())
            .await
            .map_err(|e: DiscoveryError| IdTokenError::Jwks(e.to_string()))?;
        let key = key.ok_or_else(|| missing_key(kid.as_deref(), |k| jwks.refusal(k)))?;
        self.verify_with_key(token, &key, expected, now)
    }

    /// Verify against an already fetched key set (no I/O; used by the benchmark with a warm cache).
    pub fn verify_with_keys(
        &self,
        token: &str,
        keys: &KeySet,
        expected: &Expected<'_>,
        now: i64,
    ) -> Result<IdClaims, IdTokenError> {
        let kid = self.step7_algorithm(token)?;
        let key = keys
            .get(kid.as_deref(), orgpass_jose::Alg::Rs256)
            .ok_or_else(|| {
                missing_key(kid.as_deref(), |k| {
                    keys.refusal(k).map(|r| r.reason.clone())
                })
            })?;
        self.verify_with_key(token, &key, expected, now)
    }

    fn verify_with_key(
        &self,
        token: &str,
        key: &DecodingKey,
        expected: &Expected<'_>,
        now: i64,
    ) -> Result<IdClaims, IdTokenError> {
        let claims = self.step6_signature(token, key)?;
        self.step2_issuer(&claims)?;
        self.step3_audience(&claims)?;
        self.step4_5_azp(&claims)?;
        let exp = self.step9_expiry(&claims, now)?;
        let iat = self.step10_issued_at(&claims, now)?;
        step11_nonce(&claims, expected.nonce)?;
        let sub = str_claim(&claims, "sub")?
            .ok_or(IdTokenError::MissingClaim("sub"))?
            .to_owned();
        if let Some(want) = expected.sub
            && sub != want
        {
            return Err(IdTokenError::Subject {
                got: sub,
                want: want.to_owned(),
            });
        }
        let (org_id, org_name) = organization(&claims, &expected.org)?;
        let opt = |name| str_claim(&claims, name).ok().flatten().map(str::to_owned);
        Ok(IdClaims {
            sub,
            exp,
            iat,
            org_id,
            org_name,
            email: opt("email"),
            name: opt("name"),
            picture: opt("picture"),
        })
    }

    /// Step 7 (with step 1): the `alg` must be the one this client uses, RS256; a JWE (step 1) is refused.
    /// A `typ` naming another kind of JWT (`at+jwt`, an RFC 9068 access token, or anything but `JWT`) is refused
    /// too, so a token meant for an API is never taken as proof of sign-in. Returns the `kid` to look up.
    fn step7_algorithm(&self, token: &str) -> Result<Option<String>, IdTokenError> {
        let parts: Vec<&str> = token.split('.').collect();
        if parts.len() != 3 {
            return Err(IdTokenError::Malformed(format!(
                "{} parts instead of 3 (encrypted ID tokens are not supported)",
                parts.len()
            )));
        }
        let header = URL_SAFE_NO_PAD
            .decode(parts[0])
            .map_err(|_| IdTokenError::Malformed("header is not base64url".into()))?;
        let header: Value = serde_json::from_slice(&header)
            .map_err(|_| IdTokenError::Malformed("header is not JSON".into()))?;
        match header.get("alg").and_then(Value::as_str) {
            Some("RS256") => {}
            Some(other) => return Err(IdTokenError::Algorithm(other.to_owned())),
            None => return Err(IdTokenError::Algorithm("missing".into())),
        }
        match header.get("typ") {
            None => {}
            Some(Value::String(t)) if t.eq_ignore_ascii_case("JWT") => {}
            Some(other) => {
                let shown = other
                    .as_str()
                    .map_or_else(|| other.to_string(), str::to_owned);
                return Err(IdTokenError::Type(shown));
            }
        }
        Ok(header.get("kid").and_then(Value::as_str).map(str::to_owned))
    }

    /// Step 6: the JWS signature, RS256 with the key chosen by `kid` from our JWKS.
    fn step6_signature(&self, token: &str, key: &DecodingKey) -> Result<Value, IdTokenError> {
        match rs256_payload(token, key) {
            Ok(data) if data.claims.is_object() => Ok(data.claims),
            Ok(_) => Err(IdTokenError::Malformed(
                "claims are not a JSON object".into(),
            )),
            Err(e) => match e.kind() {
                jsonwebtoken::errors::ErrorKind::InvalidSignature => Err(IdTokenError::Signature),
                jsonwebtoken::errors::ErrorKind::InvalidAlgorithm => {
                    Err(IdTokenError::Algorithm("not RS256".into()))
                }
                _ => Err(IdTokenError::Malformed(e.to_string())),
            },
        }
    }

    /// Step 2: `iss` must exactly equal the issuer from discovery.
    fn step2_issuer(&self, claims: &Value) -> Result<(), IdTokenError> {
        let iss = str_claim(claims, "iss")?.ok_or(IdTokenError::MissingClaim("iss"))?;
        if iss != self.issuer {
            return Err(IdTokenError::Issuer {
                got: iss.to_owned(),
                want: self.issuer.clone(),
            });
        }
        Ok(())
    }

    /// Step 3: `aud` must contain our client id.
    fn step3_audience(&self, claims: &Value) -> Result<(), IdTokenError> {
        let auds = audiences(claims)?;
        if !auds.iter().any(|a| *a == self.client_id) {
            return Err(IdTokenError::Audience {
                got: auds.join(","),
                want: self.client_id.clone(),
            });
        }
        Ok(())
    }

    /// Steps 4 and 5: with several audiences `azp` must be present; when present it must be our client id.
    fn step4_5_azp(&self, claims: &Value) -> Result<(), IdTokenError> {
        let auds = audiences(claims)?;
        match str_claim(claims, "azp")? {
            None if auds.len() > 1 => Err(IdTokenError::AzpMissing(auds.join(","))),
            Some(azp) if azp != self.client_id => Err(IdTokenError::Azp {
                got: azp.to_owned(),
                want: self.client_id.clone(),
            }),
            _ => Ok(()),
        }
    }

    /// Step 9: `exp` must be after now, minus the leeway.
    fn step9_expiry(&self, claims: &Value, now: i64) -> Result<i64, IdTokenError> {
        let exp = int_claim(claims, "exp")?;
        let leeway = self.leeway.as_secs();
        if exp.saturating_add(leeway as i64) <= now {
            return Err(IdTokenError::Expired { exp, now, leeway });
        }
        Ok(exp)
    }

    /// Step 10: `iat` must not be in the future beyond the leeway.
    fn step10_issued_at(&self, claims: &Value, now: i64) -> Result<i64, IdTokenError> {
        let iat = int_claim(claims, "iat")?;
        let leeway = self.leeway.as_secs();
        if iat > now.saturating_add(leeway as i64) {
            return Err(IdTokenError::IssuedInFuture { iat, now, leeway });
        }
        Ok(iat)
    }
}

/// The payload of an RS256 JWS whose signature verifies with `key`, no claim checked (each caller checks its
/// claims step by step, with its own messages): the ID-token verifier's step 6 and the access-token view's.
pub(crate) fn rs256_payload(
    token: &str,
    key: &DecodingKey,
) -> Result<jsonwebtoken::TokenData<Value>, jsonwebtoken::errors::Error> {
    let mut v = Validation::new(Algorithm::RS256);
    v.validate_exp = false;
    v.validate_aud = false;
    v.required_spec_claims.clear();
    jsonwebtoken::decode::<Value>(token, key, &v)
}

/// Step 11: `nonce` must equal the one sent.
fn step11_nonce(claims: &Value, sent: Option<&str>) -> Result<(), IdTokenError> {
    let Some(sent) = sent else { return Ok(()) };
    match str_claim(claims, "nonce")? {
        None => Err(IdTokenError::NonceMissing),
        Some(n) if !constant_time_eq(n.as_bytes(), sent.as_bytes()) => {
            Err(IdTokenError::NonceMismatch)
        }
        Some(_) => Ok(()),
    }
}

/// Auth0 Organizations: the `org_id` / `org_name` rules of Auth0's SDKs.
fn organization(
    claims: &Value,
    check: &OrgCheck,
) -> Result<(Option<String>, Option<String>), IdTokenError> {
    let org_id = str_claim(claims, "org_id")
        .map_err(|_| IdTokenError::MissingClaim("org_id"))?
        .map(str::to_owned);
    let org_name = str_claim(claims, "org_name")
        .map_err(|_| IdTokenError::MissingClaim("org_name"))?
        .map(str::to_owned);
    match check {
        OrgCheck::Id(want) => match &org_id {
            None => return Err(IdTokenError::OrgIdMissing(want.clone())),
            Some(got) if got != want => {
                return Err(IdTokenError::OrgId {
                    got: got.clone(),
                    want: want.clone(),
                });
            }
            Some(_) => {}
        },
        OrgCheck::Name(want) => {
            let want = want.to_lowercase();
            match &org_name {
                None => return Err(IdTokenError::OrgNameMissing(want)),
                Some(got) if *got != want => {
                    return Err(IdTokenError::OrgName {
                        got: got.clone(),
                        want,
                    });
                }
                Some(_) => {}
            }
            if org_id.is_none() {
                return Err(IdTokenError::OrgIdRequired);
            }
        }
        OrgCheck::Any { required: true } if org_id.is_none() => {
            return Err(IdTokenError::OrgIdRequired);
        }
        OrgCheck::Any { .. } => {}
        OrgCheck::Same(want) => match (&org_id, want) {
            (Some(got), Some(want)) if got != want => {
                return Err(IdTokenError::OrgId {
                    got: got.clone(),
                    want: want.clone(),
                });
            }
            (None, Some(want)) => return Err(IdTokenError::OrgIdMissing(want.clone())),
            (Some(got), None) => {
                return Err(IdTokenError::OrgId {
                    got: got.clone(),
                    want: "no organization".into(),
                });
            }
            _ => {}
        },
    }
    Ok((org_id, org_name))
}

fn str_claim<'v>(claims: &'v Value, name: &'static str) -> Result<Option<&'v str>, IdTokenError> {
    match claims.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(IdTokenError::MissingClaim(name)),
    }
}

fn int_claim(claims: &Value, name: &'static str) -> Result<i64, IdTokenError> {
    let v = claims.get(name).ok_or(IdTokenError::MissingClaim(name))?;
    v.as_i64()
        .or_else(|| v.as_f64().filter(|f| f.is_finite()).map(|f| f as i64))
        .ok_or(IdTokenError::MissingClaim(name))
}

fn audiences(claims: &Value) -> Result<Vec<&str>, IdTokenError> {
    match claims.get("aud") {
        Some(Value::String(s)) => Ok(vec![s.as_str()]),
        Some(Value::Array(a)) if !a.is_empty() => a
            .iter()
            .map(|v| v.as_str().ok_or(IdTokenError::MissingClaim("aud")))
            .collect(),
        _ => Err(IdTokenError::MissingClaim("aud")),
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// No usable key for `kid`: none named, none by that name, or one the key policy refused (said with its reason).
fn missing_key(kid: Option<&str>, refusal: impl Fn(&str) -> Option<String>) -> IdTokenError {
    match kid {
        None => IdTokenError::NoKid,
        Some(kid) => match refusal(kid) {
            Some(reason) => IdTokenError::RefusedKey {
                kid: kid.to_owned(),
                reason,
            },
            None => IdTokenError::UnknownKid(kid.to_owned()),
        },
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use serde_json::{Value, json};

    use super::*;
    use crate::discovery::JwksFuture;

    use crate::test_support as support;
    use support::TestKey;

    const ISS: &str = "https://acme.eu.auth0.com/";
    const CLIENT: &str = "Xk2mJ9fQbN7tR4cY1uW8pL3zH6sD0aVe";
    const NONCE: &str = "n-0S6_WzA2Mj";
    const NOW: i64 = 1_800_000_000;

    fn cache(jwks: String) -> (JwksCache, Arc<AtomicUsize>) {
        let calls = Arc::new(AtomicUsize::new(0));
        let c = calls.clone();
        let source = move || -> JwksFuture {
            c.fetch_add(1, Ordering::SeqCst);
            let body = jwks.clone().into_bytes();
            Box::pin(async move { Ok(body.into()) })
        };
        (JwksCache::new(source), calls)
    }

    fn claims() -> Value {
        support::auth0_claims(ISS, CLIENT, NONCE, "org_A", NOW)
    }

    fn with(f: impl FnOnce(&mut Value)) -> Value {
        let mut c = claims();
        f(&mut c);
        c
    }

    /// The standard claims signed with key A, with header `typ` set to `typ` (`None`: no `typ`).
    fn signed_with_typ(a: &TestKey, typ: Option<&str>) -> String {
        let mut h = jsonwebtoken::Header::new(Algorithm::RS256);
        h.kid = Some("key-a".into());
        h.typ = typ.map(str::to_owned);
        a.sign_with(h, &claims())
    }

    #[tokio::test]
    async fn table() {
        let a = TestKey::a();
        let b = TestKey::b();
        let id = OrgCheck::Id("org_A".into());
        type Row = (&'static str, String, OrgCheck, Result<(), IdTokenError>);
        let rows: Vec<Row> = vec![
            ("valid", a.sign(&claims()), id.clone(), Ok(())),
            (
                "alg none",
                support::alg_none(&claims()),
                id.clone(),
                Err(IdTokenError::Algorithm("none".into())),
            ),
            (
                "HS256 with the public key",
                support::hs256_with_public_key(&a, &claims()),
                id.clone(),
                Err(IdTokenError::Algorithm("HS256".into())),
            ),
            (
                "bad signature",
                b.sign_with(
                    {
                        let mut h = jsonwebtoken::Header::new(Algorithm::RS256);
                        h.kid = Some("key-a".into());
                        h
                    },
                    &claims(),
                ),
                id.clone(),
                Err(IdTokenError::Signature),
            ),
            ("typ absent", signed_with_typ(&a, None), id.clone(), Ok(())),
            (
                "typ at+jwt: an access token (RFC 9068) offered as ID token",
                signed_with_typ(&a, Some("at+jwt")),
                id.clone(),
                Err(IdTokenError::Type("at+jwt".into())),
            ),
            (
                "typ application/at+jwt",
                signed_with_typ(&a, Some("application/at+jwt")),
                id.clone(),
                Err(IdTokenError::Type("application/at+jwt".into())),
            ),
            (
                "unknown kid",
                b.sign(&claims()),
                id.clone(),
                Err(IdTokenError::UnknownKid("key-b".into())),
            ),
            (
                "wrong iss",
                a.sign(&with(|c| c["iss"] = json!("https://evil.example/"))),
                id.clone(),
                Err(IdTokenError::Issuer {
                    got: "https://evil.example/".into(),
                    want: ISS.into(),
                }),
            ),
            (
                "iss without slash",
                a.sign(&with(|c| c["iss"] = json!("https://acme.eu.auth0.com"))),
                id.clone(),
                Err(IdTokenError::Issuer {
                    got: "https://acme.eu.auth0.com".into(),
                    want: ISS.into(),
                }),
            ),
            (
                "missing iss",
                a.sign(&with(|c| {
                    c.as_object_mut().unwrap().remove("iss");
                })),
                id.clone(),
                Err(IdTokenError::MissingClaim("iss")),
            ),
            (
                "wrong aud",
                a.sign(&with(|c| c["aud"] = json!("other-client"))),
                id.clone(),
                Err(IdTokenError::Audience {
                    got: "other-client".into(),
                    want: CLIENT.into(),
                }),
            ),
            (
                "extra aud without azp",
                a.sign(&with(|c| {
                    c["aud"] = json!([CLIENT, "https://api.example/"])
                })),
                id.clone(),
                Err(IdTokenError::AzpMissing(format!(
                    "{CLIENT},https://api.example/"
                ))),
            ),
            (
                "extra aud with azp",
                a.sign(&with(|c| {
                    c["aud"] = json!([CLIENT, "https://api.example/"]);
                    c["azp"] = json!(CLIENT);
                })),
                id.clone(),
                Ok(()),
            ),
            (
                "wrong azp",
                a.sign(&with(|c| c["azp"] = json!("other-client"))),
                id.clone(),
                Err(IdTokenError::Azp {
                    got: "other-client".into(),
                    want: CLIENT.into(),
                }),
            ),
            (
                "expired",
                a.sign(&with(|c| c["exp"] = json!(NOW - 61))),
                id.clone(),
                Err(IdTokenError::Expired {
                    exp: NOW - 61,
                    now: NOW,
                    leeway: 60,
                }),
            ),
            (
                "expired within leeway",
                a.sign(&with(|c| c["exp"] = json!(NOW - 59))),
                id.clone(),
                Ok(()),
            ),
            (
                "missing exp",
                a.sign(&with(|c| {
                    c.as_object_mut().unwrap().remove("exp");
                })),
                id.clone(),
                Err(IdTokenError::MissingClaim("exp")),
            ),
            (
                "iat in the future",
                a.sign(&with(|c| c["iat"] = json!(NOW + 61))),
                id.clone(),
                Err(IdTokenError::IssuedInFuture {
                    iat: NOW + 61,
                    now: NOW,
                    leeway: 60,
                }),
            ),
            (
                "iat within leeway",
                a.sign(&with(|c| c["iat"] = json!(NOW + 59))),
                id.clone(),
                Ok(()),
            ),
            (
                "missing nonce",
                a.sign(&with(|c| {
                    c.as_object_mut().unwrap().remove("nonce");
                })),
                id.clone(),
                Err(IdTokenError::NonceMissing),
            ),
            (
                "wrong nonce",
                a.sign(&with(|c| c["nonce"] = json!("other"))),
                id.clone(),
                Err(IdTokenError::NonceMismatch),
            ),
            (
                "missing org_id",
                a.sign(&with(|c| {
                    c.as_object_mut().unwrap().remove("org_id");
                })),
                id.clone(),
                Err(IdTokenError::OrgIdMissing("org_A".into())),
            ),
            (
                "wrong org_id",
                a.sign(&with(|c| c["org_id"] = json!("org_B"))),
                id.clone(),
                Err(IdTokenError::OrgId {
                    got: "org_B".into(),
                    want: "org_A".into(),
                }),
            ),
            (
                "name ok",
                a.sign(&claims()),
                OrgCheck::Name("acme".into()),
                Ok(()),
            ),
            (
                "name mismatch",
                a.sign(&with(|c| c["org_name"] = json!("globex"))),
                OrgCheck::Name("acme".into()),
                Err(IdTokenError::OrgName {
                    got: "globex".into(),
                    want: "acme".into(),
                }),
            ),
            (
                "name missing",
                a.sign(&with(|c| {
                    c.as_object_mut().unwrap().remove("org_name");
                })),
                OrgCheck::Name("acme".into()),
                Err(IdTokenError::OrgNameMissing("acme".into())),
            ),
            (
                "name without org_id",
                a.sign(&with(|c| {
                    c.as_object_mut().unwrap().remove("org_id");
                })),
                OrgCheck::Name("acme".into()),
                Err(IdTokenError::OrgIdRequired),
            ),
            (
                "no org requested, none given",
                a.sign(&with(|c| {
                    c.as_object_mut().unwrap().remove("org_id");
                })),
                OrgCheck::Any { required: false },
                Ok(()),
            ),
            (
                "no org requested, but required",
                a.sign(&with(|c| {
                    c.as_object_mut().unwrap().remove("org_id");
                })),
                OrgCheck::Any { required: true },
                Err(IdTokenError::OrgIdRequired),
            ),
            (
                "missing sub",
                a.sign(&with(|c| {
                    c.as_object_mut().unwrap().remove("sub");
                })),
                id.clone(),
                Err(IdTokenError::MissingClaim("sub")),
            ),
            (
                "five-part JWE",
                "a.b.c.d.e".to_owned(),
                id.clone(),
                Err(IdTokenError::Malformed(
                    "5 parts instead of 3 (encrypted ID tokens are not supported)".into(),
                )),
            ),
        ];
        for (name, token, org, want) in rows {
            let (jwks, _) = cache(support::jwks(&[&a]));
            let v = IdTokenVerifier::new(ISS, CLIENT, Duration::from_secs(60));
            let expected = Expected {
                nonce: Some(NONCE),
                org,
                sub: None,
            };
            let got = v.verify(&token, &expected, &jwks, NOW).await.map(|_| ());
            assert_eq!(got, want, "row `{name}`");
        }
    }

    /// The key policy of the token core holds for ID tokens: a key set naming `key-a` twice is ambiguous, so a
    /// token signed by either is refused with that reason (before, the engine used one of them silently).
    #[tokio::test]
    async fn a_key_the_policy_refuses_is_named_with_its_reason() {
        let a = TestKey::a();
        let (jwks, _) = cache(support::jwks(&[&a, &a]));
        let v = IdTokenVerifier::new(ISS, CLIENT, Duration::from_secs(60));
        let expected = Expected {
            nonce: Some(NONCE),
            org: OrgCheck::Id("org_A".into()),
            sub: None,
        };
        let got = v.verify(&a.sign(&claims()), &expected, &jwks, NOW).await;
        assert_eq!(
            got,
            Err(IdTokenError::RefusedKey {
                kid: "key-a".into(),
                reason: "its kid appears 2 times in the key set, so a token naming it is ambiguous"
                    .into(),
            })
        );
        let keys = KeySet::parse(support::jwks(&[&a, &a]).as_bytes()).unwrap();
        assert_eq!(
            v.verify_with_keys(&a.sign(&claims()), &keys, &expected, NOW)
                .map(|_| ())
                .unwrap_err()
                .to_string(),
            "ID token rejected: the issuer's key key-a is not used: its kid appears 2 times in the key set, so a \
             token naming it is ambiguous"
        );
    }

    #[tokio::test]
    async fn claims_are_returned() {
        let a = TestKey::a();
        let (jwks, _) = cache(support::jwks(&[&a]));
        let v = IdTokenVerifier::new(ISS, CLIENT, Duration::from_secs(60));
        let c = v
            .verify(
                &a.sign(&claims()),
                &Expected {
                    nonce: Some(NONCE),
                    org: OrgCheck::Id("org_A".into()),
                    sub: None,
                },
                &jwks,
                NOW,
            )
            .await
            .unwrap();
        assert_eq!(c.org_id.as_deref(), Some("org_A"));
        assert_eq!(c.org_name.as_deref(), Some("acme"));
        assert_eq!(c.email.as_deref(), Some("ada@acme.example"));
        assert_eq!(c.exp, NOW + 36000);
    }

    #[tokio::test]
    async fn leeway_is_capped_at_five_minutes() {
        let a = TestKey::a();
        let (jwks, _) = cache(support::jwks(&[&a]));
        // Expired ten minutes ago: an hour's leeway would accept it, the cap of 300 s does not.
        let token = a.sign(&with(|c| c["exp"] = json!(NOW - 600)));
        let v = IdTokenVerifier::new(ISS, CLIENT, Duration::from_secs(3600));
        let expected = Expected {
            nonce: Some(NONCE),
            org: OrgCheck::Id("org_A".into()),
            sub: None,
        };
        assert_eq!(
            v.verify(&token, &expected, &jwks, NOW).await.map(|_| ()),
            Err(IdTokenError::Expired {
                exp: NOW - 600,
                now: NOW,
                leeway: 300
            })
        );
    }

    #[test]
    fn error_message_names_the_check() {
        let e = IdTokenError::OrgId {
            got: "org_B".into(),
            want: "org_A".into(),
        };
        assert_eq!(
            e.to_string(),
            "ID token rejected: org_id is org_B, expected org_A"
        );
    }

    #[tokio::test]
    async fn unknown_kid_refetches_once_then_rate_limits() {
        let a = TestKey::a();
        let b = TestKey::b();
        let v = IdTokenVerifier::new(ISS, CLIENT, Duration::from_secs(60));
        let exp = Expected {
            nonce: Some(NONCE),
            org: OrgCheck::Id("org_A".into()),
            sub: None,
        };
        let (jwks, calls) = cache(support::jwks(&[&a]));
        v.verify(&a.sign(&claims()), &exp, &jwks, NOW)
            .await
            .unwrap();
        assert_eq!(calls.load(Ordering::SeqCst), 1, "first use fetches");
        v.verify(&a.sign(&claims()), &exp, &jwks, NOW)
            .await
            .unwrap();
        assert_eq!(
            calls.load(Ordering::SeqCst),
            1,
            "known kid is served from the cache"
        );
        let bad = b.sign(&claims());
        assert_eq!(
            v.verify(&bad, &exp, &jwks, NOW).await,
            Err(IdTokenError::UnknownKid("key-b".into()))
        );
        assert_eq!(
            calls.load(Ordering::SeqCst),
            2,
            "unknown kid refetches once"
        );
        assert_eq!(
            v.verify(&bad, &exp, &jwks, NOW).await,
            Err(IdTokenError::UnknownKid("key-b".into()))
        );
        assert_eq!(
            calls.load(Ordering::SeqCst),
            2,
            "second unknown kid is rate-limited"
        );
    }

    #[tokio::test]
    async fn rotated_key_is_found_by_refetch() {
        let a = TestKey::a();
        let b = TestKey::b();
        let calls = Arc::new(AtomicUsize::new(0));
        let c = calls.clone();
        let (ja, jab) = (support::jwks(&[&a]), support::jwks(&[&a, &b]));
        let jwks = JwksCache::new(move || -> JwksFuture {
            let n = c.fetch_add(1, Ordering::SeqCst);
            let body = if n == 0 { ja.clone() } else { jab.clone() }.into_bytes();
            Box::pin(async move { Ok(body.into()) })
        });
        let v = IdTokenVerifier::new(ISS, CLIENT, Duration::from_secs(60));
        let exp = Expected {
            nonce: Some(NONCE),
            org: OrgCheck::Id("org_A".into()),
            sub: None,
        };
        v.verify(&a.sign(&claims()), &exp, &jwks, NOW)
            .await
            .unwrap();
        v.verify(&b.sign(&claims()), &exp, &jwks, NOW)
            .await
            .unwrap();
        assert_eq!(calls.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn refresh_rules() {
        let a = TestKey::a();
        let (jwks, _) = cache(support::jwks(&[&a]));
        let v = IdTokenVerifier::new(ISS, CLIENT, Duration::from_secs(60));
        let same = Expected {
            nonce: None,
            org: OrgCheck::Same(Some("org_A".into())),
            sub: Some("auth0|6543a1b2c3d4e5f6a7b8c9d0"),
        };
        v.verify(
            &a.sign(&with(|c| {
                c.as_object_mut().unwrap().remove("nonce");
            })),
            &same,
            &jwks,
            NOW,
        )
        .await
        .unwrap();
        let other_sub = a.sign(&with(|c| c["sub"] = json!("auth0|other")));
        assert_eq!(
            v.verify(&other_sub, &same, &jwks, NOW).await,
            Err(IdTokenError::Subject {
                got: "auth0|other".into(),
                want: "auth0|6543a1b2c3d4e5f6a7b8c9d0".into()
            })
        );
        let other_org = a.sign(&with(|c| c["org_id"] = json!("org_B")));
        assert_eq!(
            v.verify(&other_org, &same, &jwks, NOW).await,
            Err(IdTokenError::OrgId {
                got: "org_B".into(),
                want: "org_A".into()
            })
        );
    }
}
