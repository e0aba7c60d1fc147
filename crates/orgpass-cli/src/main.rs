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
mod describe;
mod failure;
mod format;
mod generate;
mod login;
mod logout;
mod open;
mod remote;
mod session;
mod settings;
mod status;
mod token;

use std::ffi::OsString;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use orgpass::Env;

use crate::failure::Failure;
use crate::format::Format;
use crate::session::Want;
use crate::settings::{Settings, load_settings, shell_org};

#[derive(Parser)]
#[command(
    name = "orgpass",
    version,
    about = "Sign in to your company's Auth0 Organization from the command line"
)]
struct Cli {
    /// Config file (TOML). Default: orgpass/config.toml in your configuration folder if it exists
    /// ($XDG_CONFIG_HOME or ~/.config on Linux, %APPDATA% on Windows, ~/Library/Application Support on macOS).
    /// IT's system-wide config.toml is read first and may lock keys ($XDG_CONFIG_DIRS/orgpass/ or /etc/orgpass/
    /// on Linux, %ProgramData%\Orgpass\ on Windows, /Library/Application Support/Orgpass/ on macOS).
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
        /// One of the company's APIs by name (`[[apis]]` in the settings; `default` is `audience`'s): a token for
        /// it from the session's refresh token, checked for its API and the session's organization.
        #[arg(long, value_name = "NAME", conflicts_with = "audience")]
        api: Option<String>,
        /// A token for this API identifier, like --api (the tenant must allow it in the application's
        /// refresh-token policies).
        #[arg(long, value_name = "AUD")]
        audience: Option<String>,
        /// For a session bound to this device (DPoP): print `Authorization: DPoP …` and a `DPoP:` proof for one
        /// request with this method (for `curl -H @-`; with --json, both as JSON).
        #[arg(long, value_name = "METHOD", requires = "dpop_url")]
        dpop_method: Option<String>,
        /// The URL of that one request (the proof names it; query and fragment are left out).
        #[arg(long, value_name = "URL", requires = "dpop_method")]
        dpop_url: Option<String>,
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
        #[arg(long, value_name = "URL", conflicts_with = "api")]
        api_url: Option<String>,
        /// One of the company's APIs by name (`[[apis]]` in the settings): the request goes to its `url`, with a
        /// token for it.
        #[arg(long, value_name = "NAME")]
        api: Option<String>,
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
        /// One of the company's APIs by name (`[[apis]]`): the command gets a token for it.
        #[arg(long, value_name = "NAME")]
        api: Option<String>,
        #[command(flatten)]
        filter: ClientFilter,
        /// The command and its arguments; put them after `--`.
        #[arg(required = true, trailing_var_arg = true, value_name = "COMMAND")]
        command: Vec<OsString>,
    },
    /// Open one of the company's web apps (`[[portals]]`) in the browser, already signed in to the session's
    /// organization (Auth0's Native to Web SSO).
    ///
    /// The browser is sent to a one-time loopback address, which forwards it to the web app's login with a
    /// single-use session transfer token: the token never appears on a command line, in a log or on screen.
    Open {
        /// The web app's name in the settings.
        #[arg(value_name = "NAME")]
        portal: String,
        /// Organization ID or name of the session (default: ORGPASS_ORG if set).
        #[arg(long)]
        org: Option<String>,
        /// Browser command to open the address with (default: the system's browser, or `browser` in the settings).
        #[arg(long, value_name = "COMMAND")]
        browser: Option<String>,
        #[command(flatten)]
        filter: ClientFilter,
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
    /// Your work email: the tenant finds your organization by its domain (instead of --org).
    #[arg(long, value_name = "ADDRESS")]
    email: Option<String>,
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
        Command::Completions { shell } => {
            return generate::print_generated(generate::completions(shell));
        }
        Command::Man => return generate::print_generated(generate::man_page()),
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
        Command::Login(args) => login::run(args, &file).await.map(|()| 0),
        Command::Status { json } => status::run(json, &file).map(|()| 0),
        Command::Token {
            org,
            format,
            json,
            refresh,
            api,
            audience,
            dpop_method,
            dpop_url,
            filter,
        } => {
            let format = if json { Format::Json } else { format };
            let want = Want {
                refresh,
                audience: audience.as_deref(),
                api: api.as_deref(),
                ..Want::default()
            };
            let proof_for = dpop_method.zip(dpop_url);
            token::print(org, format, proof_for, want, &filter, &file)
                .await
                .map(|()| 0)
        }
        Command::Api {
            target,
            method,
            data,
            org,
            api_url,
            api,
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
                api: api.as_deref(),
                ..Want::default()
            };
            api::run(call, org.as_deref(), want, &filter, &file).await
        }
        Command::Run {
            org,
            api,
            filter,
            command,
        } => token::run_command(org, api.as_deref(), &filter, &command, &file).await,
        Command::Open {
            portal,
            org,
            browser,
            filter,
        } => open::run(&portal, org.as_deref(), browser, &filter, &file)
            .await
            .map(|()| 0),
        Command::Logout { org, all, filter } => {
            logout::run(org, all, &filter, &file).await.map(|()| 0)
        }
        Command::Completions { .. } | Command::Man => unreachable!("handled in main"),
    }
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

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
}
