//! Cloud metadata requests: a client of its own, never proxied, with no redirects and no
//! retries, for the link-local endpoints that hand out cloud credentials.

use super::classify::classify;
use super::client::USER_AGENT;
use super::error::NetError;
use super::redact::redact_url;
use super::response::Response;
use super::tls::{self, TlsSettings};
use std::time::Duration;

/// How long a metadata endpoint (absent off-cloud) may take to accept and to answer.
#[derive(Clone, Copy, Debug)]
pub(crate) struct MetadataTimeouts {
    /// To connect.
    pub connect: Duration,
    /// For the whole request, body included.
    pub total: Duration,
}

/// An answer of a metadata endpoint.
#[derive(Debug)]
pub(crate) struct MetadataAnswer {
    /// HTTP status.
    pub status: u16,
    /// The body (at most 1 MiB).
    pub body: Vec<u8>,
}

/// One request to a link-local metadata service (cloud credentials): never proxied, no
/// redirects, no retries — a worker off-cloud must learn that quickly. `Err` is a transport
/// failure (nothing answered); any status is an answer.
pub(crate) async fn metadata_request(
    method: &str,
    url: &str,
    headers: &[(&str, &str)],
    timeouts: MetadataTimeouts,
) -> Result<MetadataAnswer, NetError> {
    const LIMIT: u64 = 1 << 20;
    let config = tls::tls_config(&TlsSettings::default())
        .map_err(|e| NetError::CaCerts(std::sync::Arc::new(e)))?;
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
