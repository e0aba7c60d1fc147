//! Why the identity provider refused a sign-in, classified once from its OAuth `error` code and description, so the
//! app and the CLI say the same thing and nobody matches message text twice.
//!
//! Auth0 answers most Organization refusals with `access_denied` or `invalid_request` and says which rule in
//! `error_description` (its wording, seen on real tenants and mirrored by devtenant): "user … is not part of the
//! … organization", "the specified … invitation … email", "the connection is not enabled", "… invitation … expired /
//! not found", "parameter organization is invalid / organization … does not exist".

/// The reason behind an authorization-response error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdpRefusal {
    /// The invitation was sent to another email address than the account that signed in.
    InvitationForAnotherAccount,
    /// The account is not a member of the organization.
    NotAMember,
    /// The connection the person used is not enabled for the organization.
    ConnectionNotEnabled,
    /// Any other `access_denied` (a rule or action refused).
    Denied,
    /// The invitation is expired, used or unknown.
    InvitationInvalid,
    /// The organization does not exist (or the name is not accepted by the tenant).
    UnknownOrganization,
    /// The provider needs the person to sign in interactively (`login_required`, `interaction_required`).
    LoginRequired,
    /// Anything else.
    Other,
}

impl IdpRefusal {
    /// Classify an error response by its `error` code and `error_description`.
    pub fn classify(error: &str, description: &str) -> Self {
        let d = description.to_ascii_lowercase();
        match error {
            "access_denied" if d.contains("invitation") => Self::InvitationForAnotherAccount,
            "access_denied" if d.contains("member") || d.contains("not part of") => {
                Self::NotAMember
            }
            "access_denied" if d.contains("connection") => Self::ConnectionNotEnabled,
            "access_denied" => Self::Denied,
            "invalid_request" if d.contains("invitation") => Self::InvitationInvalid,
            "invalid_request" if d.contains("organization") => Self::UnknownOrganization,
            "login_required" | "interaction_required" => Self::LoginRequired,
            _ => Self::Other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auth0_refusals_are_classified_by_code_and_description() {
        use IdpRefusal::*;
        for (error, description, want) in [
            (
                "access_denied",
                "the specified invitation was sent to a different email",
                InvitationForAnotherAccount,
            ),
            (
                "access_denied",
                "user is not part of the Acme organization",
                NotAMember,
            ),
            (
                "access_denied",
                "The user is not a member of the organization",
                NotAMember,
            ),
            (
                "access_denied",
                "the connection is not enabled for this organization",
                ConnectionNotEnabled,
            ),
            ("access_denied", "Blocked by a rule", Denied),
            (
                "invalid_request",
                "invitation not found or expired",
                InvitationInvalid,
            ),
            (
                "invalid_request",
                "parameter organization is invalid",
                UnknownOrganization,
            ),
            ("login_required", "", LoginRequired),
            ("interaction_required", "", LoginRequired),
            ("server_error", "organization", Other),
        ] {
            assert_eq!(
                IdpRefusal::classify(error, description),
                want,
                "{error}: {description}"
            );
        }
    }
}
