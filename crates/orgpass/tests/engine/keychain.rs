//! The real Secret Service (gnome-keyring under dbus-run-session): store, load, delete, and chunking.

use std::process::Command;

use orgpass::{
    Index, KeychainStore, OsKeychain, Secret, SecretBackend, Session, SessionKey, SessionMeta,
    SessionStore,
};

fn require_dbus() {
    assert!(
        std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_some(),
        "these tests use the real Secret Service and need a D-Bus session with an unlocked gnome-keyring: run `cargo xtask test` \
         (or: HOME=$(mktemp -d) dbus-run-session -- sh -c 'printf pw | gnome-keyring-daemon --unlock --components=secrets >/dev/null; cargo test -p orgpass')"
    );
}

fn service(name: &str) -> String {
    format!("orgpass-test-{}-{name}", std::process::id())
}

fn session(org: &str, access_len: usize) -> Session {
    Session {
        meta: SessionMeta {
            key: SessionKey {
                issuer: "https://acme.eu.auth0.com/".into(),
                client_id: "cid-keychain".into(),
                org_id: Some(org.into()),
            },
            org_name: Some("acme".into()),
            sub: "auth0|kc".into(),
            email: Some("ada@acme.example".into()),
            name: Some("Ada".into()),
            picture: None,
            expires_at: 1_900_000_000,
            refreshable: true,
            refreshed_at: None,
            audience: None,
            dpop_jkt: None,
            found_by_email: false,
        },
        access_token: Secret::new("A".repeat(access_len)),
        refresh_token: Some(Secret::new("v1.refresh-token-kc")),
        id_token: Secret::new("eyJhbGciOiJSUzI1NiJ9.e30.sig"),
        scope: Some("openid profile email offline_access".into()),
        token_type: "Bearer".into(),
        dpop_key: None,
        apis: Default::default(),
    }
}

/// `secret-tool lookup service S username U`: the secret, or None.
fn secret_tool_lookup(service: &str, account: &str) -> Option<String> {
    let out = Command::new("secret-tool")
        .args(["lookup", "service", service, "username", account])
        .output()
        .expect("secret-tool is installed (libsecret-tools)");
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
}

fn store(name: &str) -> (KeychainStore, tempfile::TempDir, String) {
    require_dbus();
    let svc = service(name);
    let dir = tempfile::tempdir().unwrap();
    let backend = OsKeychain::new(&svc).expect("Secret Service available");
    (
        KeychainStore::new(backend, Index::File(dir.path().join("sessions.json"))),
        dir,
        svc,
    )
}

#[test]
fn store_load_delete_in_secret_service() {
    let (store, dir, svc) = store("roundtrip");
    let s = session("org_KC1", 300);
    store.save(&s).unwrap();
    let account = s.meta.key.account();
    let raw = secret_tool_lookup(&svc, &account).expect("entry exists in the Secret Service");
    assert!(
        raw.contains("v1.refresh-token-kc"),
        "the keychain holds the tokens"
    );
    let loaded = store.load(&s.meta.key).unwrap().expect("session loads");
    assert_eq!(loaded.access_token.secret(), "A".repeat(300));
    assert_eq!(
        loaded.refresh_token.as_ref().unwrap().secret(),
        "v1.refresh-token-kc"
    );
    assert_eq!(loaded.meta, s.meta);
    let index = std::fs::read_to_string(dir.path().join("sessions.json")).unwrap();
    assert!(
        index.contains("org_KC1") && !index.contains("refresh-token-kc") && !index.contains("AAAA"),
        "index has no secrets: {index}"
    );
    assert!(store.delete(&s.meta.key).unwrap());
    assert_eq!(
        secret_tool_lookup(&svc, &account),
        None,
        "entry removed from the Secret Service"
    );
    assert!(store.load(&s.meta.key).unwrap().is_none());
    assert!(store.list().unwrap().is_empty());
}

#[test]
fn oversized_session_splits_and_rejoins() {
    let (store, _dir, svc) = store("chunks");
    let s = session("org_KC2", 5000);
    store.save(&s).unwrap();
    let account = s.meta.key.account();
    let head = secret_tool_lookup(&svc, &account).unwrap();
    let n: usize = head
        .strip_prefix("orgpass-chunks:")
        .expect("head entry names the chunk count")
        .trim()
        .parse()
        .unwrap();
    assert!(n >= 5, "5000+ chars over 1200-char entries: {n} chunks");
    for i in 1..=n {
        let chunk = secret_tool_lookup(&svc, &format!("{account}#{i}"))
            .unwrap_or_else(|| panic!("chunk {i} exists"));
        assert!(
            chunk.len() <= orgpass_keychain::CHUNK_LEN,
            "chunk {i} has {} chars",
            chunk.len()
        );
    }
    assert_eq!(
        store
            .load(&s.meta.key)
            .unwrap()
            .unwrap()
            .access_token
            .secret(),
        "A".repeat(5000)
    );
    // Shrinking removes the surplus chunks.
    store.save(&session("org_KC2", 10)).unwrap();
    assert_eq!(secret_tool_lookup(&svc, &format!("{account}#1")), None);
    assert_eq!(
        store
            .load(&s.meta.key)
            .unwrap()
            .unwrap()
            .access_token
            .secret(),
        "A".repeat(10)
    );
    store.save(&s).unwrap();
    assert!(store.delete(&s.meta.key).unwrap());
    for i in 0..=n {
        let acc = if i == 0 {
            account.clone()
        } else {
            format!("{account}#{i}")
        };
        assert_eq!(secret_tool_lookup(&svc, &acc), None, "{acc} deleted");
    }
}

#[test]
fn backend_reports_missing_entries() {
    require_dbus();
    let b = OsKeychain::new(&service("missing")).unwrap();
    assert_eq!(b.get("nope").unwrap(), None);
    assert!(!b.delete("nope").unwrap());
    b.set("yes", "v").unwrap();
    assert_eq!(b.get("yes").unwrap().as_deref(), Some("v"));
    assert!(b.delete("yes").unwrap());
}
