//! The window's web view, set up to be light at rest (Linux, WebKitGTK): its pages are a few forms and lists, which
//! WebKit draws well without accelerated compositing. Compositing keeps GL surfaces and tiles for every layer; off,
//! the window's web process holds about 70 MiB less at rest (`tests/measure-memory.sh`; README, "Idle memory").

use tauri::{Manager, Runtime};

/// Applies the settings to the main window's web view (once, at set-up).
pub fn lighten<R: Runtime>(app: &tauri::App<R>, label: &str) {
    let Some(window) = app.get_webview_window(label) else {
        return;
    };
    let applied = window.with_webview(|webview| {
        #[cfg(target_os = "linux")]
        {
            use webkit2gtk::{HardwareAccelerationPolicy, SettingsExt as _, WebViewExt as _};
            if let Some(settings) = webview.inner().settings() {
                settings.set_hardware_acceleration_policy(HardwareAccelerationPolicy::Never);
            }
        }
        #[cfg(not(target_os = "linux"))]
        let _ = webview;
    });
    if let Err(e) = applied {
        tracing::warn!(error = %e, "could not set up the web view; it keeps WebKit's defaults");
    }
}
