//! Management API: an organization's client grants (`/organizations/{id}/client-grants`): the grants associated with
//! it (Machine-to-Machine Access for Organizations), listed (by audience, client or grant ids), associated by
//! `grant_id` and removed. Only a grant whose `organization_usage` is allow or require can be associated; that
//! refusal's message, and the 409 for an association that exists, are devtenant's own.

use super::*;
use crate::client_grants::ClientGrant;

/// `GET /organizations/{id}/client-grants` query; `grant_ids` is comma-separated.
#[derive(Debug, Deserialize)]
pub struct OrgGrantQuery {
    audience: Option<String>,
    client_id: Option<String>,
    grant_ids: Option<String>,
    page: Option<u32>,
    per_page: Option<u32>,
    #[serde(default)]
    include_totals: bool,
}

pub(super) async fn list_org_grants(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    Query(q): Query<OrgGrantQuery>,
) -> Result<Json<Value>, ApiError> {
    caller.require("read:organization_client_grants")?;
    let ids: Option<Vec<&str>> = q.grant_ids.as_deref().map(|s| s.split(',').collect());
    let items = read_org(&state, &id, |store, org| {
        Ok(store
            .client_grants
            .iter()
            .filter(|g| org.client_grants.contains(&g.id))
            .filter(|g| q.audience.as_ref().is_none_or(|a| &g.audience == a))
            .filter(|g| q.client_id.as_ref().is_none_or(|c| &g.client_id == c))
            .filter(|g| ids.as_ref().is_none_or(|ids| ids.contains(&g.id.as_str())))
            .map(ClientGrant::to_json)
            .collect::<Vec<_>>())
    })?;
    let paging = Paging {
        page: q.page,
        per_page: q.per_page,
        include_totals: q.include_totals,
        from: None,
        take: None,
    };
    Ok(Json(paginate(items, &paging, "client_grants", None)?))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AssociateBody {
    grant_id: String,
}

pub(super) async fn add_org_grant(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    Body(body): Body<AssociateBody>,
) -> Result<Response, ApiError> {
    caller.require("create:organization_client_grants")?;
    update_org(&state, &id, |t| {
        let grant = super::client_grants::grant(&t.store, &body.grant_id)?.clone();
        if !grant.usage().takes_organizations() {
            return Err(ApiError::bad_request(
                "invalid_body",
                format!(
                    "Client grant {} cannot be associated with an organization: its organization_usage is deny; set it to allow or require first (PATCH /api/v2/client-grants/{})",
                    grant.id, grant.id
                ),
            ));
        }
        let org = t.store.org_mut(&id).expect("checked");
        if org.client_grants.contains(&grant.id) {
            return Err(ApiError::conflict(
                "conflict",
                format!(
                    "Client grant {} is already associated with organization {id}",
                    grant.id
                ),
            ));
        }
        org.client_grants.push(grant.id.clone());
        Ok((StatusCode::CREATED, Json(grant.to_json())).into_response())
    })
}

pub(super) async fn remove_org_grant(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, grant_id)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    caller.require("delete:organization_client_grants")?;
    update_org(&state, &id, |t| {
        let org = t.store.org_mut(&id).expect("checked");
        let before = org.client_grants.len();
        org.client_grants.retain(|g| g != &grant_id);
        if org.client_grants.len() == before {
            return Err(ApiError::not_found(
                "inexistent_client_grant",
                format!("Client grant {grant_id} is not associated with organization {id}"),
            ));
        }
        Ok(StatusCode::NO_CONTENT)
    })
}
