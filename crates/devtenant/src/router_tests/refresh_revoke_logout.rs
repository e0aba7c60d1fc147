//! The end of a token's life: refresh rotation and reuse detection, revocation, and OIDC logout.

use super::*;

#[tokio::test]
async fn refresh_rotates_and_reuse_revokes_the_family() {
    let app = app(state());
    let r = login_to(&app, ACME, "bob@example.com", "Bob-pass-1").await;
    let first = code_tokens(&app, &r).await;
    let rt1 = first["refresh_token"].as_str().unwrap().to_owned();
    let second = send(&app, refresh(&rt1)).await;
    assert_eq!(second.status, StatusCode::OK, "{}", second.text());
    let rt2 = second.json()["refresh_token"].as_str().unwrap().to_owned();
    assert_ne!(rt1, rt2);
    assert_eq!(
        claims(second.json()["id_token"].as_str().unwrap())["org_id"],
        ACME
    );
    // Reusing the rotated token fails and revokes rt2 as well.
    let reuse = send(&app, refresh(&rt1)).await;
    assert_eq!(
        (reuse.status, reuse.json()["error"].clone()),
        (StatusCode::FORBIDDEN, json!("invalid_grant"))
    );
    let after = send(&app, refresh(&rt2)).await;
    assert_eq!(after.json()["error"], "invalid_grant");
}

#[tokio::test]
async fn oidc_logout_redirects_with_state_only_to_allowed_urls() {
    let app = app(state());
    let ok = fetch(&app, &format!("/oidc/logout?client_id={NATIVE}&post_logout_redirect_uri=http://127.0.0.1:4444/logout&state=s1")).await;
    assert_eq!(
        ok.location().as_str(),
        "http://127.0.0.1:4444/logout?state=s1"
    );
    let bad = fetch(
        &app,
        &format!("/oidc/logout?client_id={NATIVE}&post_logout_redirect_uri=https://evil.example/"),
    )
    .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn revoke_kills_the_refresh_token_family() {
    let app = app(state());
    let r = login_to(&app, ACME, "alice@example.com", "Alice-pass-1").await;
    let rt = code_tokens(&app, &r).await["refresh_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let revoked = post_form(
        &app,
        "/oauth/revoke",
        &[("client_id", NATIVE), ("token", &rt)],
    )
    .await;
    assert_eq!(revoked.status, StatusCode::OK);
    let after = send(&app, refresh(&rt)).await;
    assert_eq!(after.json()["error"], "invalid_grant");
}
