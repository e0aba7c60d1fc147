//! A test-only malicious OpenID Provider (axum on 127.0.0.1:0): its /authorize redirects straight back to the
//! loopback redirect URI and its token endpoint returns a crafted ID token. One row per attack; the real
//! `orgpass` binary must refuse each (exit 3, or 4 for a callback that never matches), store nothing, and name
//! the failed check on stderr.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use axum::extract::{Form, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use rsa::pkcs1::EncodeRsaPrivateKey;
use rsa::pkcs8::{EncodePublicKey, LineEnding};
use rsa::traits::PublicKeyParts;
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};

use crate::support::{Home, browser_command, keychain_items, require_keychain};

const CLIENT_ID: &str = "evil-test-client";
const ORG_ID: &str = "org_EVIL000000000001";
const ORG_NAME: &str = "evil";
const KID: &str = "evil-key-1";

/// One RSA key for the whole run (2048-bit generation is the slow part).
struct TestKey {
    private_pem: String,
    public_pem: String,
    n: String,
    e: String,
}

fn key() -> &'static TestKey {
    static KEY: OnceLock<TestKey> = OnceLock::new();
    KEY.get_or_init(|| {
        let private = rsa::RsaPrivateKey::new(&mut rand::rngs::OsRng, 2048).expect("RSA key");
        let public = private.to_public_key();
        TestKey {
            private_pem: private
                .to_pkcs1_pem(LineEnding::LF)
                .expect("pem")
                .to_string(),
            public_pem: public.to_public_key_pem(LineEnding::LF).expect("pem"),
            n: B64.encode(public.n().to_bytes_be()),
            e: B64.encode(public.e().to_bytes_be()),
        }
    })
}

/// How the authorization response is shaped.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Redirect {
    /// `code`, the right `state`, and `iss` = issuer.
    Code,
    /// `error=access_denied` with a description (and the right state and iss).
    Error,
    /// A `state` that is not ours.
    WrongState,
    /// No `state` at all.
    NoState,
    /// `iss` of another issuer (RFC 9207 mix-up).
    WrongIss,
    /// No `iss` although discovery advertises `authorization_response_iss_parameter_supported`.
    NoIss,
}

/// How the ID token is signed.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Sign {
    Rs256,
    AlgNone,
    /// HS256 with the RSA public key (SPKI PEM) as the HMAC secret: the classic key-confusion attack.
    Hs256WithPublicKey,
    /// RS512 with the right key: a valid signature, but not the algorithm the client fixed.
    Rs512,
    /// RS256 with one signature byte flipped.
    BadSignature,
    /// RS256 with a `kid` the JWKS does not have (even after a refetch).
    UnknownKid,
    /// RS256 with `typ: at+jwt`: an access token (RFC 9068) passed off as the ID token.
    TypAtJwt,
}

/// What goes wrong at the provider's endpoints besides the ID token.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Fault {
    None,
    /// The token endpoint answers `400 invalid_grant` instead of tokens.
    InvalidGrant,
    /// The token endpoint answers `500` with an HTML error page.
    TokenHtml500,
    /// The JWKS is larger than any real one (2 MiB).
    HugeJwks,
}

/// What the token endpoint sees of the request, to shape the claims.
struct Ctx {
    issuer: String,
    nonce: Option<String>,
    now: i64,
}

type Claims = fn(&mut Map<String, Value>, &Ctx);

struct Row {
    name: &'static str,
    /// The `--org` argument.
    org: &'static str,
    redirect: Redirect,
    sign: Sign,
    claims: Claims,
    fault: Fault,
    exit: i32,
    /// Substrings stderr must contain (case-insensitive): the name of the failed check.
    stderr: &'static [&'static str],
}

fn keep(_: &mut Map<String, Value>, _: &Ctx) {}

fn base_claims(ctx: &Ctx) -> Map<String, Value> {
    let mut c = Map::new();
    c.insert("iss".into(), json!(ctx.issuer));
    c.insert("sub".into(), json!("auth0|mallory-victim"));
    c.insert("aud".into(), json!(CLIENT_ID));
    c.insert("iat".into(), json!(ctx.now));
    c.insert("exp".into(), json!(ctx.now + 3600));
    c.insert("email".into(), json!("victim@example.com"));
    c.insert("org_id".into(), json!(ORG_ID));
    c.insert("org_name".into(), json!(ORG_NAME));
    if let Some(n) = &ctx.nonce {
        c.insert("nonce".into(), json!(n));
    }
    c
}

fn rows() -> Vec<Row> {
    let row = |name, sign, claims: Claims, stderr| Row {
        name,
        org: ORG_ID,
        redirect: Redirect::Code,
        sign,
        claims,
        fault: Fault::None,
        exit: 3,
        stderr,
    };
    let redirect = |name, redirect, exit, stderr| Row {
        name,
        org: ORG_ID,
        redirect,
        sign: Sign::Rs256,
        claims: keep,
        fault: Fault::None,
        exit,
        stderr,
    };
    vec![
        // Controls: the same provider with honest answers signs in (so each refusal below is the attack's doing).
        row("control: valid token, org by ID", Sign::Rs256, keep, &[]).exit(0),
        Row {
            org: ORG_NAME,
            ..row("control: valid token, org by name", Sign::Rs256, keep, &[])
        }
        .exit(0),
        // Signature and algorithm (OIDC Core 3.1.3.7 steps 6-8).
        row("alg none", Sign::AlgNone, keep, &["alg", "RS256"]),
        row(
            "HS256 signed with the RSA public key",
            Sign::Hs256WithPublicKey,
            keep,
            &["alg", "HS256"],
        ),
        row(
            "RS512 instead of the fixed RS256",
            Sign::Rs512,
            keep,
            &["alg", "RS512"],
        ),
        row("bad signature", Sign::BadSignature, keep, &["signature"]),
        row(
            "unknown kid (the keys just fetched: no refetch)",
            Sign::UnknownKid,
            keep,
            &["kid"],
        ),
        row(
            "typ at+jwt: an access token as ID token",
            Sign::TypAtJwt,
            keep,
            &["typ is at+jwt", "access token"],
        ),
        Row {
            fault: Fault::HugeJwks,
            ..row(
                "JWKS larger than 1 MiB",
                Sign::Rs256,
                keep,
                &["more than 1024 KiB for the JWKS"],
            )
        }
        .exit(1),
        // Claims (steps 2-4, 9-11).
        row(
            "wrong iss",
            Sign::Rs256,
            |c, _| {
                c.insert("iss".into(), json!("https://evil.example/"));
            },
            &["iss", "https://evil.example/"],
        ),
        row(
            "wrong aud",
            Sign::Rs256,
            |c, _| {
                c.insert("aud".into(), json!("someone-else"));
            },
            &["aud", "someone-else"],
        ),
        row(
            "extra aud without azp",
            Sign::Rs256,
            |c, _| {
                c.insert("aud".into(), json!([CLIENT_ID, "https://api.example/"]));
            },
            &["azp"],
        ),
        row(
            "extra aud with a foreign azp",
            Sign::Rs256,
            |c, _| {
                c.insert("aud".into(), json!([CLIENT_ID, "https://api.example/"]));
                c.insert("azp".into(), json!("someone-else"));
            },
            &["azp", "someone-else"],
        ),
        row(
            "expired",
            Sign::Rs256,
            |c, x| {
                c.insert("iat".into(), json!(x.now - 7200));
                c.insert("exp".into(), json!(x.now - 3600));
            },
            &["expired"],
        ),
        row(
            "iat in the future",
            Sign::Rs256,
            |c, x| {
                c.insert("iat".into(), json!(x.now + 3600));
            },
            &["iat", "future"],
        ),
        row(
            "missing exp",
            Sign::Rs256,
            |c, _| {
                c.remove("exp");
            },
            &["exp"],
        ),
        row(
            "missing nonce",
            Sign::Rs256,
            |c, _| {
                c.remove("nonce");
            },
            &["nonce", "missing"],
        ),
        row(
            "mismatched nonce",
            Sign::Rs256,
            |c, _| {
                c.insert("nonce".into(), json!("attacker-nonce"));
            },
            &["nonce", "not match"],
        ),
        // Organization.
        row(
            "missing org_id",
            Sign::Rs256,
            |c, _| {
                c.remove("org_id");
            },
            &["org_id", "missing"],
        ),
        row(
            "mismatched org_id",
            Sign::Rs256,
            |c, _| {
                c.insert("org_id".into(), json!("org_OTHER00000000002"));
            },
            &["org_id is org_OTHER00000000002", ORG_ID],
        ),
        Row {
            org: ORG_NAME,
            ..row(
                "org_name mismatch (requested by name)",
                Sign::Rs256,
                |c, _| {
                    c.insert("org_name".into(), json!("other"));
                },
                &["org_name is other", "expected evil"],
            )
        },
        Row {
            org: ORG_NAME,
            ..row(
                "org_id missing (requested by name)",
                Sign::Rs256,
                |c, _| {
                    c.remove("org_id");
                },
                &["org_id", "missing"],
            )
        },
        // Authorization response (the callback).
        redirect("state mismatch", Redirect::WrongState, 4, &["timed out"]),
        redirect("missing state", Redirect::NoState, 4, &["timed out"]),
        redirect(
            "RFC 9207 iss mismatch",
            Redirect::WrongIss,
            3,
            &["iss", "9207"],
        ),
        redirect(
            "RFC 9207 iss missing though advertised",
            Redirect::NoIss,
            3,
            &["iss is missing"],
        ),
        redirect(
            "error redirect",
            Redirect::Error,
            3,
            &["access_denied", "you are not a member of evil"],
        ),
        Row {
            fault: Fault::InvalidGrant,
            ..redirect(
                "token endpoint refuses the code",
                Redirect::Code,
                3,
                &["invalid_grant"],
            )
        },
        Row {
            fault: Fault::TokenHtml500,
            ..redirect(
                "token endpoint fails with an HTML 500 page",
                Redirect::Code,
                1,
                &[
                    "failed with http 500: 500 internal server error",
                    "try again in a few minutes",
                ],
            )
        },
    ]
}

impl Row {
    fn exit(mut self, code: i32) -> Self {
        self.exit = code;
        self
    }
}

/// What the malicious provider saw, for assertions.
#[derive(Default)]
struct Seen {
    authorize: Option<HashMap<String, String>>,
    token_form: Option<HashMap<String, String>>,
}

struct Evil {
    issuer: String,
    row_redirect: Redirect,
    row_sign: Sign,
    row_claims: Claims,
    fault: Fault,
    jwks_hits: AtomicUsize,
    seen: Mutex<Seen>,
}

fn app(state: Arc<Evil>) -> Router {
    Router::new()
        .route("/.well-known/openid-configuration", get(discovery))
        .route("/.well-known/jwks.json", get(jwks))
        .route("/authorize", get(authorize))
        .route("/oauth/token", post(token))
        .with_state(state)
}

async fn discovery(State(s): State<Arc<Evil>>) -> Json<Value> {
    let i = &s.issuer;
    Json(json!({
        "issuer": i,
        "authorization_endpoint": format!("{i}authorize"),
        "token_endpoint": format!("{i}oauth/token"),
        "jwks_uri": format!("{i}.well-known/jwks.json"),
        "revocation_endpoint": format!("{i}oauth/revoke"),
        "response_types_supported": ["code"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "code_challenge_methods_supported": ["S256"],
        "scopes_supported": ["openid", "profile", "email", "offline_access"],
        "authorization_response_iss_parameter_supported": true,
    }))
}

async fn jwks(State(s): State<Arc<Evil>>) -> Json<Value> {
    s.jwks_hits.fetch_add(1, Ordering::SeqCst);
    let k = key();
    let mut keys =
        vec![json!({"kty": "RSA", "use": "sig", "alg": "RS256", "kid": KID, "n": k.n, "e": k.e})];
    if s.fault == Fault::HugeJwks {
        // Valid JSON, but 2 MiB of padding keys.
        keys.extend(
            (0..4096)
                .map(|i| json!({"kty": "oct", "kid": format!("pad-{i}"), "k": "x".repeat(500)})),
        );
    }
    Json(json!({ "keys": keys }))
}

async fn authorize(
    State(s): State<Arc<Evil>>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    s.seen.lock().expect("seen").authorize = Some(q.clone());
    let Some(redirect_uri) = q.get("redirect_uri") else {
        return (StatusCode::BAD_REQUEST, "no redirect_uri").into_response();
    };
    let mut url = url::Url::parse(redirect_uri).expect("redirect_uri is a URL");
    {
        let mut p = url.query_pairs_mut();
        let state = q.get("state").cloned().unwrap_or_default();
        match s.row_redirect {
            Redirect::Error => {
                p.append_pair("error", "access_denied");
                p.append_pair("error_description", "you are not a member of evil");
            }
            _ => {
                p.append_pair("code", "evil-code-123");
            }
        }
        match s.row_redirect {
            Redirect::WrongState => {
                p.append_pair("state", "not-the-state-you-sent");
            }
            Redirect::NoState => {}
            _ => {
                p.append_pair("state", &state);
            }
        }
        match s.row_redirect {
            Redirect::WrongIss => {
                p.append_pair("iss", "https://evil.example/");
            }
            Redirect::NoIss => {}
            _ => {
                p.append_pair("iss", &s.issuer);
            }
        }
    }
    (StatusCode::FOUND, [(header::LOCATION, url.to_string())]).into_response()
}

async fn token(
    State(s): State<Arc<Evil>>,
    _headers: HeaderMap,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    s.seen.lock().expect("seen").token_form = Some(form.clone());
    match s.fault {
        Fault::InvalidGrant => {
            return (
                StatusCode::BAD_REQUEST,
                Json(json!({"error": "invalid_grant", "error_description": "code already used"})),
            )
                .into_response();
        }
        Fault::TokenHtml500 => {
            return (
                StatusCode::INTERNAL_SERVER_ERROR,
                [(header::CONTENT_TYPE, "text/html")],
                "<!DOCTYPE html>\n<html><head><title>500 Internal Server Error</title></head>\
                 <body><h1>Internal Server Error</h1></body></html>",
            )
                .into_response();
        }
        Fault::None | Fault::HugeJwks => {}
    }
    let nonce = s
        .seen
        .lock()
        .expect("seen")
        .authorize
        .as_ref()
        .and_then(|a| a.get("nonce").cloned());
    let ctx = Ctx {
        issuer: s.issuer.clone(),
        nonce,
        now: time::OffsetDateTime::now_utc().unix_timestamp(),
    };
    let mut claims = base_claims(&ctx);
    (s.row_claims)(&mut claims, &ctx);
    let id_token = mint(s.row_sign, &Value::Object(claims));
    Json(json!({
        "access_token": "evil-access-token-value",
        "refresh_token": "evil-refresh-token-value",
        "id_token": id_token,
        "token_type": "Bearer",
        "expires_in": 3600,
        "scope": "openid profile email offline_access",
    }))
    .into_response()
}

fn mint(sign: Sign, claims: &Value) -> String {
    let k = key();
    let rsa = || EncodingKey::from_rsa_pem(k.private_pem.as_bytes()).expect("rsa key");
    let with = |alg, kid: &str, key: &EncodingKey| {
        let mut h = Header::new(alg);
        h.kid = Some(kid.to_owned());
        jsonwebtoken::encode(&h, claims, key).expect("sign")
    };
    match sign {
        Sign::Rs256 => with(Algorithm::RS256, KID, &rsa()),
        Sign::Rs512 => with(Algorithm::RS512, KID, &rsa()),
        Sign::UnknownKid => with(Algorithm::RS256, "rotated-away-key", &rsa()),
        Sign::TypAtJwt => {
            let mut h = Header::new(Algorithm::RS256);
            h.kid = Some(KID.to_owned());
            h.typ = Some("at+jwt".to_owned());
            jsonwebtoken::encode(&h, claims, &rsa()).expect("sign")
        }
        Sign::Hs256WithPublicKey => with(
            Algorithm::HS256,
            KID,
            &EncodingKey::from_secret(k.public_pem.as_bytes()),
        ),
        Sign::AlgNone => {
            let header = B64.encode(json!({"alg": "none", "typ": "JWT", "kid": KID}).to_string());
            format!("{header}.{}.", B64.encode(claims.to_string()))
        }
        Sign::BadSignature => {
            let good = with(Algorithm::RS256, KID, &rsa());
            let (signed, sig) = good.rsplit_once('.').expect("three parts");
            let mut bytes = B64.decode(sig).expect("signature");
            bytes[10] ^= 0x01;
            format!("{signed}.{}", B64.encode(bytes))
        }
    }
}

#[test]
fn malicious_provider_table() {
    require_keychain();
    let runtime = tokio::runtime::Runtime::new().expect("tokio");
    let rows = rows();
    let mut failures = Vec::new();
    for row in &rows {
        if let Err(problems) = run_row(&runtime, row) {
            failures.push(format!("{}: {}", row.name, problems.join("; ")));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} rows failed:\n{}",
        failures.len(),
        rows.len(),
        failures.join("\n\n")
    );
}

fn run_row(runtime: &tokio::runtime::Runtime, row: &Row) -> Result<(), Vec<String>> {
    let listener = runtime
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .expect("bind");
    let issuer = format!(
        "http://127.0.0.1:{}/",
        listener.local_addr().expect("addr").port()
    );
    let state = Arc::new(Evil {
        issuer: issuer.clone(),
        row_redirect: row.redirect,
        row_sign: row.sign,
        row_claims: row.claims,
        fault: row.fault,
        jwks_hits: AtomicUsize::new(0),
        seen: Mutex::new(Seen::default()),
    });
    let server = runtime.spawn(axum::serve(listener, app(state.clone())).into_future());

    let home = Home::new();
    let browser = browser_command();
    // Long enough for the scripted browser to deliver its stray callback on a loaded machine before the flow times out.
    let timeout = if row.exit == 4 { "8" } else { "30" };
    let run = home.run_with(
        &[
            "login",
            "--issuer",
            &issuer,
            "--client-id",
            CLIENT_ID,
            "--org",
            row.org,
            "--browser",
            &browser,
            "--timeout",
            timeout,
            "--json",
        ],
        &[],
        Duration::from_secs(60),
    );
    let mut problems = Vec::new();
    if run.code != row.exit {
        problems.push(format!("exit {} (want {})", run.code, row.exit));
    }
    let stderr = run.stderr.to_lowercase();
    for needle in row.stderr {
        if !stderr.contains(&needle.to_lowercase()) {
            problems.push(format!("stderr lacks {needle:?}"));
        }
    }
    for secret in [
        "evil-code-123",
        "evil-access-token-value",
        "evil-refresh-token-value",
    ] {
        if run.stdout.contains(secret) || run.stderr.contains(secret) {
            problems.push(format!("printed {secret}"));
        }
    }

    // The request the client sent: PKCE S256, state, nonce, the organization, a 127.0.0.1 /callback redirect.
    let seen = state.seen.lock().expect("seen");
    match &seen.authorize {
        None => problems.push("the browser never reached /authorize".into()),
        Some(a) => {
            // Names go out lowercased, IDs as given.
            let want_org = if row.org.starts_with("org_") {
                row.org.to_owned()
            } else {
                row.org.to_lowercase()
            };
            for (k, v) in [
                ("response_type", "code"),
                ("client_id", CLIENT_ID),
                ("code_challenge_method", "S256"),
                ("organization", &want_org),
            ] {
                if a.get(k).map(String::as_str) != Some(v) {
                    problems.push(format!("/authorize {k}={:?}, want {v:?}", a.get(k)));
                }
            }
            for k in ["state", "nonce", "code_challenge"] {
                if a.get(k).is_none_or(|v| v.is_empty()) {
                    problems.push(format!("/authorize without {k}"));
                }
            }
            let redirect = a.get("redirect_uri").cloned().unwrap_or_default();
            if !(redirect.starts_with("http://127.0.0.1:") || redirect.starts_with("http://[::1]:"))
                || !redirect.ends_with("/callback")
            {
                problems.push(format!(
                    "redirect_uri {redirect:?} is not a loopback IP /callback"
                ));
            }
            if let Some(form) = &seen.token_form {
                let challenge = form
                    .get("code_verifier")
                    .map(|v| B64.encode(Sha256::digest(v.as_bytes())));
                if challenge.as_ref() != a.get("code_challenge") {
                    problems.push("the code_verifier does not match the code_challenge".into());
                }
                if form.get("redirect_uri") != Some(&redirect) {
                    problems
                        .push("token request redirect_uri differs from the authorize one".into());
                }
            }
        }
    }
    let reached_token = seen.token_form.is_some();
    drop(seen);
    match row.redirect {
        Redirect::Code if !reached_token => {
            problems.push("the token endpoint was never called".into())
        }
        Redirect::Code => {}
        _ if reached_token => problems
            .push("the code was redeemed although the authorization response was refused".into()),
        _ => {}
    }
    if row.sign == Sign::UnknownKid {
        let hits = state.jwks_hits.load(Ordering::SeqCst);
        // A fresh process fetches the keys for this very token: they are as fresh as they can be, so the unknown
        // kid is refused without asking again (the token core's cache refetches only keys fetched before a
        // token asked; its own tests cover that refetch and its rate limit).
        if hits != 1 {
            problems.push(format!(
                "JWKS fetched {hits} times, want 1 (keys fetched for this token are not fetched again)"
            ));
        }
    }
    if matches!(row.redirect, Redirect::WrongState | Redirect::NoState) {
        // The stray callback was answered with a 4xx and did not end the flow.
        let callback = home
            .browser_requests()
            .into_iter()
            .find(|r| r["url"].as_str().is_some_and(|u| u.contains("/callback")));
        match callback.and_then(|r| r["status"].as_u64()) {
            Some(s) if (400..500).contains(&s) => {}
            other => problems.push(format!(
                "the non-matching callback got {other:?}, want a 4xx"
            )),
        }
    }

    // Nothing stored on refusal; the controls store a session (then sign out). Only this client's entries count:
    // the keyring is shared with the other tests, whose providers may have had this port before.
    let ours = || {
        let prefix = format!("{issuer}|{CLIENT_ID}|");
        keychain_items(&issuer)
            .into_iter()
            .filter(|i| i.account.starts_with(&prefix))
            .collect::<Vec<_>>()
    };
    let sessions = home.sessions(&issuer);
    let items = ours();
    if row.exit == 0 {
        if sessions.len() != 1 || items.is_empty() {
            problems.push(format!(
                "control row stored {} sessions and {} keychain items",
                sessions.len(),
                items.len()
            ));
        }
        let out = home.run(&["logout", "--all"]);
        if out.code != 0 || !ours().is_empty() {
            problems.push(format!(
                "logout after the control row failed: exit {} {}",
                out.code, out.stderr
            ));
        }
    } else {
        if !sessions.is_empty() {
            problems.push(format!(
                "status lists {} session(s) after a refusal",
                sessions.len()
            ));
        }
        if !items.is_empty() {
            problems.push(format!(
                "keychain holds {:?} after a refusal",
                items.iter().map(|i| &i.account).collect::<Vec<_>>()
            ));
        }
        if !run.stdout.trim().is_empty() {
            problems.push(format!(
                "stdout not empty on refusal: {}",
                run.stdout.trim()
            ));
        }
    }
    server.abort();
    if problems.is_empty() {
        Ok(())
    } else {
        problems.push(format!("stderr was: {}", run.stderr.trim()));
        Err(problems)
    }
}
