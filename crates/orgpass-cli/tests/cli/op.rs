//! Full sign-ins through the real `orgpass` binary against a real certified OpenID Provider (`oidc-provider`,
//! configured like an Auth0 tenant with Organizations in `tests/oidc-provider/provider.mjs`), with sessions in the
//! real Secret Service.

use serde_json::Value;

use crate::support::{
    ACME_ID, CLIENT_ID, GLOBEX_ID, Home, Provider, account, assert_nothing_stored, keychain_items,
    keychain_value, require_keychain,
};

/// `expires_at` is RFC 3339 and in the future.
#[track_caller]
fn assert_future_rfc3339(value: &Value) {
    let s = value
        .as_str()
        .unwrap_or_else(|| panic!("expires_at is not a string: {value}"));
    let t = time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339)
        .unwrap_or_else(|e| panic!("expires_at {s:?} is not RFC 3339: {e}"));
    assert!(
        t > time::OffsetDateTime::now_utc(),
        "expires_at {s} is not in the future"
    );
}

#[test]
fn login_by_org_id_status_token_logout_and_relogin() {
    require_keychain();
    let op = Provider::start(&[]);
    let home = Home::new();

    let run = op.login(&home, "alice", Some(ACME_ID), &[]);
    run.expect_code(0);
    let out = run.json();
    assert_eq!(out["sub"], "auth0|alice");
    assert_eq!(out["org_id"], ACME_ID);
    assert_eq!(out["org_name"], "acme");
    assert_eq!(out["email"], "alice@example.com");
    assert_future_rfc3339(&out["expires_at"]);

    // The provider saw the organization and issued exactly one code, access token and refresh token.
    assert!(
        op.events()
            .iter()
            .any(|e| e["event"] == "authorization.success" && e["organization"] == ACME_ID)
    );
    let codes = op.jtis("authorization_code.saved");
    let access = op.jtis("access_token.saved");
    let refresh = op.jtis("refresh_token.saved");
    assert_eq!(
        (codes.len(), access.len(), refresh.len()),
        (1, 1, 1),
        "events: {:#?}",
        op.events()
    );
    run.expect_not_printed("the authorization code", &codes[0])
        .expect_not_printed("the access token", &access[0])
        .expect_not_printed("the refresh token", &refresh[0]);

    // The browser ended on the CLI's success page on the loopback redirect URI.
    let last = home
        .browser_requests()
        .into_iter()
        .last()
        .expect("the browser ran");
    assert_eq!(last["status"], 200, "browser: {last}");
    assert!(
        last["url"]
            .as_str()
            .unwrap()
            .starts_with("http://127.0.0.1:"),
        "redirect on 127.0.0.1: {last}"
    );

    // status --json lists the session, without tokens.
    let status = home.run(&["status", "--json"]);
    status
        .expect_code(0)
        .expect_not_printed("the access token", &access[0])
        .expect_not_printed("the refresh token", &refresh[0]);
    let sessions = home.sessions(&op.issuer);
    assert_eq!(sessions.len(), 1, "{sessions:#?}");
    let s = &sessions[0];
    assert_eq!(
        (
            s["client_id"].as_str(),
            s["org_id"].as_str(),
            s["org_name"].as_str()
        ),
        (Some(CLIENT_ID), Some(ACME_ID), Some("acme"))
    );
    assert_eq!(
        (s["sub"].as_str(), s["email"].as_str()),
        (Some("auth0|alice"), Some("alice@example.com"))
    );
    assert_future_rfc3339(&s["expires_at"]);

    // The session is in the Secret Service, with the refresh token in it.
    let items = keychain_items(&op.issuer);
    let stored = keychain_value(&items, &account(&op.issuer, ACME_ID))
        .unwrap_or_else(|| panic!("no keychain entry; found {items:?}"));
    assert!(
        stored.contains(&refresh[0]),
        "the stored session holds the refresh token"
    );
    // It is longer than one Windows-sized entry, so it was split over numbered entries and joined back above;
    // `token` below reads it through the same join.
    assert!(stored.len() > 1280, "session of {} chars", stored.len());
    let accounts: Vec<_> = items.iter().map(|i| i.account.as_str()).collect();
    assert!(
        accounts.iter().any(|a| a.ends_with("#1")),
        "split entries: {accounts:?}"
    );
    assert!(
        items.iter().all(|i| i.secret.len() <= 1280),
        "every entry fits Windows' limit"
    );

    // token: the access token is still fresh (1 h), so it is returned as is, without a refresh.
    let token = home.run(&["token", "--org", ACME_ID, "--json"]);
    token.expect_code(0);
    let t = token.json();
    assert_eq!(t["access_token"], access[0].as_str());
    assert_eq!(t["org_id"], ACME_ID);
    assert_eq!(op.refresh_grants(), 0, "no refresh grant was needed");
    let bare = home.run(&["token", "--org", "acme"]);
    bare.expect_code(0);
    assert_eq!(
        bare.stdout.trim(),
        access[0],
        "plain `token` prints just the access token"
    );

    // logout: the keychain entries are gone, the refresh token is revoked at the provider.
    let logout = home.run(&["logout", "--org", ACME_ID]);
    logout.expect_code(0);
    assert!(
        keychain_items(&op.issuer).is_empty(),
        "keychain still holds {:?}",
        keychain_items(&op.issuer)
    );
    assert!(home.sessions(&op.issuer).is_empty());
    assert!(
        op.wait_for(|e| e["event"] == "refresh_token.destroyed" && e["jti"] == refresh[0].as_str()),
        "the refresh token was not revoked at the provider (no refresh_token.destroyed); logout stderr: {}",
        logout.stderr
    );
    let after = home.run(&["token", "--org", ACME_ID]);
    assert_ne!(after.code, 0, "token after logout must fail");
    assert!(
        after.stdout.trim().is_empty(),
        "no token after logout: {}",
        after.stdout
    );

    // Re-login works and stores a fresh session.
    op.login(&home, "alice", Some(ACME_ID), &[]).expect_code(0);
    assert_eq!(home.sessions(&op.issuer).len(), 1);
    let refresh = op.jtis("refresh_token.saved");
    assert_eq!(refresh.len(), 2);
    let stored = keychain_value(&keychain_items(&op.issuer), &account(&op.issuer, ACME_ID))
        .expect("re-login stored");
    assert!(
        stored.contains(&refresh[1]) && !stored.contains(&refresh[0]),
        "the new session replaced the old one"
    );
    home.run(&["logout", "--all"]).expect_code(0);
    assert!(keychain_items(&op.issuer).is_empty());
}

#[test]
fn login_by_org_name_trims_and_lowercases() {
    require_keychain();
    let op = Provider::start(&[]);
    let home = Home::new();
    let run = op.login(&home, "bob", Some("  ACME "), &[]);
    run.expect_code(0);
    let out = run.json();
    assert_eq!(
        (out["org_id"].as_str(), out["org_name"].as_str()),
        (Some(ACME_ID), Some("acme"))
    );
    assert_eq!(out["sub"], "auth0|bob");
    // The name went to /authorize as `organization=acme`.
    assert!(
        op.events()
            .iter()
            .any(|e| e["event"] == "authorization.success" && e["organization"] == "acme"),
        "events: {:#?}",
        op.events()
    );
    // Stored under the org_id the token named.
    assert!(keychain_value(&keychain_items(&op.issuer), &account(&op.issuer, ACME_ID)).is_some());
    home.run(&["token", "--org", "acme", "--json"])
        .expect_code(0);
    home.run(&["logout", "--org", "acme"]).expect_code(0);
    assert!(keychain_items(&op.issuer).is_empty());
}

#[test]
fn login_with_an_invitation_link() {
    require_keychain();
    let op = Provider::start(&[]);
    let home = Home::new();
    let link = format!(
        "https://app.example.com/login?invitation=inv_globex_carol&organization={GLOBEX_ID}&organization_name=globex"
    );
    let run = op.login(&home, "carol", Some(&link), &[]);
    run.expect_code(0);
    let out = run.json();
    assert_eq!(
        (
            out["sub"].as_str(),
            out["org_id"].as_str(),
            out["org_name"].as_str()
        ),
        (Some("auth0|carol"), Some(GLOBEX_ID), Some("globex"))
    );
    let events = op.events();
    assert!(
        events.iter().any(|e| e["event"] == "authorization.success"
            && e["organization"] == GLOBEX_ID
            && e["invitation"] == "inv_globex_carol"),
        "both invitation and organization were sent; events: {events:#?}"
    );
    assert!(events.iter().any(|e| e["event"] == "invitation.accepted"));
    assert_eq!(home.sessions(&op.issuer).len(), 1);
    home.run(&["logout", "--all"]).expect_code(0);
}

#[test]
fn refresh_rotates_the_refresh_token_and_reuse_ends_the_session() {
    require_keychain();
    // Access tokens live 30 s, inside orgpass's refresh margin: every `token` call refreshes.
    let op = Provider::start(&["--access-token-ttl", "30"]);
    let home = Home::new();
    op.login(&home, "alice", Some(ACME_ID), &[]).expect_code(0);
    let rt0 = op.jtis("refresh_token.saved")[0].clone();
    let acc = account(&op.issuer, ACME_ID);

    // First refresh: rotation. The old refresh token is consumed, the new one is in the keychain.
    let first = home.run(&["token", "--org", ACME_ID, "--json"]);
    first.expect_code(0);
    let t = first.json();
    assert_eq!(t["refreshed"], true, "{t}");
    let access = op.jtis("access_token.saved");
    assert_eq!(access.len(), 2);
    assert_eq!(
        t["access_token"],
        access[1].as_str(),
        "the refreshed access token is returned"
    );
    assert_eq!(t["org_id"], ACME_ID, "the refreshed ID token kept the org");
    assert_eq!(op.jtis("refresh_token.consumed"), vec![rt0.clone()]);
    let rt1 = op.jtis("refresh_token.saved")[1].clone();
    assert_ne!(rt0, rt1);
    first
        .expect_not_printed("the new refresh token", &rt1)
        .expect_not_printed("the old refresh token", &rt0);
    let stored = keychain_value(&keychain_items(&op.issuer), &acc).expect("session still stored");
    assert!(stored.contains(&rt1), "the rotated refresh token was saved");
    assert!(
        !stored.contains(&rt0),
        "the consumed refresh token is gone from the keychain"
    );

    // Second refresh uses the rotated token (the provider would revoke everything on reuse of rt0).
    let second = home.run(&["token", "--org", ACME_ID, "--json"]);
    second.expect_code(0);
    assert_eq!(second.json()["refreshed"], true);
    assert_eq!(
        op.jtis("refresh_token.consumed"),
        vec![rt0.clone(), rt1.clone()]
    );
    assert_eq!(op.refresh_grants(), 2);
    assert_eq!(
        op.count("grant.error"),
        0,
        "no refresh was refused: {:#?}",
        op.events()
    );

    // The old refresh token really is dead: the provider refuses it (and, like Auth0, revokes the family).
    let (status, body) = op.refresh_directly(&rt0);
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_grant")),
        "{body}"
    );
    assert!(op.wait_for(|e| e["event"] == "grant.revoked"));

    // The session's refresh token was revoked with the family: orgpass ends the session cleanly.
    let ended = home.run(&["token", "--org", ACME_ID, "--json"]);
    assert_ne!(
        ended.code, 0,
        "token must fail after the token family was revoked: {}",
        ended.stdout
    );
    ended.expect_stderr("sign in again");
    assert!(
        ended.stdout.trim().is_empty(),
        "no token printed: {}",
        ended.stdout
    );
    assert_nothing_stored(&home, &op.issuer, "the ended session is removed");
}

#[test]
fn two_organizations_side_by_side() {
    require_keychain();
    let op = Provider::start(&[]);
    let home = Home::new();
    op.login(&home, "alice", Some(ACME_ID), &[]).expect_code(0);
    op.login(&home, "alice", Some("globex"), &[]).expect_code(0);

    let mut sessions = home.sessions(&op.issuer);
    sessions.sort_by_key(|s| s["org_id"].as_str().map(str::to_owned));
    let orgs: Vec<_> = sessions
        .iter()
        .map(|s| {
            (
                s["org_id"].as_str().unwrap(),
                s["org_name"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(orgs, vec![(ACME_ID, "acme"), (GLOBEX_ID, "globex")]);
    let items = keychain_items(&op.issuer);
    assert!(keychain_value(&items, &account(&op.issuer, ACME_ID)).is_some());
    assert!(keychain_value(&items, &account(&op.issuer, GLOBEX_ID)).is_some());

    // Each org has its own access token; without --org the choice is ambiguous (bad usage).
    let access = op.jtis("access_token.saved");
    let acme = home.run(&["token", "--org", ACME_ID]);
    let globex = home.run(&["token", "--org", "globex"]);
    acme.expect_code(0);
    globex.expect_code(0);
    assert_eq!(acme.stdout.trim(), access[0]);
    assert_eq!(globex.stdout.trim(), access[1]);
    let ambiguous = home.run(&["token"]);
    ambiguous.expect_code(2).expect_stderr("--org");
    assert!(ambiguous.stdout.trim().is_empty());

    // Logging out of one leaves the other untouched.
    home.run(&["logout", "--org", GLOBEX_ID]).expect_code(0);
    let left: Vec<_> = home
        .sessions(&op.issuer)
        .iter()
        .map(|s| s["org_id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(left, vec![ACME_ID.to_owned()]);
    let items = keychain_items(&op.issuer);
    assert!(
        keychain_value(&items, &account(&op.issuer, GLOBEX_ID)).is_none(),
        "globex entries deleted"
    );
    assert!(
        keychain_value(&items, &account(&op.issuer, ACME_ID)).is_some(),
        "acme entries kept"
    );
    assert_eq!(
        home.run(&["token", "--org", ACME_ID])
            .expect_code(0)
            .stdout
            .trim(),
        access[0]
    );

    home.run(&["logout", "--all"]).expect_code(0);
    assert!(home.sessions(&op.issuer).is_empty());
    assert!(keychain_items(&op.issuer).is_empty());
}

#[test]
fn the_provider_refusing_the_organization_exits_3_and_stores_nothing() {
    require_keychain();
    let op = Provider::start(&[]);
    let home = Home::new();
    // bob is not a member of globex: access_denied, with the provider's description shown.
    op.login(&home, "bob", Some(GLOBEX_ID), &[])
        .expect_code(3)
        .expect_stderr("access_denied")
        .expect_stderr("is not part of the org_GLOBEX00000000002 organization");
    // An organization the tenant does not know: invalid_request.
    op.login(&home, "bob", Some("no-such-org"), &[])
        .expect_code(3)
        .expect_stderr("invalid_request");
    // The user declines consent.
    let home2 = Home::new();
    let browser = crate::support::browser_command();
    home2
        .run_with(
            &[
                "login",
                "--issuer",
                &op.issuer,
                "--client-id",
                CLIENT_ID,
                "--org",
                ACME_ID,
                "--browser",
                &browser,
                "--timeout",
                "60",
            ],
            &[("OP_TEST_USER", "bob"), ("OP_TEST_CONSENT", "deny")],
            std::time::Duration::from_secs(90),
        )
        .expect_code(3)
        .expect_stderr("access_denied");
    assert!(home.sessions(&op.issuer).is_empty());
    assert!(home2.sessions(&op.issuer).is_empty());
    assert!(keychain_items(&op.issuer).is_empty());
    assert_eq!(
        op.count("authorization_code.saved"),
        0,
        "no code was ever issued"
    );
}

#[test]
fn login_hint_reaches_the_login_page() {
    require_keychain();
    let op = Provider::start(&[]);
    let home = Home::new();
    // No OP_TEST_USER: the scripted browser keeps the login field the provider pre-filled from login_hint.
    let browser = crate::support::browser_command();
    let run = home.run_with(
        &[
            "login",
            "--issuer",
            &op.issuer,
            "--client-id",
            CLIENT_ID,
            "--org",
            ACME_ID,
            "--login-hint",
            "bob@example.com",
            "--browser",
            &browser,
            "--timeout",
            "60",
            "--json",
        ],
        &[("OP_TEST_PASSWORD", "bob-pw")],
        std::time::Duration::from_secs(90),
    );
    run.expect_code(0);
    assert_eq!(run.json()["sub"], "auth0|bob");
    home.run(&["logout", "--all"]).expect_code(0);
}
