//! DPoP (RFC 9449): proofs of possession of a key, made by the client and checked by a server.
//!
//! - [`DpopKey`]: a P-256 key pair made for one session (ES256, as Auth0 uses), kept by the caller as PKCS#8 in
//!   the OS keychain; it signs a [proof](DpopKey::proof) for each request (`htm`, `htu`, `iat`, a fresh `jti`, and
//!   `ath` for an API call, `nonce` when the server asked for one). Its [thumbprint](DpopKey::thumbprint) (RFC 7638)
//!   is what tokens are bound to (`cnf.jkt`, `dpop_jkt`).
//! - [`check_proof`]: a server's checks of one proof (RFC 9449 §4.3), one function per check; replay of a `jti`
//!   within the window is the caller's store to refuse ([`Proof::jti`]).

use std::fmt;
use std::time::Duration;

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, KeyPair as _};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use url::Url;

use crate::jws::{Compact, JwsError};
use crate::keys::{Alg, KeySet};
use crate::thumbprint::thumbprint;

/// The `typ` of a DPoP proof.
pub const PROOF_TYP: &str = "dpop+jwt";

/// The algorithms a proof may be signed with here (Auth0's clients use ES256).
pub const ALGS: &[Alg] = &[Alg::Es256];

/// How far a proof's `iat` may be from the server's clock, either way, by default.
pub const DEFAULT_WINDOW: Duration = Duration::from_secs(60);

/// The longest proof read (a real one is about 600 bytes).
pub const MAX_PROOF_BYTES: usize = 4 * 1024;

/// Why a key could not be made or read, or a proof not made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DpopKeyError {
    #[error("the operating system's random source failed; try again")]
    Random,
    #[error("the stored DPoP key is not a P-256 key in PKCS#8; sign in again to make a new one")]
    Unreadable,
}

/// A session's DPoP key pair. Its `Debug` shows only the thumbprint; the private half leaves only through
/// [`DpopKey::pkcs8`], for the keychain.
pub struct DpopKey {
    pair: EcdsaKeyPair,
    pkcs8: zeroize::Zeroizing<Vec<u8>>,
    jwk: Value,
    jkt: String,
}

impl fmt::Debug for DpopKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DpopKey")
            .field("jkt", &self.jkt)
            .finish_non_exhaustive()
    }
}

impl DpopKey {
    /// A new P-256 key pair from the operating system's random source.
    pub fn generate() -> Result<Self, DpopKeyError> {
        let doc =
            EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &SystemRandom::new())
                .map_err(|_| DpopKeyError::Random)?;
        Self::from_pkcs8(doc.as_ref())
    }

    /// The key pair stored as PKCS#8 (what [`DpopKey::pkcs8`] gave).
    pub fn from_pkcs8(der: &[u8]) -> Result<Self, DpopKeyError> {
        let pair = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, der)
            .map_err(|_| DpopKeyError::Unreadable)?;
        // The public key is the SEC1 uncompressed point: 0x04, then x and y of 32 bytes each.
        let point = pair.public_key().as_ref();
        if point.len() != 65 || point[0] != 4 {
            return Err(DpopKeyError::Unreadable);
        }
        let jwk = json!({
            "kty": "EC",
            "crv": "P-256",
            "x": URL_SAFE_NO_PAD.encode(&point[1..33]),
            "y": URL_SAFE_NO_PAD.encode(&point[33..]),
        });
        let jkt = thumbprint(&jwk).map_err(|_| DpopKeyError::Unreadable)?;
        Ok(Self {
            pair,
            pkcs8: zeroize::Zeroizing::new(der.to_vec()),
            jwk,
            jkt,
        })
    }

    /// The private key as PKCS#8 DER, for the OS keychain only.
    pub fn pkcs8(&self) -> &[u8] {
        &self.pkcs8
    }

    /// The public key as a JWK (`kty`, `crv`, `x`, `y`), as every proof carries it.
    pub fn public_jwk(&self) -> &Value {
        &self.jwk
    }

    /// The RFC 7638 thumbprint tokens are bound to (`cnf.jkt`; `dpop_jkt` at `/authorize`).
    pub fn thumbprint(&self) -> &str {
        &self.jkt
    }

    /// A proof for one request: `method` and `url` (its query and fragment dropped), at `iat` (UNIX seconds); with
    /// the server's `nonce` when it asked for one, and `access_token`'s hash (`ath`) on a call to an API.
    pub fn proof(
        &self,
        method: &str,
        url: &Url,
        iat: i64,
        nonce: Option<&str>,
        access_token: Option<&str>,
    ) -> Result<String, DpopKeyError> {
        let mut jti = [0u8; 16];
        aws_lc_rs::rand::fill(&mut jti).map_err(|_| DpopKeyError::Random)?;
        let header = json!({"typ": PROOF_TYP, "alg": "ES256", "jwk": self.jwk});
        let mut claims = json!({
            "jti": URL_SAFE_NO_PAD.encode(jti),
            "htm": method,
            "htu": htu(url),
            "iat": iat,
        });
        if let Some(n) = nonce {
            claims["nonce"] = json!(n);
        }
        if let Some(t) = access_token {
            claims["ath"] = json!(ath(t));
        }
        let input = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(header.to_string()),
            URL_SAFE_NO_PAD.encode(claims.to_string())
        );
        let signature = self
            .pair
            .sign(&SystemRandom::new(), input.as_bytes())
            .map_err(|_| DpopKeyError::Random)?;
        Ok(format!(
            "{input}.{}",
            URL_SAFE_NO_PAD.encode(signature.as_ref())
        ))
    }
}

/// The `htu` of a request to `url` (RFC 9449 §4.2): without query and fragment; scheme and host in lower case and
/// the default port dropped, as the URL parser already keeps them.
pub fn htu(url: &Url) -> String {
    let mut u = url.clone();
    u.set_query(None);
    u.set_fragment(None);
    u.to_string()
}

/// `ath`: base64url(SHA-256(the access token)).
pub fn ath(access_token: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(access_token.as_bytes()))
}

/// Why a proof was refused. Each message names the check (RFC 9449 §4.3).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProofError {
    #[error("the DPoP proof is longer than {} KiB", MAX_PROOF_BYTES / 1024)]
    TooLarge,
    #[error("the DPoP proof is not a signed JWT: {0}")]
    Jws(JwsError),
    #[error("the DPoP proof's typ is {0}, not dpop+jwt")]
    Type(String),
    #[error("the DPoP proof is signed with {0}; allowed: ES256")]
    Algorithm(String),
    #[error("the DPoP proof's header has no usable public jwk: {0}")]
    Key(String),
    #[error("the DPoP proof's jwk contains a private key")]
    PrivateKey,
    #[error("the DPoP proof's signature does not verify with its jwk")]
    Signature,
    #[error("the DPoP proof's claims are not a JSON object")]
    NotAnObject,
    #[error("the DPoP proof has no {0} claim of the right type")]
    Claim(&'static str),
    #[error("the DPoP proof is for {got}, not for this request's method {want}")]
    Method { got: String, want: String },
    #[error("the DPoP proof is for {got}, not for this request's URL {want}")]
    Url { got: String, want: String },
    #[error("the DPoP proof's iat {iat} is more than {window} s from now ({now})")]
    Time { iat: i64, now: i64, window: u64 },
    #[error("the DPoP proof's ath is not the hash of the access token presented")]
    AccessTokenHash,
    #[error("the DPoP proof does not carry the nonce this server gave")]
    Nonce,
}

/// What a request's proof must match.
#[derive(Debug, Clone, Copy)]
pub struct ProofTarget<'a> {
    /// The request's method.
    pub method: &'a str,
    /// The request's URL as the server was reached (its configured external URL behind a proxy).
    pub url: &'a Url,
    /// The access token presented with it (a call to an API), whose hash `ath` must be.
    pub access_token: Option<&'a str>,
    /// The nonce the server requires, if it does.
    pub nonce: Option<&'a str>,
    /// The server's clock (UNIX seconds) and how far `iat` may be from it.
    pub now: i64,
    pub window: Duration,
}

/// A proof that passed every check: the key's thumbprint (for `cnf.jkt`), and its `jti` and `iat` for the
/// caller's replay store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Proof {
    pub jkt: String,
    pub jti: String,
    pub iat: i64,
}

/// The checks of RFC 9449 §4.3 on one proof, in order (the caller has checked there was exactly one `DPoP` header,
/// and checks the `jti` against its replay store and the token's `cnf.jkt` against [`Proof::jkt`]).
pub fn check_proof(proof: &str, want: &ProofTarget<'_>) -> Result<Proof, ProofError> {
    if proof.len() > MAX_PROOF_BYTES {
        return Err(ProofError::TooLarge);
    }
    let (jws, jwk) = header(proof)?;
    let keys = KeySet::from_keys(std::slice::from_ref(&jwk));
    let key = keys
        .get(None, Alg::Es256)
        .ok_or_else(|| ProofError::Key(refusal(&keys)))?;
    let verified = jws.verify(&key).map_err(|e| match e {
        JwsError::BadSignature => ProofError::Signature,
        other => ProofError::Jws(other),
    })?;
    let claims: serde_json::Map<String, Value> =
        serde_json::from_slice(&verified.payload).map_err(|_| ProofError::NotAnObject)?;
    let jti = check_jti(&claims)?;
    check_method(&claims, want.method)?;
    check_url(&claims, want.url)?;
    let iat = check_iat(&claims, want.now, want.window)?;
    check_ath(&claims, want.access_token)?;
    check_nonce(&claims, want.nonce)?;
    Ok(Proof {
        jkt: thumbprint(&jwk).map_err(|e| ProofError::Key(e.to_string()))?,
        jti,
        iat,
    })
}

/// The header: `typ` dpop+jwt, an allowed `alg`, and a public `jwk` (the one key a proof may bring).
fn header(proof: &str) -> Result<(Compact<'_>, Value), ProofError> {
    let jws = Compact::parse_with_key(proof, Alg::Es256).map_err(|e| match e {
        JwsError::WrongAlgorithm { found, .. } => ProofError::Algorithm(found),
        other => ProofError::Jws(other),
    })?;
    match jws.header().typ.as_ref() {
        Some(Value::String(t)) if t.eq_ignore_ascii_case(PROOF_TYP) => {}
        Some(other) => return Err(ProofError::Type(other.to_string())),
        None => return Err(ProofError::Type("missing".into())),
    }
    let jwk = jws
        .embedded_jwk()
        .cloned()
        .ok_or_else(|| ProofError::Key("no jwk".into()))?;
    if jwk.get("d").is_some() {
        return Err(ProofError::PrivateKey);
    }
    Ok((jws, jwk))
}

fn refusal(keys: &KeySet) -> String {
    keys.refused()
        .first()
        .map_or_else(|| "not a P-256 key".to_owned(), |r| r.reason.clone())
}

fn str_claim<'c>(
    claims: &'c serde_json::Map<String, Value>,
    name: &'static str,
) -> Result<&'c str, ProofError> {
    claims
        .get(name)
        .and_then(Value::as_str)
        .ok_or(ProofError::Claim(name))
}

/// `jti`: present, a non-empty string of at most 256 characters (kept by the replay store).
fn check_jti(claims: &serde_json::Map<String, Value>) -> Result<String, ProofError> {
    let jti = str_claim(claims, "jti")?;
    if jti.is_empty() || jti.len() > 256 {
        return Err(ProofError::Claim("jti"));
    }
    Ok(jti.to_owned())
}

/// `htm`: the request's method, exactly.
fn check_method(claims: &serde_json::Map<String, Value>, want: &str) -> Result<(), ProofError> {
    let htm = str_claim(claims, "htm")?;
    if htm != want {
        return Err(ProofError::Method {
            got: crate::access::shown(htm),
            want: want.to_owned(),
        });
    }
    Ok(())
}

/// `htu`: the request's URL without query and fragment, both sides normalised (§4.3 item 9): the URL parser does
/// scheme-based normalisation and case and dot segments (RFC 3986 §6.2.2.1, §6.2.2.3, §6.2.3); percent-encoding
/// normalisation (§6.2.2.2) is [`normalised`]'s.
fn check_url(claims: &serde_json::Map<String, Value>, want: &Url) -> Result<(), ProofError> {
    let raw = str_claim(claims, "htu")?;
    let got = Url::parse(raw).map_err(|_| ProofError::Claim("htu"))?;
    if normalised(&htu(&got)) != normalised(&htu(want)) {
        return Err(ProofError::Url {
            got: crate::access::shown(raw),
            want: htu(want),
        });
    }
    Ok(())
}

/// RFC 3986 §6.2.2.2: a percent-encoded unreserved character decoded, every other percent-encoding in upper case
/// (`/%6Frgs/a%2fb` and `/orgs/a%2Fb` are the same path).
fn normalised(url: &str) -> String {
    let b = url.as_bytes();
    let mut out = String::with_capacity(url.len());
    let mut i = 0;
    while i < b.len() {
        let escape = b
            .get(i..i + 3)
            .filter(|e| e[0] == b'%' && e[1].is_ascii_hexdigit() && e[2].is_ascii_hexdigit());
        match escape {
            Some(e) => {
                let hex = |d: u8| (d as char).to_digit(16).unwrap_or(0) as u8;
                let c = hex(e[1]) << 4 | hex(e[2]);
                if c.is_ascii_alphanumeric() || b"-._~".contains(&c) {
                    out.push(c as char);
                } else {
                    out.push_str(&format!("%{c:02X}"));
                }
                i += 3;
            }
            None => {
                // The URL parser serialises ASCII only; anything else is kept as it is.
                out.push(b[i] as char);
                i += 1;
            }
        }
    }
    out
}

/// `iat`: within the window of the server's clock, either way.
fn check_iat(
    claims: &serde_json::Map<String, Value>,
    now: i64,
    window: Duration,
) -> Result<i64, ProofError> {
    let iat = claims
        .get("iat")
        .and_then(Value::as_i64)
        .ok_or(ProofError::Claim("iat"))?;
    let window = window.as_secs();
    if iat.abs_diff(now) > window {
        return Err(ProofError::Time { iat, now, window });
    }
    Ok(iat)
}

/// `ath`: with an access token, its hash, exactly; a proof for an API call without one is refused.
fn check_ath(
    claims: &serde_json::Map<String, Value>,
    token: Option<&str>,
) -> Result<(), ProofError> {
    let Some(token) = token else { return Ok(()) };
    let got = str_claim(claims, "ath")?;
    if got.as_bytes() != ath(token).as_bytes() {
        return Err(ProofError::AccessTokenHash);
    }
    Ok(())
}

/// `nonce`: when the server requires one, the one it gave.
fn check_nonce(
    claims: &serde_json::Map<String, Value>,
    want: Option<&str>,
) -> Result<(), ProofError> {
    let Some(want) = want else { return Ok(()) };
    match claims.get("nonce").and_then(Value::as_str) {
        Some(n) if n == want => Ok(()),
        _ => Err(ProofError::Nonce),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 9449 §4.1 figure 2: a proof for the token endpoint.
    const RFC_TOKEN_PROOF: &str = "eyJ0eXAiOiJkcG9wK2p3dCIsImFsZyI6IkVTMjU2IiwiandrIjp7Imt0eSI6IkVDIiwieCI6Imw4dEZyaHgtMzR0VjNoUklDUkRZOXpDa0RscEJoRjQyVVFVZldWQVdCRnMiLCJ5IjoiOVZFNGpmX09rX282NHpiVFRsY3VOSmFqSG10NnY5VERWclUwQ2R2R1JEQSIsImNydiI6IlAtMjU2In19.eyJqdGkiOiItQndDM0VTYzZhY2MybFRjIiwiaHRtIjoiUE9TVCIsImh0dSI6Imh0dHBzOi8vc2VydmVyLmV4YW1wbGUuY29tL3Rva2VuIiwiaWF0IjoxNTYyMjYyNjE2fQ.2-GxA6T8lP4vfrg8v-FdWP0A0zdrj8igiMLvqRMUvwnQg4PtFLbdLXiOSsX0x7NVY-FNyJK70nfbV37xRZT3Lg";
    /// RFC 9449 §7.1 figure 13: a proof for a protected resource, with `ath`.
    const RFC_RESOURCE_PROOF: &str = "eyJ0eXAiOiJkcG9wK2p3dCIsImFsZyI6IkVTMjU2IiwiandrIjp7Imt0eSI6IkVDIiwieCI6Imw4dEZyaHgtMzR0VjNoUklDUkRZOXpDa0RscEJoRjQyVVFVZldWQVdCRnMiLCJ5IjoiOVZFNGpmX09rX282NHpiVFRsY3VOSmFqSG10NnY5VERWclUwQ2R2R1JEQSIsImNydiI6IlAtMjU2In19.eyJqdGkiOiJlMWozVl9iS2ljOC1MQUVCIiwiaHRtIjoiR0VUIiwiaHR1IjoiaHR0cHM6Ly9yZXNvdXJjZS5leGFtcGxlLm9yZy9wcm90ZWN0ZWRyZXNvdXJjZSIsImlhdCI6MTU2MjI2MjYxOCwiYXRoIjoiZlVIeU8ycjJaM0RaNTNFc05yV0JiMHhXWG9hTnk1OUlpS0NBcWtzbVFFbyJ9.2oW9RP35yRqzhrtNP86L-Ey71EOptxRimPPToA1plemAgR6pxHF8y6-yqyVnmcw6Fy1dqd-jfxSYoMxhAJpLjA";
    /// RFC 9449 figure 12's access token and figures 8–9's thumbprint of the example key.
    const RFC_ACCESS_TOKEN: &str = "Kz~8mXK1EalYznwH-LC-1fBAo.4Ljp~zsPE_NeO.gxU";
    const RFC_JKT: &str = "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I";

    fn want<'a>(
        method: &'a str,
        url: &'a Url,
        token: Option<&'a str>,
        now: i64,
    ) -> ProofTarget<'a> {
        ProofTarget {
            method,
            url,
            access_token: token,
            nonce: None,
            now,
            window: DEFAULT_WINDOW,
        }
    }

    #[test]
    fn htu_percent_encodings_are_normalised_before_comparing() {
        assert_eq!(
            normalised("https://a.example/%6Frgs/a%2fb/%7E%zz%4"),
            "https://a.example/orgs/a%2Fb/~%zz%4"
        );
        let want = Url::parse("https://a.example/orgs/x").unwrap();
        let claims = |htu: &str| json!({"htu": htu}).as_object().unwrap().clone();
        assert_eq!(
            check_url(&claims("https://a.example/%6frgs/%78"), &want),
            Ok(())
        );
        assert!(matches!(
            check_url(&claims("https://a.example/orgs%2Fx"), &want),
            Err(ProofError::Url { .. })
        ));
    }

    #[test]
    fn rfc_9449_examples_verify_and_bind_to_the_rfcs_thumbprint() {
        let token_url = Url::parse("https://server.example.com/token").unwrap();
        let p = check_proof(
            RFC_TOKEN_PROOF,
            &want("POST", &token_url, None, 1_562_262_616),
        )
        .unwrap();
        assert_eq!(
            p,
            Proof {
                jkt: RFC_JKT.into(),
                jti: "-BwC3ESc6acc2lTc".into(),
                iat: 1_562_262_616
            }
        );
        let api = Url::parse("https://resource.example.org/protectedresource").unwrap();
        let p = check_proof(
            RFC_RESOURCE_PROOF,
            &want("GET", &api, Some(RFC_ACCESS_TOKEN), 1_562_262_618),
        )
        .unwrap();
        assert_eq!(
            (p.jkt.as_str(), p.jti.as_str()),
            (RFC_JKT, "e1j3V_bKic8-LAEB")
        );
        assert_eq!(
            ath(RFC_ACCESS_TOKEN),
            "fUHyO2r2Z3DZ53EsNrWBb0xWXoaNy59IiKCAqksmQEo"
        );
        // The same proof for another request, at another time, with another token: each refused by its check.
        let other = Url::parse("https://resource.example.org/other").unwrap();
        let rows: Vec<(ProofTarget<'_>, &str)> = vec![
            (
                want("POST", &api, Some(RFC_ACCESS_TOKEN), 1_562_262_618),
                "method",
            ),
            (
                want("GET", &other, Some(RFC_ACCESS_TOKEN), 1_562_262_618),
                "url",
            ),
            (
                want("GET", &api, Some(RFC_ACCESS_TOKEN), 1_562_262_618 + 61),
                "time",
            ),
            (
                want("GET", &api, Some("another-token"), 1_562_262_618),
                "ath",
            ),
            (
                ProofTarget {
                    nonce: Some("n-1"),
                    ..want("GET", &api, Some(RFC_ACCESS_TOKEN), 1_562_262_618)
                },
                "nonce",
            ),
        ];
        for (w, what) in rows {
            let err = check_proof(RFC_RESOURCE_PROOF, &w).unwrap_err();
            let ok = match what {
                "method" => matches!(err, ProofError::Method { .. }),
                "url" => matches!(err, ProofError::Url { .. }),
                "time" => matches!(err, ProofError::Time { .. }),
                "ath" => err == ProofError::AccessTokenHash,
                _ => err == ProofError::Nonce,
            };
            assert!(ok, "{what}: {err}");
        }
    }

    #[test]
    fn a_made_proof_verifies_and_the_stored_key_is_the_same_key() {
        let key = DpopKey::generate().unwrap();
        let again = DpopKey::from_pkcs8(key.pkcs8()).unwrap();
        assert_eq!(key.thumbprint(), again.thumbprint());
        assert_eq!(
            key.thumbprint(),
            thumbprint(key.public_jwk()).unwrap(),
            "the thumbprint is RFC 7638's of the public JWK"
        );
        assert!(!format!("{key:?}").contains(&URL_SAFE_NO_PAD.encode(key.pkcs8())));
        let url = Url::parse("https://API.example:443/orgs/org_A/projects?page=2#x").unwrap();
        let proof = key
            .proof("GET", &url, 1_800_000_000, Some("n-1"), Some("at-1"))
            .unwrap();
        let bare = Url::parse("https://api.example/orgs/org_A/projects").unwrap();
        let p = check_proof(
            &proof,
            &ProofTarget {
                nonce: Some("n-1"),
                ..want("GET", &bare, Some("at-1"), 1_800_000_030)
            },
        )
        .unwrap();
        assert_eq!(p.jkt, key.thumbprint());
        let second = key.proof("GET", &url, 1_800_000_000, None, None).unwrap();
        let q = check_proof(&second, &want("GET", &bare, None, 1_800_000_000)).unwrap();
        assert_ne!(p.jti, q.jti, "a fresh jti per proof");
        assert!(matches!(
            DpopKey::from_pkcs8(b"not a key"),
            Err(DpopKeyError::Unreadable)
        ));
    }

    /// Hand-made hostile proofs: each refused by the check its name says.
    #[test]
    fn hostile_proofs() {
        let key = DpopKey::generate().unwrap();
        let other = DpopKey::generate().unwrap();
        let url = Url::parse("https://api.example/x").unwrap();
        let now = 1_800_000_000;
        let sign_with = |k: &DpopKey, header: Value, claims: Value| {
            let input = format!(
                "{}.{}",
                URL_SAFE_NO_PAD.encode(header.to_string()),
                URL_SAFE_NO_PAD.encode(claims.to_string())
            );
            let sig = k.pair.sign(&SystemRandom::new(), input.as_bytes()).unwrap();
            format!("{input}.{}", URL_SAFE_NO_PAD.encode(sig.as_ref()))
        };
        let claims =
            json!({"jti": "j-1", "htm": "GET", "htu": "https://api.example/x", "iat": now});
        let good_header = json!({"typ": "dpop+jwt", "alg": "ES256", "jwk": key.public_jwk()});
        let mut private = key.public_jwk().clone();
        private["d"] = json!("AAAA");
        let with = |k: &str, v: Value| {
            let mut c = claims.clone();
            c[k] = v;
            c
        };
        let drop_ = |k: &str| {
            let mut c = claims.clone();
            c.as_object_mut().unwrap().remove(k);
            c
        };
        type Is = fn(&ProofError) -> bool;
        let rows: Vec<(&str, String, Is)> = vec![
            (
                "typ JWT",
                sign_with(
                    &key,
                    json!({"typ": "JWT", "alg": "ES256", "jwk": key.public_jwk()}),
                    claims.clone(),
                ),
                |e| matches!(e, ProofError::Type(_)),
            ),
            (
                "no typ",
                sign_with(
                    &key,
                    json!({"alg": "ES256", "jwk": key.public_jwk()}),
                    claims.clone(),
                ),
                |e| matches!(e, ProofError::Type(_)),
            ),
            (
                "alg HS256",
                sign_with(
                    &key,
                    json!({"typ": "dpop+jwt", "alg": "HS256", "jwk": key.public_jwk()}),
                    claims.clone(),
                ),
                |e| matches!(e, ProofError::Algorithm(_)),
            ),
            (
                "alg none",
                format!(
                    "{}.{}.",
                    URL_SAFE_NO_PAD.encode(
                        json!({"typ": "dpop+jwt", "alg": "none", "jwk": key.public_jwk()})
                            .to_string()
                    ),
                    URL_SAFE_NO_PAD.encode(claims.to_string())
                ),
                |e| matches!(e, ProofError::Algorithm(_)),
            ),
            (
                "no jwk",
                sign_with(
                    &key,
                    json!({"typ": "dpop+jwt", "alg": "ES256"}),
                    claims.clone(),
                ),
                |e| matches!(e, ProofError::Key(_)),
            ),
            (
                "a private jwk",
                sign_with(
                    &key,
                    json!({"typ": "dpop+jwt", "alg": "ES256", "jwk": private}),
                    claims.clone(),
                ),
                |e| *e == ProofError::PrivateKey,
            ),
            (
                "an RSA jwk",
                sign_with(
                    &key,
                    json!({"typ": "dpop+jwt", "alg": "ES256", "jwk": {"kty": "RSA", "n": "AQAB", "e": "AQAB"}}),
                    claims.clone(),
                ),
                |e| matches!(e, ProofError::Key(_)),
            ),
            (
                "signed by another key than its jwk",
                sign_with(&other, good_header.clone(), claims.clone()),
                |e| *e == ProofError::Signature,
            ),
            (
                "jku in the header",
                sign_with(
                    &key,
                    json!({"typ": "dpop+jwt", "alg": "ES256", "jwk": key.public_jwk(), "jku": "https://evil/"}),
                    claims.clone(),
                ),
                |e| matches!(e, ProofError::Jws(JwsError::EmbeddedKey("jku"))),
            ),
            (
                "no jti",
                sign_with(&key, good_header.clone(), drop_("jti")),
                |e| *e == ProofError::Claim("jti"),
            ),
            (
                "empty jti",
                sign_with(&key, good_header.clone(), with("jti", json!(""))),
                |e| *e == ProofError::Claim("jti"),
            ),
            (
                "no htm",
                sign_with(&key, good_header.clone(), drop_("htm")),
                |e| *e == ProofError::Claim("htm"),
            ),
            (
                "htm lower case",
                sign_with(&key, good_header.clone(), with("htm", json!("get"))),
                |e| matches!(e, ProofError::Method { .. }),
            ),
            (
                "htu of another host",
                sign_with(
                    &key,
                    good_header.clone(),
                    with("htu", json!("https://evil.example/x")),
                ),
                |e| matches!(e, ProofError::Url { .. }),
            ),
            (
                "htu over http",
                sign_with(
                    &key,
                    good_header.clone(),
                    with("htu", json!("http://api.example/x")),
                ),
                |e| matches!(e, ProofError::Url { .. }),
            ),
            (
                "htu not a URL",
                sign_with(&key, good_header.clone(), with("htu", json!("/x"))),
                |e| *e == ProofError::Claim("htu"),
            ),
            (
                "iat a string",
                sign_with(&key, good_header.clone(), with("iat", json!("now"))),
                |e| *e == ProofError::Claim("iat"),
            ),
            (
                "iat two minutes old",
                sign_with(&key, good_header.clone(), with("iat", json!(now - 120))),
                |e| matches!(e, ProofError::Time { .. }),
            ),
            (
                "iat two minutes ahead",
                sign_with(&key, good_header.clone(), with("iat", json!(now + 120))),
                |e| matches!(e, ProofError::Time { .. }),
            ),
            (
                "tampered claims",
                {
                    let good = sign_with(&key, good_header.clone(), claims.clone());
                    let mut parts: Vec<&str> = good.split('.').collect();
                    let forged = URL_SAFE_NO_PAD
                        .encode(with("htu", json!("https://api.example/y")).to_string());
                    parts[1] = &forged;
                    parts.join(".")
                },
                |e| *e == ProofError::Signature,
            ),
            (
                "claims an array",
                sign_with(&key, good_header.clone(), json!([1])),
                |e| *e == ProofError::NotAnObject,
            ),
            ("too large", "a".repeat(MAX_PROOF_BYTES + 1), |e| {
                *e == ProofError::TooLarge
            }),
        ];
        for (name, proof, is) in rows {
            let err = check_proof(&proof, &want("GET", &url, None, now)).expect_err(name);
            assert!(is(&err), "{name}: {err}");
        }
        let good = sign_with(&key, good_header, claims);
        assert!(check_proof(&good, &want("GET", &url, None, now)).is_ok());
    }
}
