//! The end of a token's life: refresh rotation and reuse detection (with Auth0's rotation overlap), revocation, and
//! OIDC logout.

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

/// Auth0's rotation overlap (`refresh_token.leeway`): within it the previous refresh token may be exchanged again
/// (a new refresh token of the same family, no breach); the one before it, or the previous one after the window,
/// is a reuse that revokes the family. Without a leeway any reuse is a breach (above).
#[tokio::test]
async fn inside_the_rotation_overlap_only_the_previous_token_may_be_exchanged_again() {
    let state = state();
    admin_patch_leeway(&state, 30).await;
    let app = app(state);
    let rt1 = signed_in(&app).await;
    let rt2 = refreshed(&app, &rt1).await;
    // Two racing renewals with rt1: the second, inside the overlap, gets its own new token; both work.
    let rt2b = refreshed(&app, &rt1).await;
    assert_ne!(rt2, rt2b);
    let rt3 = refreshed(&app, &rt2).await;
    // rt1 is now two back (its successor rt2 was exchanged): a breach, and the whole family goes.
    let reuse = send(&app, refresh(&rt1)).await;
    assert_eq!(
        (reuse.status, reuse.json()["error"].clone()),
        (StatusCode::FORBIDDEN, json!("invalid_grant"))
    );
    for (name, rt) in [("rt2b", &rt2b), ("rt3", &rt3)] {
        assert_eq!(
            send(&app, refresh(rt)).await.json()["error"],
            "invalid_grant",
            "{name} revoked with its family"
        );
    }

    // The previous token after the window: a breach too.
    let rt1 = signed_in(&app).await;
    let rt2 = refreshed(&app, &rt1).await;
    admin_post(&app, "/clock", Some(r#"{"skew_secs":31}"#)).await;
    let late = send(&app, refresh(&rt1)).await;
    admin_post(&app, "/clock", Some(r#"{"skew_secs":0}"#)).await;
    assert_eq!(late.json()["error"], "invalid_grant", "after the overlap");
    assert_eq!(
        send(&app, refresh(&rt2)).await.json()["error"],
        "invalid_grant",
        "the family is revoked"
    );
}

/// A refresh refused for its scope does not spend the refresh token: the corrected retry is not a reuse (which would
/// revoke the family).
#[tokio::test]
async fn a_refresh_refused_for_its_scope_leaves_the_token_usable() {
    let app = app(state());
    let rt = signed_in(&app).await;
    let wide = post_form(
        &app,
        "/oauth/token",
        &[
            ("grant_type", "refresh_token"),
            ("client_id", NATIVE),
            ("refresh_token", &rt),
            ("scope", "openid delete:everything"),
        ],
    )
    .await;
    assert_eq!(
        (wide.status, wide.json()["error"].clone()),
        (StatusCode::FORBIDDEN, json!("invalid_scope"))
    );
    refreshed(&app, &rt).await;
}

/// Bob signs in to Acme; his first refresh token.
async fn signed_in(app: &Router) -> String {
    let r = login_to(app, ACME, "bob@example.com", "Bob-pass-1").await;
    code_tokens(app, &r).await["refresh_token"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// Exchanges `rt` and returns the new refresh token.
async fn refreshed(app: &Router, rt: &str) -> String {
    let r = send(app, refresh(rt)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    r.json()["refresh_token"].as_str().unwrap().to_owned()
}

/// Sets the native client's rotation overlap through the Management API, as `orgpass-admin` does.
async fn admin_patch_leeway(state: &AppState, secs: u64) {
    let m = Mgmt::with_scopes(state, "update:clients");
    m.patch(
        &format!("/clients/{NATIVE}"),
        &format!(
            r#"{{"refresh_token":{{"rotation_type":"rotating","expiration_type":"expiring","leeway":{secs}}}}}"#
        ),
    )
    .await
    .expect(StatusCode::OK);
}
