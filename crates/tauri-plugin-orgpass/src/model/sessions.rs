//! Signed-in sessions: switching between them, signing out, calling the company's API with one, and restoring
//! them at start-up then renewing them in the background (a few at a time, each result shown as it arrives).
use std::sync::Arc;

use orgpass::{SessionKey, SessionMeta};
use time::OffsetDateTime;

use super::{Core, REFRESH_TICK, Signed};
use crate::errors::{self, RefreshOutcome};
use crate::renewal;
use crate::view::*;

impl Core {
    /// Show a signed-in organization (no browser needed).
    pub fn switch_org(&self, org_id: &str) -> Result<(), IpcError> {
        {
            let mut inner = self.lock();
            if !inner.sessions.contains_key(org_id) {
                return Err(IpcError::new(
                    ErrorCode::NotFound,
                    format!("You are not signed in to {org_id}."),
                    "Choose it in the organization list to sign in.",
                    String::new(),
                ));
            }
            inner.active = Some(org_id.to_owned());
            inner.picking = false;
            inner.last_error = None;
        }
        self.notify();
        Ok(())
    }

    /// Show (or leave) the organization picker; also dismisses the error screen.
    pub fn show_org_picker(&self, show: bool) {
        {
            let mut inner = self.lock();
            inner.picking = show;
            inner.last_error = None;
            if !show {
                inner.prefill = None;
            }
        }
        self.notify();
    }

    /// The session key of a signed-in organization, or "You are not signed in to …" with `next_step`.
    pub(super) fn signed_in_key(
        &self,
        org_id: &str,
        next_step: &str,
    ) -> Result<SessionKey, IpcError> {
        self.lock()
            .sessions
            .get(org_id)
            .map(|s| s.meta.key.clone())
            .ok_or_else(|| {
                IpcError::new(
                    ErrorCode::NotFound,
                    format!("You are not signed in to {org_id}."),
                    next_step,
                    String::new(),
                )
            })
    }

    /// Sign out of one organization: delete its keychain entries, revoke its refresh token, and optionally
    /// open the provider's logout page to end the browser's SSO session.
    pub async fn sign_out(&self, org_id: &str, end_sso: bool) -> Result<(), IpcError> {
        let ready = self.ready()?;
        let key = self.signed_in_key(org_id, "Nothing to do.")?;
        let outcome = ready
            .client
            .logout(&key)
            .await
            .map_err(|e| errors::keychain(&e))?;
        if let orgpass::Revocation::Failed(reason) = &outcome.revocation {
            tracing::warn!(%reason, "the refresh token could not be revoked at the provider; the local session is gone");
        }
        let mut notice = None;
        if end_sso {
            match ready.client.end_session_url(None).await {
                Ok(url) => {
                    if let Err(e) = self.open(url.as_str()) {
                        notice = Some(e.to_string());
                    }
                }
                Err(e) => notice = Some(e.to_string()),
            }
        }
        {
            let mut inner = self.lock();
            inner.sessions.remove(org_id);
            if inner.active.as_deref() == Some(org_id) {
                inner.active = inner.sessions.keys().next().cloned();
            }
            inner.picking = inner.active.is_none();
            if let Some(detail) = notice {
                inner.last_error = Some(IpcError::new(
                    ErrorCode::Internal,
                    "You are signed out of Orgpass, but the browser's sign-in session could not be ended.",
                    "Sign out on the website in your browser if you share this computer.",
                    detail,
                ));
            }
        }
        self.notify();
        Ok(())
    }

    /// One request to the company's API for a signed-in organization, with its access token (refreshed when due,
    /// and once more after a 401). A 2xx answer is returned; anything else is a sentence with a next step. A
    /// session that turns out to have ended is removed, as the background renewal would.
    pub async fn call_api(
        &self,
        org_id: &str,
        method: &str,
        path: &str,
        body: Option<serde_json::Value>,
        api: Option<&str>,
    ) -> Result<ApiReply, IpcError> {
        let ready = self.ready()?;
        let api = match api {
            Some(name) => Some(ready.client.config().api(name).ok_or_else(|| {
                IpcError::new(
                    ErrorCode::BadInput,
                    format!("Orgpass is not set up for an API called {name}."),
                    "Ask your IT support to add it to Orgpass's configuration ([[apis]]).",
                    format!("no [[apis]] entry named {name}"),
                )
            })?),
            None => None,
        };
        let key = self.signed_in_key(org_id, "Sign in first.")?;
        let label = {
            let inner = self.lock();
            let name = inner
                .sessions
                .get(org_id)
                .and_then(|s| s.meta.org_name.clone());
            self.org_identity(&inner, Some(org_id), name.as_deref()).0
        };
        let request = orgpass::ApiRequest {
            method: method
                .parse()
                .map_err(|e| errors::api(&e, &label, &self.issuer))?,
            target: path.to_owned(),
            body: body.map(|b| b.to_string()),
        };
        let answer = match &api {
            Some(api) => ready.client.call_api_on(&key, api, &request).await,
            None => ready.client.call_api(&key, &request).await,
        };
        match answer {
            Ok(r) if (200..300).contains(&r.status) => Ok(ApiReply {
                status: r.status,
                body: serde_json::from_str(&r.body).unwrap_or(serde_json::Value::String(r.body)),
            }),
            Ok(r) => Err(errors::api_status(&r, &label)),
            Err(e) => {
                let err = errors::api(&e, &label, &self.issuer);
                if err.code == ErrorCode::SessionEnded {
                    self.lock().session_ended(org_id, err.clone());
                    self.notify();
                }
                Err(err)
            }
        }
    }

    /// Load the sessions of this issuer and client from the secret-free index (no browser, no keychain read), then,
    /// once the window has asked for its first state, renew them in the background and keep renewing them.
    pub fn restore_sessions(self: &Arc<Self>) {
        let Ok(ready) = self.ready() else { return };
        let metas = match ready.client.store().list() {
            Ok(m) => m,
            Err(e) => {
                self.lock().last_error = Some(errors::keychain(&e));
                self.notify();
                return;
            }
        };
        let mine: Vec<SessionMeta> = metas
            .into_iter()
            .filter(|m| {
                ready.config.engine.issuer.matches(&m.key.issuer)
                    && m.key.client_id == ready.config.engine.client_id
                    && m.key.org_id.is_some()
            })
            .collect();
        // Sessions outside `allowed_organizations` (or the directory that stands for it) are not restored. When IT's
        // file set the list, narrowed since the sign-in, they are signed out too and the window says why; a list
        // of the person's own leaves them for the settings that allow them (the `orgpass` command's, say).
        let (mine, not_allowed): (Vec<SessionMeta>, Vec<SessionMeta>) =
            mine.into_iter().partition(|m| {
                ready
                    .config
                    .engine
                    .allows_session_of(m.key.org_id.as_deref())
            });
        let it_policy = ready.config.engine.allowed_organizations_by.is_some();
        for meta in not_allowed.into_iter().filter(|_| it_policy) {
            let core = self.clone();
            tauri::async_runtime::spawn(async move {
                let Ok(ready) = core.ready() else { return };
                let Err(e) = ready.client.admit(&meta.key).await else {
                    return;
                };
                let label = core
                    .org_identity(
                        &core.lock(),
                        meta.key.org_id.as_deref(),
                        meta.org_name.as_deref(),
                    )
                    .0;
                let (errors::RefreshOutcome::Ended(err) | errors::RefreshOutcome::Problem(err)) =
                    errors::refresh(&e, &label, &core.issuer)
                else {
                    return;
                };
                core.lock().report_ended(err);
                core.notify();
            });
        }
        {
            let mut inner = self.lock();
            let recent_order: Vec<String> = inner.recent.iter().map(|r| r.org_id.clone()).collect();
            for meta in mine {
                let org_id = meta.key.org_id.clone().unwrap_or_default();
                inner.sessions.insert(
                    org_id,
                    Signed {
                        meta,
                        status: SessionStatus::Refreshing,
                        note: None,
                    },
                );
            }
            // Show the most recently used organization first.
            inner.active = recent_order
                .iter()
                .find(|id| inner.sessions.contains_key(*id))
                .cloned()
                .or_else(|| inner.sessions.keys().next().cloned());
        }
        self.notify();
        let core = self.clone();
        tauri::async_runtime::spawn(async move {
            let asked = core.window_asked.notified();
            let _ = tokio::time::timeout(renewal::FIRST_RENEWAL_AT_MOST, asked).await;
            core.refresh_all(true).await;
            crate::timing::sessions_checked(core.lock().sessions.len());
            loop {
                tokio::time::sleep(REFRESH_TICK).await;
                core.refresh_all(false).await;
            }
        });
    }

    /// Renew every session that needs it. With `all` (after a restart), and for sessions that are offline or not
    /// checked yet, the provider is asked (a forced refresh) even when the stored access token is still valid:
    /// only the provider knows whether the refresh token was revoked, and only a request shows that the network
    /// is back. Sessions that are merely close to expiry are renewed as needed. They are renewed a few at a time,
    /// each after a random wait ([`renewal::PACE`]), and the window sees each result as it arrives.
    pub async fn refresh_all(&self, all: bool) {
        let Ok(ready) = self.ready() else { return };
        let now = OffsetDateTime::now_utc().unix_timestamp();
        let due: Vec<(String, SessionKey, bool)> = self
            .lock()
            .sessions
            .iter()
            .filter_map(|(id, s)| {
                let check = all || s.status != SessionStatus::Active;
                let expiring = s.meta.expires_at - now < 2 * orgpass::REFRESH_MARGIN_SECS;
                (check || expiring).then(|| (id.clone(), s.meta.key.clone(), check))
            })
            .collect();
        let renew = |(org_id, key, check): (String, SessionKey, bool)| async move {
            (org_id, ready.client.token_with(&key, check).await)
        };
        renewal::paced(due, renewal::PACE, renew, |(org_id, result)| {
            let mut inner = self.lock();
            let label = {
                let name = inner
                    .sessions
                    .get(&org_id)
                    .and_then(|s| s.meta.org_name.clone());
                self.org_identity(&inner, Some(&org_id), name.as_deref()).0
            };
            match result {
                Ok(token) => {
                    if let Some(s) = inner.sessions.get_mut(&org_id) {
                        s.meta = token.meta.clone();
                        s.status = SessionStatus::Active;
                        s.note = None;
                    }
                }
                Err(e) => match errors::refresh(&e, &label, &self.issuer) {
                    RefreshOutcome::Ended(err) => inner.session_ended(&org_id, err),
                    RefreshOutcome::Offline(note) => {
                        if let Some(s) = inner.sessions.get_mut(&org_id) {
                            s.status = SessionStatus::Offline;
                            s.note = Some(note);
                        }
                    }
                    RefreshOutcome::Problem(err) => {
                        if let Some(s) = inner.sessions.get_mut(&org_id) {
                            s.status = SessionStatus::Offline;
                            s.note = Some(format!("{} {}", err.message, err.next_step));
                        }
                    }
                },
            }
            drop(inner);
            self.notify();
        })
        .await;
    }
}
