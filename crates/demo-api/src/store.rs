//! The projects, kept per organization (by `org_id`): every read and write names the organization, so there
//! is no call that could return another organization's projects. Seeded for the demo tenant's three
//! organizations.

use std::collections::BTreeMap;

use serde::Serialize;

/// One project, as the API shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Project {
    pub id: String,
    pub name: String,
    /// The `sub` of the user who created it.
    pub owner: String,
}

/// The demo organizations (ids and names as in devtenant's demo seed).
pub const DEMO_ORGS: [(&str, &str); 3] = [
    ("org_AcmeA1b2C3d4E5f6", "acme"),
    ("org_GlobexG7h8I9j0K1", "globex"),
    ("org_InitechL2m3N4o5p", "initech"),
];

/// Projects by organization.
#[derive(Debug, Default)]
pub struct Store {
    by_org: BTreeMap<String, Vec<Project>>,
    next_id: u32,
}

impl Store {
    /// Two projects for acme, one for globex, one for initech, owned by their seeded members.
    pub fn demo() -> Self {
        let mut store = Self::default();
        let [acme, globex, initech] = DEMO_ORGS.map(|(id, _)| id);
        let alice = "auth0|alice0000000000000000001";
        let bob = "auth0|bob00000000000000000000002";
        store.add(acme, "Rocket skates", alice);
        store.add(acme, "Giant magnet", bob);
        store.add(globex, "Hammock district", alice);
        store.add(initech, "TPS report cover sheets", "oidc|initech|peter");
        store
    }

    /// The projects of `org_id` (none for an organization the store has not seen).
    pub fn list(&self, org_id: &str) -> &[Project] {
        self.by_org.get(org_id).map_or(&[], Vec::as_slice)
    }

    /// Adds a project to `org_id` and returns it.
    pub fn add(&mut self, org_id: &str, name: &str, owner: &str) -> Project {
        self.next_id += 1;
        let project = Project {
            id: format!("prj_{:04}", self.next_id),
            name: name.to_owned(),
            owner: owner.to_owned(),
        };
        self.by_org
            .entry(org_id.to_owned())
            .or_default()
            .push(project.clone());
        project
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_organization_has_its_own_projects() {
        let mut s = Store::demo();
        let names = |s: &Store, org| {
            s.list(org)
                .iter()
                .map(|p| p.name.clone())
                .collect::<Vec<_>>()
        };
        assert_eq!(names(&s, DEMO_ORGS[0].0), ["Rocket skates", "Giant magnet"]);
        assert_eq!(names(&s, DEMO_ORGS[1].0), ["Hammock district"]);
        let p = s.add(
            DEMO_ORGS[1].0,
            "Cypress Creek",
            "auth0|alice0000000000000000001",
        );
        assert_eq!(p.id, "prj_0005");
        assert_eq!(
            names(&s, DEMO_ORGS[1].0),
            ["Hammock district", "Cypress Creek"]
        );
        assert_eq!(names(&s, DEMO_ORGS[0].0), ["Rocket skates", "Giant magnet"]);
        assert!(s.list("org_Unknown1").is_empty());
    }
}
