//! The plan: what `apply` will do to each organization (an [`Action`] and its [`Change`]s, with the requests
//! behind them), counted and shown as text.

use std::fmt;

use serde::Serialize;

use crate::model::{
    ConnectionSettings, ConnectionSettingsUpdate, DiscoveryDomainUpdate, NewDiscoveryDomain,
    NewOrganization, OrganizationUpdate,
};

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
    AddDomain {
        domain: String,
    },
    UpdateDomain {
        domain: String,
    },
    RemoveDomain {
        domain: String,
    },
    /// A discovery domain on the tenant, not in the file; removed only with `--prune`.
    WouldRemoveDomain {
        domain: String,
    },
    /// A client grant to associate, by application and API.
    AddGrant {
        client_id: String,
        audience: String,
    },
    RemoveGrant {
        client_id: String,
        audience: String,
    },
    /// A client grant associated on the tenant, not in the file; removed only with `--prune`.
    WouldRemoveGrant {
        client_id: String,
        audience: String,
    },
}

impl Change {
    pub(super) fn is_effective(&self) -> bool {
        !matches!(
            self,
            Change::WouldDisableConnection { .. }
                | Change::WouldRemoveMembers { .. }
                | Change::WouldRemoveDomain { .. }
                | Change::WouldRemoveGrant { .. }
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
            Change::AddDomain { domain } => write!(f, "add domain {domain}"),
            Change::UpdateDomain { domain } => write!(f, "update domain {domain}"),
            Change::RemoveDomain { domain } => write!(f, "remove domain {domain}"),
            Change::WouldRemoveDomain { domain } => {
                write!(f, "would remove domain {domain} (--prune)")
            }
            Change::AddGrant {
                client_id,
                audience,
            } => write!(f, "add grant {client_id} on {audience}"),
            Change::RemoveGrant {
                client_id,
                audience,
            } => write!(f, "remove grant {client_id} on {audience}"),
            Change::WouldRemoveGrant {
                client_id,
                audience,
            } => write!(f, "would remove grant {client_id} on {audience} (--prune)"),
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
    pub(super) work: Work,
}

#[derive(Debug, Clone, Default)]
pub(super) struct Work {
    pub(super) create: Option<NewOrganization>,
    pub(super) update: Option<OrganizationUpdate>,
    pub(super) enable: Vec<ConnectionSettings>,
    pub(super) modify: Vec<(String, ConnectionSettingsUpdate)>,
    pub(super) disable: Vec<String>,
    pub(super) add_members: Vec<String>,
    pub(super) remove_members: Vec<String>,
    pub(super) add_domains: Vec<NewDiscoveryDomain>,
    /// By discovery domain id.
    pub(super) modify_domains: Vec<(String, DiscoveryDomainUpdate)>,
    pub(super) remove_domains: Vec<String>,
    /// Client grants to associate, by application and API (their ids are known once the grants are applied).
    pub(super) add_grants: Vec<super::GrantKey>,
    /// By client grant id.
    pub(super) remove_grants: Vec<String>,
    pub(super) delete: bool,
}

/// Everything `apply` will do.
#[derive(Debug, Clone, Serialize)]
pub struct Plan {
    pub organizations: Vec<OrgPlan>,
    /// The applications the file lists.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub clients: Vec<super::ClientPlan>,
    /// The client grants the file lists.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub client_grants: Vec<super::GrantPlan>,
    /// The tenant's client grants' ids by application and API, as planned.
    #[serde(skip)]
    pub(super) grant_ids: super::grants::GrantIds,
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
            && self.clients.iter().all(|p| p.is_unchanged())
            && self.client_grants.iter().all(|p| p.is_unchanged())
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
        for p in &self.clients {
            writeln!(f, "{p}")?;
        }
        for p in &self.client_grants {
            writeln!(f, "{p}")?;
        }
        let c = self.counts();
        write!(
            f,
            "Plan: {} to create, {} to update, {} unchanged, {} to delete",
            c.create, c.update, c.unchanged, c.delete
        )?;
        // Organizations only: applications and grants are never deleted.
        if c.would_delete > 0 {
            write!(
                f,
                ", {} not in the file (deleted only with --prune)",
                c.would_delete
            )?;
        }
        if !self.clients.is_empty() {
            let changed = self.clients.iter().filter(|p| !p.is_unchanged()).count();
            write!(
                f,
                "; applications: {changed} to update, {} unchanged",
                self.clients.len() - changed
            )?;
        }
        if !self.client_grants.is_empty() {
            let created = self.client_grants.iter().filter(|p| p.create).count();
            let changed = self
                .client_grants
                .iter()
                .filter(|p| !p.create && !p.is_unchanged())
                .count();
            write!(
                f,
                "; client grants: {created} to create, {changed} to update, {} unchanged",
                self.client_grants.len() - created - changed
            )?;
        }
        Ok(())
    }
}
