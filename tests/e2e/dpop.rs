//! Sessions bound to this device (DPoP), end to end with real parts: the CLI signs in to devtenant with
//! `ORGPASS_DPOP=true` (the nonce dance, `dpop_jkt`, a key in the Secret Service), calls demo-api behind a guard
//! that takes DPoP, renews the session with a proof, and never hands the bound token out bare.

use demo_api::{AppState, DEMO_AUDIENCE};
use devtenant::{Seed, SpawnOptions};
use orgpass_guard::{DpopMode, Guard, GuardConfig};
use serde_json::Value;

use crate::devtenant_cli::{Desktop, require_keychain};

const ACME: &str = "org_AcmeA1b2C3d4E5f6";

/// demo-api on a loopback port whose guard takes DPoP-bound tokens (and bearer ones); its base URL.
async fn spawn_dpop_api(issuer: &str) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind loopback");
    let origin = format!("http://{}", listener.local_addr().expect("local addr"));
    let config = GuardConfig::new(issuer, DEMO_AUDIENCE)
        .expect("guard config")
        .with_dpop(DpopMode::Allowed, &origin)
        .expect("external origin");
    let app = demo_api::app(AppState::demo(Guard::new(config).expect("guard")));
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("{origin}/")
}

fn json_of(out: &std::process::Output, what: &str) -> Value {
    assert_eq!(
        out.status.code(),
        Some(0),
        "{what}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{what}: {e}"))
}

#[tokio::test(flavor = "multi_thread")]
async fn a_bound_session_signs_in_calls_the_api_renews_and_is_never_handed_out_bare() {
    require_keychain();
    let tenant = devtenant::spawn(Seed::demo(), SpawnOptions::default())
        .await
        .expect("devtenant starts");
    let issuer = tenant.issuer.as_str();
    let api = spawn_dpop_api(issuer).await;
    let desktop = Desktop::new(issuer)
        .with_env("ORGPASS_AUDIENCE", DEMO_AUDIENCE)
        .with_env(
            "ORGPASS_SCOPE",
            "openid profile email offline_access read:projects",
        )
        .with_env("ORGPASS_API_URL", &api)
        .with_env("ORGPASS_DPOP", "true");
    desktop
        .login("acme", "alice@example.com", "Alice-pass-1")
        .await;

    // The session is bound: its key's thumbprint is in the index, the key itself only in the keychain.
    let status = json_of(
        &desktop.orgpass(&["status", "--json"], None).await,
        "status",
    );
    let jkt = status[0]["dpop_jkt"]
        .as_str()
        .expect("a bound session")
        .to_owned();
    assert_eq!(jkt.len(), 43, "an RFC 7638 SHA-256 thumbprint: {jkt}");
    assert!(status[0]["refreshed_at"].is_null());

    // The API takes it with a proof for each request.
    let me = json_of(&desktop.orgpass(&["api", "/me"], None).await, "api /me");
    assert_eq!(me["org_id"], ACME, "{me}");

    // The bare token is useless to another program, so it is not printed nor handed to a command (exit 2).
    for args in [&["token"][..], &["run", "--", "true"][..]] {
        let out = desktop.orgpass(args, None).await;
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(
            stderr.contains(&format!("bound to this device (DPoP, key {jkt})")),
            "{args:?}: {stderr}"
        );
        assert!(out.stdout.is_empty(), "{args:?}: nothing on stdout");
    }

    // For curl: the two headers of one request, made for its method and URL. They work once: the same proof again
    // is a replay, and the API refuses it.
    let url = format!("{api}me");
    let out = desktop
        .orgpass(&["token", "--dpop-method", "get", "--dpop-url", &url], None)
        .await;
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).expect("UTF-8");
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 2, "{text}");
    let authorization = lines[0]
        .strip_prefix("Authorization: DPoP ")
        .expect("the scheme");
    let proof = lines[1].strip_prefix("DPoP: ").expect("the proof");
    let send = || async {
        reqwest::Client::new()
            .get(&url)
            .header("authorization", format!("DPoP {authorization}"))
            .header("dpop", proof)
            .send()
            .await
            .expect("the API answers")
    };
    let first = send().await;
    assert_eq!(first.status(), 200);
    let body: Value = first.json().await.expect("JSON");
    assert_eq!(body["org_id"], ACME);
    let again = send().await;
    assert_eq!(again.status(), 401);
    let challenge = again.headers()["www-authenticate"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        challenge.starts_with("DPoP ") && challenge.contains("invalid_dpop_proof"),
        "{challenge}"
    );
    // Without the proof the token is refused, whichever way it is presented.
    let bare = reqwest::Client::new()
        .get(&url)
        .header("authorization", format!("Bearer {authorization}"))
        .send()
        .await
        .expect("the API answers");
    assert_eq!(bare.status(), 401);

    // A forced renewal carries a proof by the same key (devtenant refuses a bound refresh token without one):
    // the session is renewed, still bound to the same key, and the API still takes it.
    let out = desktop.orgpass(&["token", "--refresh"], None).await;
    assert_eq!(
        out.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let status = json_of(
        &desktop.orgpass(&["status", "--json"], None).await,
        "status",
    );
    assert!(status[0]["refreshed_at"].is_string(), "renewed: {status}");
    assert_eq!(status[0]["dpop_jkt"], jkt.as_str());
    let me = json_of(
        &desktop.orgpass(&["api", "/me"], None).await,
        "api /me after renewal",
    );
    assert_eq!(me["org_id"], ACME);
}
