//! Tenant isolation: each organization's token sees and changes only that organization's projects.

use serde_json::json;

use crate::world::{ACME, ALICE, GLOBEX, READ, READ_WRITE, World};

const ACME_PROJECTS: [&str; 2] = ["Rocket skates", "Giant magnet"];
const GLOBEX_PROJECTS: [&str; 1] = ["Hammock district"];

#[tokio::test]
async fn an_acme_token_sees_exactly_acmes_projects() {
    let w = World::new().await;
    let acme = w.token(ALICE, ACME, READ);
    let reply = w.call("GET", "/projects", Some(&acme), None).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(reply.body["org_id"], ACME);
    assert_eq!(reply.names(), ACME_PROJECTS);
    let text = reply.body.to_string();
    for name in GLOBEX_PROJECTS {
        assert!(!text.contains(name), "globex's project leaked: {text}");
    }
    let reply = w
        .call("GET", &format!("/orgs/{ACME}/projects"), Some(&acme), None)
        .await;
    assert_eq!(
        (reply.status, reply.names()),
        (200, ACME_PROJECTS.map(String::from).to_vec())
    );

    // The same user signed in to globex sees globex's.
    let globex = w.token(ALICE, GLOBEX, READ);
    let reply = w.call("GET", "/projects", Some(&globex), None).await;
    assert_eq!(reply.names(), GLOBEX_PROJECTS);
}

#[tokio::test]
async fn another_organizations_route_is_forbidden_to_an_acme_token() {
    let w = World::new().await;
    let acme = w.token(ALICE, ACME, READ_WRITE);
    let reply = w
        .call(
            "GET",
            &format!("/orgs/{GLOBEX}/projects"),
            Some(&acme),
            None,
        )
        .await;
    assert_eq!(reply.status, 403, "{}", reply.body);
    let challenge = reply.challenge.unwrap();
    assert!(
        challenge.contains("error=\"insufficient_scope\""),
        "{challenge}"
    );
    assert_eq!(reply.body["check"], "org_mismatch");
    assert!(!reply.body.to_string().contains(GLOBEX_PROJECTS[0]));
}

#[tokio::test]
async fn creating_needs_write_projects_and_stays_in_the_callers_organization() {
    let w = World::new().await;
    let read_only = w.token(ALICE, ACME, READ);
    let reply = w
        .call(
            "POST",
            "/projects",
            Some(&read_only),
            Some(json!({"name": "Tornado seeds"})),
        )
        .await;
    assert_eq!(reply.status, 403, "{}", reply.body);
    let challenge = reply.challenge.unwrap();
    assert!(
        challenge.contains("error=\"insufficient_scope\""),
        "{challenge}"
    );
    assert!(
        challenge.ends_with("scope=\"write:projects\""),
        "{challenge}"
    );
    assert_eq!(reply.body["check"], "scope");
    // Reading is not gated by the write scope.
    assert_eq!(
        w.call("GET", "/projects", Some(&read_only), None)
            .await
            .names(),
        ACME_PROJECTS
    );

    let writer = w.token(ALICE, ACME, READ_WRITE);
    let reply = w
        .call(
            "POST",
            "/projects",
            Some(&writer),
            Some(json!({"name": "  Tornado seeds "})),
        )
        .await;
    assert_eq!(reply.status, 201, "{}", reply.body);
    assert_eq!(reply.body["name"], "Tornado seeds");
    assert_eq!(reply.body["owner"], ALICE);
    assert!(reply.body["id"].as_str().unwrap().starts_with("prj_"));

    let acme = w.call("GET", "/projects", Some(&writer), None).await;
    assert_eq!(
        acme.names(),
        ["Rocket skates", "Giant magnet", "Tornado seeds"]
    );
    let globex = w
        .call(
            "GET",
            "/projects",
            Some(&w.token(ALICE, GLOBEX, READ)),
            None,
        )
        .await;
    assert_eq!(globex.names(), GLOBEX_PROJECTS);
}

#[tokio::test]
async fn project_names_are_validated() {
    let w = World::new().await;
    let writer = w.token(ALICE, ACME, READ_WRITE);
    for body in [
        json!({"name": "   "}),
        json!({"name": "x".repeat(101)}),
        json!({"name": 7}),
        json!({"title": "x"}),
        json!({"name": "ok", "owner": "auth0|mallory"}),
    ] {
        let reply = w
            .call("POST", "/projects", Some(&writer), Some(body.clone()))
            .await;
        assert_eq!(reply.status, 400, "{body}: {}", reply.body);
        assert_eq!(reply.body["error"], "invalid_request", "{body}");
    }
    let reply = w
        .call(
            "POST",
            "/projects",
            Some(&writer),
            Some(json!({"name": "x".repeat(100)})),
        )
        .await;
    assert_eq!(reply.status, 201);
    assert_eq!(
        w.call("GET", "/projects", Some(&writer), None)
            .await
            .names()
            .len(),
        3
    );
}

#[tokio::test]
async fn me_and_refusals_without_a_token() {
    let w = World::new().await;
    let reply = w
        .call("GET", "/me", Some(&w.token(ALICE, GLOBEX, READ)), None)
        .await;
    assert_eq!(reply.status, 200);
    assert_eq!(
        reply.body,
        json!({
            "sub": ALICE, "caller": "person", "client_id": null, "org_id": GLOBEX, "org_name": "globex",
            "scopes": ["email", "offline_access", "openid", "profile", "read:projects"],
            "permissions": [],
        })
    );
    for path in ["/me", "/projects", &format!("/orgs/{ACME}/projects")] {
        let reply = w.call("GET", path, None, None).await;
        assert_eq!(reply.status, 401, "{path}");
        assert_eq!(
            reply.challenge.as_deref(),
            Some("Bearer realm=\"https://api.orgpass.example/\"")
        );
    }
}

#[test]
fn the_demo_organizations_are_devtenants() {
    let seed = devtenant::Seed::demo();
    let seeded: Vec<(String, String)> = seed
        .organizations
        .iter()
        .map(|o| (o.id.clone(), o.name.clone()))
        .collect();
    let ours: Vec<(String, String)> = demo_api::store::DEMO_ORGS
        .iter()
        .map(|(i, n)| (i.to_string(), n.to_string()))
        .collect();
    assert_eq!(seeded, ours);
    assert!(
        seed.apis
            .iter()
            .any(|a| a.identifier == demo_api::DEMO_AUDIENCE)
    );
}
