//! Build script: Tauri's build (the window's configuration and its empty page).

fn main() {
    tauri_build::build();
}
