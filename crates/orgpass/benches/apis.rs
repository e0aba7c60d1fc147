//! A token for a second API from a warm session (the session's refresh token with that API's `audience`, then the
//! token checked for its API and organization before it is kept) against a plain refresh of the sign-in's own
//! token, in one run, alternating, against devtenant over loopback with the session in memory.
//!
//! `cargo bench -p orgpass --bench apis` prints the medians, p90s and the ratio (target: ≤ 1.2×).

mod figures;

use std::sync::Arc;
use std::time::Instant;

use figures::{ms, summary};

use devtenant::{Seed, SpawnOptions};
use orgpass::{Api, Client, Config, Issuer, KeychainStore, LoginRequest, OrgInput};

const ROUNDS: usize = 200;
const PROJECTS: &str = "https://api.orgpass.example/";
const BILLING: &str = "https://billing.orgpass.example/";

fn main() {
    let rt = figures::runtime();
    rt.block_on(async {
        let tenant = devtenant::spawn(Seed::demo(), SpawnOptions::default())
            .await
            .unwrap();
        let mut config = Config::new(
            Issuer::parse(tenant.issuer.as_str()).unwrap(),
            devtenant::DEMO_NATIVE_CLIENT_ID,
        );
        config.audience = Some(PROJECTS.into());
        config.scopes = "openid profile email offline_access read:projects"
            .split(' ')
            .map(str::to_owned)
            .collect();
        let client = Client::new(config, Arc::new(KeychainStore::in_memory()));
        let pending = client
            .begin_login(LoginRequest {
                org: Some(OrgInput::parse("acme").unwrap()),
                ..Default::default()
            })
            .await
            .unwrap();
        let browser = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        let callback = devtenant::testing::sign_in(
            &browser,
            pending.authorize_url().clone(),
            "alice@example.com",
            "Alice-pass-1",
        )
        .await
        .unwrap();
        let redirect = tokio::spawn(async move { browser.get(callback).send().await });
        let session = pending.wait().await.expect("signed in");
        redirect.await.unwrap().unwrap();
        let key = session.meta.key.clone();
        let billing = Api {
            name: "billing".into(),
            audience: BILLING.into(),
            url: None,
            scope: Some("read:invoices".into()),
        };
        // Warm: discovery, the JWKS, connections.
        client.token_with(&key, true).await.unwrap();
        client.token_for(&key, &billing, true).await.unwrap();
        let (mut plain, mut second) = (Vec::new(), Vec::new());
        for _ in 0..ROUNDS {
            let t = Instant::now();
            let a = client.token_with(&key, true).await.unwrap();
            plain.push(t.elapsed());
            let t = Instant::now();
            let b = client.token_for(&key, &billing, true).await.unwrap();
            second.push(t.elapsed());
            assert_eq!(b.audience.as_deref(), Some(BILLING));
            std::hint::black_box((a, b));
        }
        let (p50, p90) = summary(plain);
        let (s50, s90) = summary(second);
        println!("== a token for a second API vs a plain refresh, warm session, {ROUNDS} rounds alternating ==");
        println!(
            "plain refresh median {} p90 {} | second API median {} p90 {} | second/plain = {:.2}",
            ms(p50),
            ms(p90),
            ms(s50),
            ms(s90),
            s50.as_secs_f64() / p50.as_secs_f64()
        );
    });
}
