//! `schema/` is what the Rust types generate (run with `UPDATE_SCHEMA=1` to rewrite it), and the
//! field tables of `docs/` name exactly the fields the schemas have.

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
    for (name, schema) in uptick::schema::json_schemas() {
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

/// The fields a schema has: its `properties`, or those of every branch of its `oneOf` (the package
/// source: one branch per source).
fn properties(name: &str) -> BTreeSet<String> {
    let schemas = uptick::schema::json_schemas();
    let schema = &schemas.iter().find(|(n, _)| *n == name).unwrap().1;
    let branches = match schema["oneOf"].as_array() {
        Some(branches) => branches.iter().collect(),
        None => vec![schema],
    };
    let fields: BTreeSet<String> = branches
        .iter()
        .flat_map(|b| b["properties"].as_object().unwrap().keys().cloned())
        .collect();
    assert!(!fields.is_empty(), "{name}: no properties");
    fields
}

/// The text of `docs/<page>`.
fn doc(page: &str) -> String {
    let path = root().join("docs").join(page);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Field names in the first column of a table's rows: every backticked word that starts like a
/// field (`pypi: NAME` → `pypi`; `` `platform` `{architecture, os}` `` → `platform`).
fn row_fields(line: &str, fields: &mut BTreeSet<String>) {
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

/// Field names of the first table under the line `heading` (the whole line), before the next
/// `## ` heading; a page without that heading, or without a table under it, fails.
fn table_fields(page: &str, text: &str, heading: &str) -> BTreeSet<String> {
    let mut lines = text.lines().skip_while(|l| l.trim_end() != heading);
    assert!(
        lines.next().is_some(),
        "docs/{page} has no line `{heading}`"
    );
    let mut fields = BTreeSet::new();
    let mut in_table = false;
    for line in lines {
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
        row_fields(line, &mut fields);
    }
    assert!(in_table, "docs/{page}: no table under `{heading}`");
    fields
}

/// Field names of every table whose header row starts `| field |`, anywhere in the page.
fn all_field_tables(text: &str) -> BTreeSet<String> {
    let mut fields = BTreeSet::new();
    let mut in_field_table = false;
    for line in text.lines() {
        if !line.starts_with('|') {
            in_field_table = false;
        } else if line.starts_with("| field |") {
            in_field_table = true;
        } else if in_field_table {
            row_fields(line, &mut fields);
        }
    }
    fields
}

#[test]
fn docs_tables_name_exactly_the_schema_fields() {
    for (page, heading, schema) in [
        ("images.md", "## `source`", "image-source"),
        ("images.md", "## get params", "image-get-params"),
        ("images.md", "## put params", "image-put-params"),
        ("packages.md", "## `source`", "package-source"),
        ("packages.md", "## get params", "package-get-params"),
    ] {
        let documented = table_fields(page, &doc(page), heading);
        let actual = properties(schema);
        let missing: Vec<_> = actual.difference(&documented).collect();
        let extra: Vec<_> = documented.difference(&actual).collect();
        assert!(
            missing.is_empty() && extra.is_empty(),
            "docs/{page} {heading}: not in the table {missing:?}; in the table but not in {schema} {extra:?}"
        );
    }
}

#[test]
fn every_field_table_in_docs_names_only_schema_fields() {
    // Tables headed `| field |` elsewhere (each package source's own table, credentials,
    // freshness) may list a subset, never a field the schema does not have.
    for (page, schema) in [
        ("images.md", "image-source"),
        ("packages.md", "package-source"),
        ("freshness.md", "image-source"),
        ("credentials.md", "image-source"),
    ] {
        let documented = all_field_tables(&doc(page));
        assert!(!documented.is_empty(), "docs/{page}: no `| field |` table");
        let actual = properties(schema);
        let unknown: Vec<_> = documented.difference(&actual).collect();
        assert!(
            unknown.is_empty(),
            "docs/{page}: `| field |` tables name {unknown:?}, which {schema} does not have"
        );
    }
}

#[test]
fn each_package_source_section_lists_its_own_fields() {
    // The table of a source's section names every field of its own struct (the registration's)
    // and otherwise only fields every source shares.
    let text = doc("packages.md");
    let common: BTreeSet<String> = uptick::testing::packages::common_fields()
        .into_iter()
        .collect();
    for registration in uptick::testing::packages::SOURCES {
        let documented = table_fields("packages.md", &text, registration.docs);
        let own: BTreeSet<String> = registration.own_fields().into_iter().collect();
        let missing: Vec<_> = own.difference(&documented).collect();
        let foreign: Vec<_> = documented
            .iter()
            .filter(|f| !own.contains(*f) && !common.contains(*f))
            .collect();
        assert!(
            missing.is_empty() && foreign.is_empty(),
            "docs/packages.md {}: fields of `{}` not in its table {missing:?}; in its table but neither its own nor shared {foreign:?}",
            registration.docs,
            registration.key
        );
    }
}
