//! Human-readable logging to stderr (stdout belongs to the protocol writer alone), and the
//! `Secret` type whose values are scrubbed from every line written.

use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;

static DEBUG: AtomicBool = AtomicBool::new(false);
/// Every secret this process has seen (passwords, keys, tokens), to scrub from any text.
static SECRETS: Mutex<Vec<String>> = Mutex::new(Vec::new());
/// Shorter values are not scrubbed: replacing every `a` of a line would hide the message, and
/// such a value is guessable anyway.
const MIN_SCRUBBED: usize = 4;

/// An error and its causes (`#[source]` chain) as one message: `outer: cause: root cause`.
pub(crate) fn chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut next = error.source();
    while let Some(cause) = next {
        let part = cause.to_string();
        // A transparent wrapper repeats its cause's text: say it once.
        if !text.ends_with(&part) {
            text.push_str(": ");
            text.push_str(&part);
        }
        next = cause.source();
    }
    text
}

/// Turns debug lines (one per HTTP request) on or off for this process.
pub(crate) fn set_debug(on: bool) {
    DEBUG.store(on, Ordering::Relaxed);
}

/// Whether `source.debug` asked for per-request lines.
pub(crate) fn debug_enabled() -> bool {
    DEBUG.load(Ordering::Relaxed)
}

/// Remembers a value that must never be written (a token a server handed out, say).
pub(crate) fn register_secret(value: &str) {
    let value = value.trim();
    if value.len() < MIN_SCRUBBED {
        return;
    }
    let mut all = SECRETS
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if !all.iter().any(|s| s == value) {
        all.push(value.to_string());
        // Longest first, so a secret containing another is replaced whole.
        all.sort_by_key(|s| std::cmp::Reverse(s.len()));
    }
}

/// `text` with the user info (`user:password@`) of every URL in it removed: what any line
/// naming a URL shows, whether the URL parses or not. A URL's authority ends at the first `/`,
/// `?`, `#`, blank or quote, and its user info at the last `@` before that (RFC 3986 §3.2).
pub(crate) fn strip_userinfo(text: &str) -> std::borrow::Cow<'_, str> {
    if !text.contains("://") || !text.contains('@') {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find("://") {
        let (head, tail) = rest.split_at(at + 3);
        out.push_str(head);
        let end = tail
            .find(|c: char| {
                matches!(c, '/' | '?' | '#' | '"' | '\'' | '`' | '<' | '>') || c.is_whitespace()
            })
            .unwrap_or(tail.len());
        let skip = tail[..end].rfind('@').map_or(0, |i| i + 1);
        rest = &tail[skip..];
    }
    out.push_str(rest);
    std::borrow::Cow::Owned(out)
}

/// `text` with every URL's user info removed, every known secret replaced by `<redacted>` and
/// control characters escaped, so a line stays one line whatever a server or a field name held.
pub(crate) fn clean(text: &str) -> String {
    let mut text = strip_userinfo(text).into_owned();
    {
        let all = SECRETS
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        for s in all.iter() {
            if text.contains(s.as_str()) {
                text = text.replace(s.as_str(), "<redacted>");
            }
        }
    }
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_control() {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out
}

/// A name (a file name, say) as a one-line message shows it: control characters and quotes
/// escaped, cut after `max_chars` characters with `…`.
pub(crate) fn shown_name(name: &str, max_chars: usize) -> String {
    let mut shown: String = name
        .chars()
        .take(max_chars)
        .flat_map(char::escape_debug)
        .collect();
    if name.chars().nth(max_chars).is_some() {
        shown.push('…');
    }
    shown
}

/// `a, b/, … and 3 more` of `total` names of which `names` are shown; `none` for none.
pub(crate) fn shown_list(names: Vec<String>, total: usize) -> String {
    if names.is_empty() {
        return "none".to_string();
    }
    let more = total.saturating_sub(names.len());
    let mut list = names.join(", ");
    if more > 0 {
        list.push_str(&format!(", … and {more} more"));
    }
    list
}

/// Writes one line to stderr: secrets scrubbed, control characters escaped.
pub(crate) fn info(msg: impl std::fmt::Display) {
    let text = clean(&msg.to_string());
    let mut err = std::io::stderr().lock();
    let _ = writeln!(err, "{text}");
}

/// Writes a warning line to stderr.
pub(crate) fn warn(msg: impl std::fmt::Display) {
    info(format_args!("warning: {msg}"));
}

/// Writes a debug line when debug mode is on; the message is built only then.
pub(crate) fn debug(msg: impl FnOnce() -> String) {
    if debug_enabled() {
        info(format_args!("debug: {}", msg()));
    }
}

/// A string that must never be shown: Debug prints a placeholder, and its value is scrubbed
/// from every line this process writes to stderr.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// The secret text, for the one place that sends it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl From<String> for Secret {
    fn from(s: String) -> Self {
        register_secret(&s);
        Secret(s)
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("<redacted>")
    }
}

impl<'de> serde::Deserialize<'de> for Secret {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(Secret::from(String::deserialize(d)?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn userinfo_is_stripped_from_any_text() {
        assert_eq!(
            strip_userinfo("GET http://u:p%40ss@h:1/simple/x/ failed, see https://a@b.io?q=1"),
            "GET http://h:1/simple/x/ failed, see https://b.io?q=1"
        );
        assert_eq!(
            strip_userinfo("`ssh://git:hunter2@[::1]:22/r` (nor at http://x/@scope%2fa)"),
            "`ssh://[::1]:22/r` (nor at http://x/@scope%2fa)"
        );
        assert_eq!(strip_userinfo("a@b: no url"), "a@b: no url");
        assert_eq!(strip_userinfo("https://u:p@"), "https://");
    }

    #[test]
    fn chain_joins_causes_once() {
        #[derive(Debug, thiserror::Error)]
        #[error("cannot write {0}")]
        struct Outer(&'static str, #[source] std::io::Error);
        let e = Outer("/x", std::io::Error::other("disk full"));
        assert_eq!(chain(&e), "cannot write /x: disk full");
    }

    #[test]
    fn secrets_and_control_characters_are_cleaned() {
        let s = Secret::from("hunter2-token".to_string());
        assert_eq!(s.expose(), "hunter2-token");
        assert_eq!(
            clean("401: Authorization: Bearer hunter2-token\nnext"),
            "401: Authorization: Bearer <redacted>\\nnext"
        );
        register_secret("abc");
        assert_eq!(clean("abc"), "abc");
        assert_eq!(
            clean("error: not found at http://user:pa55@h:1/simple/x/"),
            "error: not found at http://h:1/simple/x/"
        );
    }
}
