//! The Orgpass desktop app: the first user of `tauri-plugin-orgpass`, which holds the whole desktop model (sessions,
//! sign-in, renewal, QA details) and its commands. This crate is the shell around it:
//!
//! - [`config`]: the app's configuration (IT's system file, the user's file, environment, flags) → the plugin's
//!   `Settings`.
//! - [`scheme`]: registering the `orgpass://` scheme with the desktop (Linux).
//! - [`webview`]: the window's web view, set up to be light at rest.
//! - here: the window, single instance and deep links (both hand their link to the plugin's model).

pub mod config;
pub mod scheme;
pub mod webview;

use std::sync::Arc;

use tauri::Runtime;
use tauri_plugin_orgpass::{Core, OrgpassExt, timing};

use crate::config::{AppConfig, Flags};

/// The window label every capability is granted to.
pub const MAIN_WINDOW: &str = "main";

/// Start the desktop app (the binary's `main`).
pub fn run() {
    let restarting_since = std::env::var(RESTART_ENV).ok().and_then(|v| v.parse().ok());
    // SAFETY: nothing else runs yet (no thread has been started), so nobody reads the environment meanwhile.
    unsafe { std::env::remove_var(RESTART_ENV) };
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("ORGPASS_LOG").unwrap_or_else(|_| {
                "orgpass=info,tauri_plugin_orgpass=info,orgpass_app=info".into()
            }),
        )
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();

    let flags = match Flags::from_args(std::env::args()) {
        Ok(f) => f,
        Err(e) => e.exit(),
    };
    let started = timing::process_started();
    let core = Arc::new(match AppConfig::load(&flags) {
        Ok(config) => Core::new(config.settings(), tauri_plugin_orgpass::Services::system()),
        Err(e) => Core::unconfigured(&e),
    });
    if let Some(link) = &flags.link {
        core.accept_link(link);
    }

    let builder = tauri::Builder::default()
        // Must be the first plugin: a second launch hands its arguments (and deep links) to this instance.
        .plugin(tauri_plugin_single_instance::init(|app, argv, _cwd| {
            tracing::info!("second launch handed over its arguments");
            let core = app.orgpass();
            if let Ok(flags) = Flags::from_args(argv)
                && let Some(link) = flags.link
            {
                core.accept_link(&link);
            }
            tauri_plugin_orgpass::focus_window(app);
            core.notify();
        }))
        .plugin(tauri_plugin_deep_link::init())
        .plugin(tauri_plugin_opener::init());

    let app = builder
        .plugin(tauri_plugin_orgpass::with_core(core))
        .setup(move |app| {
            webview::lighten(app, MAIN_WINDOW);
            setup_deep_links(app);
            tracing::info!(
                elapsed_ms = started.elapsed().as_millis() as u64,
                "window set up"
            );
            Ok(())
        })
        .build(tauri::generate_context!());
    let app = match app {
        Ok(app) => app,
        // An Orgpass that is still closing owns the single-instance name but no longer answers.
        Err(tauri::Error::PluginInitialization(plugin, reason)) if plugin == "single-instance" => {
            start_again_when_the_previous_instance_is_gone(restarting_since, &reason)
        }
        Err(e) => panic!("the Tauri app could not be built: {e}"),
    };
    app.run(|_, _| {});
}

/// How long a launch keeps starting itself again while a closing instance still holds the single-instance name.
const RESTART_FOR_MS: u128 = 5_000;
/// Set on a launch started again: when the first attempt began (Unix ms). Read and removed at the start of
/// [`run`], so nothing the app starts (a browser, a later `orgpass://` launch) inherits it.
const RESTART_ENV: &str = "ORGPASS_RESTART_SINCE_MS";

fn now_ms() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis())
        .unwrap_or(0)
}

/// Quit and relaunch in quick succession: the old process still owns its D-Bus name for a moment, so the
/// single-instance plugin hands our arguments to it, gets no answer, and fails. Start again (a fresh process:
/// a Tauri app cannot be built twice in one) until the name is free or answered, for up to [`RESTART_FOR_MS`].
fn start_again_when_the_previous_instance_is_gone(
    restarting_since: Option<u128>,
    reason: &str,
) -> ! {
    let since = restarting_since.unwrap_or_else(now_ms);
    if now_ms().saturating_sub(since) < RESTART_FOR_MS {
        tracing::info!(%reason, "another Orgpass is still closing; starting again");
        std::thread::sleep(std::time::Duration::from_millis(200));
        #[cfg(unix)]
        {
            use std::os::unix::process::CommandExt;
            if let Ok(exe) = std::env::current_exe() {
                let err = std::process::Command::new(exe)
                    .args(std::env::args_os().skip(1))
                    .env(RESTART_ENV, since.to_string())
                    .exec();
                tracing::warn!(error = %err, "could not start again");
            }
        }
    }
    eprintln!(
        "orgpass-app: another Orgpass window is still running but does not answer ({reason}). \
         Close it (or wait a moment) and start Orgpass again."
    );
    std::process::exit(1);
}

fn setup_deep_links<R: Runtime>(app: &mut tauri::App<R>) {
    use tauri_plugin_deep_link::DeepLinkExt;
    if std::env::var_os("ORGPASS_NO_SCHEME_REGISTRATION").is_none() {
        // Registering runs xdg-mime (and update-desktop-database): keep it off the start-up path.
        #[cfg(target_os = "linux")]
        std::thread::spawn(|| {
            if let Err(e) = scheme::register() {
                tracing::warn!(error = %e, "could not register the orgpass:// scheme");
            }
        });
        #[cfg(all(debug_assertions, windows))]
        if let Err(e) = app.deep_link().register_all() {
            tracing::warn!(error = %e, "could not register the orgpass:// scheme");
        }
    }
    let handle = app.handle().clone();
    app.deep_link().on_open_url(move |event| {
        let core = handle.orgpass();
        for url in event.urls() {
            core.accept_link(url.as_str());
        }
        tauri_plugin_orgpass::focus_window(&handle);
        core.notify();
    });
}
