//! Terraform versions and constraints: hashicorp/go-version's reading, order and conditions, with Terraform's exact-request rule for pre-releases.
//!
//! Versions are read as go-version's `NewVersion`: an optional `v`, one or more dot-separated
//! numbers (each fitting an `int64`; fewer than three are padded with zeros, `1.2` = `1.2.0`), then
//! optionally a pre-release (`-` and a run starting with a digit, or an optional `-` and a run
//! starting with a letter, `-` or `~`: `1.2.3-rc.1`, `1.2.3beta`) and `+` build metadata, which
//! never orders. Order is go-version's `Compare`: numbers first (missing ones count as zero), then a
//! release after its pre-releases, pre-releases by their dot-separated parts, numbers below text.
//! Where `Compare` is not a total order uptick keeps semver's reading, which any sort needs: a
//! pre-release with fewer parts sorts first (`1.0.0-a` < `1.0.0-a.b`, where go-version says `>`),
//! and pre-releases count even between versions with a different number of numbers.
//!
//! A constraint is go-version's `NewConstraint`: comma-separated conditions, each `=`, `!=`, `>`,
//! `>=`, `<`, `<=`, `~>` or none (`=`) and a version, blanks around either ignored; every
//! condition must hold. `~>` lets only the last number written move up: `~> 5.0` is `>= 5.0,
//! < 6.0`, `~> 5.0.1` is `>= 5.0.1, < 5.1`, and `~> 5` is `>= 5`. go-version's pre-release check
//! applies to `>`, `>=`, `<`, `<=` and `~>`: a condition naming a release never holds for a
//! pre-release, one naming a pre-release holds for a pre-release only with the same numbers, and a
//! `~>` naming a pre-release never holds for a release.
//!
//! Pre-releases, with `pre_releases` absent: Terraform's module installer
//! (`internal/initwd/module_install.go`) keeps a pre-release only when the constraint requests it
//! exactly (apparentlymart/go-versions' `MeetingConstraints`, which Terraform's provider installer
//! uses too), and then also checks it with go-version: so a pre-release is admitted only by an
//! `=` (or bare) condition naming that very version, with every other condition holding
//! (`0.0.3-alpha.1` and `v0.0.3-alpha.1` select `0.0.3-alpha.1`; `0.0.3-alpha.1, >=0.0.2` selects
//! nothing); no constraint admits no pre-release. `pre_releases: true` admits pre-releases to
//! every condition, compared by the order above without the pre-release check (`>= 5.0` admits
//! `5.1.0-beta1`); `false` admits none.

use super::{PreReleases, Scheme};
use regex::Regex;
use std::cmp::Ordering;
use std::sync::OnceLock;

/// A version as go-version reads it.
#[derive(Clone, Debug)]
pub(crate) struct Version {
    /// The numbers, padded with zeros to at least three.
    segments: Vec<u64>,
    /// How many numbers were written (`~>` moves the last of them).
    written: usize,
    /// The pre-release, empty for a release.
    pre: String,
}

/// go-version's version pattern (groups: 1 numbers, 4 and 7 the two pre-release forms).
fn pattern() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        let id = r"[0-9A-Za-z\-~]";
        Regex::new(&format!(
            r"^v?([0-9]+(\.[0-9]+)*?)(-([0-9]+{id}*(\.{id}+)*)|(-?([A-Za-z\-~]+{id}*(\.{id}+)*)))?(\+({id}+(\.{id}+)*))?$"
        ))
        .unwrap_or_else(|e| unreachable!("static regex: {e}"))
    })
}

impl Version {
    /// Reads `text` as go-version's `NewVersion`; `None` when it refuses it.
    pub(crate) fn parse(text: &str) -> Option<Version> {
        let caps = pattern().captures(text)?;
        let numbers = caps.get(1)?.as_str();
        let mut segments = numbers
            .split('.')
            .map(|n| n.parse::<i64>().ok().map(|n| n.unsigned_abs()))
            .collect::<Option<Vec<u64>>>()?;
        let written = segments.len();
        if segments.len() < 3 {
            segments.resize(3, 0);
        }
        let pre = caps
            .get(7)
            .filter(|m| !m.as_str().is_empty())
            .or_else(|| caps.get(4))
            .map_or("", |m| m.as_str());
        Some(Version {
            segments,
            written,
            pre: pre.to_string(),
        })
    }

    /// Whether it has a pre-release part.
    pub(crate) fn is_prerelease(&self) -> bool {
        !self.pre.is_empty()
    }

    /// The numbers compared, the shorter padded with zeros.
    fn cmp_numbers(&self, other: &Version) -> Ordering {
        let len = self.segments.len().max(other.segments.len());
        let at = |v: &Version, i: usize| v.segments.get(i).copied().unwrap_or(0);
        (0..len)
            .map(|i| at(self, i).cmp(&at(other, i)))
            .find(|o| o.is_ne())
            .unwrap_or(Ordering::Equal)
    }
}

/// Pre-release parts compared: numbers (as `int64`, a sign allowed, as Go's `ParseInt`) by value
/// and below text, text as bytes, fewer parts first.
fn cmp_pre(a: &str, b: &str) -> Ordering {
    let key = |part: &str| match part.parse::<i64>() {
        Ok(n) => (0, n, ""),
        Err(_) => (1, 0, ""),
    };
    let (mut x, mut y) = (a.split('.'), b.split('.'));
    loop {
        match (x.next(), y.next()) {
            (None, None) => return Ordering::Equal,
            (None, Some(_)) => return Ordering::Less,
            (Some(_), None) => return Ordering::Greater,
            (Some(p), Some(q)) => {
                let (kp, kq) = (key(p), key(q));
                let order = kp.cmp(&kq).then_with(|| match kp.0 {
                    1 => p.cmp(q),
                    _ => Ordering::Equal,
                });
                if order.is_ne() {
                    return order;
                }
            }
        }
    }
}

impl Ord for Version {
    fn cmp(&self, other: &Version) -> Ordering {
        self.cmp_numbers(other)
            .then_with(|| match (self.pre.is_empty(), other.pre.is_empty()) {
                (true, true) => Ordering::Equal,
                (true, false) => Ordering::Greater,
                (false, true) => Ordering::Less,
                (false, false) => cmp_pre(&self.pre, &other.pre),
            })
    }
}

impl PartialOrd for Version {
    fn partial_cmp(&self, other: &Version) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for Version {
    fn eq(&self, other: &Version) -> bool {
        self.cmp(other).is_eq()
    }
}

impl Eq for Version {}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Op {
    Equal,
    NotEqual,
    Greater,
    GreaterEqual,
    Less,
    LessEqual,
    Pessimistic,
}

/// Operators, two-character ones first so `>=` is not read as `>`.
const OPS: [(&str, Op); 7] = [
    ("~>", Op::Pessimistic),
    (">=", Op::GreaterEqual),
    ("<=", Op::LessEqual),
    ("!=", Op::NotEqual),
    (">", Op::Greater),
    ("<", Op::Less),
    ("=", Op::Equal),
];

/// One condition: an operator and the version it names.
#[derive(Clone, Debug)]
struct Condition {
    op: Op,
    version: Version,
}

/// Go's `\s` (regexp's Perl class): blank, tab, newline, form feed, carriage return.
fn is_go_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\n' | '\x0c' | '\r')
}

impl Condition {
    fn parse(text: &str) -> Option<Condition> {
        let rest = text.trim_matches(is_go_space);
        let (op, rest) = OPS
            .iter()
            .find_map(|(s, op)| rest.strip_prefix(s).map(|r| (*op, r)))
            .unwrap_or((Op::Equal, rest));
        let version = Version::parse(rest.trim_start_matches(is_go_space))?;
        Some(Condition { op, version })
    }

    /// Whether `v` meets it; `gated` applies go-version's pre-release check.
    fn holds(&self, v: &Version, gated: bool) -> bool {
        let c = &self.version;
        let order = v.cmp(c);
        let gate = || !gated || prerelease_check(v, c);
        match self.op {
            Op::Equal => order.is_eq(),
            Op::NotEqual => order.is_ne(),
            Op::Greater => gate() && order.is_gt(),
            Op::GreaterEqual => gate() && order.is_ge(),
            Op::Less => gate() && order.is_lt(),
            Op::LessEqual => gate() && order.is_le(),
            Op::Pessimistic => {
                let pre_ok = !gated || (gate() && (c.pre.is_empty() || !v.pre.is_empty()));
                pre_ok && order.is_ge() && pessimistic(v, c)
            }
        }
    }
}

/// go-version's `prereleaseCheck`: a pre-release meets a condition only when the condition names
/// a pre-release with the same numbers.
fn prerelease_check(v: &Version, c: &Version) -> bool {
    match (v.pre.is_empty(), c.pre.is_empty()) {
        (false, false) => v.segments == c.segments,
        (false, true) => false,
        _ => true,
    }
}

/// `~>`'s numbers: every number written before the last equal, the last not below.
fn pessimistic(v: &Version, c: &Version) -> bool {
    let n = c.segments.len();
    if n > v.segments.len() {
        return false;
    }
    let fixed = c.written.saturating_sub(1);
    v.segments[..fixed] == c.segments[..fixed] && v.segments[n - 1] >= c.segments[n - 1]
}

/// Comma-separated conditions, all of which must hold.
#[derive(Clone, Debug)]
pub(crate) struct Constraints(Vec<Condition>);

impl Constraints {
    /// Parses `text` as go-version's `NewConstraint` (an empty part is refused).
    pub(crate) fn parse(text: &str) -> Result<Constraints, String> {
        text.split(',')
            .map(|part| {
                Condition::parse(part).ok_or_else(|| {
                    let part: String = part.trim().chars().take(100).collect();
                    format!("`{part}` is not a Terraform version condition")
                })
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Constraints)
    }

    /// Whether an `=` (or bare) condition names `v` exactly.
    fn requests(&self, v: &Version) -> bool {
        self.0.iter().any(|c| c.op == Op::Equal && c.version == *v)
    }

    /// go-version's `Constraints.Check`: every condition holds, with its pre-release check.
    pub(crate) fn check(&self, v: &Version) -> bool {
        self.0.iter().all(|c| c.holds(v, true))
    }

    /// Whether `v` meets every condition under `pre` (see the module text).
    pub(crate) fn admits(&self, v: &Version, pre: PreReleases) -> bool {
        if pre == PreReleases::All {
            return self.0.iter().all(|c| c.holds(v, false));
        }
        (v.pre.is_empty() || self.requests(v)) && self.check(v)
    }
}

/// Terraform's scheme (registry providers and modules).
pub(crate) struct TerraformScheme;

/// Terraform's scheme (until `packages/terraform.rs` uses it, only the tests do).
#[cfg_attr(not(test), allow(dead_code))]
pub(crate) static TERRAFORM: TerraformScheme = TerraformScheme;

impl Scheme for TerraformScheme {
    type Version = Version;
    type Constraint = Constraints;

    fn parse(&self, text: &str, _: Option<&Constraints>) -> Option<Version> {
        Version::parse(text)
    }

    fn constraint(&self, text: &str, _: PreReleases) -> Result<Constraints, String> {
        Constraints::parse(text)
    }

    fn is_prerelease(&self, v: &Version) -> bool {
        v.is_prerelease()
    }

    fn admits(&self, c: Option<&Constraints>, pre: PreReleases, _: &str, v: &Version) -> bool {
        match c {
            Some(c) => c.admits(v, pre),
            None => pre == PreReleases::All || !v.is_prerelease(),
        }
    }
}
