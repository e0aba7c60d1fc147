//! demo-api: a small company API behind `orgpass-guard`, showing tenant isolation. Each of the demo tenant's
//! organizations has its own projects; a caller only ever sees and changes those of the organization its
//! access token was issued for.
//!
//! Routes: `GET /me` (who is calling, for which organization, with which scopes), `GET /projects` (the
//! caller's organization's projects), `POST /projects` (scope `write:projects`; `{"name": "…"}`),
//! `GET /orgs/{org_id}/projects` (bound to the token's organization: another one's is a 403), `GET /invoices`
//! (scope `read:invoices`: the billing side, served as a second API under its own audience).
//!
//! It is a crate of its own rather than a mode of devtenant because an API belongs to the company, not to the
//! tenant: it trusts the tenant only through the tokens and the published keys, exactly as it would trust
//! Auth0. It depends on `orgpass-guard`, and devtenant, the other party, must stay free of that.

mod error;
pub mod invoices;
pub mod replay;
mod routes;
pub mod store;

use std::sync::{Arc, Mutex, MutexGuard};

use axum::Router;
use axum::handler::Handler;
use axum::routing::get;
use orgpass_guard::{Guard, RequireScope};

pub use error::ApiError;
pub use store::{Project, Store};

/// The API identifier (audience) the demo tenant declares for this API.
pub const DEMO_AUDIENCE: &str = "https://api.orgpass.example/";

/// The scope `POST /projects` needs.
pub const WRITE_SCOPE: &str = "write:projects";

/// The guard and the projects (behind a mutex never held across an `.await`).
#[derive(Clone)]
pub struct AppState {
    guard: Guard,
    store: Arc<Mutex<Store>>,
}

impl AppState {
    /// `store` served behind `guard`.
    pub fn new(guard: Guard, store: Store) -> Self {
        Self {
            guard,
            store: Arc::new(Mutex::new(store)),
        }
    }

    /// The demo organizations' projects behind `guard`.
    pub fn demo(guard: Guard) -> Self {
        Self::new(guard, Store::demo())
    }

    /// Locks the store, recovering from a poisoned lock (a panicking handler must not take the API down).
    pub fn store(&self) -> MutexGuard<'_, Store> {
        self.store.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// The whole HTTP surface, every route behind the guard.
pub fn app(state: AppState) -> Router {
    let guard = state.guard.clone();
    Router::new()
        .route("/me", get(routes::me))
        .route(
            "/projects",
            get(routes::list_projects)
                .post(routes::create_project.layer(RequireScope::new(WRITE_SCOPE))),
        )
        .route("/orgs/{org_id}/projects", get(routes::org_projects))
        .route(
            "/invoices",
            get(routes::list_invoices.layer(RequireScope::new(invoices::READ_INVOICES))),
        )
        .layer(guard.layer())
        .with_state(state)
}
