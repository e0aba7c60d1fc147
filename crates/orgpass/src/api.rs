//! Calling the company's API with a session's access token: the one place a token is sent to a resource server.
//!
//! The token goes only to the configured API ([`ApiBase`], `api_url`): a path is resolved under it, a full URL
//! must be inside it (same scheme, host, port and path prefix), and redirects are never followed. A 401 is retried
//! once with a refreshed token (the API may have seen a token revoked or expired early); any other status is the
//! caller's to show.

use std::time::Duration;

use url::Url;

use crate::client::{Client, TokenError};
use crate::session::SessionKey;

/// Largest response body read from the API (10 MiB); a larger one is [`ApiError::TooLarge`].
pub const MAX_BODY: usize = 10 * 1024 * 1024;

/// The base URL of the company's API, parsed once: `https://…`, or `http://` only on loopback; no query or
/// fragment; the path always ends with `/`. `localhost` is not loopback here (it can resolve elsewhere).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiBase(Url);

/// An HTTP method the API can be called with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Get,
    Post,
    Put,
    Patch,
    Delete,
}

/// One request to the API: `target` is a path under [`ApiBase`] (`projects`, `/projects`) or a full URL inside
/// it; `body` is sent as JSON.
#[derive(Debug, Clone)]
pub struct ApiRequest {
    pub method: Method,
    pub target: String,
    pub body: Option<String>,
}

/// What the API answered. Any status is a response; the caller decides what a non-2xx means.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiResponse {
    /// The URL the request went to.
    pub url: String,
    pub status: u16,
    pub content_type: Option<String>,
    /// `WWW-Authenticate` on a 401/403 (RFC 6750 `error="…"`), to say why the API refused.
    pub www_authenticate: Option<String>,
    pub body: String,
}

/// Why a call to the API did not get a response.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error(
        "no API is configured: set `api_url` (the base URL of your company's API) in the config file, or \
         ORGPASS_API_URL"
    )]
    NoApiUrl,
    #[error(
        "`{0}` is not a usable API URL: it must be https:// (http:// only for 127.0.0.1 or [::1]), \
         without a query or fragment"
    )]
    BadApiUrl(String),
    #[error(
        "no API audience is configured: set `audience` (the API's identifier) next to `api_url`, so the token \
         is only sent to the API it was issued for"
    )]
    NoAudience,
    #[error(
        "the API `{0}` has no `url` in its [[apis]] table, so requests cannot be sent to it; add its base URL \
         (tokens for it work without one: `orgpass token --api {0}`)"
    )]
    NoUrlFor(String),
    #[error(
        "`{target}` is outside the configured API {base}; the access token is only ever sent to that API, so \
         give a path under it"
    )]
    OutsideApi { target: String, base: String },
    #[error("`{0}` is not an HTTP method orgpass sends; use GET, POST, PUT, PATCH or DELETE")]
    BadMethod(String),
    #[error("the request body is not JSON ({0}); `-d` takes a JSON document")]
    BadBody(String),
    #[error(
        "this session's access token is for {has}, not for the API {wants}; sign in again with `--audience \
         {wants}` (Auth0 issues a token for one API per sign-in)"
    )]
    WrongAudience { has: String, wants: String },
    #[error(transparent)]
    Token(#[from] TokenError),
    #[error("the API at {url} could not be reached: {source}")]
    Unreachable {
        url: String,
        source: orgpass_net::NetError,
    },
    #[error("the API at {url} did not answer within {secs} s; try again later")]
    TimedOut { url: String, secs: u64 },
    #[error("the API's answer from {url} is larger than {MAX_BODY} bytes; ask for less (paging)")]
    TooLarge { url: String },
}

impl ApiResponse {
    /// The status's reason phrase ("Forbidden"), empty for a status without one.
    pub fn status_text(&self) -> &'static str {
        reqwest::StatusCode::from_u16(self.status)
            .ok()
            .and_then(|s| s.canonical_reason())
            .unwrap_or("")
    }

    /// Why the API refused, in its own words: RFC 6750 `WWW-Authenticate` (`error: error_description`), else the
    /// JSON body's `error_description`, `message` or `error`.
    pub fn reason(&self) -> Option<String> {
        if let Some(h) = &self.www_authenticate {
            let attr = |name: &str| {
                let start = h.find(&format!("{name}=\""))? + name.len() + 2;
                let end = h[start..].find('"')? + start;
                Some(h[start..end].to_owned())
            };
            match (attr("error"), attr("error_description")) {
                (Some(e), Some(d)) => return Some(format!("{e}: {d}")),
                (Some(e), None) => return Some(e),
                _ => {}
            }
        }
        let json: serde_json::Value = serde_json::from_str(&self.body).ok()?;
        ["error_description", "message", "error"]
            .iter()
            .find_map(|k| json.get(*k).and_then(|v| v.as_str()).map(str::to_owned))
    }
}

impl ApiBase {
    /// Parse and check a base URL.
    pub fn parse(text: &str) -> Result<Self, ApiError> {
        let bad = || ApiError::BadApiUrl(text.to_owned());
        let mut url = Url::parse(text.trim()).map_err(|_| bad())?;
        let loopback = url.host_str().is_some_and(crate::config::is_loopback_host);
        let scheme_ok = url.scheme() == "https" || (url.scheme() == "http" && loopback);
        if !scheme_ok
            || url.query().is_some()
            || url.fragment().is_some()
            || !url.username().is_empty()
            || url.password().is_some()
        {
            return Err(bad());
        }
        if !url.path().ends_with('/') {
            let path = format!("{}/", url.path());
            url.set_path(&path);
        }
        Ok(Self(url))
    }

    /// The base URL, ending in `/`.
    pub fn url(&self) -> &Url {
        &self.0
    }

    /// The URL a request for `target` goes to: a path is resolved under the base (a leading `/` is relative to
    /// the base, not the host); a full URL must lie inside the base. `..` cannot climb out of it.
    pub fn resolve(&self, target: &str) -> Result<Url, ApiError> {
        let target = target.trim();
        let outside = || ApiError::OutsideApi {
            target: target.to_owned(),
            base: self.0.to_string(),
        };
        let url = if target.contains("://") {
            Url::parse(target).map_err(|_| outside())?
        } else {
            self.0
                .join(target.trim_start_matches('/'))
                .map_err(|_| outside())?
        };
        let same_origin = url.scheme() == self.0.scheme()
            && url.host() == self.0.host()
            && url.port_or_known_default() == self.0.port_or_known_default();
        let inside =
            url.path().starts_with(self.0.path()) || format!("{}/", url.path()) == self.0.path();
        if !same_origin || !inside || !url.username().is_empty() || url.password().is_some() {
            return Err(outside());
        }
        Ok(url)
    }
}

impl std::str::FromStr for Method {
    type Err = ApiError;

    fn from_str(s: &str) -> Result<Self, ApiError> {
        match s.to_ascii_uppercase().as_str() {
            "GET" => Ok(Self::Get),
            "POST" => Ok(Self::Post),
            "PUT" => Ok(Self::Put),
            "PATCH" => Ok(Self::Patch),
            "DELETE" => Ok(Self::Delete),
            _ => Err(ApiError::BadMethod(s.to_owned())),
        }
    }
}

impl Method {
    fn as_reqwest(self) -> reqwest::Method {
        match self {
            Self::Get => reqwest::Method::GET,
            Self::Post => reqwest::Method::POST,
            Self::Put => reqwest::Method::PUT,
            Self::Patch => reqwest::Method::PATCH,
            Self::Delete => reqwest::Method::DELETE,
        }
    }
}

impl Client {
    /// Send `request` to the configured API (`api_url`) with the session's access token (refreshed when due;
    /// once more after a 401). The session must have been signed in for the configured `audience`, which must be
    /// set.
    pub async fn call_api(
        &self,
        key: &SessionKey,
        request: &ApiRequest,
    ) -> Result<ApiResponse, ApiError> {
        let config = self.config();
        let base = config.api_url.clone().ok_or(ApiError::NoApiUrl)?;
        // The token goes only to the API it was issued for: without a configured audience there is no telling.
        let wants = config.audience.as_deref().ok_or(ApiError::NoAudience)?;
        self.call_api_on(
            key,
            &crate::resources::Api::signed_in(wants, Some(base)),
            request,
        )
        .await
    }

    /// Send `request` to `api` with an access token for it: the sign-in's for the sign-in's API, otherwise one
    /// from the session's refresh token for `api`'s audience ([`Client::token_for`]).
    pub async fn call_api_on(
        &self,
        key: &SessionKey,
        api: &crate::resources::Api,
        request: &ApiRequest,
    ) -> Result<ApiResponse, ApiError> {
        let base = api
            .url
            .as_ref()
            .ok_or_else(|| ApiError::NoUrlFor(api.name.clone()))?;
        let url = base.resolve(&request.target)?;
        if let Some(body) = &request.body {
            serde_json::from_str::<serde_json::Value>(body)
                .map_err(|e| ApiError::BadBody(e.to_string()))?;
        }
        let signed_in_api = api.name == crate::resources::DEFAULT_API;
        let token_for = |force: bool| async move {
            if signed_in_api {
                self.token_with(key, force).await
            } else {
                self.token_for(key, api, force).await
            }
        };
        let mut token = token_for(false).await?;
        if token.audience.as_deref() != Some(api.audience.as_str()) {
            return Err(ApiError::WrongAudience {
                has: token
                    .audience
                    .clone()
                    .unwrap_or_else(|| "the sign-in only (no API audience)".into()),
                wants: api.audience.clone(),
            });
        }
        let mut retried = false;
        let mut nonce_retried = false;
        loop {
            let dpop = crate::dpop::load(token.dpop_key.as_ref())
                .map_err(|reason| ApiError::Token(TokenError::SignInAgain { reason }))?
                .map(|k| self.binding(std::sync::Arc::new(k)));
            let (response, asked_nonce) = self
                .send_api(&url, request, token.token.secret(), dpop.as_ref())
                .await?;
            // RFC 9449 §9: the API wants its nonce in the proof; the same request once more with it.
            if asked_nonce && !nonce_retried {
                nonce_retried = true;
                continue;
            }
            if response.status == 401 && !retried {
                retried = true;
                token = token_for(true).await?;
                continue;
            }
            return Ok(response);
        }
    }

    /// A DPoP proof for one request with `token`'s session key (for a tool that sends the request itself, such as
    /// curl through `orgpass token --dpop-method --dpop-url`), with the server's latest nonce if one is known.
    pub fn dpop_proof(
        &self,
        token: &crate::client::AccessToken,
        method: &str,
        url: &Url,
    ) -> Result<String, TokenError> {
        let key = crate::dpop::load(token.dpop_key.as_ref())
            .map_err(|reason| TokenError::SignInAgain { reason })?
            .ok_or(TokenError::BadResponse(
                "this session is not bound to a key (DPoP)".into(),
            ))?;
        self.binding(std::sync::Arc::new(key))
            .proof(method, url, Some(token.token.secret()))
            .ok_or(TokenError::BadResponse(
                "the operating system's random source failed; try again".into(),
            ))
    }

    /// One request; with a session's `dpop` binding the token goes in the DPoP scheme with a proof for this very
    /// request. Also says whether the API asked for a DPoP nonce (which is then kept for the next proof).
    async fn send_api(
        &self,
        url: &Url,
        request: &ApiRequest,
        token: &str,
        dpop: Option<&crate::dpop::Binding>,
    ) -> Result<(ApiResponse, bool), ApiError> {
        let mut builder = self
            .http()
            .request(request.method.as_reqwest(), url.clone())
            .header(reqwest::header::ACCEPT, "application/json");
        builder = match dpop {
            None => builder.bearer_auth(token),
            Some(binding) => {
                let method = request.method.as_reqwest();
                let proof = binding
                    .proof(method.as_str(), url, Some(token))
                    .unwrap_or_default();
                builder
                    .header(reqwest::header::AUTHORIZATION, format!("DPoP {token}"))
                    .header("dpop", proof)
            }
        };
        if let Some(body) = &request.body {
            builder = builder
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .body(body.clone());
        }
        let failed = |e: reqwest::Error| {
            if e.is_timeout() {
                ApiError::TimedOut {
                    url: url.to_string(),
                    secs: API_TIMEOUT.as_secs(),
                }
            } else {
                ApiError::Unreachable {
                    url: url.to_string(),
                    source: self.http().explain(&e),
                }
            }
        };
        let mut resp = builder.timeout(API_TIMEOUT).send().await.map_err(failed)?;
        let header = |name: reqwest::header::HeaderName| {
            resp.headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        };
        let content_type = header(reqwest::header::CONTENT_TYPE);
        let www_authenticate = header(reqwest::header::WWW_AUTHENTICATE);
        let status = resp.status().as_u16();
        let mut asked_nonce = false;
        if let (Some(binding), Some(nonce)) =
            (dpop, header("dpop-nonce".parse().expect("a header name")))
        {
            binding.nonces.set(url, &nonce);
            asked_nonce = status == 401
                && www_authenticate
                    .as_deref()
                    .is_some_and(|w| w.contains("use_dpop_nonce"));
        }
        let mut body = Vec::new();
        while let Some(chunk) = resp.chunk().await.map_err(failed)? {
            if body.len() + chunk.len() > MAX_BODY {
                return Err(ApiError::TooLarge {
                    url: url.to_string(),
                });
            }
            body.extend_from_slice(&chunk);
        }
        Ok((
            ApiResponse {
                url: url.to_string(),
                status,
                content_type,
                www_authenticate,
                body: String::from_utf8_lossy(&body).into_owned(),
            },
            asked_nonce,
        ))
    }
}

/// How long one API request may take.
const API_TIMEOUT: Duration = Duration::from_secs(30);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_urls() {
        let rows = [
            (
                "https://api.acme.example",
                Some("https://api.acme.example/"),
            ),
            (
                "https://api.acme.example/v1",
                Some("https://api.acme.example/v1/"),
            ),
            ("http://127.0.0.1:4100/", Some("http://127.0.0.1:4100/")),
            ("http://localhost:4100", None),
            ("http://[::1]:4100", Some("http://[::1]:4100/")),
            ("http://api.acme.example/", None),
            ("https://api.acme.example/?x=1", None),
            ("https://api.acme.example/#f", None),
            ("https://user:pw@api.acme.example/", None),
            ("api.acme.example", None),
            ("ftp://api.acme.example/", None),
        ];
        for (text, want) in rows {
            let got = ApiBase::parse(text).ok().map(|b| b.url().to_string());
            assert_eq!(got.as_deref(), want, "{text}");
        }
    }

    #[test]
    fn targets_stay_inside_the_api() {
        let base = ApiBase::parse("https://api.acme.example/v1").unwrap();
        let rows = [
            ("projects", Some("https://api.acme.example/v1/projects")),
            (
                "/projects?limit=5",
                Some("https://api.acme.example/v1/projects?limit=5"),
            ),
            (
                "orgs/org_A/projects",
                Some("https://api.acme.example/v1/orgs/org_A/projects"),
            ),
            (
                "https://api.acme.example/v1/me",
                Some("https://api.acme.example/v1/me"),
            ),
            (
                "https://api.acme.example/v1",
                Some("https://api.acme.example/v1"),
            ),
            ("", Some("https://api.acme.example/v1/")),
            ("../admin", None),
            ("/../../admin", None),
            ("https://api.acme.example/v2/me", None),
            ("https://api.acme.example/v10/me", None),
            ("https://evil.example/v1/me", None),
            ("http://api.acme.example/v1/me", None),
            ("https://api.acme.example:8443/v1/me", None),
            ("https://x@api.acme.example/v1/me", None),
        ];
        for (target, want) in rows {
            let got = base.resolve(target).ok().map(|u| u.to_string());
            assert_eq!(got.as_deref(), want, "{target}");
        }
    }

    #[test]
    fn methods() {
        assert_eq!("get".parse::<Method>().unwrap(), Method::Get);
        assert_eq!("PATCH".parse::<Method>().unwrap(), Method::Patch);
        assert!(matches!("TRACE".parse::<Method>(), Err(ApiError::BadMethod(m)) if m == "TRACE"));
    }
}
