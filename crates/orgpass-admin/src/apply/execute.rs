//! Running a plan: its client grants first, then its organizations concurrently, each one's requests in order, failures collected into the
//! [`ApplyReport`] of what was done.

use std::time::{Duration, Instant};

use futures_util::StreamExt as _;
use indicatif::ProgressBar;
use serde::Serialize;

use super::{Action, Counts, OrgPlan, Plan};
use crate::{AdminError, ManagementClient, StatsSnapshot};

/// What `apply` did.
#[derive(Debug, Clone, Serialize)]
pub struct ApplyReport {
    pub counts: Counts,
    pub failures: Vec<Failure>,
    /// The DNS TXT records to publish for the discovery domains this apply added as `pending`, by organization and
    /// domain.
    pub dns_records: Vec<DnsRecord>,
    pub stats: StatsSnapshot,
    pub elapsed_secs: f64,
}

/// A DNS TXT record that proves a pending discovery domain is the organization's.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DnsRecord {
    pub organization: String,
    pub domain: String,
    /// The record's name (`_auth0-challenge.{domain}`).
    pub name: String,
    /// The record's value.
    pub value: String,
}

/// An organization whose changes failed.
#[derive(Debug, Clone, Serialize)]
pub struct Failure {
    pub name: String,
    pub error: String,
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
    let mut failures = Vec::new();
    // Client grants before organizations: an association needs its grant, and the grant's organization_usage.
    progress.set_message("applying client grants");
    let (grant_ids, grant_failures) = super::grants::execute(
        client,
        &plan.client_grants,
        plan.grant_ids.clone(),
        concurrency,
    )
    .await;
    for (key, e) in grant_failures {
        failures.push(Failure {
            name: format!("client grant {key}"),
            error: e.to_string(),
        });
    }
    let grant_ids = &grant_ids;
    progress.set_length(todo.len() as u64);
    progress.set_position(0);
    progress.set_message("applying");
    let mut dns_records = Vec::new();
    let mut results = futures_util::stream::iter(todo.into_iter().map(|o| async move {
        let r = run_one(client, o, grant_ids).await;
        (o, r)
    }))
    .buffer_unordered(concurrency.max(1));
    while let Some((o, r)) = results.next().await {
        progress.inc(1);
        match r {
            Ok(records) => dns_records.extend(records),
            Err(e) => failures.push(Failure {
                name: o.name.clone(),
                error: e.to_string(),
            }),
        }
    }
    drop(results);
    for (client_id, e) in super::clients::execute(client, &plan.clients, concurrency).await {
        failures.push(Failure {
            name: format!("application {client_id}"),
            error: e.to_string(),
        });
    }
    failures.sort_by(|a, b| a.name.cmp(&b.name));
    dns_records.sort_by(|a, b| (&a.organization, &a.domain).cmp(&(&b.organization, &b.domain)));
    let after = client.stats();
    ApplyReport {
        counts: plan.counts(),
        failures,
        dns_records,
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

/// One organization's requests in order; the TXT records of the pending discovery domains it added.
async fn run_one(
    client: &ManagementClient,
    o: &OrgPlan,
    grant_ids: &super::grants::GrantIds,
) -> Result<Vec<DnsRecord>, AdminError> {
    let w = &o.work;
    if w.delete {
        let id = o.id.as_deref().expect("existing org has an id");
        return match client.delete_organization(id).await {
            Ok(()) | Err(AdminError::NotFound { .. }) => Ok(Vec::new()),
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
    let mut records = Vec::new();
    for new in &w.add_domains {
        let d = client.create_discovery_domain(&id, new).await?;
        if d.is_pending() {
            records.push(DnsRecord {
                organization: o.name.clone(),
                domain: d.domain,
                name: d.verification_host,
                value: d.verification_txt,
            });
        }
    }
    for (domain_id, u) in &w.modify_domains {
        client.update_discovery_domain(&id, domain_id, u).await?;
    }
    for domain_id in &w.remove_domains {
        match client.delete_discovery_domain(&id, domain_id).await {
            Ok(()) | Err(AdminError::NotFound { .. }) => {}
            Err(e) => return Err(e),
        }
    }
    for key in &w.add_grants {
        let grant_id = grant_ids.get(key).ok_or_else(|| {
            AdminError::Config(format!(
                "the client grant of {key} was not created (see its failure), so it is not associated with {}",
                o.name
            ))
        })?;
        match client.associate_client_grant(&id, grant_id).await {
            Ok(_) | Err(AdminError::Conflict { .. }) => {}
            Err(e) => return Err(e),
        }
    }
    for grant_id in &w.remove_grants {
        match client.remove_organization_client_grant(&id, grant_id).await {
            Ok(()) | Err(AdminError::NotFound { .. }) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(records)
}

/// Seconds as a short human string.
pub fn human_secs(d: Duration) -> String {
    format!("{:.1}s", d.as_secs_f64())
}
