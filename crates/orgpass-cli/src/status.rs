//! `orgpass status`: the stored sessions from the secret-free index, as text or JSON, marking the ones
//! `ORGPASS_ORG` selects.

use std::fmt::Write as _;

use orgpass::SessionMeta;
use serde_json::json;

use crate::ClientFilter;
use crate::describe::{human_time, rfc3339};
use crate::failure::Failure;
use crate::session::{OrgArg, list_sessions, select};
use crate::settings::Settings;

/// `orgpass status`: every session in the secret-free index, with whether its refresh token can still renew it
/// and which one `ORGPASS_ORG` picks. Reads no keychain entry and sends no request, so it spends no refresh token.
pub fn run(json: bool, settings: &Settings) -> Result<(), Failure> {
    let sessions = list_sessions()?;
    let selected = selected_by_env(settings);
    let is_selected = |m: &SessionMeta| selected.iter().any(|s| s.key == m.key);
    // IT may have narrowed `allowed_organizations` since the sign-in: such a session is signed out at its next use.
    // The settings are resolved once per issuer and client, not per session.
    let mut configs = std::collections::HashMap::new();
    let mut refusal = |m: &SessionMeta| {
        let config = configs
            .entry((m.key.issuer.clone(), m.key.client_id.clone()))
            .or_insert_with(|| settings.for_session(m, Default::default()).ok())
            .as_ref()?;
        if config.allows_session_of(m.key.org_id.as_deref()) {
            None
        } else if config.allowed_organizations_by.is_some() {
            Some("no longer allowed on this device (signed out at its next use)")
        } else {
            Some("not in these settings' allowed_organizations (kept)")
        }
    };
    if json {
        let rows: Vec<_> = sessions
            .iter()
            .map(|m| {
                let mut row = meta_json(m);
                row["refreshed_at"] = m.refreshed_at.map(rfc3339).into();
                row["selected_by_env"] = is_selected(m).into();
                row["allowed"] = refusal(m).is_none().into();
                row
            })
            .collect();
        return write_stdout(&format!("{}\n", serde_json::Value::Array(rows)));
    }
    if sessions.is_empty() {
        eprintln!("No sessions. Sign in with `orgpass login`.");
        return Ok(());
    }
    // One write for all rows (stdout is line-buffered: 200 sessions were 200 writes), and a reader that stops early
    // (`orgpass status | head`) ends the listing quietly.
    let mut out = String::with_capacity(sessions.len() * 200);
    for m in &sessions {
        let mark = if is_selected(m) {
            "\t\u{2190} ORGPASS_ORG"
        } else {
            ""
        };
        let found = if m.found_by_email {
            "\torganization found by email"
        } else {
            ""
        };
        let refused = refusal(m).map(|r| format!("\t{r}")).unwrap_or_default();
        let bound = match &m.dpop_jkt {
            Some(jkt) => format!("\tbound to this device (DPoP key {jkt})"),
            None => String::new(),
        };
        let _ = writeln!(
            out,
            "{}\t{}\t{}\t{}\t{}\t{}\texpires {}\t{}{found}{bound}{refused}{mark}",
            m.key.issuer,
            m.key.client_id,
            m.key.org_id.as_deref().unwrap_or("-"),
            m.org_name.as_deref().unwrap_or("-"),
            m.sub,
            m.email.as_deref().unwrap_or("-"),
            rfc3339(m.expires_at),
            refresh_note(m),
        );
    }
    write_stdout(&out)
}

/// Write `text` to stdout at once; a closed pipe (the reader had enough) is not an error.
fn write_stdout(text: &str) -> Result<(), Failure> {
    use std::io::Write as _;
    let mut stdout = std::io::stdout().lock();
    match stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
    {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(Failure::new(
            1,
            format!("could not write to standard output: {e}"),
        )),
        _ => Ok(()),
    }
}

/// The sessions `token` would choose from by `ORGPASS_ORG` (the same `select`); none when it is unset. An
/// `ORGPASS_ORG` that is not an organization is reported and marks nothing: `status` still lists everything.
fn selected_by_env(settings: &Settings) -> Vec<SessionMeta> {
    if settings.shell_org.is_none() {
        return Vec::new();
    }
    let no_filter = ClientFilter {
        issuer: None,
        client_id: None,
    };
    select(OrgArg::Shell, &no_filter, settings).unwrap_or_else(|f| {
        eprintln!("orgpass: {}", f.message);
        Vec::new()
    })
}

/// Whether the refresh token can renew the session, from the index alone.
fn refresh_note(m: &SessionMeta) -> String {
    match (m.refreshable, m.refreshed_at) {
        (true, Some(at)) => format!("refresh: yes (last renewed {})", human_time(at)),
        (true, None) => "refresh: yes (not renewed since sign-in)".into(),
        (false, _) => "refresh: none \u{2014} sign in again when the access token expires".into(),
    }
}

/// A session as a JSON object (no tokens).
fn meta_json(m: &SessionMeta) -> serde_json::Value {
    json!({
        "issuer": m.key.issuer,
        "client_id": m.key.client_id,
        "org_id": m.key.org_id,
        "org_name": m.org_name,
        "sub": m.sub,
        "email": m.email,
        "name": m.name,
        "expires_at": rfc3339(m.expires_at),
        "refreshable": m.refreshable,
        "dpop_jkt": m.dpop_jkt,
        "found_by_email": m.found_by_email,
    })
}
