//! How the app opens the system browser: a configured command, or the OS default through tauri-plugin-opener.
//! Only `http`/`https` URLs are ever opened.

use std::sync::Arc;

use orgpass::{CommandOpener, OpenError, Opener};

/// A function that opens a URL with the OS (set once the Tauri app exists).
pub type SystemOpen = Arc<dyn Fn(&str) -> Result<(), String> + Send + Sync>;

/// The app's browser opener.
#[derive(Clone)]
pub enum AppOpener {
    /// `--browser CMD` / `ORGPASS_BROWSER` / `browser = …`: CMD with the URL appended.
    Command(Arc<CommandOpener>),
    /// The OS's default browser.
    System(SystemOpen),
    /// Anything else (tests inject an opener that drives the login page).
    Custom(Arc<dyn Opener>),
}

impl std::fmt::Debug for AppOpener {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Command(c) => f.debug_tuple("Command").field(&c.argv()).finish(),
            Self::System(_) => f.write_str("System"),
            Self::Custom(_) => f.write_str("Custom"),
        }
    }
}

impl Opener for AppOpener {
    fn open(&self, url: &str) -> Result<(), OpenError> {
        let scheme = url
            .split_once(':')
            .map(|(s, _)| s.to_ascii_lowercase())
            .unwrap_or_default();
        if scheme != "http" && scheme != "https" {
            return Err(OpenError::System(format!(
                "refusing to open a non-http(s) URL (scheme `{scheme}`)"
            )));
        }
        match self {
            Self::Command(c) => c.open(url),
            Self::System(open) => open(url).map_err(OpenError::System),
            Self::Custom(o) => o.open(url),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    #[test]
    fn only_http_and_https_are_opened() {
        let seen = Arc::new(Mutex::new(Vec::<String>::new()));
        let s = seen.clone();
        let opener = AppOpener::System(Arc::new(move |u: &str| {
            s.lock().unwrap().push(u.to_owned());
            Ok(())
        }));
        for bad in [
            "file:///etc/passwd",
            "javascript:alert(1)",
            "orgpass://x",
            "smb://host/share",
            "nourl",
        ] {
            assert!(opener.open(bad).is_err(), "{bad} must be refused");
        }
        opener.open("https://idp.example/authorize?x=1").unwrap();
        opener.open("HTTP://127.0.0.1:4000/authorize").unwrap();
        assert_eq!(
            *seen.lock().unwrap(),
            [
                "https://idp.example/authorize?x=1",
                "HTTP://127.0.0.1:4000/authorize"
            ]
        );
    }
}
