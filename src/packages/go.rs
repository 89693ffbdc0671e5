//! Go modules through the module proxy protocol: `@v/list`, `@latest` when the list is empty, `.info` for the publication time.
//!
//! Paths and versions are checked and case-encoded as `golang.org/x/mod/module` does
//! (`CheckPath`, `EscapePath`, `EscapeVersion`); list lines are read as the go command reads
//! them (the first field of each line), pseudo-versions and versions whose major version does
//! not fit the path (`CheckPathMajor`) skipped.

use super::{Backend, Fetcher, PackageError, Release};
use super::{CommonFields, Source};
use crate::protocol::empty_is_none;
use crate::versions::go as version;
use crate::versions::VersionScheme;

/// The public proxy.
const DEFAULT_PROXY: &str = "https://proxy.golang.org";
/// Largest `.info` / `@latest` document read.
const MAX_INFO_BYTES: u64 = 64 * 1024;

/// `go:` a Go module path (`github.com/Azure/azure-sdk-for-go`) on a Go module proxy; pseudo-versions skipped.
#[derive(Debug, serde::Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct GoSource {
    /// A Go module path (`github.com/Azure/azure-sdk-for-go`) on a Go module proxy; pseudo-versions skipped.
    go: String,
    /// The Go module proxy (GOPROXY protocol; default `https://proxy.golang.org`).
    #[serde(default, deserialize_with = "empty_is_none")]
    proxy: Option<String>,
}

impl Source for GoSource {
    const KEY: &'static str = "go";
    const DOCS: &'static str = "## Go modules";

    fn name(&self) -> &str {
        &self.go
    }

    fn index_root(&self) -> Option<&str> {
        // Credentials go to the proxy, the default one included, and nowhere else.
        Some(self.proxy.as_deref().unwrap_or(DEFAULT_PROXY))
    }

    fn open(
        &self,
        _common: &CommonFields,
        fetcher: Fetcher,
    ) -> Result<Box<dyn Backend>, PackageError> {
        Ok(Box::new(GoModule::new(self, fetcher)?))
    }
}

/// A module on a Go module proxy.
pub(crate) struct GoModule {
    module: String,
    escaped: String,
    path_major: String,
    proxy: String,
    fetcher: Fetcher,
}

impl GoModule {
    /// `source.go` (a module path) on `source.proxy` (default `https://proxy.golang.org`).
    pub(crate) fn new(source: &GoSource, fetcher: Fetcher) -> Result<GoModule, PackageError> {
        let module = source.go.clone();
        let invalid = |e: String| PackageError::Invalid {
            field: "source.go",
            detail: format!("`{module}` is not a Go module path: {e}"),
        };
        check_path(&module).map_err(invalid)?;
        let escaped = escape(&module).map_err(invalid)?;
        let (_, path_major) = split_path_version(&module).unwrap_or_default();
        let proxy = source
            .proxy
            .clone()
            .unwrap_or_else(|| DEFAULT_PROXY.into())
            .trim_end_matches('/')
            .to_string();
        match url::Url::parse(&proxy) {
            Ok(u) if matches!(u.scheme(), "http" | "https") && u.host().is_some() => {}
            _ => {
                return Err(PackageError::Invalid {
                    field: "source.proxy",
                    detail: format!("`{proxy}` is not an http(s) URL"),
                })
            }
        }
        Ok(GoModule {
            path_major: path_major.to_string(),
            module,
            escaped,
            proxy,
            fetcher,
        })
    }

    /// `$proxy/<escaped module>/<rest>`.
    fn url(&self, rest: &str) -> String {
        format!("{}/{}/{rest}", self.proxy, self.escaped)
    }

    /// A release for `v` when it is one: canonical, no pseudo-version, major fits the path.
    fn release(&self, v: &str) -> Option<Release> {
        version::release_version(v)?;
        if !matches_path_major(v, &self.path_major) {
            crate::log::debug(|| {
                format!(
                    "{}: skipping {v}: its major version does not fit the module path",
                    self.module
                )
            });
            return None;
        }
        let zip = escape_version(v)
            .ok()
            .map(|e| self.url(&format!("@v/{e}.zip")))?;
        Some(Release {
            version: v.to_string(),
            url: Some(zip),
            ..Release::default()
        })
    }

    /// `.info` / `@latest`: `{"Version": …, "Time": …}`.
    fn info(url: &str, body: &[u8]) -> Result<Info, PackageError> {
        serde_json::from_slice(body).map_err(|e| PackageError::Malformed {
            url: url.to_string(),
            detail: format!("not a version info document: {e}"),
        })
    }
}

/// A proxy's `RevInfo` (other fields, such as `Origin`, are ignored).
#[derive(serde::Deserialize)]
struct Info {
    #[serde(rename = "Version")]
    version: String,
    #[serde(rename = "Time", default)]
    time: Option<String>,
}

impl Backend for GoModule {
    fn releases(&self) -> Result<Vec<Release>, PackageError> {
        let list_url = self.url("@v/list");
        let parse = |_: &str, body: &[u8]| -> Result<Vec<Release>, PackageError> {
            let text = std::str::from_utf8(body).map_err(|_| PackageError::Malformed {
                url: list_url.clone(),
                detail: "version list is not UTF-8".into(),
            })?;
            Ok(text
                .lines()
                .filter_map(|l| l.split_whitespace().next())
                .filter_map(|v| self.release(v))
                .collect())
        };
        let listed = self
            .fetcher
            .releases(&list_url, "text/plain, */*", None, &parse)?
            .ok_or_else(|| PackageError::NotFound {
                ecosystem: "Go",
                package: self.module.clone(),
                url: list_url.clone(),
            })?;
        if !listed.is_empty() {
            return Ok(listed);
        }
        // No tagged version: the proxy's `@latest` (often a pseudo-version, then skipped).
        let latest_url = self.url("@latest");
        let parse_latest = |_: &str, body: &[u8]| -> Result<Vec<Release>, PackageError> {
            let info = Self::info(&latest_url, body)?;
            Ok(self
                .release(&info.version)
                .map(|r| Release {
                    published_at: info.time,
                    ..r
                })
                .into_iter()
                .collect())
        };
        Ok(self
            .fetcher
            .releases(&latest_url, "application/json", None, &parse_latest)?
            .unwrap_or_default())
    }

    fn scheme(&self) -> &'static dyn VersionScheme {
        &crate::versions::GO
    }

    fn fetcher(&self) -> &Fetcher {
        &self.fetcher
    }

    fn details(
        &self,
        mut release: Release,
        download: Option<&str>,
    ) -> Result<Release, PackageError> {
        if download.is_some() {
            return Err(PackageError::Invalid {
                field: "params.download",
                detail: "a Go module proxy publishes no hash for module zips (their checksums are in go.sum and sum.golang.org); not downloading one unverified — the `url` file names the zip".into(),
            });
        }
        let escaped = escape_version(&release.version).map_err(|e| PackageError::Invalid {
            field: "version",
            detail: e,
        })?;
        let url = self.url(&format!("@v/{escaped}.info"));
        let body =
            self.fetcher
                .bytes(&url, MAX_INFO_BYTES)?
                .ok_or_else(|| PackageError::NotFound {
                    ecosystem: "Go",
                    package: format!("{}@{}", self.module, release.version),
                    url: url.clone(),
                })?;
        let info = Self::info(&url, &body)?;
        if info.version != release.version {
            return Err(PackageError::Malformed {
                url,
                detail: format!("describes {}, not {}", info.version, release.version),
            });
        }
        release.published_at = info.time.or(release.published_at);
        Ok(release)
    }
}

/// `module.CheckPath`: a module path (`github.com/Azure/azure-sdk-for-go/v68`); the error says
/// what is wrong, as the go command does.
pub fn check_path(path: &str) -> Result<(), String> {
    if path.is_empty() {
        return Err("empty string".into());
    }
    if path.starts_with('-') {
        return Err("leading dash".into());
    }
    if path.contains("//") {
        return Err("double slash".into());
    }
    if path.ends_with('/') {
        return Err("trailing slash".into());
    }
    for elem in path.split('/') {
        check_elem(elem)?;
    }
    let first = path.split('/').next().unwrap_or("");
    if first.is_empty() {
        return Err("leading slash".into());
    }
    if !first.contains('.') {
        return Err("missing dot in first path element".into());
    }
    if let Some(c) = first
        .chars()
        .find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '-' || *c == '.'))
    {
        return Err(format!("invalid char {c:?} in first path element"));
    }
    if split_path_version(path).is_none() {
        return Err("invalid version".into());
    }
    Ok(())
}

/// Reserved file names on Windows, refused as path elements (`module.badWindowsNames`).
const BAD_WINDOWS_NAMES: &[&str] = &[
    "CON", "PRN", "AUX", "NUL", "COM1", "COM2", "COM3", "COM4", "COM5", "COM6", "COM7", "COM8",
    "COM9", "LPT1", "LPT2", "LPT3", "LPT4", "LPT5", "LPT6", "LPT7", "LPT8", "LPT9",
];

/// `module.checkElem` for module paths.
fn check_elem(elem: &str) -> Result<(), String> {
    if elem.is_empty() {
        return Err("empty path element".into());
    }
    if elem.bytes().all(|c| c == b'.') {
        return Err(format!("invalid path element {elem:?}"));
    }
    if elem.starts_with('.') {
        return Err("leading dot in path element".into());
    }
    if elem.ends_with('.') {
        return Err("trailing dot in path element".into());
    }
    if let Some(c) = elem
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || "-._~".contains(*c)))
    {
        return Err(format!("invalid char {c:?}"));
    }
    let short = elem.split('.').next().unwrap_or(elem);
    if BAD_WINDOWS_NAMES
        .iter()
        .any(|b| b.eq_ignore_ascii_case(short))
    {
        return Err(format!(
            "{short:?} disallowed as path element component on Windows"
        ));
    }
    if let Some(t) = short.rfind('~') {
        let suffix = &short[t + 1..];
        if !suffix.is_empty() && suffix.bytes().all(|c| c.is_ascii_digit()) {
            return Err("trailing tilde and digits in path element".into());
        }
    }
    Ok(())
}

/// `module.SplitPathVersion`: the path and its major-version suffix (`/v2`, gopkg.in's `.v1`,
/// or empty); `None` when the suffix is malformed (`/v1`, `/v0`, `/v2.0`).
pub fn split_path_version(path: &str) -> Option<(&str, &str)> {
    if path.starts_with("gopkg.in/") {
        let end = path.strip_suffix("-unstable").map_or(path.len(), str::len);
        let digits = path[..end]
            .bytes()
            .rev()
            .take_while(u8::is_ascii_digit)
            .count();
        let i = end - digits;
        if i <= 1 || !path[..i].ends_with(".v") {
            return None;
        }
        let (prefix, major) = path.split_at(i - 2);
        if major.len() <= 2 || (major.as_bytes()[2] == b'0' && major != ".v0") {
            return None;
        }
        return Some((prefix, major));
    }
    let tail = path
        .bytes()
        .rev()
        .take_while(|c| c.is_ascii_digit() || *c == b'.')
        .count();
    let i = path.len() - tail;
    if i <= 1 || i == path.len() || !path[..i].ends_with("/v") {
        return Some((path, ""));
    }
    let (prefix, major) = path.split_at(i - 2);
    if major.contains('.') || major.len() <= 2 || major.as_bytes()[2] == b'0' || major == "/v1" {
        return None;
    }
    Some((prefix, major))
}

/// `module.CheckPathMajor`: `v` fits a path whose suffix is `path_major` (no suffix: v0, v1 or
/// `+incompatible`; `/v2`: v2; gopkg.in `.v1`: v1).
pub(crate) fn matches_path_major(v: &str, path_major: &str) -> bool {
    let path_major = path_major.strip_suffix("-unstable").unwrap_or(path_major);
    let m = version::major(v).unwrap_or("");
    if path_major.is_empty() {
        return m == "v0" || m == "v1" || version::build(v) == "+incompatible";
    }
    path_major.get(1..) == Some(m)
}

/// `module.EscapePath` / `escapeString`: each upper-case letter becomes `!` and its lower case.
fn escape(s: &str) -> Result<String, String> {
    if s.contains('!') || !s.is_ascii() {
        return Err("`!` and non-ASCII characters cannot be encoded".into());
    }
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if c.is_ascii_uppercase() {
            out.push('!');
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    Ok(out)
}

/// `module.EscapeVersion`: a version as a proxy URL element (`v1.0.0-RC1` → `v1.0.0-!r!c1`).
pub fn escape_version(v: &str) -> Result<String, String> {
    let ok = !v.is_empty()
        && !v.bytes().all(|c| c == b'.')
        && !v.ends_with('.')
        && v.bytes()
            .all(|c| c.is_ascii_alphanumeric() || b"-._~+".contains(&c));
    if !ok {
        return Err(format!(
            "`{v}` is not a version a module proxy can be asked for"
        ));
    }
    escape(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `module.CheckPath` rows (module_test.go's `checkPathTests`, module-path column).
    #[test]
    fn module_paths() {
        for (path, ok) in [
            ("x.y/z", true),
            ("x.y", true),
            ("", false),
            ("x.y/\u{FFFD}", false),
            ("/x.y/z", false),
            ("x./z", false),
            (".x/z", false),
            ("-x/z", false),
            ("x..y/z", true),
            ("x.y/z/../../w", false),
            ("x.y//z", false),
            ("x.y/z//w", false),
            ("x.y/z/", false),
            ("x.y/z/v0", false),
            ("x.y/z/v1", false),
            ("x.y/z/v2", true),
            ("x.y/z/v2.0", false),
            ("X.y/z", false),
            ("!x.y/z", false),
            ("_x.y/z", false),
            ("x.y!/z", false),
            ("x.y\"/z", false),
            ("x.y#/z", false),
            ("x.y$/z", false),
            ("x.y%/z", false),
            ("x.y&/z", false),
            ("x.y'/z", false),
            ("x.y(/z", false),
            ("x.y:/z", false),
            ("x.y/z~", true),
            ("x.y/z~0", false),
            ("x.y/z~09", false),
            ("x.y/z09", true),
            ("x.y/z09~", true),
            ("x.y/z09~09z", true),
            ("x.y/z09~09z~09", false),
            ("github.com/!123/logrus", false),
            ("github.com/user/unicode/испытание", false),
            ("../x", false),
            ("./y", false),
            ("x:y", false),
            ("\\temp\\foo", false),
            (".gitignore", false),
            (".github/ISSUE_TEMPLATE", false),
            ("x☺y", false),
            ("github.com/Azure/azure-sdk-for-go", true),
            ("github.com/aux/foo", false),
            ("github.com/con.txt/foo", false),
            ("gopkg.in/yaml.v3", true),
            ("gopkg.in/yaml", false),
            ("gopkg.in/check.v1-unstable", true),
            ("localhost", false),
        ] {
            assert_eq!(
                check_path(path).is_ok(),
                ok,
                "CheckPath({path:?}): {:?}",
                check_path(path)
            );
        }
    }

    /// Generated module paths answered by golang.org/x/mod's `CheckPath` and `EscapePath`
    /// themselves: `ci/go-oracle` writes them.
    #[test]
    #[ignore = "needs ci/go-oracle"]
    fn paths_agree_with_golang_x_mod() {
        let file = std::env::var("UPTICK_GO_ORACLE")
            .unwrap_or_else(|_| panic!("set UPTICK_GO_ORACLE (ci/go-oracle does)"));
        let text = std::fs::read_to_string(&file).unwrap_or_else(|e| panic!("{file}: {e}"));
        let doc: serde_json::Value =
            serde_json::from_str(&text).unwrap_or_else(|e| panic!("{file}: {e}"));
        let paths = doc["paths"].as_array().cloned().unwrap_or_default();
        let mut wrong = Vec::new();
        for r in &paths {
            let p = r["p"].as_str().unwrap_or_default();
            let got = check_path(p).and_then(|()| escape(p));
            let want = r["ok"].as_bool() == Some(true);
            let escaped = r["escaped"].as_str().unwrap_or_default();
            match (&got, want) {
                (Ok(e), true) if e == escaped => {}
                (Err(_), false) => {}
                _ => wrong.push(format!("{p:?}: {got:?}, x/mod ok={want} {escaped:?}")),
            }
        }
        eprintln!(
            "{} module paths checked against golang.org/x/mod",
            paths.len()
        );
        assert!(paths.len() > 200);
        assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    }

    #[test]
    fn case_encoding_and_major_suffixes() {
        assert_eq!(
            escape("github.com/Azure/azure-sdk").unwrap(),
            "github.com/!azure/azure-sdk"
        );
        assert_eq!(
            escape("github.com/BurntSushi/TOML").unwrap(),
            "github.com/!burnt!sushi/!t!o!m!l"
        );
        assert_eq!(escape_version("v1.0.0-RC1").unwrap(), "v1.0.0-!r!c1");
        assert_eq!(
            escape_version("v2.0.0+incompatible").unwrap(),
            "v2.0.0+incompatible"
        );
        assert!(escape_version("v1!").is_err());
        assert!(escape_version("../x").is_err());
        assert_eq!(split_path_version("x.y/z/v2"), Some(("x.y/z", "/v2")));
        assert_eq!(split_path_version("x.y/z"), Some(("x.y/z", "")));
        assert_eq!(
            split_path_version("gopkg.in/yaml.v3"),
            Some(("gopkg.in/yaml", ".v3"))
        );
        assert!(matches_path_major("v1.2.3", ""));
        assert!(matches_path_major("v0.1.0", ""));
        assert!(matches_path_major("v2.0.0+incompatible", ""));
        assert!(!matches_path_major("v2.0.0", ""));
        assert!(matches_path_major("v2.1.0", "/v2"));
        assert!(!matches_path_major("v3.0.0", "/v2"));
        assert!(matches_path_major("v3.0.1", ".v3"));
        assert!(matches_path_major("v1.0.0", ".v1-unstable"));
    }
}
