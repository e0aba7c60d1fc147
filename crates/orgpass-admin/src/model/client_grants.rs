//! Client grants as the Management API shows and changes them: an application's access to an API (`audience`) with
//! its scopes, and whether and for which organizations it gets client-credentials tokens (`organization_usage`,
//! `allow_any_organization`; the organizations themselves are associated through `/organizations/{id}/client-grants`).

use serde::{Deserialize, Serialize};

/// The values of a grant's `organization_usage` (absent means `deny`).
pub const GRANT_ORGANIZATION_USAGES: &[&str] = &["deny", "allow", "require"];

/// `GET /client-grants` item.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClientGrant {
    pub id: String,
    pub client_id: String,
    pub audience: String,
    #[serde(default)]
    pub scope: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub organization_usage: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allow_any_organization: Option<bool>,
    /// Who the grant is for: `client` (the application itself, client credentials; absent means this) or `user`
    /// (the application on behalf of its users).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject_type: Option<String>,
    /// A grant Auth0 made itself, which cannot be changed or deleted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_system: Option<bool>,
    /// Every scope of the API, whatever `scope` lists.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allow_all_scopes: Option<bool>,
}

impl ClientGrant {
    /// Whether a desired-state file describes it: the application's own client-credentials access (`subject_type`
    /// absent or `client`) with the scopes it lists, not a system grant. `export` and `apply` leave the others alone.
    pub fn is_managed(&self) -> bool {
        self.is_client_credentials()
            && self.is_system != Some(true)
            && self.allow_all_scopes != Some(true)
    }

    /// Whether it is the application's own client-credentials access (`subject_type` absent or `client`), not a
    /// grant for its users.
    pub fn is_client_credentials(&self) -> bool {
        self.subject_type.as_deref().is_none_or(|s| s == "client")
    }

    /// Whether it can be associated with organizations (`organization_usage` allow or require).
    pub fn takes_organizations(&self) -> bool {
        usage_takes_organizations(self.organization_usage.as_deref())
    }
}

/// Whether a grant with this `organization_usage` can be associated with organizations.
pub fn usage_takes_organizations(usage: Option<&str>) -> bool {
    matches!(usage, Some("allow" | "require"))
}

/// `POST /client-grants` body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NewClientGrant {
    pub client_id: String,
    pub audience: String,
    pub scope: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub organization_usage: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub allow_any_organization: Option<bool>,
}

impl NewClientGrant {
    /// The client id's shape, a non-empty audience, Auth0's enum.
    pub fn validate(&self) -> Result<(), crate::ValidationError> {
        crate::validate::client_id(&self.client_id)?;
        if self.audience.trim().is_empty() {
            return Err(crate::ValidationError::Empty {
                field: "audience (the API identifier)",
            });
        }
        crate::validate::one_of(
            "organization_usage",
            self.organization_usage.as_deref(),
            GRANT_ORGANIZATION_USAGES,
        )
    }
}

/// `PATCH /client-grants/{id}` body: only what is set is sent.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ClientGrantUpdate {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scope: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub organization_usage: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub allow_any_organization: Option<bool>,
}

impl ClientGrantUpdate {
    pub fn is_empty(&self) -> bool {
        self == &Self::default()
    }

    pub fn validate(&self) -> Result<(), crate::ValidationError> {
        crate::validate::one_of(
            "organization_usage",
            self.organization_usage.as_deref(),
            GRANT_ORGANIZATION_USAGES,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plain_client_grants_of_auth0s_shape_are_managed() {
        let g = |extra: &str| -> ClientGrant {
            serde_json::from_str(&format!(
                r#"{{"id":"cgr_1","client_id":"abc","audience":"https://api/","scope":["read:x"]{extra}}}"#
            ))
            .unwrap()
        };
        let rows = [
            ("", true),
            (
                r#","subject_type":"client","is_system":false,"allow_all_scopes":false"#,
                true,
            ),
            (r#","subject_type":"user""#, false),
            (r#","subject_type":"anonymous_user""#, false),
            (r#","is_system":true"#, false),
            (r#","allow_all_scopes":true"#, false),
        ];
        for (extra, managed) in rows {
            assert_eq!(g(extra).is_managed(), managed, "{extra}");
        }
        let user = g(r#","subject_type":"user","is_system":true,"allow_all_scopes":true"#);
        assert_eq!(
            (
                user.subject_type.as_deref(),
                user.is_system,
                user.allow_all_scopes
            ),
            (Some("user"), Some(true), Some(true))
        );
    }
}
