//! Whether a manifest found under a digest is bound to it, its `subject` read as a registry
//! written in Go reads it.

use crate::digest::Digest;
use crate::log;
use serde_json::Value;

/// Whether `bytes` (the manifest `what`, a cosign one or a referrer) found under `subject` is
/// bound to it; when it is not, says so on stderr, and why.
pub(crate) fn bound(what: &str, cosign: bool, subject: &Digest, bytes: &[u8]) -> bool {
    match unbound(cosign, subject, bytes) {
        None => true,
        Some(why) => {
            log::warn(format_args!(
                "{what}: found under {subject} but {why}; not carried"
            ));
            false
        }
    }
}

/// Why a manifest found under `subject` is not bound to it (`None`: it is). A referrer must
/// name `subject` as its own `subject`; a cosign manifest (bound by its tag's name) may name
/// none, or `subject`. Keys are matched as a registry written in Go reads them
/// (`encoding/json`: any case, Unicode simple folding, the last of duplicates wins), so a
/// `subject` under any spelling a registry would index counts, and more than one is refused.
fn unbound(cosign: bool, subject: &Digest, bytes: &[u8]) -> Option<String> {
    let fields: Fields = match serde_json::from_slice(bytes) {
        Ok(f) => f,
        Err(e) => return Some(format!("its manifest is not a JSON object ({e})")),
    };
    let named: Vec<&(String, Field)> = fields
        .0
        .iter()
        .filter(|(k, _)| folds_to(k, "subject"))
        .collect();
    let object = match named.as_slice() {
        [] | [(_, Field::Null)] if cosign => return None,
        [] | [(_, Field::Null)] => return Some("it names no `subject`".into()),
        [(k, _)] if k != "subject" => {
            return Some(format!("it spells `subject` as `{k}`"));
        }
        [(_, Field::Object(pairs))] => pairs,
        [_] => return Some("its `subject` is not a descriptor".into()),
        _ => return Some("it has more than one `subject`".into()),
    };
    let digests: Vec<&(String, Value)> = object
        .iter()
        .filter(|(k, _)| folds_to(k, "digest"))
        .collect();
    match digests.as_slice() {
        [(k, Value::String(d))] if k == "digest" => {
            (*d != subject.to_string()).then(|| format!("its own `subject` is {d}"))
        }
        _ => Some("its `subject` has no single `digest`".into()),
    }
}

/// Whether JSON key `key` matches field `name` (lower-case ASCII) for some JSON decoder a
/// registry may use: Go's `encoding/json` folds case by Unicode simple folding (`ſ` is an `s`,
/// `K` a `k`); `_` and `-` are dropped as well (Go's JSON v2 case-insensitive names).
fn folds_to(key: &str, name: &str) -> bool {
    let folded = key
        .chars()
        .filter(|c| *c != '_' && *c != '-')
        .map(|c| match c {
            '\u{17f}' => 's',
            '\u{212a}' => 'k',
            c => c.to_ascii_lowercase(),
        });
    folded.eq(name.chars())
}

/// A manifest's top-level members in order, duplicates kept; the value decoded only for a
/// member that may be `subject`.
struct Fields(Vec<(String, Field)>);

enum Field {
    /// A member that is not a `subject` in any spelling (not decoded).
    Other,
    /// `null`.
    Null,
    /// An object's members in order, duplicates kept.
    Object(Vec<(String, Value)>),
    /// Anything else.
    NotObject,
}

impl<'de> serde::Deserialize<'de> for Fields {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Top;
        impl<'de> serde::de::Visitor<'de> for Top {
            type Value = Fields;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<Fields, A::Error> {
                let mut out = Vec::new();
                while let Some(key) = map.next_key::<String>()? {
                    let value = if folds_to(&key, "subject") {
                        map.next_value::<Field>()?
                    } else {
                        map.next_value::<serde::de::IgnoredAny>()?;
                        Field::Other
                    };
                    out.push((key, value));
                }
                Ok(Fields(out))
            }
        }
        d.deserialize_map(Top)
    }
}

impl<'de> serde::Deserialize<'de> for Field {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        use serde::de::{IgnoredAny, MapAccess, SeqAccess};
        struct Any;
        impl<'de> serde::de::Visitor<'de> for Any {
            type Value = Field;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a JSON value")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Field, A::Error> {
                let mut pairs = Vec::new();
                while let Some(pair) = map.next_entry::<String, Value>()? {
                    pairs.push(pair);
                }
                Ok(Field::Object(pairs))
            }
            fn visit_unit<E>(self) -> Result<Field, E> {
                Ok(Field::Null)
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Field, A::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(Field::NotObject)
            }
            fn visit_bool<E>(self, _: bool) -> Result<Field, E> {
                Ok(Field::NotObject)
            }
            fn visit_i64<E>(self, _: i64) -> Result<Field, E> {
                Ok(Field::NotObject)
            }
            fn visit_u64<E>(self, _: u64) -> Result<Field, E> {
                Ok(Field::NotObject)
            }
            fn visit_f64<E>(self, _: f64) -> Result<Field, E> {
                Ok(Field::NotObject)
            }
            fn visit_str<E>(self, _: &str) -> Result<Field, E> {
                Ok(Field::NotObject)
            }
        }
        d.deserialize_any(Any)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn digest(c: char) -> Digest {
        format!("sha256:{}", c.to_string().repeat(64))
            .parse()
            .unwrap()
    }

    /// `unbound` of a manifest whose members after `schemaVersion` are `members` (raw JSON).
    fn why(cosign: bool, members: &str) -> Option<String> {
        let doc = format!(r#"{{"schemaVersion":2{members}}}"#);
        unbound(cosign, &digest('a'), doc.as_bytes())
    }

    fn subject(c: char) -> String {
        format!(r#"{{"mediaType":"x","digest":"{}","size":1}}"#, digest(c))
    }

    #[test]
    fn a_referrer_is_bound_by_its_own_subject_only() {
        assert_eq!(why(false, &format!(r#","subject":{}"#, subject('a'))), None);
        assert_eq!(
            why(false, &format!(r#","subject":{}"#, subject('b'))),
            Some(format!("its own `subject` is {}", digest('b')))
        );
        assert_eq!(why(false, ""), Some("it names no `subject`".into()));
        assert_eq!(
            why(false, r#","subject":null"#),
            Some("it names no `subject`".into())
        );
    }

    #[test]
    fn a_cosign_manifest_may_name_no_subject_or_its_own() {
        assert_eq!(why(true, ""), None);
        assert_eq!(why(true, r#","subject":null"#), None);
        assert_eq!(why(true, &format!(r#","subject":{}"#, subject('a'))), None);
        assert_eq!(
            why(true, &format!(r#","subject":{}"#, subject('b'))),
            Some(format!("its own `subject` is {}", digest('b')))
        );
    }

    #[test]
    fn any_spelling_a_go_registry_reads_as_subject_counts() {
        for key in ["Subject", "SUBJECT", "\u{17f}ubject", "sub_ject"] {
            assert_eq!(
                why(true, &format!(r#","{key}":{}"#, subject('a'))),
                Some(format!("it spells `subject` as `{key}`")),
                "{key}"
            );
        }
        let twice = format!(r#","subject":{},"subject":{}"#, subject('a'), subject('b'));
        assert_eq!(
            why(false, &twice),
            Some("it has more than one `subject`".into())
        );
        let shadowed = format!(r#","subject":{},"Subject":null"#, subject('a'));
        assert_eq!(
            why(false, &shadowed),
            Some("it has more than one `subject`".into())
        );
        let digests = format!(
            r#","subject":{{"digest":"{}","Digest":"{}"}}"#,
            digest('a'),
            digest('b')
        );
        assert_eq!(
            why(false, &digests),
            Some("its `subject` has no single `digest`".into())
        );
        assert_eq!(
            why(false, r#","subject":["x"]"#),
            Some("its `subject` is not a descriptor".into())
        );
        assert!(unbound(false, &digest('a'), b"[]")
            .unwrap()
            .starts_with("its manifest is not a JSON object"));
    }
}
