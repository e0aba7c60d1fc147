//! The `demo-api` binary: serves the demo API on a loopback address, trusting tokens of one issuer (and any
//! `--also-issuer`, the same API under other custom domains) for one audience.
//! `demo-api --issuer http://127.0.0.1:4000/ --audience https://api.orgpass.example/ --listen 127.0.0.1:4100`

use std::net::SocketAddr;

use clap::Parser;
use demo_api::{AppState, DEMO_AUDIENCE, app};
use orgpass_guard::{DpopMode, Guard, GuardConfig};

#[derive(Debug, Parser)]
#[command(
    name = "demo-api",
    version,
    about = "The demo company API behind orgpass-guard"
)]
struct Cli {
    /// The tenant's issuer, exactly as tokens' `iss` reads (with its trailing slash).
    #[arg(long, env = "DEMO_API_ISSUER")]
    issuer: String,
    /// Take tokens of this issuer too, each with its own discovery and keys (the API under another custom domain
    /// of the tenant); repeat for more. Tokens naming any other issuer are refused without a request to it.
    #[arg(long, value_name = "ISSUER")]
    also_issuer: Vec<String>,
    /// Refuse tokens applications got with client credentials (machine-to-machine): serve people only.
    #[arg(long)]
    people_only: bool,
    /// The API identifier tokens must be issued for.
    #[arg(long, default_value = DEMO_AUDIENCE)]
    audience: String,
    /// Where to listen; a loopback address only (port 0 picks a free one).
    #[arg(long, default_value = "127.0.0.1:4100")]
    listen: SocketAddr,
    /// Read the keys from this JWKS URL instead of the issuer's discovery document.
    #[arg(long)]
    jwks_url: Option<String>,
    /// A PEM file of CA certificates to trust besides the system's when fetching the issuer's keys.
    #[arg(long, env = "ORGPASS_CA_FILE")]
    ca_file: Option<std::path::PathBuf>,
    /// DPoP-bound tokens (RFC 9449): `allowed` (with bearer ones), `required`, or `off`. Proofs must name the
    /// address it listens on.
    #[arg(long, value_enum, default_value = "allowed")]
    dpop: Dpop,
    /// Keep the DPoP proofs seen in this Redis (`redis://127.0.0.1:6379/`), shared by every instance, instead of
    /// this process's memory.
    #[arg(long, value_name = "URL")]
    replay_redis: Option<String>,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum Dpop {
    Off,
    Allowed,
    Required,
}

#[derive(Debug, thiserror::Error)]
enum CliError {
    #[error("{0} is not a loopback address; the demo API listens on 127.0.0.1 or [::1] only")]
    NotLoopback(SocketAddr),
    #[error(transparent)]
    Config(#[from] orgpass_guard::ConfigError),
    #[error(transparent)]
    CaFile(#[from] orgpass_net::CaFileError),
    #[error("could not listen on {addr}: {source}; pick another --listen port or use 0")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("the server stopped: {0}")]
    Serve(std::io::Error),
    #[error("{0}; start Redis or leave out --replay-redis")]
    Replay(String),
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "demo_api=info,orgpass_guard=info".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    match run(Cli::parse()).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("demo-api: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> Result<(), CliError> {
    if !cli.listen.ip().is_loopback() {
        return Err(CliError::NotLoopback(cli.listen));
    }
    let mut config =
        GuardConfig::new(&cli.issuer, &cli.audience)?.with_people_only(cli.people_only);
    for issuer in &cli.also_issuer {
        config = config.with_issuer(issuer)?;
    }
    if let Some(url) = &cli.jwks_url {
        config = config.with_jwks_url(url)?;
    }
    if let Some(path) = &cli.ca_file {
        config = config.with_ca(orgpass_net::CaBundle::load(path)?);
    }
    let listener = tokio::net::TcpListener::bind(cli.listen)
        .await
        .map_err(|source| CliError::Bind {
            addr: cli.listen,
            source,
        })?;
    let addr = listener.local_addr().map_err(|source| CliError::Bind {
        addr: cli.listen,
        source,
    })?;
    let mode = match cli.dpop {
        Dpop::Off => DpopMode::Off,
        Dpop::Allowed => DpopMode::Allowed,
        Dpop::Required => DpopMode::Required,
    };
    if mode != DpopMode::Off {
        config = config.with_dpop(mode, &format!("http://{addr}"))?;
    }
    let mut guard = Guard::new(config)?;
    if let Some(url) = &cli.replay_redis {
        let store = demo_api::replay::RedisReplay::connect(url)
            .await
            .map_err(CliError::Replay)?;
        guard = guard.with_replay_store(std::sync::Arc::new(store));
    }
    println!("demo-api listening on http://{addr}/");
    println!("issuer:    {}", cli.issuer);
    for issuer in &cli.also_issuer {
        println!("also:      {issuer}");
    }
    println!("audience:  {}", cli.audience);
    println!("dpop:      {:?}", cli.dpop);
    axum::serve(listener, app(AppState::demo(guard)))
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await
        .map_err(CliError::Serve)
}
