//! The releases that count: filters of `source`, then the version scheme's order and constraint.

use super::{Backend, PackageError, PackageSource, Release};
use crate::versions::PreReleases;
use regex::Regex;

pub(crate) fn compile(
    field: &'static str,
    pattern: &Option<String>,
) -> Result<Option<Regex>, PackageError> {
    pattern
        .as_deref()
        .map(|p| {
            Regex::new(p).map_err(|e| PackageError::Invalid {
                field,
                detail: format!("invalid regex: {}", e.to_string().replace('\n', " ")),
            })
        })
        .transpose()
}

/// The releases that count, oldest first: not yanked, allowed by the regexes, `ignore`,
/// `pre_releases` and `constraint`, read and ordered by the backend's version scheme.
pub(crate) fn candidates(
    source: &PackageSource,
    backend: &dyn Backend,
) -> Result<Vec<Release>, PackageError> {
    let source = &source.common;
    let scheme = backend.scheme();
    let pre = PreReleases::from(source.pre_releases);
    let constraint = source.constraint.as_deref();
    let invalid = |c: &str, e: String| PackageError::Invalid {
        field: "source.constraint",
        detail: format!("invalid constraint `{c}`: {e}"),
    };
    // Checked before any request.
    if let Some(c) = constraint {
        scheme.check_constraint(c, pre).map_err(|e| invalid(c, e))?;
    }
    let include = compile("source.include_regex", &source.include_regex)?;
    let exclude = compile("source.exclude_regex", &source.exclude_regex)?;
    let mut list: Vec<Option<Release>> = backend
        .releases()?
        .into_iter()
        .filter(|r| !r.yanked)
        .filter(|r| include.as_ref().is_none_or(|re| re.is_match(&r.version)))
        .filter(|r| !exclude.as_ref().is_some_and(|re| re.is_match(&r.version)))
        .filter(|r| !source.ignore.contains(&r.version))
        // GitHub's own pre-release flag: only with `pre_releases: true`.
        .filter(|r| pre == PreReleases::All || !r.prerelease)
        .map(Some)
        .collect();
    let texts: Vec<&str> = list.iter().flatten().map(|r| r.version.as_str()).collect();
    let order = scheme
        .order(&texts, constraint, pre)
        .map_err(|e| invalid(constraint.unwrap_or(""), e))?;
    Ok(order.into_iter().filter_map(|i| list[i].take()).collect())
}
