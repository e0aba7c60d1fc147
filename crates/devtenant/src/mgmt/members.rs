//! Management API: an organization's members: list (paged), add, remove.

use super::*;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MembersBody {
    members: Vec<String>,
}

pub(super) async fn list_members(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    Query(paging): Query<Paging>,
) -> Result<Json<Value>, ApiError> {
    caller.require("read:organization_members")?;
    let items = read_org(&state, &id, |store, org| {
        Ok(org
            .members
            .iter()
            .filter_map(|uid| store.user(uid))
            .map(|u| json!({ "user_id": u.user_id, "email": u.email, "name": u.name, "picture": "" }))
            .collect::<Vec<_>>())
    })?;
    Ok(Json(paginate(
        items,
        &paging,
        "members",
        Some(user_id_key),
    )?))
}

pub(super) fn check_members_body(body: &MembersBody) -> Result<(), ApiError> {
    if body.members.is_empty() || body.members.len() > 10 {
        return Err(invalid(
            "members",
            "Array must contain between 1 and 10 user ids",
        ));
    }
    Ok(())
}

pub(super) async fn add_members(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    Body(body): Body<MembersBody>,
) -> Result<StatusCode, ApiError> {
    caller.require("create:organization_members")?;
    check_members_body(&body)?;
    update_org(&state, &id, |t| {
        if let Some(missing) = body.members.iter().find(|m| t.store.user(m).is_none()) {
            return Err(ApiError::not_found(
                "inexistent_user",
                format!("User {missing} does not exist"),
            ));
        }
        let org = t.store.org_mut(&id).expect("checked");
        for m in body.members {
            if !org.members.contains(&m) {
                org.members.push(m);
            }
        }
        Ok(StatusCode::NO_CONTENT)
    })
}

pub(super) async fn delete_members(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    Body(body): Body<MembersBody>,
) -> Result<StatusCode, ApiError> {
    caller.require("delete:organization_members")?;
    check_members_body(&body)?;
    update_org(&state, &id, |t| {
        t.store
            .org_mut(&id)
            .expect("checked")
            .members
            .retain(|m| !body.members.contains(m));
        Ok(StatusCode::NO_CONTENT)
    })
}
