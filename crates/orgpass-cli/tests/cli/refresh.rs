//! Refresh through the real binary against `oidc-provider` with rotation and reuse detection: separate `orgpass
//! token` processes racing on one expired session redeem its refresh token once, and a refresh whose ID token
//! names another user or organization ends the session.

use std::process::Output;

use crate::support::{
    ACME_ID, GLOBEX_ID, Home, Provider, account, assert_nothing_stored, keychain_items,
    keychain_value, require_keychain,
};

/// Token endpoint requests with `grant_type=refresh_token` the provider received, whatever their outcome.
fn refresh_requests(op: &Provider) -> usize {
    op.events()
        .iter()
        .filter(|e| e["event"] == "token_endpoint.request" && e["grant_type"] == "refresh_token")
        .count()
}

#[test]
fn concurrent_token_processes_redeem_the_refresh_token_once() {
    require_keychain();
    const N: usize = 6;
    // The login's access token lives 30 s, inside orgpass's 60 s refresh margin: every process sees it as
    // expired. A refreshed one lives an hour. Each refresh response is held for a second after the provider
    // rotated the token, so all N processes have read the old refresh token before the first refresh is back:
    // without a lock between processes, the other N-1 would present the rotated token again.
    let op = Provider::start(&[
        "--access-token-ttl",
        "30",
        "--refreshed-access-token-ttl",
        "3600",
        "--refresh-delay-ms",
        "1000",
    ]);
    let home = Home::new();
    op.login(&home, "alice", Some(ACME_ID), &[]).expect_code(0);
    let rt0 = op.jtis("refresh_token.saved")[0].clone();

    let children: Vec<_> = (0..N)
        .map(|_| {
            home.command(&["token", "--org", ACME_ID, "--json"], &[])
                .spawn()
                .expect("orgpass binary starts")
        })
        .collect();
    // Bounded, so a deadlock fails the test instead of hanging CI (each process waits 30 s at most for the lock).
    let (done, ended) = std::sync::mpsc::channel();
    for (i, child) in children.into_iter().enumerate() {
        let done = done.clone();
        std::thread::spawn(move || {
            let _ = done.send((i, child.wait_with_output()));
        });
    }
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
    let mut outputs: Vec<Option<Output>> = (0..N).map(|_| None).collect();
    for _ in 0..N {
        let (i, output) = ended
            .recv_timeout(deadline.saturating_duration_since(std::time::Instant::now()))
            .expect("every `orgpass token` ends within 120 s");
        outputs[i] = Some(output.expect("wait for orgpass token"));
    }
    let outputs: Vec<Output> = outputs.into_iter().map(Option::unwrap).collect();

    let describe = |o: &Output| {
        format!(
            "exit {:?}\nstdout: {}\nstderr: {}",
            o.status.code(),
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        )
    };
    let all: Vec<String> = outputs.iter().map(describe).collect();
    assert!(
        outputs.iter().all(|o| o.status.code() == Some(0)),
        "every `orgpass token` must succeed; runs:\n{}\nprovider events: {:#?}",
        all.join("\n---\n"),
        op.events()
    );
    assert_eq!(
        refresh_requests(&op),
        1,
        "the provider must see exactly one refresh_token grant; events: {:#?}",
        op.events()
    );
    assert_eq!(op.count("grant.error"), 0, "no refresh was refused");
    assert_eq!(
        op.count("grant.revoked"),
        0,
        "the token family was not revoked"
    );

    // Every process printed the one refreshed access token; exactly one of them did the refresh.
    let access = op.jtis("access_token.saved");
    assert_eq!(access.len(), 2, "login + one refresh: {access:?}");
    let results: Vec<serde_json::Value> = outputs
        .iter()
        .map(|o| serde_json::from_slice(&o.stdout).expect("token --json prints JSON"))
        .collect();
    for r in &results {
        assert_eq!(r["access_token"], access[1].as_str(), "{r}");
        assert_eq!(r["org_id"], ACME_ID);
    }
    assert_eq!(
        results.iter().filter(|r| r["refreshed"] == true).count(),
        1,
        "one process refreshed, the others read its result from the keychain: {results:#?}"
    );

    // The keychain holds the rotated refresh token.
    let rt1 = op.jtis("refresh_token.saved")[1].clone();
    let stored = keychain_value(&keychain_items(&op.issuer), &account(&op.issuer, ACME_ID))
        .expect("the session is still stored");
    assert!(stored.contains(&rt1) && !stored.contains(&rt0));

    // The lock files hold nothing and do not name the organization.
    let locks: Vec<_> = std::fs::read_dir(home.config_dir().join("orgpass/locks"))
        .expect("the lock directory exists next to the session index")
        .map(|e| e.expect("dir entry").path())
        .collect();
    assert_eq!(locks.len(), 1, "one lock file per session: {locks:?}");
    let name = locks[0].file_name().unwrap().to_string_lossy().into_owned();
    assert!(
        name.starts_with("refresh-") && name.ends_with(".lock") && !name.contains("ACME"),
        "{name}"
    );
    assert_eq!(std::fs::metadata(&locks[0]).unwrap().len(), 0);

    // The session is still valid: the token is served as is, and a forced refresh with the rotated refresh
    // token is accepted (the family is intact).
    let after = home.run(&["token", "--org", ACME_ID, "--json"]);
    after.expect_code(0);
    assert_eq!(after.json()["access_token"], access[1].as_str());
    assert_eq!(after.json()["refreshed"], false);
    let forced = home.run(&["token", "--org", ACME_ID, "--json", "--refresh"]);
    forced.expect_code(0);
    assert_eq!(forced.json()["refreshed"], true);
    assert_eq!(refresh_requests(&op), 2);
    assert_eq!(op.count("grant.error"), 0, "events: {:#?}", op.events());
    home.run(&["logout", "--all"]).expect_code(0);
}

#[test]
fn a_refreshed_id_token_for_another_user_or_organization_ends_the_session() {
    require_keychain();
    // (what the provider changes in the refreshed ID token, what orgpass must say)
    let rows = [
        (
            "sub=auth0|mallory",
            "ID token rejected: sub is auth0|mallory, expected auth0|alice",
        ),
        (
            "org_id=org_GLOBEX00000000002",
            "ID token rejected: org_id is org_GLOBEX00000000002, expected org_ACME0000000000001",
        ),
    ];
    assert!(rows[1].0.ends_with(GLOBEX_ID));
    for (claim, message) in rows {
        let op = Provider::start(&[
            "--access-token-ttl",
            "30",
            "--refresh-id-token-claim",
            claim,
        ]);
        let home = Home::new();
        op.login(&home, "alice", Some(ACME_ID), &[]).expect_code(0);
        let rt0 = op.jtis("refresh_token.saved")[0].clone();

        let run = home.run(&["token", "--org", ACME_ID, "--json"]);
        run.expect_code(3)
            .expect_stderr(message)
            .expect_stderr("the session was removed, sign in again");
        assert!(
            run.stdout.trim().is_empty(),
            "{claim}: no token printed: {}",
            run.stdout
        );
        assert_eq!(
            op.count("refresh.id_token_changed"),
            1,
            "{claim}: the provider changed the refreshed ID token"
        );
        let rt1 = op.jtis("refresh_token.saved")[1].clone();
        run.expect_not_printed("the old refresh token", &rt0)
            .expect_not_printed("the new refresh token", &rt1);

        // The session is gone from status and from the keychain, and the refresh token the rejected response
        // carried was revoked at the provider.
        assert_nothing_stored(&home, &op.issuer, claim);
        assert!(
            op.wait_for(|e| e["event"] == "refresh_token.destroyed" && e["jti"] == rt1.as_str()),
            "{claim}: the rejected refresh's refresh token was not revoked; events: {:#?}",
            op.events()
        );
        home.run(&["token", "--org", ACME_ID])
            .expect_code(1)
            .expect_stderr("orgpass login");
    }
}
