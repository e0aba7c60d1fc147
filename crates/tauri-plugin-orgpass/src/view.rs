//! IPC view models: the only shapes that cross into the webview (twins in `guest-js/index.ts`). No token, code or
//! verifier has a field here; errors cross as [`IpcError`] `{code, message, nextStep, details}`.

use serde::Serialize;

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

/// Organization branding, from the configured directory or remembered from it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Branding {
    pub logo_url: Option<String>,
    pub primary_color: Option<String>,
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
    pub directory: Vec<OrgCard>,
    pub recent: Vec<RecentOrg>,
    pub sessions: Vec<SessionView>,
    pub active: Option<String>,
    pub pending: Option<PendingView>,
    pub last_error: Option<IpcError>,
    pub prefill: Option<String>,
    pub picking: bool,
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

/// QA details of one session: verified claims and the authorize parameters that were sent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct QaView {
    pub org_id: String,
    pub claims: Vec<(String, String)>,
    pub authorize_params: Vec<(String, String)>,
    /// Each setting in force and where it came from (system file, user file, environment, flag, default).
    pub settings: Vec<(String, String)>,
}
