//! Settings a company's IT pre-sets for everyone: a system-wide file read before the user's, the keys it locks,
//! and where each setting in force came from (shown by the app's QA view and `orgpass` diagnostics).
//!
//! Layers, highest first: flags, environment, the user's file, the system-wide file, defaults. The system file
//! may list `locked = ["issuer", "client_id", …]`: a higher layer that sets a locked key to another value is an
//! error naming the key, the file that locks it and how to stop overriding it.

use std::fmt;
use std::path::{Path, PathBuf};

use crate::config::{Config, ConfigError, ConfigFile, KEYS};

/// Keys of the desktop app's `app.toml` beyond the engine's, which a system file may lock too.
pub const APP_KEYS: &[&str] = &["organizations", "qa"];

/// Where a setting came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// A command-line flag.
    Flag,
    /// An `ORGPASS_*` environment variable.
    Env,
    /// The person's own file.
    UserFile(PathBuf),
    /// The machine-wide file IT manages.
    SystemFile(PathBuf),
    /// Nothing set it.
    Default,
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Flag => f.write_str("command-line flag"),
            Self::Env => f.write_str("environment"),
            Self::UserFile(p) => write!(f, "user file {}", p.display()),
            Self::SystemFile(p) => write!(f, "system file {}", p.display()),
            Self::Default => f.write_str("default"),
        }
    }
}

/// One layer of settings and where it came from.
#[derive(Debug, Clone)]
pub struct Layer {
    pub source: Source,
    pub settings: ConfigFile,
}

/// The `ORGPASS_*` variable of a key (for messages).
pub fn env_name(key: &str) -> String {
    let short = match key {
        "timeout_secs" => "timeout",
        "leeway_secs" => "leeway",
        other => other,
    };
    format!("ORGPASS_{}", short.to_ascii_uppercase())
}

/// The keys a system file locks, and which file that is.
#[derive(Debug, Clone, Default)]
pub struct Locks {
    keys: Vec<String>,
    by: Option<PathBuf>,
}

impl Locks {
    /// The locks of `layers`' system file; `locked` anywhere else, or naming an unknown key, is an error.
    pub fn from_layers(layers: &[Layer]) -> Result<Self, ConfigError> {
        let mut locks = Self::default();
        for layer in layers {
            let Some(keys) = &layer.settings.locked else {
                continue;
            };
            let Source::SystemFile(path) = &layer.source else {
                return Err(ConfigError::LockOutsideSystemFile(layer.source.to_string()));
            };
            for key in keys {
                if !KEYS.contains(&key.as_str()) && !APP_KEYS.contains(&key.as_str()) {
                    return Err(ConfigError::UnknownLockedKey {
                        key: key.clone(),
                        path: path.clone(),
                    });
                }
            }
            locks = Self {
                keys: keys.clone(),
                by: Some(path.clone()),
            };
        }
        Ok(locks)
    }

    /// Whether `key` is locked.
    pub fn is_locked(&self, key: &str) -> bool {
        self.keys.iter().any(|k| k == key)
    }

    /// Refuse `attempt` (a higher layer's value for `key`) when `key` is locked and the value differs from the
    /// system file's `locked_value`.
    pub fn check<T: PartialEq>(
        &self,
        key: &str,
        locked_value: Option<&T>,
        attempt: Option<&T>,
        source: &Source,
    ) -> Result<(), ConfigError> {
        match (&self.by, attempt) {
            (Some(by), Some(v)) if self.is_locked(key) && Some(v) != locked_value => {
                Err(ConfigError::Locked {
                    key: key.to_owned(),
                    by: by.clone(),
                    fix: fix(key, source),
                })
            }
            _ => Ok(()),
        }
    }
}

/// How to stop overriding `key` from `source`.
fn fix(key: &str, source: &Source) -> String {
    match source {
        Source::Flag => format!(
            "leave out --{}",
            key.trim_end_matches("_secs").replace('_', "-")
        ),
        Source::Env => format!("unset {}", env_name(key)),
        Source::UserFile(p) | Source::SystemFile(p) => {
            format!("remove `{key}` from {}", p.display())
        }
        Source::Default => "ask your IT department".into(),
    }
}

/// The configuration with where each engine setting came from.
#[derive(Debug, Clone)]
pub struct Resolved {
    pub config: Config,
    /// Every key of [`KEYS`] with the layer that set it ([`Source::Default`] when none did).
    pub origins: Vec<(&'static str, Source)>,
    pub locks: Locks,
}

impl Config {
    /// Combine `layers` (highest first), refusing a higher layer's change to a key the system file locks.
    pub fn resolve_layers(layers: &[Layer]) -> Result<Resolved, ConfigError> {
        let locks = Locks::from_layers(layers)?;
        let system = layers
            .iter()
            .find(|l| matches!(l.source, Source::SystemFile(_)));
        for layer in layers
            .iter()
            .filter(|l| !matches!(l.source, Source::SystemFile(_)))
        {
            for key in KEYS {
                let locked_value = system.and_then(|s| s.settings.get(key));
                let attempt = layer.settings.get(key);
                locks.check(key, locked_value.as_ref(), attempt.as_ref(), &layer.source)?;
            }
        }
        let refs: Vec<&ConfigFile> = layers.iter().map(|l| &l.settings).collect();
        let config = Config::merge(&refs)?;
        let origins = KEYS
            .iter()
            .map(|key| {
                let source = layers
                    .iter()
                    .find(|l| l.settings.get(key).is_some_and(|v| !v.trim().is_empty()))
                    .map_or(Source::Default, |l| l.source.clone());
                (*key, source)
            })
            .collect();
        Ok(Resolved {
            config,
            origins,
            locks,
        })
    }
}

/// Folders of system-wide files, in the order they are searched: on Linux and other Unix `$XDG_CONFIG_DIRS`
/// (default `/etc/xdg`) each with `orgpass/`, then `/etc/orgpass/`; on macOS `/Library/Application
/// Support/Orgpass/`; on Windows `%ProgramData%\Orgpass\`.
pub fn system_dirs() -> Vec<PathBuf> {
    if cfg!(target_os = "macos") {
        vec![PathBuf::from("/Library/Application Support/Orgpass")]
    } else if cfg!(windows) {
        let data = std::env::var_os("ProgramData").unwrap_or_else(|| r"C:\ProgramData".into());
        vec![Path::new(&data).join("Orgpass")]
    } else {
        unix_dirs(std::env::var("XDG_CONFIG_DIRS").ok().as_deref())
    }
}

fn unix_dirs(xdg_config_dirs: Option<&str>) -> Vec<PathBuf> {
    xdg_config_dirs
        .filter(|v| !v.trim().is_empty())
        .unwrap_or("/etc/xdg")
        .split(':')
        .filter(|d| Path::new(d).is_absolute())
        .map(|d| Path::new(d).join("orgpass"))
        .chain([PathBuf::from("/etc/orgpass")])
        .collect()
}

/// The system-wide `name` (`config.toml`, `app.toml`) in force: the first that exists in `dirs`.
pub fn find(dirs: &[PathBuf], name: &str) -> Option<PathBuf> {
    dirs.iter().map(|d| d.join(name)).find(|p| p.is_file())
}

/// The system-wide `name` from [`system_dirs`] as a layer, if there is one; a file that exists but cannot be
/// read or parsed is an error naming it.
pub fn system_layer(name: &str) -> Result<Option<Layer>, ConfigError> {
    layer_at(find(&system_dirs(), name))
}

fn layer_at(path: Option<PathBuf>) -> Result<Option<Layer>, ConfigError> {
    let Some(path) = path else {
        return Ok(None);
    };
    let settings = ConfigFile::load(&path, false)?;
    Ok(Some(Layer {
        source: Source::SystemFile(path),
        settings,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Env;

    fn layer(source: Source, toml: &str) -> Layer {
        Layer {
            source,
            settings: ConfigFile::from_toml(toml, Path::new("x.toml")).unwrap(),
        }
    }

    fn system(toml: &str) -> Layer {
        layer(Source::SystemFile("/etc/orgpass/config.toml".into()), toml)
    }

    fn user(toml: &str) -> Layer {
        layer(
            Source::UserFile("/home/ada/.config/orgpass/config.toml".into()),
            toml,
        )
    }

    const SYSTEM: &str = r#"
issuer = "acme.eu.auth0.com"
client_id = "it-client"
ports = "8400,8401"
locked = ["issuer", "client_id"]
"#;

    #[test]
    fn system_user_env_flags_layering_with_origins() {
        let env = Env::from_lookup(|k| (k == "ORGPASS_TIMEOUT").then(|| "20".to_owned())).unwrap();
        let layers = [
            layer(Source::Flag, "browser = \"firefox\""),
            Layer {
                source: Source::Env,
                settings: env.0,
            },
            user("ports = \"9000\"\naudience = \"https://api.acme.example/\""),
            system(SYSTEM),
        ];
        let r = Config::resolve_layers(&layers).unwrap();
        assert_eq!(r.config.issuer.as_str(), "https://acme.eu.auth0.com/");
        assert_eq!(r.config.client_id, "it-client");
        assert_eq!(
            r.config.ports.ports(),
            vec![9000],
            "the user's file wins over the system's"
        );
        assert_eq!(r.config.timeout.as_secs(), 20);
        assert_eq!(r.config.browser.as_deref(), Some("firefox"));
        let origin = |k: &str| {
            r.origins
                .iter()
                .find(|(key, _)| *key == k)
                .unwrap()
                .1
                .to_string()
        };
        assert_eq!(origin("issuer"), "system file /etc/orgpass/config.toml");
        assert_eq!(
            origin("ports"),
            "user file /home/ada/.config/orgpass/config.toml"
        );
        assert_eq!(
            origin("audience"),
            "user file /home/ada/.config/orgpass/config.toml"
        );
        assert_eq!(origin("timeout_secs"), "environment");
        assert_eq!(origin("browser"), "command-line flag");
        assert_eq!(origin("scope"), "default");
        assert!(r.locks.is_locked("issuer") && !r.locks.is_locked("ports"));
    }

    #[test]
    fn locked_keys_are_refused_with_the_file_that_locks_them() {
        let env = |k: &'static str, v: &'static str| Layer {
            source: Source::Env,
            settings: Env::from_lookup(move |key| (key == k).then(|| v.to_owned()))
                .unwrap()
                .0,
        };
        let rows = [
            (
                user("issuer = \"evil.example\""),
                "`issuer` is locked by /etc/orgpass/config.toml (your IT department manages it): remove `issuer` \
                 from /home/ada/.config/orgpass/config.toml",
            ),
            (
                env("ORGPASS_CLIENT_ID", "other"),
                "`client_id` is locked by /etc/orgpass/config.toml (your IT department manages it): unset \
                 ORGPASS_CLIENT_ID",
            ),
            (
                layer(Source::Flag, "issuer = \"https://evil.example/\""),
                "`issuer` is locked by /etc/orgpass/config.toml (your IT department manages it): leave out --issuer",
            ),
        ];
        for (attempt, message) in rows {
            let e = Config::resolve_layers(&[attempt, system(SYSTEM)]).unwrap_err();
            assert!(matches!(e, ConfigError::Locked { .. }), "{e:?}");
            assert_eq!(e.to_string(), message);
        }
        // The same value is no attempt to change it; an unlocked key may be changed.
        Config::resolve_layers(&[
            user("issuer = \"acme.eu.auth0.com\"\nports = \"0\""),
            system(SYSTEM),
        ])
        .unwrap();
    }

    #[test]
    fn locked_is_for_the_system_file_only_and_names_real_keys() {
        let e =
            Config::resolve_layers(&[user("locked = [\"issuer\"]"), system(SYSTEM)]).unwrap_err();
        assert_eq!(
            e.to_string(),
            "`locked` may only be set in the system-wide file, not in the user file \
             /home/ada/.config/orgpass/config.toml"
        );
        let e = Config::resolve_layers(&[system(
            "issuer = \"a.auth0.com\"\nclient_id = \"c\"\nlocked = [\"isuer\"]",
        )])
        .unwrap_err();
        assert_eq!(
            e.to_string(),
            "/etc/orgpass/config.toml locks `isuer`, which is not a setting; the keys are issuer, client_id, \
             audience, scope, ports, timeout_secs, leeway_secs, require_organization, browser, api_url, ca_file, organizations, qa"
        );
    }

    #[test]
    fn system_files_follow_xdg_config_dirs() {
        let root = tempfile::tempdir().unwrap();
        let (a, b) = (root.path().join("a"), root.path().join("b"));
        std::fs::create_dir_all(b.join("orgpass")).unwrap();
        std::fs::write(b.join("orgpass/config.toml"), "issuer = \"b.auth0.com\"").unwrap();
        let dirs = unix_dirs(Some(&format!("{}:{}:relative", a.display(), b.display())));
        assert_eq!(
            dirs,
            vec![
                a.join("orgpass"),
                b.join("orgpass"),
                PathBuf::from("/etc/orgpass")
            ]
        );
        assert_eq!(
            unix_dirs(None),
            vec![
                PathBuf::from("/etc/xdg/orgpass"),
                PathBuf::from("/etc/orgpass")
            ]
        );
        let found = find(&dirs, "config.toml");
        assert_eq!(found, Some(b.join("orgpass/config.toml")));
        let l = layer_at(found.clone()).unwrap().unwrap();
        assert_eq!(l.settings.issuer.as_deref(), Some("b.auth0.com"));
        std::fs::write(b.join("orgpass/config.toml"), "issuer = ").unwrap();
        let e = layer_at(found).unwrap_err();
        assert!(
            e.to_string()
                .contains(&b.join("orgpass/config.toml").display().to_string()),
            "{e}"
        );
        assert!(layer_at(None).unwrap().is_none());
    }
}
