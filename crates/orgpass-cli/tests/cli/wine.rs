//! The Windows build of the CLI (`orgpass.exe`) under Wine, against devtenant running natively on 127.0.0.1: the
//! journey a Windows user takes, with IT's settings in `%ProgramData%\Orgpass`, the user's in `%APPDATA%`, the
//! sessions in Wine's Credential Manager, and the browser opened the Windows way (ShellExecute, which Wine hands
//! to `winebrowser`; this test stands in for the browser behind it).
//!
//! Run by `cargo xtask windows`, which builds `orgpass.exe`, makes a throwaway Wine prefix and sets
//! `ORGPASS_WINE` (the wine64 loader), `ORGPASS_WINE_EXE` and `WINEPREFIX`; ignored otherwise. Tokens are compared,
//! never printed.

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use devtenant::{Seed, SpawnOptions};
use serde_json::Value;

use crate::support::{Run, collect, drain};

const CLIENT: &str = devtenant::DEMO_NATIVE_CLIENT_ID;
const ACME: &str = "org_AcmeA1b2C3d4E5f6";
const GLOBEX: &str = "org_GlobexG7h8I9j0K1";
const AUDIENCE: &str = "https://api.orgpass.example/";
const CREDMAN: &str = r"HKCU\Software\Wine\Credential Manager";

/// The Wine prefix `cargo xtask windows` prepared and the programs in it.
struct Wine {
    loader: PathBuf,
    exe: PathBuf,
    prefix: PathBuf,
    /// Where this test's stand-in browser writes the address it was handed.
    url_file: PathBuf,
    _scratch: tempfile::TempDir,
}

impl Wine {
    fn from_env() -> Self {
        let var = |name: &str| {
            std::env::var_os(name).map(PathBuf::from).unwrap_or_else(|| {
                panic!("{name} is unset: this test runs the Windows build under Wine; run `cargo xtask windows`")
            })
        };
        let (loader, exe, prefix) = (
            var("ORGPASS_WINE"),
            var("ORGPASS_WINE_EXE"),
            var("WINEPREFIX"),
        );
        assert!(
            exe.is_file(),
            "{} is missing: `cargo xtask windows` builds it",
            exe.display()
        );
        let scratch = tempfile::tempdir().expect("temp dir");
        let url_file = scratch.path().join("authorize-url");
        let browser = scratch.path().join("browser.sh");
        std::fs::write(
            &browser,
            // Written whole, then renamed: the test never reads half a URL.
            format!(
                "#!/bin/sh\nprintf %s \"$1\" > '{0}.part' && mv '{0}.part' '{0}'\n",
                url_file.display()
            ),
        )
        .expect("browser script");
        let made_executable = Command::new("chmod")
            .arg("+x")
            .arg(&browser)
            .status()
            .expect("chmod");
        assert!(made_executable.success());
        let wine = Self {
            loader,
            exe,
            prefix,
            url_file,
            _scratch: scratch,
        };
        // winebrowser, which ShellExecute runs for http(s) addresses, starts the first of these Unix programs.
        wine.reg(
            &[
                "add",
                r"HKCU\Software\Wine\WineBrowser",
                "/v",
                "Browsers",
                "/t",
                "REG_SZ",
                "/d",
            ],
            &browser,
        );
        wine
    }

    fn drive_c(&self) -> PathBuf {
        self.prefix.join("drive_c")
    }

    /// `%APPDATA%` of the prefix's user (`C:\users\<name>\AppData\Roaming`).
    fn appdata(&self) -> PathBuf {
        let users = self.drive_c().join("users");
        let user = std::fs::read_dir(&users)
            .expect("the prefix has users")
            .flatten()
            .map(|e| e.path())
            .find(|p| p.file_name().is_some_and(|n| n != "Public"))
            .expect("the prefix's user");
        user.join("AppData/Roaming")
    }

    /// A Windows program of the prefix (`reg`, `winebrowser`) with `last` as its last argument.
    fn reg(&self, args: &[&str], last: &Path) -> String {
        let out = Command::new(&self.loader)
            .arg("reg")
            .args(args)
            .arg(last)
            .arg("/f")
            .stdin(Stdio::null())
            .output()
            .expect("wine runs reg");
        assert!(
            out.status.success(),
            "reg {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// `reg query KEY [/v VALUE]`; `None` when it does not exist.
    fn query(&self, key: &str, value: Option<&str>) -> Option<String> {
        let mut command = Command::new(&self.loader);
        command.args(["reg", "query", key]);
        if let Some(v) = value {
            command.args(["/v", v]);
        }
        let out = command
            .stdin(Stdio::null())
            .output()
            .expect("wine runs reg");
        out.status
            .success()
            .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
    }

    /// The credentials of `issuer`'s sessions in Wine's Credential Manager (one registry key each, named
    /// `Generic: <account>.orgpass`).
    fn credentials(&self, issuer: &str) -> Vec<String> {
        let prefix =
            format!(r"HKEY_CURRENT_USER\Software\Wine\Credential Manager\Generic: {issuer}|");
        self.query(CREDMAN, None)
            .unwrap_or_default()
            .lines()
            .filter_map(|l| l.trim().strip_prefix(&prefix))
            .map(str::to_owned)
            .collect()
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(&self.loader);
        command
            .arg(&self.exe)
            .args(args)
            .env_remove("ORGPASS_ISSUER")
            .env_remove("ORGPASS_CLIENT_ID")
            .env_remove("ORGPASS_CONFIG")
            .env_remove("ORGPASS_BROWSER")
            .env_remove("ORGPASS_ORG")
            .env_remove("ORGPASS_CA_FILE")
            .env_remove("HTTPS_PROXY")
            .env_remove("HTTP_PROXY")
            .env_remove("ALL_PROXY")
            .env_remove("DISPLAY")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        command
    }

    /// Runs `orgpass.exe ARGS` to its end (60 s at most).
    fn run(&self, args: &[&str]) -> Run {
        let child = self.command(args).spawn().expect("wine starts orgpass.exe");
        finish(child, args)
    }

    /// `login ARGS`: the browser (this test, behind winebrowser) signs `user` in through devtenant's form and
    /// brings the redirect back to orgpass.exe's loopback listener.
    fn login_in_browser(
        &self,
        rt: &tokio::runtime::Runtime,
        args: &[&str],
        user: (&str, &str),
    ) -> Run {
        let _ = std::fs::remove_file(&self.url_file);
        let child = self.command(args).spawn().expect("wine starts orgpass.exe");
        let start = Instant::now();
        let authorize = loop {
            if let Ok(url) = std::fs::read_to_string(&self.url_file)
                && !url.trim().is_empty()
            {
                break url.trim().to_owned();
            }
            assert!(
                start.elapsed() < Duration::from_secs(60),
                "no browser was opened for `orgpass {args:?}`"
            );
            std::thread::sleep(Duration::from_millis(50));
        };
        rt.block_on(browse(&authorize, user));
        finish(child, args)
    }
}

/// What a browser does with the authorize address: devtenant's login form, then the redirect to the loopback.
async fn browse(authorize: &str, (user, password): (&str, &str)) {
    let browser = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .build()
        .unwrap();
    let authorize = url::Url::parse(authorize).expect("the browser got an address");
    let callback = devtenant::testing::sign_in(&browser, authorize, user, password)
        .await
        .expect("the login page signs the user in");
    assert_eq!(callback.host_str(), Some("127.0.0.1"), "{callback}");
    browser
        .get(callback)
        .send()
        .await
        .expect("the redirect reaches orgpass.exe");
}

fn finish(mut child: std::process::Child, args: &[&str]) -> Run {
    let (out, err) = (
        drain(child.stdout.take().unwrap()),
        drain(child.stderr.take().unwrap()),
    );
    let start = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if start.elapsed() > Duration::from_secs(90) {
            let _ = child.kill();
            panic!(
                "`orgpass {args:?}` under Wine did not finish in 90 s; stderr:\n{}",
                collect(err)
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let run = Run {
        code: status.code().unwrap_or(-1),
        stdout: collect(out),
        stderr: collect(err),
    };
    assert!(
        !run.stderr.contains("eyJ"),
        "stderr must never show a token: {}",
        run.stderr
    );
    run
}

/// Panics with stderr only (stdout may hold a token) when the exit code differs.
#[track_caller]
fn expect(run: &Run, code: i32, what: &str) {
    assert_eq!(run.code, code, "{what}: exit code; stderr:\n{}", run.stderr);
}

fn looks_like_a_jwt(token: &str) -> bool {
    token.starts_with("eyJ")
        && token.split('.').count() == 3
        && !token.contains(char::is_whitespace)
}

/// The company's API: answers `{"projects": []}` and keeps the Authorization header of each request.
async fn api() -> (String, Arc<Mutex<Vec<String>>>) {
    let seen: Arc<Mutex<Vec<String>>> = Arc::default();
    let keep = seen.clone();
    let app = axum::Router::new().fallback(move |headers: axum::http::HeaderMap| {
        let keep = keep.clone();
        async move {
            let auth = headers
                .get("authorization")
                .and_then(|v| v.to_str().ok())
                .unwrap_or("")
                .to_owned();
            keep.lock().unwrap().push(auth);
            axum::Json(serde_json::json!({ "projects": [] }))
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, seen)
}

#[test]
#[ignore = "runs orgpass.exe under Wine: `cargo xtask windows`"]
fn the_windows_build_signs_in_uses_and_ends_sessions_under_wine() {
    let wine = Wine::from_env();
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let tenant = rt
        .block_on(devtenant::spawn(Seed::demo(), SpawnOptions::default()))
        .expect("devtenant starts");
    let issuer = tenant.issuer.to_string();
    let (api_url, api_seen) = rt.block_on(api());

    // The version, from the same workspace version as every binary.
    let version = wine.run(&["--version"]);
    expect(&version, 0, "--version");
    assert_eq!(
        version.stdout.trim(),
        format!("orgpass {}", env!("CARGO_PKG_VERSION"))
    );

    // IT's settings in %ProgramData%\Orgpass, the issuer locked; the user's in %APPDATA%\orgpass.
    let program_data = wine.drive_c().join("ProgramData/Orgpass");
    std::fs::create_dir_all(&program_data).unwrap();
    std::fs::write(
        program_data.join("config.toml"),
        format!("issuer = \"{issuer}\"\nclient_id = \"{CLIENT}\"\nlocked = [\"issuer\"]\n"),
    )
    .unwrap();
    let user_dir = wine.appdata().join("orgpass");
    std::fs::create_dir_all(&user_dir).unwrap();
    std::fs::write(
        user_dir.join("config.toml"),
        format!("audience = \"{AUDIENCE}\"\napi_url = \"{api_url}\"\n"),
    )
    .unwrap();
    let refused = wine.run(&[
        "login",
        "--org",
        "acme",
        "--issuer",
        "http://127.0.0.1:9/",
        "--no-browser",
    ]);
    expect(&refused, 2, "a locked issuer");
    assert!(
        refused
            .stderr
            .contains(r"`issuer` is locked by C:\ProgramData\Orgpass\config.toml (your IT department manages it)"),
        "the lock names IT's Windows file: {}",
        refused.stderr
    );

    // Sign-in by paste-back: a forged address is refused, the real one accepted.
    let mut child = wine
        .command(&[
            "login",
            "--org",
            "acme",
            "--no-browser",
            "--json",
            "--timeout",
            "90",
        ])
        .stdin(Stdio::piped())
        .spawn()
        .expect("wine starts orgpass.exe");
    let mut stdin = child.stdin.take().unwrap();
    let (tx, lines) = std::sync::mpsc::channel();
    let stderr = child.stderr.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            let _ = tx.send(line.replace("Paste the address here: ", ""));
        }
    });
    let mut seen = Vec::new();
    let mut wait_line = |want: &dyn Fn(&str) -> bool| -> String {
        loop {
            let line = lines
                .recv_timeout(Duration::from_secs(60))
                .unwrap_or_else(|_| {
                    panic!("orgpass.exe stopped talking; stderr:\n{}", seen.join("\n"))
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
    let callback = rt.block_on(async {
        let browser = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .build()
            .unwrap();
        devtenant::testing::sign_in(
            &browser,
            url::Url::parse(&authorize).unwrap(),
            "alice@example.com",
            "Alice-pass-1",
        )
        .await
        .expect("the login page signs Alice in")
    });
    let callback = callback.to_string();
    writeln!(stdin, "{}", callback.replace("state=", "state=forged")).unwrap();
    wait_line(&|l| l.starts_with("not accepted: it belongs to another sign-in"));
    writeln!(stdin, "{callback}").unwrap();
    drop(stdin);
    let mut stdout = String::new();
    std::io::Read::read_to_string(&mut child.stdout.take().unwrap(), &mut stdout).unwrap();
    let status = child.wait().unwrap();
    assert_eq!(
        status.code(),
        Some(0),
        "paste-back sign-in; stderr:\n{}",
        seen.join("\n")
    );
    let login: Value = serde_json::from_str(stdout.trim()).expect("login --json");
    assert_eq!(login["org_id"], ACME);

    // The session index is in %APPDATA%\orgpass and holds no secret; the tokens are in Credential Manager.
    let index = std::fs::read_to_string(user_dir.join("sessions.json"))
        .expect("the index is in %APPDATA%\\orgpass");
    assert!(
        index.contains(ACME) && !index.contains("eyJ"),
        "the index is secret-free"
    );
    let credentials = wine.credentials(&issuer);
    assert!(
        credentials.contains(&format!("{CLIENT}|{ACME}.orgpass"))
            && credentials.contains(&format!("{CLIENT}|{ACME}#1.orgpass")),
        "the session is in Wine's Credential Manager, split over numbered credentials: {credentials:?}"
    );

    // Through a --browser command (a Windows path, split by Windows rules), then the default browser
    // (ShellExecute → winebrowser).
    let by_command = wine.login_in_browser(
        &rt,
        &[
            "login",
            "--org",
            "globex",
            "--json",
            "--timeout",
            "90",
            "--browser",
            r"C:\windows\system32\winebrowser.exe",
        ],
        ("alice@example.com", "Alice-pass-1"),
    );
    expect(&by_command, 0, "sign-in through --browser");
    assert_eq!(by_command.json()["org_id"], GLOBEX);
    let by_default = wine.login_in_browser(
        &rt,
        &["login", "--org", "acme", "--json", "--timeout", "90"],
        ("bob@example.com", "Bob-pass-1"),
    );
    expect(&by_default, 0, "sign-in through the default browser");
    assert_eq!(by_default.json()["org_id"], ACME);
    assert_eq!(
        by_default.json()["email"],
        "bob@example.com",
        "Bob's session replaced Alice's for acme"
    );

    // status lists both from the index.
    let status = wine.run(&["status", "--json"]);
    expect(&status, 0, "status");
    let mut orgs: Vec<String> = serde_json::from_str::<Vec<Value>>(status.stdout.trim())
        .expect("status --json")
        .iter()
        .filter(|s| s["issuer"] == issuer.as_str())
        .map(|s| s["org_id"].as_str().unwrap_or("-").to_owned())
        .collect();
    orgs.sort();
    assert_eq!(orgs, [ACME, GLOBEX]);

    // A token from Credential Manager, then a renewed one (rotation), the refresh lock under %APPDATA%.
    let token = wine.run(&["token", "--org", "acme"]);
    expect(&token, 0, "token");
    let first = token.stdout.trim().to_owned();
    assert!(looks_like_a_jwt(&first), "token prints one access token");
    let renewed = wine.run(&["token", "--org", "acme", "--refresh"]);
    expect(&renewed, 0, "token --refresh");
    let second = renewed.stdout.trim().to_owned();
    assert!(
        looks_like_a_jwt(&second) && second != first,
        "--refresh gives a new access token"
    );
    let status = wine.run(&["status", "--json"]);
    let sessions: Vec<Value> = serde_json::from_str(status.stdout.trim()).unwrap();
    let acme = sessions
        .iter()
        .find(|s| s["org_id"] == ACME && s["issuer"] == issuer.as_str())
        .unwrap();
    assert!(
        acme["refreshed_at"].is_string(),
        "status shows the renewal: {acme}"
    );
    let locks = user_dir.join("locks");
    assert!(
        std::fs::read_dir(&locks).is_ok_and(|mut d| d.next().is_some()),
        "the refresh lock is under %APPDATA%\\orgpass\\locks"
    );

    // One call to the company's API carries that token, and only there.
    let called = wine.run(&["api", "/projects", "--org", "acme"]);
    expect(&called, 0, "api");
    assert!(
        called.stdout.contains("\"projects\""),
        "api prints the body"
    );
    assert_eq!(
        api_seen.lock().unwrap().clone(),
        vec![format!("Bearer {second}")],
        "the API got the session's token"
    );

    // A Credential Manager that cannot be read is answered with a sentence naming it: Wine keeps its credentials
    // under a key whose EncryptionKey, when not binary, makes every read fail.
    let key = wine
        .query(CREDMAN, Some("EncryptionKey"))
        .expect("Wine made an encryption key");
    let hex = key
        .split_whitespace()
        .skip_while(|w| *w != "REG_BINARY")
        .nth(1)
        .expect("the key is REG_BINARY")
        .to_owned();
    wine.reg(
        &["add", CREDMAN, "/v", "EncryptionKey", "/t", "REG_SZ", "/d"],
        Path::new("broken"),
    );
    let unreadable = wine.run(&["token", "--org", "acme"]);
    wine.reg(
        &[
            "add",
            CREDMAN,
            "/v",
            "EncryptionKey",
            "/t",
            "REG_BINARY",
            "/d",
        ],
        Path::new(&hex),
    );
    assert_ne!(
        unreadable.code, 0,
        "an unreadable Credential Manager is an error"
    );
    assert!(
        unreadable.stdout.trim().is_empty(),
        "no token without the keychain"
    );
    assert!(
        unreadable.stderr.contains("no OS keychain is available")
            && unreadable
                .stderr
                .contains("on Windows it is Credential Manager")
            && unreadable.stderr.contains("VaultSvc"),
        "the error names Credential Manager and what to check: {}",
        unreadable.stderr
    );
    let again = wine.run(&["token", "--org", "acme"]);
    expect(&again, 0, "token once Credential Manager reads again");

    // Sign out of all: nothing left in the index nor in Credential Manager.
    let logout = wine.run(&["logout", "--all"]);
    expect(&logout, 0, "logout --all");
    let status = wine.run(&["status", "--json"]);
    expect(&status, 0, "status after logout");
    let left: Vec<Value> = serde_json::from_str(status.stdout.trim()).unwrap();
    assert!(left.is_empty(), "logout --all left {left:?}");
    assert_eq!(
        wine.credentials(&issuer),
        Vec::<String>::new(),
        "logout removed every credential"
    );
}
