//! Management API: the organizations themselves: create, list, get (by ID or name), update, delete.

use super::*;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateOrg {
    name: String,
    display_name: Option<String>,
    branding: Option<BrandingBody>,
    #[serde(default)]
    metadata: BTreeMap<String, Value>,
    #[serde(default)]
    enabled_connections: Vec<EnabledConnBody>,
}

pub(super) async fn create_org(
    State(state): State<AppState>,
    caller: Caller,
    Body(body): Body<CreateOrg>,
) -> Result<Response, ApiError> {
    caller.require("create:organizations")?;
    valid_org_name(&body.name)?;
    let display_name = body.display_name.unwrap_or_else(|| body.name.clone());
    valid_display_name(&display_name)?;
    let metadata = valid_metadata(&body.metadata)?;
    let branding = body
        .branding
        .map(|b| valid_branding(&state, b))
        .transpose()?;
    if body.enabled_connections.len() > 10 {
        return Err(invalid(
            "enabled_connections",
            "Array is too long (at most 10 connections)",
        ));
    }
    let mut t = state.lock();
    let enabled_connections = body
        .enabled_connections
        .into_iter()
        .map(|b| valid_enabled_conn(&t.store, b))
        .collect::<Result<Vec<_>, _>>()?;
    if t.store.org_by_name(&body.name).is_some() {
        return Err(org_name_taken());
    }
    let org = Organization {
        id: format!("org_{}", random_alnum(16)),
        name: body.name,
        display_name,
        branding,
        metadata,
        enabled_connections,
        members: Vec::new(),
        discovery_domains: Vec::new(),
        client_grants: Vec::new(),
    };
    let view = org_json(&state, &org);
    t.store.organizations.push(org);
    state.persist(&t);
    Ok((StatusCode::CREATED, Json(view)).into_response())
}

pub(super) async fn list_orgs(
    State(state): State<AppState>,
    caller: Caller,
    Query(paging): Query<Paging>,
) -> Result<Json<Value>, ApiError> {
    caller.require("read:organizations")?;
    let items: Vec<Value> = state
        .lock()
        .store
        .organizations
        .iter()
        .map(|o| org_json(&state, o))
        .collect();
    Ok(Json(paginate(
        items,
        &paging,
        "organizations",
        Some(id_key),
    )?))
}

pub(super) async fn get_org(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    caller.require("read:organizations")?;
    read_org(&state, &id, |_, o| Ok(Json(org_json(&state, o))))
}

pub(super) async fn get_org_by_name(
    State(state): State<AppState>,
    caller: Caller,
    Path(name): Path<String>,
) -> Result<Json<Value>, ApiError> {
    caller.require("read:organizations")?;
    let t = state.lock();
    t.store
        .org_by_name(&name)
        .map(|o| Json(org_json(&state, o)))
        .ok_or_else(ApiError::org_not_found)
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PatchOrg {
    name: Option<String>,
    display_name: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    branding: Option<Option<BrandingBody>>,
    #[serde(default, deserialize_with = "nullable")]
    metadata: Option<Option<BTreeMap<String, Value>>>,
}

/// Distinguishes an absent field (`None`) from an explicit `null` (`Some(None)`).
pub(super) fn nullable<'de, D: serde::Deserializer<'de>, T: Deserialize<'de>>(
    d: D,
) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(d).map(Some)
}

pub(super) async fn patch_org(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    Body(body): Body<PatchOrg>,
) -> Result<Json<Value>, ApiError> {
    caller.require("update:organizations")?;
    if let Some(n) = &body.name {
        valid_org_name(n)?;
    }
    if let Some(d) = &body.display_name {
        valid_display_name(d)?;
    }
    let branding = match body.branding {
        None => None,
        Some(None) => Some(None),
        Some(Some(b)) => Some(Some(valid_branding(&state, b)?)),
    };
    let metadata = match &body.metadata {
        None => None,
        Some(None) => Some(BTreeMap::new()),
        Some(Some(m)) => Some(valid_metadata(m)?),
    };
    update_org(&state, &id, |t| {
        if let Some(n) = &body.name
            && t.store
                .organizations
                .iter()
                .any(|o| &o.name == n && o.id != id)
        {
            return Err(org_name_taken());
        }
        let org = t.store.org_mut(&id).expect("checked");
        if let Some(n) = body.name {
            org.name = n;
        }
        if let Some(d) = body.display_name {
            org.display_name = d;
        }
        if let Some(b) = branding {
            org.branding = b;
        }
        if let Some(m) = metadata {
            org.metadata = m;
        }
        let view = org_json(&state, org);
        Ok(Json(view))
    })
}

pub(super) async fn delete_org(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    caller.require("delete:organizations")?;
    update_org(&state, &id, |t| {
        t.store.organizations.retain(|o| o.id != id);
        t.store.invitations.retain(|i| i.organization_id != id);
        Ok(StatusCode::NO_CONTENT)
    })
}
