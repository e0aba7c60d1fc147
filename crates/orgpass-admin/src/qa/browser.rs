//! Headless Chromium through chromedriver (WebDriver, with `fantoccini`): one chromedriver, one browser per
//! worker, each opening login pages, reading what they show and taking a screenshot.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use fantoccini::wd::TimeoutConfiguration;
use serde_json::json;
use tokio::process::{Child, Command};

use super::check::Seen;
use super::selectors::Selectors;

/// Why a browser could not show a page. A page's own failure is a finding ([`BrowserError::Page`]); the
/// others stop every check, and each organization's card says so.
#[derive(Debug, Clone, thiserror::Error)]
pub enum BrowserError {
    #[error(
        "{what} is not installed (not found at {path}): install the packages chromium and chromium-driver \
         (Debian and Ubuntu: `sudo apt-get install chromium chromium-driver`), or pass --chromium and \
         --chromedriver"
    )]
    Missing { what: &'static str, path: String },
    #[error("chromedriver ({path}) did not start: {cause}")]
    Driver { path: String, cause: String },
    #[error("Chromium ({path}) did not start through chromedriver: {cause}")]
    Session { path: String, cause: String },
    #[error("the login page did not load ({url}): {cause}")]
    Page { url: String, cause: String },
}

/// Where Chromium and chromedriver are; the defaults are looked up on `PATH`.
#[derive(Debug, Clone)]
pub struct BrowserOptions {
    pub chromium: Option<PathBuf>,
    pub chromedriver: Option<PathBuf>,
    /// Width and height of the window, so every screenshot has the same size.
    pub window: (u32, u32),
    /// How long one page may take to load.
    pub page_timeout: Duration,
}

impl Default for BrowserOptions {
    fn default() -> Self {
        Self {
            chromium: None,
            chromedriver: None,
            window: (1000, 800),
            page_timeout: Duration::from_secs(30),
        }
    }
}

/// A running chromedriver (stopped on drop) and the Chromium it starts.
pub struct Chromium {
    _driver: Child,
    url: String,
    chromium: PathBuf,
    options: BrowserOptions,
}

const CHROMIUM_NAMES: &[&str] = &["chromium", "chromium-browser", "google-chrome"];

impl Chromium {
    /// Finds both programs and starts chromedriver on a free loopback port.
    pub async fn start(options: BrowserOptions) -> Result<Self, BrowserError> {
        let chromium = find(options.chromium.as_deref(), CHROMIUM_NAMES, "Chromium")?;
        let driver_path = find(
            options.chromedriver.as_deref(),
            &["chromedriver"],
            "ChromeDriver",
        )?;
        let port = free_port().map_err(|e| BrowserError::Driver {
            path: driver_path.display().to_string(),
            cause: e.to_string(),
        })?;
        let mut driver = Command::new(&driver_path)
            .arg(format!("--port={port}"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| BrowserError::Driver {
                path: driver_path.display().to_string(),
                cause: e.to_string(),
            })?;
        let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
        loop {
            if tokio::net::TcpStream::connect(("127.0.0.1", port))
                .await
                .is_ok()
            {
                break;
            }
            let gone = driver.try_wait().ok().flatten();
            if gone.is_some() || tokio::time::Instant::now() > deadline {
                return Err(BrowserError::Driver {
                    path: driver_path.display().to_string(),
                    cause: match gone {
                        Some(status) => format!("it exited ({status})"),
                        None => "it did not listen within 15 s".into(),
                    },
                });
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        Ok(Self {
            _driver: driver,
            url: format!("http://127.0.0.1:{port}"),
            chromium,
            options,
        })
    }

    /// A new headless browser with its own throwaway profile.
    pub async fn session(&self) -> Result<Session, BrowserError> {
        let profile = tempfile::tempdir().map_err(|e| self.session_error(e))?;
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
        ];
        if running_as_root() {
            // Chromium refuses to start as root with its sandbox (containers, CI).
            args.push("--no-sandbox".into());
        }
        let mut caps = serde_json::Map::new();
        caps.insert(
            "goog:chromeOptions".into(),
            json!({ "binary": self.chromium, "args": args }),
        );
        // WebDriver to the chromedriver this process started, on loopback: no TLS, no tenant traffic.
        let connector = hyper_util::client::legacy::connect::HttpConnector::new();
        let client = fantoccini::ClientBuilder::new(connector)
            .capabilities(caps)
            .connect(&self.url)
            .await
            .map_err(|e| self.session_error(e))?;
        client
            .update_timeouts(TimeoutConfiguration::new(
                Some(Duration::from_secs(10)),
                Some(self.options.page_timeout),
                Some(Duration::ZERO),
            ))
            .await
            .map_err(|e| self.session_error(e))?;
        Ok(Session {
            client,
            _profile: profile,
        })
    }

    fn session_error(&self, e: impl std::fmt::Display) -> BrowserError {
        BrowserError::Session {
            path: self.chromium.display().to_string(),
            cause: e.to_string(),
        }
    }
}

/// One browser: pages are opened one after the other.
pub struct Session {
    client: fantoccini::Client,
    _profile: tempfile::TempDir,
}

/// Reads what the checks compare, in one script run after the page (with its images) has loaded.
const READ_PAGE: &str = r#"
const s = arguments[0];
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
"#;

impl Session {
    /// Opens `url`, reads the page with `selectors`, and takes a PNG screenshot of the window.
    pub async fn visit(
        &self,
        url: &str,
        selectors: &Selectors,
    ) -> Result<(Seen, Vec<u8>), BrowserError> {
        let page = |e: &dyn std::fmt::Display| BrowserError::Page {
            url: url.to_owned(),
            cause: e.to_string(),
        };
        self.client.goto(url).await.map_err(|e| page(&e))?;
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
        let value = self
            .client
            .execute(READ_PAGE, vec![sel])
            .await
            .map_err(|e| page(&e))?;
        let seen: Seen = serde_json::from_value(value).map_err(|e| page(&e))?;
        let png = self.client.screenshot().await.map_err(|e| page(&e))?;
        Ok((seen, png))
    }

    pub async fn close(self) {
        let _ = self.client.close().await;
    }
}

/// `given`, or the first of `names` on `PATH`.
fn find(given: Option<&Path>, names: &[&str], what: &'static str) -> Result<PathBuf, BrowserError> {
    if let Some(p) = given {
        return if p.is_file() {
            Ok(p.to_owned())
        } else {
            Err(BrowserError::Missing {
                what,
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
        what,
        path: format!("PATH ({})", names.join(", ")),
    })
}

fn free_port() -> std::io::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}

fn running_as_root() -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt as _;
        std::fs::metadata("/proc/self").is_ok_and(|m| m.uid() == 0)
    }
    #[cfg(not(unix))]
    {
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_chromium_names_the_packages() {
        let e = find(
            Some(Path::new("/nonexistent/chromium")),
            CHROMIUM_NAMES,
            "Chromium",
        )
        .unwrap_err();
        assert_eq!(
            e.to_string(),
            "Chromium is not installed (not found at /nonexistent/chromium): install the packages chromium and \
             chromium-driver (Debian and Ubuntu: `sudo apt-get install chromium chromium-driver`), or pass \
             --chromium and --chromedriver"
        );
    }
}
