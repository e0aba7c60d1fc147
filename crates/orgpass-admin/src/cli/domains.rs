//! `orgs domains …`: an organization's discovery domains: list, get, add, update, remove, with the DNS TXT record
//! to publish for each pending one.

use orgpass_admin::ManagementClient;
use orgpass_admin::model::{DiscoveryDomain, DiscoveryDomainUpdate, NewDiscoveryDomain};

use super::CliError;
use super::args::DomainsCmd;
use super::output::Out;

/// What to do about a domain, in a sentence: the TXT record to publish while it is pending.
fn txt_sentence(d: &DiscoveryDomain) -> String {
    if d.is_pending() {
        format!(
            "{}: pending; publish the DNS TXT record {} with the value {}",
            d.domain, d.verification_host, d.verification_txt
        )
    } else {
        format!(
            "{}: verified, {}",
            d.domain,
            if d.use_for_organization_discovery {
                "used for discovery"
            } else {
                "not used for discovery"
            }
        )
    }
}

/// `orgs domains list|get|add|update|remove`.
pub(super) async fn run(c: &ManagementClient, out: &Out, cmd: &DomainsCmd) -> Result<(), CliError> {
    match cmd {
        DomainsCmd::List { org } => {
            let o = c.resolve_organization(org).await?;
            let list = c.list_discovery_domains(&o.id).await?;
            let rows = list
                .iter()
                .map(|d| {
                    vec![
                        d.id.clone(),
                        d.domain.clone(),
                        d.status.clone(),
                        d.use_for_organization_discovery.to_string(),
                        if d.is_pending() {
                            format!("{} = {}", d.verification_host, d.verification_txt)
                        } else {
                            String::new()
                        },
                    ]
                })
                .collect();
            out.show(
                &list,
                &[
                    "ID",
                    "DOMAIN",
                    "STATUS",
                    "DISCOVERY",
                    "TXT RECORD TO PUBLISH",
                ],
                rows,
            )
        }
        DomainsCmd::Get {
            org,
            discovery_domain: domain,
        } => {
            let o = c.resolve_organization(org).await?;
            let d = c.resolve_discovery_domain(&o.id, domain).await?;
            out.done(&d, txt_sentence(&d))
        }
        DomainsCmd::Add {
            org,
            discovery_domain: domain,
            flags,
        } => {
            let o = c.resolve_organization(org).await?;
            let new = NewDiscoveryDomain {
                domain: domain.clone(),
                status: flags.status.clone(),
                use_for_organization_discovery: flags.use_for_discovery,
            };
            let d = c.create_discovery_domain(&o.id, &new).await?;
            out.done(&d, format!("Added to {}: {}", o.name, txt_sentence(&d)))
        }
        DomainsCmd::Update {
            org,
            discovery_domain: domain,
            flags,
        } => {
            let update = DiscoveryDomainUpdate {
                status: flags.status.clone(),
                use_for_organization_discovery: flags.use_for_discovery,
            };
            if update == DiscoveryDomainUpdate::default() {
                return Err(CliError::Usage(
                    "nothing to change: give --status and/or --use-for-discovery".into(),
                ));
            }
            let o = c.resolve_organization(org).await?;
            let d = c.resolve_discovery_domain(&o.id, domain).await?;
            let d = c.update_discovery_domain(&o.id, &d.id, &update).await?;
            out.done(&d, format!("Updated in {}: {}", o.name, txt_sentence(&d)))
        }
        DomainsCmd::Remove {
            org,
            discovery_domain: domain,
        } => {
            let o = c.resolve_organization(org).await?;
            let d = c.resolve_discovery_domain(&o.id, domain).await?;
            c.delete_discovery_domain(&o.id, &d.id).await?;
            out.done(
                &serde_json::json!({"removed": d.domain, "id": d.id, "organization": o.id}),
                format!("Removed discovery domain {} from {}", d.domain, o.name),
            )
        }
    }
}
