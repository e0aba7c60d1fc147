//! Management API payloads (organizations, connections, members, invitations, discovery domains, the
//! applications' organization settings in `clients.rs` and client grants in `client_grants.rs`) as Auth0 sends and accepts them.
//!
//! These cross a boundary (HTTP and `--json` output), so they are `Serialize` + `Deserialize`.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

mod client_grants;
mod clients;
pub use client_grants::*;
pub use clients::*;

/// `GET /organizations/{id}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Organization {
    pub id: String,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub branding: Option<Branding>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<BTreeMap<String, String>>,
}

/// An organization's branding: logo and the two colours of the login page.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Branding {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub logo_url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub colors: Option<Colors>,
}

impl Branding {
    /// Auth0 answers `{}` or omits branding alike; treat both as "none".
    pub fn is_empty(&self) -> bool {
        self.logo_url.is_none() && self.colors.is_none()
    }
}

/// Both keys required, no others.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Colors {
    pub primary: String,
    pub page_background: String,
}

/// `POST /organizations` body.
#[derive(Debug, Clone, Default, Serialize)]
pub struct NewOrganization {
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub branding: Option<Branding>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub metadata: Option<BTreeMap<String, String>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub enabled_connections: Vec<ConnectionSettings>,
}

impl NewOrganization {
    /// Auth0's rules, checked before sending to `tenant`.
    pub fn validate(&self, tenant: &crate::Tenant) -> Result<(), crate::ValidationError> {
        crate::validate::org_name(&self.name)?;
        validate_org_fields(
            self.display_name.as_deref(),
            self.branding.as_ref(),
            self.metadata.as_ref(),
            tenant,
        )?;
        if self.enabled_connections.len() > crate::validate::MAX_CONNECTIONS_ON_CREATE {
            return Err(crate::ValidationError::TooManyConnections(
                self.enabled_connections.len(),
            ));
        }
        for c in &self.enabled_connections {
            crate::validate::connection_flags(
                &c.connection_id,
                c.assign_membership_on_login,
                c.is_signup_enabled,
            )?;
        }
        Ok(())
    }
}

/// The optional organization fields shared by create, update and desired state (`apply`), checked against
/// Auth0's rules for `tenant`.
pub(crate) fn validate_org_fields(
    display_name: Option<&str>,
    branding: Option<&Branding>,
    metadata: Option<&BTreeMap<String, String>>,
    tenant: &crate::Tenant,
) -> Result<(), crate::ValidationError> {
    if let Some(d) = display_name {
        crate::validate::display_name(d)?;
    }
    if let Some(b) = branding {
        crate::validate::branding(b, tenant)?;
    }
    if let Some(m) = metadata {
        crate::validate::metadata(m)?;
    }
    Ok(())
}

/// `PATCH /organizations/{id}` body: only the fields to change.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct OrganizationUpdate {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub branding: Option<Branding>,
    /// The whole new metadata: Auth0 replaces the object, so keys left out are removed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub metadata: Option<BTreeMap<String, String>>,
}

impl OrganizationUpdate {
    /// Nothing to send.
    pub fn is_empty(&self) -> bool {
        self == &Self::default()
    }

    /// Auth0's rules, checked before sending to `tenant`.
    pub fn validate(&self, tenant: &crate::Tenant) -> Result<(), crate::ValidationError> {
        if let Some(n) = &self.name {
            crate::validate::org_name(n)?;
        }
        validate_org_fields(
            self.display_name.as_deref(),
            self.branding.as_ref(),
            self.metadata.as_ref(),
            tenant,
        )
    }
}

/// A connection (`GET /connections`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Connection {
    pub id: String,
    pub name: String,
    pub strategy: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
}

/// The per-organization settings of a connection; the body of `POST …/enabled_connections`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConnectionSettings {
    pub connection_id: String,
    #[serde(default)]
    pub assign_membership_on_login: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub show_as_button: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_signup_enabled: Option<bool>,
}

/// `PATCH …/enabled_connections/{id}` body.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ConnectionSettingsUpdate {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub assign_membership_on_login: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub show_as_button: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub is_signup_enabled: Option<bool>,
}

/// `GET …/enabled_connections` item.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnabledConnection {
    pub connection_id: String,
    #[serde(default)]
    pub assign_membership_on_login: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub show_as_button: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_signup_enabled: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub connection: Option<ConnectionRef>,
}

/// The connection summary Auth0 nests in an enabled connection.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConnectionRef {
    pub name: String,
    #[serde(default)]
    pub strategy: String,
}

/// `GET …/members` item.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Member {
    pub user_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

/// `POST …/invitations` body.
#[derive(Debug, Clone, Serialize)]
pub struct NewInvitation {
    pub inviter: Inviter,
    pub invitee: Invitee,
    pub client_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub connection_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ttl_sec: Option<u64>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub roles: Vec<String>,
    pub send_invitation_email: bool,
}

impl NewInvitation {
    /// Auth0's rules, checked before sending.
    pub fn validate(&self) -> Result<(), crate::ValidationError> {
        if self.inviter.name.trim().is_empty() {
            return Err(crate::ValidationError::Empty {
                field: "inviter name",
            });
        }
        if self.client_id.trim().is_empty() {
            return Err(crate::ValidationError::Empty { field: "client_id" });
        }
        crate::validate::email(&self.invitee.email)?;
        if let Some(ttl) = self.ttl_sec {
            crate::validate::invitation_ttl(ttl)?;
        }
        Ok(())
    }
}

/// Who sends an invitation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Inviter {
    pub name: String,
}

/// Who is invited.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Invitee {
    pub email: String,
}

/// An invitation as Auth0 returns it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Invitation {
    pub id: String,
    #[serde(default)]
    pub organization_id: String,
    pub inviter: Inviter,
    pub invitee: Invitee,
    #[serde(default)]
    pub invitation_url: String,
    #[serde(default)]
    pub client_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub connection_id: Option<String>,
    #[serde(default)]
    pub ticket_id: String,
    #[serde(default)]
    pub created_at: String,
    #[serde(default)]
    pub expires_at: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub roles: Vec<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn branding_serialises_as_objects_not_arrays() {
        let b = Branding {
            logo_url: Some("https://x.example/l.png".into()),
            colors: Some(Colors {
                primary: "#000000".into(),
                page_background: "#ffffff".into(),
            }),
        };
        assert_eq!(
            serde_json::to_value(&b).unwrap(),
            serde_json::json!({"logo_url":"https://x.example/l.png","colors":{"primary":"#000000","page_background":"#ffffff"}})
        );
        assert!(serde_json::from_value::<Colors>(serde_json::json!({"primary":"#000"})).is_err());
    }

    #[test]
    fn update_sends_only_changes() {
        let u = OrganizationUpdate {
            display_name: Some("Acme".into()),
            metadata: Some([("tier".to_string(), "gold".to_string())].into()),
            ..Default::default()
        };
        assert_eq!(
            serde_json::to_value(&u).unwrap(),
            serde_json::json!({"display_name":"Acme","metadata":{"tier":"gold"}})
        );
        assert!(OrganizationUpdate::default().is_empty());
    }

    #[test]
    fn new_org_validation() {
        let auth0 = crate::Tenant::parse("acme.eu.auth0.com").unwrap();
        let dev = crate::Tenant::parse("http://127.0.0.1:4000").unwrap();
        let mut o = NewOrganization {
            name: "acme".into(),
            ..Default::default()
        };
        assert!(o.validate(&auth0).is_ok());
        o.branding = Some(Branding {
            logo_url: Some("http://127.0.0.1:4000/branding/acme.svg".into()),
            colors: None,
        });
        assert_eq!(
            o.validate(&auth0),
            Err(crate::ValidationError::LogoUrl(
                "http://127.0.0.1:4000/branding/acme.svg".into()
            ))
        );
        assert!(o.validate(&dev).is_ok());
        o.branding = None;
        o.enabled_connections = (0..11)
            .map(|i| ConnectionSettings {
                connection_id: format!("con_{i}"),
                assign_membership_on_login: false,
                show_as_button: None,
                is_signup_enabled: None,
            })
            .collect();
        assert_eq!(
            o.validate(&auth0),
            Err(crate::ValidationError::TooManyConnections(11))
        );
        o.enabled_connections.clear();
        o.name = "Bad Name".into();
        assert!(o.validate(&auth0).is_err());
    }
}

/// An organization's discovery domain (`GET /organizations/{id}/discovery-domains/{domain_id}`): the email domain
/// by which the login's email step finds the organization, once `verified` and used for discovery.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DiscoveryDomain {
    pub id: String,
    pub domain: String,
    /// `pending` until the DNS TXT record is seen, then `verified`.
    pub status: String,
    #[serde(default)]
    pub use_for_organization_discovery: bool,
    /// The TXT record's value, to publish at [`Self::verification_host`].
    #[serde(default)]
    pub verification_txt: String,
    #[serde(default)]
    pub verification_host: String,
}

impl DiscoveryDomain {
    /// Whether the DNS TXT record still has to be published (and checked) for it.
    pub fn is_pending(&self) -> bool {
        self.status == "pending"
    }
}

/// `POST /organizations/{id}/discovery-domains` body.
#[derive(Debug, Clone, Default, Serialize)]
pub struct NewDiscoveryDomain {
    pub domain: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub use_for_organization_discovery: Option<bool>,
}

impl NewDiscoveryDomain {
    pub fn validate(&self) -> Result<(), crate::ValidationError> {
        crate::validate::domain(&self.domain)?;
        if let Some(s) = &self.status {
            crate::validate::domain_status(s)?;
        }
        Ok(())
    }
}

/// `PATCH /organizations/{id}/discovery-domains/{domain_id}` body (the domain itself cannot change).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct DiscoveryDomainUpdate {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub use_for_organization_discovery: Option<bool>,
}
