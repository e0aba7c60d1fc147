//! `orgs invitations …`: invite someone to an organization (prints the invitation URL), list and revoke.

use orgpass_admin::ManagementClient;
use orgpass_admin::model::{Invitee, Inviter, NewInvitation};

use super::CliError;
use super::args::InvitationsCmd;
use super::output::Out;

/// `orgs invitations create|list|revoke`.
pub(super) async fn run(
    c: &ManagementClient,
    out: &Out,
    cmd: &InvitationsCmd,
) -> Result<(), CliError> {
    match cmd {
        InvitationsCmd::Create {
            org,
            email,
            inviter,
            app_client_id,
            connection,
            ttl,
            roles,
            send_email,
        } => {
            let o = c.resolve_organization(org).await?;
            let connection_id = match connection {
                Some(x) => Some(c.resolve_connection(x).await?.id),
                None => None,
            };
            let inv = NewInvitation {
                inviter: Inviter {
                    name: inviter.clone(),
                },
                invitee: Invitee {
                    email: email.clone(),
                },
                client_id: app_client_id.clone(),
                connection_id,
                ttl_sec: *ttl,
                roles: roles.clone(),
                send_invitation_email: *send_email,
            };
            let created = c.create_invitation(&o.id, &inv).await?;
            out.done(&created, &created.invitation_url)
        }
        InvitationsCmd::List { org } => {
            let o = c.resolve_organization(org).await?;
            let list = c.list_invitations(&o.id).await?;
            let rows = list
                .iter()
                .map(|i| {
                    vec![
                        i.id.clone(),
                        i.invitee.email.clone(),
                        i.inviter.name.clone(),
                        i.expires_at.clone(),
                    ]
                })
                .collect();
            out.show(&list, &["ID", "INVITEE", "INVITER", "EXPIRES"], rows)
        }
        InvitationsCmd::Revoke { org, invitation_id } => {
            let o = c.resolve_organization(org).await?;
            c.revoke_invitation(&o.id, invitation_id).await?;
            out.done(
                &serde_json::json!({"revoked": invitation_id, "organization": o.id}),
                format!("Revoked invitation {invitation_id} of {}", o.name),
            )
        }
    }
}
