//! `connections list` (the tenant's connections) and `orgs connections …` (those enabled for an organization).

use orgpass_admin::ManagementClient;
use orgpass_admin::model::{
    Connection, ConnectionSettings, ConnectionSettingsUpdate, Organization,
};

use super::CliError;
use super::args::{Cli, ConnFlags, ConnectionsCmd, OrgConnectionsCmd};
use super::credentials::client;
use super::output::Out;

/// `connections list`.
pub(super) async fn tenant_connections(
    cli: &Cli,
    out: &Out,
    cmd: &ConnectionsCmd,
) -> Result<(), CliError> {
    match cmd {
        ConnectionsCmd::List { strategy } => {
            let c = client(cli).await?;
            let list = c.list_connections(strategy.as_deref()).await?;
            let rows = list
                .iter()
                .map(|x| {
                    vec![
                        x.id.clone(),
                        x.name.clone(),
                        x.strategy.clone(),
                        x.display_name.clone().unwrap_or_default(),
                    ]
                })
                .collect();
            out.show(&list, &["ID", "NAME", "STRATEGY", "DISPLAY NAME"], rows)
        }
    }
}

/// `orgs connections …`: the connections enabled for one organization.
pub(super) async fn org_connections(
    c: &ManagementClient,
    out: &Out,
    cmd: &OrgConnectionsCmd,
) -> Result<(), CliError> {
    match cmd {
        OrgConnectionsCmd::List { org } => {
            let o = c.resolve_organization(org).await?;
            let list = c.list_enabled_connections(&o.id).await?;
            let all = c.connections_cached().await?;
            let rows = list
                .iter()
                .map(|e| {
                    let name = all
                        .iter()
                        .find(|x| x.id == e.connection_id)
                        .map(|x| x.name.clone())
                        .or(e.connection.as_ref().map(|x| x.name.clone()))
                        .unwrap_or_default();
                    let b =
                        |v: Option<bool>| v.map(|v| v.to_string()).unwrap_or_else(|| "-".into());
                    vec![
                        e.connection_id.clone(),
                        name,
                        e.assign_membership_on_login.to_string(),
                        b(e.show_as_button),
                        b(e.is_signup_enabled),
                    ]
                })
                .collect();
            out.show(
                &list,
                &[
                    "CONNECTION ID",
                    "NAME",
                    "ASSIGN ON LOGIN",
                    "BUTTON",
                    "SIGNUP",
                ],
                rows,
            )
        }
        OrgConnectionsCmd::Enable {
            org,
            connection,
            flags,
        } => {
            let (o, conn) = org_and_connection_for(c, org, connection, flags).await?;
            let s = ConnectionSettings {
                connection_id: conn.id.clone(),
                assign_membership_on_login: flags.assign_membership_on_login.unwrap_or(false),
                show_as_button: flags.show_as_button,
                is_signup_enabled: flags.is_signup_enabled,
            };
            let e = c.enable_connection(&o.id, &s).await?;
            out.done(&e, format!("Enabled {} for {}", conn.name, o.name))
        }
        OrgConnectionsCmd::Update {
            org,
            connection,
            flags,
        } => {
            let (o, conn) = org_and_connection_for(c, org, connection, flags).await?;
            let u = ConnectionSettingsUpdate {
                assign_membership_on_login: flags.assign_membership_on_login,
                show_as_button: flags.show_as_button,
                is_signup_enabled: flags.is_signup_enabled,
            };
            if u == ConnectionSettingsUpdate::default() {
                return Err(CliError::Usage(
                    "nothing to update: pass --assign-membership-on-login, --show-as-button or --is-signup-enabled".into(),
                ));
            }
            let e = c.update_enabled_connection(&o.id, &conn.id, &u).await?;
            out.done(&e, format!("Updated {} for {}", conn.name, o.name))
        }
        OrgConnectionsCmd::Disable { org, connection } => {
            let (o, conn) = org_and_connection(c, org, connection).await?;
            c.disable_connection(&o.id, &conn.id).await?;
            out.done(
                &serde_json::json!({"disabled": conn.id, "organization": o.id}),
                format!("Disabled {} for {}", conn.name, o.name),
            )
        }
    }
}

/// The organization and the connection named on the command line (each by id or name), in that order.
async fn org_and_connection(
    c: &ManagementClient,
    org: &str,
    connection: &str,
) -> Result<(Organization, Connection), CliError> {
    let o = c.resolve_organization(org).await?;
    let conn = c.resolve_connection(connection).await?;
    Ok((o, conn))
}

/// [`org_and_connection`], checked that `flags` may enable signup for this connection's strategy.
async fn org_and_connection_for(
    c: &ManagementClient,
    org: &str,
    connection: &str,
    flags: &ConnFlags,
) -> Result<(Organization, Connection), CliError> {
    let (o, conn) = org_and_connection(c, org, connection).await?;
    orgpass_admin::validate::signup_strategy(&conn.name, &conn.strategy, flags.is_signup_enabled)?;
    Ok((o, conn))
}
