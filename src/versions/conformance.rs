//! Conformance tables: npm ranges against node-semver, PyPI specifiers against PEP 440, Debian versions
//! and relations against dpkg, Alpine versions and comparisons against apk-tools, Terraform
//! versions and constraints against go-version, all through [`VersionScheme`].
//!
//! Every row is (constraint, version, `pre_releases`, expected) and was written from the
//! node-semver README ("Ranges", "Prerelease Tags", "Advanced Range Syntax", the `includePrerelease`
//! option) and the PEP 440 text ("Version specifiers" and its subsections), then checked against
//! node-semver 7.8.5 and `packaging` 26.4 themselves.
//!
//! The tables are data: `tests/data/conformance/<table>.jsonl`, one JSON row a line (`#` lines
//! say where the rows come from); this module reads every row and checks it through the schemes'
//! [`VersionScheme`] (`order`, `cmp`, `check_constraint`), as package sources use them.

use super::{PreReleases, VersionScheme};
use serde::de::DeserializeOwned;
use serde_json::Value;
use std::cmp::Ordering;

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

/// A scheme as the tables name it ([`VersionScheme::name`]).
fn scheme(name: &str) -> &'static dyn VersionScheme {
    let all: [&'static dyn VersionScheme; 10] = [
        &super::pep440::PEP440,
        &super::cargo::CARGO,
        &super::npm::NPM,
        &super::loose::LOOSE,
        &super::dpkg::DPKG,
        &super::apk::APK,
        &super::gem::GEM,
        &super::go::GO,
        &super::maven::MAVEN,
        &super::terraform::TERRAFORM,
    ];
    all.into_iter()
        .find(|s| s.name() == name)
        .unwrap_or_else(|| panic!("unknown scheme {name:?} in a conformance table"))
}

/// `pre_releases: true` when `pre`, else absent (node-semver's `includePrerelease`, PEP 440's
/// `prereleases=True`).
fn opt_in(pre: bool) -> PreReleases {
    PreReleases::from(pre.then_some(true))
}

/// What [`VersionScheme::order`] keeps of `releases`, in their order, after checking that it
/// returned them oldest first.
fn kept<'a>(
    scheme: &dyn VersionScheme,
    constraint: Option<&str>,
    pre: PreReleases,
    releases: &'a [&'a str],
) -> Vec<&'a str> {
    let order = scheme
        .order(releases, constraint, pre)
        .unwrap_or_else(|e| panic!("{} {constraint:?}: {e}", scheme.name()));
    for w in order.windows(2) {
        let (a, b) = (releases[w[0]], releases[w[1]]);
        if let Some(o) = scheme.cmp(a, b) {
            assert!(o.is_le(), "{}: {a} before {b}", scheme.name());
        }
    }
    let mut indices = order;
    indices.sort_unstable();
    indices.into_iter().map(|i| releases[i]).collect()
}

/// Whether `constraint` and `pre` admit the single release `version`.
fn admits(scheme: &dyn VersionScheme, constraint: &str, pre: PreReleases, version: &str) -> bool {
    !kept(scheme, Some(constraint), pre, &[version]).is_empty()
}

/// `releases` as the `&str` list [`VersionScheme::order`] takes.
fn strs(releases: &[String]) -> Vec<&str> {
    releases.iter().map(String::as_str).collect()
}

#[test]
fn npm_ranges_conform_to_node_semver() {
    let npm = scheme("Npm");
    let npm_rows: Vec<(String, String, bool, bool)> = table!("npm.jsonl");
    assert!(npm_rows.len() >= 150, "{} rows", npm_rows.len());
    let mut wrong = Vec::new();
    for (range, version, pre, expected) in &npm_rows {
        assert!(npm.cmp(version, version).is_some(), "{version}");
        if admits(npm, range, opt_in(*pre), version) != *expected {
            wrong.push(format!(
                "{range:?} {version} includePrerelease={pre}: expected {expected}"
            ));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    let invalid: Vec<String> = table!("npm_invalid.jsonl");
    for range in &invalid {
        for pre in [false, true] {
            assert!(
                npm.check_constraint(range, opt_in(pre)).is_err(),
                "{range:?} should be refused"
            );
        }
    }
}

#[test]
fn pypi_specifiers_conform_to_pep_440() {
    let pep = scheme("Pep440");
    let pep440_rows: Vec<(String, String, bool)> = table!("pep440.jsonl");
    assert!(pep440_rows.len() >= 150, "{} rows", pep440_rows.len());
    let mut wrong = Vec::new();
    for (specs, version, expected) in &pep440_rows {
        // `pre_releases: true` (`prereleases=True`): the specifiers alone decide.
        if admits(pep, specs, PreReleases::All, version) != *expected {
            wrong.push(format!("{specs:?} {version}: expected {expected}"));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    let invalid: Vec<String> = table!("pep440_invalid.jsonl");
    for specs in &invalid {
        assert!(
            pep.check_constraint(specs, PreReleases::Default).is_err(),
            "{specs:?} should be refused"
        );
    }
    let policy: Vec<(String, bool, Vec<String>, Vec<String>)> = table!("pep440_policy.jsonl");
    for (specs, pre, releases, expected) in &policy {
        let releases = strs(releases);
        let kept = kept(pep, Some(specs), opt_in(*pre), &releases);
        assert_eq!(
            &kept, expected,
            "{specs:?} pre_releases={pre} of {releases:?}"
        );
    }
}

fn sign(o: Option<Ordering>) -> Option<i8> {
    o.map(|o| o as i8)
}

/// Order rows `(a, b, sign)` checked both ways through `scheme.cmp`.
fn order_rows(scheme: &dyn VersionScheme, rows: &[(String, String, i8)], wrong: &mut Vec<String>) {
    for (a, b, expected) in rows {
        let (ab, ba) = (sign(scheme.cmp(a, b)), sign(scheme.cmp(b, a)));
        if ab != Some(*expected) || ba != Some(-expected) {
            wrong.push(format!("{a} vs {b}: expected {expected}"));
        }
    }
}

/// Constraint rows `(constraint, version, admitted)` checked under `pre`.
fn constraint_rows(
    scheme: &dyn VersionScheme,
    pre: PreReleases,
    rows: &[(String, String, bool)],
    wrong: &mut Vec<String>,
) {
    for (c, version, expected) in rows {
        assert!(scheme.cmp(version, version).is_some(), "{version}");
        if admits(scheme, c, pre, version) != *expected {
            wrong.push(format!("{c:?} {version}: expected {expected}"));
        }
    }
}

/// Versions and constraints the scheme must refuse.
fn refusals(scheme: &dyn VersionScheme, versions: &[String], constraints: &[String]) {
    for v in versions {
        assert!(scheme.cmp(v, v).is_none(), "{v:?} should be refused");
    }
    for c in constraints {
        assert!(
            scheme.check_constraint(c, PreReleases::Default).is_err(),
            "{c:?} should be refused"
        );
    }
}

#[test]
fn debian_versions_and_relations_conform_to_dpkg() {
    let dpkg = scheme("Dpkg");
    let order: Vec<(String, String, i8)> = table!("dpkg_order.jsonl");
    let relations: Vec<(String, String, bool)> = table!("dpkg_relations.jsonl");
    assert!(order.len() + relations.len() >= 60);
    let mut wrong = Vec::new();
    order_rows(dpkg, &order, &mut wrong);
    constraint_rows(dpkg, PreReleases::Default, &relations, &mut wrong);
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    refusals(
        dpkg,
        &table!("dpkg_invalid.jsonl"),
        &table!("dpkg_relations_invalid.jsonl"),
    );
}

#[test]
fn alpine_versions_and_constraints_conform_to_apk() {
    let apk = scheme("Apk");
    let order: Vec<(String, String, i8)> = table!("apk_order.jsonl");
    let constraints: Vec<(String, String, bool)> = table!("apk_constraints.jsonl");
    assert!(order.len() + constraints.len() >= 60);
    let mut wrong = Vec::new();
    order_rows(apk, &order, &mut wrong);
    // `pre_releases: true`: the comparisons alone decide, as apk-tools does.
    constraint_rows(apk, PreReleases::All, &constraints, &mut wrong);
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    refusals(
        apk,
        &table!("apk_invalid.jsonl"),
        &table!("apk_constraints_invalid.jsonl"),
    );
}

/// (scheme, constraint, `pre_releases`, releases, what is kept).
type PolicyRow = (String, Option<String>, bool, Vec<String>, Vec<String>);

#[test]
fn distro_pre_release_policy() {
    let policy: Vec<PolicyRow> = table!("distro_policy.jsonl");
    for (name, constraint, pre, releases, expected) in &policy {
        let releases = strs(releases);
        let kept = kept(scheme(name), constraint.as_deref(), opt_in(*pre), &releases);
        assert_eq!(
            &kept, expected,
            "{name} {constraint:?} pre_releases={pre:?}"
        );
    }
}

/// (scheme, constraint, releases, what is kept with `pre_releases` absent, `false`, `true`).
type ThreeWayRow = (String, Option<String>, Vec<String>, [Vec<String>; 3]);

/// Three-way rows: each kept list under `pre_releases` absent, `false` and `true`.
fn three_way(rows: &[ThreeWayRow]) -> Vec<String> {
    let mut wrong = Vec::new();
    for (name, constraint, releases, expected) in rows {
        let releases = strs(releases);
        for (pre, want) in [PreReleases::Default, PreReleases::Never, PreReleases::All]
            .into_iter()
            .zip(expected)
        {
            let kept = kept(scheme(name), constraint.as_deref(), pre, &releases);
            if &kept != want {
                wrong.push(format!(
                    "{name} {constraint:?} {releases:?} {pre:?}: kept {kept:?}, want {want:?}"
                ));
            }
        }
    }
    wrong
}

#[test]
fn pre_releases_absent_false_and_true() {
    let wrong = three_way(&table!("three_way.jsonl"));
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

/// A Terraform row (see `terraform.jsonl`); `None` when it holds.
fn terraform_row(row: &[Value]) -> Option<String> {
    use super::terraform::{Constraints, Version};
    let tf = scheme("Terraform");
    let text = |i: usize| row[i].as_str().unwrap_or_else(|| panic!("{row:?}"));
    let ok = match text(0) {
        "valid" => tf.cmp(text(1), text(1)).is_some() == row[2],
        "order" => sign(tf.cmp(text(1), text(2))).map(i64::from) == row[3].as_i64(),
        "check" => {
            let c = Constraints::parse(text(1)).unwrap_or_else(|e| panic!("{e}"));
            let v = Version::parse(text(2)).unwrap_or_else(|| panic!("{row:?}"));
            c.check(&v) == row[3]
        }
        "constraint_invalid" => tf.check_constraint(text(1), PreReleases::Default).is_err(),
        "constraint_valid" => tf.check_constraint(text(1), PreReleases::Default).is_ok(),
        "three_way" => {
            let row: ThreeWayRow = serde_json::from_value(Value::Array(row[1..].to_vec()))
                .unwrap_or_else(|e| panic!("{row:?}: {e}"));
            return Some(three_way(&[row]).join("\n")).filter(|w| !w.is_empty());
        }
        other => panic!("unknown row kind {other:?}"),
    };
    (!ok).then(|| format!("{row:?}"))
}

#[test]
fn terraform_versions_and_constraints_conform_to_go_version() {
    let rows: Vec<Vec<Value>> = table!("terraform.jsonl");
    assert!(rows.len() >= 120, "{} rows", rows.len());
    let wrong: Vec<String> = rows.iter().filter_map(|r| terraform_row(r)).collect();
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}
