//! ID tokens: a corpus of token responses (honest and hostile: the OpenID Foundation's RP tests that apply to a
//! public code-flow client, named by their `oidcc-client-test-…` IDs, plus Auth0's organization rules) judged by
//! the engine's ID-token profile and by `oauth4webapi`.

use std::time::Duration;

use orgpass_jose::{Expected, IdTokenVerifier, KeySet, OrgCheck};
use serde_json::{Value, json};

use super::tokens::{self, Key, b64};
use super::{Compared, Verdict, oracle, report};

const ISS: &str = "http://127.0.0.1:1/";
const CLIENT: &str = "Xk2mJ9fQbN7tR4cY1uW8pL3zH6sD0aVe";
const NONCE: &str = "n-0S6_WzA2Mj";
const ORG: &str = "org_AcmeA1b2C3d4E5f6";
const LEEWAY: i64 = 60;

/// One token response, what we expect of it, and why the oracle may differ.
struct Case {
    name: String,
    id_token: Option<String>,
    org: OrgCheck,
    ours: Verdict,
    justified: Option<&'static str>,
}

fn case(name: &str, id_token: String, ours: Verdict) -> Case {
    Case {
        name: name.to_owned(),
        id_token: Some(id_token),
        org: OrgCheck::Id(ORG.into()),
        ours,
        justified: None,
    }
}

impl Case {
    fn org(mut self, org: OrgCheck) -> Self {
        self.org = org;
        self
    }
    fn why(mut self, clause: &'static str) -> Self {
        self.justified = Some(clause);
        self
    }
}

fn claims(now: i64) -> Value {
    json!({"iss": ISS, "sub": "auth0|alice", "aud": CLIENT, "exp": now + 3600, "iat": now, "nonce": NONCE,
           "org_id": ORG, "org_name": "acme", "email": "alice@acme.example"})
}

fn with(now: i64, f: impl FnOnce(&mut serde_json::Map<String, Value>)) -> Value {
    let mut c = claims(now);
    f(c.as_object_mut().unwrap());
    c
}

fn rs(kid: &str) -> Value {
    json!({"alg": "RS256", "typ": "JWT", "kid": kid})
}

/// The corpus signed by `k1` (the issuer's current key) and `k2` (its next one), with `weak` (1024 bits) and an
/// unparseable key also in the issuer's JWKS.
fn corpus(k1: &Key, k2: &Key, weak: &Key, attacker: &Key, now: i64) -> Vec<Case> {
    use Verdict::{Accept, Refuse};
    let good = claims(now);
    let set = |k: &'static str, v: Value| with(now, move |m| drop(m.insert(k.into(), v)));
    let del = |k: &'static str| with(now, move |m| drop(m.remove(k)));
    let signed = |c: &Value| k1.sign(&rs(k1.kid), c);
    let pem = k1.public_pem();
    vec![
        case("oidcc-client-test (good)", signed(&good), Accept),
        case("oidcc-client-test-idtoken-sig-rs256", signed(&good), Accept),
        case("oidcc-client-test-signing-key-rotation (k2)", k2.sign(&rs(k2.kid), &good), Accept),
        case("oidcc-client-test-ignores-unparseable-key-in-jwks", signed(&good), Accept),
        case("oidcc-client-test-invalid-iss", signed(&set("iss", json!("https://evil.example/"))), Refuse),
        case("iss without its trailing slash", signed(&set("iss", json!(ISS.trim_end_matches('/')))), Refuse),
        case("oidcc-client-test-invalid-aud", signed(&set("aud", json!("another-client"))), Refuse),
        case("oidcc-client-test-missing-aud", signed(&del("aud")), Refuse),
        case("oidcc-client-test-missing-sub", signed(&del("sub")), Refuse),
        case("sub not a string", signed(&set("sub", json!(42))), Refuse),
        case("oidcc-client-test-missing-iat", signed(&del("iat")), Refuse),
        case("oidcc-client-test-nonce-invalid", signed(&set("nonce", json!("n-other"))), Refuse),
        case("nonce missing", signed(&del("nonce")), Refuse),
        case("oidcc-client-test-invalid-sig-rs256 (another key under our kid)", attacker.sign(&rs(k1.kid), &good), Refuse),
        case("tampered payload", tokens::tampered(&signed(&good), &set("sub", json!("auth0|mallory"))), Refuse),
        case("signature stripped", tokens::with_signature(&rs(k1.kid), &good, b""), Refuse),
        case("oidcc-client-test-invalid-sig-es256", tokens::with_signature(&json!({"alg": "ES256", "kid": k1.kid}), &good, &[7; 64]), Refuse),
        case("oidcc-client-test-idtoken-sig-none", tokens::with_signature(&json!({"alg": "none"}), &good, b""), Refuse),
        case("HS256 keyed with the issuer's public key", tokens::hs256(k1.kid, "JWT", &good, pem.as_bytes()), Refuse),
        case("RS512 named in the header", tokens::with_signature(&json!({"alg": "RS512", "kid": k1.kid}), &good, &[7; 256]), Refuse),
        case("PS256 named in the header", tokens::with_signature(&json!({"alg": "PS256", "kid": k1.kid}), &good, &[7; 256]), Refuse),
        case("alg lowercase rs256", k1.sign(&json!({"alg": "rs256", "kid": k1.kid}), &good), Refuse),
        case("unknown kid", attacker.sign(&rs("k9"), &good), Refuse),
        case("oidcc-client-test-kid-absent-multiple-jwks", k1.sign(&json!({"alg": "RS256"}), &good), Refuse),
        case("kid of the issuer's 1024-bit key", weak.sign(&rs(weak.kid), &good), Refuse),
        case("crit header", k1.sign(&json!({"alg": "RS256", "kid": k1.kid, "crit": ["exp"], "exp": 1}), &good), Refuse),
        case("expired", signed(&set("exp", json!(now - LEEWAY - 1))), Refuse),
        case("expired exactly at the leeway", signed(&set("exp", json!(now - LEEWAY))), Refuse),
        case("expired within the leeway", signed(&set("exp", json!(now - LEEWAY + 1))), Accept),
        case("exp a string", signed(&set("exp", json!("tomorrow"))), Refuse),
        case("not valid before a minute from now", signed(&set("nbf", json!(now + LEEWAY + 1))), Refuse),
        case("nbf within the leeway", signed(&set("nbf", json!(now + LEEWAY - 1))), Accept),
        case("aud of two with azp = client", signed(&with(now, |m| {
            m.insert("aud".into(), json!([CLIENT, "https://api.example/"]));
            m.insert("azp".into(), json!(CLIENT));
        })), Accept),
        case("aud of two without azp", signed(&set("aud", json!([CLIENT, "https://api.example/"]))), Refuse),
        case("far-future exp", signed(&set("exp", json!(now + 10 * 365 * 86400))), Accept),
        case("payload a JSON array", tokens::with_signature(&rs(k1.kid), &json!([1, 2]), &[7; 256]), Refuse),
        case("two parts (not a JWS)", format!("{}.{}", b64(b"{\"alg\":\"RS256\"}"), b64(b"{}")), Refuse),
        Case { name: "no id_token in the response".into(), id_token: None, org: OrgCheck::Id(ORG.into()), ours: Refuse, justified: None },
        // Where a certified RP that knows nothing of Auth0 Organizations and the profile's stricter rules differs.
        case("iat an hour in the future", signed(&set("iat", json!(now + 3600))), Refuse)
            .why("OIDC Core 1.0 §3.1.3.7 step 10: the client may reject an iat too far from the current time; a token from the future is a wrong clock or a forgery"),
        case("azp names another client (one aud)", signed(&set("azp", json!("another-client"))), Refuse)
            .why("OIDC Core 1.0 §3.1.3.7 step 5: if an azp claim is present, the client SHOULD verify it is its client_id"),
        case("typ at+jwt (an access token)", k1.sign(&json!({"alg": "RS256", "kid": k1.kid, "typ": "at+jwt"}), &good), Refuse)
            .why("RFC 9068 §4 and RFC 8725 §3.11: explicit typing; a token typed as an access token is not proof of sign-in"),
        case("header brings its own jwk", k1.sign(&json!({"alg": "RS256", "kid": k1.kid, "jwk": k1.jwk()}), &good), Refuse)
            .why("RFC 8725 §3.10 (and RFC 7515 §4.1.3): keys come only from the issuer's JWKS; a token carrying a key is refused outright"),
        case("org_id of another organization", signed(&set("org_id", json!("org_GlobexZ9y8X7w6V5u4"))), Refuse)
            .why("Auth0 Organizations (docs: 'Validate tokens', org_id): the ID token's org_id must equal the organization requested"),
        case("org_id missing", signed(&del("org_id")), Refuse)
            .why("Auth0 Organizations: a sign-in requested for an organization must return its org_id"),
        case("org_name requested, org_name of another", signed(&set("org_name", json!("globex"))), Refuse)
            .org(OrgCheck::Name("acme".into()))
            .why("Auth0 Organizations: with organization=<name>, org_name must equal it (lowercased)"),
        case("org_name requested, org_name missing", signed(&del("org_name")), Refuse)
            .org(OrgCheck::Name("acme".into()))
            .why("Auth0 Organizations: with organization=<name>, the org_name claim is required"),
        case("org_name requested, org_id missing", signed(&del("org_id")), Refuse)
            .org(OrgCheck::Name("acme".into()))
            .why("Auth0 Organizations: a token for an organization always names its org_id, the stable key"),
        case("no organization requested, org_id present", signed(&good), Accept).org(OrgCheck::Any { required: false }),
        case("organization required, org_id missing", signed(&del("org_id")), Refuse)
            .org(OrgCheck::Any { required: true })
            .why("Auth0 Organizations (require organization): the session must be for an organization"),
    ]
}

/// Our verdict: the engine's ID-token profile, with the key set read under the core's key policy.
fn ours(case: &Case, keys: &KeySet, now: i64) -> Result<(), String> {
    let Some(token) = &case.id_token else {
        return Err("the token response has no id_token".into());
    };
    let verifier = IdTokenVerifier::new(ISS, CLIENT, Duration::from_secs(LEEWAY as u64));
    let expected = Expected {
        nonce: Some(NONCE),
        org: case.org.clone(),
        sub: None,
    };
    verifier
        .verify_with_keys(token, keys, &expected, now)
        .map(drop)
        .map_err(|e| e.to_string())
}

fn body(case: &Case, now: i64) -> Value {
    let mut b = json!({"access_token": "an-opaque-access-token", "token_type": "Bearer", "expires_in": 86400,
                       "scope": "openid profile email"});
    if let Some(t) = &case.id_token {
        b["id_token"] = json!(t);
    }
    let _ = now;
    b
}

/// Judges `corpus` under `jwks` on both sides.
fn compare(corpus: Vec<Case>, jwks: &Value, now: i64) -> Vec<Compared> {
    let keys = KeySet::parse(jwks.to_string().as_bytes()).expect("a JWKS");
    let input = json!({
        "issuer": ISS, "client_id": CLIENT, "jwks": jwks, "now": now, "leeway": LEEWAY,
        "cases": corpus.iter().map(|c| json!({"name": c.name, "body": body(c, now), "nonce": NONCE, "max_age": null}))
            .collect::<Vec<_>>(),
    });
    let theirs = oracle("id-token.mjs", &input);
    assert_eq!(theirs.len(), corpus.len(), "one verdict per case");
    corpus
        .into_iter()
        .zip(theirs)
        .map(|(c, (name, theirs, their_reason))| {
            assert_eq!(name, c.name);
            let got = ours(&c, &keys, now);
            assert_eq!(Verdict::of(&got), c.ours, "{}: ours {got:?}", c.name);
            Compared {
                name: c.name,
                ours: c.ours,
                our_reason: got.err().unwrap_or_default(),
                theirs,
                their_reason,
                justified: c.justified,
            }
        })
        .collect()
}

#[test]
fn id_tokens_judged_by_the_engine_and_by_oauth4webapi() {
    let (k1, k2) = (Key::new("k1", 2048), Key::new("k2", 2048));
    let (weak, attacker) = (Key::new("weak", 1024), Key::new("k1", 2048));
    let now = tokens::now();
    let unparseable =
        json!({"kty": "RSA", "kid": "broken", "use": "sig", "n": "AQAB!", "e": "AQAB"});
    let jwks = json!({"keys": [k1.jwk(), k2.jwk(), weak.jwk(), unparseable]});
    let mut rows = compare(corpus(&k1, &k2, &weak, &attacker, now), &jwks, now);
    // The issuer with one key: a token without kid is verified with it.
    let single = json!({"keys": [k1.jwk()]});
    let lone = vec![case(
        "oidcc-client-test-kid-absent-single-jwks",
        k1.sign(&json!({"alg": "RS256"}), &claims(now)),
        Verdict::Accept,
    )];
    rows.extend(compare(lone, &single, now));
    assert!(rows.len() >= 40, "at least 40 cases, got {}", rows.len());
    report("ID tokens", "oauth4webapi", &rows);
}
