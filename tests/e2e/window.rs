//! The app window as the end-to-end tests drive it (a page object over WebDriver): sessions through tauri-driver,
//! waiting for screens and text, typing, clicking, screenshots into `artifacts/screenshots/`; and the small process
//! helpers (free ports, children killed on drop) the window tests share.

use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{Value, json};

/// How long any one thing may take before a test fails with what the window showed.
pub(crate) const WAIT: Duration = Duration::from_secs(30);

pub(crate) fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ has a parent")
        .to_owned()
}

pub(crate) fn on_path(program: &str) -> Option<PathBuf> {
    let extra = std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo/bin"));
    std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default())
        .chain(extra)
        .map(|d| d.join(program))
        .find(|p| p.is_file())
}

pub(crate) fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A child process killed when the test ends, however it ends; with what it started, when it leads its own
/// process group ([`Proc::group`]).
pub(crate) struct Proc(pub(crate) Child);

impl Proc {
    /// Spawns `cmd` leading a new process group, so that what it starts dies with it: tauri-driver's
    /// WebKitWebDriver and the app, chromedriver's Chromium. Killed alone, a driver leaves them running after a
    /// failed test, holding the app's single-instance name (every later app test then fails) and the files the
    /// test run had open.
    pub(crate) fn group(cmd: &mut Command) -> Proc {
        use std::os::unix::process::CommandExt as _;
        Proc(
            cmd.process_group(0)
                .spawn()
                .unwrap_or_else(|e| panic!("{cmd:?}: {e}")),
        )
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        // The group the child leads, if it leads one: no other group can have its id while it is not yet reaped.
        let group = -(self.0.id() as libc::pid_t);
        // SAFETY: kill(2) with a process group id and a signal number; no memory is involved.
        unsafe { libc::kill(group, libc::SIGKILL) };
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Waits until the WebDriver server `driver` answers `GET /status` on `port` with `ready`. Listening is not enough:
/// tauri-driver listens at once but forwards every request to a WebKitWebDriver it starts in the background, and
/// drops the connection of a request it cannot forward yet (hyper's `IncompleteMessage`, not a WebDriver error).
/// `Err` (with why) when the driver exits first, its port taken meanwhile say, or is not ready within `WAIT`.
pub(crate) async fn wait_webdriver(driver: &mut Proc, port: u16) -> Result<(), String> {
    let url = format!("http://127.0.0.1:{port}/status");
    // Each request bounded: a port taken by something that accepts and never answers must not hang the wait.
    let http = reqwest::Client::builder()
        .no_proxy()
        .timeout(Duration::from_secs(2))
        .build()
        .unwrap();
    let start = Instant::now();
    loop {
        if let Some(status) = driver.0.try_wait().unwrap() {
            return Err(format!("it exited ({status})"));
        }
        if let Ok(resp) = http.get(&url).send().await
            && let Ok(body) = resp.json::<Value>().await
            && body["value"]["ready"] == true
        {
            return Ok(());
        }
        if start.elapsed() > WAIT {
            return Err(format!("GET {url} did not say ready within {WAIT:?}"));
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The page's visible text (empty when there is no body yet), for assertions and failure messages.
pub(crate) async fn body_text(c: &Client) -> String {
    match c.find(Locator::Css("body")).await {
        Ok(body) => body.text().await.unwrap_or_default(),
        Err(_) => String::new(),
    }
}

/// Poll a CSS selector until an element matches and `ok` holds for its text.
pub(crate) async fn wait_text(c: &Client, css: &str, ok: impl Fn(&str) -> bool) -> String {
    let start = Instant::now();
    let mut last = String::from("(no element)");
    loop {
        if let Ok(el) = c.find(Locator::Css(css)).await
            && let Ok(text) = el.text().await
        {
            if ok(&text) {
                return text;
            }
            last = text;
        }
        if start.elapsed() > WAIT {
            let body = body_text(c).await;
            panic!("timed out waiting for `{css}`; its text: {last:?}; page text: {body}");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Wait until the elements matching `css` have exactly the texts `want`, in order. The texts are read in one
/// script, never through element handles: the window redraws the whole screen whenever an answer arrives (the
/// projects and the invoices come separately), and a handle found before a redraw is stale after it.
pub(crate) async fn wait_texts(c: &Client, css: &str, want: &[&str]) {
    let script = format!(
        "return [...document.querySelectorAll({})].map(e => e.textContent.trim())",
        json!(css)
    );
    let start = Instant::now();
    loop {
        let shown = c.execute(&script, vec![]).await.unwrap();
        if shown == json!(want) {
            return;
        }
        assert!(
            start.elapsed() < WAIT,
            "timed out waiting for `{css}` to show {want:?}; it shows {shown}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The value of attribute `attr` of each element matching `css`, in order, `None` where it is absent (read in one
/// script, like [`wait_texts`]).
pub(crate) async fn attrs(c: &Client, css: &str, attr: &str) -> Vec<Option<String>> {
    let script = format!(
        "return [...document.querySelectorAll({})].map(e => e.getAttribute({}))",
        json!(css),
        json!(attr)
    );
    serde_json::from_value(c.execute(&script, vec![]).await.unwrap()).unwrap()
}

/// Whether the one element matching `css` is disabled (`None`: there is no such element).
pub(crate) async fn disabled(c: &Client, css: &str) -> Option<bool> {
    let script = format!(
        "const e = document.querySelector({}); return e ? e.disabled : null",
        json!(css)
    );
    serde_json::from_value(c.execute(&script, vec![]).await.unwrap()).unwrap()
}

/// Wait until the signed-in view shows `display_name` as the organization.
pub(crate) async fn wait_org(c: &Client, display_name: &str) {
    wait_text(c, "[data-testid='org-display-name']", |t| t == display_name).await;
}

pub(crate) async fn wait_css(c: &Client, css: &str) {
    wait_text(c, css, |_| true).await;
}

pub(crate) async fn click(c: &Client, css: &str) {
    let mut attempts = 0;
    loop {
        wait_css(c, css).await;
        match c.find(Locator::Css(css)).await.unwrap().click().await {
            Ok(_) => return,
            Err(e) if e.is_stale_element_reference() && attempts < 5 => attempts += 1,
            Err(e) => panic!("click {css}: {e}"),
        }
    }
}

/// Sends `keys` to the element matching `css`, found again if a redraw replaced it meanwhile (as [`click`]).
pub(crate) async fn keys_to(c: &Client, css: &str, keys: &str) {
    let mut attempts = 0;
    loop {
        wait_css(c, css).await;
        match c
            .find(Locator::Css(css))
            .await
            .unwrap()
            .send_keys(keys)
            .await
        {
            Ok(()) => return,
            Err(e) if e.is_stale_element_reference() && attempts < 5 => attempts += 1,
            Err(e) => panic!("keys {keys:?} to {css}: {e}"),
        }
    }
}

pub(crate) async fn screen(c: &Client) -> String {
    text_of(
        c,
        "const m = document.querySelector('main'); return m ? m.dataset.screen : null",
    )
    .await
}

/// The string a script returns in the window (empty when it returns anything else).
async fn text_of(c: &Client, script: &str) -> String {
    c.execute(script, vec![])
        .await
        .unwrap()
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

pub(crate) async fn wait_screen(c: &Client, want: &str) {
    let start = Instant::now();
    loop {
        if screen(c).await == want {
            return;
        }
        if start.elapsed() > WAIT {
            let text = body_text(c).await;
            panic!(
                "timed out waiting for the {want} screen; showing {:?}: {text}",
                screen(c).await
            );
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

pub(crate) async fn wait_gone_css(c: &Client, css: &str) {
    let start = Instant::now();
    while c.find(Locator::Css(css)).await.is_ok() {
        assert!(start.elapsed() < WAIT, "`{css}` stayed");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// A screen of the app window: its screenshot in `artifacts/screenshots/NAME.png`, and axe-core's verdict on it
/// ([`accessible`]); any violation fails the test.
pub(crate) async fn shot(c: &Client, name: &str) {
    photo(c, name).await;
    accessible(c, name).await;
}

/// The screenshot alone, for pages that are not the app's (the tenant's login page in the person's browser).
pub(crate) async fn photo(c: &Client, name: &str) {
    // WebKitWebDriver can hand back the last frame it painted, a step behind the DOM on a busy machine (seen: the
    // "waiting" shot showed the picker). Wait until the page has painted twice since, then a moment more.
    c.execute_async(
        "const done = arguments[arguments.length - 1]; \
         requestAnimationFrame(() => requestAnimationFrame(() => done(true)));",
        vec![],
    )
    .await
    .unwrap_or_else(|e| panic!("waiting for a paint before screenshot {name}: {e}"));
    tokio::time::sleep(Duration::from_millis(250)).await;
    // WebKitGTK without accelerated compositing (the app's window) answers a screenshot after its next paint, and
    // an idle page paints nothing: a 1-pixel, nearly transparent mark in a corner moves for two seconds, so a paint
    // comes, and then goes away.
    c.execute(
        "const m = document.createElement('div'); m.setAttribute('aria-hidden', 'true'); \
         m.style.cssText = 'position:fixed;left:0;top:0;width:1px;height:1px;opacity:0.01;pointer-events:none'; \
         document.documentElement.appendChild(m); let n = 0; \
         const t = setInterval(() => { m.style.left = (++n % 2) + 'px'; \
           if (n > 40) { clearInterval(t); m.remove(); } }, 50);",
        vec![],
    )
    .await
    .unwrap_or_else(|e| panic!("before screenshot {name}: {e}"));
    // Bounded: a WebDriver command that never answers must fail the test, not hang the run.
    let png = tokio::time::timeout(WAIT, c.screenshot())
        .await
        .unwrap_or_else(|_| panic!("screenshot {name}: no answer within {} s", WAIT.as_secs()))
        .unwrap_or_else(|e| panic!("screenshot {name}: {e}"));
    let dir = repo_root().join("artifacts/screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join(format!("{name}.png")), png).unwrap();
}

/// axe-core (WCAG 2.0, 2.1 and 2.2 A and AA, and best practices, colour contrast included) over the window as it
/// is now, in its own engine (WebKit): fails the test with every violation. [`shot`] calls it, so every screen of
/// the app the journeys photograph is checked.
pub(crate) async fn accessible(c: &Client, name: &str) {
    let axe = repo_root().join("ui/node_modules/axe-core/axe.min.js");
    let source = std::fs::read_to_string(&axe).unwrap_or_else(|e| {
        panic!(
            "{}: {e}; run `npm ci --prefix ui` (cargo xtask test does)",
            axe.display()
        )
    });
    let loaded = c
        .execute("return typeof window.axe === 'object';", vec![])
        .await
        .unwrap_or_else(|e| panic!("axe on {name}: {e}"));
    if loaded != Value::Bool(true) {
        c.execute(&source, vec![])
            .await
            .unwrap_or_else(|e| panic!("loading axe-core into the window ({name}): {e}"));
    }
    let script = std::fs::read_to_string(repo_root().join("tests/e2e/axe-window.js")).unwrap();
    let answer = tokio::time::timeout(WAIT, c.execute_async(&format!("{script}\n"), vec![]))
        .await
        .unwrap_or_else(|_| panic!("axe on {name}: no answer within {} s", WAIT.as_secs()))
        .unwrap_or_else(|e| panic!("axe on {name}: {e}"));
    let violations: Vec<Value> = serde_json::from_str(
        answer
            .as_str()
            .expect("axe-window.js answers a JSON string"),
    )
    .expect("JSON");
    assert!(
        violations.is_empty(),
        "accessibility violations on {name} (axe-core, WCAG 2.2 AA):\n{}",
        serde_json::to_string_pretty(&violations).unwrap()
    );
}

/// Presses `keys` on whatever has the focus, as a keyboard does (WebDriver key actions: no element is clicked or
/// focused by the driver). Special keys are [`fantoccini::key::Key`] characters.
pub(crate) async fn press(c: &Client, keys: &[char]) {
    use fantoccini::actions::{InputSource as _, KeyAction, KeyActions};
    let mut actions = KeyActions::new("keyboard".into());
    for &k in keys {
        actions = actions
            .then(KeyAction::Down { value: k })
            .then(KeyAction::Up { value: k });
    }
    c.perform_actions(actions)
        .await
        .unwrap_or_else(|e| panic!("pressing {keys:?}: {e}"));
}

/// What has the keyboard focus: its `data-testid`, else its `id`, else its tag name.
pub(crate) async fn focused(c: &Client) -> String {
    text_of(
        c,
        "const e = document.activeElement; \
         return e ? (e.getAttribute('data-testid') || e.id || e.tagName.toLowerCase()) : '';",
    )
    .await
}

/// Presses Tab until `want` (a `data-testid` or `id`) has the focus, as a keyboard user would; fails after 40
/// presses with the focus order seen, which shows where the reading order goes wrong.
pub(crate) async fn tab_to(c: &Client, want: &str) {
    let mut order = Vec::new();
    for _ in 0..40 {
        let now = focused(c).await;
        if now == want {
            return;
        }
        order.push(now);
        press(c, &[fantoccini::key::Key::Tab.into()]).await;
    }
    panic!("Tab never reached {want}; the focus went: {order:?}");
}

/// Type into the organization field (replacing what is there) and wait for the validation message.
/// The window re-renders on every state event, so an element found a moment ago can be gone: retry then.
pub(crate) async fn type_org(c: &Client, text: &str) {
    let mut attempts = 0;
    loop {
        let field = c.find(Locator::Css("#org-input")).await.unwrap();
        // WebKitWebDriver's clear() does not fire `input`; type and let the app validate as the person types.
        let typed = match field.clear().await {
            Ok(()) => field.send_keys(text).await,
            Err(e) => Err(e),
        };
        match typed {
            Ok(()) => return,
            Err(e) if e.is_stale_element_reference() && attempts < 5 => attempts += 1,
            Err(e) => panic!("type {text:?} into #org-input: {e}"),
        }
    }
}

/// The app is one instance per desktop session: a second `orgpass-app` (single-instance over D-Bus) hands its
/// arguments to the running one and exits, and a WebDriver session on it never starts. The tests that drive the
/// app window in the default run (`app::`, `scale::`) hold this for their whole run, so they take turns while the
/// others run beside them (the package test runs on its own, `--ignored`, after the package is built).
static APP_WINDOW: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

pub(crate) async fn one_app_at_a_time() -> tokio::sync::MutexGuard<'static, ()> {
    APP_WINDOW.lock().await
}

/// The D-Bus name the running app holds (tauri-plugin-single-instance's, from the app's identifier).
pub(crate) const INSTANCE_NAME: &str = "dev.orgpass.app.SingleInstance";

fn no_instance_running() {
    let bus = zbus::blocking::Connection::session().expect("the D-Bus session bus");
    let dbus = zbus::blocking::fdo::DBusProxy::new(&bus).unwrap();
    let name = zbus::names::BusName::try_from(INSTANCE_NAME).unwrap();
    let start = Instant::now();
    while dbus.name_has_owner(name.clone()).unwrap() {
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "{INSTANCE_NAME} is still owned 30 s after the previous app test ended"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// A WebDriver session on a new app window. The app closed just before (by the previous test, or by this one to
/// start it again) may still be closing and own the single-instance name: a launch now would hand its arguments
/// over to it and exit, so the launch waits until that name is free.
pub(crate) async fn app_session(port: u16, application: &Path) -> Client {
    tokio::task::spawn_blocking(no_instance_running)
        .await
        .unwrap();
    let mut caps = serde_json::Map::new();
    caps.insert(
        "tauri:options".into(),
        json!({ "application": application, "args": [] }),
    );
    caps.insert("browserName".into(), Value::String("wry".into()));
    ClientBuilder::rustls()
        .unwrap()
        .capabilities(caps)
        .connect(&format!("http://127.0.0.1:{port}"))
        .await
        .expect("tauri-driver session")
}

pub(crate) async fn input_value(c: &Client) -> String {
    c.execute("return document.getElementById('org-input').value", vec![])
        .await
        .unwrap()
        .as_str()
        .unwrap_or_default()
        .to_owned()
}
