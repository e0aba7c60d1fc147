//! Organizations' discovery domains: the email domains by which the login's email step finds an organization,
//! with the DNS TXT challenge that proves one is the organization's.

use serde::{Deserialize, Serialize};

use crate::store::random_alnum;

/// An organization's discovery domain: the email step finds the organization by it only when `status` is
/// `verified` and `use_for_organization_discovery` is on.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct DiscoveryDomain {
    pub id: String,
    /// Lower case.
    pub domain: String,
    /// `pending` or `verified`.
    pub status: String,
    pub use_for_organization_discovery: bool,
    /// The value of the DNS TXT record that proves the domain is the organization's.
    pub verification_txt: String,
    /// Where that record goes.
    pub verification_host: String,
}

impl DiscoveryDomain {
    /// A domain as Auth0 creates it: its own id and TXT challenge.
    pub fn new(domain: &str, status: &str, use_for_organization_discovery: bool) -> Self {
        let domain = domain.to_lowercase();
        Self {
            id: format!("ordd_{}", random_alnum(16)),
            verification_host: format!("_auth0-challenge.{domain}"),
            verification_txt: format!("auth0-domain-verification={}", random_alnum(32)),
            domain,
            status: status.to_owned(),
            use_for_organization_discovery,
        }
    }
    /// Whether the email step may use it.
    pub fn discovers(&self) -> bool {
        self.status == "verified" && self.use_for_organization_discovery
    }
}

/// A domain name as Auth0's discovery-domain schema takes it: dot-separated labels of letters, digits and inner
/// hyphens, 3–255 characters.
pub fn valid_domain(domain: &str) -> bool {
    (3..=255).contains(&domain.len())
        && domain.split('.').all(|label| {
            !label.is_empty()
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-')
                && !label.starts_with('-')
                && !label.ends_with('-')
        })
}
