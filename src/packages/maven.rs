//! Maven repositories: `<repository>/<group as path>/<artifact>/maven-metadata.xml` lists the
//! versions; each version's POM names its packaging, and `.sha512` / `.sha256` / `.sha1` sidecar
//! files publish the hashes of its files.

use super::{Backend, Fetcher, PackageError, Release, ReleaseFile};
use super::{CommonFields, Source};
use crate::protocol::empty_is_none;
use crate::versions::VersionScheme;
use quick_xml::events::Event;

/// Maven Central.
pub(crate) const CENTRAL: &str = "https://repo.maven.apache.org/maven2";
/// Largest POM or version-level `maven-metadata.xml` read.
const MAX_POM_BYTES: u64 = 1024 * 1024;
/// Largest checksum sidecar read (a hash, perhaps followed by a file name).
const MAX_SIDECAR_BYTES: u64 = 1024;
/// Deepest element nesting read.
const MAX_DEPTH: usize = 64;
/// Sidecars in order of preference: algorithm, file suffix, hex length.
const SIDECARS: [(&str, &str, usize); 3] = [
    ("sha512", "sha512", 128),
    ("sha256", "sha256", 64),
    ("sha1", "sha1", 40),
];

/// A snapshot's file, as its version-level metadata lists it: extension, the version its name
/// carries (`1.0-20240101.120000-1`), when it was deployed (`20240101120000`).
struct SnapshotFile {
    extension: String,
    value: String,
    updated: Option<String>,
}

/// `maven:` an artifact of a Maven repository, `GROUP:ARTIFACT` (`org.apache.commons:commons-lang3`).
#[derive(Debug, serde::Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct MavenSource {
    /// An artifact of a Maven repository, `GROUP:ARTIFACT` (`org.apache.commons:commons-lang3`).
    maven: String,
    /// The repository root (default Maven Central, `https://repo.maven.apache.org/maven2`).
    #[serde(default, deserialize_with = "empty_is_none")]
    repository: Option<String>,
}

impl Source for MavenSource {
    const KEY: &'static str = "maven";
    const DOCS: &'static str = "## Maven repositories";

    fn name(&self) -> &str {
        &self.maven
    }

    fn index_root(&self) -> Option<&str> {
        self.repository.as_deref()
    }

    fn open(
        &self,
        _common: &CommonFields,
        fetcher: Fetcher,
    ) -> Result<Box<dyn Backend>, PackageError> {
        Ok(Box::new(Maven::new(self, fetcher)?))
    }
}

/// An artifact (`GROUP:ARTIFACT`) of a Maven repository.
pub(crate) struct Maven {
    coordinates: String,
    artifact: String,
    /// `<repository>/<group path>/<artifact>`.
    base: String,
    fetcher: Fetcher,
}

/// Whether `s` can stand in a URL path segment and a file name as is: printable ASCII, no
/// `/`, `\`, `?`, `#`, `%`, not starting with `.`.
fn is_segment(s: &str) -> bool {
    !s.is_empty()
        && !s.starts_with('.')
        && s.bytes()
            .all(|b| b.is_ascii_graphic() && !b"/\\?#%".contains(&b))
}

/// Whether `s` is a Maven name part (group segment, artifact, packaging): letters, digits,
/// `-`, `_`, `.`, not starting with `.`.
fn is_name(s: &str) -> bool {
    !s.is_empty()
        && !s.starts_with('.')
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
}

impl Maven {
    /// The artifact `source.maven` of `source.repository` (default Maven Central).
    pub(crate) fn new(source: &MavenSource, fetcher: Fetcher) -> Result<Maven, PackageError> {
        let coordinates = source.maven.clone();
        let (group, artifact) = coordinates
            .split_once(':')
            .filter(|(g, a)| g.split('.').all(is_name) && is_name(a) && !a.contains(".."))
            .ok_or_else(|| PackageError::Invalid {
                field: "source.maven",
                detail: format!(
                    "`{coordinates}` is not GROUP:ARTIFACT (`org.apache.commons:commons-lang3`)"
                ),
            })?;
        let repository = source.repository.as_deref().unwrap_or(CENTRAL);
        let web = url::Url::parse(repository)
            .is_ok_and(|u| matches!(u.scheme(), "http" | "https") && u.host().is_some());
        if !web {
            return Err(PackageError::Invalid {
                field: "source.repository",
                detail: format!(
                    "`{}` is not an http(s) URL",
                    crate::net::redact_url(repository)
                ),
            });
        }
        Ok(Maven {
            base: format!(
                "{}/{}/{artifact}",
                repository.trim_end_matches('/'),
                group.replace('.', "/")
            ),
            artifact: artifact.to_string(),
            coordinates,
            fetcher,
        })
    }

    /// The version-level metadata of a `-SNAPSHOT` version: the file version its files carry
    /// (`1.0-20240101.120000-1`) per extension, and when each was deployed. `None` when there
    /// is none (a repository written by `install`, or a plain directory).
    fn snapshot_files(&self, version: &str) -> Result<Option<Vec<SnapshotFile>>, PackageError> {
        let url = format!("{}/{version}/maven-metadata.xml", self.base);
        let Some(body) = self.fetcher.bytes(&url, MAX_POM_BYTES)? else {
            return Ok(None);
        };
        snapshot_metadata(&url, version, &body)
    }

    /// The hash the first sidecar found publishes for `url` (`sha512:<hex>`), `None` when there
    /// is no sidecar.
    fn sidecar(&self, url: &str) -> Result<Option<String>, PackageError> {
        for (algorithm, suffix, len) in SIDECARS {
            let sidecar = format!("{url}.{suffix}");
            let Some(body) = self.fetcher.bytes(&sidecar, MAX_SIDECAR_BYTES)? else {
                continue;
            };
            // `<hex>`, or `<hex>  <file name>` as `sha1sum` writes it.
            let hex = String::from_utf8_lossy(&body)
                .split_whitespace()
                .next()
                .unwrap_or_default()
                .to_ascii_lowercase();
            if hex.len() != len || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
                return Err(PackageError::Malformed {
                    url: sidecar,
                    detail: format!("not a {algorithm} hash"),
                });
            }
            return Ok(Some(format!("{algorithm}:{hex}")));
        }
        Ok(None)
    }

    /// Streams `url` into `path` unless its bytes miss the SHA-1 `hex` (what `Fetcher::download`
    /// does for SHA-256 and SHA-512).
    fn download_sha1(
        &self,
        url: &str,
        hex: &str,
        path: &std::path::Path,
    ) -> Result<(), PackageError> {
        self.fetcher.download_verified(url, path, |body| {
            Box::new(Sha1Reader {
                inner: body,
                context: Some(ring::digest::Context::new(
                    &ring::digest::SHA1_FOR_LEGACY_USE_ONLY,
                )),
                expected: hex.to_string(),
                what: url.to_string(),
            })
        })
    }
    /// The extension of the main artifact, from the packaging the POM at `pom_url` names
    /// (`jar` when it names none, or there is no POM).
    fn main_extension(&self, pom_url: &str) -> Result<String, PackageError> {
        let mut packaging = "jar".to_string();
        if let Some(body) = self.fetcher.bytes(pom_url, MAX_POM_BYTES)? {
            walk(pom_url, &body, |path, text| {
                if let ["project", "packaging"] = path {
                    if !text.is_empty() {
                        packaging = text.to_string();
                    }
                }
            })?;
        }
        let ext = extension(&packaging).to_string();
        if !is_name(&ext) {
            return Err(PackageError::Malformed {
                url: pom_url.to_string(),
                detail: format!("packaging `{packaging}` is not a file extension"),
            });
        }
        Ok(ext)
    }

    /// [`Maven::sidecar`]; without `download` a checksum is only metadata: a repository
    /// refusing a sidecar (S3-backed ones answer 403 for a missing object) costs the checksum
    /// (a warning), not the `in`.
    fn checksum(&self, url: &str, download: Option<&str>) -> Result<Option<String>, PackageError> {
        match self.sidecar(url) {
            Err(e) if download.is_none() => {
                crate::log::warn(format_args!("no checksum for {url}: {e}"));
                Ok(None)
            }
            other => other,
        }
    }
}

/// How a version's files are named: by the version, or (a snapshot with version-level
/// metadata) by the file version the metadata gives for each extension.
struct FileVersions {
    version: String,
    snapshots: Option<Vec<SnapshotFile>>,
}

impl FileVersions {
    /// The version in the name of the file with extension `ext`.
    fn of(&self, ext: &str) -> String {
        self.snapshots
            .as_ref()
            .and_then(|s| {
                s.iter()
                    .find(|f| f.extension == ext)
                    .or_else(|| s.iter().find(|f| f.extension == "*"))
            })
            .map_or(self.version.clone(), |f| f.value.clone())
    }

    /// When the snapshot's file with extension `ext` was deployed, as RFC 3339.
    fn deployed(&self, ext: &str) -> Option<String> {
        self.snapshots
            .as_ref()
            .and_then(|s| s.iter().find(|f| f.extension == ext))
            .and_then(|f| f.updated.as_deref())
            .and_then(|u| chrono::NaiveDateTime::parse_from_str(u, "%Y%m%d%H%M%S").ok())
            .map(|t| {
                t.and_utc()
                    .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
            })
    }
}

/// Reads a version-level `maven-metadata.xml`: each classifier-less file's extension, the
/// version its name carries and when it was deployed; Maven 2's `<snapshot>` alone gives one
/// timestamp for every file (extension `*`). Values that cannot stand in a file name are skipped.
fn snapshot_metadata(
    url: &str,
    version: &str,
    body: &[u8],
) -> Result<Option<Vec<SnapshotFile>>, PackageError> {
    let mut files = Vec::new();
    let (mut ext, mut classifier, mut value, mut updated) =
        (String::new(), String::new(), String::new(), None);
    let (mut timestamp, mut build) = (String::new(), String::new());
    walk(url, body, |path, text| match path {
        [.., "snapshot", "timestamp"] => timestamp = text.to_string(),
        [.., "snapshot", "buildNumber"] => build = text.to_string(),
        [.., "snapshotVersion", "extension"] => ext = text.to_string(),
        [.., "snapshotVersion", "classifier"] => classifier = text.to_string(),
        [.., "snapshotVersion", "value"] => value = text.to_string(),
        [.., "snapshotVersion", "updated"] => updated = Some(text.to_string()),
        [.., "snapshotVersion"] => {
            if classifier.is_empty() && is_name(&ext) && is_segment(&value) {
                files.push(SnapshotFile {
                    extension: std::mem::take(&mut ext),
                    value: std::mem::take(&mut value),
                    updated: updated.take(),
                });
            }
            (ext, classifier, value, updated) = (String::new(), String::new(), String::new(), None);
        }
        _ => {}
    })?;
    // Older metadata (Maven 2) has only `<snapshot>`: one timestamp for every file.
    let value = format!(
        "{}-{timestamp}-{build}",
        version.trim_end_matches("-SNAPSHOT")
    );
    if files.is_empty() && !timestamp.is_empty() && !build.is_empty() && is_segment(&value) {
        files.push(SnapshotFile {
            extension: "*".into(),
            value,
            updated: None,
        });
    }
    Ok((!files.is_empty()).then_some(files))
}

/// Hashes what passes through with SHA-1; at the end of the stream fails with `InvalidData`
/// unless the hash is the expected one.
struct Sha1Reader<R> {
    inner: R,
    context: Option<ring::digest::Context>,
    expected: String,
    what: String,
}

impl<R: std::io::Read> std::io::Read for Sha1Reader<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        if n > 0 {
            if let Some(c) = self.context.as_mut() {
                c.update(&buf[..n]);
            }
            return Ok(n);
        }
        if let Some(c) = self.context.take().filter(|_| !buf.is_empty()) {
            let actual = hex::encode(c.finish());
            if actual != self.expected {
                return Err(std::io::Error::new(
                    std::io::ErrorKind::InvalidData,
                    format!(
                        "{}: content has digest sha1:{actual}, expected sha1:{}",
                        self.what, self.expected
                    ),
                ));
            }
        }
        Ok(0)
    }
}

/// Calls `on(path, text)` at the end of each element of an XML document, with the local names
/// from the root down and the element's own text (trimmed). A DOCTYPE is refused (nothing is
/// ever expanded: only the five predefined entities and character references are read).
fn walk(url: &str, body: &[u8], mut on: impl FnMut(&[&str], &str)) -> Result<(), PackageError> {
    let bad = |detail: String| PackageError::Malformed {
        url: url.to_string(),
        detail,
    };
    let text = std::str::from_utf8(body).map_err(|_| bad("not UTF-8 XML".into()))?;
    let mut reader = quick_xml::Reader::from_str(text);
    let mut names: Vec<String> = Vec::new();
    let mut texts: Vec<String> = Vec::new();
    loop {
        let event = reader
            .read_event()
            .map_err(|e| bad(format!("not XML: {e}")))?;
        match event {
            Event::DocType(_) => return Err(bad("a DOCTYPE is not accepted".into())),
            Event::Start(e) => {
                if names.len() >= MAX_DEPTH {
                    return Err(bad(format!("elements nested deeper than {MAX_DEPTH}")));
                }
                names.push(e.local_name().as_ref().to_string());
                texts.push(String::new());
            }
            Event::Empty(e) => {
                names.push(e.local_name().as_ref().to_string());
                let path: Vec<&str> = names.iter().map(String::as_str).collect();
                on(&path, "");
                names.pop();
            }
            Event::End(_) => {
                let own = texts.pop().unwrap_or_default();
                let path: Vec<&str> = names.iter().map(String::as_str).collect();
                on(&path, own.trim());
                names.pop();
            }
            Event::Text(t) => {
                if let Some(cur) = texts.last_mut() {
                    cur.push_str(&t.xml10_content());
                }
            }
            Event::CData(c) => {
                if let Some(cur) = texts.last_mut() {
                    cur.push_str(&c);
                }
            }
            Event::GeneralRef(r) => {
                let c = match r.resolve_char_ref() {
                    Ok(Some(c)) => c,
                    _ => match &*r {
                        "amp" => '&',
                        "lt" => '<',
                        "gt" => '>',
                        "quot" => '"',
                        "apos" => '\'',
                        other => return Err(bad(format!("entity `&{other};` is not accepted"))),
                    },
                };
                if let Some(cur) = texts.last_mut() {
                    cur.push(c);
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    if let Some(open) = names.last() {
        return Err(bad(format!("ends inside <{open}>")));
    }
    Ok(())
}

/// The versions of an artifact-level `maven-metadata.xml`, in its order.
fn metadata_versions(url: &str, body: &[u8]) -> Result<Vec<String>, PackageError> {
    let mut versions = Vec::new();
    let mut root = None;
    walk(url, body, |path, text| {
        if let [r] = path {
            root = Some(r.to_string());
        }
        if let ["metadata", "versioning", "versions", "version"] = path {
            if !text.is_empty() {
                versions.push(text.to_string());
            }
        }
    })?;
    if root.as_deref() != Some("metadata") {
        return Err(PackageError::Malformed {
            url: url.to_string(),
            detail: "not a maven-metadata.xml (no <metadata> root)".into(),
        });
    }
    Ok(versions)
}

/// The file extension of a packaging's main artifact, as Maven's artifact handlers give it
/// (`bundle` and the other jar-like packagings are `.jar`; `pom` has none but the POM).
fn extension(packaging: &str) -> &str {
    match packaging {
        "jar" | "bundle" | "maven-plugin" | "ejb" | "ejb-client" | "test-jar" | "java-source"
        | "javadoc" | "eclipse-plugin" | "takari-jar" | "maven-archetype" => "jar",
        other => other,
    }
}

impl Backend for Maven {
    fn releases(&self) -> Result<Vec<Release>, PackageError> {
        let url = format!("{}/maven-metadata.xml", self.base);
        let parse = |_: &str, body: &[u8]| {
            Ok(metadata_versions(&url, body)?
                .into_iter()
                .map(|version| Release {
                    version,
                    ..Release::default()
                })
                .collect())
        };
        self.fetcher.listed(
            "Maven",
            &self.coordinates,
            &url,
            "application/xml, text/xml, */*",
            &parse,
        )
    }

    /// The POM's packaging decides the main artifact; snapshots name their files by the
    /// version-level metadata; each file's hash is its preferred sidecar's.
    fn details(
        &self,
        mut release: Release,
        download: Option<&str>,
    ) -> Result<Release, PackageError> {
        let version = release.version.clone();
        if !is_segment(&version) {
            return Err(PackageError::Invalid {
                field: "version",
                detail: format!("refusing version `{version}` (not a path segment)"),
            });
        }
        let dir = format!("{}/{version}", self.base);
        let names = FileVersions {
            snapshots: if version.ends_with("-SNAPSHOT") {
                self.snapshot_files(&version)?
            } else {
                None
            },
            version,
        };
        let pom_name = format!("{}-{}.pom", self.artifact, names.of("pom"));
        let pom_url = format!("{dir}/{pom_name}");
        let ext = self.main_extension(&pom_url)?;
        let mut files = Vec::new();
        if ext != "pom" {
            let name = format!("{}-{}.{ext}", self.artifact, names.of(&ext));
            let url = format!("{dir}/{name}");
            files.push(ReleaseFile {
                hash: self.checksum(&url, download)?,
                name,
                url,
            });
        }
        files.push(ReleaseFile {
            hash: self.checksum(&pom_url, download)?,
            name: pom_name,
            url: pom_url,
        });
        release.url = files.first().map(|f| f.url.clone());
        release.checksum = files.first().and_then(|f| f.hash.clone());
        release.published_at = names.deployed(&ext);
        release.files = files;
        Ok(release)
    }

    fn download(
        &self,
        file: &ReleaseFile,
        hash: &str,
        path: &std::path::Path,
    ) -> Result<(), PackageError> {
        match hash.split_once(':') {
            Some(("sha1", hex)) => {
                crate::log::warn(format_args!(
                    "{}: the repository publishes only a SHA-1 sidecar; verified against SHA-1, which is not collision-resistant",
                    file.name
                ));
                self.download_sha1(&file.url, hex, path)
            }
            _ => self.fetcher.download(&file.url, hash, path),
        }
    }

    fn fetcher(&self) -> &Fetcher {
        &self.fetcher
    }

    fn scheme(&self) -> &'static dyn VersionScheme {
        &crate::versions::MAVEN
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metadata_is_read_without_dtds_or_entities() {
        let doc = br#"<?xml version="1.0" encoding="UTF-8"?>
<metadata><groupId>g</groupId><artifactId>a</artifactId><versioning>
<release>1.2</release><versions><version>1.0</version><version> 1.10 </version>
<version>1.2</version><version/><version>2.0&#45;rc&amp;1</version><version><![CDATA[3.0]]></version></versions>
<lastUpdated>20240101000000</lastUpdated></versioning></metadata>"#;
        assert_eq!(
            metadata_versions("u", doc).unwrap(),
            ["1.0", "1.10", "1.2", "2.0-rc&1", "3.0"]
        );
        let bomb = br#"<?xml version="1.0"?><!DOCTYPE metadata [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]><metadata><versioning><versions><version>&b;</version></versions></versioning></metadata>"#;
        let e = metadata_versions("u", bomb).unwrap_err().to_string();
        assert_eq!(e, "u: a DOCTYPE is not accepted");
        let external = br#"<metadata><versioning><versions><version>&ext;</version></versions></versioning></metadata>"#;
        let e = metadata_versions("u", external).unwrap_err().to_string();
        assert_eq!(e, "u: entity `&ext;` is not accepted");
        let e = metadata_versions("u", b"<project><version>1</version></project>")
            .unwrap_err()
            .to_string();
        assert!(e.contains("no <metadata> root"), "{e}");
        let e = metadata_versions("u", b"<metadata><versioning>")
            .unwrap_err()
            .to_string();
        assert!(e.contains("u: "), "{e}");
        let deep = "<a>".repeat(100);
        assert!(metadata_versions("u", deep.as_bytes()).is_err());
        assert!(metadata_versions("u", b"\xff\xfe<metadata/>").is_err());
    }

    #[test]
    fn snapshot_metadata_names_files_and_skips_hostile_values() {
        let doc = br#"<metadata modelVersion="1.1.0"><version>1.0-SNAPSHOT</version><versioning>
<snapshot><timestamp>20240101.120000</timestamp><buildNumber>3</buildNumber></snapshot>
<snapshotVersions>
<snapshotVersion><extension>jar</extension><value>1.0-20240101.120000-3</value><updated>20240101120000</updated></snapshotVersion>
<snapshotVersion><classifier>sources</classifier><extension>jar</extension><value>1.0-x</value></snapshotVersion>
<snapshotVersion><extension>pom</extension><value>../../evil</value></snapshotVersion>
</snapshotVersions></versioning></metadata>"#;
        let files = snapshot_metadata("u", "1.0-SNAPSHOT", doc)
            .unwrap()
            .unwrap();
        let got: Vec<(&str, &str, Option<&str>)> = files
            .iter()
            .map(|f| (f.extension.as_str(), f.value.as_str(), f.updated.as_deref()))
            .collect();
        assert_eq!(
            got,
            [("jar", "1.0-20240101.120000-3", Some("20240101120000"))]
        );
        // Maven 2 metadata: `<snapshot>` only.
        let old = b"<metadata><versioning><snapshot><timestamp>20080101.010101</timestamp><buildNumber>7</buildNumber></snapshot></versioning></metadata>";
        let files = snapshot_metadata("u", "2.1-SNAPSHOT", old)
            .unwrap()
            .unwrap();
        assert_eq!(files.len(), 1);
        assert_eq!(
            (files[0].extension.as_str(), files[0].value.as_str()),
            ("*", "2.1-20080101.010101-7")
        );
        // `mvn install` writes `<localCopy>` and no timestamps: the plain version is used.
        let local = b"<metadata><versioning><snapshot><localCopy>true</localCopy></snapshot></versioning></metadata>";
        assert!(snapshot_metadata("u", "1-SNAPSHOT", local)
            .unwrap()
            .is_none());
        for bad in ["", ".hidden", "a/b", "a?b", "a#b", "a%2fb", "a b", "\\x"] {
            assert!(!is_segment(bad), "{bad}");
        }
        assert!(is_segment("1.0-20240101.120000-3"));
    }

    #[test]
    fn packagings() {
        assert_eq!(extension("jar"), "jar");
        assert_eq!(extension("bundle"), "jar");
        assert_eq!(extension("maven-plugin"), "jar");
        assert_eq!(extension("war"), "war");
        assert_eq!(extension("pom"), "pom");
        assert_eq!(extension("aar"), "aar");
    }
}
