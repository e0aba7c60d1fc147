//! HTTPS for devtenant (`serve --tls`): a certificate authority of its own, kept in the data directory and
//! reused across restarts (so a CA that was trusted once stays trusted), and a server certificate it issues for
//! `127.0.0.1`, `localhost` and the tenant's own host name. Clients trust the CA the way they would trust a
//! company's: through the system store or a CA file.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use base64::Engine as _;
use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, IsCa, KeyPair, KeyUsagePurpose,
};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use sha2::Digest as _;

/// The CA certificate's file name in the data directory (the key is beside it, `ca-key.pem`, mode 0600).
pub const CA_FILE: &str = "ca.pem";
const CA_KEY_FILE: &str = "ca-key.pem";

/// Why HTTPS could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error("could not read or write {}: {source}", .path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{} is not devtenant's CA key: {reason}; delete ca.pem and ca-key.pem to make a new CA", .path.display())]
    BadKey { path: PathBuf, reason: String },
    #[error("could not issue a certificate: {0}")]
    Issue(String),
}

/// devtenant's certificate authority.
pub struct Authority {
    key: KeyPair,
    cert: rcgen::Certificate,
    pem: String,
}

impl std::fmt::Debug for Authority {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Authority").finish_non_exhaustive()
    }
}

/// A server certificate and its key, ready for rustls.
pub struct Leaf {
    pub chain: Vec<CertificateDer<'static>>,
    pub key: PrivateKeyDer<'static>,
    /// base64(SHA-256(SubjectPublicKeyInfo)): what Chromium's `--ignore-certificate-errors-spki-list` takes.
    pub spki_sha256: String,
}

/// The CA's subject names its key, so two devtenants' CAs are never mistaken for each other.
fn ca_params(key: &KeyPair) -> CertificateParams {
    let mut params = CertificateParams::default();
    let mut name = DistinguishedName::new();
    let id: String = sha2::Sha256::digest(key.public_key_der())[..6]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    name.push(DnType::CommonName, format!("devtenant local CA {id}"));
    name.push(DnType::OrganizationName, "devtenant (development only)");
    params.distinguished_name = name;
    params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    params
}

impl Authority {
    /// A new CA, in memory only.
    pub fn generate() -> Result<Self, TlsError> {
        let key = KeyPair::generate().map_err(|e| TlsError::Issue(e.to_string()))?;
        Self::from_key(key, None)
    }

    /// The CA in `dir` (`ca.pem`, `ca-key.pem`), made and saved there when missing.
    pub fn open(dir: &Path) -> Result<Self, TlsError> {
        let (cert_path, key_path) = (dir.join(CA_FILE), dir.join(CA_KEY_FILE));
        let io = |path: &Path| {
            let path = path.to_owned();
            move |source| TlsError::Io { path, source }
        };
        match std::fs::read_to_string(&key_path) {
            Ok(text) => {
                let key = KeyPair::from_pem(&text).map_err(|e| TlsError::BadKey {
                    path: key_path.clone(),
                    reason: e.to_string(),
                })?;
                let pem = std::fs::read_to_string(&cert_path).map_err(io(&cert_path))?;
                Self::from_key(key, Some(pem))
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let ca = Self::generate()?;
                std::fs::create_dir_all(dir).map_err(io(dir))?;
                write_private(&key_path, &ca.key.serialize_pem()).map_err(io(&key_path))?;
                std::fs::write(&cert_path, &ca.pem).map_err(io(&cert_path))?;
                Ok(ca)
            }
            Err(e) => Err(io(&key_path)(e)),
        }
    }

    /// The CA made again from its key: the same subject and key, so what it issues chains to the saved
    /// `ca.pem` (whose bytes are kept as they were first written).
    fn from_key(key: KeyPair, pem: Option<String>) -> Result<Self, TlsError> {
        let cert = ca_params(&key)
            .self_signed(&key)
            .map_err(|e| TlsError::Issue(e.to_string()))?;
        let pem = pem.unwrap_or_else(|| cert.pem());
        Ok(Self { key, cert, pem })
    }

    /// The CA certificate (PEM), for a client's trust store or CA file.
    pub fn pem(&self) -> &str {
        &self.pem
    }

    /// A server certificate for `names` (host names or IP addresses), issued by this CA.
    pub fn issue(&self, names: &[String]) -> Result<Leaf, TlsError> {
        let issue = |e: rcgen::Error| TlsError::Issue(e.to_string());
        let key = KeyPair::generate().map_err(issue)?;
        let mut params = CertificateParams::new(names.to_vec()).map_err(issue)?;
        params.distinguished_name.push(
            DnType::CommonName,
            names.first().cloned().unwrap_or_default(),
        );
        params.is_ca = IsCa::ExplicitNoCa;
        params.extended_key_usages = vec![rcgen::ExtendedKeyUsagePurpose::ServerAuth];
        let cert = params
            .signed_by(&key, &self.cert, &self.key)
            .map_err(issue)?;
        let spki = sha2::Sha256::digest(key.public_key_der());
        Ok(Leaf {
            chain: vec![cert.der().clone()],
            key: PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der())),
            spki_sha256: base64::engine::general_purpose::STANDARD.encode(spki),
        })
    }
}

impl Leaf {
    /// A rustls server configuration (ring, TLS 1.2 and 1.3, HTTP/1.1) presenting this certificate.
    pub fn server_config(&self) -> Result<Arc<rustls::ServerConfig>, TlsError> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| TlsError::Issue(e.to_string()))?
            .with_no_client_auth()
            .with_single_cert(self.chain.clone(), self.key.clone_key())
            .map_err(|e| TlsError::Issue(e.to_string()))?;
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        Ok(Arc::new(config))
    }
}

fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    use std::io::Write as _;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path)?.write_all(text.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;
    use rustls::client::danger::ServerCertVerifier as _;

    #[test]
    fn the_ca_is_kept_and_reused_and_what_it_issues_chains_to_the_saved_file() {
        let dir = tempfile::tempdir().unwrap();
        let first = Authority::open(dir.path()).unwrap();
        let saved = std::fs::read_to_string(dir.path().join(CA_FILE)).unwrap();
        assert_eq!(first.pem(), saved);
        let again = Authority::open(dir.path()).unwrap();
        assert_eq!(again.pem(), saved, "the same CA after a restart");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(dir.path().join(CA_KEY_FILE))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        // A leaf issued by the reopened CA verifies against the CA file written by the first.
        let leaf = again
            .issue(&["127.0.0.1".into(), "localhost".into()])
            .unwrap();
        let mut roots = rustls::RootCertStore::empty();
        let ca = rustls::pki_types::pem::PemObject::from_pem_slice(saved.as_bytes()).unwrap();
        roots.add(ca).unwrap();
        let verifier = rustls::client::WebPkiServerVerifier::builder_with_provider(
            Arc::new(roots),
            Arc::new(rustls::crypto::ring::default_provider()),
        )
        .build()
        .unwrap();
        let name = rustls::pki_types::ServerName::try_from("127.0.0.1").unwrap();
        verifier
            .verify_server_cert(
                &leaf.chain[0],
                &[],
                &name,
                &[],
                rustls::pki_types::UnixTime::now(),
            )
            .unwrap();
        let other = rustls::pki_types::ServerName::try_from("tenant.test").unwrap();
        assert!(
            verifier
                .verify_server_cert(
                    &leaf.chain[0],
                    &[],
                    &other,
                    &[],
                    rustls::pki_types::UnixTime::now()
                )
                .is_err(),
            "only for the names asked"
        );
        assert_eq!(leaf.spki_sha256.len(), 44, "base64 of 32 bytes");
    }
}
