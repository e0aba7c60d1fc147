//! `orgpass logout`: remove the chosen sessions (or all) from the keychain and the index, revoking their refresh
//! tokens at the provider.

use std::time::Duration;

use orgpass::{ConfigFile, Revocation};

use crate::ClientFilter;
use crate::describe::which_org;
use crate::failure::Failure;
use crate::session::{OrgArg, Want, client_for, no_match, open_store, select};
use crate::settings::Settings;

/// Signs out of the sessions `org` (or `all`) and `filter` select.
pub async fn run(
    org: Option<String>,
    all: bool,
    filter: &ClientFilter,
    settings: &Settings,
) -> Result<(), Failure> {
    settings.check_locks(ConfigFile::default())?;
    let org = if all {
        OrgArg::Any
    } else {
        OrgArg::from_flag(org.as_deref())
    };
    let matches = select(org, filter, settings)?;
    if matches.is_empty() {
        if all {
            eprintln!("No sessions to sign out of.");
            return Ok(());
        }
        return Err(no_match(settings.named(org), "see `orgpass status`"));
    }
    if !all && settings.named(org).is_none() && matches.len() > 1 {
        return Err(Failure::new(
            2,
            format!(
                "{} sessions are stored; choose one with --org ORG_ID or use --all",
                matches.len()
            ),
        ));
    }
    let store = open_store()?;
    // A locked or missing keychain fails here, before anything is removed from the index or the keychain.
    store.probe().map_err(|e| Failure::new(1, e))?;
    for meta in &matches {
        let client = client_for(meta, store.clone(), settings, Want::default())?;
        let outcome = tokio::time::timeout(Duration::from_secs(60), client.logout(&meta.key))
            .await
            .map_err(|_| Failure::new(1, "logout timed out"))?
            .map_err(|e| Failure::new(1, e))?;
        let note = match outcome.revocation {
            Revocation::Revoked => "refresh token revoked".to_owned(),
            Revocation::NothingToRevoke => "no refresh token to revoke".to_owned(),
            Revocation::Failed(reason) => format!("the provider was not told: {reason}"),
        };
        eprintln!(
            "Signed out of {} at {} ({note}).",
            which_org(meta),
            meta.key.issuer
        );
    }
    Ok(())
}
