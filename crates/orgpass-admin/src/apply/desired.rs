//! The desired-state file: organizations, their connections, members, discovery domains and associated client
//! grants, applications and client grants, read and written as TOML or YAML, and every rule that can be checked
//! without reading the tenant.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::model::Branding;
use crate::{AdminError, ValidationError};

/// The desired state of a set of organizations.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DesiredState {
    #[serde(default)]
    pub organizations: Vec<OrgSpec>,
    /// Applications whose organization settings and refresh-token rotation overlap the file manages.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub clients: Vec<super::ClientSpec>,
    /// Client grants the file manages (created or changed, never deleted), by application and API.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub client_grants: Vec<super::GrantSpec>,
}

/// One organization. A field left out is not managed (left as it is on the tenant).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OrgSpec {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    /// Member user ids (`auth0|…`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub members: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub branding: Option<Branding>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<BTreeMap<String, String>>,
    /// Connections by name, with their per-organization settings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub connections: Option<Vec<ConnectionSpec>>,
    /// Email domains by which the login's email step finds the organization.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub discovery_domains: Option<Vec<DomainSpec>>,
    /// The client grants associated with it (machine-to-machine access), by application and API.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_grants: Option<Vec<super::GrantKey>>,
}

/// A discovery domain of an organization. A field left out is not managed (the tenant's default on creation:
/// `pending`, not used for discovery).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DomainSpec {
    /// The email domain, e.g. `acme.example` (compared in lower case).
    pub domain: String,
    /// `pending` or `verified`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub use_for_organization_discovery: Option<bool>,
}

/// A connection enabled for an organization, by connection name.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConnectionSpec {
    pub name: String,
    #[serde(default)]
    pub assign_membership_on_login: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub show_as_button: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_signup_enabled: Option<bool>,
}

/// File formats of desired state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Toml,
    Yaml,
}

impl Format {
    /// By extension: `.toml`, `.yaml`/`.yml`.
    pub fn from_path(path: &Path) -> Option<Self> {
        match path.extension()?.to_str()?.to_ascii_lowercase().as_str() {
            "toml" => Some(Self::Toml),
            "yaml" | "yml" => Some(Self::Yaml),
            _ => None,
        }
    }
}

impl DesiredState {
    /// Parses a desired-state document.
    pub fn parse(text: &str, format: Format) -> Result<Self, AdminError> {
        match format {
            Format::Toml => toml::from_str(text)
                .map_err(|e| AdminError::Config(format!("invalid desired-state TOML: {e}"))),
            Format::Yaml => serde_yaml_ng::from_str(text)
                .map_err(|e| AdminError::Config(format!("invalid desired-state YAML: {e}"))),
        }
    }

    /// Reads a desired-state file; the format comes from the extension.
    pub fn read(path: &Path) -> Result<Self, AdminError> {
        let format = Format::from_path(path).ok_or_else(|| {
            AdminError::Config(format!(
                "{}: name the file *.toml, *.yaml or *.yml so its format is known",
                path.display()
            ))
        })?;
        let text = std::fs::read_to_string(path)
            .map_err(|e| AdminError::Config(format!("could not read {}: {e}", path.display())))?;
        Self::parse(&text, format)
    }

    /// Writes the document in `format`.
    pub fn render(&self, format: Format) -> Result<String, AdminError> {
        match format {
            Format::Toml => toml::to_string_pretty(self)
                .map_err(|e| AdminError::Config(format!("could not write TOML: {e}"))),
            Format::Yaml => serde_yaml_ng::to_string(self)
                .map_err(|e| AdminError::Config(format!("could not write YAML: {e}"))),
        }
    }

    /// Every rule that can be checked without reading the tenant: names, duplicates, branding (whose logo rule
    /// depends on which tenant, see [`crate::validate::logo_url`]), metadata, member user ids, flags.
    pub fn validate(&self, tenant: &crate::Tenant) -> Result<(), ValidationError> {
        super::clients::validate(&self.clients)?;
        super::grants::validate(&self.client_grants)?;
        let mut seen = BTreeSet::new();
        for o in &self.organizations {
            crate::validate::org_name(&o.name)?;
            if !seen.insert(o.name.as_str()) {
                return Err(ValidationError::Other(format!(
                    "organization {:?} is listed twice",
                    o.name
                )));
            }
            crate::model::validate_org_fields(
                o.display_name.as_deref(),
                o.branding.as_ref(),
                o.metadata.as_ref(),
                tenant,
            )?;
            for m in o.members.iter().flatten() {
                crate::validate::user_id(m)?;
            }
            let mut domains = BTreeSet::new();
            for d in o.discovery_domains.iter().flatten() {
                crate::validate::domain(&d.domain)?;
                if let Some(s) = &d.status {
                    crate::validate::domain_status(s)?;
                }
                if !domains.insert(d.domain.to_ascii_lowercase()) {
                    return Err(ValidationError::Other(format!(
                        "discovery domain {:?} is listed twice for organization {:?}",
                        d.domain, o.name
                    )));
                }
            }
            let mut grants = BTreeSet::new();
            for g in o.client_grants.iter().flatten() {
                crate::validate::client_id(&g.client_id)?;
                if !grants.insert(g) {
                    return Err(ValidationError::Other(format!(
                        "client grant {g} is listed twice for organization {:?}",
                        o.name
                    )));
                }
            }
            if let Some(cs) = &o.connections {
                let mut names = BTreeSet::new();
                for c in cs {
                    if !names.insert(c.name.as_str()) {
                        return Err(ValidationError::Other(format!(
                            "connection {:?} is listed twice for organization {:?}",
                            c.name, o.name
                        )));
                    }
                    crate::validate::connection_flags(
                        &c.name,
                        c.assign_membership_on_login,
                        c.is_signup_enabled,
                    )?;
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TOML: &str = r##"
[[organizations]]
name = "acme"
display_name = "Acme Inc."
members = ["auth0|1"]
metadata = { tier = "gold" }
[organizations.branding]
logo_url = "https://cdn.example.com/acme.png"
colors = { primary = "#0059d6", page_background = "#ffffff" }
[[organizations.connections]]
name = "Username-Password-Authentication"
assign_membership_on_login = true
is_signup_enabled = true
[[organizations.discovery_domains]]
domain = "acme.example"
status = "verified"
use_for_organization_discovery = true
"##;

    const YAML: &str = r##"
organizations:
  - name: acme
    display_name: Acme Inc.
    members: ["auth0|1"]
    metadata: { tier: gold }
    branding:
      logo_url: https://cdn.example.com/acme.png
      colors: { primary: "#0059d6", page_background: "#ffffff" }
    connections:
      - name: Username-Password-Authentication
        assign_membership_on_login: true
        is_signup_enabled: true
    discovery_domains:
      - domain: acme.example
        status: verified
        use_for_organization_discovery: true
"##;

    #[test]
    fn toml_and_yaml_read_the_same_and_round_trip() {
        let t = DesiredState::parse(TOML, Format::Toml).unwrap();
        let y = DesiredState::parse(YAML, Format::Yaml).unwrap();
        assert_eq!(t, y);
        assert_eq!(
            t.organizations[0]
                .branding
                .as_ref()
                .unwrap()
                .colors
                .as_ref()
                .unwrap()
                .primary,
            "#0059d6"
        );
        for f in [Format::Toml, Format::Yaml] {
            let text = t.render(f).unwrap();
            assert_eq!(DesiredState::parse(&text, f).unwrap(), t, "{text}");
        }
        t.validate(&crate::Tenant::parse("acme.eu.auth0.com").unwrap())
            .unwrap();
    }

    #[test]
    fn validation_rows() {
        let base = DesiredState::parse(TOML, Format::Toml).unwrap();
        type Mutation = Box<dyn Fn(&mut DesiredState)>;
        let rows: Vec<(Mutation, &str)> = vec![
            (
                Box::new(|d| d.organizations[0].name = "Acme".into()),
                "organization name",
            ),
            (
                Box::new(|d| d.organizations.push(d.organizations[0].clone())),
                "listed twice",
            ),
            (
                Box::new(|d| {
                    d.organizations[0]
                        .branding
                        .as_mut()
                        .unwrap()
                        .colors
                        .as_mut()
                        .unwrap()
                        .primary = "blue".into()
                }),
                "not a hex colour",
            ),
            (
                Box::new(|d| {
                    d.organizations[0].branding.as_mut().unwrap().logo_url =
                        Some("http://x.example/l.png".into())
                }),
                "https",
            ),
            (
                Box::new(|d| {
                    d.organizations[0].connections.as_mut().unwrap()[0].assign_membership_on_login =
                        false
                }),
                "assign_membership_on_login",
            ),
            (
                Box::new(|d| {
                    d.organizations[0].members = Some(vec!["auth0|ok".into(), String::new()])
                }),
                "user id \"\" is invalid",
            ),
            (
                Box::new(|d| {
                    d.organizations[0].discovery_domains.as_mut().unwrap()[0].domain =
                        "a_b.example".into()
                }),
                "is not a domain name",
            ),
            (
                Box::new(|d| {
                    d.organizations[0].discovery_domains.as_mut().unwrap()[0].status =
                        Some("done".into())
                }),
                "use \"pending\" or \"verified\"",
            ),
            (
                Box::new(|d| {
                    let ds = d.organizations[0].discovery_domains.as_mut().unwrap();
                    ds.push(DomainSpec {
                        domain: "ACME.example".into(),
                        ..DomainSpec::default()
                    })
                }),
                "listed twice",
            ),
            (
                Box::new(|d| {
                    let g = super::super::GrantKey {
                        client_id: "orgpass-ingest".into(),
                        audience: "https://api.example/".into(),
                    };
                    d.organizations[0].client_grants = Some(vec![g.clone(), g]);
                }),
                "client grant orgpass-ingest on https://api.example/ is listed twice for organization \"acme\"",
            ),
        ];
        let auth0 = crate::Tenant::parse("acme.eu.auth0.com").unwrap();
        for (mutate, needle) in rows {
            let mut d = base.clone();
            mutate(&mut d);
            let e = d.validate(&auth0).unwrap_err().to_string();
            assert!(e.contains(needle), "{e:?} should mention {needle:?}");
        }
        assert!(
            DesiredState::parse(
                "organizations = [{ name = \"a\", colour = \"x\" }]",
                Format::Toml
            )
            .is_err()
        );
    }

    #[test]
    fn format_by_extension() {
        assert_eq!(Format::from_path(Path::new("x.toml")), Some(Format::Toml));
        assert_eq!(Format::from_path(Path::new("x.YML")), Some(Format::Yaml));
        assert_eq!(Format::from_path(Path::new("x.json")), None);
    }
}
