//! The Management API's discovery domains of an organization (`/organizations/{id}/discovery-domains`): list,
//! get, create (never twice), update, delete.

use reqwest::Method;

use super::{found, org_path, seg};
use crate::http::{Bucket, Req};
use crate::model::{DiscoveryDomain, DiscoveryDomainUpdate, NewDiscoveryDomain};
use crate::validate::{self, ValidationError};
use crate::{AdminError, ManagementClient};

/// `organizations/{org_id}/discovery-domains/{domain_id}`, both checked.
fn domain_path(org_id: &str, domain_id: &str) -> Result<String, ValidationError> {
    let base = org_path(org_id, "/discovery-domains/")?;
    validate::discovery_domain_id(domain_id)?;
    Ok(format!("{base}{}", seg(domain_id)))
}

impl ManagementClient {
    /// An organization's discovery domains (checkpoint paging).
    pub async fn list_discovery_domains(
        &self,
        org_id: &str,
    ) -> Result<Vec<DiscoveryDomain>, AdminError> {
        self.checkpoint_all(
            Req::new(
                Method::GET,
                org_path(org_id, "/discovery-domains")?,
                Bucket::Other,
                "read:organization_discovery_domains",
                format!("listing discovery domains of organization {org_id}"),
            ),
            "domains",
        )
        .await
    }

    /// One discovery domain by id; `Ok(None)` when there is none.
    pub async fn get_discovery_domain(
        &self,
        org_id: &str,
        domain_id: &str,
    ) -> Result<Option<DiscoveryDomain>, AdminError> {
        let req = Req::new(
            Method::GET,
            domain_path(org_id, domain_id)?,
            Bucket::Other,
            "read:organization_discovery_domains",
            format!("discovery domain {domain_id} of organization {org_id}"),
        );
        found(self.call(req).await)
    }

    /// A discovery domain by id (`ordd_…`) or by the domain itself.
    pub async fn resolve_discovery_domain(
        &self,
        org_id: &str,
        id_or_domain: &str,
    ) -> Result<DiscoveryDomain, AdminError> {
        let not_found = || AdminError::NotFound {
            what: format!("discovery domain {id_or_domain} (organization {org_id})"),
            message: "the organization has no such discovery domain".into(),
            hint: "orgs domains list ORG",
        };
        if id_or_domain.starts_with("ordd_") {
            return self
                .get_discovery_domain(org_id, id_or_domain)
                .await?
                .ok_or_else(not_found);
        }
        let wanted = id_or_domain.to_ascii_lowercase();
        self.list_discovery_domains(org_id)
            .await?
            .into_iter()
            .find(|d| d.domain == wanted)
            .ok_or_else(not_found)
    }

    /// Adds a discovery domain, validated first. Never added twice: if the outcome is unknown, the organization's
    /// domains are looked up before anything is repeated.
    pub async fn create_discovery_domain(
        &self,
        org_id: &str,
        new: &NewDiscoveryDomain,
    ) -> Result<DiscoveryDomain, AdminError> {
        new.validate()?;
        let req = Req::new(
            Method::POST,
            org_path(org_id, "/discovery-domains")?,
            Bucket::Other,
            "create:organization_discovery_domains",
            format!(
                "adding discovery domain {} to organization {org_id}",
                new.domain
            ),
        )
        .hint("orgs domains list ORG")
        .json(new);
        let wanted = new.domain.to_ascii_lowercase();
        self.create_once(
            req,
            || async {
                Ok::<_, AdminError>(
                    self.list_discovery_domains(org_id)
                        .await?
                        .into_iter()
                        .find(|d| d.domain == wanted),
                )
            },
            false,
        )
        .await
    }

    /// Changes a discovery domain's status or whether it is used for discovery.
    pub async fn update_discovery_domain(
        &self,
        org_id: &str,
        domain_id: &str,
        update: &DiscoveryDomainUpdate,
    ) -> Result<DiscoveryDomain, AdminError> {
        if let Some(s) = &update.status {
            validate::domain_status(s)?;
        }
        let req = Req::new(
            Method::PATCH,
            domain_path(org_id, domain_id)?,
            Bucket::Other,
            "update:organization_discovery_domains",
            format!("updating discovery domain {domain_id} of organization {org_id}"),
        )
        .hint("orgs domains list ORG")
        .json(update);
        self.call(req).await
    }

    /// Removes a discovery domain.
    pub async fn delete_discovery_domain(
        &self,
        org_id: &str,
        domain_id: &str,
    ) -> Result<(), AdminError> {
        let req = Req::new(
            Method::DELETE,
            domain_path(org_id, domain_id)?,
            Bucket::Other,
            "delete:organization_discovery_domains",
            format!("removing discovery domain {domain_id} of organization {org_id}"),
        )
        .hint("orgs domains list ORG");
        self.call_empty(req).await
    }
}
