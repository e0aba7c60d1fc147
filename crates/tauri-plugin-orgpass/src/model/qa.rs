//! The QA view: a session's verified ID-token claims, its access token judged as the company's API judges it, the
//! authorize parameters sent, and the settings in force; and the switch, which IT may lock.
use time::OffsetDateTime;

use super::Core;
use super::render::rfc3339;
use crate::errors;
use crate::view::*;

impl Core {
    /// QA details of a session: the verified ID-token claims and the authorize parameters sent.
    pub async fn qa_details(&self, org_id: &str) -> Result<QaView, IpcError> {
        let ready = self.ready()?;
        // Unlocked, the window may turn QA on at any time, so only a view IT locked off withholds the details.
        if self.qa_locked && !self.lock().qa {
            return Err(qa_locked());
        }
        let key = self.signed_in_key(org_id, "Sign in first.")?;
        let store = ready.client.store().clone();
        let session = tauri::async_runtime::spawn_blocking(move || store.load(&key))
            .await
            .map_err(|e| {
                IpcError::new(
                    ErrorCode::Internal,
                    "Orgpass could not read the session.",
                    "Try again.",
                    e.to_string(),
                )
            })?
            .map_err(|e| errors::keychain(&e))?;
        let claims = session
            .as_ref()
            .and_then(|s| s.claims())
            .map(claim_rows)
            .unwrap_or_default();
        let (access_claims, access_note) = match &session {
            None => (Vec::new(), None),
            Some(s) => match ready.client.access_claims(s).await {
                Ok(map) => (claim_rows(map), None),
                Err(e) => (Vec::new(), Some(e.to_string())),
            },
        };
        let authorize_params = self.lock().sent_params.get(org_id).cloned().unwrap_or_else(|| {
            vec![("(not recorded)".into(), "This session was restored from the keychain; sign in again to see the parameters.".into())]
        });
        Ok(QaView {
            org_id: org_id.to_owned(),
            claims,
            access_claims,
            access_note,
            dpop_jkt: session.as_ref().and_then(|s| s.meta.dpop_jkt.clone()),
            authorize_params,
            settings: ready.config.provenance.clone(),
        })
    }

    /// Turns the QA view on or off, unless IT locked it: then a change is refused and nothing changes.
    pub fn set_qa(&self, enabled: bool) -> Result<(), IpcError> {
        {
            let mut inner = self.lock();
            if self.qa_locked && inner.qa != enabled {
                return Err(qa_locked());
            }
            inner.qa = enabled;
        }
        self.notify();
        Ok(())
    }
}

/// Verified claims (`Session::claims`) as rows for the QA view: values as JSON text, times also as RFC 3339.
pub fn claim_rows(claims: serde_json::Map<String, serde_json::Value>) -> Vec<(String, String)> {
    claims
        .into_iter()
        .map(|(k, v)| {
            let shown = match (&k[..], &v) {
                ("exp" | "iat" | "auth_time", serde_json::Value::Number(n)) => n
                    .as_i64()
                    .and_then(|t| OffsetDateTime::from_unix_timestamp(t).ok())
                    .map(|t| format!("{n} ({})", rfc3339(t)))
                    .unwrap_or_else(|| n.to_string()),
                (_, serde_json::Value::String(s)) => s.clone(),
                _ => v.to_string(),
            };
            (k, shown)
        })
        .collect()
}

/// The QA view is locked by IT, so it cannot be changed (or, locked off, looked into).
fn qa_locked() -> IpcError {
    IpcError::new(
        ErrorCode::Config,
        "The QA view is set by your IT department.",
        "Ask IT if you need it: Orgpass's system settings lock it.",
        "`qa` is locked in the system-wide app.toml",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn claims_are_shown_as_text_with_times_readable() {
        let claims =
            serde_json::json!({"sub":"auth0|a","org_id":"org_A","exp":1700000000,"aud":["x","y"]});
        let serde_json::Value::Object(map) = claims else {
            unreachable!()
        };
        assert_eq!(
            claim_rows(map),
            vec![
                ("aud".to_owned(), r#"["x","y"]"#.to_owned()),
                (
                    "exp".to_owned(),
                    "1700000000 (2023-11-14T22:13:20Z)".to_owned()
                ),
                ("org_id".to_owned(), "org_A".to_owned()),
                ("sub".to_owned(), "auth0|a".to_owned()),
            ]
        );
    }
}
