//! The desktop app end to end: the real `orgpass-app` binary driven through tauri-driver + WebKitWebDriver under
//! Xvfb, signing in to devtenant (demo seed) with headless Chromium as the "system browser", sessions in the real
//! Secret Service. Writes screenshots of every screen to `artifacts/screenshots/app-*.png`.
//!
//! The app's browser command is a two-line script that appends the authorize URL to a file; the test then opens
//! that URL in Chromium (via chromedriver) and goes through devtenant's branded login page like a person would.
//!
//! Needs: `DISPLAY` (Xvfb), `DBUS_SESSION_BUS_ADDRESS` with an unlocked gnome-keyring, `tauri-driver`
//! (`cargo install tauri-driver --locked`), `WebKitWebDriver` (Debian `webkit2gtk-driver`), `chromedriver` and
//! `chromium`, and a built app (`npm ci && npm run build` in ui/, then `cargo build -p orgpass-app`).
//! `cargo xtask test` sets all of this up.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::json;

use crate::window::{
    Proc, WAIT, app_session, body_text, click, disabled, free_port, input_value, keys_to, on_path,
    repo_root, screen, shot, type_org, wait_css, wait_gone_css, wait_org, wait_screen, wait_text,
    wait_texts, wait_webdriver,
};

const ACME: &str = "org_AcmeA1b2C3d4E5f6";
const GLOBEX: &str = "org_GlobexG7h8I9j0K1";
const INITECH: &str = "org_InitechL2m3N4o5p";
pub(crate) const CLIENT_ID: &str = "orgpass-desktop";

pub(crate) fn app_binary() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo_root().join("target"));
    target.join("debug").join("orgpass-app")
}

/// Fail (not skip) with the exact fix when the machine cannot run this test.
pub(crate) fn preconditions() -> (PathBuf, PathBuf) {
    // ring and aws-lc-rs are both in the dependency graph; fantoccini's rustls needs one chosen.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let how = "run it through `cargo xtask test` (Xvfb + D-Bus session + unlocked gnome-keyring), or by hand: \
               `Xvfb :99 & DISPLAY=:99 dbus-run-session -- sh -c 'printf pw | gnome-keyring-daemon --unlock --components=secrets; cargo test -p orgpass-e2e app'`";
    assert!(
        std::env::var_os("DISPLAY").is_some(),
        "DISPLAY is not set: the app e2e needs an X server; {how}"
    );
    assert!(
        std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_some(),
        "DBUS_SESSION_BUS_ADDRESS is not set: the app keeps sessions in the Secret Service; {how}"
    );
    let driver = on_path("tauri-driver")
        .expect("tauri-driver not found: `cargo install tauri-driver --locked`");
    assert!(
        on_path("WebKitWebDriver").is_some(),
        "WebKitWebDriver not found: `apt-get install webkit2gtk-driver`"
    );
    let chromedriver =
        on_path("chromedriver").expect("chromedriver not found: `apt-get install chromium-driver`");
    let app = app_binary();
    assert!(
        app.is_file(),
        "{} is missing: build the UI and the app first (`cd ui && npm ci && npm run build`, then `cargo build -p orgpass-app`)",
        app.display()
    );
    (driver, chromedriver)
}

/// The authorize URLs the app asked the "browser" to open, in order.
fn opened(urls: &Path) -> Vec<String> {
    std::fs::read_to_string(urls)
        .unwrap_or_default()
        .split_inclusive('\n')
        // A line without its newline is still being written.
        .filter_map(|line| line.strip_suffix('\n'))
        .map(str::to_owned)
        .collect()
}

pub(crate) async fn next_opened(urls: &Path, seen: usize) -> String {
    let start = Instant::now();
    loop {
        if let Some(u) = opened(urls).get(seen) {
            return u.clone();
        }
        assert!(
            start.elapsed() < WAIT,
            "the app never opened the browser (sign-in {})",
            seen + 1
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The branded login page an organization must show: its own logo (served by devtenant, actually loaded).
pub(crate) struct LoginPage<'a> {
    pub(crate) issuer: &'a str,
    pub(crate) org_name: &'a str,
}

impl LoginPage<'_> {
    async fn check(&self, chrome: &Client) {
        let want = format!("{}branding/{}.svg", self.issuer, self.org_name);
        let start = Instant::now();
        loop {
            let loaded = chrome
                .execute(
                    "const i = document.getElementById('prompt-logo-center'); return i ? [i.src, i.complete && i.naturalWidth > 0] : null;",
                    vec![],
                )
                .await
                .unwrap();
            if loaded == json!([want, true]) {
                break;
            }
            assert!(
                start.elapsed() < WAIT,
                "{}'s login page does not show its logo {want}: {loaded}",
                self.org_name
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        crate::window::photo(chrome, &format!("app-login-page-{}", self.org_name)).await;
    }
}

/// Headless Chromium as the person's browser: log in on devtenant's page (unless its SSO session skips it),
/// then wait until the loopback page says whether it worked.
pub(crate) async fn browse_login(
    chrome: &Client,
    url: &str,
    who: Option<(&str, &str)>,
    page_shot: Option<LoginPage<'_>>,
) -> String {
    chrome.goto(url).await.unwrap();
    let start = Instant::now();
    let mut page_seen = false;
    loop {
        let current = chrome.current_url().await.unwrap();
        let on_callback = current.path() == "/callback";
        if on_callback {
            if let Some(page) = &page_shot {
                assert!(
                    page_seen,
                    "{}'s login page was never shown (SSO skipped it?)",
                    page.org_name
                );
            }
            return body_text(chrome).await;
        }
        if let Ok(form) = chrome.find(Locator::Css("#login-form")).await {
            if let Some(page) = &page_shot {
                page.check(chrome).await;
                page_seen = true;
            }
            let (user, password) =
                who.expect("the login page asked for a password but the test gave no user");
            let field = chrome.find(Locator::Css("#username")).await.unwrap();
            field.clear().await.unwrap();
            field.send_keys(user).await.unwrap();
            chrome
                .find(Locator::Css("#password"))
                .await
                .unwrap()
                .send_keys(password)
                .await
                .unwrap();
            drop(form);
            chrome
                .find(Locator::Css("#submit"))
                .await
                .unwrap()
                .click()
                .await
                .unwrap();
            tokio::time::sleep(Duration::from_millis(300)).await;
        }
        assert!(
            start.elapsed() < WAIT,
            "the browser did not get back to the app; at {current}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// A sign-in the app started with `prompt=login` (the `seen`-th URL it opened): the organization's own login
/// page must show despite the browser's SSO session, and Alice signs in on it.
async fn forced_login_as_alice(
    app: &Client,
    chrome: &Client,
    (urls, seen): (&Path, usize),
    organization: &str,
    page: LoginPage<'_>,
) {
    wait_screen(app, "waiting").await;
    let url = next_opened(urls, seen).await;
    assert!(
        url.contains(&format!("organization={organization}")) && url.contains("prompt=login"),
        "{url}"
    );
    browse_login(
        chrome,
        &url,
        Some(("alice@example.com", "Alice-pass-1")),
        Some(page),
    )
    .await;
}

/// Waits until the signed-in screen lists exactly `names` as `org_id`'s projects, in that order.
pub(crate) async fn wait_projects(app: &Client, org_id: &str, names: &[&str]) {
    let css = format!("[data-testid='api-data'][data-org='{org_id}'] [data-testid='project-list']");
    wait_css(app, &css).await;
    wait_texts(app, &format!("{css} .project-name"), names).await;
}

/// The person's browser. `tls`: an HTTPS devtenant whose certificate it accepts (by its key, as a browser with
/// the company CA installed would; Chromium's own trust store is not the subject of these tests).
pub(crate) async fn chrome_session(
    port: u16,
    profile: &Path,
    tls: Option<&devtenant::Served>,
) -> Client {
    let mut args = vec![
        "--headless".to_owned(),
        "--no-sandbox".into(),
        "--disable-gpu".into(),
        "--disable-quic".into(),
        "--no-first-run".into(),
        "--disable-background-networking".into(),
        "--disable-component-update".into(),
        "--disable-sync".into(),
        "--window-size=1000,800".into(),
        format!("--user-data-dir={}", profile.display()),
    ];
    if let Some(served) = tls {
        args.push(format!(
            "--ignore-certificate-errors-spki-list={}",
            served.spki_sha256
        ));
    }
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".into(),
        json!({ "binary": "/usr/bin/chromium", "args": args }),
    );
    ClientBuilder::rustls()
        .unwrap()
        .capabilities(caps)
        .connect(&format!("http://127.0.0.1:{port}"))
        .await
        .expect("chromedriver session")
}

/// The environment the app runs in (its config, and XDG dirs inside the test's temp dir, where it registers the
/// `orgpass://` scheme); a second launch, or one by `xdg-open`, must see the same.
fn app_env(config: &Path, dir: &Path) -> Vec<(&'static str, PathBuf)> {
    vec![
        ("ORGPASS_APP_CONFIG", config.to_owned()),
        ("XDG_CONFIG_HOME", dir.join("config")),
        // The system-wide app.toml that IT manages (see `system_app_config`) lives under here.
        ("XDG_CONFIG_DIRS", dir.join("xdg")),
        ("XDG_DATA_HOME", dir.join("data")),
    ]
}

/// The app's "browser": a script that appends each URL it is asked to open to the returned file (`opened`,
/// `next_opened` read it), so the test can open it in Chromium itself. Returns (that file, the script).
pub(crate) fn recording_browser(dir: &Path) -> (PathBuf, PathBuf) {
    let urls = dir.join("opened-urls.txt");
    let browser = dir.join("browser.sh");
    std::fs::write(
        &browser,
        format!("#!/bin/sh\nprintf '%s\\n' \"$1\" >> '{}'\n", urls.display()),
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&browser, std::fs::Permissions::from_mode(0o755)).unwrap();
    (urls, browser)
}

/// chromedriver (the person's browser) and tauri-driver (the app window, in [`app_env`] with the app's
/// `config`), both listening; stopped when dropped.
pub(crate) struct Drivers {
    pub(crate) chrome_port: u16,
    pub(crate) app_port: u16,
    _chromedriver: Proc,
    _tauri_driver: Proc,
}

impl Drivers {
    /// `tools`: what [`preconditions`] found (tauri-driver, chromedriver).
    pub(crate) async fn start(tools: (PathBuf, PathBuf), config: &Path, dir: &Path) -> Drivers {
        let (tauri_driver, chromedriver) = tools;
        // The ports are free when picked, not when the drivers bind them: a driver that finds its port taken by
        // a parallel test exits, and the drivers start again on other ports.
        let mut failures = Vec::new();
        for _ in 0..3 {
            let (chrome_port, app_port, native_port) = (free_port(), free_port(), free_port());
            let mut chromedriver = Proc::group(
                Command::new(&chromedriver)
                    .arg(format!("--port={chrome_port}"))
                    .stdout(Stdio::null())
                    .stderr(Stdio::null()),
            );
            let mut tauri_driver = Proc::group(
                Command::new(&tauri_driver)
                    .args([
                        "--port",
                        &app_port.to_string(),
                        "--native-port",
                        &native_port.to_string(),
                    ])
                    .envs(app_env(config, dir))
                    .env_remove("ORGPASS_ISSUER")
                    .env_remove("ORGPASS_CLIENT_ID")
                    .stdout(Stdio::null())
                    .stderr(Stdio::inherit()),
            );
            let ready = match wait_webdriver(&mut chromedriver, chrome_port).await {
                Err(e) => Err(format!("chromedriver on {chrome_port}: {e}")),
                Ok(()) => wait_webdriver(&mut tauri_driver, app_port)
                    .await
                    .map_err(|e| {
                        format!(
                            "tauri-driver on {app_port} (WebKitWebDriver on {native_port}): {e}"
                        )
                    }),
            };
            match ready {
                Ok(()) => {
                    return Drivers {
                        chrome_port,
                        app_port,
                        _chromedriver: chromedriver,
                        _tauri_driver: tauri_driver,
                    };
                }
                Err(e) => failures.push(e),
            }
        }
        panic!("the WebDriver servers did not start: {failures:#?}");
    }
}

/// Run a command that must end by itself within `WAIT` (a second launch hands over and exits).
fn run_bounded(cmd: &mut Command) -> std::process::ExitStatus {
    let mut child = Proc(
        cmd.stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap_or_else(|e| panic!("{cmd:?}: {e}")),
    );
    let start = Instant::now();
    loop {
        if let Some(status) = child.0.try_wait().unwrap() {
            return status;
        }
        assert!(
            start.elapsed() < WAIT,
            "{cmd:?} is still running: the second launch did not hand over to the running app"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

pub(crate) fn keychain_has(issuer: &str, org_id: &str) -> bool {
    let key = orgpass::SessionKey {
        issuer: issuer.to_owned(),
        client_id: CLIENT_ID.to_owned(),
        org_id: Some(org_id.to_owned()),
    };
    let backend = orgpass::OsKeychain::new(orgpass::session::KEYRING_SERVICE)
        .expect("the Secret Service is available");
    orgpass::SecretBackend::get(&backend, &key.account())
        .expect("keychain readable")
        .is_some()
}

/// A company machine as the journeys start from it: devtenant (demo seed) over HTTPS with a certificate from a CA
/// in no trust store, the company API (bearer and DPoP) behind the guard, IT's system-wide settings (tenant,
/// client, the CA file, the directory of three organizations, DPoP on; the first, third and fourth locked), the
/// person's own file (browser, timeout), and the drivers of the app window and of the browser.
pub(crate) struct Machine {
    pub(crate) tenant: devtenant::Running,
    pub(crate) issuer: String,
    pub(crate) served: devtenant::Served,
    pub(crate) dir: tempfile::TempDir,
    pub(crate) ca_file: PathBuf,
    pub(crate) config: PathBuf,
    pub(crate) system: PathBuf,
    pub(crate) urls: PathBuf,
    pub(crate) drivers: Drivers,
    /// The company's web portal (demo-portal), its base URL.
    pub(crate) portal: String,
}

pub(crate) async fn machine() -> Machine {
    machine_with(devtenant::Seed::demo()).await
}

/// [`machine`] with a tenant of the test's own seed (the demo's, changed).
pub(crate) async fn machine_with(seed: devtenant::Seed) -> Machine {
    let tools = preconditions();
    // The tenant is HTTPS, as every real one is, with a certificate from a CA that is in no trust store: IT's
    // system-wide file names it in `ca_file`, as it would name a company CA that inspects HTTPS.
    let tenant = devtenant::spawn(
        seed,
        devtenant::SpawnOptions {
            tls: Some(devtenant::TlsOptions::default()),
            ..Default::default()
        },
    )
    .await
    .expect("devtenant starts");
    let issuer = tenant.issuer.to_string();
    assert!(issuer.starts_with("https://127.0.0.1:"), "{issuer}");
    let served = tenant.tls.clone().expect("TLS");
    let dir = tempfile::tempdir().unwrap();
    let ca_file = dir.path().join("company-ca.pem");
    std::fs::write(&ca_file, &served.ca_pem).unwrap();
    // The company's API the signed-in screen reads its projects from.
    let api_url =
        crate::api::spawn_api(&issuer, Some(orgpass::CaBundle::load(&ca_file).unwrap())).await;
    let billing = crate::api::spawn_api_for(
        &issuer,
        demo_api::invoices::BILLING_AUDIENCE,
        Some(orgpass::CaBundle::load(&ca_file).unwrap()),
    )
    .await;
    let portal = crate::one_sign_in::spawn_portal(
        &issuer,
        &api_url,
        Some(orgpass::CaBundle::load(&ca_file).unwrap()),
    )
    .await;
    let (urls, browser) = recording_browser(dir.path());
    // The person's own file: only the browser and the timeout. The tenant, the client and the company directory
    // come from the system-wide file IT manages, which locks the first two.
    let config = dir.path().join("app.toml");
    std::fs::write(
        &config,
        format!("browser = \"{}\"\ntimeout_secs = 60\n", browser.display()),
    )
    .unwrap();
    let system = dir.path().join("xdg/orgpass/app.toml");
    std::fs::create_dir_all(system.parent().unwrap()).unwrap();
    let mut f = std::fs::File::create(&system).unwrap();
    writeln!(
        f,
        "issuer = \"{issuer}\"\nclient_id = \"{CLIENT_ID}\"\naudience = \"{}\"\n\
         scope = \"openid profile email offline_access read:projects write:projects\"\napi_url = \"{api_url}\"\n\
         ca_file = \"{}\"\ndpop = true\nlocked = [\"issuer\", \"client_id\", \"ca_file\", \"dpop\"]\n",
        demo_api::DEMO_AUDIENCE,
        ca_file.display()
    )
    .unwrap();
    // The company's second API and its web portal, as IT lists them.
    writeln!(
        f,
        "[[apis]]\nname = \"billing\"\naudience = \"{}\"\nurl = \"{billing}\"\nscope = \"read:invoices\"\n\n\
         [[portals]]\nname = \"portal\"\nlogin_url = \"{portal}login\"\n",
        demo_api::invoices::BILLING_AUDIENCE
    )
    .unwrap();
    for (id, name, display, primary, background) in [
        (ACME, "acme", "Acme Corporation", "#d9480f", "#fff4e6"),
        (GLOBEX, "globex", "Globex Industries", "#2b8a3e", "#ebfbee"),
        (INITECH, "initech", "Initech", "#1864ab", "#e7f5ff"),
    ] {
        writeln!(
            f,
            "[[organizations]]\nid = \"{id}\"\nname = \"{name}\"\ndisplay_name = \"{display}\"\nlogo_url = \"{issuer}branding/{name}.svg\"\nprimary_color = \"{primary}\"\nbackground_color = \"{background}\"\n"
        )
        .unwrap();
    }
    drop(f);

    let drivers = Drivers::start(tools, &config, dir.path()).await;
    Machine {
        tenant,
        issuer,
        served,
        dir,
        ca_file,
        config,
        system,
        urls,
        drivers,
        portal,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn desktop_app_signs_in_switches_restores_and_signs_out() {
    let _one_app = crate::window::one_app_at_a_time().await;
    let Machine {
        tenant,
        issuer,
        served,
        dir,
        ca_file,
        config,
        system,
        urls,
        drivers,
        portal,
    } = machine().await;
    let (cd_port, td_port) = (drivers.chrome_port, drivers.app_port);

    // ---- First run: the organization screen, validated as typed.
    let cold = Instant::now();
    let app = app_session(td_port, &app_binary()).await;
    wait_screen(&app, "picker").await;
    wait_css(&app, "[data-testid='directory-org_InitechL2m3N4o5p']").await;
    let cold_start = cold.elapsed();
    shot(&app, "app-organization-picker").await;

    type_org(&app, "Acme Corp").await;
    wait_text(&app, "#org-hint", |t| {
        t.starts_with("Organization names have no spaces")
    })
    .await;
    assert_eq!(disabled(&app, "#continue").await, Some(true));
    shot(&app, "app-organization-bad-input").await;
    assert!(opened(&urls).is_empty(), "bad input opened a browser");

    // ---- Type an org name → waiting → signed in.
    type_org(&app, "acme").await;
    wait_text(&app, "#org-hint", |t| t == "✓ Acme Corporation (acme)").await;
    keys_to(&app, "#org-input", "\u{e007}").await;
    wait_screen(&app, "waiting").await;
    wait_text(&app, "[data-testid='waiting-org']", |t| {
        t == "Acme Corporation"
    })
    .await;
    wait_text(&app, "[data-testid='waiting-stage']", |t| {
        t.starts_with("Continue in your browser")
    })
    .await;
    shot(&app, "app-waiting").await;
    // For a browser on another computer: the field that takes the address it ended on.
    click(&app, "[data-testid='paste-details'] summary").await;
    wait_text(&app, "[data-testid='paste-details']", |t| {
        t.contains("Copy that page's whole address and paste it here")
    })
    .await;
    shot(&app, "app-waiting-paste").await;
    let url = next_opened(&urls, 0).await;
    assert!(
        url.contains("organization=acme") && url.contains("code_challenge_method=S256"),
        "{url}"
    );

    let profile_a = tempfile::tempdir().unwrap();
    let chrome = chrome_session(cd_port, profile_a.path(), Some(&served)).await;
    let page = browse_login(
        &chrome,
        &url,
        Some(("alice@example.com", "Alice-pass-1")),
        Some(LoginPage {
            issuer: &issuer,
            org_name: "acme",
        }),
    )
    .await;
    assert!(page.contains("Signed in"), "loopback page: {page}");
    wait_screen(&app, "signed-in").await;
    wait_text(&app, "[data-testid='person-name']", |t| t == "Alice Anders").await;
    wait_org(&app, "Acme Corporation").await;
    wait_text(&app, "[data-testid='org-id']", |t| t.starts_with(ACME)).await;
    // The company API's answer for this organization, fetched with the session's token on the Rust side.
    wait_projects(&app, ACME, &["Rocket skates", "Giant magnet"]).await;
    // The billing API's invoices, with a token for it from the same sign-in (no browser).
    let invoices =
        format!("[data-testid='billing-data'][data-org='{ACME}'] [data-testid='invoice-list']");
    wait_css(&app, &invoices).await;
    wait_texts(
        &app,
        &format!("{invoices} .project-name"),
        &["2026-10: 1299.00", "2026-11: 1314.00"],
    )
    .await;
    assert_eq!(opened(&urls).len(), 1, "the second API needed no browser");
    shot(&app, "app-signed-in").await;
    app.execute(
        "document.querySelector('[data-testid=portals]').scrollIntoView()",
        vec![],
    )
    .await
    .expect("scroll to the web apps");
    shot(&app, "app-signed-in-web-apps").await;
    app.execute("window.scrollTo(0, 0)", vec![])
        .await
        .expect("scroll back");
    // "Open Acme Corporation portal": the browser gets a one-time loopback address, and lands on the portal signed
    // in to Acme, without a login page, on an address that carries no token.
    let open_started = Instant::now();
    click(&app, "[data-testid='open-portal-portal']").await;
    let handoff = next_opened(&urls, 1).await;
    assert!(
        handoff.starts_with("http://127.0.0.1:")
            && handoff.contains("/open/")
            && !handoff.contains("token"),
        "{handoff}"
    );
    chrome.goto(&handoff).await.unwrap();
    let start = Instant::now();
    let title = loop {
        let title = chrome.title().await.unwrap_or_default();
        if title.starts_with("Signed in as") {
            break title;
        }
        assert!(
            start.elapsed() < WAIT,
            "the portal did not sign Alice in: {title}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let opened_in = open_started.elapsed();
    assert_eq!(title, "Signed in as Alice Anders, acme · Acme portal");
    assert_eq!(
        chrome.current_url().await.unwrap().as_str(),
        portal.as_str()
    );
    let text = chrome
        .find(Locator::Css("main"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        text.contains("Rocket skates") && text.contains(ACME),
        "{text}"
    );
    eprintln!(
        "open portal: click to the portal's signed-in page in {} ms",
        opened_in.as_millis()
    );
    crate::window::photo(&chrome, "app-portal-signed-in").await;
    assert!(
        keychain_has(&issuer, ACME),
        "the Acme session is in the Secret Service"
    );

    // ---- QA view: verified claims and sent parameters.
    click(&app, ".qa-switch").await;
    wait_text(&app, "[data-testid='qa-claims']", |t| {
        t.contains(ACME) && t.contains("alice@example.com")
    })
    .await;
    wait_text(&app, "[data-testid='qa-params']", |t| {
        t.contains("organization") && t.contains("S256") && t.contains("dpop_jkt")
    })
    .await;
    // IT turned DPoP on (and locked it): the session is bound to a key that stays in the keychain, and the
    // projects above came through the guard with a proof for each request.
    wait_text(&app, "[data-testid='qa-binding']", |t| {
        t.starts_with("Bound to this device (DPoP): useless without the key with thumbprint ")
            && t.split_whitespace()
                .any(|w| w.trim_end_matches(',').len() == 43 && !w.contains('.'))
    })
    .await;
    // The access token as the company's API verifies it: for the demo API, acme's, with the API's scopes.
    wait_text(&app, "[data-testid='qa-access-claims']", |t| {
        t.contains(ACME) && t.contains(demo_api::DEMO_AUDIENCE) && t.contains("write:projects")
    })
    .await;
    app.execute(
        "document.querySelector(\"[data-testid='qa-access-claims']\").scrollIntoView({block: 'center'})",
        vec![],
    )
    .await
    .expect("scroll to the access-token claims");
    shot(&app, "app-qa-access").await;
    // Where each setting came from: the locked tenant from IT's system file, the browser from the person's own.
    let settings = format!("{issuer} — system file {} · locked", system.display());
    wait_text(&app, "[data-testid='qa-settings']", |t| {
        t.contains(&settings)
            && t.contains(&format!("60 — user file {}", config.display()))
            && t.contains("3 in the directory — system file")
            && t.contains(&format!("true — system file {} · locked", system.display()))
            && t.contains(&format!(
                "{} (1 certificate, besides the system's trust store) — system file {} · locked",
                ca_file.display(),
                system.display()
            ))
    })
    .await;
    app.execute(
        "document.querySelector(\"[data-testid='qa-settings']\").scrollIntoView({block: 'end'})",
        vec![],
    )
    .await
    .expect("scroll to the settings");
    shot(&app, "app-qa-settings").await;
    app.execute("window.scrollTo(0, 0)", vec![])
        .await
        .expect("scroll back");
    shot(&app, "app-qa").await;

    // ---- QA: the next organization of the directory with prompt=login, so its own login page shows even
    // though the browser has an SSO session.
    click(&app, &format!("[data-testid='qa-switch-{GLOBEX}']")).await;
    forced_login_as_alice(
        &app,
        &chrome,
        // The first sign-in, then the portal's one-time address.
        (&urls, 2),
        GLOBEX,
        LoginPage {
            issuer: &issuer,
            org_name: "globex",
        },
    )
    .await;
    wait_org(&app, "Globex Industries").await;
    click(&app, ".qa-switch").await;
    wait_gone_css(&app, "[data-testid='qa-panel']").await;

    // ---- Switching between signed-in organizations needs no browser.
    let before = opened(&urls).len();
    click(&app, &format!("[data-testid='session-chip-{ACME}']")).await;
    wait_org(&app, "Acme Corporation").await;
    click(&app, &format!("[data-testid='session-chip-{GLOBEX}']")).await;
    wait_org(&app, "Globex Industries").await;
    wait_projects(&app, GLOBEX, &["Hammock district"]).await;
    assert_eq!(opened(&urls).len(), before, "switching opened a browser");

    // ---- Not a member: refused, in a sentence, with details for support.
    click(&app, "[data-testid='switch-org']").await;
    wait_screen(&app, "picker").await;
    type_org(&app, "initech").await;
    wait_text(&app, "#org-hint", |t| t == "✓ Initech (initech)").await;
    click(&app, "#continue").await;
    let url = next_opened(&urls, before).await;
    // The browser's SSO session skips the password; devtenant refuses the non-member.
    browse_login(&chrome, &url, None, None).await;
    wait_screen(&app, "error").await;
    wait_text(&app, "[data-testid='error-message']", |t| {
        t == "You are not a member of Initech."
    })
    .await;
    click(&app, ".support summary").await;
    wait_text(&app, "[data-testid='error-details']", |t| {
        t.contains("access_denied")
    })
    .await;
    shot(&app, "app-error").await;
    assert!(!keychain_has(&issuer, INITECH));

    // ---- "Sign in as someone else" from the error: the same organization with prompt=login, so the login
    // page shows despite the SSO session (Alice again here: refused again).
    let seen = opened(&urls).len();
    click(&app, "[data-testid='error-retry']").await;
    forced_login_as_alice(
        &app,
        &chrome,
        (&urls, seen),
        "initech",
        LoginPage {
            issuer: &issuer,
            org_name: "initech",
        },
    )
    .await;
    wait_screen(&app, "error").await;
    wait_text(&app, "[data-testid='error-message']", |t| {
        t == "You are not a member of Initech."
    })
    .await;
    click(&app, "[data-testid='error-back']").await;
    wait_screen(&app, "picker").await;

    // ---- Picking a signed-in organization from the directory switches to it, no browser.
    let seen = opened(&urls).len();
    click(&app, &format!("[data-testid='directory-{ACME}']")).await;
    wait_screen(&app, "signed-in").await;
    wait_org(&app, "Acme Corporation").await;
    assert_eq!(opened(&urls).len(), seen, "switching opened a browser");
    click(&app, &format!("[data-testid='session-chip-{GLOBEX}']")).await;
    wait_org(&app, "Globex Industries").await;

    // ---- Pick one that is not signed in from the directory, then cancel while waiting.
    click(&app, "[data-testid='switch-org']").await;
    wait_screen(&app, "picker").await;
    click(&app, &format!("[data-testid='directory-{INITECH}']")).await;
    wait_screen(&app, "waiting").await;
    wait_text(&app, "[data-testid='waiting-org']", |t| t == "Initech").await;
    click(&app, "[data-testid='cancel-login']").await;
    // Cancel goes back to where the person was (Globex is signed in already), with no error.
    wait_screen(&app, "signed-in").await;
    click(&app, "[data-testid='switch-org']").await;
    wait_screen(&app, "picker").await;
    assert!(
        app.find(Locator::Css("[data-screen='error']"))
            .await
            .is_err()
    );
    chrome.close().await.unwrap();

    // ---- Paste an invitation link: Bob (a fresh browser profile) joins Initech.
    let invitation = format!(
        "https://app.orgpass.example/login?invitation=demoInviteBobToInitech&organization={INITECH}&organization_name=initech"
    );
    type_org(&app, &invitation).await;
    wait_text(&app, "#org-hint", |t| t == "✓ Invitation to Initech").await;
    let seen = opened(&urls).len();
    click(&app, "#continue").await;
    let url = next_opened(&urls, seen).await;
    assert!(url.contains("invitation=demoInviteBobToInitech"), "{url}");
    let profile_b = tempfile::tempdir().unwrap();
    let chrome = chrome_session(cd_port, profile_b.path(), Some(&served)).await;
    browse_login(
        &chrome,
        &url,
        Some(("bob@example.com", "Bob-pass-1")),
        Some(LoginPage {
            issuer: &issuer,
            org_name: "initech",
        }),
    )
    .await;
    wait_org(&app, "Initech").await;
    wait_text(&app, "[data-testid='person-name']", |t| t == "Bob Berg").await;

    // ---- Sign out of Globex → its keychain entries are gone; it stays in the recent list.
    click(&app, &format!("[data-testid='session-chip-{GLOBEX}']")).await;
    wait_org(&app, "Globex Industries").await;
    assert!(keychain_has(&issuer, GLOBEX));
    click(&app, "[data-testid='sign-out']").await;
    click(&app, "[data-testid='confirm-signout']").await;
    wait_text(&app, "[data-testid='org-display-name']", |t| {
        t != "Globex Industries"
    })
    .await;
    assert!(
        !keychain_has(&issuer, GLOBEX),
        "sign-out left the Globex session in the keychain"
    );
    assert!(keychain_has(&issuer, ACME) && keychain_has(&issuer, INITECH));

    // ---- Pick a recent organization.
    click(&app, "[data-testid='switch-org']").await;
    wait_screen(&app, "picker").await;
    wait_css(&app, &format!("[data-testid='recent-{GLOBEX}']")).await;
    let seen = opened(&urls).len();
    click(&app, &format!("[data-testid='recent-{GLOBEX}']")).await;
    let url = next_opened(&urls, seen).await;
    browse_login(&chrome, &url, Some(("bob@example.com", "Bob-pass-1")), None).await;
    wait_org(&app, "Globex Industries").await;
    chrome.close().await.unwrap();

    // ---- Quit and relaunch: signed in again from the keychain, no browser.
    let seen = opened(&urls).len();
    app.close().await.unwrap();
    let relaunch = Instant::now();
    let app = app_session(td_port, &app_binary()).await;
    wait_screen(&app, "signed-in").await;
    wait_text(&app, "[data-testid='session-status']", |t| t == "Signed in").await;
    let relaunch_time = relaunch.elapsed();
    let chips = app.find_all(Locator::Css(".chip")).await.unwrap().len();
    assert_eq!(chips, 3, "three organizations signed in after the restart");
    assert_eq!(opened(&urls).len(), seen, "the relaunch opened a browser");

    // ---- Sign out (with the browser's SSO session) → keychain empty for that org.
    click(&app, &format!("[data-testid='session-chip-{INITECH}']")).await;
    wait_org(&app, "Initech").await;
    click(&app, "[data-testid='sign-out']").await;
    wait_css(&app, "[data-testid='signout-dialog']").await;
    click(&app, "[data-testid='end-sso']").await;
    click(&app, "[data-testid='confirm-signout']").await;
    wait_text(&app, "[data-testid='org-display-name']", |t| t != "Initech").await;
    assert!(
        !keychain_has(&issuer, INITECH),
        "sign-out left the Initech session in the keychain"
    );
    let logout = next_opened(&urls, seen).await;
    assert!(
        logout.contains("logout") && logout.contains("client_id=orgpass-desktop"),
        "{logout}"
    );

    // ---- The OS opens an orgpass:// link: the scheme was registered at start (in the test's XDG dirs),
    // `xdg-open` launches the app a second time, which hands the link to the running window and exits.
    let entry = std::fs::read_to_string(
        dir.path()
            .join("data/applications/orgpass-app-handler.desktop"),
    )
    .expect("the app registered the orgpass:// scheme handler");
    let exec = std::fs::canonicalize(app_binary()).unwrap();
    assert!(
        entry
            .lines()
            .any(|l| l == format!("Exec={} %u", exec.display())
                || l == format!("Exec=\"{}\" %u", exec.display()))
            && entry.contains("\nMimeType=x-scheme-handler/orgpass;\n"),
        "{entry}"
    );
    let link = format!(
        "orgpass://invite?invitation=demoInviteBobToInitech&organization={INITECH}&organization_name=initech"
    );
    let seen = opened(&urls).len();
    let status = run_bounded(
        Command::new("xdg-open")
            .arg(&link)
            .envs(app_env(&config, dir.path()))
            // Were the scheme not registered, xdg-open would fall back to a web browser: make that fail.
            .env("BROWSER", "false"),
    );
    assert!(status.success(), "xdg-open {link}: {status}");
    wait_screen(&app, "picker").await;
    wait_text(&app, "#org-hint", |t| t == "✓ Invitation to Initech").await;
    assert_eq!(input_value(&app).await, link);
    shot(&app, "app-deep-link").await;

    // ---- A plain second launch (no link) hands over too: one window, nothing lost, no browser.
    let status = run_bounded(Command::new(app_binary()).envs(app_env(&config, dir.path())));
    assert!(status.success(), "second launch: {status}");
    assert_eq!(screen(&app).await, "picker");
    assert_eq!(input_value(&app).await, link);
    assert_eq!(
        opened(&urls).len(),
        seen,
        "a deep link opened a browser by itself"
    );
    app.close().await.unwrap();

    // ---- Quit and start again at once: the closing instance still owns the single-instance D-Bus name, takes
    // the launch's hand-over call, and disconnects without answering (played here by the test: a connection that
    // holds the name, never replies, then closes). The launch must start once it is gone, not crash.
    use crate::window::INSTANCE_NAME;
    let closing = zbus::blocking::Connection::session().expect("the D-Bus session bus");
    let observer = zbus::blocking::Connection::session().unwrap();
    let dbus = zbus::blocking::fdo::DBusProxy::new(&observer).unwrap();
    let held = Instant::now();
    while closing.request_name(INSTANCE_NAME).is_err() {
        // The app closed just now may not have released it yet.
        assert!(
            held.elapsed() < WAIT,
            "{INSTANCE_NAME} stays owned after the app closed"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    // Everything sent to the name arrives on `closing`: wait for the launch's hand-over call.
    let (handed_over, seen) = std::sync::mpsc::channel();
    let incoming = zbus::blocking::MessageIterator::from(&closing);
    std::thread::spawn(move || {
        for message in incoming.flatten() {
            if message
                .header()
                .member()
                .is_some_and(|m| m.as_str() == "ExecuteCallback")
            {
                let _ = handed_over.send(());
                return;
            }
        }
    });
    let mut launch = Proc(
        Command::new(app_binary())
            .envs(app_env(&config, dir.path()))
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap(),
    );
    seen.recv_timeout(WAIT)
        .expect("the launch never tried to hand over to the instance holding the name");
    assert_eq!(
        launch.0.try_wait().unwrap(),
        None,
        "the launch ended while another instance held the name"
    );
    closing.close().unwrap();
    let start = Instant::now();
    loop {
        let owner_pid = zbus::names::BusName::try_from(INSTANCE_NAME)
            .ok()
            .and_then(|name| dbus.get_connection_unix_process_id(name).ok());
        if owner_pid == Some(launch.0.id()) {
            break;
        }
        assert_eq!(
            launch.0.try_wait().unwrap(),
            None,
            "the launch ended instead of becoming the running instance"
        );
        assert!(
            start.elapsed() < WAIT,
            "the launch never became the running instance (owner: {owner_pid:?})"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    drop(launch);

    let figures = format!(
        "cold start to interactive organization screen (via tauri-driver, debug build): {} ms\nrelaunch to signed-in view (via tauri-driver, debug build): {} ms\n",
        cold_start.as_millis(),
        relaunch_time.as_millis()
    );
    eprint!("{figures}");
    let _ = std::fs::create_dir_all(repo_root().join("artifacts"));
    let _ = std::fs::write(repo_root().join("artifacts/app-e2e-timings.txt"), figures);
    tenant.shutdown().await;
}
