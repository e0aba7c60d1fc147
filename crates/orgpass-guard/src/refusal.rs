//! How a refusal looks on the wire (RFC 6750 §3): the status, the `WWW-Authenticate: Bearer` challenge and a
//! JSON body `{"error", "error_description", "check"}`. Never the token.
//!
//! | refusal | status | `error` attribute |
//! |---|---|---|
//! | no bearer token (none, or another scheme such as `Basic`) | 401 | none (RFC 6750 §3.1) |
//! | malformed `Authorization` (`Bearer` alone, two tokens, two headers, header and query) | 400 | `invalid_request` |
//! | any failed token check, an issuer the API does not list (`check` `iss`), an application's token where the API serves people only (`check` `people_only`) | 401 | `invalid_token` |
//! | missing scope | 403 | `insufficient_scope`, with `scope="…"` |
//! | another organization than the route's | 403 | `insufficient_scope` (no `scope`: no scope would help; the body's `check` is `org_mismatch`) |
//! | the issuer's keys cannot be fetched | 503 | no challenge (not the client's fault); a fixed description, the detail only in the log |
//! | the server is misconfigured (no layer, no `{org_id}`, an empty required scope) | 500 | no challenge |
//!
//! A [`GuardError`] turned into a response carries its [`Challenge`] without a realm; the guard's layer adds
//! its realm on the way out, so refusals from extractors and handlers say the same as the layer's own.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::config::header_safe;
use crate::error::GuardError;

/// The `WWW-Authenticate` challenge of a refusal, waiting for the layer to add its realm.
#[derive(Debug, Clone)]
pub(crate) struct Challenge {
    error: Option<&'static str>,
    description: String,
    scope: Option<String>,
    /// In the `DPoP` scheme (RFC 9449 §7.1), with the `algs` this API takes: a refusal of a proof, or of any
    /// request that came with the DPoP scheme.
    dpop: bool,
}

impl Challenge {
    /// The header value: `Bearer realm="…"[, error="…", error_description="…"[, scope="…"]]`, or the same in the
    /// `DPoP` scheme with `algs="ES256"`.
    pub fn header(&self, realm: Option<&str>) -> HeaderValue {
        let mut attrs = Vec::new();
        if let Some(realm) = realm {
            attrs.push(format!("realm=\"{}\"", header_safe(realm)));
        }
        if let Some(error) = self.error {
            attrs.push(format!("error=\"{error}\""));
            attrs.push(format!(
                "error_description=\"{}\"",
                header_safe(&self.description)
            ));
        }
        if let Some(scope) = &self.scope {
            attrs.push(format!("scope=\"{}\"", header_safe(scope)));
        }
        let scheme = if self.dpop {
            attrs.push("algs=\"ES256\"".to_owned());
            "DPoP"
        } else {
            "Bearer"
        };
        let value = if attrs.is_empty() {
            scheme.to_owned()
        } else {
            format!("{scheme} {}", attrs.join(", "))
        };
        HeaderValue::from_str(&value).unwrap_or_else(|_| HeaderValue::from_static("Bearer"))
    }
}

impl GuardError {
    /// The HTTP status of this refusal.
    pub fn status(&self) -> StatusCode {
        match self {
            Self::NoToken => StatusCode::UNAUTHORIZED,
            Self::MalformedHeader(_) => StatusCode::BAD_REQUEST,
            Self::InsufficientScope { .. } | Self::OrgMismatch { .. } => StatusCode::FORBIDDEN,
            Self::Jwks(_) | Self::ReplayStore(_) => StatusCode::SERVICE_UNAVAILABLE,
            Self::NotGuarded | Self::NoOrgInRoute | Self::EmptyScope => {
                StatusCode::INTERNAL_SERVER_ERROR
            }
            _ => StatusCode::UNAUTHORIZED,
        }
    }

    /// The body's `error`: the RFC 6750 code where there is one.
    fn code(&self) -> &'static str {
        match self {
            Self::NoToken => "unauthorized",
            Self::MalformedHeader(_) => "invalid_request",
            Self::InsufficientScope { .. } | Self::OrgMismatch { .. } => "insufficient_scope",
            Self::Jwks(_) | Self::ReplayStore(_) => "temporarily_unavailable",
            Self::ProofHeader(_) | Self::Proof(_) | Self::ProofReplayed => "invalid_dpop_proof",
            Self::DpopRequired => "invalid_token",
            Self::NotGuarded | Self::NoOrgInRoute | Self::EmptyScope => "server_error",
            _ => "invalid_token",
        }
    }

    /// The challenge, for refusals that have one.
    fn challenge(&self) -> Option<Challenge> {
        let error = match self {
            Self::NoToken | Self::DpopRequired => None,
            Self::Jwks(_)
            | Self::ReplayStore(_)
            | Self::NotGuarded
            | Self::NoOrgInRoute
            | Self::EmptyScope => {
                return None;
            }
            _ => Some(self.code()),
        };
        let dpop = matches!(
            self,
            Self::ProofHeader(_) | Self::Proof(_) | Self::ProofReplayed | Self::DpopRequired
        );
        let scope = match self {
            Self::InsufficientScope { scope } => Some(scope.clone()),
            _ => None,
        };
        Some(Challenge {
            error,
            description: self.to_string(),
            scope,
            dpop,
        })
    }
}

/// The description a 503 carries, whatever went wrong: the issuer's URLs and the transport's errors are for the
/// server's log (the layer logs them), not for callers who have not even been authenticated.
pub const UNAVAILABLE_DESCRIPTION: &str = "the API cannot check tokens right now; try again later";

impl IntoResponse for GuardError {
    fn into_response(self) -> Response {
        let description = match &self {
            Self::Jwks(_) | Self::ReplayStore(_) => UNAVAILABLE_DESCRIPTION.to_owned(),
            _ => self.to_string(),
        };
        let body = json!({
            "error": self.code(),
            "error_description": description,
            "check": self.check(),
        });
        let mut response = (self.status(), axum::Json(body)).into_response();
        let headers = response.headers_mut();
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        if let Some(challenge) = self.challenge() {
            headers.insert(header::WWW_AUTHENTICATE, challenge.header(None));
            response.extensions_mut().insert(challenge);
        }
        response
    }
}

/// Puts `realm` into the challenge of a refusal made by [`GuardError::into_response`], in the DPoP scheme when
/// the request came with it.
pub(crate) fn add_realm(response: &mut Response, realm: &str, dpop: bool) {
    if let Some(mut challenge) = response.extensions_mut().remove::<Challenge>() {
        challenge.dpop |= dpop;
        response
            .headers_mut()
            .insert(header::WWW_AUTHENTICATE, challenge.header(Some(realm)));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::JwksError;

    fn rendered(e: GuardError) -> (u16, Option<String>, serde_json::Value) {
        let mut r = e.into_response();
        add_realm(&mut r, "api", false);
        let header = r
            .headers()
            .get(header::WWW_AUTHENTICATE)
            .map(|v| v.to_str().unwrap().to_owned());
        let status = r.status().as_u16();
        let body = futures_body(r);
        (status, header, body)
    }

    fn futures_body(r: Response) -> serde_json::Value {
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let bytes = rt
            .block_on(axum::body::to_bytes(r.into_body(), 64 * 1024))
            .unwrap();
        serde_json::from_slice(&bytes).unwrap()
    }

    #[test]
    fn refusals() {
        let (status, header, body) = rendered(GuardError::NoToken);
        assert_eq!(status, 401);
        assert_eq!(header.as_deref(), Some("Bearer realm=\"api\""));
        assert_eq!(body["check"], "header");

        let (status, header, _) =
            rendered(orgpass_jose::AccessError::Jws(orgpass_jose::JwsError::BadSignature).into());
        assert_eq!(status, 401);
        assert_eq!(
            header.as_deref(),
            Some(
                "Bearer realm=\"api\", error=\"invalid_token\", error_description=\"access token refused: the \
                 token's signature does not verify\""
            )
        );

        let (status, header, body) = rendered(GuardError::InsufficientScope {
            scope: "write:projects".into(),
        });
        assert_eq!(status, 403);
        assert!(
            header
                .unwrap()
                .ends_with("error=\"insufficient_scope\", error_description=\"the token lacks the scope this request needs: write:projects\", scope=\"write:projects\"")
        );
        assert_eq!(body["error"], "insufficient_scope");

        let (status, header, body) = rendered(GuardError::Jwks(JwksError::Backoff(
            std::time::Duration::from_secs(3),
        )));
        assert_eq!((status, header), (503, None));
        assert_eq!(body["check"], "jwks");
    }

    #[test]
    fn a_503_says_nothing_of_the_issuer_or_the_network() {
        let unavailable = serde_json::json!({
            "error": "temporarily_unavailable",
            "error_description": "the API cannot check tokens right now; try again later",
            "check": "jwks",
        });
        for e in [
            JwksError::Status {
                url: "https://internal-idp.corp.example/.well-known/jwks.json".into(),
                status: 500,
            },
            JwksError::Parse {
                url: "https://internal-idp.corp.example/.well-known/openid-configuration".into(),
                what: "the discovery document",
                reason: "expected value at line 1 column 1".into(),
            },
            JwksError::IssuerMismatch {
                got: "https://internal-idp.corp.example/".into(),
                want: "https://acme.eu.auth0.com/".into(),
            },
            JwksError::InsecureEndpoint("http://10.1.2.3/jwks".into()),
        ] {
            let detail = e.to_string();
            let (status, header, body) = rendered(GuardError::Jwks(e));
            assert_eq!((status, header), (503, None), "{detail}");
            assert_eq!(body, unavailable, "{detail}");
        }
    }

    #[test]
    fn claim_values_cannot_break_the_header() {
        let e: GuardError = orgpass_jose::AccessError::Issuer {
            got: crate::error::shown("https://evil/\", error=\"none\r\n"),
            want: "https://acme/".into(),
        }
        .into();
        let (_, header, _) = rendered(e);
        let header = header.unwrap();
        assert_eq!(header.matches('"').count(), 6, "{header}");
    }
}
