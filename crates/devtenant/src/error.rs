//! HTTP errors in Auth0's shapes: Management API `{statusCode, error, message, errorCode}` and OAuth
//! `{error, error_description}` for the token endpoints.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

/// A Management API error, rendered as Auth0 does.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{status} {error_code}: {message}")]
pub struct ApiError {
    pub status: StatusCode,
    pub message: String,
    pub error_code: &'static str,
}

impl ApiError {
    pub fn new(status: StatusCode, error_code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            message: message.into(),
            error_code,
        }
    }

    pub fn bad_request(error_code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, error_code, message)
    }

    pub fn not_found(error_code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, error_code, message)
    }

    pub fn conflict(error_code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, error_code, message)
    }

    pub fn unauthorized(message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "invalid_token", message)
    }

    pub fn insufficient_scope(expected: &[&str]) -> Self {
        Self::new(
            StatusCode::FORBIDDEN,
            "insufficient_scope",
            format!(
                "Insufficient scope, expected any of: {}",
                expected.join(",")
            ),
        )
    }

    pub fn org_not_found() -> Self {
        Self::not_found(
            "inexistent_organization",
            "No organization found by that id or name",
        )
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = json!({
            "statusCode": self.status.as_u16(),
            "error": self.status.canonical_reason().unwrap_or("Error"),
            "message": self.message,
            "errorCode": self.error_code,
        });
        (self.status, Json(body)).into_response()
    }
}

/// An OAuth 2.0 error from `/oauth/token` or `/oauth/revoke`.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{status} {error}: {description}")]
pub struct OAuthError {
    pub status: StatusCode,
    pub error: &'static str,
    pub description: String,
    /// Sent as `DPoP-Nonce` (with `use_dpop_nonce`).
    pub dpop_nonce: Option<String>,
}

impl OAuthError {
    pub fn new(status: StatusCode, error: &'static str, description: impl Into<String>) -> Self {
        Self {
            status,
            error,
            description: description.into(),
            dpop_nonce: None,
        }
    }

    /// RFC 9449 §8: the proof must carry this server nonce; the client repeats the request once with it.
    pub fn use_dpop_nonce(nonce: String) -> Self {
        Self {
            dpop_nonce: Some(nonce),
            ..Self::new(
                StatusCode::BAD_REQUEST,
                "use_dpop_nonce",
                "Authorization server requires nonce in DPoP proof",
            )
        }
    }

    pub fn invalid_request(description: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid_request", description)
    }

    pub fn invalid_grant(description: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, "invalid_grant", description)
    }
}

impl IntoResponse for OAuthError {
    fn into_response(self) -> Response {
        let body = json!({ "error": self.error, "error_description": self.description });
        let mut response = (self.status, Json(body)).into_response();
        response.headers_mut().insert(
            "cache-control",
            axum::http::HeaderValue::from_static("no-store"),
        );
        if let Some(nonce) = self
            .dpop_nonce
            .and_then(|n| axum::http::HeaderValue::from_str(&n).ok())
        {
            response.headers_mut().insert("dpop-nonce", nonce);
        }
        response
    }
}
