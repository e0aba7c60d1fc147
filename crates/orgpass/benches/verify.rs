//! `cargo bench -p orgpass`: ID-token verification against `openidconnect` and node `jose`, and against its floor:
//! one bare RSA-2048 PKCS#1 signature check by AWS-LC (the backend the token core uses) on the same token, key
//! parsed beforehand. Also the loopback listener's time from callback received to session stored. Prints ratios
//! at the end.

#[path = "../tests/support/mod.rs"]
mod support;

#[path = "../tests/engine/op.rs"]
mod op;

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use criterion::Criterion;
use openidconnect::core::{
    CoreGenderClaim, CoreJsonWebKeySet, CoreJweContentEncryptionAlgorithm, CoreJwsSigningAlgorithm,
};
use openidconnect::{AdditionalClaims, ClientId, IssuerUrl, Nonce};
use orgpass::{
    Client, Config, Expected, IdTokenVerifier, Issuer, KeySet, KeychainStore, LoginRequest,
    OrgCheck, OrgInput,
};
use serde::{Deserialize, Serialize};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const ISS: &str = "https://acme.eu.auth0.com/";
const NONCE: &str = "bUZ2S0pRcVhEUnpFbk5wVFJsd0k4Ug";

#[derive(Debug, Clone, Serialize, Deserialize)]
struct OrgClaims {
    org_id: Option<String>,
    org_name: Option<String>,
}
impl AdditionalClaims for OrgClaims {}
type OidcIdToken = openidconnect::IdToken<
    OrgClaims,
    CoreGenderClaim,
    CoreJweContentEncryptionAlgorithm,
    CoreJwsSigningAlgorithm,
>;

struct Fixture {
    token: String,
    jwks: String,
    now: i64,
}

fn fixture() -> Fixture {
    let key = support::TestKey::a();
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let token = key.sign(&support::auth0_claims(
        ISS,
        op::CLIENT_ID,
        NONCE,
        op::ORG_ID,
        now,
    ));
    Fixture {
        token,
        jwks: support::jwks(&[&key]),
        now,
    }
}

fn orgpass_verify(f: &Fixture) -> impl FnMut() + '_ {
    let keys = KeySet::parse(f.jwks.as_bytes()).unwrap();
    let verifier = IdTokenVerifier::new(ISS, op::CLIENT_ID, Duration::from_secs(60));
    move || {
        let expected = Expected {
            nonce: Some(NONCE),
            org: OrgCheck::Id(op::ORG_ID.into()),
            sub: None,
        };
        let claims = verifier
            .verify_with_keys(&f.token, &keys, &expected, f.now)
            .expect("orgpass verifies");
        std::hint::black_box(claims);
    }
}

/// The floor: only the RS256 signature over the token's signing input, by AWS-LC with the key parsed once.
fn rsa_floor(f: &Fixture) -> impl FnMut() + '_ {
    use aws_lc_rs::signature::{ParsedPublicKey, RSA_PKCS1_2048_8192_SHA256};
    use base64::Engine as _;
    let b64 = |s: &str| {
        base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(s)
            .unwrap()
    };
    let jwks: serde_json::Value = serde_json::from_str(&f.jwks).unwrap();
    let (n, e) = (
        b64(jwks["keys"][0]["n"].as_str().unwrap()),
        b64(jwks["keys"][0]["e"].as_str().unwrap()),
    );
    let der = rsa_public_key_der(&n, &e);
    let key = ParsedPublicKey::new(&RSA_PKCS1_2048_8192_SHA256, der).expect("an RSA key");
    let (input, signature) = f.token.rsplit_once('.').unwrap();
    let signature = b64(signature);
    move || {
        key.verify_sig(input.as_bytes(), &signature)
            .expect("the signature verifies");
    }
}

/// PKCS#1 `RSAPublicKey ::= SEQUENCE { modulus INTEGER, publicExponent INTEGER }` in DER.
fn rsa_public_key_der(n: &[u8], e: &[u8]) -> Vec<u8> {
    fn len(out: &mut Vec<u8>, n: usize) {
        if n < 0x80 {
            out.push(n as u8);
        } else {
            let bytes: Vec<u8> = n
                .to_be_bytes()
                .into_iter()
                .skip_while(|b| *b == 0)
                .collect();
            out.push(0x80 | bytes.len() as u8);
            out.extend(bytes);
        }
    }
    fn integer(out: &mut Vec<u8>, v: &[u8]) {
        let pad = v.first().is_some_and(|b| b & 0x80 != 0);
        out.push(0x02);
        len(out, v.len() + usize::from(pad));
        if pad {
            out.push(0);
        }
        out.extend_from_slice(v);
    }
    let mut body = Vec::new();
    integer(&mut body, n);
    integer(&mut body, e);
    let mut out = vec![0x30];
    len(&mut out, body.len());
    out.extend(body);
    out
}

fn oidc_verify(f: &Fixture) -> impl FnMut() + '_ {
    let jwks: CoreJsonWebKeySet = serde_json::from_str(&f.jwks).unwrap();
    let verifier = openidconnect::IdTokenVerifier::new_public_client(
        ClientId::new(op::CLIENT_ID.into()),
        IssuerUrl::new(ISS.into()).unwrap(),
        jwks,
    )
    .set_allowed_algs([CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256]);
    let nonce = Nonce::new(NONCE.into());
    move || {
        let token: OidcIdToken = f.token.parse().expect("token parses");
        let claims = token
            .claims(&verifier, &nonce)
            .expect("openidconnect verifies");
        assert_eq!(
            claims.additional_claims().org_id.as_deref(),
            Some(op::ORG_ID)
        );
        std::hint::black_box(claims);
    }
}

/// ns/op of `f` over `n` iterations after a warm-up.
fn time_it(n: u32, mut f: impl FnMut()) -> f64 {
    for _ in 0..n / 10 {
        f();
    }
    let start = Instant::now();
    for _ in 0..n {
        f();
    }
    start.elapsed().as_nanos() as f64 / f64::from(n)
}

/// Run node jose; `Err` explains why it was skipped.
fn jose_ns_per_op(f: &Fixture, iterations: u32) -> Result<f64, String> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests");
    let script = root.join("bench/jose-verify.mjs");
    if !root.join("node_modules/jose").is_dir() {
        return Err(format!(
            "{} is missing; run `npm ci --prefix tests`",
            root.join("node_modules/jose").display()
        ));
    }
    let input = serde_json::json!({
        "token": f.token, "jwks": serde_json::from_str::<serde_json::Value>(&f.jwks).unwrap(), "issuer": ISS,
        "audience": op::CLIENT_ID, "nonce": NONCE, "org_id": op::ORG_ID, "iterations": iterations,
    });
    let mut child = Command::new("node")
        .arg(&script)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("could not run node: {e}"))?;
    child
        .stdin
        .take()
        .unwrap()
        .write_all_sync(input.to_string().as_bytes());
    let out = child.wait_with_output().map_err(|e| e.to_string())?;
    if !out.status.success() {
        return Err(format!(
            "node failed: {}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    let v: serde_json::Value =
        serde_json::from_slice(&out.stdout).map_err(|e| format!("bad node output: {e}"))?;
    v["ns_per_op"]
        .as_f64()
        .ok_or_else(|| "no ns_per_op in node output".into())
}

trait WriteAllSync {
    fn write_all_sync(self, bytes: &[u8]);
}
impl WriteAllSync for std::process::ChildStdin {
    fn write_all_sync(mut self, bytes: &[u8]) {
        std::io::Write::write_all(&mut self, bytes).unwrap();
    }
}

/// One login against the in-process OP: time from sending the callback to `wait()` returning the stored session.
async fn one_callback(op: &op::Op, client: &Client) -> Duration {
    let req = LoginRequest {
        org: Some(OrgInput::parse(op::ORG_ID).unwrap()),
        ..Default::default()
    };
    let pending = client.begin_login(req).await.unwrap();
    op.remember(pending.authorize_url());
    let state = pending
        .authorize_url()
        .query_pairs()
        .find(|(k, _)| k == "state")
        .unwrap()
        .1
        .into_owned();
    let host = format!("127.0.0.1:{}", pending.redirect_uri().port().unwrap());
    let request = format!(
        "GET /callback?code={}&state={state} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n",
        op::CODE
    );
    let start = Instant::now();
    let browser = tokio::spawn(async move {
        let mut s = tokio::net::TcpStream::connect(&host).await.unwrap();
        s.write_all(request.as_bytes()).await.unwrap();
        let mut out = Vec::new();
        s.read_to_end(&mut out).await.unwrap();
        out
    });
    let session = pending.wait().await.expect("login completes");
    let elapsed = start.elapsed();
    std::hint::black_box(session);
    assert!(browser.await.unwrap().starts_with(b"HTTP/1.1 200"));
    elapsed
}

fn main() {
    let mut c = Criterion::default()
        .configure_from_args()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
    let f = fixture();

    let mut group = c.benchmark_group("verify_id_token_rs256_warm_jwks");
    group.bench_function("orgpass", |b| b.iter(orgpass_verify(&f)));
    group.bench_function("openidconnect", |b| b.iter(oidc_verify(&f)));
    group.bench_function("floor: one RSA-2048 PKCS#1 verify (aws-lc-rs)", |b| {
        b.iter(rsa_floor(&f))
    });
    group.finish();

    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let (op, client) = rt.block_on(async {
        let op = op::Op::start(false, Duration::ZERO).await;
        let config = Config::new(Issuer::parse(&op.issuer).unwrap(), op::CLIENT_ID);
        let client = Client::new(config, Arc::new(KeychainStore::in_memory()));
        one_callback(&op, &client).await; // warm discovery and JWKS
        (op, client)
    });
    c.bench_function("loopback_callback_to_session_stored", |b| {
        b.iter_custom(|iters| rt.block_on(sum_callbacks(&op, &client, iters)))
    });
    c.final_summary();

    // Side-by-side summary in one run (same token, same machine).
    let n = 3000;
    let ours = time_it(n, orgpass_verify(&f));
    let oidc = time_it(n, oidc_verify(&f));
    let floor = time_it(n, rsa_floor(&f));
    println!("\n== ID token verification (RS256, Auth0-shaped, warm JWKS), {n} iterations each ==");
    println!("orgpass        {:>10.0} ns/op", ours);
    println!(
        "RSA floor      {:>10.0} ns/op   orgpass/floor = {:.2} (one bare aws-lc-rs RSA-2048 PKCS#1 verify)",
        floor,
        ours / floor
    );
    println!(
        "openidconnect  {:>10.0} ns/op   orgpass/openidconnect = {:.2}",
        oidc,
        ours / oidc
    );
    match jose_ns_per_op(&f, n) {
        Ok(jose) => println!(
            "node jose      {:>10.0} ns/op   orgpass/jose = {:.2}",
            jose,
            ours / jose
        ),
        Err(why) => println!("node jose      skipped: {why}"),
    }
    let callbacks: Vec<Duration> = rt.block_on(async {
        let mut v = Vec::new();
        for _ in 0..50 {
            v.push(one_callback(&op, &client).await);
        }
        v
    });
    let mut sorted = callbacks.clone();
    sorted.sort();
    println!(
        "== loopback callback received -> session stored (token endpoint on loopback, in-memory keychain), 50 logins =="
    );
    println!(
        "median {:?}   p90 {:?}   max {:?}",
        sorted[25], sorted[45], sorted[49]
    );
}

async fn sum_callbacks(op: &op::Op, client: &Client, iters: u64) -> Duration {
    let mut total = Duration::ZERO;
    for _ in 0..iters {
        total += one_callback(op, client).await;
    }
    total
}
