//! A devtenant on loopback (the demo seed), the demo API guarded for it, and access tokens shaped as
//! devtenant issues them after a sign-in to an organization, signed with the tenant's own key.

use axum::Router;
use axum::body::Body;
use axum::http::Request;
use demo_api::{AppState, DEMO_AUDIENCE};
use devtenant::{Running, Seed, SpawnOptions};
use orgpass_guard::{Guard, GuardConfig};
use serde_json::{Value, json};
use tower::ServiceExt;

pub const ACME: &str = "org_AcmeA1b2C3d4E5f6";
pub const GLOBEX: &str = "org_GlobexG7h8I9j0K1";
pub const ALICE: &str = "auth0|alice0000000000000000001";
pub const READ: &str = "openid profile email offline_access read:projects";
pub const READ_WRITE: &str = "openid profile email offline_access read:projects write:projects";

pub struct World {
    pub tenant: Running,
    pub app: Router,
}

impl World {
    pub async fn new() -> Self {
        let tenant = devtenant::spawn(Seed::demo(), SpawnOptions::default())
            .await
            .expect("devtenant starts");
        let guard =
            Guard::new(GuardConfig::new(tenant.issuer.as_str(), DEMO_AUDIENCE).unwrap()).unwrap();
        let app = demo_api::app(AppState::demo(guard));
        Self { tenant, app }
    }

    /// An access token for the API as devtenant issues it to `user` signed in to `org_id`.
    pub fn token(&self, user: &str, org_id: &str, scope: &str) -> String {
        let issuer = self.tenant.issuer.as_str();
        let t = self.tenant.state.lock();
        let org_name = t.store.org(org_id).map(|o| o.name.clone());
        let now = devtenant::now_unix();
        let claims = json!({
            "iss": issuer,
            "sub": user,
            "aud": [DEMO_AUDIENCE, format!("{issuer}userinfo")],
            "iat": now,
            "exp": now + 86_400,
            "scope": scope,
            "azp": devtenant::DEMO_NATIVE_CLIENT_ID,
            "jti": "test-jti",
            "org_id": org_id,
            "org_name": org_name,
        });
        t.keys.current.sign(&claims)
    }

    /// `method path` with `token` (and a JSON `body`), in-process.
    pub async fn call(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> Reply {
        let mut b = Request::builder().method(method).uri(path);
        if let Some(t) = token {
            b = b.header("authorization", format!("Bearer {t}"));
        }
        let req = match body {
            Some(v) => b
                .header("content-type", "application/json")
                .body(Body::from(v.to_string()))
                .unwrap(),
            None => b.body(Body::empty()).unwrap(),
        };
        let res = self.app.clone().oneshot(req).await.unwrap();
        let status = res.status().as_u16();
        let challenge = res
            .headers()
            .get("www-authenticate")
            .map(|v| v.to_str().unwrap().to_owned());
        let bytes = axum::body::to_bytes(res.into_body(), 1 << 20)
            .await
            .unwrap();
        Reply {
            status,
            challenge,
            body: serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        }
    }
}

pub struct Reply {
    pub status: u16,
    pub challenge: Option<String>,
    pub body: Value,
}

impl Reply {
    /// The project names in a `{"projects": [...]}` body.
    pub fn names(&self) -> Vec<String> {
        self.body["projects"]
            .as_array()
            .map(|ps| {
                ps.iter()
                    .map(|p| p["name"].as_str().unwrap().to_owned())
                    .collect()
            })
            .unwrap_or_default()
    }
}
