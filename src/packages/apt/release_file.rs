//! The Release file as apt reads it: clear-signed text unwrapped, its first paragraph's fields,
//! RFC 1123 dates, and whether it names the suite asked for.

/// The signed text of a clear-signed message (dash-escaping undone), or `text` itself when it
/// is not one; `None` when the armor is broken.
pub(super) fn clear_signed(text: &str) -> Option<String> {
    let Some(rest) = text
        .trim_start()
        .strip_prefix("-----BEGIN PGP SIGNED MESSAGE-----")
    else {
        return Some(text.to_string());
    };
    let mut lines = rest.lines();
    lines.next()?; // the rest of the BEGIN line
    for line in lines.by_ref() {
        if line.trim().is_empty() {
            break;
        }
    }
    let mut out = String::new();
    for line in lines {
        if line.starts_with("-----BEGIN PGP SIGNATURE-----") {
            return Some(out);
        }
        out.push_str(line.strip_prefix("- ").unwrap_or(line));
        out.push('\n');
    }
    None
}

/// What uptick reads from a Release file (its first paragraph, as apt reads it).
#[derive(Default)]
pub(crate) struct ReleaseFields {
    /// (hash, size, path) of every file the `SHA256` field lists.
    pub(crate) sha256: Vec<(String, u64, String)>,
    pub(crate) components: Option<String>,
    pub(crate) architectures: Option<String>,
    pub(super) suite: Option<String>,
    pub(super) codename: Option<String>,
    pub(super) date: Option<String>,
    pub(super) valid_until: Option<String>,
}

impl ReleaseFields {
    pub(crate) fn parse(text: &str) -> ReleaseFields {
        let mut r = ReleaseFields::default();
        let mut current = String::new();
        let mut started = false;
        for line in text.lines() {
            if line.trim().is_empty() {
                if started {
                    break; // the end of the first paragraph
                }
                continue;
            }
            started = true;
            if line.starts_with([' ', '\t']) {
                if current.eq_ignore_ascii_case("SHA256") {
                    let mut parts = line.split_whitespace();
                    if let (Some(h), Some(s), Some(p), None) =
                        (parts.next(), parts.next(), parts.next(), parts.next())
                    {
                        if let Ok(size) = s.parse() {
                            r.sha256.push((h.to_string(), size, p.to_string()));
                        }
                    }
                }
                continue;
            }
            let Some((key, value)) = line.split_once(':') else {
                current.clear();
                continue;
            };
            current = key.trim().to_string();
            let value = Some(value.trim().to_string());
            let field = match current.to_ascii_lowercase().as_str() {
                "components" => &mut r.components,
                "architectures" => &mut r.architectures,
                "suite" => &mut r.suite,
                "codename" => &mut r.codename,
                "date" => &mut r.date,
                "valid-until" => &mut r.valid_until,
                _ => continue,
            };
            if field.is_none() {
                *field = value;
            }
        }
        r
    }
}

/// A Release file date as apt reads it (`RFC1123StrToTime`): `Sat, 05 Dec 2026 03:33:28 UTC`,
/// the zone `UTC`, `GMT`, `Z` or a zero offset (`+0000`); Unix seconds.
pub(super) fn release_date(text: &str) -> Option<i64> {
    let mut parts = text.split_whitespace();
    let weekday = parts.next()?.to_ascii_lowercase();
    let days = ["sun,", "mon,", "tue,", "wed,", "thu,", "fri,", "sat,"];
    if !days.contains(&weekday.as_str()) {
        return None;
    }
    let (day, month, year, time, zone) = (
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
    );
    let zero_offset = matches!(zone, "UTC" | "GMT" | "Z")
        || (zone
            .trim_start_matches(['+', '-'])
            .bytes()
            .all(|b| b == b'0')
            && zone.len() > usize::from(zone.starts_with(['+', '-'])));
    if parts.next().is_some() || !zero_offset {
        return None;
    }
    chrono::NaiveDateTime::parse_from_str(
        &format!("{day} {month} {year} {time}"),
        "%d %b %Y %H:%M:%S",
    )
    .ok()
    .map(|t| t.and_utc().timestamp())
}

/// A span of seconds as apt prints it (`TimeToStr`): `7d 3h 42min 1s`, `3h 42min 1s`, …
pub(super) fn duration(seconds: i64) -> String {
    let s = seconds.max(0);
    let (d, h, m, s) = (s / 86_400, (s / 3_600) % 24, (s / 60) % 60, s % 60);
    if seconds > 86_400 {
        format!("{d}d {h}h {m}min {s}s")
    } else if seconds > 3_600 {
        format!("{}h {m}min {s}s", seconds / 3_600)
    } else if seconds > 60 {
        format!("{}min {s}s", seconds / 60)
    } else {
        format!("{s}s")
    }
}

/// Whether the Release file's `Suite` or `Codename` names `suite` (apt's `CheckDist`: also
/// `bookworm/updates` for a Release file of `bookworm`).
pub(super) fn names_suite(release: &ReleaseFields, suite: &str) -> bool {
    let names =
        |s: &str| release.suite.as_deref() == Some(s) || release.codename.as_deref() == Some(s);
    if names(suite) {
        return true;
    }
    match suite.rsplit_once('/') {
        Some((head, _)) => !head.is_empty() && head != "." && names(head),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clear_signed_messages_are_unwrapped() {
        let msg = "-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA512\n\nOrigin: Debian\n- -dashed\nSHA256:\n abc 1 main/x\n-----BEGIN PGP SIGNATURE-----\n\nxyz\n-----END PGP SIGNATURE-----\n";
        let text = clear_signed(msg).unwrap();
        assert_eq!(text, "Origin: Debian\n-dashed\nSHA256:\n abc 1 main/x\n");
        assert_eq!(
            ReleaseFields::parse(&text).sha256,
            [("abc".to_string(), 1, "main/x".to_string())]
        );
        assert!(clear_signed("-----BEGIN PGP SIGNED MESSAGE-----\nHash: x\n\nno end").is_none());
        assert_eq!(clear_signed("Origin: x\n").unwrap(), "Origin: x\n");
    }

    #[test]
    fn release_dates_durations_and_suites_as_apt_reads_them() {
        assert_eq!(
            release_date("Sat, 05 Dec 2026 03:33:28 UTC"),
            Some(1_796_441_608)
        );
        for same in [
            "Sat, 05 Dec 2026 03:33:28 GMT",
            "Sat, 05 Dec 2026 03:33:28 +0000",
            "sat, 5 Dec 2026 03:33:28 Z",
        ] {
            assert_eq!(release_date(same), Some(1_796_441_608), "{same}");
        }
        for bad in [
            "Sat, 05 Dec 2026 03:33:28 +0100",
            "Sat, 05 Dec 2026 03:33:28",
            "Caturday, 05 Dec 2026 03:33:28 UTC",
            "2026-12-05T03:33:28Z",
            "Sat, 05 Dec 2026 03:33:28 UTC extra",
            "",
        ] {
            assert_eq!(release_date(bad), None, "{bad}");
        }
        assert_eq!(duration(5), "5s");
        assert_eq!(duration(61), "1min 1s");
        assert_eq!(duration(3_601), "1h 0min 1s");
        assert_eq!(
            duration(7 * 86_400 + 3 * 3_600 + 42 * 60 + 1),
            "7d 3h 42min 1s"
        );
        let release = ReleaseFields::parse(
            "Suite: oldstable\nCodename: bookworm\nDate: x\n\nSuite: other\nSHA256:\n a 1 b\n",
        );
        assert_eq!(release.suite.as_deref(), Some("oldstable"));
        assert!(release.sha256.is_empty(), "only the first paragraph counts");
        assert!(names_suite(&release, "bookworm"));
        assert!(names_suite(&release, "oldstable"));
        assert!(names_suite(&release, "bookworm/updates"));
        assert!(!names_suite(&release, "trixie"));
        assert!(!names_suite(&release, "/x"));
        assert!(!names_suite(&ReleaseFields::default(), "bookworm"));
    }
}
