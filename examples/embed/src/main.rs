//! Embedding Orgpass's sign-in in a Tauri app: this is all the Rust it takes (the page is `ui/main.ts`).
//!
//! `ORGPASS_ISSUER` and `ORGPASS_CLIENT_ID` name the tenant and the native application; by default the demo
//! tenant of `cargo xtask demo` (devtenant on 127.0.0.1:4000).

fn main() {
    let issuer =
        std::env::var("ORGPASS_ISSUER").unwrap_or_else(|_| "http://127.0.0.1:4000/".into());
    let client_id = std::env::var("ORGPASS_CLIENT_ID").unwrap_or_else(|_| "orgpass-desktop".into());
    let issuer = match orgpass::Issuer::parse(&issuer) {
        Ok(issuer) => issuer,
        Err(e) => {
            eprintln!("orgpass-example-embed: {e}");
            std::process::exit(2);
        }
    };
    let settings = tauri_plugin_orgpass::Settings::new(orgpass::Config::new(issuer, client_id));
    tauri::Builder::default()
        .plugin(tauri_plugin_orgpass::init(settings))
        .run(tauri::generate_context!())
        .expect("the example app runs");
}
