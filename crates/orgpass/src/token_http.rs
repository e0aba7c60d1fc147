//! The HTTP exchange under oauth2's token and refresh requests: the answer is read up to a size limit, and an
//! error answer that is not an OAuth error (a 500 with an HTML page from a proxy or a failing tenant) is
//! reported as the server failure it is, not as "unparseable JSON". So is any 5xx and an OAuth error that says
//! the server failed (`server_error`, `temporarily_unavailable`): a transient failure to retry, not a refusal.
//! For a session bound to a key (DPoP), each request carries a proof, and a `use_dpop_nonce` answer is followed
//! by the same request once more with the server's new nonce.

use std::future::Future;
use std::pin::Pin;

use oauth2::{HttpRequest, HttpResponse};

use crate::dpop::Binding;

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

/// An oauth2 HTTP client over `http` (pass it as `request_async(&token_http::client(..))`), putting a DPoP proof
/// on each request when the session is bound to a key.
pub(crate) fn client(
    http: &orgpass_net::Http,
    dpop: Option<Binding>,
) -> impl Fn(HttpRequest) -> Call + Send + Sync {
    let http = http.clone();
    move |request| {
        let http = http.clone();
        let dpop = dpop.clone();
        Box::pin(async move {
            let request: reqwest::Request = request
                .try_into()
                .map_err(|e: reqwest::Error| TokenHttpError::Request(e.to_string()))?;
            let Some(dpop) = dpop else {
                return exchange(&http, request).await;
            };
            // RFC 9449 §8: a server that wants a fresh nonce says so once; the request is repeated with it.
            let retry = request.try_clone();
            let first = exchange(&http, with_proof(request, &dpop)).await?;
            match (asks_for_nonce(&first, &dpop), retry) {
                (true, Some(again)) => exchange(&http, with_proof(again, &dpop)).await,
                _ => Ok(first),
            }
        })
    }
}

/// `request` with a proof by the session's key (and the server's latest nonce).
fn with_proof(mut request: reqwest::Request, dpop: &Binding) -> reqwest::Request {
    let url = request.url().clone();
    let method = request.method().as_str().to_owned();
    if let Some(proof) = dpop
        .proof(&method, &url, None)
        .and_then(|p| reqwest::header::HeaderValue::from_str(&p).ok())
    {
        request.headers_mut().insert("dpop", proof);
    }
    request
}

/// Records the server's nonce from `response`; true when the answer is `use_dpop_nonce` with a new one.
fn asks_for_nonce(response: &HttpResponse, dpop: &Binding) -> bool {
    let Some(nonce) = response
        .headers()
        .get("dpop-nonce")
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    let Ok(url) = url::Url::parse(&response_origin(response)) else {
        return false;
    };
    dpop.nonces.set(&url, nonce);
    response.status() == 400
        && serde_json::from_slice::<serde_json::Value>(response.body()).is_ok_and(|v| {
            v.get("error").and_then(serde_json::Value::as_str) == Some("use_dpop_nonce")
        })
}

/// Where a token response came from (kept in an extension by [`exchange`]).
fn response_origin(response: &HttpResponse) -> String {
    response
        .extensions()
        .get::<Origin>()
        .map(|o| o.0.clone())
        .unwrap_or_default()
}

/// The origin a token response came from.
#[derive(Clone)]
struct Origin(String);

async fn exchange(
    http: &orgpass_net::Http,
    request: reqwest::Request,
) -> Result<HttpResponse, TokenHttpError> {
    let origin = Origin(request.url().origin().ascii_serialization());
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
        .extension(origin)
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
