//! Why a sign-in or a token request failed, and how each failure is reported (exit codes, the app's sentences).

use std::time::Duration;

use super::*;

/// How an error should be reported (the CLI maps these to exit codes 2, 3, 4, 4, 1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// Bad usage or bad input; nothing was opened.
    Usage,
    /// The IdP refused, or a check of its response failed; nothing was stored.
    Refused,
    /// The flow timed out.
    TimedOut,
    /// The flow was cancelled.
    Cancelled,
    /// Anything else (network, keychain, …).
    Other,
}

/// Why a sign-in failed.
#[derive(Debug, thiserror::Error)]
pub enum LoginError {
    #[error(transparent)]
    Discovery(#[from] DiscoveryError),
    #[error(transparent)]
    Listen(#[from] ListenError),
    #[error("sign-in refused by the identity provider: {error}{}", describe_opt(.description))]
    Idp {
        error: String,
        description: Option<String>,
    },
    #[error(
        "authorization response rejected: iss is {got}, expected {want} (RFC 9207 mix-up protection)"
    )]
    IssMismatch { got: String, want: String },
    #[error(
        "authorization response rejected: iss is missing, but the provider says it always sends it (RFC 9207)"
    )]
    IssMissing,
    #[error("authorization response rejected: it has neither a code nor an error")]
    MissingCode,
    #[error("token request refused: {error}{}", describe_opt(.description))]
    TokenEndpoint {
        error: String,
        description: Option<String>,
    },
    #[error("token response rejected: it contains no id_token (is `openid` in the scope?)")]
    NoIdToken,
    #[error("token response rejected: {0}")]
    BadResponse(String),
    #[error(transparent)]
    IdToken(#[from] IdTokenError),
    #[error("could not reach the token endpoint: {0}; check your network")]
    Transport(String),
    /// The token request got no answer: the network, a proxy or the tenant's certificate.
    #[error("{0}")]
    Network(orgpass_net::NetError),
    /// The token endpoint answered an error that is not an OAuth error (a 5xx page).
    #[error(
        "the token endpoint could not complete the sign-in: {0}; the tenant (or a proxy in front of it) \
             is failing, try again in a few minutes"
    )]
    ServerFailed(String),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("sign-in timed out after {} s without a response from the browser; run the command again", .0.as_secs())]
    TimedOut(Duration),
    #[error("sign-in cancelled")]
    Cancelled,
    /// `dpop = true`, and the tenant does not advertise DPoP with ES256.
    #[error(
        "this device's settings bind sessions to it (dpop = true), but the tenant does not offer DPoP with ES256 \
         (dpop_signing_alg_values_supported); turn DPoP on for the application in the tenant, or set dpop = false"
    )]
    DpopUnsupported,
    /// `dpop = true`, and the tenant answered with a token that is not bound.
    #[error(
        "the tenant answered with a {0} token instead of one bound to this device (DPoP); turn DPoP on for the \
         application in the tenant, or set dpop = false"
    )]
    NotBound(String),
    /// Both an organization and a work email were given.
    #[error(
        "give either the organization or your work email, not both: the organization names it directly, the work \
         email lets the tenant find it"
    )]
    OrgAndEmail,
    /// The organization asked for is not on this device's allow-list (`allowed_organizations`).
    #[error(
        "organization {org} is not one this device may sign in to (allowed_organizations: {allowed}); choose one of \
         those, or ask your IT department to add it"
    )]
    NotAllowed { org: String, allowed: String },
    /// The tenant signed the person in to an organization outside this device's allow-list; nothing was stored.
    #[error(
        "the tenant signed you in to organization {org_id}{}, which is not one this device may sign in to \
         (allowed_organizations: {allowed}); nothing was stored. Sign in to one of those, or ask your IT \
         department to add it",
        .org_name.as_deref().map(|n| format!(" ({n})")).unwrap_or_default()
    )]
    OrgNotAllowed {
        org_id: String,
        org_name: Option<String>,
        allowed: String,
    },
    /// A sign-in by work email came back without an organization: the tenant's application does not ask for one
    /// before login, so it chose none; nothing was stored.
    #[error(
        "the tenant signed you in without finding an organization for your work email; nothing was stored. Its \
         application must ask for the organization before login and find it by email (in Auth0: \
         organization_require_behavior = pre_login_prompt with the email discovery method): ask your IT \
         department, or name your organization instead"
    )]
    NoOrganizationFound,
    /// The OS random source failed while making the session's key.
    #[error("could not make this session's key: {0}")]
    Key(String),
}

/// `organization org_…`, or what a session without one is.
fn describe_org(org: &Option<String>) -> String {
    org.as_deref().map_or_else(
        || "a session without an organization".to_owned(),
        |o| format!("organization {o}"),
    )
}

pub(super) fn describe_opt(d: &Option<String>) -> String {
    d.as_deref().map(|d| format!(" ({d})")).unwrap_or_default()
}

impl LoginError {
    /// Classify for exit codes and UI.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Self::IdToken(IdTokenError::Jwks(_)) => ErrorKind::Other,
            Self::Idp { .. }
            | Self::IssMismatch { .. }
            | Self::IssMissing
            | Self::MissingCode
            | Self::TokenEndpoint { .. }
            | Self::NoIdToken
            | Self::BadResponse(_)
            | Self::IdToken(_)
            | Self::NotBound(_)
            | Self::NoOrganizationFound
            | Self::OrgNotAllowed { .. } => ErrorKind::Refused,
            Self::DpopUnsupported | Self::OrgAndEmail | Self::NotAllowed { .. } => ErrorKind::Usage,
            Self::TimedOut(_) => ErrorKind::TimedOut,
            Self::Cancelled => ErrorKind::Cancelled,
            Self::Discovery(_)
            | Self::Listen(_)
            | Self::Transport(_)
            | Self::Network(_)
            | Self::ServerFailed(_)
            | Self::Store(_)
            | Self::Key(_) => ErrorKind::Other,
        }
    }

    /// Why the identity provider refused, for an error in the authorization response (see [`IdpRefusal`]).
    pub fn idp_refusal(&self) -> Option<crate::IdpRefusal> {
        match self {
            Self::Idp { error, description } => Some(crate::IdpRefusal::classify(
                error,
                description.as_deref().unwrap_or(""),
            )),
            _ => None,
        }
    }
}

/// Why `token()` could not return an access token.
#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    #[error("no session for {0}; run `orgpass login` first")]
    NoSession(String),
    #[error("the session has expired and has no refresh token; sign in again")]
    NotRefreshable,
    #[error("the session has ended ({reason}); it was removed, sign in again")]
    SignInAgain { reason: String },
    #[error("refresh refused: {error}{}", describe_opt(.description))]
    TokenEndpoint {
        error: String,
        description: Option<String>,
    },
    #[error("refresh response rejected: {0}")]
    BadResponse(String),
    /// The refreshed ID token could not be accepted. A failed check ends the session (removed); only when the
    /// issuer's keys could not be fetched ([`IdTokenError::Jwks`]) is the session kept, with its rotated refresh
    /// token, for a later try.
    #[error("refreshed {}; {}", .0, refused_refresh_outcome(.0))]
    IdToken(IdTokenError),
    #[error("could not reach the token endpoint: {0}; check your network")]
    Transport(String),
    /// The refresh got no answer: the network, a proxy or the tenant's certificate; the session is kept.
    #[error("{0}")]
    Network(orgpass_net::NetError),
    /// The token endpoint answered an error that is not an OAuth error (a 5xx page); the session is kept.
    #[error(
        "the token endpoint could not renew the session: {0}; the tenant (or a proxy in front of it) \
             is failing, try again in a few minutes"
    )]
    ServerFailed(String),
    #[error("session {0} belongs to another issuer or client than this configuration")]
    WrongClient(String),
    #[error(transparent)]
    Discovery(#[from] DiscoveryError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Lock(#[from] LockError),
    /// The tenant's token for another of the company's APIs failed a check; the session is kept (with its rotated
    /// refresh token), the token is not.
    #[error("the tenant's token for {audience} was not used: {reason}")]
    ApiToken { audience: String, reason: String },
    /// The token for another API could not be checked (the issuer's keys could not be fetched).
    #[error("the tenant's token for {audience} could not be checked ({reason}); try again")]
    ApiTokenUnchecked { audience: String, reason: String },
    /// The tenant answered the exchange for a session transfer token with something else.
    #[error(
        "the tenant did not issue a session transfer token ({0}): Native to Web SSO must be enabled for this \
         application (`session_transfer.can_create_session_transfer_token`); ask your Auth0 administrator"
    )]
    NoSessionTransfer(String),
    /// The session's organization is no longer one this device may sign in to: IT's file narrowed
    /// `allowed_organizations` since the sign-in, and the session was signed out.
    #[error(
        "{} is no longer one this device may sign in to (allowed_organizations: {allowed}, set by {} which your IT \
         department manages), so its session was signed out; sign in to one of those, or ask your IT department to \
         add it",
        describe_org(.org), .by.display()
    )]
    NoLongerAllowed {
        org: Option<String>,
        allowed: String,
        by: std::path::PathBuf,
    },
    /// The session's organization is outside the `allowed_organizations` of the person's own settings; the session
    /// is kept for settings that allow it.
    #[error(
        "{} is not in these settings' allowed_organizations ({allowed}), so its session is not used with them (it \
         is kept); use settings that allow it, or sign out of it",
        describe_org(.org)
    )]
    NotAllowedHere {
        org: Option<String>,
        allowed: String,
    },
}

impl TokenError {
    /// Classify for exit codes and UI.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Self::IdToken(IdTokenError::Jwks(_)) => ErrorKind::Other,
            Self::SignInAgain { .. }
            | Self::NotRefreshable
            | Self::TokenEndpoint { .. }
            | Self::BadResponse(_)
            | Self::IdToken(_)
            | Self::ApiToken { .. }
            | Self::NoLongerAllowed { .. }
            | Self::NoSessionTransfer(_) => ErrorKind::Refused,
            Self::WrongClient(_) | Self::NotAllowedHere { .. } => ErrorKind::Usage,
            Self::NoSession(_)
            | Self::Transport(_)
            | Self::Network(_)
            | Self::ServerFailed(_)
            | Self::Discovery(_)
            | Self::Store(_)
            | Self::Lock(_)
            | Self::ApiTokenUnchecked { .. } => ErrorKind::Other,
        }
    }
}
