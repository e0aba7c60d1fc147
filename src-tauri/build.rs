//! Build script: checks that the UI was built, and declares the app's IPC commands for the permission system.

/// Every `#[tauri::command]` of the app; each gets an `allow-<name>` permission that `capabilities/` grants.
const COMMANDS: &[&str] = &[
    "app_state",
    "validate_org",
    "begin_login",
    "cancel_login",
    "reopen_browser",
    "paste_callback",
    "switch_org",
    "show_org_picker",
    "sign_out",
    "qa_details",
    "set_qa",
];

fn main() {
    let dist = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../ui/dist/index.html");
    println!("cargo:rerun-if-changed=../ui/dist");
    if !dist.exists() {
        panic!(
            "The UI is not built: {} is missing. Run `npm ci && npm run build` in ui/ first \
             (`cargo xtask demo` does this).",
            dist.display()
        );
    }
    tauri_build::try_build(
        tauri_build::Attributes::new()
            .app_manifest(tauri_build::AppManifest::new().commands(COMMANDS)),
    )
    .expect("tauri-build failed");
}
