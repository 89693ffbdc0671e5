//! Semantic versions and constraints as Masterminds/semver v3 (coercing `NewVersion`) reads them:
//! the rules registry-image-resource's semver mode depends on.

use regex::Regex;
use std::cmp::Ordering;
use std::fmt;
use std::sync::OnceLock;

/// A version: `v1`, `1.2`, `1.2.3-rc.1+meta` (missing parts are 0, the original is kept).
#[derive(Clone, Debug)]
pub struct Version {
    major: u64,
    minor: u64,
    patch: u64,
    pre: String,
    original: String,
}

/// Why a string is not a version or a constraint.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SemverError {
    /// Not a version.
    #[error("`{0}` is not a semantic version")]
    Invalid(String),
    /// Not a constraint.
    #[error("improper constraint: `{0}`")]
    Constraint(String),
}

const LOOSE: &str = r"^v?([0-9]+)(\.[0-9]+)?(\.[0-9]+)?(-([0-9A-Za-z\-]+(\.[0-9A-Za-z\-]+)*))?(\+([0-9A-Za-z\-]+(\.[0-9A-Za-z\-]+)*))?$";
const CV: &str = r"v?([0-9|x|X|\*]+)(\.[0-9|x|X|\*]+)?(\.[0-9|x|X|\*]+)?(-([0-9A-Za-z\-]+(\.[0-9A-Za-z\-]+)*))?(\+([0-9A-Za-z\-]+(\.[0-9A-Za-z\-]+)*))?";
const OPS: &str = r"=||!=|>|<|>=|=>|<=|=<|~|~>|\^";

struct Patterns {
    loose: Regex,
    constraint: Regex,
    range: Regex,
    find: Regex,
    valid: Regex,
}

fn patterns() -> &'static Patterns {
    static P: OnceLock<Patterns> = OnceLock::new();
    P.get_or_init(|| {
        let build = |p: &str| Regex::new(p).unwrap_or_else(|e| unreachable!("static regex: {e}"));
        Patterns {
            loose: build(LOOSE),
            constraint: build(&format!(r"^\s*({OPS})\s*({CV})\s*$")),
            range: build(&format!(r"\s*({CV})\s+-\s+({CV})\s*")),
            find: build(&format!(r"({OPS})\s*({CV})")),
            valid: build(&format!(
                r"^(\s*({OPS})\s*({CV})\s*)((?:\s+|,\s*)({OPS})\s*({CV})\s*)*$"
            )),
        }
    })
}

const ALLOWED: fn(char) -> bool = |c| c.is_ascii_alphanumeric() || c == '-';

impl Version {
    /// Parses like Masterminds' `NewVersion` (coercing: leading zeros and 1-3 parts accepted).
    pub fn parse(s: &str) -> Result<Version, SemverError> {
        let invalid = || SemverError::Invalid(s.chars().take(100).collect());
        let m = patterns().loose.captures(s).ok_or_else(invalid)?;
        let num = |i: usize| -> Result<u64, SemverError> {
            match m.get(i) {
                None => Ok(0),
                Some(g) => g
                    .as_str()
                    .trim_start_matches('.')
                    .parse()
                    .map_err(|_| invalid()),
            }
        };
        let pre = m.get(5).map_or("", |g| g.as_str());
        let meta = m.get(8).map_or("", |g| g.as_str());
        let pre_ok = pre.split('.').all(|p| {
            if p.chars().all(|c| c.is_ascii_digit()) {
                !(p.len() > 1 && p.starts_with('0'))
            } else {
                p.chars().all(ALLOWED)
            }
        });
        if (!pre.is_empty() && !pre_ok) || meta.split('.').any(str::is_empty) && !meta.is_empty() {
            return Err(invalid());
        }
        Ok(Version {
            major: num(1)?,
            minor: num(2)?,
            patch: num(3)?,
            pre: pre.to_string(),
            original: s.to_string(),
        })
    }

    /// The pre-release part (`rc.1`), empty for a final version.
    pub fn prerelease(&self) -> &str {
        &self.pre
    }

    /// The text it was parsed from.
    pub fn original(&self) -> &str {
        &self.original
    }

    /// Major, minor, patch.
    pub fn triple(&self) -> (u64, u64, u64) {
        (self.major, self.minor, self.patch)
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.major, self.minor, self.patch)?;
        if !self.pre.is_empty() {
            write!(f, "-{}", self.pre)?;
        }
        Ok(())
    }
}

impl PartialEq for Version {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Version {}

impl PartialOrd for Version {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Version {
    /// Semver precedence; build metadata is ignored.
    fn cmp(&self, o: &Self) -> Ordering {
        self.triple()
            .cmp(&o.triple())
            .then_with(|| match (self.pre.is_empty(), o.pre.is_empty()) {
                (true, true) => Ordering::Equal,
                (true, false) => Ordering::Greater,
                (false, true) => Ordering::Less,
                (false, false) => compare_prerelease(&self.pre, &o.pre),
            })
    }
}

fn compare_prerelease(a: &str, b: &str) -> Ordering {
    let pa: Vec<&str> = a.split('.').collect();
    let pb: Vec<&str> = b.split('.').collect();
    for i in 0..pa.len().max(pb.len()) {
        let x = pa.get(i).copied().unwrap_or("");
        let y = pb.get(i).copied().unwrap_or("");
        let d = compare_pre_part(x, y);
        if d != Ordering::Equal {
            return d;
        }
    }
    Ordering::Equal
}

fn compare_pre_part(s: &str, o: &str) -> Ordering {
    if s == o {
        return Ordering::Equal;
    }
    if s.is_empty() {
        return Ordering::Less;
    }
    if o.is_empty() {
        return Ordering::Greater;
    }
    match (s.parse::<u64>(), o.parse::<u64>()) {
        (Ok(a), Ok(b)) => a.cmp(&b),
        (Ok(_), Err(_)) => Ordering::Less,
        (Err(_), Ok(_)) => Ordering::Greater,
        (Err(_), Err(_)) => s.cmp(o),
    }
}

/// One comparison (`>= 1.2`), with Masterminds' "dirty" wildcards.
#[derive(Clone, Debug)]
struct Constraint {
    op: String,
    con: Version,
    dirty: bool,
    minor_dirty: bool,
    patch_dirty: bool,
}

/// `||`-separated groups of comma/space-separated comparisons.
#[derive(Clone, Debug)]
pub struct Constraints {
    groups: Vec<(Vec<Constraint>, bool)>,
    text: String,
}

fn is_x(s: &str) -> bool {
    matches!(s, "x" | "X" | "*")
}

impl Constraints {
    /// Parses Masterminds syntax: `1.2.x`, `~1.2`, `^1`, `>= 1.2, < 2`, `1.2 - 1.4.5`, `a || b`.
    pub fn parse(text: &str) -> Result<Constraints, SemverError> {
        let p = patterns();
        let err = || SemverError::Constraint(text.chars().take(200).collect());
        // Hyphen ranges become `>= a, <= b`.
        let mut rewritten = text.to_string();
        for c in p.range.captures_iter(text) {
            let (Some(whole), Some(a), Some(b)) = (c.get(0), c.get(1), c.get(11)) else {
                return Err(err());
            };
            rewritten = rewritten.replacen(
                whole.as_str(),
                &format!(">= {}, <= {} ", a.as_str(), b.as_str()),
                1,
            );
        }
        let mut groups = Vec::new();
        for part in rewritten.split("||") {
            if !p.valid.is_match(part) {
                return Err(err());
            }
            let mut found: Vec<&str> = p.find.find_iter(part).map(|m| m.as_str()).collect();
            if found.is_empty() {
                found.push(part);
            }
            let mut list = Vec::new();
            let mut has_pre = false;
            for s in found {
                let c = parse_one(s).ok_or_else(err)?;
                has_pre |= !c.con.pre.is_empty();
                list.push(c);
            }
            groups.push((list, has_pre));
        }
        Ok(Constraints {
            groups,
            text: text.to_string(),
        })
    }

    /// Whether `v` satisfies any group (pre-releases only where the group names one).
    pub fn check(&self, v: &Version) -> bool {
        self.groups
            .iter()
            .any(|(list, has_pre)| list.iter().all(|c| c.check(v, *has_pre)))
    }
}

impl fmt::Display for Constraints {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

fn parse_one(s: &str) -> Option<Constraint> {
    let m = patterns().constraint.captures(s)?;
    let op = m.get(1).map_or("", |g| g.as_str()).to_string();
    let whole = m.get(2).map_or("", |g| g.as_str());
    let major = m.get(3).map_or("", |g| g.as_str());
    let minor = m.get(4).map_or("", |g| g.as_str());
    let patch = m.get(5).map_or("", |g| g.as_str());
    let pre = m.get(6).map_or("", |g| g.as_str());
    let (ver, dirty, minor_dirty, patch_dirty) = if is_x(major) || major.is_empty() {
        (format!("0.0.0{pre}"), true, false, false)
    } else if is_x(minor.trim_start_matches('.')) || minor.is_empty() {
        (format!("{major}.0.0{pre}"), true, true, false)
    } else if is_x(patch.trim_start_matches('.')) || patch.is_empty() {
        (format!("{major}{minor}.0{pre}"), true, false, true)
    } else {
        (whole.to_string(), false, false, false)
    };
    let con = Version::parse(&ver).ok()?;
    Some(Constraint {
        op,
        con,
        dirty,
        minor_dirty,
        patch_dirty,
    })
}

impl Constraint {
    fn check(&self, v: &Version, include_pre: bool) -> bool {
        if !v.pre.is_empty() && !include_pre {
            return false;
        }
        let c = &self.con;
        match self.op.as_str() {
            "" | "=" => {
                if self.dirty {
                    self.tilde(v)
                } else {
                    v == c
                }
            }
            "!=" => self.not_equal(v),
            ">" => {
                if !self.dirty {
                    return v > c;
                }
                if v.major != c.major {
                    return v.major > c.major;
                }
                if self.minor_dirty {
                    return false;
                }
                if self.patch_dirty {
                    return v.minor > c.minor;
                }
                v > c
            }
            "<" => v < c,
            ">=" | "=>" => v >= c,
            "<=" | "=<" => {
                if !self.dirty {
                    return v <= c;
                }
                if v.major > c.major {
                    return false;
                }
                !(v.major == c.major && v.minor > c.minor && !self.minor_dirty)
            }
            "~" | "~>" => self.tilde(v),
            "^" => self.caret(v),
            _ => false,
        }
    }

    fn tilde(&self, v: &Version) -> bool {
        let c = &self.con;
        if v < c {
            return false;
        }
        if c.triple() == (0, 0, 0) && !self.minor_dirty && !self.patch_dirty {
            return true;
        }
        if v.major != c.major {
            return false;
        }
        v.minor == c.minor || self.minor_dirty
    }

    fn caret(&self, v: &Version) -> bool {
        let c = &self.con;
        if v < c {
            return false;
        }
        if c.major > 0 || self.minor_dirty {
            return v.major == c.major;
        }
        if v.major > 0 {
            return false;
        }
        if c.minor > 0 || self.patch_dirty {
            return v.minor == c.minor;
        }
        if v.minor > 0 {
            return false;
        }
        c.patch == v.patch
    }

    fn not_equal(&self, v: &Version) -> bool {
        let c = &self.con;
        if self.dirty {
            if c.major != v.major {
                return true;
            }
            if c.minor != v.minor && !self.minor_dirty {
                return true;
            } else if self.minor_dirty {
                return false;
            } else if c.patch != v.patch && !self.patch_dirty {
                return true;
            } else if self.patch_dirty {
                if !v.pre.is_empty() || !c.pre.is_empty() {
                    return compare_prerelease(&v.pre, &c.pre) != Ordering::Equal;
                }
                return false;
            }
        }
        v != c
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &str) -> Version {
        Version::parse(s).unwrap()
    }

    fn ok(c: &str, s: &str) -> bool {
        Constraints::parse(c).unwrap().check(&v(s))
    }

    #[test]
    fn parses_loosely() {
        assert_eq!(v("v1.2").to_string(), "1.2.0");
        assert_eq!(v("2024.01.15").triple(), (2024, 1, 15));
        assert_eq!(v("1.2.3-rc.1+build.5").prerelease(), "rc.1");
        for bad in [
            "latest",
            "1.2.3.4",
            "1.2.3-",
            "1.2.3-01",
            "x1",
            "",
            "1.2.3-alpine_3",
        ] {
            assert!(Version::parse(bad).is_err(), "{bad}");
        }
        assert!(Version::parse("99999999999999999999").is_err());
    }

    #[test]
    fn orders_like_semver() {
        let mut list: Vec<Version> = [
            "1.0.0",
            "1.0.0-rc.1",
            "1.0.0-alpha",
            "1.0.0-alpha.1",
            "1.0.0-beta.11",
            "1.0.0-beta.2",
            "0.9",
            "1.0.0-rc.1-alpine",
        ]
        .iter()
        .map(|s| v(s))
        .collect();
        list.sort();
        let got: Vec<&str> = list.iter().map(Version::original).collect();
        assert_eq!(
            got,
            [
                "0.9",
                "1.0.0-alpha",
                "1.0.0-alpha.1",
                "1.0.0-beta.2",
                "1.0.0-beta.11",
                "1.0.0-rc.1",
                "1.0.0-rc.1-alpine",
                "1.0.0"
            ]
        );
        assert_eq!(v("1.2"), v("1.2.0"));
        assert_eq!(v("1.2.3+a"), v("1.2.3+b"));
    }

    #[test]
    fn constraints_as_masterminds() {
        assert!(ok("1.2.x", "1.2.9"));
        assert!(!ok("1.2.x", "1.3.0"));
        assert!(ok("~1.2", "1.2.7"));
        assert!(!ok("~1.2", "1.3.0"));
        assert!(ok("^1", "1.9.9"));
        assert!(!ok("^1", "2.0.0"));
        assert!(ok("^0.2.3", "0.2.9"));
        assert!(!ok("^0.2.3", "0.3.0"));
        assert!(ok(">= 1.2, < 2", "1.5.0"));
        assert!(!ok(">= 1.2, < 2", "2.0.0"));
        assert!(ok(">=1.2 <2", "1.2.0"));
        assert!(ok("1.2 - 1.4.5", "1.4.5"));
        assert!(!ok("1.2 - 1.4.5", "1.4.6"));
        assert!(ok("< 1 || >= 3", "3.1.0"));
        assert!(!ok("< 1 || >= 3", "2.0.0"));
        assert!(ok("!= 1.2.3", "1.2.4"));
        assert!(!ok("!= 1.2.3", "1.2.3"));
        assert!(ok("> 1.2", "1.3.0"));
        assert!(!ok("> 1.2", "1.2.5"));
        assert!(ok("<= 1.2", "1.2.9"));
        assert!(ok("*", "7.0.0"));
        // Pre-releases only where the constraint names one.
        assert!(!ok(">= 1.0", "1.1.0-rc.1"));
        assert!(ok(">= 1.1.0-rc.0", "1.1.0-rc.1"));
        for bad in ["", "foo", ">= 1.2,, < 2", "1.2.3 ||| 4"] {
            assert!(Constraints::parse(bad).is_err(), "{bad}");
        }
    }
}
