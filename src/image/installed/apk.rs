//! apk's installed database (`lib/apk/db/installed`, apk-tools v2 text format): records of
//! `X:value` lines separated by blank lines; `P` name, `V` version, `A` arch, `o` origin
//! (apk-package(5): `name (pkgname, P)`, `version (pkgver, V)`, `arch (arch, A)`,
//! `origin (origin, o)`). Other lines (files `R:`, directories `F:`, checksums, …) are skipped.

use super::{InstalledPackage, ReadError};
use std::io::BufRead;

/// The fields kept of one record.
#[derive(Default)]
struct Record {
    name: Option<String>,
    version: Option<String>,
    arch: Option<String>,
    origin: Option<String>,
}

/// Appends the packages of an apk installed database to `out` (at most `max` in all).
pub(super) fn read(
    mut r: impl BufRead,
    out: &mut Vec<InstalledPackage>,
    max: usize,
) -> Result<(), ReadError> {
    let mut line = Vec::new();
    let mut record = Record::default();
    loop {
        line.clear();
        let n = r.read_until(b'\n', &mut line).map_err(ReadError::Io)?;
        let text = String::from_utf8_lossy(&line);
        let text = text.trim_end_matches(['\n', '\r']);
        if n == 0 || text.trim().is_empty() {
            finish(std::mem::take(&mut record), out, max)?;
            if n == 0 {
                return Ok(());
            }
        } else if let Some((key, value)) = text.split_once(':') {
            let slot = match key {
                "P" => &mut record.name,
                "V" => &mut record.version,
                "A" => &mut record.arch,
                "o" => &mut record.origin,
                _ => continue,
            };
            *slot = Some(value.trim().to_string());
        }
    }
}

/// Appends the record's package when it has a name and a version; its origin (the source
/// package, built at the same version) becomes `source`.
fn finish(r: Record, out: &mut Vec<InstalledPackage>, max: usize) -> Result<(), ReadError> {
    let (Some(name), Some(version)) = (r.name, r.version) else {
        return Ok(());
    };
    if name.is_empty() || version.is_empty() {
        return Ok(());
    }
    if out.len() >= max {
        return Err(ReadError::TooMany);
    }
    let source = r
        .origin
        .filter(|o| !o.is_empty())
        .map(|o| (o, version.clone()));
    out.push(InstalledPackage {
        name,
        version,
        architecture: r.arch.unwrap_or_default(),
        source,
    });
    Ok(())
}
