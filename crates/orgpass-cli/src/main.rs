//! The `orgpass` command-line front end: login, status, token, run, api, logout over the `orgpass` engine, plus
//! `completions SHELL` and `man`, generated from the same clap definition.
//!
//! Exit codes: 0 success; 2 bad usage or input (nothing opened); 3 sign-in refused (IdP error or a failed
//! token check; nothing stored); 4 timed out or cancelled; 1 anything else. Human messages go to stderr;
//! no error ever prints a token, code or verifier.
//!
//! A locked or missing keychain exits 1 with the engine's message saying how to unlock or start it; nothing is
//! removed then, and `status` still lists the sessions (it reads only the secret-free index).
//!
//! `token` exits 3 when the session has ended (the refresh was refused, or the refreshed ID token names another
//! user or organization): the session is removed and the message says to sign in again. Several `token`
//! processes at once refresh a session only once (the engine's inter-process lock); one that waits more than 30 s
//! for another's refresh exits 1 saying so.
//!
//! `token`, `run` and `logout` choose the session by `--org`, else by the shell's `ORGPASS_ORG`, then by the
//! issuer/client filter (`select`). `run` exits with its command's code once the command has started.

mod api;
mod child;
mod format;
mod remote;

use std::ffi::OsString;
use std::fmt::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use clap::{Args, CommandFactory, Parser, Subcommand};
use orgpass::managed::{self, Layer, Source};
use orgpass::{
    AccessToken, Client, Config, ConfigFile, Env, ErrorKind, Index, KeychainStore, LoginRequest,
    OrgInput, Revocation, SessionMeta, opener_for,
};
use serde_json::json;

use crate::format::Format;

#[derive(Parser)]
#[command(
    name = "orgpass",
    version,
    about = "Sign in to your company's Auth0 Organization from the command line"
)]
struct Cli {
    /// Config file (TOML). Default: $XDG_CONFIG_HOME/orgpass/config.toml if it exists. A system-wide
    /// config.toml (in $XDG_CONFIG_DIRS/orgpass/ or /etc/orgpass/) is read first and may lock keys.
    #[arg(long, global = true, env = "ORGPASS_CONFIG", value_name = "PATH")]
    config: Option<PathBuf>,
    /// A PEM file of CA certificates to trust besides the system's trust store: your company's root CA when
    /// it inspects HTTPS (or ORGPASS_CA_FILE, or `ca_file` in the config file).
    #[arg(long, global = true, value_name = "PATH")]
    ca_file: Option<String>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Sign in through the browser and store the session in the OS keychain.
    Login(LoginArgs),
    /// List stored sessions (no tokens shown).
    Status {
        /// Print a JSON array on stdout.
        #[arg(long)]
        json: bool,
    },
    /// Print a valid access token for a session, refreshing it if needed.
    Token {
        /// Organization ID or name of the session (default: ORGPASS_ORG if set).
        #[arg(long)]
        org: Option<String>,
        /// How to print it.
        #[arg(long, value_enum, default_value_t = Format::Token)]
        format: Format,
        /// Same as --format json.
        #[arg(long, conflicts_with = "format")]
        json: bool,
        /// Refresh even if the access token is still valid.
        #[arg(long)]
        refresh: bool,
        /// The API the token must be for: refused (exit 2) when the session was signed in for another one.
        #[arg(long, value_name = "AUD")]
        audience: Option<String>,
        #[command(flatten)]
        filter: ClientFilter,
    },
    /// Call your company's API with the session's access token and print the response body (like `gh api`).
    ///
    /// The token is only sent to the configured API (`api_url`, ORGPASS_API_URL or --api-url): TARGET is a path
    /// under it or a full URL inside it. A 401 is retried once with a refreshed token. Exits 0 on a 2xx answer,
    /// 1 otherwise (the body is still printed, the status and the API's reason go to stderr).
    Api {
        /// Path under the API (`/projects`) or a full URL inside it.
        #[arg(value_name = "PATH_OR_URL")]
        target: String,
        /// HTTP method.
        #[arg(short = 'X', long, default_value = "GET", value_name = "METHOD")]
        method: String,
        /// JSON request body; `@FILE` reads it from a file, `@-` from standard input.
        #[arg(short = 'd', long = "data", value_name = "JSON")]
        data: Option<String>,
        /// Organization ID or name of the session (default: ORGPASS_ORG if set).
        #[arg(long)]
        org: Option<String>,
        /// The API's base URL (default: api_url in the config file, or ORGPASS_API_URL).
        #[arg(long, value_name = "URL")]
        api_url: Option<String>,
        /// Print the status line and content type to stderr before the body.
        #[arg(short = 'i', long)]
        include: bool,
        #[command(flatten)]
        filter: ClientFilter,
    },
    /// Run a command with a valid access token in its environment (ORGPASS_ACCESS_TOKEN, ORGPASS_ORG_ID).
    ///
    /// Exits with the command's exit code (128 + the signal that ended it, on Unix); 127 if it is not found.
    Run {
        /// Organization ID or name of the session (default: ORGPASS_ORG if set).
        #[arg(long)]
        org: Option<String>,
        #[command(flatten)]
        filter: ClientFilter,
        /// The command and its arguments; put them after `--`.
        #[arg(required = true, trailing_var_arg = true, value_name = "COMMAND")]
        command: Vec<OsString>,
    },
    /// Remove sessions from the keychain and revoke their refresh tokens.
    Logout {
        /// Organization ID or name of the session (default: ORGPASS_ORG if set; --all ignores it).
        #[arg(long, conflicts_with = "all")]
        org: Option<String>,
        /// Every stored session.
        #[arg(long)]
        all: bool,
        #[command(flatten)]
        filter: ClientFilter,
    },
    /// Print a shell completion script.
    ///
    /// For bash: `orgpass completions bash > ~/.local/share/bash-completion/completions/orgpass`; zsh and fish
    /// read theirs from a folder in `$fpath` (as `_orgpass`) and `~/.config/fish/completions/orgpass.fish`.
    Completions {
        /// The shell to complete for.
        shell: clap_complete::Shell,
    },
    /// Print the manual page (roff): `orgpass man > ~/.local/share/man/man1/orgpass.1`.
    #[command(hide = true)]
    Man,
}

#[derive(Args)]
struct ClientFilter {
    /// Only sessions of this issuer (default: ORGPASS_ISSUER if set).
    #[arg(long)]
    issuer: Option<String>,
    /// Only sessions of this client id (default: ORGPASS_CLIENT_ID if set).
    #[arg(long)]
    client_id: Option<String>,
}

#[derive(Args)]
struct LoginArgs {
    /// Issuer URL or Auth0 domain (or ORGPASS_ISSUER).
    #[arg(long, value_name = "URL|DOMAIN")]
    issuer: Option<String>,
    /// The native application's client id (or ORGPASS_CLIENT_ID).
    #[arg(long, value_name = "ID")]
    client_id: Option<String>,
    /// Organization ID (org_…), name, or invitation link.
    #[arg(long, value_name = "ORG_ID|NAME|INVITATION_URL")]
    org: Option<String>,
    /// API audience for the access token.
    #[arg(long)]
    audience: Option<String>,
    /// Scopes (default "openid profile email offline_access").
    #[arg(long)]
    scope: Option<String>,
    /// `prompt` parameter, e.g. `login`.
    #[arg(long)]
    prompt: Option<String>,
    /// Pre-fill the e-mail on the login page.
    #[arg(long, value_name = "EMAIL")]
    login_hint: Option<String>,
    /// Loopback port(s) to try in order (default: any free port).
    #[arg(long, visible_alias = "ports", value_name = "N[,N...]")]
    port: Option<String>,
    /// Seconds to wait for the browser (default 300).
    #[arg(long, value_name = "SECS")]
    timeout: Option<u64>,
    /// Browser command; the URL is appended as its last argument (or ORGPASS_BROWSER).
    #[arg(long, value_name = "CMD", conflicts_with = "no_browser")]
    browser: Option<String>,
    /// Print the URL instead of opening a browser.
    #[arg(long)]
    no_browser: bool,
    /// Print the result as JSON on stdout.
    #[arg(long)]
    json: bool,
}

/// A failure with its exit code; the message is for stderr.
struct Failure {
    code: u8,
    message: String,
}

impl Failure {
    fn new(code: u8, message: impl std::fmt::Display) -> Self {
        Self {
            code,
            message: message.to_string(),
        }
    }

    fn of(kind: ErrorKind, message: impl std::fmt::Display) -> Self {
        let code = match kind {
            ErrorKind::Usage => 2,
            ErrorKind::Refused => 3,
            ErrorKind::TimedOut | ErrorKind::Cancelled => 4,
            ErrorKind::Other => 1,
        };
        Self::new(code, message)
    }
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { 2 } else { 0 });
        }
    };
    // Generated from the clap definition alone: no settings, keychain or runtime needed.
    match cli.command {
        Command::Completions { shell } => return print_generated(completions(shell)),
        Command::Man => return print_generated(man_page()),
        _ => {}
    }
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("ORGPASS_LOG")
                .unwrap_or_else(|_| orgpass::QUIET_LOG_FILTER.into()),
        )
        .init();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime starts");
    match runtime.block_on(run(cli)) {
        Ok(code) => match u8::try_from(code) {
            Ok(code) => ExitCode::from(code),
            // A Windows exit code is 32 bits (0xC0000005 for a crash): passed on whole.
            Err(_) => std::process::exit(code),
        },
        Err(f) => {
            eprintln!("orgpass: {}", f.message);
            ExitCode::from(f.code)
        }
    }
}

/// The completion script for `shell`, for the binary named `orgpass`.
fn completions(shell: clap_complete::Shell) -> std::io::Result<Vec<u8>> {
    let mut out = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "orgpass", &mut out);
    Ok(out)
}

/// The manual page, section 1, in roff.
fn man_page() -> std::io::Result<Vec<u8>> {
    let mut out = Vec::new();
    clap_mangen::Man::new(Cli::command()).render(&mut out)?;
    Ok(out)
}

/// Write generated text to stdout; a closed pipe or full disk is exit 1 with a message, not a panic.
fn print_generated(text: std::io::Result<Vec<u8>>) -> ExitCode {
    use std::io::Write;
    let written = text.and_then(|t| {
        let mut out = std::io::stdout().lock();
        out.write_all(&t)?;
        out.flush()
    });
    match written {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("orgpass: could not write to standard output: {e}");
            ExitCode::from(1)
        }
    }
}

/// The code to exit with: 0, or the code of the command `run` ran.
async fn run(cli: Cli) -> Result<i32, Failure> {
    let env = Env::from_process().map_err(|e| Failure::new(2, e))?;
    let file = Settings {
        env,
        shell_org: shell_org()?,
        ca_file: cli.ca_file,
        ..load_settings(cli.config.as_deref())?
    };
    match cli.command {
        Command::Login(args) => login(args, &file).await.map(|()| 0),
        Command::Status { json } => status(json, &file).map(|()| 0),
        Command::Token {
            org,
            format,
            json,
            refresh,
            audience,
            filter,
        } => {
            let format = if json { Format::Json } else { format };
            let want = Want {
                refresh,
                audience: audience.as_deref(),
                ..Want::default()
            };
            token(org, format, want, &filter, &file).await.map(|()| 0)
        }
        Command::Api {
            target,
            method,
            data,
            org,
            api_url,
            include,
            filter,
        } => {
            let call = api::Call {
                target,
                method,
                data,
                include,
            };
            let want = Want {
                api_url: api_url.as_deref(),
                ..Want::default()
            };
            api::run(call, org.as_deref(), want, &filter, &file).await
        }
        Command::Run {
            org,
            filter,
            command,
        } => run_command(org, &filter, &command, &file).await,
        Command::Logout { org, all, filter } => logout(org, all, &filter, &file).await.map(|()| 0),
        Command::Completions { .. } | Command::Man => unreachable!("handled in main"),
    }
}

/// The settings below the flags: the environment, the user's file, the system-wide file.
#[derive(Default)]
struct Settings {
    env: Env,
    /// `ORGPASS_ORG`: the organization this shell works in, when `--org` is not given.
    shell_org: Option<String>,
    /// The user's file, then every system-wide one found (in search order).
    files: Vec<Layer>,
    /// `--ca-file`, a flag of every command.
    ca_file: Option<String>,
}

/// `ORGPASS_ORG`, unless unset or blank.
fn shell_org() -> Result<Option<String>, Failure> {
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
    fn check_locks(&self, flags: ConfigFile) -> Result<(), Failure> {
        managed::Locks::enforce(&self.layers(flags))
            .map(|_| ())
            .map_err(|e| Failure::new(2, e))
    }

    /// The configuration for `flags` over these settings; a flag, variable or user file that changes a key the
    /// system file locks is refused (exit 2).
    fn resolve(&self, flags: ConfigFile) -> Result<Config, Failure> {
        let layers = self.layers(flags);
        Config::resolve_layers(&layers)
            .map(|r| r.config)
            .map_err(|e| Failure::new(2, e))
    }

    /// The configuration of an existing session: its own issuer and client id, with `flags` over these settings
    /// for everything else. Every lock holds as in [`Settings::resolve`] (a flag, variable or user file that
    /// changes a locked key is refused, exit 2); only the issuer and client id may differ from the system file's.
    fn for_session(&self, meta: &SessionMeta, flags: ConfigFile) -> Result<Config, Failure> {
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

fn load_settings(path: Option<&std::path::Path>) -> Result<Settings, Failure> {
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

fn open_store() -> Result<Arc<KeychainStore>, Failure> {
    KeychainStore::system()
        .map(Arc::new)
        .map_err(|e| Failure::new(1, e))
}

async fn login(args: LoginArgs, settings: &Settings) -> Result<(), Failure> {
    let flags = ConfigFile {
        issuer: args.issuer,
        client_id: args.client_id,
        audience: args.audience,
        scope: args.scope,
        ports: args.port,
        timeout_secs: args.timeout,
        browser: args.browser,
        ..Default::default()
    };
    let config = settings.resolve(flags)?;
    let org = args
        .org
        .as_deref()
        .map(OrgInput::parse)
        .transpose()
        .map_err(|e| Failure::new(2, e))?;
    let remote = remote::reason(args.no_browser, config.browser.is_some());
    let opener =
        opener_for(config.browser.as_deref(), remote.is_some()).map_err(|e| Failure::new(2, e))?;
    let store = open_store()?;
    store.probe().map_err(|e| Failure::new(1, e))?;
    let client = Client::new(config, store);
    let request = LoginRequest {
        org,
        prompt: args.prompt,
        login_hint: args.login_hint,
        ..Default::default()
    };
    let pending = client
        .begin_login(request)
        .await
        .map_err(|e| Failure::of(e.kind(), e))?;
    let cancel = pending.cancel_handle();
    tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            cancel.cancel();
        }
    });
    let pasting = match remote {
        // Remote mode: say what to do, and take the browser's final address on stdin as well as the listener.
        Some(why) => {
            let redirect = pending.redirect_uri();
            eprintln!(
                "{}",
                remote::instructions(
                    why,
                    pending.authorize_url().as_str(),
                    redirect.as_str(),
                    redirect.port().unwrap_or_default()
                )
            );
            Some(tokio::spawn(remote::read_pasted(pending.paste_handle())))
        }
        None => {
            if let Err(e) = opener.open(pending.authorize_url().as_str()) {
                pending.cancel_handle().cancel();
                let _ = pending.wait().await;
                return Err(Failure::new(1, e));
            }
            eprintln!(
                "Waiting for the browser to finish signing in (redirect to {}) …",
                pending.redirect_uri()
            );
            None
        }
    };
    let result = pending.wait().await;
    if let Some(task) = pasting {
        task.abort();
    }
    let session = result.map_err(|e| Failure::of(e.kind(), e))?;
    let m = &session.meta;
    if args.json {
        println!(
            "{}",
            json!({
                "sub": m.sub,
                "org_id": m.key.org_id,
                "org_name": m.org_name,
                "email": m.email,
                "name": m.name,
                "expires_at": rfc3339(m.expires_at),
                "issuer": m.key.issuer,
                "client_id": m.key.client_id,
            })
        );
    }
    eprintln!(
        "Signed in as {} to {}. Session stored in the OS keychain.",
        who(m),
        which_org(m)
    );
    Ok(())
}

fn who(m: &SessionMeta) -> &str {
    m.email.as_deref().or(m.name.as_deref()).unwrap_or(&m.sub)
}

fn which_org(m: &SessionMeta) -> String {
    match (&m.key.org_id, &m.org_name) {
        (Some(id), Some(name)) => format!("organization {name} ({id})"),
        (Some(id), None) => format!("organization {id}"),
        _ => "no organization".into(),
    }
}

fn rfc3339(unix: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(unix)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_else(|| unix.to_string())
}

fn list_sessions() -> Result<Vec<SessionMeta>, Failure> {
    let path = Index::default_file()
        .ok_or_else(|| Failure::new(1, "no config directory to read the session index from"))?;
    Index::File(path).list().map_err(|e| Failure::new(1, e))
}

/// `orgpass status`: every session in the secret-free index, with whether its refresh token can still renew it
/// and which one `ORGPASS_ORG` picks. Reads no keychain entry and sends no request, so it spends no refresh token.
fn status(json: bool, settings: &Settings) -> Result<(), Failure> {
    let sessions = list_sessions()?;
    let selected = selected_by_env(settings);
    let is_selected = |m: &SessionMeta| selected.iter().any(|s| s.key == m.key);
    if json {
        let rows: Vec<_> = sessions
            .iter()
            .map(|m| {
                let mut row = meta_json(m);
                row["refreshed_at"] = m.refreshed_at.map(rfc3339).into();
                row["selected_by_env"] = is_selected(m).into();
                row
            })
            .collect();
        return write_stdout(&format!("{}\n", serde_json::Value::Array(rows)));
    }
    if sessions.is_empty() {
        eprintln!("No sessions. Sign in with `orgpass login`.");
        return Ok(());
    }
    // One write for all rows (stdout is line-buffered: 200 sessions were 200 writes), and a reader that stops early
    // (`orgpass status | head`) ends the listing quietly.
    let mut out = String::with_capacity(sessions.len() * 200);
    for m in &sessions {
        let mark = if is_selected(m) {
            "\t\u{2190} ORGPASS_ORG"
        } else {
            ""
        };
        let _ = writeln!(
            out,
            "{}\t{}\t{}\t{}\t{}\t{}\texpires {}\t{}{mark}",
            m.key.issuer,
            m.key.client_id,
            m.key.org_id.as_deref().unwrap_or("-"),
            m.org_name.as_deref().unwrap_or("-"),
            m.sub,
            m.email.as_deref().unwrap_or("-"),
            rfc3339(m.expires_at),
            refresh_note(m),
        );
    }
    write_stdout(&out)
}

/// Write `text` to stdout at once; a closed pipe (the reader had enough) is not an error.
fn write_stdout(text: &str) -> Result<(), Failure> {
    use std::io::Write as _;
    let mut stdout = std::io::stdout().lock();
    match stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
    {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(Failure::new(
            1,
            format!("could not write to standard output: {e}"),
        )),
        _ => Ok(()),
    }
}

/// The sessions `token` would choose from by `ORGPASS_ORG` (the same `select`); none when it is unset. An
/// `ORGPASS_ORG` that is not an organization is reported and marks nothing: `status` still lists everything.
fn selected_by_env(settings: &Settings) -> Vec<SessionMeta> {
    if settings.shell_org.is_none() {
        return Vec::new();
    }
    let no_filter = ClientFilter {
        issuer: None,
        client_id: None,
    };
    select(OrgArg::Shell, &no_filter, settings).unwrap_or_else(|f| {
        eprintln!("orgpass: {}", f.message);
        Vec::new()
    })
}

/// Whether the refresh token can renew the session, from the index alone.
fn refresh_note(m: &SessionMeta) -> String {
    match (m.refreshable, m.refreshed_at) {
        (true, Some(at)) => format!("refresh: yes (last renewed {})", human_time(at)),
        (true, None) => "refresh: yes (not renewed since sign-in)".into(),
        (false, _) => "refresh: none \u{2014} sign in again when the access token expires".into(),
    }
}

/// `2026-12-02 09:00 UTC`.
fn human_time(unix: i64) -> String {
    let format = time::macros::format_description!("[year]-[month]-[day] [hour]:[minute] UTC");
    time::OffsetDateTime::from_unix_timestamp(unix)
        .ok()
        .and_then(|t| t.format(&format).ok())
        .unwrap_or_else(|| unix.to_string())
}

fn meta_json(m: &SessionMeta) -> serde_json::Value {
    json!({
        "issuer": m.key.issuer,
        "client_id": m.key.client_id,
        "org_id": m.key.org_id,
        "org_name": m.org_name,
        "sub": m.sub,
        "email": m.email,
        "name": m.name,
        "expires_at": rfc3339(m.expires_at),
        "refreshable": m.refreshable,
    })
}

/// Which organization a command is about.
#[derive(Clone, Copy)]
enum OrgArg<'a> {
    /// `--org ORG`.
    Flag(&'a str),
    /// No `--org`: the shell's `ORGPASS_ORG` when set, else any organization.
    Shell,
    /// `logout --all`: every organization, whatever `ORGPASS_ORG` says.
    Any,
}

impl<'a> OrgArg<'a> {
    fn from_flag(flag: Option<&'a str>) -> Self {
        flag.map_or(Self::Shell, Self::Flag)
    }
}

/// An organization the user named, and where: `--org` or `ORGPASS_ORG`.
struct Named<'a> {
    value: &'a str,
    from_shell: bool,
}

impl Settings {
    /// The organization `org` names: `--org` wins over `ORGPASS_ORG`.
    fn named<'a>(&'a self, org: OrgArg<'a>) -> Option<Named<'a>> {
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
fn no_match(named: Option<Named>, next: &str) -> Failure {
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
fn select(
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
struct Want<'a> {
    /// Refresh even if the access token is still valid.
    refresh: bool,
    /// The API audience the session's access token must be for.
    audience: Option<&'a str>,
    /// `--api-url`, over the configured one.
    api_url: Option<&'a str>,
}

/// A client for the session's own issuer and client id (and `--api-url`), with the other settings from file/env.
fn client_for(
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
        ..Default::default()
    }
}

/// The one session `org` and `filter` select, with a client for it.
fn session_client(
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
    if let Some(wants) = want.audience
        && meta.audience.as_deref() != Some(wants)
    {
        let has = meta
            .audience
            .as_deref()
            .unwrap_or("no API (signed in without --audience)");
        return Err(Failure::new(
            2,
            format!(
                "the session's access token is for {has}, not {wants}; Auth0 issues a token for one API per \
                 sign-in: run `orgpass login --audience {wants}`"
            ),
        ));
    }
    let store = open_store()?;
    let client = client_for(&meta, store, settings, want)?;
    Ok((meta, client))
}

/// A valid access token of the one session `org` and `filter` select, refreshed when needed (or `want.refresh`).
async fn access_token(
    org: Option<&str>,
    want: Want<'_>,
    filter: &ClientFilter,
    settings: &Settings,
) -> Result<AccessToken, Failure> {
    let (meta, client) = session_client(org, want, filter, settings)?;
    client
        .token_with(&meta.key, want.refresh)
        .await
        .map_err(|e| Failure::of(e.kind(), e))
}

async fn token(
    org: Option<String>,
    format: Format,
    want: Want<'_>,
    filter: &ClientFilter,
    settings: &Settings,
) -> Result<(), Failure> {
    let t = access_token(org.as_deref(), want, filter, settings).await?;
    println!("{}", format::render(format, &t));
    Ok(())
}

/// `orgpass run`: the command's exit code once it has started.
async fn run_command(
    org: Option<String>,
    filter: &ClientFilter,
    command: &[OsString],
    settings: &Settings,
) -> Result<i32, Failure> {
    let t = access_token(org.as_deref(), Want::default(), filter, settings).await?;
    child::run(command, t.token.secret(), t.meta.key.org_id.as_deref()).await
}

async fn logout(
    org: Option<String>,
    all: bool,
    filter: &ClientFilter,
    settings: &Settings,
) -> Result<(), Failure> {
    settings.check_locks(ConfigFile::default())?;
    let org = if all {
        OrgArg::Any
    } else {
        OrgArg::from_flag(org.as_deref())
    };
    let matches = select(org, filter, settings)?;
    if matches.is_empty() {
        if all {
            eprintln!("No sessions to sign out of.");
            return Ok(());
        }
        return Err(no_match(settings.named(org), "see `orgpass status`"));
    }
    if !all && settings.named(org).is_none() && matches.len() > 1 {
        return Err(Failure::new(
            2,
            format!(
                "{} sessions are stored; choose one with --org ORG_ID or use --all",
                matches.len()
            ),
        ));
    }
    let store = open_store()?;
    // A locked or missing keychain fails here, before anything is removed from the index or the keychain.
    store.probe().map_err(|e| Failure::new(1, e))?;
    for meta in &matches {
        let client = client_for(meta, store.clone(), settings, Want::default())?;
        let outcome = tokio::time::timeout(Duration::from_secs(60), client.logout(&meta.key))
            .await
            .map_err(|_| Failure::new(1, "logout timed out"))?
            .map_err(|e| Failure::new(1, e))?;
        let note = match outcome.revocation {
            Revocation::Revoked => "refresh token revoked".to_owned(),
            Revocation::NothingToRevoke => "no refresh token to revoke".to_owned(),
            Revocation::Failed(reason) => format!("the provider was not told: {reason}"),
        };
        eprintln!(
            "Signed out of {} at {} ({note}).",
            which_org(meta),
            meta.key.issuer
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cli_is_well_formed() {
        Cli::command().debug_assert();
    }

    #[test]
    fn browser_and_no_browser_conflict() {
        let r = Cli::try_parse_from(["orgpass", "login", "--browser", "x", "--no-browser"]);
        assert!(r.is_err());
        let r = Cli::try_parse_from(["orgpass", "logout", "--org", "org_a", "--all"]);
        assert!(r.is_err());
    }

    #[test]
    fn token_formats_and_the_json_alias() {
        let format = |args: &[&str]| match Cli::try_parse_from(args).map(|c| c.command) {
            Ok(Command::Token { format, json, .. }) => Ok((format, json)),
            Ok(_) => panic!("not token"),
            Err(e) => Err(e.kind()),
        };
        assert_eq!(format(&["orgpass", "token"]), Ok((Format::Token, false)));
        assert_eq!(
            format(&["orgpass", "token", "--json"]),
            Ok((Format::Token, true))
        );
        assert_eq!(
            format(&["orgpass", "token", "--format", "exec-credential"]),
            Ok((Format::ExecCredential, false))
        );
        assert_eq!(
            format(&["orgpass", "token", "--format", "header"]),
            Ok((Format::Header, false))
        );
        assert_eq!(
            format(&["orgpass", "token", "--json", "--format", "header"]),
            Err(clap::error::ErrorKind::ArgumentConflict)
        );
        assert_eq!(
            format(&["orgpass", "token", "--format", "yaml"]),
            Err(clap::error::ErrorKind::InvalidValue)
        );
    }

    #[test]
    fn run_takes_the_command_with_its_own_flags() {
        let run = |args: &[&str]| match Cli::try_parse_from(args).map(|c| c.command) {
            Ok(Command::Run { org, command, .. }) => Ok((org, command)),
            Ok(_) => panic!("not run"),
            Err(e) => Err(e.kind()),
        };
        let argv = |a: &[&str]| a.iter().map(OsString::from).collect::<Vec<_>>();
        assert_eq!(
            run(&[
                "orgpass", "run", "--org", "acme", "--", "curl", "--org", "-H", "x"
            ]),
            Ok((Some("acme".into()), argv(&["curl", "--org", "-H", "x"])))
        );
        // Without `--`, everything from the first word that is not orgpass's is the command's.
        assert_eq!(
            run(&["orgpass", "run", "sh", "-c", "exit 7"]),
            Ok((None, argv(&["sh", "-c", "exit 7"])))
        );
        assert_eq!(
            run(&["orgpass", "run", "--", "--org"]),
            Ok((None, argv(&["--org"])))
        );
        assert_eq!(
            run(&["orgpass", "run", "--org", "acme"]),
            Err(clap::error::ErrorKind::MissingRequiredArgument)
        );
    }

    #[test]
    fn exit_codes() {
        assert_eq!(Failure::of(ErrorKind::Usage, "").code, 2);
        assert_eq!(Failure::of(ErrorKind::Refused, "").code, 3);
        assert_eq!(Failure::of(ErrorKind::TimedOut, "").code, 4);
        assert_eq!(Failure::of(ErrorKind::Cancelled, "").code, 4);
        assert_eq!(Failure::of(ErrorKind::Other, "").code, 1);
    }

    #[test]
    fn timestamps_are_rfc3339() {
        assert_eq!(rfc3339(1_800_000_000), "2027-01-15T08:00:00Z");
        assert_eq!(human_time(1_800_000_000), "2027-01-15 08:00 UTC");
    }
}
