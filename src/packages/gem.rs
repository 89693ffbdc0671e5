//! RubyGems (rubygems.org or a gem server): the compact index `<index>/info/NAME`, else the
//! versions API `<index>/api/v1/versions/NAME.json`; platform gems folded into their version.
//!
//! The compact index (what Bundler reads) is a `---` line, then one line per gem file:
//! `VERSION[-PLATFORM] DEP:REQ&REQ,DEP:REQ|checksum:SHA256,ruby:>= 2.7,rubygems:>= 3` (a
//! version never holds a `-`: RubyGems writes `1.0-rc1` as `1.0.pre.rc1`, so the first `-` starts
//! the platform). It is asked first: one small text document with an `ETag`, served from a CDN
//! on rubygems.org, where the versions API is a rate-limited JSON document of every version's
//! description and metadata. Yanked versions are in neither.

use super::{Backend, Fetcher, PackageError, Release, ReleaseFile};
use super::{CommonFields, Source};
use crate::protocol::empty_is_none;
use crate::versions::VersionScheme;

/// `gem:` a RubyGems gem (`rails`): the compact index, else the versions API; platform gems folded into their version.
#[derive(Debug, serde::Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct GemSource {
    /// A RubyGems gem (`rails`): the compact index, else the versions API; platform gems folded into their version.
    gem: String,
    /// The gem server root (default `https://rubygems.org`).
    #[serde(default, deserialize_with = "empty_is_none")]
    index_url: Option<String>,
}

impl Source for GemSource {
    const KEY: &'static str = "gem";
    const DOCS: &'static str = "## RubyGems";

    fn name(&self) -> &str {
        &self.gem
    }

    fn index_root(&self) -> Option<&str> {
        self.index_url.as_deref()
    }

    fn open(
        &self,
        _common: &CommonFields,
        fetcher: Fetcher,
    ) -> Result<Box<dyn Backend>, PackageError> {
        Ok(Box::new(Gem::new(self, fetcher)?))
    }
}

/// A gem.
pub(crate) struct Gem {
    name: String,
    index: String,
    fetcher: Fetcher,
}

/// One gem file of a listing: a version on one platform.
struct Entry {
    version: String,
    /// `ruby` for the pure-Ruby gem.
    platform: String,
    /// Lowercase hex SHA-256 of the `.gem`.
    sha256: Option<String>,
    created_at: Option<String>,
}

impl Gem {
    /// The gem `source.gem` on `source.index_url` (default rubygems.org).
    pub(crate) fn new(source: &GemSource, fetcher: Fetcher) -> Result<Gem, PackageError> {
        let name = source.gem.clone();
        if name.is_empty()
            || name.starts_with('.')
            || !name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
        {
            return Err(PackageError::Invalid {
                field: "source.gem",
                detail: format!("`{name}` is not a gem name"),
            });
        }
        Ok(Gem {
            name,
            index: source
                .index_url
                .clone()
                .unwrap_or_else(|| "https://rubygems.org".into())
                .trim_end_matches('/')
                .to_string(),
            fetcher,
        })
    }

    fn info_url(&self) -> String {
        format!("{}/info/{}", self.index, self.name)
    }

    fn api_url(&self) -> String {
        format!("{}/api/v1/versions/{}.json", self.index, self.name)
    }

    /// The versions API's releases, `None` when the index has no such API or gem (404).
    fn api_releases(&self) -> Result<Option<Vec<Release>>, PackageError> {
        let url = self.api_url();
        let parse = |_: &str, body: &[u8]| {
            let entries = parse_api(&url, body)?;
            Ok(fold(&self.index, &self.name, entries))
        };
        self.fetcher
            .releases(&url, "application/json", None, &parse)
    }
}

impl Backend for Gem {
    fn releases(&self) -> Result<Vec<Release>, PackageError> {
        let info = self.info_url();
        let parse = |_: &str, body: &[u8]| {
            let entries = parse_info(&info, body)?;
            Ok(fold(&self.index, &self.name, entries))
        };
        if let Some(releases) = self.fetcher.releases(&info, "text/plain", None, &parse)? {
            return Ok(releases);
        }
        self.api_releases()?.ok_or_else(|| PackageError::NotFound {
            ecosystem: "RubyGems",
            package: self.name.clone(),
            url: format!("{info} (nor at {})", self.api_url()),
        })
    }

    /// `published_at` from the versions API (the compact index has no dates), and the
    /// checksums the compact index left out. Best effort: a server without the API (404), or
    /// whose API fails or answers something else, leaves the release as listed (with a warning
    /// for a failure), since nothing `in` verifies depends on it.
    fn details(
        &self,
        mut release: Release,
        _download: Option<&str>,
    ) -> Result<Release, PackageError> {
        if release.published_at.is_some() {
            return Ok(release);
        }
        let api = match self.api_releases() {
            Ok(Some(api)) => api,
            Ok(None) => return Ok(release),
            Err(e) => {
                crate::log::warn(format_args!("no published_at for {}: {e}", self.name));
                return Ok(release);
            }
        };
        if let Some(found) = api.into_iter().find(|r| r.version == release.version) {
            release.published_at = found.published_at;
            if release.checksum.is_none() && release.url.is_some() {
                release.checksum = found.checksum;
            }
            for file in &mut release.files {
                if file.hash.is_none() {
                    file.hash = found
                        .files
                        .iter()
                        .find(|f| f.name == file.name)
                        .and_then(|f| f.hash.clone());
                }
            }
        }
        Ok(release)
    }

    fn fetcher(&self) -> &Fetcher {
        &self.fetcher
    }

    fn scheme(&self) -> &'static dyn VersionScheme {
        &crate::versions::GEM
    }
}

/// A published SHA-256 as lowercase hex: hex, or base64 (what rubygems.org's first compact
/// index lines held, `checksum:1glquFoT…=`). Anything else (old lines have an empty
/// `checksum:`, old API versions a null `sha`) is no checksum: the version is still listed,
/// and a download of it refused as unverifiable.
fn sha256_hex(text: &str) -> Option<String> {
    use base64::Engine as _;
    let text = text.trim();
    if text.len() == 64 && text.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Some(text.to_ascii_lowercase());
    }
    base64::engine::general_purpose::STANDARD
        .decode(text)
        .ok()
        .filter(|bytes| bytes.len() == 32)
        .map(hex::encode)
}

/// Whether `text` can be a version or platform: it ends up in file names and URLs.
fn plain(text: &str) -> bool {
    !text.is_empty()
        && !text.starts_with('.')
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b))
}

/// At most 80 characters of a server's `text`, for an error.
fn shown(text: &str) -> String {
    let mut out: String = text.chars().take(80).collect();
    if out.len() < text.len() {
        out.push('…');
    }
    out
}

/// The lines of a compact index `info` file.
fn parse_info(url: &str, body: &[u8]) -> Result<Vec<Entry>, PackageError> {
    let malformed = |detail: String| PackageError::Malformed {
        url: url.to_string(),
        detail,
    };
    let text = std::str::from_utf8(body)
        .map_err(|_| malformed("not a compact index info file (not UTF-8)".into()))?;
    let mut lines = text.lines();
    if lines.next().map(str::trim_end) != Some("---") {
        return Err(malformed(
            "not a compact index info file (no `---` first line)".into(),
        ));
    }
    let mut out = Vec::new();
    for line in lines.filter(|l| !l.trim().is_empty()) {
        let (head, rest) = line.split_once(' ').unwrap_or((line, ""));
        let (version, platform) = head.split_once('-').unwrap_or((head, "ruby"));
        if !plain(version) || !plain(platform) {
            return Err(malformed(format!(
                "`{}` is not a compact index line",
                shown(line)
            )));
        }
        let sha256 = rest.split_once('|').and_then(|(_, requirements)| {
            requirements
                .split(',')
                .find_map(|r| r.trim().strip_prefix("checksum:"))
                .and_then(sha256_hex)
        });
        out.push(Entry {
            version: version.to_string(),
            platform: platform.to_string(),
            sha256,
            created_at: None,
        });
    }
    Ok(out)
}

#[derive(serde::Deserialize)]
struct ApiVersion {
    number: String,
    #[serde(default)]
    platform: Option<String>,
    #[serde(default)]
    created_at: Option<String>,
    #[serde(default)]
    sha: Option<String>,
}

/// The entries of a versions API document (`[{"number", "platform", "created_at", "sha"}…]`).
fn parse_api(url: &str, body: &[u8]) -> Result<Vec<Entry>, PackageError> {
    let malformed = |detail: String| PackageError::Malformed {
        url: url.to_string(),
        detail,
    };
    let list: Vec<ApiVersion> = serde_json::from_slice(body)
        .map_err(|e| malformed(format!("not a RubyGems versions API document: {e}")))?;
    if let Some(v) = list.iter().find(|v| {
        !plain(&v.number)
            || v.platform
                .as_deref()
                .is_some_and(|p| !p.is_empty() && !plain(p))
    }) {
        return Err(malformed(format!(
            "`{}` ({}) is not a gem version and platform",
            shown(&v.number),
            shown(v.platform.as_deref().unwrap_or(""))
        )));
    }
    Ok(list
        .into_iter()
        .map(|v| {
            let sha256 = v.sha.as_deref().and_then(sha256_hex);
            let created_at = v.created_at.map(|c| {
                chrono::DateTime::parse_from_rfc3339(&c)
                    .map(|d| {
                        d.with_timezone(&chrono::Utc)
                            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
                    })
                    .unwrap_or(c)
            });
            Entry {
                version: v.number,
                platform: v
                    .platform
                    .filter(|p| !p.is_empty())
                    .unwrap_or_else(|| "ruby".into()),
                sha256,
                created_at,
            }
        })
        .collect())
}

/// One release per version, its platforms' gems its files; `url`, `checksum` and
/// `published_at` are the pure-Ruby gem's (a version built only for platforms has none but
/// the date of its first listed gem).
fn fold(index: &str, name: &str, entries: Vec<Entry>) -> Vec<Release> {
    let mut out: Vec<Release> = Vec::new();
    for e in entries {
        let file = if e.platform == "ruby" {
            format!("{name}-{}.gem", e.version)
        } else {
            format!("{name}-{}-{}.gem", e.version, e.platform)
        };
        let url = format!("{index}/gems/{file}");
        let hash = e.sha256.map(|h| format!("sha256:{h}"));
        let i = match out.iter().position(|r| r.version == e.version) {
            Some(i) => i,
            None => {
                out.push(Release {
                    version: e.version.clone(),
                    ..Release::default()
                });
                out.len() - 1
            }
        };
        let release = &mut out[i];
        if release.files.iter().any(|f| f.name == file) {
            continue;
        }
        if e.platform == "ruby" {
            release.url = Some(url.clone());
            release.checksum = hash.clone();
            if e.created_at.is_some() {
                release.published_at = e.created_at;
            }
        } else if release.published_at.is_none() {
            release.published_at = e.created_at;
        }
        release.files.push(ReleaseFile {
            name: file,
            url,
            hash,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const SHA: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

    #[test]
    fn compact_index_lines_fold_platforms() {
        let body = format!(
            "---\n1.15.0 mini_portile2:~> 2.8.2&>= 2.8.0,racc:~> 1.4|checksum:{SHA},ruby:>= 2.7, < 3.4.dev\n1.16.0-x86_64-linux racc:~> 1.4|checksum:{},ruby:>= 3.0\n1.16.0 |checksum:{}\n1.16.0-java racc:~> 1.4|checksum:{SHA}\n2.0.0.rc1-java |checksum:{SHA}\n0.1 \n",
            "a".repeat(64),
            "B".repeat(64)
        );
        let entries = parse_info("http://x/info/nokogiri", body.as_bytes()).unwrap();
        assert_eq!(entries.len(), 6);
        let r = fold("http://x", "nokogiri", entries);
        let versions: Vec<&str> = r.iter().map(|r| r.version.as_str()).collect();
        assert_eq!(versions, ["1.15.0", "1.16.0", "2.0.0.rc1", "0.1"]);
        assert_eq!(r[0].checksum, Some(format!("sha256:{SHA}")));
        assert_eq!(
            r[1].url.as_deref(),
            Some("http://x/gems/nokogiri-1.16.0.gem")
        );
        assert_eq!(r[1].checksum, Some(format!("sha256:{}", "b".repeat(64))));
        let files: Vec<&str> = r[1].files.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(
            files,
            [
                "nokogiri-1.16.0-x86_64-linux.gem",
                "nokogiri-1.16.0.gem",
                "nokogiri-1.16.0-java.gem"
            ]
        );
        // Built only for a platform: listed, but no pure-Ruby gem to point at.
        assert_eq!((r[2].url.as_ref(), r[2].checksum.as_ref()), (None, None));
        assert_eq!(r[3].checksum, None);

        // rubygems.org's early lines: base64 checksums, empty ones; a `,` inside `ruby:`.
        let early = "---\n0.1.0 |checksum:1glquFoT+TD9KD2K3qOvIoCLwWU6rg8A1gPYMU4kEZM=,rubygems:>= 1.3.6\n0.3.0 |checksum:\n1.0.1 |checksum:abc,ruby:< 3.0.0, >= 1.9.3\n";
        let e = parse_info("u", early.as_bytes()).unwrap();
        assert_eq!(
            e[0].sha256.as_deref(),
            Some("d6096ab85a13f930fd283d8adea3af22808bc1653aae0f00d603d8314e241193")
        );
        assert_eq!((e[1].sha256.as_ref(), e[2].sha256.as_ref()), (None, None));
        for bad in [
            "<html>",
            "",
            "---\n-java |checksum:\n",
            "---\n1.0- \n",
            "---\n1.0/../x |checksum:\n",
            "---\n1.0-java/x |checksum:\n",
        ] {
            assert!(parse_info("u", bad.as_bytes()).is_err(), "{bad}");
        }
    }

    #[test]
    fn versions_api_documents() {
        let body = format!(
            r#"[{{"authors":"a","created_at":"2024-01-02T03:04:05.678Z","number":"1.0.0","platform":"ruby","prerelease":false,"sha":"{SHA}","summary":"s"}},
                {{"created_at":"2024-01-01T00:00:00.000Z","number":"1.0.0","platform":"java","prerelease":false,"sha":null}},
                {{"created_at":"2023-05-06T07:08:09.000Z","number":"0.9.0.pre","platform":"x86_64-linux","prerelease":true,"sha":"{SHA}"}}]"#
        );
        let r = fold("http://x", "g", parse_api("u", body.as_bytes()).unwrap());
        assert_eq!(r.len(), 2);
        assert_eq!(r[0].published_at.as_deref(), Some("2024-01-02T03:04:05Z"));
        assert_eq!(r[0].checksum, Some(format!("sha256:{SHA}")));
        assert_eq!(r[0].files[1].hash, None);
        assert_eq!(r[1].published_at.as_deref(), Some("2023-05-06T07:08:09Z"));
        assert!(parse_api("u", b"{}").is_err());
        assert!(parse_api("u", br#"[{"number": "1.0/..", "platform": "ruby"}]"#).is_err());
        assert!(parse_api("u", br#"[{"number": "1.0", "platform": "a/b"}]"#).is_err());
        assert_eq!(shown(&"x".repeat(100)).chars().count(), 81);
    }
}
