//! A one-time loopback address that forwards the browser to an address only this process knows: how a web app's
//! login with a session transfer token is opened without the token on any command line (the browser's, or
//! `xdg-open`'s, which other local users can read), in a log or on screen.
//!
//! `http://127.0.0.1:PORT/open/<random>` is handed to the browser; the first `GET` of that path (with our `Host`)
//! is answered `303 See Other` to the target, which is made only then, so its one-minute life starts when the
//! browser is there. Anything else is a 404; after that one answer the address is gone. The address is on a command
//! line, so another user of this machine could read it and connect first: a connection made by another user is
//! answered 403 and the address stays for this user's browser (Linux; see `peer`, which also admits root, and
//! under WSL a connection whose owner it cannot see).

use std::future::Future;
use std::net::{Ipv4Addr, SocketAddr};
use std::time::Duration;

use base64::Engine as _;
use rand::RngCore as _;
use tokio::io::AsyncWriteExt as _;
use tokio::net::TcpListener;
use url::Url;

use crate::Secret;
use crate::listener::{parse_request, read_head, respond};

/// Why the browser was not forwarded.
#[derive(Debug, thiserror::Error)]
pub enum HandoffError {
    #[error("could not listen on 127.0.0.1 to hand the address to the browser: {0}")]
    Listen(std::io::Error),
    #[error(
        "the browser did not open {} within {} s; open it in a browser on this machine, or try again",
        .url, .after.as_secs()
    )]
    TimedOut { url: String, after: Duration },
    #[error("{0}")]
    Target(String),
}

/// A bound one-time address.
pub struct Handoff {
    listener: TcpListener,
    addr: SocketAddr,
    path: String,
}

impl Handoff {
    /// Listens on a free port of 127.0.0.1 with a fresh unguessable path.
    pub async fn bind() -> Result<Self, HandoffError> {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
            .await
            .map_err(HandoffError::Listen)?;
        let addr = listener.local_addr().map_err(HandoffError::Listen)?;
        let mut bytes = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut bytes);
        let path = format!(
            "/open/{}",
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
        );
        Ok(Self {
            listener,
            addr,
            path,
        })
    }

    /// The address to open in the browser (nothing secret in it: it only works once, from this machine).
    pub fn url(&self) -> Url {
        Url::parse(&format!("http://{}{}", self.addr, self.path)).expect("a loopback URL")
    }

    /// Waits up to `wait` for the browser, makes the target with `target` and forwards the browser there. A failed
    /// `target` is shown in the browser and returned.
    pub async fn forward<F, Fut>(self, wait: Duration, target: F) -> Result<(), HandoffError>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<Secret, String>>,
    {
        let url = self.url().to_string();
        let host = self.addr.to_string();
        let serve = async {
            loop {
                let Ok((mut stream, peer)) = self.listener.accept().await else {
                    continue;
                };
                let local = self.addr;
                let ours = tokio::task::spawn_blocking(move || crate::peer::same_user(local, peer))
                    .await
                    .unwrap_or(false);
                if !ours {
                    respond(
                        &mut stream,
                        403,
                        "Not yours",
                        "This address was made for another user of this computer.",
                    )
                    .await;
                    continue;
                }
                let head = match tokio::time::timeout(
                    crate::listener::READ_TIMEOUT,
                    read_head(&mut stream),
                )
                .await
                {
                    Ok(Ok(head)) => head,
                    _ => continue,
                };
                let ours = parse_request(&head).is_some_and(|r| {
                    r.method == "GET" && r.target == self.path && r.host.as_deref() == Some(&host)
                });
                if !ours {
                    respond(&mut stream, 404, "Not found", "This address is not in use.").await;
                    continue;
                }
                return match target().await {
                    Ok(location) => {
                        let head = format!(
                            "HTTP/1.1 303 See Other\r\nLocation: {}\r\nContent-Length: 0\r\nConnection: close\r\n\
                             Cache-Control: no-store\r\nReferrer-Policy: no-referrer\r\n\r\n",
                            location.secret()
                        );
                        let _ = tokio::time::timeout(Duration::from_secs(5), async {
                            stream.write_all(head.as_bytes()).await?;
                            stream.shutdown().await
                        })
                        .await;
                        Ok(())
                    }
                    Err(reason) => {
                        respond(&mut stream, 500, "Could not open the web app", &reason).await;
                        Err(HandoffError::Target(reason))
                    }
                };
            }
        };
        tokio::time::timeout(wait, serve)
            .await
            .unwrap_or(Err(HandoffError::TimedOut { url, after: wait }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn get(url: &Url, host: Option<&str>) -> String {
        use tokio::io::AsyncReadExt as _;
        let mut s = tokio::net::TcpStream::connect(format!(
            "{}:{}",
            url.host_str().unwrap(),
            url.port().unwrap()
        ))
        .await
        .unwrap();
        let host = host.map_or_else(
            || format!("{}:{}", url.host_str().unwrap(), url.port().unwrap()),
            str::to_owned,
        );
        s.write_all(format!("GET {} HTTP/1.1\r\nHost: {host}\r\n\r\n", url.path()).as_bytes())
            .await
            .unwrap();
        let mut out = String::new();
        s.read_to_string(&mut out).await.unwrap();
        out.lines().next().unwrap_or_default().to_owned()
            + "|"
            + out
                .lines()
                .find(|l| l.starts_with("Location:"))
                .unwrap_or_default()
    }

    /// Another path or another Host (DNS rebinding) is a 404 and leaves the address usable; the right request is
    /// forwarded once; the address is gone afterwards.
    #[tokio::test]
    async fn forwards_once_and_only_its_own_path() {
        let h = Handoff::bind().await.unwrap();
        let url = h.url();
        let wrong_path = url.join("/open/guess").unwrap();
        let task = tokio::spawn(h.forward(Duration::from_secs(10), || async {
            Ok(Secret::new("https://portal.example/login?t=1"))
        }));
        assert_eq!(get(&wrong_path, None).await, "HTTP/1.1 404 Not Found|");
        assert_eq!(
            get(&url, Some("evil.example")).await,
            "HTTP/1.1 404 Not Found|"
        );
        assert_eq!(
            get(&url, None).await,
            "HTTP/1.1 303 See Other|Location: https://portal.example/login?t=1"
        );
        task.await.unwrap().unwrap();
        let again =
            tokio::net::TcpStream::connect(format!("127.0.0.1:{}", url.port().unwrap())).await;
        assert!(again.is_err(), "the address is closed after its one use");
    }

    /// Another user of this machine who read the address connects first: it is answered 403 with no location, and
    /// this user's browser is still forwarded. Switching users needs root (CI runs as root); elsewhere the check of
    /// the owner is covered by `peer`'s tests.
    #[cfg(target_os = "linux")]
    #[tokio::test]
    async fn another_user_who_connects_first_gets_nothing() {
        // SAFETY: geteuid(2) takes no arguments and cannot fail.
        if unsafe { libc::geteuid() } != 0 {
            assert!(
                std::env::var_os("CI").is_none(),
                "CI runs as root, so this test must run there"
            );
            eprintln!("skipped: switching to another user needs root");
            return;
        }
        let h = Handoff::bind().await.unwrap();
        let url = h.url();
        let task = tokio::spawn(h.forward(Duration::from_secs(10), || async {
            Ok(Secret::new("https://portal.example/login?t=1"))
        }));
        let script = r#"exec 3<>"/dev/tcp/127.0.0.1/$PORT" || exit 9
printf 'GET %s HTTP/1.1\r\nHost: 127.0.0.1:%s\r\n\r\n' "$TARGET" "$PORT" >&3
cat <&3 | grep -E '^(HTTP|Location)' | tr -d '\r' | paste -sd'|'"#;
        let out = tokio::process::Command::new("setpriv")
            .args([
                "--reuid=65534",
                "--regid=65534",
                "--clear-groups",
                "/bin/bash",
                "-c",
                script,
            ])
            .env("PORT", url.port().unwrap().to_string())
            .env("TARGET", url.path())
            .output()
            .await
            .expect("setpriv (util-linux)");
        assert_eq!(
            String::from_utf8_lossy(&out.stdout).trim(),
            "HTTP/1.1 403 Forbidden",
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(
            get(&url, None).await,
            "HTTP/1.1 303 See Other|Location: https://portal.example/login?t=1"
        );
        task.await.unwrap().unwrap();
    }

    #[tokio::test]
    async fn a_failed_target_is_shown_and_returned_and_no_browser_times_out() {
        let h = Handoff::bind().await.unwrap();
        let url = h.url();
        let task = tokio::spawn(h.forward(Duration::from_secs(10), || async {
            Err("no session".to_owned())
        }));
        assert_eq!(get(&url, None).await, "HTTP/1.1 500 Internal Server Error|");
        assert_eq!(task.await.unwrap().unwrap_err().to_string(), "no session");
        let h = Handoff::bind().await.unwrap();
        let err = h
            .forward(Duration::from_millis(50), || async { Ok(Secret::new("x")) })
            .await
            .unwrap_err();
        assert!(matches!(err, HandoffError::TimedOut { .. }), "{err}");
    }
}
