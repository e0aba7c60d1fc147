//! Fault injection for tests, under `/__devtenant` (a path Auth0 does not use), protected by the per-run admin
//! secret in the `x-devtenant-admin-secret` header: rotate keys, make the token or JWKS endpoint slow / fail /
//! return garbage for the next N requests, skew the clock of issued tokens, expire sessions.

use axum::extract::{FromRequestParts, State};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::AppState;
use crate::error::ApiError;
use crate::mgmt::Body;
use crate::store::{Fault, FaultMode};

/// Header carrying the admin secret.
pub const ADMIN_HEADER: &str = "x-devtenant-admin-secret";

/// Endpoints a fault can target.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Target {
    Token,
    Jwks,
}

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/keys/rotate", post(rotate))
        .route("/faults", post(set_fault).delete(clear_faults))
        .route("/clock", post(skew_clock))
        .route("/sessions/expire", post(expire_sessions))
}

/// Proof that the caller knows the admin secret.
pub struct Admin;

impl FromRequestParts<AppState> for Admin {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let given = parts
            .headers
            .get(ADMIN_HEADER)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        if state.admin_secret().matches(given) {
            Ok(Admin)
        } else {
            Err(ApiError::unauthorized(format!(
                "Missing or wrong {ADMIN_HEADER} header; devtenant prints the admin secret when it starts"
            )))
        }
    }
}

fn internal(e: impl ToString) -> ApiError {
    ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", e.to_string())
}

async fn rotate(State(state): State<AppState>, _: Admin) -> Result<Json<Value>, ApiError> {
    let mut keys = state.lock().keys.clone();
    let rotated =
        tokio::task::spawn_blocking(move || keys.rotate(crate::now_unix()).map(|()| keys))
            .await
            .map_err(internal)?
            .map_err(internal)?;
    let mut t = state.lock();
    t.keys = rotated;
    let body = json!({
        "current_kid": t.keys.current.kid,
        "previous_kids": t.keys.previous.iter().map(|k| k.kid.clone()).collect::<Vec<_>>(),
    });
    state.persist(&t);
    Ok(Json(body))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FaultBody {
    target: Target,
    mode: FaultMode,
    /// How many upcoming requests are affected (default 1).
    count: Option<u32>,
    /// For `slow` (default 2000).
    delay_ms: Option<u64>,
}

async fn set_fault(
    State(state): State<AppState>,
    _: Admin,
    Body(body): Body<FaultBody>,
) -> Response {
    let fault = Fault {
        mode: body.mode,
        remaining: body.count.unwrap_or(1).max(1),
        delay_ms: body.delay_ms.unwrap_or(2000),
    };
    let mut t = state.lock();
    match body.target {
        Target::Token => t.token_fault = Some(fault),
        Target::Jwks => t.jwks_fault = Some(fault),
    }
    tracing::warn!(?body.target, ?fault, "fault injected");
    StatusCode::NO_CONTENT.into_response()
}

async fn clear_faults(State(state): State<AppState>, _: Admin) -> StatusCode {
    let mut t = state.lock();
    t.token_fault = None;
    t.jwks_fault = None;
    t.clock_skew_secs = 0;
    StatusCode::NO_CONTENT
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClockBody {
    /// Added to `iat`/`exp` of tokens issued from now on (negative = in the past).
    skew_secs: i64,
}

async fn skew_clock(
    State(state): State<AppState>,
    _: Admin,
    Body(body): Body<ClockBody>,
) -> StatusCode {
    state.lock().clock_skew_secs = body.skew_secs;
    StatusCode::NO_CONTENT
}

async fn expire_sessions(State(state): State<AppState>, _: Admin) -> Json<Value> {
    let mut t = state.lock();
    let expired = t.store.sessions.len();
    t.store.sessions.clear();
    state.persist(&t);
    Json(json!({ "expired_sessions": expired }))
}
