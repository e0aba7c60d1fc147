//! DPoP at the API: a bound token with its proof passes every extractor; each way a proof or its binding can be
//! wrong is refused with the exact `WWW-Authenticate: DPoP` challenge; a replayed proof is refused; a bound token
//! sent as Bearer is refused; an API that requires DPoP refuses bearer tokens.

use axum::body::Body;
use axum::http::Request;
use orgpass_guard::{DpopMode, Guard, GuardConfig};
use orgpass_jose::DpopKey;
use serde_json::json;
use url::Url;

use crate::app::{AUDIENCE, Fixture, Runs, now, router};
use crate::keys::keys;

const EXTERNAL: &str = "https://api.orgpass.example";

/// The fixture's issuer, a guard taking DPoP as `mode` says, and its router.
async fn fixture(mode: DpopMode) -> Fixture {
    let mut f = Fixture::new().await;
    let config = GuardConfig::new(&f.issuer.issuer, AUDIENCE)
        .unwrap()
        .with_dpop(mode, EXTERNAL)
        .unwrap();
    f.guard = Guard::new(config).unwrap();
    f.runs = Runs::default();
    f.app = router(&f.guard, f.runs.clone());
    f
}

/// An access token bound to `key`.
fn bound_token(f: &Fixture, key: &DpopKey) -> String {
    keys().tenant.sign(&f.claims_with(|c| {
        c.insert("cnf".into(), json!({"jkt": key.thumbprint()}));
    }))
}

fn dpop_request(
    method: &str,
    path: &str,
    scheme_and_token: &str,
    proofs: &[&str],
) -> Request<Body> {
    let mut b = Request::builder()
        .method(method)
        .uri(path)
        .header("authorization", scheme_and_token);
    for p in proofs {
        b = b.header("dpop", *p);
    }
    b.body(Body::empty()).unwrap()
}

fn url(path: &str) -> Url {
    Url::parse(&format!("{EXTERNAL}{path}")).unwrap()
}

#[tokio::test]
async fn a_bound_token_with_its_proof_passes_and_each_wrong_proof_is_refused_by_its_check() {
    let f = fixture(DpopMode::Allowed).await;
    let key = DpopKey::generate().unwrap();
    let other = DpopKey::generate().unwrap();
    let token = bound_token(&f, &key);
    let path = "/orgs/org_AcmeA1b2C3d4E5f6/projects";
    let t = now();
    let proof = |k: &DpopKey, method: &str, p: &str, iat: i64, tok: Option<&str>| {
        k.proof(method, &url(p), iat, None, tok).unwrap()
    };
    let dpop = format!("DPoP {token}");

    let good = proof(&key, "GET", path, t, Some(&token));
    let r = f.send(dpop_request("GET", path, &dpop, &[&good])).await;
    assert_eq!(
        (r.status, r.body.as_str()),
        (200, r#"{"org":"org_AcmeA1b2C3d4E5f6"}"#)
    );
    // The same proof again: replayed.
    let r = f.send(dpop_request("GET", path, &dpop, &[&good])).await;
    assert_eq!(r.status, 401, "{}", r.body);
    assert_eq!(
        r.www_authenticate.as_deref(),
        Some(
            "DPoP realm=\"https://api.orgpass.example/\", error=\"invalid_dpop_proof\", error_description=\"DPoP \
             proof refused: it was used before; make a new proof for each request\", algs=\"ES256\""
        )
    );
    assert_eq!(r.json()["check"], "dpop");

    // (what, Authorization, DPoP headers, the check named in the body, the challenge's error)
    let bearer_bound = format!("Bearer {token}");
    let plain = keys().tenant.sign(&f.claims());
    type Row<'a> = (&'a str, String, Vec<String>, &'a str, Option<&'a str>);
    let rows: Vec<Row<'_>> = vec![
        (
            "no proof",
            dpop.clone(),
            vec![],
            "dpop",
            Some("invalid_dpop_proof"),
        ),
        (
            "two proofs",
            dpop.clone(),
            vec![
                proof(&key, "GET", path, t, Some(&token)),
                proof(&key, "GET", path, t, Some(&token)),
            ],
            "dpop",
            Some("invalid_dpop_proof"),
        ),
        (
            "a proof for POST",
            dpop.clone(),
            vec![proof(&key, "POST", path, t, Some(&token))],
            "dpop",
            Some("invalid_dpop_proof"),
        ),
        (
            "a proof for another path",
            dpop.clone(),
            vec![proof(&key, "GET", "/me", t, Some(&token))],
            "dpop",
            Some("invalid_dpop_proof"),
        ),
        (
            "a proof for another host",
            dpop.clone(),
            vec![
                key.proof(
                    "GET",
                    &Url::parse(&format!("https://evil.example{path}")).unwrap(),
                    t,
                    None,
                    Some(&token),
                )
                .unwrap(),
            ],
            "dpop",
            Some("invalid_dpop_proof"),
        ),
        (
            "a proof two minutes old",
            dpop.clone(),
            vec![proof(&key, "GET", path, t - 120, Some(&token))],
            "dpop",
            Some("invalid_dpop_proof"),
        ),
        (
            "a proof without ath",
            dpop.clone(),
            vec![proof(&key, "GET", path, t, None)],
            "dpop",
            Some("invalid_dpop_proof"),
        ),
        (
            "a proof for another token",
            dpop.clone(),
            vec![proof(&key, "GET", path, t, Some("another-token"))],
            "dpop",
            Some("invalid_dpop_proof"),
        ),
        (
            "a proof by another key",
            dpop.clone(),
            vec![proof(&other, "GET", path, t, Some(&token))],
            "cnf",
            Some("invalid_token"),
        ),
        (
            "an unbound token with a proof",
            format!("DPoP {plain}"),
            vec![proof(&key, "GET", path, t, Some(&plain))],
            "cnf",
            Some("invalid_token"),
        ),
        (
            "the bound token as Bearer",
            bearer_bound.clone(),
            vec![],
            "cnf",
            Some("invalid_token"),
        ),
        // A proof with the Bearer scheme is refused as a proof, whatever the token.
        (
            "the bound token as Bearer with its proof",
            bearer_bound,
            vec![proof(&key, "GET", path, t, Some(&token))],
            "dpop",
            Some("invalid_dpop_proof"),
        ),
        (
            "an unbound token as Bearer with a proof",
            format!("Bearer {plain}"),
            vec![proof(&key, "GET", path, t, Some(&plain))],
            "dpop",
            Some("invalid_dpop_proof"),
        ),
    ];
    for (what, authorization, proofs, check, error) in rows {
        let proofs: Vec<&str> = proofs.iter().map(String::as_str).collect();
        let r = f
            .send(dpop_request("GET", path, &authorization, &proofs))
            .await;
        assert_eq!(r.status, 401, "{what}: {}", r.body);
        assert_eq!(r.json()["check"], check, "{what}: {}", r.body);
        assert_eq!(
            r.attr("error").as_deref(),
            error,
            "{what}: {:?}",
            r.www_authenticate
        );
        let scheme = if authorization.starts_with("DPoP") || !proofs.is_empty() {
            "DPoP "
        } else {
            "Bearer "
        };
        assert!(
            r.www_authenticate
                .as_deref()
                .is_some_and(|h| h.starts_with(scheme)),
            "{what}: {:?}",
            r.www_authenticate
        );
        if scheme == "DPoP " {
            assert_eq!(r.attr("algs").as_deref(), Some("ES256"), "{what}");
        }
    }
    assert_eq!(f.runs.get(), 1, "no handler ran for a refused request");
    // A plain bearer token still works where DPoP is only allowed.
    let r = f
        .send(dpop_request("GET", "/org", &format!("Bearer {plain}"), &[]))
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
}

#[tokio::test]
async fn an_api_that_requires_dpop_refuses_bearer_tokens_and_an_api_without_it_ignores_the_scheme()
{
    let f = fixture(DpopMode::Required).await;
    let plain = keys().tenant.sign(&f.claims());
    let r = f
        .send(dpop_request("GET", "/org", &format!("Bearer {plain}"), &[]))
        .await;
    assert_eq!(r.status, 401);
    assert_eq!(
        r.www_authenticate.as_deref(),
        Some("DPoP realm=\"https://api.orgpass.example/\", algs=\"ES256\"")
    );
    assert_eq!(r.json()["check"], "dpop_required");
    let key = DpopKey::generate().unwrap();
    let token = bound_token(&f, &key);
    let p = key
        .proof("GET", &url("/org"), now(), None, Some(&token))
        .unwrap();
    let r = f
        .send(dpop_request("GET", "/org", &format!("dpop {token}"), &[&p]))
        .await;
    assert_eq!(r.status, 200, "{}", r.body);

    // DPoP off (the default): the DPoP scheme is no token at all, as any other scheme.
    let f = Fixture::new().await;
    let r = f
        .send(dpop_request("GET", "/org", &format!("DPoP {token}"), &[&p]))
        .await;
    assert_eq!(r.status, 401);
    assert_eq!(r.json()["check"], "header");
    assert_eq!(
        r.www_authenticate.as_deref(),
        Some("Bearer realm=\"https://api.orgpass.example/\"")
    );
}
