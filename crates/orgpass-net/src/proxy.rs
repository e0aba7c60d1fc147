//! Which proxy a request goes through: `HTTPS_PROXY` for https, `HTTP_PROXY` for http, `ALL_PROXY` for either
//! when the specific one is unset (lower case first, as curl reads them), none for a host `NO_PROXY` names, and
//! none, ever, for loopback (`127.0.0.0/8`, `::1`, `localhost`): the redirect listener and a local test tenant
//! are on this machine, and a company proxy could not reach them anyway.

use std::net::IpAddr;

use url::{Host, Url};

/// The proxies read from the environment, and the hosts that bypass them. `Debug` shows each proxy as
/// `scheme://host:port`, never its user name or password.
#[derive(Clone, Default)]
pub struct Proxies {
    https: Option<Url>,
    http: Option<Url>,
    no_proxy: Vec<Bypass>,
    /// Variables that were set but could not be used, as `NAME=value` (value without credentials).
    ignored: Vec<String>,
}

impl std::fmt::Debug for Proxies {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Proxies")
            .field("https", &self.https.as_ref().map(display))
            .field("http", &self.http.as_ref().map(display))
            .field("no_proxy", &self.no_proxy)
            .field("ignored", &self.ignored)
            .finish()
    }
}

#[derive(Clone, Debug, PartialEq)]
enum Bypass {
    Everything,
    /// A domain and its subdomains (`example.com` or `.example.com`).
    Domain(String),
    Ip(IpAddr),
    Network {
        addr: IpAddr,
        prefix: u8,
    },
}

impl Proxies {
    /// No proxy at all.
    pub fn none() -> Self {
        Self::default()
    }

    /// From the process environment.
    pub fn from_env() -> Self {
        Self::from_lookup(|k| std::env::var(k).ok())
    }

    /// Through a lookup function (tests pass a map). An unusable value is ignored, as curl and reqwest ignore
    /// one, and said by [`Proxies::ignored`] and in the message for a host that could not be reached.
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Self {
        let var = |name: &str| {
            [name.to_ascii_lowercase(), name.to_owned()]
                .into_iter()
                .find_map(|n| get(&n).filter(|v| !v.trim().is_empty()).map(|v| (n, v)))
        };
        let mut ignored = Vec::new();
        let mut proxy = |name: &str| {
            let (name, value) = var(name)?;
            match parse_proxy(&value) {
                Ok(url) => Some(url),
                Err(why) => {
                    ignored.push(format!("{name}={} ({why})", redact_text(&value)));
                    None
                }
            }
        };
        let all = proxy("ALL_PROXY");
        let https = proxy("HTTPS_PROXY").or_else(|| all.clone());
        let http = proxy("HTTP_PROXY").or(all);
        let no_proxy = var("NO_PROXY")
            .map(|(_, v)| v.split(',').filter_map(parse_bypass).collect())
            .unwrap_or_default();
        Self {
            https,
            http,
            no_proxy,
            ignored,
        }
    }

    /// The proxy for a request to `url`, or `None` to connect directly.
    pub fn for_url(&self, url: &Url) -> Option<&Url> {
        let proxy = match url.scheme() {
            "https" => self.https.as_ref(),
            "http" => self.http.as_ref(),
            _ => None,
        }?;
        let host = url.host()?;
        if is_loopback(&host) || self.no_proxy.iter().any(|b| b.matches(&host)) {
            return None;
        }
        Some(proxy)
    }

    /// Proxy variables that were set but not used, as `NAME=value (why)`.
    pub fn ignored(&self) -> &[String] {
        &self.ignored
    }
}

/// `http://host:port` (a bare `host:port` means http, as curl reads it); https proxies work too.
fn parse_proxy(value: &str) -> Result<Url, String> {
    let value = value.trim();
    let with_scheme = if value.contains("://") {
        value.to_owned()
    } else {
        format!("http://{value}")
    };
    let url = Url::parse(&with_scheme).map_err(|e| e.to_string())?;
    match url.scheme() {
        "http" | "https" if url.host().is_some() => Ok(url),
        "http" | "https" => Err("no host".into()),
        other => Err(format!(
            "{other} proxies are not supported; use an HTTP proxy (http://host:port)"
        )),
    }
}

fn parse_bypass(entry: &str) -> Option<Bypass> {
    let entry = entry.trim();
    if entry.is_empty() {
        return None;
    }
    if entry == "*" {
        return Some(Bypass::Everything);
    }
    if let Some((addr, prefix)) = entry.split_once('/') {
        let addr: IpAddr = addr.trim_matches(['[', ']']).parse().ok()?;
        let prefix: u8 = prefix.parse().ok()?;
        return Some(Bypass::Network { addr, prefix });
    }
    if let Ok(ip) = entry.trim_matches(['[', ']']).parse::<IpAddr>() {
        return Some(Bypass::Ip(ip));
    }
    // `host:port` entries bypass the host on every port.
    let host = entry.rsplit_once(':').map_or(entry, |(h, _)| h);
    Some(Bypass::Domain(
        host.trim_start_matches("*.")
            .trim_start_matches('.')
            .to_ascii_lowercase(),
    ))
}

impl Bypass {
    fn matches(&self, host: &Host<&str>) -> bool {
        let ip = match host {
            Host::Ipv4(a) => Some(IpAddr::V4(*a)),
            Host::Ipv6(a) => Some(IpAddr::V6(*a)),
            Host::Domain(_) => None,
        };
        match (self, host, ip) {
            (Self::Everything, _, _) => true,
            (Self::Domain(d), Host::Domain(h), _) => {
                let h = h.to_ascii_lowercase();
                h == *d || h.ends_with(&format!(".{d}"))
            }
            (Self::Ip(want), _, Some(ip)) => *want == ip,
            (Self::Network { addr, prefix }, _, Some(ip)) => in_network(ip, *addr, *prefix),
            _ => false,
        }
    }
}

fn in_network(ip: IpAddr, net: IpAddr, prefix: u8) -> bool {
    match (ip, net) {
        (IpAddr::V4(ip), IpAddr::V4(net)) if prefix <= 32 => {
            let mask = u32::MAX.checked_shl(32 - u32::from(prefix)).unwrap_or(0);
            u32::from(ip) & mask == u32::from(net) & mask
        }
        (IpAddr::V6(ip), IpAddr::V6(net)) if prefix <= 128 => {
            let mask = u128::MAX.checked_shl(128 - u32::from(prefix)).unwrap_or(0);
            u128::from(ip) & mask == u128::from(net) & mask
        }
        _ => false,
    }
}

fn is_loopback(host: &Host<&str>) -> bool {
    match host {
        Host::Ipv4(a) => a.is_loopback(),
        Host::Ipv6(a) => a.is_loopback(),
        Host::Domain(d) => {
            let d = d.to_ascii_lowercase();
            d == "localhost" || d.ends_with(".localhost")
        }
    }
}

/// `scheme://host:port` of a proxy, without its user name and password, for messages.
pub(crate) fn display(proxy: &Url) -> String {
    let host = proxy.host_str().unwrap_or_default();
    match proxy.port_or_known_default() {
        Some(port) => format!("{}://{host}:{port}", proxy.scheme()),
        None => format!("{}://{host}", proxy.scheme()),
    }
}

/// A proxy value as text without what may be a password (`user:secret@` becomes `…@`).
fn redact_text(value: &str) -> String {
    match value.rsplit_once('@') {
        Some((before, after)) => {
            let scheme = before.split_once("://").map(|(s, _)| format!("{s}://"));
            format!("{}…@{after}", scheme.unwrap_or_default())
        }
        None => value.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn proxies(vars: &[(&str, &str)]) -> Proxies {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Proxies::from_lookup(|k| map.get(k).cloned())
    }

    fn via(p: &Proxies, url: &str) -> Option<String> {
        p.for_url(&Url::parse(url).unwrap()).map(display)
    }

    #[test]
    fn each_scheme_takes_its_own_proxy_then_all_proxy() {
        let p = proxies(&[
            ("HTTPS_PROXY", "http://secure.corp:3128"),
            ("ALL_PROXY", "corp:8080"),
        ]);
        assert_eq!(
            via(&p, "https://acme.eu.auth0.com/authorize").as_deref(),
            Some("http://secure.corp:3128")
        );
        assert_eq!(
            via(&p, "http://api.acme.example/").as_deref(),
            Some("http://corp:8080")
        );
        assert_eq!(
            via(&proxies(&[]), "https://acme.eu.auth0.com/"),
            None,
            "no variable, no proxy"
        );
    }

    #[test]
    fn lower_case_wins_over_upper_case_as_in_curl() {
        let p = proxies(&[
            ("https_proxy", "http://lower:1"),
            ("HTTPS_PROXY", "http://upper:2"),
        ]);
        assert_eq!(
            via(&p, "https://a.example/").as_deref(),
            Some("http://lower:1")
        );
        let p = proxies(&[("HTTPS_PROXY", "http://upper:2"), ("https_proxy", "")]);
        assert_eq!(
            via(&p, "https://a.example/").as_deref(),
            Some("http://upper:2"),
            "an empty variable counts as unset"
        );
    }

    #[test]
    fn loopback_is_always_direct_whatever_no_proxy_says() {
        let p = proxies(&[
            ("ALL_PROXY", "http://corp:8080"),
            ("NO_PROXY", "intranet.example"),
        ]);
        for url in [
            "http://127.0.0.1:53123/callback",
            "http://127.9.9.9/",
            "https://[::1]:4000/",
            "http://localhost:8080/",
            "https://tenant.localhost/",
        ] {
            assert_eq!(via(&p, url), None, "{url}");
        }
        assert_eq!(
            via(&p, "http://10.0.0.1/").as_deref(),
            Some("http://corp:8080")
        );
    }

    #[test]
    fn no_proxy_names_domains_addresses_and_networks() {
        let p = proxies(&[
            ("HTTPS_PROXY", "http://corp:8080"),
            (
                "no_proxy",
                " .corp.example, auth.acme.example:443,10.0.0.0/8, 192.168.1.5,[fd00::1],*.internal",
            ),
        ]);
        let direct = [
            "https://corp.example/",
            "https://login.corp.example/",
            "https://auth.acme.example/",
            "https://10.20.30.40/",
            "https://192.168.1.5/",
            "https://[fd00::1]/",
            "https://x.internal/",
        ];
        for url in direct {
            assert_eq!(via(&p, url), None, "{url}");
        }
        let proxied = [
            "https://acme.eu.auth0.com/",
            "https://notcorp.example/",
            "https://11.0.0.1/",
            "https://192.168.1.6/",
        ];
        for url in proxied {
            assert_eq!(via(&p, url).as_deref(), Some("http://corp:8080"), "{url}");
        }
        let p = proxies(&[("HTTPS_PROXY", "http://corp:8080"), ("NO_PROXY", "*")]);
        assert_eq!(via(&p, "https://acme.eu.auth0.com/"), None);
    }

    #[test]
    fn an_unusable_value_is_ignored_and_said_without_its_password() {
        let p = proxies(&[
            ("HTTPS_PROXY", "socks5://ada:hunter2@corp:1080"),
            ("HTTP_PROXY", "http://"),
        ]);
        assert_eq!(via(&p, "https://acme.eu.auth0.com/"), None);
        assert_eq!(
            p.ignored(),
            [
                "HTTPS_PROXY=socks5://…@corp:1080 (socks5 proxies are not supported; use an HTTP proxy \
                 (http://host:port))"
                    .to_owned(),
                "HTTP_PROXY=http:// (empty host)".to_owned(),
            ]
        );
    }

    #[test]
    fn a_proxy_is_shown_without_credentials() {
        let p = proxies(&[("HTTPS_PROXY", "http://ada:hunter2@corp:3128")]);
        let url = p
            .for_url(&Url::parse("https://a.example/").unwrap())
            .unwrap();
        assert_eq!(url.password(), Some("hunter2"), "kept for the proxy");
        assert_eq!(display(url), "http://corp:3128");
    }

    /// `{:?}` of the proxies, of a network and of a client built on it never prints the proxy's password.
    #[test]
    fn debug_never_prints_a_proxy_password() {
        let p = proxies(&[
            ("HTTPS_PROXY", "http://ada:hunter2@corp:3128"),
            ("HTTP_PROXY", "http://bob:letmein@corp:3129"),
        ]);
        let network = crate::Network::new(None, p.clone());
        let http = network
            .http(network.client_builder())
            .expect("a client builds");
        for shown in [
            format!("{p:?}"),
            format!("{network:?}"),
            format!("{http:?}"),
        ] {
            assert!(
                !shown.contains("hunter2") && !shown.contains("letmein"),
                "{shown}"
            );
            assert!(!shown.contains("ada") && !shown.contains("bob"), "{shown}");
        }
        assert_eq!(
            format!("{p:?}"),
            "Proxies { https: Some(\"http://corp:3128\"), http: Some(\"http://corp:3129\"), no_proxy: [], \
             ignored: [] }"
        );
    }
}
