//! The request engine: bearer token, concurrency limit, rate-limit pacing per endpoint group, retries with
//! backoff and jitter, redirects never followed, and Auth0 error answers mapped to [`AdminError`].

mod pace;
mod request;
mod retry;
mod stats;

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use reqwest::StatusCode;
use serde::de::DeserializeOwned;

use crate::token::TokenProvider;
use crate::{AdminError, Tenant};

pub use pace::Bucket;
use pace::Pacer;
pub(crate) use pace::reset_wait;
pub(crate) use request::{Req, redirect_error};
use request::{map_client_error, parse_error};
pub(crate) use retry::backoff;
pub use retry::{RetryPolicy, Safety};
pub use stats::{Stats, StatsSnapshot};

/// A typed Auth0 Management API client. Cheap to clone; clones share the token, the pacing and the counters.
#[derive(Clone)]
pub struct ManagementClient {
    pub(crate) inner: Arc<Inner>,
}

pub(crate) struct Inner {
    pub http: orgpass_net::Http,
    pub tenant: Tenant,
    pub tokens: TokenProvider,
    pub retry: RetryPolicy,
    pub permits: tokio::sync::Semaphore,
    pacer: Pacer,
    pub stats: Stats,
    pub connections: tokio::sync::OnceCell<Vec<crate::model::Connection>>,
}

/// Builds a [`ManagementClient`].
pub struct ClientBuilder {
    tenant: Tenant,
    client_id: String,
    secret: crate::Secret,
    store: Option<Arc<dyn crate::keychain::SecretBackend>>,
    retry: RetryPolicy,
    concurrency: usize,
    network: Option<orgpass_net::Network>,
}

impl ClientBuilder {
    /// What the client trusts and which proxies it uses (default: the OS trust store and the environment's
    /// proxies, see [`orgpass_net::Network::from_env`]).
    pub fn network(mut self, network: orgpass_net::Network) -> Self {
        self.network = Some(network);
        self
    }
    /// The keychain (or any store) in which tokens are cached between runs.
    pub fn token_store(mut self, store: Arc<dyn crate::keychain::SecretBackend>) -> Self {
        self.store = Some(store);
        self
    }
    /// Retry and timeout settings.
    pub fn retry(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }
    /// Most requests in flight at once (default 8).
    pub fn concurrency(mut self, n: usize) -> Self {
        self.concurrency = n.max(1);
        self
    }
    /// The client.
    pub fn build(self) -> Result<ManagementClient, AdminError> {
        let network = self
            .network
            .unwrap_or_else(|| orgpass_net::Network::from_env(None));
        let builder = network
            .client_builder()
            // Never follow a redirect: reqwest's default policy re-sends the body on 307/308 (for the token
            // request, the client secret) and follows https to http. A 3xx is an error, see `redirect_error`.
            .redirect(reqwest::redirect::Policy::none())
            .timeout(self.retry.timeout)
            .connect_timeout(Duration::from_secs(10))
            .user_agent(concat!("orgpass-admin/", env!("CARGO_PKG_VERSION")))
            .pool_max_idle_per_host(self.concurrency.max(8));
        let http = network
            .http(builder)
            .map_err(|e| AdminError::Config(e.to_string()))?;
        let tokens = TokenProvider::new(
            http.clone(),
            self.tenant.clone(),
            self.client_id,
            self.secret,
            self.store,
        );
        Ok(ManagementClient {
            inner: Arc::new(Inner {
                http,
                tenant: self.tenant,
                tokens,
                retry: self.retry,
                permits: tokio::sync::Semaphore::new(self.concurrency),
                pacer: Pacer::default(),
                stats: Stats::default(),
                connections: tokio::sync::OnceCell::new(),
            }),
        })
    }
}

impl ManagementClient {
    /// Starts a client for `tenant` with the M2M application's credentials.
    pub fn builder(
        tenant: Tenant,
        client_id: impl Into<String>,
        secret: crate::Secret,
    ) -> ClientBuilder {
        ClientBuilder {
            tenant,
            client_id: client_id.into(),
            secret,
            store: None,
            retry: RetryPolicy::default(),
            concurrency: 8,
            network: None,
        }
    }

    /// The tenant this client talks to.
    pub fn tenant(&self) -> &Tenant {
        &self.inner.tenant
    }

    /// The token provider (for `auth status`).
    pub fn tokens(&self) -> &TokenProvider {
        &self.inner.tokens
    }

    /// Request counters so far.
    pub fn stats(&self) -> StatsSnapshot {
        self.inner.stats.snapshot()
    }

    /// Sends `req` and decodes a JSON answer.
    pub(crate) async fn call<T: DeserializeOwned>(&self, req: Req) -> Result<T, AdminError> {
        let what = req.what.clone();
        let (_, body) = self.send(req).await?;
        serde_json::from_slice(&body).map_err(|e| AdminError::Decode {
            what,
            cause: e.to_string(),
        })
    }

    /// Sends `req`, ignoring the body of a 2xx answer.
    pub(crate) async fn call_empty(&self, req: Req) -> Result<(), AdminError> {
        self.send(req).await.map(|_| ())
    }

    /// The engine: pacing, token, retries, error mapping.
    pub(crate) async fn send(
        &self,
        req: Req,
    ) -> Result<(StatusCode, bytes_alias::Bytes), AdminError> {
        let inner = &self.inner;
        let url = inner.tenant.api_url(&req.path);
        let mut failures = 0u32;
        let mut limited = 0u32;
        let mut refreshed = false;
        loop {
            // The bucket's token first, so a request waiting for its bucket does not hold a permit other buckets need.
            let ticket = inner.pacer.admit(req.bucket).await;
            let _permit = inner
                .permits
                .acquire()
                .await
                .expect("semaphore never closed");
            let token = inner.tokens.get().await?;
            let mut rb = inner
                .http
                .request(req.method.clone(), url.clone())
                .bearer_auth(token.token.secret());
            if !req.query.is_empty() {
                rb = rb.query(&req.query);
            }
            if let Some(b) = &req.body {
                rb = rb.json(b);
            }
            inner.stats.requests.fetch_add(1, Ordering::Relaxed);
            let outcome = match rb.send().await {
                Ok(resp) => {
                    let status = resp.status();
                    let headers = resp.headers().clone();
                    match resp.bytes().await {
                        Ok(body) => Ok((status, headers, body)),
                        Err(e) => Err(e),
                    }
                }
                Err(e) => Err(e),
            };
            drop(_permit);
            let (status, headers, body) = match outcome {
                Ok(x) => x,
                Err(e) => {
                    // No answer: the request leaves the bucket's in-flight count before any backoff.
                    drop(ticket);
                    let net = self.inner.http.explain(&e);
                    if crate::token::permanent(&net) {
                        // Refused before anything was sent: not ambiguous, and not worth a retry.
                        return Err(AdminError::Transport {
                            what: req.what.clone(),
                            cause: net.to_string(),
                        });
                    }
                    failures += 1;
                    let cause = net.to_string();
                    self.retry_unknown_outcome(&req, failures, cause, |what, cause| {
                        AdminError::Transport { what, cause }
                    })
                    .await?;
                    continue;
                }
            };
            self.answered(ticket, status, &headers, limited);
            if status == StatusCode::TOO_MANY_REQUESTS {
                inner.stats.rate_limited.fetch_add(1, Ordering::Relaxed);
                limited += 1;
                if limited >= inner.retry.max_rate_limited_attempts {
                    return Err(AdminError::RateLimited {
                        what: req.what,
                        attempts: limited,
                    });
                }
                continue;
            }
            if status == StatusCode::UNAUTHORIZED && !refreshed {
                refreshed = true;
                inner.stats.token_refreshes.fetch_add(1, Ordering::Relaxed);
                inner.tokens.invalidate(&token.token).await;
                continue;
            }
            if status.is_server_error() {
                failures += 1;
                self.retry_unknown_outcome(&req, failures, format!("{status}"), |what, _| {
                    let e = parse_error(&body);
                    AdminError::Api {
                        what,
                        status: status.as_u16(),
                        error_code: e.error_code.or(e.error).unwrap_or_default(),
                        message: e
                            .message
                            .unwrap_or_else(|| "server error; retry later".into()),
                    }
                })
                .await?;
                continue;
            }
            if status.is_redirection() {
                return Err(redirect_error(
                    req.what,
                    &req.method,
                    &url,
                    status,
                    &headers,
                ));
            }
            if status.is_success() {
                inner.stats.succeeded.fetch_add(1, Ordering::Relaxed);
                return Ok((status, body.to_vec()));
            }
            return Err(map_client_error(&req, status, &body));
        }
    }
}

mod bytes_alias {
    pub type Bytes = Vec<u8>;
}
