//! Client grants: which API (audience) an application may get client-credentials tokens for, with which scopes, and
//! whether and for which organizations (Auth0's Machine-to-Machine Access for Organizations). The organizations a
//! grant is associated with are kept on each organization ([`crate::store::Organization::client_grants`]).

use serde::{Deserialize, Serialize};

use crate::store::random_alnum;

/// Whether organizations may be used with client credentials for a grant (Auth0's `organization_usage`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OrgUsage {
    /// No `organization` parameter is taken (what an absent `organization_usage` means).
    Deny,
    /// An `organization` parameter is optional.
    Allow,
    /// An `organization` parameter is required.
    Require,
}

impl OrgUsage {
    /// The spellings the Management API takes.
    pub const VALUES: &'static [&'static str] = &["deny", "allow", "require"];

    pub fn parse(value: &str) -> Option<Self> {
        match value {
            "deny" => Some(Self::Deny),
            "allow" => Some(Self::Allow),
            "require" => Some(Self::Require),
            _ => None,
        }
    }

    /// Whether a grant with this usage may be associated with organizations.
    pub fn takes_organizations(self) -> bool {
        self != Self::Deny
    }
}

/// A client grant as Auth0's `/api/v2/client-grants` shows it. One per client and audience.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ClientGrant {
    /// `cgr_` and 16 letters or digits.
    pub id: String,
    pub client_id: String,
    pub audience: String,
    pub scope: Vec<String>,
    /// Absent: deny (and not shown).
    pub organization_usage: Option<OrgUsage>,
    /// Absent: false (and not shown).
    pub allow_any_organization: Option<bool>,
}

impl ClientGrant {
    /// A fresh grant id, shaped like Auth0's.
    pub fn new_id() -> String {
        format!("cgr_{}", random_alnum(16))
    }

    /// The effective organization usage (absent is deny).
    pub fn usage(&self) -> OrgUsage {
        self.organization_usage.unwrap_or(OrgUsage::Deny)
    }

    /// Whether any organization may be used without an association.
    pub fn any_organization(&self) -> bool {
        self.allow_any_organization.unwrap_or(false)
    }

    /// The Management API's JSON for it: the optional fields only when set, as Auth0 answers.
    pub fn to_json(&self) -> serde_json::Value {
        let mut v = serde_json::json!({
            "id": self.id,
            "client_id": self.client_id,
            "audience": self.audience,
            "scope": self.scope,
        });
        if let Some(u) = self.organization_usage {
            v["organization_usage"] = serde_json::json!(u);
        }
        if let Some(a) = self.allow_any_organization {
            v["allow_any_organization"] = serde_json::json!(a);
        }
        v
    }
}

impl crate::store::Store {
    /// The grant of `client_id` on `audience` (there is at most one).
    pub fn grant_for(&self, client_id: &str, audience: &str) -> Option<&ClientGrant> {
        self.client_grants
            .iter()
            .find(|g| g.client_id == client_id && g.audience == audience)
    }
}

/// Client grants of a state saved before grants had ids: each client's `api_grants` map (audience → scopes) in
/// the saved JSON becomes a grant (organizations denied, as then) unless the client already has one for that API.
/// Nothing the older state granted is lost on load.
pub(crate) fn migrate_api_grants(store: &mut crate::store::Store, saved: &serde_json::Value) {
    let clients = saved["store"]["clients"].as_array().into_iter().flatten();
    for client in clients {
        let (Some(client_id), Some(grants)) = (
            client["client_id"].as_str(),
            client["api_grants"].as_object(),
        ) else {
            continue;
        };
        for (audience, scopes) in grants {
            if store.grant_for(client_id, audience).is_some() {
                continue;
            }
            let scope = scopes
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|s| s.as_str().map(str::to_owned))
                .collect();
            store.client_grants.push(ClientGrant {
                id: ClientGrant::new_id(),
                client_id: client_id.to_owned(),
                audience: audience.clone(),
                scope,
                organization_usage: None,
                allow_any_organization: None,
            });
        }
    }
}

/// A client grant in the seed (`[[client_grants]]`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClientGrantSeed {
    /// A fixed id (`cgr_…`), so demos and tests can name it; a fresh one when absent.
    #[serde(default)]
    pub id: Option<String>,
    pub client_id: String,
    /// An API identifier of the seed's `[[apis]]`.
    pub audience: String,
    #[serde(default)]
    pub scope: Vec<String>,
    #[serde(default)]
    pub organization_usage: Option<OrgUsage>,
    #[serde(default)]
    pub allow_any_organization: Option<bool>,
    /// Organization names or ids the grant is associated with (needs `organization_usage` allow or require).
    #[serde(default)]
    pub organizations: Vec<String>,
}

/// Why the seed's client grants do not fit the rest of the seed, if they do not.
pub(crate) fn check_seed(seed: &crate::Seed) -> Result<(), String> {
    let mut pairs = Vec::new();
    for g in &seed.client_grants {
        let what = format!("client grant of {} on {}", g.client_id, g.audience);
        if !seed.clients.iter().any(|c| c.client_id == g.client_id) {
            return Err(format!("{what} names an unknown client"));
        }
        let Some(api) = seed.apis.iter().find(|a| a.identifier == g.audience) else {
            return Err(format!(
                "{what} names an API that is not in [[apis]] (Management API scopes go in the client's management_api_scopes)"
            ));
        };
        if let Some(s) = g
            .scope
            .iter()
            .find(|s| !api.scopes.is_empty() && !api.scopes.contains(s))
        {
            return Err(format!("{what} grants {s}, which the API does not define"));
        }
        if pairs.contains(&(&g.client_id, &g.audience)) {
            return Err(format!("{what} is declared twice"));
        }
        pairs.push((&g.client_id, &g.audience));
        let usage = g.organization_usage.unwrap_or(OrgUsage::Deny);
        if !g.organizations.is_empty() && !usage.takes_organizations() {
            return Err(format!(
                "{what} lists organizations but its organization_usage is deny; set it to allow or require"
            ));
        }
        for o in &g.organizations {
            if !seed
                .organizations
                .iter()
                .any(|s| &s.name == o || &s.id == o)
            {
                return Err(format!("{what} names unknown organization {o}"));
            }
        }
    }
    Ok(())
}

/// Adds the seed's grants to `store` and associates them with their organizations (the seed was checked).
pub(crate) fn seed_into(store: &mut crate::store::Store, grants: &[ClientGrantSeed]) {
    for g in grants {
        let grant = ClientGrant {
            id: g.id.clone().unwrap_or_else(ClientGrant::new_id),
            client_id: g.client_id.clone(),
            audience: g.audience.clone(),
            scope: g.scope.clone(),
            organization_usage: g.organization_usage,
            allow_any_organization: g.allow_any_organization,
        };
        for org in store
            .organizations
            .iter_mut()
            .filter(|o| g.organizations.iter().any(|n| n == &o.name || n == &o.id))
        {
            org.client_grants.push(grant.id.clone());
        }
        store.client_grants.push(grant);
    }
}

#[cfg(test)]
mod tests {
    use crate::Seed;

    #[test]
    fn the_seeds_grants_must_fit_its_clients_apis_and_organizations() {
        let grant = |extra: &str| {
            format!(
                "{}\n[[client_grants]]\nclient_id = \"orgpass-ingest\"\naudience = \"https://api.orgpass.example/\"\n{extra}\n",
                crate::seed::DEMO_SEED_TOML
                    .split("[[client_grants]]")
                    .next()
                    .unwrap()
            )
        };
        #[rustfmt::skip]
        let rows = [
            (grant("organizations = [\"acme\"]"), "client grant of orgpass-ingest on https://api.orgpass.example/ lists organizations but its organization_usage is deny; set it to allow or require"),
            (grant("organization_usage = \"allow\"\norganizations = [\"nope\"]"), "client grant of orgpass-ingest on https://api.orgpass.example/ names unknown organization nope"),
            (grant("scope = [\"read:invoices\"]"), "client grant of orgpass-ingest on https://api.orgpass.example/ grants read:invoices, which the API does not define"),
            (grant("[[client_grants]]\nclient_id = \"orgpass-ingest\"\naudience = \"https://api.orgpass.example/\""), "client grant of orgpass-ingest on https://api.orgpass.example/ is declared twice"),
            (grant("").replace("client_id = \"orgpass-ingest\"\naudience", "client_id = \"nobody\"\naudience"), "client grant of nobody on https://api.orgpass.example/ names an unknown client"),
            (grant("").replace("audience = \"https://api.orgpass.example/\"\n\n", "audience = \"http://127.0.0.1:4000/api/v2/\"\n\n"), "client grant of orgpass-ingest on http://127.0.0.1:4000/api/v2/ names an API that is not in [[apis]] (Management API scopes go in the client's management_api_scopes)"),
        ];
        for (text, want) in rows {
            assert_eq!(
                Seed::from_toml_str(&text).unwrap_err().to_string(),
                format!("the seed is inconsistent: {want}; fix the seed file")
            );
        }
        let store = crate::store::Store::from_seed(&Seed::demo());
        let acme = store.org_by_name("acme").unwrap();
        assert_eq!(acme.client_grants, [crate::DEMO_INGEST_GRANT_ID]);
        assert!(
            store
                .org_by_name("globex")
                .unwrap()
                .client_grants
                .is_empty()
        );
    }

    /// A state saved before grants had ids (each client's `api_grants` map, no `client_grants` list) keeps its
    /// grants when a newer devtenant opens it; a grant the state already has is not doubled.
    #[test]
    fn a_state_saved_with_api_grants_keeps_them() {
        use crate::store::{STATE_FILE, Tenant};
        let dir = tempfile::tempdir().unwrap();
        let seed = Seed::demo();
        drop(Tenant::open(&seed, Some(dir.path().to_owned())).unwrap());
        let path = dir.path().join(STATE_FILE);
        let mut saved: serde_json::Value =
            serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
        saved["store"]
            .as_object_mut()
            .unwrap()
            .remove("client_grants");
        for client in saved["store"]["clients"].as_array_mut().unwrap() {
            if client["client_id"] == "orgpass-ingest" {
                client["api_grants"] = serde_json::json!({
                    "https://api.orgpass.example/": ["read:projects", "write:projects"],
                    "https://billing.orgpass.example/": ["read:invoices"],
                });
            }
        }
        std::fs::write(&path, serde_json::to_vec(&saved).unwrap()).unwrap();

        let t = Tenant::open(&seed, Some(dir.path().to_owned())).unwrap();
        let mut kept: Vec<(String, Vec<String>, Option<super::OrgUsage>)> = t
            .store
            .client_grants
            .iter()
            .filter(|g| g.client_id == "orgpass-ingest")
            .map(|g| (g.audience.clone(), g.scope.clone(), g.organization_usage))
            .collect();
        kept.sort_by(|a, b| a.0.cmp(&b.0));
        assert_eq!(
            kept,
            [
                (
                    "https://api.orgpass.example/".to_owned(),
                    vec!["read:projects".to_owned(), "write:projects".to_owned()],
                    None
                ),
                (
                    "https://billing.orgpass.example/".to_owned(),
                    vec!["read:invoices".to_owned()],
                    None
                ),
            ]
        );
        let mut once = t.store.clone();
        super::migrate_api_grants(&mut once, &saved);
        assert_eq!(once.client_grants, t.store.client_grants, "not doubled");
    }
}
