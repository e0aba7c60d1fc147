//! The network path users have: `orgpass` against devtenant serving HTTPS from a CA of its own, trusted the way a
//! company CA is (the system store, or `--ca-file`), and through a company proxy (devtenant's CONNECT proxy on
//! loopback, which maps `tenant.test` to the tenant, since loopback addresses never go through a proxy).
//!
//! The browser is the test: `--browser` writes the authorize URL to a file, and the test signs in on the real
//! login page (devtenant's scripted walker over HTTPS) and then requests the loopback redirect, as a browser
//! would.

use std::net::{IpAddr, Ipv4Addr};
use std::path::{Path, PathBuf};
use std::process::Child;
use std::time::{Duration, Instant};

use devtenant::proxy::{Proxy, ProxyOptions};
use devtenant::{Running, Seed, SpawnOptions, TlsOptions};

use crate::support::{Home, Run, assert_nothing_stored, collect, drain, require_keychain};

const CLIENT: &str = devtenant::DEMO_NATIVE_CLIENT_ID;
const ACME: &str = "org_AcmeA1b2C3d4E5f6";

/// devtenant over HTTPS, its CA written to `ca.pem`, and the runtime it is served from.
struct Tenant {
    rt: tokio::runtime::Runtime,
    running: Running,
    dir: tempfile::TempDir,
}

impl Tenant {
    /// `host`: the name the issuer uses (for the proxy tests), else `127.0.0.1`.
    fn start(host: Option<&str>) -> Self {
        let rt = tokio::runtime::Runtime::new().expect("runtime");
        let running = rt
            .block_on(devtenant::spawn(
                Seed::demo(),
                SpawnOptions {
                    tls: Some(TlsOptions {
                        host: host.map(str::to_owned),
                    }),
                    ..Default::default()
                },
            ))
            .expect("devtenant starts");
        let dir = tempfile::tempdir().expect("temp dir");
        std::fs::write(
            dir.path().join("ca.pem"),
            &running.tls.as_ref().unwrap().ca_pem,
        )
        .unwrap();
        Self { rt, running, dir }
    }

    fn issuer(&self) -> &str {
        self.running.issuer.as_str()
    }

    fn ca_file(&self) -> PathBuf {
        self.dir.path().join("ca.pem")
    }

    fn ca_pem(&self) -> &str {
        &self.running.tls.as_ref().unwrap().ca_pem
    }

    /// The test's browser: trusts the CA, goes through `proxy` as a browser set to the system proxy does
    /// (loopback direct), or else finds the tenant's name itself; never follows redirects.
    fn browser(&self, proxy: Option<&Proxy>) -> reqwest::Client {
        let mut b = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .tls_built_in_root_certs(false)
            .add_root_certificate(
                reqwest::Certificate::from_pem(self.ca_pem().as_bytes()).unwrap(),
            );
        match proxy {
            Some(p) => {
                b = b.proxy(
                    reqwest::Proxy::all(p.url())
                        .unwrap()
                        .no_proxy(reqwest::NoProxy::from_string("127.0.0.1,localhost")),
                )
            }
            None => {
                let host = self.running.issuer.host_str().unwrap().to_owned();
                b = b.no_proxy().resolve(&host, self.running.addr);
            }
        }
        b.build().unwrap()
    }
}

/// `--browser`: writes the URL it is given to `file`, like a browser that was handed it.
fn url_catcher(file: &Path) -> String {
    format!("sh -c 'printf %s \"$1\" > {}' sh", file.display())
}

/// `orgpass login --org acme` over TLS as Alice: the test is the browser (see the module comment).
fn login(
    home: &Home,
    t: &Tenant,
    extra: &[&str],
    env: &[(&str, &str)],
    proxy: Option<&Proxy>,
) -> Run {
    let url_file = home.config_dir().join("authorize-url");
    let _ = std::fs::remove_file(&url_file);
    let browser = url_catcher(&url_file);
    let mut args = vec![
        "login",
        "--issuer",
        t.issuer(),
        "--client-id",
        CLIENT,
        "--org",
        "acme",
        "--browser",
        &browser,
        "--timeout",
        "60",
        "--json",
    ];
    args.extend_from_slice(extra);
    let mut child = home.command(&args, env).spawn().expect("orgpass starts");
    let (out, err) = (
        drain(child.stdout.take().unwrap()),
        drain(child.stderr.take().unwrap()),
    );
    let start = Instant::now();
    let authorize = loop {
        if let Ok(url) = std::fs::read_to_string(&url_file).map(|u| u.trim().to_owned())
            && !url.is_empty()
        {
            break Some(url);
        }
        if child.try_wait().unwrap().is_some() || start.elapsed() > Duration::from_secs(30) {
            break None;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    if let Some(authorize) = authorize {
        let browser = t.browser(proxy);
        t.rt.block_on(async {
            let authorize = url::Url::parse(&authorize).unwrap();
            let callback = devtenant::testing::sign_in(
                &browser,
                authorize,
                "alice@example.com",
                "Alice-pass-1",
            )
            .await
            .expect("the login page signs Alice in");
            assert_eq!(callback.host_str(), Some("127.0.0.1"), "{callback}");
            browser
                .get(callback)
                .send()
                .await
                .expect("the redirect reaches the CLI");
        });
    }
    finish(child, out, err)
}

fn finish(
    mut child: Child,
    out: std::sync::mpsc::Receiver<String>,
    err: std::sync::mpsc::Receiver<String>,
) -> Run {
    let start = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "orgpass login did not finish"
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    Run {
        code: status.code().unwrap_or(-1),
        stdout: collect(out),
        stderr: collect(err),
    }
}

/// Sign in, then renew (`token --refresh`) and sign out (revocation): every request over TLS.
fn sign_in_refresh_and_logout(home: &Home, t: &Tenant, trust: &[&str], env: &[(&str, &str)]) {
    let run = login(home, t, trust, env, None);
    run.expect_code(0);
    assert_eq!(run.json()["org_id"], ACME, "{}", run.stdout);
    let mut args = vec!["token", "--refresh", "--org", ACME];
    args.extend_from_slice(trust);
    let token = home.run_with(&args, env, Duration::from_secs(30));
    token.expect_code(0);
    assert!(
        token.stdout.trim().starts_with("ey"),
        "an access token: {}",
        token.stdout
    );
    let mut args = vec!["logout", "--org", ACME];
    args.extend_from_slice(trust);
    home.run_with(&args, env, Duration::from_secs(30))
        .expect_code(0);
    assert_nothing_stored(home, t.issuer(), "after logout");
}

/// The system store, the way Linux provides it to every program that uses it (OpenSSL, and here the platform
/// verifier through rustls-native-certs): `SSL_CERT_FILE` names the bundle in place of
/// `/etc/ssl/certs/ca-certificates.crt`. No Orgpass setting is involved.
#[test]
fn signs_in_refreshes_and_logs_out_over_tls_trusting_the_system_store() {
    require_keychain();
    let t = Tenant::start(None);
    assert!(
        t.issuer().starts_with("https://127.0.0.1:"),
        "{}",
        t.issuer()
    );
    let home = Home::new();
    let ca = t.ca_file().display().to_string();
    sign_in_refresh_and_logout(&home, &t, &[], &[("SSL_CERT_FILE", &ca)]);
}

#[test]
fn signs_in_refreshes_and_logs_out_over_tls_trusting_ca_file() {
    require_keychain();
    let t = Tenant::start(None);
    let home = Home::new();
    let ca = t.ca_file().display().to_string();
    sign_in_refresh_and_logout(&home, &t, &["--ca-file", &ca], &[]);
    // The same through the environment and the config file.
    let run = login(&home, &t, &[], &[("ORGPASS_CA_FILE", &ca)], None);
    run.expect_code(0);
    std::fs::create_dir_all(home.config_dir().join("orgpass")).unwrap();
    std::fs::write(
        home.config_dir().join("orgpass/config.toml"),
        format!("ca_file = \"{ca}\"\n"),
    )
    .unwrap();
    home.run_with(
        &["token", "--refresh", "--org", ACME],
        &[],
        Duration::from_secs(30),
    )
    .expect_code(0);
}

#[test]
fn an_untrusted_tenant_is_refused_with_what_to_do_and_nothing_is_stored() {
    require_keychain();
    let t = Tenant::start(None);
    let home = Home::new();
    let run = login(&home, &t, &[], &[], None);
    run.expect_code(1);
    let host = format!("127.0.0.1:{}", t.running.addr.port());
    assert_eq!(
        run.stderr.trim(),
        format!(
            "orgpass: the certificate of {host} is not trusted: it was issued by an authority this computer does \
             not trust. If your company inspects HTTPS with its own root CA, have it added to this computer's \
             trust store (ask IT), or point Orgpass at it: `ca_file` in the settings, `--ca-file`, or \
             ORGPASS_CA_FILE"
        )
    );
    assert!(
        !home.config_dir().join("authorize-url").exists(),
        "no browser was opened for a tenant that is not trusted"
    );
    assert_nothing_stored(&home, t.issuer(), "after an untrusted certificate");
    // A CA file that is not one is said before anything is sent.
    let bogus = t.dir.path().join("not-a-ca.pem");
    std::fs::write(&bogus, "hello").unwrap();
    let run = login(
        &home,
        &t,
        &["--ca-file", bogus.to_str().unwrap()],
        &[],
        None,
    );
    run.expect_code(2);
    run.expect_stderr("holds no PEM certificate");
}

#[test]
fn signs_in_through_a_company_proxy_whose_tunnels_carry_the_tenant_and_never_the_callback() {
    require_keychain();
    let t = Tenant::start(Some("tenant.test"));
    let port = t.running.addr.port();
    assert_eq!(t.issuer(), format!("https://tenant.test:{port}/"));
    let proxy =
        t.rt.block_on(Proxy::spawn(ProxyOptions {
            hosts: vec![("tenant.test".into(), IpAddr::V4(Ipv4Addr::LOCALHOST))],
            credentials: None,
        }))
        .unwrap();
    let home = Home::new();
    let ca = t.ca_file().display().to_string();
    let url = proxy.url();
    let env = [
        ("HTTPS_PROXY", url.as_str()),
        ("HTTP_PROXY", url.as_str()),
        ("ORGPASS_CA_FILE", ca.as_str()),
    ];
    // tenant.test resolves nowhere: the sign-in can only have reached the tenant through the proxy.
    let run = login(&home, &t, &[], &env, Some(&proxy));
    run.expect_code(0);
    assert_eq!(run.json()["org_id"], ACME);
    home.run_with(
        &["token", "--refresh", "--org", ACME],
        &env,
        Duration::from_secs(30),
    )
    .expect_code(0);
    let seen = proxy.seen();
    let tunnel = format!("CONNECT tenant.test:{port} HTTP/1.1");
    assert!(
        seen.len() >= 3,
        "the CLI's sign-in, the browser's and the refresh: {seen:?}"
    );
    assert!(
        seen.iter().all(|line| *line == tunnel),
        "only tunnels to the tenant, never the loopback callback: {seen:?}"
    );
}

#[test]
fn a_proxy_that_wants_a_password_is_named_and_nothing_is_stored() {
    require_keychain();
    let t = Tenant::start(Some("tenant.test"));
    let proxy =
        t.rt.block_on(Proxy::spawn(ProxyOptions {
            hosts: vec![("tenant.test".into(), IpAddr::V4(Ipv4Addr::LOCALHOST))],
            credentials: Some(("ada".into(), "s3cret".into())),
        }))
        .unwrap();
    let home = Home::new();
    let ca = t.ca_file().display().to_string();
    let url = proxy.url();
    let run = login(
        &home,
        &t,
        &[],
        &[("HTTPS_PROXY", &url), ("ORGPASS_CA_FILE", &ca)],
        None,
    );
    run.expect_code(1);
    assert_eq!(
        run.stderr.trim(),
        format!(
            "orgpass: the proxy {url} asks for a user name and password (HTTP 407) to reach tenant.test:{}; put \
             them in the proxy setting (HTTPS_PROXY=http://user:password@host:port) or ask IT for a proxy address \
             that needs none",
            t.running.addr.port()
        )
    );
    assert_nothing_stored(&home, t.issuer(), "after a 407");
    // With the credentials in the proxy URL it goes through, and the password is never printed.
    let with = format!("http://ada:s3cret@{}", proxy.addr);
    let run = login(
        &home,
        &t,
        &[],
        &[("HTTPS_PROXY", &with), ("ORGPASS_CA_FILE", &ca)],
        None,
    );
    run.expect_code(0);
    run.expect_not_printed("the proxy password", "s3cret");
}
