//! Management API: an organization's enabled connections: list, add, get, update, remove.

use super::*;

pub(super) async fn list_org_conns(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    Query(paging): Query<Paging>,
) -> Result<Json<Value>, ApiError> {
    caller.require("read:organization_connections")?;
    let items = read_org(&state, &id, |store, org| {
        Ok(org
            .enabled_connections
            .iter()
            .map(|ec| enabled_conn_json(store, ec))
            .collect::<Vec<_>>())
    })?;
    Ok(Json(paginate(items, &paging, "enabled_connections", None)?))
}

pub(super) async fn add_org_conn(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    Body(body): Body<EnabledConnBody>,
) -> Result<Response, ApiError> {
    caller.require("create:organization_connections")?;
    update_org(&state, &id, |t| {
        let ec = valid_enabled_conn(&t.store, body)?;
        let org = t.store.org(&id).expect("checked");
        if org
            .enabled_connections
            .iter()
            .any(|e| e.connection_id == ec.connection_id)
        {
            return Err(ApiError::conflict(
                "conflict",
                "The connection is already enabled for this organization.",
            ));
        }
        if org.enabled_connections.len() >= 10 {
            return Err(ApiError::bad_request(
                "too_many_connections",
                "An organization can have at most 10 enabled connections.",
            ));
        }
        let view = enabled_conn_json(&t.store, &ec);
        t.store
            .org_mut(&id)
            .expect("checked")
            .enabled_connections
            .push(ec);
        Ok((StatusCode::CREATED, Json(view)).into_response())
    })
}

pub(super) fn conn_not_enabled() -> ApiError {
    ApiError::not_found(
        "inexistent_connection",
        "The connection is not enabled for this organization.",
    )
}

pub(super) async fn get_org_conn(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, conn)): Path<(String, String)>,
) -> Result<Json<Value>, ApiError> {
    caller.require("read:organization_connections")?;
    read_org(&state, &id, |store, org| {
        let ec = org
            .enabled_connections
            .iter()
            .find(|e| e.connection_id == conn)
            .ok_or_else(conn_not_enabled)?;
        Ok(Json(enabled_conn_json(store, ec)))
    })
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PatchEnabledConn {
    assign_membership_on_login: Option<bool>,
    is_signup_enabled: Option<bool>,
    show_as_button: Option<bool>,
}

pub(super) async fn patch_org_conn(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, conn)): Path<(String, String)>,
    Body(body): Body<PatchEnabledConn>,
) -> Result<Json<Value>, ApiError> {
    caller.require("update:organization_connections")?;
    update_org(&state, &id, |t| {
        let is_db = t.store.connection(&conn).is_some_and(|c| c.is_database());
        let org = t.store.org_mut(&id).expect("checked");
        let ec = org
            .enabled_connections
            .iter_mut()
            .find(|e| e.connection_id == conn)
            .ok_or_else(conn_not_enabled)?;
        let assign = body
            .assign_membership_on_login
            .unwrap_or(ec.assign_membership_on_login);
        let signup = body.is_signup_enabled.unwrap_or(ec.is_signup_enabled);
        check_signup(is_db, assign, signup)?;
        ec.assign_membership_on_login = assign;
        ec.is_signup_enabled = signup;
        if let Some(b) = body.show_as_button {
            ec.show_as_button = b;
        }
        let ec = ec.clone();
        let view = enabled_conn_json(&t.store, &ec);
        Ok(Json(view))
    })
}

pub(super) async fn delete_org_conn(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, conn)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    caller.require("delete:organization_connections")?;
    update_org(&state, &id, |t| {
        let org = t.store.org_mut(&id).expect("checked");
        let before = org.enabled_connections.len();
        org.enabled_connections.retain(|e| e.connection_id != conn);
        if org.enabled_connections.len() == before {
            return Err(conn_not_enabled());
        }
        Ok(StatusCode::NO_CONTENT)
    })
}
