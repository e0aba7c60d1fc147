//! Choosing the stored session a command is about (`--org`, else `ORGPASS_ORG`, then the issuer/client filter)
//! from the secret-free index, and a client for it over the keychain.

use std::sync::Arc;

use orgpass::{Client, ConfigFile, Index, KeychainStore, OrgInput, SessionMeta};

use crate::ClientFilter;
use crate::failure::Failure;
use crate::settings::Settings;

/// Every session in the secret-free index.
pub fn list_sessions() -> Result<Vec<SessionMeta>, Failure> {
    let path = Index::default_file()
        .ok_or_else(|| Failure::new(1, "no config directory to read the session index from"))?;
    Index::File(path).list().map_err(|e| Failure::new(1, e))
}

/// The OS keychain.
pub fn open_store() -> Result<Arc<KeychainStore>, Failure> {
    KeychainStore::system()
        .map(Arc::new)
        .map_err(|e| Failure::new(1, e))
}

/// Which organization a command is about.
#[derive(Clone, Copy)]
pub enum OrgArg<'a> {
    /// `--org ORG`.
    Flag(&'a str),
    /// No `--org`: the shell's `ORGPASS_ORG` when set, else any organization.
    Shell,
    /// `logout --all`: every organization, whatever `ORGPASS_ORG` says.
    Any,
}

impl<'a> OrgArg<'a> {
    /// `--org` if given, else the shell's.
    pub fn from_flag(flag: Option<&'a str>) -> Self {
        flag.map_or(Self::Shell, Self::Flag)
    }
}

/// An organization the user named, and where: `--org` or `ORGPASS_ORG`.
pub struct Named<'a> {
    value: &'a str,
    from_shell: bool,
}

impl Settings {
    /// The organization `org` names: `--org` wins over `ORGPASS_ORG`.
    pub fn named<'a>(&'a self, org: OrgArg<'a>) -> Option<Named<'a>> {
        match org {
            OrgArg::Flag(value) => Some(Named {
                value,
                from_shell: false,
            }),
            OrgArg::Shell => self.shell_org.as_deref().map(|value| Named {
                value,
                from_shell: true,
            }),
            OrgArg::Any => None,
        }
    }
}

/// The error for no session matching; it names `ORGPASS_ORG` when that chose the organization, since a variable
/// set long ago in this shell is easy to forget.
pub fn no_match(named: Option<Named>, next: &str) -> Failure {
    match named {
        Some(Named {
            value,
            from_shell: true,
        }) => Failure::new(
            1,
            format!("no matching session for ORGPASS_ORG={value}; {next}, or unset ORGPASS_ORG"),
        ),
        _ => Failure::new(1, format!("no matching session; {next}")),
    }
}

/// Sessions matching the organization (`--org`, else `ORGPASS_ORG`) and the issuer/client filter (flags, else
/// environment).
pub fn select(
    org: OrgArg,
    filter: &ClientFilter,
    settings: &Settings,
) -> Result<Vec<SessionMeta>, Failure> {
    let org = settings
        .named(org)
        .map(|n| {
            OrgInput::parse(n.value).map_err(|e| {
                let from = if n.from_shell { "ORGPASS_ORG: " } else { "" };
                Failure::new(2, format!("{from}{e}"))
            })
        })
        .transpose()?;
    let env = &settings.env;
    let issuer = filter.issuer.clone().or_else(|| env.0.issuer.clone());
    let issuer = issuer
        .map(|i| orgpass::Issuer::parse(&i))
        .transpose()
        .map_err(|e| Failure::new(2, e))?;
    let client_id = filter.client_id.clone().or_else(|| env.0.client_id.clone());
    Ok(list_sessions()?
        .into_iter()
        .filter(|m| issuer.as_ref().is_none_or(|i| i.matches(&m.key.issuer)))
        .filter(|m| client_id.as_ref().is_none_or(|c| *c == m.key.client_id))
        .filter(|m| match org.as_ref().map(OrgInput::org) {
            None => true,
            Some(OrgInput::Id(id)) => m.key.org_id.as_deref() == Some(id),
            Some(OrgInput::Name(name)) => m.org_name.as_deref() == Some(name),
            Some(OrgInput::Invitation { .. }) => false,
        })
        .collect())
}

/// What a command wants of the session it picks, beyond the organization.
#[derive(Default, Clone, Copy)]
pub struct Want<'a> {
    /// Refresh even if the access token is still valid.
    pub refresh: bool,
    /// `--audience`: a token for this API identifier.
    pub audience: Option<&'a str>,
    /// `--api`: one of the settings' APIs by name.
    pub api: Option<&'a str>,
    /// `--browser`, over the configured one.
    pub browser: Option<&'a str>,
    /// `--api-url`, over the configured one.
    pub api_url: Option<&'a str>,
}

/// A client for the session's own issuer and client id (and `--api-url`), with the other settings from file/env.
pub fn client_for(
    meta: &SessionMeta,
    store: Arc<KeychainStore>,
    settings: &Settings,
    want: Want,
) -> Result<Client, Failure> {
    let config = settings.for_session(meta, session_flags(want))?;
    Ok(Client::new(config, store))
}

/// The settings a session command's own flags set (the global `--ca-file` is added by [`Settings::layers`]).
fn session_flags(want: Want) -> ConfigFile {
    ConfigFile {
        api_url: want.api_url.map(str::to_owned),
        browser: want.browser.map(str::to_owned),
        ..Default::default()
    }
}

/// The one session `org` and `filter` select, with a client for it.
pub fn session_client(
    org: Option<&str>,
    want: Want,
    filter: &ClientFilter,
    settings: &Settings,
) -> Result<(SessionMeta, Client), Failure> {
    settings.check_locks(session_flags(want))?;
    let org = OrgArg::from_flag(org);
    let mut matches = select(org, filter, settings)?;
    let meta = match matches.len() {
        0 => {
            return Err(no_match(
                settings.named(org),
                "sign in with `orgpass login`",
            ));
        }
        1 => matches.remove(0),
        n => {
            return Err(Failure::new(
                2,
                format!("{n} sessions match; choose one with --org ORG_ID (see `orgpass status`)"),
            ));
        }
    };
    let store = open_store()?;
    let client = client_for(&meta, store, settings, want)?;
    Ok((meta, client))
}

/// The API `want` names (`--api NAME`, or `--audience AUD`), or `None` for the sign-in's own token.
pub fn wanted_api(client: &Client, want: Want) -> Result<Option<orgpass::Api>, Failure> {
    let config = client.config();
    if let Some(name) = want.api {
        return config.api(name).map(Some).ok_or_else(|| {
            let known = config.api_names();
            let known = if known.is_empty() {
                "none is configured: add [[apis]] tables (name, audience, url) to the settings"
                    .to_owned()
            } else {
                format!("the configured ones are {}", known.join(", "))
            };
            Failure::new(2, format!("no API is called `{name}`; {known}"))
        });
    }
    Ok(want.audience.map(|audience| {
        config
            .apis
            .iter()
            .find(|a| a.audience == audience)
            .cloned()
            .unwrap_or_else(|| orgpass::Api {
                name: audience.to_owned(),
                audience: audience.to_owned(),
                url: None,
                scope: None,
            })
    }))
}
