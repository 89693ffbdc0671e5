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
