//! Image references: `alpine`, `host:port/a/b:tag`, `repo@sha256:…`, validated before any request.

use crate::digest::Digest;
use std::fmt;

/// Docker Hub's canonical registry name, as go-containerregistry spells it.
pub(crate) const DOCKER_HUB: &str = "index.docker.io";
const DOCKER_HUB_API: &str = "registry-1.docker.io";

/// Why a reference is not valid.
#[derive(Debug, thiserror::Error)]
#[error("invalid image reference `{input}`: {reason}")]
pub struct ReferenceError {
    input: String,
    reason: String,
}

fn invalid(input: &str, reason: impl Into<String>) -> ReferenceError {
    ReferenceError {
        input: input.chars().take(200).collect(),
        reason: reason.into(),
    }
}

/// A repository in a registry: `registry/path`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Repository {
    registry: String,
    path: String,
}

/// A repository plus a tag or digest.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reference {
    /// The repository.
    pub repository: Repository,
    /// The tag, when one was given.
    pub tag: Option<String>,
    /// The digest, when one was given.
    pub digest: Option<Digest>,
}

impl Repository {
    /// Parses a repository name without tag or digest (`alpine`, `ghcr.io/o/r`, `127.0.0.1:5000/x`).
    pub fn parse(input: &str) -> Result<Repository, ReferenceError> {
        if input.is_empty() {
            return Err(invalid(input, "empty repository"));
        }
        // `index.docker.io/library/` spells a name longer than it counts (below).
        if input.len() > 255 + "index.docker.io/library/".len() {
            return Err(invalid(input, "longer than 255 characters"));
        }
        let (registry, path) = match input.split_once('/') {
            Some((first, rest)) if looks_like_host(first) => {
                validate_host(input, first)?;
                (canonical_registry(first), rest.to_string())
            }
            _ => (DOCKER_HUB.to_string(), input.to_string()),
        };
        if path.is_empty() {
            return Err(invalid(input, "missing repository path after the registry"));
        }
        for component in path.split('/') {
            if !valid_path_component(component) {
                let reason = if component.contains(':') {
                    "the repository must not contain a tag (use `tag`)".to_string()
                } else if component.contains('@') {
                    "the repository must not contain a digest".to_string()
                } else {
                    format!(
                        "path component `{component}` must be lowercase letters, digits and single separators (. _ __ -)"
                    )
                };
                return Err(invalid(input, reason));
            }
        }
        let path = if registry == DOCKER_HUB && !path.contains('/') {
            format!("library/{path}")
        } else {
            path
        };
        // The limit is on the normalized name (`docker.io/library/x`), as docker counts it, so a
        // repository and its printed form agree (found by the `reference` fuzz target).
        let shown = if registry == DOCKER_HUB {
            "docker.io/".len() + path.len()
        } else {
            registry.len() + 1 + path.len()
        };
        if shown > 255 {
            return Err(invalid(input, "longer than 255 characters"));
        }
        Ok(Repository { registry, path })
    }

    /// The registry as named (`index.docker.io`, `127.0.0.1:5000`).
    pub fn registry(&self) -> &str {
        &self.registry
    }

    /// The host (and port) requests go to.
    pub fn api_host(&self) -> &str {
        if self.registry == DOCKER_HUB {
            DOCKER_HUB_API
        } else {
            &self.registry
        }
    }

    /// The path inside the registry (`library/alpine`).
    pub fn path(&self) -> &str {
        &self.path
    }

    /// Whether this is Docker Hub (where `registry_mirror` applies).
    pub fn is_docker_hub(&self) -> bool {
        self.registry == DOCKER_HUB
    }

    /// The same path on another registry host (for mirrors).
    pub fn on_registry(&self, host: &str) -> Result<Repository, ReferenceError> {
        validate_host(host, host)?;
        Ok(Repository {
            registry: canonical_registry(host),
            path: self.path.clone(),
        })
    }

    /// Another repository of the same registry, by its path (`None` when not a valid one).
    pub fn sibling(&self, path: &str) -> Option<Repository> {
        let other = Repository::parse(&format!("{}/{path}", self.registry)).ok()?;
        (other.registry == self.registry && other.path == path).then_some(other)
    }

    /// Whether the registry host is a loopback address (`localhost`, 127.0.0.0/8, `::1`).
    pub fn is_loopback(&self) -> bool {
        is_loopback_host(&self.registry)
    }
}

impl fmt::Display for Repository {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.registry, self.path)
    }
}

impl Reference {
    /// Parses `repo[:tag][@digest]`.
    pub fn parse(input: &str) -> Result<Reference, ReferenceError> {
        let (rest, digest) = match input.split_once('@') {
            Some((r, d)) => (
                r,
                Some(
                    d.parse::<Digest>()
                        .map_err(|e| invalid(input, e.to_string()))?,
                ),
            ),
            None => (input, None),
        };
        // A `:` after the last `/` separates the tag (a `:` before it is a port).
        let last_slash = rest.rfind('/').map_or(0, |i| i + 1);
        let (repo, tag) = match rest[last_slash..].find(':') {
            Some(i) => {
                let at = last_slash + i;
                (&rest[..at], Some(rest[at + 1..].to_string()))
            }
            None => (rest, None),
        };
        if let Some(t) = &tag {
            validate_tag(t).map_err(|reason| invalid(input, reason))?;
        }
        let repository = Repository::parse(repo).map_err(|e| invalid(input, e.reason))?;
        Ok(Reference {
            repository,
            tag,
            digest,
        })
    }
}

/// Checks a tag against the OCI grammar `[A-Za-z0-9_][A-Za-z0-9._-]{0,127}`.
pub fn validate_tag(tag: &str) -> Result<(), String> {
    let bytes = tag.as_bytes();
    let ok = !bytes.is_empty()
        && bytes.len() <= 128
        && (bytes[0].is_ascii_alphanumeric() || bytes[0] == b'_')
        && bytes
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'));
    if ok {
        Ok(())
    } else {
        Err(format!(
            "tag `{}` must be 1-128 characters of letters, digits, `_`, `.`, `-`, not starting with `.` or `-`",
            tag.chars().take(130).collect::<String>()
        ))
    }
}

fn looks_like_host(first: &str) -> bool {
    first.contains('.') || first.contains(':') || first == "localhost" || first.starts_with('[')
}

/// Host names are case-insensitive: lowercased, and Docker Hub's spellings made one (found by
/// the `reference` fuzz target: `dockEr.io/x` was not Docker Hub).
fn canonical_registry(host: &str) -> String {
    let host = host.to_ascii_lowercase();
    match host.as_str() {
        "docker.io" | "index.docker.io" | "registry-1.docker.io" => DOCKER_HUB.to_string(),
        _ => host,
    }
}

fn validate_host(input: &str, host: &str) -> Result<(), ReferenceError> {
    let (name, port) = if let Some(rest) = host.strip_prefix('[') {
        let (ip, after) = rest
            .split_once(']')
            .ok_or_else(|| invalid(input, "unterminated IPv6 address"))?;
        if ip.parse::<std::net::Ipv6Addr>().is_err() {
            return Err(invalid(input, format!("`{ip}` is not an IPv6 address")));
        }
        (None, after.strip_prefix(':'))
    } else {
        match host.rsplit_once(':') {
            Some((n, p)) => (Some(n), Some(p)),
            None => (Some(host), None),
        }
    };
    if let Some(name) = name {
        let ok = !name.is_empty()
            && name.split('.').all(|label| {
                !label.is_empty()
                    && label.len() <= 63
                    && label
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'-')
                    && !label.starts_with('-')
                    && !label.ends_with('-')
            });
        if !ok {
            return Err(invalid(
                input,
                format!("`{host}` is not a valid registry host"),
            ));
        }
    }
    if let Some(port) = port {
        if port.parse::<u16>().map_or(true, |p| p == 0) {
            return Err(invalid(input, format!("`{port}` is not a valid port")));
        }
    }
    Ok(())
}

fn valid_path_component(c: &str) -> bool {
    // [a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*
    let b = c.as_bytes();
    if b.is_empty() || !is_alnum(b[0]) || !is_alnum(b[b.len() - 1]) {
        return false;
    }
    let mut i = 0;
    while i < b.len() {
        if is_alnum(b[i]) {
            i += 1;
            continue;
        }
        let start = i;
        while i < b.len() && !is_alnum(b[i]) {
            i += 1;
        }
        let sep = &c[start..i];
        let ok = sep == "." || sep == "_" || sep == "__" || sep.bytes().all(|x| x == b'-');
        if !ok {
            return false;
        }
    }
    true
}

fn is_alnum(b: u8) -> bool {
    b.is_ascii_lowercase() || b.is_ascii_digit()
}

/// Whether a `host[:port]` names the loopback interface.
pub(crate) fn is_loopback_host(registry: &str) -> bool {
    let host = if let Some(rest) = registry.strip_prefix('[') {
        rest.split(']').next().unwrap_or_default()
    } else {
        registry.rsplit_once(':').map_or(registry, |(h, _)| h)
    };
    host == "localhost"
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn docker_hub_spellings_are_case_insensitive() {
        let r = Repository::parse("Docker.IO/libras").unwrap();
        assert!(r.is_docker_hub());
        assert_eq!(r.path(), "library/libras");
        assert_eq!(Repository::parse(&r.to_string()).unwrap(), r);
    }

    #[test]
    fn docker_hub_names() {
        let r = Repository::parse("alpine").unwrap();
        assert_eq!(r.registry(), DOCKER_HUB);
        assert_eq!(r.path(), "library/alpine");
        assert_eq!(r.api_host(), "registry-1.docker.io");
        let r = Repository::parse("docker.io/concourse/registry-image-resource").unwrap();
        assert_eq!(r.path(), "concourse/registry-image-resource");
        assert!(r.is_docker_hub());
    }

    #[test]
    fn hosts_and_ports() {
        let r = Repository::parse("127.0.0.1:5000/a/b").unwrap();
        assert_eq!(r.registry(), "127.0.0.1:5000");
        assert_eq!(r.path(), "a/b");
        assert!(r.is_loopback());
        let r = Repository::parse("localhost/x").unwrap();
        assert!(r.is_loopback());
        let r = Repository::parse("[::1]:5000/x").unwrap();
        assert!(r.is_loopback());
        assert!(!Repository::parse("ghcr.io/o/r").unwrap().is_loopback());
    }

    #[test]
    fn rejects_bad_names() {
        for bad in [
            "",
            "Alpine",
            "alpine:3",
            "a//b",
            "host:99999/x",
            "host:5000/",
            "a@sha256:00",
            "-a",
            "a..b",
            "exa mple.com/x",
        ] {
            assert!(Repository::parse(bad).is_err(), "{bad}");
        }
        let e = Repository::parse("alpine:3.20").unwrap_err().to_string();
        assert!(e.contains("must not contain a tag"), "{e}");
    }

    #[test]
    fn references() {
        let r = Reference::parse("127.0.0.1:5000/a:1.2").unwrap();
        assert_eq!(r.tag.as_deref(), Some("1.2"));
        assert_eq!(r.repository.registry(), "127.0.0.1:5000");
        let d = format!("sha256:{}", "0".repeat(64));
        let r = Reference::parse(&format!("alpine@{d}")).unwrap();
        assert_eq!(r.digest.unwrap().to_string(), d);
        assert!(Reference::parse("alpine:.bad").is_err());
        assert!(Reference::parse("alpine@sha256:zz").is_err());
    }
}
