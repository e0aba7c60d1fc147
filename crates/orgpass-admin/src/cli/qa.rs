//! `qa branding`: every organization's login page checked in headless Chromium against what the Management API
//! (or an `apply` file) says it should show; progress as it goes, then the gallery and report.json.

use std::io::Write as _;
use std::time::Instant;

use orgpass_admin::apply::DesiredState;
use orgpass_admin::qa::{self, Audit, BrowserOptions, LoginApp, Report, Selectors};

use super::CliError;
use super::args::{Cli, QaBranding};
use super::credentials::client;
use super::output::{Out, progress};

/// Browsers at once, whatever --concurrency says: each is a whole Chromium.
const MAX_BROWSERS: usize = 4;

pub(super) async fn branding(cli: &Cli, out: &Out, args: &QaBranding) -> Result<(), CliError> {
    if args.orgs.is_empty() && !args.all && args.expect.is_none() {
        return Err(CliError::Usage(
            "name the organizations to check with --org ORG (repeatable), or pass --all (or --expect FILE)"
                .into(),
        ));
    }
    if args.chromedriver.is_some() {
        writeln!(
            std::io::stderr(),
            "warning: --chromedriver is deprecated and ignored: Chromium is now driven directly over a pipe, \
             without chromedriver; drop the flag"
        )?;
    }
    let expect = args.expect.as_deref().map(DesiredState::read).transpose()?;
    let selectors = match &args.selectors {
        Some(path) => Selectors::load(path)?,
        None => Selectors::default(),
    };
    let c = client(cli).await?;
    let started_at = time::OffsetDateTime::now_utc()
        .replace_nanosecond(0)
        .unwrap_or_else(|_| time::OffsetDateTime::now_utc())
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default();
    let t0 = Instant::now();
    let plan = qa::Plan::new(&c, &args.orgs, expect.as_ref()).await?;
    if plan.is_empty() {
        return Err(CliError::Usage(
            "no organizations to check: the tenant (or the --expect file) has none".into(),
        ));
    }
    let total = plan.len();
    let pb = progress(cli);
    pb.set_length(total as u64);
    pb.set_message("login pages");
    if pb.is_hidden() && !cli.json {
        out.line(format!(
            "Checking the login pages of {total} organizations (each read through the Management API within its \
             rate limits, then opened in Chromium):"
        ))?;
    }
    let json = cli.json;
    let mut write_error = None;
    let audit = Audit {
        tenant_base: c.tenant().base(),
        app: &LoginApp {
            client_id: args.login_client_id.clone(),
            redirect_uri: args.redirect_uri.clone(),
        },
        selectors: &selectors,
        browser: BrowserOptions {
            chromium: args.chromium.clone(),
            insecure_no_sandbox: args.no_sandbox,
            ..BrowserOptions::default()
        },
        browsers: cli.concurrency.clamp(1, MAX_BROWSERS),
    };
    let subjects = plan.subjects(&c, cli.concurrency);
    let (reports, shots) = qa::run(audit, total, subjects, |r| {
        if pb.is_hidden() {
            if !json && let Err(e) = out.line(r.line()) {
                write_error.get_or_insert(e);
            }
        } else {
            if !r.passed {
                pb.println(r.line());
            }
            pb.inc(1);
        }
    })
    .await;
    pb.finish_and_clear();
    if let Some(e) = write_error {
        return Err(e);
    }
    let expected_from = match &args.expect {
        Some(p) => format!("the file {}", p.display()),
        None => "the Management API".into(),
    };
    let report = Report::new(
        c.tenant().base().to_string(),
        expected_from,
        started_at,
        t0.elapsed().as_secs_f64(),
        c.stats(),
        reports,
    );
    report.write(&args.out, &shots)?;
    let index = args.out.join("index.html").display().to_string();
    let s = report.summary;
    if json {
        out.json(&report)?;
    } else {
        out.line(format!(
            "Checked {} organizations in {:.1}s ({} Management API requests, {} rate-limited and waited): {} passed, \
             {} failed. Gallery: {index}",
            s.organizations,
            report.elapsed_secs,
            report.management_api.requests,
            report.management_api.rate_limited,
            s.passed,
            s.failed
        ))?;
    }
    if s.failed == 0 {
        Ok(())
    } else {
        Err(CliError::QaFailed {
            failed: s.failed,
            total: s.organizations,
            index,
        })
    }
}
