//! Management API (`/api/v2`): organizations, enabled connections, members, invitations, connections, clients
//! and tenant settings, with bearer-token scope checks, Auth0's validation and error shapes, and rate limits.

use std::collections::BTreeMap;

use axum::extract::{FromRequest, FromRequestParts, Path, Query, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use crate::AppState;
use crate::error::ApiError;
use crate::store::{
    Branding, Colors, EnabledConnection, Invitation, Organization, Store, random_alnum,
};

/// Request bodies above this many bytes get 413.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

pub fn router(state: AppState) -> Router<AppState> {
    Router::new()
        .route("/organizations", get(list_orgs).post(create_org))
        .route("/organizations/name/{name}", get(get_org_by_name))
        .route(
            "/organizations/{id}",
            get(get_org).patch(patch_org).delete(delete_org),
        )
        .route(
            "/organizations/{id}/enabled_connections",
            get(list_org_conns).post(add_org_conn),
        )
        .route(
            "/organizations/{id}/enabled_connections/{conn}",
            get(get_org_conn)
                .patch(patch_org_conn)
                .delete(delete_org_conn),
        )
        .route(
            "/organizations/{id}/members",
            get(list_members).post(add_members).delete(delete_members),
        )
        .route(
            "/organizations/{id}/invitations",
            get(list_invitations).post(create_invitation),
        )
        .route(
            "/organizations/{id}/invitations/{inv}",
            get(get_invitation).delete(delete_invitation),
        )
        .route("/connections", get(list_connections))
        .route("/connections/{id}", get(get_connection))
        .route("/clients/{id}", get(get_client).patch(patch_client))
        .route("/tenants/settings", get(get_settings).patch(patch_settings))
        .fallback(not_found)
        .layer(axum::middleware::from_fn_with_state(state, rate_limit))
        .layer(axum::extract::DefaultBodyLimit::max(MAX_BODY_BYTES))
}

async fn not_found() -> ApiError {
    ApiError::not_found("not_found", "Not Found")
}

/// The rate-limit group of a Management API request (Auth0's paid B2B groups).
pub fn endpoint_group(method: &Method, path: &str) -> &'static str {
    let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
    let read = method == Method::GET;
    match segments.as_slice() {
        ["organizations"] => {
            if read {
                "read_organizations"
            } else {
                "write_organizations"
            }
        }
        ["organizations", "name", _] => "read_organization_by_name",
        ["organizations", _] => {
            if read {
                "read_organization_by_id"
            } else {
                "write_organizations"
            }
        }
        ["organizations", _, "enabled_connections", ..] => {
            if read {
                "read_organization_connections"
            } else {
                "write_organization_connections"
            }
        }
        ["organizations", _, "members", ..] => {
            if read {
                "read_organization_members"
            } else {
                "write_organization_members"
            }
        }
        ["connections", ..] if read => "read_connections",
        _ => "other",
    }
}

async fn rate_limit(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let group = endpoint_group(req.method(), req.uri().path());
    let verdict = {
        let mut t = state.lock();
        let config = t.store.settings.rate_limits.clone();
        t.limiter.check(&config, group, crate::now_unix())
    };
    let Some(v) = verdict else {
        return next.run(req).await;
    };
    let mut response = if v.allowed {
        next.run(req).await
    } else {
        ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "too_many_requests",
            "Global limit has been reached",
        )
        .into_response()
    };
    let h = response.headers_mut();
    h.insert("x-ratelimit-limit", HeaderValue::from(v.limit));
    h.insert("x-ratelimit-remaining", HeaderValue::from(v.remaining));
    h.insert("x-ratelimit-reset", HeaderValue::from(v.reset));
    if !v.allowed {
        h.insert(
            "retry-after",
            HeaderValue::from((v.reset - crate::now_unix()).max(1)),
        );
    }
    response
}

/// A verified Management API bearer token.
pub struct Caller {
    scopes: Vec<String>,
}

impl Caller {
    fn require(&self, scope: &str) -> Result<(), ApiError> {
        if self.scopes.iter().any(|s| s == scope) {
            Ok(())
        } else {
            Err(ApiError::insufficient_scope(&[scope]))
        }
    }
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let header = parts
            .headers
            .get("authorization")
            .and_then(|h| h.to_str().ok())
            .ok_or_else(|| ApiError::unauthorized("Missing authentication"))?;
        let token = header
            .strip_prefix("Bearer ")
            .or_else(|| header.strip_prefix("bearer "))
            .ok_or_else(|| ApiError::unauthorized("Bad HTTP authentication header format"))?;
        let claims = state
            .lock()
            .keys
            .verify(token.trim())
            .ok_or_else(|| ApiError::unauthorized("Invalid token"))?;
        if claims["iss"].as_str() != Some(state.issuer_str()) {
            return Err(ApiError::unauthorized("Invalid token"));
        }
        let aud_ok = match &claims["aud"] {
            Value::String(a) => state.is_management_audience(a),
            Value::Array(a) => a
                .iter()
                .filter_map(Value::as_str)
                .any(|a| state.is_management_audience(a)),
            _ => false,
        };
        if !aud_ok {
            return Err(ApiError::unauthorized(
                "Bad audience: the token is not for the Management API",
            ));
        }
        if claims["exp"]
            .as_i64()
            .is_none_or(|exp| exp <= crate::now_unix())
        {
            return Err(ApiError::unauthorized(
                "Expired token received for JSON Web Token validation",
            ));
        }
        let scopes = claims["scope"]
            .as_str()
            .unwrap_or_default()
            .split(' ')
            .map(str::to_owned)
            .collect();
        Ok(Self { scopes })
    }
}

/// A JSON body whose rejections use Auth0's error shape.
pub struct Body<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for Body<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        use axum::extract::rejection::JsonRejection;
        match Json::<T>::from_request(req, state).await {
            Ok(Json(v)) => Ok(Self(v)),
            Err(JsonRejection::JsonDataError(e)) => Err(ApiError::bad_request(
                "invalid_body",
                format!(
                    "Payload validation error: {}",
                    e.body_text().trim_start_matches(
                        "Failed to deserialize the JSON body into the target type: "
                    )
                ),
            )),
            Err(JsonRejection::JsonSyntaxError(_)) => Err(ApiError::bad_request(
                "invalid_body",
                "Invalid request payload JSON format",
            )),
            Err(JsonRejection::MissingJsonContentType(_)) => Err(ApiError::bad_request(
                "invalid_body",
                "Content-Type must be application/json",
            )),
            Err(JsonRejection::BytesRejection(_)) => Err(ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "payload_too_large",
                format!("Payload content length greater than maximum allowed: {MAX_BODY_BYTES}"),
            )),
            Err(e) => Err(ApiError::bad_request("invalid_body", e.body_text())),
        }
    }
}

fn invalid(property: &str, why: &str) -> ApiError {
    ApiError::bad_request(
        "invalid_body",
        format!("Payload validation error: '{why}' on property {property}."),
    )
}

// ---------------------------------------------------------------- paging

#[derive(Debug, Deserialize)]
pub struct Paging {
    page: Option<u32>,
    per_page: Option<u32>,
    #[serde(default)]
    include_totals: bool,
    from: Option<String>,
    take: Option<u32>,
}

/// `GET /connections` query. The paging fields are spelled out rather than `#[serde(flatten)]`ed from [`Paging`]:
/// serde's flatten buffers values as strings, which `serde_urlencoded` then refuses to parse as numbers.
#[derive(Debug, Deserialize)]
pub struct ConnectionQuery {
    strategy: Option<String>,
    name: Option<String>,
    page: Option<u32>,
    per_page: Option<u32>,
    #[serde(default)]
    include_totals: bool,
    from: Option<String>,
    take: Option<u32>,
}

impl ConnectionQuery {
    fn paging(&self) -> Paging {
        Paging {
            page: self.page,
            per_page: self.per_page,
            include_totals: self.include_totals,
            from: self.from.clone(),
            take: self.take,
        }
    }
}

/// The checkpoint key of a record with an `id`.
fn id_key(v: &Value) -> String {
    v["id"].as_str().unwrap_or_default().to_owned()
}

/// The checkpoint key of a member.
fn user_id_key(v: &Value) -> String {
    v["user_id"].as_str().unwrap_or_default().to_owned()
}

/// Offset paging (`page`/`per_page`/`include_totals`) with Auth0's 1000-record ceiling, or checkpoint paging
/// (`from`/`take`) when `checkpoint_key` is given and either parameter is present.
fn paginate(
    items: Vec<Value>,
    paging: &Paging,
    key: &str,
    checkpoint_key: Option<fn(&Value) -> String>,
) -> Result<Value, ApiError> {
    if let Some(id_of) = checkpoint_key
        && (paging.from.is_some() || paging.take.is_some())
    {
        let take = page_size("take", paging.take)? as usize;
        let start = match &paging.from {
            None => 0,
            Some(from) => items
                .iter()
                .position(|v| &id_of(v) == from)
                .ok_or_else(|| {
                    ApiError::bad_request(
                        "invalid_paging",
                        "The from parameter is not a valid checkpoint",
                    )
                })?,
        };
        let page: Vec<Value> = items.iter().skip(start).take(take).cloned().collect();
        let mut out = json!({ key: page });
        if let Some(next) = items.get(start + take) {
            out["next"] = json!(id_of(next));
        }
        return Ok(out);
    }
    let per_page = page_size("per_page", paging.per_page)?;
    let page = paging.page.unwrap_or(0);
    let start = page as usize * per_page as usize;
    if start + per_page as usize > 1000 {
        return Err(ApiError::bad_request(
            "invalid_paging",
            "Requesting page exceeds the allowed maximum of 1000 records; use checkpoint pagination (from/take)",
        ));
    }
    let total = items.len();
    let slice: Vec<Value> = items
        .into_iter()
        .skip(start)
        .take(per_page as usize)
        .collect();
    if paging.include_totals {
        Ok(json!({ key: slice, "start": start, "limit": per_page, "total": total }))
    } else {
        Ok(Value::Array(slice))
    }
}

/// A page size parameter: 50 when absent, else 1 to 100.
fn page_size(property: &str, value: Option<u32>) -> Result<u32, ApiError> {
    let n = value.unwrap_or(50);
    if !(1..=100).contains(&n) {
        return Err(invalid(property, "Expected a number between 1 and 100"));
    }
    Ok(n)
}

// ---------------------------------------------------------------- views

fn org_json(state: &AppState, org: &Organization) -> Value {
    let mut v = json!({ "id": org.id, "name": org.name, "display_name": org.display_name });
    if let Some(b) = &org.branding {
        let mut branding = serde_json::Map::new();
        if let Some(logo) = &b.logo_url {
            branding.insert("logo_url".into(), json!(state.absolute_url(logo)));
        }
        if let Some(c) = &b.colors {
            branding.insert(
                "colors".into(),
                json!({ "primary": c.primary, "page_background": c.page_background }),
            );
        }
        v["branding"] = Value::Object(branding);
    }
    v["metadata"] = json!(org.metadata);
    v
}

fn enabled_conn_json(store: &Store, ec: &EnabledConnection) -> Value {
    let conn = store.connection(&ec.connection_id);
    json!({
        "connection_id": ec.connection_id,
        "assign_membership_on_login": ec.assign_membership_on_login,
        "show_as_button": ec.show_as_button,
        "is_signup_enabled": ec.is_signup_enabled,
        "connection": {
            "name": conn.map(|c| c.name.as_str()).unwrap_or_default(),
            "strategy": conn.map(|c| c.strategy.as_str()).unwrap_or_default(),
        },
    })
}

fn invitation_json(store: &Store, inv: &Invitation) -> Value {
    let org_name = store
        .org(&inv.organization_id)
        .map(|o| o.name.as_str())
        .unwrap_or_default();
    let login = store
        .client(&inv.client_id)
        .and_then(|c| c.initiate_login_uri.clone())
        .unwrap_or_default();
    let mut url = url::Url::parse(&login).ok();
    if let Some(u) = url.as_mut() {
        u.query_pairs_mut()
            .append_pair("invitation", &inv.ticket_id)
            .append_pair("organization", &inv.organization_id)
            .append_pair("organization_name", org_name);
    }
    let mut v = json!({
        "id": inv.id,
        "organization_id": inv.organization_id,
        "inviter": { "name": inv.inviter_name },
        "invitee": { "email": inv.invitee_email },
        "invitation_url": url.map(|u| u.to_string()).unwrap_or_default(),
        "created_at": crate::rfc3339(inv.created_at),
        "expires_at": crate::rfc3339(inv.expires_at),
        "client_id": inv.client_id,
        "roles": inv.roles,
        "ticket_id": inv.ticket_id,
    });
    if let Some(c) = &inv.connection_id {
        v["connection_id"] = json!(c);
    }
    v
}

// ---------------------------------------------------------------- validation

fn valid_org_name(name: &str) -> Result<(), ApiError> {
    if name.is_empty() || name.len() > 50 {
        return Err(invalid("name", "String length must be between 1 and 50"));
    }
    if !name
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-')
    {
        return Err(invalid(
            "name",
            "String does not match pattern ^[a-z0-9_-]+$",
        ));
    }
    Ok(())
}

fn valid_display_name(name: &str) -> Result<(), ApiError> {
    if name.is_empty() || name.chars().count() > 255 {
        return Err(invalid(
            "display_name",
            "String length must be between 1 and 255",
        ));
    }
    Ok(())
}

fn valid_metadata(
    metadata: &BTreeMap<String, Value>,
) -> Result<BTreeMap<String, String>, ApiError> {
    if metadata.len() > 25 {
        return Err(invalid(
            "metadata",
            "Too many properties: at most 25 are allowed",
        ));
    }
    metadata
        .iter()
        .map(|(k, v)| match v {
            Value::String(s) if s.chars().count() <= 255 && k.chars().count() <= 255 => {
                Ok((k.clone(), s.clone()))
            }
            Value::String(_) => Err(invalid(
                "metadata",
                "String is too long (at most 255 characters)",
            )),
            _ => Err(invalid("metadata", "Expected type string")),
        })
        .collect()
}

fn is_hex_colour(c: &str) -> bool {
    c.strip_prefix('#')
        .is_some_and(|h| (h.len() == 6 || h.len() == 3) && h.bytes().all(|b| b.is_ascii_hexdigit()))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BrandingBody {
    logo_url: Option<String>,
    colors: Option<ColorsBody>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ColorsBody {
    primary: Option<String>,
    page_background: Option<String>,
}

fn valid_branding(state: &AppState, b: BrandingBody) -> Result<Branding, ApiError> {
    let logo_url = match b.logo_url {
        None => None,
        Some(url) => {
            let served_here = url.starts_with("/branding/")
                || url.starts_with(&format!("{}branding/", state.issuer_str()));
            let https = url::Url::parse(&url)
                .is_ok_and(|u| u.scheme() == "https" && u.host_str().is_some());
            if !(https || served_here) {
                return Err(invalid("branding.logo_url", "Format must be an https URL"));
            }
            Some(url)
        }
    };
    let colors = match b.colors {
        None => None,
        Some(c) => {
            let (Some(primary), Some(page_background)) = (c.primary, c.page_background) else {
                return Err(invalid(
                    "branding.colors",
                    "Missing required property: primary and page_background",
                ));
            };
            for (property, colour) in [
                ("branding.colors.primary", &primary),
                ("branding.colors.page_background", &page_background),
            ] {
                if !is_hex_colour(colour) {
                    return Err(invalid(
                        property,
                        "String does not match pattern ^#([0-9a-fA-F]{3}){1,2}$",
                    ));
                }
            }
            Some(Colors {
                primary,
                page_background,
            })
        }
    };
    Ok(Branding { logo_url, colors })
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EnabledConnBody {
    connection_id: String,
    #[serde(default)]
    assign_membership_on_login: bool,
    #[serde(default)]
    is_signup_enabled: bool,
    show_as_button: Option<bool>,
}

fn valid_enabled_conn(store: &Store, b: EnabledConnBody) -> Result<EnabledConnection, ApiError> {
    let conn = store
        .connections
        .iter()
        .find(|c| c.id == b.connection_id)
        .ok_or_else(|| {
            ApiError::not_found(
                "inexistent_connection",
                format!("No connection found by id {}", b.connection_id),
            )
        })?;
    check_signup(
        conn.is_database(),
        b.assign_membership_on_login,
        b.is_signup_enabled,
    )?;
    Ok(EnabledConnection {
        connection_id: conn.id.clone(),
        assign_membership_on_login: b.assign_membership_on_login,
        show_as_button: b.show_as_button.unwrap_or(true),
        is_signup_enabled: b.is_signup_enabled,
    })
}

fn check_signup(is_database: bool, assign: bool, signup: bool) -> Result<(), ApiError> {
    if signup && !is_database {
        return Err(invalid(
            "is_signup_enabled",
            "Only database connections can enable sign-up",
        ));
    }
    if signup && !assign {
        return Err(invalid(
            "is_signup_enabled",
            "Requires assign_membership_on_login to be true",
        ));
    }
    Ok(())
}

fn org_name_taken() -> ApiError {
    ApiError::conflict(
        "organization_conflict",
        "An organization with this name already exists.",
    )
}

/// Runs `f` on organization `id` and the store holding it; 404 when there is no such organization.
fn read_org<T>(
    state: &AppState,
    id: &str,
    f: impl FnOnce(&Store, &Organization) -> Result<T, ApiError>,
) -> Result<T, ApiError> {
    let t = state.lock();
    let org = t.store.org(id).ok_or_else(ApiError::org_not_found)?;
    f(&t.store, org)
}

/// Runs the change `f` when organization `id` exists (404 otherwise); the tenant is saved when `f` succeeds.
fn update_org<T>(
    state: &AppState,
    id: &str,
    f: impl FnOnce(&mut crate::Tenant) -> Result<T, ApiError>,
) -> Result<T, ApiError> {
    let mut t = state.lock();
    if t.store.org(id).is_none() {
        return Err(ApiError::org_not_found());
    }
    let out = f(&mut t)?;
    state.persist(&t);
    Ok(out)
}

// ---------------------------------------------------------------- organizations

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

async fn create_org(
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
    };
    let view = org_json(&state, &org);
    t.store.organizations.push(org);
    state.persist(&t);
    Ok((StatusCode::CREATED, Json(view)).into_response())
}

async fn list_orgs(
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

async fn get_org(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    caller.require("read:organizations")?;
    read_org(&state, &id, |_, o| Ok(Json(org_json(&state, o))))
}

async fn get_org_by_name(
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
fn nullable<'de, D: serde::Deserializer<'de>, T: Deserialize<'de>>(
    d: D,
) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(d).map(Some)
}

async fn patch_org(
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

async fn delete_org(
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

// ---------------------------------------------------------------- enabled connections

async fn list_org_conns(
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

async fn add_org_conn(
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

fn conn_not_enabled() -> ApiError {
    ApiError::not_found(
        "inexistent_connection",
        "The connection is not enabled for this organization.",
    )
}

async fn get_org_conn(
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

async fn patch_org_conn(
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

async fn delete_org_conn(
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

// ---------------------------------------------------------------- members

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MembersBody {
    members: Vec<String>,
}

async fn list_members(
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

fn check_members_body(body: &MembersBody) -> Result<(), ApiError> {
    if body.members.is_empty() || body.members.len() > 10 {
        return Err(invalid(
            "members",
            "Array must contain between 1 and 10 user ids",
        ));
    }
    Ok(())
}

async fn add_members(
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

async fn delete_members(
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

// ---------------------------------------------------------------- invitations

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

async fn create_invitation(
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

async fn list_invitations(
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

fn invitation_not_found() -> ApiError {
    ApiError::not_found("inexistent_invitation", "The invitation does not exist")
}

async fn get_invitation(
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

async fn delete_invitation(
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

// ---------------------------------------------------------------- connections, clients, tenant settings

fn connection_json(store: &Store, c: &crate::store::Connection) -> Value {
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

async fn list_connections(
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

async fn get_connection(
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

fn client_json(c: &crate::store::Client) -> Value {
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
        "oidc_conformant": true,
    })
}

fn client_not_found() -> ApiError {
    ApiError::not_found("inexistent_client", "The client does not exist")
}

async fn get_client(
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
}

/// Refuses a `value` outside `allowed`; an absent value passes.
fn one_of(property: &str, value: Option<&str>, allowed: &[&str]) -> Result<(), ApiError> {
    match value {
        Some(v) if !allowed.contains(&v) => {
            Err(invalid(property, &format!("No enum match for: \"{v}\"")))
        }
        _ => Ok(()),
    }
}

async fn patch_client(
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
    let view = client_json(c);
    state.persist(&t);
    Ok(Json(view))
}

fn settings_json(s: &crate::store::Settings) -> Value {
    json!({
        "friendly_name": s.friendly_name,
        "allow_organization_name_in_authentication_api": s.allow_organization_name_in_authentication_api,
        "session_lifetime": s.session_lifetime_secs / 3600,
        "flags": {},
    })
}

async fn get_settings(
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

async fn patch_settings(
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoint_groups_follow_auth0_buckets() {
        let rows = [
            (Method::GET, "/organizations", "read_organizations"),
            (Method::POST, "/organizations", "write_organizations"),
            (
                Method::GET,
                "/organizations/org_x",
                "read_organization_by_id",
            ),
            (Method::PATCH, "/organizations/org_x", "write_organizations"),
            (
                Method::GET,
                "/organizations/name/acme",
                "read_organization_by_name",
            ),
            (
                Method::GET,
                "/organizations/org_x/enabled_connections",
                "read_organization_connections",
            ),
            (
                Method::DELETE,
                "/organizations/org_x/enabled_connections/con_y",
                "write_organization_connections",
            ),
            (
                Method::GET,
                "/organizations/org_x/members",
                "read_organization_members",
            ),
            (
                Method::POST,
                "/organizations/org_x/members",
                "write_organization_members",
            ),
            (Method::GET, "/connections", "read_connections"),
            (Method::GET, "/tenants/settings", "other"),
        ];
        for (m, p, g) in rows {
            assert_eq!(endpoint_group(&m, p), g, "{m} {p}");
        }
    }

    #[test]
    fn org_names_follow_auth0_rules() {
        for ok in ["acme", "0day", "a_b-c", &"a".repeat(50)] {
            assert!(valid_org_name(ok).is_ok(), "{ok}");
        }
        for bad in ["", "Acme", "a b", "a.b", &"a".repeat(51), "ünï"] {
            assert!(valid_org_name(bad).is_err(), "{bad}");
        }
        assert!(
            is_hex_colour("#fff")
                && is_hex_colour("#A0b1C2")
                && !is_hex_colour("fff")
                && !is_hex_colour("#ggg")
        );
    }
}
