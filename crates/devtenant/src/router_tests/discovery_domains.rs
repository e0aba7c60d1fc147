//! The Management API's discovery domains: the seed's as Auth0 shows them, create/get/patch/delete with the TXT
//! challenge, and the bad-input table in Auth0's error shape.

use super::*;

/// The demo tenant without rate limits: these tables send more than the `other` group's burst.
fn unlimited() -> AppState {
    let mut seed = Seed::demo();
    seed.tenant.rate_limits = crate::ratelimit::RateLimitConfig::off();
    state_with(seed)
}

const SCOPES: &str = "read:organization_discovery_domains create:organization_discovery_domains update:organization_discovery_domains delete:organization_discovery_domains";

#[tokio::test]
async fn discovery_domains_crud_with_auth0_shapes() {
    let state = unlimited();
    let m = Mgmt::with_scopes(&state, SCOPES);
    let base = format!("/organizations/{ACME}/discovery-domains");
    let seeded = m.get(&format!("{base}?take=50")).await.json();
    let domains: Vec<&str> = seeded["domains"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["domain"].as_str().unwrap())
        .collect();
    assert_eq!(domains, ["acme.example", "example.com"]);

    let created = m
        .post(&base, r#"{"domain":"Acme-Corp.Example"}"#)
        .await
        .expect(StatusCode::CREATED);
    let id = created["id"].as_str().unwrap().to_owned();
    assert!(id.starts_with("ordd_") && id.len() == 21, "{id}");
    assert_eq!(
        (
            &created["domain"],
            &created["status"],
            &created["use_for_organization_discovery"],
            &created["verification_host"],
        ),
        (
            &json!("acme-corp.example"),
            &json!("pending"),
            &json!(false),
            &json!("_auth0-challenge.acme-corp.example"),
        )
    );
    assert!(
        created["verification_txt"]
            .as_str()
            .unwrap()
            .starts_with("auth0-domain-verification=")
    );
    assert_eq!(m.get(&format!("{base}/{id}")).await.json(), created);

    let patched = m
        .patch(
            &format!("{base}/{id}"),
            r#"{"status":"verified","use_for_organization_discovery":true}"#,
        )
        .await
        .expect(StatusCode::OK);
    assert_eq!(
        (
            &patched["status"],
            &patched["use_for_organization_discovery"]
        ),
        (&json!("verified"), &json!(true))
    );
    // Now the email step finds acme by it.
    assert_eq!(
        state
            .lock()
            .store
            .orgs_for_domain("acme-corp.example")
            .iter()
            .map(|o| o.name.as_str())
            .collect::<Vec<_>>(),
        ["acme"]
    );
    let plain = m.get(&base).await.json();
    assert_eq!(
        plain.as_array().unwrap().len(),
        3,
        "offset paging: a bare array"
    );

    assert_eq!(
        m.delete(&format!("{base}/{id}")).await.status,
        StatusCode::NO_CONTENT
    );
    let gone = m.get(&format!("{base}/{id}")).await;
    assert_eq!(
        gone.json(),
        json!({"statusCode": 404, "error": "Not Found", "message": "The discovery domain does not exist for this organization.", "errorCode": "inexistent_discovery_domain"})
    );
}

/// A mistake: its name, the request (method, path, body) and Auth0's answer (status, error code, message; an empty
/// message is not checked).
type Row<'a> = (
    &'a str,
    Method,
    String,
    Option<&'a str>,
    StatusCode,
    &'a str,
    String,
);

/// One row per mistake: the status and Auth0's error body.
#[tokio::test]
async fn discovery_domain_bad_input_table() {
    let state = unlimited();
    let m = Mgmt::with_scopes(&state, SCOPES);
    let base = format!("/organizations/{ACME}/discovery-domains");
    let existing = m.get(&format!("{base}?take=1")).await.json()["domains"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let one = format!("{base}/{existing}");
    let payload = |m: &str| format!("Payload validation error: {m}");
    #[rustfmt::skip]
    let rows: Vec<Row> = vec![
        ("not a hostname", Method::POST, base.clone(), Some(r#"{"domain":"a_b.example"}"#), StatusCode::BAD_REQUEST, "invalid_body",
            payload("'Object didn't pass validation for format hostname: a_b.example' on property domain.")),
        ("empty label", Method::POST, base.clone(), Some(r#"{"domain":"a..example"}"#), StatusCode::BAD_REQUEST, "invalid_body",
            payload("'Object didn't pass validation for format hostname: a..example' on property domain.")),
        ("unknown status", Method::POST, base.clone(), Some(r#"{"domain":"b.example","status":"done"}"#), StatusCode::BAD_REQUEST, "invalid_body",
            payload("'No enum match for: \"done\"' on property status.")),
        ("no domain", Method::POST, base.clone(), Some(r#"{"status":"pending"}"#), StatusCode::BAD_REQUEST, "invalid_body", String::new()),
        ("extra property", Method::POST, base.clone(), Some(r#"{"domain":"b.example","verification_txt":"x"}"#), StatusCode::BAD_REQUEST, "invalid_body", String::new()),
        ("duplicate, any case", Method::POST, base.clone(), Some(r#"{"domain":"ACME.example"}"#), StatusCode::CONFLICT, "conflict",
            "The domain acme.example is already a discovery domain of this organization.".into()),
        ("domain is not patchable", Method::PATCH, one.clone(), Some(r#"{"domain":"c.example"}"#), StatusCode::BAD_REQUEST, "invalid_body", String::new()),
        ("patch to unknown status", Method::PATCH, one.clone(), Some(r#"{"status":"done"}"#), StatusCode::BAD_REQUEST, "invalid_body",
            payload("'No enum match for: \"done\"' on property status.")),
        ("unknown organization", Method::GET, "/organizations/org_0000000000000000/discovery-domains".into(), None, StatusCode::NOT_FOUND, "inexistent_organization",
            "No organization found by that id or name".into()),
        ("unknown domain id", Method::DELETE, format!("{base}/ordd_0000000000000000"), None, StatusCode::NOT_FOUND, "inexistent_discovery_domain",
            "The discovery domain does not exist for this organization.".into()),
    ];
    for (name, method, path, body, status, code, message) in rows {
        let r = m.call(method, &path, body).await;
        let v = r.json();
        assert_eq!(
            (r.status, v["errorCode"].as_str()),
            (status, Some(code)),
            "{name}: {v}"
        );
        assert_eq!(v["statusCode"], status.as_u16(), "{name}");
        if !message.is_empty() {
            assert_eq!(v["message"], message, "{name}");
        }
    }
    // Nothing above changed the organization's domains.
    let after = m.get(&format!("{base}?take=50")).await.json();
    assert_eq!(after["domains"].as_array().unwrap().len(), 2);

    let read_only = Mgmt::with_scopes(&state, "read:organization_discovery_domains");
    let r = read_only.post(&base, r#"{"domain":"d.example"}"#).await;
    assert_eq!(
        r.json(),
        json!({"statusCode": 403, "error": "Forbidden", "message": "Insufficient scope, expected any of: create:organization_discovery_domains", "errorCode": "insufficient_scope"})
    );
}
