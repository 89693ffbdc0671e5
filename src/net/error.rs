//! Transport errors: each names the host or URL that failed and keeps its cause, never a secret.

/// Everything that can go wrong below the HTTP status: connecting, TLS, timeouts, bodies.
#[derive(Debug, thiserror::Error)]
pub enum NetError {
    /// The host could not be connected to (DNS, refused, unreachable, reset).
    #[error("cannot reach {host}: {detail}")]
    Unreachable {
        /// `host:port`.
        host: String,
        /// What the network said (the cause chain, one line).
        detail: String,
    },
    /// The TLS handshake failed on certificate verification or protocol.
    #[error("TLS handshake with {host} failed: {detail}; if the server uses a private CA, add it to `ca_certs` (or set `insecure: true` to skip verification)")]
    Tls {
        /// `host:port`.
        host: String,
        /// What rustls said.
        detail: String,
    },
    /// The server refused the TLS client (no or an unaccepted client certificate).
    #[error("TLS handshake with {host} refused: {detail}; the server may require a client certificate (set `client_cert` and `client_key`)")]
    ClientCert {
        /// `host:port`.
        host: String,
        /// What rustls said.
        detail: String,
    },
    /// No answer in time.
    #[error("{method} {url} timed out: {detail}")]
    Timeout {
        /// HTTP method.
        method: String,
        /// URL without credentials.
        url: String,
        /// What timed out.
        detail: String,
    },
    /// The connection broke, or the body ended early or malformed, while a body was read.
    #[error("reading {url} failed: {detail}")]
    Read {
        /// URL of the response.
        url: String,
        /// What the connection said.
        detail: String,
    },
    /// The response was not of the expected shape (size, redirect, encoding).
    #[error("{url}: {detail}")]
    BadResponse {
        /// URL of the response.
        url: String,
        /// What was wrong.
        detail: String,
    },
    /// A redirect or upload location would send the request somewhere it must not go.
    #[error("{url}: refused to follow to {to}: {why}")]
    Refused {
        /// The URL that answered.
        url: String,
        /// Where it pointed (without credentials).
        to: String,
        /// Why it is refused.
        why: &'static str,
    },
    /// A redirect would carry a request body to another origin than the one it was built for
    /// (a refresh token, an identity token, a signed form): refused whatever the status.
    #[error("{method} {url}: refused to follow a redirect from {from} to {to}: a request body is sent only to the origin it was built for")]
    BodyRedirect {
        /// HTTP method.
        method: String,
        /// The URL that answered with the redirect (without credentials).
        url: String,
        /// `scheme://host:port` the body was built for.
        from: String,
        /// `scheme://host:port` the redirect pointed to.
        to: String,
    },
    /// The environment's proxy setting cannot be used.
    #[error("proxy: {0}")]
    Proxy(String),
    /// A client setting is out of range.
    #[error("source.{0}")]
    Settings(String),
    /// A `ca_certs` entry or the client certificate could not be used.
    #[error("TLS settings")]
    CaCerts(#[source] std::sync::Arc<super::tls::TlsError>),
    /// The HTTP client itself could not be built.
    #[error("HTTP client: {0}")]
    Client(#[source] reqwest::Error),
}

/// An error that may be a body breaking off mid-way: its URL and what the connection said.
pub(crate) trait BrokeOff {
    /// `Some((url, detail))` when the failure was a truncated read.
    fn broke_off(&self) -> Option<(&str, &str)>;
}

impl BrokeOff for NetError {
    fn broke_off(&self) -> Option<(&str, &str)> {
        match self {
            NetError::Read { url, detail } => Some((url, detail)),
            _ => None,
        }
    }
}
