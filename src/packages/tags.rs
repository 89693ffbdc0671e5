//! Versions read from tags: a `tag_regex`'s `version` group, or the tag without a leading `v`.

use super::{PackageError, Release};
use regex::Regex;

/// A tag's version: the `version` group of `tag_regex` (tags it does not match are skipped), or
/// the tag without a leading `v`. The tag is kept when it differs from the version.
pub fn tag_version(tag: &str, re: Option<&Regex>) -> Option<Release> {
    let version = match re {
        Some(re) => {
            let c = re.captures(tag)?;
            c.name("version").or(c.get(0))?.as_str().to_string()
        }
        None => tag.strip_prefix(['v', 'V']).unwrap_or(tag).to_string(),
    };
    Some(Release {
        tag: (version != tag).then(|| tag.to_string()),
        version,
        ..Release::default()
    })
}

/// Compiles `source.tag_regex`.
pub(crate) fn tag_regex(pattern: &Option<String>) -> Result<Option<Regex>, PackageError> {
    super::select::compile("source.tag_regex", pattern)
}
