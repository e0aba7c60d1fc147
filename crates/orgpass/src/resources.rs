//! The company's APIs and web apps one sign-in serves: `[[apis]]` (each with its `audience`, base `url` and
//! `scope`: access tokens for it come from the session's one refresh token, Auth0's Multi-Resource Refresh Tokens)
//! and `[[portals]]` (web apps opened already signed in, Auth0's Native to Web SSO). Parsed once, here, from the
//! settings file's tables; IT can set and lock either list as a whole.
//!
//! ```toml
//! [[apis]]
//! name = "billing"
//! audience = "https://billing.acme.example/"
//! url = "https://billing.acme.example/v1/"
//! scope = "read:invoices"
//!
//! [[portals]]
//! name = "portal"
//! login_url = "https://portal.acme.example/login"
//! ```

use serde::{Deserialize, Serialize};
use url::Url;

use crate::api::ApiBase;
use crate::config::ConfigError;

/// One `[[apis]]` table as written.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ApiEntry {
    pub name: String,
    pub audience: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
}

/// One `[[portals]]` table as written.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct PortalEntry {
    pub name: String,
    pub login_url: String,
}

/// One of the company's APIs: its token comes from the session's refresh token, for its `audience`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Api {
    /// What people type: `orgpass api --api billing /invoices`.
    pub name: String,
    /// The API's identifier at the tenant (the access token's `aud`).
    pub audience: String,
    /// Where requests go (`orgpass api`, the app); `None` for an API only tokens are asked for.
    pub url: Option<ApiBase>,
    /// The permissions asked for (space-separated); `None` asks for what the application's policy grants.
    pub scope: Option<String>,
}

/// A company web app opened already signed in, with the same organization.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Portal {
    pub name: String,
    /// The web app's login route: it starts its own `/authorize` with the session transfer token and the
    /// `organization` it is given as query parameters.
    pub login_url: Url,
}

impl Api {
    /// The API that `audience` and `api_url` describe (the one the sign-in asks for), named `default`.
    pub fn signed_in(audience: &str, url: Option<ApiBase>) -> Self {
        Self {
            name: DEFAULT_API.into(),
            audience: audience.to_owned(),
            url,
            scope: None,
        }
    }
}

/// The name of the API that `audience` and `api_url` configure.
pub const DEFAULT_API: &str = "default";

/// `[[apis]]` checked: names usable on a command line and unique, an audience each, base URLs usable.
pub fn apis(entries: &[ApiEntry]) -> Result<Vec<Api>, ConfigError> {
    let mut out: Vec<Api> = Vec::with_capacity(entries.len());
    for e in entries {
        let name = checked_name(&e.name, "apis")?;
        if out.iter().any(|a| a.name == name) || name == DEFAULT_API {
            return Err(ConfigError::BadResource {
                list: "apis",
                name,
                reason: "the name is used twice (`default` is the API of `audience` and `api_url`)"
                    .into(),
            });
        }
        let audience = e.audience.trim();
        if audience.is_empty() {
            return Err(ConfigError::BadResource {
                list: "apis",
                name,
                reason: "`audience` is empty: give the API's identifier at the tenant".into(),
            });
        }
        let url = match e.url.as_deref().map(str::trim).filter(|u| !u.is_empty()) {
            Some(u) => Some(ApiBase::parse(u).map_err(|_| ConfigError::BadResource {
                list: "apis",
                name: name.clone(),
                reason: format!(
                    "`url` {u} is not usable: give the API's base URL, https:// (http:// only on 127.0.0.1 or \
                     [::1]), without a query"
                ),
            })?),
            None => None,
        };
        let scope = e
            .scope
            .as_deref()
            .map(|s| s.split_whitespace().collect::<Vec<_>>().join(" "))
            .filter(|s| !s.is_empty());
        out.push(Api {
            name,
            audience: audience.to_owned(),
            url,
            scope,
        });
    }
    Ok(out)
}

/// `[[portals]]` checked: unique names, a login URL that is https:// (http:// on loopback) without a fragment.
pub fn portals(entries: &[PortalEntry]) -> Result<Vec<Portal>, ConfigError> {
    let mut out: Vec<Portal> = Vec::with_capacity(entries.len());
    for e in entries {
        let name = checked_name(&e.name, "portals")?;
        if out.iter().any(|p| p.name == name) {
            return Err(ConfigError::BadResource {
                list: "portals",
                name,
                reason: "the name is used twice".into(),
            });
        }
        let bad = || ConfigError::BadResource {
            list: "portals",
            name: name.clone(),
            reason: format!(
                "`login_url` {} is not usable: give the web app's login address, https:// (http:// only on \
                 127.0.0.1 or [::1]), without a fragment",
                e.login_url
            ),
        };
        let url = Url::parse(e.login_url.trim()).map_err(|_| bad())?;
        let loopback = url.host_str().is_some_and(crate::config::is_loopback_host);
        if !(url.scheme() == "https" || (url.scheme() == "http" && loopback))
            || url.fragment().is_some()
            || !url.username().is_empty()
            || url.password().is_some()
        {
            return Err(bad());
        }
        out.push(Portal {
            name,
            login_url: url,
        });
    }
    Ok(out)
}

/// A name of lower-case letters, digits, `-` and `_`, 1 to 40 characters.
fn checked_name(name: &str, list: &'static str) -> Result<String, ConfigError> {
    let n = name.trim();
    let ok = !n.is_empty()
        && n.len() <= 40
        && n.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_');
    if ok {
        Ok(n.to_owned())
    } else {
        Err(ConfigError::BadResource {
            list,
            name: n.to_owned(),
            reason: "a name is 1 to 40 lower-case letters, digits, `-` or `_`".into(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn api(name: &str, audience: &str, url: Option<&str>) -> ApiEntry {
        ApiEntry {
            name: name.into(),
            audience: audience.into(),
            url: url.map(Into::into),
            scope: Some("  read:invoices   write:invoices ".into()),
        }
    }

    #[test]
    fn apis_are_checked_once() {
        let ok = apis(&[api(
            "billing",
            " https://billing/ ",
            Some("http://127.0.0.1:9/v1"),
        )])
        .unwrap();
        assert_eq!(ok[0].audience, "https://billing/");
        assert_eq!(
            ok[0].url.as_ref().unwrap().url().as_str(),
            "http://127.0.0.1:9/v1/"
        );
        assert_eq!(ok[0].scope.as_deref(), Some("read:invoices write:invoices"));
        let refused = |entries: &[ApiEntry]| apis(entries).unwrap_err().to_string();
        assert_eq!(
            refused(&[api("Billing", "a", None)]),
            "[[apis]] `Billing`: a name is 1 to 40 lower-case letters, digits, `-` or `_`"
        );
        assert_eq!(
            refused(&[api("b", "a", None), api("b", "c", None)]),
            "[[apis]] `b`: the name is used twice (`default` is the API of `audience` and `api_url`)"
        );
        assert_eq!(
            refused(&[api("default", "a", None)]),
            "[[apis]] `default`: the name is used twice (`default` is the API of `audience` and `api_url`)"
        );
        assert_eq!(
            refused(&[api("b", " ", None)]),
            "[[apis]] `b`: `audience` is empty: give the API's identifier at the tenant"
        );
        assert!(
            refused(&[api("b", "a", Some("http://api.example/"))])
                .contains("`url` http://api.example/")
        );
    }

    #[test]
    fn portals_are_checked_once() {
        let entry = |url: &str| PortalEntry {
            name: "portal".into(),
            login_url: url.into(),
        };
        assert_eq!(
            portals(&[entry("http://127.0.0.1:4300/login")]).unwrap()[0]
                .login_url
                .as_str(),
            "http://127.0.0.1:4300/login"
        );
        for bad in [
            "http://portal.example/login",
            "https://p.example/login#x",
            "https://u:p@p.example/",
            "nope",
        ] {
            assert!(
                portals(&[entry(bad)])
                    .unwrap_err()
                    .to_string()
                    .contains("`login_url`"),
                "{bad}"
            );
        }
        assert_eq!(
            portals(&[entry("https://p/"), entry("https://q/")])
                .unwrap_err()
                .to_string(),
            "[[portals]] `portal`: the name is used twice"
        );
    }
}
