//! App configuration: the engine's settings plus the organization directory, from a file, the environment and flags.
//!
//! File: `--config PATH`, else `$ORGPASS_APP_CONFIG`, else `<platform config dir>/orgpass/app.toml`
//! (`~/.config/orgpass/app.toml` on Linux). It takes the same keys as the CLI's `config.toml` plus the directory:
//!
//! ```toml
//! issuer = "acme.eu.auth0.com"
//! client_id = "abc123"
//! qa = false
//!
//! [[organizations]]
//! id = "org_8hXk2pQz7RmT4vWn"
//! name = "acme"
//! display_name = "Acme Corp"
//! logo_url = "https://cdn.acme.example/logo.svg"
//! primary_color = "#0059d6"
//! background_color = "#eef4ff"
//! ```
//!
//! The environment (`ORGPASS_ISSUER`, `ORGPASS_CLIENT_ID`, … as in the CLI, plus `ORGPASS_QA`) overrides the file,
//! and flags override both. Below them all, the system-wide `app.toml` files that IT manages (every one found in
//! `$XDG_CONFIG_DIRS/orgpass/` and `/etc/orgpass/` on Linux, see [`orgpass::managed`]) take the same keys plus
//! `locked = [...]`: keys no other layer may change, the locks of all files adding up. [`AppConfig::origins`] says
//! where each setting in force came from.

use std::path::{Path, PathBuf};

use clap::Parser;
use orgpass::config::{Config, ConfigError, ConfigFile, Env};
use orgpass::managed::{self, Layer, Locks, Source};
use serde::Deserialize;
pub use tauri_plugin_orgpass::DirectoryEntry;

/// Command-line flags of `orgpass-app`. Unknown arguments are an error, except a trailing deep link / invitation.
#[derive(Debug, Clone, Default, Parser)]
#[command(
    name = "orgpass-app",
    about = "Orgpass: sign in to your company's organization",
    version
)]
pub struct Flags {
    /// Configuration file (default: <config dir>/orgpass/app.toml, or $ORGPASS_APP_CONFIG).
    #[arg(long, value_name = "PATH")]
    pub config: Option<PathBuf>,
    /// Issuer URL or Auth0 domain.
    #[arg(long, value_name = "URL|DOMAIN")]
    pub issuer: Option<String>,
    /// The native application's client id.
    #[arg(long, value_name = "ID")]
    pub client_id: Option<String>,
    /// API audience for access tokens.
    #[arg(long, value_name = "AUD")]
    pub audience: Option<String>,
    /// Loopback redirect ports to try, comma-separated (0 = any free port).
    #[arg(long, value_name = "N[,N...]")]
    pub ports: Option<String>,
    /// Command that opens the browser (the sign-in URL is appended as its last argument).
    #[arg(long, value_name = "CMD")]
    pub browser: Option<String>,
    /// Seconds a browser sign-in may take.
    #[arg(long, value_name = "SECS")]
    pub timeout: Option<u64>,
    /// Start with the QA view on.
    #[arg(long)]
    pub qa: bool,
    /// An `orgpass://` link or invitation link to open (what the OS passes for deep links).
    #[arg(value_name = "LINK")]
    pub link: Option<String>,
}

impl Flags {
    /// Parse an argument vector (the first item is the program), as a second instance hands it over too.
    pub fn from_args<I: IntoIterator<Item = String>>(args: I) -> Result<Self, clap::Error> {
        Self::try_parse_from(args)
    }

    fn as_layer(&self) -> ConfigFile {
        ConfigFile {
            issuer: self.issuer.clone(),
            client_id: self.client_id.clone(),
            audience: self.audience.clone(),
            ports: self.ports.clone(),
            browser: self.browser.clone(),
            timeout_secs: self.timeout,
            ..ConfigFile::default()
        }
    }
}

/// Keys the app's file adds to the CLI's.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct AppOnly {
    organizations: Option<Vec<DirectoryEntry>>,
    qa: Option<bool>,
}

/// Why the app could not start with the configuration it found.
#[derive(Debug, thiserror::Error)]
pub enum AppConfigError {
    #[error(transparent)]
    Engine(#[from] ConfigError),
    #[error("could not read the app configuration {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "the app configuration {path} is not valid: {reason}. Fix the file or start with --config pointing at another one"
    )]
    Parse { path: PathBuf, reason: String },
    #[error(
        "directory entry {index} in {path} has neither `id` nor `name`: give the organization's ID (org_…) or name"
    )]
    EntryWithoutOrg { path: PathBuf, index: usize },
    #[error(
        "directory entry {index} in {path} (`{org}`) has no valid organization ID: the directory is also the list \
         of organizations this app may sign in to, checked against the ID the tenant signs you in to; give it \
         `id = \"org_…\"`, or list the IDs this app may sign in to in allowed_organizations"
    )]
    EntryWithoutId {
        path: PathBuf,
        index: usize,
        org: String,
    },
}

/// The resolved configuration the app runs with.
#[derive(Debug, Clone)]
pub struct AppConfig {
    pub engine: Config,
    pub directory: Vec<DirectoryEntry>,
    pub qa: bool,
    /// Where the file was looked for (shown in errors and support details).
    pub path: Option<PathBuf>,
    /// Every setting with where its value came from (system file, user file, environment, flag, default).
    pub origins: Vec<(String, Source)>,
    /// The keys the system file locks.
    pub locks: Locks,
    /// `engine.allowed_organizations` is the directory's IDs: no layer set `allowed_organizations` (nor locked it),
    /// so the organizations the picker offers are the ones a sign-in may end in.
    pub allow_list_from_directory: bool,
}

/// A configuration file's text and where it was read.
#[derive(Debug, Clone)]
pub struct FileText {
    pub path: PathBuf,
    pub text: String,
}

impl AppConfig {
    /// File + process environment + flags.
    pub fn load(flags: &Flags) -> Result<Self, AppConfigError> {
        let env = Env::from_process()?;
        let path = flags
            .config
            .clone()
            .or_else(|| std::env::var_os("ORGPASS_APP_CONFIG").map(PathBuf::from))
            .or_else(default_path);
        let explicit = flags.config.is_some() || std::env::var_os("ORGPASS_APP_CONFIG").is_some();
        let text = match &path {
            Some(p) => match std::fs::read_to_string(p) {
                Ok(t) => Some(t),
                Err(e) if !explicit && e.kind() == std::io::ErrorKind::NotFound => None,
                Err(source) => {
                    return Err(AppConfigError::Read {
                        path: p.clone(),
                        source,
                    });
                }
            },
            None => None,
        };
        let qa_env = std::env::var("ORGPASS_QA")
            .ok()
            .map(|v| matches!(v.as_str(), "1" | "true" | "yes"));
        let systems = managed::find_all(&managed::system_dirs(), "app.toml")
            .into_iter()
            .map(|p| {
                let text = std::fs::read_to_string(&p).map_err(|source| AppConfigError::Read {
                    path: p.clone(),
                    source,
                })?;
                Ok(FileText { path: p, text })
            })
            .collect::<Result<Vec<_>, AppConfigError>>()?;
        Self::resolve_managed(&systems, text.as_deref(), path, &env, flags, qa_env)
    }

    /// Pure resolution from the user file's text (if any), an environment layer and flags.
    pub fn resolve(
        file_text: Option<&str>,
        path: Option<PathBuf>,
        env: &Env,
        flags: &Flags,
        qa_env: Option<bool>,
    ) -> Result<Self, AppConfigError> {
        Self::resolve_managed(&[], file_text, path, env, flags, qa_env)
    }

    /// Pure resolution with the system-wide files (in search order) below the user's: their keys apply unless a
    /// higher layer sets them, their locks add up, and any other layer that changes a locked key is refused.
    pub fn resolve_managed(
        systems: &[FileText],
        file_text: Option<&str>,
        path: Option<PathBuf>,
        env: &Env,
        flags: &Flags,
        qa_env: Option<bool>,
    ) -> Result<Self, AppConfigError> {
        let shown = path.clone().unwrap_or_else(|| PathBuf::from("app.toml"));
        let (core, app) = match file_text {
            Some(text) => split_file(text, &shown)?,
            None => (ConfigFile::default(), AppOnly::default()),
        };
        let user_source = Source::UserFile(shown.clone());
        let mut layers = vec![
            Layer {
                source: Source::Flag,
                settings: flags.as_layer(),
            },
            Layer {
                source: Source::Env,
                settings: env.0.clone(),
            },
            Layer {
                source: user_source.clone(),
                settings: core,
            },
        ];
        // The app's own keys of every layer, highest first (flags and environment have no directory).
        let mut apps = vec![
            (
                Source::Flag,
                AppOnly {
                    organizations: None,
                    qa: flags.qa.then_some(true),
                },
            ),
            (
                Source::Env,
                AppOnly {
                    organizations: None,
                    qa: qa_env,
                },
            ),
            (user_source, app),
        ];
        for f in systems {
            let (sys_core, sys_app) = split_file(&f.text, &f.path)?;
            let source = Source::SystemFile(f.path.clone());
            layers.push(Layer {
                source: source.clone(),
                settings: sys_core,
            });
            apps.push((source, sys_app));
        }
        let locks = Locks::from_layers(&layers)?;
        let organizations: Vec<_> = apps
            .iter()
            .map(|(s, a)| (s, a.organizations.as_ref()))
            .collect();
        locks.check("organizations", &organizations)?;
        let qa_values: Vec<_> = apps.iter().map(|(s, a)| (s, a.qa.as_ref())).collect();
        locks.check("qa", &qa_values)?;
        // The directory from the highest file that has one.
        let (directory, directory_source) = apps
            .iter()
            .find_map(|(s, a)| a.organizations.clone().map(|d| (d, s.clone())))
            .unwrap_or((Vec::new(), Source::Default));
        let directory_path = match &directory_source {
            Source::UserFile(p) | Source::SystemFile(p) => p.clone(),
            _ => shown.clone(),
        };
        for (index, entry) in directory.iter().enumerate() {
            if entry.input().is_none() {
                return Err(AppConfigError::EntryWithoutOrg {
                    path: directory_path.clone(),
                    index: index + 1,
                });
            }
        }
        // The directory is an allow-list too, in the engine's one representation of it: its IDs become the lowest
        // layer's `allowed_organizations`, parsed and enforced like IT's own list (before the browser for a named
        // ID, after the token check for one the tenant chose). A list set in any layer, or locked, wins.
        let explicit = layers
            .iter()
            .any(|l| l.settings.allowed_organizations.is_some());
        let allow_list_from_directory =
            !directory.is_empty() && !explicit && !locks.is_locked("allowed_organizations");
        if allow_list_from_directory {
            let ids = directory
                .iter()
                .enumerate()
                .map(
                    |(i, entry)| match entry.id.as_deref().map(orgpass::OrgInput::parse) {
                        Some(Ok(orgpass::OrgInput::Id(id))) => Ok(id),
                        _ => Err(AppConfigError::EntryWithoutId {
                            path: directory_path.clone(),
                            index: i + 1,
                            org: entry.input().unwrap_or_default().to_owned(),
                        }),
                    },
                )
                .collect::<Result<Vec<_>, _>>()?;
            layers.push(Layer {
                source: directory_source.clone(),
                settings: ConfigFile {
                    allowed_organizations: Some(ids),
                    ..ConfigFile::default()
                },
            });
        }
        let resolved = Config::resolve_layers(&layers)?;
        let (qa, qa_source) = apps
            .iter()
            .find_map(|(s, a)| a.qa.map(|v| (v, s.clone())))
            .unwrap_or((false, Source::Default));

        let mut origins: Vec<(String, Source)> = resolved
            .origins
            .into_iter()
            .map(|(k, s)| (k.to_owned(), s))
            .collect();
        origins.push(("organizations".into(), directory_source));
        origins.push(("qa".into(), qa_source));
        Ok(Self {
            engine: resolved.config,
            directory,
            qa,
            path,
            origins,
            locks,
            allow_list_from_directory,
        })
    }
}

impl AppConfig {
    /// What the plugin runs with: the engine's configuration, the directory, QA, and where each came from.
    pub fn settings(&self) -> tauri_plugin_orgpass::Settings {
        tauri_plugin_orgpass::Settings {
            engine: self.engine.clone(),
            directory: self.directory.clone(),
            qa: self.qa,
            qa_locked: self.locks.is_locked("qa"),
            provenance: self.settings_rows(),
        }
    }

    /// Each setting in force as (key, "value — where it came from"), for the QA view. No secret is among them.
    pub fn settings_rows(&self) -> Vec<(String, String)> {
        let e = &self.engine;
        self.origins
            .iter()
            .map(|(key, source)| {
                let value = match key.as_str() {
                    "issuer" => e.issuer.as_str().to_owned(),
                    "client_id" => e.client_id.clone(),
                    "audience" => e.audience.clone().unwrap_or_else(|| "(none)".into()),
                    "scope" => e.scopes.join(" "),
                    "ports" => match &e.ports {
                        orgpass::PortPolicy::Ephemeral => "any free port".into(),
                        orgpass::PortPolicy::List(p) => {
                            p.iter().map(u16::to_string).collect::<Vec<_>>().join(",")
                        }
                    },
                    "timeout_secs" => e.timeout.as_secs().to_string(),
                    "leeway_secs" => e.leeway.as_secs().to_string(),
                    "require_organization" => e.require_organization.to_string(),
                    "dpop" => e.dpop.to_string(),
                    "browser" => e
                        .browser
                        .clone()
                        .unwrap_or_else(|| "the system's default browser".into()),
                    "api_url" => e
                        .api_url
                        .as_ref()
                        .map_or_else(|| "(none)".into(), |u| u.url().to_string()),
                    "ca_file" => e.ca_file.as_ref().map_or_else(
                        || "(none: the system's trust store only)".into(),
                        |ca| {
                            let n = ca.len();
                            let plural = if n == 1 { "" } else { "s" };
                            format!(
                                "{} ({n} certificate{plural}, besides the system's trust store)",
                                ca.path().display()
                            )
                        },
                    ),
                    "organizations" => format!("{} in the directory", self.directory.len()),
                    "allowed_organizations" => match &e.allowed_organizations {
                        None => "(any organization)".into(),
                        Some(ids) if self.allow_list_from_directory => {
                            format!("the {} organizations of the directory", ids.len())
                        }
                        Some(ids) if ids.len() <= 5 => ids.join(", "),
                        Some(ids) => format!("{} organizations", ids.len()),
                    },
                    "qa" => self.qa.to_string(),
                    _ => String::new(),
                };
                let locked = if self.locks.is_locked(key) {
                    " · locked"
                } else {
                    ""
                };
                (key.clone(), format!("{value} — {source}{locked}"))
            })
            .collect()
    }
}

/// `<platform config dir>/orgpass/app.toml`.
pub fn default_path() -> Option<PathBuf> {
    ConfigFile::default_path().map(|p| p.with_file_name("app.toml"))
}

/// Split the app's TOML into the engine's layer and the app-only keys.
fn split_file(text: &str, path: &Path) -> Result<(ConfigFile, AppOnly), AppConfigError> {
    let parse = |reason: String| AppConfigError::Parse {
        path: path.to_owned(),
        reason,
    };
    let mut table: toml::Table = toml::from_str(text).map_err(|e| parse(e.to_string()))?;
    let mut app = toml::Table::new();
    for key in ["organizations", "qa"] {
        if let Some(v) = table.remove(key) {
            app.insert(key.to_owned(), v);
        }
    }
    let app: AppOnly = toml::Value::Table(app)
        .try_into()
        .map_err(|e: toml::de::Error| parse(e.to_string()))?;
    let core = ConfigFile::from_toml(
        &toml::to_string(&table).map_err(|e| parse(e.to_string()))?,
        path,
    )?;
    Ok((core, app))
}

#[cfg(test)]
mod tests {
    use super::*;

    const FILE: &str = r##"
issuer = "http://127.0.0.1:4000/"
client_id = "file-client"
qa = true

[[organizations]]
id = "org_AAAAAAAAAAAAAAAA"
name = "acme"
display_name = "Acme Corp"
primary_color = "#0059d6"

[[organizations]]
id = "org_BBBBBBBBBBBBBBBB"
name = "globex"
"##;

    #[test]
    fn file_env_flags_layers() {
        let env = Env::from_lookup(|k| (k == "ORGPASS_CLIENT_ID").then(|| "env-client".to_owned()))
            .unwrap();
        let flags = Flags {
            ports: Some("8400,8401".into()),
            ..Flags::default()
        };
        let c =
            AppConfig::resolve(Some(FILE), Some("/x/app.toml".into()), &env, &flags, None).unwrap();
        assert_eq!(c.engine.issuer.as_str(), "http://127.0.0.1:4000/");
        assert_eq!(c.engine.client_id, "env-client");
        assert_eq!(c.engine.ports.ports(), vec![8400, 8401]);
        assert!(c.qa);
        assert_eq!(c.directory.len(), 2);
        assert_eq!(c.directory[0].input(), Some("org_AAAAAAAAAAAAAAAA"));
        assert_eq!(c.directory[1].input(), Some("org_BBBBBBBBBBBBBBBB"));
        assert_eq!(c.directory[0].display_name.as_deref(), Some("Acme Corp"));

        let off = AppConfig::resolve(Some(FILE), None, &env, &flags, Some(false)).unwrap();
        assert!(!off.qa, "ORGPASS_QA=0 overrides the file");
        let on = AppConfig::resolve(
            Some(FILE),
            None,
            &env,
            &Flags {
                qa: true,
                ..Flags::default()
            },
            Some(false),
        )
        .unwrap();
        assert!(on.qa, "--qa wins");
    }

    #[test]
    fn bad_files_say_where() {
        let env = Env::default();
        let e = AppConfig::resolve(
            Some("issuer = \"x\"\n[[organizations]]\ndisplay_name = \"No id\"\n"),
            Some("/c/app.toml".into()),
            &env,
            &Flags::default(),
            None,
        )
        .unwrap_err();
        assert_eq!(
            e.to_string(),
            "directory entry 1 in /c/app.toml has neither `id` nor `name`: give the organization's ID (org_…) or name"
        );
        let e = AppConfig::resolve(
            Some("[[organizations]]\nid = \"org_A\"\ncolour = \"red\"\n"),
            Some("/c/app.toml".into()),
            &env,
            &Flags::default(),
            None,
        )
        .unwrap_err();
        assert!(
            e.to_string()
                .starts_with("the app configuration /c/app.toml is not valid: "),
            "{e}"
        );
        assert!(e.to_string().contains("colour"), "{e}");
        let e = AppConfig::resolve(None, None, &env, &Flags::default(), None).unwrap_err();
        assert!(matches!(
            e,
            AppConfigError::Engine(ConfigError::MissingIssuer)
        ));
    }

    /// The directory is the allow-list too, as the engine's own `allowed_organizations` (one list, parsed and
    /// enforced by the engine), unless a layer sets (or IT locks) `allowed_organizations` itself.
    #[test]
    fn the_directory_is_the_allow_list_unless_allowed_organizations_is_set() {
        let env = Env::default();
        let (path, flags) = (Some("/x/app.toml".into()), Flags::default());
        let resolve = |text: &str| AppConfig::resolve(Some(text), path.clone(), &env, &flags, None);
        let c = resolve(FILE).unwrap();
        assert!(c.allow_list_from_directory);
        let ids = ["org_AAAAAAAAAAAAAAAA", "org_BBBBBBBBBBBBBBBB"].map(String::from);
        assert_eq!(c.engine.allowed_organizations.as_deref(), Some(&ids[..]));
        assert!(c.engine.allows_organization("org_BBBBBBBBBBBBBBBB"));
        assert!(!c.engine.allows_organization("org_CCCCCCCCCCCCCCCC"));
        let rows = |c: &AppConfig| c.settings_rows().into_iter();
        let row = |c: &AppConfig| {
            rows(c)
                .find(|(k, _)| k == "allowed_organizations")
                .unwrap()
                .1
        };
        assert_eq!(
            row(&c),
            "the 2 organizations of the directory — user file /x/app.toml"
        );

        // IT's own list wins over the directory (which stays what the picker offers).
        let own = resolve(&format!(
            "allowed_organizations = [\"org_CCCCCCCCCCCCCCCC\"]\n{FILE}"
        ))
        .unwrap();
        assert!(!own.allow_list_from_directory);
        assert_eq!(
            own.engine.allowed_organizations,
            Some(vec!["org_CCCCCCCCCCCCCCCC".to_owned()])
        );
        assert_eq!(row(&own), "org_CCCCCCCCCCCCCCCC — user file /x/app.toml");

        // No directory, no list: any organization, as before.
        let open = resolve("issuer = \"http://127.0.0.1:4000/\"\nclient_id = \"c\"\n").unwrap();
        assert_eq!(open.engine.allowed_organizations, None);
        assert_eq!(row(&open), "(any organization) — default");

        // An entry the tenant cannot name by ID cannot be on the list: said, with what to do.
        for entry in ["name = \"globex\"", "id = \"globex\""] {
            let e = resolve(&format!(
                "issuer = \"http://127.0.0.1:4000/\"\nclient_id = \"c\"\n[[organizations]]\nid = \"org_AAAAAAAAAAAAAAAA\"\n\
                 [[organizations]]\n{entry}\n"
            ))
            .unwrap_err();
            assert_eq!(
                e.to_string(),
                "directory entry 2 in /x/app.toml (`globex`) has no valid organization ID: the directory is also the \
                 list of organizations this app may sign in to, checked against the ID the tenant signs you in to; \
                 give it `id = \"org_…\"`, or list the IDs this app may sign in to in allowed_organizations"
            );
        }
    }

    fn system(text: &str) -> FileText {
        FileText {
            path: "/etc/orgpass/app.toml".into(),
            text: text.into(),
        }
    }

    const SYSTEM: &str = r##"
issuer = "acme.eu.auth0.com"
client_id = "it-client"
qa = false
locked = ["issuer", "organizations", "qa"]

[[organizations]]
id = "org_AcmeA1b2C3d4E5f6"
display_name = "Acme Corporation"
"##;

    #[test]
    fn system_file_under_user_file_env_and_flags() {
        let env = Env::from_lookup(|k| (k == "ORGPASS_TIMEOUT").then(|| "20".to_owned())).unwrap();
        let flags = Flags {
            ports: Some("8400".into()),
            ..Flags::default()
        };
        let c = AppConfig::resolve_managed(
            &[system(SYSTEM)],
            Some("client_id = \"user-client\"\n"),
            Some("/home/ada/.config/orgpass/app.toml".into()),
            &env,
            &flags,
            None,
        )
        .unwrap();
        assert_eq!(c.engine.issuer.as_str(), "https://acme.eu.auth0.com/");
        assert_eq!(c.engine.client_id, "user-client", "client_id is not locked");
        assert_eq!(
            c.directory.len(),
            1,
            "the company directory comes from the system file"
        );
        let origin = |k: &str| {
            c.origins
                .iter()
                .find(|(key, _)| key == k)
                .unwrap()
                .1
                .to_string()
        };
        assert_eq!(origin("issuer"), "system file /etc/orgpass/app.toml");
        assert_eq!(
            origin("client_id"),
            "user file /home/ada/.config/orgpass/app.toml"
        );
        assert_eq!(origin("ports"), "command-line flag");
        assert_eq!(origin("timeout_secs"), "environment");
        assert_eq!(origin("organizations"), "system file /etc/orgpass/app.toml");
        assert_eq!(origin("qa"), "system file /etc/orgpass/app.toml");
        assert_eq!(origin("audience"), "default");
        let rows = c.settings_rows();
        let row = |k: &str| rows.iter().find(|(key, _)| key == k).unwrap().1.clone();
        assert_eq!(
            row("issuer"),
            "https://acme.eu.auth0.com/ — system file /etc/orgpass/app.toml · locked"
        );
        assert_eq!(row("ports"), "8400 — command-line flag");
        assert_eq!(
            row("organizations"),
            "1 in the directory — system file /etc/orgpass/app.toml · locked"
        );
        assert_eq!(row("browser"), "the system's default browser — default");
        assert_eq!(
            row("ca_file"),
            "(none: the system's trust store only) — default"
        );
        assert_eq!(row("api_url"), "(none) — default");
    }

    #[test]
    fn locked_app_keys_are_refused() {
        let user = |text: &str, flags: &Flags, qa_env| {
            AppConfig::resolve_managed(
                &[system(SYSTEM)],
                Some(text),
                Some("/home/ada/.config/orgpass/app.toml".into()),
                &Env::default(),
                flags,
                qa_env,
            )
            .map(|_| ())
            .map_err(|e| e.to_string())
        };
        let none = Flags::default();
        let rows = [
            (
                user("[[organizations]]\nname = \"evil\"\n", &none, None),
                "`organizations` is locked by /etc/orgpass/app.toml (your IT department manages it): remove \
                 `organizations` from /home/ada/.config/orgpass/app.toml",
            ),
            (
                user(
                    "",
                    &Flags {
                        qa: true,
                        ..Flags::default()
                    },
                    None,
                ),
                "`qa` is locked by /etc/orgpass/app.toml (your IT department manages it): leave out --qa",
            ),
            (
                user("", &none, Some(true)),
                "`qa` is locked by /etc/orgpass/app.toml (your IT department manages it): unset ORGPASS_QA",
            ),
            (
                user("issuer = \"http://127.0.0.1:4000/\"\n", &none, None),
                "`issuer` is locked by /etc/orgpass/app.toml (your IT department manages it): remove `issuer` \
                 from /home/ada/.config/orgpass/app.toml",
            ),
        ];
        for (got, want) in rows {
            assert_eq!(got, Err(want.to_owned()));
        }
        assert_eq!(
            user("qa = false\n", &none, Some(false)),
            Ok(()),
            "the locked value itself is fine"
        );
    }

    /// A directory put first in `$XDG_CONFIG_DIRS` is one more system file: it cannot unlock what IT's file locks.
    #[test]
    fn a_planted_system_file_cannot_undo_it_locks() {
        let planted = FileText {
            path: "/home/ada/xdg/orgpass/app.toml".into(),
            text: "qa = true\n".into(),
        };
        let e = AppConfig::resolve_managed(
            &[planted, system(SYSTEM)],
            None,
            None,
            &Env::default(),
            &Flags::default(),
            None,
        )
        .unwrap_err();
        assert_eq!(
            e.to_string(),
            "`qa` is locked by /etc/orgpass/app.toml (your IT department manages it): remove `qa` from \
             /home/ada/xdg/orgpass/app.toml"
        );
        let c = AppConfig::resolve_managed(
            &[system(SYSTEM)],
            None,
            None,
            &Env::default(),
            &Flags::default(),
            None,
        )
        .unwrap();
        assert!(!c.qa);
        assert!(c.settings().qa_locked, "the plugin is told QA is locked");
    }

    #[test]
    fn a_malformed_system_file_is_named() {
        let e = AppConfig::resolve_managed(
            &[system(
                "issuer = \"acme.eu.auth0.com\"\n[[organizations]]\ncolour = 1\n",
            )],
            None,
            None,
            &Env::default(),
            &Flags::default(),
            None,
        )
        .unwrap_err();
        assert!(
            e.to_string()
                .starts_with("the app configuration /etc/orgpass/app.toml is not valid: "),
            "{e}"
        );
    }

    #[test]
    fn flags_take_a_trailing_link() {
        let f = Flags::from_args(
            [
                "orgpass-app",
                "--qa",
                "orgpass://invite?invitation=T&organization=org_A",
            ]
            .map(String::from),
        )
        .unwrap();
        assert!(f.qa);
        assert_eq!(
            f.link.as_deref(),
            Some("orgpass://invite?invitation=T&organization=org_A")
        );
        assert!(Flags::from_args(["orgpass-app", "--nope"].map(String::from)).is_err());
    }
}
