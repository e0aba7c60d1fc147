//! The Universal Login pages a transaction goes through: login, sign-up, the post-login organization picker and
//! the upstream (enterprise) connection stand-in, each branded for the organization (the organization prompt
//! before login is in `discovery.rs`).

use super::*;

pub(super) struct Look {
    pub(super) title: String,
    logo: Option<String>,
    primary: String,
    background: String,
}

impl Look {
    /// A whole page in these colours.
    pub(super) fn page(&self, title: &str, body: &str) -> String {
        page(title, &self.primary, &self.background, body)
    }
}

pub(super) fn look(state: &AppState, t: &Tenant, tx: &Transaction) -> Look {
    let org = tx.org_id.as_ref().and_then(|o| t.store.org(o));
    let branding = org.and_then(|o| o.branding.clone()).unwrap_or_default();
    let colors = branding.colors.clone();
    Look {
        title: org
            .map(|o| o.display_name.clone())
            .unwrap_or_else(|| t.store.settings.friendly_name.clone()),
        logo: branding.logo_url.map(|l| state.absolute_url(&l)),
        primary: colors
            .as_ref()
            .map(|c| c.primary.clone())
            .unwrap_or_else(|| "#635dff".into()),
        background: colors
            .map(|c| c.page_background)
            .unwrap_or_else(|| "#f1f3f5".into()),
    }
}

pub(super) fn header_html(l: &Look, heading: &str) -> String {
    let logo = l
        .logo
        .as_ref()
        .map(|src| {
            format!(
                "<img class=\"logo\" id=\"prompt-logo-center\" src=\"{}\" alt=\"{}\">",
                esc(src),
                esc(&l.title)
            )
        })
        .unwrap_or_default();
    format!(
        "<header>{logo}<h1 id=\"title\">{}</h1></header>",
        esc(heading)
    )
}

// The error is the page to answer with; the handlers return it at once, so boxing buys nothing.
#[allow(clippy::result_large_err)]
pub(super) fn take_tx(t: &Tenant, key: &str) -> Result<Transaction, Response> {
    match t.transactions.get(key) {
        Some(tx) if tx.created_at + TRANSACTION_TTL_SECS > crate::now_unix() => Ok(tx.clone()),
        _ => Err(error_page(
            StatusCode::BAD_REQUEST,
            "Invalid state",
            "This login attempt is unknown or has expired. Start the sign-in again from the application.",
        )),
    }
}

/// Connections the login page offers: the organization's enabled ones (or all without an organization),
/// narrowed to the `connection` parameter when given.
pub(super) fn offered(t: &Tenant, tx: &Transaction) -> Vec<(crate::store::Connection, bool, bool)> {
    let org = tx.org_id.as_ref().and_then(|o| t.store.org(o));
    let mut out: Vec<_> = match org {
        Some(o) => o
            .enabled_connections
            .iter()
            .filter_map(|e| {
                t.store
                    .connection(&e.connection_id)
                    .map(|c| (c.clone(), e.show_as_button, e.is_signup_enabled))
            })
            .collect(),
        None => t
            .store
            .connections
            .iter()
            .map(|c| (c.clone(), true, c.is_database()))
            .collect(),
    };
    if let Some(only) = &tx.connection {
        out.retain(|(c, _, _)| &c.name == only || &c.id == only);
    }
    out
}

pub(super) fn login_html(
    state: &AppState,
    t: &Tenant,
    key: &str,
    tx: &Transaction,
    error: Option<&str>,
    username: &str,
) -> String {
    let l = look(state, t, tx);
    let mut body = header_html(&l, &format!("Log in to {}", l.title)) + &error_html(error);
    let conns = offered(t, tx);
    if conns.iter().any(|(c, _, _)| c.is_database()) {
        let prefill = if username.is_empty() {
            tx.login_hint.clone().unwrap_or_default()
        } else {
            username.to_owned()
        };
        body.push_str(&format!(
            r#"<form method="post" action="/u/login" id="login-form">
<input type="hidden" name="state" value="{key}">
<label for="username">Email address</label>
<input type="email" id="username" name="username" value="{user}" autocomplete="username" required autofocus>
<label for="password">Password</label>
<input type="password" id="password" name="password" autocomplete="current-password" required>
<button type="submit" id="submit" name="action" value="default" data-action-button-primary="true">Continue</button>
</form>"#,
            key = esc(key),
            user = esc(&prefill)
        ));
    }
    for (c, show, _) in &conns {
        if !c.is_database() && *show {
            // Auth0's shape: a form per connection, its name in a hidden `connection` field.
            body.push_str(&format!(
                "<form method=\"get\" action=\"/u/upstream\" data-provider=\"{strategy}\" data-form-secondary=\"true\">\
                 <input type=\"hidden\" name=\"state\" value=\"{key}\">\
                 <input type=\"hidden\" name=\"connection\" value=\"{name}\">\
                 <button type=\"submit\" class=\"secondary\" id=\"connection-{name}\" data-provider=\"{strategy}\" \
                 data-action-button-secondary=\"true\">Continue with {label}</button></form>",
                name = esc(&c.name),
                strategy = esc(&c.strategy),
                key = esc(key),
                label = esc(c.label())
            ));
        }
    }
    if conns
        .iter()
        .any(|(c, _, signup)| c.is_database() && *signup)
    {
        body.push_str(&format!("<p class=\"hint\">Don't have an account? <a id=\"signup-link\" href=\"/u/signup?state={}\">Sign up</a></p>", esc(key)));
    }
    if conns.is_empty() {
        body.push_str(&error_html(Some(
            "No connection is enabled for this organization.",
        )));
    }
    l.page(&format!("Log in | {}", l.title), &body)
}

#[derive(serde::Deserialize)]
pub(super) struct StateQuery {
    pub(super) state: String,
}

/// Renders the page of the login transaction `key`, or the invalid-state page.
pub(super) fn tx_page(
    state: &AppState,
    key: &str,
    render: impl FnOnce(&AppState, &Tenant, &str, &Transaction) -> String,
) -> Response {
    let t = state.lock();
    match take_tx(&t, key) {
        Ok(tx) => Html(render(state, &t, key, &tx)).into_response(),
        Err(r) => r,
    }
}

pub(super) async fn login_page(
    State(state): State<AppState>,
    Query(q): Query<StateQuery>,
) -> Response {
    tx_page(&state, &q.state, |state, t, key, tx| {
        login_html(state, t, key, tx, None, "")
    })
}

#[derive(serde::Deserialize)]
pub(super) struct LoginForm {
    state: String,
    username: String,
    password: String,
}

pub(super) async fn login_submit(
    State(state): State<AppState>,
    Form(f): Form<LoginForm>,
) -> Response {
    let mut t = state.lock();
    let tx = match take_tx(&t, &f.state) {
        Ok(tx) => tx,
        Err(r) => return r,
    };
    let email = f.username.trim().to_lowercase();
    let db_conns: Vec<String> = offered(&t, &tx)
        .into_iter()
        .filter(|(c, _, _)| c.is_database())
        .map(|(c, _, _)| c.name)
        .collect();
    let user = t
        .store
        .users
        .iter()
        .find(|u| {
            u.email == email && db_conns.contains(&u.connection) && u.password_matches(&f.password)
        })
        .cloned();
    let Some(user) = user else {
        let html = login_html(
            &state,
            &t,
            &f.state,
            &tx,
            Some("Wrong email or password."),
            &f.username,
        );
        return (StatusCode::BAD_REQUEST, Html(html)).into_response();
    };
    t.transactions.remove(&f.state);
    finish(&state, &mut t, tx, &user.user_id, None, false)
}

pub(super) fn signup_html(
    state: &AppState,
    t: &Tenant,
    key: &str,
    tx: &Transaction,
    error: Option<&str>,
) -> String {
    let l = look(state, t, tx);
    let mut body = header_html(&l, &format!("Sign up for {}", l.title)) + &error_html(error);
    body.push_str(&format!(
        r#"<form method="post" action="/u/signup" id="signup-form">
<input type="hidden" name="state" value="{key}">
<label for="email">Email address</label>
<input type="email" id="email" name="email" value="{hint}" required>
<label for="password">Password (at least 8 characters)</label>
<input type="password" id="password" name="password" autocomplete="new-password" required>
<button type="submit" id="submit">Continue</button>
</form><p class="hint"><a href="/u/login?state={key}">Log in instead</a></p>"#,
        key = esc(key),
        hint = esc(tx.login_hint.as_deref().unwrap_or_default())
    ));
    l.page(&format!("Sign up | {}", l.title), &body)
}

pub(super) async fn signup_page(
    State(state): State<AppState>,
    Query(q): Query<StateQuery>,
) -> Response {
    tx_page(&state, &q.state, |state, t, key, tx| {
        signup_html(state, t, key, tx, None)
    })
}

#[derive(serde::Deserialize)]
pub(super) struct SignupForm {
    state: String,
    email: String,
    password: String,
}

pub(super) async fn signup_submit(
    State(state): State<AppState>,
    Form(f): Form<SignupForm>,
) -> Response {
    let mut t = state.lock();
    let tx = match take_tx(&t, &f.state) {
        Ok(tx) => tx,
        Err(r) => return r,
    };
    let refuse = |t: &Tenant, msg: &str| {
        (
            StatusCode::BAD_REQUEST,
            Html(signup_html(&state, t, &f.state, &tx, Some(msg))),
        )
            .into_response()
    };
    let Some((conn, _, _)) = offered(&t, &tx)
        .into_iter()
        .find(|(c, _, signup)| c.is_database() && *signup)
    else {
        return refuse(&t, "Sign-up is not enabled for this organization.");
    };
    let email = f.email.trim().to_lowercase();
    if !email.contains('@') {
        return refuse(&t, "Enter a valid email address.");
    }
    if f.password.chars().count() < 8 {
        return refuse(&t, "The password is too weak: use at least 8 characters.");
    }
    if t.store
        .users
        .iter()
        .any(|u| u.email == email && u.connection == conn.name)
    {
        return refuse(&t, "The user already exists.");
    }
    let salt = random_token(12);
    let user = User {
        user_id: format!("auth0|{}", crate::store::random_alnum(24).to_lowercase()),
        connection: conn.name.clone(),
        email: email.clone(),
        name: email.clone(),
        email_verified: false,
        password_hash: Some(digest(&format!("{salt}:{}", f.password))),
        password_salt: Some(salt),
        created_at: crate::now_rfc3339(),
    };
    let user_id = user.user_id.clone();
    t.store.users.push(user);
    t.transactions.remove(&f.state);
    finish(&state, &mut t, tx, &user_id, None, false)
}

pub(super) fn not_logged_in() -> Response {
    error_page(
        StatusCode::BAD_REQUEST,
        "Invalid state",
        "Log in before choosing an organization.",
    )
}

pub(super) async fn picker_page(
    State(state): State<AppState>,
    Query(q): Query<StateQuery>,
) -> Response {
    let t = state.lock();
    let tx = match take_tx(&t, &q.state) {
        Ok(tx) => tx,
        Err(r) => return r,
    };
    let Some((user_id, _)) = &tx.authenticated else {
        return not_logged_in();
    };
    let l = look(&state, &t, &tx);
    let mut body = header_html(&l, "Choose an organization");
    for o in t
        .store
        .organizations
        .iter()
        .filter(|o| o.members.contains(user_id))
        .take(20)
    {
        body.push_str(&format!(
            r#"<form method="post" action="/u/organization-picker"><input type="hidden" name="state" value="{key}"><input type="hidden" name="organization" value="{id}"><button type="submit" id="pick-{name}">{display}</button></form>"#,
            key = esc(&q.state),
            id = esc(&o.id),
            name = esc(&o.name),
            display = esc(&o.display_name)
        ));
    }
    Html(l.page("Choose an organization", &body)).into_response()
}

#[derive(serde::Deserialize)]
pub(super) struct PickForm {
    state: String,
    organization: String,
}

pub(super) async fn picker_submit(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(f): Form<PickForm>,
) -> Response {
    let mut t = state.lock();
    let mut tx = match take_tx(&t, &f.state) {
        Ok(tx) => tx,
        Err(r) => return r,
    };
    let Some((user_id, _)) = tx.authenticated.clone() else {
        return not_logged_in();
    };
    if !t
        .store
        .org(&f.organization)
        .is_some_and(|o| o.members.contains(&user_id))
    {
        return error_page(
            StatusCode::BAD_REQUEST,
            "Invalid organization",
            "You are not a member of that organization.",
        );
    }
    t.transactions.remove(&f.state);
    tx.org_id = Some(f.organization);
    let session = current_session(&t, &headers).filter(|s| s.user_id == user_id);
    finish(&state, &mut t, tx, &user_id, session, false)
}

pub(super) async fn upstream_page(
    State(state): State<AppState>,
    Query(q): Query<Params>,
) -> Response {
    let t = state.lock();
    let key = q.get("state").cloned().unwrap_or_default();
    let tx = match take_tx(&t, &key) {
        Ok(tx) => tx,
        Err(r) => return r,
    };
    let conn_name = q.get("connection").cloned().unwrap_or_default();
    let Some((conn, _, _)) = offered(&t, &tx)
        .into_iter()
        .find(|(c, _, _)| c.name == conn_name && !c.is_database())
    else {
        return error_page(
            StatusCode::BAD_REQUEST,
            "Connection not available",
            "That connection is not enabled here.",
        );
    };
    let kind = if conn.is_social() {
        "social"
    } else {
        "enterprise"
    };
    let mut body = format!(
        "<h1 id=\"title\">{} (simulated {kind} identity provider)</h1><p class=\"hint\">Choose who you are at {}:</p>",
        esc(conn.label()),
        esc(conn.label())
    );
    for u in t.store.users.iter().filter(|u| u.connection == conn.name) {
        body.push_str(&format!(
            r#"<form method="post" action="/u/upstream"><input type="hidden" name="state" value="{key}"><input type="hidden" name="connection" value="{c}"><input type="hidden" name="user_id" value="{uid}"><button type="submit" class="identity" data-email="{email}">{name} &lt;{email}&gt;</button></form>"#,
            key = esc(&key),
            c = esc(&conn.name),
            uid = esc(&u.user_id),
            name = esc(&u.name),
            email = esc(&u.email)
        ));
    }
    Html(page(
        &format!("Sign in with {}", conn.label()),
        "#343a40",
        "#ffffff",
        &body,
    ))
    .into_response()
}

#[derive(serde::Deserialize)]
pub(super) struct UpstreamForm {
    state: String,
    connection: String,
    user_id: String,
}

pub(super) async fn upstream_submit(
    State(state): State<AppState>,
    Form(f): Form<UpstreamForm>,
) -> Response {
    let mut t = state.lock();
    let tx = match take_tx(&t, &f.state) {
        Ok(tx) => tx,
        Err(r) => return r,
    };
    let allowed = offered(&t, &tx)
        .into_iter()
        .any(|(c, _, _)| c.name == f.connection && !c.is_database());
    let user_ok = t
        .store
        .user(&f.user_id)
        .is_some_and(|u| u.connection == f.connection);
    if !allowed || !user_ok {
        return error_page(
            StatusCode::BAD_REQUEST,
            "Connection not available",
            "That identity cannot sign in here.",
        );
    }
    t.transactions.remove(&f.state);
    finish(&state, &mut t, tx, &f.user_id, None, false)
}
