//! The desktop model: the sign-in orchestration on top of `orgpass::Client`, in rooms: [`render`] (what the window
//! shows), [`sign_in`], [`sessions`] (switching, signing out, API calls, restoring and renewing) and [`qa`].
//!
//! [`Core`] owns the engine client, the keychain store, the recent-organizations file and what the window shows
//! (sessions, the sign-in in progress, the last error). Every change is pushed to the window as a fresh
//! [`AppView`] (event `orgpass://state`); methods that change state return nothing else. Long work runs in tasks
//! on Tauri's async runtime; commands return at once.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use std::time::Duration;

use orgpass::{CancelHandle, Client, KeychainStore, Opener, SessionMeta, SessionStore, StoreError};

use crate::directory::Directory;
use crate::errors;
use crate::opener::AppOpener;
use crate::recent::{RecentEntry, RecentStore};
use crate::settings::Settings;
use crate::view::*;

mod portals;
mod qa;
mod render;
mod sessions;
mod sign_in;

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
    /// The authorize parameters this sign-in sent (the QA view shows them once it is signed in).
    sent: Vec<(String, String)>,
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
        self.report_ended(err);
    }

    /// Says that a session ended, beside what is already said of others: after a start several can end at once
    /// (IT narrowed the organizations this computer may use, refresh tokens revoked), and each one's reason is
    /// shown, with the next steps they share said once. Any other error on screen gives way to it.
    fn report_ended(&mut self, err: IpcError) {
        self.last_error = Some(match self.last_error.take() {
            Some(shown)
                if shown.code == ErrorCode::SessionEnded && err.code == ErrorCode::SessionEnded =>
            {
                both_ended(shown, err)
            }
            _ => err,
        });
    }
}

/// One message for two ended sessions: `shown` first, then `more` (unless it says the same again).
fn both_ended(shown: IpcError, more: IpcError) -> IpcError {
    if shown.message.contains(&more.message) {
        return shown;
    }
    let next_step = if shown.next_step.contains(&more.next_step) {
        shown.next_step
    } else {
        format!("{} {}", shown.next_step, more.next_step)
    };
    IpcError::new(
        ErrorCode::SessionEnded,
        format!("{} {}", shown.message, more.message),
        next_step,
        format!("{}\n{}", shown.details, more.details),
    )
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
}

#[cfg(test)]
mod tests {
    use super::*;
    use orgpass::TokenError;

    fn ended(e: TokenError, org: &str) -> IpcError {
        match errors::refresh(&e, org, "https://tenant.example/") {
            errors::RefreshOutcome::Ended(err) => err,
            _ => panic!("{e} did not end the session"),
        }
    }

    fn no_longer_allowed(org: &str) -> IpcError {
        let e = TokenError::NoLongerAllowed {
            org: Some(org.to_owned()),
            allowed: "org_Acme".into(),
            by: "/etc/xdg/orgpass/config.toml".into(),
        };
        ended(e, org)
    }

    #[test]
    fn sessions_ended_at_once_are_all_named_and_shared_next_steps_said_once() {
        let mut inner = Inner::default();
        inner.session_ended("org_Globex", no_longer_allowed("Globex"));
        inner.session_ended("org_Initech", no_longer_allowed("Initech"));
        let shown = inner.last_error.clone().unwrap();
        assert_eq!(shown.code, ErrorCode::SessionEnded);
        assert_eq!(
            shown.message,
            "Your session for Globex has ended: this computer may no longer sign in to Globex. Your session for \
             Initech has ended: this computer may no longer sign in to Initech."
        );
        assert_eq!(
            shown.next_step,
            "Your IT department changed the organizations this computer may use. Choose one of those, or ask IT to \
             add it back."
        );
        assert_eq!(shown.details.lines().count(), 2, "{}", shown.details);

        // A third, for another reason: its next step is added; the same session again adds nothing.
        let revoked = ended(
            TokenError::SignInAgain {
                reason: "invalid_grant".into(),
            },
            "Umbrella",
        );
        inner.session_ended("org_Umbrella", revoked.clone());
        inner.session_ended("org_Umbrella", revoked);
        let shown = inner.last_error.clone().unwrap();
        assert_eq!(
            shown.message,
            "Your session for Globex has ended: this computer may no longer sign in to Globex. Your session for \
             Initech has ended: this computer may no longer sign in to Initech. Your session for Umbrella has ended \
             (it was signed out or expired)."
        );
        assert_eq!(
            shown.next_step,
            "Your IT department changed the organizations this computer may use. Choose one of those, or ask IT to \
             add it back. Sign in again to continue."
        );
        assert_eq!(inner.prefill.as_deref(), Some("org_Umbrella"));
    }

    #[test]
    fn an_ended_session_replaces_another_kind_of_error_and_is_replaced_by_one() {
        let mut inner = Inner {
            last_error: Some(IpcError::new(ErrorCode::Cancelled, "m", "n", "d")),
            ..Inner::default()
        };
        inner.session_ended("org_Globex", no_longer_allowed("Globex"));
        assert_eq!(
            inner.last_error.as_ref().unwrap().message,
            "Your session for Globex has ended: this computer may no longer sign in to Globex."
        );
        inner.report_ended(IpcError::new(ErrorCode::Busy, "busy", "wait", "d"));
        assert_eq!(inner.last_error.unwrap().code, ErrorCode::Busy);
    }
}
