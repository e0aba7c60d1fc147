//! Bad usage and bad input: exit 2, a message that says what is wrong, and nothing opened or contacted.

use std::net::TcpListener;
use std::time::Duration;

use crate::support::{CLIENT_ID, Home, browser_command};

/// One row: the `login` arguments after the fixed ones, and what stderr must name.
struct Row {
    name: &'static str,
    args: Vec<String>,
    stderr: &'static [&'static str],
}

fn org(value: &str) -> Vec<String> {
    vec!["--org".into(), value.into()]
}

#[test]
fn bad_input_exits_2_before_anything_opens() {
    // A listening socket that would see any request the CLI made to the "issuer"; it must see none.
    let trap = TcpListener::bind("127.0.0.1:0").expect("bind");
    trap.set_nonblocking(true).expect("nonblocking");
    let issuer = format!(
        "http://127.0.0.1:{}/",
        trap.local_addr().expect("addr").port()
    );

    let rows = vec![
        Row {
            name: "empty org",
            args: org(""),
            stderr: &["organization is empty"],
        },
        Row {
            name: "blank org",
            args: org("   "),
            stderr: &["organization is empty"],
        },
        Row {
            name: "display name with a space",
            args: org("Acme Corp"),
            stderr: &["acme corp", "contains"],
        },
        Row {
            name: "non-ascii name",
            args: org("acmé"),
            stderr: &["acmé", "contains"],
        },
        Row {
            name: "name too long",
            args: org(&"a".repeat(51)),
            stderr: &["too long", "50"],
        },
        Row {
            name: "bare org_ prefix",
            args: org("org_"),
            stderr: &["organization id", "invalid"],
        },
        Row {
            name: "org id with a dash",
            args: org("org_abc-def"),
            stderr: &["org_abc-def", "invalid"],
        },
        Row {
            name: "invitation link without organization",
            args: org("https://app.example.com/login?invitation=abc123"),
            stderr: &["invitation link is missing", "organization"],
        },
        Row {
            name: "invitation link without invitation",
            args: org("https://app.example.com/login?organization=org_ACME0000000000001"),
            stderr: &["invitation link is missing", "invitation"],
        },
        Row {
            name: "plain http issuer off loopback",
            args: vec!["--issuer".into(), "http://login.example.com/".into()],
            stderr: &["http://", "loopback"],
        },
        Row {
            name: "bad port list",
            args: vec!["--port".into(), "80a".into()],
            stderr: &["port"],
        },
        Row {
            name: "unknown flag",
            args: vec!["--frobnicate".into()],
            stderr: &["--frobnicate"],
        },
        Row {
            name: "browser and no-browser together",
            args: vec!["--no-browser".into()],
            stderr: &["--no-browser"],
        },
    ];

    let mut failures = Vec::new();
    for row in &rows {
        let home = Home::new();
        let browser = browser_command();
        let mut args: Vec<&str> = vec![
            "login",
            "--client-id",
            CLIENT_ID,
            "--browser",
            &browser,
            "--timeout",
            "5",
        ];
        // Rows that set their own issuer replace the trap issuer.
        if !row.args.iter().any(|a| a == "--issuer") {
            args.extend(["--issuer", &issuer]);
        }
        args.extend(row.args.iter().map(String::as_str));
        let run = home.run_with(&args, &[("OP_TEST_USER", "alice")], Duration::from_secs(30));
        let stderr = run.stderr.to_lowercase();
        let mut problems = Vec::new();
        if run.code != 2 {
            problems.push(format!("exit {} (want 2)", run.code));
        }
        for needle in row.stderr {
            if !stderr.contains(&needle.to_lowercase()) {
                problems.push(format!("stderr lacks {needle:?}"));
            }
        }
        if !home.browser_requests().is_empty() || home.browser_log().exists() {
            problems.push("the browser was opened".into());
        }
        if trap.accept().is_ok() {
            problems.push("the issuer was contacted".into());
        }
        if !run.stdout.trim().is_empty() {
            problems.push(format!("stdout not empty: {}", run.stdout.trim()));
        }
        if !problems.is_empty() {
            failures.push(format!(
                "{}: {}\n  stderr: {}",
                row.name,
                problems.join("; "),
                run.stderr.trim()
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} rows failed:\n{}",
        failures.len(),
        rows.len(),
        failures.join("\n")
    );
}

#[test]
fn missing_issuer_or_client_id_is_bad_usage() {
    let home = Home::new();
    let run = home.run_with(
        &["login", "--client-id", CLIENT_ID, "--no-browser"],
        &[],
        Duration::from_secs(30),
    );
    run.expect_code(2).expect_stderr("issuer");
    let run = home.run_with(
        &["login", "--issuer", "acme.eu.auth0.com", "--no-browser"],
        &[],
        Duration::from_secs(30),
    );
    run.expect_code(2).expect_stderr("client id");
}
