//! OpenID Provider discovery, and where the engine's keys come from ([`HttpJwks`], kept in the token core's
//! [`JwksCache`]).

use serde::Deserialize;
use url::Url;

use orgpass_jose::FetchError;

use crate::config::Issuer;

/// The largest discovery document or JWKS accepted (real ones are a few KiB): the token core's reader's cap.
pub use orgpass_jose::MAX_DOCUMENT_BYTES;

/// The parts of `/.well-known/openid-configuration` the engine uses.
#[derive(Debug, Clone, Deserialize)]
pub struct ProviderMetadata {
    /// The issuer exactly as the provider writes it (and as `iss` must read).
    pub issuer: String,
    pub authorization_endpoint: Url,
    pub token_endpoint: Url,
    pub jwks_uri: Url,
    #[serde(default)]
    pub revocation_endpoint: Option<Url>,
    #[serde(default)]
    pub end_session_endpoint: Option<Url>,
    /// RFC 9207: when true, `iss` is required in the authorization response.
    #[serde(default)]
    pub authorization_response_iss_parameter_supported: bool,
    #[serde(default)]
    pub code_challenge_methods_supported: Option<Vec<String>>,
    /// DPoP proof algorithms the tenant takes (RFC 9449 §5.1); `None` when it does not offer DPoP.
    #[serde(default)]
    pub dpop_signing_alg_values_supported: Option<Vec<String>>,
}

/// Why discovery or the JWKS could not be used.
#[derive(Debug, thiserror::Error)]
pub enum DiscoveryError {
    /// The request did not get an answer: the network, a proxy or the server's certificate (see
    /// [`orgpass_net::NetError`], whose sentence is the message).
    #[error("{source}")]
    Transport {
        url: String,
        source: orgpass_net::NetError,
    },
    #[error("{url} answered HTTP {status}; check the issuer domain (is it the tenant's domain?)")]
    Status { url: String, status: u16 },
    #[error("{url} did not return valid JSON for {what}: {reason}")]
    Parse {
        url: String,
        what: &'static str,
        reason: String,
    },
    #[error(
        "discovery says the issuer is `{got}`, but we are configured for `{want}`; fix the issuer setting"
    )]
    IssuerMismatch { got: String, want: String },
    #[error(
        "discovery endpoint {0} is not https; plain http is allowed only when the issuer itself is a loopback \
         http:// issuer (a local test tenant), never for an https issuer"
    )]
    InsecureEndpoint(String),
    #[error(
        "{url} sent more than {} KiB for {what}, more than any real one; check the issuer setting",
        .limit / 1024
    )]
    TooLarge {
        url: String,
        what: &'static str,
        limit: usize,
    },
    #[error("the provider does not support PKCE S256 (code_challenge_methods_supported: {0:?})")]
    NoS256(Vec<String>),
}

impl ProviderMetadata {
    /// Fetch and check the discovery document for `issuer`.
    pub async fn discover(
        http: &orgpass_net::Http,
        issuer: &Issuer,
    ) -> Result<Self, DiscoveryError> {
        let url = issuer.discovery_url();
        let body = get_bytes(http, &url, "the discovery document").await?.body;
        let meta: Self = serde_json::from_slice(&body).map_err(|e| DiscoveryError::Parse {
            url: url.to_string(),
            what: "the discovery document",
            reason: e.to_string(),
        })?;
        meta.check(issuer)?;
        Ok(meta)
    }

    /// Check issuer identity and endpoint schemes: every endpoint is https, except that a loopback `http://`
    /// issuer (which [`Issuer::parse`] allows only on a loopback address) may name loopback `http://` endpoints.
    pub fn check(&self, issuer: &Issuer) -> Result<(), DiscoveryError> {
        if !issuer.matches(&self.issuer) {
            return Err(DiscoveryError::IssuerMismatch {
                got: self.issuer.clone(),
                want: issuer.as_str().to_owned(),
            });
        }
        let endpoints = [
            Some(&self.authorization_endpoint),
            Some(&self.token_endpoint),
            Some(&self.jwks_uri),
            self.revocation_endpoint.as_ref(),
            self.end_session_endpoint.as_ref(),
        ];
        let issuer_is_loopback_http = issuer.url().scheme() == "http";
        for e in endpoints.into_iter().flatten() {
            let loopback_http = issuer_is_loopback_http
                && e.scheme() == "http"
                && e.host_str().is_some_and(crate::config::is_loopback_host);
            if e.scheme() != "https" && !loopback_http {
                return Err(DiscoveryError::InsecureEndpoint(e.to_string()));
            }
        }
        if let Some(methods) = &self.code_challenge_methods_supported
            && !methods.iter().any(|m| m == "S256")
        {
            return Err(DiscoveryError::NoS256(methods.clone()));
        }
        Ok(())
    }

    /// The revocation endpoint, or Auth0's `/oauth/revoke` when discovery names none.
    pub fn revocation_url(&self) -> Url {
        self.revocation_endpoint.clone().unwrap_or_else(|| {
            let base = self.issuer.trim_end_matches('/');
            Url::parse(&format!("{base}/oauth/revoke")).expect("issuer was validated")
        })
    }
}

/// A fetched document and how long its sender says it may be cached (the token core's).
pub use orgpass_jose::Document;

/// GET `url` through the token core's one reader (non-2xx refused, body capped at [`MAX_DOCUMENT_BYTES`],
/// `Cache-Control` read); a transport failure is explained by `http` (certificate, proxy, network).
pub(crate) async fn get_bytes(
    http: &orgpass_net::Http,
    url: &Url,
    what: &'static str,
) -> Result<Document, DiscoveryError> {
    orgpass_jose::get_document(http.client(), url, what)
        .await
        .map_err(|e| match e {
            FetchError::Transport { url, source } => DiscoveryError::Transport {
                url,
                source: http.explain(&source),
            },
            FetchError::Status { url, status } => DiscoveryError::Status { url, status },
            FetchError::TooLarge { url, what, limit } => {
                DiscoveryError::TooLarge { url, what, limit }
            }
        })
}

/// A boxed future returning the raw JWKS document.
pub type JwksFuture = orgpass_jose::JwksFuture<'static, DiscoveryError>;

/// Where the JWKS comes from (HTTP in production, a closure in tests).
pub use orgpass_jose::JwksSource;

/// The token core's JWKS cache (bounded max age, renewal in the background, one fetch at a time, back-off and a
/// bounded grace while the issuer fails, a throttled refetch for an unknown `kid`), with the engine's errors:
/// the guard keeps its keys in the same cache.
pub type JwksCache = orgpass_jose::JwksCache<DiscoveryError>;

/// The issuer's keys under the one key policy of the token core (see [`orgpass_jose::keys`]).
pub use orgpass_jose::KeySet;

/// Fetch the JWKS over HTTP.
pub struct HttpJwks {
    http: orgpass_net::Http,
    uri: Url,
}

impl HttpJwks {
    /// A source reading `uri` with `http`.
    pub fn new(http: orgpass_net::Http, uri: Url) -> Self {
        Self { http, uri }
    }
}

impl JwksSource<DiscoveryError> for HttpJwks {
    fn fetch(&self) -> orgpass_jose::JwksFuture<'_, DiscoveryError> {
        Box::pin(get_bytes(&self.http, &self.uri, "the JWKS"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn metadata(issuer: &str, endpoint_base: &str) -> ProviderMetadata {
        serde_json::from_value(serde_json::json!({
            "issuer": issuer,
            "authorization_endpoint": format!("{endpoint_base}authorize"),
            "token_endpoint": format!("{endpoint_base}oauth/token"),
            "jwks_uri": format!("{endpoint_base}.well-known/jwks.json"),
        }))
        .expect("metadata")
    }

    #[test]
    fn endpoint_schemes() {
        // (issuer, where its endpoints live, accepted)
        let rows = [
            (
                "https://acme.eu.auth0.com/",
                "https://acme.eu.auth0.com/",
                true,
            ),
            ("http://127.0.0.1:4000/", "http://127.0.0.1:4000/", true),
            ("http://[::1]:4000/", "http://[::1]:4000/", true),
            ("http://127.0.0.1:4000/", "https://127.0.0.1:4443/", true),
            // An https issuer sending the code, verifier and refresh token in cleartext to a local port.
            (
                "https://acme.eu.auth0.com/",
                "http://127.0.0.1:8080/",
                false,
            ),
            ("https://acme.eu.auth0.com/", "http://[::1]:8080/", false),
            (
                "https://acme.eu.auth0.com/",
                "http://acme.eu.auth0.com/",
                false,
            ),
            ("http://127.0.0.1:4000/", "http://evil.example/", false),
            ("http://127.0.0.1:4000/", "http://localhost:4000/", false),
        ];
        for (issuer, base, ok) in rows {
            let got = metadata(issuer, base).check(&Issuer::parse(issuer).unwrap());
            match (ok, got) {
                (true, Ok(())) => {}
                (false, Err(DiscoveryError::InsecureEndpoint(e))) => {
                    assert_eq!(e, format!("{base}authorize"), "{issuer} with {base}")
                }
                (_, got) => panic!("{issuer} with endpoints at {base}: {got:?}"),
            }
        }
    }

    /// Answers every connection on 127.0.0.1 with `body`, with a Content-Length or chunked.
    async fn serve(body: Vec<u8>, chunked: bool) -> Url {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = Url::parse(&format!("http://{}/doc", listener.local_addr().unwrap())).unwrap();
        tokio::spawn(async move {
            while let Ok((mut stream, _)) = listener.accept().await {
                let mut request = [0u8; 4096];
                let _ = stream.read(&mut request).await;
                let mut out = Vec::new();
                if chunked {
                    out.extend_from_slice(b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n");
                    for chunk in body.chunks(64 * 1024) {
                        out.extend_from_slice(format!("{:x}\r\n", chunk.len()).as_bytes());
                        out.extend_from_slice(chunk);
                        out.extend_from_slice(b"\r\n");
                    }
                    out.extend_from_slice(b"0\r\n\r\n");
                } else {
                    out.extend_from_slice(
                        format!("HTTP/1.1 200 OK\r\ncontent-length: {}\r\n\r\n", body.len())
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

    #[tokio::test]
    async fn documents_are_capped_at_one_mib() {
        let http = orgpass_net::Http::from_client(reqwest::Client::new());
        for chunked in [false, true] {
            let url = serve(vec![b' '; MAX_DOCUMENT_BYTES], chunked).await;
            let doc = get_bytes(&http, &url, "the JWKS").await.unwrap();
            assert_eq!(
                doc.body.len(),
                MAX_DOCUMENT_BYTES,
                "exactly the limit is fine"
            );
            let url = serve(vec![b' '; MAX_DOCUMENT_BYTES + 1], chunked).await;
            let err = get_bytes(&http, &url, "the JWKS").await.unwrap_err();
            assert!(matches!(err, DiscoveryError::TooLarge { .. }), "{err:?}");
            assert_eq!(
                err.to_string(),
                format!(
                    "{url} sent more than 1024 KiB for the JWKS, more than any real one; check the issuer setting"
                )
            );
        }
    }
}
