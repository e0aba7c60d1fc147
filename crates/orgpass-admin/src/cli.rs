//! The command-line interface: argument parsing, credentials, output as tables or JSON.

use std::collections::BTreeMap;
use std::io::{IsTerminal as _, Read as _, Write as _};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use clap::{Args, Parser, Subcommand};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use orgpass_admin::apply::{self, DesiredState, Format};
use orgpass_admin::keychain::{self, OsKeychain, SecretStore};
use orgpass_admin::model::*;
use orgpass_admin::{AdminError, ClientSecret, ManagementClient, Tenant, ValidationError};
use serde::Serialize;

/// Environment variable with the client secret, for CI (never pass it as an argument).
const SECRET_ENV: &str = "ORGPASS_ADMIN_CLIENT_SECRET";

#[derive(Parser)]
#[command(
    name = "orgpass-admin",
    version,
    about = "Provision Auth0 organizations through the Management API"
)]
struct Cli {
    /// Tenant domain (`your-tenant.eu.auth0.com`); `http://127.0.0.1:PORT` only for a local devtenant.
    #[arg(long, global = true, env = "ORGPASS_ADMIN_DOMAIN")]
    domain: Option<String>,
    /// Client id of the machine-to-machine application.
    #[arg(long, global = true, env = "ORGPASS_ADMIN_CLIENT_ID")]
    client_id: Option<String>,
    /// Management API audience (default `https://{domain}/api/v2/`).
    #[arg(long, global = true, env = "ORGPASS_ADMIN_AUDIENCE")]
    audience: Option<String>,
    /// Print JSON instead of tables (and no progress bar).
    #[arg(long, global = true)]
    json: bool,
    /// Most Management API requests in flight at once.
    #[arg(long, global = true, default_value_t = 8)]
    concurrency: usize,
    /// Do not keep the access token in the OS keychain between runs.
    #[arg(long, global = true)]
    no_token_cache: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Credentials of the machine-to-machine application.
    #[command(subcommand)]
    Auth(AuthCmd),
    /// Organizations.
    #[command(subcommand)]
    Orgs(OrgsCmd),
    /// The tenant's connections.
    #[command(subcommand)]
    Connections(ConnectionsCmd),
    /// Make a desired-state file (TOML or YAML) true: prints a plan, then applies it.
    Apply {
        file: PathBuf,
        /// Print the plan and stop.
        #[arg(long)]
        dry_run: bool,
        /// Also delete organizations (and disable connections, remove members) that the file does not list.
        #[arg(long)]
        prune: bool,
    },
    /// Write the tenant's organizations as a desired-state file.
    Export {
        /// Output file (`.toml`, `.yaml`); stdout when omitted.
        #[arg(long, short)]
        output: Option<PathBuf>,
        /// Format for stdout.
        #[arg(long, default_value = "toml", value_parser = ["toml", "yaml"])]
        format: String,
    },
}

#[derive(Subcommand)]
enum AuthCmd {
    /// Store the client secret in the OS keychain (prompted without echo, or read from stdin when piped).
    Login,
    /// Show the granted scopes and the token's lifetime.
    Status,
    /// Remove the stored client secret and token from the keychain.
    Logout,
}

#[derive(Subcommand)]
enum OrgsCmd {
    /// List organizations (all of them, with checkpoint paging).
    List {
        /// One page only (offset paging, 0-based).
        #[arg(long)]
        page: Option<u32>,
        #[arg(long, default_value_t = 50)]
        per_page: u32,
    },
    /// Show one organization (by id or name).
    Get { org: String },
    /// Create an organization.
    Create {
        name: String,
        #[command(flatten)]
        fields: OrgFields,
        /// Enable a connection (by name or id) at creation; repeatable.
        #[arg(long = "connection")]
        connections: Vec<String>,
    },
    /// Change an organization.
    Update {
        org: String,
        /// New name.
        #[arg(long)]
        name: Option<String>,
        #[command(flatten)]
        fields: OrgFields,
        /// Remove a metadata key; repeatable.
        #[arg(long = "remove-metadata")]
        remove_metadata: Vec<String>,
        /// Remove the logo.
        #[arg(long)]
        clear_logo: bool,
    },
    /// Delete an organization.
    Delete { org: String },
    /// Connections enabled for an organization.
    #[command(subcommand)]
    Connections(OrgConnectionsCmd),
    /// Members.
    #[command(subcommand)]
    Members(MembersCmd),
    /// Invitations.
    #[command(subcommand)]
    Invitations(InvitationsCmd),
}

#[derive(Args)]
struct OrgFields {
    #[arg(long)]
    display_name: Option<String>,
    /// https URL of the logo.
    #[arg(long)]
    logo_url: Option<String>,
    /// Primary colour, `#rrggbb`.
    #[arg(long)]
    primary_color: Option<String>,
    /// Page background colour, `#rrggbb`.
    #[arg(long)]
    page_background_color: Option<String>,
    /// `KEY=VALUE`; repeatable.
    #[arg(long = "metadata", value_parser = parse_kv)]
    metadata: Vec<(String, String)>,
}

fn parse_kv(s: &str) -> Result<(String, String), String> {
    s.split_once('=')
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .ok_or_else(|| format!("{s:?}: write KEY=VALUE"))
}

#[derive(Args)]
struct ConnFlags {
    /// Users who sign in with this connection become members.
    #[arg(long)]
    assign_membership_on_login: Option<bool>,
    /// Show a button for it on the login page (enterprise connections).
    #[arg(long)]
    show_as_button: Option<bool>,
    /// Allow sign-up (database connections; needs assign_membership_on_login).
    #[arg(long)]
    is_signup_enabled: Option<bool>,
}

#[derive(Subcommand)]
enum OrgConnectionsCmd {
    List {
        org: String,
    },
    Enable {
        org: String,
        connection: String,
        #[command(flatten)]
        flags: ConnFlags,
    },
    Update {
        org: String,
        connection: String,
        #[command(flatten)]
        flags: ConnFlags,
    },
    Disable {
        org: String,
        connection: String,
    },
}

#[derive(Subcommand)]
enum MembersCmd {
    List {
        org: String,
    },
    Add {
        org: String,
        #[arg(required = true)]
        user_ids: Vec<String>,
    },
    Remove {
        org: String,
        #[arg(required = true)]
        user_ids: Vec<String>,
    },
}

#[derive(Subcommand)]
enum InvitationsCmd {
    /// Invite someone; prints the invitation URL.
    Create {
        org: String,
        #[arg(long)]
        email: String,
        /// Name shown as the inviter.
        #[arg(long)]
        inviter: String,
        /// Application the invitee will sign in to (its login route receives the link).
        #[arg(long = "app-client-id")]
        app_client_id: String,
        /// Connection (name or id) the invitee signs up with.
        #[arg(long)]
        connection: Option<String>,
        /// Lifetime in seconds (default 604800, at most 2592000).
        #[arg(long)]
        ttl: Option<u64>,
        /// Role ids; repeatable.
        #[arg(long = "role")]
        roles: Vec<String>,
        /// Let Auth0 email the invitation.
        #[arg(long)]
        send_email: bool,
    },
    List {
        org: String,
    },
    Revoke {
        org: String,
        invitation_id: String,
    },
}

#[derive(Subcommand)]
enum ConnectionsCmd {
    List {
        /// Only this strategy (`auth0`, `google-oauth2`, `samlp`, `oidc`, …).
        #[arg(long)]
        strategy: Option<String>,
    },
}

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
                .unwrap_or_else(|_| "warn".into()),
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

fn tenant(cli: &Cli) -> Result<Tenant, CliError> {
    let domain = cli.domain.as_deref().ok_or_else(|| {
        CliError::Usage("no tenant: pass --domain or set ORGPASS_ADMIN_DOMAIN".into())
    })?;
    let t = Tenant::parse(domain).map_err(|e| CliError::Usage(e.to_string()))?;
    Ok(match &cli.audience {
        Some(a) => t.with_audience(a.clone()),
        None => t,
    })
}

fn client_id(cli: &Cli) -> Result<&str, CliError> {
    cli.client_id.as_deref().ok_or_else(|| {
        CliError::Usage("no client id: pass --client-id or set ORGPASS_ADMIN_CLIENT_ID".into())
    })
}

async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, keychain::KeychainError> + Send + 'static,
) -> Result<T, CliError> {
    tokio::task::spawn_blocking(f)
        .await
        .expect("keychain task")
        .map_err(|e| CliError::Admin(AdminError::Keychain(e)))
}

/// Where the secret came from, for `auth status`.
enum SecretSource {
    Env,
    Keychain,
}

async fn load_secret(t: &Tenant, id: &str) -> Result<(ClientSecret, SecretSource), CliError> {
    if let Ok(v) = std::env::var(SECRET_ENV) {
        let s = ClientSecret::new(v);
        if !s.is_empty() {
            return Ok((s, SecretSource::Env));
        }
    }
    let key = keychain::secret_key(t, id);
    let found = blocking(move || OsKeychain.get(&key))
        .await
        .map_err(|e| CliError::Usage(format!("cannot read the client secret: {e}")))?;
    match found {
        Some(v) => Ok((ClientSecret::new(v), SecretSource::Keychain)),
        None => Err(CliError::Usage(format!(
            "no client secret stored for {id} at {}: run `orgpass-admin auth login --domain … --client-id {id}` \
             (or set {SECRET_ENV} in CI)",
            t.key()
        ))),
    }
}

fn build_client(
    cli: &Cli,
    t: Tenant,
    id: &str,
    secret: ClientSecret,
) -> Result<ManagementClient, CliError> {
    let mut b = ManagementClient::builder(t, id, secret).concurrency(cli.concurrency);
    if !cli.no_token_cache {
        b = b.token_store(Arc::new(OsKeychain));
    }
    Ok(b.build()?)
}

async fn client(cli: &Cli) -> Result<ManagementClient, CliError> {
    let t = tenant(cli)?;
    let id = client_id(cli)?;
    let (secret, _) = load_secret(&t, id).await?;
    build_client(cli, t, id, secret)
}

fn progress(cli: &Cli) -> ProgressBar {
    if cli.json || !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let pb = ProgressBar::with_draw_target(Some(0), ProgressDrawTarget::stderr());
    pb.set_style(
        ProgressStyle::with_template(
            "{spinner} {msg} [{bar:30}] {pos}/{len} ({per_sec}, eta {eta})",
        )
        .expect("static template")
        .progress_chars("=> "),
    );
    pb.enable_steady_tick(Duration::from_millis(120));
    pb
}

struct Out {
    json: bool,
}

impl Out {
    fn json<T: Serialize>(&self, v: &T) -> Result<(), CliError> {
        let mut o = std::io::stdout().lock();
        serde_json::to_writer_pretty(&mut o, v).map_err(std::io::Error::other)?;
        writeln!(o)?;
        Ok(())
    }
    fn line(&self, s: impl AsRef<str>) -> Result<(), CliError> {
        writeln!(std::io::stdout().lock(), "{}", s.as_ref())?;
        Ok(())
    }
    fn table(&self, headers: &[&str], rows: Vec<Vec<String>>) -> Result<(), CliError> {
        self.line(render_table(headers, &rows))
    }
    /// JSON under --json, else a table.
    fn show<T: Serialize>(
        &self,
        v: &T,
        headers: &[&str],
        rows: Vec<Vec<String>>,
    ) -> Result<(), CliError> {
        if self.json {
            self.json(v)
        } else {
            self.table(headers, rows)
        }
    }
    /// `v` as JSON under --json (e.g. `{"disabled": …}` or the changed object), else a sentence.
    fn done<T: Serialize>(&self, v: &T, text: impl AsRef<str>) -> Result<(), CliError> {
        if self.json {
            self.json(&v)
        } else {
            self.line(text)
        }
    }
}

/// A plain aligned table.
fn render_table(headers: &[&str], rows: &[Vec<String>]) -> String {
    let mut widths: Vec<usize> = headers.iter().map(|h| h.chars().count()).collect();
    for r in rows {
        for (i, c) in r.iter().enumerate() {
            widths[i] = widths[i].max(c.chars().count());
        }
    }
    let fmt_row = |cells: Vec<&str>| {
        let mut s = String::new();
        for (i, c) in cells.iter().enumerate() {
            if i + 1 == cells.len() {
                s.push_str(c);
            } else {
                s.push_str(&format!("{c:<w$}  ", w = widths[i]));
            }
        }
        s.trim_end().to_owned()
    };
    let mut out = vec![fmt_row(headers.to_vec())];
    for r in rows {
        out.push(fmt_row(r.iter().map(String::as_str).collect()));
    }
    if rows.is_empty() {
        out.push("(none)".into());
    }
    out.join("\n")
}

fn org_rows(orgs: &[Organization]) -> Vec<Vec<String>> {
    orgs.iter()
        .map(|o| {
            vec![
                o.id.clone(),
                o.name.clone(),
                o.display_name.clone().unwrap_or_default(),
                o.branding
                    .as_ref()
                    .and_then(|b| b.colors.as_ref())
                    .map(|c| c.primary.clone())
                    .unwrap_or_default(),
                o.branding
                    .as_ref()
                    .and_then(|b| b.logo_url.clone())
                    .unwrap_or_default(),
            ]
        })
        .collect()
}

const ORG_HEADERS: &[&str] = &["ID", "NAME", "DISPLAY NAME", "PRIMARY", "LOGO"];

fn branding_from(
    fields: &OrgFields,
    base: Option<Branding>,
    tenant: &Tenant,
) -> Result<Option<Branding>, ValidationError> {
    let touched = fields.logo_url.is_some()
        || fields.primary_color.is_some()
        || fields.page_background_color.is_some();
    if !touched {
        return Ok(None);
    }
    let mut b = base.unwrap_or_default();
    if let Some(u) = &fields.logo_url {
        b.logo_url = Some(u.clone());
    }
    match (
        &fields.primary_color,
        &fields.page_background_color,
        b.colors.take(),
    ) {
        (None, None, keep) => b.colors = keep,
        (Some(p), Some(bg), _) => {
            b.colors = Some(Colors {
                primary: p.clone(),
                page_background: bg.clone(),
            })
        }
        (p, bg, Some(old)) => {
            b.colors = Some(Colors {
                primary: p.clone().unwrap_or(old.primary),
                page_background: bg.clone().unwrap_or(old.page_background),
            })
        }
        (_, _, None) => return Err(ValidationError::ColoursIncomplete),
    }
    orgpass_admin::validate::branding(&b, tenant)?;
    Ok(Some(b))
}

fn read_secret_input() -> Result<ClientSecret, CliError> {
    let stdin = std::io::stdin();
    let s = if stdin.is_terminal() {
        ClientSecret::new(
            rpassword::prompt_password("Client secret (input hidden): ").map_err(|e| {
                CliError::Usage(format!("could not read the secret from the terminal: {e}"))
            })?,
        )
    } else {
        let mut buf = zeroize::Zeroizing::new(String::new());
        stdin.lock().read_to_string(&mut buf)?;
        ClientSecret::new(buf.as_str())
    };
    if s.is_empty() {
        return Err(CliError::Usage("no client secret given".into()));
    }
    Ok(s)
}

async fn run(cli: Cli) -> Result<(), CliError> {
    let out = Out { json: cli.json };
    let conc = cli.concurrency.max(1);
    match &cli.command {
        Command::Auth(AuthCmd::Login) => {
            let t = tenant(&cli)?;
            let id = client_id(&cli)?.to_owned();
            let secret = read_secret_input()?;
            let stored = ClientSecret::new(secret.secret());
            let c = build_client(&cli, t.clone(), &id, secret)?;
            // Check the secret with the tenant before storing it: a new token, never one cached by an earlier login.
            let tok = c.tokens().fetch_new().await?;
            let key = keychain::secret_key(&t, &id);
            blocking(move || OsKeychain.set(&key, stored.secret())).await?;
            out.done(
                &serde_json::json!({"stored": true, "client_id": id, "domain": t.key(), "scopes": tok.scopes}),
                format!(
                    "Stored the client secret for {id} at {} in the OS keychain.\nGranted scopes: {}",
                    t.key(),
                    tok.scopes.join(" ")
                ),
            )
        }
        Command::Auth(AuthCmd::Status) => {
            let t = tenant(&cli)?;
            let id = client_id(&cli)?.to_owned();
            let (secret, source) = load_secret(&t, &id).await?;
            let c = build_client(&cli, t.clone(), &id, secret)?;
            let tok = c.tokens().get().await?;
            let secs = tok
                .expires_at
                .duration_since(SystemTime::now())
                .unwrap_or_default()
                .as_secs();
            let source = match source {
                SecretSource::Env => SECRET_ENV,
                SecretSource::Keychain => "OS keychain",
            };
            if cli.json {
                out.json(&serde_json::json!({
                    "domain": t.key(), "client_id": id, "audience": t.audience(), "secret_from": source,
                    "scopes": tok.scopes, "token_expires_in_secs": secs,
                }))
            } else {
                out.line(format!(
                    "Tenant:     {}\nClient id:  {id}\nAudience:   {}\nSecret:     from {source}\nToken:      valid for {}m\nScopes:     {}",
                    t.key(),
                    t.audience(),
                    secs / 60,
                    if tok.scopes.is_empty() { "(none)".to_owned() } else { tok.scopes.join("\n            ") }
                ))
            }
        }
        Command::Auth(AuthCmd::Logout) => {
            let t = tenant(&cli)?;
            let id = client_id(&cli)?.to_owned();
            let keys = [
                keychain::secret_key(&t, &id),
                keychain::token_key(&t, &id),
                keychain::legacy_token_key(&t, &id),
            ];
            blocking(move || keys.iter().try_for_each(|k| OsKeychain.delete(k))).await?;
            out.done(
                &serde_json::json!({"removed": true}),
                "Removed the stored client secret and token.",
            )
        }
        Command::Connections(ConnectionsCmd::List { strategy }) => {
            let c = client(&cli).await?;
            let list = c.list_connections(strategy.as_deref()).await?;
            let rows = list
                .iter()
                .map(|x| {
                    vec![
                        x.id.clone(),
                        x.name.clone(),
                        x.strategy.clone(),
                        x.display_name.clone().unwrap_or_default(),
                    ]
                })
                .collect();
            out.show(&list, &["ID", "NAME", "STRATEGY", "DISPLAY NAME"], rows)
        }
        Command::Orgs(cmd) => orgs(&cli, &out, cmd).await,
        Command::Apply {
            file,
            dry_run,
            prune,
        } => {
            let desired = DesiredState::read(file)?;
            let c = client(&cli).await?;
            let pb = progress(&cli);
            let plan = apply::plan(&c, &desired, *prune, conc, &pb).await?;
            pb.finish_and_clear();
            if !cli.json {
                out.line(plan.to_string())?;
            }
            if *dry_run || plan.is_noop() {
                if cli.json {
                    out.json(&serde_json::json!({"plan": plan, "counts": plan.counts(), "applied": false}))?;
                } else if plan.is_noop() && !*dry_run {
                    out.line("Nothing to do.")?;
                }
                return Ok(());
            }
            let pb = progress(&cli);
            let report = apply::execute(&c, &plan, conc, &pb).await;
            pb.finish_and_clear();
            if cli.json {
                out.json(&serde_json::json!({"plan": plan, "counts": plan.counts(), "applied": true, "report": report}))?;
            } else {
                for f in &report.failures {
                    out.line(format!("failed {}: {}", f.name, f.error))?;
                }
                out.line(format!(
                    "Applied in {:.1}s: {} requests ({} rate-limited and waited, {} retried), {} failed.",
                    report.elapsed_secs,
                    report.stats.requests,
                    report.stats.rate_limited,
                    report.stats.retried,
                    report.failures.len()
                ))?;
            }
            if report.failures.is_empty() {
                Ok(())
            } else {
                Err(CliError::Partial(report.failures.len()))
            }
        }
        Command::Export { output, format } => {
            let c = client(&cli).await?;
            let pb = progress(&cli);
            let state = apply::export(&c, conc, &pb).await?;
            pb.finish_and_clear();
            match output {
                Some(path) => {
                    let f = Format::from_path(path).ok_or_else(|| {
                        CliError::Usage(format!(
                            "{}: name the file *.toml, *.yaml or *.yml",
                            path.display()
                        ))
                    })?;
                    std::fs::write(path, state.render(f)?)?;
                    out.done(
                        &serde_json::json!({"written": path, "organizations": state.organizations.len()}),
                        format!("Wrote {} organization(s) to {}", state.organizations.len(), path.display()),
                    )
                }
                None => {
                    let f = if format == "yaml" {
                        Format::Yaml
                    } else {
                        Format::Toml
                    };
                    write!(std::io::stdout().lock(), "{}", state.render(f)?)?;
                    Ok(())
                }
            }
        }
    }
}

async fn orgs(cli: &Cli, out: &Out, cmd: &OrgsCmd) -> Result<(), CliError> {
    let c = client(cli).await?;
    match cmd {
        OrgsCmd::List { page, per_page } => {
            let list = match page {
                Some(p) => {
                    c.list_organizations_page(*p, (*per_page).clamp(1, 100))
                        .await?
                }
                None => c.list_organizations().await?,
            };
            out.show(&list, ORG_HEADERS, org_rows(&list))
        }
        OrgsCmd::Get { org } => {
            let o = c.resolve_organization(org).await?;
            if out.json {
                return out.json(&o);
            }
            let b = o.branding.clone().unwrap_or_default();
            let mut rows = vec![
                vec!["id".into(), o.id.clone()],
                vec!["name".into(), o.name.clone()],
                vec![
                    "display_name".into(),
                    o.display_name.clone().unwrap_or_default(),
                ],
                vec!["logo_url".into(), b.logo_url.clone().unwrap_or_default()],
                vec![
                    "primary".into(),
                    b.colors
                        .as_ref()
                        .map(|c| c.primary.clone())
                        .unwrap_or_default(),
                ],
                vec![
                    "page_background".into(),
                    b.colors
                        .as_ref()
                        .map(|c| c.page_background.clone())
                        .unwrap_or_default(),
                ],
            ];
            for (k, v) in o.metadata.clone().unwrap_or_default() {
                rows.push(vec![format!("metadata.{k}"), v]);
            }
            out.table(&["FIELD", "VALUE"], rows)
        }
        OrgsCmd::Create {
            name,
            fields,
            connections,
        } => {
            let metadata: BTreeMap<String, String> = fields.metadata.iter().cloned().collect();
            let mut enabled = Vec::new();
            for conn in connections {
                let found = c.resolve_connection(conn).await?;
                enabled.push(ConnectionSettings {
                    connection_id: found.id,
                    assign_membership_on_login: false,
                    show_as_button: None,
                    is_signup_enabled: None,
                });
            }
            let new = NewOrganization {
                name: name.clone(),
                display_name: fields.display_name.clone(),
                branding: branding_from(fields, None, c.tenant())?,
                metadata: (!metadata.is_empty()).then_some(metadata),
                enabled_connections: enabled,
            };
            let o = c.create_organization(&new).await?;
            out.done(&o, format!("Created organization {} ({})", o.name, o.id))
        }
        OrgsCmd::Update {
            org,
            name,
            fields,
            remove_metadata,
            clear_logo,
        } => {
            let current = c.resolve_organization(org).await?;
            let mut update = OrganizationUpdate {
                name: name.clone(),
                display_name: fields.display_name.clone(),
                branding: branding_from(fields, current.branding.clone(), c.tenant())?,
                metadata: None,
            };
            if *clear_logo {
                let mut b = update
                    .branding
                    .take()
                    .or(current.branding.clone())
                    .unwrap_or_default();
                b.logo_url = None;
                update.branding = Some(b);
            }
            if !fields.metadata.is_empty() || !remove_metadata.is_empty() {
                let mut m: BTreeMap<String, String> = current.metadata.clone().unwrap_or_default();
                for (k, v) in &fields.metadata {
                    m.insert(k.clone(), v.clone());
                }
                for k in remove_metadata {
                    m.remove(k);
                }
                update.metadata = Some(m);
            }
            if update.is_empty() {
                return Err(CliError::Usage(
                    "nothing to update: pass --display-name, --logo-url, --metadata, …".into(),
                ));
            }
            let o = c.update_organization(&current.id, &update).await?;
            out.done(&o, format!("Updated organization {} ({})", o.name, o.id))
        }
        OrgsCmd::Delete { org } => {
            let o = c.resolve_organization(org).await?;
            c.delete_organization(&o.id).await?;
            out.done(
                &serde_json::json!({"deleted": o.id, "name": o.name}),
                format!("Deleted organization {} ({})", o.name, o.id),
            )
        }
        OrgsCmd::Connections(sub) => org_connections(&c, out, sub).await,
        OrgsCmd::Members(sub) => members(&c, out, sub).await,
        OrgsCmd::Invitations(sub) => invitations(&c, out, sub).await,
    }
}

async fn org_connections(
    c: &ManagementClient,
    out: &Out,
    cmd: &OrgConnectionsCmd,
) -> Result<(), CliError> {
    match cmd {
        OrgConnectionsCmd::List { org } => {
            let o = c.resolve_organization(org).await?;
            let list = c.list_enabled_connections(&o.id).await?;
            let all = c.connections_cached().await?;
            let rows = list
                .iter()
                .map(|e| {
                    let name = all
                        .iter()
                        .find(|x| x.id == e.connection_id)
                        .map(|x| x.name.clone())
                        .or(e.connection.as_ref().map(|x| x.name.clone()))
                        .unwrap_or_default();
                    let b =
                        |v: Option<bool>| v.map(|v| v.to_string()).unwrap_or_else(|| "-".into());
                    vec![
                        e.connection_id.clone(),
                        name,
                        e.assign_membership_on_login.to_string(),
                        b(e.show_as_button),
                        b(e.is_signup_enabled),
                    ]
                })
                .collect();
            out.show(
                &list,
                &[
                    "CONNECTION ID",
                    "NAME",
                    "ASSIGN ON LOGIN",
                    "BUTTON",
                    "SIGNUP",
                ],
                rows,
            )
        }
        OrgConnectionsCmd::Enable {
            org,
            connection,
            flags,
        } => {
            let (o, conn) = org_and_connection_for(c, org, connection, flags).await?;
            let s = ConnectionSettings {
                connection_id: conn.id.clone(),
                assign_membership_on_login: flags.assign_membership_on_login.unwrap_or(false),
                show_as_button: flags.show_as_button,
                is_signup_enabled: flags.is_signup_enabled,
            };
            let e = c.enable_connection(&o.id, &s).await?;
            out.done(&e, format!("Enabled {} for {}", conn.name, o.name))
        }
        OrgConnectionsCmd::Update {
            org,
            connection,
            flags,
        } => {
            let (o, conn) = org_and_connection_for(c, org, connection, flags).await?;
            let u = ConnectionSettingsUpdate {
                assign_membership_on_login: flags.assign_membership_on_login,
                show_as_button: flags.show_as_button,
                is_signup_enabled: flags.is_signup_enabled,
            };
            if u == ConnectionSettingsUpdate::default() {
                return Err(CliError::Usage(
                    "nothing to update: pass --assign-membership-on-login, --show-as-button or --is-signup-enabled".into(),
                ));
            }
            let e = c.update_enabled_connection(&o.id, &conn.id, &u).await?;
            out.done(&e, format!("Updated {} for {}", conn.name, o.name))
        }
        OrgConnectionsCmd::Disable { org, connection } => {
            let (o, conn) = org_and_connection(c, org, connection).await?;
            c.disable_connection(&o.id, &conn.id).await?;
            out.done(
                &serde_json::json!({"disabled": conn.id, "organization": o.id}),
                format!("Disabled {} for {}", conn.name, o.name),
            )
        }
    }
}

/// The organization and the connection named on the command line (each by id or name), in that order.
async fn org_and_connection(
    c: &ManagementClient,
    org: &str,
    connection: &str,
) -> Result<(Organization, Connection), CliError> {
    let o = c.resolve_organization(org).await?;
    let conn = c.resolve_connection(connection).await?;
    Ok((o, conn))
}

/// [`org_and_connection`], checked that `flags` may enable signup for this connection's strategy.
async fn org_and_connection_for(
    c: &ManagementClient,
    org: &str,
    connection: &str,
    flags: &ConnFlags,
) -> Result<(Organization, Connection), CliError> {
    let (o, conn) = org_and_connection(c, org, connection).await?;
    orgpass_admin::validate::signup_strategy(&conn.name, &conn.strategy, flags.is_signup_enabled)?;
    Ok((o, conn))
}

async fn members(c: &ManagementClient, out: &Out, cmd: &MembersCmd) -> Result<(), CliError> {
    match cmd {
        MembersCmd::List { org } => {
            let o = c.resolve_organization(org).await?;
            let list = c.list_members(&o.id).await?;
            let rows = list
                .iter()
                .map(|m| {
                    vec![
                        m.user_id.clone(),
                        m.email.clone().unwrap_or_default(),
                        m.name.clone().unwrap_or_default(),
                    ]
                })
                .collect();
            out.show(&list, &["USER ID", "EMAIL", "NAME"], rows)
        }
        MembersCmd::Add { org, user_ids } => {
            let o = c.resolve_organization(org).await?;
            c.add_members(&o.id, user_ids).await?;
            out.done(
                &serde_json::json!({"added": user_ids, "organization": o.id}),
                format!("Added {} member(s) to {}", user_ids.len(), o.name),
            )
        }
        MembersCmd::Remove { org, user_ids } => {
            let o = c.resolve_organization(org).await?;
            c.remove_members(&o.id, user_ids).await?;
            out.done(
                &serde_json::json!({"removed": user_ids, "organization": o.id}),
                format!("Removed {} member(s) from {}", user_ids.len(), o.name),
            )
        }
    }
}

async fn invitations(
    c: &ManagementClient,
    out: &Out,
    cmd: &InvitationsCmd,
) -> Result<(), CliError> {
    match cmd {
        InvitationsCmd::Create {
            org,
            email,
            inviter,
            app_client_id,
            connection,
            ttl,
            roles,
            send_email,
        } => {
            let o = c.resolve_organization(org).await?;
            let connection_id = match connection {
                Some(x) => Some(c.resolve_connection(x).await?.id),
                None => None,
            };
            let inv = NewInvitation {
                inviter: Inviter {
                    name: inviter.clone(),
                },
                invitee: Invitee {
                    email: email.clone(),
                },
                client_id: app_client_id.clone(),
                connection_id,
                ttl_sec: *ttl,
                roles: roles.clone(),
                send_invitation_email: *send_email,
            };
            let created = c.create_invitation(&o.id, &inv).await?;
            out.done(&created, &created.invitation_url)
        }
        InvitationsCmd::List { org } => {
            let o = c.resolve_organization(org).await?;
            let list = c.list_invitations(&o.id).await?;
            let rows = list
                .iter()
                .map(|i| {
                    vec![
                        i.id.clone(),
                        i.invitee.email.clone(),
                        i.inviter.name.clone(),
                        i.expires_at.clone(),
                    ]
                })
                .collect();
            out.show(&list, &["ID", "INVITEE", "INVITER", "EXPIRES"], rows)
        }
        InvitationsCmd::Revoke { org, invitation_id } => {
            let o = c.resolve_organization(org).await?;
            c.revoke_invitation(&o.id, invitation_id).await?;
            out.done(
                &serde_json::json!({"revoked": invitation_id, "organization": o.id}),
                format!("Revoked invitation {invitation_id} of {}", o.name),
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_align() {
        let t = render_table(
            &["A", "BB"],
            &[vec!["xxx".into(), "y".into()], vec!["z".into(), "w".into()]],
        );
        assert_eq!(t, "A    BB\nxxx  y\nz    w");
        assert_eq!(render_table(&["A"], &[]), "A\n(none)");
    }

    #[test]
    fn cli_parses() {
        use clap::CommandFactory as _;
        Cli::command().debug_assert();
        assert!(
            Cli::try_parse_from([
                "orgpass-admin",
                "orgs",
                "create",
                "acme",
                "--client-secret",
                "x"
            ])
            .is_err()
        );
    }

    #[test]
    fn branding_from_flags() {
        let f = |logo: Option<&str>, p: Option<&str>, bg: Option<&str>| OrgFields {
            display_name: None,
            logo_url: logo.map(Into::into),
            primary_color: p.map(Into::into),
            page_background_color: bg.map(Into::into),
            metadata: vec![],
        };
        let auth0 = Tenant::parse("acme.eu.auth0.com").unwrap();
        let dev = Tenant::parse("http://127.0.0.1:4000").unwrap();
        assert_eq!(branding_from(&f(None, None, None), None, &auth0), Ok(None));
        assert_eq!(
            branding_from(&f(None, Some("#000"), None), None, &auth0),
            Err(ValidationError::ColoursIncomplete)
        );
        let old = Branding {
            logo_url: None,
            colors: Some(Colors {
                primary: "#111".into(),
                page_background: "#222".into(),
            }),
        };
        let b = branding_from(
            &f(Some("https://x.example/l.png"), Some("#333"), None),
            Some(old),
            &auth0,
        )
        .unwrap()
        .unwrap();
        assert_eq!(
            b.colors.unwrap(),
            Colors {
                primary: "#333".into(),
                page_background: "#222".into()
            }
        );
        assert!(
            branding_from(&f(Some("http://x.example/l.png"), None, None), None, &auth0).is_err()
        );
        let local_logo = f(Some("http://127.0.0.1:4000/branding/acme.svg"), None, None);
        assert!(branding_from(&local_logo, None, &auth0).is_err());
        assert!(branding_from(&local_logo, None, &dev).unwrap().is_some());
    }
}
