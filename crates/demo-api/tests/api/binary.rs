//! The `demo-api` binary over a real socket: it starts on a free loopback port, prints where, and serves the
//! projects of the caller's organization.

use std::process::Stdio;

use tokio::io::{AsyncBufReadExt, BufReader};

use crate::world::{ACME, ALICE, READ, World};

#[tokio::test]
async fn the_binary_serves_behind_the_guard() {
    let w = World::new().await;
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_demo-api"))
        .args([
            "--issuer",
            w.tenant.issuer.as_str(),
            "--listen",
            "127.0.0.1:0",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("demo-api starts");
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let first = lines.next_line().await.unwrap().expect("a first line");
    let base = first
        .strip_prefix("demo-api listening on ")
        .unwrap_or_else(|| panic!("unexpected first line: {first}"))
        .to_owned();
    let http = reqwest::Client::new();
    let res = http
        .get(format!("{base}projects"))
        .bearer_auth(w.token(ALICE, ACME, READ))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["org_id"], ACME);
    assert_eq!(body["projects"].as_array().unwrap().len(), 2);
    let res = http.get(format!("{base}projects")).send().await.unwrap();
    assert_eq!(res.status(), 401);
    child.kill().await.unwrap();
}

#[tokio::test]
async fn the_binary_listens_on_loopback_only() {
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_demo-api"))
        .args(["--issuer", "http://127.0.0.1:9/", "--listen", "0.0.0.0:0"])
        .output()
        .await
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("is not a loopback address"), "{stderr}");
}

#[tokio::test]
async fn another_issuer_must_be_https_or_loopback() {
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_demo-api"))
        .args(["--issuer", "http://127.0.0.1:1/", "--listen", "127.0.0.1:0"])
        .args(["--also-issuer", "http://login.acme.example/"])
        .output()
        .await
        .expect("demo-api runs");
    assert!(!out.status.success());
    assert_eq!(
        String::from_utf8_lossy(&out.stderr).trim_end(),
        "demo-api: the issuer `http://login.acme.example/` is not https; plain http is allowed only for a loopback \
         issuer (127.0.0.0/8 or [::1], a local test tenant)"
    );
    assert!(out.stdout.is_empty(), "nothing served");
}
