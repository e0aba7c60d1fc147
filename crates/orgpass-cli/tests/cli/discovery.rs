//! `orgpass login --email` against the independent OpenID Provider (`oidc-provider`): with its organization prompt
//! (`--discover-by-email`) the organization of the email's domain is signed into, a shared domain goes through the
//! chooser, an organization outside `allowed_organizations` is refused with nothing stored (and a session of one IT
//! took off the list since is signed out instead of used); without the prompt the
//! tenant chooses no organization and the sign-in is refused with what to configure, nothing stored.

use std::time::Duration;

use crate::support::{
    ACME_ID, CLIENT_ID, GLOBEX_ID, Home, Provider, Run, assert_nothing_stored, require_keychain,
};

/// `orgpass login --email EMAIL --json` as `user`, choosing `org` if the provider shows its chooser.
fn login_by_email(op: &Provider, home: &Home, email: &str, user: &str, org: Option<&str>) -> Run {
    let env: Vec<(&str, &str)> = org.map(|o| ("OP_TEST_ORG", o)).into_iter().collect();
    op.login_with(home, user, None, &["--email", email], &env)
}

/// An allow-list of only `org` in `orgpass/config.toml` below `config_dir` (the person's, or one of IT's
/// `XDG_CONFIG_DIRS`).
fn allow_only(config_dir: &std::path::Path, org: &str) {
    let dir = config_dir.join("orgpass");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("config.toml"),
        format!("allowed_organizations = [\"{org}\"]\n"),
    )
    .unwrap();
}

/// The authorization request the browser opened: `organization` absent, `login_hint` the email.
#[track_caller]
fn assert_asked_by_email(home: &Home, email: &str) {
    let first = home
        .browser_requests()
        .into_iter()
        .next()
        .expect("the browser ran");
    let url = url::Url::parse(first["url"].as_str().unwrap()).unwrap();
    let pairs: std::collections::HashMap<_, _> = url.query_pairs().into_owned().collect();
    assert_eq!(
        (
            url.path(),
            pairs.get("organization"),
            pairs.get("login_hint").map(String::as_str)
        ),
        ("/authorize", None, Some(email)),
        "{url}"
    );
}

#[test]
fn email_signs_in_to_the_one_organization_of_its_domain() {
    require_keychain();
    let op = Provider::start(&["--discover-by-email"]);
    let home = Home::new();

    let run = login_by_email(&op, &home, "erin@acme.example", "erin", None);
    run.expect_code(0);
    let out = run.json();
    assert_eq!(
        (&out["sub"], &out["org_id"], &out["found_by_email"]),
        (&"auth0|erin".into(), &ACME_ID.into(), &true.into())
    );
    assert_asked_by_email(&home, "erin@acme.example");
    assert!(
        op.events()
            .iter()
            .any(|e| e["event"] == "authorization.success"
                && e["discovered_organization"] == ACME_ID
                && e["organization"].is_null()),
        "the provider found acme itself: {:#?}",
        op.events()
    );
    let sessions = home.sessions(&op.issuer);
    assert_eq!(
        sessions
            .iter()
            .map(|s| (s["org_id"].clone(), s["found_by_email"].clone()))
            .collect::<Vec<_>>(),
        [(ACME_ID.into(), true.into())]
    );
    assert_eq!(sessions[0]["allowed"], true);

    // The person's own file narrows the list: the session is not used with it, and kept.
    let token_args = ["token", "--issuer", &op.issuer, "--client-id", CLIENT_ID];
    allow_only(&home.config_dir(), GLOBEX_ID);
    assert_eq!(
        status_of(&home, &op.issuer, &[]),
        (
            false,
            "not in these settings' allowed_organizations (kept)".to_owned()
        )
    );
    let token = home.run(&token_args);
    token.expect_code(2);
    assert_eq!(
        (token.stdout.as_str(), token.stderr.lines().last()),
        (
            "",
            Some(
                format!(
                    "orgpass: organization {ACME_ID} is not in these settings' allowed_organizations ({GLOBEX_ID}), \
                     so its session is not used with them (it is kept); use settings that allow it, or sign out of it"
                )
                .as_str()
            )
        )
    );
    assert_eq!(home.sessions(&op.issuer).len(), 1, "kept");
    std::fs::remove_file(home.config_dir().join("orgpass/config.toml")).unwrap();

    // IT's file narrows it: the session is signed out (its refresh token revoked) instead of used, and `token`
    // says why.
    let it = tempfile::tempdir().unwrap();
    allow_only(it.path(), GLOBEX_ID);
    let it_dirs = [("XDG_CONFIG_DIRS", it.path().to_str().unwrap())];
    assert_eq!(
        status_of(&home, &op.issuer, &it_dirs),
        (
            false,
            "no longer allowed on this device (signed out at its next use)".to_owned()
        )
    );
    let token = home.run_with(&token_args, &it_dirs, Duration::from_secs(60));
    token.expect_code(3);
    assert_eq!(
        (token.stdout.as_str(), token.stderr.lines().last()),
        (
            "",
            Some(
                format!(
                    "orgpass: organization {ACME_ID} is no longer one this device may sign in to \
                     (allowed_organizations: {GLOBEX_ID}, set by {} which your IT department manages), so its \
                     session was signed out; sign in to one of those, or ask your IT department to add it",
                    it.path().join("orgpass/config.toml").display()
                )
                .as_str()
            )
        )
    );
    assert!(
        op.wait_for(|e| e["event"] == "refresh_token.destroyed"),
        "its refresh token was revoked"
    );
    assert_nothing_stored(&home, &op.issuer, "a session IT no longer allows");
}

/// `status` of the one session of `issuer` with `env`: whether it may be used, and the note that says why not.
fn status_of(home: &Home, issuer: &str, env: &[(&str, &str)]) -> (bool, String) {
    let json = home.run_with(&["status", "--json"], env, Duration::from_secs(30));
    json.expect_code(0);
    let rows: Vec<serde_json::Value> = serde_json::from_str(&json.stdout).unwrap();
    let row = rows
        .iter()
        .find(|r| r["issuer"] == issuer)
        .expect("the session is listed");
    let text = home.run_with(&["status"], env, Duration::from_secs(30));
    let line = text
        .stdout
        .lines()
        .find(|l| l.starts_with(issuer))
        .expect("the session's line")
        .to_owned();
    let note = line
        .split('\t')
        .find(|f| f.contains("allowed"))
        .unwrap_or_default()
        .to_owned();
    (row["allowed"].as_bool().unwrap(), note)
}

#[test]
fn a_shared_domain_goes_through_the_chooser() {
    require_keychain();
    let op = Provider::start(&["--discover-by-email"]);
    let home = Home::new();

    let run = login_by_email(&op, &home, "frank@shared.example", "frank", Some("globex"));
    run.expect_code(0);
    assert_eq!(
        (&run.json()["org_id"], &run.json()["org_name"]),
        (&GLOBEX_ID.into(), &"globex".into())
    );
    let posted: Vec<String> = home
        .browser_requests()
        .iter()
        .filter(|r| r["method"] == "POST")
        .filter_map(|r| r["url"].as_str())
        .filter_map(|u| url::Url::parse(u).ok())
        .map(|u| u.path().rsplit('/').next().unwrap_or_default().to_owned())
        .collect();
    assert_eq!(
        posted,
        ["email", "choose", "login", "confirm"],
        "email step, chooser, login, consent"
    );
}

#[test]
fn an_organization_outside_the_allow_list_is_refused_and_nothing_is_stored() {
    require_keychain();
    let op = Provider::start(&["--discover-by-email"]);
    let home = Home::new();
    allow_only(&home.config_dir(), GLOBEX_ID);

    let run = login_by_email(&op, &home, "erin@acme.example", "erin", None);
    run.expect_code(3);
    assert_eq!(
        run.stderr.lines().last(),
        Some(
            format!(
                "orgpass: the tenant signed you in to organization {ACME_ID} (acme), which is not one this device \
                 may sign in to (allowed_organizations: {GLOBEX_ID}); nothing was stored. Sign in to one of those, \
                 or ask your IT department to add it"
            )
            .as_str()
        )
    );
    assert_nothing_stored(&home, &op.issuer, "an organization outside the allow-list");
}

#[test]
fn a_tenant_without_the_organization_prompt_chooses_none_and_the_sign_in_says_what_to_configure() {
    require_keychain();
    let op = Provider::start(&[]);
    let home = Home::new();

    let run = login_by_email(&op, &home, "alice@example.com", "alice", None);
    run.expect_code(3);
    assert_eq!(
        run.stderr.lines().last(),
        Some(
            "orgpass: the tenant signed you in without finding an organization for your work email; nothing was \
             stored. Its application must ask for the organization before login and find it by email (in Auth0: \
             organization_require_behavior = pre_login_prompt with the email discovery method): ask your IT \
             department, or name your organization instead"
        )
    );
    assert_asked_by_email(&home, "alice@example.com");
    assert_nothing_stored(&home, &op.issuer, "no organization chosen");
}
