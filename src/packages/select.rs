//! The releases that count: filters of `source`, then the version scheme's order and constraint.

use super::{Backend, PackageError, PackageSource, Release};
use crate::versions::{Constraint, Parsed, PreReleases};
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

/// The releases that count, oldest first: not yanked, parseable, allowed by `pre_releases`,
/// the regexes, `ignore` and `constraint`.
pub fn candidates(
    source: &PackageSource,
    backend: &dyn Backend,
) -> Result<Vec<Release>, PackageError> {
    let source = &source.common;
    let eco = backend.ecosystem();
    let pre = PreReleases::from(source.pre_releases);
    let constraint = source
        .constraint
        .as_deref()
        .map(|c| {
            Constraint::parse(eco, c, pre).map_err(|e| PackageError::Invalid {
                field: "source.constraint",
                detail: format!("invalid constraint `{c}`: {e}"),
            })
        })
        .transpose()?;
    let include = compile("source.include_regex", &source.include_regex)?;
    let exclude = compile("source.exclude_regex", &source.exclude_regex)?;
    let list: Vec<(Parsed, Release)> = backend
        .releases()?
        .into_iter()
        .filter(|r| !r.yanked)
        .filter(|r| include.as_ref().is_none_or(|re| re.is_match(&r.version)))
        .filter(|r| !exclude.as_ref().is_some_and(|re| re.is_match(&r.version)))
        .filter(|r| !source.ignore.contains(&r.version))
        .filter_map(|r| Parsed::parse(eco, &r.version, constraint.as_ref()).map(|p| (p, r)))
        // GitHub's own pre-release flag: only with `pre_releases: true`.
        .filter(|(_, r)| pre == PreReleases::All || !r.prerelease)
        .collect();
    let mut list = crate::versions::select(eco, constraint.as_ref(), pre, list, |(p, r)| {
        (r.version.as_str(), p)
    });
    list.sort_by(|a, b| a.0.cmp(&b.0).then_with(|| a.1.version.cmp(&b.1.version)));
    list.dedup_by(|a, b| a.1.version == b.1.version);
    Ok(list.into_iter().map(|(_, r)| r).collect())
}
