//! Version orderings and constraints per ecosystem: Masterminds semver (image tags), node-semver
//! ranges (npm, GitHub, GitLab and git tags), PEP 440 (PyPI), Cargo requirements (crates), dpkg
//! versions and relations (apt), apk versions and comparisons (Alpine), RubyGems versions and
//! requirements, Helm chart versions, Go module versions as golang.org/x/mod orders them, Maven
//! versions and ranges, Terraform versions and constraints, natural tag order.
//!
//! Each ecosystem is a [`Scheme`] in its own file, exporting a `pub(crate) static`; package
//! sources hold it as a [`VersionScheme`].

pub mod apk;
pub(crate) mod cargo;
#[cfg(test)]
mod conformance;
pub mod dpkg;
pub(crate) mod gem;
pub mod go;
pub(crate) mod helm;
mod loose;
pub mod maven;
pub mod npm;
#[cfg(test)]
mod oracle;
pub mod pep440;
mod scheme;
pub mod semver;
pub(crate) mod terraform;

pub(crate) use scheme::VersionScheme;
pub(crate) use scheme::{Item, Scheme};

// Each scheme, as package sources name theirs (`&crate::versions::PEP440`).
pub(crate) use apk::APK;
pub(crate) use cargo::CARGO;
pub(crate) use dpkg::DPKG;
pub(crate) use gem::GEM;
pub(crate) use go::GO;
pub(crate) use loose::LOOSE;
pub(crate) use maven::MAVEN;
pub(crate) use npm::NPM;
pub(crate) use pep440::PEP440;
pub(crate) use terraform::TERRAFORM;

use std::cmp::Ordering;

/// The `pre_releases` setting: absent, `false` or `true`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) enum PreReleases {
    /// Absent: the ecosystem's own default (PEP 440's `prereleases=None`, node-semver's
    /// same-tuple rule, RubyGems' requirement naming a prerelease; none for the others).
    #[default]
    Default,
    /// `false`: no pre-release at all, whatever the constraint names.
    Never,
    /// `true`: every pre-release the constraint admits (`prereleases=True`,
    /// `includePrerelease`).
    All,
}

impl PreReleases {
    /// The setting as `packaging`'s `prereleases` argument: `None`, `Some(false)`, `Some(true)`.
    pub(crate) fn setting(self) -> Option<bool> {
        match self {
            PreReleases::Default => None,
            PreReleases::Never => Some(false),
            PreReleases::All => Some(true),
        }
    }
}

impl From<Option<bool>> for PreReleases {
    fn from(setting: Option<bool>) -> PreReleases {
        match setting {
            None => PreReleases::Default,
            Some(false) => PreReleases::Never,
            Some(true) => PreReleases::All,
        }
    }
}

/// Natural order for tags and extracted versions: digit runs compare as numbers, other runs as
/// text (`2024.01.9` < `2024.01.10`, `r9` < `r10`).
pub fn natural_cmp(a: &str, b: &str) -> Ordering {
    let (mut x, mut y) = (a.as_bytes(), b.as_bytes());
    loop {
        match (x.is_empty(), y.is_empty()) {
            (true, true) => return a.cmp(b),
            (true, false) => return Ordering::Less,
            (false, true) => return Ordering::Greater,
            _ => {}
        }
        let (ra, rest_a) = run(x);
        let (rb, rest_b) = run(y);
        let ord = match (ra[0].is_ascii_digit(), rb[0].is_ascii_digit()) {
            (true, true) => {
                let ta = trim_zeros(ra);
                let tb = trim_zeros(rb);
                ta.len().cmp(&tb.len()).then_with(|| ta.cmp(tb))
            }
            (true, false) => Ordering::Less,
            (false, true) => Ordering::Greater,
            (false, false) => ra.cmp(rb),
        };
        if ord != Ordering::Equal {
            return ord;
        }
        x = rest_a;
        y = rest_b;
    }
}

fn run(s: &[u8]) -> (&[u8], &[u8]) {
    let digit = s[0].is_ascii_digit();
    let end = s
        .iter()
        .position(|b| b.is_ascii_digit() != digit)
        .unwrap_or(s.len());
    s.split_at(end)
}

fn trim_zeros(s: &[u8]) -> &[u8] {
    let start = s.iter().position(|&b| b != b'0').unwrap_or(s.len());
    &s[start..]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn natural_order() {
        let mut v = vec![
            "2024.01.10",
            "2024.01.9",
            "2023.12.31",
            "r10",
            "r9",
            "1.2.3",
        ];
        v.sort_by(|a, b| natural_cmp(a, b));
        assert_eq!(
            v,
            [
                "1.2.3",
                "2023.12.31",
                "2024.01.9",
                "2024.01.10",
                "r9",
                "r10"
            ]
        );
        assert_eq!(natural_cmp("01", "1"), Ordering::Less);
        assert_eq!(natural_cmp("a", "a"), Ordering::Equal);
    }
}
