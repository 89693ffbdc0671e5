//! Alpine package versions and constraints as apk-tools reads and compares them.
//!
//! A version is `digits{.digits}...{letter}{_suffix{digits}}...{~hash}{-r#}` (apk-tools'
//! `version.c`): suffixes are `_alpha` < `_beta` < `_pre` < `_rc` < (none) < `_cvs` < `_svn` <
//! `_git` < `_hg` < `_p`. Two versions compare token by token while the tokens are of the same
//! kind: numbers numerically (a dotted part with a leading zero on either side compares as
//! text, as Gentoo does: `1.01` < `1.1`), letters, suffixes by that order, their numbers, a
//! commit hash as text, the revision numerically. When one version runs out or the kinds
//! differ, a pre-release suffix (`_alpha` … `_rc`) is older than whatever the other has, and
//! otherwise the one with more (earlier-kind) tokens is newer: `1.2` < `1.2.1` < `1.2.1-r1`,
//! `1.2_rc1` < `1.2`, `1.2` < `1.2_p1`, `1.2` < `1.2a`.
//!
//! A constraint is apk's comparisons, separated by blanks or commas, all of which must hold:
//! `<`, `<=`, `=`, `>=`, `>`, `~` (fuzzy: the version starts with these tokens: `~3.1` admits
//! `3.1`, `3.1.4-r0`, `3.1_rc1`, not `3.10`), `>~` and `<~` (greater or less, or fuzzy-equal).

use std::cmp::Ordering;

/// Why a text is not an apk version or constraint.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ApkError {
    /// The version text breaks apk's grammar.
    #[error("`{0}` is not an apk version")]
    Version(String),
    /// A comparison is not `OP VERSION`.
    #[error("`{0}` is not an apk version comparison (`<`, `<=`, `=`, `>=`, `>`, `~`, `<~`, `>~` and a version)")]
    Comparison(String),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
    InitialDigit,
    Digit,
    Letter,
    Suffix,
    SuffixNo,
    CommitHash,
    Revision,
    End,
}

/// Suffix ranks; `NONE` sits between the pre-release and the post-release suffixes.
const SUFFIXES: [(&str, u8); 9] = [
    ("alpha", 0),
    ("beta", 1),
    ("pre", 2),
    ("rc", 3),
    ("cvs", 5),
    ("svn", 6),
    ("git", 7),
    ("hg", 8),
    ("p", 9),
];
const SUFFIX_NONE: u8 = 4;

#[derive(Clone, Debug)]
struct Token {
    kind: Kind,
    /// The token's text (digits, the letter, the suffix name, the hash).
    text: String,
    /// The suffix rank, for [`Kind::Suffix`].
    suffix: u8,
}

/// An apk version.
#[derive(Clone, Debug)]
pub struct Version {
    text: String,
    tokens: Vec<Token>,
}

/// Compares digit strings as numbers of any length.
fn numeric(a: &str, b: &str) -> Ordering {
    let (a, b) = (a.trim_start_matches('0'), b.trim_start_matches('0'));
    a.len().cmp(&b.len()).then_with(|| a.cmp(b))
}

fn digits(s: &[u8], i: usize) -> usize {
    let mut j = i;
    while j < s.len() && s[j].is_ascii_digit() {
        j += 1;
    }
    j
}

/// The token of `text` at `i` after a token of kind `last`, and where the next one starts;
/// `None` where apk-tools' grammar has none.
fn next_token(text: &str, i: usize, last: Kind) -> Option<(Token, usize)> {
    let s = text.as_bytes();
    let token = |kind, t: &str, suffix, next| {
        Some((
            Token {
                kind,
                text: t.to_string(),
                suffix,
            },
            next,
        ))
    };
    match s[i] {
        c @ b'a'..=b'z' if last <= Kind::Digit => {
            token(Kind::Letter, &(c as char).to_string(), 0, i + 1)
        }
        c @ (b'.' | b'0'..=b'9') => {
            let kind = match (c, last) {
                (b'.', Kind::InitialDigit | Kind::Digit) => Kind::Digit,
                (b'0'..=b'9', Kind::Suffix) => Kind::SuffixNo,
                _ => return None,
            };
            let start = if c == b'.' { i + 1 } else { i };
            let end = digits(s, start);
            (end > start).then_some(())?;
            token(kind, &text[start..end], 0, end)
        }
        b'_' if last <= Kind::SuffixNo => {
            let start = i + 1;
            let end = run(s, start, |b| b.is_ascii_lowercase());
            let name = &text[start..end];
            let rank = SUFFIXES.iter().find(|(n, _)| *n == name).map(|(_, r)| *r)?;
            token(Kind::Suffix, name, rank, end)
        }
        b'~' if last < Kind::CommitHash => {
            let start = i + 1;
            let end = run(s, start, |b| b.is_ascii_hexdigit());
            (end > start).then_some(())?;
            token(Kind::CommitHash, &text[start..end], 0, end)
        }
        b'-' if last < Kind::Revision && s.get(i + 1) == Some(&b'r') => {
            let start = i + 2;
            let end = digits(s, start);
            (end > start).then_some(())?;
            token(Kind::Revision, &text[start..end], 0, end)
        }
        _ => None,
    }
}

/// The end of the run of bytes from `start` that `keep` accepts.
fn run(s: &[u8], start: usize, keep: impl Fn(u8) -> bool) -> usize {
    s[start..]
        .iter()
        .position(|&b| !keep(b))
        .map_or(s.len(), |n| start + n)
}

impl Version {
    /// Parses `text` by apk-tools' grammar: the initial number, then one token after another,
    /// each allowed only after the kinds apk-tools allows it after.
    pub fn parse(text: &str) -> Result<Version, ApkError> {
        let bad = || ApkError::Version(text.to_string());
        let end = digits(text.as_bytes(), 0);
        if end == 0 {
            return Err(bad());
        }
        let mut tokens = vec![Token {
            kind: Kind::InitialDigit,
            text: text[..end].to_string(),
            suffix: 0,
        }];
        let mut i = end;
        let mut last = Kind::InitialDigit;
        while i < text.len() {
            let (token, next) = next_token(text, i, last).ok_or_else(bad)?;
            last = token.kind;
            tokens.push(token);
            i = next;
        }
        Ok(Version {
            text: text.to_string(),
            tokens,
        })
    }

    /// Whether it carries a pre-release suffix (`_alpha`, `_beta`, `_pre`, `_rc`).
    pub fn is_prerelease(&self) -> bool {
        self.tokens
            .iter()
            .any(|t| t.kind == Kind::Suffix && t.suffix < SUFFIX_NONE)
    }

    /// The text as written.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// apk's comparison; with `fuzzy`, `self` equals `other` when `other`'s tokens are a
    /// prefix of its own.
    fn compare(&self, other: &Version, fuzzy: bool) -> Ordering {
        let mut k = 0;
        loop {
            let a = self.tokens.get(k);
            let b = other.tokens.get(k);
            let (ak, bk) = (
                a.map_or(Kind::End, |t| t.kind),
                b.map_or(Kind::End, |t| t.kind),
            );
            if ak != bk || ak == Kind::End {
                if ak == bk || (bk == Kind::End && fuzzy) {
                    return Ordering::Equal;
                }
                if a.is_some_and(|t| t.kind == Kind::Suffix && t.suffix < SUFFIX_NONE) {
                    return Ordering::Less;
                }
                if b.is_some_and(|t| t.kind == Kind::Suffix && t.suffix < SUFFIX_NONE) {
                    return Ordering::Greater;
                }
                return bk.cmp(&ak);
            }
            let (Some(a), Some(b)) = (a, b) else {
                return Ordering::Equal;
            };
            let o = match ak {
                Kind::Digit if a.text.starts_with('0') || b.text.starts_with('0') => {
                    a.text.as_bytes().cmp(b.text.as_bytes())
                }
                Kind::InitialDigit | Kind::Digit | Kind::SuffixNo | Kind::Revision => {
                    numeric(&a.text, &b.text)
                }
                Kind::Letter => a.text.cmp(&b.text),
                Kind::Suffix => a.suffix.cmp(&b.suffix),
                Kind::CommitHash | Kind::End => a.text.as_bytes().cmp(b.text.as_bytes()),
            };
            if o != Ordering::Equal {
                return o;
            }
            k += 1;
        }
    }
}

impl Ord for Version {
    fn cmp(&self, other: &Version) -> Ordering {
        self.compare(other, false)
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

#[derive(Clone, Debug)]
struct Comparison {
    less: bool,
    equal: bool,
    greater: bool,
    fuzzy: bool,
    version: Version,
}

/// apk comparisons that must all hold (`>=3.0.11-r0 <3.1`, `~3.3`).
#[derive(Clone, Debug)]
pub struct Constraint {
    all: Vec<Comparison>,
}

impl Constraint {
    /// Parses blank- or comma-separated comparisons; a blank between an operator and its
    /// version is allowed (`>= 1.2`).
    pub fn parse(text: &str) -> Result<Constraint, ApkError> {
        let mut all = Vec::new();
        let mut words = text
            .split(|c: char| c == ',' || c.is_whitespace())
            .filter(|w| !w.is_empty())
            .peekable();
        while let Some(word) = words.next() {
            let op_len = word
                .find(|c: char| !matches!(c, '<' | '>' | '=' | '~'))
                .unwrap_or(word.len());
            let (op, mut version) = (&word[..op_len], word[op_len..].to_string());
            let mut shown = word.to_string();
            if version.is_empty() {
                if let Some(next) = words.next() {
                    version = next.to_string();
                    shown = format!("{word} {next}");
                }
            }
            let (less, equal, greater, fuzzy) = match op {
                "<" => (true, false, false, false),
                "<=" => (true, true, false, false),
                "=" => (false, true, false, false),
                ">=" => (false, true, true, false),
                ">" => (false, false, true, false),
                "~" | "=~" | "~=" => (false, true, false, true),
                "<~" | "~<" => (true, true, false, true),
                ">~" | "~>" => (false, true, true, true),
                _ => return Err(ApkError::Comparison(shown)),
            };
            if version.is_empty() {
                return Err(ApkError::Comparison(shown));
            }
            all.push(Comparison {
                less,
                equal,
                greater,
                fuzzy,
                version: Version::parse(&version)?,
            });
        }
        if all.is_empty() {
            return Err(ApkError::Comparison(text.to_string()));
        }
        Ok(Constraint { all })
    }

    /// Whether `v` satisfies every comparison.
    pub fn admits(&self, v: &Version) -> bool {
        self.all
            .iter()
            .all(|c| match v.compare(&c.version, c.fuzzy) {
                Ordering::Less => c.less,
                Ordering::Equal => c.equal,
                Ordering::Greater => c.greater,
            })
    }
}

/// apk-tools' scheme (Alpine repositories): `_alpha`/`_beta`/`_pre`/`_rc` versions only with
/// `pre_releases: true`, then the comparisons.
pub(crate) struct ApkScheme;

/// apk-tools' scheme.
pub(crate) static APK: ApkScheme = ApkScheme;

impl super::Scheme for ApkScheme {
    type Version = Version;
    type Constraint = Constraint;

    fn parse(&self, text: &str, _: Option<&Constraint>) -> Option<Version> {
        Version::parse(text).ok()
    }

    fn constraint(&self, text: &str, _: super::PreReleases) -> Result<Constraint, String> {
        Constraint::parse(text).map_err(|e| e.to_string())
    }

    fn is_prerelease(&self, v: &Version) -> bool {
        v.is_prerelease()
    }

    fn admits(
        &self,
        c: Option<&Constraint>,
        pre: super::PreReleases,
        _: &str,
        v: &Version,
    ) -> bool {
        super::scheme::plain_pre_rule(pre, v.is_prerelease()) && c.is_none_or(|c| c.admits(v))
    }
}
