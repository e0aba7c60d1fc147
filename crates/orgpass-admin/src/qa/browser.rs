//! Headless Chromium driven over `--remote-debugging-pipe`: the Chrome DevTools Protocol on two pipes the browser
//! inherits (fd 3 it reads commands from, fd 4 it writes answers and events to), one Chromium per worker, each
//! opening login pages, reading what they show and taking a screenshot.
//!
//! No chromedriver and no TCP port: only this process holds the pipes, so no other local account can drive the
//! browser (which runs as the operator, who holds the Management API secret) or answer in its place.

use std::collections::{HashMap, VecDeque};
use std::os::fd::{AsRawFd as _, OwnedFd};
use std::os::unix::fs::PermissionsExt as _;
use std::os::unix::process::ExitStatusExt as _;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::Engine as _;
use serde::Deserialize;
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt as _, AsyncWriteExt as _, BufReader};
use tokio::net::unix::pipe;
use tokio::process::{Child, Command};
use tokio::sync::{mpsc, oneshot};

use super::check::Seen;
use super::selectors::Selectors;

/// Why a browser could not show a page. A page's own failure is a finding ([`BrowserError::Page`]); the
/// others stop every check, and each organization's card says so.
#[derive(Debug, Clone, thiserror::Error)]
pub enum BrowserError {
    #[error(
        "Chromium is not installed (not found at {path}): install the package chromium (Debian and Ubuntu: \
         `sudo apt-get install chromium`), or pass --chromium"
    )]
    Missing { path: String },
    #[error("{}", ROOT_WITHOUT_NO_SANDBOX)]
    RootWithoutNoSandbox,
    #[error("Chromium ({path}) did not start: {cause}")]
    Session { path: String, cause: String },
    #[error("the login page did not load ({url}): {cause}")]
    Page { url: String, cause: String },
}

/// Why the audit refuses to run as root unless told to (`qa branding --no-sandbox`).
pub const ROOT_WITHOUT_NO_SANDBOX: &str = "Chromium cannot use its sandbox when run as root, so pass --no-sandbox \
     only in a container or CI where that is acceptable, or run as a normal user";

/// Where Chromium is (the default is looked up on `PATH`) and how it runs.
#[derive(Debug, Clone)]
pub struct BrowserOptions {
    pub chromium: Option<PathBuf>,
    /// Run Chromium without its sandbox, which it needs as root. Never implied: as root without it, nothing starts.
    pub insecure_no_sandbox: bool,
    /// Width and height of the window, so every screenshot has the same size.
    pub window: (u32, u32),
    /// How long one page may take to load.
    pub page_timeout: Duration,
}

impl Default for BrowserOptions {
    fn default() -> Self {
        Self {
            chromium: None,
            insecure_no_sandbox: false,
            window: (1000, 800),
            page_timeout: Duration::from_secs(30),
        }
    }
}

/// The Chromium program, found, and how to start it; each [`Chromium::session`] is a browser of its own.
pub struct Chromium {
    chromium: PathBuf,
    options: BrowserOptions,
}

const CHROMIUM_NAMES: &[&str] = &["chromium", "chromium-browser", "google-chrome"];

/// How long Chromium may take to start and answer, and any command other than loading a page.
const COMMAND_TIMEOUT: Duration = Duration::from_secs(15);

impl Chromium {
    /// Finds Chromium, and refuses to go on as root unless the sandbox was explicitly turned off.
    pub fn find(options: BrowserOptions) -> Result<Self, BrowserError> {
        let chromium = find(options.chromium.as_deref(), CHROMIUM_NAMES)?;
        if running_as_root() && !options.insecure_no_sandbox {
            return Err(BrowserError::RootWithoutNoSandbox);
        }
        Ok(Self { chromium, options })
    }

    /// A new headless browser with its own throwaway profile, driven over its DevTools pipe.
    pub async fn session(&self) -> Result<Session, BrowserError> {
        let error = |cause: String| BrowserError::Session {
            path: self.chromium.display().to_string(),
            cause,
        };
        // The profile holds what the browser fetched: no other account may read it.
        let profile = tempfile::Builder::new()
            .prefix("orgpass-qa-chromium-")
            .permissions(std::fs::Permissions::from_mode(0o700))
            .tempdir()
            .map_err(|e| error(e.to_string()))?;
        let (w, h) = self.options.window;
        let mut args = vec![
            "--headless".to_owned(),
            "--disable-gpu".into(),
            "--no-first-run".into(),
            "--disable-background-networking".into(),
            "--disable-component-update".into(),
            "--disable-sync".into(),
            "--hide-scrollbars".into(),
            "--force-device-scale-factor=1".into(),
            format!("--window-size={w},{h}"),
            format!("--user-data-dir={}", profile.path().display()),
            "--remote-debugging-pipe".into(),
        ];
        if self.options.insecure_no_sandbox {
            args.push("--no-sandbox".into());
        }
        args.push("about:blank".into());
        let (mut process, pipes) =
            spawn(&self.chromium, &args, profile).map_err(|e| error(e.to_string()))?;
        let cdp = Cdp::new(pipes).map_err(|e| error(e.to_string()))?;
        match Page::open(&cdp, self.options.window).await {
            Ok(page) => Ok(Session {
                cdp,
                page,
                page_timeout: self.options.page_timeout,
                process,
            }),
            Err(e) => Err(error(process.why_not_started(e).await)),
        }
    }
}

/// Starts Chromium with the read end of one new pipe as its fd 3 and the write end of another as its fd 4; returns
/// the running browser (owning `profile`) and our ends of the pipes: where commands go, where answers come from.
fn spawn(
    program: &Path,
    args: &[String],
    profile: tempfile::TempDir,
) -> std::io::Result<(Process, (OwnedFd, OwnedFd))> {
    // Created close-on-exec: only the two ends moved to fds 3 and 4 below reach Chromium.
    let (commands_in, commands_out) = std::io::pipe()?;
    let (events_in, events_out) = std::io::pipe()?;
    let (child_reads, child_writes) = (commands_in.as_raw_fd(), events_out.as_raw_fd());
    let mut command = Command::new(program);
    command
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        // Its own process group, so that dropping it kills every process it started, not only the first.
        .process_group(0)
        .kill_on_drop(true);
    // SAFETY: between fork and exec only async-signal-safe calls (fcntl, dup2) on fds this process owns. Both
    // ends are first copied above 9 so that neither can be overwritten by the other's dup2 (either may itself
    // be 3 or 4), and dup2 onto a different fd clears close-on-exec on the copy Chromium keeps.
    unsafe {
        command.pre_exec(move || {
            let high = |fd| match libc::fcntl(fd, libc::F_DUPFD_CLOEXEC, 10) {
                -1 => Err(std::io::Error::last_os_error()),
                copy => Ok(copy),
            };
            let (reads, writes) = (high(child_reads)?, high(child_writes)?);
            if libc::dup2(reads, 3) == -1 || libc::dup2(writes, 4) == -1 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let mut child = command.spawn()?;
    // Chromium has its copies; ours would keep the pipes open after it exits.
    drop((commands_in, events_out));
    let stderr = Arc::new(Mutex::new(VecDeque::new()));
    if let Some(err) = child.stderr.take() {
        let tail = stderr.clone();
        tokio::spawn(async move {
            let mut lines = BufReader::new(err).lines();
            while let Ok(Some(line)) = lines.next_line().await {
                let mut tail = tail.lock().expect("stderr tail");
                if tail.len() == 3 {
                    tail.pop_front();
                }
                tail.push_back(line);
            }
        });
    }
    let process = Process {
        child,
        stderr,
        profile,
    };
    Ok((
        process,
        (OwnedFd::from(commands_out), OwnedFd::from(events_in)),
    ))
}

/// The running browser: its whole process group killed when dropped, then its profile removed.
struct Process {
    child: Child,
    /// Chromium's last lines on stderr.
    stderr: Arc<Mutex<VecDeque<String>>>,
    profile: tempfile::TempDir,
}

impl Drop for Process {
    fn drop(&mut self) {
        // Killing only the first process (`kill_on_drop`) leaves its renderers and GPU process writing into the
        // profile for a moment, so removing it could fail on a file created meanwhile and leave it behind.
        if let Some(pid) = self.child.id() {
            // SAFETY: a plain system call on the group this process created (`process_group(0)`: its id is the pid).
            unsafe { libc::killpg(pid as libc::pid_t, libc::SIGKILL) };
        }
        // A process killed mid-call may still finish that call: try again until the profile is gone (bounded).
        let profile = self.profile.path();
        for _ in 0..50 {
            match std::fs::remove_dir_all(profile) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                    std::thread::sleep(Duration::from_millis(10))
                }
                _ => break,
            }
        }
    }
}

impl Process {
    /// Why Chromium did not answer `e` at start: how it exited and what it said, when it did.
    async fn why_not_started(&mut self, e: CdpError) -> String {
        let exited = tokio::time::timeout(Duration::from_secs(2), self.child.wait()).await;
        // Its stderr reaches us a moment after it exits.
        tokio::time::sleep(Duration::from_millis(100)).await;
        let said: Vec<String> = self
            .stderr
            .lock()
            .expect("stderr tail")
            .iter()
            .cloned()
            .collect();
        match exited {
            Ok(Ok(status)) => {
                let how = match status.signal() {
                    Some(signal) => format!("it was killed by signal {signal}"),
                    None => format!("it exited ({status})"),
                };
                if said.is_empty() {
                    how
                } else {
                    format!("{how}: {}", said.join(" / "))
                }
            }
            _ => e.to_string(),
        }
    }
}

/// What can go wrong on the DevTools pipe.
#[derive(Debug, thiserror::Error)]
enum CdpError {
    #[error("Chromium closed its DevTools pipe (it exited)")]
    Closed,
    #[error("Chromium did not answer {method} within {} s", .after.as_secs())]
    Timeout { method: String, after: Duration },
    #[error("{method} failed: {message} ({code})")]
    Refused {
        method: String,
        code: i64,
        message: String,
    },
    #[error("Chromium's answer to {method} was not what the protocol says: {cause}")]
    Unexpected { method: String, cause: String },
    #[error("could not write to Chromium's DevTools pipe: {0}")]
    Write(std::io::Error),
    #[error("could not set up the DevTools pipe: {0}")]
    Pipe(std::io::Error),
}

/// A message from Chromium: an answer (`id`) or an event (`method`).
#[derive(Deserialize)]
struct Incoming {
    id: Option<u64>,
    result: Option<Value>,
    error: Option<Fault>,
    method: Option<String>,
    #[serde(default)]
    params: Value,
}

#[derive(Deserialize)]
struct Fault {
    code: i64,
    message: String,
}

/// An event: its method and parameters.
struct Event {
    method: String,
    params: Value,
}

type Answer = Result<Value, (i64, String)>;
type Waiting = Arc<Mutex<HashMap<u64, oneshot::Sender<Answer>>>>;

/// The DevTools connection: commands written NUL-terminated to fd 3; a task reads fd 4, hands each answer to the
/// command waiting for it and queues events.
struct Cdp {
    commands: tokio::sync::Mutex<pipe::Sender>,
    next_id: AtomicU64,
    waiting: Waiting,
    events: tokio::sync::Mutex<mpsc::UnboundedReceiver<Event>>,
    reader: tokio::task::JoinHandle<()>,
}

impl Drop for Cdp {
    fn drop(&mut self) {
        self.reader.abort();
    }
}

impl Cdp {
    fn new((commands, answers): (OwnedFd, OwnedFd)) -> Result<Self, CdpError> {
        let commands = pipe::Sender::from_owned_fd(commands).map_err(CdpError::Pipe)?;
        let answers = pipe::Receiver::from_owned_fd(answers).map_err(CdpError::Pipe)?;
        let waiting: Waiting = Arc::default();
        let (events_tx, events) = mpsc::unbounded_channel();
        let reader = tokio::spawn(read_messages(answers, waiting.clone(), events_tx));
        Ok(Self {
            commands: tokio::sync::Mutex::new(commands),
            next_id: AtomicU64::new(1),
            waiting,
            events: tokio::sync::Mutex::new(events),
            reader,
        })
    }

    /// Sends `method` (to the page's `session`, or to the browser) and waits up to `timeout` for its answer.
    async fn call(
        &self,
        session: Option<&str>,
        method: &str,
        params: Value,
        timeout: Duration,
    ) -> Result<Value, CdpError> {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let mut message = json!({ "id": id, "method": method, "params": params });
        if let Some(s) = session {
            message["sessionId"] = s.into();
        }
        let mut bytes = serde_json::to_vec(&message).expect("a command serializes");
        bytes.push(0);
        let (tx, rx) = oneshot::channel();
        self.waiting.lock().expect("waiting").insert(id, tx);
        let answer = tokio::time::timeout(timeout, async {
            self.commands
                .lock()
                .await
                .write_all(&bytes)
                .await
                .map_err(CdpError::Write)?;
            rx.await.map_err(|_| CdpError::Closed)
        })
        .await;
        self.waiting.lock().expect("waiting").remove(&id);
        match answer {
            Err(_) => Err(CdpError::Timeout {
                method: method.into(),
                after: timeout,
            }),
            Ok(Err(e)) => Err(e),
            Ok(Ok(Err((code, message)))) => Err(CdpError::Refused {
                method: method.into(),
                code,
                message,
            }),
            Ok(Ok(Ok(value))) => Ok(value),
        }
    }
}

/// Reads NUL-terminated messages until Chromium closes the pipe; then every waiting command learns it.
async fn read_messages(
    answers: pipe::Receiver,
    waiting: Waiting,
    events: mpsc::UnboundedSender<Event>,
) {
    let mut reader = BufReader::new(answers);
    let mut buf = Vec::new();
    loop {
        buf.clear();
        match reader.read_until(0, &mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(_) => {}
        }
        if buf.last() == Some(&0) {
            buf.pop();
        }
        let Ok(m) = serde_json::from_slice::<Incoming>(&buf) else {
            tracing::debug!("an unreadable DevTools message ({} bytes)", buf.len());
            continue;
        };
        match (m.id, m.method) {
            (Some(id), _) => {
                let answer = match m.error {
                    Some(f) => Err((f.code, f.message)),
                    None => Ok(m.result.unwrap_or(Value::Null)),
                };
                if let Some(tx) = waiting.lock().expect("waiting").remove(&id) {
                    let _ = tx.send(answer);
                }
            }
            (None, Some(method)) => {
                let _ = events.send(Event {
                    method,
                    params: m.params,
                });
            }
            (None, None) => {}
        }
    }
    // Dropping the senders wakes every command still waiting, with `Closed`.
    waiting.lock().expect("waiting").clear();
}

/// The browser's one page: its target, attached in flat mode (commands carry its `sessionId`).
struct Page {
    session: String,
}

impl Page {
    /// A new page, attached, with page events and lifecycle events on, its viewport exactly `window`.
    async fn open(cdp: &Cdp, (width, height): (u32, u32)) -> Result<Self, CdpError> {
        let t = COMMAND_TIMEOUT;
        let target = cdp
            .call(
                None,
                "Target.createTarget",
                json!({ "url": "about:blank" }),
                t,
            )
            .await?;
        let target_id = field(&target, "targetId", "Target.createTarget")?;
        let attached = cdp
            .call(
                None,
                "Target.attachToTarget",
                json!({ "targetId": target_id, "flatten": true }),
                t,
            )
            .await?;
        let session = field(&attached, "sessionId", "Target.attachToTarget")?;
        let s = Some(session.as_str());
        cdp.call(s, "Page.enable", json!({}), t).await?;
        cdp.call(
            s,
            "Page.setLifecycleEventsEnabled",
            json!({ "enabled": true }),
            t,
        )
        .await?;
        cdp.call(
            s,
            "Emulation.setDeviceMetricsOverride",
            json!({ "width": width, "height": height, "deviceScaleFactor": 1, "mobile": false }),
            t,
        )
        .await?;
        Ok(Self { session })
    }
}

/// A string field of an answer.
fn field(answer: &Value, name: &str, method: &str) -> Result<String, CdpError> {
    answer[name]
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| CdpError::Unexpected {
            method: method.into(),
            cause: format!("no {name}"),
        })
}

/// One browser: pages are opened one after the other. Chromium is killed and its profile removed on drop.
pub struct Session {
    cdp: Cdp,
    page: Page,
    page_timeout: Duration,
    process: Process,
}

/// Reads what the checks compare, in one function called with the selectors after the page (with its images)
/// has loaded.
const READ_PAGE: &str = r#"(s) => {
const q = (sel) => { try { return document.querySelector(sel); } catch (e) { return null; } };
const all = (sel) => { try { return [...document.querySelectorAll(sel)]; } catch (e) { return []; } };
const bg = (el) => el ? getComputedStyle(el).backgroundColor : null;
const img = q(s.logo);
let logo = null;
if (img) {
  const r = img.getBoundingClientRect();
  logo = { src: img.currentSrc || img.src, loaded: img.complete && img.naturalWidth > 0,
           width: Math.round(r.width), height: Math.round(r.height) };
}
const header = q(s.header);
return {
  url: location.href,
  on_login_page: location.pathname.startsWith(s.login_path),
  title: document.title,
  header: header ? header.innerText : (document.body ? document.body.innerText.slice(0, 200) : ""),
  logo,
  button_color: bg(q(s.primary_button)),
  background_color: bg(q(s.background)),
  buttons: all(s.connection).map((e) => e.getAttribute(s.connection_attribute) || ""),
  username_field: !!q(s.username),
};
}"#;

impl Session {
    /// Opens `url`, reads the page with `selectors`, and takes a PNG screenshot of the window.
    pub async fn visit(
        &self,
        url: &str,
        selectors: &Selectors,
    ) -> Result<(Seen, Vec<u8>), BrowserError> {
        let page = |cause: String| BrowserError::Page {
            url: url.to_owned(),
            cause,
        };
        let s = Some(self.page.session.as_str());
        self.load(url).await.map_err(page)?;
        let sel = json!({
            "logo": selectors.logo,
            "primary_button": selectors.primary_button,
            "background": selectors.background,
            "header": selectors.header,
            "connection": selectors.connection,
            "connection_attribute": selectors.connection_attribute,
            "username": selectors.username,
            "login_path": selectors.login_path,
        });
        let read = self
            .cdp
            .call(
                s,
                "Runtime.evaluate",
                json!({
                    "expression": format!("({READ_PAGE})({sel})"),
                    "returnByValue": true,
                    "awaitPromise": true,
                }),
                COMMAND_TIMEOUT,
            )
            .await
            .map_err(|e| page(e.to_string()))?;
        if let Some(thrown) = read.get("exceptionDetails") {
            let text = thrown["exception"]["description"]
                .as_str()
                .or(thrown["text"].as_str())
                .unwrap_or("an exception");
            return Err(page(format!("reading the page threw {text}")));
        }
        let seen: Seen = serde_json::from_value(read["result"]["value"].clone())
            .map_err(|e| page(format!("the page read as something else: {e}")))?;
        let shot = self
            .cdp
            .call(
                s,
                "Page.captureScreenshot",
                json!({ "format": "png" }),
                COMMAND_TIMEOUT,
            )
            .await
            .map_err(|e| page(e.to_string()))?;
        let png = base64::engine::general_purpose::STANDARD
            .decode(read_str(&shot, "data"))
            .map_err(|e| page(format!("the screenshot was not base64: {e}")))?;
        Ok((seen, png))
    }

    /// Navigates to `url` and waits (up to the page timeout) for its `load` event, which waits for its images. A
    /// navigation that fails (no answer, a refused connection, an HTTP error without a page) is an error.
    async fn load(&self, url: &str) -> Result<(), String> {
        let s = Some(self.page.session.as_str());
        let timeout = self.page_timeout;
        let mut events = self.cdp.events.lock().await;
        // Events of an earlier page are of no interest now.
        while events.try_recv().is_ok() {}
        let work = async {
            let nav = self
                .cdp
                .call(s, "Page.navigate", json!({ "url": url }), timeout)
                .await
                .map_err(|e| e.to_string())?;
            let error = read_str(&nav, "errorText");
            if !error.is_empty() {
                return Err(error.to_owned());
            }
            let frame = read_str(&nav, "frameId").to_owned();
            // The document the page ends on: the navigation's own, or the next one committed in the main frame.
            let mut loader = read_str(&nav, "loaderId").to_owned();
            while let Some(e) = events.recv().await {
                let p = &e.params;
                match e.method.as_str() {
                    "Page.frameNavigated"
                        if p["frame"]["id"] == frame.as_str()
                            && p["frame"]["parentId"].is_null() =>
                    {
                        loader = read_str(&p["frame"], "loaderId").to_owned();
                    }
                    "Page.lifecycleEvent"
                        if p["name"] == "load"
                            && p["frameId"] == frame.as_str()
                            && (loader.is_empty() || p["loaderId"] == loader.as_str()) =>
                    {
                        return Ok(());
                    }
                    _ => {}
                }
            }
            Err(CdpError::Closed.to_string())
        };
        tokio::time::timeout(timeout, work)
            .await
            .unwrap_or_else(|_| {
                Err(format!(
                    "it did not finish loading within {} s",
                    timeout.as_secs()
                ))
            })
    }

    /// Closes Chromium (asking first, then killing it) and removes its profile.
    pub async fn close(mut self) {
        let _ = self
            .cdp
            .call(None, "Browser.close", json!({}), Duration::from_secs(2))
            .await;
        if tokio::time::timeout(Duration::from_secs(5), self.process.child.wait())
            .await
            .is_err()
        {
            let _ = self.process.child.kill().await;
        }
    }
}

/// A string member of an answer, or "".
fn read_str<'a>(v: &'a Value, name: &str) -> &'a str {
    v[name].as_str().unwrap_or_default()
}

/// `given`, or the first of `names` on `PATH`.
fn find(given: Option<&Path>, names: &[&str]) -> Result<PathBuf, BrowserError> {
    if let Some(p) = given {
        return if p.is_file() {
            Ok(p.to_owned())
        } else {
            Err(BrowserError::Missing {
                path: p.display().to_string(),
            })
        };
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    for name in names {
        for dir in std::env::split_paths(&path) {
            let candidate = dir.join(name);
            if candidate.is_file() {
                return Ok(candidate);
            }
        }
    }
    Err(BrowserError::Missing {
        path: format!("PATH ({})", names.join(", ")),
    })
}

fn running_as_root() -> bool {
    // SAFETY: geteuid has no preconditions and cannot fail.
    unsafe { libc::geteuid() == 0 }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_chromium_names_the_package() {
        let e = find(Some(Path::new("/nonexistent/chromium")), CHROMIUM_NAMES).unwrap_err();
        assert_eq!(
            e.to_string(),
            "Chromium is not installed (not found at /nonexistent/chromium): install the package chromium \
             (Debian and Ubuntu: `sudo apt-get install chromium`), or pass --chromium"
        );
    }

    #[test]
    fn as_root_chromium_does_not_start_without_the_explicit_flag() {
        let options = BrowserOptions {
            chromium: Some("/bin/sh".into()),
            ..BrowserOptions::default()
        };
        let found = Chromium::find(options.clone());
        if running_as_root() {
            assert_eq!(
                found.err().map(|e| e.to_string()).as_deref(),
                Some(ROOT_WITHOUT_NO_SANDBOX)
            );
        } else {
            assert!(found.is_ok());
        }
        let allowed = BrowserOptions {
            insecure_no_sandbox: true,
            ..options
        };
        assert!(Chromium::find(allowed).is_ok());
    }
}
