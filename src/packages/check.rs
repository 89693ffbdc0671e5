//! `check` of a package source: the cursor and what is newer, or the newest.

use super::{candidates, PackageError, PackageSource, Release};
use crate::protocol::PackageVersion;

/// `check`: the newest version on a first check; the cursor and everything newer while the
/// cursor is still listed; the newest when it is gone.
pub(crate) fn check(
    source: &PackageSource,
    cursor: Option<PackageVersion>,
) -> Result<Vec<PackageVersion>, PackageError> {
    let backend = source.open()?;
    let all = candidates(source, backend.as_ref())?;
    let version = |r: &Release| PackageVersion {
        version: r.version.clone(),
        tag: r.tag.clone(),
    };
    let from = cursor.and_then(|c| all.iter().position(|r| r.version == c.version));
    Ok(match from {
        Some(i) => all[i..].iter().map(version).collect(),
        None => all.last().map(version).into_iter().collect(),
    })
}
