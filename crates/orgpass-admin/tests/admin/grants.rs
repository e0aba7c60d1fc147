//! Client grants (machine-to-machine access per organization): the `grants` and `orgs grants` commands, and
//! `apply`/`export` of grants and organizations' associations (named by application and API) within the tenant's
//! rate limits, drift-free, with a client-credentials token for an organization afterwards.

use base64::Engine as _;
use indicatif::ProgressBar;
use orgpass_admin::apply::{self, Action, Change, DesiredState, Format};
use serde_json::{Value, json};

use crate::cli::{cmd, ok, stderr};
use crate::support::*;

const API: &str = "https://api.orgpass.example/";
const BILLING: &str = "https://billing.orgpass.example/";

async fn run(t: &devtenant::Running, args: &[&str]) -> std::process::Output {
    cmd(t).args(args).output().await.unwrap()
}

#[tokio::test]
async fn grants_commands_create_list_update_delete_and_associate_with_organizations() {
    let t = start().await;
    let table = ok(&run(&t, &["grants", "list"]).await);
    assert_eq!(
        table.lines().collect::<Vec<_>>(),
        [
            "ID                    CLIENT ID       API                           SCOPES         ORGANIZATIONS  ANY ORG",
            "cgr_IngestAcmeProj01  orgpass-ingest  https://api.orgpass.example/  read:projects  require        false",
        ]
    );

    let created: Value = serde_json::from_str(&ok(&run(
        &t,
        &[
            "--json",
            "grants",
            "create",
            "orgpass-admin",
            "--api",
            BILLING,
            "--scope",
            "read:invoices",
            "--organization-usage",
            "allow",
        ],
    )
    .await))
    .unwrap();
    let id = created["id"].as_str().unwrap().to_owned();
    assert_eq!(
        created,
        json!({ "id": id, "client_id": "orgpass-admin", "audience": BILLING, "scope": ["read:invoices"], "organization_usage": "allow" })
    );
    let twice = run(&t, &["grants", "create", "orgpass-admin", "--api", BILLING]).await;
    assert!(!twice.status.success());
    assert_eq!(
        stderr(&twice).trim_end(),
        format!(
            "error: creating the client grant of orgpass-admin on {BILLING}: it already exists (409: A client grant for client orgpass-admin and audience {BILLING} already exists; update that one instead); pick another name, or change the existing one instead"
        )
    );

    let out = ok(&run(
        &t,
        &["grants", "update", &id, "--allow-any-organization", "true"],
    )
    .await);
    assert_eq!(
        out.trim_end(),
        format!(
            "Updated {id}: orgpass-admin on {BILLING} [read:invoices], with or without any organization"
        )
    );
    // Named by its application and API instead of its id.
    let out = ok(&run(
        &t,
        &[
            "orgs",
            "grants",
            "add",
            "globex",
            "--app",
            "orgpass-admin",
            "--api",
            BILLING,
        ],
    )
    .await);
    assert_eq!(
        out.trim_end(),
        format!("orgpass-admin now gets tokens for globex on {BILLING} [read:invoices]")
    );
    let listed: Value = serde_json::from_str(&ok(&run(
        &t,
        &["--json", "orgs", "grants", "list", "globex"],
    )
    .await))
    .unwrap();
    assert_eq!(listed[0]["id"], json!(id));
    assert_eq!(listed.as_array().unwrap().len(), 1);
    let out = ok(&run(&t, &["orgs", "grants", "remove", "globex", &id]).await);
    assert_eq!(
        out.trim_end(),
        format!("Removed client grant {id} from globex")
    );
    assert_eq!(
        ok(&run(&t, &["--json", "orgs", "grants", "list", "globex"]).await).trim(),
        "[]"
    );

    // A grant that takes no organizations cannot be associated; the tenant says what to change.
    let deny: Value = serde_json::from_str(&ok(&run(
        &t,
        &[
            "--json",
            "grants",
            "create",
            "orgpass-ingest",
            "--api",
            BILLING,
            "--scope",
            "read:invoices",
        ],
    )
    .await))
    .unwrap();
    let deny_id = deny["id"].as_str().unwrap();
    let refused = run(&t, &["orgs", "grants", "add", "acme", deny_id]).await;
    assert!(!refused.status.success());
    assert!(
        stderr(&refused).contains(&format!(
            "its organization_usage is deny; set it to allow or require first (PATCH /api/v2/client-grants/{deny_id})"
        )),
        "{}",
        stderr(&refused)
    );

    let out = ok(&run(&t, &["grants", "delete", &id]).await);
    assert_eq!(
        out.trim_end(),
        format!("Deleted client grant {id} (and its organizations' associations)")
    );
    let gone = run(&t, &["grants", "delete", &id]).await;
    assert!(
        stderr(&gone).contains("list what exists with `orgpass-admin grants list`"),
        "{}",
        stderr(&gone)
    );
    let bad = run(&t, &["grants", "delete", "nope"]).await;
    assert!(
        stderr(&bad).contains("client grant id \"nope\" is invalid"),
        "{}",
        stderr(&bad)
    );
    let none = run(
        &t,
        &[
            "grants",
            "delete",
            "--app",
            "orgpass-admin",
            "--api",
            BILLING,
        ],
    )
    .await;
    assert_eq!(
        stderr(&none).trim_end(),
        format!(
            "error: client grant of orgpass-admin on {BILLING} not found (orgpass-admin has no grant on this API; \
             make one with `orgpass-admin grants create orgpass-admin --api {BILLING}`); list what exists with \
             `orgpass-admin grants list`"
        )
    );
    let half = run(&t, &["grants", "delete", "--app", "orgpass-admin"]).await;
    assert_eq!(half.status.code(), Some(2));
    assert!(
        stderr(&half).contains("--api <AUDIENCE>"),
        "{}",
        stderr(&half)
    );
    let nothing = run(&t, &["grants", "update", deny_id]).await;
    assert_eq!(
        stderr(&nothing).trim_end(),
        "error: nothing to change: give --scope (or --no-scopes), --organization-usage or --allow-any-organization"
    );
}

/// Machine-to-machine access: the ingest app reaches the billing API for its organizations (a new grant), globex
/// gets the company API too, and a new organization is created with its grant.
const FILE: &str = r##"
[[client_grants]]
client_id = "orgpass-ingest"
audience = "https://billing.orgpass.example/"
scope = ["read:invoices"]
organization_usage = "require"

[[organizations]]
name = "acme"
client_grants = [{ client_id = "orgpass-ingest", audience = "https://api.orgpass.example/" }]

[[organizations]]
name = "globex"
client_grants = [
  { client_id = "orgpass-ingest", audience = "https://api.orgpass.example/" },
  { client_id = "orgpass-ingest", audience = "https://billing.orgpass.example/" },
]

[[organizations]]
name = "stark"
client_grants = [{ client_id = "orgpass-ingest", audience = "https://billing.orgpass.example/" }]
"##;

fn grant_change(add: bool, audience: &str) -> Change {
    let (client_id, audience) = ("orgpass-ingest".to_owned(), audience.to_owned());
    if add {
        Change::AddGrant {
            client_id,
            audience,
        }
    } else {
        Change::WouldRemoveGrant {
            client_id,
            audience,
        }
    }
}

/// A client-credentials token of the ingest app for `audience` and `organization`: the status and the claims (or
/// the error).
async fn ingest_token(t: &devtenant::Running, audience: &str, organization: &str) -> (u16, Value) {
    let r = reqwest::Client::new()
        .post(format!("{}oauth/token", t.issuer))
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", devtenant::DEMO_INGEST_CLIENT_ID),
            ("client_secret", devtenant::DEMO_INGEST_CLIENT_SECRET),
            ("audience", audience),
            ("organization", organization),
        ])
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    let body: Value = r.json().await.unwrap();
    let Some(jwt) = body["access_token"].as_str() else {
        return (status, body);
    };
    let payload = jwt.split('.').nth(1).unwrap();
    let claims = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .unwrap();
    (status, serde_json::from_slice(&claims).unwrap())
}

#[tokio::test]
async fn apply_creates_grants_and_associations_within_the_rate_limits_and_export_round_trips() {
    // The demo's own rate limits (Auth0's paid B2B figures), not switched off.
    let t = start_with(devtenant::Seed::demo()).await;
    let c = client(&t);
    let pb = ProgressBar::hidden();
    let desired = DesiredState::parse(FILE, Format::Toml).unwrap();

    let plan = apply::plan(&c, &desired, false, 4, &pb).await.unwrap();
    let grants: Vec<String> = plan.client_grants.iter().map(ToString::to_string).collect();
    assert_eq!(
        grants,
        [format!("+ create    grant orgpass-ingest on {BILLING}")]
    );
    let changes = |name: &str| {
        let o = plan.organizations.iter().find(|o| o.name == name).unwrap();
        (o.action, o.changes.clone())
    };
    assert_eq!(changes("acme"), (Action::Unchanged, vec![]));
    assert_eq!(
        changes("globex"),
        (
            Action::Update,
            vec![grant_change(true, API), grant_change(true, BILLING)]
        )
    );
    assert_eq!(
        changes("stark"),
        (Action::Create, vec![grant_change(true, BILLING)])
    );
    // The one organization not in the file (initech) is counted beside the organizations, not the grants.
    assert_eq!(
        plan.to_string().lines().last(),
        Some(
            "Plan: 1 to create, 1 to update, 1 unchanged, 0 to delete, 1 not in the file (deleted only with --prune); client grants: 1 to create, 0 to update, 0 unchanged"
        ),
        "{plan}"
    );

    let report = apply::execute(&c, &plan, 4, &pb).await;
    assert!(report.failures.is_empty(), "{:?}", report.failures);
    eprintln!(
        "apply of 3 organizations with client grants: {:.2}s, {} requests ({} rate-limited)",
        report.elapsed_secs, report.stats.requests, report.stats.rate_limited
    );
    assert!(
        apply::plan(&c, &desired, false, 4, &pb)
            .await
            .unwrap()
            .is_noop()
    );

    // The grants work at the token endpoint: the new organization's token carries it; initech is not associated.
    let stark = c.resolve_organization("stark").await.unwrap();
    let (status, claims) = ingest_token(&t, BILLING, &stark.id).await;
    assert_eq!(
        (
            status,
            &claims["org_id"],
            &claims["aud"],
            &claims["scope"],
            &claims["sub"]
        ),
        (
            200,
            &json!(stark.id),
            &json!(BILLING),
            &json!("read:invoices"),
            &json!("orgpass-ingest@clients")
        )
    );
    let (status, claims) = ingest_token(&t, API, "globex").await;
    assert_eq!((status, &claims["org_name"]), (200, &json!("globex")));
    let (status, body) = ingest_token(&t, BILLING, "initech").await;
    assert_eq!((status, &body["error"]), (403, &json!("access_denied")));

    // Export, then apply the export: nothing to do, grants and associations included.
    let exported = apply::export(&c, 4, &pb).await.unwrap().state;
    let text = exported.render(Format::Toml).unwrap();
    let back = DesiredState::parse(&text, Format::Toml).unwrap();
    assert_eq!(back, exported);
    assert_eq!(
        grant_rows(&back),
        [
            format!("orgpass-ingest on {API} (require) [read:projects]"),
            format!("orgpass-ingest on {BILLING} (require) [read:invoices]")
        ]
    );
    let globex = back
        .organizations
        .iter()
        .find(|o| o.name == "globex")
        .unwrap();
    let globex_grants: Vec<&str> = globex
        .client_grants
        .iter()
        .flatten()
        .map(|g| g.audience.as_str())
        .collect();
    assert_eq!(globex_grants, [API, BILLING]);
    let replan = apply::plan(&c, &back, false, 4, &pb).await.unwrap();
    assert!(replan.is_noop(), "{replan}");
    assert_eq!(
        replan
            .client_grants
            .iter()
            .filter(|p| p.is_unchanged())
            .count(),
        2
    );
}

#[tokio::test]
async fn apply_refuses_an_association_the_tenant_would_refuse_before_changing_anything() {
    let t = start().await;
    let c = client(&t);
    let pb = ProgressBar::hidden();
    #[rustfmt::skip]
    let rows = [
        ("[[organizations]]\nname = \"acme\"\nclient_grants = [{ client_id = \"orgpass-admin\", audience = \"https://billing.orgpass.example/\" }]\n",
         "an organization names the client grant of orgpass-admin on https://billing.orgpass.example/, which the tenant does not have: add it to client_grants (with organization_usage allow or require), or create it with `orgpass-admin grants create`"),
        ("[[client_grants]]\nclient_id = \"orgpass-admin\"\naudience = \"https://billing.orgpass.example/\"\n[[organizations]]\nname = \"acme\"\nclient_grants = [{ client_id = \"orgpass-admin\", audience = \"https://billing.orgpass.example/\" }]\n",
         "an organization names the client grant of orgpass-admin on https://billing.orgpass.example/, whose organization_usage is deny (unset): only a grant with organization_usage allow or require can be associated with organizations; set it in client_grants"),
        ("[[client_grants]]\nclient_id = \"orgpass-ingest\"\naudience = \"https://api.orgpass.example/\"\norganization_usage = \"deny\"\n[[organizations]]\nname = \"acme\"\nclient_grants = [{ client_id = \"orgpass-ingest\", audience = \"https://api.orgpass.example/\" }]\n",
         "an organization names the client grant of orgpass-ingest on https://api.orgpass.example/, whose organization_usage is deny: only a grant with organization_usage allow or require can be associated with organizations; set it in client_grants"),
        ("[[client_grants]]\nclient_id = \"orgpass-ingest\"\naudience = \"https://api.orgpass.example/\"\n[[client_grants]]\nclient_id = \"orgpass-ingest\"\naudience = \"https://api.orgpass.example/\"\n",
         "invalid input: the client grant of orgpass-ingest on https://api.orgpass.example/ is listed twice"),
    ];
    for (file, want) in rows {
        let desired = DesiredState::parse(file, Format::Toml).unwrap();
        let e = apply::plan(&c, &desired, false, 4, &pb).await.unwrap_err();
        assert_eq!(e.to_string(), want);
    }
    assert_eq!(
        c.list_client_grants(None, None).await.unwrap().len(),
        1,
        "nothing created"
    );
}

#[tokio::test]
async fn export_reads_no_organizations_grants_when_no_grant_takes_organizations() {
    let mut seed = seed();
    let ingest = &mut seed.client_grants[0];
    ingest.organization_usage = None;
    ingest.organizations.clear();
    let t = start_with(seed).await;
    let c = client(&t);
    let before = c.stats().requests;
    let exported = apply::export(&c, 4, &ProgressBar::hidden())
        .await
        .unwrap()
        .state;
    assert!(
        exported
            .organizations
            .iter()
            .all(|o| o.client_grants.is_none())
    );
    assert_eq!(exported.client_grants.len(), 1);
    assert_eq!(exported.client_grants[0].organization_usage, None);
    // Per organization: connections, members, domains (3 organizations); then grants, connections, orgs, clients.
    assert_eq!(
        c.stats().requests - before,
        3 * 3 + 4,
        "no /organizations/{{id}}/client-grants read"
    );
}

/// The demo seed with an admin application `old-admin` made before grants were exported: every scope of the demo's
/// but `missing`.
fn seed_with_old_admin_without(missing: &str) -> devtenant::Seed {
    let mut s = seed();
    let mut old = s
        .clients
        .iter()
        .find(|c| c.client_id == devtenant::DEMO_M2M_CLIENT_ID)
        .unwrap()
        .clone();
    old.client_id = "old-admin".into();
    old.management_api_scopes.retain(|scope| scope != missing);
    s.clients.push(old);
    s
}

/// The library's client for `old-admin` (see [`seed_with_old_admin_without`]).
fn old_admin(t: &devtenant::Running) -> orgpass_admin::ManagementClient {
    orgpass_admin::ManagementClient::builder(
        orgpass_admin::Tenant::parse(&domain(t.addr))
            .unwrap()
            .with_audience(t.management_audience()),
        "old-admin",
        orgpass_admin::Secret::new(devtenant::DEMO_M2M_CLIENT_SECRET),
    )
    .build()
    .unwrap()
}

/// Each organization's associated grants on the tenant, as (organization, application, API).
async fn associations(c: &orgpass_admin::ManagementClient) -> Vec<(String, String, String)> {
    let mut all = Vec::new();
    for name in org_names(c).await {
        let org = c.resolve_organization(&name).await.unwrap();
        for g in c.list_organization_client_grants(&org.id).await.unwrap() {
            all.push((name.clone(), g.client_id, g.audience));
        }
    }
    all.sort();
    all
}

#[tokio::test]
async fn export_without_the_grants_scope_leaves_grants_out_and_its_apply_keeps_associations() {
    let t = start_with(seed_with_old_admin_without("read:client_grants")).await;
    let old = old_admin(&t);
    let pb = ProgressBar::hidden();
    let warning = "warning: client grants left out (the application lacks the `read:client_grants` scope): the file \
                   has no client_grants, and its organizations none, so applying it leaves grants and their \
                   organizations as they are; grant `read:client_grants` to export them";
    let exported = apply::export(&old, 4, &pb).await.unwrap();
    assert_eq!(exported.notes, [warning]);
    let state = exported.state;
    assert!(state.client_grants.is_empty());
    assert!(
        state
            .organizations
            .iter()
            .all(|o| o.client_grants.is_none())
    );
    assert_eq!(state.organizations.len(), 3, "the rest is exported");

    // The binary says it once on stderr and still writes the file.
    let out = export_as_old_admin(&t).await;
    assert_eq!(stderr(&out), format!("{warning}\n"));
    assert_eq!(DesiredState::parse(&ok(&out), Format::Toml).unwrap(), state);

    // Applied with --prune, by either application: nothing to do, and acme keeps its grant.
    let c = client(&t);
    for who in [&old, &c] {
        let plan = apply::plan(who, &state, true, 4, &pb).await.unwrap();
        assert!(plan.is_noop(), "{plan}");
        let report = apply::execute(who, &plan, 4, &pb).await;
        assert!(report.failures.is_empty(), "{:?}", report.failures);
    }
    let acme = c.resolve_organization("acme").await.unwrap();
    let kept: Vec<(String, String)> = c
        .list_organization_client_grants(&acme.id)
        .await
        .unwrap()
        .into_iter()
        .map(|g| (g.client_id, g.audience))
        .collect();
    assert_eq!(kept, [("orgpass-ingest".to_owned(), API.to_owned())]);
}

#[tokio::test]
async fn export_without_the_organizations_grants_scope_warns_once_keeps_grants_and_its_prune_apply_keeps_associations()
 {
    let t = start_with(seed_with_old_admin_without(
        "read:organization_client_grants",
    ))
    .await;
    let (old, c) = (old_admin(&t), client(&t));
    let pb = ProgressBar::hidden();
    // A second organization associated, so "one warning, not one per organization" can fail.
    let globex = c.resolve_organization("globex").await.unwrap();
    let ingest = c.list_client_grants(None, None).await.unwrap();
    c.associate_client_grant(&globex.id, &ingest[0].id)
        .await
        .unwrap();
    let before = associations(&c).await;
    assert_eq!(
        before,
        [
            (
                "acme".to_owned(),
                "orgpass-ingest".to_owned(),
                API.to_owned()
            ),
            (
                "globex".to_owned(),
                "orgpass-ingest".to_owned(),
                API.to_owned()
            ),
        ]
    );
    let warning = "warning: organizations' client grants left out (the application lacks the \
                   `read:organization_client_grants` scope): the file has the client_grants but its organizations \
                   none, so applying it (even with --prune) leaves every organization's grants as they are; grant \
                   `read:organization_client_grants` to export them";

    // The library: one note, and one organization's grants asked for, not every organization's.
    let requests = old.stats().requests;
    let exported = apply::export(&old, 4, &pb).await.unwrap();
    assert_eq!(exported.notes, [warning]);
    // Per organization: connections, members, domains (3 organizations); then grants, connections, orgs, clients;
    // and the first organization's grants, refused.
    assert_eq!(old.stats().requests - requests, 3 * 3 + 4 + 1);

    // The binary: exit 0, the warning once on stderr, and the file is the full export without organizations' grants.
    let out = export_as_old_admin(&t).await;
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(stderr(&out), format!("{warning}\n"));
    let text = ok(&out);
    let state = DesiredState::parse(&text, Format::Toml).unwrap();
    assert_eq!(state, exported.state);
    let mut want = apply::export(&c, 4, &pb).await.unwrap().state;
    assert!(want.organizations.iter().all(|o| o.client_grants.is_some()));
    for o in &mut want.organizations {
        o.client_grants = None;
    }
    assert_eq!(state, want, "everything but the organizations' grants");
    assert_eq!(
        grant_rows(&state),
        [format!("orgpass-ingest on {API} (require) [read:projects]")]
    );
    assert_eq!(state.organizations.len(), 3);
    assert!(
        !text.contains("[[organizations.client_grants]]") && !text.contains("client_grants = ")
    );

    // Applied with --prune, by either application: nothing to do, and no association changes.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("export.toml");
    std::fs::write(&file, &text).unwrap();
    for who in ["old-admin", devtenant::DEMO_M2M_CLIENT_ID] {
        let out = cmd(&t)
            .env("ORGPASS_ADMIN_CLIENT_ID", who)
            .args(["apply", "--prune"])
            .arg(&file)
            .output()
            .await
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        assert_eq!(ok(&out).lines().last(), Some("Nothing to do."), "{who}");
    }
    assert_eq!(associations(&c).await, before);
}

#[tokio::test]
async fn a_file_naming_applications_the_tenant_lacks_stops_before_anything_is_sent() {
    let t = start().await;
    let c = client(&t);
    let pb = ProgressBar::hidden();
    // Written on another tenant: its applications' client ids.
    let file = r#"
[[client_grants]]
client_id = "Xk2PzLq9prodIngest"
audience = "https://billing.orgpass.example/"
organization_usage = "require"

[[client_grants]]
client_id = "orgpass-ingest"
audience = "https://billing.orgpass.example/"
organization_usage = "require"

[[organizations]]
name = "acme"
display_name = "Renamed"
client_grants = [
  { client_id = "orgpass-ingest", audience = "https://api.orgpass.example/" },
  { client_id = "Bq7OtherTenantApp", audience = "https://api.orgpass.example/" },
]
"#;
    let desired = DesiredState::parse(file, Format::Toml).unwrap();
    let before = c.resolve_organization("acme").await.unwrap().display_name;
    let e = apply::plan(&c, &desired, false, 4, &pb).await.unwrap_err();
    assert_eq!(
        e.to_string(),
        "the file's client grants name applications this tenant does not have: Bq7OtherTenantApp, \
         Xk2PzLq9prodIngest. Client ids are made per tenant, so a file written on another tenant names that \
         tenant's applications: edit the file to this tenant's client ids (list them with `orgpass-admin clients \
         list`)"
    );
    assert_eq!(c.list_client_grants(None, None).await.unwrap().len(), 1);
    assert_eq!(
        c.resolve_organization("acme").await.unwrap().display_name,
        before,
        "nothing sent"
    );
}

/// Auth0 may list a grant for the application's users (`subject_type` `user`) on the same API before its
/// client-credentials grant: naming the grant by application and API takes the client's, never the users'.
#[tokio::test]
async fn a_grant_named_by_application_and_api_is_never_the_users_grant() {
    let tenant = crate::support::Stub::start(|line| {
        if line.starts_with("POST /oauth/token ") {
            crate::support::raw_response(
                "200 OK",
                "",
                r#"{"access_token":"tok","expires_in":3600,"token_type":"Bearer"}"#,
            )
        } else if line.starts_with("GET /api/v2/client-grants") {
            crate::support::raw_response(
                "200 OK",
                "",
                r#"{"client_grants":[
                    {"id":"cgr_users00000000001","client_id":"app1","audience":"https://api/","scope":[],"subject_type":"user"},
                    {"id":"cgr_client0000000001","client_id":"app1","audience":"https://api/","scope":["read:x"],"subject_type":"client"}
                ],"start":0,"limit":50,"total":2}"#,
            )
        } else {
            crate::support::raw_response("404 Not Found", "", r#"{"statusCode":404}"#)
        }
    })
    .await;
    let c = crate::support::client_at(tenant.addr, &format!("http://{}/api/v2/", tenant.addr));
    let found = c.find_client_grant("app1", "https://api/").await.unwrap();
    assert_eq!(found.map(|g| g.id).as_deref(), Some("cgr_client0000000001"));
}

/// A file's client grants, one line each: `application on API (organization usage) [scopes]`, in order.
fn grant_rows(state: &DesiredState) -> Vec<String> {
    state
        .client_grants
        .iter()
        .map(|g| {
            format!(
                "{} on {} ({}) [{}]",
                g.client_id,
                g.audience,
                g.organization_usage.as_deref().unwrap_or("-"),
                g.scope.as_deref().unwrap_or_default().join(" ")
            )
        })
        .collect()
}

/// The binary's `export` run by the `old-admin` application (the scopes its seed left it).
async fn export_as_old_admin(t: &devtenant::Running) -> std::process::Output {
    cmd(t)
        .env("ORGPASS_ADMIN_CLIENT_ID", "old-admin")
        .arg("export")
        .output()
        .await
        .unwrap()
}
