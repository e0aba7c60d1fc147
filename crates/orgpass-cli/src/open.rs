//! `orgpass open NAME`: one of the company's web apps (`[[portals]]`) in the browser, already signed in to the
//! session's organization. The browser gets a one-time loopback address ([`orgpass::Handoff`]); only when it
//! arrives is the refresh token exchanged for a session transfer token, and the browser forwarded to the web app's
//! login with it and the organization. The token is never printed, logged or put on a command line.

use std::time::Duration;

use orgpass::{Handoff, opener_for};

use crate::ClientFilter;
use crate::failure::Failure;
use crate::remote;
use crate::session::{Want, session_client};
use crate::settings::Settings;

/// How long the browser may take to open the one-time address.
const BROWSER_WAIT: Duration = Duration::from_secs(120);

pub async fn run(
    portal: &str,
    org: Option<&str>,
    browser: Option<String>,
    filter: &ClientFilter,
    settings: &Settings,
) -> Result<(), Failure> {
    let want = Want {
        browser: browser.as_deref(),
        ..Want::default()
    };
    let (meta, client) = session_client(org, want, filter, settings)?;
    let config = client.config();
    let Some(portal) = config.portal(portal).cloned() else {
        let known: Vec<&str> = config.portals.iter().map(|p| p.name.as_str()).collect();
        let known = if known.is_empty() {
            "none is configured: add [[portals]] tables (name, login_url) to the settings"
                .to_owned()
        } else {
            format!("the configured ones are {}", known.join(", "))
        };
        return Err(Failure::new(
            2,
            format!("no web app is called `{portal}`; {known}"),
        ));
    };
    if let Some(why) = remote::reason(false, config.browser.is_some()) {
        return Err(Failure::new(
            2,
            format!(
                "{why}, so no browser here can open the web app signed in (the hand-over address is on this \
                 machine's loopback); open {} in your browser and sign in there",
                portal.login_url
            ),
        ));
    }
    let opener = opener_for(config.browser.as_deref(), false).map_err(|e| Failure::new(2, e))?;
    let handoff = Handoff::bind().await.map_err(|e| Failure::new(1, e))?;
    opener
        .open(handoff.url().as_str())
        .map_err(|e| Failure::new(1, e))?;
    eprintln!(
        "Opening {} ({}) signed in to {} …",
        portal.name,
        portal.login_url,
        meta.org_name
            .as_deref()
            .or(meta.key.org_id.as_deref())
            .unwrap_or("your account")
    );
    let key = meta.key.clone();
    handoff
        .forward(BROWSER_WAIT, || async {
            client
                .portal_login(&key, &portal)
                .await
                .map_err(|e| e.to_string())
        })
        .await
        .map_err(|e| Failure::new(1, e))?;
    eprintln!("Opened {} in the browser.", portal.name);
    Ok(())
}
