//! Turning `orgpass` errors into what the window shows: one sentence, a next step, and details for support.
//!
//! The engine's messages are precise but technical; they go into `details`. No error text here quotes a token:
//! the engine's errors never contain one.

use orgpass::{
    ApiError, ApiResponse, DiscoveryError, IdTokenError, IdpRefusal, LockError, LoginError,
    NetError, OrgInputError, StoreError, TokenError,
};

use crate::view::{ErrorCode, IpcError};

mod by_email;
pub use by_email::bad_email;

/// The keychain is there but locked (and no unlock prompt could be shown, or it was dismissed).
const KEYCHAIN_LOCKED_NEXT: &str = "Unlock your keychain, then try again: on Linux, sign in to your desktop again or unlock the “Login” keyring in Passwords and Keys; on a Mac, unlock it in Keychain Access. Orgpass never keeps sessions in a plain file.";
/// There is no keychain to talk to (on Linux: no Secret Service on the D-Bus session bus).
const KEYCHAIN_MISSING_NEXT: &str = "Install and start a keyring in your desktop session (GNOME Keyring or KWallet; they provide the Secret Service), then start Orgpass again. Orgpass never keeps sessions in a plain file.";
const SUPPORT_NEXT: &str =
    "Try again. If it keeps happening, send the details below to your IT support.";

/// Bad organization input: shown under the text field.
pub fn bad_input(e: &OrgInputError) -> IpcError {
    let message = match e {
        OrgInputError::Empty => "Type your organization's ID or name, or paste an invitation link.".to_owned(),
        OrgInputError::NameTooLong(_) => "That is too long for an organization name (at most 50 characters).".to_owned(),
        OrgInputError::NameCharacter { bad, .. } if *bad == ' ' => {
            "Organization names have no spaces: use the short name (like acme) or the ID (org_…), not the display name.".to_owned()
        }
        OrgInputError::NameCharacter { bad, .. } => {
            format!("Organization names use only a–z, 0–9, _ and -; “{bad}” is not allowed. Use the short name or the ID (org_…).")
        }
        OrgInputError::BadId(_) => "An organization ID is org_ followed by letters and digits.".to_owned(),
        OrgInputError::InvitationMissing(what) => format!("This invitation link has no {what}: paste the whole link from the invitation email."),
        OrgInputError::InvitationUrl(_) => "This does not look like an invitation link: paste the whole link from the invitation email.".to_owned(),
    };
    IpcError::new(
        ErrorCode::BadInput,
        message,
        "Check what you typed.",
        e.to_string(),
    )
}

/// The app could not load its configuration.
pub fn config(e: &dyn std::error::Error) -> IpcError {
    IpcError::new(
        ErrorCode::Config,
        "Orgpass is not set up for your company yet.",
        "Set the issuer and client id in the configuration file, with ORGPASS_ISSUER / ORGPASS_CLIENT_ID, or with --issuer / --client-id, then start Orgpass again.",
        e.to_string(),
    )
}

/// The keychain could not be opened or used.
pub fn keychain(e: &StoreError) -> IpcError {
    let (message, next) = match e {
        StoreError::Locked(_) => (
            "Your keychain is locked, so Orgpass cannot keep you signed in.",
            KEYCHAIN_LOCKED_NEXT,
        ),
        StoreError::Unavailable(_) => (
            "Orgpass found no keychain (the system's password store, called Secret Service on Linux), so it cannot keep you signed in.",
            KEYCHAIN_MISSING_NEXT,
        ),
        StoreError::Corrupt(_) => (
            "A session stored in your keychain is damaged.",
            "Sign out of that organization and sign in again.",
        ),
        StoreError::Index { .. } => (
            "Orgpass could not update its list of sessions.",
            "Check that your configuration folder is writable, then try again.",
        ),
        StoreError::Backend(_) => (
            "Your keychain reported an error, so Orgpass cannot keep you signed in.",
            SUPPORT_NEXT,
        ),
    };
    IpcError::new(ErrorCode::Keychain, message, next, e.to_string())
}

fn network(detail: String, issuer: &str) -> IpcError {
    IpcError::new(
        ErrorCode::Network,
        format!("Orgpass could not reach your organization's sign-in service ({issuer})."),
        "Check your network connection, then try again.",
        detail,
    )
}

/// A request that got no answer: a certificate this computer does not trust and a proxy in the way each get
/// their own sentence, since the cure is not "check your network".
fn network_failure(e: &NetError, detail: String, issuer: &str) -> IpcError {
    match e {
        e if e.is_certificate() => IpcError::new(
            ErrorCode::Network,
            format!(
                "Orgpass did not connect to {issuer}: this computer does not trust its certificate."
            ),
            "If your company inspects HTTPS with its own certificate, ask IT to install the company's root certificate on this computer or to set ca_file in Orgpass's settings, then try again.",
            detail,
        ),
        NetError::ProxyAuthRequired { proxy, .. } => IpcError::new(
            ErrorCode::Network,
            format!("Your network's proxy ({proxy}) asks for a user name and password."),
            "Ask IT for the proxy setting to use (HTTPS_PROXY with your user name and password), then start Orgpass again.",
            detail,
        ),
        e if e.is_proxy() => IpcError::new(
            ErrorCode::Network,
            "Orgpass could not get through your network's proxy.",
            "Check the proxy setting (HTTPS_PROXY), or ask IT, then try again.",
            detail,
        ),
        _ => network(detail, issuer),
    }
}

/// The tenant (or a proxy in front of it) answered with a server failure rather than an OAuth answer.
fn server_failing(detail: String, issuer: &str) -> IpcError {
    IpcError::new(
        ErrorCode::Network,
        format!("Your organization's sign-in service ({issuer}) is having trouble right now."),
        "Try again in a few minutes; if it keeps happening, tell your IT support.",
        detail,
    )
}

fn discovery(e: &DiscoveryError, issuer: &str) -> IpcError {
    match e {
        DiscoveryError::Transport { source, .. } => network_failure(source, e.to_string(), issuer),
        _ => IpcError::new(
            ErrorCode::Config,
            format!("The sign-in service at {issuer} is not set up the way Orgpass needs."),
            "Ask your IT support to check Orgpass's issuer setting.",
            e.to_string(),
        ),
    }
}

/// A failed sign-in to `org` (its display name).
pub fn login(e: &LoginError, org: &str, issuer: &str) -> IpcError {
    let details = e.to_string();
    match e {
        LoginError::Cancelled => IpcError::new(
            ErrorCode::Cancelled,
            "Sign-in cancelled.",
            "Choose an organization to sign in again.",
            details,
        ),
        LoginError::TimedOut(d) => IpcError::new(
            ErrorCode::Timeout,
            format!(
                "Nobody finished signing in to {org} within {} minutes.",
                d.as_secs().div_ceil(60)
            ),
            "If the browser was closed, start again. If no browser opened, use “Copy sign-in link” and paste it into your browser.",
            details,
        ),
        LoginError::Idp { .. } => {
            idp_error(e.idp_refusal().unwrap_or(IdpRefusal::Other), org, details)
        }
        LoginError::Listen(_) => IpcError::new(
            ErrorCode::PortBusy,
            "Orgpass could not open a local port to receive the sign-in from your browser.",
            "Close programs that use those ports, or configure other ports (ports in the configuration, ORGPASS_PORTS or --ports), then try again.",
            details,
        ),
        // Found by email, the ID token must name the organization the tenant chose.
        LoginError::IdToken(IdTokenError::OrgIdRequired) => IpcError::new(
            ErrorCode::Refused,
            "The sign-in service did not say which organization it signed you in to, so Orgpass refused it.",
            "Choose your organization from the list, or ask your IT department to turn on organizations for this \
             app.",
            details,
        ),
        LoginError::IdToken(t) => match IdTokenFault::of(t) {
            IdTokenFault::Clock => IpcError::new(
                ErrorCode::ClockSkew,
                "This computer's clock seems to be wrong, so the sign-in could not be checked.",
                "Set the date and time to update automatically, then sign in again.",
                details,
            ),
            IdTokenFault::OtherOrganization => IpcError::new(
                ErrorCode::Refused,
                format!(
                    "The sign-in was for a different organization than {org}, so Orgpass refused it."
                ),
                "Sign in again and make sure you choose the same organization in the browser.",
                details,
            ),
            IdTokenFault::KeysUnreachable => network(details, issuer),
            IdTokenFault::Failed => security_check_failed(org, details),
        },
        LoginError::Transport(_) => network(details, issuer),
        LoginError::Network(n) => network_failure(n, details, issuer),
        LoginError::ServerFailed(_) => server_failing(details, issuer),
        LoginError::Discovery(d) => discovery(d, issuer),
        LoginError::Store(s) => keychain(s),
        LoginError::OrgNotAllowed {
            org_id,
            org_name,
            allowed,
        } => by_email::org_not_allowed(org_id, org_name.as_deref(), allowed),
        LoginError::NotAllowed { org: id, allowed } => by_email::not_allowed(org, id, allowed),
        LoginError::TokenEndpoint { error, .. } if error == "invalid_grant" => IpcError::new(
            ErrorCode::Refused,
            "The sign-in expired before Orgpass could finish it.",
            "Sign in again, a little faster this time.",
            details,
        ),
        _ => security_check_failed(org, details),
    }
}

fn security_check_failed(org: &str, details: String) -> IpcError {
    IpcError::new(
        ErrorCode::Refused,
        format!(
            "The answer from {org}'s sign-in did not pass Orgpass's security checks, so you were not signed in."
        ),
        SUPPORT_NEXT,
        details,
    )
}

/// What an ID token the engine refused means to the person, at sign-in and at renewal alike: the one mapping of
/// the token core's verdicts.
enum IdTokenFault {
    /// Expired, issued in the future, not valid yet: this computer's clock, most likely.
    Clock,
    /// The token names another organization than the one asked for (or none).
    OtherOrganization,
    /// The issuer's keys could not be fetched: the network, not the token.
    KeysUnreachable,
    /// Any other check: the answer is not trusted.
    Failed,
}

impl IdTokenFault {
    fn of(e: &IdTokenError) -> Self {
        match e {
            IdTokenError::Expired { .. }
            | IdTokenError::IssuedInFuture { .. }
            | IdTokenError::NotYetValid { .. } => Self::Clock,
            IdTokenError::OrgId { .. }
            | IdTokenError::OrgIdMissing(_)
            | IdTokenError::OrgName { .. }
            | IdTokenError::OrgNameMissing(_)
            | IdTokenError::OrgIdRequired => Self::OtherOrganization,
            IdTokenError::Jwks(_) => Self::KeysUnreachable,
            _ => Self::Failed,
        }
    }
}

/// The sentence for each refusal reason the engine found (`LoginError::idp_refusal`).
fn idp_error(reason: IdpRefusal, org: &str, details: String) -> IpcError {
    let (message, next) = match reason {
        IdpRefusal::InvitationForAnotherAccount => (
            "This invitation was sent to a different email address.".to_owned(),
            "Sign in with the account the invitation was sent to (use “Sign in as someone else”), or ask for a new invitation.".to_owned(),
        ),
        IdpRefusal::NotAMember => (
            format!("You are not a member of {org}."),
            "Ask your administrator to add you, or use “Sign in as someone else” with the account that belongs to it.".to_owned(),
        ),
        IdpRefusal::ConnectionNotEnabled => (
            format!("This way of signing in is not enabled for {org}."),
            "Choose another sign-in method on the login page, or ask your administrator to enable it for the organization.".to_owned(),
        ),
        IdpRefusal::Denied => (format!("{org} refused the sign-in."), "Check that you chose the right organization and account, then try again.".to_owned()),
        IdpRefusal::InvitationInvalid => (
            "This invitation is not valid any more (it may have expired or been used).".to_owned(),
            "Ask the person who invited you for a new invitation link.".to_owned(),
        ),
        IdpRefusal::UnknownOrganization => (
            format!("The sign-in service does not know the organization {org}."),
            "Check the organization's ID or name; your administrator can tell you the right one.".to_owned(),
        ),
        IdpRefusal::LoginRequired => (format!("{org} needs you to sign in again."), "Sign in again.".to_owned()),
        IdpRefusal::Other => (format!("{org}'s sign-in service refused the sign-in."), SUPPORT_NEXT.to_owned()),
    };
    IpcError::new(ErrorCode::Refused, message, next, details)
}

/// What a background refresh failure means for a restored session.
pub enum RefreshOutcome {
    /// The session is over (revoked, expired, removed): tell the person and take them to sign in.
    Ended(IpcError),
    /// The network is down: keep showing the identity as offline.
    Offline(String),
    /// Something else went wrong; keep the session, show the problem.
    Problem(IpcError),
}

fn offline(issuer: &str) -> RefreshOutcome {
    RefreshOutcome::Offline(format!(
        "Offline: Orgpass cannot reach {issuer} right now. You stay signed in; it will renew the session when the network is back."
    ))
}

/// Classify a `token()` failure for a restored session of `org`.
pub fn refresh(e: &TokenError, org: &str, issuer: &str) -> RefreshOutcome {
    let details = e.to_string();
    match e {
        TokenError::SignInAgain { .. } | TokenError::NotRefreshable | TokenError::NoSession(_) => {
            RefreshOutcome::Ended(IpcError::new(
                ErrorCode::SessionEnded,
                format!("Your session for {org} has ended (it was signed out or expired)."),
                "Sign in again to continue.",
                details,
            ))
        }
        TokenError::TokenEndpoint { error, .. } if error == "invalid_grant" => {
            RefreshOutcome::Ended(IpcError::new(
                ErrorCode::SessionEnded,
                format!("Your session for {org} has ended (it was signed out or expired)."),
                "Sign in again to continue.",
                details,
            ))
        }
        TokenError::Transport(_)
        | TokenError::Network(_)
        | TokenError::Discovery(DiscoveryError::Transport { .. }) => offline(issuer),
        // The renewed ID token: unreachable keys keep the session; any other refusal ended it (the engine removed
        // the session, see `TokenError::IdToken`), said as the sign-in says it.
        TokenError::IdToken(t) => match IdTokenFault::of(t) {
            IdTokenFault::KeysUnreachable => offline(issuer),
            IdTokenFault::Clock => RefreshOutcome::Ended(IpcError::new(
                ErrorCode::ClockSkew,
                format!(
                    "Your session for {org} has ended: this computer's clock seems to be wrong, so its renewal could not be checked."
                ),
                "Set the date and time to update automatically, then sign in again.",
                details,
            )),
            IdTokenFault::OtherOrganization | IdTokenFault::Failed => {
                RefreshOutcome::Ended(IpcError::new(
                    ErrorCode::SessionEnded,
                    format!(
                        "Your session for {org} has ended: its renewal did not pass Orgpass's security checks."
                    ),
                    "Sign in again to continue. If it keeps happening, send the details below to your IT support.",
                    details,
                ))
            }
        },
        TokenError::NoLongerAllowed { .. } => RefreshOutcome::Ended(IpcError::new(
            ErrorCode::SessionEnded,
            format!(
                "Your session for {org} has ended: this computer may no longer sign in to {org}."
            ),
            "Your IT department changed the organizations this computer may use. Choose one of those, or ask IT to \
             add it back.",
            details,
        )),
        TokenError::ServerFailed(_) => RefreshOutcome::Problem(server_failing(details, issuer)),
        TokenError::Store(s) => RefreshOutcome::Problem(keychain(s)),
        // Another orgpass process (the CLI, a script) holds this session's refresh lock: the session is kept.
        TokenError::Lock(LockError::TimedOut { waited, .. }) => {
            RefreshOutcome::Problem(IpcError::new(
                ErrorCode::Busy,
                format!(
                    "Another Orgpass program (such as the orgpass command) has been renewing your session for {org} for {} seconds and has not finished.",
                    waited.as_secs()
                ),
                "You stay signed in. Wait a minute and try again; if it keeps happening, stop any orgpass command that is still running (it may be stuck on a slow network).",
                details,
            ))
        }
        TokenError::Lock(LockError::Io { .. }) => RefreshOutcome::Problem(IpcError::new(
            ErrorCode::Internal,
            format!(
                "Orgpass could not open the lock file it needs to renew your session for {org}."
            ),
            "You stay signed in. Check that your configuration folder (and its orgpass/locks folder) is writable, then try again.",
            details,
        )),
        _ => RefreshOutcome::Problem(IpcError::new(
            ErrorCode::Refused,
            format!("Orgpass could not renew your session for {org}."),
            SUPPORT_NEXT,
            details,
        )),
    }
}

/// A call to the company's API for `org` that got no answer (or could not be made).
/// A web app that could not be opened signed in (the browser did not arrive, or the session transfer failed).
pub fn portal(name: &str, details: &str) -> IpcError {
    IpcError::new(
        ErrorCode::Refused,
        format!("Orgpass could not open {name} signed in."),
        "Try again; if it keeps happening, send the details below to your IT support.",
        details,
    )
}

pub fn api(e: &ApiError, org: &str, issuer: &str) -> IpcError {
    let details = e.to_string();
    match e {
        ApiError::Token(t) => match refresh(t, org, issuer) {
            RefreshOutcome::Ended(err) | RefreshOutcome::Problem(err) => err,
            RefreshOutcome::Offline(note) => IpcError::new(
                ErrorCode::Network,
                note,
                "Check your network connection, then try again.",
                details,
            ),
        },
        ApiError::Unreachable { .. } | ApiError::TimedOut { .. } => IpcError::new(
            ErrorCode::Network,
            "Orgpass could not reach your company's API.",
            "Check your network connection (or VPN), then try again. You stay signed in.",
            details,
        ),
        ApiError::WrongAudience { .. } => IpcError::new(
            ErrorCode::SessionEnded,
            format!(
                "Your session for {org} was made for another API than the one Orgpass is set up for now."
            ),
            "Sign out of this organization and sign in again.",
            details,
        ),
        ApiError::TooLarge { .. } => IpcError::new(
            ErrorCode::ApiRefused,
            "Your company's API sent more data than Orgpass shows at once.",
            SUPPORT_NEXT,
            details,
        ),
        ApiError::OutsideApi { .. } | ApiError::BadMethod(_) | ApiError::BadBody(_) => {
            IpcError::new(
                ErrorCode::Internal,
                "This window asked for something Orgpass does not send to your company's API.",
                SUPPORT_NEXT,
                details,
            )
        }
        // What is left is how the API is configured (no api_url, no audience, a bad URL, an API without a URL),
        // whichever way the engine says it.
        _ => IpcError::new(
            ErrorCode::Config,
            "Orgpass is not set up with your company's API.",
            "Ask your IT support to set api_url (and audience) in Orgpass's configuration.",
            details,
        ),
    }
}

/// The company's API answered `r` (not 2xx) for `org`.
pub fn api_status(r: &ApiResponse, org: &str) -> IpcError {
    let why = r.reason().map(|w| format!(" ({w})")).unwrap_or_default();
    let details = format!("{} answered {}{why}", r.url, r.status);
    let (message, next) = match r.status {
        401 => (
            format!("Your company's API did not accept your sign-in for {org}."),
            "Sign out of this organization and sign in again. If it keeps happening, tell your IT support.",
        ),
        403 => (
            format!("Your account in {org} is not allowed to do this in your company's API."),
            "Ask your administrator for access, or switch to the organization this belongs to.",
        ),
        404 => (
            "Your company's API does not know this page.".to_owned(),
            SUPPORT_NEXT,
        ),
        429 => (
            "Your company's API is busy (too many requests).".to_owned(),
            "Wait a minute, then try again.",
        ),
        500..=599 => (
            "Your company's API is having trouble right now.".to_owned(),
            "Try again in a few minutes; if it keeps happening, tell your IT support.",
        ),
        s => (
            format!("Your company's API refused the request ({s})."),
            SUPPORT_NEXT,
        ),
    };
    IpcError::new(ErrorCode::ApiRefused, message, next, details)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn login_errors_are_sentences_with_a_next_step() {
        let rows: Vec<(LoginError, ErrorCode, &str)> = vec![
            (
                LoginError::Idp {
                    error: "access_denied".into(),
                    description: Some("user auth0|x is not part of the org_A organization".into()),
                },
                ErrorCode::Refused,
                "You are not a member of Acme.",
            ),
            (
                LoginError::Idp {
                    error: "access_denied".into(),
                    description: Some("connection is not enabled for the organization".into()),
                },
                ErrorCode::Refused,
                "This way of signing in is not enabled for Acme.",
            ),
            (
                LoginError::Idp {
                    error: "invalid_request".into(),
                    description: Some("invitation not found or expired".into()),
                },
                ErrorCode::Refused,
                "This invitation is not valid any more (it may have expired or been used).",
            ),
            (
                LoginError::TimedOut(Duration::from_secs(300)),
                ErrorCode::Timeout,
                "Nobody finished signing in to Acme within 5 minutes.",
            ),
            (
                LoginError::Cancelled,
                ErrorCode::Cancelled,
                "Sign-in cancelled.",
            ),
            (
                LoginError::Listen(orgpass::listener::ListenError::NoPort(vec![(
                    8400,
                    "in use".into(),
                )])),
                ErrorCode::PortBusy,
                "Orgpass could not open a local port to receive the sign-in from your browser.",
            ),
            (
                LoginError::IdToken(IdTokenError::IssuedInFuture {
                    iat: 10,
                    now: 0,
                    leeway: 60,
                }),
                ErrorCode::ClockSkew,
                "This computer's clock seems to be wrong, so the sign-in could not be checked.",
            ),
            (
                LoginError::Transport("connection refused".into()),
                ErrorCode::Network,
                "Orgpass could not reach your organization's sign-in service (https://i/).",
            ),
            (
                LoginError::Discovery(DiscoveryError::Transport {
                    url: "https://i/.well-known/openid-configuration".into(),
                    source: NetError::UntrustedCertificate {
                        host: "i".into(),
                        advice: Default::default(),
                    },
                }),
                ErrorCode::Network,
                "Orgpass did not connect to https://i/: this computer does not trust its certificate.",
            ),
            (
                LoginError::Network(NetError::ProxyAuthRequired {
                    proxy: "http://proxy.corp:3128".into(),
                    host: "i".into(),
                }),
                ErrorCode::Network,
                "Your network's proxy (http://proxy.corp:3128) asks for a user name and password.",
            ),
            (
                LoginError::Network(NetError::ProxyUnreachable {
                    proxy: "http://proxy.corp:3128".into(),
                    reason: "Connection refused".into(),
                }),
                ErrorCode::Network,
                "Orgpass could not get through your network's proxy.",
            ),
            (
                LoginError::ServerFailed(
                    "the server failed with HTTP 500: Internal Server Error".into(),
                ),
                ErrorCode::Network,
                "Your organization's sign-in service (https://i/) is having trouble right now.",
            ),
            (
                LoginError::Store(StoreError::Locked("dismissed".into())),
                ErrorCode::Keychain,
                "Your keychain is locked, so Orgpass cannot keep you signed in.",
            ),
            (
                LoginError::IdToken(IdTokenError::NonceMismatch),
                ErrorCode::Refused,
                "The answer from Acme's sign-in did not pass Orgpass's security checks, so you were not signed in.",
            ),
        ];
        for (e, code, message) in rows {
            let ipc = login(&e, "Acme", "https://i/");
            assert_eq!((ipc.code, ipc.message.as_str()), (code, message), "{e}");
            assert!(
                ipc.next_step.ends_with('.'),
                "next step for {e}: {}",
                ipc.next_step
            );
            assert_eq!(ipc.details, e.to_string());
        }
    }

    #[test]
    fn refresh_failures_split_into_ended_offline_problem() {
        assert!(
            matches!(refresh(&TokenError::SignInAgain { reason: "invalid_grant".into() }, "Acme", "i"), RefreshOutcome::Ended(e) if e.code == ErrorCode::SessionEnded)
        );
        assert!(matches!(
            refresh(&TokenError::Transport("refused".into()), "Acme", "i"),
            RefreshOutcome::Offline(_)
        ));
        assert!(
            matches!(refresh(&TokenError::Store(StoreError::Locked("x".into())), "Acme", "i"), RefreshOutcome::Problem(e) if e.code == ErrorCode::Keychain)
        );
        // The tenant answered 500: the session is kept, the person told the service is failing.
        assert!(
            matches!(refresh(&TokenError::ServerFailed("HTTP 502".into()), "Acme", "i"), RefreshOutcome::Problem(e) if e.code == ErrorCode::Network && e.message == "Your organization's sign-in service (i) is having trouble right now.")
        );
        // The issuer's keys could not be fetched: the engine keeps the session, so does the app.
        assert!(matches!(
            refresh(
                &TokenError::IdToken(IdTokenError::Jwks("refused".into())),
                "Acme",
                "i"
            ),
            RefreshOutcome::Offline(_)
        ));
        // A renewed ID token that fails a check: the engine removed the session, the app must not keep showing it.
        assert!(
            matches!(refresh(&TokenError::IdToken(IdTokenError::NonceMismatch), "Acme", "i"), RefreshOutcome::Ended(e) if e.code == ErrorCode::SessionEnded && e.message == "Your session for Acme has ended: its renewal did not pass Orgpass's security checks.")
        );
    }

    #[test]
    fn keychain_locked_and_missing_have_their_own_next_step() {
        let locked = keychain(&StoreError::Locked("SS error: prompt dismissed".into()));
        assert_eq!(
            (
                locked.code,
                locked.message.as_str(),
                locked.next_step.as_str()
            ),
            (
                ErrorCode::Keychain,
                "Your keychain is locked, so Orgpass cannot keep you signed in.",
                "Unlock your keychain, then try again: on Linux, sign in to your desktop again or unlock the “Login” keyring in Passwords and Keys; on a Mac, unlock it in Keychain Access. Orgpass never keeps sessions in a plain file.",
            )
        );
        assert_eq!(
            locked.details,
            StoreError::Locked("SS error: prompt dismissed".into()).to_string()
        );
        let missing = keychain(&StoreError::Unavailable(
            "Platform failure: zbus error: org.freedesktop.DBus.Error.ServiceUnknown".into(),
        ));
        assert_eq!(
            (
                missing.code,
                missing.message.as_str(),
                missing.next_step.as_str()
            ),
            (
                ErrorCode::Keychain,
                "Orgpass found no keychain (the system's password store, called Secret Service on Linux), so it cannot keep you signed in.",
                "Install and start a keyring in your desktop session (GNOME Keyring or KWallet; they provide the Secret Service), then start Orgpass again. Orgpass never keeps sessions in a plain file.",
            )
        );
        assert!(
            missing.details.contains("ServiceUnknown"),
            "{}",
            missing.details
        );
        // A locked keychain during a renewal keeps the session and says how to unlock.
        assert!(
            matches!(refresh(&TokenError::Store(StoreError::Locked("x".into())), "Acme", "i"), RefreshOutcome::Problem(e) if e.next_step == locked.next_step)
        );
        let other = keychain(&StoreError::Backend("no such object".into()));
        assert_eq!(
            other.message,
            "Your keychain reported an error, so Orgpass cannot keep you signed in."
        );
        assert_eq!(other.next_step, SUPPORT_NEXT);
    }

    #[test]
    fn refresh_lock_held_by_another_process_is_its_own_problem() {
        let e = TokenError::Lock(LockError::TimedOut {
            path: "/home/ada/.config/orgpass/locks/refresh-0123.lock".into(),
            waited: Duration::from_secs(30),
        });
        let RefreshOutcome::Problem(ipc) = refresh(&e, "Acme", "https://i/") else {
            panic!("a held refresh lock must keep the session");
        };
        assert_eq!(
            (ipc.code, ipc.message.as_str(), ipc.next_step.as_str()),
            (
                ErrorCode::Busy,
                "Another Orgpass program (such as the orgpass command) has been renewing your session for Acme for 30 seconds and has not finished.",
                "You stay signed in. Wait a minute and try again; if it keeps happening, stop any orgpass command that is still running (it may be stuck on a slow network).",
            )
        );
        assert_eq!(ipc.details, e.to_string());
        let e = TokenError::Lock(LockError::Io {
            path: "/ro/orgpass/locks/refresh-0123.lock".into(),
            source: std::io::Error::from(std::io::ErrorKind::PermissionDenied),
        });
        let RefreshOutcome::Problem(ipc) = refresh(&e, "Acme", "https://i/") else {
            panic!("an unwritable lock dir must keep the session");
        };
        assert_eq!(ipc.code, ErrorCode::Internal);
        assert_eq!(
            ipc.message,
            "Orgpass could not open the lock file it needs to renew your session for Acme."
        );
        assert!(ipc.next_step.starts_with("You stay signed in."));
    }

    /// Each refusal of the company's API is a sentence for the person, with the API's own reason kept for support.
    #[test]
    fn api_refusals_are_sentences_with_the_apis_reason_in_the_details() {
        let answer = |status: u16, www: Option<&str>, body: &str| orgpass::ApiResponse {
            url: "https://api.acme.example/projects".into(),
            status,
            content_type: None,
            www_authenticate: www.map(str::to_owned),
            body: body.into(),
        };
        #[rustfmt::skip]
        let rows = [
            (answer(401, Some(r#"Bearer error="invalid_token", error_description="expired""#), ""),
             "Your company's API did not accept your sign-in for Acme.",
             "https://api.acme.example/projects answered 401 (invalid_token: expired)"),
            (answer(403, Some(r#"Bearer error="insufficient_scope", error_description="needs write:projects""#), ""),
             "Your account in Acme is not allowed to do this in your company's API.",
             "https://api.acme.example/projects answered 403 (insufficient_scope: needs write:projects)"),
            (answer(404, None, r#"{"message":"no such route"}"#),
             "Your company's API does not know this page.",
             "https://api.acme.example/projects answered 404 (no such route)"),
            (answer(429, None, ""), "Your company's API is busy (too many requests).",
             "https://api.acme.example/projects answered 429"),
            (answer(503, None, "<html>down</html>"), "Your company's API is having trouble right now.",
             "https://api.acme.example/projects answered 503"),
        ];
        for (r, message, details) in rows {
            let e = api_status(&r, "Acme");
            assert_eq!(e.code, ErrorCode::ApiRefused, "{}", r.status);
            assert_eq!(e.message, message);
            assert_eq!(e.details, details);
        }
        let e = api(
            &orgpass::ApiError::Unreachable {
                url: "https://api.acme.example/".into(),
                source: NetError::Unreachable {
                    host: "api.acme.example".into(),
                    reason: "refused".into(),
                    ignored: vec![],
                },
            },
            "Acme",
            "https://acme.example/",
        );
        assert_eq!(e.code, ErrorCode::Network);
        assert!(
            e.next_step.ends_with("You stay signed in."),
            "{}",
            e.next_step
        );
    }

    #[test]
    fn bad_input_speaks_plainly() {
        let e = bad_input(&orgpass::OrgInput::parse("Acme Corp").unwrap_err());
        assert_eq!(e.code, ErrorCode::BadInput);
        assert_eq!(
            e.message,
            "Organization names have no spaces: use the short name (like acme) or the ID (org_…), not the display name."
        );
    }
}
