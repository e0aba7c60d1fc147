//! Tidy tests (after rust-analyzer's `xtask/src/tidy.rs`): the invariants ARCHITECTURE.md states as absences or
//! as "one list in several places", checked on the source tree so they cannot silently rot. They run with
//! `cargo test --workspace` (so `cargo xtask test`), read files only, and say what to fix.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    super::root()
}

fn read(path: &str) -> String {
    let full = root().join(path);
    fs::read_to_string(&full).unwrap_or_else(|e| panic!("cannot read {}: {e}", full.display()))
}

/// The names of a manifest's dependencies in every dependency table (normal, dev, build, target-specific).
fn dependencies(manifest: &str) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    let mut in_deps = false;
    for line in read(manifest).lines() {
        let line = line.trim();
        if line.starts_with('[') {
            in_deps = line.trim_end_matches(']').ends_with("dependencies");
            continue;
        }
        if in_deps && let Some((name, _)) = line.split_once('=') {
            let name = name.trim();
            if !name.is_empty() && !name.starts_with('#') {
                names.insert(name.split('.').next().unwrap_or(name).to_owned());
            }
        }
    }
    names
}

/// Every `.rs` file under `dir` (skipping build output and node packages).
fn rust_files(dir: &Path, into: &mut Vec<PathBuf>) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if path.is_dir() {
            if !matches!(
                name.as_ref(),
                "target" | "node_modules" | "gen" | "dist" | ".git"
            ) {
                rust_files(&path, into);
            }
        } else if name.ends_with(".rs") {
            into.push(path);
        }
    }
}

/// The quoted names in the `const COMMANDS: &[&str] = &[...]` of a build script.
fn build_script_commands(path: &str) -> BTreeSet<String> {
    let text = read(path);
    let start = text
        .find("const COMMANDS")
        .expect("build.rs lists COMMANDS");
    let list = &text[start..text[start..].find("];").map(|e| start + e).unwrap()];
    list.split('"')
        .skip(1)
        .step_by(2)
        .map(str::to_owned)
        .collect()
}

#[test]
fn the_engine_has_no_tauri_cli_or_ui_dependency() {
    let deps = dependencies("crates/orgpass/Cargo.toml");
    let bad: Vec<&String> = deps
        .iter()
        .filter(|d| {
            d.starts_with("tauri") || d.starts_with("clap") || *d == "wry" || *d == "indicatif"
        })
        .collect();
    assert!(
        bad.is_empty(),
        "crates/orgpass must stay free of Tauri, CLI and UI crates (the app, the CLI and the plugin share it): {bad:?}"
    );
}

#[test]
fn devtenant_does_not_depend_on_the_engine() {
    // devtenant plays the provider: sharing the engine's code would let one bug hide on both sides.
    let deps = dependencies("crates/devtenant/Cargo.toml");
    assert!(
        !deps.contains("orgpass"),
        "crates/devtenant must not depend on orgpass: {deps:?}"
    );
}

#[test]
fn devtenant_does_not_depend_on_the_guard_or_the_api() {
    // devtenant is the provider, orgpass-guard and demo-api the company's side: a shared crate would let a
    // verification bug pass both.
    let deps = dependencies("crates/devtenant/Cargo.toml");
    let bad: Vec<&String> = deps
        .iter()
        .filter(|d| d.starts_with("orgpass") || *d == "demo-api")
        .collect();
    assert!(
        bad.is_empty(),
        "crates/devtenant must not depend on {bad:?}"
    );
}

#[test]
fn the_guard_stands_alone() {
    // A company's API adds orgpass-guard without a desktop engine, a keychain or a window. It shares only
    // orgpass-net (how to reach the issuer through the company's CA and proxy) and orgpass-jose (the token core the
    // engine verifies with too), each of which stands alone.
    for (manifest, allowed) in [
        (
            "crates/orgpass-guard/Cargo.toml",
            &["orgpass-guard", "orgpass-net", "orgpass-jose"][..],
        ),
        ("crates/orgpass-net/Cargo.toml", &["orgpass-net"][..]),
        ("crates/orgpass-jose/Cargo.toml", &["orgpass-jose"][..]),
    ] {
        let deps = dependencies(manifest);
        let bad: Vec<&String> = deps
            .iter()
            .filter(|d| {
                (d.starts_with("orgpass") && !allowed.contains(&d.as_str()))
                    || d.starts_with("tauri")
                    || *d == "keyring"
                    || *d == "oauth2"
            })
            .collect();
        assert!(
            bad.is_empty(),
            "{manifest} must not depend on the engine, the keychain or Tauri: {bad:?}"
        );
    }
}

#[test]
fn only_the_keychain_crate_talks_to_keyring() {
    // One classification of keychain failures, one chunking: every other crate goes through orgpass-keychain.
    let mut manifests = vec![
        "src-tauri/Cargo.toml".to_owned(),
        "tests/Cargo.toml".to_owned(),
    ];
    for entry in fs::read_dir(root().join("crates"))
        .expect("crates/")
        .flatten()
    {
        let name = entry.file_name().to_string_lossy().into_owned();
        if name != "orgpass-keychain" && entry.path().join("Cargo.toml").is_file() {
            manifests.push(format!("crates/{name}/Cargo.toml"));
        }
    }
    let users: Vec<&String> = manifests
        .iter()
        .filter(|m| dependencies(m).contains("keyring"))
        .collect();
    assert!(
        users.is_empty(),
        "use orgpass-keychain instead of keyring directly in {users:?}"
    );
}

#[test]
fn the_plugin_has_no_cli_dependency() {
    let deps = dependencies("crates/tauri-plugin-orgpass/Cargo.toml");
    assert!(
        !deps.iter().any(|d| d.starts_with("clap")),
        "the plugin is embedded in other apps: flags are the app's business ({deps:?})"
    );
}

/// Shipped source files (not below a file's `#[cfg(test)]`, nor in `tests/` or `benches/`, nor under the `allowed`
/// folders) that contain any of `needles`, relative to the workspace.
fn shipped_files_containing(allowed: &[&str], needles: &[&str]) -> Vec<String> {
    let mut files = Vec::new();
    for dir in ["crates", "src-tauri/src", "examples"] {
        rust_files(&root().join(dir), &mut files);
    }
    files
        .iter()
        .map(|f| f.strip_prefix(root()).unwrap_or(f).to_path_buf())
        .filter(|rel| {
            let rel = rel.to_string_lossy();
            !allowed.iter().any(|a| rel.starts_with(a))
                && !rel.contains("/tests/")
                && !rel.contains("/benches/")
        })
        .filter(|rel| {
            let text = fs::read_to_string(root().join(rel)).unwrap_or_default();
            let shipped = text.split("#[cfg(test)]").next().unwrap_or_default();
            needles.iter().any(|needle| shipped.contains(needle))
        })
        .map(|rel| rel.display().to_string())
        .collect()
}

/// Shipped code never builds an HTTP client of its own: every client starts from orgpass-net, which trusts the
/// OS store (not only bundled roots) and keeps loopback off proxies. Tests may build their own.
#[test]
fn every_http_client_comes_from_orgpass_net() {
    let offenders = shipped_files_containing(
        &["crates/orgpass-net/"],
        &[
            "reqwest::Client::builder(",
            "reqwest::Client::new(",
            "ClientBuilder::new(",
        ],
    );
    assert!(
        offenders.is_empty(),
        "start these clients from orgpass_net::Network::client_builder: {offenders:?}"
    );
}

/// One key policy: only the token core turns JWKs into verification keys. Shipped code elsewhere (the engine, the
/// guard, the plugin) gets its keys from `orgpass_jose::KeySet`; devtenant, the other party, and tests may read
/// keys their own way.
#[test]
fn only_the_token_core_reads_json_web_keys() {
    let offenders = shipped_files_containing(
        &["crates/orgpass-jose/", "crates/devtenant/"],
        &[
            "from_rsa_components(",
            "from_ec_components(",
            "DecodingKey::from_jwk(",
            "struct KeySet",
        ],
    );
    assert!(
        offenders.is_empty(),
        "read keys through orgpass_jose::KeySet (one key policy): {offenders:?}"
    );
    // The check can fail: the guard's old copy of the key parsing would be found.
    assert!(
        !shipped_files_containing(&[], &["from_rsa_components("]).is_empty(),
        "the token core itself reads RSA keys"
    );
}

/// One JWKS cache and one token check: only the token core keeps key sets (max age, back-off, grace, refetch for
/// an unknown `kid`), reads `Cache-Control` for them, and verifies JWS signatures and token claims. The engine and
/// the guard supply where the keys come from and take the core's verdicts.
#[test]
fn only_the_token_core_caches_key_sets_and_verifies_tokens() {
    let offenders = shipped_files_containing(
        &["crates/orgpass-jose/", "crates/devtenant/"],
        &[
            "struct JwksCache",
            "fn cache_max_age(",
            "\"max-age\" =>",
            "jsonwebtoken::decode",
            "jsonwebtoken::crypto::verify(",
            "fn check_aud(",
            "fn step3_audience(",
        ],
    );
    assert!(
        offenders.is_empty(),
        "keep key sets in orgpass_jose::JwksCache and verify with its profiles (AccessProfile, IdTokenVerifier): \
         {offenders:?}"
    );
    // The check can fail: the core itself is found by it.
    assert!(
        !shipped_files_containing(&[], &["struct JwksCache", "jsonwebtoken::crypto::verify("])
            .is_empty(),
        "the token core keeps the cache and verifies signatures"
    );
}

/// Files a newcomer can find things in: no source file (tests and benchmarks aside) over 800 lines. Split by topic,
/// as the desktop model's rooms are.
#[test]
fn no_source_file_is_over_800_lines() {
    const LIMIT: usize = 800;
    let mut files = Vec::new();
    for dir in ["crates", "src-tauri/src", "xtask/src", "examples"] {
        rust_files(&root().join(dir), &mut files);
    }
    let mut long: Vec<String> = files
        .iter()
        .filter_map(|f| {
            let rel = f.strip_prefix(root()).unwrap_or(f).display().to_string();
            let lines = fs::read_to_string(f).unwrap_or_default().lines().count();
            (!rel.contains("/tests/") && !rel.contains("/benches/") && lines > LIMIT)
                .then(|| format!("{rel}: {lines} lines"))
        })
        .collect();
    long.sort();
    assert!(
        long.is_empty(),
        "split these into files about one thing each (at most {LIMIT} lines): {long:#?}"
    );
    assert!(
        files.len() > 50,
        "the walk found the sources ({})",
        files.len()
    );
}

#[test]
fn every_rust_file_starts_with_a_module_comment() {
    let mut files = Vec::new();
    for dir in ["crates", "src-tauri", "xtask", "tests", "examples"] {
        rust_files(&root().join(dir), &mut files);
    }
    assert!(
        files.len() > 50,
        "found only {} files: wrong root?",
        files.len()
    );
    let missing: Vec<String> = files
        .iter()
        .filter(|f| !fs::read_to_string(f).unwrap_or_default().starts_with("//!"))
        .map(|f| f.strip_prefix(root()).unwrap_or(f).display().to_string())
        .collect();
    assert!(
        missing.is_empty(),
        "start each of these with a `//!` comment saying what the module is about: {missing:?}"
    );
}

#[test]
fn every_plugin_command_is_declared_handled_permitted_and_bound() {
    let declared = build_script_commands("crates/tauri-plugin-orgpass/build.rs");
    let source = read("crates/tauri-plugin-orgpass/src/commands.rs");
    // `#[tauri::command]` and `#[tauri::command(async)]` alike.
    let defined: BTreeSet<String> = source
        .split("#[tauri::command")
        .skip(1)
        .filter_map(|rest| {
            let after = rest.split("fn ").nth(1)?;
            Some(after.split(['(', '<']).next()?.trim().to_owned())
        })
        .collect();
    let lib = read("crates/tauri-plugin-orgpass/src/lib.rs");
    let handler = &lib[lib
        .find("generate_handler![")
        .expect("lib.rs has generate_handler!")..];
    let handled: BTreeSet<String> = handler[..handler.find(']').unwrap()]
        .split("commands::")
        .skip(1)
        .map(|c| c.split([',', '\n', ' ']).next().unwrap().to_owned())
        .collect();
    let permitted: BTreeSet<String> = read("crates/tauri-plugin-orgpass/permissions/default.toml")
        .split("\"allow-")
        .skip(1)
        .map(|p| p.split('"').next().unwrap().replace('-', "_"))
        .collect();
    let guest = read("crates/tauri-plugin-orgpass/guest-js/index.ts");
    let bound: BTreeSet<String> = guest
        .split("call<")
        .skip(2) // the first is the helper's own definition
        .filter_map(|c| c.split('"').nth(1).map(str::to_owned))
        .collect();
    assert_eq!(defined, declared, "src/commands.rs vs build.rs COMMANDS");
    assert_eq!(
        handled, declared,
        "lib.rs generate_handler! vs build.rs COMMANDS"
    );
    assert_eq!(
        permitted, declared,
        "permissions/default.toml vs build.rs COMMANDS"
    );
    assert_eq!(
        bound, declared,
        "guest-js/index.ts bindings vs build.rs COMMANDS"
    );
}

#[test]
fn one_version_everywhere() {
    let workspace = read("Cargo.toml");
    let version = workspace
        .lines()
        .skip_while(|l| l.trim() != "[workspace.package]")
        .find_map(|l| l.strip_prefix("version = "))
        .expect("[workspace.package] version")
        .trim_matches('"')
        .to_owned();
    let mut manifests = Vec::new();
    for dir in ["crates", "examples"] {
        for entry in fs::read_dir(root().join(dir)).unwrap().flatten() {
            if entry.path().join("Cargo.toml").is_file() {
                manifests.push(entry.path().join("Cargo.toml"));
            }
        }
    }
    manifests.extend(["src-tauri", "tests", "xtask"].map(|d| root().join(d).join("Cargo.toml")));
    for manifest in &manifests {
        let text = fs::read_to_string(manifest).unwrap();
        assert!(
            text.contains("\nversion.workspace = true\n"),
            "{} must take the workspace's version (`version.workspace = true`)",
            manifest.display()
        );
    }
    let guest = read("crates/tauri-plugin-orgpass/package.json");
    assert!(
        guest.contains(&format!("\"version\": \"{version}\"")),
        "crates/tauri-plugin-orgpass/package.json must have version {version}, the workspace's"
    );
    assert!(
        !read("src-tauri/tauri.conf.json").contains("\"version\""),
        "tauri.conf.json must not set a version: the bundler then takes the app crate's (the workspace's)"
    );
}

#[test]
fn architecture_names_every_crate() {
    let architecture = read("ARCHITECTURE.md");
    let mut missing = Vec::new();
    for entry in fs::read_dir(root().join("crates")).unwrap().flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if !architecture.contains(&format!("crates/{name}")) {
            missing.push(name);
        }
    }
    assert!(
        missing.is_empty(),
        "ARCHITECTURE.md says nothing about crates/{missing:?}"
    );
}
