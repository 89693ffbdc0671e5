//! The JSON Schemas of what a pipeline writes, by file name in `schema/`: the wire types' and
//! the package `source` of every registered source (`tests/schema.rs` keeps `schema/` and the
//! field tables of `docs/` in step with them).

/// Every schema of `schema/`, by file name without `.json`.
pub fn json_schemas() -> Vec<(&'static str, serde_json::Value)> {
    let mut all = crate::protocol::json_schemas();
    all.push(("package-source", crate::packages::source_schema()));
    all.sort_by_key(|(name, _)| *name);
    all
}
