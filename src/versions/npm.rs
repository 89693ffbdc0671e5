//! npm versions and ranges as node-semver 7.8 reads them (strict mode), `includePrerelease` included.
//!
//! A range is desugared the way node-semver does it — hyphen ranges, x-ranges, tildes and carets
//! rewritten into primitive comparators, with node-semver's `-0` lower bounds under
//! `includePrerelease` — and then tested with node-semver's pre-release rule. No published crate
//! does both (see docs/versions.md), so this follows node-semver's own
//! algorithm step by step; `loose` mode is not implemented.

use regex::Regex;
use std::cmp::Ordering;
use std::fmt;
use std::sync::OnceLock;

/// Longest version string node-semver accepts.
const MAX_LENGTH: usize = 256;
/// Largest number node-semver accepts in `[major, minor, patch]` (`Number.MAX_SAFE_INTEGER`).
const MAX_SAFE_INTEGER: u64 = 9_007_199_254_740_991;

/// Why a string is not an npm version or range.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum NpmError {
    /// Not a version.
    #[error("`{0}` is not a semantic version")]
    Version(String),
    /// Not a range.
    #[error("`{comparator}` is not a valid comparator")]
    Range {
        /// The comparator node-semver would reject.
        comparator: String,
    },
}

/// A semantic version: `1.2.3`, `1.2.3-rc.1+build.5` (build metadata kept out of comparisons).
#[derive(Clone, Debug)]
pub struct Version {
    major: u64,
    minor: u64,
    patch: u64,
    pre: Vec<String>,
}

/// A range: `||`-separated sets of comparators, every comparator of one set must hold.
#[derive(Clone, Debug)]
pub struct Range {
    set: Vec<Vec<Comparator>>,
    include_prerelease: bool,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Op {
    Eq,
    Lt,
    Le,
    Gt,
    Ge,
}

#[derive(Clone, Debug)]
enum Comparator {
    Any,
    Cmp(Op, Version),
}

struct Patterns {
    full: Regex,
    build: Regex,
    hyphen: Regex,
    comparator_trim: Regex,
    tilde_trim: Regex,
    caret_trim: Regex,
    tilde: Regex,
    caret: Regex,
    xrange: Regex,
    star: Regex,
    gte0: Regex,
    gte0_pre: Regex,
    comparator: Regex,
    spaces: Regex,
}

fn patterns() -> &'static Patterns {
    static P: OnceLock<Patterns> = OnceLock::new();
    P.get_or_init(|| {
        let num = "0|[1-9][0-9]*";
        let num_loose = "[0-9]+";
        let non_num = "[0-9]*[a-zA-Z-][a-zA-Z0-9-]*";
        let pre_id = format!("(?:{non_num}|{num})");
        let pre_id_loose = format!("(?:{non_num}|{num_loose})");
        let pre = format!(r"(?:-({pre_id}(?:\.{pre_id})*))");
        let pre_loose = format!(r"(?:-?({pre_id_loose}(?:\.{pre_id_loose})*))");
        let build = r"(?:\+([a-zA-Z0-9-]+(?:\.[a-zA-Z0-9-]+)*))".to_string();
        let main = format!(r"({num})\.({num})\.({num})");
        let main_loose = format!(r"({num_loose})\.({num_loose})\.({num_loose})");
        let full_plain = format!("v?{main}{pre}?{build}?");
        let loose_plain = format!(r"[v=\s]*{main_loose}{pre_loose}?{build}?");
        let gtlt = "((?:<|>)?=?)";
        let xr = format!(r"{num}|x|X|\*");
        let xrange_plain = format!(r"[v=\s]*({xr})(?:\.({xr})(?:\.({xr})(?:{pre})?{build}?)?)?");
        let build_re =
            |p: &str| Regex::new(p).unwrap_or_else(|e| unreachable!("static regex: {e}"));
        Patterns {
            full: build_re(&format!("^{full_plain}$")),
            build: build_re(&build),
            hyphen: build_re(&format!(r"^\s*({xrange_plain})\s+-\s+({xrange_plain})\s*$")),
            comparator_trim: build_re(&format!(r"(\s*){gtlt}\s*({loose_plain}|{xrange_plain})")),
            tilde_trim: build_re(r"(\s*)~>?\s+"),
            caret_trim: build_re(r"(\s*)\^\s+"),
            tilde: build_re(&format!("^~>?{xrange_plain}$")),
            caret: build_re(&format!(r"^\^{xrange_plain}$")),
            xrange: build_re(&format!(r"^{gtlt}\s*{xrange_plain}$")),
            star: build_re(r"(<|>)?=?\s*\*"),
            gte0: build_re(r"^\s*>=\s*0\.0\.0\s*$"),
            gte0_pre: build_re(r"^\s*>=\s*0\.0\.0-0\s*$"),
            comparator: build_re(&format!(r"^{gtlt}\s*({full_plain})$|^$")),
            spaces: build_re(r"\s+"),
        }
    })
}

impl Version {
    /// Parses a version as node-semver's `new SemVer(text)` does (strict: three numbers, an
    /// optional leading `v`, surrounding whitespace ignored).
    pub fn parse(text: &str) -> Result<Version, NpmError> {
        let invalid = || NpmError::Version(text.chars().take(100).collect());
        if text.encode_utf16().count() > MAX_LENGTH {
            return Err(invalid());
        }
        let m = patterns().full.captures(text.trim()).ok_or_else(invalid)?;
        let num = |i: usize| {
            m.get(i)
                .and_then(|g| g.as_str().parse::<u64>().ok())
                .filter(|n| *n <= MAX_SAFE_INTEGER)
                .ok_or_else(invalid)
        };
        Ok(Version {
            major: num(1)?,
            minor: num(2)?,
            patch: num(3)?,
            pre: m
                .get(4)
                .map(|g| g.as_str().split('.').map(str::to_string).collect())
                .unwrap_or_default(),
        })
    }

    /// A version from already-validated parts (`pre` is the dot-separated pre-release, or empty).
    pub fn from_parts(major: u64, minor: u64, patch: u64, pre: &str) -> Version {
        Version {
            major,
            minor,
            patch,
            pre: if pre.is_empty() {
                Vec::new()
            } else {
                pre.split('.').map(str::to_string).collect()
            },
        }
    }

    /// Whether it has a pre-release part (`1.0.0-rc.1`).
    pub fn is_prerelease(&self) -> bool {
        !self.pre.is_empty()
    }

    fn triple(&self) -> (u64, u64, u64) {
        (self.major, self.minor, self.patch)
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.major, self.minor, self.patch)?;
        if !self.pre.is_empty() {
            write!(f, "-{}", self.pre.join("."))?;
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
    /// SemVer precedence (node-semver's `compare`): build metadata is ignored.
    fn cmp(&self, o: &Self) -> Ordering {
        self.triple()
            .cmp(&o.triple())
            .then_with(|| match (self.pre.is_empty(), o.pre.is_empty()) {
                (true, true) => Ordering::Equal,
                (true, false) => Ordering::Greater,
                (false, true) => Ordering::Less,
                (false, false) => {
                    for (a, b) in self.pre.iter().zip(&o.pre) {
                        let d = compare_identifiers(a, b);
                        if d != Ordering::Equal {
                            return d;
                        }
                    }
                    self.pre.len().cmp(&o.pre.len())
                }
            })
    }
}

/// Numeric identifiers compare as numbers and below alphanumeric ones, which compare as text.
fn compare_identifiers(a: &str, b: &str) -> Ordering {
    let numeric = |s: &str| !s.is_empty() && s.bytes().all(|c| c.is_ascii_digit());
    match (numeric(a), numeric(b)) {
        (true, true) => {
            let (a, b) = (a.trim_start_matches('0'), b.trim_start_matches('0'));
            a.len().cmp(&b.len()).then_with(|| a.cmp(b))
        }
        (true, false) => Ordering::Less,
        (false, true) => Ordering::Greater,
        (false, false) => a.cmp(b),
    }
}

/// node-semver's `isX`: a missing part, `x`, `X` or `*`.
fn is_x(id: Option<&str>) -> bool {
    matches!(id, None | Some("" | "x" | "X" | "*"))
}

/// `+n + 1` on a decimal string (exact; anything too large fails later as node-semver's does).
fn plus_one(n: &str) -> String {
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

/// Replaces the first match (`String.prototype.replace` with a non-global regex).
fn replace_first(
    re: &Regex,
    text: &str,
    with: impl FnOnce(&regex::Captures<'_>) -> String,
) -> String {
    match re.captures(text) {
        Some(c) => {
            let whole = c.get(0).map_or(0..0, |m| m.range());
            format!("{}{}{}", &text[..whole.start], with(&c), &text[whole.end..])
        }
        None => text.to_string(),
    }
}

/// `1.2.3 - 2.3.4` → `>=1.2.3 <=2.3.4` (partial ends widened as node-semver documents).
fn hyphen_replace(c: &regex::Captures<'_>, inc: bool) -> String {
    let g = |i: usize| c.get(i).map(|m| m.as_str());
    let z = if inc { "-0" } else { "" };
    let (from, fm, fmi, fp, fpr) = (g(1).unwrap_or(""), g(2), g(3), g(4), g(5));
    let (to, tm, tmi, tp, tpr) = (g(7).unwrap_or(""), g(8), g(9), g(10), g(11));
    let v = |s: Option<&str>| s.unwrap_or("").to_string();
    let lower = if is_x(fm) {
        String::new()
    } else if is_x(fmi) {
        format!(">={}.0.0{z}", v(fm))
    } else if is_x(fp) {
        format!(">={}.{}.0{z}", v(fm), v(fmi))
    } else if fpr.is_some_and(|p| !p.is_empty()) {
        format!(">={from}")
    } else {
        format!(">={from}{z}")
    };
    let upper = if is_x(tm) {
        String::new()
    } else if is_x(tmi) {
        format!("<{}.0.0-0", plus_one(&v(tm)))
    } else if is_x(tp) {
        format!("<{}.{}.0-0", v(tm), plus_one(&v(tmi)))
    } else if let Some(pr) = tpr.filter(|p| !p.is_empty()) {
        format!("<={}.{}.{}-{pr}", v(tm), v(tmi), v(tp))
    } else if inc {
        format!("<{}.{}.{}-0", v(tm), v(tmi), plus_one(&v(tp)))
    } else {
        format!("<={to}")
    };
    format!("{lower} {upper}").trim().to_string()
}

/// `^1.2.3` → `>=1.2.3 <2.0.0-0` and the other caret forms.
fn replace_caret(comp: &str, inc: bool) -> String {
    let z = if inc { "-0" } else { "" };
    replace_first(&patterns().caret, comp, |c| {
        let g = |i: usize| c.get(i).map(|m| m.as_str());
        let (ma, mi, pa, pr) = (g(1), g(2), g(3), g(4).filter(|p| !p.is_empty()));
        let (ma_s, mi_s, pa_s) = (ma.unwrap_or(""), mi.unwrap_or(""), pa.unwrap_or(""));
        if is_x(ma) {
            String::new()
        } else if is_x(mi) {
            format!(">={ma_s}.0.0{z} <{}.0.0-0", plus_one(ma_s))
        } else if is_x(pa) {
            if ma_s == "0" {
                format!(">={ma_s}.{mi_s}.0{z} <{ma_s}.{}.0-0", plus_one(mi_s))
            } else {
                format!(">={ma_s}.{mi_s}.0{z} <{}.0.0-0", plus_one(ma_s))
            }
        } else {
            let from = match pr {
                Some(pr) => format!(">={ma_s}.{mi_s}.{pa_s}-{pr}"),
                None => format!(">={ma_s}.{mi_s}.{pa_s}"),
            };
            let to = if ma_s == "0" {
                if mi_s == "0" {
                    format!("<{ma_s}.{mi_s}.{}-0", plus_one(pa_s))
                } else {
                    format!("<{ma_s}.{}.0-0", plus_one(mi_s))
                }
            } else {
                format!("<{}.0.0-0", plus_one(ma_s))
            };
            format!("{from} {to}")
        }
    })
}

/// `~1.2.3` → `>=1.2.3 <1.3.0-0` and the other tilde forms.
fn replace_tilde(comp: &str, inc: bool) -> String {
    let z = if inc { "-0" } else { "" };
    replace_first(&patterns().tilde, comp, |c| {
        let g = |i: usize| c.get(i).map(|m| m.as_str());
        let (ma, mi, pa, pr) = (g(1), g(2), g(3), g(4).filter(|p| !p.is_empty()));
        let (ma_s, mi_s, pa_s) = (ma.unwrap_or(""), mi.unwrap_or(""), pa.unwrap_or(""));
        if is_x(ma) {
            String::new()
        } else if is_x(mi) {
            format!(">={ma_s}.0.0{z} <{}.0.0-0", plus_one(ma_s))
        } else if is_x(pa) {
            format!(">={ma_s}.{mi_s}.0{z} <{ma_s}.{}.0-0", plus_one(mi_s))
        } else if let Some(pr) = pr {
            format!(">={ma_s}.{mi_s}.{pa_s}-{pr} <{ma_s}.{}.0-0", plus_one(mi_s))
        } else {
            format!(">={ma_s}.{mi_s}.{pa_s} <{ma_s}.{}.0-0", plus_one(mi_s))
        }
    })
}

/// `1.2.x`, `>=1.x`, `<=0.7.x`, `*` → primitive comparators.
fn replace_xrange(comp: &str, inc: bool) -> String {
    let comp = comp.trim();
    replace_first(&patterns().xrange, comp, |c| {
        let g = |i: usize| c.get(i).map(|m| m.as_str());
        let whole = g(0).unwrap_or("").to_string();
        let (mut gtlt, ma, mi, pa) = (g(1).unwrap_or("").to_string(), g(2), g(3), g(4));
        if (is_x(ma) && !is_x(mi)) || (is_x(mi) && pa.is_some_and(|p| !p.is_empty()) && !is_x(pa)) {
            return comp.to_string();
        }
        let xma = is_x(ma);
        let xmi = xma || is_x(mi);
        let xpa = xmi || is_x(pa);
        if gtlt == "=" && xpa {
            gtlt.clear();
        }
        let mut pr = if inc { "-0" } else { "" };
        let (mut ma, mut mi) = (ma.unwrap_or("").to_string(), mi.unwrap_or("").to_string());
        if xma {
            if gtlt == ">" || gtlt == "<" {
                "<0.0.0-0".to_string()
            } else {
                "*".to_string()
            }
        } else if !gtlt.is_empty() && xpa {
            if xmi {
                mi = "0".into();
            }
            let pa = "0";
            if gtlt == ">" {
                gtlt = ">=".into();
                if xmi {
                    ma = plus_one(&ma);
                    mi = "0".into();
                } else {
                    mi = plus_one(&mi);
                }
            } else if gtlt == "<=" {
                gtlt = "<".into();
                if xmi {
                    ma = plus_one(&ma);
                } else {
                    mi = plus_one(&mi);
                }
            }
            if gtlt == "<" {
                pr = "-0";
            }
            format!("{gtlt}{ma}.{mi}.{pa}{pr}")
        } else if xmi {
            format!(">={ma}.0.0{pr} <{}.0.0-0", plus_one(&ma))
        } else if xpa {
            format!(">={ma}.{mi}.0{pr} <{ma}.{}.0-0", plus_one(&mi))
        } else {
            whole
        }
    })
}

/// Each whitespace-separated token of `comp` through `f`, joined by single spaces.
fn each_token(comp: &str, f: impl Fn(&str) -> String) -> String {
    patterns()
        .spaces
        .split(comp)
        .map(f)
        .collect::<Vec<_>>()
        .join(" ")
}

/// node-semver's `parseComparator`: carets, tildes, x-ranges, stars.
fn desugar_comparator(comp: &str, inc: bool) -> String {
    let p = patterns();
    let comp = replace_first(&p.build, comp, |_| String::new());
    let comp = each_token(comp.trim(), |c| replace_caret(c, inc));
    let comp = each_token(comp.trim(), |c| replace_tilde(c, inc));
    let comp = each_token(&comp, |c| replace_xrange(c, inc));
    replace_first(&p.star, comp.trim(), |_| String::new())
}

impl Comparator {
    fn parse(text: &str) -> Result<Comparator, NpmError> {
        let bad = || NpmError::Range {
            comparator: text.chars().take(100).collect(),
        };
        let m = patterns().comparator.captures(text).ok_or_else(bad)?;
        let Some(version) = m.get(2) else {
            return Ok(Comparator::Any);
        };
        let op = match m.get(1).map_or("", |g| g.as_str()) {
            "" | "=" => Op::Eq,
            "<" => Op::Lt,
            "<=" => Op::Le,
            ">" => Op::Gt,
            ">=" => Op::Ge,
            _ => return Err(bad()),
        };
        let version = Version::parse(version.as_str()).map_err(|_| bad())?;
        Ok(Comparator::Cmp(op, version))
    }

    /// node-semver's `value`: the key it de-duplicates comparators by.
    fn value(&self) -> String {
        match self {
            Comparator::Any => String::new(),
            Comparator::Cmp(op, v) => {
                let op = match op {
                    Op::Eq => "",
                    Op::Lt => "<",
                    Op::Le => "<=",
                    Op::Gt => ">",
                    Op::Ge => ">=",
                };
                format!("{op}{v}")
            }
        }
    }

    fn is_null_set(&self) -> bool {
        self.value() == "<0.0.0-0"
    }

    fn test(&self, v: &Version) -> bool {
        match self {
            Comparator::Any => true,
            Comparator::Cmp(op, c) => {
                let ord = v.cmp(c);
                match op {
                    Op::Eq => ord == Ordering::Equal,
                    Op::Lt => ord == Ordering::Less,
                    Op::Le => ord != Ordering::Greater,
                    Op::Gt => ord == Ordering::Greater,
                    Op::Ge => ord != Ordering::Less,
                }
            }
        }
    }
}

/// One `||` alternative → its comparators (node-semver's `parseRange`).
fn parse_alternative(part: &str, inc: bool) -> Result<Vec<Comparator>, NpmError> {
    let p = patterns();
    let range = p.build.replace_all(part, "").into_owned();
    let range = match p.hyphen.captures(&range) {
        Some(c) => hyphen_replace(&c, inc),
        None => range.clone(),
    };
    let range = p.comparator_trim.replace_all(&range, "$1$2$3").into_owned();
    let range = p.tilde_trim.replace_all(&range, "${1}~").into_owned();
    let range = p.caret_trim.replace_all(&range, "${1}^").into_owned();
    let desugared: Vec<String> = range
        .split(' ')
        .map(|c| desugar_comparator(c, inc))
        .collect();
    let joined = desugared.join(" ");
    let gte0 = if inc { &p.gte0_pre } else { &p.gte0 };
    // Every comparator is parsed (and may fail) before a null set cuts the list short.
    let parsed = p
        .spaces
        .split(&joined)
        .map(|token| {
            Comparator::parse(if gte0.is_match(token) {
                ""
            } else {
                token.trim()
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    let mut list: Vec<Comparator> = Vec::new();
    for c in parsed {
        if c.is_null_set() {
            return Ok(vec![c]);
        }
        let value = c.value();
        match list.iter_mut().find(|e| e.value() == value) {
            Some(e) => *e = c,
            None => list.push(c),
        }
    }
    if list.len() > 1 {
        list.retain(|c| !matches!(c, Comparator::Any));
    }
    Ok(list)
}

impl Range {
    /// Parses a range as node-semver's `new Range(text, {includePrerelease})` does. The flag
    /// changes the desugaring (`1.x` → `>=1.0.0-0 <2.0.0-0`) as well as the pre-release rule.
    pub fn parse(text: &str, include_prerelease: bool) -> Result<Range, NpmError> {
        let p = patterns();
        let raw = p.spaces.replace_all(text.trim(), " ").into_owned();
        let mut set = Vec::new();
        for part in raw.split("||") {
            let comparators = parse_alternative(part.trim(), include_prerelease)?;
            if !comparators.is_empty() {
                set.push(comparators);
            }
        }
        let Some(first) = set.first().cloned() else {
            return Err(NpmError::Range {
                comparator: raw.chars().take(100).collect(),
            });
        };
        if set.len() > 1 {
            set.retain(|c| !c[0].is_null_set());
            if set.is_empty() {
                set = vec![first];
            } else if let Some(any) = set
                .iter()
                .find(|c| c.len() == 1 && matches!(c[0], Comparator::Any))
                .cloned()
            {
                set = vec![any];
            }
        }
        Ok(Range {
            set,
            include_prerelease,
        })
    }

    /// Whether `v` satisfies the range: every comparator of some alternative holds, and a
    /// pre-release either is let in by `includePrerelease` or shares `[major, minor, patch]`
    /// with a comparator of that alternative that names a pre-release.
    pub fn satisfies(&self, v: &Version) -> bool {
        self.set.iter().any(|set| {
            if !set.iter().all(|c| c.test(v)) {
                return false;
            }
            if !v.is_prerelease() || self.include_prerelease {
                return true;
            }
            set.iter().any(|c| match c {
                Comparator::Cmp(_, a) => a.is_prerelease() && a.triple() == v.triple(),
                Comparator::Any => false,
            })
        })
    }
}

impl fmt::Display for Range {
    /// The desugared form, as node-semver's `range` property prints it (`>=1.2.0 <1.3.0-0`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sets: Vec<String> = self
            .set
            .iter()
            .map(|s| {
                s.iter()
                    .map(Comparator::value)
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .collect();
        f.write_str(&sets.join("||"))
    }
}

/// node-semver's scheme (npm registries): strict versions, ranges, the same-tuple rule.
pub(crate) struct NpmScheme;

/// The npm scheme.
pub(crate) static NPM: NpmScheme = NpmScheme;

impl super::Scheme for NpmScheme {
    type Version = Version;
    type Constraint = Range;

    fn parse(&self, text: &str, _: Option<&Range>) -> Option<Version> {
        Version::parse(text).ok()
    }

    fn constraint(&self, text: &str, pre: super::PreReleases) -> Result<Range, String> {
        range(text, pre)
    }

    fn is_prerelease(&self, v: &Version) -> bool {
        v.is_prerelease()
    }

    fn admits(&self, c: Option<&Range>, pre: super::PreReleases, _: &str, v: &Version) -> bool {
        admits(c, pre, v)
    }
}

/// A node-semver range, `includePrerelease` when `pre` is [`super::PreReleases::All`] (npm, tag
/// and Go schemes).
pub(crate) fn range(text: &str, pre: super::PreReleases) -> Result<Range, String> {
    Range::parse(text, pre == super::PreReleases::All).map_err(|e| e.to_string())
}

/// node-semver's `satisfies` (no range: `*`, a pre-release only with `pre_releases: true`).
pub(crate) fn admits(c: Option<&Range>, pre: super::PreReleases, v: &Version) -> bool {
    match c {
        Some(r) => r.satisfies(v),
        None => super::scheme::plain_pre_rule(pre, v.is_prerelease()),
    }
}
