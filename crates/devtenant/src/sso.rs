//! What one sign-in may reach beyond its own API: a client's refresh-token policies (Multi-Resource Refresh Tokens:
//! the other APIs a refresh may ask for) and its Native to Web SSO settings, and the session transfer tokens issued
//! and not yet used.

use serde::{Deserialize, Serialize};

/// One `refresh_token.policies` entry: an API and the scopes a refresh may ask for it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RefreshPolicy {
    pub audience: String,
    #[serde(default)]
    pub scope: Vec<String>,
}

/// A client's `session_transfer` settings, with Auth0's defaults.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SessionTransferSettings {
    /// The native app may exchange its refresh token for a session transfer token.
    #[serde(default)]
    pub can_create_session_transfer_token: bool,
    /// How the web app may present one at `/authorize`: devtenant takes `query` (the parameter
    /// `session_transfer_token`).
    #[serde(default)]
    pub allowed_authentication_methods: Vec<String>,
}

/// A session transfer token issued and not yet used (kept in memory only, like codes).
#[derive(Debug, Clone)]
pub struct Transfer {
    pub user_id: String,
    pub org_id: Option<String>,
    pub expires_at: i64,
}
