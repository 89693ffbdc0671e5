//! Maven versions as `ComparableVersion` reads and orders them.

use super::{MavenError, MAX_VERSION_LEN};
use std::cmp::Ordering;

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
