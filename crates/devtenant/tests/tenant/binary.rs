//! The `devtenant serve` binary: port 0 prints the chosen port and issuer; non-loopback addresses are refused.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

#[test]
fn serve_on_port_zero_prints_issuer_credentials_and_admin_secret() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_devtenant"))
        .args(["serve", "--port", "0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut banner = Vec::new();
    for line in lines.by_ref() {
        let line = line.unwrap();
        let done = line.starts_with("admin secret");
        banner.push(line);
        if done {
            break;
        }
    }
    let text = banner.join("\n");
    let issuer = banner
        .iter()
        .find_map(|l| l.strip_prefix("issuer:"))
        .unwrap()
        .trim()
        .to_owned();
    let port: u16 = banner
        .iter()
        .find_map(|l| l.strip_prefix("port:"))
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    assert_ne!(port, 0);
    assert_eq!(issuer, format!("http://127.0.0.1:{port}/"));
    assert!(text.contains("client_id=orgpass-desktop"), "{text}");
    assert!(
        text.contains("alice@example.com") && text.contains("password=Alice-pass-1"),
        "{text}"
    );
    assert!(text.contains("org_AcmeA1b2C3d4E5f6"), "{text}");
    // The server answers on that port.
    let rt = tokio::runtime::Runtime::new().unwrap();
    let doc: serde_json::Value = rt.block_on(async {
        reqwest::get(format!("{issuer}.well-known/openid-configuration"))
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    });
    assert_eq!(doc["issuer"], issuer);
    child.kill().unwrap();
    child.wait().unwrap();
}

#[test]
fn serve_refuses_non_loopback_addresses() {
    let out = Command::new(env!("CARGO_BIN_EXE_devtenant"))
        .args(["serve", "--port", "0", "--bind", "0.0.0.0"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("binds 127.0.0.1 only"));
}
