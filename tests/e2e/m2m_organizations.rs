//! Machine-to-machine access per organization, end to end: the demo's ingest application (a client grant on the
//! company API that requires an organization, associated with Acme only) gets a client-credentials token for Acme
//! from devtenant, and demo-api behind orgpass-guard serves it Acme's projects and nothing of another
//! organization's; a token for an organization the grant is not associated with is refused at the token endpoint.

use demo_api::DEMO_AUDIENCE;
use devtenant::{Seed, SpawnOptions};
use serde_json::{Value, json};

use crate::api::spawn_api;

const ACME: &str = "org_AcmeA1b2C3d4E5f6";
const GLOBEX: &str = "org_GlobexG7h8I9j0K1";

/// `POST /oauth/token` with client credentials for the ingest application: the status and the body.
async fn ingest_token(issuer: &str, organization: &str) -> (u16, Value) {
    let r = reqwest::Client::new()
        .post(format!("{issuer}oauth/token"))
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", devtenant::DEMO_INGEST_CLIENT_ID),
            ("client_secret", devtenant::DEMO_INGEST_CLIENT_SECRET),
            ("audience", DEMO_AUDIENCE),
            ("organization", organization),
        ])
        .send()
        .await
        .expect("token endpoint answers");
    (r.status().as_u16(), r.json().await.expect("JSON"))
}

async fn get(api: &str, path: &str, token: &str) -> (u16, Value) {
    let r = reqwest::Client::new()
        .get(format!("{api}{}", path.trim_start_matches('/')))
        .bearer_auth(token)
        .send()
        .await
        .expect("demo-api answers");
    (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
}

#[tokio::test(flavor = "multi_thread")]
async fn the_ingest_app_reads_acmes_projects_and_gets_no_token_for_globex() {
    let tenant = devtenant::spawn(Seed::demo(), SpawnOptions::default())
        .await
        .expect("devtenant starts");
    let issuer = tenant.issuer.as_str();
    let api = spawn_api(issuer, None).await;

    let (status, body) = ingest_token(issuer, "acme").await;
    assert_eq!(status, 200, "{body}");
    let token = body["access_token"].as_str().expect("access token");

    let (status, me) = get(&api, "/me", token).await;
    assert_eq!(status, 200, "{me}");
    assert_eq!(
        (
            &me["caller"],
            &me["client_id"],
            &me["org_id"],
            &me["org_name"],
            &me["scopes"]
        ),
        (
            &json!("machine"),
            &json!("orgpass-ingest"),
            &json!(ACME),
            &json!("acme"),
            &json!(["read:projects"])
        )
    );
    let (status, projects) = get(&api, "/projects", token).await;
    assert_eq!(status, 200, "{projects}");
    assert_eq!(projects["org_id"], ACME);
    let mut names: Vec<&str> = projects["projects"]
        .as_array()
        .expect("projects")
        .iter()
        .filter_map(|p| p["name"].as_str())
        .collect();
    names.sort();
    assert_eq!(names, ["Giant magnet", "Rocket skates"]);
    // Acme's token names no other organization's data.
    let (status, _) = get(&api, &format!("/orgs/{GLOBEX}/projects"), token).await;
    assert_eq!(status, 403);

    // Globex never associated the grant: no token for it at all.
    let (status, body) = ingest_token(issuer, GLOBEX).await;
    assert_eq!(
        (status, &body["error"]),
        (403, &json!("access_denied")),
        "{body}"
    );
}
