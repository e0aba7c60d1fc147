//! What a verified access token says: [`Claims`] (subject, who calls: a person or an application, organization,
//! scopes and RBAC permissions, the client, expiry, and every claim as sent) and [`Org`], the organization the
//! caller acts for.

use std::collections::BTreeSet;
use std::sync::Arc;

use serde_json::{Map, Value};

use orgpass_jose::AccessClaims;
/// Who calls: a person, or an application with client credentials for the organization (the token core's).
pub use orgpass_jose::access::Caller;

use crate::error::GuardError;

/// The verified claims of an access token. Only the guard makes these (after every check passed); cloning is
/// cheap. Handlers get them with the [`Claims`] extractor.
#[derive(Clone, PartialEq)]
pub struct Claims(Arc<AccessClaims>);

impl std::fmt::Debug for Claims {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Claims")
            .field("sub", &self.0.sub)
            .field("caller", &self.0.caller)
            .field("org", &self.0.org)
            .field("scopes", &self.0.scopes)
            .field("permissions", &self.0.permissions)
            .field("azp", &self.0.azp)
            .field("exp", &self.0.exp)
            .finish_non_exhaustive()
    }
}

/// The organization a verified token was issued for: the token core's [`orgpass_jose::Org`] in a type of the
/// guard's own, so that handlers can take it as an axum extractor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Org {
    /// `org_id`, e.g. `org_AcmeA1b2C3d4E5f6`: what data is scoped by.
    pub id: String,
    /// `org_name`, when the tenant adds it (display only: names can be renamed and reused).
    pub name: Option<String>,
}

impl From<&orgpass_jose::Org> for Org {
    fn from(org: &orgpass_jose::Org) -> Self {
        Self {
            id: org.id.clone(),
            name: org.name.clone(),
        }
    }
}

impl Claims {
    pub(crate) fn new(checked: AccessClaims) -> Self {
        Self(Arc::new(checked))
    }

    /// `sub`: the user (or, for client credentials, the client) the token is for.
    pub fn sub(&self) -> &str {
        &self.0.sub
    }

    /// Who calls: [`Caller::Person`], or [`Caller::Machine`] for a token an application got with client credentials
    /// for the organization (`gty` `client-credentials`, `sub` `<client_id>@clients`). Such tokens pass the same
    /// organization checks as a person's; an API that serves people only refuses them
    /// ([`GuardConfig::with_people_only`](crate::GuardConfig::with_people_only)).
    pub fn caller(&self) -> &Caller {
        &self.0.caller
    }

    /// Whether an application (client credentials), not a person, is calling.
    pub fn is_machine(&self) -> bool {
        matches!(self.0.caller, Caller::Machine { .. })
    }

    /// The calling application's client id, when an application calls (`None` for a person: see
    /// [`Claims::azp`] for the client a person signed in with).
    pub fn machine_client_id(&self) -> Option<&str> {
        match &self.0.caller {
            Caller::Machine { client_id } => Some(client_id),
            Caller::Person => None,
        }
    }

    /// `org_id`.
    pub fn org_id(&self) -> &str {
        &self.0.org.id
    }

    /// `org_name`, if the tenant sends it.
    pub fn org_name(&self) -> Option<&str> {
        self.0.org.name.as_deref()
    }

    /// The organization (`org_id` and `org_name`).
    pub fn org(&self) -> Org {
        Org::from(&self.0.org)
    }

    /// The `scope` claim's space-separated scopes.
    pub fn scopes(&self) -> &BTreeSet<String> {
        &self.0.scopes
    }

    /// The RBAC `permissions` array (Auth0's "Add Permissions in the Access Token").
    pub fn permissions(&self) -> &BTreeSet<String> {
        &self.0.permissions
    }

    /// True when `scope` is granted, in the `scope` claim or in `permissions`.
    pub fn has_scope(&self, scope: &str) -> bool {
        self.0.scopes.contains(scope) || self.0.permissions.contains(scope)
    }

    /// `Ok` when every space-separated scope in `required` is granted; otherwise the 403
    /// `insufficient_scope` refusal naming them. For checks inside a handler: `claims.require_scope("x")?`.
    /// An empty `required` is a mistake in the API (it would grant every token): refused as
    /// [`GuardError::EmptyScope`], a 500.
    pub fn require_scope(&self, required: &str) -> Result<(), GuardError> {
        if required.split_whitespace().next().is_none() {
            tracing::error!("a route requires an empty scope; refusing every request to it");
            return Err(GuardError::EmptyScope);
        }
        if required.split_whitespace().all(|s| self.has_scope(s)) {
            Ok(())
        } else {
            Err(GuardError::InsufficientScope {
                scope: orgpass_jose::access::shown(required),
            })
        }
    }

    /// `azp`: the client the token was issued to, if present.
    pub fn azp(&self) -> Option<&str> {
        self.0.azp.as_deref()
    }

    /// `exp` (UNIX seconds).
    pub fn exp(&self) -> i64 {
        self.0.exp
    }

    /// `iat` (UNIX seconds).
    pub fn iat(&self) -> i64 {
        self.0.iat
    }

    /// Any claim by name, as sent.
    pub fn get(&self, name: &str) -> Option<&Value> {
        self.0.all.get(name)
    }

    /// Every claim, as sent.
    pub fn all(&self) -> &Map<String, Value> {
        &self.0.all
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claims(scope: &str, permissions: &[&str]) -> Claims {
        Claims::new(AccessClaims {
            sub: "auth0|alice".into(),
            caller: Caller::Person,
            org: orgpass_jose::Org {
                id: "org_AcmeA1b2C3d4E5f6".into(),
                name: None,
            },
            scopes: scope.split_whitespace().map(str::to_owned).collect(),
            permissions: permissions.iter().map(|p| (*p).to_owned()).collect(),
            azp: None,
            exp: 0,
            iat: 0,
            all: Map::new(),
        })
    }

    #[test]
    fn required_scopes() {
        let c = claims("read:projects write:projects", &["delete:projects"]);
        // (required, granted)
        let rows = [
            ("read:projects", true),
            ("read:projects write:projects", true),
            (" delete:projects  read:projects ", true),
            ("admin", false),
            ("read:projects admin", false),
        ];
        for (required, granted) in rows {
            assert_eq!(c.require_scope(required).is_ok(), granted, "{required:?}");
        }
    }

    #[test]
    fn an_empty_required_scope_grants_nothing() {
        let c = claims("read:projects", &[]);
        for required in ["", " ", "\t\n", "\u{3000}"] {
            let err = c.require_scope(required).unwrap_err();
            assert!(
                matches!(err, GuardError::EmptyScope),
                "{required:?}: {err:?}"
            );
            assert_eq!(err.status(), 500);
            assert_eq!(err.check(), "route");
        }
    }
}
