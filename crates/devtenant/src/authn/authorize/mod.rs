//! `/authorize` and the Universal Login pages (login, sign-up, the organization prompt with its email step and
//! chooser, the post-login picker, simulated upstream identity providers), the SSO session cookie, and the logout
//! endpoints.

use std::collections::HashMap;

use axum::Router;
use axum::extract::{Form, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;
use url::Url;

use crate::AppState;
use crate::pages::{esc, page};
use crate::seed::LoopbackRedirects;
use crate::store::{
    Client, Code, Organization, Session, Tenant, Transaction, User, digest, random_token,
};

/// Name of the SSO session cookie.
pub const SESSION_COOKIE: &str = "devtenant_session";
/// Login transactions older than this are refused.
const TRANSACTION_TTL_SECS: i64 = 3600;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/authorize", get(authorize))
        .route("/u/login", get(login_page).post(login_submit))
        .route("/u/signup", get(signup_page).post(signup_submit))
        .route(
            "/u/organization",
            get(org_prompt_page).post(org_prompt_submit),
        )
        .route(
            "/u/organization-chooser",
            get(chooser_page).post(chooser_submit),
        )
        .route(
            "/u/organization-picker",
            get(picker_page).post(picker_submit),
        )
        .route("/u/upstream", get(upstream_page).post(upstream_submit))
        .route("/v2/logout", get(v2_logout))
        .route("/oidc/logout", get(oidc_logout))
}

type Params = HashMap<String, String>;

/// A page for errors that cannot be redirected (unknown client, unregistered redirect URI).
fn error_page(status: StatusCode, title: &str, detail: &str) -> Response {
    let body = format!("<h1>{}</h1>{}", esc(title), error_html(Some(detail)));
    (status, Html(page(title, "#c92a2a", "#f8f9fa", &body))).into_response()
}

/// The error paragraph of a page, or nothing.
fn error_html(error: Option<&str>) -> String {
    error
        .map(|e| format!("<p class=\"error\" id=\"error\">{}</p>", esc(e)))
        .unwrap_or_default()
}

/// `redirect_uri?error=..&error_description=..&state=..&iss=..` (RFC 6749 §4.1.2.1, RFC 9207).
fn error_redirect(
    state: &AppState,
    redirect_uri: &str,
    client_state: Option<&str>,
    error: &str,
    description: &str,
) -> Response {
    let Ok(mut url) = Url::parse(redirect_uri) else {
        return error_page(StatusCode::BAD_REQUEST, error, description);
    };
    {
        let mut q = url.query_pairs_mut();
        q.append_pair("error", error)
            .append_pair("error_description", description);
        if let Some(s) = client_state {
            q.append_pair("state", s);
        }
        q.append_pair("iss", state.issuer_str());
    }
    tracing::info!(error, description, "authorization error redirect");
    Redirect::to(url.as_str()).into_response()
}

fn is_loopback_host(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        _ => false,
    }
}

/// Is `redirect_uri` registered for the client? Exact match, or (RFC 8252 §7.3) a loopback IP callback that
/// differs only in the port when the tenant allows any port.
pub fn redirect_allowed(
    mode: LoopbackRedirects,
    registered: &[String],
    redirect_uri: &str,
) -> bool {
    if registered.iter().any(|r| r == redirect_uri) {
        return true;
    }
    if mode == LoopbackRedirects::Exact {
        return false;
    }
    let Ok(wanted) = Url::parse(redirect_uri) else {
        return false;
    };
    if wanted.scheme() != "http" || !is_loopback_host(&wanted) || wanted.fragment().is_some() {
        return false;
    }
    registered
        .iter()
        .filter_map(|r| Url::parse(r).ok())
        .any(|r| {
            r.scheme() == "http"
                && is_loopback_host(&r)
                && r.host() == wanted.host()
                && r.path() == wanted.path()
                && r.query() == wanted.query()
        })
}

fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_owned())
}

/// The live SSO session from the request's cookie.
fn current_session(t: &Tenant, headers: &HeaderMap) -> Option<Session> {
    let value = cookie(headers, SESSION_COOKIE)?;
    let s = t.store.sessions.get(&digest(&value))?;
    (s.expires_at > crate::now_unix()).then(|| s.clone())
}

/// Resolves the `organization` parameter: an ID, or a name when the tenant allows names.
fn resolve_org<'a>(t: &'a Tenant, value: &str) -> Result<&'a Organization, String> {
    let value = value.trim();
    if value.starts_with("org_") {
        return t.store.org(value).ok_or_else(|| {
            format!("parameter organization is invalid: no organization found with ID {value}")
        });
    }
    if !t
        .store
        .settings
        .allow_organization_name_in_authentication_api
    {
        return Err(format!(
            "parameter organization is invalid: \"{value}\" is not an organization ID and this tenant does not allow organization names (allow_organization_name_in_authentication_api is off)"
        ));
    }
    let name = value.to_lowercase();
    t.store.org_by_name(&name).ok_or_else(|| {
        format!("parameter organization is invalid: no organization found with name {name}")
    })
}

fn require_org(client: &Client) -> bool {
    client.organization_usage == "require"
}

async fn authorize(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(p): Query<Params>,
) -> Response {
    let mut t = state.lock();
    let get = |k: &str| p.get(k).map(String::as_str).filter(|v| !v.is_empty());
    // Errors that cannot go back to the client are shown here.
    let Some(client_id) = get("client_id") else {
        return error_page(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "Missing required parameter: client_id",
        );
    };
    let Some(client) = t.store.client(client_id).cloned() else {
        return error_page(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            &format!("Unknown client: {client_id}"),
        );
    };
    let Some(redirect_uri) = get("redirect_uri").map(str::to_owned) else {
        return error_page(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "Missing required parameter: redirect_uri",
        );
    };
    if !redirect_allowed(
        t.store.settings.loopback_redirects,
        &client.callbacks,
        &redirect_uri,
    ) {
        return error_page(
            StatusCode::BAD_REQUEST,
            "Callback URL mismatch",
            &format!(
                "The provided redirect_uri is not in the list of allowed callback URLs: {redirect_uri}"
            ),
        );
    }
    let client_state = get("state").map(str::to_owned);
    let fail = |error: &str, description: &str| {
        error_redirect(
            &state,
            &redirect_uri,
            client_state.as_deref(),
            error,
            description,
        )
    };
    if get("response_type") != Some("code") {
        return fail(
            "unsupported_response_type",
            "Unsupported response_type: only code is supported",
        );
    }
    if get("response_mode").is_some_and(|m| m != "query") {
        return fail(
            "invalid_request",
            "Unsupported response_mode: only query is supported",
        );
    }
    let challenge = get("code_challenge").map(str::to_owned);
    match (&challenge, get("code_challenge_method")) {
        (None, _) if client.is_public() => {
            return fail(
                "invalid_request",
                "Parameter code_challenge is required for public clients (PKCE)",
            );
        }
        (Some(_), Some("S256")) | (None, None) => {}
        (Some(_), _) => {
            return fail(
                "invalid_request",
                "Unsupported code_challenge_method: only S256 is supported",
            );
        }
        (None, Some(_)) => {
            return fail(
                "invalid_request",
                "Parameter code_challenge is required with code_challenge_method",
            );
        }
    }
    if challenge.as_ref().is_some_and(|c| {
        c.len() != 43
            || !c
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    }) {
        return fail(
            "invalid_request",
            "Parameter code_challenge must be a BASE64URL-encoded SHA-256 hash (43 characters)",
        );
    }
    let scope = get("scope").unwrap_or("openid").to_owned();
    let audience = get("audience").map(str::to_owned);
    if let Some(a) = &audience
        && !t.store.apis.iter().any(|api| &api.identifier == a)
        && !state.is_management_audience(a)
    {
        return fail("access_denied", &format!("Service not found: {a}"));
    }
    let mut org_id = None;
    if let Some(value) = get("organization") {
        if client.organization_usage == "deny" {
            return fail(
                "invalid_request",
                "parameter organization is not allowed for this client",
            );
        }
        match resolve_org(&t, value) {
            Ok(org) => org_id = Some(org.id.clone()),
            Err(msg) => return fail("invalid_request", &msg),
        }
    }
    let invitation = get("invitation").map(str::to_owned);
    if let Some(ticket) = &invitation {
        let Some(org) = &org_id else {
            return fail(
                "invalid_request",
                "parameter organization is required when invitation is sent",
            );
        };
        let valid = t.store.invitations.iter().any(|i| {
            &i.ticket_id == ticket && &i.organization_id == org && i.expires_at > crate::now_unix()
        });
        if !valid {
            return fail("invalid_request", "invitation not found or expired");
        }
    }
    let behavior = client.organization_require_behavior.clone();
    if org_id.is_none() && require_org(&client) && behavior == "no_prompt" {
        return fail(
            "invalid_request",
            "parameter organization is required for this client",
        );
    }
    let prompt = get("prompt").unwrap_or_default().to_owned();
    let tx = Transaction {
        client_id: client.client_id.clone(),
        redirect_uri: redirect_uri.clone(),
        state: client_state.clone(),
        nonce: get("nonce").map(str::to_owned),
        scope,
        audience,
        code_challenge: challenge,
        dpop_jkt: get("dpop_jkt").map(str::to_owned),
        org_id: org_id.clone(),
        invitation,
        login_hint: get("login_hint").map(str::to_owned),
        connection: get("connection").map(str::to_owned),
        response_mode_query: true,
        authenticated: None,
        discovered: Vec::new(),
        created_at: crate::now_unix(),
    };
    if let Some(conn) = &tx.connection {
        let usable = t.store.connection(conn).is_some_and(|c| {
            org_id
                .as_ref()
                .and_then(|o| t.store.org(o))
                .is_none_or(|o| {
                    o.enabled_connections
                        .iter()
                        .any(|e| e.connection_id == c.id)
                })
        });
        if !usable {
            return fail(
                "invalid_request",
                &format!("the connection {conn} is not enabled for this client or organization"),
            );
        }
    }
    let mut transfer_refused = false;
    if let Some(value) = get("session_transfer_token") {
        // Native to Web SSO: spent when presented, whatever comes of it.
        let transfer = t.transfers.remove(&digest(value));
        let now = t.token_now();
        let by_query = client
            .session_transfer
            .allowed_authentication_methods
            .iter()
            .any(|m| m == "query");
        match transfer.filter(|tr| tr.expires_at > now && by_query && tr.org_id == org_id) {
            Some(tr) => match current_session(&t, &headers) {
                // The browser's session is this person's: kept.
                Some(s) if s.user_id == tr.user_id => {
                    return finish(&state, &mut t, tx, &tr.user_id, Some(s), false);
                }
                // Another person's session: ended, and the login page asks who this is (Auth0's rule).
                Some(s) => {
                    t.store.sessions.retain(|_, other| other.sid != s.sid);
                    transfer_refused = true;
                }
                None => return finish(&state, &mut t, tx, &tr.user_id, None, false),
            },
            None => {
                tracing::info!(
                    "session transfer token unknown, used, expired, not taken by this client or for another organization; showing the login page"
                );
                transfer_refused = true;
            }
        }
    }
    let session = if prompt == "login" || transfer_refused {
        None
    } else {
        current_session(&t, &headers)
    };
    if let Some(session) = session {
        // SSO: reuse the session when its user may sign in to the requested organization.
        let conn_ok = t.store.user(&session.user_id).is_some_and(|u| {
            let conn_id = t
                .store
                .connection(&u.connection)
                .map(|c| c.id.clone())
                .unwrap_or_default();
            tx.connection
                .as_ref()
                .is_none_or(|c| t.store.connection(c).is_some_and(|c| c.id == conn_id))
                && org_id
                    .as_ref()
                    .and_then(|o| t.store.org(o))
                    .is_none_or(|o| {
                        o.enabled_connections
                            .iter()
                            .any(|e| e.connection_id == conn_id)
                    })
        });
        if conn_ok {
            let user_id = session.user_id.clone();
            return finish(
                &state,
                &mut t,
                tx,
                &user_id,
                Some(session),
                prompt == "none",
            );
        }
    }
    if prompt == "none" {
        return fail("login_required", "Login required");
    }
    let key = random_token(24);
    let screen = if org_id.is_none() && require_org(&client) && behavior == "pre_login_prompt" {
        "organization"
    } else if get("screen_hint") == Some("signup") {
        "signup"
    } else {
        match tx.connection.as_ref().and_then(|c| t.store.connection(c)) {
            Some(c) if !c.is_database() => {
                let conn = c.name.clone();
                t.transactions.insert(key.clone(), tx);
                return Redirect::to(&format!(
                    "/u/upstream?state={key}&connection={}",
                    urlenc(&conn)
                ))
                .into_response();
            }
            _ => "login",
        }
    };
    t.transactions.insert(key.clone(), tx);
    Redirect::to(&format!("/u/{screen}?state={key}")).into_response()
}

fn urlenc(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// Completes an authentication: organization checks, membership (invitation / auto-assign), SSO session, code.
fn finish(
    state: &AppState,
    t: &mut Tenant,
    mut tx: Transaction,
    user_id: &str,
    session: Option<Session>,
    silent: bool,
) -> Response {
    let fail = |error: &str, d: &str| {
        error_redirect(state, &tx.redirect_uri, tx.state.as_deref(), error, d)
    };
    let Some(user) = t.store.user(user_id).cloned() else {
        return fail("access_denied", "The user does not exist");
    };
    let Some(client) = t.store.client(&tx.client_id).cloned() else {
        return fail("invalid_request", "The client no longer exists");
    };
    let user_conn_id = t
        .store
        .connection(&user.connection)
        .map(|c| c.id.clone())
        .unwrap_or_default();
    if tx.org_id.is_none() && require_org(&client) {
        // post_login_prompt: let the user pick one of their organizations.
        let orgs: Vec<&Organization> = t
            .store
            .organizations
            .iter()
            .filter(|o| o.members.contains(&user.user_id))
            .collect();
        if orgs.is_empty() {
            return fail(
                "access_denied",
                "user is not a member of any organization that this application requires",
            );
        }
        if silent {
            return fail("interaction_required", "an organization must be chosen");
        }
        let key = random_token(24);
        tx.authenticated = Some((
            user.user_id.clone(),
            session.as_ref().map(|s| s.sid.clone()).unwrap_or_default(),
        ));
        t.transactions.insert(key.clone(), tx);
        return Redirect::to(&format!("/u/organization-picker?state={key}")).into_response();
    }
    if let Some(org_id) = tx.org_id.clone() {
        let Some(org) = t.store.org(&org_id).cloned() else {
            return fail(
                "invalid_request",
                "parameter organization is invalid: the organization no longer exists",
            );
        };
        let Some(enabled) = org
            .enabled_connections
            .iter()
            .find(|e| e.connection_id == user_conn_id)
        else {
            return fail(
                "access_denied",
                &format!(
                    "the connection {} is not enabled for the organization {}",
                    user.connection, org.id
                ),
            );
        };
        if !org.members.contains(&user.user_id) {
            let invitation = tx.invitation.as_ref().and_then(|ticket| {
                t.store.invitations.iter().position(|i| {
                    &i.ticket_id == ticket
                        && i.organization_id == org.id
                        && i.expires_at > crate::now_unix()
                })
            });
            let admitted = match invitation {
                Some(idx) if t.store.invitations[idx].invitee_email == user.email => {
                    t.store.invitations.remove(idx);
                    true
                }
                Some(_) => {
                    return fail(
                        "access_denied",
                        "the invitation was sent to a different email address",
                    );
                }
                None => enabled.assign_membership_on_login,
            };
            if !admitted {
                return fail(
                    "access_denied",
                    &format!(
                        "user {} is not part of the {} organization",
                        user.user_id, org.id
                    ),
                );
            }
            if let Some(o) = t.store.org_mut(&org.id) {
                o.members.push(user.user_id.clone());
            }
        }
    }
    let now = crate::now_unix();
    let (session, new_cookie) = match session {
        Some(s) => (s, None),
        None => {
            let value = random_token(32);
            let s = Session {
                sid: random_token(16),
                user_id: user.user_id.clone(),
                auth_time: now,
                expires_at: now + t.store.settings.session_lifetime_secs,
            };
            t.store.sessions.insert(digest(&value), s.clone());
            (s, Some(value))
        }
    };
    let code_value = random_token(32);
    t.codes.insert(
        digest(&code_value),
        Code {
            client_id: tx.client_id.clone(),
            redirect_uri: tx.redirect_uri.clone(),
            code_challenge: tx.code_challenge.clone(),
            user_id: user.user_id.clone(),
            org_id: tx.org_id.clone(),
            nonce: tx.nonce.clone(),
            scope: tx.scope.clone(),
            audience: tx.audience.clone(),
            sid: session.sid.clone(),
            auth_time: session.auth_time,
            expires_at: now + t.store.settings.authorization_code_lifetime_secs,
            dpop_jkt: tx.dpop_jkt.clone(),
        },
    );
    state.persist(t);
    let mut url = Url::parse(&tx.redirect_uri).expect("redirect_uri was validated");
    {
        let mut q = url.query_pairs_mut();
        q.append_pair("code", &code_value);
        if let Some(s) = &tx.state {
            q.append_pair("state", s);
        }
        q.append_pair("iss", state.issuer_str());
    }
    let mut response = Redirect::to(url.as_str()).into_response();
    if let Some(value) = new_cookie {
        response.headers_mut().append(
            header::SET_COOKIE,
            set_cookie(&value, t.store.settings.session_lifetime_secs),
        );
    }
    response
}

fn set_cookie(value: &str, max_age: i64) -> axum::http::HeaderValue {
    axum::http::HeaderValue::from_str(&format!(
        "{SESSION_COOKIE}={value}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age}"
    ))
    .expect("cookie is ASCII")
}

mod discovery;
mod login;
mod logout;
use discovery::*;
use login::*;
use logout::*;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_redirects_match_any_port_or_exactly() {
        let reg = vec![
            "http://127.0.0.1/callback".to_owned(),
            "http://[::1]/callback".to_owned(),
            "https://app.example/cb".to_owned(),
        ];
        let any = LoopbackRedirects::AnyPort;
        let exact = LoopbackRedirects::Exact;
        let rows = [
            ("http://127.0.0.1:53127/callback", true, false),
            ("http://127.0.0.1/callback", true, true),
            ("http://[::1]:4000/callback", true, false),
            ("http://127.0.0.1:53127/other", false, false),
            ("http://localhost:53127/callback", false, false),
            ("https://127.0.0.1:53127/callback", false, false),
            ("http://127.0.0.1:53127/callback#frag", false, false),
            ("https://app.example/cb", true, true),
            ("https://app.example:8443/cb", false, false),
            ("http://10.0.0.1:53127/callback", false, false),
        ];
        for (uri, any_ok, exact_ok) in rows {
            assert_eq!(redirect_allowed(any, &reg, uri), any_ok, "any-port {uri}");
            assert_eq!(redirect_allowed(exact, &reg, uri), exact_ok, "exact {uri}");
        }
    }
}
