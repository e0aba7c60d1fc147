//! Benchmark: `apply` of 1,000 organizations with two connections each against devtenant with a configured
//! rate limit, then a second apply that must find everything unchanged.
//!
//! Run: `cargo bench -p orgpass-admin --bench apply` (optionally `-- --orgs N --burst B --per-minute R`).
//! Without `--bench` (as `cargo test --benches` runs it) it does a 20-organization smoke run. A full run fails if
//! more than 1% of the requests of a round were answered 429 or a round kept less than 98% of the allowed rate.

use std::collections::BTreeMap;
use std::time::Instant;

use devtenant::ratelimit::{BucketSpec, Preset, RateLimitConfig};
use indicatif::ProgressBar;
use orgpass_admin::apply::{self, ConnectionSpec, DesiredState, OrgSpec};
use orgpass_admin::model::{Branding, Colors};
use orgpass_admin::{ManagementClient, Secret, Tenant};

fn arg(args: &[String], name: &str, default: u32) -> u32 {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn desired(n: u32) -> DesiredState {
    DesiredState {
        organizations: (0..n)
            .map(|i| OrgSpec {
                name: format!("customer-{i:05}"),
                display_name: Some(format!("Customer {i}")),
                members: None,
                branding: Some(Branding {
                    logo_url: Some(format!("https://cdn.example.com/logos/{i}.png")),
                    colors: Some(Colors {
                        primary: format!("#{:06x}", i * 2654435 % 0xffffff),
                        page_background: "#ffffff".into(),
                    }),
                }),
                metadata: Some(BTreeMap::from([(
                    "plan".into(),
                    if i % 3 == 0 { "enterprise" } else { "team" }.into(),
                )])),
                connections: Some(vec![
                    ConnectionSpec {
                        name: "Username-Password-Authentication".into(),
                        assign_membership_on_login: true,
                        show_as_button: None,
                        is_signup_enabled: Some(false),
                    },
                    ConnectionSpec {
                        name: "google-oauth2".into(),
                        assign_membership_on_login: false,
                        show_as_button: None,
                        is_signup_enabled: None,
                    },
                ]),
                discovery_domains: None,
                client_grants: None,
            })
            .collect(),
        clients: Vec::new(),
        client_grants: Vec::new(),
    }
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let full = args.iter().any(|a| a == "--bench");
    let orgs = arg(&args, "--orgs", if full { 1000 } else { 20 });
    let burst = arg(&args, "--burst", if full { 250 } else { 5 });
    let per_minute = arg(&args, "--per-minute", if full { 1500 } else { 600 });
    let concurrency = arg(&args, "--concurrency", 16) as usize;

    let mut seed = devtenant::Seed::demo();
    seed.tenant.rate_limits = RateLimitConfig {
        preset: Preset::Off,
        groups: [
            "write_organizations",
            "read_organizations",
            "read_organization_connections",
            "read_connections",
        ]
        .iter()
        .map(|g| ((*g).to_owned(), BucketSpec { burst, per_minute }))
        .collect(),
    };
    let t = devtenant::spawn(seed, devtenant::SpawnOptions::default())
        .await
        .expect("devtenant starts");
    let client = ManagementClient::builder(
        Tenant::parse(&format!("http://{}", t.addr)).unwrap(),
        devtenant::DEMO_M2M_CLIENT_ID,
        Secret::new(devtenant::DEMO_M2M_CLIENT_SECRET),
    )
    .concurrency(concurrency)
    .build()
    .unwrap();
    let rate = f64::from(per_minute) / 60.0;
    println!(
        "apply benchmark: {orgs} organizations x 2 connections; devtenant limit per group: burst {burst}, {per_minute}/min ({rate:.1}/s); concurrency {concurrency}"
    );
    let want = desired(orgs);
    let pb = ProgressBar::hidden();

    for round in 1..=2 {
        let before = client.stats();
        let started = Instant::now();
        let plan = apply::plan(&client, &want, false, concurrency, &pb)
            .await
            .expect("plan");
        let planned = started.elapsed().as_secs_f64();
        let report = apply::execute(&client, &plan, concurrency, &pb).await;
        let elapsed = started.elapsed().as_secs_f64();
        let after = client.stats();
        let requests = after.succeeded - before.succeeded;
        let attempts = after.requests - before.requests;
        let limited = after.rate_limited - before.rate_limited;
        let limited_share = limited as f64 / attempts.max(1) as f64;
        let c = plan.counts();
        // Requests the buckets could admit in this time: the burst plus the refill (one bucket per group; the work
        // of each round is dominated by one group: creates in round 1, enabled-connection reads in round 2).
        let allowed = f64::from(burst) + rate * elapsed;
        let dominant = if round == 1 {
            c.create as f64
        } else {
            (c.unchanged + c.update) as f64
        };
        let steady = (dominant - f64::from(burst)).max(0.0) / (rate * elapsed);
        println!(
            "round {round}: create {} update {} unchanged {} | failures {} | {:.1}s (plan {:.1}s) | {} requests ok, {} answered 429 ({:.1}% of {} sent), {} retried | dominant group: {:.0} requests = {:.1}% of burst+rate*t, steady-state {:.1}% of {:.1}/s",
            c.create,
            c.update,
            c.unchanged,
            report.failures.len(),
            elapsed,
            planned,
            requests,
            limited,
            100.0 * limited_share,
            attempts,
            after.retried - before.retried,
            dominant,
            100.0 * dominant / allowed,
            100.0 * steady,
            rate,
        );
        for f in report.failures.iter().take(5) {
            println!("  failed {}: {}", f.name, f.error);
        }
        assert!(report.failures.is_empty(), "apply had failures");
        if full {
            // The targets: the tenant sees almost no 429s, and the allowed rate is kept.
            assert!(
                limited_share <= 0.01,
                "{limited} of {attempts} requests answered 429"
            );
            assert!(
                dominant / allowed >= 0.98,
                "{:.1}% of the allowed rate",
                100.0 * dominant / allowed
            );
        }
        if round == 2 {
            assert!(plan.is_noop(), "second apply must change nothing");
            assert_eq!(c.unchanged, orgs as usize);
        }
    }
}
