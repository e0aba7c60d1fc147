//! devtenant: a local Auth0-Organizations-compatible tenant (Authentication API, Universal Login pages,
//! Management API, fault injection) for development, demos and tests. It binds loopback only.
//!
//! Use [`spawn`] in tests, [`app`] for in-process `oneshot` tests, and the `devtenant serve` binary by hand.

pub mod authn;
pub mod client_grants;
pub mod domains;
pub mod error;
pub mod faults;
pub mod generate;
pub mod keys;
pub mod mgmt;
mod pages;
mod private;
#[cfg(feature = "testing")]
pub mod proxy;
pub mod ratelimit;
#[cfg(test)]
mod router_tests;
pub mod seed;
pub mod sso;
pub mod store;
#[cfg(feature = "testing")]
pub mod testing;
pub mod tls;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard};

use axum::Router;
use axum::routing::get;
use tokio::sync::oneshot;
use url::Url;

pub use seed::{Seed, SeedError};
pub use store::{Secret, StoreError, Tenant};

/// The demo seed's native (public) client id.
pub const DEMO_NATIVE_CLIENT_ID: &str = "orgpass-desktop";
/// The demo seed's M2M client id.
pub const DEMO_M2M_CLIENT_ID: &str = "orgpass-admin";
/// The demo seed's M2M client secret.
pub const DEMO_M2M_CLIENT_SECRET: &str = "demo-admin-secret-change-me";
/// The demo seed's M2M client for the company API (Acme's, per organization).
pub const DEMO_INGEST_CLIENT_ID: &str = "orgpass-ingest";
/// Its secret.
pub const DEMO_INGEST_CLIENT_SECRET: &str = "demo-ingest-secret-change-me";
/// Its client grant on the company API (`organization_usage: require`, associated with Acme only).
pub const DEMO_INGEST_GRANT_ID: &str = "cgr_IngestAcmeProj01";

/// UNIX seconds now.
pub fn now_unix() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

/// RFC 3339 timestamp now (millisecond precision, `Z`), as Auth0 prints dates.
pub fn now_rfc3339() -> String {
    rfc3339(now_unix())
}

/// RFC 3339 for UNIX seconds.
pub fn rfc3339(unix: i64) -> String {
    let t =
        time::OffsetDateTime::from_unix_timestamp(unix).unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    let f = time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].000Z");
    t.format(&f).unwrap_or_default()
}

/// Shared server state: the issuer, the admin secret and the tenant behind a mutex (never held across `.await`).
#[derive(Clone)]
pub struct AppState(Arc<Inner>);

struct Inner {
    issuer: Url,
    admin_secret: Secret,
    tenant: Mutex<Tenant>,
}

impl AppState {
    /// `issuer` must end with `/` (e.g. `http://127.0.0.1:4000/`).
    pub fn new(issuer: Url, tenant: Tenant, admin_secret: Secret) -> Self {
        Self(Arc::new(Inner {
            issuer,
            admin_secret,
            tenant: Mutex::new(tenant),
        }))
    }

    /// Locks the tenant. Recovers from a poisoned lock (a panicking handler must not take the server down).
    pub fn lock(&self) -> MutexGuard<'_, Tenant> {
        self.0.tenant.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn issuer(&self) -> &Url {
        &self.0.issuer
    }

    /// The issuer as Auth0 prints it (`https://tenant.auth0.com/`, here `http://127.0.0.1:PORT/`).
    pub fn issuer_str(&self) -> &str {
        self.0.issuer.as_str()
    }

    /// `urn:<tenant domain>:session_transfer`, the audience a refresh asks for to get a session transfer token.
    pub fn session_transfer_audience(&self) -> String {
        let host = self.0.issuer.host_str().unwrap_or_default();
        match self.0.issuer.port() {
            Some(p) => format!("urn:{host}:{p}:session_transfer"),
            None => format!("urn:{host}:session_transfer"),
        }
    }

    /// `{issuer}api/v2/`.
    pub fn management_audience(&self) -> String {
        format!("{}api/v2/", self.issuer_str())
    }

    /// True for `{issuer}api/v2/` and `https://{host}/api/v2/`.
    pub fn is_management_audience(&self, audience: &str) -> bool {
        let host = self.0.issuer.host_str().unwrap_or_default();
        let host_port = match self.0.issuer.port() {
            Some(p) => format!("{host}:{p}"),
            None => host.to_owned(),
        };
        audience == self.management_audience()
            || audience == format!("https://{host_port}/api/v2/")
            || audience == format!("https://{host}/api/v2/")
    }

    /// Resolves a relative (devtenant-served) logo URL against the issuer.
    pub fn absolute_url(&self, url: &str) -> String {
        if url.starts_with('/') {
            self.0
                .issuer
                .join(url.trim_start_matches('/'))
                .map(|u| u.to_string())
                .unwrap_or_else(|_| url.into())
        } else {
            url.to_owned()
        }
    }

    pub fn admin_secret(&self) -> &Secret {
        &self.0.admin_secret
    }

    /// Saves the state (when `--data` is set), logging instead of failing the request that changed it.
    pub fn persist(&self, tenant: &Tenant) {
        if let Err(e) = tenant.save() {
            tracing::error!(error = %e, "could not save devtenant state");
        }
    }
}

/// The whole HTTP surface.
pub fn app(state: AppState) -> Router {
    Router::new()
        .route("/", get(pages::home))
        .merge(authn::router())
        .nest("/api/v2", mgmt::router(state.clone()))
        .nest("/__devtenant", faults::router())
        .route("/branding/{file}", get(pages::branding_asset))
        .layer(tower::ServiceBuilder::new().layer(axum::middleware::from_fn(log_request)))
        .with_state(state)
}

async fn log_request(
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let (method, path) = (req.method().clone(), req.uri().path().to_owned());
    let response = next.run(req).await;
    tracing::info!(%method, %path, status = response.status().as_u16(), "request");
    response
}

/// Options for [`spawn`].
#[derive(Debug, Default, Clone)]
pub struct SpawnOptions {
    /// Persist state here (atomically) and load it from here when present.
    pub data_dir: Option<PathBuf>,
    /// Use this admin secret instead of a random one.
    pub admin_secret: Option<String>,
    /// Port to bind on 127.0.0.1 (0 or `None` = any free port).
    pub port: Option<u16>,
    /// Serve HTTPS (the issuer becomes `https://…/`) with a certificate from devtenant's CA.
    pub tls: Option<TlsOptions>,
}

/// HTTPS settings for [`spawn`].
#[derive(Debug, Default, Clone)]
pub struct TlsOptions {
    /// Also answer as this host name, which becomes the issuer's (`https://HOST:PORT/`): for tests where a
    /// proxy maps the name to 127.0.0.1, since loopback addresses are never sent through a proxy.
    pub host: Option<String>,
}

/// What a client needs to trust a devtenant serving HTTPS.
#[derive(Debug, Clone)]
pub struct Served {
    /// The CA certificate (PEM); with a data directory it is also `DIR/ca.pem`.
    pub ca_pem: String,
    /// The server certificate's key, as Chromium's `--ignore-certificate-errors-spki-list` takes it.
    pub spki_sha256: String,
}

/// Why devtenant could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("could not bind 127.0.0.1:{port}: {source}; pick another --port or use 0")]
    Bind { port: u16, source: std::io::Error },
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Tls(#[from] tls::TlsError),
}

/// A devtenant serving on loopback in a tokio task. Dropping it (or [`Running::shutdown`]) stops the server.
pub struct Running {
    /// `http://127.0.0.1:PORT/` (with the trailing slash Auth0 issuers have), `https://…` with TLS.
    pub issuer: Url,
    /// With TLS: the CA to trust.
    pub tls: Option<Served>,
    pub addr: SocketAddr,
    /// Secret for the `/__devtenant` fault admin surface (header `x-devtenant-admin-secret`).
    pub admin_secret: Secret,
    pub state: AppState,
    shutdown: Option<oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl std::fmt::Debug for Running {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Running")
            .field("issuer", &self.issuer.as_str())
            .finish_non_exhaustive()
    }
}

impl Running {
    /// The issuer's host:port as an Auth0 "domain".
    pub fn domain(&self) -> String {
        let host = self.issuer.host_str().unwrap_or("127.0.0.1");
        format!("{host}:{}", self.addr.port())
    }

    /// `{issuer}api/v2/`, the Management API audience.
    pub fn management_audience(&self) -> String {
        self.state.management_audience()
    }

    /// Stops serving and waits for the server task to end.
    pub async fn shutdown(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

/// Binds `127.0.0.1:port` (0 = any) and serves `seed` in a background task.
pub async fn spawn(seed: Seed, opts: SpawnOptions) -> Result<Running, StartError> {
    let port = opts.port.unwrap_or(0);
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
        .await
        .map_err(|source| StartError::Bind { port, source })?;
    let addr = listener
        .local_addr()
        .map_err(|source| StartError::Bind { port, source })?;
    let data_dir = opts.data_dir.clone();
    let (issuer, tls) = match &opts.tls {
        None => (format!("http://{addr}/"), None),
        Some(t) => {
            let (dir, host) = (data_dir.clone(), t.host.clone());
            let authority = tokio::task::spawn_blocking(move || match dir {
                Some(dir) => tls::Authority::open(&dir, host.as_deref()),
                None => tls::Authority::generate(host.as_deref()),
            })
            .await
            .expect("certificate task does not panic")?;
            let mut names = vec!["127.0.0.1".to_owned(), "localhost".to_owned()];
            names.extend(t.host.clone());
            let leaf = authority.issue(&names)?;
            let host = t.host.clone().unwrap_or_else(|| addr.ip().to_string());
            let served = Served {
                ca_pem: authority.pem().to_owned(),
                spki_sha256: leaf.spki_sha256.clone(),
            };
            (
                format!("https://{host}:{}/", addr.port()),
                Some((leaf.server_config()?, served)),
            )
        }
    };
    let issuer = Url::parse(&issuer).expect("the issuer URL parses");
    let tenant = tokio::task::spawn_blocking(move || Tenant::open(&seed, data_dir))
        .await
        .expect("key generation task does not panic")?;
    let admin_secret = Secret::new(opts.admin_secret.unwrap_or_else(|| store::random_token(24)));
    let state = AppState::new(issuer.clone(), tenant, admin_secret.clone());
    let (tx, rx) = oneshot::channel::<()>();
    let router = app(state.clone());
    let (task, tls) = match tls {
        None => (
            tokio::spawn(async move {
                let serve = axum::serve(listener, router).with_graceful_shutdown(async move {
                    let _ = rx.await;
                });
                if let Err(e) = serve.await {
                    tracing::error!(error = %e, "devtenant server stopped");
                }
            }),
            None,
        ),
        Some((config, served)) => {
            let std_listener = listener
                .into_std()
                .map_err(|source| StartError::Bind { port, source })?;
            let server = axum_server::from_tcp_rustls(
                std_listener,
                axum_server::tls_rustls::RustlsConfig::from_config(config),
            )
            .map_err(|source| StartError::Bind { port, source })?;
            let handle = axum_server::Handle::new();
            let stop = handle.clone();
            tokio::spawn(async move {
                let _ = rx.await;
                stop.graceful_shutdown(Some(std::time::Duration::from_secs(5)));
            });
            (
                tokio::spawn(async move {
                    if let Err(e) = server
                        .handle(handle)
                        .serve(router.into_make_service())
                        .await
                    {
                        tracing::error!(error = %e, "devtenant server stopped");
                    }
                }),
                Some(served),
            )
        }
    };
    Ok(Running {
        issuer,
        tls,
        addr,
        admin_secret,
        state,
        shutdown: Some(tx),
        task: Some(task),
    })
}
