//! The company's web apps opened signed in (Native to Web SSO): the browser gets the engine's one-time loopback
//! address ([`orgpass::Handoff`]), and only when it arrives is the refresh token exchanged for a session transfer
//! token and the browser forwarded to the web app's login with it. The token never reaches the window, a log or a
//! command line.
use std::sync::Arc;
use std::time::Duration;

use super::Core;
use crate::errors;
use crate::view::*;

/// How long the browser may take to arrive at the one-time address.
const BROWSER_WAIT: Duration = Duration::from_secs(120);

impl Core {
    /// Opens the web app `name` for the signed-in organization `org_id`; returns once the browser was asked to open.
    pub async fn open_portal(self: Arc<Self>, org_id: &str, name: &str) -> Result<(), IpcError> {
        let ready = self.ready()?;
        let key = self.signed_in_key(org_id, "Sign in first.")?;
        let portal = ready.client.config().portal(name).cloned().ok_or_else(|| {
            IpcError::new(
                ErrorCode::BadInput,
                format!("Orgpass is not set up for a web app called {name}."),
                "Ask your IT support to add it to Orgpass's configuration ([[portals]]).",
                format!("no [[portals]] entry named {name}"),
            )
        })?;
        let handoff = orgpass::Handoff::bind().await.map_err(|e| {
            IpcError::new(
                ErrorCode::Internal,
                format!("Orgpass could not prepare the address that opens {name}."),
                "Try again; if it keeps happening, send the details below to your IT support.",
                e.to_string(),
            )
        })?;
        self.open(handoff.url().as_str()).map_err(|e| {
            IpcError::new(
                ErrorCode::Internal,
                format!("Orgpass could not open your browser for {name}."),
                "Check the browser setting in Orgpass's configuration, then try again.",
                e.to_string(),
            )
        })?;
        let core = self.clone();
        let org = org_id.to_owned();
        tokio::spawn(async move {
            let Ok(ready) = core.ready() else { return };
            let client = ready.client.clone();
            let forwarded = handoff
                .forward(BROWSER_WAIT, || async {
                    client
                        .portal_login(&key, &portal)
                        .await
                        .map_err(|e| e.to_string())
                })
                .await;
            if let Err(e) = forwarded {
                tracing::warn!(portal = %portal.name, org = %org, error = %e, "the web app was not opened signed in");
                core.lock().last_error = Some(errors::portal(&portal.name, &e.to_string()));
                core.notify();
            }
        });
        Ok(())
    }
}
