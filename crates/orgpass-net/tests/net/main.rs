//! orgpass-net against real TLS and a real CONNECT proxy on loopback: devtenant serving HTTPS from its own CA,
//! and devtenant's test proxy. Each failure is checked to the word, since people act on these sentences.

use std::net::{IpAddr, Ipv4Addr};

use devtenant::proxy::{Proxy, ProxyOptions};
use devtenant::{Running, Seed, SpawnOptions, TlsOptions};
use orgpass_net::{CaBundle, NetError, Network, Proxies, TrustAdvice};

const LOOPBACK: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);

async fn tenant(host: Option<&str>) -> Running {
    devtenant::spawn(
        Seed::demo(),
        SpawnOptions {
            tls: Some(TlsOptions {
                host: host.map(str::to_owned),
            }),
            ..Default::default()
        },
    )
    .await
    .unwrap()
}

fn ca_of(t: &Running) -> CaBundle {
    let pem = &t.tls.as_ref().unwrap().ca_pem;
    CaBundle::from_pem(std::path::Path::new("devtenant-ca.pem"), pem.as_bytes()).unwrap()
}

fn proxies(vars: &[(&str, String)]) -> Proxies {
    let vars = vars.to_vec();
    Proxies::from_lookup(move |k| vars.iter().find(|(n, _)| *n == k).map(|(_, v)| v.clone()))
}

/// GET the tenant's discovery document through `network` (built exactly as the programs build theirs).
async fn discovery(network: &Network, issuer: &str) -> Result<u16, NetError> {
    let http = network.http(network.client_builder()).unwrap();
    let url = format!("{issuer}.well-known/openid-configuration");
    match http.get(&url).send().await {
        Ok(r) => Ok(r.status().as_u16()),
        Err(e) => Err(http.explain(&e)),
    }
}

#[tokio::test]
async fn the_ca_file_makes_a_tenant_trusted_that_is_otherwise_not() {
    let t = tenant(None).await;
    let issuer = t.issuer.as_str();
    assert!(issuer.starts_with("https://127.0.0.1:"), "{issuer}");
    let trusted = Network::new(Some(ca_of(&t)), Proxies::none());
    assert_eq!(discovery(&trusted, issuer).await, Ok(200));

    let plain = Network::new(None, Proxies::none());
    let e = discovery(&plain, issuer).await.unwrap_err();
    let host = format!("127.0.0.1:{}", t.addr.port());
    assert_eq!(
        e,
        NetError::UntrustedCertificate {
            host: host.clone(),
            advice: TrustAdvice::User
        }
    );
    assert_eq!(
        e.to_string(),
        format!(
            "the certificate of {host} is not trusted: it was issued by an authority this computer does not \
             trust. If your company inspects HTTPS with its own root CA, have it added to this computer's \
             trust store (ask IT), or point Orgpass at it: `ca_file` in the settings, `--ca-file`, or \
             ORGPASS_CA_FILE"
        )
    );
    assert!(e.is_certificate());

    // Another devtenant's CA does not help: trust is in this CA, not in any devtenant.
    let other = tenant(None).await;
    let wrong = Network::new(Some(ca_of(&other)), Proxies::none());
    assert_eq!(
        discovery(&wrong, issuer).await,
        Err(NetError::UntrustedCertificate {
            host: host.clone(),
            advice: TrustAdvice::User
        })
    );

    // When IT locks `ca_file`, the sentence does not ask the person to trust a CA themselves.
    let managed = Network::new(None, Proxies::none())
        .with_trust_advice(TrustAdvice::Managed("/etc/orgpass/config.toml".into()));
    let e = discovery(&managed, issuer).await.unwrap_err();
    assert_eq!(
        e.to_string(),
        format!(
            "the certificate of {host} is not trusted: it was issued by an authority this computer does not \
             trust. The CAs Orgpass trusts are set by your IT department (`ca_file` is locked by \
             /etc/orgpass/config.toml): tell IT, and do not add a certificate yourself"
        )
    );
    assert!(!e.to_string().contains("ORGPASS_CA_FILE"));
}

#[tokio::test]
async fn a_certificate_for_another_name_is_said_as_such() {
    let t = tenant(None).await;
    let network = Network::new(Some(ca_of(&t)), Proxies::none());
    let http = network
        .http(network.client_builder().resolve("elsewhere.test", t.addr))
        .unwrap();
    let url = format!("https://elsewhere.test:{}/", t.addr.port());
    let e = http.explain(&http.get(&url).send().await.unwrap_err());
    assert_eq!(
        e,
        NetError::CertificateForAnotherName {
            host: format!("elsewhere.test:{}", t.addr.port()),
            advice: TrustAdvice::User
        }
    );
}

#[tokio::test]
async fn a_tenant_behind_the_proxy_is_reached_through_a_connect_tunnel_and_loopback_goes_direct() {
    let t = tenant(Some("tenant.test")).await;
    let proxy = Proxy::spawn(ProxyOptions {
        hosts: vec![("tenant.test".into(), LOOPBACK)],
        credentials: None,
    })
    .await
    .unwrap();
    let network = Network::new(
        Some(ca_of(&t)),
        proxies(&[("HTTPS_PROXY", proxy.url()), ("HTTP_PROXY", proxy.url())]),
    );
    let port = t.addr.port();
    assert_eq!(
        discovery(&network, &format!("https://tenant.test:{port}/")).await,
        Ok(200)
    );
    // The same tenant by its loopback address is not sent to the proxy.
    assert_eq!(
        discovery(&network, &format!("https://127.0.0.1:{port}/")).await,
        Ok(200)
    );
    assert_eq!(
        proxy.seen(),
        [format!("CONNECT tenant.test:{port} HTTP/1.1")]
    );
}

#[tokio::test]
async fn a_proxy_that_wants_a_password_gets_it_from_the_proxy_url_and_says_so_without_it() {
    let t = tenant(Some("tenant.test")).await;
    let proxy = Proxy::spawn(ProxyOptions {
        hosts: vec![("tenant.test".into(), LOOPBACK)],
        credentials: Some(("ada".into(), "s3cret".into())),
    })
    .await
    .unwrap();
    let issuer = format!("https://tenant.test:{}/", t.addr.port());
    let without = Network::new(Some(ca_of(&t)), proxies(&[("HTTPS_PROXY", proxy.url())]));
    let e = discovery(&without, &issuer).await.unwrap_err();
    assert_eq!(
        e.to_string(),
        format!(
            "the proxy {} asks for a user name and password (HTTP 407) to reach tenant.test:{}; put them in the \
             proxy setting (HTTPS_PROXY=http://user:password@host:port) or ask IT for a proxy address that \
             needs none",
            proxy.url(),
            t.addr.port()
        )
    );
    assert!(e.is_proxy());
    let with = format!("http://ada:s3cret@{}", proxy.addr);
    let with = Network::new(Some(ca_of(&t)), proxies(&[("https_proxy", with)]));
    assert_eq!(discovery(&with, &issuer).await, Ok(200));
}

#[tokio::test]
async fn a_proxy_that_refuses_or_is_not_there_is_named() {
    let proxy = Proxy::spawn(ProxyOptions::default()).await.unwrap();
    let network = Network::new(None, proxies(&[("ALL_PROXY", proxy.url())]));
    assert_eq!(
        discovery(&network, "https://blocked.test/").await,
        Err(NetError::ProxyRefused {
            proxy: proxy.url(),
            host: "blocked.test".into()
        })
    );
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap()
    };
    let network = Network::new(
        None,
        proxies(&[("HTTPS_PROXY", format!("http://{closed}"))]),
    );
    let e = discovery(&network, "https://tenant.test/")
        .await
        .unwrap_err();
    assert!(
        matches!(&e, NetError::ProxyUnreachable { proxy, .. } if *proxy == format!("http://{closed}")),
        "{e:?}"
    );
    assert!(
        e.to_string()
            .starts_with(&format!("could not connect to the proxy http://{closed} (")),
        "{e}"
    );
}

#[tokio::test]
async fn a_tenant_that_is_not_there_is_unreachable_and_an_unusable_proxy_variable_is_mentioned() {
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap()
    };
    let network = Network::new(
        None,
        proxies(&[("HTTPS_PROXY", "socks5://corp:1080".into())]),
    );
    let e = discovery(&network, &format!("https://{closed}/"))
        .await
        .unwrap_err();
    let NetError::Unreachable { host, ignored, .. } = &e else {
        panic!("{e:?}")
    };
    assert_eq!(host, &closed.to_string());
    assert_eq!(
        ignored,
        &[
            "HTTPS_PROXY=socks5://corp:1080 (socks5 proxies are not supported; use an HTTP proxy \
           (http://host:port))"
                .to_owned()
        ]
    );
}
