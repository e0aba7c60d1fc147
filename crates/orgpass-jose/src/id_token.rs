//! The ID-token profile: one function per OIDC Core 3.1.3.7 step, plus Auth0's organization rules. The engine
//! signs users in with it; the access-token profile ([`crate::access`]) is its sibling on the same core.
//!
//! The algorithm is fixed by the client (RS256) and the key is chosen by `kid` from the issuer's keys; the token
//! header is read only to refuse it or to look up the `kid`, never to pick an algorithm or key.

use std::time::Duration;

use jsonwebtoken::DecodingKey;
use serde_json::Value;

use crate::access::MAX_LEEWAY;
use crate::cache::JwksCache;
use crate::jws::{Compact, JwsError};
use crate::keys::{Alg, KeySet};

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
    #[error(
        "ID token rejected: not valid yet (nbf {nbf} is after now {now} plus {leeway}s leeway); check the computer's \
         clock"
    )]
    NotYetValid { nbf: i64, now: i64, leeway: u64 },
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
    /// The one algorithm ID tokens are verified with.
    pub const ALG: Alg = Alg::Rs256;

    /// `issuer` exactly as discovery states it; `client_id` of this native app. `leeway` is capped at
    /// [`MAX_LEEWAY`].
    pub fn new(issuer: impl Into<String>, client_id: impl Into<String>, leeway: Duration) -> Self {
        Self {
            issuer: issuer.into(),
            client_id: client_id.into(),
            leeway: leeway.min(MAX_LEEWAY),
        }
    }

    /// Verify `token` at time `now`, with the key for its `kid` from `jwks` (one throttled refetch on an unknown
    /// `kid`).
    pub async fn verify<E: std::fmt::Display + Send + 'static>(
        &self,
        token: &str,
        expected: &Expected<'_>,
        jwks: &JwksCache<E>,
        now: i64,
    ) -> Result<IdClaims, IdTokenError> {
        let jws = self.step7_algorithm(token)?;
        let key = jwks
            .key(jws.kid(), Self::ALG)
            .await
            .map_err(|e| match e.token_fault() {
                Ok(missing) => IdTokenError::from(missing),
                Err(unavailable) => IdTokenError::Jwks(unavailable.to_string()),
            })?;
        self.verify_with_key(jws, &key, expected, now)
    }

    /// Verify against an already fetched key set (no I/O; used by the benchmark with a warm cache).
    pub fn verify_with_keys(
        &self,
        token: &str,
        keys: &KeySet,
        expected: &Expected<'_>,
        now: i64,
    ) -> Result<IdClaims, IdTokenError> {
        let jws = self.step7_algorithm(token)?;
        let key = keys.key_for(jws.kid(), Self::ALG)?;
        self.verify_with_key(jws, &key, expected, now)
    }

    fn verify_with_key(
        &self,
        jws: Compact<'_>,
        key: &DecodingKey,
        expected: &Expected<'_>,
        now: i64,
    ) -> Result<IdClaims, IdTokenError> {
        let claims = step6_signature(jws, key)?;
        self.step2_issuer(&claims)?;
        self.step3_audience(&claims)?;
        self.step4_5_azp(&claims)?;
        let exp = self.step9_expiry(&claims, now)?;
        let iat = self.step10_issued_at(&claims, now)?;
        self.not_before(&claims, now)?;
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

    /// Step 7 (with step 1): the `alg` must be the one this client uses, RS256; a JWE (step 1) is refused, and so
    /// is `crit` or a key in the header. A `typ` naming another kind of JWT (`at+jwt`, an RFC 9068 access token, or
    /// anything but `JWT`) is refused too, so a token meant for an API is never taken as proof of sign-in.
    /// Returns the JWS whose `kid` to look up.
    fn step7_algorithm<'t>(&self, token: &'t str) -> Result<Compact<'t>, IdTokenError> {
        let parts = token.split('.').count();
        if parts != 3 {
            return Err(IdTokenError::Malformed(format!(
                "{parts} parts instead of 3 (encrypted ID tokens are not supported)"
            )));
        }
        let jws = Compact::parse(token, Self::ALG)?;
        match &jws.header().typ {
            None => {}
            Some(Value::String(t)) if t.eq_ignore_ascii_case("JWT") => {}
            Some(other) => {
                let shown = other
                    .as_str()
                    .map_or_else(|| other.to_string(), str::to_owned);
                return Err(IdTokenError::Type(shown));
            }
        }
        Ok(jws)
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

    /// RFC 7519 §4.1.5: `nbf`, when present, must not be after now plus the leeway (OIDC Core does not name it
    /// for ID tokens, but a token its issuer says is not valid yet is not accepted).
    fn not_before(&self, claims: &Value, now: i64) -> Result<(), IdTokenError> {
        let Some(nbf) = claims.get("nbf").filter(|v| !v.is_null()) else {
            return Ok(());
        };
        let nbf = nbf
            .as_i64()
            .or_else(|| nbf.as_f64().filter(|f| f.is_finite()).map(|f| f as i64))
            .ok_or(IdTokenError::MissingClaim("nbf"))?;
        let leeway = self.leeway.as_secs();
        if nbf > now.saturating_add(leeway as i64) {
            return Err(IdTokenError::NotYetValid { nbf, now, leeway });
        }
        Ok(())
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

/// Step 6: the JWS signature with the issuer's key for the token's `kid`; then its claims may be believed.
fn step6_signature(jws: Compact<'_>, key: &DecodingKey) -> Result<Value, IdTokenError> {
    let verified = jws.verify(key)?;
    match serde_json::from_slice::<Value>(&verified.payload) {
        Ok(claims) if claims.is_object() => Ok(claims),
        _ => Err(IdTokenError::Malformed(
            "claims are not a JSON object".into(),
        )),
    }
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

impl From<JwsError> for IdTokenError {
    /// The core's JWS verdicts in this profile's words.
    fn from(e: JwsError) -> Self {
        match e {
            JwsError::WrongAlgorithm { found, .. } => Self::Algorithm(found),
            JwsError::UnknownKey { kid } => Self::UnknownKid(kid),
            JwsError::RefusedKey { kid, reason } => Self::RefusedKey { kid, reason },
            JwsError::NoKid => Self::NoKid,
            JwsError::BadSignature => Self::Signature,
            other @ (JwsError::TooLarge
            | JwsError::Malformed
            | JwsError::BadEncoding(_)
            | JwsError::BadHeader(_)
            | JwsError::Critical(_)
            | JwsError::EmbeddedKey(_)) => Self::Malformed(other.to_string()),
        }
    }
}
