//! The JSON Schema of a package `source`: one branch per registered source, its own fields and
//! the shared ones, nothing else.

use super::{CommonFields, SOURCES};
use serde_json::{json, Map, Value};

/// `schema/package-source.json`: exactly one branch of `oneOf` matches a valid source.
pub(crate) fn source_schema() -> Value {
    let common = serde_json::to_value(schemars::schema_for!(CommonFields)).unwrap_or_default();
    let mut defs = Map::new();
    let branches: Vec<Value> = SOURCES
        .iter()
        .map(|registration| {
            let own = registration.own_schema();
            let mut properties = object(&own["properties"]);
            properties.extend(object(&common["properties"]));
            defs.extend(object(&own["$defs"]));
            json!({
                "title": registration.key,
                "description": own["description"],
                "type": "object",
                "properties": properties,
                "required": own["required"],
                "additionalProperties": false,
            })
        })
        .collect();
    defs.extend(object(&common["$defs"]));
    let mut schema = json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "uptick package source",
        "description": "A package resource's `source`: exactly one of the registered sources, with its own fields and the shared ones.",
        "oneOf": branches,
    });
    if !defs.is_empty() {
        schema["$defs"] = Value::Object(defs);
    }
    schema
}

fn object(value: &Value) -> Map<String, Value> {
    value.as_object().cloned().unwrap_or_default()
}
