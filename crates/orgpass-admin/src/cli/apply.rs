//! `apply` (make a desired-state file true: print the plan, then carry it out within the rate limits) and `export`
//! (write the tenant's organizations as such a file).

use std::io::Write as _;
use std::path::Path;

use orgpass_admin::apply::{self, DesiredState, Format};

use super::CliError;
use super::args::Cli;
use super::credentials::client;
use super::output::{Out, progress};

/// `apply FILE [--dry-run] [--prune]`.
pub(super) async fn run(
    cli: &Cli,
    out: &Out,
    file: &Path,
    dry_run: bool,
    prune: bool,
) -> Result<(), CliError> {
    let conc = cli.concurrency.max(1);
    let desired = DesiredState::read(file)?;
    let c = client(cli).await?;
    let pb = progress(cli);
    let plan = apply::plan(&c, &desired, prune, conc, &pb).await?;
    pb.finish_and_clear();
    if !cli.json {
        out.line(plan.to_string())?;
    }
    if dry_run || plan.is_noop() {
        if cli.json {
            out.json(
                &serde_json::json!({"plan": plan, "counts": plan.counts(), "applied": false}),
            )?;
        } else if plan.is_noop() && !dry_run {
            out.line("Nothing to do.")?;
        }
        return Ok(());
    }
    let pb = progress(cli);
    let report = apply::execute(&c, &plan, conc, &pb).await;
    pb.finish_and_clear();
    if cli.json {
        out.json(&serde_json::json!({"plan": plan, "counts": plan.counts(), "applied": true, "report": report}))?;
    } else {
        for f in &report.failures {
            out.line(format!("failed {}: {}", f.name, f.error))?;
        }
        for r in &report.dns_records {
            out.line(format!(
                "{} {}: pending; publish the DNS TXT record {} with the value {}",
                r.organization, r.domain, r.name, r.value
            ))?;
        }
        out.line(format!(
            "Applied in {:.1}s: {} requests ({} rate-limited and waited, {} retried), {} failed.",
            report.elapsed_secs,
            report.stats.requests,
            report.stats.rate_limited,
            report.stats.retried,
            report.failures.len()
        ))?;
    }
    if report.failures.is_empty() {
        Ok(())
    } else {
        Err(CliError::Partial(report.failures.len()))
    }
}

/// `export [--output FILE] [--format toml|yaml]`.
pub(super) async fn export(
    cli: &Cli,
    out: &Out,
    output: Option<&Path>,
    format: &str,
) -> Result<(), CliError> {
    let conc = cli.concurrency.max(1);
    let c = client(cli).await?;
    let pb = progress(cli);
    let apply::Exported { state, notes } = apply::export(&c, conc, &pb).await?;
    pb.finish_and_clear();
    for n in &notes {
        writeln!(std::io::stderr(), "{n}")?;
    }
    match output {
        Some(path) => {
            let f = Format::from_path(path).ok_or_else(|| {
                CliError::Usage(format!(
                    "{}: name the file *.toml, *.yaml or *.yml",
                    path.display()
                ))
            })?;
            std::fs::write(path, state.render(f)?)?;
            out.done(
                &serde_json::json!({"written": path, "organizations": state.organizations.len()}),
                format!(
                    "Wrote {} organization(s) to {}",
                    state.organizations.len(),
                    path.display()
                ),
            )
        }
        None => {
            let f = if format == "yaml" {
                Format::Yaml
            } else {
                Format::Toml
            };
            write!(std::io::stdout().lock(), "{}", state.render(f)?)?;
            Ok(())
        }
    }
}
