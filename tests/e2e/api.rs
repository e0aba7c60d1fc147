//! The session put to use: `orgpass api` calls the company's API (demo-api behind orgpass-guard) with the
//! signed-in organization's access token, and the API serves only that organization's data. Real parts end to
//! end: devtenant's login form, the Secret Service, the CLI binary, the guard fetching devtenant's JWKS over HTTP.

use std::process::Output;

use demo_api::{AppState, DEMO_AUDIENCE};
use devtenant::{Seed, SpawnOptions};
use orgpass_guard::{Guard, GuardConfig};
use serde_json::Value;

use crate::devtenant_cli::{Desktop, require_keychain};

const ACME: &str = "org_AcmeA1b2C3d4E5f6";
const GLOBEX: &str = "org_GlobexG7h8I9j0K1";

/// demo-api on a loopback port, trusting `issuer` (whose certificate `ca` issued, for an HTTPS issuer); its base
/// URL.
pub(crate) async fn spawn_api(issuer: &str, ca: Option<orgpass::CaBundle>) -> String {
    spawn_api_for(issuer, DEMO_AUDIENCE, ca).await
}

/// [`spawn_api`] for another API identifier (the demo's billing API).
pub(crate) async fn spawn_api_for(
    issuer: &str,
    audience: &str,
    ca: Option<orgpass::CaBundle>,
) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind loopback");
    let addr = listener.local_addr().expect("local addr");
    // As demo-api runs by default: bearer tokens, and DPoP-bound ones with their proofs for this address.
    let mut config = GuardConfig::new(issuer, audience)
        .expect("guard config")
        .with_dpop(orgpass_guard::DpopMode::Allowed, &format!("http://{addr}"))
        .expect("external origin");
    if let Some(ca) = ca {
        config = config.with_ca(ca);
    }
    let guard = Guard::new(config).expect("guard");
    let app = demo_api::app(AppState::demo(guard));
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("http://{addr}/")
}

/// A machine whose settings point at the API, with the scopes the API defines.
fn desktop(issuer: &str, api: &str, scope: &str) -> Desktop {
    Desktop::new(issuer)
        .with_env("ORGPASS_AUDIENCE", DEMO_AUDIENCE)
        .with_env("ORGPASS_SCOPE", scope)
        .with_env("ORGPASS_API_URL", api)
}

fn stdout_json(out: &Output, what: &str) -> Value {
    assert_eq!(
        out.status.code(),
        Some(0),
        "{what}: stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "{what}: stdout is not JSON ({e}): {}",
            String::from_utf8_lossy(&out.stdout)
        )
    })
}

/// The stderr of a run that must have exited with `code`.
fn exited_with(out: &Output, code: i32) -> String {
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(code), "stderr: {stderr}");
    stderr
}

/// `orgpass api ARGS` on `desktop`, which must exit 0 and print JSON.
async fn api_json(desktop: &Desktop, args: &[&str]) -> Value {
    let mut argv = vec!["api"];
    argv.extend_from_slice(args);
    stdout_json(&desktop.orgpass(&argv, None).await, &argv.join(" "))
}

fn project_names(listing: &Value) -> Vec<String> {
    let mut names: Vec<String> = listing["projects"]
        .as_array()
        .expect("projects array")
        .iter()
        .map(|p| p["name"].as_str().expect("name").to_owned())
        .collect();
    names.sort();
    names
}

#[tokio::test(flavor = "multi_thread")]
async fn the_api_sees_only_the_signed_in_organization() {
    require_keychain();
    let tenant = devtenant::spawn(Seed::demo(), SpawnOptions::default())
        .await
        .expect("devtenant starts");
    let issuer = tenant.issuer.as_str();
    let api = spawn_api(issuer, None).await;
    let scope = "openid profile email offline_access read:projects write:projects";
    let desktop = desktop(issuer, &api, scope);
    desktop
        .login("acme", "alice@example.com", "Alice-pass-1")
        .await;
    desktop
        .login("globex", "alice@example.com", "Alice-pass-1")
        .await;

    // Who the API thinks is calling: the organization and scopes come from the verified token.
    let me = api_json(&desktop, &["/me", "--org", "acme"]).await;
    assert_eq!(me["org_id"], ACME);
    assert_eq!(me["org_name"], "acme");
    let scopes: Vec<&str> = me["scopes"]
        .as_array()
        .expect("scopes")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert!(
        scopes.contains(&"read:projects") && scopes.contains(&"write:projects"),
        "{me}"
    );

    // The same person, two organizations, two disjoint sets of projects.
    let acme = api_json(&desktop, &["projects", "--org", "acme"]).await;
    assert_eq!(acme["org_id"], ACME);
    assert_eq!(project_names(&acme), ["Giant magnet", "Rocket skates"]);
    let globex = api_json(&desktop, &["/projects", "--org", GLOBEX]).await;
    assert_eq!(globex["org_id"], GLOBEX);
    assert_eq!(project_names(&globex), ["Hammock district"]);

    // Naming the other organization in the path with acme's token: refused by the API, exit 1, a sentence.
    let out = desktop
        .orgpass(
            &["api", &format!("/orgs/{GLOBEX}/projects"), "--org", "acme"],
            None,
        )
        .await;
    let stderr = exited_with(&out, 1);
    assert!(stderr.contains("403 Forbidden"), "{stderr}");
    assert!(stderr.contains(&format!("organization {ACME}")), "{stderr}");
    assert!(!String::from_utf8_lossy(&out.stdout).contains("Hammock"));
    // …while its own organization's path is served.
    let own = api_json(
        &desktop,
        &[&format!("/orgs/{ACME}/projects"), "--org", "acme"],
    )
    .await;
    assert_eq!(project_names(&own), ["Giant magnet", "Rocket skates"]);

    // A write lands in the caller's organization only.
    let created = api_json(
        &desktop,
        &[
            "projects",
            "-X",
            "POST",
            "-d",
            r#"{"name":"Earthquake pills"}"#,
            "--org",
            "acme",
        ],
    )
    .await;
    assert_eq!(created["name"], "Earthquake pills");
    let acme = api_json(&desktop, &["projects", "--org", "acme"]).await;
    assert_eq!(
        project_names(&acme),
        ["Earthquake pills", "Giant magnet", "Rocket skates"]
    );
    let globex = api_json(&desktop, &["projects", "--org", "globex"]).await;
    assert_eq!(project_names(&globex), ["Hammock district"]);

    // The token never leaves the configured API, and never goes to another audience.
    let out = desktop
        .orgpass(
            &["api", &format!("{issuer}userinfo"), "--org", "acme"],
            None,
        )
        .await;
    exited_with(&out, 2);
    assert!(out.stdout.is_empty());
    let out = desktop
        .orgpass(
            &[
                "token",
                "--org",
                "acme",
                "--audience",
                "https://other.example/",
            ],
            None,
        )
        .await;
    // The tenant answers a refresh for an API it does not let this application reach with a token for the
    // sign-in's API; that one is not handed out as the other's.
    exited_with(&out, 3);
    assert!(
        out.stdout.is_empty(),
        "no token printed for another audience"
    );
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .contains("the tenant's token for https://other.example/ was not used: it was issued for another API"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_session_without_the_write_scope_is_refused_writes_with_the_reason() {
    require_keychain();
    let tenant = devtenant::spawn(Seed::demo(), SpawnOptions::default())
        .await
        .expect("devtenant starts");
    let issuer = tenant.issuer.as_str();
    let api = spawn_api(issuer, None).await;
    let desktop = desktop(
        issuer,
        &api,
        "openid profile email offline_access read:projects",
    );
    desktop.login("acme", "bob@example.com", "Bob-pass-1").await;

    let out = desktop
        .orgpass(
            &["api", "projects", "-X", "POST", "-d", r#"{"name":"Nope"}"#],
            None,
        )
        .await;
    let stderr = exited_with(&out, 1);
    assert!(stderr.contains("403 Forbidden"), "{stderr}");
    assert!(stderr.contains("write:projects"), "{stderr}");
    let listing = api_json(&desktop, &["projects"]).await;
    assert_eq!(project_names(&listing), ["Giant magnet", "Rocket skates"]);
}
