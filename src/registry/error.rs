//! Registry client errors, each carrying the host or URL that failed and never a secret.

use super::reference::ReferenceError;

/// Everything that can go wrong talking to a registry or token server.
#[derive(Debug, thiserror::Error)]
pub enum RegistryError {
    /// The reference was rejected before any request.
    #[error(transparent)]
    Reference(#[from] ReferenceError),
    /// The host could not be connected to (DNS, refused, unreachable).
    #[error("cannot reach registry {host}: {detail}")]
    Unreachable {
        /// `host:port`.
        host: String,
        /// What the network said.
        detail: String,
    },
    /// The TLS handshake failed on certificate verification or protocol.
    #[error("TLS handshake with {host} failed: {detail}; if the registry uses a private CA, add it to `ca_certs` (or set `insecure: true` to skip verification)")]
    Tls {
        /// `host:port`.
        host: String,
        /// What rustls said.
        detail: String,
    },
    /// The server refused the TLS client (no or an unaccepted client certificate).
    #[error("TLS handshake with {host} refused: {detail}; the registry may require a client certificate (set `client_cert` and `client_key`)")]
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
    /// Credentials were refused (or missing where required).
    #[error("authentication to {registry} failed: {status} {code}{message}")]
    Auth {
        /// Registry or token host.
        registry: String,
        /// HTTP status.
        status: u16,
        /// The registry's error code (`UNAUTHORIZED`, `DENIED`).
        code: String,
        /// The registry's message, prefixed with `: ` when present.
        message: String,
    },
    /// Any other unexpected HTTP status, with the registry's own error code.
    #[error("{method} {url} failed: {status} {code}{message}")]
    Status {
        /// HTTP method.
        method: String,
        /// URL without credentials.
        url: String,
        /// HTTP status.
        status: u16,
        /// The registry's error code (`MANIFEST_UNKNOWN`, `TOOMANYREQUESTS`) or the reason phrase.
        code: String,
        /// The registry's message, prefixed with `: ` when present.
        message: String,
    },
    /// Content did not hash to the digest it was asked for or announced with.
    #[error("{url}: content has digest {actual}, expected {expected}")]
    DigestMismatch {
        /// URL of the content.
        url: String,
        /// The digest it should have.
        expected: String,
        /// The digest it has.
        actual: String,
    },
    /// The response was not of the expected shape.
    #[error("{url}: {detail}")]
    BadResponse {
        /// URL of the response.
        url: String,
        /// What was wrong.
        detail: String,
    },
    /// Credentials could not be found or obtained (docker config, helpers).
    #[error("credentials: {0}")]
    Credentials(String),
    /// A cloud credential exchange (ECR, STS, Azure AD, instance metadata) failed.
    #[error("{what} failed ({url}): {detail}")]
    Cloud {
        /// The call (`ECR GetAuthorizationToken`, `STS AssumeRole`).
        what: String,
        /// The endpoint, without credentials.
        url: String,
        /// Status and the service's own error code and message.
        detail: String,
    },
    /// The environment's proxy setting cannot be used.
    #[error("proxy: {0}")]
    Proxy(String),
    /// A client setting is out of range.
    #[error("source.{0}")]
    Settings(String),
    /// A `ca_certs` entry or the client certificate could not be used.
    #[error("TLS settings: {0}")]
    CaCerts(String),
    /// The connection broke while a body was read.
    #[error("reading {url} failed: {detail}")]
    Read {
        /// URL of the response.
        url: String,
        /// The I/O error.
        detail: String,
    },
}
