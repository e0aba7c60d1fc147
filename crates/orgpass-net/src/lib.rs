//! How Orgpass reaches a tenant over a company network, for the engine, the app, `orgpass-admin` and the guard.
//!
//! - **Trust like the OS does.** Servers are verified against the operating system's trust store (the platform
//!   verifier: the Keychain on macOS, the certificate store on Windows, the distribution's CA bundle on Linux,
//!   where `SSL_CERT_FILE`/`SSL_CERT_DIR` name it), plus an optional company CA bundle ([`CaBundle`], the
//!   `ca_file` setting). There is no way to turn verification off, and reqwest's bundled roots are never used.
//! - **Proxies from the environment** ([`Proxies`]): `HTTPS_PROXY`, `HTTP_PROXY`, `ALL_PROXY`, `NO_PROXY`, upper
//!   or lower case; loopback addresses and `localhost` are always reached directly.
//! - **Failures explained** ([`NetError`]): an untrusted certificate, a proxy that wants a password or refuses,
//!   a proxy that cannot be reached, each in a sentence that names the host or the proxy and says what to do.
//!
//! ```no_run
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let network = orgpass_net::Network::from_env(None);
//! let http = network.http(network.client_builder().user_agent("me/1"))?;
//! # Ok(()) }
//! ```

/// A command-line program's default log filter: warnings, except the platform verifier's own report of a
/// refused certificate (logged as an error by it), which the program's [`NetError`] says with what to do.
pub const QUIET_LOG_FILTER: &str = "warn,rustls_platform_verifier=off";

mod failure;
mod proxy;
mod trust;

use std::ops::Deref;
use std::sync::Arc;

pub use failure::{NetError, TrustAdvice};
pub use proxy::Proxies;
pub use trust::{CaBundle, CaFileError};
use url::Url;

/// The network settings one program runs with: what it trusts and which proxies it goes through.
#[derive(Clone)]
pub struct Network {
    tls: Arc<rustls::ClientConfig>,
    proxies: Arc<Proxies>,
    advice: TrustAdvice,
}

/// The proxies without their credentials (see [`Proxies`]' `Debug`); the TLS configuration is not shown.
impl std::fmt::Debug for Network {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Network")
            .field("proxies", &self.proxies)
            .field("advice", &self.advice)
            .finish_non_exhaustive()
    }
}

impl Network {
    /// The OS trust store (plus `ca`) and the proxies of the process environment.
    pub fn from_env(ca: Option<CaBundle>) -> Self {
        Self::new(ca, Proxies::from_env())
    }

    /// The OS trust store (plus `ca`) and these proxies.
    pub fn new(ca: Option<CaBundle>, proxies: Proxies) -> Self {
        Self {
            tls: Arc::new(trust::client_config(ca)),
            proxies: Arc::new(proxies),
            advice: TrustAdvice::User,
        }
    }

    /// What a refused certificate's message tells the person to do about a company CA.
    pub fn with_trust_advice(mut self, advice: TrustAdvice) -> Self {
        self.advice = advice;
        self
    }

    /// A reqwest builder that verifies with the OS trust store (and the CA bundle) and routes through the
    /// proxies; the caller adds timeouts, redirect policy and user agent.
    pub fn client_builder(&self) -> reqwest::ClientBuilder {
        let proxies = self.proxies.clone();
        reqwest::Client::builder()
            .use_preconfigured_tls((*self.tls).clone())
            // Only our proxies: reqwest's own reading of the environment would send loopback through them.
            .no_proxy()
            .proxy(reqwest::Proxy::custom(move |url| {
                proxies.for_url(url).cloned()
            }))
    }

    /// The client `builder` builds, paired with this network so its failures can be explained.
    pub fn http(&self, builder: reqwest::ClientBuilder) -> Result<Http, NetError> {
        let client = builder
            .build()
            .map_err(|e| NetError::Setup(e.to_string()))?;
        Ok(Http {
            client,
            network: self.clone(),
        })
    }

    /// The proxy a request to `url` goes through, if any.
    pub fn proxy_for(&self, url: &Url) -> Option<&Url> {
        self.proxies.for_url(url)
    }

    /// Why a request failed, in words that name the host or the proxy and say what to do.
    pub fn explain(&self, err: &reqwest::Error) -> NetError {
        failure::explain(
            err,
            |url| self.proxies.for_url(url),
            &self.proxies,
            &self.advice,
        )
    }
}

/// A reqwest client and the network it was built for (dereferences to the client).
#[derive(Clone)]
pub struct Http {
    client: reqwest::Client,
    network: Network,
}

/// The network only: reqwest's client `Debug` is not ours to vouch for.
impl std::fmt::Debug for Http {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Http")
            .field("network", &self.network)
            .finish_non_exhaustive()
    }
}

impl Http {
    /// Wraps a client built elsewhere (tests): failures are explained as if no proxy were set.
    pub fn from_client(client: reqwest::Client) -> Self {
        Self {
            client,
            network: Network::new(None, Proxies::none()),
        }
    }

    /// The reqwest client.
    pub fn client(&self) -> &reqwest::Client {
        &self.client
    }

    /// See [`Network::explain`].
    pub fn explain(&self, err: &reqwest::Error) -> NetError {
        self.network.explain(err)
    }
}

impl Deref for Http {
    type Target = reqwest::Client;
    fn deref(&self) -> &reqwest::Client {
        &self.client
    }
}
