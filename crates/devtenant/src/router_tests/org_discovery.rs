//! The organization prompt's email step (`pre_login_prompt` with `organization_discovery_methods`): one verified
//! domain signs in to its organization, a shared one shows the chooser, none is an error on the page, and what
//! is pending, not used for discovery, or a subdomain finds nothing.

use super::*;

const INITECH: &str = "org_InitechL2m3N4o5p";

/// The demo tenant with the native client set to prompt before login, finding organizations by `methods`.
fn prompting(methods: &[&str]) -> Router {
    let mut seed = Seed::demo();
    seed.clients[0].organization_require_behavior = Some("pre_login_prompt".into());
    seed.clients[0].organization_discovery_methods =
        Some(methods.iter().map(|m| (*m).to_owned()).collect());
    app(state_with(seed))
}

/// `/authorize` without `organization` (plus `extra`): the prompt's transaction key.
async fn prompt(app: &Router, extra: &[(&str, &str)]) -> String {
    let r = fetch(app, &authorize_uri(extra)).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    assert_eq!(r.location().path(), "/u/organization");
    r.query("state").unwrap()
}

/// The `#error` paragraph's text of a page.
fn page_error(html: &str) -> String {
    let start = html.find("id=\"error\">").expect("an error on the page") + 11;
    html[start..][..html[start..].find("</p>").unwrap()].to_owned()
}

/// Logs in on `/u/login` for transaction `key` and returns the ID token's claims.
async fn finish_login(app: &Router, key: &str, email: &str, password: &str) -> Value {
    let done = post_form(
        app,
        "/u/login",
        &[("state", key), ("username", email), ("password", password)],
    )
    .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.text());
    let t = code_tokens(app, &done).await;
    claims(t["id_token"].as_str().unwrap())
}

#[tokio::test]
async fn one_verified_domain_leads_to_its_organizations_login_with_the_email_pre_filled() {
    let app = prompting(&["email"]);
    let key = prompt(&app, &[("login_hint", "dana@globex.example")]).await;
    let page = fetch(&app, &format!("/u/organization?state={key}"))
        .await
        .text();
    assert!(page.contains("Enter your work email"), "{page}");
    assert!(
        page.contains(r#"id="email" name="email" value="dana@globex.example""#),
        "login_hint pre-fills the email step: {page}"
    );
    let r = post_form(
        &app,
        "/u/organization",
        &[("state", &key), ("email", " Dana@GLOBEX.example ")],
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    assert_eq!(r.location().path(), "/u/login");
    let login = fetch(&app, &format!("/u/login?state={key}")).await.text();
    assert!(login.contains("Log in to Globex Industries") && login.contains("globex.svg"));
    assert!(
        login.contains(r#"value="Dana@GLOBEX.example""#),
        "the login form starts from the address typed: {login}"
    );
    // Dana is no member yet; globex's database connection assigns membership on login.
    let id = finish_login(&app, &key, "dana@globex.example", "Dana-pass-1").await;
    assert_eq!(
        (id["org_id"].as_str(), id["org_name"].as_str()),
        (Some(GLOBEX), Some("globex"))
    );
    assert_eq!(id["email"], "dana@globex.example");
}

#[tokio::test]
async fn a_shared_domain_shows_the_chooser_with_exactly_its_organizations() {
    let app = prompting(&["email"]);
    let key = prompt(&app, &[]).await;
    let r = post_form(
        &app,
        "/u/organization",
        &[("state", &key), ("email", "alice@example.com")],
    )
    .await;
    assert_eq!(r.location().path(), "/u/organization-chooser");
    let page = fetch(&app, &format!("/u/organization-chooser?state={key}")).await;
    assert_eq!(page.status, StatusCode::OK);
    let html = page.text();
    assert!(
        html.contains("More than one organization uses example.com."),
        "{html}"
    );
    let offered: Vec<&str> = html
        .match_indices("id=\"choose-")
        .map(|(i, _)| html[i + 11..].split('"').next().unwrap())
        .collect();
    assert_eq!(offered, ["acme", "globex"]);

    // Initech was not offered: choosing it by its ID is refused, and the transaction stays as it was.
    let forged = post_form(
        &app,
        "/u/organization-chooser",
        &[("state", &key), ("organization", INITECH)],
    )
    .await;
    assert_eq!(forged.status, StatusCode::BAD_REQUEST);
    assert!(
        forged
            .text()
            .contains("That organization was not offered for your email address.")
    );

    let chosen = post_form(
        &app,
        "/u/organization-chooser",
        &[("state", &key), ("organization", GLOBEX)],
    )
    .await;
    assert_eq!(chosen.location().path(), "/u/login");
    let login = fetch(&app, &format!("/u/login?state={key}")).await.text();
    assert!(
        login.contains("Log in to Globex Industries")
            && login.contains(r#"value="alice@example.com""#)
    );
    let id = finish_login(&app, &key, "alice@example.com", "Alice-pass-1").await;
    assert_eq!(
        (id["org_id"].as_str(), id["org_name"].as_str()),
        (Some(GLOBEX), Some("globex"))
    );

    // The chooser is only reachable after the email step found several.
    let fresh = prompt(&app, &[]).await;
    let early = fetch(&app, &format!("/u/organization-chooser?state={fresh}")).await;
    assert_eq!(early.status, StatusCode::BAD_REQUEST);
    assert!(
        early
            .text()
            .contains("Enter your work email before choosing an organization.")
    );
}

#[tokio::test]
async fn no_matching_domain_is_an_error_on_the_email_step() {
    let app = prompting(&["email"]);
    let key = prompt(&app, &[]).await;
    let no_org = |domain: &str| {
        format!(
            "No organization uses the email domain {domain}. Check the address, or ask your administrator which \
             organization to sign in to."
        )
    };
    let bad_email = "Enter a valid email address.".to_owned();
    #[rustfmt::skip]
    let rows = [
        ("gina@gmail.example", no_org("gmail.example")),               // no organization has it
        ("peter@initech.example", no_org("initech.example")),          // pending: not verified yet
        ("old@globex-legacy.example", no_org("globex-legacy.example")), // verified, not used for discovery
        ("eve@eu.acme.example", no_org("eu.acme.example")),            // a subdomain is another domain
        ("acme", bad_email.clone()), // a name, and names are off
        ("eve@", bad_email.clone()),
        ("a b@acme.example", bad_email.clone()),
    ];
    for (typed, want) in rows {
        let r = post_form(
            &app,
            "/u/organization",
            &[("state", &key), ("email", typed)],
        )
        .await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{typed}");
        assert_eq!(page_error(&r.text()), want, "{typed}");
        assert!(
            r.text().contains(r#"id="email""#),
            "the step is shown again: {typed}"
        );
    }
    // The transaction is intact: a right address still goes on.
    let r = post_form(
        &app,
        "/u/organization",
        &[("state", &key), ("email", "eve@acme.example")],
    )
    .await;
    assert_eq!(r.location().path(), "/u/login");
}

#[tokio::test]
async fn each_discovery_method_shows_its_own_field() {
    #[rustfmt::skip]
    let rows: [(&[&str], &str, &str, &str); 3] = [
        (&["email"], "Enter your work email", "email", "eve@acme.example"),
        (&["organization_name"], "Enter your organization name", "organizationName", "acme"),
        (&["email", "organization_name"], "Enter your work email or organization name", "email", "Acme"),
    ];
    for (methods, heading, field, typed) in rows {
        let app = prompting(methods);
        let key = prompt(&app, &[]).await;
        let page = fetch(&app, &format!("/u/organization?state={key}"))
            .await
            .text();
        assert!(
            page.contains(&format!("<h1 id=\"title\">{heading}</h1>")),
            "{methods:?}: {page}"
        );
        assert!(
            page.contains(&format!("id=\"{field}\" name=\"{field}\"")),
            "{methods:?}"
        );
        let r = post_form(&app, "/u/organization", &[("state", &key), (field, typed)]).await;
        assert_eq!(r.location().path(), "/u/login", "{methods:?}");
        let login = fetch(&app, &format!("/u/login?state={key}")).await.text();
        assert!(login.contains("Log in to Acme Corporation"), "{methods:?}");
    }
    // With both, an address without a match says the name is another way.
    let app = prompting(&["email", "organization_name"]);
    let key = prompt(&app, &[]).await;
    let r = post_form(
        &app,
        "/u/organization",
        &[("state", &key), ("email", "x@nowhere.example")],
    )
    .await;
    assert_eq!(
        page_error(&r.text()),
        "No organization uses the email domain nowhere.example. Check the address or enter your organization \
         name, or ask your administrator which organization to sign in to."
    );
    // A method the client does not have is not taken through the other field.
    let app = prompting(&["email"]);
    let key = prompt(&app, &[]).await;
    let r = post_form(
        &app,
        "/u/organization",
        &[("state", &key), ("organizationName", "acme")],
    )
    .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(page_error(&r.text()), "Enter what this page asks for.");
}

#[tokio::test]
async fn the_found_organization_still_checks_membership() {
    // Nora's address finds acme and globex; she belongs to neither, and acme does not assign membership.
    let app = prompting(&["email"]);
    let key = prompt(&app, &[]).await;
    post_form(
        &app,
        "/u/organization",
        &[("state", &key), ("email", "nora@example.com")],
    )
    .await;
    post_form(
        &app,
        "/u/organization-chooser",
        &[("state", &key), ("organization", ACME)],
    )
    .await;
    let r = post_form(
        &app,
        "/u/login",
        &[
            ("state", &key),
            ("username", "nora@example.com"),
            ("password", "Nora-pass-1"),
        ],
    )
    .await;
    assert_eq!(r.query("error").as_deref(), Some("access_denied"));
    assert_eq!(
        r.query("error_description").as_deref(),
        Some(
            "user auth0|nora0000000000000000000003 is not part of the org_AcmeA1b2C3d4E5f6 organization"
        )
    );
}

#[tokio::test]
async fn discovery_methods_are_a_client_setting_of_the_management_api() {
    let state = state();
    let m = Mgmt::with_scopes(&state, "read:clients update:clients");
    let client = m
        .get(&format!("/clients/{NATIVE}"))
        .await
        .expect(StatusCode::OK);
    assert_eq!(
        client["organization_discovery_methods"],
        json!(["email", "organization_name"])
    );
    let patched = m
        .patch(
            &format!("/clients/{NATIVE}"),
            r#"{"organization_discovery_methods":["email"]}"#,
        )
        .await
        .expect(StatusCode::OK);
    assert_eq!(patched["organization_discovery_methods"], json!(["email"]));
    #[rustfmt::skip]
    let rows = [
        (r#"{"organization_discovery_methods":[]}"#,
         "Payload validation error: 'Array is too short (0), minimum 1' on property organization_discovery_methods."),
        (r#"{"organization_discovery_methods":["phone"]}"#,
         "Payload validation error: 'No enum match for: \"phone\"' on property organization_discovery_methods."),
    ];
    for (body, message) in rows {
        let r = m
            .patch(&format!("/clients/{NATIVE}"), body)
            .await
            .expect(StatusCode::BAD_REQUEST);
        assert_eq!(r["message"], message, "{body}");
        assert_eq!(r["errorCode"], "invalid_body");
    }
}
