//! Terraform Registry providers and modules: the registry's services found as Terraform finds them
//! (remote service discovery), then the provider's or module's `versions` document.

use super::{Backend, Fetcher, PackageError, Release};
use super::{CommonFields, Source};
use crate::net::Body;
use crate::protocol::{empty_is_none, Secret};
use crate::versions::VersionScheme;

/// The public registry.
const DEFAULT_REGISTRY: &str = "https://registry.terraform.io";

/// Largest discovery document read (Terraform reads at most 1 MiB of one).
const MAX_DISCOVERY_BYTES: u64 = 1024 * 1024;

/// `terraform:` a provider `NAMESPACE/TYPE` or a module `NAMESPACE/NAME/PROVIDER` of a Terraform
/// registry.
#[derive(Debug, serde::Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct TerraformSource {
    /// A provider `NAMESPACE/TYPE` (`hashicorp/aws`) or a module `NAMESPACE/NAME/PROVIDER`
    /// (`hashicorp/consul/aws`) of a Terraform registry.
    terraform: String,
    /// The Terraform registry (default `https://registry.terraform.io`), whose
    /// `/.well-known/terraform.json` names its `providers.v1` and `modules.v1` services.
    #[serde(default, deserialize_with = "empty_is_none")]
    registry: Option<String>,
    /// A registry API token, sent as `Authorization: Bearer` only to `registry`'s scheme, host and
    /// port (not to a service URL on another host); never logged.
    #[serde(default)]
    access_token: Option<Secret>,
}

impl Source for TerraformSource {
    const KEY: &'static str = "terraform";
    const DOCS: &'static str = "## Terraform Registry";

    fn name(&self) -> &str {
        &self.terraform
    }

    fn index_root(&self) -> Option<&str> {
        self.registry.as_deref()
    }

    fn open(
        &self,
        common: &CommonFields,
        fetcher: Fetcher,
    ) -> Result<Box<dyn Backend>, PackageError> {
        if common.username.is_some() || common.password.is_some() {
            return Err(PackageError::Invalid {
                field: "source.username",
                detail: "a Terraform registry takes a token: set `access_token`, not `username` / `password`".into(),
            });
        }
        Ok(Box::new(Terraform::new(self, fetcher)?))
    }
}

/// What `source.terraform` names.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Address {
    /// `NAMESPACE/TYPE`.
    Provider { namespace: String, kind: String },
    /// `NAMESPACE/NAME/PROVIDER` (the module protocol's `:namespace/:name/:system`).
    Module {
        namespace: String,
        name: String,
        system: String,
    },
}

impl Address {
    /// Reads a provider or module address, each part checked as Terraform checks it.
    fn parse(text: &str) -> Result<Address, String> {
        let parts: Vec<&str> = text.split('/').collect();
        match parts.as_slice() {
            [namespace, kind] => {
                provider_part("namespace", namespace)?;
                provider_part("type", kind)?;
                Ok(Address::Provider {
                    namespace: namespace.to_string(),
                    kind: kind.to_string(),
                })
            }
            [namespace, name, system] => {
                module_name("namespace", namespace)?;
                module_name("name", name)?;
                module_system(system)?;
                Ok(Address::Module {
                    namespace: namespace.to_string(),
                    name: name.to_string(),
                    system: system.to_string(),
                })
            }
            _ => Err(format!(
                "{} parts; a provider is NAMESPACE/TYPE, a module NAMESPACE/NAME/PROVIDER",
                parts.len()
            )),
        }
    }

    /// The discovery service that lists it.
    fn service(&self) -> &'static str {
        match self {
            Address::Provider { .. } => "providers.v1",
            Address::Module { .. } => "modules.v1",
        }
    }

    /// Its `versions` document, relative to the service's base URL.
    fn versions_path(&self) -> String {
        match self {
            Address::Provider { namespace, kind } => format!("{namespace}/{kind}/versions"),
            Address::Module {
                namespace,
                name,
                system,
            } => format!("{namespace}/{name}/{system}/versions"),
        }
    }
}

/// A provider namespace or type: a DNS label as Terraform's `ParseProviderPart` allows (ASCII
/// letters, digits and single dashes inside, no dots), at most 63 characters.
fn provider_part(what: &str, part: &str) -> Result<(), String> {
    let ok = (1..=63).contains(&part.len())
        && part.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        && !part.starts_with('-')
        && !part.ends_with('-')
        && !part.contains("--");
    if ok {
        Ok(())
    } else {
        Err(format!(
            "the provider {what} must be 1 to 63 letters, digits and single dashes inside"
        ))
    }
}

/// A module namespace or name as Terraform's registry addresses allow: letters and digits, `-`
/// and `_` inside, at most 64 characters.
fn module_name(what: &str, part: &str) -> Result<(), String> {
    let edge = |b: Option<u8>| b.is_some_and(|b| b.is_ascii_alphanumeric());
    let ok = (1..=64).contains(&part.len())
        && part
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        && edge(part.bytes().next())
        && edge(part.bytes().last());
    if ok {
        Ok(())
    } else {
        Err(format!(
            "the module {what} must be 1 to 64 letters and digits, with `-` or `_` inside"
        ))
    }
}

/// A module's target system (provider): 1 to 64 lowercase letters and digits.
fn module_system(part: &str) -> Result<(), String> {
    let ok = (1..=64).contains(&part.len())
        && part
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit());
    if ok {
        Ok(())
    } else {
        Err("the module provider must be 1 to 64 lowercase letters and digits".into())
    }
}

/// A provider or module of a Terraform registry.
pub(crate) struct Terraform {
    name: String,
    address: Address,
    registry: url::Url,
    /// `Bearer …`, for the registry's own origin only.
    authorization: Option<String>,
    fetcher: Fetcher,
}

impl Terraform {
    /// `source.terraform` on `source.registry`; the address and the registry URL are checked
    /// before any request.
    pub(crate) fn new(
        source: &TerraformSource,
        fetcher: Fetcher,
    ) -> Result<Terraform, PackageError> {
        let address = Address::parse(&source.terraform).map_err(|why| PackageError::Invalid {
            field: "source.terraform",
            detail: format!(
                "`{}` is not a Terraform provider or module address: {why}",
                crate::log::shown_name(&source.terraform, super::SHOWN_NAME_CHARS)
            ),
        })?;
        let registry = registry_url(source.registry.as_deref().unwrap_or(DEFAULT_REGISTRY))?;
        Ok(Terraform {
            name: source.terraform.clone(),
            address,
            registry,
            authorization: source
                .access_token
                .as_ref()
                .map(|t| format!("Bearer {}", t.expose())),
            fetcher,
        })
    }

    /// The token for `url`: only on the registry's scheme, host and port.
    fn auth_for(&self, url: &str) -> Option<&str> {
        self.authorization
            .as_deref()
            .filter(|_| crate::net::same_origin(self.registry.as_str(), url))
    }

    /// `<registry>/.well-known/terraform.json`.
    fn discovery_url(&self) -> String {
        format!(
            "{}/.well-known/terraform.json",
            self.registry.as_str().trim_end_matches('/')
        )
    }

    /// The base URL of the service listing this address, as Terraform resolves it: relative to
    /// the discovery document's final URL (after redirects), or absolute; ending in `/`.
    fn service_url(&self) -> Result<url::Url, PackageError> {
        let (at, doc) = self.discovery_document()?;
        let service = self.address.service();
        let missing = |detail: String| PackageError::Malformed {
            url: at.to_string(),
            detail,
        };
        let Some(value) = doc.get(service) else {
            let offered: Vec<String> = doc
                .keys()
                .take(10)
                .map(|k| crate::log::shown_name(k, 64))
                .collect();
            return Err(missing(format!(
                "the registry offers no `{service}` service (it offers: {})",
                crate::log::shown_list(offered, doc.len())
            )));
        };
        let Some(text) = value.as_str() else {
            return Err(missing(format!("`{service}` is not a URL string")));
        };
        let mut base = at
            .join(text)
            .ok()
            .filter(|u| matches!(u.scheme(), "http" | "https"))
            .ok_or_else(|| {
                missing(format!(
                    "`{service}` is not an http(s) URL: `{}`",
                    crate::log::shown_name(text, super::SHOWN_NAME_CHARS)
                ))
            })?;
        if !base.path().ends_with('/') {
            let path = format!("{}/", base.path());
            base.set_path(&path);
        }
        Ok(base)
    }

    /// The discovery document (a JSON object, at most [`MAX_DISCOVERY_BYTES`]) and the URL it
    /// was read from; a body that breaks off is asked for again.
    fn discovery_document(
        &self,
    ) -> Result<(url::Url, serde_json::Map<String, serde_json::Value>), PackageError> {
        let url = self.discovery_url();
        let (at, body) = crate::net::retry_truncated_blocking(|| self.discovery_body(&url))?;
        let malformed = |detail: String| PackageError::Malformed {
            url: at.clone(),
            detail,
        };
        let doc = serde_json::from_slice(&body)
            .map_err(|e| malformed(format!("not a discovery document (a JSON object): {e}")))?;
        let at = url::Url::parse(&at).map_err(|e| malformed(format!("final URL: {e}")))?;
        Ok((at, doc))
    }

    /// One GET of the discovery document: its final URL and body. A `404` means the host offers
    /// no Terraform services; a type other than `application/json` is refused, as Terraform does.
    fn discovery_body(&self, url: &str) -> Result<(String, Vec<u8>), PackageError> {
        let resp = self
            .fetcher
            .http
            .send_blocking(
                "GET",
                url,
                &[("Accept", "application/json")],
                self.auth_for(url),
                Body::Empty,
            )
            .map_err(|e| PackageError::Net(e.into_error()))?;
        let refuse = |detail: String| PackageError::Malformed {
            url: resp.url.clone(),
            detail,
        };
        match resp.status {
            200 => {}
            404 => {
                return Err(refuse(
                    "HTTP 404: no discovery document; `registry` offers no Terraform services"
                        .into(),
                ))
            }
            status => return Err(refuse(format!("HTTP {status}"))),
        }
        let media = resp
            .header("Content-Type")
            .unwrap_or("")
            .split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase();
        if media != "application/json" {
            return Err(refuse(format!(
                "the discovery document's type is `{}`, not application/json",
                crate::log::shown_name(&media, 100)
            )));
        }
        let at = resp.url.clone();
        Ok((at, resp.read_limited_blocking(MAX_DISCOVERY_BYTES)?))
    }
}

/// `source.registry` as a URL: http(s), nothing after the path.
fn registry_url(text: &str) -> Result<url::Url, PackageError> {
    let invalid = |why: &str| PackageError::Invalid {
        field: "source.registry",
        detail: format!(
            "`{}` {why}",
            crate::log::shown_name(&crate::log::strip_userinfo(text), super::SHOWN_NAME_CHARS)
        ),
    };
    let url = url::Url::parse(text).map_err(|_| invalid("is not a URL"))?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err(invalid("is not an http(s) URL"));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(invalid("has a query or fragment"));
    }
    Ok(url)
}

/// A provider's `versions` document: each version with its plugin protocols and platforms.
#[derive(serde::Deserialize)]
struct ProviderVersions {
    versions: Vec<ProviderVersion>,
}

#[derive(serde::Deserialize)]
struct ProviderVersion {
    version: String,
    #[serde(default)]
    protocols: Vec<String>,
    #[serde(default)]
    platforms: Vec<Platform>,
}

#[derive(serde::Deserialize)]
struct Platform {
    os: String,
    arch: String,
}

/// A module's `versions` document: the requested module first in `modules`.
#[derive(serde::Deserialize)]
struct ModuleVersions {
    modules: Vec<ModuleEntry>,
}

#[derive(serde::Deserialize)]
struct ModuleEntry {
    versions: Vec<ModuleVersion>,
}

#[derive(serde::Deserialize)]
struct ModuleVersion {
    version: String,
}

impl ProviderVersion {
    /// The release, `in` also writing its `protocols` (`5.0 6.0`) and `platforms`
    /// (`linux_amd64 darwin_arm64`, as Terraform names platforms).
    fn into_release(self) -> Release {
        let platforms: Vec<String> = self
            .platforms
            .iter()
            .map(|p| format!("{}_{}", p.os, p.arch))
            .collect();
        Release {
            version: self.version,
            outputs: vec![
                ("protocols".into(), self.protocols.join(" ")),
                ("platforms".into(), platforms.join(" ")),
            ],
            ..Release::default()
        }
    }
}

/// The releases of a `versions` document of `address`.
fn parse_versions(address: &Address, body: &[u8]) -> Result<Vec<Release>, String> {
    match address {
        Address::Provider { .. } => {
            let doc: ProviderVersions = serde_json::from_slice(body)
                .map_err(|e| format!("not a provider versions document: {e}"))?;
            Ok(doc
                .versions
                .into_iter()
                .map(ProviderVersion::into_release)
                .collect())
        }
        Address::Module { .. } => {
            let doc: ModuleVersions = serde_json::from_slice(body)
                .map_err(|e| format!("not a module versions document: {e}"))?;
            // Terraform reads only the first entry: the module asked for.
            Ok(doc
                .modules
                .into_iter()
                .next()
                .map(|m| m.versions)
                .unwrap_or_default()
                .into_iter()
                .map(|v| Release {
                    version: v.version,
                    ..Release::default()
                })
                .collect())
        }
    }
}

impl Backend for Terraform {
    fn releases(&self) -> Result<Vec<Release>, PackageError> {
        let base = self.service_url()?;
        let url = base
            .join(&self.address.versions_path())
            .map_err(|e| PackageError::Malformed {
                url: crate::net::redact_url(base.as_str()),
                detail: format!("versions URL: {e}"),
            })?
            .to_string();
        let parse = |_: &str, body: &[u8]| {
            parse_versions(&self.address, body).map_err(|detail| PackageError::Malformed {
                url: crate::net::redact_url(&url),
                detail,
            })
        };
        self.fetcher
            .releases(&url, "application/json", self.auth_for(&url), &parse)?
            .ok_or_else(|| PackageError::NotFound {
                ecosystem: "Terraform Registry",
                package: self.name.clone(),
                url: crate::net::redact_url(&url),
            })
    }

    /// The `versions` document names no files (provider packages are found per platform, and
    /// verified against a signed `SHA256SUMS`): `download` is refused.
    fn details(&self, release: Release, download: Option<&str>) -> Result<Release, PackageError> {
        if download.is_some() {
            return Err(PackageError::Invalid {
                field: "params.download",
                detail: "a Terraform registry's versions document names no files; uptick does not download provider packages or module sources".into(),
            });
        }
        Ok(release)
    }

    fn fetcher(&self) -> &Fetcher {
        &self.fetcher
    }

    fn scheme(&self) -> &'static dyn VersionScheme {
        &crate::versions::TERRAFORM
    }
}

#[cfg(test)]
mod tests {
    use super::Address;

    #[test]
    fn addresses_are_read_as_terraform_reads_them() {
        assert_eq!(
            Address::parse("hashicorp/aws").unwrap().versions_path(),
            "hashicorp/aws/versions"
        );
        assert_eq!(
            Address::parse("hashicorp/consul/aws").unwrap().service(),
            "modules.v1"
        );
        assert!(Address::parse("terraform-aws-modules/vpc_2/aws").is_ok());
        assert!(Address::parse("hashicorp/google-beta").is_ok());
        for bad in [
            "aws",
            "",
            "hashicorp/",
            "/aws",
            "a/b/c/d",
            "hashicorp/aws.x",
            "hashicorp/a--b",
            "-x/aws",
            "hashicorp/../versions",
            "hashicorp/consul/AWS",
            "hashicorp/consul_/aws",
            "hashicorp/con sul/aws",
            "hashicorp/aws?x=1",
            "hashicorp/aws#x",
            "hashicorp/aws%2f",
        ] {
            assert!(Address::parse(bad).is_err(), "{bad}");
        }
    }
}
