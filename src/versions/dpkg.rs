//! Debian versions and relations as dpkg reads and compares them (Debian Policy §5.6.12,
//! `dpkg`'s `parseversion` and `verrevcmp`).
//!
//! A version is `[epoch:]upstream[-revision]`: the epoch is a number (default 0), the revision
//! is what follows the last hyphen (none: empty, which compares equal to `0`). Each of upstream
//! and revision compares as alternating runs: a non-digit run character by character, where `~`
//! sorts before everything (even the end of the text), then the end, then letters, then the
//! other characters in ASCII order; a digit run numerically. So `1.0~rc1` < `1.0` < `1.0a` <
//! `1.0+b1` and `1:1.2.3-1~deb12u1` < `1:1.2.3-1`.
//!
//! A constraint is Debian relations (as in `Depends`), comma separated, all of which must hold:
//! `>= 3.0.11-1~deb12u1, << 3.1`. `|` between relations is either of them. Operators: `<<`,
//! `<=`, `=`, `>=`, `>>`; the obsolete `<` and `>` (dpkg reads them as `<=` / `>=`, not as
//! strict) are refused so that nobody gets `<=` while meaning `<<`.

use std::cmp::Ordering;
use std::fmt;

/// Why a text is not a Debian version or relation.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum DpkgError {
    /// The version text breaks dpkg's rules.
    #[error("`{0}` is not a Debian version: {1}")]
    Version(String, &'static str),
    /// A relation is not `OP VERSION`.
    #[error("`{0}` is not a Debian relation (`<<`, `<=`, `=`, `>=`, `>>` and a version)")]
    Relation(String),
    /// `<` or `>`, which dpkg reads as `<=` / `>=`.
    #[error("`{0}`: `<` and `>` are obsolete in Debian relations (dpkg reads them as `<=` / `>=`); write `<<` or `<=`, `>>` or `>=`")]
    Obsolete(String),
}

/// A Debian version.
#[derive(Clone, Debug)]
pub struct Version {
    epoch: u64,
    upstream: String,
    revision: String,
}

impl Version {
    /// Parses `text` as dpkg does (surrounding blanks ignored).
    pub fn parse(text: &str) -> Result<Version, DpkgError> {
        let bad = |why| DpkgError::Version(text.to_string(), why);
        let t = text.trim();
        if t.is_empty() {
            return Err(bad("it is empty"));
        }
        if t.chars().any(char::is_whitespace) {
            return Err(bad("it contains a blank"));
        }
        let (epoch, rest) = match t.split_once(':') {
            Some((e, rest)) => {
                if e.is_empty() || !e.bytes().all(|b| b.is_ascii_digit()) {
                    return Err(bad("the epoch is not a number"));
                }
                let epoch: u64 = e.parse().map_err(|_| bad("the epoch is too big"))?;
                if epoch > i32::MAX as u64 {
                    return Err(bad("the epoch is too big"));
                }
                if rest.is_empty() {
                    return Err(bad("nothing after the colon"));
                }
                (epoch, rest)
            }
            None => (0, t),
        };
        let (upstream, revision) = match rest.rsplit_once('-') {
            Some((u, r)) => {
                if r.is_empty() {
                    return Err(bad("the revision is empty"));
                }
                (u, r)
            }
            None => (rest, ""),
        };
        if upstream.is_empty() {
            return Err(bad("the upstream version is empty"));
        }
        if !upstream.starts_with(|c: char| c.is_ascii_digit()) {
            return Err(bad("the upstream version does not start with a digit"));
        }
        if !upstream
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b".-+~:".contains(&b))
        {
            return Err(bad("invalid character in the upstream version"));
        }
        if !revision
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b".+~".contains(&b))
        {
            return Err(bad("invalid character in the revision"));
        }
        Ok(Version {
            epoch,
            upstream: upstream.to_string(),
            revision: revision.to_string(),
        })
    }

    /// The epoch (0 when not written).
    pub fn epoch(&self) -> u64 {
        self.epoch
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // A colon in the upstream part needs an epoch in front to read back (found by fuzzing:
        // `0:1.2-1~deb0:1.2` would otherwise print with its epoch dropped and not parse).
        if self.epoch > 0 || self.upstream.contains(':') {
            write!(f, "{}:", self.epoch)?;
        }
        f.write_str(&self.upstream)?;
        if !self.revision.is_empty() {
            write!(f, "-{}", self.revision)?;
        }
        Ok(())
    }
}

/// The weight of one character of a non-digit run: `~` first, then the end of the run, then
/// letters, then everything else (ASCII order).
fn weight(c: Option<u8>) -> i32 {
    match c {
        None => 0,
        Some(b'~') => -1,
        Some(c) if c.is_ascii_digit() => 0,
        Some(c) if c.is_ascii_alphabetic() => i32::from(c),
        Some(c) => i32::from(c) + 256,
    }
}

/// dpkg's `verrevcmp`: one upstream version or revision against another.
fn verrevcmp(a: &str, b: &str) -> Ordering {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let (mut i, mut j) = (0, 0);
    while i < a.len() || j < b.len() {
        while (i < a.len() && !a[i].is_ascii_digit()) || (j < b.len() && !b[j].is_ascii_digit()) {
            let (ac, bc) = (weight(a.get(i).copied()), weight(b.get(j).copied()));
            if ac != bc {
                return ac.cmp(&bc);
            }
            i += 1;
            j += 1;
        }
        while i < a.len() && a[i] == b'0' {
            i += 1;
        }
        while j < b.len() && b[j] == b'0' {
            j += 1;
        }
        let mut first_diff = Ordering::Equal;
        while i < a.len() && a[i].is_ascii_digit() && j < b.len() && b[j].is_ascii_digit() {
            if first_diff == Ordering::Equal {
                first_diff = a[i].cmp(&b[j]);
            }
            i += 1;
            j += 1;
        }
        if i < a.len() && a[i].is_ascii_digit() {
            return Ordering::Greater;
        }
        if j < b.len() && b[j].is_ascii_digit() {
            return Ordering::Less;
        }
        if first_diff != Ordering::Equal {
            return first_diff;
        }
    }
    Ordering::Equal
}

impl Ord for Version {
    fn cmp(&self, other: &Version) -> Ordering {
        self.epoch
            .cmp(&other.epoch)
            .then_with(|| verrevcmp(&self.upstream, &other.upstream))
            .then_with(|| verrevcmp(&self.revision, &other.revision))
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
    Less,
    LessEqual,
    Equal,
    GreaterEqual,
    Greater,
}

#[derive(Clone, Debug)]
struct Relation {
    op: Op,
    version: Version,
}

impl Relation {
    fn parse(text: &str) -> Result<Relation, DpkgError> {
        let t = text.trim();
        let t = t
            .strip_prefix('(')
            .and_then(|t| t.strip_suffix(')'))
            .unwrap_or(t)
            .trim();
        let (op, rest) = [
            ("<<", Op::Less),
            ("<=", Op::LessEqual),
            (">>", Op::Greater),
            (">=", Op::GreaterEqual),
            ("=", Op::Equal),
        ]
        .iter()
        .find_map(|(s, op)| t.strip_prefix(s).map(|rest| (*op, rest)))
        .ok_or_else(|| {
            if t.starts_with(['<', '>']) {
                DpkgError::Obsolete(text.trim().to_string())
            } else {
                DpkgError::Relation(text.trim().to_string())
            }
        })?;
        if rest.trim().is_empty() {
            return Err(DpkgError::Relation(text.trim().to_string()));
        }
        Ok(Relation {
            op,
            version: Version::parse(rest)?,
        })
    }

    fn admits(&self, v: &Version) -> bool {
        let o = v.cmp(&self.version);
        match self.op {
            Op::Less => o == Ordering::Less,
            Op::LessEqual => o != Ordering::Greater,
            Op::Equal => o == Ordering::Equal,
            Op::GreaterEqual => o != Ordering::Less,
            Op::Greater => o == Ordering::Greater,
        }
    }
}

/// Debian relations: comma-separated groups that must all hold, each a `|` list of which one
/// must hold.
#[derive(Clone, Debug)]
pub struct Relations {
    all: Vec<Vec<Relation>>,
}

impl Relations {
    /// Parses `>= 3.0.11-1~deb12u1, << 3.1` (also `(>= 1.0)`, `= 1.0 | = 2.0`).
    pub fn parse(text: &str) -> Result<Relations, DpkgError> {
        let all = text
            .split(',')
            .map(|group| group.split('|').map(Relation::parse).collect())
            .collect::<Result<Vec<Vec<Relation>>, DpkgError>>()?;
        Ok(Relations { all })
    }

    /// Whether `v` satisfies every group.
    pub fn admits(&self, v: &Version) -> bool {
        self.all.iter().all(|g| g.iter().any(|r| r.admits(v)))
    }
}

/// dpkg's scheme (apt repositories): Debian versions under relations; no pre-releases (`~`
/// versions are ordinary versions ordered before their base).
pub(crate) struct DpkgScheme;

/// dpkg's scheme.
pub(crate) static DPKG: DpkgScheme = DpkgScheme;

impl super::Scheme for DpkgScheme {
    type Version = Version;
    type Constraint = Relations;

    fn parse(&self, text: &str, _: Option<&Relations>) -> Option<Version> {
        Version::parse(text).ok()
    }

    fn constraint(&self, text: &str, _: super::PreReleases) -> Result<Relations, String> {
        Relations::parse(text).map_err(|e| e.to_string())
    }

    fn is_prerelease(&self, _: &Version) -> bool {
        false
    }

    fn admits(&self, c: Option<&Relations>, _: super::PreReleases, _: &str, v: &Version) -> bool {
        c.is_none_or(|r| r.admits(v))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_round_trips() {
        for t in [
            "1:0.9-1",
            "1.0",
            "2:1.2.3-1~deb12u1",
            "0:1.0",
            "0:1.2.J-1~deb0:1.2.3-1~deb12ueb0:1.2.3-1~deb1",
        ] {
            let v = Version::parse(t).unwrap();
            assert_eq!(Version::parse(&v.to_string()).unwrap(), v);
        }
        assert_eq!(Version::parse("0:1.0").unwrap().to_string(), "1.0");
    }
}
