//! The Management API's client grants (`/client-grants`: list, find by application and API, create (never twice),
//! update, delete) and the grants associated with an organization (`/organizations/{id}/client-grants`: list,
//! associate (never twice), remove).

use reqwest::Method;

use super::{org_path, seg};
use crate::http::{Bucket, Req};
use crate::model::{ClientGrant, ClientGrantUpdate, NewClientGrant};
use crate::validate::{self, ValidationError};
use crate::{AdminError, ManagementClient};

/// `client-grants/{grant_id}`, checked.
fn grant_path(grant_id: &str) -> Result<String, ValidationError> {
    validate::grant_id(grant_id)?;
    Ok(format!("client-grants/{}", seg(grant_id)))
}

/// `organizations/{org_id}/client-grants/{grant_id}`, both checked.
fn org_grant_path(org_id: &str, grant_id: &str) -> Result<String, ValidationError> {
    let base = org_path(org_id, "/client-grants/")?;
    validate::grant_id(grant_id)?;
    Ok(format!("{base}{}", seg(grant_id)))
}

impl ManagementClient {
    /// The tenant's client grants, optionally of one application and/or one API (offset paging).
    pub async fn list_client_grants(
        &self,
        client_id: Option<&str>,
        audience: Option<&str>,
    ) -> Result<Vec<ClientGrant>, AdminError> {
        let mut list = Req::new(
            Method::GET,
            "client-grants",
            Bucket::Other,
            "read:client_grants",
            "listing client grants",
        );
        if let Some(c) = client_id {
            validate::client_id(c)?;
            list = list.query("client_id", c);
        }
        if let Some(a) = audience {
            list = list.query("audience", a);
        }
        self.offset_all(list, "client_grants").await
    }

    /// The client-credentials grant of `client_id` on `audience` (there is at most one); `Ok(None)` when there is
    /// none. A grant for the application's users (`subject_type` `user`) on the same API is another thing and is
    /// never taken for it.
    pub async fn find_client_grant(
        &self,
        client_id: &str,
        audience: &str,
    ) -> Result<Option<ClientGrant>, AdminError> {
        Ok(self
            .list_client_grants(Some(client_id), Some(audience))
            .await?
            .into_iter()
            .find(|g| {
                g.client_id == client_id && g.audience == audience && g.is_client_credentials()
            }))
    }

    /// `POST /client-grants`, validated first. Never created twice: if the outcome is unknown, the grant is looked
    /// up by application and API before anything is repeated.
    pub async fn create_client_grant(
        &self,
        new: &NewClientGrant,
    ) -> Result<ClientGrant, AdminError> {
        new.validate()?;
        let req = Req::new(
            Method::POST,
            "client-grants",
            Bucket::Other,
            "create:client_grants",
            format!(
                "creating the client grant of {} on {}",
                new.client_id, new.audience
            ),
        )
        .hint("grants list")
        .json(new);
        self.create_once(
            req,
            || self.find_client_grant(&new.client_id, &new.audience),
            false,
        )
        .await
    }

    /// `PATCH /client-grants/{id}`, validated first.
    pub async fn update_client_grant(
        &self,
        grant_id: &str,
        update: &ClientGrantUpdate,
    ) -> Result<ClientGrant, AdminError> {
        update.validate()?;
        let req = Req::new(
            Method::PATCH,
            grant_path(grant_id)?,
            Bucket::Other,
            "update:client_grants",
            format!("updating client grant {grant_id}"),
        )
        .hint("grants list")
        .json(update);
        self.call(req).await
    }

    /// `DELETE /client-grants/{id}` (the tenant also ends its organizations' associations).
    pub async fn delete_client_grant(&self, grant_id: &str) -> Result<(), AdminError> {
        let req = Req::new(
            Method::DELETE,
            grant_path(grant_id)?,
            Bucket::Other,
            "delete:client_grants",
            format!("deleting client grant {grant_id}"),
        )
        .hint("grants list");
        self.call_empty(req).await
    }

    /// The client grants associated with an organization (offset paging).
    pub async fn list_organization_client_grants(
        &self,
        org_id: &str,
    ) -> Result<Vec<ClientGrant>, AdminError> {
        self.offset_all(
            Req::new(
                Method::GET,
                org_path(org_id, "/client-grants")?,
                Bucket::Other,
                "read:organization_client_grants",
                format!("listing client grants of organization {org_id}"),
            ),
            "client_grants",
        )
        .await
    }

    /// Associates a client grant with an organization, so its application gets tokens for that organization. If
    /// the outcome is unknown, the organization's grants are looked up before anything is repeated.
    pub async fn associate_client_grant(
        &self,
        org_id: &str,
        grant_id: &str,
    ) -> Result<ClientGrant, AdminError> {
        validate::grant_id(grant_id)?;
        let req = Req::new(
            Method::POST,
            org_path(org_id, "/client-grants")?,
            Bucket::Other,
            "create:organization_client_grants",
            format!("associating client grant {grant_id} with organization {org_id}"),
        )
        .hint("grants list")
        .json(&serde_json::json!({ "grant_id": grant_id }));
        let lookup = || async {
            Ok(self
                .list_organization_client_grants(org_id)
                .await?
                .into_iter()
                .find(|g| g.id == grant_id))
        };
        self.create_once(req, lookup, false).await
    }

    /// Ends a client grant's association with an organization.
    pub async fn remove_organization_client_grant(
        &self,
        org_id: &str,
        grant_id: &str,
    ) -> Result<(), AdminError> {
        let req = Req::new(
            Method::DELETE,
            org_grant_path(org_id, grant_id)?,
            Bucket::Other,
            "delete:organization_client_grants",
            format!("removing client grant {grant_id} from organization {org_id}"),
        )
        .hint("orgs grants list ORG");
        self.call_empty(req).await
    }
}
