//! Time and keys: clock skew, session expiry and key rotation.

use super::*;

#[tokio::test]
async fn clock_skew_and_session_expiry() {
    let state = state();
    let app = app(state.clone());
    admin_post(&app, "/clock", Some(r#"{"skew_secs":-7200}"#)).await;
    let r = login_to(&app, ACME, "alice@example.com", "Alice-pass-1").await;
    let cookie = r.session_cookie();
    let t = code_tokens(&app, &r).await;
    let iat = claims(t["id_token"].as_str().unwrap())["iat"]
        .as_i64()
        .unwrap();
    assert!(
        (crate::now_unix() - 7200 - iat).abs() <= 2,
        "iat is skewed by two hours"
    );
    let expired = admin_post(&app, "/sessions/expire", None).await.json();
    assert_eq!(expired["expired_sessions"], 1);
    let silent = send(
        &app,
        with_cookie(
            &authorize_uri(&[("organization", ACME), ("prompt", "none")]),
            &cookie,
        ),
    )
    .await;
    assert_eq!(silent.query("error").as_deref(), Some("login_required"));
}

#[tokio::test]
async fn key_rotation_keeps_the_previous_key_published() {
    let state = state();
    let app = app(state.clone());
    let before = keys().current.kid;
    let r = admin_post(&app, "/keys/rotate", None).await.json();
    assert_ne!(r["current_kid"], before);
    assert_eq!(r["previous_kids"], json!([before]));
    let jwks = fetch(&app, "/.well-known/jwks.json").await.json();
    let kids: Vec<_> = jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["kid"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(kids.len(), 2);
    assert_eq!(kids[1], before);
}
