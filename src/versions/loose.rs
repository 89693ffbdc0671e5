//! Tag versions read loosely (Masterminds: a leading `v`, one to three numbers, leading zeros)
//! under node-semver ranges: GitHub, GitLab and git tags, Helm chart versions.

use super::{npm, semver, PreReleases, Scheme};

/// A tag or chart version read as Masterminds' `NewVersion` does, as a node-semver version.
pub(crate) fn read(text: &str) -> Option<npm::Version> {
    let v = semver::Version::parse(text).ok()?;
    let (major, minor, patch) = v.triple();
    Some(npm::Version::from_parts(
        major,
        minor,
        patch,
        v.prerelease(),
    ))
}

/// The loose tag scheme.
pub(crate) struct LooseScheme;

/// The loose tag scheme (GitHub, GitLab, git, Helm).
pub(crate) static LOOSE: LooseScheme = LooseScheme;

impl Scheme for LooseScheme {
    type Version = npm::Version;
    type Constraint = npm::Range;

    fn parse(&self, text: &str, _: Option<&npm::Range>) -> Option<npm::Version> {
        read(text)
    }

    fn constraint(&self, text: &str, pre: PreReleases) -> Result<npm::Range, String> {
        npm::range(text, pre)
    }

    fn is_prerelease(&self, v: &npm::Version) -> bool {
        v.is_prerelease()
    }

    fn admits(&self, c: Option<&npm::Range>, pre: PreReleases, _: &str, v: &npm::Version) -> bool {
        npm::admits(c, pre, v)
    }
}
