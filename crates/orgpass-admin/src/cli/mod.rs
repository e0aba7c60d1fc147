//! The command-line interface: the entry point, the CLI's own errors, and dispatch of each command to the file of
//! its resource group.

mod apply;
mod args;
mod clients;
mod connections;
mod credentials;
mod domains;
mod grants;
mod invitations;
mod members;
mod orgs;
mod output;
mod qa;

use std::io::Write as _;
use std::process::ExitCode;

use clap::Parser as _;
use orgpass_admin::{AdminError, ValidationError};

use args::{Cli, Command};
use output::Out;

/// Failures of the CLI itself.
#[derive(Debug, thiserror::Error)]
enum CliError {
    #[error(transparent)]
    Admin(#[from] AdminError),
    #[error("{0}")]
    Usage(String),
    #[error("could not write output: {0}")]
    Io(#[from] std::io::Error),
    #[error("{0} organization(s) failed (see above)")]
    Partial(usize),
    #[error(
        "{failed} of {total} organizations failed the branding checks (see above); the gallery is {index}"
    )]
    QaFailed {
        failed: usize,
        total: usize,
        index: String,
    },
}

impl From<ValidationError> for CliError {
    fn from(e: ValidationError) -> Self {
        Self::Admin(AdminError::Invalid(e))
    }
}

pub async fn main() -> ExitCode {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("ORGPASS_ADMIN_LOG")
                .unwrap_or_else(|_| orgpass_net::QUIET_LOG_FILTER.into()),
        )
        .with_writer(std::io::stderr)
        .init();
    match run(cli).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            let _ = writeln!(std::io::stderr(), "error: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> Result<(), CliError> {
    let out = Out { json: cli.json };
    match &cli.command {
        Command::Auth(cmd) => credentials::auth(&cli, &out, cmd).await,
        Command::Connections(cmd) => connections::tenant_connections(&cli, &out, cmd).await,
        Command::Orgs(cmd) => orgs::run(&cli, &out, cmd).await,
        Command::Clients(cmd) => clients::run(&cli, &out, cmd).await,
        Command::Grants(cmd) => grants::run(&cli, &out, cmd).await,
        Command::Apply {
            file,
            dry_run,
            prune,
        } => apply::run(&cli, &out, file, *dry_run, *prune).await,
        Command::Qa(args::QaCmd::Branding(args)) => qa::branding(&cli, &out, args).await,
        Command::Export { output, format } => {
            apply::export(&cli, &out, output.as_deref(), format).await
        }
    }
}
