//! `orgpass login`: sign in through the browser (or, where none can open, by the printed address and a pasted
//! one) and store the session in the OS keychain.

use orgpass::{
    Client, Config, ConfigFile, LoginRequest, OrgInput, SessionMeta, WorkEmail, opener_for,
};
use serde_json::json;

use crate::LoginArgs;
use crate::describe::{rfc3339, which_org, who};
use crate::failure::Failure;
use crate::remote;
use crate::session::{list_sessions, open_store};
use crate::settings::Settings;

/// Signs in with `args` over `settings`; the result as JSON on stdout with `--json`.
pub async fn run(args: LoginArgs, settings: &Settings) -> Result<(), Failure> {
    let flags = ConfigFile {
        issuer: args.issuer,
        client_id: args.client_id,
        audience: args.audience,
        scope: args.scope,
        ports: args.port,
        timeout_secs: args.timeout,
        browser: args.browser,
        ..Default::default()
    };
    let config = settings.resolve(flags)?;
    if args.org.is_some() && args.email.is_some() {
        return Err(Failure::new(
            2,
            "--org and --email are two ways to choose the organization: give --org to name it, or --email to let \
             the tenant find it by your work email, not both",
        ));
    }
    if args.email.is_some() && args.login_hint.is_some() {
        return Err(Failure::new(
            2,
            "--email is sent as the login hint already: leave out --login-hint",
        ));
    }
    let email = args
        .email
        .as_deref()
        .map(WorkEmail::parse)
        .transpose()
        .map_err(|e| Failure::new(2, e))?;
    let mut org = args
        .org
        .as_deref()
        .map(OrgInput::parse)
        .transpose()
        .map_err(|e| Failure::new(2, e))?;
    if org.is_none() && email.is_none() {
        org = found_before(&config);
    }
    let remote = remote::reason(args.no_browser, config.browser.is_some());
    let opener =
        opener_for(config.browser.as_deref(), remote.is_some()).map_err(|e| Failure::new(2, e))?;
    let store = open_store()?;
    store.probe().map_err(|e| Failure::new(1, e))?;
    let client = Client::new(config, store);
    let request = LoginRequest {
        org,
        email,
        prompt: args.prompt,
        login_hint: args.login_hint,
        ..Default::default()
    };
    let pending = client
        .begin_login(request)
        .await
        .map_err(|e| Failure::of(e.kind(), e))?;
    let cancel = pending.cancel_handle();
    tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            cancel.cancel();
        }
    });
    let pasting = match remote {
        // Remote mode: say what to do, and take the browser's final address on stdin as well as the listener.
        Some(why) => {
            let redirect = pending.redirect_uri();
            eprintln!(
                "{}",
                remote::instructions(
                    why,
                    pending.authorize_url().as_str(),
                    redirect.as_str(),
                    redirect.port().unwrap_or_default()
                )
            );
            Some(tokio::spawn(remote::read_pasted(pending.paste_handle())))
        }
        None => {
            if let Err(e) = opener.open(pending.authorize_url().as_str()) {
                pending.cancel_handle().cancel();
                let _ = pending.wait().await;
                return Err(Failure::new(1, e));
            }
            eprintln!(
                "Waiting for the browser to finish signing in (redirect to {}) …",
                pending.redirect_uri()
            );
            None
        }
    };
    let result = pending.wait().await;
    if let Some(task) = pasting {
        task.abort();
    }
    let session = result.map_err(|e| Failure::of(e.kind(), e))?;
    let m = &session.meta;
    if args.json {
        println!(
            "{}",
            json!({
                "sub": m.sub,
                "org_id": m.key.org_id,
                "org_name": m.org_name,
                "email": m.email,
                "name": m.name,
                "expires_at": rfc3339(m.expires_at),
                "issuer": m.key.issuer,
                "client_id": m.key.client_id,
                "found_by_email": m.found_by_email,
            })
        );
    }
    let found = if m.found_by_email {
        " (the tenant found it by your work email)"
    } else {
        ""
    };
    eprintln!(
        "Signed in as {} to {}{found}. Session stored in the OS keychain.",
        who(m),
        which_org(m)
    );
    Ok(())
}

/// The organization the tenant found by work email for a session of this issuer and client, offered first to a
/// sign-in that names none (when exactly one was found so; said on stderr). `--org` or `--email` choose otherwise.
fn found_before(config: &Config) -> Option<OrgInput> {
    let sessions = list_sessions().ok()?;
    let found: Vec<&SessionMeta> = sessions
        .iter()
        .filter(|m| {
            m.found_by_email
                && m.key.org_id.is_some()
                && m.key.client_id == config.client_id
                && config.issuer.matches(&m.key.issuer)
        })
        .collect();
    // Several organizations found so: no guessing between them.
    let m = found.first()?;
    if found.iter().any(|o| o.key.org_id != m.key.org_id) {
        return None;
    }
    let id = m.key.org_id.as_deref()?;
    eprintln!(
        "Signing in to {}, which the tenant found by your work email last time (--org or --email to choose another).",
        which_org(m)
    );
    OrgInput::parse(id).ok()
}
