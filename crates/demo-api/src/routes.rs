//! The handlers. Each reads the caller's organization from the verified token (`Org`, `BoundOrg`) and touches
//! only that organization's projects.

use axum::Json;
use axum::extract::State;
use axum::extract::rejection::JsonRejection;
use axum::http::StatusCode;
use orgpass_guard::{BoundOrg, Claims, Org};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::AppState;
use crate::error::ApiError;
use crate::store::Project;

/// `GET /me`: who is calling (a person, or an application by its client id), for which organization, with which
/// scopes.
pub async fn me(claims: Claims) -> Json<Value> {
    Json(json!({
        "sub": claims.sub(),
        "caller": if claims.is_machine() { "machine" } else { "person" },
        "client_id": claims.machine_client_id(),
        "org_id": claims.org_id(),
        "org_name": claims.org_name(),
        "scopes": claims.scopes(),
        "permissions": claims.permissions(),
    }))
}

/// `GET /projects`: the caller's organization's projects.
pub async fn list_projects(State(state): State<AppState>, org: Org) -> Json<Value> {
    Json(projects_of(&state, &org))
}

/// `GET /orgs/{org_id}/projects`: the same, for a route that names the organization (it must be the token's).
pub async fn org_projects(State(state): State<AppState>, BoundOrg(org): BoundOrg) -> Json<Value> {
    Json(projects_of(&state, &org))
}

fn projects_of(state: &AppState, org: &Org) -> Value {
    let store = state.store();
    json!({"org_id": org.id, "projects": store.list(&org.id)})
}

/// `GET /invoices`: the caller's organization's invoices.
pub async fn list_invoices(org: Org) -> Json<Value> {
    Json(json!({"org_id": org.id, "invoices": crate::invoices::of(&org.id)}))
}

/// The body of `POST /projects`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewProject {
    name: String,
}

/// `POST /projects` (scope `write:projects`): adds a project to the caller's organization, owned by the caller.
pub async fn create_project(
    State(state): State<AppState>,
    claims: Claims,
    body: Result<Json<NewProject>, JsonRejection>,
) -> Result<(StatusCode, Json<Project>), ApiError> {
    let Json(new) = body.map_err(|e| ApiError::Body(e.body_text()))?;
    let name = valid_name(&new.name)?;
    let project = state.store().add(claims.org_id(), name, claims.sub());
    tracing::info!(org_id = claims.org_id(), project = %project.id, "project created");
    Ok((StatusCode::CREATED, Json(project)))
}

/// A project name: trimmed, 1–100 characters, no control characters.
fn valid_name(raw: &str) -> Result<&str, ApiError> {
    let name = raw.trim();
    let len = name.chars().count();
    if !(1..=100).contains(&len) {
        return Err(ApiError::NameLength(len));
    }
    if name.chars().any(char::is_control) {
        return Err(ApiError::NameCharacters);
    }
    Ok(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert_eq!(valid_name("  Moon base  ").unwrap(), "Moon base");
        assert_eq!(valid_name(&"é".repeat(100)).unwrap().chars().count(), 100);
        assert!(matches!(
            valid_name(&"é".repeat(101)),
            Err(ApiError::NameLength(101))
        ));
        assert!(matches!(valid_name("   "), Err(ApiError::NameLength(0))));
        assert!(matches!(
            valid_name("a\u{7}b"),
            Err(ApiError::NameCharacters)
        ));
    }
}
