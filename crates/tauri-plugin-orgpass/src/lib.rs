//! `tauri-plugin-orgpass`: Orgpass's sign-in inside any Tauri 2 app.
//!
//! A company app adds it in a few lines and writes its own window, or reuses Orgpass's:
//!
//! ```no_run
//! let issuer = orgpass::Issuer::parse("acme.eu.auth0.com").unwrap();
//! let settings = tauri_plugin_orgpass::Settings::new(orgpass::Config::new(issuer, "YOUR_NATIVE_APP_CLIENT_ID"));
//! tauri::Builder::default()
//!     .plugin(tauri_plugin_orgpass::init(settings))
//!     // grant "orgpass:default", "core:event:allow-listen" and "core:event:allow-unlisten" to the window
//! #   ;
//! ```
//!
//! and in the window, with the guest bindings (`tauri-plugin-orgpass-api`, in `guest-js/`):
//! `onState(render); render(await appState()); await beginLogin("acme");`, and `await directory()` once for the
//! company directory's cards (the state carries only `directorySize`).
//!
//! - [`model`]: the desktop model (sessions for several organizations, the sign-in in progress, renewal, sign-out,
//!   QA details); plain Rust over the `orgpass` engine with the browser, keychain and notifier injected.
//! - [`commands`]: the IPC commands, each only mapping arguments to the model; each has an `allow-…` permission
//!   (`build.rs`), and `permissions/default.toml` grants them all.
//! - [`view`]: the serializable view models and `IpcError` (twins in `guest-js/index.ts`).
//! - [`errors`]: engine errors as sentences with a next step. [`settings`]: what the plugin runs with.
//! - [`directory`]: the company directory, indexed once; the window fetches its cards once.
//! - [`renewal`]: many sessions renewed a few at a time, each after a random wait (no herd at the tenant).
//! - [`recent`], [`opener`], [`timing`]: recent organizations, how the browser is opened, start-up timing.
//!
//! Every change of state is emitted as [`EVENT_STATE`] with a fresh [`view::AppView`]; commands that change state
//! return nothing, so the window learns the state one way only.

pub mod commands;
pub mod directory;
pub mod errors;
pub mod model;
pub mod opener;
pub mod recent;
pub mod renewal;
pub mod settings;
pub mod timing;
pub mod view;

use std::sync::Arc;

use tauri::plugin::{Builder, TauriPlugin};
use tauri::{Manager, Runtime};

pub use model::{Core, Services};
pub use settings::{DirectoryEntry, Settings};

/// The plugin's name: commands are `plugin:orgpass|<command>`, permissions `orgpass:<permission>`.
pub const PLUGIN_NAME: &str = "orgpass";

/// Name of the event carrying a fresh [`view::AppView`] whenever anything changes.
pub const EVENT_STATE: &str = "orgpass://state";

/// The plugin with the OS keychain, the system browser and the recent-organizations file in the app's data
/// folder: what an embedding app wants.
pub fn init<R: Runtime>(settings: Settings) -> TauriPlugin<R> {
    with_core(Arc::new(Core::new(settings, Services::system())))
}

/// The plugin over a model the app built itself (the Orgpass app builds it before the window, so a deep link or
/// a second launch can be handed to it at once; tests build it with an in-memory keychain and a scripted browser).
pub fn with_core<R: Runtime>(core: Arc<Core>) -> TauriPlugin<R> {
    Builder::new(PLUGIN_NAME)
        .invoke_handler(tauri::generate_handler![
            commands::app_state,
            commands::directory,
            commands::validate_org,
            commands::begin_login,
            commands::validate_email,
            commands::begin_email_login,
            commands::cancel_login,
            commands::reopen_browser,
            commands::paste_callback,
            commands::switch_org,
            commands::show_org_picker,
            commands::sign_out,
            commands::qa_details,
            commands::set_qa,
            commands::api_request,
            commands::open_portal,
        ])
        .setup(move |app, _api| {
            app.manage(core.clone());
            core.attach(app.clone());
            // Sessions from the keychain (no browser), then renewed in the background.
            core.restore_sessions();
            Ok(())
        })
        .build()
}

/// `app.orgpass()`: the model, for the embedding app's own Rust code (deep links, menus, its API calls).
pub trait OrgpassExt<R: Runtime> {
    fn orgpass(&self) -> Arc<Core>;
}

impl<R: Runtime, T: Manager<R>> OrgpassExt<R> for T {
    fn orgpass(&self) -> Arc<Core> {
        self.state::<Arc<Core>>().inner().clone()
    }
}

/// Bring the app's window to the front (after a sign-in finished, or when a second launch handed over): the window
/// labelled `main` if there is one, else the first.
pub fn focus_window<R: Runtime>(app: &tauri::AppHandle<R>) {
    let windows = app.webview_windows();
    let window = windows
        .get("main")
        .or_else(|| windows.values().next())
        .cloned();
    if let Some(window) = window {
        let _ = window.unminimize();
        let _ = window.show();
        let _ = window.set_focus();
    }
}
