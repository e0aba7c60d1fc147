//! What the plugin runs with: the engine's configuration, the company's directory of organizations, whether the
//! QA view is on, and (for the QA view) where each setting came from. Loading files, environment and flags is the
//! embedding app's business (the Orgpass app layers IT's system file, the user's file, environment and flags).

use serde::Deserialize;

/// One organization of the configured directory (a company ships the list of its orgs).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DirectoryEntry {
    /// `org_…` ID (preferred: names can be renamed).
    pub id: Option<String>,
    /// Organization name (used when no ID is given).
    pub name: Option<String>,
    /// What people call it.
    pub display_name: Option<String>,
    /// Logo (https, or http on loopback for the demo tenant).
    pub logo_url: Option<String>,
    /// `#rrggbb` primary colour.
    pub primary_color: Option<String>,
    /// `#rrggbb` page background colour.
    pub background_color: Option<String>,
}

impl DirectoryEntry {
    /// The value to sign in with: the ID, else the name.
    pub fn input(&self) -> Option<&str> {
        self.id.as_deref().or(self.name.as_deref())
    }

    /// Its branding, as the window shows it (the file keeps the fields flat and strict: a misspelt key is an
    /// error, which serde cannot report through a flattened struct).
    pub fn branding(&self) -> crate::view::Branding {
        crate::view::Branding {
            logo_url: self.logo_url.clone(),
            primary_color: self.primary_color.clone(),
            background_color: self.background_color.clone(),
        }
    }
}

/// The resolved settings of one plugin instance.
#[derive(Debug, Clone)]
pub struct Settings {
    pub engine: orgpass::Config,
    /// The company's organizations, offered in the picker with their branding.
    pub directory: Vec<DirectoryEntry>,
    /// Start with the QA view on.
    pub qa: bool,
    /// IT locked `qa`: the window shows no switch and the view stays as [`Settings::qa`] says.
    pub qa_locked: bool,
    /// Each setting in force as (key, "value — where it came from"), shown in the QA view. No secret is among them.
    pub provenance: Vec<(String, String)>,
}

impl Settings {
    /// Just the engine's configuration: no directory, QA off.
    pub fn new(engine: orgpass::Config) -> Self {
        Self {
            engine,
            directory: Vec::new(),
            qa: false,
            qa_locked: false,
            provenance: Vec::new(),
        }
    }
}
