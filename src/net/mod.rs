//! The one network layer: reqwest on the process's tokio runtime, TLS, proxies, retries,
//! deadlines, redirects that keep credentials at home, and URL redaction.

pub mod error;
pub mod proxy;
pub mod redact;
mod retry;
pub mod tls;

pub use error::{BrokeOff, NetError};
pub use redact::{host_of, origin_of, redact_url, same_origin, strip_userinfo};
pub use retry::{rate_limited, retry_truncated, retry_truncated_blocking, set_budget, streaming};
pub use tls::TlsSettings;

use crate::log;
use retry::{budget, is_streaming};
use std::io::Read;
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

const CONNECT_TIMEOUT: Duration = Duration::from_secs(15);
const IO_TIMEOUT: Duration = Duration::from_secs(60);
const MAX_REDIRECTS: usize = 5;
const USER_AGENT: &str = concat!("uptick/", env!("CARGO_PKG_VERSION"));
/// Headers that carry credentials besides `Authorization`: never sent to another origin.
const CREDENTIAL_HEADERS: &[&str] = &[
    "authorization",
    "proxy-authorization",
    "cookie",
    "x-amz-security-token",
    "private-token",
    "x-auth-token",
];

static RUNTIME: OnceLock<tokio::runtime::Runtime> = OnceLock::new();

thread_local! {
    /// Set on the thread that installed the runtime (`main`): there, [`block_on`] runs the
    /// runtime itself, driving every request's I/O on that one thread.
    static DRIVER: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Makes `runtime` (a current-thread runtime) the one every blocking call below drives its
/// requests on. The calling thread becomes its driver: the command runs there, and threads
/// doing blocking work (extraction, hashing) wait for their requests while it drives.
pub fn install_runtime(runtime: tokio::runtime::Runtime) {
    // ring is the one crypto provider (every client is also handed a prepared config).
    let _ = rustls::crypto::ring::default_provider().install_default();
    if RUNTIME.set(runtime).is_ok() {
        DRIVER.with(|d| d.set(true));
    }
}

fn handle() -> Option<&'static tokio::runtime::Handle> {
    RUNTIME.get().map(tokio::runtime::Runtime::handle)
}

/// Runs `fut` to completion from synchronous code. On the driver thread it runs the installed
/// runtime; on another thread (one running [`blocking`] work) it waits while the driver, inside
/// its own `block_on`, drives the I/O. Without an installed runtime (unit tests) a runtime is
/// made for the call.
pub fn block_on<F: std::future::Future>(fut: F) -> F::Output {
    if let Some(runtime) = RUNTIME.get() {
        if DRIVER.with(std::cell::Cell::get) {
            return runtime.block_on(fut);
        }
        return runtime.handle().block_on(fut);
    }
    match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt.block_on(fut),
        // Building a bare current-thread runtime fails only when the OS refuses an epoll fd.
        Err(e) => panic!("cannot start the async runtime: {e}"),
    }
}

/// Runs blocking work (file I/O, extraction, a synchronous reader over a body) on a thread of
/// the runtime's blocking pool while this task waits: the driver keeps driving the requests
/// that work may read from (`Response::into_reader` waits for them there).
pub async fn blocking<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    match tokio::task::spawn_blocking(f).await {
        Ok(v) => v,
        Err(e) => match e.try_into_panic() {
            Ok(panic) => std::panic::resume_unwind(panic),
            // Only a runtime shutting down cancels a blocking task; ours lives until exit.
            Err(e) => panic!("blocking work was cancelled: {e}"),
        },
    }
}

/// Runs `f` over `items`, at most `limit` at a time, concurrently on the runtime; results in
/// input order; the first failure (in input order) is returned and nothing new starts after it.
pub async fn concurrently<'a, T, R, E, F, Fut>(
    items: &'a [T],
    limit: usize,
    f: F,
) -> Result<Vec<R>, E>
where
    F: FnMut(&'a T) -> Fut,
    Fut: std::future::Future<Output = Result<R, E>>,
{
    use futures_util::stream::{FuturesOrdered, StreamExt};
    let mut f = f;
    let mut pending = items.iter();
    let mut running = FuturesOrdered::new();
    for item in pending.by_ref().take(limit.max(1)) {
        running.push_back(f(item));
    }
    let mut out = Vec::with_capacity(items.len());
    while let Some(result) = running.next().await {
        out.push(result?);
        if let Some(item) = pending.next() {
            running.push_back(f(item));
        }
    }
    Ok(out)
}

/// A response with its URL, ready to be read.
pub struct Response {
    /// HTTP status.
    pub status: u16,
    /// Final URL (after redirects), without credentials.
    pub url: String,
    inner: reqwest::Response,
}

impl Response {
    /// A header's value (`None` when absent or not visible ASCII).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.inner.headers().get(name)?.to_str().ok()
    }

    /// All values of a header.
    pub fn headers_all(&self, name: &str) -> Vec<&str> {
        self.inner
            .headers()
            .get_all(name)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .collect()
    }

    /// The body as a blocking stream, for code on a blocking thread (layer extraction): each
    /// read waits for the next chunk on the runtime. A body that breaks off or ends early is an
    /// error.
    pub fn into_reader(self) -> Box<dyn Read + Send + Sync + 'static> {
        if let Some(handle) = handle() {
            return Box::new(BatchedReader::start(handle, self.url, self.inner));
        }
        Box::new(BodyReader {
            url: self.url,
            inner: Mutex::new(Some(self.inner)),
            chunk: bytes::Bytes::new(),
        })
    }

    /// Reads the body, failing when it is larger than `limit` bytes, breaks off, or has not
    /// arrived within the run's budget (a server dribbling a document byte by byte is cut off).
    pub async fn read_limited(self, limit: u64) -> Result<Vec<u8>, NetError> {
        let url = self.url;
        let mut inner = self.inner;
        if inner.content_length().is_some_and(|n| n > limit) {
            return Err(too_large(url, limit));
        }
        let mut buf = Vec::new();
        loop {
            match inner.chunk().await {
                Ok(Some(c)) => {
                    if (buf.len() + c.len()) as u64 > limit {
                        return Err(too_large(url, limit));
                    }
                    buf.extend_from_slice(&c);
                }
                Ok(None) => return Ok(buf),
                Err(e) => return Err(body_error("GET", &url, &e)),
            }
        }
    }

    /// [`Response::read_limited`] for synchronous callers.
    pub fn read_limited_blocking(self, limit: u64) -> Result<Vec<u8>, NetError> {
        block_on(self.read_limited(limit))
    }

    /// The next piece of the body; `None` at its end. A body that breaks off or ends early is
    /// an error (a stall of `request_timeout` is a timeout).
    pub async fn chunk(&mut self) -> Result<Option<bytes::Bytes>, NetError> {
        self.inner
            .chunk()
            .await
            .map_err(|e| body_error("GET", &self.url, &e))
    }
}

fn too_large(url: String, limit: u64) -> NetError {
    NetError::BadResponse {
        url,
        detail: format!("response is larger than {limit} bytes"),
    }
}

/// A body failure: a stall or deadline is a timeout, anything else a broken-off read.
fn body_error(method: &str, url: &str, e: &reqwest::Error) -> NetError {
    if e.is_timeout() {
        NetError::Timeout {
            method: method.to_string(),
            url: url.to_string(),
            detail: format!(
                "the body did not arrive within {} s (request_timeout)",
                budget().as_secs()
            ),
        }
    } else {
        NetError::Read {
            url: url.to_string(),
            detail: cause_chain(e),
        }
    }
}

/// Body bytes gathered on the runtime before the reading thread is woken: one hand-over per
/// 256 KiB instead of one per network read (each a thread wake-up).
const BATCH_BYTES: usize = 256 * 1024;
/// Batches waiting for the reader at most (memory: about 1 MiB per body).
const BATCH_DEPTH: usize = 4;

type Batch = std::io::Result<Vec<bytes::Bytes>>;

/// A response body read by a task on the runtime, handed in batches to synchronous code.
struct BatchedReader {
    rx: Mutex<tokio::sync::mpsc::Receiver<Batch>>,
    pending: std::collections::VecDeque<bytes::Bytes>,
    ended: bool,
}

impl BatchedReader {
    fn start(handle: &tokio::runtime::Handle, url: String, mut resp: reqwest::Response) -> Self {
        let (tx, rx) = tokio::sync::mpsc::channel::<Batch>(BATCH_DEPTH);
        handle.spawn(async move {
            let mut batch = Vec::new();
            let mut size = 0;
            loop {
                match resp.chunk().await {
                    Ok(Some(c)) => {
                        size += c.len();
                        batch.push(c);
                        if size >= BATCH_BYTES {
                            size = 0;
                            // The reader went away: stop reading (the response is dropped).
                            if tx.send(Ok(std::mem::take(&mut batch))).await.is_err() {
                                return;
                            }
                        }
                    }
                    Ok(None) => {
                        if !batch.is_empty() {
                            let _ = tx.send(Ok(batch)).await;
                        }
                        return;
                    }
                    Err(e) => {
                        if !batch.is_empty() && tx.send(Ok(batch)).await.is_err() {
                            return;
                        }
                        let kind = if e.is_timeout() {
                            std::io::ErrorKind::TimedOut
                        } else {
                            std::io::ErrorKind::UnexpectedEof
                        };
                        let err = std::io::Error::new(kind, body_error("GET", &url, &e));
                        let _ = tx.send(Err(err)).await;
                        return;
                    }
                }
            }
        });
        BatchedReader {
            rx: Mutex::new(rx),
            pending: std::collections::VecDeque::new(),
            ended: false,
        }
    }
}

impl Read for BatchedReader {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        loop {
            if let Some(front) = self.pending.front_mut() {
                let n = buf.len().min(front.len());
                buf[..n].copy_from_slice(&front[..n]);
                bytes::Buf::advance(front, n);
                if front.is_empty() {
                    self.pending.pop_front();
                }
                return Ok(n);
            }
            if self.ended {
                return Ok(0);
            }
            let rx = self
                .rx
                .get_mut()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            match block_on(rx.recv()) {
                Some(Ok(batch)) => self
                    .pending
                    .extend(batch.into_iter().filter(|b| !b.is_empty())),
                Some(Err(e)) => {
                    self.ended = true;
                    return Err(e);
                }
                None => self.ended = true,
            }
        }
    }
}

/// A response body read chunk by chunk from synchronous code.
struct BodyReader {
    url: String,
    inner: Mutex<Option<reqwest::Response>>,
    chunk: bytes::Bytes,
}

impl Read for BodyReader {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        while self.chunk.is_empty() {
            let slot = self
                .inner
                .get_mut()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            let Some(resp) = slot.as_mut() else {
                return Ok(0);
            };
            match block_on(resp.chunk()) {
                Ok(Some(c)) => self.chunk = c,
                Ok(None) => {
                    *slot = None;
                    return Ok(0);
                }
                Err(e) => {
                    *slot = None;
                    let kind = if e.is_timeout() {
                        std::io::ErrorKind::TimedOut
                    } else {
                        std::io::ErrorKind::UnexpectedEof
                    };
                    return Err(std::io::Error::new(kind, body_error("GET", &self.url, &e)));
                }
            }
        }
        let n = buf.len().min(self.chunk.len());
        buf[..n].copy_from_slice(&self.chunk[..n]);
        bytes::Buf::advance(&mut self.chunk, n);
        Ok(n)
    }
}

/// A request body; re-sendable (a 401 retry or a redirect sends it again).
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
        /// Hashed as it is sent, the last bytes held back until the digest is known (see
        /// [`Hashed`]).
        hashed: Option<&'a Hashed>,
    },
}

/// A file body checked while it is sent: its bytes are hashed on their way out and the last
/// chunk is released only when the whole digest matches; otherwise the body breaks off before
/// its end (the server never sees a complete upload) and the digest found is kept here.
#[derive(Debug)]
pub struct Hashed {
    expected: crate::digest::Digest,
    found: std::sync::Arc<Mutex<Option<crate::digest::Digest>>>,
}

impl Hashed {
    /// A check against `expected`.
    pub fn new(expected: &crate::digest::Digest) -> Hashed {
        Hashed {
            expected: expected.clone(),
            found: std::sync::Arc::default(),
        }
    }

    /// The digest a send found, when it was not the expected one.
    pub fn mismatch(&self) -> Option<crate::digest::Digest> {
        self.found.lock().ok()?.clone()
    }

    /// A stream of `len` bytes from `reader` that hashes as it goes and fails instead of
    /// yielding the last chunk when the digest differs.
    fn stream<R: tokio::io::AsyncRead + Send + 'static>(
        &self,
        reader: R,
        len: u64,
    ) -> impl futures_util::Stream<Item = std::io::Result<bytes::Bytes>> + Send + 'static {
        use futures_util::StreamExt;
        let expected = self.expected.clone();
        let found = self.found.clone();
        let mut hasher = Some(expected.hasher());
        let mut sent = 0u64;
        tokio_util::io::ReaderStream::with_capacity(reader, 256 * 1024).map(move |chunk| {
            let chunk = chunk?;
            sent += chunk.len() as u64;
            if let Some(h) = hasher.as_mut() {
                h.update(&chunk);
            }
            if sent >= len {
                if let Some(h) = hasher.take() {
                    let actual = h.finish();
                    if actual != expected {
                        if let Ok(mut f) = found.lock() {
                            *f = Some(actual.clone());
                        }
                        return Err(std::io::Error::new(
                            std::io::ErrorKind::InvalidData,
                            format!("content has digest {actual}, expected {expected}"),
                        ));
                    }
                }
            }
            Ok(chunk)
        })
    }
}

impl Body<'_> {
    /// A fresh reqwest body: files are opened again for every send.
    async fn build(&self) -> Result<reqwest::Body, NetError> {
        Ok(match *self {
            Body::Empty => reqwest::Body::from(Vec::new()),
            Body::Bytes(b) => reqwest::Body::from(b.to_vec()),
            Body::File {
                path,
                offset,
                len,
                hashed,
            } => {
                use tokio::io::{AsyncReadExt, AsyncSeekExt};
                let unreadable = |e: std::io::Error| NetError::Read {
                    url: path.display().to_string(),
                    detail: e.to_string(),
                };
                let mut f = tokio::fs::File::open(path).await.map_err(unreadable)?;
                f.seek(std::io::SeekFrom::Start(offset))
                    .await
                    .map_err(unreadable)?;
                match hashed {
                    Some(h) => reqwest::Body::wrap_stream(h.stream(f.take(len), len)),
                    None => reqwest::Body::wrap_stream(
                        tokio_util::io::ReaderStream::with_capacity(f.take(len), 256 * 1024),
                    ),
                }
            }
        })
    }
}

/// Transport-level failure, classified so the caller can decide on an HTTP fallback.
#[derive(Debug)]
pub enum SendError {
    /// The peer spoke another protocol or hung up at once (plain HTTP on an https URL, or TLS
    /// on an http URL): worth one try with the other scheme.
    WrongProtocol(NetError),
    /// Anything else.
    Other(NetError),
}

impl SendError {
    /// The error to report.
    pub fn into_error(self) -> NetError {
        match self {
            SendError::WrongProtocol(e) | SendError::Other(e) => e,
        }
    }
}

impl From<SendError> for NetError {
    fn from(e: SendError) -> NetError {
        e.into_error()
    }
}

/// One HTTP client for one set of TLS settings (plain and TLS, direct and proxied), built on
/// first use; the CA roots are read only when a server shows a certificate.
pub struct Http {
    /// Offers HTTP/2 over TLS (ALPN `h2`, `http/1.1`): one connection carries concurrent HEADs.
    client: OnceLock<Result<reqwest::Client, String>>,
    /// HTTP/1.1 only: used for the rest of the run once an https connection died under a
    /// request (an HTTP/2 connection reports a TLS refusal or a reset as text only; HTTP/1.1
    /// hands back the typed cause, so the error can say what to do).
    client_h1: OnceLock<Result<reqwest::Client, String>>,
    h1_only: std::sync::atomic::AtomicBool,
    proxies: proxy::ProxyEnv,
    settings: TlsSettings,
}

impl Http {
    /// A new client; nothing is loaded until the first request.
    pub fn new(settings: TlsSettings) -> Http {
        Http {
            client: OnceLock::new(),
            client_h1: OnceLock::new(),
            h1_only: std::sync::atomic::AtomicBool::new(false),
            proxies: proxy::ProxyEnv::from_env(),
            settings,
        }
    }

    /// Checks `ca_certs`, the client identity and the proxy settings now, so a bad entry fails
    /// before any request.
    pub fn validate(&self) -> Result<(), NetError> {
        for (i, pem) in self.settings.ca_certs.iter().enumerate() {
            tls::parse_pem(i, pem).map_err(NetError::CaCerts)?;
        }
        if let Some((cert, key)) = &self.settings.client_identity {
            tls::client_identity(cert, key.expose()).map_err(NetError::CaCerts)?;
        }
        self.proxies.validate()
    }

    /// Whether `insecure: true` was set for this client.
    pub fn insecure(&self) -> bool {
        self.settings.insecure
    }

    fn client(&self, h1_only: bool) -> Result<&reqwest::Client, NetError> {
        let cell = if h1_only {
            &self.client_h1
        } else {
            &self.client
        };
        cell.get_or_init(|| {
            let _context = handle().map(tokio::runtime::Handle::enter);
            let mut config = tls::tls_config(&self.settings)?;
            if h1_only {
                config.alpn_protocols = vec![b"http/1.1".to_vec()];
            }
            let builder = reqwest::Client::builder()
                .tls_backend_preconfigured(config)
                .connect_timeout(CONNECT_TIMEOUT)
                .read_timeout(IO_TIMEOUT.min(budget()))
                .redirect(reqwest::redirect::Policy::none())
                .pool_max_idle_per_host(16)
                .user_agent(USER_AGENT);
            let builder = if h1_only {
                builder.http1_only()
            } else {
                builder
            };
            let builder = match self.proxies.reqwest_proxy() {
                Some(p) => builder.proxy(p),
                None => builder.no_proxy(),
            };
            builder.build().map_err(|e| cause_chain(&e))
        })
        .as_ref()
        .map_err(|e| NetError::CaCerts(e.clone()))
    }

    /// Sends a request with the retry policy: a 408, 429, 500, 502, 503 or 504 answer, a
    /// connection reset or a timeout is retried with exponential backoff and jitter (a
    /// `Retry-After` up to the budget is honoured), at most `retry::RETRIES` times and within
    /// the run's budget; every retry is logged. Other answers (401, 403, 404, …) return at once.
    pub async fn send(
        &self,
        method: &str,
        url: &str,
        headers: &[(&str, &str)],
        authorization: Option<&str>,
        body: Body<'_>,
    ) -> Result<Response, SendError> {
        retry::with_retries(method, url, || {
            self.send_once(method, url, headers, authorization, body)
        })
        .await
    }

    /// [`Http::send`] for synchronous callers (the credential providers and the package
    /// indexes, which make their few requests one after another).
    pub fn send_blocking(
        &self,
        method: &str,
        url: &str,
        headers: &[(&str, &str)],
        authorization: Option<&str>,
        body: Body<'_>,
    ) -> Result<Response, SendError> {
        block_on(self.send(method, url, headers, authorization, body))
    }

    async fn send_once(
        &self,
        method: &str,
        url: &str,
        headers: &[(&str, &str)],
        authorization: Option<&str>,
        body: Body<'_>,
    ) -> Result<Response, SendError> {
        let h1_only = self.h1_only.load(std::sync::atomic::Ordering::Relaxed);
        let client = self.client(h1_only).map_err(SendError::Other)?;
        // Credentials in the URL become its origin's basic auth, held like any other (never
        // in a URL that a message or a redirect could show).
        let (url, url_authorization) = take_userinfo(url);
        let url = url.as_str();
        let authorization = authorization.or(url_authorization.as_deref());
        // Whatever credential goes out is scrubbed from anything a server sends back.
        if let Some(a) = authorization {
            log::register_secret(a);
            if let Some((_, value)) = a.split_once(' ') {
                log::register_secret(value);
            }
        }
        for (k, v) in headers {
            if CREDENTIAL_HEADERS.contains(&k.to_ascii_lowercase().as_str()) {
                log::register_secret(v);
            }
        }
        let method_value = reqwest::Method::from_bytes(method.as_bytes()).map_err(|_| {
            SendError::Other(NetError::BadResponse {
                url: redact_url(url),
                detail: format!("bad method {method}"),
            })
        })?;
        // A server trickling its answer (headers or a document) is cut off at the budget;
        // streams and uploads are bounded by the per-read stall timeout instead.
        let deadline = (!matches!(body, Body::File { .. }) && !is_streaming()).then(budget);
        // A body (a refresh token, a signed form, a blob) is for its own origin only.
        let carries_body = !matches!(body, Body::Empty);
        let mut current = url.to_string();
        for _ in 0..=MAX_REDIRECTS {
            let parsed = url::Url::parse(&current).map_err(|e| {
                SendError::Other(NetError::BadResponse {
                    url: redact_url(&current),
                    detail: format!("not a URL: {e}"),
                })
            })?;
            let home = same_origin(url, &current);
            let mut req = client.request(method_value.clone(), parsed);
            if let Some(d) = deadline {
                req = req.timeout(d);
            }
            for (k, v) in headers {
                if home || !CREDENTIAL_HEADERS.contains(&k.to_ascii_lowercase().as_str()) {
                    req = req.header(*k, *v);
                }
            }
            if let (Some(auth), true) = (authorization, home) {
                req = req.header("Authorization", auth);
            }
            let has_body = !matches!(body, Body::Empty) || !matches!(method, "GET" | "HEAD");
            if has_body {
                if let Body::File { len, .. } = body {
                    req = req.header("Content-Length", len.to_string());
                }
                let built = body.build().await.map_err(SendError::Other)?;
                req = req.body(built);
            }
            let started = Instant::now();
            let result = req.send().await;
            let ms = started.elapsed().as_millis();
            let resp = match result {
                Ok(r) => r,
                Err(e) => {
                    let err = classify(method, &current, &e);
                    let died = match &err {
                        SendError::Other(NetError::ClientCert { .. }) => true,
                        SendError::Other(NetError::Unreachable { detail, .. }) => {
                            ["closed", "canceled", "reset", "fatal alert"]
                                .iter()
                                .any(|w| detail.to_ascii_lowercase().contains(w))
                        }
                        _ => false,
                    };
                    if died && !h1_only && current.starts_with("https://") {
                        // The retry (and every later request of this client) goes over
                        // HTTP/1.1, which reports the connection's fate with its cause.
                        self.h1_only
                            .store(true, std::sync::atomic::Ordering::Relaxed);
                    }
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
            let status = resp.status().as_u16();
            log::debug(|| format!("{method} {} -> {status} ({ms} ms)", redact_url(&current)));
            if (300..400).contains(&status) && status != 304 {
                if let Some(loc) = resp.headers().get("Location") {
                    let next = loc
                        .to_str()
                        .ok()
                        .and_then(|l| url::Url::parse(&current).ok()?.join(l).ok())
                        .ok_or_else(|| {
                            SendError::Other(NetError::BadResponse {
                                url: redact_url(&current),
                                detail: "bad redirect Location".into(),
                            })
                        })?;
                    self.allowed(&current, next.as_str())
                        .map_err(SendError::Other)?;
                    if carries_body && !same_origin(url, next.as_str()) {
                        return Err(SendError::Other(NetError::BodyRedirect {
                            method: method.to_string(),
                            url: redact_url(&current),
                            from: origin_of(url),
                            to: origin_of(next.as_str()),
                        }));
                    }
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
        Err(SendError::Other(NetError::BadResponse {
            url: redact_url(url),
            detail: format!("more than {MAX_REDIRECTS} redirects"),
        }))
    }

    /// Whether a request may go from `from` to `to` (a redirect, an upload `Location`, a token
    /// realm): never from https down to plain http off loopback, unless `insecure` is set.
    pub fn allowed(&self, from: &str, to: &str) -> Result<(), NetError> {
        let (Ok(a), Ok(b)) = (url::Url::parse(from), url::Url::parse(to)) else {
            return Err(NetError::BadResponse {
                url: redact_url(from),
                detail: "bad redirect Location".into(),
            });
        };
        if !matches!(b.scheme(), "http" | "https") {
            return Err(NetError::Refused {
                url: redact_url(from),
                to: redact_url(to),
                why: "not an http(s) URL",
            });
        }
        if a.scheme() == "https"
            && b.scheme() == "http"
            && !self.settings.insecure
            && !redact::is_loopback(&b)
        {
            return Err(NetError::Refused {
                url: redact_url(from),
                to: redact_url(to),
                why: "a downgrade from https to plain http (set `insecure: true` to allow it)",
            });
        }
        Ok(())
    }
}

/// `url` without its user info, and that user info as a `Basic` authorization (percent-decoded,
/// as a client reading the URL would send it); the URL unchanged when it has none or does not
/// parse.
fn take_userinfo(url: &str) -> (String, Option<String>) {
    use base64::Engine as _;
    let parsed = url
        .contains('@')
        .then(|| url::Url::parse(url).ok())
        .flatten();
    let Some(mut parsed) = parsed else {
        return (url.to_string(), None);
    };
    if parsed.username().is_empty() && parsed.password().is_none() {
        return (url.to_string(), None);
    }
    let decode = |s: &str| {
        percent_encoding::percent_decode_str(s)
            .decode_utf8_lossy()
            .into_owned()
    };
    let user = decode(parsed.username());
    let password = parsed.password().map(decode).unwrap_or_default();
    log::register_secret(&password);
    let _ = parsed.set_username("");
    let _ = parsed.set_password(None);
    let basic = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
    (parsed.to_string(), Some(format!("Basic {basic}")))
}

/// The target of `rel="next"` in a `Link` header.
pub fn next_link(header: &str) -> Option<String> {
    header.split(',').find_map(|part| {
        let (target, params) = part.split_once(';')?;
        let target = target.trim().strip_prefix('<')?.strip_suffix('>')?;
        params
            .split(';')
            .any(|p| {
                let p = p.trim().replace(' ', "");
                p == "rel=\"next\"" || p == "rel=next"
            })
            .then(|| target.to_string())
    })
}

/// The error and its causes as one line, without URLs' secrets (reqwest quotes the URL).
fn cause_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut cur: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(err) = cur {
        // reqwest's and hyper-util's own lines only say a request failed: the cause says why.
        let wrapper = err.source().is_some()
            && (err.downcast_ref::<reqwest::Error>().is_some()
                || err.to_string().starts_with("client error ("));
        if wrapper {
            cur = err.source();
            continue;
        }
        let mut text = err.to_string();
        if let Some(u) = err
            .downcast_ref::<reqwest::Error>()
            .and_then(reqwest::Error::url)
        {
            text = text.replace(u.as_str(), &redact_url(u.as_str()));
        }
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        cur = err.source();
    }
    parts.join(": ")
}

fn find_in_chain<'e, T: std::error::Error + 'static>(
    e: &'e (dyn std::error::Error + 'static),
) -> Option<&'e T> {
    let mut cur: Option<&'e (dyn std::error::Error + 'static)> = Some(e);
    while let Some(err) = cur {
        if let Some(t) = err.downcast_ref::<T>() {
            return Some(t);
        }
        // An io::Error hides what it wraps from `source()` (and may wrap another io::Error).
        let mut io = err.downcast_ref::<std::io::Error>();
        while let Some(inner) = io.and_then(std::io::Error::get_ref) {
            if let Some(t) = inner.downcast_ref::<T>() {
                return Some(t);
            }
            io = inner.downcast_ref::<std::io::Error>();
        }
        cur = err.source();
    }
    None
}

/// The most specific I/O error kind in the chain (io::Errors wrap one another as `Other`).
fn io_kind(e: &(dyn std::error::Error + 'static)) -> Option<std::io::ErrorKind> {
    let mut found = None;
    let mut cur: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(err) = cur {
        let mut io = err.downcast_ref::<std::io::Error>();
        while let Some(i) = io {
            if i.kind() != std::io::ErrorKind::Other || found.is_none() {
                found = Some(i.kind());
            }
            io = i
                .get_ref()
                .and_then(|inner| inner.downcast_ref::<std::io::Error>());
        }
        cur = err.source();
    }
    found
}

fn classify(method: &str, url: &str, e: &reqwest::Error) -> SendError {
    let host = host_of(url);
    if let Some(r) = find_in_chain::<rustls::Error>(e) {
        let detail = r.to_string();
        return match r {
            rustls::Error::AlertReceived(
                rustls::AlertDescription::CertificateRequired
                | rustls::AlertDescription::BadCertificate
                | rustls::AlertDescription::UnknownCA
                | rustls::AlertDescription::HandshakeFailure,
            ) => SendError::Other(NetError::ClientCert { host, detail }),
            rustls::Error::InvalidMessage(_)
            | rustls::Error::InappropriateMessage { .. }
            | rustls::Error::InappropriateHandshakeMessage { .. } => {
                SendError::WrongProtocol(NetError::Tls { host, detail })
            }
            _ => SendError::Other(NetError::Tls { host, detail }),
        };
    }
    let detail = cause_chain(e);
    // Over HTTP/2 the connection task reports a TLS alert received after the handshake (TLS 1.3
    // servers refuse a client certificate then) as text only: h2 keeps no typed cause.
    const CLIENT_REFUSALS: [&str; 4] = [
        "received fatal alert: CertificateRequired",
        "received fatal alert: BadCertificate",
        "received fatal alert: UnknownCA",
        "received fatal alert: HandshakeFailure",
    ];
    if CLIENT_REFUSALS.iter().any(|a| detail.contains(a)) {
        return SendError::Other(NetError::ClientCert { host, detail });
    }
    if e.is_timeout() {
        return SendError::Other(NetError::Timeout {
            method: method.to_string(),
            url: redact_url(url),
            detail,
        });
    }
    if let Some(h) = find_in_chain::<hyper::Error>(e) {
        if h.is_parse() || h.is_incomplete_message() {
            // A server answering in the other protocol, or hanging up without an answer.
            return SendError::WrongProtocol(NetError::Unreachable { host, detail });
        }
    }
    let io_kind = io_kind(e);
    match io_kind {
        Some(std::io::ErrorKind::TimedOut) => SendError::Other(NetError::Timeout {
            method: method.to_string(),
            url: redact_url(url),
            detail,
        }),
        Some(std::io::ErrorKind::UnexpectedEof | std::io::ErrorKind::ConnectionReset) => {
            SendError::WrongProtocol(NetError::Unreachable { host, detail })
        }
        _ => SendError::Other(NetError::Unreachable { host, detail }),
    }
}

/// How long a metadata endpoint (absent off-cloud) may take to accept and to answer.
#[derive(Clone, Copy, Debug)]
pub struct MetadataTimeouts {
    /// To connect.
    pub connect: Duration,
    /// For the whole request, body included.
    pub total: Duration,
}

/// An answer of a metadata endpoint.
#[derive(Debug)]
pub struct MetadataAnswer {
    /// HTTP status.
    pub status: u16,
    /// The body (at most 1 MiB).
    pub body: Vec<u8>,
}

/// One request to a link-local metadata service (cloud credentials): never proxied, no
/// redirects, no retries — a worker off-cloud must learn that quickly. `Err` is a transport
/// failure (nothing answered); any status is an answer.
pub async fn metadata_request(
    method: &str,
    url: &str,
    headers: &[(&str, &str)],
    timeouts: MetadataTimeouts,
) -> Result<MetadataAnswer, NetError> {
    const LIMIT: u64 = 1 << 20;
    let config = tls::tls_config(&TlsSettings::default()).map_err(NetError::CaCerts)?;
    let client = reqwest::Client::builder()
        .tls_backend_preconfigured(config)
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .connect_timeout(timeouts.connect)
        .timeout(timeouts.total)
        .http1_only()
        .user_agent(USER_AGENT)
        .build()
        .map_err(NetError::Client)?;
    let method_value =
        reqwest::Method::from_bytes(method.as_bytes()).map_err(|_| NetError::BadResponse {
            url: redact_url(url),
            detail: format!("bad method {method}"),
        })?;
    let mut req = client.request(method_value, url);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let resp = req
        .send()
        .await
        .map_err(|e| classify(method, url, &e).into_error())?;
    let status = resp.status().as_u16();
    let body = Response {
        status,
        url: redact_url(url),
        inner: resp,
    }
    .read_limited(LIMIT)
    .await?;
    Ok(MetadataAnswer { status, body })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn downgrades_are_refused_off_loopback_unless_insecure() {
        let strict = Http::new(TlsSettings::default());
        let refused = |from: &str, to: &str| strict.allowed(from, to).is_err();
        assert!(refused("https://r.io/v2/x", "http://r.io/v2/x"));
        assert!(refused("https://r.io:443/v2/", "http://r.io:80/v2/"));
        assert!(refused("https://r.io/token", "ftp://r.io/token"));
        assert!(!refused("https://r.io/v2/", "https://cdn.r.io/blob"));
        assert!(!refused(
            "http://127.0.0.1:5000/v2/",
            "http://127.0.0.1:5001/v2/"
        ));
        assert!(!refused(
            "https://localhost:5000/v2/",
            "http://localhost:5000/v2/"
        ));
        assert!(!refused("https://[::1]:5000/v2/", "http://[::1]:5000/v2/"));
        let insecure = Http::new(TlsSettings {
            insecure: true,
            ..TlsSettings::default()
        });
        assert!(insecure
            .allowed("https://r.io/v2/x", "http://r.io/v2/x")
            .is_ok());
    }

    #[test]
    fn url_credentials_become_basic_auth() {
        let (url, auth) = take_userinfo("http://uptick:p%40ss@127.0.0.1:5000/simple/");
        assert_eq!(url, "http://127.0.0.1:5000/simple/");
        // base64("uptick:p@ss")
        assert_eq!(auth.as_deref(), Some("Basic dXB0aWNrOnBAc3M="));
        let (url, auth) = take_userinfo("https://r.io/v2/?a=b");
        assert_eq!((url.as_str(), auth), ("https://r.io/v2/?a=b", None));
    }

    #[test]
    fn link_next_is_found() {
        assert_eq!(
            next_link(r#"</v2/a/tags/list?n=2&last=b>; rel="next""#).as_deref(),
            Some("/v2/a/tags/list?n=2&last=b")
        );
        assert_eq!(next_link(r#"<x>; rel="prev""#), None);
    }
}
