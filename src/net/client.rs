//! The HTTP client: one per set of TLS settings, built on first use (HTTP/2, or HTTP/1.1 only
//! after a connection died), and the rule for where a request may be sent on to.

use super::classify::cause_chain;
use super::deadline::budget;
use super::error::NetError;
use super::proxy;
use super::redact::{self, redact_url};
use super::runtime::handle;
use super::tls::{self, TlsError, TlsSettings};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

const CONNECT_TIMEOUT: Duration = Duration::from_secs(15);
const IO_TIMEOUT: Duration = Duration::from_secs(60);
pub(super) const USER_AGENT: &str = concat!("uptick/", env!("CARGO_PKG_VERSION"));

/// One HTTP client for one set of TLS settings (plain and TLS, direct and proxied), built on
/// first use; the CA roots are read only when a server shows a certificate.
pub(crate) struct Http {
    /// Offers HTTP/2 over TLS (ALPN `h2`, `http/1.1`): one connection carries concurrent HEADs.
    client: OnceLock<Result<reqwest::Client, Arc<TlsError>>>,
    /// HTTP/1.1 only: used for the rest of the run once an https connection died under a
    /// request (an HTTP/2 connection reports a TLS refusal or a reset as text only; HTTP/1.1
    /// hands back the typed cause, so the error can say what to do).
    client_h1: OnceLock<Result<reqwest::Client, Arc<TlsError>>>,
    /// Set once an https connection died under a request: later requests use `client_h1`.
    pub(super) h1_only: std::sync::atomic::AtomicBool,
    proxies: proxy::ProxyEnv,
    settings: TlsSettings,
}

impl Http {
    /// A new client; nothing is loaded until the first request.
    pub(crate) fn new(settings: TlsSettings) -> Http {
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
    pub(crate) fn validate(&self) -> Result<(), NetError> {
        for (i, pem) in self.settings.ca_certs.iter().enumerate() {
            tls::parse_pem(i, pem).map_err(|e| NetError::CaCerts(Arc::new(e)))?;
        }
        if let Some((cert, key)) = &self.settings.client_identity {
            tls::client_identity(cert, key.expose()).map_err(|e| NetError::CaCerts(Arc::new(e)))?;
        }
        self.proxies.validate()
    }

    /// The client for HTTP/2-or-1.1 or for HTTP/1.1 only, built on first use.
    pub(super) fn client(&self, h1_only: bool) -> Result<&reqwest::Client, NetError> {
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
            builder
                .build()
                .map_err(|e| Arc::new(TlsError::Client(cause_chain(&e))))
        })
        .as_ref()
        .map_err(|e| NetError::CaCerts(e.clone()))
    }

    /// Whether a request may go from `from` to `to` (a redirect, an upload `Location`, a token
    /// realm): never from https down to plain http off loopback, unless `insecure` is set.
    pub(crate) fn allowed(&self, from: &str, to: &str) -> Result<(), NetError> {
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
}
