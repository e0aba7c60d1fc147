//! The Management API's applications: the list, the organization prompt settings and the refresh-token rotation
//! overlap (`refresh_token.leeway`), with the bad-input table in Auth0's error shape.

use super::*;

/// The demo tenant without rate limits: these tables send more than the `other` group's burst.
fn unlimited() -> AppState {
    let mut seed = Seed::demo();
    seed.tenant.rate_limits = crate::ratelimit::RateLimitConfig::off();
    state_with(seed)
}

#[tokio::test]
async fn clients_list_and_prompt_and_leeway_settings() {
    let state = unlimited();
    let m = Mgmt::with_scopes(&state, "read:clients update:clients");
    let list = m.get("/clients").await.json();
    let ids: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["client_id"].as_str().unwrap())
        .collect();
    assert!(
        ids.contains(&NATIVE) && ids.contains(&"orgpass-admin"),
        "{ids:?}"
    );
    let page = m
        .get("/clients?include_totals=true&per_page=1")
        .await
        .json();
    assert_eq!(page["clients"].as_array().unwrap().len(), 1);
    assert_eq!(page["total"], ids.len());

    let client = m.get(&format!("/clients/{NATIVE}")).await.json();
    assert_eq!(
        client["refresh_token"],
        json!({"rotation_type": "rotating", "expiration_type": "expiring", "leeway": 0,
               "policies": [{"audience": "https://billing.orgpass.example/", "scope": ["read:invoices"]}]})
    );
    assert_eq!(
        client["session_transfer"],
        json!({"can_create_session_transfer_token": true, "allowed_authentication_methods": []})
    );
    let patched = m
        .patch(
            &format!("/clients/{NATIVE}"),
            r#"{"organization_require_behavior":"pre_login_prompt","organization_discovery_methods":["email","organization_name"],"refresh_token":{"rotation_type":"rotating","expiration_type":"expiring","leeway":15}}"#,
        )
        .await
        .expect(StatusCode::OK);
    assert_eq!(
        (
            &patched["organization_require_behavior"],
            &patched["organization_discovery_methods"],
            &patched["refresh_token"]["leeway"],
        ),
        (
            &json!("pre_login_prompt"),
            &json!(["email", "organization_name"]),
            &json!(15)
        )
    );
    assert_eq!(m.get(&format!("/clients/{NATIVE}")).await.json(), patched);
    // A refresh_token without `policies` leaves them; one with them replaces them (what orgpass-admin sends back
    // when it changes only the leeway: the whole object it read).
    assert_eq!(
        patched["refresh_token"]["policies"][0]["audience"],
        "https://billing.orgpass.example/"
    );
    let cleared = m
        .patch(
            &format!("/clients/{NATIVE}"),
            r#"{"refresh_token":{"rotation_type":"rotating","expiration_type":"expiring","leeway":15,"policies":[]}}"#,
        )
        .await
        .expect(StatusCode::OK);
    assert_eq!(cleared["refresh_token"]["policies"], json!([]));
}

/// One row per mistake: the status and Auth0's error body; nothing is changed by any of them.
#[tokio::test]
async fn client_settings_bad_input_table() {
    let state = unlimited();
    let m = Mgmt::with_scopes(&state, "read:clients update:clients");
    let path = format!("/clients/{NATIVE}");
    let before = m.get(&path).await.json();
    let payload = |m: &str| format!("Payload validation error: {m}");
    #[rustfmt::skip]
    let rows: Vec<(&str, &str, StatusCode, &str, String)> = vec![
        ("unknown prompt", r#"{"organization_require_behavior":"always"}"#, StatusCode::BAD_REQUEST, "invalid_body",
            payload("'No enum match for: \"always\"' on property organization_require_behavior.")),
        ("no discovery method", r#"{"organization_discovery_methods":[]}"#, StatusCode::BAD_REQUEST, "invalid_body",
            payload("'Array is too short (0), minimum 1' on property organization_discovery_methods.")),
        ("unknown discovery method", r#"{"organization_discovery_methods":["phone"]}"#, StatusCode::BAD_REQUEST, "invalid_body",
            payload("'No enum match for: \"phone\"' on property organization_discovery_methods.")),
        ("leeway without the types", r#"{"refresh_token":{"leeway":10}}"#, StatusCode::BAD_REQUEST, "invalid_body", String::new()),
        ("negative leeway", r#"{"refresh_token":{"rotation_type":"rotating","expiration_type":"expiring","leeway":-1}}"#, StatusCode::BAD_REQUEST, "invalid_body",
            payload("'Value must be between 0 and 86400 seconds' on property refresh_token.leeway.")),
        ("leeway over a day", r#"{"refresh_token":{"rotation_type":"rotating","expiration_type":"expiring","leeway":86401}}"#, StatusCode::BAD_REQUEST, "invalid_body",
            payload("'Value must be between 0 and 86400 seconds' on property refresh_token.leeway.")),
        ("rotation off is not emulated", r#"{"refresh_token":{"rotation_type":"non-rotating","expiration_type":"expiring"}}"#, StatusCode::BAD_REQUEST, "invalid_body",
            payload("'No enum match for: \"non-rotating\"' on property refresh_token.rotation_type.")),
        ("unknown refresh_token field", r#"{"refresh_token":{"rotation_type":"rotating","expiration_type":"expiring","reuse":true}}"#, StatusCode::BAD_REQUEST, "invalid_body", String::new()),
    ];
    for (name, body, status, code, message) in rows {
        let r = m.patch(&path, body).await;
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
    assert_eq!(m.get(&path).await.json(), before);
    let missing = m.get("/clients/nope").await;
    assert_eq!(
        missing.json(),
        json!({"statusCode": 404, "error": "Not Found", "message": "The client does not exist", "errorCode": "inexistent_client"})
    );
}
