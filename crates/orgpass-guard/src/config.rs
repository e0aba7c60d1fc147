//! What the guard checks tokens against: the issuer (and any other issuers the API is served under, each an
//! [`Issuer`]), the API identifier (audience), where the keys come from, whether applications may call, the
//! clock-skew leeway and the JWKS cache's timings. Checked when built, so a bad setting fails at start-up.

use std::net::IpAddr;
use std::time::Duration;

use url::Url;

/// The clock-skew leeway used when none is configured.
pub const DEFAULT_LEEWAY: Duration = Duration::from_secs(60);

/// The largest leeway accepted; a larger one is lowered to this (a token expired for minutes is expired).
pub const MAX_LEEWAY: Duration = orgpass_jose::access::MAX_LEEWAY;

/// Minimum time between two JWKS refetches caused by tokens naming an unknown `kid`.
pub const DEFAULT_REFETCH_INTERVAL: Duration = orgpass_jose::CachePolicy::DEFAULT.refetch_interval;

/// How long fetched keys are used when the JWKS response says nothing (`Cache-Control: max-age`) about it.
pub const DEFAULT_MAX_AGE: Duration = orgpass_jose::CachePolicy::DEFAULT.default_max_age;

/// The bounds put on a JWKS response's `max-age`: fetched at most once a minute, and a key the tenant removed
/// is dropped within the hour whatever the response said.
pub const MAX_AGE_BOUNDS: (Duration, Duration) = orgpass_jose::CachePolicy::DEFAULT.max_age_bounds;

/// The largest discovery document or JWKS accepted (real ones are a few KiB).
pub use orgpass_jose::MAX_DOCUMENT_BYTES;

/// Why a guard configuration was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    #[error(
        "the issuer `{0}` is not a URL; use the tenant's issuer, e.g. https://TENANT.auth0.com/"
    )]
    IssuerNotUrl(String),
    #[error(
        "the issuer `{0}` is not https; plain http is allowed only for a loopback issuer (127.0.0.0/8 or [::1], \
         a local test tenant)"
    )]
    InsecureIssuer(String),
    #[error("the API identifier (audience) is empty; use the identifier of the API in the tenant")]
    EmptyAudience,
    #[error(
        "the JWKS URL `{0}` is not an https URL (http only on loopback, and only for a loopback http issuer)"
    )]
    InsecureJwksUrl(String),
    #[error("could not build the HTTP client for the issuer's keys: {0}")]
    Http(String),
    #[error(
        "the API's external URL `{0}` is not an http(s) origin such as https://api.example.com (DPoP proofs name \
         the URL clients reach the API at, which the guard cannot learn from the request)"
    )]
    ExternalUrl(String),
}

/// Whether the API takes DPoP-bound tokens (RFC 9449) and whether it takes anything else.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum DpopMode {
    /// Bearer tokens only; a request with the DPoP scheme is refused as carrying no token (and a token bound to a
    /// key is refused as Bearer anyway).
    #[default]
    Off,
    /// Bearer tokens, and DPoP-bound tokens with their proof.
    Allowed,
    /// DPoP-bound tokens with their proof only.
    Required,
}

/// One issuer the guard takes tokens of: its `iss` exactly as tokens read, https (or http on a loopback address).
/// Its keys come from its own discovery document and its own JWKS cache.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Issuer {
    url: Url,
    text: String,
}

impl Issuer {
    /// `issuer` exactly as the tokens' `iss` reads (Auth0: `https://TENANT.auth0.com/` or a custom domain
    /// `https://login.acme.example/`, with the slash): https, or http only on a loopback address.
    pub fn parse(issuer: &str) -> Result<Self, ConfigError> {
        let url = Url::parse(issuer).map_err(|_| ConfigError::IssuerNotUrl(issuer.to_owned()))?;
        if !url.has_host() {
            return Err(ConfigError::IssuerNotUrl(issuer.to_owned()));
        }
        if !(url.scheme() == "https" || url.scheme() == "http" && is_loopback(&url)) {
            return Err(ConfigError::InsecureIssuer(issuer.to_owned()));
        }
        Ok(Self {
            url,
            text: issuer.to_owned(),
        })
    }

    /// The issuer as configured (what `iss` must equal).
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// `{issuer}/.well-known/openid-configuration`.
    pub fn discovery_url(&self) -> Url {
        let base = self.text.trim_end_matches('/');
        Url::parse(&format!("{base}/.well-known/openid-configuration"))
            .expect("a valid issuer gives a valid discovery URL")
    }

    /// Whether the guard may fetch this issuer's documents from `url`: https always; http only on loopback for a
    /// loopback http issuer.
    pub fn endpoint_allowed(&self, url: &Url) -> bool {
        url.scheme() == "https"
            || url.scheme() == "http" && self.url.scheme() == "http" && is_loopback(url)
    }
}

/// The guard's settings. Build with [`GuardConfig::new`], then adjust with the `with_*` methods.
#[derive(Debug, Clone)]
pub struct GuardConfig {
    issuer: Issuer,
    /// Issuers besides `issuer` (the API under several custom domains), in the order configured.
    also: Vec<Issuer>,
    audience: String,
    people_only: bool,
    jwks_url: Option<Url>,
    leeway: Duration,
    realm: String,
    refetch_interval: Duration,
    default_max_age: Duration,
    ca: Option<orgpass_net::CaBundle>,
    dpop: DpopMode,
    external_url: Option<Url>,
    remembered_tokens: usize,
}

impl GuardConfig {
    /// `issuer` exactly as the tokens' `iss` reads (Auth0: `https://TENANT.auth0.com/`, with the slash);
    /// `audience` is the API identifier (e.g. `https://api.orgpass.example/`). The keys come from the issuer's
    /// discovery document unless [`with_jwks_url`](Self::with_jwks_url) names them.
    pub fn new(issuer: &str, audience: &str) -> Result<Self, ConfigError> {
        let issuer = Issuer::parse(issuer)?;
        if audience.trim().is_empty() {
            return Err(ConfigError::EmptyAudience);
        }
        Ok(Self {
            issuer,
            also: Vec::new(),
            audience: audience.to_owned(),
            people_only: false,
            jwks_url: None,
            leeway: DEFAULT_LEEWAY,
            realm: header_safe(audience),
            refetch_interval: DEFAULT_REFETCH_INTERVAL,
            default_max_age: DEFAULT_MAX_AGE,
            ca: None,
            dpop: DpopMode::Off,
            external_url: None,
            remembered_tokens: orgpass_jose::memo::DEFAULT_CAPACITY,
        })
    }

    /// Take tokens of `issuer` too, checked exactly as the main issuer's (an API served under several custom
    /// domains: each is its own `iss`, with its own discovery and keys). Validated as [`GuardConfig::new`]'s
    /// issuer. A token is checked against the issuer its `iss` names only if that issuer is listed; an issuer
    /// listed twice counts once. [`with_jwks_url`](Self::with_jwks_url) names the main issuer's keys only.
    pub fn with_issuer(mut self, issuer: &str) -> Result<Self, ConfigError> {
        let issuer = Issuer::parse(issuer)?;
        if !self.issuers().any(|i| *i == issuer) {
            self.also.push(issuer);
        }
        Ok(self)
    }

    /// Every issuer whose tokens are taken: the main one first, then those of
    /// [`with_issuer`](Self::with_issuer) in order.
    pub fn issuers(&self) -> impl Iterator<Item = &Issuer> {
        std::iter::once(&self.issuer).chain(&self.also)
    }

    /// Refuse tokens that applications got with client credentials (Auth0's machine-to-machine tokens for an
    /// organization, `gty` `client-credentials`): this API serves people only. Off by default: such a token is
    /// taken under the same organization rule as a person's, and [`Claims::caller`](crate::Claims::caller) says
    /// which it is.
    pub fn with_people_only(mut self, on: bool) -> Self {
        self.people_only = on;
        self
    }

    /// Whether applications' tokens are refused (see [`with_people_only`](Self::with_people_only)).
    pub fn people_only(&self) -> bool {
        self.people_only
    }

    /// Take DPoP-bound tokens as `mode` says. `external_url` is the origin clients reach this API at (scheme,
    /// host, port: `https://api.example.com`), which each proof's `htu` must name with the request's path:
    /// behind a TLS-terminating proxy the guard sees neither, and never trusts `X-Forwarded-*` or `Host` for them.
    pub fn with_dpop(mut self, mode: DpopMode, external_url: &str) -> Result<Self, ConfigError> {
        let url = Url::parse(external_url)
            .ok()
            .filter(|u| matches!(u.scheme(), "https" | "http") && u.has_host())
            .ok_or_else(|| ConfigError::ExternalUrl(external_url.to_owned()))?;
        self.dpop = mode;
        self.external_url = Some(url);
        Ok(self)
    }

    /// Whether DPoP-bound tokens are taken.
    pub fn dpop(&self) -> DpopMode {
        self.dpop
    }

    /// The URL a request to `path` was made to, as its DPoP proof must name it: the configured external origin
    /// and the request's path (no query: `htu` has none).
    pub fn request_url(&self, path: &str) -> Option<Url> {
        let mut url = self.external_url.clone()?;
        url.set_path(path);
        url.set_query(None);
        url.set_fragment(None);
        Some(url)
    }

    /// Trust these CA certificates besides the operating system's trust store when fetching the keys (a
    /// company CA in front of the issuer).
    pub fn with_ca(mut self, ca: orgpass_net::CaBundle) -> Self {
        self.ca = Some(ca);
        self
    }

    /// The CA certificates trusted besides the system's, if any.
    pub fn ca(&self) -> Option<&orgpass_net::CaBundle> {
        self.ca.as_ref()
    }

    /// Fetch the keys from this JWKS URL instead of the one the issuer's discovery document names. It must be
    /// https, or loopback http when the issuer itself is a loopback http issuer.
    pub fn with_jwks_url(mut self, url: &str) -> Result<Self, ConfigError> {
        let parsed = Url::parse(url).map_err(|_| ConfigError::InsecureJwksUrl(url.to_owned()))?;
        if !self.endpoint_allowed(&parsed) {
            return Err(ConfigError::InsecureJwksUrl(url.to_owned()));
        }
        self.jwks_url = Some(parsed);
        Ok(self)
    }

    /// The clock-skew leeway for `exp`, `nbf` and `iat` (default 60 s), lowered to [`MAX_LEEWAY`] if above it.
    pub fn with_leeway(mut self, leeway: Duration) -> Self {
        self.leeway = leeway.min(MAX_LEEWAY);
        self
    }

    /// How many verified tokens to remember, so a token presented again skips its signature check (every claim is
    /// still checked every time; default 10,000; 0 verifies every token every time).
    pub fn with_remembered_tokens(mut self, capacity: usize) -> Self {
        self.remembered_tokens = capacity;
        self
    }

    /// How many verified tokens are remembered (see [`with_remembered_tokens`](Self::with_remembered_tokens)).
    pub fn remembered_tokens(&self) -> usize {
        self.remembered_tokens
    }

    /// The `realm` of the `WWW-Authenticate` challenges (default: the API identifier). Characters a quoted
    /// header value cannot hold are replaced.
    pub fn with_realm(mut self, realm: &str) -> Self {
        self.realm = header_safe(realm);
        self
    }

    /// The minimum time between two refetches caused by an unknown `kid` (default 30 s, at least 1 s).
    pub fn with_refetch_interval(mut self, interval: Duration) -> Self {
        self.refetch_interval = interval.max(Duration::from_secs(1));
        self
    }

    /// How long keys are kept when the JWKS response has no `Cache-Control: max-age` (default 10 min), within
    /// [`MAX_AGE_BOUNDS`].
    pub fn with_default_max_age(mut self, max_age: Duration) -> Self {
        self.default_max_age = max_age.clamp(MAX_AGE_BOUNDS.0, MAX_AGE_BOUNDS.1);
        self
    }

    /// The main issuer as configured (what `iss` must equal, unless it names another listed issuer).
    pub fn issuer(&self) -> &str {
        self.issuer.as_str()
    }

    /// The main issuer.
    pub fn main_issuer(&self) -> &Issuer {
        &self.issuer
    }

    /// The API identifier `aud` must contain.
    pub fn audience(&self) -> &str {
        &self.audience
    }

    /// The configured JWKS URL, if any.
    pub fn jwks_url(&self) -> Option<&Url> {
        self.jwks_url.as_ref()
    }

    pub fn leeway(&self) -> Duration {
        self.leeway
    }

    pub fn realm(&self) -> &str {
        &self.realm
    }

    pub fn refetch_interval(&self) -> Duration {
        self.refetch_interval
    }

    pub fn default_max_age(&self) -> Duration {
        self.default_max_age
    }

    /// The main issuer's `{issuer}/.well-known/openid-configuration`.
    pub fn discovery_url(&self) -> Url {
        self.issuer.discovery_url()
    }

    /// Whether the guard may fetch the main issuer's documents from `url`: https always; http only on loopback for
    /// a loopback http issuer.
    pub fn endpoint_allowed(&self, url: &Url) -> bool {
        self.issuer.endpoint_allowed(url)
    }
}

/// Loopback means an address in 127.0.0.0/8 or `[::1]`; the name `localhost` does not count (it can resolve
/// elsewhere).
pub(crate) fn is_loopback(url: &Url) -> bool {
    let Some(host) = url.host_str() else {
        return false;
    };
    host.trim_start_matches('[')
        .trim_end_matches(']')
        .parse::<IpAddr>()
        .is_ok_and(|ip| ip.is_loopback())
}

/// `s` made safe for a quoted-string header value (the token core's rule).
pub(crate) use orgpass_jose::access::header_safe;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn issuers() {
        // (issuer, accepted)
        let rows = [
            ("https://acme.eu.auth0.com/", true),
            ("http://127.0.0.1:4000/", true),
            ("http://127.9.9.9:4000/", true),
            ("http://[::1]:4000/", true),
            ("http://localhost:4000/", false),
            ("http://acme.eu.auth0.com/", false),
            ("ftp://127.0.0.1/", false),
            ("not a url", false),
        ];
        for (issuer, ok) in rows {
            assert_eq!(
                GuardConfig::new(issuer, "https://api.example/").is_ok(),
                ok,
                "{issuer}"
            );
        }
        assert_eq!(
            GuardConfig::new("https://acme.eu.auth0.com/", " ").unwrap_err(),
            ConfigError::EmptyAudience
        );
    }

    #[test]
    fn jwks_urls() {
        let https = GuardConfig::new("https://acme.eu.auth0.com/", "a").unwrap();
        let local = GuardConfig::new("http://127.0.0.1:4000/", "a").unwrap();
        // (config, JWKS URL, accepted)
        let rows = [
            (
                &https,
                "https://acme.eu.auth0.com/.well-known/jwks.json",
                true,
            ),
            (&https, "http://127.0.0.1:4000/jwks", false),
            (&https, "http://acme.eu.auth0.com/jwks", false),
            (&local, "http://127.0.0.1:4001/jwks", true),
            (&local, "https://keys.example/jwks", true),
            (&local, "http://localhost:4000/jwks", false),
            (&local, "http://evil.example/jwks", false),
        ];
        for (config, url, ok) in rows {
            assert_eq!(
                config.clone().with_jwks_url(url).is_ok(),
                ok,
                "{} with {url}",
                config.issuer()
            );
        }
    }

    #[test]
    fn more_issuers() {
        let c = GuardConfig::new("https://acme.eu.auth0.com/", "a").unwrap();
        // (another issuer, accepted)
        let rows = [
            ("https://login.acme.example/", true),
            ("http://127.0.0.1:4001/", true),
            ("http://localhost:4001/", false),
            ("http://login.acme.example/", false),
            ("login.acme.example", false),
        ];
        for (issuer, ok) in rows {
            assert_eq!(c.clone().with_issuer(issuer).is_ok(), ok, "{issuer}");
        }
        let c = c
            .with_issuer("https://login.acme.example/")
            .and_then(|c| c.with_issuer("https://acme.eu.auth0.com/"))
            .and_then(|c| c.with_issuer("https://login.acme.example/"))
            .and_then(|c| c.with_issuer("http://127.0.0.1:4001/"))
            .unwrap();
        let listed: Vec<&str> = c.issuers().map(Issuer::as_str).collect();
        assert_eq!(
            listed,
            [
                "https://acme.eu.auth0.com/",
                "https://login.acme.example/",
                "http://127.0.0.1:4001/"
            ]
        );
        // Each issuer's own endpoint rule: http on loopback only for the loopback http issuer.
        let loopback = Url::parse("http://127.0.0.1:4001/jwks").unwrap();
        let rules: Vec<bool> = c.issuers().map(|i| i.endpoint_allowed(&loopback)).collect();
        assert_eq!(rules, [false, false, true]);
    }

    #[test]
    fn bounds_and_defaults() {
        let c = GuardConfig::new("https://acme.eu.auth0.com/", "https://api.example/").unwrap();
        assert_eq!(c.leeway(), Duration::from_secs(60));
        assert_eq!(c.refetch_interval(), Duration::from_secs(30));
        assert_eq!(c.default_max_age(), Duration::from_secs(600));
        assert_eq!(c.realm(), "https://api.example/");
        assert_eq!(
            c.discovery_url().as_str(),
            "https://acme.eu.auth0.com/.well-known/openid-configuration"
        );
        let c = c
            .with_leeway(Duration::from_secs(3600))
            .with_refetch_interval(Duration::ZERO)
            .with_default_max_age(Duration::from_secs(1))
            .with_realm("a \"quoted\"\\ realm\n");
        assert_eq!(c.leeway(), MAX_LEEWAY);
        assert_eq!(c.refetch_interval(), Duration::from_secs(1));
        assert_eq!(c.default_max_age(), Duration::from_secs(60));
        assert_eq!(c.realm(), "a ?quoted?? realm?");
    }
}
