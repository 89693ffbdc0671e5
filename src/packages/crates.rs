//! crates.io (or a private registry) through the sparse index: NDJSON, one line per version.

use super::{Backend, Fetcher, PackageError, Release};
use super::{CommonFields, Source};
use crate::protocol::empty_is_none;
use crate::versions::VersionScheme;

/// `crate:` a crate on a sparse index; yanked versions skipped.
#[derive(Debug, serde::Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct CrateSource {
    /// A crate on a sparse index; yanked versions skipped.
    #[serde(rename = "crate")]
    krate: String,
    /// The sparse index root (default `https://index.crates.io`).
    #[serde(default, deserialize_with = "empty_is_none")]
    index_url: Option<String>,
}

impl Source for CrateSource {
    const KEY: &'static str = "crate";
    const DOCS: &'static str = "## crates.io";

    fn name(&self) -> &str {
        &self.krate
    }

    fn index_root(&self) -> Option<&str> {
        self.index_url.as_deref()
    }

    fn open(
        &self,
        _common: &CommonFields,
        fetcher: Fetcher,
    ) -> Result<Box<dyn Backend>, PackageError> {
        Ok(Box::new(Crates::new(self, fetcher)))
    }
}

/// A crate.
pub(crate) struct Crates {
    name: String,
    index: String,
    fetcher: Fetcher,
}

/// The sparse-index path of a crate name (`1/a`, `2/ab`, `3/a/abc`, `se/rd/serde`).
pub(crate) fn index_path(name: &str) -> String {
    let n = name.to_ascii_lowercase();
    match n.len() {
        1 => format!("1/{n}"),
        2 => format!("2/{n}"),
        3 => format!("3/{}/{n}", &n[..1]),
        _ => format!("{}/{}/{n}", &n[..2], &n[2..4]),
    }
}

impl Crates {
    /// The crate `source.crate` on `source.index_url` (default crates.io's sparse index).
    pub(crate) fn new(source: &CrateSource, fetcher: Fetcher) -> Crates {
        Crates {
            name: source.krate.clone(),
            index: source
                .index_url
                .clone()
                .unwrap_or_else(|| "https://index.crates.io".into())
                .trim_end_matches('/')
                .to_string(),
            fetcher,
        }
    }
}

#[derive(serde::Deserialize)]
struct Line {
    name: String,
    vers: String,
    #[serde(default)]
    yanked: bool,
    #[serde(default)]
    cksum: Option<String>,
}

impl Backend for Crates {
    fn releases(&self) -> Result<Vec<Release>, PackageError> {
        if self.name.is_empty()
            || !self
                .name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        {
            return Err(PackageError::Invalid {
                field: "source.crate",
                detail: format!("`{}` is not a crate name", self.name),
            });
        }
        let url = format!("{}/{}", self.index, index_path(&self.name));
        let parse = |_: &str, body: &[u8]| parse_lines(&url, body);
        self.fetcher
            .listed("crates.io", &self.name, &url, "*/*", &parse)
    }

    fn fetcher(&self) -> &Fetcher {
        &self.fetcher
    }

    fn scheme(&self) -> &'static dyn VersionScheme {
        &crate::versions::CARGO
    }

    /// `url` (the `.crate` download, from the index's `config.json`) for the release and its
    /// file. Without `download`, a `config.json` that cannot be read leaves `url` out with a
    /// warning; with it, the download cannot be made, so it fails.
    fn details(
        &self,
        mut release: Release,
        download: Option<&str>,
    ) -> Result<Release, PackageError> {
        let dl = match self.dl() {
            Ok(dl) => dl,
            Err(e) if download.is_none() => {
                crate::log::warn(format_args!(
                    "no url for {} {}: {e}",
                    self.name, release.version
                ));
                return Ok(release);
            }
            Err(e) => return Err(e),
        };
        for file in &mut release.files {
            let (name, version) = file.url.split_once('/').unwrap_or((&file.url, ""));
            let cksum = file
                .hash
                .as_deref()
                .and_then(|h| h.strip_prefix("sha256:"))
                .unwrap_or("");
            file.url = download_url(&dl, name, version, cksum);
        }
        release.url = release.files.first().map(|f| f.url.clone());
        Ok(release)
    }
}

impl Crates {
    /// The `dl` template of the index's `config.json`.
    fn dl(&self) -> Result<String, PackageError> {
        let config_url = format!("{}/config.json", self.index);
        let parse = |_: &str, body: &[u8]| {
            let v: serde_json::Value =
                serde_json::from_slice(body).map_err(|e| PackageError::Malformed {
                    url: config_url.clone(),
                    detail: e.to_string(),
                })?;
            Ok(vec![Release {
                version: v
                    .get("dl")
                    .and_then(|d| d.as_str())
                    .unwrap_or_default()
                    .to_string(),
                ..Release::default()
            }])
        };
        self.fetcher
            .releases(&config_url, "application/json", None, &parse)?
            .and_then(|r| r.into_iter().next())
            .map(|r| r.version)
            .filter(|d| !d.is_empty())
            .ok_or_else(|| PackageError::Malformed {
                url: config_url.clone(),
                detail: "no `dl` in the index configuration".into(),
            })
    }
}

/// Where a `.crate` is downloaded, as Cargo expands the index's `dl`: its `{crate}`,
/// `{version}`, `{prefix}`, `{lowerprefix}` and `{sha256-checksum}` markers replaced, or
/// `/{crate}/{version}/download` appended when it has none.
pub(crate) fn download_url(dl: &str, name: &str, version: &str, cksum: &str) -> String {
    const MARKERS: [&str; 5] = [
        "{crate}",
        "{version}",
        "{prefix}",
        "{lowerprefix}",
        "{sha256-checksum}",
    ];
    if !MARKERS.iter().any(|m| dl.contains(m)) {
        return format!("{}/{name}/{version}/download", dl.trim_end_matches('/'));
    }
    let prefix = prefix(name);
    dl.replace("{crate}", name)
        .replace("{version}", version)
        .replace("{prefix}", &prefix)
        .replace("{lowerprefix}", &prefix.to_ascii_lowercase())
        .replace("{sha256-checksum}", cksum)
}

/// The index directory of a crate name, its case kept (`1`, `2`, `3/a`, `Se/rd`).
fn prefix(name: &str) -> String {
    let chars: Vec<char> = name.chars().collect();
    let part = |r: std::ops::Range<usize>| chars[r].iter().collect::<String>();
    match chars.len() {
        0..=2 => chars.len().to_string(),
        3 => format!("3/{}", part(0..1)),
        _ => format!("{}/{}", part(0..2), part(2..4)),
    }
}

fn parse_lines(url: &str, body: &[u8]) -> Result<Vec<Release>, PackageError> {
    {
        let url = url.to_string();
        let text = String::from_utf8_lossy(body);
        text.lines()
            .filter(|l| !l.trim().is_empty())
            .map(|l| {
                serde_json::from_str::<Line>(l)
                    .map(|line| Release {
                        files: vec![super::ReleaseFile {
                            name: format!("{}-{}.crate", line.name, line.vers),
                            // Resolved against the index's `config.json` when downloading.
                            url: format!("{}/{}", line.name, line.vers),
                            hash: line.cksum.as_ref().map(|c| format!("sha256:{c}")),
                        }],
                        checksum: line
                            .cksum
                            .as_deref()
                            .filter(|c| c.len() == 64 && c.bytes().all(|b| b.is_ascii_hexdigit()))
                            .map(|c| format!("sha256:{}", c.to_ascii_lowercase())),
                        version: line.vers,
                        yanked: line.yanked,
                        ..Release::default()
                    })
                    .map_err(|e| PackageError::Malformed {
                        url: url.clone(),
                        detail: format!("not a sparse index line: {e}"),
                    })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths() {
        assert_eq!(index_path("a"), "1/a");
        assert_eq!(index_path("ab"), "2/ab");
        assert_eq!(index_path("abc"), "3/a/abc");
        assert_eq!(index_path("Serde"), "se/rd/serde");
    }

    #[test]
    fn download_urls_as_cargo_expands_dl() {
        let c = "ab".repeat(32);
        for (dl, name, want) in [
            (
                "https://static.crates.io/crates",
                "serde",
                "https://static.crates.io/crates/serde/1.0.0/download",
            ),
            (
                "https://dl.example/api/v1/crates/",
                "a",
                "https://dl.example/api/v1/crates/a/1.0.0/download",
            ),
            (
                "https://dl.example/{prefix}/{crate}-{version}.crate",
                "Serde",
                "https://dl.example/Se/rd/Serde-1.0.0.crate",
            ),
            (
                "https://dl.example/{lowerprefix}/{crate}/{version}",
                "Abc",
                "https://dl.example/3/a/Abc/1.0.0",
            ),
            (
                "https://dl.example/{lowerprefix}/{crate}?sum={sha256-checksum}",
                "ab",
                &format!("https://dl.example/2/ab?sum={c}"),
            ),
        ] {
            assert_eq!(download_url(dl, name, "1.0.0", &c), want, "{dl}");
        }
    }
}
