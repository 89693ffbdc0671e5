//! Maven versions and version ranges as Maven 3.8's `ComparableVersion` and `VersionRange` read them.
//!
//! A version is split into items (`maven-artifact`'s `ComparableVersion`, the POM reference's
//! "Version Order Specification"): `.` and `-` separate items, and so does every switch between
//! digits and letters (`1alpha2` = `1-alpha-2`); a `-` and a digit/letter switch open a nested
//! list, and so does (since Maven 3.8) a qualifier that does not start its list when a digit or
//! the end follows it (`ga.b` is `[[b]]`). Digit runs are numbers (any length, leading zeros
//! dropped). Letter runs are qualifiers, lower-cased, with aliases (`a1` = `alpha-1`, `b1` =
//! `beta-1`, `m1` = `milestone-1` when a digit follows; `cr` = `rc`; `ga` = `final` = `release`
//! = the empty qualifier), ordered `alpha` < `beta` < `milestone` < `rc` < `snapshot` < (none)
//! < `sp` < any other qualifier (those among themselves as text). Trailing "null" items (`0`,
//! the empty qualifier, an empty list) are dropped from each list, looking past nested lists,
//! so `1` = `1.0` = `1.0.0` = `1-0` = `1.ga`. Items compare pairwise, the shorter list padded
//! with nothing: a number is newer than a qualifier or a list (`1.1` > `1-1` > `1-sp`), a list
//! newer than a qualifier; against nothing a number is newer unless it is `0`, a qualifier
//! newer only when it ranks above the release (`1-sp` > `1` > `1-rc`), a list as the first of
//! its items that is not equal to nothing (since Maven 3.8.2: `0` < `0-0.2`). A pre-release is a version with a qualifier ranked
//! below the release anywhere (`alpha` … `snapshot`); other qualifiers (`-jre`, `-preview`,
//! `-ea`) sort after the release and are not pre-releases.
//!
//! A range is Maven's `VersionRange` spec: `[1.0,2.0)`, `(,1.0]`, `[1.5,)`, `[1.0]` (exactly),
//! and unions of such sets separated by commas (`(,1.0],[1.2,)`), which must not overlap. A bare
//! version (`1.0`) is Maven's soft requirement: Maven's `containsVersion` admits everything for
//! it (it is only a recommendation), so uptick reads it as the version Maven resolves it to when
//! nothing overrides it: exactly that version (`1.0` admits `1` and `1.0.0`, like `[1.0]`). A
//! bare version holding an operator or blank (`>=1.0`, `1.*`, `~1.2`) is refused rather than
//! read as a version of that name.
//!
//! Only printable ASCII is read (Maven's `Character.isDigit` also takes non-ASCII digits, and
//! Java compares qualifiers by UTF-16 units): a version with other characters is skipped.

mod range;
#[cfg(test)]
mod tests;
mod version;

pub use range::Range;
pub use version::Version;

/// Why a text is not a Maven version or range.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum MavenError {
    /// Empty, longer than [`MAX_VERSION_LEN`], or not printable ASCII.
    #[error("`{0}` is not a Maven version (empty, longer than 256 bytes, or not printable ASCII)")]
    Version(String),
    /// The range breaks `VersionRange`'s grammar.
    #[error("`{spec}` is not a Maven version range: {detail}")]
    Range {
        /// The constraint.
        spec: String,
        /// What is wrong (Maven's own wording).
        detail: String,
    },
}

/// Longest version read: each `-` nests a list, and lists are compared and dropped recursively,
/// so a server's version text must not nest without bound.
pub const MAX_VERSION_LEN: usize = 256;

/// Maven's scheme: `alpha`/`beta`/`milestone`/`rc`/`snapshot` versions only with
/// `pre_releases: true`, then the range.
pub(crate) struct MavenScheme;

/// Maven's scheme.
pub(crate) static MAVEN: MavenScheme = MavenScheme;

impl super::Scheme for MavenScheme {
    type Version = Version;
    type Constraint = Range;

    fn parse(&self, text: &str, _: Option<&Range>) -> Option<Version> {
        Version::parse(text).ok()
    }

    fn constraint(&self, text: &str, _: super::PreReleases) -> Result<Range, String> {
        Range::parse(text).map_err(|e| e.to_string())
    }

    fn is_prerelease(&self, v: &Version) -> bool {
        v.is_prerelease()
    }

    fn admits(&self, c: Option<&Range>, pre: super::PreReleases, _: &str, v: &Version) -> bool {
        super::scheme::plain_pre_rule(pre, v.is_prerelease()) && c.is_none_or(|r| r.admits(v))
    }
}
