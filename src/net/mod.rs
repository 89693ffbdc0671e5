//! The one network layer: reqwest on the process's tokio runtime, TLS, proxies, retries,
//! deadlines, redirects that keep credentials at home, and URL redaction.

mod classify;
mod client;
mod deadline;
pub(crate) mod error;
mod metadata;
pub(crate) mod proxy;
mod reader;
pub(crate) mod redact;
mod request_body;
mod response;
mod retry;
mod runtime;
mod send;
pub(crate) mod tls;

pub(crate) use classify::SendError;
pub(crate) use client::Http;
pub(crate) use deadline::{set_budget, streaming};
pub(crate) use error::{BrokeOff, NetError};
pub(crate) use metadata::{metadata_request, MetadataTimeouts};
pub(crate) use redact::{redact_url, same_origin};
pub(crate) use request_body::{Body, Hashed};
pub use response::next_link;
pub(crate) use response::Response;
pub(crate) use retry::{rate_limited, retry_truncated, retry_truncated_blocking};
pub(crate) use runtime::{block_on, blocking, concurrently, install_runtime};
pub(crate) use tls::TlsSettings;
