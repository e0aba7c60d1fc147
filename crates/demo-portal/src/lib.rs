//! demo-portal: the demo company's web app, as a company would write it against Auth0: a confidential web client
//! (server-side authorization code flow with its secret) that shows who is signed in, in which organization, and
//! that organization's projects from the company API.
//!
//! Its `GET /login` takes what Orgpass hands over for Native to Web SSO, `session_transfer_token` and
//! `organization`, and passes both to the tenant's `/authorize`: with a valid token for that organization the
//! tenant signs the person in without its login page. After the callback the browser is sent to `/`, so no
//! address the person can see or go back to carries a token or a code.
//!
//! The ID token comes straight from the tenant's token endpoint over the back channel, which OpenID Connect
//! Core §3.1.3.7 (6) lets a confidential client trust without checking its signature; the portal still checks
//! `iss`, `aud`, `exp` and that `org_id` is the organization it asked for.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;
use base64::Engine as _;
use rand::RngCore as _;
use serde::Deserialize;
use serde_json::Value;
use url::Url;

/// How the portal is set up.
#[derive(Debug, Clone)]
pub struct PortalConfig {
    /// The tenant's issuer (`http://127.0.0.1:4000/`).
    pub issuer: Url,
    pub client_id: String,
    pub client_secret: String,
    /// The portal's own origin (`http://127.0.0.1:4300`), for its callback address.
    pub origin: Url,
    /// The company API whose projects it shows, and that API's identifier.
    pub api_url: Url,
    pub api_audience: String,
    /// CA certificates to trust besides the system's when talking to the tenant and the API (a company CA, or
    /// devtenant's own for an HTTPS tenant).
    pub ca: Option<orgpass_net::CaBundle>,
}

/// One signed-in browser.
#[derive(Debug, Clone)]
struct Visit {
    name: String,
    email: String,
    org_id: String,
    org_name: String,
    projects: Vec<String>,
}

/// A login in progress: the organization asked for.
#[derive(Debug, Clone)]
struct Pending {
    organization: Option<String>,
}

#[derive(Clone)]
pub struct Portal {
    config: Arc<PortalConfig>,
    http: reqwest::Client,
    pending: Arc<Mutex<HashMap<String, Pending>>>,
    visits: Arc<Mutex<HashMap<String, Visit>>>,
}

const SESSION: &str = "portal_session";
const STATE: &str = "portal_state";

impl Portal {
    /// The portal, reaching the tenant and the API as every Orgpass program does (orgpass-net: the system's trust
    /// store plus `ca`, the environment's proxy, loopback never proxied).
    pub fn new(config: PortalConfig) -> Result<Self, String> {
        let network = orgpass_net::Network::from_env(config.ca.clone());
        let http = network
            .client_builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| e.to_string())?;
        Ok(Self {
            config: Arc::new(config),
            http,
            pending: Arc::default(),
            visits: Arc::default(),
        })
    }

    /// The routes: `/`, `/login`, `/callback`, `/logout`.
    pub fn router(self) -> Router {
        Router::new()
            .route("/", get(home))
            .route("/login", get(login))
            .route("/callback", get(callback))
            .route("/logout", get(logout))
            .with_state(self)
    }

    fn redirect_uri(&self) -> String {
        self.config
            .origin
            .join("/callback")
            .expect("a URL")
            .to_string()
    }
}

fn random() -> String {
    let mut b = [0u8; 24];
    rand::rngs::OsRng.fill_bytes(&mut b);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b)
}

fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|p| p.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_owned())
}

fn set_cookie(name: &str, value: &str, max_age: i64) -> HeaderValue {
    HeaderValue::from_str(&format!(
        "{name}={value}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age}"
    ))
    .expect("ASCII")
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn page(status: StatusCode, title: &str, body: &str) -> Response {
    let html = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{t} · Acme portal</title>\
         <style>body{{font-family:sans-serif;max-width:40rem;margin:3rem auto;color:#1b1b1f}}\
         h1{{font-size:1.6rem}}li{{margin:.3rem 0}}</style></head><body><main><h1>{t}</h1>{body}</main></body></html>",
        t = esc(title)
    );
    let mut r = (status, Html(html)).into_response();
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r.headers_mut()
        .insert("referrer-policy", HeaderValue::from_static("no-referrer"));
    r
}

async fn home(State(p): State<Portal>, headers: HeaderMap) -> Response {
    let visit =
        cookie(&headers, SESSION).and_then(|s| p.visits.lock().expect("visits").get(&s).cloned());
    match visit {
        Some(v) => {
            let projects: String = v
                .projects
                .iter()
                .map(|name| format!("<li>{}</li>", esc(name)))
                .collect();
            page(
                StatusCode::OK,
                &format!("Signed in as {}, {}", v.name, v.org_name),
                &format!(
                    "<p id=\"who\">{} · organization <code>{}</code></p><h2>Projects</h2><ul id=\"projects\">{projects}</ul>\
                     <p><a href=\"/logout\">Sign out</a></p>",
                    esc(&v.email),
                    esc(&v.org_id)
                ),
            )
        }
        None => page(
            StatusCode::OK,
            "Not signed in",
            "<p><a href=\"/login\">Sign in</a></p>",
        ),
    }
}

#[derive(Deserialize)]
struct LoginQuery {
    session_transfer_token: Option<String>,
    organization: Option<String>,
}

/// Starts the tenant's `/authorize`, passing on a session transfer token and the organization it is for.
async fn login(State(p): State<Portal>, Query(q): Query<LoginQuery>) -> Response {
    let state = random();
    p.pending.lock().expect("pending").insert(
        state.clone(),
        Pending {
            organization: q.organization.clone(),
        },
    );
    let mut url = p.config.issuer.join("authorize").expect("a URL");
    {
        let mut query = url.query_pairs_mut();
        query
            .append_pair("response_type", "code")
            .append_pair("client_id", &p.config.client_id)
            .append_pair("redirect_uri", &p.redirect_uri())
            .append_pair("scope", "openid profile email")
            .append_pair("audience", &p.config.api_audience)
            .append_pair("state", &state);
        if let Some(org) = &q.organization {
            query.append_pair("organization", org);
        }
        if let Some(t) = &q.session_transfer_token {
            query.append_pair("session_transfer_token", t);
        }
    }
    let mut r = Redirect::to(url.as_str()).into_response();
    r.headers_mut()
        .append(header::SET_COOKIE, set_cookie(STATE, &state, 600));
    r.headers_mut()
        .insert("referrer-policy", HeaderValue::from_static("no-referrer"));
    r
}

#[derive(Deserialize)]
struct CallbackQuery {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
    error_description: Option<String>,
}

/// Why a callback did not sign the person in.
#[derive(Debug, thiserror::Error)]
enum CallbackError {
    #[error("the sign-in was refused: {0}")]
    Refused(String),
    #[error("this sign-in was not started here (its state does not match); start again")]
    State,
    #[error("the tenant could not be reached: {0}")]
    Tenant(String),
    #[error("the tenant's ID token is not acceptable: {0}")]
    IdToken(String),
}

async fn callback(
    State(p): State<Portal>,
    headers: HeaderMap,
    Query(q): Query<CallbackQuery>,
) -> Response {
    match signed_in(&p, &headers, q).await {
        Ok(visit) => {
            let id = random();
            p.visits.lock().expect("visits").insert(id.clone(), visit);
            // To `/`: the code leaves the address bar and the history's last entry.
            let mut r = Redirect::to("/").into_response();
            r.headers_mut()
                .append(header::SET_COOKIE, set_cookie(SESSION, &id, 3600));
            r.headers_mut()
                .append(header::SET_COOKIE, set_cookie(STATE, "", 0));
            r
        }
        Err(e) => {
            tracing::info!(error = %e, "sign-in failed");
            page(
                StatusCode::BAD_REQUEST,
                "Not signed in",
                &format!("<p role=\"alert\">{}</p>", esc(&e.to_string())),
            )
        }
    }
}

async fn signed_in(
    p: &Portal,
    headers: &HeaderMap,
    q: CallbackQuery,
) -> Result<Visit, CallbackError> {
    if let Some(e) = q.error {
        return Err(CallbackError::Refused(format!(
            "{e}: {}",
            q.error_description.unwrap_or_default()
        )));
    }
    let state = q.state.ok_or(CallbackError::State)?;
    if cookie(headers, STATE).as_deref() != Some(state.as_str()) {
        return Err(CallbackError::State);
    }
    let pending = p
        .pending
        .lock()
        .expect("pending")
        .remove(&state)
        .ok_or(CallbackError::State)?;
    let code = q
        .code
        .ok_or_else(|| CallbackError::Refused("no code".into()))?;
    let token_url = p.config.issuer.join("oauth/token").expect("a URL");
    let redirect_uri = p.redirect_uri();
    let tokens: Value = p
        .http
        .post(token_url)
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("redirect_uri", redirect_uri.as_str()),
            ("client_id", p.config.client_id.as_str()),
            ("client_secret", p.config.client_secret.as_str()),
        ])
        .send()
        .await
        .map_err(|e| CallbackError::Tenant(e.to_string()))?
        .json()
        .await
        .map_err(|e| CallbackError::Tenant(e.to_string()))?;
    let claims = id_claims(tokens["id_token"].as_str().unwrap_or_default())
        .ok_or_else(|| CallbackError::IdToken("not a JWT".into()))?;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or_default();
    let checks = [
        (
            "iss",
            claims["iss"].as_str() == Some(p.config.issuer.as_str()),
        ),
        (
            "aud",
            claims["aud"].as_str() == Some(p.config.client_id.as_str()),
        ),
        ("exp", claims["exp"].as_i64().is_some_and(|e| e > now)),
        (
            "org_id",
            claims["org_id"].as_str().is_some()
                && claims["org_id"].as_str() == pending.organization.as_deref(),
        ),
    ];
    if let Some((name, _)) = checks.iter().find(|(_, ok)| !ok) {
        return Err(CallbackError::IdToken(format!(
            "{name} is not what this portal asked for"
        )));
    }
    let projects = match tokens["access_token"].as_str() {
        Some(at) => projects(p, at).await,
        None => Vec::new(),
    };
    let text = |k: &str| claims[k].as_str().unwrap_or_default().to_owned();
    Ok(Visit {
        name: text("name"),
        email: text("email"),
        org_id: text("org_id"),
        org_name: claims["org_name"]
            .as_str()
            .map_or_else(|| text("org_id"), str::to_owned),
        projects,
    })
}

/// The organization's project names from the company API, or a line saying why there are none.
async fn projects(p: &Portal, access_token: &str) -> Vec<String> {
    let url = p.config.api_url.join("projects").expect("a URL");
    let answer = p.http.get(url).bearer_auth(access_token).send().await;
    match answer {
        Ok(r) if r.status().is_success() => r
            .json::<Value>()
            .await
            .ok()
            .and_then(|v| v["projects"].as_array().cloned())
            .unwrap_or_default()
            .iter()
            .filter_map(|p| p["name"].as_str().map(str::to_owned))
            .collect(),
        Ok(r) => vec![format!("(the API answered {})", r.status())],
        Err(e) => vec![format!("(the API could not be reached: {e})")],
    }
}

fn id_claims(jwt: &str) -> Option<Value> {
    let payload = jwt.split('.').nth(1)?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .ok()?;
    serde_json::from_slice(&bytes).ok()
}

async fn logout(State(p): State<Portal>, headers: HeaderMap) -> Response {
    if let Some(s) = cookie(&headers, SESSION) {
        p.visits.lock().expect("visits").remove(&s);
    }
    let mut r = Redirect::to("/").into_response();
    r.headers_mut()
        .append(header::SET_COOKIE, set_cookie(SESSION, "", 0));
    r
}
