//! `devtenant serve`: runs the local Auth0-compatible tenant on 127.0.0.1 and prints how to use it.
//! `devtenant seed generate`: writes a seed with thousands of organizations and the matching app directory.

use std::net::IpAddr;
use std::path::PathBuf;

use clap::{Parser, Subcommand};
use devtenant::{Seed, SpawnOptions};

#[derive(Parser)]
#[command(
    name = "devtenant",
    version,
    about = "A local Auth0-Organizations-compatible tenant for development and tests"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the tenant on 127.0.0.1 until Ctrl-C.
    Serve {
        /// Seed file (TOML); default: the bundled demo seed.
        #[arg(long, env = "DEVTENANT_SEED")]
        seed: Option<PathBuf>,
        /// Port on 127.0.0.1 (0 = pick a free one and print it).
        #[arg(long, default_value_t = 4000, env = "DEVTENANT_PORT")]
        port: u16,
        /// Address to bind; only loopback (127.0.0.1) is accepted.
        #[arg(long, default_value = "127.0.0.1")]
        bind: IpAddr,
        /// Keep state (and signing keys) in this directory across restarts.
        #[arg(long, env = "DEVTENANT_DATA")]
        data: Option<PathBuf>,
        /// Fixed admin secret for the /__devtenant fault surface (default: random per run).
        #[arg(long, env = "DEVTENANT_ADMIN_SECRET")]
        admin_secret: Option<String>,
        /// Serve HTTPS with a certificate from devtenant's own CA (kept in --data, else made for this run and
        /// written to a private temp folder removed on exit); the banner says where the CA file is.
        #[arg(long, env = "DEVTENANT_TLS")]
        tls: bool,
    },
    /// Seed files.
    Seed {
        #[command(subcommand)]
        command: SeedCommand,
    },
}

#[derive(Subcommand)]
enum SeedCommand {
    /// Write DIR/seed.toml (the demo seed plus N organizations scale-0 …) and DIR/app.toml (the desktop app's
    /// directory of the same organizations), for measuring at scale.
    Generate {
        /// How many organizations to add to the demo ones.
        #[arg(long)]
        orgs: usize,
        /// Demo users who are members of every generated organization (email, or the part before @).
        #[arg(long = "members", value_delimiter = ',', default_value = "alice")]
        members: Vec<String>,
        /// Where to write seed.toml and app.toml (created if missing).
        #[arg(long, default_value = ".")]
        out: PathBuf,
    },
}

#[derive(Debug, thiserror::Error)]
enum CliError {
    #[error(
        "devtenant binds 127.0.0.1 only (asked for {0}); it is a development server holding demo credentials"
    )]
    NotLoopback(IpAddr),
    #[error(transparent)]
    Seed(#[from] devtenant::SeedError),
    #[error(transparent)]
    Start(#[from] devtenant::StartError),
    #[error("could not wait for Ctrl-C: {0}")]
    Signal(std::io::Error),
    #[error(transparent)]
    Generate(#[from] devtenant::generate::GenerateError),
    #[error(transparent)]
    Tls(#[from] devtenant::tls::TlsError),
    #[error("could not write {path}: {source}")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "devtenant=info".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    match run(Cli::parse()).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("devtenant: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> Result<(), CliError> {
    let (seed, port, bind, data, admin_secret, tls) = match cli.command {
        Command::Serve {
            seed,
            port,
            bind,
            data,
            admin_secret,
            tls,
        } => (seed, port, bind, data, admin_secret, tls),
        Command::Seed {
            command: SeedCommand::Generate { orgs, members, out },
        } => return write_generated(orgs, &members, &out),
    };
    if bind != IpAddr::from([127, 0, 0, 1]) {
        return Err(CliError::NotLoopback(bind));
    }
    let seed = match &seed {
        Some(path) => Seed::from_file(path)?,
        None => Seed::demo(),
    };
    let passwords: Vec<(String, String)> = seed
        .users
        .iter()
        .filter_map(|u| u.password.clone().map(|p| (u.email.clone(), p)))
        .collect();
    let running = devtenant::spawn(
        seed,
        SpawnOptions {
            data_dir: data.clone(),
            admin_secret,
            port: Some(port),
            tls: tls.then(devtenant::TlsOptions::default),
        },
    )
    .await?;
    // Kept until the server stops: without --data the CA file's private temporary folder goes with it.
    let ca_file = match &running.tls {
        Some(served) => Some(devtenant::tls::publish_ca(data.as_deref(), &served.ca_pem)?),
        None => None,
    };
    print_banner(
        &running,
        data.as_deref(),
        ca_file.as_ref().map(|f| f.path()),
        &passwords,
    );
    tokio::signal::ctrl_c().await.map_err(CliError::Signal)?;
    running.shutdown().await;
    Ok(())
}

/// `devtenant seed generate`: write both files, checked to load, and say where they are.
fn write_generated(orgs: usize, members: &[String], out: &std::path::Path) -> Result<(), CliError> {
    let generated = devtenant::generate::generate(orgs, members)?;
    devtenant::generate::check(&generated)?;
    let write = |name: &str, text: &str| {
        let path = out.join(name);
        std::fs::create_dir_all(out)
            .and_then(|()| std::fs::write(&path, text))
            .map_err(|source| CliError::Write {
                path: path.clone(),
                source,
            })
            .map(|()| path)
    };
    let seed = write("seed.toml", &generated.seed_toml)?;
    let app = write("app.toml", &generated.app_toml)?;
    println!(
        "wrote {} ({} organizations) and {} (the app's directory of the same)
         run: devtenant serve --seed {}   and the app with ORGPASS_APP_CONFIG={}",
        seed.display(),
        orgs + 3,
        app.display(),
        seed.display(),
        app.display()
    );
    Ok(())
}

/// What a person starting devtenant needs: the issuer, the port, the demo credentials and the admin secret.
fn print_banner(
    running: &devtenant::Running,
    data: Option<&std::path::Path>,
    ca_file: Option<&std::path::Path>,
    passwords: &[(String, String)],
) {
    use std::io::Write;
    let t = running.state.lock();
    let mut out = String::new();
    out.push_str(&format!("devtenant listening on {}\n", running.addr));
    out.push_str(&format!("issuer:    {}\n", running.issuer));
    out.push_str(&format!("port:      {}\n", running.addr.port()));
    out.push_str(&format!(
        "discovery: {}.well-known/openid-configuration\n",
        running.issuer
    ));
    out.push_str(&format!(
        "state:     {}\n",
        data.map(|d| d.display().to_string())
            .unwrap_or_else(|| "in memory".into())
    ));
    if let Some(ca) = ca_file {
        out.push_str(&format!(
            "CA file:   {} (trust it: --ca-file / ORGPASS_CA_FILE, or SSL_CERT_FILE on Linux)\n",
            ca.display()
        ));
    }
    out.push_str("clients:\n");
    for c in &t.store.clients {
        let secret = c
            .client_secret
            .as_ref()
            .map(|s| format!(" secret={}", s.secret()))
            .unwrap_or_default();
        out.push_str(&format!(
            "  {} ({}) client_id={}{secret}\n",
            c.name, c.app_type, c.client_id
        ));
    }
    out.push_str(&format!(
        "  management API audience: {}\n",
        running.management_audience()
    ));
    out.push_str("organizations:\n");
    for o in &t.store.organizations {
        out.push_str(&format!(
            "  {} name={} \"{}\"\n",
            o.id, o.name, o.display_name
        ));
    }
    out.push_str("users:\n");
    for u in &t.store.users {
        let password = passwords
            .iter()
            .find(|(e, _)| e.eq_ignore_ascii_case(&u.email))
            .map(|(_, p)| format!(" password={p}"));
        out.push_str(&format!(
            "  {} via {}{}\n",
            u.email,
            u.connection,
            password.unwrap_or_default()
        ));
    }
    out.push_str(&format!(
        "admin secret (header {}): {}\n",
        devtenant::faults::ADMIN_HEADER,
        running.admin_secret.secret()
    ));
    let mut stdout = std::io::stdout().lock();
    let _ = stdout.write_all(out.as_bytes());
    let _ = stdout.flush();
}
