//! Fetching the issuer's documents: the HTTP client (the OS trust store, no redirect to another origin,
//! bounded time, no proxy for a loopback issuer), bodies capped at [`MAX_DOCUMENT_BYTES`], `Cache-Control: max-age`, and discovery's
//! `jwks_uri`.

use std::time::Duration;

use serde::Deserialize;
use url::Url;

#[cfg(doc)]
use crate::config::MAX_DOCUMENT_BYTES;
use crate::config::{ConfigError, GuardConfig, Issuer};
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

/// A fetched document and how long its sender says it may be cached (the token core's).
pub use orgpass_jose::Document;

/// GET `url` through the token core's one reader (non-2xx refused, body capped at [`MAX_DOCUMENT_BYTES`],
/// `Cache-Control` read), with the guard's errors.
pub async fn get_document(
    http: &reqwest::Client,
    url: &Url,
    what: &'static str,
) -> Result<Document, JwksError> {
    Ok(orgpass_jose::get_document(http, url, what).await?)
}

/// Reads the main issuer's discovery document and returns its `jwks_uri` (see [`discover_issuer_jwks_uri`]).
pub async fn discover_jwks_uri(
    http: &reqwest::Client,
    config: &GuardConfig,
) -> Result<Url, JwksError> {
    discover_issuer_jwks_uri(http, config.main_issuer()).await
}

/// Reads `issuer`'s discovery document and returns its `jwks_uri`, after checking that the document is that
/// issuer's and that the URI may be fetched (https, or loopback http for a loopback issuer).
pub async fn discover_issuer_jwks_uri(
    http: &reqwest::Client,
    issuer: &Issuer,
) -> Result<Url, JwksError> {
    #[derive(Deserialize)]
    struct Metadata {
        issuer: String,
        jwks_uri: String,
    }
    let url = issuer.discovery_url();
    let doc = get_document(http, &url, "the discovery document").await?;
    let meta: Metadata = serde_json::from_slice(&doc.body).map_err(|e| JwksError::Parse {
        url: url.to_string(),
        what: "the discovery document",
        reason: e.to_string(),
    })?;
    if meta.issuer != issuer.as_str() {
        return Err(JwksError::IssuerMismatch {
            got: meta.issuer,
            want: issuer.as_str().to_owned(),
        });
    }
    let jwks_uri = Url::parse(&meta.jwks_uri).map_err(|e| JwksError::Parse {
        url: url.to_string(),
        what: "the discovery document's jwks_uri",
        reason: e.to_string(),
    })?;
    if !issuer.endpoint_allowed(&jwks_uri) {
        return Err(JwksError::InsecureEndpoint(jwks_uri.to_string()));
    }
    Ok(jwks_uri)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::MAX_DOCUMENT_BYTES;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

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
