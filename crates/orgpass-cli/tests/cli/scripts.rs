//! What scripts, curl and kubectl lean on: `orgpass token --format header|exec-credential`, `orgpass run` (the
//! token in the command's environment, never in argv; the command's exit code; signals), and `ORGPASS_ORG` choosing
//! the session per shell.

use std::collections::BTreeSet;
use std::io::Write;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::support::{ACME_ID, GLOBEX_ID, Home, Provider, Run, drain, require_keychain};

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

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
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

    assert_eq!(op.refresh_grants(), 0, "no refresh was needed");
    home.run(&["logout", "--all"]).expect_code(0);
}

#[test]
fn run_puts_the_token_in_the_environment_never_in_argv() {
    require_keychain();
    let op = Provider::start(&[]);
    let home = Home::new();
    let access = signed_in(&op, &home);
    let bare = home
        .run(&["token", "--org", ACME_ID])
        .expect_code(0)
        .stdout
        .clone();
    assert_eq!(bare.trim(), access);

    let out = tempfile::tempdir().expect("temp dir");
    let file = |name: &str| out.path().join(name).to_str().unwrap().to_owned();
    // The command: what it got in its environment, its own argv, and its parent's (orgpass's) argv and
    // environment, as the kernel shows them to other processes.
    let script = r#"printf %s "$ORGPASS_ACCESS_TOKEN" > "$1"
printf %s "$ORGPASS_ORG_ID" > "$2"
tr '\0' ' ' < /proc/$$/cmdline > "$3"
tr '\0' ' ' < /proc/$PPID/cmdline > "$4"
tr '\0' '\n' < /proc/$PPID/environ > "$5"
echo to-stdout; echo to-stderr >&2"#;
    let (token_file, org_file, own_argv, parent_argv, parent_env) = (
        file("token"),
        file("org"),
        file("argv"),
        file("parent-argv"),
        file("parent-env"),
    );
    let run = home.run_with(
        &[
            "run",
            "--org",
            ACME_ID,
            "--",
            "sh",
            "-c",
            script,
            "sh",
            &token_file,
            &org_file,
            &own_argv,
            &parent_argv,
            &parent_env,
        ],
        // A stale value from an outer shell is replaced, not inherited.
        &[
            ("ORGPASS_ORG_ID", "org_STALE"),
            ("ORGPASS_ACCESS_TOKEN", "stale"),
        ],
        Duration::from_secs(60),
    );
    run.expect_code(0);
    // The command's own output passes through untouched.
    assert_eq!(run.stdout, "to-stdout\n");
    assert!(
        run.stderr.ends_with("to-stderr\n"),
        "stderr: {}",
        run.stderr
    );
    run.expect_not_printed("the access token", &access);

    assert_eq!(
        read(Path::new(&token_file)),
        access,
        "the token `orgpass token` prints"
    );
    assert_eq!(read(Path::new(&org_file)), ACME_ID);
    let argv = read(Path::new(&own_argv));
    assert!(argv.starts_with("sh -c "), "the command's argv: {argv}");
    assert!(
        !argv.contains(&access),
        "the token is in the command's argv"
    );
    let parent = read(Path::new(&parent_argv));
    assert!(
        parent.starts_with(env!("CARGO_BIN_EXE_orgpass")) && parent.contains(" run --org "),
        "the parent is orgpass run: {parent}"
    );
    assert!(!parent.contains(&access), "the token is in orgpass's argv");
    let parent_env = read(Path::new(&parent_env));
    assert!(
        parent_env
            .lines()
            .any(|l| l == "ORGPASS_ACCESS_TOKEN=stale")
            && !parent_env.contains(&access),
        "orgpass's own environment is left as it was: {parent_env}"
    );
    assert_eq!(
        op.refresh_grants(),
        0,
        "the stored token was fresh: no refresh"
    );
    home.run(&["logout", "--all"]).expect_code(0);
}

#[test]
fn run_exits_like_a_shell() {
    require_keychain();
    let op = Provider::start(&[]);
    let home = Home::new();
    signed_in(&op, &home);
    let run = |argv: &[&str]| {
        let mut args = vec!["run", "--org", ACME_ID, "--"];
        args.extend_from_slice(argv);
        home.run(&args)
    };

    run(&["sh", "-c", "exit 7"]).expect_code(7);
    run(&["true"]).expect_code(0);
    // Killed by a signal: 128 + its number.
    run(&["sh", "-c", "kill -TERM $$"]).expect_code(128 + 15);
    run(&["sh", "-c", "kill -KILL $$"]).expect_code(128 + 9);

    let missing = run(&["orgpass-test-no-such-command", "--flag"]);
    missing
        .expect_code(127)
        .expect_stderr("cannot run `orgpass-test-no-such-command`: command not found");
    assert!(missing.stdout.is_empty());

    let dir = tempfile::tempdir().expect("temp dir");
    let not_executable = dir.path().join("script.sh");
    std::fs::write(&not_executable, "#!/bin/sh\nexit 0\n").expect("write script");
    run(&[not_executable.to_str().unwrap()])
        .expect_code(1)
        .expect_stderr("cannot run")
        .expect_stderr("permission denied");

    // No session: orgpass's own error, and the command never starts.
    let marker = dir.path().join("ran");
    let nothing = home.run(&[
        "run",
        "--org",
        "org_NOSUCHORG000000001",
        "--",
        "touch",
        marker.to_str().unwrap(),
    ]);
    nothing.expect_code(1).expect_stderr("no matching session");
    assert!(!marker.exists(), "the command ran without a session");
    home.run(&["logout", "--all"]).expect_code(0);
}

/// Wait until `path` exists (the command has set its traps), failing after 30 s.
fn wait_for_file(path: &Path) {
    let start = Instant::now();
    while !path.exists() {
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "{} never appeared",
            path.display()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn kill(signal: &str, target: &str) {
    let status = Command::new("kill")
        .args([signal, "--", target])
        .status()
        .expect("kill runs");
    assert!(status.success(), "kill {signal} {target}");
}

#[test]
fn run_passes_sigterm_on_and_outlives_ctrl_c() {
    require_keychain();
    let op = Provider::start(&[]);
    let home = Home::new();
    signed_in(&op, &home);
    let dir = tempfile::tempdir().expect("temp dir");
    // The command records which signal reached it and exits with a code of its own for each.
    let script = r#"trap 'echo TERM > "$1"; exit 5' TERM
trap 'echo INT > "$1"; exit 6' INT
: > "$2"
while :; do sleep 0.1; done"#;

    for (signal, to_group, code, seen) in [
        // `kill PID` / `docker stop`: only orgpass gets SIGTERM; it passes it on.
        ("-TERM", false, 5, "TERM"),
        // Ctrl-C: the terminal signals the whole foreground process group; orgpass waits for the command.
        ("-INT", true, 6, "INT"),
    ] {
        let got = dir.path().join(format!("got{signal}"));
        let ready = dir.path().join(format!("ready{signal}"));
        let mut child = home
            .command(
                &[
                    "run",
                    "--org",
                    ACME_ID,
                    "--",
                    "sh",
                    "-c",
                    script,
                    "sh",
                    got.to_str().unwrap(),
                    ready.to_str().unwrap(),
                ],
                &[],
            )
            .process_group(0)
            .spawn()
            .expect("orgpass starts");
        let stdout = drain(child.stdout.take().expect("stdout"));
        let stderr = drain(child.stderr.take().expect("stderr"));
        wait_for_file(&ready);
        let pid = child.id().to_string();
        let target = if to_group {
            format!("-{pid}")
        } else {
            pid.clone()
        };
        kill(signal, &target);
        // Bounded: a signal that never reaches the command would leave both running forever.
        let start = Instant::now();
        let status = loop {
            if let Some(status) = child.try_wait().expect("wait for orgpass") {
                break status;
            }
            if start.elapsed() > Duration::from_secs(30) {
                kill("-KILL", &format!("-{pid}"));
                let _ = child.wait();
                panic!("orgpass run still running 30 s after {signal}: the command never got it");
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        let run = Run {
            code: status.code().unwrap_or(-1),
            stdout: stdout.recv().unwrap_or_default(),
            stderr: stderr.recv().unwrap_or_default(),
        };
        assert!(
            status.code().is_some(),
            "orgpass was ended by {signal} ({status}) instead of waiting for its command"
        );
        run.expect_code(code);
        assert_eq!(read(&got).trim(), seen, "the signal the command saw");
    }
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

    // run: the same choice, seen by the command as ORGPASS_ORG_ID and its token.
    let org_of_run = |args: &[&str], org: &str| {
        let mut all = vec!["run"];
        all.extend_from_slice(args);
        all.extend_from_slice(&[
            "--",
            "sh",
            "-c",
            r#"printf '%s %s' "$ORGPASS_ORG_ID" "$ORGPASS_ACCESS_TOKEN""#,
        ]);
        let run = home.run_with(&all, &[("ORGPASS_ORG", org)], Duration::from_secs(60));
        run.expect_code(0);
        run.stdout.clone()
    };
    assert_eq!(org_of_run(&[], "globex"), format!("{GLOBEX_ID} {globex}"));
    assert_eq!(
        org_of_run(&["--org", "acme"], "globex"),
        format!("{ACME_ID} {acme}")
    );
    home.run_with(
        &["run", "--", "true"],
        &[("ORGPASS_ORG", "nope")],
        Duration::from_secs(60),
    )
    .expect_code(1)
    .expect_stderr("no matching session for ORGPASS_ORG=nope");

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
