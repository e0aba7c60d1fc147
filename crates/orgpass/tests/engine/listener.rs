//! The loopback listener against junk over real sockets; the real callback still completes.

use std::sync::atomic::Ordering;
use std::time::Duration;

use orgpass::{ErrorKind, LoginError, SessionStore};
use tokio::io::AsyncWriteExt;

use crate::op::{self, Op};
use crate::{begin, get, raw, status};

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn junk_does_not_stall_the_real_callback() {
    let op = Op::start(true, Duration::ZERO).await;
    let store = crate::memory_store();
    let client = crate::client(&op, store.clone());
    let (pending, state) = begin(&op, &client).await;
    let redirect = pending.redirect_uri().clone();
    assert_eq!(redirect.host_str(), Some("127.0.0.1"));
    assert_eq!(redirect.path(), "/callback");
    let host = format!("127.0.0.1:{}", redirect.port().unwrap());
    let addr = host.clone();
    let waiter = tokio::spawn(pending.wait());

    // A slow client that connects and sends nothing, and one that sends half a request line.
    let idle = tokio::net::TcpStream::connect(&addr).await.unwrap();
    let mut half = tokio::net::TcpStream::connect(&addr).await.unwrap();
    half.write_all(b"GET /callback?state=").await.unwrap();

    // 200 concurrent junk connections: garbage, idle, and bogus requests.
    // Each is connected before the next, so all 200 are open at once when the real callback arrives.
    let mut junk = Vec::new();
    for i in 0..200 {
        let mut s = tokio::net::TcpStream::connect(&addr).await.unwrap();
        junk.push(tokio::spawn(async move {
            match i % 3 {
                0 => {
                    let _ = s
                        .write_all(b"\x16\x03\x01\x02\x00garbage-not-http\r\n\r\n")
                        .await;
                }
                1 => {
                    let _ = s.write_all(b"POST /callback HTTP/1.1\r\n").await;
                }
                _ => {}
            }
            tokio::time::sleep(Duration::from_secs(3)).await;
            drop(s);
        }));
    }

    // Oversized headers.
    let big = format!(
        "GET /callback?state={state} HTTP/1.1\r\nHost: {host}\r\nX-Junk: {}\r\n\r\n",
        "a".repeat(20_000)
    );
    assert_eq!(status(&raw(&addr, big.as_bytes()).await), 431);
    // Wrong path, wrong method, wrong Host, wrong state, missing state, repeated state.
    assert_eq!(
        status(
            &get(
                &addr,
                &host,
                &format!("/other?code={}&state={state}", op::CODE)
            )
            .await
        ),
        404
    );
    let post = format!("POST /callback?code=x&state={state} HTTP/1.1\r\nHost: {host}\r\n\r\n");
    assert_eq!(status(&raw(&addr, post.as_bytes()).await), 405);
    assert_eq!(
        status(
            &get(
                &addr,
                "evil.example",
                &format!("/callback?code={}&state={state}", op::CODE)
            )
            .await
        ),
        400
    );
    assert_eq!(
        status(
            &get(
                &addr,
                &format!("localhost:{}", redirect.port().unwrap()),
                &format!("/callback?code=x&state={state}")
            )
            .await
        ),
        400
    );
    assert_eq!(
        status(&get(&addr, &host, "/callback?code=attacker&state=wrong").await),
        400
    );
    assert_eq!(
        status(&get(&addr, &host, "/callback?error=access_denied&state=wrong").await),
        400
    );
    assert_eq!(
        status(&get(&addr, &host, "/callback?code=attacker").await),
        400
    );
    assert_eq!(
        status(
            &get(
                &addr,
                &host,
                &format!("/callback?code=x&state={state}&state={state}")
            )
            .await
        ),
        400
    );
    assert_eq!(
        op.state.code_requests.load(Ordering::SeqCst),
        0,
        "no junk reached the token endpoint"
    );
    assert!(!waiter.is_finished(), "junk does not end the flow");

    // The real callback, while the idle and junk connections are still open.
    let iss = url::form_urlencoded::byte_serialize(op.issuer.as_bytes()).collect::<String>();
    let started = std::time::Instant::now();
    let resp = get(
        &addr,
        &host,
        &format!("/callback?code={}&state={state}&iss={iss}", op::CODE),
    )
    .await;
    assert_eq!(status(&resp), 200, "{resp}");
    assert!(
        resp.contains("Signed in as ada@acme.example to organization acme"),
        "{resp}"
    );
    assert!(resp.contains("You can close this tab"));
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "the real callback was not stalled: {:?}",
        started.elapsed()
    );
    let session = waiter.await.unwrap().expect("login completes");
    assert_eq!(session.meta.key.org_id.as_deref(), Some(op::ORG_ID));
    assert_eq!(store.list().unwrap().len(), 1, "session stored");
    assert_eq!(op.state.code_requests.load(Ordering::SeqCst), 1);
    drop((idle, half));
    for j in junk {
        j.await.unwrap();
    }
    // The listener is closed after the real callback.
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert!(
        tokio::net::TcpStream::connect(&addr).await.is_err(),
        "listener closed"
    );
}

#[tokio::test]
async fn idp_error_redirect_ends_the_flow_with_its_description() {
    let op = Op::start(false, Duration::ZERO).await;
    let client = crate::client(&op, crate::memory_store());
    let (pending, state) = begin(&op, &client).await;
    let host = format!("127.0.0.1:{}", pending.redirect_uri().port().unwrap());
    let waiter = tokio::spawn(pending.wait());
    let resp = get(&host, &host, &format!("/callback?error=access_denied&error_description=%3Cb%3Enot+a+member%3C%2Fb%3E&state={state}")).await;
    assert_eq!(status(&resp), 400);
    assert!(
        resp.contains("&lt;b&gt;not a member&lt;/b&gt;") && !resp.contains("<b>not"),
        "HTML-escaped: {resp}"
    );
    let err = waiter.await.unwrap().unwrap_err();
    assert_eq!(
        err.to_string(),
        "sign-in refused by the identity provider: access_denied (<b>not a member</b>)"
    );
    assert_eq!(err.kind(), ErrorKind::Refused);
    assert_eq!(op.state.code_requests.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn a_pasted_address_and_the_listener_share_one_claim() {
    let op = Op::start(false, Duration::ZERO).await;
    let client = crate::client(&op, crate::memory_store());
    let (pending, state) = begin(&op, &client).await;
    let redirect = pending.redirect_uri().clone();
    let host = format!("127.0.0.1:{}", redirect.port().unwrap());
    let paste = pending.paste_handle();
    let waiter = tokio::spawn(pending.wait());
    let url = |query: &str| format!("{redirect}?{query}");
    use orgpass::{PasteError, Refusal};
    let not_ours = PasteError::Refused(Refusal::NotOurs(host.clone()));
    for (pasted, want) in [
        ("junk".to_owned(), PasteError::NotAUrl),
        (
            url("code=c&state=nope"),
            PasteError::Refused(Refusal::WrongState),
        ),
        (
            url(&format!("code=c&state={state}&state={state}")),
            PasteError::Refused(Refusal::Malformed),
        ),
        (
            format!("http://127.0.0.1:1/callback?code=c&state={state}"),
            not_ours.clone(),
        ),
        (
            format!("http://{host}/elsewhere?code=c&state={state}"),
            not_ours.clone(),
        ),
        (
            format!("http://user@{host}/callback?code=c&state={state}"),
            not_ours,
        ),
        ("x".repeat(3000), PasteError::TooLong(3000)),
    ] {
        assert_eq!(paste.submit(&pasted).await, Err(want), "{pasted:.60}");
    }
    // The first good one (an error response here) ends the flow; after it, neither way is accepted again.
    paste
        .submit(&url(&format!("error=access_denied&state={state}")))
        .await
        .unwrap();
    assert_eq!(
        paste.submit(&url(&format!("code=c&state={state}"))).await,
        Err(PasteError::Refused(Refusal::AlreadyClaimed))
    );
    let err = waiter.await.unwrap().unwrap_err();
    assert!(
        matches!(err, LoginError::Idp { ref error, .. } if error == "access_denied"),
        "{err:?}"
    );
    assert_eq!(op.state.code_requests.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn rfc9207_iss_mismatch_and_missing() {
    for (supported, iss, want) in [
        (true, None, "iss is missing"),
        (
            false,
            Some("http://evil.example/"),
            "iss is http://evil.example/, expected",
        ),
    ] {
        let op = Op::start(supported, Duration::ZERO).await;
        let store = crate::memory_store();
        let client = crate::client(&op, store.clone());
        let (pending, state) = begin(&op, &client).await;
        let host = format!("127.0.0.1:{}", pending.redirect_uri().port().unwrap());
        let waiter = tokio::spawn(pending.wait());
        let iss = iss
            .map(|i| {
                format!(
                    "&iss={}",
                    url::form_urlencoded::byte_serialize(i.as_bytes()).collect::<String>()
                )
            })
            .unwrap_or_default();
        let resp = get(
            &host,
            &host,
            &format!("/callback?code={}&state={state}{iss}", op::CODE),
        )
        .await;
        assert_eq!(status(&resp), 400);
        let err = waiter.await.unwrap().unwrap_err();
        assert!(err.to_string().contains(want), "{err}");
        assert_eq!(err.kind(), ErrorKind::Refused);
        assert_eq!(
            op.state.code_requests.load(Ordering::SeqCst),
            0,
            "no code exchange after an iss failure"
        );
        assert!(store.list().unwrap().is_empty());
    }
}

#[tokio::test]
async fn timeout_and_cancel() {
    let op = Op::start(false, Duration::ZERO).await;
    let mut config =
        orgpass::Config::new(orgpass::Issuer::parse(&op.issuer).unwrap(), op::CLIENT_ID);
    config.timeout = Duration::from_millis(300);
    let client = orgpass::Client::new(config, crate::memory_store());
    let (pending, state) = begin(&op, &client).await;
    let host = format!("127.0.0.1:{}", pending.redirect_uri().port().unwrap());
    let waiter = tokio::spawn(pending.wait());
    assert_eq!(
        status(&get(&host, &host, "/callback?code=x&state=nope").await),
        400
    );
    let err = waiter.await.unwrap().unwrap_err();
    assert!(matches!(err, LoginError::TimedOut(_)), "{err:?}");
    assert_eq!(err.kind(), ErrorKind::TimedOut);
    let _ = state;

    let client = crate::client(&op, crate::memory_store());
    let (pending, _) = begin(&op, &client).await;
    let cancel = pending.cancel_handle();
    let waiter = tokio::spawn(pending.wait());
    cancel.cancel();
    let err = waiter.await.unwrap().unwrap_err();
    assert!(matches!(err, LoginError::Cancelled), "{err:?}");
    assert_eq!(err.kind(), ErrorKind::Cancelled);
}

/// Whether something still accepts connections on `addr`, asked until `limit` for it to stop.
async fn still_listening(addr: &str, limit: Duration) -> bool {
    let deadline = tokio::time::Instant::now() + limit;
    loop {
        if tokio::net::TcpStream::connect(addr).await.is_err() {
            return false;
        }
        if tokio::time::Instant::now() >= deadline {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn a_sign_in_dropped_without_waiting_closes_its_listener() {
    let op = Op::start(false, Duration::ZERO).await;
    let client = crate::client(&op, crate::memory_store());

    // Dropped before `wait` (the app cancels a sign-in that is still starting).
    let (pending, _) = begin(&op, &client).await;
    let addr = format!("127.0.0.1:{}", pending.redirect_uri().port().unwrap());
    assert!(
        still_listening(&addr, Duration::ZERO).await,
        "listening while pending"
    );
    drop(pending);
    assert!(
        !still_listening(&addr, Duration::from_secs(2)).await,
        "the loopback port {addr} is still open after the sign-in was dropped"
    );

    // The `wait` future dropped half-way (a task aborted).
    let (pending, _) = begin(&op, &client).await;
    let addr = format!("127.0.0.1:{}", pending.redirect_uri().port().unwrap());
    let waiter = tokio::spawn(pending.wait());
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert!(
        still_listening(&addr, Duration::ZERO).await,
        "listening while waiting"
    );
    waiter.abort();
    let _ = waiter.await;
    assert!(
        !still_listening(&addr, Duration::from_secs(2)).await,
        "the loopback port {addr} is still open after the wait was aborted"
    );
}

#[tokio::test]
async fn authorize_url_carries_the_protocol_parameters() {
    let op = Op::start(false, Duration::ZERO).await;
    let client = crate::client(&op, crate::memory_store());
    let org = orgpass::OrgInput::parse("https://app.acme.example/login?invitation=Tk1&organization=org_W3EMXCyaLW0dJdHz&organization_name=acme").unwrap();
    let req = orgpass::LoginRequest {
        org: Some(org),
        prompt: Some("login".into()),
        login_hint: Some("ada@acme.example".into()),
        ..Default::default()
    };
    let pending = client.begin_login(req).await.unwrap();
    let url = pending.authorize_url().clone();
    let q: std::collections::HashMap<String, String> = url.query_pairs().into_owned().collect();
    assert_eq!(
        url.as_str().split('?').next().unwrap(),
        format!("{}authorize", op.issuer)
    );
    assert_eq!(q["response_type"], "code");
    assert_eq!(q["client_id"], op::CLIENT_ID);
    assert_eq!(q["redirect_uri"], pending.redirect_uri().as_str());
    assert!(
        q["redirect_uri"].starts_with("http://127.0.0.1:")
            && q["redirect_uri"].ends_with("/callback")
    );
    assert_eq!(q["scope"], "openid profile email offline_access");
    assert_eq!(q["code_challenge_method"], "S256");
    assert_eq!(q["code_challenge"].len(), 43);
    assert!(q["state"].len() >= 16 && q["nonce"].len() >= 32);
    assert_eq!(q["organization"], "org_W3EMXCyaLW0dJdHz");
    assert_eq!(q["invitation"], "Tk1");
    assert_eq!(q["prompt"], "login");
    assert_eq!(q["login_hint"], "ada@acme.example");
    assert!(
        !q.contains_key("organization_name"),
        "organization_name is informational, not sent"
    );
    pending.cancel_handle().cancel();
    let _ = pending.wait().await;
}
