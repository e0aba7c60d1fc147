//! The `orgpass-app` binary: starts the Tauri app (see `lib.rs`).
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

fn main() {
    orgpass_app::run();
}
