//! An operator provisions an organization with branding and a database connection through the real
//! `orgpass-admin` binary, then an employee signs into it with the real `orgpass` CLI: both halves of the product
//! against one devtenant, with sessions in the real Secret Service.

use devtenant::{Seed, SpawnOptions};
use serde_json::Value;

use crate::devtenant_cli::{Desktop, bin, require_keychain};

async fn admin(domain: &str, home: &std::path::Path, args: &[&str]) -> Value {
    let out = tokio::process::Command::new(bin("orgpass-admin", "orgpass-admin"))
        .args(args)
        .args(["--json", "--no-token-cache"])
        .env("HOME", home)
        .env("XDG_CONFIG_HOME", home.join("config"))
        .env("ORGPASS_ADMIN_DOMAIN", domain)
        .env("ORGPASS_ADMIN_CLIENT_ID", devtenant::DEMO_M2M_CLIENT_ID)
        .env(
            "ORGPASS_ADMIN_CLIENT_SECRET",
            devtenant::DEMO_M2M_CLIENT_SECRET,
        )
        .output()
        .await
        .expect("orgpass-admin ran");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        out.status.code(),
        Some(0),
        "orgpass-admin {args:?}: {stderr}"
    );
    assert!(
        !stderr.contains(devtenant::DEMO_M2M_CLIENT_SECRET),
        "the client secret is never printed"
    );
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "orgpass-admin {args:?} --json printed JSON ({e}): {}",
            String::from_utf8_lossy(&out.stdout)
        )
    })
}

#[tokio::test(flavor = "multi_thread")]
async fn an_org_provisioned_with_orgpass_admin_is_signed_into_with_the_cli() {
    require_keychain();
    let tenant = devtenant::spawn(Seed::demo(), SpawnOptions::default())
        .await
        .expect("devtenant starts");
    let domain = tenant.issuer.as_str().trim_end_matches('/').to_owned();
    let home = tempfile::tempdir().expect("operator home");
    let logo = format!("{}branding/initech.svg", tenant.issuer);

    let created = admin(
        &domain,
        home.path(),
        &[
            "orgs",
            "create",
            "hooli",
            "--display-name",
            "Hooli",
            "--logo-url",
            &logo,
            "--primary-color",
            "#6741d9",
            "--page-background-color",
            "#f3f0ff",
        ],
    )
    .await;
    let org_id = created["id"]
        .as_str()
        .expect("the created organization's id")
        .to_owned();
    assert!(org_id.starts_with("org_"), "Auth0-shaped id: {org_id}");
    assert_eq!(created["name"], "hooli");
    assert_eq!(created["branding"]["colors"]["primary"], "#6741d9");

    admin(
        &domain,
        home.path(),
        &[
            "orgs",
            "connections",
            "enable",
            &org_id,
            "Username-Password-Authentication",
            "--assign-membership-on-login",
            "true",
        ],
    )
    .await;

    let fetched = admin(&domain, home.path(), &["orgs", "get", "hooli"]).await;
    assert_eq!(fetched["id"], org_id.as_str());

    // Nora belongs to no organization; the connection assigns membership on login.
    let desktop = Desktop::new(tenant.issuer.as_str());
    let session = desktop
        .login("hooli", "nora@example.com", "Nora-pass-1")
        .await;
    assert_eq!(session["org_id"], org_id.as_str());
    assert_eq!(session["org_name"], "hooli");
    assert_eq!(session["email"], "nora@example.com");

    let members = admin(&domain, home.path(), &["orgs", "members", "list", &org_id]).await;
    let members = members
        .as_array()
        .unwrap_or_else(|| panic!("`orgs members list --json` prints an array: {members}"));
    assert_eq!(members.len(), 1, "Nora alone is a member: {members:?}");
    assert_eq!(members[0]["user_id"], session["sub"]);
    assert_eq!(members[0]["email"], "nora@example.com");
}
