//! The hostile table: one row per attack or malformed request, each against a fresh issuer and guard (warmed
//! with one good request), asserting the status, the challenge's exact `error`, the body's `check`, how many
//! times the JWKS was fetched again, that neither body nor headers echo the token, and whether the handler ran.

use serde_json::{Value, json};

use crate::app::{ACME, CLIENT_ID, Fixture, GLOBEX, bearer, request};
use crate::keys::{keys, unsigned};

/// How the row's request carries its token.
enum Send {
    /// `Authorization: Bearer <token>`.
    Bearer(String),
    /// These raw `Authorization` header values.
    Headers(Vec<String>),
    /// `?access_token=<token>` and no header.
    Query(String),
    /// `?access_token=<token>` and the header too.
    QueryAndBearer(String),
}

struct Row {
    name: &'static str,
    method: &'static str,
    path: String,
    send: Send,
    /// Requests sent first, in the same fixture (e.g. an earlier unknown kid).
    before: Vec<String>,
    /// Publish the rotated key (beside the old one) before the request.
    rotate: bool,
    /// Identical requests sent at once.
    copies: usize,
    status: u16,
    /// The challenge's `error` attribute (`None`: there must be none).
    error: Option<&'static str>,
    check: Option<&'static str>,
    scope: Option<&'static str>,
    /// JWKS fetches after the warm-up one.
    refetches: usize,
    handler_runs: bool,
}

impl Row {
    fn refused(
        name: &'static str,
        token: String,
        error: &'static str,
        check: &'static str,
    ) -> Self {
        Self {
            name,
            method: "GET",
            path: "/me".into(),
            send: Send::Bearer(token),
            before: Vec::new(),
            rotate: false,
            copies: 1,
            status: 401,
            error: Some(error),
            check: Some(check),
            scope: None,
            refetches: 0,
            handler_runs: false,
        }
    }
}

fn rows(fx: &Fixture) -> Vec<Row> {
    let k = keys();
    let now = crate::app::now();
    let tenant = |claims: &Value| k.tenant.sign(claims);
    let mut rows = vec![
        Row::refused(
            "alg none",
            unsigned(&k.tenant.kid, &fx.claims()),
            "invalid_token",
            "alg",
        ),
        Row::refused(
            "HS256 keyed with the public key",
            k.tenant.hs256_with_public_key(&fx.claims()),
            "invalid_token",
            "alg",
        ),
        Row::refused(
            "RS256 by another key under the tenant's kid",
            k.attacker.sign(&fx.claims()),
            "invalid_token",
            "signature",
        ),
        Row::refused(
            "wrong iss",
            tenant(
                &fx.claims_with(|c| drop(c.insert("iss".into(), json!("https://evil.example/")))),
            ),
            "invalid_token",
            "iss",
        ),
        Row::refused(
            "iss without its trailing slash",
            tenant(&fx.claims_with(|c| {
                let iss = c["iss"].as_str().unwrap().trim_end_matches('/').to_owned();
                c.insert("iss".into(), json!(iss));
            })),
            "invalid_token",
            "iss",
        ),
        Row::refused(
            "wrong aud",
            tenant(&fx.claims_with(|c| {
                drop(c.insert("aud".into(), json!(["https://other-api.example/"])))
            })),
            "invalid_token",
            "aud",
        ),
        Row::refused(
            "ID token presented as access token",
            k.tenant.sign_with_header(
                &json!({"alg": "RS256", "typ": "JWT", "kid": k.tenant.kid}),
                &fx.claims_with(|c| {
                    c.insert("aud".into(), json!(CLIENT_ID));
                    c.insert("nonce".into(), json!("n-0S6_WzA2Mj"));
                    c.remove("scope");
                }),
            ),
            "invalid_token",
            "aud",
        ),
        Row::refused(
            "typ of another kind of JWT",
            k.tenant.sign_with_header(
                &json!({"alg": "RS256", "typ": "logout+jwt", "kid": k.tenant.kid}),
                &fx.claims(),
            ),
            "invalid_token",
            "typ",
        ),
        Row::refused(
            "expired",
            tenant(&fx.claims_with(|c| drop(c.insert("exp".into(), json!(now - 120))))),
            "invalid_token",
            "exp",
        ),
        Row::refused(
            "nbf in the future",
            tenant(&fx.claims_with(|c| drop(c.insert("nbf".into(), json!(now + 600))))),
            "invalid_token",
            "nbf",
        ),
        Row::refused(
            "iat in the future beyond the leeway",
            tenant(&fx.claims_with(|c| drop(c.insert("iat".into(), json!(now + 600))))),
            "invalid_token",
            "iat",
        ),
        Row::refused(
            "missing org_id",
            tenant(&fx.claims_with(|c| drop(c.remove("org_id")))),
            "invalid_token",
            "org_id",
        ),
        Row::refused(
            "malformed org_id",
            tenant(&fx.claims_with(|c| drop(c.insert("org_id".into(), json!("acme' OR 1=1"))))),
            "invalid_token",
            "org_id",
        ),
        Row::refused("not a JWT", "abc.def".into(), "invalid_token", "malformed"),
        Row {
            path: format!("/orgs/{GLOBEX}/projects"),
            status: 403,
            ..Row::refused(
                "org_id of another org on a bound route",
                fx.token(),
                "insufficient_scope",
                "org_mismatch",
            )
        },
        Row {
            method: "POST",
            path: "/projects".into(),
            status: 403,
            scope: Some("write:projects"),
            ..Row::refused(
                "missing scope",
                tenant(&fx.claims_with(|c| {
                    drop(c.insert("scope".into(), json!("openid read:projects")))
                })),
                "insufficient_scope",
                "scope",
            )
        },
        Row {
            method: "POST",
            path: "/projects".into(),
            status: 201,
            error: None,
            check: None,
            handler_runs: true,
            ..Row::refused(
                "scope present only via permissions (allowed)",
                tenant(&fx.claims_with(|c| {
                    c.insert("scope".into(), json!("openid"));
                    c.insert(
                        "permissions".into(),
                        json!(["read:projects", "write:projects"]),
                    );
                })),
                "",
                "",
            )
        },
        Row {
            send: Send::Query(fx.token()),
            error: None,
            ..Row::refused("token in the query string", String::new(), "", "header")
        },
        Row {
            send: Send::QueryAndBearer(fx.token()),
            status: 400,
            ..Row::refused(
                "token in the query string and the header",
                String::new(),
                "invalid_request",
                "header",
            )
        },
        Row {
            send: Send::Headers(vec![]),
            error: None,
            ..Row::refused("no Authorization header", String::new(), "", "header")
        },
        Row {
            send: Send::Headers(vec!["Bearer".into()]),
            status: 400,
            ..Row::refused(
                "Bearer without a token",
                String::new(),
                "invalid_request",
                "header",
            )
        },
        Row {
            send: Send::Headers(vec!["Basic YWxpY2U6QWxpY2UtcGFzcy0x".into()]),
            error: None,
            ..Row::refused("Basic credentials", String::new(), "", "header")
        },
        Row {
            send: Send::Headers(vec![format!("Bearer {} {}", fx.token(), fx.token())]),
            status: 400,
            ..Row::refused(
                "two tokens in one header",
                String::new(),
                "invalid_request",
                "header",
            )
        },
        Row {
            send: Send::Headers(vec![bearer(&fx.token()), bearer(&fx.token())]),
            status: 400,
            ..Row::refused(
                "two Authorization headers",
                String::new(),
                "invalid_request",
                "header",
            )
        },
    ];
    let unknown_kid = |kid: &str| {
        k.rotated.sign_with_header(
            &json!({"alg": "RS256", "typ": "at+jwt", "kid": kid}),
            &fx.claims(),
        )
    };
    rows.extend([
        Row {
            refetches: 1,
            copies: 8,
            ..Row::refused(
                "unknown kid: one refetch for eight requests at once",
                unknown_kid("unknown-1"),
                "invalid_token",
                "kid",
            )
        },
        Row {
            before: vec![unknown_kid("unknown-1")],
            refetches: 1,
            ..Row::refused(
                "a second unknown kid within the rate-limit window: no refetch",
                unknown_kid("unknown-2"),
                "invalid_token",
                "kid",
            )
        },
        Row {
            rotate: true,
            refetches: 1,
            status: 200,
            error: None,
            check: None,
            handler_runs: true,
            ..Row::refused(
                "a rotated key, picked up by the refetch (accepted)",
                k.rotated.sign(&fx.claims()),
                "",
                "",
            )
        },
    ]);
    rows
}

#[tokio::test]
async fn hostile_table() {
    let names: Vec<&str> = rows(&Fixture::new().await).iter().map(|r| r.name).collect();
    assert_eq!(names.len(), 27, "one row per case");
    for index in 0..names.len() {
        let fx = Fixture::new().await;
        let row = rows(&fx).remove(index);
        run(&fx, row).await;
    }
}

async fn run(fx: &Fixture, row: Row) {
    let name = row.name;
    // Warm up: one good request fills the JWKS cache.
    let warm = fx.send(request("GET", "/me", &[bearer(&fx.token())])).await;
    assert_eq!(warm.status, 200, "{name}: warm-up {}", warm.body);
    assert_eq!(
        (fx.issuer.discovery_hits(), fx.issuer.jwks_hits()),
        (1, 1),
        "{name}: warm-up fetches"
    );
    let warm_runs = fx.runs.get();
    for token in &row.before {
        fx.send(request(row.method, &row.path, &[bearer(token)]))
            .await;
    }
    if row.rotate {
        let k = keys();
        fx.issuer.publish(&[&k.rotated, &k.tenant]);
    }
    let (path, headers, secrets) = match &row.send {
        Send::Bearer(t) => (row.path.clone(), vec![bearer(t)], vec![t.clone()]),
        Send::Headers(h) => (row.path.clone(), h.clone(), h.clone()),
        Send::Query(t) => (
            format!("{}?access_token={t}", row.path),
            vec![],
            vec![t.clone()],
        ),
        Send::QueryAndBearer(t) => (
            format!("{}?access_token={t}", row.path),
            vec![bearer(t)],
            vec![t.clone()],
        ),
    };
    let replies = futures_join(fx, row.method, &path, &headers, row.copies).await;
    for reply in &replies {
        assert_eq!(reply.status, row.status, "{name}: status ({})", reply.body);
        if row.status < 300 {
            assert!(
                reply.www_authenticate.is_none(),
                "{name}: no challenge on success"
            );
        } else {
            let challenge = reply.www_authenticate.as_deref().unwrap_or_default();
            assert!(
                challenge.starts_with("Bearer realm=\"https://api.orgpass.example/\""),
                "{name}: {challenge}"
            );
            assert_eq!(
                reply.attr("error").as_deref(),
                row.error,
                "{name}: error attribute in {challenge}"
            );
            assert_eq!(
                reply.attr("scope").as_deref(),
                row.scope,
                "{name}: scope attribute"
            );
            if row.error.is_none() {
                assert_eq!(
                    challenge, "Bearer realm=\"https://api.orgpass.example/\"",
                    "{name}"
                );
            }
            let body = reply.json();
            assert_eq!(
                body["check"].as_str(),
                row.check,
                "{name}: check in {}",
                reply.body
            );
            let want_error = row.error.unwrap_or("unauthorized");
            assert_eq!(body["error"], want_error, "{name}");
            assert!(
                body["error_description"]
                    .as_str()
                    .is_some_and(|d| !d.is_empty()),
                "{name}"
            );
        }
        for secret in secrets.iter().filter(|s| s.len() > 20) {
            let signature = secret.rsplit('.').next().unwrap_or(secret);
            for part in [secret.as_str(), signature] {
                if part.len() > 20 {
                    assert!(
                        !reply.body.contains(part),
                        "{name}: the body echoes the token"
                    );
                    assert!(
                        !reply.headers.contains(part),
                        "{name}: a header echoes the token"
                    );
                }
            }
        }
    }
    assert_eq!(
        fx.issuer.jwks_hits() - 1,
        row.refetches,
        "{name}: JWKS refetches"
    );
    assert_eq!(fx.issuer.discovery_hits(), 1, "{name}: discovery read once");
    assert_eq!(
        fx.guard.jwks_fetches(),
        fx.issuer.jwks_hits(),
        "{name}: the guard counts its fetches"
    );
    let ran = fx.runs.get() - warm_runs;
    let want_runs = if row.handler_runs { row.copies } else { 0 };
    assert_eq!(ran, want_runs, "{name}: handler runs");
}

/// Sends `copies` identical requests at once.
async fn futures_join(
    fx: &Fixture,
    method: &str,
    path: &str,
    headers: &[String],
    copies: usize,
) -> Vec<crate::app::Reply> {
    let mut tasks = Vec::new();
    for _ in 0..copies {
        let app = fx.app.clone();
        let req = request(method, path, headers);
        tasks.push(tokio::spawn(async move {
            use tower::ServiceExt;
            crate::app::Reply::read(app.oneshot(req).await.unwrap()).await
        }));
    }
    let mut replies = Vec::new();
    for t in tasks {
        replies.push(t.await.unwrap());
    }
    replies
}

#[tokio::test]
async fn an_acme_token_passes_its_own_bound_route() {
    let fx = Fixture::new().await;
    let reply = fx
        .send(request(
            "GET",
            &format!("/orgs/{ACME}/projects"),
            &[bearer(&fx.token())],
        ))
        .await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(reply.json(), json!({"org": ACME}));
}
