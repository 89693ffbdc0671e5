//! Starts Debian's `docker-registry` (distribution 2.8) on a free loopback port, in one of four modes.

pub use super::token::Accounts;
use super::token::{Signer, TokenServer, ISSUER, SERVICE};
use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use serde_json::{json, Value};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Decides per token request, as a proxy hook does.
pub type TokenHook = dyn Fn(&str, &str, u64) -> super::proxy::Action + Send + Sync;

pub const USER: &str = "uptick";
pub const PASSWORD: &str = "s3cret-Pa55word";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    Plain,
    Basic,
    Tls,
    Token,
    /// TLS that demands a client certificate signed by the test CA.
    Mtls,
    /// TLS and htpasswd basic auth (as cloud registries are).
    TlsBasic,
}

pub struct TestRegistry {
    pub mode: Mode,
    pub port: u16,
    pub dir: tempfile::TempDir,
    pub ca_pem: Option<String>,
    /// Client certificate and key (PEM) the mTLS mode accepts.
    pub client: Option<(String, String)>,
    pub token: Option<TokenServer>,
    /// Who gets in (basic mode: the htpasswd; token mode: the issuer).
    pub accounts: Accounts,
    signer: Option<Arc<Signer>>,
    child: Child,
}

impl TestRegistry {
    pub fn start(mode: Mode) -> TestRegistry {
        Self::start_on(mode, super::free_port())
    }

    /// Starts on a given port (to replace a stopped registry at the same address).
    /// Starts with other accounts than the default `USER`/`PASSWORD` (basic and token modes).
    pub fn start_with(mode: Mode, accounts: Accounts) -> TestRegistry {
        Self::start_full(mode, super::free_port(), accounts, None)
    }

    pub fn start_on(mode: Mode, port: u16) -> TestRegistry {
        Self::start_full(mode, port, Accounts::user(USER, PASSWORD), None)
    }

    /// Token mode with the realm behind a fault-injecting proxy (`hook` as in [`proxy::start`]).
    pub fn start_token_proxied(hook: Box<TokenHook>) -> TestRegistry {
        Self::start_full(
            Mode::Token,
            super::free_port(),
            Accounts::user(USER, PASSWORD),
            Some(hook),
        )
    }

    fn start_full(
        mode: Mode,
        port: u16,
        accounts: Accounts,
        token_hook: Option<Box<TokenHook>>,
    ) -> TestRegistry {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path();
        let mut http_tls = String::new();
        let mut auth = String::new();
        let mut ca_pem = None;
        let mut client = None;
        let mut token = None;
        let mut signer = None;
        if matches!(mode, Mode::Basic | Mode::TlsBasic) {
            let lines: String = accounts
                .basic
                .iter()
                .map(|(u, p)| format!("{u}:{}\n", bcrypt::hash(p, 5).expect("bcrypt")))
                .collect();
            std::fs::write(root.join("htpasswd"), lines).expect("htpasswd");
            auth = format!(
                "auth:\n  htpasswd:\n    realm: uptick-test\n    path: {}\n",
                root.join("htpasswd").display()
            );
        }
        if matches!(mode, Mode::Tls | Mode::Mtls | Mode::TlsBasic) {
            let (ca, cert, key, client_pair) = tls_material();
            std::fs::write(root.join("server.crt"), cert).expect("cert");
            std::fs::write(root.join("server.key"), key).expect("key");
            std::fs::write(root.join("ca.crt"), &ca).expect("ca");
            http_tls = format!(
                "  tls:\n    certificate: {}\n    key: {}\n",
                root.join("server.crt").display(),
                root.join("server.key").display()
            );
            if mode == Mode::Mtls {
                http_tls.push_str(&format!(
                    "    clientcas:\n      - {}\n",
                    root.join("ca.crt").display()
                ));
                client = Some(client_pair);
            }
            ca_pem = Some(ca);
        }
        match mode {
            Mode::Plain | Mode::Basic | Mode::Tls | Mode::Mtls | Mode::TlsBasic => {}
            Mode::Token => {
                let s = Arc::new(Signer::new());
                std::fs::write(root.join("token.crt"), &s.cert_pem).expect("bundle");
                let server = TokenServer::start(s.clone(), accounts.clone());
                let realm_port = match token_hook {
                    Some(hook) => super::proxy::start(server.port, hook),
                    None => server.port,
                };
                auth = format!(
                    "auth:\n  token:\n    realm: http://127.0.0.1:{}/token\n    service: {SERVICE}\n    issuer: {ISSUER}\n    rootcertbundle: {}\n",
                    realm_port,
                    root.join("token.crt").display()
                );
                token = Some(server);
                signer = Some(s);
            }
        }
        let config = format!(
            "version: 0.1\nlog:\n  level: info\n  formatter: text\n  accesslog:\n    disabled: false\nstorage:\n  filesystem:\n    rootdirectory: {}\n  delete:\n    enabled: true\nhttp:\n  addr: 127.0.0.1:{port}\n  secret: uptick-test-secret\n{http_tls}{auth}",
            root.join("storage").display()
        );
        std::fs::write(root.join("config.yml"), config).expect("config");
        let log = std::fs::File::create(root.join("registry.log")).expect("log");
        let child = Command::new("docker-registry")
            .arg("serve")
            .arg(root.join("config.yml"))
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("log"))
            .stderr(log)
            .spawn()
            .expect("docker-registry must be installed (ci/test installs it)");
        let reg = TestRegistry {
            mode,
            port,
            dir,
            ca_pem,
            client,
            token,
            accounts,
            signer,
            child,
        };
        reg.wait_ready();
        reg
    }

    fn wait_ready(&self) {
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            if std::net::TcpStream::connect(("127.0.0.1", self.port)).is_ok() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        panic!("registry did not start: {}", self.log());
    }

    pub fn host(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    pub fn base_url(&self) -> String {
        let scheme = if matches!(self.mode, Mode::Tls | Mode::Mtls | Mode::TlsBasic) {
            "https"
        } else {
            "http"
        };
        format!("{scheme}://{}", self.host())
    }

    pub fn repo(&self, name: &str) -> String {
        format!("{}/{name}", self.host())
    }

    /// A `source` for `name` with this mode's credentials / CA, plus `extra` fields.
    pub fn source(&self, name: &str, extra: Value) -> Value {
        let mut s = json!({"repository": self.repo(name)});
        match self.mode {
            Mode::TlsBasic => {
                s["username"] = json!(USER);
                s["password"] = json!(PASSWORD);
                s["ca_certs"] = json!([self.ca_pem.clone().expect("ca")]);
            }
            Mode::Basic | Mode::Token => {
                s["username"] = json!(USER);
                s["password"] = json!(PASSWORD);
            }
            Mode::Tls => s["ca_certs"] = json!([self.ca_pem.clone().expect("ca")]),
            Mode::Mtls => {
                s["ca_certs"] = json!([self.ca_pem.clone().expect("ca")]);
                let (cert, key) = self.client.clone().expect("client");
                s["client_cert"] = json!(cert);
                s["client_key"] = json!(key);
            }
            Mode::Plain => {}
        }
        if let Value::Object(extra) = extra {
            for (k, v) in extra {
                s[k] = v;
            }
        }
        s
    }

    /// The `Authorization` the seeding code uses for `repo` (push and pull).
    pub fn admin_auth(&self, repo: &str) -> Option<String> {
        match self.mode {
            Mode::Plain | Mode::Tls | Mode::Mtls => None,
            Mode::Basic | Mode::TlsBasic => {
                let (user, password) = &self.accounts.basic[0];
                Some(format!(
                    "Basic {}",
                    STANDARD.encode(format!("{user}:{password}"))
                ))
            }
            Mode::Token => {
                let signer = self.signer.as_ref().expect("signer");
                let access = vec![(
                    repo.to_string(),
                    vec!["pull".to_string(), "push".to_string(), "delete".to_string()],
                )];
                Some(format!("Bearer {}", signer.token("seeder", &access)))
            }
        }
    }

    /// A blocking HTTP client (reqwest's, independent of the one under test) that trusts this
    /// registry's CA, presents its client certificate, and follows no redirect.
    pub fn agent(&self) -> reqwest::blocking::Client {
        use rustls::pki_types::pem::PemObject;
        let mut roots = rustls::RootCertStore::empty();
        if let Some(ca) = &self.ca_pem {
            for c in rustls::pki_types::CertificateDer::pem_slice_iter(ca.as_bytes()) {
                roots.add(c.expect("pem")).expect("root");
            }
        }
        let tls = rustls::ClientConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .expect("tls")
        .with_root_certificates(roots);
        let config = match &self.client {
            Some((cert, key)) => {
                let chain = rustls::pki_types::CertificateDer::pem_slice_iter(cert.as_bytes())
                    .collect::<Result<Vec<_>, _>>()
                    .expect("client cert");
                let key = rustls::pki_types::PrivateKeyDer::from_pem_slice(key.as_bytes())
                    .expect("client key");
                tls.with_client_auth_cert(chain, key).expect("client auth")
            }
            None => tls.with_no_client_auth(),
        };
        reqwest::blocking::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .tls_backend_preconfigured(config)
            .build()
            .expect("test client")
    }

    /// Where the registry keeps a blob's bytes.
    pub fn blob_file(&self, digest: &str) -> std::path::PathBuf {
        let hex = &digest[7..];
        self.dir.path().join(format!(
            "storage/docker/registry/v2/blobs/sha256/{}/{hex}/data",
            &hex[..2]
        ))
    }

    /// Requests in the registry's access log: (method, path and query, status).
    pub fn access_log(&self) -> Vec<(String, String, u16)> {
        // Lines like: 127.0.0.1 - - [date] "PUT /v2/app/manifests/latest HTTP/1.1" 201 0 "" "ua"
        std::thread::sleep(std::time::Duration::from_millis(100));
        self.log()
            .lines()
            .filter_map(|l| {
                let start = l.find("\"")? + 1;
                let rest = &l[start..];
                let end = rest.find('"')?;
                let mut req = rest[..end].split(' ');
                let method = req.next()?.to_string();
                let path = req.next()?.to_string();
                let status = rest[end + 1..].split_whitespace().next()?.parse().ok()?;
                matches!(
                    method.as_str(),
                    "GET" | "HEAD" | "PUT" | "POST" | "PATCH" | "DELETE"
                )
                .then_some((method, path, status))
            })
            .collect()
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("registry.log")).unwrap_or_default()
    }
}

impl Drop for TestRegistry {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A CA, a server certificate it signed for 127.0.0.1 and localhost, and a client certificate
/// (PEM: ca, cert, key, (client cert, client key)).
fn tls_material() -> (String, String, String, (String, String)) {
    let ca_key = rcgen::KeyPair::generate().expect("ca key");
    let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).expect("ca params");
    ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "uptick test CA");
    let ca = rcgen::CertifiedIssuer::self_signed(ca_params, ca_key).expect("ca");
    let key = rcgen::KeyPair::generate().expect("key");
    let params = rcgen::CertificateParams::new(vec![
        "127.0.0.1".to_string(),
        "localhost".to_string(),
        // Reached only through the test forward proxy (tests/proxies.rs, tests/cloud.rs).
        "registry.uptick.test".to_string(),
        "123456789012.dkr.ecr.us-east-1.amazonaws.com".to_string(),
    ])
    .expect("params");
    let cert = params.signed_by(&key, &ca).expect("sign");
    let ckey = rcgen::KeyPair::generate().expect("client key");
    let mut cparams = rcgen::CertificateParams::new(Vec::<String>::new()).expect("client params");
    cparams
        .distinguished_name
        .push(rcgen::DnType::CommonName, "uptick test client");
    cparams.extended_key_usages = vec![rcgen::ExtendedKeyUsagePurpose::ClientAuth];
    let ccert = cparams.signed_by(&ckey, &ca).expect("client sign");
    let ca_ref: &rcgen::Certificate = ca.as_ref();
    (
        ca_ref.pem(),
        cert.pem(),
        key.serialize_pem(),
        (ccert.pem(), ckey.serialize_pem()),
    )
}
