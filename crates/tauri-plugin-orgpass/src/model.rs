//! The desktop model: the sign-in orchestration on top of `orgpass::Client`.
//!
//! [`Core`] owns the engine client, the keychain store, the recent-organizations file and what the window shows
//! (sessions, the sign-in in progress, the last error). Every change is pushed to the window as a fresh
//! [`AppView`] (event `orgpass://state`); methods that change state return nothing else. Long work runs in tasks
//! on Tauri's async runtime; commands return at once.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use std::time::Duration;

use orgpass::{
    CancelHandle, Client, KeychainStore, LoginRequest, Opener, OrgInput, SessionKey, SessionMeta,
    SessionStore, StoreError,
};
use time::OffsetDateTime;

use crate::directory::Directory;
use crate::errors::{self, RefreshOutcome};
use crate::opener::AppOpener;
use crate::recent::{RecentEntry, RecentStore};
use crate::renewal;
use crate::settings::Settings;
use crate::view::*;

/// How often signed-in sessions are checked for renewal (and offline ones retried).
pub const REFRESH_TICK: Duration = Duration::from_secs(60);

/// The parts of the outside world the app uses; tests swap them.
pub struct Services {
    pub store: Result<Arc<dyn SessionStore>, StoreError>,
    pub recent: RecentStore,
    /// `None`: the configured browser command, else the OS default browser.
    pub opener: Option<Arc<dyn Opener>>,
}

impl Services {
    /// The OS keychain, the default recent-organizations file, the configured or default browser.
    pub fn system() -> Self {
        Self {
            store: KeychainStore::system().map(|s| Arc::new(s) as Arc<dyn SessionStore>),
            recent: RecentStore::new(
                RecentStore::default_path()
                    .unwrap_or_else(|| std::env::temp_dir().join("orgpass-recent-orgs.json")),
            ),
            opener: None,
        }
    }
}

struct Ready {
    config: Settings,
    client: Client,
    recent: RecentStore,
}

struct Pending {
    view: PendingView,
    cancel: Option<CancelHandle>,
    /// Takes the address a browser on another computer ended on (see [`Core::paste_callback`]).
    paste: Option<orgpass::PasteHandle>,
    /// Incremented per sign-in so a finished old task cannot clear a newer one.
    id: u64,
}

struct Signed {
    meta: SessionMeta,
    status: SessionStatus,
    note: Option<String>,
}

#[derive(Default)]
struct Inner {
    sessions: BTreeMap<String, Signed>,
    active: Option<String>,
    pending: Option<Pending>,
    last_error: Option<IpcError>,
    prefill: Option<String>,
    picking: bool,
    qa: bool,
    recent: Vec<RecentEntry>,
    /// The authorize parameters sent for each org's last sign-in in this run (QA view).
    sent_params: BTreeMap<String, Vec<(String, String)>>,
    next_login_id: u64,
}

type Notify = Box<dyn Fn(&AppView) + Send + Sync>;
type Focus = Box<dyn Fn() + Send + Sync>;

impl Inner {
    /// The provider ended `org_id`'s session (refresh token revoked or expired): it is dropped from the window,
    /// another signed-in organization is shown, and the picker is pre-filled to sign in again, with `err` shown.
    fn session_ended(&mut self, org_id: &str, err: IpcError) {
        self.sessions.remove(org_id);
        if self.active.as_deref() == Some(org_id) {
            self.active = self.sessions.keys().next().cloned();
        }
        self.prefill = Some(org_id.to_owned());
        self.last_error = Some(err);
    }
}

/// The app: configuration, engine, and what the window shows.
pub struct Core {
    ready: Result<Ready, IpcError>,
    /// IT locked the QA view (on or off) in its system file.
    qa_locked: bool,
    /// The company directory, indexed once (empty when unconfigured).
    directory: Directory,
    issuer: String,
    client_id: String,
    opener: Mutex<Option<AppOpener>>,
    inner: Mutex<Inner>,
    notify: OnceLock<Notify>,
    focus: OnceLock<Focus>,
    /// The app's version, learnt when attached.
    version: OnceLock<String>,
    /// The view last emitted (see [`Core::notify`]).
    last_sent: Mutex<Option<AppView>>,
    /// Signalled when the window first asks for the state (restored sessions are renewed after that).
    window_asked: tokio::sync::Notify,
}

impl Core {
    /// A configured app. A missing keychain is not fatal here: the window opens and says what to do.
    pub fn new(config: Settings, services: Services) -> Self {
        let issuer = config.engine.issuer.as_str().to_owned();
        let client_id = config.engine.client_id.clone();
        let qa_locked = config.qa_locked;
        let directory = Directory::new(&config.directory);
        let mut inner = Inner {
            qa: config.qa,
            recent: services.recent.load(),
            ..Inner::default()
        };
        let opener = match (&services.opener, &config.engine.browser) {
            (Some(o), _) => Some(AppOpener::Custom(o.clone())),
            (None, Some(cmd)) => match orgpass::CommandOpener::parse(cmd) {
                Ok(c) => Some(AppOpener::Command(Arc::new(c))),
                Err(e) => {
                    inner.last_error = Some(IpcError::new(
                        ErrorCode::Config,
                        "The configured browser command is not valid.",
                        "Fix the browser setting (ORGPASS_BROWSER, --browser or `browser` in the configuration file).",
                        e.to_string(),
                    ));
                    None
                }
            },
            (None, None) => None,
        };
        let ready = match services.store {
            Ok(store) => Ok(Ready {
                client: Client::new(config.engine.clone(), store),
                config,
                recent: services.recent,
            }),
            Err(e) => Err(errors::keychain(&e)),
        };
        if let Err(e) = &ready {
            inner.last_error = Some(e.clone());
        }
        Self {
            ready,
            qa_locked,
            directory,
            issuer,
            client_id,
            opener: Mutex::new(opener),
            inner: Mutex::new(inner),
            notify: OnceLock::new(),
            focus: OnceLock::new(),
            version: OnceLock::new(),
            last_sent: Mutex::new(None),
            window_asked: tokio::sync::Notify::new(),
        }
    }

    /// An app whose configuration could not be loaded: the window shows why and how to fix it.
    pub fn unconfigured(e: &dyn std::error::Error) -> Self {
        let err = errors::config(e);
        Self {
            ready: Err(err.clone()),
            // Without settings there is nothing to inspect, and IT's locks could not be read: no switch.
            qa_locked: true,
            directory: Directory::default(),
            issuer: "(not configured)".into(),
            client_id: String::new(),
            opener: Mutex::new(None),
            inner: Mutex::new(Inner {
                last_error: Some(err),
                ..Inner::default()
            }),
            notify: OnceLock::new(),
            focus: OnceLock::new(),
            version: OnceLock::new(),
            last_sent: Mutex::new(None),
            window_asked: tokio::sync::Notify::new(),
        }
    }

    /// The window asked for the state (`app_state`): its first paint is under way, so background renewal may start.
    pub fn window_asked(&self) {
        self.window_asked.notify_one();
    }

    /// Connect to the running app: state events, window focus, and the OS browser through tauri-plugin-opener.
    pub fn attach<R: tauri::Runtime>(&self, app: tauri::AppHandle<R>) {
        use tauri::{Emitter, Manager};
        let a = app.clone();
        let _ = self.notify.set(Box::new(move |view: &AppView| {
            if let Err(e) = a.emit(crate::EVENT_STATE, view) {
                tracing::warn!(error = %e, "could not send the state to the window");
            }
        }));
        let _ = self.version.set(app.package_info().version.to_string());
        let f = app.clone();
        let _ = self.focus.set(Box::new(move || crate::focus_window(&f)));
        // The app's tauri-plugin-opener when it has one; otherwise the engine's own (xdg-open, open, start).
        let mut opener = self.opener.lock().expect("opener");
        if opener.is_none() && app.try_state::<tauri_plugin_opener::Opener<R>>().is_some() {
            let o = app.clone();
            *opener = Some(AppOpener::System(Arc::new(move |url: &str| {
                use tauri_plugin_opener::OpenerExt;
                o.opener()
                    .open_url(url, None::<&str>)
                    .map_err(|e| e.to_string())
            })));
        }
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().expect("app state lock")
    }

    fn ready(&self) -> Result<&Ready, IpcError> {
        self.ready.as_ref().map_err(Clone::clone)
    }

    /// Push the current view to the window, when it differs from the last one pushed (a renewal tick that changed
    /// nothing sends nothing), so every event the window gets is a change.
    pub fn notify(&self) {
        let Some(n) = self.notify.get() else {
            return;
        };
        // The view is taken under this lock, so concurrent notifications go out in the order the state changed.
        let mut last = self.last_sent.lock().expect("last view sent");
        let view = self.view();
        if last.as_ref() != Some(&view) {
            n(&view);
            *last = Some(view);
        }
    }

    fn focus(&self) {
        if let Some(f) = self.focus.get() {
            f();
        }
    }

    fn open(&self, url: &str) -> Result<(), orgpass::OpenError> {
        let opener = self.opener.lock().expect("opener").clone();
        match opener {
            Some(o) => o.open(url),
            None => orgpass::SystemOpener.open(url),
        }
    }

    // ------------------------------------------------------------------ view

    /// The company directory's cards, in configured order (the window asks once; the state carries their count).
    pub fn directory(&self) -> &[OrgCard] {
        self.directory.cards()
    }

    /// Everything the window renders.
    pub fn view(&self) -> AppView {
        let inner = self.lock();
        AppView {
            version: self.version.get().cloned().unwrap_or_default(),
            issuer: self.issuer.clone(),
            client_id: self.client_id.clone(),
            qa: inner.qa,
            qa_locked: self.qa_locked,
            directory_size: self.directory.len(),
            recent: inner
                .recent
                .iter()
                .map(|r| RecentOrg {
                    card: OrgCard {
                        input: r.org_id.clone(),
                        id: Some(r.org_id.clone()),
                        name: r.org_name.clone(),
                        display_name: r.display_name.clone(),
                        branding: Branding {
                            logo_url: r.logo_url.clone(),
                            primary_color: r.primary_color.clone(),
                            background_color: r.background_color.clone(),
                        },
                    },
                    last_signed_in: rfc3339(r.last_signed_in),
                    signed_in: inner.sessions.contains_key(&r.org_id),
                })
                .collect(),
            sessions: inner
                .sessions
                .values()
                .map(|s| self.session_view(&inner, s))
                .collect(),
            active: inner.active.clone(),
            pending: inner.pending.as_ref().map(|p| p.view.clone()),
            last_error: inner.last_error.clone(),
            prefill: inner.prefill.clone(),
            picking: inner.picking,
            api_url: self
                .ready
                .as_ref()
                .ok()
                .and_then(|r| r.config.engine.api_url.as_ref())
                .map(|u| u.url().to_string()),
        }
    }

    fn session_view(&self, inner: &Inner, s: &Signed) -> SessionView {
        let org_id = s.meta.key.org_id.clone().unwrap_or_default();
        let (display, branding) =
            self.org_identity(inner, Some(&org_id), s.meta.org_name.as_deref());
        SessionView {
            org_id,
            org_name: s.meta.org_name.clone(),
            org_display_name: display,
            branding,
            sub: s.meta.sub.clone(),
            name: s.meta.name.clone(),
            email: s.meta.email.clone(),
            picture: s.meta.picture.clone(),
            expires_at: OffsetDateTime::from_unix_timestamp(s.meta.expires_at)
                .map(rfc3339)
                .unwrap_or_default(),
            status: s.status,
            status_note: s.note.clone(),
        }
    }

    /// Display name and branding of an organization: from the directory, else remembered, else its name/ID.
    fn org_identity(
        &self,
        inner: &Inner,
        id: Option<&str>,
        name: Option<&str>,
    ) -> (String, Branding) {
        if let Some(card) = self.directory.find(id, name) {
            return (card.display_name.clone(), card.branding.clone());
        }
        if let Some(r) = inner.recent.iter().find(|r| {
            Some(r.org_id.as_str()) == id || (name.is_some() && r.org_name.as_deref() == name)
        }) {
            return (
                r.display_name.clone(),
                Branding {
                    logo_url: r.logo_url.clone(),
                    primary_color: r.primary_color.clone(),
                    background_color: r.background_color.clone(),
                },
            );
        }
        (
            name.or(id).unwrap_or("your organization").to_owned(),
            Branding::default(),
        )
    }

    // ------------------------------------------------------------------ commands

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

    /// Start a sign-in: bind the loopback listener, open the browser, and wait for it in a task.
    pub async fn begin_login(
        self: &Arc<Self>,
        input: &str,
        prompt_login: bool,
    ) -> Result<(), IpcError> {
        let ready = self.ready()?;
        let parsed = OrgInput::parse(input).map_err(|e| errors::bad_input(&e))?;
        let (id, name) = (
            parsed.id().map(str::to_owned),
            parsed.name().map(str::to_owned),
        );
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
            let (label, branding) = self.org_identity(&inner, id.as_deref(), name.as_deref());
            inner.next_login_id += 1;
            let login_id = inner.next_login_id;
            inner.pending = Some(Pending {
                view: PendingView {
                    org_label: label,
                    input: input.trim().to_owned(),
                    branding,
                    authorize_url: None,
                    prompt_login,
                    stage: LoginStage::Starting,
                    browser_opened: false,
                },
                cancel: None,
                paste: None,
                id: login_id,
            });
            inner.last_error = None;
            inner.picking = false;
            inner.prefill = None;
            login_id
        };
        self.notify();

        let request = LoginRequest {
            org: Some(parsed),
            prompt: prompt_login.then(|| "login".to_owned()),
            ..LoginRequest::default()
        };
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
        let params: Vec<(String, String)> = pending
            .authorize_url()
            .query_pairs()
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
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
            let key = id.or(name).unwrap_or_default();
            inner.sent_params.insert(key, params);
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
                e.retry = Some(pending.view.input);
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
                    // Parameters were filed under what was typed; file them under the org ID too.
                    if let Some(p) = inner.pending.as_ref().filter(|p| p.id == login_id) {
                        let typed = OrgInput::parse(&p.view.input)
                            .map(|o| o.organization_param().to_owned())
                            .unwrap_or_default();
                        if let Some(params) = inner.sent_params.get(&typed).cloned() {
                            inner.sent_params.insert(org_id.clone(), params);
                        }
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
                    RecentEntry {
                        org_id: org_id.clone(),
                        org_name: meta.org_name.clone(),
                        display_name: display,
                        logo_url: branding.logo_url,
                        primary_color: branding.primary_color,
                        background_color: branding.background_color,
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
    fn signed_in_key(&self, org_id: &str, next_step: &str) -> Result<SessionKey, IpcError> {
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

    /// QA details of a session: the verified ID-token claims and the authorize parameters sent.
    pub async fn qa_details(&self, org_id: &str) -> Result<QaView, IpcError> {
        let ready = self.ready()?;
        // Unlocked, the window may turn QA on at any time, so only a view IT locked off withholds the details.
        if self.qa_locked && !self.lock().qa {
            return Err(qa_locked());
        }
        let key = self.signed_in_key(org_id, "Sign in first.")?;
        let store = ready.client.store().clone();
        let session = tauri::async_runtime::spawn_blocking(move || store.load(&key))
            .await
            .map_err(|e| {
                IpcError::new(
                    ErrorCode::Internal,
                    "Orgpass could not read the session.",
                    "Try again.",
                    e.to_string(),
                )
            })?
            .map_err(|e| errors::keychain(&e))?;
        let claims = session
            .as_ref()
            .and_then(|s| s.claims())
            .map(claim_rows)
            .unwrap_or_default();
        let (access_claims, access_note) = match &session {
            None => (Vec::new(), None),
            Some(s) => match ready.client.access_claims(s).await {
                Ok(map) => (claim_rows(map), None),
                Err(e) => (Vec::new(), Some(e.to_string())),
            },
        };
        let authorize_params = self.lock().sent_params.get(org_id).cloned().unwrap_or_else(|| {
            vec![("(not recorded)".into(), "This session was restored from the keychain; sign in again to see the parameters.".into())]
        });
        Ok(QaView {
            org_id: org_id.to_owned(),
            claims,
            access_claims,
            access_note,
            authorize_params,
            settings: ready.config.provenance.clone(),
        })
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
    ) -> Result<ApiReply, IpcError> {
        let ready = self.ready()?;
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
        match ready.client.call_api(&key, &request).await {
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

    /// Turns the QA view on or off, unless IT locked it: then a change is refused and nothing changes.
    pub fn set_qa(&self, enabled: bool) -> Result<(), IpcError> {
        {
            let mut inner = self.lock();
            if self.qa_locked && inner.qa != enabled {
                return Err(qa_locked());
            }
            inner.qa = enabled;
        }
        self.notify();
        Ok(())
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

    // ------------------------------------------------------------------ restore and refresh

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

fn rfc3339(t: OffsetDateTime) -> String {
    t.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

/// Verified claims (`Session::claims`) as rows for the QA view: values as JSON text, times also as RFC 3339.
pub fn claim_rows(claims: serde_json::Map<String, serde_json::Value>) -> Vec<(String, String)> {
    claims
        .into_iter()
        .map(|(k, v)| {
            let shown = match (&k[..], &v) {
                ("exp" | "iat" | "auth_time", serde_json::Value::Number(n)) => n
                    .as_i64()
                    .and_then(|t| OffsetDateTime::from_unix_timestamp(t).ok())
                    .map(|t| format!("{n} ({})", rfc3339(t)))
                    .unwrap_or_else(|| n.to_string()),
                (_, serde_json::Value::String(s)) => s.clone(),
                _ => v.to_string(),
            };
            (k, shown)
        })
        .collect()
}

/// The QA view is locked by IT, so it cannot be changed (or, locked off, looked into).
fn qa_locked() -> IpcError {
    IpcError::new(
        ErrorCode::Config,
        "The QA view is set by your IT department.",
        "Ask IT if you need it: Orgpass's system settings lock it.",
        "`qa` is locked in the system-wide app.toml",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn claims_are_shown_as_text_with_times_readable() {
        let claims =
            serde_json::json!({"sub":"auth0|a","org_id":"org_A","exp":1700000000,"aud":["x","y"]});
        let serde_json::Value::Object(map) = claims else {
            unreachable!()
        };
        assert_eq!(
            claim_rows(map),
            vec![
                ("aud".to_owned(), r#"["x","y"]"#.to_owned()),
                (
                    "exp".to_owned(),
                    "1700000000 (2023-11-14T22:13:20Z)".to_owned()
                ),
                ("org_id".to_owned(), "org_A".to_owned()),
                ("sub".to_owned(), "auth0|a".to_owned()),
            ]
        );
    }
}
