//! The API's own refusals (a request the guard let through but the API cannot do), in the same JSON shape as
//! the guard's: `{"error", "error_description"}`.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

/// Why the API refused a request after the guard let it through.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("the body is not the JSON this route takes ({0}); send {{\"name\": \"…\"}}")]
    Body(String),
    #[error("the project name must be 1 to 100 characters after trimming (got {0})")]
    NameLength(usize),
    #[error("the project name must not contain control characters")]
    NameCharacters,
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = json!({"error": "invalid_request", "error_description": self.to_string()});
        (StatusCode::BAD_REQUEST, axum::Json(body)).into_response()
    }
}
