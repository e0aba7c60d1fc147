//! An API served under several custom domains: each listed issuer's tokens verify with that issuer's own
//! discovery and keys, never another's (the test issuers even publish their keys under the same `kid`), and a
//! token naming an issuer the API does not list is refused without any request to that issuer. Fetches are
//! counted on each test issuer.

use orgpass_guard::{Guard, GuardConfig};
use serde_json::{Value, json};

use crate::app::{ACME, AUDIENCE, Runs, bearer, now, request, router};
use crate::issuer::TestIssuer;
use crate::keys::{TestKey, keys};

/// A person's access token claims for acme, issued by `iss`.
fn claims(iss: &str) -> Value {
    let now = now();
    json!({
        "iss": iss,
        "sub": "auth0|alice0000000000000000001",
        "aud": AUDIENCE,
        "iat": now,
        "exp": now + 3600,
        "scope": "read:projects",
        "org_id": ACME,
    })
}

fn token(iss: &str, key: &TestKey) -> String {
    key.sign(&claims(iss))
}

/// A guard taking the tokens of `issuers` (the first is the main one), its router and its handler count.
struct Api {
    guard: Guard,
    app: axum::Router,
    runs: Runs,
}

impl Api {
    fn new(issuers: &[&TestIssuer]) -> Self {
        let mut config = GuardConfig::new(&issuers[0].issuer, AUDIENCE).unwrap();
        for other in &issuers[1..] {
            config = config.with_issuer(&other.issuer).unwrap();
        }
        let guard = Guard::new(config).unwrap();
        let runs = Runs::default();
        let app = router(&guard, runs.clone());
        Self { guard, app, runs }
    }

    /// `GET /orgs/{acme}/projects` with `token`: the status, the body's `check` and its `error_description`.
    async fn call(&self, token: &str) -> (u16, Value, Value) {
        use tower::ServiceExt;
        let req = request("GET", &format!("/orgs/{ACME}/projects"), &[bearer(token)]);
        let reply = crate::app::Reply::read(self.app.clone().oneshot(req).await.unwrap()).await;
        let body = reply.json();
        (
            reply.status,
            body["check"].clone(),
            body["error_description"].clone(),
        )
    }
}

/// (discovery, JWKS) requests `issuer` has had.
fn hits(issuer: &TestIssuer) -> (usize, usize) {
    (issuer.discovery_hits(), issuer.jwks_hits())
}

const OK: (u16, Value, Value) = (200, Value::Null, Value::Null);

#[tokio::test]
async fn each_issuer_verifies_its_own_tokens_with_its_own_keys() {
    let k = keys();
    // Both publish their key as `tenant-key-1`: only which issuer's keys are used can tell them apart.
    let a = TestIssuer::start(&[&k.tenant]).await;
    let b = TestIssuer::start(&[&k.attacker]).await;
    let api = Api::new(&[&a, &b]);
    let (of_a, of_b) = (token(&a.issuer, &k.tenant), token(&b.issuer, &k.attacker));
    for t in [&of_a, &of_b, &of_a, &of_b] {
        assert_eq!(api.call(t).await, OK);
    }
    assert_eq!(
        (hits(&a), hits(&b)),
        ((1, 1), (1, 1)),
        "each issuer's keys fetched once"
    );
    assert_eq!(api.guard.remembered_tokens(), 2);
    assert_eq!(api.runs.get(), 4);

    // A token naming one issuer, signed with the other's key, under the same kid: refused either way, and
    // remembered tokens change nothing.
    let description = json!("access token refused: the token's signature does not verify");
    for forged in [token(&a.issuer, &k.attacker), token(&b.issuer, &k.tenant)] {
        assert_eq!(
            api.call(&forged).await,
            (401, json!("signature"), description.clone())
        );
    }
    assert_eq!(
        (hits(&a), hits(&b)),
        ((1, 1), (1, 1)),
        "nothing fetched again"
    );
    assert_eq!(api.runs.get(), 4);
}

#[tokio::test]
async fn a_token_of_an_unlisted_issuer_is_refused_without_a_request_to_it() {
    let k = keys();
    let a = TestIssuer::start(&[&k.tenant]).await;
    let b = TestIssuer::start(&[&k.attacker]).await;
    // Another tenant (or anyone's server): a valid token of its own, with a key of its own.
    let c = TestIssuer::start(&[&k.rotated]).await;
    let of_c = token(&c.issuer, &k.rotated);

    let api = Api::new(&[&a, &b]);
    let unlisted = |got: &str| {
        json!(format!(
            "access token refused: iss is {got}, not an issuer this API takes tokens of; get a token of this API's \
             tenant (nothing is fetched from an issuer it does not list)"
        ))
    };
    // acme's claims with `iss` set to `iss` (null: none), signed with a listed issuer's key.
    let with_iss = |iss: Value| {
        let mut c = claims(&a.issuer);
        c["iss"] = iss;
        k.tenant.sign(&c)
    };
    let missing = json!("access token refused: the iss claim is missing or not of the right type");
    // (what, token, the refusal)
    let rows = [
        (
            "another issuer's valid token",
            of_c.clone(),
            unlisted(&c.issuer),
        ),
        (
            "a listed issuer without its trailing slash",
            token(a.issuer.trim_end_matches('/'), &k.tenant),
            unlisted(a.issuer.trim_end_matches('/')),
        ),
        ("no iss", with_iss(Value::Null), missing.clone()),
        ("iss a number", with_iss(json!(7)), missing),
    ];
    for (what, token, description) in rows {
        assert_eq!(
            api.call(&token).await,
            (401, json!("iss"), description),
            "{what}"
        );
    }
    assert_eq!(
        (hits(&a), hits(&b), hits(&c)),
        ((0, 0), (0, 0), (0, 0)),
        "no issuer was asked anything"
    );
    assert_eq!(api.runs.get(), 0);

    // With one issuer the guard never reads `iss` first: the token fails on the listed issuer's keys (no key of
    // its kid there), and still nothing goes to the other issuer.
    let single = Api::new(&[&a]);
    assert_eq!(
        single.call(&of_c).await,
        (
            401,
            json!("kid"),
            json!("access token refused: no key in the issuer's key set for kid tenant-key-2")
        )
    );
    assert_eq!(hits(&c), (0, 0));

    // Listed, the same token is taken, with that issuer's own keys.
    let with_c = Api::new(&[&a, &c]);
    assert_eq!(with_c.call(&of_c).await, OK);
    assert_eq!(hits(&c), (1, 1));
    assert_eq!(with_c.runs.get(), 1);
}
