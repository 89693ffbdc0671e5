//! `schema/` is what the Rust types generate (run with `UPDATE_SCHEMA=1` to rewrite it), and the
//! README's field tables name exactly the fields the schemas have.

use std::collections::BTreeSet;
use std::path::Path;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn schema_files_match_the_rust_types() {
    let dir = root().join("schema");
    let update = std::env::var_os("UPDATE_SCHEMA").is_some();
    let mut stale = Vec::new();
    for (name, schema) in uptick::protocol::json_schemas() {
        let text = format!("{}\n", serde_json::to_string_pretty(&schema).unwrap());
        let path = dir.join(format!("{name}.json"));
        if update {
            std::fs::create_dir_all(&dir).unwrap();
            std::fs::write(&path, &text).unwrap();
        } else if std::fs::read_to_string(&path).ok().as_deref() != Some(text.as_str()) {
            stale.push(name);
        }
    }
    assert!(
        stale.is_empty(),
        "schema/ is out of date for {stale:?}: run `UPDATE_SCHEMA=1 cargo test --test integration schema`"
    );
}

fn properties(name: &str) -> BTreeSet<String> {
    let schemas = uptick::protocol::json_schemas();
    let schema = &schemas.iter().find(|(n, _)| *n == name).unwrap().1;
    schema["properties"]
        .as_object()
        .unwrap()
        .keys()
        .cloned()
        .collect()
}

/// Field names in the first column of the first table after `heading`: every backticked word
/// that starts like a field (`pypi: NAME` → `pypi`).
fn table_fields(readme: &str, heading: &str) -> BTreeSet<String> {
    let start = readme
        .find(heading)
        .unwrap_or_else(|| panic!("README has no {heading}"));
    let mut fields = BTreeSet::new();
    let mut in_table = false;
    for line in readme[start..].lines().skip(1) {
        if line.starts_with("## ") {
            break;
        }
        if !line.starts_with('|') {
            if in_table {
                break;
            }
            continue;
        }
        in_table = true;
        let first = line.trim_start_matches('|').split('|').next().unwrap_or("");
        for (i, part) in first.split('`').enumerate() {
            if i % 2 == 1 {
                let word: String = part
                    .chars()
                    .take_while(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '_')
                    .collect();
                if !word.is_empty() && part.starts_with(word.as_str()) && !part.starts_with('{') {
                    fields.insert(word);
                }
            }
        }
    }
    fields
}

#[test]
fn readme_tables_name_exactly_the_schema_fields() {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    for (heading, schema) in [
        ("## Image `source`", "image-source"),
        ("## Image get params", "image-get-params"),
        ("## Image put params", "image-put-params"),
        ("## Package sources", "package-source"),
    ] {
        let documented = table_fields(&readme, heading);
        let actual = properties(schema);
        let missing: Vec<_> = actual.difference(&documented).collect();
        let extra: Vec<_> = documented.difference(&actual).collect();
        assert!(
            missing.is_empty() && extra.is_empty(),
            "{heading}: not in the README table {missing:?}; in the table but not in {schema} {extra:?}"
        );
    }
    assert_eq!(
        table_fields(&readme, "Package get params"),
        properties("package-get-params")
    );
}
