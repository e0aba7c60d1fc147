//! The axum extractors for handlers behind the guard's layer: [`Claims`] (all verified claims), [`Org`] (the
//! caller's organization: scope every query by it) and [`BoundOrg`] (the organization a route names in its
//! `{org_id}` path parameter, which must be the token's: 403 otherwise).

use axum::extract::rejection::RawPathParamsRejection;
use axum::extract::{FromRequestParts, RawPathParams};
use axum::http::request::Parts;

use crate::claims::{Claims, Org};
use crate::error::{GuardError, shown};

impl<S: Send + Sync> FromRequestParts<S> for Claims {
    type Rejection = GuardError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<Claims>()
            .cloned()
            .ok_or(GuardError::NotGuarded)
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Org {
    type Rejection = GuardError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let claims = Claims::from_request_parts(parts, state).await?;
        Ok(claims.org())
    }
}

/// The organization of a route `/orgs/{org_id}/…`, once checked to be the token's `org_id` (exactly). A token
/// of another organization gets a 403 (`insufficient_scope`, check `org_mismatch`) and the handler does not
/// run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BoundOrg(pub Org);

impl<S: Send + Sync> FromRequestParts<S> for BoundOrg {
    type Rejection = GuardError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let claims = Claims::from_request_parts(parts, state).await?;
        let route = match RawPathParams::from_request_parts(parts, state).await {
            Ok(params) => params
                .iter()
                .find(|(name, _)| *name == "org_id")
                .map(|(_, value)| value.to_owned())
                .ok_or(GuardError::NoOrgInRoute)?,
            Err(RawPathParamsRejection::MissingPathParams(_)) => {
                return Err(GuardError::NoOrgInRoute);
            }
            Err(_) => "(not UTF-8)".to_owned(),
        };
        if route != claims.org_id() {
            return Err(GuardError::OrgMismatch {
                route: shown(&route),
                token: claims.org_id().to_owned(),
                machine: claims.is_machine(),
            });
        }
        Ok(Self(claims.org()))
    }
}
