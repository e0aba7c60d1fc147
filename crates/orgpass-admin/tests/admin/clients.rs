//! Applications' organization settings and refresh-token rotation overlap: `apply` changes only what the file
//! sets, a second apply is unchanged, export covers them, and the `clients` commands.

use indicatif::ProgressBar;
use orgpass_admin::apply::{self, DesiredState, Format, SettingChange};

use crate::cli::{cmd, ok, stderr};
use crate::support::*;

const FILE: &str = r##"
[[clients]]
client_id = "orgpass-desktop"
organization_usage = "require"
organization_require_behavior = "pre_login_prompt"
organization_discovery_methods = ["organization_name", "email"]
refresh_token_leeway = 10
"##;

fn change(setting: &'static str, from: &str, to: &str) -> SettingChange {
    SettingChange {
        setting,
        from: from.into(),
        to: to.into(),
    }
}

#[tokio::test]
async fn apply_sets_prompt_and_leeway_then_is_unchanged() {
    let t = start().await;
    let c = client(&t);
    let pb = ProgressBar::hidden();
    let desired = DesiredState::parse(FILE, Format::Toml).unwrap();
    let plan = apply::plan(&c, &desired, false, 4, &pb).await.unwrap();
    assert_eq!(plan.clients.len(), 1);
    // The methods are the seed's in another order: no change.
    assert_eq!(
        plan.clients[0].changes,
        vec![
            change(
                "organization_require_behavior",
                "post_login_prompt",
                "pre_login_prompt"
            ),
            change("refresh_token.leeway", "0", "10"),
        ]
    );
    let text = plan.to_string();
    assert!(
        text.contains("~ update    client orgpass-desktop: organization_require_behavior post_login_prompt → pre_login_prompt; refresh_token.leeway 0 → 10"),
        "{text}"
    );
    assert!(!plan.is_noop());
    let report = apply::execute(&c, &plan, 4, &pb).await;
    assert!(report.failures.is_empty(), "{:?}", report.failures);
    let after = c.get_client("orgpass-desktop").await.unwrap();
    assert_eq!(
        (
            after.organization_require_behavior.as_deref(),
            after.leeway(),
            after
                .refresh_token
                .as_ref()
                .map(|r| r.rotation_type.as_str()),
        ),
        (Some("pre_login_prompt"), 10, Some("rotating"))
    );

    let again = apply::plan(&c, &desired, false, 4, &pb).await.unwrap();
    assert!(again.is_noop(), "{again}");
    assert!(
        again
            .to_string()
            .contains("= unchanged client orgpass-desktop")
    );

    // Export carries the settings; applying it changes nothing.
    let state = apply::export(&c, 4, &pb).await.unwrap().state;
    let desktop = state
        .clients
        .iter()
        .find(|s| s.client_id == "orgpass-desktop")
        .unwrap();
    assert_eq!(
        (
            desktop.organization_require_behavior.as_deref(),
            desktop.refresh_token_leeway,
        ),
        (Some("pre_login_prompt"), Some(10))
    );
    let text = state.render(Format::Toml).unwrap();
    let back = DesiredState::parse(&text, Format::Toml).unwrap();
    assert_eq!(back, state);
    let plan = apply::plan(&c, &back, true, 4, &pb).await.unwrap();
    assert!(plan.is_noop(), "{plan}");
}

#[tokio::test]
async fn bad_client_settings_fail_the_plan_before_any_change() {
    let t = start().await;
    let c = client(&t);
    let pb = ProgressBar::hidden();
    for (file, needle) in [
        (
            "[[clients]]\nclient_id = \"orgpass-desktop\"\norganization_require_behavior = \"always\"\n",
            "organization_require_behavior \"always\" is invalid: use one of no_prompt, pre_login_prompt, post_login_prompt",
        ),
        (
            "[[clients]]\nclient_id = \"orgpass-desktop\"\norganization_discovery_methods = []\n",
            "organization_discovery_methods (list email and/or organization_name) must not be empty",
        ),
        (
            "[[clients]]\nclient_id = \"../x\"\n",
            "client id \"../x\" is invalid",
        ),
        (
            "[[clients]]\nclient_id = \"nope\"\nrefresh_token_leeway = 5\n",
            "application nope not found",
        ),
    ] {
        let desired = DesiredState::parse(file, Format::Toml).unwrap();
        let e = apply::plan(&c, &desired, false, 4, &pb).await.unwrap_err();
        assert!(e.to_string().contains(needle), "{e}");
    }
    assert_eq!(c.get_client("orgpass-desktop").await.unwrap().leeway(), 0);
}

#[tokio::test]
async fn clients_commands_list_get_update() {
    let t = start().await;
    let table = ok(&cmd(&t).args(["clients", "list"]).output().await.unwrap());
    let lines: Vec<&str> = table.lines().collect();
    assert!(
        lines[0].starts_with("CLIENT ID") && lines[0].ends_with("LEEWAY"),
        "{table}"
    );
    let desktop = lines
        .iter()
        .find(|l| l.starts_with("orgpass-desktop"))
        .unwrap();
    assert!(
        desktop.ends_with("require        post_login_prompt  email,organization_name  0"),
        "{desktop}"
    );
    let out = ok(&cmd(&t)
        .args([
            "clients",
            "update",
            "orgpass-desktop",
            "--organization-prompt",
            "pre_login_prompt",
            "--discovery-method",
            "email",
            "--refresh-token-leeway",
            "30",
        ])
        .output()
        .await
        .unwrap());
    assert_eq!(
        out.trim_end(),
        "Updated orgpass-desktop: organizations require, prompt pre_login_prompt, discovery email, refresh-token leeway 30 s"
    );
    let o = cmd(&t)
        .args(["--json", "clients", "get", "orgpass-desktop"])
        .output()
        .await
        .unwrap();
    let v: serde_json::Value = serde_json::from_str(&ok(&o)).unwrap();
    assert_eq!(
        (
            &v["organization_discovery_methods"],
            &v["refresh_token"]["leeway"]
        ),
        (&serde_json::json!(["email"]), &serde_json::json!(30))
    );
    let nothing = cmd(&t)
        .args(["clients", "update", "orgpass-desktop"])
        .output()
        .await
        .unwrap();
    assert!(!nothing.status.success());
    assert!(
        stderr(&nothing).contains("nothing to change"),
        "{}",
        stderr(&nothing)
    );
}
