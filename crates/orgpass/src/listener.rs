//! The loopback redirect listener: binds 127.0.0.1 (or [::1]), answers only `GET /callback` with our `state`,
//! bounds request size and per-connection time, and serves a small result page.
//!
//! When the browser runs on another machine (an SSH session, a container) its redirect cannot reach us; the
//! address it ended on can be pasted instead ([`PasteHandle`]), and goes through the same checks as a request to
//! the listener: path, host and port, parameters, `state` in constant time, first one only.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Semaphore, mpsc, oneshot};
use tokio_util::sync::CancellationToken;
use url::Url;

use crate::Secret;
use crate::config::PortPolicy;

/// Largest request (request line + headers) the listener reads.
pub const MAX_REQUEST_BYTES: usize = 8 * 1024;
/// How long one connection may take to send its request.
pub const READ_TIMEOUT: Duration = Duration::from_secs(10);
/// Connections handled at once; more are closed at once.
pub const MAX_CONNECTIONS: usize = 1024;
/// The redirect path.
pub const CALLBACK_PATH: &str = "/callback";

/// Why no loopback listener could be started.
#[derive(Debug, thiserror::Error)]
pub enum ListenError {
    #[error("could not listen on the loopback interface: {}; free one of these ports or configure others (--port)", describe(.0))]
    NoPort(Vec<(u16, String)>),
}

fn describe(tried: &[(u16, String)]) -> String {
    tried
        .iter()
        .map(|(p, e)| {
            if *p == 0 {
                format!("any free port ({e})")
            } else {
                format!("port {p} ({e})")
            }
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// A bound listener and its redirect URI (`http://127.0.0.1:PORT/callback`).
pub(crate) struct Bound {
    pub listener: TcpListener,
    pub addr: SocketAddr,
}

impl Bound {
    /// `http://127.0.0.1:PORT/callback` or `http://[::1]:PORT/callback`; never `localhost`.
    pub fn redirect_uri(&self) -> Url {
        Url::parse(&format!("http://{}{CALLBACK_PATH}", self.addr))
            .expect("socket address forms a URL")
    }
}

/// Bind on 127.0.0.1 (falling back to [::1] when IPv4 loopback is unavailable), trying ports in order.
pub(crate) async fn bind(policy: &PortPolicy) -> Result<Bound, ListenError> {
    let mut tried = Vec::new();
    for port in policy.ports() {
        match bind_one(port).await {
            Ok(b) => return Ok(b),
            Err(e) => {
                tracing::debug!(port, error = %e, "loopback port unavailable, trying the next");
                tried.push((port, e));
            }
        }
    }
    Err(ListenError::NoPort(tried))
}

async fn bind_one(port: u16) -> Result<Bound, String> {
    let v4 = SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), port);
    match TcpListener::bind(v4).await {
        Ok(listener) => Ok(Bound {
            addr: listener.local_addr().map_err(|e| e.to_string())?,
            listener,
        }),
        Err(e4) if e4.kind() == std::io::ErrorKind::AddrNotAvailable => {
            let v6 = SocketAddr::new(IpAddr::V6(Ipv6Addr::LOCALHOST), port);
            let listener = TcpListener::bind(v6)
                .await
                .map_err(|e6| format!("127.0.0.1: {e4}; [::1]: {}", io_reason(&e6)))?;
            Ok(Bound {
                addr: listener.local_addr().map_err(|e| e.to_string())?,
                listener,
            })
        }
        Err(e) => Err(io_reason(&e)),
    }
}

fn io_reason(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::AddrInUse => "address in use".into(),
        std::io::ErrorKind::PermissionDenied => "permission denied".into(),
        _ => e.to_string(),
    }
}

/// Parameters of the authorization response that matched our `state`.
pub(crate) struct CallbackParams {
    pub code: Option<Secret>,
    pub iss: Option<String>,
    pub error: Option<String>,
    pub error_description: Option<String>,
}

/// The page sent back to the browser after the real callback.
#[derive(Debug, Clone)]
pub(crate) struct Page {
    pub ok: bool,
    pub title: String,
    pub detail: String,
}

impl Page {
    fn render(&self) -> String {
        let (title, detail) = (html_escape(&self.title), html_escape(&self.detail));
        let colour = if self.ok { "#1a7f37" } else { "#b42318" };
        format!(
            "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Orgpass: {title}</title>\
<style>body{{font-family:system-ui,sans-serif;max-width:36em;margin:4em auto;padding:0 1em;color:#222}}h1{{color:{colour};font-size:1.4em}}</style>\
</head><body><h1>{title}</h1><p>{detail}</p><p>You can close this tab and return to the application.</p></body></html>"
        )
    }
}

/// A callback with our `state`, waiting for the flow to decide the page.
pub(crate) struct Callback {
    pub params: CallbackParams,
    pub reply: oneshot::Sender<(Page, oneshot::Sender<()>)>,
}

/// Send the page to the browser and wait (briefly) until it has been written.
pub(crate) async fn respond_to(reply: oneshot::Sender<(Page, oneshot::Sender<()>)>, page: Page) {
    let (done_tx, done_rx) = oneshot::channel();
    if reply.send((page, done_tx)).is_ok() {
        let _ = tokio::time::timeout(Duration::from_secs(3), done_rx).await;
    }
}

/// Serve until cancelled: every connection is handled on its own task with bounded size and time.
/// Only the first `GET /callback` with our `state` (and a loopback `Host`) is forwarded on `tx`.
pub(crate) fn spawn_server(
    bound: Bound,
    state: String,
    tx: mpsc::Sender<Callback>,
    stop: CancellationToken,
) -> PasteHandle {
    let host = bound.addr.to_string();
    let shared = Arc::new(Shared {
        state,
        host,
        claimed: AtomicBool::new(false),
        tx,
    });
    let paste = PasteHandle(shared.clone());
    let permits = Arc::new(Semaphore::new(MAX_CONNECTIONS));
    tokio::spawn(async move {
        loop {
            tokio::select! {
                () = stop.cancelled() => break,
                accepted = bound.listener.accept() => {
                    let Ok((stream, peer)) = accepted else { continue };
                    if !peer.ip().is_loopback() {
                        continue;
                    }
                    let Ok(permit) = permits.clone().try_acquire_owned() else { continue };
                    let shared = shared.clone();
                    let stop = stop.clone();
                    tokio::spawn(async move {
                        tokio::select! {
                            () = stop.cancelled() => {}
                            () = handle(stream, &shared) => {}
                        }
                        drop(permit);
                    });
                }
            }
        }
        tracing::debug!("loopback listener closed");
    });
    paste
}

/// Why a callback (a request to the listener, or a pasted address) was not accepted. The flow goes on waiting.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("that is not this sign-in's address: it must start with http://{0}/callback?")]
    NotOurs(String),
    #[error("its parameters are repeated or malformed")]
    Malformed,
    #[error(
        "it belongs to another sign-in (its state does not match this one); copy the address from the tab this \
         sign-in opened"
    )]
    WrongState,
    #[error("this sign-in has already received its answer")]
    AlreadyClaimed,
    #[error("this sign-in is no longer waiting")]
    Ended,
}

/// Check one callback (its `Host` and request target) against this sign-in and, the first time one passes,
/// hand its parameters to the flow. Returns the channel on which the flow answers with the page to show.
async fn accept(
    shared: &Shared,
    host: Option<&str>,
    target: &str,
) -> Result<oneshot::Receiver<(Page, oneshot::Sender<()>)>, Refusal> {
    let not_ours = || Refusal::NotOurs(shared.host.clone());
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    if path != CALLBACK_PATH || host != Some(shared.host.as_str()) {
        return Err(not_ours());
    }
    let params = parse_query(query).ok_or(Refusal::Malformed)?;
    let get = |k: &str| {
        params
            .iter()
            .find(|(key, _)| key == k)
            .map(|(_, v)| v.clone())
    };
    let state_ok =
        get("state").is_some_and(|s| constant_time_eq(s.as_bytes(), shared.state.as_bytes()));
    if !state_ok {
        tracing::warn!("callback with missing or wrong state ignored");
        return Err(Refusal::WrongState);
    }
    if shared.claimed.swap(true, Ordering::SeqCst) {
        return Err(Refusal::AlreadyClaimed);
    }
    let params = CallbackParams {
        code: get("code").map(Secret::new),
        iss: get("iss"),
        error: get("error"),
        error_description: get("error_description"),
    };
    let (reply, answer) = oneshot::channel();
    shared
        .tx
        .send(Callback { params, reply })
        .await
        .map_err(|_| Refusal::Ended)?;
    Ok(answer)
}

/// The longest pasted address accepted (a real callback address is a few hundred characters).
pub const MAX_PASTED_CHARS: usize = 2048;

/// Why a pasted address was not accepted; the sign-in goes on waiting for a good one.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PasteError {
    #[error(
        "that line is {0} characters long, longer than any sign-in address; paste only the address"
    )]
    TooLong(usize),
    #[error(
        "that is not an address; paste the whole address from the browser's address bar (it starts with http://)"
    )]
    NotAUrl,
    #[error("not accepted: {0}")]
    Refused(#[from] Refusal),
}

/// Hands the address the browser ended on to a waiting sign-in, for a browser that cannot reach this machine's
/// loopback listener. Cheap to clone; see [`crate::PendingLogin::paste_handle`].
#[derive(Clone)]
pub struct PasteHandle(Arc<Shared>);

impl std::fmt::Debug for PasteHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("PasteHandle").field(&self.0.host).finish()
    }
}

impl PasteHandle {
    /// Check `pasted` (`http://127.0.0.1:PORT/callback?code=…&state=…&iss=…`) exactly as a request to the
    /// listener is checked and, if it is the first good one, hand it to the flow.
    pub async fn submit(&self, pasted: &str) -> Result<(), PasteError> {
        let pasted = pasted.trim();
        let len = pasted.chars().count();
        if len > MAX_PASTED_CHARS {
            return Err(PasteError::TooLong(len));
        }
        let url = Url::parse(pasted).map_err(|_| PasteError::NotAUrl)?;
        if url.scheme() != "http" || !url.username().is_empty() || url.password().is_some() {
            return Err(Refusal::NotOurs(self.0.host.clone()).into());
        }
        let host = match (url.host_str(), url.port()) {
            (Some(h), Some(p)) => format!("{h}:{p}"),
            _ => return Err(Refusal::NotOurs(self.0.host.clone()).into()),
        };
        let target = match url.query() {
            Some(q) => format!("{}?{q}", url.path()),
            None => url.path().to_owned(),
        };
        // Nobody waits for the page: the browser that would show it is elsewhere.
        drop(accept(&self.0, Some(&host), &target).await?);
        Ok(())
    }
}

struct Shared {
    state: String,
    host: String,
    claimed: AtomicBool,
    tx: mpsc::Sender<Callback>,
}

async fn handle(mut stream: TcpStream, shared: &Shared) {
    let head = match tokio::time::timeout(READ_TIMEOUT, read_head(&mut stream)).await {
        Err(_) => {
            return respond(
                &mut stream,
                408,
                "Request timeout",
                "The request took too long.",
            )
            .await;
        }
        Ok(Err(HeadError::TooLarge)) => {
            return respond(
                &mut stream,
                431,
                "Request too large",
                "The request is too large.",
            )
            .await;
        }
        Ok(Err(HeadError::Closed)) => return,
        Ok(Ok(head)) => head,
    };
    let Some(req) = parse_request(&head) else {
        return respond(
            &mut stream,
            400,
            "Bad request",
            "This is not a valid sign-in callback.",
        )
        .await;
    };
    if req.method != "GET" {
        return respond(
            &mut stream,
            405,
            "Method not allowed",
            "Only GET is accepted.",
        )
        .await;
    }
    let reply_rx = match accept(shared, req.host.as_deref(), req.target).await {
        Ok(rx) => rx,
        Err(refusal) => {
            let (status, title, detail) = match refusal {
                Refusal::NotOurs(_) if !req.target.starts_with(CALLBACK_PATH) => {
                    (404, "Not found", "Nothing here.")
                }
                Refusal::NotOurs(_) => (400, "Bad request", "Unexpected Host header."),
                Refusal::Malformed => (400, "Bad request", "Repeated or malformed parameters."),
                Refusal::WrongState => (
                    400,
                    "Sign-in link not recognised",
                    "This response does not belong to the sign-in in progress; it was ignored.",
                ),
                Refusal::AlreadyClaimed => (
                    409,
                    "Already handled",
                    "This sign-in has already been completed.",
                ),
                Refusal::Ended => (
                    410,
                    "Sign-in ended",
                    "The application is no longer waiting for this sign-in.",
                ),
            };
            return respond(&mut stream, status, title, detail).await;
        }
    };
    match reply_rx.await {
        Ok((page, done)) => {
            let status = if page.ok { 200 } else { 400 };
            write_page(&mut stream, status, &page).await;
            let _ = done.send(());
        }
        Err(_) => {
            respond(
                &mut stream,
                500,
                "Sign-in ended",
                "The application stopped before finishing the sign-in.",
            )
            .await
        }
    }
}

pub(crate) enum HeadError {
    TooLarge,
    Closed,
}

pub(crate) async fn read_head(stream: &mut TcpStream) -> Result<Vec<u8>, HeadError> {
    let mut buf = Vec::with_capacity(1024);
    let mut chunk = [0u8; 1024];
    loop {
        let n = stream
            .read(&mut chunk)
            .await
            .map_err(|_| HeadError::Closed)?;
        if n == 0 {
            return Err(HeadError::Closed);
        }
        buf.extend_from_slice(&chunk[..n]);
        if let Some(end) = find_end(&buf) {
            buf.truncate(end);
            return Ok(buf);
        }
        if buf.len() > MAX_REQUEST_BYTES {
            return Err(HeadError::TooLarge);
        }
    }
}

fn find_end(buf: &[u8]) -> Option<usize> {
    buf.windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map(|p| p + 4)
        .filter(|end| *end <= MAX_REQUEST_BYTES)
}

pub(crate) struct Request<'a> {
    pub(crate) method: &'a str,
    pub(crate) target: &'a str,
    pub(crate) host: Option<String>,
}

pub(crate) fn parse_request(head: &[u8]) -> Option<Request<'_>> {
    let text = std::str::from_utf8(head).ok()?;
    let mut lines = text.split("\r\n");
    let mut parts = lines.next()?.split(' ');
    let (method, target, version) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() || !version.starts_with("HTTP/1.") {
        return None;
    }
    let mut host = None;
    for line in lines.filter(|l| !l.is_empty()) {
        let (name, value) = line.split_once(':')?;
        if name.trim().eq_ignore_ascii_case("host") {
            if host.is_some() {
                return None;
            }
            host = Some(value.trim().to_ascii_lowercase());
        }
    }
    Some(Request {
        method,
        target,
        host,
    })
}

fn parse_query(query: &str) -> Option<Vec<(String, String)>> {
    let mut out: Vec<(String, String)> = Vec::new();
    for (k, v) in url::form_urlencoded::parse(query.as_bytes()) {
        if out.iter().any(|(key, _)| *key == k) {
            return None;
        }
        out.push((k.into_owned(), v.into_owned()));
    }
    Some(out)
}

pub(crate) async fn respond(stream: &mut TcpStream, status: u16, title: &str, detail: &str) {
    write_page(
        stream,
        status,
        &Page {
            ok: false,
            title: title.into(),
            detail: detail.into(),
        },
    )
    .await;
}

async fn write_page(stream: &mut TcpStream, status: u16, page: &Page) {
    let body = page.render();
    let reason = match status {
        200 => "OK",
        400 => "Bad Request",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        408 => "Request Timeout",
        409 => "Conflict",
        410 => "Gone",
        431 => "Request Header Fields Too Large",
        _ => "Internal Server Error",
    };
    let head = format!(
        "HTTP/1.1 {status} {reason}\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\nCache-Control: no-store\r\nReferrer-Policy: no-referrer\r\nX-Content-Type-Options: nosniff\r\nContent-Security-Policy: default-src 'none'; style-src 'unsafe-inline'\r\n\r\n",
        body.len()
    );
    let _ = tokio::time::timeout(Duration::from_secs(5), async {
        stream.write_all(head.as_bytes()).await?;
        stream.write_all(body.as_bytes()).await?;
        stream.shutdown().await
    })
    .await;
}

/// Escape text for HTML element content and attributes.
pub fn html_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape() {
        assert_eq!(
            html_escape("<script>alert('x')</script>&\""),
            "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&amp;&quot;"
        );
        let page = Page {
            ok: false,
            title: "Sign-in refused".into(),
            detail: "<img src=x onerror=alert(1)>".into(),
        };
        assert!(!page.render().contains("<img"));
    }

    #[test]
    fn request_parsing() {
        let r = parse_request(
            b"GET /callback?code=x HTTP/1.1\r\nHost: 127.0.0.1:5000\r\nUser-Agent: t\r\n\r\n",
        )
        .unwrap();
        assert_eq!(
            (r.method, r.target, r.host.as_deref()),
            ("GET", "/callback?code=x", Some("127.0.0.1:5000"))
        );
        assert!(
            parse_request(b"GET /callback HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n").is_none(),
            "two Host headers"
        );
        assert!(parse_request(b"garbage\r\n\r\n").is_none());
        assert!(
            parse_query("state=a&state=b").is_none(),
            "repeated parameter"
        );
        assert_eq!(
            parse_query("a=1&b=%20").unwrap(),
            vec![("a".into(), "1".into()), ("b".into(), " ".into())]
        );
    }

    #[tokio::test]
    async fn port_list_reports_every_port_tried() {
        let busy1 = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let busy2 = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let (p1, p2) = (
            busy1.local_addr().unwrap().port(),
            busy2.local_addr().unwrap().port(),
        );
        let err = bind(&PortPolicy::List(vec![p1, p2]))
            .await
            .err()
            .expect("both ports busy");
        let msg = err.to_string();
        assert!(
            msg.contains(&format!("port {p1} (address in use)"))
                && msg.contains(&format!("port {p2} (address in use)")),
            "{msg}"
        );
        drop(busy2);
        let b = bind(&PortPolicy::List(vec![p1, p2])).await.unwrap();
        assert_eq!(b.addr.port(), p2, "moves on to the next port");
        assert_eq!(
            b.redirect_uri().as_str(),
            format!("http://127.0.0.1:{p2}/callback")
        );
        let e = bind(&PortPolicy::Ephemeral).await.unwrap();
        assert!(e.addr.ip().is_loopback() && e.addr.port() != 0);
    }
}
