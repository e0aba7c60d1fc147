//! Discovery domains: `apply` adds, updates and prunes them (the pending ones' DNS TXT records printed), a second
//! apply is unchanged, and the `orgs domains` commands.

use indicatif::ProgressBar;
use orgpass_admin::apply::{self, Action, Change, DesiredState, Format};

use crate::cli::{cmd, ok, stderr, stdout};
use crate::support::*;

const FILE: &str = r##"
[[organizations]]
name = "stark"
display_name = "Stark Industries"
discovery_domains = [
  { domain = "stark.example", status = "verified", use_for_organization_discovery = true },
  { domain = "Stark-Labs.example" },
]

[[organizations]]
name = "acme"
discovery_domains = [
  { domain = "acme.example", status = "verified", use_for_organization_discovery = true },
  { domain = "acme-eu.example", use_for_organization_discovery = true },
]
"##;

fn org_plan<'a>(plan: &'a apply::Plan, name: &str) -> &'a apply::OrgPlan {
    plan.organizations.iter().find(|o| o.name == name).unwrap()
}

#[tokio::test]
async fn apply_adds_domains_prints_pending_records_then_is_unchanged() {
    let t = start().await;
    let c = client(&t);
    let pb = ProgressBar::hidden();
    let desired = DesiredState::parse(FILE, Format::Toml).unwrap();

    let plan = apply::plan(&c, &desired, false, 4, &pb).await.unwrap();
    assert_eq!(org_plan(&plan, "stark").action, Action::Create);
    assert_eq!(
        org_plan(&plan, "stark").changes,
        vec![
            Change::AddDomain {
                domain: "stark.example".into()
            },
            Change::AddDomain {
                domain: "stark-labs.example".into()
            },
        ]
    );
    // acme keeps example.com on the tenant: reported, not removed, without --prune.
    let acme = org_plan(&plan, "acme");
    assert_eq!(acme.action, Action::Update);
    assert_eq!(
        acme.changes,
        vec![
            Change::AddDomain {
                domain: "acme-eu.example".into()
            },
            Change::WouldRemoveDomain {
                domain: "example.com".into()
            },
        ]
    );
    assert!(
        plan.to_string().contains(
            "~ update    acme: add domain acme-eu.example; would remove domain example.com (--prune)"
        ),
        "{plan}"
    );

    let report = apply::execute(&c, &plan, 4, &pb).await;
    assert!(report.failures.is_empty(), "{:?}", report.failures);
    // The two pending domains, each with the record the tenant asks for.
    let stark = c.resolve_organization("stark").await.unwrap();
    let acme_id = c.resolve_organization("acme").await.unwrap().id;
    let labs = c
        .resolve_discovery_domain(&stark.id, "stark-labs.example")
        .await
        .unwrap();
    let eu = c
        .resolve_discovery_domain(&acme_id, "acme-eu.example")
        .await
        .unwrap();
    let records: Vec<(&str, &str, &str, &str)> = report
        .dns_records
        .iter()
        .map(|r| {
            (
                r.organization.as_str(),
                r.domain.as_str(),
                r.name.as_str(),
                r.value.as_str(),
            )
        })
        .collect();
    assert_eq!(
        records,
        vec![
            (
                "acme",
                "acme-eu.example",
                "_auth0-challenge.acme-eu.example",
                eu.verification_txt.as_str()
            ),
            (
                "stark",
                "stark-labs.example",
                "_auth0-challenge.stark-labs.example",
                labs.verification_txt.as_str()
            ),
        ]
    );
    assert!(
        labs.verification_txt
            .starts_with("auth0-domain-verification=")
    );
    assert_eq!(
        (labs.status.as_str(), labs.use_for_organization_discovery),
        ("pending", false)
    );
    assert_eq!(
        (eu.status.as_str(), eu.use_for_organization_discovery),
        ("pending", true)
    );
    let verified = c
        .resolve_discovery_domain(&stark.id, "stark.example")
        .await
        .unwrap();
    assert_eq!(
        (
            verified.status.as_str(),
            verified.use_for_organization_discovery
        ),
        ("verified", true)
    );

    // The same file again: unchanged (acme still only reports example.com).
    let again = apply::plan(&c, &desired, false, 4, &pb).await.unwrap();
    assert!(again.is_noop(), "{again}");
    assert_eq!(again.counts().unchanged, 2);

    // A changed flag is an update; --prune removes what the file does not list.
    let changed = FILE.replace(
        "{ domain = \"acme-eu.example\", use_for_organization_discovery = true }",
        "{ domain = \"acme-eu.example\", status = \"verified\", use_for_organization_discovery = false }",
    );
    let desired2 = DesiredState::parse(&changed, Format::Toml).unwrap();
    let plan = apply::plan(&c, &desired2, true, 4, &pb).await.unwrap();
    assert_eq!(
        org_plan(&plan, "acme").changes,
        vec![
            Change::UpdateDomain {
                domain: "acme-eu.example".into()
            },
            Change::RemoveDomain {
                domain: "example.com".into()
            },
        ]
    );
    let report = apply::execute(&c, &plan, 4, &pb).await;
    assert!(report.failures.is_empty(), "{:?}", report.failures);
    assert!(report.dns_records.is_empty());
    let mut left: Vec<(String, String, bool)> = c
        .list_discovery_domains(&acme_id)
        .await
        .unwrap()
        .into_iter()
        .map(|d| (d.domain, d.status, d.use_for_organization_discovery))
        .collect();
    left.sort();
    assert_eq!(
        left,
        vec![
            ("acme-eu.example".into(), "verified".into(), false),
            ("acme.example".into(), "verified".into(), true),
        ]
    );
    assert!(
        apply::plan(&c, &desired2, true, 4, &pb)
            .await
            .unwrap()
            .is_noop()
    );
}

#[tokio::test]
async fn apply_command_prints_the_txt_record_of_a_pending_domain() {
    let t = start().await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("orgs.toml");
    std::fs::write(
        &file,
        "[[organizations]]\nname = \"hooli\"\ndiscovery_domains = [{ domain = \"hooli.example\" }]\n",
    )
    .unwrap();
    let f = file.to_str().unwrap();
    let out = ok(&cmd(&t).args(["apply", f]).output().await.unwrap());
    let c = client(&t);
    let hooli = c.resolve_organization("hooli").await.unwrap();
    let d = c
        .resolve_discovery_domain(&hooli.id, "hooli.example")
        .await
        .unwrap();
    let line = format!(
        "hooli hooli.example: pending; publish the DNS TXT record _auth0-challenge.hooli.example with the value {}",
        d.verification_txt
    );
    assert!(out.lines().any(|l| l == line), "{out}");
    let out = ok(&cmd(&t).args(["apply", f]).output().await.unwrap());
    assert!(out.contains("= unchanged hooli"), "{out}");
    assert!(out.contains("Nothing to do."), "{out}");
}

#[tokio::test]
async fn domains_commands_add_list_get_update_remove() {
    let t = start().await;
    let run = |args: &'static [&'static str]| {
        let mut c = cmd(&t);
        c.args(args);
        async move { c.output().await.unwrap() }
    };
    let out = ok(&run(&["orgs", "domains", "add", "globex", "Globex-Corp.example"]).await);
    let c = client(&t);
    let globex = c.resolve_organization("globex").await.unwrap();
    let d = c
        .resolve_discovery_domain(&globex.id, "globex-corp.example")
        .await
        .unwrap();
    assert_eq!(
        out.trim_end(),
        format!(
            "Added to globex: globex-corp.example: pending; publish the DNS TXT record _auth0-challenge.globex-corp.example with the value {}",
            d.verification_txt
        )
    );

    let table = ok(&run(&["orgs", "domains", "list", "globex"]).await);
    let lines: Vec<&str> = table.lines().collect();
    assert!(
        lines[0].starts_with("ID") && lines[0].ends_with("TXT RECORD TO PUBLISH"),
        "{table}"
    );
    assert_eq!(lines.len(), 5, "header and four domains: {table}");
    let row = lines
        .iter()
        .find(|l| l.contains("globex-corp.example"))
        .unwrap();
    assert!(
        row.starts_with(&d.id)
            && row.ends_with(&format!(
                "_auth0-challenge.globex-corp.example = {}",
                d.verification_txt
            )),
        "{row}"
    );
    let verified_row = lines
        .iter()
        .find(|l| l.contains(" globex.example"))
        .unwrap();
    assert!(
        verified_row.trim_end().ends_with("verified  true"),
        "{verified_row}"
    );

    let out = ok(&run(&[
        "orgs",
        "domains",
        "update",
        "globex",
        "globex-corp.example",
        "--status",
        "verified",
        "--use-for-discovery",
        "true",
    ])
    .await);
    assert_eq!(
        out.trim_end(),
        "Updated in globex: globex-corp.example: verified, used for discovery"
    );
    let o = run(&[
        "--json",
        "orgs",
        "domains",
        "get",
        "globex",
        "GLOBEX-CORP.example",
    ])
    .await;
    let v: serde_json::Value = serde_json::from_str(&ok(&o)).unwrap();
    assert_eq!(
        (&v["id"], &v["status"], &v["use_for_organization_discovery"]),
        (
            &serde_json::json!(d.id),
            &serde_json::json!("verified"),
            &serde_json::json!(true)
        )
    );

    let out = ok(&run(&["orgs", "domains", "remove", "globex", "globex-corp.example"]).await);
    assert_eq!(
        out.trim_end(),
        "Removed discovery domain globex-corp.example from globex"
    );
    assert!(
        c.get_discovery_domain(&globex.id, &d.id)
            .await
            .unwrap()
            .is_none()
    );

    // Refused before anything is sent, or by the tenant, each with what to do.
    let bad = run(&["orgs", "domains", "add", "globex", "a_b.example"]).await;
    assert!(!bad.status.success());
    assert!(
        stderr(&bad).contains("\"a_b.example\" is not a domain name"),
        "{}",
        stderr(&bad)
    );
    let dup = run(&["orgs", "domains", "add", "globex", "GLOBEX.example"]).await;
    assert!(!dup.status.success());
    assert!(
        stderr(&dup).contains("already a discovery domain"),
        "{}",
        stderr(&dup)
    );
    let gone = run(&["orgs", "domains", "remove", "globex", "nope.example"]).await;
    assert!(!gone.status.success(), "{}", stdout(&gone));
    assert!(
        stderr(&gone).contains("orgs domains list ORG"),
        "{}",
        stderr(&gone)
    );
    let nothing = run(&["orgs", "domains", "update", "globex", "globex.example"]).await;
    assert!(
        stderr(&nothing).contains("nothing to change: give --status and/or --use-for-discovery"),
        "{}",
        stderr(&nothing)
    );
}
