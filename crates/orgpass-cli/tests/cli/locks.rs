//! What IT locks stays locked in every command: a system-wide file locks every setting, and each command (`login`,
//! `token`, `run`, `api`, `open`, `logout`) × each lockable key × each layer that can carry it (flag, environment,
//! the user's file) is refused with the sentence that names the lock, exit 2, before anything reaches the provider. A
//! stored session keeps only its own issuer and client id.

use std::path::{Path, PathBuf};

use crate::support::{ACME_ID, CLIENT_ID, Home, Provider, Run, require_keychain};

/// Every key of the engine's settings: each one is lockable.
const KEYS: &[&str] = orgpass::config::KEYS;

/// A value for `key` other than the locked one, as an environment variable's text and as a TOML value.
fn attempt(key: &str) -> (&'static str, &'static str) {
    match key {
        "issuer" => ("https://evil.example/", "\"https://evil.example/\""),
        "client_id" => ("evil-client", "\"evil-client\""),
        "audience" => ("https://evil.example/api/", "\"https://evil.example/api/\""),
        "scope" => ("openid evil", "\"openid evil\""),
        "ports" => ("9999", "\"9999\""),
        "timeout_secs" => ("7", "7"),
        "leeway_secs" => ("200", "200"),
        "require_organization" => ("true", "true"),
        "dpop" => ("true", "true"),
        "browser" => ("evil-browser", "\"evil-browser\""),
        "api_url" => ("https://evil.example/", "\"https://evil.example/\""),
        "ca_file" => ("/tmp/evil-ca.pem", "\"/tmp/evil-ca.pem\""),
        "allowed_organizations" => ("org_Evil000000000000", "[\"org_Evil000000000000\"]"),
        "apis" => (
            "",
            "[{ name = \"evil\", audience = \"https://evil.example/\" }]",
        ),
        "portals" => (
            "",
            "[{ name = \"portal\", login_url = \"https://evil.example/login\" }]",
        ),
        other => panic!("no attempt for {other}"),
    }
}

/// The environment variable that sets `key`; the lists of tables (`apis`, `portals`) have none.
fn env_name(key: &str) -> Option<String> {
    if matches!(key, "apis" | "portals") {
        return None;
    }
    let short = match key {
        "timeout_secs" => "timeout",
        "leeway_secs" => "leeway",
        other => other,
    };
    Some(format!("ORGPASS_{}", short.to_ascii_uppercase()))
}

/// The flags of each command that set a lockable key (besides the global `--ca-file`).
fn flags_of(command: &str) -> Vec<(&'static str, &'static str)> {
    let mut flags = vec![("ca_file", "--ca-file")];
    match command {
        "login" => flags.extend([
            ("issuer", "--issuer"),
            ("client_id", "--client-id"),
            ("audience", "--audience"),
            ("scope", "--scope"),
            ("ports", "--ports"),
            ("timeout_secs", "--timeout"),
            ("browser", "--browser"),
        ]),
        "api" => flags.push(("api_url", "--api-url")),
        "open" => flags.push(("browser", "--browser")),
        _ => {}
    }
    flags
}

/// The command line of `command` for the signed-in session, with `extra` flags.
fn argv(command: &str, extra: &[String]) -> Vec<String> {
    let mut args: Vec<String> = match command {
        "login" => vec!["login", "--org", ACME_ID],
        "token" => vec!["token", "--org", ACME_ID],
        "run" => vec!["run", "--org", ACME_ID],
        "api" => vec!["api", "/projects", "--org", ACME_ID],
        "open" => vec!["open", "portal", "--org", ACME_ID],
        "logout" => vec!["logout", "--org", ACME_ID],
        other => panic!("no argv for {other}"),
    }
    .into_iter()
    .map(str::to_owned)
    .collect();
    args.extend(extra.iter().cloned());
    if command == "run" {
        args.extend(["--".to_owned(), "true".to_owned()]);
    }
    args
}

struct Machine {
    home: Home,
    /// `$XDG_CONFIG_DIRS` of every run: IT's `orgpass/config.toml` is below it.
    system_dirs: PathBuf,
    system_file: PathBuf,
}

impl Machine {
    /// A private home, and IT's file's folder (not yet written) below `root`.
    fn new(root: &Path) -> Self {
        Self {
            home: Home::new(),
            system_dirs: root.join("xdg"),
            system_file: root.join("xdg/orgpass/config.toml"),
        }
    }

    fn user_file(&self) -> PathBuf {
        self.home.config_dir().join("orgpass/config.toml")
    }

    fn run(&self, args: &[String], env: &[(&str, &str)]) -> Run {
        let dirs = self.system_dirs.display().to_string();
        let mut all = vec![("XDG_CONFIG_DIRS", dirs.as_str())];
        all.extend_from_slice(env);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        self.home
            .run_with(&args, &all, std::time::Duration::from_secs(30))
    }
}

fn write(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

#[test]
fn every_command_refuses_every_locked_key_from_every_layer() {
    require_keychain();
    let op = Provider::start(&[]);
    let root = tempfile::tempdir().unwrap();
    let machine = Machine::new(root.path());
    // Signed in before IT rolled out its file.
    op.login(&machine.home, "alice", Some(ACME_ID), &[])
        .expect_code(0);
    let locked: Vec<String> = KEYS.iter().map(|k| format!("\"{k}\"")).collect();
    write(
        &machine.system_file,
        &format!(
            "issuer = \"{}\"\nclient_id = \"{CLIENT_ID}\"\nlocked = [{}]\n",
            op.issuer,
            locked.join(", ")
        ),
    );
    let lock = |key: &str, fix: &str| {
        format!(
            "orgpass: `{key}` is locked by {} (your IT department manages it): {fix}\n",
            machine.system_file.display()
        )
    };
    let events_before = op.events().len();
    let browsed_before = machine.home.browser_requests().len();
    let mut refused = 0;
    let commands = ["login", "token", "run", "api", "open", "logout"];
    for command in commands {
        for (key, flag) in flags_of(command) {
            let value = attempt(key).0.to_owned();
            let r = machine.run(&argv(command, &[flag.to_owned(), value]), &[]);
            let want = lock(key, &format!("leave out {flag}"));
            assert_eq!(
                (r.code, r.stderr.as_str()),
                (2, want.as_str()),
                "{command} {flag}"
            );
            refused += 1;
        }
        for key in KEYS {
            if let Some(var) = env_name(key) {
                let r = machine.run(&argv(command, &[]), &[(var.as_str(), attempt(key).0)]);
                let want = lock(key, &format!("unset {var}"));
                assert_eq!(
                    (r.code, r.stderr.as_str()),
                    (2, want.as_str()),
                    "{command} {var}"
                );
                refused += 1;
            }

            write(
                &machine.user_file(),
                &format!("{key} = {}\n", attempt(key).1),
            );
            let r = machine.run(&argv(command, &[]), &[]);
            let fix = format!("remove `{key}` from {}", machine.user_file().display());
            assert_eq!(
                (r.code, r.stderr.as_str()),
                (2, lock(key, &fix).as_str()),
                "{command} with {key} in the user file"
            );
            std::fs::remove_file(machine.user_file()).unwrap();
            refused += 1;
        }
    }
    // Flags: login 8, api 2, open 2, token/run/logout 1 each; then each key from the user file, and each but the
    // two lists of tables from the environment.
    let n = commands.len();
    assert_eq!(
        refused,
        8 + 2 + 2 + 3 + n * KEYS.len() + n * (KEYS.len() - 2)
    );
    // Nothing reached the provider: no grant, no refresh, no revocation, no request it logs.
    assert_eq!(op.events().len(), events_before, "{:?}", op.events());
    assert_eq!(
        machine.home.browser_requests().len(),
        browsed_before,
        "no browser was opened by a refused login"
    );

    // A directory put first in XDG_CONFIG_DIRS is one more system file: it cannot hide IT's locks.
    let planted = root.path().join("planted");
    write(
        &planted.join("orgpass/config.toml"),
        "ca_file = \"/tmp/evil-ca.pem\"\n",
    );
    let dirs = format!("{}:{}", planted.display(), machine.system_dirs.display());
    let r = machine.run(&argv("token", &[]), &[("XDG_CONFIG_DIRS", dirs.as_str())]);
    let fix = format!(
        "remove `ca_file` from {}",
        planted.join("orgpass/config.toml").display()
    );
    assert_eq!(
        (r.code, r.stderr.as_str()),
        (2, lock("ca_file", &fix).as_str())
    );

    // The locked values themselves are no attempt to change anything: the session works under IT's file, and a
    // session keeps its own issuer even when IT's file now names another (only issuer and client id are pinned).
    let r = machine.run(&argv("token", &[]), &[]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(!r.stdout.trim().is_empty());
    write(
        &machine.system_file,
        &format!(
            "issuer = \"https://tenant-after-migration.example/\"\nclient_id = \"new-client\"\nlocked = [{}]\n",
            locked.join(", ")
        ),
    );
    let r = machine.run(&argv("token", &["--refresh".to_owned()]), &[]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(
        op.refresh_grants(),
        1,
        "refreshed at the session's own issuer"
    );
    let r = machine.run(&argv("logout", &[]), &[]);
    assert_eq!(r.code, 0, "{}", r.stderr);
}

/// A session signed in for one API is not used once IT locks `audience` to another.
#[test]
fn a_session_for_another_api_than_the_locked_one_is_not_used() {
    require_keychain();
    let op = Provider::start(&[]);
    let root = tempfile::tempdir().unwrap();
    let machine = Machine::new(root.path());
    op.login(&machine.home, "alice", Some(ACME_ID), &[])
        .expect_code(0);
    write(
        &machine.system_file,
        "audience = \"https://api.acme.example/\"\nlocked = [\"audience\"]\n",
    );
    let r = machine.run(&argv("token", &[]), &[]);
    assert_eq!(
        (r.code, r.stderr.as_str()),
        (
            2,
            format!(
                "orgpass: the session's access token is for no API, but `audience` is locked to \
                 https://api.acme.example/ by {} (your IT department manages it): sign in again with `orgpass \
                 login`\n",
                machine.system_file.display()
            )
            .as_str()
        )
    );
}
