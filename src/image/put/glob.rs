//! `params.image`: the one path a glob matches under the sources directory, and what is there
//! when none or several do.

use crate::image::ImageError;
use crate::log;
use std::path::{Path, PathBuf};

/// The single path `glob` (relative to the sources dir) matches.
pub(super) fn one_match(sources: &Path, glob: &str) -> Result<PathBuf, ImageError> {
    let invalid = |detail: String| ImageError::Invalid {
        field: "params.image",
        detail,
    };
    if Path::new(glob).is_absolute() || glob.split('/').any(|c| c == "..") {
        return Err(invalid(format!(
            "`{glob}` must stay inside the sources directory"
        )));
    }
    let matches = glob_paths(sources, glob).map_err(|e| invalid(format!("`{glob}`: {e}")))?;
    match matches.as_slice() {
        [one] => Ok(one.clone()),
        [] => {
            let (start, names, total) = what_is_there(sources, glob);
            let place = match start.as_os_str().is_empty() {
                true => "the sources directory".to_string(),
                false => format!(
                    "`{}/`",
                    log::shown_name(&start.to_string_lossy(), SHOWN_NAME_CHARS)
                ),
            };
            Err(invalid(format!(
                "no files match glob `{glob}`; {place} has: {}",
                log::shown_list(names, total)
            )))
        }
        many => {
            let names = many
                .iter()
                .take(SHOWN_NAMES)
                .map(|p| {
                    let relative = p.strip_prefix(sources).unwrap_or(p);
                    log::shown_name(&relative.to_string_lossy(), SHOWN_NAME_CHARS)
                })
                .collect();
            Err(invalid(format!(
                "too many files/directories match glob `{glob}`: {}",
                log::shown_list(names, many.len())
            )))
        }
    }
}

/// Names an error lists at most (the rest are counted), and characters shown of each.
const SHOWN_NAMES: usize = 20;
const SHOWN_NAME_CHARS: usize = 100;

/// The directory a glob starts in (its leading components without wildcards that are
/// directories, not links, relative to `sources`), the first [`SHOWN_NAMES`] names in it sorted
/// (a directory's with `/`, escaped), and how many it has.
fn what_is_there(sources: &Path, glob: &str) -> (PathBuf, Vec<String>, usize) {
    let parts: Vec<&str> = glob
        .split('/')
        .filter(|p| !p.is_empty() && *p != ".")
        .collect();
    let mut start = PathBuf::new();
    for part in parts.iter().take(parts.len().saturating_sub(1)) {
        let is_dir =
            std::fs::symlink_metadata(sources.join(&start).join(part)).is_ok_and(|m| m.is_dir());
        if part.contains(['*', '?', '[']) || !is_dir {
            break;
        }
        start.push(part);
    }
    let mut first = std::collections::BTreeSet::new();
    let mut total = 0;
    for entry in std::fs::read_dir(sources.join(&start))
        .into_iter()
        .flatten()
        .flatten()
    {
        total += 1;
        let name = entry.file_name().to_string_lossy().into_owned();
        first.insert((name, entry.file_type().is_ok_and(|t| t.is_dir())));
        if first.len() > SHOWN_NAMES {
            first.pop_last();
        }
    }
    let names = first
        .iter()
        .map(|(name, dir)| log::shown_name(name, SHOWN_NAME_CHARS) + if *dir { "/" } else { "" })
        .collect();
    (start, names, total)
}

/// Shell-style globbing (`*`, `?`, `[...]`) component by component, sorted results.
fn glob_paths(root: &Path, pattern: &str) -> Result<Vec<PathBuf>, String> {
    let mut current = vec![root.to_path_buf()];
    for part in pattern.split('/').filter(|p| !p.is_empty() && *p != ".") {
        let re = crate::fsutil::glob_regex(part).map_err(|e| e.to_string())?;
        let mut next = Vec::new();
        for dir in &current {
            if !part.contains(['*', '?', '[']) {
                let p = dir.join(part);
                if std::fs::symlink_metadata(&p).is_ok() {
                    next.push(p);
                }
                continue;
            }
            let Ok(rd) = std::fs::read_dir(dir) else {
                continue;
            };
            for e in rd.flatten() {
                let name = e.file_name().to_string_lossy().into_owned();
                let hidden_ok = !name.starts_with('.') || part.starts_with('.');
                if hidden_ok && re.is_match(&name) {
                    next.push(e.path());
                }
            }
        }
        next.sort();
        current = next;
    }
    Ok(current)
}
