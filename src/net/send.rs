//! Sending a request: the retry policy around one try, and one try — credentials kept for their
//! origin, the body rebuilt for every hop, redirects followed only where they may go.

use super::classify::classify;
use super::classify::SendError;
use super::client::Http;
use super::deadline::{budget, is_streaming};
use super::error::NetError;
use super::redact::{origin_of, redact_url, same_origin};
use super::request_body::Body;
use super::response::Response;
use super::retry;
use super::runtime::block_on;
use crate::log;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

const MAX_REDIRECTS: usize = 5;
/// Headers that carry credentials besides `Authorization`: never sent to another origin.
const CREDENTIAL_HEADERS: &[&str] = &[
    "authorization",
    "proxy-authorization",
    "cookie",
    "x-amz-security-token",
    "private-token",
    "x-auth-token",
];

impl Http {
    /// Sends a request with the retry policy: a 408, 429, 500, 502, 503 or 504 answer, a
    /// connection reset or a timeout is retried with exponential backoff and jitter (a
    /// `Retry-After` up to the budget is honoured), at most `retry::RETRIES` times and within
    /// the run's budget; every retry is logged. Other answers (401, 403, 404, …) return at once.
    pub(crate) async fn send(
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
    pub(crate) fn send_blocking(
        &self,
        method: &str,
        url: &str,
        headers: &[(&str, &str)],
        authorization: Option<&str>,
        body: Body<'_>,
    ) -> Result<Response, SendError> {
        block_on(self.send(method, url, headers, authorization, body))
    }

    /// One try: the request and the redirects it is sent on, each hop built afresh.
    async fn send_once(
        &self,
        method: &str,
        url: &str,
        headers: &[(&str, &str)],
        authorization: Option<&str>,
        body: Body<'_>,
    ) -> Result<Response, SendError> {
        let h1_only = self.h1_only.load(Ordering::Relaxed);
        let client = self.client(h1_only).map_err(SendError::Other)?;
        let out = Outgoing::new(method, url, headers, authorization, body)?;
        let mut current = out.url.clone();
        for _ in 0..=MAX_REDIRECTS {
            let req = out.request(client, &current).await?;
            let started = Instant::now();
            let result = req.send().await;
            let ms = started.elapsed().as_millis();
            let resp = result.map_err(|e| self.failed(method, &current, &e, h1_only, ms))?;
            let status = resp.status().as_u16();
            log::debug(|| format!("{method} {} -> {status} ({ms} ms)", redact_url(&current)));
            match self.redirect_target(&out, &current, &resp)? {
                Some(next) => current = next,
                None => {
                    return Ok(Response {
                        status,
                        url: redact_url(&current),
                        inner: resp,
                    })
                }
            }
        }
        Err(SendError::Other(NetError::BadResponse {
            url: redact_url(&out.url),
            detail: format!("more than {MAX_REDIRECTS} redirects"),
        }))
    }

    /// A hop that got no answer, classified and logged. When the connection died under an https
    /// request, the retry (and every later request of this client) goes over HTTP/1.1, which
    /// reports the connection's fate with its cause.
    fn failed(
        &self,
        method: &str,
        current: &str,
        e: &reqwest::Error,
        h1_only: bool,
        ms: u128,
    ) -> SendError {
        let err = classify(method, current, e);
        if connection_died(&err) && !h1_only && current.starts_with("https://") {
            self.h1_only.store(true, Ordering::Relaxed);
        }
        log::debug(|| match &err {
            SendError::WrongProtocol(_) => format!(
                "{method} {} -> no answer in this protocol ({ms} ms)",
                redact_url(current)
            ),
            SendError::Other(e) => {
                format!("{method} {} -> failed ({ms} ms): {e}", redact_url(current))
            }
        });
        err
    }

    /// Where a redirect sends the request next; `None` when `resp` is the answer (not a 3xx, a
    /// 304, or no `Location`). A target [`Http::allowed`] refuses, or another origin for a
    /// request carrying a body, is an error.
    fn redirect_target(
        &self,
        out: &Outgoing<'_>,
        current: &str,
        resp: &reqwest::Response,
    ) -> Result<Option<String>, SendError> {
        let status = resp.status().as_u16();
        if !(300..400).contains(&status) || status == 304 {
            return Ok(None);
        }
        let Some(loc) = resp.headers().get("Location") else {
            return Ok(None);
        };
        let next = loc
            .to_str()
            .ok()
            .and_then(|l| url::Url::parse(current).ok()?.join(l).ok())
            .ok_or_else(|| {
                SendError::Other(NetError::BadResponse {
                    url: redact_url(current),
                    detail: "bad redirect Location".into(),
                })
            })?;
        self.allowed(current, next.as_str())
            .map_err(SendError::Other)?;
        if out.carries_body() && !same_origin(&out.url, next.as_str()) {
            return Err(SendError::Other(NetError::BodyRedirect {
                method: out.method.to_string(),
                url: redact_url(current),
                from: origin_of(&out.url),
                to: origin_of(next.as_str()),
            }));
        }
        Ok(Some(next.to_string()))
    }
}

/// One request as it goes out on every hop: its URL without user info, its credential (given,
/// or taken from that user info) and the deadline for its answer.
struct Outgoing<'a> {
    method: &'a str,
    method_value: reqwest::Method,
    url: String,
    headers: &'a [(&'a str, &'a str)],
    authorization: Option<String>,
    body: Body<'a>,
    deadline: Option<Duration>,
}

impl<'a> Outgoing<'a> {
    /// The request to send: credentials in `url` become its origin's basic auth, held like any
    /// other (never in a URL that a message or a redirect could show); every credential is
    /// registered as a secret; the method is checked.
    fn new(
        method: &'a str,
        url: &str,
        headers: &'a [(&'a str, &'a str)],
        authorization: Option<&str>,
        body: Body<'a>,
    ) -> Result<Outgoing<'a>, SendError> {
        let (url, url_authorization) = take_userinfo(url);
        let authorization = authorization.map(str::to_string).or(url_authorization);
        register_credentials(authorization.as_deref(), headers);
        let method_value = reqwest::Method::from_bytes(method.as_bytes()).map_err(|_| {
            SendError::Other(NetError::BadResponse {
                url: redact_url(&url),
                detail: format!("bad method {method}"),
            })
        })?;
        // A server trickling its answer (headers or a document) is cut off at the budget;
        // streams and uploads are bounded by the per-read stall timeout instead.
        let deadline = (!matches!(body, Body::File { .. }) && !is_streaming()).then(budget);
        Ok(Outgoing {
            method,
            method_value,
            url,
            headers,
            authorization,
            body,
            deadline,
        })
    }

    /// Whether a body goes out (a refresh token, a signed form, a blob): it is for its own
    /// origin only.
    fn carries_body(&self) -> bool {
        !matches!(self.body, Body::Empty)
    }

    /// The request for one hop, to `current`: credential headers and the authorization only on
    /// the request's own origin, the body opened afresh.
    async fn request(
        &self,
        client: &reqwest::Client,
        current: &str,
    ) -> Result<reqwest::RequestBuilder, SendError> {
        let parsed = url::Url::parse(current).map_err(|e| {
            SendError::Other(NetError::BadResponse {
                url: redact_url(current),
                detail: format!("not a URL: {e}"),
            })
        })?;
        let home = same_origin(&self.url, current);
        let mut req = client.request(self.method_value.clone(), parsed);
        if let Some(d) = self.deadline {
            req = req.timeout(d);
        }
        for (k, v) in self.headers {
            if home || !is_credential_header(k) {
                req = req.header(*k, *v);
            }
        }
        if let (Some(auth), true) = (self.authorization.as_deref(), home) {
            req = req.header("Authorization", auth);
        }
        let has_body = self.carries_body() || !matches!(self.method, "GET" | "HEAD");
        if has_body {
            if let Body::File { len, .. } = self.body {
                req = req.header("Content-Length", len.to_string());
            }
            let built = self.body.build().await.map_err(SendError::Other)?;
            req = req.body(built);
        }
        Ok(req)
    }
}

/// Whether the connection died under the request (a refused client certificate, or a
/// connection closed, cancelled or reset).
fn connection_died(err: &SendError) -> bool {
    match err {
        SendError::Other(NetError::ClientCert { .. }) => true,
        SendError::Other(NetError::Unreachable { detail, .. }) => {
            ["closed", "canceled", "reset", "fatal alert"]
                .iter()
                .any(|w| detail.to_ascii_lowercase().contains(w))
        }
        _ => false,
    }
}

/// Whatever credential goes out is scrubbed from anything a server sends back.
fn register_credentials(authorization: Option<&str>, headers: &[(&str, &str)]) {
    if let Some(a) = authorization {
        log::register_secret(a);
        if let Some((_, value)) = a.split_once(' ') {
            log::register_secret(value);
        }
    }
    for (k, v) in headers {
        if is_credential_header(k) {
            log::register_secret(v);
        }
    }
}

/// Whether `name` is one of [`CREDENTIAL_HEADERS`].
fn is_credential_header(name: &str) -> bool {
    CREDENTIAL_HEADERS.contains(&name.to_ascii_lowercase().as_str())
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_credentials_become_basic_auth() {
        let (url, auth) = take_userinfo("http://uptick:p%40ss@127.0.0.1:5000/simple/");
        assert_eq!(url, "http://127.0.0.1:5000/simple/");
        // base64("uptick:p@ss")
        assert_eq!(auth.as_deref(), Some("Basic dXB0aWNrOnBAc3M="));
        let (url, auth) = take_userinfo("https://r.io/v2/?a=b");
        assert_eq!((url.as_str(), auth), ("https://r.io/v2/?a=b", None));
    }
}
