//! TLS for every client: system roots loaded only when a server shows a certificate, `ca_certs`,
//! `insecure`, and a client identity for mTLS, handed to reqwest as a prepared rustls config.

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use std::sync::{Arc, OnceLock};

/// TLS choices from `source`: `insecure` and `ca_certs`.
#[derive(Clone, Debug, Default)]
pub(crate) struct TlsSettings {
    /// Skip certificate verification.
    pub insecure: bool,
    /// Extra PEM roots added to the system ones.
    pub ca_certs: Vec<String>,
    /// A client certificate chain and its key (PEM), for registries that demand mTLS.
    pub client_identity: Option<(String, crate::log::Secret)>,
}

/// Why the TLS settings (`ca_certs`, `client_cert`/`client_key`) cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    /// A PEM text does not parse.
    #[error("{what} is not valid PEM")]
    Pem {
        /// `client_cert`, `ca_certs entry 0`.
        what: String,
        /// The PEM reader's error.
        #[source]
        source: rustls::pki_types::pem::Error,
    },
    /// A PEM text holds no certificate.
    #[error("{0} holds no PEM CERTIFICATE block")]
    NoCertificate(String),
    /// The key's own parser error could quote key material: this says only that it failed.
    #[error("client_key is not a PEM private key (PKCS#8, PKCS#1 or SEC1)")]
    PrivateKey,
    /// rustls refused its protocol versions.
    #[error("TLS setup failed")]
    Setup(#[source] rustls::Error),
    /// rustls refused the client certificate with its key.
    #[error("client_cert / client_key do not fit together")]
    Identity(#[source] rustls::Error),
    /// The HTTP client could not be built: reqwest's causes as [`super::classify`] renders
    /// them (its wrappers skipped, URLs redacted).
    #[error("{0}")]
    Client(String),
}

/// Client certificate chain and key from PEM text.
pub(crate) fn client_identity(
    cert_pem: &str,
    key_pem: &str,
) -> Result<
    (
        Vec<CertificateDer<'static>>,
        rustls::pki_types::PrivateKeyDer<'static>,
    ),
    TlsError,
> {
    let certs: Vec<_> = CertificateDer::pem_slice_iter(cert_pem.as_bytes())
        .collect::<Result<_, _>>()
        .map_err(|source| TlsError::Pem {
            what: "client_cert".into(),
            source,
        })?;
    if certs.is_empty() {
        return Err(TlsError::NoCertificate("client_cert".into()));
    }
    let key = rustls::pki_types::PrivateKeyDer::from_pem_slice(key_pem.as_bytes())
        .map_err(|_| TlsError::PrivateKey)?;
    Ok((certs, key))
}

/// The certificates of one `ca_certs` entry.
pub(crate) fn parse_pem(index: usize, pem: &str) -> Result<Vec<CertificateDer<'static>>, TlsError> {
    let what = || format!("ca_certs entry {index}");
    let certs: Vec<_> = CertificateDer::pem_slice_iter(pem.as_bytes())
        .collect::<Result<_, _>>()
        .map_err(|source| TlsError::Pem {
            what: what(),
            source,
        })?;
    if certs.is_empty() {
        return Err(TlsError::NoCertificate(what()));
    }
    Ok(certs)
}

/// The rustls configuration for `settings` (HTTP/1.1 by ALPN).
pub(crate) fn tls_config(settings: &TlsSettings) -> Result<rustls::ClientConfig, TlsError> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = rustls::ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(TlsError::Setup)?;
    let verifier: Arc<dyn ServerCertVerifier> = Arc::new(LazyRootsVerifier {
        provider,
        insecure: settings.insecure,
        ca_certs: settings.ca_certs.clone(),
        inner: OnceLock::new(),
    });
    let builder = builder
        .dangerous()
        .with_custom_certificate_verifier(verifier);
    let mut config = match &settings.client_identity {
        Some((cert, key)) => {
            let (chain, key) = client_identity(cert, key.expose())?;
            builder
                .with_client_auth_cert(chain, key)
                .map_err(TlsError::Identity)?
        }
        None => builder.with_no_client_auth(),
    };
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(config)
}

/// Bundle files tried before scanning a certificate directory (one file is much cheaper).
const CA_BUNDLES: &[&str] = &[
    "/etc/ssl/certs/ca-certificates.crt",
    "/etc/pki/tls/certs/ca-bundle.crt",
    "/etc/ssl/certs/ca-bundle.crt",
    "/etc/ssl/ca-bundle.pem",
    "/etc/ssl/cert.pem",
    "/etc/pki/tls/cacert.pem",
];

/// The system roots: `SSL_CERT_FILE`, else the first bundle file found, else the platform scan.
fn system_roots() -> Vec<CertificateDer<'static>> {
    let from_env = std::env::var_os("SSL_CERT_FILE").map(std::path::PathBuf::from);
    let candidates = from_env
        .into_iter()
        .chain(CA_BUNDLES.iter().map(std::path::PathBuf::from));
    for path in candidates {
        if let Ok(bytes) = std::fs::read(&path) {
            let certs: Vec<_> = CertificateDer::pem_slice_iter(&bytes)
                .filter_map(Result::ok)
                .collect();
            if !certs.is_empty() {
                return certs;
            }
        }
    }
    rustls_native_certs::load_native_certs().certs
}

/// Verifies against system roots plus `ca_certs`, loading them only when a server shows a
/// certificate: a plain-HTTP loopback registry never pays for reading the root store. With
/// `insecure: true` (the user asked for it by name) any certificate is accepted; handshake
/// signatures are still checked.
#[derive(Debug)]
struct LazyRootsVerifier {
    provider: Arc<rustls::crypto::CryptoProvider>,
    insecure: bool,
    ca_certs: Vec<String>,
    inner: OnceLock<Result<Arc<rustls::client::WebPkiServerVerifier>, String>>,
}

impl LazyRootsVerifier {
    fn inner(&self) -> Result<&Arc<rustls::client::WebPkiServerVerifier>, rustls::Error> {
        self.inner
            .get_or_init(|| {
                let mut roots = rustls::RootCertStore::empty();
                roots.add_parsable_certificates(system_roots());
                for (i, pem) in self.ca_certs.iter().enumerate() {
                    for cert in parse_pem(i, pem).map_err(|e| crate::log::chain(&e))? {
                        roots.add(cert).map_err(|e| {
                            format!("ca_certs entry {i} is not a usable CA certificate: {e}")
                        })?;
                    }
                }
                rustls::client::WebPkiServerVerifier::builder_with_provider(
                    Arc::new(roots),
                    self.provider.clone(),
                )
                .build()
                .map_err(|e| format!("no usable CA certificates: {e}"))
            })
            .as_ref()
            .map_err(|e| rustls::Error::General(e.clone()))
    }
}

impl ServerCertVerifier for LazyRootsVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        if self.insecure {
            return Ok(ServerCertVerified::assertion());
        }
        self.inner()?
            .verify_server_cert(end_entity, intermediates, server_name, ocsp, now)
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
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
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}
