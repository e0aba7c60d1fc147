//! In-process (`oneshot`) tests of every endpoint group, with data-driven tables of bad input: the shared helpers
//! (state, [`Reply`], requests, login and code exchange, Management API and fault-admin callers) here, the tests in
//! one file per area.

mod bad_input;
mod client_credentials;
mod client_grants;
mod client_settings;
mod discovery;
mod discovery_domains;
mod dpop;
mod faults_ratelimit;
mod keys_clock;
mod login;
mod m2m_organizations;
mod management;
mod org_discovery;
mod refresh_revoke_logout;
mod session_transfer;

use std::sync::OnceLock;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, Method, Request, StatusCode};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use tower::ServiceExt;
use url::Url;

use crate::keys::KeySet;
use crate::{AppState, Secret, Seed, Tenant, app};

const ISSUER: &str = "http://127.0.0.1:4000/";
const NATIVE: &str = "orgpass-desktop";
const CALLBACK: &str = "http://127.0.0.1:53999/callback";
const ACME: &str = "org_AcmeA1b2C3d4E5f6";
const GLOBEX: &str = "org_GlobexG7h8I9j0K1";

/// Extra form or query parameters of a table row.
type Params<'a> = Vec<(&'a str, &'a str)>;

fn keys() -> KeySet {
    static KEYS: OnceLock<KeySet> = OnceLock::new();
    KEYS.get_or_init(|| KeySet::generate(0).expect("key"))
        .clone()
}

fn state_with(seed: Seed) -> AppState {
    AppState::new(
        Url::parse(ISSUER).unwrap(),
        Tenant::with_keys(&seed, keys()),
        Secret::new("admin-secret"),
    )
}

fn state() -> AppState {
    state_with(Seed::demo())
}

struct Reply {
    status: StatusCode,
    headers: HeaderMap,
    body: Bytes,
}

impl Reply {
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|_| panic!("not JSON: {}", String::from_utf8_lossy(&self.body)))
    }
    /// Asserts the status (showing the body if it differs) and returns the JSON body.
    fn expect(&self, status: StatusCode) -> Value {
        assert_eq!(self.status, status, "{}", self.text());
        self.json()
    }
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
    fn location(&self) -> Url {
        let loc = self
            .headers
            .get("location")
            .expect("a redirect")
            .to_str()
            .unwrap();
        Url::parse(ISSUER).unwrap().join(loc).unwrap()
    }
    /// The `name=value` part of the `set-cookie` header.
    fn session_cookie(&self) -> String {
        self.headers["set-cookie"]
            .to_str()
            .unwrap()
            .split(';')
            .next()
            .unwrap()
            .to_owned()
    }
    fn query(&self, key: &str) -> Option<String> {
        self.location()
            .query_pairs()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.into_owned())
    }
}

async fn send(app: &Router, req: Request<Body>) -> Reply {
    let res = app.clone().oneshot(req).await.unwrap();
    let status = res.status();
    let headers = res.headers().clone();
    let body = axum::body::to_bytes(res.into_body(), 10 * 1024 * 1024)
        .await
        .unwrap();
    Reply {
        status,
        headers,
        body,
    }
}

fn get(uri: &str) -> Request<Body> {
    Request::get(uri).body(Body::empty()).unwrap()
}

fn with_cookie(uri: &str, cookie: &str) -> Request<Body> {
    Request::get(uri)
        .header("cookie", cookie)
        .body(Body::empty())
        .unwrap()
}

/// GETs `uri`.
async fn fetch(app: &Router, uri: &str) -> Reply {
    send(app, get(uri)).await
}

/// POSTs `pairs` as a form to `uri`.
async fn post_form(app: &Router, uri: &str, pairs: &[(&str, &str)]) -> Reply {
    send(app, form(uri, pairs)).await
}

fn form(uri: &str, pairs: &[(&str, &str)]) -> Request<Body> {
    let body: String = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish();
    Request::post(uri)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(Body::from(body))
        .unwrap()
}

fn pkce() -> (String, String) {
    let verifier = B64.encode([7u8; 32]);
    let challenge = B64.encode(Sha256::digest(verifier.as_bytes()));
    (verifier, challenge)
}

fn authorize_uri(extra: &[(&str, &str)]) -> String {
    let (_, challenge) = pkce();
    let mut pairs: Vec<(&str, &str)> = vec![
        ("client_id", NATIVE),
        ("redirect_uri", CALLBACK),
        ("response_type", "code"),
        ("scope", "openid profile email offline_access"),
        ("state", "st-123"),
        ("nonce", "n-456"),
        ("code_challenge", &challenge),
        ("code_challenge_method", "S256"),
    ];
    for (k, v) in extra {
        pairs.retain(|(pk, _)| pk != k);
        if !v.is_empty() {
            pairs.push((k, v));
        }
    }
    let q: String = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish();
    format!("/authorize?{q}")
}

/// Runs `/authorize` then the database login form; returns the final reply (a redirect to the callback).
async fn login(app: &Router, extra: &[(&str, &str)], email: &str, password: &str) -> Reply {
    let r = fetch(app, &authorize_uri(extra)).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    let loc = r.location();
    assert_eq!(loc.path(), "/u/login", "{loc}");
    let key = loc
        .query_pairs()
        .find(|(k, _)| k == "state")
        .unwrap()
        .1
        .into_owned();
    post_form(
        app,
        "/u/login",
        &[("state", &key), ("username", email), ("password", password)],
    )
    .await
}

async fn exchange(app: &Router, code: &str, verifier: &str) -> Reply {
    post_form(
        app,
        "/oauth/token",
        &[
            ("grant_type", "authorization_code"),
            ("client_id", NATIVE),
            ("code", code),
            ("code_verifier", verifier),
            ("redirect_uri", CALLBACK),
        ],
    )
    .await
}

/// [`login`] into `org` with nothing else changed on `/authorize`.
async fn login_to(app: &Router, org: &str, email: &str, password: &str) -> Reply {
    login(app, &[("organization", org)], email, password).await
}

/// Exchanges the code in `r`'s redirect with the [`pkce`] verifier; returns the token response body.
async fn code_tokens(app: &Router, r: &Reply) -> Value {
    exchange(app, &r.query("code").unwrap(), &pkce().0)
        .await
        .json()
}

fn refresh(refresh_token: &str) -> Request<Body> {
    form(
        "/oauth/token",
        &[
            ("grant_type", "refresh_token"),
            ("client_id", NATIVE),
            ("refresh_token", refresh_token),
        ],
    )
}

fn claims(jwt: &str) -> Value {
    let payload = jwt.split('.').nth(1).unwrap();
    serde_json::from_slice(&B64.decode(payload).unwrap()).unwrap()
}

fn mgmt_token(state: &AppState, scopes: &str) -> String {
    let now = crate::now_unix();
    state.lock().keys.current.sign(&json!({
        "iss": ISSUER, "sub": "orgpass-admin@clients", "aud": format!("{ISSUER}api/v2/"),
        "iat": now, "exp": now + 600, "scope": scopes, "gty": "client-credentials", "azp": "orgpass-admin",
    }))
}

/// Finishes `b` with `body` as JSON, or with no body.
fn json_body(b: axum::http::request::Builder, body: Option<&str>) -> Request<Body> {
    match body {
        Some(json) => b
            .header("content-type", "application/json")
            .body(Body::from(json.to_owned()))
            .unwrap(),
        None => b.body(Body::empty()).unwrap(),
    }
}

fn api(method: Method, path: &str, token: &str, body: Option<&str>) -> Request<Body> {
    let b = Request::builder()
        .method(method)
        .uri(format!("/api/v2{path}"))
        .header("authorization", format!("Bearer {token}"));
    json_body(b, body)
}

/// A Management API caller: the app and one bearer token.
struct Mgmt {
    app: Router,
    token: String,
}

impl Mgmt {
    fn new(app: &Router, token: String) -> Self {
        Self {
            app: app.clone(),
            token,
        }
    }

    /// A caller with a fresh app on `state` and a token with `scopes`.
    fn with_scopes(state: &AppState, scopes: &str) -> Self {
        Self::new(&app(state.clone()), mgmt_token(state, scopes))
    }

    async fn call(&self, method: Method, path: &str, body: Option<&str>) -> Reply {
        send(&self.app, api(method, path, &self.token, body)).await
    }

    async fn get(&self, path: &str) -> Reply {
        self.call(Method::GET, path, None).await
    }

    async fn post(&self, path: &str, body: &str) -> Reply {
        self.call(Method::POST, path, Some(body)).await
    }

    async fn patch(&self, path: &str, body: &str) -> Reply {
        self.call(Method::PATCH, path, Some(body)).await
    }

    async fn delete(&self, path: &str) -> Reply {
        self.call(Method::DELETE, path, None).await
    }
}

/// A request to the fault-injection surface `/__devtenant{path}` with `secret` as the admin secret.
fn admin(method: Method, path: &str, secret: &str, body: Option<&str>) -> Request<Body> {
    let b = Request::builder()
        .method(method)
        .uri(format!("/__devtenant{path}"))
        .header("x-devtenant-admin-secret", secret);
    json_body(b, body)
}

/// POSTs to the admin endpoint `path` with the right secret.
async fn admin_post(app: &Router, path: &str, body: Option<&str>) -> Reply {
    send(app, admin(Method::POST, path, "admin-secret", body)).await
}
