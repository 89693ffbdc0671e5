//! Maven version ranges as `VersionRange` reads them.

use super::{MavenError, Version};
use std::cmp::Ordering;

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

    /// One bracketed set (`[1.0,2.0)`, `(,1.0]`, `[1.0]`); the error is Maven's wording.
    fn parse(set: &str) -> Result<Restriction, String> {
        let lower_inclusive = set.starts_with('[');
        let upper_inclusive = set.ends_with(']');
        let inner = set[1..set.len() - 1].trim();
        let Some((l, u)) = inner.split_once(',') else {
            if !lower_inclusive || !upper_inclusive {
                return Err("a single version must be surrounded by []".into());
            }
            let v = version(inner)?;
            return Ok(Restriction {
                lower: Some(v.clone()),
                lower_inclusive,
                upper: Some(v),
                upper_inclusive,
            });
        };
        let (l, u) = (l.trim(), u.trim());
        let lower = (!l.is_empty()).then(|| version(l)).transpose()?;
        let upper = (!u.is_empty()).then(|| version(u)).transpose()?;
        if let (Some(l), Some(u)) = (&lower, &upper) {
            let order = u.cmp(l);
            if order.is_lt() || (order.is_eq() && !(lower_inclusive && upper_inclusive)) {
                return Err("the range defies version ordering".into());
            }
        }
        Ok(Restriction {
            lower,
            lower_inclusive,
            upper,
            upper_inclusive,
        })
    }
}

/// A version inside a range; the error is the version's own.
fn version(text: &str) -> Result<Version, String> {
    Version::parse(text).map_err(|e| e.to_string())
}

/// Whether `next` starts below the upper bound of the set before it (sets must ascend).
fn overlaps(prev: Option<&Restriction>, next: &Restriction) -> bool {
    let Some(prev_upper) = prev.and_then(|p| p.upper.as_ref()) else {
        return false;
    };
    next.lower.as_ref().is_none_or(|l| l < prev_upper)
}

/// A bare version: Maven's soft requirement, read as exactly that version.
fn soft(process: &str) -> Result<Range, String> {
    // Maven would take `>=1.0` or `1.*` as a version named so, which no release is.
    if process.contains(|c: char| "<>=~^!*|,()[]".contains(c) || c.is_whitespace()) {
        return Err(
            "not a range, and a bare version cannot hold operators (for 1.0 or newer write `[1.0,)`)"
                .into(),
        );
    }
    Ok(Range {
        sets: Vec::new(),
        soft: Some(version(process)?),
    })
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
        let mut sets: Vec<Restriction> = Vec::new();
        let mut process = spec;
        while process.starts_with(['[', '(']) {
            let close = match (process.find(')'), process.find(']')) {
                (Some(p), Some(b)) => p.min(b),
                (Some(i), None) | (None, Some(i)) => i,
                (None, None) => return Err(bad("unbounded range")),
            };
            let restriction = Restriction::parse(&process[..=close]).map_err(|d| bad(&d))?;
            if overlaps(sets.last(), &restriction) {
                return Err(bad("ranges overlap"));
            }
            sets.push(restriction);
            process = process[close + 1..].trim();
            if let Some(rest) = process.strip_prefix(',') {
                process = rest.trim();
            }
        }
        match (process.is_empty(), sets.is_empty()) {
            (true, true) => Err(bad("empty")),
            (true, false) => Ok(Range { sets, soft: None }),
            (false, false) => Err(bad(
                "only fully-qualified sets allowed in multiple set scenario",
            )),
            (false, true) => soft(process).map_err(|d| bad(&d)),
        }
    }

    /// Whether `v` is in one of the sets (or equals the soft requirement).
    pub fn admits(&self, v: &Version) -> bool {
        match &self.soft {
            Some(s) => s == v,
            None => self.sets.iter().any(|r| r.contains(v)),
        }
    }
}
