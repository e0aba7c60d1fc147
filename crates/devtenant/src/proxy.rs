//! A forward proxy for tests, the company proxy's stand-in (feature `testing`): it listens on 127.0.0.1, opens
//! `CONNECT host:port` tunnels to the loopback address a host name is mapped to (a tenant at `tenant.test`, since
//! clients never send loopback addresses through a proxy), records every request line it is sent, and can
//! demand `Proxy-Authorization` (407 without it) as an authenticating proxy does. Names it does not know are
//! refused with 403: it never connects anywhere but loopback.

use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};

use base64::Engine as _;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::{TcpListener, TcpStream};

/// What the proxy does.
#[derive(Debug, Default, Clone)]
pub struct ProxyOptions {
    /// Host names it resolves, each to a loopback address.
    pub hosts: Vec<(String, IpAddr)>,
    /// When set, requests without `Proxy-Authorization: Basic base64(user:password)` get 407.
    pub credentials: Option<(String, String)>,
}

/// A running proxy; stops when dropped.
pub struct Proxy {
    pub addr: SocketAddr,
    seen: Arc<Mutex<Vec<String>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Proxy {
    /// Listens on 127.0.0.1 (any free port).
    pub async fn spawn(options: ProxyOptions) -> std::io::Result<Self> {
        assert!(
            options.hosts.iter().all(|(_, ip)| ip.is_loopback()),
            "the test proxy maps names to loopback only"
        );
        let listener = TcpListener::bind(("127.0.0.1", 0)).await?;
        let addr = listener.local_addr()?;
        let seen = Arc::new(Mutex::new(Vec::new()));
        let options = Arc::new(options);
        let log = seen.clone();
        let task = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let (options, log) = (options.clone(), log.clone());
                tokio::spawn(async move {
                    let _ = serve(stream, &options, &log).await;
                });
            }
        });
        Ok(Self { addr, seen, task })
    }

    /// `http://127.0.0.1:PORT`, for `HTTPS_PROXY`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Every request line received so far (`CONNECT tenant.test:4443 HTTP/1.1`), in order.
    pub fn seen(&self) -> Vec<String> {
        self.seen.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }
}

async fn serve(
    mut client: TcpStream,
    options: &ProxyOptions,
    log: &Mutex<Vec<String>>,
) -> std::io::Result<()> {
    let head = read_head(&mut client).await?;
    let mut lines = head.split("\r\n");
    let request_line = lines.next().unwrap_or_default().to_owned();
    log.lock()
        .unwrap_or_else(|e| e.into_inner())
        .push(request_line.clone());
    let header = |name: &str| {
        head.split("\r\n").skip(1).find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.trim()
                .eq_ignore_ascii_case(name)
                .then(|| v.trim().to_owned())
        })
    };
    if let Some((user, password)) = &options.credentials {
        let want = format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"))
        );
        if header("proxy-authorization").as_deref() != Some(want.as_str()) {
            return answer(
                &mut client,
                "407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm=\"corp\"",
            )
            .await;
        }
    }
    let mut parts = request_line.split(' ');
    let (Some("CONNECT"), Some(target)) = (parts.next(), parts.next()) else {
        return answer(&mut client, "501 Not Implemented").await;
    };
    let Some((host, port)) = target
        .rsplit_once(':')
        .and_then(|(h, p)| Some((h.to_owned(), p.parse::<u16>().ok()?)))
    else {
        return answer(&mut client, "400 Bad Request").await;
    };
    let Some(ip) = options
        .hosts
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case(&host))
        .map(|(_, ip)| *ip)
    else {
        return answer(&mut client, "403 Forbidden").await;
    };
    let mut upstream = match TcpStream::connect((ip, port)).await {
        Ok(s) => s,
        Err(_) => return answer(&mut client, "502 Bad Gateway").await,
    };
    client
        .write_all(b"HTTP/1.1 200 Connection established\r\n\r\n")
        .await?;
    tokio::io::copy_bidirectional(&mut client, &mut upstream).await?;
    Ok(())
}

async fn answer(client: &mut TcpStream, status: &str) -> std::io::Result<()> {
    client
        .write_all(
            format!("HTTP/1.1 {status}\r\ncontent-length: 0\r\nconnection: close\r\n\r\n")
                .as_bytes(),
        )
        .await?;
    client.shutdown().await
}

/// The request head, up to the blank line (at most 16 KiB).
async fn read_head(client: &mut TcpStream) -> std::io::Result<String> {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        if head.len() > 16 * 1024 || client.read(&mut byte).await? == 0 {
            return Err(std::io::ErrorKind::InvalidData.into());
        }
        head.push(byte[0]);
    }
    Ok(String::from_utf8_lossy(&head).into_owned())
}
