//! One key policy, applied when a JWKS document is read: which keys a verifier of Auth0 tokens (RS256) and DPoP
//! proofs (ES256) may ever use. A key the policy refuses is never used and is named with its reason.
//!
//! - `kty` `RSA`: a modulus of 2048 to 8192 bits, a public exponent that is odd and at least 3 (65537 in practice),
//!   not a ROCA-weak modulus (CVE-2017-15361's fingerprint); for RS256.
//! - `kty` `EC`: curve P-256 with 32-byte coordinates of a point on the curve; for ES256.
//! - `use` `sig` or absent; `alg`, when present, the key type's algorithm (RS256 or ES256).
//! - No symmetric (`oct`) keys: a public key set that holds one is someone's mistake, and an HMAC "verified" with
//!   public material proves nothing.
//! - A `kid` that appears more than once is ambiguous: every key with it is refused.

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::DecodingKey;

/// The RSA modulus sizes accepted, in bits.
pub const RSA_BITS: std::ops::RangeInclusive<usize> = 2048..=8192;

/// The largest JWKS document read (Auth0's hold two or three keys; a few KiB).
pub const MAX_JWKS_BYTES: usize = 1024 * 1024;

/// The signature algorithms Orgpass verifies; the caller pins one per token profile.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Alg {
    /// RSASSA-PKCS1-v1_5 with SHA-256: Auth0's ID and access tokens.
    Rs256,
    /// ECDSA P-256 with SHA-256: DPoP proofs.
    Es256,
}

impl Alg {
    /// The JOSE name (`RS256`, `ES256`).
    pub fn name(self) -> &'static str {
        match self {
            Self::Rs256 => "RS256",
            Self::Es256 => "ES256",
        }
    }

    pub(crate) fn jsonwebtoken(self) -> jsonwebtoken::Algorithm {
        match self {
            Self::Rs256 => jsonwebtoken::Algorithm::RS256,
            Self::Es256 => jsonwebtoken::Algorithm::ES256,
        }
    }
}

/// Why a whole key set could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeySetError {
    #[error("the key set is larger than {} KiB", MAX_JWKS_BYTES / 1024)]
    TooLarge,
    #[error("the key set is not a JWKS document (a JSON object with a `keys` array): {0}")]
    NotJwks(String),
}

/// A key the policy refused, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefusedKey {
    /// Its `kid`, if it has one.
    pub kid: Option<String>,
    /// Its position in the document's `keys` array (from 0).
    pub index: usize,
    pub reason: String,
}

impl fmt::Display for RefusedKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kid {
            Some(kid) => write!(f, "key `{kid}` refused: {}", self.reason),
            None => write!(f, "key #{} (no kid) refused: {}", self.index, self.reason),
        }
    }
}

/// One usable key, prepared once.
#[derive(Clone)]
struct Usable {
    alg: Alg,
    key: Arc<DecodingKey>,
}

/// The keys of one JWKS document that the policy lets a verifier use, by `kid`, each prepared once.
#[derive(Clone, Default)]
pub struct KeySet {
    by_kid: HashMap<String, Usable>,
    unnamed: Vec<Usable>,
    refused: Vec<RefusedKey>,
}

impl fmt::Debug for KeySet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut kids: Vec<_> = self.by_kid.keys().collect();
        kids.sort();
        f.debug_struct("KeySet")
            .field("kids", &kids)
            .field("unnamed", &self.unnamed.len())
            .field("refused", &self.refused)
            .finish()
    }
}

impl KeySet {
    /// Reads a JWKS document under the key policy. A document that is not a JWKS is an error; a key the policy
    /// refuses is left out and listed in [`KeySet::refused`].
    pub fn parse(body: &[u8]) -> Result<Self, KeySetError> {
        if body.len() > MAX_JWKS_BYTES {
            return Err(KeySetError::TooLarge);
        }
        #[derive(serde::Deserialize)]
        struct Jwks {
            keys: Vec<serde_json::Value>,
        }
        let jwks: Jwks =
            serde_json::from_slice(body).map_err(|e| KeySetError::NotJwks(e.to_string()))?;
        Ok(Self::from_keys(&jwks.keys))
    }

    /// The policy over the members of a `keys` array.
    pub fn from_keys(keys: &[serde_json::Value]) -> Self {
        let mut set = Self::default();
        let kid_of =
            |k: &serde_json::Value| k.get("kid").and_then(|v| v.as_str()).map(str::to_owned);
        let mut seen: HashMap<String, usize> = HashMap::new();
        for k in keys {
            if let Some(kid) = kid_of(k) {
                *seen.entry(kid).or_default() += 1;
            }
        }
        for (index, k) in keys.iter().enumerate() {
            let kid = kid_of(k);
            let refuse = |reason: String| RefusedKey {
                kid: kid.clone(),
                index,
                reason,
            };
            if let Some(kid) = &kid
                && seen[kid] > 1
            {
                set.refused.push(refuse(format!(
                    "its kid appears {} times in the key set, so a token naming it is ambiguous",
                    seen[kid]
                )));
                continue;
            }
            match usable(k) {
                Ok(u) => match &kid {
                    Some(kid) => {
                        set.by_kid.insert(kid.clone(), u);
                    }
                    None => set.unnamed.push(u),
                },
                Err(reason) => set.refused.push(refuse(reason)),
            }
        }
        set
    }

    /// The key for `kid` and the pinned `alg`; for a token without `kid`, the only key of that algorithm if there
    /// is exactly one.
    pub fn get(&self, kid: Option<&str>, alg: Alg) -> Option<Arc<DecodingKey>> {
        match kid {
            Some(kid) => self
                .by_kid
                .get(kid)
                .filter(|u| u.alg == alg)
                .map(|u| u.key.clone()),
            None => {
                let mut of_alg = self
                    .by_kid
                    .values()
                    .chain(&self.unnamed)
                    .filter(|u| u.alg == alg);
                match (of_alg.next(), of_alg.next()) {
                    (Some(only), None) => Some(only.key.clone()),
                    _ => None,
                }
            }
        }
    }

    /// The key for `kid` and the pinned `alg`, or why there is none, as every profile reports it (a key the policy
    /// refused says why, rather than "unknown").
    pub fn key_for(
        &self,
        kid: Option<&str>,
        alg: Alg,
    ) -> Result<Arc<DecodingKey>, crate::JwsError> {
        use crate::JwsError;
        self.get(kid, alg).ok_or_else(|| match kid {
            Some(kid) => match self.refusal(kid) {
                Some(r) => JwsError::RefusedKey {
                    kid: kid.to_owned(),
                    reason: r.reason.clone(),
                },
                None => JwsError::UnknownKey {
                    kid: kid.to_owned(),
                },
            },
            None => JwsError::NoKid,
        })
    }

    /// Whether `kid` names a key this set refused (so "unknown kid" would be the wrong thing to say).
    pub fn refusal(&self, kid: &str) -> Option<&RefusedKey> {
        self.refused.iter().find(|r| r.kid.as_deref() == Some(kid))
    }

    /// The keys the policy refused, each with its reason, in document order.
    pub fn refused(&self) -> &[RefusedKey] {
        &self.refused
    }

    /// How many keys may be used.
    pub fn len(&self) -> usize {
        self.by_kid.len() + self.unnamed.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Decodes base64url without padding, refusing padding, stray characters and non-zero trailing bits.
pub(crate) fn b64(text: &str) -> Option<Vec<u8>> {
    URL_SAFE_NO_PAD.decode(text).ok()
}

/// The key, or why the policy refuses it.
fn usable(k: &serde_json::Value) -> Result<Usable, String> {
    let text = |name: &str| match k.get(name) {
        None => Ok(None),
        Some(serde_json::Value::String(s)) => Ok(Some(s.as_str())),
        Some(_) => Err(format!("its `{name}` is not a string")),
    };
    if let Some(u) = text("use")?
        && u != "sig"
    {
        return Err(format!("its use is `{u}`, not `sig`"));
    }
    if let Some(ops) = k.get("key_ops") {
        let verifies = ops
            .as_array()
            .is_some_and(|ops| ops.iter().any(|o| o == "verify"));
        if !verifies {
            return Err("its key_ops do not include `verify`".into());
        }
    }
    let alg = text("alg")?;
    match text("kty")? {
        Some("RSA") => {
            if let Some(a) = alg
                && a != "RS256"
            {
                return Err(format!(
                    "its alg is `{a}`; an RSA key is used for RS256 only"
                ));
            }
            if k.get("d").is_some() {
                return Err(
                    "it holds a private key (`d`), which a public key set never does".into(),
                );
            }
            let n = text("n")?.ok_or("it has no modulus `n`")?;
            let e = text("e")?.ok_or("it has no exponent `e`")?;
            let n_bytes = b64(n).ok_or("its modulus is not base64url")?;
            let e_bytes = b64(e).ok_or("its exponent is not base64url")?;
            let n_bytes = trim_zeros(&n_bytes);
            let bits = bit_length(n_bytes);
            if !RSA_BITS.contains(&bits) {
                return Err(format!(
                    "its modulus has {bits} bits; RS256 keys must have {} to {}",
                    RSA_BITS.start(),
                    RSA_BITS.end()
                ));
            }
            let e_bytes = trim_zeros(&e_bytes);
            if e_bytes.len() > 8 {
                return Err("its public exponent is implausibly large".into());
            }
            let exponent = e_bytes
                .iter()
                .fold(0u64, |acc, b| (acc << 8) | u64::from(*b));
            if exponent < 3 || exponent % 2 == 0 {
                return Err(format!(
                    "its public exponent is {exponent}; it must be odd and at least 3 (65537 in practice)"
                ));
            }
            if roca_weak(n_bytes) {
                return Err(
                    "its modulus has the ROCA fingerprint (CVE-2017-15361): it was made by a weak generator and \
                     its private key can be computed"
                        .into(),
                );
            }
            let key = DecodingKey::from_rsa_components(n, e)
                .map_err(|e| format!("it is not a usable RSA key: {e}"))?;
            Ok(Usable {
                alg: Alg::Rs256,
                key: Arc::new(key),
            })
        }
        Some("EC") => {
            if let Some(a) = alg
                && a != "ES256"
            {
                return Err(format!(
                    "its alg is `{a}`; a P-256 key is used for ES256 only"
                ));
            }
            let crv = text("crv")?.ok_or("it has no curve `crv`")?;
            if crv != "P-256" {
                return Err(format!("its curve is {crv}; only P-256 (ES256) is used"));
            }
            if k.get("d").is_some() {
                return Err(
                    "it holds a private key (`d`), which a public key set never does".into(),
                );
            }
            let x = text("x")?.ok_or("it has no coordinate `x`")?;
            let y = text("y")?.ok_or("it has no coordinate `y`")?;
            let (xb, yb) = (
                b64(x).ok_or("its x is not base64url")?,
                b64(y).ok_or("its y is not base64url")?,
            );
            if xb.len() != 32 || yb.len() != 32 {
                return Err("its coordinates are not 32 bytes each, as P-256's are".into());
            }
            if !p256::on_curve(&xb, &yb) {
                return Err("its point is not on the P-256 curve".into());
            }
            let key = DecodingKey::from_ec_components(x, y)
                .map_err(|e| format!("it is not a usable P-256 key: {e}"))?;
            Ok(Usable {
                alg: Alg::Es256,
                key: Arc::new(key),
            })
        }
        Some("oct") => {
            Err("it is a symmetric (oct) key, which a public key set must not hold".into())
        }
        Some(other) => Err(format!("its key type `{other}` is not RSA or EC")),
        None => Err("it has no key type `kty`".into()),
    }
}

fn trim_zeros(bytes: &[u8]) -> &[u8] {
    let first = bytes.iter().position(|b| *b != 0).unwrap_or(bytes.len());
    &bytes[first..]
}

fn bit_length(bytes: &[u8]) -> usize {
    match bytes.first() {
        None => 0,
        Some(b) => (bytes.len() - 1) * 8 + (8 - b.leading_zeros() as usize),
    }
}

/// ROCA (CVE-2017-15361): moduli from Infineon's weak generator are, modulo each of these small primes, a power of
/// 65537. A random modulus passes all of them with probability far below 2^-100.
fn roca_weak(n: &[u8]) -> bool {
    const PRIMES: &[u32] = &[
        3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37, 41, 43, 47, 53, 59, 61, 67, 71, 73, 79, 83, 89,
        97, 101, 103, 107, 109, 113, 127, 131, 137, 139, 149, 151, 157, 163, 167,
    ];
    PRIMES.iter().all(|&p| {
        let residue = n
            .iter()
            .fold(0u32, |acc, b| (acc * 256 + u32::from(*b)) % p);
        // The powers of 65537 modulo p.
        let g = 65537 % p;
        let mut power = 1 % p;
        for _ in 0..p {
            if power == residue {
                return true;
            }
            power = power * g % p;
        }
        false
    })
}

/// A P-256 key's point, checked by the crypto backend (AWS-LC's `EC_POINT_oct2point`: coordinates below p and
/// the curve equation y² = x³ − 3x + b). It was plain big-number arithmetic here: reading a DPoP proof's key, which
/// every bound request does, took a fifth of the guard's check (125 µs, now 97 µs; `cargo bench --bench dpop`).
mod p256 {
    use aws_lc_rs::signature::{ECDSA_P256_SHA256_FIXED, ParsedPublicKey};

    /// Whether (x, y), 32 bytes each, is a point of P-256 (not the point at infinity).
    pub fn on_curve(x: &[u8], y: &[u8]) -> bool {
        let mut point = [0u8; 65];
        point[0] = 4;
        point[1..33].copy_from_slice(x);
        point[33..].copy_from_slice(y);
        ParsedPublicKey::new(&ECDSA_P256_SHA256_FIXED, point).is_ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// RFC 7515 Appendix A.3's P-256 key: on the curve; one coordinate changed: not.
    #[test]
    fn p256_points() {
        let x = b64("f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU").unwrap();
        let y = b64("x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0").unwrap();
        assert!(p256::on_curve(&x, &y));
        let mut bad = y.clone();
        bad[31] ^= 1;
        assert!(!p256::on_curve(&x, &bad));
        // A coordinate at or above p: refused even where it would satisfy the equation mod p.
        let p = b64("_____wAAAAEAAAAAAAAAAAAAAAD_______________8").unwrap();
        assert!(!p256::on_curve(&p, &y));
        assert!(
            !p256::on_curve(&[0; 32], &[0; 32]),
            "the origin is no point of P-256"
        );
    }

    #[test]
    fn the_policy_names_each_refused_key() {
        let set = KeySet::from_keys(&[
            json!({"kty": "oct", "kid": "h", "k": "c2VjcmV0"}),
            json!({"kty": "RSA", "kid": "small", "n": URL_SAFE_NO_PAD.encode([0xc5u8; 128]), "e": "AQAB"}),
            json!({"kty": "RSA", "kid": "e1", "n": URL_SAFE_NO_PAD.encode([0xc5u8; 256]), "e": "AQ"}),
            json!({"kty": "RSA", "kid": "enc", "use": "enc", "n": "x", "e": "AQAB"}),
            json!({"kty": "RSA", "kid": "ps", "alg": "PS256", "n": "x", "e": "AQAB"}),
            json!({"kty": "EC", "kid": "p384", "crv": "P-384", "x": "x", "y": "y"}),
            json!({"kty": "RSA", "kid": "twice", "n": URL_SAFE_NO_PAD.encode([0xc5u8; 256]), "e": "AQAB"}),
            json!({"kty": "RSA", "kid": "twice", "n": URL_SAFE_NO_PAD.encode([0xc7u8; 256]), "e": "AQAB"}),
        ]);
        let said: Vec<String> = set.refused().iter().map(ToString::to_string).collect();
        assert_eq!(
            said,
            [
                "key `h` refused: it is a symmetric (oct) key, which a public key set must not hold",
                "key `small` refused: its modulus has 1024 bits; RS256 keys must have 2048 to 8192",
                "key `e1` refused: its public exponent is 1; it must be odd and at least 3 (65537 in practice)",
                "key `enc` refused: its use is `enc`, not `sig`",
                "key `ps` refused: its alg is `PS256`; an RSA key is used for RS256 only",
                "key `p384` refused: its curve is P-384; only P-256 (ES256) is used",
                "key `twice` refused: its kid appears 2 times in the key set, so a token naming it is ambiguous",
                "key `twice` refused: its kid appears 2 times in the key set, so a token naming it is ambiguous",
            ]
        );
        assert!(set.is_empty());
        assert!(set.get(Some("twice"), Alg::Rs256).is_none());
    }

    #[test]
    fn a_usable_rsa_key_serves_rs256_only() {
        let n = {
            let mut n = vec![0xc5u8; 256];
            n[255] = 0x01;
            n
        };
        let set = KeySet::from_keys(&[
            json!({"kty": "RSA", "kid": "a", "use": "sig", "alg": "RS256",
            "n": URL_SAFE_NO_PAD.encode(&n), "e": "AQAB"}),
        ]);
        assert_eq!(set.len(), 1, "{set:?}");
        assert!(set.get(Some("a"), Alg::Rs256).is_some());
        assert!(set.get(Some("a"), Alg::Es256).is_none());
        assert!(set.get(None, Alg::Rs256).is_some(), "the only key");
        assert!(set.get(Some("b"), Alg::Rs256).is_none());
    }

    #[test]
    fn documents_that_are_not_key_sets() {
        assert!(matches!(KeySet::parse(b"[]"), Err(KeySetError::NotJwks(_))));
        assert!(matches!(
            KeySet::parse(b"{\"keys\": 1}"),
            Err(KeySetError::NotJwks(_))
        ));
        assert_eq!(
            KeySet::parse(&vec![b' '; MAX_JWKS_BYTES + 1]).unwrap_err(),
            KeySetError::TooLarge
        );
        assert!(KeySet::parse(b"{\"keys\": []}").unwrap().is_empty());
    }
}
