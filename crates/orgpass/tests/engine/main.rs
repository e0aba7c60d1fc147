//! Engine integration tests: the real Secret Service, the loopback listener under junk, and refresh against an
//! in-test token endpoint. Keychain tests need a D-Bus session: run them with `cargo xtask test`.

#[path = "../support/mod.rs"]
mod support;

mod found_by_email;
mod keychain;
mod listener;
mod op;
mod refresh;

use std::sync::Arc;
use std::time::Duration;

use orgpass::{
    Client, Config, Issuer, KeychainStore, LoginRequest, OrgInput, PendingLogin, SessionStore,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// A client for `op` with an in-memory keychain.
pub fn client(op: &op::Op, store: Arc<dyn SessionStore>) -> Client {
    let mut config = Config::new(Issuer::parse(&op.issuer).unwrap(), op::CLIENT_ID);
    config.timeout = Duration::from_secs(30);
    Client::new(config, store)
}

pub fn memory_store() -> Arc<KeychainStore> {
    Arc::new(KeychainStore::in_memory())
}

/// Begin a login for [`op::ORG_ID`]; returns the pending login and its `state`.
pub async fn begin(op: &op::Op, client: &Client) -> (PendingLogin, String) {
    let req = LoginRequest {
        org: Some(OrgInput::parse(op::ORG_ID).unwrap()),
        ..Default::default()
    };
    let pending = client.begin_login(req).await.unwrap();
    op.remember(pending.authorize_url());
    let state = pending
        .authorize_url()
        .query_pairs()
        .find(|(k, _)| k == "state")
        .unwrap()
        .1
        .into_owned();
    (pending, state)
}

/// Send raw bytes to the listener and read the whole response (until the server closes).
pub async fn raw(addr: &str, request: &[u8]) -> String {
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    s.write_all(request).await.unwrap();
    let mut out = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(15), s.read_to_end(&mut out)).await;
    String::from_utf8_lossy(&out).into_owned()
}

/// `GET {path}` with a Host header.
pub async fn get(addr: &str, host: &str, path: &str) -> String {
    raw(
        addr,
        format!("GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n").as_bytes(),
    )
    .await
}

/// The status code of a raw HTTP response.
pub fn status(resp: &str) -> u16 {
    resp.split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0)
}
