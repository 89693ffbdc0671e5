//! dpkg's `status` and distroless `status.d` files: deb822 stanzas read line by line, only the
//! fields uptick needs kept (a reader of its own: `packages::apt`'s `for_each_stanza` wants the
//! whole document in memory and lives in another room).

use super::{InstalledPackage, ReadError};
use std::io::BufRead;

/// The fields kept of one stanza.
#[derive(Default)]
struct Stanza {
    package: Option<String>,
    version: Option<String>,
    architecture: Option<String>,
    source: Option<String>,
    status: Option<String>,
}

/// Appends the installed packages of a deb822 document to `out` (at most `max` in all).
/// `status_file`: the document is dpkg's `status`, whose stanzas say in `Status:` whether the
/// package is installed; `status.d` stanzas (control files) have no `Status:` and all count.
pub(super) fn read(
    mut r: impl BufRead,
    status_file: bool,
    out: &mut Vec<InstalledPackage>,
    max: usize,
) -> Result<(), ReadError> {
    let mut line = Vec::new();
    let mut stanza = Stanza::default();
    loop {
        line.clear();
        let n = r.read_until(b'\n', &mut line).map_err(ReadError::Io)?;
        let text = String::from_utf8_lossy(&line);
        let text = text.trim_end_matches(['\n', '\r']);
        if n == 0 || text.trim().is_empty() {
            finish(std::mem::take(&mut stanza), status_file, out, max)?;
            if n == 0 {
                return Ok(());
            }
        } else if !text.starts_with([' ', '\t']) {
            field(&mut stanza, text);
        }
    }
}

/// Records `Key: value` when the key is one uptick keeps (field names are case-insensitive).
fn field(stanza: &mut Stanza, line: &str) {
    let Some((key, value)) = line.split_once(':') else {
        return;
    };
    let value = Some(value.trim().to_string());
    let key = key.trim();
    let slot = [
        ("Package", &mut stanza.package),
        ("Version", &mut stanza.version),
        ("Architecture", &mut stanza.architecture),
        ("Source", &mut stanza.source),
        ("Status", &mut stanza.status),
    ]
    .into_iter()
    .find(|(name, _)| name.eq_ignore_ascii_case(key));
    if let Some((_, slot)) = slot {
        *slot = value;
    }
}

/// Whether a package with this `Status:` line is installed. The line is `want flag state`
/// (dpkg(1), "Information about packages"); the package counts unless its state is
/// `not-installed` or `config-files`, as apt reads it (apt's `debListParser::ParseStatus` sets
/// the current version for every other state): the selection (`install`, `hold`, `deinstall`,
/// …) is a wish and `reinstreq` a repair flag, while the files of that version are on disk.
fn installed(status: &str) -> bool {
    match status.split_whitespace().nth(2) {
        None | Some("not-installed" | "config-files") => false,
        Some(_) => true,
    }
}

/// Appends the stanza's package when it is installed and has a name and a version.
fn finish(
    s: Stanza,
    status_file: bool,
    out: &mut Vec<InstalledPackage>,
    max: usize,
) -> Result<(), ReadError> {
    let (Some(name), Some(version)) = (s.package, s.version) else {
        return Ok(());
    };
    let counted = match &s.status {
        Some(status) => installed(status),
        None => !status_file,
    };
    if !counted || name.is_empty() || version.is_empty() {
        return Ok(());
    }
    if out.len() >= max {
        return Err(ReadError::TooMany);
    }
    let source = s.source.and_then(|v| source(&v, &version));
    out.push(InstalledPackage {
        name,
        version,
        architecture: s.architecture.unwrap_or_default(),
        source,
    });
    Ok(())
}

/// `Source: name` or `Source: name (version)` (Debian Policy 5.6.1); the binary's version when
/// the field names none.
fn source(value: &str, binary_version: &str) -> Option<(String, String)> {
    let (name, version) = match value.split_once('(') {
        Some((name, rest)) => (name.trim(), rest.split(')').next().unwrap_or("").trim()),
        None => (value.trim(), binary_version),
    };
    if name.is_empty() {
        return None;
    }
    let version = if version.is_empty() {
        binary_version
    } else {
        version
    };
    Some((name.to_string(), version.to_string()))
}
