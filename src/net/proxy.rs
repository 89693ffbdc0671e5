//! Forward proxies from the environment, as curl and Go read them: `HTTPS_PROXY` / `HTTP_PROXY`
//! (either case), `ALL_PROXY` as the fallback, and `NO_PROXY` hosts reached directly; loopback
//! is never proxied (Go's rule).

/// The proxy settings of this process.
#[derive(Clone, Debug, Default)]
pub(crate) struct ProxyEnv {
    http: Option<String>,
    https: Option<String>,
    no_proxy: Vec<String>,
}

fn var(names: &[&str]) -> Option<String> {
    names
        .iter()
        .find_map(|n| std::env::var(n).ok())
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty())
}

impl ProxyEnv {
    /// Read once from the environment.
    pub(crate) fn from_env() -> ProxyEnv {
        let all = var(&["ALL_PROXY", "all_proxy"]);
        ProxyEnv {
            // Lowercase `http_proxy` first, as curl does (the uppercase one is CGI-spoofable).
            http: var(&["http_proxy", "HTTP_PROXY"]).or_else(|| all.clone()),
            https: var(&["https_proxy", "HTTPS_PROXY"]).or(all),
            no_proxy: var(&["no_proxy", "NO_PROXY"])
                .map(|v| {
                    v.split(',')
                        .map(|e| e.trim().trim_start_matches('.').to_ascii_lowercase())
                        .filter(|e| !e.is_empty())
                        .collect()
                })
                .unwrap_or_default(),
        }
    }

    /// The proxy URL for `url`, or `None` to connect directly.
    pub(crate) fn for_url(&self, url: &str) -> Option<&str> {
        let parsed = url::Url::parse(url).ok()?;
        let proxy = match parsed.scheme() {
            "https" => self.https.as_deref()?,
            "http" => self.http.as_deref()?,
            _ => return None,
        };
        let host = parsed
            .host_str()?
            .trim_matches(['[', ']'])
            .to_ascii_lowercase();
        // Never loopback, as Go's net/http decides (registry-image-resource's behaviour).
        let loopback = host == "localhost"
            || host
                .parse::<std::net::IpAddr>()
                .is_ok_and(|ip| ip.is_loopback());
        if loopback {
            return None;
        }
        let with_port = parsed
            .port_or_known_default()
            .map(|p| format!("{host}:{p}"))
            .unwrap_or_else(|| host.clone());
        let bypass = self.no_proxy.iter().any(|e| {
            e == "*"
                || *e == host
                || *e == with_port
                || host.ends_with(&format!(".{e}"))
                || with_port.ends_with(&format!(".{e}"))
        });
        (!bypass).then_some(proxy)
    }

    /// Fails when a proxy variable is set but is not a URL (without quoting it: it may hold a
    /// password).
    pub(crate) fn validate(&self) -> Result<(), super::error::NetError> {
        for p in [&self.http, &self.https].into_iter().flatten() {
            if url::Url::parse(p).is_err() {
                return Err(super::error::NetError::Proxy(
                    "HTTP(S)_PROXY is not a usable proxy URL".into(),
                ));
            }
        }
        Ok(())
    }

    /// The rules above as reqwest's proxy (credentials in the proxy URL become
    /// `Proxy-Authorization`, on plain requests and on `CONNECT`); `None` without proxies.
    pub(crate) fn reqwest_proxy(&self) -> Option<reqwest::Proxy> {
        if self.http.is_none() && self.https.is_none() {
            return None;
        }
        let env = self.clone();
        Some(reqwest::Proxy::custom(move |url| {
            env.for_url(url.as_str())
                .and_then(|p| url::Url::parse(p).ok())
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_proxy_matches_hosts_domains_and_ports() {
        let env = ProxyEnv {
            http: Some("http://proxy:3128".into()),
            https: Some("http://proxy:3128".into()),
            no_proxy: vec!["internal.example".into(), "10.0.0.1:5000".into()],
        };
        assert_eq!(
            env.for_url("https://ghcr.io/v2/"),
            Some("http://proxy:3128")
        );
        assert_eq!(env.for_url("https://reg.internal.example/v2/"), None);
        assert_eq!(env.for_url("https://internal.example/v2/"), None);
        assert_eq!(
            env.for_url("https://notinternal.example/v2/"),
            Some("http://proxy:3128")
        );
        assert_eq!(env.for_url("http://10.0.0.1:5000/v2/"), None);
        assert_eq!(
            env.for_url("http://10.0.0.1:5001/v2/"),
            Some("http://proxy:3128")
        );
        assert_eq!(env.for_url("http://127.0.0.1:5001/v2/"), None);
        assert_eq!(env.for_url("http://localhost:5001/v2/"), None);
        assert_eq!(env.for_url("http://[::1]:5000/v2/"), None);
        let all = ProxyEnv {
            no_proxy: vec!["*".into()],
            ..env
        };
        assert_eq!(all.for_url("https://ghcr.io/v2/"), None);
        assert_eq!(ProxyEnv::default().for_url("https://ghcr.io/v2/"), None);
    }
}
