//! A sign-in by work email (no `organization`, the address as `login_hint`) and the allow-list
//! (`allowed_organizations`): the ID token must name an organization, and one outside the list is refused, whichever
//! way it was chosen, with nothing stored.

use std::time::Duration;

use orgpass::{
    Client, Config, ErrorKind, Issuer, LoginError, LoginRequest, OrgInput, Session, SessionStore,
    TokenError, WorkEmail,
};

use crate::op::{self, Op};
use crate::{get, status};

const OTHER: &str = "org_OtherOrg0000000a";

fn client_with(
    op: &Op,
    allowed: Option<&[&str]>,
    store: std::sync::Arc<dyn SessionStore>,
) -> Client {
    let mut config = Config::new(Issuer::parse(&op.issuer).unwrap(), op::CLIENT_ID);
    config.timeout = Duration::from_secs(30);
    config.allowed_organizations = allowed.map(|l| l.iter().map(|s| (*s).to_owned()).collect());
    Client::new(config, store)
}

fn by_email() -> LoginRequest {
    LoginRequest {
        email: Some(WorkEmail::parse("ada@acme.example").unwrap()),
        ..Default::default()
    }
}

/// Runs a sign-in to the end: the browser comes back with the op's code. Returns the authorize URL's parameters
/// and what `wait` gave.
async fn sign_in(
    op: &Op,
    client: &Client,
    request: LoginRequest,
) -> (Vec<(String, String)>, Result<Session, LoginError>) {
    let pending = client.begin_login(request).await.unwrap();
    op.remember(pending.authorize_url());
    let params: Vec<(String, String)> =
        pending.authorize_url().query_pairs().into_owned().collect();
    let state = params.iter().find(|(k, _)| k == "state").unwrap().1.clone();
    let host = format!("127.0.0.1:{}", pending.redirect_uri().port().unwrap());
    let waiter = tokio::spawn(pending.wait());
    let resp = get(
        &host,
        &host,
        &format!("/callback?code={}&state={state}", op::CODE),
    )
    .await;
    let result = waiter.await.unwrap();
    assert_eq!(
        status(&resp),
        if result.is_ok() { 200 } else { 400 },
        "{resp}"
    );
    (params, result)
}

#[tokio::test]
async fn a_work_email_signs_in_without_organization_and_remembers_it_was_found_by_email() {
    let op = Op::start(false, Duration::ZERO).await;
    let store = crate::memory_store();
    let client = client_with(&op, Some(&[OTHER, op::ORG_ID]), store.clone());
    let (params, result) = sign_in(&op, &client, by_email()).await;
    let has = |k: &str| params.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
    assert_eq!(has("login_hint"), Some("ada@acme.example"));
    assert_eq!(
        has("organization"),
        None,
        "the tenant finds the organization"
    );
    let session = result.expect("signed in");
    assert_eq!(session.meta.key.org_id.as_deref(), Some(op::ORG_ID));
    assert!(session.meta.found_by_email);
    let listed = store.list().unwrap();
    assert_eq!(listed.len(), 1);
    assert!(listed[0].found_by_email, "the index keeps how it was found");
}

/// What a row says: what it is, the allow-list, the request, the organization in the ID token, the refusal.
type Row<'a> = (
    &'a str,
    Option<&'a [&'a str]>,
    LoginRequest,
    Option<&'a str>,
    &'a str,
);

/// Each row: the allow-list, the request, the organization the tenant puts in the ID token, then the refusal.
#[tokio::test]
async fn an_organization_missing_or_outside_the_allow_list_is_refused_and_nothing_is_stored() {
    let allow_other: &[&str] = &[OTHER];
    let acme = || LoginRequest {
        org: Some(OrgInput::parse("acme").unwrap()),
        ..Default::default()
    };
    let outside = format!(
        "the tenant signed you in to organization {} (acme), which is not one this device may sign in to \
         (allowed_organizations: {OTHER}); nothing was stored. Sign in to one of those, or ask your IT department \
         to add it",
        op::ORG_ID
    );
    let no_org = "ID token rejected: org_id claim is missing; the token must name the organization it was issued for";
    let none_found = "the tenant signed you in without finding an organization for your work email; nothing was \
        stored. Its application must ask for the organization before login and find it by email (in Auth0: \
        organization_require_behavior = pre_login_prompt with the email discovery method): ask your IT department, \
        or name your organization instead";
    #[rustfmt::skip]
    let rows: Vec<Row> = vec![
        ("by email, no org_id", None, by_email(), None, none_found),
        ("by email, outside the list", Some(allow_other), by_email(), Some(op::ORG_ID), &outside),
        ("by name, outside the list", Some(allow_other), acme(), Some(op::ORG_ID), &outside),
        ("nothing named, list set, no org_id", Some(allow_other), LoginRequest::default(), None, no_org),
    ];
    for (what, allowed, request, issued, want) in rows {
        let op = Op::start(false, Duration::ZERO).await;
        *op.state.issued_org.lock().unwrap() = issued.map(str::to_owned);
        let store = crate::memory_store();
        let client = client_with(&op, allowed, store.clone());
        let (_, result) = sign_in(&op, &client, request).await;
        let err = result.expect_err(what);
        assert_eq!(err.to_string(), want, "{what}");
        assert_eq!(err.kind(), ErrorKind::Refused, "{what}");
        assert!(store.list().unwrap().is_empty(), "{what}: nothing stored");
    }
}

#[tokio::test]
async fn an_organization_named_twice_or_by_an_id_outside_the_list_is_refused_before_anything_opens()
{
    let op = Op::start(false, Duration::ZERO).await;
    let client = client_with(&op, Some(&[OTHER]), crate::memory_store());
    let invitation = format!(
        "https://app.acme.example/login?invitation=T1&organization={}",
        op::ORG_ID
    );
    let not_allowed = format!(
        "organization {} is not one this device may sign in to (allowed_organizations: {OTHER}); choose one of \
         those, or ask your IT department to add it",
        op::ORG_ID
    );
    #[rustfmt::skip]
    let rows = [
        (LoginRequest { org: Some(OrgInput::parse(OTHER).unwrap()), ..by_email() },
         "give either the organization or your work email, not both: the organization names it directly, the work \
          email lets the tenant find it".to_owned()),
        (LoginRequest { org: Some(OrgInput::parse(op::ORG_ID).unwrap()), ..Default::default() }, not_allowed.clone()),
        (LoginRequest { org: Some(OrgInput::parse(&invitation).unwrap()), ..Default::default() }, not_allowed),
    ];
    for (request, want) in rows {
        let err = client.begin_login(request).await.unwrap_err();
        assert_eq!((err.kind(), err.to_string()), (ErrorKind::Usage, want));
    }
    assert_eq!(
        op.state
            .code_requests
            .load(std::sync::atomic::Ordering::SeqCst),
        0
    );
}

/// The allow-list is narrowed after the sign-in. With the person's own list the session is not used by any of the
/// ways to a token (the sign-in's API, a web app's transfer token) and is kept. With IT's list the first try signs
/// it out (removed, its refresh token revoked) and says why; then it is simply gone.
#[tokio::test]
async fn a_session_whose_organization_is_no_longer_allowed_is_kept_from_use_or_signed_out_by_it() {
    let op = Op::start(false, Duration::ZERO).await;
    let store = crate::memory_store();
    let before = client_with(&op, Some(&[op::ORG_ID]), store.clone());
    let (_, result) = sign_in(&op, &before, LoginRequest::default()).await;
    let key = result.expect("signed in").meta.key;
    before.token(&key).await.expect("allowed: used");

    let own = client_with(&op, Some(&[OTHER]), store.clone());
    let not_here = format!(
        "organization {} is not in these settings' allowed_organizations ({OTHER}), so its session is not used with \
         them (it is kept); use settings that allow it, or sign out of it",
        op::ORG_ID
    );
    let err = own.token(&key).await.unwrap_err();
    assert_eq!(
        (err.kind(), err.to_string()),
        (ErrorKind::Usage, not_here.clone())
    );
    let transfer = own.session_transfer(&key).await.unwrap_err();
    assert_eq!(transfer.to_string(), not_here);
    assert_eq!(store.list().unwrap().len(), 1, "kept");
    assert!(op.state.revoked.lock().unwrap().is_empty(), "not revoked");

    let mut config = own.config().clone();
    config.allowed_organizations_by = Some("/etc/orgpass/config.toml".into());
    let it = Client::new(config, store.clone());
    let err = it.token(&key).await.unwrap_err();
    assert_eq!(
        (err.kind(), err.to_string()),
        (
            ErrorKind::Refused,
            format!(
                "organization {} is no longer one this device may sign in to (allowed_organizations: {OTHER}, set \
                 by /etc/orgpass/config.toml which your IT department manages), so its session was signed out; sign \
                 in to one of those, or ask your IT department to add it",
                op::ORG_ID
            )
        )
    );
    assert!(store.list().unwrap().is_empty(), "the session is removed");
    assert_eq!(
        op.state.revoked.lock().unwrap().len(),
        1,
        "its refresh token revoked"
    );
    for again in [
        it.token(&key).await.unwrap_err(),
        it.session_transfer(&key).await.unwrap_err(),
    ] {
        assert!(matches!(again, TokenError::NoSession(_)), "{again}");
    }
}
