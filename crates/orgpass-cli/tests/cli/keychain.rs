//! The real keychain when it cannot be used: a locked gnome-keyring, and a D-Bus session without any Secret Service.
//!
//! Each test starts its OWN D-Bus session (`dbus-run-session`, or a bare `dbus-daemon` with no service files) in a
//! throwaway HOME, so locking the keyring never disturbs the other tests. DISPLAY is never passed on: gnome-keyring's
//! unlock prompt (gcr-prompter) cannot open a window, so the unlock attempt is dismissed at once instead of waiting
//! for a person. Every child process runs under a time limit, so nothing here can hang.

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use crate::support::{ACME_ID, CLIENT_ID, Home, Provider, Run, browser_command, drain};

/// The password of the throwaway login keyring.
const KEYRING_PASSWORD: &str = "orgpass-test-keyring-pw";
const LOGIN_COLLECTION: &str = "/org/freedesktop/secrets/collection/login";
/// How long any helper process (dbus, gdbus, gnome-keyring) may take.
const LIMIT: Duration = Duration::from_secs(20);

/// What `orgpass` prints when the keychain is locked and no unlock prompt can be shown (gnome-keyring answers
/// "prompt dismissed"): `StoreError::Locked`.
const LOCKED: &str = "orgpass: the OS keychain is locked (SS error: prompt dismissed), so orgpass cannot read or \
     store sessions; nothing was removed. Unlock it, then try again: log in to your desktop session or unlock the \
     Login keyring in Passwords and Keys; without a desktop (SSH), run `gnome-keyring-daemon --replace --unlock`, \
     type the keyring password and press Ctrl-D\n";

/// What `orgpass` prints when the bus has no Secret Service (`StoreError::Unavailable`).
const NO_SECRET_SERVICE: &str = "orgpass: no OS keychain is available (Platform failure: zbus error: \
     org.freedesktop.DBus.Error.ServiceUnknown: The name org.freedesktop.secrets was not provided by any .service \
     files). Orgpass keeps sessions only in the keychain, never in a plain file: on Linux it needs a Secret Service \
     on the D-Bus session bus. Install and start GNOME Keyring (`gnome-keyring-daemon --start \
     --components=secrets`) or KWallet in your desktop session, then try again\n";

/// The throwaway HOME of a [`Home`] (its config dir's parent).
fn home_dir(home: &Home) -> PathBuf {
    home.config_dir()
        .parent()
        .expect("config dir has a parent")
        .to_owned()
}

/// A command with only the variables a desktop-less login has: PATH, LANG, the HOME and XDG dirs of `home`. No
/// DISPLAY or WAYLAND_DISPLAY (a prompt window would wait for a person), no D-Bus address of the test's own session.
fn bare_command(program: &str, home: &Home) -> Command {
    let mut cmd = Command::new(program);
    cmd.env_clear();
    for key in ["PATH", "LANG"] {
        if let Some(v) = std::env::var_os(key) {
            cmd.env(key, v);
        }
    }
    let dir = home_dir(home);
    cmd.env("HOME", &dir)
        .env("XDG_CONFIG_HOME", dir.join("config"))
        .env("XDG_DATA_HOME", dir.join("data"))
        .env("XDG_CACHE_HOME", dir.join("cache"))
        .env("XDG_STATE_HOME", dir.join("state"));
    cmd
}

/// Wait for `child` to exit within `limit`, else kill it and panic naming `what`.
fn wait_bounded(child: &mut Child, limit: Duration, what: &str) -> std::process::ExitStatus {
    let start = Instant::now();
    loop {
        if let Some(status) = child.try_wait().expect("wait for child") {
            return status;
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{what} still running after {limit:?}");
        }
        thread::sleep(Duration::from_millis(20));
    }
}

/// Run a helper command to completion within [`LIMIT`]: (success, stdout, stderr).
fn run_helper(mut cmd: Command, what: &str) -> (bool, String, String) {
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{what} starts: {e}"));
    let out = drain(child.stdout.take().expect("stdout piped"));
    let err = drain(child.stderr.take().expect("stderr piped"));
    let status = wait_bounded(&mut child, LIMIT, what);
    let text = |rx: mpsc::Receiver<String>| rx.recv_timeout(LIMIT).unwrap_or_default();
    (status.success(), text(out), text(err))
}

/// Read the first line a child prints on stdout, within [`LIMIT`].
fn first_line(child: &mut Child, what: &str) -> String {
    let stdout = child.stdout.take().expect("stdout piped");
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        let mut lines = BufReader::new(stdout).lines();
        let _ = tx.send(lines.next().and_then(Result::ok));
        // Keep reading so the child never blocks on a full pipe.
        for _ in lines {}
    });
    match rx.recv_timeout(LIMIT) {
        Ok(Some(line)) if !line.trim().is_empty() => line.trim().to_owned(),
        other => {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{what} printed no address ({other:?})");
        }
    }
}

/// A private D-Bus session (`dbus-run-session`) with the system's service files, so gnome-keyring and its prompter
/// are activatable, in the environment of `home` without DISPLAY. Ended (with every keyring daemon) on drop.
struct PrivateSession {
    session: Child,
    /// Closing it ends the session: its inner `cat` exits, then `dbus-run-session` stops its `dbus-daemon`.
    stdin: Option<ChildStdin>,
    address: String,
    keyrings: Vec<Child>,
}

impl PrivateSession {
    fn start(home: &Home) -> Self {
        let mut cmd = bare_command("dbus-run-session", home);
        cmd.args([
            "--",
            "sh",
            "-c",
            "printf '%s\\n' \"$DBUS_SESSION_BUS_ADDRESS\"; exec cat >/dev/null",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
        let mut session = cmd
            .spawn()
            .expect("dbus-run-session starts (Debian package dbus-daemon)");
        let _stderr = drain(session.stderr.take().expect("stderr piped"));
        let stdin = session.stdin.take();
        let address = first_line(&mut session, "dbus-run-session");
        assert!(address.starts_with("unix:"), "bus address {address:?}");
        Self {
            session,
            stdin,
            address,
            keyrings: Vec::new(),
        }
    }

    /// A helper command on this session's bus.
    fn command(&self, program: &str, home: &Home) -> Command {
        let mut cmd = bare_command(program, home);
        cmd.env("DBUS_SESSION_BUS_ADDRESS", &self.address);
        cmd
    }

    /// `orgpass ARGS` on this session's bus (within `limit`).
    fn orgpass(&self, home: &Home, args: &[&str], env: &[(&str, &str)], limit: Duration) -> Run {
        let mut all = vec![("DBUS_SESSION_BUS_ADDRESS", self.address.as_str())];
        all.extend_from_slice(env);
        home.run_with(args, &all, limit)
    }

    /// Start gnome-keyring's Secret Service in the foreground, unlocking (or creating) the login keyring with
    /// [`KEYRING_PASSWORD`] as a PAM login would. `replace` takes over from a running daemon, which is how a
    /// locked login keyring is unlocked again without a prompt.
    fn start_keyring(&mut self, home: &Home, replace: bool) {
        let mut cmd = self.command("gnome-keyring-daemon", home);
        cmd.args(["--foreground", "--unlock", "--components=secrets"]);
        if replace {
            cmd.arg("--replace");
        }
        let mut child = cmd
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("gnome-keyring-daemon starts (Debian package gnome-keyring)");
        {
            let mut stdin = child.stdin.take().expect("stdin piped");
            stdin
                .write_all(KEYRING_PASSWORD.as_bytes())
                .expect("password to gnome-keyring-daemon");
        }
        if replace {
            // The daemon it replaces hands over the bus name and exits.
            for old in &mut self.keyrings {
                wait_bounded(old, LIMIT, "the replaced gnome-keyring-daemon");
            }
        }
        self.keyrings.push(child);
        self.wait_for_secret_service(home);
    }

    fn wait_for_secret_service(&self, home: &Home) {
        let start = Instant::now();
        loop {
            let mut cmd = self.command("gdbus", home);
            cmd.args([
                "call",
                "--session",
                "--dest",
                "org.freedesktop.DBus",
                "--object-path",
                "/org/freedesktop/DBus",
                "--method",
                "org.freedesktop.DBus.NameHasOwner",
                "org.freedesktop.secrets",
            ]);
            let (_, out, _) = run_helper(cmd, "gdbus NameHasOwner");
            if out.contains("true") {
                return;
            }
            assert!(
                start.elapsed() < LIMIT,
                "gnome-keyring-daemon did not take org.freedesktop.secrets within {LIMIT:?}"
            );
            thread::sleep(Duration::from_millis(50));
        }
    }

    /// Lock the login collection through the Secret Service API (`secret-tool lock` is unreliable on Debian 12).
    fn lock_login_keyring(&self, home: &Home) {
        let mut cmd = self.command("gdbus", home);
        cmd.args([
            "call",
            "--session",
            "--dest",
            "org.freedesktop.secrets",
            "--object-path",
            "/org/freedesktop/secrets",
            "--method",
            "org.freedesktop.Secret.Service.Lock",
            &format!("[\"{LOGIN_COLLECTION}\"]"),
        ]);
        let (ok, out, err) = run_helper(cmd, "gdbus Secret.Service.Lock");
        assert!(
            ok && out.contains(LOGIN_COLLECTION),
            "locking the login keyring failed: {out} {err}"
        );
    }
}

impl Drop for PrivateSession {
    fn drop(&mut self) {
        for k in &mut self.keyrings {
            let _ = k.kill();
            let _ = k.wait();
        }
        drop(self.stdin.take());
        let start = Instant::now();
        while start.elapsed() < Duration::from_secs(5) {
            if let Ok(Some(_)) = self.session.try_wait() {
                return;
            }
            thread::sleep(Duration::from_millis(20));
        }
        let _ = self.session.kill();
        let _ = self.session.wait();
    }
}

/// Every regular file under `dir`, recursively.
fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_owned()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).expect("read dir") {
            let entry = entry.expect("dir entry");
            let kind = entry.file_type().expect("file type");
            if kind.is_dir() {
                stack.push(entry.path());
            } else if kind.is_file() {
                out.push(entry.path());
            }
        }
    }
    out.sort();
    out
}

/// Panics if any file under `dir` contains one of `secrets` (named for the message).
#[track_caller]
fn assert_no_file_contains(dir: &Path, secrets: &[(&str, &str)]) {
    for file in files_under(dir) {
        let bytes = std::fs::read(&file).expect("read file");
        for (what, secret) in secrets {
            assert!(!secret.is_empty());
            let found = bytes.windows(secret.len()).any(|w| w == secret.as_bytes());
            assert!(!found, "{what} found in the file {}", file.display());
        }
    }
}

/// A signed-in user whose keyring gets locked: every command fails (or lists) without losing the session, says
/// the keychain is locked and how to unlock it, and never prints a token; once unlocked, the session works.
#[test]
fn locked_keyring_loses_nothing_and_says_how_to_unlock() {
    let home = Home::new();
    let mut bus = PrivateSession::start(&home);
    bus.start_keyring(&home, false);
    let op = Provider::start(&[]);
    let browser = browser_command();
    let login_args = [
        "login",
        "--issuer",
        &op.issuer,
        "--client-id",
        CLIENT_ID,
        "--org",
        ACME_ID,
        "--browser",
        &browser,
        "--timeout",
        "60",
        "--json",
    ];

    // Signed in while the keyring is unlocked.
    let run = bus.orgpass(
        &home,
        &login_args,
        &[("OP_TEST_USER", "alice")],
        Duration::from_secs(90),
    );
    run.expect_code(0);
    assert_eq!(run.json()["org_id"], ACME_ID);
    let access = op.jtis("access_token.saved");
    let refresh = op.jtis("refresh_token.saved");
    assert_eq!((access.len(), refresh.len()), (1, 1), "{:#?}", op.events());
    let (access, refresh) = (access[0].clone(), refresh[0].clone());
    let run = bus.orgpass(&home, &["token"], &[], LIMIT);
    run.expect_code(0);
    assert_eq!(run.stdout.trim(), access);
    let browser_runs = home.browser_requests().len();

    bus.lock_login_keyring(&home);

    // `status` reads only the secret-free index: it still lists the session, with no token.
    let run = bus.orgpass(&home, &["status"], &[], LIMIT);
    run.expect_code(0)
        .expect_not_printed("the access token", &access)
        .expect_not_printed("the refresh token", &refresh);
    assert_eq!(run.stderr, "");
    let row = format!(
        "{}\t{CLIENT_ID}\t{ACME_ID}\tacme\tauth0|alice\talice@example.com\texpires ",
        op.issuer
    );
    assert!(run.stdout.starts_with(&row), "status: {}", run.stdout);
    assert_eq!(run.stdout.lines().count(), 1, "status: {}", run.stdout);

    // Everything that needs the keychain stops with exit 1 (README: "1 anything else") and the same message.
    for args in [
        &["token"][..],
        &["token", "--json"],
        &["token", "--refresh"],
        &["logout"],
        &["logout", "--all"],
        &login_args,
    ] {
        let run = bus.orgpass(&home, args, &[("OP_TEST_USER", "alice")], LIMIT);
        run.expect_code(1)
            .expect_not_printed("the access token", &access)
            .expect_not_printed("the refresh token", &refresh);
        assert_eq!(run.stdout, "", "orgpass {args:?}");
        assert_eq!(run.stderr, LOCKED, "orgpass {args:?}");
    }
    // No browser was opened for the refused login, nothing was refreshed or revoked at the provider.
    assert_eq!(home.browser_requests().len(), browser_runs);
    assert_eq!(op.count("refresh_token.consumed"), 0, "{:#?}", op.events());
    assert_eq!(op.count("refresh_token.destroyed"), 0, "{:#?}", op.events());
    assert_eq!(op.count("access_token.saved"), 1, "{:#?}", op.events());

    // Nothing lost: the index still lists the session.
    let run = bus.orgpass(&home, &["status", "--json"], &[], LIMIT);
    run.expect_code(0);
    let rows = run.json();
    assert_eq!(rows.as_array().map(Vec::len), Some(1), "{rows}");
    assert_eq!(rows[0]["org_id"], ACME_ID);
    assert_eq!(rows[0]["refreshable"], true);

    // Unlocked again (a new daemon given the password, as a login would): the same session is there and works.
    bus.start_keyring(&home, true);
    let run = bus.orgpass(&home, &["token"], &[], LIMIT);
    run.expect_code(0);
    assert_eq!(run.stdout.trim(), access, "the stored access token");
    assert_eq!(run.stderr, "");
    let run = bus.orgpass(&home, &["token", "--refresh", "--json"], &[], LIMIT);
    run.expect_code(0);
    assert_eq!(run.json()["refreshed"], true);
    assert_eq!(
        op.jtis("refresh_token.consumed"),
        vec![refresh.clone()],
        "the refresh token stored before the lock was the one redeemed"
    );
    let new_access = run.json()["access_token"]
        .as_str()
        .expect("access_token")
        .to_owned();
    let new_refresh = op.jtis("refresh_token.saved");
    assert_eq!(new_refresh.len(), 2, "{:#?}", op.events());

    // No file in the whole HOME holds a token: the keychain file is encrypted; the index and lock files are
    // secret-free.
    let dir = home_dir(&home);
    assert_no_file_contains(
        &dir,
        &[
            ("the first access token", &access),
            ("the first refresh token", &refresh),
            ("the renewed access token", &new_access),
            ("the renewed refresh token", &new_refresh[1]),
        ],
    );
    let config = home.config_dir().join("orgpass");
    assert!(config.join("sessions.json").is_file());
    let orgpass_files: Vec<_> = files_under(&config)
        .into_iter()
        .map(|p| {
            p.strip_prefix(&config)
                .expect("under config")
                .display()
                .to_string()
        })
        .filter(|p| !p.starts_with("locks/refresh-") || !p.ends_with(".lock"))
        .collect();
    assert_eq!(
        orgpass_files,
        vec!["sessions.json", "sessions.json.lock"],
        "only the index, its lock file and the refresh lock files are written"
    );

    // And signing out works again, revoking the refresh token.
    let run = bus.orgpass(&home, &["logout"], &[], LIMIT);
    run.expect_code(0);
    assert!(
        run.stderr.contains("(refresh token revoked)"),
        "{}",
        run.stderr
    );
}

/// A private bus that has no Secret Service and cannot start one: a bare `dbus-daemon` whose only service
/// directory is empty. Killed on drop.
struct BusWithoutSecretService {
    daemon: Child,
    address: String,
    _dir: tempfile::TempDir,
}

impl BusWithoutSecretService {
    fn start() -> Self {
        let dir = tempfile::Builder::new()
            .prefix("orgpass-no-secret-service")
            .tempdir()
            .expect("temp dir");
        let services = dir.path().join("services");
        std::fs::create_dir(&services).expect("empty service dir");
        let config = dir.path().join("session.conf");
        std::fs::write(
            &config,
            format!(
                r#"<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:tmpdir={}</listen>
  <auth>EXTERNAL</auth>
  <servicedir>{}</servicedir>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
"#,
                dir.path().display(),
                services.display()
            ),
        )
        .expect("bus config");
        let mut daemon = Command::new("dbus-daemon")
            .arg(format!("--config-file={}", config.display()))
            .args(["--nofork", "--print-address=1"])
            .env_remove("DISPLAY")
            .env_remove("WAYLAND_DISPLAY")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("dbus-daemon starts (Debian package dbus-daemon)");
        let address = first_line(&mut daemon, "dbus-daemon --print-address");
        Self {
            daemon,
            address,
            _dir: dir,
        }
    }
}

impl Drop for BusWithoutSecretService {
    fn drop(&mut self) {
        let _ = self.daemon.kill();
        let _ = self.daemon.wait();
    }
}

/// No Secret Service on the bus: `login` stops before any browser or network with a message saying what to
/// install and start; `status` lists what the index has; `token` for an indexed session says the same as
/// `login`. No file is written.
#[test]
fn bus_without_secret_service_says_what_to_start_and_writes_nothing() {
    let home = Home::new();
    let bus = BusWithoutSecretService::start();
    let env = [("DBUS_SESSION_BUS_ADDRESS", bus.address.as_str())];
    let browser = browser_command();
    let run = home.run_with(
        &[
            "login",
            "--issuer",
            "http://127.0.0.1:9/",
            "--client-id",
            CLIENT_ID,
            "--org",
            ACME_ID,
            "--browser",
            &browser,
            "--timeout",
            "10",
        ],
        &env,
        LIMIT,
    );
    run.expect_code(1);
    assert_eq!(run.stdout, "");
    assert_eq!(run.stderr, NO_SECRET_SERVICE);
    assert!(home.browser_requests().is_empty(), "no browser was opened");
    let dir = home_dir(&home);
    assert_eq!(
        files_under(&dir),
        Vec::<PathBuf>::new(),
        "a failed login writes no file at all"
    );

    let run = home.run_with(&["status"], &env, LIMIT);
    run.expect_code(0);
    assert_eq!(
        (run.stdout.as_str(), run.stderr.as_str()),
        ("", "No sessions. Sign in with `orgpass login`.\n")
    );

    // A session listed in the index (from when a keychain was there): `status` lists it, `token` cannot read it.
    let index = home.config_dir().join("orgpass/sessions.json");
    std::fs::create_dir_all(index.parent().expect("parent")).expect("config dir");
    let issuer = "http://127.0.0.1:9/";
    let meta = serde_json::json!([{
        "key": {"issuer": issuer, "client_id": CLIENT_ID, "org_id": ACME_ID},
        "org_name": "acme", "sub": "auth0|alice", "email": "alice@example.com", "name": null, "picture": null,
        "expires_at": 1_000_000_000, "refreshable": true,
    }]);
    let body = serde_json::to_string_pretty(&meta).expect("json");
    std::fs::write(&index, &body).expect("write index");
    let run = home.run_with(&["status", "--json"], &env, LIMIT);
    run.expect_code(0);
    assert_eq!(run.json()[0]["org_id"], ACME_ID);
    // A reader that stopped early (`orgpass status | head -0`): the listing ends quietly with 0, no panic.
    let (reader, writer) = std::io::pipe().expect("pipe");
    drop(reader);
    let out = home
        .command(&["status"], &env)
        .stdout(writer)
        .output()
        .expect("orgpass runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!((out.status.code(), stderr.as_ref()), (Some(0), ""));
    for args in [&["token"][..], &["logout"]] {
        let run = home.run_with(args, &env, LIMIT);
        run.expect_code(1);
        assert_eq!(run.stdout, "", "orgpass {args:?}");
        assert_eq!(run.stderr, NO_SECRET_SERVICE, "orgpass {args:?}");
    }
    // The index is untouched and nothing else was written (no lock files either: nothing got that far).
    assert_eq!(std::fs::read_to_string(&index).expect("index"), body);
    assert_eq!(files_under(&dir), vec![index]);
}
