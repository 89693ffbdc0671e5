//! apk's repositories as the image lists them (`/etc/apk/repositories`) and the keys it trusts
//! (`/etc/apk/keys/*.pub`, PEM RSA public keys).

use super::{Files, Insecure, Notes, MAX_KEYRING_FILES, MAX_SOURCE_LINES};
use crate::net::redact_url;
use crate::protocol::UpdatesApk;

/// The image's repository list.
pub(super) const REPOSITORIES: &str = "/etc/apk/repositories";
/// The image's trusted keys.
pub(super) const KEYS_DIR: &str = "/etc/apk/keys/";

/// The image's http(s) apk repositories, each with all the image's keys (or `insecure` when the
/// user listed it); a repository without keys is an error naming its line.
pub(super) fn repositories(
    files: &Files<'_>,
    insecure: &mut Insecure,
    notes: &mut Notes,
) -> Result<Vec<UpdatesApk>, String> {
    let Some(data) = files.get(REPOSITORIES) else {
        return Ok(Vec::new());
    };
    let text = std::str::from_utf8(data).map_err(|_| format!("{REPOSITORIES}: not UTF-8 text"))?;
    let urls = urls(text, notes)?;
    if urls.is_empty() {
        return Ok(Vec::new());
    }
    let keys = keys(files, notes)?;
    let mut out = Vec::new();
    for (line, url) in urls {
        let shown = redact_url(url);
        let insecure = insecure.covers(url);
        let signed_by = match (&keys, insecure) {
            (_, true) => {
                notes.push(format!(
                    "apk {shown} ({REPOSITORIES}:{line}): read without a signature check (insecure)"
                ));
                None
            }
            (Some((pem, names)), false) => {
                notes.push(format!(
                    "apk {shown} ({REPOSITORIES}:{line}): signed by {names}"
                ));
                Some(pem.clone())
            }
            (None, false) => {
                return Err(format!(
                    "{REPOSITORIES}:{line}: {shown} cannot be verified: no key in {KEYS_DIR} \
                     (*.pub); list it under source.updates.insecure to read it without a signature check"
                ))
            }
        };
        out.push(UpdatesApk {
            repository: url.trim_end_matches('/').to_string(),
            signed_by,
            insecure,
        });
    }
    Ok(out)
}

/// The http(s) repositories of the list, with their line numbers; comments and blank lines
/// skipped, tagged (`@testing …`: only packages pinned to the tag come from it), local and
/// other repositories noted and skipped.
fn urls<'t>(text: &'t str, notes: &mut Notes) -> Result<Vec<(usize, &'t str)>, String> {
    let mut out = Vec::new();
    let mut read = 0;
    for (n, line) in text.lines().enumerate() {
        let Some(first) = line.split_whitespace().next() else {
            continue;
        };
        if first.starts_with('#') {
            continue;
        }
        read += 1;
        if read > MAX_SOURCE_LINES {
            return Err(format!(
                "{REPOSITORIES}: more than {MAX_SOURCE_LINES} lines"
            ));
        }
        let at = format!("{REPOSITORIES}:{}", n + 1);
        if first.starts_with('@') {
            notes.push(format!(
                "skipped {at}: a tagged repository ({first}) serves only packages pinned to it"
            ));
        } else if first.starts_with("http://") || first.starts_with("https://") {
            out.push((n + 1, first));
        } else if first.starts_with('/') {
            notes.push(format!("skipped {at}: a local repository ({first})"));
        } else {
            notes.push(format!("skipped {at}: not an http(s) repository"));
        }
    }
    Ok(out)
}

/// Every `*.pub` key of `/etc/apk/keys/` that is a PEM public key, concatenated, and their
/// file names; `None` when there is none.
fn keys(files: &Files<'_>, notes: &mut Notes) -> Result<Option<(String, String)>, String> {
    let mut pem = String::new();
    let mut names = Vec::new();
    for (count, (path, data)) in files.under(KEYS_DIR).enumerate() {
        let name = &path[KEYS_DIR.len()..];
        if name.contains('/') || !name.ends_with(".pub") {
            continue;
        }
        if count >= MAX_KEYRING_FILES {
            return Err(format!("more than {MAX_KEYRING_FILES} files in {KEYS_DIR}"));
        }
        match std::str::from_utf8(data) {
            Ok(text) if text.contains("-----BEGIN PUBLIC KEY-----") => {
                pem.push_str(text.trim_end());
                pem.push('\n');
                names.push(name);
            }
            _ => notes.push(format!("ignored key {path}: not a PEM public key")),
        }
    }
    Ok((!names.is_empty()).then(|| (pem, format!("{KEYS_DIR}{{{}}}", names.join(",")))))
}
