//! Cross-checks against node-semver and `packaging` themselves, on cases `ci/version-oracles` generates (ignored tests).

use super::{npm, pep440};
use serde_json::Value;
use std::str::FromStr;

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
        let got = match (npm::Range::parse(range, inc), r[1].as_str()) {
            (Err(_), _) => None,
            (Ok(_), None) => Some(true),
            (Ok(parsed), Some(v)) => npm::Version::parse(v).ok().map(|v| parsed.satisfies(&v)),
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

/// Specifier rows `[specifiers, version | null, matches | "invalid", names a pre-release]`,
/// filtered lists (`prereleases=None`, `False`, `True`), and version validity / order / equality, from `packaging`.
#[test]
#[ignore = "needs ci/version-oracles"]
fn pep440_agrees_with_packaging() {
    let m = load("UPTICK_PEP440_ORACLE");
    let mut wrong = Vec::new();
    let valid = strings(&m["valid"]);
    for v in strings(&m["all"]) {
        if pep440::Version::from_str(&v).is_ok() != valid.contains(&v) {
            wrong.push(format!("validity of {v:?}"));
        }
    }
    let parse = |s: &str| pep440::Version::from_str(s).ok();
    for w in strings(&m["order"]).windows(2) {
        if parse(&w[0]) > parse(&w[1]) {
            wrong.push(format!("order {:?} > {:?}", w[0], w[1]));
        }
    }
    for e in m["equal"].as_array().map(Vec::as_slice).unwrap_or_default() {
        let pair = strings(e);
        if parse(&pair[0]) != parse(&pair[1]) {
            wrong.push(format!("{:?} != {:?}", pair[0], pair[1]));
        }
    }
    let rows = m["rows"].as_array().map(Vec::as_slice).unwrap_or_default();
    for r in rows {
        let specs = r[0].as_str().unwrap_or_default();
        match (pep440::Specifiers::parse(specs), r[1].as_str()) {
            (Err(_), None) => {}
            (Ok(_), None) => wrong.push(format!("{specs:?} should be invalid")),
            (Err(e), Some(_)) => wrong.push(format!("{specs:?} should be valid: {e}")),
            (Ok(s), Some(v)) => {
                let got = (s.contains(v, parse(v).as_ref()), s.names_prerelease());
                if Some(got.0) != r[2].as_bool() || Some(got.1) != r[3].as_bool() {
                    wrong.push(format!(
                        "{specs:?} {v:?}: packaging ({}, {}), uptick {got:?}",
                        r[2], r[3]
                    ));
                }
            }
        }
    }
    let lists = m["lists"].as_array().map(Vec::as_slice).unwrap_or_default();
    for l in lists {
        let specs = l[0].as_str().unwrap_or_default();
        let Ok(s) = pep440::Specifiers::parse(specs) else {
            wrong.push(format!("{specs:?} should be valid"));
            continue;
        };
        let items: Vec<(String, Option<pep440::Version>)> = strings(&l[1])
            .into_iter()
            .map(|v| {
                let p = parse(&v);
                (v, p)
            })
            .collect();
        // `prereleases=None`, `False`, `True` in l[2], l[3], l[4].
        for (i, prereleases) in [(2, None), (3, Some(false)), (4, Some(true))] {
            let got: Vec<String> =
                pep440::filter(Some(&s), prereleases, items.clone(), |(v, p)| {
                    (v.as_str(), p.as_ref())
                })
                .into_iter()
                .map(|(v, _)| v)
                .collect();
            if got != strings(&l[i]) {
                wrong.push(format!(
                    "filter {specs:?} {} prereleases={prereleases:?}: packaging {}, uptick {got:?}",
                    l[1], l[i]
                ));
            }
        }
    }
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
