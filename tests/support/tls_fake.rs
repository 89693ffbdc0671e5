//! The fake server's canned answers over TLS, with a certificate for chosen names: a cloud's
//! real host (`uptick.azurecr.io`) reached on loopback through the routed forward proxy.

use super::fake::{Reply, Request};
use std::io::{BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::Arc;

/// A running TLS fake: its loopback port and the CA (PEM) its certificate is signed by.
pub struct TlsFake {
    pub port: u16,
    pub ca_pem: String,
}

/// A CA and a server certificate and key (DER) for `names`.
fn certificate(names: &[&str]) -> (String, Vec<u8>, Vec<u8>) {
    let ca_key = rcgen::KeyPair::generate().expect("ca key");
    let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).expect("ca params");
    ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "uptick TLS fake CA");
    let ca = rcgen::CertifiedIssuer::self_signed(ca_params, ca_key).expect("ca");
    let key = rcgen::KeyPair::generate().expect("key");
    let params =
        rcgen::CertificateParams::new(names.iter().map(|n| n.to_string()).collect::<Vec<_>>())
            .expect("params");
    let cert = params.signed_by(&key, &ca).expect("sign");
    let ca_ref: &rcgen::Certificate = ca.as_ref();
    (ca_ref.pem(), cert.der().to_vec(), key.serialize_der())
}

/// Serves `handler` over TLS (HTTP/1.1, keep-alive) on a loopback port until the test ends.
pub fn serve(
    names: &[&str],
    handler: impl Fn(&Request) -> Reply + Send + Sync + 'static,
) -> TlsFake {
    use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
    let (ca_pem, cert, key) = certificate(names);
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("protocol versions")
        .with_no_client_auth()
        .with_single_cert(
            vec![CertificateDer::from(cert)],
            PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key)),
        )
        .expect("server config");
    let config = Arc::new(config);
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind TLS fake");
    let port = listener.local_addr().expect("addr").port();
    let handler: Arc<dyn Fn(&Request) -> Reply + Send + Sync> = Arc::new(handler);
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(stream) = stream else { continue };
            let (config, handler) = (config.clone(), handler.clone());
            std::thread::spawn(move || {
                let Ok(conn) = rustls::ServerConnection::new(config) else {
                    return;
                };
                let mut reader = BufReader::new(rustls::StreamOwned::new(conn, stream));
                while let Ok(Some(head)) = super::http1::read_head(&mut reader) {
                    let mut body = vec![0u8; head.length];
                    if reader.read_exact(&mut body).is_err() {
                        return;
                    }
                    let reply = handler(&Request::new(&head, body));
                    let mut bytes = reply.head().into_bytes();
                    if head.method != "HEAD" {
                        bytes.extend_from_slice(&reply.body);
                    }
                    let out = reader.get_mut();
                    if out.write_all(&bytes).and_then(|()| out.flush()).is_err() {
                        return;
                    }
                }
            });
        }
    });
    TlsFake { port, ca_pem }
}
