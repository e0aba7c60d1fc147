//! Sessions bound to this device (DPoP), end to end with real parts: the CLI signs in to devtenant with
//! `ORGPASS_DPOP=true` (the nonce dance, `dpop_jkt`, a key in the Secret Service), calls demo-api behind a guard
//! that takes DPoP, renews the session with a proof, and never hands the bound token out bare; a copied refresh
//! token is useless without the key, and sign-out revokes it with a proof.

use demo_api::replay::RedisReplay;
use demo_api::{AppState, DEMO_AUDIENCE};
use devtenant::{Seed, SpawnOptions};
use orgpass::SessionStore as _;
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

/// A Redis of the test's own on a free loopback port, stopped when dropped.
struct Redis {
    child: std::process::Child,
    url: String,
}

impl Redis {
    fn start() -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let child = std::process::Command::new("redis-server")
            .args([
                "--bind",
                "127.0.0.1",
                "--port",
                &port.to_string(),
                "--save",
                "",
                "--appendonly",
                "no",
            ])
            .stdout(std::process::Stdio::null())
            .spawn()
            .expect("redis-server runs (Debian's redis-server; cargo xtask test installs it)");
        let started = std::time::Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                started.elapsed().as_secs() < 10,
                "redis-server did not listen on {port}"
            );
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        Self {
            child,
            url: format!("redis://127.0.0.1:{port}/"),
        }
    }
}

impl Drop for Redis {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One instance of the company API behind `origin` (a load balancer's address), its proofs shared in `redis`;
/// its own loopback URL.
async fn spawn_instance(issuer: &str, origin: &str, redis: &str) -> String {
    let config = GuardConfig::new(issuer, DEMO_AUDIENCE)
        .expect("guard config")
        .with_dpop(DpopMode::Allowed, origin)
        .expect("external origin");
    let store = RedisReplay::connect(redis).await.expect("Redis answers");
    let guard = Guard::new(config)
        .expect("guard")
        .with_replay_store(std::sync::Arc::new(store));
    let app = demo_api::app(AppState::demo(guard));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!("http://{}/", listener.local_addr().expect("addr"));
    tokio::spawn(async move { axum::serve(listener, app).await });
    url
}

/// The JSON a successful `orgpass` run printed (it must have exited 0).
pub(crate) fn json_of(out: &std::process::Output, what: &str) -> Value {
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

    // Two instances of the API behind one address, sharing the proofs they have seen in Redis: a proof taken by
    // one is refused by the other.
    let redis = Redis::start();
    let origin = "http://api.acme.test";
    let (one, two) = (
        spawn_instance(issuer, origin, &redis.url).await,
        spawn_instance(issuer, origin, &redis.url).await,
    );
    let out = desktop
        .orgpass(
            &[
                "token",
                "--dpop-method",
                "GET",
                "--dpop-url",
                &format!("{origin}/me"),
            ],
            None,
        )
        .await;
    let text = String::from_utf8(out.stdout).expect("UTF-8");
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 2, "{text}");
    let at = |instance: &str| {
        reqwest::Client::new()
            .get(format!("{instance}me"))
            .header(
                "authorization",
                lines[0].trim_start_matches("Authorization: "),
            )
            .header("dpop", lines[1].trim_start_matches("DPoP: "))
            .send()
    };
    assert_eq!(at(&one).await.expect("instance one").status(), 200);
    let replayed = at(&two).await.expect("instance two");
    assert_eq!(
        replayed.status(),
        401,
        "the proof was taken by the other instance"
    );
    let challenge = replayed.headers()["www-authenticate"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(challenge.contains("it was used before"), "{challenge}");

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

    // Another program of the same user copies the session out of the keychain. The refresh token alone, or with
    // a proof by a key of its own, is refused by the tenant (and not spent).
    let store = desktop.keychain();
    let key = store.list().expect("the index")[0].key.clone();
    let copied = store
        .load(&key)
        .expect("the keychain")
        .expect("the session");
    let refresh_token = copied.refresh_token.clone().expect("a refresh token");
    let token_url = format!("{issuer}oauth/token");
    let refresh = |proof: Option<String>| {
        let mut request = reqwest::Client::new().post(&token_url).form(&[
            ("grant_type", "refresh_token"),
            ("client_id", devtenant::DEMO_NATIVE_CLIENT_ID),
            ("refresh_token", refresh_token.secret()),
        ]);
        if let Some(p) = proof {
            request = request.header("dpop", p);
        }
        async move {
            let r = request.send().await.expect("the tenant answers");
            let nonce = r
                .headers()
                .get("dpop-nonce")
                .map(|v| v.to_str().unwrap().to_owned());
            let body: Value = r.json().await.expect("JSON");
            (body["error"].as_str().unwrap_or("").to_owned(), nonce)
        }
    };
    let (error, _) = refresh(None).await;
    assert_eq!(error, "invalid_dpop_proof", "a copied refresh token alone");
    let thief = orgpass_jose::DpopKey::generate().unwrap();
    let url = url::Url::parse(&token_url).unwrap();
    let proof_by = |k: &orgpass_jose::DpopKey, nonce: Option<&str>| {
        k.proof("POST", &url, now(), nonce, None).unwrap()
    };
    let (error, nonce) = refresh(Some(proof_by(&thief, None))).await;
    assert_eq!(error, "use_dpop_nonce");
    let nonce = nonce.expect("a DPoP-Nonce");
    let (error, _) = refresh(Some(proof_by(&thief, Some(&nonce)))).await;
    assert_eq!(
        error, "invalid_dpop_proof",
        "a copied refresh token with another key"
    );

    // Sign-out revokes the refresh token with a proof by the session's key (the tenant takes nothing less for a
    // bound token), and deletes the key with the tokens.
    let out = desktop.orgpass(&["logout"], None).await;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("(refresh token revoked)"), "{stderr}");
    assert!(
        store.load(&key).expect("the keychain").is_none(),
        "the session and its key are gone"
    );
    // Even with the session's own key (copied before sign-out) the refresh token is dead: revoked, not merely
    // forgotten here.
    let own = orgpass_jose::DpopKey::from_pkcs8(
        &base64::Engine::decode(
            &base64::engine::general_purpose::URL_SAFE_NO_PAD,
            copied.dpop_key.expect("the key").secret(),
        )
        .unwrap(),
    )
    .unwrap();
    assert_eq!(own.thumbprint(), jkt);
    let (error, _) = refresh(Some(proof_by(&own, Some(&nonce)))).await;
    assert_eq!(error, "invalid_grant", "revoked at sign-out");
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}
