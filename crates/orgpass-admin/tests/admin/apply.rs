//! Desired state: plan, apply, idempotence, prune, export round trip (discovery domains included).

use indicatif::ProgressBar;
use orgpass_admin::apply::{self, Action, Change, DesiredState, Format};

use crate::support::*;

const FILE: &str = r##"
[[organizations]]
name = "stark"
display_name = "Stark Industries"
members = ["auth0|alice0000000000000000001"]
metadata = { tier = "gold" }
[organizations.branding]
logo_url = "https://cdn.example.com/stark.png"
colors = { primary = "#b22222", page_background = "#fffaf0" }
[[organizations.connections]]
name = "Username-Password-Authentication"
assign_membership_on_login = true
is_signup_enabled = true
[[organizations.connections]]
name = "google-oauth2"

[[organizations]]
name = "acme"
display_name = "Acme Corporation"
"##;

fn actions(plan: &apply::Plan) -> Vec<(String, Action)> {
    let mut v: Vec<(String, Action)> = plan
        .organizations
        .iter()
        .map(|o| (o.name.clone(), o.action))
        .collect();
    v.sort_by(|a, b| a.0.cmp(&b.0));
    v
}

#[tokio::test]
async fn apply_creates_then_reports_unchanged_then_updates_and_prunes() {
    let t = start().await;
    let c = client(&t);
    let pb = ProgressBar::hidden();
    let desired = DesiredState::parse(FILE, Format::Toml).unwrap();

    let plan = apply::plan(&c, &desired, false, 4, &pb).await.unwrap();
    assert_eq!(
        actions(&plan),
        vec![
            ("acme".into(), Action::Unchanged),
            ("globex".into(), Action::WouldDelete),
            ("initech".into(), Action::WouldDelete),
            ("stark".into(), Action::Create),
        ]
    );
    let text = plan.to_string();
    assert!(text.contains("+ create    stark: enable Username-Password-Authentication; enable google-oauth2; add 1 member(s)"), "{text}");
    assert!(text.ends_with("Plan: 1 to create, 0 to update, 1 unchanged, 0 to delete, 2 not in the file (deleted only with --prune)"), "{text}");

    let report = apply::execute(&c, &plan, 4, &pb).await;
    assert!(report.failures.is_empty(), "{:?}", report.failures);
    let stark = c.resolve_organization("stark").await.unwrap();
    assert_eq!(stark.display_name.as_deref(), Some("Stark Industries"));
    assert_eq!(
        c.list_enabled_connections(&stark.id).await.unwrap().len(),
        2
    );
    assert_eq!(c.list_members(&stark.id).await.unwrap().len(), 1);

    // Second apply: nothing to do.
    let again = apply::plan(&c, &desired, false, 4, &pb).await.unwrap();
    assert!(again.is_noop(), "{again}");
    assert_eq!(again.counts().unchanged, 2);

    // Change the file: display name, colours, a connection flag, a new member.
    let changed = FILE
        .replace("Stark Industries", "Stark Industries Inc.")
        .replace("#b22222", "#8b0000")
        .replace(
            "name = \"google-oauth2\"",
            "name = \"google-oauth2\"\nassign_membership_on_login = true",
        )
        .replace(
            "members = [\"auth0|alice0000000000000000001\"]",
            "members = [\"auth0|alice0000000000000000001\", \"auth0|bob00000000000000000000002\"]",
        );
    let desired2 = DesiredState::parse(&changed, Format::Toml).unwrap();
    let plan = apply::plan(&c, &desired2, false, 4, &pb).await.unwrap();
    let stark_plan = plan
        .organizations
        .iter()
        .find(|o| o.name == "stark")
        .unwrap();
    assert_eq!(stark_plan.action, Action::Update);
    assert_eq!(
        stark_plan.changes,
        vec![
            Change::DisplayName {
                from: Some("Stark Industries".into()),
                to: "Stark Industries Inc.".into()
            },
            Change::Branding,
            Change::UpdateConnection {
                connection: "google-oauth2".into()
            },
            Change::AddMembers {
                members: vec!["auth0|bob00000000000000000000002".into()]
            },
        ]
    );
    let report = apply::execute(&c, &plan, 4, &pb).await;
    assert!(report.failures.is_empty(), "{:?}", report.failures);
    assert!(
        apply::plan(&c, &desired2, false, 4, &pb)
            .await
            .unwrap()
            .is_noop()
    );

    // Prune deletes what the file does not list.
    let plan = apply::plan(&c, &desired2, true, 4, &pb).await.unwrap();
    assert_eq!(plan.counts().delete, 2);
    let report = apply::execute(&c, &plan, 4, &pb).await;
    assert!(report.failures.is_empty(), "{:?}", report.failures);
    assert_eq!(
        org_names(&c).await,
        vec!["acme".to_owned(), "stark".to_owned()]
    );
}

#[tokio::test]
async fn export_then_apply_is_a_no_op_in_both_formats() {
    let t = start().await;
    let c = client(&t);
    let pb = ProgressBar::hidden();
    let state = apply::export(&c, 4, &pb).await.unwrap().state;
    let acme = state
        .organizations
        .iter()
        .find(|o| o.name == "acme")
        .unwrap();
    assert_eq!(acme.members.as_ref().unwrap().len(), 2);
    assert!(!acme.connections.as_ref().unwrap().is_empty());
    let domains = |name: &str| -> Vec<(String, Option<String>, Option<bool>)> {
        let o = state.organizations.iter().find(|o| o.name == name).unwrap();
        o.discovery_domains
            .iter()
            .flatten()
            .map(|d| {
                (
                    d.domain.clone(),
                    d.status.clone(),
                    d.use_for_organization_discovery,
                )
            })
            .collect()
    };
    let verified = |d: &str, used: bool| (d.to_owned(), Some("verified".to_owned()), Some(used));
    assert_eq!(
        domains("acme"),
        vec![
            verified("acme.example", true),
            verified("example.com", true)
        ]
    );
    assert_eq!(
        domains("globex"),
        vec![
            verified("example.com", true),
            verified("globex-legacy.example", false),
            verified("globex.example", true),
        ]
    );
    assert_eq!(
        domains("initech"),
        vec![(
            "initech.example".to_owned(),
            Some("pending".to_owned()),
            Some(true)
        )]
    );
    for format in [Format::Toml, Format::Yaml] {
        let text = state.render(format).unwrap();
        let back = DesiredState::parse(&text, format).unwrap();
        assert_eq!(back, state);
        let plan = apply::plan(&c, &back, true, 4, &pb).await.unwrap();
        assert!(plan.is_noop(), "{plan}");
        assert_eq!(plan.counts().unchanged, state.organizations.len());
    }
}

#[tokio::test]
async fn unknown_connection_names_fail_the_plan_before_any_change() {
    let t = start().await;
    let c = client(&t);
    let desired = DesiredState::parse(
        "[[organizations]]\nname = \"x1\"\n[[organizations.connections]]\nname = \"nope\"\n",
        Format::Toml,
    )
    .unwrap();
    let e = apply::plan(&c, &desired, false, 4, &ProgressBar::hidden())
        .await
        .unwrap_err();
    assert!(e.to_string().contains("connection nope"), "{e}");
    let signup_on_social = DesiredState::parse(
        "[[organizations]]\nname = \"x2\"\n[[organizations.connections]]\nname = \"google-oauth2\"\nassign_membership_on_login = true\nis_signup_enabled = true\n",
        Format::Toml,
    )
    .unwrap();
    let e = apply::plan(&c, &signup_on_social, false, 4, &ProgressBar::hidden())
        .await
        .unwrap_err();
    assert!(e.to_string().contains("database connections only"), "{e}");
    assert!(c.resolve_organization("x1").await.is_err());
}
