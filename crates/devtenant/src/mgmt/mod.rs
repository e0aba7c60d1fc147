//! Management API (`/api/v2`): organizations, enabled connections, members, invitations, discovery domains,
//! client grants and their organizations, connections, clients and tenant settings, with bearer-token scope checks, Auth0's validation and error
//! shapes, and rate limits.

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
        .route(
            "/organizations/{id}/discovery-domains",
            get(list_domains).post(create_domain),
        )
        .route(
            "/organizations/{id}/discovery-domains/{domain}",
            get(get_domain).patch(patch_domain).delete(delete_domain),
        )
        .route(
            "/organizations/{id}/client-grants",
            get(list_org_grants).post(add_org_grant),
        )
        .route(
            "/organizations/{id}/client-grants/{grant}",
            axum::routing::delete(remove_org_grant),
        )
        .route("/client-grants", get(list_grants).post(create_grant))
        .route(
            "/client-grants/{id}",
            axum::routing::patch(patch_grant).delete(delete_grant),
        )
        .route("/connections", get(list_connections))
        .route("/connections/{id}", get(get_connection))
        .route("/clients", get(list_clients))
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

// ---------------------------------------------------------------- handlers, by resource

mod client_grants;
mod discovery_domains;
mod enabled_connections;
mod invitations;
mod members;
mod organization_client_grants;
mod organizations;
mod tenant;
mod validate;
mod views;
use client_grants::*;
use discovery_domains::*;
use enabled_connections::*;
use invitations::*;
use members::*;
use organization_client_grants::*;
use organizations::*;
use tenant::*;
use validate::*;
use views::*;

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
            (
                Method::POST,
                "/organizations/org_x/discovery-domains",
                "other",
            ),
            (Method::GET, "/client-grants", "other"),
            (Method::PATCH, "/client-grants/cgr_x", "other"),
            (Method::POST, "/organizations/org_x/client-grants", "other"),
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
