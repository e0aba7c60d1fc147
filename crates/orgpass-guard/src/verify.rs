//! Access-token verification (RFC 9068 §4 with Auth0's organization claim), one function per check.
//!
//! The algorithm is fixed (RS256) and the key is chosen by `kid` from our JWKS cache: the header is read only
//! to refuse the token or to look the `kid` up, never to pick an algorithm or a key. The signature is checked
//! before any claim is believed.

use std::collections::BTreeSet;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, DecodingKey};
use serde_json::{Map, Value};

use crate::claims::{Checked, Claims, Org};
use crate::config::GuardConfig;
use crate::error::{GuardError, shown};

/// The longest token accepted (Auth0's are 1–2 KiB; a header this large is an attack or a mistake).
pub const MAX_TOKEN_BYTES: usize = 16 * 1024;

/// The longest `org_id` accepted (Auth0: at most 50 characters).
pub const MAX_ORG_ID_LEN: usize = 50;

/// A compact JWS whose header passed the checks: RS256, an access token's `typ`, no `crit`.
pub(crate) struct Jws<'t> {
    signing_input: &'t str,
    payload: &'t str,
    signature: &'t str,
    kid: Option<String>,
}

impl<'t> Jws<'t> {
    /// Splits `token` and checks its header (`alg`, `typ`, `crit`, `kid`'s type).
    pub fn parse(token: &'t str) -> Result<Self, GuardError> {
        if token.len() > MAX_TOKEN_BYTES {
            return Err(GuardError::Malformed("longer than 16 KiB"));
        }
        let (signing_input, signature) = token
            .rsplit_once('.')
            .ok_or(GuardError::Malformed("not three dot-separated parts"))?;
        let (header, payload) = signing_input
            .split_once('.')
            .ok_or(GuardError::Malformed("not three dot-separated parts"))?;
        if payload.contains('.') {
            return Err(GuardError::Malformed(
                "more than three parts (an encrypted token?)",
            ));
        }
        let header = URL_SAFE_NO_PAD
            .decode(header)
            .map_err(|_| GuardError::Malformed("the header is not base64url"))?;
        let header: Map<String, Value> = serde_json::from_slice(&header)
            .map_err(|_| GuardError::Malformed("the header is not a JSON object"))?;
        check_alg(&header)?;
        check_typ(&header)?;
        if header.contains_key("crit") {
            return Err(GuardError::Malformed(
                "the header has crit, and no extension is understood",
            ));
        }
        let kid = match header.get("kid") {
            None => None,
            Some(Value::String(k)) => Some(k.clone()),
            Some(_) => return Err(GuardError::Malformed("kid is not a string")),
        };
        Ok(Self {
            signing_input,
            payload,
            signature,
            kid,
        })
    }

    /// The `kid` to look up in our JWKS cache.
    pub fn kid(&self) -> Option<&str> {
        self.kid.as_deref()
    }

    /// Checks the RS256 signature with `key`, then decodes the claims (which are believed only after this).
    pub fn verify_signature(&self, key: &DecodingKey) -> Result<Map<String, Value>, GuardError> {
        match jsonwebtoken::crypto::verify(
            self.signature,
            self.signing_input.as_bytes(),
            key,
            Algorithm::RS256,
        ) {
            Ok(true) => {}
            Ok(false) => return Err(GuardError::Signature),
            Err(e) => {
                return Err(match e.kind() {
                    jsonwebtoken::errors::ErrorKind::Base64(_) => {
                        GuardError::Malformed("the signature is not base64url")
                    }
                    _ => GuardError::Signature,
                });
            }
        }
        let payload = URL_SAFE_NO_PAD
            .decode(self.payload)
            .map_err(|_| GuardError::Malformed("the claims are not base64url"))?;
        serde_json::from_slice(&payload)
            .map_err(|_| GuardError::Malformed("the claims are not a JSON object"))
    }
}

/// `alg` must be RS256: never `none`, never HS256 (which would make the public key a shared secret).
fn check_alg(header: &Map<String, Value>) -> Result<(), GuardError> {
    match header.get("alg") {
        Some(Value::String(a)) if a == "RS256" => Ok(()),
        Some(Value::String(a)) => Err(GuardError::Algorithm(shown(a))),
        Some(other) => Err(GuardError::Algorithm(shown(&other.to_string()))),
        None => Err(GuardError::Algorithm("missing".into())),
    }
}

/// `typ`, when present, must mark an access token: `at+jwt` (RFC 9068, also as `application/at+jwt`) or
/// `JWT` (what Auth0 sends), in any case.
fn check_typ(header: &Map<String, Value>) -> Result<(), GuardError> {
    let Some(typ) = header.get("typ") else {
        return Ok(());
    };
    let Value::String(t) = typ else {
        return Err(GuardError::Type(shown(&typ.to_string())));
    };
    let lower = t.to_ascii_lowercase();
    let bare = lower.strip_prefix("application/").unwrap_or(&lower);
    if bare == "at+jwt" || bare == "jwt" {
        Ok(())
    } else {
        Err(GuardError::Type(shown(t)))
    }
}

/// Every claim check, in order, on the claims of a token whose signature verified. `now` in UNIX seconds.
pub(crate) fn check_claims(
    config: &GuardConfig,
    all: Map<String, Value>,
    now: i64,
) -> Result<Claims, GuardError> {
    check_iss(config, &all)?;
    check_aud(config, &all)?;
    let leeway = config.leeway().as_secs();
    let exp = check_exp(&all, now, leeway)?;
    check_nbf(&all, now, leeway)?;
    let iat = check_iat(&all, now, leeway)?;
    let sub = str_claim(&all, "sub")?
        .ok_or(GuardError::Claim("sub"))?
        .to_owned();
    let org = check_org(&all)?;
    let scopes = str_claim(&all, "scope")?
        .map(|s| s.split_whitespace().map(str::to_owned).collect())
        .unwrap_or_default();
    let permissions = permissions(&all)?;
    let azp = str_claim(&all, "azp")?.map(str::to_owned);
    let checked = Checked {
        sub,
        org,
        scopes,
        permissions,
        azp,
        exp,
        iat,
    };
    Ok(Claims::new(checked, all))
}

/// `iss` must equal the configured issuer exactly.
fn check_iss(config: &GuardConfig, all: &Map<String, Value>) -> Result<(), GuardError> {
    let iss = str_claim(all, "iss")?.ok_or(GuardError::Claim("iss"))?;
    if iss != config.issuer() {
        return Err(GuardError::Issuer {
            got: shown(iss),
            want: config.issuer().to_owned(),
        });
    }
    Ok(())
}

/// `aud` (a string or an array of strings) must contain the API identifier. An ID token, whose `aud` is the
/// client id, fails here.
fn check_aud(config: &GuardConfig, all: &Map<String, Value>) -> Result<(), GuardError> {
    let want = config.audience();
    let ok = match all.get("aud") {
        Some(Value::String(a)) => a == want,
        Some(Value::Array(list)) if !list.is_empty() => {
            let mut found = false;
            for a in list {
                match a {
                    Value::String(a) => found |= a == want,
                    _ => return Err(GuardError::Claim("aud")),
                }
            }
            found
        }
        _ => return Err(GuardError::Claim("aud")),
    };
    if ok {
        return Ok(());
    }
    let got = match &all["aud"] {
        Value::String(a) => a.clone(),
        other => other.to_string(),
    };
    Err(GuardError::Audience {
        got: shown(&got),
        want: shown(want),
    })
}

/// `exp` is required and must be after now, minus the leeway.
fn check_exp(all: &Map<String, Value>, now: i64, leeway: u64) -> Result<i64, GuardError> {
    let exp = int_claim(all, "exp")?.ok_or(GuardError::Claim("exp"))?;
    if exp.saturating_add(leeway as i64) <= now {
        return Err(GuardError::Expired { exp, now, leeway });
    }
    Ok(exp)
}

/// `nbf`, when present, must not be after now plus the leeway.
fn check_nbf(all: &Map<String, Value>, now: i64, leeway: u64) -> Result<(), GuardError> {
    if let Some(nbf) = int_claim(all, "nbf")?
        && nbf > now.saturating_add(leeway as i64)
    {
        return Err(GuardError::NotYetValid { nbf, now, leeway });
    }
    Ok(())
}

/// `iat` is required (RFC 9068 §2.2) and must not be after now plus the leeway.
fn check_iat(all: &Map<String, Value>, now: i64, leeway: u64) -> Result<i64, GuardError> {
    let iat = int_claim(all, "iat")?.ok_or(GuardError::Claim("iat"))?;
    if iat > now.saturating_add(leeway as i64) {
        return Err(GuardError::IssuedInFuture { iat, now, leeway });
    }
    Ok(iat)
}

/// `org_id` must be present and an organization ID (`org_` and letters or digits, at most
/// [`MAX_ORG_ID_LEN`] characters); `org_name`, when present, a string.
fn check_org(all: &Map<String, Value>) -> Result<Org, GuardError> {
    let id = str_claim(all, "org_id")?.ok_or(GuardError::Claim("org_id"))?;
    if !is_org_id(id) {
        return Err(GuardError::OrgId(shown(id)));
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
fn permissions(all: &Map<String, Value>) -> Result<BTreeSet<String>, GuardError> {
    match all.get("permissions") {
        None | Some(Value::Null) => Ok(BTreeSet::new()),
        Some(Value::Array(list)) => list
            .iter()
            .map(|p| {
                p.as_str()
                    .map(str::to_owned)
                    .ok_or(GuardError::Claim("permissions"))
            })
            .collect(),
        Some(_) => Err(GuardError::Claim("permissions")),
    }
}

fn str_claim<'v>(
    all: &'v Map<String, Value>,
    name: &'static str,
) -> Result<Option<&'v str>, GuardError> {
    match all.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(GuardError::Claim(name)),
    }
}

fn int_claim(all: &Map<String, Value>, name: &'static str) -> Result<Option<i64>, GuardError> {
    match all.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => v
            .as_i64()
            .or_else(|| v.as_f64().filter(|f| f.is_finite()).map(|f| f as i64))
            .map(Some)
            .ok_or(GuardError::Claim(name)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const ISS: &str = "https://acme.eu.auth0.com/";
    const AUD: &str = "https://api.orgpass.example/";
    const NOW: i64 = 1_700_000_000;

    fn config() -> GuardConfig {
        GuardConfig::new(ISS, AUD).unwrap()
    }

    fn good() -> Value {
        json!({
            "iss": ISS, "sub": "auth0|alice", "aud": [AUD, format!("{ISS}userinfo")],
            "iat": NOW - 10, "exp": NOW + 3600, "scope": "openid read:projects",
            "azp": "orgpass-desktop", "org_id": "org_AcmeA1b2C3d4E5f6", "org_name": "acme",
            "permissions": ["write:projects"],
        })
    }

    fn check(claims: Value) -> Result<Claims, GuardError> {
        let Value::Object(map) = claims else {
            panic!("claims are an object")
        };
        check_claims(&config(), map, NOW)
    }

    fn with(change: impl FnOnce(&mut Map<String, Value>)) -> Value {
        let mut v = good();
        change(v.as_object_mut().unwrap());
        v
    }

    #[test]
    fn good_claims() {
        let c = check(good()).unwrap();
        assert_eq!(c.sub(), "auth0|alice");
        assert_eq!(c.org_id(), "org_AcmeA1b2C3d4E5f6");
        assert_eq!(c.org_name(), Some("acme"));
        assert!(c.has_scope("read:projects") && c.has_scope("write:projects"));
        assert!(!c.has_scope("delete:projects"));
        assert_eq!(c.azp(), Some("orgpass-desktop"));
        assert_eq!(c.exp(), NOW + 3600);
        assert_eq!(c.get("org_name"), Some(&json!("acme")));
        assert!(c.require_scope("read:projects write:projects").is_ok());
        assert_eq!(
            c.require_scope("read:projects admin").unwrap_err().check(),
            "scope"
        );
    }

    #[test]
    fn claim_table() {
        // (what, claims, the check that must fail, or None to pass)
        let rows: Vec<(&str, Value, Option<&str>)> = vec![
            (
                "aud as a string",
                with(|m| drop(m.insert("aud".into(), json!(AUD)))),
                None,
            ),
            (
                "wrong iss",
                with(|m| drop(m.insert("iss".into(), json!("https://evil/")))),
                Some("iss"),
            ),
            (
                "iss without slash",
                with(|m| drop(m.insert("iss".into(), json!(ISS.trim_end_matches('/'))))),
                Some("iss"),
            ),
            ("no iss", with(|m| drop(m.remove("iss"))), Some("iss")),
            (
                "wrong aud",
                with(|m| drop(m.insert("aud".into(), json!(["https://other/"])))),
                Some("aud"),
            ),
            (
                "ID token aud",
                with(|m| drop(m.insert("aud".into(), json!("orgpass-desktop")))),
                Some("aud"),
            ),
            (
                "empty aud",
                with(|m| drop(m.insert("aud".into(), json!([])))),
                Some("aud"),
            ),
            (
                "aud of numbers",
                with(|m| drop(m.insert("aud".into(), json!([AUD, 3])))),
                Some("aud"),
            ),
            (
                "expired",
                with(|m| drop(m.insert("exp".into(), json!(NOW - 61)))),
                Some("exp"),
            ),
            (
                "expired within leeway",
                with(|m| drop(m.insert("exp".into(), json!(NOW - 59)))),
                None,
            ),
            ("no exp", with(|m| drop(m.remove("exp"))), Some("exp")),
            (
                "exp a string",
                with(|m| drop(m.insert("exp".into(), json!("soon")))),
                Some("exp"),
            ),
            (
                "nbf future",
                with(|m| drop(m.insert("nbf".into(), json!(NOW + 61)))),
                Some("nbf"),
            ),
            (
                "nbf within leeway",
                with(|m| drop(m.insert("nbf".into(), json!(NOW + 59)))),
                None,
            ),
            (
                "iat future",
                with(|m| drop(m.insert("iat".into(), json!(NOW + 61)))),
                Some("iat"),
            ),
            ("no iat", with(|m| drop(m.remove("iat"))), Some("iat")),
            ("no sub", with(|m| drop(m.remove("sub"))), Some("sub")),
            (
                "no org_id",
                with(|m| drop(m.remove("org_id"))),
                Some("org_id"),
            ),
            (
                "org_id a number",
                with(|m| drop(m.insert("org_id".into(), json!(7)))),
                Some("org_id"),
            ),
            (
                "org_id a name",
                with(|m| drop(m.insert("org_id".into(), json!("acme")))),
                Some("org_id"),
            ),
            (
                "org_id bare prefix",
                with(|m| drop(m.insert("org_id".into(), json!("org_")))),
                Some("org_id"),
            ),
            (
                "org_id with dash",
                with(|m| drop(m.insert("org_id".into(), json!("org_a-b")))),
                Some("org_id"),
            ),
            (
                "org_id too long",
                with(|m| drop(m.insert("org_id".into(), json!(format!("org_{}", "a".repeat(47)))))),
                Some("org_id"),
            ),
            (
                "org_id at the limit",
                with(|m| drop(m.insert("org_id".into(), json!(format!("org_{}", "a".repeat(46)))))),
                None,
            ),
            (
                "scope a list",
                with(|m| drop(m.insert("scope".into(), json!(["a"])))),
                Some("scope"),
            ),
            (
                "permissions a string",
                with(|m| drop(m.insert("permissions".into(), json!("a")))),
                Some("permissions"),
            ),
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
            (json!(["alg", "RS256"]), Some("malformed")),
        ];
        for (header, want) in rows {
            let token = format!("{}.{}.c2ln", b64(&header), b64(&good()));
            let got = Jws::parse(&token).err().map(|e| e.check());
            assert_eq!(got, want, "{header}");
        }
        for token in [
            "a.b",
            "a.b.c.d",
            "a.b.c.d.e",
            "",
            "!!.b.c",
            &"a".repeat(MAX_TOKEN_BYTES + 1),
        ] {
            assert_eq!(
                Jws::parse(token).err().map(|e| e.check()),
                Some("malformed"),
                "{}",
                &token[..token.len().min(20)]
            );
        }
        let token = format!("{}.e30.c2ln", b64(&json!({"alg": "RS256", "kid": "k1"})));
        let jws = Jws::parse(&token).unwrap();
        assert_eq!(jws.kid(), Some("k1"));
    }

    #[test]
    fn org_ids() {
        assert!(is_org_id("org_AcmeA1b2C3d4E5f6"));
        assert!(!is_org_id("ORG_AcmeA1b2C3d4E5f6"));
        assert!(!is_org_id("org_Acme\u{e9}"));
        assert!(!is_org_id(" org_Acme"));
    }
}
