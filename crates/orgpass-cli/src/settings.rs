//! The settings below the command-line flags: the environment, the user's config file and the system-wide ones
//! (which may lock keys), layered into the configuration of a sign-in or of a stored session.

use orgpass::managed::{self, Layer, Source};
use orgpass::{Config, ConfigFile, Env, SessionMeta};

use crate::failure::Failure;

/// The settings below the flags: the environment, the user's file, the system-wide file.
#[derive(Default)]
pub struct Settings {
    /// The `ORGPASS_*` variables.
    pub env: Env,
    /// `ORGPASS_ORG`: the organization this shell works in, when `--org` is not given.
    pub shell_org: Option<String>,
    /// The user's file, then every system-wide one found (in search order).
    pub files: Vec<Layer>,
    /// `--ca-file`, a flag of every command.
    pub ca_file: Option<String>,
}

/// `ORGPASS_ORG`, unless unset or blank.
pub fn shell_org() -> Result<Option<String>, Failure> {
    match std::env::var("ORGPASS_ORG") {
        Ok(v) if v.trim().is_empty() => Ok(None),
        Ok(v) => Ok(Some(v)),
        Err(std::env::VarError::NotPresent) => Ok(None),
        Err(std::env::VarError::NotUnicode(_)) => {
            Err(Failure::new(2, "ORGPASS_ORG is not valid UTF-8"))
        }
    }
}

impl Settings {
    /// `flags` (with the global `--ca-file`) over the environment, the user's file and the system files.
    fn layers(&self, flags: ConfigFile) -> Vec<Layer> {
        let flags = ConfigFile {
            ca_file: flags.ca_file.or_else(|| self.ca_file.clone()),
            ..flags
        };
        let mut layers = vec![
            Layer {
                source: Source::Flag,
                settings: flags,
            },
            Layer {
                source: Source::Env,
                settings: self.env.0.clone(),
            },
        ];
        layers.extend(self.files.iter().cloned());
        layers
    }

    /// Refuses (exit 2) a flag, variable or user file that changes a key a system file locks, before a command
    /// that uses a stored session chooses it (so `ORGPASS_ISSUER` or a user file's `ca_file` is refused even when
    /// no session would match).
    pub fn check_locks(&self, flags: ConfigFile) -> Result<(), Failure> {
        managed::Locks::enforce(&self.layers(flags))
            .map(|_| ())
            .map_err(|e| Failure::new(2, e))
    }

    /// The configuration for `flags` over these settings; a flag, variable or user file that changes a key the
    /// system file locks is refused (exit 2).
    pub fn resolve(&self, flags: ConfigFile) -> Result<Config, Failure> {
        let layers = self.layers(flags);
        Config::resolve_layers(&layers)
            .map(|r| r.config)
            .map_err(|e| Failure::new(2, e))
    }

    /// The configuration of an existing session: its own issuer and client id, with `flags` over these settings
    /// for everything else. Every lock holds as in [`Settings::resolve`] (a flag, variable or user file that
    /// changes a locked key is refused, exit 2); only the issuer and client id may differ from the system file's.
    pub fn for_session(&self, meta: &SessionMeta, flags: ConfigFile) -> Result<Config, Failure> {
        let layers = self.layers(flags);
        let resolved = Config::resolve_for_session(&meta.key.issuer, &meta.key.client_id, &layers)
            .map_err(|e| Failure::new(2, e))?;
        // A session signed in for another API than the one IT locks is not used for it.
        if let Some(by) = resolved.locks.locked_by("audience")
            && meta.audience != resolved.config.audience
        {
            let has = meta.audience.as_deref().unwrap_or("no API");
            let wants = resolved.config.audience.as_deref().unwrap_or("no API");
            return Err(Failure::new(
                2,
                format!(
                    "the session's access token is for {has}, but `audience` is locked to {wants} by {} (your IT \
                     department manages it): sign in again with `orgpass login`",
                    by.display()
                ),
            ));
        }
        Ok(resolved.config)
    }
}

/// The user's config file (`path`, else the default one if it exists) and the system-wide ones.
pub fn load_settings(path: Option<&std::path::Path>) -> Result<Settings, Failure> {
    let user = match path {
        Some(p) => Some((p.to_owned(), ConfigFile::load(p, false))),
        None => ConfigFile::default_path().map(|p| {
            let loaded = ConfigFile::load(&p, true);
            (p, loaded)
        }),
    };
    let mut files = Vec::new();
    if let Some((path, loaded)) = user {
        files.push(Layer {
            source: Source::UserFile(path),
            settings: loaded.map_err(|e| Failure::new(2, e))?,
        });
    }
    files.extend(managed::system_layers("config.toml").map_err(|e| Failure::new(2, e))?);
    Ok(Settings {
        files,
        ..Settings::default()
    })
}
