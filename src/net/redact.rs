//! URLs fit for logs, and the origin rules that decide where credentials may go.

/// `host[:port]` of a URL, for messages and same-host checks.
pub(crate) fn host_of(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(u) => {
            let host = u.host_str().unwrap_or_default();
            match u.port() {
                Some(p) => format!("{host}:{p}"),
                None => host.to_string(),
            }
        }
        Err(_) => String::new(),
    }
}

/// Whether two URLs share scheme, host and port (the port a scheme implies counts): the only
/// places a credential meant for one may go.
pub(crate) fn same_origin(a: &str, b: &str) -> bool {
    match (url::Url::parse(a), url::Url::parse(b)) {
        (Ok(a), Ok(b)) => {
            a.scheme() == b.scheme()
                && a.host_str().map(str::to_ascii_lowercase)
                    == b.host_str().map(str::to_ascii_lowercase)
                && a.port_or_known_default() == b.port_or_known_default()
        }
        _ => false,
    }
}

/// `scheme://host:port` of a URL (the port always written, the one its scheme implies
/// included), for messages about where a request may go; never any user info.
pub(crate) fn origin_of(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(u) => {
            let host = match u.host() {
                Some(url::Host::Ipv6(ip)) => format!("[{ip}]"),
                Some(h) => h.to_string().to_ascii_lowercase(),
                None => String::new(),
            };
            match u.port_or_known_default() {
                Some(p) => format!("{}://{host}:{p}", u.scheme()),
                None => format!("{}://{host}", u.scheme()),
            }
        }
        Err(_) => "<unparseable url>".to_string(),
    }
}

/// Whether a URL names this machine (`localhost`, `127.0.0.0/8`, `::1`).
pub(crate) fn is_loopback(u: &url::Url) -> bool {
    match u.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

/// A URL fit for logs: no user info, and only well-known harmless query parameters kept.
pub(crate) fn redact_url(raw: &str) -> String {
    let Ok(mut u) = url::Url::parse(raw) else {
        return "<unparseable url>".to_string();
    };
    let _ = u.set_username("");
    let _ = u.set_password(None);
    if u.query().is_some() {
        let kept: Vec<(String, String)> = u
            .query_pairs()
            .map(|(k, v)| {
                let keep = matches!(
                    k.as_ref(),
                    "service" | "scope" | "n" | "last" | "digest" | "mount" | "from"
                );
                let v = if keep {
                    v.into_owned()
                } else {
                    "redacted".into()
                };
                (k.into_owned(), v)
            })
            .collect();
        u.query_pairs_mut().clear().extend_pairs(kept);
    }
    u.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redacts_unknown_query_values_and_userinfo() {
        let r =
            redact_url("https://u:p@h:5000/v2/x/blobs/uploads/abc?_state=SECRET&digest=sha256:1");
        assert!(!r.contains("SECRET"), "{r}");
        assert!(!r.contains("u:p"), "{r}");
        assert!(r.contains("digest=sha256"), "{r}");
    }

    #[test]
    fn origins_name_scheme_host_and_port() {
        assert_eq!(origin_of("https://u:p@R.io/v2/x?a=b"), "https://r.io:443");
        assert_eq!(
            origin_of("http://127.0.0.1:5000/token"),
            "http://127.0.0.1:5000"
        );
        assert_eq!(origin_of("http://[::1]:80/"), "http://[::1]:80");
    }

    #[test]
    fn host_of_keeps_port() {
        assert_eq!(host_of("http://127.0.0.1:5000/v2/"), "127.0.0.1:5000");
        assert_eq!(host_of("https://ghcr.io/v2/"), "ghcr.io");
    }

    #[test]
    fn origins_compare_scheme_host_and_port() {
        assert!(same_origin("https://r.io/v2/", "https://R.io:443/v2/x"));
        assert!(!same_origin("https://r.io/v2/", "http://r.io/v2/"));
        assert!(!same_origin("https://r.io/v2/", "https://r.io:8443/v2/"));
        assert!(!same_origin("https://r.io/v2/", "https://evil.io/v2/"));
    }
}
