//! Recent organizations: a small JSON file in the app's data dir (org ID, name, display name, branding, when).
//!
//! It holds no secret and nothing about the person: tokens live only in the keychain (`orgpass::session`).

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::view::Branding;

/// How many organizations the list keeps.
pub const MAX_RECENT: usize = 12;

/// One remembered organization.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecentEntry {
    pub org_id: String,
    pub org_name: Option<String>,
    pub display_name: String,
    #[serde(flatten)]
    pub branding: Branding,
    #[serde(with = "time::serde::rfc3339")]
    pub last_signed_in: OffsetDateTime,
    /// The tenant once found this organization by the person's work email (kept when it is later named directly),
    /// so the picker offers it first. Files written before it existed read as `false`.
    #[serde(default)]
    pub found_by_email: bool,
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct FileShape {
    #[serde(default)]
    organizations: Vec<RecentEntry>,
}

/// The recent-organizations file. A missing or unreadable file is an empty list (it is only a convenience).
#[derive(Debug, Clone)]
pub struct RecentStore {
    path: PathBuf,
}

impl RecentStore {
    pub fn new(path: PathBuf) -> Self {
        Self { path }
    }

    /// `<platform data dir>/orgpass/recent-orgs.json`.
    pub fn default_path() -> Option<PathBuf> {
        std::env::var_os("ORGPASS_DATA_DIR")
            .map(PathBuf::from)
            .or_else(|| dirs::data_dir().map(|d| d.join("orgpass")))
            .map(|d| d.join("recent-orgs.json"))
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Newest first.
    pub fn load(&self) -> Vec<RecentEntry> {
        let Ok(text) = std::fs::read_to_string(&self.path) else {
            return Vec::new();
        };
        match serde_json::from_str::<FileShape>(&text) {
            Ok(f) => f.organizations,
            Err(e) => {
                tracing::warn!(path = %self.path.display(), error = %e, "ignoring unreadable recent-organizations file");
                Vec::new()
            }
        }
    }

    /// Put `entry` first (replacing an older entry for the same org) and save atomically.
    pub fn remember(&self, entry: RecentEntry) -> std::io::Result<Vec<RecentEntry>> {
        let mut list = self.load();
        list.retain(|e| e.org_id != entry.org_id);
        list.insert(0, entry);
        list.truncate(MAX_RECENT);
        self.save(&list)?;
        Ok(list)
    }

    fn save(&self, list: &[RecentEntry]) -> std::io::Result<()> {
        let text = serde_json::to_string_pretty(&FileShape {
            organizations: list.to_vec(),
        })
        .map_err(std::io::Error::other)?;
        // Names and emails of the person's organizations: private to the user, like the session index.
        orgpass::private::write_atomic(&self.path, text.as_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(id: &str, at: i64) -> RecentEntry {
        RecentEntry {
            org_id: id.into(),
            org_name: None,
            display_name: id.to_uppercase(),
            branding: Branding::default(),
            last_signed_in: OffsetDateTime::from_unix_timestamp(at).unwrap(),
            found_by_email: false,
        }
    }

    #[test]
    fn newest_first_deduplicated_and_bounded() {
        let dir = tempfile::tempdir().unwrap();
        let store = RecentStore::new(dir.path().join("sub/recent.json"));
        assert!(store.load().is_empty());
        store.remember(entry("org_a", 1)).unwrap();
        store.remember(entry("org_b", 2)).unwrap();
        let list = store.remember(entry("org_a", 3)).unwrap();
        assert_eq!(
            list.iter().map(|e| e.org_id.as_str()).collect::<Vec<_>>(),
            ["org_a", "org_b"]
        );
        assert_eq!(store.load(), list);
        for i in 0..20 {
            store.remember(entry(&format!("org_{i}"), 10 + i)).unwrap();
        }
        assert_eq!(store.load().len(), MAX_RECENT);
        assert_eq!(store.load()[0].org_id, "org_19");
    }

    #[test]
    fn branding_survives_the_file_and_older_files_still_load() {
        let dir = tempfile::tempdir().unwrap();
        let store = RecentStore::new(dir.path().join("recent.json"));
        let mut e = entry("org_a", 1);
        e.branding.primary_color = Some("#d9480f".into());
        e.branding.logo_url = Some("https://cdn.example/a.svg".into());
        store.remember(e.clone()).unwrap();
        assert_eq!(store.load(), vec![e]);
        // The file before it held `Branding`: snake_case keys, flat.
        std::fs::write(
            store.path(),
            r##"{"organizations": [{"org_id": "org_b", "org_name": null, "display_name": "B",
                "logo_url": null, "primary_color": "#0059d6", "background_color": "#ffffff",
                "last_signed_in": "2026-01-02T03:04:05Z"}]}"##,
        )
        .unwrap();
        let old = store.load();
        assert_eq!(old.len(), 1);
        assert_eq!(
            old[0].branding,
            Branding {
                logo_url: None,
                primary_color: Some("#0059d6".into()),
                background_color: Some("#ffffff".into()),
            }
        );
    }

    #[test]
    fn garbage_file_is_an_empty_list() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("recent.json");
        std::fs::write(&path, "{not json").unwrap();
        assert!(RecentStore::new(path).load().is_empty());
    }
}
