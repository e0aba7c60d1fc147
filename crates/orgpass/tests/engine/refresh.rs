//! Refresh against an in-test token endpoint: single flight, rotation saved first, invalid_grant ends the session.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use orgpass::{ErrorKind, Secret, Session, SessionKey, SessionMeta, SessionStore, TokenError};

use crate::op::{self, Op, RefreshMode};

fn expired_session(op: &Op) -> Session {
    Session {
        meta: SessionMeta {
            key: SessionKey {
                issuer: op.issuer.clone(),
                client_id: op::CLIENT_ID.into(),
                org_id: Some(op::ORG_ID.into()),
            },
            org_name: Some("acme".into()),
            sub: "auth0|6543a1b2c3d4e5f6a7b8c9d0".into(),
            email: Some("ada@acme.example".into()),
            name: None,
            picture: None,
            expires_at: 1_000,
            refreshable: true,
        },
        access_token: Secret::new("at-1"),
        refresh_token: Some(Secret::new("rt-1")),
        id_token: Secret::new("old.id.token"),
        scope: None,
        token_type: "Bearer".into(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_token_calls_refresh_once_and_save_rotation() {
    let op = Op::start(false, Duration::from_millis(300)).await;
    let store = crate::memory_store();
    let s = expired_session(&op);
    store.save(&s).unwrap();
    let client = crate::client(&op, store.clone());
    let (a, b) = tokio::join!(client.token(&s.meta.key), client.token(&s.meta.key));
    let (a, b) = (a.unwrap(), b.unwrap());
    assert_eq!(
        op.state.refresh_requests.load(Ordering::SeqCst),
        1,
        "exactly one refresh request"
    );
    assert_eq!(a.token.secret(), "at-2");
    assert_eq!(b.token.secret(), "at-2");
    assert!(
        a.refreshed != b.refreshed,
        "one caller refreshed, the other reused its result"
    );
    let stored = store.load(&s.meta.key).unwrap().unwrap();
    assert_eq!(
        stored.refresh_token.unwrap().secret(),
        "rt-2",
        "rotated refresh token saved"
    );
    assert_eq!(stored.access_token.secret(), "at-2");
    assert!(stored.meta.expires_at > 1_000);
    // A fresh token is served from the keychain without another request.
    assert_eq!(
        client.token(&s.meta.key).await.unwrap().token.secret(),
        "at-2"
    );
    assert_eq!(op.state.refresh_requests.load(Ordering::SeqCst), 1);
    // Forced refresh rotates again, using the saved (rotated) token: no reuse, so the OP accepts it.
    assert_eq!(
        client
            .token_with(&s.meta.key, true)
            .await
            .unwrap()
            .token
            .secret(),
        "at-3"
    );
    assert_eq!(
        store
            .load(&s.meta.key)
            .unwrap()
            .unwrap()
            .refresh_token
            .unwrap()
            .secret(),
        "rt-3"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn many_concurrent_callers_share_one_refresh() {
    let op = Op::start(false, Duration::from_millis(200)).await;
    let store = crate::memory_store();
    let s = expired_session(&op);
    store.save(&s).unwrap();
    let client = crate::client(&op, store.clone());
    let tasks: Vec<_> = (0..16)
        .map(|_| {
            let (c, k) = (client.clone(), s.meta.key.clone());
            tokio::spawn(async move { c.token(&k).await.map(|t| t.token.secret().to_owned()) })
        })
        .collect();
    for t in tasks {
        assert_eq!(t.await.unwrap().unwrap(), "at-2");
    }
    assert_eq!(op.state.refresh_requests.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn invalid_grant_deletes_the_session() {
    let op = Op::start(false, Duration::ZERO).await;
    *op.state.refresh_mode.lock().unwrap() = RefreshMode::InvalidGrant;
    let store = crate::memory_store();
    let s = expired_session(&op);
    store.save(&s).unwrap();
    let client = crate::client(&op, store.clone());
    let err = client.token(&s.meta.key).await.unwrap_err();
    assert!(matches!(err, TokenError::SignInAgain { .. }), "{err:?}");
    assert_eq!(err.kind(), ErrorKind::Refused);
    assert!(err.to_string().contains("sign in again"), "{err}");
    assert!(
        store.load(&s.meta.key).unwrap().is_none(),
        "session deleted"
    );
    assert!(store.list().unwrap().is_empty(), "index entry deleted");
    let again = client.token(&s.meta.key).await.unwrap_err();
    assert!(matches!(again, TokenError::NoSession(_)), "{again:?}");
}

#[tokio::test]
async fn logout_deletes_then_revokes() {
    let op = Op::start(false, Duration::ZERO).await;
    let store = crate::memory_store();
    let s = expired_session(&op);
    store.save(&s).unwrap();
    let client = crate::client(&op, store.clone());
    let out = client.logout(&s.meta.key).await.unwrap();
    assert!(out.removed);
    assert_eq!(out.revocation, orgpass::Revocation::Revoked);
    assert_eq!(*op.state.revoked.lock().unwrap(), vec!["rt-1".to_owned()]);
    assert!(store.load(&s.meta.key).unwrap().is_none());
    let url = client
        .end_session_url(Some("http://127.0.0.1:9/bye"))
        .await
        .unwrap();
    assert_eq!(
        url.as_str(),
        format!(
            "{}v2/logout?client_id={}&returnTo=http%3A%2F%2F127.0.0.1%3A9%2Fbye",
            op.issuer,
            op::CLIENT_ID
        )
    );
}

#[tokio::test]
async fn refreshed_id_token_for_another_org_is_refused_and_not_saved() {
    let op = Op::start(false, Duration::ZERO).await;
    let store = crate::memory_store();
    let mut s = expired_session(&op);
    s.meta.key.org_id = Some("org_Other".into());
    store.save(&s).unwrap();
    let client = crate::client(&op, store.clone());
    let err = client.token(&s.meta.key).await.unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "refreshed ID token rejected: org_id is {}, expected org_Other",
            op::ORG_ID
        )
    );
    let kept = store.load(&s.meta.key).unwrap().unwrap();
    assert_eq!(
        kept.access_token.secret(),
        "at-1",
        "nothing saved from a refused refresh"
    );
    let _ = Arc::clone(&store);
}
