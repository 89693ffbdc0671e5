//! Short serde messages: the closest known field for an unknown one, a hint to quote numbers.

/// serde lists every known field after an unknown one: keep the message to the point, naming
/// the closest known field when one is close; a number where text is expected is told to be
/// quoted.
pub(super) fn shorten_serde_message(msg: &str) -> String {
    if let Some(rest) = msg.strip_prefix("unknown field `") {
        // The known fields follow the last `, expected ` (the unknown name may hold that text).
        let (unknown, known) = match rest.rfind("`, expected ") {
            Some(i) => (
                &rest[..i],
                rest[i + 1..].split('`').skip(1).step_by(2).collect(),
            ),
            None => match rest.strip_suffix("`, there are no fields") {
                Some(unknown) => (unknown, Vec::new()),
                None => return msg.to_string(),
            },
        };
        let head = format!("unknown field `{unknown}`");
        return match closest_field(unknown, &known) {
            Some(k) => format!("{head}, did you mean `{k}`?"),
            None => head,
        };
    }
    if msg.ends_with("expected a string") {
        if msg.starts_with("invalid type: floating point") {
            return format!("{msg}: quote it (YAML reads an unquoted `1.10` as the number 1.1)");
        }
        if msg.starts_with("invalid type: integer") {
            return format!("{msg}: quote it");
        }
    }
    msg.to_string()
}

/// The error of a field `name` under `prefix` that none of `known` is: serde's own words, with
/// the closest known field when one is close (as [`shorten_serde_message`]).
pub(crate) fn unknown_field(prefix: &str, name: &str, known: &[&str]) -> super::ProtocolError {
    let message = match closest_field(name, known) {
        Some(k) => format!("unknown field `{name}`, did you mean `{k}`?"),
        None => format!("unknown field `{name}`"),
    };
    super::ProtocolError::Field {
        path: format!("{prefix}.{name}"),
        message,
    }
}

/// Longest field name compared by edit distance (known fields are short; anything longer has no
/// close field, and the work stays bounded whatever the request holds).
const MAX_COMPARED_NAME: usize = 64;

/// The known field an unknown one most likely meant: one or two edits away (one for names of
/// up to four characters; case, `-` for `_` and swapped letters count as one), else a known
/// field it begins (`user` → `username`, at least four characters).
fn closest_field<'a>(unknown: &str, known: &[&'a str]) -> Option<&'a str> {
    let norm = |s: &str| -> Vec<char> {
        s.chars()
            .map(|c| {
                if c == '-' {
                    '_'
                } else {
                    c.to_ascii_lowercase()
                }
            })
            .collect()
    };
    let u = norm(unknown);
    if u.is_empty() || u.len() > MAX_COMPARED_NAME {
        return None;
    }
    let limit = if u.len() <= 4 { 1 } else { 2 };
    let by_distance = known
        .iter()
        .map(|k| (edit_distance(&u, &norm(k)), *k))
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, _)| *d)
        .map(|(_, k)| k);
    by_distance.or_else(|| {
        known
            .iter()
            .find(|k| u.len() >= 4 && norm(k).starts_with(&u))
            .copied()
    })
}

/// Edits (insert, delete, substitute, swap two neighbours) between `a` and `b` (optimal string
/// alignment distance).
fn edit_distance(a: &[char], b: &[char]) -> usize {
    let mut rows = vec![(0..=b.len()).collect::<Vec<usize>>(); a.len() + 1];
    for (i, row) in rows.iter_mut().enumerate() {
        row[0] = i;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut d = (rows[i - 1][j] + 1)
                .min(rows[i][j - 1] + 1)
                .min(rows[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                d = d.min(rows[i - 2][j - 2] + 1);
            }
            rows[i][j] = d;
        }
    }
    rows[a.len()][b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unknown_field_names_the_closest_known_one() {
        let known = [
            "repository",
            "tag",
            "tag_regex",
            "username",
            "password",
            "os",
        ];
        for (unknown, meant) in [
            ("tga", Some("tag")),
            ("Tag", Some("tag")),
            ("tag-regex", Some("tag_regex")),
            ("repositry", Some("repository")),
            ("pasword", Some("password")),
            ("user", Some("username")),
            ("o", Some("os")),
            ("colour", None),
            ("ta", Some("tag")),
            ("t", None),
            ("usr", None),
            ("", None),
        ] {
            assert_eq!(closest_field(unknown, &known), meant, "{unknown}");
        }
        assert_eq!(closest_field(&"x".repeat(10_000), &known), None);
    }

    #[test]
    fn unknown_field_messages_keep_their_prefix() {
        for (msg, short) in [
            (
                "unknown field `tga`, expected one of `repository`, `tag`",
                "unknown field `tga`, did you mean `tag`?",
            ),
            (
                "unknown field `arch`, expected `architecture` or `os`",
                "unknown field `arch`, did you mean `architecture`?",
            ),
            ("unknown field `cpu`, expected `os`", "unknown field `cpu`"),
            (
                "unknown field `x`, there are no fields",
                "unknown field `x`",
            ),
            (
                "unknown field `a`, expected `tag`, expected `b`, expected one of `c`",
                "unknown field `a`, expected `tag`, expected `b`",
            ),
        ] {
            assert_eq!(shorten_serde_message(msg), short);
        }
    }
}
