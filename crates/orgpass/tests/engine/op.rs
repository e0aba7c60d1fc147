//! A small in-test OpenID Provider (axum on 127.0.0.1:0) for fault injection: discovery, JWKS,
//! a token endpoint that checks PKCE and rotates refresh tokens, and revocation. Counts every request.
#![allow(dead_code)]

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::{Form, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::support::{self, TestKey};

pub const CLIENT_ID: &str = "Xk2mJ9fQbN7tR4cY1uW8pL3zH6sD0aVe";
pub const ORG_ID: &str = "org_W3EMXCyaLW0dJdHz";
pub const CODE: &str = "SplxlOBeZQQYbYS6WxSbIA";

/// How the token endpoint answers refresh requests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefreshMode {
    /// Rotate: new access and refresh token (and an ID token).
    Rotate,
    /// `invalid_grant`.
    InvalidGrant,
    /// Two transient failures: `temporarily_unavailable` with 503 (Auth0 overloaded), then `server_error` with a
    /// 400 (an OAuth error code that says the server failed, whatever the status).
    Unavailable,
}

pub struct OpState {
    pub issuer: String,
    pub key: TestKey,
    /// The nonce and PKCE challenge of the login in progress (the test copies them from the authorize URL).
    pub nonce: Mutex<Option<String>>,
    pub challenge: Mutex<Option<String>>,
    pub iss_supported: bool,
    pub refresh_mode: Mutex<RefreshMode>,
    pub refresh_delay: Duration,
    pub current_refresh: Mutex<String>,
    pub generation: AtomicUsize,
    pub code_requests: AtomicUsize,
    pub refresh_requests: AtomicUsize,
    pub revoked: Mutex<Vec<String>>,
    pub access_ttl: u64,
    /// When set, the JWKS endpoint answers 503 (the issuer's keys cannot be fetched).
    pub jwks_down: std::sync::atomic::AtomicBool,
    /// The organization the code grant's ID token names ([`ORG_ID`] at first); `None` leaves out `org_id` and
    /// `org_name`, as a tenant that chose no organization would.
    pub issued_org: Mutex<Option<String>>,
}

pub struct Op {
    pub state: Arc<OpState>,
    pub issuer: String,
}

impl Op {
    /// Start on 127.0.0.1:0. `refresh_delay` widens the window in which two refreshes could race.
    pub async fn start(iss_supported: bool, refresh_delay: Duration) -> Op {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let issuer = format!("http://{}/", listener.local_addr().unwrap());
        let state = Arc::new(OpState {
            issuer: issuer.clone(),
            key: TestKey::a(),
            nonce: Mutex::new(None),
            challenge: Mutex::new(None),
            iss_supported,
            refresh_mode: Mutex::new(RefreshMode::Rotate),
            refresh_delay,
            current_refresh: Mutex::new("rt-1".into()),
            generation: AtomicUsize::new(1),
            code_requests: AtomicUsize::new(0),
            refresh_requests: AtomicUsize::new(0),
            revoked: Mutex::new(Vec::new()),
            access_ttl: 3600,
            jwks_down: Default::default(),
            issued_org: Mutex::new(Some(ORG_ID.to_owned())),
        });
        let app = app(state.clone());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        Op { state, issuer }
    }

    /// Copy the nonce and PKCE challenge from the authorize URL (what a real OP remembers per request).
    pub fn remember(&self, authorize_url: &url::Url) {
        let get = |k: &str| {
            authorize_url
                .query_pairs()
                .find(|(n, _)| n == k)
                .map(|(_, v)| v.into_owned())
        };
        *self.state.nonce.lock().unwrap() = get("nonce");
        *self.state.challenge.lock().unwrap() = get("code_challenge");
    }
}

pub fn app(state: Arc<OpState>) -> Router {
    Router::new()
        .route("/.well-known/openid-configuration", get(discovery))
        .route("/.well-known/jwks.json", get(jwks))
        .route("/oauth/token", post(token))
        .route("/oauth/revoke", post(revoke))
        .with_state(state)
}

async fn discovery(State(s): State<Arc<OpState>>) -> Json<Value> {
    Json(json!({
        "issuer": s.issuer,
        "authorization_endpoint": format!("{}authorize", s.issuer),
        "token_endpoint": format!("{}oauth/token", s.issuer),
        "jwks_uri": format!("{}.well-known/jwks.json", s.issuer),
        "revocation_endpoint": format!("{}oauth/revoke", s.issuer),
        "response_types_supported": ["code"],
        "code_challenge_methods_supported": ["S256"],
        "authorization_response_iss_parameter_supported": s.iss_supported,
    }))
}

async fn jwks(State(s): State<Arc<OpState>>) -> Response {
    if s.jwks_down.load(Ordering::SeqCst) {
        return StatusCode::SERVICE_UNAVAILABLE.into_response();
    }
    (
        [("content-type", "application/json")],
        support::jwks(&[&s.key]),
    )
        .into_response()
}

fn oauth_error(status: StatusCode, error: &str, description: &str) -> Response {
    (
        status,
        Json(json!({"error": error, "error_description": description})),
    )
        .into_response()
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

async fn token(
    State(s): State<Arc<OpState>>,
    Form(form): Form<std::collections::HashMap<String, String>>,
) -> Response {
    if form.get("client_id").map(String::as_str) != Some(CLIENT_ID) {
        return oauth_error(StatusCode::UNAUTHORIZED, "invalid_client", "unknown client");
    }
    match form.get("grant_type").map(String::as_str) {
        Some("authorization_code") => {
            s.code_requests.fetch_add(1, Ordering::SeqCst);
            if form.get("code").map(String::as_str) != Some(CODE) {
                return oauth_error(
                    StatusCode::BAD_REQUEST,
                    "invalid_grant",
                    "Invalid authorization code",
                );
            }
            let verifier = form.get("code_verifier").cloned().unwrap_or_default();
            let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
            if s.challenge.lock().unwrap().as_deref() != Some(challenge.as_str()) {
                return oauth_error(
                    StatusCode::BAD_REQUEST,
                    "invalid_grant",
                    "Failed to verify code verifier",
                );
            }
            let nonce = s.nonce.lock().unwrap().clone().unwrap_or_default();
            let org = s.issued_org.lock().unwrap().clone();
            let mut claims = support::auth0_claims(
                &s.issuer,
                CLIENT_ID,
                &nonce,
                org.as_deref().unwrap_or_default(),
                now(),
            );
            if org.is_none() {
                let c = claims.as_object_mut().unwrap();
                c.remove("org_id");
                c.remove("org_name");
            }
            let id = s.key.sign(&claims);
            let rt = s.current_refresh.lock().unwrap().clone();
            Json(json!({"access_token": "at-1", "token_type": "Bearer", "expires_in": s.access_ttl, "refresh_token": rt, "id_token": id, "scope": "openid profile email offline_access"})).into_response()
        }
        Some("refresh_token") => {
            s.refresh_requests.fetch_add(1, Ordering::SeqCst);
            tokio::time::sleep(s.refresh_delay).await;
            let mode = *s.refresh_mode.lock().unwrap();
            if mode == RefreshMode::InvalidGrant {
                return oauth_error(
                    StatusCode::FORBIDDEN,
                    "invalid_grant",
                    "Unknown or invalid refresh token.",
                );
            }
            if mode == RefreshMode::Unavailable {
                return if s.refresh_requests.load(Ordering::SeqCst) % 2 == 1 {
                    oauth_error(
                        StatusCode::SERVICE_UNAVAILABLE,
                        "temporarily_unavailable",
                        "Too many requests, try later.",
                    )
                } else {
                    oauth_error(StatusCode::BAD_REQUEST, "server_error", "Something broke.")
                };
            }
            let presented = form.get("refresh_token").cloned().unwrap_or_default();
            let mut current = s.current_refresh.lock().unwrap();
            if presented != *current {
                // Auth0 revokes the whole family when a rotated refresh token is reused.
                return oauth_error(
                    StatusCode::FORBIDDEN,
                    "invalid_grant",
                    "Unknown or invalid refresh token (reuse detected).",
                );
            }
            let n = s.generation.fetch_add(1, Ordering::SeqCst) + 1;
            *current = format!("rt-{n}");
            let mut claims = support::auth0_claims(&s.issuer, CLIENT_ID, "", ORG_ID, now());
            claims.as_object_mut().unwrap().remove("nonce");
            let id = s.key.sign(&claims);
            Json(json!({"access_token": format!("at-{n}"), "token_type": "Bearer", "expires_in": s.access_ttl, "refresh_token": *current, "id_token": id})).into_response()
        }
        _ => oauth_error(
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            "grant type not supported",
        ),
    }
}

async fn revoke(
    State(s): State<Arc<OpState>>,
    Form(form): Form<std::collections::HashMap<String, String>>,
) -> Response {
    if let Some(t) = form.get("token") {
        s.revoked.lock().unwrap().push(t.clone());
    }
    StatusCode::OK.into_response()
}
