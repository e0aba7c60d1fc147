//! The machine-to-machine credentials: which tenant and client id, the client secret (from the environment or the OS
//! keychain, never from an argument), the authenticated client, and `auth login`, `auth status`, `auth logout`.

use std::io::{IsTerminal as _, Read as _};
use std::sync::Arc;
use std::time::SystemTime;

use orgpass_admin::keychain::{self, SecretBackend as _};
use orgpass_admin::{AdminError, ManagementClient, Secret, Tenant};

use super::CliError;
use super::args::{AuthCmd, Cli};
use super::output::Out;

/// Environment variable with the client secret, for CI (never pass it as an argument).
const SECRET_ENV: &str = "ORGPASS_ADMIN_CLIENT_SECRET";

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

async fn load_secret(t: &Tenant, id: &str) -> Result<(Secret, SecretSource), CliError> {
    if let Ok(v) = std::env::var(SECRET_ENV) {
        let s = Secret::trimmed(v);
        if !s.is_empty() {
            return Ok((s, SecretSource::Env));
        }
    }
    let key = keychain::secret_key(t, id);
    let found = blocking(move || keychain::os()?.get(&key))
        .await
        .map_err(|e| CliError::Usage(format!("cannot read the client secret: {e}")))?;
    match found {
        Some(v) => Ok((Secret::trimmed(v), SecretSource::Keychain)),
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
    secret: Secret,
) -> Result<ManagementClient, CliError> {
    let ca = cli
        .ca_file
        .as_deref()
        .map(orgpass_net::CaBundle::load)
        .transpose()
        .map_err(|e| CliError::Usage(e.to_string()))?;
    let mut b = ManagementClient::builder(t, id, secret)
        .concurrency(cli.concurrency)
        .network(orgpass_net::Network::from_env(ca));
    if !cli.no_token_cache {
        // The token cache is an optimisation: without a keychain the token is fetched per run.
        match keychain::os() {
            Ok(os) => b = b.token_store(Arc::new(os)),
            Err(e) => tracing::debug!(error = %e, "no token cache: the OS keychain is unavailable"),
        }
    }
    Ok(b.build()?)
}

/// The Management API client for the tenant, client id and stored (or `ORGPASS_ADMIN_CLIENT_SECRET`) secret.
pub(super) async fn client(cli: &Cli) -> Result<ManagementClient, CliError> {
    let t = tenant(cli)?;
    let id = client_id(cli)?;
    let (secret, _) = load_secret(&t, id).await?;
    build_client(cli, t, id, secret)
}

fn read_secret_input() -> Result<Secret, CliError> {
    let stdin = std::io::stdin();
    let s = if stdin.is_terminal() {
        Secret::trimmed(
            rpassword::prompt_password("Client secret (input hidden): ").map_err(|e| {
                CliError::Usage(format!("could not read the secret from the terminal: {e}"))
            })?,
        )
    } else {
        let mut buf = zeroize::Zeroizing::new(String::new());
        stdin.lock().read_to_string(&mut buf)?;
        Secret::trimmed(buf.as_str())
    };
    if s.is_empty() {
        return Err(CliError::Usage("no client secret given".into()));
    }
    Ok(s)
}

/// `auth login`, `auth status`, `auth logout`.
pub(super) async fn auth(cli: &Cli, out: &Out, cmd: &AuthCmd) -> Result<(), CliError> {
    match cmd {
        AuthCmd::Login => {
            let t = tenant(cli)?;
            let id = client_id(cli)?.to_owned();
            let secret = read_secret_input()?;
            let stored = Secret::trimmed(secret.secret());
            let c = build_client(cli, t.clone(), &id, secret)?;
            // Check the secret with the tenant before storing it: a new token, never one cached by an earlier login.
            let tok = c.tokens().fetch_new().await?;
            let key = keychain::secret_key(&t, &id);
            blocking(move || keychain::os()?.set(&key, stored.secret())).await?;
            out.done(
                &serde_json::json!({"stored": true, "client_id": id, "domain": t.key(), "scopes": tok.scopes}),
                format!(
                    "Stored the client secret for {id} at {} in the OS keychain.\nGranted scopes: {}",
                    t.key(),
                    tok.scopes.join(" ")
                ),
            )
        }
        AuthCmd::Status => {
            let t = tenant(cli)?;
            let id = client_id(cli)?.to_owned();
            let (secret, source) = load_secret(&t, &id).await?;
            let c = build_client(cli, t.clone(), &id, secret)?;
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
        AuthCmd::Logout => {
            let t = tenant(cli)?;
            let id = client_id(cli)?.to_owned();
            let keys = [
                keychain::secret_key(&t, &id),
                keychain::token_key(&t, &id),
                keychain::legacy_token_key(&t, &id),
            ];
            blocking(move || {
                let os = keychain::os()?;
                keys.iter()
                    .try_for_each(|k| orgpass_keychain::delete_chunked(&os, k).map(drop))
            })
            .await?;
            out.done(
                &serde_json::json!({"removed": true}),
                "Removed the stored client secret and token.",
            )
        }
    }
}
