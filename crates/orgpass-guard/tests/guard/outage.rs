//! The issuer down: a guard whose cached keys are long past their max age serves 1,000 requests with a handful
//! of fetches (backed off, one at a time), still verifies with the last good keys for the grace, then refuses
//! with a 503 that names neither the issuer nor the network's error.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use orgpass_guard::http::{default_client, discover_jwks_uri};
use orgpass_guard::jwks::{HttpJwks, STALE_GRACE};
use orgpass_guard::{Clock, Guard, GuardConfig};
use serde_json::json;
use tower::ServiceExt;

use crate::app::{AUDIENCE, Reply, Runs, bearer, now, request, router};
use crate::issuer::TestIssuer;
use crate::keys::keys;

/// The body of every 503, whatever failed.
fn unavailable() -> serde_json::Value {
    json!({
        "error": "temporarily_unavailable",
        "error_description": "the API cannot check tokens right now; try again later",
        "check": "jwks",
    })
}

/// The guard's clock, moved by the test.
struct Hands(Arc<AtomicI64>);

impl Hands {
    fn clock(&self) -> Clock {
        let t = self.0.clone();
        Arc::new(move || t.load(Ordering::SeqCst))
    }
    fn advance(&self, secs: i64) {
        self.0.fetch_add(secs, Ordering::SeqCst);
    }
}

/// A guard for `issuer` fetching over real HTTP, on the test's clock.
fn guard(issuer: &str, hands: &Hands) -> Guard {
    let config = GuardConfig::new(issuer, AUDIENCE).unwrap();
    let http = default_client(&config).unwrap();
    let source = Arc::new(HttpJwks::new(http, config.clone()));
    Guard::with_source(config, source, hands.clock())
}

/// A token valid for a day (the test moves the clock by more than an hour).
fn token(issuer: &str) -> String {
    let now = now();
    keys().tenant.sign(&json!({
        "iss": issuer,
        "sub": "auth0|alice0000000000000000001",
        "aud": AUDIENCE,
        "iat": now,
        "exp": now + 86_400,
        "scope": "read:projects",
        "org_id": "org_AcmeA1b2C3d4E5f6",
    }))
}

/// `n` requests for `/org` with `token`, all at once; their statuses and bodies.
async fn batch(app: &axum::Router, token: &str, n: usize) -> Vec<Reply> {
    let tasks: Vec<_> = (0..n)
        .map(|_| {
            let (app, req) = (app.clone(), request("GET", "/org", &[bearer(token)]));
            tokio::spawn(async move { Reply::read(app.oneshot(req).await.unwrap()).await })
        })
        .collect();
    let mut replies = Vec::with_capacity(n);
    for t in tasks {
        replies.push(t.await.unwrap());
    }
    replies
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_issuer_outage_costs_a_few_fetches_not_one_per_request() {
    let issuer = TestIssuer::start(&[&keys().tenant]).await;
    let hands = Hands(Arc::new(AtomicI64::new(now())));
    let guard = guard(&issuer.issuer, &hands);
    let app = router(&guard, Runs::default());
    let token = token(&issuer.issuer);
    let hits = || issuer.discovery_hits() + issuer.jwks_hits();

    // Keys fetched once (no Cache-Control: kept the default 10 min).
    assert!(batch(&app, &token, 1).await.iter().all(|r| r.status == 200));
    assert_eq!((issuer.discovery_hits(), issuer.jwks_hits()), (1, 1));

    // The issuer goes down; the keys are now 1,300 s old: past twice their max age (where the guard used to
    // fetch on every request, one at a time), within the hour of grace past it.
    issuer.set_down(true);
    hands.advance(1_300);
    let (fetches, before) = (guard.jwks_fetches(), hits());
    // 1,000 requests, 100 at a time, one batch per second of the guard's clock (10 s in all). A renewal the batch
    // started in the background ends before the clock moves, so its failure is dated to its own second (and its
    // request has reached the issuer before the requests are counted).
    for second in 0..10 {
        let replies = batch(&app, &token, 100).await;
        for r in &replies {
            assert_eq!(r.status, 200, "second {second}: {}", r.body);
        }
        guard.jwks_settled().await;
        hands.advance(1);
    }
    // Backed off 1 s, 2 s, 4 s after the failures at seconds 0, 2 and 5: three attempts in 10 s, fewer than
    // the bound of four (1 + log2 of the span), each one request to the issuer (the JWKS, then discovery again).
    let attempts = guard.jwks_fetches() - fetches;
    assert!(attempts <= 4, "{attempts} fetches for 1,000 requests");
    assert_eq!(attempts, 3);
    assert_eq!(hits() - before, attempts, "one issuer request per attempt");

    // Past the grace (max age + 1 h): refused, with a 503 that says nothing of the issuer, at the same cost.
    hands.advance(600 + STALE_GRACE.as_secs() as i64 - 1_310);
    let before = guard.jwks_fetches();
    let replies = batch(&app, &token, 1_000).await;
    guard.jwks_settled().await;
    for r in &replies {
        assert_eq!(r.status, 503, "{}", r.body);
        assert_eq!(r.json(), unavailable());
        assert!(!r.body.contains("127.0.0.1"), "{}", r.body);
    }
    assert!(
        guard.jwks_fetches() - before <= 1,
        "backed off: at most one attempt"
    );

    // The issuer is back: once the backoff (at most a minute) has passed, keys again.
    issuer.set_down(false);
    hands.advance(61);
    let replies = batch(&app, &token, 10).await;
    assert!(
        replies.iter().all(|r| r.status == 200),
        "{}",
        replies[0].body
    );
}

#[tokio::test]
async fn a_503_names_neither_the_issuer_nor_the_transport_error() {
    // An issuer nobody answers for: the port was free a moment ago.
    let closed = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let issuer = format!("http://{}/", closed.local_addr().unwrap());
    drop(closed);
    let hands = Hands(Arc::new(AtomicI64::new(now())));
    let guard = guard(&issuer, &hands);
    let config = GuardConfig::new(&issuer, AUDIENCE).unwrap();
    let detail = discover_jwks_uri(&default_client(&config).unwrap(), &config)
        .await
        .unwrap_err();
    let transport = std::error::Error::source(&detail).unwrap().to_string();
    assert!(detail.to_string().contains(&issuer), "{detail}");

    let reply = batch(&router(&guard, Runs::default()), &token(&issuer), 1)
        .await
        .remove(0);
    assert_eq!(reply.status, 503);
    assert_eq!(
        reply.body,
        r#"{"check":"jwks","error":"temporarily_unavailable","error_description":"the API cannot check tokens right now; try again later"}"#
    );
    let host = issuer.trim_start_matches("http://").trim_end_matches('/');
    for secret in [host, transport.as_str(), "openid-configuration", "reach"] {
        assert!(!reply.body.contains(secret), "{secret:?} in {}", reply.body);
        assert!(
            !reply.headers.contains(secret),
            "{secret:?} in {}",
            reply.headers
        );
    }
    assert_eq!(guard.jwks_fetches(), 1);
}

#[test]
fn the_grace_is_an_hour() {
    assert_eq!(STALE_GRACE, Duration::from_secs(3600));
}
