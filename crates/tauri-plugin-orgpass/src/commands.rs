//! The IPC commands the window may call (`plugin:orgpass|<name>`). Each one only translates arguments to a
//! [`Core`] method. Commands that change state return nothing: the new state reaches the window as the
//! `orgpass://state` event only. Every command is listed in `build.rs`, which makes its `allow-…` permission.

use std::sync::Arc;

use tauri::State;

use crate::model::Core;
use crate::view::{ApiReply, AppView, EmailInputView, IpcError, OrgCard, OrgInputView, QaView};

type CoreState<'a> = State<'a, Arc<Core>>;

/// The state now (the window asks once at start; every later change comes as an `orgpass://state` event).
#[tauri::command]
pub fn app_state(core: CoreState<'_>) -> AppView {
    let view = core.view();
    crate::timing::first_view(&view);
    core.window_asked();
    view
}

/// The company directory's organizations, in configured order: fetched once by the window (the state it is sent
/// on every change carries only `directorySize`).
/// Runs off the main thread (`async`): thousands of cards are cloned and serialized without holding up the window.
#[tauri::command(async)]
pub fn directory(core: CoreState<'_>) -> Vec<OrgCard> {
    crate::timing::directory_requested(core.directory().len());
    core.directory().to_vec()
}

/// Check organization input as it is typed: ID, name or invitation link.
#[tauri::command]
pub fn validate_org(core: CoreState<'_>, input: String) -> Result<OrgInputView, IpcError> {
    core.validate(&input)
}

/// Start signing in to an organization; returns once the browser was asked to open.
#[tauri::command]
pub async fn begin_login(
    core: CoreState<'_>,
    input: String,
    prompt_login: bool,
) -> Result<(), IpcError> {
    core.inner().clone().begin_login(&input, prompt_login).await
}

/// Check a work email as it is typed ("Continue with your work email").
#[tauri::command]
pub fn validate_email(core: CoreState<'_>, input: String) -> Result<EmailInputView, IpcError> {
    core.validate_email(&input)
}

/// Start a sign-in that names no organization: the tenant finds it by the work email (sent as `login_hint`).
/// Returns once the browser was asked to open; the organization the tenant chose arrives with the session.
#[tauri::command]
pub async fn begin_email_login(core: CoreState<'_>, email: String) -> Result<(), IpcError> {
    core.inner().clone().begin_email_login(&email).await
}

#[tauri::command]
pub fn cancel_login(core: CoreState<'_>) {
    core.cancel_login()
}

/// Finish the waiting sign-in with the address a browser elsewhere ended on (the result comes as an event).
#[tauri::command]
pub async fn paste_callback(core: CoreState<'_>, address: String) -> Result<(), IpcError> {
    core.paste_callback(&address).await
}

#[tauri::command]
pub fn reopen_browser(core: CoreState<'_>) -> Result<(), IpcError> {
    core.reopen_browser()
}

/// Show another signed-in organization (no browser).
#[tauri::command]
pub fn switch_org(core: CoreState<'_>, org_id: String) -> Result<(), IpcError> {
    core.switch_org(&org_id)
}

#[tauri::command]
pub fn show_org_picker(core: CoreState<'_>, show: bool) {
    core.show_org_picker(show)
}

/// Sign out of one organization, optionally ending the browser's SSO session too.
#[tauri::command]
pub async fn sign_out(core: CoreState<'_>, org_id: String, end_sso: bool) -> Result<(), IpcError> {
    core.sign_out(&org_id, end_sso).await
}

/// Verified claims and sent authorize parameters of one session (QA view). No token crosses.
#[tauri::command]
pub async fn qa_details(core: CoreState<'_>, org_id: String) -> Result<QaView, IpcError> {
    core.qa_details(&org_id).await
}

/// Turns the QA view on or off; refused when IT locked it.
#[tauri::command]
pub fn set_qa(core: CoreState<'_>, enabled: bool) -> Result<(), IpcError> {
    core.set_qa(enabled)
}

/// One request to the company's API for a signed-in organization, sent by the Rust side with that session's
/// access token (refreshed as needed); the window gets the answer, never the token. Only paths inside the
/// configured `api_url` are reachable, or, with `api`, inside that one of the company's APIs (`[[apis]]`), whose
/// token comes from the same refresh token.
#[tauri::command]
pub async fn api_request(
    core: CoreState<'_>,
    org_id: String,
    method: String,
    path: String,
    body: Option<serde_json::Value>,
    api: Option<String>,
) -> Result<ApiReply, IpcError> {
    core.call_api(&org_id, &method, &path, body, api.as_deref())
        .await
}

/// Opens one of the company's web apps (`[[portals]]`) in the browser, signed in to the organization: the browser
/// gets a one-time loopback address, which forwards it with a session transfer token the window never sees.
/// Returns once the browser was asked to open.
#[tauri::command]
pub async fn open_portal(
    core: CoreState<'_>,
    org_id: String,
    name: String,
) -> Result<(), IpcError> {
    core.inner().clone().open_portal(&org_id, &name).await
}
