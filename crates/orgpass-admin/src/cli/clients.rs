//! `clients …`: applications' organization settings (usage, the organization prompt, how it finds the
//! organization) and refresh-token rotation overlap: list, get, update.

use orgpass_admin::model::{Client, ClientUpdate, RefreshTokenConfig};

use super::CliError;
use super::args::{Cli, ClientsCmd};
use super::credentials::client;
use super::output::Out;

fn row(c: &Client) -> Vec<String> {
    vec![
        c.client_id.clone(),
        c.name.clone(),
        c.organization_usage.clone().unwrap_or_default(),
        c.organization_require_behavior.clone().unwrap_or_default(),
        c.organization_discovery_methods
            .as_ref()
            .map(|m| m.join(","))
            .unwrap_or_default(),
        c.refresh_token
            .as_ref()
            .map(|_| c.leeway().to_string())
            .unwrap_or_default(),
    ]
}

const HEADERS: &[&str] = &[
    "CLIENT ID",
    "NAME",
    "ORGANIZATIONS",
    "PROMPT",
    "DISCOVERY",
    "LEEWAY",
];

/// `clients list|get|update`.
pub(super) async fn run(cli: &Cli, out: &Out, cmd: &ClientsCmd) -> Result<(), CliError> {
    let c = client(cli).await?;
    match cmd {
        ClientsCmd::List => {
            let list = c.list_clients().await?;
            out.show(&list, HEADERS, list.iter().map(row).collect())
        }
        ClientsCmd::Get { app: client_id } => {
            let one = c.get_client(client_id).await?;
            out.show(&one, HEADERS, vec![row(&one)])
        }
        ClientsCmd::Update {
            app: client_id,
            organization_usage,
            organization_require_behavior,
            discovery_methods,
            leeway,
        } => {
            let mut update = ClientUpdate {
                organization_usage: organization_usage.clone(),
                organization_require_behavior: organization_require_behavior.clone(),
                organization_discovery_methods: (!discovery_methods.is_empty())
                    .then(|| discovery_methods.clone()),
                refresh_token: None,
            };
            if let Some(l) = leeway {
                // Auth0 takes refresh_token whole (both types required): send back what it has, leeway changed.
                let current = c.get_client(client_id).await?;
                let rt = current.refresh_token.ok_or_else(|| {
                    CliError::Usage(format!(
                        "application {client_id} has no refresh-token settings, so no rotation overlap can be \
                         set: turn on refresh-token rotation for it first"
                    ))
                })?;
                update.refresh_token = Some(RefreshTokenConfig {
                    leeway: Some(*l),
                    ..rt
                });
            }
            if update.is_empty() {
                return Err(CliError::Usage(
                    "nothing to change: give --organization-usage, --organization-prompt, --discovery-method or \
                     --refresh-token-leeway"
                        .into(),
                ));
            }
            let changed = c.update_client(client_id, &update).await?;
            out.done(
                &changed,
                format!(
                    "Updated {}: organizations {}, prompt {}, discovery {}, refresh-token leeway {} s",
                    changed.client_id,
                    changed.organization_usage.as_deref().unwrap_or("(unset)"),
                    changed
                        .organization_require_behavior
                        .as_deref()
                        .unwrap_or("(unset)"),
                    changed
                        .organization_discovery_methods
                        .as_ref()
                        .map(|m| m.join(","))
                        .unwrap_or_default(),
                    changed.leeway()
                ),
            )
        }
    }
}
