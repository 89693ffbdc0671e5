//! The closed `Ecosystem` / `Parsed` / `Constraint` enums and `select`, kept until every caller uses [`super::VersionScheme`].

use super::{apk, dpkg, gem, go, maven, npm, pep440, semver, PreReleases, VersionScheme};
use std::cmp::Ordering;

/// How a package ecosystem orders and constrains versions.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ecosystem {
    /// PEP 440 versions and specifiers, as `packaging` ≥ 26 (PyPI).
    Pep440,
    /// Strict semver with Cargo requirements (crates.io).
    Cargo,
    /// Strict semver with node-semver ranges (npm registries).
    Npm,
    /// Tag text read loosely (Masterminds: a leading `v`, one to three numbers, leading zeros)
    /// under node-semver ranges (GitHub, GitLab and git tags; Helm chart versions, [`helm`]).
    Loose,
    /// Debian versions and relations, as dpkg (apt repositories).
    Dpkg,
    /// Alpine versions and comparisons, as apk-tools (apk repositories).
    Apk,
    /// RubyGems versions and requirements, as `Gem::Version` / `Gem::Requirement` (RubyGems).
    Gem,
    /// Go module versions as golang.org/x/mod orders them (a required `v`, pseudo-versions
    /// skipped) under node-semver ranges (Go module proxies).
    Go,
    /// Maven versions and version ranges, as Maven's `ComparableVersion` and `VersionRange`.
    Maven,
}

impl Ecosystem {
    /// The scheme that replaces this variant (what a package source returns instead).
    pub fn scheme(self) -> &'static dyn VersionScheme {
        match self {
            Ecosystem::Pep440 => &super::pep440::PEP440,
            Ecosystem::Cargo => &super::cargo::CARGO,
            Ecosystem::Npm => &super::npm::NPM,
            Ecosystem::Loose => &super::loose::LOOSE,
            Ecosystem::Dpkg => &super::dpkg::DPKG,
            Ecosystem::Apk => &super::apk::APK,
            Ecosystem::Gem => &super::gem::GEM,
            Ecosystem::Go => &super::go::GO,
            Ecosystem::Maven => &super::maven::MAVEN,
        }
    }
}

/// A release's version as its ecosystem reads it.
#[derive(Clone, Debug)]
pub enum Parsed {
    /// A PEP 440 version.
    Pep(pep440_rs::Version),
    /// Text that is not PEP 440, kept only for an `===` constraint naming it.
    Arbitrary(String),
    /// A Cargo (strict semver) version.
    Cargo(::semver::Version),
    /// A node-semver version (npm, or a loosely read tag).
    Npm(npm::Version),
    /// A Debian version.
    Dpkg(dpkg::Version),
    /// An apk version.
    Apk(apk::Version),
    /// A RubyGems version.
    Gem(gem::Version),
    /// A Maven version.
    Maven(maven::Version),
}

impl Parsed {
    /// Reads `text` as `eco` does; `None` when it is not a version there (text that is not
    /// PEP 440 is kept as [`Parsed::Arbitrary`] when `constraint` has an `===`).
    pub fn parse(eco: Ecosystem, text: &str, constraint: Option<&Constraint>) -> Option<Parsed> {
        match eco {
            Ecosystem::Pep440 => match text.parse() {
                Ok(v) => Some(Parsed::Pep(v)),
                Err(_) => {
                    matches!(constraint, Some(Constraint::Pep(c)) if c.admits_arbitrary(text))
                        .then(|| Parsed::Arbitrary(text.to_string()))
                }
            },
            Ecosystem::Cargo => ::semver::Version::parse(text).ok().map(Parsed::Cargo),
            Ecosystem::Npm => npm::Version::parse(text).ok().map(Parsed::Npm),
            Ecosystem::Loose => semver::Version::parse(text).ok().map(|v| {
                let (major, minor, patch) = v.triple();
                Parsed::Npm(npm::Version::from_parts(
                    major,
                    minor,
                    patch,
                    v.prerelease(),
                ))
            }),
            Ecosystem::Dpkg => dpkg::Version::parse(text).ok().map(Parsed::Dpkg),
            Ecosystem::Apk => apk::Version::parse(text).ok().map(Parsed::Apk),
            Ecosystem::Gem => gem::Version::parse(text).ok().map(Parsed::Gem),
            Ecosystem::Go => go::release_version(text).map(Parsed::Npm),
            Ecosystem::Maven => maven::Version::parse(text).ok().map(Parsed::Maven),
        }
    }
}

impl Parsed {
    /// Whether its ecosystem calls it a pre-release: PEP 440 `a`/`b`/`rc`/`.dev` (text that is
    /// not PEP 440 is not), any semver pre-release, apk `_alpha`/`_beta`/`_pre`/`_rc`, a RubyGems
    /// letter, a Maven `alpha`/`beta`/`milestone`/`rc`/`snapshot`; never a Debian version.
    pub fn is_prerelease(&self) -> bool {
        match self {
            Parsed::Pep(v) => v.any_prerelease(),
            Parsed::Arbitrary(_) | Parsed::Dpkg(_) => false,
            Parsed::Cargo(v) => !v.pre.is_empty(),
            Parsed::Npm(v) => v.is_prerelease(),
            Parsed::Apk(v) => v.is_prerelease(),
            Parsed::Gem(v) => v.is_prerelease(),
            Parsed::Maven(v) => v.is_prerelease(),
        }
    }
}

impl PartialEq for Parsed {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Parsed {}

impl PartialOrd for Parsed {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Parsed {
    /// The ecosystem's order (versions of different ecosystems never meet; text that is not
    /// PEP 440 sorts after PEP 440 versions).
    fn cmp(&self, other: &Parsed) -> Ordering {
        match (self, other) {
            (Parsed::Pep(a), Parsed::Pep(b)) => a.cmp(b),
            (Parsed::Pep(_), Parsed::Arbitrary(_)) => Ordering::Less,
            (Parsed::Arbitrary(_), Parsed::Pep(_)) => Ordering::Greater,
            (Parsed::Arbitrary(a), Parsed::Arbitrary(b)) => a.cmp(b),
            (Parsed::Cargo(a), Parsed::Cargo(b)) => a.cmp(b),
            (Parsed::Npm(a), Parsed::Npm(b)) => a.cmp(b),
            (Parsed::Dpkg(a), Parsed::Dpkg(b)) => a.cmp(b),
            (Parsed::Apk(a), Parsed::Apk(b)) => a.cmp(b),
            (Parsed::Gem(a), Parsed::Gem(b)) => a.cmp(b),
            (Parsed::Maven(a), Parsed::Maven(b)) => a.cmp(b),
            _ => Ordering::Equal,
        }
    }
}

/// A `constraint` in its ecosystem's own syntax.
#[derive(Clone, Debug)]
pub enum Constraint {
    /// PEP 440 specifiers (`~=1.18.0, !=1.18.5`).
    Pep(pep440::Specifiers),
    /// A Cargo requirement (`^1`, `>=1.2, <2`).
    Cargo(::semver::VersionReq),
    /// A node-semver range, parsed for the `pre_releases` setting (`includePrerelease`).
    Npm(npm::Range),
    /// Debian relations (`>= 3.0.11-1~deb12u1, << 3.1`).
    Dpkg(dpkg::Relations),
    /// apk comparisons (`>=3.3.1-r0 <3.4`, `~3.12`).
    Apk(apk::Constraint),
    /// RubyGems requirements (`~> 1.2, != 1.3.0`).
    Gem(gem::Requirement),
    /// A Maven version range (`[1.1,2.0)`, `(,1.0],[1.2,)`) or soft requirement (`1.0`).
    Maven(maven::Range),
}

impl Constraint {
    /// Parses `text` in `eco`'s syntax; [`PreReleases::All`] is node-semver's
    /// `includePrerelease`, which also changes how npm ranges desugar. The error is one line.
    pub fn parse(eco: Ecosystem, text: &str, pre: PreReleases) -> Result<Constraint, String> {
        match eco {
            Ecosystem::Pep440 => pep440::Specifiers::parse(text)
                .map(Constraint::Pep)
                .map_err(|e| e.to_string()),
            Ecosystem::Cargo => ::semver::VersionReq::parse(text)
                .map(Constraint::Cargo)
                .map_err(|e| e.to_string()),
            Ecosystem::Npm | Ecosystem::Loose | Ecosystem::Go => {
                npm::Range::parse(text, pre == PreReleases::All)
                    .map(Constraint::Npm)
                    .map_err(|e| e.to_string())
            }
            Ecosystem::Dpkg => dpkg::Relations::parse(text)
                .map(Constraint::Dpkg)
                .map_err(|e| e.to_string()),
            Ecosystem::Apk => apk::Constraint::parse(text)
                .map(Constraint::Apk)
                .map_err(|e| e.to_string()),
            Ecosystem::Gem => gem::Requirement::parse(text)
                .map(Constraint::Gem)
                .map_err(|e| e.to_string()),
            Ecosystem::Maven => maven::Range::parse(text)
                .map(Constraint::Maven)
                .map_err(|e| e.to_string()),
        }
    }
}

/// The items whose versions `constraint` (none: everything) and `pre` admit, in their order.
/// [`PreReleases::Never`] drops every pre-release ([`Parsed::is_prerelease`]) first, whatever the
/// constraint names (`packaging`'s `prereleases=False`); then each ecosystem's own rule, where
/// "with pre-releases" means [`PreReleases::All`]:
/// - PEP 440: [`pep440::filter`] (`packaging`'s `SpecifierSet.filter`, `prereleases` being
///   [`PreReleases::setting`]);
/// - npm and tags: node-semver's `satisfies` with `includePrerelease` when with pre-releases
///   (by default a pre-release only through a comparator naming one of its tuple); no
///   constraint is `*`;
/// - Cargo: pre-releases only with pre-releases, then `VersionReq::matches` (unchanged);
/// - dpkg: every version the relations admit (Debian has no pre-releases: `~` versions are
///   ordinary versions ordered before their base);
/// - apk: `_alpha`/`_beta`/`_pre`/`_rc` versions only with pre-releases, then the comparisons;
/// - RubyGems: `Gem::Dependency#match?`: a prerelease only with pre-releases or (by default)
///   when a requirement names a prerelease, then `Gem::Requirement#satisfied_by?`;
/// - Maven: `alpha`/`beta`/`milestone`/`rc`/`snapshot` versions only with pre-releases, then
///   the range.
pub fn select<T>(
    eco: Ecosystem,
    constraint: Option<&Constraint>,
    pre: PreReleases,
    items: Vec<T>,
    key: impl Fn(&T) -> (&str, &Parsed),
) -> Vec<T> {
    let items: Vec<T> = match pre {
        PreReleases::Never => items
            .into_iter()
            .filter(|item| !key(item).1.is_prerelease())
            .collect(),
        _ => items,
    };
    let pre_releases = pre == PreReleases::All;
    match eco {
        Ecosystem::Pep440 => {
            let specs = match constraint {
                Some(Constraint::Pep(c)) => Some(c),
                _ => None,
            };
            pep440::filter(specs, pre.setting(), items, |item| {
                let (raw, parsed) = key(item);
                match parsed {
                    Parsed::Pep(v) => (raw, Some(v)),
                    _ => (raw, None),
                }
            })
        }
        Ecosystem::Cargo | Ecosystem::Npm | Ecosystem::Loose | Ecosystem::Go => items
            .into_iter()
            .filter(|item| {
                let (_, parsed) = key(item);
                match (constraint, parsed) {
                    (Some(Constraint::Npm(r)), Parsed::Npm(v)) => r.satisfies(v),
                    (None, Parsed::Npm(v)) => pre_releases || !v.is_prerelease(),
                    (Some(Constraint::Cargo(r)), Parsed::Cargo(v)) => {
                        (pre_releases || v.pre.is_empty()) && r.matches(v)
                    }
                    (None, Parsed::Cargo(v)) => pre_releases || v.pre.is_empty(),
                    _ => false,
                }
            })
            .collect(),
        Ecosystem::Dpkg => items
            .into_iter()
            .filter(|item| match (constraint, key(item).1) {
                (Some(Constraint::Dpkg(r)), Parsed::Dpkg(v)) => r.admits(v),
                (None, Parsed::Dpkg(_)) => true,
                _ => false,
            })
            .collect(),
        Ecosystem::Apk => items
            .into_iter()
            .filter(|item| match (constraint, key(item).1) {
                (Some(Constraint::Apk(c)), Parsed::Apk(v)) => {
                    (pre_releases || !v.is_prerelease()) && c.admits(v)
                }
                (None, Parsed::Apk(v)) => pre_releases || !v.is_prerelease(),
                _ => false,
            })
            .collect(),
        Ecosystem::Gem => items
            .into_iter()
            .filter(|item| match (constraint, key(item).1) {
                (Some(Constraint::Gem(r)), Parsed::Gem(v)) => r.admits(v, pre_releases),
                (None, Parsed::Gem(v)) => pre_releases || !v.is_prerelease(),
                _ => false,
            })
            .collect(),
        Ecosystem::Maven => items
            .into_iter()
            .filter(|item| match (constraint, key(item).1) {
                (Some(Constraint::Maven(r)), Parsed::Maven(v)) => {
                    (pre_releases || !v.is_prerelease()) && r.admits(v)
                }
                (None, Parsed::Maven(v)) => pre_releases || !v.is_prerelease(),
                _ => false,
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    //! The enums and [`select`] against [`VersionScheme::order`]: every constraint of the
    //! conformance tables on every release list of its ecosystem, under each `pre_releases`.

    use super::*;
    use std::collections::BTreeMap;

    /// What `packages::candidates` made of `releases` with the enums: parse, select, sort by
    /// version then text, one of each text.
    fn old<'a>(
        eco: Ecosystem,
        c: Option<&Constraint>,
        pre: PreReleases,
        releases: &[&'a str],
    ) -> Vec<&'a str> {
        let parsed: Vec<(Parsed, &str)> = releases
            .iter()
            .filter_map(|r| Parsed::parse(eco, r, c).map(|p| (p, *r)))
            .collect();
        let mut list = select(eco, c, pre, parsed, |(p, r)| (*r, p));
        list.sort_by(|a, b| a.0.cmp(&b.0).then_with(|| a.1.cmp(b.1)));
        list.dedup_by(|a, b| a.1 == b.1);
        list.into_iter().map(|(_, r)| r).collect()
    }

    fn ecosystem(name: &str) -> Ecosystem {
        [
            Ecosystem::Pep440,
            Ecosystem::Cargo,
            Ecosystem::Npm,
            Ecosystem::Loose,
            Ecosystem::Dpkg,
            Ecosystem::Apk,
            Ecosystem::Gem,
            Ecosystem::Go,
            Ecosystem::Maven,
        ]
        .into_iter()
        .find(|e| e.scheme().name() == name)
        .unwrap_or_else(|| panic!("{name}"))
    }

    /// Per ecosystem: the constraints and the release texts of the policy tables.
    fn cases() -> BTreeMap<String, (Vec<Option<String>>, Vec<String>)> {
        let mut by: BTreeMap<String, (Vec<Option<String>>, Vec<String>)> = BTreeMap::new();
        let tables = [
            include_str!("../../tests/data/conformance/three_way.jsonl"),
            include_str!("../../tests/data/conformance/distro_policy.jsonl"),
        ];
        for line in tables.iter().flat_map(|t| t.lines()) {
            if line.trim().is_empty() || line.starts_with('#') {
                continue;
            }
            let row: Vec<serde_json::Value> = serde_json::from_str(line).unwrap();
            let entry = by.entry(row[0].as_str().unwrap().to_string()).or_default();
            entry.0.push(row[1].as_str().map(str::to_string));
            let releases = row.iter().find_map(|v| v.as_array()).unwrap();
            entry
                .1
                .extend(releases.iter().map(|r| r.as_str().unwrap().to_string()));
        }
        by
    }

    #[test]
    fn schemes_answer_as_the_enums() {
        let mut compared = 0;
        for (name, (constraints, releases)) in cases() {
            let eco = ecosystem(&name);
            let scheme = eco.scheme();
            let releases: Vec<&str> = releases.iter().map(String::as_str).collect();
            for c in constraints.iter().chain([&None]) {
                for pre in [PreReleases::Default, PreReleases::Never, PreReleases::All] {
                    let parsed = c.as_deref().map(|c| Constraint::parse(eco, c, pre));
                    let new = scheme.order(&releases, c.as_deref(), pre);
                    let (parsed, new) = match (parsed.transpose(), new) {
                        (Ok(parsed), Ok(new)) => (parsed, new),
                        (Err(a), Err(b)) => {
                            assert_eq!(a, b, "{name} {c:?}");
                            continue;
                        }
                        (a, b) => panic!("{name} {c:?}: {a:?} vs {b:?}"),
                    };
                    let new: Vec<&str> = new.into_iter().map(|i| releases[i]).collect();
                    let old = old(eco, parsed.as_ref(), pre, &releases);
                    assert_eq!(new, old, "{name} {c:?} {pre:?}");
                    compared += 1;
                }
            }
        }
        assert!(compared >= 100, "{compared}");
    }
}
