//! The HTTP exchange under oauth2's token and refresh requests: the answer is read up to a size limit, and an
//! error answer that is not an OAuth error (a 500 with an HTML page from a proxy or a failing tenant) is
//! reported as the server failure it is, not as "unparseable JSON". So is any 5xx and an OAuth error that says
//! the server failed (`server_error`, `temporarily_unavailable`): a transient failure to retry, not a refusal.

use std::future::Future;
use std::pin::Pin;

use oauth2::{HttpRequest, HttpResponse};

/// The largest token response accepted (real ones are a few KiB).
pub const MAX_TOKEN_RESPONSE_BYTES: usize = 1024 * 1024;

/// Why the token endpoint's answer could not be handed to oauth2.
#[derive(Debug, thiserror::Error)]
pub enum TokenHttpError {
    #[error("{0}")]
    Transport(#[source] orgpass_net::NetError),
    #[error("the request could not be built: {0}")]
    Request(String),
    /// A 5xx answer, a non-200 answer without an OAuth error body, or an OAuth error saying the server failed.
    #[error("the server failed with HTTP {status}{}", .detail.as_deref().map(|d| format!(": {d}")).unwrap_or_default())]
    ServerFailed { status: u16, detail: Option<String> },
    #[error("the answer was larger than {} KiB", MAX_TOKEN_RESPONSE_BYTES / 1024)]
    TooLarge,
}

type Call = Pin<Box<dyn Future<Output = Result<HttpResponse, TokenHttpError>> + Send + Sync>>;

/// An oauth2 HTTP client over `http` (pass it as `request_async(&token_http::client(..))`).
pub(crate) fn client(http: &orgpass_net::Http) -> impl Fn(HttpRequest) -> Call + Send + Sync {
    let http = http.clone();
    move |request| {
        let http = http.clone();
        Box::pin(async move { exchange(&http, request).await })
    }
}

async fn exchange(
    http: &orgpass_net::Http,
    request: HttpRequest,
) -> Result<HttpResponse, TokenHttpError> {
    let request: reqwest::Request = request
        .try_into()
        .map_err(|e: reqwest::Error| TokenHttpError::Request(e.to_string()))?;
    let mut response = http
        .execute(request)
        .await
        .map_err(|e| TokenHttpError::Transport(http.explain(&e)))?;
    let status = response.status();
    if response
        .content_length()
        .is_some_and(|n| n > MAX_TOKEN_RESPONSE_BYTES as u64)
    {
        return Err(TokenHttpError::TooLarge);
    }
    let mut builder = oauth2::http::Response::builder().status(status.as_u16());
    for (name, value) in response.headers() {
        builder = builder.header(name.as_str(), value.as_bytes());
    }
    let mut body = Vec::new();
    while let Some(chunk) = response
        .chunk()
        .await
        .map_err(|e| TokenHttpError::Transport(http.explain(&e)))?
    {
        if body.len() + chunk.len() > MAX_TOKEN_RESPONSE_BYTES {
            return Err(TokenHttpError::TooLarge);
        }
        body.extend_from_slice(&chunk);
    }
    if status != reqwest::StatusCode::OK
        && (status.is_server_error() || !is_oauth_error(&body) || is_transient(&body))
    {
        return Err(TokenHttpError::ServerFailed {
            status: status.as_u16(),
            detail: describe_body(&body).or_else(|| status.canonical_reason().map(str::to_owned)),
        });
    }
    builder
        .body(body)
        .map_err(|e| TokenHttpError::Request(e.to_string()))
}

/// An RFC 6749 §5.2 error body: a JSON object with a string `error`.
fn is_oauth_error(body: &[u8]) -> bool {
    serde_json::from_slice::<serde_json::Value>(body)
        .is_ok_and(|v| v.get("error").is_some_and(serde_json::Value::is_string))
}

/// An OAuth error that says the server failed rather than refused (RFC 6749 §4.1.2.1's `server_error` and
/// `temporarily_unavailable`, which Auth0 also answers at the token endpoint when it is overloaded).
fn is_transient(body: &[u8]) -> bool {
    serde_json::from_slice::<serde_json::Value>(body).is_ok_and(|v| {
        matches!(
            v.get("error").and_then(serde_json::Value::as_str),
            Some("server_error" | "temporarily_unavailable")
        )
    })
}

/// A short account of an error page: its HTML `<title>`, or the first line of a short text; at most 120
/// characters, control characters dropped.
fn describe_body(body: &[u8]) -> Option<String> {
    let text = std::str::from_utf8(body).ok()?.trim();
    let lower = text.to_ascii_lowercase();
    let picked = if lower.starts_with('<') {
        let start = lower.find("<title>")? + "<title>".len();
        let end = start + lower[start..].find("</title>")?;
        text[start..end].trim()
    } else if text.len() <= 512 {
        text.lines().next()?.trim()
    } else {
        return None;
    };
    let clean: String = picked
        .chars()
        .filter(|c| !c.is_control())
        .take(120)
        .collect();
    (!clean.is_empty()).then_some(clean)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_bodies() {
        let rows: [(&str, bool, Option<&str>); 6] = [
            (
                r#"{"error":"invalid_grant","error_description":"x"}"#,
                true,
                Some(r#"{"error":"invalid_grant","error_description":"x"}"#),
            ),
            (
                "<!DOCTYPE html>\n<html><head><title>500 Internal Server Error</title></head><body>…</body></html>",
                false,
                Some("500 Internal Server Error"),
            ),
            (
                "upstream connect error\nreset reason: overflow",
                false,
                Some("upstream connect error"),
            ),
            (
                r#"{"message":"oops"}"#,
                false,
                Some(r#"{"message":"oops"}"#),
            ),
            ("<html><body>no title</body></html>", false, None),
            ("", false, None),
        ];
        for (body, oauth, detail) in rows {
            assert_eq!(is_oauth_error(body.as_bytes()), oauth, "{body}");
            assert_eq!(describe_body(body.as_bytes()).as_deref(), detail, "{body}");
        }
        assert_eq!(
            describe_body("x".repeat(600).as_bytes()),
            None,
            "long text is not quoted"
        );
    }

    #[test]
    fn transient_oauth_errors() {
        for (body, transient) in [
            (r#"{"error":"temporarily_unavailable"}"#, true),
            (r#"{"error":"server_error","error_description":"x"}"#, true),
            (r#"{"error":"invalid_grant"}"#, false),
            (r#"{"error":"access_denied"}"#, false),
            ("<html></html>", false),
        ] {
            assert_eq!(is_transient(body.as_bytes()), transient, "{body}");
        }
    }
}
