//! In-process (`oneshot`) tests of every endpoint group, with data-driven tables of bad input.
// Table rows are plain tuples on purpose: one line per case reads better than a struct per table.
#![allow(clippy::type_complexity)]

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

// ---------------------------------------------------------------- discovery, JWKS, token

#[tokio::test]
async fn discovery_and_jwks_describe_this_issuer() {
    let app = app(state());
    let d = fetch(&app, "/.well-known/openid-configuration")
        .await
        .json();
    assert_eq!(d["issuer"], ISSUER);
    assert_eq!(d["jwks_uri"], format!("{ISSUER}.well-known/jwks.json"));
    assert_eq!(d["end_session_endpoint"], format!("{ISSUER}oidc/logout"));
    assert_eq!(d["authorization_response_iss_parameter_supported"], true);
    assert_eq!(d["code_challenge_methods_supported"], json!(["S256"]));
    let jwks = fetch(&app, "/.well-known/jwks.json").await.json();
    assert_eq!(jwks["keys"][0]["kid"], keys().current.kid);
    assert_eq!(jwks["keys"][0]["alg"], "RS256");
}

#[tokio::test]
async fn client_credentials_grants_the_m2m_scopes_for_both_audience_spellings() {
    let app = app(state());
    for audience in [
        format!("{ISSUER}api/v2/"),
        "https://127.0.0.1:4000/api/v2/".to_owned(),
    ] {
        let r = post_form(
            &app,
            "/oauth/token",
            &[
                ("grant_type", "client_credentials"),
                ("client_id", "orgpass-admin"),
                ("client_secret", crate::DEMO_M2M_CLIENT_SECRET),
                ("audience", &audience),
            ],
        )
        .await;
        let body = r.expect(StatusCode::OK);
        assert_eq!(body["token_type"], "Bearer");
        let c = claims(body["access_token"].as_str().unwrap());
        assert_eq!(c["aud"], audience);
        assert_eq!(c["sub"], "orgpass-admin@clients");
        assert_eq!(c["gty"], "client-credentials");
        assert!(
            c["scope"]
                .as_str()
                .unwrap()
                .split(' ')
                .any(|s| s == "create:organizations")
        );
    }
}

#[tokio::test]
async fn client_credentials_refusals_match_auth0() {
    let app = app(state());
    let aud = format!("{ISSUER}api/v2/");
    let rows: [(&str, Vec<(&str, &str)>, StatusCode, &str); 4] = [
        (
            "wrong secret",
            vec![("client_secret", "nope"), ("audience", &aud)],
            StatusCode::UNAUTHORIZED,
            "access_denied",
        ),
        (
            "unknown audience",
            vec![
                ("client_secret", crate::DEMO_M2M_CLIENT_SECRET),
                ("audience", "https://nope/"),
            ],
            StatusCode::FORBIDDEN,
            "access_denied",
        ),
        (
            "no audience",
            vec![("client_secret", crate::DEMO_M2M_CLIENT_SECRET)],
            StatusCode::FORBIDDEN,
            "access_denied",
        ),
        (
            "public client",
            vec![("audience", &aud)],
            StatusCode::FORBIDDEN,
            "unauthorized_client",
        ),
    ];
    for (name, extra, status, error) in rows {
        let client = if name == "public client" {
            NATIVE
        } else {
            "orgpass-admin"
        };
        let mut pairs = vec![("grant_type", "client_credentials"), ("client_id", client)];
        pairs.extend(extra);
        let r = post_form(&app, "/oauth/token", &pairs).await;
        assert_eq!(
            (r.status, r.json()["error"].as_str().unwrap().to_owned()),
            (status, error.to_owned()),
            "{name}"
        );
    }
}

// ---------------------------------------------------------------- login flows

#[tokio::test]
async fn database_login_issues_org_bound_tokens_with_iss_in_the_redirect() {
    let app = app(state());
    let r = login_to(&app, ACME, "alice@example.com", "Alice-pass-1").await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    assert!(r.location().as_str().starts_with(CALLBACK));
    assert_eq!(r.query("state").as_deref(), Some("st-123"));
    assert_eq!(r.query("iss").as_deref(), Some(ISSUER));
    assert!(
        r.headers
            .get("set-cookie")
            .unwrap()
            .to_str()
            .unwrap()
            .starts_with("devtenant_session=")
    );
    let (verifier, _) = pkce();
    let t = exchange(&app, &r.query("code").unwrap(), &verifier).await;
    let body = t.expect(StatusCode::OK);
    let id = claims(body["id_token"].as_str().unwrap());
    assert_eq!(id["iss"], ISSUER);
    assert_eq!(id["aud"], NATIVE);
    assert_eq!(id["org_id"], ACME);
    assert_eq!(
        id["org_name"], "acme",
        "the demo tenant has the name setting on"
    );
    assert_eq!(id["nonce"], "n-456");
    assert_eq!(id["email"], "alice@example.com");
    assert!(id["sid"].is_string());
    let at = claims(body["access_token"].as_str().unwrap());
    assert_eq!(
        (at["org_id"].clone(), at["azp"].clone()),
        (json!(ACME), json!(NATIVE))
    );
    assert!(body["refresh_token"].is_string());
    // userinfo accepts the access token.
    let req = Request::get("/userinfo").header(
        "authorization",
        format!("Bearer {}", body["access_token"].as_str().unwrap()),
    );
    let u = send(&app, req.body(Body::empty()).unwrap()).await;
    assert_eq!(u.json()["email"], "alice@example.com");
}

#[tokio::test]
async fn org_name_claim_is_absent_when_the_tenant_setting_is_off() {
    let mut seed = Seed::demo();
    seed.tenant.allow_organization_name_in_authentication_api = false;
    let app = app(state_with(seed));
    let r = login_to(&app, GLOBEX, "alice@example.com", "Alice-pass-1").await;
    let t = code_tokens(&app, &r).await;
    let id = claims(t["id_token"].as_str().unwrap());
    assert_eq!(id["org_id"], GLOBEX);
    assert!(id.get("org_name").is_none());
}

#[tokio::test]
async fn refresh_rotates_and_reuse_revokes_the_family() {
    let app = app(state());
    let r = login_to(&app, ACME, "bob@example.com", "Bob-pass-1").await;
    let first = code_tokens(&app, &r).await;
    let rt1 = first["refresh_token"].as_str().unwrap().to_owned();
    let second = send(&app, refresh(&rt1)).await;
    assert_eq!(second.status, StatusCode::OK, "{}", second.text());
    let rt2 = second.json()["refresh_token"].as_str().unwrap().to_owned();
    assert_ne!(rt1, rt2);
    assert_eq!(
        claims(second.json()["id_token"].as_str().unwrap())["org_id"],
        ACME
    );
    // Reusing the rotated token fails and revokes rt2 as well.
    let reuse = send(&app, refresh(&rt1)).await;
    assert_eq!(
        (reuse.status, reuse.json()["error"].clone()),
        (StatusCode::FORBIDDEN, json!("invalid_grant"))
    );
    let after = send(&app, refresh(&rt2)).await;
    assert_eq!(after.json()["error"], "invalid_grant");
}

#[tokio::test]
async fn sso_cookie_skips_the_password_unless_prompt_login() {
    let app = app(state());
    let first = login_to(&app, ACME, "alice@example.com", "Alice-pass-1").await;
    let cookie = first.session_cookie();
    let with_cookie = |uri: String| with_cookie(&uri, &cookie);
    let silent = send(
        &app,
        with_cookie(authorize_uri(&[
            ("organization", GLOBEX),
            ("prompt", "none"),
        ])),
    )
    .await;
    assert!(
        silent.location().as_str().starts_with(CALLBACK),
        "{}",
        silent.location()
    );
    assert!(silent.query("code").is_some());
    let forced = send(
        &app,
        with_cookie(authorize_uri(&[
            ("organization", GLOBEX),
            ("prompt", "login"),
        ])),
    )
    .await;
    assert_eq!(forced.location().path(), "/u/login");
    let no_cookie = fetch(
        &app,
        &authorize_uri(&[("organization", GLOBEX), ("prompt", "none")]),
    )
    .await;
    assert_eq!(no_cookie.query("error").as_deref(), Some("login_required"));
    // Logout clears the session.
    let out = send(
        &app,
        with_cookie(format!(
            "/v2/logout?client_id={NATIVE}&returnTo=http://127.0.0.1:53999/logout"
        )),
    )
    .await;
    assert_eq!(out.status, StatusCode::SEE_OTHER);
    let again = send(
        &app,
        with_cookie(authorize_uri(&[
            ("organization", GLOBEX),
            ("prompt", "none"),
        ])),
    )
    .await;
    assert_eq!(again.query("error").as_deref(), Some("login_required"));
}

#[tokio::test]
async fn assign_membership_on_login_and_invitations_add_members() {
    let state = state();
    let app = app(state.clone());
    // globex auto-assigns database users: Nora (member of nothing) joins.
    let r = login_to(&app, GLOBEX, "nora@example.com", "Nora-pass-1").await;
    assert!(r.query("code").is_some(), "{}", r.location());
    assert!(
        state
            .lock()
            .store
            .org(GLOBEX)
            .unwrap()
            .members
            .iter()
            .any(|m| m.starts_with("auth0|nora"))
    );
    // initech does not, but Bob holds an invitation.
    let initech = "org_InitechL2m3N4o5p";
    let refused = login_to(&app, initech, "alice@example.com", "Alice-pass-1").await;
    assert_eq!(refused.query("error").as_deref(), Some("access_denied"));
    let invited = login(
        &app,
        &[
            ("organization", initech),
            ("invitation", "demoInviteBobToInitech"),
        ],
        "bob@example.com",
        "Bob-pass-1",
    )
    .await;
    assert!(invited.query("code").is_some(), "{}", invited.location());
    let t = state.lock();
    assert!(
        t.store
            .org(initech)
            .unwrap()
            .members
            .iter()
            .any(|m| m.starts_with("auth0|bob"))
    );
    assert!(
        t.store.invitations.is_empty(),
        "an accepted invitation is used up"
    );
}

#[tokio::test]
async fn post_login_prompt_shows_only_the_users_organizations() {
    let app = app(state());
    let r = login(&app, &[], "alice@example.com", "Alice-pass-1").await;
    let loc = r.location();
    assert_eq!(loc.path(), "/u/organization-picker");
    let page = fetch(&app, &format!("{}?{}", loc.path(), loc.query().unwrap()))
        .await
        .text();
    assert!(
        page.contains("Acme Corporation")
            && page.contains("Globex Industries")
            && !page.contains("Initech")
    );
    let key = loc
        .query_pairs()
        .find(|(k, _)| k == "state")
        .unwrap()
        .1
        .into_owned();
    let picked = post_form(
        &app,
        "/u/organization-picker",
        &[("state", &key), ("organization", GLOBEX)],
    )
    .await;
    let t = code_tokens(&app, &picked).await;
    assert_eq!(claims(t["id_token"].as_str().unwrap())["org_id"], GLOBEX);
    let nora = login(&app, &[], "nora@example.com", "Nora-pass-1").await;
    assert_eq!(nora.query("error").as_deref(), Some("access_denied"));
}

#[tokio::test]
async fn pre_login_prompt_asks_for_the_organization_name() {
    let mut seed = Seed::demo();
    seed.clients[0].organization_require_behavior = Some("pre_login_prompt".into());
    let app = app(state_with(seed));
    let r = fetch(&app, &authorize_uri(&[])).await;
    assert_eq!(r.location().path(), "/u/organization");
    let key = r.query("state").unwrap();
    let wrong = post_form(
        &app,
        "/u/organization",
        &[("state", &key), ("organizationName", "nope")],
    )
    .await;
    assert_eq!(wrong.status, StatusCode::BAD_REQUEST);
    let ok = post_form(
        &app,
        "/u/organization",
        &[("state", &key), ("organizationName", "Globex")],
    )
    .await;
    assert_eq!(ok.location().path(), "/u/login");
    let page = fetch(&app, &format!("/u/login?state={key}")).await.text();
    assert!(page.contains("globex.svg") && page.contains("#2b8a3e"));
}

#[tokio::test]
async fn login_pages_carry_each_organizations_branding_and_only_its_connections() {
    let app = app(state());
    let rows = [
        (
            ACME,
            "acme.svg",
            "#d9480f",
            "#fff4e6",
            &["Continue with Google"][..],
            &["Initech SSO"][..],
        ),
        (
            GLOBEX,
            "globex.svg",
            "#2b8a3e",
            "#ebfbee",
            &[][..],
            &["Continue with Google", "Initech SSO"][..],
        ),
        (
            "org_InitechL2m3N4o5p",
            "initech.svg",
            "#1864ab",
            "#e7f5ff",
            &["Continue with Initech SSO"][..],
            &["Google"][..],
        ),
    ];
    for (org, logo, primary, background, present, absent) in rows {
        let r = fetch(&app, &authorize_uri(&[("organization", org)])).await;
        let page = fetch(&app, &format!("/u/login?{}", r.location().query().unwrap()))
            .await
            .text();
        assert!(
            page.contains(&format!("src=\"{ISSUER}branding/{logo}\"")),
            "{org} logo"
        );
        assert!(
            page.contains(&format!("background:{primary}")),
            "{org} primary"
        );
        assert!(
            page.contains(&format!("background:{background}")),
            "{org} page background"
        );
        for p in present {
            assert!(page.contains(p), "{org} shows {p}");
        }
        for a in absent {
            assert!(!page.contains(a), "{org} hides {a}");
        }
    }
    let svg = fetch(&app, "/branding/acme.svg").await;
    assert_eq!(svg.headers.get("content-type").unwrap(), "image/svg+xml");
}

#[tokio::test]
async fn social_and_enterprise_logins_go_through_the_upstream_page() {
    let app = app(state());
    let r = fetch(
        &app,
        &authorize_uri(&[
            ("organization", "org_InitechL2m3N4o5p"),
            ("connection", "initech-sso"),
        ]),
    )
    .await;
    assert_eq!(r.location().path(), "/u/upstream");
    let key = r.query("state").unwrap();
    let page = fetch(
        &app,
        &format!("/u/upstream?state={key}&connection=initech-sso"),
    )
    .await
    .text();
    assert!(page.contains("peter@initech.example") && !page.contains("alice@example.com"));
    let done = post_form(
        &app,
        "/u/upstream",
        &[
            ("state", &key),
            ("connection", "initech-sso"),
            ("user_id", "oidc|initech|samir"),
        ],
    )
    .await;
    assert!(
        done.query("code").is_some(),
        "samir joins through assign_membership_on_login: {}",
        done.location()
    );
}

#[tokio::test]
async fn signup_creates_a_user_where_the_org_allows_it() {
    let state = state();
    let app = app(state.clone());
    let r = fetch(
        &app,
        &authorize_uri(&[("organization", GLOBEX), ("screen_hint", "signup")]),
    )
    .await;
    assert_eq!(r.location().path(), "/u/signup");
    let key = r.query("state").unwrap();
    let done = post_form(
        &app,
        "/u/signup",
        &[
            ("state", &key),
            ("email", "new@example.com"),
            ("password", "long-enough-1"),
        ],
    )
    .await;
    assert!(done.query("code").is_some(), "{}", done.text());
    assert!(
        state
            .lock()
            .store
            .users
            .iter()
            .any(|u| u.email == "new@example.com")
    );
    let acme = fetch(
        &app,
        &authorize_uri(&[("organization", ACME), ("screen_hint", "signup")]),
    )
    .await;
    let key = acme.query("state").unwrap();
    let refused = post_form(
        &app,
        "/u/signup",
        &[
            ("state", &key),
            ("email", "x@example.com"),
            ("password", "long-enough-1"),
        ],
    )
    .await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
}

/// One row per attack or mistake on the Authentication API.
#[tokio::test]
async fn authentication_bad_input_table() {
    enum Expect {
        Page(StatusCode),
        Redirect(&'static str),
        Token(&'static str),
    }
    let plain = pkce().0;
    let rows: Vec<(&str, Vec<(&str, &str)>, Expect)> = vec![
        (
            "unknown client",
            vec![("client_id", "nope")],
            Expect::Page(StatusCode::BAD_REQUEST),
        ),
        (
            "bad redirect uri",
            vec![("redirect_uri", "http://evil.example/callback")],
            Expect::Page(StatusCode::BAD_REQUEST),
        ),
        (
            "other loopback path",
            vec![("redirect_uri", "http://127.0.0.1:5000/elsewhere")],
            Expect::Page(StatusCode::BAD_REQUEST),
        ),
        (
            "plain pkce",
            vec![
                ("code_challenge", &plain),
                ("code_challenge_method", "plain"),
            ],
            Expect::Redirect("invalid_request"),
        ),
        (
            "no pkce on a public client",
            vec![("code_challenge", ""), ("code_challenge_method", "")],
            Expect::Redirect("invalid_request"),
        ),
        (
            "implicit flow",
            vec![("response_type", "token")],
            Expect::Redirect("unsupported_response_type"),
        ),
        (
            "unknown org",
            vec![("organization", "org_0000000000000000")],
            Expect::Redirect("invalid_request"),
        ),
        (
            "unknown org name",
            vec![("organization", "nope")],
            Expect::Redirect("invalid_request"),
        ),
        (
            "invitation without org",
            vec![("invitation", "demoInviteBobToInitech")],
            Expect::Redirect("invalid_request"),
        ),
        (
            "unknown invitation",
            vec![("organization", ACME), ("invitation", "bogus")],
            Expect::Redirect("invalid_request"),
        ),
        (
            "non-member",
            vec![("organization", ACME), ("login_hint", "nora")],
            Expect::Redirect("access_denied"),
        ),
        (
            "wrong verifier",
            vec![("organization", ACME), ("verifier", "wrong")],
            Expect::Token("invalid_grant"),
        ),
        (
            "reused code",
            vec![("organization", ACME), ("reuse", "1")],
            Expect::Token("invalid_grant"),
        ),
        (
            "expired code",
            vec![("organization", ACME), ("expire", "1")],
            Expect::Token("invalid_grant"),
        ),
        (
            "redirect_uri mismatch at token",
            vec![
                ("organization", ACME),
                ("token_redirect", "http://127.0.0.1:1/callback"),
            ],
            Expect::Token("invalid_grant"),
        ),
    ];
    for (name, params, expect) in rows {
        let state = state();
        let app = app(state.clone());
        let control = [
            "login_hint",
            "verifier",
            "reuse",
            "expire",
            "token_redirect",
        ];
        let authz: Vec<(&str, &str)> = params
            .iter()
            .copied()
            .filter(|(k, _)| !control.contains(k))
            .collect();
        let opt = |k: &str| params.iter().find(|(pk, _)| *pk == k).map(|(_, v)| *v);
        match expect {
            Expect::Page(status) => {
                let r = fetch(&app, &authorize_uri(&authz)).await;
                assert_eq!(r.status, status, "{name}");
                assert!(
                    r.headers.get("location").is_none(),
                    "{name}: must not redirect to an unverified URI"
                );
            }
            Expect::Redirect(error) => {
                let r = if opt("login_hint") == Some("nora") {
                    login(&app, &authz, "nora@example.com", "Nora-pass-1").await
                } else {
                    fetch(&app, &authorize_uri(&authz)).await
                };
                assert_eq!(r.status, StatusCode::SEE_OTHER, "{name}: {}", r.text());
                assert!(r.location().as_str().starts_with(CALLBACK), "{name}");
                assert_eq!(r.query("error").as_deref(), Some(error), "{name}");
                assert!(r.query("error_description").is_some(), "{name}");
                assert_eq!(r.query("state").as_deref(), Some("st-123"), "{name}");
                assert_eq!(r.query("iss").as_deref(), Some(ISSUER), "{name}");
            }
            Expect::Token(error) => {
                let r = login(&app, &authz, "alice@example.com", "Alice-pass-1").await;
                let code = r.query("code").expect("a code");
                if opt("expire").is_some() {
                    for c in state.lock().codes.values_mut() {
                        c.expires_at = crate::now_unix() - 1;
                    }
                }
                let verifier = match opt("verifier") {
                    Some(_) => B64.encode([9u8; 32]),
                    None => pkce().0,
                };
                let redirect = opt("token_redirect").unwrap_or(CALLBACK);
                let req = |code: &str| {
                    form(
                        "/oauth/token",
                        &[
                            ("grant_type", "authorization_code"),
                            ("client_id", NATIVE),
                            ("code", code),
                            ("code_verifier", &verifier),
                            ("redirect_uri", redirect),
                        ],
                    )
                };
                if opt("reuse").is_some() {
                    assert_eq!(
                        send(&app, req(&code)).await.status,
                        StatusCode::OK,
                        "{name}: first use"
                    );
                }
                let r = send(&app, req(&code)).await;
                assert_eq!(
                    (r.status, r.json()["error"].clone()),
                    (StatusCode::FORBIDDEN, json!(error)),
                    "{name}"
                );
            }
        }
    }
}

#[tokio::test]
async fn organization_names_need_the_tenant_setting() {
    let mut seed = Seed::demo();
    seed.tenant.allow_organization_name_in_authentication_api = false;
    let app = app(state_with(seed));
    let by_name = fetch(&app, &authorize_uri(&[("organization", "acme")])).await;
    assert_eq!(by_name.query("error").as_deref(), Some("invalid_request"));
    assert!(
        by_name
            .query("error_description")
            .unwrap()
            .contains("allow_organization_name_in_authentication_api")
    );
    let by_id = fetch(&app, &authorize_uri(&[("organization", ACME)])).await;
    assert_eq!(by_id.location().path(), "/u/login");
    // With the setting on (demo default), names resolve case-insensitively.
    let on = app_default();
    let r = send(&on, get(&authorize_uri(&[("organization", " Acme ")]))).await;
    assert_eq!(r.location().path(), "/u/login");
}

fn app_default() -> Router {
    app(state())
}

#[tokio::test]
async fn exact_loopback_mode_refuses_other_ports() {
    let mut seed = Seed::demo();
    seed.tenant.loopback_redirects = crate::seed::LoopbackRedirects::Exact;
    let app = app(state_with(seed));
    let r = fetch(&app, &authorize_uri(&[("organization", ACME)])).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn no_prompt_clients_must_send_an_organization() {
    let mut seed = Seed::demo();
    seed.clients[0].organization_require_behavior = Some("no_prompt".into());
    let app = app(state_with(seed));
    let r = fetch(&app, &authorize_uri(&[])).await;
    assert_eq!(
        r.query("error_description").as_deref(),
        Some("parameter organization is required for this client")
    );
}

#[tokio::test]
async fn oidc_logout_redirects_with_state_only_to_allowed_urls() {
    let app = app(state());
    let ok = fetch(&app, &format!("/oidc/logout?client_id={NATIVE}&post_logout_redirect_uri=http://127.0.0.1:4444/logout&state=s1")).await;
    assert_eq!(
        ok.location().as_str(),
        "http://127.0.0.1:4444/logout?state=s1"
    );
    let bad = fetch(
        &app,
        &format!("/oidc/logout?client_id={NATIVE}&post_logout_redirect_uri=https://evil.example/"),
    )
    .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn revoke_kills_the_refresh_token_family() {
    let app = app(state());
    let r = login_to(&app, ACME, "alice@example.com", "Alice-pass-1").await;
    let rt = code_tokens(&app, &r).await["refresh_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let revoked = post_form(
        &app,
        "/oauth/revoke",
        &[("client_id", NATIVE), ("token", &rt)],
    )
    .await;
    assert_eq!(revoked.status, StatusCode::OK);
    let after = send(&app, refresh(&rt)).await;
    assert_eq!(after.json()["error"], "invalid_grant");
}

// ---------------------------------------------------------------- Management API

#[tokio::test]
async fn organizations_crud_with_auth0_shapes() {
    let state = state();
    let m = Mgmt::with_scopes(
        &state,
        "create:organizations read:organizations update:organizations delete:organizations",
    );
    let org = m.post("/organizations", r##"{"name":"hooli","display_name":"Hooli","branding":{"logo_url":"https://hooli.example/logo.png","colors":{"primary":"#123456","page_background":"#abcdef"}},"metadata":{"tier":"free"}}"##)
    .await
    .expect(StatusCode::CREATED);
    let id = org["id"].as_str().unwrap().to_owned();
    assert!(id.starts_with("org_") && id.len() == 20);
    assert_eq!(org["branding"]["colors"]["primary"], "#123456");
    let dup = m.post("/organizations", r#"{"name":"hooli"}"#).await;
    assert_eq!(dup.status, StatusCode::CONFLICT);
    assert_eq!(
        dup.json(),
        json!({"statusCode": 409, "error": "Conflict", "message": "An organization with this name already exists.", "errorCode": "organization_conflict"})
    );
    let by_name = m.get("/organizations/name/hooli").await.json();
    assert_eq!(by_name["id"], id);
    let patched = m
        .patch(
            &format!("/organizations/{id}"),
            r#"{"display_name":"Hooli XYZ","branding":null}"#,
        )
        .await;
    assert_eq!(patched.json()["display_name"], "Hooli XYZ");
    assert!(patched.json().get("branding").is_none());
    let deleted = m.delete(&format!("/organizations/{id}")).await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT);
    let gone = m.get(&format!("/organizations/{id}")).await;
    assert_eq!(gone.status, StatusCode::NOT_FOUND);
    assert_eq!(gone.json()["statusCode"], 404);
}

#[tokio::test]
async fn organization_paging_offset_totals_and_checkpoints() {
    let state = state();
    let m = Mgmt::with_scopes(&state, "read:organizations");
    let page = m
        .get("/organizations?page=0&per_page=2&include_totals=true")
        .await
        .json();
    assert_eq!(
        (
            page["start"].clone(),
            page["limit"].clone(),
            page["total"].clone()
        ),
        (json!(0), json!(2), json!(3))
    );
    assert_eq!(page["organizations"].as_array().unwrap().len(), 2);
    let plain = m.get("/organizations?page=1&per_page=2").await.json();
    assert_eq!(plain.as_array().unwrap().len(), 1);
    let first = m.get("/organizations?take=2").await.json();
    assert_eq!(first["organizations"][0]["name"], "acme");
    let next = first["next"].as_str().unwrap().to_owned();
    let second = m
        .get(&format!("/organizations?take=2&from={next}"))
        .await
        .json();
    assert_eq!(second["organizations"][0]["name"], "initech");
    assert!(second.get("next").is_none());
    let deep = m.get("/organizations?page=20&per_page=50").await;
    assert_eq!(
        (deep.status, deep.json()["errorCode"].clone()),
        (StatusCode::BAD_REQUEST, json!("invalid_paging"))
    );
}

#[tokio::test]
async fn enabled_connections_members_and_invitations() {
    let state = state();
    let m = Mgmt::with_scopes(
        &state,
        "read:organization_connections create:organization_connections update:organization_connections delete:organization_connections read:organization_members create:organization_members delete:organization_members read:organization_invitations create:organization_invitations delete:organization_invitations",
    );
    let base = format!("/organizations/{GLOBEX}");
    let add = m
        .post(
            &format!("{base}/enabled_connections"),
            r#"{"connection_id":"con_SocGgggggggggg02","assign_membership_on_login":true}"#,
        )
        .await;
    assert_eq!(add.status, StatusCode::CREATED, "{}", add.text());
    assert_eq!(
        add.json()["connection"],
        json!({"name": "google-oauth2", "strategy": "google-oauth2"})
    );
    let bad_signup = m
        .patch(
            &format!("{base}/enabled_connections/con_SocGgggggggggg02"),
            r#"{"is_signup_enabled":true}"#,
        )
        .await;
    assert_eq!(bad_signup.status, StatusCode::BAD_REQUEST);
    let list = m.get(&format!("{base}/enabled_connections")).await.json();
    assert_eq!(list.as_array().unwrap().len(), 2);
    let del = m
        .delete(&format!("{base}/enabled_connections/con_SocGgggggggggg02"))
        .await;
    assert_eq!(del.status, StatusCode::NO_CONTENT);

    let members = m
        .post(
            &format!("{base}/members"),
            r#"{"members":["auth0|bob00000000000000000000002"]}"#,
        )
        .await;
    assert_eq!(members.status, StatusCode::NO_CONTENT);
    let list = m
        .get(&format!("{base}/members?include_totals=true"))
        .await
        .json();
    assert_eq!(list["total"], 2);
    let removed = m
        .call(
            Method::DELETE,
            &format!("{base}/members"),
            Some(r#"{"members":["auth0|bob00000000000000000000002"]}"#),
        )
        .await;
    assert_eq!(removed.status, StatusCode::NO_CONTENT);

    let inv = m.post(&format!("{base}/invitations"), r#"{"inviter":{"name":"Alice"},"invitee":{"email":"Carol@Example.com"},"client_id":"orgpass-desktop","ttl_sec":3600}"#).await.expect(StatusCode::CREATED);
    let ticket = inv["ticket_id"].as_str().unwrap();
    let url = Url::parse(inv["invitation_url"].as_str().unwrap()).unwrap();
    let q: std::collections::HashMap<_, _> = url.query_pairs().into_owned().collect();
    assert_eq!(
        (
            q["invitation"].as_str(),
            q["organization"].as_str(),
            q["organization_name"].as_str()
        ),
        (ticket, GLOBEX, "globex")
    );
    assert_eq!(inv["invitee"]["email"], "carol@example.com");
    let created = time::OffsetDateTime::parse(
        inv["created_at"].as_str().unwrap(),
        &time::format_description::well_known::Rfc3339,
    )
    .unwrap();
    let expires = time::OffsetDateTime::parse(
        inv["expires_at"].as_str().unwrap(),
        &time::format_description::well_known::Rfc3339,
    )
    .unwrap();
    assert_eq!((expires - created).whole_seconds(), 3600);
    let too_long = m.post(&format!("{base}/invitations"), r#"{"inviter":{"name":"A"},"invitee":{"email":"c@example.com"},"client_id":"orgpass-desktop","ttl_sec":2592001}"#).await;
    assert_eq!(too_long.status, StatusCode::BAD_REQUEST);
    let id = inv["id"].as_str().unwrap();
    assert_eq!(
        m.delete(&format!("{base}/invitations/{id}")).await.status,
        StatusCode::NO_CONTENT
    );
    let list = m.get(&format!("{base}/invitations")).await.json();
    assert_eq!(list, json!([]));
}

#[tokio::test]
async fn connections_clients_and_tenant_settings() {
    let state = state();
    let m = Mgmt::with_scopes(
        &state,
        "read:connections read:clients update:clients read:tenant_settings update:tenant_settings",
    );
    let db = m.get("/connections?strategy=auth0").await.json();
    assert_eq!(
        db.as_array()
            .unwrap()
            .iter()
            .map(|c| c["name"].clone())
            .collect::<Vec<_>>(),
        vec![json!("Username-Password-Authentication")]
    );
    let client = m.get(&format!("/clients/{NATIVE}")).await.json();
    assert_eq!(
        (
            client["organization_usage"].clone(),
            client["organization_require_behavior"].clone()
        ),
        (json!("require"), json!("post_login_prompt"))
    );
    assert!(client.get("client_secret").is_none());
    let patched = m
        .patch(
            &format!("/clients/{NATIVE}"),
            r#"{"organization_require_behavior":"pre_login_prompt"}"#,
        )
        .await
        .json();
    assert_eq!(patched["organization_require_behavior"], "pre_login_prompt");
    let bad = m
        .patch(
            &format!("/clients/{NATIVE}"),
            r#"{"organization_usage":"sometimes"}"#,
        )
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    let settings = m
        .patch(
            "/tenants/settings",
            r#"{"allow_organization_name_in_authentication_api":false}"#,
        )
        .await
        .json();
    assert_eq!(
        settings["allow_organization_name_in_authentication_api"],
        false
    );
    assert!(
        !state
            .lock()
            .store
            .settings
            .allow_organization_name_in_authentication_api
    );
}

/// Paging on `/connections`: numbers and booleans in the query string parse (one row per paging shape).
#[tokio::test]
async fn connection_paging_offset_totals_and_checkpoints() {
    let mut seed = Seed::demo();
    seed.tenant.rate_limits = crate::ratelimit::RateLimitConfig::off();
    let state = state_with(seed);
    let m = Mgmt::with_scopes(&state, "read:connections");
    let names = |v: &Value| -> Vec<String> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|c| c["name"].as_str().unwrap().to_owned())
            .collect()
    };
    let all = names(&m.get("/connections").await.json());
    assert_eq!(all.len(), 3, "{all:?}");
    let rows: [(&str, StatusCode, Value); 5] = [
        (
            "/connections?page=0&per_page=100&include_totals=true",
            StatusCode::OK,
            json!({ "start": 0, "limit": 100, "total": 3, "names": all }),
        ),
        (
            "/connections?page=1&per_page=2&include_totals=true",
            StatusCode::OK,
            json!({ "start": 2, "limit": 2, "total": 3, "names": [all[2]] }),
        ),
        (
            "/connections?page=0&per_page=2",
            StatusCode::OK,
            json!({ "names": all[..2] }),
        ),
        (
            "/connections?take=2",
            StatusCode::OK,
            json!({ "names": all[..2], "next": true }),
        ),
        (
            "/connections?page=0&per_page=0",
            StatusCode::BAD_REQUEST,
            json!({ "errorCode": "invalid_body" }),
        ),
    ];
    for (uri, status, want) in rows {
        let reply = m.get(uri).await;
        assert_eq!(reply.status, status, "{uri}: {}", reply.text());
        let body = reply.json();
        if status != StatusCode::OK {
            assert_eq!(body["errorCode"], want["errorCode"], "{uri}");
            continue;
        }
        let list = body.get("connections").cloned().unwrap_or(body.clone());
        assert_eq!(json!(names(&list)), want["names"], "{uri}");
        for key in ["start", "limit", "total"] {
            assert_eq!(body.get(key), want.get(key), "{uri} {key}");
        }
        assert_eq!(
            body.get("next").is_some(),
            want.get("next").is_some(),
            "{uri} next"
        );
    }
}

/// One row per bad Management API request: (name, method, path, scopes, body, status, errorCode).
#[tokio::test]
async fn management_bad_input_table() {
    let big = format!(
        r#"{{"name":"big","metadata":{{"a":"{}"}}}}"#,
        "x".repeat(crate::mgmt::MAX_BODY_BYTES)
    );
    let all = "create:organizations read:organizations update:organizations read:organization_members create:organization_connections";
    let rows: Vec<(&str, Method, String, &str, Option<&str>, StatusCode, &str)> = vec![
        (
            "missing scope",
            Method::GET,
            "/organizations".into(),
            "read:connections",
            None,
            StatusCode::FORBIDDEN,
            "insufficient_scope",
        ),
        (
            "malformed JSON",
            Method::POST,
            "/organizations".into(),
            all,
            Some("{\"name\": "),
            StatusCode::BAD_REQUEST,
            "invalid_body",
        ),
        (
            "oversized body",
            Method::POST,
            "/organizations".into(),
            all,
            Some(&big),
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
        ),
        (
            "unknown property",
            Method::POST,
            "/organizations".into(),
            all,
            Some(r#"{"name":"x","colour":"red"}"#),
            StatusCode::BAD_REQUEST,
            "invalid_body",
        ),
        (
            "uppercase name",
            Method::POST,
            "/organizations".into(),
            all,
            Some(r#"{"name":"Acme2"}"#),
            StatusCode::BAD_REQUEST,
            "invalid_body",
        ),
        (
            "name too long",
            Method::POST,
            "/organizations".into(),
            all,
            Some(&*Box::leak(
                format!(r#"{{"name":"{}"}}"#, "a".repeat(51)).into_boxed_str(),
            )),
            StatusCode::BAD_REQUEST,
            "invalid_body",
        ),
        (
            "colors as arrays (Auth0's wrong sample)",
            Method::POST,
            "/organizations".into(),
            all,
            Some(r##"{"name":"x","branding":{"colors":[{"primary":"#fff"}]}}"##),
            StatusCode::BAD_REQUEST,
            "invalid_body",
        ),
        (
            "colors missing page_background",
            Method::POST,
            "/organizations".into(),
            all,
            Some(r##"{"name":"x","branding":{"colors":{"primary":"#fff"}}}"##),
            StatusCode::BAD_REQUEST,
            "invalid_body",
        ),
        (
            "colors not hex",
            Method::POST,
            "/organizations".into(),
            all,
            Some(
                r##"{"name":"x","branding":{"colors":{"primary":"red","page_background":"#fff"}}}"##,
            ),
            StatusCode::BAD_REQUEST,
            "invalid_body",
        ),
        (
            "http logo",
            Method::POST,
            "/organizations".into(),
            all,
            Some(r#"{"name":"x","branding":{"logo_url":"http://x.example/l.png"}}"#),
            StatusCode::BAD_REQUEST,
            "invalid_body",
        ),
        (
            "26 metadata keys",
            Method::POST,
            "/organizations".into(),
            all,
            Some(&*Box::leak(
                format!(
                    "{{\"name\":\"x\",\"metadata\":{{{}}}}}",
                    (0..26)
                        .map(|i| format!("\"k{i}\":\"v\""))
                        .collect::<Vec<_>>()
                        .join(",")
                )
                .into_boxed_str(),
            )),
            StatusCode::BAD_REQUEST,
            "invalid_body",
        ),
        (
            "unknown org",
            Method::GET,
            "/organizations/org_0000000000000000".into(),
            all,
            None,
            StatusCode::NOT_FOUND,
            "inexistent_organization",
        ),
        (
            "unknown connection",
            Method::POST,
            format!("/organizations/{ACME}/enabled_connections"),
            all,
            Some(r#"{"connection_id":"con_nope"}"#),
            StatusCode::NOT_FOUND,
            "inexistent_connection",
        ),
        (
            "duplicate enabled connection",
            Method::POST,
            format!("/organizations/{ACME}/enabled_connections"),
            all,
            Some(r#"{"connection_id":"con_DbAaaaaaaaaaaa01"}"#),
            StatusCode::CONFLICT,
            "conflict",
        ),
        (
            "no token",
            Method::GET,
            "/organizations".into(),
            "",
            None,
            StatusCode::UNAUTHORIZED,
            "invalid_token",
        ),
    ];
    for (name, method, path, scopes, body, status, code) in rows {
        let state = state();
        let app = app(state.clone());
        let token = mgmt_token(&state, scopes);
        let mut req = api(method, &path, &token, body);
        if scopes.is_empty() {
            req.headers_mut().remove("authorization");
        }
        let r = send(&app, req).await;
        assert_eq!(r.status, status, "{name}: {}", r.text());
        let j = r.json();
        assert_eq!(j["errorCode"], code, "{name}: {j}");
        assert_eq!(j["statusCode"], status.as_u16(), "{name}");
        assert!(j["error"].is_string() && j["message"].is_string(), "{name}");
    }
}

#[tokio::test]
async fn tokens_for_other_audiences_or_issuers_are_refused() {
    let state = state();
    let app = app(state.clone());
    let now = crate::now_unix();
    let wrong_aud = state.lock().keys.current.sign(&json!({"iss": ISSUER, "aud": "https://api.orgpass.example/", "exp": now + 60, "scope": "read:organizations"}));
    let expired = state.lock().keys.current.sign(&json!({"iss": ISSUER, "aud": format!("{ISSUER}api/v2/"), "exp": now - 1, "scope": "read:organizations"}));
    let foreign = KeySet::generate(0).unwrap().current.sign(&json!({"iss": ISSUER, "aud": format!("{ISSUER}api/v2/"), "exp": now + 60, "scope": "read:organizations"}));
    for (name, token) in [
        ("wrong audience", wrong_aud),
        ("expired", expired),
        ("foreign key", foreign),
    ] {
        let m = Mgmt::new(&app, token);
        let r = m.get("/organizations").await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{name}");
    }
}

#[tokio::test]
async fn free_plan_rate_limit_answers_429_with_headers() {
    let mut seed = Seed::demo();
    seed.tenant.rate_limits.preset = crate::ratelimit::Preset::Free;
    let state = state_with(seed);
    let m = Mgmt::with_scopes(&state, "read:organizations read:connections");
    let a = m.get("/organizations").await;
    let b = m.get("/connections").await;
    let c = m.get("/organizations").await;
    assert_eq!(
        (a.status, b.status, c.status),
        (
            StatusCode::OK,
            StatusCode::OK,
            StatusCode::TOO_MANY_REQUESTS
        )
    );
    assert_eq!(a.headers["x-ratelimit-limit"], "2");
    assert_eq!(a.headers["x-ratelimit-remaining"], "1");
    assert_eq!(c.headers["x-ratelimit-remaining"], "0");
    let reset: i64 = c.headers["x-ratelimit-reset"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(
        reset > crate::now_unix() - 1 && reset <= crate::now_unix() + 2,
        "{reset}"
    );
    assert_eq!(c.json()["statusCode"], 429);
}

// ---------------------------------------------------------------- faults

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

#[tokio::test]
async fn faults_need_the_admin_secret_and_hit_the_next_n_requests() {
    let state = state();
    let app = app(state.clone());
    let denied = send(
        &app,
        admin(
            Method::POST,
            "/faults",
            "wrong",
            Some(r#"{"target":"jwks","mode":"fail"}"#),
        ),
    )
    .await;
    assert_eq!(denied.status, StatusCode::UNAUTHORIZED);
    let set = admin_post(
        &app,
        "/faults",
        Some(r#"{"target":"jwks","mode":"fail","count":2}"#),
    )
    .await;
    assert_eq!(set.status, StatusCode::NO_CONTENT);
    for want in [
        StatusCode::SERVICE_UNAVAILABLE,
        StatusCode::SERVICE_UNAVAILABLE,
        StatusCode::OK,
    ] {
        let jwks = fetch(&app, "/.well-known/jwks.json").await;
        assert_eq!(jwks.status, want);
    }
    admin_post(
        &app,
        "/faults",
        Some(r#"{"target":"token","mode":"garbage"}"#),
    )
    .await;
    let garbage = post_form(
        &app,
        "/oauth/token",
        &[("grant_type", "client_credentials")],
    )
    .await;
    assert_eq!(garbage.status, StatusCode::OK);
    assert!(serde_json::from_slice::<Value>(&garbage.body).is_err());
    admin_post(
        &app,
        "/faults",
        Some(r#"{"target":"token","mode":"slow","delay_ms":300}"#),
    )
    .await;
    let started = std::time::Instant::now();
    let slow = post_form(
        &app,
        "/oauth/token",
        &[("grant_type", "client_credentials")],
    )
    .await;
    assert!(started.elapsed() >= std::time::Duration::from_millis(300));
    assert_eq!(
        slow.json()["error"],
        "invalid_request",
        "after the delay the request is handled normally"
    );
}

#[tokio::test]
async fn clock_skew_and_session_expiry() {
    let state = state();
    let app = app(state.clone());
    admin_post(&app, "/clock", Some(r#"{"skew_secs":-7200}"#)).await;
    let r = login_to(&app, ACME, "alice@example.com", "Alice-pass-1").await;
    let cookie = r.session_cookie();
    let t = code_tokens(&app, &r).await;
    let iat = claims(t["id_token"].as_str().unwrap())["iat"]
        .as_i64()
        .unwrap();
    assert!(
        (crate::now_unix() - 7200 - iat).abs() <= 2,
        "iat is skewed by two hours"
    );
    let expired = admin_post(&app, "/sessions/expire", None).await.json();
    assert_eq!(expired["expired_sessions"], 1);
    let silent = send(
        &app,
        with_cookie(
            &authorize_uri(&[("organization", ACME), ("prompt", "none")]),
            &cookie,
        ),
    )
    .await;
    assert_eq!(silent.query("error").as_deref(), Some("login_required"));
}

#[tokio::test]
async fn key_rotation_keeps_the_previous_key_published() {
    let state = state();
    let app = app(state.clone());
    let before = keys().current.kid;
    let r = admin_post(&app, "/keys/rotate", None).await.json();
    assert_ne!(r["current_kid"], before);
    assert_eq!(r["previous_kids"], json!([before]));
    let jwks = fetch(&app, "/.well-known/jwks.json").await.json();
    let kids: Vec<_> = jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["kid"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(kids.len(), 2);
    assert_eq!(kids[1], before);
}
