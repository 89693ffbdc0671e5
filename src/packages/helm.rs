//! Helm chart repositories: an HTTP(S) repository's `index.yaml` (Helm's documented format), or
//! the tags of an OCI chart repository (`repository: oci://HOST/PATH`, the chart `HOST/PATH/CHART`).

use super::{Backend, Fetcher, PackageError, Release, ReleaseFile};
use super::{CommonFields, Source};
use crate::protocol::empty_is_none;
use crate::registry::{Client, ClientOptions, Credentials, RegistryError, Repository};
use crate::versions::helm as versions;
use crate::versions::VersionScheme;
use std::collections::HashMap;

/// Largest `index.yaml` read: Bitnami's, the largest public one, has been tens of MB.
pub(crate) const MAX_HELM_INDEX_BYTES: u64 = 128 * 1024 * 1024;

/// Largest Helm chart config blob read (a `Chart.yaml` as JSON).
const MAX_CONFIG_BYTES: u64 = 1024 * 1024;

/// The config media type of a Helm chart pushed to an OCI registry.
pub(crate) const HELM_CONFIG_MEDIA_TYPE: &str = "application/vnd.cncf.helm.config.v1+json";

/// The layer media types of a pushed chart: the `.tgz`, and its provenance file.
const HELM_LAYERS: [(&str, &str); 2] = [
    ("application/vnd.cncf.helm.chart.content.v1.tar+gzip", "tgz"),
    (
        "application/vnd.cncf.helm.chart.provenance.v1.prov",
        "tgz.prov",
    ),
];

/// `helm:` a Helm chart (`redis`) of the chart repository `repository`.
#[derive(Debug, serde::Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct HelmSource {
    /// A Helm chart (`redis`) of the chart repository `repository`.
    helm: String,
    /// The chart repository: its `index.yaml` (`https://charts.bitnami.com/bitnami`), or an OCI registry (`oci://registry-1.docker.io/bitnamicharts`); required.
    #[serde(default, deserialize_with = "empty_is_none")]
    repository: Option<String>,
}

impl Source for HelmSource {
    const KEY: &'static str = "helm";
    const DOCS: &'static str = "## Helm chart repositories";

    fn name(&self) -> &str {
        &self.helm
    }

    fn index_root(&self) -> Option<&str> {
        self.repository.as_deref()
    }

    fn open(
        &self,
        common: &CommonFields,
        fetcher: Fetcher,
    ) -> Result<Box<dyn Backend>, PackageError> {
        Ok(Box::new(Helm::new(self, common, fetcher)?))
    }
}

/// A chart of one chart repository.
pub(crate) struct Helm {
    chart: String,
    kind: Kind,
    fetcher: Fetcher,
    /// OCI layer sizes by digest, from the manifest `details` read (a download stops there).
    sizes: std::sync::Mutex<HashMap<String, u64>>,
}

enum Kind {
    /// `<repository>/index.yaml`.
    Http { repository: String },
    /// Tags of `repo` (`HOST/PATH/CHART`), shown as `oci://HOST/PATH/CHART`.
    Oci {
        repo: Repository,
        client: Client,
        shown: String,
    },
}

impl Helm {
    /// The chart `source.helm` of `source.repository`.
    pub(crate) fn new(
        source: &HelmSource,
        common: &CommonFields,
        fetcher: Fetcher,
    ) -> Result<Helm, PackageError> {
        let chart = source.helm.clone();
        if chart.contains(['/', '\\'])
            || chart.chars().any(char::is_control)
            || chart.starts_with('.')
        {
            return Err(PackageError::Invalid {
                field: "source.helm",
                detail: format!("`{chart}` is not a chart name"),
            });
        }
        let repository = source
            .repository
            .as_deref()
            .ok_or_else(|| PackageError::Invalid {
                field: "source.repository",
                detail: "required with helm: the chart repository (`https://charts.bitnami.com/bitnami`, `oci://registry-1.docker.io/bitnamicharts`)".into(),
            })?
            .trim_end_matches('/');
        let invalid = |detail: String| PackageError::Invalid {
            field: "source.repository",
            detail,
        };
        if let Some(rest) = repository.strip_prefix("oci://") {
            let name = format!("{rest}/{chart}");
            let repo = Repository::parse(&name)
                .map_err(|e| invalid(format!("`{repository}` + chart `{chart}`: {e}")))?;
            let credentials = match (&common.username, &common.password) {
                (Some(u), Some(p)) if !p.expose().is_empty() => Some(Credentials {
                    username: u.clone(),
                    password: p.clone(),
                    identity_token: false,
                    from: crate::registry::CredentialSource::Fields("source"),
                }),
                _ => None,
            };
            let client = Client::new(ClientOptions {
                tls: crate::net::TlsSettings {
                    insecure: common.insecure,
                    ca_certs: common.ca_certs.clone(),
                    client_identity: None,
                },
                credentials,
            })
            .map_err(|e| registry_error(&name, e))?;
            return Ok(Helm {
                chart,
                kind: Kind::Oci {
                    shown: format!("oci://{name}"),
                    repo,
                    client,
                },
                fetcher,
                sizes: Default::default(),
            });
        }
        let parsed = url::Url::parse(repository)
            .map_err(|e| invalid(format!("`{repository}` is not a URL: {e}")))?;
        if !matches!(parsed.scheme(), "http" | "https") || parsed.host_str().is_none() {
            return Err(invalid(format!(
                "`{repository}`: an http(s):// chart repository or oci://HOST/PATH"
            )));
        }
        Ok(Helm {
            chart,
            kind: Kind::Http {
                repository: repository.to_string(),
            },
            fetcher: fetcher.with_index_limit(MAX_HELM_INDEX_BYTES),
            sizes: Default::default(),
        })
    }

    fn http_releases(&self, repository: &str) -> Result<Vec<Release>, PackageError> {
        let url = format!("{repository}/index.yaml");
        let parse = |_: &str, body: &[u8]| read_index(&url, repository, &self.chart, body);
        self.fetcher
            .releases_as(
                &url,
                &format!("{url}#helm {}", self.chart),
                "application/x-yaml, application/yaml, text/yaml, */*",
                None,
                &parse,
            )?
            .ok_or_else(|| PackageError::Malformed {
                url: url.clone(),
                detail: format!(
                    "no index.yaml (HTTP 404): is `{repository}` a Helm chart repository?"
                ),
            })
    }

    fn oci_releases(
        &self,
        repo: &Repository,
        client: &Client,
        shown: &str,
    ) -> Result<Vec<Release>, PackageError> {
        let tags = crate::net::block_on(client.list_tags(repo))
            .map_err(|e| registry_error(shown, e))?
            .ok_or_else(|| PackageError::NotFound {
                ecosystem: "Helm OCI",
                package: self.chart.clone(),
                url: shown.to_string(),
            })?;
        Ok(tags
            .into_iter()
            .filter_map(|tag| {
                let version = versions::oci_version(&tag)?;
                Some(Release {
                    url: Some(format!("{shown}:{tag}")),
                    tag: (version != tag).then_some(tag),
                    version,
                    ..Release::default()
                })
            })
            .collect())
    }

    /// The manifest's digest (the checksum), and from the chart's config its `appVersion`; the
    /// manifest's `org.opencontainers.image.created` as `published_at`.
    fn oci_details(
        &self,
        mut release: Release,
        repo: &Repository,
        client: &Client,
        shown: &str,
    ) -> Result<Release, PackageError> {
        let tag = release
            .tag
            .clone()
            .unwrap_or_else(|| versions::oci_tag(&release.version));
        let at = format!("{shown}:{tag}");
        let manifest = crate::net::block_on(client.get_manifest(repo, &tag))
            .map_err(|e| registry_error(&at, e))?
            .ok_or_else(|| PackageError::Invalid {
                field: "version",
                detail: format!("{} {} is no longer listed", self.chart, release.version),
            })?;
        let (doc, config) = chart_manifest(&at, &manifest.bytes)?;
        release.app_version = app_version(client, repo, &at, &config)?;
        release.checksum = Some(manifest.digest.to_string());
        release.published_at = doc
            .annotations
            .get("org.opencontainers.image.created")
            .filter(|c| chrono::DateTime::parse_from_rfc3339(c).is_ok())
            .cloned();
        release.files = self.layer_files(&doc.layers, &release.version, shown);
        release.url = Some(at);
        Ok(release)
    }

    /// The files `helm pull` writes: `<chart>-<version>.tgz` (and `.tgz.prov`), by digest; each
    /// layer's size kept for its download.
    fn layer_files(&self, layers: &[Descriptor], version: &str, shown: &str) -> Vec<ReleaseFile> {
        let mut files = Vec::new();
        for layer in layers {
            let Some((_, ext)) = HELM_LAYERS.iter().find(|(m, _)| *m == layer.media_type) else {
                continue;
            };
            if let Some(size) = layer.size {
                if let Ok(mut sizes) = self.sizes.lock() {
                    sizes.insert(layer.digest.clone(), size);
                }
            }
            files.push(ReleaseFile {
                name: format!("{}-{version}.{ext}", self.chart),
                url: format!("{shown}@{}", layer.digest),
                hash: Some(layer.digest.clone()),
            });
        }
        files
    }
}

/// A content descriptor of an OCI manifest.
#[derive(serde::Deserialize)]
struct Descriptor {
    #[serde(rename = "mediaType", default)]
    media_type: String,
    digest: String,
    #[serde(default)]
    size: Option<u64>,
}

/// What uptick reads of a chart's OCI manifest.
#[derive(serde::Deserialize)]
struct Manifest {
    config: Option<Descriptor>,
    #[serde(default)]
    layers: Vec<Descriptor>,
    #[serde(default)]
    annotations: HashMap<String, String>,
}

/// What uptick reads of a chart's config blob (its `Chart.yaml` as JSON).
#[derive(serde::Deserialize)]
struct ChartConfig {
    #[serde(rename = "appVersion", default)]
    app_version: Option<String>,
}

/// An unreadable document at `at` (`oci://HOST/PATH/CHART:TAG`).
fn malformed(at: &str) -> impl Fn(String) -> PackageError + '_ {
    move |detail| PackageError::Malformed {
        url: at.to_string(),
        detail,
    }
}

/// The manifest at `at`, and its config when that is a Helm chart's.
fn chart_manifest(at: &str, bytes: &[u8]) -> Result<(Manifest, Descriptor), PackageError> {
    let malformed = malformed(at);
    let mut doc: Manifest = serde_json::from_slice(bytes)
        .map_err(|e| malformed(format!("not an OCI image manifest: {e}")))?;
    let config = doc
        .config
        .take()
        .filter(|c| c.media_type == HELM_CONFIG_MEDIA_TYPE)
        .ok_or_else(|| {
            malformed(format!(
                "not a Helm chart (its config is not {HELM_CONFIG_MEDIA_TYPE})"
            ))
        })?;
    Ok((doc, config))
}

/// The chart's `appVersion`, from its config blob (`None` when empty or absent).
fn app_version(
    client: &Client,
    repo: &Repository,
    at: &str,
    config: &Descriptor,
) -> Result<Option<String>, PackageError> {
    let malformed = malformed(at);
    let digest = config
        .digest
        .parse()
        .map_err(|e| malformed(format!("config digest: {e}")))?;
    let bytes = crate::net::block_on(client.get_blob_small(repo, &digest, MAX_CONFIG_BYTES))
        .map_err(|e| registry_error(at, e))?;
    let chart: ChartConfig = serde_json::from_slice(&bytes)
        .map_err(|e| malformed(format!("chart config is not JSON: {e}")))?;
    Ok(chart.app_version.filter(|a| !a.is_empty()))
}

/// A registry failure as a package error naming `what` (`oci://HOST/PATH/CHART[:TAG]`).
fn registry_error(what: &str, e: RegistryError) -> PackageError {
    match e {
        RegistryError::Net(n) => PackageError::Net(n),
        other => PackageError::Registry {
            url: what.to_string(),
            source: Box::new(other),
        },
    }
}

/// What uptick reads of an `index.yaml` (unknown fields are ignored, as chart repositories add
/// their own).
#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct IndexFile {
    #[serde(default)]
    api_version: Option<String>,
    #[serde(default)]
    entries: HashMap<String, Option<Vec<Option<ChartVersion>>>>,
}

#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct ChartVersion {
    #[serde(default)]
    version: Option<String>,
    #[serde(default)]
    app_version: Option<String>,
    #[serde(default)]
    urls: Vec<String>,
    #[serde(default)]
    digest: Option<String>,
    #[serde(default)]
    created: Option<String>,
    #[serde(default)]
    deprecated: Option<bool>,
}

/// YAML limits for an index: at most as many events, nodes and scalar bytes as the document has
/// bytes (so an ordinary index of any size up to [`MAX_HELM_INDEX_BYTES`] passes), and
/// serde-saphyr's default alias limits (50,000 aliases, 1,000,000 replayed events), which stop
/// an alias bomb (a "billion laughs") long before it grows.
fn yaml_options(len: usize) -> serde_saphyr::Options {
    let mut budget = serde_saphyr::Budget::default();
    let room = len.saturating_add(1024);
    budget.max_events = room;
    budget.max_nodes = room;
    budget.max_total_scalar_bytes = room;
    let mut options = serde_saphyr::Options::default();
    options.budget = Some(budget);
    options.with_snippet = false;
    options
}

/// The chart's versions in `body` (an `index.yaml`, or its JSON form), urls resolved against
/// `repository` as Helm does (relative to the repository URL with a trailing `/`).
fn read_index(
    url: &str,
    repository: &str,
    chart: &str,
    body: &[u8],
) -> Result<Vec<Release>, PackageError> {
    let index = parse_index(url, body)?;
    let base = url::Url::parse(&format!("{repository}/"))
        .map_err(|e| malformed(url)(format!("repository URL: {e}")))?;
    let versions = index
        .entries
        .into_iter()
        .find(|(name, _)| name == chart)
        .and_then(|(_, v)| v)
        .ok_or_else(|| PackageError::NotFound {
            ecosystem: "Helm",
            package: chart.to_string(),
            url: url.to_string(),
        })?;
    Ok(versions
        .into_iter()
        .flatten()
        .filter_map(|v| chart_release(v, &base))
        .collect())
}

/// `body` as a Helm repository index: UTF-8 YAML (or JSON) within [`yaml_options`], with an
/// `apiVersion`.
fn parse_index(url: &str, body: &[u8]) -> Result<IndexFile, PackageError> {
    let malformed = malformed(url);
    let text =
        std::str::from_utf8(body).map_err(|_| malformed("index.yaml is not UTF-8".into()))?;
    let index: IndexFile = serde_saphyr::from_str_with_options(text, yaml_options(text.len()))
        .map_err(|e| {
            let e = e.to_string();
            let first = e.lines().next().unwrap_or_default().trim();
            malformed(format!("not a Helm repository index: {first}"))
        })?;
    if index.api_version.as_deref().unwrap_or_default().is_empty() {
        return Err(malformed(
            "not a Helm repository index: no apiVersion".into(),
        ));
    }
    Ok(index)
}

/// A chart version of the index as a release (`None` without a version): its first URL
/// resolved against `base` when it is http(s), its digest as the checksum.
fn chart_release(v: ChartVersion, base: &url::Url) -> Option<Release> {
    let version = v.version.filter(|s| !s.is_empty())?;
    let checksum = v
        .digest
        .filter(|d| d.len() == 64 && d.bytes().all(|b| b.is_ascii_hexdigit()))
        .map(|d| format!("sha256:{}", d.to_ascii_lowercase()));
    // Helm downloads the first URL; the others are mirrors of the same file.
    let file_url = v
        .urls
        .first()
        .and_then(|u| base.join(u).ok())
        .filter(|u| matches!(u.scheme(), "http" | "https"));
    let files = file_url
        .as_ref()
        .and_then(|u| chart_file(u, checksum.clone()))
        .into_iter()
        .collect();
    Some(Release {
        version,
        yanked: v.deprecated == Some(true),
        url: file_url.map(String::from),
        // Helm writes RFC 3339 (with nanoseconds); anything else is not a time.
        published_at: v
            .created
            .filter(|c| chrono::DateTime::parse_from_rfc3339(c).is_ok()),
        checksum,
        app_version: v.app_version.filter(|a| !a.is_empty()),
        files,
        ..Release::default()
    })
}

/// The file at `url`, named by its last path segment (decoded); `None` when it has no name.
fn chart_file(url: &url::Url, hash: Option<String>) -> Option<ReleaseFile> {
    let name = url.path_segments()?.next_back()?.to_string();
    let name = percent_encoding::percent_decode_str(&name)
        .decode_utf8()
        .ok()?
        .into_owned();
    Some(ReleaseFile {
        name,
        url: url.to_string(),
        hash,
    })
    .filter(|f| !f.name.is_empty())
}

impl Backend for Helm {
    fn releases(&self) -> Result<Vec<Release>, PackageError> {
        match &self.kind {
            Kind::Http { repository } => self.http_releases(repository),
            Kind::Oci {
                repo,
                client,
                shown,
            } => self.oci_releases(repo, client, shown),
        }
    }

    fn details(&self, release: Release, _download: Option<&str>) -> Result<Release, PackageError> {
        match &self.kind {
            Kind::Http { .. } => Ok(release),
            Kind::Oci {
                repo,
                client,
                shown,
            } => self.oci_details(release, repo, client, shown),
        }
    }

    fn download(
        &self,
        file: &ReleaseFile,
        hash: &str,
        path: &std::path::Path,
    ) -> Result<(), PackageError> {
        let Kind::Oci {
            repo,
            client,
            shown,
        } = &self.kind
        else {
            return self.fetcher.download(&file.url, hash, path);
        };
        let failed = |detail: String| PackageError::Malformed {
            url: file.url.clone(),
            detail,
        };
        let digest: crate::digest::Digest = hash
            .parse()
            .map_err(|e: crate::digest::DigestError| failed(format!("layer digest: {e}")))?;
        let size = self.sizes.lock().ok().and_then(|s| s.get(hash).copied());
        let mut reader = crate::net::block_on(client.blob_reader(repo, &digest, size))
            .map_err(|e| registry_error(shown, e))?;
        // The blob reader fails when the bytes miss the digest; the file (0600, as a chart
        // downloaded by helm) is renamed into place only once they all verified.
        let options = crate::fsutil::WriteOptions::DEFAULT.mode(0o600);
        match crate::fsutil::write_file_from(path, &mut reader, options) {
            Ok(_) => Ok(()),
            Err(crate::fsutil::CopyError::Read(e)) => Err(failed(e.to_string())),
            Err(crate::fsutil::CopyError::Write(source)) => Err(PackageError::Disk {
                path: path.display().to_string(),
                source,
            }),
        }
    }

    fn fetcher(&self) -> &Fetcher {
        &self.fetcher
    }

    fn scheme(&self) -> &'static dyn VersionScheme {
        versions::scheme()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const INDEX: &str = r#"apiVersion: v1
entries:
  nginx:
  - apiVersion: v2
    appVersion: 1.25.3
    created: "2024-01-02T03:04:05.123456789Z"
    digest: 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
    name: nginx
    urls:
    - charts/nginx-15.1.0.tgz
    version: 15.1.0
  - appVersion: 1.0
    name: nginx
    urls: [https://mirror.example.org/nginx-v1.10.tgz]
    version: v1.10
    deprecated: true
  other:
  - name: other
    version: 9.9.9
    urls: [other-9.9.9.tgz]
generated: "2024-01-02T03:04:05Z"
"#;

    #[test]
    fn index_entries_of_the_chart_with_urls_resolved() {
        let got = read_index(
            "https://h/repo/index.yaml",
            "https://h/repo",
            "nginx",
            INDEX.as_bytes(),
        )
        .unwrap();
        assert_eq!(got.len(), 2);
        assert_eq!(got[0].version, "15.1.0");
        assert_eq!(
            got[0].url.as_deref(),
            Some("https://h/repo/charts/nginx-15.1.0.tgz")
        );
        assert_eq!(got[0].files[0].name, "nginx-15.1.0.tgz");
        assert_eq!(
            got[0].checksum.as_deref(),
            Some("sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef")
        );
        assert_eq!(got[0].app_version.as_deref(), Some("1.25.3"));
        assert_eq!(
            got[0].published_at.as_deref(),
            Some("2024-01-02T03:04:05.123456789Z")
        );
        // An unquoted `1.10` stays the text it is, not the float 1.1.
        assert_eq!(got[1].version, "v1.10");
        assert_eq!(got[1].app_version.as_deref(), Some("1.0"));
        assert!(got[1].yanked);
        assert_eq!(got[1].files[0].hash, None);
        let missing = read_index("u", "https://h/repo", "nope", INDEX.as_bytes());
        assert!(matches!(missing, Err(PackageError::NotFound { .. })));
    }

    #[test]
    fn the_json_form_of_an_index_is_read_too() {
        let json = r#"{"apiVersion":"v1","entries":{"nginx":[{"name":"nginx","version":"1.2.3",
            "appVersion":"1.25","urls":["https://cdn.example.org/nginx-1.2.3.tgz"],
            "digest":"ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef0123456789",
            "created":"2024-01-02T03:04:05Z"}]},"generated":"2024-01-02T03:04:05Z"}"#;
        let got = read_index("u", "https://h/charts", "nginx", json.as_bytes()).unwrap();
        assert_eq!(got.len(), 1);
        assert_eq!(
            got[0].url.as_deref(),
            Some("https://cdn.example.org/nginx-1.2.3.tgz")
        );
        assert_eq!(
            got[0].checksum.as_deref(),
            Some("sha256:abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789")
        );
        assert_eq!(got[0].published_at.as_deref(), Some("2024-01-02T03:04:05Z"));
    }

    #[test]
    fn every_prefix_and_mangling_of_an_index_is_an_answer_not_a_panic() {
        let bytes = INDEX.as_bytes();
        for end in 0..=bytes.len() {
            let _ = read_index("u", "https://h", "nginx", &bytes[..end]);
        }
        for (i, _) in INDEX.char_indices() {
            for junk in [
                "&",
                "*",
                "[",
                "{",
                ":",
                "- ",
                "\t",
                "\"",
                "!!binary ",
                "<<: ",
            ] {
                let text = format!("{}{junk}{}", &INDEX[..i], &INDEX[i..]);
                let _ = read_index("u", "https://h", "nginx", text.as_bytes());
            }
        }
        let odd = "apiVersion: v1\nentries:\n  nginx:\n  - version: 1.0.0\n    created: yesterday\n    urls: [\"file:///etc/passwd\"]\n  - ~\n  - version: ''\n";
        let got = read_index("u", "https://h", "nginx", odd.as_bytes()).unwrap();
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].published_at, None);
        assert!(got[0].files.is_empty() && got[0].url.is_none());
    }

    #[test]
    fn alias_bombs_and_non_indexes_are_refused() {
        // A billion laughs under a key Helm ignores: nine levels of nine aliases each.
        let mut bomb = String::from(
            "apiVersion: v1\nentries:\n  i: []\nlol:\n  a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n",
        );
        for (name, prev) in ["b", "c", "d", "e", "f", "g", "h", "i"]
            .iter()
            .zip(["a", "b", "c", "d", "e", "f", "g", "h"])
        {
            let refs = vec![format!("*{prev}"); 9].join(",");
            bomb.push_str(&format!("  {name}: &{name} [{refs}]\n"));
        }
        let started = std::time::Instant::now();
        let err = read_index("u", "https://h", "i", bomb.as_bytes())
            .err()
            .unwrap()
            .to_string();
        assert!(
            err.contains("not a Helm repository index") && err.contains("budget"),
            "{err}"
        );
        assert!(!err.contains('\n'), "{err}");
        assert!(started.elapsed() < std::time::Duration::from_secs(10));
        let err = read_index("u", "https://h", "x", b"<html>oops</html>")
            .err()
            .unwrap()
            .to_string();
        assert!(err.contains("not a Helm repository index"), "{err}");
    }
}
