//! Logout: `/v2/logout` and OIDC RP-initiated `/oidc/logout`, with the allowed return URLs.

use super::*;

pub(super) fn clear_session(t: &mut Tenant, headers: &HeaderMap) {
    if let Some(v) = cookie(headers, SESSION_COOKIE) {
        t.store.sessions.remove(&digest(&v));
    }
}

/// Ends the SSO session and saves the tenant, then answers with a redirect to `redirect` (or the logged-out
/// page) that also clears the session cookie.
pub(super) fn log_out(
    state: &AppState,
    t: &mut Tenant,
    headers: &HeaderMap,
    redirect: Option<String>,
) -> Response {
    clear_session(t, headers);
    state.persist(t);
    let mut response = match redirect {
        Some(to) => Redirect::to(&to).into_response(),
        None => logged_out_page(),
    };
    response.headers_mut().append(
        header::SET_COOKIE,
        axum::http::HeaderValue::from_static(
            "devtenant_session=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0",
        ),
    );
    response
}

pub(super) fn logged_out_page() -> Response {
    Html(page(
        "Logged out",
        "#495057",
        "#f1f3f5",
        "<h1 id=\"title\">You have been logged out.</h1>",
    ))
    .into_response()
}

pub(super) fn logout_url_allowed(t: &Tenant, client: Option<&Client>, url: &str) -> bool {
    let mode = t.store.settings.loopback_redirects;
    match client {
        Some(c) => redirect_allowed(mode, &c.allowed_logout_urls, url),
        None => t
            .store
            .clients
            .iter()
            .any(|c| redirect_allowed(mode, &c.allowed_logout_urls, url)),
    }
}

/// `GET /v2/logout?client_id&returnTo&federated`.
pub(super) async fn v2_logout(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(p): Query<Params>,
) -> Response {
    let mut t = state.lock();
    let client = p.get("client_id").and_then(|c| t.store.client(c)).cloned();
    if let Some(return_to) = p.get("returnTo")
        && !logout_url_allowed(&t, client.as_ref(), return_to)
    {
        return error_page(
            StatusCode::BAD_REQUEST,
            "Invalid returnTo",
            "The returnTo URL is not in the allowed logout URLs.",
        );
    }
    let return_to = p.get("returnTo").cloned();
    log_out(&state, &mut t, &headers, return_to)
}

/// `GET /oidc/logout?id_token_hint&post_logout_redirect_uri&client_id&state` (OIDC RP-Initiated Logout).
pub(super) async fn oidc_logout(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(p): Query<Params>,
) -> Response {
    let mut t = state.lock();
    let hint_aud = p
        .get("id_token_hint")
        .and_then(|h| t.keys.verify(h))
        .and_then(|c| c["aud"].as_str().map(str::to_owned));
    if p.contains_key("id_token_hint") && hint_aud.is_none() {
        return error_page(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "id_token_hint is not a token issued by this tenant",
        );
    }
    let client_id = p.get("client_id").cloned().or(hint_aud);
    if let (Some(given), Some(hint)) = (
        p.get("client_id"),
        p.get("id_token_hint").and_then(|h| t.keys.verify(h)),
    ) && hint["aud"].as_str() != Some(given)
    {
        return error_page(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "client_id does not match the id_token_hint audience",
        );
    }
    let client = client_id.as_ref().and_then(|c| t.store.client(c)).cloned();
    if let Some(uri) = p.get("post_logout_redirect_uri") {
        if client.is_none() {
            return error_page(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                "post_logout_redirect_uri needs client_id or id_token_hint",
            );
        }
        if !logout_url_allowed(&t, client.as_ref(), uri) {
            return error_page(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                "post_logout_redirect_uri is not in the allowed logout URLs",
            );
        }
    }
    let redirect = p
        .get("post_logout_redirect_uri")
        .and_then(|u| Url::parse(u).ok())
        .map(|mut url| {
            if let Some(s) = p.get("state") {
                url.query_pairs_mut().append_pair("state", s);
            }
            url.to_string()
        });
    log_out(&state, &mut t, &headers, redirect)
}
