//! Management API: client grants (`/client-grants`): list (by audience, client or `allow_any_organization`), create
//! (one per client and audience), update (scope, `organization_usage`, `allow_any_organization`) and delete (which
//! also ends its organizations' associations).
//!
//! Grants on the Management API itself are each client's `management_api_scopes` in devtenant and are not listed
//! or managed here; the messages for an unknown client, API or scope are devtenant's own.

use super::*;
use crate::client_grants::{ClientGrant, OrgUsage};

/// `GET /client-grants` query (paging spelled out, see [`ConnectionQuery`]).
#[derive(Debug, Deserialize)]
pub struct GrantQuery {
    audience: Option<String>,
    client_id: Option<String>,
    allow_any_organization: Option<bool>,
    page: Option<u32>,
    per_page: Option<u32>,
    #[serde(default)]
    include_totals: bool,
    from: Option<String>,
    take: Option<u32>,
}

pub(super) async fn list_grants(
    State(state): State<AppState>,
    caller: Caller,
    Query(q): Query<GrantQuery>,
) -> Result<Json<Value>, ApiError> {
    caller.require("read:client_grants")?;
    let items: Vec<Value> = state
        .lock()
        .store
        .client_grants
        .iter()
        .filter(|g| q.audience.as_ref().is_none_or(|a| &g.audience == a))
        .filter(|g| q.client_id.as_ref().is_none_or(|c| &g.client_id == c))
        .filter(|g| {
            q.allow_any_organization
                .is_none_or(|a| g.any_organization() == a)
        })
        .map(ClientGrant::to_json)
        .collect();
    let paging = Paging {
        page: q.page,
        per_page: q.per_page,
        include_totals: q.include_totals,
        from: q.from,
        take: q.take,
    };
    Ok(Json(paginate(
        items,
        &paging,
        "client_grants",
        Some(id_key),
    )?))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewGrantBody {
    client_id: String,
    audience: String,
    #[serde(default)]
    scope: Vec<String>,
    organization_usage: Option<String>,
    allow_any_organization: Option<bool>,
}

pub(super) async fn create_grant(
    State(state): State<AppState>,
    caller: Caller,
    Body(body): Body<NewGrantBody>,
) -> Result<Response, ApiError> {
    caller.require("create:client_grants")?;
    let usage = usage(body.organization_usage.as_deref())?;
    let mut t = state.lock();
    if t.store.client(&body.client_id).is_none() {
        return Err(ApiError::not_found(
            "inexistent_client",
            format!("No client found with id {}", body.client_id),
        ));
    }
    if state.is_management_audience(&body.audience) {
        return Err(ApiError::bad_request(
            "invalid_body",
            "devtenant keeps grants on the Management API in the seed (the client's management_api_scopes); grant another API here",
        ));
    }
    check_scopes(&t.store, &body.audience, &body.scope)?;
    if t.store.grant_for(&body.client_id, &body.audience).is_some() {
        return Err(ApiError::conflict(
            "conflict",
            format!(
                "A client grant for client {} and audience {} already exists; update that one instead",
                body.client_id, body.audience
            ),
        ));
    }
    let grant = ClientGrant {
        id: ClientGrant::new_id(),
        client_id: body.client_id,
        audience: body.audience,
        scope: body.scope,
        organization_usage: usage,
        allow_any_organization: body.allow_any_organization,
    };
    let view = grant.to_json();
    t.store.client_grants.push(grant);
    state.persist(&t);
    Ok((StatusCode::CREATED, Json(view)).into_response())
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PatchGrantBody {
    scope: Option<Vec<String>>,
    organization_usage: Option<String>,
    allow_any_organization: Option<bool>,
}

pub(super) async fn patch_grant(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    Body(body): Body<PatchGrantBody>,
) -> Result<Json<Value>, ApiError> {
    caller.require("update:client_grants")?;
    let usage = usage(body.organization_usage.as_deref())?;
    let mut t = state.lock();
    let audience = grant(&t.store, &id)?.audience.clone();
    if let Some(scope) = &body.scope {
        check_scopes(&t.store, &audience, scope)?;
    }
    let g = t
        .store
        .client_grants
        .iter_mut()
        .find(|g| g.id == id)
        .expect("checked");
    if let Some(scope) = body.scope {
        g.scope = scope;
    }
    if usage.is_some() {
        g.organization_usage = usage;
    }
    if body.allow_any_organization.is_some() {
        g.allow_any_organization = body.allow_any_organization;
    }
    let view = g.to_json();
    state.persist(&t);
    Ok(Json(view))
}

pub(super) async fn delete_grant(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    caller.require("delete:client_grants")?;
    let mut t = state.lock();
    grant(&t.store, &id)?;
    t.store.client_grants.retain(|g| g.id != id);
    for org in &mut t.store.organizations {
        org.client_grants.retain(|g| g != &id);
    }
    state.persist(&t);
    Ok(StatusCode::NO_CONTENT)
}

/// The grant `id`, or 404.
pub(super) fn grant<'a>(store: &'a Store, id: &str) -> Result<&'a ClientGrant, ApiError> {
    store
        .client_grants
        .iter()
        .find(|g| g.id == id)
        .ok_or_else(|| {
            ApiError::not_found(
                "inexistent_client_grant",
                format!("No client grant found with id {id}"),
            )
        })
}

fn usage(value: Option<&str>) -> Result<Option<OrgUsage>, ApiError> {
    one_of("organization_usage", value, OrgUsage::VALUES)?;
    Ok(value.and_then(OrgUsage::parse))
}

/// 404 for an audience that is no API of the tenant; 400 for a scope the API does not define (an API without
/// scopes takes any).
fn check_scopes(store: &Store, audience: &str, scope: &[String]) -> Result<(), ApiError> {
    let api = store
        .apis
        .iter()
        .find(|a| a.identifier == audience)
        .ok_or_else(|| {
            ApiError::not_found(
                "inexistent_resource_server",
                format!("No resource server found with identifier {audience}"),
            )
        })?;
    match scope
        .iter()
        .find(|s| !api.scopes.is_empty() && !api.scopes.contains(s))
    {
        Some(s) => Err(invalid(
            "scope",
            &format!(
                "{s} is not a scope of {audience}; its scopes are {}",
                api.scopes.join(", ")
            ),
        )),
        None => Ok(()),
    }
}
