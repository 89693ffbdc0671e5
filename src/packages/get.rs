//! `in` of a package source: the version still listed, its outputs written, files downloaded
//! verified; DEST untouched on failure.

use super::{utc_seconds, Backend, PackageError, PackageSource, Release, ReleaseFile};
use crate::log;
use crate::protocol::{MetadataField, PackageVersion, VersionResponse};

/// The files `in` writes into DEST itself: a downloaded file never takes one of these names.
pub(crate) const OUTPUT_FILES: &[&str] = &[
    "version",
    "tag",
    "url",
    "published_at",
    "checksum",
    "app_version",
    "dist_tags",
    "commit_sha",
    "body",
];

/// Longest release `body` in `in`'s metadata (characters); the `body` file holds all of it.
const METADATA_BODY_CHARS: usize = 10_000;

/// Whether `text` is a git object name: 40 (SHA-1) or 64 (SHA-256) lowercase hex digits.
pub(crate) fn is_commit_sha(text: &str) -> bool {
    matches!(text.len(), 40 | 64)
        && text
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// Longest part of a server-given file name an error shows ([`log::shown_name`]).
pub(crate) const SHOWN_NAME_CHARS: usize = 200;

/// Why a file name the index gave cannot be a download's name in DEST, when it cannot: one
/// name, nothing that resolves elsewhere, nothing hidden.
fn unsafe_name(name: &str) -> Option<&'static str> {
    if name.is_empty() {
        Some("it is empty")
    } else if name.contains('/') {
        Some("it has a `/`")
    } else if name.contains('\0') {
        Some("it has a NUL")
    } else if name.starts_with('.') {
        Some("it starts with `.`")
    } else {
        None
    }
}

/// Refuses the files `download` matched unless each can be written into DEST under its own
/// name without replacing anything: not one of [`OUTPUT_FILES`], not [`unsafe_name`], not
/// listed twice. Checked before anything is downloaded.
fn check_download_names(
    files: &[&ReleaseFile],
    outputs: &[(String, String)],
    what: &str,
) -> Result<(), PackageError> {
    let refuse = |detail: String| PackageError::Invalid {
        field: "params.download",
        detail,
    };
    let mut seen = std::collections::HashSet::new();
    for file in files {
        if let Some(why) = unsafe_name(&file.name) {
            return Err(refuse(format!(
                "refusing file name `{}` of {what}: {why}; narrow `download` to leave it out",
                log::shown_name(&file.name, SHOWN_NAME_CHARS)
            )));
        }
        if !seen.insert(file.name.as_str()) {
            return Err(refuse(format!(
                "{what} lists `{}` twice; not choosing one",
                log::shown_name(&file.name, SHOWN_NAME_CHARS)
            )));
        }
    }
    let colliding: Vec<&str> = files
        .iter()
        .map(|f| f.name.as_str())
        .filter(|n| OUTPUT_FILES.contains(n) || outputs.iter().any(|(o, _)| o == n))
        .collect();
    if !colliding.is_empty() {
        return Err(refuse(format!(
            "`{}` of {what} would replace what `in` writes under that name ({}); narrow `download` to leave {} out (`*.tar.gz`, say)",
            colliding.join("`, `"),
            OUTPUT_FILES.join(", "),
            if colliding.len() == 1 { "it" } else { "them" }
        )));
    }
    Ok(())
}

/// A release body for metadata: at most [`METADATA_BODY_CHARS`] characters, `…` when cut.
fn metadata_body(body: &str) -> String {
    let mut shown: String = body.chars().take(METADATA_BODY_CHARS).collect();
    if body.chars().nth(METADATA_BODY_CHARS).is_some() {
        shown.push('…');
    }
    shown
}

/// `in`: checks the version is still listed, then writes `version`, `tag` (the release's tag,
/// else the version) and what the index publishes of it ([`OUTPUT_FILES`]), and downloads the
/// files `download` matches, each verified. Everything goes to a private staging directory in
/// DEST, moved in once all succeeded: a failed get (a file whose hash does not match, say)
/// leaves DEST as it found it.
pub(crate) fn get(
    source: &PackageSource,
    version: PackageVersion,
    download: Option<&str>,
    dest: &std::path::Path,
) -> Result<VersionResponse<PackageVersion>, PackageError> {
    let backend = source.open()?;
    let name = source.name();
    let release = listed_release(backend.as_ref(), name, &version)?;
    let release = backend.details(release, download)?;
    // The outputs every source writes, and the source's own (a Terraform provider's platforms).
    let own: Vec<&str> = release.outputs.iter().map(|(o, _)| o.as_str()).collect();
    let staging = crate::fsutil::InStaging::new(dest, &[OUTPUT_FILES, &own].concat())?;
    let mut out = Outputs {
        staging: &staging,
        metadata: Vec::new(),
    };
    write_version(&mut out, name, &version, &release)?;
    write_published(&mut out, name, &version, &release)?;
    if let Some(glob) = download {
        download_files(&mut out, backend.as_ref(), name, &version, &release, glob)?;
    }
    if !release.dist_tags.is_empty() {
        out.write("dist_tags", release.dist_tags.join(" "))?;
    }
    for (file, value) in &release.outputs {
        out.write(file, value.clone())?;
    }
    let metadata = out.metadata;
    staging.commit()?;
    Ok(VersionResponse { version, metadata })
}

/// The release `version` names, as the index lists it now. Two tags can name one version
/// (`v1.0.0`, `1.0.0`): the one `check` reported, when given.
fn listed_release(
    backend: &dyn Backend,
    name: &str,
    version: &PackageVersion,
) -> Result<Release, PackageError> {
    let listed = backend.releases()?;
    let same_tag = |r: &Release| {
        version
            .tag
            .as_deref()
            .is_none_or(|t| r.tag.as_deref().unwrap_or(&r.version) == t)
    };
    listed
        .iter()
        .find(|r| r.version == version.version && same_tag(r))
        .or_else(|| listed.iter().find(|r| r.version == version.version))
        .cloned()
        .ok_or_else(|| PackageError::Invalid {
            field: "version",
            detail: format!("{name} {} is no longer listed", version.version),
        })
}

/// The files `in` writes into the staging directory, and the metadata that goes with them.
struct Outputs<'a> {
    staging: &'a crate::fsutil::InStaging,
    metadata: Vec<MetadataField>,
}

impl Outputs<'_> {
    /// Writes `file` (one of [`OUTPUT_FILES`]) and the metadata field of that name.
    fn write(&mut self, file: &str, text: String) -> Result<(), PackageError> {
        self.write_file(file, &text)?;
        self.metadata.push(MetadataField::new(file, text));
        Ok(())
    }

    /// Writes `file` (one of [`OUTPUT_FILES`]) only.
    fn write_file(&mut self, file: &str, text: &str) -> Result<(), PackageError> {
        Ok(self.staging.write(file, text.as_bytes())?)
    }
}

/// `version` and `tag`: the version's tag (the listing's when a pinned `version` leaves it out),
/// else the version.
fn write_version(
    out: &mut Outputs<'_>,
    name: &str,
    version: &PackageVersion,
    release: &Release,
) -> Result<(), PackageError> {
    let tag = version
        .tag
        .clone()
        .or_else(|| release.tag.clone())
        .unwrap_or_else(|| version.version.clone());
    out.write_file("version", &version.version)?;
    out.write_file("tag", &tag)?;
    log::info(format_args!("{name} {}", version.version));
    out.metadata
        .push(MetadataField::new("package", name.to_string()));
    out.metadata
        .push(MetadataField::new("version", version.version.clone()));
    if tag != version.version {
        out.metadata.push(MetadataField::new("tag", tag));
    }
    Ok(())
}

/// What the index publishes of the release: its page, date, checksum, app version, commit and
/// release notes.
fn write_published(
    out: &mut Outputs<'_>,
    name: &str,
    version: &PackageVersion,
    release: &Release,
) -> Result<(), PackageError> {
    // One format whatever the index wrote (an offset, nanoseconds, or not a date at all).
    let published_at = release.published_at.as_deref().and_then(|t| {
        let utc = utc_seconds(t);
        if utc.is_none() {
            log::warn(format_args!(
                "published_at of {name} {} is not an RFC 3339 date: left out",
                version.version
            ));
        }
        utc
    });
    // A page on an index whose URL holds credentials is shown without them.
    let page = release
        .url
        .as_deref()
        .map(|u| crate::log::strip_userinfo(u).into_owned());
    for (file, value) in [
        ("url", page),
        ("published_at", published_at),
        ("checksum", release.checksum.clone()),
        ("app_version", release.app_version.clone()),
        ("commit_sha", release.commit_sha.clone()),
    ] {
        if let Some(v) = value {
            out.write(file, v)?;
        }
    }
    if let Some(body) = &release.body {
        out.write_file("body", body)?;
        if !body.is_empty() {
            out.metadata
                .push(MetadataField::new("body", metadata_body(body)));
        }
    }
    Ok(())
}

/// Downloads the release files `glob` matches, each verified against its published hash,
/// refusing first a glob that matches nothing, a name that is not safe, and a file without a hash.
fn download_files(
    out: &mut Outputs<'_>,
    backend: &dyn Backend,
    name: &str,
    version: &PackageVersion,
    release: &Release,
    glob: &str,
) -> Result<(), PackageError> {
    let matching = matching_files(release, glob, name, version)?;
    check_download_names(
        &matching,
        &release.outputs,
        &format!("{name} {}", version.version),
    )?;
    let mut got = Vec::new();
    for file in matching {
        let hash = file.hash.as_deref().ok_or_else(|| PackageError::Invalid {
            field: "params.download",
            detail: format!(
                "{}: the index publishes no hash for it; not downloading it unverified",
                file.name
            ),
        })?;
        backend.download(file, hash, &out.staging.path().join(&file.name))?;
        log::info(format_args!("downloaded {} ({hash})", file.name));
        got.push(file.name.clone());
    }
    out.metadata
        .push(MetadataField::new("files", got.join(" ")));
    Ok(())
}

/// The release's files `glob` matches; none is an error listing what it has.
fn matching_files<'r>(
    release: &'r Release,
    glob: &str,
    name: &str,
    version: &PackageVersion,
) -> Result<Vec<&'r ReleaseFile>, PackageError> {
    let re = crate::fsutil::glob_regex(glob).map_err(|e| PackageError::Invalid {
        field: "params.download",
        detail: format!("`{glob}`: {e}"),
    })?;
    let matching: Vec<&ReleaseFile> = release
        .files
        .iter()
        .filter(|f| re.is_match(&f.name))
        .collect();
    if matching.is_empty() {
        let names: Vec<String> = release
            .files
            .iter()
            .map(|f| log::shown_name(&f.name, SHOWN_NAME_CHARS))
            .collect();
        return Err(PackageError::Invalid {
            field: "params.download",
            detail: format!(
                "no file of {name} {} matches `{glob}`; it has: {}",
                version.version,
                log::shown_list(names, release.files.len())
            ),
        });
    }
    Ok(matching)
}
