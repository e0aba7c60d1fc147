//! Error types, split by where a failure came from: our validation, the tenant's answer, the transport, the keychain.

use crate::validate::ValidationError;

/// Everything a Management API call can fail with. Messages say what failed and what to do about it.
#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    /// Refused before sending: the input breaks one of Auth0's rules.
    #[error("invalid input: {0}")]
    Invalid(#[from] ValidationError),

    /// The tenant answered 403 because the M2M application lacks a scope.
    #[error(
        "the Management API refused {what}: missing scope `{scope}`. Grant `{scope}` to this machine-to-machine \
         application (Dashboard → Applications → APIs → Auth0 Management API → Permissions) and run \
         `orgpass-admin auth login` again"
    )]
    InsufficientScope { what: String, scope: String },

    /// The thing named does not exist on the tenant.
    #[error("{what} not found ({message}); list what exists with `orgpass-admin {hint}`")]
    NotFound {
        what: String,
        message: String,
        hint: &'static str,
    },

    /// 409: something with that name already exists.
    #[error(
        "{what}: it already exists (409: {message}); pick another name, or change the existing one instead"
    )]
    Conflict { what: String, message: String },

    /// Rate limited beyond the retry budget.
    #[error(
        "{what}: still rate limited (429) after {attempts} attempts; lower --concurrency or retry later"
    )]
    RateLimited { what: String, attempts: u32 },

    /// Any other error answer from the tenant.
    #[error("{what}: the tenant answered {status} {error_code}: {message}")]
    Api {
        what: String,
        status: u16,
        error_code: String,
        message: String,
    },

    /// A request that is not safe to repeat failed in a way that leaves its outcome unknown.
    #[error(
        "{what}: the outcome is unknown ({cause}); it was not retried because repeating it could do it twice. \
         Check the current state (e.g. `orgpass-admin orgs invitations list`) before trying again"
    )]
    Ambiguous { what: String, cause: String },

    /// Network failure, timeout or reset after retries.
    #[error("{what}: {cause}")]
    Transport { what: String, cause: String },

    /// The tenant answered a redirect (3xx). Redirects are never followed: following one would send the request
    /// (for the token request, the client secret) to another address.
    #[error(
        "{what}: the tenant answered {request} with {status}, a redirect to {location}, which orgpass-admin does not \
         follow (it would send the request, and for a token the client secret, there); check --domain: it must be \
         the tenant's own domain (e.g. `your-tenant.eu.auth0.com`, or its custom domain)"
    )]
    Redirect {
        what: String,
        request: String,
        status: u16,
        location: String,
    },

    /// The tenant answered something we could not read.
    #[error("{what}: unreadable response from the tenant ({cause})")]
    Decode { what: String, cause: String },

    /// The token endpoint refused the client credentials.
    #[error(
        "the token endpoint refused the client credentials ({error}: {description}); check --client-id and the \
         client secret (`orgpass-admin auth login`), and that the application is authorized for the Management API"
    )]
    Credentials { error: String, description: String },

    /// Keychain trouble.
    #[error(
        "{0}. orgpass-admin never falls back to a plaintext file; in CI set ORGPASS_ADMIN_CLIENT_SECRET instead"
    )]
    Keychain(#[from] crate::keychain::KeychainError),

    /// Configuration problems (domain, files).
    #[error("{0}")]
    Config(String),
}

/// Auth0's error body: `{"statusCode":403,"error":"Forbidden","message":"…","errorCode":"insufficient_scope"}`.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Auth0ErrorBody {
    #[serde(default)]
    pub error: Option<String>,
    #[serde(default)]
    pub message: Option<String>,
    #[serde(default)]
    pub error_code: Option<String>,
}

/// Pulls the scope out of Auth0's "Insufficient scope, expected any of: read:organizations" message.
pub(crate) fn scope_from_message(message: &str) -> Option<String> {
    let (_, rest) = message.split_once("expected any of:")?;
    let first = rest.split([',', ' ']).find(|s| !s.trim().is_empty())?;
    Some(first.trim().to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scope_is_read_from_auth0_message() {
        assert_eq!(
            scope_from_message("Insufficient scope, expected any of: create:organizations")
                .as_deref(),
            Some("create:organizations")
        );
        assert_eq!(
            scope_from_message("Insufficient scope, expected any of: read:organizations,read:x")
                .as_deref(),
            Some("read:organizations")
        );
        assert_eq!(scope_from_message("Forbidden"), None);
    }

    #[test]
    fn scope_message_names_the_scope() {
        let e = AdminError::InsufficientScope {
            what: "creating organization acme".into(),
            scope: "create:organizations".into(),
        };
        assert!(
            e.to_string()
                .contains("missing scope `create:organizations`")
        );
    }
}
