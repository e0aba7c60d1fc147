//! Authentication API: discovery, JWKS, `/authorize` with Universal Login pages, `/oauth/token`,
//! `/oauth/revoke`, `/userinfo`, `/v2/logout` and `/oidc/logout`.

pub mod authorize;
pub mod client_credentials;
pub mod dpop;
pub mod token;

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{Value, json};

use crate::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/.well-known/openid-configuration", get(discovery))
        .route("/.well-known/jwks.json", get(jwks))
        .route("/oauth/token", post(token::token))
        .route("/oauth/revoke", post(token::revoke))
        .route("/userinfo", get(userinfo).post(userinfo))
        .merge(authorize::router())
        .layer(axum::extract::DefaultBodyLimit::max(
            crate::mgmt::MAX_BODY_BYTES,
        ))
}

/// The OpenID Provider metadata, shaped like an Auth0 tenant's.
pub fn discovery_document(state: &AppState) -> Value {
    let i = state.issuer_str();
    json!({
        "issuer": i,
        "authorization_endpoint": format!("{i}authorize"),
        "token_endpoint": format!("{i}oauth/token"),
        "userinfo_endpoint": format!("{i}userinfo"),
        "jwks_uri": format!("{i}.well-known/jwks.json"),
        "revocation_endpoint": format!("{i}oauth/revoke"),
        "end_session_endpoint": format!("{i}oidc/logout"),
        "scopes_supported": ["openid", "profile", "offline_access", "name", "nickname", "email", "email_verified", "created_at"],
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": ["authorization_code", "refresh_token", "client_credentials"],
        "code_challenge_methods_supported": ["S256"],
        "dpop_signing_alg_values_supported": ["ES256"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "none"],
        "claims_supported": ["aud", "auth_time", "email", "email_verified", "exp", "iat", "iss", "name", "nickname", "nonce", "org_id", "org_name", "sid", "sub", "updated_at"],
        "request_uri_parameter_supported": false,
        "request_parameter_supported": false,
        "authorization_response_iss_parameter_supported": true,
    })
}

async fn discovery(State(state): State<AppState>) -> Json<Value> {
    Json(discovery_document(&state))
}

async fn jwks(State(state): State<AppState>) -> Response {
    if let Some(r) = token::apply_fault(&state, crate::faults::Target::Jwks).await {
        return r;
    }
    let doc = state.lock().keys.jwks();
    Json(doc).into_response()
}

/// `/userinfo` with a bearer access token issued by this tenant for the userinfo audience.
async fn userinfo(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let unauthorized = |m: &str| {
        (
            StatusCode::UNAUTHORIZED,
            [(
                "www-authenticate",
                format!("Bearer error=\"invalid_token\", error_description=\"{m}\""),
            )],
            m.to_owned(),
        )
            .into_response()
    };
    let Some(token) = headers
        .get("authorization")
        .and_then(|h| h.to_str().ok())
        .and_then(|h| h.strip_prefix("Bearer "))
    else {
        return unauthorized("Missing bearer token");
    };
    let t = state.lock();
    let Some(claims) = t.keys.verify(token.trim()) else {
        return unauthorized("Invalid token");
    };
    let userinfo_aud = format!("{}userinfo", state.issuer_str());
    let aud_ok = match &claims["aud"] {
        Value::String(a) => *a == userinfo_aud,
        Value::Array(a) => a.iter().any(|x| x.as_str() == Some(&userinfo_aud)),
        _ => false,
    };
    if claims["iss"].as_str() != Some(state.issuer_str()) || !aud_ok {
        return unauthorized("Invalid token audience");
    }
    if claims["exp"]
        .as_i64()
        .is_none_or(|e| e <= crate::now_unix())
    {
        return unauthorized("Token expired");
    }
    let Some(user) = claims["sub"].as_str().and_then(|s| t.store.user(s)) else {
        return unauthorized("Unknown user");
    };
    let scope = claims["scope"].as_str().unwrap_or_default();
    let mut out = json!({ "sub": user.user_id });
    if scope.split(' ').any(|s| s == "email") {
        out["email"] = json!(user.email);
        out["email_verified"] = json!(user.email_verified);
    }
    if scope.split(' ').any(|s| s == "profile") {
        out["name"] = json!(user.name);
        out["nickname"] = json!(user.email.split('@').next().unwrap_or_default());
        out["updated_at"] = json!(user.created_at);
    }
    for claim in ["org_id", "org_name"] {
        if let Some(v) = claims.get(claim) {
            out[claim] = v.clone();
        }
    }
    Json(out).into_response()
}
