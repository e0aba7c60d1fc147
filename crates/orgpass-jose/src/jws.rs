//! Compact JWS (RFC 7515 §7.1) verified with the algorithm the caller pins: the header's `alg` must name it, but
//! never chooses it; the key comes from the caller's [`KeySet`] by `kid`. One function per check, in order.

use serde::Deserialize;

use crate::keys::{Alg, KeySet, b64};

/// The largest compact JWS read (Auth0's tokens are a few KiB).
pub const MAX_JWS_BYTES: usize = 64 * 1024;

/// Why a compact JWS was not accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JwsError {
    #[error("the token is larger than {} KiB", MAX_JWS_BYTES / 1024)]
    TooLarge,
    #[error("the token is not a compact JWS (three base64url parts separated by dots)")]
    Malformed,
    #[error("the token's {0} is not canonical base64url")]
    BadEncoding(&'static str),
    #[error("the token's header is not a JSON object of the right shape: {0}")]
    BadHeader(String),
    #[error("the token is signed with {found}, but only {pinned} is accepted here")]
    WrongAlgorithm { pinned: &'static str, found: String },
    #[error("the token's header marks {0} as critical, which this verifier does not understand")]
    Critical(String),
    #[error(
        "the token's header has `{0}`, a key of its own: keys come only from the issuer's key set"
    )]
    EmbeddedKey(&'static str),
    #[error("no key in the issuer's key set for kid {kid}")]
    UnknownKey { kid: String },
    #[error("the issuer's key for kid {kid} is not used: {reason}")]
    RefusedKey { kid: String, reason: String },
    #[error("the token has no kid and the issuer's key set has no single key for it")]
    NoKid,
    #[error("the token's signature does not verify")]
    BadSignature,
}

/// The protected header's members the verifier reads.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Header {
    #[serde(default)]
    pub alg: Option<String>,
    #[serde(default)]
    pub kid: Option<String>,
    /// Any JSON value: a profile refuses a non-string `typ` with its own message.
    #[serde(default)]
    pub typ: Option<serde_json::Value>,
    #[serde(default)]
    crit: Option<serde_json::Value>,
    #[serde(default)]
    jwk: Option<serde_json::Value>,
    #[serde(default)]
    jku: Option<serde_json::Value>,
    #[serde(default)]
    x5u: Option<serde_json::Value>,
    #[serde(default)]
    x5c: Option<serde_json::Value>,
}

/// A JWS whose signature verified: its header and the payload bytes (claims are the caller's profile to check).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    pub header: Header,
    pub payload: Vec<u8>,
}

/// Verifies `token` with `alg` and a key of `keys`.
pub fn verify_compact(token: &str, alg: Alg, keys: &KeySet) -> Result<Verified, JwsError> {
    let jws = Compact::parse(token, alg)?;
    let key = keys.key_for(jws.kid(), alg)?;
    jws.verify(&key)
}

/// A compact JWS whose header passed every check (the pinned `alg`, no `crit`, no key of its own), not yet its
/// signature: the caller looks its `kid` up (in a key set, or through the [JWKS cache](crate::JwksCache)), then
/// calls [`Compact::verify`]. Nothing in it is believed before that.
#[derive(Debug)]
pub struct Compact<'t> {
    parts: Parts<'t>,
    header: Header,
    payload: Vec<u8>,
    alg: Alg,
}

impl<'t> Compact<'t> {
    /// RFC 7515 §5.2 steps 1–5 for `token`, with `alg` pinned.
    pub fn parse(token: &'t str, alg: Alg) -> Result<Self, JwsError> {
        Self::parse_allowing(token, alg, false)
    }

    /// As [`Compact::parse`], for the one kind of JWS that brings its own key in `jwk`: a DPoP proof (RFC 9449
    /// §4.2), whose profile checks that key ([`crate::dpop`]). `jku`, `x5u` and `x5c` are still refused.
    pub fn parse_with_key(token: &'t str, alg: Alg) -> Result<Self, JwsError> {
        Self::parse_allowing(token, alg, true)
    }

    fn parse_allowing(token: &'t str, alg: Alg, own_key: bool) -> Result<Self, JwsError> {
        let parts = split(token)?;
        let header = header(parts.header)?;
        check_alg(&header, alg)?;
        check_crit(&header)?;
        check_no_embedded_key(&header, own_key)?;
        let payload = b64(parts.payload).ok_or(JwsError::BadEncoding("payload"))?;
        Ok(Self {
            parts,
            header,
            payload,
            alg,
        })
    }

    /// The protected header (its `typ` is the caller's profile to check).
    pub fn header(&self) -> &Header {
        &self.header
    }

    /// The `kid` to look up.
    pub fn kid(&self) -> Option<&str> {
        self.header.kid.as_deref()
    }

    /// The header's own `jwk` (only a JWS read by [`Compact::parse_with_key`] may have one).
    pub fn embedded_jwk(&self) -> Option<&serde_json::Value> {
        self.header.jwk.as_ref()
    }

    /// RFC 7515 §5.2 step 8: the signature with `key`; then the payload may be believed.
    pub fn verify(self, key: &jsonwebtoken::DecodingKey) -> Result<Verified, JwsError> {
        signature(&self.parts, self.alg, key)?;
        Ok(Verified {
            header: self.header,
            payload: self.payload,
        })
    }
}

#[derive(Debug)]
struct Parts<'a> {
    header: &'a str,
    payload: &'a str,
    signature: &'a str,
    signing_input: &'a str,
}

/// RFC 7515 §7.1: three parts, base64url, no whitespace, within a size bound.
fn split(token: &str) -> Result<Parts<'_>, JwsError> {
    if token.len() > MAX_JWS_BYTES {
        return Err(JwsError::TooLarge);
    }
    let mut it = token.split('.');
    let (Some(header), Some(payload), Some(signature), None) =
        (it.next(), it.next(), it.next(), it.next())
    else {
        return Err(JwsError::Malformed);
    };
    Ok(Parts {
        header,
        payload,
        signature,
        signing_input: &token[..header.len() + 1 + payload.len()],
    })
}

/// RFC 7515 §5.2 steps 2–4: the header decodes to a JSON object.
fn header(encoded: &str) -> Result<Header, JwsError> {
    let bytes = b64(encoded).ok_or(JwsError::BadEncoding("header"))?;
    // Through a map: serde would read a struct from a JSON array too.
    let object: serde_json::Map<String, serde_json::Value> =
        serde_json::from_slice(&bytes).map_err(|e| JwsError::BadHeader(e.to_string()))?;
    serde_json::from_value(object.into()).map_err(|e| JwsError::BadHeader(e.to_string()))
}

/// RFC 8725 §3.1: the algorithm is the caller's; a header naming another one is refused, not obeyed.
fn check_alg(header: &Header, alg: Alg) -> Result<(), JwsError> {
    match header.alg.as_deref() {
        Some(found) if found == alg.name() => Ok(()),
        found => Err(JwsError::WrongAlgorithm {
            pinned: alg.name(),
            found: found.unwrap_or("none named").to_owned(),
        }),
    }
}

/// RFC 7515 §4.1.11: no extension is understood here, so any `crit` is refused.
fn check_crit(header: &Header) -> Result<(), JwsError> {
    match &header.crit {
        None => Ok(()),
        Some(v) => Err(JwsError::Critical(v.to_string())),
    }
}

/// RFC 8725 §3.10: a token never brings its own key (`jwk`, `jku`, `x5u`, `x5c`); DPoP proofs, whose `jwk` is
/// the point, are checked by their own profile.
fn check_no_embedded_key(header: &Header, own_key: bool) -> Result<(), JwsError> {
    for (name, present) in [
        ("jwk", header.jwk.is_some() && !own_key),
        ("jku", header.jku.is_some()),
        ("x5u", header.x5u.is_some()),
        ("x5c", header.x5c.is_some()),
    ] {
        if present {
            return Err(JwsError::EmbeddedKey(name));
        }
    }
    Ok(())
}

/// RFC 7515 §5.2 step 8: the signature over `header.payload`.
fn signature(parts: &Parts<'_>, alg: Alg, key: &jsonwebtoken::DecodingKey) -> Result<(), JwsError> {
    verify_signature(parts.signing_input.as_bytes(), parts.signature, alg, key)
}

/// The one signature check under every profile: `signature` (canonical base64url) over `signing_input` with `key`
/// for `alg`. Public so that raw-signature vectors (Wycheproof's RSA PKCS#1) run through this very path.
pub fn verify_signature(
    signing_input: &[u8],
    signature: &str,
    alg: Alg,
    key: &jsonwebtoken::DecodingKey,
) -> Result<(), JwsError> {
    if b64(signature).is_none() {
        return Err(JwsError::BadEncoding("signature"));
    }
    match jsonwebtoken::crypto::verify(signature, signing_input, key, alg.jsonwebtoken()) {
        Ok(true) => Ok(()),
        _ => Err(JwsError::BadSignature),
    }
}
