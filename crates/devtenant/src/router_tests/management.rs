//! The Management API: organizations and their paging, enabled connections, members, invitations, connections,
//! clients and tenant settings, the bad-input table, and tokens for other audiences or issuers.

use super::*;

#[tokio::test]
async fn organizations_crud_with_auth0_shapes() {
    let state = state();
    let m = Mgmt::with_scopes(
        &state,
        "create:organizations read:organizations update:organizations delete:organizations",
    );
    let org = m.post("/organizations", r##"{"name":"hooli","display_name":"Hooli","branding":{"logo_url":"https://hooli.example/logo.png","colors":{"primary":"#123456","page_background":"#abcdef"}},"metadata":{"tier":"free"}}"##)
    .await
    .expect(StatusCode::CREATED);
    let id = org["id"].as_str().unwrap().to_owned();
    assert!(id.starts_with("org_") && id.len() == 20);
    assert_eq!(org["branding"]["colors"]["primary"], "#123456");
    let dup = m.post("/organizations", r#"{"name":"hooli"}"#).await;
    assert_eq!(dup.status, StatusCode::CONFLICT);
    assert_eq!(
        dup.json(),
        json!({"statusCode": 409, "error": "Conflict", "message": "An organization with this name already exists.", "errorCode": "organization_conflict"})
    );
    let by_name = m.get("/organizations/name/hooli").await.json();
    assert_eq!(by_name["id"], id);
    let patched = m
        .patch(
            &format!("/organizations/{id}"),
            r#"{"display_name":"Hooli XYZ","branding":null}"#,
        )
        .await;
    assert_eq!(patched.json()["display_name"], "Hooli XYZ");
    assert!(patched.json().get("branding").is_none());
    let deleted = m.delete(&format!("/organizations/{id}")).await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT);
    let gone = m.get(&format!("/organizations/{id}")).await;
    assert_eq!(gone.status, StatusCode::NOT_FOUND);
    assert_eq!(gone.json()["statusCode"], 404);
}

#[tokio::test]
async fn organization_paging_offset_totals_and_checkpoints() {
    let state = state();
    let m = Mgmt::with_scopes(&state, "read:organizations");
    let page = m
        .get("/organizations?page=0&per_page=2&include_totals=true")
        .await
        .json();
    assert_eq!(
        (
            page["start"].clone(),
            page["limit"].clone(),
            page["total"].clone()
        ),
        (json!(0), json!(2), json!(3))
    );
    assert_eq!(page["organizations"].as_array().unwrap().len(), 2);
    let plain = m.get("/organizations?page=1&per_page=2").await.json();
    assert_eq!(plain.as_array().unwrap().len(), 1);
    let first = m.get("/organizations?take=2").await.json();
    assert_eq!(first["organizations"][0]["name"], "acme");
    let next = first["next"].as_str().unwrap().to_owned();
    let second = m
        .get(&format!("/organizations?take=2&from={next}"))
        .await
        .json();
    assert_eq!(second["organizations"][0]["name"], "initech");
    assert!(second.get("next").is_none());
    let deep = m.get("/organizations?page=20&per_page=50").await;
    assert_eq!(
        (deep.status, deep.json()["errorCode"].clone()),
        (StatusCode::BAD_REQUEST, json!("invalid_paging"))
    );
}

#[tokio::test]
async fn enabled_connections_members_and_invitations() {
    let state = state();
    let m = Mgmt::with_scopes(
        &state,
        "read:organization_connections create:organization_connections update:organization_connections delete:organization_connections read:organization_members create:organization_members delete:organization_members read:organization_invitations create:organization_invitations delete:organization_invitations",
    );
    let base = format!("/organizations/{GLOBEX}");
    let add = m
        .post(
            &format!("{base}/enabled_connections"),
            r#"{"connection_id":"con_SocGgggggggggg02","assign_membership_on_login":true}"#,
        )
        .await;
    assert_eq!(add.status, StatusCode::CREATED, "{}", add.text());
    assert_eq!(
        add.json()["connection"],
        json!({"name": "google-oauth2", "strategy": "google-oauth2"})
    );
    let bad_signup = m
        .patch(
            &format!("{base}/enabled_connections/con_SocGgggggggggg02"),
            r#"{"is_signup_enabled":true}"#,
        )
        .await;
    assert_eq!(bad_signup.status, StatusCode::BAD_REQUEST);
    let list = m.get(&format!("{base}/enabled_connections")).await.json();
    assert_eq!(list.as_array().unwrap().len(), 2);
    let del = m
        .delete(&format!("{base}/enabled_connections/con_SocGgggggggggg02"))
        .await;
    assert_eq!(del.status, StatusCode::NO_CONTENT);

    let members = m
        .post(
            &format!("{base}/members"),
            r#"{"members":["auth0|bob00000000000000000000002"]}"#,
        )
        .await;
    assert_eq!(members.status, StatusCode::NO_CONTENT);
    let list = m
        .get(&format!("{base}/members?include_totals=true"))
        .await
        .json();
    assert_eq!(list["total"], 2);
    let removed = m
        .call(
            Method::DELETE,
            &format!("{base}/members"),
            Some(r#"{"members":["auth0|bob00000000000000000000002"]}"#),
        )
        .await;
    assert_eq!(removed.status, StatusCode::NO_CONTENT);

    let inv = m.post(&format!("{base}/invitations"), r#"{"inviter":{"name":"Alice"},"invitee":{"email":"Carol@Example.com"},"client_id":"orgpass-desktop","ttl_sec":3600}"#).await.expect(StatusCode::CREATED);
    let ticket = inv["ticket_id"].as_str().unwrap();
    let url = Url::parse(inv["invitation_url"].as_str().unwrap()).unwrap();
    let q: std::collections::HashMap<_, _> = url.query_pairs().into_owned().collect();
    assert_eq!(
        (
            q["invitation"].as_str(),
            q["organization"].as_str(),
            q["organization_name"].as_str()
        ),
        (ticket, GLOBEX, "globex")
    );
    assert_eq!(inv["invitee"]["email"], "carol@example.com");
    let created = time::OffsetDateTime::parse(
        inv["created_at"].as_str().unwrap(),
        &time::format_description::well_known::Rfc3339,
    )
    .unwrap();
    let expires = time::OffsetDateTime::parse(
        inv["expires_at"].as_str().unwrap(),
        &time::format_description::well_known::Rfc3339,
    )
    .unwrap();
    assert_eq!((expires - created).whole_seconds(), 3600);
    let too_long = m.post(&format!("{base}/invitations"), r#"{"inviter":{"name":"A"},"invitee":{"email":"c@example.com"},"client_id":"orgpass-desktop","ttl_sec":2592001}"#).await;
    assert_eq!(too_long.status, StatusCode::BAD_REQUEST);
    let id = inv["id"].as_str().unwrap();
    assert_eq!(
        m.delete(&format!("{base}/invitations/{id}")).await.status,
        StatusCode::NO_CONTENT
    );
    let list = m.get(&format!("{base}/invitations")).await.json();
    assert_eq!(list, json!([]));
}

#[tokio::test]
async fn connections_clients_and_tenant_settings() {
    let state = state();
    let m = Mgmt::with_scopes(
        &state,
        "read:connections read:clients update:clients read:tenant_settings update:tenant_settings",
    );
    let db = m.get("/connections?strategy=auth0").await.json();
    assert_eq!(
        db.as_array()
            .unwrap()
            .iter()
            .map(|c| c["name"].clone())
            .collect::<Vec<_>>(),
        vec![json!("Username-Password-Authentication")]
    );
    let client = m.get(&format!("/clients/{NATIVE}")).await.json();
    assert_eq!(
        (
            client["organization_usage"].clone(),
            client["organization_require_behavior"].clone()
        ),
        (json!("require"), json!("post_login_prompt"))
    );
    assert!(client.get("client_secret").is_none());
    let patched = m
        .patch(
            &format!("/clients/{NATIVE}"),
            r#"{"organization_require_behavior":"pre_login_prompt"}"#,
        )
        .await
        .json();
    assert_eq!(patched["organization_require_behavior"], "pre_login_prompt");
    let bad = m
        .patch(
            &format!("/clients/{NATIVE}"),
            r#"{"organization_usage":"sometimes"}"#,
        )
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    let settings = m
        .patch(
            "/tenants/settings",
            r#"{"allow_organization_name_in_authentication_api":false}"#,
        )
        .await
        .json();
    assert_eq!(
        settings["allow_organization_name_in_authentication_api"],
        false
    );
    assert!(
        !state
            .lock()
            .store
            .settings
            .allow_organization_name_in_authentication_api
    );
}

/// Paging on `/connections`: numbers and booleans in the query string parse (one row per paging shape).
#[tokio::test]
async fn connection_paging_offset_totals_and_checkpoints() {
    let mut seed = Seed::demo();
    seed.tenant.rate_limits = crate::ratelimit::RateLimitConfig::off();
    let state = state_with(seed);
    let m = Mgmt::with_scopes(&state, "read:connections");
    let names = |v: &Value| -> Vec<String> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|c| c["name"].as_str().unwrap().to_owned())
            .collect()
    };
    let all = names(&m.get("/connections").await.json());
    assert_eq!(all.len(), 3, "{all:?}");
    #[rustfmt::skip]
    let rows: [(&str, StatusCode, Value); 5] = [
        ("/connections?page=0&per_page=100&include_totals=true", StatusCode::OK, json!({ "start": 0, "limit": 100, "total": 3, "names": all })),
        ("/connections?page=1&per_page=2&include_totals=true", StatusCode::OK, json!({ "start": 2, "limit": 2, "total": 3, "names": [all[2]] })),
        ("/connections?page=0&per_page=2", StatusCode::OK, json!({ "names": all[..2] })),
        ("/connections?take=2", StatusCode::OK, json!({ "names": all[..2], "next": true })),
        ("/connections?page=0&per_page=0", StatusCode::BAD_REQUEST, json!({ "errorCode": "invalid_body" })),
    ];
    for (uri, status, want) in rows {
        let reply = m.get(uri).await;
        assert_eq!(reply.status, status, "{uri}: {}", reply.text());
        let body = reply.json();
        if status != StatusCode::OK {
            assert_eq!(body["errorCode"], want["errorCode"], "{uri}");
            continue;
        }
        let list = body.get("connections").cloned().unwrap_or(body.clone());
        assert_eq!(json!(names(&list)), want["names"], "{uri}");
        for key in ["start", "limit", "total"] {
            assert_eq!(body.get(key), want.get(key), "{uri} {key}");
        }
        assert_eq!(
            body.get("next").is_some(),
            want.get("next").is_some(),
            "{uri} next"
        );
    }
}

/// One row per bad Management API request: (name, method, path, scopes, body, status, errorCode).
#[tokio::test]
async fn management_bad_input_table() {
    let big = format!(
        r#"{{"name":"big","metadata":{{"a":"{}"}}}}"#,
        "x".repeat(crate::mgmt::MAX_BODY_BYTES)
    );
    let long_name = format!(r#"{{"name":"{}"}}"#, "a".repeat(51));
    let many_keys = format!(
        "{{\"name\":\"x\",\"metadata\":{{{}}}}}",
        (0..26)
            .map(|i| format!("\"k{i}\":\"v\""))
            .collect::<Vec<_>>()
            .join(",")
    );
    let all = "create:organizations read:organizations update:organizations read:organization_members create:organization_connections";
    let enabled = format!("/organizations/{ACME}/enabled_connections");
    /// Name, method, path, granted scopes, body, expected status, expected error code.
    type Row<'a> = (
        &'a str,
        Method,
        String,
        &'a str,
        Option<&'a str>,
        StatusCode,
        &'a str,
    );
    #[rustfmt::skip]
    let rows: Vec<Row> = vec![
        ("missing scope", Method::GET, "/organizations".into(), "read:connections", None, StatusCode::FORBIDDEN, "insufficient_scope"),
        ("malformed JSON", Method::POST, "/organizations".into(), all, Some("{\"name\": "), StatusCode::BAD_REQUEST, "invalid_body"),
        ("oversized body", Method::POST, "/organizations".into(), all, Some(&big), StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large"),
        ("unknown property", Method::POST, "/organizations".into(), all, Some(r#"{"name":"x","colour":"red"}"#), StatusCode::BAD_REQUEST, "invalid_body"),
        ("uppercase name", Method::POST, "/organizations".into(), all, Some(r#"{"name":"Acme2"}"#), StatusCode::BAD_REQUEST, "invalid_body"),
        ("name too long", Method::POST, "/organizations".into(), all, Some(&long_name), StatusCode::BAD_REQUEST, "invalid_body"),
        ("colors as arrays (Auth0's wrong sample)", Method::POST, "/organizations".into(), all, Some(r##"{"name":"x","branding":{"colors":[{"primary":"#fff"}]}}"##), StatusCode::BAD_REQUEST, "invalid_body"),
        ("colors missing page_background", Method::POST, "/organizations".into(), all, Some(r##"{"name":"x","branding":{"colors":{"primary":"#fff"}}}"##), StatusCode::BAD_REQUEST, "invalid_body"),
        ("colors not hex", Method::POST, "/organizations".into(), all, Some(r##"{"name":"x","branding":{"colors":{"primary":"red","page_background":"#fff"}}}"##), StatusCode::BAD_REQUEST, "invalid_body"),
        ("http logo", Method::POST, "/organizations".into(), all, Some(r#"{"name":"x","branding":{"logo_url":"http://x.example/l.png"}}"#), StatusCode::BAD_REQUEST, "invalid_body"),
        ("26 metadata keys", Method::POST, "/organizations".into(), all, Some(&many_keys), StatusCode::BAD_REQUEST, "invalid_body"),
        ("unknown org", Method::GET, "/organizations/org_0000000000000000".into(), all, None, StatusCode::NOT_FOUND, "inexistent_organization"),
        ("unknown connection", Method::POST, enabled.clone(), all, Some(r#"{"connection_id":"con_nope"}"#), StatusCode::NOT_FOUND, "inexistent_connection"),
        ("duplicate enabled connection", Method::POST, enabled.clone(), all, Some(r#"{"connection_id":"con_DbAaaaaaaaaaaa01"}"#), StatusCode::CONFLICT, "conflict"),
        ("no token", Method::GET, "/organizations".into(), "", None, StatusCode::UNAUTHORIZED, "invalid_token"),
    ];
    for (name, method, path, scopes, body, status, code) in rows {
        let state = state();
        let app = app(state.clone());
        let token = mgmt_token(&state, scopes);
        let mut req = api(method, &path, &token, body);
        if scopes.is_empty() {
            req.headers_mut().remove("authorization");
        }
        let r = send(&app, req).await;
        assert_eq!(r.status, status, "{name}: {}", r.text());
        let j = r.json();
        assert_eq!(j["errorCode"], code, "{name}: {j}");
        assert_eq!(j["statusCode"], status.as_u16(), "{name}");
        assert!(j["error"].is_string() && j["message"].is_string(), "{name}");
    }
}

#[tokio::test]
async fn tokens_for_other_audiences_or_issuers_are_refused() {
    let state = state();
    let app = app(state.clone());
    let now = crate::now_unix();
    let wrong_aud = state.lock().keys.current.sign(&json!({"iss": ISSUER, "aud": "https://api.orgpass.example/", "exp": now + 60, "scope": "read:organizations"}));
    let expired = state.lock().keys.current.sign(&json!({"iss": ISSUER, "aud": format!("{ISSUER}api/v2/"), "exp": now - 1, "scope": "read:organizations"}));
    let foreign = KeySet::generate(0).unwrap().current.sign(&json!({"iss": ISSUER, "aud": format!("{ISSUER}api/v2/"), "exp": now + 60, "scope": "read:organizations"}));
    for (name, token) in [
        ("wrong audience", wrong_aud),
        ("expired", expired),
        ("foreign key", foreign),
    ] {
        let m = Mgmt::new(&app, token);
        let r = m.get("/organizations").await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{name}");
    }
}
