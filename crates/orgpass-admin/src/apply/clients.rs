//! Applications in the desired state: their organization settings (usage, the prompt before or after login, how
//! the prompt finds the organization) and refresh-token rotation overlap, planned, applied and exported. Only
//! the applications the file lists are touched, and an application is never created or deleted.

use std::collections::BTreeSet;
use std::fmt;

use futures_util::StreamExt as _;
use serde::{Deserialize, Serialize};

use crate::model::{Client, ClientUpdate, RefreshTokenConfig};
use crate::{AdminError, ManagementClient, ValidationError};

/// One application's settings. A field left out is not managed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClientSpec {
    pub client_id: String,
    /// `deny`, `allow` or `require`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub organization_usage: Option<String>,
    /// `no_prompt`, `pre_login_prompt` or `post_login_prompt`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub organization_require_behavior: Option<String>,
    /// `email` and/or `organization_name`: how `pre_login_prompt` finds the organization.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub organization_discovery_methods: Option<Vec<String>>,
    /// Refresh-token rotation overlap in seconds (`refresh_token.leeway`): how long the previous refresh token
    /// may be used again without revoking its family.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_token_leeway: Option<u64>,
}

/// Every rule of the file's applications that needs no tenant: ids, enums, none listed twice.
pub(super) fn validate(clients: &[ClientSpec]) -> Result<(), ValidationError> {
    let mut seen = BTreeSet::new();
    for c in clients {
        crate::validate::client_id(&c.client_id)?;
        if !seen.insert(c.client_id.as_str()) {
            return Err(ValidationError::Other(format!(
                "application {:?} is listed twice",
                c.client_id
            )));
        }
        ClientUpdate {
            organization_usage: c.organization_usage.clone(),
            organization_require_behavior: c.organization_require_behavior.clone(),
            organization_discovery_methods: c.organization_discovery_methods.clone(),
            refresh_token: None,
        }
        .validate()?;
    }
    Ok(())
}

/// One setting that differs between the file and the tenant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SettingChange {
    pub setting: &'static str,
    pub from: String,
    pub to: String,
}

impl fmt::Display for SettingChange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {} → {}", self.setting, self.from, self.to)
    }
}

/// What `apply` does to one application: nothing, or one `PATCH`.
#[derive(Debug, Clone, Serialize)]
pub struct ClientPlan {
    pub client_id: String,
    pub name: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub changes: Vec<SettingChange>,
    #[serde(skip)]
    pub(super) update: Option<ClientUpdate>,
}

impl ClientPlan {
    pub fn is_unchanged(&self) -> bool {
        self.update.is_none()
    }
}

impl fmt::Display for ClientPlan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_unchanged() {
            return write!(f, "= unchanged client {}", self.client_id);
        }
        let list: Vec<String> = self.changes.iter().map(ToString::to_string).collect();
        write!(
            f,
            "~ update    client {}: {}",
            self.client_id,
            list.join("; ")
        )
    }
}

fn shown(v: Option<&str>) -> String {
    v.unwrap_or("(unset)").to_owned()
}

/// Discovery methods compared as a set: Auth0 keeps the order it was sent, which says nothing.
fn same_methods(a: &[String], b: &[String]) -> bool {
    a.iter().collect::<BTreeSet<_>>() == b.iter().collect::<BTreeSet<_>>()
}

/// The plan of one application against what the tenant has.
fn diff(spec: &ClientSpec, have: &Client) -> Result<ClientPlan, AdminError> {
    let mut changes = Vec::new();
    let mut u = ClientUpdate::default();
    if let Some(want) = &spec.organization_usage
        && have.organization_usage.as_ref() != Some(want)
    {
        changes.push(SettingChange {
            setting: "organization_usage",
            from: shown(have.organization_usage.as_deref()),
            to: want.clone(),
        });
        u.organization_usage = Some(want.clone());
    }
    if let Some(want) = &spec.organization_require_behavior
        && have.organization_require_behavior.as_ref() != Some(want)
    {
        changes.push(SettingChange {
            setting: "organization_require_behavior",
            from: shown(have.organization_require_behavior.as_deref()),
            to: want.clone(),
        });
        u.organization_require_behavior = Some(want.clone());
    }
    if let Some(want) = &spec.organization_discovery_methods {
        let current = have
            .organization_discovery_methods
            .clone()
            .unwrap_or_default();
        if !same_methods(want, &current) {
            changes.push(SettingChange {
                setting: "organization_discovery_methods",
                from: format!("[{}]", current.join(", ")),
                to: format!("[{}]", want.join(", ")),
            });
            u.organization_discovery_methods = Some(want.clone());
        }
    }
    if let Some(want) = spec.refresh_token_leeway
        && have.leeway() != want
    {
        let current: &RefreshTokenConfig =
            have.refresh_token
                .as_ref()
                .ok_or_else(|| AdminError::Config(format!(
                    "application {} has no refresh-token settings, so no rotation overlap can be set: turn on \
                     refresh-token rotation for it first (Dashboard → Applications → Settings → Refresh Token \
                     Rotation), or leave refresh_token_leeway out",
                    spec.client_id
                )))?;
        changes.push(SettingChange {
            setting: "refresh_token.leeway",
            from: have.leeway().to_string(),
            to: want.to_string(),
        });
        u.refresh_token = Some(RefreshTokenConfig {
            leeway: Some(want),
            ..current.clone()
        });
    }
    Ok(ClientPlan {
        client_id: spec.client_id.clone(),
        name: have.name.clone(),
        changes,
        update: (!u.is_empty()).then_some(u),
    })
}

/// Reads each listed application and compares it with the file.
pub(super) async fn plan(
    client: &ManagementClient,
    specs: &[ClientSpec],
    concurrency: usize,
) -> Result<Vec<ClientPlan>, AdminError> {
    let mut plans: Vec<ClientPlan> =
        futures_util::stream::iter(specs.iter().map(|spec| async move {
            let have = client.get_client(&spec.client_id).await?;
            diff(spec, &have)
        }))
        .buffer_unordered(concurrency.max(1))
        .collect::<Vec<_>>()
        .await
        .into_iter()
        .collect::<Result<_, _>>()?;
    plans.sort_by(|a, b| a.client_id.cmp(&b.client_id));
    Ok(plans)
}

/// Sends each application's change; the failures by client id.
pub(super) async fn execute(
    client: &ManagementClient,
    plans: &[ClientPlan],
    concurrency: usize,
) -> Vec<(String, AdminError)> {
    futures_util::stream::iter(plans.iter().filter_map(|p| {
        let u = p.update.as_ref()?;
        Some(async move {
            client
                .update_client(&p.client_id, u)
                .await
                .err()
                .map(|e| (p.client_id.clone(), e))
        })
    }))
    .buffer_unordered(concurrency.max(1))
    .filter_map(|r| async move { r })
    .collect()
    .await
}

/// Every application on the tenant with each setting it has, sorted by client id.
pub(super) async fn export(client: &ManagementClient) -> Result<Vec<ClientSpec>, AdminError> {
    let mut specs: Vec<ClientSpec> = client
        .list_clients()
        .await?
        .into_iter()
        .map(|c| ClientSpec {
            refresh_token_leeway: c.refresh_token.as_ref().map(|_| c.leeway()),
            organization_discovery_methods: c
                .organization_discovery_methods
                .filter(|m| !m.is_empty()),
            organization_usage: c.organization_usage,
            organization_require_behavior: c.organization_require_behavior,
            client_id: c.client_id,
        })
        .collect();
    specs.sort_by(|a, b| a.client_id.cmp(&b.client_id));
    Ok(specs)
}
