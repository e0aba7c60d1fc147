//! Signing in where the browser is not: `orgpass login` with no display (or `--no-browser`) prints the authorize
//! URL and takes the address the browser ended on from standard input. The browser is the scripted one, playing a
//! browser on another machine (it stops at the loopback callback and prints its address); the test pastes.

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use crate::support::{
    ACME_ID, CLIENT_ID, Home, Provider, assert_nothing_stored, require_keychain, workspace_root,
};

/// A running `orgpass login` in remote mode: its stdin, its stderr line by line, its stdout.
struct Remote {
    child: Child,
    stdin: ChildStdin,
    stderr: mpsc::Receiver<String>,
    seen: Vec<String>,
    stdout: mpsc::Receiver<String>,
}

impl Remote {
    fn start(home: &Home, op: &Provider, extra: &[&str]) -> Self {
        let mut args = vec![
            "login",
            "--issuer",
            &op.issuer,
            "--client-id",
            CLIENT_ID,
            "--org",
            ACME_ID,
        ];
        args.extend_from_slice(&["--timeout", "60", "--json"]);
        args.extend_from_slice(extra);
        let mut child = home
            .command(&args, &[])
            .stdin(Stdio::piped())
            .spawn()
            .expect("orgpass starts");
        let stdin = child.stdin.take().expect("stdin");
        let (tx, stderr) = mpsc::channel();
        let err = child.stderr.take().expect("stderr");
        thread::spawn(move || {
            for line in BufReader::new(err).lines().map_while(Result::ok) {
                // The prompt has no newline: it prefixes the line after it.
                let _ = tx.send(line.replace("Paste the address here: ", ""));
            }
        });
        let stdout = crate::support::drain(child.stdout.take().expect("stdout"));
        Self {
            child,
            stdin,
            stderr,
            seen: Vec::new(),
            stdout,
        }
    }

    /// Wait for a stderr line that satisfies `want`; returns it.
    fn line(&mut self, what: &str, want: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            match self.stderr.recv_timeout(Duration::from_millis(200)) {
                Ok(line) => {
                    self.seen.push(line.clone());
                    if want(&line) {
                        return line;
                    }
                }
                Err(mpsc::RecvTimeoutError::Timeout) => {}
                Err(mpsc::RecvTimeoutError::Disconnected) => break,
            }
        }
        panic!(
            "no stderr line {what}; stderr so far:\n{}",
            self.seen.join("\n")
        );
    }

    /// The authorize URL the instructions print.
    fn authorize_url(&mut self, op: &Provider) -> String {
        self.line("with the authorize URL", |l| {
            l.trim().starts_with(&op.issuer)
        })
        .trim()
        .to_owned()
    }

    fn paste(&mut self, line: &str) {
        self.stdin.write_all(line.as_bytes()).expect("write stdin");
        self.stdin.write_all(b"\n").expect("write stdin");
        self.stdin.flush().expect("flush stdin");
    }

    /// Paste `line` and expect exactly `refusal` back.
    fn refused(&mut self, line: &str, refusal: &str) {
        self.paste(line);
        self.line(&format!("refusing with {refusal:?}"), |l| l == refusal);
    }

    fn finish(mut self) -> (i32, String, String) {
        drop(self.stdin);
        let deadline = Instant::now() + Duration::from_secs(60);
        let status = loop {
            if let Some(s) = self.child.try_wait().expect("wait") {
                break s;
            }
            assert!(
                Instant::now() < deadline,
                "orgpass did not finish; stderr:\n{}",
                self.seen.join("\n")
            );
            thread::sleep(Duration::from_millis(20));
        };
        while let Ok(l) = self.stderr.recv_timeout(Duration::from_millis(200)) {
            self.seen.push(l);
        }
        let stdout = self
            .stdout
            .recv_timeout(Duration::from_secs(5))
            .unwrap_or_default();
        (status.code().unwrap_or(-1), stdout, self.seen.join("\n"))
    }
}

/// The scripted browser signs in as alice on "another machine" and returns the address it ended on.
fn browse_elsewhere(authorize_url: &str) -> String {
    let out = std::process::Command::new("node")
        .arg(workspace_root().join("tests/oidc-provider/browser.mjs"))
        .arg(authorize_url)
        .env("OP_TEST_USER", "alice")
        .env("OP_BROWSER_STOP_AT_CALLBACK", "1")
        .output()
        .expect("node runs the scripted browser");
    assert!(
        out.status.success(),
        "browser.mjs failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .expect("utf-8")
        .trim()
        .to_owned()
}

fn param(url: &str, name: &str) -> String {
    url::Url::parse(url)
        .expect("url")
        .query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
        .unwrap_or_else(|| panic!("{url} has no {name}"))
}

fn with_param(url: &str, name: &str, value: &str) -> String {
    let mut u = url::Url::parse(url).expect("url");
    let pairs: Vec<(String, String)> = u
        .query_pairs()
        .map(|(k, v)| {
            let v = if k == name {
                value.to_owned()
            } else {
                v.into_owned()
            };
            (k.into_owned(), v)
        })
        .collect();
    u.query_pairs_mut().clear().extend_pairs(pairs);
    u.to_string()
}

#[test]
fn no_display_pastes_the_final_address_and_junk_is_refused_first() {
    require_keychain();
    let op = Provider::start(&[]);
    let home = Home::new();
    // No --browser and no DISPLAY (the test's environment is cleared): remote mode by itself.
    let mut run = Remote::start(&home, &op, &[]);
    run.line("explaining remote mode", |l| {
        l == "No browser can be opened here (there is no display here (neither DISPLAY nor WAYLAND_DISPLAY is set)). To sign in:"
    });
    let authorize = run.authorize_url(&op);
    let callback = browse_elsewhere(&authorize);
    let redirect = param(&authorize, "redirect_uri");
    assert!(
        callback.starts_with(&format!("{redirect}?")),
        "{callback} vs {redirect}"
    );
    let not_ours =
        format!("not accepted: that is not this sign-in's address: it must start with {redirect}?");

    run.refused("hello", "that is not an address; paste the whole address from the browser's address bar (it starts with http://)");
    run.refused(
        &with_param(&callback, "state", "forged-state"),
        "not accepted: it belongs to another sign-in (its state does not match this one); copy the address from the tab this sign-in opened",
    );
    run.refused(&callback.replacen("127.0.0.1", "127.0.0.2", 1), &not_ours);
    run.refused(&callback.replacen("/callback", "/other", 1), &not_ours);
    run.refused(&callback.replacen("http://", "https://", 1), &not_ours);
    let long = format!("{callback}&pad={}", "x".repeat(8 * 1024));
    run.refused(&long, &format!("that line is {} characters long, longer than any sign-in address; paste only the address", long.len()));
    // Nothing above was redeemed.
    assert_eq!(op.count("grant.success"), 0);

    run.paste(&callback);
    let (code, stdout, stderr) = run.finish();
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stderr.contains("Address accepted; finishing the sign-in …"),
        "{stderr}"
    );
    let out: serde_json::Value = serde_json::from_str(&stdout).expect("--json output");
    assert_eq!(
        (out["org_id"].as_str(), out["email"].as_str()),
        (Some(ACME_ID), Some("alice@example.com"))
    );
    assert_eq!(home.sessions(&op.issuer).len(), 1);
    assert!(
        !stderr.contains(&param(&callback, "code")),
        "the code was printed"
    );
    assert_eq!(op.count("grant.success"), 1, "exactly one code redeemed");
}

#[test]
fn a_pasted_address_gets_the_callback_checks_and_refusals_store_nothing() {
    require_keychain();
    let op = Provider::start(&[]);
    // (what to paste given the authorize URL and the callback address, exit code, stderr must contain)
    type Forge = fn(&str, &str, &str) -> String;
    let rows: [(&str, Forge, i32, &str); 3] = [
        (
            "another issuer (RFC 9207 mix-up)",
            |_, cb, _| with_param(cb, "iss", "https://evil.example/"),
            3,
            "iss is https://evil.example/",
        ),
        (
            "an error response for this sign-in",
            |auth, cb, redirect| {
                let mut u = url::Url::parse(redirect).expect("redirect_uri");
                u.query_pairs_mut()
                    .append_pair("error", "access_denied")
                    .append_pair("error_description", "not a member")
                    .append_pair("state", &param(auth, "state"))
                    .append_pair("iss", &param(cb, "iss"));
                u.to_string()
            },
            3,
            "access_denied (not a member)",
        ),
        (
            "a code the provider never issued",
            |_, cb, _| with_param(cb, "code", "forged-code"),
            3,
            "token request refused: invalid_grant",
        ),
    ];
    for (name, forge, want_code, want) in rows {
        let home = Home::new();
        let mut run = Remote::start(&home, &op, &["--no-browser"]);
        run.line("explaining remote mode", |l| {
            l.starts_with("No browser can be opened here (--no-browser was given)")
        });
        let authorize = run.authorize_url(&op);
        let callback = browse_elsewhere(&authorize);
        let redirect = param(&authorize, "redirect_uri");
        run.paste(&forge(&authorize, &callback, &redirect));
        let (code, stdout, stderr) = run.finish();
        assert_eq!(code, want_code, "{name}: {stderr}");
        assert!(
            stderr.contains(want),
            "{name}: stderr lacks {want:?}:\n{stderr}"
        );
        assert!(stdout.trim().is_empty(), "{name}: stdout {stdout}");
        assert_nothing_stored(&home, &op.issuer, name);
    }
}

#[test]
fn with_the_port_forwarded_the_listener_still_completes_the_remote_sign_in() {
    require_keychain();
    let op = Provider::start(&[]);
    let home = Home::new();
    let mut run = Remote::start(&home, &op, &["--no-browser"]);
    let authorize = run.authorize_url(&op);
    // `ssh -L`: the browser reaches the loopback listener itself; nobody pastes anything.
    let out = std::process::Command::new("node")
        .arg(workspace_root().join("tests/oidc-provider/browser.mjs"))
        .arg(&authorize)
        .env("OP_TEST_USER", "alice")
        .output()
        .expect("node");
    assert!(out.status.success());
    let (code, _, stderr) = run.finish();
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(home.sessions(&op.issuer).len(), 1);
}
