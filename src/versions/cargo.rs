//! Cargo's scheme (crates.io): strict semver versions under Cargo requirements.

use super::scheme::plain_pre_rule;
use super::{PreReleases, Scheme};
use ::semver::{Version, VersionReq};

/// Cargo's scheme.
pub(crate) struct CargoScheme;

/// Cargo's scheme (crates.io).
pub(crate) static CARGO: CargoScheme = CargoScheme;

impl Scheme for CargoScheme {
    type Version = Version;
    type Constraint = VersionReq;

    fn parse(&self, text: &str, _: Option<&VersionReq>) -> Option<Version> {
        Version::parse(text).ok()
    }

    fn constraint(&self, text: &str, _: PreReleases) -> Result<VersionReq, String> {
        VersionReq::parse(text).map_err(|e| e.to_string())
    }

    fn is_prerelease(&self, v: &Version) -> bool {
        !v.pre.is_empty()
    }

    /// Pre-releases only with `pre_releases: true`, then `VersionReq::matches` (unchanged).
    fn admits(&self, c: Option<&VersionReq>, pre: PreReleases, _: &str, v: &Version) -> bool {
        plain_pre_rule(pre, !v.pre.is_empty()) && c.is_none_or(|r| r.matches(v))
    }
}
