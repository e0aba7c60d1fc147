//! Rate limits, server errors and connection resets (retried where safe, looked up where not), and redirects
//! (never followed).

use orgpass_admin::{AdminError, ManagementClient, Secret, Tenant};

use crate::support::*;

#[tokio::test]
async fn creates_beyond_the_burst_are_paced_without_a_429() {
    let t = start().await;
    // Burst 2, then 2 per second.
    limit(&t, &[("write_organizations", 2, 120)]);
    let c = client(&t);
    let started = std::time::Instant::now();
    let futs = (0..8).map(|i| {
        let c = c.clone();
        async move { c.create_organization(&new_org(format!("paced-{i}"))).await }
    });
    for r in futures_util::future::join_all(futs).await {
        r.unwrap();
    }
    let elapsed = started.elapsed();
    let s = c.stats();
    assert_eq!((s.succeeded, s.rate_limited), (8, 0), "{s:?}");
    // 6 creates beyond the burst at 2/s: 3 s, and the pacing waits a little longer than that.
    assert!(
        elapsed >= std::time::Duration::from_millis(2900)
            && elapsed < std::time::Duration::from_secs(8),
        "{elapsed:?}"
    );
}

#[tokio::test]
async fn a_429_storm_is_waited_out_and_every_create_succeeds() {
    let t = start().await;
    // Burst 2, then 2 per second.
    limit(&t, &[("write_organizations", 2, 120)]);
    let c = client(&t);
    c.create_organization(&new_org("storm-0")).await.unwrap();
    // The tenant said one token is left; another client takes it: the next create is refused whatever the pacing.
    spend_all_tokens(&t, "write_organizations");
    let started = std::time::Instant::now();
    let futs = (1..9).map(|i| {
        let c = c.clone();
        async move { c.create_organization(&new_org(format!("storm-{i}"))).await }
    });
    for r in futures_util::future::join_all(futs).await {
        r.unwrap();
    }
    let s = c.stats();
    assert_eq!(s.succeeded, 9, "{s:?}");
    assert!(s.rate_limited >= 1, "the tenant did push back: {s:?}");
    // 8 creates from an empty bucket at 2/s need at least 4 s.
    assert!(
        started.elapsed() >= std::time::Duration::from_millis(3900),
        "{:?}",
        started.elapsed()
    );
    let n = c
        .list_organizations()
        .await
        .unwrap()
        .iter()
        .filter(|o| o.name.starts_with("storm-"))
        .count();
    assert_eq!(n, 9);
}

#[tokio::test]
async fn server_errors_then_success_are_retried_for_safe_requests() {
    let t = start().await;
    let proxy = Proxy::start(t.addr).await;
    proxy.fault(
        "GET /api/v2/organizations/name/acme ",
        Fault::Status(503),
        2,
    );
    let c = client_at(proxy.addr, &t.management_audience());
    let org = c.resolve_organization("acme").await.unwrap();
    assert_eq!(org.name, "acme");
    assert_eq!(c.stats().retried, 2);

    // Persisting 5xx: gives up with the tenant's answer after max_attempts.
    proxy.fault(
        "GET /api/v2/organizations/name/globex ",
        Fault::Status(500),
        10,
    );
    let e = c.resolve_organization("globex").await.unwrap_err();
    assert!(matches!(e, AdminError::Api { status: 500, .. }), "{e}");
}

#[tokio::test]
async fn connection_resets_are_retried_for_reads() {
    let t = start().await;
    let proxy = Proxy::start(t.addr).await;
    proxy.fault("GET /api/v2/organizations?", Fault::ResetBefore, 2);
    let c = client_at(proxy.addr, &t.management_audience());
    let all = c.list_organizations().await.unwrap();
    assert!(all.iter().any(|o| o.name == "acme"));
    assert_eq!(c.stats().retried, 2);
}

#[tokio::test]
async fn a_create_whose_answer_was_lost_is_looked_up_not_repeated() {
    let t = start().await;
    let proxy = Proxy::start(t.addr).await;
    // The tenant creates the organization, but the answer never arrives.
    proxy.fault("POST /api/v2/organizations ", Fault::ResetAfter, 1);
    let c = client_at(proxy.addr, &t.management_audience());
    let org = c
        .create_organization(&new_org("lost-answer"))
        .await
        .unwrap();
    assert_eq!(org.name, "lost-answer");
    let seen = proxy.seen.lock().unwrap().clone();
    let posts = seen
        .iter()
        .filter(|l| l.starts_with("POST /api/v2/organizations "))
        .count();
    assert_eq!(posts, 1, "the create was sent once: {seen:?}");
    assert!(
        seen.iter()
            .any(|l| l.starts_with("GET /api/v2/organizations/name/lost-answer ")),
        "{seen:?}"
    );

    // The create never reached the tenant: looked up, not found, then sent again.
    proxy.fault("POST /api/v2/organizations ", Fault::ResetBefore, 1);
    let org = c
        .create_organization(&new_org("never-arrived"))
        .await
        .unwrap();
    assert_eq!(org.name, "never-arrived");
    let n = c
        .list_organizations()
        .await
        .unwrap()
        .iter()
        .filter(|o| o.name == "lost-answer" || o.name == "never-arrived")
        .count();
    assert_eq!(n, 2);

    // 503 on a create is ambiguous too: looked up first.
    proxy.fault("POST /api/v2/organizations ", Fault::Status(503), 1);
    c.create_organization(&new_org("after-503")).await.unwrap();
}

#[tokio::test]
async fn an_invitation_with_an_unknown_outcome_is_not_sent_twice() {
    let t = start().await;
    let proxy = Proxy::start(t.addr).await;
    let c = client_at(proxy.addr, &t.management_audience());
    let org = c.resolve_organization("acme").await.unwrap();
    proxy.fault("/invitations ", Fault::ResetAfter, 1);
    let inv = orgpass_admin::model::NewInvitation {
        inviter: orgpass_admin::model::Inviter { name: "Ops".into() },
        invitee: orgpass_admin::model::Invitee {
            email: "once@example.com".into(),
        },
        client_id: devtenant::DEMO_NATIVE_CLIENT_ID.into(),
        connection_id: None,
        ttl_sec: None,
        roles: vec![],
        send_invitation_email: false,
    };
    let e = c.create_invitation(&org.id, &inv).await.unwrap_err();
    assert!(matches!(e, AdminError::Ambiguous { .. }), "{e}");
    assert!(e.to_string().contains("invitations list"), "{e}");
    let posts = proxy
        .seen
        .lock()
        .unwrap()
        .iter()
        .filter(|l| l.starts_with("POST") && l.contains("/invitations"))
        .count();
    assert_eq!(posts, 1);
}

/// A tenant that answers a redirect (3xx), whether for the token (whose form carries the client secret) or for a
/// Management API call: the redirect is not followed (the place it points to receives nothing) and the error says
/// what was asked, where the tenant pointed and to check --domain.
#[tokio::test]
async fn redirects_are_not_followed() {
    // (request line the tenant redirects, its answer, what the error says was being done, method, path)
    let rows = [
        (
            "POST /oauth/token ",
            "307 Temporary Redirect",
            "getting a Management API token",
            "POST",
            "oauth/token",
        ),
        (
            "POST /oauth/token ",
            "308 Permanent Redirect",
            "getting a Management API token",
            "POST",
            "oauth/token",
        ),
        (
            "GET /api/v2/organizations",
            "307 Temporary Redirect",
            "listing organizations",
            "GET",
            "api/v2/organizations",
        ),
        (
            "GET /api/v2/organizations",
            "302 Found",
            "listing organizations",
            "GET",
            "api/v2/organizations",
        ),
    ];
    for (redirected, status, what, method, path) in rows {
        let elsewhere = Stub::start(|_| raw_response("200 OK", "", "{}")).await;
        let target = format!("http://{}/collect", elsewhere.addr);
        let location = format!("location: {target}\r\n");
        let tenant = Stub::start(move |line| {
            if line.starts_with(redirected) {
                raw_response(status, &location, "")
            } else if line.starts_with("POST /oauth/token ") {
                raw_response(
                    "200 OK",
                    "",
                    r#"{"access_token":"tok","expires_in":3600,"token_type":"Bearer"}"#,
                )
            } else {
                raw_response("404 Not Found", "", r#"{"statusCode":404}"#)
            }
        })
        .await;
        let c = ManagementClient::builder(
            Tenant::parse(&domain(tenant.addr)).unwrap(),
            "m2m",
            Secret::new("s3cret"),
        )
        .retry(fast_retry())
        .build()
        .unwrap();
        let e = c.list_organizations().await.unwrap_err();
        let code = &status[..3];
        assert_eq!(
            e.to_string(),
            format!(
                "{what}: the tenant answered {method} http://{}/{path} with {code}, a redirect to {target}, which \
                 orgpass-admin does not follow (it would send the request, and for a token the client secret, \
                 there); check --domain: it must be the tenant's own domain (e.g. `your-tenant.eu.auth0.com`, or \
                 its custom domain)",
                tenant.addr
            ),
            "{redirected} answered {status}"
        );
        assert!(
            matches!(&e, AdminError::Redirect { location, .. } if *location == target),
            "{e:?}"
        );
        assert!(
            tenant
                .seen
                .lock()
                .unwrap()
                .iter()
                .filter(|l| l.starts_with(redirected))
                .count()
                == 1,
            "asked once, not retried: {:?}",
            tenant.seen.lock().unwrap()
        );
        assert_eq!(
            (
                *elsewhere.connections.lock().unwrap(),
                elsewhere.seen.lock().unwrap().clone()
            ),
            (0, Vec::<String>::new()),
            "{redirected} answered {status}: nothing reached {target}"
        );
    }
}
