//! The `orgpass-admin` binary against devtenant: every command, tables and `--json`, credentials handling.

use std::process::Output;

use devtenant::Running;
use tokio::process::Command;

use crate::support::*;

const BIN: &str = env!("CARGO_BIN_EXE_orgpass-admin");

pub(crate) fn cmd(t: &Running) -> Command {
    let mut c = Command::new(BIN);
    c.env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOME", std::env::temp_dir())
        .env("ORGPASS_ADMIN_DOMAIN", domain(t.addr))
        .env("ORGPASS_ADMIN_CLIENT_ID", devtenant::DEMO_M2M_CLIENT_ID)
        .env(
            "ORGPASS_ADMIN_CLIENT_SECRET",
            devtenant::DEMO_M2M_CLIENT_SECRET,
        )
        .arg("--no-token-cache")
        .stdin(std::process::Stdio::null());
    c
}

/// The binary as a user runs it after `auth login`: this environment (D-Bus session, HOME), no secret in it.
fn keychain_cmd(t: &Running) -> Command {
    let mut c = Command::new(BIN);
    c.env("ORGPASS_ADMIN_DOMAIN", domain(t.addr))
        .env("ORGPASS_ADMIN_CLIENT_ID", devtenant::DEMO_M2M_CLIENT_ID)
        .env_remove("ORGPASS_ADMIN_CLIENT_SECRET");
    c
}

/// Runs `c` with `input` on its stdin (then closed) and collects its output.
async fn feed(mut c: Command, input: &[u8]) -> Output {
    use tokio::io::AsyncWriteExt as _;
    c.stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let mut child = c.spawn().unwrap();
    child.stdin.take().unwrap().write_all(input).await.unwrap();
    child.wait_with_output().await.unwrap()
}

async fn run(t: &Running, args: &[&str]) -> Output {
    cmd(t).args(args).output().await.unwrap()
}

pub(crate) fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub(crate) fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[track_caller]
pub(crate) fn ok(o: &Output) -> String {
    assert!(o.status.success(), "failed: {}\n{}", stderr(o), stdout(o));
    stdout(o)
}

async fn json(t: &Running, args: &[&str]) -> serde_json::Value {
    let mut all = vec!["--json"];
    all.extend_from_slice(args);
    let o = run(t, &all).await;
    serde_json::from_str(&ok(&o)).unwrap_or_else(|e| panic!("{e}: {}", stdout(&o)))
}

#[tokio::test]
async fn orgs_commands_print_tables_and_json() {
    let t = start().await;
    let out = ok(&run(
        &t,
        &[
            "orgs",
            "create",
            "umbrella",
            "--display-name",
            "Umbrella Corp",
            "--logo-url",
            "https://cdn.example.com/u.png",
            "--primary-color",
            "#0059d6",
            "--page-background-color",
            "#ffffff",
            "--metadata",
            "tier=gold",
            "--connection",
            "Username-Password-Authentication",
        ],
    )
    .await);
    assert!(
        out.starts_with("Created organization umbrella (org_"),
        "{out}"
    );

    let list = ok(&run(&t, &["orgs", "list"]).await);
    let header = list.lines().next().unwrap();
    assert!(
        header.starts_with("ID") && header.contains("NAME") && header.contains("DISPLAY NAME"),
        "{list}"
    );
    assert!(
        list.lines().any(|l| l.contains("umbrella")
            && l.contains("Umbrella Corp")
            && l.contains("#0059d6")),
        "{list}"
    );

    let v = json(&t, &["orgs", "get", "umbrella"]).await;
    assert_eq!(v["branding"]["colors"]["primary"], "#0059d6");
    assert_eq!(v["metadata"]["tier"], "gold");

    ok(&run(
        &t,
        &[
            "orgs",
            "update",
            "umbrella",
            "--display-name",
            "Umbrella",
            "--remove-metadata",
            "tier",
        ],
    )
    .await);
    let v = json(&t, &["orgs", "get", "umbrella"]).await;
    assert_eq!(v["display_name"], "Umbrella");
    assert!(
        v.get("metadata")
            .is_none_or(|m| m.as_object().is_some_and(|m| m.is_empty())),
        "{v}"
    );

    let arr = json(&t, &["orgs", "list"]).await;
    assert_eq!(arr.as_array().unwrap().len(), 4);
    let page = json(&t, &["orgs", "list", "--page", "0", "--per-page", "2"]).await;
    assert_eq!(page.as_array().unwrap().len(), 2);

    // Bad input: refused with Auth0's rule, exit code 1.
    let o = run(&t, &["orgs", "create", "Bad Name"]).await;
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("use 1–50 lowercase letters, digits"),
        "{}",
        stderr(&o)
    );
    let o = run(
        &t,
        &[
            "orgs",
            "create",
            "okname",
            "--primary-color",
            "red",
            "--page-background-color",
            "#fff",
        ],
    )
    .await;
    assert!(stderr(&o).contains("not a hex colour"), "{}", stderr(&o));
    let o = run(&t, &["orgs", "create", "acme"]).await;
    assert!(stderr(&o).contains("already exists (409"), "{}", stderr(&o));
    let o = run(&t, &["orgs", "get", "nobody"]).await;
    assert!(
        stderr(&o).contains("organization nobody not found"),
        "{}",
        stderr(&o)
    );

    let out = ok(&run(&t, &["orgs", "delete", "umbrella"]).await);
    assert!(out.starts_with("Deleted organization umbrella"), "{out}");
}

#[tokio::test]
async fn connections_members_invitations_commands() {
    let t = start().await;
    let v = json(&t, &["connections", "list", "--strategy", "auth0"]).await;
    assert_eq!(v.as_array().unwrap().len(), 1);
    assert_eq!(v[0]["name"], "Username-Password-Authentication");
    let table = ok(&run(&t, &["connections", "list"]).await);
    assert!(
        table.contains("google-oauth2") && table.contains("STRATEGY"),
        "{table}"
    );

    ok(&run(&t, &["orgs", "create", "wayne"]).await);
    ok(&run(
        &t,
        &[
            "orgs",
            "connections",
            "enable",
            "wayne",
            "google-oauth2",
            "--show-as-button",
            "true",
        ],
    )
    .await);
    ok(&run(
        &t,
        &[
            "orgs",
            "connections",
            "update",
            "wayne",
            "google-oauth2",
            "--assign-membership-on-login",
            "true",
        ],
    )
    .await);
    let v = json(&t, &["orgs", "connections", "list", "wayne"]).await;
    assert_eq!(v[0]["connection_id"], "con_SocGgggggggggg02");
    assert_eq!(v[0]["assign_membership_on_login"], true);
    let o = run(
        &t,
        &[
            "orgs",
            "connections",
            "enable",
            "wayne",
            "google-oauth2",
            "--assign-membership-on-login",
            "true",
            "--is-signup-enabled",
            "true",
        ],
    )
    .await;
    assert!(
        stderr(&o).contains("database connections only"),
        "{}",
        stderr(&o)
    );
    ok(&run(
        &t,
        &["orgs", "connections", "disable", "wayne", "google-oauth2"],
    )
    .await);
    assert!(ok(&run(&t, &["orgs", "connections", "list", "wayne"]).await).contains("(none)"));

    ok(&run(
        &t,
        &[
            "orgs",
            "members",
            "add",
            "wayne",
            "auth0|alice0000000000000000001",
            "auth0|nora0000000000000000000003",
        ],
    )
    .await);
    let table = ok(&run(&t, &["orgs", "members", "list", "wayne"]).await);
    assert!(
        table.contains("alice@example.com") && table.contains("nora@example.com"),
        "{table}"
    );
    ok(&run(
        &t,
        &[
            "orgs",
            "members",
            "remove",
            "wayne",
            "auth0|nora0000000000000000000003",
        ],
    )
    .await);
    let v = json(&t, &["orgs", "members", "list", "wayne"]).await;
    assert_eq!(v.as_array().unwrap().len(), 1);

    // Invitations go through a connection enabled for the organization (Auth0 and devtenant refuse others).
    ok(&run(
        &t,
        &[
            "orgs",
            "connections",
            "enable",
            "wayne",
            "Username-Password-Authentication",
            "--assign-membership-on-login",
            "true",
        ],
    )
    .await);
    let url = ok(&run(
        &t,
        &[
            "orgs",
            "invitations",
            "create",
            "wayne",
            "--email",
            "new@example.com",
            "--inviter",
            "Ops",
            "--app-client-id",
            devtenant::DEMO_NATIVE_CLIENT_ID,
            "--connection",
            "Username-Password-Authentication",
        ],
    )
    .await);
    assert!(
        url.trim().contains("invitation=") && url.contains("organization=org_"),
        "{url}"
    );
    let v = json(&t, &["orgs", "invitations", "list", "wayne"]).await;
    let id = v[0]["id"].as_str().unwrap().to_owned();
    assert_eq!(v[0]["invitee"]["email"], "new@example.com");
    ok(&run(&t, &["orgs", "invitations", "revoke", "wayne", &id]).await);
    assert!(
        json(&t, &["orgs", "invitations", "list", "wayne"])
            .await
            .as_array()
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn apply_dry_run_apply_and_export() {
    let t = start().await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("orgs.yaml");
    std::fs::write(
        &file,
        "organizations:\n  - name: cyberdyne\n    display_name: Cyberdyne Systems\n    branding:\n      colors: { primary: \"#222222\", page_background: \"#eeeeee\" }\n    connections:\n      - name: Username-Password-Authentication\n",
    )
    .unwrap();
    let f = file.to_str().unwrap();
    let out = ok(&run(&t, &["apply", f, "--dry-run"]).await);
    assert!(
        out.contains("+ create    cyberdyne: enable Username-Password-Authentication"),
        "{out}"
    );
    assert!(out.contains("! would delete (--prune) acme"), "{out}");
    let v = json(&t, &["orgs", "list"]).await;
    assert!(
        !v.to_string().contains("cyberdyne"),
        "dry run changed nothing"
    );

    let out = ok(&run(&t, &["apply", f]).await);
    assert!(out.contains("0 failed"), "{out}");
    let v = json(&t, &["apply", f]).await;
    assert_eq!(v["applied"], false);
    assert_eq!(v["counts"]["unchanged"], 1);
    assert_eq!(v["counts"]["create"], 0);

    let exported = dir.path().join("all.toml");
    ok(&run(&t, &["export", "--output", exported.to_str().unwrap()]).await);
    let text = std::fs::read_to_string(&exported).unwrap();
    assert!(
        text.contains("name = \"cyberdyne\"") && text.contains("name = \"acme\""),
        "{text}"
    );
    let out = ok(&run(&t, &["apply", exported.to_str().unwrap(), "--prune"]).await);
    assert!(out.contains("Nothing to do."), "{out}");
    let yaml = ok(&run(&t, &["export", "--format", "yaml"]).await);
    assert!(yaml.starts_with("organizations:"), "{yaml}");
}

#[tokio::test]
async fn the_secret_is_never_an_argument_and_auth_status_shows_scopes() {
    let t = start().await;
    let o = run(&t, &["--client-secret", "x", "orgs", "list"]).await;
    assert_eq!(o.status.code(), Some(2), "clap refuses it");
    let v = json(&t, &["auth", "status"]).await;
    assert_eq!(v["secret_from"], "ORGPASS_ADMIN_CLIENT_SECRET");
    let scopes: Vec<&str> = v["scopes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap())
        .collect();
    assert!(
        scopes.contains(&"create:organizations") && scopes.contains(&"read:connections"),
        "{scopes:?}"
    );
    let text = ok(&run(&t, &["auth", "status"]).await);
    assert!(
        text.contains("Scopes:") && text.contains("read:organizations"),
        "{text}"
    );
    assert!(
        !text.contains(devtenant::DEMO_M2M_CLIENT_SECRET)
            && !stderr(&run(&t, &["auth", "status"]).await)
                .contains(devtenant::DEMO_M2M_CLIENT_SECRET)
    );

    // http:// is refused for non-loopback hosts.
    let o = cmd(&t)
        .args(["orgs", "list"])
        .env("ORGPASS_ADMIN_DOMAIN", "http://example.com")
        .output()
        .await
        .unwrap();
    assert!(stderr(&o).contains("https only"), "{}", stderr(&o));
}

#[tokio::test]
async fn without_a_secret_service_login_fails_clearly_and_writes_nothing() {
    let t = start().await;
    let dir = tempfile::tempdir().unwrap();
    let mut c = cmd(&t);
    c.env_remove("ORGPASS_ADMIN_CLIENT_SECRET")
        .env("HOME", dir.path())
        .env(
            "DBUS_SESSION_BUS_ADDRESS",
            format!("unix:path={}/no-bus", dir.path().display()),
        )
        .args(["auth", "login"]);
    let o = feed(c, devtenant::DEMO_M2M_CLIENT_SECRET.as_bytes()).await;
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert!(
        err.contains("no OS keychain is available") || err.contains("keychain"),
        "{err}"
    );
    assert!(
        err.contains("never falls back to a plaintext file"),
        "{err}"
    );
    let files: Vec<_> = walk(dir.path());
    assert!(files.is_empty(), "nothing written to disk: {files:?}");
}

fn walk(p: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(p).unwrap().flatten() {
        if e.path().is_dir() {
            out.extend(walk(&e.path()));
        } else {
            out.push(e.path());
        }
    }
    out
}

/// The real Secret Service: `auth login` reads the secret from stdin, stores it, and later runs use it.
#[tokio::test]
async fn login_stores_the_secret_in_the_os_keychain() {
    assert!(
        std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_some(),
        "this test needs a D-Bus session with an unlocked Secret Service: run `cargo xtask test`, or \
         HOME=$(mktemp -d) dbus-run-session -- sh -c 'printf pw | gnome-keyring-daemon --unlock --components=secrets >/dev/null; cargo test -p orgpass-admin'"
    );
    let t = start().await;
    let mut c = keychain_cmd(&t);
    c.args(["auth", "login"]);
    let secret_line = format!("{}\n", devtenant::DEMO_M2M_CLIENT_SECRET);
    let o = feed(c, secret_line.as_bytes()).await;
    let out = ok(&o);
    assert!(
        out.contains("Stored the client secret") && out.contains("create:organizations"),
        "{out}"
    );

    let o = keychain_cmd(&t)
        .args(["--json", "auth", "status"])
        .output()
        .await
        .unwrap();
    let v: serde_json::Value = serde_json::from_str(&ok(&o)).unwrap();
    assert_eq!(v["secret_from"], "OS keychain");
    let o = keychain_cmd(&t)
        .args(["auth", "logout"])
        .output()
        .await
        .unwrap();
    ok(&o);
    let o = keychain_cmd(&t)
        .args(["orgs", "list"])
        .output()
        .await
        .unwrap();
    assert!(
        stderr(&o).contains("run `orgpass-admin auth login"),
        "{}",
        stderr(&o)
    );
}

/// Reads `key` from the real OS keychain (off the async runtime, as the binary does).
async fn keychain_get(key: String) -> Option<String> {
    use orgpass_admin::keychain::SecretBackend as _;
    tokio::task::spawn_blocking(move || orgpass_admin::keychain::os().unwrap().get(&key))
        .await
        .unwrap()
        .unwrap()
}

/// `auth login` asks the tenant even when the keychain holds a still-valid token from an earlier login: a wrong
/// secret is refused with the credentials error and the stored (right) secret stays.
#[tokio::test]
async fn login_with_a_wrong_secret_is_refused_despite_a_cached_token() {
    assert!(
        std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_some(),
        "this test needs a D-Bus session with an unlocked Secret Service: run `cargo xtask test -p orgpass-admin`"
    );
    let t = start().await;
    let tenant = orgpass_admin::Tenant::parse(&domain(t.addr)).unwrap();
    let id = devtenant::DEMO_M2M_CLIENT_ID;
    let secret_key = orgpass_admin::keychain::secret_key(&tenant, id);
    let token_key = orgpass_admin::keychain::token_key(&tenant, id);

    let mut c = keychain_cmd(&t);
    c.args(["auth", "login"]);
    ok(&feed(
        c,
        format!("{}\n", devtenant::DEMO_M2M_CLIENT_SECRET).as_bytes(),
    )
    .await);
    let cached = keychain_get(token_key.clone()).await;
    assert!(cached.is_some(), "the first login cached a token");

    let mut c = keychain_cmd(&t);
    c.args(["auth", "login"]);
    let o = feed(c, b"not-the-secret\n").await;
    assert_eq!(o.status.code(), Some(1), "{}", stdout(&o));
    let err = stderr(&o);
    assert!(
        err.starts_with(
            "error: the token endpoint refused the client credentials (access_denied: Unauthorized); check \
             --client-id and the client secret"
        ),
        "{err}"
    );
    assert!(!err.contains("not-the-secret"), "never echoed: {err}");
    assert_eq!(
        keychain_get(secret_key).await.as_deref(),
        Some(devtenant::DEMO_M2M_CLIENT_SECRET),
        "the right secret is still stored"
    );
    assert_eq!(
        keychain_get(token_key).await,
        cached,
        "the cached token is left as it was"
    );
    ok(&keychain_cmd(&t)
        .args(["auth", "logout"])
        .output()
        .await
        .unwrap());
}

/// devtenant over HTTPS (its issuer's host is `host`, else 127.0.0.1) and its CA in `dir/ca.pem`.
async fn tls_tenant(host: Option<&str>, dir: &std::path::Path) -> (Running, String) {
    let t = devtenant::spawn(
        seed(),
        devtenant::SpawnOptions {
            tls: Some(devtenant::TlsOptions {
                host: host.map(str::to_owned),
            }),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let ca = dir.join("ca.pem");
    std::fs::write(&ca, &t.tls.as_ref().unwrap().ca_pem).unwrap();
    (t, ca.display().to_string())
}

/// The binary for the HTTPS tenant `t`, with `env` (the domain is the issuer's `host:port`, https implied).
fn tls_cmd(t: &Running, env: &[(&str, &str)]) -> Command {
    let mut c = cmd(t);
    c.env("ORGPASS_ADMIN_DOMAIN", t.domain());
    for (k, v) in env {
        c.env(k, v);
    }
    c
}

const ONE_ORG: &str = "organizations:\n  - name: cyberdyne\n    display_name: Cyberdyne Systems\n    connections:\n      - name: Username-Password-Authentication\n";

#[tokio::test]
async fn apply_over_tls_trusting_the_ca_file_and_an_untrusted_tenant_is_said_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let (t, ca) = tls_tenant(None, dir.path()).await;
    let file = dir.path().join("orgs.yaml");
    std::fs::write(&file, ONE_ORG).unwrap();
    let f = file.to_str().unwrap();

    // Through a relay that counts connections: a refused certificate is said at once, never retried.
    let relay = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let host = relay.local_addr().unwrap().to_string();
    let connections = std::sync::Arc::new(std::sync::atomic::AtomicU32::new(0));
    let counted = connections.clone();
    let upstream = t.addr;
    tokio::spawn(async move {
        while let Ok((mut sock, _)) = relay.accept().await {
            counted.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            tokio::spawn(async move {
                if let Ok(mut up) = tokio::net::TcpStream::connect(upstream).await {
                    let _ = tokio::io::copy_bidirectional(&mut sock, &mut up).await;
                }
            });
        }
    });
    let out = tls_cmd(&t, &[("ORGPASS_ADMIN_DOMAIN", &host)])
        .args(["apply", f])
        .output()
        .await
        .unwrap();
    assert!(!out.status.success());
    assert_eq!(
        stderr(&out).trim(),
        format!(
            "error: getting a Management API token: the certificate of {host} is not trusted: it was \
             issued by an authority this computer does not trust. If your company inspects HTTPS with its own \
             root CA, have it added to this computer's trust store (ask IT), or point Orgpass at it: `ca_file` \
             in the settings, `--ca-file`, or ORGPASS_CA_FILE"
        )
    );
    assert_eq!(
        connections.load(std::sync::atomic::Ordering::SeqCst),
        1,
        "a certificate is not retried"
    );

    let out = ok(&tls_cmd(&t, &[])
        .args(["--ca-file", &ca, "apply", f])
        .output()
        .await
        .unwrap());
    assert!(out.contains("0 failed"), "{out}");
    let listed = ok(&tls_cmd(&t, &[("ORGPASS_CA_FILE", &ca)])
        .args(["--json", "orgs", "list"])
        .output()
        .await
        .unwrap());
    assert!(listed.contains("\"cyberdyne\""), "{listed}");
}

#[tokio::test]
async fn apply_through_a_company_proxy_and_a_407_is_named() {
    use devtenant::proxy::{Proxy, ProxyOptions};
    let dir = tempfile::tempdir().unwrap();
    let (t, ca) = tls_tenant(Some("tenant.test"), dir.path()).await;
    let port = t.addr.port();
    let file = dir.path().join("orgs.yaml");
    std::fs::write(&file, ONE_ORG).unwrap();
    let f = file.to_str().unwrap();
    let loopback = std::net::IpAddr::from([127, 0, 0, 1]);
    let proxy = Proxy::spawn(ProxyOptions {
        hosts: vec![("tenant.test".into(), loopback)],
        credentials: None,
    })
    .await
    .unwrap();
    let url = proxy.url();
    let env = [
        ("HTTPS_PROXY", url.as_str()),
        ("ORGPASS_CA_FILE", ca.as_str()),
    ];
    // tenant.test resolves nowhere: the requests can only have gone through the proxy.
    let out = ok(&tls_cmd(&t, &env).args(["apply", f]).output().await.unwrap());
    assert!(out.contains("0 failed"), "{out}");
    let seen = proxy.seen();
    assert!(!seen.is_empty());
    assert!(
        seen.iter()
            .all(|l| *l == format!("CONNECT tenant.test:{port} HTTP/1.1")),
        "{seen:?}"
    );

    let guarded = Proxy::spawn(ProxyOptions {
        hosts: vec![("tenant.test".into(), loopback)],
        credentials: Some(("ada".into(), "s3cret".into())),
    })
    .await
    .unwrap();
    let url = guarded.url();
    let out = tls_cmd(
        &t,
        &[
            ("HTTPS_PROXY", url.as_str()),
            ("ORGPASS_CA_FILE", ca.as_str()),
        ],
    )
    .args(["orgs", "list"])
    .output()
    .await
    .unwrap();
    assert!(!out.status.success());
    assert_eq!(
        stderr(&out).trim(),
        format!(
            "error: getting a Management API token: the proxy {url} asks for a user name and password \
             (HTTP 407) to reach tenant.test:{port}; put them in the proxy setting \
             (HTTPS_PROXY=http://user:password@host:port) or ask IT for a proxy address that needs none"
        )
    );
}
