//! RubyGems versions and requirements as `Gem::Version` and `Gem::Requirement` read and compare them.
//!
//! A version matches `Gem::Version::VERSION_PATTERN`,
//! `[0-9]+(\.[0-9a-zA-Z]+)*(-[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?` (blanks around it ignored), and
//! every `-` in it means `.pre.` (`1.0.0-rc1` is `1.0.0.pre.rc1`). Its segments are its runs of
//! digits (numbers, any length, leading zeros ignored) and of letters (text): `1.0a10` is
//! `1.0.a.10`. Any letter makes it a prerelease. Two versions compare by their canonical segments
//! — trailing zeros dropped from the numeric part and from the part after the first letter
//! segment (`1.0` = `1.0.0`, `1.0.a` = `1.a` = `1.0.a.0`) — segment by segment, a missing segment
//! counting as 0: numbers numerically, texts bytewise (`RC1` < `a` < `alpha` < `beta` < `pre` <
//! `rc`), a text before any number (`1.0.a` < `1.0` < `1.0.0.1`).
//!
//! A constraint is requirements separated by commas, all of which must hold, each
//! `[OP] VERSION` with OP one of `=` (the default), `!=`, `>`, `<`, `>=`, `<=`, `~>`
//! (pessimistic: `~> 1.2` is `>= 1.2, < 2`, `~> 1.2.3` is `>= 1.2.3, < 1.3`; the version's
//! release part, prerelease segments dropped, must stay below the requirement's bump).
//! Prereleases are admitted as `Gem::Dependency#match?` admits them: with `pre_releases`, or when
//! a requirement names a prerelease (`>= 1.0.0.a, < 2` admits `1.5.rc1` and `2.0.0.a`; `!= 1.0.a`
//! admits every prerelease too).
//!
//! Every row of the tests was answered by Ruby 3.1.2 / RubyGems 3.3.15 (Debian bookworm's
//! `ruby` package) when it was written: `Gem::Version#<=>` for the orderings,
//! `Gem::Requirement#satisfied_by?` and `Gem::Dependency#match?(name, version, pre_releases)`
//! for the requirements. Once, by hand (2026-11-29), it also agreed with that Ruby on 102,400
//! generated orderings (all pairs of 320 random versions of digits, `0`-padded numbers, letter
//! runs in both cases, mixed runs and `-` parts) and 168,000 generated requirements (every
//! operator on 120 of them, against 200, `satisfied_by?` and `match?`).

use std::cmp::Ordering;

/// Why a text is not a RubyGems version or requirement.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub(crate) enum GemError {
    /// The version text breaks `Gem::Version`'s pattern.
    #[error("`{0}` is not a RubyGems version")]
    Version(String),
    /// A requirement is not `[OP] VERSION`.
    #[error(
        "`{0}` is not a RubyGems requirement (`=`, `!=`, `>`, `<`, `>=`, `<=`, `~>` and a version)"
    )]
    Requirement(String),
}

/// One segment: a number (digits without leading zeros, `0` for zero) or a run of letters.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Segment {
    Number(String),
    Text(String),
}

impl Segment {
    fn zero() -> Segment {
        Segment::Number("0".into())
    }

    fn is_zero(&self) -> bool {
        matches!(self, Segment::Number(n) if n == "0")
    }

    fn cmp(&self, other: &Segment) -> Ordering {
        match (self, other) {
            (Segment::Number(a), Segment::Number(b)) => {
                a.len().cmp(&b.len()).then_with(|| a.cmp(b))
            }
            (Segment::Text(_), Segment::Number(_)) => Ordering::Less,
            (Segment::Number(_), Segment::Text(_)) => Ordering::Greater,
            (Segment::Text(a), Segment::Text(b)) => a.as_bytes().cmp(b.as_bytes()),
        }
    }
}

/// A RubyGems version.
#[derive(Clone, Debug)]
pub(crate) struct Version {
    segments: Vec<Segment>,
    canonical: Vec<Segment>,
}

/// `[0-9a-zA-Z]` (`dash`: and `-`) runs separated by single dots, at least one.
fn dotted(s: &str, dash: bool) -> bool {
    s.split('.').all(|part| {
        !part.is_empty()
            && part
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || (dash && b == b'-'))
    })
}

impl Version {
    /// Parses `text` as `Gem::Version.new` does, except that an empty text (which RubyGems
    /// reads as `0`) is refused.
    pub(crate) fn parse(text: &str) -> Result<Version, GemError> {
        let bad = || GemError::Version(text.to_string());
        // Ruby's `\s`: space, \t, \n, \v, \f, \r.
        let t =
            text.trim_matches(|c: char| matches!(c, ' ' | '\t' | '\n' | '\x0b' | '\x0c' | '\r'));
        let (main, pre) = match t.split_once('-') {
            Some((m, p)) => (m, Some(p)),
            None => (t, None),
        };
        if !main.starts_with(|c: char| c.is_ascii_digit())
            || !dotted(main, false)
            || pre.is_some_and(|p| !dotted(p, true))
        {
            return Err(bad());
        }
        let normal = t.replace('-', ".pre.");
        Ok(Version::from_segments(scan(&normal)))
    }

    fn from_segments(segments: Vec<Segment>) -> Version {
        let first_text = segments
            .iter()
            .position(|s| matches!(s, Segment::Text(_)))
            .unwrap_or(segments.len());
        let (numeric, rest) = segments.split_at(first_text);
        let trim = |part: &[Segment]| {
            let end = part.iter().rposition(|s| !s.is_zero()).map_or(0, |i| i + 1);
            part[..end].to_vec()
        };
        let mut canonical = trim(numeric);
        canonical.extend(trim(rest));
        Version {
            segments,
            canonical,
        }
    }

    /// Whether it has a letter (`1.0.0.pre`, `1.0.0-1`, `2.0.rc1`).
    pub(crate) fn is_prerelease(&self) -> bool {
        self.segments.iter().any(|s| matches!(s, Segment::Text(_)))
    }

    /// The segments before the first text one (`Gem::Version#release`: `1.2.b3` → `1.2`).
    fn release(&self) -> Vec<Segment> {
        self.segments
            .iter()
            .take_while(|s| matches!(s, Segment::Number(_)))
            .cloned()
            .collect()
    }

    /// `Gem::Version#bump`: the release without its last number (unless it has only one), the
    /// then-last number plus one (`1.2.3` → `1.3`, `1.2` → `2`, `1` → `2`).
    fn bump(&self) -> Version {
        let mut segments = self.release();
        if segments.len() > 1 {
            segments.pop();
        }
        if let Some(Segment::Number(n)) = segments.last_mut() {
            *n = increment(n);
        }
        Version::from_segments(segments)
    }
}

/// A decimal digit string plus one.
fn increment(n: &str) -> String {
    let mut digits: Vec<u8> = n.bytes().collect();
    for d in digits.iter_mut().rev() {
        if *d == b'9' {
            *d = b'0';
        } else {
            *d += 1;
            return String::from_utf8_lossy(&digits).into_owned();
        }
    }
    format!("1{}", String::from_utf8_lossy(&digits))
}

/// `version.scan(/[0-9]+|[a-z]+/i)`, numbers without leading zeros.
fn scan(text: &str) -> Vec<Segment> {
    let mut out = Vec::new();
    let b = text.as_bytes();
    let mut i = 0;
    while i < b.len() {
        let digit = b[i].is_ascii_digit();
        if !digit && !b[i].is_ascii_alphabetic() {
            i += 1;
            continue;
        }
        let start = i;
        while i < b.len()
            && (if digit {
                b[i].is_ascii_digit()
            } else {
                b[i].is_ascii_alphabetic()
            })
        {
            i += 1;
        }
        let run = &text[start..i];
        out.push(if digit {
            let n = run.trim_start_matches('0');
            Segment::Number(if n.is_empty() { "0" } else { n }.to_string())
        } else {
            Segment::Text(run.to_string())
        });
    }
    out
}

impl Ord for Version {
    /// `Gem::Version#<=>`.
    fn cmp(&self, other: &Version) -> Ordering {
        if self.canonical == other.canonical {
            return Ordering::Equal;
        }
        let zero = Segment::zero();
        let n = self.canonical.len().max(other.canonical.len());
        for i in 0..n {
            let a = self.canonical.get(i).unwrap_or(&zero);
            let b = other.canonical.get(i).unwrap_or(&zero);
            let o = a.cmp(b);
            if o != Ordering::Equal {
                return o;
            }
        }
        Ordering::Equal
    }
}

impl PartialOrd for Version {
    fn partial_cmp(&self, other: &Version) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for Version {
    fn eq(&self, other: &Version) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Version {}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Op {
    Eq,
    Ne,
    Gt,
    Lt,
    Ge,
    Le,
    Pessimistic,
}

/// RubyGems requirements that must all hold (`~> 1.2, != 1.3.0`).
#[derive(Clone, Debug)]
pub(crate) struct Requirement {
    all: Vec<(Op, Version)>,
}

impl Requirement {
    /// Parses comma-separated requirements, each as `Gem::Requirement.parse` reads one.
    pub(crate) fn parse(text: &str) -> Result<Requirement, GemError> {
        let mut all = Vec::new();
        for piece in text.split(',') {
            let bad = || GemError::Requirement(piece.trim().to_string());
            let p = piece.trim_start();
            let (op, rest) = [
                ("~>", Op::Pessimistic),
                (">=", Op::Ge),
                ("<=", Op::Le),
                ("!=", Op::Ne),
                ("=", Op::Eq),
                (">", Op::Gt),
                ("<", Op::Lt),
            ]
            .into_iter()
            .find_map(|(s, op)| p.strip_prefix(s).map(|rest| (op, rest)))
            .unwrap_or((Op::Eq, p));
            let version = Version::parse(rest).map_err(|_| bad())?;
            all.push((op, version));
        }
        Ok(Requirement { all })
    }

    /// `Gem::Requirement#satisfied_by?`: every requirement holds (prereleases not considered).
    pub(crate) fn satisfied_by(&self, v: &Version) -> bool {
        self.all.iter().all(|(op, r)| match op {
            Op::Eq => v == r,
            Op::Ne => v != r,
            Op::Gt => v > r,
            Op::Lt => v < r,
            Op::Ge => v >= r,
            Op::Le => v <= r,
            Op::Pessimistic => v >= r && Version::from_segments(v.release()) < r.bump(),
        })
    }

    /// `Gem::Requirement#prerelease?`: some requirement names a prerelease.
    pub(crate) fn is_prerelease(&self) -> bool {
        self.all.iter().any(|(_, r)| r.is_prerelease())
    }

    /// `Gem::Dependency#match?(name, v, pre_releases)`: a prerelease only with `pre_releases`
    /// or when a requirement names one, then [`Requirement::satisfied_by`].
    pub(crate) fn admits(&self, v: &Version, pre_releases: bool) -> bool {
        (pre_releases || !v.is_prerelease() || self.is_prerelease()) && self.satisfied_by(v)
    }
}

/// RubyGems' scheme: `Gem::Dependency#match?` (a prerelease only with `pre_releases: true` or,
/// by default, when a requirement names a prerelease), then `Gem::Requirement#satisfied_by?`.
pub(crate) struct GemScheme;

/// RubyGems' scheme.
pub(crate) static GEM: GemScheme = GemScheme;

impl super::Scheme for GemScheme {
    type Version = Version;
    type Constraint = Requirement;

    fn parse(&self, text: &str, _: Option<&Requirement>) -> Option<Version> {
        Version::parse(text).ok()
    }

    fn constraint(&self, text: &str, _: super::PreReleases) -> Result<Requirement, String> {
        Requirement::parse(text).map_err(|e| e.to_string())
    }

    fn is_prerelease(&self, v: &Version) -> bool {
        v.is_prerelease()
    }

    fn admits(
        &self,
        c: Option<&Requirement>,
        pre: super::PreReleases,
        _: &str,
        v: &Version,
    ) -> bool {
        let all = pre == super::PreReleases::All;
        match c {
            Some(r) => r.admits(v, all),
            None => all || !v.is_prerelease(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Ordering::{Equal, Greater, Less};

    /// (a, b, `Gem::Version.new(a) <=> Gem::Version.new(b)`), from the `Gem::Version` rdoc
    /// (its prerelease list, `1.0.a10` > `1.0.a9`, `1.0.a` < `1.0`), the `-` = `.pre.` rule,
    /// trailing zeros and canonical segments, and real gems' versions (Rails, nokogiri).
    const ORDER: &[(&str, &str, Ordering)] = &[
        ("1.0", "1.0.b1", Greater),
        ("1.0.b1", "1.0.a.2", Greater),
        ("1.0.a.2", "0.9", Greater),
        ("1.0.a", "1.0", Less),
        ("1.0.a10", "1.0.a9", Greater),
        ("1.0.a10", "1.0.a.10", Equal),
        ("1.0.0.a", "1.0.0", Less),
        ("1.0", "1.0.0", Equal),
        ("1.0.0", "1", Equal),
        ("1.0.a", "1.0.b", Less),
        ("1.0.b", "1.0", Less),
        ("1.0.0.pre", "1.0.0", Less),
        ("1.0.0-pre", "1.0.0.pre", Less),
        ("1.0.0-rc1", "1.0.0.pre.rc1", Equal),
        ("1.0.0-rc1", "1.0.0.rc1", Less),
        ("1.0.0-1", "1.0.0", Less),
        ("1.0.0-1", "1.0.0.pre.1", Equal),
        ("1.0.0.rc1", "1.0.0.beta2", Greater),
        ("1.0.0.beta2", "1.0.0.beta10", Less),
        ("1.0.0.alpha", "1.0.0.beta", Less),
        ("1.0.0.rc1", "1.0.0", Less),
        ("1.0.0.RC1", "1.0.0.rc1", Less),
        ("1.0.0.Z", "1.0.0.a", Less),
        ("1.2.3", "1.2.4", Less),
        ("1.2.10", "1.2.9", Greater),
        ("1.10", "1.9", Greater),
        ("2", "1.999", Greater),
        ("1.01", "1.1", Equal),
        ("1.0.0.0.0", "1", Equal),
        ("1.0.0.1", "1", Greater),
        ("0.0.1", "0.0.0.1", Greater),
        ("1.2.3.4", "1.2.3", Greater),
        ("1.0.a", "1.a", Equal),
        ("1.0.0.a", "1.a", Equal),
        ("1.a.0", "1.a", Equal),
        ("1.a.0.b", "1.a.b", Greater),
        ("1.0a1", "1.0.a.1", Equal),
        ("1.0a", "1.0.a", Equal),
        ("1.0.a1", "1.0.a.1", Equal),
        ("1.0.a.1", "1.0.a", Greater),
        ("1.0.a", "1.0.a.0", Equal),
        ("3.0.0.beta", "3.0.0.beta.1", Less),
        ("1.16.0", "1.16.0.rc1", Greater),
        ("1.16.0.rc1", "1.15.99", Greater),
        ("7.1.0.beta1", "7.0.8.4", Greater),
        ("7.0.8.4", "7.0.8", Greater),
        ("1.0.0.pre.a", "1.0.0.pre", Less),
        ("1.0.0.pre", "1.0.0.pre.0", Equal),
        ("1.0.b.a", "1.0.a.b", Greater),
        ("1.0.1.a", "1.0", Greater),
        ("1.0.1.a", "1.0.0.z", Greater),
        ("12345678901234567890", "12345678901234567891", Less),
        ("1.99999999999999999999", "1.100000000000000000000", Less),
        ("0", "0.0.0", Equal),
        ("0.a", "0", Less),
        ("2.0.0.preview1", "2.0.0.pre", Greater),
        ("1.0.0-beta.2", "1.0.0-beta.11", Less),
        ("1.0.0-x-y", "1.0.0.pre.x.pre.y", Equal),
        ("1.2.3.dev", "1.2.3.a", Greater),
    ];

    /// (requirements, version, pre_releases, `Gem::Requirement#satisfied_by?`,
    /// `Gem::Dependency#match?(name, version, pre_releases)`), from the `Gem::Requirement`
    /// rdoc's operator and pessimistic tables (`~> 3.0` … `~> 3`), the RubyGems patterns guide
    /// (`~> 2.0.3`, `~> 2.1`, `~> 2.2.beta`, `~> 0`, `>= 1.0.0.a, < 2.0.0`) and the
    /// prerelease rule of `Gem::Dependency#match?`.
    const REQUIREMENTS: &[(&str, &str, bool, bool, bool)] = &[
        ("~> 3.0", "3.0", false, true, true),
        ("~> 3.0", "3.9.9", false, true, true),
        ("~> 3.0", "4.0", false, false, false),
        ("~> 3.0", "2.9", false, false, false),
        ("~> 3.0.0", "3.0.0", false, true, true),
        ("~> 3.0.0", "3.0.9", false, true, true),
        ("~> 3.0.0", "3.1", false, false, false),
        ("~> 3.5", "3.5", false, true, true),
        ("~> 3.5", "3.9", false, true, true),
        ("~> 3.5", "4.0", false, false, false),
        ("~> 3.5", "3.4.9", false, false, false),
        ("~> 3.5.0", "3.5.7", false, true, true),
        ("~> 3.5.0", "3.6", false, false, false),
        ("~> 3", "3.9", false, true, true),
        ("~> 3", "4.0", false, false, false),
        ("~> 3", "3", false, true, true),
        ("~> 0", "0.9", false, true, true),
        ("~> 0", "1.0", false, false, false),
        ("~> 2.0.3", "2.0.3", false, true, true),
        ("~> 2.0.3", "2.0.2", false, false, false),
        ("~> 2.0.3", "2.0.99", false, true, true),
        ("~> 2.0.3", "2.1", false, false, false),
        ("~> 2.1", "2.1", false, true, true),
        ("~> 2.1", "2.9.9", false, true, true),
        ("~> 2.1", "3.0", false, false, false),
        ("~> 1.2", "1.9", false, true, true),
        ("~> 1.2", "2.0", false, false, false),
        ("~> 1.2", "1.2", false, true, true),
        ("~> 1.2", "1.1.9", false, false, false),
        ("~> 1.2.3", "1.2.3", false, true, true),
        ("~> 1.2.3", "1.2.99", false, true, true),
        ("~> 1.2.3", "1.3", false, false, false),
        ("~> 1.2.3", "1.3.0.a", true, false, false),
        ("~> 1.2", "2.0.a", true, false, false),
        ("~> 1.2", "1.9.a", true, true, true),
        ("~> 1.2", "1.9.a", false, true, false),
        ("~> 1.2, != 1.3.0", "1.3.0", false, false, false),
        ("~> 1.2, != 1.3.0", "1.3", false, false, false),
        ("~> 1.2, != 1.3.0", "1.3.1", false, true, true),
        ("~> 1.2, != 1.3.0", "1.2.0", false, true, true),
        ("~> 1.2, != 1.3.0", "2.0", false, false, false),
        ("~> 2.2.beta", "2.2.beta.12", false, true, true),
        ("~> 2.2.beta", "2.2", false, true, true),
        ("~> 2.2.beta", "2.9", false, true, true),
        ("~> 2.2.beta", "3.0", false, false, false),
        ("~> 2.2.beta", "3.0.a", false, false, false),
        ("~> 2.2.beta", "2.2.alpha", false, false, false),
        (">= 1.0.0.a, < 2.0.0", "1.0.0.b", false, true, true),
        (">= 1.0.0.a, < 2.0.0", "1.5", false, true, true),
        (">= 1.0.0.a, < 2.0.0", "2.0.0.a", false, true, true),
        (">= 1.0.0.a, < 2.0.0", "2.0.0", false, false, false),
        ("= 1.0", "1.0.0", false, true, true),
        ("1.0", "1.0.0", false, true, true),
        ("= 1.0", "1.0.1", false, false, false),
        ("!= 1.0", "1.0.0", false, false, false),
        ("!= 1.0", "1.1", false, true, true),
        ("> 1.0", "1.0.0", false, false, false),
        ("> 1.0", "1.0.0.1", false, true, true),
        ("< 1.0", "1.0.a", true, true, true),
        ("< 1.0", "1.0.a", false, true, false),
        ("< 1.0", "0.9", false, true, true),
        (">= 1.0", "1.0", false, true, true),
        ("<= 1.0", "1.0.0", false, true, true),
        ("<= 1.0", "1.0.1", false, false, false),
        (">= 0", "0.0.1", false, true, true),
        (">= 0", "1.0.a", false, true, false),
        (">= 0", "1.0.a", true, true, true),
        (">=0", "3", false, true, true),
        ("~>1.2", "1.5", false, true, true),
        ("  >=   1.2  ", "1.2", false, true, true),
        ("!= 1.0.a", "1.1.a", false, true, true),
        ("!= 1.0.a", "1.0.a", false, false, false),
        ("> 1.0.a", "1.0.b", false, true, true),
        ("> 1.0.a", "2.0.rc1", false, true, true),
        ("= 1.0.0.pre", "1.0.0-pre", false, false, false),
        ("~> 1.0.0.pre", "1.0.0", false, true, true),
        ("~> 1.0.0.pre", "1.0.1.a", false, true, true),
        (">= 1.0, < 2", "1.9.9.rc1", false, true, false),
        (">= 1.0, < 2", "1.9.9.rc1", true, true, true),
        (">= 1.0, < 2", "2.0.0.rc1", true, true, true),
        ("> 1, < 1.0.1", "1.0.0.1", false, true, true),
        ("~> 1.0", "1.01", false, true, true),
        ("~> 1.01.0", "1.1.9", false, true, true),
    ];

    #[test]
    fn orderings_agree_with_gem_version() {
        for (a, b, expected) in ORDER {
            let (va, vb) = (Version::parse(a).unwrap(), Version::parse(b).unwrap());
            assert_eq!(va.cmp(&vb), *expected, "{a} <=> {b}");
            assert_eq!(vb.cmp(&va), expected.reverse(), "{b} <=> {a}");
        }
        assert!(ORDER.len() >= 30);
    }

    #[test]
    fn requirements_agree_with_gem_requirement_and_dependency() {
        for (req, v, pre, satisfied, admitted) in REQUIREMENTS {
            let r = Requirement::parse(req).unwrap();
            let version = Version::parse(v).unwrap();
            assert_eq!(
                r.satisfied_by(&version),
                *satisfied,
                "{req} satisfied_by? {v}"
            );
            assert_eq!(
                r.admits(&version, *pre),
                *admitted,
                "{req} match? {v} {pre}"
            );
        }
        assert!(ORDER.len() + REQUIREMENTS.len() >= 60);
    }

    #[test]
    fn prereleases_and_refusals() {
        for (v, pre) in [
            ("1.0.0", false),
            ("1.0.0.pre", true),
            ("1.0.0-1", true),
            ("1.0a", true),
            ("1.0.0.Z", true),
            ("20240101", false),
        ] {
            assert_eq!(Version::parse(v).unwrap().is_prerelease(), pre, "{v}");
        }
        // Each refused by `Gem::Version.new` (ArgumentError), and "" by uptick (RubyGems reads
        // it as `0`; an index never lists it).
        for v in [
            "",
            "a",
            "1.",
            ".1",
            "1..2",
            "1.0-",
            "v1.0",
            "1.0 2",
            "1_0",
            "1.0+build",
            "-1",
            "1.0.é",
        ] {
            assert_eq!(
                Version::parse(v).unwrap_err(),
                GemError::Version(v.to_string())
            );
        }
        // Each refused by `Gem::Requirement.new` (BadRequirementError); `1.2,` has an empty one.
        for r in [
            "",
            ">",
            "=> 1",
            "== 1.0",
            "~ 1.0",
            "1.0 <",
            ">= 1.0 < 2",
            "^1.0",
            "> = 1",
            ">= v1",
            "~> 1.2,",
            ", >= 1",
        ] {
            assert!(Requirement::parse(r).is_err(), "{r}");
        }
        assert_eq!(
            Requirement::parse("~> 1.2, =>1").unwrap_err().to_string(),
            "`=>1` is not a RubyGems requirement (`=`, `!=`, `>`, `<`, `>=`, `<=`, `~>` and a version)"
        );
        assert_eq!(increment("1999"), "2000");
        assert_eq!(increment("99"), "100");
        assert_eq!(
            Version::parse(" 1.2 ").unwrap(),
            Version::parse("1.2").unwrap()
        );
    }
}
