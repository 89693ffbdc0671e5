//! Cross-checks against node-semver and `packaging` themselves, on cases `ci/version-oracles` generates (ignored tests).

use super::{npm, pep440, PreReleases, VersionScheme};
use serde_json::Value;
use std::cmp::Ordering;

fn load(var: &str) -> Value {
    let path = std::env::var(var).unwrap_or_else(|_| panic!("set {var} (ci/version-oracles does)"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .map(|a| {
            a.iter()
                .filter_map(|s| s.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

/// Rows `[range, version | null, includePrerelease, satisfies | "invalid"]` from node-semver.
#[test]
#[ignore = "needs ci/version-oracles"]
fn npm_agrees_with_node_semver() {
    let rows = load("UPTICK_NPM_ORACLE");
    let rows = rows.as_array().map(Vec::as_slice).unwrap_or_default();
    let mut wrong = Vec::new();
    for r in rows {
        let (range, inc) = (
            r[0].as_str().unwrap_or_default(),
            r[2].as_bool() == Some(true),
        );
        let scheme: &dyn VersionScheme = &npm::NPM;
        let pre = PreReleases::from(inc.then_some(true));
        let got = match (scheme.check_constraint(range, pre), r[1].as_str()) {
            (Err(_), _) => None,
            (Ok(()), None) => Some(true),
            (Ok(()), Some(v)) => scheme.cmp(v, v).map(|_| {
                scheme
                    .order(&[v], Some(range), pre)
                    .is_ok_and(|kept| !kept.is_empty())
            }),
        };
        let want = if r[3] == "invalid" {
            None
        } else {
            r[3].as_bool()
        };
        if got != want {
            wrong.push(format!(
                "{range:?} {} includePrerelease={inc}: node-semver {want:?}, uptick {got:?}",
                r[1]
            ));
        }
    }
    eprintln!(
        "npm: {} of {} rows agree",
        rows.len() - wrong.len(),
        rows.len()
    );
    assert!(
        wrong.is_empty(),
        "{}",
        wrong[..wrong.len().min(40)].join("\n")
    );
}

/// PEP 440's scheme as package sources use it.
fn pep() -> &'static dyn VersionScheme {
    &pep440::PEP440
}

/// The order of two texts, a text that is not PEP 440 below every version (`Option`'s order).
fn pep_order(a: &str, b: &str) -> Ordering {
    let valid = |v: &str| pep().cmp(v, v).is_some();
    pep().cmp(a, b).unwrap_or_else(|| valid(a).cmp(&valid(b)))
}

/// Version validity, order and equality against `packaging`.
fn pep440_versions(m: &Value, wrong: &mut Vec<String>) {
    let valid = strings(&m["valid"]);
    for v in strings(&m["all"]) {
        if pep().cmp(&v, &v).is_some() != valid.contains(&v) {
            wrong.push(format!("validity of {v:?}"));
        }
    }
    for w in strings(&m["order"]).windows(2) {
        if pep_order(&w[0], &w[1]).is_gt() {
            wrong.push(format!("order {:?} > {:?}", w[0], w[1]));
        }
    }
    for e in m["equal"].as_array().map(Vec::as_slice).unwrap_or_default() {
        let pair = strings(e);
        if pep_order(&pair[0], &pair[1]).is_ne() {
            wrong.push(format!("{:?} != {:?}", pair[0], pair[1]));
        }
    }
}

/// Specifier rows: validity, whether the version matches (`pre_releases: true`, where the
/// specifiers alone decide) and whether a specifier names a pre-release.
fn pep440_rows(rows: &[Value], wrong: &mut Vec<String>) {
    for r in rows {
        let specs = r[0].as_str().unwrap_or_default();
        match (
            pep().check_constraint(specs, PreReleases::Default),
            r[1].as_str(),
        ) {
            (Err(_), None) => {}
            (Ok(()), None) => wrong.push(format!("{specs:?} should be invalid")),
            (Err(e), Some(_)) => wrong.push(format!("{specs:?} should be valid: {e}")),
            (Ok(()), Some(v)) => {
                let parsed = pep440::Specifiers::parse(specs);
                // Text that is not PEP 440 reaches a release list only through an `===`
                // naming it; what the specifiers alone say of it is checked on them.
                let matches = match pep().cmp(v, v) {
                    Some(_) => pep()
                        .order(&[v], Some(specs), PreReleases::All)
                        .is_ok_and(|kept| !kept.is_empty()),
                    None => parsed.as_ref().is_ok_and(|s| s.contains(v, None)),
                };
                let names = parsed.is_ok_and(|s| s.names_prerelease());
                let got = (matches, names);
                if Some(got.0) != r[2].as_bool() || Some(got.1) != r[3].as_bool() {
                    wrong.push(format!(
                        "{specs:?} {v:?}: packaging ({}, {}), uptick {got:?}",
                        r[2], r[3]
                    ));
                }
            }
        }
    }
}

/// Filtered lists: `prereleases=None`, `False`, `True` in `l[2]`, `l[3]`, `l[4]`.
fn pep440_lists(lists: &[Value], wrong: &mut Vec<String>) {
    for l in lists {
        let specs = l[0].as_str().unwrap_or_default();
        if pep().check_constraint(specs, PreReleases::Default).is_err() {
            wrong.push(format!("{specs:?} should be valid"));
            continue;
        }
        let releases = strings(&l[1]);
        let releases: Vec<&str> = releases.iter().map(String::as_str).collect();
        for (i, pre) in [
            (2, PreReleases::Default),
            (3, PreReleases::Never),
            (4, PreReleases::All),
        ] {
            let mut kept = pep().order(&releases, Some(specs), pre).unwrap_or_default();
            kept.sort_unstable();
            let got: Vec<&str> = kept.into_iter().map(|k| releases[k]).collect();
            if got != strings(&l[i]) {
                wrong.push(format!(
                    "filter {specs:?} {} {pre:?}: packaging {}, uptick {got:?}",
                    l[1], l[i]
                ));
            }
        }
    }
}

/// Specifier rows `[specifiers, version | null, matches | "invalid", names a pre-release]`,
/// filtered lists (`prereleases=None`, `False`, `True`), and version validity / order / equality, from `packaging`.
#[test]
#[ignore = "needs ci/version-oracles"]
fn pep440_agrees_with_packaging() {
    let m = load("UPTICK_PEP440_ORACLE");
    let mut wrong = Vec::new();
    pep440_versions(&m, &mut wrong);
    let rows = m["rows"].as_array().map(Vec::as_slice).unwrap_or_default();
    pep440_rows(rows, &mut wrong);
    let lists = m["lists"].as_array().map(Vec::as_slice).unwrap_or_default();
    pep440_lists(lists, &mut wrong);
    eprintln!(
        "pep440: {} rows, {} lists; {} disagreements",
        rows.len(),
        lists.len(),
        wrong.len()
    );
    assert!(
        wrong.is_empty(),
        "{}",
        wrong[..wrong.len().min(40)].join("\n")
    );
}
