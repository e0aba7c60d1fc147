//! Access tokens: a corpus (both Auth0 dialects, `typ` `at+jwt` and `JWT`, audience arrays, expiry, the
//! organization binding, scopes and RBAC permissions, hostile headers) judged by the guard, through a real router
//! (its layer, `BoundOrg`, `RequireScope`), and by Auth0's `express-oauth2-jwt-bearer` in a node process.

use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::handler::Handler as _;
use axum::http::{Request, StatusCode, header};
use axum::routing::get;
use orgpass_guard::{
    BoundOrg, Document, Guard, GuardConfig, JwksFuture, RequireScope, system_clock,
};
use serde_json::{Value, json};
use tower::ServiceExt as _;

use super::tokens::{self, Key};
use super::{Verdict, judged, oracle, report};

const ISS: &str = "https://acme.eu.auth0.com/";
const API: &str = "https://api.orgpass.example/";
const CLIENT: &str = "Xk2mJ9fQbN7tR4cY1uW8pL3zH6sD0aVe";
const ORG: &str = "org_AcmeA1b2C3d4E5f6";
const SCOPE: &str = "read:projects";
const LEEWAY: i64 = 60;

struct Case {
    name: &'static str,
    token: String,
    /// The organization the request is for (the route's `{org_id}`).
    org: &'static str,
    scope: Option<&'static str>,
    ours: Verdict,
    justified: Option<&'static str>,
}

fn case(name: &'static str, token: String, ours: Verdict) -> Case {
    Case {
        name,
        token,
        org: ORG,
        scope: None,
        ours,
        justified: None,
    }
}

impl Case {
    fn scope(mut self) -> Self {
        self.scope = Some(SCOPE);
        self
    }
    fn org(mut self, org: &'static str) -> Self {
        self.org = org;
        self
    }
    fn why(mut self, clause: &'static str) -> Self {
        self.justified = Some(clause);
        self
    }
}

/// An Auth0 access token for the API (the RFC 9068 dialect; Auth0's default dialect differs only in `typ` JWT).
fn claims(now: i64) -> Value {
    json!({"iss": ISS, "sub": "auth0|alice", "aud": [API, format!("{ISS}userinfo")], "azp": CLIENT,
           "iat": now, "exp": now + 86400, "scope": "openid read:projects", "org_id": ORG, "org_name": "acme",
           "client_id": CLIENT, "jti": "j-1"})
}

fn corpus(k1: &Key, k2: &Key, attacker: &Key, now: i64) -> Vec<Case> {
    use Verdict::{Accept, Refuse};
    let good = claims(now);
    let set = |k: &'static str, v: Value| {
        let mut c = claims(now);
        c[k] = v;
        c
    };
    let del = |k: &'static str| {
        let mut c = claims(now);
        c.as_object_mut().unwrap().remove(k);
        c
    };
    let typed =
        |typ: &str, c: &Value| k1.sign(&json!({"alg": "RS256", "typ": typ, "kid": k1.kid}), c);
    let at = |c: &Value| typed("at+jwt", c);
    let pem = k1.public_pem();
    vec![
        case("RFC 9068 dialect (typ at+jwt)", at(&good), Accept),
        case("Auth0 default dialect (typ JWT)", typed("JWT", &good), Accept),
        case("typ application/at+jwt", typed("application/at+jwt", &good), Accept),
        case("no typ", k1.sign(&json!({"alg": "RS256", "kid": k1.kid}), &good), Accept),
        case("signed by the next key (rotation)", k2.sign(&json!({"alg": "RS256", "typ": "at+jwt", "kid": k2.kid}), &good), Accept),
        case("aud a string", at(&set("aud", json!(API))), Accept),
        case("aud for another API", at(&set("aud", json!(["https://other.example/"]))), Refuse),
        case("an ID token (aud = client id)", typed("JWT", &set("aud", json!(CLIENT))), Refuse),
        case("wrong iss", at(&set("iss", json!("https://evil.example/"))), Refuse),
        case("iss without its trailing slash", at(&set("iss", json!(ISS.trim_end_matches('/')))), Refuse),
        case("expired", at(&set("exp", json!(now - LEEWAY - 5))), Refuse),
        case("expired within the leeway", at(&set("exp", json!(now - LEEWAY + 5))), Accept),
        case("no exp", at(&del("exp")), Refuse),
        case("not valid yet", at(&set("nbf", json!(now + LEEWAY + 30))), Refuse),
        case("nbf within the leeway", at(&set("nbf", json!(now + LEEWAY - 30))), Accept),
        case("scope granted", at(&good), Accept).scope(),
        case("scope not granted", at(&set("scope", json!("openid"))), Refuse).scope(),
        case("no scope claim", at(&del("scope")), Refuse).scope(),
        case("org_id of another organization", at(&set("org_id", json!("org_GlobexZ9y8X7w6V5u4"))), Refuse),
        case("no org_id", at(&del("org_id")), Refuse),
        case("alg none", tokens::with_signature(&json!({"alg": "none", "typ": "at+jwt"}), &good, b""), Refuse),
        case("HS256 keyed with the issuer's public key", tokens::hs256(k1.kid, "at+jwt", &good, pem.as_bytes()), Refuse),
        case("RS512 named in the header", tokens::with_signature(&json!({"alg": "RS512", "kid": k1.kid}), &good, &[7; 256]), Refuse),
        case("PS256 named in the header", tokens::with_signature(&json!({"alg": "PS256", "kid": k1.kid}), &good, &[7; 256]), Refuse),
        case("ES256 named in the header", tokens::with_signature(&json!({"alg": "ES256", "kid": k1.kid}), &good, &[7; 64]), Refuse),
        case("another key under our kid", attacker.sign(&json!({"alg": "RS256", "typ": "at+jwt", "kid": k1.kid}), &good), Refuse),
        case("unknown kid", attacker.sign(&json!({"alg": "RS256", "typ": "at+jwt", "kid": "k9"}), &good), Refuse),
        case("no kid, two keys", k1.sign(&json!({"alg": "RS256", "typ": "at+jwt"}), &good), Refuse),
        case("tampered payload", tokens::tampered(&at(&good), &set("org_id", json!("org_GlobexZ9y8X7w6V5u4"))), Refuse)
            .org("org_GlobexZ9y8X7w6V5u4"),
        case("signature stripped", tokens::with_signature(&json!({"alg": "RS256", "kid": k1.kid}), &good, b""), Refuse),
        case("crit header", k1.sign(&json!({"alg": "RS256", "typ": "at+jwt", "kid": k1.kid, "crit": ["exp"], "exp": 1}), &good), Refuse),
        case("bound to a DPoP key, sent as Bearer", at(&set("cnf", json!({"jkt": "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I"}))), Refuse),
        case("not a JWT", "an-opaque-token".into(), Refuse),
        // Node refuses the request's header as too large (431) before the library sees it; the guard refuses the
        // token by its own bound (16 KiB) before parsing it.
        case("longer than 16 KiB", at(&set("padding", json!("x".repeat(17 * 1024)))), Refuse),
        // Where a library that checks signature, iss, aud, exp and the route's rules differs from RFC 9068's profile.
        case("iat an hour in the future", at(&set("iat", json!(now + 3600))), Refuse)
            .why("RFC 9068 §4: iat is REQUIRED (§2.2) and a token issued in the future is refused (clock or forgery), like the engine's ID tokens"),
        case("no iat", at(&del("iat")), Refuse)
            .why("RFC 9068 §2.2: iat is REQUIRED in a JWT access token"),
        case("no sub", at(&del("sub")), Refuse)
            .why("RFC 9068 §2.2: sub is REQUIRED in a JWT access token"),
        case("org_id not an organization ID (route names it)", at(&set("org_id", json!("org_a-b"))), Refuse)
            .org("org_a-b")
            .why("Auth0 Organizations: an org_id is org_ and letters or digits; anything else is not an organization"),
        case("typ of an ID token (id+jwt)", typed("id+jwt", &good), Refuse)
            .why("RFC 9068 §4 and RFC 8725 §3.11: explicit typing; a JWT typed as another kind is not an access token"),
        case("typ logout+jwt", typed("logout+jwt", &good), Refuse)
            .why("RFC 9068 §4 and RFC 8725 §3.11: explicit typing (a logout token is never an access token)"),
        case("header brings its own jwk", k1.sign(&json!({"alg": "RS256", "typ": "at+jwt", "kid": k1.kid, "jwk": k1.jwk()}), &good), Refuse)
            .why("RFC 8725 §3.10: keys come only from the issuer's JWKS; a token carrying a key is refused outright"),
        case("scope granted only by RBAC permissions", at(&with_permissions(&set("scope", json!("openid")))), Accept)
            .scope()
            .why("Auth0 RBAC ('Add Permissions in the Access Token'): the permissions claim grants the API's permissions like scope does"),
    ]
}

fn with_permissions(c: &Value) -> Value {
    let mut c = c.clone();
    c["permissions"] = json!([SCOPE]);
    c
}

/// The guard, as a company API mounts it: its layer on two routes bound to the path's organization, one of
/// them requiring the scope. The JWKS comes from memory.
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
        .with_leeway(Duration::from_secs(LEEWAY as u64));
    let guard = Guard::with_source(config, source, system_clock());
    async fn check(BoundOrg(org): BoundOrg) -> String {
        org.id
    }
    Router::new()
        .route("/orgs/{org_id}/check", get(check))
        .route(
            "/orgs/{org_id}/scoped",
            get(check.layer(RequireScope::new(SCOPE))),
        )
        .layer(guard.layer())
}

/// Our verdict: the guard's answer to the request.
async fn ours(app: &Router, case: &Case) -> Result<(), String> {
    let path = if case.scope.is_some() {
        "scoped"
    } else {
        "check"
    };
    let request = Request::get(format!("/orgs/{}/{path}", case.org))
        .header(header::AUTHORIZATION, format!("Bearer {}", case.token))
        .body(Body::empty())
        .unwrap();
    let response = app.clone().oneshot(request).await.unwrap();
    if response.status() == StatusCode::OK {
        return Ok(());
    }
    let status = response.status();
    let body = axum::body::to_bytes(response.into_body(), 1 << 20)
        .await
        .unwrap();
    let body: Value = serde_json::from_slice(&body).unwrap_or_default();
    Err(format!(
        "{status} {}: {}",
        body["check"].as_str().unwrap_or("?"),
        body["error_description"].as_str().unwrap_or("?")
    ))
}

#[tokio::test]
async fn access_tokens_judged_by_the_guard_and_by_express_oauth2_jwt_bearer() {
    let (k1, k2, attacker) = (
        Key::new("k1", 2048),
        Key::new("k2", 2048),
        Key::new("k1", 2048),
    );
    let now = tokens::now();
    let jwks = json!({"keys": [k1.jwk(), k2.jwk()]});
    let corpus = corpus(&k1, &k2, &attacker, now);
    assert!(
        corpus.len() >= 40,
        "at least 40 cases, got {}",
        corpus.len()
    );
    let input = json!({
        "issuer": ISS, "audience": API, "jwks": jwks, "leeway": LEEWAY,
        "cases": corpus.iter().map(|c| json!({"name": c.name, "token": c.token, "org_id": c.org, "scope": c.scope}))
            .collect::<Vec<_>>(),
    });
    let theirs = tokio::task::spawn_blocking(move || oracle("access-token.mjs", &input))
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
    report("Access tokens", "express-oauth2-jwt-bearer", &rows);
}
