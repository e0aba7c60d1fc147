//! Management API access tokens by client credentials, cached in memory and (optionally) in the OS keychain until
//! shortly before they expire.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use serde::Deserialize;
use zeroize::Zeroizing;

use crate::keychain::{SecretBackend, token_key};
use crate::secret::{AccessToken, Secret};
use crate::{AdminError, Tenant};

/// A token and what we know about it.
#[derive(Debug, Clone)]
pub struct CachedToken {
    pub token: AccessToken,
    /// When the tenant says it expires.
    pub expires_at: SystemTime,
    /// When we stop using it and fetch a new one (a little before `expires_at`).
    pub refresh_at: SystemTime,
    /// The scopes granted to the M2M application.
    pub scopes: Vec<String>,
}

impl CachedToken {
    fn fresh(&self, now: SystemTime) -> bool {
        now < self.refresh_at
    }
}

/// Fetches and caches Management API tokens for one M2M application.
pub struct TokenProvider {
    http: orgpass_net::Http,
    tenant: Tenant,
    client_id: String,
    secret: Secret,
    store: Option<Arc<dyn SecretBackend>>,
    state: tokio::sync::Mutex<State>,
    fetches: AtomicU64,
}

#[derive(Default)]
struct State {
    token: Option<CachedToken>,
    store_checked: bool,
}

#[derive(Deserialize)]
struct TokenResponse {
    access_token: String,
    #[serde(default)]
    expires_in: Option<u64>,
    #[serde(default)]
    scope: Option<String>,
}

#[derive(Deserialize, Default)]
struct TokenError {
    #[serde(default)]
    error: String,
    #[serde(default)]
    error_description: String,
}

/// How long before expiry a token is replaced: a minute, or a quarter of its life when that is shorter.
fn margin(lifetime: Duration) -> Duration {
    Duration::from_secs(60).min(lifetime / 4)
}

/// A failure that asking again will not cure: the tenant's certificate, or the proxy.
pub(crate) fn permanent(e: &orgpass_net::NetError) -> bool {
    e.is_certificate() || e.is_proxy()
}

impl TokenProvider {
    /// A provider; `store` (the OS keychain) keeps the token between runs when given.
    pub fn new(
        http: orgpass_net::Http,
        tenant: Tenant,
        client_id: impl Into<String>,
        secret: Secret,
        store: Option<Arc<dyn SecretBackend>>,
    ) -> Self {
        Self {
            http,
            tenant,
            client_id: client_id.into(),
            secret,
            store,
            state: tokio::sync::Mutex::new(State::default()),
            fetches: AtomicU64::new(0),
        }
    }

    /// The M2M application's client id.
    pub fn client_id(&self) -> &str {
        &self.client_id
    }

    /// How many times a token was fetched from the token endpoint.
    pub fn fetches(&self) -> u64 {
        self.fetches.load(Ordering::Relaxed)
    }

    /// A token that is good for a while: from memory, else from the keychain, else from the token endpoint.
    pub async fn get(&self) -> Result<CachedToken, AdminError> {
        let mut state = self.state.lock().await;
        let now = SystemTime::now();
        if let Some(t) = &state.token
            && t.fresh(now)
        {
            return Ok(t.clone());
        }
        if !state.store_checked {
            state.store_checked = true;
            if let Some(t) = self.load_stored().await
                && t.fresh(now)
            {
                state.token = Some(t.clone());
                return Ok(t);
            }
        }
        let t = self.fetch().await?;
        self.save_stored(&t).await;
        state.token = Some(t.clone());
        Ok(t)
    }

    /// A new token from the token endpoint, never a cached one, so the tenant itself checks the client secret
    /// (`auth login` stores a secret only after this). On success the new token replaces the cached one (in memory
    /// and in the store); on failure the cache is left as it was.
    pub async fn fetch_new(&self) -> Result<CachedToken, AdminError> {
        let mut state = self.state.lock().await;
        let t = self.fetch().await?;
        self.save_stored(&t).await;
        state.token = Some(t.clone());
        state.store_checked = true;
        Ok(t)
    }

    /// Forgets `token` (the tenant rejected it with 401) so the next [`get`](Self::get) fetches a new one.
    pub async fn invalidate(&self, token: &AccessToken) {
        let mut state = self.state.lock().await;
        if state.token.as_ref().is_some_and(|t| t.token.same_as(token)) {
            state.token = None;
            state.store_checked = true;
            if let Some(store) = self.store.clone() {
                let key = token_key(&self.tenant, &self.client_id);
                let _ = tokio::task::spawn_blocking(move || {
                    orgpass_keychain::delete_chunked(&*store, &key)
                })
                .await;
            }
        }
    }

    async fn load_stored(&self) -> Option<CachedToken> {
        let store = self.store.clone()?;
        let key = token_key(&self.tenant, &self.client_id);
        let raw = match tokio::task::spawn_blocking(move || {
            orgpass_keychain::read_chunked(&*store, &key)
        })
        .await
        {
            Ok(Ok(Some(raw))) => Zeroizing::new(raw),
            Ok(Ok(None)) => return None,
            Ok(Err(e)) => {
                tracing::debug!(error = %e, "token cache in the keychain unavailable; fetching a token");
                return None;
            }
            Err(_) => return None,
        };
        #[derive(Deserialize)]
        struct Stored {
            access_token: String,
            expires_at: u64,
            refresh_at: u64,
            #[serde(default)]
            scopes: Vec<String>,
        }
        let s: Stored = serde_json::from_str(&raw).ok()?;
        Some(CachedToken {
            token: AccessToken::new(s.access_token),
            expires_at: UNIX_EPOCH + Duration::from_secs(s.expires_at),
            refresh_at: UNIX_EPOCH + Duration::from_secs(s.refresh_at),
            scopes: s.scopes,
        })
    }

    async fn save_stored(&self, t: &CachedToken) {
        let Some(store) = self.store.clone() else {
            return;
        };
        let key = token_key(&self.tenant, &self.client_id);
        let secs = |at: SystemTime| at.duration_since(UNIX_EPOCH).unwrap_or_default().as_secs();
        let raw = Zeroizing::new(
            serde_json::json!({
                "access_token": t.token.secret(),
                "expires_at": secs(t.expires_at),
                "refresh_at": secs(t.refresh_at),
                "scopes": t.scopes,
            })
            .to_string(),
        );
        match tokio::task::spawn_blocking(move || {
            orgpass_keychain::write_chunked(&*store, &key, &raw)
        })
        .await
        {
            Ok(Ok(())) => {}
            Ok(Err(e)) => {
                tracing::debug!(error = %e, "could not cache the token in the keychain; kept in memory")
            }
            Err(_) => {}
        }
    }

    async fn fetch(&self) -> Result<CachedToken, AdminError> {
        let form = [
            ("grant_type", "client_credentials"),
            ("client_id", self.client_id.as_str()),
            ("client_secret", self.secret.secret()),
            ("audience", self.tenant.audience()),
        ];
        let mut attempt = 0u32;
        loop {
            attempt += 1;
            self.fetches.fetch_add(1, Ordering::Relaxed);
            let sent = self
                .http
                .post(self.tenant.token_url())
                .form(&form)
                .send()
                .await;
            let resp = match sent {
                Ok(r) => r,
                // A certificate or a proxy's refusal does not get better by asking again.
                Err(e) if attempt < 5 && !permanent(&self.http.explain(&e)) => {
                    tracing::debug!(error = %e, attempt, "token request failed; retrying");
                    tokio::time::sleep(crate::http::backoff(
                        attempt,
                        Duration::from_millis(100),
                        Duration::from_secs(5),
                    ))
                    .await;
                    continue;
                }
                Err(e) => {
                    return Err(AdminError::Transport {
                        what: "getting a Management API token".into(),
                        cause: self.http.explain(&e).to_string(),
                    });
                }
            };
            let status = resp.status();
            if status.is_redirection() {
                return Err(crate::http::redirect_error(
                    "getting a Management API token".into(),
                    &reqwest::Method::POST,
                    &self.tenant.token_url(),
                    status,
                    resp.headers(),
                ));
            }
            if (status.is_server_error() || status.as_u16() == 429) && attempt < 8 {
                let wait = crate::http::reset_wait(resp.headers()).unwrap_or_else(|| {
                    crate::http::backoff(
                        attempt,
                        Duration::from_millis(100),
                        Duration::from_secs(5),
                    )
                });
                tokio::time::sleep(wait).await;
                continue;
            }
            let body = resp.bytes().await.map_err(|e| AdminError::Transport {
                what: "reading the token response".into(),
                cause: self.http.explain(&e).to_string(),
            })?;
            if !status.is_success() {
                let e: TokenError = serde_json::from_slice(&body).unwrap_or_default();
                return Err(AdminError::Credentials {
                    error: if e.error.is_empty() {
                        status.to_string()
                    } else {
                        e.error
                    },
                    description: e.error_description,
                });
            }
            let t: TokenResponse =
                serde_json::from_slice(&body).map_err(|e| AdminError::Decode {
                    what: "the token response".into(),
                    cause: e.to_string(),
                })?;
            let lifetime = Duration::from_secs(t.expires_in.unwrap_or(86_400));
            let now = SystemTime::now();
            let scopes = t
                .scope
                .or_else(|| jwt_scope(&t.access_token))
                .map(|s| s.split_whitespace().map(str::to_owned).collect())
                .unwrap_or_default();
            return Ok(CachedToken {
                token: AccessToken::new(t.access_token),
                expires_at: now + lifetime,
                refresh_at: now + lifetime - margin(lifetime),
                scopes,
            });
        }
    }
}

/// The `scope` claim of a JWT, read without verification: only to show the granted scopes.
fn jwt_scope(token: &str) -> Option<String> {
    let payload = token.split('.').nth(1)?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload.trim_end_matches('='))
        .ok()?;
    let v: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
    match v.get("scope")? {
        serde_json::Value::String(s) => Some(s.clone()),
        serde_json::Value::Array(a) => Some(
            a.iter()
                .filter_map(|x| x.as_str())
                .collect::<Vec<_>>()
                .join(" "),
        ),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn margins() {
        assert_eq!(margin(Duration::from_secs(86_400)), Duration::from_secs(60));
        assert_eq!(margin(Duration::from_secs(8)), Duration::from_secs(2));
    }

    #[test]
    fn scope_claim_is_read_from_payload() {
        let p = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .encode(br#"{"scope":"read:organizations create:organizations"}"#);
        assert_eq!(
            jwt_scope(&format!("h.{p}.s")).as_deref(),
            Some("read:organizations create:organizations")
        );
        assert_eq!(jwt_scope("opaque"), None);
    }
}
