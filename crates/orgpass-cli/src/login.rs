//! `orgpass login`: sign in through the browser (or, where none can open, by the printed address and a pasted
//! one) and store the session in the OS keychain.

use orgpass::{Client, ConfigFile, LoginRequest, OrgInput, opener_for};
use serde_json::json;

use crate::LoginArgs;
use crate::describe::{rfc3339, which_org, who};
use crate::failure::Failure;
use crate::remote;
use crate::session::open_store;
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
    let org = args
        .org
        .as_deref()
        .map(OrgInput::parse)
        .transpose()
        .map_err(|e| Failure::new(2, e))?;
    let remote = remote::reason(args.no_browser, config.browser.is_some());
    let opener =
        opener_for(config.browser.as_deref(), remote.is_some()).map_err(|e| Failure::new(2, e))?;
    let store = open_store()?;
    store.probe().map_err(|e| Failure::new(1, e))?;
    let client = Client::new(config, store);
    let request = LoginRequest {
        org,
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
            })
        );
    }
    eprintln!(
        "Signed in as {} to {}. Session stored in the OS keychain.",
        who(m),
        which_org(m)
    );
    Ok(())
}
