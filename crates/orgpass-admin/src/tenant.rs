//! Where the tenant is: `--domain` parsed into the base URL, the token endpoint and the Management API audience.

use std::net::IpAddr;

use url::Url;

/// A tenant's addresses. For Auth0, `--domain tenant.eu.auth0.com` gives `https://tenant.eu.auth0.com/`;
/// plain `http://` is accepted only for loopback hosts (a local devtenant).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tenant {
    base: Url,
    audience: String,
}

/// A `--domain` we refuse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TenantError {
    #[error("--domain {0:?} is not a host name or URL; pass e.g. `your-tenant.eu.auth0.com`")]
    Unparseable(String),
    #[error(
        "--domain {0:?} uses http:// on a non-loopback host; Auth0 tenants are https only (http is allowed for \
         127.0.0.1 / [::1] devtenants)"
    )]
    InsecureHost(String),
    #[error(
        "--domain {0:?} must not carry a path, query or credentials; pass only the host (and port)"
    )]
    HasPath(String),
}

impl Tenant {
    /// Parses `--domain`: a bare host (`tenant.auth0.com`), `https://host[:port]`, or `http://127.0.0.1:PORT`.
    pub fn parse(domain: &str) -> Result<Self, TenantError> {
        let domain = domain.trim();
        let with_scheme = if domain.contains("://") {
            domain.to_owned()
        } else {
            format!("https://{}", domain.trim_end_matches('/'))
        };
        let mut base =
            Url::parse(&with_scheme).map_err(|_| TenantError::Unparseable(domain.to_owned()))?;
        if base.host_str().is_none_or(str::is_empty) {
            return Err(TenantError::Unparseable(domain.to_owned()));
        }
        if (base.path() != "/" && !base.path().is_empty())
            || base.query().is_some()
            || base.fragment().is_some()
            || !base.username().is_empty()
            || base.password().is_some()
        {
            return Err(TenantError::HasPath(domain.to_owned()));
        }
        match base.scheme() {
            "https" => {}
            "http" if is_loopback(&base) => {}
            "http" => return Err(TenantError::InsecureHost(domain.to_owned())),
            _ => return Err(TenantError::Unparseable(domain.to_owned())),
        }
        base.set_path("/");
        let audience = format!("{base}api/v2/");
        Ok(Self { base, audience })
    }

    /// Overrides the Management API audience (default `{base}api/v2/`, i.e. `https://{domain}/api/v2/`).
    pub fn with_audience(mut self, audience: impl Into<String>) -> Self {
        self.audience = audience.into();
        self
    }

    /// `https://{domain}/`.
    pub fn base(&self) -> &Url {
        &self.base
    }

    /// `https://{domain}/oauth/token`.
    pub fn token_url(&self) -> Url {
        self.base.join("oauth/token").expect("static path")
    }

    /// `https://{domain}/api/v2/` + `path`.
    pub fn api_url(&self, path: &str) -> Url {
        self.base
            .join("api/v2/")
            .and_then(|u| u.join(path.trim_start_matches('/')))
            .expect("escaped path")
    }

    /// The audience asked for in client credentials.
    pub fn audience(&self) -> &str {
        &self.audience
    }

    /// A local development tenant (devtenant): its host is a loopback IP address (`127.0.0.1`, `[::1]`).
    /// Auth0 tenants never are.
    pub fn is_loopback(&self) -> bool {
        is_loopback(&self.base)
    }

    /// A stable key for keychain entries: `scheme://host[:port]`.
    pub fn key(&self) -> String {
        self.base.as_str().trim_end_matches('/').to_owned()
    }
}

fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Ipv4(ip)) => IpAddr::V4(ip).is_loopback(),
        Some(url::Host::Ipv6(ip)) => IpAddr::V6(ip).is_loopback(),
        _ => false,
    }
}

/// Percent-encodes one path segment (ids and names are user input).
pub(crate) fn seg(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes())
        .collect::<String>()
        .replace('+', "%20")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn domains() {
        let t = Tenant::parse("acme.eu.auth0.com").unwrap();
        assert_eq!(t.base().as_str(), "https://acme.eu.auth0.com/");
        assert_eq!(t.audience(), "https://acme.eu.auth0.com/api/v2/");
        assert_eq!(
            t.token_url().as_str(),
            "https://acme.eu.auth0.com/oauth/token"
        );
        assert_eq!(
            t.api_url("organizations").as_str(),
            "https://acme.eu.auth0.com/api/v2/organizations"
        );
        assert_eq!(t.key(), "https://acme.eu.auth0.com");

        assert!(!t.is_loopback());

        let d = Tenant::parse("http://127.0.0.1:4545").unwrap();
        assert_eq!(d.audience(), "http://127.0.0.1:4545/api/v2/");
        assert!(d.is_loopback());
        assert!(Tenant::parse("http://[::1]:4545/").is_ok());
        assert!(Tenant::parse("https://acme.auth0.com/").is_ok());

        let rows = [
            (
                "http://acme.auth0.com",
                TenantError::InsecureHost("http://acme.auth0.com".into()),
            ),
            (
                "http://localhost:4545",
                TenantError::InsecureHost("http://localhost:4545".into()),
            ),
            (
                "http://10.0.0.1:80",
                TenantError::InsecureHost("http://10.0.0.1:80".into()),
            ),
            (
                "https://acme.auth0.com/api",
                TenantError::HasPath("https://acme.auth0.com/api".into()),
            ),
            (
                "ftp://acme.auth0.com",
                TenantError::Unparseable("ftp://acme.auth0.com".into()),
            ),
            ("", TenantError::Unparseable(String::new())),
        ];
        for (input, err) in rows {
            assert_eq!(Tenant::parse(input), Err(err), "{input:?}");
        }
    }

    #[test]
    fn segments_are_escaped() {
        assert_eq!(seg("auth0|abc def"), "auth0%7Cabc%20def");
        assert_eq!(seg("../x"), "..%2Fx");
    }
}
