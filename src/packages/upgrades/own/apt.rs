//! apt's sources as the image lists them: one-line `deb` lines (`sources.list`, `*.list`) and
//! deb822 stanzas (`*.sources`), each made into an [`Entry`] (sources.list(5)).

use super::{Files, Notes, MAX_SOURCE_LINES};

/// `/etc/apt/sources.list`, read first.
pub(super) const SOURCES_LIST: &str = "/etc/apt/sources.list";
/// Its directory of `*.list` and `*.sources` files, read in name order.
pub(super) const SOURCES_DIR: &str = "/etc/apt/sources.list.d/";

/// The keys a source names (`Signed-By`).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum SignedBy {
    /// Keyring files (absolute paths) and fingerprints narrowing them; no path: apt's default
    /// keyrings (`trusted.gpg`, `trusted.gpg.d/`).
    Keyrings {
        paths: Vec<String>,
        fingerprints: Vec<String>,
    },
    /// An armored key block written in the stanza itself.
    Inline(String),
}

/// One `deb` source: a line, or a stanza with its lists of URIs and suites.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Entry {
    /// `file:line` (a stanza: its first line).
    pub origin: String,
    pub uris: Vec<String>,
    pub suites: Vec<String>,
    pub components: Vec<String>,
    pub signed_by: SignedBy,
    /// `trusted=yes` / `Trusted: yes`.
    pub trusted: bool,
    /// `check-valid-until=no` / `Check-Valid-Until: no` gives `Some(false)`.
    pub check_valid_until: Option<bool>,
}

/// The `deb` sources of the image's apt source files, in apt's order; `deb-src` and disabled
/// stanzas are left out, files apt does not read are noted. A malformed source is an error
/// (apt refuses it too).
pub(super) fn entries(files: &Files<'_>, notes: &mut Notes) -> Result<Vec<Entry>, String> {
    let mut out = Vec::new();
    let mut count = 0;
    for (path, data) in files.under(SOURCES_LIST) {
        let text = std::str::from_utf8(data).map_err(|_| format!("{path}: not UTF-8 text"))?;
        let read = if path == SOURCES_LIST || is_in(path, ".list") {
            one_line_file(path, text, &mut out)?
        } else if is_in(path, ".sources") {
            deb822_file(path, text, notes, &mut out)?
        } else {
            if path.starts_with(SOURCES_DIR) {
                notes.push(format!(
                    "ignored {path} (apt reads only *.list and *.sources there)"
                ));
            }
            continue;
        };
        count += read;
        if count > MAX_SOURCE_LINES {
            return Err(format!("more than {MAX_SOURCE_LINES} apt sources"));
        }
    }
    Ok(out)
}

/// Whether `path` is a file directly in `sources.list.d/` with `extension`.
fn is_in(path: &str, extension: &str) -> bool {
    path.strip_prefix(SOURCES_DIR)
        .is_some_and(|name| !name.contains('/') && name.ends_with(extension))
}

/// The `deb` lines of a one-line-style file; the number of source lines read.
fn one_line_file(path: &str, text: &str, out: &mut Vec<Entry>) -> Result<usize, String> {
    let mut read = 0;
    for (n, line) in text.lines().enumerate() {
        let line = line.split('#').next().unwrap_or("").trim();
        if line.is_empty() {
            continue;
        }
        read += 1;
        if read > MAX_SOURCE_LINES {
            return Err(format!("{path}: more than {MAX_SOURCE_LINES} source lines"));
        }
        let origin = format!("{path}:{}", n + 1);
        if let Some(entry) = one_line(&origin, line).map_err(|e| format!("{origin}: {e}"))? {
            out.push(entry);
        }
    }
    Ok(read)
}

/// One `deb [options] URI SUITE [COMPONENT…]` line (comment removed); `None` for `deb-src`.
fn one_line(origin: &str, line: &str) -> Result<Option<Entry>, String> {
    let mut words = line.split_whitespace();
    match words.next() {
        Some("deb") => {}
        Some("deb-src") => return Ok(None),
        Some(other) => return Err(format!("unknown source type `{other}`")),
        None => return Ok(None),
    }
    let rest: Vec<&str> = words.collect();
    let (options, rest) = bracketed(&rest)?;
    let [uri, suite, components @ ..] = rest else {
        return Err("a deb line needs a URI and a suite".into());
    };
    let mut entry = Entry {
        origin: origin.to_string(),
        uris: vec![uri.to_string()],
        suites: vec![suite.to_string()],
        components: components.iter().map(|c| c.to_string()).collect(),
        signed_by: SignedBy::Keyrings {
            paths: Vec::new(),
            fingerprints: Vec::new(),
        },
        trusted: false,
        check_valid_until: None,
    };
    for option in options {
        let Some((name, value)) = option.split_once('=') else {
            return Err(format!("option `{option}` has no `=`"));
        };
        let values = value.split(',').filter(|v| !v.is_empty());
        option_value(&mut entry, name.trim_end_matches(['+', '-']), values)?;
    }
    Ok(Some(entry))
}

/// The words of a leading `[ … ]` option list (`[arch=amd64 signed-by=/k.gpg]`, spaces inside
/// the brackets or not) and the words after it.
fn bracketed<'a>(words: &'a [&'a str]) -> Result<(Vec<&'a str>, &'a [&'a str]), String> {
    let Some(first) = words.first().and_then(|w| w.strip_prefix('[')) else {
        return Ok((Vec::new(), words));
    };
    let mut options = Vec::new();
    let mut word = first;
    for (i, next) in words.iter().enumerate() {
        if i > 0 {
            word = next;
        }
        if let Some(last) = word.strip_suffix(']') {
            options.extend(last.split_whitespace());
            return Ok((options, &words[i + 1..]));
        }
        options.extend(word.split_whitespace());
    }
    Err("an option list without its `]`".into())
}

/// Sets the option `name` (one-line name or deb822 field, any case) to `values`; options uptick
/// has no use for (`arch`, `lang`, `target`, …) are ignored, as apt ignores unknown ones.
fn option_value<'a>(
    entry: &mut Entry,
    name: &str,
    mut values: impl Iterator<Item = &'a str>,
) -> Result<(), String> {
    match name.to_ascii_lowercase().as_str() {
        "signed-by" => entry.signed_by = signed_by(values)?,
        "trusted" => entry.trusted = yes(values.next())?,
        "check-valid-until" => entry.check_valid_until = Some(yes(values.next())?),
        _ => {}
    }
    Ok(())
}

/// apt's boolean (`yes`/`no`, `true`/`false`, `1`/`0`, any case).
fn yes(value: Option<&str>) -> Result<bool, String> {
    match value.map(str::to_ascii_lowercase).as_deref() {
        Some("yes" | "true" | "1" | "on" | "enable") => Ok(true),
        Some("no" | "false" | "0" | "off" | "disable") => Ok(false),
        other => Err(format!("`{}` is not yes or no", other.unwrap_or(""))),
    }
}

/// A `Signed-By` list: absolute keyring paths and key fingerprints (hex, apt's `!` allowed).
fn signed_by<'a>(values: impl Iterator<Item = &'a str>) -> Result<SignedBy, String> {
    let mut paths = Vec::new();
    let mut fingerprints = Vec::new();
    for value in values {
        let hex = value.trim_end_matches('!');
        if value.starts_with('/') {
            paths.push(value.to_string());
        } else if hex.len() >= 16 && hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            fingerprints.push(value.to_string());
        } else {
            return Err(format!(
                "Signed-By `{value}` is neither an absolute keyring path nor a fingerprint"
            ));
        }
    }
    Ok(SignedBy::Keyrings {
        paths,
        fingerprints,
    })
}

/// The `deb` entries of a deb822 `.sources` file; the number of stanzas read.
fn deb822_file(
    path: &str,
    text: &str,
    notes: &mut Notes,
    out: &mut Vec<Entry>,
) -> Result<usize, String> {
    let stanzas = stanzas(path, text)?;
    for (line, fields) in &stanzas {
        let origin = format!("{path}:{line}");
        if let Some(entry) = stanza(&origin, fields, notes).map_err(|e| format!("{origin}: {e}"))? {
            out.push(entry);
        }
    }
    Ok(stanzas.len())
}

/// A stanza: the line it starts on and its fields.
type Stanza = (usize, Vec<(String, String)>);

/// The stanzas of a deb822 file: the line each starts on and its fields (continuation lines
/// joined with newlines, a ` .` line an empty one); `#` lines are comments.
fn stanzas(path: &str, text: &str) -> Result<Vec<Stanza>, String> {
    let mut out: Vec<Stanza> = Vec::new();
    let mut open = false;
    for (n, line) in text.lines().enumerate() {
        if line.starts_with('#') {
            continue;
        }
        if line.trim().is_empty() {
            open = false;
            continue;
        }
        if line.starts_with([' ', '\t']) {
            let last = out
                .last_mut()
                .and_then(|(_, f)| f.last_mut())
                .filter(|_| open);
            let Some((_, value)) = last else {
                return Err(format!("{path}:{}: a continuation line first", n + 1));
            };
            let more = line.trim();
            value.push('\n');
            value.push_str(if more == "." { "" } else { more });
            continue;
        }
        let Some((name, value)) = line.split_once(':') else {
            return Err(format!("{path}:{}: not a `Field: value` line", n + 1));
        };
        if !open {
            if out.len() == MAX_SOURCE_LINES {
                return Err(format!("{path}: more than {MAX_SOURCE_LINES} stanzas"));
            }
            out.push((n + 1, Vec::new()));
            open = true;
        }
        if let Some((_, fields)) = out.last_mut() {
            fields.push((name.trim().to_string(), value.trim().to_string()));
        }
    }
    Ok(out)
}

/// One stanza as an entry; `None` when it has no `deb` type or says `Enabled: no`.
fn stanza(
    origin: &str,
    fields: &[(String, String)],
    notes: &mut Notes,
) -> Result<Option<Entry>, String> {
    let field = |name: &str| {
        fields
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    };
    let list = |name: &str| -> Vec<String> {
        field(name)
            .unwrap_or("")
            .split_whitespace()
            .map(str::to_string)
            .collect()
    };
    if field("Enabled").is_some_and(|v| yes(Some(v)) == Ok(false)) {
        notes.push(format!("skipped {origin}: Enabled: no"));
        return Ok(None);
    }
    if !list("Types").iter().any(|t| t == "deb") {
        return Ok(None);
    }
    let (uris, suites) = (list("URIs"), list("Suites"));
    if uris.is_empty() || suites.is_empty() {
        return Err("a deb stanza needs URIs and Suites".into());
    }
    let mut entry = Entry {
        origin: origin.to_string(),
        uris,
        suites,
        components: list("Components"),
        signed_by: SignedBy::Keyrings {
            paths: Vec::new(),
            fingerprints: Vec::new(),
        },
        trusted: false,
        check_valid_until: None,
    };
    for (name, value) in fields {
        if name.eq_ignore_ascii_case("Signed-By") && value.contains("-----BEGIN PGP") {
            entry.signed_by = SignedBy::Inline(value.clone());
        } else {
            let values = value.split(|c: char| c.is_whitespace() || c == ',');
            option_value(&mut entry, name, values.filter(|v| !v.is_empty()))?;
        }
    }
    Ok(Some(entry))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keyrings(paths: &[&str]) -> SignedBy {
        SignedBy::Keyrings {
            paths: paths.iter().map(|p| p.to_string()).collect(),
            fingerprints: Vec::new(),
        }
    }

    #[test]
    fn one_line_options_comments_and_deb_src() {
        let e = one_line("f:1", "deb [ arch=amd64,arm64 signed-by=/a.gpg,/b.asc trusted=yes ] http://h/d bookworm main contrib")
            .unwrap()
            .unwrap();
        assert_eq!(e.uris, ["http://h/d"]);
        assert_eq!(e.suites, ["bookworm"]);
        assert_eq!(e.components, ["main", "contrib"]);
        assert_eq!(e.signed_by, keyrings(&["/a.gpg", "/b.asc"]));
        assert!(e.trusted);
        let e = one_line("f:2", "deb [check-valid-until=no] http://h/d ./")
            .unwrap()
            .unwrap();
        assert_eq!(
            (e.suites[0].as_str(), e.check_valid_until),
            ("./", Some(false))
        );
        assert!(e.components.is_empty());
        assert_eq!(
            one_line("f:3", "deb-src http://h/d bookworm main"),
            Ok(None)
        );
        let fp = "deb [signed-by=A15E4967D7A3087DFBC971FC010591CA7F9CD676!] http://h/d s main";
        let e = one_line("f:4", fp).unwrap().unwrap();
        assert_eq!(
            e.signed_by,
            SignedBy::Keyrings {
                paths: vec![],
                fingerprints: vec!["A15E4967D7A3087DFBC971FC010591CA7F9CD676!".into()]
            }
        );
    }

    #[test]
    fn malformed_one_line_sources_are_errors() {
        for bad in [
            "deb http://h/d",
            "deb [arch=amd64 http://h/d bookworm main",
            "deb [trusted=maybe] http://h/d bookworm main",
            "deb [signed-by=keys.gpg] http://h/d bookworm main",
            "deb [arch] http://h/d bookworm main",
            "rpm http://h/d bookworm main",
        ] {
            assert!(one_line("f:1", bad).is_err(), "{bad}");
        }
        let mut out = Vec::new();
        let err = one_line_file(
            "/etc/apt/sources.list",
            "# ok\n\ndeb http://h/d\n",
            &mut out,
        )
        .unwrap_err();
        assert!(err.starts_with("/etc/apt/sources.list:3: "), "{err}");
    }

    #[test]
    fn deb822_stanzas_with_comments_inline_keys_and_enabled_no() {
        let text = "Types: deb deb-src\n# a comment\nURIs: http://a/d http://b/d\nSuites: s1 s2\nComponents: main\nSigned-By:\n -----BEGIN PGP PUBLIC KEY BLOCK-----\n .\n QUJD\n -----END PGP PUBLIC KEY BLOCK-----\n\nTypes: deb\nURIs: http://c/d\nSuites: s\nComponents: main\nEnabled: no\n\n\nTypes: deb-src\nURIs: http://c/d\nSuites: s\nComponents: main\n";
        let mut notes = Vec::new();
        let mut out = Vec::new();
        assert_eq!(deb822_file("/x.sources", text, &mut notes, &mut out), Ok(3));
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].origin, "/x.sources:1");
        assert_eq!(out[0].uris, ["http://a/d", "http://b/d"]);
        assert_eq!(out[0].suites, ["s1", "s2"]);
        assert_eq!(
            out[0].signed_by,
            SignedBy::Inline(
                "\n-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nQUJD\n-----END PGP PUBLIC KEY BLOCK-----"
                    .into()
            )
        );
        assert_eq!(notes, ["skipped /x.sources:12: Enabled: no"]);
        for bad in [
            " x: y\n",
            "Types: deb\nnot a field\n",
            "Types: deb\nURIs: http://a/\n",
        ] {
            assert!(
                deb822_file("/x", bad, &mut notes, &mut out).is_err(),
                "{bad}"
            );
        }
    }
}
