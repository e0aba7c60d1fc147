//! Start-up timing for `tests/measure-app.sh` and `tests/measure-scale.sh`: one log line when the window first asks
//! for its state (the organization screen, or the restored signed-in view, is interactive right after), one when it
//! asks for the company directory (the cards are then serialized, sent and indexed: the list fills in after that),
//! and one when every restored session has been checked with the provider.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use crate::view::AppView;

static STARTED: OnceLock<Instant> = OnceLock::new();
static FIRST_VIEW: AtomicBool = AtomicBool::new(false);
static DIRECTORY_REQUESTED: AtomicBool = AtomicBool::new(false);

/// Record (once) and return the moment `main` started.
pub fn process_started() -> Instant {
    *STARTED.get_or_init(Instant::now)
}

/// Log, once per process, how long it took until the window asked for its first view.
pub fn first_view(view: &AppView) {
    if FIRST_VIEW.swap(true, Ordering::SeqCst) {
        return;
    }
    let ms = process_started().elapsed().as_millis() as u64;
    let screen = if view.pending.is_some() {
        "waiting"
    } else if view.active.is_some() {
        "signed-in"
    } else {
        "organization"
    };
    tracing::info!(target: "tauri_plugin_orgpass::timing", ms, screen, sessions = view.sessions.len(), "window interactive");
}

/// Log, once per process, how long it took until the window asked for the company directory's `entries` cards.
pub fn directory_requested(entries: usize) {
    if DIRECTORY_REQUESTED.swap(true, Ordering::SeqCst) {
        return;
    }
    let ms = process_started().elapsed().as_millis() as u64;
    tracing::info!(target: "tauri_plugin_orgpass::timing", ms, entries, "directory requested");
}

/// Log how long it took until the `sessions` restored at start had all been checked with the provider.
pub fn sessions_checked(sessions: usize) {
    let ms = process_started().elapsed().as_millis() as u64;
    tracing::info!(target: "tauri_plugin_orgpass::timing", ms, sessions, "restored sessions checked");
}
