//! The client-credentials grant at `/oauth/token`: the Management API's scopes from the client's
//! `management_api_scopes`, another API's from the client's grant on it, and Machine-to-Machine Access for
//! Organizations: the `organization` parameter (an ID, or a name when the tenant allows names) checked against the
//! grant's `organization_usage`, its associations and `allow_any_organization`, and put in the token as `org_id`
//! (and `org_name`).
//!
//! The refusals about audiences and clients use Auth0's codes and messages. Auth0 does not document its messages
//! for the organization rules; those below are devtenant's own (codes `invalid_request` for a parameter that is
//! wrong for the grant, `access_denied` for an organization the grant does not reach), each naming the fix.

use std::collections::HashMap;

use axum::http::StatusCode;
use serde_json::{Value, json};

use super::token::require_grant;
use crate::AppState;
use crate::client_grants::{ClientGrant, OrgUsage};
use crate::error::OAuthError;
use crate::store::{Client, Organization, Tenant, random_token};

/// Issues a client-credentials access token, or says why not.
pub(super) fn issue(
    state: &AppState,
    t: &Tenant,
    client: &Client,
    p: &HashMap<String, String>,
) -> Result<Value, OAuthError> {
    require_grant(client, "client_credentials")?;
    if client.is_public() {
        return Err(OAuthError::new(
            StatusCode::UNAUTHORIZED,
            "access_denied",
            "Unauthorized",
        ));
    }
    let audience = p.get("audience").ok_or_else(|| {
        OAuthError::new(
            StatusCode::FORBIDDEN,
            "access_denied",
            "No audience parameter was provided, and no default audience has been configured",
        )
    })?;
    let organization = p
        .get("organization")
        .map(|o| o.trim())
        .filter(|o| !o.is_empty());
    let not_authorized = || {
        OAuthError::new(
            StatusCode::FORBIDDEN,
            "access_denied",
            format!(
                "Client is not authorized to access \"{audience}\". You need to create a \"client-grant\" associated to this API."
            ),
        )
    };
    let (granted, org): (&[String], Option<&Organization>) =
        if state.is_management_audience(audience) {
            if client.management_api_scopes.is_empty() {
                return Err(not_authorized());
            }
            if organization.is_some() {
                return Err(not_allowed(audience));
            }
            (&client.management_api_scopes, None)
        } else if t.store.apis.iter().any(|a| &a.identifier == audience) {
            let grant = t
                .store
                .grant_for(&client.client_id, audience)
                .ok_or_else(not_authorized)?;
            (&grant.scope, organization_for(t, grant, organization)?)
        } else {
            return Err(OAuthError::new(
                StatusCode::FORBIDDEN,
                "access_denied",
                format!("Service not found: {audience}"),
            ));
        };
    let scopes: Vec<&str> = match p.get("scope") {
        Some(requested) => granted
            .iter()
            .map(String::as_str)
            .filter(|g| requested.split(' ').any(|r| r == *g))
            .collect(),
        None => granted.iter().map(String::as_str).collect(),
    };
    let scope = scopes.join(" ");
    let now = t.token_now();
    let lifetime = t.store.settings.access_token_lifetime_secs;
    let mut claims = json!({
        "iss": state.issuer_str(),
        "sub": format!("{}@clients", client.client_id),
        "aud": audience,
        "iat": now,
        "exp": now + lifetime,
        "scope": scope,
        "gty": "client-credentials",
        "azp": client.client_id,
        "jti": random_token(12),
    });
    if let Some(org) = org {
        claims["org_id"] = json!(org.id);
        if t.store
            .settings
            .allow_organization_name_in_authentication_api
        {
            claims["org_name"] = json!(org.name);
        }
    }
    Ok(json!({
        "access_token": t.keys.current.sign(&claims),
        "scope": scope,
        "expires_in": lifetime,
        "token_type": "Bearer",
    }))
}

/// The organization the token is for under `grant`'s rules: none when none was asked and none is required.
fn organization_for<'a>(
    t: &'a Tenant,
    grant: &ClientGrant,
    asked: Option<&str>,
) -> Result<Option<&'a Organization>, OAuthError> {
    let Some(asked) = asked else {
        if grant.usage() == OrgUsage::Require {
            return Err(OAuthError::invalid_request(format!(
                "parameter organization is required for this client grant: the grant of {} on {} has organization_usage require; send organization (an ID, or a name when the tenant allows names)",
                grant.client_id, grant.audience
            )));
        }
        return Ok(None);
    };
    if grant.usage() == OrgUsage::Deny {
        return Err(not_allowed(&grant.audience));
    }
    let org = resolve(t, asked)?;
    if !grant.any_organization() && !org.client_grants.contains(&grant.id) {
        return Err(OAuthError::new(
            StatusCode::FORBIDDEN,
            "access_denied",
            format!(
                "Client is not authorized to access \"{}\" for organization {}: associate its client grant {} with the organization (POST /api/v2/organizations/{}/client-grants) or set allow_any_organization",
                grant.audience, org.id, grant.id, org.id
            ),
        ));
    }
    Ok(Some(org))
}

/// The refusal of an `organization` for a grant that takes none.
fn not_allowed(audience: &str) -> OAuthError {
    OAuthError::invalid_request(format!(
        "parameter organization is not allowed for this client grant: its organization_usage for \"{audience}\" is deny; leave organization out or set organization_usage to allow or require"
    ))
}

/// The `organization` parameter's organization: an ID, or a name when the tenant allows names (as `/authorize`).
fn resolve<'a>(t: &'a Tenant, value: &str) -> Result<&'a Organization, OAuthError> {
    if value.starts_with("org_") {
        return t.store.org(value).ok_or_else(|| {
            OAuthError::invalid_request(format!(
                "parameter organization is invalid: no organization found with ID {value}"
            ))
        });
    }
    if !t
        .store
        .settings
        .allow_organization_name_in_authentication_api
    {
        return Err(OAuthError::invalid_request(format!(
            "parameter organization is invalid: \"{value}\" is not an organization ID and this tenant does not allow organization names (allow_organization_name_in_authentication_api is off)"
        )));
    }
    let name = value.to_lowercase();
    t.store.org_by_name(&name).ok_or_else(|| {
        OAuthError::invalid_request(format!(
            "parameter organization is invalid: no organization found with name {name}"
        ))
    })
}
