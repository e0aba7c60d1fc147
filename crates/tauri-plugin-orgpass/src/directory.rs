//! The company directory as the plugin holds it: the configured entries turned into picker cards once, with an
//! index by ID and by name, so that naming an organization (every session shown, every validation) is a lookup and
//! not a scan of thousands of entries. The window fetches the cards once (`directory` command); the state it is
//! pushed on every change carries only their count.

use std::collections::HashMap;

use crate::settings::DirectoryEntry;
use crate::view::OrgCard;

/// The directory's cards in configured order, and where each ID and (lower-cased) name is among them.
#[derive(Debug, Default)]
pub struct Directory {
    cards: Vec<OrgCard>,
    by_id: HashMap<String, usize>,
    by_name: HashMap<String, usize>,
}

impl Directory {
    /// Cards for the entries that name an organization (an entry with neither ID nor name is refused when the
    /// configuration is loaded). The first entry wins when two share an ID or a name.
    pub fn new(entries: &[DirectoryEntry]) -> Self {
        let mut d = Directory::default();
        for e in entries {
            let Some(input) = e.input() else { continue };
            let at = d.cards.len();
            if let Some(id) = &e.id {
                d.by_id.entry(id.clone()).or_insert(at);
            }
            if let Some(name) = &e.name {
                d.by_name.entry(name.to_lowercase()).or_insert(at);
            }
            d.cards.push(OrgCard {
                input: input.to_owned(),
                id: e.id.clone(),
                name: e.name.clone(),
                display_name: e
                    .display_name
                    .clone()
                    .or_else(|| e.name.clone())
                    .or_else(|| e.id.clone())
                    .unwrap_or_default(),
                branding: e.branding(),
            });
        }
        d
    }

    /// Every card, in configured order.
    pub fn cards(&self) -> &[OrgCard] {
        &self.cards
    }

    pub fn len(&self) -> usize {
        self.cards.len()
    }

    pub fn is_empty(&self) -> bool {
        self.cards.is_empty()
    }

    /// The entry for an organization ID, else for a name (names are case-insensitive in Auth0).
    pub fn find(&self, id: Option<&str>, name: Option<&str>) -> Option<&OrgCard> {
        id.and_then(|id| self.by_id.get(id))
            .or_else(|| name.and_then(|n| self.by_name.get(&n.to_lowercase())))
            .map(|&i| &self.cards[i])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(id: Option<&str>, name: Option<&str>, display: Option<&str>) -> DirectoryEntry {
        DirectoryEntry {
            id: id.map(Into::into),
            name: name.map(Into::into),
            display_name: display.map(Into::into),
            ..DirectoryEntry::default()
        }
    }

    #[test]
    fn finds_by_id_then_by_name_case_insensitively_first_entry_winning() {
        let d = Directory::new(&[
            entry(Some("org_A"), Some("Acme"), Some("Acme Corporation")),
            entry(None, Some("globex"), None),
            entry(Some("org_A"), Some("acme-copy"), Some("Duplicate")),
            entry(None, None, Some("Neither")),
        ]);
        assert_eq!(d.len(), 3, "the entry naming no organization has no card");
        let name =
            |id: Option<&str>, n: Option<&str>| d.find(id, n).map(|c| c.display_name.clone());
        assert_eq!(name(Some("org_A"), None), Some("Acme Corporation".into()));
        assert_eq!(name(None, Some("ACME")), Some("Acme Corporation".into()));
        assert_eq!(name(None, Some("globex")), Some("globex".into()));
        assert_eq!(name(Some("org_B"), Some("globex")), Some("globex".into()));
        assert_eq!(name(Some("org_B"), Some("initech")), None);
        assert_eq!(d.cards()[1].input, "globex");
        assert_eq!(d.cards()[2].input, "org_A");
    }
}
