//! IPC view models: the only shapes that cross into the webview (twins in `guest-js/index.ts`). No token, code or
//! verifier has a field here; errors cross as [`IpcError`] `{code, message, nextStep, details}`.

use serde::{Deserialize, Serialize};

/// Error codes the UI acts on (twin: `ErrorCode` in guest-js/index.ts).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// The organization input is not valid; shown inline under the field.
    BadInput,
    /// The person cancelled the sign-in.
    Cancelled,
    /// The identity provider refused (not a member, connection not enabled, bad invitation) or a token check failed.
    Refused,
    /// Nobody finished signing in in time (browser closed?).
    Timeout,
    /// The keychain is locked or missing.
    Keychain,
    /// The identity provider could not be reached.
    Network,
    /// The session ended (refresh token revoked or expired): sign in again.
    SessionEnded,
    /// No loopback port could be opened.
    PortBusy,
    /// The computer's clock is off.
    ClockSkew,
    /// The configuration is missing or wrong.
    Config,
    /// Another sign-in is already in progress.
    Busy,
    /// The organization/session asked for is not known.
    NotFound,
    /// The company's API answered with a refusal or failure (401, 403, 5xx…); the window shows it where the data
    /// would be.
    ApiRefused,
    /// Anything else.
    Internal,
}

/// An error as the UI shows it: a sentence, the next step, and details for support.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct IpcError {
    pub code: ErrorCode,
    pub message: String,
    pub next_step: String,
    pub details: String,
    /// The organization input of the sign-in that failed, when the error screen can offer to try it again
    /// (with `prompt=login` after a refusal: "Sign in as someone else").
    pub retry: Option<String>,
}

impl IpcError {
    pub fn new(
        code: ErrorCode,
        message: impl Into<String>,
        next_step: impl Into<String>,
        details: impl Into<String>,
    ) -> Self {
        Self {
            code,
            message: message.into(),
            next_step: next_step.into(),
            details: details.into(),
            retry: None,
        }
    }
}

impl std::fmt::Display for IpcError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:?}: {} {}", self.code, self.message, self.next_step)
    }
}

impl std::error::Error for IpcError {}

/// Organization branding, from the configured directory or remembered from it: the one branding type of the
/// plugin (the window's cards and sessions, the recent-organizations file). Read from files also in the
/// snake_case the recent-organizations file used before it held this type.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Branding {
    #[serde(default, alias = "logo_url")]
    pub logo_url: Option<String>,
    #[serde(default, alias = "primary_color")]
    pub primary_color: Option<String>,
    #[serde(default, alias = "background_color")]
    pub background_color: Option<String>,
}

/// An organization in a picker list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OrgCard {
    /// What to sign in with (ID, else name).
    pub input: String,
    pub id: Option<String>,
    pub name: Option<String>,
    pub display_name: String,
    pub branding: Branding,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RecentOrg {
    #[serde(flatten)]
    pub card: OrgCard,
    /// RFC 3339.
    pub last_signed_in: String,
    pub signed_in: bool,
    /// The tenant found this organization by the person's work email (the last time, or any time before): the
    /// picker offers it first.
    pub found_by_email: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SessionStatus {
    Active,
    Refreshing,
    Offline,
    Expired,
}

/// A signed-in organization: who, where, until when. No token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SessionView {
    pub org_id: String,
    pub org_name: Option<String>,
    pub org_display_name: String,
    pub branding: Branding,
    pub sub: String,
    pub name: Option<String>,
    pub email: Option<String>,
    pub picture: Option<String>,
    /// RFC 3339.
    pub expires_at: String,
    pub status: SessionStatus,
    pub status_note: Option<String>,
    /// The sign-in named no organization: the tenant found it by the person's work email (and chose it, or the
    /// person did in its chooser).
    pub found_by_email: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LoginStage {
    Starting,
    Waiting,
    Exchanging,
    Done,
}

/// The sign-in in progress.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PendingView {
    pub org_label: String,
    pub input: String,
    pub branding: Branding,
    /// The authorize URL (public parameters only: state, nonce and the S256 challenge, never the verifier).
    pub authorize_url: Option<String>,
    pub prompt_login: bool,
    pub stage: LoginStage,
    pub browser_opened: bool,
    /// The work email the tenant finds the organization by, when the sign-in names none ("Continue with your work
    /// email"); `org_label` is then a placeholder until the tenant has chosen.
    pub email: Option<String>,
}

/// Everything the window renders (sent by `app_state` and the `orgpass://state` event).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AppView {
    /// The embedding app's version (its `package_info()`), shown in the picker's footer.
    pub version: String,
    pub issuer: String,
    pub client_id: String,
    pub qa: bool,
    /// IT locked the QA view on or off: the window shows no switch, and `set_qa` refuses a change.
    pub qa_locked: bool,
    /// How many organizations the company directory lists; the cards themselves are fetched once with the
    /// `directory` command, not pushed with every change.
    pub directory_size: usize,
    pub recent: Vec<RecentOrg>,
    pub sessions: Vec<SessionView>,
    pub active: Option<String>,
    pub pending: Option<PendingView>,
    pub last_error: Option<IpcError>,
    pub prefill: Option<String>,
    pub picking: bool,
    /// The company's API the window may call through `api_request` (the configured `api_url`), if any.
    pub api_url: Option<String>,
    /// The company's other APIs `api_request` can name (`[[apis]]` with a `url`).
    pub apis: Vec<String>,
    /// The company's web apps `open_portal` opens signed in (`[[portals]]`).
    pub portals: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum OrgInputKind {
    Id,
    Name,
    Invitation,
}

/// The result of validating what the person typed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OrgInputView {
    pub kind: OrgInputKind,
    pub organization: String,
    pub has_invitation: bool,
    pub summary: String,
}

/// The result of validating a work email as it is typed (the tenant finds the organization by its domain).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EmailInputView {
    /// The address as it will be sent (`login_hint`), trimmed.
    pub address: String,
    /// Its domain, lower case: what the tenant matches against organizations' verified domains.
    pub domain: String,
    pub summary: String,
}

/// QA details of one session: verified claims and the authorize parameters that were sent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct QaView {
    pub org_id: String,
    pub claims: Vec<(String, String)>,
    /// The access token's claims, verified as the company's API verifies them; empty when they could not be.
    pub access_claims: Vec<(String, String)>,
    /// Why `access_claims` is empty (no API audience configured, or the check the API would refuse it on).
    pub access_note: Option<String>,
    /// The RFC 7638 thumbprint of the key the session is bound to (DPoP); `None` for a bearer session.
    pub dpop_jkt: Option<String>,
    pub authorize_params: Vec<(String, String)>,
    /// Each setting in force and where it came from (system file, user file, environment, flag, default).
    pub settings: Vec<(String, String)>,
}

/// The company's API's answer to `api_request` (2xx only; anything else is an [`IpcError`]). The body is the
/// parsed JSON, or the text as a JSON string when it is not JSON.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ApiReply {
    pub status: u16,
    pub body: serde_json::Value,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every view model with every optional field set, as JSON: `guest-js/twin.json`, which the window's tests
    /// (ui/test/twin.test.ts) compare, key by key, with the TypeScript twins. A field added, renamed or removed on
    /// one side fails one of the two tests until the other side follows.
    fn every_view() -> serde_json::Value {
        let branding = Branding {
            logo_url: Some("https://cdn.example/logo.svg".into()),
            primary_color: Some("#d9480f".into()),
            background_color: Some("#fff4e6".into()),
        };
        let card = OrgCard {
            input: "org_AcmeA1b2C3d4E5f6".into(),
            id: Some("org_AcmeA1b2C3d4E5f6".into()),
            name: Some("acme".into()),
            display_name: "Acme Corporation".into(),
            branding: branding.clone(),
        };
        let error = IpcError {
            retry: Some("acme".into()),
            ..IpcError::new(ErrorCode::Refused, "m", "n", "d")
        };
        let app = AppView {
            version: "0.1.0".into(),
            issuer: "https://acme.eu.auth0.com/".into(),
            client_id: "cid".into(),
            qa: true,
            qa_locked: false,
            directory_size: 1,
            recent: vec![RecentOrg {
                card: card.clone(),
                last_signed_in: "2026-12-02T00:00:00Z".into(),
                signed_in: true,
                found_by_email: true,
            }],
            sessions: vec![SessionView {
                org_id: "org_AcmeA1b2C3d4E5f6".into(),
                org_name: Some("acme".into()),
                org_display_name: "Acme Corporation".into(),
                branding: branding.clone(),
                sub: "auth0|a".into(),
                name: Some("Alice".into()),
                email: Some("alice@example.com".into()),
                picture: Some("https://cdn.example/a.png".into()),
                expires_at: "2026-12-02T10:00:00Z".into(),
                status: SessionStatus::Active,
                status_note: Some("note".into()),
                found_by_email: true,
            }],
            active: Some("org_AcmeA1b2C3d4E5f6".into()),
            pending: Some(PendingView {
                org_label: "Acme Corporation".into(),
                input: "acme".into(),
                branding,
                authorize_url: Some("https://acme.eu.auth0.com/authorize?x=1".into()),
                prompt_login: true,
                stage: LoginStage::Waiting,
                browser_opened: true,
                email: Some("ada@acme.example".into()),
            }),
            last_error: Some(error),
            prefill: Some("acme".into()),
            picking: true,
            api_url: Some("https://api.acme.example/".into()),
            apis: vec!["billing".into()],
            portals: vec!["portal".into()],
        };
        let input = OrgInputView {
            kind: OrgInputKind::Invitation,
            organization: "org_AcmeA1b2C3d4E5f6".into(),
            has_invitation: true,
            summary: "Invitation to Acme Corporation".into(),
        };
        let email = EmailInputView {
            address: "ada@acme.example".into(),
            domain: "acme.example".into(),
            summary: "Your organization is found by acme.example".into(),
        };
        let qa = QaView {
            org_id: "org_AcmeA1b2C3d4E5f6".into(),
            claims: vec![("sub".into(), "auth0|a".into())],
            access_claims: vec![("org_id".into(), "\"org_AcmeA1b2C3d4E5f6\"".into())],
            access_note: Some("the access token expired".into()),
            dpop_jkt: Some("0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I".into()),
            authorize_params: vec![("organization".into(), "acme".into())],
            settings: vec![(
                "issuer".into(),
                "https://acme.eu.auth0.com/ — default".into(),
            )],
        };
        let reply = ApiReply {
            status: 200,
            body: serde_json::json!({"projects": []}),
        };
        serde_json::json!({
            "appView": app, "orgCard": card, "orgInputView": input, "emailInputView": email, "qaView": qa,
            "apiReply": reply,
        })
    }

    #[test]
    fn the_typescript_twins_see_every_field() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("guest-js/twin.json");
        let want = serde_json::to_string_pretty(&every_view()).unwrap() + "\n";
        if std::env::var_os("ORGPASS_BLESS").is_some() {
            std::fs::write(&path, &want).unwrap();
        }
        let have = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            have == want,
            "{} is not what the view models serialize to: run `ORGPASS_BLESS=1 cargo test -p tauri-plugin-orgpass \
             twin`, then update guest-js/index.ts until ui/test/twin.test.ts passes",
            path.display()
        );
    }
}
