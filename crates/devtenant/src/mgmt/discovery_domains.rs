//! Management API: an organization's discovery domains (`/organizations/{id}/discovery-domains`): list, create,
//! get, update, delete, with the DNS TXT challenge of each.

use super::*;
use crate::store::{DiscoveryDomain, valid_domain};

const STATUSES: &[&str] = &["pending", "verified"];

pub(super) fn domain_json(d: &DiscoveryDomain) -> Value {
    json!({
        "id": d.id,
        "domain": d.domain,
        "status": d.status,
        "use_for_organization_discovery": d.use_for_organization_discovery,
        "verification_txt": d.verification_txt,
        "verification_host": d.verification_host,
    })
}

fn domain_not_found() -> ApiError {
    ApiError::not_found(
        "inexistent_discovery_domain",
        "The discovery domain does not exist for this organization.",
    )
}

pub(super) async fn list_domains(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    Query(paging): Query<Paging>,
) -> Result<Json<Value>, ApiError> {
    caller.require("read:organization_discovery_domains")?;
    let items = read_org(&state, &id, |_, org| {
        Ok(org
            .discovery_domains
            .iter()
            .map(domain_json)
            .collect::<Vec<_>>())
    })?;
    Ok(Json(paginate(items, &paging, "domains", Some(id_key))?))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewDomainBody {
    domain: String,
    status: Option<String>,
    use_for_organization_discovery: Option<bool>,
}

pub(super) async fn create_domain(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    Body(body): Body<NewDomainBody>,
) -> Result<Response, ApiError> {
    caller.require("create:organization_discovery_domains")?;
    if !valid_domain(&body.domain) {
        return Err(invalid(
            "domain",
            &format!(
                "Object didn't pass validation for format hostname: {}",
                body.domain
            ),
        ));
    }
    one_of("status", body.status.as_deref(), STATUSES)?;
    update_org(&state, &id, |t| {
        let org = t.store.org_mut(&id).expect("checked");
        let domain = body.domain.to_lowercase();
        if org.discovery_domains.iter().any(|d| d.domain == domain) {
            return Err(ApiError::conflict(
                "conflict",
                format!("The domain {domain} is already a discovery domain of this organization."),
            ));
        }
        if org.discovery_domains.len() >= MAX_DOMAINS {
            return Err(ApiError::bad_request(
                "too_many_discovery_domains",
                format!("An organization can have at most {MAX_DOMAINS} discovery domains."),
            ));
        }
        let d = DiscoveryDomain::new(
            &domain,
            body.status.as_deref().unwrap_or("pending"),
            body.use_for_organization_discovery.unwrap_or(false),
        );
        let view = domain_json(&d);
        org.discovery_domains.push(d);
        Ok((StatusCode::CREATED, Json(view)).into_response())
    })
}

/// The most discovery domains devtenant keeps per organization (Auth0 publishes no limit).
pub const MAX_DOMAINS: usize = 100;

pub(super) async fn get_domain(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, domain_id)): Path<(String, String)>,
) -> Result<Json<Value>, ApiError> {
    caller.require("read:organization_discovery_domains")?;
    read_org(&state, &id, |_, org| {
        org.discovery_domains
            .iter()
            .find(|d| d.id == domain_id)
            .map(|d| Json(domain_json(d)))
            .ok_or_else(domain_not_found)
    })
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PatchDomainBody {
    status: Option<String>,
    use_for_organization_discovery: Option<bool>,
}

pub(super) async fn patch_domain(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, domain_id)): Path<(String, String)>,
    Body(body): Body<PatchDomainBody>,
) -> Result<Json<Value>, ApiError> {
    caller.require("update:organization_discovery_domains")?;
    one_of("status", body.status.as_deref(), STATUSES)?;
    update_org(&state, &id, |t| {
        let org = t.store.org_mut(&id).expect("checked");
        let d = org
            .discovery_domains
            .iter_mut()
            .find(|d| d.id == domain_id)
            .ok_or_else(domain_not_found)?;
        if let Some(s) = body.status {
            d.status = s;
        }
        if let Some(u) = body.use_for_organization_discovery {
            d.use_for_organization_discovery = u;
        }
        Ok(Json(domain_json(d)))
    })
}

pub(super) async fn delete_domain(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, domain_id)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    caller.require("delete:organization_discovery_domains")?;
    update_org(&state, &id, |t| {
        let org = t.store.org_mut(&id).expect("checked");
        let before = org.discovery_domains.len();
        org.discovery_domains.retain(|d| d.id != domain_id);
        if org.discovery_domains.len() == before {
            return Err(domain_not_found());
        }
        Ok(StatusCode::NO_CONTENT)
    })
}
