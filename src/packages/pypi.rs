//! PyPI and private indexes: the simple API, PEP 691 JSON when offered, PEP 503 HTML otherwise.

use super::{Backend, Fetcher, PackageError, Release, ReleaseFile};
use super::{CommonFields, Source};
use crate::protocol::empty_is_none;
use crate::versions::VersionScheme;
use regex::Regex;
use std::collections::BTreeMap;
use std::sync::OnceLock;

const ACCEPT: &str = "application/vnd.pypi.simple.v1+json, application/vnd.pypi.simple.v1+html;q=0.2, text/html;q=0.01";

/// `pypi:` a PyPI project (name normalised as PEP 503): PEP 691 JSON when the index offers it, else PEP 503 HTML.
#[derive(Debug, serde::Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct PyPiSource {
    /// A PyPI project (name normalised as PEP 503): PEP 691 JSON when the index offers it, else PEP 503 HTML.
    pypi: String,
    /// The simple index root (default `https://pypi.org/simple`).
    #[serde(default, deserialize_with = "empty_is_none")]
    index_url: Option<String>,
}

impl Source for PyPiSource {
    const KEY: &'static str = "pypi";
    const DOCS: &'static str = "## PyPI";

    fn name(&self) -> &str {
        &self.pypi
    }

    fn index_root(&self) -> Option<&str> {
        self.index_url.as_deref()
    }

    fn open(
        &self,
        _common: &CommonFields,
        fetcher: Fetcher,
    ) -> Result<Box<dyn Backend>, PackageError> {
        Ok(Box::new(PyPi::new(self, fetcher)))
    }
}

/// A PyPI project.
pub(crate) struct PyPi {
    name: String,
    index: String,
    fetcher: Fetcher,
}

/// PEP 503 normalisation: lowercase, runs of `-_.` become `-`.
pub(crate) fn normalize(name: &str) -> String {
    let mut out = String::new();
    let mut sep = false;
    for c in name.chars() {
        if matches!(c, '-' | '_' | '.') {
            sep = true;
        } else {
            if sep && !out.is_empty() {
                out.push('-');
            }
            sep = false;
            out.push(c.to_ascii_lowercase());
        }
    }
    out
}

/// The version in a distribution file name (`pkg-1.0.tar.gz`, `pkg-1.0-py3-none-any.whl`).
pub(crate) fn version_from_filename(project: &str, filename: &str) -> Option<String> {
    let stem = if let Some(w) = filename.strip_suffix(".whl") {
        let mut parts = w.split('-');
        let name = parts.next()?;
        let version = parts.next()?;
        return (normalize(name) == project).then(|| version.to_string());
    } else {
        [".tar.gz", ".zip", ".tar.bz2", ".tgz", ".tar.xz"]
            .iter()
            .find_map(|ext| filename.strip_suffix(ext))?
    };
    // sdist: the name may contain `-`; the version is what follows the normalised name.
    let dash = (0..stem.len())
        .filter(|&i| stem.as_bytes()[i] == b'-')
        .find(|&i| normalize(&stem[..i]) == project)?;
    Some(stem[dash + 1..].to_string())
}

impl PyPi {
    /// The project `source.pypi` on `source.index_url` (default PyPI).
    pub(crate) fn new(source: &PyPiSource, fetcher: Fetcher) -> PyPi {
        PyPi {
            name: source.pypi.clone(),
            index: source
                .index_url
                .clone()
                .unwrap_or_else(|| "https://pypi.org/simple".into())
                .trim_end_matches('/')
                .to_string(),
            fetcher,
        }
    }
}

#[derive(serde::Deserialize)]
struct JsonPage {
    files: Vec<JsonFile>,
}

#[derive(serde::Deserialize)]
struct JsonFile {
    filename: String,
    #[serde(default)]
    url: String,
    #[serde(default)]
    hashes: BTreeMap<String, String>,
    #[serde(default)]
    yanked: serde_json::Value,
    /// PEP 700 (API 1.1): when the file was uploaded, `yyyy-mm-ddThh:mm:ss.ffffffZ`, or null.
    #[serde(default, rename = "upload-time")]
    upload_time: serde_json::Value,
}

/// A version's files as a simple-API page lists them.
#[derive(Default)]
struct Listed {
    files: usize,
    yanked: usize,
    /// Its files, with whether each is yanked.
    list: Vec<(ReleaseFile, bool)>,
    /// The earliest upload time of any of its files (PEP 700; JSON pages only).
    first_upload: Option<chrono::DateTime<chrono::FixedOffset>>,
}

/// Whether `name` is a source distribution (every form [`version_from_filename`] reads but a
/// wheel).
fn is_sdist(name: &str) -> bool {
    !name.ends_with(".whl")
}

/// `sha256:<64 lowercase hex>` from a published `sha256:<hex>`, `None` when it is not one.
fn sha256_checksum(hash: &str) -> Option<String> {
    let hex = hash.strip_prefix("sha256:")?;
    (hex.len() == 64 && hex.bytes().all(|b| b.is_ascii_hexdigit()))
        .then(|| format!("sha256:{}", hex.to_ascii_lowercase()))
}

/// The one file `url` and `checksum` describe: the release's source distribution (PyPI takes
/// one per release since PEP 527; of older releases' several, the one `.tar.gz`), else its only
/// file; `None` when it has several wheels and no sdist, since a checksum names one file.
/// Yanked files are not chosen.
fn main_file(list: &[(ReleaseFile, bool)]) -> Option<&ReleaseFile> {
    let live: Vec<&ReleaseFile> = list.iter().filter(|(_, y)| !y).map(|(f, _)| f).collect();
    let sdists: Vec<&ReleaseFile> = live.iter().copied().filter(|f| is_sdist(&f.name)).collect();
    if sdists.len() > 1 {
        let tar_gz: Vec<&ReleaseFile> = sdists
            .into_iter()
            .filter(|f| f.name.ends_with(".tar.gz"))
            .collect();
        return only(&tar_gz);
    }
    only(&sdists).or_else(|| only(&live))
}

/// The one element of `files`, if it has exactly one.
fn only<'a>(files: &[&'a ReleaseFile]) -> Option<&'a ReleaseFile> {
    match files {
        [one] => Some(*one),
        _ => None,
    }
}

impl Backend for PyPi {
    fn releases(&self) -> Result<Vec<Release>, PackageError> {
        let project = normalize(&self.name);
        let url = format!("{}/{project}/", self.index);
        let parse =
            |content_type: &str, body: &[u8]| parse_page(&project, &url, content_type, body);
        self.fetcher
            .listed("PyPI", &self.name, &url, ACCEPT, &parse)
    }

    fn fetcher(&self) -> &Fetcher {
        &self.fetcher
    }

    fn scheme(&self) -> &'static dyn VersionScheme {
        &crate::versions::PEP440
    }
}

/// Releases from a simple-API page: PEP 691 JSON or PEP 503 HTML.
fn parse_page(
    project: &str,
    url: &str,
    content_type: &str,
    body: &[u8],
) -> Result<Vec<Release>, PackageError> {
    let links = if content_type.contains("vnd.pypi.simple.v1+json") {
        json_links(url, body)?
    } else {
        html_links(url, body)?
    };
    let base = url::Url::parse(url).ok();
    let mut seen: BTreeMap<String, Listed> = BTreeMap::new();
    for link in links {
        if let Some(v) = version_from_filename(project, &link.filename) {
            seen.entry(v).or_default().add(link, base.as_ref());
        }
    }
    Ok(seen
        .into_iter()
        .map(|(version, listed)| listed.release(version))
        .collect())
}

/// A file a simple-API page lists, as the page gives it.
struct Link {
    filename: String,
    /// As written: relative, perhaps with a `#sha256=` fragment.
    href: String,
    sha256: Option<String>,
    yanked: bool,
    /// PEP 700 upload time.
    uploaded: Option<String>,
}

/// The files of a PEP 691 JSON page.
fn json_links(url: &str, body: &[u8]) -> Result<Vec<Link>, PackageError> {
    let page: JsonPage = serde_json::from_slice(body).map_err(|e| PackageError::Malformed {
        url: url.to_string(),
        detail: format!("not a PEP 691 page: {e}"),
    })?;
    Ok(page
        .files
        .into_iter()
        .map(|f| Link {
            yanked: match f.yanked {
                serde_json::Value::Bool(b) => b,
                serde_json::Value::String(_) => true,
                _ => false,
            },
            sha256: f.hashes.get("sha256").cloned(),
            uploaded: f.upload_time.as_str().map(str::to_string),
            filename: f.filename,
            href: f.url,
        })
        .collect())
}

/// The anchors of a PEP 503 HTML page.
fn html_links(url: &str, body: &[u8]) -> Result<Vec<Link>, PackageError> {
    let text = String::from_utf8_lossy(body);
    if !text.to_ascii_lowercase().contains("<a") && !text.to_ascii_lowercase().contains("<html") {
        return Err(PackageError::Malformed {
            url: url.to_string(),
            detail: "neither a PEP 691 JSON nor a PEP 503 HTML page".into(),
        });
    }
    let (anchor, href) = html_patterns();
    Ok(anchor
        .captures_iter(&text)
        .map(|c| {
            let attrs = c.get(1).map_or("", |m| m.as_str());
            Link {
                filename: c.get(2).map_or("", |m| m.as_str()).trim().to_string(),
                href: href
                    .captures(attrs)
                    .and_then(|h| h.get(1))
                    .map_or("", |m| m.as_str())
                    .replace("&amp;", "&"),
                sha256: None,
                yanked: attrs.contains("data-yanked"),
                uploaded: None,
            }
        })
        .collect())
}

/// An anchor (its attributes and text) and an `href` attribute, compiled once.
fn html_patterns() -> &'static (Regex, Regex) {
    static PATTERNS: OnceLock<(Regex, Regex)> = OnceLock::new();
    PATTERNS.get_or_init(|| {
        let build = |p: &str| Regex::new(p).unwrap_or_else(|e| unreachable!("static regex: {e}"));
        (
            build(r#"(?is)<a\b([^>]*)>([^<]*)</a>"#),
            build(r#"(?i)href\s*=\s*"([^"]*)""#),
        )
    })
}

impl Listed {
    /// Counts `link` as one of this version's files, its URL resolved against `base` (the
    /// page) and its hash from the page's field or else the URL's `#sha256=` fragment.
    fn add(&mut self, link: Link, base: Option<&url::Url>) {
        self.files += 1;
        if link.yanked {
            self.yanked += 1;
        }
        let uploaded = link
            .uploaded
            .as_deref()
            .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok());
        if let Some(t) = uploaded {
            self.first_upload = Some(self.first_upload.map_or(t, |f| f.min(t)));
        }
        let href = link.href.as_str();
        let href_no_fragment = href.split('#').next().unwrap_or(href);
        let absolute = base
            .and_then(|b| b.join(href_no_fragment).ok())
            .map(|u| u.to_string())
            .unwrap_or_else(|| href_no_fragment.to_string());
        let sha256 = link.sha256.or_else(|| {
            href.split_once("#sha256=")
                .map(|(_, h)| h.to_ascii_lowercase())
        });
        self.list.push((
            ReleaseFile {
                name: link.filename,
                url: absolute,
                hash: sha256.map(|h| format!("sha256:{h}")),
            },
            link.yanked,
        ));
    }

    /// The release `version`: yanked when all its files are, `url` and `checksum` its main file's.
    fn release(self, version: String) -> Release {
        let main = main_file(&self.list);
        Release {
            yanked: self.files > 0 && self.files == self.yanked,
            url: main.map(|f| f.url.clone()),
            checksum: main.and_then(|f| sha256_checksum(f.hash.as_deref()?)),
            published_at: self.first_upload.map(|t| t.to_rfc3339()),
            files: self.list.into_iter().map(|(f, _)| f).collect(),
            version,
            ..Release::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_files() {
        assert_eq!(normalize("Foo.Bar__baz"), "foo-bar-baz");
        assert_eq!(
            version_from_filename("awscli", "awscli-1.18.100.tar.gz").as_deref(),
            Some("1.18.100")
        );
        assert_eq!(
            version_from_filename("my-pkg", "my_pkg-2.0rc1-py3-none-any.whl").as_deref(),
            Some("2.0rc1")
        );
        assert_eq!(
            version_from_filename("my-pkg", "My.Pkg-1.0.post1.zip").as_deref(),
            Some("1.0.post1")
        );
        assert_eq!(version_from_filename("a", "other-1.0.tar.gz"), None);
    }
}
