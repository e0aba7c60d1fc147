//! Machine-to-Machine Access for Organizations at `/oauth/token`: the client-credentials rules of a grant's
//! `organization_usage` (deny, allow, require) with and without `organization`, associated or not, with
//! `allow_any_organization` or not; the organization by name; the claims of an organization's token.

use super::*;
use crate::client_grants::OrgUsage;

const API: &str = "https://api.orgpass.example/";

/// The demo tenant with the ingest grant's `usage` and `allow_any_organization`, associated with Acme or nothing.
fn tenant(usage: Option<OrgUsage>, any: Option<bool>, with_acme: bool) -> AppState {
    let mut seed = Seed::demo();
    let g = seed
        .client_grants
        .iter_mut()
        .find(|g| g.client_id == crate::DEMO_INGEST_CLIENT_ID)
        .unwrap();
    g.organization_usage = usage;
    g.allow_any_organization = any;
    g.organizations = if with_acme {
        vec!["acme".into()]
    } else {
        vec![]
    };
    state_with(seed)
}

async fn ingest_token(app: &Router, audience: &str, organization: Option<&str>) -> Reply {
    let mut pairs = vec![
        ("grant_type", "client_credentials"),
        ("client_id", crate::DEMO_INGEST_CLIENT_ID),
        ("client_secret", crate::DEMO_INGEST_CLIENT_SECRET),
        ("audience", audience),
    ];
    if let Some(o) = organization {
        pairs.push(("organization", o));
    }
    post_form(app, "/oauth/token", &pairs).await
}

/// A rule: the grant's usage, its allow_any_organization, whether it is associated with Acme, the organization
/// asked; then the status and the token's org_id (or the error).
type Row<'a> = (
    Option<OrgUsage>,
    Option<bool>,
    bool,
    Option<&'a str>,
    StatusCode,
    &'a str,
);

/// What a request ends in: the token's `org_id` (`-` for none), or the error code.
fn outcome(r: &Reply) -> (StatusCode, String) {
    let body = r.json();
    let what = match body["access_token"].as_str() {
        Some(jwt) => claims(jwt)["org_id"].as_str().unwrap_or("-").to_owned(),
        None => body["error"].as_str().unwrap().to_owned(),
    };
    (r.status, what)
}

#[tokio::test]
async fn client_credentials_follow_the_grants_organization_rules() {
    use OrgUsage::{Allow, Deny, Require};
    const OK: StatusCode = StatusCode::OK;
    const BAD: StatusCode = StatusCode::BAD_REQUEST;
    const NO: StatusCode = StatusCode::FORBIDDEN;
    // (usage, allow_any_organization, associated with Acme, organization asked) → (status, org_id or error)
    #[rustfmt::skip]
    let rows: [Row; 16] = [
        (None,          None,       false, None,        OK,  "-"),
        (None,          None,       false, Some(ACME),  BAD, "invalid_request"),
        (Some(Deny),    Some(true), false, Some(ACME),  BAD, "invalid_request"),
        (Some(Deny),    None,       true,  Some(ACME),  BAD, "invalid_request"),
        (Some(Allow),   None,       false, None,        OK,  "-"),
        (Some(Allow),   None,       true,  None,        OK,  "-"),
        (Some(Allow),   None,       true,  Some(ACME),  OK,  ACME),
        (Some(Allow),   None,       false, Some(ACME),  NO,  "access_denied"),
        (Some(Allow),   Some(true), false, Some(ACME),  OK,  ACME),
        (Some(Require), None,       true,  None,        BAD, "invalid_request"),
        (Some(Require), Some(true), false, None,        BAD, "invalid_request"),
        (Some(Require), None,       true,  Some(ACME),  OK,  ACME),
        (Some(Require), None,       true,  Some(GLOBEX), NO, "access_denied"),
        (Some(Require), Some(false), false, Some(ACME), NO,  "access_denied"),
        (Some(Require), Some(true), false, Some(GLOBEX), OK, GLOBEX),
        (Some(Require), None,       true,  Some("org_nope"), BAD, "invalid_request"),
    ];
    for (usage, any, with_acme, org, status, want) in rows {
        let app = app(tenant(usage, any, with_acme));
        let r = ingest_token(&app, API, org).await;
        assert_eq!(
            outcome(&r),
            (status, want.to_owned()),
            "{usage:?} any={any:?} acme={with_acme} org={org:?}: {}",
            r.text()
        );
    }
}

#[tokio::test]
async fn an_organizations_m2m_token_carries_it_and_the_refusals_say_what_to_do() {
    let app = app(state());
    let body = ingest_token(&app, API, Some("acme"))
        .await
        .expect(StatusCode::OK);
    assert_eq!(body["scope"], "read:projects");
    let c = claims(body["access_token"].as_str().unwrap());
    assert_eq!(
        (
            &c["sub"],
            &c["azp"],
            &c["gty"],
            &c["aud"],
            &c["scope"],
            &c["org_id"],
            &c["org_name"]
        ),
        (
            &json!("orgpass-ingest@clients"),
            &json!("orgpass-ingest"),
            &json!("client-credentials"),
            &json!(API),
            &json!("read:projects"),
            &json!(ACME),
            &json!("acme")
        )
    );

    let globex = ingest_token(&app, API, Some(GLOBEX))
        .await
        .expect(StatusCode::FORBIDDEN);
    assert_eq!(
        globex["error_description"],
        format!(
            "Client is not authorized to access \"{API}\" for organization {GLOBEX}: associate its client grant {} with the organization (POST /api/v2/organizations/{GLOBEX}/client-grants) or set allow_any_organization",
            crate::DEMO_INGEST_GRANT_ID
        )
    );
    let none = ingest_token(&app, API, None)
        .await
        .expect(StatusCode::BAD_REQUEST);
    assert_eq!(
        none["error_description"],
        format!(
            "parameter organization is required for this client grant: the grant of orgpass-ingest on {API} has organization_usage require; send organization (an ID, or a name when the tenant allows names)"
        )
    );
    let billing = ingest_token(&app, "https://billing.orgpass.example/", Some(ACME))
        .await
        .expect(StatusCode::FORBIDDEN);
    assert_eq!(
        billing["error_description"],
        "Client is not authorized to access \"https://billing.orgpass.example/\". You need to create a \"client-grant\" associated to this API."
    );
    // The Management API's grant (management_api_scopes) takes no organization.
    let mgmt = post_form(
        &app,
        "/oauth/token",
        &[
            ("grant_type", "client_credentials"),
            ("client_id", "orgpass-admin"),
            ("client_secret", crate::DEMO_M2M_CLIENT_SECRET),
            ("audience", &format!("{ISSUER}api/v2/")),
            ("organization", ACME),
        ],
    )
    .await
    .expect(StatusCode::BAD_REQUEST);
    assert_eq!(
        mgmt["error_description"],
        format!(
            "parameter organization is not allowed for this client grant: its organization_usage for \"{ISSUER}api/v2/\" is deny; leave organization out or set organization_usage to allow or require"
        )
    );
}

#[tokio::test]
async fn the_organization_by_name_needs_the_tenant_setting_which_also_names_it_in_the_token() {
    let mut seed = Seed::demo();
    seed.tenant.allow_organization_name_in_authentication_api = false;
    let app = app(state_with(seed));
    let by_name = ingest_token(&app, API, Some("acme"))
        .await
        .expect(StatusCode::BAD_REQUEST);
    assert_eq!(
        by_name["error_description"],
        "parameter organization is invalid: \"acme\" is not an organization ID and this tenant does not allow organization names (allow_organization_name_in_authentication_api is off)"
    );
    let by_id = ingest_token(&app, API, Some(ACME))
        .await
        .expect(StatusCode::OK);
    let c = claims(by_id["access_token"].as_str().unwrap());
    assert_eq!((&c["org_id"], c.get("org_name")), (&json!(ACME), None));
}
