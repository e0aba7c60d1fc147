//! Management API: the tenant around the organizations: connections, clients (organization usage, prompt,
//! discovery methods, refresh-token rotation overlap), tenant settings.

use super::*;

pub(super) fn connection_json(store: &Store, c: &crate::store::Connection) -> Value {
    let enabled_clients: Vec<&str> = store
        .clients
        .iter()
        .filter(|cl| cl.app_type != "non_interactive")
        .map(|cl| cl.client_id.as_str())
        .collect();
    json!({
        "id": c.id,
        "name": c.name,
        "display_name": c.label(),
        "strategy": c.strategy,
        "enabled_clients": enabled_clients,
        "is_domain_connection": false,
        "realms": [c.name],
        "options": {},
    })
}

pub(super) async fn list_connections(
    State(state): State<AppState>,
    caller: Caller,
    Query(q): Query<ConnectionQuery>,
) -> Result<Json<Value>, ApiError> {
    caller.require("read:connections")?;
    let t = state.lock();
    let items: Vec<Value> = t
        .store
        .connections
        .iter()
        .filter(|c| {
            q.strategy
                .as_ref()
                .is_none_or(|s| s.split(',').any(|s| s == c.strategy))
        })
        .filter(|c| q.name.as_ref().is_none_or(|n| n == &c.name))
        .map(|c| connection_json(&t.store, c))
        .collect();
    Ok(Json(paginate(
        items,
        &q.paging(),
        "connections",
        Some(id_key),
    )?))
}

pub(super) async fn get_connection(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    caller.require("read:connections")?;
    let t = state.lock();
    let c = t
        .store
        .connections
        .iter()
        .find(|c| c.id == id)
        .ok_or_else(|| {
            ApiError::not_found("inexistent_connection", "The connection does not exist")
        })?;
    Ok(Json(connection_json(&t.store, c)))
}

pub(super) fn client_json(c: &crate::store::Client) -> Value {
    json!({
        "client_id": c.client_id,
        "name": c.name,
        "app_type": c.app_type,
        "is_first_party": true,
        "callbacks": c.callbacks,
        "allowed_logout_urls": c.allowed_logout_urls,
        "initiate_login_uri": c.initiate_login_uri,
        "grant_types": c.grant_types,
        "token_endpoint_auth_method": if c.is_public() { "none" } else { "client_secret_post" },
        "organization_usage": c.organization_usage,
        "organization_require_behavior": c.organization_require_behavior,
        "organization_discovery_methods": c.organization_discovery_methods,
        "refresh_token": {
            "rotation_type": "rotating",
            "expiration_type": "expiring",
            "leeway": c.refresh_token_leeway,
            "policies": c.refresh_token_policies,
        },
        "session_transfer": c.session_transfer,
        "oidc_conformant": true,
    })
}

pub(super) async fn list_clients(
    State(state): State<AppState>,
    caller: Caller,
    Query(paging): Query<Paging>,
) -> Result<Json<Value>, ApiError> {
    caller.require("read:clients")?;
    let items: Vec<Value> = state.lock().store.clients.iter().map(client_json).collect();
    Ok(Json(paginate(items, &paging, "clients", None)?))
}

/// A client's `refresh_token` in a `PATCH`: Auth0 requires both types in it. devtenant always rotates and expires
/// refresh tokens, so it takes only those values; the lifetimes are the tenant's.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PatchRefreshToken {
    rotation_type: String,
    expiration_type: String,
    leeway: Option<i64>,
    /// The other APIs a refresh may get tokens for (Multi-Resource Refresh Tokens); replaced as a whole when sent.
    policies: Option<Vec<crate::sso::RefreshPolicy>>,
}

/// The longest rotation overlap devtenant takes (Auth0's schema sets only a minimum of 0; a day is the stricter
/// reading: an overlap is for requests racing each other, not for keeping old tokens alive).
pub const MAX_LEEWAY_SECS: i64 = 86_400;

pub(super) fn client_not_found() -> ApiError {
    ApiError::not_found("inexistent_client", "The client does not exist")
}

pub(super) async fn get_client(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    caller.require("read:clients")?;
    let t = state.lock();
    t.store
        .client(&id)
        .map(|c| Json(client_json(c)))
        .ok_or_else(client_not_found)
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PatchClient {
    name: Option<String>,
    callbacks: Option<Vec<String>>,
    allowed_logout_urls: Option<Vec<String>>,
    #[serde(default, deserialize_with = "nullable")]
    initiate_login_uri: Option<Option<String>>,
    organization_usage: Option<String>,
    organization_require_behavior: Option<String>,
    organization_discovery_methods: Option<Vec<String>>,
    refresh_token: Option<PatchRefreshToken>,
}

/// Refuses a `value` outside `allowed`; an absent value passes.
pub(super) fn one_of(
    property: &str,
    value: Option<&str>,
    allowed: &[&str],
) -> Result<(), ApiError> {
    match value {
        Some(v) if !allowed.contains(&v) => {
            Err(invalid(property, &format!("No enum match for: \"{v}\"")))
        }
        _ => Ok(()),
    }
}

pub(super) async fn patch_client(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    Body(body): Body<PatchClient>,
) -> Result<Json<Value>, ApiError> {
    caller.require("update:clients")?;
    one_of(
        "organization_usage",
        body.organization_usage.as_deref(),
        &["deny", "allow", "require"],
    )?;
    one_of(
        "organization_require_behavior",
        body.organization_require_behavior.as_deref(),
        &["no_prompt", "pre_login_prompt", "post_login_prompt"],
    )?;
    if let Some(methods) = &body.organization_discovery_methods {
        if methods.is_empty() {
            return Err(invalid(
                "organization_discovery_methods",
                "Array is too short (0), minimum 1",
            ));
        }
        for m in methods {
            one_of(
                "organization_discovery_methods",
                Some(m),
                crate::seed::DISCOVERY_METHODS,
            )?;
        }
    }
    if let Some(r) = &body.refresh_token {
        one_of(
            "refresh_token.rotation_type",
            Some(r.rotation_type.as_str()),
            &["rotating"],
        )?;
        one_of(
            "refresh_token.expiration_type",
            Some(r.expiration_type.as_str()),
            &["expiring"],
        )?;
        if r.leeway
            .is_some_and(|l| !(0..=MAX_LEEWAY_SECS).contains(&l))
        {
            return Err(invalid(
                "refresh_token.leeway",
                &format!("Value must be between 0 and {MAX_LEEWAY_SECS} seconds"),
            ));
        }
    }
    let mut t = state.lock();
    let c = t
        .store
        .clients
        .iter_mut()
        .find(|c| c.client_id == id)
        .ok_or_else(client_not_found)?;
    if let Some(v) = body.name {
        c.name = v;
    }
    if let Some(v) = body.callbacks {
        c.callbacks = v;
    }
    if let Some(v) = body.allowed_logout_urls {
        c.allowed_logout_urls = v;
    }
    if let Some(v) = body.initiate_login_uri {
        c.initiate_login_uri = v;
    }
    if let Some(v) = body.organization_usage {
        c.organization_usage = v;
    }
    if let Some(v) = body.organization_require_behavior {
        c.organization_require_behavior = v;
    }
    if let Some(v) = body.organization_discovery_methods {
        c.organization_discovery_methods = v;
    }
    if let Some(r) = body.refresh_token {
        if let Some(l) = r.leeway {
            c.refresh_token_leeway = l as u64;
        }
        if let Some(p) = r.policies {
            c.refresh_token_policies = p;
        }
    }
    let view = client_json(c);
    state.persist(&t);
    Ok(Json(view))
}

pub(super) fn settings_json(s: &crate::store::Settings) -> Value {
    json!({
        "friendly_name": s.friendly_name,
        "allow_organization_name_in_authentication_api": s.allow_organization_name_in_authentication_api,
        "session_lifetime": s.session_lifetime_secs / 3600,
        "flags": {},
    })
}

pub(super) async fn get_settings(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<Value>, ApiError> {
    caller.require("read:tenant_settings")?;
    Ok(Json(settings_json(&state.lock().store.settings)))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PatchSettings {
    friendly_name: Option<String>,
    allow_organization_name_in_authentication_api: Option<bool>,
    session_lifetime: Option<i64>,
}

pub(super) async fn patch_settings(
    State(state): State<AppState>,
    caller: Caller,
    Body(body): Body<PatchSettings>,
) -> Result<Json<Value>, ApiError> {
    caller.require("update:tenant_settings")?;
    let mut t = state.lock();
    if let Some(v) = body.friendly_name {
        t.store.settings.friendly_name = v;
    }
    if let Some(v) = body.allow_organization_name_in_authentication_api {
        t.store
            .settings
            .allow_organization_name_in_authentication_api = v;
    }
    if let Some(h) = body.session_lifetime {
        if !(1..=8760).contains(&h) {
            return Err(invalid(
                "session_lifetime",
                "Value must be between 1 and 8760 hours",
            ));
        }
        t.store.settings.session_lifetime_secs = h * 3600;
    }
    let view = settings_json(&t.store.settings);
    state.persist(&t);
    Ok(Json(view))
}
