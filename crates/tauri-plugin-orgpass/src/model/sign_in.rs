//! Signing in: checking what the person typed, starting the sign-in (listener, browser), the pasted address of a
//! browser elsewhere, opening the browser again, cancelling, and filing the result (the session, the recent
//! organization) when it arrives. A deep link or invitation handed over by the OS pre-fills the picker.
use std::sync::Arc;

use orgpass::{LoginRequest, OrgInput, WorkEmail};
use time::OffsetDateTime;

use super::{Core, Pending, Signed};
use crate::errors;
use crate::recent::RecentEntry;
use crate::view::*;

impl Core {
    /// Validate what the person typed (as they type).
    pub fn validate(&self, input: &str) -> Result<OrgInputView, IpcError> {
        let parsed = OrgInput::parse(input).map_err(|e| errors::bad_input(&e))?;
        let inner = self.lock();
        let org = parsed.org();
        let kind = if parsed.id().is_some() {
            OrgInputKind::Id
        } else {
            OrgInputKind::Name
        };
        let (display, _) = self.org_identity(&inner, parsed.id(), parsed.name());
        let known = display != org.organization_param();
        let summary = match (&parsed, known) {
            // Only `organization` (the ID) is sent and checked; the link's `organization_name` could say anything
            // (`organization=org_attacker&organization_name=acme`), so it is never shown as the organization.
            (OrgInput::Invitation { .. }, true) => format!("Invitation to {display}"),
            (OrgInput::Invitation { org_name, .. }, false) => {
                let id = org.organization_param();
                match org_name {
                    Some(n) => {
                        format!("Invitation to {id} (“{n}” says the link, not verified yet)")
                    }
                    None => format!("Invitation to {id}"),
                }
            }
            (_, true) => format!("{display} ({})", org.organization_param()),
            (_, false) if kind == OrgInputKind::Id => {
                format!("Organization ID {}", org.organization_param())
            }
            (_, false) => format!("Organization name “{}”", org.organization_param()),
        };
        Ok(OrgInputView {
            kind: if parsed.invitation().is_some() {
                OrgInputKind::Invitation
            } else {
                kind
            },
            organization: org.organization_param().to_owned(),
            has_invitation: parsed.invitation().is_some(),
            summary,
        })
    }

    /// Check a work email as it is typed ("Continue with your work email"): the engine's own parse, so what is
    /// accepted here is what the sign-in sends.
    pub fn validate_email(&self, input: &str) -> Result<EmailInputView, IpcError> {
        let email = WorkEmail::parse(input).map_err(|e| errors::bad_email(input, &e))?;
        let address = email.as_str().to_owned();
        let domain = address
            .rsplit_once('@')
            .map(|(_, d)| d.to_lowercase())
            .unwrap_or_default();
        Ok(EmailInputView {
            summary: format!(
                "Your company's sign-in service looks up the organization that uses {domain}"
            ),
            address,
            domain,
        })
    }

    /// Start a sign-in to an organization (ID, name or invitation link): bind the loopback listener, open the
    /// browser, and wait for it in a task.
    pub async fn begin_login(
        self: &Arc<Self>,
        input: &str,
        prompt_login: bool,
    ) -> Result<(), IpcError> {
        self.ready()?;
        let parsed = OrgInput::parse(input).map_err(|e| errors::bad_input(&e))?;
        let (org_label, branding) = {
            let inner = self.lock();
            self.org_identity(&inner, parsed.id(), parsed.name())
        };
        let view = PendingView {
            org_label,
            input: input.trim().to_owned(),
            branding,
            authorize_url: None,
            prompt_login,
            stage: LoginStage::Starting,
            browser_opened: false,
            email: None,
        };
        let request = LoginRequest {
            org: Some(parsed),
            prompt: prompt_login.then(|| "login".to_owned()),
            ..LoginRequest::default()
        };
        self.start_login(request, view).await
    }

    /// Start a sign-in that names no organization: the tenant finds it by the work email's domain (the address is
    /// the `login_hint`), through the engine's email sign-in, which requires the ID token to name the organization
    /// and holds it to `allowed_organizations` (the company directory, in the Orgpass app).
    pub async fn begin_email_login(self: &Arc<Self>, email: &str) -> Result<(), IpcError> {
        self.ready()?;
        let email = WorkEmail::parse(email).map_err(|e| errors::bad_email(email, &e))?;
        let view = PendingView {
            org_label: "your organization".to_owned(),
            input: email.as_str().to_owned(),
            branding: Branding::default(),
            authorize_url: None,
            prompt_login: false,
            stage: LoginStage::Starting,
            browser_opened: false,
            email: Some(email.as_str().to_owned()),
        };
        let request = LoginRequest {
            email: Some(email),
            ..LoginRequest::default()
        };
        self.start_login(request, view).await
    }

    async fn start_login(
        self: &Arc<Self>,
        request: LoginRequest,
        view: PendingView,
    ) -> Result<(), IpcError> {
        let ready = self.ready()?;
        let login_id = {
            let mut inner = self.lock();
            if let Some(p) = &inner.pending {
                return Err(IpcError::new(
                    ErrorCode::Busy,
                    format!("A sign-in to {} is already waiting.", p.view.org_label),
                    "Finish it in your browser, or cancel it first.",
                    String::new(),
                ));
            }
            inner.next_login_id += 1;
            let login_id = inner.next_login_id;
            inner.pending = Some(Pending {
                view,
                cancel: None,
                paste: None,
                sent: Vec::new(),
                id: login_id,
            });
            inner.last_error = None;
            inner.picking = false;
            inner.prefill = None;
            login_id
        };
        self.notify();

        let pending = match ready.client.begin_login(request).await {
            Ok(p) => p,
            Err(e) => {
                let label = self.pending_label(login_id);
                let err = errors::login(&e, &label, &self.issuer);
                self.finish_pending(login_id, Some(err.clone()));
                return Err(err);
            }
        };
        let url = pending.authorize_url().to_string();
        let opened = match self.open(&url) {
            Ok(()) => true,
            Err(e) => {
                tracing::warn!(error = %e, "could not open the browser; the window offers the sign-in link");
                false
            }
        };
        {
            let mut inner = self.lock();
            let Some(p) = inner.pending.as_mut().filter(|p| p.id == login_id) else {
                // Cancelled while the listener was being set up.
                pending.cancel_handle().cancel();
                return Err(IpcError::new(
                    ErrorCode::Cancelled,
                    "Sign-in cancelled.",
                    "Choose an organization to sign in again.",
                    String::new(),
                ));
            };
            p.cancel = Some(pending.cancel_handle());
            p.paste = Some(pending.paste_handle());
            p.view.authorize_url = Some(url);
            p.view.browser_opened = opened;
            p.view.stage = LoginStage::Waiting;
            p.sent = pending.authorize_params().to_vec();
        }
        self.notify();

        let core = self.clone();
        tauri::async_runtime::spawn(async move {
            let result = pending.wait().await;
            core.login_finished(login_id, result);
        });
        Ok(())
    }

    fn pending_label(&self, login_id: u64) -> String {
        self.lock()
            .pending
            .as_ref()
            .filter(|p| p.id == login_id)
            .map(|p| p.view.org_label.clone())
            .unwrap_or_default()
    }

    fn finish_pending(&self, login_id: u64, error: Option<IpcError>) {
        {
            let mut inner = self.lock();
            if let Some(pending) = inner.pending.take_if(|p| p.id == login_id)
                && let Some(mut e) = error.filter(|e| e.code != ErrorCode::Cancelled)
            {
                // An organization can be tried again from the error screen; a work email is typed again.
                e.retry = pending.view.email.is_none().then_some(pending.view.input);
                inner.last_error = Some(e);
            }
        }
        self.notify();
    }

    fn login_finished(&self, login_id: u64, result: Result<orgpass::Session, orgpass::LoginError>) {
        match result {
            Ok(session) => {
                let meta = session.meta.clone();
                drop(session);
                let org_id = meta.key.org_id.clone().unwrap_or_default();
                tracing::info!(org_id = %org_id, "signed in");
                let remembered = {
                    let mut inner = self.lock();
                    let (display, branding) =
                        self.org_identity(&inner, Some(&org_id), meta.org_name.as_deref());
                    // The parameters this sign-in sent, filed under the organization the tenant signed in to.
                    if let Some(p) = inner.pending.as_mut().filter(|p| p.id == login_id) {
                        let sent = std::mem::take(&mut p.sent);
                        inner.sent_params.insert(org_id.clone(), sent);
                    }
                    inner.sessions.insert(
                        org_id.clone(),
                        Signed {
                            meta: meta.clone(),
                            status: SessionStatus::Active,
                            note: None,
                        },
                    );
                    inner.active = Some(org_id.clone());
                    inner.picking = false;
                    if inner.pending.as_ref().is_some_and(|p| p.id == login_id) {
                        inner.pending = None;
                    }
                    let found_before = inner
                        .recent
                        .iter()
                        .any(|r| r.org_id == org_id && r.found_by_email);
                    RecentEntry {
                        found_by_email: meta.found_by_email || found_before,
                        org_id: org_id.clone(),
                        org_name: meta.org_name.clone(),
                        display_name: display,
                        branding,
                        last_signed_in: OffsetDateTime::now_utc(),
                    }
                };
                if let Ok(ready) = self.ready() {
                    match ready.recent.remember(remembered) {
                        Ok(list) => self.lock().recent = list,
                        Err(e) => {
                            tracing::warn!(error = %e, path = %ready.recent.path().display(), "could not update the recent organizations")
                        }
                    }
                }
                self.notify();
                self.focus();
            }
            Err(e) => {
                let label = self.pending_label(login_id);
                tracing::info!(error = %e, "sign-in did not complete");
                let err = errors::login(&e, &label, &self.issuer);
                let cancelled = err.code == ErrorCode::Cancelled;
                self.finish_pending(login_id, Some(err));
                if !cancelled {
                    self.focus();
                }
            }
        }
    }

    /// Cancel the sign-in in progress (if any).
    pub fn cancel_login(&self) {
        let cancel = self.lock().pending.take().and_then(|p| p.cancel);
        if let Some(c) = cancel {
            c.cancel();
        }
        self.notify();
    }

    /// Open the pending sign-in's page in the browser again.
    /// Finish the waiting sign-in with the address a browser on another computer ended on
    /// (`http://127.0.0.1:PORT/callback?code=…&state=…`), pasted by the person. It gets the engine's callback
    /// checks; the result arrives like any sign-in's, as a state event.
    pub async fn paste_callback(&self, address: &str) -> Result<(), IpcError> {
        let paste = self.lock().pending.as_ref().and_then(|p| p.paste.clone());
        let Some(paste) = paste else {
            return Err(IpcError::new(
                ErrorCode::NotFound,
                "No sign-in is waiting for that address.",
                "Choose an organization to sign in, then paste the address the browser ends on.",
                String::new(),
            ));
        };
        paste.submit(address).await.map_err(|e| {
            let reason = match e {
                orgpass::PasteError::Refused(r) => r.to_string(),
                other => other.to_string(),
            };
            IpcError::new(
                ErrorCode::BadInput,
                format!("That address was not accepted: {reason}."),
                "After signing in, copy the whole address from the browser's address bar and paste it here.",
                String::new(),
            )
        })
    }

    pub fn reopen_browser(&self) -> Result<(), IpcError> {
        let url = self
            .lock()
            .pending
            .as_ref()
            .and_then(|p| p.view.authorize_url.clone());
        let Some(url) = url else {
            return Err(IpcError::new(
                ErrorCode::NotFound,
                "No sign-in is waiting.",
                "Choose an organization to sign in.",
                String::new(),
            ));
        };
        let result = self.open(&url);
        if let Some(p) = self.lock().pending.as_mut() {
            p.view.browser_opened = result.is_ok();
        }
        self.notify();
        result.map_err(|e| {
            IpcError::new(
                ErrorCode::Internal,
                "Orgpass could not open your browser.",
                "Use “Copy sign-in link” and paste the link into your browser.",
                e.to_string(),
            )
        })
    }

    /// A deep link (`orgpass://…`), invitation link or org handed over by the OS or a second launch:
    /// the picker opens pre-filled (the person confirms with Continue).
    pub fn accept_link(&self, link: &str) {
        let mut inner = self.lock();
        match OrgInput::parse(link) {
            Ok(_) => {
                inner.prefill = Some(link.trim().to_owned());
                inner.picking = true;
                inner.last_error = None;
            }
            Err(e) => {
                let mut err = errors::bad_input(&e);
                err.message = format!(
                    "Orgpass was opened with a link it cannot use. {}",
                    err.message
                );
                err.next_step =
                    "Ask for a new invitation link, or type your organization instead.".into();
                inner.last_error = Some(err);
            }
        }
    }
}
