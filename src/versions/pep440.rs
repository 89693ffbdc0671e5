//! PEP 440 version specifiers as `packaging` ≥ 26 applies them, including `===` and its pre-release rules.
//!
//! Versions are parsed and ordered by `pep440_rs`; matching is done here, because `pep440_rs`
//! 0.7 follows the older `packaging` reading of `<V` / `>V` (no `<3.0.0a8` → `3.0.0a7`, no
//! `>1.0a1` → `1.0.post0`, no `<1.0.post1` → `1.0a1`) and rejects `===` with a non-PEP 440
//! version. Each operator below is the interval `packaging`'s `_ranges.py` builds for it.

/// A PEP 440 version (`pep440_rs`'s: parsing, normalisation and order).
pub use pep440_rs::Version;
use regex::Regex;
use std::fmt;
use std::str::FromStr;
use std::sync::OnceLock;

/// Why a constraint is not a PEP 440 specifier set.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum Pep440Error {
    /// One comma-separated part is not a specifier.
    #[error("`{0}` is not a PEP 440 version specifier")]
    Specifier(String),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Op {
    /// `===`: case-insensitive string equality, for versions that are not PEP 440 at all.
    Arbitrary,
    Equal,
    NotEqual,
    LessEqual,
    GreaterEqual,
    Less,
    Greater,
    Compatible,
}

#[derive(Clone, Debug)]
struct Specifier {
    op: Op,
    /// The version as written (`1.0`, `1.2.*`, `anything` for `===`).
    text: String,
    /// The version parsed (without `.*`); `None` for an `===` that is not PEP 440.
    version: Option<Version>,
    wildcard: bool,
    has_local: bool,
}

/// Comma-separated specifiers (`>=1.18, <2, !=1.18.5`); a version must satisfy all of them.
#[derive(Clone, Debug)]
pub struct Specifiers {
    specs: Vec<Specifier>,
    text: String,
}

fn spec_regex() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        let pre = r"(?:[-_.]?(?:alpha|beta|preview|pre|a|b|c|rc)[-_.]?[0-9]*)";
        let post = r"(?:-[0-9]+|[-_.]?(?:post|rev|r)[-_.]?[0-9]*)";
        let dev = r"(?:[-_.]?dev[-_.]?[0-9]*)";
        let local = r"(?:\+[a-z0-9]+(?:[-_.][a-z0-9]+)*)";
        let start = r"v?(?:[0-9]+!)?[0-9]+";
        let pattern = format!(
            r"(?i)^\s*(?:(===)\s*([^\s;)]*)|(==|!=)\s*({start}(?:\.[0-9]+)*(?:\.\*|{pre}?{post}?{dev}?{local}?))|(~=)\s*({start}(?:\.[0-9]+)+{pre}?{post}?{dev}?)|(<=|>=|<|>)\s*({start}(?:\.[0-9]+)*{pre}?{post}?{dev}?))\s*$"
        );
        Regex::new(&pattern).unwrap_or_else(|e| unreachable!("static regex: {e}"))
    })
}

impl Specifier {
    fn parse(text: &str) -> Option<Specifier> {
        let c = spec_regex().captures(text)?;
        let (op, version) = (1..=7)
            .step_by(2)
            .find_map(|i| Some((c.get(i)?.as_str(), c.get(i + 1)?.as_str())))?;
        let op = match op {
            "===" => Op::Arbitrary,
            "==" => Op::Equal,
            "!=" => Op::NotEqual,
            "<=" => Op::LessEqual,
            ">=" => Op::GreaterEqual,
            "<" => Op::Less,
            ">" => Op::Greater,
            "~=" => Op::Compatible,
            _ => return None,
        };
        let wildcard = version.ends_with(".*");
        let parsed = Version::from_str(version.strip_suffix(".*").unwrap_or(version)).ok();
        if parsed.is_none() && op != Op::Arbitrary {
            return None;
        }
        Some(Specifier {
            op,
            text: version.to_string(),
            version: parsed,
            wildcard,
            has_local: version.contains('+'),
        })
    }

    /// `packaging`'s `Specifier.prereleases`: whether the specifier itself opts in to
    /// pre-releases (it names one, and is not `!=` or a `==` wildcard).
    fn names_prerelease(&self) -> bool {
        match self.op {
            Op::NotEqual => false,
            Op::Equal if self.wildcard => false,
            _ => self.version.as_ref().is_some_and(Version::any_prerelease),
        }
    }

    /// Whether the release text `raw` (parsed as `parsed`, when it is PEP 440) satisfies it.
    fn contains(&self, raw: &str, parsed: Option<&Version>) -> bool {
        if self.op == Op::Arbitrary {
            return raw.to_lowercase() == self.text.to_lowercase();
        }
        let (Some(p), Some(v)) = (parsed, self.version.as_ref()) else {
            return false;
        };
        if self.wildcard {
            // `==1.2.*` is [1.2.dev0, 1.3.dev0); `!=1.2.*` its complement.
            let inside = *p >= base_dev0(v) && *p < next_prefix_dev0(v.epoch(), v.release());
            return (self.op == Op::Equal) == inside;
        }
        match self.op {
            Op::Equal | Op::NotEqual => {
                // Without a local label in the specifier, V's local versions count as V.
                let equal = if self.has_local {
                    p == v
                } else {
                    p.clone().without_local() == *v
                };
                (self.op == Op::Equal) == equal
            }
            Op::LessEqual => p.clone().without_local() <= *v,
            Op::GreaterEqual => p >= v,
            Op::Less => {
                // Below V, and below V's own pre-releases unless V is one.
                let bound = if v.any_prerelease() {
                    v.clone()
                } else {
                    v.clone().with_dev(Some(0))
                };
                *p < bound
            }
            Op::Greater => match (v.dev(), v.post()) {
                (Some(dev), _) => *p >= v.clone().with_dev(Some(dev.saturating_add(1))),
                (None, Some(post)) => {
                    *p >= v
                        .clone()
                        .with_post(Some(post.saturating_add(1)))
                        .with_dev(Some(0))
                }
                // Above V, and not V's post-releases (nor V+local).
                (None, None) => p > v && !same_release_and_pre(p, v),
            },
            Op::Compatible => {
                let release = v.release();
                let prefix = &release[..release.len().saturating_sub(1)];
                *p >= *v && *p < next_prefix_dev0(v.epoch(), prefix)
            }
            Op::Arbitrary => false,
        }
    }
}

/// Same epoch, release (trailing zeros ignored) and pre-release segment.
fn same_release_and_pre(p: &Version, v: &Version) -> bool {
    p.epoch() == v.epoch() && trim(p.release()) == trim(v.release()) && p.pre() == v.pre()
}

fn trim(release: &[u64]) -> &[u64] {
    let end = release.iter().rposition(|n| *n != 0).map_or(1, |i| i + 1);
    &release[..end.max(1).min(release.len())]
}

/// `1.2` → `1.2.dev0` (the epoch kept).
fn base_dev0(v: &Version) -> Version {
    Version::new(v.release())
        .with_epoch(v.epoch())
        .with_dev(Some(0))
}

/// `1.2` → `1.3.dev0`: the first version after every version starting with `release`.
fn next_prefix_dev0(epoch: u64, release: &[u64]) -> Version {
    let mut next: Vec<u64> = if release.is_empty() {
        vec![0]
    } else {
        release.to_vec()
    };
    if let Some(last) = next.last_mut() {
        *last = last.saturating_add(1);
    }
    Version::new(next).with_epoch(epoch).with_dev(Some(0))
}

impl Specifiers {
    /// Parses comma-separated specifiers as `packaging`'s `SpecifierSet` (empty parts ignored).
    pub fn parse(text: &str) -> Result<Specifiers, Pep440Error> {
        let specs = text
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|s| {
                Specifier::parse(s)
                    .ok_or_else(|| Pep440Error::Specifier(s.chars().take(100).collect()))
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Specifiers {
            specs,
            text: text.to_string(),
        })
    }

    /// Whether `raw`, which is not a PEP 440 version, is admitted: only an `===` naming it can
    /// (and every other specifier must hold, which a standard operator never does for it).
    pub fn admits_arbitrary(&self, raw: &str) -> bool {
        self.specs.iter().any(|s| s.op == Op::Arbitrary) && self.contains(raw, None)
    }

    /// Whether a specifier opts in to pre-releases (`>=2.0b1`; not `!=2.0b1`).
    pub fn names_prerelease(&self) -> bool {
        self.specs.iter().any(Specifier::names_prerelease)
    }

    /// Whether the release `raw` (`parsed` when it is a PEP 440 version) satisfies every
    /// specifier, whatever it is a pre-release or not (the pre-release rule is [`filter`]'s).
    pub fn contains(&self, raw: &str, parsed: Option<&Version>) -> bool {
        self.specs.iter().all(|s| s.contains(raw, parsed))
    }
}

impl fmt::Display for Specifiers {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

/// The releases `SpecifierSet(constraint).filter(releases, prereleases)` keeps, in their order.
/// `key` gives each item's text and, when it is a PEP 440 version, its parse; text that is not
/// PEP 440 only passes an `===` naming it.
///
/// `Some(true)` is `prereleases=True`: every match. `Some(false)` is `prereleases=False`: the
/// matches that are not pre-releases, even when a specifier names one or nothing else matches.
/// `None` is `packaging`'s default (`prereleases=None`): every match when a specifier names a
/// pre-release; else the final and post releases that match, or — when none does — the
/// pre-releases that match (PEP 440: "accept remotely available pre-releases for version
/// specifiers where there is no final or post release that satisfies the version specifier").
pub fn filter<T>(
    constraint: Option<&Specifiers>,
    prereleases: Option<bool>,
    items: Vec<T>,
    key: impl Fn(&T) -> (&str, Option<&Version>),
) -> Vec<T> {
    let matches: Vec<T> = items
        .into_iter()
        .filter(|item| {
            let (raw, parsed) = key(item);
            match constraint {
                Some(c) => c.contains(raw, parsed),
                None => parsed.is_some(),
            }
        })
        .collect();
    let is_pre = |item: &T| key(item).1.is_some_and(Version::any_prerelease);
    match prereleases {
        Some(true) => matches,
        Some(false) => matches.into_iter().filter(|i| !is_pre(i)).collect(),
        None if constraint.is_some_and(Specifiers::names_prerelease) => matches,
        None if matches.iter().all(is_pre) => matches,
        None => matches.into_iter().filter(|i| !is_pre(i)).collect(),
    }
}

/// A release under PEP 440: a version, or text that is not PEP 440 kept for an `===` naming it
/// (it sorts after every PEP 440 version, such texts among themselves as text).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Release {
    /// A PEP 440 version.
    Pep(Version),
    /// Text that is not PEP 440, admitted by an `===`.
    Arbitrary(String),
}

impl Release {
    fn version(&self) -> Option<&Version> {
        match self {
            Release::Pep(v) => Some(v),
            Release::Arbitrary(_) => None,
        }
    }
}

/// PEP 440's scheme (PyPI), as `packaging`'s `SpecifierSet.filter`.
pub(crate) struct Pep440Scheme;

/// PEP 440's scheme.
pub(crate) static PEP440: Pep440Scheme = Pep440Scheme;

impl super::Scheme for Pep440Scheme {
    type Version = Release;
    type Constraint = Specifiers;

    fn parse(&self, text: &str, constraint: Option<&Specifiers>) -> Option<Release> {
        match text.parse() {
            Ok(v) => Some(Release::Pep(v)),
            Err(_) => constraint
                .is_some_and(|c| c.admits_arbitrary(text))
                .then(|| Release::Arbitrary(text.to_string())),
        }
    }

    fn constraint(&self, text: &str, _: super::PreReleases) -> Result<Specifiers, String> {
        Specifiers::parse(text).map_err(|e| e.to_string())
    }

    fn is_prerelease(&self, v: &Release) -> bool {
        v.version().is_some_and(Version::any_prerelease)
    }

    /// On its own: matched, and not a pre-release unless `pre_releases: true` or a specifier
    /// names one (the list-wide fallback is [`Pep440Scheme::select`]'s).
    fn admits(
        &self,
        c: Option<&Specifiers>,
        pre: super::PreReleases,
        text: &str,
        v: &Release,
    ) -> bool {
        let matched = match c {
            Some(c) => c.contains(text, v.version()),
            None => v.version().is_some(),
        };
        let pre_ok = pre == super::PreReleases::All
            || c.is_some_and(Specifiers::names_prerelease) && pre != super::PreReleases::Never
            || !self.is_prerelease(v);
        matched && pre_ok
    }

    /// [`filter`], `prereleases` being [`super::PreReleases::setting`].
    fn select<'a>(
        &self,
        c: Option<&Specifiers>,
        pre: super::PreReleases,
        items: Vec<super::Item<'a, Release>>,
    ) -> Vec<super::Item<'a, Release>> {
        filter(c, pre.setting(), items, |i| (i.text, i.version.version()))
    }
}
