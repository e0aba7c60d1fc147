//! The organization prompt before login (`organization_require_behavior: pre_login_prompt`): the email step, which
//! finds the organization by the work email's verified discovery domain (`organization_discovery_methods: email`),
//! the organization name (`organization_name`), and the chooser when several organizations share the domain.

use super::*;

/// What the person typed at the prompt, read by the client's discovery methods.
#[derive(Debug, PartialEq, Eq)]
enum Typed {
    /// A work email: its lower-case domain.
    Email { email: String, domain: String },
    /// An organization name, lower case.
    Name(String),
}

/// Reads the prompt's input: with `email` on, a value with an `@` is an email (its domain must be a domain name);
/// without an `@` it is a name only when `organization_name` is on too.
fn read_typed(client: &Client, value: &str) -> Result<Typed, &'static str> {
    let value = value.trim();
    if client.discovers_by("email")
        && (value.contains('@') || !client.discovers_by("organization_name"))
    {
        let (local, domain) = value
            .rsplit_once('@')
            .ok_or("Enter a valid email address.")?;
        let domain = domain.to_lowercase();
        if local.is_empty()
            || local.contains(|c: char| c == '@' || c.is_whitespace())
            || !crate::store::valid_domain(&domain)
        {
            return Err("Enter a valid email address.");
        }
        return Ok(Typed::Email {
            email: value.to_owned(),
            domain,
        });
    }
    if value.is_empty() {
        return Err("Enter your organization name.");
    }
    Ok(Typed::Name(value.to_lowercase()))
}

pub(super) fn org_prompt_html(
    state: &AppState,
    t: &Tenant,
    key: &str,
    tx: &Transaction,
    error: Option<&str>,
) -> String {
    let l = look(state, t, tx);
    let client = t.store.client(&tx.client_id);
    let by_email = client.is_some_and(|c| c.discovers_by("email"));
    let by_name = client.is_none_or(|c| c.discovers_by("organization_name"));
    let (heading, field) = match (by_email, by_name) {
        (true, true) => (
            "Enter your work email or organization name",
            r#"<label for="email">Work email or organization name</label>
<input type="text" id="email" name="email" value="{hint}" autocomplete="email" required autofocus>"#,
        ),
        (true, false) => (
            "Enter your work email",
            r#"<label for="email">Work email</label>
<input type="email" id="email" name="email" value="{hint}" autocomplete="email" required autofocus>"#,
        ),
        _ => (
            "Enter your organization name",
            r#"<label for="organizationName">Organization name</label>
<input type="text" id="organizationName" name="organizationName" required autofocus>"#,
        ),
    };
    let hint = if by_email {
        tx.login_hint.as_deref().unwrap_or_default()
    } else {
        ""
    };
    let mut body = header_html(&l, heading) + &error_html(error);
    body.push_str(&format!(
        r#"<form method="post" action="/u/organization" id="organization-form">
<input type="hidden" name="state" value="{key}">
{field}
<button type="submit" id="submit" name="action" value="default" data-action-button-primary="true">Continue</button>
</form>"#,
        key = esc(key),
        field = field.replace("{hint}", &esc(hint)),
    ));
    l.page(&format!("Organization | {}", l.title), &body)
}

pub(super) async fn org_prompt_page(
    State(state): State<AppState>,
    Query(q): Query<StateQuery>,
) -> Response {
    tx_page(&state, &q.state, |state, t, key, tx| {
        org_prompt_html(state, t, key, tx, None)
    })
}

#[derive(serde::Deserialize)]
pub(super) struct OrgForm {
    state: String,
    /// The email step's field (an email, or a name when both methods are on).
    #[serde(default)]
    email: Option<String>,
    #[serde(default, rename = "organizationName")]
    organization_name: Option<String>,
}

pub(super) async fn org_prompt_submit(
    State(state): State<AppState>,
    Form(f): Form<OrgForm>,
) -> Response {
    let mut t = state.lock();
    let tx = match take_tx(&t, &f.state) {
        Ok(tx) => tx,
        Err(r) => return r,
    };
    let again = |t: &Tenant, error: &str| {
        let html = org_prompt_html(&state, t, &f.state, &tx, Some(error));
        (StatusCode::BAD_REQUEST, Html(html)).into_response()
    };
    let Some(client) = t.store.client(&tx.client_id).cloned() else {
        return error_page(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "The client no longer exists",
        );
    };
    let typed = match (&f.email, &f.organization_name) {
        (Some(v), _) if client.discovers_by("email") => read_typed(&client, v),
        (_, Some(v)) if client.discovers_by("organization_name") => {
            Ok(Typed::Name(v.trim().to_lowercase()))
        }
        _ => Err("Enter what this page asks for."),
    };
    let typed = match typed {
        Ok(typed) => typed,
        Err(msg) => return again(&t, msg),
    };
    let (found, email): (Vec<String>, Option<String>) = match &typed {
        Typed::Name(name) => match t.store.org_by_name(name) {
            Some(org) => (vec![org.id.clone()], None),
            None => return again(&t, "We could not find an organization with that name."),
        },
        Typed::Email { email, domain } => {
            let ids: Vec<String> = t
                .store
                .orgs_for_domain(domain)
                .iter()
                .map(|o| o.id.clone())
                .collect();
            if ids.is_empty() {
                let msg = format!(
                    "No organization uses the email domain {domain}. Check the address{}, or ask your \
                     administrator which organization to sign in to.",
                    if client.discovers_by("organization_name") {
                        " or enter your organization name"
                    } else {
                        ""
                    }
                );
                tracing::info!(
                    domain,
                    "email step: no organization has this verified discovery domain"
                );
                return again(&t, &msg);
            }
            (ids, Some(email.clone()))
        }
    };
    let Some(tx) = t.transactions.get_mut(&f.state) else {
        return error_page(
            StatusCode::BAD_REQUEST,
            "Invalid state",
            "This login attempt has expired.",
        );
    };
    if email.is_some() {
        // Identifier first: the login page starts from the address already typed.
        tx.login_hint = email;
    }
    if let [one] = found.as_slice() {
        tx.org_id = Some(one.clone());
        tx.discovered.clear();
        return Redirect::to(&format!("/u/login?state={}", f.state)).into_response();
    }
    tx.org_id = None;
    tx.discovered = found;
    Redirect::to(&format!("/u/organization-chooser?state={}", f.state)).into_response()
}

fn not_discovered() -> Response {
    error_page(
        StatusCode::BAD_REQUEST,
        "Invalid state",
        "Enter your work email before choosing an organization.",
    )
}

pub(super) async fn chooser_page(
    State(state): State<AppState>,
    Query(q): Query<StateQuery>,
) -> Response {
    let t = state.lock();
    let tx = match take_tx(&t, &q.state) {
        Ok(tx) => tx,
        Err(r) => return r,
    };
    if tx.discovered.is_empty() {
        return not_discovered();
    }
    let l = look(&state, &t, &tx);
    let domain = tx
        .login_hint
        .as_deref()
        .and_then(|e| e.rsplit_once('@'))
        .map(|(_, d)| d.to_lowercase())
        .unwrap_or_default();
    let mut body = header_html(&l, "Choose your organization");
    body.push_str(&format!(
        "<p class=\"hint\" id=\"chooser-hint\">More than one organization uses {}.</p>",
        esc(&domain)
    ));
    for o in tx.discovered.iter().filter_map(|id| t.store.org(id)) {
        body.push_str(&format!(
            r#"<form method="post" action="/u/organization-chooser"><input type="hidden" name="state" value="{key}"><input type="hidden" name="organization" value="{id}"><button type="submit" id="choose-{name}" data-organization-name="{name}">{display}</button></form>"#,
            key = esc(&q.state),
            id = esc(&o.id),
            name = esc(&o.name),
            display = esc(&o.display_name)
        ));
    }
    Html(l.page("Choose your organization", &body)).into_response()
}

#[derive(serde::Deserialize)]
pub(super) struct ChooseForm {
    state: String,
    organization: String,
}

pub(super) async fn chooser_submit(
    State(state): State<AppState>,
    Form(f): Form<ChooseForm>,
) -> Response {
    let mut t = state.lock();
    if let Err(r) = take_tx(&t, &f.state) {
        return r;
    }
    let Some(tx) = t.transactions.get_mut(&f.state) else {
        return not_discovered();
    };
    if tx.discovered.is_empty() {
        return not_discovered();
    }
    // Only what the email step found: the chooser is not a way into any organization by its ID.
    if !tx.discovered.contains(&f.organization) {
        return error_page(
            StatusCode::BAD_REQUEST,
            "Invalid organization",
            "That organization was not offered for your email address.",
        );
    }
    tx.org_id = Some(f.organization);
    tx.discovered.clear();
    Redirect::to(&format!("/u/login?state={}", f.state)).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_prompt_reads_an_email_or_a_name_by_the_clients_methods() {
        let client = |methods: &[&str]| {
            let mut seed = crate::Seed::demo();
            seed.clients[0].organization_discovery_methods =
                Some(methods.iter().map(|m| (*m).to_owned()).collect());
            crate::store::Store::from_seed(&seed).clients[0].clone()
        };
        let email = |e: &str, d: &str| {
            Ok(Typed::Email {
                email: e.into(),
                domain: d.into(),
            })
        };
        let both = client(&["email", "organization_name"]);
        let only_email = client(&["email"]);
        #[rustfmt::skip]
        let rows: [(&Client, &str, Result<Typed, &str>); 8] = [
            (&only_email, " Ada@Acme.Example ", email("Ada@Acme.Example", "acme.example")),
            (&only_email, "ada@", Err("Enter a valid email address.")),
            (&only_email, "@acme.example", Err("Enter a valid email address.")),
            (&only_email, "acme", Err("Enter a valid email address.")),
            (&only_email, "ada@acme..example", Err("Enter a valid email address.")),
            (&both, "Acme", Ok(Typed::Name("acme".into()))),
            (&both, "a@b@globex.example", Err("Enter a valid email address.")),
            (&both, "  ", Err("Enter your organization name.")),
        ];
        for (client, input, want) in rows {
            assert_eq!(read_typed(client, input), want, "{input:?}");
        }
    }
}
