//! Reading an issuer's document over HTTP, once for the workspace: a non-2xx answer refused, the body capped at
//! [`MAX_DOCUMENT_BYTES`] (read chunk by chunk, so an endless body is cut off rather than buffered), and the
//! lifetime its `Cache-Control` grants. The engine reads its discovery document and the JWKS through it, the guard
//! the same; the HTTP client (trust store, proxies, redirects, timeouts) is the caller's.

use std::time::Duration;

use url::Url;

/// The largest discovery document or JWKS accepted (real ones are a few KiB).
pub const MAX_DOCUMENT_BYTES: usize = 1024 * 1024;

/// A fetched document and how long its sender says it may be cached.
#[derive(Debug, Clone, Default)]
pub struct Document {
    pub body: Vec<u8>,
    /// `Cache-Control: max-age` of the response (`Some(ZERO)` for `no-cache` / `no-store`), if it said.
    pub max_age: Option<Duration>,
}

impl From<Vec<u8>> for Document {
    fn from(body: Vec<u8>) -> Self {
        Self {
            body,
            max_age: None,
        }
    }
}

/// Why a document could not be read. The caller turns the transport error into its own advice (the engine says
/// which certificate or proxy setting to look at).
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    #[error("could not reach {url}: {source}")]
    Transport { url: String, source: reqwest::Error },
    #[error("{url} answered HTTP {status}; check the issuer setting")]
    Status { url: String, status: u16 },
    #[error("{what} at {url} is larger than {limit} bytes; check the issuer setting")]
    TooLarge {
        url: String,
        what: &'static str,
        limit: usize,
    },
}

/// GET `url` with `http`, refusing a non-2xx answer and a body over [`MAX_DOCUMENT_BYTES`]. `what` names the
/// document in the error ("the JWKS").
pub async fn get_document(
    http: &reqwest::Client,
    url: &Url,
    what: &'static str,
) -> Result<Document, FetchError> {
    let transport = |source| FetchError::Transport {
        url: url.to_string(),
        source,
    };
    let too_large = || FetchError::TooLarge {
        url: url.to_string(),
        what,
        limit: MAX_DOCUMENT_BYTES,
    };
    let mut resp = http.get(url.clone()).send().await.map_err(transport)?;
    let status = resp.status();
    if !status.is_success() {
        return Err(FetchError::Status {
            url: url.to_string(),
            status: status.as_u16(),
        });
    }
    if resp
        .content_length()
        .is_some_and(|n| n > MAX_DOCUMENT_BYTES as u64)
    {
        return Err(too_large());
    }
    let max_age = resp
        .headers()
        .get(reqwest::header::CACHE_CONTROL)
        .and_then(|v| v.to_str().ok())
        .and_then(cache_max_age);
    let mut body = Vec::new();
    while let Some(chunk) = resp.chunk().await.map_err(transport)? {
        if body.len() + chunk.len() > MAX_DOCUMENT_BYTES {
            return Err(too_large());
        }
        body.extend_from_slice(&chunk);
    }
    Ok(Document { body, max_age })
}

/// The lifetime a `Cache-Control` value grants: `max-age=N`, or zero for `no-cache` / `no-store`.
pub fn cache_max_age(value: &str) -> Option<Duration> {
    let mut max_age = None;
    for directive in value.split(',').map(str::trim) {
        let (name, arg) = directive.split_once('=').unwrap_or((directive, ""));
        match name.trim().to_ascii_lowercase().as_str() {
            "no-store" | "no-cache" => return Some(Duration::ZERO),
            "max-age" => {
                max_age = arg
                    .trim()
                    .trim_matches('"')
                    .parse::<u64>()
                    .ok()
                    .map(Duration::from_secs)
            }
            _ => {}
        }
    }
    max_age
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cache_control_max_age() {
        let rows = [
            ("public, max-age=15, stale-while-revalidate=15", Some(15)),
            ("max-age=600", Some(600)),
            ("Max-Age=\"120\"", Some(120)),
            ("no-store", Some(0)),
            ("public, no-cache", Some(0)),
            ("public", None),
            ("max-age=soon", None),
        ];
        for (value, want) in rows {
            assert_eq!(
                cache_max_age(value),
                want.map(Duration::from_secs),
                "{value}"
            );
        }
    }
}
