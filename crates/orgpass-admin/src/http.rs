//! The request engine: bearer token, concurrency limit, rate-limit pacing per endpoint group, retries with
//! backoff and jitter, redirects never followed, and Auth0 error answers mapped to [`AdminError`].

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use rand::Rng as _;
use reqwest::header::HeaderMap;
use reqwest::{Method, StatusCode};
use serde::de::DeserializeOwned;

use crate::error::{Auth0ErrorBody, scope_from_message};
use crate::token::TokenProvider;
use crate::{AdminError, Tenant};

/// How hard to try.
#[derive(Debug, Clone)]
pub struct RetryPolicy {
    /// Attempts for a request that failed with 5xx, a timeout or a reset (idempotent requests only).
    pub max_attempts: u32,
    /// Attempts for a request answered 429 (always safe: the tenant did not run it).
    pub max_rate_limited_attempts: u32,
    /// First backoff step; doubles each attempt, with full jitter.
    pub base_delay: Duration,
    /// Longest backoff step.
    pub max_delay: Duration,
    /// Per-request timeout.
    pub timeout: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 5,
            max_rate_limited_attempts: 60,
            base_delay: Duration::from_millis(200),
            max_delay: Duration::from_secs(10),
            timeout: Duration::from_secs(30),
        }
    }
}

/// Whether a request may be sent again when its outcome is unknown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Safety {
    /// GET, PATCH, DELETE, set-like POSTs: repeating does no harm.
    Idempotent,
    /// A create: repeating could create twice. Unknown outcomes come back as [`AdminError::Ambiguous`].
    NotIdempotent,
}

/// Counters for reports and benchmarks.
#[derive(Debug, Default)]
pub struct Stats {
    /// HTTP requests sent to the Management API (every attempt).
    pub requests: AtomicU64,
    /// Requests that succeeded (2xx).
    pub succeeded: AtomicU64,
    /// Answers with 429.
    pub rate_limited: AtomicU64,
    /// Attempts repeated after 5xx, timeouts or resets.
    pub retried: AtomicU64,
    /// Tokens replaced after a 401.
    pub token_refreshes: AtomicU64,
}

/// A snapshot of [`Stats`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct StatsSnapshot {
    pub requests: u64,
    pub succeeded: u64,
    pub rate_limited: u64,
    pub retried: u64,
    pub token_refreshes: u64,
}

impl Stats {
    /// Current values.
    pub fn snapshot(&self) -> StatsSnapshot {
        let g = |a: &AtomicU64| a.load(Ordering::Relaxed);
        StatsSnapshot {
            requests: g(&self.requests),
            succeeded: g(&self.succeeded),
            rate_limited: g(&self.rate_limited),
            retried: g(&self.retried),
            token_refreshes: g(&self.token_refreshes),
        }
    }
}

/// Auth0's rate-limit buckets (paid B2B plans publish one per group); each gets its own gate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Bucket {
    ReadOrganizations,
    ReadOrganizationById,
    ReadOrganizationByName,
    WriteOrganizations,
    ReadOrganizationConnections,
    WriteOrganizationConnections,
    ReadOrganizationMembers,
    WriteOrganizationMembers,
    ReadConnections,
    Other,
}

/// Client-side pacing of one rate-limit bucket, learned from the tenant's `x-ratelimit-*` headers.
///
/// Auth0's buckets are token buckets: `x-ratelimit-limit` is the burst, `x-ratelimit-remaining` the tokens left,
/// `x-ratelimit-reset` the (whole) UNIX second at which the bucket is full again. While tokens remain, requests go
/// out freely. Once the tenant reports the bucket empty (or answers 429), requests are released one refill interval
/// apart instead of all waiting for the full reset: waiting for a full bucket leaves it idle for burst/rate
/// seconds each time (6–12 s on Auth0's plans) plus the reset's rounding to whole seconds. The refill rate starts
/// from the headers (missing tokens over the time to reset, counted with one extra second so the rounding cannot
/// make it too fast) and then adapts: a little faster while the tenant still reports spare tokens, slower after
/// a 429. Pacing ends when the tenant reports a good part of the burst free again, or the bucket was idle long
/// enough to refill.
#[derive(Debug, Default, Clone, Copy)]
struct Pace {
    /// Estimated refill rate in requests per second; `None` while the tenant sent no usable headers.
    rate: Option<f64>,
    /// The burst (`x-ratelimit-limit`), once seen.
    limit: Option<u64>,
    /// While paced: the earliest instant the next request of this bucket may go out.
    next: Option<Instant>,
}

/// Slowest rate the pacer assumes (one request per minute).
const MIN_RATE: f64 = 1.0 / 60.0;

impl Pace {
    fn interval(&self) -> Duration {
        self.rate
            .map(|r| Duration::from_secs_f64(1.0 / r.max(MIN_RATE)))
            .unwrap_or_default()
    }

    /// Takes the next slot; `None` when unpaced.
    fn take_slot(&mut self, now: Instant) -> Option<Instant> {
        let next = self.next?;
        // Idle for longer than a full refill: the bucket is full again, so the burst is available.
        if let (Some(rate), Some(limit)) = (self.rate, self.limit)
            && now > next + Duration::from_secs_f64(limit as f64 / rate.max(MIN_RATE))
        {
            self.next = None;
            return None;
        }
        let slot = next.max(now);
        self.next = Some(slot + self.interval());
        Some(slot)
    }

    /// Learns from one answer. `sent_paced`: the request went out in a paced slot (a 429 for a request sent
    /// before pacing began says nothing about the pace). `reset_in` is the time until `x-ratelimit-reset`.
    #[allow(clippy::too_many_arguments)]
    fn observe(
        &mut self,
        now: Instant,
        sent_paced: bool,
        limited: bool,
        limit: Option<u64>,
        remaining: Option<u64>,
        reset_in: Option<Duration>,
        fallback: Duration,
    ) {
        if limit.is_some() {
            self.limit = limit;
        }
        // Only from an answer with at least half the burst used: near a full bucket the reset is under a second
        // away and its rounding to whole seconds makes the estimate meaningless.
        if self.rate.is_none()
            && let (Some(l), Some(r), Some(w)) = (limit, remaining, reset_in)
            && l > r
            && (l - r) * 2 >= l
        {
            self.rate = Some(((l - r) as f64 / (w.as_secs_f64() + 1.0)).max(MIN_RATE));
        }
        let paced = self.next.is_some();
        match (limited, remaining) {
            (true, _) => {
                if sent_paced && let Some(r) = self.rate.as_mut() {
                    *r = (*r * 0.95).max(MIN_RATE);
                }
                // One interval from now (or, knowing nothing, a backoff step) before this bucket is used again.
                let wait = if self.rate.is_some() {
                    self.interval()
                } else {
                    fallback
                };
                let until = now + wait;
                self.next = Some(self.next.map_or(until, |n| n.max(until)));
            }
            (false, Some(0)) if !paced => self.next = Some(now + self.interval()),
            (false, Some(spare)) if paced && spare > 0 => {
                let plenty = self.limit.map_or(2, |l| (l / 2).max(2));
                if spare >= plenty {
                    self.next = None;
                } else if let Some(r) = self.rate.as_mut() {
                    *r *= 1.01;
                }
            }
            _ => {}
        }
    }
}

/// The pacing state of every bucket.
#[derive(Debug, Default)]
struct Pacer {
    buckets: Mutex<HashMap<Bucket, Pace>>,
}

impl Pacer {
    /// Waits for this request's turn in `bucket`; true when it was paced.
    async fn wait(&self, bucket: Bucket) -> bool {
        let slot = self
            .buckets
            .lock()
            .expect("poisoned")
            .entry(bucket)
            .or_default()
            .take_slot(Instant::now());
        if let Some(slot) = slot {
            tokio::time::sleep_until(slot.into()).await;
        }
        slot.is_some()
    }

    #[allow(clippy::too_many_arguments)]
    fn observe(
        &self,
        bucket: Bucket,
        sent_paced: bool,
        limited: bool,
        limit: Option<u64>,
        remaining: Option<u64>,
        reset_in: Option<Duration>,
        fallback: Duration,
    ) {
        self.buckets
            .lock()
            .expect("poisoned")
            .entry(bucket)
            .or_default()
            .observe(
                Instant::now(),
                sent_paced,
                limited,
                limit,
                remaining,
                reset_in,
                fallback,
            );
    }
}

/// The time until `x-ratelimit-reset` (UNIX seconds), if the header is there and in the future.
pub(crate) fn reset_wait(headers: &HeaderMap) -> Option<Duration> {
    let reset: f64 = headers
        .get("x-ratelimit-reset")?
        .to_str()
        .ok()?
        .trim()
        .parse()
        .ok()?;
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .ok()?
        .as_secs_f64();
    (reset > now).then(|| Duration::from_secs_f64(reset - now))
}

fn header_u64(headers: &HeaderMap, name: &str) -> Option<u64> {
    headers.get(name)?.to_str().ok()?.trim().parse().ok()
}

/// Exponential backoff with full jitter: a random delay in `[base·2^(n-1) / 2, base·2^(n-1)]`, capped.
pub(crate) fn backoff(attempt: u32, base: Duration, max: Duration) -> Duration {
    let exp = base
        .saturating_mul(1u32 << attempt.saturating_sub(1).min(16))
        .min(max);
    let half = exp / 2;
    half + Duration::from_micros(rand::thread_rng().gen_range(0..=half.as_micros().max(1) as u64))
}

/// One Management API request.
#[derive(Clone)]
pub(crate) struct Req {
    pub method: Method,
    pub path: String,
    pub query: Vec<(&'static str, String)>,
    pub body: Option<serde_json::Value>,
    /// The scope this endpoint needs (named in the error if the tenant says 403).
    pub scope: &'static str,
    /// What we were doing, for messages: "creating organization acme".
    pub what: String,
    /// The listing command to suggest on 404.
    pub hint: &'static str,
    pub bucket: Bucket,
    pub safety: Safety,
}

impl Req {
    pub fn new(
        method: Method,
        path: impl Into<String>,
        bucket: Bucket,
        scope: &'static str,
        what: impl Into<String>,
    ) -> Self {
        let safety = if method == Method::POST {
            Safety::NotIdempotent
        } else {
            Safety::Idempotent
        };
        Self {
            method,
            path: path.into(),
            query: Vec::new(),
            body: None,
            scope,
            what: what.into(),
            hint: "orgs list",
            bucket,
            safety,
        }
    }
    pub fn query(mut self, k: &'static str, v: impl ToString) -> Self {
        self.query.push((k, v.to_string()));
        self
    }
    pub fn json(mut self, body: &impl serde::Serialize) -> Self {
        self.body = Some(serde_json::to_value(body).expect("payloads serialise"));
        self
    }
    pub fn hint(mut self, hint: &'static str) -> Self {
        self.hint = hint;
        self
    }
    pub fn idempotent(mut self) -> Self {
        self.safety = Safety::Idempotent;
        self
    }
}

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
            // The pacing slot first, so a request waiting for its bucket does not hold a permit other buckets need.
            let paced = inner.pacer.wait(req.bucket).await;
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
            self.observe(req.bucket, paced, status, &headers, limited);
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

    /// After the `failures`-th failure with an unknown outcome (`cause`: transport error or 5xx): a create comes
    /// back as [`AdminError::Ambiguous`], the last allowed attempt as `exhausted(what, cause)`; otherwise the
    /// repeat is counted and one backoff step waited, and the caller sends again.
    async fn retry_unknown_outcome(
        &self,
        req: &Req,
        failures: u32,
        cause: String,
        exhausted: impl FnOnce(String, String) -> AdminError,
    ) -> Result<(), AdminError> {
        let what = req.what.clone();
        if req.safety == Safety::NotIdempotent {
            return Err(AdminError::Ambiguous { what, cause });
        }
        if failures >= self.inner.retry.max_attempts {
            return Err(exhausted(what, cause));
        }
        self.inner.stats.retried.fetch_add(1, Ordering::Relaxed);
        tracing::debug!(%what, %cause, failures, "request failed; retrying");
        self.backoff_sleep(failures).await;
        Ok(())
    }

    /// Waits one backoff step (see [`backoff`]) after the `attempt`-th attempt.
    pub(crate) async fn backoff_sleep(&self, attempt: u32) {
        let retry = &self.inner.retry;
        tokio::time::sleep(backoff(attempt, retry.base_delay, retry.max_delay)).await;
    }

    /// Reads `x-ratelimit-*` into the bucket's pacing (see [`Pace`]).
    fn observe(
        &self,
        bucket: Bucket,
        sent_paced: bool,
        status: StatusCode,
        headers: &HeaderMap,
        limited_before: u32,
    ) {
        let limited = status == StatusCode::TOO_MANY_REQUESTS;
        let fallback = backoff(
            limited_before + 1,
            Duration::from_millis(100),
            self.inner.retry.max_delay,
        );
        self.inner.pacer.observe(
            bucket,
            sent_paced,
            limited,
            header_u64(headers, "x-ratelimit-limit"),
            header_u64(headers, "x-ratelimit-remaining"),
            reset_wait(headers),
            fallback,
        );
    }
}

mod bytes_alias {
    pub type Bytes = Vec<u8>;
}

/// The error for a 3xx answer to `method url`: redirects are never followed (see [`ClientBuilder::build`]).
pub(crate) fn redirect_error(
    what: String,
    method: &Method,
    url: &url::Url,
    status: StatusCode,
    headers: &HeaderMap,
) -> AdminError {
    let location = headers
        .get(reqwest::header::LOCATION)
        .map(|l| {
            String::from_utf8_lossy(l.as_bytes())
                .chars()
                .take(300)
                .collect()
        })
        .unwrap_or_else(|| "(no Location)".to_owned());
    AdminError::Redirect {
        what,
        request: format!("{method} {url}"),
        status: status.as_u16(),
        location,
    }
}

fn parse_error(body: &[u8]) -> Auth0ErrorBody {
    serde_json::from_slice(body).unwrap_or_default()
}

fn map_client_error(req: &Req, status: StatusCode, body: &[u8]) -> AdminError {
    let e = parse_error(body);
    let message = e
        .message
        .clone()
        .unwrap_or_else(|| String::from_utf8_lossy(body).chars().take(300).collect());
    let code = e.error_code.clone().or(e.error.clone()).unwrap_or_default();
    match status.as_u16() {
        403 if code == "insufficient_scope"
            || message.to_lowercase().contains("insufficient scope") =>
        {
            AdminError::InsufficientScope {
                what: req.what.clone(),
                scope: scope_from_message(&message).unwrap_or_else(|| req.scope.to_owned()),
            }
        }
        404 => AdminError::NotFound {
            what: req.what.clone(),
            message,
            hint: req.hint,
        },
        409 => AdminError::Conflict {
            what: req.what.clone(),
            message,
        },
        400 if code == "invalid_paging" => AdminError::Api {
            what: req.what.clone(),
            status: 400,
            error_code: code,
            message: format!("{message} (past 1000 results use checkpoint paging: from/take)"),
        },
        s => AdminError::Api {
            what: req.what.clone(),
            status: s,
            error_code: code,
            message,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_and_is_capped() {
        let base = Duration::from_millis(100);
        let max = Duration::from_secs(1);
        for _ in 0..50 {
            let one = backoff(1, base, max);
            assert!(
                one >= Duration::from_millis(50) && one <= Duration::from_millis(100),
                "{one:?}"
            );
            let four = backoff(4, base, max);
            assert!(
                four >= Duration::from_millis(400) && four <= Duration::from_millis(800),
                "{four:?}"
            );
            let many = backoff(30, base, max);
            assert!(
                many >= Duration::from_millis(500) && many <= max,
                "{many:?}"
            );
        }
    }

    /// `p.observe` with a burst of 250, `remaining` tokens, the reset `reset_ms` away and a 100 ms fallback.
    fn see(
        p: &mut Pace,
        now: Instant,
        sent_paced: bool,
        limited: bool,
        remaining: u64,
        reset_ms: u64,
    ) {
        let ms = Duration::from_millis;
        p.observe(
            now,
            sent_paced,
            limited,
            Some(250),
            Some(remaining),
            Some(ms(reset_ms)),
            ms(100),
        );
    }

    #[test]
    fn pacing_releases_one_refill_interval_apart_instead_of_waiting_for_a_full_bucket() {
        let t0 = Instant::now();
        let ms = Duration::from_millis;
        let mut p = Pace::default();
        // Spare tokens: unpaced.
        see(&mut p, t0, false, false, 10, 9_000);
        assert_eq!(p.take_slot(t0), None);
        // Rate from the first headers: 240 missing tokens over 9 s (+1 s for the rounding) = 24/s.
        assert!((p.rate.unwrap() - 24.0).abs() < 1e-9, "{:?}", p.rate);
        // Empty bucket: paced 1/24 s apart, not 10 s until the reset.
        see(&mut p, t0, false, false, 0, 10_000);
        let interval = Duration::from_secs_f64(1.0 / 24.0);
        assert_eq!(p.take_slot(t0), Some(t0 + interval));
        assert_eq!(p.take_slot(t0), Some(t0 + interval * 2));
        // Spare tokens while paced: a little faster.
        see(&mut p, t0, false, false, 1, 10_000);
        assert!((p.rate.unwrap() - 24.24).abs() < 1e-9, "{:?}", p.rate);
        // A 429 for a request sent before pacing began: no slower.
        see(&mut p, t0, false, true, 0, 10_000);
        assert!((p.rate.unwrap() - 24.24).abs() < 1e-9, "{:?}", p.rate);
        // A 429 for a paced request: slower, and nothing before one interval from now.
        let later = t0 + ms(1);
        see(&mut p, later, true, true, 0, 10_000);
        assert!(
            (p.rate.unwrap() - 24.24 * 0.95).abs() < 1e-9,
            "{:?}",
            p.rate
        );
        // Half the burst free again: unpaced.
        see(&mut p, later, false, false, 125, 5_000);
        assert_eq!(p.take_slot(later), None);
        // Paced again, then idle longer than a full refill: unpaced.
        see(&mut p, later, false, false, 0, 10_000);
        assert!(p.take_slot(later).is_some());
        assert_eq!(p.take_slot(later + ms(12_000)), None);
    }

    #[test]
    fn a_429_without_headers_waits_a_backoff_step() {
        let t0 = Instant::now();
        let mut p = Pace::default();
        p.observe(
            t0,
            false,
            true,
            None,
            None,
            None,
            Duration::from_millis(300),
        );
        assert_eq!(p.take_slot(t0), Some(t0 + Duration::from_millis(300)));
        assert_eq!(p.take_slot(t0), Some(t0 + Duration::from_millis(300)));
    }

    #[test]
    fn reset_header_is_read_as_unix_seconds() {
        let mut h = HeaderMap::new();
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_secs();
        h.insert("x-ratelimit-reset", (now + 3).to_string().parse().unwrap());
        let w = reset_wait(&h).unwrap();
        assert!(
            w > Duration::from_secs(1) && w <= Duration::from_secs(3),
            "{w:?}"
        );
        h.insert("x-ratelimit-reset", (now - 3).to_string().parse().unwrap());
        assert_eq!(reset_wait(&h), None);
        assert_eq!(reset_wait(&HeaderMap::new()), None);
    }

    fn req() -> Req {
        Req::new(
            Method::POST,
            "organizations",
            Bucket::WriteOrganizations,
            "create:organizations",
            "creating organization acme",
        )
    }

    #[test]
    fn errors_map_to_what_to_do() {
        // The scope from Auth0's message, or (when the message names none) the one the request needs.
        let forbidden: [&[u8]; 2] = [
            br#"{"statusCode":403,"error":"Forbidden","message":"Insufficient scope, expected any of: create:organizations","errorCode":"insufficient_scope"}"#,
            br#"{"errorCode":"insufficient_scope","message":"nope"}"#,
        ];
        for body in forbidden {
            let e = map_client_error(&req(), StatusCode::FORBIDDEN, body);
            assert!(
                matches!(&e, AdminError::InsufficientScope { scope, .. } if scope == "create:organizations"),
                "{e}"
            );
        }
        let e = map_client_error(
            &req(),
            StatusCode::CONFLICT,
            br#"{"statusCode":409,"error":"Conflict","message":"An organization with this name already exists.","errorCode":"organization_conflict"}"#,
        );
        assert_eq!(
            e.to_string(),
            "creating organization acme: it already exists (409: An organization with this name already exists.); pick another name, or change the existing one instead"
        );
        let e = map_client_error(
            &req(),
            StatusCode::BAD_REQUEST,
            br#"{"errorCode":"invalid_paging","message":"Paging beyond 1000"}"#,
        );
        assert!(e.to_string().contains("checkpoint paging"), "{e}");
        let e = map_client_error(&req(), StatusCode::NOT_FOUND, b"not json");
        assert!(matches!(e, AdminError::NotFound { .. }));
    }
}
