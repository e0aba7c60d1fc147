//! An application's (client's) organization settings as the Management API shows and changes them: whether it
//! takes organizations, how the login prompts for one, how the prompt finds it, and the refresh-token rotation
//! overlap (`refresh_token.leeway`).

use serde::{Deserialize, Serialize};

/// The values of `organization_usage`.
pub const ORGANIZATION_USAGES: &[&str] = &["deny", "allow", "require"];
/// The values of `organization_require_behavior`.
pub const REQUIRE_BEHAVIORS: &[&str] = &["no_prompt", "pre_login_prompt", "post_login_prompt"];
/// The values in `organization_discovery_methods`.
pub const DISCOVERY_METHODS: &[&str] = &["email", "organization_name"];

/// `GET /clients/{id}` (the fields orgpass-admin manages; Auth0 sends many more).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Client {
    pub client_id: String,
    #[serde(default)]
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub app_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub organization_usage: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub organization_require_behavior: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub organization_discovery_methods: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<RefreshTokenConfig>,
}

impl Client {
    /// The rotation overlap in seconds (0, Auth0's default, when unset).
    pub fn leeway(&self) -> u64 {
        self.refresh_token
            .as_ref()
            .and_then(|r| r.leeway)
            .unwrap_or(0)
    }
}

/// A client's `refresh_token` object. Auth0 requires `rotation_type` and `expiration_type` in every change of it;
/// the fields orgpass-admin does not manage (lifetimes, policies) are kept as they came and sent back unchanged.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RefreshTokenConfig {
    pub rotation_type: String,
    pub expiration_type: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub leeway: Option<u64>,
    #[serde(flatten)]
    pub other: serde_json::Map<String, serde_json::Value>,
}

/// `PATCH /clients/{id}` body: only what is set is sent.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ClientUpdate {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub organization_usage: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub organization_require_behavior: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub organization_discovery_methods: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<RefreshTokenConfig>,
}

impl ClientUpdate {
    pub fn is_empty(&self) -> bool {
        self == &Self::default()
    }

    /// Auth0's enums and the non-empty list of discovery methods.
    pub fn validate(&self) -> Result<(), crate::ValidationError> {
        crate::validate::one_of(
            "organization_usage",
            self.organization_usage.as_deref(),
            ORGANIZATION_USAGES,
        )?;
        crate::validate::one_of(
            "organization_require_behavior",
            self.organization_require_behavior.as_deref(),
            REQUIRE_BEHAVIORS,
        )?;
        if let Some(methods) = &self.organization_discovery_methods {
            crate::validate::discovery_methods(methods)?;
        }
        Ok(())
    }
}
