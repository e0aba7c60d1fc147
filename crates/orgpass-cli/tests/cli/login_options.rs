//! `login` options through the real binary against `oidc-provider`: a registered port list with busy ports, and
//! `--prompt login` on the authorize URL.

use std::net::TcpListener;

use url::Url;

use crate::support::{
    ACME_ID, Home, Provider, account, keychain_items, keychain_value, require_keychain,
};

/// A port that is free right now (bound on 127.0.0.1 and released).
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port()
}

/// A port held busy by a listener on 127.0.0.1 for as long as the listener lives.
fn busy_port() -> (TcpListener, u16) {
    let l = TcpListener::bind("127.0.0.1:0").expect("bind");
    l.set_nonblocking(true).expect("nonblocking");
    let port = l.local_addr().expect("addr").port();
    (l, port)
}

/// The authorize URL the CLI opened: the scripted browser's first request.
fn authorize_url(home: &Home) -> Url {
    let requests = home.browser_requests();
    let first = requests.first().expect("the browser ran");
    Url::parse(first["url"].as_str().expect("url")).expect("a URL")
}

fn param(url: &Url, name: &str) -> Option<String> {
    url.query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

#[test]
fn a_busy_registered_port_moves_the_listener_to_the_next() {
    require_keychain();
    let op = Provider::start(&[]);
    let home = Home::new();
    let (busy, a) = busy_port();
    let b = free_port();
    let ports = format!("{a},{b}");
    let run = op.login(&home, "alice", Some(ACME_ID), &["--port", &ports]);
    run.expect_code(0);
    assert_eq!(run.json()["org_id"], ACME_ID);

    let want = format!("http://127.0.0.1:{b}/callback");
    assert_eq!(
        param(&authorize_url(&home), "redirect_uri").as_deref(),
        Some(want.as_str()),
        "the redirect URI names the second port"
    );
    let last = home
        .browser_requests()
        .into_iter()
        .rev()
        .find(|r| r["url"].is_string())
        .expect("the browser made requests");
    assert!(
        last["url"].as_str().unwrap().starts_with(&want) && last["status"] == 200,
        "the browser ended on the listener at port {b}: {last}"
    );
    // Nobody connected to the busy port.
    assert!(
        matches!(busy.accept(), Err(e) if e.kind() == std::io::ErrorKind::WouldBlock),
        "the CLI connected to the busy port {a}"
    );
    assert!(keychain_value(&keychain_items(&op.issuer), &account(&op.issuer, ACME_ID)).is_some());
    home.run(&["logout", "--all"]).expect_code(0);
}

#[test]
fn every_registered_port_busy_exits_1_naming_each_port_before_the_browser_opens() {
    require_keychain();
    let op = Provider::start(&[]);
    let home = Home::new();
    let (_busy_a, a) = busy_port();
    let (_busy_b, b) = busy_port();
    let ports = format!("{a},{b}");
    let run = op.login(&home, "alice", Some(ACME_ID), &["--port", &ports]);
    // Exit 1 ("anything else"): the input was valid, the machine could not provide a port.
    run.expect_code(1)
        .expect_stderr("could not listen on the loopback interface")
        .expect_stderr(&format!("port {a} (address in use)"))
        .expect_stderr(&format!("port {b} (address in use)"))
        .expect_stderr("--port");
    assert!(run.stdout.trim().is_empty(), "{}", run.stdout);
    assert!(
        home.browser_requests().is_empty(),
        "the browser must not open"
    );
    assert_eq!(
        op.count("authorization.success") + op.count("authorization.error"),
        0,
        "nothing reached /authorize"
    );
    assert!(home.sessions(&op.issuer).is_empty());
    assert!(keychain_items(&op.issuer).is_empty());
}

#[test]
fn prompt_login_is_sent_on_the_authorize_url() {
    require_keychain();
    let op = Provider::start(&[]);

    // Without --prompt: no prompt parameter at all.
    let plain = Home::new();
    op.login(&plain, "alice", Some(ACME_ID), &[]).expect_code(0);
    let url = authorize_url(&plain);
    assert_eq!(url.path(), "/authorize", "{url}");
    assert_eq!(param(&url, "prompt"), None, "{url}");
    plain.run(&["logout", "--all"]).expect_code(0);

    // With --prompt login: exactly `prompt=login`, next to the organization.
    let home = Home::new();
    let run = op.login(&home, "alice", Some(ACME_ID), &["--prompt", "login"]);
    run.expect_code(0);
    assert_eq!(run.json()["sub"], "auth0|alice");
    let url = authorize_url(&home);
    assert_eq!(url.path(), "/authorize", "{url}");
    let prompts: Vec<_> = url
        .query_pairs()
        .filter(|(k, _)| k == "prompt")
        .map(|(_, v)| v.into_owned())
        .collect();
    assert_eq!(prompts, vec!["login".to_owned()], "{url}");
    assert_eq!(param(&url, "organization").as_deref(), Some(ACME_ID));
    // The login page was shown and submitted.
    assert!(
        home.browser_requests()
            .iter()
            .any(|r| r["method"] == "POST"
                && r["url"].as_str().is_some_and(|u| u.ends_with("/login"))),
        "the login form was submitted: {:#?}",
        home.browser_requests()
    );
    home.run(&["logout", "--all"]).expect_code(0);
}
