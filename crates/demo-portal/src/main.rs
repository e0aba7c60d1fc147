//! The `demo-portal` binary: the demo company's web portal on a loopback address.
//! `demo-portal --issuer http://127.0.0.1:4000/ --api-url http://127.0.0.1:4100/ --listen 127.0.0.1:4300`

use std::net::SocketAddr;

use clap::Parser;
use demo_portal::{Portal, PortalConfig};

#[derive(Debug, Parser)]
#[command(
    name = "demo-portal",
    version,
    about = "The demo company's web portal (Native to Web SSO)"
)]
struct Cli {
    /// The tenant's issuer, with its trailing slash.
    #[arg(long)]
    issuer: url::Url,
    /// The portal's client id at the tenant.
    #[arg(long, default_value = "orgpass-portal")]
    client_id: String,
    /// The portal's client secret (the demo seed's by default).
    #[arg(
        long,
        env = "DEMO_PORTAL_CLIENT_SECRET",
        default_value = "demo-portal-secret-change-me",
        hide_default_value = true
    )]
    client_secret: String,
    /// The company API whose projects the portal shows.
    #[arg(long, default_value = "http://127.0.0.1:4100/")]
    api_url: url::Url,
    /// That API's identifier.
    #[arg(long, default_value = "https://api.orgpass.example/")]
    api_audience: String,
    /// A PEM file of CA certificates to trust besides the system's (the tenant's, for an HTTPS devtenant).
    #[arg(long, value_name = "PATH")]
    ca_file: Option<std::path::PathBuf>,
    /// Where to listen; a loopback address only (port 0 picks a free one).
    #[arg(long, default_value = "127.0.0.1:4300")]
    listen: SocketAddr,
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "demo_portal=info".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    if !cli.listen.ip().is_loopback() {
        eprintln!(
            "demo-portal: {} is not a loopback address; it listens on 127.0.0.1 or [::1] only",
            cli.listen
        );
        return std::process::ExitCode::FAILURE;
    }
    let listener = match tokio::net::TcpListener::bind(cli.listen).await {
        Ok(l) => l,
        Err(e) => {
            eprintln!(
                "demo-portal: could not listen on {}: {e}; pick another --listen port or use 0",
                cli.listen
            );
            return std::process::ExitCode::FAILURE;
        }
    };
    let addr = listener.local_addr().expect("a bound address");
    let origin = url::Url::parse(&format!("http://{addr}/")).expect("a URL");
    let ca = match cli
        .ca_file
        .as_deref()
        .map(orgpass_net::CaBundle::load)
        .transpose()
    {
        Ok(ca) => ca,
        Err(e) => {
            eprintln!("demo-portal: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    let portal = Portal::new(PortalConfig {
        issuer: cli.issuer,
        client_id: cli.client_id,
        client_secret: cli.client_secret,
        origin,
        api_url: cli.api_url,
        api_audience: cli.api_audience,
        ca,
    });
    let portal = match portal {
        Ok(p) => p,
        Err(e) => {
            eprintln!("demo-portal: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    println!("demo-portal listening on http://{addr}/");
    match axum::serve(listener, portal.router())
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await
    {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("demo-portal: the server stopped: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}
