//! `grants …` (the tenant's client grants: list, create, update, delete) and `orgs grants …` (the grants associated
//! with an organization: list, add, remove): which API a machine-to-machine application gets client-credentials
//! tokens for, and for which organizations.

use orgpass_admin::ManagementClient;
use orgpass_admin::model::{ClientGrant, ClientGrantUpdate, NewClientGrant};

use super::CliError;
use super::args::{Cli, GrantRef, GrantsCmd, OrgGrantsCmd};
use super::credentials::client;
use super::output::Out;

const HEADERS: &[&str] = &[
    "ID",
    "CLIENT ID",
    "API",
    "SCOPES",
    "ORGANIZATIONS",
    "ANY ORG",
];

fn row(g: &ClientGrant) -> Vec<String> {
    vec![
        g.id.clone(),
        g.client_id.clone(),
        g.audience.clone(),
        g.scope.join(" "),
        g.organization_usage
            .clone()
            .unwrap_or_else(|| "deny".into()),
        g.allow_any_organization.unwrap_or(false).to_string(),
    ]
}

/// A grant in a sentence.
fn sentence(g: &ClientGrant) -> String {
    let orgs = match (g.organization_usage.as_deref(), g.allow_any_organization) {
        (Some("require"), Some(true)) => "for any organization (required)",
        (Some("require"), _) => "for its associated organizations only (required)",
        (Some("allow"), Some(true)) => "with or without any organization",
        (Some("allow"), _) => "without an organization or for its associated ones",
        _ => "without organizations",
    };
    format!(
        "{}: {} on {} [{}], {orgs}",
        g.id,
        g.client_id,
        g.audience,
        g.scope.join(" ")
    )
}

/// The id of the grant `r` names: as given, or the one of its application on its API.
async fn grant_id(c: &ManagementClient, r: &GrantRef) -> Result<String, CliError> {
    match (&r.id, &r.app, &r.api) {
        (Some(id), _, _) => Ok(id.clone()),
        (None, Some(app), Some(api)) => match c.find_client_grant(app, api).await? {
            Some(g) => Ok(g.id),
            None => Err(orgpass_admin::AdminError::NotFound {
                what: format!("client grant of {app} on {api}"),
                message: format!(
                    "{app} has no grant on this API; make one with `orgpass-admin grants create {app} --api {api}`"
                ),
                hint: "grants list",
            }
            .into()),
        },
        _ => Err(CliError::Usage(
            "name the grant by its id, or by --app and --api".into(),
        )),
    }
}

/// `grants list|create|update|delete`.
pub(super) async fn run(cli: &Cli, out: &Out, cmd: &GrantsCmd) -> Result<(), CliError> {
    let c = client(cli).await?;
    match cmd {
        GrantsCmd::List { app, api } => {
            let list = c.list_client_grants(app.as_deref(), api.as_deref()).await?;
            out.show(&list, HEADERS, list.iter().map(row).collect())
        }
        GrantsCmd::Create { app, api, flags } => {
            let new = NewClientGrant {
                client_id: app.clone(),
                audience: api.clone(),
                scope: flags.scopes.clone(),
                organization_usage: flags.organization_usage.clone(),
                allow_any_organization: flags.allow_any_organization,
            };
            let g = c.create_client_grant(&new).await?;
            out.done(&g, format!("Created {}", sentence(&g)))
        }
        GrantsCmd::Update {
            grant,
            no_scopes,
            flags,
        } => {
            let update = ClientGrantUpdate {
                scope: if *no_scopes {
                    Some(Vec::new())
                } else {
                    (!flags.scopes.is_empty()).then(|| flags.scopes.clone())
                },
                organization_usage: flags.organization_usage.clone(),
                allow_any_organization: flags.allow_any_organization,
            };
            if update.is_empty() {
                return Err(CliError::Usage(
                    "nothing to change: give --scope (or --no-scopes), --organization-usage or \
                     --allow-any-organization"
                        .into(),
                ));
            }
            let grant = grant_id(&c, grant).await?;
            let g = c.update_client_grant(&grant, &update).await?;
            out.done(&g, format!("Updated {}", sentence(&g)))
        }
        GrantsCmd::Delete { grant } => {
            let grant = grant_id(&c, grant).await?;
            c.delete_client_grant(&grant).await?;
            out.done(
                &serde_json::json!({ "deleted": grant }),
                format!("Deleted client grant {grant} (and its organizations' associations)"),
            )
        }
    }
}

/// `orgs grants list|add|remove`.
pub(super) async fn run_org(
    c: &ManagementClient,
    out: &Out,
    cmd: &OrgGrantsCmd,
) -> Result<(), CliError> {
    match cmd {
        OrgGrantsCmd::List { org } => {
            let o = c.resolve_organization(org).await?;
            let list = c.list_organization_client_grants(&o.id).await?;
            out.show(&list, HEADERS, list.iter().map(row).collect())
        }
        OrgGrantsCmd::Add { org, grant } => {
            let o = c.resolve_organization(org).await?;
            let grant = grant_id(c, grant).await?;
            let g = c.associate_client_grant(&o.id, &grant).await?;
            out.done(
                &g,
                format!(
                    "{} now gets tokens for {} on {} [{}]",
                    g.client_id,
                    o.name,
                    g.audience,
                    g.scope.join(" ")
                ),
            )
        }
        OrgGrantsCmd::Remove { org, grant } => {
            let o = c.resolve_organization(org).await?;
            let grant = grant_id(c, grant).await?;
            c.remove_organization_client_grant(&o.id, &grant).await?;
            out.done(
                &serde_json::json!({ "removed": grant, "organization": o.id }),
                format!("Removed client grant {grant} from {}", o.name),
            )
        }
    }
}
