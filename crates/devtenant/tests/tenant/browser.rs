//! A full login through devtenant's own login form in headless Chromium (chromedriver + fantoccini), for two
//! organizations; saves a screenshot of each branded login page to `artifacts/screenshots/devtenant-<org>.png`
//! and checks each shows its own logo and colours.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{ClientBuilder, Locator};
use serde_json::{Value, json};

use crate::common::*;

const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
const CHROMIUM: &str = "/usr/bin/chromium";

struct Driver {
    child: Child,
    port: u16,
    _profile: tempfile::TempDir,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_chromedriver() -> Driver {
    assert!(
        Path::new(CHROMEDRIVER).exists() && Path::new(CHROMIUM).exists(),
        "this test needs headless Chromium: apt-get install -y chromium chromium-driver"
    );
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let child = Command::new(CHROMEDRIVER)
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("chromedriver starts");
    let deadline = Instant::now() + Duration::from_secs(20);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            Instant::now() < deadline,
            "chromedriver did not listen on {port} within 20 s"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    Driver {
        child,
        port,
        _profile: tempfile::tempdir().unwrap(),
    }
}

fn screenshot_dir() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../artifacts/screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn rgb(hex: &str) -> String {
    let h = hex.trim_start_matches('#');
    let n = |i: usize| u8::from_str_radix(&h[i..i + 2], 16).unwrap();
    format!("rgb({}, {}, {})", n(0), n(2), n(4))
}

/// `getComputedStyle(el)[prop]`, e.g. `rgb(217, 72, 15)`.
async fn computed(
    browser: &fantoccini::Client,
    selector: &str,
    prop: &str,
) -> Result<String, String> {
    let v = browser
        .execute(
            "return getComputedStyle(document.querySelector(arguments[0]))[arguments[1]];",
            vec![json!(selector), json!(prop)],
        )
        .await
        .map_err(|e| e.to_string())?;
    v.as_str()
        .map(str::to_owned)
        .ok_or_else(|| format!("no computed {prop} for {selector}"))
}

/// A loopback "app" that receives the redirect, as the desktop client would.
async fn callback_server() -> (String, tokio::task::JoinHandle<()>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let app = axum::Router::new().route(
        "/callback",
        axum::routing::get(|| async { "signed in; you can close this tab" }),
    );
    let task = tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (format!("http://127.0.0.1:{port}/callback"), task)
}

#[tokio::test]
async fn chromium_logs_in_through_each_organizations_branded_page() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let driver = start_chromedriver();
    let tenant = demo().await;
    let (redirect, cb_task) = callback_server().await;
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".into(),
        json!({
            "binary": CHROMIUM,
            "args": [
                "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--disable-dev-shm-usage", "--window-size=900,900",
                format!("--user-data-dir={}", driver._profile.path().display()),
            ],
        }),
    );
    let browser = ClientBuilder::rustls()
        .unwrap()
        .capabilities(caps)
        .connect(&format!("http://127.0.0.1:{}", driver.port))
        .await
        .expect("a WebDriver session with headless Chromium");
    let http = http();
    let rows = [
        ("acme", ACME, "#d9480f", "#fff4e6"),
        ("globex", GLOBEX, "#2b8a3e", "#ebfbee"),
    ];
    let mut outcome = Ok(());
    for (name, org_id, primary, background) in rows {
        let result: Result<(), String> = async {
            let pkce = pkce();
            let url = authorize_url(&tenant.issuer, &redirect, org_id, &pkce, &[("prompt", "login")]);
            browser.goto(url.as_str()).await.map_err(|e| e.to_string())?;
            let form = browser.wait().for_element(Locator::Css("#login-form")).await.map_err(|e| e.to_string())?;
            let _ = form;
            // Each page shows its own logo (served by devtenant, actually loaded) and colours.
            let logo = browser.find(Locator::Css("img#prompt-logo-center")).await.map_err(|e| e.to_string())?;
            let src = logo.prop("src").await.map_err(|e| e.to_string())?.unwrap_or_default();
            assert_eq!(src, format!("{}branding/{name}.svg", tenant.issuer), "{name} logo src");
            browser
                .wait()
                .for_element(Locator::Css("img#prompt-logo-center"))
                .await
                .map_err(|e| e.to_string())?;
            let loaded: Value = browser
                .execute("const i = document.getElementById('prompt-logo-center'); return i.complete && i.naturalWidth > 0;", vec![])
                .await
                .map_err(|e| e.to_string())?;
            assert_eq!(loaded, json!(true), "{name} logo loaded");
            let button_bg = computed(&browser, "#submit", "backgroundColor").await?;
            assert_eq!(button_bg, rgb(primary), "{name} button colour");
            let page_bg = computed(&browser, "body", "backgroundColor").await?;
            assert_eq!(page_bg, rgb(background), "{name} page background");
            let title = browser.find(Locator::Css("#title")).await.map_err(|e| e.to_string())?.text().await.map_err(|e| e.to_string())?;
            assert!(title.contains(if name == "acme" { "Acme Corporation" } else { "Globex Industries" }), "{name}: {title}");
            let png = browser.screenshot().await.map_err(|e| e.to_string())?;
            assert!(png.starts_with(b"\x89PNG"), "{name} screenshot is a PNG");
            std::fs::write(screenshot_dir().join(format!("devtenant-{name}.png")), &png).map_err(|e| e.to_string())?;
            // Complete the form like a person.
            browser.find(Locator::Css("#username")).await.map_err(|e| e.to_string())?.send_keys("alice@example.com").await.map_err(|e| e.to_string())?;
            browser.find(Locator::Css("#password")).await.map_err(|e| e.to_string())?.send_keys("Alice-pass-1").await.map_err(|e| e.to_string())?;
            browser.find(Locator::Css("#submit")).await.map_err(|e| e.to_string())?.click().await.map_err(|e| e.to_string())?;
            let deadline = Instant::now() + Duration::from_secs(15);
            let landed = loop {
                let current = browser.current_url().await.map_err(|e| e.to_string())?;
                if current.as_str().starts_with(&redirect) {
                    break current;
                }
                if Instant::now() > deadline {
                    return Err(format!("{name}: browser did not reach the callback, stuck at {current}"));
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            };
            assert_eq!(param(&landed, "iss").as_deref(), Some(tenant.issuer.as_str()));
            let tokens: Value = http
                .post(tenant.issuer.join("oauth/token").unwrap())
                .form(&[
                    ("grant_type", "authorization_code"),
                    ("client_id", NATIVE),
                    ("code", &param(&landed, "code").ok_or("no code")?),
                    ("code_verifier", &pkce.verifier),
                    ("redirect_uri", &redirect),
                ])
                .send()
                .await
                .map_err(|e| e.to_string())?
                .json()
                .await
                .map_err(|e| e.to_string())?;
            let id_token = tokens["id_token"].as_str().ok_or("no id_token")?;
            let claims = tenant.state.lock().keys.verify(id_token).ok_or("id token does not verify")?;
            assert_eq!(claims["org_id"], org_id, "{name}");
            Ok(())
        }
        .await;
        if result.is_err() {
            outcome = result;
            break;
        }
    }
    let _ = browser.close().await;
    cb_task.abort();
    outcome.unwrap();
}
