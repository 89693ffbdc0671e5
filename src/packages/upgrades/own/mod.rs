//! The image's own repositories and keys, for `updates` without `apt` / `apk`: its apt sources
//! and apk repositories read from the files the image side gathers, each with the keys the image
//! trusts for it; one that cannot be verified is an error unless listed as insecure.
//!
//! Bounds: each file at most [`MAX_FILE_BYTES`]; at most [`MAX_SOURCE_LINES`] source lines
//! (one-line sources, deb822 stanzas, apk lines) per kind, [`MAX_KEYRING_FILES`] keyring files,
//! [`MAX_REPOSITORIES`] repositories.

// Not called yet: the image side wires it (issue 26); remove this then.

mod apk;
mod apt;
mod keys;
#[cfg(test)]
mod tests;

use super::PackageError;
use crate::net::redact_url;
use crate::protocol::{UpdatesApt, UpdatesField};
use std::collections::BTreeMap;

/// The files and directories (ending `/`: the files directly in them) the image side gathers from the
/// image's layers for [`repositories`]: apt's source lists, apt's keyrings (the default trust
/// and where `Signed-By` keyrings live), apk's repository list and keys.
pub(crate) const WANTED: &[&str] = &[
    apt::SOURCES_LIST,
    apt::SOURCES_DIR,
    keys::TRUSTED,
    keys::TRUSTED_DIR,
    "/etc/apt/keyrings/",
    "/usr/share/keyrings/",
    apk::REPOSITORIES,
    apk::KEYS_DIR,
];

/// Largest file read (Debian's `debian-archive-keyring.gpg`: 56 KB).
pub(crate) const MAX_FILE_BYTES: usize = 1024 * 1024;
/// Most apt source lines and stanzas together, and most apk repository lines.
pub(crate) const MAX_SOURCE_LINES: usize = 256;
/// Most keyring files read (apt's and apk's).
pub(crate) const MAX_KEYRING_FILES: usize = 64;
/// Most repositories (apt suite/component pairs and apk repositories together).
pub(crate) const MAX_REPOSITORIES: usize = 64;

/// Whether the image side should gather `path` (an absolute path in the image) for
/// [`repositories`].
pub(crate) fn wanted(path: &str) -> bool {
    WANTED.iter().any(|w| {
        path == *w
            || (w.ends_with('/')
                && path
                    .strip_prefix(w)
                    .is_some_and(|rest| !rest.is_empty() && !rest.contains('/')))
    })
}

/// The image's repositories as `source.updates` would list them, and one line per decision for
/// stderr (which repositories, with which keys; what was skipped and why).
#[derive(Debug)]
pub(crate) struct Own {
    pub field: UpdatesField,
    pub notes: Vec<String>,
}

type Notes = Vec<String>;

/// The image's gathered files (absolute path → contents).
pub(super) struct Files<'a>(&'a BTreeMap<String, Vec<u8>>);

impl Files<'_> {
    fn get(&self, path: &str) -> Option<&[u8]> {
        self.0.get(path).map(Vec::as_slice)
    }

    /// The files whose path starts with `prefix`, in path order.
    fn under<'s>(&'s self, prefix: &'s str) -> impl Iterator<Item = (&'s str, &'s [u8])> + 's {
        self.0
            .range::<str, _>((
                std::ops::Bound::Included(prefix),
                std::ops::Bound::Unbounded,
            ))
            .take_while(move |(path, _)| path.starts_with(prefix))
            .map(|(path, data)| (path.as_str(), data.as_slice()))
    }
}

/// The URIs the user lists as insecure, and which of them matched a repository.
pub(super) struct Insecure {
    uris: Vec<(String, bool)>,
}

impl Insecure {
    fn new(uris: &[String]) -> Insecure {
        let uris = uris.iter().map(|u| (normal(u).to_string(), false));
        Insecure {
            uris: uris.collect(),
        }
    }

    /// Whether `uri` is listed (trailing `/` aside).
    fn covers(&mut self, uri: &str) -> bool {
        let mut found = false;
        for (listed, used) in &mut self.uris {
            if listed == normal(uri) {
                *used = true;
                found = true;
            }
        }
        found
    }
}

fn normal(uri: &str) -> &str {
    uri.trim_end_matches('/')
}

/// The image's own repositories from its gathered `files` (absolute path → contents, as
/// [`WANTED`] selects): apt sources with their `Signed-By` keyrings or apt's default keyrings,
/// apk repositories with `/etc/apk/keys/*.pub`. A repository whose keys cannot be found or read
/// is an error naming its source line, unless its URI is in `insecure`; `trusted=yes` in the
/// image reads it without a check too, with a warning note. No repository at all is not an
/// error here (the field is empty; a note says so).
pub(crate) fn repositories(
    files: &BTreeMap<String, Vec<u8>>,
    insecure: &[String],
) -> Result<Own, PackageError> {
    let malformed = |detail: String| PackageError::Malformed {
        url: "the image's own repositories".into(),
        detail,
    };
    if let Some((path, data)) = files.iter().find(|(_, d)| d.len() > MAX_FILE_BYTES) {
        let size = data.len();
        return Err(malformed(format!(
            "{path}: {size} bytes, more than the {MAX_FILE_BYTES} read"
        )));
    }
    let files = Files(files);
    let mut insecure = Insecure::new(insecure);
    let mut notes =
        vec!["no updates.apt / updates.apk given: using the image's own repositories".into()];
    let apt = apt_repositories(&files, &mut insecure, &mut notes).map_err(malformed)?;
    let apk = apk::repositories(&files, &mut insecure, &mut notes).map_err(malformed)?;
    if apt.len() + apk.len() > MAX_REPOSITORIES {
        return Err(malformed(format!(
            "more than {MAX_REPOSITORIES} repositories ({} apt, {} apk)",
            apt.len(),
            apk.len()
        )));
    }
    if apt.is_empty() && apk.is_empty() {
        notes.push("the image lists no apt or apk repository uptick can read".into());
    }
    for (uri, used) in &insecure.uris {
        if !used {
            let shown = redact_url(uri);
            notes.push(format!(
                "insecure: {shown} is none of the image's repositories"
            ));
        }
    }
    let field = UpdatesField {
        apt,
        apk,
        ..UpdatesField::default()
    };
    Ok(Own { field, notes })
}

/// One [`UpdatesApt`] per (URI, suite, component) of the image's `deb` sources, first listing
/// first; flat repositories and URIs other than http(s) are noted and skipped.
fn apt_repositories(
    files: &Files<'_>,
    insecure: &mut Insecure,
    notes: &mut Notes,
) -> Result<Vec<UpdatesApt>, String> {
    let entries = apt::entries(files, notes)?;
    let mut keys = keys::AptKeys::new(files);
    let mut out: Vec<UpdatesApt> = Vec::new();
    for entry in &entries {
        for uri in &entry.uris {
            let shown = redact_url(uri);
            if !(uri.starts_with("http://") || uri.starts_with("https://")) {
                let origin = &entry.origin;
                notes.push(format!("skipped {origin}: {shown} is not an http(s) URI"));
                continue;
            }
            for suite in &entry.suites {
                if !readable_suite(entry, &shown, suite, notes)? {
                    continue;
                }
                let (signed_by, insecure) = trust(entry, uri, suite, &mut keys, insecure, notes)?;
                for component in &entry.components {
                    let apt = UpdatesApt {
                        repository: normal(uri).to_string(),
                        suite: suite.clone(),
                        component: Some(component.clone()),
                        signed_by: signed_by.clone(),
                        check_valid_until: entry.check_valid_until,
                        insecure,
                    };
                    let same = |a: &UpdatesApt| {
                        (&a.repository, &a.suite, &a.component)
                            == (&apt.repository, &apt.suite, &apt.component)
                    };
                    if !out.iter().any(same) {
                        out.push(apt);
                    }
                }
            }
        }
    }
    Ok(out)
}

/// Whether `suite` names a `dists/` suite uptick reads: a flat repository (`suite/`, no
/// components) or a suite with `$(ARCH)` is noted and skipped; a suite without components is
/// malformed.
fn readable_suite(
    entry: &apt::Entry,
    shown: &str,
    suite: &str,
    notes: &mut Notes,
) -> Result<bool, String> {
    let origin = &entry.origin;
    if suite.ends_with('/') {
        notes.push(format!(
            "skipped {origin}: {shown} {suite} is a flat repository, which uptick does not read"
        ));
        return Ok(false);
    }
    if suite.contains("$(") {
        notes.push(format!(
            "skipped {origin}: {shown} {suite} names the architecture, which uptick does not expand"
        ));
        return Ok(false);
    }
    if entry.components.is_empty() {
        return Err(format!(
            "{origin}: {shown} {suite}: no component (only a flat repository, `suite/`, has none)"
        ));
    }
    Ok(true)
}

/// How one (URI, suite) of `entry` is verified: `(signed_by, insecure)`, noted; an error when
/// it cannot be and neither the user nor the image's `trusted=yes` says to read it unchecked.
fn trust(
    entry: &apt::Entry,
    uri: &str,
    suite: &str,
    keys: &mut keys::AptKeys<'_>,
    insecure: &mut Insecure,
    notes: &mut Notes,
) -> Result<(Option<String>, bool), String> {
    let origin = &entry.origin;
    let shown = redact_url(uri);
    let what = format!(
        "apt {shown} {suite} [{}] ({origin})",
        entry.components.join(" ")
    );
    if insecure.covers(uri) {
        notes.push(format!("{what}: read without a signature check (insecure)"));
        return Ok((None, true));
    }
    if entry.trusted {
        notes.push(format!(
            "warning: {what}: trusted=yes in the image, read without a signature check as apt does"
        ));
        return Ok((None, true));
    }
    match keys.keys(&entry.signed_by, notes) {
        Ok(found) => {
            notes.push(format!("{what}: signed by {}", found.from));
            Ok((Some(found.armored), false))
        }
        Err(why) => Err(format!(
            "{origin}: {shown} {suite} cannot be verified: {why}; list {shown} under source.updates.insecure \
             to read it without a signature check"
        )),
    }
}
