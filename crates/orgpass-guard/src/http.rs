//! Fetching the issuer's documents: the HTTP client (the OS trust store, no redirect to another origin,
//! bounded time, no proxy for a loopback issuer), bodies capped at [`MAX_DOCUMENT_BYTES`], `Cache-Control: max-age`, and discovery's
//! `jwks_uri`.

use std::time::Duration;

use serde::Deserialize;
use url::Url;

use crate::config::{ConfigError, GuardConfig, MAX_DOCUMENT_BYTES};
use crate::error::JwksError;

/// The client the guard uses when none is given: the operating system's trust store (plus
/// [`GuardConfig::with_ca`]), the environment's proxies (never for a loopback issuer), redirects followed only
/// within the same origin (at most 3), 10 s per request.
pub fn default_client(config: &GuardConfig) -> Result<reqwest::Client, ConfigError> {
    let network = orgpass_net::Network::from_env(config.ca().cloned());
    network
        .client_builder()
        .redirect(same_origin_redirects())
        .connect_timeout(Duration::from_secs(5))
        .timeout(Duration::from_secs(10))
        .build()
        .map_err(|e| ConfigError::Http(e.to_string()))
}

/// Follows a redirect only to the scheme, host and port of the first request, at most three times.
pub fn same_origin_redirects() -> reqwest::redirect::Policy {
    reqwest::redirect::Policy::custom(|attempt| {
        let same = attempt
            .previous()
            .first()
            .is_some_and(|first| first.origin() == attempt.url().origin());
        if same && attempt.previous().len() <= 3 {
            attempt.follow()
        } else {
            attempt.stop()
        }
    })
}

/// A fetched document and how long its sender says it may be cached.
#[derive(Debug, Clone, Default)]
pub struct Document {
    pub body: Vec<u8>,
    /// `Cache-Control: max-age` of the response (`Some(ZERO)` for `no-cache` / `no-store`), if it said.
    pub max_age: Option<Duration>,
}

/// GET `url`, refusing a non-2xx answer and a body over [`MAX_DOCUMENT_BYTES`] (read chunk by chunk, so an
/// endless body is cut off rather than buffered).
pub async fn get_document(
    http: &reqwest::Client,
    url: &Url,
    what: &'static str,
) -> Result<Document, JwksError> {
    let transport = |source| JwksError::Transport {
        url: url.to_string(),
        source,
    };
    let too_large = || JwksError::TooLarge {
        url: url.to_string(),
        what,
        limit: MAX_DOCUMENT_BYTES,
    };
    let mut resp = http.get(url.clone()).send().await.map_err(transport)?;
    let status = resp.status();
    if !status.is_success() {
        return Err(JwksError::Status {
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
pub(crate) fn cache_max_age(value: &str) -> Option<Duration> {
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

/// Reads the issuer's discovery document and returns its `jwks_uri`, after checking that the document is the
/// configured issuer's and that the URI may be fetched (https, or loopback http for a loopback issuer).
pub async fn discover_jwks_uri(
    http: &reqwest::Client,
    config: &GuardConfig,
) -> Result<Url, JwksError> {
    #[derive(Deserialize)]
    struct Metadata {
        issuer: String,
        jwks_uri: String,
    }
    let url = config.discovery_url();
    let doc = get_document(http, &url, "the discovery document").await?;
    let meta: Metadata = serde_json::from_slice(&doc.body).map_err(|e| JwksError::Parse {
        url: url.to_string(),
        what: "the discovery document",
        reason: e.to_string(),
    })?;
    if meta.issuer != config.issuer() {
        return Err(JwksError::IssuerMismatch {
            got: meta.issuer,
            want: config.issuer().to_owned(),
        });
    }
    let jwks_uri = Url::parse(&meta.jwks_uri).map_err(|e| JwksError::Parse {
        url: url.to_string(),
        what: "the discovery document's jwks_uri",
        reason: e.to_string(),
    })?;
    if !config.endpoint_allowed(&jwks_uri) {
        return Err(JwksError::InsecureEndpoint(jwks_uri.to_string()));
    }
    Ok(jwks_uri)
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

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

    /// Answers connection `i` on 127.0.0.1 with `heads[i]` (the last one for all later connections), then
    /// `body` (with a Content-Length, or chunked).
    async fn serve_seq(heads: Vec<String>, body: Vec<u8>, chunked: bool) -> Url {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = Url::parse(&format!("http://{}/doc", listener.local_addr().unwrap())).unwrap();
        tokio::spawn(async move {
            let mut n = 0;
            while let Ok((mut stream, _)) = listener.accept().await {
                let mut request = [0u8; 4096];
                let _ = stream.read(&mut request).await;
                let mut out = Vec::from(heads[n.min(heads.len() - 1)].as_bytes());
                n += 1;
                if chunked {
                    out.extend_from_slice(b"transfer-encoding: chunked\r\n\r\n");
                    for chunk in body.chunks(64 * 1024) {
                        out.extend_from_slice(format!("{:x}\r\n", chunk.len()).as_bytes());
                        out.extend_from_slice(chunk);
                        out.extend_from_slice(b"\r\n");
                    }
                    out.extend_from_slice(b"0\r\n\r\n");
                } else {
                    out.extend_from_slice(
                        format!(
                            "connection: close\r\ncontent-length: {}\r\n\r\n",
                            body.len()
                        )
                        .as_bytes(),
                    );
                    out.extend_from_slice(&body);
                }
                let _ = stream.write_all(&out).await;
                let _ = stream.shutdown().await;
            }
        });
        url
    }

    async fn serve(head: &str, body: Vec<u8>, chunked: bool) -> Url {
        serve_seq(vec![head.to_owned()], body, chunked).await
    }

    #[tokio::test]
    async fn documents_are_capped_at_one_mib() {
        let http = reqwest::Client::new();
        let ok = "HTTP/1.1 200 OK\r\ncache-control: max-age=77\r\n";
        for chunked in [false, true] {
            let url = serve(ok, vec![b' '; MAX_DOCUMENT_BYTES], chunked).await;
            let doc = get_document(&http, &url, "the JWKS").await.unwrap();
            assert_eq!(
                doc.body.len(),
                MAX_DOCUMENT_BYTES,
                "exactly the limit is fine"
            );
            assert_eq!(doc.max_age, Some(Duration::from_secs(77)));
            let url = serve(ok, vec![b' '; MAX_DOCUMENT_BYTES + 1], chunked).await;
            let err = get_document(&http, &url, "the JWKS").await.unwrap_err();
            assert_eq!(
                err.to_string(),
                format!("{url} sent more than 1024 KiB for the JWKS, more than any real one")
            );
        }
    }

    #[tokio::test]
    async fn redirects_are_followed_only_within_the_origin() {
        let config = GuardConfig::new("http://127.0.0.1:1/", "a").unwrap();
        let http = default_client(&config).unwrap();
        let ok = "HTTP/1.1 200 OK\r\n".to_owned();
        let target = serve(&ok, b"{}".to_vec(), false).await;
        // Same host, another port: another origin, not followed.
        let away = format!("HTTP/1.1 302 Found\r\nlocation: {target}\r\n");
        let url = serve(&away, Vec::new(), false).await;
        let err = get_document(&http, &url, "the JWKS").await.unwrap_err();
        assert!(
            matches!(err, JwksError::Status { status: 302, .. }),
            "{err:?}"
        );
        // To the same origin: followed.
        let here = "HTTP/1.1 302 Found\r\nlocation: /moved\r\n".to_owned();
        let url = serve_seq(vec![here, ok], b"{}".to_vec(), false).await;
        let doc = get_document(&http, &url, "the JWKS").await.unwrap();
        assert_eq!(doc.body, b"{}");
    }
}
