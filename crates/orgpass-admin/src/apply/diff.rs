//! Planning: reads what the desired state manages from the tenant and compares the two, organization by
//! organization, into a [`Plan`].

use std::collections::{BTreeSet, HashMap};

use futures_util::StreamExt as _;
use indicatif::ProgressBar;

use super::DomainSpec;
use super::GrantKey;
use super::plan::Work;
use super::{Action, Change, ConnectionSpec, DesiredState, OrgPlan, OrgSpec, Plan};
use crate::model::{
    ClientGrant, Connection, ConnectionSettings, ConnectionSettingsUpdate, DiscoveryDomain,
    DiscoveryDomainUpdate, EnabledConnection, NewDiscoveryDomain, NewOrganization, Organization,
    OrganizationUpdate,
};
use crate::{AdminError, ManagementClient};

struct Current {
    org: Organization,
    connections: Option<Vec<EnabledConnection>>,
    members: Option<Vec<String>>,
    domains: Option<Vec<DiscoveryDomain>>,
    grants: Option<Vec<ClientGrant>>,
}

/// Reads the tenant and compares it with `desired`. With `prune`, organizations (and connections, members of
/// managed lists) that are not in the file are deleted; without, they are only reported.
pub async fn plan(
    client: &ManagementClient,
    desired: &DesiredState,
    prune: bool,
    concurrency: usize,
    progress: &ProgressBar,
) -> Result<Plan, AdminError> {
    desired.validate(client.tenant())?;
    let wants_connections = desired
        .organizations
        .iter()
        .any(|o| o.connections.is_some());
    let connections: Vec<Connection> = if wants_connections {
        client.connections_cached().await?.to_vec()
    } else {
        Vec::new()
    };
    let by_name: HashMap<&str, &Connection> =
        connections.iter().map(|c| (c.name.as_str(), c)).collect();
    let by_id: HashMap<&str, &Connection> =
        connections.iter().map(|c| (c.id.as_str(), c)).collect();
    for o in &desired.organizations {
        for c in o.connections.iter().flatten() {
            let conn = by_name
                .get(c.name.as_str())
                .ok_or_else(|| AdminError::NotFound {
                    what: format!("connection {} (organization {})", c.name, o.name),
                    message: "no connection has this name".into(),
                    hint: "connections list",
                })?;
            crate::validate::signup_strategy(&c.name, &conn.strategy, c.is_signup_enabled)?;
        }
    }

    // Client grants first: an organization naming a grant that cannot be associated fails before anything is read.
    let associated: BTreeSet<GrantKey> = desired
        .organizations
        .iter()
        .flat_map(|o| o.client_grants.iter().flatten().cloned())
        .collect();
    let existing_grants = if desired.client_grants.is_empty() && associated.is_empty() {
        Vec::new()
    } else {
        // Client ids are made per tenant: a file written on another one names that tenant's applications.
        progress.set_message("reading applications");
        super::grants::check_clients(desired, &client.list_clients().await?)?;
        progress.set_message("reading client grants");
        client.list_client_grants(None, None).await?
    };
    let client_grants = super::grants::plan(&desired.client_grants, &existing_grants, &associated)?;
    let grant_ids = super::grants::ids(&existing_grants);

    progress.set_message("reading organizations");
    let existing = client.list_organizations().await?;
    let existing_by_name: HashMap<&str, &Organization> =
        existing.iter().map(|o| (o.name.as_str(), o)).collect();

    // Read what is needed of each existing organization that the file manages.
    let to_read: Vec<(&OrgSpec, &Organization)> = desired
        .organizations
        .iter()
        .filter_map(|spec| existing_by_name.get(spec.name.as_str()).map(|o| (spec, *o)))
        .collect();
    progress.set_length(to_read.len() as u64);
    progress.set_position(0);
    progress.set_message("reading current state");
    let mut current: HashMap<String, Current> = HashMap::new();
    let mut reads = futures_util::stream::iter(to_read.into_iter().map(|(spec, org)| async move {
        let connections = match &spec.connections {
            Some(_) => Some(client.list_enabled_connections(&org.id).await?),
            None => None,
        };
        let members = match &spec.members {
            Some(_) => Some(
                client
                    .list_members(&org.id)
                    .await?
                    .into_iter()
                    .map(|m| m.user_id)
                    .collect(),
            ),
            None => None,
        };
        let domains = match &spec.discovery_domains {
            Some(_) => Some(client.list_discovery_domains(&org.id).await?),
            None => None,
        };
        let grants = match &spec.client_grants {
            Some(_) => Some(client.list_organization_client_grants(&org.id).await?),
            None => None,
        };
        Ok::<_, AdminError>(Current {
            org: org.clone(),
            connections,
            members,
            domains,
            grants,
        })
    }))
    .buffer_unordered(concurrency.max(1));
    while let Some(r) = reads.next().await {
        let c = r?;
        progress.inc(1);
        current.insert(c.org.name.clone(), c);
    }
    drop(reads);

    let mut plans = Vec::new();
    for spec in &desired.organizations {
        let settings_of = |c: &ConnectionSpec| ConnectionSettings {
            connection_id: by_name[c.name.as_str()].id.clone(),
            assign_membership_on_login: c.assign_membership_on_login,
            show_as_button: c.show_as_button,
            is_signup_enabled: c.is_signup_enabled,
        };
        match current.get(&spec.name) {
            None => {
                let mut work = Work::default();
                let mut changes = Vec::new();
                let all: Vec<ConnectionSettings> =
                    spec.connections.iter().flatten().map(settings_of).collect();
                let (inline, later) =
                    all.split_at(all.len().min(crate::validate::MAX_CONNECTIONS_ON_CREATE));
                for c in spec.connections.iter().flatten() {
                    changes.push(Change::EnableConnection {
                        connection: c.name.clone(),
                    });
                }
                work.create = Some(NewOrganization {
                    name: spec.name.clone(),
                    display_name: spec.display_name.clone(),
                    branding: spec.branding.clone().filter(|b| !b.is_empty()),
                    metadata: spec.metadata.clone().filter(|m| !m.is_empty()),
                    enabled_connections: inline.to_vec(),
                });
                work.enable = later.to_vec();
                if let Some(m) = spec.members.as_ref().filter(|m| !m.is_empty()) {
                    changes.push(Change::AddMembers { members: m.clone() });
                    work.add_members = m.clone();
                }
                for d in spec.discovery_domains.iter().flatten() {
                    changes.push(Change::AddDomain {
                        domain: d.domain.to_ascii_lowercase(),
                    });
                    work.add_domains.push(new_domain(d));
                }
                for g in spec.client_grants.iter().flatten() {
                    changes.push(Change::AddGrant {
                        client_id: g.client_id.clone(),
                        audience: g.audience.clone(),
                    });
                    work.add_grants.push(g.clone());
                }
                plans.push(OrgPlan {
                    name: spec.name.clone(),
                    id: None,
                    action: Action::Create,
                    changes,
                    work,
                });
            }
            Some(cur) => {
                let (changes, work) = diff(spec, cur, prune, &settings_of, &by_id);
                let action = if changes.iter().any(Change::is_effective) {
                    Action::Update
                } else {
                    Action::Unchanged
                };
                plans.push(OrgPlan {
                    name: spec.name.clone(),
                    id: Some(cur.org.id.clone()),
                    action,
                    changes,
                    work,
                });
            }
        }
    }
    let wanted: BTreeSet<&str> = desired
        .organizations
        .iter()
        .map(|o| o.name.as_str())
        .collect();
    for org in &existing {
        if !wanted.contains(org.name.as_str()) {
            plans.push(OrgPlan {
                name: org.name.clone(),
                id: Some(org.id.clone()),
                action: if prune {
                    Action::Delete
                } else {
                    Action::WouldDelete
                },
                changes: vec![],
                work: Work {
                    delete: prune,
                    ..Work::default()
                },
            });
        }
    }
    progress.set_message("reading applications");
    let clients = super::clients::plan(client, &desired.clients, concurrency).await?;
    Ok(Plan {
        organizations: plans,
        clients,
        client_grants,
        grant_ids,
    })
}

fn diff(
    spec: &OrgSpec,
    cur: &Current,
    prune: bool,
    settings_of: &dyn Fn(&ConnectionSpec) -> ConnectionSettings,
    by_id: &HashMap<&str, &Connection>,
) -> (Vec<Change>, Work) {
    let mut changes = Vec::new();
    let mut work = Work::default();
    let mut update = OrganizationUpdate::default();
    let org = &cur.org;
    if let Some(d) = &spec.display_name
        && org.display_name.as_ref() != Some(d)
    {
        changes.push(Change::DisplayName {
            from: org.display_name.clone(),
            to: d.clone(),
        });
        update.display_name = Some(d.clone());
    }
    if let Some(b) = &spec.branding {
        let have = org.branding.clone().unwrap_or_default();
        if &have != b {
            changes.push(Change::Branding);
            update.branding = Some(b.clone());
        }
    }
    if let Some(want) = &spec.metadata {
        let have = org.metadata.clone().unwrap_or_default();
        if &have != want {
            let set: Vec<String> = want
                .iter()
                .filter(|(k, v)| have.get(*k) != Some(*v))
                .map(|(k, _)| k.clone())
                .collect();
            let removed: Vec<String> = have
                .keys()
                .filter(|k| !want.contains_key(*k))
                .cloned()
                .collect();
            changes.push(Change::Metadata { set, removed });
            update.metadata = Some(want.clone());
        }
    }
    if !update.is_empty() {
        work.update = Some(update);
    }
    if let (Some(want), Some(have)) = (&spec.connections, &cur.connections) {
        let have_by_id: HashMap<&str, &EnabledConnection> =
            have.iter().map(|c| (c.connection_id.as_str(), c)).collect();
        let mut wanted_ids = BTreeSet::new();
        for c in want {
            let s = settings_of(c);
            wanted_ids.insert(s.connection_id.clone());
            match have_by_id.get(s.connection_id.as_str()) {
                None => {
                    changes.push(Change::EnableConnection {
                        connection: c.name.clone(),
                    });
                    work.enable.push(s);
                }
                Some(h) => {
                    let mut u = ConnectionSettingsUpdate::default();
                    if h.assign_membership_on_login != s.assign_membership_on_login {
                        u.assign_membership_on_login = Some(s.assign_membership_on_login);
                    }
                    if s.show_as_button.is_some() && h.show_as_button != s.show_as_button {
                        u.show_as_button = s.show_as_button;
                    }
                    if s.is_signup_enabled.is_some()
                        && h.is_signup_enabled.unwrap_or(false)
                            != s.is_signup_enabled.unwrap_or(false)
                    {
                        u.is_signup_enabled = s.is_signup_enabled;
                        // Auth0 checks the pair together.
                        u.assign_membership_on_login = Some(s.assign_membership_on_login);
                    }
                    if u != ConnectionSettingsUpdate::default() {
                        changes.push(Change::UpdateConnection {
                            connection: c.name.clone(),
                        });
                        work.modify.push((s.connection_id.clone(), u));
                    }
                }
            }
        }
        for h in have {
            if !wanted_ids.contains(&h.connection_id) {
                let name = by_id
                    .get(h.connection_id.as_str())
                    .map(|c| c.name.clone())
                    .or_else(|| h.connection.as_ref().map(|c| c.name.clone()))
                    .unwrap_or_else(|| h.connection_id.clone());
                if prune {
                    changes.push(Change::DisableConnection { connection: name });
                    work.disable.push(h.connection_id.clone());
                } else {
                    changes.push(Change::WouldDisableConnection { connection: name });
                }
            }
        }
    }
    if let (Some(want), Some(have)) = (&spec.members, &cur.members) {
        let have: BTreeSet<&String> = have.iter().collect();
        let want_set: BTreeSet<&String> = want.iter().collect();
        let add: Vec<String> = want_set.difference(&have).map(|s| (*s).clone()).collect();
        let extra: Vec<String> = have.difference(&want_set).map(|s| (*s).clone()).collect();
        if !add.is_empty() {
            changes.push(Change::AddMembers {
                members: add.clone(),
            });
            work.add_members = add;
        }
        if !extra.is_empty() {
            if prune {
                changes.push(Change::RemoveMembers {
                    members: extra.clone(),
                });
                work.remove_members = extra;
            } else {
                changes.push(Change::WouldRemoveMembers { members: extra });
            }
        }
    }
    if let (Some(want), Some(have)) = (&spec.discovery_domains, &cur.domains) {
        diff_domains(want, have, prune, &mut changes, &mut work);
    }
    if let (Some(want), Some(have)) = (&spec.client_grants, &cur.grants) {
        diff_grants(want, have, prune, &mut changes, &mut work);
    }
    (changes, work)
}

fn new_domain(d: &DomainSpec) -> NewDiscoveryDomain {
    NewDiscoveryDomain {
        domain: d.domain.to_ascii_lowercase(),
        status: d.status.clone(),
        use_for_organization_discovery: d.use_for_organization_discovery,
    }
}

/// Discovery domains by domain name: added, changed where the file sets a field, removed with `prune`.
fn diff_domains(
    want: &[DomainSpec],
    have: &[DiscoveryDomain],
    prune: bool,
    changes: &mut Vec<Change>,
    work: &mut super::plan::Work,
) {
    let have_by_domain: HashMap<String, &DiscoveryDomain> = have
        .iter()
        .map(|d| (d.domain.to_ascii_lowercase(), d))
        .collect();
    let mut wanted = BTreeSet::new();
    for d in want {
        let domain = d.domain.to_ascii_lowercase();
        wanted.insert(domain.clone());
        match have_by_domain.get(&domain) {
            None => {
                changes.push(Change::AddDomain {
                    domain: domain.clone(),
                });
                work.add_domains.push(new_domain(d));
            }
            Some(h) => {
                let mut u = DiscoveryDomainUpdate::default();
                if d.status.as_ref().is_some_and(|s| s != &h.status) {
                    u.status = d.status.clone();
                }
                if d.use_for_organization_discovery
                    .is_some_and(|b| b != h.use_for_organization_discovery)
                {
                    u.use_for_organization_discovery = d.use_for_organization_discovery;
                }
                if u != DiscoveryDomainUpdate::default() {
                    changes.push(Change::UpdateDomain { domain });
                    work.modify_domains.push((h.id.clone(), u));
                }
            }
        }
    }
    for h in have {
        if !wanted.contains(&h.domain.to_ascii_lowercase()) {
            let domain = h.domain.clone();
            if prune {
                changes.push(Change::RemoveDomain { domain });
                work.remove_domains.push(h.id.clone());
            } else {
                changes.push(Change::WouldRemoveDomain { domain });
            }
        }
    }
}

/// An organization's client grants by application and API: associated, and removed with `prune` (only those a file
/// describes, [`ClientGrant::is_managed`]).
fn diff_grants(
    want: &[GrantKey],
    have: &[ClientGrant],
    prune: bool,
    changes: &mut Vec<Change>,
    work: &mut super::plan::Work,
) {
    // Only the grants a file describes: another kind of grant associated is left as it is, even with `prune`.
    let have: Vec<&ClientGrant> = have.iter().filter(|h| h.is_managed()).collect();
    let have_keys: BTreeSet<GrantKey> = have.iter().map(|h| GrantKey::of(h)).collect();
    for g in want.iter().filter(|g| !have_keys.contains(*g)) {
        changes.push(Change::AddGrant {
            client_id: g.client_id.clone(),
            audience: g.audience.clone(),
        });
        work.add_grants.push(g.clone());
    }
    for h in have.iter().filter(|h| !want.contains(&GrantKey::of(h))) {
        let (client_id, audience) = (h.client_id.clone(), h.audience.clone());
        if prune {
            changes.push(Change::RemoveGrant {
                client_id,
                audience,
            });
            work.remove_grants.push(h.id.clone());
        } else {
            changes.push(Change::WouldRemoveGrant {
                client_id,
                audience,
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_associated_grant_a_file_does_not_describe_is_left_alone_even_with_prune() {
        let have: Vec<ClientGrant> = serde_json::from_str(
            r#"[
              {"id":"cgr_user","client_id":"app","audience":"https://api/","scope":[],"subject_type":"user"},
              {"id":"cgr_sys","client_id":"sys","audience":"https://api/","scope":[],"is_system":true},
              {"id":"cgr_app","client_id":"app","audience":"https://billing/","scope":[],"subject_type":"client"}
            ]"#,
        )
        .unwrap();
        let (mut changes, mut work) = (Vec::new(), Work::default());
        diff_grants(&[], &have, true, &mut changes, &mut work);
        assert_eq!(
            changes,
            [Change::RemoveGrant {
                client_id: "app".into(),
                audience: "https://billing/".into()
            }]
        );
        assert_eq!(work.remove_grants, ["cgr_app"]);
    }
}
