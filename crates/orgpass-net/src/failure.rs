//! Why a request failed, classified once from the error's chain (rustls's certificate verdict, the CONNECT
//! tunnel's answer, the connection) into sentences that name the host or the proxy and say what to do.

use std::error::Error as StdError;

use rustls::CertificateError;
use url::Url;

use crate::proxy::{Proxies, display};

/// What to do about a company CA, said wherever a certificate is not trusted: the person may point Orgpass at a
/// CA file, unless IT set (and locked) the one Orgpass trusts, in which case only IT can change it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum TrustAdvice {
    /// `ca_file` is the person's to set.
    #[default]
    User,
    /// `ca_file` is locked by this system file.
    Managed(String),
}

impl std::fmt::Display for TrustAdvice {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::User => f.write_str(
                "If your company inspects HTTPS with its own root CA, have it added to this computer's trust store \
                 (ask IT), or point Orgpass at it: `ca_file` in the settings, `--ca-file`, or ORGPASS_CA_FILE",
            ),
            Self::Managed(by) => write!(
                f,
                "The CAs Orgpass trusts are set by your IT department (`ca_file` is locked by {by}): tell IT, \
                 and do not add a certificate yourself"
            ),
        }
    }
}

/// A request that failed on the way to the server.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NetError {
    /// The server's certificate chains to no root this computer (or the CA bundle) trusts.
    #[error(
        "the certificate of {host} is not trusted: it was issued by an authority this computer does not \
         trust. {advice}"
    )]
    UntrustedCertificate { host: String, advice: TrustAdvice },
    #[error(
        "the certificate of {host} has expired or is not valid yet; check this computer's date and time, \
         then tell whoever runs {host}"
    )]
    CertificateExpired { host: String },
    #[error(
        "the certificate {host} presented is for another name; check the address (a proxy that inspects \
         HTTPS may be answering for it). {advice}"
    )]
    CertificateForAnotherName { host: String, advice: TrustAdvice },
    #[error("the certificate of {host} was refused: {reason}. {advice}")]
    BadCertificate {
        host: String,
        reason: String,
        advice: TrustAdvice,
    },
    #[error(
        "the proxy {proxy} asks for a user name and password (HTTP 407) to reach {host}; put them in the proxy \
         setting (HTTPS_PROXY=http://user:password@host:port) or ask IT for a proxy address that needs none"
    )]
    ProxyAuthRequired { proxy: String, host: String },
    #[error(
        "the proxy {proxy} refused to connect to {host}; ask IT to allow {host} through the proxy, or add it \
         to NO_PROXY if it is reachable directly"
    )]
    ProxyRefused { proxy: String, host: String },
    #[error(
        "could not connect to the proxy {proxy} ({reason}); check HTTPS_PROXY, HTTP_PROXY and ALL_PROXY, or \
         unset them when you are not behind a proxy"
    )]
    ProxyUnreachable { proxy: String, reason: String },
    #[error("could not reach {host} ({reason}); check the address and your network{}", ignored_note(.ignored))]
    Unreachable {
        host: String,
        reason: String,
        /// Proxy variables that were set but could not be used.
        ignored: Vec<String>,
    },
    #[error("{host} did not answer in time; check your network and try again")]
    TimedOut { host: String },
    #[error("the connection to {host} failed: {reason}")]
    Failed { host: String, reason: String },
    #[error("HTTP could not be set up: {0}")]
    Setup(String),
}

fn ignored_note(ignored: &[String]) -> String {
    if ignored.is_empty() {
        String::new()
    } else {
        format!(" (ignored, not usable: {})", ignored.join(", "))
    }
}

impl NetError {
    /// True when the cure is trusting a certificate (the company CA): the app shows that as its next step.
    pub fn is_certificate(&self) -> bool {
        matches!(
            self,
            Self::UntrustedCertificate { .. }
                | Self::CertificateExpired { .. }
                | Self::CertificateForAnotherName { .. }
                | Self::BadCertificate { .. }
        )
    }

    /// True when the proxy, not the server, is what failed.
    pub fn is_proxy(&self) -> bool {
        matches!(
            self,
            Self::ProxyAuthRequired { .. }
                | Self::ProxyRefused { .. }
                | Self::ProxyUnreachable { .. }
        )
    }
}

/// The `host[:port]` of `url` as people write it.
fn host_of(url: Option<&Url>) -> String {
    let Some(url) = url else {
        return "the server".to_owned();
    };
    let host = url.host_str().unwrap_or("the server");
    match url.port() {
        Some(p) => format!("{host}:{p}"),
        None => host.to_owned(),
    }
}

/// Every error in `err`'s chain, including the error an `io::Error` wraps (its `source()` skips it).
fn chain<'a>(err: &'a (dyn StdError + 'static)) -> Vec<&'a (dyn StdError + 'static)> {
    let mut out = Vec::new();
    let mut next = Some(err);
    while let Some(e) = next {
        out.push(e);
        next = match e
            .downcast_ref::<std::io::Error>()
            .and_then(|io| io.get_ref())
        {
            // An io::Error may wrap another (reqwest's connector wraps tokio-rustls's).
            Some(inner) => Some(inner as &(dyn StdError + 'static)),
            None => e.source(),
        };
    }
    out
}

pub(crate) fn explain<'p>(
    err: &reqwest::Error,
    proxy_for: impl Fn(&Url) -> Option<&'p Url>,
    proxies: &Proxies,
    advice: &TrustAdvice,
) -> NetError {
    let url = err.url();
    let host = host_of(url);
    let proxy = url.and_then(proxy_for).map(display);
    let links = chain(err);
    for e in &links {
        if let Some(tls) = e.downcast_ref::<rustls::Error>() {
            return certificate(host, tls, advice.clone());
        }
        // hyper-util's tunnel error is private; its text is pinned by the proxy tests.
        match (e.to_string().as_str(), &proxy) {
            ("tunnel error: proxy authorization required", Some(proxy)) => {
                return NetError::ProxyAuthRequired {
                    proxy: proxy.clone(),
                    host,
                };
            }
            ("tunnel error: unsuccessful", Some(proxy)) => {
                return NetError::ProxyRefused {
                    proxy: proxy.clone(),
                    host,
                };
            }
            _ => {}
        }
    }
    let reason = links
        .last()
        .map(|e| e.to_string())
        .unwrap_or_else(|| err.to_string());
    if err.is_timeout() {
        NetError::TimedOut { host }
    } else if err.is_connect() {
        match proxy {
            Some(proxy) => NetError::ProxyUnreachable { proxy, reason },
            None => NetError::Unreachable {
                host,
                reason,
                ignored: proxies.ignored().to_vec(),
            },
        }
    } else {
        let reason = links
            .iter()
            .map(|e| e.to_string())
            .collect::<Vec<_>>()
            .join(": ");
        NetError::Failed { host, reason }
    }
}

fn certificate(host: String, e: &rustls::Error, advice: TrustAdvice) -> NetError {
    match e {
        rustls::Error::InvalidCertificate(c) => match c {
            CertificateError::UnknownIssuer => NetError::UntrustedCertificate { host, advice },
            CertificateError::Expired
            | CertificateError::ExpiredContext { .. }
            | CertificateError::NotValidYet
            | CertificateError::NotValidYetContext { .. } => NetError::CertificateExpired { host },
            CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. } => {
                NetError::CertificateForAnotherName { host, advice }
            }
            other => NetError::BadCertificate {
                host,
                reason: rustls::Error::InvalidCertificate(other.clone()).to_string(),
                advice,
            },
        },
        other => NetError::BadCertificate {
            host,
            reason: other.to_string(),
            advice,
        },
    }
}
