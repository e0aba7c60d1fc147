//! One sign-in for every company API and the company's web portal, with real parts: the CLI signs in once to
//! devtenant (the real Secret Service), then gets tokens for a second API from the same refresh token (Auth0's
//! Multi-Resource Refresh Tokens) and opens the demo portal already signed in (Native to Web SSO), through
//! the scripted browser; the portal is a real confidential web client of devtenant.

use demo_api::invoices::BILLING_AUDIENCE;
use demo_api::{AppState, DEMO_AUDIENCE};
use devtenant::{Seed, SpawnOptions};
use orgpass::SessionStore as _;
use orgpass_guard::{Guard, GuardConfig};
use serde_json::Value;

use crate::devtenant_cli::{Desktop, require_keychain};
use crate::dpop::json_of;

const ACME: &str = "org_AcmeA1b2C3d4E5f6";
const GLOBEX: &str = "org_GlobexG7h8I9j0K1";
/// An API the tenant knows but the desktop client's refresh-token policies do not name.
const AUDIT_AUDIENCE: &str = "https://audit.orgpass.example/";

/// demo-api for `audience` on a loopback port; its base URL.
async fn spawn_api(issuer: &str, audience: &str) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind loopback");
    let config = GuardConfig::new(issuer, audience).expect("guard config");
    let app = demo_api::app(AppState::demo(Guard::new(config).expect("guard")));
    let origin = format!("http://{}/", listener.local_addr().expect("local addr"));
    tokio::spawn(async move { axum::serve(listener, app).await });
    origin
}

/// demo-portal on a loopback port, showing projects from `api` (trusting `ca` besides the system's); its base
/// URL.
pub(crate) async fn spawn_portal(issuer: &str, api: &str, ca: Option<orgpass::CaBundle>) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind loopback");
    let origin = format!("http://{}/", listener.local_addr().expect("local addr"));
    let portal = demo_portal::Portal::new(demo_portal::PortalConfig {
        issuer: url::Url::parse(issuer).expect("issuer"),
        client_id: "orgpass-portal".into(),
        client_secret: "demo-portal-secret-change-me".into(),
        origin: url::Url::parse(&origin).expect("origin"),
        api_url: url::Url::parse(api).expect("api"),
        api_audience: DEMO_AUDIENCE.into(),
        ca,
    })
    .expect("the portal");
    tokio::spawn(async move { axum::serve(listener, portal.router()).await });
    origin
}

/// The claims of a JWT, unverified (the test reads what the CLI handed out).
fn claims(jwt: &str) -> Value {
    use base64::Engine as _;
    let payload = jwt.split('.').nth(1).expect("a JWT");
    serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(payload)
            .expect("base64url"),
    )
    .expect("JSON claims")
}

/// The scripted browser's request log: one JSON value per line.
fn browser_log(path: &std::path::Path) -> Vec<Value> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn one_sign_in_serves_two_apis_and_opens_the_portal_signed_in() {
    require_keychain();
    let mut seed = Seed::demo();
    seed.apis.push(devtenant::seed::ApiSeed {
        identifier: AUDIT_AUDIENCE.into(),
        name: "Audit (not in the desktop's refresh-token policies)".into(),
        allow_offline_access: true,
        scopes: vec!["read:audit".into()],
    });
    let tenant = devtenant::spawn(seed, SpawnOptions::default())
        .await
        .expect("devtenant starts");
    let issuer = tenant.issuer.as_str();
    let projects = spawn_api(issuer, DEMO_AUDIENCE).await;
    let billing = spawn_api(issuer, BILLING_AUDIENCE).await;
    let portal = spawn_portal(issuer, &projects, None).await;
    let dir = tempfile::tempdir().expect("temp dir");
    let settings = dir.path().join("config.toml");
    std::fs::write(
        &settings,
        format!(
            "audience = \"{DEMO_AUDIENCE}\"\napi_url = \"{projects}\"\n\
             scope = \"openid profile email offline_access read:projects\"\n\
             [[apis]]\nname = \"billing\"\naudience = \"{BILLING_AUDIENCE}\"\nurl = \"{billing}\"\nscope = \"read:invoices\"\n\
             [[apis]]\nname = \"audit\"\naudience = \"{AUDIT_AUDIENCE}\"\n\
             [[portals]]\nname = \"portal\"\nlogin_url = \"{portal}login\"\n"
        ),
    )
    .expect("settings file");
    let log = dir.path().join("browser.log");
    let desktop = Desktop::new(issuer)
        .with_env("ORGPASS_CONFIG", settings.to_str().expect("utf-8 path"))
        .with_env("OP_BROWSER_LOG", log.to_str().expect("utf-8 path"));
    let signed_in = desktop
        .login(ACME, "alice@example.com", "Alice-pass-1")
        .await;
    assert_eq!(signed_in["org_id"], ACME);
    let sign_in_requests = browser_log(&log).len();

    // Both APIs answer for Alice's organization, with no browser in between.
    let out = desktop.orgpass(&["api", "/projects"], None).await;
    assert_eq!(json_of(&out, "api /projects")["org_id"], ACME);
    let out = desktop
        .orgpass(&["api", "--api", "billing", "/invoices"], None)
        .await;
    let invoices = json_of(&out, "api --api billing /invoices");
    assert_eq!(invoices["org_id"], ACME);
    assert_eq!(invoices["invoices"][0]["id"], "inv_acme_2026_10");
    assert_eq!(
        browser_log(&log).len(),
        sign_in_requests,
        "no browser after the sign-in"
    );

    // Each token is for its own API and Alice's organization; each API refuses the other's.
    let token = |api: &'static str| {
        let desktop = &desktop;
        async move {
            let out = desktop.orgpass(&["token", "--api", api], None).await;
            assert_eq!(
                out.status.code(),
                Some(0),
                "token --api {api}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            String::from_utf8(out.stdout)
                .expect("utf-8")
                .trim()
                .to_owned()
        }
    };
    let (a, b) = (token("default").await, token("billing").await);
    assert_eq!(claims(&a)["aud"][0], DEMO_AUDIENCE);
    assert_eq!(claims(&b)["aud"][0], BILLING_AUDIENCE);
    assert_eq!(
        (claims(&a)["org_id"].clone(), claims(&b)["org_id"].clone()),
        (ACME.into(), ACME.into())
    );
    let http = reqwest::Client::new();
    let status = |url: String, token: String| {
        let http = http.clone();
        async move {
            http.get(url)
                .bearer_auth(token)
                .send()
                .await
                .expect("API answers")
                .status()
                .as_u16()
        }
    };
    assert_eq!(
        status(format!("{billing}invoices"), a.clone()).await,
        401,
        "billing refuses the projects token"
    );
    assert_eq!(
        status(format!("{projects}projects"), b.clone()).await,
        401,
        "projects refuses the billing token"
    );
    assert_eq!(status(format!("{billing}invoices"), b.clone()).await, 200);
    // Kept with the session: asked again, the same token, no refresh.
    assert_eq!(token("billing").await, b);

    // A refresh of the sign-in's token racing one for billing: the refresh token rotates once per redemption,
    // never presented twice (devtenant would revoke the whole family), and the session works on.
    let (r1, r2) = tokio::join!(
        desktop.orgpass(&["token", "--refresh"], None),
        desktop.orgpass(&["token", "--api", "billing", "--refresh"], None),
    );
    assert_eq!(
        (r1.status.code(), r2.status.code()),
        (Some(0), Some(0)),
        "{} / {}",
        String::from_utf8_lossy(&r1.stderr),
        String::from_utf8_lossy(&r2.stderr)
    );
    assert_ne!(
        String::from_utf8_lossy(&r2.stdout).trim(),
        b,
        "billing's token was renewed"
    );
    let out = desktop
        .orgpass(&["api", "--api", "billing", "/invoices"], None)
        .await;
    assert_eq!(json_of(&out, "billing after the race")["org_id"], ACME);

    // An API outside the application's refresh-token policies: Auth0 answers for the sign-in's API instead,
    // which the CLI refuses to hand out as the audit API's token, saying what the administrator must change.
    let out = desktop.orgpass(&["token", "--api", "audit"], None).await;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(
        stderr.contains(&format!(
            "the tenant's token for {AUDIT_AUDIENCE} was not used: it was issued for another API"
        )),
        "{stderr}"
    );
    assert!(stderr.contains("refresh_token.policies"), "{stderr}");
    assert!(out.stdout.is_empty());
    // The session survived it (its rotated refresh token was kept).
    let out = desktop.orgpass(&["api", "/projects"], None).await;
    assert_eq!(json_of(&out, "projects after the refusal")["org_id"], ACME);

    // The portal opens signed in to Acme, without the login page, and ends on an address without a token.
    let before = browser_log(&log).len();
    let out = desktop.orgpass(&["open", "portal"], None).await;
    assert_eq!(
        out.status.code(),
        Some(0),
        "open portal: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let visited = browser_log(&log)[before..].to_vec();
    let urls: Vec<&str> = visited.iter().filter_map(|e| e["url"].as_str()).collect();
    assert!(
        !urls.iter().any(|u| u.contains("/u/login")),
        "no login page: {urls:?}"
    );
    let done = visited.last().expect("the browser finished");
    assert_eq!(
        done["url"],
        portal.as_str(),
        "the portal's page has no token in its address: {done}"
    );
    assert_eq!(done["status"], 200);
    let text = done["text"].as_str().unwrap_or_default();
    assert!(text.contains("Signed in as Alice Anders, acme"), "{text}");
    assert!(text.contains("Rocket skates"), "Acme's projects: {text}");
    let all = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!all.contains("session_transfer_token"), "{all}");

    // A session transfer token used twice, or for another organization, leads to the login page. The test gets
    // one as the app would (the session's refresh token from the keychain), and keeps the rotated refresh token.
    let store = desktop.keychain();
    let meta = store
        .list()
        .expect("index")
        .into_iter()
        .find(|m| m.key.org_id.as_deref() == Some(ACME))
        .expect("acme");
    let mut session = store
        .load(&meta.key)
        .expect("keychain")
        .expect("the session");
    let host = tenant.issuer.host_str().expect("host");
    let port = tenant.issuer.port().expect("port");
    let answer: Value = http
        .post(format!("{issuer}oauth/token"))
        .form(&[
            ("grant_type", "refresh_token"),
            ("client_id", "orgpass-desktop"),
            (
                "refresh_token",
                session
                    .refresh_token
                    .as_ref()
                    .expect("refresh token")
                    .secret(),
            ),
            ("audience", &format!("urn:{host}:{port}:session_transfer")),
        ])
        .send()
        .await
        .expect("token endpoint")
        .json()
        .await
        .expect("JSON");
    assert_eq!(
        answer["issued_token_type"],
        orgpass::SESSION_TRANSFER_TOKEN_TYPE
    );
    assert_eq!(
        (answer["token_type"].clone(), answer["expires_in"].clone()),
        ("N_A".into(), 60.into())
    );
    session.refresh_token = Some(orgpass::Secret::new(
        answer["refresh_token"].as_str().expect("rotated"),
    ));
    store.save(&session).expect("saved");
    let stt = answer["access_token"]
        .as_str()
        .expect("a transfer token")
        .to_owned();
    let visit = |org: &'static str, token: String| {
        let log = log.clone();
        let portal = portal.clone();
        async move {
            let before = browser_log(&log).len();
            let mut url = url::Url::parse(&format!("{portal}login")).expect("url");
            url.query_pairs_mut()
                .append_pair("session_transfer_token", &token)
                .append_pair("organization", org);
            // Its exit status is not the point: a person at the login page who cannot sign in ends there.
            let _ = tokio::process::Command::new("node")
                .arg(crate::devtenant_cli::repo_root().join("tests/oidc-provider/browser.mjs"))
                .arg(url.as_str())
                .env("OP_BROWSER_LOG", &log)
                // A person who is asked to sign in gives up: the login page is where the browser stops.
                .env("OP_TEST_USER", "nobody@example.com")
                .env("OP_TEST_PASSWORD", "wrong")
                .status()
                .await
                .expect("node runs");
            browser_log(&log)[before..].to_vec()
        }
    };
    let logged_in = |visited: &[Value]| {
        !visited
            .iter()
            .any(|e| e["url"].as_str().is_some_and(|u| u.contains("/u/login")))
    };
    // For another organization: the login page (and the token is spent).
    assert!(
        !logged_in(&visit(GLOBEX, stt.clone()).await),
        "another organization: login page"
    );
    assert!(
        !logged_in(&visit(ACME, stt.clone()).await),
        "a spent token: login page"
    );
    // A fresh one works once, and only once.
    let out = desktop.orgpass(&["open", "portal"], None).await;
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let still = desktop
        .orgpass(&["api", "--api", "billing", "/invoices"], None)
        .await;
    assert_eq!(json_of(&still, "billing at the end")["org_id"], ACME);
}
