//! Build script: the page must be built (`cargo xtask ui` builds it with the app's), then Tauri's build.

fn main() {
    let dist = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("ui/dist/index.html");
    println!("cargo:rerun-if-changed=ui/dist");
    assert!(
        dist.exists(),
        "{} is missing: run `cargo xtask ui` (or `npm ci && npm run build` in examples/embed/ui/) first",
        dist.display()
    );
    tauri_build::build();
}
