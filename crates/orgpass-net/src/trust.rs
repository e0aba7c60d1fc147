//! What a client trusts: the operating system's trust store through the platform verifier, plus the company
//! CA bundle of the `ca_file` setting. The system store is read on the first TLS handshake, not when a client is
//! built, so a program that never talks TLS (a loopback tenant) or has not yet (the app's first paint) pays
//! nothing for it.

use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, SignatureScheme};

/// A company's CA certificates (PEM), read and checked once, when the setting is read.
#[derive(Clone)]
pub struct CaBundle {
    path: PathBuf,
    certs: Arc<Vec<CertificateDer<'static>>>,
}

impl std::fmt::Debug for CaBundle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "CaBundle({}, {} certificates)",
            self.path.display(),
            self.certs.len()
        )
    }
}

/// Why a CA file cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum CaFileError {
    #[error(
        "could not read the CA file {} (ca_file): {source}; give the path of your company's root CA \
         certificate in PEM form",
        .path.display()
    )]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "the CA file {} (ca_file) holds no PEM certificate (a block starting with -----BEGIN CERTIFICATE-----); \
         export your company's root CA as PEM (Base-64) and point ca_file at that",
        .path.display()
    )]
    NoCertificate { path: PathBuf },
    #[error(
        "the CA file {} (ca_file) cannot be used: {reason}; export your company's root CA as PEM (Base-64) \
         again",
        .path.display()
    )]
    Malformed { path: PathBuf, reason: String },
}

impl CaBundle {
    /// Reads every certificate in the PEM file at `path` and checks that each can serve as a root.
    pub fn load(path: &Path) -> Result<Self, CaFileError> {
        let text = std::fs::read(path).map_err(|source| CaFileError::Read {
            path: path.to_owned(),
            source,
        })?;
        Self::from_pem(path, &text)
    }

    /// As [`CaBundle::load`], from the file's bytes.
    pub fn from_pem(path: &Path, pem: &[u8]) -> Result<Self, CaFileError> {
        let malformed = |reason: String| CaFileError::Malformed {
            path: path.to_owned(),
            reason,
        };
        let certs = CertificateDer::pem_slice_iter(pem)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| malformed(e.to_string()))?;
        if certs.is_empty() {
            return Err(CaFileError::NoCertificate {
                path: path.to_owned(),
            });
        }
        let mut roots = rustls::RootCertStore::empty();
        for cert in &certs {
            roots
                .add(cert.clone())
                .map_err(|e| malformed(e.to_string()))?;
        }
        Ok(Self {
            path: path.to_owned(),
            certs: Arc::new(certs),
        })
    }

    /// The file it was read from.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// How many certificates it holds.
    pub fn len(&self) -> usize {
        self.certs.len()
    }

    /// Never true: a bundle holds at least one certificate.
    pub fn is_empty(&self) -> bool {
        self.certs.is_empty()
    }
}

/// The TLS client configuration: ring, TLS 1.2 and 1.3, the platform verifier (with `ca`), HTTP/1.1 only.
pub(crate) fn client_config(ca: Option<CaBundle>) -> rustls::ClientConfig {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let verifier = Arc::new(PlatformVerifier {
        extra_roots: ca.map(|c| c.certs).unwrap_or_default(),
        provider: provider.clone(),
        inner: OnceLock::new(),
    });
    let mut config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("ring supports the default protocol versions")
        // The verifier is the platform's own; `dangerous` is only rustls's name for supplying one.
        .dangerous()
        .with_custom_certificate_verifier(verifier)
        .with_no_client_auth();
    // reqwest is built without HTTP/2 here; offering it in ALPN would make an h2 server pick it.
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    config
}

/// `rustls_platform_verifier::Verifier`, made on first use.
#[derive(Debug)]
struct PlatformVerifier {
    extra_roots: Arc<Vec<CertificateDer<'static>>>,
    provider: Arc<CryptoProvider>,
    inner: OnceLock<Result<Arc<rustls_platform_verifier::Verifier>, rustls::Error>>,
}

impl PlatformVerifier {
    fn get(&self) -> Result<&rustls_platform_verifier::Verifier, rustls::Error> {
        self.inner
            .get_or_init(|| {
                rustls_platform_verifier::Verifier::new_with_extra_roots(
                    self.extra_roots.iter().cloned(),
                    self.provider.clone(),
                )
                .map(Arc::new)
            })
            .as_deref()
            .map_err(Clone::clone)
    }
}

impl ServerCertVerifier for PlatformVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        self.get()?
            .verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now)
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ca_pem() -> String {
        let key = rcgen::KeyPair::generate().unwrap();
        let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
        params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        params.self_signed(&key).unwrap().pem()
    }

    #[test]
    fn a_bundle_holds_every_certificate_of_the_file() {
        let two = format!("{}{}", ca_pem(), ca_pem());
        let b = CaBundle::from_pem(Path::new("/etc/acme/ca.pem"), two.as_bytes()).unwrap();
        assert_eq!(b.len(), 2);
        assert_eq!(b.path(), Path::new("/etc/acme/ca.pem"));
    }

    #[test]
    fn a_file_that_is_not_a_pem_certificate_is_refused_with_what_to_do() {
        let path = Path::new("/etc/acme/ca.der");
        let e = CaBundle::from_pem(path, b"\x30\x82\x01\x0a binary DER").unwrap_err();
        assert_eq!(
            e.to_string(),
            "the CA file /etc/acme/ca.der (ca_file) holds no PEM certificate (a block starting with \
             -----BEGIN CERTIFICATE-----); export your company's root CA as PEM (Base-64) and point ca_file at that"
        );
        let e = CaBundle::from_pem(
            path,
            b"-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydA==\n-----END CERTIFICATE-----\n",
        )
        .unwrap_err();
        assert!(matches!(e, CaFileError::Malformed { .. }), "{e:?}");
        let e = CaBundle::load(Path::new("/nonexistent/ca.pem")).unwrap_err();
        // The OS's own words for a missing file (Wine words ERROR_PATH_NOT_FOUND unlike Windows: its code), then
        // what to do.
        let text = e.to_string();
        assert!(
            text.starts_with("could not read the CA file /nonexistent/ca.pem (ca_file): "),
            "{text}"
        );
        let missing = if cfg!(windows) {
            "(os error 3); give the path"
        } else {
            "No such file or directory (os error 2); give the path"
        };
        assert!(text.contains(missing), "{e}");
    }
}
