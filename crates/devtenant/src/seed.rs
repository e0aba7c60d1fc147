//! The seed: a TOML description of a tenant (settings, APIs, clients, connections, users, organizations,
//! invitations, client grants) that devtenant starts from when it has no saved state.

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::ratelimit::RateLimitConfig;

/// The values of a client's `organization_discovery_methods`.
pub const DISCOVERY_METHODS: &[&str] = &["email", "organization_name"];

/// The demo seed shipped in `crates/devtenant/seeds/demo.toml`.
pub const DEMO_SEED_TOML: &str = include_str!("../seeds/demo.toml");

/// Why a seed could not be used.
#[derive(Debug, thiserror::Error)]
pub enum SeedError {
    #[error(
        "the seed is not valid TOML for devtenant: {0}; compare it with crates/devtenant/seeds/demo.toml"
    )]
    Parse(#[from] toml::de::Error),
    #[error("could not read the seed file {path}: {source}; check the --seed path")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("the seed is inconsistent: {0}; fix the seed file")]
    Invalid(String),
}

/// A whole tenant as declared in TOML.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Seed {
    #[serde(default)]
    pub tenant: TenantSeed,
    #[serde(default)]
    pub apis: Vec<ApiSeed>,
    #[serde(default)]
    pub clients: Vec<ClientSeed>,
    #[serde(default)]
    pub connections: Vec<ConnectionSeed>,
    #[serde(default)]
    pub users: Vec<UserSeed>,
    #[serde(default)]
    pub organizations: Vec<OrganizationSeed>,
    #[serde(default)]
    pub invitations: Vec<InvitationSeed>,
    /// Client grants on the seed's APIs (the Management API's are each client's `management_api_scopes`).
    #[serde(default)]
    pub client_grants: Vec<crate::client_grants::ClientGrantSeed>,
}

/// How `/authorize` compares loopback redirect URIs with the registered callbacks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum LoopbackRedirects {
    /// RFC 8252 §7.3: any port matches a registered loopback callback with the same path.
    #[default]
    AnyPort,
    /// Exact string match, as a strict tenant would do.
    Exact,
}

/// Tenant-wide settings.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TenantSeed {
    pub friendly_name: String,
    pub allow_organization_name_in_authentication_api: bool,
    pub loopback_redirects: LoopbackRedirects,
    pub id_token_lifetime_secs: i64,
    pub access_token_lifetime_secs: i64,
    pub authorization_code_lifetime_secs: i64,
    pub refresh_token_absolute_lifetime_secs: i64,
    pub refresh_token_idle_lifetime_secs: i64,
    pub session_lifetime_secs: i64,
    pub rate_limits: RateLimitConfig,
}

impl Default for TenantSeed {
    fn default() -> Self {
        Self {
            friendly_name: "devtenant".into(),
            allow_organization_name_in_authentication_api: false,
            loopback_redirects: LoopbackRedirects::AnyPort,
            id_token_lifetime_secs: 36_000,
            access_token_lifetime_secs: 86_400,
            authorization_code_lifetime_secs: 60,
            refresh_token_absolute_lifetime_secs: 2_592_000,
            refresh_token_idle_lifetime_secs: 2_592_000,
            session_lifetime_secs: 259_200,
            rate_limits: RateLimitConfig::default(),
        }
    }
}

/// A resource server (API) that access tokens can be issued for.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApiSeed {
    pub identifier: String,
    pub name: String,
    #[serde(default)]
    pub allow_offline_access: bool,
    /// The permissions (scopes) the API defines, e.g. `read:projects`; user tokens carry only these (plus the
    /// OpenID Connect scopes) of what was asked.
    #[serde(default)]
    pub scopes: Vec<String>,
}

/// An application.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClientSeed {
    pub client_id: String,
    pub name: String,
    /// `native`, `spa`, `regular_web` or `non_interactive`.
    pub app_type: String,
    /// Only for confidential clients (`non_interactive`, `regular_web`).
    #[serde(default)]
    pub client_secret: Option<String>,
    #[serde(default)]
    pub callbacks: Vec<String>,
    #[serde(default)]
    pub allowed_logout_urls: Vec<String>,
    #[serde(default)]
    pub initiate_login_uri: Option<String>,
    /// `deny` (default), `allow` or `require`.
    #[serde(default)]
    pub organization_usage: Option<String>,
    /// `no_prompt` (default), `pre_login_prompt` or `post_login_prompt`.
    #[serde(default)]
    pub organization_require_behavior: Option<String>,
    /// How `pre_login_prompt` finds the organization: `email` (the work email's verified discovery domain) and/or
    /// `organization_name`; default `["organization_name"]`.
    #[serde(default)]
    pub organization_discovery_methods: Option<Vec<String>>,
    #[serde(default)]
    pub grant_types: Vec<String>,
    /// Scopes this client is granted on the Management API (`{issuer}api/v2/`).
    #[serde(default)]
    pub management_api_scopes: Vec<String>,
    /// `refresh_token.policies`: other APIs a refresh may get tokens for (`[{audience, scope}]`).
    #[serde(default)]
    pub refresh_token_policies: Vec<crate::store::RefreshPolicy>,
    /// Native to Web SSO settings (`session_transfer`).
    #[serde(default)]
    pub session_transfer: Option<crate::store::SessionTransferSettings>,
}

/// A connection (identity source).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConnectionSeed {
    pub id: String,
    pub name: String,
    /// `auth0` (database), a social strategy such as `google-oauth2`, or an enterprise one such as `oidc`/`samlp`.
    pub strategy: String,
    #[serde(default)]
    pub display_name: Option<String>,
}

/// A user with one identity in one connection.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UserSeed {
    pub user_id: String,
    /// The connection name.
    pub connection: String,
    pub email: String,
    pub name: String,
    /// Database connections only.
    #[serde(default)]
    pub password: Option<String>,
    #[serde(default = "yes")]
    pub email_verified: bool,
}

fn yes() -> bool {
    true
}

/// An organization.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OrganizationSeed {
    pub id: String,
    pub name: String,
    pub display_name: String,
    #[serde(default)]
    pub branding: Option<BrandingSeed>,
    #[serde(default)]
    pub metadata: BTreeMap<String, String>,
    #[serde(default)]
    pub enabled_connections: Vec<EnabledConnectionSeed>,
    /// User ids.
    #[serde(default)]
    pub members: Vec<String>,
    /// Email domains that find this organization at the login's email step (when verified and used for
    /// discovery).
    #[serde(default)]
    pub discovery_domains: Vec<DiscoveryDomainSeed>,
}

/// An organization's discovery domain (Auth0's `/organizations/{id}/discovery-domains`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DiscoveryDomainSeed {
    /// `acme.example`; compared in lower case.
    pub domain: String,
    /// `pending` (default, as Auth0 creates them) or `verified`.
    #[serde(default = "pending")]
    pub status: String,
    /// Whether the email step may use it (default false, as in Auth0's create endpoint).
    #[serde(default)]
    pub use_for_organization_discovery: bool,
}

fn pending() -> String {
    "pending".into()
}

/// Organization branding. A `logo_url` starting with `/` is served by devtenant and resolved against the issuer.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BrandingSeed {
    #[serde(default)]
    pub logo_url: Option<String>,
    #[serde(default)]
    pub colors: Option<ColorsSeed>,
}

/// Branding colours.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ColorsSeed {
    pub primary: String,
    pub page_background: String,
}

/// A connection enabled for an organization.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EnabledConnectionSeed {
    /// Connection name or id.
    pub connection: String,
    #[serde(default)]
    pub assign_membership_on_login: bool,
    #[serde(default = "yes")]
    pub show_as_button: bool,
    #[serde(default)]
    pub is_signup_enabled: bool,
}

/// A pending invitation.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InvitationSeed {
    /// Organization id or name.
    pub organization: String,
    pub email: String,
    pub client_id: String,
    #[serde(default)]
    pub connection: Option<String>,
    #[serde(default)]
    pub ticket_id: Option<String>,
    #[serde(default = "default_ttl")]
    pub ttl_sec: i64,
    #[serde(default = "default_inviter")]
    pub inviter: String,
}

fn default_ttl() -> i64 {
    604_800
}

fn default_inviter() -> String {
    "devtenant".into()
}

impl Seed {
    /// Parses a seed from TOML text.
    pub fn from_toml_str(text: &str) -> Result<Self, SeedError> {
        let seed: Seed = toml::from_str(text)?;
        seed.check()?;
        Ok(seed)
    }

    /// Reads a seed file.
    pub fn from_file(path: &std::path::Path) -> Result<Self, SeedError> {
        let text = std::fs::read_to_string(path).map_err(|source| SeedError::Read {
            path: path.display().to_string(),
            source,
        })?;
        Self::from_toml_str(&text)
    }

    /// The demo seed (three organizations, three connections, a native and an M2M client).
    pub fn demo() -> Self {
        Self::from_toml_str(DEMO_SEED_TOML).expect("the bundled demo seed is valid")
    }

    fn check(&self) -> Result<(), SeedError> {
        let bad = |m: String| Err(SeedError::Invalid(m));
        for user in &self.users {
            let Some(conn) = self.connections.iter().find(|c| c.name == user.connection) else {
                return bad(format!(
                    "user {} names unknown connection {}",
                    user.user_id, user.connection
                ));
            };
            if conn.strategy == "auth0" && user.password.is_none() {
                return bad(format!("database user {} needs a password", user.user_id));
            }
        }
        for client in &self.clients {
            if let Some(methods) = &client.organization_discovery_methods {
                if methods.is_empty() {
                    return bad(format!(
                        "client {} has an empty organization_discovery_methods (leave it out, or list email and/or organization_name)",
                        client.client_id
                    ));
                }
                if let Some(m) = methods
                    .iter()
                    .find(|m| !DISCOVERY_METHODS.contains(&m.as_str()))
                {
                    return bad(format!(
                        "client {} has organization discovery method {m:?}; the methods are email and organization_name",
                        client.client_id
                    ));
                }
            }
        }
        for org in &self.organizations {
            let mut seen = Vec::new();
            for d in &org.discovery_domains {
                let domain = d.domain.to_lowercase();
                if !crate::store::valid_domain(&domain) {
                    return bad(format!(
                        "organization {} has discovery domain {:?}, which is not a domain name",
                        org.name, d.domain
                    ));
                }
                if !["pending", "verified"].contains(&d.status.as_str()) {
                    return bad(format!(
                        "organization {} has discovery domain {domain} with status {:?}; use pending or verified",
                        org.name, d.status
                    ));
                }
                if seen.contains(&domain) {
                    return bad(format!(
                        "organization {} lists discovery domain {domain} twice",
                        org.name
                    ));
                }
                seen.push(domain);
            }
            for ec in &org.enabled_connections {
                if !self
                    .connections
                    .iter()
                    .any(|c| c.name == ec.connection || c.id == ec.connection)
                {
                    return bad(format!(
                        "organization {} enables unknown connection {}",
                        org.name, ec.connection
                    ));
                }
            }
            for m in &org.members {
                if !self.users.iter().any(|u| &u.user_id == m) {
                    return bad(format!(
                        "organization {} lists unknown member {m}",
                        org.name
                    ));
                }
            }
        }
        crate::client_grants::check_seed(self).map_err(SeedError::Invalid)?;
        for inv in &self.invitations {
            if !self
                .organizations
                .iter()
                .any(|o| o.id == inv.organization || o.name == inv.organization)
            {
                return bad(format!(
                    "invitation for {} names an unknown organization",
                    inv.email
                ));
            }
            if !self.clients.iter().any(|c| c.client_id == inv.client_id) {
                return bad(format!(
                    "invitation for {} names unknown client {}",
                    inv.email, inv.client_id
                ));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn demo_seed_has_what_the_demo_promises() {
        let seed = Seed::demo();
        assert!(seed.organizations.len() >= 3);
        let in_orgs = |uid: &str| {
            seed.organizations
                .iter()
                .filter(|o| o.members.iter().any(|m| m == uid))
                .count()
        };
        assert!(
            seed.users.iter().any(|u| in_orgs(&u.user_id) >= 2),
            "a user in two orgs"
        );
        assert!(
            seed.users.iter().any(|u| in_orgs(&u.user_id) == 0),
            "a user in none"
        );
        let native = seed
            .clients
            .iter()
            .find(|c| c.app_type == "native")
            .expect("native client");
        assert!(native.client_secret.is_none());
        assert!(
            native
                .callbacks
                .iter()
                .any(|c| c == "http://127.0.0.1/callback")
        );
        let m2m = seed
            .clients
            .iter()
            .find(|c| c.app_type == "non_interactive")
            .expect("m2m client");
        assert!(
            m2m.management_api_scopes
                .iter()
                .any(|s| s == "create:organizations")
        );
        let strategies: Vec<_> = seed
            .connections
            .iter()
            .map(|c| c.strategy.as_str())
            .collect();
        assert!(
            strategies.contains(&"auth0")
                && strategies.contains(&"google-oauth2")
                && strategies.contains(&"oidc")
        );
    }

    #[test]
    fn unknown_fields_and_dangling_references_are_refused() {
        assert!(matches!(
            Seed::from_toml_str("[tenant]\nbogus = 1\n"),
            Err(SeedError::Parse(_))
        ));
        let dangling = r#"
[[organizations]]
id = "org_aaaaaaaaaaaaaaaa"
name = "a"
display_name = "A"
members = ["auth0|nobody"]
"#;
        assert!(matches!(
            Seed::from_toml_str(dangling),
            Err(SeedError::Invalid(_))
        ));
    }

    #[test]
    fn discovery_settings_are_checked() {
        let org = |domains: &str| {
            format!(
                "[[organizations]]\nid = \"org_aaaaaaaaaaaaaaaa\"\nname = \"a\"\ndisplay_name = \"A\"\ndiscovery_domains = [{domains}]\n"
            )
        };
        let client = |methods: &str| {
            format!(
                "[[clients]]\nclient_id = \"c\"\nname = \"C\"\napp_type = \"native\"\norganization_discovery_methods = [{methods}]\n"
            )
        };
        #[rustfmt::skip]
        let rows = [
            (client(""), "the seed is inconsistent: client c has an empty organization_discovery_methods (leave it out, or list email and/or organization_name); fix the seed file"),
            (client("\"phone\""), "the seed is inconsistent: client c has organization discovery method \"phone\"; the methods are email and organization_name; fix the seed file"),
            (org("{ domain = \"a_b.example\" }"), "the seed is inconsistent: organization a has discovery domain \"a_b.example\", which is not a domain name; fix the seed file"),
            (org("{ domain = \"a.example\", status = \"done\" }"), "the seed is inconsistent: organization a has discovery domain a.example with status \"done\"; use pending or verified; fix the seed file"),
            (org("{ domain = \"a.example\" }, { domain = \"A.example\" }"), "the seed is inconsistent: organization a lists discovery domain a.example twice; fix the seed file"),
        ];
        for (text, want) in rows {
            assert_eq!(Seed::from_toml_str(&text).unwrap_err().to_string(), want);
        }
        let store = crate::store::Store::from_seed(
            &Seed::from_toml_str(&org("{ domain = \"A.Example\" }")).unwrap(),
        );
        let d = &store.organizations[0].discovery_domains[0];
        assert_eq!(
            (
                d.domain.as_str(),
                d.status.as_str(),
                d.use_for_organization_discovery
            ),
            ("a.example", "pending", false)
        );
        assert_eq!(d.verification_host, "_auth0-challenge.a.example");
        assert!(!d.discovers(), "pending and not used: found by nothing");
    }
}
