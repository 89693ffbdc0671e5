//! The one network layer: reqwest on the process's tokio runtime, TLS, proxies, retries,
//! deadlines, redirects that keep credentials at home, and URL redaction.

mod classify;
mod client;
mod deadline;
pub mod error;
mod metadata;
pub mod proxy;
mod reader;
pub mod redact;
mod request_body;
mod response;
mod retry;
mod runtime;
mod send;
pub mod tls;

pub use classify::SendError;
pub use client::Http;
pub use deadline::{set_budget, streaming};
pub use error::{BrokeOff, NetError};
pub use metadata::{metadata_request, MetadataAnswer, MetadataTimeouts};
pub use redact::{host_of, origin_of, redact_url, same_origin};
pub use request_body::{Body, Hashed};
pub use response::{next_link, Response};
pub use retry::{rate_limited, retry_truncated, retry_truncated_blocking};
pub use runtime::{block_on, blocking, concurrently, install_runtime};
pub use tls::TlsSettings;
