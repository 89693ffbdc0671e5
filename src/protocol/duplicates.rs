//! A JSON reader that refuses a key written twice in one object, naming where.

use super::ProtocolError;
use serde::Deserializer;
use std::fmt;

/// The next JSON value of `de`; a key written twice in one object is a field error naming its
/// path (`request` at the top), anything else unreadable is invalid JSON.
pub(super) fn read_refusing_duplicates<'de, R: serde_json::de::Read<'de>>(
    de: &mut serde_json::Deserializer<R>,
) -> Result<serde_json::Value, ProtocolError> {
    let duplicate = std::cell::RefCell::new(None);
    let parsed = serde::de::DeserializeSeed::deserialize(
        NoDuplicates {
            path: String::new(),
            duplicate: &duplicate,
        },
        de,
    );
    parsed.map_err(|e| match duplicate.take() {
        Some((path, key)) => ProtocolError::Field {
            path: if path.is_empty() {
                "request".into()
            } else {
                path
            },
            message: format!("duplicate field `{key}`"),
        },
        None => ProtocolError::Json(format!("not valid JSON: {e}")),
    })
}

/// Reads a JSON value refusing a key that appears twice in one object, at any depth
/// (`serde_json::Value` would keep the last silently). The first duplicate's path and key are
/// left in `duplicate`.
struct NoDuplicates<'a> {
    path: String,
    duplicate: &'a std::cell::RefCell<Option<(String, String)>>,
}

impl NoDuplicates<'_> {
    fn child(&self, name: &str) -> Self {
        NoDuplicates {
            path: if self.path.is_empty() {
                name.to_string()
            } else if name.starts_with('[') {
                format!("{}{name}", self.path)
            } else {
                format!("{}.{name}", self.path)
            },
            duplicate: self.duplicate,
        }
    }
}

impl<'de> serde::de::DeserializeSeed<'de> for NoDuplicates<'_> {
    type Value = serde_json::Value;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> serde::de::Visitor<'de> for NoDuplicates<'_> {
    type Value = serde_json::Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Self::Value, E> {
        Ok(v.into())
    }

    fn visit_i64<E>(self, v: i64) -> Result<Self::Value, E> {
        Ok(v.into())
    }

    fn visit_u64<E>(self, v: u64) -> Result<Self::Value, E> {
        Ok(v.into())
    }

    fn visit_f64<E>(self, v: f64) -> Result<Self::Value, E> {
        Ok(serde_json::Number::from_f64(v).map_or(serde_json::Value::Null, Into::into))
    }

    fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
        Ok(v.into())
    }

    fn visit_string<E>(self, v: String) -> Result<Self::Value, E> {
        Ok(v.into())
    }

    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(serde_json::Value::Null)
    }

    fn visit_none<E>(self) -> Result<Self::Value, E> {
        Ok(serde_json::Value::Null)
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut items = Vec::new();
        while let Some(v) = seq.next_element_seed(self.child(&format!("[{}]", items.len())))? {
            items.push(v);
        }
        Ok(serde_json::Value::Array(items))
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut object = serde_json::Map::new();
        while let Some(key) = map.next_key::<String>()? {
            if object.contains_key(&key) {
                *self.duplicate.borrow_mut() = Some((self.path.clone(), key.clone()));
                return Err(serde::de::Error::custom(format!("duplicate field `{key}`")));
            }
            let value = map.next_value_seed(self.child(&key))?;
            object.insert(key, value);
        }
        Ok(serde_json::Value::Object(object))
    }
}
