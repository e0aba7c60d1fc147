//! DPoP proofs at an API: a corpus of requests carrying a DPoP-bound access token and hostile proofs (wrong `typ`,
//! `alg`, key, signature, method, URL, time, `ath`, binding, scheme, a replay) judged by the guard through a real
//! router and by Auth0's `express-oauth2-jwt-bearer` in its DPoP mode, both allowing DPoP without requiring it.

use std::time::Duration;

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{
    ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, Ed25519KeyPair, KeyPair as _,
};
use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use axum::routing::get;
use orgpass_guard::{BoundOrg, Document, DpopMode, Guard, GuardConfig, JwksFuture, system_clock};
use orgpass_jose::DpopKey;
use orgpass_jose::dpop::ath;
use serde_json::{Value, json};
use sha2::Digest as _;
use tower::ServiceExt as _;

use super::tokens::{self, Key, b64, signing_input};
use super::{Verdict, judged, oracle, report};

const ISS: &str = "https://acme.eu.auth0.com/";
const API: &str = "https://api.orgpass.example/";
const EXTERNAL: &str = "https://api.orgpass.example";
const ORG: &str = "org_AcmeA1b2C3d4E5f6";
const PATH: &str = "/orgs/org_AcmeA1b2C3d4E5f6/check";
const LEEWAY: i64 = 60;

struct Case {
    name: &'static str,
    authorization: Option<String>,
    proofs: Vec<String>,
    ours: Verdict,
    justified: Option<&'static str>,
}

fn case(name: &'static str, authorization: String, proofs: Vec<String>, ours: Verdict) -> Case {
    Case {
        name,
        authorization: Some(authorization),
        proofs,
        ours,
        justified: None,
    }
}

impl Case {
    fn why(mut self, clause: &'static str) -> Self {
        self.justified = Some(clause);
        self
    }
}

/// A P-256 signer over any header and claims (the client's own key signs only well-formed proofs).
struct Es256 {
    key: DpopKey,
    pair: EcdsaKeyPair,
}

impl Es256 {
    fn new() -> Self {
        let key = DpopKey::generate().unwrap();
        let pair = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, key.pkcs8()).unwrap();
        Self { key, pair }
    }

    fn sign(&self, header: &Value, claims: &Value) -> String {
        let input = signing_input(header, claims);
        let sig = self
            .pair
            .sign(&SystemRandom::new(), input.as_bytes())
            .unwrap();
        format!("{input}.{}", b64(sig.as_ref()))
    }

    fn header(&self) -> Value {
        json!({"typ": "dpop+jwt", "alg": "ES256", "jwk": self.key.public_jwk()})
    }
}

/// An Ed25519 signer (`alg` EdDSA, an OKP key): an asymmetric algorithm the guard does not take.
struct EdDsa(Ed25519KeyPair);

impl EdDsa {
    fn new() -> Self {
        let doc = Ed25519KeyPair::generate_pkcs8(&SystemRandom::new()).unwrap();
        Self(Ed25519KeyPair::from_pkcs8(doc.as_ref()).unwrap())
    }

    fn jwk(&self) -> Value {
        json!({"kty": "OKP", "crv": "Ed25519", "x": b64(self.0.public_key().as_ref())})
    }

    fn proof(&self, claims: &Value) -> String {
        let input = signing_input(
            &json!({"typ": "dpop+jwt", "alg": "EdDSA", "jwk": self.jwk()}),
            claims,
        );
        format!("{input}.{}", b64(self.0.sign(input.as_bytes()).as_ref()))
    }
}

/// RFC 7638 (RFC 8037 §2 for OKP): SHA-256 over the required members in lexical order, computed here rather than
/// by the token core, so that a token bound to an RSA or Ed25519 key does not depend on the code under test.
fn thumbprint(jwk: &Value, members: &[&str]) -> String {
    let fields: Vec<String> = members
        .iter()
        .map(|m| format!("\"{m}\":{}", jwk[m]))
        .collect();
    b64(&sha2::Sha256::digest(
        format!("{{{}}}", fields.join(",")).as_bytes(),
    ))
}

/// The proof claims of a good request for `token`, at `iat`; each call a new `jti`.
fn claims(token: &str, iat: i64) -> Value {
    json!({"jti": b64(&rand::random::<[u8; 16]>()), "htm": "GET", "htu": format!("{EXTERNAL}{PATH}"),
           "iat": iat, "ath": ath(token)})
}

/// An Auth0 access token for the API, bound to `jkt` when given.
fn access_token(issuer: &Key, now: i64, jkt: Option<&str>) -> String {
    let mut c = json!({"iss": ISS, "sub": "auth0|alice", "aud": [API, format!("{ISS}userinfo")],
        "azp": "orgpass-desktop", "iat": now, "exp": now + 86400, "scope": "openid read:projects",
        "org_id": ORG, "org_name": "acme", "client_id": "orgpass-desktop", "jti": "at-1"});
    if let Some(jkt) = jkt {
        c["cnf"] = json!({"jkt": jkt});
    }
    issuer.sign(
        &json!({"alg": "RS256", "typ": "at+jwt", "kid": issuer.kid}),
        &c,
    )
}

fn corpus(issuer: &Key, now: i64) -> Vec<Case> {
    use Verdict::{Accept, Refuse};
    let key = Es256::new();
    let other = Es256::new();
    let rsa = Key::new("proof", 2048);
    let token = access_token(issuer, now, Some(key.key.thumbprint()));
    let unbound = access_token(issuer, now, None);
    let expired = {
        let mut c: Value = serde_json::from_slice(
            &base64::Engine::decode(
                &base64::engine::general_purpose::URL_SAFE_NO_PAD,
                token.split('.').nth(1).unwrap(),
            )
            .unwrap(),
        )
        .unwrap();
        c["exp"] = json!(now - LEEWAY - 10);
        issuer.sign(
            &json!({"alg": "RS256", "typ": "at+jwt", "kid": issuer.kid}),
            &c,
        )
    };
    let dpop = format!("DPoP {token}");
    // A proof by `key` whose claims are the good ones changed by `f`.
    let with = |f: &dyn Fn(&mut Value)| {
        let mut c = claims(&token, now);
        f(&mut c);
        key.sign(&key.header(), &c)
    };
    let header_with = |f: &dyn Fn(&mut Value)| {
        let mut h = key.header();
        f(&mut h);
        key.sign(&h, &claims(&token, now))
    };
    let good = with(&|_| {});
    let url = |u: &str| with(&|c| c["htu"] = json!(u));
    let iat = |t: i64| with(&|c| c["iat"] = json!(t));
    let without = |k: &'static str| with(&|c| drop_key(c, k));
    let mut rsa_jwk = rsa.jwk();
    drop_key(&mut rsa_jwk, "kid");
    let eddsa = EdDsa::new();
    // A token bound to a key of another algorithm, with a proof by that key: only the algorithm is wrong.
    let bound_to = |jkt: String, sign: &dyn Fn(&Value) -> String| {
        let t = access_token(issuer, now, Some(&jkt));
        (format!("DPoP {t}"), vec![sign(&claims(&t, now))])
    };
    let (rsa_auth, rsa_proof) = bound_to(thumbprint(&rsa_jwk, &["e", "kty", "n"]), &|c| {
        rsa.sign(
            &json!({"typ": "dpop+jwt", "alg": "RS256", "jwk": rsa_jwk}),
            c,
        )
    });
    let (ed_auth, ed_proof) = bound_to(thumbprint(&eddsa.jwk(), &["crv", "kty", "x"]), &|c| {
        eddsa.proof(c)
    });
    vec![
        case("a good proof", dpop.clone(), vec![good.clone()], Accept),
        case("scheme in lower case (dpop)", format!("dpop {token}"), vec![with(&|_| {})], Accept),
        case("typ in upper case (DPOP+JWT)", dpop.clone(), vec![header_with(&|h| h["typ"] = json!("DPOP+JWT"))], Accept),
        case("a nonce the server did not ask for", dpop.clone(), vec![with(&|c| c["nonce"] = json!("n-1"))], Accept),
        case("jwk with alg, use and kid members", dpop.clone(), vec![header_with(&|h| {
            h["jwk"]["alg"] = json!("ES256");
            h["jwk"]["use"] = json!("sig");
            h["jwk"]["kid"] = json!("k");
        })], Accept),
        case("htu with a query and a fragment", dpop.clone(), vec![url(&format!("{EXTERNAL}{PATH}?page=2#top"))], Accept),
        case("htu with scheme and host in upper case", dpop.clone(), vec![url(&format!("HTTPS://API.ORGPASS.EXAMPLE{PATH}"))], Accept),
        case("htu with the default port", dpop.clone(), vec![url(&format!("{EXTERNAL}:443{PATH}"))], Accept),
        case("htu with percent-encoded unreserved characters", dpop.clone(), vec![url(&format!("{EXTERNAL}/%6Frgs/org_AcmeA1b2C3d4E5f6/%63heck"))], Accept),
        case("iat 20 s in the future", dpop.clone(), vec![iat(now + 20)], Accept),
        case("iat 50 s ago", dpop.clone(), vec![iat(now - 50)], Accept),
        case("no DPoP header", dpop.clone(), vec![], Refuse),
        case("two DPoP headers", dpop.clone(), vec![with(&|_| {}), with(&|_| {})], Refuse),
        case("an empty DPoP header", dpop.clone(), vec![String::new()], Refuse),
        case("not a JWS", dpop.clone(), vec!["not-a-proof".into()], Refuse),
        case("typ JWT", dpop.clone(), vec![header_with(&|h| h["typ"] = json!("JWT"))], Refuse),
        case("no typ", dpop.clone(), vec![header_with(&|h| drop_key(h, "typ"))], Refuse),
        case("typ at+jwt (an access token as a proof)", dpop.clone(), vec![header_with(&|h| h["typ"] = json!("at+jwt"))], Refuse),
        case("alg none", dpop.clone(), vec![tokens::with_signature(&json!({"typ": "dpop+jwt", "alg": "none", "jwk": key.key.public_jwk()}), &claims(&token, now), b"")], Refuse),
        case("HS256 keyed with the jwk's x", dpop.clone(), vec![hs256_proof(&key, &claims(&token, now))], Refuse),
        case("no jwk", dpop.clone(), vec![header_with(&|h| drop_key(h, "jwk"))], Refuse),
        case("jwk with the private key", dpop.clone(), vec![header_with(&|h| h["jwk"]["d"] = json!(b64(&[1; 32])))], Refuse),
        case("jwk of another key than the signer's", dpop.clone(), vec![key.sign(&other.header(), &claims(&token, now))], Refuse),
        case("jwk a P-256 point not on the curve", dpop.clone(), vec![header_with(&|h| h["jwk"]["y"] = json!(b64(&[7; 32])))], Refuse),
        case("jwk an RSA key under alg ES256", dpop.clone(), vec![header_with(&|h| h["jwk"] = rsa_jwk.clone())], Refuse),
        case("signature of another payload", dpop.clone(), vec![tokens::tampered(&good, &claims(&token, now + 1))], Refuse),
        case("signature stripped", dpop.clone(), vec![tokens::with_signature(&key.header(), &claims(&token, now), b"")], Refuse),
        case("htm POST on a GET", dpop.clone(), vec![with(&|c| c["htm"] = json!("POST"))], Refuse),
        case("htu another path", dpop.clone(), vec![url(&format!("{EXTERNAL}/orgs/org_AcmeA1b2C3d4E5f6/projects"))], Refuse),
        case("htu another host", dpop.clone(), vec![url(&format!("https://evil.example{PATH}"))], Refuse),
        case("htu http, not https", dpop.clone(), vec![url(&format!("http://api.orgpass.example{PATH}"))], Refuse),
        case("htu another port", dpop.clone(), vec![url(&format!("{EXTERNAL}:8443{PATH}"))], Refuse),
        case("htu a relative URL", dpop.clone(), vec![url(PATH)], Refuse),
        case("iat 10 min ago", dpop.clone(), vec![iat(now - 600)], Refuse),
        case("iat 10 min in the future", dpop.clone(), vec![iat(now + 600)], Refuse),
        case("iat a string", dpop.clone(), vec![with(&|c| c["iat"] = json!(now.to_string()))], Refuse),
        case("no jti", dpop.clone(), vec![without("jti")], Refuse),
        case("no htm", dpop.clone(), vec![without("htm")], Refuse),
        case("no htu", dpop.clone(), vec![without("htu")], Refuse),
        case("no iat", dpop.clone(), vec![without("iat")], Refuse),
        case("no ath", dpop.clone(), vec![without("ath")], Refuse),
        case("ath of another token", dpop.clone(), vec![with(&|c| c["ath"] = json!(ath(&unbound)))], Refuse),
        case("proof by another key than the token's cnf.jkt", dpop.clone(), vec![other.sign(&other.header(), &claims(&token, now))], Refuse),
        case("an unbound token with a good proof", format!("DPoP {unbound}"), vec![{
            let mut c = claims(&unbound, now);
            c["ath"] = json!(ath(&unbound));
            key.sign(&key.header(), &c)
        }], Refuse),
        case("a bound token, expired, with a good proof", format!("DPoP {expired}"), vec![{
            let mut c = claims(&expired, now);
            c["ath"] = json!(ath(&expired));
            key.sign(&key.header(), &c)
        }], Refuse),
        case("the bound token sent as Bearer, no proof", format!("Bearer {token}"), vec![], Refuse),
        case("the bound token sent as Bearer, with its proof", format!("Bearer {token}"), vec![with(&|_| {})], Refuse),
        case("an unbound token as Bearer with a DPoP header", format!("Bearer {unbound}"), vec![with(&|_| {})], Refuse),
        Case { name: "a proof without any Authorization", authorization: None, proofs: vec![with(&|_| {})], ours: Refuse, justified: None },
        // Where a library with its own window and algorithm list, and no replay store, differs from RFC 9449.
        case("the good proof again (replayed)", dpop.clone(), vec![good], Refuse)
            .why("RFC 9449 §11.1 and §4.3 item 12: a proof's jti already seen within the window is refused (the library keeps no jti store)"),
        case("htm in lower case (get)", dpop.clone(), vec![with(&|c| c["htm"] = json!("get"))], Refuse)
            .why("RFC 9449 §4.2 and §4.3 item 8: htm is the request's method, and RFC 9110 §9.1: the method token is case-sensitive"),
        case("iat 2 min ago", dpop.clone(), vec![iat(now - 120)], Refuse)
            .why("RFC 9449 §4.3 item 11 and §11.1: the acceptable window is the server's; the guard's is 60 s either way (the library's 300 s back)"),
        case("iat 45 s in the future", dpop.clone(), vec![iat(now + 45)], Accept)
            .why("RFC 9449 §4.3 item 11 and §11.1: the acceptable window is the server's; the guard's is 60 s either way (the library's 30 s ahead)"),
        case("RS256 proof with an RSA jwk, token bound to it", rsa_auth, rsa_proof, Refuse)
            .why("RFC 9449 §4.3 item 5 and §7.1: the alg must be one the server supports, which it advertises in algs (the guard: ES256, as Auth0)"),
        case("EdDSA proof with an Ed25519 jwk, token bound to it", ed_auth, ed_proof, Refuse)
            .why("RFC 9449 §4.3 item 5 and §7.1: the alg must be one the server supports, which it advertises in algs (the guard: ES256, as Auth0)"),
    ]
}

fn drop_key(v: &mut Value, k: &str) {
    v.as_object_mut().unwrap().remove(k);
}

/// The confusion attack on a proof: HS256, keyed with the public jwk's `x`.
fn hs256_proof(key: &Es256, claims: &Value) -> String {
    let x = key.key.public_jwk()["x"].as_str().unwrap().to_owned();
    let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256);
    header.typ = Some("dpop+jwt".into());
    header.jwk = serde_json::from_value(key.key.public_jwk().clone()).ok();
    jsonwebtoken::encode(
        &header,
        claims,
        &jsonwebtoken::EncodingKey::from_secret(x.as_bytes()),
    )
    .unwrap()
}

/// The guard as a company API mounts it, taking DPoP (not requiring it) at [`EXTERNAL`]; the JWKS from memory.
fn app(jwks: &Value) -> Router {
    let body = jwks.to_string().into_bytes();
    let source = move || -> JwksFuture<'static> {
        let body = body.clone();
        Box::pin(async move {
            Ok(Document {
                body,
                max_age: None,
            })
        })
    };
    let config = GuardConfig::new(ISS, API)
        .unwrap()
        .with_leeway(Duration::from_secs(LEEWAY as u64))
        .with_dpop(DpopMode::Allowed, EXTERNAL)
        .unwrap();
    let guard = Guard::with_source(config, source, system_clock());
    async fn check(BoundOrg(org): BoundOrg) -> String {
        org.id
    }
    Router::new()
        .route("/orgs/{org_id}/check", get(check))
        .layer(guard.layer())
}

/// Our verdict: the guard's answer; a refusal as its status and the challenge that carries an error.
async fn ours(app: &Router, case: &Case) -> Result<(), String> {
    let mut request = Request::get(PATH);
    if let Some(a) = &case.authorization {
        request = request.header(header::AUTHORIZATION, a);
    }
    for p in &case.proofs {
        request = request.header("dpop", p);
    }
    let response = app
        .clone()
        .oneshot(request.body(Body::empty()).unwrap())
        .await
        .unwrap();
    if response.status() == StatusCode::OK {
        return Ok(());
    }
    let challenge = response
        .headers()
        .get(header::WWW_AUTHENTICATE)
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    Err(format!("{} {challenge}", response.status().as_u16()))
}

#[tokio::test]
async fn dpop_proofs_judged_by_the_guard_and_by_express_oauth2_jwt_bearer() {
    let issuer = Key::new("k1", 2048);
    let now = tokens::now();
    let jwks = json!({"keys": [issuer.jwk()]});
    let corpus = corpus(&issuer, now);
    assert!(
        corpus.len() >= 30,
        "at least 30 cases, got {}",
        corpus.len()
    );
    let input = json!({
        "issuer": ISS, "audience": API, "jwks": jwks, "leeway": LEEWAY, "external": EXTERNAL,
        "cases": corpus.iter().map(|c| json!({"name": c.name, "org_id": ORG, "authorization": c.authorization,
                                              "dpop": c.proofs})).collect::<Vec<_>>(),
    });
    let theirs = tokio::task::spawn_blocking(move || oracle("dpop-proof.mjs", &input))
        .await
        .unwrap();
    let app = app(&jwks);
    let rows = judged(
        corpus,
        theirs,
        |c| (c.name, c.ours, c.justified),
        async |c| ours(&app, c).await,
    )
    .await;
    report("DPoP proofs", "express-oauth2-jwt-bearer", &rows);
}
