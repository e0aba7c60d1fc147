//! One refresh token for several APIs (the client's refresh-token policies) and Native to Web SSO: session
//! transfer tokens that sign the person in to a web app once, for the same organization, within a minute.

use super::*;

const PORTAL: &str = "orgpass-portal";
const BILLING: &str = "https://billing.orgpass.example/";
const PROJECTS: &str = "https://api.orgpass.example/";

/// A refresh of `rt` by the desktop client with `extra` parameters.
async fn refresh_with(app: &Router, rt: &str, extra: &[(&str, &str)]) -> Reply {
    let mut pairs = vec![
        ("grant_type", "refresh_token"),
        ("client_id", NATIVE),
        ("refresh_token", rt),
    ];
    pairs.extend_from_slice(extra);
    post_form(app, "/oauth/token", &pairs).await
}

/// The portal's `/authorize` with a session transfer token for `org`.
fn portal_authorize(org: &str, stt: &str) -> String {
    let q: String = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs([
            ("client_id", PORTAL),
            ("redirect_uri", "http://127.0.0.1:4300/callback"),
            ("response_type", "code"),
            ("scope", "openid profile email"),
            ("state", "portal-state"),
            ("organization", org),
            ("session_transfer_token", stt),
        ])
        .finish();
    format!("/authorize?{q}")
}

/// Where `/authorize` sent the browser: the web app's callback with a code, or a login page.
fn outcome(r: &Reply) -> String {
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    let to = r.location();
    match r.query("code") {
        Some(_) => format!("{}{} with a code", to.authority(), to.path()),
        None => to.path().to_owned(),
    }
}

/// A session transfer token for `rt`'s session, in Auth0's shape; returns it and the rotated refresh token.
async fn transfer(app: &Router, state: &AppState, rt: &str) -> (String, String) {
    let audience = state.session_transfer_audience();
    let s = refresh_with(app, rt, &[("audience", &audience)])
        .await
        .expect(StatusCode::OK);
    assert_eq!(
        s["issued_token_type"],
        "urn:auth0:params:oauth:token-type:session_transfer_token"
    );
    assert_eq!(
        (s["token_type"].as_str(), s["expires_in"].as_i64()),
        (Some("N_A"), Some(60))
    );
    assert!(s.get("id_token").is_none());
    (
        s["access_token"].as_str().unwrap().to_owned(),
        s["refresh_token"].as_str().unwrap().to_owned(),
    )
}

#[tokio::test]
async fn a_refresh_token_reaches_the_apis_of_its_policies_and_transfer_tokens_sign_in_once() {
    let state = state();
    let app = app(state.clone());
    let r = login(
        &app,
        &[
            ("organization", ACME),
            ("audience", PROJECTS),
            ("scope", "openid offline_access read:projects"),
        ],
        "alice@example.com",
        "Alice-pass-1",
    )
    .await;
    let t = code_tokens(&app, &r).await;
    let mut rt = t["refresh_token"].as_str().unwrap().to_owned();

    // The billing API, named in the desktop client's policy: its own audience, the organization kept, the policy's
    // scope; the refresh token rotates and keeps its grant (the next plain refresh is for the projects API again).
    let b = refresh_with(&app, &rt, &[("audience", BILLING)])
        .await
        .expect(StatusCode::OK);
    let c = claims(b["access_token"].as_str().unwrap());
    assert_eq!(c["aud"], json!([BILLING, format!("{ISSUER}userinfo")]));
    assert_eq!(
        (c["org_id"].as_str(), c["scope"].as_str()),
        (Some(ACME), Some("openid read:invoices"))
    );
    rt = b["refresh_token"].as_str().unwrap().to_owned();
    let p = send(&app, refresh(&rt)).await.expect(StatusCode::OK);
    assert_eq!(
        claims(p["access_token"].as_str().unwrap())["aud"][0],
        PROJECTS
    );
    rt = p["refresh_token"].as_str().unwrap().to_owned();
    // An API outside the policy: ignored, as Auth0 does, so the token is for the sign-in's API.
    let ignored = refresh_with(&app, &rt, &[("audience", "https://audit.example/")])
        .await
        .expect(StatusCode::OK);
    assert_eq!(
        claims(ignored["access_token"].as_str().unwrap())["aud"][0],
        PROJECTS
    );
    rt = ignored["refresh_token"].as_str().unwrap().to_owned();

    assert_eq!(
        state.session_transfer_audience(),
        "urn:127.0.0.1:4000:session_transfer"
    );
    let (stt, next) = transfer(&app, &state, &rt).await;
    rt = next;
    // The portal's /authorize signs Alice in to Acme without the login page, once.
    assert_eq!(
        outcome(&fetch(&app, &portal_authorize(ACME, &stt)).await),
        "127.0.0.1:4300/callback with a code"
    );
    assert_eq!(
        outcome(&fetch(&app, &portal_authorize(ACME, &stt)).await),
        "/u/login",
        "used twice"
    );
    // For another organization (Alice is a member of Globex too): the login page.
    let (stt, next) = transfer(&app, &state, &rt).await;
    rt = next;
    assert_eq!(
        outcome(&fetch(&app, &portal_authorize(GLOBEX, &stt)).await),
        "/u/login"
    );
    // After its minute: the login page.
    let (stt, next) = transfer(&app, &state, &rt).await;
    rt = next;
    admin_post(&app, "/clock", Some(r#"{"skew_secs":61}"#)).await;
    assert_eq!(
        outcome(&fetch(&app, &portal_authorize(ACME, &stt)).await),
        "/u/login",
        "expired"
    );
    admin_post(&app, "/clock", Some(r#"{"skew_secs":0}"#)).await;
    // A client that does not take transfer tokens by query (the desktop app's): the login page.
    let (stt, _) = transfer(&app, &state, &rt).await;
    let native = authorize_uri(&[("organization", ACME), ("session_transfer_token", &stt)]);
    assert_eq!(outcome(&fetch(&app, &native).await), "/u/login");
}
