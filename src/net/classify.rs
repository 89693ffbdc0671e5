//! Error classification: which transport failures mean "wrong protocol", which a timeout, a
//! refused client certificate or a broken-off body, told in one secret-free line.

use super::deadline::budget;
use super::error::NetError;
use super::redact::{host_of, redact_url};

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

/// A body failure: a stall or deadline is a timeout, anything else a broken-off read.
pub(super) fn body_error(method: &str, url: &str, e: &reqwest::Error) -> NetError {
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

/// The error and its causes as one line, without URLs' secrets (reqwest quotes the URL).
pub(super) fn cause_chain(e: &(dyn std::error::Error + 'static)) -> String {
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

/// A failed send, classified: a refused client certificate, an answer in another protocol, a
/// timeout, or an unreachable host.
pub(super) fn classify(method: &str, url: &str, e: &reqwest::Error) -> SendError {
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
