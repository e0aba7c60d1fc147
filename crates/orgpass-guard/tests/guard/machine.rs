//! Machine-to-machine tokens for an organization (Auth0's client credentials with a client grant for the
//! organization: `gty` `client-credentials`, `sub` `<client_id>@clients`, `azp`, `org_id`): taken under the same
//! organization rule as a person's and shown to handlers as a machine, or refused where the API serves people
//! only, while a person's token is still taken. Each row asserts the exact outcome.

use orgpass_guard::{Guard, GuardConfig};
use serde_json::{Value, json};

use crate::app::{ACME, AUDIENCE, Fixture, GLOBEX, Runs, bearer, now, request, router};
use crate::keys::keys;

const APP: &str = "m2mIngestA1b2C3d4E5f6G7h8I9j0K1l";

/// An application's token for `org`, as Auth0 issues it to the fixture's issuer, with `change` applied.
fn machine_token(
    fx: &Fixture,
    org: &str,
    change: impl FnOnce(&mut serde_json::Map<String, Value>),
) -> String {
    let now = now();
    let mut claims = json!({
        "iss": fx.issuer.issuer,
        "sub": format!("{APP}@clients"),
        "aud": AUDIENCE,
        "iat": now,
        "exp": now + 86_400,
        "scope": "read:projects write:projects",
        "gty": "client-credentials",
        "azp": APP,
        "org_id": org,
    });
    change(claims.as_object_mut().unwrap());
    keys().tenant.sign(&claims)
}

/// The fixture with a guard that serves people only.
async fn people_only() -> Fixture {
    let mut fx = Fixture::new().await;
    let config = GuardConfig::new(&fx.issuer.issuer, AUDIENCE)
        .unwrap()
        .with_people_only(true);
    fx.guard = Guard::new(config).unwrap();
    fx.runs = Runs::default();
    fx.app = router(&fx.guard, fx.runs.clone());
    fx
}

/// (status, challenge `error`, body `check`, body `error_description`) of a refusal.
type Refusal = (u16, Option<String>, Value, Value);

async fn refusal(fx: &Fixture, path: &str, token: &str) -> Refusal {
    let reply = fx.send(request("GET", path, &[bearer(token)])).await;
    let body = reply.json();
    (
        reply.status,
        reply.attr("error"),
        body["check"].clone(),
        body["error_description"].clone(),
    )
}

#[tokio::test]
async fn an_applications_token_is_taken_for_its_organization_only() {
    let fx = Fixture::new().await;
    let token = machine_token(&fx, ACME, |_| {});

    let reply = fx
        .send(request(
            "GET",
            &format!("/orgs/{ACME}/projects"),
            &[bearer(&token)],
        ))
        .await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(reply.json(), json!({"org": ACME}));

    let reply = fx.send(request("GET", "/me", &[bearer(&token)])).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    let me = reply.json();
    assert_eq!(
        (&me["sub"], &me["machine"], &me["org_id"], &me["azp"]),
        (
            &json!(format!("{APP}@clients")),
            &json!(APP),
            &json!(ACME),
            &json!(APP)
        )
    );

    // Another organization's route: the same 403 as a person's, with the application's next step.
    let got = refusal(&fx, &format!("/orgs/{GLOBEX}/projects"), &token).await;
    assert_eq!(
        got,
        (
            403,
            Some("insufficient_scope".to_owned()),
            json!("org_mismatch"),
            json!(format!(
                "this token is for organization {ACME}, but the request is for organization {GLOBEX}; request the \
                 application's token for that organization (client credentials with organization={GLOBEX})"
            )),
        )
    );
    assert_eq!(
        fx.runs.get(),
        2,
        "the handler never ran for another organization"
    );
}

#[tokio::test]
async fn an_applications_token_meets_the_same_organization_rule() {
    let fx = Fixture::new().await;
    // (what, token, the check that refuses it)
    let rows = [
        (
            "no org_id: a grant not associated with an organization",
            machine_token(&fx, ACME, |c| drop(c.remove("org_id"))),
            "org_id",
        ),
        (
            "org_id not an organization ID",
            machine_token(&fx, "acme", |_| {}),
            "org_id",
        ),
        (
            "azp names another client than sub",
            machine_token(&fx, ACME, |c| {
                drop(c.insert("azp".into(), json!("otherApp")))
            }),
            "azp",
        ),
        (
            "client_id names another client than sub",
            machine_token(&fx, ACME, |c| {
                drop(c.insert("client_id".into(), json!("otherApp")))
            }),
            "client_id",
        ),
        (
            "client credentials for a user's sub",
            machine_token(&fx, ACME, |c| {
                c.insert("sub".into(), json!("auth0|alice0000000000000000001"));
            }),
            "sub",
        ),
        (
            "an application's sub without client credentials",
            machine_token(&fx, ACME, |c| drop(c.remove("gty"))),
            "gty",
        ),
    ];
    for (what, token, check) in rows {
        let (status, error, got, _) = refusal(&fx, &format!("/orgs/{ACME}/projects"), &token).await;
        assert_eq!(
            (status, error.as_deref(), got),
            (401, Some("invalid_token"), json!(check)),
            "{what}"
        );
    }
    assert_eq!(fx.runs.get(), 0);
}

#[tokio::test]
async fn an_api_that_serves_people_only_refuses_applications() {
    let fx = people_only().await;
    let token = machine_token(&fx, ACME, |_| {});
    let description = format!(
        "access token refused: the application {APP} calls with client credentials, and this API serves people \
         only; send the access token of a person signed in to the organization"
    );
    for path in ["/me".to_owned(), format!("/orgs/{ACME}/projects")] {
        let reply = fx.send(request("GET", &path, &[bearer(&token)])).await;
        assert_eq!(reply.status, 401, "{path}");
        assert_eq!(
            reply.www_authenticate.as_deref(),
            Some(
                format!(
                    "Bearer realm=\"{AUDIENCE}\", error=\"invalid_token\", error_description=\"{description}\""
                )
                .as_str()
            ),
            "{path}"
        );
        assert_eq!(
            reply.json(),
            json!({"error": "invalid_token", "error_description": description, "check": "people_only"}),
            "{path}"
        );
    }
    assert_eq!(fx.runs.get(), 0);

    // A person's token is still taken, and handlers see a person.
    let reply = fx
        .send(request(
            "GET",
            &format!("/orgs/{ACME}/projects"),
            &[bearer(&fx.token())],
        ))
        .await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    let reply = fx.send(request("GET", "/me", &[bearer(&fx.token())])).await;
    assert_eq!(reply.json()["machine"], Value::Null);
    assert_eq!(fx.runs.get(), 2);
}

#[tokio::test]
async fn a_persons_token_is_still_taken_beside_applications() {
    let fx = Fixture::new().await;
    let person = fx.token();
    let app = machine_token(&fx, ACME, |_| {});
    for token in [&person, &app, &person] {
        let reply = fx
            .send(request(
                "GET",
                &format!("/orgs/{ACME}/projects"),
                &[bearer(token)],
            ))
            .await;
        assert_eq!(reply.status, 200, "{}", reply.body);
    }
    let reply = fx.send(request("GET", "/me", &[bearer(&person)])).await;
    assert_eq!(
        (reply.json()["sub"].clone(), reply.json()["machine"].clone()),
        (json!("auth0|alice0000000000000000001"), Value::Null)
    );
    // A person with Auth0's grant types for a person (`gty` as a list) is a person too.
    let password = keys().tenant.sign(&fx.claims_with(|c| {
        c.insert("gty".into(), json!(["refresh_token", "password"]));
    }));
    let reply = fx.send(request("GET", "/me", &[bearer(&password)])).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(reply.json()["machine"], Value::Null);
    assert_eq!(fx.runs.get(), 5);
}
