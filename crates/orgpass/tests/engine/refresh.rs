//! Refresh against an in-test token endpoint: single flight (in process and through the inter-process lock file),
//! rotation saved first, invalid_grant and a refused refreshed ID token end the session.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use orgpass::lock::lock_path;
use orgpass::{
    Client, ClientOptions, Config, ErrorKind, Index, Issuer, KeychainStore, LockError,
    MemoryBackend, Secret, Session, SessionKey, SessionMeta, SessionStore, TokenError,
};

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
            refreshed_at: None,
            audience: None,
            dpop_jkt: None,
            found_by_email: false,
        },
        access_token: Secret::new("at-1"),
        refresh_token: Some(Secret::new("rt-1")),
        id_token: Secret::new("old.id.token"),
        scope: None,
        token_type: "Bearer".into(),
        dpop_key: None,
        apis: Default::default(),
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

/// A tenant that says it is failing (`temporarily_unavailable`, `server_error`) has not refused the session: the
/// error is transient (exit 1, which scripts retry, not 3) and the session and its refresh token are kept.
#[tokio::test]
async fn a_failing_token_endpoint_is_transient_and_keeps_the_session() {
    let op = Op::start(false, Duration::ZERO).await;
    *op.state.refresh_mode.lock().unwrap() = RefreshMode::Unavailable;
    let store = crate::memory_store();
    let s = expired_session(&op);
    store.save(&s).unwrap();
    let client = crate::client(&op, store.clone());
    for expected in [
        "the token endpoint could not renew the session: the server failed with HTTP 503: \
         {\"error\":\"temporarily_unavailable\",\"error_description\":\"Too many requests, try later.\"}; the \
         tenant (or a proxy in front of it) is failing, try again in a few minutes",
        "the token endpoint could not renew the session: the server failed with HTTP 400: \
         {\"error\":\"server_error\",\"error_description\":\"Something broke.\"}; the tenant (or a proxy in \
         front of it) is failing, try again in a few minutes",
    ] {
        let err = client.token(&s.meta.key).await.unwrap_err();
        assert!(matches!(err, TokenError::ServerFailed(_)), "{err:?}");
        assert_eq!(err.kind(), ErrorKind::Other);
        assert_eq!(err.to_string(), expected);
        let kept = store.load(&s.meta.key).unwrap().expect("session kept");
        assert_eq!(
            kept.refresh_token.as_ref().map(|r| r.secret().to_owned()),
            Some("rt-1".to_owned())
        );
    }
    assert_eq!(op.state.refresh_requests.load(Ordering::SeqCst), 2);
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

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_sign_out_during_a_refresh_is_not_undone_by_it() {
    let op = Op::start(false, Duration::from_millis(400)).await;
    let store = crate::memory_store();
    let s = expired_session(&op);
    store.save(&s).unwrap();
    let client = crate::client(&op, store.clone());
    let refreshing = {
        let (client, key) = (client.clone(), s.meta.key.clone());
        tokio::spawn(async move { client.token(&key).await })
    };
    // Sign out while the provider is still answering the refresh.
    while op.state.refresh_requests.load(Ordering::SeqCst) == 0 {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let out = client.logout(&s.meta.key).await.unwrap();
    let refreshed = refreshing.await.unwrap().unwrap();
    assert_eq!(
        refreshed.token.secret(),
        "at-2",
        "the refresh finished first"
    );
    assert!(out.removed);
    assert!(
        store.load(&s.meta.key).unwrap().is_none(),
        "the refresh brought back a session that was signed out"
    );
    // The sign-out revoked the rotated refresh token: nothing usable is left at the provider either.
    assert_eq!(*op.state.revoked.lock().unwrap(), vec!["rt-2".to_owned()]);
}

#[tokio::test]
async fn refreshed_id_token_for_another_org_ends_the_session_and_revokes_the_new_refresh_token() {
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
            "refreshed ID token rejected: org_id is {}, expected org_Other; the session was removed, sign in again",
            op::ORG_ID
        )
    );
    assert_eq!(err.kind(), ErrorKind::Refused);
    // The stored refresh token was spent by the rotation and the new tokens are not trusted: nothing of the
    // refused refresh is saved, the session is gone, and the refresh token it brought is revoked.
    assert!(
        store.load(&s.meta.key).unwrap().is_none(),
        "session deleted"
    );
    assert!(store.list().unwrap().is_empty(), "index entry deleted");
    assert_eq!(*op.state.revoked.lock().unwrap(), vec!["rt-2".to_owned()]);
}

#[tokio::test]
async fn unreachable_keys_after_a_refresh_keep_the_session_with_the_rotated_refresh_token() {
    let op = Op::start(false, Duration::ZERO).await;
    op.state.jwks_down.store(true, Ordering::SeqCst);
    let store = crate::memory_store();
    let s = expired_session(&op);
    store.save(&s).unwrap();
    let client = crate::client(&op, store.clone());
    let err = client.token(&s.meta.key).await.unwrap_err();
    assert!(
        matches!(err, TokenError::IdToken(orgpass::IdTokenError::Jwks(_))),
        "{err:?}"
    );
    assert_eq!(err.kind(), ErrorKind::Other);
    assert!(
        err.to_string()
            .ends_with("the session is kept, try again when the issuer can be reached"),
        "{err}"
    );
    // The unverified tokens are not used, but the spent refresh token was replaced by the rotated one.
    let kept = store.load(&s.meta.key).unwrap().unwrap();
    assert_eq!(kept.access_token.secret(), "at-1");
    assert_eq!(kept.refresh_token.unwrap().secret(), "rt-2");
    assert!(op.state.revoked.lock().unwrap().is_empty());
    // Keys back: once the key cache's back-off after the failed fetch has passed (1 s, counted in whole seconds),
    // the next call refreshes with rt-2, which the provider accepts (no reuse).
    op.state.jwks_down.store(false, Ordering::SeqCst);
    tokio::time::sleep(Duration::from_secs(2)).await;
    let t = client.token(&s.meta.key).await.unwrap();
    assert_eq!((t.token.secret(), t.refreshed), ("at-3", true));
}

/// A store like the system one (lock files next to a file index), with an in-memory keychain.
fn file_indexed_store(dir: &std::path::Path) -> Arc<KeychainStore> {
    Arc::new(KeychainStore::new(
        MemoryBackend::default(),
        Index::File(dir.join("orgpass/sessions.json")),
    ))
}

#[tokio::test]
async fn a_refresh_lock_held_by_another_process_is_waited_for_then_gives_a_clear_error() {
    let op = Op::start(false, Duration::ZERO).await;
    let dir = tempfile::tempdir().unwrap();
    let store = file_indexed_store(dir.path());
    let lock_dir = store
        .lock_dir()
        .expect("a file-indexed store has a lock directory");
    assert_eq!(lock_dir, dir.path().join("orgpass/locks"));
    let s = expired_session(&op);
    store.save(&s).unwrap();
    let mut config = Config::new(Issuer::parse(&op.issuer).unwrap(), op::CLIENT_ID);
    config.timeout = Duration::from_secs(30);
    let client = Client::with_options(
        config,
        store.clone(),
        ClientOptions {
            refresh_lock_wait: Some(Duration::from_millis(300)),
            ..Default::default()
        },
    );

    // "Another process" holds the session's lock: its own open file description of the same lock file.
    std::fs::create_dir_all(&lock_dir).unwrap();
    let other = std::fs::File::create(lock_path(&lock_dir, &s.meta.key)).unwrap();
    other.lock().unwrap();
    let start = std::time::Instant::now();
    let err = client.token(&s.meta.key).await.unwrap_err();
    assert!(start.elapsed() >= Duration::from_millis(300));
    assert!(
        matches!(err, TokenError::Lock(LockError::TimedOut { .. })),
        "{err:?}"
    );
    assert_eq!(err.kind(), ErrorKind::Other);
    assert!(
        err.to_string()
            .contains("another orgpass process has been using this session"),
        "{err}"
    );
    assert_eq!(
        op.state.refresh_requests.load(Ordering::SeqCst),
        0,
        "no refresh while another process holds the lock"
    );
    assert_eq!(
        store
            .load(&s.meta.key)
            .unwrap()
            .unwrap()
            .access_token
            .secret(),
        "at-1",
        "the session is untouched"
    );

    // Once it lets go, the refresh goes ahead.
    other.unlock().unwrap();
    let t = client.token(&s.meta.key).await.unwrap();
    assert_eq!((t.token.secret(), t.refreshed), ("at-2", true));
    assert_eq!(op.state.refresh_requests.load(Ordering::SeqCst), 1);
}

/// A store that counts keychain reads, so a test can tell when a caller has read the session.
struct CountingLoads {
    inner: Arc<KeychainStore>,
    loads: AtomicUsize,
}

impl SessionStore for CountingLoads {
    fn save(&self, session: &Session) -> Result<(), orgpass::StoreError> {
        self.inner.save(session)
    }
    fn load(&self, key: &SessionKey) -> Result<Option<Session>, orgpass::StoreError> {
        let loaded = self.inner.load(key);
        self.loads.fetch_add(1, Ordering::SeqCst);
        loaded
    }
    fn delete(&self, key: &SessionKey) -> Result<bool, orgpass::StoreError> {
        self.inner.delete(key)
    }
    fn list(&self) -> Result<Vec<SessionMeta>, orgpass::StoreError> {
        self.inner.list()
    }
    fn lock_dir(&self) -> Option<std::path::PathBuf> {
        self.inner.lock_dir()
    }
}

#[tokio::test]
async fn after_the_lock_a_session_another_process_refreshed_is_used_as_is() {
    let op = Op::start(false, Duration::ZERO).await;
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(CountingLoads {
        inner: file_indexed_store(dir.path()),
        loads: AtomicUsize::new(0),
    });
    let s = expired_session(&op);
    store.save(&s).unwrap();
    let lock_dir = store.lock_dir().unwrap();
    std::fs::create_dir_all(&lock_dir).unwrap();
    let other = std::fs::File::create(lock_path(&lock_dir, &s.meta.key)).unwrap();
    other.lock().unwrap();
    let client = crate::client(&op, store.clone());
    let waiting = tokio::spawn({
        let (client, key) = (client.clone(), s.meta.key.clone());
        async move { client.token(&key).await }
    });
    // Once our client has read the expired session (and so goes for the lock), "the other process" refreshes and
    // saves a fresh session, then lets go.
    while store.loads.load(Ordering::SeqCst) == 0 {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let mut fresh = s.clone();
    fresh.access_token = Secret::new("at-from-the-other-process");
    fresh.refresh_token = Some(Secret::new("rt-from-the-other-process"));
    fresh.meta.expires_at = time::OffsetDateTime::now_utc().unix_timestamp() + 3600;
    store.save(&fresh).unwrap();
    other.unlock().unwrap();
    let t = waiting.await.unwrap().unwrap();
    assert_eq!(
        (t.token.secret(), t.refreshed),
        ("at-from-the-other-process", false)
    );
    assert_eq!(
        op.state.refresh_requests.load(Ordering::SeqCst),
        0,
        "the waiter re-read the keychain and did not refresh again"
    );
    assert_eq!(
        store.loads.load(Ordering::SeqCst),
        2,
        "one read before the lock, one after"
    );
}
