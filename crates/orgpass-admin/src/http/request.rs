//! One Management API request ([`Req`]), and what an answer that is not a success means: a redirect (never
//! followed) or an Auth0 error mapped to the [`AdminError`] that says what to do.

use reqwest::header::HeaderMap;
use reqwest::{Method, StatusCode};

use super::{Bucket, Safety};
use crate::AdminError;
use crate::error::{Auth0ErrorBody, scope_from_message};

/// One Management API request.
#[derive(Clone)]
pub(crate) struct Req {
    pub method: Method,
    pub path: String,
    pub query: Vec<(&'static str, String)>,
    pub body: Option<serde_json::Value>,
    /// The scope this endpoint needs (named in the error if the tenant says 403).
    pub scope: &'static str,
    /// What we were doing, for messages: "creating organization acme".
    pub what: String,
    /// The listing command to suggest on 404.
    pub hint: &'static str,
    pub bucket: Bucket,
    pub safety: Safety,
}

impl Req {
    pub fn new(
        method: Method,
        path: impl Into<String>,
        bucket: Bucket,
        scope: &'static str,
        what: impl Into<String>,
    ) -> Self {
        let safety = if method == Method::POST {
            Safety::NotIdempotent
        } else {
            Safety::Idempotent
        };
        Self {
            method,
            path: path.into(),
            query: Vec::new(),
            body: None,
            scope,
            what: what.into(),
            hint: "orgs list",
            bucket,
            safety,
        }
    }
    pub fn query(mut self, k: &'static str, v: impl ToString) -> Self {
        self.query.push((k, v.to_string()));
        self
    }
    pub fn json(mut self, body: &impl serde::Serialize) -> Self {
        self.body = Some(serde_json::to_value(body).expect("payloads serialise"));
        self
    }
    pub fn hint(mut self, hint: &'static str) -> Self {
        self.hint = hint;
        self
    }
    pub fn idempotent(mut self) -> Self {
        self.safety = Safety::Idempotent;
        self
    }
}

/// The error for a 3xx answer to `method url`: redirects are never followed (see [`ClientBuilder::build`]).
///
/// [`ClientBuilder::build`]: super::ClientBuilder::build
pub(crate) fn redirect_error(
    what: String,
    method: &Method,
    url: &url::Url,
    status: StatusCode,
    headers: &HeaderMap,
) -> AdminError {
    let location = headers
        .get(reqwest::header::LOCATION)
        .map(|l| {
            String::from_utf8_lossy(l.as_bytes())
                .chars()
                .take(300)
                .collect()
        })
        .unwrap_or_else(|| "(no Location)".to_owned());
    AdminError::Redirect {
        what,
        request: format!("{method} {url}"),
        status: status.as_u16(),
        location,
    }
}

pub(super) fn parse_error(body: &[u8]) -> Auth0ErrorBody {
    serde_json::from_slice(body).unwrap_or_default()
}

pub(super) fn map_client_error(req: &Req, status: StatusCode, body: &[u8]) -> AdminError {
    let e = parse_error(body);
    let message = e
        .message
        .clone()
        .unwrap_or_else(|| String::from_utf8_lossy(body).chars().take(300).collect());
    let code = e.error_code.clone().or(e.error.clone()).unwrap_or_default();
    match status.as_u16() {
        403 if code == "insufficient_scope"
            || message.to_lowercase().contains("insufficient scope") =>
        {
            AdminError::InsufficientScope {
                what: req.what.clone(),
                scope: scope_from_message(&message).unwrap_or_else(|| req.scope.to_owned()),
            }
        }
        404 => AdminError::NotFound {
            what: req.what.clone(),
            message,
            hint: req.hint,
        },
        409 => AdminError::Conflict {
            what: req.what.clone(),
            message,
        },
        400 if code == "invalid_paging" => AdminError::Api {
            what: req.what.clone(),
            status: 400,
            error_code: code,
            message: format!("{message} (past 1000 results use checkpoint paging: from/take)"),
        },
        s => AdminError::Api {
            what: req.what.clone(),
            status: s,
            error_code: code,
            message,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req() -> Req {
        Req::new(
            Method::POST,
            "organizations",
            Bucket::WriteOrganizations,
            "create:organizations",
            "creating organization acme",
        )
    }

    #[test]
    fn errors_map_to_what_to_do() {
        // The scope from Auth0's message, or (when the message names none) the one the request needs.
        let forbidden: [&[u8]; 2] = [
            br#"{"statusCode":403,"error":"Forbidden","message":"Insufficient scope, expected any of: create:organizations","errorCode":"insufficient_scope"}"#,
            br#"{"errorCode":"insufficient_scope","message":"nope"}"#,
        ];
        for body in forbidden {
            let e = map_client_error(&req(), StatusCode::FORBIDDEN, body);
            assert!(
                matches!(&e, AdminError::InsufficientScope { scope, .. } if scope == "create:organizations"),
                "{e}"
            );
        }
        let e = map_client_error(
            &req(),
            StatusCode::CONFLICT,
            br#"{"statusCode":409,"error":"Conflict","message":"An organization with this name already exists.","errorCode":"organization_conflict"}"#,
        );
        assert_eq!(
            e.to_string(),
            "creating organization acme: it already exists (409: An organization with this name already exists.); pick another name, or change the existing one instead"
        );
        let e = map_client_error(
            &req(),
            StatusCode::BAD_REQUEST,
            br#"{"errorCode":"invalid_paging","message":"Paging beyond 1000"}"#,
        );
        assert!(e.to_string().contains("checkpoint paging"), "{e}");
        let e = map_client_error(&req(), StatusCode::NOT_FOUND, b"not json");
        assert!(matches!(e, AdminError::NotFound { .. }));
    }
}
