//! Client grants in the desired state: each grant (an application's access to an API, and whether and for which
//! organizations), planned, applied and exported, and the key by which organizations name the grants associated
//! with them. Grants are named by application and API (`client_id`, `audience`), never by grant id, so a file
//! applies to another tenant whose applications have those client ids (client ids are made per tenant; the plan
//! stops on one the tenant lacks). Only the grants the file lists are created or changed; none is deleted. Only
//! the application's own client-credentials grants are described (see [`ClientGrant::is_managed`]); user-type,
//! system and all-scopes grants are neither exported nor changed.

use std::collections::{BTreeSet, HashMap};
use std::fmt;

use futures_util::StreamExt as _;
use serde::{Deserialize, Serialize};

use super::SettingChange;
use crate::model::{ClientGrant, ClientGrantUpdate, NewClientGrant, usage_takes_organizations};
use crate::{AdminError, ManagementClient, ValidationError};

/// One grant. A field left out is not managed (and on creation: no scope, no organizations).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GrantSpec {
    pub client_id: String,
    /// The API's identifier.
    pub audience: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<Vec<String>>,
    /// `deny`, `allow` or `require`: whether tokens may, must or may not be for an organization.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub organization_usage: Option<String>,
    /// Tokens for any organization without associating each.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allow_any_organization: Option<bool>,
}

/// A grant associated with an organization, named by application and API.
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GrantKey {
    pub client_id: String,
    pub audience: String,
}

impl GrantKey {
    pub fn of(g: &ClientGrant) -> Self {
        Self {
            client_id: g.client_id.clone(),
            audience: g.audience.clone(),
        }
    }
}

impl fmt::Display for GrantKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} on {}", self.client_id, self.audience)
    }
}

/// Every rule of the file's grants that needs no tenant: ids, enums, none listed twice.
pub(super) fn validate(grants: &[GrantSpec]) -> Result<(), ValidationError> {
    let mut seen = BTreeSet::new();
    for g in grants {
        NewClientGrant {
            client_id: g.client_id.clone(),
            audience: g.audience.clone(),
            scope: Vec::new(),
            organization_usage: g.organization_usage.clone(),
            allow_any_organization: None,
        }
        .validate()?;
        if !seen.insert((&g.client_id, &g.audience)) {
            return Err(ValidationError::Other(format!(
                "the client grant of {} on {} is listed twice",
                g.client_id, g.audience
            )));
        }
    }
    Ok(())
}

/// What `apply` does to one grant: nothing, a `POST` or a `PATCH`.
#[derive(Debug, Clone, Serialize)]
pub struct GrantPlan {
    pub client_id: String,
    pub audience: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    pub create: bool,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub changes: Vec<SettingChange>,
    #[serde(skip)]
    pub(super) new: Option<NewClientGrant>,
    #[serde(skip)]
    pub(super) update: Option<ClientGrantUpdate>,
}

impl GrantPlan {
    pub fn is_unchanged(&self) -> bool {
        self.new.is_none() && self.update.is_none()
    }
}

impl fmt::Display for GrantPlan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let what = format!("grant {} on {}", self.client_id, self.audience);
        if self.create {
            return write!(f, "+ create    {what}");
        }
        if self.is_unchanged() {
            return write!(f, "= unchanged {what}");
        }
        let list: Vec<String> = self.changes.iter().map(ToString::to_string).collect();
        write!(f, "~ update    {what}: {}", list.join("; "))
    }
}

fn shown<T: fmt::Display>(v: Option<T>) -> String {
    v.map_or_else(|| "(unset)".to_owned(), |v| v.to_string())
}

/// Scopes compared as a set: the order says nothing.
fn same_scopes(a: &[String], b: &[String]) -> bool {
    a.iter().collect::<BTreeSet<_>>() == b.iter().collect::<BTreeSet<_>>()
}

/// The plan of one grant against the tenant's grant of that application on that API, if any.
fn diff(spec: &GrantSpec, have: Option<&ClientGrant>) -> GrantPlan {
    let mut plan = GrantPlan {
        client_id: spec.client_id.clone(),
        audience: spec.audience.clone(),
        id: have.map(|h| h.id.clone()),
        create: have.is_none(),
        changes: Vec::new(),
        new: None,
        update: None,
    };
    let Some(have) = have else {
        plan.new = Some(NewClientGrant {
            client_id: spec.client_id.clone(),
            audience: spec.audience.clone(),
            scope: spec.scope.clone().unwrap_or_default(),
            organization_usage: spec.organization_usage.clone(),
            allow_any_organization: spec.allow_any_organization,
        });
        return plan;
    };
    let mut u = ClientGrantUpdate::default();
    if let Some(want) = &spec.scope
        && !same_scopes(want, &have.scope)
    {
        plan.changes.push(SettingChange {
            setting: "scope",
            from: format!("[{}]", have.scope.join(", ")),
            to: format!("[{}]", want.join(", ")),
        });
        u.scope = Some(want.clone());
    }
    // Absent on the tenant means deny.
    let usage = have.organization_usage.as_deref().unwrap_or("deny");
    if let Some(want) = &spec.organization_usage
        && want != usage
    {
        plan.changes.push(SettingChange {
            setting: "organization_usage",
            from: shown(have.organization_usage.as_deref()),
            to: want.clone(),
        });
        u.organization_usage = Some(want.clone());
    }
    if let Some(want) = spec.allow_any_organization
        && want != have.allow_any_organization.unwrap_or(false)
    {
        plan.changes.push(SettingChange {
            setting: "allow_any_organization",
            from: shown(have.allow_any_organization),
            to: want.to_string(),
        });
        u.allow_any_organization = Some(want);
    }
    plan.update = (!u.is_empty()).then_some(u);
    plan
}

/// The tenant's grants by application and API.
pub(super) type GrantIds = HashMap<GrantKey, String>;

/// Compares the file's grants with the tenant's (`existing`, every grant on it), and checks that each grant an
/// organization names exists or is created here, and takes organizations once applied.
pub(super) fn plan(
    specs: &[GrantSpec],
    existing: &[ClientGrant],
    associated: &BTreeSet<GrantKey>,
) -> Result<Vec<GrantPlan>, AdminError> {
    // A user-type grant of the same application on the same API is another grant, which the file does not describe.
    let by_key: HashMap<GrantKey, &ClientGrant> = existing
        .iter()
        .filter(|g| g.is_managed())
        .map(|g| (GrantKey::of(g), g))
        .collect();
    let mut plans: Vec<GrantPlan> = specs
        .iter()
        .map(|s| {
            let key = GrantKey {
                client_id: s.client_id.clone(),
                audience: s.audience.clone(),
            };
            diff(s, by_key.get(&key).copied())
        })
        .collect();
    for key in associated {
        let spec = specs
            .iter()
            .find(|s| s.client_id == key.client_id && s.audience == key.audience);
        let have = by_key.get(key);
        let usage = match (spec.and_then(|s| s.organization_usage.as_deref()), have) {
            (Some(u), _) => Some(u),
            (None, Some(h)) => h.organization_usage.as_deref(),
            (None, None) if spec.is_none() => {
                return Err(AdminError::Config(format!(
                    "an organization names the client grant of {key}, which the tenant does not have: add it to \
                     client_grants (with organization_usage allow or require), or create it with `orgpass-admin \
                     grants create`"
                )));
            }
            (None, None) => None,
        };
        if !usage_takes_organizations(usage) {
            return Err(AdminError::Config(format!(
                "an organization names the client grant of {key}, whose organization_usage is {}: only a grant \
                 with organization_usage allow or require can be associated with organizations; set it in \
                 client_grants",
                usage.unwrap_or("deny (unset)")
            )));
        }
    }
    plans.sort_by(|a, b| (&a.client_id, &a.audience).cmp(&(&b.client_id, &b.audience)));
    Ok(plans)
}

/// Sends each grant's create or change; the ids of every grant after it (the tenant's and the new ones) and the
/// failures by grant.
pub(super) async fn execute(
    client: &ManagementClient,
    plans: &[GrantPlan],
    mut ids: GrantIds,
    concurrency: usize,
) -> (GrantIds, Vec<(GrantKey, AdminError)>) {
    let results: Vec<(GrantKey, Result<Option<String>, AdminError>)> =
        futures_util::stream::iter(plans.iter().filter(|p| !p.is_unchanged()).map(
            |p| async move {
                let key = GrantKey {
                    client_id: p.client_id.clone(),
                    audience: p.audience.clone(),
                };
                let r = match (&p.new, &p.update, &p.id) {
                    (Some(new), _, _) => client.create_client_grant(new).await.map(|g| Some(g.id)),
                    (None, Some(u), Some(id)) => {
                        client.update_client_grant(id, u).await.map(|_| None)
                    }
                    _ => Ok(None),
                };
                (key, r)
            },
        ))
        .buffer_unordered(concurrency.max(1))
        .collect()
        .await;
    let mut failures = Vec::new();
    for (key, r) in results {
        match r {
            Ok(Some(id)) => {
                ids.insert(key, id);
            }
            Ok(None) => {}
            Err(e) => failures.push((key, e)),
        }
    }
    (ids, failures)
}

/// The tenant's grants (`grants`, every one) as the file writes them, sorted by application and API, and how many
/// were left out because a file does not describe them ([`ClientGrant::is_managed`]). Those on its Management API
/// (`management`: the admin application's own credentials, and tenant-specific) are left out too, without counting.
pub(super) fn specs(management: &str, grants: Vec<ClientGrant>) -> (Vec<GrantSpec>, usize) {
    let (grants, other): (Vec<ClientGrant>, Vec<ClientGrant>) = grants
        .into_iter()
        .filter(|g| g.audience != management)
        .partition(ClientGrant::is_managed);
    let mut specs: Vec<GrantSpec> = grants
        .into_iter()
        .map(|g| GrantSpec {
            client_id: g.client_id,
            audience: g.audience,
            scope: Some(g.scope),
            organization_usage: g.organization_usage,
            allow_any_organization: g.allow_any_organization,
        })
        .collect();
    specs.sort_by(|a, b| (&a.client_id, &a.audience).cmp(&(&b.client_id, &b.audience)));
    (specs, other.len())
}

/// Checks that every application the file's grants and organizations' grants name is on the tenant (`clients`,
/// every one): client ids are made per tenant, so a file written on another one names that tenant's.
pub(super) fn check_clients(
    desired: &super::DesiredState,
    clients: &[crate::model::Client],
) -> Result<(), AdminError> {
    let have: BTreeSet<&str> = clients.iter().map(|c| c.client_id.as_str()).collect();
    let unknown: BTreeSet<&str> = desired
        .client_grants
        .iter()
        .map(|g| g.client_id.as_str())
        .chain(
            desired
                .organizations
                .iter()
                .flat_map(|o| o.client_grants.iter().flatten())
                .map(|g| g.client_id.as_str()),
        )
        .filter(|id| !have.contains(id))
        .collect();
    if unknown.is_empty() {
        return Ok(());
    }
    let list: Vec<&str> = unknown.into_iter().collect();
    Err(AdminError::Config(format!(
        "the file's client grants name applications this tenant does not have: {}. Client ids are made per tenant, \
         so a file written on another tenant names that tenant's applications: edit the file to this tenant's \
         client ids (list them with `orgpass-admin clients list`)",
        list.join(", ")
    )))
}

/// The grants' ids by application and API, of the grants a file describes.
pub(super) fn ids(grants: &[ClientGrant]) -> GrantIds {
    grants
        .iter()
        .filter(|g| g.is_managed())
        .map(|g| (GrantKey::of(g), g.id.clone()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grant(client_id: &str, audience: &str, usage: Option<&str>) -> ClientGrant {
        ClientGrant {
            id: format!("cgr_{client_id}"),
            client_id: client_id.into(),
            audience: audience.into(),
            scope: vec!["read:x".into()],
            organization_usage: usage.map(Into::into),
            allow_any_organization: None,
            subject_type: None,
            is_system: None,
            allow_all_scopes: None,
        }
    }

    #[test]
    fn user_system_and_all_scopes_grants_are_neither_exported_nor_planned_over() {
        // As Auth0 shows them: the user grant of app after its client grant, on the same API.
        let tenant: Vec<ClientGrant> = serde_json::from_str(
            r#"[
              {"id":"cgr_app","client_id":"app","audience":"https://api/","scope":["read:x"],"organization_usage":"allow","subject_type":"client","is_system":false,"allow_all_scopes":false},
              {"id":"cgr_appuser","client_id":"app","audience":"https://api/","scope":["read:me"],"subject_type":"user"},
              {"id":"cgr_sys","client_id":"sys","audience":"https://api/","scope":["read:x"],"organization_usage":"allow","is_system":true},
              {"id":"cgr_all","client_id":"all","audience":"https://api/","scope":[],"organization_usage":"allow","allow_all_scopes":true}
            ]"#,
        )
        .unwrap();
        let (exported, skipped) = specs("https://acme.eu.auth0.com/api/v2/", tenant.clone());
        assert_eq!(
            (exported.len(), skipped),
            (1, 3),
            "only the client grant of app: {exported:?}"
        );
        assert_eq!(
            (exported[0].client_id.as_str(), exported[0].scope.as_deref()),
            ("app", Some(&["read:x".to_owned()][..]))
        );
        // The file's client grant of app is the tenant's client grant (unchanged), not the user grant; a grant of
        // sys or all is created beside Auth0's, never turned into it.
        let spec = |client_id: &str| GrantSpec {
            client_id: client_id.into(),
            audience: "https://api/".into(),
            scope: Some(vec!["read:x".into()]),
            organization_usage: Some("allow".into()),
            ..GrantSpec::default()
        };
        let plans = plan(
            &[spec("app"), spec("sys"), spec("all")],
            &tenant,
            &BTreeSet::new(),
        )
        .unwrap();
        let shown: Vec<String> = plans.iter().map(ToString::to_string).collect();
        assert_eq!(
            shown,
            [
                "+ create    grant all on https://api/",
                "= unchanged grant app on https://api/",
                "+ create    grant sys on https://api/",
            ]
        );
        assert_eq!(plans[1].id.as_deref(), Some("cgr_app"));
        let ids = ids(&tenant);
        assert_eq!(ids.len(), 1);
        assert_eq!(
            ids.get(&GrantKey {
                client_id: "app".into(),
                audience: "https://api/".into()
            })
            .map(String::as_str),
            Some("cgr_app")
        );
    }

    #[test]
    fn the_management_apis_grants_are_not_exported_and_the_rest_are_sorted() {
        let m = "https://acme.eu.auth0.com/api/v2/";
        let (specs, skipped) = specs(
            m,
            vec![
                grant("b", "https://api/", Some("require")),
                grant("admin", m, None),
                ClientGrant {
                    is_system: Some(true),
                    ..grant("auth0", m, None)
                },
                grant("a", "https://api/", None),
            ],
        );
        let keys: Vec<(&str, Option<&str>)> = specs
            .iter()
            .map(|s| (s.client_id.as_str(), s.organization_usage.as_deref()))
            .collect();
        assert_eq!(keys, [("a", None), ("b", Some("require"))]);
        assert_eq!(
            skipped, 0,
            "the Management API's grants are not counted as skipped"
        );
    }

    #[test]
    fn a_grant_is_updated_only_in_what_the_file_writes_and_unset_usage_is_deny() {
        let have = grant("a", "https://api/", None);
        let same = GrantSpec {
            client_id: "a".into(),
            audience: "https://api/".into(),
            organization_usage: Some("deny".into()),
            allow_any_organization: Some(false),
            ..GrantSpec::default()
        };
        assert!(diff(&same, Some(&have)).is_unchanged());
        let changed = GrantSpec {
            scope: Some(vec!["read:y".into()]),
            organization_usage: Some("require".into()),
            ..same
        };
        let plan = diff(&changed, Some(&have));
        assert_eq!(
            plan.to_string(),
            "~ update    grant a on https://api/: scope [read:x] → [read:y]; organization_usage (unset) → require"
        );
    }
}
