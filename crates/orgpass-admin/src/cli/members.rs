//! `orgs members …`: list, add and remove an organization's members.

use orgpass_admin::ManagementClient;

use super::CliError;
use super::args::MembersCmd;
use super::output::Out;

/// `orgs members list|add|remove`.
pub(super) async fn run(c: &ManagementClient, out: &Out, cmd: &MembersCmd) -> Result<(), CliError> {
    match cmd {
        MembersCmd::List { org } => {
            let o = c.resolve_organization(org).await?;
            let list = c.list_members(&o.id).await?;
            let rows = list
                .iter()
                .map(|m| {
                    vec![
                        m.user_id.clone(),
                        m.email.clone().unwrap_or_default(),
                        m.name.clone().unwrap_or_default(),
                    ]
                })
                .collect();
            out.show(&list, &["USER ID", "EMAIL", "NAME"], rows)
        }
        MembersCmd::Add { org, user_ids } => {
            let o = c.resolve_organization(org).await?;
            c.add_members(&o.id, user_ids).await?;
            out.done(
                &serde_json::json!({"added": user_ids, "organization": o.id}),
                format!("Added {} member(s) to {}", user_ids.len(), o.name),
            )
        }
        MembersCmd::Remove { org, user_ids } => {
            let o = c.resolve_organization(org).await?;
            c.remove_members(&o.id, user_ids).await?;
            out.done(
                &serde_json::json!({"removed": user_ids, "organization": o.id}),
                format!("Removed {} member(s) from {}", user_ids.len(), o.name),
            )
        }
    }
}
