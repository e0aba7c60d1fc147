//! Management API: an organization's invitations: create (with the ticket URL Auth0 sends), list, get, delete.

use super::*;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateInvitation {
    inviter: InviterBody,
    invitee: InviteeBody,
    client_id: String,
    connection_id: Option<String>,
    ttl_sec: Option<i64>,
    #[serde(default)]
    roles: Vec<String>,
    #[serde(default)]
    send_invitation_email: Option<bool>,
    #[serde(default)]
    app_metadata: Option<Value>,
    #[serde(default)]
    user_metadata: Option<Value>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InviterBody {
    name: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InviteeBody {
    email: String,
}

pub(super) async fn create_invitation(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    Body(body): Body<CreateInvitation>,
) -> Result<Response, ApiError> {
    caller.require("create:organization_invitations")?;
    let _ = (
        body.send_invitation_email,
        &body.app_metadata,
        &body.user_metadata,
    );
    if body.inviter.name.is_empty() || body.inviter.name.chars().count() > 300 {
        return Err(invalid(
            "inviter.name",
            "String length must be between 1 and 300",
        ));
    }
    let email = body.invitee.email.trim().to_lowercase();
    if !email.contains('@') || email.starts_with('@') || email.ends_with('@') {
        return Err(invalid(
            "invitee.email",
            "Object didn't pass validation for format email",
        ));
    }
    let ttl = match body.ttl_sec.unwrap_or(0) {
        0 => 604_800,
        t if (1..=2_592_000).contains(&t) => t,
        _ => return Err(invalid("ttl_sec", "Value must be between 0 and 2592000")),
    };
    update_org(&state, &id, |t| {
        let client = t.store.client(&body.client_id).ok_or_else(|| {
            ApiError::not_found("inexistent_client", "The client_id does not exist")
        })?;
        if client.initiate_login_uri.is_none() {
            return Err(ApiError::bad_request(
                "missing_default_login_route",
                "A default login route is required to generate the invitation url; set initiate_login_uri on the client",
            ));
        }
        if let Some(c) = &body.connection_id {
            let org = t.store.org(&id).expect("checked");
            if !org
                .enabled_connections
                .iter()
                .any(|e| &e.connection_id == c)
            {
                return Err(invalid(
                    "connection_id",
                    "The connection is not enabled for this organization",
                ));
            }
        }
        let now = crate::now_unix();
        let inv = Invitation {
            id: format!("uinv_{}", random_alnum(16)),
            organization_id: id.clone(),
            inviter_name: body.inviter.name,
            invitee_email: email,
            client_id: body.client_id,
            connection_id: body.connection_id,
            ticket_id: random_alnum(32),
            created_at: now,
            expires_at: now + ttl,
            roles: body.roles,
        };
        let view = invitation_json(&t.store, &inv);
        t.store.invitations.push(inv);
        Ok((StatusCode::CREATED, Json(view)).into_response())
    })
}

pub(super) async fn list_invitations(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    Query(paging): Query<Paging>,
) -> Result<Json<Value>, ApiError> {
    caller.require("read:organization_invitations")?;
    let items = read_org(&state, &id, |store, _| {
        Ok(store
            .invitations
            .iter()
            .filter(|i| i.organization_id == id)
            .map(|i| invitation_json(store, i))
            .collect::<Vec<_>>())
    })?;
    Ok(Json(paginate(items, &paging, "invitations", None)?))
}

pub(super) fn invitation_not_found() -> ApiError {
    ApiError::not_found("inexistent_invitation", "The invitation does not exist")
}

pub(super) async fn get_invitation(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, inv)): Path<(String, String)>,
) -> Result<Json<Value>, ApiError> {
    caller.require("read:organization_invitations")?;
    read_org(&state, &id, |store, _| {
        let i = store
            .invitations
            .iter()
            .find(|i| i.id == inv && i.organization_id == id)
            .ok_or_else(invitation_not_found)?;
        Ok(Json(invitation_json(store, i)))
    })
}

pub(super) async fn delete_invitation(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, inv)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    caller.require("delete:organization_invitations")?;
    update_org(&state, &id, |t| {
        let before = t.store.invitations.len();
        t.store
            .invitations
            .retain(|i| !(i.id == inv && i.organization_id == id));
        if before == t.store.invitations.len() {
            return Err(invitation_not_found());
        }
        Ok(StatusCode::NO_CONTENT)
    })
}
