//! An empty Tauri 2 window: the baseline Orgpass's window is measured against (`tests/measure-memory.sh`). Same
//! Tauri version and window size as the app, a page with nothing on it, no plugin, no command.

fn main() {
    tauri::Builder::default()
        .run(tauri::generate_context!())
        .expect("the empty window runs");
}
