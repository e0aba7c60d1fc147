//! Settings a company's IT pre-sets for everyone: the system-wide files read before the user's, the keys they
//! lock, and where each setting in force came from (shown by the app's QA view and `orgpass` diagnostics).
//!
//! Layers, highest first: flags, environment, the user's file, the system-wide files, defaults. Every system file
//! found is read (a user-set `$XDG_CONFIG_DIRS` cannot hide `/etc/orgpass`): for values the first that sets a key
//! wins, and their `locked = ["issuer", "client_id", …]` lists add up. A layer that sets a locked key to another
//! value than the file that locks it is an error naming the key, that file and how to stop overriding it. The
//! one exception is a stored session's own issuer and client id ([`Source::Session`], [`SESSION_PINNED`]): a
//! session signed in before IT changed them is still used (and signed out) with the issuer that issued it.

use std::fmt;
use std::path::{Path, PathBuf};

use crate::config::{Config, ConfigError, ConfigFile, KEYS};

/// Keys of the desktop app's `app.toml` beyond the engine's, which a system file may lock too.
pub const APP_KEYS: &[&str] = &["organizations", "qa"];

/// The settings a stored session is pinned to: it keeps its own issuer and client id whatever the current
/// settings say (its tokens are that issuer's). Every other setting, locks included, is the current one.
pub const SESSION_PINNED: &[&str] = &["issuer", "client_id"];

/// Where a setting came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// A command-line flag.
    Flag,
    /// An `ORGPASS_*` environment variable.
    Env,
    /// The person's own file.
    UserFile(PathBuf),
    /// A machine-wide file IT manages.
    SystemFile(PathBuf),
    /// A stored session's own issuer and client id ([`SESSION_PINNED`]).
    Session,
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
            Self::Session => f.write_str("the stored session"),
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

/// The keys the system files lock, each with the file that locks it (a key two files lock is listed twice).
#[derive(Debug, Clone, Default)]
pub struct Locks {
    by: Vec<(String, PathBuf)>,
}

impl Locks {
    /// The locks of every system file among `layers`; `locked` anywhere else, or naming an unknown key, is an
    /// error.
    pub fn from_layers(layers: &[Layer]) -> Result<Self, ConfigError> {
        let mut by = Vec::new();
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
                by.push((key.clone(), path.clone()));
            }
        }
        Ok(Self { by })
    }

    /// The locks of every system file among `layers`, checked against every layer's engine settings ([`KEYS`]):
    /// the check of [`Config::resolve_layers`] without building a configuration (for a command that has not
    /// chosen its session yet).
    pub fn enforce(layers: &[Layer]) -> Result<Self, ConfigError> {
        let locks = Self::from_layers(layers)?;
        for key in KEYS {
            let values: Vec<(&Source, Option<String>)> = layers
                .iter()
                .map(|l| (&l.source, l.settings.get(key)))
                .collect();
            let refs: Vec<(&Source, Option<&String>)> =
                values.iter().map(|(s, v)| (*s, v.as_ref())).collect();
            locks.check(key, &refs)?;
        }
        Ok(locks)
    }

    /// Whether `key` is locked.
    pub fn is_locked(&self, key: &str) -> bool {
        self.by.iter().any(|(k, _)| k == key)
    }

    /// The file that locks `key` (the first, when several do).
    pub fn locked_by(&self, key: &str) -> Option<&Path> {
        self.by
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, p)| p.as_path())
    }

    /// Refuse any value of `key` in `values` (each layer's, highest first) that differs from the value of the
    /// system file locking it, unless it is a stored session's pin ([`SESSION_PINNED`]). A file that locks a key
    /// without setting it locks it to the default: any value is refused.
    pub fn check<T: PartialEq>(
        &self,
        key: &str,
        values: &[(&Source, Option<&T>)],
    ) -> Result<(), ConfigError> {
        for (_, by) in self.by.iter().filter(|(k, _)| k == key) {
            let locker = Source::SystemFile(by.clone());
            let locked_value = values
                .iter()
                .find(|(source, _)| **source == locker)
                .and_then(|(_, v)| *v);
            for (source, attempt) in values {
                let pinned = **source == Source::Session && SESSION_PINNED.contains(&key);
                if **source == locker || pinned {
                    continue;
                }
                if let Some(v) = attempt
                    && Some(*v) != locked_value
                {
                    return Err(ConfigError::Locked {
                        key: key.to_owned(),
                        by: by.clone(),
                        fix: fix(key, source),
                    });
                }
            }
        }
        Ok(())
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
        Source::Session | Source::Default => "ask your IT department".into(),
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
    /// Combine `layers` (highest first), refusing any layer's change to a key a system file locks.
    pub fn resolve_layers(layers: &[Layer]) -> Result<Resolved, ConfigError> {
        let locks = Locks::enforce(layers)?;
        let refs: Vec<&ConfigFile> = layers.iter().map(|l| &l.settings).collect();
        let mut config = Config::merge(&refs)?;
        config.ca_file_locked_by = locks.locked_by("ca_file").map(Path::to_path_buf);
        let origins: Vec<(&'static str, Source)> = KEYS
            .iter()
            .map(|key| {
                let source = layers
                    .iter()
                    .find(|l| l.settings.get(key).is_some_and(|v| !v.trim().is_empty()))
                    .map_or(Source::Default, |l| l.source.clone());
                (*key, source)
            })
            .collect();
        config.allowed_organizations_by = origins.iter().find_map(|(key, source)| match source {
            Source::SystemFile(path) if *key == "allowed_organizations" => Some(path.clone()),
            _ => None,
        });
        Ok(Resolved {
            config,
            origins,
            locks,
        })
    }

    /// The configuration of a stored session: its own `issuer` and `client_id` over `layers` (highest first),
    /// with every lock of the system files holding for everything else.
    pub fn resolve_for_session(
        issuer: &str,
        client_id: &str,
        layers: &[Layer],
    ) -> Result<Resolved, ConfigError> {
        let pins = Layer {
            source: Source::Session,
            settings: ConfigFile {
                issuer: Some(issuer.to_owned()),
                client_id: Some(client_id.to_owned()),
                ..ConfigFile::default()
            },
        };
        let all: Vec<Layer> = std::iter::once(pins)
            .chain(layers.iter().cloned())
            .collect();
        Self::resolve_layers(&all)
    }
}

/// Folders of system-wide files, in the order they are searched: on Linux and other Unix `$XDG_CONFIG_DIRS`
/// (default `/etc/xdg`) each with `orgpass/`, then `/etc/orgpass/`, which is always searched; on macOS
/// `/Library/Application Support/Orgpass/`; on Windows `%ProgramData%\Orgpass\`.
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
    let mut dirs: Vec<PathBuf> = xdg_config_dirs
        .filter(|v| !v.trim().is_empty())
        .unwrap_or("/etc/xdg")
        .split(':')
        .filter(|d| Path::new(d).is_absolute())
        .map(|d| Path::new(d).join("orgpass"))
        .collect();
    let it = PathBuf::from("/etc/orgpass");
    if !dirs.contains(&it) {
        dirs.push(it);
    }
    dirs
}

/// Every system-wide `name` (`config.toml`, `app.toml`) in `dirs` that exists, in search order.
pub fn find_all(dirs: &[PathBuf], name: &str) -> Vec<PathBuf> {
    dirs.iter()
        .map(|d| d.join(name))
        .filter(|p| p.is_file())
        .collect()
}

/// Every system-wide `name` from [`system_dirs`] as a layer, in search order; a file that exists but cannot be
/// read or parsed is an error naming it.
pub fn system_layers(name: &str) -> Result<Vec<Layer>, ConfigError> {
    layers_at(find_all(&system_dirs(), name))
}

fn layers_at(paths: Vec<PathBuf>) -> Result<Vec<Layer>, ConfigError> {
    paths
        .into_iter()
        .map(|path| {
            let settings = ConfigFile::load(&path, false)?;
            Ok(Layer {
                source: Source::SystemFile(path),
                settings,
            })
        })
        .collect()
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
             audience, scope, ports, timeout_secs, leeway_secs, require_organization, dpop, browser, api_url, ca_file, allowed_organizations, apis, portals, organizations, qa"
        );
    }

    /// IT's list of the company's APIs and web apps, locked, holds: another list (or the same APIs with one
    /// changed) in the user's file is refused; the same list is no change.
    #[test]
    fn locked_apis_and_portals_hold() {
        let it = "issuer = \"a.auth0.com\"\nclient_id = \"c\"\nlocked = [\"apis\", \"portals\"]\n\
                  [[apis]]\nname = \"billing\"\naudience = \"https://billing/\"\n\
                  [[portals]]\nname = \"portal\"\nlogin_url = \"https://portal.example/login\"\n";
        let ok = Config::resolve_layers(&[user(""), system(it)]).unwrap();
        assert_eq!(
            ok.config.api("billing").unwrap().audience,
            "https://billing/"
        );
        assert_eq!(
            ok.config.portal("portal").unwrap().login_url.as_str(),
            "https://portal.example/login"
        );
        let same = "[[apis]]\nname = \"billing\"\naudience = \"https://billing/\"\n";
        assert!(Config::resolve_layers(&[user(same), system(it)]).is_ok());
        let other = "[[apis]]\nname = \"billing\"\naudience = \"https://evil.example/\"\n";
        let e = Config::resolve_layers(&[user(other), system(it)])
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with("`apis` is locked by /etc/orgpass/config.toml"),
            "{e}"
        );
        let portal = "[[portals]]\nname = \"portal\"\nlogin_url = \"https://phish.example/\"\n";
        let e = Config::resolve_layers(&[user(portal), system(it)])
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with("`portals` is locked by /etc/orgpass/config.toml"),
            "{e}"
        );
    }

    /// IT's folder on Windows is `%ProgramData%\Orgpass` (C:\ProgramData unless the machine moved it).
    #[cfg(windows)]
    #[test]
    fn system_files_are_under_program_data_on_windows() {
        let data = std::env::var_os("ProgramData").expect("Windows sets %ProgramData%");
        assert_eq!(system_dirs(), vec![Path::new(&data).join("Orgpass")]);
        assert!(
            system_dirs()[0]
                .to_string_lossy()
                .ends_with(r"\ProgramData\Orgpass"),
            "{:?}",
            system_dirs()
        );
    }

    // Unix paths (`:`-separated, absolute from `/`); Windows has %ProgramData% instead (above).
    #[cfg(unix)]
    #[test]
    fn system_files_follow_xdg_config_dirs_and_etc_orgpass_is_always_read() {
        let root = tempfile::tempdir().unwrap();
        let (a, b) = (root.path().join("a"), root.path().join("b"));
        std::fs::create_dir_all(a.join("orgpass")).unwrap();
        std::fs::create_dir_all(b.join("orgpass")).unwrap();
        std::fs::write(a.join("orgpass/config.toml"), "issuer = \"a.auth0.com\"").unwrap();
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
        // Naming /etc itself does not read it twice.
        assert_eq!(unix_dirs(Some("/etc")), vec![PathBuf::from("/etc/orgpass")]);
        // Every file found is a layer, in search order: the first found no longer hides the others.
        let found = find_all(&dirs, "config.toml");
        assert_eq!(
            found,
            vec![a.join("orgpass/config.toml"), b.join("orgpass/config.toml")]
        );
        let layers = layers_at(found.clone()).unwrap();
        assert_eq!(layers[0].settings.issuer.as_deref(), Some("a.auth0.com"));
        assert_eq!(layers[1].settings.issuer.as_deref(), Some("b.auth0.com"));
        std::fs::write(b.join("orgpass/config.toml"), "issuer = ").unwrap();
        let e = layers_at(found).unwrap_err();
        assert!(
            e.to_string()
                .contains(&b.join("orgpass/config.toml").display().to_string()),
            "{e}"
        );
        assert!(layers_at(Vec::new()).unwrap().is_empty());
    }

    /// A directory the user puts first in `$XDG_CONFIG_DIRS` cannot undo IT's file: its locks still hold, and a
    /// value the user's "system" file sets for a locked key is refused like any other layer's.
    #[test]
    fn locks_of_every_system_file_add_up() {
        let it = layer(
            Source::SystemFile("/etc/orgpass/config.toml".into()),
            "issuer = \"acme.eu.auth0.com\"\nca_file = \"/etc/acme/ca.pem\"\nlocked = [\"issuer\", \"ca_file\"]",
        );
        let planted = layer(
            Source::SystemFile("/home/ada/xdg/orgpass/config.toml".into()),
            "ca_file = \"/home/ada/evil-ca.pem\"",
        );
        let e = Config::resolve_layers(&[planted, it.clone()]).unwrap_err();
        assert_eq!(
            e.to_string(),
            "`ca_file` is locked by /etc/orgpass/config.toml (your IT department manages it): remove `ca_file` \
             from /home/ada/xdg/orgpass/config.toml"
        );
        // A second system file's own locks add to IT's.
        let other = layer(
            Source::SystemFile("/etc/xdg/orgpass/config.toml".into()),
            "client_id = \"it-client\"\nlocked = [\"client_id\"]",
        );
        let locks = Locks::enforce(&[other.clone(), it.clone()]).unwrap();
        for key in ["issuer", "ca_file", "client_id"] {
            assert!(locks.is_locked(key), "{key}");
        }
        assert_eq!(
            locks.locked_by("client_id"),
            Some(Path::new("/etc/xdg/orgpass/config.toml"))
        );
        let e = Config::resolve_layers(&[user("client_id = \"mine\""), other, it]).unwrap_err();
        assert_eq!(
            e.to_string(),
            "`client_id` is locked by /etc/xdg/orgpass/config.toml (your IT department manages it): remove \
             `client_id` from /home/ada/.config/orgpass/config.toml"
        );
    }

    /// A stored session keeps its own issuer and client id, and nothing else: every other lock holds for it.
    #[test]
    fn a_session_is_pinned_to_its_issuer_and_client_only() {
        let r =
            Config::resolve_for_session("https://old.auth0.com/", "old-client", &[system(SYSTEM)])
                .unwrap();
        assert_eq!(r.config.issuer.as_str(), "https://old.auth0.com/");
        assert_eq!(r.config.client_id, "old-client");
        assert_eq!(r.origins[0], ("issuer", Source::Session));
        let locked_all = system(
            "issuer = \"acme.eu.auth0.com\"\nclient_id = \"it-client\"\nlocked = [\"issuer\", \"client_id\", \
             \"ca_file\", \"api_url\", \"audience\", \"scope\", \"leeway_secs\"]",
        );
        let rows = [
            (
                layer(Source::Flag, "ca_file = \"/tmp/evil.pem\""),
                "leave out --ca-file",
            ),
            (
                user("api_url = \"https://evil.example/\""),
                "remove `api_url` from /home/ada/.config/orgpass/config.toml",
            ),
            (
                Layer {
                    source: Source::Env,
                    settings: Env::from_lookup(|k| {
                        (k == "ORGPASS_LEEWAY").then(|| "200".to_owned())
                    })
                    .unwrap()
                    .0,
                },
                "unset ORGPASS_LEEWAY",
            ),
        ];
        for (attempt, fix) in rows {
            let e = Config::resolve_for_session(
                "https://old.auth0.com/",
                "old-client",
                &[attempt, locked_all.clone()],
            )
            .unwrap_err();
            assert!(matches!(e, ConfigError::Locked { .. }), "{e:?}");
            assert!(e.to_string().ends_with(fix), "{e}");
        }
    }
}
