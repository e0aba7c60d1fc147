//! DPoP at the token endpoint, as Auth0 does it: the nonce dance for a public client, a code bound by `dpop_jkt`,
//! tokens bound to the proof's key (`cnf.jkt`, `token_type: DPoP`), and a bound refresh token useless without the
//! key. Proofs are made here with aws-lc-rs, not with Orgpass's token core.

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, KeyPair as _};

use super::*;
use crate::authn::dpop::thumbprint;

struct Key(EcdsaKeyPair);

impl Key {
    fn new() -> Self {
        let rng = SystemRandom::new();
        let doc = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng).unwrap();
        Self(EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, doc.as_ref()).unwrap())
    }

    fn jwk(&self) -> Value {
        let p = self.0.public_key().as_ref();
        json!({"kty": "EC", "crv": "P-256", "x": B64.encode(&p[1..33]), "y": B64.encode(&p[33..])})
    }

    fn jkt(&self) -> String {
        thumbprint(&self.jwk())
    }

    fn proof(&self, htu: &str, nonce: Option<&str>, jti: &str) -> String {
        let header = json!({"typ": "dpop+jwt", "alg": "ES256", "jwk": self.jwk()});
        let mut claims = json!({"jti": jti, "htm": "POST", "htu": htu, "iat": crate::now_unix()});
        if let Some(n) = nonce {
            claims["nonce"] = json!(n);
        }
        let input = format!(
            "{}.{}",
            B64.encode(header.to_string()),
            B64.encode(claims.to_string())
        );
        let sig = self.0.sign(&SystemRandom::new(), input.as_bytes()).unwrap();
        format!("{input}.{}", B64.encode(sig.as_ref()))
    }
}

const TOKEN_URL: &str = "http://127.0.0.1:4000/oauth/token";

fn with_proof(mut req: Request<Body>, proof: &str) -> Request<Body> {
    req.headers_mut().insert("dpop", proof.parse().unwrap());
    req
}

fn exchange_req(code: &str) -> Request<Body> {
    form(
        "/oauth/token",
        &[
            ("grant_type", "authorization_code"),
            ("client_id", NATIVE),
            ("code", code),
            ("code_verifier", &pkce().0),
            ("redirect_uri", CALLBACK),
        ],
    )
}

#[tokio::test]
async fn a_public_client_gets_a_nonce_then_bound_tokens_and_its_refresh_token_needs_the_key() {
    let app = app(state());
    let key = Key::new();
    let jkt = key.jkt();
    let r = login(
        &app,
        &[("organization", ACME), ("dpop_jkt", &jkt)],
        "bob@example.com",
        "Bob-pass-1",
    )
    .await;
    let code = r.query("code").unwrap();
    // No nonce yet: Auth0's use_dpop_nonce with the nonce to use (the code is not spent).
    let first = send(
        &app,
        with_proof(exchange_req(&code), &key.proof(TOKEN_URL, None, "j1")),
    )
    .await;
    assert_eq!(first.status, StatusCode::BAD_REQUEST, "{}", first.text());
    assert_eq!(first.json()["error"], "use_dpop_nonce");
    let nonce = first
        .headers
        .get("dpop-nonce")
        .expect("a DPoP-Nonce header")
        .to_str()
        .unwrap()
        .to_owned();
    let ok = send(
        &app,
        with_proof(
            exchange_req(&code),
            &key.proof(TOKEN_URL, Some(&nonce), "j2"),
        ),
    )
    .await;
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.text());
    let body = ok.json();
    assert_eq!(body["token_type"], "DPoP");
    assert_eq!(
        claims(body["access_token"].as_str().unwrap())["cnf"],
        json!({"jkt": jkt})
    );
    let rt = body["refresh_token"].as_str().unwrap().to_owned();

    // The refresh token copied out without the key: refused, and not spent.
    let copied = send(&app, refresh(&rt)).await;
    assert_eq!(
        (copied.status, copied.json()["error"].clone()),
        (StatusCode::BAD_REQUEST, json!("invalid_dpop_proof"))
    );
    let thief = Key::new();
    let stolen = send(
        &app,
        with_proof(refresh(&rt), &thief.proof(TOKEN_URL, Some(&nonce), "j3")),
    )
    .await;
    assert_eq!(
        stolen.json()["error"],
        "invalid_dpop_proof",
        "{}",
        stolen.text()
    );
    // The same proof twice: the second is a replay.
    let p = key.proof(TOKEN_URL, Some(&nonce), "j4");
    let renewed = send(&app, with_proof(refresh(&rt), &p)).await;
    assert_eq!(renewed.status, StatusCode::OK, "{}", renewed.text());
    assert_eq!(renewed.json()["token_type"], "DPoP");
    let rt2 = renewed.json()["refresh_token"].as_str().unwrap().to_owned();
    let replay = send(&app, with_proof(refresh(&rt2), &p)).await;
    assert_eq!(
        replay.json()["error"],
        "invalid_dpop_proof",
        "{}",
        replay.text()
    );
}

#[tokio::test]
async fn a_code_bound_by_dpop_jkt_takes_only_that_key_and_a_bad_proof_is_refused() {
    let app = app(state());
    let key = Key::new();
    let other = Key::new();
    let r = login(
        &app,
        &[("organization", ACME), ("dpop_jkt", &key.jkt())],
        "bob@example.com",
        "Bob-pass-1",
    )
    .await;
    let code = r.query("code").unwrap();
    let nonce = send(
        &app,
        with_proof(exchange_req(&code), &key.proof(TOKEN_URL, None, "k0")),
    )
    .await
    .headers
    .get("dpop-nonce")
    .unwrap()
    .to_str()
    .unwrap()
    .to_owned();
    // Refused at the proof, before the code is looked at (the code stays usable).
    let rows = [
        (
            "another htu",
            key.proof("http://127.0.0.1:4000/other", Some(&nonce), "k2"),
            "invalid_dpop_proof",
        ),
        (
            "a wrong nonce",
            key.proof(TOKEN_URL, Some("n-made-up"), "k3"),
            "use_dpop_nonce",
        ),
        ("not a JWT", "garbage".to_owned(), "invalid_dpop_proof"),
    ];
    for (what, proof, want) in rows {
        let r = send(&app, with_proof(exchange_req(&code), &proof)).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{what}: {}", r.text());
        assert_eq!(r.json()["error"], want, "{what}");
    }
    // No proof at all for a code bound by dpop_jkt: refused (and the code is spent, as any code presented).
    let r = send(&app, exchange_req(&code)).await;
    assert_eq!(r.json()["error"], "invalid_dpop_proof", "{}", r.text());
    // Another key than dpop_jkt named.
    let r = login(
        &app,
        &[("organization", ACME), ("dpop_jkt", &key.jkt())],
        "bob@example.com",
        "Bob-pass-1",
    )
    .await;
    let code = r.query("code").unwrap();
    let r = send(
        &app,
        with_proof(
            exchange_req(&code),
            &other.proof(TOKEN_URL, Some(&nonce), "k1"),
        ),
    )
    .await;
    assert_eq!(r.json()["error"], "invalid_dpop_proof", "{}", r.text());
    // Discovery says what is supported.
    let d = fetch(&app, "/.well-known/openid-configuration")
        .await
        .json();
    assert_eq!(d["dpop_signing_alg_values_supported"], json!(["ES256"]));
}

#[tokio::test]
async fn a_bound_refresh_token_is_revoked_only_with_a_proof_by_its_key() {
    const REVOKE_URL: &str = "http://127.0.0.1:4000/oauth/revoke";
    let app = app(state());
    let key = Key::new();
    let r = login(
        &app,
        &[("organization", ACME)],
        "bob@example.com",
        "Bob-pass-1",
    )
    .await;
    let code = r.query("code").unwrap();
    let first = send(
        &app,
        with_proof(exchange_req(&code), &key.proof(TOKEN_URL, None, "r1")),
    )
    .await;
    let nonce = first.headers["dpop-nonce"].to_str().unwrap().to_owned();
    let ok = send(
        &app,
        with_proof(
            exchange_req(&code),
            &key.proof(TOKEN_URL, Some(&nonce), "r2"),
        ),
    )
    .await;
    let rt = ok.json()["refresh_token"].as_str().unwrap().to_owned();
    let revoke = || form("/oauth/revoke", &[("client_id", NATIVE), ("token", &rt)]);

    // Without a proof, with another key's, or with a proof for the token endpoint: refused, the token still good.
    let thief = Key::new();
    let refusals = [
        ("no proof", revoke()),
        (
            "another key",
            with_proof(revoke(), &thief.proof(REVOKE_URL, Some(&nonce), "r3")),
        ),
        (
            "the token endpoint's htu",
            with_proof(revoke(), &key.proof(TOKEN_URL, Some(&nonce), "r4")),
        ),
    ];
    for (what, request) in refusals {
        let refused = send(&app, request).await;
        assert_eq!(
            (refused.status, refused.json()["error"].clone()),
            (StatusCode::BAD_REQUEST, json!("invalid_dpop_proof")),
            "{what}: {}",
            refused.text()
        );
    }
    // With the key's proof but no nonce: the nonce dance, as at the token endpoint.
    let no_nonce = send(
        &app,
        with_proof(revoke(), &key.proof(REVOKE_URL, None, "r5")),
    )
    .await;
    assert_eq!(
        no_nonce.json()["error"],
        "use_dpop_nonce",
        "{}",
        no_nonce.text()
    );
    let revoked = send(
        &app,
        with_proof(revoke(), &key.proof(REVOKE_URL, Some(&nonce), "r6")),
    )
    .await;
    assert_eq!(revoked.status, StatusCode::OK, "{}", revoked.text());
    let after = send(
        &app,
        with_proof(refresh(&rt), &key.proof(TOKEN_URL, Some(&nonce), "r7")),
    )
    .await;
    assert_eq!(after.json()["error"], "invalid_grant", "{}", after.text());
}
