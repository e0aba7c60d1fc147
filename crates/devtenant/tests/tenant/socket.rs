//! Tests over a real socket: login + token exchange verified with `jsonwebtoken` against the served JWKS,
//! the Management API with a client-credentials token, and persistence across a restart with a data dir.

use devtenant::{Seed, SpawnOptions};
use jsonwebtoken::{Algorithm, DecodingKey, Validation, decode, decode_header};
use serde_json::{Value, json};

use crate::common::*;

/// The issuer's published JWKS, parsed as `T`.
async fn jwks<T: serde::de::DeserializeOwned>(http: &reqwest::Client, issuer: &url::Url) -> T {
    http.get(issuer.join(".well-known/jwks.json").unwrap())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

async fn verify(http: &reqwest::Client, issuer: &url::Url, token: &str, audience: &str) -> Value {
    let jwks: jsonwebtoken::jwk::JwkSet = jwks(http, issuer).await;
    let kid = decode_header(token).unwrap().kid.unwrap();
    let jwk = jwks.find(&kid).expect("kid is published");
    let mut v = Validation::new(Algorithm::RS256);
    v.set_audience(&[audience]);
    v.set_issuer(&[issuer.as_str()]);
    decode::<Value>(token, &DecodingKey::from_jwk(jwk).unwrap(), &v)
        .unwrap()
        .claims
}

#[tokio::test]
async fn full_login_over_a_socket_yields_tokens_that_verify_with_the_jwks() {
    let tenant = demo().await;
    let http = http();
    let pkce = pkce();
    let redirect = "http://127.0.0.1:61234/callback";
    let callback = form_login(
        &http,
        authorize_url(&tenant.issuer, redirect, GLOBEX, &pkce, &[]),
        "alice@example.com",
        "Alice-pass-1",
    )
    .await;
    assert!(callback.as_str().starts_with(redirect));
    assert_eq!(
        param(&callback, "iss").as_deref(),
        Some(tenant.issuer.as_str())
    );
    assert_eq!(param(&callback, "state").as_deref(), Some("state-xyz"));
    let tokens: Value = http
        .post(tenant.issuer.join("oauth/token").unwrap())
        .form(&[
            ("grant_type", "authorization_code"),
            ("client_id", NATIVE),
            ("code", &param(&callback, "code").unwrap()),
            ("code_verifier", &pkce.verifier),
            ("redirect_uri", redirect),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = verify(
        &http,
        &tenant.issuer,
        tokens["id_token"].as_str().unwrap(),
        NATIVE,
    )
    .await;
    assert_eq!(
        (
            id["org_id"].clone(),
            id["org_name"].clone(),
            id["nonce"].clone()
        ),
        (json!(GLOBEX), json!("globex"), json!("nonce-xyz"))
    );
    tenant.shutdown().await;
}

#[tokio::test]
async fn management_api_over_a_socket_with_a_client_credentials_token() {
    let tenant = demo().await;
    let http = http();
    let token: Value = http
        .post(tenant.issuer.join("oauth/token").unwrap())
        .json(&json!({
            "grant_type": "client_credentials",
            "client_id": devtenant::DEMO_M2M_CLIENT_ID,
            "client_secret": devtenant::DEMO_M2M_CLIENT_SECRET,
            "audience": tenant.management_audience(),
        }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let bearer = token["access_token"].as_str().unwrap();
    let claims = verify(&http, &tenant.issuer, bearer, &tenant.management_audience()).await;
    assert_eq!(
        claims["sub"],
        format!("{}@clients", devtenant::DEMO_M2M_CLIENT_ID)
    );
    let res = http
        .get(
            tenant
                .issuer
                .join("api/v2/organizations/name/acme")
                .unwrap(),
        )
        .bearer_auth(bearer)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(
        res.headers()["x-ratelimit-limit"],
        "10",
        "paid B2B: org by name 10 burst"
    );
    let org: Value = res.json().await.unwrap();
    assert_eq!(org["id"], ACME);
    assert_eq!(
        org["branding"]["logo_url"],
        format!("{}branding/acme.svg", tenant.issuer)
    );
    let logo = http
        .get(org["branding"]["logo_url"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(logo.headers()["content-type"], "image/svg+xml");
    assert!(logo.text().await.unwrap().contains("<svg"));
}

#[tokio::test]
async fn state_and_keys_survive_a_restart_with_a_data_dir() {
    let dir = tempfile::tempdir().unwrap();
    let opts = || SpawnOptions {
        data_dir: Some(dir.path().to_owned()),
        ..Default::default()
    };
    let first = devtenant::spawn(Seed::demo(), opts()).await.unwrap();
    let http = http();
    let kid = |jwks: Value| jwks["keys"][0]["kid"].as_str().unwrap().to_owned();
    let kid1 = kid(jwks(&http, &first.issuer).await);
    // A login with auto-assign makes Nora a member of globex; that must persist.
    let pkce = pkce();
    let cb = form_login(
        &http,
        authorize_url(
            &first.issuer,
            "http://127.0.0.1:1/callback",
            GLOBEX,
            &pkce,
            &[],
        ),
        "nora@example.com",
        "Nora-pass-1",
    )
    .await;
    assert!(param(&cb, "code").is_some());
    first.shutdown().await;
    let second = devtenant::spawn(Seed::demo(), opts()).await.unwrap();
    let kid2 = kid(jwks(&http, &second.issuer).await);
    assert_eq!(kid1, kid2);
    let t = second.state.lock();
    assert!(
        t.store
            .org(GLOBEX)
            .unwrap()
            .members
            .iter()
            .any(|m| m.starts_with("auth0|nora"))
    );
    let names: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert_eq!(
        names,
        vec![devtenant::store::STATE_FILE.to_owned()],
        "no temp files left behind"
    );
    let text = std::fs::read_to_string(dir.path().join(devtenant::store::STATE_FILE)).unwrap();
    assert!(!text.contains("Nora-pass-1"), "passwords are stored hashed");
}
