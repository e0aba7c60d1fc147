//! `orgpass status`: whether each session's refresh token can still renew it (`refreshable`, `refreshed_at`) and
//! which session `ORGPASS_ORG` picks, told from the secret-free index alone: `status` never spends a refresh token.

use std::time::Duration;

use serde_json::Value;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::support::{ACME_ID, CLIENT_ID, GLOBEX_ID, Home, Provider, require_keychain};

/// `orgpass status --json` with `env`: the rows of `issuer`, by org ID.
fn rows(home: &Home, issuer: &str, env: &[(&str, &str)]) -> Vec<Value> {
    let run = home.run_with(&["status", "--json"], env, Duration::from_secs(60));
    run.expect_code(0);
    assert_eq!(run.stderr, "", "status --json {env:?}");
    let all = run.json();
    let mut rows: Vec<Value> = all
        .as_array()
        .unwrap_or_else(|| panic!("not an array: {all}"))
        .iter()
        .filter(|r| r["issuer"] == issuer)
        .cloned()
        .collect();
    rows.sort_by_key(|r| r["org_id"].as_str().map(str::to_owned));
    rows
}

fn row<'a>(rows: &'a [Value], org_id: &str) -> &'a Value {
    rows.iter()
        .find(|r| r["org_id"] == org_id)
        .unwrap_or_else(|| panic!("no {org_id} in {rows:#?}"))
}

/// Human `orgpass status` with `env`: its lines.
fn lines(home: &Home, env: &[(&str, &str)]) -> Vec<String> {
    let run = home.run_with(&["status"], env, Duration::from_secs(60));
    run.expect_code(0);
    assert_eq!(run.stderr, "", "status {env:?}");
    run.stdout.lines().map(str::to_owned).collect()
}

/// The human line of alice's session in `org_id` (`org_name`), from its JSON row, up to the refresh note.
fn line_start(issuer: &str, row: &Value, org_id: &str, org_name: &str) -> String {
    let expires = row["expires_at"].as_str().expect("expires_at");
    format!(
        "{issuer}\t{CLIENT_ID}\t{org_id}\t{org_name}\tauth0|alice\talice@example.com\texpires {expires}\t"
    )
}

#[track_caller]
fn time_of(value: &Value) -> OffsetDateTime {
    let s = value
        .as_str()
        .unwrap_or_else(|| panic!("not a string: {value}"));
    OffsetDateTime::parse(s, &Rfc3339).unwrap_or_else(|e| panic!("{s:?} is not RFC 3339: {e}"))
}

#[test]
fn status_tells_refresh_state_and_the_env_choice_without_spending_the_refresh_token() {
    require_keychain();
    let op = Provider::start(&[]);
    let home = Home::new();
    op.login(&home, "alice", Some(ACME_ID), &[]).expect_code(0);
    op.login(&home, "alice", Some(GLOBEX_ID), &[])
        .expect_code(0);
    let issuer = op.issuer.as_str();
    assert_eq!(op.refresh_grants(), 0);

    // Signed in, never renewed: refreshable, no `refreshed_at`, and nothing chosen without ORGPASS_ORG.
    let signed_in = rows(&home, issuer, &[]);
    assert_eq!(signed_in.len(), 2, "{signed_in:#?}");
    for r in &signed_in {
        assert_eq!(
            (&r["refreshable"], &r["refreshed_at"], &r["selected_by_env"]),
            (&Value::Bool(true), &Value::Null, &Value::Bool(false)),
            "{r}"
        );
    }
    let acme_start = line_start(issuer, row(&signed_in, ACME_ID), ACME_ID, "acme");
    let globex_start = line_start(issuer, row(&signed_in, GLOBEX_ID), GLOBEX_ID, "globex");
    assert_eq!(
        lines(&home, &[]),
        [
            format!("{acme_start}refresh: yes (not renewed since sign-in)"),
            format!("{globex_start}refresh: yes (not renewed since sign-in)"),
        ]
    );

    // ORGPASS_ORG (by name or by ID) marks exactly the session `token` would use.
    for (value, chosen) in [("globex", GLOBEX_ID), (ACME_ID, ACME_ID)] {
        let env = [("ORGPASS_ORG", value)];
        let marked = rows(&home, issuer, &env);
        for r in &marked {
            assert_eq!(
                r["selected_by_env"],
                r["org_id"] == chosen,
                "ORGPASS_ORG={value}: {r}"
            );
        }
        let human = lines(&home, &env);
        let with_mark = |start: &str, org: &str| {
            let mark = if org == chosen {
                "\t\u{2190} ORGPASS_ORG"
            } else {
                ""
            };
            format!("{start}refresh: yes (not renewed since sign-in){mark}")
        };
        assert_eq!(
            human,
            [
                with_mark(&acme_start, ACME_ID),
                with_mark(&globex_start, GLOBEX_ID)
            ],
            "ORGPASS_ORG={value}"
        );
    }
    // An organization no session has marks nothing; one that is not an organization says so and marks nothing.
    let none = rows(&home, issuer, &[("ORGPASS_ORG", "initech")]);
    assert!(
        none.iter().all(|r| r["selected_by_env"] == false),
        "{none:#?}"
    );
    let bad = home.run_with(
        &["status", "--json"],
        &[("ORGPASS_ORG", "org_not valid!")],
        Duration::from_secs(60),
    );
    bad.expect_code(0);
    assert!(
        bad.stderr.starts_with("orgpass: ORGPASS_ORG: "),
        "{}",
        bad.stderr
    );
    assert!(
        bad.json()
            .as_array()
            .expect("array")
            .iter()
            .all(|r| r["selected_by_env"] == false),
        "{}",
        bad.stdout
    );
    assert_eq!(op.refresh_grants(), 0, "status spent no refresh token");

    // A refresh stamps `refreshed_at` on that session only.
    let before = OffsetDateTime::now_utc();
    home.run(&["token", "--refresh", "--org", "acme"])
        .expect_code(0);
    let after = OffsetDateTime::now_utc();
    assert_eq!(op.refresh_grants(), 1);
    let renewed = rows(&home, issuer, &[("ORGPASS_ORG", "acme")]);
    let acme = row(&renewed, ACME_ID);
    let at = time_of(&acme["refreshed_at"]);
    // Whole seconds in the index: at most one second before `before`.
    assert!(
        at >= before - Duration::from_secs(1) && at <= after,
        "refreshed_at {at} not within {before}..{after}"
    );
    assert_eq!(
        (&acme["refreshable"], &acme["selected_by_env"]),
        (&Value::Bool(true), &Value::Bool(true))
    );
    assert_eq!(row(&renewed, GLOBEX_ID)["refreshed_at"], Value::Null);
    let acme_start = line_start(issuer, acme, ACME_ID, "acme");
    let when = at
        .format(time::macros::format_description!(
            "[year]-[month]-[day] [hour]:[minute] UTC"
        ))
        .expect("format");
    assert_eq!(
        lines(&home, &[]),
        [
            format!("{acme_start}refresh: yes (last renewed {when})"),
            format!("{globex_start}refresh: yes (not renewed since sign-in)"),
        ]
    );
    // All those `status` runs after the refresh spent nothing either.
    assert_eq!(op.refresh_grants(), 1, "status spent no refresh token");
    // Leave no entry in the shared Secret Service for a later test that gets this port.
    home.run(&["logout", "--all"]).expect_code(0);
}

#[test]
fn status_says_when_there_is_no_refresh_token() {
    require_keychain();
    let op = Provider::start(&[]);
    let home = Home::new();
    // Without offline_access the provider issues no refresh token.
    op.login(
        &home,
        "alice",
        Some(ACME_ID),
        &["--scope", "openid profile email"],
    )
    .expect_code(0);
    let issuer = op.issuer.as_str();
    let only = rows(&home, issuer, &[]);
    assert_eq!(only.len(), 1, "{only:#?}");
    assert_eq!(
        (&only[0]["refreshable"], &only[0]["refreshed_at"]),
        (&Value::Bool(false), &Value::Null)
    );
    let start = line_start(issuer, &only[0], ACME_ID, "acme");
    assert_eq!(
        lines(&home, &[]),
        [format!(
            "{start}refresh: none \u{2014} sign in again when the access token expires"
        )]
    );
    home.run(&["logout", "--all"]).expect_code(0);
}
