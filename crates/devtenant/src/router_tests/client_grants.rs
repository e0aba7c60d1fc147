//! The Management API's client grants and their organizations: the seed's grant as Auth0 shows it, create (409 for
//! a second grant of a client on an API), filters, update, delete (ending its associations), the association rules
//! (only allow/require grants, 409 for an existing one, 404s) and the bad-input table.

use super::*;

/// The demo tenant without rate limits: these tests send more than the `other` group's burst.
fn unlimited() -> AppState {
    let mut seed = Seed::demo();
    seed.tenant.rate_limits = crate::ratelimit::RateLimitConfig::off();
    state_with(seed)
}

const SCOPES: &str = "read:client_grants create:client_grants update:client_grants delete:client_grants read:organization_client_grants create:organization_client_grants delete:organization_client_grants";
const API: &str = "https://api.orgpass.example/";
const BILLING: &str = "https://billing.orgpass.example/";

fn seeded_grant() -> Value {
    json!({
        "id": crate::DEMO_INGEST_GRANT_ID,
        "client_id": crate::DEMO_INGEST_CLIENT_ID,
        "audience": API,
        "scope": ["read:projects"],
        "organization_usage": "require",
    })
}

#[tokio::test]
async fn client_grants_crud_with_auth0_shapes_and_one_grant_per_client_and_api() {
    let m = Mgmt::with_scopes(&unlimited(), SCOPES);
    assert_eq!(
        m.get("/client-grants").await.expect(StatusCode::OK),
        json!([seeded_grant()])
    );

    let body = format!(
        r#"{{"client_id":"orgpass-ingest","audience":"{BILLING}","scope":["read:invoices"]}}"#
    );
    let created = m
        .post("/client-grants", &body)
        .await
        .expect(StatusCode::CREATED);
    let id = created["id"].as_str().unwrap().to_owned();
    assert!(id.starts_with("cgr_") && id.len() == 20, "{id}");
    assert_eq!(
        created,
        json!({ "id": id, "client_id": "orgpass-ingest", "audience": BILLING, "scope": ["read:invoices"] })
    );
    let again = m
        .post("/client-grants", &body)
        .await
        .expect(StatusCode::CONFLICT);
    assert_eq!(
        again["message"],
        format!(
            "A client grant for client orgpass-ingest and audience {BILLING} already exists; update that one instead"
        )
    );

    let by_audience = m
        .get(&format!("/client-grants?audience={BILLING}"))
        .await
        .json();
    assert_eq!(by_audience, json!([created]));
    let by_client = m
        .get("/client-grants?client_id=orgpass-ingest&include_totals=true&per_page=1")
        .await
        .json();
    assert_eq!(
        by_client,
        json!({ "client_grants": [seeded_grant()], "start": 0, "limit": 1, "total": 2 })
    );
    assert_eq!(
        m.get("/client-grants?client_id=orgpass-desktop")
            .await
            .json(),
        json!([])
    );
    assert_eq!(
        m.get("/client-grants?allow_any_organization=true")
            .await
            .json(),
        json!([])
    );

    let patched = m
        .patch(
            &format!("/client-grants/{id}"),
            r#"{"scope":[],"organization_usage":"allow","allow_any_organization":true}"#,
        )
        .await
        .expect(StatusCode::OK);
    assert_eq!(
        patched,
        json!({ "id": id, "client_id": "orgpass-ingest", "audience": BILLING, "scope": [],
                "organization_usage": "allow", "allow_any_organization": true })
    );
    assert_eq!(
        m.get("/client-grants?allow_any_organization=true")
            .await
            .json(),
        json!([patched])
    );

    assert_eq!(
        m.delete(&format!("/client-grants/{id}")).await.status,
        StatusCode::NO_CONTENT
    );
    let gone = m
        .delete(&format!("/client-grants/{id}"))
        .await
        .expect(StatusCode::NOT_FOUND);
    assert_eq!(
        gone["message"],
        format!("No client grant found with id {id}")
    );
    assert_eq!(
        m.get("/client-grants").await.json(),
        json!([seeded_grant()])
    );
}

#[tokio::test]
async fn bad_client_grant_requests_are_refused_in_auth0_shape() {
    let state = unlimited();
    let m = Mgmt::with_scopes(&state, SCOPES);
    let mgmt_api = format!("{ISSUER}api/v2/");
    let grant = format!("/client-grants/{}", crate::DEMO_INGEST_GRANT_ID);
    #[rustfmt::skip]
    let rows: Vec<(Method, String, String, StatusCode, &str)> = vec![
        (Method::POST, "/client-grants".into(), r#"{"client_id":"nobody","audience":"https://api.orgpass.example/"}"#.into(), StatusCode::NOT_FOUND, "No client found with id nobody"),
        (Method::POST, "/client-grants".into(), r#"{"client_id":"orgpass-ingest","audience":"https://nope.example/"}"#.into(), StatusCode::NOT_FOUND, "No resource server found with identifier https://nope.example/"),
        (Method::POST, "/client-grants".into(), format!(r#"{{"client_id":"orgpass-ingest","audience":"{mgmt_api}"}}"#), StatusCode::BAD_REQUEST, "devtenant keeps grants on the Management API in the seed (the client's management_api_scopes); grant another API here"),
        (Method::POST, "/client-grants".into(), r#"{"client_id":"orgpass-ingest","audience":"https://billing.orgpass.example/","scope":["read:projects"]}"#.into(), StatusCode::BAD_REQUEST, "Payload validation error: 'read:projects is not a scope of https://billing.orgpass.example/; its scopes are read:invoices' on property scope."),
        (Method::POST, "/client-grants".into(), r#"{"client_id":"orgpass-ingest","audience":"https://billing.orgpass.example/","organization_usage":"sometimes"}"#.into(), StatusCode::BAD_REQUEST, "Payload validation error: 'No enum match for: \"sometimes\"' on property organization_usage."),
        (Method::PATCH, grant.clone(), r#"{"audience":"https://billing.orgpass.example/"}"#.into(), StatusCode::BAD_REQUEST, "Payload validation error: audience: unknown field `audience`, expected one of `scope`, `organization_usage`, `allow_any_organization` at line 1 column 11"),
        (Method::PATCH, grant.clone(), r#"{"scope":["write:invoices"]}"#.into(), StatusCode::BAD_REQUEST, "Payload validation error: 'write:invoices is not a scope of https://api.orgpass.example/; its scopes are read:projects, write:projects' on property scope."),
        (Method::PATCH, "/client-grants/cgr_nope".into(), r#"{"scope":[]}"#.into(), StatusCode::NOT_FOUND, "No client grant found with id cgr_nope"),
    ];
    for (method, path, body, status, message) in rows {
        let r = m.call(method.clone(), &path, Some(&body)).await;
        assert_eq!(
            (r.status, r.json()["message"].as_str().unwrap().to_owned()),
            (status, message.to_owned()),
            "{method} {path} {body}"
        );
    }
    let reader = Mgmt::with_scopes(&state, "read:client_grants");
    let r = reader.delete(&grant).await.expect(StatusCode::FORBIDDEN);
    assert_eq!(
        r["message"],
        "Insufficient scope, expected any of: delete:client_grants"
    );
    assert_eq!(
        m.get("/client-grants").await.json(),
        json!([seeded_grant()]),
        "nothing changed"
    );
}

#[tokio::test]
async fn organization_client_grants_take_allow_and_require_grants_once() {
    let m = Mgmt::with_scopes(&unlimited(), SCOPES);
    let acme = format!("/organizations/{ACME}/client-grants");
    let globex = format!("/organizations/{GLOBEX}/client-grants");
    assert_eq!(
        m.get(&acme).await.expect(StatusCode::OK),
        json!([seeded_grant()])
    );
    assert_eq!(m.get(&globex).await.json(), json!([]));

    let body = format!(r#"{{"grant_id":"{}"}}"#, crate::DEMO_INGEST_GRANT_ID);
    assert_eq!(
        m.post(&globex, &body).await.expect(StatusCode::CREATED),
        seeded_grant()
    );
    let twice = m.post(&globex, &body).await.expect(StatusCode::CONFLICT);
    assert_eq!(
        twice["message"],
        format!(
            "Client grant {} is already associated with organization {GLOBEX}",
            crate::DEMO_INGEST_GRANT_ID
        )
    );
    assert_eq!(
        m.get(&format!("{globex}?include_totals=true")).await.json(),
        json!({ "client_grants": [seeded_grant()], "start": 0, "limit": 50, "total": 1 })
    );
    assert_eq!(
        m.get(&format!("{globex}?audience={BILLING}")).await.json(),
        json!([])
    );
    assert_eq!(
        m.get(&format!("{globex}?client_id=orgpass-admin"))
            .await
            .json(),
        json!([])
    );
    assert_eq!(
        m.get(&format!(
            "{globex}?grant_ids=cgr_x,{}",
            crate::DEMO_INGEST_GRANT_ID
        ))
        .await
        .json(),
        json!([seeded_grant()])
    );

    // A grant without organization_usage (deny) cannot be associated.
    let deny = m
        .post("/client-grants", &format!(r#"{{"client_id":"orgpass-ingest","audience":"{BILLING}","scope":["read:invoices"]}}"#))
        .await
        .json();
    let deny_id = deny["id"].as_str().unwrap();
    let refused = m
        .post(&acme, &format!(r#"{{"grant_id":"{deny_id}"}}"#))
        .await
        .expect(StatusCode::BAD_REQUEST);
    assert_eq!(
        refused["message"],
        format!(
            "Client grant {deny_id} cannot be associated with an organization: its organization_usage is deny; set it to allow or require first (PATCH /api/v2/client-grants/{deny_id})"
        )
    );
    let unknown = m
        .post(&acme, r#"{"grant_id":"cgr_nope"}"#)
        .await
        .expect(StatusCode::NOT_FOUND);
    assert_eq!(unknown["message"], "No client grant found with id cgr_nope");
    let no_org = m
        .post("/organizations/org_nope/client-grants", &body)
        .await
        .expect(StatusCode::NOT_FOUND);
    assert_eq!(no_org["errorCode"], "inexistent_organization");

    let one = format!("{globex}/{}", crate::DEMO_INGEST_GRANT_ID);
    assert_eq!(m.delete(&one).await.status, StatusCode::NO_CONTENT);
    let not_there = m.delete(&one).await.expect(StatusCode::NOT_FOUND);
    assert_eq!(
        not_there["message"],
        format!(
            "Client grant {} is not associated with organization {GLOBEX}",
            crate::DEMO_INGEST_GRANT_ID
        )
    );
    assert_eq!(m.get(&globex).await.json(), json!([]));

    // Deleting the grant ends its associations.
    let grant = format!("/client-grants/{}", crate::DEMO_INGEST_GRANT_ID);
    assert_eq!(m.delete(&grant).await.status, StatusCode::NO_CONTENT);
    assert_eq!(m.get(&acme).await.json(), json!([]));
}
