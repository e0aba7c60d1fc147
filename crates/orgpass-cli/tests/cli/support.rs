//! Shared harness: runs the real `orgpass` binary in a private home, reads the real Secret Service, and runs
//! the node fixtures (the `oidc-provider` instance and the scripted browser).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use serde_json::Value;

/// The client id registered in `tests/oidc-provider/provider.mjs`.
pub const CLIENT_ID: &str = "orgpass-test-client";
pub const ACME_ID: &str = "org_ACME0000000000001";
pub const GLOBEX_ID: &str = "org_GLOBEX00000000002";

/// The keychain service every `orgpass` entry is stored under (`orgpass::KEYRING_SERVICE`).
const KEYRING_SERVICE: &str = "orgpass";
/// How `orgpass` marks a value split over numbered entries (`account#1…#n`).
const CHUNK_HEADER: &str = "orgpass-chunks:";

pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .expect("workspace root exists")
}

/// Tests that touch the keychain need a D-Bus session with an unlocked Secret Service: fail loudly without one.
pub fn require_keychain() {
    if std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_none() {
        panic!(
            "DBUS_SESSION_BUS_ADDRESS is unset: these tests use the real Secret Service. Run them with \
             `cargo xtask test`, or by hand: HOME=$(mktemp -d) dbus-run-session -- sh -c 'printf pw | \
             gnome-keyring-daemon --unlock --components=secrets >/dev/null; cargo test -p orgpass-cli'"
        );
    }
}

/// The node fixtures need `npm ci --prefix tests` first.
pub fn require_node_fixtures() {
    let module = workspace_root().join("tests/node_modules/oidc-provider/package.json");
    assert!(
        module.exists(),
        "{} is missing: run `npm ci --prefix tests` (cargo xtask test does) so the oidc-provider fixture can start",
        module.display()
    );
}

/// The `--browser` command: the scripted browser, quoted like a shell would need it.
pub fn browser_command() -> String {
    let script = workspace_root().join("tests/oidc-provider/browser.mjs");
    format!("node '{}'", script.display())
}

/// What one run of the binary did.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    pub fn json(&self) -> Value {
        serde_json::from_str(self.stdout.trim()).unwrap_or_else(|e| {
            panic!(
                "stdout is not one JSON value ({e}):\n{}\nstderr:\n{}",
                self.stdout, self.stderr
            )
        })
    }

    /// Panics with the whole run when the exit code differs.
    #[track_caller]
    pub fn expect_code(&self, code: i32) -> &Self {
        assert_eq!(
            self.code, code,
            "exit code; stdout:\n{}\nstderr:\n{}",
            self.stdout, self.stderr
        );
        self
    }

    /// Panics unless stderr contains `needle` (case-insensitive).
    #[track_caller]
    pub fn expect_stderr(&self, needle: &str) -> &Self {
        assert!(
            self.stderr.to_lowercase().contains(&needle.to_lowercase()),
            "stderr should mention {needle:?}; stderr:\n{}",
            self.stderr
        );
        self
    }

    /// Panics if `secret` appears in stdout or stderr.
    #[track_caller]
    pub fn expect_not_printed(&self, what: &str, secret: &str) -> &Self {
        assert!(!secret.is_empty());
        assert!(!self.stdout.contains(secret), "{what} printed on stdout");
        assert!(!self.stderr.contains(secret), "{what} printed on stderr");
        self
    }
}

/// A private home for one test: HOME and the XDG directories in a temp dir, so config and the session index are
/// the test's own. (The Secret Service is the D-Bus session's; entries are told apart by issuer, whose port
/// is unique per test.)
pub struct Home {
    dir: tempfile::TempDir,
}

impl Home {
    pub fn new() -> Self {
        let dir = tempfile::Builder::new()
            .prefix("orgpass-cli-test")
            .tempdir()
            .expect("temp dir");
        for sub in ["config", "data", "cache", "state", "runtime"] {
            std::fs::create_dir_all(dir.path().join(sub)).expect("xdg dir");
        }
        Self { dir }
    }

    /// `XDG_CONFIG_HOME` of the runs (the session index and the refresh lock files live in `orgpass/` below it).
    pub fn config_dir(&self) -> PathBuf {
        self.dir.path().join("config")
    }

    /// The file the scripted browser appends its requests to.
    pub fn browser_log(&self) -> PathBuf {
        self.dir.path().join("browser.log")
    }

    /// The requests the scripted browser made (empty if it never ran).
    pub fn browser_requests(&self) -> Vec<Value> {
        match std::fs::read_to_string(self.browser_log()) {
            Ok(text) => text
                .lines()
                .filter_map(|l| serde_json::from_str(l).ok())
                .collect(),
            Err(_) => Vec::new(),
        }
    }

    /// `orgpass ARGS` with a clean environment (no ORGPASS_* from the developer's shell) plus `env`.
    pub fn command(&self, args: &[&str], env: &[(&str, &str)]) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_orgpass"));
        cmd.args(args).env_clear();
        for key in ["PATH", "DBUS_SESSION_BUS_ADDRESS", "LANG", "TZ"] {
            if let Some(v) = std::env::var_os(key) {
                cmd.env(key, v);
            }
        }
        let home = self.dir.path();
        cmd.env("HOME", home)
            .env("XDG_CONFIG_HOME", home.join("config"))
            .env("XDG_DATA_HOME", home.join("data"))
            .env("XDG_CACHE_HOME", home.join("cache"))
            .env("XDG_STATE_HOME", home.join("state"))
            .env("OP_BROWSER_LOG", self.browser_log());
        for (k, v) in env {
            cmd.env(k, v);
        }
        cmd.stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        cmd
    }

    /// Run `orgpass ARGS`, killing it (and failing the test) after `limit`.
    pub fn run_with(&self, args: &[&str], env: &[(&str, &str)], limit: Duration) -> Run {
        let mut child = self
            .command(args, env)
            .spawn()
            .expect("orgpass binary starts");
        let out = drain(child.stdout.take().expect("stdout piped"));
        let err = drain(child.stderr.take().expect("stderr piped"));
        let start = Instant::now();
        let status = loop {
            if let Some(status) = child.try_wait().expect("wait for orgpass") {
                break status;
            }
            if start.elapsed() > limit {
                let _ = child.kill();
                let _ = child.wait();
                panic!(
                    "orgpass {args:?} still running after {limit:?}; stderr so far:\n{}",
                    collect(err)
                );
            }
            thread::sleep(Duration::from_millis(20));
        };
        Run {
            code: status.code().unwrap_or(-1),
            stdout: collect(out),
            stderr: collect(err),
        }
    }

    pub fn run(&self, args: &[&str]) -> Run {
        self.run_with(args, &[], Duration::from_secs(60))
    }

    /// `orgpass status --json`, only the sessions of `issuer`.
    pub fn sessions(&self, issuer: &str) -> Vec<Value> {
        let run = self.run(&["status", "--json"]);
        run.expect_code(0);
        let all = run.json();
        let rows = all
            .as_array()
            .unwrap_or_else(|| panic!("status --json is not an array: {all}"));
        rows.iter()
            .filter(|s| s["issuer"] == issuer)
            .cloned()
            .collect()
    }
}

/// Read a child's pipe to the end on a thread (so a full pipe never blocks the child); the text arrives once.
pub fn drain(mut pipe: impl Read + Send + 'static) -> mpsc::Receiver<String> {
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        let mut bytes = Vec::new();
        let _ = pipe.read_to_end(&mut bytes);
        let _ = tx.send(String::from_utf8_lossy(&bytes).into_owned());
    });
    rx
}

pub fn collect(rx: mpsc::Receiver<String>) -> String {
    // A browser child may hold the pipe a little longer than orgpass itself.
    rx.recv_timeout(Duration::from_secs(15))
        .unwrap_or_else(|_| "<output pipe still open after 15 s>".into())
}

/// One keychain entry that `orgpass` wrote (read through `secret-tool`, the Secret Service's own client).
#[derive(Debug, Clone)]
pub struct KeychainItem {
    pub account: String,
    pub secret: String,
}

/// `status` in `home` lists no session of `issuer`, and the Secret Service holds none of its entries.
#[track_caller]
pub fn assert_nothing_stored(home: &Home, issuer: &str, what: &str) {
    let sessions = home.sessions(issuer);
    assert!(sessions.is_empty(), "{what}: status lists {sessions:?}");
    let items = keychain_items(issuer);
    assert!(
        items.is_empty(),
        "{what}: the keychain holds {:?}",
        items.iter().map(|i| &i.account).collect::<Vec<_>>()
    );
}

/// Every `orgpass` entry in the Secret Service whose account belongs to `issuer`.
pub fn keychain_items(issuer: &str) -> Vec<KeychainItem> {
    // secret-tool prints label and secret on stdout but the attributes on stderr: unbuffered and merged, each
    // item's lines stay together. When another test deletes one of its (other issuer's) entries during the search,
    // secret-tool stops with "No such secret item at path …", exit 1 and no items at all: search again then.
    let mut attempt = 0;
    let text = loop {
        let out = Command::new("sh")
            .args([
                "-c",
                "stdbuf -o0 -e0 secret-tool search --all --unlock service \"$1\" 2>&1",
                "sh",
                KEYRING_SERVICE,
            ])
            .stdin(Stdio::null())
            .output()
            .expect("sh runs secret-tool (Debian package libsecret-tools)");
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        if out.status.success() {
            break text;
        }
        attempt += 1;
        assert!(
            attempt < 20 && text.contains("No such secret item"),
            "secret-tool search failed ({}): {text}",
            out.status
        );
        thread::sleep(Duration::from_millis(50));
    };
    let mut items = Vec::new();
    let mut account: Option<String> = None;
    let mut secret: Option<String> = None;
    let mut flush = |account: &mut Option<String>, secret: &mut Option<String>| {
        if let (Some(a), Some(s)) = (account.take(), secret.take()) {
            items.push(KeychainItem {
                account: a,
                secret: s,
            });
        }
    };
    for line in text.lines() {
        if line.starts_with('[') {
            flush(&mut account, &mut secret);
        } else if let Some(v) = line.strip_prefix("attribute.username = ") {
            account = Some(v.to_owned());
        } else if let Some(v) = line.strip_prefix("secret = ") {
            secret = Some(v.to_owned());
        }
    }
    flush(&mut account, &mut secret);
    let prefix = format!("{issuer}|");
    items
        .into_iter()
        .filter(|i| i.account.starts_with(&prefix))
        .collect()
}

/// The whole stored value of one session account, joined from its numbered chunks when it was split.
pub fn keychain_value(items: &[KeychainItem], account: &str) -> Option<String> {
    let head = items.iter().find(|i| i.account == account)?;
    let Some(n) = head.secret.strip_prefix(CHUNK_HEADER) else {
        return Some(head.secret.clone());
    };
    let n: usize = n.trim().parse().expect("chunk count");
    let mut value = String::new();
    for i in 1..=n {
        let part = items
            .iter()
            .find(|it| it.account == format!("{account}#{i}"))
            .unwrap_or_else(|| {
                panic!("chunk {i} of {n} of {account} is missing from the keychain")
            });
        value.push_str(&part.secret);
    }
    Some(value)
}

/// The keychain account of a session: `issuer|client_id|org_id`.
pub fn account(issuer: &str, org_id: &str) -> String {
    format!("{issuer}|{CLIENT_ID}|{org_id}")
}

/// A running `tests/oidc-provider/provider.mjs`: its issuer and the JSON events it wrote.
pub struct Provider {
    child: Child,
    pub issuer: String,
    /// Where the provider appends its events (`--events`), each before the response it belongs to: read after a
    /// request has finished, it holds every event of that request.
    events: PathBuf,
    _dir: tempfile::TempDir,
}

impl Provider {
    /// Start the provider on a free loopback port; `args` are extra flags like `--access-token-ttl 30`.
    pub fn start(args: &[&str]) -> Self {
        require_node_fixtures();
        let root = workspace_root();
        let dir = tempfile::tempdir().expect("temp dir");
        let events = dir.path().join("events.jsonl");
        let mut child = Command::new("node")
            .arg(root.join("tests/oidc-provider/provider.mjs"))
            .arg("0")
            .args(args)
            .arg("--events")
            .arg(&events)
            .current_dir(&root)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("node starts (is node on PATH?)");
        let stderr = drain(child.stderr.take().expect("stderr piped"));
        let mut lines = BufReader::new(child.stdout.take().expect("stdout piped")).lines();
        let (tx, rx) = mpsc::channel();
        thread::spawn(move || {
            let first = lines.next().and_then(Result::ok);
            let _ = tx.send(first);
            // Nothing else is printed; keep the pipe drained all the same.
            for _ in lines.map_while(Result::ok) {}
        });
        let issuer = match rx.recv_timeout(Duration::from_secs(30)) {
            Ok(Some(line)) if line.starts_with("http://127.0.0.1:") => line.trim().to_owned(),
            other => {
                let _ = child.kill();
                panic!(
                    "provider.mjs did not print its issuer ({other:?}); stderr:\n{}",
                    collect(stderr)
                );
            }
        };
        Self {
            child,
            issuer,
            events,
            _dir: dir,
        }
    }

    pub fn events(&self) -> Vec<Value> {
        std::fs::read_to_string(&self.events)
            .unwrap_or_default()
            .split_inclusive('\n')
            // A line without its newline is still being written (an event of a request still in flight).
            .filter_map(|line| line.strip_suffix('\n'))
            .map(|line| {
                serde_json::from_str(line).expect("provider.mjs writes one JSON event per line")
            })
            .collect()
    }

    /// The `jti` (= the opaque token value) of every event named `name`, in order.
    pub fn jtis(&self, name: &str) -> Vec<String> {
        self.events()
            .iter()
            .filter(|e| e["event"] == name)
            .filter_map(|e| e["jti"].as_str().map(str::to_owned))
            .collect()
    }

    /// How many refresh_token grants the provider answered.
    pub fn refresh_grants(&self) -> usize {
        self.events()
            .iter()
            .filter(|e| e["event"] == "grant.success" && e["grant_type"] == "refresh_token")
            .count()
    }

    pub fn count(&self, name: &str) -> usize {
        self.events().iter().filter(|e| e["event"] == name).count()
    }

    /// Wait (briefly) for an event the provider emits after it has answered, e.g. a revocation.
    pub fn wait_for(&self, what: impl Fn(&Value) -> bool) -> bool {
        let start = Instant::now();
        while start.elapsed() < Duration::from_secs(5) {
            if self.events().iter().any(&what) {
                return true;
            }
            thread::sleep(Duration::from_millis(50));
        }
        false
    }

    /// `orgpass login` against this provider as `user`, with the scripted browser.
    pub fn login(&self, home: &Home, user: &str, org: Option<&str>, extra: &[&str]) -> Run {
        self.login_with(home, user, org, extra, &[])
    }

    /// [`Provider::login`] with more variables for the scripted browser (`OP_TEST_ORG`, …).
    pub fn login_with(
        &self,
        home: &Home,
        user: &str,
        org: Option<&str>,
        extra: &[&str],
        env: &[(&str, &str)],
    ) -> Run {
        let browser = browser_command();
        let mut args = vec![
            "login",
            "--issuer",
            &self.issuer,
            "--client-id",
            CLIENT_ID,
            "--browser",
            &browser,
            "--timeout",
            "60",
            "--json",
        ];
        if let Some(org) = org {
            args.extend(["--org", org]);
        }
        args.extend_from_slice(extra);
        let mut vars = vec![("OP_TEST_USER", user)];
        vars.extend_from_slice(env);
        home.run_with(&args, &vars, Duration::from_secs(90))
    }

    /// POST a refresh_token grant straight to the token endpoint: (HTTP status, JSON body).
    pub fn refresh_directly(&self, refresh_token: &str) -> (u16, Value) {
        let body =
            format!("grant_type=refresh_token&client_id={CLIENT_ID}&refresh_token={refresh_token}");
        http_post(&format!("{}oauth/token", self.issuer), &body)
    }
}

impl Drop for Provider {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A minimal HTTP/1.1 form POST over loopback (enough for the test provider's token endpoint).
pub fn http_post(url: &str, form: &str) -> (u16, Value) {
    let url = url::Url::parse(url).expect("url");
    let addr = format!(
        "{}:{}",
        url.host_str().expect("host"),
        url.port().expect("port")
    );
    let mut stream = TcpStream::connect(&addr).expect("connect to the provider");
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .expect("timeout");
    write!(
        stream,
        "POST {} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{form}",
        url.path(),
        form.len()
    )
    .expect("send");
    let mut response = String::new();
    stream.read_to_string(&mut response).expect("read response");
    let status = response
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .expect("status line");
    let body = response.split("\r\n\r\n").nth(1).unwrap_or("");
    // The provider may answer chunked; the JSON object is the part between the outer braces.
    let json = match (body.find('{'), body.rfind('}')) {
        (Some(a), Some(b)) => serde_json::from_str(&body[a..=b]).unwrap_or(Value::Null),
        _ => Value::Null,
    };
    (status, json)
}
