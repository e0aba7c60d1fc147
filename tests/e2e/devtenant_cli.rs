//! The `orgpass` CLI signs in to devtenant (demo seed) for each demo organization, as a user would: by name, by ID
//! and by a pasted invitation link, through devtenant's own login form, with sessions in the real Secret Service.
//!
//! The "browser" is `tests/oidc-provider/browser.mjs`, a scripted client that follows redirects and submits the
//! login form (`OP_TEST_USER` / `OP_TEST_PASSWORD`). Needs `npm ci --prefix tests` only for node itself (the script
//! has no dependencies) and a D-Bus session with an unlocked gnome-keyring; `cargo xtask test` sets both up.

use std::path::{Path, PathBuf};
use std::process::Output;

use devtenant::{Seed, SpawnOptions};
use serde_json::Value;
use tempfile::TempDir;

const ACME: &str = "org_AcmeA1b2C3d4E5f6";
const GLOBEX: &str = "org_GlobexG7h8I9j0K1";
const INITECH: &str = "org_InitechL2m3N4o5p";
const CLIENT_ID: &str = "orgpass-desktop";

pub(crate) fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ has a parent")
        .to_owned()
}

/// `target/debug/orgpass`, next to this test binary's `deps/` folder.
pub(crate) fn orgpass_binary() -> PathBuf {
    bin("orgpass", "orgpass-cli")
}

/// A workspace binary, `target/debug/NAME`, next to this test binary's `deps/` folder.
pub(crate) fn bin(name: &str, package: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("test binary path");
    let debug = exe
        .parent()
        .and_then(Path::parent)
        .expect("target/debug/deps/<test>");
    let bin = debug.join(name);
    assert!(
        bin.is_file(),
        "{} is missing: run `cargo build -p {package}` first (`cargo xtask test` does)",
        bin.display()
    );
    bin
}

pub(crate) fn require_keychain() {
    assert!(
        std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_some(),
        "DBUS_SESSION_BUS_ADDRESS is not set: these tests keep sessions in the real Secret Service; run them with \
         `cargo xtask test` (a private D-Bus session with an unlocked gnome-keyring)"
    );
}

/// One user's machine: its own config dir (the non-secret session index) and the shared keychain.
pub(crate) struct Desktop {
    home: TempDir,
    issuer: String,
    /// Further settings, as IT or the user would set them in the environment.
    env: Vec<(String, String)>,
}

impl Desktop {
    pub(crate) fn new(issuer: &str) -> Self {
        Self {
            home: tempfile::tempdir().expect("temp home"),
            issuer: issuer.to_owned(),
            env: Vec::new(),
        }
    }

    /// This machine's sessions as another program of the same user reads them: the index in its config folder
    /// and the tokens in the shared Secret Service.
    pub(crate) fn keychain(&self) -> orgpass::KeychainStore {
        orgpass::KeychainStore::new(
            orgpass::OsKeychain::new(orgpass::session::KEYRING_SERVICE)
                .expect("the Secret Service"),
            orgpass::Index::File(self.home.path().join("config/orgpass/sessions.json")),
        )
    }

    /// The same machine with `key=value` in every `orgpass` run's environment.
    pub(crate) fn with_env(mut self, key: &str, value: &str) -> Self {
        self.env.push((key.to_owned(), value.to_owned()));
        self
    }

    pub(crate) async fn orgpass(&self, args: &[&str], user: Option<(&str, &str)>) -> Output {
        let browser = format!(
            "node {}",
            repo_root()
                .join("tests/oidc-provider/browser.mjs")
                .display()
        );
        let mut command = tokio::process::Command::new(orgpass_binary());
        command
            .args(args)
            .env("HOME", self.home.path())
            .env("XDG_CONFIG_HOME", self.home.path().join("config"))
            .env("ORGPASS_ISSUER", &self.issuer)
            .env("ORGPASS_CLIENT_ID", CLIENT_ID)
            .env("ORGPASS_BROWSER", browser)
            .env_remove("ORGPASS_CONFIG")
            .envs(self.env.iter().map(|(k, v)| (k, v)));
        if let Some((email, password)) = user {
            command
                .env("OP_TEST_USER", email)
                .env("OP_TEST_PASSWORD", password);
        }
        let output = tokio::time::timeout(std::time::Duration::from_secs(60), command.output())
            .await
            .expect("orgpass finished within 60 s")
            .expect("orgpass ran");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            !stderr.contains("eyJ"),
            "stderr must never show a token: {stderr}"
        );
        output
    }

    pub(crate) async fn login(&self, org: &str, email: &str, password: &str) -> Value {
        let out = self
            .orgpass(
                &["login", "--org", org, "--json", "--timeout", "30"],
                Some((email, password)),
            )
            .await;
        assert_eq!(
            out.status.code(),
            Some(0),
            "login --org {org} as {email}: stderr: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).expect("login --json prints one JSON object")
    }

    pub(crate) async fn status(&self) -> Vec<Value> {
        let out = self.orgpass(&["status", "--json"], None).await;
        assert_eq!(
            out.status.code(),
            Some(0),
            "status: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let all: Vec<Value> =
            serde_json::from_slice(&out.stdout).expect("status --json is an array");
        all.into_iter()
            .filter(|s| s["issuer"] == self.issuer.as_str())
            .collect()
    }
}

fn org_ids(sessions: &[Value]) -> Vec<String> {
    let mut ids: Vec<String> = sessions
        .iter()
        .map(|s| s["org_id"].as_str().unwrap_or("-").to_owned())
        .collect();
    ids.sort();
    ids
}

#[tokio::test(flavor = "multi_thread")]
async fn cli_signs_in_to_each_demo_organization_by_name_id_and_invitation() {
    require_keychain();
    let tenant = devtenant::spawn(Seed::demo(), SpawnOptions::default())
        .await
        .expect("devtenant starts");
    let desktop = Desktop::new(tenant.issuer.as_str());

    // By name: Alice, member of acme. The name is trimmed and lowercased; the ID is what is stored.
    let acme = desktop
        .login("  ACME ", "alice@example.com", "Alice-pass-1")
        .await;
    assert_eq!(acme["org_id"], ACME);
    assert_eq!(acme["org_name"], "acme");
    assert_eq!(acme["email"], "alice@example.com");

    // By ID: Alice, also member of globex; the devtenant SSO session cookie is the script's own, so a form again.
    let globex = desktop
        .login(GLOBEX, "alice@example.com", "Alice-pass-1")
        .await;
    assert_eq!(globex["org_id"], GLOBEX);
    assert_eq!(globex["org_name"], "globex");
    assert_eq!(
        globex["sub"], acme["sub"],
        "the same person in both organizations"
    );

    // By invitation link: Bob is not yet a member of initech; accepting the invitation makes him one.
    let link = format!(
        "https://app.orgpass.example/login?invitation=demoInviteBobToInitech&organization={INITECH}&organization_name=initech"
    );
    let initech = desktop.login(&link, "bob@example.com", "Bob-pass-1").await;
    assert_eq!(initech["org_id"], INITECH);
    assert_eq!(initech["email"], "bob@example.com");

    let sessions = desktop.status().await;
    assert_eq!(org_ids(&sessions), vec![ACME, GLOBEX, INITECH]);

    // A valid access token for one of them, for devtenant's audience, bound to that organization.
    let out = desktop
        .orgpass(&["token", "--org", GLOBEX, "--json"], None)
        .await;
    assert_eq!(
        out.status.code(),
        Some(0),
        "token: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let token: Value = serde_json::from_slice(&out.stdout).expect("token --json");
    let access = token["access_token"].as_str().expect("access_token field");
    assert_eq!(
        access.split('.').count(),
        3,
        "devtenant's access tokens are JWTs"
    );

    // Sign out of one: the other two stay.
    let out = desktop.orgpass(&["logout", "--org", ACME], None).await;
    assert_eq!(
        out.status.code(),
        Some(0),
        "logout: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(org_ids(&desktop.status().await), vec![GLOBEX, INITECH]);

    let out = desktop.orgpass(&["logout", "--all"], None).await;
    assert_eq!(
        out.status.code(),
        Some(0),
        "logout --all: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(desktop.status().await.is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn devtenant_refuses_a_non_member_and_nothing_is_stored() {
    require_keychain();
    let tenant = devtenant::spawn(Seed::demo(), SpawnOptions::default())
        .await
        .expect("devtenant starts");
    let desktop = Desktop::new(tenant.issuer.as_str());

    // Nora belongs to no organization; acme's database connection does not assign membership on login.
    let out = desktop
        .orgpass(
            &["login", "--org", "acme", "--json", "--timeout", "30"],
            Some(("nora@example.com", "Nora-pass-1")),
        )
        .await;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        out.status.code(),
        Some(3),
        "a refused sign-in exits 3; stderr: {stderr}"
    );
    assert!(
        stderr.contains("access_denied"),
        "the IdP's error is shown: {stderr}"
    );
    assert!(
        out.stdout.is_empty(),
        "nothing on stdout for a refused sign-in"
    );
    assert!(desktop.status().await.is_empty(), "nothing stored");
}

/// Remote mode against devtenant: `orgpass login --no-browser`, the browser "on another machine" signs in through
/// devtenant's login form and stops at the loopback callback, and its address is pasted on stdin (after a forged
/// one, which is refused).
#[test]
fn remote_sign_in_by_pasting_the_final_address() {
    use std::io::{BufRead, BufReader, Write};
    use std::process::{Command, Stdio};
    require_keychain();
    let runtime = tokio::runtime::Runtime::new().expect("tokio");
    let tenant = runtime
        .block_on(devtenant::spawn(Seed::demo(), SpawnOptions::default()))
        .expect("devtenant starts");
    let issuer = tenant.issuer.to_string();
    let desktop = Desktop::new(&issuer);
    let mut child = Command::new(orgpass_binary())
        .args([
            "login",
            "--org",
            "acme",
            "--no-browser",
            "--json",
            "--timeout",
            "60",
        ])
        .env("HOME", desktop.home.path())
        .env("XDG_CONFIG_HOME", desktop.home.path().join("config"))
        .env("ORGPASS_ISSUER", &issuer)
        .env("ORGPASS_CLIENT_ID", CLIENT_ID)
        .env_remove("ORGPASS_CONFIG")
        .env_remove("ORGPASS_BROWSER")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("orgpass starts");
    let mut stdin = child.stdin.take().expect("stdin");
    let (tx, lines) = std::sync::mpsc::channel();
    let stderr = child.stderr.take().expect("stderr");
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            let _ = tx.send(line.replace("Paste the address here: ", ""));
        }
    });
    let mut seen = Vec::new();
    let mut wait_line = |want: &dyn Fn(&str) -> bool| -> String {
        loop {
            let line = lines
                .recv_timeout(std::time::Duration::from_secs(30))
                .unwrap_or_else(|_| {
                    panic!("orgpass stopped talking; stderr:\n{}", seen.join("\n"))
                });
            seen.push(line.clone());
            if want(&line) {
                return line;
            }
        }
    };
    let authorize = wait_line(&|l| l.trim().starts_with(&issuer))
        .trim()
        .to_owned();
    let browser = Command::new("node")
        .arg(repo_root().join("tests/oidc-provider/browser.mjs"))
        .arg(&authorize)
        .env("OP_TEST_USER", "alice@example.com")
        .env("OP_TEST_PASSWORD", "Alice-pass-1")
        .env("OP_BROWSER_STOP_AT_CALLBACK", "1")
        .output()
        .expect("node runs the scripted browser");
    assert!(
        browser.status.success(),
        "{}",
        String::from_utf8_lossy(&browser.stderr)
    );
    let callback = String::from_utf8(browser.stdout)
        .expect("utf-8")
        .trim()
        .to_owned();
    assert!(
        callback.contains("/callback?") && callback.contains("code="),
        "{callback}"
    );

    writeln!(stdin, "{}", callback.replace("state=", "state=forged")).unwrap();
    wait_line(&|l| l.starts_with("not accepted: it belongs to another sign-in"));
    writeln!(stdin, "{callback}").unwrap();
    drop(stdin);
    let out = child.wait_with_output().expect("orgpass ends");
    assert_eq!(out.status.code(), Some(0), "stderr:\n{}", seen.join("\n"));
    let login: Value = serde_json::from_slice(&out.stdout).expect("login --json");
    assert_eq!(login["org_id"], ACME);
    assert_eq!(login["email"], "alice@example.com");
    let sessions = runtime.block_on(desktop.status());
    assert_eq!(org_ids(&sessions), vec![ACME.to_owned()]);
    runtime.block_on(desktop.orgpass(&["logout", "--all"], None));
}
