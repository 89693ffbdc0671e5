//! crates.io (or a private registry) through the sparse index: NDJSON, one line per version.

use super::{Backend, Ecosystem, Fetcher, PackageError, Release};
use crate::protocol::PackageSource;

/// A crate.
pub struct Crates {
    name: String,
    index: String,
    fetcher: Fetcher,
}

/// The sparse-index path of a crate name (`1/a`, `2/ab`, `3/a/abc`, `se/rd/serde`).
pub fn index_path(name: &str) -> String {
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
    pub fn new(source: &PackageSource, fetcher: Fetcher) -> Crates {
        Crates {
            name: source.krate.clone().unwrap_or_default(),
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

    fn ecosystem(&self) -> Ecosystem {
        Ecosystem::Cargo
    }

    /// `{dl}/{crate}/{version}/download`, or `dl` with its `{crate}` / `{version}` markers.
    fn file_url(&self, file: &super::ReleaseFile) -> Result<String, PackageError> {
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
        let dl = self
            .fetcher
            .releases(&config_url, "application/json", None, &parse)?
            .and_then(|r| r.into_iter().next())
            .map(|r| r.version)
            .filter(|d| !d.is_empty())
            .ok_or_else(|| PackageError::Malformed {
                url: config_url.clone(),
                detail: "no `dl` in the index configuration".into(),
            })?;
        let (name, version) = file.url.split_once('/').unwrap_or((&file.url, ""));
        Ok(if dl.contains("{crate}") || dl.contains("{version}") {
            dl.replace("{crate}", name).replace("{version}", version)
        } else {
            format!("{}/{name}/{version}/download", dl.trim_end_matches('/'))
        })
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
                            hash: line.cksum.map(|c| format!("sha256:{c}")),
                        }],
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
}
