//! Build script: checks that the UI was built, then Tauri's build (the app's commands are the plugin's, whose
//! permissions `capabilities/main.json` grants as `orgpass:default`).

fn main() {
    let dist = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../ui/dist/index.html");
    println!("cargo:rerun-if-changed=../ui/dist");
    if !dist.exists() {
        panic!(
            "The UI is not built: {} is missing. Run `cargo xtask ui` (or `npm ci && npm run build` in ui/) first \
             (`cargo xtask demo` does this).",
            dist.display()
        );
    }
    tauri_build::build();
}
