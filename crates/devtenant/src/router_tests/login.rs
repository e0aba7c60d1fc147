//! Sign-in through `/authorize` and the Universal Login pages: database login, SSO cookie, membership on login
//! and invitations, the organization prompts and names, branding, social/enterprise upstream pages and sign-up.

use super::*;

#[tokio::test]
async fn database_login_issues_org_bound_tokens_with_iss_in_the_redirect() {
    let app = app(state());
    let r = login_to(&app, ACME, "alice@example.com", "Alice-pass-1").await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    assert!(r.location().as_str().starts_with(CALLBACK));
    assert_eq!(r.query("state").as_deref(), Some("st-123"));
    assert_eq!(r.query("iss").as_deref(), Some(ISSUER));
    assert!(
        r.headers
            .get("set-cookie")
            .unwrap()
            .to_str()
            .unwrap()
            .starts_with("devtenant_session=")
    );
    let (verifier, _) = pkce();
    let t = exchange(&app, &r.query("code").unwrap(), &verifier).await;
    let body = t.expect(StatusCode::OK);
    let id = claims(body["id_token"].as_str().unwrap());
    assert_eq!(id["iss"], ISSUER);
    assert_eq!(id["aud"], NATIVE);
    assert_eq!(id["org_id"], ACME);
    assert_eq!(
        id["org_name"], "acme",
        "the demo tenant has the name setting on"
    );
    assert_eq!(id["nonce"], "n-456");
    assert_eq!(id["email"], "alice@example.com");
    assert!(id["sid"].is_string());
    let at = claims(body["access_token"].as_str().unwrap());
    assert_eq!(
        (at["org_id"].clone(), at["azp"].clone()),
        (json!(ACME), json!(NATIVE))
    );
    assert!(body["refresh_token"].is_string());
    // userinfo accepts the access token.
    let req = Request::get("/userinfo").header(
        "authorization",
        format!("Bearer {}", body["access_token"].as_str().unwrap()),
    );
    let u = send(&app, req.body(Body::empty()).unwrap()).await;
    assert_eq!(u.json()["email"], "alice@example.com");
}

#[tokio::test]
async fn org_name_claim_is_absent_when_the_tenant_setting_is_off() {
    let mut seed = Seed::demo();
    seed.tenant.allow_organization_name_in_authentication_api = false;
    let app = app(state_with(seed));
    let r = login_to(&app, GLOBEX, "alice@example.com", "Alice-pass-1").await;
    let t = code_tokens(&app, &r).await;
    let id = claims(t["id_token"].as_str().unwrap());
    assert_eq!(id["org_id"], GLOBEX);
    assert!(id.get("org_name").is_none());
}

#[tokio::test]
async fn sso_cookie_skips_the_password_unless_prompt_login() {
    let app = app(state());
    let first = login_to(&app, ACME, "alice@example.com", "Alice-pass-1").await;
    let cookie = first.session_cookie();
    let with_cookie = |uri: String| with_cookie(&uri, &cookie);
    let silent = send(
        &app,
        with_cookie(authorize_uri(&[
            ("organization", GLOBEX),
            ("prompt", "none"),
        ])),
    )
    .await;
    assert!(
        silent.location().as_str().starts_with(CALLBACK),
        "{}",
        silent.location()
    );
    assert!(silent.query("code").is_some());
    let forced = send(
        &app,
        with_cookie(authorize_uri(&[
            ("organization", GLOBEX),
            ("prompt", "login"),
        ])),
    )
    .await;
    assert_eq!(forced.location().path(), "/u/login");
    let no_cookie = fetch(
        &app,
        &authorize_uri(&[("organization", GLOBEX), ("prompt", "none")]),
    )
    .await;
    assert_eq!(no_cookie.query("error").as_deref(), Some("login_required"));
    // Logout clears the session.
    let out = send(
        &app,
        with_cookie(format!(
            "/v2/logout?client_id={NATIVE}&returnTo=http://127.0.0.1:53999/logout"
        )),
    )
    .await;
    assert_eq!(out.status, StatusCode::SEE_OTHER);
    let again = send(
        &app,
        with_cookie(authorize_uri(&[
            ("organization", GLOBEX),
            ("prompt", "none"),
        ])),
    )
    .await;
    assert_eq!(again.query("error").as_deref(), Some("login_required"));
}

#[tokio::test]
async fn assign_membership_on_login_and_invitations_add_members() {
    let state = state();
    let app = app(state.clone());
    // globex auto-assigns database users: Nora (member of nothing) joins.
    let r = login_to(&app, GLOBEX, "nora@example.com", "Nora-pass-1").await;
    assert!(r.query("code").is_some(), "{}", r.location());
    assert!(
        state
            .lock()
            .store
            .org(GLOBEX)
            .unwrap()
            .members
            .iter()
            .any(|m| m.starts_with("auth0|nora"))
    );
    // initech does not, but Bob holds an invitation.
    let initech = "org_InitechL2m3N4o5p";
    let refused = login_to(&app, initech, "alice@example.com", "Alice-pass-1").await;
    assert_eq!(refused.query("error").as_deref(), Some("access_denied"));
    let invited = login(
        &app,
        &[
            ("organization", initech),
            ("invitation", "demoInviteBobToInitech"),
        ],
        "bob@example.com",
        "Bob-pass-1",
    )
    .await;
    assert!(invited.query("code").is_some(), "{}", invited.location());
    let t = state.lock();
    assert!(
        t.store
            .org(initech)
            .unwrap()
            .members
            .iter()
            .any(|m| m.starts_with("auth0|bob"))
    );
    assert!(
        t.store.invitations.is_empty(),
        "an accepted invitation is used up"
    );
}

#[tokio::test]
async fn post_login_prompt_shows_only_the_users_organizations() {
    let app = app(state());
    let r = login(&app, &[], "alice@example.com", "Alice-pass-1").await;
    let loc = r.location();
    assert_eq!(loc.path(), "/u/organization-picker");
    let page = fetch(&app, &format!("{}?{}", loc.path(), loc.query().unwrap()))
        .await
        .text();
    assert!(
        page.contains("Acme Corporation")
            && page.contains("Globex Industries")
            && !page.contains("Initech")
    );
    let key = loc
        .query_pairs()
        .find(|(k, _)| k == "state")
        .unwrap()
        .1
        .into_owned();
    let picked = post_form(
        &app,
        "/u/organization-picker",
        &[("state", &key), ("organization", GLOBEX)],
    )
    .await;
    let t = code_tokens(&app, &picked).await;
    assert_eq!(claims(t["id_token"].as_str().unwrap())["org_id"], GLOBEX);
    let nora = login(&app, &[], "nora@example.com", "Nora-pass-1").await;
    assert_eq!(nora.query("error").as_deref(), Some("access_denied"));
}

#[tokio::test]
async fn pre_login_prompt_asks_for_the_organization_name() {
    let mut seed = Seed::demo();
    seed.clients[0].organization_require_behavior = Some("pre_login_prompt".into());
    let app = app(state_with(seed));
    let r = fetch(&app, &authorize_uri(&[])).await;
    assert_eq!(r.location().path(), "/u/organization");
    let key = r.query("state").unwrap();
    let wrong = post_form(
        &app,
        "/u/organization",
        &[("state", &key), ("organizationName", "nope")],
    )
    .await;
    assert_eq!(wrong.status, StatusCode::BAD_REQUEST);
    let ok = post_form(
        &app,
        "/u/organization",
        &[("state", &key), ("organizationName", "Globex")],
    )
    .await;
    assert_eq!(ok.location().path(), "/u/login");
    let page = fetch(&app, &format!("/u/login?state={key}")).await.text();
    assert!(page.contains("globex.svg") && page.contains("#2b8a3e"));
}

#[tokio::test]
async fn login_pages_carry_each_organizations_branding_and_only_its_connections() {
    let app = app(state());
    #[rustfmt::skip]
    let rows = [
        (ACME, "acme.svg", "#d9480f", "#fff4e6", &["Continue with Google"][..], &["Initech SSO"][..]),
        (GLOBEX, "globex.svg", "#2b8a3e", "#ebfbee", &[][..], &["Continue with Google", "Initech SSO"][..]),
        ("org_InitechL2m3N4o5p", "initech.svg", "#1864ab", "#e7f5ff", &["Continue with Initech SSO"][..], &["Google"][..]),
    ];
    for (org, logo, primary, background, present, absent) in rows {
        let r = fetch(&app, &authorize_uri(&[("organization", org)])).await;
        let page = fetch(&app, &format!("/u/login?{}", r.location().query().unwrap()))
            .await
            .text();
        assert!(
            page.contains(&format!("src=\"{ISSUER}branding/{logo}\"")),
            "{org} logo"
        );
        assert!(
            page.contains(&format!("background:{primary}")),
            "{org} primary"
        );
        assert!(
            page.contains(&format!("background:{background}")),
            "{org} page background"
        );
        for p in present {
            assert!(page.contains(p), "{org} shows {p}");
        }
        for a in absent {
            assert!(!page.contains(a), "{org} hides {a}");
        }
    }
    let svg = fetch(&app, "/branding/acme.svg").await;
    assert_eq!(svg.headers.get("content-type").unwrap(), "image/svg+xml");
}

#[tokio::test]
async fn social_and_enterprise_logins_go_through_the_upstream_page() {
    let app = app(state());
    let r = fetch(
        &app,
        &authorize_uri(&[
            ("organization", "org_InitechL2m3N4o5p"),
            ("connection", "initech-sso"),
        ]),
    )
    .await;
    assert_eq!(r.location().path(), "/u/upstream");
    let key = r.query("state").unwrap();
    let page = fetch(
        &app,
        &format!("/u/upstream?state={key}&connection=initech-sso"),
    )
    .await
    .text();
    assert!(page.contains("peter@initech.example") && !page.contains("alice@example.com"));
    let done = post_form(
        &app,
        "/u/upstream",
        &[
            ("state", &key),
            ("connection", "initech-sso"),
            ("user_id", "oidc|initech|samir"),
        ],
    )
    .await;
    assert!(
        done.query("code").is_some(),
        "samir joins through assign_membership_on_login: {}",
        done.location()
    );
}

#[tokio::test]
async fn signup_creates_a_user_where_the_org_allows_it() {
    let state = state();
    let app = app(state.clone());
    let r = fetch(
        &app,
        &authorize_uri(&[("organization", GLOBEX), ("screen_hint", "signup")]),
    )
    .await;
    assert_eq!(r.location().path(), "/u/signup");
    let key = r.query("state").unwrap();
    let done = post_form(
        &app,
        "/u/signup",
        &[
            ("state", &key),
            ("email", "new@example.com"),
            ("password", "long-enough-1"),
        ],
    )
    .await;
    assert!(done.query("code").is_some(), "{}", done.text());
    assert!(
        state
            .lock()
            .store
            .users
            .iter()
            .any(|u| u.email == "new@example.com")
    );
    let acme = fetch(
        &app,
        &authorize_uri(&[("organization", ACME), ("screen_hint", "signup")]),
    )
    .await;
    let key = acme.query("state").unwrap();
    let refused = post_form(
        &app,
        "/u/signup",
        &[
            ("state", &key),
            ("email", "x@example.com"),
            ("password", "long-enough-1"),
        ],
    )
    .await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn organization_names_need_the_tenant_setting() {
    let mut seed = Seed::demo();
    seed.tenant.allow_organization_name_in_authentication_api = false;
    let app = app(state_with(seed));
    let by_name = fetch(&app, &authorize_uri(&[("organization", "acme")])).await;
    assert_eq!(by_name.query("error").as_deref(), Some("invalid_request"));
    assert!(
        by_name
            .query("error_description")
            .unwrap()
            .contains("allow_organization_name_in_authentication_api")
    );
    let by_id = fetch(&app, &authorize_uri(&[("organization", ACME)])).await;
    assert_eq!(by_id.location().path(), "/u/login");
    // With the setting on (demo default), names resolve case-insensitively.
    let on = app_default();
    let r = send(&on, get(&authorize_uri(&[("organization", " Acme ")]))).await;
    assert_eq!(r.location().path(), "/u/login");
}

fn app_default() -> Router {
    app(state())
}

#[tokio::test]
async fn no_prompt_clients_must_send_an_organization() {
    let mut seed = Seed::demo();
    seed.clients[0].organization_require_behavior = Some("no_prompt".into());
    let app = app(state_with(seed));
    let r = fetch(&app, &authorize_uri(&[])).await;
    assert_eq!(
        r.query("error_description").as_deref(),
        Some("parameter organization is required for this client")
    );
}
