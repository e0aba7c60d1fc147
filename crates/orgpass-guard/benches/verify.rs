//! `cargo bench -p orgpass-guard`: the time to verify one Auth0-shaped access token (RS256, RSA-2048, warm
//! JWKS cache) by the guard, against the floor (one bare `jsonwebtoken::decode` with a key built beforehand,
//! checking signature, `iss`, `aud`, `exp`) and against `jwt-authorizer` (its `Authorizer::check_auth` over the
//! same JWKS). Prints the ratios at the end.

use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use criterion::Criterion;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Validation};
use orgpass_guard::{Document, Guard, GuardConfig, JwksFuture, system_clock};
use rsa::RsaPrivateKey;
use rsa::pkcs1::EncodeRsaPrivateKey;
use rsa::pkcs8::LineEnding;
use rsa::traits::PublicKeyParts;
use serde_json::{Value, json};

const ISS: &str = "https://acme.eu.auth0.com/";
const AUD: &str = "https://api.orgpass.example/";

struct Fixture {
    token: String,
    jwks: String,
    n: String,
    e: String,
}

fn fixture() -> Fixture {
    let private = RsaPrivateKey::new(&mut rand::rngs::OsRng, 2048).expect("RSA key");
    let public = private.to_public_key();
    let (n, e) = (
        B64.encode(public.n().to_bytes_be()),
        B64.encode(public.e().to_bytes_be()),
    );
    let jwks = json!({"keys": [
        {"kty": "RSA", "use": "sig", "alg": "RS256", "kid": "bench-key", "n": n, "e": e},
    ]})
    .to_string();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let claims = json!({
        "iss": ISS, "sub": "auth0|alice0000000000000000001",
        "aud": [AUD, format!("{ISS}userinfo")], "iat": now, "exp": now + 86_400,
        "scope": "openid profile email offline_access read:projects write:projects",
        "azp": "orgpass-desktop", "org_id": "org_AcmeA1b2C3d4E5f6", "org_name": "acme",
        "jti": "d2f1c0ffee", "permissions": ["read:projects", "write:projects"],
    });
    let mut header = jsonwebtoken::Header::new(Algorithm::RS256);
    header.typ = Some("JWT".into());
    header.kid = Some("bench-key".into());
    let pem = private.to_pkcs1_pem(LineEnding::LF).expect("PEM");
    let key = EncodingKey::from_rsa_pem(pem.as_bytes()).expect("encoding key");
    let token = jsonwebtoken::encode(&header, &claims, &key).expect("token");
    Fixture { token, jwks, n, e }
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

fn main() {
    let f = fixture();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();

    // The guard, its JWKS served from memory (a warm cache: no I/O per token either way).
    let jwks = f.jwks.clone().into_bytes();
    let source = move || -> JwksFuture<'static> {
        let body = jwks.clone();
        Box::pin(async move {
            Ok(Document {
                body,
                max_age: None,
            })
        })
    };
    let guard = Guard::with_source(GuardConfig::new(ISS, AUD).unwrap(), source, system_clock());
    rt.block_on(guard.verify(&f.token))
        .expect("the guard accepts the token");
    let guard_verify = || {
        let claims = rt.block_on(guard.verify(&f.token)).unwrap();
        std::hint::black_box(claims);
    };

    // The floor: one jsonwebtoken decode with the key prepared once.
    let key = DecodingKey::from_rsa_components(&f.n, &f.e).unwrap();
    let mut validation = Validation::new(Algorithm::RS256);
    validation.set_issuer(&[ISS]);
    validation.set_audience(&[AUD]);
    let bare_decode = || {
        let data = jsonwebtoken::decode::<Value>(&f.token, &key, &validation).unwrap();
        std::hint::black_box(data);
    };

    // jwt-authorizer from the same JWKS text, checking iss and aud.
    let authorizer: jwt_authorizer::Authorizer<Value> = rt
        .block_on(
            jwt_authorizer::JwtAuthorizer::<Value>::from_jwks_text(&f.jwks)
                .validation(jwt_authorizer::Validation::new().iss(&[ISS]).aud(&[AUD]))
                .build(),
        )
        .expect("jwt-authorizer builds");
    rt.block_on(authorizer.check_auth(&f.token))
        .expect("jwt-authorizer accepts the token");
    let peer_verify = || {
        let data = rt.block_on(authorizer.check_auth(&f.token)).unwrap();
        std::hint::black_box(data);
    };

    let mut c = Criterion::default()
        .configure_from_args()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
    let mut group = c.benchmark_group("verify_access_token_rs256_warm_jwks");
    group.bench_function("orgpass-guard", |b| b.iter(guard_verify));
    group.bench_function("bare jsonwebtoken::decode", |b| b.iter(bare_decode));
    group.bench_function("jwt-authorizer", |b| b.iter(peer_verify));
    group.finish();
    c.final_summary();

    // Side by side in one run (same token, same machine).
    let n = 3000;
    let ours = time_it(n, guard_verify);
    let floor = time_it(n, bare_decode);
    let peer = time_it(n, peer_verify);
    println!(
        "\n== access token verification (RS256, RSA-2048, Auth0-shaped, warm JWKS), {n} iterations each =="
    );
    println!("orgpass-guard              {ours:>10.0} ns/op");
    println!(
        "bare jsonwebtoken::decode  {floor:>10.0} ns/op   guard/bare = {:.2} (target: at most 1.5)",
        ours / floor
    );
    println!(
        "jwt-authorizer             {peer:>10.0} ns/op   guard/jwt-authorizer = {:.2}",
        ours / peer
    );
}
