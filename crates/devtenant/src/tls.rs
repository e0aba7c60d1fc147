//! HTTPS for devtenant (`serve --tls`): a certificate authority of its own, kept in the data directory and
//! reused across restarts (so a CA that was trusted once stays trusted), and a server certificate it issues for
//! `127.0.0.1`, `localhost` and the tenant's own host name. The CA is name-constrained to exactly those (DNS
//! `localhost` and the tenant's host, IP 127.0.0.0/8 and ::1), so trusting it cannot let it vouch for any other
//! site. Clients trust the CA the way they would trust a company's: through the system store or a CA file,
//! written by [`publish_ca`] into the data directory, or else into a private temporary folder.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use base64::Engine as _;
use rcgen::{
    BasicConstraints, CertificateParams, CidrSubnet, DistinguishedName, DnType, GeneralSubtree,
    IsCa, KeyPair, KeyUsagePurpose, NameConstraints,
};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use sha2::Digest as _;

use crate::private;

/// The CA certificate's file name in the data directory (the key is beside it, `ca-key.pem`; both 0600).
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
    #[error(
        "{} is not constrained to the names this devtenant serves ({names}): it was made by an older devtenant \
         (no constraints, valid for any site) or for another --tls host; delete ca.pem and ca-key.pem there to \
         make a new CA, and remove the old one from any trust store", .path.display()
    )]
    Unconstrained { path: PathBuf, names: String },
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

/// The DNS names a CA for `host` may vouch for: `localhost` and the tenant's host name, if it has one.
fn dns_names(host: Option<&str>) -> Vec<String> {
    let mut names = vec!["localhost".to_owned()];
    names.extend(
        host.filter(|h| h.parse::<IpAddr>().is_err() && *h != "localhost")
            .map(str::to_owned),
    );
    names
}

/// The CA's subject names its key, so two devtenants' CAs are never mistaken for each other; its name
/// constraints permit only `host`'s DNS names (see [`dns_names`]) and the loopback addresses.
fn ca_params(key: &KeyPair, host: Option<&str>) -> CertificateParams {
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
    let mut permitted: Vec<_> = dns_names(host)
        .into_iter()
        .map(GeneralSubtree::DnsName)
        .collect();
    permitted.push(GeneralSubtree::IpAddress(CidrSubnet::V4(
        Ipv4Addr::new(127, 0, 0, 0).octets(),
        Ipv4Addr::new(255, 0, 0, 0).octets(),
    )));
    permitted.push(GeneralSubtree::IpAddress(CidrSubnet::V6(
        Ipv6Addr::LOCALHOST.octets(),
        [0xff; 16],
    )));
    params.name_constraints = Some(NameConstraints {
        permitted_subtrees: permitted,
        excluded_subtrees: Vec::new(),
    });
    params
}

/// What a client's trust store keeps of a CA certificate: its subject, key and name constraints.
fn anchor(der: CertificateDer<'_>) -> Result<rustls::pki_types::TrustAnchor<'static>, String> {
    let mut roots = rustls::RootCertStore::empty();
    roots.add(der).map_err(|e| e.to_string())?;
    roots.roots.pop().ok_or_else(|| "no certificate".to_owned())
}

impl Authority {
    /// A new CA for `host` (besides 127.0.0.1 and localhost), in memory only.
    pub fn generate(host: Option<&str>) -> Result<Self, TlsError> {
        let key = KeyPair::generate().map_err(|e| TlsError::Issue(e.to_string()))?;
        Self::from_key(key, host, None)
    }

    /// The CA in `dir` (`ca.pem`, `ca-key.pem`), made and saved there when missing. `dir` (made 0700 when
    /// missing) and the files must belong to the user devtenant runs as; a saved CA must carry the name
    /// constraints for `host` that a new one would.
    pub fn open(dir: &Path, host: Option<&str>) -> Result<Self, TlsError> {
        let (cert_path, key_path) = (dir.join(CA_FILE), dir.join(CA_KEY_FILE));
        let io = |path: &Path| {
            let path = path.to_owned();
            move |source| TlsError::Io { path, source }
        };
        private::own_dir(dir).map_err(io(dir))?;
        match private::read_own(&key_path) {
            Ok(bytes) => {
                let bad_key = |reason: String| TlsError::BadKey {
                    path: key_path.clone(),
                    reason,
                };
                let text = String::from_utf8(bytes).map_err(|e| bad_key(e.to_string()))?;
                let key = KeyPair::from_pem(&text).map_err(|e| bad_key(e.to_string()))?;
                let pem = private::read_own(&cert_path).map_err(io(&cert_path))?;
                let pem = String::from_utf8(pem).map_err(|e| bad_key(e.to_string()))?;
                let ca = Self::from_key(key, host, Some(pem))?;
                ca.check_saved(&cert_path, host)?;
                Ok(ca)
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let ca = Self::generate(host)?;
                private::write_new(&key_path, ca.key.serialize_pem().as_bytes())
                    .map_err(io(&key_path))?;
                let _ = std::fs::remove_file(&cert_path);
                private::write_new(&cert_path, ca.pem.as_bytes()).map_err(io(&cert_path))?;
                Ok(ca)
            }
            Err(e) => Err(io(&key_path)(e)),
        }
    }

    /// The saved `ca.pem` must be this key's certificate with the name constraints it would be made with now.
    fn check_saved(&self, cert_path: &Path, host: Option<&str>) -> Result<(), TlsError> {
        let bad = |reason: String| TlsError::BadKey {
            path: cert_path.to_owned(),
            reason,
        };
        let saved = rustls::pki_types::pem::PemObject::from_pem_slice(self.pem.as_bytes())
            .map_err(|e| bad(format!("ca.pem is not a PEM certificate ({e})")))?;
        let saved = anchor(saved).map_err(bad)?;
        let wanted = anchor(self.cert.der().clone()).map_err(bad)?;
        if saved.subject_public_key_info != wanted.subject_public_key_info {
            return Err(bad("ca.pem is not the certificate of ca-key.pem".into()));
        }
        if saved.name_constraints != wanted.name_constraints {
            let mut names = dns_names(host);
            names.extend(["127.0.0.0/8".to_owned(), "::1".to_owned()]);
            return Err(TlsError::Unconstrained {
                path: cert_path.to_owned(),
                names: names.join(", "),
            });
        }
        Ok(())
    }

    /// The CA made again from its key: the same subject and key, so what it issues chains to the saved
    /// `ca.pem` (whose bytes are kept as they were first written).
    fn from_key(key: KeyPair, host: Option<&str>, pem: Option<String>) -> Result<Self, TlsError> {
        let cert = ca_params(&key, host)
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

/// Where the CA file was written for clients; a private temporary folder is removed when this is dropped.
#[derive(Debug)]
pub struct CaFile {
    path: PathBuf,
    _temp: Option<tempfile::TempDir>,
}

impl CaFile {
    /// The CA certificate's path.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

/// Makes the CA file available to clients: `DATA/ca.pem` (already written there with its key) with a data
/// directory; else `ca.pem` (0600) in a new folder of unpredictable name in the temp dir, readable by this user
/// only (0700) and removed when the returned [`CaFile`] is dropped, so no other user can plant or swap it.
pub fn publish_ca(data: Option<&Path>, pem: &str) -> Result<CaFile, TlsError> {
    if let Some(dir) = data {
        return Ok(CaFile {
            path: dir.join(CA_FILE),
            _temp: None,
        });
    }
    let io = |path: PathBuf| move |source| TlsError::Io { path, source };
    let mut builder = tempfile::Builder::new();
    builder.prefix("devtenant-ca-");
    #[cfg(unix)]
    builder.permissions(std::os::unix::fs::PermissionsExt::from_mode(0o700));
    let temp = builder.tempdir().map_err(io(std::env::temp_dir()))?;
    let path = temp.path().join(CA_FILE);
    private::write_new(&path, pem.as_bytes()).map_err(io(path.clone()))?;
    Ok(CaFile {
        path,
        _temp: Some(temp),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use rustls::client::danger::ServerCertVerifier as _;

    /// A webpki server-certificate verifier trusting only the CA in `pem`.
    fn verifier(pem: &str) -> Arc<rustls::client::WebPkiServerVerifier> {
        let mut roots = rustls::RootCertStore::empty();
        let ca = rustls::pki_types::pem::PemObject::from_pem_slice(pem.as_bytes()).unwrap();
        roots.add(ca).unwrap();
        rustls::client::WebPkiServerVerifier::builder_with_provider(
            Arc::new(roots),
            Arc::new(rustls::crypto::ring::default_provider()),
        )
        .build()
        .unwrap()
    }

    /// Whether `leaf` verifies for `name` against `verifier`, and why not.
    fn verify(
        verifier: &rustls::client::WebPkiServerVerifier,
        leaf: &Leaf,
        name: &str,
    ) -> Result<(), rustls::Error> {
        let name = rustls::pki_types::ServerName::try_from(name.to_owned()).unwrap();
        verifier
            .verify_server_cert(
                &leaf.chain[0],
                &[],
                &name,
                &[],
                rustls::pki_types::UnixTime::now(),
            )
            .map(|_| ())
    }

    #[test]
    fn the_ca_is_kept_and_reused_and_what_it_issues_chains_to_the_saved_file() {
        let dir = tempfile::tempdir().unwrap();
        let first = Authority::open(dir.path(), None).unwrap();
        let saved = std::fs::read_to_string(dir.path().join(CA_FILE)).unwrap();
        assert_eq!(first.pem(), saved);
        let again = Authority::open(dir.path(), None).unwrap();
        assert_eq!(again.pem(), saved, "the same CA after a restart");
        // A leaf issued by the reopened CA verifies against the CA file written by the first.
        let leaf = again
            .issue(&["127.0.0.1".into(), "localhost".into()])
            .unwrap();
        let verifier = verifier(&saved);
        verify(&verifier, &leaf, "127.0.0.1").unwrap();
        verify(&verifier, &leaf, "localhost").unwrap();
        assert!(
            verify(&verifier, &leaf, "tenant.test").is_err(),
            "only for the names asked"
        );
        assert_eq!(leaf.spki_sha256.len(), 44, "base64 of 32 bytes");
    }

    #[test]
    fn the_ca_vouches_only_for_loopback_localhost_and_the_tenants_host() {
        let ca = Authority::generate(Some("tenant.test")).unwrap();
        let verifier = verifier(ca.pem());
        // (name in the leaf, accepted)
        let rows = [
            ("127.0.0.1", true),
            ("127.8.9.10", true),
            ("::1", true),
            ("localhost", true),
            ("tenant.test", true),
            ("evil.example", false),
            ("accounts.google.com", false),
            ("test", false),
            ("localhost.evil.example", false),
            ("10.0.0.1", false),
            ("::2", false),
        ];
        for (name, accepted) in rows {
            let leaf = ca.issue(&[name.to_owned()]).unwrap();
            let verdict = verify(&verifier, &leaf, name);
            assert_eq!(verdict.is_ok(), accepted, "{name}: {verdict:?}");
            if !accepted {
                let why = format!("{:?}", verdict.unwrap_err());
                assert!(
                    why.contains("NameConstraintViolation"),
                    "{name}: refused by the CA's name constraints, not {why}"
                );
            }
        }
        // A leaf that lists an allowed name beside a foreign one is refused as a whole.
        let mixed = ca
            .issue(&["localhost".into(), "evil.example".into()])
            .unwrap();
        assert!(verify(&verifier, &mixed, "localhost").is_err());
    }

    #[cfg(unix)]
    #[test]
    fn the_ca_files_are_the_users_alone() {
        use crate::private::tests::mode;
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("data");
        Authority::open(&dir, None).unwrap();
        assert_eq!(mode(&dir), 0o700, "made by devtenant");
        assert_eq!(mode(&dir.join(CA_KEY_FILE)), 0o600);
        assert_eq!(mode(&dir.join(CA_FILE)), 0o600);
    }

    #[cfg(unix)]
    #[test]
    fn a_data_dir_or_ca_key_of_another_user_is_refused() {
        let tmp = tempfile::tempdir().unwrap();
        let Some(foreign) = crate::private::tests::foreign_dir(tmp.path()) else {
            eprintln!("skipped: not root, cannot make a folder of another user");
            return;
        };
        let err = Authority::open(&foreign, None).unwrap_err().to_string();
        assert!(err.contains("belongs to another user (uid 65534"), "{err}");
        assert!(!foreign.join(CA_KEY_FILE).exists(), "nothing written there");
        // Our folder, but a CA key someone else put there.
        let ours = tmp.path().join("ours");
        Authority::open(&ours, None).unwrap();
        std::os::unix::fs::chown(ours.join(CA_KEY_FILE), Some(65534), None).unwrap();
        let err = Authority::open(&ours, None).unwrap_err().to_string();
        assert!(err.contains("ca-key.pem belongs to another user"), "{err}");
    }

    #[test]
    fn a_saved_ca_without_these_name_constraints_is_refused() {
        // A CA as devtenant made them before: no name constraints.
        let dir = tempfile::tempdir().unwrap();
        let key = KeyPair::generate().unwrap();
        let mut params = ca_params(&key, None);
        params.name_constraints = None;
        let old = params.self_signed(&key).unwrap();
        std::fs::write(dir.path().join(CA_KEY_FILE), key.serialize_pem()).unwrap();
        std::fs::write(dir.path().join(CA_FILE), old.pem()).unwrap();
        let err = Authority::open(dir.path(), None).unwrap_err();
        assert!(matches!(err, TlsError::Unconstrained { .. }), "{err:?}");
        assert_eq!(
            err.to_string(),
            format!(
                "{} is not constrained to the names this devtenant serves (localhost, 127.0.0.0/8, ::1): it was \
                 made by an older devtenant (no constraints, valid for any site) or for another --tls host; \
                 delete ca.pem and ca-key.pem there to make a new CA, and remove the old one from any trust store",
                dir.path().join(CA_FILE).display()
            )
        );
        // A CA made for another host is not reused for this one either.
        let dir = tempfile::tempdir().unwrap();
        Authority::open(dir.path(), Some("tenant.test")).unwrap();
        Authority::open(dir.path(), Some("tenant.test")).expect("the same host");
        assert!(matches!(
            Authority::open(dir.path(), Some("other.test")),
            Err(TlsError::Unconstrained { .. })
        ));
    }

    #[cfg(unix)]
    #[test]
    fn without_a_data_dir_the_ca_file_is_in_a_private_folder_of_unpredictable_name() {
        use crate::private::tests::mode;
        let pem = Authority::generate(None).unwrap().pem().to_owned();
        let first = publish_ca(None, &pem).unwrap();
        let second = publish_ca(None, &pem).unwrap();
        let folder = first.path().parent().unwrap().to_owned();
        assert_ne!(folder, second.path().parent().unwrap());
        assert_eq!(folder.parent().unwrap(), std::env::temp_dir());
        let name = folder.file_name().unwrap().to_str().unwrap();
        assert!(
            name.starts_with("devtenant-ca-") && name.len() > "devtenant-ca-".len() + 4,
            "{name}"
        );
        assert_eq!(std::fs::read_to_string(first.path()).unwrap(), pem);
        assert_eq!((mode(&folder), mode(first.path())), (0o700, 0o600));
        drop(first);
        assert!(!folder.exists(), "removed with the process's CaFile");
        // With a data directory, the CA file is the one kept there.
        let data = Path::new("/srv/dt");
        assert_eq!(
            publish_ca(Some(data), &pem).unwrap().path(),
            data.join(CA_FILE)
        );
    }
}
