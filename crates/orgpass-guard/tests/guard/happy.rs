//! The happy path: what each extractor hands the handler, in-process and over a real socket.

use serde_json::json;

use crate::app::{ACME, AUDIENCE, CLIENT_ID, Fixture, bearer, request};
use crate::keys::keys;

#[tokio::test]
async fn extractors_see_the_verified_claims() {
    let fx = Fixture::new().await;
    let claims = fx.claims();
    let reply = fx.send(request("GET", "/me", &[bearer(&fx.token())])).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(
        reply.json(),
        json!({
            "sub": "auth0|alice0000000000000000001",
            "machine": null,
            "org_id": ACME,
            "org_name": "acme",
            "scopes": ["email", "openid", "profile", "read:projects", "write:projects"],
            "permissions": [],
            "azp": CLIENT_ID,
            "exp": claims["exp"],
            "jti": "jti-1",
        })
    );
    let reply = fx
        .send(request("GET", "/org", &[bearer(&fx.token())]))
        .await;
    assert_eq!(reply.json(), json!({"id": ACME, "name": "acme"}));
    assert_eq!(fx.runs.get(), 2);
}

#[tokio::test]
async fn header_variants_an_access_token_may_have() {
    let fx = Fixture::new().await;
    let k = &keys().tenant;
    // RFC 9068's media type, aud as a plain string, no org_name (the tenant's name feature off), no kid
    // (the issuer has exactly one key).
    let claims = fx.claims_with(|c| {
        c.insert("aud".into(), json!(AUDIENCE));
        c.remove("org_name");
    });
    for header in [
        json!({"alg": "RS256", "typ": "application/at+jwt", "kid": k.kid}),
        json!({"alg": "RS256", "typ": "JWT", "kid": k.kid}),
        json!({"alg": "RS256", "kid": k.kid}),
        json!({"alg": "RS256"}),
    ] {
        let token = k.sign_with_header(&header, &claims);
        let reply = fx.send(request("GET", "/org", &[bearer(&token)])).await;
        assert_eq!(reply.status, 200, "{header}: {}", reply.body);
        assert_eq!(reply.json(), json!({"id": ACME, "name": null}), "{header}");
    }
    assert_eq!(
        fx.issuer.jwks_hits(),
        1,
        "keys fetched once for all requests"
    );
}

#[tokio::test]
async fn over_a_real_socket() {
    let fx = Fixture::new().await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let app = fx.app.clone();
    tokio::spawn(async move { axum::serve(listener, app).await });
    let http = reqwest::Client::new();

    let res = http
        .get(format!("{base}/org"))
        .bearer_auth(fx.token())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(
        res.json::<serde_json::Value>().await.unwrap(),
        json!({"id": ACME, "name": "acme"})
    );

    let res = http.get(format!("{base}/org")).send().await.unwrap();
    assert_eq!(res.status(), 401);
    assert_eq!(
        res.headers()["www-authenticate"],
        "Bearer realm=\"https://api.orgpass.example/\""
    );
    assert_eq!(res.headers()["cache-control"], "no-store");
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["check"], "header");
    assert_eq!(fx.runs.get(), 1);
}
