//! What scripts, curl and kubectl lean on: `orgpass token --format header|exec-credential` (the exact header
//! line `curl -H @-` reads, client-go's ExecCredential), and `ORGPASS_ORG` choosing the session per shell.

use std::collections::BTreeSet;
use std::io::Write;
use std::process::{Command, Stdio};
use std::time::Duration;

use serde_json::Value;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::support::{ACME_ID, GLOBEX_ID, Home, Provider, require_keychain};

#[track_caller]
fn rfc3339(value: &Value) -> OffsetDateTime {
    let s = value
        .as_str()
        .unwrap_or_else(|| panic!("not a string: {value}"));
    OffsetDateTime::parse(s, &Rfc3339).unwrap_or_else(|e| panic!("{s:?} is not RFC 3339: {e}"))
}

fn keys(object: &Value) -> BTreeSet<&str> {
    object
        .as_object()
        .unwrap_or_else(|| panic!("not an object: {object}"))
        .keys()
        .map(String::as_str)
        .collect()
}

/// How many refresh_token grants the provider answered.
fn refresh_grants(op: &Provider) -> usize {
    op.events()
        .iter()
        .filter(|e| e["event"] == "grant.success" && e["grant_type"] == "refresh_token")
        .count()
}

/// A provider with alice signed in to acme in `home`; the access token of that sign-in.
fn signed_in(op: &Provider, home: &Home) -> String {
    op.login(home, "alice", Some(ACME_ID), &[]).expect_code(0);
    let access = op.jtis("access_token.saved");
    assert_eq!(access.len(), 1, "one access token issued");
    access[0].clone()
}

#[test]
fn token_formats_for_curl_and_kubectl() {
    require_keychain();
    let op = Provider::start(&[]);
    let home = Home::new();
    let access = signed_in(&op, &home);

    // token: the bare token, as before and as `--format token`.
    for args in [
        &["token", "--org", ACME_ID][..],
        &["token", "--org", ACME_ID, "--format", "token"],
    ] {
        assert_eq!(
            home.run(args).expect_code(0).stdout,
            format!("{access}\n"),
            "{args:?}"
        );
    }
    // json: `--format json` and the old `--json` print the same object.
    let json = home.run(&["token", "--org", ACME_ID, "--format", "json"]);
    let alias = home.run(&["token", "--org", ACME_ID, "--json"]);
    json.expect_code(0);
    alias.expect_code(0);
    assert_eq!(json.json(), alias.json());
    assert_eq!(json.json()["access_token"], access.as_str());
    // Both at once is a usage error rather than a guess.
    home.run(&["token", "--org", ACME_ID, "--json", "--format", "header"])
        .expect_code(2);

    // header: exactly one line, `Authorization: Bearer <token>`.
    let header = home.run(&["token", "--org", ACME_ID, "--format", "header"]);
    header.expect_code(0);
    assert_eq!(header.stdout, format!("Authorization: Bearer {access}\n"));
    // … which `curl -H @-` sends from stdin, and the provider accepts at its userinfo endpoint.
    let mut curl = Command::new("curl")
        .args(["--silent", "--show-error", "--fail", "-H", "@-"])
        .arg(format!("{}userinfo", op.issuer))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("curl runs (Debian package curl)");
    curl.stdin
        .take()
        .expect("stdin")
        .write_all(header.stdout.as_bytes())
        .expect("header to curl");
    let out = curl.wait_with_output().expect("curl ends");
    assert!(
        out.status.success(),
        "curl -H @- {}userinfo: {}",
        op.issuer,
        String::from_utf8_lossy(&out.stderr)
    );
    let userinfo: Value = serde_json::from_slice(&out.stdout).expect("userinfo JSON");
    assert_eq!(userinfo["sub"], "auth0|alice", "{userinfo}");

    // exec-credential: client-go's ExecCredential, with exactly a token and its expiry in status.
    let cred = home.run(&["token", "--org", ACME_ID, "--format", "exec-credential"]);
    cred.expect_code(0);
    assert_eq!(cred.stdout.lines().count(), 1, "one line: {}", cred.stdout);
    let cred = cred.json();
    assert_eq!(
        keys(&cred),
        BTreeSet::from(["apiVersion", "kind", "status"])
    );
    assert_eq!(cred["apiVersion"], "client.authentication.k8s.io/v1");
    assert_eq!(cred["kind"], "ExecCredential");
    let status = &cred["status"];
    assert_eq!(
        keys(status),
        BTreeSet::from(["expirationTimestamp", "token"])
    );
    assert_eq!(status["token"], access.as_str());
    let expires = status["expirationTimestamp"].as_str().unwrap();
    assert!(expires.ends_with('Z'), "UTC: {expires}");
    let session = &home.sessions(&op.issuer)[0];
    assert_eq!(
        rfc3339(&status["expirationTimestamp"]),
        rfc3339(&session["expires_at"]),
        "the session's expiry"
    );
    assert!(
        rfc3339(&session["expires_at"]) > OffsetDateTime::now_utc() + Duration::from_secs(3000)
    );

    assert_eq!(refresh_grants(&op), 0, "no refresh was needed");
    home.run(&["logout", "--all"]).expect_code(0);
}

#[test]
fn orgpass_org_chooses_the_session_and_org_wins() {
    require_keychain();
    let op = Provider::start(&[]);
    let home = Home::new();
    op.login(&home, "alice", Some(ACME_ID), &[]).expect_code(0);
    op.login(&home, "alice", Some(GLOBEX_ID), &[])
        .expect_code(0);
    let access = op.jtis("access_token.saved");
    let (acme, globex) = (&access[0], &access[1]);
    let token = |args: &[&str], org: &str| {
        let mut all = vec!["token"];
        all.extend_from_slice(args);
        home.run_with(&all, &[("ORGPASS_ORG", org)], Duration::from_secs(60))
    };

    // Without --org, ORGPASS_ORG picks one of the two (by ID or by name); --org wins over it.
    assert_eq!(token(&[], GLOBEX_ID).expect_code(0).stdout.trim(), globex);
    assert_eq!(token(&[], "acme").expect_code(0).stdout.trim(), acme);
    assert_eq!(
        token(&["--org", ACME_ID], GLOBEX_ID)
            .expect_code(0)
            .stdout
            .trim(),
        acme
    );
    assert_eq!(
        token(&["--org", "globex"], ACME_ID)
            .expect_code(0)
            .stdout
            .trim(),
        globex
    );
    // Blank is unset: two sessions, no choice.
    token(&[], " ").expect_code(2).expect_stderr("--org");
    // An organization with no session: the usual error, naming the variable that chose it.
    let none = token(&[], "org_NOSUCHORG000000001");
    none.expect_code(1)
        .expect_stderr("no matching session for ORGPASS_ORG=org_NOSUCHORG000000001")
        .expect_stderr("unset ORGPASS_ORG");
    assert!(none.stdout.is_empty());
    // …but not when --org chose it.
    home.run(&["token", "--org", "org_NOSUCHORG000000001"])
        .expect_code(1)
        .expect_stderr("no matching session; sign in");

    // logout: ORGPASS_ORG picks the one to sign out of; --all ignores it.
    let logout = |args: &[&str], org: &str| {
        let mut all = vec!["logout"];
        all.extend_from_slice(args);
        home.run_with(&all, &[("ORGPASS_ORG", org)], Duration::from_secs(60))
    };
    logout(&[], "org_NOSUCHORG000000001")
        .expect_code(1)
        .expect_stderr("no matching session for ORGPASS_ORG");
    logout(&[], "globex").expect_code(0);
    let left: Vec<_> = home
        .sessions(&op.issuer)
        .iter()
        .map(|s| s["org_id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(left, vec![ACME_ID.to_owned()]);
    logout(&["--all"], "globex").expect_code(0);
    assert!(home.sessions(&op.issuer).is_empty());
}
