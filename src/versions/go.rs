//! Go module versions as golang.org/x/mod reads them: semver with a required `v`, pseudo-versions told apart, node-semver ranges.
//!
//! The parsing, comparison and pseudo-version rules follow `golang.org/x/mod/semver`
//! (`IsValid`, `Canonical`, `Compare`) and `golang.org/x/mod/module` (`IsPseudoVersion`,
//! `CanonicalVersion`) step by step; no Rust crate implements them. Constraints are node-semver
//! ranges (the `github` / `git` grammar, [`super::npm::Range`]): Go itself has none.

use super::npm;
use regex::Regex;
use std::cmp::Ordering;
use std::sync::OnceLock;

/// A Go semantic version split into its parts (`golang.org/x/mod/semver`'s `parsed`).
#[derive(Debug, Default, PartialEq, Eq)]
struct Parts<'a> {
    major: &'a str,
    minor: &'a str,
    patch: &'a str,
    /// `.0.0` or `.0` for the `v1` / `v1.2` shorthands.
    short: &'static str,
    /// With its leading `-`.
    prerelease: &'a str,
    /// With its leading `+`.
    build: &'a str,
}

/// `semver.parse`: `None` when `v` is not a Go semantic version.
fn parse(v: &str) -> Option<Parts<'_>> {
    let mut p = Parts::default();
    let rest = v.strip_prefix('v')?;
    let (major, rest) = parse_int(rest)?;
    p.major = major;
    if rest.is_empty() {
        (p.minor, p.patch, p.short) = ("0", "0", ".0.0");
        return Some(p);
    }
    let (minor, rest) = parse_int(rest.strip_prefix('.')?)?;
    p.minor = minor;
    if rest.is_empty() {
        (p.patch, p.short) = ("0", ".0");
        return Some(p);
    }
    let (patch, mut rest) = parse_int(rest.strip_prefix('.')?)?;
    p.patch = patch;
    if rest.starts_with('-') {
        let end = rest.find('+').unwrap_or(rest.len());
        p.prerelease = &rest[..end];
        if !identifiers(&p.prerelease[1..], true) {
            return None;
        }
        rest = &rest[end..];
    }
    if rest.starts_with('+') {
        p.build = rest;
        if !identifiers(&rest[1..], false) {
            return None;
        }
        rest = "";
    }
    rest.is_empty().then_some(p)
}

/// A decimal number without leading zeros at the start of `v`, and what follows it.
fn parse_int(v: &str) -> Option<(&str, &str)> {
    let end = v.find(|c: char| !c.is_ascii_digit()).unwrap_or(v.len());
    if end == 0 || (v.starts_with('0') && end != 1) {
        return None;
    }
    Some(v.split_at(end))
}

/// Dot-separated non-empty `[0-9A-Za-z-]` identifiers; numeric ones without leading zeros when
/// `numbers_strict` (pre-release, not build metadata).
fn identifiers(s: &str, numbers_strict: bool) -> bool {
    s.split('.').all(|id| {
        !id.is_empty()
            && id.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'-')
            && !(numbers_strict && is_bad_num(id))
    })
}

/// `semver.isBadNum`: all digits, more than one, leading zero.
fn is_bad_num(id: &str) -> bool {
    id.len() > 1 && id.starts_with('0') && id.bytes().all(|c| c.is_ascii_digit())
}

/// `semver.IsValid`: `v` followed by MAJOR[.MINOR[.PATCH[-PRERELEASE][+BUILD]]].
pub fn is_valid(v: &str) -> bool {
    parse(v).is_some()
}

/// `semver.Canonical`: the `vMAJOR.MINOR.PATCH[-PRERELEASE]` form (shorthands filled in, build
/// metadata dropped); `None` when `v` is not valid.
pub fn canonical(v: &str) -> Option<String> {
    let p = parse(v)?;
    Some(if !p.build.is_empty() {
        v[..v.len() - p.build.len()].to_string()
    } else {
        format!("{v}{}", p.short)
    })
}

/// `module.CanonicalVersion`: [`canonical`], keeping a `+incompatible` suffix.
pub fn canonical_version(v: &str) -> Option<String> {
    let p = parse(v)?;
    let c = canonical(v)?;
    Some(if p.build == "+incompatible" {
        c + "+incompatible"
    } else {
        c
    })
}

/// `semver.Major`: `v2` of `v2.3.4` (`None` when invalid).
pub fn major(v: &str) -> Option<&str> {
    let p = parse(v)?;
    Some(&v[..1 + p.major.len()])
}

/// `semver.Build`: `+incompatible` of `v2.0.0+incompatible`, or empty.
pub fn build(v: &str) -> &str {
    parse(v).map(|p| p.build).unwrap_or("")
}

/// `semver.Compare`: an invalid version is below every valid one (and equal to another invalid
/// one); build metadata is ignored.
pub fn compare(v: &str, w: &str) -> Ordering {
    match (parse(v), parse(w)) {
        (None, None) => Ordering::Equal,
        (None, Some(_)) => Ordering::Less,
        (Some(_), None) => Ordering::Greater,
        (Some(a), Some(b)) => compare_int(a.major, b.major)
            .then_with(|| compare_int(a.minor, b.minor))
            .then_with(|| compare_int(a.patch, b.patch))
            .then_with(|| compare_prerelease(a.prerelease, b.prerelease)),
    }
}

/// Decimal strings without leading zeros: the longer is larger, then text order.
fn compare_int(x: &str, y: &str) -> Ordering {
    x.len().cmp(&y.len()).then_with(|| x.cmp(y))
}

/// `semver.comparePrerelease`: none above any; identifiers left to right, numeric ones by value
/// and below alphanumeric ones; a longer list above its prefix.
fn compare_prerelease(x: &str, y: &str) -> Ordering {
    if x == y {
        return Ordering::Equal;
    }
    match (x.is_empty(), y.is_empty()) {
        (true, _) => return Ordering::Greater,
        (_, true) => return Ordering::Less,
        _ => {}
    }
    let num = |s: &str| s.bytes().all(|c| c.is_ascii_digit());
    let mut xs = x[1..].split('.');
    let mut ys = y[1..].split('.');
    loop {
        match (xs.next(), ys.next()) {
            (Some(dx), Some(dy)) if dx != dy => {
                return match (num(dx), num(dy)) {
                    (true, false) => Ordering::Less,
                    (false, true) => Ordering::Greater,
                    (true, true) => compare_int(dx, dy),
                    (false, false) => dx.cmp(dy),
                };
            }
            (Some(_), Some(_)) => {}
            (None, None) => return Ordering::Equal,
            (None, Some(_)) => return Ordering::Less,
            (Some(_), None) => return Ordering::Greater,
        }
    }
}

/// `module.IsPseudoVersion`: `v0.0.0-20191109021931-daa7c04131f5`,
/// `v1.2.4-0.20191109021931-daa7c04131f5`, `v1.2.3-pre.0.20191109021931-daa7c04131f5`.
pub fn is_pseudo(v: &str) -> bool {
    static RE: OnceLock<Regex> = OnceLock::new();
    let re = RE.get_or_init(|| {
        Regex::new(
            r"^v[0-9]+\.(0\.0-|[0-9]+\.[0-9]+-([^+]*\.)?0\.)[0-9]{14}-[A-Za-z0-9]+(\+[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?$",
        )
        .unwrap_or_else(|e| unreachable!("static regex: {e}"))
    });
    v.matches('-').count() >= 2 && is_valid(v) && re.is_match(v)
}

/// A version as a module proxy's `@v/list` may carry one for a release: valid, canonical
/// (`module.CanonicalVersion(v) == v`: no `v1` / `v1.2` shorthand, no build metadata but
/// `+incompatible`), not a pseudo-version, its numbers within node-semver's range (for
/// constraints). The result orders as [`compare`] does.
pub fn release_version(v: &str) -> Option<npm::Version> {
    if canonical_version(v).as_deref() != Some(v) || is_pseudo(v) {
        return None;
    }
    let p = parse(v)?;
    let n = |s: &str| {
        s.parse::<u64>()
            .ok()
            .filter(|n| *n <= 9_007_199_254_740_991)
    };
    Some(npm::Version::from_parts(
        n(p.major)?,
        n(p.minor)?,
        n(p.patch)?,
        p.prerelease.strip_prefix('-').unwrap_or(""),
    ))
}

/// Go modules' scheme: versions as golang.org/x/mod orders them ([`release_version`]: a required
/// `v`, pseudo-versions skipped) under node-semver ranges.
pub(crate) struct GoScheme;

/// Go modules' scheme (module proxies).
pub(crate) static GO: GoScheme = GoScheme;

impl super::Scheme for GoScheme {
    type Version = npm::Version;
    type Constraint = npm::Range;

    fn parse(&self, text: &str, _: Option<&npm::Range>) -> Option<npm::Version> {
        release_version(text)
    }

    fn constraint(&self, text: &str, pre: super::PreReleases) -> Result<npm::Range, String> {
        npm::range(text, pre)
    }

    fn is_prerelease(&self, v: &npm::Version) -> bool {
        v.is_prerelease()
    }

    fn admits(
        &self,
        c: Option<&npm::Range>,
        pre: super::PreReleases,
        _: &str,
        v: &npm::Version,
    ) -> bool {
        npm::admits(c, pre, v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `golang.org/x/mod/semver`'s `tests` table (semver_test.go): input, `Canonical` ("" =
    /// invalid).
    const CANONICAL: &[(&str, &str)] = &[
        ("bad", ""),
        ("v1-alpha.beta.gamma", ""),
        ("v1-pre", ""),
        ("v1+meta", ""),
        ("v1-pre+meta", ""),
        ("v1.2-pre", ""),
        ("v1.2+meta", ""),
        ("v1.2-pre+meta", ""),
        ("v1.0.0-alpha", "v1.0.0-alpha"),
        ("v1.0.0-alpha.1", "v1.0.0-alpha.1"),
        ("v1.0.0-alpha.beta", "v1.0.0-alpha.beta"),
        ("v1.0.0-beta", "v1.0.0-beta"),
        ("v1.0.0-beta.2", "v1.0.0-beta.2"),
        ("v1.0.0-beta.11", "v1.0.0-beta.11"),
        ("v1.0.0-rc.1", "v1.0.0-rc.1"),
        ("v1", "v1.0.0"),
        ("v1.0", "v1.0.0"),
        ("v1.0.0", "v1.0.0"),
        ("v1.2", "v1.2.0"),
        ("v1.2.0", "v1.2.0"),
        ("v1.2.3-456", "v1.2.3-456"),
        ("v1.2.3-456.789", "v1.2.3-456.789"),
        ("v1.2.3-456-789", "v1.2.3-456-789"),
        ("v1.2.3-456a", "v1.2.3-456a"),
        ("v1.2.3-pre", "v1.2.3-pre"),
        ("v1.2.3-pre+meta", "v1.2.3-pre"),
        ("v1.2.3-pre.1", "v1.2.3-pre.1"),
        ("v1.2.3-zzz", "v1.2.3-zzz"),
        ("v1.2.3", "v1.2.3"),
        ("v1.2.3+meta", "v1.2.3"),
        ("v1.2.3+meta-pre", "v1.2.3"),
        ("v1.2.3+meta-pre.sha.256a", "v1.2.3"),
        // Beyond the table: the `v` is required, no leading zeros, no empty identifiers.
        ("1.2.3", ""),
        ("V1.2.3", ""),
        ("v01.2.3", ""),
        ("v1.02.3", ""),
        ("v1.2.03", ""),
        ("v1.2.3-01", ""),
        ("v1.2.3-0a", "v1.2.3-0a"),
        ("v1.2.3-", ""),
        ("v1.2.3-a..b", ""),
        ("v1.2.3+", ""),
        ("v1.2.3+01", "v1.2.3"),
        ("v1.2.3.4", ""),
        ("v1.2.3-a_b", ""),
        ("v2.0.0+incompatible", "v2.0.0"),
        ("v0.0.0", "v0.0.0"),
        ("v100000000000000000000.0.0", "v100000000000000000000.0.0"),
        ("", ""),
        ("v", ""),
    ];

    #[test]
    fn is_valid_and_canonical_as_golang_x_mod() {
        for (input, out) in CANONICAL {
            assert_eq!(is_valid(input), !out.is_empty(), "IsValid({input:?})");
            assert_eq!(
                canonical(input).unwrap_or_default(),
                *out,
                "Canonical({input:?})"
            );
        }
        assert_eq!(major("v2.3.4"), Some("v2"));
        assert_eq!(major("v1.2"), Some("v1"));
        assert_eq!(major("bad"), None);
        assert_eq!(build("v2.0.0+incompatible"), "+incompatible");
        assert_eq!(
            canonical_version("v2.0.0+incompatible").as_deref(),
            Some("v2.0.0+incompatible")
        );
        assert_eq!(canonical_version("v2.0.0+meta").as_deref(), Some("v2.0.0"));
    }

    /// semver_test.go's `TestCompare`: every pair of the table's valid versions (in its order,
    /// which is ascending, equal neighbours aside) compares by position; invalid ones are lowest.
    #[test]
    fn compare_as_golang_x_mod() {
        // The table's inputs, ascending as TestCompare walks them (`bad` and the shorthand
        // errors first: all invalid, all equal).
        let ascending: Vec<&str> = CANONICAL[..32].iter().map(|(i, _)| *i).collect();
        for (i, a) in ascending.iter().enumerate() {
            for (j, b) in ascending.iter().enumerate() {
                let ca = canonical(a).unwrap_or_default();
                let cb = canonical(b).unwrap_or_default();
                let want = if ca == cb { Ordering::Equal } else { i.cmp(&j) };
                assert_eq!(compare(a, b), want, "Compare({a:?}, {b:?})");
            }
        }
    }

    /// Ordering rows (a < b), from the semver 2.0 precedence examples Go follows and the Go
    /// module reference (`+incompatible` ignored, numbers of any length).
    const LESS: &[(&str, &str)] = &[
        ("v1.0.0-alpha", "v1.0.0-alpha.1"),
        ("v1.0.0-alpha.1", "v1.0.0-alpha.beta"),
        ("v1.0.0-alpha.beta", "v1.0.0-beta"),
        ("v1.0.0-beta", "v1.0.0-beta.2"),
        ("v1.0.0-beta.2", "v1.0.0-beta.11"),
        ("v1.0.0-beta.11", "v1.0.0-rc.1"),
        ("v1.0.0-rc.1", "v1.0.0"),
        ("v1.0.0", "v2.0.0"),
        ("v2.0.0", "v2.1.0"),
        ("v2.1.0", "v2.1.1"),
        ("v1.9.0", "v1.10.0"),
        ("v1.10.0", "v1.11.0"),
        ("v0.9.9", "v1.0.0"),
        ("v1.2.3-9", "v1.2.3-10"),
        ("v1.2.3-99", "v1.2.3-a"),
        ("v1.2.3-A", "v1.2.3-a"),
        ("v1.2.3-rc.1", "v1.2.3-rc.1.1"),
        ("v1.9.9+incompatible", "v2.0.0+incompatible"),
        ("v2.0.0+incompatible", "v2.0.1"),
        ("v2.0.0-rc.1+incompatible", "v2.0.0+incompatible"),
        ("v0.0.0-20191109021931-daa7c04131f5", "v0.0.0"),
        ("v1.2.3", "v1.2.4-0.20191109021931-daa7c04131f5"),
        ("v1.2.4-0.20191109021931-daa7c04131f5", "v1.2.4"),
        ("v1.2.3-pre", "v1.2.3-pre.0.20191109021931-daa7c04131f5"),
        ("v99999999999999999999.0.0", "v100000000000000000000.0.0"),
        ("bad", "v0.0.0"),
    ];

    /// Equal under Go's order: build metadata is ignored, shorthands fill in zeros.
    const EQUAL: &[(&str, &str)] = &[
        ("v2.0.0+incompatible", "v2.0.0"),
        ("v1.2.3+meta", "v1.2.3"),
        ("v1.2.3-pre+a", "v1.2.3-pre+b"),
        ("v1", "v1.0.0"),
        ("v1.2", "v1.2.0"),
        ("bad", "1.2.3"),
    ];

    #[test]
    fn order_rows() {
        for (a, b) in LESS {
            assert_eq!(compare(a, b), Ordering::Less, "{a} < {b}");
            assert_eq!(compare(b, a), Ordering::Greater, "{b} > {a}");
        }
        for (a, b) in EQUAL {
            assert_eq!(compare(a, b), Ordering::Equal, "{a} = {b}");
        }
    }

    /// `module.IsPseudoVersion` (pseudo_test.go's versions and their `older` bases).
    const PSEUDO: &[(&str, bool)] = &[
        ("v0.0.0-20060102150405-hash", true),
        ("v1.0.0-20060102150405-hash", true),
        ("v2.0.0-20060102150405-hash", true),
        ("v0.0.1-0.20060102150405-hash", true),
        ("v1.2.4-0.20060102150405-hash", true),
        ("v1.2.100000000000000000-0.20060102150405-hash", true),
        ("v1.2.3-pre.0.20060102150405-hash", true),
        ("v1.3.0-pre.0.20060102150405-hash", true),
        ("v0.0.0--.0.20060102150405-hash", true),
        ("v1.0.1-0.20060102150405-hash+metadata", true),
        ("v2.0.1-0.20060102150405-hash+incompatible", true),
        ("v2.3.0-pre.0.20060102150405-hash+incompatible", true),
        ("v0.0.0-20191109021931-daa7c04131f5", true),
        ("v0.0.0", false),
        ("v1.2.3", false),
        ("v1.2.99999999999999999", false),
        ("v1.2.3-pre", false),
        ("v1.3.0-pre", false),
        ("v0.0.0--", false),
        ("v1.0.0+metadata", false),
        ("v2.0.0+incompatible", false),
        ("v2.3.0-pre+incompatible", false),
        // Not 14 digits, not `0.` before the time, or one dash only.
        ("v1.2.3-0.2006010215040-hash", false),
        ("v1.2.3-1.20060102150405-hash", false),
        ("v0.0.0-20060102150405", false),
        ("---", false),
    ];

    #[test]
    fn pseudo_versions() {
        for (v, want) in PSEUDO {
            assert_eq!(is_pseudo(v), *want, "IsPseudoVersion({v:?})");
        }
    }

    /// What a proxy list line may be as a release (the version kept, with its `v`) or not.
    const RELEASES: &[(&str, bool)] = &[
        ("v1.2.3", true),
        ("v2.0.0+incompatible", true),
        ("v1.0.0-rc.1", true),
        ("v1", false),
        ("v1.2", false),
        ("v1.2.3+meta", false),
        ("1.2.3", false),
        ("v0.0.0-20191109021931-daa7c04131f5", false),
        ("v1.2.4-0.20191109021931-daa7c04131f5", false),
        ("v100000000000000000000.0.0", false),
    ];

    #[test]
    fn release_versions() {
        for (v, want) in RELEASES {
            assert_eq!(release_version(v).is_some(), *want, "{v}");
        }
        // The node-semver version orders as Go's compare does, for every pair of releases.
        let all: Vec<&str> = LESS
            .iter()
            .flat_map(|(a, b)| [*a, *b])
            .filter(|v| release_version(v).is_some())
            .collect();
        assert!(all.len() > 20);
        for a in &all {
            for b in &all {
                assert_eq!(
                    release_version(a).cmp(&release_version(b)),
                    compare(a, b),
                    "{a} vs {b}"
                );
            }
        }
    }

    /// Constraint rows: node-semver ranges over Go versions (`pre_releases` = includePrerelease).
    const CONSTRAINTS: &[(&str, &str, bool, bool)] = &[
        ("v1.2.3", ">=1.2.0 <2", false, true),
        ("v2.0.0+incompatible", ">=1.2.0 <2", false, false),
        ("v2.0.0+incompatible", "^2", false, true),
        ("v2.1.0+incompatible", "~2.0", false, false),
        ("v1.5.0", "^1.4", false, true),
        ("v1.3.9", "^1.4", false, false),
        ("v0.3.1", "^0.3.0", false, true),
        ("v0.4.0", "^0.3.0", false, false),
        ("v1.0.0-rc.1", ">=1.0.0-rc.0", false, true),
        ("v1.0.0-rc.1", ">=0.9", false, false),
        ("v1.0.0-rc.1", ">=0.9", true, true),
        ("v1.2.3", "v1.2.3", false, true),
        ("v1.2.3", ">=v1.2.4", false, false),
        ("v1.2.3", "1.x || 3.x", false, true),
        ("v2.5.0", "1.x || 3.x", false, false),
        ("v1.2.3", "1.0.0 - 1.2.2", false, false),
        ("v1.2.3", "*", false, true),
        ("v1.2.3-beta", "*", false, false),
        ("v1.2.3-beta", "*", true, true),
    ];

    #[test]
    fn constraint_rows() {
        for (v, range, pre, want) in CONSTRAINTS {
            let parsed = release_version(v).unwrap_or_else(|| panic!("{v}"));
            let r = npm::Range::parse(range, *pre).unwrap_or_else(|e| panic!("{range}: {e}"));
            assert_eq!(r.satisfies(&parsed), *want, "{v} in {range} (pre {pre})");
        }
    }

    /// Generated versions answered by golang.org/x/mod itself: `ci/go-oracle` writes them.
    #[test]
    #[ignore = "needs ci/go-oracle"]
    fn agrees_with_golang_x_mod() {
        let file = std::env::var("UPTICK_GO_ORACLE")
            .unwrap_or_else(|_| panic!("set UPTICK_GO_ORACLE (ci/go-oracle does)"));
        let text = std::fs::read_to_string(&file).unwrap_or_else(|e| panic!("{file}: {e}"));
        let doc: serde_json::Value =
            serde_json::from_str(&text).unwrap_or_else(|e| panic!("{file}: {e}"));
        let s = |v: &serde_json::Value| v.as_str().unwrap_or_default().to_string();
        let mut wrong = Vec::new();
        let versions = doc["versions"].as_array().cloned().unwrap_or_default();
        for r in &versions {
            let v = s(&r["v"]);
            let got = (
                is_valid(&v),
                canonical(&v).unwrap_or_default(),
                canonical_version(&v).unwrap_or_default(),
                is_pseudo(&v),
            );
            let want = (
                r["valid"].as_bool() == Some(true),
                s(&r["canonical"]),
                s(&r["module_canonical"]),
                r["pseudo"].as_bool() == Some(true),
            );
            if got != want {
                wrong.push(format!("{v}: {got:?}, x/mod {want:?}"));
            }
        }
        let compares = doc["compare"].as_array().cloned().unwrap_or_default();
        for r in &compares {
            let (a, b) = (s(&r[0]), s(&r[1]));
            let want = r[2].as_i64().unwrap_or(9);
            let got = compare(&a, &b) as i64;
            if got != want {
                wrong.push(format!("Compare({a}, {b}) = {got}, x/mod {want}"));
            }
        }
        eprintln!(
            "{} versions, {} comparisons checked against golang.org/x/mod",
            versions.len(),
            compares.len()
        );
        assert!(versions.len() > 1000 && compares.len() > 10_000);
        assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    }

    #[test]
    fn at_least_sixty_rows() {
        let rows = CANONICAL.len()
            + LESS.len()
            + EQUAL.len()
            + PSEUDO.len()
            + RELEASES.len()
            + CONSTRAINTS.len();
        assert!(rows >= 60, "{rows}");
    }
}
