//! `export`: the tenant's organizations (with their discovery domains and associated client grants), applications'
//! organization settings and client grants read back as a desired-state document, with notes on what it left out.

use std::collections::HashMap;

use futures_util::StreamExt as _;
use indicatif::ProgressBar;

use super::{ConnectionSpec, DesiredState, DomainSpec, GrantKey, OrgSpec};
use crate::{AdminError, ManagementClient};

/// What `export` read.
#[derive(Debug, Clone)]
pub struct Exported {
    pub state: DesiredState,
    /// What the document leaves out and why, one sentence each, for stderr.
    pub notes: Vec<String>,
}

/// The tenant's organizations as a desired-state document (every field filled in), ready for `apply`. Without
/// `read:client_grants` the grants and organizations' grants are left out, without
/// `read:organization_client_grants` only the organizations' grants (so an apply of it leaves them alone), with
/// one note either way.
pub async fn export(
    client: &ManagementClient,
    concurrency: usize,
    progress: &ProgressBar,
) -> Result<Exported, AdminError> {
    let mut notes = Vec::new();
    let connections = client.connections_cached().await?.to_vec();
    let name_of: HashMap<&str, &str> = connections
        .iter()
        .map(|c| (c.id.as_str(), c.name.as_str()))
        .collect();
    // Organizations' grants are read only when some grant can have organizations at all: the common tenant without
    // machine-to-machine access per organization pays no extra request per organization.
    let grants = match client.list_client_grants(None, None).await {
        Ok(grants) => Some(grants),
        // An admin application made before grants were exported: the rest is still worth having.
        Err(AdminError::InsufficientScope { scope, .. }) => {
            notes.push(format!(
                "warning: client grants left out (the application lacks the `{scope}` scope): the file has no \
                 client_grants, and its organizations none, so applying it leaves grants and their \
                 organizations as they are; grant `{scope}` to export them"
            ));
            None
        }
        Err(e) => return Err(e),
    };
    let mut read_org_grants = grants
        .iter()
        .flatten()
        .any(|g| g.is_managed() && g.takes_organizations());
    let orgs = client.list_organizations().await?;
    progress.set_length(orgs.len() as u64);
    progress.set_message("exporting");
    // The first organization's grants are read alone, before the others: an application without
    // `read:organization_client_grants` is found out by one request (and one warning), not one per organization.
    let mut first: Option<(String, Vec<GrantKey>)> = None;
    if read_org_grants && let Some(org) = orgs.first() {
        match org_grant_keys(client, &org.id).await {
            Ok(keys) => first = Some((org.id.clone(), keys)),
            Err(AdminError::InsufficientScope { scope, .. }) => {
                notes.push(format!(
                    "warning: organizations' client grants left out (the application lacks the `{scope}` scope): \
                     the file has the client_grants but its organizations none, so applying it (even with --prune) \
                     leaves every organization's grants as they are; grant `{scope}` to export them"
                ));
                read_org_grants = false;
            }
            Err(e) => return Err(e),
        }
    }
    let (name_of, first) = (&name_of, &first);
    let mut specs: Vec<OrgSpec> =
        futures_util::stream::iter(orgs.into_iter().map(|org| async move {
            let enabled = client.list_enabled_connections(&org.id).await?;
            let mut members: Vec<String> = client
                .list_members(&org.id)
                .await?
                .into_iter()
                .map(|m| m.user_id)
                .collect();
            members.sort();
            let mut conns: Vec<ConnectionSpec> = enabled
                .into_iter()
                .map(|e| ConnectionSpec {
                    name: name_of
                        .get(e.connection_id.as_str())
                        .map(|s| (*s).to_owned())
                        .or(e.connection.map(|c| c.name))
                        .unwrap_or(e.connection_id),
                    assign_membership_on_login: e.assign_membership_on_login,
                    show_as_button: e.show_as_button,
                    is_signup_enabled: e.is_signup_enabled,
                })
                .collect();
            conns.sort_by(|a, b| a.name.cmp(&b.name));
            let mut domains: Vec<DomainSpec> = client
                .list_discovery_domains(&org.id)
                .await?
                .into_iter()
                .map(|d| DomainSpec {
                    domain: d.domain,
                    status: Some(d.status),
                    use_for_organization_discovery: Some(d.use_for_organization_discovery),
                })
                .collect();
            domains.sort_by(|a, b| a.domain.cmp(&b.domain));
            let org_grants = match first {
                Some((id, keys)) if *id == org.id => Some(keys.clone()),
                _ if read_org_grants => Some(org_grant_keys(client, &org.id).await?),
                _ => None,
            };
            progress.inc(1);
            Ok::<_, AdminError>(OrgSpec {
                name: org.name,
                display_name: org.display_name,
                members: Some(members),
                branding: Some(org.branding.unwrap_or_default()),
                metadata: Some(org.metadata.unwrap_or_default()),
                connections: Some(conns),
                discovery_domains: Some(domains),
                client_grants: org_grants,
            })
        }))
        .buffer_unordered(concurrency.max(1))
        .collect::<Vec<_>>()
        .await
        .into_iter()
        .collect::<Result<_, _>>()?;
    specs.sort_by(|a, b| a.name.cmp(&b.name));
    let (client_grants, skipped) =
        super::grants::specs(client.tenant().audience(), grants.unwrap_or_default());
    if skipped > 0 {
        notes.push(format!(
            "note: {skipped} client grant(s) left out: user-type, system or all-scopes grants, which the file does \
             not describe; apply leaves them as they are"
        ));
    }
    Ok(Exported {
        state: DesiredState {
            organizations: specs,
            clients: super::clients::export(client).await?,
            client_grants,
        },
        notes,
    })
}

/// The organization's grants that the file describes, sorted.
async fn org_grant_keys(
    client: &ManagementClient,
    org_id: &str,
) -> Result<Vec<GrantKey>, AdminError> {
    let mut keys: Vec<GrantKey> = client
        .list_organization_client_grants(org_id)
        .await?
        .iter()
        .filter(|g| g.is_managed())
        .map(GrantKey::of)
        .collect();
    keys.sort();
    Ok(keys)
}
