//! The environment layer of the settings: `ORGPASS_*` variables read into a [`ConfigFile`], the layer between the
//! settings files and the command line's flags. The lists of tables (`apis`, `portals`) have no variable.

use crate::config::{ConfigError, ConfigFile};

/// The environment layer: `ORGPASS_ISSUER`, `ORGPASS_CLIENT_ID`, `ORGPASS_AUDIENCE`, `ORGPASS_SCOPE`,
/// `ORGPASS_PORTS`, `ORGPASS_TIMEOUT`, `ORGPASS_LEEWAY`, `ORGPASS_REQUIRE_ORGANIZATION`, `ORGPASS_DPOP`, `ORGPASS_BROWSER`,
/// `ORGPASS_API_URL`, `ORGPASS_CA_FILE`, `ORGPASS_ALLOWED_ORGANIZATIONS` (comma-separated IDs).
#[derive(Debug, Clone, Default)]
pub struct Env(pub ConfigFile);

impl Env {
    /// Read from the process environment.
    pub fn from_process() -> Result<Self, ConfigError> {
        Self::from_lookup(|k| std::env::var(k).ok())
    }

    /// Read through a lookup function (tests pass a map).
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let secs = |name: &'static str| -> Result<Option<u64>, ConfigError> {
            get(name)
                .map(|v| {
                    v.trim()
                        .parse::<u64>()
                        .map_err(|_| ConfigError::BadSeconds {
                            name,
                            value: v.clone(),
                        })
                })
                .transpose()
        };
        Ok(Self(ConfigFile {
            issuer: get("ORGPASS_ISSUER").filter(|v| !v.is_empty()),
            client_id: get("ORGPASS_CLIENT_ID").filter(|v| !v.is_empty()),
            audience: get("ORGPASS_AUDIENCE"),
            scope: get("ORGPASS_SCOPE"),
            ports: get("ORGPASS_PORTS"),
            timeout_secs: secs("ORGPASS_TIMEOUT")?,
            leeway_secs: secs("ORGPASS_LEEWAY")?,
            require_organization: get("ORGPASS_REQUIRE_ORGANIZATION")
                .map(|v| matches!(v.as_str(), "1" | "true" | "yes")),
            dpop: get("ORGPASS_DPOP").map(|v| matches!(v.as_str(), "1" | "true" | "yes")),
            browser: get("ORGPASS_BROWSER"),
            api_url: get("ORGPASS_API_URL"),
            ca_file: get("ORGPASS_CA_FILE"),
            apis: None,
            portals: None,
            allowed_organizations: get("ORGPASS_ALLOWED_ORGANIZATIONS").map(|v| {
                v.split(',')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(str::to_owned)
                    .collect()
            }),
            locked: None,
        }))
    }
}
