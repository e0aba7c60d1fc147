//! "I don't know my organization": the `orgpass` CLI signs in with `--email` to devtenant, whose native client
//! prompts before login and finds the organization by the work email's verified discovery domain (Auth0's
//! Organization Domain Discovery). Through the scripted browser (`tests/oidc-provider/browser.mjs`, which fills
//! the email step and picks in the chooser) and the real Secret Service: one domain, a domain two organizations
//! share (the chooser), a domain nobody has (the error on the email step), and an organization outside IT's
//! allow-list (refused, nothing stored).

use devtenant::{Running, Seed, SpawnOptions};
use serde_json::Value;

use crate::devtenant_cli::{Desktop, require_keychain};

const ACME: &str = "org_AcmeA1b2C3d4E5f6";
const GLOBEX: &str = "org_GlobexG7h8I9j0K1";

/// The demo tenant with its native client prompting for the organization before login, by work email.
async fn tenant() -> Running {
    let mut seed = Seed::demo();
    let client = &mut seed.clients[0];
    assert_eq!(client.client_id, "orgpass-desktop");
    client.organization_require_behavior = Some("pre_login_prompt".into());
    client.organization_discovery_methods = Some(vec!["email".into()]);
    devtenant::spawn(seed, SpawnOptions::default())
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
