//! What every AWS call shares: the regional endpoint, the SigV4-signed POST, the error shape.

use super::hosts::domain;
use crate::login::sigv4::{self, AwsCredentials};
use crate::net::{self, Body, Http};
use crate::registry::RegistryError;

pub(super) const MAX_RESPONSE: u64 = 1024 * 1024;

pub(super) fn cloud(what: &str, url: &str, detail: impl Into<String>) -> RegistryError {
    RegistryError::Cloud {
        what: what.to_string(),
        url: net::redact_url(url),
        detail: detail.into(),
    }
}

/// `AWS_ENDPOINT_URL_<SERVICE>`, `AWS_ENDPOINT_URL`, else the regional endpoint.
pub(super) fn endpoint(service_env: &str, host_prefix: &str, region: &str) -> String {
    for var in [
        format!("AWS_ENDPOINT_URL_{service_env}"),
        "AWS_ENDPOINT_URL".into(),
    ] {
        if let Ok(v) = std::env::var(&var) {
            if !v.trim().is_empty() {
                return format!("{}/", v.trim().trim_end_matches('/'));
            }
        }
    }
    format!("https://{host_prefix}.{region}.{}/", domain(region))
}

/// POSTs a SigV4-signed request; returns the status and body.
#[allow(clippy::too_many_arguments)]
pub(super) async fn signed_post(
    http: &Http,
    what: &str,
    url: &str,
    creds: &AwsCredentials,
    region: &str,
    service: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> Result<(u16, Vec<u8>), RegistryError> {
    let parsed = url::Url::parse(url).map_err(|e| cloud(what, url, e.to_string()))?;
    let host = match (parsed.host_str(), parsed.port()) {
        (Some(h), Some(p)) => format!("{h}:{p}"),
        (Some(h), None) => h.to_string(),
        _ => return Err(cloud(what, url, "endpoint has no host")),
    };
    let req = sigv4::Request {
        method: "POST",
        host: &host,
        path: parsed.path(),
        query: &[],
        headers,
        body,
    };
    let signed = sigv4::sign(&req, creds, region, service, std::time::SystemTime::now())
        .map_err(|e| cloud(what, url, e))?;
    let authorization = signed
        .iter()
        .find(|(k, _)| k == "Authorization")
        .map(|(_, v)| v.clone());
    let mut all: Vec<(&str, &str)> = headers.to_vec();
    for (k, v) in &signed {
        if k != "Authorization" {
            all.push((k.as_str(), v.as_str()));
        }
    }
    let resp = http
        .send(
            "POST",
            url,
            &all,
            authorization.as_deref(),
            Body::Bytes(body),
        )
        .await
        .map_err(|e| cloud(what, url, e.into_error().to_string()))?;
    let status = resp.status;
    Ok((status, resp.read_limited(MAX_RESPONSE).await?))
}

pub(super) fn form(pairs: &[(&str, &str)]) -> String {
    let mut f = url::form_urlencoded::Serializer::new(String::new());
    for (k, v) in pairs {
        f.append_pair(k, v);
    }
    f.finish()
}

pub(super) fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}
