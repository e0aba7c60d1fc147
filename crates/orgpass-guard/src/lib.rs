//! orgpass-guard: the company API's half of Orgpass. It verifies the Auth0 access token of every request (a
//! tower layer) and hands handlers the caller's verified claims and organization (axum extractors), so that one
//! organization never sees another's data.
//!
//! ```no_run
//! use axum::{Router, handler::Handler, routing::get};
//! use orgpass_guard::{BoundOrg, Claims, Guard, GuardConfig, Org, RequireScope};
//!
//! async fn projects(org: Org) -> String { format!("projects of {}", org.id) }
//! async fn create(claims: Claims) -> String { format!("created by {}", claims.sub()) }
//! async fn org_projects(BoundOrg(org): BoundOrg) -> String { org.id }
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let config = GuardConfig::new("https://acme.eu.auth0.com/", "https://api.orgpass.example/")?;
//! let guard = Guard::new(config)?;
//! let app: Router = Router::new()
//!     .route("/projects", get(projects).post(create.layer(RequireScope::new("write:projects"))))
//!     .route("/orgs/{org_id}/projects", get(org_projects))
//!     .layer(guard.layer());
//! # Ok(()) }
//! ```
//!
//! What is checked (RFC 9068, RFC 6750, Auth0 Organizations): the token comes in `Authorization: Bearer` only;
//! the algorithm is RS256 whatever the header says and the key is the issuer's, by `kid`, from our JWKS cache;
//! `iss` equals the issuer exactly (or, for an API served under several custom domains, one of the issuers it
//! lists with [`GuardConfig::with_issuer`], each with its own discovery and keys; a token naming another is refused
//! before anything is fetched); `aud` contains the API identifier (so an ID token, whose `aud` is the client id,
//! is refused); `exp`, `nbf`, `iat` within a small leeway; `typ`, when present, `at+jwt` or `JWT`; `org_id`
//! present and well-formed. A token an application got with client credentials for an organization (`gty`
//! `client-credentials`) passes the same checks, and [`Claims::caller`] says so, unless the API serves people only
//! ([`GuardConfig::with_people_only`]). Refusals are listed in [`refusal`].
//!
//! The checks themselves are the token core's access-token profile ([`AccessProfile`], in `orgpass-jose`), and so
//! is the JWKS cache: the engine verifies with the same core.
//!
//! It never depends on the `orgpass` client crate or on Tauri: it is the other party.

mod bearer;
pub mod claims;
pub mod config;
pub mod dpop;
pub mod error;
pub mod extract;
pub mod guard;
pub mod http;
pub mod jwks;
pub mod layer;
pub mod refusal;
pub mod scope;

pub use claims::{Caller, Claims, Org};
pub use config::{ConfigError, DpopMode, GuardConfig, Issuer};
pub use dpop::{MemoryReplay, ReplayStore};
pub use error::{GuardError, JwksError};
pub use extract::BoundOrg;
pub use guard::{Clock, Guard, system_clock};
pub use http::Document;
pub use jwks::{JwksFuture, JwksSource, KeySet};
pub use layer::{GuardLayer, GuardService};
/// The access-token profile the guard decides with, from the token core (the app's QA view shows the same verdict).
pub use orgpass_jose::{AccessError, AccessProfile};
pub use scope::{RequireScope, RequireScopeService};
