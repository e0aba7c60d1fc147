//! One sign-in over HTTPS against the same over plain http, in one run, as a fresh `orgpass login` process does
//! it: a new `Client` each time (discovery, the JWKS and the token exchange on new connections; over HTTPS that
//! is the system trust store read once, the company CA added, and a TLS handshake), devtenant's login page
//! walked by a scripted browser that keeps its connections (as a browser does), then the loopback redirect.
//!
//! `cargo bench -p orgpass --bench tls` prints the medians, p90s and the ratio.

mod figures;

use std::sync::Arc;
use std::time::{Duration, Instant};

use figures::{ms, summary};

use devtenant::{Running, Seed, SpawnOptions, TlsOptions};
use orgpass::{CaBundle, Client, Config, Issuer, KeychainStore, LoginRequest, OrgInput};

const ROUNDS: usize = 40;

struct Tenant {
    running: Running,
    ca: Option<CaBundle>,
    browser: reqwest::Client,
}

async fn tenant(tls: bool) -> Tenant {
    let running = devtenant::spawn(
        Seed::demo(),
        SpawnOptions {
            tls: tls.then(TlsOptions::default),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let mut browser = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none());
    let ca = running.tls.as_ref().map(|served| {
        browser = std::mem::replace(&mut browser, reqwest::Client::builder()).add_root_certificate(
            reqwest::Certificate::from_pem(served.ca_pem.as_bytes()).unwrap(),
        );
        CaBundle::from_pem(
            std::path::Path::new("devtenant-ca.pem"),
            served.ca_pem.as_bytes(),
        )
        .unwrap()
    });
    Tenant {
        running,
        ca,
        browser: browser.build().unwrap(),
    }
}

/// (whole sign-in, of which the engine's part: all but the browser's walk of the login page).
async fn sign_in(t: &Tenant) -> (Duration, Duration) {
    let start = Instant::now();
    let mut config = Config::new(
        Issuer::parse(t.running.issuer.as_str()).unwrap(),
        devtenant::DEMO_NATIVE_CLIENT_ID,
    );
    config.ca_file = t.ca.clone();
    let client = Client::new(config, Arc::new(KeychainStore::in_memory()));
    let pending = client
        .begin_login(LoginRequest {
            org: Some(OrgInput::parse("acme").unwrap()),
            ..Default::default()
        })
        .await
        .unwrap();
    let walk = Instant::now();
    let callback = devtenant::testing::sign_in(
        &t.browser,
        pending.authorize_url().clone(),
        "alice@example.com",
        "Alice-pass-1",
    )
    .await
    .unwrap();
    let walked = walk.elapsed();
    let browser = t.browser.clone();
    let redirect = tokio::spawn(async move { browser.get(callback).send().await });
    let session = pending.wait().await.expect("signed in");
    let total = start.elapsed();
    std::hint::black_box(session);
    assert!(redirect.await.unwrap().unwrap().status().is_success());
    (total, total - walked)
}

fn main() {
    let rt = figures::runtime();
    rt.block_on(async {
        let (http, https) = (tenant(false).await, tenant(true).await);
        // Warm both tenants (and the browser's connections) once.
        sign_in(&http).await;
        sign_in(&https).await;
        let (mut plain, mut tls) = (Vec::new(), Vec::new());
        for _ in 0..ROUNDS {
            plain.push(sign_in(&http).await);
            tls.push(sign_in(&https).await);
        }
        println!(
            "== one sign-in as a fresh `orgpass login` does it, {ROUNDS} rounds alternating =="
        );
        for (what, pick) in [
            ("whole sign-in", 0usize),
            ("engine's part (all but the browser's walk)", 1),
        ] {
            let get = |v: &[(Duration, Duration)]| {
                v.iter()
                    .map(|p| if pick == 0 { p.0 } else { p.1 })
                    .collect::<Vec<_>>()
            };
            let (p50, p90) = summary(get(&plain));
            let (t50, t90) = summary(get(&tls));
            println!(
                "{what}: http median {} p90 {} | https median {} p90 {} | https/http = {:.2}",
                ms(p50),
                ms(p90),
                ms(t50),
                ms(t90),
                t50.as_secs_f64() / p50.as_secs_f64()
            );
        }
    });
}
