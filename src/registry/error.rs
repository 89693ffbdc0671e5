//! Registry client errors, each carrying the host or URL that failed and never a secret.

use super::reference::ReferenceError;

/// Everything that can go wrong talking to a registry or token server.
#[derive(Debug, thiserror::Error)]
pub enum RegistryError {
    /// The reference was rejected before any request.
    #[error(transparent)]
    Reference(#[from] ReferenceError),
    /// The request itself failed (connection, TLS, timeout, a body breaking off).
    #[error(transparent)]
    Net(#[from] crate::net::NetError),
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
}
