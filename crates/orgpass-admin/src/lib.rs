//! A typed Auth0 Management API client for organizations (credentials, rate limits, retries, paging) and the
//! desired-state engine behind `orgpass-admin apply`, and the login-branding audit behind
//! `orgpass-admin qa branding`.

pub mod api;
pub mod apply;
pub mod error;
pub mod http;
pub mod keychain;
pub mod model;
pub mod qa;
pub mod secret;
pub mod tenant;
pub mod token;
pub mod validate;

pub use error::AdminError;
pub use http::{ManagementClient, RetryPolicy, StatsSnapshot};
pub use secret::{AccessToken, Secret};
pub use tenant::{Tenant, TenantError};
pub use validate::ValidationError;
