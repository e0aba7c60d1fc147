//! The Management API endpoints orgpass-admin uses: organizations, their connections, members, invitations and
//! discovery domains (`domains.rs`), the tenant's connections, applications (`clients.rs`) and client grants
//! with their organizations (`client_grants.rs`). Paging (offset and checkpoint) is followed to
//! the end.

mod client_grants;
mod clients;
mod domains;

use reqwest::Method;
use serde::Deserialize;
use serde::de::DeserializeOwned;

use crate::http::{Bucket, Req};
use crate::model::*;
use crate::tenant::seg;
use crate::validate::{self, ValidationError};
use crate::{AdminError, ManagementClient};

/// Page size for listing (Auth0's maximum for `per_page` and `take`).
pub const PAGE_SIZE: u32 = 100;

/// One page of a checkpoint-paged list: `{"organizations": [...], "next": "cursor"}`.
#[derive(Deserialize)]
struct Checkpoint {
    #[serde(default)]
    next: Option<String>,
    #[serde(flatten)]
    rest: serde_json::Map<String, serde_json::Value>,
}

/// Items of a list answer that is either a bare array or `{key: [...], total?}`.
fn items<T: DeserializeOwned>(
    v: serde_json::Value,
    key: &str,
    what: &str,
) -> Result<(Vec<T>, Option<u64>), AdminError> {
    let decode = |e: serde_json::Error| AdminError::Decode {
        what: what.to_owned(),
        cause: e.to_string(),
    };
    match v {
        serde_json::Value::Array(_) => Ok((serde_json::from_value(v).map_err(decode)?, None)),
        serde_json::Value::Object(mut m) => {
            let total = m.get("total").and_then(|t| t.as_u64());
            let list = m.remove(key).unwrap_or(serde_json::Value::Array(vec![]));
            Ok((serde_json::from_value(list).map_err(decode)?, total))
        }
        _ => Err(AdminError::Decode {
            what: what.to_owned(),
            cause: format!("expected a list of {key}"),
        }),
    }
}

/// `Ok(None)` when the tenant answered 404, the value otherwise.
fn found<T>(r: Result<T, AdminError>) -> Result<Option<T>, AdminError> {
    match r {
        Ok(v) => Ok(Some(v)),
        Err(AdminError::NotFound { .. }) => Ok(None),
        Err(e) => Err(e),
    }
}

/// `organizations/{org_id}` followed by `tail` (`""`, `"/members"`, …), once the id is checked (see
/// [`validate::org_id`]): escaping alone would leave `..` and `.`, which the URL parser takes as dot segments and
/// which would rewrite the path. Every path with an id in it is built here or by the functions below.
fn org_path(org_id: &str, tail: &'static str) -> Result<String, ValidationError> {
    validate::org_id(org_id)?;
    Ok(format!("organizations/{}{tail}", seg(org_id)))
}

/// `organizations/{org_id}/enabled_connections/{connection_id}`, both checked.
fn enabled_connection_path(org_id: &str, connection_id: &str) -> Result<String, ValidationError> {
    let base = org_path(org_id, "/enabled_connections/")?;
    validate::connection_id(connection_id)?;
    Ok(format!("{base}{}", seg(connection_id)))
}

/// `organizations/{org_id}/invitations/{invitation_id}`, both checked.
fn invitation_path(org_id: &str, invitation_id: &str) -> Result<String, ValidationError> {
    let base = org_path(org_id, "/invitations/")?;
    validate::invitation_id(invitation_id)?;
    Ok(format!("{base}{}", seg(invitation_id)))
}

/// Every user id of a members request, checked before the first chunk is sent.
fn check_user_ids(ids: &[String]) -> Result<(), ValidationError> {
    ids.iter().try_for_each(|id| validate::user_id(id))
}

/// `GET /organizations`, without paging.
fn organizations_list() -> Req {
    Req::new(
        Method::GET,
        "organizations",
        Bucket::ReadOrganizations,
        "read:organizations",
        "listing organizations",
    )
}

impl ManagementClient {
    /// Sends a create (`req`, not idempotent) at most once per attempt: when its outcome is unknown, `lookup` is
    /// asked whether it happened, and only if not is it sent again after a backoff step. `count_retry` counts such
    /// repeats in [`crate::http::Stats::retried`].
    async fn create_once<T, F, Fut>(
        &self,
        req: Req,
        lookup: F,
        count_retry: bool,
    ) -> Result<T, AdminError>
    where
        T: DeserializeOwned,
        F: Fn() -> Fut,
        Fut: std::future::Future<Output = Result<Option<T>, AdminError>>,
    {
        let mut attempt = 0;
        loop {
            attempt += 1;
            match self.call(req.clone()).await {
                Err(AdminError::Ambiguous { what, cause }) => {
                    tracing::debug!(%what, %cause, "create outcome unknown; looking it up");
                    if let Some(found) = lookup().await? {
                        return Ok(found);
                    }
                    if attempt >= self.inner.retry.max_attempts {
                        return Err(AdminError::Transport { what, cause });
                    }
                    if count_retry {
                        self.inner
                            .stats
                            .retried
                            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    }
                    self.backoff_sleep(attempt).await;
                }
                other => return other,
            }
        }
    }

    /// Follows checkpoint paging (`take`/`from`) to the end; works past 1000 results, unlike page/per_page.
    /// `list` is the GET without paging; `key` names the array in each page.
    async fn checkpoint_all<T: DeserializeOwned>(
        &self,
        list: Req,
        key: &'static str,
    ) -> Result<Vec<T>, AdminError> {
        let mut out = Vec::new();
        let mut from: Option<String> = None;
        loop {
            let mut req = list.clone().query("take", PAGE_SIZE);
            if let Some(f) = &from {
                req = req.query("from", f);
            }
            let page: Checkpoint = self.call(req).await?;
            let (batch, _) = items::<T>(serde_json::Value::Object(page.rest), key, &list.what)?;
            let n = batch.len();
            out.extend(batch);
            match page.next {
                Some(next) if !next.is_empty() && n > 0 => from = Some(next),
                _ => return Ok(out),
            }
        }
    }

    /// One offset page (`page`, `per_page`, `include_totals=true`) of `list`: its items and the total, if sent.
    async fn offset_page<T: DeserializeOwned>(
        &self,
        list: &Req,
        key: &'static str,
        page: u32,
        per_page: u32,
    ) -> Result<(Vec<T>, Option<u64>), AdminError> {
        let mut req = list.clone();
        let extra = std::mem::take(&mut req.query);
        req = req
            .query("page", page)
            .query("per_page", per_page)
            .query("include_totals", "true");
        req.query.extend(extra);
        let v: serde_json::Value = self.call(req).await?;
        items::<T>(v, key, &list.what)
    }

    /// Follows offset paging (`page`/`per_page`/`include_totals`) to the end (Auth0 caps this at 1000 results).
    async fn offset_all<T: DeserializeOwned>(
        &self,
        list: Req,
        key: &'static str,
    ) -> Result<Vec<T>, AdminError> {
        let mut out: Vec<T> = Vec::new();
        for page in 0u32.. {
            let (batch, total) = self.offset_page::<T>(&list, key, page, PAGE_SIZE).await?;
            let n = batch.len();
            out.extend(batch);
            let done = n < PAGE_SIZE as usize || total.is_some_and(|t| out.len() as u64 >= t);
            if done {
                break;
            }
        }
        Ok(out)
    }

    // ---------------------------------------------------------------- organizations

    /// Every organization (checkpoint paging, so past 1000 too).
    pub async fn list_organizations(&self) -> Result<Vec<Organization>, AdminError> {
        self.checkpoint_all(organizations_list(), "organizations")
            .await
    }

    /// One page of organizations (offset paging; Auth0 refuses pages past 1000 results with `invalid_paging`).
    pub async fn list_organizations_page(
        &self,
        page: u32,
        per_page: u32,
    ) -> Result<Vec<Organization>, AdminError> {
        let (orgs, _) = self
            .offset_page(&organizations_list(), "organizations", page, per_page)
            .await?;
        Ok(orgs)
    }

    /// `GET /organizations/{id}`.
    pub async fn get_organization(&self, id: &str) -> Result<Organization, AdminError> {
        let req = Req::new(
            Method::GET,
            org_path(id, "")?,
            Bucket::ReadOrganizationById,
            "read:organizations",
            format!("organization {id}"),
        );
        self.call(req).await
    }

    /// `GET /organizations/name/{name}`; `Ok(None)` when there is none.
    pub async fn find_organization_by_name(
        &self,
        name: &str,
    ) -> Result<Option<Organization>, AdminError> {
        validate::org_name(name)?;
        let req = Req::new(
            Method::GET,
            format!("organizations/name/{}", seg(name)),
            Bucket::ReadOrganizationByName,
            "read:organizations",
            format!("organization {name}"),
        );
        found(self.call(req).await)
    }

    /// An organization by id (anything starting with `org_`, checked by [`validate::org_id`]) or else by name
    /// (checked by [`validate::org_name`]).
    pub async fn resolve_organization(&self, id_or_name: &str) -> Result<Organization, AdminError> {
        if id_or_name.starts_with("org_") {
            return self.get_organization(id_or_name).await;
        }
        self.find_organization_by_name(id_or_name)
            .await?
            .ok_or_else(|| AdminError::NotFound {
                what: format!("organization {id_or_name}"),
                message: "no organization has this name or id".into(),
                hint: "orgs list",
            })
    }

    /// `POST /organizations`, validated first. Never created twice: if the outcome of the request is unknown
    /// (timeout, reset, 5xx), the organization is looked up by name before anything is repeated.
    pub async fn create_organization(
        &self,
        new: &NewOrganization,
    ) -> Result<Organization, AdminError> {
        new.validate(&self.inner.tenant)?;
        let req = Req::new(
            Method::POST,
            "organizations",
            Bucket::WriteOrganizations,
            "create:organizations",
            format!("creating organization {}", new.name),
        )
        .json(new);
        self.create_once(req, || self.find_organization_by_name(&new.name), true)
            .await
    }

    /// `PATCH /organizations/{id}`, validated first.
    pub async fn update_organization(
        &self,
        id: &str,
        update: &OrganizationUpdate,
    ) -> Result<Organization, AdminError> {
        update.validate(&self.inner.tenant)?;
        let req = Req::new(
            Method::PATCH,
            org_path(id, "")?,
            Bucket::WriteOrganizations,
            "update:organizations",
            format!("updating organization {id}"),
        )
        .json(update);
        self.call(req).await
    }

    /// `DELETE /organizations/{id}`.
    pub async fn delete_organization(&self, id: &str) -> Result<(), AdminError> {
        let req = Req::new(
            Method::DELETE,
            org_path(id, "")?,
            Bucket::WriteOrganizations,
            "delete:organizations",
            format!("deleting organization {id}"),
        );
        self.call_empty(req).await
    }

    // ---------------------------------------------------------------- connections

    /// The tenant's connections, optionally only one strategy (`auth0`, `google-oauth2`, `samlp`, …).
    pub async fn list_connections(
        &self,
        strategy: Option<&str>,
    ) -> Result<Vec<Connection>, AdminError> {
        let mut list = Req::new(
            Method::GET,
            "connections",
            Bucket::ReadConnections,
            "read:connections",
            "listing connections",
        );
        if let Some(s) = strategy {
            list = list.query("strategy", s);
        }
        self.offset_all(list, "connections").await
    }

    /// All connections, fetched once per client.
    pub async fn connections_cached(&self) -> Result<&[Connection], AdminError> {
        self.inner
            .connections
            .get_or_try_init(|| self.list_connections(None))
            .await
            .map(Vec::as_slice)
    }

    /// A connection by id (`con_…`) or name.
    pub async fn resolve_connection(&self, id_or_name: &str) -> Result<Connection, AdminError> {
        let all = self.connections_cached().await?;
        all.iter()
            .find(|c| c.id == id_or_name || c.name == id_or_name)
            .cloned()
            .ok_or_else(|| AdminError::NotFound {
                what: format!("connection {id_or_name}"),
                message: "no connection has this name or id".into(),
                hint: "connections list",
            })
    }

    // ---------------------------------------------------------------- organization connections

    /// The connections enabled for an organization.
    pub async fn list_enabled_connections(
        &self,
        org_id: &str,
    ) -> Result<Vec<EnabledConnection>, AdminError> {
        self.offset_all(
            Req::new(
                Method::GET,
                org_path(org_id, "/enabled_connections")?,
                Bucket::ReadOrganizationConnections,
                "read:organization_connections",
                format!("listing connections of organization {org_id}"),
            ),
            "enabled_connections",
        )
        .await
    }

    /// One enabled connection; `Ok(None)` when it is not enabled.
    pub async fn get_enabled_connection(
        &self,
        org_id: &str,
        connection_id: &str,
    ) -> Result<Option<EnabledConnection>, AdminError> {
        let req = Req::new(
            Method::GET,
            enabled_connection_path(org_id, connection_id)?,
            Bucket::ReadOrganizationConnections,
            "read:organization_connections",
            format!("connection {connection_id} of organization {org_id}"),
        );
        found(self.call(req).await)
    }

    /// Enables a connection for an organization. If the outcome is unknown, it is looked up before repeating.
    pub async fn enable_connection(
        &self,
        org_id: &str,
        settings: &ConnectionSettings,
    ) -> Result<EnabledConnection, AdminError> {
        // Checked here, not only in the lookup's path: the create must not go out with an id the lookup refuses.
        validate::connection_id(&settings.connection_id)?;
        validate::connection_flags(
            &settings.connection_id,
            settings.assign_membership_on_login,
            settings.is_signup_enabled,
        )?;
        let req = Req::new(
            Method::POST,
            org_path(org_id, "/enabled_connections")?,
            Bucket::WriteOrganizationConnections,
            "create:organization_connections",
            format!(
                "enabling connection {} for organization {org_id}",
                settings.connection_id
            ),
        )
        .hint("connections list")
        .json(settings);
        self.create_once(
            req,
            || self.get_enabled_connection(org_id, &settings.connection_id),
            false,
        )
        .await
    }

    /// Changes an enabled connection's settings.
    pub async fn update_enabled_connection(
        &self,
        org_id: &str,
        connection_id: &str,
        update: &ConnectionSettingsUpdate,
    ) -> Result<EnabledConnection, AdminError> {
        if let Some(assign) = update.assign_membership_on_login {
            validate::connection_flags(connection_id, assign, update.is_signup_enabled)?;
        }
        let req = Req::new(
            Method::PATCH,
            enabled_connection_path(org_id, connection_id)?,
            Bucket::WriteOrganizationConnections,
            "update:organization_connections",
            format!("updating connection {connection_id} of organization {org_id}"),
        )
        .hint("orgs connections list ORG")
        .json(update);
        self.call(req).await
    }

    /// Disables a connection for an organization.
    pub async fn disable_connection(
        &self,
        org_id: &str,
        connection_id: &str,
    ) -> Result<(), AdminError> {
        let req = Req::new(
            Method::DELETE,
            enabled_connection_path(org_id, connection_id)?,
            Bucket::WriteOrganizationConnections,
            "delete:organization_connections",
            format!("disabling connection {connection_id} of organization {org_id}"),
        )
        .hint("orgs connections list ORG");
        self.call_empty(req).await
    }

    // ---------------------------------------------------------------- members

    /// An organization's members (checkpoint paging).
    pub async fn list_members(&self, org_id: &str) -> Result<Vec<Member>, AdminError> {
        self.checkpoint_all(
            Req::new(
                Method::GET,
                org_path(org_id, "/members")?,
                Bucket::ReadOrganizationMembers,
                "read:organization_members",
                format!("listing members of organization {org_id}"),
            ),
            "members",
        )
        .await
    }

    /// Adds users (by `user_id`) as members. Adding an existing member is a no-op, so this is safe to repeat.
    pub async fn add_members(&self, org_id: &str, user_ids: &[String]) -> Result<(), AdminError> {
        let path = org_path(org_id, "/members")?;
        check_user_ids(user_ids)?;
        for chunk in user_ids.chunks(10) {
            let req = Req::new(
                Method::POST,
                path.clone(),
                Bucket::WriteOrganizationMembers,
                "create:organization_members",
                format!("adding members to organization {org_id}"),
            )
            .idempotent()
            .json(&serde_json::json!({ "members": chunk }));
            self.call_empty(req).await?;
        }
        Ok(())
    }

    /// Removes members.
    pub async fn remove_members(
        &self,
        org_id: &str,
        user_ids: &[String],
    ) -> Result<(), AdminError> {
        let path = org_path(org_id, "/members")?;
        check_user_ids(user_ids)?;
        for chunk in user_ids.chunks(10) {
            let req = Req::new(
                Method::DELETE,
                path.clone(),
                Bucket::WriteOrganizationMembers,
                "delete:organization_members",
                format!("removing members from organization {org_id}"),
            )
            .json(&serde_json::json!({ "members": chunk }));
            self.call_empty(req).await?;
        }
        Ok(())
    }

    // ---------------------------------------------------------------- invitations

    /// Creates an invitation. Never repeated blindly: an unknown outcome is reported as [`AdminError::Ambiguous`].
    pub async fn create_invitation(
        &self,
        org_id: &str,
        inv: &NewInvitation,
    ) -> Result<Invitation, AdminError> {
        inv.validate()?;
        let req = Req::new(
            Method::POST,
            org_path(org_id, "/invitations")?,
            Bucket::Other,
            "create:organization_invitations",
            format!("inviting {} to organization {org_id}", inv.invitee.email),
        )
        .json(inv);
        self.call(req).await
    }

    /// An organization's pending invitations.
    pub async fn list_invitations(&self, org_id: &str) -> Result<Vec<Invitation>, AdminError> {
        self.offset_all(
            Req::new(
                Method::GET,
                org_path(org_id, "/invitations")?,
                Bucket::Other,
                "read:organization_invitations",
                format!("listing invitations of organization {org_id}"),
            ),
            "invitations",
        )
        .await
    }

    /// Revokes (deletes) an invitation.
    pub async fn revoke_invitation(
        &self,
        org_id: &str,
        invitation_id: &str,
    ) -> Result<(), AdminError> {
        let req = Req::new(
            Method::DELETE,
            invitation_path(org_id, invitation_id)?,
            Bucket::Other,
            "delete:organization_invitations",
            format!("revoking invitation {invitation_id} of organization {org_id}"),
        )
        .hint("orgs invitations list ORG");
        self.call_empty(req).await
    }
}
