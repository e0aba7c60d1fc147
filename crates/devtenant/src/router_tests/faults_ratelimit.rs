//! Fault injection through `/__devtenant` (and its admin secret) and the Management API's rate limits.

use super::*;

#[tokio::test]
async fn free_plan_rate_limit_answers_429_with_headers() {
    let mut seed = Seed::demo();
    seed.tenant.rate_limits.preset = crate::ratelimit::Preset::Free;
    let state = state_with(seed);
    let m = Mgmt::with_scopes(&state, "read:organizations read:connections");
    let a = m.get("/organizations").await;
    let b = m.get("/connections").await;
    let c = m.get("/organizations").await;
    assert_eq!(
        (a.status, b.status, c.status),
        (
            StatusCode::OK,
            StatusCode::OK,
            StatusCode::TOO_MANY_REQUESTS
        )
    );
    assert_eq!(a.headers["x-ratelimit-limit"], "2");
    assert_eq!(a.headers["x-ratelimit-remaining"], "1");
    assert_eq!(c.headers["x-ratelimit-remaining"], "0");
    let reset: i64 = c.headers["x-ratelimit-reset"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(
        reset > crate::now_unix() - 1 && reset <= crate::now_unix() + 2,
        "{reset}"
    );
    assert_eq!(c.json()["statusCode"], 429);
}

#[tokio::test]
async fn faults_need_the_admin_secret_and_hit_the_next_n_requests() {
    let state = state();
    let app = app(state.clone());
    let denied = send(
        &app,
        admin(
            Method::POST,
            "/faults",
            "wrong",
            Some(r#"{"target":"jwks","mode":"fail"}"#),
        ),
    )
    .await;
    assert_eq!(denied.status, StatusCode::UNAUTHORIZED);
    let set = admin_post(
        &app,
        "/faults",
        Some(r#"{"target":"jwks","mode":"fail","count":2}"#),
    )
    .await;
    assert_eq!(set.status, StatusCode::NO_CONTENT);
    for want in [
        StatusCode::SERVICE_UNAVAILABLE,
        StatusCode::SERVICE_UNAVAILABLE,
        StatusCode::OK,
    ] {
        let jwks = fetch(&app, "/.well-known/jwks.json").await;
        assert_eq!(jwks.status, want);
    }
    admin_post(
        &app,
        "/faults",
        Some(r#"{"target":"token","mode":"garbage"}"#),
    )
    .await;
    let garbage = post_form(
        &app,
        "/oauth/token",
        &[("grant_type", "client_credentials")],
    )
    .await;
    assert_eq!(garbage.status, StatusCode::OK);
    assert!(serde_json::from_slice::<Value>(&garbage.body).is_err());
    admin_post(
        &app,
        "/faults",
        Some(r#"{"target":"token","mode":"slow","delay_ms":300}"#),
    )
    .await;
    let started = std::time::Instant::now();
    let slow = post_form(
        &app,
        "/oauth/token",
        &[("grant_type", "client_credentials")],
    )
    .await;
    assert!(started.elapsed() >= std::time::Duration::from_millis(300));
    assert_eq!(
        slow.json()["error"],
        "invalid_request",
        "after the delay the request is handled normally"
    );
}
