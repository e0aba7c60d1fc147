//! Configuration: issuer, client id, scopes, redirect ports and timeouts, from TOML, environment and flags.

use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;
use url::Url;

pub use crate::env::Env;

/// Default scopes: OpenID claims plus a refresh token.
pub const DEFAULT_SCOPES: &str = "openid profile email offline_access";
/// Default time the whole browser sign-in may take.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(300);
/// Default clock-skew leeway for `exp` / `iat`.
pub const DEFAULT_LEEWAY: Duration = Duration::from_secs(60);

/// The largest clock-skew leeway accepted: more would keep expired tokens alive for a meaningful time.
pub const MAX_LEEWAY: Duration = Duration::from_secs(300);

/// Why a configuration could not be built.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error(
        "no issuer configured: pass --issuer DOMAIN, set ORGPASS_ISSUER, or set `issuer` in the config file"
    )]
    MissingIssuer,
    #[error(
        "no client id configured: pass --client-id ID, set ORGPASS_CLIENT_ID, or set `client_id` in the config file"
    )]
    MissingClientId,
    #[error("issuer `{input}` is not a valid URL or domain: {reason}")]
    BadIssuer { input: String, reason: String },
    #[error(
        "issuer `{0}` uses http://, which is allowed only for the loopback addresses 127.0.0.1 and [::1] \
         (not `localhost`, which a hosts file or DNS can point elsewhere: RFC 8252 §8.3); use https://"
    )]
    InsecureIssuer(String),
    #[error(
        "port list `{0}` is invalid: give comma-separated port numbers like 8400,8401 (0 means any free port)"
    )]
    BadPorts(String),
    #[error("{name} must be a whole number of seconds, got `{value}`")]
    BadSeconds { name: &'static str, value: String },
    #[error(
        "leeway_secs = {0} is too large: clock-skew leeway may be at most {max} s (fix the clock instead; \
         the default is {default} s)",
        max = MAX_LEEWAY.as_secs(), default = DEFAULT_LEEWAY.as_secs()
    )]
    LeewayTooLarge(u64),
    #[error("scope must contain `openid`, got `{0}`")]
    ScopeWithoutOpenid(String),
    #[error(
        "api_url `{0}` is not usable: give the base URL of your company's API, https:// (http:// only on \
         127.0.0.1 or [::1]), without a query"
    )]
    BadApiUrl(String),
    #[error(
        "api_url `{0}` is set without an `audience`: the access token is sent to that API only when it was issued \
         for it, so set `audience` (ORGPASS_AUDIENCE, --audience) to the API's identifier as well"
    )]
    ApiUrlWithoutAudience(String),
    #[error(
        "allowed_organizations lists `{0}`, which is not an organization ID: list IDs like org_AcmeA1b2C3d4E5f6 \
         (names can be renamed and reused, so they cannot allow an organization)"
    )]
    BadAllowedOrganization(String),
    #[error(
        "allowed_organizations is empty, which would allow no sign-in at all: list the organization IDs this device \
         may sign in to, or leave the setting out"
    )]
    NoAllowedOrganization,
    #[error("[[{list}]] `{name}`: {reason}")]
    BadResource {
        list: &'static str,
        name: String,
        reason: String,
    },
    #[error(transparent)]
    CaFile(#[from] orgpass_net::CaFileError),
    #[error("`{key}` is locked by {} (your IT department manages it): {fix}", .by.display())]
    Locked {
        key: String,
        by: PathBuf,
        fix: String,
    },
    #[error("`locked` may only be set in the system-wide file, not in the {0}")]
    LockOutsideSystemFile(String),
    #[error(
        "{} locks `{key}`, which is not a setting; the keys are {}",
        .path.display(),
        crate::config::KEYS.iter().chain(crate::managed::APP_KEYS).copied().collect::<Vec<_>>().join(", ")
    )]
    UnknownLockedKey { key: String, path: PathBuf },
    #[error("could not read config file {path}: {source}")]
    ReadFile {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("config file {path} is not valid TOML for orgpass: {source}")]
    ParseFile {
        path: PathBuf,
        source: toml::de::Error,
    },
}

/// The issuer as configured: an `https://` URL (or `http://` on loopback).
///
/// A bare domain `acme.eu.auth0.com` becomes `https://acme.eu.auth0.com/`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Issuer(Url);

impl Issuer {
    /// Parse a domain or URL, refusing `http://` for anything that is not loopback.
    pub fn parse(input: &str) -> Result<Self, ConfigError> {
        let trimmed = input.trim();
        let bad = |reason: &str| ConfigError::BadIssuer {
            input: trimmed.to_owned(),
            reason: reason.to_owned(),
        };
        if trimmed.is_empty() {
            return Err(ConfigError::MissingIssuer);
        }
        let with_scheme = if trimmed.contains("://") {
            trimmed.to_owned()
        } else {
            format!("https://{trimmed}/")
        };
        let url = Url::parse(&with_scheme).map_err(|e| bad(&e.to_string()))?;
        if url.query().is_some() || url.fragment().is_some() {
            return Err(bad("an issuer has no query or fragment"));
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(bad("an issuer has no user name or password"));
        }
        let Some(host) = url.host_str() else {
            return Err(bad("no host"));
        };
        match url.scheme() {
            "https" => {}
            "http" if is_loopback_host(host) => {}
            "http" => return Err(ConfigError::InsecureIssuer(trimmed.to_owned())),
            other => return Err(bad(&format!("scheme `{other}` is not https"))),
        }
        Ok(Self(url))
    }

    /// The issuer URL.
    pub fn url(&self) -> &Url {
        &self.0
    }

    /// The issuer as a string, exactly as the URL serialises.
    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }

    /// `true` when `other` names the same issuer, ignoring one trailing slash.
    pub fn matches(&self, other: &str) -> bool {
        self.0.as_str().trim_end_matches('/') == other.trim_end_matches('/')
    }

    /// `{issuer}/.well-known/openid-configuration`.
    pub fn discovery_url(&self) -> Url {
        let base = self.0.as_str().trim_end_matches('/');
        Url::parse(&format!("{base}/.well-known/openid-configuration"))
            .expect("issuer is a valid URL")
    }
}

/// A literal loopback address (`127.0.0.0/8`, `::1`, with or without brackets). `localhost` is not one: a name
/// can resolve anywhere (RFC 8252 §8.3), so plain `http://` is never allowed for it.
pub(crate) fn is_loopback_host(host: &str) -> bool {
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    bare.parse::<IpAddr>()
        .map(|ip| ip.is_loopback())
        .unwrap_or(false)
}

/// Which loopback ports the redirect listener may use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PortPolicy {
    /// Any free port chosen by the OS (RFC 8252 §7.3). The default.
    Ephemeral,
    /// These ports, tried in order (for IdPs that need exactly registered callback URLs).
    List(Vec<u16>),
}

impl PortPolicy {
    /// Parse `8400,8401` (or `0` for ephemeral).
    pub fn parse(input: &str) -> Result<Self, ConfigError> {
        let ports: Result<Vec<u16>, _> =
            input.split(',').map(|p| p.trim().parse::<u16>()).collect();
        match ports {
            Ok(ports) if ports.is_empty() => Err(ConfigError::BadPorts(input.to_owned())),
            Ok(ports) if ports == [0] => Ok(Self::Ephemeral),
            Ok(ports) => Ok(Self::List(ports)),
            Err(_) => Err(ConfigError::BadPorts(input.to_owned())),
        }
    }

    /// The ports to try, in order (`0` = ephemeral).
    pub fn ports(&self) -> Vec<u16> {
        match self {
            Self::Ephemeral => vec![0],
            Self::List(ports) => ports.clone(),
        }
    }
}

/// Everything the engine needs to talk to one OpenID Provider as one native client.
#[derive(Debug, Clone)]
pub struct Config {
    /// The issuer (`https://tenant.auth0.com/`).
    pub issuer: Issuer,
    /// The native application's client id (public client, no secret).
    pub client_id: String,
    /// API audience for the access token (Auth0 `audience` parameter).
    pub audience: Option<String>,
    /// Space-separated scopes, as sent.
    pub scopes: Vec<String>,
    /// Loopback port policy for the redirect listener.
    pub ports: PortPolicy,
    /// Whole browser sign-in timeout.
    pub timeout: Duration,
    /// Clock-skew leeway for `exp` and `iat`.
    pub leeway: Duration,
    /// Whether a login without an explicit organization must still yield an `org_id`.
    pub require_organization: bool,
    /// Bind sessions to a key this device holds (DPoP, RFC 9449): tokens useless without it.
    pub dpop: bool,
    /// The organizations (IDs) a sign-in may end in (`allowed_organizations`); `None` allows any. With a list, every
    /// sign-in must yield an `org_id` in it, whichever way the organization was chosen, or nothing is stored.
    pub allowed_organizations: Option<Vec<String>>,
    /// Browser command (split like a shell, URL appended). `None` = the OS default browser.
    pub browser: Option<String>,
    /// The company's API that `orgpass api` and the app call with the access token (its `audience` is the API's
    /// identifier, usually configured alongside).
    pub api_url: Option<crate::api::ApiBase>,
    /// The company's other APIs, whose tokens come from the session's refresh token (`[[apis]]`).
    pub apis: Vec<crate::resources::Api>,
    /// The company's web apps opened already signed in (`[[portals]]`).
    pub portals: Vec<crate::resources::Portal>,
    /// Company CA certificates trusted besides the operating system's trust store (`ca_file`).
    pub ca_file: Option<orgpass_net::CaBundle>,
    /// The system file that locks `ca_file`, if one does: a refused certificate then tells the person to ask IT
    /// instead of pointing Orgpass at a CA of their own.
    pub ca_file_locked_by: Option<PathBuf>,
    /// The system file IT manages that set `allowed_organizations` (or the app's directory that stands for it),
    /// if one did. Only then is a stored session of an organization outside the list signed out as IT's policy;
    /// a list from the person's own settings only keeps such a session from being used with them.
    pub allowed_organizations_by: Option<PathBuf>,
}

impl Config {
    /// A configuration with defaults for everything but the issuer and client id.
    pub fn new(issuer: Issuer, client_id: impl Into<String>) -> Self {
        Self {
            issuer,
            client_id: client_id.into(),
            audience: None,
            scopes: DEFAULT_SCOPES.split(' ').map(str::to_owned).collect(),
            ports: PortPolicy::Ephemeral,
            timeout: DEFAULT_TIMEOUT,
            leeway: DEFAULT_LEEWAY,
            require_organization: false,
            dpop: false,
            allowed_organizations: None,
            browser: None,
            api_url: None,
            apis: Vec::new(),
            portals: Vec::new(),
            ca_file: None,
            ca_file_locked_by: None,
            allowed_organizations_by: None,
        }
    }

    /// Combine file, environment and flags (flags win over environment, which wins over the file).
    /// [`Config::resolve_layers`] does the same for any layers (a system-wide file among them), with locks.
    pub fn resolve(
        file: &ConfigFile,
        env: &Env,
        overrides: &ConfigFile,
    ) -> Result<Self, ConfigError> {
        Self::merge(&[overrides, &env.0, file])
    }

    /// Combine `layers`, highest first: the first layer that sets a key wins. No locks are checked (that is
    /// [`Config::resolve_layers`]); for a session's own issuer and client id over the other settings.
    pub fn merge(layers: &[&ConfigFile]) -> Result<Self, ConfigError> {
        let pick =
            |f: fn(&ConfigFile) -> Option<&String>| layers.iter().find_map(|l| f(l)).cloned();
        let issuer = pick(|l| l.issuer.as_ref()).ok_or(ConfigError::MissingIssuer)?;
        let client_id = pick(|l| l.client_id.as_ref())
            .filter(|c| !c.trim().is_empty())
            .ok_or(ConfigError::MissingClientId)?;
        let mut config = Self::new(Issuer::parse(&issuer)?, client_id.trim());
        config.audience = pick(|l| l.audience.as_ref()).filter(|a| !a.is_empty());
        if let Some(scope) = pick(|l| l.scope.as_ref()) {
            let scopes: Vec<String> = scope.split_whitespace().map(str::to_owned).collect();
            if !scopes.iter().any(|s| s == "openid") {
                return Err(ConfigError::ScopeWithoutOpenid(scope));
            }
            config.scopes = scopes;
        }
        if let Some(ports) = pick(|l| l.ports.as_ref()) {
            config.ports = PortPolicy::parse(&ports)?;
        }
        if let Some(t) = layers.iter().find_map(|l| l.timeout_secs) {
            config.timeout = Duration::from_secs(t);
        }
        if let Some(t) = layers.iter().find_map(|l| l.leeway_secs) {
            if t > MAX_LEEWAY.as_secs() {
                return Err(ConfigError::LeewayTooLarge(t));
            }
            config.leeway = Duration::from_secs(t);
        }
        if let Some(r) = layers.iter().find_map(|l| l.require_organization) {
            config.require_organization = r;
        }
        if let Some(d) = layers.iter().find_map(|l| l.dpop) {
            config.dpop = d;
        }
        if let Some(list) = layers.iter().find_map(|l| l.allowed_organizations.as_ref()) {
            config.allowed_organizations = Some(allowed_organizations(list)?);
        }
        config.browser = pick(|l| l.browser.as_ref()).filter(|b| !b.trim().is_empty());
        config.api_url = pick(|l| l.api_url.as_ref())
            .filter(|u| !u.trim().is_empty())
            .map(|u| crate::api::ApiBase::parse(&u).map_err(|_| ConfigError::BadApiUrl(u)))
            .transpose()?;
        // A token goes to the API only when it was issued for it, so an API without its identifier is refused.
        if let Some(api) = &config.api_url
            && config.audience.is_none()
        {
            return Err(ConfigError::ApiUrlWithoutAudience(api.url().to_string()));
        }
        if let Some(list) = layers.iter().find_map(|l| l.apis.as_ref()) {
            config.apis = crate::resources::apis(list)?;
        }
        if let Some(list) = layers.iter().find_map(|l| l.portals.as_ref()) {
            config.portals = crate::resources::portals(list)?;
        }
        config.ca_file = pick(|l| l.ca_file.as_ref())
            .filter(|p| !p.trim().is_empty())
            .map(|p| orgpass_net::CaBundle::load(Path::new(p.trim())))
            .transpose()?;
        Ok(config)
    }
}

/// The `allowed_organizations` list, trimmed: organization IDs only, at least one.
fn allowed_organizations(list: &[String]) -> Result<Vec<String>, ConfigError> {
    let ids: Vec<String> = list.iter().map(|s| s.trim().to_owned()).collect();
    if ids.is_empty() {
        return Err(ConfigError::NoAllowedOrganization);
    }
    for id in &ids {
        match crate::org::OrgInput::parse(id) {
            Ok(crate::org::OrgInput::Id(_)) => {}
            _ => return Err(ConfigError::BadAllowedOrganization(id.clone())),
        }
    }
    Ok(ids)
}

impl Config {
    /// Whether `org_id` is one this device may sign in to (always, without `allowed_organizations`).
    pub fn allows_organization(&self, org_id: &str) -> bool {
        self.allowed_organizations
            .as_ref()
            .is_none_or(|ids| ids.iter().any(|id| id == org_id))
    }

    /// Whether a session of `org_id` (`None`: signed in without an organization) may be used on this device: its
    /// organization is allowed, or there is no allow-list at all.
    pub fn allows_session_of(&self, org_id: Option<&str>) -> bool {
        match org_id {
            Some(id) => self.allows_organization(id),
            None => self.allowed_organizations.is_none(),
        }
    }

    /// The API called `name`: one of `[[apis]]`, or `default` for the one of `audience` and `api_url`.
    pub fn api(&self, name: &str) -> Option<crate::resources::Api> {
        if name == crate::resources::DEFAULT_API {
            return self
                .audience
                .as_deref()
                .map(|a| crate::resources::Api::signed_in(a, self.api_url.clone()));
        }
        self.apis.iter().find(|a| a.name == name).cloned()
    }

    /// The names of every API [`Config::api`] knows, `default` first when `audience` is set.
    pub fn api_names(&self) -> Vec<String> {
        self.audience
            .as_ref()
            .map(|_| crate::resources::DEFAULT_API.to_owned())
            .into_iter()
            .chain(self.apis.iter().map(|a| a.name.clone()))
            .collect()
    }

    /// The web app called `name`.
    pub fn portal(&self, name: &str) -> Option<&crate::resources::Portal> {
        self.portals.iter().find(|p| p.name == name)
    }
}

/// One layer of settings: the TOML file's shape, also used for environment and flag overrides.
///
/// ```toml
/// issuer = "acme.eu.auth0.com"
/// client_id = "abc123"
/// audience = "https://api.acme.example/"
/// scope = "openid profile email offline_access"
/// ports = "8400,8401"
/// timeout_secs = 300
/// leeway_secs = 60
/// require_organization = true
/// dpop = true
/// allowed_organizations = ["org_AcmeA1b2C3d4E5f6", "org_GlobexG7h8I9j0K1"]
/// browser = "firefox --private-window"
/// api_url = "https://api.acme.example/"
/// ca_file = "/etc/ssl/certs/acme-root-ca.pem"
///
/// [[apis]]
/// name = "billing"
/// audience = "https://billing.acme.example/"
/// url = "https://billing.acme.example/v1/"
///
/// [[portals]]
/// name = "portal"
/// login_url = "https://portal.acme.example/login"
/// ```
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConfigFile {
    pub issuer: Option<String>,
    pub client_id: Option<String>,
    pub audience: Option<String>,
    pub scope: Option<String>,
    pub ports: Option<String>,
    pub timeout_secs: Option<u64>,
    pub leeway_secs: Option<u64>,
    pub require_organization: Option<bool>,
    /// Sessions bound to this device's key (DPoP). Off by default: an API that takes only Bearer refuses a bound
    /// token.
    pub dpop: Option<bool>,
    /// The organization IDs a sign-in may end in; IT sets and locks it (the company directory of the CLI).
    pub allowed_organizations: Option<Vec<String>>,
    pub browser: Option<String>,
    pub api_url: Option<String>,
    /// A PEM file of company CA certificates trusted besides the system's trust store.
    pub ca_file: Option<String>,
    /// The company's other APIs (see [`crate::resources`]); a layer that sets it replaces the whole list.
    pub apis: Option<Vec<crate::resources::ApiEntry>>,
    /// The company's web apps opened already signed in; a layer that sets it replaces the whole list.
    pub portals: Option<Vec<crate::resources::PortalEntry>>,
    /// Keys that the layers above may not change (only in the system-wide file; see [`crate::managed`]).
    pub locked: Option<Vec<String>>,
}

/// The keys of a [`ConfigFile`] that hold settings (all but `locked`), as written in the file.
pub const KEYS: &[&str] = &[
    "issuer",
    "client_id",
    "audience",
    "scope",
    "ports",
    "timeout_secs",
    "leeway_secs",
    "require_organization",
    "dpop",
    "browser",
    "api_url",
    "ca_file",
    "allowed_organizations",
    "apis",
    "portals",
];

impl ConfigFile {
    /// The value of setting `key` (one of [`KEYS`]) as text, when this layer sets it.
    pub fn get(&self, key: &str) -> Option<String> {
        match key {
            "issuer" => self.issuer.clone(),
            "client_id" => self.client_id.clone(),
            "audience" => self.audience.clone(),
            "scope" => self.scope.clone(),
            "ports" => self.ports.clone(),
            "timeout_secs" => self.timeout_secs.map(|v| v.to_string()),
            "leeway_secs" => self.leeway_secs.map(|v| v.to_string()),
            "require_organization" => self.require_organization.map(|v| v.to_string()),
            "dpop" => self.dpop.map(|v| v.to_string()),
            "browser" => self.browser.clone(),
            "api_url" => self.api_url.clone(),
            "ca_file" => self.ca_file.clone(),
            "allowed_organizations" => self.allowed_organizations.as_ref().map(|l| l.join(",")),
            "apis" => self.apis.as_ref().map(|l| serde_json::json!(l).to_string()),
            "portals" => self
                .portals
                .as_ref()
                .map(|l| serde_json::json!(l).to_string()),
            _ => None,
        }
    }

    /// Parse TOML text.
    pub fn from_toml(text: &str, path: &Path) -> Result<Self, ConfigError> {
        toml::from_str(text).map_err(|source| ConfigError::ParseFile {
            path: path.to_owned(),
            source,
        })
    }

    /// Read a TOML file; a missing file is an empty layer only when `optional`.
    pub fn load(path: &Path, optional: bool) -> Result<Self, ConfigError> {
        match std::fs::read_to_string(path) {
            Ok(text) => Self::from_toml(&text, path),
            Err(e) if optional && e.kind() == std::io::ErrorKind::NotFound => Ok(Self::default()),
            Err(source) => Err(ConfigError::ReadFile {
                path: path.to_owned(),
                source,
            }),
        }
    }

    /// `$XDG_CONFIG_HOME/orgpass/config.toml` (or the platform equivalent).
    pub fn default_path() -> Option<PathBuf> {
        dirs::config_dir().map(|d| d.join("orgpass").join("config.toml"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn issuer_table() {
        let ok = [
            ("acme.eu.auth0.com", "https://acme.eu.auth0.com/"),
            ("  login.acme.example  ", "https://login.acme.example/"),
            ("https://acme.eu.auth0.com/", "https://acme.eu.auth0.com/"),
            ("https://acme.eu.auth0.com", "https://acme.eu.auth0.com/"),
            ("http://127.0.0.1:4000", "http://127.0.0.1:4000/"),
            ("http://[::1]:4000/oidc", "http://[::1]:4000/oidc"),
            ("http://127.5.6.7/", "http://127.5.6.7/"),
        ];
        for (input, want) in ok {
            assert_eq!(
                Issuer::parse(input).unwrap().as_str(),
                want,
                "input {input}"
            );
        }
        assert!(matches!(
            Issuer::parse("http://acme.eu.auth0.com"),
            Err(ConfigError::InsecureIssuer(_))
        ));
        assert!(matches!(
            Issuer::parse("http://localhost:3000/"),
            Err(ConfigError::InsecureIssuer(_))
        ));
        assert!(Issuer::parse("https://localhost:3000/").is_ok());
        assert!(matches!(
            Issuer::parse("http://10.0.0.1/"),
            Err(ConfigError::InsecureIssuer(_))
        ));
        assert!(matches!(
            Issuer::parse("ftp://acme.example/"),
            Err(ConfigError::BadIssuer { .. })
        ));
        assert!(matches!(
            Issuer::parse("https://acme.example/?x=1"),
            Err(ConfigError::BadIssuer { .. })
        ));
        assert!(matches!(
            Issuer::parse("   "),
            Err(ConfigError::MissingIssuer)
        ));
        let msg = Issuer::parse("http://acme.eu.auth0.com")
            .unwrap_err()
            .to_string();
        assert!(msg.contains("only for the loopback addresses"), "{msg}");
    }

    #[test]
    fn issuer_matching_and_discovery() {
        let i = Issuer::parse("http://127.0.0.1:4000").unwrap();
        assert!(i.matches("http://127.0.0.1:4000"));
        assert!(i.matches("http://127.0.0.1:4000/"));
        assert!(!i.matches("http://127.0.0.1:4001"));
        assert_eq!(
            i.discovery_url().as_str(),
            "http://127.0.0.1:4000/.well-known/openid-configuration"
        );
        let a = Issuer::parse("acme.auth0.com").unwrap();
        assert_eq!(
            a.discovery_url().as_str(),
            "https://acme.auth0.com/.well-known/openid-configuration"
        );
    }

    #[test]
    fn ports() {
        assert_eq!(PortPolicy::parse("0").unwrap(), PortPolicy::Ephemeral);
        assert_eq!(
            PortPolicy::parse("8400, 8401").unwrap(),
            PortPolicy::List(vec![8400, 8401])
        );
        assert!(PortPolicy::parse("8400,x").is_err());
        assert!(PortPolicy::parse("70000").is_err());
        assert!(PortPolicy::parse("").is_err());
    }

    #[test]
    fn layers_and_defaults() {
        let file = ConfigFile::from_toml(
            "issuer = \"file.auth0.com\"\nclient_id = \"file-client\"\nports = \"9000\"\ntimeout_secs = 10\n",
            Path::new("x.toml"),
        )
        .unwrap();
        let env = Env::from_lookup(|k| (k == "ORGPASS_CLIENT_ID").then(|| "env-client".to_owned()))
            .unwrap();
        let flags = ConfigFile {
            issuer: Some("flag.auth0.com".into()),
            ..Default::default()
        };
        let c = Config::resolve(&file, &env, &flags).unwrap();
        assert_eq!(c.issuer.as_str(), "https://flag.auth0.com/");
        assert_eq!(c.client_id, "env-client");
        assert_eq!(c.ports, PortPolicy::List(vec![9000]));
        assert_eq!(c.timeout, Duration::from_secs(10));
        assert_eq!(c.leeway, DEFAULT_LEEWAY);
        assert_eq!(c.scopes.join(" "), DEFAULT_SCOPES);
        assert!(c.browser.is_none());

        let none = Config::resolve(
            &ConfigFile::default(),
            &Env::default(),
            &ConfigFile::default(),
        );
        assert!(matches!(none, Err(ConfigError::MissingIssuer)));
        let no_client = ConfigFile {
            issuer: Some("a.auth0.com".into()),
            ..Default::default()
        };
        assert!(matches!(
            Config::resolve(&no_client, &Env::default(), &ConfigFile::default()),
            Err(ConfigError::MissingClientId)
        ));
        let bad_scope = ConfigFile {
            scope: Some("profile email".into()),
            ..no_client.clone()
        };
        let bad_scope = ConfigFile {
            client_id: Some("c".into()),
            ..bad_scope
        };
        assert!(matches!(
            Config::resolve(&bad_scope, &Env::default(), &ConfigFile::default()),
            Err(ConfigError::ScopeWithoutOpenid(_))
        ));
    }

    #[test]
    fn leeway_is_bounded() {
        let with = |secs: u64| ConfigFile {
            issuer: Some("a.auth0.com".into()),
            client_id: Some("c".into()),
            leeway_secs: Some(secs),
            ..Default::default()
        };
        let ok = Config::resolve(&with(300), &Env::default(), &ConfigFile::default()).unwrap();
        assert_eq!(ok.leeway, MAX_LEEWAY);
        let e = Config::resolve(&with(301), &Env::default(), &ConfigFile::default()).unwrap_err();
        assert!(matches!(e, ConfigError::LeewayTooLarge(301)), "{e:?}");
        assert_eq!(
            e.to_string(),
            "leeway_secs = 301 is too large: clock-skew leeway may be at most 300 s (fix the clock instead; the \
             default is 60 s)"
        );
    }

    #[test]
    fn an_api_url_needs_its_audience() {
        let with = |audience: Option<&str>| ConfigFile {
            issuer: Some("a.auth0.com".into()),
            client_id: Some("c".into()),
            api_url: Some("https://api.acme.example/".into()),
            audience: audience.map(str::to_owned),
            ..Default::default()
        };
        let e = Config::resolve(&with(None), &Env::default(), &ConfigFile::default()).unwrap_err();
        assert!(matches!(e, ConfigError::ApiUrlWithoutAudience(_)), "{e:?}");
        assert_eq!(
            e.to_string(),
            "api_url `https://api.acme.example/` is set without an `audience`: the access token is sent to that \
             API only when it was issued for it, so set `audience` (ORGPASS_AUDIENCE, --audience) to the API's \
             identifier as well"
        );
        let c = Config::resolve(
            &with(Some("https://api.acme.example/")),
            &Env::default(),
            &ConfigFile::default(),
        )
        .unwrap();
        assert_eq!(c.audience.as_deref(), Some("https://api.acme.example/"));
    }

    #[test]
    fn unknown_toml_key_is_an_error() {
        let e = ConfigFile::from_toml("isuer = \"x\"", Path::new("c.toml")).unwrap_err();
        assert!(e.to_string().contains("c.toml"));
    }

    #[test]
    fn env_seconds_must_be_numbers() {
        let e =
            Env::from_lookup(|k| (k == "ORGPASS_TIMEOUT").then(|| "soon".to_owned())).unwrap_err();
        assert_eq!(
            e.to_string(),
            "ORGPASS_TIMEOUT must be a whole number of seconds, got `soon`"
        );
    }

    #[test]
    fn allowed_organizations_are_ids_from_a_file_or_the_environment() {
        let base = "issuer = \"a.auth0.com\"\nclient_id = \"c\"\n";
        let file = |extra: &str| {
            ConfigFile::from_toml(&format!("{base}{extra}"), Path::new("c.toml")).unwrap()
        };
        let resolve = |f: &ConfigFile, env: &Env| Config::resolve(f, env, &ConfigFile::default());
        let c = resolve(
            &file("allowed_organizations = [\" org_A \", \"org_B\"]"),
            &Env::default(),
        )
        .unwrap();
        assert_eq!(
            c.allowed_organizations,
            Some(vec!["org_A".to_owned(), "org_B".to_owned()])
        );
        assert!(c.allows_organization("org_A") && !c.allows_organization("org_C"));
        let open = resolve(&file(""), &Env::default()).unwrap();
        assert!(open.allowed_organizations.is_none() && open.allows_organization("org_C"));
        let env = Env::from_lookup(|k| {
            (k == "ORGPASS_ALLOWED_ORGANIZATIONS").then(|| "org_C, org_D,".into())
        })
        .unwrap();
        assert_eq!(
            env.0.get("allowed_organizations").as_deref(),
            Some("org_C,org_D")
        );
        let c = resolve(&file("allowed_organizations = [\"org_A\"]"), &env).unwrap();
        assert_eq!(
            c.allowed_organizations,
            Some(vec!["org_C".to_owned(), "org_D".to_owned()]),
            "env over file"
        );
        #[rustfmt::skip]
        let bad = [
            ("allowed_organizations = [\"acme\"]",
             "allowed_organizations lists `acme`, which is not an organization ID: list IDs like org_AcmeA1b2C3d4E5f6 \
              (names can be renamed and reused, so they cannot allow an organization)"),
            ("allowed_organizations = []",
             "allowed_organizations is empty, which would allow no sign-in at all: list the organization IDs this \
              device may sign in to, or leave the setting out"),
        ];
        for (extra, want) in bad {
            assert_eq!(
                resolve(&file(extra), &Env::default())
                    .unwrap_err()
                    .to_string(),
                want,
                "{extra}"
            );
        }
    }
}
