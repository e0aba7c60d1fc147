//! Shared test setup: a devtenant per test (demo seed, rate limits off unless a test sets them), clients, a proxy.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use devtenant::ratelimit::{BucketSpec, Preset, RateLimitConfig};
use devtenant::{Running, Seed, SpawnOptions};
use orgpass_admin::{ManagementClient, RetryPolicy, Secret, Tenant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// The demo seed with rate limiting off.
pub fn seed() -> Seed {
    let mut s = Seed::demo();
    s.tenant.rate_limits = RateLimitConfig::off();
    s
}

pub async fn start() -> Running {
    start_with(seed()).await
}

pub async fn start_with(seed: Seed) -> Running {
    devtenant::spawn(seed, SpawnOptions::default())
        .await
        .expect("devtenant starts")
}

/// An organization to create with only a name.
pub fn new_org(name: impl Into<String>) -> orgpass_admin::model::NewOrganization {
    orgpass_admin::model::NewOrganization {
        name: name.into(),
        ..Default::default()
    }
}

/// The names of every organization on the tenant, sorted.
pub async fn org_names(c: &ManagementClient) -> Vec<String> {
    let mut names: Vec<String> = c
        .list_organizations()
        .await
        .unwrap()
        .into_iter()
        .map(|o| o.name)
        .collect();
    names.sort();
    names
}

/// Fast retries so fault tests finish quickly.
pub fn fast_retry() -> RetryPolicy {
    RetryPolicy {
        max_attempts: 5,
        max_rate_limited_attempts: 200,
        base_delay: Duration::from_millis(20),
        max_delay: Duration::from_millis(200),
        timeout: Duration::from_secs(10),
    }
}

pub fn domain(addr: std::net::SocketAddr) -> String {
    format!("http://{addr}")
}

/// A client of the demo M2M application for `addr` (devtenant or a proxy in front of it).
pub fn client_at(addr: std::net::SocketAddr, audience: &str) -> ManagementClient {
    ManagementClient::builder(
        Tenant::parse(&domain(addr))
            .unwrap()
            .with_audience(audience),
        devtenant::DEMO_M2M_CLIENT_ID,
        Secret::new(devtenant::DEMO_M2M_CLIENT_SECRET),
    )
    .retry(fast_retry())
    .concurrency(8)
    .build()
    .unwrap()
}

pub fn client(t: &Running) -> ManagementClient {
    client_at(t.addr, &t.management_audience())
}

/// Rate limits for some groups only (others unlimited).
pub fn limit(t: &Running, groups: &[(&str, u32, u32)]) {
    let mut map = BTreeMap::new();
    for (g, burst, per_minute) in groups {
        map.insert(
            (*g).to_owned(),
            BucketSpec {
                burst: *burst,
                per_minute: *per_minute,
            },
        );
    }
    let mut tenant = t.state.lock();
    tenant.store.settings.rate_limits = RateLimitConfig {
        preset: Preset::Off,
        groups: map,
    };
}

/// Another client on the tenant: spends every token `group` has left, behind our client's back.
pub fn spend_all_tokens(t: &Running, group: &str) {
    let mut tenant = t.state.lock();
    let config = tenant.store.settings.rate_limits.clone();
    while tenant
        .limiter
        .check(&config, group, devtenant::now_unix())
        .is_some_and(|v| v.allowed)
    {}
}

/// What the proxy does to the next requests that match.
#[derive(Debug, Clone)]
pub enum Fault {
    /// Answer with this status (and an Auth0-shaped body) without forwarding.
    Status(u16),
    /// Close the connection without forwarding.
    ResetBefore,
    /// Forward, then close the connection without answering (the request did happen).
    ResetAfter,
}

/// A tiny HTTP/1.1 proxy in front of devtenant that injects faults for requests whose first line contains a
/// needle (e.g. `"POST /api/v2/organizations "`).
#[derive(Clone)]
pub struct Proxy {
    pub addr: std::net::SocketAddr,
    rules: Arc<Mutex<Vec<(String, Fault, u32)>>>,
    pub seen: Arc<Mutex<Vec<String>>>,
}

impl Proxy {
    pub async fn start(upstream: std::net::SocketAddr) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let p = Proxy {
            addr: listener.local_addr().unwrap(),
            rules: Arc::default(),
            seen: Arc::default(),
        };
        let me = p.clone();
        tokio::spawn(async move {
            while let Ok((sock, _)) = listener.accept().await {
                let me = me.clone();
                tokio::spawn(async move {
                    let _ = me.serve(sock, upstream).await;
                });
            }
        });
        p
    }

    /// The next `count` requests whose request line contains `needle` get `fault`.
    pub fn fault(&self, needle: &str, fault: Fault, count: u32) {
        self.rules
            .lock()
            .unwrap()
            .push((needle.to_owned(), fault, count));
    }

    fn take(&self, line: &str) -> Option<Fault> {
        let mut rules = self.rules.lock().unwrap();
        let i = rules
            .iter()
            .position(|(n, _, c)| *c > 0 && line.contains(n.as_str()))?;
        rules[i].2 -= 1;
        Some(rules[i].1.clone())
    }

    async fn serve(
        &self,
        mut sock: TcpStream,
        upstream: std::net::SocketAddr,
    ) -> std::io::Result<()> {
        loop {
            let Some(request) = read_request(&mut sock).await? else {
                return Ok(());
            };
            let line = String::from_utf8_lossy(
                &request[..request.iter().position(|b| *b == b'\r').unwrap_or(0)],
            )
            .into_owned();
            self.seen.lock().unwrap().push(line.clone());
            match self.take(&line) {
                Some(Fault::Status(code)) => {
                    let body = format!(
                        r#"{{"statusCode":{code},"error":"injected","message":"injected fault"}}"#
                    );
                    let resp = format!(
                        "HTTP/1.1 {code} Injected\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{body}",
                        body.len()
                    );
                    sock.write_all(resp.as_bytes()).await?;
                }
                Some(Fault::ResetBefore) => return Ok(()),
                Some(Fault::ResetAfter) => {
                    let _ = forward(&request, upstream).await?;
                    return Ok(());
                }
                None => {
                    let resp = forward(&request, upstream).await?;
                    sock.write_all(&resp).await?;
                    return Ok(());
                }
            }
        }
    }
}

/// Reads one request (head + content-length body); `None` at EOF.
async fn read_request(sock: &mut TcpStream) -> std::io::Result<Option<Vec<u8>>> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let head_end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        let n = sock.read(&mut chunk).await?;
        if n == 0 {
            return Ok(None);
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).to_lowercase();
    let len: usize = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0);
    while buf.len() < head_end + len {
        let n = sock.read(&mut chunk).await?;
        if n == 0 {
            break;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    Ok(Some(buf))
}

/// Sends the request upstream with `connection: close` and returns the whole response.
async fn forward(request: &[u8], upstream: std::net::SocketAddr) -> std::io::Result<Vec<u8>> {
    let head_end = request.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 2;
    let mut up = TcpStream::connect(upstream).await?;
    let head = String::from_utf8_lossy(&request[..head_end]);
    let kept: String = head
        .split("\r\n")
        .filter(|l| !l.is_empty() && !l.to_lowercase().starts_with("connection:"))
        .map(|l| format!("{l}\r\n"))
        .collect();
    up.write_all(kept.as_bytes()).await?;
    up.write_all(b"connection: close\r\n\r\n").await?;
    up.write_all(&request[head_end + 2..]).await?;
    let mut resp = Vec::new();
    up.read_to_end(&mut resp).await?;
    Ok(resp)
}

/// A loopback HTTP/1.1 server standing in for a misbehaving tenant (or the place it points to): it records every
/// connection and request line and answers each request with `answer(request line)`, a whole raw response.
#[derive(Clone)]
pub struct Stub {
    pub addr: std::net::SocketAddr,
    /// Connections accepted.
    pub connections: Arc<Mutex<u32>>,
    /// Request lines received (`POST /oauth/token HTTP/1.1`).
    pub seen: Arc<Mutex<Vec<String>>>,
}

impl Stub {
    pub async fn start(answer: impl Fn(&str) -> String + Send + Sync + 'static) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let s = Stub {
            addr: listener.local_addr().unwrap(),
            connections: Arc::default(),
            seen: Arc::default(),
        };
        let me = s.clone();
        let answer = Arc::new(answer);
        tokio::spawn(async move {
            while let Ok((mut sock, _)) = listener.accept().await {
                *me.connections.lock().unwrap() += 1;
                let (me, answer) = (me.clone(), answer.clone());
                tokio::spawn(async move {
                    while let Ok(Some(request)) = read_request(&mut sock).await {
                        let line = String::from_utf8_lossy(
                            &request[..request.iter().position(|b| *b == b'\r').unwrap_or(0)],
                        )
                        .into_owned();
                        me.seen.lock().unwrap().push(line.clone());
                        if sock.write_all(answer(&line).as_bytes()).await.is_err() {
                            return;
                        }
                    }
                });
            }
        });
        s
    }
}

/// A raw HTTP/1.1 response with a JSON body and extra header lines (`"location: …\r\n"`).
pub fn raw_response(status: &str, extra_headers: &str, body: &str) -> String {
    format!(
        "HTTP/1.1 {status}\r\ncontent-type: application/json\r\n{extra_headers}content-length: {}\r\n\r\n{body}",
        body.len()
    )
}
