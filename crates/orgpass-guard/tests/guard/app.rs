//! The guarded test API (each handler counts its runs and echoes what its extractors saw) and a fixture that
//! wires it to a fresh test issuer.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use axum::body::Body;
use axum::extract::State;
use axum::http::{Request, StatusCode};
use axum::routing::{get, post};
use axum::{Json, Router};
use orgpass_guard::{BoundOrg, Claims, Guard, GuardConfig, Org, RequireScope};
use serde_json::{Value, json};
use tower::ServiceExt;

use crate::issuer::TestIssuer;
use crate::keys::keys;

pub const AUDIENCE: &str = "https://api.orgpass.example/";
pub const CLIENT_ID: &str = "orgpass-desktop";
pub const ACME: &str = "org_AcmeA1b2C3d4E5f6";
pub const GLOBEX: &str = "org_GlobexG7h8I9j0K1";

/// How many times a handler body ran.
#[derive(Clone, Default)]
pub struct Runs(Arc<AtomicUsize>);

impl Runs {
    pub fn get(&self) -> usize {
        self.0.load(Ordering::SeqCst)
    }
    fn bump(&self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

pub fn router(guard: &Guard, runs: Runs) -> Router {
    Router::new()
        .route("/me", get(me))
        .route("/org", get(org))
        .route(
            "/projects",
            post(create_project).route_layer(RequireScope::new("write:projects")),
        )
        .route("/orgs/{org_id}/projects", get(org_projects))
        .layer(guard.layer())
        .with_state(runs)
}

async fn me(State(runs): State<Runs>, claims: Claims) -> Json<Value> {
    runs.bump();
    Json(json!({
        "sub": claims.sub(),
        "machine": claims.machine_client_id(),
        "org_id": claims.org_id(),
        "org_name": claims.org_name(),
        "scopes": claims.scopes(),
        "permissions": claims.permissions(),
        "azp": claims.azp(),
        "exp": claims.exp(),
        "jti": claims.get("jti"),
    }))
}

async fn org(State(runs): State<Runs>, org: Org) -> Json<Value> {
    runs.bump();
    Json(json!({"id": org.id, "name": org.name}))
}

async fn create_project(State(runs): State<Runs>, org: Org) -> (StatusCode, Json<Value>) {
    runs.bump();
    (StatusCode::CREATED, Json(json!({"org": org.id})))
}

async fn org_projects(State(runs): State<Runs>, BoundOrg(org): BoundOrg) -> Json<Value> {
    runs.bump();
    Json(json!({"org": org.id}))
}

pub fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// A fresh issuer publishing the tenant key, a guard for it, and the router.
pub struct Fixture {
    pub issuer: TestIssuer,
    pub guard: Guard,
    pub app: Router,
    pub runs: Runs,
}

impl Fixture {
    pub async fn new() -> Self {
        let issuer = TestIssuer::start(&[&keys().tenant]).await;
        let guard = Guard::new(GuardConfig::new(&issuer.issuer, AUDIENCE).unwrap()).unwrap();
        let runs = Runs::default();
        let app = router(&guard, runs.clone());
        Self {
            issuer,
            guard,
            app,
            runs,
        }
    }

    /// An access token's claims as Auth0 issues them for the API, for acme.
    pub fn claims(&self) -> Value {
        let now = now();
        json!({
            "iss": self.issuer.issuer,
            "sub": "auth0|alice0000000000000000001",
            "aud": [AUDIENCE, format!("{}userinfo", self.issuer.issuer)],
            "iat": now,
            "exp": now + 3600,
            "scope": "openid profile email read:projects write:projects",
            "azp": CLIENT_ID,
            "org_id": ACME,
            "org_name": "acme",
            "jti": "jti-1",
        })
    }

    /// `claims()` with `change` applied.
    pub fn claims_with(&self, change: impl FnOnce(&mut serde_json::Map<String, Value>)) -> Value {
        let mut c = self.claims();
        change(c.as_object_mut().unwrap());
        c
    }

    /// A valid token of the tenant key.
    pub fn token(&self) -> String {
        keys().tenant.sign(&self.claims())
    }

    /// Sends `req` to the router in-process.
    pub async fn send(&self, req: Request<Body>) -> Reply {
        let res = self.app.clone().oneshot(req).await.unwrap();
        Reply::read(res).await
    }
}

/// A response, read whole.
pub struct Reply {
    pub status: u16,
    pub www_authenticate: Option<String>,
    pub headers: String,
    pub body: String,
}

impl Reply {
    pub async fn read(res: axum::response::Response) -> Self {
        let status = res.status().as_u16();
        let www_authenticate = res
            .headers()
            .get("www-authenticate")
            .map(|v| v.to_str().unwrap().to_owned());
        let headers = format!("{:?}", res.headers());
        let body = axum::body::to_bytes(res.into_body(), 1 << 20)
            .await
            .unwrap();
        Self {
            status,
            www_authenticate,
            headers,
            body: String::from_utf8(body.to_vec()).unwrap(),
        }
    }

    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or(Value::Null)
    }

    /// The value of the challenge's `name="…"` attribute.
    pub fn attr(&self, name: &str) -> Option<String> {
        let h = self.www_authenticate.as_deref()?;
        let start = h.find(&format!("{name}=\""))? + name.len() + 2;
        let len = h[start..].find('"')?;
        Some(h[start..start + len].to_owned())
    }
}

/// A request to `path` with these `Authorization` header values (and a JSON body for POST).
pub fn request(method: &str, path: &str, authorization: &[String]) -> Request<Body> {
    let mut b = Request::builder().method(method).uri(path);
    for v in authorization {
        b = b.header("authorization", v);
    }
    if method == "POST" {
        b.header("content-type", "application/json")
            .body(Body::from(r#"{"name":"x"}"#))
            .unwrap()
    } else {
        b.body(Body::empty()).unwrap()
    }
}

/// `Bearer <token>`.
pub fn bearer(token: &str) -> String {
    format!("Bearer {token}")
}
