//! `cargo bench -p orgpass-guard --bench dpop`: what DPoP costs. Making one proof (the client's side, per request),
//! and the guard's check of one request: a bearer token against a DPoP-bound token with its proof (a fresh proof
//! each time, made outside the timing; the replay store in memory), by a guard that remembers verified tokens
//! (the default: the same token again skips its signature) and by one that verifies every token every time.

use std::time::Duration;

use axum::http::{HeaderMap, HeaderValue, Method, Uri};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use criterion::{BatchSize, Criterion};
use jsonwebtoken::{Algorithm, EncodingKey};
use orgpass_guard::{Document, DpopMode, Guard, GuardConfig, JwksFuture, system_clock};
use orgpass_jose::DpopKey;
use rsa::RsaPrivateKey;
use rsa::pkcs1::EncodeRsaPrivateKey;
use rsa::pkcs8::LineEnding;
use rsa::traits::PublicKeyParts;
use serde_json::json;
use url::Url;

const ISS: &str = "https://acme.eu.auth0.com/";
const AUD: &str = "https://api.orgpass.example/";
const ORIGIN: &str = "https://api.orgpass.example";

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

fn main() {
    let private = RsaPrivateKey::new(&mut rand::rngs::OsRng, 2048).expect("RSA key");
    let public = private.to_public_key();
    let jwks = json!({"keys": [{"kty": "RSA", "use": "sig", "alg": "RS256", "kid": "bench-key",
        "n": B64.encode(public.n().to_bytes_be()), "e": B64.encode(public.e().to_bytes_be())}]})
    .to_string()
    .into_bytes();
    let pem = private.to_pkcs1_pem(LineEnding::LF).expect("PEM");
    let signing = EncodingKey::from_rsa_pem(pem.as_bytes()).expect("encoding key");
    let dpop_key = DpopKey::generate().expect("a P-256 key");
    let t = now();
    let claims = |bound: bool| {
        let mut c = json!({"iss": ISS, "sub": "auth0|alice", "aud": [AUD, format!("{ISS}userinfo")],
            "iat": t, "exp": t + 86_400, "scope": "openid read:projects", "azp": "orgpass-desktop",
            "org_id": "org_AcmeA1b2C3d4E5f6"});
        if bound {
            c["cnf"] = json!({"jkt": dpop_key.thumbprint()});
        }
        let mut header = jsonwebtoken::Header::new(Algorithm::RS256);
        header.kid = Some("bench-key".into());
        header.typ = Some("at+jwt".into());
        jsonwebtoken::encode(&header, &c, &signing).expect("token")
    };
    let (bearer, bound) = (claims(false), claims(true));
    let source = move || -> JwksFuture<'static> {
        let body = jwks.clone();
        Box::pin(async move {
            Ok(Document {
                body,
                max_age: None,
            })
        })
    };
    // Two guards: one remembering verified tokens (the default), one verifying every token every time.
    let guard_remembering = |capacity: usize| {
        let config = GuardConfig::new(ISS, AUD)
            .unwrap()
            .with_dpop(DpopMode::Allowed, ORIGIN)
            .unwrap()
            .with_remembered_tokens(capacity);
        Guard::with_source(config, source.clone(), system_clock())
    };
    let guards = [
        ("token seen before", guard_remembering(10_000)),
        ("every token verified", guard_remembering(0)),
    ];
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let uri: Uri = "/orgs/org_AcmeA1b2C3d4E5f6/projects".parse().unwrap();
    let url = Url::parse(&format!("{ORIGIN}{}", uri.path())).unwrap();
    let headers = |scheme: &str, token: &str, proof: Option<String>| {
        let mut h = HeaderMap::new();
        h.insert(
            "authorization",
            HeaderValue::from_str(&format!("{scheme} {token}")).unwrap(),
        );
        if let Some(p) = proof {
            h.insert("dpop", HeaderValue::from_str(&p).unwrap());
        }
        h
    };
    let proof = || {
        dpop_key
            .proof("GET", &url, now(), None, Some(&bound))
            .unwrap()
    };
    let check = |guard: &Guard, h: &HeaderMap| {
        let (result, _) = rt.block_on(guard.verify_request(&Method::GET, &uri, h));
        result.expect("accepted")
    };
    for (_, guard) in &guards {
        check(guard, &headers("Bearer", &bearer, None));
        check(guard, &headers("DPoP", &bound, Some(proof())));
    }
    assert_eq!(
        (
            guards[0].1.remembered_tokens(),
            guards[1].1.remembered_tokens()
        ),
        (2, 0)
    );

    let mut c = Criterion::default()
        .configure_from_args()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
    c.bench_function("dpop_proof_creation", |b| {
        b.iter(|| std::hint::black_box(proof()))
    });
    let mut group = c.benchmark_group("guard_request");
    let bearer_headers = headers("Bearer", &bearer, None);
    for (how, guard) in &guards {
        group.bench_function(format!("bearer, {how}"), |b| {
            b.iter(|| std::hint::black_box(check(guard, &bearer_headers)))
        });
        group.bench_function(
            format!("dpop (fresh proof, memory replay store), {how}"),
            |b| {
                b.iter_batched(
                    || headers("DPoP", &bound, Some(proof())),
                    |h| std::hint::black_box(check(guard, &h)),
                    BatchSize::SmallInput,
                )
            },
        );
    }
    group.finish();
    c.final_summary();
}
