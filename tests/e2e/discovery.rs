//! "I don't know my organization": the `orgpass` CLI signs in with `--email` to devtenant, whose native client
//! prompts before login and finds the organization by the work email's verified discovery domain (Auth0's
//! Organization Domain Discovery). Through the scripted browser (`tests/oidc-provider/browser.mjs`, which fills
//! the email step and picks in the chooser) and the real Secret Service: one domain, a domain two organizations
//! share (the chooser), a domain nobody has (the error on the email step), and an organization outside IT's
//! allow-list (refused, nothing stored).
//!
//! The desktop app does the same in its real window ("Continue with your work email", by keyboard), with real
//! Chromium going through devtenant's email step and chooser, and its company directory as the allow-list: an
//! organization the tenant chose outside it is refused with a sentence and nothing is stored, and a session of an
//! organization IT took out of the directory since is signed out at the next start, not restored. Screenshots:
//! `app-email*`, `app-waiting-email`, `app-browser-{email-step,chooser}`, `app-signed-in-by-email`,
//! `app-session-no-longer-allowed`, `app-picker-offered-first`.

use devtenant::{Running, Seed, SpawnOptions};
use fantoccini::key::Key;
use fantoccini::{Client, Locator};
use serde_json::Value;

use crate::app::{
    Machine, app_binary, browse_login, chrome_session, keychain_has, machine_with, next_opened,
};
use crate::devtenant_cli::{Desktop, require_keychain};
use crate::window::{
    WAIT, app_session, attrs, click, disabled, focused, photo, press, shot, tab_to, wait_css,
    wait_org, wait_screen, wait_text,
};

const ACME: &str = "org_AcmeA1b2C3d4E5f6";
const GLOBEX: &str = "org_GlobexG7h8I9j0K1";

/// The demo seed with its native client prompting for the organization before login, by work email.
fn discovering_seed() -> Seed {
    let mut seed = Seed::demo();
    let client = &mut seed.clients[0];
    assert_eq!(client.client_id, "orgpass-desktop");
    client.organization_require_behavior = Some("pre_login_prompt".into());
    client.organization_discovery_methods = Some(vec!["email".into()]);
    seed
}

/// The demo tenant with its native client prompting for the organization before login, by work email.
async fn tenant() -> Running {
    devtenant::spawn(discovering_seed(), SpawnOptions::default())
        .await
        .expect("devtenant starts")
}

/// The paths of the pages the scripted browser asked for under `/u/`, and its last line (`{"done":…}`).
fn browsed(log: &std::path::Path) -> (Vec<String>, Value) {
    let text = std::fs::read_to_string(log).expect("the browser wrote its log");
    let lines: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).expect("one JSON object a line"))
        .collect();
    let paths = lines
        .iter()
        .filter(|l| l.get("method").is_some())
        .filter_map(|l| l["url"].as_str())
        .map(|u| url::Url::parse(u).expect("a URL").path().to_owned())
        .filter(|p| p.starts_with("/u/"))
        .collect();
    (paths, lines.last().cloned().unwrap_or_default())
}

fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[tokio::test(flavor = "multi_thread")]
async fn cli_signs_in_by_work_email_through_one_domain_and_through_the_chooser() {
    require_keychain();
    let tenant = tenant().await;
    let logs = tempfile::tempdir().unwrap();

    // Dana's domain is globex's alone: the email step leads straight to globex's login, which admits her.
    let log = logs.path().join("dana.jsonl");
    let dana =
        Desktop::new(tenant.issuer.as_str()).with_env("OP_BROWSER_LOG", log.to_str().unwrap());
    let args = [
        "login",
        "--email",
        "dana@globex.example",
        "--json",
        "--timeout",
        "30",
    ];
    let out = dana
        .orgpass(&args, Some(("dana@globex.example", "Dana-pass-1")))
        .await;
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let login: Value = serde_json::from_slice(&out.stdout).expect("login --json");
    assert_eq!(
        (
            &login["org_id"],
            &login["org_name"],
            &login["found_by_email"]
        ),
        (&GLOBEX.into(), &"globex".into(), &true.into())
    );
    assert!(
        stderr(&out).contains(&format!(
            "Signed in as dana@globex.example to organization globex ({GLOBEX}) (the tenant found it by your work \
             email)."
        )),
        "{}",
        stderr(&out)
    );
    let (paths, _) = browsed(&log);
    assert_eq!(
        paths,
        ["/u/organization", "/u/organization", "/u/login", "/u/login"],
        "email step (shown, posted), then globex's login (shown, posted): {paths:?}"
    );
    let sessions = dana.status().await;
    assert_eq!(sessions.len(), 1);
    assert_eq!(
        (&sessions[0]["org_id"], &sessions[0]["found_by_email"]),
        (&GLOBEX.into(), &true.into())
    );
    let text = dana.orgpass(&["status"], None).await;
    let line = String::from_utf8_lossy(&text.stdout).into_owned();
    assert!(
        line.contains(&format!("\t{GLOBEX}\tglobex\t"))
            && line.contains("\torganization found by email"),
        "{line}"
    );

    // A later sign-in that names nothing offers what the email found: globex, named this time.
    let out = dana
        .orgpass(
            &["login", "--json", "--timeout", "30"],
            Some(("dana@globex.example", "Dana-pass-1")),
        )
        .await;
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        stderr(&out).starts_with(&format!(
            "Signing in to organization globex ({GLOBEX}), which the tenant found by your work email last time \
             (--org or --email to choose another).\n"
        )),
        "{}",
        stderr(&out)
    );
    let again: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        (&again["org_id"], &again["found_by_email"]),
        (&GLOBEX.into(), &false.into())
    );

    // Both ways at once is refused before any browser opens.
    let out = dana
        .orgpass(
            &["login", "--org", "acme", "--email", "dana@globex.example"],
            None,
        )
        .await;
    assert_eq!(
        (out.status.code(), stderr(&out).as_str()),
        (
            Some(2),
            "orgpass: --org and --email are two ways to choose the organization: give --org to name it, or --email \
             to let the tenant find it by your work email, not both\n"
        )
    );

    // example.com is acme's and globex's: the chooser offers both, and Alice picks acme.
    let log = logs.path().join("alice.jsonl");
    let alice = Desktop::new(tenant.issuer.as_str())
        .with_env("OP_BROWSER_LOG", log.to_str().unwrap())
        .with_env("OP_TEST_ORG", "acme");
    let out = alice
        .orgpass(
            &[
                "login",
                "--email",
                "alice@example.com",
                "--json",
                "--timeout",
                "30",
            ],
            Some(("alice@example.com", "Alice-pass-1")),
        )
        .await;
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let login: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        (&login["org_id"], &login["found_by_email"]),
        (&ACME.into(), &true.into())
    );
    let (paths, _) = browsed(&log);
    assert_eq!(
        paths,
        [
            "/u/organization",
            "/u/organization",
            "/u/organization-chooser",
            "/u/organization-chooser",
            "/u/login",
            "/u/login"
        ],
        "{paths:?}"
    );
    // The same chooser with globex picked: the other organization, the same person.
    let globex_log = logs.path().join("alice-globex.jsonl");
    let globex = Desktop::new(tenant.issuer.as_str())
        .with_env("OP_BROWSER_LOG", globex_log.to_str().unwrap())
        .with_env("OP_TEST_ORG", "globex");
    let out = globex
        .orgpass(
            &[
                "login",
                "--email",
                "alice@example.com",
                "--json",
                "--timeout",
                "30",
            ],
            Some(("alice@example.com", "Alice-pass-1")),
        )
        .await;
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let other: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        (&other["org_id"], &other["sub"]),
        (&GLOBEX.into(), &login["sub"])
    );

    for desktop in [&dana, &alice, &globex] {
        desktop.orgpass(&["logout", "--all"], None).await;
        assert!(desktop.status().await.is_empty());
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_domain_no_organization_has_is_an_error_on_the_email_step_and_nothing_is_stored() {
    require_keychain();
    let tenant = tenant().await;
    let logs = tempfile::tempdir().unwrap();
    let log = logs.path().join("eve.jsonl");
    let eve =
        Desktop::new(tenant.issuer.as_str()).with_env("OP_BROWSER_LOG", log.to_str().unwrap());
    // The browser stops on the page's error (a person would correct the address); the CLI waits, then gives up.
    let out = eve
        .orgpass(
            &["login", "--email", "eve@nowhere.example", "--timeout", "5"],
            None,
        )
        .await;
    assert_eq!(
        (
            out.status.code(),
            stderr(&out).lines().last().unwrap_or_default()
        ),
        (
            Some(4),
            "orgpass: sign-in timed out after 5 s without a response from the browser; run the command again"
        )
    );
    let (paths, done) = browsed(&log);
    assert_eq!(paths, ["/u/organization", "/u/organization"]);
    assert_eq!(done["status"], 400);
    let text = done["text"].as_str().unwrap();
    assert!(
        text.contains(
            "Enter your work email No organization uses the email domain nowhere.example. Check the address, or \
             ask your administrator which organization to sign in to."
        ),
        "{text}"
    );
    assert!(eve.status().await.is_empty(), "nothing stored");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_organization_outside_the_allow_list_is_refused_and_nothing_is_stored() {
    require_keychain();
    let tenant = tenant().await;
    // IT allows acme only; Dana's email finds globex.
    let dana = Desktop::new(tenant.issuer.as_str()).with_env("ORGPASS_ALLOWED_ORGANIZATIONS", ACME);
    let out = dana
        .orgpass(
            &[
                "login",
                "--email",
                "dana@globex.example",
                "--json",
                "--timeout",
                "30",
            ],
            Some(("dana@globex.example", "Dana-pass-1")),
        )
        .await;
    assert_eq!(
        (out.status.code(), stderr(&out).lines().last().unwrap_or_default()),
        (
            Some(3),
            format!(
                "orgpass: the tenant signed you in to organization {GLOBEX} (globex), which is not one this device \
                 may sign in to (allowed_organizations: {ACME}); nothing was stored. Sign in to one of those, or ask \
                 your IT department to add it"
            )
            .as_str()
        )
    );
    assert!(out.stdout.is_empty());
    assert!(dana.status().await.is_empty(), "nothing stored");
    // Named directly, an organization outside the list is refused before the browser opens.
    let out = dana.orgpass(&["login", "--org", GLOBEX], None).await;
    assert_eq!(
        (out.status.code(), stderr(&out).as_str()),
        (
            Some(2),
            format!(
                "orgpass: organization {GLOBEX} is not one this device may sign in to (allowed_organizations: \
                 {ACME}); choose one of those, or ask your IT department to add it\n"
            )
            .as_str()
        )
    );
}

/// The person's browser on devtenant's organization prompt: the email step must show the address the app sent
/// (`login_hint`); Continue; in the chooser (`example.com` is acme's and globex's) the organization named `choose`.
/// With `shots`, each page is photographed. Returns the address the chooser led to (the organization's login page,
/// or the app's callback when the browser's session skips it).
async fn through_email_step(
    chrome: &Client,
    url: &str,
    email: &str,
    choose: &str,
    shots: bool,
) -> String {
    chrome.goto(url).await.unwrap();
    wait_css(chrome, "#organization-form").await;
    let shown = chrome
        .execute("return document.getElementById('email').value", vec![])
        .await
        .unwrap();
    assert_eq!(
        shown,
        Value::String(email.into()),
        "the email step shows the app's login_hint"
    );
    if shots {
        photo(chrome, "app-browser-email-step").await;
    }
    // By keyboard, as a person who does not use a mouse: Tab to Continue, Enter; Tab to the organization, Enter.
    tab_to(chrome, "submit").await;
    press(chrome, &[Key::Enter.into()]).await;
    wait_text(chrome, "#chooser-hint", |t| {
        t == "More than one organization uses example.com."
    })
    .await;
    let offered = chrome
        .execute(
            "return Array.from(document.querySelectorAll('[data-organization-name]')).map(b => b.dataset.organizationName)",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(
        offered,
        serde_json::json!(["acme", "globex"]),
        "the chooser offers both organizations of the domain"
    );
    if shots {
        photo(chrome, "app-browser-chooser").await;
    }
    tab_to(chrome, &format!("choose-{choose}")).await;
    press(chrome, &[Key::Enter.into()]).await;
    let start = std::time::Instant::now();
    loop {
        let at = chrome.current_url().await.unwrap();
        if at.path() != "/u/organization-chooser" {
            return at.to_string();
        }
        assert!(start.elapsed() < WAIT, "the chooser did not move on: {at}");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

/// The window shows no signed-in organization (no session chip).
async fn assert_no_session_shown(app: &Client) {
    assert!(
        app.find_all(Locator::Css(".chip"))
            .await
            .unwrap()
            .is_empty(),
        "no session in the window"
    );
}

/// Waits until the window's live region (visually hidden, so read as its text content) says `want`.
async fn wait_live(c: &Client, want: impl Fn(&str) -> bool) {
    let start = std::time::Instant::now();
    let mut said = String::new();
    while start.elapsed() < WAIT {
        said = c
            .execute(
                "return document.getElementById('live-status').textContent",
                vec![],
            )
            .await
            .unwrap()
            .as_str()
            .unwrap_or_default()
            .to_owned();
        if want(&said) {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("the live region said {said:?}");
}

/// Type `text` by key presses into whatever has the focus.
async fn type_keys(c: &Client, text: &str) {
    press(c, &text.chars().collect::<Vec<_>>()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn desktop_app_signs_in_by_work_email_through_the_chooser_and_its_directory_is_the_allow_list()
 {
    let _one_app = crate::window::one_app_at_a_time().await;
    let Machine {
        tenant,
        issuer,
        served,
        dir: _dir,
        system,
        urls,
        drivers,
        ..
    } = machine_with(discovering_seed()).await;
    let app = app_session(drivers.app_port, &app_binary()).await;
    wait_screen(&app, "picker").await;

    // ---- "Continue with your work email", by keyboard: Tab to it, Enter; the focus lands in the email field.
    tab_to(&app, "email-start").await;
    press(&app, &[Key::Enter.into()]).await;
    wait_screen(&app, "email").await;
    assert_eq!(focused(&app).await, "email-input");
    type_keys(&app, "alice").await;
    wait_text(&app, "#email-hint", |t| {
        t == "A work email has an @ in it, like ada@acme.example."
    })
    .await;
    assert_eq!(disabled(&app, "#email-continue").await, Some(true));
    assert_eq!(
        attrs(&app, "#email-input", "aria-invalid").await,
        [Some("true".to_owned())]
    );
    // Enter on it opens nothing, and the live region says why.
    press(&app, &[Key::Enter.into()]).await;
    wait_live(&app, |t| {
        t == "A work email has an @ in it, like ada@acme.example."
    })
    .await;
    shot(&app, "app-email-bad-input").await;
    type_keys(&app, "@example.com").await;
    wait_text(&app, "#email-hint", |t| {
        t == "✓ Your company's sign-in service looks up the organization that uses example.com."
    })
    .await;
    shot(&app, "app-email").await;
    assert!(
        std::fs::read_to_string(&urls)
            .unwrap_or_default()
            .is_empty(),
        "no browser yet"
    );
    press(&app, &[Key::Enter.into()]).await;

    // ---- Waiting: the sign-in names no organization; the address is the login_hint.
    wait_screen(&app, "waiting").await;
    wait_text(&app, "[data-testid='waiting-email']", |t| {
        t == "Your company's sign-in service finds your organization by alice@example.com. If several organizations \
              use its domain, choose yours in the browser."
    })
    .await;
    wait_live(&app, |t| {
        t.starts_with("Signing in with your work email alice@example.com.")
    })
    .await;
    shot(&app, "app-waiting-email").await;
    let url = next_opened(&urls, 0).await;
    let params: std::collections::HashMap<String, String> = url::Url::parse(&url)
        .unwrap()
        .query_pairs()
        .into_owned()
        .collect();
    assert_eq!(
        params.get("login_hint").map(String::as_str),
        Some("alice@example.com")
    );
    assert!(!params.contains_key("organization"), "{url}");

    // ---- The browser: the email step, the chooser of example.com (acme and globex), globex, its login page.
    let profile = tempfile::tempdir().unwrap();
    let chrome = chrome_session(drivers.chrome_port, profile.path(), Some(&served)).await;
    let login = through_email_step(&chrome, &url, "alice@example.com", "globex", true).await;
    let page = browse_login(
        &chrome,
        &login,
        Some(("alice@example.com", "Alice-pass-1")),
        None,
    )
    .await;
    assert!(page.contains("Signed in"), "loopback page: {page}");

    // ---- Signed in: the organization the tenant chose, and that the work email found it.
    wait_screen(&app, "signed-in").await;
    wait_org(&app, "Globex Industries").await;
    wait_text(&app, "[data-testid='found-by-email']", |t| {
        t == format!("Found by your work email: your company's sign-in service chose Globex Industries ({GLOBEX}).")
    })
    .await;
    wait_live(&app, |t| {
        t == "Signed in to Globex Industries as Alice Anders. Your work email found this organization."
    })
    .await;
    assert!(keychain_has(&issuer, GLOBEX) && !keychain_has(&issuer, ACME));
    shot(&app, "app-signed-in-by-email").await;

    // ---- IT takes globex out of the directory (the allow-list) while the app is closed: the next start does not
    // restore the session but signs it out (gone from the keychain) and says why.
    app.close().await.unwrap();
    let directory = std::fs::read_to_string(&system).unwrap();
    let globex_entry = directory
        .split("[[organizations]]")
        .find(|e| e.contains(GLOBEX))
        .expect("the directory lists globex")
        .to_owned();
    let without_globex = directory.replace(&format!("[[organizations]]{globex_entry}"), "");
    std::fs::write(&system, &without_globex).unwrap();
    let app = app_session(drivers.app_port, &app_binary()).await;
    wait_text(&app, "[data-testid='error-message']", |t| {
        t == "Your session for Globex Industries has ended: this computer may no longer sign in to Globex \
              Industries."
    })
    .await;
    wait_text(&app, "[data-testid='error-next']", |t| {
        t == "Your IT department changed the organizations this computer may use. Choose one of those, or ask IT to \
              add it back."
    })
    .await;
    for _ in 0..50 {
        if !keychain_has(&issuer, GLOBEX) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(!keychain_has(&issuer, GLOBEX), "the session is signed out");
    assert_no_session_shown(&app).await;
    shot(&app, "app-session-no-longer-allowed").await;
    app.close().await.unwrap();

    // ---- Globex back in the directory: the picker offers it first, above the field, found by the work email.
    std::fs::write(&system, &directory).unwrap();
    let app = app_session(drivers.app_port, &app_binary()).await;
    wait_screen(&app, "picker").await;
    wait_css(&app, &format!("[data-testid='offered-{GLOBEX}']")).await;
    let offered = app
        .execute(
            &format!(
                "return document.querySelector(\"[data-testid='offered-{GLOBEX}']\").textContent"
            ),
            vec![],
        )
        .await
        .unwrap();
    let offered = offered.as_str().unwrap_or_default();
    assert!(
        offered.contains(&format!(
            "Globex Industries{GLOBEX} · found by your work email · last signed in"
        )),
        "{offered}"
    );
    shot(&app, "app-picker-offered-first").await;
    app.close().await.unwrap();

    // ---- IT's directory without globex: it is the allow-list. The chooser's globex is refused with a sentence,
    // and nothing is stored.
    std::fs::write(&system, &without_globex).unwrap();
    let app = app_session(drivers.app_port, &app_binary()).await;
    wait_screen(&app, "picker").await;
    wait_css(&app, &format!("[data-testid='directory-{ACME}']")).await;
    assert!(
        app.find(Locator::Css("[data-testid='offered-first']"))
            .await
            .is_err(),
        "an organization outside the directory is not offered"
    );
    click(&app, "[data-testid='email-start']").await;
    wait_screen(&app, "email").await;
    click(&app, "#email-input").await;
    type_keys(&app, "alice@example.com").await;
    wait_text(&app, "#email-hint", |t| t.starts_with("✓ ")).await;
    click(&app, "#email-continue").await;
    wait_screen(&app, "waiting").await;
    let url = next_opened(&urls, 1).await;
    // A fresh browser (with the tenant's session, it would offer its own organization picker instead of the email
    // step).
    chrome.close().await.unwrap();
    let profile = tempfile::tempdir().unwrap();
    let chrome = chrome_session(drivers.chrome_port, profile.path(), Some(&served)).await;
    let login = through_email_step(&chrome, &url, "alice@example.com", "globex", false).await;
    // Alice signs in to globex; the app refuses the token it gets.
    browse_login(
        &chrome,
        &login,
        Some(("alice@example.com", "Alice-pass-1")),
        None,
    )
    .await;
    wait_screen(&app, "error").await;
    wait_text(&app, "[data-testid='error-message']", |t| {
        t == format!(
            "The sign-in service chose globex ({GLOBEX}), which is not one of the organizations this app may sign \
             in to, so you were not signed in."
        )
    })
    .await;
    wait_text(&app, "[data-testid='error-next']", |t| {
        t == "Nothing was stored. Choose one of your company's organizations, or ask your IT department to add this \
              one."
    })
    .await;
    assert!(
        app.find(Locator::Css("[data-testid='error-retry']"))
            .await
            .is_err(),
        "no retry of a refused organization"
    );
    shot(&app, "app-email-refused").await;
    assert!(
        !keychain_has(&issuer, GLOBEX) && !keychain_has(&issuer, ACME),
        "nothing stored"
    );
    assert_no_session_shown(&app).await;
    chrome.close().await.unwrap();
    app.close().await.unwrap();
    tenant.shutdown().await;
}
