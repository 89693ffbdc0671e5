//! Conformance tables: npm ranges against node-semver, PyPI specifiers against PEP 440, Debian versions
//! and relations against dpkg, Alpine versions and comparisons against apk-tools.
//!
//! Every row is (constraint, version, `pre_releases`, expected) and was written from the
//! node-semver README ("Ranges", "Prerelease Tags", "Advanced Range Syntax", the `includePrerelease`
//! option) and the PEP 440 text ("Version specifiers" and its subsections), then checked against
//! node-semver 7.8.5 and `packaging` 26.4 themselves.
//!
//! The tables are data: `tests/data/conformance/<table>.jsonl`, one JSON row a line (`#` lines
//! say where the rows come from); this module reads every row and checks it.

use super::Ecosystem as E;
use super::{apk, dpkg, npm, pep440};
use pep440_rs::Version;
use serde::de::DeserializeOwned;
use std::str::FromStr;

/// The rows of a table file: one JSON value a line, blank and `#` lines skipped.
fn rows<T: DeserializeOwned>(file: &str, text: &str) -> Vec<T> {
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty() && !l.starts_with('#'))
        .map(|(n, l)| serde_json::from_str(l).unwrap_or_else(|e| panic!("{file}:{}: {e}", n + 1)))
        .collect()
}

/// The rows of `tests/data/conformance/$file`, compiled into the test binary.
macro_rules! table {
    ($file:literal) => {
        rows(
            $file,
            include_str!(concat!("../../tests/data/conformance/", $file)),
        )
    };
}

/// An ecosystem as the tables name it (its variant name).
fn ecosystem(name: &str) -> E {
    match name {
        "Pep440" => E::Pep440,
        "Cargo" => E::Cargo,
        "Npm" => E::Npm,
        "Loose" => E::Loose,
        "Dpkg" => E::Dpkg,
        "Apk" => E::Apk,
        "Gem" => E::Gem,
        "Go" => E::Go,
        "Maven" => E::Maven,
        other => panic!("unknown ecosystem {other:?} in a conformance table"),
    }
}

#[test]
fn npm_ranges_conform_to_node_semver() {
    let npm_rows: Vec<(String, String, bool, bool)> = table!("npm.jsonl");
    assert!(npm_rows.len() >= 150, "{} rows", npm_rows.len());
    let mut wrong = Vec::new();
    for (range, version, pre, expected) in &npm_rows {
        let r = npm::Range::parse(range, *pre)
            .unwrap_or_else(|e| panic!("{range:?} (includePrerelease {pre}): {e}"));
        let v = npm::Version::parse(version).unwrap_or_else(|e| panic!("{e}"));
        if r.satisfies(&v) != *expected {
            wrong.push(format!(
                "{range:?} {version} includePrerelease={pre}: expected {expected} ({r})"
            ));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    let invalid: Vec<String> = table!("npm_invalid.jsonl");
    for range in &invalid {
        for pre in [false, true] {
            assert!(
                npm::Range::parse(range, pre).is_err(),
                "{range:?} should be refused"
            );
        }
    }
}

#[test]
fn pypi_specifiers_conform_to_pep_440() {
    let pep440_rows: Vec<(String, String, bool)> = table!("pep440.jsonl");
    assert!(pep440_rows.len() >= 150, "{} rows", pep440_rows.len());
    let mut wrong = Vec::new();
    for (specs, version, expected) in &pep440_rows {
        let s = pep440::Specifiers::parse(specs).unwrap_or_else(|e| panic!("{specs:?}: {e}"));
        let v = Version::from_str(version).ok();
        if s.contains(version, v.as_ref()) != *expected {
            wrong.push(format!("{specs:?} {version}: expected {expected}"));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    let invalid: Vec<String> = table!("pep440_invalid.jsonl");
    for specs in &invalid {
        assert!(
            pep440::Specifiers::parse(specs).is_err(),
            "{specs:?} should be refused"
        );
    }
    let policy: Vec<(String, bool, Vec<String>, Vec<String>)> = table!("pep440_policy.jsonl");
    for (specs, pre, releases, expected) in &policy {
        let s = pep440::Specifiers::parse(specs).unwrap_or_else(|e| panic!("{specs:?}: {e}"));
        let items: Vec<(&str, Option<Version>)> = releases
            .iter()
            .map(|r| (r.as_str(), Version::from_str(r).ok()))
            .collect();
        let kept: Vec<&str> = pep440::filter(Some(&s), pre.then_some(true), items, |(r, v)| {
            (*r, v.as_ref())
        })
        .into_iter()
        .map(|(r, _)| r)
        .collect();
        assert_eq!(
            &kept, expected,
            "{specs:?} pre_releases={pre} of {releases:?}"
        );
    }
}

fn sign(o: std::cmp::Ordering) -> i8 {
    o as i8
}

#[test]
fn debian_versions_and_relations_conform_to_dpkg() {
    let order: Vec<(String, String, i8)> = table!("dpkg_order.jsonl");
    let relations: Vec<(String, String, bool)> = table!("dpkg_relations.jsonl");
    assert!(order.len() + relations.len() >= 60);
    let mut wrong = Vec::new();
    for (a, b, expected) in &order {
        let (x, y) = (
            dpkg::Version::parse(a).unwrap(),
            dpkg::Version::parse(b).unwrap(),
        );
        if sign(x.cmp(&y)) != *expected || sign(y.cmp(&x)) != -expected {
            wrong.push(format!("{a} vs {b}: expected {expected}"));
        }
    }
    for (rel, version, expected) in &relations {
        let r = dpkg::Relations::parse(rel).unwrap_or_else(|e| panic!("{rel:?}: {e}"));
        if r.admits(&dpkg::Version::parse(version).unwrap()) != *expected {
            wrong.push(format!("{rel:?} {version}: expected {expected}"));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    let invalid: Vec<String> = table!("dpkg_invalid.jsonl");
    for v in &invalid {
        assert!(dpkg::Version::parse(v).is_err(), "{v:?} should be refused");
    }
    let relations_invalid: Vec<String> = table!("dpkg_relations_invalid.jsonl");
    for r in &relations_invalid {
        assert!(
            dpkg::Relations::parse(r).is_err(),
            "{r:?} should be refused"
        );
    }
}

#[test]
fn alpine_versions_and_constraints_conform_to_apk() {
    let order: Vec<(String, String, i8)> = table!("apk_order.jsonl");
    let constraints: Vec<(String, String, bool)> = table!("apk_constraints.jsonl");
    assert!(order.len() + constraints.len() >= 60);
    let mut wrong = Vec::new();
    for (a, b, expected) in &order {
        let (x, y) = (
            apk::Version::parse(a).unwrap(),
            apk::Version::parse(b).unwrap(),
        );
        if sign(x.cmp(&y)) != *expected || sign(y.cmp(&x)) != -expected {
            wrong.push(format!("{a} vs {b}: expected {expected}"));
        }
    }
    for (c, version, expected) in &constraints {
        let r = apk::Constraint::parse(c).unwrap_or_else(|e| panic!("{c:?}: {e}"));
        if r.admits(&apk::Version::parse(version).unwrap()) != *expected {
            wrong.push(format!("{c:?} {version}: expected {expected}"));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    let invalid: Vec<String> = table!("apk_invalid.jsonl");
    for v in &invalid {
        assert!(apk::Version::parse(v).is_err(), "{v:?} should be refused");
    }
    let constraints_invalid: Vec<String> = table!("apk_constraints_invalid.jsonl");
    for c in &constraints_invalid {
        assert!(
            apk::Constraint::parse(c).is_err(),
            "{c:?} should be refused"
        );
    }
}

/// What `select` keeps of `releases` in `eco` under `constraint` and `pre`.
fn kept<'a>(
    eco: E,
    constraint: Option<&str>,
    pre: super::PreReleases,
    releases: &'a [String],
) -> Vec<&'a str> {
    let c = constraint.map(|c| super::Constraint::parse(eco, c, pre).unwrap());
    let items: Vec<(&str, super::Parsed)> = releases
        .iter()
        .map(|r| {
            (
                r.as_str(),
                super::Parsed::parse(eco, r, c.as_ref()).unwrap(),
            )
        })
        .collect();
    super::select(eco, c.as_ref(), pre, items, |(r, p)| (*r, p))
        .into_iter()
        .map(|(r, _)| r)
        .collect()
}

/// (ecosystem, constraint, `pre_releases`, releases, what `select` keeps).
type PolicyRow = (String, Option<String>, bool, Vec<String>, Vec<String>);

#[test]
fn distro_pre_release_policy() {
    let policy: Vec<PolicyRow> = table!("distro_policy.jsonl");
    for (eco, constraint, pre, releases, expected) in &policy {
        let eco = ecosystem(eco);
        let pre = super::PreReleases::from(pre.then_some(true));
        let kept = kept(eco, constraint.as_deref(), pre, releases);
        assert_eq!(
            &kept, expected,
            "{eco:?} {constraint:?} pre_releases={pre:?}"
        );
    }
}

/// (ecosystem, constraint, releases, what `select` keeps with `pre_releases` absent, `false`,
/// `true`).
type ThreeWayRow = (String, Option<String>, Vec<String>, [Vec<String>; 3]);

#[test]
fn pre_releases_absent_false_and_true() {
    use super::PreReleases;
    let three_way: Vec<ThreeWayRow> = table!("three_way.jsonl");
    let mut wrong = Vec::new();
    for (eco, constraint, releases, expected) in &three_way {
        let eco = ecosystem(eco);
        for (pre, want) in [PreReleases::Default, PreReleases::Never, PreReleases::All]
            .into_iter()
            .zip(expected)
        {
            let kept = kept(eco, constraint.as_deref(), pre, releases);
            if &kept != want {
                wrong.push(format!(
                    "{eco:?} {constraint:?} {releases:?} {pre:?}: kept {kept:?}, want {want:?}"
                ));
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}
