//! Desired state (`apply FILE`, `export`): the file format (TOML or YAML), the plan that compares it with the
//! tenant, and running the plan concurrently.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt;
use std::path::Path;
use std::time::{Duration, Instant};

use futures_util::StreamExt as _;
use indicatif::ProgressBar;
use serde::{Deserialize, Serialize};

use crate::model::*;
use crate::{AdminError, ManagementClient, StatsSnapshot, ValidationError};

/// The desired state of a set of organizations.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DesiredState {
    #[serde(default)]
    pub organizations: Vec<OrgSpec>,
}

/// One organization. A field left out is not managed (left as it is on the tenant).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OrgSpec {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    /// Member user ids (`auth0|…`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub members: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub branding: Option<Branding>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<BTreeMap<String, String>>,
    /// Connections by name, with their per-organization settings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub connections: Option<Vec<ConnectionSpec>>,
}

/// A connection enabled for an organization, by connection name.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConnectionSpec {
    pub name: String,
    #[serde(default)]
    pub assign_membership_on_login: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub show_as_button: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_signup_enabled: Option<bool>,
}

/// File formats of desired state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Toml,
    Yaml,
}

impl Format {
    /// By extension: `.toml`, `.yaml`/`.yml`.
    pub fn from_path(path: &Path) -> Option<Self> {
        match path.extension()?.to_str()?.to_ascii_lowercase().as_str() {
            "toml" => Some(Self::Toml),
            "yaml" | "yml" => Some(Self::Yaml),
            _ => None,
        }
    }
}

impl DesiredState {
    /// Parses a desired-state document.
    pub fn parse(text: &str, format: Format) -> Result<Self, AdminError> {
        match format {
            Format::Toml => toml::from_str(text)
                .map_err(|e| AdminError::Config(format!("invalid desired-state TOML: {e}"))),
            Format::Yaml => serde_yaml_ng::from_str(text)
                .map_err(|e| AdminError::Config(format!("invalid desired-state YAML: {e}"))),
        }
    }

    /// Reads a desired-state file; the format comes from the extension.
    pub fn read(path: &Path) -> Result<Self, AdminError> {
        let format = Format::from_path(path).ok_or_else(|| {
            AdminError::Config(format!(
                "{}: name the file *.toml, *.yaml or *.yml so its format is known",
                path.display()
            ))
        })?;
        let text = std::fs::read_to_string(path)
            .map_err(|e| AdminError::Config(format!("could not read {}: {e}", path.display())))?;
        Self::parse(&text, format)
    }

    /// Writes the document in `format`.
    pub fn render(&self, format: Format) -> Result<String, AdminError> {
        match format {
            Format::Toml => toml::to_string_pretty(self)
                .map_err(|e| AdminError::Config(format!("could not write TOML: {e}"))),
            Format::Yaml => serde_yaml_ng::to_string(self)
                .map_err(|e| AdminError::Config(format!("could not write YAML: {e}"))),
        }
    }

    /// Every rule that can be checked without reading the tenant: names, duplicates, branding (whose logo rule
    /// depends on which tenant, see [`crate::validate::logo_url`]), metadata, member user ids, flags.
    pub fn validate(&self, tenant: &crate::Tenant) -> Result<(), ValidationError> {
        let mut seen = BTreeSet::new();
        for o in &self.organizations {
            crate::validate::org_name(&o.name)?;
            if !seen.insert(o.name.as_str()) {
                return Err(ValidationError::Other(format!(
                    "organization {:?} is listed twice",
                    o.name
                )));
            }
            crate::model::validate_org_fields(
                o.display_name.as_deref(),
                o.branding.as_ref(),
                o.metadata.as_ref(),
                tenant,
            )?;
            for m in o.members.iter().flatten() {
                crate::validate::user_id(m)?;
            }
            if let Some(cs) = &o.connections {
                let mut names = BTreeSet::new();
                for c in cs {
                    if !names.insert(c.name.as_str()) {
                        return Err(ValidationError::Other(format!(
                            "connection {:?} is listed twice for organization {:?}",
                            c.name, o.name
                        )));
                    }
                    crate::validate::connection_flags(
                        &c.name,
                        c.assign_membership_on_login,
                        c.is_signup_enabled,
                    )?;
                }
            }
        }
        Ok(())
    }
}

/// What happens to one organization.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    Create,
    Update,
    Unchanged,
    Delete,
    /// On the tenant, not in the file; deleted only with `--prune`.
    WouldDelete,
}

/// One difference between the file and the tenant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "change", rename_all = "snake_case")]
pub enum Change {
    DisplayName {
        from: Option<String>,
        to: String,
    },
    Branding,
    Metadata {
        set: Vec<String>,
        removed: Vec<String>,
    },
    EnableConnection {
        connection: String,
    },
    UpdateConnection {
        connection: String,
    },
    DisableConnection {
        connection: String,
    },
    /// Enabled on the tenant, not in the file; disabled only with `--prune`.
    WouldDisableConnection {
        connection: String,
    },
    AddMembers {
        members: Vec<String>,
    },
    RemoveMembers {
        members: Vec<String>,
    },
    /// Members on the tenant, not in the file; removed only with `--prune`.
    WouldRemoveMembers {
        members: Vec<String>,
    },
}

impl Change {
    fn is_effective(&self) -> bool {
        !matches!(
            self,
            Change::WouldDisableConnection { .. } | Change::WouldRemoveMembers { .. }
        )
    }
}

impl fmt::Display for Change {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Change::DisplayName { from, to } => write!(
                f,
                "display_name {:?} → {to:?}",
                from.as_deref().unwrap_or("")
            ),
            Change::Branding => write!(f, "branding"),
            Change::Metadata { set, removed } => {
                write!(f, "metadata")?;
                if !set.is_empty() {
                    write!(f, " set {}", set.join(","))?;
                }
                if !removed.is_empty() {
                    write!(f, " remove {}", removed.join(","))?;
                }
                Ok(())
            }
            Change::EnableConnection { connection } => write!(f, "enable {connection}"),
            Change::UpdateConnection { connection } => write!(f, "update {connection}"),
            Change::DisableConnection { connection } => write!(f, "disable {connection}"),
            Change::WouldDisableConnection { connection } => {
                write!(f, "would disable {connection} (--prune)")
            }
            Change::AddMembers { members } => write!(f, "add {} member(s)", members.len()),
            Change::RemoveMembers { members } => write!(f, "remove {} member(s)", members.len()),
            Change::WouldRemoveMembers { members } => {
                write!(f, "would remove {} member(s) (--prune)", members.len())
            }
        }
    }
}

/// The plan for one organization.
#[derive(Debug, Clone, Serialize)]
pub struct OrgPlan {
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    pub action: Action,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub changes: Vec<Change>,
    #[serde(skip)]
    work: Work,
}

#[derive(Debug, Clone, Default)]
struct Work {
    create: Option<NewOrganization>,
    update: Option<OrganizationUpdate>,
    enable: Vec<ConnectionSettings>,
    modify: Vec<(String, ConnectionSettingsUpdate)>,
    disable: Vec<String>,
    add_members: Vec<String>,
    remove_members: Vec<String>,
    delete: bool,
}

/// Everything `apply` will do.
#[derive(Debug, Clone, Serialize)]
pub struct Plan {
    pub organizations: Vec<OrgPlan>,
}

/// Counts per action.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    pub create: usize,
    pub update: usize,
    pub unchanged: usize,
    pub delete: usize,
    pub would_delete: usize,
}

impl Plan {
    /// How many organizations get each action.
    pub fn counts(&self) -> Counts {
        let mut c = Counts::default();
        for o in &self.organizations {
            match o.action {
                Action::Create => c.create += 1,
                Action::Update => c.update += 1,
                Action::Unchanged => c.unchanged += 1,
                Action::Delete => c.delete += 1,
                Action::WouldDelete => c.would_delete += 1,
            }
        }
        c
    }

    /// True when applying would change nothing.
    pub fn is_noop(&self) -> bool {
        let c = self.counts();
        c.create + c.update + c.delete == 0
    }
}

impl fmt::Display for Plan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for o in &self.organizations {
            let (sign, word) = match o.action {
                Action::Create => ('+', "create"),
                Action::Update => ('~', "update"),
                Action::Unchanged => ('=', "unchanged"),
                Action::Delete => ('-', "delete"),
                Action::WouldDelete => ('!', "would delete (--prune)"),
            };
            write!(f, "{sign} {word:<9} {}", o.name)?;
            if !o.changes.is_empty() {
                let list: Vec<String> = o.changes.iter().map(ToString::to_string).collect();
                write!(f, ": {}", list.join("; "))?;
            }
            writeln!(f)?;
        }
        let c = self.counts();
        write!(
            f,
            "Plan: {} to create, {} to update, {} unchanged, {} to delete",
            c.create, c.update, c.unchanged, c.delete
        )?;
        if c.would_delete > 0 {
            write!(
                f,
                ", {} not in the file (deleted only with --prune)",
                c.would_delete
            )?;
        }
        Ok(())
    }
}

/// What `apply` did.
#[derive(Debug, Clone, Serialize)]
pub struct ApplyReport {
    pub counts: Counts,
    pub failures: Vec<Failure>,
    pub stats: StatsSnapshot,
    pub elapsed_secs: f64,
}

/// An organization whose changes failed.
#[derive(Debug, Clone, Serialize)]
pub struct Failure {
    pub name: String,
    pub error: String,
}

struct Current {
    org: Organization,
    connections: Option<Vec<EnabledConnection>>,
    members: Option<Vec<String>>,
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
        Ok::<_, AdminError>(Current {
            org: org.clone(),
            connections,
            members,
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
    Ok(Plan {
        organizations: plans,
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
    (changes, work)
}

/// Runs a plan, `concurrency` organizations at a time. Failures are collected, not fatal.
pub async fn execute(
    client: &ManagementClient,
    plan: &Plan,
    concurrency: usize,
    progress: &ProgressBar,
) -> ApplyReport {
    let started = Instant::now();
    let before = client.stats();
    let todo: Vec<&OrgPlan> = plan
        .organizations
        .iter()
        .filter(|o| matches!(o.action, Action::Create | Action::Update | Action::Delete))
        .collect();
    progress.set_length(todo.len() as u64);
    progress.set_position(0);
    progress.set_message("applying");
    let mut failures = Vec::new();
    let mut results = futures_util::stream::iter(todo.into_iter().map(|o| async move {
        let r = run_one(client, o).await;
        (o, r)
    }))
    .buffer_unordered(concurrency.max(1));
    while let Some((o, r)) = results.next().await {
        progress.inc(1);
        if let Err(e) = r {
            failures.push(Failure {
                name: o.name.clone(),
                error: e.to_string(),
            });
        }
    }
    drop(results);
    failures.sort_by(|a, b| a.name.cmp(&b.name));
    let after = client.stats();
    ApplyReport {
        counts: plan.counts(),
        failures,
        stats: StatsSnapshot {
            requests: after.requests - before.requests,
            succeeded: after.succeeded - before.succeeded,
            rate_limited: after.rate_limited - before.rate_limited,
            retried: after.retried - before.retried,
            token_refreshes: after.token_refreshes - before.token_refreshes,
        },
        elapsed_secs: started.elapsed().as_secs_f64(),
    }
}

async fn run_one(client: &ManagementClient, o: &OrgPlan) -> Result<(), AdminError> {
    let w = &o.work;
    if w.delete {
        let id = o.id.as_deref().expect("existing org has an id");
        return match client.delete_organization(id).await {
            Ok(()) | Err(AdminError::NotFound { .. }) => Ok(()),
            Err(e) => Err(e),
        };
    }
    let id = match (&w.create, &o.id) {
        (Some(new), _) => client.create_organization(new).await?.id,
        (None, Some(id)) => id.clone(),
        (None, None) => unreachable!("plan without id or create"),
    };
    if let Some(u) = &w.update {
        client.update_organization(&id, u).await?;
    }
    for s in &w.enable {
        client.enable_connection(&id, s).await?;
    }
    for (cid, u) in &w.modify {
        client.update_enabled_connection(&id, cid, u).await?;
    }
    for cid in &w.disable {
        match client.disable_connection(&id, cid).await {
            Ok(()) | Err(AdminError::NotFound { .. }) => {}
            Err(e) => return Err(e),
        }
    }
    if !w.add_members.is_empty() {
        client.add_members(&id, &w.add_members).await?;
    }
    if !w.remove_members.is_empty() {
        client.remove_members(&id, &w.remove_members).await?;
    }
    Ok(())
}

/// The tenant's organizations as a desired-state document (every field filled in), ready for `apply`.
pub async fn export(
    client: &ManagementClient,
    concurrency: usize,
    progress: &ProgressBar,
) -> Result<DesiredState, AdminError> {
    let connections = client.connections_cached().await?.to_vec();
    let name_of: HashMap<&str, &str> = connections
        .iter()
        .map(|c| (c.id.as_str(), c.name.as_str()))
        .collect();
    let orgs = client.list_organizations().await?;
    progress.set_length(orgs.len() as u64);
    progress.set_message("exporting");
    let name_of = &name_of;
    let mut specs: Vec<OrgSpec> =
        futures_util::stream::iter(orgs.into_iter().map(|org| async move {
            let enabled = client.list_enabled_connections(&org.id).await?;
            let mut members: Vec<String> = client
                .list_members(&org.id)
                .await?
                .into_iter()
                .map(|m| m.user_id)
                .collect();
            members.sort();
            let mut conns: Vec<ConnectionSpec> = enabled
                .into_iter()
                .map(|e| ConnectionSpec {
                    name: name_of
                        .get(e.connection_id.as_str())
                        .map(|s| (*s).to_owned())
                        .or(e.connection.map(|c| c.name))
                        .unwrap_or(e.connection_id),
                    assign_membership_on_login: e.assign_membership_on_login,
                    show_as_button: e.show_as_button,
                    is_signup_enabled: e.is_signup_enabled,
                })
                .collect();
            conns.sort_by(|a, b| a.name.cmp(&b.name));
            progress.inc(1);
            Ok::<_, AdminError>(OrgSpec {
                name: org.name,
                display_name: org.display_name,
                members: Some(members),
                branding: Some(org.branding.unwrap_or_default()),
                metadata: Some(org.metadata.unwrap_or_default()),
                connections: Some(conns),
            })
        }))
        .buffer_unordered(concurrency.max(1))
        .collect::<Vec<_>>()
        .await
        .into_iter()
        .collect::<Result<_, _>>()?;
    specs.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(DesiredState {
        organizations: specs,
    })
}

/// Seconds as a short human string.
pub fn human_secs(d: Duration) -> String {
    format!("{:.1}s", d.as_secs_f64())
}

#[cfg(test)]
mod tests {
    use super::*;

    const TOML: &str = r##"
[[organizations]]
name = "acme"
display_name = "Acme Inc."
members = ["auth0|1"]
metadata = { tier = "gold" }
[organizations.branding]
logo_url = "https://cdn.example.com/acme.png"
colors = { primary = "#0059d6", page_background = "#ffffff" }
[[organizations.connections]]
name = "Username-Password-Authentication"
assign_membership_on_login = true
is_signup_enabled = true
"##;

    const YAML: &str = r##"
organizations:
  - name: acme
    display_name: Acme Inc.
    members: ["auth0|1"]
    metadata: { tier: gold }
    branding:
      logo_url: https://cdn.example.com/acme.png
      colors: { primary: "#0059d6", page_background: "#ffffff" }
    connections:
      - name: Username-Password-Authentication
        assign_membership_on_login: true
        is_signup_enabled: true
"##;

    #[test]
    fn toml_and_yaml_read_the_same_and_round_trip() {
        let t = DesiredState::parse(TOML, Format::Toml).unwrap();
        let y = DesiredState::parse(YAML, Format::Yaml).unwrap();
        assert_eq!(t, y);
        assert_eq!(
            t.organizations[0]
                .branding
                .as_ref()
                .unwrap()
                .colors
                .as_ref()
                .unwrap()
                .primary,
            "#0059d6"
        );
        for f in [Format::Toml, Format::Yaml] {
            let text = t.render(f).unwrap();
            assert_eq!(DesiredState::parse(&text, f).unwrap(), t, "{text}");
        }
        t.validate(&crate::Tenant::parse("acme.eu.auth0.com").unwrap())
            .unwrap();
    }

    #[test]
    fn validation_rows() {
        let base = DesiredState::parse(TOML, Format::Toml).unwrap();
        type Mutation = Box<dyn Fn(&mut DesiredState)>;
        let rows: Vec<(Mutation, &str)> = vec![
            (
                Box::new(|d| d.organizations[0].name = "Acme".into()),
                "organization name",
            ),
            (
                Box::new(|d| d.organizations.push(d.organizations[0].clone())),
                "listed twice",
            ),
            (
                Box::new(|d| {
                    d.organizations[0]
                        .branding
                        .as_mut()
                        .unwrap()
                        .colors
                        .as_mut()
                        .unwrap()
                        .primary = "blue".into()
                }),
                "not a hex colour",
            ),
            (
                Box::new(|d| {
                    d.organizations[0].branding.as_mut().unwrap().logo_url =
                        Some("http://x.example/l.png".into())
                }),
                "https",
            ),
            (
                Box::new(|d| {
                    d.organizations[0].connections.as_mut().unwrap()[0].assign_membership_on_login =
                        false
                }),
                "assign_membership_on_login",
            ),
            (
                Box::new(|d| {
                    d.organizations[0].members = Some(vec!["auth0|ok".into(), String::new()])
                }),
                "user id \"\" is invalid",
            ),
        ];
        let auth0 = crate::Tenant::parse("acme.eu.auth0.com").unwrap();
        for (mutate, needle) in rows {
            let mut d = base.clone();
            mutate(&mut d);
            let e = d.validate(&auth0).unwrap_err().to_string();
            assert!(e.contains(needle), "{e:?} should mention {needle:?}");
        }
        assert!(
            DesiredState::parse(
                "organizations = [{ name = \"a\", colour = \"x\" }]",
                Format::Toml
            )
            .is_err()
        );
    }

    #[test]
    fn format_by_extension() {
        assert_eq!(Format::from_path(Path::new("x.toml")), Some(Format::Toml));
        assert_eq!(Format::from_path(Path::new("x.YML")), Some(Format::Yaml));
        assert_eq!(Format::from_path(Path::new("x.json")), None);
    }
}
