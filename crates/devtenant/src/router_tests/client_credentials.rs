//! The client-credentials grant: the M2M scopes for both audience spellings, and Auth0's refusals.

use super::*;

#[tokio::test]
async fn client_credentials_grants_the_m2m_scopes_for_both_audience_spellings() {
    let app = app(state());
    for audience in [
        format!("{ISSUER}api/v2/"),
        "https://127.0.0.1:4000/api/v2/".to_owned(),
    ] {
        let r = post_form(
            &app,
            "/oauth/token",
            &[
                ("grant_type", "client_credentials"),
                ("client_id", "orgpass-admin"),
                ("client_secret", crate::DEMO_M2M_CLIENT_SECRET),
                ("audience", &audience),
            ],
        )
        .await;
        let body = r.expect(StatusCode::OK);
        assert_eq!(body["token_type"], "Bearer");
        let c = claims(body["access_token"].as_str().unwrap());
        assert_eq!(c["aud"], audience);
        assert_eq!(c["sub"], "orgpass-admin@clients");
        assert_eq!(c["gty"], "client-credentials");
        assert!(
            c["scope"]
                .as_str()
                .unwrap()
                .split(' ')
                .any(|s| s == "create:organizations")
        );
    }
}

#[tokio::test]
async fn client_credentials_refusals_match_auth0() {
    let app = app(state());
    let aud = format!("{ISSUER}api/v2/");
    #[rustfmt::skip]
    let rows: [(&str, Params, StatusCode, &str); 4] = [
        ("wrong secret", vec![("client_secret", "nope"), ("audience", &aud)], StatusCode::UNAUTHORIZED, "access_denied"),
        ("unknown audience", vec![("client_secret", crate::DEMO_M2M_CLIENT_SECRET), ("audience", "https://nope/")], StatusCode::FORBIDDEN, "access_denied"),
        ("no audience", vec![("client_secret", crate::DEMO_M2M_CLIENT_SECRET)], StatusCode::FORBIDDEN, "access_denied"),
        ("public client", vec![("audience", &aud)], StatusCode::FORBIDDEN, "unauthorized_client"),
    ];
    for (name, extra, status, error) in rows {
        let client = if name == "public client" {
            NATIVE
        } else {
            "orgpass-admin"
        };
        let mut pairs = vec![("grant_type", "client_credentials"), ("client_id", client)];
        pairs.extend(extra);
        let r = post_form(&app, "/oauth/token", &pairs).await;
        assert_eq!(
            (r.status, r.json()["error"].as_str().unwrap().to_owned()),
            (status, error.to_owned()),
            "{name}"
        );
    }
}
