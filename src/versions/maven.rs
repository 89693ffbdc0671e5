//! Maven versions and version ranges as Maven 3.8's `ComparableVersion` and `VersionRange` read them.
//!
//! A version is split into items (`maven-artifact`'s `ComparableVersion`, the POM reference's
//! "Version Order Specification"): `.` and `-` separate items, and so does every switch between
//! digits and letters (`1alpha2` = `1-alpha-2`); a `-` and a digit/letter switch open a nested
//! list, and so does (since Maven 3.8) a qualifier that does not start its list when a digit or
//! the end follows it (`ga.b` is `[[b]]`). Digit runs are numbers (any length, leading zeros
//! dropped). Letter runs are qualifiers, lower-cased, with aliases (`a1` = `alpha-1`, `b1` =
//! `beta-1`, `m1` = `milestone-1` when a digit follows; `cr` = `rc`; `ga` = `final` = `release`
//! = the empty qualifier), ordered `alpha` < `beta` < `milestone` < `rc` < `snapshot` < (none)
//! < `sp` < any other qualifier (those among themselves as text). Trailing "null" items (`0`,
//! the empty qualifier, an empty list) are dropped from each list, looking past nested lists,
//! so `1` = `1.0` = `1.0.0` = `1-0` = `1.ga`. Items compare pairwise, the shorter list padded
//! with nothing: a number is newer than a qualifier or a list (`1.1` > `1-1` > `1-sp`), a list
//! newer than a qualifier; against nothing a number is newer unless it is `0`, a qualifier
//! newer only when it ranks above the release (`1-sp` > `1` > `1-rc`), a list as the first of
//! its items that is not equal to nothing (since Maven 3.8.2: `0` < `0-0.2`). A pre-release is a version with a qualifier ranked
//! below the release anywhere (`alpha` … `snapshot`); other qualifiers (`-jre`, `-preview`,
//! `-ea`) sort after the release and are not pre-releases.
//!
//! A range is Maven's `VersionRange` spec: `[1.0,2.0)`, `(,1.0]`, `[1.5,)`, `[1.0]` (exactly),
//! and unions of such sets separated by commas (`(,1.0],[1.2,)`), which must not overlap. A bare
//! version (`1.0`) is Maven's soft requirement: Maven's `containsVersion` admits everything for
//! it (it is only a recommendation), so uptick reads it as the version Maven resolves it to when
//! nothing overrides it: exactly that version (`1.0` admits `1` and `1.0.0`, like `[1.0]`). A
//! bare version holding an operator or blank (`>=1.0`, `1.*`, `~1.2`) is refused rather than
//! read as a version of that name.
//!
//! Only printable ASCII is read (Maven's `Character.isDigit` also takes non-ASCII digits, and
//! Java compares qualifiers by UTF-16 units): a version with other characters is skipped.

use std::cmp::Ordering;

/// Why a text is not a Maven version or range.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum MavenError {
    /// Empty, longer than [`MAX_VERSION_LEN`], or not printable ASCII.
    #[error("`{0}` is not a Maven version (empty, longer than 256 bytes, or not printable ASCII)")]
    Version(String),
    /// The range breaks `VersionRange`'s grammar.
    #[error("`{spec}` is not a Maven version range: {detail}")]
    Range {
        /// The constraint.
        spec: String,
        /// What is wrong (Maven's own wording).
        detail: String,
    },
}

/// Longest version read: each `-` nests a list, and lists are compared and dropped recursively,
/// so a server's version text must not nest without bound.
pub const MAX_VERSION_LEN: usize = 256;

/// Known qualifiers in order; the empty one is the release.
const QUALIFIERS: [&str; 7] = ["alpha", "beta", "milestone", "rc", "snapshot", "", "sp"];
/// The rank of the empty qualifier.
const RELEASE: usize = 5;

#[derive(Clone, Debug, PartialEq, Eq)]
enum Item {
    /// Digits without leading zeros (`0` for zero).
    Int(String),
    /// A qualifier, aliases resolved.
    Str(String),
    /// A nested list (after `-`, or a digit/letter switch).
    List(Vec<Item>),
}

/// Rank of a qualifier, and its text when it is not one of [`QUALIFIERS`] (compared as text
/// after all of them, as `ComparableVersion.comparableQualifier` does).
fn rank(q: &str) -> (usize, &str) {
    match QUALIFIERS.iter().position(|k| *k == q) {
        Some(i) => (i, ""),
        None => (QUALIFIERS.len(), q),
    }
}

impl Item {
    fn is_null(&self) -> bool {
        match self {
            Item::Int(d) => d == "0",
            Item::Str(s) => s.is_empty(),
            Item::List(l) => l.is_empty(),
        }
    }

    /// `Item.compareTo`, `None` being the padding of a shorter list.
    fn compare(&self, other: Option<&Item>) -> Ordering {
        match (self, other) {
            (Item::Int(d), None) => {
                if d == "0" {
                    Ordering::Equal
                } else {
                    Ordering::Greater
                }
            }
            (Item::Int(a), Some(Item::Int(b))) => a.len().cmp(&b.len()).then_with(|| a.cmp(b)),
            (Item::Int(_), Some(_)) => Ordering::Greater,
            (Item::Str(s), None) => rank(s).cmp(&(RELEASE, "")),
            (Item::Str(_), Some(Item::Int(_) | Item::List(_))) => Ordering::Less,
            (Item::Str(a), Some(Item::Str(b))) => rank(a).cmp(&rank(b)),
            // Every item against nothing, not only the first (MNG-6964, Maven 3.8.2).
            (Item::List(l), None) => l
                .iter()
                .map(|i| i.compare(None))
                .find(|o| o.is_ne())
                .unwrap_or(Ordering::Equal),
            (Item::List(_), Some(Item::Int(_))) => Ordering::Less,
            (Item::List(_), Some(Item::Str(_))) => Ordering::Greater,
            (Item::List(a), Some(Item::List(b))) => compare_lists(a, b),
        }
    }

    fn has_prerelease(&self) -> bool {
        match self {
            Item::Int(_) => false,
            Item::Str(s) => rank(s).0 < RELEASE,
            Item::List(l) => l.iter().any(Item::has_prerelease),
        }
    }
}

fn compare_lists(a: &[Item], b: &[Item]) -> Ordering {
    for i in 0..a.len().max(b.len()) {
        let o = match (a.get(i), b.get(i)) {
            (Some(l), r) => l.compare(r),
            (None, Some(r)) => r.compare(None).reverse(),
            (None, None) => Ordering::Equal,
        };
        if o != Ordering::Equal {
            return o;
        }
    }
    Ordering::Equal
}

/// Drops trailing null items, looking past non-empty nested lists (`ListItem.normalize`).
fn normalize(list: &mut Vec<Item>) {
    let mut i = list.len();
    while i > 0 {
        i -= 1;
        if list[i].is_null() {
            list.remove(i);
        } else if !matches!(list[i], Item::List(_)) {
            break;
        }
    }
}

fn parse_item(digits: bool, text: &str) -> Item {
    if digits {
        let t = text.trim_start_matches('0');
        Item::Int(if t.is_empty() { "0".into() } else { t.into() })
    } else {
        qualifier(text, false)
    }
}

fn qualifier(text: &str, followed_by_digit: bool) -> Item {
    let text = match (followed_by_digit, text) {
        (true, "a") => "alpha",
        (true, "b") => "beta",
        (true, "m") => "milestone",
        (_, "ga" | "final" | "release") => "",
        (_, "cr") => "rc",
        (_, t) => t,
    };
    Item::Str(text.to_string())
}

/// A Maven version.
#[derive(Clone, Debug)]
pub struct Version {
    text: String,
    items: Vec<Item>,
}

impl Version {
    /// Reads `text` as `ComparableVersion` does (any printable ASCII text is a version).
    pub fn parse(text: &str) -> Result<Version, MavenError> {
        if text.is_empty()
            || text.len() > MAX_VERSION_LEN
            || !text.bytes().all(|b| b.is_ascii_graphic())
        {
            let shown: String = text.chars().take(80).collect();
            return Err(MavenError::Version(shown));
        }
        let lower = text.to_ascii_lowercase();
        let v = lower.as_bytes();
        // The open lists, innermost last; each is closed (normalised and added to its parent)
        // at the end, as `ComparableVersion.parseVersion`'s stack.
        let mut stack: Vec<Vec<Item>> = vec![Vec::new()];
        let mut digits = false;
        let mut start = 0;
        for (i, &c) in v.iter().enumerate() {
            let top = stack.len() - 1;
            if c == b'.' || c == b'-' {
                let item = if i == start {
                    Item::Int("0".into())
                } else {
                    parse_item(digits, &lower[start..i])
                };
                stack[top].push(item);
                start = i + 1;
                if c == b'-' {
                    stack.push(Vec::new());
                }
            } else if c.is_ascii_digit() {
                if !digits && i > start {
                    // A qualifier followed by a number opens a list of its own unless it
                    // starts one (`1.0alpha1`: [1, [alpha, [1]]]; MNG-5568, Maven 3.8).
                    if !stack[top].is_empty() {
                        stack.push(Vec::new());
                    }
                    let top = stack.len() - 1;
                    stack[top].push(qualifier(&lower[start..i], true));
                    start = i;
                    stack.push(Vec::new());
                }
                digits = true;
            } else {
                if digits && i > start {
                    stack[top].push(parse_item(true, &lower[start..i]));
                    start = i;
                    stack.push(Vec::new());
                }
                digits = false;
            }
        }
        if v.len() > start {
            // So does a trailing qualifier (`ga.b`: [[b]]).
            if !digits && !stack[stack.len() - 1].is_empty() {
                stack.push(Vec::new());
            }
            let top = stack.len() - 1;
            stack[top].push(parse_item(digits, &lower[start..]));
        }
        // Close the lists innermost first, each normalised before its parent is.
        let mut items = Vec::new();
        while let Some(mut list) = stack.pop() {
            normalize(&mut list);
            match stack.last_mut() {
                // A parent takes no item after opening a list: the list is its last item.
                Some(parent) => parent.push(Item::List(list)),
                None => items = list,
            }
        }
        Ok(Version {
            text: text.to_string(),
            items,
        })
    }

    /// Whether a qualifier ranks below the release: `alpha`, `beta`, `milestone`, `rc` / `cr`,
    /// `snapshot` (with their aliases `a1`, `b1`, `m1`).
    pub fn is_prerelease(&self) -> bool {
        self.items.iter().any(Item::has_prerelease)
    }

    /// The text as written.
    pub fn as_str(&self) -> &str {
        &self.text
    }
}

impl Ord for Version {
    fn cmp(&self, other: &Version) -> Ordering {
        compare_lists(&self.items, &other.items)
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

/// One set of a range: bounds, each optional and inclusive or not.
#[derive(Clone, Debug)]
struct Restriction {
    lower: Option<Version>,
    lower_inclusive: bool,
    upper: Option<Version>,
    upper_inclusive: bool,
}

impl Restriction {
    fn contains(&self, v: &Version) -> bool {
        if let Some(l) = &self.lower {
            match l.cmp(v) {
                Ordering::Greater => return false,
                Ordering::Equal if !self.lower_inclusive => return false,
                _ => {}
            }
        }
        if let Some(u) = &self.upper {
            match u.cmp(v) {
                Ordering::Less => return false,
                Ordering::Equal if !self.upper_inclusive => return false,
                _ => {}
            }
        }
        true
    }
}

/// A Maven version range (`[1.0,2.0)`, `(,1.0],[1.2,)`, `[1.0]`), or a soft requirement (`1.0`).
#[derive(Clone, Debug)]
pub struct Range {
    sets: Vec<Restriction>,
    /// A bare version: admits the versions equal to it.
    soft: Option<Version>,
}

impl Range {
    /// Parses `spec` as `VersionRange.createFromVersionSpec` does (blanks around it ignored),
    /// with its errors.
    pub fn parse(spec: &str) -> Result<Range, MavenError> {
        let spec = spec.trim();
        let bad = |detail: &str| MavenError::Range {
            spec: spec.to_string(),
            detail: detail.to_string(),
        };
        let version = |text: &str| Version::parse(text).map_err(|e| bad(&e.to_string()));
        let mut sets: Vec<Restriction> = Vec::new();
        let mut process = spec;
        while process.starts_with(['[', '(']) {
            let close = match (process.find(')'), process.find(']')) {
                (Some(p), Some(b)) => p.min(b),
                (Some(i), None) | (None, Some(i)) => i,
                (None, None) => return Err(bad("unbounded range")),
            };
            let set = &process[..=close];
            let lower_inclusive = set.starts_with('[');
            let upper_inclusive = set.ends_with(']');
            let inner = set[1..set.len() - 1].trim();
            let restriction = match inner.split_once(',') {
                None => {
                    if !lower_inclusive || !upper_inclusive {
                        return Err(bad("a single version must be surrounded by []"));
                    }
                    let v = version(inner)?;
                    Restriction {
                        lower: Some(v.clone()),
                        lower_inclusive,
                        upper: Some(v),
                        upper_inclusive,
                    }
                }
                Some((l, u)) => {
                    let (l, u) = (l.trim(), u.trim());
                    let lower = (!l.is_empty()).then(|| version(l)).transpose()?;
                    let upper = (!u.is_empty()).then(|| version(u)).transpose()?;
                    if let (Some(l), Some(u)) = (&lower, &upper) {
                        let order = u.cmp(l);
                        if order.is_lt() || (order.is_eq() && !(lower_inclusive && upper_inclusive))
                        {
                            return Err(bad("the range defies version ordering"));
                        }
                    }
                    Restriction {
                        lower,
                        lower_inclusive,
                        upper,
                        upper_inclusive,
                    }
                }
            };
            if let Some(prev) = sets.last() {
                if let Some(prev_upper) = &prev.upper {
                    if restriction.lower.as_ref().is_none_or(|l| l < prev_upper) {
                        return Err(bad("ranges overlap"));
                    }
                }
            }
            sets.push(restriction);
            process = process[close + 1..].trim();
            if let Some(rest) = process.strip_prefix(',') {
                process = rest.trim();
            }
        }
        if process.is_empty() {
            if sets.is_empty() {
                return Err(bad("empty"));
            }
            return Ok(Range { sets, soft: None });
        }
        if !sets.is_empty() {
            return Err(bad(
                "only fully-qualified sets allowed in multiple set scenario",
            ));
        }
        // Maven would take `>=1.0` or `1.*` as a version named so, which no release is.
        if process.contains(|c: char| "<>=~^!*|,()[]".contains(c) || c.is_whitespace()) {
            return Err(bad(
                "not a range, and a bare version cannot hold operators (for 1.0 or newer write `[1.0,)`)",
            ));
        }
        Ok(Range {
            sets,
            soft: Some(version(process)?),
        })
    }

    /// Whether `v` is in one of the sets (or equals the soft requirement).
    pub fn admits(&self, v: &Version) -> bool {
        match &self.soft {
            Some(s) => s == v,
            None => self.sets.iter().any(|r| r.contains(v)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::process::{Command, Stdio};

    /// `(a, relation, b)`: the POM reference's "Version Order Specification" examples (its
    /// current text, whose `1-sp-1` < `1-ga-1` corrects an older `>`), the issue's example,
    /// Maven's own `ComparableVersionTest` sequences and more; every row is also put to
    /// Maven 3.8.7's `ComparableVersion` itself by [`rows_agree_with_maven`].
    const ORDER: &[(&str, &str, &str)] = &[
        // The specification's examples.
        ("1", "<", "1.1"),
        ("1-snapshot", "<", "1"),
        ("1", "<", "1-sp"),
        ("1-foo2", "<", "1-foo10"),
        ("1.foo", "=", "1-foo"),
        ("1-foo", "<", "1-1"),
        ("1-1", "<", "1.1"),
        ("1.ga", "=", "1-ga"),
        ("1-ga", "=", "1-0"),
        ("1-0", "=", "1.0"),
        ("1.0", "=", "1"),
        ("1-sp", ">", "1-ga"),
        ("1-sp.1", ">", "1-ga.1"),
        ("1-sp-1", "<", "1-ga-1"),
        // The specification says `1-ga-1` = `1-1`; Maven 3.8.7 drops the `ga` but keeps its
        // list: [1, [[1]]] < [1, [1]].
        ("1-ga-1", "<", "1-1"),
        ("1-a1", "=", "1-alpha-1"),
        ("1.0-alpha1", "=", "1.0-ALPHA1"),
        ("1.7", ">", "1.K"),
        ("5.zebra", ">", "5.aardvark"),
        ("1-1.foo-bar1baz-.1", "=", "1-1.foo-bar-1-baz-0.1"),
        // Qualifier order: alpha < beta < milestone < rc = cr < snapshot < "" = ga = final
        // = release < sp < other qualifiers, those lexically.
        ("1-alpha", "<", "1-beta"),
        ("1-beta", "<", "1-milestone"),
        ("1-milestone", "<", "1-rc"),
        ("1-rc", "=", "1-cr"),
        ("1-rc", "<", "1-snapshot"),
        ("1-snapshot", "<", "1-final"),
        ("1-final", "=", "1-ga"),
        ("1-sp", "<", "1-abc"),
        ("1-abc", "<", "1-def"),
        ("1-m", ">", "1-milestone"),
        ("1-a", ">", "1-sp"),
        // The issue's example.
        ("1.0-alpha-1", "<", "1.0-SNAPSHOT"),
        ("1.0-SNAPSHOT", "<", "1.0"),
        ("1.0", "<", "1.0-sp1"),
        // Aliases, only before a digit.
        ("1a1", "=", "1-alpha-1"),
        ("1b2", "=", "1-beta-2"),
        ("1m3", "=", "1-milestone-3"),
        ("1.0.RC1", "=", "1.0-cr-1"),
        ("1.0GA", "=", "1.0"),
        // Numbers: numerically, any length, leading zeros ignored, trailing zeros dropped.
        ("1.0.0", "=", "1"),
        ("1.2", "<", "1.10"),
        ("1.01", "=", "1.1"),
        ("2.0", "<", "2.0.1"),
        ("1.0.0.9", "<", "1.0.0.52"),
        ("1.2147483648", ">", "1.2147483647"),
        ("1.123456789012345678901", ">", "1.99999999999999999"),
        ("1.0", "<", "1.0-1"),
        ("1.0-1", "<", "1.0.1"),
        ("1-0-2", "<", "1-1"),
        // Maven's ComparableVersionTest sequences (each row a neighbouring pair).
        ("1-alpha2snapshot", "<", "1-alpha2"),
        ("1-alpha2", "<", "1-alpha-123"),
        ("1-alpha-123", "<", "1-beta-2"),
        ("1-beta123", "<", "1-m2"),
        ("1-m11", "<", "1-rc"),
        ("1-cr2", "<", "1-rc123"),
        ("1-rc123", "<", "1-SNAPSHOT"),
        ("1-sp123", "<", "1-abc"),
        ("1-def", "<", "1-pom-1"),
        ("1-pom-1", "<", "1-1-snapshot"),
        ("1-1-snapshot", "<", "1-1"),
        ("1-2", "<", "1-123"),
        ("2.0", "<", "2.0.a"),
        ("2.0.a", "<", "2-1"),
        ("2-1", "<", "2.0.2"),
        ("2.1-a", "<", "2.1b"),
        ("2.1-c", "<", "2.1-1"),
        ("2.1.0.1", "<", "2.2"),
        ("11.a2", "<", "11.a11"),
        ("11.b11", "<", "11.m2"),
        ("11.m11", "<", "11"),
        ("11", "<", "11.a"),
        ("11b", "<", "11c"),
        // Snapshots of pre-releases, and text that is no version scheme at all.
        ("1.0a1-SNAPSHOT", "<", "1.0-alpha1"),
        ("1.0-beta3.SNAPSHOT", "<", "1.0-beta3"),
        ("1.0-rc1-SNAPSHOT", "<", "1.0-cr1"),
        ("NotAVersionSting", "<", "1.0a1-SNAPSHOT"),
        ("31.1-jre", ">", "31.1-android"),
        // Maven 3.8 itself: a list against nothing is its first item that is not equal to
        // nothing (MNG-6964); a trailing qualifier opens a list of its own (MNG-5568).
        ("0", "<", "0-0.2"),
        ("ga.b", ">", "foo"),
    ];

    /// `(range, version, admitted)`: the POM reference's "Dependency Version Requirement
    /// Specification" examples and its note that `[1.0,2.0)` admits `2.0-rc1`; each also put to
    /// Maven 3.8.7's `VersionRange.containsVersion` by [`rows_agree_with_maven`].
    const RANGES: &[(&str, &str, bool)] = &[
        ("[1.0]", "1.0", true),
        ("[1.0]", "1", true),
        ("[1.0]", "1.0.0", true),
        ("[1.0]", "1.0.1", false),
        ("[1.0]", "1.0-SNAPSHOT", false),
        ("(,1.0]", "0.9", true),
        ("(,1.0]", "1.0", true),
        ("(,1.0]", "1.0.1", false),
        ("(,1.0]", "1.0-sp1", false),
        ("(,1.0)", "1.0", false),
        ("(,1.0)", "1.0-rc1", true),
        ("[1.2,1.3]", "1.2", true),
        ("[1.2,1.3]", "1.3", true),
        ("[1.2,1.3]", "1.2.5", true),
        ("[1.2,1.3]", "1.3.1", false),
        ("[1.2,1.3]", "1.1", false),
        ("[1.0,2.0)", "1.0", true),
        ("[1.0,2.0)", "1.9.9", true),
        ("[1.0,2.0)", "2.0", false),
        ("[1.0,2.0)", "2.0-rc1", true),
        ("[1.0,2.0)", "2.0-SNAPSHOT", true),
        ("[1.0,2.0)", "0.9", false),
        ("[1.1,2.0)", "1.10", true),
        ("[1.5,)", "1.5", true),
        ("[1.5,)", "100", true),
        ("[1.5,)", "1.4", false),
        ("(1.5,)", "1.5", false),
        ("(1.5,)", "1.5.0", false),
        ("(1.5,)", "1.5-1", true),
        ("(,1.0],[1.2,)", "1.0", true),
        ("(,1.0],[1.2,)", "1.1", false),
        ("(,1.0],[1.2,)", "1.2", true),
        ("(,1.0],[1.2,)", "3", true),
        ("(,1.1),(1.1,)", "1.1", false),
        ("(,1.1),(1.1,)", "1.1.1", true),
        ("(,1.1),(1.1,)", "1.0", true),
        ("[1.0,1.2),[1.2,1.4)", "1.2", true),
        ("[ 1.0 , 2.0 )", "1.5", true),
        ("[1.0,)", "1.0-SNAPSHOT", false),
        ("[1.0,1]", "1.0.0", true),
        ("[,]", "0.1", true),
        ("[1.0,),[2.0,)", "3.0", true),
    ];

    /// `(soft requirement, version, admitted)`: a bare version admits the versions equal to the
    /// one Maven resolves it to (checked against `VersionRange.getRecommendedVersion`).
    const SOFT: &[(&str, &str, bool)] = &[
        ("1.0", "1.0", true),
        ("1.0", "1", true),
        ("1.0", "1.0.0", true),
        ("1.0", "1.1", false),
        ("1.0", "1.0-SNAPSHOT", false),
    ];

    /// Specs `VersionRange.createFromVersionSpec` refuses.
    const INVALID: &[&str] = &[
        "[1.0,2.0",
        "(1.0)",
        "[1.0)",
        "[2.0,1.0]",
        "[1.0,1.0)",
        "(1,1.0]",
        "[1.0,2.0),1.5",
        "[1.0,2.0],[1.5,3.0]",
        "(,1.0],(,2.0]",
        "[1.0,2.0)x",
    ];

    fn v(s: &str) -> Version {
        Version::parse(s).unwrap()
    }

    fn relation(o: Ordering) -> &'static str {
        match o {
            Ordering::Less => "<",
            Ordering::Equal => "=",
            Ordering::Greater => ">",
        }
    }

    #[test]
    fn order_rows() {
        let mut wrong = Vec::new();
        for (a, rel, b) in ORDER {
            let got = relation(v(a).cmp(&v(b)));
            let back = relation(v(b).cmp(&v(a)));
            let want_back = relation(match *rel {
                "<" => Ordering::Greater,
                ">" => Ordering::Less,
                _ => Ordering::Equal,
            });
            if got != *rel || back != want_back {
                wrong.push(format!("{a} {got} {b} (want {rel}; reversed {back})"));
            }
        }
        assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    }

    #[test]
    fn range_rows() {
        let mut wrong = Vec::new();
        for (spec, version, want) in RANGES.iter().chain(SOFT) {
            let got = Range::parse(spec).unwrap().admits(&v(version));
            if got != *want {
                wrong.push(format!("{spec} admits {version}: {got}, want {want}"));
            }
        }
        for spec in INVALID {
            if let Ok(r) = Range::parse(spec) {
                wrong.push(format!("{spec} parsed: {r:?}"));
            }
        }
        assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    }

    #[test]
    fn pre_releases_and_refusals() {
        for pre in [
            "1.0-alpha-1",
            "1.0a1",
            "1.0-b2",
            "1.0.M1",
            "1.0-RC1",
            "1.0.CR2",
            "1.0-SNAPSHOT",
            "2.0.0-beta.1",
        ] {
            assert!(v(pre).is_prerelease(), "{pre}");
        }
        for rel in [
            "1.0",
            "1.0-sp1",
            "1.0.Final",
            "1.0.RELEASE",
            "31.1-jre",
            "1.0-m",
            "1-1",
        ] {
            assert!(!v(rel).is_prerelease(), "{rel}");
        }
        assert_eq!(
            Version::parse("1.0 beta").unwrap_err().to_string(),
            "`1.0 beta` is not a Maven version (empty, longer than 256 bytes, or not printable ASCII)"
        );
        // Nesting is bounded by the length: a hostile index cannot nest lists without end.
        let deep = "1-".repeat(128);
        assert!(v(&deep) > v("1"));
        assert!(Version::parse(&format!("{deep}1")).is_err());
        assert!(Version::parse("").is_err());
        assert!(Version::parse("1.α").is_err());
        for operator in [">=1.0", "~1.2", "1.*", "1.0 || 2.0", "^1"] {
            let e = Range::parse(operator).unwrap_err().to_string();
            assert!(e.contains("write `[1.0,)`"), "{e}");
        }
        let e = Range::parse("[1.0,2.0").unwrap_err().to_string();
        assert_eq!(
            e,
            "`[1.0,2.0` is not a Maven version range: unbounded range"
        );
    }

    /// The installed Maven's `lib` (Debian's `maven` package: ci/test installs it).
    const MAVEN_LIB: &str = "/usr/share/maven/lib";

    /// The `maven-artifact` jar of the installed Maven.
    fn maven_artifact_jar() -> std::path::PathBuf {
        let lib = std::path::Path::new(MAVEN_LIB);
        std::fs::read_dir(lib)
            .unwrap_or_else(|e| panic!("{}: {e} (ci/test installs maven)", lib.display()))
            .filter_map(Result::ok)
            .map(|e| e.path())
            .find(|p| {
                p.file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(|n| n.starts_with("maven-artifact-") && n.ends_with(".jar"))
            })
            .unwrap_or_else(|| panic!("no maven-artifact jar in {}", lib.display()))
    }

    /// `ComparableVersion`'s own `main`: each argument compared with the next one.
    fn maven_order(pairs: &[(&str, &str)]) -> Vec<&'static str> {
        let mut args = Vec::new();
        for (a, b) in pairs {
            args.push(*a);
            args.push(*b);
        }
        let out = Command::new("java")
            .arg("-jar")
            .arg(maven_artifact_jar())
            .args(&args)
            .output()
            .expect("java (ci/test installs maven)");
        assert!(out.status.success(), "{out:?}");
        let text = String::from_utf8_lossy(&out.stdout);
        // Lines `   A < B`, one per neighbouring pair; keep those of each (a, b).
        let lines: Vec<&str> = text
            .lines()
            .filter(|l| l.starts_with("   "))
            .map(str::trim)
            .collect();
        assert_eq!(lines.len(), args.len() - 1, "{text}");
        pairs
            .iter()
            .enumerate()
            .map(|(i, (a, b))| {
                let line = lines[2 * i];
                for rel in ["<", "==", ">"] {
                    if line == format!("{a} {rel} {b}") {
                        return if rel == "==" { "=" } else { rel };
                    }
                }
                panic!("unexpected line {line:?} for {a} {b}");
            })
            .collect()
    }

    /// Runs `VersionRange` on lines `spec<TAB>version`: `true`/`false` (`containsVersion`, or
    /// for a soft requirement whether the recommended version equals it), or `invalid`.
    fn maven_ranges(lines: &[String]) -> Vec<String> {
        let dir = tempfile::tempdir().unwrap();
        let src = dir.path().join("RangeOracle.java");
        std::fs::write(
            &src,
            r#"import org.apache.maven.artifact.versioning.*;
import java.io.*;
public class RangeOracle {
  public static void main(String[] args) throws Exception {
    BufferedReader in = new BufferedReader(new InputStreamReader(System.in, "UTF-8"));
    String line;
    while ((line = in.readLine()) != null) {
      String[] p = line.split("\t", -1);
      try {
        VersionRange r = VersionRange.createFromVersionSpec(p[0]);
        if (p[1].isEmpty()) { System.out.println("valid"); continue; }
        DefaultArtifactVersion v = new DefaultArtifactVersion(p[1]);
        if (r.getRecommendedVersion() != null) {
          System.out.println(r.getRecommendedVersion().compareTo(v) == 0);
        } else {
          System.out.println(r.containsVersion(v));
        }
      } catch (InvalidVersionSpecificationException e) {
        System.out.println("invalid");
      }
    }
  }
}
"#,
        )
        .unwrap();
        let mut child = Command::new("java")
            .arg("-cp")
            .arg(format!("{MAVEN_LIB}/*"))
            .arg(&src)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("java (ci/test installs default-jdk-headless)");
        use std::io::Write as _;
        child
            .stdin
            .take()
            .unwrap()
            .write_all(lines.join("\n").as_bytes())
            .unwrap();
        let out = child.wait_with_output().unwrap();
        assert!(out.status.success(), "{out:?}");
        String::from_utf8(out.stdout)
            .unwrap()
            .lines()
            .map(str::to_string)
            .collect()
    }

    /// Every row above, put to Maven 3.8.7 itself: the order rows to `ComparableVersion`'s
    /// `main` (`java -jar maven-artifact-3.x.jar A B`), the range rows to `VersionRange`.
    #[test]
    #[cfg_attr(
        not(uptick_has_maven),
        ignore = "needs java, javac, mvn and Maven's deploy plugin (apt-get install maven default-jdk-headless libmaven-deploy-plugin-java)"
    )]
    fn rows_agree_with_maven() {
        let pairs: Vec<(&str, &str)> = ORDER.iter().map(|(a, _, b)| (*a, *b)).collect();
        let maven = maven_order(&pairs);
        let mut wrong = Vec::new();
        for ((a, rel, b), m) in ORDER.iter().zip(&maven) {
            if rel != m {
                wrong.push(format!("row {a} {rel} {b}: Maven says {m}"));
            }
        }
        let mut lines: Vec<String> = RANGES
            .iter()
            .chain(SOFT)
            .map(|(s, v, _)| format!("{s}\t{v}"))
            .collect();
        lines.extend(INVALID.iter().map(|s| format!("{s}\t")));
        let answers = maven_ranges(&lines);
        assert_eq!(answers.len(), lines.len(), "{answers:?}");
        let wants = RANGES
            .iter()
            .chain(SOFT)
            .map(|(_, _, w)| w.to_string())
            .chain(INVALID.iter().map(|_| "invalid".to_string()));
        for ((line, want), got) in lines.iter().zip(wants).zip(&answers) {
            if &want != got {
                wrong.push(format!("{line:?}: row says {want}, Maven says {got}"));
            }
        }
        assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    }

    /// 2,000 generated (range, version) cases: one or two sets of random bounds (either may be
    /// missing), brackets and single versions, answered by uptick and by Maven 3.8.7's
    /// `VersionRange` (`invalid` included).
    #[test]
    #[cfg_attr(
        not(uptick_has_maven),
        ignore = "needs java, javac, mvn and Maven's deploy plugin (apt-get install maven default-jdk-headless libmaven-deploy-plugin-java)"
    )]
    fn generated_ranges_agree_with_maven() {
        const POOL: &[&str] = &[
            "0.9",
            "1",
            "1.0",
            "1.0.1",
            "1.1",
            "1.2-rc1",
            "1.5",
            "2.0-SNAPSHOT",
            "2.0",
            "2.0.0",
            "3",
            "1-sp",
            "1.0-alpha-1",
        ];
        let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = |n: usize| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed % n as u64) as usize
        };
        let mut lines = Vec::new();
        for _ in 0..500 {
            let mut spec = String::new();
            for i in 0..1 + next(2) {
                if i > 0 {
                    spec.push(',');
                }
                spec.push(['[', '('][next(2)]);
                if next(5) == 0 {
                    spec.push_str(POOL[next(POOL.len())]);
                } else {
                    let bound = |k: usize| if k < 3 { "" } else { POOL[k % POOL.len()] };
                    spec.push_str(bound(next(POOL.len() + 3)));
                    spec.push(',');
                    spec.push_str(bound(next(POOL.len() + 3)));
                }
                spec.push([']', ')'][next(2)]);
            }
            for _ in 0..4 {
                lines.push(format!("{spec}\t{}", POOL[next(POOL.len())]));
            }
        }
        let answers = maven_ranges(&lines);
        assert_eq!(answers.len(), lines.len());
        let mut wrong = Vec::new();
        let mut valid = 0;
        for (line, maven) in lines.iter().zip(&answers) {
            let (spec, version) = line.split_once('\t').unwrap();
            let ours = match Range::parse(spec) {
                Ok(r) => {
                    valid += 1;
                    r.admits(&v(version)).to_string()
                }
                Err(_) => "invalid".to_string(),
            };
            if &ours != maven {
                wrong.push(format!("{spec} {version}: Maven {maven}, uptick {ours}"));
            }
        }
        eprintln!("maven ranges: {valid} of {} cases valid", lines.len());
        assert!(valid > 500, "too few valid ranges generated: {valid}");
        assert!(
            wrong.is_empty(),
            "{} disagree:\n{}",
            wrong.len(),
            wrong[..wrong.len().min(30)].join("\n")
        );
    }

    /// 3,000 generated pairs of versions (numbers with leading zeros and of every length,
    /// every qualifier and alias, unknown words, empty parts, both separators and
    /// digit/letter switches), ordered by uptick and by Maven 3.8.7's `ComparableVersion`.
    #[test]
    #[cfg_attr(
        not(uptick_has_maven),
        ignore = "needs java, javac, mvn and Maven's deploy plugin (apt-get install maven default-jdk-headless libmaven-deploy-plugin-java)"
    )]
    fn generated_versions_agree_with_maven() {
        const PARTS: &[&str] = &[
            "0",
            "00",
            "1",
            "2",
            "10",
            "010",
            "123456789",
            "1234567890",
            "12345678901234567890",
            "a",
            "b",
            "m",
            "alpha",
            "beta",
            "milestone",
            "rc",
            "cr",
            "snapshot",
            "SNAPSHOT",
            "ga",
            "final",
            "release",
            "sp",
            "foo",
            "jre",
            "x",
            "",
        ];
        let mut seed: u64 = 0x2545_f491_4f6c_dd1d;
        let mut next = |n: usize| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed % n as u64) as usize
        };
        let mut version = || {
            let mut s = String::new();
            for i in 0..1 + next(5) {
                if i > 0 {
                    s.push_str(["", ".", "-"][next(3)]);
                }
                s.push_str(PARTS[next(PARTS.len())]);
            }
            if s.is_empty() {
                s.push('1');
            }
            s
        };
        let versions: Vec<(String, String)> = (0..3000).map(|_| (version(), version())).collect();
        let pairs: Vec<(&str, &str)> = versions
            .iter()
            .map(|(a, b)| (a.as_str(), b.as_str()))
            .collect();
        let maven = maven_order(&pairs);
        let wrong: Vec<String> = pairs
            .iter()
            .zip(&maven)
            .filter(|((a, b), m)| relation(v(a).cmp(&v(b))) != **m)
            .map(|((a, b), m)| {
                format!(
                    "{a} vs {b}: Maven {m}, uptick {}",
                    relation(v(a).cmp(&v(b)))
                )
            })
            .collect();
        assert!(
            wrong.is_empty(),
            "{} disagree:\n{}",
            wrong.len(),
            wrong[..wrong.len().min(30)].join("\n")
        );
    }
}
