//! The one HTTP stack: TLS settings, timeouts, manual redirects, per-request debug lines.

use super::error::RegistryError;
use crate::log;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use std::io::Read;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

const CONNECT_TIMEOUT: Duration = Duration::from_secs(15);
const IO_TIMEOUT: Duration = Duration::from_secs(60);
const MAX_REDIRECTS: usize = 5;
/// Retries after the first try.
const RETRIES: u32 = 4;
const RETRY_BASE: Duration = Duration::from_millis(200);
const RETRY_MAX_DELAY: Duration = Duration::from_secs(20);
/// All retries of one request end within this (well under Concourse's check timeout), and a
/// small document's body must arrive within it; `request_timeout` changes it for the run.
const DEFAULT_BUDGET: Duration = Duration::from_secs(60);
static BUDGET_SECS: std::sync::atomic::AtomicU64 =
    std::sync::atomic::AtomicU64::new(DEFAULT_BUDGET.as_secs());

/// Sets the run's per-request budget (`source.request_timeout`, 1–3600 s).
pub fn set_budget(seconds: Option<u64>) -> Result<(), RegistryError> {
    let secs = seconds.unwrap_or(DEFAULT_BUDGET.as_secs());
    if !(1..=3600).contains(&secs) {
        return Err(RegistryError::Settings(format!(
            "request_timeout must be between 1 and 3600 seconds, not {secs}"
        )));
    }
    BUDGET_SECS.store(secs, std::sync::atomic::Ordering::Relaxed);
    Ok(())
}

thread_local! {
    /// Set while a request's answer is a stream (a blob, a download): only stalls end it.
    static STREAMING: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Runs `f` with its requests' answers allowed to take longer than the budget (blobs, release
/// files): a stall of `request_timeout` still ends them. Every other request — and uploads,
/// whose bodies are files — must be answered within the budget, headers included.
pub fn streaming<T>(f: impl FnOnce() -> T) -> T {
    let before = STREAMING.with(|s| s.replace(true));
    let out = f();
    STREAMING.with(|s| s.set(before));
    out
}

fn budget() -> Duration {
    Duration::from_secs(BUDGET_SECS.load(std::sync::atomic::Ordering::Relaxed))
}

fn jitter_ms() -> u32 {
    use std::hash::{BuildHasher, RandomState};
    (RandomState::new().hash_one(std::time::SystemTime::now()) % 200) as u32
}

fn reason_of(status: u16) -> &'static str {
    match status {
        408 => "Request Timeout",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => "",
    }
}
const USER_AGENT: &str = concat!("uptick/", env!("CARGO_PKG_VERSION"));

/// TLS choices from `source`: `insecure` and `ca_certs`.
#[derive(Clone, Debug, Default)]
pub struct TlsSettings {
    /// Skip certificate verification.
    pub insecure: bool,
    /// Extra PEM roots added to the system ones.
    pub ca_certs: Vec<String>,
    /// A client certificate chain and its key (PEM), for registries that demand mTLS.
    pub client_identity: Option<(String, crate::protocol::Secret)>,
}

/// Client certificate chain and key from PEM text.
fn client_identity(
    cert_pem: &str,
    key_pem: &str,
) -> Result<
    (
        Vec<CertificateDer<'static>>,
        rustls::pki_types::PrivateKeyDer<'static>,
    ),
    String,
> {
    let certs: Vec<_> = CertificateDer::pem_slice_iter(cert_pem.as_bytes())
        .collect::<Result<_, _>>()
        .map_err(|e| format!("client_cert is not valid PEM: {e}"))?;
    if certs.is_empty() {
        return Err("client_cert holds no PEM CERTIFICATE block".into());
    }
    // The key's own parser error could quote key material: say only that it failed.
    let key = rustls::pki_types::PrivateKeyDer::from_pem_slice(key_pem.as_bytes())
        .map_err(|_| "client_key is not a PEM private key (PKCS#8, PKCS#1 or SEC1)".to_string())?;
    Ok((certs, key))
}

/// A response with its URL, ready to be read.
pub struct Response {
    /// HTTP status.
    pub status: u16,
    /// Final URL (after redirects), without credentials.
    pub url: String,
    inner: ureq::Response,
}

impl Response {
    /// A header's value.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.inner.header(name)
    }

    /// All values of a header.
    pub fn headers_all(&self, name: &str) -> Vec<&str> {
        self.inner.all(name)
    }

    /// The body as a stream.
    pub fn into_reader(self) -> Box<dyn Read + Send + Sync + 'static> {
        self.inner.into_reader()
    }

    /// Reads the body, failing when it is larger than `limit` bytes or has not arrived within
    /// the run's budget (a server dribbling a document byte by byte is cut off).
    pub fn read_limited(self, limit: u64) -> Result<Vec<u8>, RegistryError> {
        let url = self.url.clone();
        let mut buf = Vec::new();
        let deadline = Instant::now() + budget();
        let mut reader = Deadline {
            inner: self.into_reader().take(limit + 1),
            deadline,
        };
        reader.read_to_end(&mut buf).map_err(|e| {
            if e.kind() == std::io::ErrorKind::TimedOut {
                RegistryError::Timeout {
                    method: "GET".into(),
                    url: url.clone(),
                    detail: format!(
                        "the body did not arrive within {} s (request_timeout)",
                        budget().as_secs()
                    ),
                }
            } else {
                RegistryError::Read {
                    url: url.clone(),
                    detail: e.to_string(),
                }
            }
        })?;
        if buf.len() as u64 > limit {
            return Err(RegistryError::BadResponse {
                url,
                detail: format!("response is larger than {limit} bytes"),
            });
        }
        Ok(buf)
    }
}

/// A reader that fails with `TimedOut` once its deadline has passed.
struct Deadline<R> {
    inner: R,
    deadline: Instant,
}

impl<R: Read> Read for Deadline<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if Instant::now() > self.deadline {
            return Err(std::io::Error::new(
                std::io::ErrorKind::TimedOut,
                "deadline passed",
            ));
        }
        self.inner.read(buf)
    }
}

/// A request body; re-sendable (a 401 retry sends it again).
#[derive(Clone, Copy, Debug)]
pub enum Body<'a> {
    /// No body (`Content-Length: 0` on methods that carry one).
    Empty,
    /// Bytes in memory (manifests).
    Bytes(&'a [u8]),
    /// `len` bytes of a file from `offset` (blobs, streamed, never held in memory).
    File {
        /// The file.
        path: &'a std::path::Path,
        /// Where to start.
        offset: u64,
        /// How many bytes.
        len: u64,
    },
}

/// Transport-level failure, classified so the caller can decide on an HTTP fallback.
#[derive(Debug)]
pub enum SendError {
    /// The peer spoke another protocol or hung up at once (plain HTTP on an https URL, or TLS
    /// on an http URL): worth one try with the other scheme.
    WrongProtocol(RegistryError),
    /// Anything else.
    Other(RegistryError),
}

impl SendError {
    /// The error to report.
    pub fn into_error(self) -> RegistryError {
        match self {
            SendError::WrongProtocol(e) | SendError::Other(e) => e,
        }
    }
}

/// Why an agent could not be built.
#[derive(Clone, Debug)]
enum AgentError {
    Tls(String),
    Proxy(String),
}

/// Plain and TLS agents sharing settings, direct and through the environment's proxy; each is
/// built on first use (the TLS ones load the root store then).
pub struct Http {
    plain: ureq::Agent,
    tls: OnceLock<Result<ureq::Agent, String>>,
    proxied_plain: OnceLock<Result<ureq::Agent, AgentError>>,
    proxied_tls: OnceLock<Result<ureq::Agent, AgentError>>,
    proxies: super::proxy::ProxyEnv,
    settings: TlsSettings,
}

impl Http {
    /// A new stack; nothing is loaded until the first request.
    pub fn new(settings: TlsSettings) -> Http {
        Http {
            plain: builder().build(),
            tls: OnceLock::new(),
            proxied_plain: OnceLock::new(),
            proxied_tls: OnceLock::new(),
            proxies: super::proxy::ProxyEnv::from_env(),
            settings,
        }
    }

    /// Checks `ca_certs` now so a bad entry fails before any request.
    pub fn validate(&self) -> Result<(), RegistryError> {
        for (i, pem) in self.settings.ca_certs.iter().enumerate() {
            parse_pem(i, pem).map_err(RegistryError::CaCerts)?;
        }
        if let Some((cert, key)) = &self.settings.client_identity {
            client_identity(cert, key.expose()).map_err(RegistryError::CaCerts)?;
        }
        Ok(())
    }

    fn agent(&self, url: &str) -> Result<&ureq::Agent, RegistryError> {
        let plain = url.starts_with("http://");
        if let Some(proxy) = self.proxies.for_url(url) {
            let proxied = |b: ureq::AgentBuilder| {
                // The proxy URL may carry a password: the error never quotes it.
                let p = ureq::Proxy::new(proxy).map_err(|_| {
                    AgentError::Proxy("HTTP(S)_PROXY is not a usable proxy URL".into())
                })?;
                Ok(b.proxy(p).build())
            };
            let slot = if plain {
                self.proxied_plain.get_or_init(|| proxied(builder()))
            } else {
                self.proxied_tls.get_or_init(|| {
                    let config = tls_config(&self.settings).map_err(AgentError::Tls)?;
                    proxied(builder().tls_config(config))
                })
            };
            return slot.as_ref().map_err(|e| match e {
                AgentError::Tls(m) => RegistryError::CaCerts(m.clone()),
                AgentError::Proxy(m) => RegistryError::Proxy(m.clone()),
            });
        }
        if plain {
            return Ok(&self.plain);
        }
        self.tls
            .get_or_init(|| tls_config(&self.settings).map(|c| builder().tls_config(c).build()))
            .as_ref()
            .map_err(|e| RegistryError::CaCerts(e.clone()))
    }

    /// Sends a request with the retry policy: a 408, 429, 500, 502, 503 or 504 answer, a
    /// connection reset or a timeout is retried with exponential backoff and jitter (a
    /// `Retry-After` up to the budget is honoured), at most `RETRIES` times and within
    /// the run's budget; every retry is logged. Other answers (401, 403, 404, …) return at once.
    pub fn send(
        &self,
        method: &str,
        url: &str,
        headers: &[(&str, &str)],
        authorization: Option<&str>,
        body: Body<'_>,
    ) -> Result<Response, SendError> {
        let started = Instant::now();
        let mut attempt = 0u32;
        loop {
            let result = self.send_once(method, url, headers, authorization, body);
            let wait = match &result {
                Ok(r) if matches!(r.status, 408 | 429 | 500 | 502 | 503 | 504) => Some((
                    format!("{} {}", r.status, reason_of(r.status)),
                    rate_hint(r),
                )),
                // A 403 is permanent, unless it is a rate limit saying when to come back.
                Ok(r)
                    if r.status == 403
                        && (r.header("Retry-After").is_some()
                            || r.header("X-RateLimit-Remaining").map(str::trim) == Some("0")) =>
                {
                    rate_hint(r).map(|wait| ("403 rate limited".to_string(), Some(wait)))
                }
                Err(SendError::Other(
                    e @ (RegistryError::Timeout { .. } | RegistryError::Read { .. }),
                )) => Some((e.to_string(), None)),
                Err(SendError::Other(RegistryError::Unreachable { detail, .. }))
                    if ["reset", "broken pipe", "eof", "closed"]
                        .iter()
                        .any(|w| detail.to_ascii_lowercase().contains(w)) =>
                {
                    Some((detail.clone(), None))
                }
                // A plain-HTTP server hanging up without an answer (a reset connection). Over
                // https the same symptom means "not a TLS server": that is the scheme probe's
                // business, not a retry's.
                Err(SendError::WrongProtocol(e)) if url.starts_with("http://") => {
                    Some((e.to_string(), None))
                }
                _ => None,
            };
            let Some((why, hinted)) = wait else {
                return result;
            };
            let backoff = RETRY_BASE * 2u32.saturating_pow(attempt);
            let jitter = Duration::from_millis(u64::from(jitter_ms()));
            // A server's own hint is obeyed, or (when it is beyond the budget) not waited for.
            let delay = match hinted {
                Some(h) if started.elapsed() + h > budget() => return result,
                Some(h) => h,
                None => (backoff + jitter).min(RETRY_MAX_DELAY),
            };
            if attempt >= RETRIES || started.elapsed() + delay > budget() {
                return result;
            }
            attempt += 1;
            log::info(format_args!(
                "{method} {} failed ({why}); retry {attempt}/{RETRIES} in {:.1} s",
                redact_url(url),
                delay.as_secs_f64()
            ));
            if let Ok(r) = result {
                drop(r);
            }
            std::thread::sleep(delay);
        }
    }

    fn send_once(
        &self,
        method: &str,
        url: &str,
        headers: &[(&str, &str)],
        authorization: Option<&str>,
        body: Body<'_>,
    ) -> Result<Response, SendError> {
        let origin = host_of(url);
        let mut current = url.to_string();
        for _ in 0..=MAX_REDIRECTS {
            let agent = self.agent(&current).map_err(SendError::Other)?;
            let mut req = agent.request(method, &current);
            // A server trickling its answer (headers or a document) is cut off at the budget;
            // streams and uploads are bounded by the per-read stall timeout instead.
            if !matches!(body, Body::File { .. }) && !STREAMING.with(std::cell::Cell::get) {
                req = req.timeout(budget());
            }
            for (k, v) in headers {
                req = req.set(k, v);
            }
            // ureq authenticates CONNECT tunnels itself, not plain requests sent to a proxy.
            if current.starts_with("http://") {
                if let Some(header) = self.proxies.for_url(&current).and_then(proxy_basic) {
                    req = req.set("Proxy-Authorization", &header);
                }
            }
            if let Some(auth) = authorization {
                if host_of(&current) == origin {
                    req = req.set("Authorization", auth);
                }
            }
            let started = Instant::now();
            let result = match body {
                Body::Bytes(b) => req.send_bytes(b),
                Body::Empty if matches!(method, "GET" | "HEAD") => req.call(),
                Body::Empty => req.send_bytes(&[]),
                Body::File { path, offset, len } => {
                    use std::io::{Seek, SeekFrom};
                    let mut f = std::fs::File::open(path).map_err(|e| {
                        SendError::Other(RegistryError::Read {
                            url: path.display().to_string(),
                            detail: e.to_string(),
                        })
                    })?;
                    f.seek(SeekFrom::Start(offset)).map_err(|e| {
                        SendError::Other(RegistryError::Read {
                            url: path.display().to_string(),
                            detail: e.to_string(),
                        })
                    })?;
                    req.set("Content-Length", &len.to_string())
                        .send(std::io::BufReader::with_capacity(256 * 1024, f.take(len)))
                }
            };
            let ms = started.elapsed().as_millis();
            let resp = match result {
                Ok(r) => r,
                Err(ureq::Error::Status(_, r)) => r,
                Err(ureq::Error::Transport(t)) => {
                    let err = classify(method, &current, t);
                    log::debug(|| match &err {
                        SendError::WrongProtocol(_) => format!(
                            "{method} {} -> no answer in this protocol ({ms} ms)",
                            redact_url(&current)
                        ),
                        SendError::Other(e) => {
                            format!("{method} {} -> failed ({ms} ms): {e}", redact_url(&current))
                        }
                    });
                    return Err(err);
                }
            };
            let status = resp.status();
            log::debug(|| format!("{method} {} -> {status} ({ms} ms)", redact_url(&current)));
            if (300..400).contains(&status) && status != 304 {
                if let Some(loc) = resp.header("Location") {
                    let next = url::Url::parse(&current)
                        .and_then(|base| base.join(loc))
                        .map_err(|e| {
                            SendError::Other(RegistryError::BadResponse {
                                url: redact_url(&current),
                                detail: format!("bad redirect Location: {e}"),
                            })
                        })?;
                    current = next.to_string();
                    continue;
                }
            }
            return Ok(Response {
                status,
                url: redact_url(&current),
                inner: resp,
            });
        }
        Err(SendError::Other(RegistryError::BadResponse {
            url: redact_url(url),
            detail: format!("more than {MAX_REDIRECTS} redirects"),
        }))
    }
}

/// `Basic …` from a proxy URL's user and password, if it has them.
fn proxy_basic(proxy: &str) -> Option<String> {
    use base64::Engine as _;
    let url = url::Url::parse(proxy).ok()?;
    if url.username().is_empty() {
        return None;
    }
    let decode = |s: &str| {
        percent_encoding::percent_decode_str(s)
            .decode_utf8_lossy()
            .into_owned()
    };
    let pair = format!(
        "{}:{}",
        decode(url.username()),
        decode(url.password().unwrap_or(""))
    );
    Some(format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(pair)
    ))
}

/// How long a rate-limited answer asks to wait: `Retry-After` (seconds or an HTTP date), else
/// `X-RateLimit-Reset` (Unix seconds, GitHub's form).
fn rate_hint(r: &Response) -> Option<Duration> {
    let now = crate::dates::unix_now();
    if let Some(v) = r.header("Retry-After").map(str::trim) {
        if let Ok(secs) = v.parse::<u64>() {
            return Some(Duration::from_secs(secs));
        }
        if let Some(at) = parse_http_date(v) {
            return Some(Duration::from_secs(at.saturating_sub(now)));
        }
    }
    let reset = r.header("X-RateLimit-Reset")?.trim().parse::<u64>().ok()?;
    Some(Duration::from_secs(reset.saturating_sub(now).max(1)))
}

/// `Sun, 06 Nov 1994 08:49:37 GMT` as Unix seconds.
fn parse_http_date(v: &str) -> Option<u64> {
    let parts: Vec<&str> = v.split_whitespace().collect();
    let [_, day, month, year, time, "GMT"] = parts.as_slice() else {
        return None;
    };
    let month = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ]
    .iter()
    .position(|m| m == month)? as i64
        + 1;
    let (day, year): (i64, i64) = (day.parse().ok()?, year.parse().ok()?);
    let hms: Vec<i64> = time.split(':').filter_map(|p| p.parse().ok()).collect();
    let [h, m, s] = hms.as_slice() else {
        return None;
    };
    let days = crate::dates::days_from_civil(year, month, day);
    u64::try_from(days * 86_400 + h * 3600 + m * 60 + s).ok()
}

fn builder() -> ureq::AgentBuilder {
    ureq::AgentBuilder::new()
        .timeout_connect(CONNECT_TIMEOUT)
        .timeout_read(IO_TIMEOUT.min(budget()))
        .timeout_write(IO_TIMEOUT.min(budget()))
        .redirects(0)
        .max_idle_connections(64)
        .max_idle_connections_per_host(16)
        .user_agent(USER_AGENT)
}

fn parse_pem(index: usize, pem: &str) -> Result<Vec<CertificateDer<'static>>, String> {
    let certs: Vec<_> = CertificateDer::pem_slice_iter(pem.as_bytes())
        .collect::<Result<_, _>>()
        .map_err(|e| format!("ca_certs entry {index} is not valid PEM: {e}"))?;
    if certs.is_empty() {
        return Err(format!(
            "ca_certs entry {index} holds no PEM CERTIFICATE block"
        ));
    }
    Ok(certs)
}

fn tls_config(settings: &TlsSettings) -> Result<Arc<rustls::ClientConfig>, String> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = rustls::ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("TLS setup failed: {e}"))?;
    let verifier: Arc<dyn ServerCertVerifier> = Arc::new(LazyRootsVerifier {
        provider,
        insecure: settings.insecure,
        ca_certs: settings.ca_certs.clone(),
        inner: OnceLock::new(),
    });
    let builder = builder
        .dangerous()
        .with_custom_certificate_verifier(verifier);
    let config = match &settings.client_identity {
        Some((cert, key)) => {
            let (chain, key) = client_identity(cert, key.expose())?;
            builder
                .with_client_auth_cert(chain, key)
                .map_err(|e| format!("client_cert / client_key do not fit together: {e}"))?
        }
        None => builder.with_no_client_auth(),
    };
    Ok(Arc::new(config))
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
                    for cert in parse_pem(i, pem)? {
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

fn classify(method: &str, url: &str, t: ureq::Transport) -> SendError {
    let host = host_of(url);
    let rustls_err = find_rustls_error(&t);
    let detail = t.to_string();
    let detail = detail
        .split_once(": ")
        .map_or(detail.as_str(), |(_, rest)| rest)
        .to_string();
    if let Some(e) = rustls_err {
        let detail = e.to_string();
        return match e {
            rustls::Error::AlertReceived(
                rustls::AlertDescription::CertificateRequired
                | rustls::AlertDescription::BadCertificate
                | rustls::AlertDescription::UnknownCA
                | rustls::AlertDescription::HandshakeFailure,
            ) => SendError::Other(RegistryError::ClientCert { host, detail }),
            rustls::Error::InvalidMessage(_)
            | rustls::Error::InappropriateMessage { .. }
            | rustls::Error::InappropriateHandshakeMessage { .. } => {
                SendError::WrongProtocol(RegistryError::Tls { host, detail })
            }
            _ => SendError::Other(RegistryError::Tls { host, detail }),
        };
    }
    let io_kind = find_io_kind(&t);
    match (t.kind(), io_kind) {
        (_, Some(std::io::ErrorKind::TimedOut | std::io::ErrorKind::WouldBlock)) => {
            SendError::Other(RegistryError::Timeout {
                method: method.to_string(),
                url: redact_url(url),
                detail,
            })
        }
        (_, Some(std::io::ErrorKind::UnexpectedEof | std::io::ErrorKind::ConnectionReset)) => {
            // A server hanging up on a request in the other protocol.
            SendError::WrongProtocol(RegistryError::Unreachable { host, detail })
        }
        (ureq::ErrorKind::Dns | ureq::ErrorKind::ConnectionFailed, _) => {
            SendError::Other(RegistryError::Unreachable { host, detail })
        }
        _ => SendError::Other(RegistryError::Unreachable { host, detail }),
    }
}

fn find_rustls_error(t: &ureq::Transport) -> Option<&rustls::Error> {
    let mut cur: Option<&(dyn std::error::Error + 'static)> = std::error::Error::source(t);
    while let Some(e) = cur {
        if let Some(r) = e.downcast_ref::<rustls::Error>() {
            return Some(r);
        }
        if let Some(io) = e.downcast_ref::<std::io::Error>() {
            if let Some(r) = io.get_ref().and_then(|i| i.downcast_ref::<rustls::Error>()) {
                return Some(r);
            }
        }
        cur = e.source();
    }
    None
}

fn find_io_kind(t: &ureq::Transport) -> Option<std::io::ErrorKind> {
    let mut cur: Option<&(dyn std::error::Error + 'static)> = std::error::Error::source(t);
    while let Some(e) = cur {
        if let Some(io) = e.downcast_ref::<std::io::Error>() {
            return Some(io.kind());
        }
        cur = e.source();
    }
    None
}

/// `host[:port]` of a URL, for messages and same-host checks.
pub fn host_of(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(u) => {
            let host = u.host_str().unwrap_or_default();
            match u.port() {
                Some(p) => format!("{host}:{p}"),
                None => host.to_string(),
            }
        }
        Err(_) => String::new(),
    }
}

/// A URL fit for logs: no user info, and only well-known harmless query parameters kept.
pub fn redact_url(raw: &str) -> String {
    let Ok(mut u) = url::Url::parse(raw) else {
        return "<unparseable url>".to_string();
    };
    let _ = u.set_username("");
    let _ = u.set_password(None);
    if u.query().is_some() {
        let kept: Vec<(String, String)> = u
            .query_pairs()
            .map(|(k, v)| {
                let keep = matches!(
                    k.as_ref(),
                    "service" | "scope" | "n" | "last" | "digest" | "mount" | "from"
                );
                let v = if keep {
                    v.into_owned()
                } else {
                    "redacted".into()
                };
                (k.into_owned(), v)
            })
            .collect();
        u.query_pairs_mut().clear().extend_pairs(kept);
    }
    u.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn http_dates() {
        assert_eq!(
            parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT"),
            Some(784_111_777)
        );
        assert_eq!(parse_http_date("Thu, 01 Jan 1970 00:00:00 GMT"), Some(0));
        assert_eq!(parse_http_date("Sun, 06 Nov 1994 08:49:37"), None);
    }

    #[test]
    fn redacts_unknown_query_values_and_userinfo() {
        let r =
            redact_url("https://u:p@h:5000/v2/x/blobs/uploads/abc?_state=SECRET&digest=sha256:1");
        assert!(!r.contains("SECRET"), "{r}");
        assert!(!r.contains("u:p"), "{r}");
        assert!(r.contains("digest=sha256"), "{r}");
    }

    #[test]
    fn host_of_keeps_port() {
        assert_eq!(host_of("http://127.0.0.1:5000/v2/"), "127.0.0.1:5000");
        assert_eq!(host_of("https://ghcr.io/v2/"), "ghcr.io");
    }
}
