//! Helm chart versions: read as Helm reads them, ordered by semver precedence, constrained by
//! node-semver ranges (uptick's choice for tag-like sources; Helm itself takes Masterminds ranges).
//!
//! Helm reads a chart repository's `index.yaml` with Masterminds/semver v3's coercing
//! `NewVersion` (`pkg/chart/v2/metadata.go` `isValidSemver`; `pkg/repo/v1/index.go` sorts with it
//! and skips entries it rejects): a leading `v`, one to three numbers (`1.2` is `1.2.0`) and
//! leading zeros are accepted. OCI tags are read strictly (`pkg/registry/client.go` `Tags`:
//! `StrictNewVersion` after `_` → `+`, since `+` is not allowed in a tag): tags that are not
//! SemVer 2.0 exactly (`latest`, `v1.2.3`, `1.2`, cosign's `sha256-….sig`) are not versions.
//! Build metadata never orders (`1.2.3+a` = `1.2.3+b`). Versions compare as [`npm::Version`]s
//! (the loose tag reading, [`super::LOOSE`], shared with GitHub and git tags), so every node-semver range
//! and `pre_releases` rule applies as for npm.

#[cfg(test)]
use super::{loose, npm};

/// The ecosystem chart versions are ordered and constrained in.
pub(crate) fn scheme() -> &'static dyn super::VersionScheme {
    &super::LOOSE
}

/// A chart version of an `index.yaml` as Helm reads it (`NewVersion`); `None` for an entry Helm
/// would skip.
#[cfg(test)]
pub(crate) fn index_version(text: &str) -> Option<npm::Version> {
    loose::read(text)
}

/// The chart version an OCI tag stands for (`1.2.3_build.1` → `1.2.3+build.1`), when the tag is
/// one Helm lists: SemVer 2.0 exactly once `_` is read as `+`.
pub(crate) fn oci_version(tag: &str) -> Option<String> {
    let version = tag.replace('_', "+");
    ::semver::Version::parse(&version).ok().map(|_| version)
}

/// The OCI tag Helm pushes a chart version under (`1.2.3+build.1` → `1.2.3_build.1`).
pub(crate) fn oci_tag(version: &str) -> String {
    version.replace('+', "_")
}

#[cfg(test)]
mod tests {
    //! Rows written from Helm's documentation (chart versions are SemVer 2; `helm pull
    //! --version` examples; `_` for `+` in OCI tags, helm/helm#10166), Masterminds/semver's README
    //! (what `NewVersion` coerces) and node-semver's README (ranges, pre-releases). The range
    //! rows were checked against node-semver 7.8.5 itself (`npm pack semver@7.8.5`) on the
    //! versions as Masterminds reads them (`v1.2` → `1.2.0`): all agree. Helm is not packaged
    //! in Debian or PyPI, so `NewVersion`'s reading is taken from its documentation and
    //! `versions::semver`'s own tests.

    use super::*;
    use crate::versions::PreReleases;
    use std::cmp::Ordering;

    const T: bool = true;
    const F: bool = false;

    /// Ascending runs: each version is older than the next (semver precedence, `v` and missing
    /// parts as Helm reads them).
    #[rustfmt::skip]
    const ORDER: &[&[&str]] = &[
        &["0.1.0", "0.1.1", "0.2.0", "0.10.0", "1.0.0"],
        &["1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-alpha.beta", "1.0.0-beta", "1.0.0-beta.2",
          "1.0.0-beta.11", "1.0.0-rc.1", "1.0.0"],
        &["v1.2.2", "1.2.3", "v1.2.4", "1.3.0"],
        &["1.2", "1.2.1", "v1.3", "2"],
        &["1.0.0-0", "1.0.0-1", "1.0.0-a", "1.0.0"],
        &["2.9.9", "10.0.0", "10.0.1", "10.1.0", "18.19.4"],
        &["1.2.3-rc.9", "1.2.3-rc.10", "1.2.3-rc10", "1.2.3"],
        &["0.0.1-SNAPSHOT", "0.0.1-snapshot", "0.0.1"],
        &["1.0.0-x.7.z.92", "1.0.0-x-y-z.9", "1.0.0"],
        &["v0.9.0", "1.0.0-beta", "v1.0.0", "1.0.1-alpha.0", "1.0.1"],
    ];

    /// Pairs that are the same version (build metadata and spelling do not order).
    #[rustfmt::skip]
    const EQUAL: &[(&str, &str)] = &[
        ("1.2.3", "v1.2.3"),
        ("1.2.3+build.1", "1.2.3+build.2"),
        ("1.2.3", "1.2.3+20240101"),
        ("1.2", "1.2.0"),
        ("v2", "2.0.0"),
        ("01.02.03", "1.2.3"),
        ("1.0.0-rc.1+exp.sha.5114f85", "1.0.0-rc.1"),
    ];

    /// Texts Helm's `NewVersion` rejects (the entry is skipped).
    const NOT_VERSIONS: &[&str] = &[
        "",
        "latest",
        "1.2.3.4",
        "1.2.3-",
        "1.2.3-01",
        "1.2.3+",
        "1.2.3-beta..1",
        "version1",
        "V 1.2.3",
        "1.2.3 ",
    ];

    /// (range, chart version, `pre_releases`, admitted).
    #[rustfmt::skip]
    const RANGES: &[(&str, &str, bool, bool)] = &[
        // Comparators and their combinations.
        (">=1.2.0", "1.2.0", F, T),
        (">=1.2.0", "v1.3.0", F, T),
        (">=1.2.0", "1.1.9", F, F),
        (">1.2.0", "1.2.0", F, F),
        ("<2.0.0", "1.99.99", F, T),
        ("<2.0.0", "2.0.0", F, F),
        ("<=2.0.0", "v2", F, T),
        ("=1.2.3", "v1.2.3", F, T),
        ("1.2.3", "1.2.3+build.5", F, T),
        (">=1.2.0 <2.0.0", "1.9.0", F, T),
        (">=1.2.0 <2.0.0", "2.0.0", F, F),
        ("1.x || >=3.1.0", "1.4.0", F, T),
        ("1.x || >=3.1.0", "2.0.0", F, F),
        ("1.x || >=3.1.0", "3.1.0", F, T),
        // Caret: the left-most non-zero part is fixed.
        ("^1.2.0", "1.9.9", F, T),
        ("^1.2.0", "2.0.0", F, F),
        ("^1.2.0", "1.1.0", F, F),
        ("^0.2.3", "0.2.9", F, T),
        ("^0.2.3", "0.3.0", F, F),
        ("^0.0.3", "0.0.4", F, F),
        ("^18", "v18.19.4", F, T),
        ("^18", "19.0.0", F, F),
        // Tilde: patch updates (minor ones when only the major is given).
        ("~1.2.3", "1.2.9", F, T),
        ("~1.2.3", "1.3.0", F, F),
        ("~1.2", "1.2.0", F, T),
        ("~1", "1.9.0", F, T),
        ("~1", "2.0.0", F, F),
        // X-ranges and hyphen ranges.
        ("1.2.x", "1.2.7", F, T),
        ("1.2.x", "1.3.0", F, F),
        ("*", "0.0.1", F, T),
        ("", "12.0.0", F, T),
        ("1.2 - 1.4", "1.4.9", F, T),
        ("1.2 - 1.4", "1.5.0", F, F),
        ("1.2.3 - 2.3.4", "2.3.4", F, T),
        ("1.2.3 - 2.3.4", "2.3.5", F, F),
        // Versions Helm coerces (`1.2` is `1.2.0`; a leading `v`).
        (">=1.2", "1.2", F, T),
        ("<1.3", "v1.2", F, T),
        ("^2", "v2", F, T),
        ("~0.9", "0.9", F, T),
        // Pre-releases: only when a comparator names one of the same [major, minor, patch].
        ("*", "1.0.0-rc.1", F, F),
        ("*", "1.0.0-rc.1", T, T),
        (">=1.0.0", "2.0.0-beta.1", F, F),
        (">=1.0.0", "2.0.0-beta.1", T, T),
        (">=1.0.0-beta.1", "1.0.0-beta.2", F, T),
        (">=1.0.0-beta.1", "1.0.1-beta.1", F, F),
        (">=1.0.0-beta.1", "1.0.1-beta.1", T, T),
        ("^1.2.3-rc.1", "1.2.3-rc.2", F, T),
        ("^1.2.3-rc.1", "1.2.4-rc.1", F, F),
        ("~2.1.0-0", "2.1.0-alpha", F, T),
        ("2.x", "2.1.0-pre.0", F, F),
        ("2.x", "2.1.0-pre.0", T, T),
        ("<2.0.0", "2.0.0-rc.1", F, F),
        ("<2.0.0", "2.0.0-rc.1", T, T),
        ("<=2.0.0", "2.0.0-rc.1", T, T),
        ("1.2.3-rc.1 - 1.2.3-rc.5", "1.2.3-rc.3", F, T),
        ("1.2.3-rc.1 - 1.2.3-rc.5", "1.2.3-rc.6", F, F),
        ("^1.0.0", "v1.1.0-rc.1", F, F),
        ("^1.0.0", "v1.1.0-rc.1", T, T),
        // Build metadata is ignored by every comparator.
        (">1.2.3", "1.2.3+build.9", F, F),
        ("<=1.2.3", "1.2.3+build.9", F, T),
        (">=1.2.3 <1.2.4", "1.2.3+20240101", F, T),
    ];

    /// (OCI tag, the chart version it stands for, or none: a tag Helm does not list).
    #[rustfmt::skip]
    const OCI_TAGS: &[(&str, Option<&str>)] = &[
        ("1.2.3", Some("1.2.3")),
        ("1.2.3_build", Some("1.2.3+build")),
        ("1.2.3-rc.1_build.7", Some("1.2.3-rc.1+build.7")),
        ("0.0.0-20240101_abc-def", Some("0.0.0-20240101+abc-def")),
        ("latest", None),
        ("v1.2.3", None),
        ("1.2", None),
        ("01.2.3", None),
        ("1.2.3-01", None),
        ("1.2.3__x", None),
        ("sha256-0a1b2c.sig", None),
    ];

    fn admits(range: &str, version: &str, pre: bool) -> bool {
        // `false` rows are the default (no `pre_releases`).
        let pre = PreReleases::from(pre.then_some(true));
        assert!(scheme().cmp(version, version).is_some(), "{version}");
        !scheme()
            .order(&[version], Some(range), pre)
            .unwrap()
            .is_empty()
    }

    #[test]
    fn chart_versions_order_as_helm_reads_them() {
        let mut rows = 0;
        for run in ORDER {
            for pair in run.windows(2) {
                let (a, b) = (index_version(pair[0]), index_version(pair[1]));
                assert!(a.is_some() && b.is_some(), "{pair:?}");
                assert_eq!(a.cmp(&b), Ordering::Less, "{} < {}", pair[0], pair[1]);
                assert_eq!(
                    scheme().cmp(pair[0], pair[1]),
                    Some(Ordering::Less),
                    "{pair:?} through the scheme"
                );
                rows += 1;
            }
        }
        for (a, b) in EQUAL {
            assert_eq!(index_version(a), index_version(b), "{a} = {b}");
            assert!(index_version(a).is_some(), "{a}");
            rows += 1;
        }
        for text in NOT_VERSIONS {
            assert!(
                index_version(text).is_none(),
                "{text:?} is not a chart version"
            );
            assert!(scheme().is_prerelease(text).is_none(), "{text:?}");
            rows += 1;
        }
        assert!(rows >= 50, "{rows}");
    }

    #[test]
    fn ranges_admit_chart_versions_as_node_semver() {
        let mut wrong = Vec::new();
        for (range, version, pre, want) in RANGES {
            if admits(range, version, *pre) != *want {
                wrong.push(format!(
                    "{range:?} {version} pre_releases={pre}: want {want}"
                ));
            }
        }
        assert!(wrong.is_empty(), "{}", wrong.join("\n"));
        assert!(RANGES.len() >= 60, "{}", RANGES.len());
        // Masterminds' comma AND, which `helm pull --version` takes, is not a node-semver range
        // (node-semver's `validRange(">= 1.2, < 2")` is null).
        assert!(scheme()
            .check_constraint(">= 1.2, < 2", PreReleases::Default)
            .is_err());
    }

    #[test]
    fn oci_tags_map_back_to_chart_versions() {
        for (tag, want) in OCI_TAGS {
            assert_eq!(oci_version(tag).as_deref(), *want, "{tag}");
            if let Some(v) = want {
                assert_eq!(oci_tag(v), *tag, "{v}");
                assert!(index_version(v).is_some(), "{v}");
            }
        }
    }
}
