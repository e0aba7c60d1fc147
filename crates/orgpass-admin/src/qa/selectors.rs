//! Where a login page shows each thing QA checks: CSS selectors with defaults for Auth0's New Universal Login
//! (devtenant's pages carry the same structure), overridable from a TOML file for a customised page template.

use std::path::Path;

use serde::Deserialize;

use crate::AdminError;

/// CSS selectors of the login page. Defaults use the attributes Auth0 keeps stable (ids, `data-*`, `name`),
/// never its hashed class names, which change with every build of the page.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Selectors {
    /// The logo image (`<img id="prompt-logo-center">`).
    pub logo: String,
    /// The continue button, which carries the primary colour.
    pub primary_button: String,
    /// The element whose background is the page background colour.
    pub background: String,
    /// The header whose text names the organization ("Log in to {organization} to continue to {app}").
    pub header: String,
    /// One element per connection button, carrying the connection's name in `connection_attribute`.
    pub connection: String,
    pub connection_attribute: String,
    /// The username field a database connection shows.
    pub username: String,
    /// The path prefix of the login pages; ending anywhere else (an error page) fails the `page` check.
    pub login_path: String,
}

impl Default for Selectors {
    fn default() -> Self {
        Self {
            logo: "img#prompt-logo-center".into(),
            primary_button:
                r#"button[type="submit"][name="action"][data-action-button-primary="true"]"#.into(),
            background: "body".into(),
            header: "main header".into(),
            connection: r#"form[data-provider] input[name="connection"]"#.into(),
            connection_attribute: "value".into(),
            username: "input#username".into(),
            login_path: "/u/".into(),
        }
    }
}

impl Selectors {
    /// The defaults with the keys of a TOML file (`--selectors FILE`) replacing theirs.
    pub fn load(path: &Path) -> Result<Self, AdminError> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| AdminError::Config(format!("could not read {}: {e}", path.display())))?;
        Self::parse(&text).map_err(|e| {
            AdminError::Config(format!(
                "invalid selectors file {}: {e} (keys: logo, primary_button, background, header, connection, \
                 connection_attribute, username, login_path)",
                path.display()
            ))
        })
    }

    pub fn parse(text: &str) -> Result<Self, String> {
        toml::from_str(text).map_err(|e| e.message().to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_overrides_only_its_keys_and_unknown_keys_are_refused() {
        let s = Selectors::parse("logo = \"img.brand\"\n").unwrap();
        assert_eq!(s.logo, "img.brand");
        assert_eq!(s.username, Selectors::default().username);
        let e = Selectors::parse("logos = \"img\"\n").unwrap_err();
        assert!(e.contains("unknown field `logos`"), "{e}");
    }
}
