//! The access-token profile (RFC 9068 §4 with Auth0's organization claim), one function per check: the company
//! API's guard decides with it, and the app's QA view shows its verdict, so QA sees exactly what the API decides.
//!
//! The algorithm is pinned (RS256) and the key chosen by `kid` from the issuer's keys: the header is read only to
//! refuse the token or to look the `kid` up. The signature is checked before any claim is believed (an API with
//! several issuers reads `iss` first only to choose among them: [`listed_issuer`]). Who calls: [`Caller`].

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use jsonwebtoken::DecodingKey;
use serde_json::{Map, Value};

use crate::jws::{Compact, JwsError};
use crate::keys::{Alg, KeySet};
use crate::memo::Verified;

/// The longest token accepted (Auth0's are 1–2 KiB; a header this large is an attack or a mistake).
pub const MAX_TOKEN_BYTES: usize = 16 * 1024;

/// The longest `org_id` accepted (Auth0: at most 50 characters).
pub const MAX_ORG_ID_LEN: usize = 50;

/// The longest leeway a profile applies to `exp`, `nbf` and `iat`.
pub const MAX_LEEWAY: Duration = Duration::from_secs(300);

/// Why an access token is refused. `Display` says which check failed (claim values shortened and header-safe, the
/// token never shown); [`AccessError::check`] names it in one word.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AccessError {
    #[error("access token refused: longer than {} KiB", MAX_TOKEN_BYTES / 1024)]
    TooLarge,
    #[error("access token refused: {0}")]
    Jws(#[from] JwsError),
    #[error(
        "access token refused: typ is {0}; an access token has typ at+jwt or JWT (RFC 9068), other kinds of JWT \
         are not access tokens"
    )]
    Type(String),
    #[error("access token refused: the claims are not a JSON object")]
    NotAnObject,
    #[error("access token refused: the {0} claim is missing or not of the right type")]
    Claim(&'static str),
    #[error("access token refused: iss is {got}, expected {want}")]
    Issuer { got: String, want: String },
    #[error(
        "access token refused: iss is {0}, not an issuer this API takes tokens of; get a token of this API's tenant \
         (nothing is fetched from an issuer it does not list)"
    )]
    UnlistedIssuer(String),
    #[error("access token refused: client credentials, but sub {0} is not `<client_id>@clients`")]
    ClientSubject(String),
    #[error("access token refused: {0} names the client {1}, but sub names the client {2}")]
    OtherClient(&'static str, String, String),
    #[error("access token refused: sub {0} names a client, but gty is not client-credentials")]
    UnclearCaller(String),
    #[error(
        "access token refused: aud is {got}, which does not contain this API's identifier {want} (an ID token's \
         aud is the client id: send the access token requested with audience={want})"
    )]
    Audience { got: String, want: String },
    #[error(
        "access token refused: expired (exp {exp} is before now {now} minus the {leeway} s leeway); get a fresh \
         token"
    )]
    Expired { exp: i64, now: i64, leeway: u64 },
    #[error(
        "access token refused: not valid yet (nbf {nbf} is after now {now} plus the {leeway} s leeway)"
    )]
    NotYetValid { nbf: i64, now: i64, leeway: u64 },
    #[error(
        "access token refused: issued in the future (iat {iat} is after now {now} plus the {leeway} s leeway); \
         check the clocks"
    )]
    IssuedInFuture { iat: i64, now: i64, leeway: u64 },
    #[error(
        "access token refused: org_id {0} is not an organization ID (org_ and up to 46 letters or digits)"
    )]
    OrgId(String),
    #[error(
        "access token refused: it is bound to a key (cnf), so it is not a bearer token; present it with a DPoP \
         proof (RFC 9449)"
    )]
    BoundToKey,
    #[error(
        "access token refused: presented with a DPoP proof, but it is not bound to a key (no cnf.jkt); a bearer \
         token is sent as Bearer"
    )]
    NotBound,
    #[error(
        "access token refused: it is bound to another key than the DPoP proof's (cnf.jkt {token}, proof {proof})"
    )]
    OtherKey { token: String, proof: String },
}

/// How the token came with its request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Presented<'a> {
    /// `Authorization: Bearer`: whoever holds it may use it, so a token bound to a key is refused.
    Bearer,
    /// `Authorization: DPoP` with a proof already checked by [`crate::dpop::check_proof`], by the key with this
    /// thumbprint: the token must be bound to it (`cnf.jkt`).
    Dpop { jkt: &'a str },
}

impl AccessError {
    /// Which check failed, in one word: `malformed`, `alg`, `typ`, `kid`, `signature`, `iss`, `aud`, `exp`, `nbf`,
    /// `iat`, `sub`, `gty`, `org_id` (and any other claim name for a missing or ill-typed claim).
    pub fn check(&self) -> &'static str {
        match self {
            Self::TooLarge | Self::NotAnObject => "malformed",
            Self::Jws(e) => match e {
                JwsError::WrongAlgorithm { .. } => "alg",
                JwsError::UnknownKey { .. } | JwsError::RefusedKey { .. } | JwsError::NoKid => {
                    "kid"
                }
                JwsError::BadSignature => "signature",
                JwsError::TooLarge
                | JwsError::Malformed
                | JwsError::BadEncoding(_)
                | JwsError::BadHeader(_)
                | JwsError::Critical(_)
                | JwsError::EmbeddedKey(_) => "malformed",
            },
            Self::Type(_) => "typ",
            Self::Claim(name) => name,
            Self::Issuer { .. } | Self::UnlistedIssuer(_) => "iss",
            Self::ClientSubject(_) => "sub",
            Self::OtherClient(claim, ..) => claim,
            Self::UnclearCaller(_) => "gty",
            Self::Audience { .. } => "aud",
            Self::Expired { .. } => "exp",
            Self::NotYetValid { .. } => "nbf",
            Self::IssuedInFuture { .. } => "iat",
            Self::OrgId(_) => "org_id",
            Self::BoundToKey | Self::NotBound | Self::OtherKey { .. } => "cnf",
        }
    }
}

/// The organization a verified token was issued for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Org {
    /// `org_id`, e.g. `org_AcmeA1b2C3d4E5f6`: what data is scoped by.
    pub id: String,
    /// `org_name`, when the tenant adds it (display only: names can be renamed and reused).
    pub name: Option<String>,
}

/// Who a verified token lets call: a person, or an application of its own (client credentials).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Caller {
    /// A person signed in to the organization (`sub` is their user id).
    Person,
    /// An application with a client grant for the organization (`gty` `client-credentials`, `sub`
    /// `<client_id>@clients`): no person is behind the request.
    Machine { client_id: String },
}

/// What a verified access token says: the checked claims, and every claim as sent.
#[derive(Debug, Clone, PartialEq)]
pub struct AccessClaims {
    pub sub: String,
    pub caller: Caller,
    pub org: Org,
    /// `scope`, split on spaces.
    pub scopes: BTreeSet<String>,
    /// `permissions` (Auth0 RBAC), when present.
    pub permissions: BTreeSet<String>,
    pub azp: Option<String>,
    pub exp: i64,
    pub iat: i64,
    pub all: Map<String, Value>,
}

/// Verifies access tokens for one API (`audience`) of one issuer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessProfile {
    issuer: String,
    audience: String,
    leeway: Duration,
}

impl AccessProfile {
    /// The one algorithm access tokens are verified with.
    pub const ALG: Alg = Alg::Rs256;

    /// `issuer` exactly as the tenant states it; `audience` the API's identifier; `leeway` capped at
    /// [`MAX_LEEWAY`].
    pub fn new(issuer: impl Into<String>, audience: impl Into<String>, leeway: Duration) -> Self {
        Self {
            issuer: issuer.into(),
            audience: audience.into(),
            leeway: leeway.min(MAX_LEEWAY),
        }
    }

    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    pub fn audience(&self) -> &str {
        &self.audience
    }

    pub fn leeway(&self) -> Duration {
        self.leeway
    }

    /// The header checks: size, compact JWS with RS256 pinned (no `crit`, no embedded key), an access token's `typ`.
    /// Look the returned JWS's `kid` up, then call [`AccessProfile::check`].
    pub fn parse<'t>(&self, token: &'t str) -> Result<Compact<'t>, AccessError> {
        if token.len() > MAX_TOKEN_BYTES {
            return Err(AccessError::TooLarge);
        }
        let jws = Compact::parse(token, Self::ALG)?;
        check_typ(jws.header().typ.as_ref())?;
        Ok(jws)
    }

    /// The signature with `key`, then every claim, at `now` (UNIX seconds), for a bearer token.
    pub fn check(
        &self,
        jws: Compact<'_>,
        key: &DecodingKey,
        now: i64,
    ) -> Result<AccessClaims, AccessError> {
        self.check_presented(jws, key, now, Presented::Bearer)
    }

    /// As [`AccessProfile::check`], for a token presented as `presented` says (bearer, or with a DPoP proof).
    pub fn check_presented(
        &self,
        jws: Compact<'_>,
        key: &DecodingKey,
        now: i64,
        presented: Presented<'_>,
    ) -> Result<AccessClaims, AccessError> {
        let verified = jws.verify(key)?;
        let all: Map<String, Value> =
            serde_json::from_slice(&verified.payload).map_err(|_| AccessError::NotAnObject)?;
        self.check_claims_presented(all, now, presented)
    }

    /// As [`AccessProfile::check_presented`], remembering in `memo` the tokens that pass: a token verified before
    /// with this very `key` skips the signature and the decoding, and its claims go through every check again.
    pub fn check_presented_memo(
        &self,
        token: &str,
        jws: Compact<'_>,
        key: &Arc<DecodingKey>,
        now: i64,
        presented: Presented<'_>,
        memo: &Verified,
    ) -> Result<AccessClaims, AccessError> {
        let digest = Verified::digest(token);
        if let Some(all) = memo.get(&digest, key) {
            return self.check_claims_presented(all, now, presented);
        }
        let claims = self.check_presented(jws, key, now, presented)?;
        memo.put(digest, key, &claims.all, claims.exp, now);
        Ok(claims)
    }

    /// The whole check against a key set already at hand (the QA view's cached keys, tests, benchmarks).
    pub fn verify_with_keys(
        &self,
        token: &str,
        keys: &KeySet,
        now: i64,
    ) -> Result<AccessClaims, AccessError> {
        let jws = self.parse(token)?;
        let key = keys.key_for(jws.kid(), Self::ALG)?;
        self.check(jws, &key, now)
    }

    /// Every claim check, in order, on the claims of a bearer token whose signature verified.
    pub fn check_claims(
        &self,
        all: Map<String, Value>,
        now: i64,
    ) -> Result<AccessClaims, AccessError> {
        self.check_claims_presented(all, now, Presented::Bearer)
    }

    /// Every claim check, in order, on the claims of a token whose signature verified, presented as `presented`.
    pub fn check_claims_presented(
        &self,
        all: Map<String, Value>,
        now: i64,
        presented: Presented<'_>,
    ) -> Result<AccessClaims, AccessError> {
        self.check_iss(&all)?;
        self.check_aud(&all)?;
        let leeway = self.leeway.as_secs();
        let exp = check_exp(&all, now, leeway)?;
        check_nbf(&all, now, leeway)?;
        let iat = check_iat(&all, now, leeway)?;
        let sub = str_claim(&all, "sub")?
            .ok_or(AccessError::Claim("sub"))?
            .to_owned();
        let caller = check_caller(&all, &sub)?;
        let org = check_org(&all)?;
        check_binding(&all, presented)?;
        let scopes = str_claim(&all, "scope")?
            .map(|s| s.split_whitespace().map(str::to_owned).collect())
            .unwrap_or_default();
        let permissions = permissions(&all)?;
        let azp = str_claim(&all, "azp")?.map(str::to_owned);
        Ok(AccessClaims {
            sub,
            caller,
            org,
            scopes,
            permissions,
            azp,
            exp,
            iat,
            all,
        })
    }

    /// `iss` must equal the issuer exactly.
    fn check_iss(&self, all: &Map<String, Value>) -> Result<(), AccessError> {
        let iss = str_claim(all, "iss")?.ok_or(AccessError::Claim("iss"))?;
        if iss != self.issuer {
            return Err(AccessError::Issuer {
                got: shown(iss),
                want: self.issuer.clone(),
            });
        }
        Ok(())
    }

    /// `aud` (a string or an array of strings) must contain the API identifier. An ID token, whose `aud` is the
    /// client id, fails here.
    fn check_aud(&self, all: &Map<String, Value>) -> Result<(), AccessError> {
        let want = &self.audience;
        let ok = match all.get("aud") {
            Some(Value::String(a)) => a == want,
            Some(Value::Array(list)) if !list.is_empty() => {
                let mut found = false;
                for a in list {
                    match a {
                        Value::String(a) => found |= a == want,
                        _ => return Err(AccessError::Claim("aud")),
                    }
                }
                found
            }
            _ => return Err(AccessError::Claim("aud")),
        };
        if ok {
            return Ok(());
        }
        let got = match &all["aud"] {
            Value::String(a) => a.clone(),
            other => other.to_string(),
        };
        Err(AccessError::Audience {
            got: shown(&got),
            want: shown(want),
        })
    }
}

/// `typ`, when present, must mark an access token: `at+jwt` (RFC 9068, also as `application/at+jwt`) or `JWT`
/// (what Auth0 sends), in any case.
fn check_typ(typ: Option<&Value>) -> Result<(), AccessError> {
    let Some(typ) = typ else {
        return Ok(());
    };
    let Value::String(t) = typ else {
        return Err(AccessError::Type(shown(&typ.to_string())));
    };
    let lower = t.to_ascii_lowercase();
    let bare = lower.strip_prefix("application/").unwrap_or(&lower);
    if bare == "at+jwt" || bare == "jwt" {
        Ok(())
    } else {
        Err(AccessError::Type(shown(t)))
    }
}

/// `exp` is required and must be after now, minus the leeway.
fn check_exp(all: &Map<String, Value>, now: i64, leeway: u64) -> Result<i64, AccessError> {
    let exp = int_claim(all, "exp")?.ok_or(AccessError::Claim("exp"))?;
    if exp.saturating_add(leeway as i64) <= now {
        return Err(AccessError::Expired { exp, now, leeway });
    }
    Ok(exp)
}

/// `nbf`, when present, must not be after now plus the leeway.
fn check_nbf(all: &Map<String, Value>, now: i64, leeway: u64) -> Result<(), AccessError> {
    if let Some(nbf) = int_claim(all, "nbf")?
        && nbf > now.saturating_add(leeway as i64)
    {
        return Err(AccessError::NotYetValid { nbf, now, leeway });
    }
    Ok(())
}

/// `iat` is required (RFC 9068 §2.2) and must not be after now plus the leeway.
fn check_iat(all: &Map<String, Value>, now: i64, leeway: u64) -> Result<i64, AccessError> {
    let iat = int_claim(all, "iat")?.ok_or(AccessError::Claim("iat"))?;
    if iat > now.saturating_add(leeway as i64) {
        return Err(AccessError::IssuedInFuture { iat, now, leeway });
    }
    Ok(iat)
}

/// RFC 9449 §7.1: a token bound to a key (`cnf`, e.g. `cnf.jkt` for DPoP) is not a bearer token (taken as one, it
/// would let whoever copied it use it); a token presented with a DPoP proof must be bound to the proof's key.
fn check_binding(all: &Map<String, Value>, presented: Presented<'_>) -> Result<(), AccessError> {
    let cnf = all.get("cnf").filter(|v| !v.is_null());
    match presented {
        Presented::Bearer if cnf.is_some() => Err(AccessError::BoundToKey),
        Presented::Bearer => Ok(()),
        Presented::Dpop { jkt } => {
            let bound = cnf
                .and_then(|c| c.get("jkt"))
                .and_then(Value::as_str)
                .ok_or(AccessError::NotBound)?;
            if bound.as_bytes() == jkt.as_bytes() {
                Ok(())
            } else {
                Err(AccessError::OtherKey {
                    token: shown(bound),
                    proof: shown(jkt),
                })
            }
        }
    }
}

/// Who calls. `gty` (a string or an array of strings), when it names `client-credentials`, marks an application's
/// token: `sub` must then be `<client_id>@clients`, and `azp` and `client_id` (RFC 9068), when present, that same
/// client. A `sub` of that form without such a `gty` is refused rather than guessed at.
fn check_caller(all: &Map<String, Value>, sub: &str) -> Result<Caller, AccessError> {
    const CLIENT_CREDENTIALS: &str = "client-credentials";
    let machine = match all.get("gty") {
        None | Some(Value::Null) => false,
        Some(Value::String(g)) => g == CLIENT_CREDENTIALS,
        Some(Value::Array(list)) => list.iter().try_fold(false, |found, g| match g {
            Value::String(g) => Ok(found || g == CLIENT_CREDENTIALS),
            _ => Err(AccessError::Claim("gty")),
        })?,
        Some(_) => return Err(AccessError::Claim("gty")),
    };
    let client = sub.strip_suffix("@clients").filter(|c| !c.is_empty());
    let client_id = match (machine, client) {
        (false, None) => return Ok(Caller::Person),
        (false, Some(_)) => return Err(AccessError::UnclearCaller(shown(sub))),
        (true, None) => return Err(AccessError::ClientSubject(shown(sub))),
        (true, Some(client)) => client,
    };
    for claim in ["azp", "client_id"] {
        if let Some(got) = str_claim(all, claim)?.filter(|got| *got != client_id) {
            let (got, sub) = (shown(got), shown(client_id));
            return Err(AccessError::OtherClient(claim, got, sub));
        }
    }
    let client_id = client_id.to_owned();
    Ok(Caller::Machine { client_id })
}

/// Which of `issuers` (each exactly as its tokens' `iss` reads) `token` is for, by the `iss` it names, read before
/// its signature is checked: only to choose whose keys and profile to verify it with, so a token naming an issuer
/// not listed is refused without fetching anything. Nothing else is decided by it: the chosen issuer's key must
/// verify the signature, then its profile checks `iss` exactly, so one issuer's keys never pass another's token.
pub fn listed_issuer(token: &str, issuers: &[impl AsRef<str>]) -> Result<usize, AccessError> {
    let payload = token.split('.').nth(1).and_then(crate::keys::b64);
    let all: Option<Map<String, Value>> = payload.and_then(|p| serde_json::from_slice(&p).ok());
    let Some(Value::String(named)) = all.as_ref().and_then(|all| all.get("iss")) else {
        return Err(AccessError::Claim("iss"));
    };
    let listed = issuers.iter().position(|i| i.as_ref() == named);
    listed.ok_or_else(|| AccessError::UnlistedIssuer(shown(named)))
}

/// `org_id` must be present and an organization ID; `org_name`, when present, a string.
fn check_org(all: &Map<String, Value>) -> Result<Org, AccessError> {
    let id = str_claim(all, "org_id")?.ok_or(AccessError::Claim("org_id"))?;
    if !is_org_id(id) {
        return Err(AccessError::OrgId(shown(id)));
    }
    let name = str_claim(all, "org_name")?.map(str::to_owned);
    Ok(Org {
        id: id.to_owned(),
        name,
    })
}

/// `org_` followed by 1–46 ASCII letters or digits.
pub fn is_org_id(s: &str) -> bool {
    s.len() <= MAX_ORG_ID_LEN
        && s.strip_prefix("org_")
            .is_some_and(|rest| !rest.is_empty() && rest.bytes().all(|b| b.is_ascii_alphanumeric()))
}

/// `permissions`, when present, must be an array of strings.
fn permissions(all: &Map<String, Value>) -> Result<BTreeSet<String>, AccessError> {
    match all.get("permissions") {
        None | Some(Value::Null) => Ok(BTreeSet::new()),
        Some(Value::Array(list)) => list
            .iter()
            .map(|p| {
                p.as_str()
                    .map(str::to_owned)
                    .ok_or(AccessError::Claim("permissions"))
            })
            .collect(),
        Some(_) => Err(AccessError::Claim("permissions")),
    }
}

fn str_claim<'v>(
    all: &'v Map<String, Value>,
    name: &'static str,
) -> Result<Option<&'v str>, AccessError> {
    match all.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(AccessError::Claim(name)),
    }
}

fn int_claim(all: &Map<String, Value>, name: &'static str) -> Result<Option<i64>, AccessError> {
    match all.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => v
            .as_i64()
            .or_else(|| v.as_f64().filter(|f| f.is_finite()).map(|f| f as i64))
            .map(Some)
            .ok_or(AccessError::Claim(name)),
    }
}

/// `s` with every character a quoted-string header value (RFC 6750 §3) cannot hold replaced by `?`, and at most
/// 200 characters long.
pub fn header_safe(s: &str) -> String {
    s.chars()
        .take(200)
        .map(|c| match c {
            ' ' | '!' | '#'..='[' | ']'..='~' => c,
            _ => '?',
        })
        .collect()
}

/// A claim value shown in a message: at most 80 characters, header-safe.
pub fn shown(s: &str) -> String {
    let mut out = header_safe(s);
    if s.chars().count() > 80 {
        out = out.chars().take(77).collect::<String>() + "...";
    }
    out
}

#[cfg(test)]
mod tests {
    use base64::Engine;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use serde_json::json;

    use super::*;

    const ISS: &str = "https://acme.eu.auth0.com/";
    const AUD: &str = "https://api.orgpass.example/";
    const NOW: i64 = 1_700_000_000;

    fn profile() -> AccessProfile {
        AccessProfile::new(ISS, AUD, Duration::from_secs(60))
    }

    fn good() -> Value {
        json!({
            "iss": ISS, "sub": "auth0|alice", "aud": [AUD, format!("{ISS}userinfo")],
            "iat": NOW - 10, "exp": NOW + 3600, "scope": "openid read:projects",
            "azp": "orgpass-desktop", "org_id": "org_AcmeA1b2C3d4E5f6", "org_name": "acme",
            "permissions": ["write:projects"],
        })
    }

    fn check(claims: Value) -> Result<AccessClaims, AccessError> {
        let Value::Object(map) = claims else {
            panic!("claims are an object")
        };
        profile().check_claims(map, NOW)
    }

    fn with(change: impl FnOnce(&mut Map<String, Value>)) -> Value {
        let mut v = good();
        change(v.as_object_mut().unwrap());
        v
    }

    #[test]
    fn good_claims() {
        let c = check(good()).unwrap();
        assert_eq!((c.sub, c.caller), ("auth0|alice".into(), Caller::Person));
        let org = (c.org.id.as_str(), c.org.name.as_deref());
        assert_eq!(org, ("org_AcmeA1b2C3d4E5f6", Some("acme")));
        assert_eq!(
            c.scopes,
            BTreeSet::from(["openid".to_owned(), "read:projects".to_owned()])
        );
        assert_eq!(c.permissions, BTreeSet::from(["write:projects".to_owned()]));
        assert_eq!(c.azp.as_deref(), Some("orgpass-desktop"));
        assert_eq!((c.exp, c.iat), (NOW + 3600, NOW - 10));
        assert_eq!(c.all.get("org_name"), Some(&json!("acme")));
    }

    #[test]
    fn claim_table() {
        let set = |k: &str, v: Value| {
            let k = k.to_owned();
            with(move |m| drop(m.insert(k, v)))
        };
        let drop_ = |k: &'static str| with(move |m| drop(m.remove(k)));
        let long_org = |n: usize| json!(format!("org_{}", "a".repeat(n)));
        let jkt = json!({"jkt": "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I"});
        // (what, claims, the check that must fail, or None to pass)
        #[rustfmt::skip]
        let rows: Vec<(&str, Value, Option<&str>)> = vec![
            ("aud as a string", set("aud", json!(AUD)), None),
            ("wrong iss", set("iss", json!("https://evil/")), Some("iss")),
            ("iss without slash", set("iss", json!(ISS.trim_end_matches('/'))), Some("iss")),
            ("no iss", drop_("iss"), Some("iss")),
            ("wrong aud", set("aud", json!(["https://other/"])), Some("aud")),
            ("ID token aud", set("aud", json!("orgpass-desktop")), Some("aud")),
            ("empty aud", set("aud", json!([])), Some("aud")),
            ("aud of numbers", set("aud", json!([AUD, 3])), Some("aud")),
            ("expired", set("exp", json!(NOW - 61)), Some("exp")),
            ("expired within leeway", set("exp", json!(NOW - 59)), None),
            ("no exp", drop_("exp"), Some("exp")),
            ("exp a string", set("exp", json!("soon")), Some("exp")),
            ("nbf future", set("nbf", json!(NOW + 61)), Some("nbf")),
            ("nbf within leeway", set("nbf", json!(NOW + 59)), None),
            ("iat future", set("iat", json!(NOW + 61)), Some("iat")),
            ("no iat", drop_("iat"), Some("iat")),
            ("no sub", drop_("sub"), Some("sub")),
            ("no org_id", drop_("org_id"), Some("org_id")),
            ("org_id a number", set("org_id", json!(7)), Some("org_id")),
            ("org_id a name", set("org_id", json!("acme")), Some("org_id")),
            ("org_id bare prefix", set("org_id", json!("org_")), Some("org_id")),
            ("org_id with dash", set("org_id", json!("org_a-b")), Some("org_id")),
            ("org_id too long", set("org_id", long_org(47)), Some("org_id")),
            ("org_id at the limit", set("org_id", long_org(46)), None),
            ("scope a list", set("scope", json!(["a"])), Some("scope")),
            ("permissions a string", set("permissions", json!("a")), Some("permissions")),
            ("bound to a DPoP key", set("cnf", jkt), Some("cnf")),
            ("gty of a person (the guard's tests have applications' signed tokens)", set("gty", json!(["refresh_token", "password"])), None),
            ("gty a number", set("gty", json!(3)), Some("gty")),
            ("client credentials, a user's sub", set("gty", json!("client-credentials")), Some("sub")),
            ("@clients sub, no gty", set("sub", json!("m2mApp@clients")), Some("gty")),
        ];
        for (what, claims, want) in rows {
            let got = check(claims).err().map(|e| e.check());
            assert_eq!(got, want, "{what}");
        }
    }

    fn b64(v: &Value) -> String {
        URL_SAFE_NO_PAD.encode(v.to_string())
    }

    #[test]
    fn header_table() {
        // (header, the check that must fail, or None to pass)
        #[rustfmt::skip]
        let rows: Vec<(Value, Option<&str>)> = vec![
            (json!({"alg": "RS256", "kid": "k"}), None),
            (json!({"alg": "RS256", "typ": "JWT"}), None),
            (json!({"alg": "RS256", "typ": "jwt"}), None),
            (json!({"alg": "RS256", "typ": "at+jwt"}), None),
            (json!({"alg": "RS256", "typ": "AT+JWT"}), None),
            (json!({"alg": "RS256", "typ": "application/at+jwt"}), None),
            (json!({"alg": "RS256", "typ": "logout+jwt"}), Some("typ")),
            (json!({"alg": "RS256", "typ": "JOSE"}), Some("typ")),
            (json!({"alg": "RS256", "typ": 1}), Some("typ")),
            (json!({"alg": "none"}), Some("alg")),
            (json!({"alg": "HS256"}), Some("alg")),
            (json!({"alg": "RS512"}), Some("alg")),
            (json!({"alg": "rs256"}), Some("alg")),
            (json!({"typ": "JWT"}), Some("alg")),
            (json!({"alg": "RS256", "crit": ["exp"]}), Some("malformed")),
            (json!({"alg": "RS256", "kid": 5}), Some("malformed")),
            (json!({"alg": "RS256", "jwk": {"kty": "RSA"}}), Some("malformed")),
            (json!(["alg", "RS256"]), Some("malformed")),
        ];
        for (header, want) in rows {
            let token = format!("{}.{}.c2ln", b64(&header), b64(&good()));
            let got = profile().parse(&token).err().map(|e| e.check());
            assert_eq!(got, want, "{header}");
        }
        let huge = "a".repeat(MAX_TOKEN_BYTES + 1);
        for token in ["a.b", "a.b.c.d", "a.b.c.d.e", "", "!!.b.c", &huge] {
            assert_eq!(
                profile().parse(token).err().map(|e| e.check()),
                Some("malformed"),
                "{}",
                &token[..token.len().min(20)]
            );
        }
        let token = format!("{}.e30.c2ln", b64(&json!({"alg": "RS256", "kid": "k1"})));
        assert_eq!(profile().parse(&token).unwrap().kid(), Some("k1"));
    }

    #[test]
    fn binding_to_a_dpop_key() {
        let jkt = "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I";
        let bound = with(|m| drop(m.insert("cnf".into(), json!({"jkt": jkt}))));
        let (bound, bare) = (
            bound.as_object().unwrap(),
            good().as_object().unwrap().clone(),
        );
        let p = profile();
        let dpop = Presented::Dpop { jkt };
        let bound = bound.clone();
        assert!(p.check_claims_presented(bound.clone(), NOW, dpop).is_ok());
        assert_eq!(
            p.check_claims_presented(bound.clone(), NOW, Presented::Bearer)
                .unwrap_err(),
            AccessError::BoundToKey
        );
        assert_eq!(
            p.check_claims_presented(bare, NOW, dpop).unwrap_err(),
            AccessError::NotBound
        );
        let other = p
            .check_claims_presented(bound, NOW, Presented::Dpop { jkt: "another" })
            .unwrap_err();
        assert!(matches!(other, AccessError::OtherKey { .. }));
        assert_eq!(other.check(), "cnf");
    }

    /// A token passed once is not verified again, but every claim is: later it is refused once expired, and a
    /// bound token accepted with its proof is refused as Bearer. A refused token is not remembered.
    #[test]
    fn remembered_tokens_still_meet_every_claim_check() {
        use rsa::pkcs1::EncodeRsaPrivateKey as _;
        use rsa::traits::PublicKeyParts as _;
        let private = rsa::RsaPrivateKey::new(&mut rand::thread_rng(), 2048).unwrap();
        let pem = private.to_pkcs1_pem(rsa::pkcs8::LineEnding::LF).unwrap();
        let signing = jsonwebtoken::EncodingKey::from_rsa_pem(pem.as_bytes()).unwrap();
        let sign = |claims: &Value| {
            let mut h = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::RS256);
            h.typ = Some("at+jwt".into());
            jsonwebtoken::encode(&h, claims, &signing).unwrap()
        };
        let public = private.to_public_key();
        let key = Arc::new(DecodingKey::from_rsa_raw_components(
            &public.n().to_bytes_be(),
            &public.e().to_bytes_be(),
        ));
        let jkt = "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I";
        let token = sign(&with(|m| drop(m.insert("cnf".into(), json!({"jkt": jkt})))));
        let p = profile();
        let memo = Verified::new(10);
        let run = |now: i64, presented: Presented<'_>| {
            let jws = Compact::parse(&token, Alg::Rs256).unwrap();
            p.check_presented_memo(&token, jws, &key, now, presented, &memo)
        };
        assert!(run(NOW, Presented::Dpop { jkt }).is_ok());
        assert_eq!(memo.len(), 1);
        assert!(run(NOW + 60, Presented::Dpop { jkt }).is_ok());
        let (as_bearer, later) = (run(NOW, Presented::Bearer), NOW + 3600 + 61);
        assert_eq!(as_bearer.unwrap_err(), AccessError::BoundToKey);
        let expired = run(later, Presented::Dpop { jkt }).unwrap_err();
        assert_eq!(expired.check(), "exp");
        let expired = sign(&with(|m| drop(m.insert("exp".into(), json!(NOW - 600)))));
        let jws = Compact::parse(&expired, Alg::Rs256).unwrap();
        assert!(
            p.check_presented_memo(&expired, jws, &key, NOW, Presented::Bearer, &memo)
                .is_err()
        );
        assert_eq!(memo.len(), 1, "a refused token is not remembered");
    }

    #[test]
    fn org_ids() {
        assert!(is_org_id("org_AcmeA1b2C3d4E5f6"));
        assert!(!is_org_id("ORG_AcmeA1b2C3d4E5f6"));
        assert!(!is_org_id("org_Acme\u{e9}"));
        assert!(!is_org_id(" org_Acme"));
    }

    #[test]
    fn shown_values_are_short_and_header_safe() {
        assert_eq!(shown("https://acme/"), "https://acme/");
        assert_eq!(shown("a\"b\\c\r\nd"), "a?b?c??d");
        let long = "x".repeat(200);
        assert_eq!(shown(&long).len(), 80);
        assert!(shown(&long).ends_with("..."));
    }
}
